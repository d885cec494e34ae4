/*
 * api_int.h - what the HTTP server core (api.c) shares with the handlers
 * of each service (api_keys.c, ...): the IPC channels to the keys process
 * and the reply helpers.  Private to the API process.
 */
#ifndef TRUSTEDGE_DAEMON_API_INT_H
#define TRUSTEDGE_DAEMON_API_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "daemon/api.h"
#include "daemon/ipc.h"
#include "daemon/listen.h"
#include "trustedge/te_mem.h"

/* One IPC channel to the keys process.  The keys process answers in
 * order per channel, so a mutex makes each round trip atomic; replies are
 * matched by request id so a late reply to a request that timed out is
 * dropped rather than given to the next one. */
typedef struct api_chan {
	pthread_mutex_t lock;
	int fd;
	/* Under lock: */
	uint32_t next_id;
	int broken;
	te_ipc_msg *req; /* te_secure_alloc: they carry plaintexts and digests */
	te_ipc_msg *rep;
} api_chan;

/* IPC channels shared by every server of the process (te_api_chans_new). */
struct te_api_chans;

/* One request of a service whose handler runs once the body is in. */
typedef struct te_api_call {
	const char *method;
	const char *url;         /* path, not percent-decoded */
	const char *api_version; /* NULL when missing */
	const char *content_type;
	const te_peer *peer; /* SO_PEERCRED of the connection */
	const uint8_t *body; /* at most the server's body limit; may be NULL */
	size_t body_len;
} te_api_call;

/* The calling thread's channel, locked: fill ch->req (type, len, body),
 * call te_api_ipc_exchange, read ch->rep, then te_api_chan_release, which
 * wipes both messages and unlocks. */
api_chan *te_api_chan_acquire(te_api *a) TE_NONNULL(1);
void te_api_chan_release(api_chan *ch) TE_NONNULL(1);
/* Sends ch->req and waits for the reply with the same id into ch->rep.
 * TE_ERR_IO when the channel is broken, TE_ERR_BUSY on timeout. */
te_err te_api_ipc_exchange(const te_api *a, api_chan *ch) TE_MUST_CHECK TE_NONNULL(1, 2);

/* Queues json (taken over; emptied whatever happens) with the status and
 * Content-Type: application/json.  For a secret, json is a secure te_buf
 * and is wiped when libmicrohttpd is done with it. */
enum MHD_Result te_api_send_json(struct MHD_Connection *conn, unsigned http, te_buf *json);
/* {"message": msg} with the status. */
enum MHD_Result te_api_send_status(struct MHD_Connection *conn, int http, const char *msg);

/* The configuration the server was started with (may be NULL). */
const te_daemon_config *te_api_dc(const te_api *a);
/* The server's caller authorization (authz.h): who a connection is. */
te_authz *te_api_authz(const te_api *a);

/* The service handlers: each answers one request of its socket. */
enum MHD_Result te_api_keys_handle(te_api *a, struct MHD_Connection *conn, const te_api_call *c);
enum MHD_Result te_api_certs_handle(te_api *a, struct MHD_Connection *conn, const te_api_call *c);
enum MHD_Result te_api_identity_handle(te_api *a, struct MHD_Connection *conn,
				       const te_api_call *c);

#endif
