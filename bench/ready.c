/*
 * ready.c - te-ready: start-to-ready time and idle memory of a daemon that
 * says it is ready with sd_notify(3), the way systemd sees it.
 *
 * It binds an AF_UNIX datagram socket in a temp dir, puts its path in
 * NOTIFY_SOCKET, takes CLOCK_MONOTONIC and fork+execs the command; the
 * start-to-ready time runs from just before the fork to the arrival of a
 * datagram with a "READY=1" line.  After an idle pause it reads VmRSS (and
 * Pss, which shares the pages a fork left common among the processes that
 * map them, so the Pss of a process tree adds up to its real footprint) of
 * the daemon and of each of its children, then stops it with SIGTERM and
 * waits (SIGKILL after --stop-timeout).  PSS divides a library's pages
 * among every process on the machine that maps them, so it moves with what
 * else runs; RssAnon (heap, stacks, locked buffers) is the daemon's own.
 *
 * Usage: te-ready [--timeout S] [--idle MS] [--stop-timeout S] [--log FILE]
 *                 [--notify-uid UID] -- COMMAND [ARG]...
 * --notify-uid gives the notify socket to UID (mode 0600, its dir 0711),
 * for a daemon started as another user (e.g. through setpriv) while
 * te-ready, as root, can still read the memory figures of a process that
 * made itself non-dumpable.
 * Prints, one per line:
 *   ready: X ms
 *   rss: pid P threads T rss K KiB pss K KiB anon K KiB file K KiB
 *        (the daemon, then its children by pid; pss -1 when unreadable:
 *        a non-dumpable process of another user)
 *   rss.total: K KiB pss.total: K KiB anon.total: K KiB
 *   stop: X ms exit S                          (S: status, or "signal N")
 * Exit: 0 ok; 1 not ready in time, the daemon died first, or a failure of
 * our own; 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 64
#define DGRAM_MAX 4096

typedef struct proc_mem {
	pid_t pid;
	long threads, rss_kib, pss_kib, anon_kib, file_kib;
} proc_mem;

static char tmpdir[64];
static char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: te-ready [--timeout S] [--idle MS] [--stop-timeout S] "
	                "[--log FILE] [--notify-uid UID] -- COMMAND [ARG]...\n");
	return 2;
}

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "te-ready: %s wants a number in %ld..%ld, not '%s'\n", opt, lo, hi,
		        s);
		return -1;
	}
	*out = v;
	return 0;
}

static void cleanup(void)
{
	if (sockpath[0] != '\0')
		unlink(sockpath);
	if (tmpdir[0] != '\0')
		rmdir(tmpdir);
}

/* The bound notify socket; its path goes in NOTIFY_SOCKET.  uid >= 0:
 * the socket is that user's, so a daemon running as it can send. */
static int notify_socket(long uid)
{
	struct sockaddr_un sa;
	const char *base = getenv("TMPDIR");
	int fd;

	if (base == NULL || base[0] == '\0' || strlen(base) > 30)
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/te-ready-XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "te-ready: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		tmpdir[0] = '\0';
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sockpath, sizeof(sockpath), "%s/notify", tmpdir);
	memcpy(sa.sun_path, sockpath, strlen(sockpath) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "te-ready: notify socket %s: %s\n", sockpath, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (uid >= 0 && (chmod(tmpdir, 0711) != 0 || chmod(sockpath, 0600) != 0 ||
	                 chown(sockpath, (uid_t)uid, (gid_t)-1) != 0)) {
		fprintf(stderr, "te-ready: giving %s to uid %ld: %s\n", sockpath, uid,
		        strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 when the datagram has a line that is exactly READY=1. */
static int has_ready(const char *msg, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && msg[j] != '\n')
			j++;
		if (j - i == 7 && memcmp(msg + i, "READY=1", 7) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

/* Reads "Key:   N kB" from a /proc file; -1 if absent. */
static long proc_field(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void proc_read(pid_t pid, proc_mem *m)
{
	m->pid = pid;
	m->threads = proc_field(pid, "status", "Threads");
	m->rss_kib = proc_field(pid, "status", "VmRSS");
	m->pss_kib = proc_field(pid, "smaps_rollup", "Pss");
	m->anon_kib = proc_field(pid, "status", "RssAnon");
	m->file_kib = proc_field(pid, "status", "RssFile");
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The direct children of pid, by scanning /proc for PPid (the children
 * file of /proc/PID/task/TID only lists those that thread forked). */
static size_t children_of(pid_t pid, pid_t *out, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < cap) {
		char *end = NULL;
		long p = strtol(e->d_name, &end, 10);

		if (end == e->d_name || *end != '\0' || p <= 0)
			continue;
		if (proc_field((pid_t)p, "status", "PPid") == (long)pid)
			out[n++] = (pid_t)p;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), pid_cmp);
	return n;
}

static int report_memory(pid_t pid)
{
	pid_t kids[MAX_PROCS];
	proc_mem m;
	size_t n = children_of(pid, kids, MAX_PROCS);
	long rss = 0, pss = 0, anon = 0;

	for (size_t i = 0; i <= n; i++) {
		proc_read(i == 0 ? pid : kids[i - 1], &m);
		if (m.rss_kib < 0) {
			fprintf(stderr, "te-ready: cannot read the memory of pid %d\n", (int)m.pid);
			return -1;
		}
		printf(
		    "rss: pid %d threads %ld rss %ld KiB pss %ld KiB anon %ld KiB file %ld KiB\n",
		    (int)m.pid, m.threads, m.rss_kib, m.pss_kib, m.anon_kib, m.file_kib);
		rss += m.rss_kib;
		anon += m.anon_kib;
		if (pss >= 0)
			pss = m.pss_kib < 0 ? -1 : pss + m.pss_kib;
	}
	printf("rss.total: %ld KiB pss.total: %ld KiB anon.total: %ld KiB\n", rss, pss, anon);
	return 0;
}

/* SIGTERM, wait up to timeout_s, then SIGKILL.  Prints the stop line. */
static void stop(pid_t pid, long timeout_s)
{
	uint64_t t0 = now_ns(), limit = (uint64_t)timeout_s * 1000000000ull;
	int st = 0, killed = 0;
	pid_t r;

	kill(pid, SIGTERM);
	while ((r = waitpid(pid, &st, WNOHANG)) == 0) {
		if (!killed && now_ns() - t0 > limit) {
			fprintf(stderr,
			        "te-ready: pid %d still running %ld s after SIGTERM: "
			        "SIGKILL\n",
			        (int)pid, timeout_s);
			kill(pid, SIGKILL);
			killed = 1;
		}
		(void)poll(NULL, 0, 5);
	}
	if (r < 0) {
		fprintf(stderr, "te-ready: waitpid: %s\n", strerror(errno));
		return;
	}
	if (WIFSIGNALED(st))
		printf("stop: %.1f ms exit signal %d\n", (double)(now_ns() - t0) / 1e6,
		       WTERMSIG(st));
	else
		printf("stop: %.1f ms exit %d\n", (double)(now_ns() - t0) / 1e6, WEXITSTATUS(st));
}

/* Waits for READY=1 on fd; 0 with the time, -1 on timeout or death. */
static int wait_ready(int fd, pid_t pid, uint64_t t0, long timeout_s, double *ms)
{
	uint64_t limit = (uint64_t)timeout_s * 1000000000ull;
	char buf[DGRAM_MAX];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
		uint64_t t = now_ns();
		int st;

		if (t - t0 > limit) {
			fprintf(stderr, "te-ready: no READY=1 within %ld s\n", timeout_s);
			return -1;
		}
		/* A short slice so a daemon that dies is seen quickly; the
		 * datagram itself wakes poll at once. */
		if (poll(&p, 1, 10) > 0) {
			ssize_t n;

			while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
				if (has_ready(buf, (size_t)n)) {
					*ms = (double)(now_ns() - t0) / 1e6;
					return 0;
				}
			}
			if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "te-ready: recv: %s\n", strerror(errno));
				return -1;
			}
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "te-ready: the daemon exited (%s %d) before READY=1\n",
			        WIFSIGNALED(st) ? "signal" : "status",
			        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			return -2;
		}
	}
}

int main(int argc, char **argv)
{
	long timeout_s = 30, idle_ms = 1000, stop_timeout_s = 15, notify_uid = -1;
	const char *log = NULL;
	int i, fd, rc = 1, ready_rc;
	double ms = 0;
	uint64_t t0;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--") == 0) {
			i++;
			break;
		}
		if (v == NULL)
			return usage();
		i++;
		if (strcmp(o, "--timeout") == 0) {
			if (parse_long(o, v, 1, 3600, &timeout_s) != 0)
				return 2;
		} else if (strcmp(o, "--idle") == 0) {
			if (parse_long(o, v, 0, 600000, &idle_ms) != 0)
				return 2;
		} else if (strcmp(o, "--stop-timeout") == 0) {
			if (parse_long(o, v, 1, 3600, &stop_timeout_s) != 0)
				return 2;
		} else if (strcmp(o, "--notify-uid") == 0) {
			if (parse_long(o, v, 0, 0x7fffffffL, &notify_uid) != 0)
				return 2;
		} else if (strcmp(o, "--log") == 0) {
			log = v;
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();

	fd = notify_socket(notify_uid);
	if (fd < 0) {
		cleanup();
		return 1;
	}
	if (setenv("NOTIFY_SOCKET", sockpath, 1) != 0) {
		fprintf(stderr, "te-ready: setenv: %s\n", strerror(errno));
		goto out;
	}
	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "te-ready: fork: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (log != NULL) {
			int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

			if (lfd < 0 || dup2(lfd, STDERR_FILENO) < 0) {
				fprintf(stderr, "te-ready: %s: %s\n", log, strerror(errno));
				_exit(127);
			}
		}
		execvp(argv[i], argv + i);
		fprintf(stderr, "te-ready: exec %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	ready_rc = wait_ready(fd, pid, t0, timeout_s, &ms);
	if (ready_rc == -2)
		goto out;
	if (ready_rc == 0) {
		printf("ready: %.2f ms\n", ms);
		fflush(stdout);
		if (idle_ms > 0)
			(void)poll(NULL, 0, (int)idle_ms);
		rc = report_memory(pid) == 0 ? 0 : 1;
	}
	stop(pid, stop_timeout_s);
out:
	close(fd);
	cleanup();
	return rc;
}
