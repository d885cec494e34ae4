/*
 * proc_api.c - trustedged's API process: libmicrohttpd servers on the
 * listening sockets the parent opened, the caller authorization
 * (authz.c), and nothing else.  It holds no key: every operation on a key
 * is a typed request to the keys process.  Once its servers run it enters
 * the seccomp sandbox (sandbox.c), so a bug in HTTP or JSON parsing leaves
 * an attacker with a process that can only talk on sockets it already
 * has.
 *
 * Signals are blocked before any thread starts (libmicrohttpd's threads
 * inherit the mask), and the main thread waits for them with sigwait:
 * SIGTERM drains (te_api_drain) and exits once the connections are gone
 * or TE_PROC_DRAIN_MS has passed.
 */
#include "daemon/proc.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "common/te_json.h"
#include "common/te_log.h"
#include "daemon/api.h"
#include "daemon/authz.h"
#include "daemon/ipc.h"
#include "daemon/sandbox.h"

/* Waits for the connections of every server to close, up to ms. */
static void api_proc_wait_drained(te_api **apis, size_t n, unsigned ms)
{
	struct timespec step = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

	for (unsigned waited = 0; waited < ms; waited += 10) {
		unsigned open = 0;

		for (size_t i = 0; i < n; i++)
			open += te_api_connections(apis[i]);
		if (open == 0)
			return;
		(void)nanosleep(&step, NULL);
	}
	te_log_info("drain: closing the connections still open after %u ms", ms);
}

int te_proc_api_main(const te_daemon_config *dc, const te_listen_set *ls, const int *chans,
		     size_t n, int ctl)
{
	te_authz *authz = NULL;
	te_api *apis[TE_DAEMON_SOCKET__COUNT] = {0};
	te_api_chans *chans_all = NULL;
	size_t n_apis = 0;
	sigset_t set;
	te_err rc;
	int status = TE_PROC_EXIT_FAIL;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	te_json_wipe_on_free();
	/* One malloc arena per worker thread would be the default: at idle
	 * that is memory for nothing, and under load the workers' allocations
	 * are small and short. */
	(void)mallopt(M_ARENA_MAX, 2);
	/* Capabilities are per thread: drop them before libmicrohttpd starts
	 * its threads.  Not dumpable: no core files with request bodies, and
	 * no ptrace by other processes of the same uid. */
	rc = te_sandbox_caps_drop();
	if (rc != TE_OK) {
		te_log_err(rc, "API process: cannot drop capabilities");
		goto out;
	}
	(void)prctl(PR_SET_DUMPABLE, 0);
	rc = te_authz_new(dc, &authz);
	if (rc != TE_OK) {
		te_log_err(rc, "API process: authorization");
		goto out;
	}
	rc = te_api_chans_new(chans, n, &chans_all);
	if (rc != TE_OK) {
		te_log_err(rc, "API process: IPC channels");
		goto out;
	}
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		te_api_config c;

		if (ls->socks[i].fd < 0)
			continue;
		/* The TEE socket is the keys process's (tee_svc.c), not HTTP. */
		if (i == TE_DAEMON_SOCKET_TEE)
			continue;
		memset(&c, 0, sizeof(c));
		c.listen_fd = ls->socks[i].fd;
		c.chans = chans_all;
		/* Modules' requests come to the workload socket: it gets a
		 * worker per channel.  The service sockets serve the agent and
		 * tools, two workers each (one can wait on the keys process
		 * while the other answers). */
		c.threads = i == TE_DAEMON_SOCKET_WORKLOAD ? (unsigned)n : 2;
		c.authz = authz;
		c.dc = dc;
		c.service = (te_daemon_socket_id)i;
		c.max_body_bytes = dc->limits.max_body_bytes;
		/* libmicrohttpd's idle timeout also runs for connections whose
		 * worker is waiting on the keys process: keep it past the IPC
		 * timeout, or a slow HSM turns queued requests into closed
		 * connections.  Slow bodies are cut by read_timeout_ms. */
		c.conn_timeout_s = (dc->limits.read_timeout_ms + 999) / 1000;
		if (c.conn_timeout_s < TE_API_IPC_TIMEOUT_MS / 1000 + 5)
			c.conn_timeout_s = TE_API_IPC_TIMEOUT_MS / 1000 + 5;
		c.read_timeout_ms = dc->limits.read_timeout_ms;
		rc = te_api_start(&c, &apis[n_apis]);
		if (rc != TE_OK) {
			te_log_err(rc, "API process: cannot serve a socket");
			goto out;
		}
		n_apis++;
	}
	rc = te_sandbox_api_enter();
	if (rc != TE_OK) {
		te_log_err(rc, "API process: cannot enter the sandbox");
		goto out;
	}
	rc = te_ipc_send(ctl, TE_IPC_READY, 0, NULL, 0);
	if (rc != TE_OK) {
		te_log_err(rc, "API process: cannot tell the parent it is ready");
		goto out;
	}
	while (sig != SIGTERM && sig != SIGINT) {
		if (sigwait(&set, &sig) != 0)
			sig = 0;
	}
	for (size_t i = 0; i < n_apis; i++)
		te_api_drain(apis[i]);
	api_proc_wait_drained(apis, n_apis, TE_PROC_DRAIN_MS);
	status = TE_PROC_EXIT_OK;
out:
	for (size_t i = 0; i < n_apis; i++)
		te_api_stop(apis[i]);
	te_api_chans_free(chans_all);
	te_authz_free(authz);
	return status;
}
