/*
 * svc_keys.h - request routing, body parsing and replies of the keys
 * service API (aziot-keyd compatible, api-versions 2020-09-01 and
 * 2021-05-01; docs: /work/shared/docs/services-api.md), as pure
 * functions, plus the per-uid principals check.
 *
 * The same contract as the workload layer (workload.h): the API process
 * hands these what the HTTP server gives it (method, URL path without the
 * query string, the api-version query value, body bytes and the
 * Content-Type header) and gets back a typed request or a refusal in a
 * te_wl_status (HTTP status and a fixed message, sent with
 * te_svc_keys_reply_error as {"message": "..."}).  Everything here is
 * untrusted input; messages name our fields, never repeat client bytes.
 *
 * Statuses (and the te_err returned with them): 400 TE_ERR_INVALID_ARG,
 * 404 TE_ERR_NOT_FOUND, 405 TE_ERR_UNSUPPORTED, 413
 * TE_ERR_BUFFER_TOO_SMALL, 415 TE_ERR_UNSUPPORTED, 422 TE_ERR_MALFORMED,
 * 500 TE_ERR_INTERNAL and the like (te_svc_keys_handle_open only).
 *
 * Key handles stay text in the request structs (checked only for length
 * and alphabet); te_svc_keys_handle_open authenticates one, in the keys
 * process, where the handle-validation key is.
 */
#ifndef TRUSTEDGE_DAEMON_SVC_KEYS_H
#define TRUSTEDGE_DAEMON_SVC_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/keyhandle.h"
#include "daemon/workload.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_error.h"
#include "trustedge/te_mem.h"

/* Longest URL path considered (the longest route with a maximal key id is
 * 137 bytes). */
#define TE_SVC_KEYS_PATH_MAX 512
/* Largest request body: the largest legitimate one, a decrypt of a full
 * ciphertext with a full aad, is about 24 KiB. */
#define TE_SVC_KEYS_BODY_MAX (32 * 1024)
/* Deepest JSON nesting accepted; valid bodies have depth 1 or 2. */
#define TE_SVC_KEYS_JSON_DEPTH_MAX 8

/* Bounds of the decoded base64 fields. */
#define TE_SVC_KEYS_DIGEST_MAX     64          /* sign ECDSA: 1..64 */
#define TE_SVC_KEYS_MESSAGE_MAX    (8 * 1024)  /* sign HMAC-SHA256: 0..8 KiB */
#define TE_SVC_KEYS_PLAINTEXT_MAX  (16 * 1024) /* encrypt: 0..16 KiB */
#define TE_SVC_KEYS_CRYPT_OVERHEAD 64          /* AEAD tag and framing */
#define TE_SVC_KEYS_CIPHERTEXT_MAX (TE_SVC_KEYS_PLAINTEXT_MAX + TE_SVC_KEYS_CRYPT_OVERHEAD)
#define TE_SVC_KEYS_IV_MAX         64   /* AEAD: 1..64 */
#define TE_SVC_KEYS_AAD_MAX        1024 /* AEAD: 0..1 KiB */
#define TE_SVC_KEYS_KEY_BYTES_MAX  64   /* POST /key import: 1..64; lengthBytes 1..64 */
#define TE_SVC_KEYS_DERIVATION_MAX TE_KEYHANDLE_DATA_MAX /* 0..256 */
/* Bounds of the replies. */
#define TE_SVC_KEYS_SIGNATURE_MAX 512  /* rsa-4096 */
#define TE_SVC_KEYS_VALUE_MAX     1024 /* a public parameter (modulus, point, ...) */
#define TE_SVC_KEYS_EXPORT_MAX    64   /* a derived key (32 bytes today) */
/* Entries of preferredAlgorithms. */
#define TE_SVC_KEYS_PREF_MAX 8

typedef enum te_svc_keys_api_version {
	TE_SVC_KEYS_API_NONE = 0,
	TE_SVC_KEYS_API_2020_09_01,
	TE_SVC_KEYS_API_2021_05_01,
} te_svc_keys_api_version;

typedef enum te_svc_keys_route_id {
	TE_SVC_KEYS_ROUTE_NONE = 0,
	TE_SVC_KEYS_ROUTE_KEY_CREATE,     /* POST   /key */
	TE_SVC_KEYS_ROUTE_KEY_LOAD,       /* GET    /key/{keyId} */
	TE_SVC_KEYS_ROUTE_KEY_DELETE,     /* DELETE /key */
	TE_SVC_KEYS_ROUTE_KEYPAIR_CREATE, /* POST   /keypair */
	TE_SVC_KEYS_ROUTE_KEYPAIR_LOAD,   /* GET    /keypair/{keyId} */
	TE_SVC_KEYS_ROUTE_KEYPAIR_MOVE,   /* POST   /keypair/{keyId} (body: from) */
	TE_SVC_KEYS_ROUTE_KEYPAIR_DELETE, /* DELETE /keypair */
	TE_SVC_KEYS_ROUTE_PARAMETER,      /* POST   /parameters/{name} */
	TE_SVC_KEYS_ROUTE_SIGN,           /* POST   /sign */
	TE_SVC_KEYS_ROUTE_ENCRYPT,        /* POST   /encrypt */
	TE_SVC_KEYS_ROUTE_DECRYPT,        /* POST   /decrypt */
	TE_SVC_KEYS_ROUTE_DERIVE,         /* POST   /derivedkey */
	TE_SVC_KEYS_ROUTE_DERIVED_EXPORT, /* POST   /derivedkey/export */
} te_svc_keys_route_id;

/* The public parameters of POST /parameters/{name}. */
typedef enum te_svc_keys_param {
	TE_SVC_KEYS_PARAM_NONE = 0,
	TE_SVC_KEYS_PARAM_ALGORITHM,    /* "algorithm": "ECDSA" or "RSA" */
	TE_SVC_KEYS_PARAM_EC_CURVE_OID, /* "ec-curve-oid" */
	TE_SVC_KEYS_PARAM_EC_POINT,     /* "ec-point" */
	TE_SVC_KEYS_PARAM_RSA_MODULUS,  /* "rsa-modulus" */
	TE_SVC_KEYS_PARAM_RSA_EXPONENT, /* "rsa-exponent" */
} te_svc_keys_param;

typedef struct te_svc_keys_route_t {
	te_svc_keys_route_id id;
	te_svc_keys_api_version version;
	/* KEY_LOAD, KEYPAIR_LOAD, KEYPAIR_MOVE (the destination); else "". */
	char key_id[TE_KEYHANDLE_ID_MAX + 1];
	te_svc_keys_param param; /* PARAMETER only */
	te_wl_status status;     /* the refusal when not TE_OK */
} te_svc_keys_route_t;

/*
 * Matches method ("GET"/"POST"/"DELETE", exact case) and path against the
 * keys routes, checks api_version (NULL = missing) and the path's key id
 * or parameter name.  Order: path syntax (400: empty, ".", ".." segments,
 * bytes outside printable ASCII, too long) -> route (404) -> method (405)
 * -> api-version (400 "invalid api-version") -> key id / parameter name
 * (400).  Every route exists in both api-versions.  Key ids follow the
 * HSM key-name rules (1..128 of [A-Za-z0-9._-], no leading '.'); paths
 * are not percent-decoded, so '%' is refused with the rest.  On failure
 * out->id is TE_SVC_KEYS_ROUTE_NONE, key_id is empty, param NONE and
 * out->status holds the refusal.
 */
te_err te_svc_keys_route(const char *method, const char *path, const char *api_version,
                         te_svc_keys_route_t *out) TE_MUST_CHECK TE_NONNULL(4);

/* ---- bodies: (body, len, Content-Type value or NULL, out, status) ----
 * Content-Type must be application/json, parameters allowed (415); len at
 * most TE_SVC_KEYS_BODY_MAX (413); the body one JSON object, no duplicate
 * keys at any depth, nesting at most TE_SVC_KEYS_JSON_DEPTH_MAX (422);
 * each field present with the right type and value (400 naming the
 * field); unknown fields ignored.  out is zeroed first and holds the
 * request only on TE_OK.  Key ids in bodies follow the rules of the path's
 * (above); key handles are 1..TE_KEYHANDLE_TEXT_MAX base64url characters. */

/* DELETE /key, DELETE /keypair, POST /parameters/{name},
 * POST /derivedkey/export: {"keyHandle": "..."} */
typedef struct te_svc_keys_handle_req {
	char key_handle[TE_KEYHANDLE_TEXT_MAX + 1];
} te_svc_keys_handle_req;

/* POST /key: {"keyId", "keyBytes"?: b64, "lengthBytes"?: int,
 * "usage"?: "derive,encrypt,sign"}.  keyBytes imports the key (1..64
 * bytes); without it a key is generated, lengthBytes (1..64, the
 * 2020-09-01 form) long or the backend's default length when absent; the
 * two exclude each other.  usage is a comma-separated non-empty list of
 * derive, encrypt, sign; absent means derive,sign (the reference's
 * default).  key_bytes is secret: te_memzero the struct after use. */
typedef struct te_svc_keys_key_create_req {
	char key_id[TE_KEYHANDLE_ID_MAX + 1];
	int import; /* 1: key_bytes holds the key */
	uint8_t key_bytes[TE_SVC_KEYS_KEY_BYTES_MAX];
	size_t key_bytes_len;
	size_t length_bytes; /* generate: 0 = backend default */
	uint32_t usage;      /* TE_HSM_USAGE_* bits, never 0 */
} te_svc_keys_key_create_req;

typedef enum te_svc_keys_pref {
	TE_SVC_KEYS_PREF_NONE = 0,
	TE_SVC_KEYS_PREF_EC_P256,  /* "ec-p256" */
	TE_SVC_KEYS_PREF_RSA_2048, /* "rsa-2048" */
	TE_SVC_KEYS_PREF_RSA_4096, /* "rsa-4096" */
	TE_SVC_KEYS_PREF_ANY,      /* "*": whatever the backend prefers */
} te_svc_keys_pref;

/* POST /keypair: {"keyId", "preferredAlgorithms"?: "ec-p256:rsa-2048:*"}.
 * preferredAlgorithms is 1..TE_SVC_KEYS_PREF_MAX ':'-separated names, in
 * order of preference; absent (or null) is the list "*". */
typedef struct te_svc_keys_keypair_create_req {
	char key_id[TE_KEYHANDLE_ID_MAX + 1];
	te_svc_keys_pref algs[TE_SVC_KEYS_PREF_MAX];
	size_t n_algs; /* >= 1 */
} te_svc_keys_keypair_create_req;

/* POST /keypair/{keyId}: {"from": "<keyId>"}, moving key pair `from` to
 * the path's key id (to_key_id, from te_svc_keys_route); the two must
 * differ (400). */
typedef struct te_svc_keys_move_req {
	char from[TE_KEYHANDLE_ID_MAX + 1];
} te_svc_keys_move_req;

typedef enum te_svc_keys_sign_alg {
	TE_SVC_KEYS_SIGN_NONE = 0,
	TE_SVC_KEYS_SIGN_ECDSA,       /* parameters.digest: 1..64 bytes */
	TE_SVC_KEYS_SIGN_HMAC_SHA256, /* parameters.message: 0..8 KiB */
} te_svc_keys_sign_alg;

/* POST /sign: {"keyHandle", "algorithm", "parameters": {...}} */
typedef struct te_svc_keys_sign_req {
	char key_handle[TE_KEYHANDLE_TEXT_MAX + 1];
	te_svc_keys_sign_alg alg;
	uint8_t data[TE_SVC_KEYS_MESSAGE_MAX]; /* the digest or the message */
	size_t data_len;
} te_svc_keys_sign_req;

typedef enum te_svc_keys_crypt_alg {
	TE_SVC_KEYS_CRYPT_NONE = 0,
	TE_SVC_KEYS_CRYPT_AEAD,           /* parameters.iv 1..64, parameters.aad 0..1 KiB */
	TE_SVC_KEYS_CRYPT_RSA_PKCS1,      /* encrypt only; no parameters */
	TE_SVC_KEYS_CRYPT_RSA_NO_PADDING, /* encrypt only; no parameters */
} te_svc_keys_crypt_alg;

/* POST /encrypt: {"keyHandle", "algorithm", "parameters"?, "plaintext"}
 * (plaintext 0..16 KiB); POST /decrypt: the same with "ciphertext"
 * (1..TE_SVC_KEYS_CIPHERTEXT_MAX) and AEAD only: an RSA private-key
 * decryption per request would be a padding oracle.  For RSA the
 * "parameters" member is ignored.  A decrypt request holds no secret, an
 * encrypt request the caller's plaintext: te_memzero it after use. */
typedef struct te_svc_keys_crypt_req {
	char key_handle[TE_KEYHANDLE_TEXT_MAX + 1];
	te_svc_keys_crypt_alg alg;
	uint8_t iv[TE_SVC_KEYS_IV_MAX];
	size_t iv_len;
	uint8_t aad[TE_SVC_KEYS_AAD_MAX];
	size_t aad_len;
	uint8_t data[TE_SVC_KEYS_CIPHERTEXT_MAX]; /* plaintext or ciphertext */
	size_t data_len;
} te_svc_keys_crypt_req;

/* POST /derivedkey: {"baseKeyHandle", "derivationData": b64 (0..256)} */
typedef struct te_svc_keys_derive_req {
	char base_key_handle[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t data[TE_SVC_KEYS_DERIVATION_MAX];
	size_t data_len;
} te_svc_keys_derive_req;

/* For DELETE /key, DELETE /keypair, POST /parameters/{name} and POST
 * /derivedkey/export. */
te_err te_svc_keys_parse_handle(const void *body, size_t len, const char *content_type,
                                te_svc_keys_handle_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);
te_err te_svc_keys_parse_key_create(const void *body, size_t len, const char *content_type,
                                    te_svc_keys_key_create_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);
te_err te_svc_keys_parse_keypair_create(const void *body, size_t len, const char *content_type,
                                        te_svc_keys_keypair_create_req *out,
                                        te_wl_status *st) TE_MUST_CHECK TE_NONNULL(4, 5);
te_err te_svc_keys_parse_move(const void *body, size_t len, const char *content_type,
                              const char *to_key_id, te_svc_keys_move_req *out,
                              te_wl_status *st) TE_MUST_CHECK TE_NONNULL(4, 5, 6);
te_err te_svc_keys_parse_sign(const void *body, size_t len, const char *content_type,
                              te_svc_keys_sign_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);
te_err te_svc_keys_parse_encrypt(const void *body, size_t len, const char *content_type,
                                 te_svc_keys_crypt_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);
te_err te_svc_keys_parse_decrypt(const void *body, size_t len, const char *content_type,
                                 te_svc_keys_crypt_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);
te_err te_svc_keys_parse_derive(const void *body, size_t len, const char *content_type,
                                te_svc_keys_derive_req *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(4, 5);

/*
 * Authenticates the handle text (from a parsed request) with mac and
 * checks its kind: kinds is a mask of (1u << te_keyhandle_kind) values
 * that the route accepts.  400 "invalid key handle" for anything that is
 * not a handle this daemon made (malformed or forged alike, so a refusal
 * says nothing about why); 400 naming the expected kind for a genuine
 * handle of another kind; 500 when the mac callback fails.  out is
 * written only on success.
 */
te_err te_svc_keys_handle_open(te_keyhandle_mac_fn mac, void *arg, const char *text, unsigned kinds,
                               te_keyhandle *out, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(1, 3, 5, 6);

/*
 * 1 when the caller uid may use the key key_id: a principal of cfg has
 * that uid and one of its patterns matches key_id (fnmatch(3), flags 0).
 * 0 otherwise: no principal for uid, no pattern matching, or a key_id
 * that is not a valid key name.  root (uid 0) is not implicitly allowed:
 * it needs a principal like any other caller, so the configuration is
 * the one place that says who may use a key.  For a derived key pass the
 * base key id.
 */
int te_svc_keys_principal_allows(const te_daemon_config *cfg, uid_t uid,
                                 const char *key_id) TE_MUST_CHECK TE_NONNULL(1);

/* ---- replies: append NUL-terminated JSON text to json (the NUL is not
 * counted in json->len); on failure json is as it was.  For a plaintext
 * or key reply pass a secure te_buf. */

typedef enum te_svc_keys_field {
	TE_SVC_KEYS_FIELD_SIGNATURE,  /* {"signature":"<b64>"}, 1..512 bytes */
	TE_SVC_KEYS_FIELD_CIPHERTEXT, /* {"ciphertext":"<b64>"}, 1..CIPHERTEXT_MAX */
	TE_SVC_KEYS_FIELD_PLAINTEXT,  /* {"plaintext":"<b64>"}, 0..PLAINTEXT_MAX */
	TE_SVC_KEYS_FIELD_KEY,        /* {"key":"<b64>"}, 1..64 */
	TE_SVC_KEYS_FIELD_VALUE,      /* {"value":"<b64>"}, 1..VALUE_MAX */
} te_svc_keys_field;

/* {"keyHandle":"<handle>"}; handle as te_keyhandle_encode wrote it. */
te_err te_svc_keys_reply_handle(const char *handle, te_buf *json) TE_MUST_CHECK TE_NONNULL(1, 2);
/* {"<field>":"<base64 of data>"} within the field's bounds above. */
te_err te_svc_keys_reply_b64(te_svc_keys_field field, const uint8_t *data, size_t len,
                             te_buf *json) TE_MUST_CHECK TE_NONNULL(4);
/* {"value":"<text>"} for a text parameter ("ECDSA", "RSA"): 1..64
 * printable ASCII characters. */
te_err te_svc_keys_reply_value_text(const char *text, te_buf *json) TE_MUST_CHECK TE_NONNULL(1, 2);
/* {"message":"<st->message>"} */
te_err te_svc_keys_reply_error(const te_wl_status *st, te_buf *json) TE_MUST_CHECK TE_NONNULL(1, 2);

#endif
