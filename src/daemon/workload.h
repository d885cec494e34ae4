/*
 * workload.h - request routing and body parsing for the IoT Edge workload
 * API (docs: /work/shared/docs/workload-api.md), as pure functions.
 *
 * The API process hands these what libmicrohttpd gives it (method, URL
 * path without the query string, the api-version query value, body bytes
 * and the Content-Type header) and gets back either a typed request or a
 * refusal: a te_wl_status with the HTTP status and a fixed message, sent
 * as {"message": "..."} (te_wl_reply_error).  Everything here is
 * untrusted input; messages never repeat any of it, so a reply cannot
 * echo bytes a client chose.
 *
 * Statuses (and the te_err returned with them): 400 TE_ERR_INVALID_ARG,
 * 404 TE_ERR_NOT_FOUND, 405 TE_ERR_UNSUPPORTED, 413
 * TE_ERR_BUFFER_TOO_SMALL, 415 TE_ERR_UNSUPPORTED, 422 TE_ERR_MALFORMED,
 * 500 TE_ERR_NO_MEMORY / TE_ERR_INTERNAL.
 */
#ifndef TRUSTEDGE_DAEMON_WORKLOAD_H
#define TRUSTEDGE_DAEMON_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/httpjson.h"
#include "daemon/ipc.h"
#include "trustedge/te_error.h"
#include "trustedge/te_mem.h"

/* Longest URL path considered (the longest route with maximal ids is
 * about 230 bytes). */
#define TE_WL_PATH_MAX 512
/* Largest request body; the largest legitimate one is a decrypt of a
 * full ciphertext, about 22 KiB of base64. */
#define TE_WL_BODY_MAX (32 * 1024)
/* Deepest JSON nesting accepted; every valid body has depth 1. */
#define TE_WL_JSON_DEPTH_MAX 8
#define TE_WL_COMMON_NAME_MAX 64
#define TE_WL_MESSAGE_MAX TE_HJ_MESSAGE_MAX


/* Known api-versions, oldest first (so they compare by date). */
typedef enum te_wl_api_version {
	TE_WL_API_NONE = 0,
	TE_WL_API_2018_06_28,
	TE_WL_API_2019_01_30,
	TE_WL_API_2019_10_22,
	TE_WL_API_2019_11_05,
	TE_WL_API_2020_07_07,
	TE_WL_API_2021_12_07,
	TE_WL_API_2022_08_03,
} te_wl_api_version;

typedef enum te_wl_route_id {
	TE_WL_ROUTE_NONE = 0,
	TE_WL_ROUTE_LIST_MODULES,          /* GET  /modules */
	TE_WL_ROUTE_SIGN,                  /* POST /modules/{name}/genid/{genid}/sign */
	TE_WL_ROUTE_ENCRYPT,               /* POST .../encrypt */
	TE_WL_ROUTE_DECRYPT,               /* POST .../decrypt */
	TE_WL_ROUTE_CERT_IDENTITY,         /* POST /modules/{name}/certificate/identity */
	TE_WL_ROUTE_CERT_SERVER,           /* POST .../genid/{genid}/certificate/server */
	TE_WL_ROUTE_TRUST_BUNDLE,          /* GET  /trust-bundle */
	TE_WL_ROUTE_MANIFEST_TRUST_BUNDLE, /* GET  /manifest-trust-bundle (2020-07-07+) */
} te_wl_route_id;

typedef struct te_wl_route_t {
	te_wl_route_id id;
	te_wl_api_version version;
	char name[TE_IPC_MODULE_MAX + 1];  /* "" when the route has none */
	char genid[TE_IPC_GENID_MAX + 1];  /* "" when the route has none */
	te_wl_status status;               /* the refusal when not TE_OK */
} te_wl_route_t;

/*
 * Matches method ("GET"/"POST", exact case) and path against the workload
 * routes, checks api_version (NULL = missing) and the ids in the path.
 * Order: path syntax (400: empty, ".", ".." segments, bytes outside
 * printable ASCII, too long) -> route (404) -> method (405) -> api-version
 * (400 "invalid api-version") -> route not in that version (404) -> ids
 * (400).  Module names and genids are 1..TE_IPC_MODULE_MAX /
 * TE_IPC_GENID_MAX characters of [A-Za-z0-9] and -._:+@$!*(),=#' (IoT Hub
 * id characters, less '%' because paths are not percent-decoded here).
 * On failure out->id is TE_WL_ROUTE_NONE, the ids are empty and
 * out->status holds the refusal.
 */
te_err te_wl_route(const char *method, const char *path, const char *api_version,
		   te_wl_route_t *out) TE_MUST_CHECK TE_NONNULL(4);

/* ---- bodies: (body, len, Content-Type value or NULL, out, status) ----
 * Content-Type must be application/json, parameters allowed (415); len at
 * most TE_WL_BODY_MAX (413); the body one JSON object, no duplicate keys,
 * nesting at most TE_WL_JSON_DEPTH_MAX (422); each field present with the
 * right type and value (400 naming the field); unknown fields ignored.
 * out is zeroed first and holds the request only on TE_OK. */

typedef struct te_wl_sign_req {
	char key_id[TE_IPC_KEY_ID_MAX + 1]; /* "primary" or "secondary" */
	uint8_t data[TE_IPC_SIGN_DATA_MAX]; /* algo was HMACSHA256 */
	size_t data_len;
} te_wl_sign_req;

/* data: plaintext (encrypt, 0..TE_IPC_CRYPT_DATA_MAX bytes) or ciphertext
 * (decrypt, 1..TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX).  A
 * plaintext is the module's secret: te_memzero the struct after use. */
typedef struct te_wl_crypt_req {
	uint8_t data[TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX];
	size_t data_len;
	uint8_t iv[TE_IPC_IV_MAX]; /* 1..TE_IPC_IV_MAX bytes */
	size_t iv_len;
} te_wl_crypt_req;

typedef struct te_wl_cert_req {
	/* server certificates only: 1..64 chars of [A-Za-z0-9.:_-] */
	char common_name[TE_WL_COMMON_NAME_MAX + 1];
	int has_expiration;
	int64_t expiration; /* epoch seconds, when has_expiration */
} te_wl_cert_req;

te_err te_wl_parse_sign(const void *body, size_t len, const char *content_type,
			te_wl_sign_req *out, te_wl_status *st) TE_MUST_CHECK TE_NONNULL(4, 5);
te_err te_wl_parse_encrypt(const void *body, size_t len, const char *content_type,
			   te_wl_crypt_req *out, te_wl_status *st) TE_MUST_CHECK TE_NONNULL(4, 5);
te_err te_wl_parse_decrypt(const void *body, size_t len, const char *content_type,
			   te_wl_crypt_req *out, te_wl_status *st) TE_MUST_CHECK TE_NONNULL(4, 5);
te_err te_wl_parse_server_cert(const void *body, size_t len, const char *content_type,
			       te_wl_cert_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);
te_err te_wl_parse_identity_cert(const void *body, size_t len, const char *content_type,
				 te_wl_cert_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);

/*
 * Strict RFC 3339 date-time: YYYY-MM-DD"T"hh:mm:ss[.fraction](Z|+hh:mm|
 * -hh:mm), 'T'/'Z' in either case, real calendar dates, no leap second
 * (60).  The fraction is dropped.  TE_ERR_INVALID_ARG otherwise.
 */
te_err te_wl_parse_rfc3339(const char *s, size_t len, int64_t *epoch) TE_MUST_CHECK
    TE_NONNULL(3);

/* ---- replies: append NUL-terminated JSON text to json (the NUL is not
 * counted in json->len).  For a plaintext reply pass a secure te_buf. */

/* {"digest":"<base64>"} */
te_err te_wl_reply_sign(const uint8_t *digest, size_t len, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(3);
/* {"<field>":"<base64>"}, field "ciphertext" or "plaintext". */
te_err te_wl_reply_crypt(const char *field, const uint8_t *data, size_t len, te_buf *json)
    TE_MUST_CHECK TE_NONNULL(1, 4);
/* {"modules":[ModuleDetails...]} for module ids names[0..n): id and name
 * are the module id, config and status empty (the daemon does not run
 * modules yet). */
te_err te_wl_reply_modules(const char *const *names, size_t n, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(3);
/* CertificateResponse: {"privateKey":{"type":"key","bytes":key_pem},
 * "certificate":cert_pem,"expiration":"<RFC 3339 UTC>"}.  The key is the
 * module's secret: pass a secure te_buf. */
te_err te_wl_reply_cert(const char *cert_pem, size_t cert_len, const char *key_pem,
			size_t key_len, int64_t expiration, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(1, 3, 6);
/* {"certificate":pem}; len 0 gives "" (no manifest trust bundle). */
te_err te_wl_reply_bundle(const char *pem, size_t len, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(3);
/* {"message":"<st->message>"} */
te_err te_wl_reply_error(const te_wl_status *st, te_buf *json) TE_MUST_CHECK TE_NONNULL(1, 2);

#endif
