/*
 * ipc.h - the typed message channel between trustedged's processes.
 *
 * Transport: a connected AF_UNIX SOCK_SEQPACKET socket (socketpair), one
 * message per datagram, so the kernel keeps message boundaries.  Frame:
 *
 *   u16 version (TE_IPC_VERSION) | u16 type | u32 request id |
 *   u32 body length | body
 *
 * all big-endian.  Every type declares the bounds of its body length and
 * the layout of its fields; a message that does not match is a protocol
 * error (TE_ERR_MALFORMED) after which the receiver closes the channel and
 * the parent restarts the peer.  Variable fields are a u16 length and that
 * many bytes, each with its own maximum; a decoder accepts a body only if
 * it is consumed exactly.
 *
 * Secrets: ENCRYPT_REQ (plaintext), CRYPT_REPLY (plaintext of a decrypt),
 * SIGN_REPLY (the digest is a bearer SAS signature), CERT_REPLY (a
 * module's new private key), KEYSVC_REQ (a plaintext to encrypt, key bytes
 * to import), KEYSVC_REPLY (a plaintext, a signature, an exported
 * derived key), CERTSVC_REQ (a key handle) and IDSVC_REPLY (an identity's
 * key handle) carry secrets.
 * Whoever holds a te_ipc_msg of such a type must call te_ipc_msg_wipe()
 * once done with it (te_ipc_type_is_secret() says which), and should keep
 * the struct in te_secure_alloc memory when it lives long.
 */
#ifndef TRUSTEDGE_DAEMON_IPC_H
#define TRUSTEDGE_DAEMON_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "trustedge/te_error.h"

#define TE_IPC_VERSION  1
#define TE_IPC_HDR_LEN  12
#define TE_IPC_BODY_MAX (64 * 1024)
#define TE_IPC_MSG_MAX  (TE_IPC_HDR_LEN + TE_IPC_BODY_MAX)

/* Field limits.  An IoT Hub module id is at most 128 characters; the
 * generation id is an opaque string (digits in practice); keyId is
 * "primary" or "secondary". */
#define TE_IPC_MODULE_MAX     128
#define TE_IPC_GENID_MAX      64
#define TE_IPC_KEY_ID_MAX     16
#define TE_IPC_SIGN_DATA_MAX  (8 * 1024)
#define TE_IPC_DIGEST_MAX     64
#define TE_IPC_IV_MAX         64
#define TE_IPC_CRYPT_DATA_MAX (16 * 1024)
/* A ciphertext is the plaintext plus a format byte, nonce and tag. */
#define TE_IPC_CRYPT_OVERHEAD_MAX 64
#define TE_IPC_ERROR_MSG_MAX      256
/* Certificates.  A common name is at most 64 characters (RFC 5280
 * ub-common-name).  A CERT_REPLY holds the leaf and the edge CA's chain
 * as PEM, and a PKCS#8 PEM private key (an EC P-256 one is ~240 bytes);
 * a BUNDLE_REPLY the PEM of the trusted roots. */
#define TE_IPC_CN_MAX         64
#define TE_IPC_CERT_PEM_MAX   (16 * 1024)
#define TE_IPC_KEY_PEM_MAX    (16 * 1024)
#define TE_IPC_BUNDLE_PEM_MAX (48 * 1024)

typedef enum te_ipc_type {
	TE_IPC_PING = 1,
	TE_IPC_PONG = 2,
	TE_IPC_READY = 3,
	TE_IPC_SIGN_DERIVED_REQ = 4,
	TE_IPC_SIGN_REPLY = 5,
	TE_IPC_ENCRYPT_REQ = 6,
	TE_IPC_DECRYPT_REQ = 7,
	TE_IPC_CRYPT_REPLY = 8,
	TE_IPC_ERROR_REPLY = 9,
	TE_IPC_CERT_SERVER_REQ = 10,
	TE_IPC_CERT_IDENTITY_REQ = 11,
	TE_IPC_CERT_REPLY = 12,
	TE_IPC_TRUST_BUNDLE_REQ = 13,
	TE_IPC_MANIFEST_TRUST_BUNDLE_REQ = 14,
	TE_IPC_BUNDLE_REPLY = 15,
	TE_IPC_KEYSVC_REQ = 16,
	TE_IPC_KEYSVC_REPLY = 17,
	TE_IPC_CERTSVC_REQ = 18,
	TE_IPC_CERTSVC_REPLY = 19,
	TE_IPC_IDSVC_REQ = 20,
	TE_IPC_IDSVC_REPLY = 21,
} te_ipc_type;

/*
 * One message.  About 64 KiB: keep it static, on the heap, or in
 * te_secure_alloc memory, not on a small stack.  Only body[0..len) is
 * meaningful.
 */
typedef struct te_ipc_msg {
	uint16_t type;
	uint32_t id;
	uint32_t len;
	uint8_t body[TE_IPC_BODY_MAX];
} te_ipc_msg;

/*
 * Decoded bodies.  Strings are NUL-terminated and contain no NUL.  Byte
 * fields point into the te_ipc_msg they were decoded from: they are valid
 * only while that message is neither overwritten (by the next recv) nor
 * wiped, and they share its secrecy.
 */
typedef struct te_ipc_sign_derived_req {
	char module[TE_IPC_MODULE_MAX + 1];
	char genid[TE_IPC_GENID_MAX + 1];
	char key_id[TE_IPC_KEY_ID_MAX + 1];
	const uint8_t *data; /* 0..TE_IPC_SIGN_DATA_MAX bytes */
	size_t data_len;
} te_ipc_sign_derived_req;

typedef struct te_ipc_sign_reply {
	const uint8_t *digest; /* 1..TE_IPC_DIGEST_MAX bytes */
	size_t digest_len;
} te_ipc_sign_reply;

/* ENCRYPT_REQ: data is the plaintext (0..TE_IPC_CRYPT_DATA_MAX).
 * DECRYPT_REQ: data is the ciphertext (1..TE_IPC_CRYPT_DATA_MAX +
 * TE_IPC_CRYPT_OVERHEAD_MAX). */
typedef struct te_ipc_crypt_req {
	char module[TE_IPC_MODULE_MAX + 1];
	char genid[TE_IPC_GENID_MAX + 1];
	const uint8_t *iv; /* 1..TE_IPC_IV_MAX bytes */
	size_t iv_len;
	const uint8_t *data;
	size_t data_len;
} te_ipc_crypt_req;

/* Ciphertext of an encrypt or plaintext of a decrypt,
 * 0..TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX bytes. */
typedef struct te_ipc_crypt_reply {
	const uint8_t *data;
	size_t data_len;
} te_ipc_crypt_reply;

/* The keys process refused or failed; code is never TE_OK. */
typedef struct te_ipc_error_reply {
	te_err code;
	char message[TE_IPC_ERROR_MSG_MAX + 1];
} te_ipc_error_reply;

/*
 * CERT_SERVER_REQ: module, genid, common_name (1..TE_IPC_CN_MAX), and an
 * optional expiration.
 * CERT_IDENTITY_REQ: module and an optional expiration; genid and
 * common_name are not on the wire (the encoder ignores them, the decoder
 * leaves them "").
 * Wire: the strings, then u8 has_expiration (0 or 1) and i64 expiration
 * (Unix seconds, two's complement), which is 0 when has_expiration is 0.
 */
typedef struct te_ipc_cert_req {
	char module[TE_IPC_MODULE_MAX + 1];
	char genid[TE_IPC_GENID_MAX + 1];
	char common_name[TE_IPC_CN_MAX + 1];
	int has_expiration; /* 0 or 1 */
	int64_t expiration; /* 0 unless has_expiration */
} te_ipc_cert_req;

/* CERT_REPLY: the certificate (leaf first, then the chain up to the edge
 * CA, and the CA's own chain when it has one), its private key as PKCS#8
 * PEM, and the leaf's notAfter.  The PEM fields are text without NUL and
 * are NOT NUL-terminated: use the lengths. */
typedef struct te_ipc_cert_reply {
	const char *cert_pem; /* 1..TE_IPC_CERT_PEM_MAX bytes */
	size_t cert_pem_len;
	const char *key_pem; /* 1..TE_IPC_KEY_PEM_MAX bytes: secret */
	size_t key_pem_len;
	int64_t expiration; /* Unix seconds */
} te_ipc_cert_reply;

/* BUNDLE_REPLY, to TRUST_BUNDLE_REQ or MANIFEST_TRUST_BUNDLE_REQ (both
 * have an empty body): PEM certificates, 0..TE_IPC_BUNDLE_PEM_MAX bytes
 * of text without NUL, not NUL-terminated.  Empty means no bundle (the
 * manifest trust bundle is optional). */
typedef struct te_ipc_bundle_reply {
	const char *pem;
	size_t pem_len;
} te_ipc_bundle_reply;

/*
 * The keys service (KEYSVC_REQ -> KEYSVC_REPLY): one request type for
 * every operation of the keys service API (svc_keys.h), carrying the
 * caller's uid (SO_PEERCRED, read by the API process) and the fields of
 * the operation, and one reply type carrying the HTTP status the keys
 * process chose and what goes in the JSON body.
 *
 * KEYSVC_REQ wire: u32 uid | u8 op | key_id | from_key_id | handle |
 * u8 alg | u32 usage | prefs | u8 param | u16 length_bytes | key_bytes |
 * data | iv | aad, where the named fields are u16-length-prefixed (a field
 * may be empty).  Each op says which fields it needs (non-empty or
 * non-zero) and which it may have; every other field must be empty or
 * zero, so one request has one encoding:
 *
 *   op               needs                   may have
 *   KEY_CREATE       key_id, usage           length_bytes | key_bytes
 *   KEY_LOAD         key_id
 *   KEY_DELETE       handle
 *   KEYPAIR_CREATE   key_id, prefs
 *   KEYPAIR_LOAD     key_id
 *   KEYPAIR_MOVE     key_id (to), from_key_id (differs from key_id)
 *   KEYPAIR_DELETE   handle
 *   PARAMETER        handle, param
 *   SIGN             handle, alg (ECDSA: data = digest 1..64;
 *                    HMAC_SHA256: data = message 0..8 KiB)
 *   ENCRYPT          handle, alg, and for    data = plaintext 0..16 KiB;
 *                    AEAD iv (1..64)         AEAD: aad (0..1 KiB)
 *   DECRYPT          handle, alg = AEAD,     aad
 *                    iv, data = ciphertext
 *                    1..16 KiB + 64
 *   DERIVE           handle                  data = derivation data 0..256
 *   DERIVED_EXPORT   handle
 *
 * Key ids follow the HSM key-name rules, handles are base64url text (the
 * keys process authenticates them), prefs are 1..8 TE_IPC_KEYSVC_PREF_*
 * bytes, usage is TE_IPC_KEYSVC_USAGE_* bits, length_bytes and key_bytes
 * exclude each other.
 *
 * KEYSVC_REPLY wire: u16 status | u8 kind | payload (u16-prefixed).  Kind
 * NONE goes with status 204 and no payload; MESSAGE with 400, 403, 404,
 * 409, 500 or 501 and 1..TE_IPC_KEYSVC_MSG_MAX printable ASCII characters
 * (the {"message"} of the reply); every other kind with 200 and a payload
 * within the bounds of its JSON field (svc_keys.h).
 */
#define TE_IPC_KEYSVC_ID_MAX         128 /* TE_KEYHANDLE_ID_MAX */
#define TE_IPC_KEYSVC_HANDLE_MAX     584 /* TE_KEYHANDLE_TEXT_MAX */
#define TE_IPC_KEYSVC_PREFS_MAX      8
#define TE_IPC_KEYSVC_KEY_BYTES_MAX  64
#define TE_IPC_KEYSVC_DIGEST_MAX     64
#define TE_IPC_KEYSVC_MESSAGE_MAX    (8 * 1024)
#define TE_IPC_KEYSVC_PLAINTEXT_MAX  (16 * 1024)
#define TE_IPC_KEYSVC_CIPHERTEXT_MAX (TE_IPC_KEYSVC_PLAINTEXT_MAX + 64)
#define TE_IPC_KEYSVC_IV_MAX         64
#define TE_IPC_KEYSVC_AAD_MAX        1024
#define TE_IPC_KEYSVC_DERIVATION_MAX 256
#define TE_IPC_KEYSVC_SIGNATURE_MAX  512
#define TE_IPC_KEYSVC_EXPORT_MAX     64
#define TE_IPC_KEYSVC_VALUE_MAX      1024
#define TE_IPC_KEYSVC_VALUE_TEXT_MAX 64
#define TE_IPC_KEYSVC_MSG_MAX        255

typedef enum te_ipc_keysvc_op {
	TE_IPC_KEYSVC_KEY_CREATE = 1,
	TE_IPC_KEYSVC_KEY_LOAD = 2,
	TE_IPC_KEYSVC_KEY_DELETE = 3,
	TE_IPC_KEYSVC_KEYPAIR_CREATE = 4,
	TE_IPC_KEYSVC_KEYPAIR_LOAD = 5,
	TE_IPC_KEYSVC_KEYPAIR_MOVE = 6,
	TE_IPC_KEYSVC_KEYPAIR_DELETE = 7,
	TE_IPC_KEYSVC_PARAMETER = 8,
	TE_IPC_KEYSVC_SIGN = 9,
	TE_IPC_KEYSVC_ENCRYPT = 10,
	TE_IPC_KEYSVC_DECRYPT = 11,
	TE_IPC_KEYSVC_DERIVE = 12,
	TE_IPC_KEYSVC_DERIVED_EXPORT = 13,
} te_ipc_keysvc_op;

typedef enum te_ipc_keysvc_alg {
	TE_IPC_KEYSVC_ALG_NONE = 0,
	TE_IPC_KEYSVC_ALG_ECDSA = 1,          /* sign */
	TE_IPC_KEYSVC_ALG_HMAC_SHA256 = 2,    /* sign */
	TE_IPC_KEYSVC_ALG_AEAD = 3,           /* encrypt, decrypt */
	TE_IPC_KEYSVC_ALG_RSA_PKCS1 = 4,      /* encrypt */
	TE_IPC_KEYSVC_ALG_RSA_NO_PADDING = 5, /* encrypt */
} te_ipc_keysvc_alg;

typedef enum te_ipc_keysvc_param {
	TE_IPC_KEYSVC_PARAM_NONE = 0,
	TE_IPC_KEYSVC_PARAM_ALGORITHM = 1,
	TE_IPC_KEYSVC_PARAM_EC_CURVE_OID = 2,
	TE_IPC_KEYSVC_PARAM_EC_POINT = 3,
	TE_IPC_KEYSVC_PARAM_RSA_MODULUS = 4,
	TE_IPC_KEYSVC_PARAM_RSA_EXPONENT = 5,
} te_ipc_keysvc_param;

typedef enum te_ipc_keysvc_pref {
	TE_IPC_KEYSVC_PREF_EC_P256 = 1,
	TE_IPC_KEYSVC_PREF_RSA_2048 = 2,
	TE_IPC_KEYSVC_PREF_RSA_4096 = 3,
	TE_IPC_KEYSVC_PREF_ANY = 4,
} te_ipc_keysvc_pref;

/* Usage bits of KEY_CREATE (the values of TE_HSM_USAGE_*). */
#define TE_IPC_KEYSVC_USAGE_SIGN    0x1u
#define TE_IPC_KEYSVC_USAGE_ENCRYPT 0x2u
#define TE_IPC_KEYSVC_USAGE_DERIVE  0x4u

typedef enum te_ipc_keysvc_kind {
	TE_IPC_KEYSVC_REPLY_NONE = 0,       /* 204, no body */
	TE_IPC_KEYSVC_REPLY_HANDLE = 1,     /* {"keyHandle": text} */
	TE_IPC_KEYSVC_REPLY_SIGNATURE = 2,  /* {"signature": b64}, 1..512 */
	TE_IPC_KEYSVC_REPLY_CIPHERTEXT = 3, /* {"ciphertext": b64}, 1..CIPHERTEXT_MAX */
	TE_IPC_KEYSVC_REPLY_PLAINTEXT = 4,  /* {"plaintext": b64}, 0..PLAINTEXT_MAX */
	TE_IPC_KEYSVC_REPLY_KEY = 5,        /* {"key": b64}, 1..64 */
	TE_IPC_KEYSVC_REPLY_VALUE = 6,      /* {"value": b64}, 1..VALUE_MAX */
	TE_IPC_KEYSVC_REPLY_VALUE_TEXT = 7, /* {"value": text}, 1..64 printable */
	TE_IPC_KEYSVC_REPLY_MESSAGE = 8,    /* {"message": text}: a refusal */
} te_ipc_keysvc_kind;

/* KEYSVC_REQ.  Strings are NUL-terminated ("" when absent); byte fields
 * point into the message (NULL or anything when their length is 0). */
typedef struct te_ipc_keysvc_req {
	uint32_t uid; /* the caller, from SO_PEERCRED */
	uint8_t op;   /* te_ipc_keysvc_op */
	char key_id[TE_IPC_KEYSVC_ID_MAX + 1];
	char from_key_id[TE_IPC_KEYSVC_ID_MAX + 1];
	char handle[TE_IPC_KEYSVC_HANDLE_MAX + 1];
	uint8_t alg; /* te_ipc_keysvc_alg */
	uint32_t usage;
	uint8_t prefs[TE_IPC_KEYSVC_PREFS_MAX]; /* te_ipc_keysvc_pref */
	size_t n_prefs;
	uint8_t param; /* te_ipc_keysvc_param */
	uint16_t length_bytes;
	const uint8_t *key_bytes; /* secret */
	size_t key_bytes_len;
	const uint8_t *data; /* digest, message, plaintext (secret), ciphertext, derivation data */
	size_t data_len;
	const uint8_t *iv;
	size_t iv_len;
	const uint8_t *aad;
	size_t aad_len;
} te_ipc_keysvc_req;

/* KEYSVC_REPLY.  payload points into the message and is not
 * NUL-terminated; it may be a secret (plaintext, signature, key). */
typedef struct te_ipc_keysvc_reply {
	uint16_t status; /* HTTP status */
	uint8_t kind;    /* te_ipc_keysvc_kind */
	const uint8_t *payload;
	size_t payload_len;
} te_ipc_keysvc_reply;

/*
 * The certificates service (CERTSVC_REQ -> CERTSVC_REPLY, svc_certs.h),
 * built like the keys service's pair: the caller's uid and the operation's
 * fields in, the HTTP status and the body's content out.
 *
 * CERTSVC_REQ wire: u32 uid | u8 op | cert_id | issuer_cert_id |
 * issuer_handle | csr | pem, each named field u16-length-prefixed and
 * possibly empty.  Each op has exactly the fields it needs:
 *
 *   op       needs             may have
 *   CREATE   cert_id, csr      issuer_cert_id and issuer_handle (both or neither)
 *   IMPORT   cert_id, pem
 *   GET      cert_id
 *   DELETE   cert_id
 *
 * Ids follow the HSM key-name rules; the handle is base64url text (the
 * keys process authenticates it); csr is 1..TE_IPC_CERTSVC_CSR_MAX bytes
 * (DER or PEM: the keys process parses it); pem is 1..PEM_MAX bytes of
 * printable ASCII, tab, CR and LF.  The message carries a key handle: it
 * is secret like KEYSVC_REQ (wipe it).
 *
 * CERTSVC_REPLY wire: u16 status | u8 kind | payload (u16-prefixed).  Kind
 * NONE goes with 204 and no payload; PEM with 200 (get) or 201 (create,
 * import) and 1..PEM_MAX bytes of the text pem may hold; MESSAGE with 400,
 * 403, 404, 409, 500 or 501 and 1..TE_IPC_CERTSVC_MSG_MAX printable ASCII
 * characters.
 */
#define TE_IPC_CERTSVC_ID_MAX     128 /* TE_HSM_NAME_MAX */
#define TE_IPC_CERTSVC_HANDLE_MAX 584 /* TE_KEYHANDLE_TEXT_MAX */
#define TE_IPC_CERTSVC_CSR_MAX    (8 * 1024)
#define TE_IPC_CERTSVC_PEM_MAX    (24 * 1024)
#define TE_IPC_CERTSVC_MSG_MAX    255

typedef enum te_ipc_certsvc_op {
	TE_IPC_CERTSVC_CREATE = 1,
	TE_IPC_CERTSVC_IMPORT = 2,
	TE_IPC_CERTSVC_GET = 3,
	TE_IPC_CERTSVC_DELETE = 4,
} te_ipc_certsvc_op;

typedef enum te_ipc_certsvc_kind {
	TE_IPC_CERTSVC_REPLY_NONE = 0,    /* 204, no body */
	TE_IPC_CERTSVC_REPLY_PEM = 1,     /* {"pem": text} */
	TE_IPC_CERTSVC_REPLY_MESSAGE = 2, /* {"message": text}: a refusal */
} te_ipc_certsvc_kind;

/* CERTSVC_REQ.  Strings are NUL-terminated ("" when absent); csr and pem
 * point into the message (pem is not NUL-terminated). */
typedef struct te_ipc_certsvc_req {
	uint32_t uid; /* the caller, from SO_PEERCRED */
	uint8_t op;   /* te_ipc_certsvc_op */
	char cert_id[TE_IPC_CERTSVC_ID_MAX + 1];
	char issuer_cert_id[TE_IPC_CERTSVC_ID_MAX + 1];
	char issuer_handle[TE_IPC_CERTSVC_HANDLE_MAX + 1];
	const uint8_t *csr;
	size_t csr_len;
	const char *pem;
	size_t pem_len;
} te_ipc_certsvc_req;

/* CERTSVC_REPLY.  payload points into the message, not NUL-terminated. */
typedef struct te_ipc_certsvc_reply {
	uint16_t status; /* HTTP status */
	uint8_t kind;    /* te_ipc_certsvc_kind */
	const uint8_t *payload;
	size_t payload_len;
} te_ipc_certsvc_reply;

/*
 * The identity service (IDSVC_REQ -> IDSVC_REPLY, keys_idsvc.h): the API
 * process, having decided which identity a caller receives (svc_identity.h),
 * asks for that identity's key handle, bound to the caller's uid.
 *
 * IDSVC_REQ wire: u32 uid | module | genid, the strings u16-length-
 * prefixed and without NUL.  Both empty: the device identity (a handle to
 * the device key).  Both non-empty (module 1..TE_IPC_MODULE_MAX, genid
 * 1..TE_IPC_GENID_MAX): module `module`, generation `genid` (a derived
 * handle to its primary key, keys.c's module key derivation).  One empty
 * and not the other is malformed.
 *
 * IDSVC_REPLY wire: handle (u16-prefixed), 1..TE_IPC_KEYSVC_HANDLE_MAX
 * base64url characters.  Refusals are ERROR_REPLY.  The handle is a
 * credential of the caller: the message is secret (wipe it).
 */
typedef struct te_ipc_idsvc_req {
	uint32_t uid;                       /* the caller, from SO_PEERCRED */
	char module[TE_IPC_MODULE_MAX + 1]; /* "": the device identity */
	char genid[TE_IPC_GENID_MAX + 1];   /* "" exactly when module is "" */
} te_ipc_idsvc_req;

/* IDSVC_REPLY.  handle points into the message, not NUL-terminated. */
typedef struct te_ipc_idsvc_reply {
	const char *handle;
	size_t handle_len;
} te_ipc_idsvc_reply;

/* Name of a message type ("SIGN_DERIVED_REQ"), "unknown" otherwise. */
const char *te_ipc_type_name(uint16_t type);
/* 1 when messages of this type carry secrets and must be wiped. */
int te_ipc_type_is_secret(uint16_t type);

/*
 * Sends one message.  Refuses (TE_ERR_INVALID_ARG) a type or body length
 * the peer would reject.  Retries on EINTR; EAGAIN -> TE_ERR_BUSY; the
 * peer gone (EPIPE, ECONNRESET) -> TE_ERR_IO, without SIGPIPE.
 */
te_err te_ipc_send(int fd, uint16_t type, uint32_t id, const void *body, size_t len) TE_MUST_CHECK;
/* Sends msg->type, msg->id and body[0..len). */
te_err te_ipc_send_msg(int fd, const te_ipc_msg *msg) TE_MUST_CHECK TE_NONNULL(2);

/*
 * Receives one message into msg, after checking the version, that the
 * header's length is the datagram's body length exactly, that the type
 * is known and the length is within its bounds.  Peer closed (or an empty
 * datagram) -> TE_ERR_IO; EAGAIN -> TE_ERR_BUSY; a bad message ->
 * TE_ERR_MALFORMED, and the caller must close the channel.  On any
 * failure msg is wiped.  On success the caller wipes msg when the type is
 * secret (see above).
 */
te_err te_ipc_recv(int fd, te_ipc_msg *msg) TE_MUST_CHECK TE_NONNULL(2);

/* Wipes the whole message (header fields and all of body). */
void te_ipc_msg_wipe(te_ipc_msg *msg) TE_NONNULL(1);

/*
 * Encoders fill msg->type, msg->len and msg->body (msg->id is left to the
 * caller) and refuse (TE_ERR_INVALID_ARG) any field a decoder would
 * refuse.  Decoders check msg->type and decode only through te_cursor;
 * out is written only on success.
 */
te_err te_ipc_sign_derived_req_encode(const te_ipc_sign_derived_req *req,
                                      te_ipc_msg *msg) TE_MUST_CHECK TE_NONNULL(1, 2);
te_err te_ipc_sign_derived_req_decode(const te_ipc_msg *msg,
                                      te_ipc_sign_derived_req *out) TE_MUST_CHECK TE_NONNULL(1, 2);

te_err te_ipc_sign_reply_encode(const te_ipc_sign_reply *rep, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_sign_reply_decode(const te_ipc_msg *msg, te_ipc_sign_reply *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

te_err te_ipc_encrypt_req_encode(const te_ipc_crypt_req *req, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_encrypt_req_decode(const te_ipc_msg *msg, te_ipc_crypt_req *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_decrypt_req_encode(const te_ipc_crypt_req *req, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_decrypt_req_decode(const te_ipc_msg *msg, te_ipc_crypt_req *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

te_err te_ipc_crypt_reply_encode(const te_ipc_crypt_reply *rep, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_crypt_reply_decode(const te_ipc_msg *msg, te_ipc_crypt_reply *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

te_err te_ipc_error_reply_encode(const te_ipc_error_reply *rep, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_error_reply_decode(const te_ipc_msg *msg, te_ipc_error_reply *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

te_err te_ipc_cert_server_req_encode(const te_ipc_cert_req *req, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_cert_server_req_decode(const te_ipc_msg *msg, te_ipc_cert_req *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_cert_identity_req_encode(const te_ipc_cert_req *req, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_cert_identity_req_decode(const te_ipc_msg *msg, te_ipc_cert_req *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

te_err te_ipc_cert_reply_encode(const te_ipc_cert_reply *rep, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_cert_reply_decode(const te_ipc_msg *msg, te_ipc_cert_reply *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

/* The empty requests: the decoders only check the type and that the body
 * is empty. */
te_err te_ipc_trust_bundle_req_encode(te_ipc_msg *msg) TE_MUST_CHECK TE_NONNULL(1);
te_err te_ipc_trust_bundle_req_decode(const te_ipc_msg *msg) TE_MUST_CHECK TE_NONNULL(1);
te_err te_ipc_manifest_trust_bundle_req_encode(te_ipc_msg *msg) TE_MUST_CHECK TE_NONNULL(1);
te_err te_ipc_manifest_trust_bundle_req_decode(const te_ipc_msg *msg) TE_MUST_CHECK TE_NONNULL(1);

te_err te_ipc_bundle_reply_encode(const te_ipc_bundle_reply *rep, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_bundle_reply_decode(const te_ipc_msg *msg, te_ipc_bundle_reply *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

te_err te_ipc_keysvc_req_encode(const te_ipc_keysvc_req *req, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_keysvc_req_decode(const te_ipc_msg *msg, te_ipc_keysvc_req *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_keysvc_reply_encode(const te_ipc_keysvc_reply *rep, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_keysvc_reply_decode(const te_ipc_msg *msg, te_ipc_keysvc_reply *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

te_err te_ipc_certsvc_req_encode(const te_ipc_certsvc_req *req, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_certsvc_req_decode(const te_ipc_msg *msg, te_ipc_certsvc_req *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_certsvc_reply_encode(const te_ipc_certsvc_reply *rep, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_certsvc_reply_decode(const te_ipc_msg *msg, te_ipc_certsvc_reply *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

te_err te_ipc_idsvc_req_encode(const te_ipc_idsvc_req *req, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_idsvc_req_decode(const te_ipc_msg *msg, te_ipc_idsvc_req *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_idsvc_reply_encode(const te_ipc_idsvc_reply *rep, te_ipc_msg *msg) TE_MUST_CHECK
    TE_NONNULL(1, 2);
te_err te_ipc_idsvc_reply_decode(const te_ipc_msg *msg, te_ipc_idsvc_reply *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

#endif
