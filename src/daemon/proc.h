/*
 * proc.h - trustedged's processes (docs/design-daemon.md, "Processes").
 *
 *   parent (trustedged.c)  config, sockets, supervision, signals, sd_notify
 *   keys   (proc_keys.c)   the HSM, the edge CA, every private key
 *   api    (proc_api.c)    HTTP from modules, no key material, seccomp
 *
 * The parent makes, for each generation of children, n SOCK_SEQPACKET
 * socketpairs between the API and keys processes (one per API worker
 * thread) and one control socketpair to each child, on which the child
 * sends a READY message once it serves.  A child exits when its parent
 * dies (PR_SET_PDEATHSIG) and on SIGTERM: the API process drains first.
 */
#ifndef TRUSTEDGE_DAEMON_PROC_H
#define TRUSTEDGE_DAEMON_PROC_H

#include <stddef.h>

#include "daemon/listen.h"
#include "trustedge/te_daemon_config.h"

/* Exit statuses of the children, for the parent's log. */
#define TE_PROC_EXIT_OK     0
#define TE_PROC_EXIT_FAIL   1 /* could not start: the reason is logged */
#define TE_PROC_EXIT_BROKEN 2 /* a channel broke while serving */

/* How long the API process lets requests in flight finish on SIGTERM. */
#define TE_PROC_DRAIN_MS 10000

/* The keys process: serves chans[0..n) until all are closed or SIGTERM.
 * ctl: the control socket to the parent; tee: the listening TEE socket
 * (tee_svc.h), -1 when there is none.  Returns the exit status. */
int te_proc_keys_main(const te_daemon_config *dc, const int *chans, size_t n, int ctl, int tee);

/* The API process: serves the sockets of ls, asking the keys process
 * over chans[0..n) (one per worker thread), until SIGTERM. */
int te_proc_api_main(const te_daemon_config *dc, const te_listen_set *ls, const int *chans,
		     size_t n, int ctl);

/* For children right after fork: exit when the parent dies; default
 * signal dispositions; SIGPIPE ignored.  parent is the parent's pid
 * before the fork (it may already be gone). */
void te_proc_child_setup(const char *ident, pid_t parent);

#endif
