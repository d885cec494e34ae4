/*
 * api.c - the workload socket's HTTP server (see api.h).
 *
 * Request life: the first call of the access handler (headers only)
 * routes the request and authorizes the caller, answering at once when
 * either refuses so that a refused body is never read; later calls
 * collect the body, bounded; the last call parses it, asks the keys
 * process and answers.  Replies are built in secure buffers that
 * libmicrohttpd hands back to a free callback, which wipes them.
 *
 * One IPC channel serves every request: a mutex makes each round trip
 * atomic, and replies are matched by request id so that a late reply to
 * a request that timed out is dropped rather than given to the next one.
 */
#include "daemon/api.h"
#include "daemon/api_int.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>

#include "common/te_log.h"
#include "daemon/ipc.h"
#include "daemon/listen.h"
#include "daemon/workload.h"
#include "trustedge/te_mem.h"


struct te_api_chans {
	api_chan *chans;
	size_t n;
	atomic_uint next;
};

struct te_api {
	struct MHD_Daemon *mhd;
	te_authz *authz;
	const te_daemon_config *dc;
	te_daemon_socket_id service;
	size_t max_body;
	unsigned ipc_timeout_ms;
	unsigned read_timeout_ms;
	te_api_chans *chans;
	int own_chans; /* made from ipc_fd/ipc_fds rather than given */
};

/* Set by te_api_drain: every reply then says "Connection: close", so
 * keep-alive clients reconnect (to the API process that replaces this
 * one).  One flag per process: the API process drains all its servers at
 * once. */
static atomic_int api_closing;

/* The channel a worker thread uses, picked once per thread round robin,
 * so with as many channels as pool threads each thread has its own. */
static _Thread_local unsigned api_tls_chan = UINT_MAX;

/* Per connection (MHD's socket context). */
typedef struct te_api_conn {
	te_peer peer;
	int have_peer;
	int counted; /* te_authz_conn_open succeeded */
} te_api_conn;

/* Per request (MHD's con_cls). */
typedef struct te_api_req {
	te_wl_route_t route;
	te_buf body; /* secure: encrypt bodies hold plaintext */
	int too_large;
	int answered;       /* a response was queued */
	uint64_t started_ms; /* monotonic time of the first call */
} te_api_req;

static uint64_t api_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *api_route_name(te_wl_route_id id)
{
	switch (id) {
	case TE_WL_ROUTE_LIST_MODULES: return "list modules";
	case TE_WL_ROUTE_SIGN: return "sign";
	case TE_WL_ROUTE_ENCRYPT: return "encrypt";
	case TE_WL_ROUTE_DECRYPT: return "decrypt";
	case TE_WL_ROUTE_CERT_IDENTITY: return "identity certificate";
	case TE_WL_ROUTE_CERT_SERVER: return "server certificate";
	case TE_WL_ROUTE_TRUST_BUNDLE: return "trust bundle";
	case TE_WL_ROUTE_MANIFEST_TRUST_BUNDLE: return "manifest trust bundle";
	case TE_WL_ROUTE_NONE: break;
	}
	return "none";
}

static void api_status(te_wl_status *st, int http, const char *msg)
{
	st->http_status = http;
	snprintf(st->message, sizeof(st->message), "%s", msg);
}

/* ---- responses ---- */

static void api_free_reply(void *cls)
{
	te_buf *b = cls;

	te_buf_free(b);
	free(b);
}

/* Queues json (taken over: emptied on return, whatever happens) with
 * the status and Content-Type: application/json. */
enum MHD_Result te_api_send_json(struct MHD_Connection *conn, unsigned http, te_buf *json)
{
	struct MHD_Response *resp = NULL;
	te_buf *owned = malloc(sizeof(*owned));
	enum MHD_Result r = MHD_NO;

	if (owned == NULL) {
		te_buf_free(json);
		return MHD_NO;
	}
	*owned = *json;
	te_buf_init(json, 0);
	/* From here the free callback owns the buffer. */
	resp = MHD_create_response_from_buffer_with_free_callback_cls(owned->len, owned->data,
								      api_free_reply, owned);
	if (resp == NULL) {
		api_free_reply(owned);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") ==
		MHD_YES &&
	    (!atomic_load_explicit(&api_closing, memory_order_relaxed) ||
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES))
		r = MHD_queue_response(conn, http, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result api_send_error(struct MHD_Connection *conn, const te_wl_status *st)
{
	te_buf json;

	te_buf_init(&json, 0);
	if (te_wl_reply_error(st, &json) != TE_OK) {
		te_buf_free(&json);
		return MHD_NO;
	}
	return te_api_send_json(conn, (unsigned)st->http_status, &json);
}

enum MHD_Result te_api_send_status(struct MHD_Connection *conn, int http, const char *msg)
{
	te_wl_status st;

	api_status(&st, http, msg);
	return api_send_error(conn, &st);
}

/* ---- IPC ---- */

/* The calling thread's channel, locked.  Release with api_chan_release. */
/* Makes ch's message buffers (under ch->lock); 0 when out of memory. */
static int api_chan_buffers(api_chan *ch)
{
	if (ch->req != NULL)
		return 1;
	ch->req = te_secure_alloc(sizeof(te_ipc_msg));
	ch->rep = te_secure_alloc(sizeof(te_ipc_msg));
	if (ch->req != NULL && ch->rep != NULL)
		return 1;
	te_secure_free(ch->req);
	te_secure_free(ch->rep);
	ch->req = ch->rep = NULL;
	return 0;
}

api_chan *te_api_chan_acquire(te_api *a)
{
	te_api_chans *cs = a->chans;
	api_chan *ch;

	if (api_tls_chan == UINT_MAX)
		api_tls_chan = atomic_fetch_add_explicit(&cs->next, 1, memory_order_relaxed);
	ch = &cs->chans[api_tls_chan % cs->n];
	pthread_mutex_lock(&ch->lock);
	if (api_chan_buffers(ch))
		return ch;
	/* Out of (locked) memory: share channel 0, whose buffers were made
	 * with the channels. */
	pthread_mutex_unlock(&ch->lock);
	ch = &cs->chans[0];
	pthread_mutex_lock(&ch->lock);
	return ch;
}

void te_api_chan_release(api_chan *ch)
{
	te_ipc_msg_wipe(ch->req);
	te_ipc_msg_wipe(ch->rep);
	pthread_mutex_unlock(&ch->lock);
}

/* Sends ch->req (type, len and body filled) and waits for the reply with
 * the same id into ch->rep.  Call with ch->lock held. */
te_err te_api_ipc_exchange(const te_api *a, api_chan *ch)
{
	te_err rc = TE_OK;
	uint32_t id;

	TE_ENSURE(!ch->broken, TE_ERR_IO, "IPC channel to the keys process is closed");
	id = ++ch->next_id;
	ch->req->id = id;
	rc = te_ipc_send_msg(ch->fd, ch->req);
	if (rc == TE_ERR_IO)
		ch->broken = 1;
	TE_GUARD(rc);
	for (;;) {
		struct pollfd p = {.fd = ch->fd, .events = POLLIN, .revents = 0};
		int n = poll(&p, 1, (int)a->ipc_timeout_ms);

		if (n < 0 && errno == EINTR)
			continue;
		TE_ENSURE(n >= 0, TE_ERR_IO, "poll on the IPC channel: %s", strerror(errno));
		TE_ENSURE(n > 0, TE_ERR_BUSY, "keys process did not answer request %" PRIu32
					      " within %u ms", id, a->ipc_timeout_ms);
		rc = te_ipc_recv(ch->fd, ch->rep);
		if (rc == TE_ERR_BUSY)
			continue;
		if (rc != TE_OK)
			ch->broken = 1; /* peer gone or a protocol error */
		TE_GUARD(rc);
		if (ch->rep->id == id)
			break;
		/* The late reply of a request that timed out. */
		te_ipc_msg_wipe(ch->rep);
	}
out:
	return rc;
}

/* Maps an ERROR_REPLY to the HTTP refusal.  A ciphertext the keys process
 * cannot open is the client's mistake (400); everything else is ours and
 * gets a generic 500 (the detail is in the keys process's log). */
static void api_map_ipc_error(const api_chan *ch, te_wl_route_id route, te_wl_status *st)
{
	te_ipc_error_reply er;

	if (te_ipc_error_reply_decode(ch->rep, &er) != TE_OK) {
		api_status(st, 500, "internal error");
		return;
	}
	if (route == TE_WL_ROUTE_DECRYPT &&
	    (er.code == TE_ERR_DECRYPT_FAILED || er.code == TE_ERR_MALFORMED ||
	     er.code == TE_ERR_UNSUPPORTED)) {
		api_status(st, 400, "ciphertext could not be decrypted");
		return;
	}
	if ((route == TE_WL_ROUTE_CERT_SERVER || route == TE_WL_ROUTE_CERT_IDENTITY) &&
	    er.code == TE_ERR_INVALID_ARG) {
		api_status(st, 400, "the requested expiration is not in the future");
		return;
	}
	if (er.code == TE_ERR_UNSUPPORTED) {
		/* e.g. certificates with no certificate store configured */
		api_status(st, 501, "not available on this device");
		return;
	}
	te_log_warn("keys process refused %s: %s: %s", api_route_name(route),
		    te_err_name(er.code), er.message);
	api_status(st, 500, "internal error");
}

/* ---- the served routes; each fills json (200) or st (refusal) ---- */

static te_err api_do_sign(te_api *a, const te_api_req *r, const char *ctype, te_buf *json,
			  te_wl_status *st)
{
	te_err rc = TE_OK;
	te_wl_sign_req *body = calloc(1, sizeof(*body));
	te_ipc_sign_derived_req ireq;
	te_ipc_sign_reply srep;
	api_chan *ch = NULL;

	TE_ENSURE(body != NULL, TE_ERR_NO_MEMORY, "sign request");
	rc = te_wl_parse_sign(r->body.data, r->body.len, ctype, body, st);
	TE_GUARD(rc);
	memset(&ireq, 0, sizeof(ireq));
	snprintf(ireq.module, sizeof(ireq.module), "%s", r->route.name);
	snprintf(ireq.genid, sizeof(ireq.genid), "%s", r->route.genid);
	snprintf(ireq.key_id, sizeof(ireq.key_id), "%s", body->key_id);
	ireq.data = body->data;
	ireq.data_len = body->data_len;

	ch = te_api_chan_acquire(a);
	TE_GUARD(te_ipc_sign_derived_req_encode(&ireq, ch->req));
	TE_GUARD(te_api_ipc_exchange(a, ch));
	if (ch->rep->type == TE_IPC_ERROR_REPLY) {
		api_map_ipc_error(ch, r->route.id, st);
		rc = TE_ERR_PERMISSION;
		goto out;
	}
	TE_GUARD(te_ipc_sign_reply_decode(ch->rep, &srep));
	TE_GUARD(te_wl_reply_sign(srep.digest, srep.digest_len, json));
out:
	if (ch != NULL)
		te_api_chan_release(ch);
	if (body != NULL) {
		te_memzero(body, sizeof(*body));
		free(body);
	}
	return rc;
}

static te_err api_do_crypt(te_api *a, const te_api_req *r, const char *ctype, te_buf *json,
			   te_wl_status *st)
{
	te_err rc = TE_OK;
	int enc = r->route.id == TE_WL_ROUTE_ENCRYPT;
	/* Secure memory: an encrypt body is the module's plaintext. */
	te_wl_crypt_req *body = te_secure_alloc(sizeof(te_wl_crypt_req));
	te_ipc_crypt_req ireq;
	te_ipc_crypt_reply crep;
	api_chan *ch = NULL;

	TE_ENSURE(body != NULL, TE_ERR_NO_MEMORY, "crypt request");
	if (enc)
		rc = te_wl_parse_encrypt(r->body.data, r->body.len, ctype, body, st);
	else
		rc = te_wl_parse_decrypt(r->body.data, r->body.len, ctype, body, st);
	TE_GUARD(rc);
	memset(&ireq, 0, sizeof(ireq));
	snprintf(ireq.module, sizeof(ireq.module), "%s", r->route.name);
	snprintf(ireq.genid, sizeof(ireq.genid), "%s", r->route.genid);
	ireq.iv = body->iv;
	ireq.iv_len = body->iv_len;
	ireq.data = body->data;
	ireq.data_len = body->data_len;

	ch = te_api_chan_acquire(a);
	if (enc)
		TE_GUARD(te_ipc_encrypt_req_encode(&ireq, ch->req));
	else
		TE_GUARD(te_ipc_decrypt_req_encode(&ireq, ch->req));
	TE_GUARD(te_api_ipc_exchange(a, ch));
	if (ch->rep->type == TE_IPC_ERROR_REPLY) {
		api_map_ipc_error(ch, r->route.id, st);
		rc = TE_ERR_PERMISSION;
		goto out;
	}
	TE_GUARD(te_ipc_crypt_reply_decode(ch->rep, &crep));
	TE_GUARD(te_wl_reply_crypt(enc ? "ciphertext" : "plaintext", crep.data, crep.data_len,
				   json));
out:
	if (ch != NULL)
		te_api_chan_release(ch);
	te_secure_free(body);
	return rc;
}

/* Server and identity certificates: a fresh key pair each time, made and
 * certified by the keys process (the key is the module's to keep). */
static te_err api_do_cert(te_api *a, const te_api_req *r, const char *ctype, te_buf *json,
			  te_wl_status *st)
{
	te_err rc = TE_OK;
	int server = r->route.id == TE_WL_ROUTE_CERT_SERVER;
	te_wl_cert_req body;
	te_ipc_cert_req ireq;
	te_ipc_cert_reply crep;
	api_chan *ch = NULL;

	if (server)
		rc = te_wl_parse_server_cert(r->body.data, r->body.len, ctype, &body, st);
	else
		rc = te_wl_parse_identity_cert(r->body.data, r->body.len, ctype, &body, st);
	TE_GUARD(rc);
	memset(&ireq, 0, sizeof(ireq));
	snprintf(ireq.module, sizeof(ireq.module), "%s", r->route.name);
	snprintf(ireq.genid, sizeof(ireq.genid), "%s", r->route.genid);
	snprintf(ireq.common_name, sizeof(ireq.common_name), "%s", body.common_name);
	ireq.has_expiration = body.has_expiration;
	ireq.expiration = body.has_expiration ? body.expiration : 0;

	ch = te_api_chan_acquire(a);
	if (server)
		TE_GUARD(te_ipc_cert_server_req_encode(&ireq, ch->req));
	else
		TE_GUARD(te_ipc_cert_identity_req_encode(&ireq, ch->req));
	TE_GUARD(te_api_ipc_exchange(a, ch));
	if (ch->rep->type == TE_IPC_ERROR_REPLY) {
		api_map_ipc_error(ch, r->route.id, st);
		rc = TE_ERR_PERMISSION;
		goto out;
	}
	TE_GUARD(te_ipc_cert_reply_decode(ch->rep, &crep));
	TE_GUARD(te_wl_reply_cert(crep.cert_pem, crep.cert_pem_len, crep.key_pem, crep.key_pem_len,
				  crep.expiration, json));
out:
	if (ch != NULL)
		te_api_chan_release(ch);
	return rc;
}

static te_err api_do_bundle(te_api *a, const te_api_req *r, te_buf *json, te_wl_status *st)
{
	te_err rc = TE_OK;
	te_ipc_bundle_reply brep;
	api_chan *ch = te_api_chan_acquire(a);

	if (r->route.id == TE_WL_ROUTE_TRUST_BUNDLE)
		TE_GUARD(te_ipc_trust_bundle_req_encode(ch->req));
	else
		TE_GUARD(te_ipc_manifest_trust_bundle_req_encode(ch->req));
	TE_GUARD(te_api_ipc_exchange(a, ch));
	if (ch->rep->type == TE_IPC_ERROR_REPLY) {
		api_map_ipc_error(ch, r->route.id, st);
		rc = TE_ERR_PERMISSION;
		goto out;
	}
	TE_GUARD(te_ipc_bundle_reply_decode(ch->rep, &brep));
	TE_GUARD(te_wl_reply_bundle(brep.pem, brep.pem_len, json));
out:
	te_api_chan_release(ch);
	return rc;
}

static te_err api_do_list_modules(const te_api *a, te_buf *json)
{
	te_err rc = TE_OK;
	size_t n = a->dc != NULL ? a->dc->n_modules : 0;
	const char **names = calloc(n + 1, sizeof(*names));

	TE_ENSURE(names != NULL, TE_ERR_NO_MEMORY, "module list");
	for (size_t i = 0; i < n; i++)
		names[i] = a->dc->modules[i].name;
	TE_GUARD(te_wl_reply_modules(names, n, json));
out:
	free(names);
	return rc;
}

const te_daemon_config *te_api_dc(const te_api *a)
{
	return a->dc;
}

te_authz *te_api_authz(const te_api *a)
{
	return a->authz;
}

/* ---- the access handler ---- */

static const te_api_conn *api_conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* First call: route, then authorize module routes.  Returns 1 when a
 * refusal was queued (or must be: *mr says how queueing went). */
static int api_first_call(te_api *a, struct MHD_Connection *conn, const te_api_conn *pc,
			  te_api_req *r, const char *url, const char *method,
			  enum MHD_Result *mr)
{
	const char *ver = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "api-version");
	const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_LENGTH);
	te_err rc;

	if (te_wl_route(method, url, ver, &r->route) != TE_OK) {
		*mr = api_send_error(conn, &r->route.status);
		return 1;
	}
	if (r->route.name[0] != '\0') {
		const char *refusal = "the caller is not the module named in the request";

		rc = te_authz_caller_is(a->authz, &pc->peer, r->route.name);
		if (rc == TE_OK && r->route.genid[0] != '\0') {
			refusal = "the generation id is not the module's";
			rc = te_authz_generation_is(a->authz, r->route.name, r->route.genid);
		}
		if (rc != TE_OK) {
			te_log_info("audit: caller uid=%u pid=%u op=%s module=%s result=denied: %s",
				    (unsigned)pc->peer.uid, (unsigned)pc->peer.pid,
				    api_route_name(r->route.id), r->route.name, te_err_detail());
			if (rc == TE_ERR_PERMISSION)
				*mr = te_api_send_status(conn, 403, refusal);
			else
				*mr = te_api_send_status(conn, 500, "internal error");
			return 1;
		}
	}
	/* A declared length over the limit is refused before it is sent
	 * (curl and others wait for "100 Continue"). */
	if (clen != NULL) {
		char *end = NULL;
		unsigned long long n;

		errno = 0;
		n = strtoull(clen, &end, 10);
		if (errno != 0 || end == clen || *end != '\0' || n > a->max_body) {
			*mr = te_api_send_status(conn, 413, "request body too large");
			return 1;
		}
	}
	return 0;
}

/* The audit line of a module operation, once its outcome is known.
 * Certificates are always at info; sign, encrypt and decrypt, which are
 * the request load, at debug unless log.audit_all is set. */
static void api_audit(const te_api *a, const te_api_conn *pc, const te_api_req *r, int http)
{
	te_wl_route_id id = r->route.id;
	int always = id == TE_WL_ROUTE_CERT_SERVER || id == TE_WL_ROUTE_CERT_IDENTITY;

	if (r->route.name[0] == '\0')
		return; /* anonymous routes: module list, trust bundles */
	te_log(always || (a->dc != NULL && a->dc->audit_all) ? TE_LOG_INFO : TE_LOG_DEBUG,
	       "audit: caller uid=%u pid=%u op=%s module=%s genid=%s result=%s status=%d",
	       (unsigned)pc->peer.uid, (unsigned)pc->peer.pid, api_route_name(id), r->route.name,
	       r->route.genid[0] != '\0' ? r->route.genid : "-",
	       "allowed", http);
}

static enum MHD_Result api_last_call(te_api *a, struct MHD_Connection *conn,
				     const te_api_conn *pc, te_api_req *r)
{
	const char *ctype =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	te_wl_status st;
	te_buf json;
	te_err rc;
	int created = 0;

	if (r->too_large)
		return te_api_send_status(conn, 413, "request body too large");
	memset(&st, 0, sizeof(st));
	/* Secure: a decrypt's reply is the module's plaintext, a sign's a
	 * bearer signature. */
	te_buf_init(&json, 1);
	switch (r->route.id) {
	case TE_WL_ROUTE_LIST_MODULES:
		rc = api_do_list_modules(a, &json);
		break;
	case TE_WL_ROUTE_SIGN:
		rc = api_do_sign(a, r, ctype, &json, &st);
		break;
	case TE_WL_ROUTE_ENCRYPT:
	case TE_WL_ROUTE_DECRYPT:
		rc = api_do_crypt(a, r, ctype, &json, &st);
		break;
	case TE_WL_ROUTE_CERT_SERVER:
	case TE_WL_ROUTE_CERT_IDENTITY:
		rc = api_do_cert(a, r, ctype, &json, &st);
		created = 1;
		break;
	case TE_WL_ROUTE_TRUST_BUNDLE:
	case TE_WL_ROUTE_MANIFEST_TRUST_BUNDLE:
		rc = api_do_bundle(a, r, &json, &st);
		break;
	case TE_WL_ROUTE_NONE:
	default:
		return te_api_send_status(conn, 500, "internal error");
	}
	if (rc == TE_OK) {
		api_audit(a, pc, r, created ? 201 : 200);
		return te_api_send_json(conn, created ? 201 : 200, &json);
	}
	te_buf_free(&json);
	if (st.http_status != 0) {
		api_audit(a, pc, r, st.http_status);
		return api_send_error(conn, &st);
	}
	te_log_err(rc, api_route_name(r->route.id));
	api_audit(a, pc, r, 500);
	return te_api_send_status(conn, 500, "internal error");
}

static enum MHD_Result api_access(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	te_api *a = cls;
	te_api_req *r = *con_cls;
	const te_api_conn *pc = api_conn_of(conn);
	enum MHD_Result mr = MHD_YES;

	(void)version;
	if (pc == NULL || !pc->have_peer || !pc->counted)
		return MHD_NO; /* refused at accept: close */
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		te_buf_init(&r->body, 1);
		r->started_ms = api_now_ms();
		*con_cls = r;
		te_err_clear();
		if (a->service == TE_DAEMON_SOCKET_KEYS || a->service == TE_DAEMON_SOCKET_CERTS ||
		    a->service == TE_DAEMON_SOCKET_IDENTITY)
			return MHD_YES; /* routed once the body is in (api_<service>.c) */
		if (a->service != TE_DAEMON_SOCKET_WORKLOAD) {
			char msg[96];

			snprintf(msg, sizeof(msg), "the %s API is not served by this build yet",
				 te_daemon_socket_name(a->service));
			r->answered = 1;
			return te_api_send_status(conn, 501, msg);
		}
		if (api_first_call(a, conn, pc, r, url, method, &mr))
			r->answered = 1;
		return mr;
	}
	if (*upload_data_size != 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->answered || r->too_large)
			return MHD_YES;
		if (api_now_ms() - r->started_ms > a->read_timeout_ms) {
			/* A client that trickles its body would hold a
			 * connection slot for as long as it likes.  The
			 * reference answers 408 here; libmicrohttpd (0.9.75)
			 * cannot queue a reply while a body is arriving, so
			 * the connection is closed instead, and said so. */
			te_log_info("closing a connection of uid %u pid %u: request body not "
				    "received within %u ms (limits.read_timeout_ms)",
				    (unsigned)pc->peer.uid, (unsigned)pc->peer.pid,
				    a->read_timeout_ms);
			r->answered = 1;
			te_buf_free(&r->body);
			return MHD_NO;
		}
		if (n > a->max_body - r->body.len) {
			/* Keep reading (and dropping) to answer 413 at the end. */
			r->too_large = 1;
			te_buf_free(&r->body);
			return MHD_YES;
		}
		return te_buf_append(&r->body, upload_data, n) == TE_OK ? MHD_YES : MHD_NO;
	}
	if (r->answered)
		return MHD_YES;
	r->answered = 1;
	if (a->service != TE_DAEMON_SOCKET_WORKLOAD) {
		te_api_call call = {
		    .method = method,
		    .url = url,
		    .api_version = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
							       "api-version"),
		    .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_CONTENT_TYPE),
		    .peer = &pc->peer,
		    .body = r->body.data,
		    .body_len = r->body.len,
		};

		if (r->too_large)
			return te_api_send_status(conn, 413, "request body too large");
		switch (a->service) {
		case TE_DAEMON_SOCKET_KEYS: return te_api_keys_handle(a, conn, &call);
		case TE_DAEMON_SOCKET_CERTS: return te_api_certs_handle(a, conn, &call);
		case TE_DAEMON_SOCKET_IDENTITY: return te_api_identity_handle(a, conn, &call);
		default: return te_api_send_status(conn, 500, "internal error");
		}
	}
	return api_last_call(a, conn, pc, r);
}

static void api_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	te_api_req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	te_buf_free(&r->body);
	free(r);
	*con_cls = NULL;
}

/* Accept and close: count connections per uid, refuse over the limit. */
static void api_notify_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code)
{
	te_api *a = cls;
	te_api_conn *pc = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (pc != NULL && pc->counted)
			te_authz_conn_close(a->authz, pc->peer.uid);
		free(pc);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	pc = calloc(1, sizeof(*pc));
	*socket_context = pc;
	if (pc != NULL && ci != NULL && te_peer_cred(ci->connect_fd, &pc->peer) == TE_OK) {
		pc->have_peer = 1;
		if (te_authz_conn_open(a->authz, pc->peer.uid) == TE_OK)
			pc->counted = 1;
		else
			te_log_warn("refusing a connection: %s", te_err_detail());
	}
	/* No callback can close a connection here: shutting the socket down
	 * makes libmicrohttpd see the end of it and close it; a request that
	 * still got through is refused by the access handler. */
	if ((pc == NULL || !pc->counted) && ci != NULL)
		(void)shutdown(ci->connect_fd, SHUT_RDWR);
}

/* Paths reach te_wl_route exactly as sent: no percent-decoding, so "%2F"
 * or "%00" cannot smuggle a separator or a NUL past the route checks. */
static size_t api_no_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

void te_api_chans_free(te_api_chans *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; cs->chans != NULL && i < cs->n; i++) {
		te_secure_free(cs->chans[i].req);
		te_secure_free(cs->chans[i].rep);
		pthread_mutex_destroy(&cs->chans[i].lock);
	}
	free(cs->chans);
	free(cs);
}

te_err te_api_chans_new(const int *fds, size_t n, te_api_chans **out)
{
	te_err rc = TE_OK;
	te_api_chans *cs = NULL;

	*out = NULL;
	TE_ENSURE(n >= 1 && n <= TE_API_THREADS_MAX, TE_ERR_INVALID_ARG,
		  "api: %zu IPC channels (1 to %d)", n, TE_API_THREADS_MAX);
	cs = calloc(1, sizeof(*cs));
	TE_ENSURE(cs != NULL, TE_ERR_NO_MEMORY, "api: IPC channels");
	cs->chans = calloc(n, sizeof(*cs->chans));
	TE_ENSURE(cs->chans != NULL, TE_ERR_NO_MEMORY, "api: IPC channels");
	for (size_t i = 0; i < n; i++) {
		api_chan *ch = &cs->chans[i];

		ch->fd = fds[i];
		TE_ENSURE(ch->fd >= 0, TE_ERR_INVALID_ARG, "api: IPC channel %zu has no fd", i);
		TE_ENSURE(pthread_mutex_init(&ch->lock, NULL) == 0, TE_ERR_INTERNAL, "api: mutex");
		cs->n = i + 1; /* from here te_api_chans_free destroys the mutex */
	}
	/* Channel 0's buffers now, the others' on first use: an idle worker
	 * costs no locked memory, and channel 0 is the fallback when there
	 * is none to be had. */
	TE_ENSURE(api_chan_buffers(&cs->chans[0]), TE_ERR_NO_MEMORY, "api: IPC buffers");
	*out = cs;
	cs = NULL;
out:
	te_api_chans_free(cs);
	return rc;
}

static void api_free(te_api *a)
{
	if (a->own_chans)
		te_api_chans_free(a->chans);
	free(a);
}

te_err te_api_start(const te_api_config *c, te_api **out)
{
	te_err rc = TE_OK;
	te_api *a = NULL;
	unsigned flags = MHD_USE_ITC;
	unsigned threads = c->threads != 0 ? c->threads : 1;

	*out = NULL;
	TE_ENSURE(c->listen_fd >= 0 && c->authz != NULL &&
		      (c->chans != NULL || c->ipc_fd >= 0 || c->n_ipc_fds != 0),
		  TE_ERR_INVALID_ARG, "api: listen fd, IPC fd and authz are required");
	TE_ENSURE(threads <= TE_API_THREADS_MAX, TE_ERR_INVALID_ARG,
		  "api: %u threads is more than %u", threads, TE_API_THREADS_MAX);
	a = calloc(1, sizeof(*a));
	TE_ENSURE(a != NULL, TE_ERR_NO_MEMORY, "api");
	a->authz = c->authz;
	a->dc = c->dc;
	a->max_body = c->max_body_bytes == 0 || c->max_body_bytes > TE_WL_BODY_MAX
			  ? TE_WL_BODY_MAX
			  : c->max_body_bytes;
	a->ipc_timeout_ms = c->ipc_timeout_ms != 0 ? c->ipc_timeout_ms : TE_API_IPC_TIMEOUT_MS;
	a->read_timeout_ms = c->read_timeout_ms != 0 ? c->read_timeout_ms : 5000;
	a->service = c->service;
	if (c->chans != NULL) {
		a->chans = c->chans;
	} else {
		TE_GUARD(te_api_chans_new(c->n_ipc_fds != 0 ? c->ipc_fds : &c->ipc_fd,
					  c->n_ipc_fds != 0 ? c->n_ipc_fds : 1, &a->chans));
		a->own_chans = 1;
	}
	/* epoll with one thread per pool slot; a lone thread polls itself. */
	flags |= threads > 1 ? MHD_USE_EPOLL_INTERNAL_THREAD : MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	if (c->mhd_error_log)
		flags |= MHD_USE_ERROR_LOG;
	a->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, api_access, a, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)c->listen_fd,
	    MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)TE_API_CONN_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(c->conn_timeout_s ? c->conn_timeout_s : 5),
	    MHD_OPTION_NOTIFY_CONNECTION, api_notify_conn, a, MHD_OPTION_NOTIFY_COMPLETED,
	    api_completed, a, MHD_OPTION_UNESCAPE_CALLBACK, api_no_unescape, a, MHD_OPTION_END);
	TE_ENSURE(a->mhd != NULL, TE_ERR_IO, "api: libmicrohttpd did not start on fd %d",
		  c->listen_fd);
	*out = a;
	a = NULL;
out:
	if (a != NULL)
		api_free(a);
	return rc;
}

void te_api_drain(te_api *a)
{
	if (a == NULL)
		return;
	atomic_store(&api_closing, 1);
	/* Hands the listen socket back: no new connection is accepted here
	 * (the next API process takes them), in-flight ones go on. */
	(void)MHD_quiesce_daemon(a->mhd);
}

unsigned te_api_connections(te_api *a)
{
	const union MHD_DaemonInfo *di;

	if (a == NULL)
		return 0;
	di = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di != NULL ? di->num_connections : 0;
}

void te_api_stop(te_api *a)
{
	if (a == NULL)
		return;
	/* Quiescing hands the listen socket back, so stopping does not
	 * close a descriptor its owner will close again. */
	(void)MHD_quiesce_daemon(a->mhd);
	MHD_stop_daemon(a->mhd);
	api_free(a);
}
