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
 * Secrets: ENCRYPT_REQ (plaintext), CRYPT_REPLY (plaintext of a decrypt)
 * and SIGN_REPLY (the digest is a bearer SAS signature) carry secrets.
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

#endif
