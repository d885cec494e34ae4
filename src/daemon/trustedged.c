/*
 * trustedged.c - the security daemon's parent process: reads the
 * configuration, opens the listening sockets, starts and supervises the
 * keys and API processes (proc.h), and handles signals:
 *
 *   SIGHUP   re-read the configuration; on success start a new pair of
 *            children with it, and once they are ready let the old API
 *            process drain (requests in flight complete, keep-alive
 *            clients are told to reconnect) while the new one accepts.
 *            A bad file is logged and the running pair keeps serving.
 *   SIGTERM  drain the API process, stop the keys process, exit 0.
 *   a child dies unexpectedly: its partner is stopped and a new pair
 *            started (at most TD_RESTARTS_MAX times a minute).
 *
 * The parent holds the listening sockets (so they survive child restarts
 * and reloads) and the parsed configuration; it never opens the HSM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/te_log.h"
#include "daemon/ipc.h"
#include "daemon/listen.h"
#include "daemon/proc.h"
#include "daemon/sdnotify.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_mem.h"

#ifndef TE_VERSION
#define TE_VERSION "0.1.0"
#endif

/* Worker threads of the API process, each with its own IPC channel.  A
 * worker waits for the keys process while it answers, and the two wake
 * each other for every request, so what bounds throughput is how many
 * requests are in flight, not CPUs: measured on 2 CPUs at 64 connections,
 * 2 workers gave 13k signs/s, 8 gave 71-79k, 16 gave 84k, 32 fewer again
 * (bench/bench_daemon.sh).  Idle channels cost no memory (their buffers
 * are made on first use). */
#define TD_THREADS_PER_CPU 8
#define TD_THREADS_MIN     4
#define TD_THREADS_MAX     16
/* How long a child may take to say it is ready (a TPM is slow). */
#define TD_READY_TIMEOUT_MS 60000
/* Child restarts allowed within a minute before the daemon gives up. */
#define TD_RESTARTS_MAX 5
/* After SIGTERM, how long a child may take before SIGKILL. */
#define TD_STOP_GRACE_MS (TE_PROC_DRAIN_MS + 5000)

typedef struct td_gen {
	te_daemon_config *dc;
	pid_t keys, api;
	int ctl_keys, ctl_api; /* -1 once read to EOF or closed */
	int keys_ready, api_ready;
	int retiring; /* replaced or stopping: its exits are expected */
} td_gen;

typedef struct td {
	const char *config_path; /* NULL in development mode */
	char *dev_root;
	te_listen_set ls;
	td_gen gens[2]; /* [0] current, [1] the one draining after a reload */
	unsigned threads;
	time_t restart_window;
	unsigned restarts;
} td;

static void td_usage(FILE *f)
{
	fprintf(f, "usage: trustedged [-c FILE | --dev DIR] [--log-level LEVEL]\n"
		   "\n"
		   "The trustedge security daemon: serves the IoT Edge workload API and\n"
		   "the key, certificate and identity service APIs on Unix sockets.\n"
		   "\n"
		   "  -c, --config FILE     configuration (default %s),\n"
		   "                        see trustedge.yaml(5)\n"
		   "      --dev DIR         development defaults rooted at DIR: software\n"
		   "                        HSM in DIR/keys, state in DIR/state, sockets\n"
		   "                        in DIR/run, generated edge CA, and a module\n"
		   "                        'dev-module' for the user running the daemon\n"
		   "  -l, --log-level LEVEL error, warn, info or debug (overrides the file)\n"
		   "  -h, --help            this text\n"
		   "  -V, --version         version\n"
		   "\n"
		   "Signals: SIGHUP reloads the configuration, SIGTERM drains and exits.\n"
		   "Exit status: 0 after SIGTERM, 1 when it cannot start or keep running,\n"
		   "2 for a usage error, 8 for a configuration error.\n",
		TE_DAEMON_CONFIG_PATH);
}

static te_log_level td_log_level(te_daemon_log_level l)
{
	switch (l) {
	case TE_DAEMON_LOG_ERROR: return TE_LOG_ERROR;
	case TE_DAEMON_LOG_WARN: return TE_LOG_WARN;
	case TE_DAEMON_LOG_DEBUG: return TE_LOG_DEBUG;
	case TE_DAEMON_LOG_INFO: break;
	default: break;
	}
	return TE_LOG_INFO;
}

static te_err td_load(const td *d, te_daemon_config **out)
{
	te_err rc;

	if (d->config_path != NULL)
		rc = te_daemon_config_load(d->config_path, out);
	else
		rc = te_daemon_config_defaults(d->dev_root, out);
	/* libyaml frees its copies of the text (a connection string's key)
	 * without wiping; M_PERTURB (main) fills most freed blocks, this the
	 * rest, before any child is forked. */
	te_heap_scrub();
	return rc;
}

static void td_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void te_proc_child_setup(const char *ident, pid_t parent)
{
	struct sigaction sa;
	sigset_t none;

	te_log_set_ident(ident);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* The parent may have died before the prctl. */
	if (getppid() != parent)
		_exit(TE_PROC_EXIT_FAIL);
}

/* In a new child: the parent's ends of every generation's control
 * sockets are none of its business. */
static void td_close_parent_fds(td *d)
{
	for (size_t i = 0; i < 2; i++) {
		td_close(&d->gens[i].ctl_keys);
		td_close(&d->gens[i].ctl_api);
	}
}

/* Forks the keys and API processes of a new generation. */
static te_err td_gen_start(td *d, td_gen *g)
{
	te_err rc = TE_OK;
	int chans[TD_THREADS_MAX][2], ctlk[2] = {-1, -1}, ctla[2] = {-1, -1};
	int keys_side[TD_THREADS_MAX], api_side[TD_THREADS_MAX];
	size_t n = 0;
	pid_t self = getpid();

	g->keys = g->api = -1;
	g->ctl_keys = g->ctl_api = -1;
	g->keys_ready = g->api_ready = g->retiring = 0;
	for (; n < d->threads; n++) {
		TE_ENSURE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chans[n]) == 0,
			  TE_ERR_IO, "socketpair: %s", strerror(errno));
		keys_side[n] = chans[n][0];
		api_side[n] = chans[n][1];
	}
	TE_ENSURE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctlk) == 0 &&
		      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctla) == 0,
		  TE_ERR_IO, "socketpair: %s", strerror(errno));

	g->keys = fork();
	TE_ENSURE(g->keys >= 0, TE_ERR_IO, "fork: %s", strerror(errno));
	if (g->keys == 0) {
		/* The keys process serves the TEE socket itself: it starts
		 * the TAs and answers their root-of-trust requests from the
		 * HSM (tee_svc.c).  A copy survives closing the set. */
		int tee = d->ls.socks[TE_DAEMON_SOCKET_TEE].fd >= 0
		              ? fcntl(d->ls.socks[TE_DAEMON_SOCKET_TEE].fd, F_DUPFD_CLOEXEC, 3)
		              : -1;

		te_proc_child_setup("trustedged-keys", self);
		td_close_parent_fds(d);
		te_listen_close_fds(&d->ls);
		for (size_t i = 0; i < n; i++)
			close(api_side[i]);
		close(ctlk[0]);
		close(ctla[0]);
		close(ctla[1]);
		_exit(te_proc_keys_main(g->dc, keys_side, n, ctlk[1], tee));
	}
	g->api = fork();
	TE_ENSURE(g->api >= 0, TE_ERR_IO, "fork: %s", strerror(errno));
	if (g->api == 0) {
		te_proc_child_setup("trustedged-api", self);
		td_close_parent_fds(d);
		/* The API process holds no secret: not the connection
		 * string's key nor a PIN it inherited with the config,
		 * its own (g is gens[0]) or the one a reload is replacing. */
		for (size_t i = 0; i < 2; i++)
			te_daemon_config_wipe_secrets(d->gens[i].dc);
		(void)mallopt(M_PERTURB, 0); /* see main() */
		for (size_t i = 0; i < n; i++)
			close(keys_side[i]);
		close(ctla[0]);
		close(ctlk[0]);
		close(ctlk[1]);
		_exit(te_proc_api_main(g->dc, &d->ls, api_side, n, ctla[1]));
	}
	g->ctl_keys = ctlk[0];
	g->ctl_api = ctla[0];
	ctlk[0] = ctla[0] = -1;
out:
	for (size_t i = 0; i < n; i++) {
		close(chans[i][0]);
		close(chans[i][1]);
	}
	td_close(&ctlk[0]);
	td_close(&ctlk[1]);
	td_close(&ctla[0]);
	td_close(&ctla[1]);
	return rc;
}

static void td_kill(pid_t pid, int sig)
{
	if (pid > 0)
		(void)kill(pid, sig);
}

/* Reads a READY (or EOF) from a child's control socket. */
static void td_read_ctl(int *fd, int *ready, const char *who)
{
	te_ipc_msg *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return;
	if (te_ipc_recv(*fd, m) == TE_OK && m->type == TE_IPC_READY) {
		*ready = 1;
		te_log_debug("%s process is ready", who);
	} else {
		td_close(fd); /* EOF: the child is exiting; SIGCHLD tells how */
	}
	free(m);
}

static int td_gen_alive(const td_gen *g)
{
	return g->keys > 0 || g->api > 0;
}

static void td_gen_free(td_gen *g)
{
	td_close(&g->ctl_keys);
	td_close(&g->ctl_api);
	te_daemon_config_free(g->dc);
	memset(g, 0, sizeof(*g));
	g->keys = g->api = -1;
	g->ctl_keys = g->ctl_api = -1;
}

/* Waits (handling control messages) until g is ready, a child of it
 * exits, or the timeout.  Signals other than SIGCHLD stay pending. */
static te_err td_gen_wait_ready(td_gen *g)
{
	te_err rc = TE_OK;
	int waited = 0;

	while (!(g->keys_ready && g->api_ready)) {
		struct pollfd p[2] = {
		    {.fd = g->ctl_keys, .events = POLLIN, .revents = 0},
		    {.fd = g->ctl_api, .events = POLLIN, .revents = 0},
		};
		int r;

		TE_ENSURE(waited < TD_READY_TIMEOUT_MS, TE_ERR_BUSY,
			  "the keys or API process did not get ready within %d s",
			  TD_READY_TIMEOUT_MS / 1000);
		r = poll(p, 2, 100);
		waited += 100;
		if (r < 0 && errno == EINTR)
			continue;
		TE_ENSURE(r >= 0, TE_ERR_IO, "poll: %s", strerror(errno));
		if (p[0].revents != 0)
			td_read_ctl(&g->ctl_keys, &g->keys_ready, "keys");
		if (p[1].revents != 0)
			td_read_ctl(&g->ctl_api, &g->api_ready, "API");
		TE_ENSURE(g->ctl_keys >= 0 || g->keys_ready, TE_ERR_IO,
			  "the keys process exited while starting (its error is logged above)");
		TE_ENSURE(g->ctl_api >= 0 || g->api_ready, TE_ERR_IO,
			  "the API process exited while starting (its error is logged above)");
	}
out:
	return rc;
}

/* Reaps children; returns 1 when one of the current generation exited
 * unexpectedly. */
static int td_reap(td *d)
{
	int crashed = 0;
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < 2; i++) {
			td_gen *g = &d->gens[i];
			const char *who = NULL;

			if (pid == g->keys) {
				who = "keys";
				g->keys = -1;
			} else if (pid == g->api) {
				who = "API";
				g->api = -1;
			} else {
				continue;
			}
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
				/* A keys process whose API partner died exits 0
				 * too: the partner's line says what happened. */
				te_log_debug("%s process %d exited", who, (int)pid);
			} else if (WIFSIGNALED(st)) {
				te_log_error("%s process %d was killed by signal %d%s", who, (int)pid,
					     WTERMSIG(st),
					     WTERMSIG(st) == SIGSYS ? " (a system call outside its "
								       "seccomp filter)"
								     : "");
			} else {
				te_log_error("%s process %d exited with status %d", who, (int)pid,
					     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			}
			if (!g->retiring)
				crashed = 1;
			/* When the API process is gone its partner has
			 * nothing left to serve. */
			if (g->api < 0)
				td_kill(g->keys, SIGTERM);
		}
	}
	return crashed;
}

/* Stops a generation: the API process drains first, the keys process
 * follows when its channels close (and is told to, to be sure). */
static void td_gen_retire(td_gen *g)
{
	g->retiring = 1;
	td_kill(g->api, SIGTERM);
}

/* Waits for every child to exit, SIGKILL after the grace period. */
static void td_wait_all(td *d)
{
	int waited = 0, killed = 0;

	for (;;) {
		int alive = 0;

		(void)td_reap(d);
		for (size_t i = 0; i < 2; i++)
			alive |= td_gen_alive(&d->gens[i]);
		if (!alive)
			return;
		if (waited >= TD_STOP_GRACE_MS && !killed) {
			te_log_warn("children still running after %d ms: killing them",
				    TD_STOP_GRACE_MS);
			for (size_t i = 0; i < 2; i++) {
				td_kill(d->gens[i].api, SIGKILL);
				td_kill(d->gens[i].keys, SIGKILL);
			}
			killed = 1;
		}
		(void)poll(NULL, 0, 20);
		waited += 20;
	}
}

/* Starts the current generation with dc and waits for it. */
static te_err td_start_current(td *d, te_daemon_config *dc)
{
	te_err rc = TE_OK;
	td_gen *g = &d->gens[0];

	g->dc = dc;
	TE_GUARD(td_gen_start(d, g));
	TE_GUARD(td_gen_wait_ready(g));
out:
	return rc;
}

static void td_notify(const char *state)
{
	te_err rc = te_sd_notify(state);

	if (rc != TE_OK)
		te_log_err(rc, "sd_notify");
}

static void td_reload(td *d)
{
	te_daemon_config *dc = NULL;
	te_err rc;
	td_gen old;

	td_notify("RELOADING=1");
	rc = td_load(d, &dc);
	if (rc != TE_OK) {
		te_log_err(rc, "reload refused; still serving the previous configuration");
		td_notify("READY=1");
		return;
	}
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		if (strcmp(dc->sockets[i].path, d->gens[0].dc->sockets[i].path) != 0)
			te_log_warn("reload: the %s socket's path changed; that takes a restart",
				    te_daemon_socket_name((te_daemon_socket_id)i));
	if (td_gen_alive(&d->gens[1])) {
		/* A reload while the previous one still drains: finish it. */
		td_kill(d->gens[1].api, SIGKILL);
		td_kill(d->gens[1].keys, SIGKILL);
		while (td_gen_alive(&d->gens[1])) {
			(void)poll(NULL, 0, 10);
			(void)td_reap(d);
		}
	}
	td_gen_free(&d->gens[1]);
	old = d->gens[0];
	memset(&d->gens[0], 0, sizeof(d->gens[0]));
	d->gens[1] = old;
	rc = td_start_current(d, dc);
	if (rc != TE_OK) {
		te_log_err(rc, "reload failed; still serving the previous configuration");
		td_kill(d->gens[0].api, SIGKILL);
		td_kill(d->gens[0].keys, SIGKILL);
		d->gens[0].retiring = 1;
		while (td_gen_alive(&d->gens[0])) {
			(void)poll(NULL, 0, 10);
			(void)td_reap(d);
		}
		td_gen_free(&d->gens[0]);
		d->gens[0] = d->gens[1];
		memset(&d->gens[1], 0, sizeof(d->gens[1]));
		td_notify("READY=1");
		return;
	}
	te_log_set_level(td_log_level(dc->log_level));
	td_gen_retire(&d->gens[1]);
	te_log_info("configuration reloaded from %s", dc->source);
	td_notify("READY=1");
}

/* A child of the current generation died: replace the pair. */
static te_err td_restart(td *d)
{
	te_err rc = TE_OK;
	time_t now = time(NULL);
	td_gen *g = &d->gens[0];
	te_daemon_config *dc = g->dc;

	if (now - d->restart_window > 60) {
		d->restart_window = now;
		d->restarts = 0;
	}
	TE_ENSURE(++d->restarts <= TD_RESTARTS_MAX, TE_ERR_BUSY,
		  "children failed %d times within a minute; giving up", TD_RESTARTS_MAX);
	g->retiring = 1;
	td_kill(g->api, SIGKILL);
	td_kill(g->keys, SIGKILL);
	while (td_gen_alive(g)) {
		(void)poll(NULL, 0, 10);
		(void)td_reap(d);
	}
	g->dc = NULL; /* reused by the new pair */
	td_gen_free(g);
	te_log_warn("restarting the keys and API processes");
	TE_GUARD(td_start_current(d, dc));
out:
	return rc;
}

static int td_serve(td *d, int sfd)
{
	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd p = {.fd = sfd, .events = POLLIN, .revents = 0};
		te_err rc;
		int crashed;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			te_log_error("poll: %s", strerror(errno));
			return 1;
		}
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGCHLD:
			crashed = td_reap(d);
			if (d->gens[1].retiring && !td_gen_alive(&d->gens[1]))
				td_gen_free(&d->gens[1]); /* drained after a reload */
			if (!crashed)
				break;
			rc = td_restart(d);
			if (rc != TE_OK) {
				te_log_err(rc, "cannot restart the keys and API processes");
				return 1;
			}
			break;
		case SIGHUP:
			td_reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			return 0;
		default:
			break;
		}
	}
}

static unsigned td_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	n *= TD_THREADS_PER_CPU;
	if (n < TD_THREADS_MIN)
		return TD_THREADS_MIN;
	return n > TD_THREADS_MAX ? TD_THREADS_MAX : (unsigned)n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"dev", required_argument, NULL, 'd'},
	    {"log-level", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	td d;
	te_daemon_config *dc = NULL;
	const char *level_arg = NULL;
	const char *dev_arg = NULL;
	te_log_level level = TE_LOG_INFO;
	sigset_t set;
	int sfd = -1, opt, status = 1;
	te_err rc;

	memset(&d, 0, sizeof(d));
	for (size_t i = 0; i < 2; i++) {
		d.gens[i].keys = d.gens[i].api = -1;
		d.gens[i].ctl_keys = d.gens[i].ctl_api = -1;
	}
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		d.ls.socks[i].fd = -1;
	te_log_set_ident("trustedged");
	/* glibc fills freed heap blocks: the configuration passes through
	 * libyaml's buffers, which are freed without wiping, and a child
	 * forked later would inherit a connection string's key there.  The
	 * keys process keeps it on (OpenSSL frees some key material with
	 * plain free); the API process, which holds no secret and handles
	 * the request load, turns it off. */
	(void)mallopt(M_PERTURB, 0xa5);
	while ((opt = getopt_long(argc, argv, "c:l:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': d.config_path = optarg; break;
		case 'd': dev_arg = optarg; break;
		case 'l': level_arg = optarg; break;
		case 'h': td_usage(stdout); return 0;
		case 'V': printf("trustedged %s\n", TE_VERSION); return 0;
		default: td_usage(stderr); return 2;
		}
	}
	if (optind != argc || (d.config_path != NULL && dev_arg != NULL)) {
		fprintf(stderr, "trustedged: %s\n",
			optind != argc ? "unexpected argument" : "-c and --dev exclude each other");
		td_usage(stderr);
		return 2;
	}
	if (level_arg != NULL && te_log_level_parse(level_arg, &level) != TE_OK) {
		fprintf(stderr, "trustedged: --log-level: %s is not error, warn, info or debug\n",
			level_arg);
		return 2;
	}
	if (dev_arg != NULL) {
		d.dev_root = realpath(dev_arg, NULL);
		if (d.dev_root == NULL) {
			fprintf(stderr, "trustedged: --dev %s: %s\n", dev_arg, strerror(errno));
			return 2;
		}
	} else if (d.config_path == NULL) {
		d.config_path = TE_DAEMON_CONFIG_PATH;
	}
	rc = td_load(&d, &dc);
	if (rc != TE_OK) {
		te_log_err(rc, "configuration");
		free(d.dev_root);
		return 8;
	}
	te_log_set_level(level_arg != NULL ? level : td_log_level(dc->log_level));
	d.threads = td_threads();

	/* Signals arrive through a signalfd; children reset the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		te_log_error("signalfd: %s", strerror(errno));
		goto out;
	}
	if (d.dev_root != NULL) {
		/* Development: the socket directory is part of the tree. */
		char run[PATH_MAX];

		snprintf(run, sizeof(run), "%s/run", d.dev_root);
		if (mkdir(run, 0755) != 0 && errno != EEXIST) {
			te_log_error("cannot create %s: %s", run, strerror(errno));
			goto out;
		}
	}
	rc = te_listen_open(dc, &d.ls);
	if (rc != TE_OK) {
		te_log_err(rc, "sockets");
		goto out;
	}
	rc = td_start_current(&d, dc);
	dc = NULL; /* owned by the generation */
	if (rc != TE_OK) {
		te_log_err(rc, "cannot start");
		goto out;
	}
	te_log_info("ready: workload API on unix://%s (config %s, %s backend, %u threads)",
		    d.gens[0].dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].path, d.gens[0].dc->source,
		    d.gens[0].dc->hsm_backend, d.threads);
	td_notify("READY=1");
	status = td_serve(&d, sfd);
	td_notify("STOPPING=1");
	te_log_info("stopping: draining connections");
out:
	for (size_t i = 0; i < 2; i++) {
		d.gens[i].retiring = 1;
		td_kill(d.gens[i].api, SIGTERM);
	}
	td_wait_all(&d);
	for (size_t i = 0; i < 2; i++)
		td_gen_free(&d.gens[i]);
	te_daemon_config_free(dc);
	te_listen_close(&d.ls);
	if (sfd >= 0)
		close(sfd);
	free(d.dev_root);
	return status;
}
