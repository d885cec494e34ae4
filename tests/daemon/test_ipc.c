/*
 * test_ipc.c - the daemon's IPC channel over a real SOCK_SEQPACKET
 * socketpair: every message type round trips, and every way a peer can
 * send a bad frame or body is refused as TE_ERR_MALFORMED (the message
 * wiped), a closed peer is TE_ERR_IO, and sending to a closed peer does
 * not raise SIGPIPE.  The certificate and trust bundle types are checked
 * at every bound of every field and of the body.  Bad frames are built by hand and sent with
 * send(2).  The keys service types (KEYSVC_REQ, KEYSVC_REPLY) are checked
 * for every op's field rules, every field bound on both sides, and
 * truncation at every length; so are the certificates service types
 * (CERTSVC_REQ, CERTSVC_REPLY) and the identity service types (IDSVC_REQ:
 * device or module, never half of each; IDSVC_REPLY: a base64url handle).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/ipc.h"

struct fx {
	int sv[2]; /* sv[0] sends, sv[1] receives (either may do both) */
	te_ipc_msg *msg;
	te_ipc_msg *enc;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->sv), 0);
	f->msg = calloc(1, sizeof(*f->msg));
	f->enc = calloc(1, sizeof(*f->enc));
	assert_non_null(f->msg);
	assert_non_null(f->enc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->sv[0] >= 0)
		close(f->sv[0]);
	if (f->sv[1] >= 0)
		close(f->sv[1]);
	free(f->msg);
	free(f->enc);
	free(f);
	return 0;
}

/* ---- hand-built frames ---- */

struct raw {
	uint8_t b[TE_IPC_MSG_MAX + 64];
	size_t n;
};

static void raw_u16(struct raw *r, uint16_t v)
{
	r->b[r->n++] = (uint8_t)(v >> 8);
	r->b[r->n++] = (uint8_t)v;
}

static void raw_u32(struct raw *r, uint32_t v)
{
	raw_u16(r, (uint16_t)(v >> 16));
	raw_u16(r, (uint16_t)v);
}

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

/* A u16-length-prefixed field. */
static void raw_field(struct raw *r, const void *p, size_t n)
{
	raw_u16(r, (uint16_t)n);
	raw_bytes(r, p, n);
}

static void raw_hdr(struct raw *r, uint16_t version, uint16_t type, uint32_t id, uint32_t len)
{
	r->n = 0;
	raw_u16(r, version);
	raw_u16(r, type);
	raw_u32(r, id);
	raw_u32(r, len);
}

/* Patches the header's length to the body actually appended. */
static void raw_fix_len(struct raw *r)
{
	uint32_t len = (uint32_t)(r->n - TE_IPC_HDR_LEN);

	r->b[8] = (uint8_t)(len >> 24);
	r->b[9] = (uint8_t)(len >> 16);
	r->b[10] = (uint8_t)(len >> 8);
	r->b[11] = (uint8_t)len;
}

static void raw_send(int fd, const struct raw *r)
{
	assert_int_equal(send(fd, r->b, r->n, MSG_NOSIGNAL), (ssize_t)r->n);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* Receives and expects a protocol error whose detail mentions `what`,
 * with the message wiped. */
static void expect_malformed(struct fx *f, const char *what)
{
	te_err rc;

	memset(f->msg, 0xa5, sizeof(*f->msg));
	rc = te_ipc_recv(f->sv[1], f->msg);
	if (rc != TE_ERR_MALFORMED || strstr(te_err_detail(), what) == NULL)
		fail_msg("expected MALFORMED '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	assert_true(all_zero(f->msg, sizeof(*f->msg)));
}

/* Receives a well-framed message, then expects its decoder to refuse. */
static void expect_decode_malformed(struct fx *f, const char *what)
{
	te_ipc_sign_derived_req req;
	te_err rc;

	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	rc = te_ipc_sign_derived_req_decode(f->msg, &req);
	if (rc != TE_ERR_MALFORMED || strstr(te_err_detail(), what) == NULL)
		fail_msg("expected MALFORMED '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
}

/* A SIGN_DERIVED_REQ frame with the given module field bytes. */
static void raw_sign_req(struct raw *r, const void *module, size_t module_len)
{
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_SIGN_DERIVED_REQ, 7, 0);
	raw_field(r, module, module_len);
	raw_field(r, "1234", 4);
	raw_field(r, "primary", 7);
	raw_field(r, "data", 4);
	raw_fix_len(r);
}

/* ---- round trips ---- */

/* Sends enc, receives into msg, checks the frame and that it re-encodes
 * to the same bytes via `reencode` (done by the caller). */
static void send_recv(struct fx *f, uint32_t id)
{
	f->enc->id = id;
	assert_int_equal(te_ipc_send_msg(f->sv[0], f->enc), TE_OK);
	memset(f->msg, 0, sizeof(*f->msg));
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	assert_int_equal(f->msg->type, f->enc->type);
	assert_int_equal(f->msg->id, id);
	assert_int_equal(f->msg->len, f->enc->len);
	assert_memory_equal(f->msg->body, f->enc->body, f->enc->len);
}

static void test_empty_types(void **state)
{
	struct fx *f = *state;
	const uint16_t types[] = {TE_IPC_PING, TE_IPC_PONG, TE_IPC_READY};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(te_ipc_send(f->sv[0], types[i], 0xfedcba98u, NULL, 0), TE_OK);
		assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
		assert_int_equal(f->msg->type, types[i]);
		assert_int_equal(f->msg->id, 0xfedcba98u);
		assert_int_equal(f->msg->len, 0);
	}
	/* Replies travel the other way on the same pair. */
	assert_int_equal(te_ipc_send(f->sv[1], TE_IPC_PONG, 1, NULL, 0), TE_OK);
	assert_int_equal(te_ipc_recv(f->sv[0], f->msg), TE_OK);
	assert_int_equal(f->msg->type, TE_IPC_PONG);
	assert_string_equal(te_ipc_type_name(TE_IPC_READY), "READY");
	assert_string_equal(te_ipc_type_name(999), "unknown");
}

static void test_sign_derived_req(void **state)
{
	struct fx *f = *state;
	static uint8_t data[TE_IPC_SIGN_DATA_MAX];
	te_ipc_sign_derived_req in, out;

	memset(&in, 0, sizeof(in));
	memset(in.module, 'm', TE_IPC_MODULE_MAX); /* longest allowed fields */
	memset(in.genid, 'g', TE_IPC_GENID_MAX);
	memset(in.key_id, 'k', TE_IPC_KEY_ID_MAX);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	in.data = data;
	in.data_len = sizeof(data);
	assert_int_equal(te_ipc_sign_derived_req_encode(&in, f->enc), TE_OK);
	assert_int_equal(f->enc->type, TE_IPC_SIGN_DERIVED_REQ);
	send_recv(f, 42);
	assert_int_equal(te_ipc_sign_derived_req_decode(f->msg, &out), TE_OK);
	assert_string_equal(out.module, in.module);
	assert_string_equal(out.genid, in.genid);
	assert_string_equal(out.key_id, in.key_id);
	assert_int_equal(out.data_len, sizeof(data));
	assert_memory_equal(out.data, data, sizeof(data));
	/* Byte fields point into the received message. */
	assert_true(out.data >= f->msg->body && out.data < f->msg->body + f->msg->len);

	/* Short fields and empty data. */
	memset(&in, 0, sizeof(in));
	snprintf(in.module, sizeof(in.module), "%s", "tempSensor");
	snprintf(in.genid, sizeof(in.genid), "%s", "637236876234568484");
	snprintf(in.key_id, sizeof(in.key_id), "%s", "primary");
	assert_int_equal(te_ipc_sign_derived_req_encode(&in, f->enc), TE_OK);
	send_recv(f, 43);
	assert_int_equal(te_ipc_sign_derived_req_decode(f->msg, &out), TE_OK);
	assert_string_equal(out.module, "tempSensor");
	assert_string_equal(out.key_id, "primary");
	assert_int_equal(out.data_len, 0);
	assert_int_equal(te_ipc_sign_derived_req_encode(&out, f->enc), TE_OK);
	assert_int_equal(f->enc->len, f->msg->len);
	assert_memory_equal(f->enc->body, f->msg->body, f->msg->len);
}

static void test_sign_reply(void **state)
{
	struct fx *f = *state;
	uint8_t digest[32];
	te_ipc_sign_reply in = {digest, sizeof(digest)}, out;

	memset(digest, 0x5c, sizeof(digest));
	assert_int_equal(te_ipc_sign_reply_encode(&in, f->enc), TE_OK);
	send_recv(f, 1);
	assert_true(te_ipc_type_is_secret(f->msg->type));
	assert_int_equal(te_ipc_sign_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.digest_len, 32);
	assert_memory_equal(out.digest, digest, 32);
}

static void check_crypt_req(struct fx *f, int encrypt, size_t data_len)
{
	static uint8_t data[TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX];
	uint8_t iv[16];
	te_ipc_crypt_req in, out;

	memset(&in, 0, sizeof(in));
	snprintf(in.module, sizeof(in.module), "%s", "filter");
	snprintf(in.genid, sizeof(in.genid), "%s", "1");
	memset(iv, 0x11, sizeof(iv));
	memset(data, 0x77, sizeof(data));
	in.iv = iv;
	in.iv_len = sizeof(iv);
	in.data = data;
	in.data_len = data_len;
	if (encrypt)
		assert_int_equal(te_ipc_encrypt_req_encode(&in, f->enc), TE_OK);
	else
		assert_int_equal(te_ipc_decrypt_req_encode(&in, f->enc), TE_OK);
	send_recv(f, 9);
	if (encrypt) {
		assert_int_equal(f->msg->type, TE_IPC_ENCRYPT_REQ);
		assert_true(te_ipc_type_is_secret(f->msg->type));
		assert_int_equal(te_ipc_encrypt_req_decode(f->msg, &out), TE_OK);
		/* The decoders do not mix the two up. */
		assert_int_equal(te_ipc_decrypt_req_decode(f->msg, &out), TE_ERR_MALFORMED);
		assert_int_equal(te_ipc_encrypt_req_decode(f->msg, &out), TE_OK);
	} else {
		assert_int_equal(f->msg->type, TE_IPC_DECRYPT_REQ);
		assert_int_equal(te_ipc_decrypt_req_decode(f->msg, &out), TE_OK);
	}
	assert_string_equal(out.module, "filter");
	assert_string_equal(out.genid, "1");
	assert_int_equal(out.iv_len, sizeof(iv));
	assert_memory_equal(out.iv, iv, sizeof(iv));
	assert_int_equal(out.data_len, data_len);
	assert_memory_equal(out.data, data, data_len);
	/* The caller's duty for secret types: wipe; then nothing is left. */
	te_ipc_msg_wipe(f->msg);
	assert_true(all_zero(f->msg, sizeof(*f->msg)));
}

static void test_crypt_reqs(void **state)
{
	struct fx *f = *state;

	check_crypt_req(f, 1, 0);
	check_crypt_req(f, 1, TE_IPC_CRYPT_DATA_MAX);
	check_crypt_req(f, 0, 1);
	check_crypt_req(f, 0, TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX);
}

static void test_crypt_reply(void **state)
{
	struct fx *f = *state;
	uint8_t pt[100];
	te_ipc_crypt_reply in = {pt, sizeof(pt)}, out;

	memset(pt, 0x42, sizeof(pt));
	assert_int_equal(te_ipc_crypt_reply_encode(&in, f->enc), TE_OK);
	send_recv(f, 5);
	assert_true(te_ipc_type_is_secret(f->msg->type));
	assert_int_equal(te_ipc_crypt_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.data_len, sizeof(pt));
	assert_memory_equal(out.data, pt, sizeof(pt));
	te_ipc_msg_wipe(f->msg);
	te_ipc_msg_wipe(f->enc);
}

static void test_error_reply(void **state)
{
	struct fx *f = *state;
	te_ipc_error_reply in, out;

	memset(&in, 0, sizeof(in));
	in.code = TE_ERR_PERMISSION;
	snprintf(in.message, sizeof(in.message), "%s", "module 'a' may not use key 'b'");
	assert_int_equal(te_ipc_error_reply_encode(&in, f->enc), TE_OK);
	send_recv(f, 77);
	assert_false(te_ipc_type_is_secret(f->msg->type));
	assert_int_equal(te_ipc_error_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.code, TE_ERR_PERMISSION);
	assert_string_equal(out.message, in.message);

	/* Longest and empty messages. */
	memset(in.message, 'x', TE_IPC_ERROR_MSG_MAX);
	in.message[TE_IPC_ERROR_MSG_MAX] = '\0';
	assert_int_equal(te_ipc_error_reply_encode(&in, f->enc), TE_OK);
	send_recv(f, 78);
	assert_int_equal(te_ipc_error_reply_decode(f->msg, &out), TE_OK);
	assert_string_equal(out.message, in.message);
	in.message[0] = '\0';
	assert_int_equal(te_ipc_error_reply_encode(&in, f->enc), TE_OK);
	send_recv(f, 79);
	assert_int_equal(te_ipc_error_reply_decode(f->msg, &out), TE_OK);
	assert_string_equal(out.message, "");
}

/* ---- certificates and trust bundles ---- */

/* A u8 and an i64, as the expiration fields. */
static void raw_expiration(struct raw *r, uint8_t has, uint64_t v)
{
	r->b[r->n++] = has;
	raw_u32(r, (uint32_t)(v >> 32));
	raw_u32(r, (uint32_t)v);
}

static void raw_cert_server_req(struct raw *r, const void *cn, size_t cn_len, uint8_t has,
                                uint64_t exp)
{
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERT_SERVER_REQ, 3, 0);
	raw_field(r, "edgeHub", 7);
	raw_field(r, "1", 1);
	raw_field(r, cn, cn_len);
	raw_expiration(r, has, exp);
	raw_fix_len(r);
}

/* Receives a well-framed message and expects `decode` to refuse it. */
static void expect_cert_decode_malformed(struct fx *f, uint16_t type, const char *what)
{
	te_ipc_cert_req req;
	te_ipc_cert_reply rep;
	te_ipc_bundle_reply b;
	te_err rc;

	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	assert_int_equal(f->msg->type, type);
	switch (type) {
	case TE_IPC_CERT_SERVER_REQ:
		rc = te_ipc_cert_server_req_decode(f->msg, &req);
		break;
	case TE_IPC_CERT_IDENTITY_REQ:
		rc = te_ipc_cert_identity_req_decode(f->msg, &req);
		break;
	case TE_IPC_CERT_REPLY:
		rc = te_ipc_cert_reply_decode(f->msg, &rep);
		break;
	default:
		rc = te_ipc_bundle_reply_decode(f->msg, &b);
		break;
	}
	if (rc != TE_ERR_MALFORMED || strstr(te_err_detail(), what) == NULL)
		fail_msg("expected MALFORMED '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	te_ipc_msg_wipe(f->msg);
}

static void test_cert_server_req(void **state)
{
	struct fx *f = *state;
	te_ipc_cert_req in, out;
	const int64_t exps[] = {0, 1, 1767225600, INT64_MAX, -1, INT64_MIN};

	memset(&in, 0, sizeof(in));
	memset(in.module, 'm', TE_IPC_MODULE_MAX); /* longest allowed fields */
	memset(in.genid, 'g', TE_IPC_GENID_MAX);
	memset(in.common_name, 'c', TE_IPC_CN_MAX);
	for (size_t i = 0; i < sizeof(exps) / sizeof(exps[0]); i++) {
		in.has_expiration = exps[i] != 0;
		in.expiration = exps[i];
		assert_int_equal(te_ipc_cert_server_req_encode(&in, f->enc), TE_OK);
		assert_int_equal(f->enc->type, TE_IPC_CERT_SERVER_REQ);
		assert_int_equal(f->enc->len, 3 * 2 + TE_IPC_MODULE_MAX + TE_IPC_GENID_MAX +
		                                  TE_IPC_CN_MAX + 1 + 8);
		send_recv(f, 100 + (uint32_t)i);
		assert_false(te_ipc_type_is_secret(f->msg->type));
		memset(&out, 0x55, sizeof(out));
		assert_int_equal(te_ipc_cert_server_req_decode(f->msg, &out), TE_OK);
		assert_string_equal(out.module, in.module);
		assert_string_equal(out.genid, in.genid);
		assert_string_equal(out.common_name, in.common_name);
		assert_int_equal(out.has_expiration, in.has_expiration);
		assert_true(out.expiration == exps[i]);
	}
	/* Shortest fields; the wire bytes are pinned. */
	memset(&in, 0, sizeof(in));
	snprintf(in.module, sizeof(in.module), "%s", "m");
	snprintf(in.genid, sizeof(in.genid), "%s", "1");
	snprintf(in.common_name, sizeof(in.common_name), "%s", "h");
	in.has_expiration = 1;
	in.expiration = 0x0102030405060708;
	assert_int_equal(te_ipc_cert_server_req_encode(&in, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 18);
	assert_memory_equal(f->enc->body, "\0\1m\0\0011\0\1h\1\1\2\3\4\5\6\7\x08", 18);
	send_recv(f, 7);
	assert_int_equal(te_ipc_cert_server_req_decode(f->msg, &out), TE_OK);
	assert_string_equal(out.common_name, "h");
	/* Not an identity request. */
	assert_int_equal(te_ipc_cert_identity_req_decode(f->msg, &out), TE_ERR_MALFORMED);
}

static void test_cert_identity_req(void **state)
{
	struct fx *f = *state;
	te_ipc_cert_req in, out;

	memset(&in, 0, sizeof(in));
	memset(in.module, 'm', TE_IPC_MODULE_MAX);
	/* genid and common_name are not part of this request. */
	snprintf(in.genid, sizeof(in.genid), "%s", "ignored");
	snprintf(in.common_name, sizeof(in.common_name), "%s", "ignored");
	assert_int_equal(te_ipc_cert_identity_req_encode(&in, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 2 + TE_IPC_MODULE_MAX + 9);
	send_recv(f, 11);
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(te_ipc_cert_identity_req_decode(f->msg, &out), TE_OK);
	assert_string_equal(out.module, in.module);
	assert_string_equal(out.genid, "");
	assert_string_equal(out.common_name, "");
	assert_int_equal(out.has_expiration, 0);
	assert_true(out.expiration == 0);

	snprintf(in.module, sizeof(in.module), "%s", "$edgeAgent");
	in.has_expiration = 1;
	in.expiration = 1700000000;
	assert_int_equal(te_ipc_cert_identity_req_encode(&in, f->enc), TE_OK);
	send_recv(f, 12);
	assert_int_equal(te_ipc_cert_identity_req_decode(f->msg, &out), TE_OK);
	assert_string_equal(out.module, "$edgeAgent");
	assert_int_equal(out.has_expiration, 1);
	assert_true(out.expiration == 1700000000);
	assert_int_equal(te_ipc_cert_server_req_decode(f->msg, &out), TE_ERR_MALFORMED);
	assert_non_null(strstr(te_err_detail(), "expected a CERT_SERVER_REQ message"));
}

static void test_cert_reply(void **state)
{
	struct fx *f = *state;
	static char cert[TE_IPC_CERT_PEM_MAX], key[TE_IPC_KEY_PEM_MAX];
	te_ipc_cert_reply in, out;

	memset(cert, 'C', sizeof(cert));
	memset(key, 'K', sizeof(key));
	/* Both fields at their maximum: the largest CERT_REPLY fits. */
	in.cert_pem = cert;
	in.cert_pem_len = sizeof(cert);
	in.key_pem = key;
	in.key_pem_len = sizeof(key);
	in.expiration = 1893456000;
	assert_int_equal(te_ipc_cert_reply_encode(&in, f->enc), TE_OK);
	assert_int_equal(f->enc->type, TE_IPC_CERT_REPLY);
	assert_int_equal(f->enc->len, 2 + sizeof(cert) + 2 + sizeof(key) + 8);
	send_recv(f, 21);
	assert_true(te_ipc_type_is_secret(f->msg->type));
	assert_string_equal(te_ipc_type_name(f->msg->type), "CERT_REPLY");
	assert_int_equal(te_ipc_cert_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.cert_pem_len, sizeof(cert));
	assert_memory_equal(out.cert_pem, cert, sizeof(cert));
	assert_int_equal(out.key_pem_len, sizeof(key));
	assert_memory_equal(out.key_pem, key, sizeof(key));
	assert_true(out.expiration == 1893456000);
	assert_true((const uint8_t *)out.key_pem >= f->msg->body &&
	            (const uint8_t *)out.key_pem < f->msg->body + f->msg->len);
	te_ipc_msg_wipe(f->msg);
	assert_true(all_zero(f->msg, sizeof(*f->msg)));

	/* Shortest. */
	in.cert_pem = "c";
	in.cert_pem_len = 1;
	in.key_pem = "k";
	in.key_pem_len = 1;
	in.expiration = -5;
	assert_int_equal(te_ipc_cert_reply_encode(&in, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 14);
	send_recv(f, 22);
	assert_int_equal(te_ipc_cert_reply_decode(f->msg, &out), TE_OK);
	assert_true(out.expiration == -5);
	te_ipc_msg_wipe(f->msg);
	te_ipc_msg_wipe(f->enc);
}

static void test_bundle_types(void **state)
{
	struct fx *f = *state;
	static char pem[TE_IPC_BUNDLE_PEM_MAX];
	te_ipc_bundle_reply in, out;

	assert_int_equal(te_ipc_trust_bundle_req_encode(f->enc), TE_OK);
	assert_int_equal(f->enc->type, TE_IPC_TRUST_BUNDLE_REQ);
	assert_int_equal(f->enc->len, 0);
	send_recv(f, 31);
	assert_int_equal(te_ipc_trust_bundle_req_decode(f->msg), TE_OK);
	assert_int_equal(te_ipc_manifest_trust_bundle_req_decode(f->msg), TE_ERR_MALFORMED);
	assert_string_equal(te_ipc_type_name(TE_IPC_TRUST_BUNDLE_REQ), "TRUST_BUNDLE_REQ");

	assert_int_equal(te_ipc_manifest_trust_bundle_req_encode(f->enc), TE_OK);
	assert_int_equal(f->enc->type, TE_IPC_MANIFEST_TRUST_BUNDLE_REQ);
	send_recv(f, 32);
	assert_int_equal(te_ipc_manifest_trust_bundle_req_decode(f->msg), TE_OK);
	assert_int_equal(te_ipc_trust_bundle_req_decode(f->msg), TE_ERR_MALFORMED);
	assert_string_equal(te_ipc_type_name(TE_IPC_MANIFEST_TRUST_BUNDLE_REQ),
	                    "MANIFEST_TRUST_BUNDLE_REQ");
	/* A hand-made empty request with a body is refused. */
	f->msg->len = 1;
	assert_int_equal(te_ipc_manifest_trust_bundle_req_decode(f->msg), TE_ERR_MALFORMED);

	/* Largest and empty bundles. */
	memset(pem, 'P', sizeof(pem));
	in.pem = pem;
	in.pem_len = sizeof(pem);
	assert_int_equal(te_ipc_bundle_reply_encode(&in, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 2 + sizeof(pem));
	send_recv(f, 33);
	assert_false(te_ipc_type_is_secret(f->msg->type));
	assert_int_equal(te_ipc_bundle_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.pem_len, sizeof(pem));
	assert_memory_equal(out.pem, pem, sizeof(pem));
	in.pem = NULL;
	in.pem_len = 0;
	assert_int_equal(te_ipc_bundle_reply_encode(&in, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 2);
	send_recv(f, 34);
	assert_int_equal(te_ipc_bundle_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.pem_len, 0);
}

static void test_cert_encoders_refuse(void **state)
{
	struct fx *f = *state;
	static char big[TE_IPC_BUNDLE_PEM_MAX + 1];
	te_ipc_cert_req r;
	te_ipc_cert_reply c;
	te_ipc_bundle_reply b;

	memset(big, 'x', sizeof(big));
	memset(&r, 0, sizeof(r));
	snprintf(r.module, sizeof(r.module), "%s", "m");
	snprintf(r.genid, sizeof(r.genid), "%s", "1");
	/* common_name: empty, too long */
	assert_int_equal(te_ipc_cert_server_req_encode(&r, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "common_name of 0 characters outside 1..64"));
	memset(r.common_name, 'c', sizeof(r.common_name)); /* not terminated */
	assert_int_equal(te_ipc_cert_server_req_encode(&r, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "common_name of 65 characters"));
	snprintf(r.common_name, sizeof(r.common_name), "%s", "host");
	/* genid is required for a server request */
	r.genid[0] = '\0';
	assert_int_equal(te_ipc_cert_server_req_encode(&r, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "genid"));
	snprintf(r.genid, sizeof(r.genid), "%s", "1");
	/* has_expiration other than 0/1, expiration without it */
	r.has_expiration = 2;
	assert_int_equal(te_ipc_cert_server_req_encode(&r, f->enc), TE_ERR_INVALID_ARG);
	assert_int_equal(te_ipc_cert_identity_req_encode(&r, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "has_expiration is 2"));
	r.has_expiration = 0;
	r.expiration = 5;
	assert_int_equal(te_ipc_cert_server_req_encode(&r, f->enc), TE_ERR_INVALID_ARG);
	assert_int_equal(te_ipc_cert_identity_req_encode(&r, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "expiration without has_expiration"));
	r.expiration = 0;
	/* module: empty */
	r.module[0] = '\0';
	assert_int_equal(te_ipc_cert_identity_req_encode(&r, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "module"));

	/* CERT_REPLY: empty, NULL, oversize, NUL inside */
	memset(&c, 0, sizeof(c));
	c.cert_pem = "c";
	c.cert_pem_len = 1;
	c.key_pem = "k";
	c.key_pem_len = 0;
	assert_int_equal(te_ipc_cert_reply_encode(&c, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "key_pem of 0 bytes outside 1..16384"));
	c.key_pem = NULL;
	c.key_pem_len = 1;
	assert_int_equal(te_ipc_cert_reply_encode(&c, f->enc), TE_ERR_INVALID_ARG);
	c.key_pem = big;
	c.key_pem_len = TE_IPC_KEY_PEM_MAX + 1;
	assert_int_equal(te_ipc_cert_reply_encode(&c, f->enc), TE_ERR_INVALID_ARG);
	c.key_pem_len = 1;
	c.cert_pem = big;
	c.cert_pem_len = TE_IPC_CERT_PEM_MAX + 1;
	assert_int_equal(te_ipc_cert_reply_encode(&c, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "cert_pem of 16385 bytes"));
	c.cert_pem = "a\0b";
	c.cert_pem_len = 3;
	assert_int_equal(te_ipc_cert_reply_encode(&c, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "cert_pem contains a NUL byte"));
	/* A refused reply leaves no key bytes behind in the message body. */
	memset(f->enc, 0, sizeof(*f->enc));
	c.cert_pem = "c";
	c.cert_pem_len = 1;
	c.key_pem = "SECRETKEY\0";
	c.key_pem_len = 10;
	assert_int_equal(te_ipc_cert_reply_encode(&c, f->enc), TE_ERR_INVALID_ARG);
	assert_true(all_zero(f->enc->body, sizeof(f->enc->body)));

	/* BUNDLE_REPLY: oversize, NULL, NUL inside */
	b.pem = big;
	b.pem_len = TE_IPC_BUNDLE_PEM_MAX + 1;
	assert_int_equal(te_ipc_bundle_reply_encode(&b, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "pem of 49153 bytes outside 0..49152"));
	b.pem = NULL;
	b.pem_len = 1;
	assert_int_equal(te_ipc_bundle_reply_encode(&b, f->enc), TE_ERR_INVALID_ARG);
	b.pem = "x\0";
	b.pem_len = 2;
	assert_int_equal(te_ipc_bundle_reply_encode(&b, f->enc), TE_ERR_INVALID_ARG);

	/* te_ipc_send refuses bodies outside the new types' bounds. */
	assert_int_equal(te_ipc_send(f->sv[0], TE_IPC_TRUST_BUNDLE_REQ, 1, big, 1),
	                 TE_ERR_INVALID_ARG);
	assert_int_equal(te_ipc_send(f->sv[0], TE_IPC_CERT_IDENTITY_REQ, 1, big, 11),
	                 TE_ERR_INVALID_ARG);
	assert_int_equal(
	    te_ipc_send(f->sv[0], TE_IPC_BUNDLE_REPLY, 1, big, 3 + TE_IPC_BUNDLE_PEM_MAX),
	    TE_ERR_INVALID_ARG);
}

/* Body lengths just outside each new type's bounds never reach a decoder. */
static void test_cert_bodies_outside_bounds(void **state)
{
	struct fx *f = *state;
	struct raw *r = calloc(1, sizeof(*r));
	const struct {
		uint16_t type;
		uint32_t len;
		const char *what;
	} cases[] = {
	    {TE_IPC_CERT_SERVER_REQ, 17, "CERT_SERVER_REQ body of 17 bytes outside 18..271"},
	    {TE_IPC_CERT_SERVER_REQ, 272, "CERT_SERVER_REQ body of 272 bytes outside 18..271"},
	    {TE_IPC_CERT_IDENTITY_REQ, 11, "CERT_IDENTITY_REQ body of 11 bytes outside 12..139"},
	    {TE_IPC_CERT_IDENTITY_REQ, 140, "CERT_IDENTITY_REQ body of 140 bytes"},
	    {TE_IPC_CERT_REPLY, 13, "CERT_REPLY body of 13 bytes outside 14..32780"},
	    {TE_IPC_CERT_REPLY, 32781, "CERT_REPLY body of 32781 bytes"},
	    {TE_IPC_TRUST_BUNDLE_REQ, 1, "TRUST_BUNDLE_REQ body of 1 bytes outside 0..0"},
	    {TE_IPC_MANIFEST_TRUST_BUNDLE_REQ, 2, "MANIFEST_TRUST_BUNDLE_REQ body of 2 bytes"},
	    {TE_IPC_BUNDLE_REPLY, 0, "BUNDLE_REPLY body of 0 bytes outside 2..49154"},
	    {TE_IPC_BUNDLE_REPLY, 1, "BUNDLE_REPLY body of 1 bytes"},
	    {TE_IPC_BUNDLE_REPLY, 49155, "BUNDLE_REPLY body of 49155 bytes"},
	};

	assert_non_null(r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_hdr(r, TE_IPC_VERSION, cases[i].type, 1, cases[i].len);
		memset(r->b + r->n, 0, cases[i].len);
		r->n += cases[i].len;
		raw_send(f->sv[0], r);
		expect_malformed(f, cases[i].what);
	}
	free(r);
}

static void test_cert_decoders_refuse(void **state)
{
	struct fx *f = *state;
	struct raw *r = calloc(1, sizeof(*r));
	char longcn[TE_IPC_CN_MAX + 1];

	assert_non_null(r);
	memset(longcn, 'c', sizeof(longcn));
	/* common_name: too long, empty, with a NUL */
	raw_cert_server_req(r, longcn, sizeof(longcn), 0, 0);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_SERVER_REQ, "common_name of 65 bytes");
	raw_cert_server_req(r, "", 0, 0, 0);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_SERVER_REQ, "common_name of 0 bytes");
	raw_cert_server_req(r, "a\0b", 3, 0, 0);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_SERVER_REQ, "common_name contains a NUL");
	/* has_expiration 2; an expiration without it */
	raw_cert_server_req(r, "host", 4, 2, 0);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_SERVER_REQ, "has_expiration is 2");
	raw_cert_server_req(r, "host", 4, 0, 1);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_SERVER_REQ,
	                             "expiration 1 without has_expiration");
	/* Truncated inside the expiration, and a byte left over. */
	raw_cert_server_req(r, "host", 4, 1, 1);
	r->n--;
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_SERVER_REQ, "CERT_SERVER_REQ");
	raw_cert_server_req(r, "host", 4, 1, 1);
	raw_bytes(r, "X", 1);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_SERVER_REQ, "1 trailing bytes");

	/* CERT_IDENTITY_REQ: a genid where the expiration belongs (its
	 * length prefix reads as has_expiration 0, then a non-zero i64),
	 * and a bad has_expiration. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERT_IDENTITY_REQ, 1, 0);
	raw_field(r, "mod", 3);
	raw_field(r, "1", 1);
	raw_expiration(r, 0, 0);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_IDENTITY_REQ, "without has_expiration");
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERT_IDENTITY_REQ, 1, 0);
	raw_field(r, "mod", 3);
	raw_expiration(r, 0xff, 0);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_IDENTITY_REQ, "has_expiration is 255");

	/* CERT_REPLY: empty key, NUL in the key, missing expiration byte,
	 * field past the end. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERT_REPLY, 1, 0);
	raw_field(r, "cert", 4);
	raw_field(r, "", 0);
	raw_u32(r, 0);
	raw_u32(r, 0);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_REPLY, "key_pem of 0 bytes outside 1..16384");
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERT_REPLY, 1, 0);
	raw_field(r, "cert", 4);
	raw_field(r, "k\0y", 3);
	raw_u32(r, 0);
	raw_u32(r, 0);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_REPLY, "key_pem contains a NUL byte");
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERT_REPLY, 1, 0);
	raw_field(r, "cert", 4);
	raw_field(r, "key", 3);
	raw_u32(r, 0);
	raw_u16(r, 0);
	raw_bytes(r, "\0", 1);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_REPLY, "CERT_REPLY");
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERT_REPLY, 1, 0);
	raw_field(r, "cert", 4);
	raw_u16(r, 100);
	raw_bytes(r, "key-and-then-some", 17);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_CERT_REPLY, "need 100 bytes");

	/* BUNDLE_REPLY: NUL inside, length prefix beyond the body, extra. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_BUNDLE_REPLY, 1, 0);
	raw_field(r, "pe\0m", 4);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_BUNDLE_REPLY, "pem contains a NUL byte");
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_BUNDLE_REPLY, 1, 0);
	raw_u16(r, 5);
	raw_bytes(r, "pem", 3);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_BUNDLE_REPLY, "need 5 bytes");
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_BUNDLE_REPLY, 1, 0);
	raw_field(r, "pem", 3);
	raw_bytes(r, "!", 1);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_cert_decode_malformed(f, TE_IPC_BUNDLE_REPLY, "1 trailing bytes");
	free(r);
}

/* ---- what the sender refuses ---- */

static void test_encoders_refuse(void **state)
{
	struct fx *f = *state;
	static uint8_t big[TE_IPC_BODY_MAX + 1];
	te_ipc_sign_derived_req s;
	te_ipc_crypt_req c;
	te_ipc_sign_reply sr = {NULL, 0};
	te_ipc_error_reply e;

	memset(&s, 0, sizeof(s));
	snprintf(s.genid, sizeof(s.genid), "%s", "1");
	snprintf(s.key_id, sizeof(s.key_id), "%s", "primary");
	assert_int_equal(te_ipc_sign_derived_req_encode(&s, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "module"));
	memset(s.module, 'm', sizeof(s.module)); /* not terminated: too long */
	assert_int_equal(te_ipc_sign_derived_req_encode(&s, f->enc), TE_ERR_INVALID_ARG);
	snprintf(s.module, sizeof(s.module), "%s", "m");
	s.data = big;
	s.data_len = TE_IPC_SIGN_DATA_MAX + 1;
	assert_int_equal(te_ipc_sign_derived_req_encode(&s, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "data"));
	s.data = NULL;
	s.data_len = 1;
	assert_int_equal(te_ipc_sign_derived_req_encode(&s, f->enc), TE_ERR_INVALID_ARG);

	assert_int_equal(te_ipc_sign_reply_encode(&sr, f->enc), TE_ERR_INVALID_ARG);

	memset(&c, 0, sizeof(c));
	snprintf(c.module, sizeof(c.module), "%s", "m");
	snprintf(c.genid, sizeof(c.genid), "%s", "g");
	c.iv = big;
	c.iv_len = 0;
	assert_int_equal(te_ipc_encrypt_req_encode(&c, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "iv"));
	c.iv_len = 12;
	c.data = big;
	c.data_len = TE_IPC_CRYPT_DATA_MAX + 1;
	assert_int_equal(te_ipc_encrypt_req_encode(&c, f->enc), TE_ERR_INVALID_ARG);
	c.data_len = 0;
	assert_int_equal(te_ipc_decrypt_req_encode(&c, f->enc), TE_ERR_INVALID_ARG);

	memset(&e, 0, sizeof(e));
	e.code = TE_OK;
	assert_int_equal(te_ipc_error_reply_encode(&e, f->enc), TE_ERR_INVALID_ARG);
	e.code = TE_ERR__COUNT;
	assert_int_equal(te_ipc_error_reply_encode(&e, f->enc), TE_ERR_INVALID_ARG);

	/* te_ipc_send refuses what the receiver would. */
	assert_int_equal(te_ipc_send(f->sv[0], 0, 1, NULL, 0), TE_ERR_INVALID_ARG);
	assert_int_equal(te_ipc_send(f->sv[0], 200, 1, NULL, 0), TE_ERR_INVALID_ARG);
	assert_int_equal(te_ipc_send(f->sv[0], TE_IPC_PING, 1, big, 1), TE_ERR_INVALID_ARG);
	assert_int_equal(te_ipc_send(f->sv[0], TE_IPC_CRYPT_REPLY, 1, big, sizeof(big)),
	                 TE_ERR_INVALID_ARG);
	assert_int_equal(te_ipc_send(f->sv[0], TE_IPC_SIGN_REPLY, 1, NULL, 3), TE_ERR_INVALID_ARG);
}

/* ---- what the receiver refuses: framing ---- */

static void test_header_len_mismatch(void **state)
{
	struct fx *f = *state;
	struct raw *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	/* Header claims one byte more than the datagram has... */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_SIGN_REPLY, 1, 5);
	raw_field(r, "ab", 2);
	raw_send(f->sv[0], r);
	expect_malformed(f, "header says 5 body bytes, datagram has 4");
	/* ...or one byte fewer. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_SIGN_REPLY, 1, 3);
	raw_field(r, "ab", 2);
	raw_send(f->sv[0], r);
	expect_malformed(f, "header says 3 body bytes");
	/* A huge claimed length. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_PING, 1, 0xffffffffu);
	raw_send(f->sv[0], r);
	expect_malformed(f, "header says");
	free(r);
}

static void test_truncated_header(void **state)
{
	struct fx *f = *state;
	struct raw *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_PING, 1, 0);
	r->n = TE_IPC_HDR_LEN - 1;
	raw_send(f->sv[0], r);
	expect_malformed(f, "truncated header (11 of 12 bytes)");
	r->n = 1;
	raw_send(f->sv[0], r);
	expect_malformed(f, "truncated header");
	free(r);
}

static void test_oversize_datagram(void **state)
{
	struct fx *f = *state;
	struct raw *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	/* A header that claims the real length, so only size can fail it. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CRYPT_REPLY, 1, TE_IPC_BODY_MAX + 1);
	memset(r->b + r->n, 0x33, TE_IPC_BODY_MAX + 1);
	r->n += TE_IPC_BODY_MAX + 1;
	raw_send(f->sv[0], r);
	expect_malformed(f, "datagram of 65549 bytes exceeds the maximum of 65548");
	/* The cut datagram is gone whole: the next one is read cleanly. */
	assert_int_equal(te_ipc_send(f->sv[0], TE_IPC_PING, 2, NULL, 0), TE_OK);
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	assert_int_equal(f->msg->id, 2);
	/* Exactly the maximum frames fine but is too big for any type. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_CRYPT_REPLY, 1, TE_IPC_BODY_MAX);
	r->n += TE_IPC_BODY_MAX;
	raw_send(f->sv[0], r);
	expect_malformed(f, "CRYPT_REPLY body of 65536 bytes outside");
	free(r);
}

static void test_unknown_type(void **state)
{
	struct fx *f = *state;
	struct raw r;
	/* The last type + 1 (IDSVC_REPLY is the highest number today). */
	const uint16_t bad[] = {0, TE_IPC_IDSVC_REPLY + 1, 0x8000, 0xffff};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_hdr(&r, TE_IPC_VERSION, bad[i], 1, 0);
		raw_send(f->sv[0], &r);
		expect_malformed(f, "unknown message type");
	}
}

static void test_bad_version(void **state)
{
	struct fx *f = *state;
	struct raw r;

	raw_hdr(&r, 0, TE_IPC_PING, 1, 0);
	raw_send(f->sv[0], &r);
	expect_malformed(f, "protocol version 0, expected 1");
	raw_hdr(&r, 2, TE_IPC_PING, 1, 0);
	raw_send(f->sv[0], &r);
	expect_malformed(f, "protocol version 2");
	raw_hdr(&r, 0x0100, TE_IPC_PING, 1, 0); /* little-endian 1 */
	raw_send(f->sv[0], &r);
	expect_malformed(f, "protocol version 256");
}

static void test_body_outside_bounds(void **state)
{
	struct fx *f = *state;
	struct raw r;
	uint8_t digest[TE_IPC_DIGEST_MAX + 1] = {0};

	raw_hdr(&r, TE_IPC_VERSION, TE_IPC_PING, 1, 0);
	raw_bytes(&r, "x", 1);
	raw_fix_len(&r);
	raw_send(f->sv[0], &r);
	expect_malformed(f, "PING body of 1 bytes outside 0..0");

	raw_hdr(&r, TE_IPC_VERSION, TE_IPC_SIGN_REPLY, 1, 0);
	raw_field(&r, digest, sizeof(digest));
	raw_fix_len(&r);
	raw_send(f->sv[0], &r);
	expect_malformed(f, "SIGN_REPLY body of 67 bytes outside 3..66");

	raw_hdr(&r, TE_IPC_VERSION, TE_IPC_SIGN_DERIVED_REQ, 1, 0);
	raw_send(f->sv[0], &r);
	expect_malformed(f, "SIGN_DERIVED_REQ body of 0 bytes");
}

static void test_peer_closed(void **state)
{
	struct fx *f = *state;

	close(f->sv[0]);
	f->sv[0] = -1;
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_ERR_IO);
	assert_non_null(strstr(te_err_detail(), "peer closed the channel"));
}

static void test_send_to_closed_peer(void **state)
{
	struct fx *f = *state;

	/* With the default action a SIGPIPE would end this test program. */
	signal(SIGPIPE, SIG_DFL);
	close(f->sv[1]);
	f->sv[1] = -1;
	assert_int_equal(te_ipc_send(f->sv[0], TE_IPC_PING, 1, NULL, 0), TE_ERR_IO);
	assert_non_null(strstr(te_err_detail(), "peer closed"));
}

static void test_nonblocking_empty(void **state)
{
	struct fx *f = *state;

	assert_int_equal(fcntl(f->sv[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_ERR_BUSY);
}

/* A peer that passes a file descriptor is refused and the fd not kept. */
static void test_fd_passing_refused(void **state)
{
	struct fx *f = *state;
	struct raw r;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	int fd = STDIN_FILENO;

	raw_hdr(&r, TE_IPC_VERSION, TE_IPC_PING, 1, 0);
	iov.iov_base = r.b;
	iov.iov_len = r.n;
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	assert_int_equal(sendmsg(f->sv[0], &mh, MSG_NOSIGNAL), (ssize_t)r.n);
	expect_malformed(f, "unexpected ancillary data");
}

/* ---- what the decoders refuse ---- */

static void test_string_with_nul(void **state)
{
	struct fx *f = *state;
	struct raw r;

	raw_sign_req(&r, "temp\0Sensor", 11);
	raw_send(f->sv[0], &r);
	expect_decode_malformed(f, "module contains a NUL byte");
	/* An empty or too long string field. */
	raw_sign_req(&r, "", 0);
	raw_send(f->sv[0], &r);
	expect_decode_malformed(f, "module of 0 bytes outside 1..128");
	{
		char longm[TE_IPC_MODULE_MAX + 1];

		memset(longm, 'm', sizeof(longm));
		raw_sign_req(&r, longm, sizeof(longm));
		raw_send(f->sv[0], &r);
		expect_decode_malformed(f, "module of 129 bytes");
	}
}

static void test_field_past_end(void **state)
{
	struct fx *f = *state;
	struct raw r;

	/* data's prefix says 5 but only 4 bytes follow. */
	raw_hdr(&r, TE_IPC_VERSION, TE_IPC_SIGN_DERIVED_REQ, 1, 0);
	raw_field(&r, "mod", 3);
	raw_field(&r, "1", 1);
	raw_field(&r, "primary", 7);
	raw_u16(&r, 5);
	raw_bytes(&r, "data", 4);
	raw_fix_len(&r);
	raw_send(f->sv[0], &r);
	expect_decode_malformed(f, "need 5 bytes");
	/* The body ends inside a length prefix. */
	raw_hdr(&r, TE_IPC_VERSION, TE_IPC_SIGN_DERIVED_REQ, 1, 0);
	raw_field(&r, "mod", 3);
	raw_field(&r, "1", 1);
	raw_field(&r, "primary", 7);
	raw_bytes(&r, "\0", 1);
	raw_fix_len(&r);
	raw_send(f->sv[0], &r);
	expect_decode_malformed(f, "SIGN_DERIVED_REQ");
}

static void test_trailing_bytes(void **state)
{
	struct fx *f = *state;
	struct raw r;
	te_ipc_error_reply e;

	raw_sign_req(&r, "mod", 3);
	raw_bytes(&r, "X", 1);
	raw_fix_len(&r);
	raw_send(f->sv[0], &r);
	expect_decode_malformed(f, "1 trailing bytes");

	/* ERROR_REPLY with a code that is no error, then a bad code. */
	raw_hdr(&r, TE_IPC_VERSION, TE_IPC_ERROR_REPLY, 1, 0);
	raw_u32(&r, 0);
	raw_field(&r, "x", 1);
	raw_fix_len(&r);
	raw_send(f->sv[0], &r);
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	assert_int_equal(te_ipc_error_reply_decode(f->msg, &e), TE_ERR_MALFORMED);
	assert_non_null(strstr(te_err_detail(), "is not an error"));
}

static void test_decoder_wrong_type(void **state)
{
	struct fx *f = *state;
	te_ipc_sign_reply sr;
	te_ipc_crypt_reply cr;

	assert_int_equal(te_ipc_send(f->sv[0], TE_IPC_PING, 1, NULL, 0), TE_OK);
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	assert_int_equal(te_ipc_sign_reply_decode(f->msg, &sr), TE_ERR_MALFORMED);
	assert_non_null(strstr(te_err_detail(), "expected a SIGN_REPLY message, got PING"));
	/* A hand-made message with a length beyond the body is refused. */
	f->msg->type = TE_IPC_CRYPT_REPLY;
	f->msg->len = TE_IPC_BODY_MAX;
	assert_int_equal(te_ipc_crypt_reply_decode(f->msg, &cr), TE_ERR_MALFORMED);
}

/* ---- the keys service ---- */

#define KS_HANDLE "AbCd-_09"

struct span {
	const void *p;
	size_t n;
};

#define SP(s)     ((struct span){(s), strlen(s)})
#define SPN(p, n) ((struct span){(p), (n)})
#define SP0       ((struct span){"", 0})

/* A KEYSVC_REQ body written field by field with no checks, straight into
 * m (type and length set): what a peer could send. */
static void ks_raw(te_ipc_msg *m, uint32_t uid, uint8_t op, struct span key_id, struct span from,
                   struct span handle, uint8_t alg, uint32_t usage, struct span prefs,
                   uint8_t param, uint16_t length, struct span key_bytes, struct span data,
                   struct span iv, struct span aad)
{
	struct raw *r = calloc(1, sizeof(*r));
	const struct span fields[] = {key_id, from, handle};
	const struct span tail[] = {key_bytes, data, iv, aad};

	assert_non_null(r);
	raw_u32(r, uid);
	r->b[r->n++] = op;
	for (size_t i = 0; i < 3; i++)
		raw_field(r, fields[i].p, fields[i].n);
	r->b[r->n++] = alg;
	raw_u32(r, usage);
	raw_field(r, prefs.p, prefs.n);
	r->b[r->n++] = param;
	raw_u16(r, length);
	for (size_t i = 0; i < 4; i++)
		raw_field(r, tail[i].p, tail[i].n);
	assert_true(r->n <= sizeof(m->body));
	memset(m, 0, sizeof(*m));
	m->type = TE_IPC_KEYSVC_REQ;
	m->len = (uint32_t)r->n;
	memcpy(m->body, r->b, r->n);
	free(r);
}

/* The raw body of a (possibly invalid) request struct. */
static void ks_raw_of(te_ipc_msg *m, const te_ipc_keysvc_req *q)
{
	static const uint8_t none[1];

	ks_raw(m, q->uid, q->op, SP(q->key_id), SP(q->from_key_id), SP(q->handle), q->alg, q->usage,
	       SPN(q->prefs, q->n_prefs), q->param, q->length_bytes,
	       SPN(q->key_bytes_len ? q->key_bytes : none, q->key_bytes_len),
	       SPN(q->data_len ? q->data : none, q->data_len),
	       SPN(q->iv_len ? q->iv : none, q->iv_len),
	       SPN(q->aad_len ? q->aad : none, q->aad_len));
}

static void ks_expect_decode_fails(struct fx *f, const char *what)
{
	te_ipc_keysvc_req out;
	te_err rc;

	memset(&out, 0x5a, sizeof(out));
	rc = te_ipc_keysvc_req_decode(f->msg, &out);
	if (rc != TE_ERR_MALFORMED || strstr(te_err_detail(), what) == NULL)
		fail_msg("expected MALFORMED '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	/* out is written only on success. */
	assert_int_equal(((uint8_t *)&out)[0], 0x5a);
}

/* q must be refused by the encoder (INVALID_ARG, detail has what), and
 * its raw body by the decoder (MALFORMED, the same words). */
static void ks_expect_refused(struct fx *f, const te_ipc_keysvc_req *q, const char *what)
{
	te_err rc;

	memset(f->enc, 0x77, sizeof(*f->enc));
	rc = te_ipc_keysvc_req_encode(q, f->enc);
	if (rc != TE_ERR_INVALID_ARG || strstr(te_err_detail(), what) == NULL)
		fail_msg("encode: expected INVALID_ARG '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	ks_raw_of(f->msg, q);
	ks_expect_decode_fails(f, what);
}

static void ks_req_init(te_ipc_keysvc_req *q, uint8_t op)
{
	memset(q, 0, sizeof(*q));
	q->uid = 1000;
	q->op = op;
}

/* Encodes q, sends it through the socketpair, decodes it and checks every
 * field, then that it re-encodes to the same bytes. */
static void ks_round_trip(struct fx *f, const te_ipc_keysvc_req *q)
{
	te_ipc_keysvc_req out;

	assert_int_equal(te_ipc_keysvc_req_encode(q, f->enc), TE_OK);
	assert_int_equal(f->enc->type, TE_IPC_KEYSVC_REQ);
	send_recv(f, 1000u + q->op);
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(te_ipc_keysvc_req_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.uid, q->uid);
	assert_int_equal(out.op, q->op);
	assert_string_equal(out.key_id, q->key_id);
	assert_string_equal(out.from_key_id, q->from_key_id);
	assert_string_equal(out.handle, q->handle);
	assert_int_equal(out.alg, q->alg);
	assert_int_equal(out.usage, q->usage);
	assert_int_equal(out.n_prefs, q->n_prefs);
	if (q->n_prefs > 0)
		assert_memory_equal(out.prefs, q->prefs, q->n_prefs);
	assert_int_equal(out.param, q->param);
	assert_int_equal(out.length_bytes, q->length_bytes);
	assert_int_equal(out.key_bytes_len, q->key_bytes_len);
	if (q->key_bytes_len > 0)
		assert_memory_equal(out.key_bytes, q->key_bytes, q->key_bytes_len);
	assert_int_equal(out.data_len, q->data_len);
	if (q->data_len > 0) {
		assert_memory_equal(out.data, q->data, q->data_len);
		/* Byte fields point into the message. */
		assert_true(out.data >= f->msg->body && out.data < f->msg->body + f->msg->len);
	}
	assert_int_equal(out.iv_len, q->iv_len);
	if (q->iv_len > 0)
		assert_memory_equal(out.iv, q->iv, q->iv_len);
	assert_int_equal(out.aad_len, q->aad_len);
	if (q->aad_len > 0)
		assert_memory_equal(out.aad, q->aad, q->aad_len);
	memset(f->enc, 0, sizeof(*f->enc));
	assert_int_equal(te_ipc_keysvc_req_encode(&out, f->enc), TE_OK);
	assert_int_equal(f->enc->len, f->msg->len);
	assert_memory_equal(f->enc->body, f->msg->body, f->msg->len);
}

static void test_keysvc_req_every_op(void **state)
{
	struct fx *f = *state;
	static uint8_t data[TE_IPC_KEYSVC_CIPHERTEXT_MAX], iv[TE_IPC_KEYSVC_IV_MAX],
	    aad[TE_IPC_KEYSVC_AAD_MAX], kb[TE_IPC_KEYSVC_KEY_BYTES_MAX];
	te_ipc_keysvc_req q;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	memset(iv, 0x11, sizeof(iv));
	memset(aad, 0x22, sizeof(aad));
	memset(kb, 0x33, sizeof(kb));

	assert_true(te_ipc_type_is_secret(TE_IPC_KEYSVC_REQ));
	assert_true(te_ipc_type_is_secret(TE_IPC_KEYSVC_REPLY));
	assert_string_equal(te_ipc_type_name(TE_IPC_KEYSVC_REQ), "KEYSVC_REQ");
	assert_string_equal(te_ipc_type_name(TE_IPC_KEYSVC_REPLY), "KEYSVC_REPLY");

	/* POST /key, generate and import, with a key id at its maximum. */
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_CREATE);
	q.uid = 0xfffffffeu;
	memset(q.key_id, 'k', TE_IPC_KEYSVC_ID_MAX);
	q.usage = TE_IPC_KEYSVC_USAGE_DERIVE | TE_IPC_KEYSVC_USAGE_SIGN;
	ks_round_trip(f, &q);
	q.length_bytes = TE_IPC_KEYSVC_KEY_BYTES_MAX;
	ks_round_trip(f, &q);
	q.length_bytes = 0;
	q.key_bytes = kb;
	q.key_bytes_len = sizeof(kb);
	ks_round_trip(f, &q);
	q.usage = TE_IPC_KEYSVC_USAGE_ENCRYPT;
	q.key_bytes_len = 1;
	ks_round_trip(f, &q);

	ks_req_init(&q, TE_IPC_KEYSVC_KEY_LOAD);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	ks_round_trip(f, &q);
	q.op = TE_IPC_KEYSVC_KEYPAIR_LOAD;
	ks_round_trip(f, &q);

	/* Handle-only ops, with a handle at its maximum. */
	{
		const uint8_t ops[] = {TE_IPC_KEYSVC_KEY_DELETE, TE_IPC_KEYSVC_KEYPAIR_DELETE,
		                       TE_IPC_KEYSVC_DERIVED_EXPORT, TE_IPC_KEYSVC_DERIVE};

		for (size_t i = 0; i < sizeof(ops); i++) {
			ks_req_init(&q, ops[i]);
			memset(q.handle, 'h', TE_IPC_KEYSVC_HANDLE_MAX);
			ks_round_trip(f, &q);
		}
	}
	/* DERIVE with derivation data at its maximum. */
	q.data = data;
	q.data_len = TE_IPC_KEYSVC_DERIVATION_MAX;
	ks_round_trip(f, &q);

	ks_req_init(&q, TE_IPC_KEYSVC_KEYPAIR_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "pair");
	for (size_t i = 0; i < TE_IPC_KEYSVC_PREFS_MAX; i++)
		q.prefs[q.n_prefs++] = (uint8_t)(1 + i % 4);
	ks_round_trip(f, &q);

	ks_req_init(&q, TE_IPC_KEYSVC_KEYPAIR_MOVE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "to");
	snprintf(q.from_key_id, sizeof(q.from_key_id), "%s", "from");
	ks_round_trip(f, &q);

	ks_req_init(&q, TE_IPC_KEYSVC_PARAMETER);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	for (uint8_t p = 1; p <= TE_IPC_KEYSVC_PARAM_RSA_EXPONENT; p++) {
		q.param = p;
		ks_round_trip(f, &q);
	}

	ks_req_init(&q, TE_IPC_KEYSVC_SIGN);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_ECDSA;
	q.data = data;
	q.data_len = TE_IPC_KEYSVC_DIGEST_MAX;
	ks_round_trip(f, &q);
	q.data_len = 1;
	ks_round_trip(f, &q);
	q.alg = TE_IPC_KEYSVC_ALG_HMAC_SHA256;
	q.data_len = 0;
	ks_round_trip(f, &q);
	q.data_len = TE_IPC_KEYSVC_MESSAGE_MAX;
	ks_round_trip(f, &q);

	ks_req_init(&q, TE_IPC_KEYSVC_ENCRYPT);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_AEAD;
	q.iv = iv;
	q.iv_len = TE_IPC_KEYSVC_IV_MAX;
	q.aad = aad;
	q.aad_len = TE_IPC_KEYSVC_AAD_MAX;
	q.data = data;
	q.data_len = TE_IPC_KEYSVC_PLAINTEXT_MAX;
	ks_round_trip(f, &q);
	q.data_len = 0;
	q.aad_len = 0;
	q.iv_len = 1;
	ks_round_trip(f, &q);
	q.alg = TE_IPC_KEYSVC_ALG_RSA_PKCS1;
	q.iv_len = 0;
	q.data_len = 5;
	ks_round_trip(f, &q);
	q.alg = TE_IPC_KEYSVC_ALG_RSA_NO_PADDING;
	ks_round_trip(f, &q);

	/* The largest request: a decrypt with every field at its maximum. */
	ks_req_init(&q, TE_IPC_KEYSVC_DECRYPT);
	memset(q.handle, 'h', TE_IPC_KEYSVC_HANDLE_MAX);
	q.alg = TE_IPC_KEYSVC_ALG_AEAD;
	q.iv = iv;
	q.iv_len = TE_IPC_KEYSVC_IV_MAX;
	q.aad = aad;
	q.aad_len = TE_IPC_KEYSVC_AAD_MAX;
	q.data = data;
	q.data_len = TE_IPC_KEYSVC_CIPHERTEXT_MAX;
	ks_round_trip(f, &q);
	assert_int_equal(f->msg->len, 29 + TE_IPC_KEYSVC_HANDLE_MAX + TE_IPC_KEYSVC_IV_MAX +
	                                  TE_IPC_KEYSVC_AAD_MAX + TE_IPC_KEYSVC_CIPHERTEXT_MAX);
	assert_true(te_ipc_type_is_secret(f->msg->type));
	q.aad_len = 0;
	q.data_len = 1;
	ks_round_trip(f, &q);

	/* The shortest request, its wire bytes pinned. */
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_LOAD);
	q.uid = 0x01020304;
	snprintf(q.key_id, sizeof(q.key_id), "%s", "k");
	assert_int_equal(te_ipc_keysvc_req_encode(&q, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 30);
	assert_memory_equal(f->enc->body,
	                    "\1\2\3\4\2\0\1k\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 30);
}

static void test_keysvc_req_field_bounds(void **state)
{
	struct fx *f = *state;
	static uint8_t big[TE_IPC_KEYSVC_CIPHERTEXT_MAX + 2];
	static char longs[TE_IPC_KEYSVC_HANDLE_MAX + 2];
	te_ipc_keysvc_req q;

	memset(big, 0x41, sizeof(big));
	memset(longs, 'a', sizeof(longs) - 1);

	/* Strings one past their maximum: the decoder sees them raw (the
	 * struct's arrays cannot hold them). */
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_KEY_LOAD, SPN(longs, TE_IPC_KEYSVC_ID_MAX + 1), SP0, SP0, 0,
	       0, SP0, 0, 0, SP0, SP0, SP0, SP0);
	ks_expect_decode_fails(f, "key_id of 129 bytes outside 0..128");
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_KEYPAIR_MOVE, SP("a"), SPN(longs, TE_IPC_KEYSVC_ID_MAX + 1),
	       SP0, 0, 0, SP0, 0, 0, SP0, SP0, SP0, SP0);
	ks_expect_decode_fails(f, "from_key_id of 129 bytes outside 0..128");
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_KEY_DELETE, SP0, SP0,
	       SPN(longs, TE_IPC_KEYSVC_HANDLE_MAX + 1), 0, 0, SP0, 0, 0, SP0, SP0, SP0, SP0);
	ks_expect_decode_fails(f, "handle of 585 bytes outside 0..584");
	/* A NUL inside a string. */
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_KEY_LOAD, SPN("a\0b", 3), SP0, SP0, 0, 0, SP0, 0, 0, SP0,
	       SP0, SP0, SP0);
	ks_expect_decode_fails(f, "key_id contains a NUL byte");
	/* Byte fields one past their maximum. */
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_KEYPAIR_CREATE, SP("a"), SP0, SP0, 0, 0,
	       SPN("\1\1\1\1\1\1\1\1\1", TE_IPC_KEYSVC_PREFS_MAX + 1), 0, 0, SP0, SP0, SP0, SP0);
	ks_expect_decode_fails(f, "prefs of 9 bytes outside 0..8");
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_KEY_CREATE, SP("a"), SP0, SP0, 0, 1, SP0, 0, 0,
	       SPN(big, TE_IPC_KEYSVC_KEY_BYTES_MAX + 1), SP0, SP0, SP0);
	ks_expect_decode_fails(f, "key_bytes of 65 bytes outside 0..64");
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_DECRYPT, SP0, SP0, SP(KS_HANDLE), TE_IPC_KEYSVC_ALG_AEAD, 0,
	       SP0, 0, 0, SP0, SPN(big, TE_IPC_KEYSVC_CIPHERTEXT_MAX + 1), SP("iv"), SP0);
	ks_expect_decode_fails(f, "data of 16449 bytes outside 0..16448");
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_ENCRYPT, SP0, SP0, SP(KS_HANDLE), TE_IPC_KEYSVC_ALG_AEAD, 0,
	       SP0, 0, 0, SP0, SP0, SPN(big, TE_IPC_KEYSVC_IV_MAX + 1), SP0);
	ks_expect_decode_fails(f, "iv of 65 bytes outside 0..64");
	ks_raw(f->msg, 0, TE_IPC_KEYSVC_ENCRYPT, SP0, SP0, SP(KS_HANDLE), TE_IPC_KEYSVC_ALG_AEAD, 0,
	       SP0, 0, 0, SP0, SP0, SP("iv"), SPN(big, TE_IPC_KEYSVC_AAD_MAX + 1));
	ks_expect_decode_fails(f, "aad of 1025 bytes outside 0..1024");

	/* The same through the encoder: over-long byte fields. */
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	q.usage = TE_IPC_KEYSVC_USAGE_SIGN;
	q.key_bytes = big;
	q.key_bytes_len = TE_IPC_KEYSVC_KEY_BYTES_MAX + 1;
	assert_int_equal(te_ipc_keysvc_req_encode(&q, f->enc), TE_ERR_INVALID_ARG);
	q.key_bytes_len = 0;
	q.length_bytes = TE_IPC_KEYSVC_KEY_BYTES_MAX + 1;
	ks_expect_refused(f, &q, "length_bytes 65 is more than 64");
	ks_req_init(&q, TE_IPC_KEYSVC_KEYPAIR_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	q.n_prefs = TE_IPC_KEYSVC_PREFS_MAX + 1;
	assert_int_equal(te_ipc_keysvc_req_encode(&q, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "9 algorithm preferences"));
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_DELETE);
	memset(q.handle, 'h', sizeof(q.handle)); /* not terminated */
	assert_int_equal(te_ipc_keysvc_req_encode(&q, f->enc), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "handle of 585 characters outside 0..584"));

	/* Per-op data bounds. */
	ks_req_init(&q, TE_IPC_KEYSVC_SIGN);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_HMAC_SHA256;
	q.data = big;
	q.data_len = TE_IPC_KEYSVC_MESSAGE_MAX + 1;
	ks_expect_refused(f, &q, "data of 8193 bytes outside 0..8192");
	q.alg = TE_IPC_KEYSVC_ALG_ECDSA;
	q.data_len = TE_IPC_KEYSVC_DIGEST_MAX + 1;
	ks_expect_refused(f, &q, "ECDSA digest of 65 bytes outside 1..64");
	q.data_len = 0;
	ks_expect_refused(f, &q, "ECDSA digest of 0 bytes outside 1..64");
	ks_req_init(&q, TE_IPC_KEYSVC_ENCRYPT);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_AEAD;
	q.iv = big;
	q.iv_len = 12;
	q.data = big;
	q.data_len = TE_IPC_KEYSVC_PLAINTEXT_MAX + 1;
	ks_expect_refused(f, &q, "data of 16385 bytes outside 0..16384");
	ks_req_init(&q, TE_IPC_KEYSVC_DERIVE);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.data = big;
	q.data_len = TE_IPC_KEYSVC_DERIVATION_MAX + 1;
	ks_expect_refused(f, &q, "data of 257 bytes outside 0..256");
}

static void test_keysvc_req_op_rules(void **state)
{
	struct fx *f = *state;
	te_ipc_keysvc_req q;
	const uint8_t iv[12] = {0};

	/* Unknown ops. */
	ks_req_init(&q, 0);
	ks_expect_refused(f, &q, "keysvc op 0 is unknown");
	ks_req_init(&q, TE_IPC_KEYSVC_DERIVED_EXPORT + 1);
	ks_expect_refused(f, &q, "keysvc op 14 is unknown");
	ks_req_init(&q, 0xff);
	ks_expect_refused(f, &q, "keysvc op 255 is unknown");

	/* Missing fields. */
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_CREATE);
	q.usage = TE_IPC_KEYSVC_USAGE_SIGN;
	ks_expect_refused(f, &q, "KEY_CREATE needs field key_id");
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	q.usage = 0;
	ks_expect_refused(f, &q, "KEY_CREATE needs field usage");
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_DELETE);
	ks_expect_refused(f, &q, "KEY_DELETE needs field handle");
	ks_req_init(&q, TE_IPC_KEYSVC_KEYPAIR_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	ks_expect_refused(f, &q, "KEYPAIR_CREATE needs field prefs");
	ks_req_init(&q, TE_IPC_KEYSVC_KEYPAIR_MOVE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	ks_expect_refused(f, &q, "KEYPAIR_MOVE needs field from_key_id");
	ks_req_init(&q, TE_IPC_KEYSVC_PARAMETER);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	ks_expect_refused(f, &q, "PARAMETER needs field param");
	ks_req_init(&q, TE_IPC_KEYSVC_SIGN);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	ks_expect_refused(f, &q, "SIGN needs field alg");
	ks_req_init(&q, TE_IPC_KEYSVC_DECRYPT);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_AEAD;
	q.data = iv;
	q.data_len = 1;
	ks_expect_refused(f, &q, "DECRYPT needs field iv");
	q.iv = iv;
	q.iv_len = 12;
	q.data_len = 0;
	ks_expect_refused(f, &q, "DECRYPT needs field data");

	/* Fields an op does not take. */
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_LOAD);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	q.length_bytes = 1;
	ks_expect_refused(f, &q, "KEY_LOAD does not take field length_bytes");
	q.length_bytes = 0;
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	ks_expect_refused(f, &q, "KEY_LOAD does not take field handle");
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_DELETE);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.data = iv;
	q.data_len = 1;
	ks_expect_refused(f, &q, "KEY_DELETE does not take field data");
	q.data_len = 0;
	q.aad = iv;
	q.aad_len = 1;
	ks_expect_refused(f, &q, "KEY_DELETE does not take field aad");
	q.aad_len = 0;
	q.param = 1;
	ks_expect_refused(f, &q, "KEY_DELETE does not take field param");
	ks_req_init(&q, TE_IPC_KEYSVC_SIGN);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_HMAC_SHA256;
	q.usage = 1;
	ks_expect_refused(f, &q, "SIGN does not take field usage");
	ks_req_init(&q, TE_IPC_KEYSVC_DERIVE);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.key_bytes = iv;
	q.key_bytes_len = 1;
	ks_expect_refused(f, &q, "DERIVE does not take field key_bytes");
	ks_req_init(&q, TE_IPC_KEYSVC_KEYPAIR_LOAD);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	q.prefs[0] = 1;
	q.n_prefs = 1;
	ks_expect_refused(f, &q, "KEYPAIR_LOAD does not take field prefs");
	q.n_prefs = 0;
	snprintf(q.from_key_id, sizeof(q.from_key_id), "%s", "b");
	ks_expect_refused(f, &q, "KEYPAIR_LOAD does not take field from_key_id");

	/* Values. */
	ks_req_init(&q, TE_IPC_KEYSVC_KEY_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	q.usage = 0x8;
	ks_expect_refused(f, &q, "unknown usage bits 0x8");
	q.usage = TE_IPC_KEYSVC_USAGE_SIGN;
	q.length_bytes = 32;
	q.key_bytes = iv;
	q.key_bytes_len = 1;
	ks_expect_refused(f, &q, "length_bytes and key_bytes exclude each other");
	q.length_bytes = 0;
	snprintf(q.key_id, sizeof(q.key_id), "%s", ".hidden");
	ks_expect_refused(f, &q, "key_id breaks the key-name rules");
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a/b");
	ks_expect_refused(f, &q, "key_id breaks the key-name rules");
	ks_req_init(&q, TE_IPC_KEYSVC_KEYPAIR_MOVE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "same");
	snprintf(q.from_key_id, sizeof(q.from_key_id), "%s", "same");
	ks_expect_refused(f, &q, "from_key_id is key_id");
	snprintf(q.from_key_id, sizeof(q.from_key_id), "%s", "../x");
	ks_expect_refused(f, &q, "from_key_id breaks the key-name rules");
	ks_req_init(&q, TE_IPC_KEYSVC_KEYPAIR_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "a");
	q.prefs[0] = 1;
	q.prefs[1] = 5;
	q.n_prefs = 2;
	ks_expect_refused(f, &q, "unknown algorithm preference 5");
	q.prefs[1] = 0;
	ks_expect_refused(f, &q, "unknown algorithm preference 0");
	ks_req_init(&q, TE_IPC_KEYSVC_PARAMETER);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.param = TE_IPC_KEYSVC_PARAM_RSA_EXPONENT + 1;
	ks_expect_refused(f, &q, "unknown parameter 6");
	q.param = 1;
	snprintf(q.handle, sizeof(q.handle), "%s", "a+b=");
	ks_expect_refused(f, &q, "handle is not base64url");
	ks_req_init(&q, TE_IPC_KEYSVC_SIGN);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_AEAD;
	ks_expect_refused(f, &q, "SIGN: algorithm 3");
	ks_req_init(&q, TE_IPC_KEYSVC_ENCRYPT);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_HMAC_SHA256;
	ks_expect_refused(f, &q, "ENCRYPT: algorithm 2");
	q.alg = TE_IPC_KEYSVC_ALG_RSA_NO_PADDING + 1;
	ks_expect_refused(f, &q, "ENCRYPT: algorithm 6");
	q.alg = TE_IPC_KEYSVC_ALG_AEAD;
	ks_expect_refused(f, &q, "AEAD needs field iv");
	q.alg = TE_IPC_KEYSVC_ALG_RSA_PKCS1;
	q.iv = iv;
	q.iv_len = 12;
	ks_expect_refused(f, &q, "RSA takes no iv or aad");
	ks_req_init(&q, TE_IPC_KEYSVC_DECRYPT);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_RSA_PKCS1;
	q.iv = iv;
	q.iv_len = 12;
	q.data = iv;
	q.data_len = 12;
	ks_expect_refused(f, &q, "DECRYPT: algorithm 4");
}

/* A valid body cut at every length, or with a byte more, is refused. */
static void test_keysvc_truncated(void **state)
{
	struct fx *f = *state;
	te_ipc_keysvc_req q, out;
	te_ipc_keysvc_reply rep, rout;
	const uint8_t iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	uint32_t full;

	ks_req_init(&q, TE_IPC_KEYSVC_ENCRYPT);
	snprintf(q.handle, sizeof(q.handle), "%s", KS_HANDLE);
	q.alg = TE_IPC_KEYSVC_ALG_AEAD;
	q.iv = iv;
	q.iv_len = sizeof(iv);
	q.aad = iv;
	q.aad_len = 3;
	q.data = iv;
	q.data_len = 5;
	assert_int_equal(te_ipc_keysvc_req_encode(&q, f->msg), TE_OK);
	full = f->msg->len;
	for (uint32_t n = 0; n < full; n++) {
		f->msg->len = n;
		assert_int_equal(te_ipc_keysvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
	}
	f->msg->len = full + 1;
	assert_int_equal(te_ipc_keysvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
	f->msg->len = full;
	assert_int_equal(te_ipc_keysvc_req_decode(f->msg, &out), TE_OK);
	/* Through the socket: the body bounds of the type. */
	{
		struct raw *r = calloc(1, sizeof(*r));

		assert_non_null(r);
		raw_hdr(r, TE_IPC_VERSION, TE_IPC_KEYSVC_REQ, 1, 0);
		raw_bytes(r, f->msg->body, 28);
		raw_fix_len(r);
		raw_send(f->sv[0], r);
		expect_malformed(f, "KEYSVC_REQ body of 28 bytes outside 29..18477");
		raw_hdr(r, TE_IPC_VERSION, TE_IPC_KEYSVC_REQ, 1, 18478);
		memset(r->b + r->n, 0, 18478);
		r->n += 18478;
		raw_send(f->sv[0], r);
		expect_malformed(f, "KEYSVC_REQ body of 18478 bytes outside");
		raw_hdr(r, TE_IPC_VERSION, TE_IPC_KEYSVC_REPLY, 1, 0);
		raw_bytes(r, "\0\xcc\0\0", 4);
		raw_fix_len(r);
		raw_send(f->sv[0], r);
		expect_malformed(f, "KEYSVC_REPLY body of 4 bytes outside 5..16453");
		free(r);
	}

	rep.status = 200;
	rep.kind = TE_IPC_KEYSVC_REPLY_SIGNATURE;
	rep.payload = iv;
	rep.payload_len = sizeof(iv);
	assert_int_equal(te_ipc_keysvc_reply_encode(&rep, f->msg), TE_OK);
	full = f->msg->len;
	for (uint32_t n = 0; n < full; n++) {
		f->msg->len = n;
		assert_int_equal(te_ipc_keysvc_reply_decode(f->msg, &rout), TE_ERR_MALFORMED);
	}
	f->msg->len = full + 1;
	assert_int_equal(te_ipc_keysvc_reply_decode(f->msg, &rout), TE_ERR_MALFORMED);
	/* A decoder of another type refuses it. */
	f->msg->len = full;
	assert_int_equal(te_ipc_keysvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
	assert_non_null(strstr(te_err_detail(), "expected a KEYSVC_REQ message, got KEYSVC_REPLY"));
}

/* rep must be refused by the encoder and, as raw bytes, by the decoder. */
static void ks_reply_refused(struct fx *f, uint16_t status, uint8_t kind, const void *p, size_t n,
                             const char *what)
{
	te_ipc_keysvc_reply rep = {status, kind, p, n}, out;
	te_err rc;

	rc = te_ipc_keysvc_reply_encode(&rep, f->enc);
	if (rc != TE_ERR_INVALID_ARG || strstr(te_err_detail(), what) == NULL)
		fail_msg("encode: expected INVALID_ARG '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	memset(f->msg, 0, sizeof(*f->msg));
	f->msg->type = TE_IPC_KEYSVC_REPLY;
	f->msg->body[0] = (uint8_t)(status >> 8);
	f->msg->body[1] = (uint8_t)status;
	f->msg->body[2] = kind;
	f->msg->body[3] = (uint8_t)(n >> 8);
	f->msg->body[4] = (uint8_t)n;
	if (n > 0)
		memcpy(f->msg->body + 5, p, n);
	f->msg->len = (uint32_t)(5 + n);
	rc = te_ipc_keysvc_reply_decode(f->msg, &out);
	if (rc != TE_ERR_MALFORMED || strstr(te_err_detail(), what) == NULL)
		fail_msg("decode: expected MALFORMED '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
}

static void ks_reply_ok(struct fx *f, uint16_t status, uint8_t kind, const void *p, size_t n)
{
	te_ipc_keysvc_reply rep = {status, kind, p, n}, out;

	assert_int_equal(te_ipc_keysvc_reply_encode(&rep, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 5 + n);
	send_recv(f, 77);
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(te_ipc_keysvc_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.status, status);
	assert_int_equal(out.kind, kind);
	assert_int_equal(out.payload_len, n);
	if (n > 0)
		assert_memory_equal(out.payload, p, n);
	assert_int_equal(te_ipc_keysvc_reply_encode(&out, f->enc), TE_OK);
	assert_memory_equal(f->enc->body, f->msg->body, f->msg->len);
}

static void test_keysvc_reply(void **state)
{
	struct fx *f = *state;
	static uint8_t big[TE_IPC_KEYSVC_CIPHERTEXT_MAX + 1];
	static char text[TE_IPC_KEYSVC_HANDLE_MAX + 1];
	static const struct {
		uint8_t kind;
		size_t min, max;
	} kinds[] = {
	    {TE_IPC_KEYSVC_REPLY_SIGNATURE, 1, TE_IPC_KEYSVC_SIGNATURE_MAX},
	    {TE_IPC_KEYSVC_REPLY_CIPHERTEXT, 1, TE_IPC_KEYSVC_CIPHERTEXT_MAX},
	    {TE_IPC_KEYSVC_REPLY_PLAINTEXT, 0, TE_IPC_KEYSVC_PLAINTEXT_MAX},
	    {TE_IPC_KEYSVC_REPLY_KEY, 1, TE_IPC_KEYSVC_EXPORT_MAX},
	    {TE_IPC_KEYSVC_REPLY_VALUE, 1, TE_IPC_KEYSVC_VALUE_MAX},
	};

	memset(big, 0xee, sizeof(big));
	memset(text, 'Z', sizeof(text));

	/* The byte kinds at both ends of their bounds. */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		ks_reply_ok(f, 200, kinds[i].kind, big, kinds[i].min);
		ks_reply_ok(f, 200, kinds[i].kind, big, kinds[i].max);
		ks_reply_refused(f, 200, kinds[i].kind, big, kinds[i].max + 1, "outside");
		if (kinds[i].min > 0)
			ks_reply_refused(f, 200, kinds[i].kind, big, 0, "outside");
		ks_reply_refused(f, 201, kinds[i].kind, big, 1, "with status 201, not 200");
	}
	/* Handles: base64url, 1..584. */
	ks_reply_ok(f, 200, TE_IPC_KEYSVC_REPLY_HANDLE, "a-Z_9", 5);
	ks_reply_ok(f, 200, TE_IPC_KEYSVC_REPLY_HANDLE, text, TE_IPC_KEYSVC_HANDLE_MAX);
	ks_reply_refused(f, 200, TE_IPC_KEYSVC_REPLY_HANDLE, text, TE_IPC_KEYSVC_HANDLE_MAX + 1,
	                 "handle reply of 585 bytes outside 1..584");
	ks_reply_refused(f, 200, TE_IPC_KEYSVC_REPLY_HANDLE, text, 0, "outside 1..584");
	ks_reply_refused(f, 200, TE_IPC_KEYSVC_REPLY_HANDLE, "ab+c", 4, "not base64url");
	ks_reply_refused(f, 200, TE_IPC_KEYSVC_REPLY_HANDLE, "ab\0c", 4, "not base64url");
	/* Text values: printable, 1..64. */
	ks_reply_ok(f, 200, TE_IPC_KEYSVC_REPLY_VALUE_TEXT, "ECDSA", 5);
	ks_reply_ok(f, 200, TE_IPC_KEYSVC_REPLY_VALUE_TEXT, text, TE_IPC_KEYSVC_VALUE_TEXT_MAX);
	ks_reply_refused(f, 200, TE_IPC_KEYSVC_REPLY_VALUE_TEXT, text, 65, "outside 1..64");
	ks_reply_refused(f, 200, TE_IPC_KEYSVC_REPLY_VALUE_TEXT, "a\nb", 3, "not printable");
	/* 204 and no payload. */
	ks_reply_ok(f, 204, TE_IPC_KEYSVC_REPLY_NONE, NULL, 0);
	ks_reply_refused(f, 200, TE_IPC_KEYSVC_REPLY_NONE, NULL, 0, "with status 200, not 204");
	ks_reply_refused(f, 204, TE_IPC_KEYSVC_REPLY_NONE, "x", 1, "outside 0..0");
	/* Refusals: error statuses only, printable, 1..255. */
	{
		const uint16_t ok[] = {400, 403, 404, 409, 500, 501};
		const uint16_t bad[] = {0, 200, 204, 401, 413, 502, 999};

		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			ks_reply_ok(f, ok[i], TE_IPC_KEYSVC_REPLY_MESSAGE, "no", 2);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ks_reply_refused(f, bad[i], TE_IPC_KEYSVC_REPLY_MESSAGE, "no", 2,
			                 "not an error status");
	}
	ks_reply_ok(f, 403, TE_IPC_KEYSVC_REPLY_MESSAGE, text, TE_IPC_KEYSVC_MSG_MAX);
	ks_reply_refused(f, 403, TE_IPC_KEYSVC_REPLY_MESSAGE, text, TE_IPC_KEYSVC_MSG_MAX + 1,
	                 "message reply of 256 bytes outside 1..255");
	ks_reply_refused(f, 403, TE_IPC_KEYSVC_REPLY_MESSAGE, text, 0, "outside 1..255");
	ks_reply_refused(f, 400, TE_IPC_KEYSVC_REPLY_MESSAGE, "\x7f", 1, "not printable");
	/* Unknown kinds. */
	ks_reply_refused(f, 200, TE_IPC_KEYSVC_REPLY_MESSAGE + 1, "x", 1, "kind 9 is unknown");
	ks_reply_refused(f, 200, 0xff, "x", 1, "kind 255 is unknown");
}

/* ---- identity service: IDSVC_REQ, IDSVC_REPLY ---- */

/* An IDSVC_REQ frame with the fields as given, unchecked. */
static void ids_raw_req(struct raw *r, uint32_t uid, const void *module, size_t module_len,
                        const void *genid, size_t genid_len)
{
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_IDSVC_REQ, 5, 0);
	raw_u32(r, uid);
	raw_field(r, module, module_len);
	raw_field(r, genid, genid_len);
	raw_fix_len(r);
}

static void ids_req_refused(struct fx *f, const te_ipc_idsvc_req *q, const char *what)
{
	te_err rc = te_ipc_idsvc_req_encode(q, f->enc);

	if (rc != TE_ERR_INVALID_ARG || strstr(te_err_detail(), what) == NULL)
		fail_msg("expected INVALID_ARG '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	assert_int_equal(f->enc->len, 0);
}

static void ids_decode_refused(struct fx *f, const char *what)
{
	te_ipc_idsvc_req out;
	te_err rc;

	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	rc = te_ipc_idsvc_req_decode(f->msg, &out);
	if (rc != TE_ERR_MALFORMED || strstr(te_err_detail(), what) == NULL)
		fail_msg("expected MALFORMED '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
}

static void test_idsvc_req(void **state)
{
	struct fx *f = *state;
	te_ipc_idsvc_req q, out;
	static char longs[TE_IPC_MODULE_MAX + 2];
	struct raw *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	assert_string_equal(te_ipc_type_name(TE_IPC_IDSVC_REQ), "IDSVC_REQ");
	assert_string_equal(te_ipc_type_name(TE_IPC_IDSVC_REPLY), "IDSVC_REPLY");
	assert_false(te_ipc_type_is_secret(TE_IPC_IDSVC_REQ));
	assert_true(te_ipc_type_is_secret(TE_IPC_IDSVC_REPLY));

	/* The device: both strings empty; the smallest body. */
	memset(&q, 0, sizeof(q));
	q.uid = 0xfedcba98u;
	assert_int_equal(te_ipc_idsvc_req_encode(&q, f->enc), TE_OK);
	assert_int_equal(f->enc->type, TE_IPC_IDSVC_REQ);
	assert_int_equal(f->enc->len, 4 + 2 + 2);
	send_recv(f, 41);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(te_ipc_idsvc_req_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.uid, 0xfedcba98u);
	assert_string_equal(out.module, "");
	assert_string_equal(out.genid, "");

	/* A module at both bounds: the largest body. */
	memset(q.module, 'm', TE_IPC_MODULE_MAX);
	q.module[TE_IPC_MODULE_MAX] = '\0';
	memset(q.genid, 'g', TE_IPC_GENID_MAX);
	q.genid[TE_IPC_GENID_MAX] = '\0';
	q.uid = 1001;
	assert_int_equal(te_ipc_idsvc_req_encode(&q, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 4 + 2 + TE_IPC_MODULE_MAX + 2 + TE_IPC_GENID_MAX);
	send_recv(f, 42);
	assert_int_equal(te_ipc_idsvc_req_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.uid, 1001);
	assert_string_equal(out.module, q.module);
	assert_string_equal(out.genid, q.genid);
	/* Re-encodes to the same bytes. */
	assert_int_equal(te_ipc_idsvc_req_encode(&out, f->enc), TE_OK);
	assert_int_equal(f->enc->len, f->msg->len);
	assert_memory_equal(f->enc->body, f->msg->body, f->msg->len);

	/* The encoder refuses what the decoder would. */
	snprintf(q.module, sizeof(q.module), "%s", "m");
	q.genid[0] = '\0';
	ids_req_refused(f, &q, "must both be empty");
	q.module[0] = '\0';
	snprintf(q.genid, sizeof(q.genid), "%s", "1");
	ids_req_refused(f, &q, "must both be empty");

	/* And the decoder: one of the two empty, over a bound, a NUL, a
	 * byte more or less, the wrong type. */
	ids_raw_req(r, 1, "m", 1, "", 0);
	raw_send(f->sv[0], r);
	ids_decode_refused(f, "must both be empty");
	ids_raw_req(r, 1, "", 0, "7", 1);
	raw_send(f->sv[0], r);
	ids_decode_refused(f, "must both be empty");
	memset(longs, 'x', sizeof(longs));
	ids_raw_req(r, 1, longs, TE_IPC_MODULE_MAX + 1, "7", 1);
	raw_send(f->sv[0], r);
	ids_decode_refused(f, "module of 129 bytes outside 0..128");
	ids_raw_req(r, 1, "m", 1, longs, TE_IPC_GENID_MAX + 1);
	raw_send(f->sv[0], r);
	ids_decode_refused(f, "genid of 65 bytes outside 0..64");
	ids_raw_req(r, 1, "a\0b", 3, "7", 1);
	raw_send(f->sv[0], r);
	ids_decode_refused(f, "module contains a NUL byte");
	/* Body bounds of the type, checked at receive. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_IDSVC_REQ, 1, 0);
	raw_u32(r, 1);
	raw_u16(r, 0);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_malformed(f, "IDSVC_REQ body of 6 bytes outside 8..200");
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_IDSVC_REQ, 1, 0);
	memset(r->b + r->n, 0, 201);
	r->n += 201;
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_malformed(f, "IDSVC_REQ body of 201 bytes outside 8..200");
	/* Every cut of a valid body, and a byte more. */
	snprintf(q.module, sizeof(q.module), "%s", "mod");
	snprintf(q.genid, sizeof(q.genid), "%s", "12");
	assert_int_equal(te_ipc_idsvc_req_encode(&q, f->msg), TE_OK);
	{
		uint32_t full = f->msg->len;

		for (uint32_t n = 0; n < full; n++) {
			f->msg->len = n;
			assert_int_equal(te_ipc_idsvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
		}
		f->msg->len = full + 1;
		assert_int_equal(te_ipc_idsvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
		f->msg->len = full;
		assert_int_equal(te_ipc_idsvc_req_decode(f->msg, &out), TE_OK);
		f->msg->type = TE_IPC_KEYSVC_REQ;
		assert_int_equal(te_ipc_idsvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
	}
	free(r);
}

static void test_idsvc_reply(void **state)
{
	struct fx *f = *state;
	te_ipc_idsvc_reply rep, out;
	static char text[TE_IPC_KEYSVC_HANDLE_MAX + 1];
	struct raw *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	memset(text, 'A', sizeof(text));
	text[3] = '-';
	text[4] = '_';
	rep.handle = text;
	rep.handle_len = TE_IPC_KEYSVC_HANDLE_MAX;
	assert_int_equal(te_ipc_idsvc_reply_encode(&rep, f->enc), TE_OK);
	assert_int_equal(f->enc->type, TE_IPC_IDSVC_REPLY);
	assert_int_equal(f->enc->len, 2 + TE_IPC_KEYSVC_HANDLE_MAX);
	send_recv(f, 43);
	assert_int_equal(te_ipc_idsvc_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.handle_len, TE_IPC_KEYSVC_HANDLE_MAX);
	assert_memory_equal(out.handle, text, out.handle_len);
	rep.handle_len = 1;
	assert_int_equal(te_ipc_idsvc_reply_encode(&rep, f->enc), TE_OK);
	send_recv(f, 44);
	assert_int_equal(te_ipc_idsvc_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.handle_len, 1);

	/* The encoder: empty, too long, outside base64url; the message is
	 * left empty (wiped). */
	rep.handle_len = 0;
	assert_int_equal(te_ipc_idsvc_reply_encode(&rep, f->enc), TE_ERR_INVALID_ARG);
	assert_int_equal(f->enc->len, 0);
	rep.handle_len = TE_IPC_KEYSVC_HANDLE_MAX + 1;
	assert_int_equal(te_ipc_idsvc_reply_encode(&rep, f->enc), TE_ERR_INVALID_ARG);
	rep.handle = "ab=c";
	rep.handle_len = 4;
	assert_int_equal(te_ipc_idsvc_reply_encode(&rep, f->enc), TE_ERR_INVALID_ARG);
	assert_true(strstr(te_err_detail(), "not base64url") != NULL);
	rep.handle = NULL;
	rep.handle_len = 1;
	assert_int_equal(te_ipc_idsvc_reply_encode(&rep, f->enc), TE_ERR_INVALID_ARG);

	/* The decoder: the same, through the socket. */
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_IDSVC_REPLY, 1, 0);
	raw_field(r, "ab+c", 4);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	assert_int_equal(te_ipc_idsvc_reply_decode(f->msg, &out), TE_ERR_MALFORMED);
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_IDSVC_REPLY, 1, 0);
	raw_field(r, "ab\0c", 4);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	assert_int_equal(te_ipc_idsvc_reply_decode(f->msg, &out), TE_ERR_MALFORMED);
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_IDSVC_REPLY, 1, 0);
	raw_field(r, "", 0);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	expect_malformed(f, "IDSVC_REPLY body of 2 bytes outside 3..586");
	raw_hdr(r, TE_IPC_VERSION, TE_IPC_IDSVC_REPLY, 1, 0);
	raw_field(r, text, 3);
	raw_bytes(r, "x", 1);
	raw_fix_len(r);
	raw_send(f->sv[0], r);
	assert_int_equal(te_ipc_recv(f->sv[1], f->msg), TE_OK);
	assert_int_equal(te_ipc_idsvc_reply_decode(f->msg, &out), TE_ERR_MALFORMED);
	free(r);
}

/* ---- certificates service: CERTSVC_REQ, CERTSVC_REPLY ---- */

/* A CERTSVC_REQ body written field by field with no checks, straight into
 * m (type and length set): what a peer could send. */
static void cs_raw(te_ipc_msg *m, uint32_t uid, uint8_t op, struct span id, struct span issuer,
                   struct span handle, struct span csr, struct span pem)
{
	struct raw *r = calloc(1, sizeof(*r));
	const struct span fields[] = {id, issuer, handle, csr, pem};

	assert_non_null(r);
	raw_u32(r, uid);
	r->b[r->n++] = op;
	for (size_t i = 0; i < 5; i++)
		raw_field(r, fields[i].p, fields[i].n);
	assert_true(r->n <= sizeof(m->body));
	memset(m, 0, sizeof(*m));
	m->type = TE_IPC_CERTSVC_REQ;
	m->len = (uint32_t)r->n;
	memcpy(m->body, r->b, r->n);
	free(r);
}

static void cs_raw_of(te_ipc_msg *m, const te_ipc_certsvc_req *q)
{
	static const uint8_t none[1];

	cs_raw(m, q->uid, q->op, SP(q->cert_id), SP(q->issuer_cert_id), SP(q->issuer_handle),
	       SPN(q->csr_len ? q->csr : none, q->csr_len),
	       SPN(q->pem_len ? (const void *)q->pem : none, q->pem_len));
}

static void cs_expect_decode_fails(struct fx *f, const char *what)
{
	te_ipc_certsvc_req out;
	te_err rc;

	memset(&out, 0x5a, sizeof(out));
	rc = te_ipc_certsvc_req_decode(f->msg, &out);
	if (rc != TE_ERR_MALFORMED || strstr(te_err_detail(), what) == NULL)
		fail_msg("expected MALFORMED '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	assert_int_equal(((uint8_t *)&out)[0], 0x5a);
}

/* q must be refused by the encoder (INVALID_ARG, detail has what, nothing
 * left in the message), and its raw body by the decoder (MALFORMED). */
static void cs_expect_refused(struct fx *f, const te_ipc_certsvc_req *q, const char *what)
{
	te_err rc;

	memset(f->enc, 0, sizeof(*f->enc));
	rc = te_ipc_certsvc_req_encode(q, f->enc);
	if (rc != TE_ERR_INVALID_ARG || strstr(te_err_detail(), what) == NULL)
		fail_msg("encode: expected INVALID_ARG '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	assert_int_equal(f->enc->len, 0);
	assert_true(all_zero(f->enc->body, sizeof(f->enc->body)));
	cs_raw_of(f->msg, q);
	cs_expect_decode_fails(f, what);
}

static void cs_req_init(te_ipc_certsvc_req *q, uint8_t op, const char *id)
{
	memset(q, 0, sizeof(*q));
	q->uid = 1000;
	q->op = op;
	snprintf(q->cert_id, sizeof(q->cert_id), "%s", id);
}

/* Encodes q, sends it through the socketpair, decodes it and checks every
 * field, then that it re-encodes to the same bytes. */
static void cs_round_trip(struct fx *f, const te_ipc_certsvc_req *q)
{
	te_ipc_certsvc_req out;

	assert_int_equal(te_ipc_certsvc_req_encode(q, f->enc), TE_OK);
	assert_int_equal(f->enc->type, TE_IPC_CERTSVC_REQ);
	send_recv(f, 2000u + q->op);
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(te_ipc_certsvc_req_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.uid, q->uid);
	assert_int_equal(out.op, q->op);
	assert_string_equal(out.cert_id, q->cert_id);
	assert_string_equal(out.issuer_cert_id, q->issuer_cert_id);
	assert_string_equal(out.issuer_handle, q->issuer_handle);
	assert_int_equal(out.csr_len, q->csr_len);
	if (q->csr_len > 0) {
		assert_memory_equal(out.csr, q->csr, q->csr_len);
		assert_true(out.csr >= f->msg->body && out.csr < f->msg->body + f->msg->len);
	}
	assert_int_equal(out.pem_len, q->pem_len);
	if (q->pem_len > 0)
		assert_memory_equal(out.pem, q->pem, q->pem_len);
	memset(f->enc, 0, sizeof(*f->enc));
	assert_int_equal(te_ipc_certsvc_req_encode(&out, f->enc), TE_OK);
	assert_int_equal(f->enc->len, f->msg->len);
	assert_memory_equal(f->enc->body, f->msg->body, f->msg->len);
}

static void test_certsvc_req_every_op(void **state)
{
	struct fx *f = *state;
	static uint8_t csr[TE_IPC_CERTSVC_CSR_MAX];
	static char pem[TE_IPC_CERTSVC_PEM_MAX + 1];
	te_ipc_certsvc_req q;

	assert_true(te_ipc_type_is_secret(TE_IPC_CERTSVC_REQ));
	assert_false(te_ipc_type_is_secret(TE_IPC_CERTSVC_REPLY));
	assert_string_equal(te_ipc_type_name(TE_IPC_CERTSVC_REQ), "CERTSVC_REQ");
	assert_string_equal(te_ipc_type_name(TE_IPC_CERTSVC_REPLY), "CERTSVC_REPLY");
	memset(csr, 0x30, sizeof(csr));
	memset(pem, 'P', TE_IPC_CERTSVC_PEM_MAX);
	pem[1] = '\n';
	pem[2] = '\r';
	pem[3] = '\t';

	/* CREATE: the edge CA (no issuer), then every field at its maximum. */
	cs_req_init(&q, TE_IPC_CERTSVC_CREATE, "c");
	q.csr = csr;
	q.csr_len = 1;
	cs_round_trip(f, &q);
	assert_int_equal(f->msg->len, 15 + 1 + 1);
	memset(q.cert_id, 'i', TE_IPC_CERTSVC_ID_MAX);
	memset(q.issuer_cert_id, 'j', TE_IPC_CERTSVC_ID_MAX);
	memset(q.issuer_handle, 'h', TE_IPC_CERTSVC_HANDLE_MAX);
	q.csr_len = TE_IPC_CERTSVC_CSR_MAX;
	q.uid = 0xfffffffeu;
	cs_round_trip(f, &q);
	assert_int_equal(f->msg->len, 15 + 2 * TE_IPC_CERTSVC_ID_MAX + TE_IPC_CERTSVC_HANDLE_MAX +
	                                  TE_IPC_CERTSVC_CSR_MAX);
	/* IMPORT at its maximum. */
	cs_req_init(&q, TE_IPC_CERTSVC_IMPORT, "imp");
	q.pem = pem;
	q.pem_len = TE_IPC_CERTSVC_PEM_MAX;
	cs_round_trip(f, &q);
	/* GET, DELETE. */
	cs_req_init(&q, TE_IPC_CERTSVC_GET, "edge-ca");
	cs_round_trip(f, &q);
	cs_req_init(&q, TE_IPC_CERTSVC_DELETE, "x.y_z-1");
	cs_round_trip(f, &q);
	assert_int_equal(f->msg->len, 15 + 7);
}

static void test_certsvc_req_rules(void **state)
{
	struct fx *f = *state;
	static uint8_t big[TE_IPC_CERTSVC_PEM_MAX + 2];
	static char longs[TE_IPC_CERTSVC_HANDLE_MAX + 2];
	te_ipc_certsvc_req q;

	memset(big, 'A', sizeof(big));
	memset(longs, 'a', sizeof(longs));
	/* Ops. */
	cs_req_init(&q, 0, "c");
	cs_expect_refused(f, &q, "certsvc op 0 is unknown");
	cs_req_init(&q, TE_IPC_CERTSVC_DELETE + 1, "c");
	cs_expect_refused(f, &q, "certsvc op 5 is unknown");
	/* What each op needs and takes. */
	cs_req_init(&q, TE_IPC_CERTSVC_CREATE, "c");
	cs_expect_refused(f, &q, "certsvc CREATE needs field csr");
	cs_req_init(&q, TE_IPC_CERTSVC_CREATE, "");
	q.csr = big;
	q.csr_len = 3;
	cs_expect_refused(f, &q, "certsvc CREATE needs field cert_id");
	snprintf(q.cert_id, sizeof(q.cert_id), "%s", "c");
	q.pem = "-----BEGIN";
	q.pem_len = 10;
	cs_expect_refused(f, &q, "certsvc CREATE does not take field pem");
	q.pem_len = 0;
	snprintf(q.issuer_cert_id, sizeof(q.issuer_cert_id), "%s", "ca");
	cs_expect_refused(f, &q, "issuer_cert_id and issuer_handle go together");
	q.issuer_cert_id[0] = '\0';
	snprintf(q.issuer_handle, sizeof(q.issuer_handle), "%s", KS_HANDLE);
	cs_expect_refused(f, &q, "issuer_cert_id and issuer_handle go together");
	snprintf(q.issuer_cert_id, sizeof(q.issuer_cert_id), "%s", "../ca");
	cs_expect_refused(f, &q, "issuer_cert_id breaks the key-name rules");
	snprintf(q.issuer_cert_id, sizeof(q.issuer_cert_id), "%s", "ca");
	snprintf(q.issuer_handle, sizeof(q.issuer_handle), "%s", "a+b/=");
	cs_expect_refused(f, &q, "issuer_handle is not base64url");
	snprintf(q.cert_id, sizeof(q.cert_id), "%s", ".c");
	snprintf(q.issuer_handle, sizeof(q.issuer_handle), "%s", KS_HANDLE);
	cs_expect_refused(f, &q, "cert_id breaks the key-name rules");
	cs_req_init(&q, TE_IPC_CERTSVC_IMPORT, "c");
	cs_expect_refused(f, &q, "certsvc IMPORT needs field pem");
	q.pem = "-----BEGIN\x01";
	q.pem_len = 11;
	cs_expect_refused(f, &q, "pem is not text");
	q.pem = "x\xc3\xa9";
	q.pem_len = 3;
	cs_expect_refused(f, &q, "pem is not text");
	q.pem = "pem";
	q.pem_len = 3;
	q.csr = big;
	q.csr_len = 1;
	cs_expect_refused(f, &q, "certsvc IMPORT does not take field csr");
	cs_req_init(&q, TE_IPC_CERTSVC_GET, "c");
	snprintf(q.issuer_cert_id, sizeof(q.issuer_cert_id), "%s", "ca");
	snprintf(q.issuer_handle, sizeof(q.issuer_handle), "%s", KS_HANDLE);
	cs_expect_refused(f, &q, "certsvc GET does not take field issuer_cert_id");
	cs_req_init(&q, TE_IPC_CERTSVC_DELETE, "a/b");
	cs_expect_refused(f, &q, "cert_id breaks the key-name rules");

	/* Field bounds, on the wire (the encoder cannot even hold them). */
	cs_raw(f->msg, 0, TE_IPC_CERTSVC_GET, SPN(longs, TE_IPC_CERTSVC_ID_MAX + 1), SP0, SP0, SP0,
	       SP0);
	cs_expect_decode_fails(f, "cert_id of 129 bytes outside 0..128");
	cs_raw(f->msg, 0, TE_IPC_CERTSVC_CREATE, SP("c"), SPN(longs, TE_IPC_CERTSVC_ID_MAX + 1),
	       SP(KS_HANDLE), SPN(big, 1), SP0);
	cs_expect_decode_fails(f, "issuer_cert_id of 129 bytes outside 0..128");
	cs_raw(f->msg, 0, TE_IPC_CERTSVC_CREATE, SP("c"), SP("ca"),
	       SPN(longs, TE_IPC_CERTSVC_HANDLE_MAX + 1), SPN(big, 1), SP0);
	cs_expect_decode_fails(f, "issuer_handle of 585 bytes outside 0..584");
	cs_raw(f->msg, 0, TE_IPC_CERTSVC_CREATE, SP("c"), SP0, SP0,
	       SPN(big, TE_IPC_CERTSVC_CSR_MAX + 1), SP0);
	cs_expect_decode_fails(f, "csr of 8193 bytes outside 0..8192");
	cs_raw(f->msg, 0, TE_IPC_CERTSVC_IMPORT, SP("c"), SP0, SP0, SP0,
	       SPN(big, TE_IPC_CERTSVC_PEM_MAX + 1));
	cs_expect_decode_fails(f, "pem of 24577 bytes outside 0..24576");
	cs_raw(f->msg, 0, TE_IPC_CERTSVC_GET, SPN("a\0b", 3), SP0, SP0, SP0, SP0);
	cs_expect_decode_fails(f, "cert_id contains a NUL byte");
	cs_raw(f->msg, 0, TE_IPC_CERTSVC_IMPORT, SP("c"), SP0, SP0, SP0, SPN("a\0b", 3));
	cs_expect_decode_fails(f, "pem contains a NUL byte");
	/* The encoder refuses over-long fields of the struct too. */
	cs_req_init(&q, TE_IPC_CERTSVC_CREATE, "c");
	q.csr = big;
	q.csr_len = TE_IPC_CERTSVC_CSR_MAX + 1;
	assert_int_equal(te_ipc_certsvc_req_encode(&q, f->enc), TE_ERR_INVALID_ARG);
	cs_req_init(&q, TE_IPC_CERTSVC_IMPORT, "c");
	q.pem = (const char *)big;
	q.pem_len = TE_IPC_CERTSVC_PEM_MAX + 1;
	assert_int_equal(te_ipc_certsvc_req_encode(&q, f->enc), TE_ERR_INVALID_ARG);
}

/* A valid body cut at every length, or with a byte more, is refused. */
static void test_certsvc_truncated(void **state)
{
	struct fx *f = *state;
	te_ipc_certsvc_req q, out;
	te_ipc_certsvc_reply rep, rout;
	const uint8_t csr[5] = {0x30, 3, 1, 2, 3};
	uint32_t full;

	cs_req_init(&q, TE_IPC_CERTSVC_CREATE, "leaf");
	snprintf(q.issuer_cert_id, sizeof(q.issuer_cert_id), "%s", "ca");
	snprintf(q.issuer_handle, sizeof(q.issuer_handle), "%s", KS_HANDLE);
	q.csr = csr;
	q.csr_len = sizeof(csr);
	assert_int_equal(te_ipc_certsvc_req_encode(&q, f->msg), TE_OK);
	full = f->msg->len;
	for (uint32_t n = 0; n < full; n++) {
		f->msg->len = n;
		assert_int_equal(te_ipc_certsvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
	}
	f->msg->len = full + 1;
	assert_int_equal(te_ipc_certsvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
	f->msg->len = full;
	assert_int_equal(te_ipc_certsvc_req_decode(f->msg, &out), TE_OK);
	/* Through the socket: the body bounds of the types. */
	{
		struct raw *r = calloc(1, sizeof(*r));

		assert_non_null(r);
		raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERTSVC_REQ, 1, 0);
		raw_bytes(r, f->msg->body, 14);
		raw_fix_len(r);
		raw_send(f->sv[0], r);
		expect_malformed(f, "CERTSVC_REQ body of 14 bytes outside 15..33623");
		raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERTSVC_REQ, 1, 33624);
		memset(r->b + r->n, 0, 33624);
		r->n += 33624;
		raw_send(f->sv[0], r);
		expect_malformed(f, "CERTSVC_REQ body of 33624 bytes outside");
		raw_hdr(r, TE_IPC_VERSION, TE_IPC_CERTSVC_REPLY, 1, 0);
		raw_bytes(r, "\0\xcc\0\0", 4);
		raw_fix_len(r);
		raw_send(f->sv[0], r);
		expect_malformed(f, "CERTSVC_REPLY body of 4 bytes outside 5..24581");
		free(r);
	}

	rep.status = 201;
	rep.kind = TE_IPC_CERTSVC_REPLY_PEM;
	rep.payload = (const uint8_t *)"-----BEGIN CERTIFICATE-----\n";
	rep.payload_len = 28;
	assert_int_equal(te_ipc_certsvc_reply_encode(&rep, f->msg), TE_OK);
	full = f->msg->len;
	for (uint32_t n = 0; n < full; n++) {
		f->msg->len = n;
		assert_int_equal(te_ipc_certsvc_reply_decode(f->msg, &rout), TE_ERR_MALFORMED);
	}
	f->msg->len = full + 1;
	assert_int_equal(te_ipc_certsvc_reply_decode(f->msg, &rout), TE_ERR_MALFORMED);
	/* A decoder of another type refuses it, and it refuses another's. */
	f->msg->len = full;
	assert_int_equal(te_ipc_certsvc_req_decode(f->msg, &out), TE_ERR_MALFORMED);
	assert_non_null(
	    strstr(te_err_detail(), "expected a CERTSVC_REQ message, got CERTSVC_REPLY"));
	f->msg->type = TE_IPC_KEYSVC_REPLY;
	assert_int_equal(te_ipc_certsvc_reply_decode(f->msg, &rout), TE_ERR_MALFORMED);
}

/* rep must be refused by the encoder and, as raw bytes, by the decoder. */
static void cs_reply_refused(struct fx *f, uint16_t status, uint8_t kind, const void *p, size_t n,
                             const char *what)
{
	te_ipc_certsvc_reply rep = {status, kind, p, n}, out;
	te_err rc;

	rc = te_ipc_certsvc_reply_encode(&rep, f->enc);
	if (rc != TE_ERR_INVALID_ARG || strstr(te_err_detail(), what) == NULL)
		fail_msg("encode: expected INVALID_ARG '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
	memset(f->msg, 0, sizeof(*f->msg));
	f->msg->type = TE_IPC_CERTSVC_REPLY;
	f->msg->body[0] = (uint8_t)(status >> 8);
	f->msg->body[1] = (uint8_t)status;
	f->msg->body[2] = kind;
	f->msg->body[3] = (uint8_t)(n >> 8);
	f->msg->body[4] = (uint8_t)n;
	if (n > 0)
		memcpy(f->msg->body + 5, p, n);
	f->msg->len = (uint32_t)(5 + n);
	rc = te_ipc_certsvc_reply_decode(f->msg, &out);
	if (rc != TE_ERR_MALFORMED || strstr(te_err_detail(), what) == NULL)
		fail_msg("decode: expected MALFORMED '%s', got %s: %s", what, te_err_name(rc),
		         te_err_detail());
}

static void cs_reply_ok(struct fx *f, uint16_t status, uint8_t kind, const void *p, size_t n)
{
	te_ipc_certsvc_reply rep = {status, kind, p, n}, out;

	assert_int_equal(te_ipc_certsvc_reply_encode(&rep, f->enc), TE_OK);
	assert_int_equal(f->enc->len, 5 + n);
	send_recv(f, 78);
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(te_ipc_certsvc_reply_decode(f->msg, &out), TE_OK);
	assert_int_equal(out.status, status);
	assert_int_equal(out.kind, kind);
	assert_int_equal(out.payload_len, n);
	if (n > 0)
		assert_memory_equal(out.payload, p, n);
	assert_int_equal(te_ipc_certsvc_reply_encode(&out, f->enc), TE_OK);
	assert_memory_equal(f->enc->body, f->msg->body, f->msg->len);
}

static void test_certsvc_reply(void **state)
{
	struct fx *f = *state;
	static char pem[TE_IPC_CERTSVC_PEM_MAX + 1];
	static char text[TE_IPC_CERTSVC_MSG_MAX + 1];

	memset(pem, 'P', sizeof(pem));
	memcpy(pem, "\r\n\t", 3);
	memset(text, 'Z', sizeof(text));
	/* PEM: 200 or 201, text, 1..24576. */
	cs_reply_ok(f, 200, TE_IPC_CERTSVC_REPLY_PEM, pem, 1);
	cs_reply_ok(f, 201, TE_IPC_CERTSVC_REPLY_PEM, pem, TE_IPC_CERTSVC_PEM_MAX);
	cs_reply_refused(f, 201, TE_IPC_CERTSVC_REPLY_PEM, pem, TE_IPC_CERTSVC_PEM_MAX + 1,
	                 "bytes outside"); /* the decoder: the type's body bound */
	cs_reply_refused(f, 200, TE_IPC_CERTSVC_REPLY_PEM, pem, 0, "outside 1..24576");
	cs_reply_refused(f, 204, TE_IPC_CERTSVC_REPLY_PEM, pem, 1, "with status 204, not 200 or 201");
	cs_reply_refused(f, 403, TE_IPC_CERTSVC_REPLY_PEM, pem, 1, "with status 403, not 200 or 201");
	cs_reply_refused(f, 200, TE_IPC_CERTSVC_REPLY_PEM, "a\0b", 3, "pem reply is not text");
	cs_reply_refused(f, 200, TE_IPC_CERTSVC_REPLY_PEM, "\xc3\xa9", 2, "pem reply is not text");
	/* 204 and no payload. */
	cs_reply_ok(f, 204, TE_IPC_CERTSVC_REPLY_NONE, NULL, 0);
	cs_reply_refused(f, 200, TE_IPC_CERTSVC_REPLY_NONE, NULL, 0, "with status 200, not 204");
	cs_reply_refused(f, 204, TE_IPC_CERTSVC_REPLY_NONE, "x", 1, "outside 0..0");
	/* Refusals: error statuses only, printable, 1..255. */
	{
		const uint16_t ok[] = {400, 403, 404, 409, 500, 501};
		const uint16_t bad[] = {0, 200, 201, 204, 401, 413, 502};

		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			cs_reply_ok(f, ok[i], TE_IPC_CERTSVC_REPLY_MESSAGE, "no", 2);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			cs_reply_refused(f, bad[i], TE_IPC_CERTSVC_REPLY_MESSAGE, "no", 2,
			                 "not an error status");
	}
	cs_reply_ok(f, 403, TE_IPC_CERTSVC_REPLY_MESSAGE, text, TE_IPC_CERTSVC_MSG_MAX);
	cs_reply_refused(f, 403, TE_IPC_CERTSVC_REPLY_MESSAGE, text, TE_IPC_CERTSVC_MSG_MAX + 1,
	                 "message reply of 256 bytes outside 1..255");
	cs_reply_refused(f, 403, TE_IPC_CERTSVC_REPLY_MESSAGE, text, 0, "outside 1..255");
	cs_reply_refused(f, 400, TE_IPC_CERTSVC_REPLY_MESSAGE, "a\nb", 3, "not printable");
	/* Unknown kinds. */
	cs_reply_refused(f, 200, TE_IPC_CERTSVC_REPLY_MESSAGE + 1, "x", 1, "kind 3 is unknown");
	cs_reply_refused(f, 200, 0xff, "x", 1, "kind 255 is unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty_types, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_derived_req, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crypt_reqs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crypt_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_encoders_refuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_server_req, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_identity_req, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bundle_types, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_encoders_refuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_bodies_outside_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_decoders_refuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_len_mismatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversize_datagram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_body_outside_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_to_closed_peer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonblocking_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fd_passing_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_string_with_nul, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_field_past_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trailing_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decoder_wrong_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keysvc_req_every_op, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keysvc_req_field_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keysvc_req_op_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keysvc_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keysvc_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idsvc_req, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idsvc_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certsvc_req_every_op, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certsvc_req_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certsvc_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certsvc_reply, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
