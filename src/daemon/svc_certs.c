/*
 * svc_certs.c - routing, JSON bodies and replies of the certificates
 * service API.
 *
 * Pure functions over untrusted input, built like svc_keys.c: the path is
 * checked byte by byte and split into bounded segments before any
 * matching; bodies are loaded by httpjson.h (a size and nesting bound,
 * duplicate keys refused), then each field is checked for presence, type
 * and value.  Refusals carry fixed messages that name our field,
 * never the client's bytes.  See svc_certs.h for the contract.
 */
#include "daemon/svc_certs.h"

#include <stdio.h>
#include <string.h>

#include "common/te_base64.h"
#include "daemon/httpjson.h"
#include "daemon/workload.h"
#include "trustedge/te_hsm.h"

/* The longest route has 2 segments; anything deeper is simply unknown. */
#define SC_SEG_MAX 3
#define SC_N(a)    (sizeof(a) / sizeof((a)[0]))

#define SC_PEM_CERT "-----BEGIN CERTIFICATE-----"
#define SC_PEM_CSR  "-----BEGIN"

_Static_assert(TE_SVC_CERTS_ID_MAX == TE_HSM_NAME_MAX, "certificate ids are HSM names");
_Static_assert(TE_SVC_CERTS_BODY_MAX == TE_WL_BODY_MAX, "the HTTP server's body limit");

typedef struct sc_seg {
	const char *p;
	size_t n;
} sc_seg;

typedef struct sc_tmpl {
	te_svc_certs_route_id id;
	const char *method;
	size_t nseg; /* 1: /certificates, 2: /certificates/{certId} */
} sc_tmpl;

static const sc_tmpl sc_routes[] = {
    {TE_SVC_CERTS_ROUTE_CREATE, "POST", 1},
    {TE_SVC_CERTS_ROUTE_GET, "GET", 2},
    {TE_SVC_CERTS_ROUTE_IMPORT, "PUT", 2},
    {TE_SVC_CERTS_ROUTE_DELETE, "DELETE", 2},
};

#define SC_FAIL TE_HJ_FAIL

#define SC_ID_RULES "1 to 128 characters of [A-Za-z0-9._-], not starting with '.'"

static int sc_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* PEM text: printable ASCII, tab, CR, LF. */
static int sc_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 || c >= 0x7f) && c != '\t' && c != '\r' && c != '\n')
			return 0;
	}
	return 1;
}

/* Copies s[0..n) to dst (TE_SVC_CERTS_ID_MAX + 1 bytes) when it is an id
 * by the HSM's name rules. */
static int sc_copy_id(const char *s, size_t n, char *dst)
{
	char tmp[TE_SVC_CERTS_ID_MAX + 1];

	if (n == 0 || n > TE_SVC_CERTS_ID_MAX || memchr(s, '\0', n) != NULL)
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

/* Checks every byte and splits "/a/b" into segments; *nseg is
 * SC_SEG_MAX + 1 when there are more segments than any route has. */
static te_err sc_split(const char *path, sc_seg *segs, size_t *nseg, te_wl_status *st)
{
	te_err rc = TE_OK;
	size_t len, n = 0, start = 1;

	len = strnlen(path, TE_SVC_CERTS_PATH_MAX + 1);
	if (len > TE_SVC_CERTS_PATH_MAX)
		SC_FAIL(400, TE_ERR_INVALID_ARG, "request path is too long");
	if (len == 0 || path[0] != '/')
		SC_FAIL(400, TE_ERR_INVALID_ARG, "request path must start with '/'");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c <= 0x20 || c >= 0x7f)
			SC_FAIL(400, TE_ERR_INVALID_ARG,
			        "request path contains a byte outside printable ASCII");
	}
	for (size_t i = 1; len > 1 && i <= len; i++) {
		sc_seg s;
		if (i < len && path[i] != '/')
			continue;
		s.p = path + start;
		s.n = i - start;
		/* Empty, "." and ".." segments mean different things to
		 * different normalisers: refuse them rather than guess. */
		if (s.n == 0 || sc_eq(s.p, s.n, ".") || sc_eq(s.p, s.n, ".."))
			SC_FAIL(400, TE_ERR_INVALID_ARG,
			        "request path has an empty, '.' or '..' segment");
		if (n < SC_SEG_MAX)
			segs[n] = s;
		n++;
		start = i + 1;
	}
	*nseg = n > SC_SEG_MAX ? SC_SEG_MAX + 1 : n;
out:
	return rc;
}

te_err te_svc_certs_route(const char *method, const char *path, const char *api_version,
                          te_svc_certs_route_t *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;
	sc_seg segs[SC_SEG_MAX];
	size_t nseg = 0;
	const sc_tmpl *hit = NULL;

	memset(out, 0, sizeof(*out));
	if (path == NULL)
		SC_FAIL(400, TE_ERR_INVALID_ARG, "request path is missing");
	TE_GUARD(sc_split(path, segs, &nseg, st));
	if (nseg < 1 || nseg > 2 || !sc_eq(segs[0].p, segs[0].n, "certificates"))
		SC_FAIL(404, TE_ERR_NOT_FOUND, "not found");
	for (size_t i = 0; i < SC_N(sc_routes) && hit == NULL; i++) {
		if (sc_routes[i].nseg == nseg && method != NULL &&
		    strcmp(method, sc_routes[i].method) == 0)
			hit = &sc_routes[i];
	}
	if (hit == NULL)
		SC_FAIL(405, TE_ERR_UNSUPPORTED, "method not allowed");
	if (api_version == NULL || strcmp(api_version, "2020-09-01") != 0)
		SC_FAIL(400, TE_ERR_INVALID_ARG, "invalid api-version");
	out->version = TE_SVC_CERTS_API_2020_09_01;
	if (nseg == 2 && !sc_copy_id(segs[1].p, segs[1].n, out->cert_id))
		SC_FAIL(400, TE_ERR_INVALID_ARG, "certificate id must be " SC_ID_RULES);
	out->id = hit->id;
	te_hj_status_ok(st);
out:
	if (rc != TE_OK) {
		out->id = TE_SVC_CERTS_ROUTE_NONE;
		out->version = TE_SVC_CERTS_API_NONE;
		out->cert_id[0] = '\0';
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* bodies */

/* The required string member key of obj, called label in messages. */
static te_err sc_get_str(json_t *obj, const char *key, const char *label, const char **s, size_t *n,
                         te_wl_status *st)
{
	return te_hj_get_str(obj, key, label, 1, s, n, st);
}

static te_err sc_get_id(json_t *obj, const char *key, const char *label, char *dst,
                        te_wl_status *st)
{
	te_err rc = TE_OK;
	const char *s;
	size_t n;

	TE_GUARD(sc_get_str(obj, key, label, &s, &n, st));
	if (!sc_copy_id(s, n, dst))
		SC_FAIL(400, TE_ERR_INVALID_ARG, "field '%s' must be " SC_ID_RULES, label);
out:
	return rc;
}

/* The CSR: PEM text as is, or base64 (of DER or of PEM) decoded. */
static te_err sc_get_csr(json_t *doc, te_svc_certs_create_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	const char *s;
	size_t n;
	te_buf b;

	te_buf_init(&b, 0);
	TE_GUARD(sc_get_str(doc, "csr", "csr", &s, &n, st));
	if (n >= sizeof(SC_PEM_CSR) - 1 && memcmp(s, SC_PEM_CSR, sizeof(SC_PEM_CSR) - 1) == 0) {
		if (n > TE_SVC_CERTS_CSR_MAX)
			SC_FAIL(400, TE_ERR_INVALID_ARG, "field 'csr' is too long");
		if (!sc_text(s, n))
			SC_FAIL(400, TE_ERR_INVALID_ARG, "field 'csr' must be base64 or PEM text");
		memcpy(out->csr, s, n);
		out->csr_len = n;
		goto out;
	}
	if (n > te_base64_encoded_len(TE_SVC_CERTS_CSR_MAX))
		SC_FAIL(400, TE_ERR_INVALID_ARG, "field 'csr' is too long");
	if (te_base64_decode(s, n, &b) != TE_OK)
		SC_FAIL(400, TE_ERR_INVALID_ARG, "field 'csr' must be base64 or PEM text");
	if (b.len < 1 || b.len > TE_SVC_CERTS_CSR_MAX)
		SC_FAIL(400, TE_ERR_INVALID_ARG, "field 'csr' must decode to 1 to %d bytes",
		        TE_SVC_CERTS_CSR_MAX);
	memcpy(out->csr, b.data, b.len);
	out->csr_len = b.len;
out:
	te_buf_free(&b);
	return rc;
}

/* The optional "issuer": {"certId", "privateKeyHandle"}. */
static te_err sc_get_issuer(json_t *doc, te_svc_certs_create_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *iss = json_object_get(doc, "issuer");
	const char *s;
	size_t n;

	if (iss == NULL || json_is_null(iss))
		goto out;
	if (!json_is_object(iss))
		SC_FAIL(400, TE_ERR_INVALID_ARG, "field 'issuer' must be an object");
	TE_GUARD(sc_get_id(iss, "certId", "issuer.certId", out->issuer_cert_id, st));
	TE_GUARD(sc_get_str(iss, "privateKeyHandle", "issuer.privateKeyHandle", &s, &n, st));
	if (!te_keyhandle_text_ok(s, n))
		SC_FAIL(400, TE_ERR_INVALID_ARG,
		        "field 'issuer.privateKeyHandle' is not a key handle");
	memcpy(out->issuer_key_handle, s, n);
	out->issuer_key_handle[n] = '\0';
	out->has_issuer = 1;
out:
	return rc;
}

te_err te_svc_certs_parse_create(const void *body, size_t len, const char *content_type,
                                 te_svc_certs_create_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;

	te_memzero(out, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_CERTS_BODY_MAX,
	                    TE_SVC_CERTS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sc_get_id(doc, "certId", "certId", out->cert_id, st));
	TE_GUARD(sc_get_csr(doc, out, st));
	TE_GUARD(sc_get_issuer(doc, out, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		te_memzero(out, sizeof(*out));
	json_decref(doc);
	return rc;
}

te_err te_svc_certs_parse_import(const void *body, size_t len, const char *content_type,
                                 te_svc_certs_import_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;
	const char *s;
	size_t n;

	memset(out, 0, sizeof(*out));
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_CERTS_BODY_MAX,
	                    TE_SVC_CERTS_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(sc_get_str(doc, "pem", "pem", &s, &n, st));
	if (n == 0 || n > TE_SVC_CERTS_PEM_MAX)
		SC_FAIL(400, TE_ERR_INVALID_ARG, "field 'pem' must be 1 to %d characters",
		        TE_SVC_CERTS_PEM_MAX);
	if (!sc_text(s, n) || memmem(s, n, SC_PEM_CERT, sizeof(SC_PEM_CERT) - 1) == NULL)
		SC_FAIL(400, TE_ERR_INVALID_ARG, "field 'pem' must be PEM certificates");
	memcpy(out->pem, s, n);
	out->pem[n] = '\0';
	out->pem_len = n;
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* replies */

te_err te_svc_certs_reply_pem(const char *pem, size_t len, te_buf *json)
{
	te_err rc = TE_OK;

	TE_ENSURE(len >= 1 && len <= TE_SVC_CERTS_PEM_MAX, TE_ERR_INVALID_ARG,
	          "pem reply of %zu bytes is out of bounds", len);
	TE_ENSURE(sc_text(pem, len), TE_ERR_INVALID_ARG, "pem reply is not text");
	TE_GUARD(te_hj_reply_str("pem", pem, len, json));
out:
	return rc;
}

te_err te_svc_certs_reply_error(const te_wl_status *st, te_buf *json)
{
	return te_hj_reply_error(st, json);
}
