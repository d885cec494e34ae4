/*
 * svc_keys.c - routing, JSON bodies and replies of the keys service API,
 * and the principals check.
 *
 * Pure functions over untrusted input, built like workload.c: the path is
 * checked byte by byte and split into bounded segments before any
 * matching; bodies are parsed only by jansson (after a size and nesting
 * bound, duplicate keys refused), then each field is checked for
 * presence, type and value.  Refusals carry fixed messages that name our
 * field, never the client's bytes.  See svc_keys.h for the contract and
 * /work/shared/docs/services-api.md for the API.
 */
#include "daemon/svc_keys.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/te_base64.h"
#include "trustedge/te_hsm.h"

/* The longest route has 2 segments; anything deeper is simply unknown. */
#define SK_SEG_MAX 4

/* Placeholders in the route table. */
#define SK_KEY_ID "{keyId}"
#define SK_NAME   "{name}"

#define SK_N(a) (sizeof(a) / sizeof((a)[0]))

typedef te_hj_seg sk_seg;

typedef struct sk_tmpl {
	te_svc_keys_route_id id;
	const char *method;
	size_t nseg;
	const char *seg[2];
} sk_tmpl;

static const sk_tmpl sk_routes[] = {
    {TE_SVC_KEYS_ROUTE_KEY_CREATE, "POST", 1, {"key"}},
    {TE_SVC_KEYS_ROUTE_KEY_DELETE, "DELETE", 1, {"key"}},
    {TE_SVC_KEYS_ROUTE_KEY_LOAD, "GET", 2, {"key", SK_KEY_ID}},
    {TE_SVC_KEYS_ROUTE_KEYPAIR_CREATE, "POST", 1, {"keypair"}},
    {TE_SVC_KEYS_ROUTE_KEYPAIR_DELETE, "DELETE", 1, {"keypair"}},
    {TE_SVC_KEYS_ROUTE_KEYPAIR_LOAD, "GET", 2, {"keypair", SK_KEY_ID}},
    {TE_SVC_KEYS_ROUTE_KEYPAIR_MOVE, "POST", 2, {"keypair", SK_KEY_ID}},
    {TE_SVC_KEYS_ROUTE_PARAMETER, "POST", 2, {"parameters", SK_NAME}},
    {TE_SVC_KEYS_ROUTE_SIGN, "POST", 1, {"sign"}},
    {TE_SVC_KEYS_ROUTE_ENCRYPT, "POST", 1, {"encrypt"}},
    {TE_SVC_KEYS_ROUTE_DECRYPT, "POST", 1, {"decrypt"}},
    {TE_SVC_KEYS_ROUTE_DERIVE, "POST", 1, {"derivedkey"}},
    {TE_SVC_KEYS_ROUTE_DERIVED_EXPORT, "POST", 2, {"derivedkey", "export"}},
};

static const struct {
	const char *text;
	te_svc_keys_api_version v;
} sk_versions[] = {
    {"2020-09-01", TE_SVC_KEYS_API_2020_09_01},
    {"2021-05-01", TE_SVC_KEYS_API_2021_05_01},
};

static const struct {
	const char *text;
	te_svc_keys_param p;
} sk_params[] = {
    {"algorithm", TE_SVC_KEYS_PARAM_ALGORITHM},
    {"ec-curve-oid", TE_SVC_KEYS_PARAM_EC_CURVE_OID},
    {"ec-point", TE_SVC_KEYS_PARAM_EC_POINT},
    {"rsa-modulus", TE_SVC_KEYS_PARAM_RSA_MODULUS},
    {"rsa-exponent", TE_SVC_KEYS_PARAM_RSA_EXPONENT},
};

static const struct {
	const char *text;
	te_svc_keys_pref p;
} sk_prefs[] = {
    {"ec-p256", TE_SVC_KEYS_PREF_EC_P256},
    {"rsa-2048", TE_SVC_KEYS_PREF_RSA_2048},
    {"rsa-4096", TE_SVC_KEYS_PREF_RSA_4096},
    {"*", TE_SVC_KEYS_PREF_ANY},
};

static const struct {
	const char *text;
	uint32_t bit;
} sk_usages[] = {
    {"derive", TE_HSM_USAGE_DERIVE},
    {"encrypt", TE_HSM_USAGE_ENCRYPT},
    {"sign", TE_HSM_USAGE_SIGN},
};

#define SK_FAIL TE_HJ_FAIL

/* s[0..n) equals the NUL-terminated lit. */
static int sk_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Copies s[0..n) to dst (TE_KEYHANDLE_ID_MAX + 1 bytes) when it is a key
 * name by the HSM's rules. */
static int sk_copy_key_id(const char *s, size_t n, char *dst)
{
	char tmp[TE_KEYHANDLE_ID_MAX + 1];

	if (n == 0 || n > TE_KEYHANDLE_ID_MAX || memchr(s, '\0', n) != NULL)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (te_hsm_name_check(tmp) != TE_OK)
		return 0;
	memcpy(dst, tmp, n + 1);
	return 1;
}

/* ------------------------------------------------------------------ */
/* routing */

static te_svc_keys_api_version sk_version(const char *text)
{
	if (text == NULL)
		return TE_SVC_KEYS_API_NONE;
	for (size_t i = 0; i < SK_N(sk_versions); i++) {
		if (strcmp(text, sk_versions[i].text) == 0)
			return sk_versions[i].v;
	}
	return TE_SVC_KEYS_API_NONE;
}

static int sk_tmpl_matches(const sk_tmpl *t, const sk_seg *segs, size_t nseg)
{
	if (t->nseg != nseg)
		return 0;
	for (size_t i = 0; i < nseg; i++) {
		if (t->seg[i][0] == '{')
			continue;
		if (!sk_eq(segs[i].p, segs[i].n, t->seg[i]))
			return 0;
	}
	return 1;
}

/* Fills the route's key id or parameter name from its placeholder. */
static te_err sk_route_args(const sk_tmpl *t, const sk_seg *segs, te_svc_keys_route_t *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;

	for (size_t i = 0; i < t->nseg; i++) {
		if (strcmp(t->seg[i], SK_KEY_ID) == 0 &&
		    !sk_copy_key_id(segs[i].p, segs[i].n, out->key_id))
			SK_FAIL(400, TE_ERR_INVALID_ARG,
			        "key id must be 1 to %d characters of [A-Za-z0-9._-], "
			        "not starting with '.'",
			        TE_KEYHANDLE_ID_MAX);
		if (strcmp(t->seg[i], SK_NAME) != 0)
			continue;
		for (size_t j = 0; j < SK_N(sk_params); j++) {
			if (sk_eq(segs[i].p, segs[i].n, sk_params[j].text))
				out->param = sk_params[j].p;
		}
		if (out->param == TE_SVC_KEYS_PARAM_NONE)
			SK_FAIL(400, TE_ERR_INVALID_ARG,
			        "parameter name must be algorithm, ec-curve-oid, ec-point, "
			        "rsa-modulus or rsa-exponent");
	}
out:
	return rc;
}

te_err te_svc_keys_route(const char *method, const char *path, const char *api_version,
                         te_svc_keys_route_t *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;
	sk_seg segs[SK_SEG_MAX];
	size_t nseg = 0;
	const sk_tmpl *hit = NULL;
	int path_known = 0;

	memset(out, 0, sizeof(*out));
	if (path == NULL)
		SK_FAIL(400, TE_ERR_INVALID_ARG, "request path is missing");
	TE_GUARD(te_hj_split(path, TE_SVC_KEYS_PATH_MAX, segs, SK_SEG_MAX, &nseg, st));
	for (size_t i = 0; i < SK_N(sk_routes) && nseg <= SK_SEG_MAX; i++) {
		const sk_tmpl *t = &sk_routes[i];
		if (!sk_tmpl_matches(t, segs, nseg))
			continue;
		path_known = 1;
		if (method != NULL && strcmp(method, t->method) == 0) {
			hit = t;
			break;
		}
	}
	if (!path_known)
		SK_FAIL(404, TE_ERR_NOT_FOUND, "not found");
	if (hit == NULL)
		SK_FAIL(405, TE_ERR_UNSUPPORTED, "method not allowed");
	out->version = sk_version(api_version);
	if (out->version == TE_SVC_KEYS_API_NONE)
		SK_FAIL(400, TE_ERR_INVALID_ARG, "invalid api-version");
	TE_GUARD(sk_route_args(hit, segs, out));
	out->id = hit->id;
	te_hj_status_ok(st);
out:
	if (rc != TE_OK) {
		out->id = TE_SVC_KEYS_ROUTE_NONE;
		out->key_id[0] = '\0';
		out->param = TE_SVC_KEYS_PARAM_NONE;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* bodies */

/* A required key id member (HSM key-name rules). */
static te_err sk_get_key_id(json_t *obj, const char *key, char *dst, te_wl_status *st)
{
	te_err rc = TE_OK;
	const char *s;
	size_t n;

	TE_GUARD(te_hj_get_str(obj, key, key, 1, &s, &n, st));
	if (!sk_copy_key_id(s, n, dst))
		SK_FAIL(400, TE_ERR_INVALID_ARG,
		        "field '%s' must be 1 to %d characters of [A-Za-z0-9._-], not "
		        "starting with '.'",
		        key, TE_KEYHANDLE_ID_MAX);
out:
	return rc;
}

/* A required key handle member: kept as text, checked for length and
 * alphabet only (te_svc_keys_handle_open authenticates it). */
static te_err sk_get_handle(json_t *obj, const char *key, char *dst, te_wl_status *st)
{
	te_err rc = TE_OK;
	const char *s;
	size_t n;

	TE_GUARD(te_hj_get_str(obj, key, key, 1, &s, &n, st));
	if (!te_keyhandle_text_ok(s, n))
		SK_FAIL(400, TE_ERR_INVALID_ARG, "field '%s' is not a key handle", key);
	memcpy(dst, s, n);
	dst[n] = '\0';
out:
	return rc;
}

/* The required object member "parameters". */
static te_err sk_get_params(json_t *doc, json_t **params, te_wl_status *st)
{
	te_err rc = TE_OK;

	*params = json_object_get(doc, "parameters");
	if (*params == NULL)
		SK_FAIL(400, TE_ERR_INVALID_ARG, "missing field 'parameters'");
	if (!json_is_object(*params))
		SK_FAIL(400, TE_ERR_INVALID_ARG, "field 'parameters' must be an object");
out:
	return rc;
}

te_err te_svc_keys_parse_handle(const void *body, size_t len, const char *content_type,
                                te_svc_keys_handle_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;

	memset(out, 0, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_KEYS_BODY_MAX,
	                    TE_SVC_KEYS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sk_get_handle(doc, "keyHandle", out->key_handle, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

/* "derive,encrypt,sign": non-empty, comma-separated, known names. */
static te_err sk_parse_usage(const char *s, size_t n, uint32_t *usage, te_wl_status *st)
{
	te_err rc = TE_OK;
	size_t start = 0;

	*usage = 0;
	for (size_t i = 0; i <= n; i++) {
		uint32_t bit = 0;
		if (i < n && s[i] != ',')
			continue;
		for (size_t j = 0; j < SK_N(sk_usages); j++) {
			if (sk_eq(s + start, i - start, sk_usages[j].text))
				bit = sk_usages[j].bit;
		}
		if (bit == 0)
			SK_FAIL(400, TE_ERR_INVALID_ARG,
			        "field 'usage' must be a comma-separated list of derive, encrypt "
			        "and sign");
		*usage |= bit;
		start = i + 1;
	}
out:
	return rc;
}

/* The optional "lengthBytes": an integer 1..TE_SVC_KEYS_KEY_BYTES_MAX. */
static te_err sk_get_length(json_t *doc, size_t *length, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *v = json_object_get(doc, "lengthBytes");
	json_int_t n;

	*length = 0;
	if (v == NULL || json_is_null(v))
		goto out;
	if (!json_is_integer(v))
		SK_FAIL(400, TE_ERR_INVALID_ARG, "field 'lengthBytes' must be an integer");
	n = json_integer_value(v);
	if (n < 1 || n > TE_SVC_KEYS_KEY_BYTES_MAX)
		SK_FAIL(400, TE_ERR_INVALID_ARG, "field 'lengthBytes' must be 1 to %d",
		        TE_SVC_KEYS_KEY_BYTES_MAX);
	*length = (size_t)n;
out:
	return rc;
}

te_err te_svc_keys_parse_key_create(const void *body, size_t len, const char *content_type,
                                    te_svc_keys_key_create_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL, *kb;
	const char *s;
	size_t n;

	te_memzero(out, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_KEYS_BODY_MAX,
	                    TE_SVC_KEYS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sk_get_key_id(doc, "keyId", out->key_id, st));
	TE_GUARD(sk_get_length(doc, &out->length_bytes, st));
	kb = json_object_get(doc, "keyBytes");
	if (kb != NULL && !json_is_null(kb)) {
		if (out->length_bytes != 0)
			SK_FAIL(400, TE_ERR_INVALID_ARG,
			        "fields 'keyBytes' and 'lengthBytes' exclude each other");
		TE_GUARD(te_hj_get_b64(doc, "keyBytes", "keyBytes", 1, TE_SVC_KEYS_KEY_BYTES_MAX, 1,
		                       out->key_bytes, &out->key_bytes_len, st));
		out->import = 1;
	}
	TE_GUARD(te_hj_get_str(doc, "usage", "usage", 0, &s, &n, st));
	out->usage = TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_SIGN;
	if (s != NULL)
		TE_GUARD(sk_parse_usage(s, n, &out->usage, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		te_memzero(out, sizeof(*out));
	json_decref(doc);
	return rc;
}

/* "ec-p256:rsa-2048:*": 1..TE_SVC_KEYS_PREF_MAX known names. */
static te_err sk_parse_prefs(const char *s, size_t n, te_svc_keys_keypair_create_req *out,
                             te_wl_status *st)
{
	te_err rc = TE_OK;
	size_t start = 0;

	out->n_algs = 0;
	for (size_t i = 0; i <= n; i++) {
		te_svc_keys_pref p = TE_SVC_KEYS_PREF_NONE;
		if (i < n && s[i] != ':')
			continue;
		for (size_t j = 0; j < SK_N(sk_prefs); j++) {
			if (sk_eq(s + start, i - start, sk_prefs[j].text))
				p = sk_prefs[j].p;
		}
		if (p == TE_SVC_KEYS_PREF_NONE)
			SK_FAIL(400, TE_ERR_INVALID_ARG,
			        "field 'preferredAlgorithms' must be a ':'-separated list of "
			        "ec-p256, rsa-2048, rsa-4096 and *");
		if (out->n_algs == TE_SVC_KEYS_PREF_MAX)
			SK_FAIL(400, TE_ERR_INVALID_ARG,
			        "field 'preferredAlgorithms' has more than %d entries",
			        TE_SVC_KEYS_PREF_MAX);
		out->algs[out->n_algs++] = p;
		start = i + 1;
	}
out:
	return rc;
}

te_err te_svc_keys_parse_keypair_create(const void *body, size_t len, const char *content_type,
                                        te_svc_keys_keypair_create_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;
	const char *s;
	size_t n;

	memset(out, 0, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_KEYS_BODY_MAX,
	                    TE_SVC_KEYS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sk_get_key_id(doc, "keyId", out->key_id, st));
	TE_GUARD(te_hj_get_str(doc, "preferredAlgorithms", "preferredAlgorithms", 0, &s, &n, st));
	if (s == NULL) {
		out->algs[0] = TE_SVC_KEYS_PREF_ANY;
		out->n_algs = 1;
	} else {
		TE_GUARD(sk_parse_prefs(s, n, out, st));
	}
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

te_err te_svc_keys_parse_move(const void *body, size_t len, const char *content_type,
                              const char *to_key_id, te_svc_keys_move_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;

	memset(out, 0, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_KEYS_BODY_MAX,
	                    TE_SVC_KEYS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sk_get_key_id(doc, "from", out->from, st));
	if (strcmp(out->from, to_key_id) == 0)
		SK_FAIL(400, TE_ERR_INVALID_ARG,
		        "source and destination of the move are the same key");
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

te_err te_svc_keys_parse_sign(const void *body, size_t len, const char *content_type,
                              te_svc_keys_sign_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL, *params;
	const char *s;
	size_t n;

	memset(out, 0, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_KEYS_BODY_MAX,
	                    TE_SVC_KEYS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sk_get_handle(doc, "keyHandle", out->key_handle, st));
	TE_GUARD(te_hj_get_str(doc, "algorithm", "algorithm", 1, &s, &n, st));
	if (sk_eq(s, n, "ECDSA"))
		out->alg = TE_SVC_KEYS_SIGN_ECDSA;
	else if (sk_eq(s, n, "HMAC-SHA256"))
		out->alg = TE_SVC_KEYS_SIGN_HMAC_SHA256;
	else
		SK_FAIL(400, TE_ERR_INVALID_ARG, "field 'algorithm' must be ECDSA or HMAC-SHA256");
	TE_GUARD(sk_get_params(doc, &params, st));
	if (out->alg == TE_SVC_KEYS_SIGN_ECDSA)
		TE_GUARD(te_hj_get_b64(params, "digest", "parameters.digest", 1,
		                       TE_SVC_KEYS_DIGEST_MAX, 0, out->data, &out->data_len, st));
	else
		TE_GUARD(te_hj_get_b64(params, "message", "parameters.message", 0,
		                       TE_SVC_KEYS_MESSAGE_MAX, 0, out->data, &out->data_len, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

static te_err sk_parse_crypt(const void *body, size_t len, const char *content_type, int encrypt,
                             te_svc_keys_crypt_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL, *params;
	const char *s;
	size_t n;

	te_memzero(out, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_KEYS_BODY_MAX,
	                    TE_SVC_KEYS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sk_get_handle(doc, "keyHandle", out->key_handle, st));
	TE_GUARD(te_hj_get_str(doc, "algorithm", "algorithm", 1, &s, &n, st));
	if (sk_eq(s, n, "AEAD"))
		out->alg = TE_SVC_KEYS_CRYPT_AEAD;
	else if (encrypt && sk_eq(s, n, "RSA-PKCS1"))
		out->alg = TE_SVC_KEYS_CRYPT_RSA_PKCS1;
	else if (encrypt && sk_eq(s, n, "RSA-NO-PADDING"))
		out->alg = TE_SVC_KEYS_CRYPT_RSA_NO_PADDING;
	else if (encrypt)
		SK_FAIL(400, TE_ERR_INVALID_ARG,
		        "field 'algorithm' must be AEAD, RSA-PKCS1 or RSA-NO-PADDING");
	else
		SK_FAIL(400, TE_ERR_INVALID_ARG, "field 'algorithm' must be AEAD");
	if (out->alg == TE_SVC_KEYS_CRYPT_AEAD) {
		TE_GUARD(sk_get_params(doc, &params, st));
		TE_GUARD(te_hj_get_b64(params, "iv", "parameters.iv", 1, TE_SVC_KEYS_IV_MAX, 0,
		                       out->iv, &out->iv_len, st));
		TE_GUARD(te_hj_get_b64(params, "aad", "parameters.aad", 0, TE_SVC_KEYS_AAD_MAX, 0,
		                       out->aad, &out->aad_len, st));
	}
	if (encrypt)
		TE_GUARD(te_hj_get_b64(doc, "plaintext", "plaintext", 0, TE_SVC_KEYS_PLAINTEXT_MAX,
		                       1, out->data, &out->data_len, st));
	else
		TE_GUARD(te_hj_get_b64(doc, "ciphertext", "ciphertext", 1,
		                       TE_SVC_KEYS_CIPHERTEXT_MAX, 0, out->data, &out->data_len,
		                       st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		te_memzero(out, sizeof(*out));
	json_decref(doc);
	return rc;
}

te_err te_svc_keys_parse_encrypt(const void *body, size_t len, const char *content_type,
                                 te_svc_keys_crypt_req *out, te_wl_status *st)
{
	return sk_parse_crypt(body, len, content_type, 1, out, st);
}

te_err te_svc_keys_parse_decrypt(const void *body, size_t len, const char *content_type,
                                 te_svc_keys_crypt_req *out, te_wl_status *st)
{
	return sk_parse_crypt(body, len, content_type, 0, out, st);
}

te_err te_svc_keys_parse_derive(const void *body, size_t len, const char *content_type,
                                te_svc_keys_derive_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;

	memset(out, 0, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_KEYS_BODY_MAX,
	                    TE_SVC_KEYS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sk_get_handle(doc, "baseKeyHandle", out->base_key_handle, st));
	TE_GUARD(te_hj_get_b64(doc, "derivationData", "derivationData", 0,
	                       TE_SVC_KEYS_DERIVATION_MAX, 0, out->data, &out->data_len, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* key handles and principals */

static const char *sk_kinds_text(unsigned kinds)
{
	switch (kinds) {
	case 1u << TE_KEYHANDLE_KIND_KEY:
		return "key handle must be for a symmetric key";
	case 1u << TE_KEYHANDLE_KIND_KEYPAIR:
		return "key handle must be for a key pair";
	case 1u << TE_KEYHANDLE_KIND_DERIVED:
		return "key handle must be for a derived key";
	default:
		return "key handle is for the wrong kind of key";
	}
}

te_err te_svc_keys_handle_open(te_keyhandle_mac_fn mac, void *arg, const char *text, unsigned kinds,
                               te_keyhandle *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	te_keyhandle h;

	rc = te_keyhandle_decode(mac, arg, text, strnlen(text, TE_KEYHANDLE_TEXT_MAX + 1), &h);
	if (rc == TE_ERR_MALFORMED || rc == TE_ERR_VERIFY_FAILED)
		SK_FAIL(400, TE_ERR_INVALID_ARG, "invalid key handle");
	if (rc != TE_OK)
		SK_FAIL(500, TE_ERR_INTERNAL, "internal error");
	if ((unsigned)h.kind >= 32 || !(kinds & (1u << h.kind)))
		SK_FAIL(400, TE_ERR_INVALID_ARG, "%s", sk_kinds_text(kinds));
	memcpy(out, &h, sizeof(h));
	te_hj_status_ok(st);
out:
	te_memzero(&h, sizeof(h));
	return rc;
}

int te_svc_keys_principal_allows(const te_daemon_config *cfg, uid_t uid, const char *key_id)
{
	size_t n;

	if (key_id == NULL)
		return 0;
	n = strnlen(key_id, TE_KEYHANDLE_ID_MAX + 1);
	if (n > TE_KEYHANDLE_ID_MAX || te_hsm_name_check(key_id) != TE_OK)
		return 0;
	for (size_t i = 0; i < cfg->n_principals; i++) {
		const te_daemon_principal *p = &cfg->principals[i];
		if (p->uid != uid)
			continue;
		for (size_t j = 0; j < p->n_keys; j++) {
			if (p->keys[j] != NULL && fnmatch(p->keys[j], key_id, 0) == 0)
				return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* replies */

te_err te_svc_keys_reply_handle(const char *handle, te_buf *json)
{
	te_err rc = TE_OK;
	size_t n = strnlen(handle, TE_KEYHANDLE_TEXT_MAX + 1);

	TE_ENSURE(te_keyhandle_text_ok(handle, n), TE_ERR_INVALID_ARG,
	          "key handle reply: not a key handle");
	TE_GUARD(te_hj_reply_str("keyHandle", handle, n, json));
out:
	return rc;
}

te_err te_svc_keys_reply_b64(te_svc_keys_field field, const uint8_t *data, size_t len, te_buf *json)
{
	te_err rc = TE_OK;
	const char *name;
	size_t min = 1, max;
	te_buf b64;

	te_buf_init(&b64, 1);
	switch (field) {
	case TE_SVC_KEYS_FIELD_SIGNATURE:
		name = "signature";
		max = TE_SVC_KEYS_SIGNATURE_MAX;
		break;
	case TE_SVC_KEYS_FIELD_CIPHERTEXT:
		name = "ciphertext";
		max = TE_SVC_KEYS_CIPHERTEXT_MAX;
		break;
	case TE_SVC_KEYS_FIELD_PLAINTEXT:
		name = "plaintext";
		min = 0;
		max = TE_SVC_KEYS_PLAINTEXT_MAX;
		break;
	case TE_SVC_KEYS_FIELD_KEY:
		name = "key";
		max = TE_SVC_KEYS_EXPORT_MAX;
		break;
	case TE_SVC_KEYS_FIELD_VALUE:
		name = "value";
		max = TE_SVC_KEYS_VALUE_MAX;
		break;
	default:
		TE_ENSURE(0, TE_ERR_INVALID_ARG, "reply: unknown field %d", (int)field);
	}
	TE_ENSURE(data != NULL || len == 0, TE_ERR_INVALID_ARG, "reply data is missing");
	TE_ENSURE(len >= min && len <= max, TE_ERR_INVALID_ARG,
	          "%s reply of %zu bytes is out of bounds", name, len);
	/* The base64 text is kept in secure memory: a plaintext or key
	 * reply carries the caller's secret. */
	TE_GUARD(te_base64_encode(data, len, &b64));
	TE_GUARD(te_hj_reply_str(name, b64.len > 0 ? (const char *)b64.data : "", b64.len, json));
out:
	te_buf_free(&b64);
	return rc;
}

te_err te_svc_keys_reply_value_text(const char *text, te_buf *json)
{
	te_err rc = TE_OK;
	size_t n = strnlen(text, 65);

	TE_ENSURE(n >= 1 && n <= 64, TE_ERR_INVALID_ARG, "value reply: text of bad length");
	for (size_t i = 0; i < n; i++)
		TE_ENSURE(text[i] >= 0x20 && text[i] < 0x7f, TE_ERR_INVALID_ARG,
		          "value reply: text outside printable ASCII");
	TE_GUARD(te_hj_reply_str("value", text, n, json));
out:
	return rc;
}

te_err te_svc_keys_reply_error(const te_wl_status *st, te_buf *json)
{
	return te_hj_reply_error(st, json);
}
