/*
 * fuzz_svc_keys.c - libFuzzer target for the keys service API layer
 * (src/daemon/svc_keys.c): the router and every body parser.
 *
 * Input: the first byte picks the mode (low 7 bits mod 10): 0 routes the
 * rest as method NUL path NUL api-version (a missing part is NULL for the
 * method and the api-version, "" for the path); 1..8 feed the rest, as a
 * body, to the parsers of DELETE-style handle bodies, POST /key, POST
 * /keypair, the keypair move (to "dest-key"), /sign, /encrypt, /decrypt
 * and /derivedkey; 9 parses a handle body and opens the handle with a
 * fixed test MAC key.  Bit 7 set sends "text/plain" instead of
 * "application/json; charset=utf-8", which must be refused with 415.
 *
 * On success the decoded fields are within their bounds (ids by the key
 * name rules, handles base64url), the same input gives the same result
 * again, and data fields survive a reply; on failure the status is one of
 * those documented, the message turns into an error reply, and the output
 * is zero.  Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/svc_keys.h"
#include "trustedge/te_hsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union te_fz_req {
	te_svc_keys_handle_req handle;
	te_svc_keys_key_create_req key;
	te_svc_keys_keypair_create_req keypair;
	te_svc_keys_move_req move;
	te_svc_keys_sign_req sign;
	te_svc_keys_crypt_req crypt;
	te_svc_keys_derive_req derive;
};

static te_err te_fz_mac(void *arg, const uint8_t *d, size_t len, uint8_t tag[TE_KEYHANDLE_TAG_LEN])
{
	static const uint8_t key[32] = "fuzz handle-validation key 32 b";
	unsigned out = 0;

	(void)arg;
	if (HMAC(EVP_sha256(), key, sizeof(key), d, len, tag, &out) == NULL)
		return TE_ERR_CRYPTO;
	return TE_OK;
}

static void te_fz_check_status(const te_wl_status *st, const int *allowed, size_t n)
{
	te_buf reply;
	int hit = 0;

	for (size_t i = 0; i < n; i++)
		hit |= st->http_status == allowed[i];
	if (!hit || st->message[0] == '\0' ||
	    strnlen(st->message, sizeof(st->message)) == sizeof(st->message))
		abort();
	te_buf_init(&reply, 0);
	if (te_svc_keys_reply_error(st, &reply) != TE_OK || reply.data[0] != '{')
		abort();
	te_buf_free(&reply);
}

static void te_fz_check_id(const char *id, size_t room, int present)
{
	size_t n = strnlen(id, room);

	if (n == room)
		abort();
	if (!present) {
		if (n != 0)
			abort();
		return;
	}
	if (te_hsm_name_check(id) != TE_OK)
		abort();
}

static void te_fz_check_handle(const char *h)
{
	size_t n = strnlen(h, TE_KEYHANDLE_TEXT_MAX + 1);
	te_buf reply;

	if (n == 0 || n > TE_KEYHANDLE_TEXT_MAX)
		abort();
	te_buf_init(&reply, 0);
	if (te_svc_keys_reply_handle(h, &reply) != TE_OK)
		abort();
	te_buf_free(&reply);
}

static void te_fz_route(const uint8_t *data, size_t size)
{
	static const int allowed[] = {400, 404, 405};
	char *buf = malloc(size + 1);
	const char *parts[3] = {NULL, "", NULL};
	size_t np = 0, start = 0;
	te_svc_keys_route_t a, b;
	te_err rc;

	if (buf == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && np < 3; i++) {
		if (i == size || buf[i] == '\0') {
			parts[np++] = buf + start;
			start = i + 1;
		}
	}
	if (size == 0)
		parts[0] = NULL;
	rc = te_svc_keys_route(parts[0], parts[1], parts[2], &a);
	if (te_svc_keys_route(parts[0], parts[1], parts[2], &b) != rc ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if (rc == TE_OK) {
		int has_id = a.id == TE_SVC_KEYS_ROUTE_KEY_LOAD ||
		             a.id == TE_SVC_KEYS_ROUTE_KEYPAIR_LOAD ||
		             a.id == TE_SVC_KEYS_ROUTE_KEYPAIR_MOVE;
		if (a.id == TE_SVC_KEYS_ROUTE_NONE || a.version == TE_SVC_KEYS_API_NONE ||
		    a.status.http_status != 0 || a.status.message[0] != '\0')
			abort();
		te_fz_check_id(a.key_id, sizeof(a.key_id), has_id);
		if ((a.id == TE_SVC_KEYS_ROUTE_PARAMETER) != (a.param != TE_SVC_KEYS_PARAM_NONE))
			abort();
	} else {
		if (a.id != TE_SVC_KEYS_ROUTE_NONE || a.key_id[0] != '\0' ||
		    a.param != TE_SVC_KEYS_PARAM_NONE)
			abort();
		te_fz_check_status(&a.status, allowed, 3);
	}
	free(buf);
}

static size_t te_fz_size(int which)
{
	switch (which) {
	case 1:
	case 9:
		return sizeof(te_svc_keys_handle_req);
	case 2:
		return sizeof(te_svc_keys_key_create_req);
	case 3:
		return sizeof(te_svc_keys_keypair_create_req);
	case 4:
		return sizeof(te_svc_keys_move_req);
	case 5:
		return sizeof(te_svc_keys_sign_req);
	case 6:
	case 7:
		return sizeof(te_svc_keys_crypt_req);
	default:
		return sizeof(te_svc_keys_derive_req);
	}
}

static te_err te_fz_parse(int which, const uint8_t *body, size_t len, const char *ct,
                          union te_fz_req *o, te_wl_status *st)
{
	switch (which) {
	case 1:
	case 9:
		return te_svc_keys_parse_handle(body, len, ct, &o->handle, st);
	case 2:
		return te_svc_keys_parse_key_create(body, len, ct, &o->key, st);
	case 3:
		return te_svc_keys_parse_keypair_create(body, len, ct, &o->keypair, st);
	case 4:
		return te_svc_keys_parse_move(body, len, ct, "dest-key", &o->move, st);
	case 5:
		return te_svc_keys_parse_sign(body, len, ct, &o->sign, st);
	case 6:
		return te_svc_keys_parse_encrypt(body, len, ct, &o->crypt, st);
	case 7:
		return te_svc_keys_parse_decrypt(body, len, ct, &o->crypt, st);
	default:
		return te_svc_keys_parse_derive(body, len, ct, &o->derive, st);
	}
}

static void te_fz_reply(te_svc_keys_field f, const uint8_t *d, size_t n)
{
	te_buf b;

	te_buf_init(&b, 1);
	if (te_svc_keys_reply_b64(f, d, n, &b) != TE_OK || b.data[0] != '{' ||
	    b.data[b.len] != '\0')
		abort();
	te_buf_free(&b);
}

static void te_fz_check_ok(int which, const union te_fz_req *o)
{
	switch (which) {
	case 1:
		te_fz_check_handle(o->handle.key_handle);
		break;
	case 9: {
		te_keyhandle h;
		te_wl_status st;
		te_fz_check_handle(o->handle.key_handle);
		if (te_svc_keys_handle_open(te_fz_mac, NULL, o->handle.key_handle, 0xe, &h, &st) ==
		    TE_OK) {
			if (st.http_status != 0 || te_hsm_name_check(h.id) != TE_OK ||
			    h.data_len > TE_KEYHANDLE_DATA_MAX ||
			    (h.kind != TE_KEYHANDLE_KIND_DERIVED && h.data_len != 0))
				abort();
		} else if (st.http_status != 400) {
			abort();
		}
		break;
	}
	case 2:
		te_fz_check_id(o->key.key_id, sizeof(o->key.key_id), 1);
		if (o->key.usage == 0 ||
		    (o->key.usage &
		     ~(TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT | TE_HSM_USAGE_DERIVE)) ||
		    o->key.length_bytes > TE_SVC_KEYS_KEY_BYTES_MAX ||
		    (o->key.import && (o->key.key_bytes_len < 1 || o->key.length_bytes != 0)) ||
		    (!o->key.import && o->key.key_bytes_len != 0) ||
		    o->key.key_bytes_len > TE_SVC_KEYS_KEY_BYTES_MAX)
			abort();
		break;
	case 3:
		te_fz_check_id(o->keypair.key_id, sizeof(o->keypair.key_id), 1);
		if (o->keypair.n_algs < 1 || o->keypair.n_algs > TE_SVC_KEYS_PREF_MAX)
			abort();
		for (size_t i = 0; i < o->keypair.n_algs; i++) {
			if (o->keypair.algs[i] == TE_SVC_KEYS_PREF_NONE ||
			    o->keypair.algs[i] > TE_SVC_KEYS_PREF_ANY)
				abort();
		}
		break;
	case 4:
		te_fz_check_id(o->move.from, sizeof(o->move.from), 1);
		if (strcmp(o->move.from, "dest-key") == 0)
			abort();
		break;
	case 5:
		te_fz_check_handle(o->sign.key_handle);
		if (o->sign.alg == TE_SVC_KEYS_SIGN_ECDSA &&
		    (o->sign.data_len < 1 || o->sign.data_len > TE_SVC_KEYS_DIGEST_MAX))
			abort();
		if (o->sign.alg != TE_SVC_KEYS_SIGN_ECDSA &&
		    o->sign.alg != TE_SVC_KEYS_SIGN_HMAC_SHA256)
			abort();
		if (o->sign.data_len > TE_SVC_KEYS_MESSAGE_MAX)
			abort();
		if (o->sign.data_len >= 1 && o->sign.data_len <= TE_SVC_KEYS_SIGNATURE_MAX)
			te_fz_reply(TE_SVC_KEYS_FIELD_SIGNATURE, o->sign.data, o->sign.data_len);
		break;
	case 6:
	case 7:
		te_fz_check_handle(o->crypt.key_handle);
		if (o->crypt.alg == TE_SVC_KEYS_CRYPT_NONE ||
		    (which == 7 && o->crypt.alg != TE_SVC_KEYS_CRYPT_AEAD) ||
		    (o->crypt.alg == TE_SVC_KEYS_CRYPT_AEAD &&
		     (o->crypt.iv_len < 1 || o->crypt.iv_len > TE_SVC_KEYS_IV_MAX)) ||
		    (o->crypt.alg != TE_SVC_KEYS_CRYPT_AEAD &&
		     (o->crypt.iv_len | o->crypt.aad_len)) ||
		    o->crypt.aad_len > TE_SVC_KEYS_AAD_MAX)
			abort();
		if (which == 6) {
			if (o->crypt.data_len > TE_SVC_KEYS_PLAINTEXT_MAX)
				abort();
			te_fz_reply(TE_SVC_KEYS_FIELD_PLAINTEXT, o->crypt.data, o->crypt.data_len);
		} else {
			if (o->crypt.data_len < 1 || o->crypt.data_len > TE_SVC_KEYS_CIPHERTEXT_MAX)
				abort();
			te_fz_reply(TE_SVC_KEYS_FIELD_CIPHERTEXT, o->crypt.data, o->crypt.data_len);
		}
		break;
	default:
		te_fz_check_handle(o->derive.base_key_handle);
		if (o->derive.data_len > TE_SVC_KEYS_DERIVATION_MAX)
			abort();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int allowed[] = {400, 413, 415, 422};
	static union te_fz_req a, b, zero;
	te_wl_status st;
	const char *ct;
	int which, json;
	te_err rc;

	if (size == 0)
		return 0;
	which = (data[0] & 0x7f) % 10;
	json = !(data[0] & 0x80);
	ct = json ? "application/json; charset=utf-8" : "text/plain";
	data++;
	size--;
	if (which == 0) {
		te_fz_route(data, size);
		return 0;
	}
	/* The parsers zero (only) their own member of the union. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rc = te_fz_parse(which, data, size, ct, &a, &st);
	if (rc != TE_OK) {
		if (memcmp(&a, &zero, te_fz_size(which)) != 0)
			abort();
		te_fz_check_status(&st, allowed, 4);
		if (!json && st.http_status != 415)
			abort();
		if (json && size > TE_SVC_KEYS_BODY_MAX && st.http_status != 413)
			abort();
		return 0;
	}
	if (!json || st.http_status != 0 || size > TE_SVC_KEYS_BODY_MAX)
		abort();
	te_fz_check_ok(which, &a);
	if (te_fz_parse(which, data, size, ct, &b, &st) != TE_OK ||
	    memcmp(&a, &b, te_fz_size(which)) != 0)
		abort();
	return 0;
}
