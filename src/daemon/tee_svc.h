/*
 * tee_svc.h - managed enclaves, in trustedged's keys process: the TEE
 * socket's server (protocol in src/tee/mgd.h).  For each CREATE it reads
 * and verifies the signed image itself, starts the TA from a sealed
 * in-memory copy of the verified bytes under the configured TA user, keeps
 * the TA's root-of-trust socket (its fd 5) and answers it with
 * te_rot_serve over the HSM root (tee_rot.h), with the identity measured
 * here; the host gets the control socket, the channel file and the pid.
 *
 * The keys process polls the descriptors te_tee_svc_pollfds lists and
 * hands the results to te_tee_svc_dispatch, between its IPC requests, in
 * its one thread (HSM backends need not be thread-safe).
 */
#ifndef TRUSTEDGE_DAEMON_TEE_SVC_H
#define TRUSTEDGE_DAEMON_TEE_SVC_H

#include <poll.h>
#include <stddef.h>

#include "tee/rot/rot.h"
#include "trustedge/te_error.h"

/* Most enclaves one keys process runs at once; more CREATEs are refused. */
#define TE_TEE_SVC_MAX 64
/* Descriptors te_tee_svc_pollfds may list: the listener and three per
 * enclave (host connection, root socket, pidfd). */
#define TE_TEE_SVC_POLLFDS (1 + 3 * TE_TEE_SVC_MAX)

typedef struct te_tee_svc te_tee_svc;

/* Serves listen_fd (taken: closed by te_tee_svc_free).  rot (taken too)
 * may be NULL: every CREATE is then refused with OE_SERVICE_UNAVAILABLE.
 * ta_user: the TA user when running as root (NULL: "nobody"). */
te_err te_tee_svc_new(int listen_fd, te_rot *rot, const char *ta_user,
                      te_tee_svc **out) TE_MUST_CHECK;
/* Fills p (at least TE_TEE_SVC_POLLFDS entries); returns how many. */
size_t te_tee_svc_pollfds(te_tee_svc *s, struct pollfd *p);
/* Handles what poll reported on the n entries te_tee_svc_pollfds filled. */
void te_tee_svc_dispatch(te_tee_svc *s, const struct pollfd *p, size_t n);
/* Kills the TAs still running, closes everything.  NULL is a no-op. */
void te_tee_svc_free(te_tee_svc *s);

#endif
