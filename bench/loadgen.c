/*
 * loadgen.c - te-loadgen: an HTTP/1.1 load generator over Unix sockets.
 *
 * The daemon's workload API is served on a Unix socket, which wrk and ab
 * cannot reach, so the throughput figures in docs/performance.md are taken
 * with this tool against both the daemon and the nginx baseline
 * (bench/nginx_baseline.sh).  Loopback TCP is accepted for cross-checks
 * against wrk; any other address is refused so a benchmark can never load
 * a remote host by mistake.
 *
 * Model: N keep-alive connections, one request in flight on each, driven by
 * one epoll loop per thread over nonblocking sockets.  Connects are done
 * blocking (with a send timeout) because a nonblocking AF_UNIX connect fails
 * with EAGAIN on a full backlog instead of waiting, and a benchmark wants to
 * wait.  Responses are read by a strict incremental reader: status line,
 * headers bounded to 16 KiB, framing by Content-Length or chunked; anything
 * else (no framing, bare LF, obs-fold, bytes after the response, EOF, a
 * timeout) counts the request as an error and the connection is reopened.
 * A response that says "Connection: close" (or an HTTP/1.0 one without
 * keep-alive) is the server asking for a new connection, as trustedged's
 * API process does while it drains after a reload: it counts as ok, the
 * next request goes on a fresh connection, and the JSON says how often that
 * happened (server_closes).  EOF while a request is in flight stays an
 * error.
 * Every issued request ends exactly once, as ok or as one error kind, so
 * `requests` is exact in --requests mode.
 *
 * Latency is send-start to last body byte, CLOCK_MONOTONIC, kept in a
 * log-linear histogram (64 sub-buckets per power of two: <= 1.6 % error,
 * fixed 30 KiB per thread whatever the run length); min, max and mean are
 * exact.
 *
 * Usage: te-loadgen (--unix PATH | --tcp HOST:PORT) [--connections N]
 *        [--requests N | --duration S] [--method POST|GET] [--path P]
 *        [--body-file F] [--header 'K: V']... [--expect-status CODE]
 *        [--timeout S] [--threads N] [--label NAME] [--json OUT]
 *        [--allow-errors]
 * Exit: 0 ok, 1 errors (unless --allow-errors) or a fatal failure, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS     1024
#define MAX_THREADS   64
#define MAX_HEADERS   8
#define HDR_MAX       (16 * 1024)      /* response head (and trailers) limit */
#define RBUF_SIZE     (HDR_MAX + 1024) /* room to see that a head is too big */
#define CHUNK_LINE    1024             /* longest chunk-size line accepted */
#define BODY_FILE_MAX (1024 * 1024)
#define LENGTH_MAX    (1ull << 32) /* larger Content-Length: surely garbage */
#define CONNECT_FAILS 1000         /* consecutive failures before giving up */
#define NS            1000000000ull

/* Histogram: values < 128 ns exact, then 64 buckets per power of two. */
#define H_SUB     64
#define H_BUCKETS (H_SUB * 59)

enum { R_HEAD, R_BODY, R_CHUNK_SIZE, R_CHUNK_DATA, R_CHUNK_CRLF, R_TRAILER };
enum { P_MORE, P_DONE, P_ERROR };

enum err_kind {
	E_CONNECT,
	E_IO,
	E_EOF,
	E_PARSE,
	E_HEADER_SIZE,
	E_STATUS,
	E_TIMEOUT,
	E_COUNT
};
static const char *const err_names[E_COUNT] = {
    "connect", "io", "eof", "malformed", "header_too_large", "status", "timeout",
};

typedef struct conn {
	int fd; /* -1: finished (no more requests to issue) */
	int busy;
	int want_out; /* EPOLLOUT registered: the request is partly written */
	size_t sent;
	uint64_t t0;
	/* response reader */
	int st, status, close_after, err;
	size_t len, pos, scan, trailer;
	uint64_t remain;
	unsigned char buf[RBUF_SIZE];
} conn;

typedef struct worker {
	pthread_t tid;
	int ep;
	conn *conns;
	size_t n, active;
	unsigned fails; /* consecutive connect failures */
	uint64_t ok, errs[E_COUNT];
	uint64_t server_closes; /* responses that said Connection: close */
	uint64_t lat_min, lat_max, lat_sum, end;
	uint64_t hist[H_BUCKETS];
} worker;

static struct {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int tcp;
	char target[160];
	const char *method, *path, *label;
	char *req;
	size_t req_len;
	unsigned long connections, threads, total, duration, expect, timeout;
	uint64_t start, deadline;
	atomic_ulong issued;
	atomic_int fatal;
} g;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static unsigned hist_index(uint64_t v)
{
	unsigned shift;

	if (v < 2 * H_SUB)
		return (unsigned)v;
	shift = (unsigned)(63 - __builtin_clzll(v)) - 6;
	return H_SUB * shift + (unsigned)(v >> shift);
}

/* The middle of a bucket, so a percentile is off by at most half a bucket. */
static uint64_t hist_value(unsigned idx)
{
	unsigned shift;

	if (idx < 2 * H_SUB)
		return idx;
	shift = idx / H_SUB - 1;
	return ((uint64_t)(idx - H_SUB * shift) << shift) + ((1ull << shift) >> 1);
}

static uint64_t hist_pct(const uint64_t *h, uint64_t n, double p)
{
	uint64_t want = (uint64_t)(p * (double)n + 0.999999), seen = 0;

	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < H_BUCKETS; i++) {
		seen += h[i];
		if (seen >= want)
			return hist_value(i);
	}
	return 0;
}

/* ---- response reader ---------------------------------------------------- */

static int is_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Field values and reason phrases: VCHAR, SP, HTAB, obs-text; no controls. */
static int is_text(unsigned char ch)
{
	return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static const unsigned char *find_crlf(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n')
			return p + i;
	return NULL;
}

static int token_eq(const unsigned char *v, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp((const char *)v, word, n) == 0;
}

/* Does a comma-separated Connection value list `word`? */
static int list_has(const unsigned char *v, size_t n, const char *word)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && token_eq(v + s, e - s, word))
			return 1;
	}
	return 0;
}

/* Parses the head p[0..n), which ends with CRLF CRLF; sets the framing. */
static int parse_head(conn *c, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n - 2, *line = p, *eol;
	int have_cl = 0, chunked = 0, http10;
	uint64_t cl = 0;

	eol = find_crlf(line, (size_t)(end - line) + 2);
	/* HTTP-version SP 3DIGIT SP [reason] */
	if (eol - line < 12 || memcmp(line, "HTTP/1.", 7) != 0 ||
	    (line[7] != '0' && line[7] != '1') || line[8] != ' ' || line[9] < '1' ||
	    line[9] > '5' || line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9')
		return -1;
	if (eol - line > 12 && line[12] != ' ')
		return -1;
	for (const unsigned char *q = line + 12; q < eol; q++)
		if (!is_text(*q))
			return -1;
	http10 = line[7] == '0';
	c->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	c->close_after = http10;

	for (line = eol + 2; line < end; line = eol + 2) {
		const unsigned char *name = line, *colon, *v, *ve;

		eol = find_crlf(line, (size_t)(end - line) + 2);
		/* A leading SP/HTAB would be obs-fold: refused, as RFC 9112 allows. */
		for (colon = name; colon < eol && is_tchar(*colon); colon++)
			;
		if (colon == name || colon == eol || *colon != ':')
			return -1;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		for (const unsigned char *q = v; q < ve; q++)
			if (!is_text(*q))
				return -1;
		if (token_eq(name, (size_t)(colon - name), "content-length")) {
			uint64_t x = 0;

			if (v == ve)
				return -1;
			for (const unsigned char *q = v; q < ve; q++) {
				if (*q < '0' || *q > '9')
					return -1;
				x = x * 10 + (uint64_t)(*q - '0');
				if (x > LENGTH_MAX)
					return -1;
			}
			/* Differing duplicates are a smuggling vector: refuse. */
			if (have_cl && x != cl)
				return -1;
			have_cl = 1;
			cl = x;
		} else if (token_eq(name, (size_t)(colon - name), "transfer-encoding")) {
			if (chunked || !token_eq(v, (size_t)(ve - v), "chunked"))
				return -1;
			chunked = 1;
		} else if (token_eq(name, (size_t)(colon - name), "connection")) {
			if (list_has(v, (size_t)(ve - v), "close"))
				c->close_after = 1;
			else if (http10 && list_has(v, (size_t)(ve - v), "keep-alive"))
				c->close_after = 0;
		}
	}

	/* No Expect: was sent, so an interim response is a server bug. */
	if (c->status < 200)
		return -1;
	if (c->status == 204 || c->status == 304) {
		c->st = R_BODY;
		c->remain = 0;
	} else if (chunked && have_cl) {
		return -1;
	} else if (chunked) {
		c->st = R_CHUNK_SIZE;
	} else if (have_cl) {
		c->st = R_BODY;
		c->remain = cl;
	} else {
		return -1; /* read-until-close framing cannot be timed per request */
	}
	return 0;
}

static int fail_with(conn *c, int kind)
{
	c->err = kind;
	return P_ERROR;
}

/* Consumes what is buffered; P_DONE when one whole response was read. */
static int parse(conn *c)
{
	for (;;) {
		const unsigned char *p = c->buf + c->pos, *eol;
		size_t avail = c->len - c->pos, take;

		switch (c->st) {
		case R_HEAD: {
			size_t from = c->scan > 3 ? c->scan - 3 : 0, hlen;

			eol = NULL;
			for (size_t i = from; i + 3 < avail; i++)
				if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
				    p[i + 3] == '\n') {
					eol = p + i;
					break;
				}
			if (eol == NULL) {
				c->scan = avail;
				return avail >= HDR_MAX ? fail_with(c, E_HEADER_SIZE) : P_MORE;
			}
			hlen = (size_t)(eol - p) + 4;
			if (hlen > HDR_MAX)
				return fail_with(c, E_HEADER_SIZE);
			if (parse_head(c, p, hlen) != 0)
				return fail_with(c, E_PARSE);
			c->pos += hlen;
			c->scan = 0;
			break;
		}
		case R_BODY:
		case R_CHUNK_DATA:
			take = avail < c->remain ? avail : (size_t)c->remain;
			c->pos += take;
			c->remain -= take;
			if (c->remain > 0)
				return P_MORE;
			if (c->st == R_BODY)
				return P_DONE;
			c->st = R_CHUNK_CRLF;
			break;
		case R_CHUNK_CRLF:
			if (avail < 2)
				return P_MORE;
			if (p[0] != '\r' || p[1] != '\n')
				return fail_with(c, E_PARSE);
			c->pos += 2;
			c->st = R_CHUNK_SIZE;
			break;
		case R_CHUNK_SIZE: {
			uint64_t x = 0;
			size_t i = 0, n;

			eol = find_crlf(p, avail);
			if (eol == NULL)
				return avail > CHUNK_LINE ? fail_with(c, E_PARSE) : P_MORE;
			n = (size_t)(eol - p);
			for (; i < n; i++) {
				int d;

				if (p[i] >= '0' && p[i] <= '9')
					d = p[i] - '0';
				else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
					d = (p[i] | 0x20) - 'a' + 10;
				else
					break;
				x = x * 16 + (uint64_t)d;
				if (x > LENGTH_MAX)
					return fail_with(c, E_PARSE);
			}
			/* At least one digit, then the end or a chunk extension. */
			if (i == 0 || n > CHUNK_LINE || (i < n && p[i] != ';'))
				return fail_with(c, E_PARSE);
			for (; i < n; i++)
				if (!is_text(p[i]))
					return fail_with(c, E_PARSE);
			c->pos += n + 2;
			c->remain = x;
			c->st = x == 0 ? R_TRAILER : R_CHUNK_DATA;
			break;
		}
		case R_TRAILER:
			eol = find_crlf(p, avail);
			if (eol == NULL)
				return c->trailer + avail > HDR_MAX ? fail_with(c, E_HEADER_SIZE)
				                                    : P_MORE;
			c->trailer += (size_t)(eol - p) + 2;
			if (c->trailer > HDR_MAX)
				return fail_with(c, E_HEADER_SIZE);
			c->pos += (size_t)(eol - p) + 2;
			if (eol == p)
				return P_DONE;
			break;
		default:
			return fail_with(c, E_PARSE);
		}
	}
}

/* ---- connections -------------------------------------------------------- */

/* Takes one request from the budget; 0 when the run is over. */
static int claim(void)
{
	if (atomic_load(&g.fatal))
		return 0;
	if (g.duration > 0)
		return now_ns() < g.deadline;
	return atomic_fetch_add(&g.issued, 1) < g.total;
}

static int conn_open(worker *w, conn *c)
{
	struct timeval tv = {5, 0};
	struct epoll_event ev;
	int fd, one = 1;

	fd = socket(g.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Bounds a blocking connect to a server that stopped accepting. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&g.addr, g.addr_len) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (g.tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->want_out = 0;
	return 0;
}

static void conn_close(conn *c)
{
	/* close() drops the fd from the epoll set: it is never dup'ed. */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->busy = 0;
}

static void conn_finish(worker *w, conn *c)
{
	conn_close(c);
	w->active--;
}

static void set_out(worker *w, conn *c, int on)
{
	struct epoll_event ev;

	if (c->want_out == on)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
	ev.data.ptr = c;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = on;
}

/* 0 when the request is written or waiting for EPOLLOUT, -1 on an error. */
static int try_send(worker *w, conn *c)
{
	while (c->sent < g.req_len) {
		ssize_t r = send(c->fd, g.req + c->sent, g.req_len - c->sent, MSG_NOSIGNAL);

		if (r > 0) {
			c->sent += (size_t)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_out(w, c, 1);
			return 0;
		} else {
			return -1;
		}
	}
	set_out(w, c, 0);
	return 0;
}

/* Sends the next request; the caller has claimed it. */
static int start_request(worker *w, conn *c)
{
	c->busy = 1;
	c->sent = 0;
	c->st = R_HEAD;
	c->len = c->pos = c->scan = c->trailer = 0;
	c->remain = 0;
	c->t0 = now_ns();
	return try_send(w, c);
}

/*
 * Opens a fresh connection for the next request, if there is one.  A loop,
 * not recursion, so a server that resets every connection at once costs
 * errors, not stack.
 */
static void restart(worker *w, conn *c)
{
	conn_close(c);
	while (claim()) {
		int kind = E_CONNECT;

		if (conn_open(w, c) == 0) {
			if (start_request(w, c) == 0) {
				w->fails = 0;
				return;
			}
			kind = E_IO;
			conn_close(c);
		}
		/* The claimed request could not even be sent. */
		w->errs[kind]++;
		if (++w->fails >= CONNECT_FAILS) {
			fprintf(stderr, "te-loadgen: %s: %u connects failed in a row (%s)\n",
			        g.target, w->fails, strerror(errno));
			atomic_store(&g.fatal, 1);
			break;
		}
	}
	conn_finish(w, c);
}

static void fail(worker *w, conn *c, int kind)
{
	w->errs[kind]++;
	restart(w, c);
}

static void complete(worker *w, conn *c)
{
	uint64_t lat = now_ns() - c->t0;

	/* Pipelining is never used, so any further byte is a framing error. */
	if (c->pos != c->len || c->sent < g.req_len) {
		fail(w, c, E_PARSE);
		return;
	}
	if ((unsigned long)c->status != g.expect) {
		w->errs[E_STATUS]++;
	} else {
		w->ok++;
		w->hist[hist_index(lat)]++;
		w->lat_sum += lat;
		if (lat > w->lat_max)
			w->lat_max = lat;
		if (lat < w->lat_min)
			w->lat_min = lat;
	}
	c->busy = 0;
	if (c->close_after) {
		/* The server closes after this response: reconnect. */
		w->server_closes++;
		restart(w, c);
	} else if (claim()) {
		if (start_request(w, c) != 0)
			fail(w, c, E_IO);
	} else {
		conn_finish(w, c);
	}
}

static void on_readable(worker *w, conn *c)
{
	ssize_t r;

	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			fail(w, c, E_IO);
		return;
	}
	if (r == 0) {
		/* Between requests a server may close; mid-request it is an error. */
		if (c->busy)
			fail(w, c, E_EOF);
		else
			restart(w, c);
		return;
	}
	if (!c->busy) {
		fail(w, c, E_PARSE);
		return;
	}
	c->len += (size_t)r;
	switch (parse(c)) {
	case P_DONE:
		complete(w, c);
		break;
	case P_ERROR:
		fail(w, c, c->err);
		break;
	default:
		break;
	}
}

static void scan_timeouts(worker *w, uint64_t now)
{
	for (size_t i = 0; i < w->n; i++) {
		conn *c = &w->conns[i];

		if (c->fd >= 0 && c->busy && now - c->t0 > g.timeout * NS)
			fail(w, c, E_TIMEOUT);
	}
}

static void *worker_run(void *arg)
{
	worker *w = arg;
	struct epoll_event evs[256];
	uint64_t last_scan = now_ns();

	for (size_t i = 0; i < w->n; i++) {
		if (w->conns[i].fd < 0)
			continue;
		if (!claim())
			conn_finish(w, &w->conns[i]);
		else if (start_request(w, &w->conns[i]) != 0)
			fail(w, &w->conns[i], E_IO);
	}
	while (w->active > 0 && !atomic_load(&g.fatal)) {
		int n = epoll_wait(w->ep, evs, 256, 50);
		uint64_t now;

		if (n < 0 && errno != EINTR) {
			perror("te-loadgen: epoll_wait");
			atomic_store(&g.fatal, 1);
			break;
		}
		/* Events are hints only: a connection reopened earlier in this
		 * batch just sees EAGAIN from a stale one. */
		for (int i = 0; i < n; i++) {
			conn *c = evs[i].data.ptr;

			if (c->fd >= 0 && (evs[i].events & EPOLLOUT) && c->busy &&
			    c->sent < g.req_len && try_send(w, c) != 0)
				fail(w, c, E_IO);
			if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				on_readable(w, c);
		}
		now = now_ns();
		if (g.duration > 0 && now >= g.deadline)
			break; /* requests still in flight are not counted */
		if (now - last_scan > NS / 10) {
			scan_timeouts(w, now);
			last_scan = now;
		}
	}
	w->end = now_ns();
	for (size_t i = 0; i < w->n; i++)
		conn_close(&w->conns[i]);
	return NULL;
}

/* ---- setup -------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr,
	        "usage: te-loadgen (--unix PATH | --tcp HOST:PORT) [--connections N]\n"
	        "        [--requests N | --duration SECONDS] [--method POST|GET] [--path P]\n"
	        "        [--body-file FILE] [--header 'K: V']... [--expect-status CODE]\n"
	        "        [--timeout SECONDS] [--threads N] [--label NAME] [--json OUT]\n"
	        "        [--allow-errors]\n");
	return 2;
}

static int parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                       unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		goto bad;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "te-loadgen: %s wants a number in %lu..%lu, not '%s'\n", opt, lo, hi, s);
	return -1;
}

/* Only loopback: a literal 127.0.0.0/8 or ::1 address, or "localhost". */
static int set_tcp(const char *spec)
{
	char host[64];
	const char *colon, *h;
	size_t hl;
	unsigned long port;

	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (rb == NULL || rb[1] != ':')
			goto bad;
		h = spec + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			goto bad;
		h = spec;
		hl = (size_t)(colon - spec);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (parse_ulong("--tcp port", colon + 1, 1, 65535, &port) != 0)
		return -1;
	memset(&g.addr, 0, sizeof(g.addr));
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)&g.addr;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&g.addr;

		if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
			if ((ntohl(a4->sin_addr.s_addr) >> 24) != 127)
				goto remote;
			a4->sin_family = AF_INET;
			a4->sin_port = htons((uint16_t)port);
			g.addr_len = sizeof(*a4);
		} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
			if (!IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
				goto remote;
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)port);
			g.addr_len = sizeof(*a6);
		} else {
			goto remote;
		}
	}
	g.tcp = 1;
	snprintf(g.target, sizeof(g.target), "tcp:%s", spec);
	return 0;
remote:
	fprintf(stderr, "te-loadgen: refusing --tcp %s: only loopback addresses "
	                "(127.0.0.0/8, ::1, localhost) are allowed\n", spec);
	return -1;
bad:
	fprintf(stderr, "te-loadgen: --tcp wants HOST:PORT or [V6]:PORT, not '%s'\n", spec);
	return -1;
}

static int set_unix(const char *path)
{
	struct sockaddr_un *a = (struct sockaddr_un *)&g.addr;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(a->sun_path)) {
		fprintf(stderr, "te-loadgen: --unix path is empty or too long\n");
		return -1;
	}
	memset(&g.addr, 0, sizeof(g.addr));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, path, n + 1);
	g.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	snprintf(g.target, sizeof(g.target), "unix:%s", path);
	return 0;
}

static int read_body(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "te-loadgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	b = malloc(BODY_FILE_MAX + 1);
	if (b == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(b, 1, BODY_FILE_MAX + 1, f);
	if (ferror(f) || n > BODY_FILE_MAX) {
		fprintf(stderr, "te-loadgen: %s: unreadable or over 1 MiB\n", path);
		fclose(f);
		free(b);
		return -1;
	}
	fclose(f);
	*out = b;
	*len = n;
	return 0;
}

static int check_header(const char *h)
{
	const char *colon = strchr(h, ':');

	if (colon == NULL || colon == h)
		goto bad;
	for (const char *q = h; q < colon; q++)
		if (!is_tchar((unsigned char)*q))
			goto bad;
	for (const char *q = colon + 1; *q; q++)
		if (!is_text((unsigned char)*q))
			goto bad;
	return 0;
bad:
	fprintf(stderr, "te-loadgen: --header wants 'Name: value', not '%s'\n", h);
	return -1;
}

static int build_request(const char *const *hdrs, size_t nh, const char *body, size_t body_len)
{
	size_t cap = 1024 + strlen(g.path) + body_len, n;
	int host = 0, w;

	for (size_t i = 0; i < nh; i++) {
		cap += strlen(hdrs[i]) + 2;
		if (strncasecmp(hdrs[i], "host:", 5) == 0)
			host = 1;
	}
	g.req = malloc(cap);
	if (g.req == NULL)
		return -1;
	w = snprintf(g.req, cap, "%s %s HTTP/1.1\r\n%s", g.method, g.path,
	             host ? "" : "Host: localhost\r\n");
	n = (size_t)w;
	for (size_t i = 0; i < nh; i++)
		n += (size_t)snprintf(g.req + n, cap - n, "%s\r\n", hdrs[i]);
	if (body != NULL)
		n += (size_t)snprintf(g.req + n, cap - n, "Content-Type: application/json\r\n");
	if (body != NULL || strcmp(g.method, "POST") == 0)
		n += (size_t)snprintf(g.req + n, cap - n, "Content-Length: %zu\r\n", body_len);
	n += (size_t)snprintf(g.req + n, cap - n, "\r\n");
	if (body_len > 0)
		memcpy(g.req + n, body, body_len);
	g.req_len = n + body_len;
	return 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

typedef struct summary {
	uint64_t ok, errors, requests, errs[E_COUNT], server_closes;
	double elapsed, rate, min, mean, p50, p90, p99, p999, max; /* ms */
} summary;

static int write_json(const char *path, const summary *s)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "te-loadgen: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"benchmark\": \"loadgen\",\n  \"label\": ");
	json_str(f, g.label);
	fprintf(f, ",\n  \"target\": ");
	json_str(f, g.target);
	fprintf(f, ",\n  \"method\": ");
	json_str(f, g.method);
	fprintf(f, ",\n  \"path\": ");
	json_str(f, g.path);
	fprintf(f,
	        ",\n  \"connections\": %lu,\n  \"threads\": %lu,\n"
	        "  \"mode\": \"%s\",\n  \"requests\": %" PRIu64 ",\n  \"ok\": %" PRIu64
	        ",\n  \"errors\": %" PRIu64 ",\n  \"errors_by_kind\": {",
	        g.connections, g.threads, g.duration > 0 ? "duration" : "requests", s->requests,
	        s->ok, s->errors);
	for (int k = 0; k < E_COUNT; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", err_names[k], s->errs[k]);
	fprintf(f, "},\n  \"server_closes\": %" PRIu64, s->server_closes);
	fprintf(f,
	        ",\n  \"elapsed_s\": %.4f,\n  \"rate\": %.1f,\n  \"rate_unit\": \"req/s\",\n"
	        "  \"latency_unit\": \"ms\",\n  \"latency\": {\"min\": %.4f, \"mean\": %.4f, "
	        "\"p50\": %.4f, \"p90\": %.4f, \"p99\": %.4f, \"p999\": %.4f, \"max\": %.4f},\n"
	        "  \"method_note\": \"rate is successful responses per second of the run; latency "
	        "is send start to last body byte of successful responses, log-linear histogram "
	        "(<= 1.6%% bucket error), min/mean/max exact\"\n}\n",
	        s->elapsed, s->rate, s->min, s->mean, s->p50, s->p90, s->p99, s->p999, s->max);
	return fclose(f) == 0 ? 0 : -1;
}

static void raise_fd_limit(unsigned long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	const char *hdrs[MAX_HEADERS], *body_file = NULL, *json = NULL;
	size_t nh = 0, body_len = 0;
	char *body = NULL;
	int allow_errors = 0, have_target = 0, rc;
	worker *ws;
	summary s;
	uint64_t hist[H_BUCKETS];

	memset(&s, 0, sizeof(s));
	g.method = "GET";
	g.path = "/";
	g.label = "loadgen";
	g.connections = 1;
	g.threads = 1;
	g.expect = 200;
	g.timeout = 10;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--allow-errors") == 0) {
			allow_errors = 1;
			continue;
		}
		if (v == NULL || strncmp(o, "--", 2) != 0)
			return usage();
		i++;
		if (strcmp(o, "--unix") == 0 || strcmp(o, "--tcp") == 0) {
			if (have_target++ ||
			    (o[2] == 'u' ? set_unix(v) : set_tcp(v)) != 0)
				return 2;
		} else if (strcmp(o, "--connections") == 0) {
			if (parse_ulong(o, v, 1, MAX_CONNS, &g.connections) != 0)
				return 2;
		} else if (strcmp(o, "--requests") == 0) {
			if (parse_ulong(o, v, 1, 1000000000000ul, &g.total) != 0)
				return 2;
		} else if (strcmp(o, "--duration") == 0) {
			if (parse_ulong(o, v, 1, 86400, &g.duration) != 0)
				return 2;
		} else if (strcmp(o, "--timeout") == 0) {
			if (parse_ulong(o, v, 1, 3600, &g.timeout) != 0)
				return 2;
		} else if (strcmp(o, "--threads") == 0) {
			if (parse_ulong(o, v, 1, MAX_THREADS, &g.threads) != 0)
				return 2;
		} else if (strcmp(o, "--expect-status") == 0) {
			if (parse_ulong(o, v, 100, 599, &g.expect) != 0)
				return 2;
		} else if (strcmp(o, "--method") == 0) {
			if (strcmp(v, "POST") != 0 && strcmp(v, "GET") != 0)
				return usage();
			g.method = v;
		} else if (strcmp(o, "--path") == 0) {
			if (v[0] != '/' || strpbrk(v, " \t\r\n") != NULL) {
				fprintf(stderr, "te-loadgen: --path must start with / and have no "
				                "spaces\n");
				return 2;
			}
			g.path = v;
		} else if (strcmp(o, "--header") == 0) {
			if (nh == MAX_HEADERS || check_header(v) != 0)
				return 2;
			hdrs[nh++] = v;
		} else if (strcmp(o, "--body-file") == 0) {
			body_file = v;
		} else if (strcmp(o, "--json") == 0) {
			json = v;
		} else if (strcmp(o, "--label") == 0) {
			g.label = v;
		} else {
			return usage();
		}
	}
	if (!have_target || (g.total == 0) == (g.duration == 0)) {
		fprintf(stderr, "te-loadgen: need --unix or --tcp, and one of --requests or "
		                "--duration\n");
		return usage();
	}
	if (g.total > 0 && g.connections > g.total)
		g.connections = g.total; /* idle connections would skew nothing but waste */
	if (g.threads > g.connections)
		g.threads = g.connections;
	if (body_file != NULL && read_body(body_file, &body, &body_len) != 0)
		return 2;
	if (build_request(hdrs, nh, body, body_len) != 0)
		return 1;
	free(body);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit(g.connections + g.threads + 64);

	ws = calloc(g.threads, sizeof(*ws));
	if (ws == NULL)
		return 1;
	for (unsigned long t = 0; t < g.threads; t++) {
		worker *w = &ws[t];

		w->n = g.connections / g.threads + (t < g.connections % g.threads);
		w->conns = calloc(w->n, sizeof(conn));
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->lat_min = UINT64_MAX;
		if (w->conns == NULL || w->ep < 0) {
			fprintf(stderr, "te-loadgen: out of memory or fds\n");
			return 1;
		}
		for (size_t i = 0; i < w->n; i++) {
			if (conn_open(w, &w->conns[i]) != 0) {
				fprintf(stderr, "te-loadgen: cannot connect to %s: %s\n", g.target,
				        strerror(errno));
				return 1;
			}
			w->active++;
		}
	}

	g.start = now_ns();
	g.deadline = g.start + g.duration * NS;
	for (unsigned long t = 1; t < g.threads; t++)
		if (pthread_create(&ws[t].tid, NULL, worker_run, &ws[t]) != 0) {
			fprintf(stderr, "te-loadgen: cannot start a thread\n");
			return 1;
		}
	worker_run(&ws[0]);
	for (unsigned long t = 1; t < g.threads; t++)
		pthread_join(ws[t].tid, NULL);

	memset(hist, 0, sizeof(hist));
	{
		uint64_t end = 0, lat_sum = 0, lat_min = UINT64_MAX, lat_max = 0;

		for (unsigned long t = 0; t < g.threads; t++) {
			worker *w = &ws[t];

			s.ok += w->ok;
			s.server_closes += w->server_closes;
			for (int k = 0; k < E_COUNT; k++) {
				s.errs[k] += w->errs[k];
				s.errors += w->errs[k];
			}
			for (unsigned i = 0; i < H_BUCKETS; i++)
				hist[i] += w->hist[i];
			lat_sum += w->lat_sum;
			if (w->lat_min < lat_min)
				lat_min = w->lat_min;
			if (w->lat_max > lat_max)
				lat_max = w->lat_max;
			if (w->end > end)
				end = w->end;
			close(w->ep);
			free(w->conns);
		}
		if (g.duration > 0 && end > g.deadline)
			end = g.deadline;
		s.requests = s.ok + s.errors;
		s.elapsed = (double)(end - g.start) / 1e9;
		s.rate = s.elapsed > 0 ? (double)s.ok / s.elapsed : 0;
		if (s.ok > 0) {
			s.min = (double)lat_min / 1e6;
			s.max = (double)lat_max / 1e6;
			s.mean = (double)lat_sum / (double)s.ok / 1e6;
			s.p50 = (double)hist_pct(hist, s.ok, 0.50) / 1e6;
			s.p90 = (double)hist_pct(hist, s.ok, 0.90) / 1e6;
			s.p99 = (double)hist_pct(hist, s.ok, 0.99) / 1e6;
			s.p999 = (double)hist_pct(hist, s.ok, 0.999) / 1e6;
		}
	}
	free(ws);
	free(g.req);

	printf("requests: %" PRIu64 ", errors: %" PRIu64 ", rate: %.0f req/s, p50: %.3f ms, "
	       "p90: %.3f ms, p99: %.3f ms, max: %.3f ms\n",
	       s.requests, s.errors, s.rate, s.p50, s.p90, s.p99, s.max);
	fflush(stdout);
	if (s.errors > 0) {
		fprintf(stderr, "te-loadgen: errors by kind:");
		for (int k = 0; k < E_COUNT; k++)
			if (s.errs[k] > 0)
				fprintf(stderr, " %s %" PRIu64, err_names[k], s.errs[k]);
		fprintf(stderr, "\n");
	}
	rc = 0;
	if (json != NULL && write_json(json, &s) != 0)
		rc = 1;
	if (atomic_load(&g.fatal) || (s.errors > 0 && !allow_errors))
		rc = 1;
	return rc;
}
