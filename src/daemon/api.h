/*
 * api.h - the API process's HTTP server for the workload socket: a
 * libmicrohttpd daemon on an already-listening AF_UNIX socket that routes
 * and parses module requests (daemon/workload.h), authorizes the caller
 * by SO_PEERCRED (daemon/authz.h) and asks the keys process over typed IPC
 * (daemon/ipc.h).  It holds no key material.
 *
 * Served: POST .../sign, .../encrypt, .../decrypt.
 * NOT served yet (honest partial work): GET /modules, the identity and
 * server certificate routes, /trust-bundle and /manifest-trust-bundle.
 * They are routed and checked like the others (404/405/400 as usual) and
 * then answered 501 {"message":"not served by this build yet: <route>"}:
 * the keys process has no IPC message for them yet.
 *
 * Per connection: the peer's credentials are read once when it is
 * accepted and counted with te_authz_conn_open; a uid over
 * limits.max_connections_per_uid has its connection shut down unanswered.
 *
 * The process must call te_json_wipe_on_free() before any JSON is made
 * (before te_api_start), so parsed request bodies are wiped when freed.
 */
#ifndef TRUSTEDGE_DAEMON_API_H
#define TRUSTEDGE_DAEMON_API_H

#include <stddef.h>

#include "daemon/authz.h"
#include "trustedge/te_error.h"

/* How long one IPC round trip to the keys process may take when
 * te_api_config.ipc_timeout_ms is 0. */
#define TE_API_IPC_TIMEOUT_MS 10000

typedef struct te_api_config {
	/* Listening AF_UNIX stream socket (te_listen_set's workload socket).
	 * Borrowed: te_api_stop leaves it open for its owner to close. */
	int listen_fd;
	/* Connected SOCK_SEQPACKET channel to the keys process.  Borrowed;
	 * after a protocol error every later request is answered 500 and
	 * the parent is expected to restart both ends. */
	int ipc_fd;
	/* Borrowed; must outlive the server. */
	te_authz *authz;
	/* Largest request body accepted (413 above); 0 or more than
	 * TE_WL_BODY_MAX means TE_WL_BODY_MAX. */
	size_t max_body_bytes;
	/* Idle connections are closed after this many seconds; 0 = 5. */
	unsigned conn_timeout_s;
	/* 0 = TE_API_IPC_TIMEOUT_MS. */
	unsigned ipc_timeout_ms;
	/* 1: libmicrohttpd's own error log on stderr (debugging only). */
	int mhd_error_log;
} te_api_config;

typedef struct te_api te_api;

/* Starts the server with its own polling thread.  TE_ERR_INVALID_ARG for
 * a bad configuration, TE_ERR_IO when libmicrohttpd refuses to start. */
te_err te_api_start(const te_api_config *c, te_api **out) TE_MUST_CHECK TE_NONNULL(1, 2);
/* Stops accepting, closes every connection, waits for the thread and
 * frees the server; the listen and IPC sockets stay open.  NULL is a
 * no-op. */
void te_api_stop(te_api *a);

#endif
