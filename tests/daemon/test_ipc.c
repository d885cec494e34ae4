/*
 * test_ipc.c - the daemon's IPC channel over a real SOCK_SEQPACKET
 * socketpair: every message type round trips, and every way a peer can
 * send a bad frame or body is refused as TE_ERR_MALFORMED (the message
 * wiped), a closed peer is TE_ERR_IO, and sending to a closed peer does
 * not raise SIGPIPE.  The certificate and trust bundle types are checked
 * at every bound of every field and of the body.  Bad frames are built by hand and sent with
 * send(2).
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
	const uint16_t bad[] = {0, TE_IPC_BUNDLE_REPLY + 1, 0x8000, 0xffff};

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
