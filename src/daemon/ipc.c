/*
 * ipc.c - owns the wire format of trustedged's internal channel (see
 * ipc.h): framing over SOCK_SEQPACKET, the table of message types with
 * their body bounds, and the encoders and decoders of each body.
 *
 * The keys process trusts nothing the API process sends, so every check
 * here fails closed: a datagram cut by the kernel, a header length that
 * is not the datagram's, an unknown type, a body outside its type's
 * bounds, a field longer than its limit, a NUL inside a string or a byte
 * left over after the last field is TE_ERR_MALFORMED.  Bodies are read
 * only through te_cursor.
 */
#include "daemon/ipc.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "common/te_cursor.h"
#include "daemon/keyhandle.h"
#include "trustedge/te_hsm.h"
#include "trustedge/te_mem.h"

/* A u16 length prefix. */
#define TE_IPC_LEN_SZ     2
#define TE_IPC_STR_MIN_SZ (TE_IPC_LEN_SZ + 1)
/* u8 has_expiration, i64 expiration */
#define TE_IPC_EXP_SZ (1 + 8)

/* KEYSVC_REQ: u32 uid, u8 op, u8 alg, u32 usage, u8 param, u16
 * length_bytes, and 8 length-prefixed fields. */
#define TE_IPC_KEYSVC_REQ_FIXED  (4 + 1 + 1 + 4 + 1 + 2)
#define TE_IPC_KEYSVC_REQ_FIELDS 8
#define TE_IPC_KEYSVC_REQ_MIN    (TE_IPC_KEYSVC_REQ_FIXED + TE_IPC_KEYSVC_REQ_FIELDS * TE_IPC_LEN_SZ)
#define TE_IPC_KEYSVC_REQ_MAX                                                                      \
	(TE_IPC_KEYSVC_REQ_MIN + 2 * TE_IPC_KEYSVC_ID_MAX + TE_IPC_KEYSVC_HANDLE_MAX +             \
	 TE_IPC_KEYSVC_PREFS_MAX + TE_IPC_KEYSVC_KEY_BYTES_MAX + TE_IPC_KEYSVC_CIPHERTEXT_MAX +    \
	 TE_IPC_KEYSVC_IV_MAX + TE_IPC_KEYSVC_AAD_MAX)
/* KEYSVC_REPLY: u16 status, u8 kind, then the payload. */
#define TE_IPC_KEYSVC_REPLY_FIXED (2 + 1)
/* CERTSVC_REQ: u32 uid, u8 op, and 5 length-prefixed fields. */
#define TE_IPC_CERTSVC_REQ_MIN (4 + 1 + 5 * TE_IPC_LEN_SZ)
#define TE_IPC_CERTSVC_REQ_MAX                                                                     \
	(TE_IPC_CERTSVC_REQ_MIN + 2 * TE_IPC_CERTSVC_ID_MAX + TE_IPC_CERTSVC_HANDLE_MAX +          \
	 TE_IPC_CERTSVC_CSR_MAX + TE_IPC_CERTSVC_PEM_MAX)
/* CERTSVC_REPLY: u16 status, u8 kind, then the payload. */
#define TE_IPC_CERTSVC_REPLY_FIXED (2 + 1)

struct te_ipc_type_info {
	const char *name;
	uint32_t min; /* body length bounds; fields check exactly later */
	uint32_t max;
	int secret;
};

static const struct te_ipc_type_info te_ipc_types[] = {
    [TE_IPC_PING] = {"PING", 0, 0, 0},
    [TE_IPC_PONG] = {"PONG", 0, 0, 0},
    [TE_IPC_READY] = {"READY", 0, 0, 0},
    /* module, genid, key_id (non-empty strings), data */
    [TE_IPC_SIGN_DERIVED_REQ] = {"SIGN_DERIVED_REQ", 3 * TE_IPC_STR_MIN_SZ + TE_IPC_LEN_SZ,
                                 4 * TE_IPC_LEN_SZ + TE_IPC_MODULE_MAX + TE_IPC_GENID_MAX +
                                     TE_IPC_KEY_ID_MAX + TE_IPC_SIGN_DATA_MAX,
                                 0},
    /* The digest is the signature of a SAS token: a bearer credential. */
    [TE_IPC_SIGN_REPLY] = {"SIGN_REPLY", TE_IPC_LEN_SZ + 1, TE_IPC_LEN_SZ + TE_IPC_DIGEST_MAX, 1},
    /* module, genid, iv (non-empty), plaintext */
    [TE_IPC_ENCRYPT_REQ] = {"ENCRYPT_REQ", 3 * TE_IPC_STR_MIN_SZ + TE_IPC_LEN_SZ,
                            4 * TE_IPC_LEN_SZ + TE_IPC_MODULE_MAX + TE_IPC_GENID_MAX +
                                TE_IPC_IV_MAX + TE_IPC_CRYPT_DATA_MAX,
                            1},
    /* module, genid, iv, ciphertext (all non-empty) */
    [TE_IPC_DECRYPT_REQ] = {"DECRYPT_REQ", 4 * TE_IPC_STR_MIN_SZ,
                            4 * TE_IPC_LEN_SZ + TE_IPC_MODULE_MAX + TE_IPC_GENID_MAX +
                                TE_IPC_IV_MAX + TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX,
                            0},
    /* Holds the plaintext when it answers a decrypt. */
    [TE_IPC_CRYPT_REPLY] = {"CRYPT_REPLY", TE_IPC_LEN_SZ,
                            TE_IPC_LEN_SZ + TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX, 1},
    /* u32 code, message */
    [TE_IPC_ERROR_REPLY] = {"ERROR_REPLY", 4 + TE_IPC_LEN_SZ,
                            4 + TE_IPC_LEN_SZ + TE_IPC_ERROR_MSG_MAX, 0},
    /* module, genid, common_name (non-empty strings), expiration */
    [TE_IPC_CERT_SERVER_REQ] = {"CERT_SERVER_REQ", 3 * TE_IPC_STR_MIN_SZ + TE_IPC_EXP_SZ,
                                3 * TE_IPC_LEN_SZ + TE_IPC_MODULE_MAX + TE_IPC_GENID_MAX +
                                    TE_IPC_CN_MAX + TE_IPC_EXP_SZ,
                                0},
    /* module, expiration */
    [TE_IPC_CERT_IDENTITY_REQ] = {"CERT_IDENTITY_REQ", TE_IPC_STR_MIN_SZ + TE_IPC_EXP_SZ,
                                  TE_IPC_LEN_SZ + TE_IPC_MODULE_MAX + TE_IPC_EXP_SZ, 0},
    /* cert_pem, key_pem (non-empty), i64 expiration.  The key is the
     * module's new private key. */
    [TE_IPC_CERT_REPLY] = {"CERT_REPLY", 2 * TE_IPC_STR_MIN_SZ + 8,
                           2 * TE_IPC_LEN_SZ + TE_IPC_CERT_PEM_MAX + TE_IPC_KEY_PEM_MAX + 8, 1},
    [TE_IPC_TRUST_BUNDLE_REQ] = {"TRUST_BUNDLE_REQ", 0, 0, 0},
    [TE_IPC_MANIFEST_TRUST_BUNDLE_REQ] = {"MANIFEST_TRUST_BUNDLE_REQ", 0, 0, 0},
    /* pem (may be empty) */
    [TE_IPC_BUNDLE_REPLY] = {"BUNDLE_REPLY", TE_IPC_LEN_SZ, TE_IPC_LEN_SZ + TE_IPC_BUNDLE_PEM_MAX,
                             0},
    /* Carries a plaintext to encrypt or key bytes to import. */
    [TE_IPC_KEYSVC_REQ] = {"KEYSVC_REQ", TE_IPC_KEYSVC_REQ_MIN, TE_IPC_KEYSVC_REQ_MAX, 1},
    /* Carries a plaintext, a signature or an exported key. */
    [TE_IPC_KEYSVC_REPLY] = {"KEYSVC_REPLY", TE_IPC_KEYSVC_REPLY_FIXED + TE_IPC_LEN_SZ,
                             TE_IPC_KEYSVC_REPLY_FIXED + TE_IPC_LEN_SZ +
                                 TE_IPC_KEYSVC_CIPHERTEXT_MAX,
                             1},
    /* Carries a key handle (issuer.privateKeyHandle). */
    [TE_IPC_CERTSVC_REQ] = {"CERTSVC_REQ", TE_IPC_CERTSVC_REQ_MIN, TE_IPC_CERTSVC_REQ_MAX, 1},
    [TE_IPC_CERTSVC_REPLY] = {"CERTSVC_REPLY", TE_IPC_CERTSVC_REPLY_FIXED + TE_IPC_LEN_SZ,
                              TE_IPC_CERTSVC_REPLY_FIXED + TE_IPC_LEN_SZ + TE_IPC_CERTSVC_PEM_MAX,
                              0},
    /* u32 uid, module, genid (both empty: the device) */
    [TE_IPC_IDSVC_REQ] = {"IDSVC_REQ", 4 + 2 * TE_IPC_LEN_SZ,
                          4 + 2 * TE_IPC_LEN_SZ + TE_IPC_MODULE_MAX + TE_IPC_GENID_MAX, 0},
    /* handle: a credential of the caller it was made for. */
    [TE_IPC_IDSVC_REPLY] = {"IDSVC_REPLY", TE_IPC_LEN_SZ + 1,
                            TE_IPC_LEN_SZ + TE_IPC_KEYSVC_HANDLE_MAX, 1},
};

#define TE_IPC_NTYPES (sizeof(te_ipc_types) / sizeof(te_ipc_types[0]))

_Static_assert(TE_IPC_HDR_LEN == 2 + 2 + 4 + 4, "header layout");
_Static_assert(4 * TE_IPC_LEN_SZ + TE_IPC_MODULE_MAX + TE_IPC_GENID_MAX + TE_IPC_IV_MAX +
                       TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX <=
                   TE_IPC_BODY_MAX,
               "largest body fits");
_Static_assert(TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX <= UINT16_MAX,
               "u16 length prefix");
_Static_assert(2 * TE_IPC_LEN_SZ + TE_IPC_CERT_PEM_MAX + TE_IPC_KEY_PEM_MAX + 8 <= TE_IPC_BODY_MAX,
               "a CERT_REPLY fits");
_Static_assert(TE_IPC_LEN_SZ + TE_IPC_BUNDLE_PEM_MAX <= TE_IPC_BODY_MAX, "a BUNDLE_REPLY fits");
_Static_assert(TE_IPC_KEYSVC_REQ_MAX <= TE_IPC_BODY_MAX, "a KEYSVC_REQ fits");
_Static_assert(TE_IPC_KEYSVC_CIPHERTEXT_MAX <= UINT16_MAX, "u16 length prefix");
_Static_assert(TE_IPC_CERTSVC_REQ_MAX <= TE_IPC_BODY_MAX, "a CERTSVC_REQ fits");
_Static_assert(TE_IPC_CERTSVC_PEM_MAX <= UINT16_MAX && TE_IPC_CERTSVC_CSR_MAX <= UINT16_MAX,
               "u16 length prefix");
_Static_assert(TE_IPC_CERT_PEM_MAX <= UINT16_MAX && TE_IPC_KEY_PEM_MAX <= UINT16_MAX &&
                   TE_IPC_BUNDLE_PEM_MAX <= UINT16_MAX,
               "u16 length prefix");

/* Table entry of a known type, NULL otherwise. */
static const struct te_ipc_type_info *te_ipc_type_find(uint16_t type)
{
	if (type >= TE_IPC_NTYPES || te_ipc_types[type].name == NULL)
		return NULL;
	return &te_ipc_types[type];
}

const char *te_ipc_type_name(uint16_t type)
{
	const struct te_ipc_type_info *t = te_ipc_type_find(type);

	return t != NULL ? t->name : "unknown";
}

int te_ipc_type_is_secret(uint16_t type)
{
	const struct te_ipc_type_info *t = te_ipc_type_find(type);

	return t != NULL && t->secret;
}

/*
 * Invariant: body bytes at and beyond msg->len are zero.  te_ipc_recv and
 * the encoders clear what an earlier, longer message left past the new
 * length, so wiping body[0..len) wipes everything: a 64 KiB memset per
 * message would cost more than the request it carries.
 */
void te_ipc_msg_wipe(te_ipc_msg *msg)
{
	size_t n = msg->len < sizeof(msg->body) ? msg->len : sizeof(msg->body);

	te_memzero(msg->body, n);
	/* The header fields and the padding between them. */
	te_memzero(msg, offsetof(te_ipc_msg, body));
}

/* Zeroes body[new_len..old_len): what a longer earlier message left. */
static void te_ipc_clear_tail(te_ipc_msg *msg, size_t old_len, size_t new_len)
{
	if (old_len > sizeof(msg->body))
		old_len = sizeof(msg->body);
	if (old_len > new_len)
		te_memzero(msg->body + new_len, old_len - new_len);
}

/* ---- framing ---- */

static void te_ipc_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void te_ipc_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

te_err te_ipc_send(int fd, uint16_t type, uint32_t id, const void *body, size_t len)
{
	te_err rc = TE_OK;
	const struct te_ipc_type_info *t = te_ipc_type_find(type);
	uint8_t hdr[TE_IPC_HDR_LEN];
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n;

	/* Refuse here what the peer would refuse: it would close the channel. */
	TE_ENSURE(t != NULL, TE_ERR_INVALID_ARG, "ipc send: unknown message type %u",
	          (unsigned)type);
	TE_ENSURE(len >= t->min && len <= t->max, TE_ERR_INVALID_ARG,
	          "ipc send: %s body of %zu bytes outside %u..%u", t->name, len, (unsigned)t->min,
	          (unsigned)t->max);
	TE_ENSURE(body != NULL || len == 0, TE_ERR_INVALID_ARG, "ipc send: %s body is NULL",
	          t->name);

	te_ipc_put_u16(hdr, TE_IPC_VERSION);
	te_ipc_put_u16(hdr + 2, type);
	te_ipc_put_u32(hdr + 4, id);
	te_ipc_put_u32(hdr + 8, (uint32_t)len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)body; /* sendmsg does not write */
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;

	/* MSG_NOSIGNAL: a dead peer is an error to report, not a SIGPIPE. */
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;

		TE_ENSURE(e != EAGAIN && e != EWOULDBLOCK, TE_ERR_BUSY,
		          "ipc send %s: channel is full", t->name);
		TE_ENSURE(e != EPIPE && e != ECONNRESET && e != ENOTCONN, TE_ERR_IO,
		          "ipc send %s: peer closed", t->name);
		TE_ENSURE(0, TE_ERR_IO, "ipc send %s: %s", t->name, strerror(e));
	}
	/* SOCK_SEQPACKET sends a datagram whole or not at all. */
	TE_ENSURE((size_t)n == sizeof(hdr) + len, TE_ERR_IO,
	          "ipc send %s: short send of %zd of %zu bytes", t->name, n, sizeof(hdr) + len);
out:
	return rc;
}

te_err te_ipc_send_msg(int fd, const te_ipc_msg *msg)
{
	return te_ipc_send(fd, msg->type, msg->id, msg->body, msg->len);
}

te_err te_ipc_recv(int fd, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	uint8_t hdr[TE_IPC_HDR_LEN];
	struct iovec iov[2];
	struct msghdr mh;
	const struct te_ipc_type_info *t;
	te_cursor c;
	uint16_t version = 0, type = 0;
	uint32_t id = 0, len = 0;
	size_t body_len;
	size_t prev_len = msg->len;
	ssize_t n = 0;

	/* The body lands in msg->body directly: no copy of a secret elsewhere. */
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = msg->body;
	iov[1].iov_len = sizeof(msg->body);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;

	/* MSG_TRUNC makes recvmsg return the datagram's real length, so an
	 * oversize one is seen as such rather than silently cut.  No control
	 * buffer is given: fds a peer might pass are not installed, and
	 * MSG_CMSG_CLOEXEC covers them should one ever be given. */
	do
		n = recvmsg(fd, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;

		TE_ENSURE(e != EAGAIN && e != EWOULDBLOCK, TE_ERR_BUSY, "ipc recv: no message");
		TE_ENSURE(e != ECONNRESET, TE_ERR_IO, "ipc recv: peer closed the channel");
		TE_ENSURE(0, TE_ERR_IO, "ipc recv: %s", strerror(e));
	}
	/* An empty datagram is no valid frame either; both end the channel. */
	TE_ENSURE(n != 0, TE_ERR_IO, "ipc recv: peer closed the channel");
	TE_ENSURE(!(mh.msg_flags & MSG_TRUNC) && (size_t)n <= TE_IPC_MSG_MAX, TE_ERR_MALFORMED,
	          "ipc recv: datagram of %zd bytes exceeds the maximum of %d", n, TE_IPC_MSG_MAX);
	TE_ENSURE(!(mh.msg_flags & MSG_CTRUNC), TE_ERR_MALFORMED,
	          "ipc recv: unexpected ancillary data");
	TE_ENSURE((size_t)n >= TE_IPC_HDR_LEN, TE_ERR_MALFORMED,
	          "ipc recv: truncated header (%zd of %d bytes)", n, TE_IPC_HDR_LEN);

	te_cursor_init(&c, hdr, sizeof(hdr));
	TE_GUARD(te_cursor_u16be(&c, &version));
	TE_GUARD(te_cursor_u16be(&c, &type));
	TE_GUARD(te_cursor_u32be(&c, &id));
	TE_GUARD(te_cursor_u32be(&c, &len));
	TE_GUARD(te_cursor_expect_end(&c));
	body_len = (size_t)n - TE_IPC_HDR_LEN;

	TE_ENSURE(version == TE_IPC_VERSION, TE_ERR_MALFORMED,
	          "ipc recv: protocol version %u, expected %d", (unsigned)version, TE_IPC_VERSION);
	TE_ENSURE(len == body_len, TE_ERR_MALFORMED,
	          "ipc recv: header says %u body bytes, datagram has %zu", (unsigned)len, body_len);
	t = te_ipc_type_find(type);
	TE_ENSURE(t != NULL, TE_ERR_MALFORMED, "ipc recv: unknown message type %u", (unsigned)type);
	TE_ENSURE(len >= t->min && len <= t->max, TE_ERR_MALFORMED,
	          "ipc recv: %s body of %u bytes outside %u..%u", t->name, (unsigned)len,
	          (unsigned)t->min, (unsigned)t->max);

	te_ipc_clear_tail(msg, prev_len, len);
	msg->type = type;
	msg->id = id;
	msg->len = len;
out:
	if (rc != TE_OK) {
		/* The datagram landed in body whatever its length. */
		te_ipc_clear_tail(msg, n > TE_IPC_HDR_LEN ? (size_t)n - TE_IPC_HDR_LEN : 0, 0);
		te_ipc_msg_wipe(msg);
		te_ipc_clear_tail(msg, prev_len, 0);
	}
	return rc;
}

/* ---- body encoding ---- */

/* Appends to msg->body; the encoders check every field against its limit
 * first and the static asserts keep the largest body within the buffer,
 * so running out of room is a bug. */
struct te_ipc_writer {
	te_ipc_msg *msg;
	size_t off;
	size_t prev_len; /* msg->len before: the tail to clear */
};

static te_err te_ipc_put_bytes(struct te_ipc_writer *w, const void *p, size_t n)
{
	if (n > sizeof(w->msg->body) - w->off)
		return te_err_set(TE_ERR_INTERNAL, "ipc encode: body overflow");
	if (n > 0)
		memcpy(w->msg->body + w->off, p, n);
	w->off += n;
	return TE_OK;
}

static te_err te_ipc_put_field(struct te_ipc_writer *w, const void *p, size_t n)
{
	te_err rc = TE_OK;
	uint8_t len[TE_IPC_LEN_SZ];

	TE_ENSURE(n <= UINT16_MAX, TE_ERR_INTERNAL, "ipc encode: field of %zu bytes", n);
	te_ipc_put_u16(len, (uint16_t)n);
	TE_GUARD(te_ipc_put_bytes(w, len, sizeof(len)));
	TE_GUARD(te_ipc_put_bytes(w, p, n));
out:
	return rc;
}

/* A NUL-terminated string field of min..max characters. */
static te_err te_ipc_put_str(struct te_ipc_writer *w, const char *what, const char *s, size_t min,
                             size_t max)
{
	te_err rc = TE_OK;
	size_t n = strnlen(s, max + 1);

	TE_ENSURE(n >= min && n <= max, TE_ERR_INVALID_ARG,
	          "ipc encode: %s of %zu characters outside %zu..%zu", what, n, min, max);
	TE_GUARD(te_ipc_put_field(w, s, n));
out:
	return rc;
}

static te_err te_ipc_put_data(struct te_ipc_writer *w, const char *what, const uint8_t *p, size_t n,
                              size_t min, size_t max)
{
	te_err rc = TE_OK;

	TE_ENSURE(p != NULL || n == 0, TE_ERR_INVALID_ARG, "ipc encode: %s is NULL", what);
	TE_ENSURE(n >= min && n <= max, TE_ERR_INVALID_ARG,
	          "ipc encode: %s of %zu bytes outside %zu..%zu", what, n, min, max);
	TE_GUARD(te_ipc_put_field(w, p, n));
out:
	return rc;
}

/* A text field: bytes without NUL, not NUL-terminated. */
static te_err te_ipc_put_text(struct te_ipc_writer *w, const char *what, const char *p, size_t n,
                              size_t min, size_t max)
{
	te_err rc = TE_OK;

	TE_ENSURE(p != NULL || n == 0, TE_ERR_INVALID_ARG, "ipc encode: %s is NULL", what);
	TE_ENSURE(n == 0 || memchr(p, '\0', n) == NULL, TE_ERR_INVALID_ARG,
	          "ipc encode: %s contains a NUL byte", what);
	TE_GUARD(te_ipc_put_data(w, what, (const uint8_t *)p, n, min, max));
out:
	return rc;
}

static te_err te_ipc_put_i64(struct te_ipc_writer *w, int64_t v)
{
	uint8_t b[8];
	uint64_t u = (uint64_t)v; /* two's complement, as on the wire */

	te_ipc_put_u32(b, (uint32_t)(u >> 32));
	te_ipc_put_u32(b + 4, (uint32_t)u);
	return te_ipc_put_bytes(w, b, sizeof(b));
}

/* u8 has_expiration (0 or 1), i64 expiration (0 when there is none). */
static te_err te_ipc_put_expiration(struct te_ipc_writer *w, int has, int64_t expiration)
{
	te_err rc = TE_OK;
	uint8_t flag = (uint8_t)has;

	TE_ENSURE(has == 0 || has == 1, TE_ERR_INVALID_ARG,
	          "ipc encode: has_expiration is %d, not 0 or 1", has);
	TE_ENSURE(has || expiration == 0, TE_ERR_INVALID_ARG,
	          "ipc encode: expiration without has_expiration");
	TE_GUARD(te_ipc_put_bytes(w, &flag, 1));
	TE_GUARD(te_ipc_put_i64(w, expiration));
out:
	return rc;
}

static void te_ipc_writer_init(struct te_ipc_writer *w, te_ipc_msg *msg)
{
	w->msg = msg;
	w->off = 0;
	w->prev_len = msg->len;
}

/* Sets the header fields once the body is complete; after a failure
 * wipes what was written (it may be plaintext) and leaves the header. */
static te_err te_ipc_writer_end(struct te_ipc_writer *w, uint16_t type, te_err rc)
{
	if (rc != TE_OK) {
		te_memzero(w->msg->body, w->off);
		te_ipc_clear_tail(w->msg, w->prev_len, 0);
		w->msg->len = 0;
		return rc;
	}
	te_ipc_clear_tail(w->msg, w->prev_len, w->off);
	w->msg->type = type;
	w->msg->len = (uint32_t)w->off;
	return TE_OK;
}

/* ---- body decoding ---- */

/* A string field of min..max bytes without NUL, copied NUL-terminated
 * into out (max + 1 bytes). */
static te_err te_ipc_get_str(te_cursor *c, const char *what, char *out, size_t min, size_t max)
{
	te_err rc = TE_OK;
	uint16_t n = 0;
	const uint8_t *p = NULL;

	TE_GUARD(te_cursor_u16be(c, &n));
	TE_ENSURE(n >= min && n <= max, TE_ERR_MALFORMED, "%s of %u bytes outside %zu..%zu", what,
	          (unsigned)n, min, max);
	TE_GUARD(te_cursor_view(c, n, &p));
	TE_ENSURE(memchr(p, '\0', n) == NULL, TE_ERR_MALFORMED, "%s contains a NUL byte", what);
	memcpy(out, p, n);
	out[n] = '\0';
out:
	return rc;
}

/* A byte field of min..max bytes; *out points into the cursor's buffer. */
static te_err te_ipc_get_data(te_cursor *c, const char *what, const uint8_t **out, size_t *out_len,
                              size_t min, size_t max)
{
	te_err rc = TE_OK;
	uint16_t n = 0;
	const uint8_t *p = NULL;

	TE_GUARD(te_cursor_u16be(c, &n));
	TE_ENSURE(n >= min && n <= max, TE_ERR_MALFORMED, "%s of %u bytes outside %zu..%zu", what,
	          (unsigned)n, min, max);
	TE_GUARD(te_cursor_view(c, n, &p));
	*out = p;
	*out_len = n;
out:
	return rc;
}

/* A text field of min..max bytes without NUL; *out points into the
 * cursor's buffer and is not NUL-terminated. */
static te_err te_ipc_get_text(te_cursor *c, const char *what, const char **out, size_t *out_len,
                              size_t min, size_t max)
{
	te_err rc = TE_OK;
	const uint8_t *p = NULL;
	size_t n = 0;

	TE_GUARD(te_ipc_get_data(c, what, &p, &n, min, max));
	TE_ENSURE(memchr(p, '\0', n) == NULL, TE_ERR_MALFORMED, "%s contains a NUL byte", what);
	*out = (const char *)p;
	*out_len = n;
out:
	return rc;
}

static te_err te_ipc_get_i64(te_cursor *c, int64_t *out)
{
	te_err rc = TE_OK;
	uint64_t u = 0;

	TE_GUARD(te_cursor_u64be(c, &u));
	/* Two's complement without an implementation-defined conversion. */
	*out = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
out:
	return rc;
}

static te_err te_ipc_get_expiration(te_cursor *c, int *has, int64_t *expiration)
{
	te_err rc = TE_OK;
	uint8_t flag = 0;
	int64_t v = 0;

	TE_GUARD(te_cursor_u8(c, &flag));
	TE_ENSURE(flag <= 1, TE_ERR_MALFORMED, "has_expiration is %u, not 0 or 1", (unsigned)flag);
	TE_GUARD(te_ipc_get_i64(c, &v));
	TE_ENSURE(flag || v == 0, TE_ERR_MALFORMED, "expiration %lld without has_expiration",
	          (long long)v);
	*has = flag;
	*expiration = v;
out:
	return rc;
}

/* Checks the type and the type's bounds (a message built by hand may not
 * have passed te_ipc_recv) and starts a cursor on the body. */
static te_err te_ipc_body_open(const te_ipc_msg *msg, uint16_t type, te_cursor *c)
{
	te_err rc = TE_OK;
	const struct te_ipc_type_info *t = te_ipc_type_find(type);

	TE_ENSURE(t != NULL, TE_ERR_INTERNAL, "no decoder for type %u", (unsigned)type);
	TE_ENSURE(msg->type == type, TE_ERR_MALFORMED, "expected a %s message, got %s (%u)",
	          t->name, te_ipc_type_name(msg->type), (unsigned)msg->type);
	TE_ENSURE(msg->len >= t->min && msg->len <= t->max, TE_ERR_MALFORMED,
	          "%s body of %u bytes outside %u..%u", t->name, (unsigned)msg->len,
	          (unsigned)t->min, (unsigned)t->max);
	te_cursor_init(c, msg->body, msg->len);
out:
	return rc;
}

/* Every decoding failure, truncation included, is a protocol error. */
static te_err te_ipc_decode_fail(te_err rc, uint16_t type)
{
	if (rc == TE_OK)
		return TE_OK;
	return te_err_set(TE_ERR_MALFORMED, "ipc decode %s: %s", te_ipc_type_name(type),
	                  te_err_detail());
}

/* ---- SIGN_DERIVED_REQ: module, genid, key_id, data ---- */

te_err te_ipc_sign_derived_req_encode(const te_ipc_sign_derived_req *req, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(te_ipc_put_str(&w, "module", req->module, 1, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_put_str(&w, "genid", req->genid, 1, TE_IPC_GENID_MAX));
	TE_GUARD(te_ipc_put_str(&w, "key_id", req->key_id, 1, TE_IPC_KEY_ID_MAX));
	TE_GUARD(te_ipc_put_data(&w, "data", req->data, req->data_len, 0, TE_IPC_SIGN_DATA_MAX));
out:
	return te_ipc_writer_end(&w, TE_IPC_SIGN_DERIVED_REQ, rc);
}

te_err te_ipc_sign_derived_req_decode(const te_ipc_msg *msg, te_ipc_sign_derived_req *out)
{
	te_err rc = TE_OK;
	te_ipc_sign_derived_req r;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, TE_IPC_SIGN_DERIVED_REQ, &c));
	TE_GUARD(te_ipc_get_str(&c, "module", r.module, 1, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_get_str(&c, "genid", r.genid, 1, TE_IPC_GENID_MAX));
	TE_GUARD(te_ipc_get_str(&c, "key_id", r.key_id, 1, TE_IPC_KEY_ID_MAX));
	TE_GUARD(te_ipc_get_data(&c, "data", &r.data, &r.data_len, 0, TE_IPC_SIGN_DATA_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_SIGN_DERIVED_REQ);
}

/* ---- SIGN_REPLY: digest ---- */

te_err te_ipc_sign_reply_encode(const te_ipc_sign_reply *rep, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(te_ipc_put_data(&w, "digest", rep->digest, rep->digest_len, 1, TE_IPC_DIGEST_MAX));
out:
	return te_ipc_writer_end(&w, TE_IPC_SIGN_REPLY, rc);
}

te_err te_ipc_sign_reply_decode(const te_ipc_msg *msg, te_ipc_sign_reply *out)
{
	te_err rc = TE_OK;
	te_ipc_sign_reply r = {NULL, 0};
	te_cursor c;

	TE_GUARD(te_ipc_body_open(msg, TE_IPC_SIGN_REPLY, &c));
	TE_GUARD(te_ipc_get_data(&c, "digest", &r.digest, &r.digest_len, 1, TE_IPC_DIGEST_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_SIGN_REPLY);
}

/* ---- ENCRYPT_REQ / DECRYPT_REQ: module, genid, iv, data ---- */

/* Plaintext may be empty; a ciphertext always has its format byte. */
static te_err te_ipc_crypt_req_encode(uint16_t type, size_t data_min, size_t data_max,
                                      const te_ipc_crypt_req *req, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(te_ipc_put_str(&w, "module", req->module, 1, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_put_str(&w, "genid", req->genid, 1, TE_IPC_GENID_MAX));
	TE_GUARD(te_ipc_put_data(&w, "iv", req->iv, req->iv_len, 1, TE_IPC_IV_MAX));
	TE_GUARD(te_ipc_put_data(&w, "data", req->data, req->data_len, data_min, data_max));
out:
	return te_ipc_writer_end(&w, type, rc);
}

static te_err te_ipc_crypt_req_decode(uint16_t type, size_t data_min, size_t data_max,
                                      const te_ipc_msg *msg, te_ipc_crypt_req *out)
{
	te_err rc = TE_OK;
	te_ipc_crypt_req r;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, type, &c));
	TE_GUARD(te_ipc_get_str(&c, "module", r.module, 1, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_get_str(&c, "genid", r.genid, 1, TE_IPC_GENID_MAX));
	TE_GUARD(te_ipc_get_data(&c, "iv", &r.iv, &r.iv_len, 1, TE_IPC_IV_MAX));
	TE_GUARD(te_ipc_get_data(&c, "data", &r.data, &r.data_len, data_min, data_max));
	TE_GUARD(te_cursor_expect_end(&c));
	*out = r;
out:
	return te_ipc_decode_fail(rc, type);
}

te_err te_ipc_encrypt_req_encode(const te_ipc_crypt_req *req, te_ipc_msg *msg)
{
	return te_ipc_crypt_req_encode(TE_IPC_ENCRYPT_REQ, 0, TE_IPC_CRYPT_DATA_MAX, req, msg);
}

te_err te_ipc_encrypt_req_decode(const te_ipc_msg *msg, te_ipc_crypt_req *out)
{
	return te_ipc_crypt_req_decode(TE_IPC_ENCRYPT_REQ, 0, TE_IPC_CRYPT_DATA_MAX, msg, out);
}

te_err te_ipc_decrypt_req_encode(const te_ipc_crypt_req *req, te_ipc_msg *msg)
{
	return te_ipc_crypt_req_encode(TE_IPC_DECRYPT_REQ, 1,
	                               TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX, req, msg);
}

te_err te_ipc_decrypt_req_decode(const te_ipc_msg *msg, te_ipc_crypt_req *out)
{
	return te_ipc_crypt_req_decode(TE_IPC_DECRYPT_REQ, 1,
	                               TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX, msg, out);
}

/* ---- CRYPT_REPLY: data ---- */

te_err te_ipc_crypt_reply_encode(const te_ipc_crypt_reply *rep, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(te_ipc_put_data(&w, "data", rep->data, rep->data_len, 0,
	                         TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX));
out:
	return te_ipc_writer_end(&w, TE_IPC_CRYPT_REPLY, rc);
}

te_err te_ipc_crypt_reply_decode(const te_ipc_msg *msg, te_ipc_crypt_reply *out)
{
	te_err rc = TE_OK;
	te_ipc_crypt_reply r = {NULL, 0};
	te_cursor c;

	TE_GUARD(te_ipc_body_open(msg, TE_IPC_CRYPT_REPLY, &c));
	TE_GUARD(te_ipc_get_data(&c, "data", &r.data, &r.data_len, 0,
	                         TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_CRYPT_REPLY);
}

/* ---- ERROR_REPLY: u32 code, message ---- */

te_err te_ipc_error_reply_encode(const te_ipc_error_reply *rep, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;
	uint8_t code[4];

	te_ipc_writer_init(&w, msg);
	TE_ENSURE(rep->code > TE_OK && rep->code < TE_ERR__COUNT, TE_ERR_INVALID_ARG,
	          "ipc encode: error code %d is not an error", (int)rep->code);
	te_ipc_put_u32(code, (uint32_t)rep->code);
	TE_GUARD(te_ipc_put_bytes(&w, code, sizeof(code)));
	TE_GUARD(te_ipc_put_str(&w, "message", rep->message, 0, TE_IPC_ERROR_MSG_MAX));
out:
	return te_ipc_writer_end(&w, TE_IPC_ERROR_REPLY, rc);
}

te_err te_ipc_error_reply_decode(const te_ipc_msg *msg, te_ipc_error_reply *out)
{
	te_err rc = TE_OK;
	te_ipc_error_reply r;
	uint32_t code = 0;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, TE_IPC_ERROR_REPLY, &c));
	TE_GUARD(te_cursor_u32be(&c, &code));
	TE_ENSURE(code > TE_OK && code < TE_ERR__COUNT, TE_ERR_MALFORMED,
	          "error code %u is not an error", (unsigned)code);
	TE_GUARD(te_ipc_get_str(&c, "message", r.message, 0, TE_IPC_ERROR_MSG_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	r.code = (te_err)code;
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_ERROR_REPLY);
}

/* ---- CERT_SERVER_REQ: module, genid, common_name, expiration ---- */

te_err te_ipc_cert_server_req_encode(const te_ipc_cert_req *req, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(te_ipc_put_str(&w, "module", req->module, 1, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_put_str(&w, "genid", req->genid, 1, TE_IPC_GENID_MAX));
	TE_GUARD(te_ipc_put_str(&w, "common_name", req->common_name, 1, TE_IPC_CN_MAX));
	TE_GUARD(te_ipc_put_expiration(&w, req->has_expiration, req->expiration));
out:
	return te_ipc_writer_end(&w, TE_IPC_CERT_SERVER_REQ, rc);
}

te_err te_ipc_cert_server_req_decode(const te_ipc_msg *msg, te_ipc_cert_req *out)
{
	te_err rc = TE_OK;
	te_ipc_cert_req r;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, TE_IPC_CERT_SERVER_REQ, &c));
	TE_GUARD(te_ipc_get_str(&c, "module", r.module, 1, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_get_str(&c, "genid", r.genid, 1, TE_IPC_GENID_MAX));
	TE_GUARD(te_ipc_get_str(&c, "common_name", r.common_name, 1, TE_IPC_CN_MAX));
	TE_GUARD(te_ipc_get_expiration(&c, &r.has_expiration, &r.expiration));
	TE_GUARD(te_cursor_expect_end(&c));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_CERT_SERVER_REQ);
}

/* ---- CERT_IDENTITY_REQ: module, expiration ---- */

te_err te_ipc_cert_identity_req_encode(const te_ipc_cert_req *req, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(te_ipc_put_str(&w, "module", req->module, 1, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_put_expiration(&w, req->has_expiration, req->expiration));
out:
	return te_ipc_writer_end(&w, TE_IPC_CERT_IDENTITY_REQ, rc);
}

te_err te_ipc_cert_identity_req_decode(const te_ipc_msg *msg, te_ipc_cert_req *out)
{
	te_err rc = TE_OK;
	te_ipc_cert_req r;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, TE_IPC_CERT_IDENTITY_REQ, &c));
	TE_GUARD(te_ipc_get_str(&c, "module", r.module, 1, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_get_expiration(&c, &r.has_expiration, &r.expiration));
	TE_GUARD(te_cursor_expect_end(&c));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_CERT_IDENTITY_REQ);
}

/* ---- CERT_REPLY: cert_pem, key_pem, i64 expiration ---- */

te_err te_ipc_cert_reply_encode(const te_ipc_cert_reply *rep, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(te_ipc_put_text(&w, "cert_pem", rep->cert_pem, rep->cert_pem_len, 1,
	                         TE_IPC_CERT_PEM_MAX));
	TE_GUARD(
	    te_ipc_put_text(&w, "key_pem", rep->key_pem, rep->key_pem_len, 1, TE_IPC_KEY_PEM_MAX));
	TE_GUARD(te_ipc_put_i64(&w, rep->expiration));
out:
	/* On failure the writer wipes what it wrote: the key may be in it. */
	return te_ipc_writer_end(&w, TE_IPC_CERT_REPLY, rc);
}

te_err te_ipc_cert_reply_decode(const te_ipc_msg *msg, te_ipc_cert_reply *out)
{
	te_err rc = TE_OK;
	te_ipc_cert_reply r;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, TE_IPC_CERT_REPLY, &c));
	TE_GUARD(
	    te_ipc_get_text(&c, "cert_pem", &r.cert_pem, &r.cert_pem_len, 1, TE_IPC_CERT_PEM_MAX));
	TE_GUARD(te_ipc_get_text(&c, "key_pem", &r.key_pem, &r.key_pem_len, 1, TE_IPC_KEY_PEM_MAX));
	TE_GUARD(te_ipc_get_i64(&c, &r.expiration));
	TE_GUARD(te_cursor_expect_end(&c));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_CERT_REPLY);
}

/* ---- TRUST_BUNDLE_REQ, MANIFEST_TRUST_BUNDLE_REQ: empty ---- */

static te_err te_ipc_empty_encode(uint16_t type, te_ipc_msg *msg)
{
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	return te_ipc_writer_end(&w, type, TE_OK);
}

static te_err te_ipc_empty_decode(uint16_t type, const te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	te_cursor c;

	TE_GUARD(te_ipc_body_open(msg, type, &c));
	TE_GUARD(te_cursor_expect_end(&c));
out:
	return te_ipc_decode_fail(rc, type);
}

te_err te_ipc_trust_bundle_req_encode(te_ipc_msg *msg)
{
	return te_ipc_empty_encode(TE_IPC_TRUST_BUNDLE_REQ, msg);
}

te_err te_ipc_trust_bundle_req_decode(const te_ipc_msg *msg)
{
	return te_ipc_empty_decode(TE_IPC_TRUST_BUNDLE_REQ, msg);
}

te_err te_ipc_manifest_trust_bundle_req_encode(te_ipc_msg *msg)
{
	return te_ipc_empty_encode(TE_IPC_MANIFEST_TRUST_BUNDLE_REQ, msg);
}

te_err te_ipc_manifest_trust_bundle_req_decode(const te_ipc_msg *msg)
{
	return te_ipc_empty_decode(TE_IPC_MANIFEST_TRUST_BUNDLE_REQ, msg);
}

/* ---- BUNDLE_REPLY: pem ---- */

te_err te_ipc_bundle_reply_encode(const te_ipc_bundle_reply *rep, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(te_ipc_put_text(&w, "pem", rep->pem, rep->pem_len, 0, TE_IPC_BUNDLE_PEM_MAX));
out:
	return te_ipc_writer_end(&w, TE_IPC_BUNDLE_REPLY, rc);
}

te_err te_ipc_bundle_reply_decode(const te_ipc_msg *msg, te_ipc_bundle_reply *out)
{
	te_err rc = TE_OK;
	te_ipc_bundle_reply r = {NULL, 0};
	te_cursor c;

	TE_GUARD(te_ipc_body_open(msg, TE_IPC_BUNDLE_REPLY, &c));
	TE_GUARD(te_ipc_get_text(&c, "pem", &r.pem, &r.pem_len, 0, TE_IPC_BUNDLE_PEM_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_BUNDLE_REPLY);
}

/* ---- KEYSVC_REQ ---- */

/* The fields of a KEYSVC_REQ, as bits: which an op needs and may have. */
#define KS_F_KEY_ID    0x001u
#define KS_F_FROM      0x002u
#define KS_F_HANDLE    0x004u
#define KS_F_ALG       0x008u
#define KS_F_USAGE     0x010u
#define KS_F_PREFS     0x020u
#define KS_F_PARAM     0x040u
#define KS_F_LENGTH    0x080u
#define KS_F_KEY_BYTES 0x100u
#define KS_F_DATA      0x200u
#define KS_F_IV        0x400u
#define KS_F_AAD       0x800u

#define KS_USAGE_ALL                                                                               \
	(TE_IPC_KEYSVC_USAGE_SIGN | TE_IPC_KEYSVC_USAGE_ENCRYPT | TE_IPC_KEYSVC_USAGE_DERIVE)

struct ks_rule {
	const char *name;
	unsigned need; /* non-empty (non-zero) */
	unsigned may;  /* may be non-empty; all others must be empty */
	size_t data_min, data_max;
};

static const struct ks_rule ks_rules[] = {
    [TE_IPC_KEYSVC_KEY_CREATE] = {"KEY_CREATE", KS_F_KEY_ID | KS_F_USAGE,
                                  KS_F_LENGTH | KS_F_KEY_BYTES, 0, 0},
    [TE_IPC_KEYSVC_KEY_LOAD] = {"KEY_LOAD", KS_F_KEY_ID, 0, 0, 0},
    [TE_IPC_KEYSVC_KEY_DELETE] = {"KEY_DELETE", KS_F_HANDLE, 0, 0, 0},
    [TE_IPC_KEYSVC_KEYPAIR_CREATE] = {"KEYPAIR_CREATE", KS_F_KEY_ID | KS_F_PREFS, 0, 0, 0},
    [TE_IPC_KEYSVC_KEYPAIR_LOAD] = {"KEYPAIR_LOAD", KS_F_KEY_ID, 0, 0, 0},
    [TE_IPC_KEYSVC_KEYPAIR_MOVE] = {"KEYPAIR_MOVE", KS_F_KEY_ID | KS_F_FROM, 0, 0, 0},
    [TE_IPC_KEYSVC_KEYPAIR_DELETE] = {"KEYPAIR_DELETE", KS_F_HANDLE, 0, 0, 0},
    [TE_IPC_KEYSVC_PARAMETER] = {"PARAMETER", KS_F_HANDLE | KS_F_PARAM, 0, 0, 0},
    [TE_IPC_KEYSVC_SIGN] = {"SIGN", KS_F_HANDLE | KS_F_ALG, KS_F_DATA, 0,
                            TE_IPC_KEYSVC_MESSAGE_MAX},
    [TE_IPC_KEYSVC_ENCRYPT] = {"ENCRYPT", KS_F_HANDLE | KS_F_ALG, KS_F_DATA | KS_F_IV | KS_F_AAD, 0,
                               TE_IPC_KEYSVC_PLAINTEXT_MAX},
    [TE_IPC_KEYSVC_DECRYPT] = {"DECRYPT", KS_F_HANDLE | KS_F_ALG | KS_F_DATA | KS_F_IV, KS_F_AAD, 1,
                               TE_IPC_KEYSVC_CIPHERTEXT_MAX},
    [TE_IPC_KEYSVC_DERIVE] = {"DERIVE", KS_F_HANDLE, KS_F_DATA, 0, TE_IPC_KEYSVC_DERIVATION_MAX},
    [TE_IPC_KEYSVC_DERIVED_EXPORT] = {"DERIVED_EXPORT", KS_F_HANDLE, 0, 0, 0},
};

#define KS_NOPS (sizeof(ks_rules) / sizeof(ks_rules[0]))

static const char *const ks_field_names[] = {
    "key_id", "from_key_id",  "handle",    "alg",  "usage", "prefs",
    "param",  "length_bytes", "key_bytes", "data", "iv",    "aad",
};

static const char *ks_field_name(unsigned bit)
{
	for (size_t i = 0; i < sizeof(ks_field_names) / sizeof(ks_field_names[0]); i++) {
		if (bit == (1u << i))
			return ks_field_names[i];
	}
	return "?";
}

static unsigned ks_present(const te_ipc_keysvc_req *r)
{
	unsigned f = 0;

	f |= r->key_id[0] != '\0' ? KS_F_KEY_ID : 0;
	f |= r->from_key_id[0] != '\0' ? KS_F_FROM : 0;
	f |= r->handle[0] != '\0' ? KS_F_HANDLE : 0;
	f |= r->alg != 0 ? KS_F_ALG : 0;
	f |= r->usage != 0 ? KS_F_USAGE : 0;
	f |= r->n_prefs != 0 ? KS_F_PREFS : 0;
	f |= r->param != 0 ? KS_F_PARAM : 0;
	f |= r->length_bytes != 0 ? KS_F_LENGTH : 0;
	f |= r->key_bytes_len != 0 ? KS_F_KEY_BYTES : 0;
	f |= r->data_len != 0 ? KS_F_DATA : 0;
	f |= r->iv_len != 0 ? KS_F_IV : 0;
	f |= r->aad_len != 0 ? KS_F_AAD : 0;
	return f;
}

_Static_assert(TE_IPC_KEYSVC_HANDLE_MAX == TE_KEYHANDLE_TEXT_MAX,
               "a handle on the wire is a handle's text");

/* An optional handle field: empty, or the shape of a handle's text. */
static int ks_handle_ok(const char *s)
{
	return s[0] == '\0' || te_keyhandle_text_ok(s, strlen(s));
}

/* The per-op rules (ipc.h) beyond the fields' wire bounds, which the
 * caller has checked.  Fails with code: TE_ERR_INVALID_ARG for the
 * encoder, TE_ERR_MALFORMED for the decoder. */
static te_err ks_req_check(const te_ipc_keysvc_req *r, te_err code)
{
	te_err rc = TE_OK;
	const struct ks_rule *rule;
	unsigned have, bad;

	TE_ENSURE(r->op >= 1 && r->op < KS_NOPS, code, "keysvc op %u is unknown", (unsigned)r->op);
	rule = &ks_rules[r->op];
	have = ks_present(r);
	bad = rule->need & ~have;
	TE_ENSURE(bad == 0, code, "keysvc %s needs field %s", rule->name,
	          ks_field_name(bad & -bad));
	bad = have & ~(rule->need | rule->may);
	TE_ENSURE(bad == 0, code, "keysvc %s does not take field %s", rule->name,
	          ks_field_name(bad & -bad));
	TE_ENSURE(r->key_id[0] == '\0' || te_hsm_name_check(r->key_id) == TE_OK, code,
	          "keysvc %s: key_id breaks the key-name rules", rule->name);
	TE_ENSURE(r->from_key_id[0] == '\0' || te_hsm_name_check(r->from_key_id) == TE_OK, code,
	          "keysvc %s: from_key_id breaks the key-name rules", rule->name);
	TE_ENSURE(ks_handle_ok(r->handle), code, "keysvc %s: handle is not base64url", rule->name);
	TE_ENSURE((r->usage & ~KS_USAGE_ALL) == 0, code, "keysvc %s: unknown usage bits 0x%x",
	          rule->name, (unsigned)r->usage);
	TE_ENSURE(r->length_bytes <= TE_IPC_KEYSVC_KEY_BYTES_MAX, code,
	          "keysvc %s: length_bytes %u is more than %d", rule->name,
	          (unsigned)r->length_bytes, TE_IPC_KEYSVC_KEY_BYTES_MAX);
	TE_ENSURE(!(have & KS_F_LENGTH) || !(have & KS_F_KEY_BYTES), code,
	          "keysvc %s: length_bytes and key_bytes exclude each other", rule->name);
	for (size_t i = 0; i < r->n_prefs; i++)
		TE_ENSURE(r->prefs[i] >= TE_IPC_KEYSVC_PREF_EC_P256 &&
		              r->prefs[i] <= TE_IPC_KEYSVC_PREF_ANY,
		          code, "keysvc %s: unknown algorithm preference %u", rule->name,
		          (unsigned)r->prefs[i]);
	TE_ENSURE(r->param <= TE_IPC_KEYSVC_PARAM_RSA_EXPONENT, code,
	          "keysvc %s: unknown parameter %u", rule->name, (unsigned)r->param);
	TE_ENSURE(r->data_len >= rule->data_min && r->data_len <= rule->data_max, code,
	          "keysvc %s: data of %zu bytes outside %zu..%zu", rule->name, r->data_len,
	          rule->data_min, rule->data_max);
	TE_ENSURE(r->op != TE_IPC_KEYSVC_KEYPAIR_MOVE || strcmp(r->key_id, r->from_key_id) != 0,
	          code, "keysvc %s: from_key_id is key_id", rule->name);
	switch (r->op) {
	case TE_IPC_KEYSVC_SIGN:
		TE_ENSURE(r->alg == TE_IPC_KEYSVC_ALG_ECDSA ||
		              r->alg == TE_IPC_KEYSVC_ALG_HMAC_SHA256,
		          code, "keysvc SIGN: algorithm %u", (unsigned)r->alg);
		TE_ENSURE(r->alg != TE_IPC_KEYSVC_ALG_ECDSA ||
		              (r->data_len >= 1 && r->data_len <= TE_IPC_KEYSVC_DIGEST_MAX),
		          code, "keysvc SIGN: ECDSA digest of %zu bytes outside 1..%d", r->data_len,
		          TE_IPC_KEYSVC_DIGEST_MAX);
		break;
	case TE_IPC_KEYSVC_ENCRYPT:
		TE_ENSURE(r->alg >= TE_IPC_KEYSVC_ALG_AEAD &&
		              r->alg <= TE_IPC_KEYSVC_ALG_RSA_NO_PADDING,
		          code, "keysvc ENCRYPT: algorithm %u", (unsigned)r->alg);
		TE_ENSURE(r->alg != TE_IPC_KEYSVC_ALG_AEAD || r->iv_len > 0, code,
		          "keysvc ENCRYPT: AEAD needs field iv");
		TE_ENSURE(r->alg == TE_IPC_KEYSVC_ALG_AEAD || (r->iv_len == 0 && r->aad_len == 0),
		          code, "keysvc ENCRYPT: RSA takes no iv or aad");
		break;
	case TE_IPC_KEYSVC_DECRYPT:
		TE_ENSURE(r->alg == TE_IPC_KEYSVC_ALG_AEAD, code, "keysvc DECRYPT: algorithm %u",
		          (unsigned)r->alg);
		break;
	default:
		break;
	}
out:
	return rc;
}

te_err te_ipc_keysvc_req_encode(const te_ipc_keysvc_req *req, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;
	uint8_t fixed[4];

	te_ipc_writer_init(&w, msg);
	TE_ENSURE(req->n_prefs <= TE_IPC_KEYSVC_PREFS_MAX, TE_ERR_INVALID_ARG,
	          "ipc encode: %zu algorithm preferences", req->n_prefs);
	te_ipc_put_u32(fixed, req->uid);
	TE_GUARD(te_ipc_put_bytes(&w, fixed, 4));
	TE_GUARD(te_ipc_put_bytes(&w, &req->op, 1));
	TE_GUARD(te_ipc_put_str(&w, "key_id", req->key_id, 0, TE_IPC_KEYSVC_ID_MAX));
	TE_GUARD(te_ipc_put_str(&w, "from_key_id", req->from_key_id, 0, TE_IPC_KEYSVC_ID_MAX));
	TE_GUARD(te_ipc_put_str(&w, "handle", req->handle, 0, TE_IPC_KEYSVC_HANDLE_MAX));
	TE_GUARD(ks_req_check(req, TE_ERR_INVALID_ARG));
	TE_GUARD(te_ipc_put_bytes(&w, &req->alg, 1));
	te_ipc_put_u32(fixed, req->usage);
	TE_GUARD(te_ipc_put_bytes(&w, fixed, 4));
	TE_GUARD(
	    te_ipc_put_data(&w, "prefs", req->prefs, req->n_prefs, 0, TE_IPC_KEYSVC_PREFS_MAX));
	TE_GUARD(te_ipc_put_bytes(&w, &req->param, 1));
	te_ipc_put_u16(fixed, req->length_bytes);
	TE_GUARD(te_ipc_put_bytes(&w, fixed, 2));
	TE_GUARD(te_ipc_put_data(&w, "key_bytes", req->key_bytes, req->key_bytes_len, 0,
	                         TE_IPC_KEYSVC_KEY_BYTES_MAX));
	TE_GUARD(
	    te_ipc_put_data(&w, "data", req->data, req->data_len, 0, TE_IPC_KEYSVC_CIPHERTEXT_MAX));
	TE_GUARD(te_ipc_put_data(&w, "iv", req->iv, req->iv_len, 0, TE_IPC_KEYSVC_IV_MAX));
	TE_GUARD(te_ipc_put_data(&w, "aad", req->aad, req->aad_len, 0, TE_IPC_KEYSVC_AAD_MAX));
out:
	/* On failure the writer wipes what it wrote: key bytes or plaintext. */
	return te_ipc_writer_end(&w, TE_IPC_KEYSVC_REQ, rc);
}

te_err te_ipc_keysvc_req_decode(const te_ipc_msg *msg, te_ipc_keysvc_req *out)
{
	te_err rc = TE_OK;
	te_ipc_keysvc_req r;
	const uint8_t *prefs = NULL;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, TE_IPC_KEYSVC_REQ, &c));
	TE_GUARD(te_cursor_u32be(&c, &r.uid));
	TE_GUARD(te_cursor_u8(&c, &r.op));
	TE_GUARD(te_ipc_get_str(&c, "key_id", r.key_id, 0, TE_IPC_KEYSVC_ID_MAX));
	TE_GUARD(te_ipc_get_str(&c, "from_key_id", r.from_key_id, 0, TE_IPC_KEYSVC_ID_MAX));
	TE_GUARD(te_ipc_get_str(&c, "handle", r.handle, 0, TE_IPC_KEYSVC_HANDLE_MAX));
	TE_GUARD(te_cursor_u8(&c, &r.alg));
	TE_GUARD(te_cursor_u32be(&c, &r.usage));
	TE_GUARD(te_ipc_get_data(&c, "prefs", &prefs, &r.n_prefs, 0, TE_IPC_KEYSVC_PREFS_MAX));
	if (r.n_prefs > 0)
		memcpy(r.prefs, prefs, r.n_prefs);
	TE_GUARD(te_cursor_u8(&c, &r.param));
	TE_GUARD(te_cursor_u16be(&c, &r.length_bytes));
	TE_GUARD(te_ipc_get_data(&c, "key_bytes", &r.key_bytes, &r.key_bytes_len, 0,
	                         TE_IPC_KEYSVC_KEY_BYTES_MAX));
	TE_GUARD(
	    te_ipc_get_data(&c, "data", &r.data, &r.data_len, 0, TE_IPC_KEYSVC_CIPHERTEXT_MAX));
	TE_GUARD(te_ipc_get_data(&c, "iv", &r.iv, &r.iv_len, 0, TE_IPC_KEYSVC_IV_MAX));
	TE_GUARD(te_ipc_get_data(&c, "aad", &r.aad, &r.aad_len, 0, TE_IPC_KEYSVC_AAD_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	TE_GUARD(ks_req_check(&r, TE_ERR_MALFORMED));
	*out = r;
out:
	/* r holds no secret itself: its byte fields point into msg. */
	return te_ipc_decode_fail(rc, TE_IPC_KEYSVC_REQ);
}

/* ---- KEYSVC_REPLY ---- */

static int ks_printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f)
			return 0;
	}
	return 1;
}

static int ks_error_status(unsigned status)
{
	return status == 400 || status == 403 || status == 404 || status == 409 || status == 500 ||
	       status == 501;
}

/* The reply rules of ipc.h: status, kind and payload go together. */
static te_err ks_reply_check(const te_ipc_keysvc_reply *r, te_err code)
{
	te_err rc = TE_OK;
	size_t min = 1, max = 0;
	unsigned want = 200;
	const char *what = "";

	switch (r->kind) {
	case TE_IPC_KEYSVC_REPLY_NONE:
		what = "none";
		min = 0;
		want = 204;
		break;
	case TE_IPC_KEYSVC_REPLY_HANDLE:
		what = "handle";
		max = TE_IPC_KEYSVC_HANDLE_MAX;
		break;
	case TE_IPC_KEYSVC_REPLY_SIGNATURE:
		what = "signature";
		max = TE_IPC_KEYSVC_SIGNATURE_MAX;
		break;
	case TE_IPC_KEYSVC_REPLY_CIPHERTEXT:
		what = "ciphertext";
		max = TE_IPC_KEYSVC_CIPHERTEXT_MAX;
		break;
	case TE_IPC_KEYSVC_REPLY_PLAINTEXT:
		what = "plaintext";
		min = 0;
		max = TE_IPC_KEYSVC_PLAINTEXT_MAX;
		break;
	case TE_IPC_KEYSVC_REPLY_KEY:
		what = "key";
		max = TE_IPC_KEYSVC_EXPORT_MAX;
		break;
	case TE_IPC_KEYSVC_REPLY_VALUE:
		what = "value";
		max = TE_IPC_KEYSVC_VALUE_MAX;
		break;
	case TE_IPC_KEYSVC_REPLY_VALUE_TEXT:
		what = "value text";
		max = TE_IPC_KEYSVC_VALUE_TEXT_MAX;
		break;
	case TE_IPC_KEYSVC_REPLY_MESSAGE:
		what = "message";
		max = TE_IPC_KEYSVC_MSG_MAX;
		want = 0;
		break;
	default:
		TE_ENSURE(0, code, "keysvc reply kind %u is unknown", (unsigned)r->kind);
	}
	if (want != 0)
		TE_ENSURE(r->status == want, code, "keysvc %s reply with status %u, not %u", what,
		          (unsigned)r->status, want);
	else
		TE_ENSURE(ks_error_status(r->status), code,
		          "keysvc message reply with status %u, not an error status",
		          (unsigned)r->status);
	TE_ENSURE(r->payload != NULL || r->payload_len == 0, code, "keysvc %s reply: no payload",
	          what);
	TE_ENSURE(r->payload_len >= min && r->payload_len <= max, code,
	          "keysvc %s reply of %zu bytes outside %zu..%zu", what, r->payload_len, min, max);
	if (r->kind == TE_IPC_KEYSVC_REPLY_HANDLE)
		TE_ENSURE(te_keyhandle_text_ok((const char *)r->payload, r->payload_len), code,
		          "keysvc handle reply is not base64url");
	if (r->kind == TE_IPC_KEYSVC_REPLY_VALUE_TEXT || r->kind == TE_IPC_KEYSVC_REPLY_MESSAGE)
		TE_ENSURE(ks_printable(r->payload, r->payload_len), code,
		          "keysvc %s reply is not printable ASCII", what);
out:
	return rc;
}

/*
 * The service replies (KEYSVC_REPLY, CERTSVC_REPLY) share one frame,
 * u16 status | u8 kind | payload (u16-prefixed, at most max); what a kind
 * allows is each service's check, run before encoding and after decoding.
 */
static te_err te_ipc_svc_reply_put(te_ipc_msg *msg, uint16_t type, uint16_t status, uint8_t kind,
                                   const uint8_t *payload, size_t len, te_err checked)
{
	te_err rc = checked;
	struct te_ipc_writer w;
	uint8_t st[2];

	te_ipc_writer_init(&w, msg);
	TE_GUARD(rc);
	te_ipc_put_u16(st, status);
	TE_GUARD(te_ipc_put_bytes(&w, st, 2));
	TE_GUARD(te_ipc_put_bytes(&w, &kind, 1));
	TE_GUARD(te_ipc_put_field(&w, payload, len));
out:
	return te_ipc_writer_end(&w, type, rc);
}

static te_err te_ipc_svc_reply_get(const te_ipc_msg *msg, uint16_t type, size_t max,
                                   uint16_t *status, uint8_t *kind, const uint8_t **payload,
                                   size_t *len)
{
	te_err rc = TE_OK;
	te_cursor c;

	TE_GUARD(te_ipc_body_open(msg, type, &c));
	TE_GUARD(te_cursor_u16be(&c, status));
	TE_GUARD(te_cursor_u8(&c, kind));
	TE_GUARD(te_ipc_get_data(&c, "payload", payload, len, 0, max));
	TE_GUARD(te_cursor_expect_end(&c));
out:
	return rc;
}

te_err te_ipc_keysvc_reply_encode(const te_ipc_keysvc_reply *rep, te_ipc_msg *msg)
{
	return te_ipc_svc_reply_put(msg, TE_IPC_KEYSVC_REPLY, rep->status, rep->kind, rep->payload,
	                            rep->payload_len, ks_reply_check(rep, TE_ERR_INVALID_ARG));
}

te_err te_ipc_keysvc_reply_decode(const te_ipc_msg *msg, te_ipc_keysvc_reply *out)
{
	te_err rc = TE_OK;
	te_ipc_keysvc_reply r = {0, 0, NULL, 0};

	TE_GUARD(te_ipc_svc_reply_get(msg, TE_IPC_KEYSVC_REPLY, TE_IPC_KEYSVC_CIPHERTEXT_MAX,
	                              &r.status, &r.kind, &r.payload, &r.payload_len));
	TE_GUARD(ks_reply_check(&r, TE_ERR_MALFORMED));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_KEYSVC_REPLY);
}

/* ---- CERTSVC_REQ ---- */

#define CS_F_ID        0x01u
#define CS_F_ISSUER_ID 0x02u
#define CS_F_HANDLE    0x04u
#define CS_F_CSR       0x08u
#define CS_F_PEM       0x10u

static const struct {
	const char *name;
	unsigned need;
	unsigned may;
} cs_rules[] = {
    [TE_IPC_CERTSVC_CREATE] = {"CREATE", CS_F_ID | CS_F_CSR, CS_F_ISSUER_ID | CS_F_HANDLE},
    [TE_IPC_CERTSVC_IMPORT] = {"IMPORT", CS_F_ID | CS_F_PEM, 0},
    [TE_IPC_CERTSVC_GET] = {"GET", CS_F_ID, 0},
    [TE_IPC_CERTSVC_DELETE] = {"DELETE", CS_F_ID, 0},
};

#define CS_NOPS (sizeof(cs_rules) / sizeof(cs_rules[0]))

static const char *cs_field_name(unsigned bit)
{
	switch (bit) {
	case CS_F_ID:
		return "cert_id";
	case CS_F_ISSUER_ID:
		return "issuer_cert_id";
	case CS_F_HANDLE:
		return "issuer_handle";
	case CS_F_CSR:
		return "csr";
	case CS_F_PEM:
		return "pem";
	default:
		return "?";
	}
}

/* PEM text: printable ASCII, tab, CR and LF (so it is also UTF-8 for the
 * JSON reply). */
static int cs_pem_text(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((p[i] < 0x20 || p[i] >= 0x7f) && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	}
	return 1;
}

/* The per-op rules of ipc.h beyond the wire bounds, which the caller has
 * checked.  code: TE_ERR_INVALID_ARG (encoder) or TE_ERR_MALFORMED. */
static te_err cs_req_check(const te_ipc_certsvc_req *r, te_err code)
{
	te_err rc = TE_OK;
	unsigned have = 0, bad;
	const char *name;

	TE_ENSURE(r->op >= 1 && r->op < CS_NOPS, code, "certsvc op %u is unknown", (unsigned)r->op);
	name = cs_rules[r->op].name;
	have |= r->cert_id[0] != '\0' ? CS_F_ID : 0;
	have |= r->issuer_cert_id[0] != '\0' ? CS_F_ISSUER_ID : 0;
	have |= r->issuer_handle[0] != '\0' ? CS_F_HANDLE : 0;
	have |= r->csr_len != 0 ? CS_F_CSR : 0;
	have |= r->pem_len != 0 ? CS_F_PEM : 0;
	bad = cs_rules[r->op].need & ~have;
	TE_ENSURE(bad == 0, code, "certsvc %s needs field %s", name, cs_field_name(bad & -bad));
	bad = have & ~(cs_rules[r->op].need | cs_rules[r->op].may);
	TE_ENSURE(bad == 0, code, "certsvc %s does not take field %s", name,
	          cs_field_name(bad & -bad));
	TE_ENSURE(!(have & CS_F_ISSUER_ID) == !(have & CS_F_HANDLE), code,
	          "certsvc %s: issuer_cert_id and issuer_handle go together", name);
	TE_ENSURE(te_hsm_name_check(r->cert_id) == TE_OK, code,
	          "certsvc %s: cert_id breaks the key-name rules", name);
	TE_ENSURE(r->issuer_cert_id[0] == '\0' || te_hsm_name_check(r->issuer_cert_id) == TE_OK,
	          code, "certsvc %s: issuer_cert_id breaks the key-name rules", name);
	TE_ENSURE(ks_handle_ok(r->issuer_handle), code,
	          "certsvc %s: issuer_handle is not base64url", name);
	TE_ENSURE(r->pem_len == 0 || cs_pem_text((const uint8_t *)r->pem, r->pem_len), code,
	          "certsvc %s: pem is not text", name);
out:
	return rc;
}

te_err te_ipc_certsvc_req_encode(const te_ipc_certsvc_req *req, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;
	uint8_t uid[4];

	te_ipc_writer_init(&w, msg);
	te_ipc_put_u32(uid, req->uid);
	TE_GUARD(te_ipc_put_bytes(&w, uid, 4));
	TE_GUARD(te_ipc_put_bytes(&w, &req->op, 1));
	TE_GUARD(te_ipc_put_str(&w, "cert_id", req->cert_id, 0, TE_IPC_CERTSVC_ID_MAX));
	TE_GUARD(
	    te_ipc_put_str(&w, "issuer_cert_id", req->issuer_cert_id, 0, TE_IPC_CERTSVC_ID_MAX));
	TE_GUARD(
	    te_ipc_put_str(&w, "issuer_handle", req->issuer_handle, 0, TE_IPC_CERTSVC_HANDLE_MAX));
	TE_GUARD(te_ipc_put_data(&w, "csr", req->csr, req->csr_len, 0, TE_IPC_CERTSVC_CSR_MAX));
	TE_GUARD(te_ipc_put_text(&w, "pem", req->pem, req->pem_len, 0, TE_IPC_CERTSVC_PEM_MAX));
	TE_GUARD(cs_req_check(req, TE_ERR_INVALID_ARG));
out:
	/* On failure the writer wipes what it wrote: the handle. */
	return te_ipc_writer_end(&w, TE_IPC_CERTSVC_REQ, rc);
}

te_err te_ipc_certsvc_req_decode(const te_ipc_msg *msg, te_ipc_certsvc_req *out)
{
	te_err rc = TE_OK;
	te_ipc_certsvc_req r;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, TE_IPC_CERTSVC_REQ, &c));
	TE_GUARD(te_cursor_u32be(&c, &r.uid));
	TE_GUARD(te_cursor_u8(&c, &r.op));
	TE_GUARD(te_ipc_get_str(&c, "cert_id", r.cert_id, 0, TE_IPC_CERTSVC_ID_MAX));
	TE_GUARD(te_ipc_get_str(&c, "issuer_cert_id", r.issuer_cert_id, 0, TE_IPC_CERTSVC_ID_MAX));
	TE_GUARD(
	    te_ipc_get_str(&c, "issuer_handle", r.issuer_handle, 0, TE_IPC_CERTSVC_HANDLE_MAX));
	TE_GUARD(te_ipc_get_data(&c, "csr", &r.csr, &r.csr_len, 0, TE_IPC_CERTSVC_CSR_MAX));
	TE_GUARD(te_ipc_get_text(&c, "pem", &r.pem, &r.pem_len, 0, TE_IPC_CERTSVC_PEM_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	TE_GUARD(cs_req_check(&r, TE_ERR_MALFORMED));
	*out = r;
out:
	/* r's handle is a copy: wipe it whatever happened to out. */
	te_memzero(r.issuer_handle, sizeof(r.issuer_handle));
	return te_ipc_decode_fail(rc, TE_IPC_CERTSVC_REQ);
}

/* ---- CERTSVC_REPLY ---- */

static te_err cs_reply_check(const te_ipc_certsvc_reply *r, te_err code)
{
	te_err rc = TE_OK;

	TE_ENSURE(r->payload != NULL || r->payload_len == 0, code, "certsvc reply: no payload");
	switch (r->kind) {
	case TE_IPC_CERTSVC_REPLY_NONE:
		TE_ENSURE(r->status == 204, code, "certsvc none reply with status %u, not 204",
		          (unsigned)r->status);
		TE_ENSURE(r->payload_len == 0, code, "certsvc none reply of %zu bytes outside 0..0",
		          r->payload_len);
		break;
	case TE_IPC_CERTSVC_REPLY_PEM:
		TE_ENSURE(r->status == 200 || r->status == 201, code,
		          "certsvc pem reply with status %u, not 200 or 201", (unsigned)r->status);
		TE_ENSURE(r->payload_len >= 1 && r->payload_len <= TE_IPC_CERTSVC_PEM_MAX, code,
		          "certsvc pem reply of %zu bytes outside 1..%d", r->payload_len,
		          TE_IPC_CERTSVC_PEM_MAX);
		TE_ENSURE(cs_pem_text(r->payload, r->payload_len), code,
		          "certsvc pem reply is not text");
		break;
	case TE_IPC_CERTSVC_REPLY_MESSAGE:
		TE_ENSURE(ks_error_status(r->status), code,
		          "certsvc message reply with status %u, not an error status",
		          (unsigned)r->status);
		TE_ENSURE(r->payload_len >= 1 && r->payload_len <= TE_IPC_CERTSVC_MSG_MAX, code,
		          "certsvc message reply of %zu bytes outside 1..%d", r->payload_len,
		          TE_IPC_CERTSVC_MSG_MAX);
		TE_ENSURE(ks_printable(r->payload, r->payload_len), code,
		          "certsvc message reply is not printable ASCII");
		break;
	default:
		TE_ENSURE(0, code, "certsvc reply kind %u is unknown", (unsigned)r->kind);
	}
out:
	return rc;
}

te_err te_ipc_certsvc_reply_encode(const te_ipc_certsvc_reply *rep, te_ipc_msg *msg)
{
	return te_ipc_svc_reply_put(msg, TE_IPC_CERTSVC_REPLY, rep->status, rep->kind, rep->payload,
	                            rep->payload_len, cs_reply_check(rep, TE_ERR_INVALID_ARG));
}

te_err te_ipc_certsvc_reply_decode(const te_ipc_msg *msg, te_ipc_certsvc_reply *out)
{
	te_err rc = TE_OK;
	te_ipc_certsvc_reply r = {0, 0, NULL, 0};

	TE_GUARD(te_ipc_svc_reply_get(msg, TE_IPC_CERTSVC_REPLY, TE_IPC_CERTSVC_PEM_MAX, &r.status,
	                              &r.kind, &r.payload, &r.payload_len));
	TE_GUARD(cs_reply_check(&r, TE_ERR_MALFORMED));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_CERTSVC_REPLY);
}

/* ---- IDSVC_REQ: u32 uid, module, genid ---- */

/* Both empty (the device) or both non-empty (a module). */
static te_err ids_req_check(const te_ipc_idsvc_req *r, te_err code)
{
	if ((r->module[0] == '\0') != (r->genid[0] == '\0'))
		return te_err_set(code, "idsvc: module and genid must both be empty (the device) "
		                        "or both be set (a module)");
	return TE_OK;
}

te_err te_ipc_idsvc_req_encode(const te_ipc_idsvc_req *req, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;
	uint8_t uid[4];

	te_ipc_writer_init(&w, msg);
	te_ipc_put_u32(uid, req->uid);
	TE_GUARD(te_ipc_put_bytes(&w, uid, sizeof(uid)));
	TE_GUARD(te_ipc_put_str(&w, "module", req->module, 0, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_put_str(&w, "genid", req->genid, 0, TE_IPC_GENID_MAX));
	TE_GUARD(ids_req_check(req, TE_ERR_INVALID_ARG));
out:
	return te_ipc_writer_end(&w, TE_IPC_IDSVC_REQ, rc);
}

te_err te_ipc_idsvc_req_decode(const te_ipc_msg *msg, te_ipc_idsvc_req *out)
{
	te_err rc = TE_OK;
	te_ipc_idsvc_req r;
	te_cursor c;

	memset(&r, 0, sizeof(r));
	TE_GUARD(te_ipc_body_open(msg, TE_IPC_IDSVC_REQ, &c));
	TE_GUARD(te_cursor_u32be(&c, &r.uid));
	TE_GUARD(te_ipc_get_str(&c, "module", r.module, 0, TE_IPC_MODULE_MAX));
	TE_GUARD(te_ipc_get_str(&c, "genid", r.genid, 0, TE_IPC_GENID_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	TE_GUARD(ids_req_check(&r, TE_ERR_MALFORMED));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_IDSVC_REQ);
}

/* ---- IDSVC_REPLY: handle ---- */

static te_err ids_handle_check(const char *p, size_t n, te_err code)
{
	te_err rc = TE_OK;

	TE_ENSURE(p != NULL && n >= 1 && n <= TE_IPC_KEYSVC_HANDLE_MAX, code,
	          "idsvc reply: handle of %zu characters outside 1..%d", n,
	          TE_IPC_KEYSVC_HANDLE_MAX);
	TE_ENSURE(te_keyhandle_text_ok(p, n), code, "idsvc reply: handle is not base64url");
out:
	return rc;
}

te_err te_ipc_idsvc_reply_encode(const te_ipc_idsvc_reply *rep, te_ipc_msg *msg)
{
	te_err rc = TE_OK;
	struct te_ipc_writer w;

	te_ipc_writer_init(&w, msg);
	TE_GUARD(ids_handle_check(rep->handle, rep->handle_len, TE_ERR_INVALID_ARG));
	TE_GUARD(te_ipc_put_field(&w, rep->handle, rep->handle_len));
out:
	/* On failure the writer wipes what it wrote: a credential. */
	return te_ipc_writer_end(&w, TE_IPC_IDSVC_REPLY, rc);
}

te_err te_ipc_idsvc_reply_decode(const te_ipc_msg *msg, te_ipc_idsvc_reply *out)
{
	te_err rc = TE_OK;
	te_ipc_idsvc_reply r = {NULL, 0};
	te_cursor c;

	TE_GUARD(te_ipc_body_open(msg, TE_IPC_IDSVC_REPLY, &c));
	TE_GUARD(
	    te_ipc_get_text(&c, "handle", &r.handle, &r.handle_len, 1, TE_IPC_KEYSVC_HANDLE_MAX));
	TE_GUARD(te_cursor_expect_end(&c));
	TE_GUARD(ids_handle_check(r.handle, r.handle_len, TE_ERR_MALFORMED));
	*out = r;
out:
	return te_ipc_decode_fail(rc, TE_IPC_IDSVC_REPLY);
}
