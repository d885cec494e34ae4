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
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "common/te_cursor.h"
#include "trustedge/te_mem.h"

/* A u16 length prefix. */
#define TE_IPC_LEN_SZ     2
#define TE_IPC_STR_MIN_SZ (TE_IPC_LEN_SZ + 1)
/* u8 has_expiration, i64 expiration */
#define TE_IPC_EXP_SZ (1 + 8)

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

void te_ipc_msg_wipe(te_ipc_msg *msg)
{
	/* All of body: a shorter message does not overwrite an earlier,
	 * longer one's tail. */
	te_memzero(msg, sizeof(*msg));
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
	ssize_t n;

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

	msg->type = type;
	msg->id = id;
	msg->len = len;
out:
	if (rc != TE_OK)
		te_ipc_msg_wipe(msg);
	return rc;
}

/* ---- body encoding ---- */

/* Appends to msg->body; the encoders check every field against its limit
 * first and the static asserts keep the largest body within the buffer,
 * so running out of room is a bug. */
struct te_ipc_writer {
	te_ipc_msg *msg;
	size_t off;
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
}

/* Sets the header fields once the body is complete; after a failure
 * wipes what was written (it may be plaintext) and leaves the header. */
static te_err te_ipc_writer_end(struct te_ipc_writer *w, uint16_t type, te_err rc)
{
	if (rc != TE_OK) {
		te_memzero(w->msg->body, w->off);
		return rc;
	}
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
