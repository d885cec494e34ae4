/*
 * svc_certs.h - request routing, body parsing and replies of the
 * certificates service API (aziot-certd compatible, api-version
 * 2020-09-01; docs: /work/shared/docs/services-api.md), as pure functions.
 *
 * The same contract as the keys service's layer (svc_keys.h): the API
 * process hands these what the HTTP server gives it (method, URL path
 * without the query string, the api-version query value, body bytes and
 * the Content-Type header) and gets back a typed request or a refusal in a
 * te_wl_status (HTTP status and a fixed message, sent with
 * te_svc_certs_reply_error as {"message": "..."}).  Everything here is
 * untrusted input; messages name our fields, never repeat client bytes.
 *
 * Statuses (and the te_err returned with them): 400 TE_ERR_INVALID_ARG,
 * 404 TE_ERR_NOT_FOUND, 405 TE_ERR_UNSUPPORTED, 413
 * TE_ERR_BUFFER_TOO_SMALL, 415 TE_ERR_UNSUPPORTED, 422 TE_ERR_MALFORMED.
 *
 * Nothing is decided here beyond the request's shape: the CSR and PEM are
 * parsed as X.509, the key handle authenticated and the principals checked
 * in the keys process (keys_certsvc.h).
 */
#ifndef TRUSTEDGE_DAEMON_SVC_CERTS_H
#define TRUSTEDGE_DAEMON_SVC_CERTS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/httpjson.h"
#include "daemon/keyhandle.h"
#include "trustedge/te_error.h"
#include "trustedge/te_mem.h"

/* Longest URL path considered ("/certificates/" and a maximal id are 142
 * bytes). */
#define TE_SVC_CERTS_PATH_MAX 512
/* Largest request body: what the HTTP server accepts at most
 * (TE_WL_BODY_MAX); an import of a chain of TE_SVC_CERTS_PEM_MAX bytes,
 * escaped as JSON, fits. */
#define TE_SVC_CERTS_BODY_MAX (32 * 1024)
/* Deepest JSON nesting accepted; valid bodies have depth 1 or 2. */
#define TE_SVC_CERTS_JSON_DEPTH_MAX 8
/* Certificate ids follow the HSM key-name rules: 1..128 characters of
 * [A-Za-z0-9._-], not starting with '.'. */
#define TE_SVC_CERTS_ID_MAX 128
/* A CSR, decoded: 1..8 KiB (an RSA-4096 CSR with many names is ~2 KiB). */
#define TE_SVC_CERTS_CSR_MAX (8 * 1024)
/* A PEM (an import, a reply): 1..24 KiB of text. */
#define TE_SVC_CERTS_PEM_MAX (24 * 1024)

typedef enum te_svc_certs_api_version {
	TE_SVC_CERTS_API_NONE = 0,
	TE_SVC_CERTS_API_2020_09_01,
} te_svc_certs_api_version;

typedef enum te_svc_certs_route_id {
	TE_SVC_CERTS_ROUTE_NONE = 0,
	TE_SVC_CERTS_ROUTE_CREATE, /* POST   /certificates */
	TE_SVC_CERTS_ROUTE_GET,    /* GET    /certificates/{certId} */
	TE_SVC_CERTS_ROUTE_IMPORT, /* PUT    /certificates/{certId} */
	TE_SVC_CERTS_ROUTE_DELETE, /* DELETE /certificates/{certId} */
} te_svc_certs_route_id;

typedef struct te_svc_certs_route_t {
	te_svc_certs_route_id id;
	te_svc_certs_api_version version;
	/* GET, IMPORT, DELETE: the path's certificate id; else "". */
	char cert_id[TE_SVC_CERTS_ID_MAX + 1];
	te_wl_status status; /* the refusal when not TE_OK */
} te_svc_certs_route_t;

/*
 * Matches method ("GET"/"POST"/"PUT"/"DELETE", exact case) and path
 * against the routes, checks api_version (NULL = missing) and the path's
 * certificate id.  Order: path syntax (400: empty, ".", ".." segments,
 * bytes outside printable ASCII, too long) -> route (404) -> method (405)
 * -> api-version (400 "invalid api-version") -> certificate id (400).
 * Paths are not percent-decoded, so '%' is refused with the rest.  On
 * failure out->id is TE_SVC_CERTS_ROUTE_NONE, cert_id is empty and
 * out->status holds the refusal.
 */
te_err te_svc_certs_route(const char *method, const char *path, const char *api_version,
                          te_svc_certs_route_t *out) TE_MUST_CHECK TE_NONNULL(4);

/* ---- bodies: (body, len, Content-Type value or NULL, out, status) ----
 * Content-Type must be application/json, parameters allowed (415); len at
 * most TE_SVC_CERTS_BODY_MAX (413); the body one JSON object, no duplicate
 * keys at any depth, nesting at most TE_SVC_CERTS_JSON_DEPTH_MAX (422);
 * each field present with the right type and value (400 naming the
 * field); unknown fields ignored.  out is zeroed first and holds the
 * request only on TE_OK. */

/*
 * POST /certificates: {"certId", "csr", "issuer"?: {"certId",
 * "privateKeyHandle"}}.  "csr" is the base64 of the CSR's DER (the
 * documented form) or, as the reference daemon also takes, the CSR's PEM
 * text itself ("-----BEGIN CERTIFICATE REQUEST-----..."); either way csr
 * holds 1..TE_SVC_CERTS_CSR_MAX bytes that the keys process parses.
 * "issuer" absent or null: the configured issuance method (the edge CA);
 * present: both members required, the handle 1..TE_KEYHANDLE_TEXT_MAX
 * base64url characters (kept as text, authenticated in the keys process).
 */
typedef struct te_svc_certs_create_req {
	char cert_id[TE_SVC_CERTS_ID_MAX + 1];
	uint8_t csr[TE_SVC_CERTS_CSR_MAX];
	size_t csr_len;
	int has_issuer;
	char issuer_cert_id[TE_SVC_CERTS_ID_MAX + 1];
	char issuer_key_handle[TE_KEYHANDLE_TEXT_MAX + 1];
} te_svc_certs_create_req;

/* PUT /certificates/{certId}: {"pem"}: 1..TE_SVC_CERTS_PEM_MAX characters
 * of printable ASCII, tab, CR and LF with at least one "-----BEGIN
 * CERTIFICATE-----" (whether the blocks are certificates is the keys
 * process's to say).  pem is NUL-terminated. */
typedef struct te_svc_certs_import_req {
	char pem[TE_SVC_CERTS_PEM_MAX + 1];
	size_t pem_len;
} te_svc_certs_import_req;

te_err te_svc_certs_parse_create(const void *body, size_t len, const char *content_type,
                                 te_svc_certs_create_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);
te_err te_svc_certs_parse_import(const void *body, size_t len, const char *content_type,
                                 te_svc_certs_import_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);

/* ---- replies: append NUL-terminated JSON text to json (the NUL is not
 * counted in json->len); on failure json is as it was. */

/* {"pem":"<pem[0..len)>"}: 1..TE_SVC_CERTS_PEM_MAX characters of the
 * import's alphabet. */
te_err te_svc_certs_reply_pem(const char *pem, size_t len, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(1, 3);
/* {"message":"<st->message>"} */
te_err te_svc_certs_reply_error(const te_wl_status *st, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(1, 2);

#endif
