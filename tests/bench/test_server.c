/*
 * test_server.c - a tiny HTTP/1.1 keep-alive server on a Unix socket that
 * answers a fixed JSON body, for the te-loadgen smoke test.  It can be told
 * to misbehave on every Nth request, so the test can check that the load
 * generator counts each kind of broken response as an error.
 *
 * Usage: te-test-server SOCKET_PATH MODE [EVERY]
 *   ok          every response is a good 200 with Content-Length
 *   chunked     every response is a good 200, chunked (with a trailer)
 *   close-mid   every Nth response: half of it, then close
 *   bad-status  every Nth response: a malformed status line
 *   big-header  every Nth response: a 17 KiB header
 *   status-500  every Nth response: a well-formed 500
 *   no-length   every Nth response: neither Content-Length nor chunked
 *   extra       every Nth response: followed by stray bytes
 *   stall       every Nth request is never answered
 * The socket is bound under a temporary name and renamed into place once
 * listening, so a client that sees the path can connect.  Runs until killed.
 *
 * One blocking thread per connection: simple, and the load generator, not
 * this server, is what is under test.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BODY "{\"digest\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"}"

enum mode { M_OK, M_CHUNKED, M_CLOSE_MID, M_BAD_STATUS, M_BIG_HEADER, M_500, M_NO_LENGTH,
	    M_EXTRA, M_STALL };
static const char *const mode_names[] = {"ok",         "chunked",   "close-mid",
                                         "bad-status", "big-header", "status-500",
                                         "no-length",  "extra",      "stall"};

static enum mode mode;
static unsigned long every = 1;
static atomic_ulong served;

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int respond_ok(int fd)
{
	char out[512];
	int n = snprintf(out, sizeof(out),
	                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 strlen(BODY), BODY);

	return send_all(fd, out, (size_t)n);
}

/* 0: keep the connection, -1: close it. */
static int respond(int fd)
{
	unsigned long k = atomic_fetch_add(&served, 1) + 1;
	int bad = mode != M_OK && mode != M_CHUNKED && k % every == 0;
	char out[512];
	int n;

	if (mode == M_CHUNKED) {
		n = snprintf(out, sizeof(out),
		             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		             "Transfer-Encoding: chunked\r\n\r\n"
		             "a;ext=1\r\n%.10s\r\n%zx\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n",
		             BODY, strlen(BODY) - 10, &BODY[10]);
		return send_all(fd, out, (size_t)n);
	}
	if (!bad)
		return respond_ok(fd);
	switch (mode) {
	case M_CLOSE_MID:
		n = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
		             strlen(BODY), BODY);
		send_all(fd, out, (size_t)n / 2);
		return -1;
	case M_BAD_STATUS:
		n = snprintf(out, sizeof(out), "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}");
		return send_all(fd, out, (size_t)n);
	case M_BIG_HEADER: {
		size_t big = 17 * 1024;
		char *h = malloc(big + 256);
		int rc;

		if (h == NULL)
			return -1;
		n = snprintf(h, 256, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Big: ");
		memset(h + n, 'a', big);
		memcpy(h + n + big, "\r\n\r\n{}", 6);
		rc = send_all(fd, h, (size_t)n + big + 6);
		free(h);
		return rc;
	}
	case M_500:
		n = snprintf(out, sizeof(out),
		             "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}");
		return send_all(fd, out, (size_t)n);
	case M_NO_LENGTH:
		n = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n\r\n%s", BODY);
		send_all(fd, out, (size_t)n);
		return -1;
	case M_EXTRA:
		if (respond_ok(fd) != 0)
			return -1;
		return send_all(fd, "junk", 4);
	case M_STALL:
		return 0; /* never answered; the client times out and closes */
	default:
		return -1;
	}
}

/* Finds the end of a request head and its Content-Length; -1 if bad. */
static long head_end(const char *buf, size_t len, size_t *body_len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *p;

	if (end == NULL)
		return 0;
	*body_len = 0;
	for (p = buf; p < end; p++) {
		if (p[0] == '\n' && end - p > 16 && strncasecmp(p + 1, "content-length:", 15) == 0) {
			char *e;
			unsigned long v = strtoul(p + 16, &e, 10);

			if (e == p + 16 || v > 1024 * 1024)
				return -1;
			*body_len = v;
		}
	}
	return (long)(end - buf) + 4;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char *buf = malloc(64 * 1024);
	size_t len = 0;

	while (buf != NULL) {
		size_t body = 0;
		long h = head_end(buf, len, &body);
		ssize_t r;

		if (h < 0)
			break;
		if (h > 0 && len >= (size_t)h + body) {
			size_t used = (size_t)h + body;

			if (respond(fd) != 0)
				break;
			memmove(buf, buf + used, len - used);
			len -= used;
			continue;
		}
		if (len == 64 * 1024)
			break;
		r = recv(fd, buf + len, 64 * 1024 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	free(buf);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_un a;
	char tmp[sizeof(a.sun_path)];
	int lfd;
	size_t m;

	if (argc < 3 || argc > 4)
		goto usage;
	for (m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++)
		if (strcmp(argv[2], mode_names[m]) == 0)
			break;
	if (m == sizeof(mode_names) / sizeof(mode_names[0]))
		goto usage;
	mode = (enum mode)m;
	if (argc == 4) {
		char *e;

		errno = 0;
		every = strtoul(argv[3], &e, 10);
		if (errno != 0 || *e != '\0' || argv[3][0] == '-' || every == 0)
			goto usage;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (snprintf(a.sun_path, sizeof(a.sun_path), "%s.tmp", argv[1]) >=
	        (int)sizeof(a.sun_path) ||
	    snprintf(tmp, sizeof(tmp), "%s", a.sun_path) < 0) {
		fprintf(stderr, "te-test-server: socket path too long\n");
		return 2;
	}
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(tmp);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 1024) != 0 ||
	    rename(tmp, argv[1]) != 0) {
		perror("te-test-server");
		return 1;
	}
	for (;;) {
		pthread_t t;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
				continue;
			perror("te-test-server: accept");
			return 1;
		}
		if (pthread_create(&t, NULL, serve, (void *)(long)fd) != 0) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
usage:
	fprintf(stderr, "usage: te-test-server SOCKET_PATH MODE [EVERY]\n");
	return 2;
}
