/*
 * sdnotify.h - the systemd service notification protocol (sd_notify(3))
 * without libsystemd: one datagram such as "READY=1" to the AF_UNIX
 * socket named by $NOTIFY_SOCKET.
 *
 * Only the main process should notify: the unit runs with
 * NotifyAccess=main, so messages from the keys or API process would be
 * dropped by systemd anyway.
 */
#ifndef TRUSTEDGE_DAEMON_SDNOTIFY_H
#define TRUSTEDGE_DAEMON_SDNOTIFY_H

#include "trustedge/te_error.h"

/* Longest state string sent ("STATUS=..." lines are short; this bounds a
 * caller that formats one from untrusted text). */
#define TE_SD_NOTIFY_STATE_MAX 4096

/* Sends state ("READY=1", "STATUS=...", "STOPPING=1", "RELOADING=1", or
 * several newline-separated) in one datagram.  TE_OK without sending when
 * NOTIFY_SOCKET is unset or empty (not started by systemd).  An address
 * that is neither a path ("/...") nor abstract ("@...") is
 * TE_ERR_UNSUPPORTED; one too long for sun_path TE_ERR_CONFIG; a failed
 * send TE_ERR_IO.  NOTIFY_SOCKET stays set: later states go the same way. */
te_err te_sd_notify(const char *state) TE_MUST_CHECK TE_NONNULL(1);

#endif
