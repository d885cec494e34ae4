/*
 * test_sandbox.c - daemon.sandbox: the API process's confinement
 * (daemon/sandbox.h).
 *
 * Every case forks a child that confines itself; the parent judges it by
 * its wait status.  Work the API process does must still succeed (the
 * child exits 0 with exit(3), so the sanitizer build's leak check runs
 * inside the filter too), including libmicrohttpd serving requests on a
 * Unix socket from threads started before and after the filter; each
 * forbidden action must kill the child with SIGSYS.  The uid/gid drop
 * cases need root and are skipped without it.  Children never call
 * cmocka: a failed check writes a line to stderr and exits 99.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/te_log.h"
#include "daemon/sandbox.h"
#include "testutil.h"

/* The sanitizer build allows ptrace and a few prctl options for LSan
 * (sandbox.c); the release build must refuse them. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifndef SANITIZER_BUILD
#define SANITIZER_BUILD 0
#endif

#define NOBODY      65534
#define CHILD_FAIL  99
#define HTTP_ROUNDS 4

/* In a child: report a failed check and exit without cmocka. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			child_fail(__LINE__, #cond);                                               \
		}                                                                                  \
	} while (0)

static void child_fail(int line, const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "test_sandbox.c:%d: child check failed: %s (errno %d)\n",
	                 line, what, errno);

	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg));
	_exit(CHILD_FAIL);
}

static void child_enter(void)
{
	te_err rc = te_sandbox_api_enter();

	if (rc != TE_OK) {
		te_log_err(rc, "te_sandbox_api_enter");
		_exit(CHILD_FAIL);
	}
}

/* Runs fn in a forked child and returns its wait status.  fn returning 0
 * ends the child with exit(0) (atexit handlers and LSan run), anything
 * else with _exit. */
static int run_child(int (*fn)(void *), void *arg)
{
	struct rlimit no_core = {0, 0};
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int code;

		(void)setrlimit(RLIMIT_CORE, &no_core);
		code = fn(arg);
		if (code == 0)
			exit(0);
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_exit0(int status)
{
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void assert_sigsys(int status, const char *what)
{
	if (WIFEXITED(status))
		fail_msg("%s: child exited %d instead of being killed", what, WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	if (WTERMSIG(status) != SIGSYS)
		fail_msg("%s: killed by signal %d, not SIGSYS", what, WTERMSIG(status));
}

/* The value of a "Name:\t..." line of /proc/self/status, 0 when absent.
 * Works in the sandbox (a read-only openat). */
static int proc_status(const char *name, char *out, size_t out_sz)
{
	char buf[4096], key[64];
	const char *p;
	size_t len = 0;
	ssize_t r;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	(void)snprintf(key, sizeof(key), "\n%s:", name);
	p = strstr(buf, key);
	if (p == NULL)
		return 0;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	len = strcspn(p, "\n");
	if (len >= out_sz)
		return 0;
	memcpy(out, p, len);
	out[len] = '\0';
	return 1;
}

static uint64_t proc_status_hex(const char *name)
{
	char v[64];

	if (!proc_status(name, v, sizeof(v)))
		return UINT64_MAX;
	return strtoull(v, NULL, 16);
}

static int have_caps(void)
{
	uint64_t prm = proc_status_hex("CapPrm");

	return prm != 0 && prm != UINT64_MAX;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

/* ---- allowed work ---------------------------------------------------- */

struct pair {
	int fd[2];
};

static void *thread_work(void *arg)
{
	struct pair *p = arg;
	char *big = malloc(8u << 20);
	static const char msg[] = "from a thread";

	if (big == NULL)
		return (void *)1;
	memset(big, 0x5a, 8u << 20);
	free(big);
	if (send(p->fd[0], msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
		return (void *)1;
	return NULL;
}

static int child_allowed_work(void *arg)
{
	struct pair p;
	struct pollfd pfd;
	struct epoll_event ev = {.events = EPOLLIN}, got;
	struct timespec ts = {0, 1000000};
	pthread_t t;
	void *tret = (void *)1;
	char buf[4096];
	uint8_t rnd[16];
	unsigned char *grow = NULL;
	int pipefd[2], ep, efd, fd, avail = -1, on = 1, fl;
	ssize_t n;

	(void)arg;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p.fd) == 0);
	child_enter();

	/* memory: a block large enough for mmap, and realloc growth */
	{
		char *big = malloc(64u << 20);

		CHECK(big != NULL);
		memset(big, 1, 64u << 20);
		free(big);
	}
	for (size_t sz = 4096; sz <= (16u << 20); sz *= 4) {
		unsigned char *g = realloc(grow, sz);

		CHECK(g != NULL);
		grow = g;
		memset(grow, 2, sz);
	}
	free(grow);

	/* a thread, and the socketpair made before entering */
	CHECK(pthread_create(&t, NULL, thread_work, &p) == 0);
	CHECK(pthread_join(t, &tret) == 0 && tret == NULL);
	pfd.fd = p.fd[1];
	pfd.events = POLLIN;
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN));
	CHECK(ioctl(p.fd[1], FIONREAD, &avail) == 0 && avail > 0);
	n = recv(p.fd[1], buf, sizeof(buf), 0);
	CHECK(n == (ssize_t)sizeof("from a thread") && strcmp(buf, "from a thread") == 0);
	CHECK(ioctl(p.fd[1], FIONBIO, &on) == 0);
	fl = fcntl(p.fd[1], F_GETFL);
	CHECK(fl >= 0 && (fl & O_NONBLOCK));
	CHECK(fcntl(p.fd[1], F_SETFL, fl & ~O_NONBLOCK) == 0);

	/* what libmicrohttpd makes for itself */
	CHECK(pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) == 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(efd >= 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	ev.data.fd = efd;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);
	CHECK(eventfd_write(efd, 1) == 0);
	CHECK(epoll_wait(ep, &got, 1, 5000) == 1 && got.data.fd == efd);
	close(ep);
	close(efd);
	close(pipefd[0]);
	close(pipefd[1]);

	/* /proc/<pid>/cgroup read-only, as authz does */
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf)) > 0);
	close(fd);

	/* time, randomness, stderr, signals to ourselves */
	CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000;
	CHECK(nanosleep(&ts, NULL) == 0);
	CHECK(getrandom(rnd, sizeof(rnd), 0) == (ssize_t)sizeof(rnd));
	CHECK(RAND_bytes(rnd, sizeof(rnd)) == 1);
	te_log_info("sandbox test: logging from inside the filter");
	CHECK(kill(getpid(), 0) == 0);
	CHECK(isatty(STDERR_FILENO) == 0); /* TCGETS answers ENOTTY */
	CHECK(sched_yield() == 0);

	/* clone3 answers ENOSYS so that glibc uses clone */
	errno = 0;
	CHECK(syscall(SYS_clone3, NULL, (size_t)0) == -1 && errno == ENOSYS);
	close(p.fd[0]);
	close(p.fd[1]);
	return 0;
}

static void test_allowed_work(void **state)
{
	(void)state;
	assert_exit0(run_child(child_allowed_work, NULL));
}

/* No new privileges, not dumpable, no capabilities, filter mode 2. */
static int child_privileges(void *arg)
{
	char v[64];

	child_enter();
	CHECK(proc_status("NoNewPrivs", v, sizeof(v)) && strcmp(v, "1") == 0);
	CHECK(proc_status("Seccomp", v, sizeof(v)) && strcmp(v, "2") == 0);
	CHECK(proc_status_hex("CapPrm") == 0);
	CHECK(proc_status_hex("CapEff") == 0);
	CHECK(proc_status_hex("CapInh") == 0);
	CHECK(proc_status_hex("CapAmb") == 0);
	/* The bounding set empties only with CAP_SETPCAP (root). */
	if (*(const int *)arg)
		CHECK(proc_status_hex("CapBnd") == 0);
	return 0;
}

static void test_privileges_gone(void **state)
{
	int had = have_caps();

	(void)state;
	assert_exit0(run_child(child_privileges, &had));
}

/* ---- libmicrohttpd under the filter --------------------------------- */

struct mhd_case {
	unsigned flags;
	unsigned pool;   /* MHD_OPTION_THREAD_POOL_SIZE, 0 = none */
	int start_first; /* 1: start the server, then enter (as the API process does) */
	int listen_fd;
	int ctl[2]; /* parent writes one byte: stop */
};

/* Answers every request with JSON naming the peer (SO_PEERCRED, its
 * cgroup read from /proc) and a random nonce, like the workload API. */
static enum MHD_Result mhd_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	static int marker;
	const union MHD_ConnectionInfo *ci;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	unsigned char nonce[16];
	char b64[32], path[64], cg[512] = "";
	struct MHD_Response *resp;
	enum MHD_Result r;
	json_t *j;
	char *body;
	int fd;

	(void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
	if (*con_cls == NULL) {
		*con_cls = &marker;
		return MHD_YES;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0)
		return MHD_NO;
	(void)snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)cred.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		ssize_t n = read(fd, cg, sizeof(cg) - 1);

		cg[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return MHD_NO;
	EVP_EncodeBlock((unsigned char *)b64, nonce, sizeof(nonce));
	j = json_pack("{s:I, s:s, s:b}", "pid", (json_int_t)cred.pid, "nonce", b64, "cgroup",
	              cg[0] != '\0');
	body = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (body == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

static int child_mhd(void *arg)
{
	struct mhd_case *c = arg;
	struct MHD_Daemon *d = NULL;
	char stop;

	close(c->ctl[1]);
	if (c->start_first) {
		/* Capabilities are per thread: gone before the server's
		 * threads start, or te_sandbox_api_enter refuses. */
		te_err rc = te_sandbox_caps_drop();

		CHECK(rc == TE_OK);
	} else {
		child_enter();
	}
	if (c->pool != 0)
		d = MHD_start_daemon(c->flags, 0, NULL, NULL, mhd_answer, NULL,
		                     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)c->listen_fd,
		                     MHD_OPTION_THREAD_POOL_SIZE, c->pool,
		                     MHD_OPTION_CONNECTION_TIMEOUT, 5u, MHD_OPTION_END);
	else
		d = MHD_start_daemon(c->flags, 0, NULL, NULL, mhd_answer, NULL,
		                     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)c->listen_fd,
		                     MHD_OPTION_CONNECTION_TIMEOUT, 5u, MHD_OPTION_END);
	CHECK(d != NULL);
	if (c->start_first)
		child_enter(); /* TSYNC: the server's threads are running */
	te_log_info("sandbox test: serving HTTP inside the filter");
	CHECK(read(c->ctl[0], &stop, 1) == 1);
	MHD_stop_daemon(d);
	close(c->listen_fd);
	close(c->ctl[0]);
	return 0;
}

/* One HTTP/1.1 request over the Unix socket; the response in buf. */
static void http_get(const char *sock_path, char *buf, size_t buf_sz)
{
	static const char req[] = "GET /probe HTTP/1.1\r\nHost: localhost\r\n"
	                          "Connection: close\r\n\r\n";
	struct sockaddr_un sa;
	size_t len = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(req) - 1));
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
		ssize_t n;

		assert_int_equal(poll(&p, 1, 10000), 1);
		n = recv(fd, buf + len, buf_sz - 1 - len, 0);
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
		assert_true(len < buf_sz - 1);
	}
	buf[len] = '\0';
	close(fd);
}

static void run_mhd_case(struct mhd_case *c)
{
	char *dir = tu_tempdir("sandbox");
	char *sock = tu_path(dir, "api.sock");
	char resp[4096];
	int status = 0;
	pid_t pid;

	c->listen_fd = listen_unix(sock);
	assert_int_equal(pipe2(c->ctl, O_CLOEXEC), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};

		(void)setrlimit(RLIMIT_CORE, &no_core);
		if (child_mhd(c) == 0)
			exit(0);
		_exit(CHILD_FAIL);
	}
	close(c->ctl[0]);
	for (int i = 0; i < HTTP_ROUNDS; i++) {
		http_get(sock, resp, sizeof(resp));
		if (strncmp(resp, "HTTP/1.1 200", 12) != 0 || strstr(resp, "\"nonce\":") == NULL ||
		    strstr(resp, "\"cgroup\":true") == NULL)
			fail_msg("round %d: unexpected response:\n%s", i, resp);
	}
	assert_int_equal(write(c->ctl[1], "x", 1), 1);
	close(c->ctl[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(c->listen_fd);
	free(sock);
	tu_rmtree(dir);
	assert_exit0(status);
}

/* As api.c serves today: one internal polling thread, started before the
 * filter (the threads get it through TSYNC). */
static void test_mhd_single_thread_started_first(void **state)
{
	struct mhd_case c = {
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC, 0, 1, -1, {-1, -1}};

	(void)state;
	run_mhd_case(&c);
}

/* The thread pool with epoll, started before the filter. */
static void test_mhd_pool_started_first(void **state)
{
	struct mhd_case c = {MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC, 3, 1, -1, {-1, -1}};

	(void)state;
	run_mhd_case(&c);
}

/* The thread pool with epoll, started inside the filter (its threads,
 * epoll sets and eventfds are made under it). */
static void test_mhd_pool_started_inside(void **state)
{
	struct mhd_case c = {MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC, 3, 0, -1, {-1, -1}};

	(void)state;
	run_mhd_case(&c);
}

/* ---- forbidden actions ---------------------------------------------- */

enum forbidden {
	F_OPEN_WRITE,
	F_OPEN_RDWR,
	F_OPEN_CREAT_RDONLY,
	F_OPEN_TRUNC_RDONLY,
	F_SOCKET_INET,
	F_SOCKET_UNIX,
	F_SOCKETPAIR,
	F_CONNECT_UNIX,
	F_BIND,
	F_EXECVE,
	F_FORK,
	F_PTRACE,
	F_MMAP_EXEC,
	F_MPROTECT_EXEC,
	F_KILL_OTHER,
	F_SETUID,
	F_IOCTL_TIOCSTI,
	F_FCNTL_SETOWN,
	F_PRCTL_OTHER,
	F_UNSHARE,
	F_THREAD_STARTED_BEFORE,
	F_I386_SYSCALL,
};

struct forbidden_case {
	enum forbidden what;
	const char *name;
	const char *path; /* a writable file path / a listening socket */
};

static void *thread_socket_later(void *arg)
{
	int *fds = arg;
	char go;

	if (read(fds[0], &go, 1) == 1)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	return NULL;
}

/* getpid through the i386 entry (int 0x80): another architecture, which
 * the filter must not let past its x86_64 rules.  -1 elsewhere. */
static long i386_getpid(void)
{
#if defined(__x86_64__)
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	return r;
#else
	return -1;
#endif
}

/* Unconfined: 0 when this kernel runs i386 system calls (IA32
 * emulation), so the case below means something. */
static int child_i386_works(void *arg)
{
	(void)arg;
	return i386_getpid() == (long)getpid() ? 0 : 1;
}

static int child_forbidden(void *arg)
{
	const struct forbidden_case *fc = arg;
	struct sockaddr_un sa;
	char *const argv[] = {"true", NULL};
	char *const envp[] = {NULL};
	pthread_t t;
	int pre = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t parent = getppid(); /* getppid itself is refused inside */
	int go[2];
	void *page;

	CHECK(pre >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (fc->what == F_THREAD_STARTED_BEFORE) {
		te_err rc = te_sandbox_caps_drop(); /* before the thread starts */

		CHECK(rc == TE_OK);
		CHECK(pipe2(go, O_CLOEXEC) == 0);
		CHECK(pthread_create(&t, NULL, thread_socket_later, go) == 0);
	}
	child_enter();
	switch (fc->what) {
	case F_OPEN_WRITE:
		(void)open(fc->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		break;
	case F_OPEN_RDWR:
		(void)open("/proc/self/cgroup", O_RDWR | O_CLOEXEC);
		break;
	case F_OPEN_CREAT_RDONLY:
		(void)open(fc->path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
		break;
	case F_OPEN_TRUNC_RDONLY:
		(void)open(fc->path, O_RDONLY | O_TRUNC | O_CLOEXEC);
		break;
	case F_SOCKET_INET:
		(void)socket(AF_INET, SOCK_STREAM, 0);
		break;
	case F_SOCKET_UNIX:
		(void)socket(AF_UNIX, SOCK_STREAM, 0);
		break;
	case F_SOCKETPAIR: {
		int sv[2];

		(void)socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		break;
	}
	case F_CONNECT_UNIX:
		memcpy(sa.sun_path, fc->path, strlen(fc->path) + 1);
		(void)connect(pre, (struct sockaddr *)&sa, sizeof(sa));
		break;
	case F_BIND:
		memcpy(sa.sun_path, fc->path, strlen(fc->path) + 1);
		(void)bind(pre, (struct sockaddr *)&sa, sizeof(sa));
		break;
	case F_EXECVE:
		(void)execve("/bin/true", argv, envp);
		break;
	case F_FORK: {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		break;
	}
	case F_PTRACE:
		(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		break;
	case F_MMAP_EXEC:
		(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case F_MPROTECT_EXEC:
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(page != MAP_FAILED);
		(void)mprotect(page, 4096, PROT_READ | PROT_EXEC);
		break;
	case F_KILL_OTHER:
		(void)kill(parent, 0);
		break;
	case F_SETUID:
		(void)!setuid(NOBODY);
		break;
	case F_IOCTL_TIOCSTI: {
		char c = 'x';

		(void)ioctl(STDIN_FILENO, TIOCSTI, &c);
		break;
	}
	case F_FCNTL_SETOWN:
		(void)fcntl(pre, F_SETOWN, getpid());
		break;
	case F_PRCTL_OTHER:
		(void)prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
		break;
	case F_UNSHARE:
		(void)unshare(CLONE_NEWUSER);
		break;
	case F_I386_SYSCALL:
		(void)i386_getpid();
		break;
	case F_THREAD_STARTED_BEFORE:
		CHECK(write(go[1], "x", 1) == 1);
		(void)pthread_join(t, NULL);
		break;
	default:
		break;
	}
	/* Still alive: the filter let it through. */
	_exit(0);
}

static void test_forbidden(void **state)
{
	char *dir = tu_tempdir("sandbox");
	char *file = tu_path(dir, "written");
	char *sock = tu_path(dir, "other.sock");
	char *unbound = tu_path(dir, "unbound.sock");
	int lfd = listen_unix(sock);
	static const struct {
		enum forbidden what;
		const char *name;
		int path; /* 0 none, 1 file, 2 listening socket, 3 unbound path */
	} cases[] = {
	    {F_OPEN_WRITE, "open for writing", 1},
	    {F_OPEN_RDWR, "open O_RDWR", 0},
	    {F_OPEN_CREAT_RDONLY, "open O_RDONLY|O_CREAT", 1},
	    {F_OPEN_TRUNC_RDONLY, "open O_RDONLY|O_TRUNC", 1},
	    {F_SOCKET_INET, "socket(AF_INET)", 0},
	    {F_SOCKET_UNIX, "socket(AF_UNIX)", 0},
	    {F_SOCKETPAIR, "socketpair", 0},
	    {F_CONNECT_UNIX, "connect to a Unix socket path", 2},
	    {F_BIND, "bind", 3},
	    {F_EXECVE, "execve /bin/true", 0},
	    {F_FORK, "fork", 0},
	    {F_PTRACE, "ptrace", 0},
	    {F_MMAP_EXEC, "mmap PROT_EXEC", 0},
	    {F_MPROTECT_EXEC, "mprotect PROT_EXEC", 0},
	    {F_KILL_OTHER, "kill another process", 0},
	    {F_SETUID, "setuid", 0},
	    {F_IOCTL_TIOCSTI, "ioctl TIOCSTI", 0},
	    {F_FCNTL_SETOWN, "fcntl F_SETOWN", 0},
	    {F_PRCTL_OTHER, "prctl PR_SET_KEEPCAPS", 0},
	    {F_UNSHARE, "unshare", 0},
	    {F_THREAD_STARTED_BEFORE, "socket() from a thread started before the filter", 0},
	    {F_I386_SYSCALL, "an i386 system call (int 0x80)", 0},
	};
	int i386_works;

	(void)state;
	assert_int_equal(tu_write_file(file, "x", 1), 0);
	i386_works = run_child(child_i386_works, NULL) == 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct forbidden_case fc = {cases[i].what, cases[i].name, NULL};

		/* LSan's leak check needs ptrace: allowed in that build only. */
		if (SANITIZER_BUILD && cases[i].what == F_PTRACE)
			continue;
		if (cases[i].what == F_I386_SYSCALL && !i386_works)
			continue;
		fc.path = cases[i].path == 1   ? file
		          : cases[i].path == 2 ? sock
		          : cases[i].path == 3 ? unbound
		                               : NULL;
		assert_sigsys(run_child(child_forbidden, &fc), fc.name);
	}
	close(lfd);
	free(unbound);
	free(sock);
	free(file);
	tu_rmtree(dir);
}

/* ---- capabilities held by another thread ---------------------------- */

static void *thread_wait(void *arg)
{
	int *fds = arg;
	char c;

	(void)!read(fds[0], &c, 1);
	return NULL;
}

static int child_thread_with_caps(void *arg)
{
	int fds[2];
	pthread_t t;
	te_err rc;

	(void)arg;
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	CHECK(pthread_create(&t, NULL, thread_wait, fds) == 0);
	rc = te_sandbox_api_enter();
	CHECK(rc == TE_ERR_PERMISSION);
	CHECK(strstr(te_err_detail(), "holds capabilities") != NULL);
	CHECK(write(fds[1], "x", 1) == 1);
	CHECK(pthread_join(t, NULL) == 0);
	return 0;
}

static void test_thread_with_caps_refused(void **state)
{
	(void)state;
	if (!have_caps())
		skip();
	assert_exit0(run_child(child_thread_with_caps, NULL));
}

/* ---- te_sandbox_drop_to ---------------------------------------------- */

static int child_drop_to(void *arg)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	char buf[256];
	te_err rc;
	int fd;

	(void)arg;
	rc = te_sandbox_drop_to(NOBODY, NOBODY);
	if (rc != TE_OK) {
		te_log_err(rc, "te_sandbox_drop_to");
		return CHILD_FAIL;
	}
	CHECK(getresuid(&ru, &eu, &su) == 0 && ru == NOBODY && eu == NOBODY && su == NOBODY);
	CHECK(getresgid(&rg, &eg, &sg) == 0 && rg == NOBODY && eg == NOBODY && sg == NOBODY);
	CHECK(getuid() == NOBODY);
	CHECK(getgroups(0, NULL) == 0);
	CHECK(proc_status_hex("CapPrm") == 0 && proc_status_hex("CapEff") == 0);
	errno = 0;
	CHECK(setuid(0) == -1 && errno == EPERM);
	CHECK(setgid(0) == -1 && errno == EPERM);
	/* Already there: a no-op. */
	CHECK(te_sandbox_drop_to(NOBODY, NOBODY) == TE_OK);
	/* Another user is out of reach now. */
	CHECK(te_sandbox_drop_to(NOBODY - 1, NOBODY - 1) == TE_ERR_PERMISSION);

	/* The usual order: drop, then enter; then the API process's work. */
	child_enter();
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) > 0);
	close(fd);
	CHECK(proc_status_hex("CapBnd") == 0);
	te_log_info("sandbox test: running as uid %lu inside the filter", (unsigned long)getuid());
	return 0;
}

static void test_drop_to_nobody(void **state)
{
	(void)state;
	if (geteuid() != 0 || !have_caps())
		skip();
	assert_exit0(run_child(child_drop_to, NULL));
}

static void test_drop_to_invalid(void **state)
{
	(void)state;
	assert_int_equal(te_sandbox_drop_to((uid_t)-1, 0), TE_ERR_INVALID_ARG);
	assert_int_equal(te_sandbox_drop_to(0, (gid_t)-1), TE_ERR_INVALID_ARG);
}

static int child_drop_to_self(void *arg)
{
	(void)arg;
	/* Our own ids: nothing to change, whoever runs the test. */
	CHECK(te_sandbox_drop_to(getuid(), getgid()) == TE_OK || getuid() != geteuid() ||
	      getgid() != getegid());
	return 0;
}

static void test_drop_to_self_noop(void **state)
{
	(void)state;
	assert_exit0(run_child(child_drop_to_self, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allowed_work),
	    cmocka_unit_test(test_privileges_gone),
	    cmocka_unit_test(test_mhd_single_thread_started_first),
	    cmocka_unit_test(test_mhd_pool_started_first),
	    cmocka_unit_test(test_mhd_pool_started_inside),
	    cmocka_unit_test(test_forbidden),
	    cmocka_unit_test(test_thread_with_caps_refused),
	    cmocka_unit_test(test_drop_to_nobody),
	    cmocka_unit_test(test_drop_to_invalid),
	    cmocka_unit_test(test_drop_to_self_noop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
