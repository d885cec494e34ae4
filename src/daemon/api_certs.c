/*
 * api_certs.c - the certificates service (services-api.md) on the certs
 * socket, in the API process: routes the request and parses its body with
 * the pure layer (svc_certs.h), sends one CERTSVC_REQ with the caller's
 * uid (SO_PEERCRED) to the keys process, and turns its CERTSVC_REPLY into
 * the HTTP status and JSON body.
 *
 * Nothing is decided here beyond the shape of the request: CSRs and PEMs
 * are parsed as X.509, issuer key handles authenticated and principals
 * checked in the keys process, which also picks the status of each answer
 * (keys_certsvc.h).  The request's key handle is wiped after use.
 */
#include "daemon/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/te_log.h"
#include "daemon/svc_certs.h"
#include "trustedge/te_mem.h"

_Static_assert(TE_IPC_CERTSVC_ID_MAX == TE_SVC_CERTS_ID_MAX, "certificate ids");
_Static_assert(TE_IPC_CERTSVC_HANDLE_MAX == TE_KEYHANDLE_TEXT_MAX, "handles");
_Static_assert(TE_IPC_CERTSVC_CSR_MAX == TE_SVC_CERTS_CSR_MAX &&
                   TE_IPC_CERTSVC_PEM_MAX == TE_SVC_CERTS_PEM_MAX,
               "request and reply bounds");
_Static_assert(TE_IPC_CERTSVC_MSG_MAX < TE_HJ_MESSAGE_MAX, "a refusal fits a te_wl_status");

/* Whichever body the route takes. */
typedef union ac_body {
	te_svc_certs_create_req create;
	te_svc_certs_import_req import;
} ac_body;

/* Parses the body the route takes into b and fills r (whose byte fields
 * then point into b).  A refusal of the body is in st. */
static te_err ac_request(const te_svc_certs_route_t *rt, const te_api_call *c, ac_body *b,
                         te_ipc_certsvc_req *r, te_wl_status *st)
{
	te_err rc = TE_OK;

	switch (rt->id) {
	case TE_SVC_CERTS_ROUTE_CREATE:
		TE_GUARD(te_svc_certs_parse_create(c->body, c->body_len, c->content_type,
		                                   &b->create, st));
		r->op = TE_IPC_CERTSVC_CREATE;
		snprintf(r->cert_id, sizeof(r->cert_id), "%s", b->create.cert_id);
		r->csr = b->create.csr;
		r->csr_len = b->create.csr_len;
		if (b->create.has_issuer) {
			snprintf(r->issuer_cert_id, sizeof(r->issuer_cert_id), "%s",
			         b->create.issuer_cert_id);
			snprintf(r->issuer_handle, sizeof(r->issuer_handle), "%s",
			         b->create.issuer_key_handle);
		}
		break;
	case TE_SVC_CERTS_ROUTE_IMPORT:
		TE_GUARD(te_svc_certs_parse_import(c->body, c->body_len, c->content_type,
		                                   &b->import, st));
		r->op = TE_IPC_CERTSVC_IMPORT;
		snprintf(r->cert_id, sizeof(r->cert_id), "%s", rt->cert_id);
		r->pem = b->import.pem;
		r->pem_len = b->import.pem_len;
		break;
	case TE_SVC_CERTS_ROUTE_GET:
	case TE_SVC_CERTS_ROUTE_DELETE:
		/* Like the reference, a body sent with these is ignored. */
		r->op =
		    rt->id == TE_SVC_CERTS_ROUTE_GET ? TE_IPC_CERTSVC_GET : TE_IPC_CERTSVC_DELETE;
		snprintf(r->cert_id, sizeof(r->cert_id), "%s", rt->cert_id);
		break;
	case TE_SVC_CERTS_ROUTE_NONE:
	default:
		TE_ENSURE(0, TE_ERR_INTERNAL, "certificates API: route %d", (int)rt->id);
	}
	r->uid = (uint32_t)c->peer->uid;
out:
	return rc;
}

static void ac_status(te_wl_status *st, int http, const char *msg)
{
	st->http_status = http;
	snprintf(st->message, sizeof(st->message), "%s", msg);
}

/* The keys process's answer in ch->rep: JSON of a success into json and
 * its status into *http, or a refusal into st. */
static te_err ac_answer(const api_chan *ch, unsigned *http, te_buf *json, te_wl_status *st)
{
	te_err rc = TE_OK;
	te_ipc_certsvc_reply cr;
	te_ipc_error_reply er;

	if (ch->rep->type == TE_IPC_ERROR_REPLY) {
		TE_GUARD(te_ipc_error_reply_decode(ch->rep, &er));
		if (er.code == TE_ERR_UNSUPPORTED) {
			ac_status(st, 501,
			          "the certificates service is not available on this device");
			goto out;
		}
		te_log_warn("keys process failed a certificates service request: %s: %s",
		            te_err_name(er.code), er.message);
		ac_status(st, 500, "internal error");
		goto out;
	}
	TE_GUARD(te_ipc_certsvc_reply_decode(ch->rep, &cr));
	switch (cr.kind) {
	case TE_IPC_CERTSVC_REPLY_MESSAGE:
		/* The decoder held it to 1..255 printable characters. */
		st->http_status = cr.status;
		memcpy(st->message, cr.payload, cr.payload_len);
		st->message[cr.payload_len] = '\0';
		goto out;
	case TE_IPC_CERTSVC_REPLY_PEM:
		TE_GUARD(te_svc_certs_reply_pem((const char *)cr.payload, cr.payload_len, json));
		break;
	case TE_IPC_CERTSVC_REPLY_NONE:
		break;
	default:
		TE_ENSURE(0, TE_ERR_INTERNAL, "certificates API: reply kind %u", (unsigned)cr.kind);
	}
	*http = cr.status;
out:
	return rc;
}

static enum MHD_Result ac_send_error(struct MHD_Connection *conn, const te_wl_status *st)
{
	te_buf json;

	te_buf_init(&json, 0);
	if (te_svc_certs_reply_error(st, &json) != TE_OK) {
		te_buf_free(&json);
		return MHD_NO;
	}
	return te_api_send_json(conn, (unsigned)st->http_status, &json);
}

enum MHD_Result te_api_certs_handle(te_api *a, struct MHD_Connection *conn, const te_api_call *c)
{
	te_err rc = TE_OK;
	te_svc_certs_route_t rt;
	te_wl_status st;
	te_ipc_certsvc_req req;
	ac_body *body = calloc(1, sizeof(ac_body));
	api_chan *ch = NULL;
	unsigned http = 0;
	te_buf json;

	memset(&st, 0, sizeof(st));
	memset(&req, 0, sizeof(req));
	te_buf_init(&json, 0);
	TE_ENSURE(body != NULL, TE_ERR_NO_MEMORY, "certificates API: out of memory");
	if (te_svc_certs_route(c->method, c->url, c->api_version, &rt) != TE_OK) {
		st = rt.status;
		goto out;
	}
	TE_GUARD(ac_request(&rt, c, body, &req, &st));
	ch = te_api_chan_acquire(a);
	TE_GUARD(te_ipc_certsvc_req_encode(&req, ch->req));
	TE_GUARD(te_api_ipc_exchange(a, ch));
	TE_GUARD(ac_answer(ch, &http, &json, &st));
out:
	if (ch != NULL)
		te_api_chan_release(ch);
	/* The issuer's key handle is in both. */
	te_memzero(&req, sizeof(req));
	if (body != NULL)
		te_memzero(body, sizeof(*body));
	free(body);
	if (rc == TE_OK && st.http_status == 0)
		return te_api_send_json(conn, http, &json);
	te_buf_free(&json);
	if (st.http_status != 0)
		return ac_send_error(conn, &st);
	te_log_err(rc, "certificates API");
	return te_api_send_status(conn, 500, "internal error");
}
