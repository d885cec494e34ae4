/*
 * api.h - the API process's HTTP server for the workload socket: a
 * libmicrohttpd daemon on an already-listening AF_UNIX socket that routes
 * and parses module requests (daemon/workload.h), authorizes the caller
 * by SO_PEERCRED (daemon/authz.h) and asks the keys process over typed IPC
 * (daemon/ipc.h).  It holds no key material.
 *
 * Served: every workload route: GET /modules (from the configuration),
 * POST .../sign, .../encrypt, .../decrypt, .../certificate/server and
 * /certificate/identity (201), GET /trust-bundle and
 * /manifest-trust-bundle.  On the other service sockets (keys, certs,
 * identity, management) every request is answered 501 for now.
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
/* Most worker threads of one server. */
#define TE_API_THREADS_MAX 64
/* libmicrohttpd's memory per connection (headers and read buffer; bodies
 * are copied out as they arrive): its 32 KiB default times 256 keep-alive
 * connections stays resident after a burst. */
#define TE_API_CONN_MEMORY (16 * 1024)

/* The IPC channels to the keys process, shared by all the servers of one
 * process: each channel carries one request at a time (a mutex), and
 * replies are matched by request id per channel, so two servers must not
 * drive one fd each on its own. */
typedef struct te_api_chans te_api_chans;

/* Takes fds[0..n) (borrowed: closed by their owner). */
te_err te_api_chans_new(const int *fds, size_t n, te_api_chans **out) TE_MUST_CHECK
    TE_NONNULL(1, 3);
/* NULL is a no-op; after every server using them has stopped. */
void te_api_chans_free(te_api_chans *cs);

typedef struct te_api_config {
	/* Listening AF_UNIX stream socket (te_listen_set's workload socket).
	 * Borrowed: te_api_stop leaves it open for its owner to close. */
	int listen_fd;
	/* Connected SOCK_SEQPACKET channels to the keys process: ipc_fds[0..
	 * n_ipc_fds), or the single ipc_fd when n_ipc_fds is 0.  Borrowed.
	 * Each worker thread keeps to one channel (round robin), so give as
	 * many as threads for the requests of different threads to run side
	 * by side.  After a protocol error every later request on that
	 * channel is answered 500 and the parent is expected to restart both
	 * ends. */
	int ipc_fd;
	const int *ipc_fds;
	size_t n_ipc_fds;
	/* Shared channels; when set, ipc_fd and ipc_fds are ignored. */
	te_api_chans *chans;
	/* Worker threads (libmicrohttpd's thread pool, epoll); 0 = 1. */
	unsigned threads;
	/* The configuration (module list); borrowed, may be NULL (no modules). */
	const te_daemon_config *dc;
	/* Borrowed; must outlive the server. */
	te_authz *authz;
	/* Largest request body accepted (413 above); 0 or more than
	 * TE_WL_BODY_MAX means TE_WL_BODY_MAX. */
	size_t max_body_bytes;
	/* Idle connections are closed after this many seconds; 0 = 5. */
	unsigned conn_timeout_s;
	/* A request whose body is still arriving this long after its headers
	 * is answered 408 (a client stalled completely is closed after
	 * conn_timeout_s); 0 = 5000. */
	unsigned read_timeout_ms;
	/* Which API this socket serves.  Only the workload API is served so
	 * far; the others answer 501 to every request. */
	te_daemon_socket_id service;
	/* 0 = TE_API_IPC_TIMEOUT_MS. */
	unsigned ipc_timeout_ms;
	/* 1: libmicrohttpd's own error log on stderr (debugging only). */
	int mhd_error_log;
} te_api_config;

typedef struct te_api te_api;

/* Starts the server with its own polling thread.  TE_ERR_INVALID_ARG for
 * a bad configuration, TE_ERR_IO when libmicrohttpd refuses to start. */
te_err te_api_start(const te_api_config *c, te_api **out) TE_MUST_CHECK TE_NONNULL(1, 2);
/* Stops accepting (the listen socket stays open for its owner) and makes
 * every later reply close its connection, so keep-alive clients move to
 * the process that replaces this one; requests in flight complete.  For
 * SIGTERM and SIGHUP: drain, wait until te_api_connections() is 0 or a
 * deadline passes, then te_api_stop. */
void te_api_drain(te_api *a);
/* Connections currently open on the server. */
unsigned te_api_connections(te_api *a);
/* Stops accepting, closes every connection, waits for the thread and
 * frees the server; the listen and IPC sockets stay open.  NULL is a
 * no-op. */
void te_api_stop(te_api *a);

#endif
