/*
 * proc_keys.c - trustedged's keys process: opens the HSM, makes the device
 * key ready (provision.c), and answers typed requests from the API
 * process (keys.c) on its channels, one message at a time, in one thread:
 * HSM backends need not be thread-safe, and an HMAC costs less than the
 * context switch that brought the request.
 *
 * A channel that sends a malformed message is closed (the API process on
 * the other end has a bug or is compromised); when no channel is left the
 * process exits and the parent starts a new pair.
 */
#include "daemon/proc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/te_log.h"
#include "daemon/ipc.h"
#include "daemon/keys.h"
#include "daemon/provision.h"
#include "daemon/tee_svc.h"
#include "trustedge/te_hsm.h"
#include "trustedge/te_mem.h"

#define KEYS_ENCRYPT_KEY "workload-encrypt"
/* Most channels one keys process serves (the API's worker threads). */
#define KEYS_CHANS_MAX 64

static volatile sig_atomic_t keys_stop;

static void keys_on_term(int sig)
{
	(void)sig;
	keys_stop = 1;
}

/* Answers one request on fd.  TE_OK: answered (or nothing to read).
 * Anything else: close the channel. */
static te_err keys_dispatch_api(te_keys *k, int fd, te_ipc_msg *req, te_ipc_msg *rep)
{
	te_err rc = TE_OK;

	rc = te_ipc_recv(fd, req);
	if (rc == TE_ERR_BUSY) {
		rc = TE_OK;
		goto out;
	}
	TE_GUARD(rc);
	TE_GUARD(te_keys_handle(k, req, rep));
	TE_GUARD(te_ipc_send_msg(fd, rep));
out:
	te_ipc_msg_wipe(req);
	te_ipc_msg_wipe(rep);
	return rc;
}

static int keys_poll_timeout(int64_t next)
{
	int64_t now = (int64_t)time(NULL);

	if (next == INT64_MAX || next - now > 60)
		return 60 * 1000;
	return next <= now ? 0 : (int)(next - now) * 1000;
}

static int keys_serve(te_keys *k, const int *chans, size_t n, int ctl, te_tee_svc *tee)
{
	struct pollfd p[KEYS_CHANS_MAX + 1 + TE_TEE_SVC_POLLFDS];
	te_ipc_msg *req = te_secure_alloc(sizeof(*req));
	te_ipc_msg *rep = te_secure_alloc(sizeof(*rep));
	size_t open = n;
	int64_t next = 0;
	int status = TE_PROC_EXIT_OK;

	if (req == NULL || rep == NULL) {
		te_log_error("keys process: out of memory for IPC buffers");
		status = TE_PROC_EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){.fd = chans[i], .events = POLLIN, .revents = 0};
	p[n] = (struct pollfd){.fd = ctl, .events = POLLIN, .revents = 0};
	while (!keys_stop && open > 0) {
		size_t n_tee = tee != NULL ? te_tee_svc_pollfds(tee, p + n + 1) : 0;
		int r = poll(p, n + 1 + n_tee, keys_poll_timeout(next));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			te_log_error("keys process: poll: %s", strerror(errno));
			status = TE_PROC_EXIT_BROKEN;
			break;
		}
		if (p[n].revents != 0) /* the parent closed the control socket */
			break;
		for (size_t i = 0; i < n; i++) {
			te_err rc;

			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			rc = keys_dispatch_api(k, p[i].fd, req, rep);
			if (rc == TE_OK)
				continue;
			if (rc != TE_ERR_IO)
				te_log_err(rc, "keys process: closing an IPC channel");
			close(p[i].fd);
			p[i].fd = -1;
			open--;
		}
		if (n_tee > 0)
			te_tee_svc_dispatch(tee, p + n + 1, n_tee);
		if ((int64_t)time(NULL) >= next) {
			te_err rc = te_keys_maintain(k, (int64_t)time(NULL), &next);

			if (rc != TE_OK) {
				te_log_err(rc, "keys process: certificate maintenance");
				next = (int64_t)time(NULL) + 60;
			}
		}
	}
	/* Every channel closed: the API process ended, and the parent knows
	 * why; nothing is left to serve. */
out:
	te_secure_free(req);
	te_secure_free(rep);
	return status;
}

/* The TEE service over tee (taken), with the HSM root of this process's
 * edge CA.  Without a root (no certificate store) it still answers, to
 * refuse; a TA user that does not exist stops the keys process. */
static te_err keys_tee_open(te_keys *k, const te_daemon_config *dc, int tee, te_tee_svc **out)
{
	te_rot *rot = NULL;
	te_err rc = te_keys_tee_rot(k, &rot);

	if (rc != TE_OK) {
		te_log_err(rc, "keys process: managed enclaves have no root of trust");
		rot = NULL;
	}
	rc = te_tee_svc_new(tee, rot, dc->tee_ta_user, out);
	if (rc != TE_OK) {
		te_rot_close(rot);
		close(tee);
	}
	return rc;
}

int te_proc_keys_main(const te_daemon_config *dc, const int *chans, size_t n, int ctl, int tee)
{
	te_hsm *hsm = NULL;
	te_keys *k = NULL;
	te_tee_svc *tsvc = NULL;
	char device_key[TE_PROVISION_KEYREF_MAX + 1];
	te_keys_config kc;
	te_keys_cert_config cc;
	struct sigaction sa;
	te_err rc;
	int status = TE_PROC_EXIT_FAIL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = keys_on_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	if (n == 0 || n > KEYS_CHANS_MAX) {
		te_log_error("keys process: %zu channels (1 to %d)", n, KEYS_CHANS_MAX);
		goto out;
	}
	rc = te_hsm_open(dc->hsm_backend, dc->hsm_settings, dc->n_hsm_settings, &hsm);
	if (rc != TE_OK) {
		te_log_err(rc, "keys process: cannot open the HSM");
		goto out;
	}
	rc = te_provision_device_key(hsm, dc, device_key, sizeof(device_key));
	if (rc != TE_OK) {
		te_log_err(rc, "keys process: device key");
		goto out;
	}
	memset(&kc, 0, sizeof(kc));
	kc.device_key = device_key;
	kc.encrypt_key = KEYS_ENCRYPT_KEY;
	te_keys_cert_config_fill(dc, &cc);
	rc = te_keys_open_with_certs(hsm, &kc, &cc, &k);
	if (rc != TE_OK) {
		te_log_err(rc, "keys process: cannot start");
		goto out;
	}
	if (tee >= 0) {
		rc = keys_tee_open(k, dc, tee, &tsvc);
		tee = -1;
		if (rc != TE_OK) {
			te_log_err(rc, "keys process: TEE socket");
			goto out;
		}
	}
	rc = te_ipc_send(ctl, TE_IPC_READY, 0, NULL, 0);
	if (rc != TE_OK) {
		te_log_err(rc, "keys process: cannot tell the parent it is ready");
		goto out;
	}
	status = keys_serve(k, chans, n, ctl, tsvc);
out:
	if (tee >= 0)
		close(tee);
	te_tee_svc_free(tsvc);
	te_keys_close(k);
	te_hsm_close(hsm);
	return status;
}
