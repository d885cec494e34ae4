/*
 * api_keys.c - the keys service (services-api.md) on the keys socket, in
 * the API process: routes the request and parses its body with the pure
 * layer (svc_keys.h), sends one KEYSVC_REQ with the caller's uid
 * (SO_PEERCRED) to the keys process, and turns its KEYSVC_REPLY into the
 * HTTP status and JSON body.
 *
 * Nothing is decided here beyond the shape of the request: handles are
 * authenticated and principals checked in the keys process, which holds
 * the handle-validation key, and which picks the status of each answer
 * (keys_svc.h).  Parsed bodies live in secure memory and are wiped (a
 * plaintext to encrypt, key bytes to import); replies are built in a
 * secure buffer (a plaintext, a signature, an exported key).
 */
#include "daemon/api_int.h"

#include <stdio.h>
#include <string.h>

#include "common/te_log.h"
#include "daemon/svc_keys.h"
#include "trustedge/te_mem.h"

_Static_assert(TE_IPC_KEYSVC_ID_MAX == TE_KEYHANDLE_ID_MAX, "key ids");
_Static_assert(TE_IPC_KEYSVC_HANDLE_MAX == TE_KEYHANDLE_TEXT_MAX, "handles");
_Static_assert(TE_IPC_KEYSVC_PREFS_MAX == TE_SVC_KEYS_PREF_MAX, "preferences");
_Static_assert(TE_IPC_KEYSVC_KEY_BYTES_MAX == TE_SVC_KEYS_KEY_BYTES_MAX &&
                   TE_IPC_KEYSVC_DIGEST_MAX == TE_SVC_KEYS_DIGEST_MAX &&
                   TE_IPC_KEYSVC_MESSAGE_MAX == TE_SVC_KEYS_MESSAGE_MAX &&
                   TE_IPC_KEYSVC_PLAINTEXT_MAX == TE_SVC_KEYS_PLAINTEXT_MAX &&
                   TE_IPC_KEYSVC_CIPHERTEXT_MAX == TE_SVC_KEYS_CIPHERTEXT_MAX &&
                   TE_IPC_KEYSVC_IV_MAX == TE_SVC_KEYS_IV_MAX &&
                   TE_IPC_KEYSVC_AAD_MAX == TE_SVC_KEYS_AAD_MAX &&
                   TE_IPC_KEYSVC_DERIVATION_MAX == TE_SVC_KEYS_DERIVATION_MAX,
               "request bounds");
_Static_assert(TE_IPC_KEYSVC_MSG_MAX < TE_WL_MESSAGE_MAX, "a refusal fits a te_wl_status");

/* Whichever body the route takes. */
typedef union ak_body {
	te_svc_keys_handle_req handle;
	te_svc_keys_key_create_req create;
	te_svc_keys_keypair_create_req pair;
	te_svc_keys_move_req move;
	te_svc_keys_sign_req sign;
	te_svc_keys_crypt_req crypt;
	te_svc_keys_derive_req derive;
} ak_body;

static uint8_t ak_param(te_svc_keys_param p)
{
	switch (p) {
	case TE_SVC_KEYS_PARAM_ALGORITHM:
		return TE_IPC_KEYSVC_PARAM_ALGORITHM;
	case TE_SVC_KEYS_PARAM_EC_CURVE_OID:
		return TE_IPC_KEYSVC_PARAM_EC_CURVE_OID;
	case TE_SVC_KEYS_PARAM_EC_POINT:
		return TE_IPC_KEYSVC_PARAM_EC_POINT;
	case TE_SVC_KEYS_PARAM_RSA_MODULUS:
		return TE_IPC_KEYSVC_PARAM_RSA_MODULUS;
	case TE_SVC_KEYS_PARAM_RSA_EXPONENT:
		return TE_IPC_KEYSVC_PARAM_RSA_EXPONENT;
	case TE_SVC_KEYS_PARAM_NONE:
	default:
		return TE_IPC_KEYSVC_PARAM_NONE;
	}
}

static uint8_t ak_pref(te_svc_keys_pref p)
{
	switch (p) {
	case TE_SVC_KEYS_PREF_EC_P256:
		return TE_IPC_KEYSVC_PREF_EC_P256;
	case TE_SVC_KEYS_PREF_RSA_2048:
		return TE_IPC_KEYSVC_PREF_RSA_2048;
	case TE_SVC_KEYS_PREF_RSA_4096:
		return TE_IPC_KEYSVC_PREF_RSA_4096;
	case TE_SVC_KEYS_PREF_ANY:
		return TE_IPC_KEYSVC_PREF_ANY;
	case TE_SVC_KEYS_PREF_NONE:
	default:
		return 0; /* refused by the encoder */
	}
}

static uint8_t ak_crypt_alg(te_svc_keys_crypt_alg alg)
{
	switch (alg) {
	case TE_SVC_KEYS_CRYPT_AEAD:
		return TE_IPC_KEYSVC_ALG_AEAD;
	case TE_SVC_KEYS_CRYPT_RSA_PKCS1:
		return TE_IPC_KEYSVC_ALG_RSA_PKCS1;
	case TE_SVC_KEYS_CRYPT_RSA_NO_PADDING:
		return TE_IPC_KEYSVC_ALG_RSA_NO_PADDING;
	case TE_SVC_KEYS_CRYPT_NONE:
	default:
		return TE_IPC_KEYSVC_ALG_NONE;
	}
}

/* Parses the body the route takes into b and fills r (whose byte fields
 * then point into b).  A refusal of the body is in st. */
static te_err ak_request(const te_svc_keys_route_t *rt, const te_api_call *c, ak_body *b,
                         te_ipc_keysvc_req *r, te_wl_status *st)
{
	te_err rc = TE_OK;
	const void *body = c->body;
	size_t len = c->body_len;
	const char *ct = c->content_type;

	switch (rt->id) {
	case TE_SVC_KEYS_ROUTE_KEY_CREATE:
		TE_GUARD(te_svc_keys_parse_key_create(body, len, ct, &b->create, st));
		r->op = TE_IPC_KEYSVC_KEY_CREATE;
		snprintf(r->key_id, sizeof(r->key_id), "%s", b->create.key_id);
		r->usage = b->create.usage;
		if (b->create.import) {
			r->key_bytes = b->create.key_bytes;
			r->key_bytes_len = b->create.key_bytes_len;
		} else {
			r->length_bytes = (uint16_t)b->create.length_bytes;
		}
		break;
	case TE_SVC_KEYS_ROUTE_KEY_LOAD:
	case TE_SVC_KEYS_ROUTE_KEYPAIR_LOAD:
		r->op = rt->id == TE_SVC_KEYS_ROUTE_KEY_LOAD ? TE_IPC_KEYSVC_KEY_LOAD
		                                             : TE_IPC_KEYSVC_KEYPAIR_LOAD;
		snprintf(r->key_id, sizeof(r->key_id), "%s", rt->key_id);
		break;
	case TE_SVC_KEYS_ROUTE_KEY_DELETE:
	case TE_SVC_KEYS_ROUTE_KEYPAIR_DELETE:
	case TE_SVC_KEYS_ROUTE_PARAMETER:
	case TE_SVC_KEYS_ROUTE_DERIVED_EXPORT:
		TE_GUARD(te_svc_keys_parse_handle(body, len, ct, &b->handle, st));
		r->op = rt->id == TE_SVC_KEYS_ROUTE_KEY_DELETE       ? TE_IPC_KEYSVC_KEY_DELETE
		        : rt->id == TE_SVC_KEYS_ROUTE_KEYPAIR_DELETE ? TE_IPC_KEYSVC_KEYPAIR_DELETE
		        : rt->id == TE_SVC_KEYS_ROUTE_PARAMETER      ? TE_IPC_KEYSVC_PARAMETER
		                                                     : TE_IPC_KEYSVC_DERIVED_EXPORT;
		snprintf(r->handle, sizeof(r->handle), "%s", b->handle.key_handle);
		if (rt->id == TE_SVC_KEYS_ROUTE_PARAMETER)
			r->param = ak_param(rt->param);
		break;
	case TE_SVC_KEYS_ROUTE_KEYPAIR_CREATE:
		TE_GUARD(te_svc_keys_parse_keypair_create(body, len, ct, &b->pair, st));
		r->op = TE_IPC_KEYSVC_KEYPAIR_CREATE;
		snprintf(r->key_id, sizeof(r->key_id), "%s", b->pair.key_id);
		for (size_t i = 0; i < b->pair.n_algs && i < TE_IPC_KEYSVC_PREFS_MAX; i++)
			r->prefs[r->n_prefs++] = ak_pref(b->pair.algs[i]);
		break;
	case TE_SVC_KEYS_ROUTE_KEYPAIR_MOVE:
		TE_GUARD(te_svc_keys_parse_move(body, len, ct, rt->key_id, &b->move, st));
		r->op = TE_IPC_KEYSVC_KEYPAIR_MOVE;
		snprintf(r->key_id, sizeof(r->key_id), "%s", rt->key_id);
		snprintf(r->from_key_id, sizeof(r->from_key_id), "%s", b->move.from);
		break;
	case TE_SVC_KEYS_ROUTE_SIGN:
		TE_GUARD(te_svc_keys_parse_sign(body, len, ct, &b->sign, st));
		r->op = TE_IPC_KEYSVC_SIGN;
		snprintf(r->handle, sizeof(r->handle), "%s", b->sign.key_handle);
		r->alg = b->sign.alg == TE_SVC_KEYS_SIGN_ECDSA ? TE_IPC_KEYSVC_ALG_ECDSA
		                                               : TE_IPC_KEYSVC_ALG_HMAC_SHA256;
		r->data = b->sign.data;
		r->data_len = b->sign.data_len;
		break;
	case TE_SVC_KEYS_ROUTE_ENCRYPT:
	case TE_SVC_KEYS_ROUTE_DECRYPT:
		if (rt->id == TE_SVC_KEYS_ROUTE_ENCRYPT)
			TE_GUARD(te_svc_keys_parse_encrypt(body, len, ct, &b->crypt, st));
		else
			TE_GUARD(te_svc_keys_parse_decrypt(body, len, ct, &b->crypt, st));
		r->op = rt->id == TE_SVC_KEYS_ROUTE_ENCRYPT ? TE_IPC_KEYSVC_ENCRYPT
		                                            : TE_IPC_KEYSVC_DECRYPT;
		snprintf(r->handle, sizeof(r->handle), "%s", b->crypt.key_handle);
		r->alg = ak_crypt_alg(b->crypt.alg);
		if (b->crypt.alg == TE_SVC_KEYS_CRYPT_AEAD) {
			r->iv = b->crypt.iv;
			r->iv_len = b->crypt.iv_len;
			r->aad = b->crypt.aad;
			r->aad_len = b->crypt.aad_len;
		}
		r->data = b->crypt.data;
		r->data_len = b->crypt.data_len;
		break;
	case TE_SVC_KEYS_ROUTE_DERIVE:
		TE_GUARD(te_svc_keys_parse_derive(body, len, ct, &b->derive, st));
		r->op = TE_IPC_KEYSVC_DERIVE;
		snprintf(r->handle, sizeof(r->handle), "%s", b->derive.base_key_handle);
		r->data = b->derive.data;
		r->data_len = b->derive.data_len;
		break;
	case TE_SVC_KEYS_ROUTE_NONE:
	default:
		TE_ENSURE(0, TE_ERR_INTERNAL, "keys API: route %d", (int)rt->id);
	}
	r->uid = (uint32_t)c->peer->uid;
out:
	return rc;
}

static void ak_status(te_wl_status *st, int http, const char *msg)
{
	st->http_status = http;
	snprintf(st->message, sizeof(st->message), "%s", msg);
}

/* The JSON of a success reply; payload[0..n) as NUL-terminated text in
 * buf for the text kinds. */
static te_err ak_json(const te_ipc_keysvc_reply *kr, te_buf *json)
{
	te_err rc = TE_OK;
	char text[TE_IPC_KEYSVC_HANDLE_MAX + 1];

	switch (kr->kind) {
	case TE_IPC_KEYSVC_REPLY_NONE:
		break;
	case TE_IPC_KEYSVC_REPLY_HANDLE:
	case TE_IPC_KEYSVC_REPLY_VALUE_TEXT:
		/* The decoder held both to their bounds and alphabets. */
		TE_ENSURE(kr->payload_len < sizeof(text), TE_ERR_INTERNAL, "reply text too long");
		memcpy(text, kr->payload, kr->payload_len);
		text[kr->payload_len] = '\0';
		if (kr->kind == TE_IPC_KEYSVC_REPLY_HANDLE)
			TE_GUARD(te_svc_keys_reply_handle(text, json));
		else
			TE_GUARD(te_svc_keys_reply_value_text(text, json));
		break;
	case TE_IPC_KEYSVC_REPLY_SIGNATURE:
		TE_GUARD(te_svc_keys_reply_b64(TE_SVC_KEYS_FIELD_SIGNATURE, kr->payload,
		                               kr->payload_len, json));
		break;
	case TE_IPC_KEYSVC_REPLY_CIPHERTEXT:
		TE_GUARD(te_svc_keys_reply_b64(TE_SVC_KEYS_FIELD_CIPHERTEXT, kr->payload,
		                               kr->payload_len, json));
		break;
	case TE_IPC_KEYSVC_REPLY_PLAINTEXT:
		TE_GUARD(te_svc_keys_reply_b64(TE_SVC_KEYS_FIELD_PLAINTEXT, kr->payload,
		                               kr->payload_len, json));
		break;
	case TE_IPC_KEYSVC_REPLY_KEY:
		TE_GUARD(te_svc_keys_reply_b64(TE_SVC_KEYS_FIELD_KEY, kr->payload, kr->payload_len,
		                               json));
		break;
	case TE_IPC_KEYSVC_REPLY_VALUE:
		TE_GUARD(te_svc_keys_reply_b64(TE_SVC_KEYS_FIELD_VALUE, kr->payload,
		                               kr->payload_len, json));
		break;
	default:
		TE_ENSURE(0, TE_ERR_INTERNAL, "keys API: reply kind %u", (unsigned)kr->kind);
	}
out:
	return rc;
}

/* The keys process's answer in ch->rep: JSON of a success into json and
 * its status into *http, or a refusal into st. */
static te_err ak_answer(const api_chan *ch, unsigned *http, te_buf *json, te_wl_status *st)
{
	te_err rc = TE_OK;
	te_ipc_keysvc_reply kr;
	te_ipc_error_reply er;

	if (ch->rep->type == TE_IPC_ERROR_REPLY) {
		TE_GUARD(te_ipc_error_reply_decode(ch->rep, &er));
		if (er.code == TE_ERR_UNSUPPORTED) {
			ak_status(st, 501, "the keys service is not available on this device");
			goto out;
		}
		te_log_warn("keys process failed a keys service request: %s: %s",
		            te_err_name(er.code), er.message);
		ak_status(st, 500, "internal error");
		goto out;
	}
	TE_GUARD(te_ipc_keysvc_reply_decode(ch->rep, &kr));
	if (kr.kind == TE_IPC_KEYSVC_REPLY_MESSAGE) {
		st->http_status = kr.status;
		memcpy(st->message, kr.payload, kr.payload_len);
		st->message[kr.payload_len] = '\0';
		goto out;
	}
	TE_GUARD(ak_json(&kr, json));
	*http = kr.status;
out:
	return rc;
}

static enum MHD_Result ak_send_error(struct MHD_Connection *conn, const te_wl_status *st)
{
	te_buf json;

	te_buf_init(&json, 0);
	if (te_svc_keys_reply_error(st, &json) != TE_OK) {
		te_buf_free(&json);
		return MHD_NO;
	}
	return te_api_send_json(conn, (unsigned)st->http_status, &json);
}

enum MHD_Result te_api_keys_handle(te_api *a, struct MHD_Connection *conn, const te_api_call *c)
{
	te_err rc = TE_OK;
	te_svc_keys_route_t rt;
	te_wl_status st;
	te_ipc_keysvc_req req;
	/* Secure: an encrypt body holds the plaintext, an import the key. */
	ak_body *body = te_secure_alloc(sizeof(ak_body));
	api_chan *ch = NULL;
	unsigned http = 0;
	te_buf json;

	memset(&st, 0, sizeof(st));
	memset(&req, 0, sizeof(req));
	/* Secure: a plaintext, a signature or an exported key. */
	te_buf_init(&json, 1);
	TE_ENSURE(body != NULL, TE_ERR_NO_MEMORY, "keys API: out of memory");
	if (te_svc_keys_route(c->method, c->url, c->api_version, &rt) != TE_OK) {
		st = rt.status;
		goto out;
	}
	TE_GUARD(ak_request(&rt, c, body, &req, &st));
	ch = te_api_chan_acquire(a);
	TE_GUARD(te_ipc_keysvc_req_encode(&req, ch->req));
	TE_GUARD(te_api_ipc_exchange(a, ch));
	TE_GUARD(ak_answer(ch, &http, &json, &st));
out:
	if (ch != NULL)
		te_api_chan_release(ch);
	/* req points into body; both may hold the caller's secret. */
	te_memzero(&req, sizeof(req));
	te_secure_free(body);
	if (rc == TE_OK && st.http_status == 0)
		return te_api_send_json(conn, http, &json);
	te_buf_free(&json);
	if (st.http_status != 0)
		return ak_send_error(conn, &st);
	te_log_err(rc, "keys API");
	return te_api_send_status(conn, 500, "internal error");
}
