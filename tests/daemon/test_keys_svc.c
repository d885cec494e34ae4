/*
 * test_keys_svc.c - the keys service in the keys process (keys_svc.c),
 * driven like the API process drives it: KEYSVC_REQ messages through
 * te_keys_handle, on the soft backend in a temporary directory, with
 * principals
 *
 *   uid 1000: test-*, imp-*      uid 1001: other-*      uid 2000: *
 *
 * Every operation succeeds for its owner; results are pinned against
 * OpenSSL where the test can know the key (imported HMAC and AES keys,
 * ECDSA verified with the public point from /parameters/ec-point, a
 * derived key's HMAC against HMAC(HMAC(base, data), msg)).  The rest is
 * refusals: another uid, a glob that does not match, the daemon's own
 * keys whatever the globs say (with audit lines), forged, altered and
 * other-kind handles, tampered AEAD, unsupported operations (501), and
 * the dispatch contract (ERROR_REPLY when not configured, MALFORMED for a
 * body that does not decode).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "daemon/ipc.h"
#include "daemon/keyhandle.h"
#include "daemon/keys.h"
#include "daemon/keys_svc.h"
#include "testutil.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_hsm.h"

#define DEVICE_KEY  "device-sas"
#define ENCRYPT_KEY "workload-encrypt"
#define OWNER       1000u
#define OTHER       1001u
#define ANYONE      2000u

static const uint8_t device_bytes[32] = {1, 2, 3};
static const uint8_t base_bytes[32] = {
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
};

struct fx {
	char *dir;
	te_hsm *hsm;
	te_keys *keys;
	te_daemon_config dc;
	te_daemon_principal pr[3];
	te_ipc_msg *req;
	te_ipc_msg *rep;
	te_ipc_keysvc_reply kr; /* the last reply, pointing into rep */
	char handle[TE_KEYHANDLE_TEXT_MAX + 1];
};

static char *globs_owner[] = {"test-*", "imp-*"};
static char *globs_other[] = {"other-*"};
static char *globs_any[] = {"*"};

static te_hsm *open_hsm(const char *dir)
{
	te_hsm_setting s[] = {{"store", dir}};
	te_hsm *hsm = NULL;

	assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
	return hsm;
}

static void open_keys(struct fx *f)
{
	te_keys_config cfg = {DEVICE_KEY, ENCRYPT_KEY};
	te_keys_cert_config cc;

	memset(&cc, 0, sizeof(cc));
	cc.keys_service = &f->dc;
	assert_int_equal(te_keys_open_with_certs(f->hsm, &cfg, &cc, &f->keys), TE_OK);
}

static int setup_n(void **state, size_t n_principals)
{
	struct fx *f = calloc(1, sizeof(*f));
	te_hsm_key_attrs dev = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE, 0};

	assert_non_null(f);
	f->dir = tu_tempdir("keysvc");
	f->hsm = open_hsm(f->dir);
	assert_int_equal(
	    te_hsm_key_import(f->hsm, DEVICE_KEY, &dev, device_bytes, sizeof(device_bytes)), TE_OK);
	f->pr[0] = (te_daemon_principal){OWNER, globs_owner, 2};
	f->pr[1] = (te_daemon_principal){OTHER, globs_other, 1};
	f->pr[2] = (te_daemon_principal){ANYONE, globs_any, 1};
	f->dc.principals = f->pr;
	f->dc.n_principals = n_principals;
	f->req = calloc(1, sizeof(*f->req));
	f->rep = calloc(1, sizeof(*f->rep));
	assert_non_null(f->req);
	assert_non_null(f->rep);
	open_keys(f);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, 3);
}

static int setup_no_principals(void **state)
{
	return setup_n(state, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	te_keys_close(f->keys);
	te_hsm_close(f->hsm);
	tu_rmtree(f->dir);
	te_ipc_msg_wipe(f->req);
	te_ipc_msg_wipe(f->rep);
	free(f->req);
	free(f->rep);
	free(f);
	return 0;
}

/* ---- requests ---- */

static void q_init(te_ipc_keysvc_req *q, uint32_t uid, uint8_t op)
{
	memset(q, 0, sizeof(*q));
	q->uid = uid;
	q->op = op;
}

/* Sends q; returns the reply's status (f->kr holds the reply). */
static unsigned call(struct fx *f, const te_ipc_keysvc_req *q)
{
	assert_int_equal(te_ipc_keysvc_req_encode(q, f->req), TE_OK);
	f->req->id = 4242;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->id, 4242);
	assert_int_equal(f->rep->type, TE_IPC_KEYSVC_REPLY);
	assert_int_equal(te_ipc_keysvc_reply_decode(f->rep, &f->kr), TE_OK);
	return f->kr.status;
}

/* The last reply was a refusal with this status and message. */
static void refused(struct fx *f, unsigned status, const char *msg)
{
	char got[TE_IPC_KEYSVC_MSG_MAX + 1];

	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_MESSAGE);
	memcpy(got, f->kr.payload, f->kr.payload_len);
	got[f->kr.payload_len] = '\0';
	if (f->kr.status != status || (msg != NULL && strcmp(got, msg) != 0))
		fail_msg("expected %u '%s', got %u '%s'", status, msg ? msg : "*",
		         (unsigned)f->kr.status, got);
}

/* Copies the handle of the last (200) reply to out. */
static void got_handle(struct fx *f, char *out)
{
	assert_int_equal(f->kr.status, 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_HANDLE);
	memcpy(out, f->kr.payload, f->kr.payload_len);
	out[f->kr.payload_len] = '\0';
}

static unsigned key_create(struct fx *f, uint32_t uid, const char *id, uint32_t usage,
                           const uint8_t *bytes, size_t n, uint16_t length)
{
	te_ipc_keysvc_req q;

	q_init(&q, uid, TE_IPC_KEYSVC_KEY_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", id);
	q.usage = usage;
	q.key_bytes = bytes;
	q.key_bytes_len = n;
	q.length_bytes = length;
	return call(f, &q);
}

static unsigned by_id(struct fx *f, uint32_t uid, uint8_t op, const char *id)
{
	te_ipc_keysvc_req q;

	q_init(&q, uid, op);
	snprintf(q.key_id, sizeof(q.key_id), "%s", id);
	return call(f, &q);
}

static unsigned by_handle(struct fx *f, uint32_t uid, uint8_t op, const char *handle)
{
	te_ipc_keysvc_req q;

	q_init(&q, uid, op);
	snprintf(q.handle, sizeof(q.handle), "%s", handle);
	return call(f, &q);
}

static unsigned keypair_create(struct fx *f, uint32_t uid, const char *id, uint8_t pref)
{
	te_ipc_keysvc_req q;

	q_init(&q, uid, TE_IPC_KEYSVC_KEYPAIR_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", id);
	q.prefs[0] = pref;
	q.n_prefs = 1;
	return call(f, &q);
}

static unsigned param(struct fx *f, uint32_t uid, const char *handle, uint8_t p)
{
	te_ipc_keysvc_req q;

	q_init(&q, uid, TE_IPC_KEYSVC_PARAMETER);
	snprintf(q.handle, sizeof(q.handle), "%s", handle);
	q.param = p;
	return call(f, &q);
}

static unsigned sign(struct fx *f, uint32_t uid, const char *handle, uint8_t alg, const void *data,
                     size_t n)
{
	te_ipc_keysvc_req q;

	q_init(&q, uid, TE_IPC_KEYSVC_SIGN);
	snprintf(q.handle, sizeof(q.handle), "%s", handle);
	q.alg = alg;
	q.data = data;
	q.data_len = n;
	return call(f, &q);
}

static unsigned do_crypt(struct fx *f, uint32_t uid, int encrypt, const char *handle, uint8_t alg,
                         const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
                         const void *data, size_t n)
{
	te_ipc_keysvc_req q;

	q_init(&q, uid, encrypt ? TE_IPC_KEYSVC_ENCRYPT : TE_IPC_KEYSVC_DECRYPT);
	snprintf(q.handle, sizeof(q.handle), "%s", handle);
	q.alg = alg;
	q.iv = iv;
	q.iv_len = iv_len;
	q.aad = aad;
	q.aad_len = aad_len;
	q.data = data;
	q.data_len = n;
	return call(f, &q);
}

static unsigned derive(struct fx *f, uint32_t uid, const char *handle, const void *data, size_t n)
{
	te_ipc_keysvc_req q;

	q_init(&q, uid, TE_IPC_KEYSVC_DERIVE);
	snprintf(q.handle, sizeof(q.handle), "%s", handle);
	q.data = data;
	q.data_len = n;
	return call(f, &q);
}

/* The HMAC-SHA256 of msg under the key of handle (a 200 SIGNATURE). */
static void hmac_with(struct fx *f, const char *handle, const char *msg, uint8_t out[32])
{
	assert_int_equal(sign(f, OWNER, handle, TE_IPC_KEYSVC_ALG_HMAC_SHA256, msg, strlen(msg)),
	                 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_SIGNATURE);
	assert_int_equal(f->kr.payload_len, 32);
	memcpy(out, f->kr.payload, 32);
}

static void ossl_hmac(const void *key, size_t key_len, const void *msg, size_t n, uint8_t out[32])
{
	unsigned len = 32;

	assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, msg, n, out, &len));
	assert_int_equal(len, 32);
}

static size_t count_prefix(te_hsm *hsm, const char *prefix)
{
	te_hsm_key_info *list = NULL;
	size_t n = 0, hits = 0;

	assert_int_equal(te_hsm_key_list(hsm, &list, &n), TE_OK);
	for (size_t i = 0; i < n; i++)
		hits += strncmp(list[i].name, prefix, strlen(prefix)) == 0;
	free(list);
	return hits;
}

/* Runs op with stderr in a file and returns what was logged (malloc'd). */
struct logcap {
	int saved;
	char *path;
};

static void log_start(struct fx *f, struct logcap *c)
{
	int fd;

	c->path = tu_path(f->dir, "log.txt");
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static char *log_end(struct logcap *c)
{
	uint8_t *data = NULL;
	size_t n = 0;
	char *s;

	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	assert_int_equal(tu_read_file(c->path, &data, &n), 0);
	s = malloc(n + 1);
	assert_non_null(s);
	if (n > 0)
		memcpy(s, data, n);
	s[n] = '\0';
	free(data);
	free(c->path);
	return s;
}

/* ---- symmetric keys ---- */

static void test_key_lifecycle(void **state)
{
	struct fx *f = *state;
	char h1[TE_KEYHANDLE_TEXT_MAX + 1], h2[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t m1[32], m2[32];

	assert_int_equal(
	    key_create(f, OWNER, "test-k", TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_SIGN, NULL, 0, 0),
	    200);
	got_handle(f, h1);
	/* The HSM key: what was asked, not exportable. */
	{
		te_hsm_key_info info;

		assert_int_equal(te_hsm_key_info_get(f->hsm, "test-k", &info), TE_OK);
		assert_int_equal(info.type, TE_HSM_KEY_HMAC_SHA256);
		assert_int_equal(info.usage, TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_SIGN);
		assert_false(info.exportable);
	}
	/* GET /key/{id}: another handle (fresh nonce) to the same key. */
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "test-k"), 200);
	got_handle(f, h2);
	assert_string_not_equal(h1, h2);
	hmac_with(f, h1, "hello", m1);
	hmac_with(f, h2, "hello", m2);
	assert_memory_equal(m1, m2, 32);
	/* Creating it again answers its handle; as another type or by
	 * import it is a conflict. */
	assert_int_equal(key_create(f, OWNER, "test-k", TE_HSM_USAGE_SIGN, NULL, 0, 0), 200);
	assert_int_equal(key_create(f, OWNER, "test-k", TE_HSM_USAGE_ENCRYPT, NULL, 0, 0), 409);
	refused(f, 409, "a key with this id exists with another type");
	assert_int_equal(key_create(f, OWNER, "test-k", TE_HSM_USAGE_SIGN, base_bytes, 32, 0), 409);
	refused(f, 409, "a key with this id already exists");
	/* A key pair's handle op refuses a symmetric key id. */
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEYPAIR_LOAD, "test-k"), 404);
	refused(f, 404, "no key pair with this id");
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "test-none"), 404);
	refused(f, 404, "key not found");

	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEY_DELETE, h1), 204);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_NONE);
	assert_false(te_hsm_key_exists(f->hsm, "test-k"));
	assert_int_equal(sign(f, OWNER, h2, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "x", 1), 404);
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEY_DELETE, h2), 404);
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "test-k"), 404);
}

static void test_key_import_pinned(void **state)
{
	struct fx *f = *state;
	char h[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t got[32], want[32];
	static const char msg[] = "the message";

	assert_int_equal(key_create(f, OWNER, "imp-a", TE_HSM_USAGE_SIGN, base_bytes, 32, 0), 200);
	got_handle(f, h);
	hmac_with(f, h, msg, got);
	ossl_hmac(base_bytes, 32, msg, strlen(msg), want);
	assert_memory_equal(got, want, 32);
	/* An empty message too. */
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "", 0), 200);
	ossl_hmac(base_bytes, 32, "", 0, want);
	assert_memory_equal(f->kr.payload, want, 32);
	/* Short keys import as they are. */
	assert_int_equal(key_create(f, OWNER, "imp-b", TE_HSM_USAGE_SIGN, base_bytes, 1, 0), 200);
	got_handle(f, h);
	hmac_with(f, h, msg, got);
	ossl_hmac(base_bytes, 1, msg, strlen(msg), want);
	assert_memory_equal(got, want, 32);
	/* Import cannot make an encryption key. */
	assert_int_equal(key_create(f, OWNER, "imp-c", TE_HSM_USAGE_ENCRYPT, base_bytes, 32, 0),
	                 400);
	assert_false(te_hsm_key_exists(f->hsm, "imp-c"));
	/* Neither a key with usage sign only can be a derivation base. */
	assert_int_equal(derive(f, OWNER, h, "d", 1), 403);
	refused(f, 403, "the key's policy does not allow this operation");
	/* ECDSA with a symmetric key. */
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_ECDSA, want, 32), 400);
	refused(f, 400, "ECDSA needs a key pair handle");
}

static void test_key_lengths_and_usages(void **state)
{
	struct fx *f = *state;
	char h[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t m[32];

	assert_int_equal(key_create(f, OWNER, "test-l16", TE_HSM_USAGE_SIGN, NULL, 0, 16), 200);
	got_handle(f, h);
	hmac_with(f, h, "m", m);
	assert_int_equal(key_create(f, OWNER, "test-l32", TE_HSM_USAGE_SIGN, NULL, 0, 32), 200);
	assert_int_equal(key_create(f, OWNER, "test-l64", TE_HSM_USAGE_SIGN, NULL, 0, 64), 200);
	assert_int_equal(key_create(f, OWNER, "test-aes", TE_HSM_USAGE_ENCRYPT, NULL, 0, 32), 200);
	assert_int_equal(key_create(f, OWNER, "test-aes16", TE_HSM_USAGE_ENCRYPT, NULL, 0, 16),
	                 400);
	refused(f, 400, "an encryption key is 32 bytes long");
	assert_int_equal(
	    key_create(f, OWNER, "test-mix", TE_HSM_USAGE_ENCRYPT | TE_HSM_USAGE_SIGN, NULL, 0, 0),
	    400);
	refused(f, 400, "usage encrypt cannot be combined with derive or sign");
	assert_false(te_hsm_key_exists(f->hsm, "test-mix"));
	/* An encryption key cannot HMAC, nor be a base. */
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "test-aes"), 200);
	got_handle(f, h);
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "x", 1), 400);
	refused(f, 400, "HMAC-SHA256 needs an hmac-sha256 key");
	assert_int_equal(derive(f, OWNER, h, "x", 1), 400);
}

/* ---- AEAD ---- */

static void test_aead(void **state)
{
	struct fx *f = *state;
	static const uint8_t aes[32] = {0x42, 0x43, 0x44};
	const te_hsm_key_attrs attrs = {TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 0};
	const uint8_t iv[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
	const uint8_t iv2[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 3};
	const uint8_t aad[] = "header";
	const char pt[] = "a secret plaintext";
	char h[TE_KEYHANDLE_TEXT_MAX + 1], hm[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t ct[sizeof(pt) - 1 + 16], want[sizeof(pt) - 1 + 16] = {0};
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0;

	/* A key whose bytes the test knows, put in the HSM directly. */
	assert_int_equal(te_hsm_key_import(f->hsm, "test-gcm", &attrs, aes, sizeof(aes)), TE_OK);
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "test-gcm"), 200);
	got_handle(f, h);
	assert_int_equal(
	    do_crypt(f, OWNER, 1, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 6, pt, strlen(pt)), 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_CIPHERTEXT);
	assert_int_equal(f->kr.payload_len, sizeof(ct));
	memcpy(ct, f->kr.payload, sizeof(ct));
	/* ct || tag, as OpenSSL makes it with the caller's IV and AAD. */
	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, aes, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &len, aad, 6), 1);
	assert_int_equal(EVP_EncryptUpdate(c, want, &len, (const uint8_t *)pt, (int)strlen(pt)), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, want + len, &len), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, want + strlen(pt)), 1);
	EVP_CIPHER_CTX_free(c);
	assert_memory_equal(ct, want, sizeof(ct));

	assert_int_equal(
	    do_crypt(f, OWNER, 0, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 6, ct, sizeof(ct)), 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_PLAINTEXT);
	assert_int_equal(f->kr.payload_len, strlen(pt));
	assert_memory_equal(f->kr.payload, pt, strlen(pt));

	/* Tampered tag, ciphertext, AAD or IV. */
	ct[sizeof(ct) - 1] ^= 1;
	assert_int_equal(
	    do_crypt(f, OWNER, 0, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 6, ct, sizeof(ct)), 400);
	refused(f, 400, "ciphertext could not be decrypted");
	ct[sizeof(ct) - 1] ^= 1;
	ct[0] ^= 1;
	assert_int_equal(
	    do_crypt(f, OWNER, 0, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 6, ct, sizeof(ct)), 400);
	ct[0] ^= 1;
	assert_int_equal(
	    do_crypt(f, OWNER, 0, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 5, ct, sizeof(ct)), 400);
	assert_int_equal(
	    do_crypt(f, OWNER, 0, h, TE_IPC_KEYSVC_ALG_AEAD, iv2, 12, aad, 6, ct, sizeof(ct)), 400);
	/* Shorter than a tag. */
	assert_int_equal(do_crypt(f, OWNER, 0, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 6, ct, 15),
	                 400);
	refused(f, 400, "ciphertext could not be decrypted");
	/* An IV of another length. */
	assert_int_equal(do_crypt(f, OWNER, 1, h, TE_IPC_KEYSVC_ALG_AEAD, want, 16, NULL, 0, pt, 1),
	                 400);
	refused(f, 400, "parameters.iv must be 12 bytes for AES-256-GCM");
	/* The empty plaintext round trips. */
	assert_int_equal(do_crypt(f, OWNER, 1, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, NULL, 0, "", 0),
	                 200);
	assert_int_equal(f->kr.payload_len, 16);
	memcpy(want, f->kr.payload, 16);
	assert_int_equal(
	    do_crypt(f, OWNER, 0, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, NULL, 0, want, 16), 200);
	assert_int_equal(f->kr.payload_len, 0);
	/* A generated encryption key round trips too. */
	assert_int_equal(key_create(f, OWNER, "test-gen", TE_HSM_USAGE_ENCRYPT, NULL, 0, 0), 200);
	got_handle(f, hm);
	assert_int_equal(do_crypt(f, OWNER, 1, hm, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 6, pt, 3),
	                 200);
	memcpy(want, f->kr.payload, 19);
	assert_int_equal(
	    do_crypt(f, OWNER, 0, hm, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 6, want, 19), 200);
	assert_memory_equal(f->kr.payload, pt, 3);
	/* ...but not under the other key. */
	assert_int_equal(do_crypt(f, OWNER, 0, h, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, aad, 6, want, 19),
	                 400);
	/* An HMAC key cannot encrypt; RSA algorithms need a key pair. */
	assert_int_equal(key_create(f, OWNER, "test-mac", TE_HSM_USAGE_SIGN, NULL, 0, 0), 200);
	got_handle(f, hm);
	assert_int_equal(do_crypt(f, OWNER, 1, hm, TE_IPC_KEYSVC_ALG_AEAD, iv, 12, NULL, 0, pt, 1),
	                 400);
	refused(f, 400, "AEAD needs an encryption key (usage encrypt)");
	assert_int_equal(
	    do_crypt(f, OWNER, 1, h, TE_IPC_KEYSVC_ALG_RSA_PKCS1, NULL, 0, NULL, 0, pt, 1), 400);
	refused(f, 400, "RSA algorithms need a key pair handle");
}

/* ---- key pairs ---- */

/* An EC P-256 public key from the uncompressed point. */
static EVP_PKEY *ec_from_point(const uint8_t *pt, size_t n)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pk = NULL;

	assert_non_null(b);
	assert_non_null(ctx);
	assert_int_equal(
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, n), 1);
	params = OSSL_PARAM_BLD_to_param(b);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static int ecdsa_verifies(EVP_PKEY *pk, const uint8_t *digest, size_t dlen, const uint8_t *sig,
                          size_t slen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	int ok;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	ok = EVP_PKEY_verify(ctx, sig, slen, digest, dlen);
	EVP_PKEY_CTX_free(ctx);
	return ok == 1;
}

static void test_keypair_ecdsa(void **state)
{
	struct fx *f = *state;
	static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
	                                   0xce, 0x3d, 0x03, 0x01, 0x07};
	char h[TE_KEYHANDLE_TEXT_MAX + 1], h2[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t point[65], digest[SHA384_DIGEST_LENGTH], sig[TE_HSM_SIG_MAX];
	size_t sig_len;
	EVP_PKEY *pk;
	te_hsm_key_info info;

	assert_int_equal(keypair_create(f, OWNER, "test-ec", TE_IPC_KEYSVC_PREF_EC_P256), 200);
	got_handle(f, h);
	assert_int_equal(te_hsm_key_info_get(f->hsm, "test-ec", &info), TE_OK);
	assert_int_equal(info.type, TE_HSM_KEY_EC_P256);
	assert_false(info.exportable);
	/* It exists: its handle again, whatever the preference. */
	assert_int_equal(keypair_create(f, OWNER, "test-ec", TE_IPC_KEYSVC_PREF_RSA_2048), 200);
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEYPAIR_LOAD, "test-ec"), 200);
	got_handle(f, h2);
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "test-ec"), 404);
	refused(f, 404, "no symmetric key with this id");

	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_ALGORITHM), 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_VALUE_TEXT);
	assert_int_equal(f->kr.payload_len, 5);
	assert_memory_equal(f->kr.payload, "ECDSA", 5);
	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_EC_CURVE_OID), 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_VALUE);
	assert_int_equal(f->kr.payload_len, sizeof(p256_oid));
	assert_memory_equal(f->kr.payload, p256_oid, sizeof(p256_oid));
	assert_int_equal(param(f, OWNER, h2, TE_IPC_KEYSVC_PARAM_EC_POINT), 200);
	assert_int_equal(f->kr.payload_len, 65);
	assert_int_equal(f->kr.payload[0], 0x04);
	memcpy(point, f->kr.payload, 65);
	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_RSA_MODULUS), 400);
	refused(f, 400, "the parameter does not apply to this key");
	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_RSA_EXPONENT), 400);

	/* ECDSA over a SHA-256 and a SHA-384 digest, checked with the point. */
	pk = ec_from_point(point, sizeof(point));
	SHA256((const uint8_t *)"signed data", 11, digest);
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_ECDSA, digest, 32), 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_SIGNATURE);
	sig_len = f->kr.payload_len;
	memcpy(sig, f->kr.payload, sig_len);
	assert_true(ecdsa_verifies(pk, digest, 32, sig, sig_len));
	digest[0] ^= 1;
	assert_false(ecdsa_verifies(pk, digest, 32, sig, sig_len));
	SHA384((const uint8_t *)"signed data", 11, digest);
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_ECDSA, digest, 48), 200);
	sig_len = f->kr.payload_len;
	memcpy(sig, f->kr.payload, sig_len);
	assert_true(ecdsa_verifies(pk, digest, 48, sig, sig_len));
	EVP_PKEY_free(pk);
	/* Other digest lengths; HMAC with a key pair. */
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_ECDSA, digest, 20), 400);
	refused(f, 400,
	        "parameters.digest must be a SHA-256 (32 bytes) or SHA-384 (48 bytes) digest");
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 400);
	refused(f, 400, "HMAC-SHA256 needs a symmetric or derived key handle");
	/* AEAD with a key pair. */
	assert_int_equal(
	    do_crypt(f, OWNER, 1, h, TE_IPC_KEYSVC_ALG_AEAD, digest, 12, NULL, 0, "p", 1), 400);
	refused(f, 400, "AEAD needs a symmetric key handle");

	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEYPAIR_DELETE, h), 204);
	assert_false(te_hsm_key_exists(f->hsm, "test-ec"));
	assert_int_equal(param(f, OWNER, h2, TE_IPC_KEYSVC_PARAM_EC_POINT), 404);
}

static void test_keypair_rsa(void **state)
{
	struct fx *f = *state;
	te_ipc_keysvc_req q;
	char h[TE_KEYHANDLE_TEXT_MAX + 1];
	te_hsm_key_info info;

	/* The first supported preference is taken. */
	q_init(&q, OWNER, TE_IPC_KEYSVC_KEYPAIR_CREATE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "test-rsa");
	q.prefs[0] = TE_IPC_KEYSVC_PREF_RSA_2048;
	q.prefs[1] = TE_IPC_KEYSVC_PREF_EC_P256;
	q.n_prefs = 2;
	assert_int_equal(call(f, &q), 200);
	got_handle(f, h);
	assert_int_equal(te_hsm_key_info_get(f->hsm, "test-rsa", &info), TE_OK);
	assert_int_equal(info.type, TE_HSM_KEY_RSA_2048);

	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_ALGORITHM), 200);
	assert_int_equal(f->kr.payload_len, 3);
	assert_memory_equal(f->kr.payload, "RSA", 3);
	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_RSA_MODULUS), 200);
	assert_int_equal(f->kr.payload_len, 256);
	assert_true(f->kr.payload[0] & 0x80);
	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_RSA_EXPONENT), 200);
	assert_int_equal(f->kr.payload_len, 3);
	assert_memory_equal(f->kr.payload, "\x01\x00\x01", 3);
	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_EC_POINT), 400);
	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_EC_CURVE_OID), 400);
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_ECDSA, info.name, 32), 400);
	refused(f, 400, "ECDSA needs an EC key pair");
	/* RSA encryption is not served. */
	assert_int_equal(
	    do_crypt(f, OWNER, 1, h, TE_IPC_KEYSVC_ALG_RSA_PKCS1, NULL, 0, NULL, 0, "p", 1), 501);
	refused(f, 501, "RSA-PKCS1 and RSA-NO-PADDING encryption are not supported");
	assert_int_equal(
	    do_crypt(f, OWNER, 1, h, TE_IPC_KEYSVC_ALG_RSA_NO_PADDING, NULL, 0, NULL, 0, "p", 1),
	    501);
	/* "*" is EC P-256. */
	assert_int_equal(keypair_create(f, OWNER, "test-any", TE_IPC_KEYSVC_PREF_ANY), 200);
	assert_int_equal(te_hsm_key_info_get(f->hsm, "test-any", &info), TE_OK);
	assert_int_equal(info.type, TE_HSM_KEY_EC_P256);
	/* A symmetric key of that id is no key pair. */
	assert_int_equal(key_create(f, OWNER, "test-sym", TE_HSM_USAGE_SIGN, NULL, 0, 0), 200);
	assert_int_equal(keypair_create(f, OWNER, "test-sym", TE_IPC_KEYSVC_PREF_EC_P256), 409);
	refused(f, 409, "a key with this id exists and is not a key pair");
}

static void test_keypair_move_unsupported(void **state)
{
	struct fx *f = *state;
	te_ipc_keysvc_req q;

	assert_int_equal(keypair_create(f, OWNER, "test-from", TE_IPC_KEYSVC_PREF_EC_P256), 200);
	q_init(&q, OWNER, TE_IPC_KEYSVC_KEYPAIR_MOVE);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "test-to");
	snprintf(q.from_key_id, sizeof(q.from_key_id), "%s", "test-from");
	assert_int_equal(call(f, &q), 501);
	refused(f, 501, "moving a key pair is not supported: the HSM cannot rename keys");
	assert_true(te_hsm_key_exists(f->hsm, "test-from"));
	/* Both ends are checked first. */
	snprintf(q.from_key_id, sizeof(q.from_key_id), "%s", "other-x");
	assert_int_equal(call(f, &q), 403);
	snprintf(q.from_key_id, sizeof(q.from_key_id), "%s", "test-from");
	snprintf(q.key_id, sizeof(q.key_id), "%s", "edge-ca");
	q.uid = ANYONE;
	assert_int_equal(call(f, &q), 403);
}

/* ---- derived keys ---- */

static void test_derived(void **state)
{
	struct fx *f = *state;
	static const uint8_t data[] = "derivation data";
	char base[TE_KEYHANDLE_TEXT_MAX + 1], dh[TE_KEYHANDLE_TEXT_MAX + 1];
	char dh2[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t derived[32], want[32], got[32];
	const size_t tmp_before = count_prefix(f->hsm, "keysvc-tmp-");
	const size_t keys_before = count_prefix(f->hsm, "");

	assert_int_equal(key_create(f, OWNER, "imp-base", TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_SIGN,
	                            base_bytes, 32, 0),
	                 200);
	got_handle(f, base);
	assert_int_equal(derive(f, OWNER, base, data, sizeof(data) - 1), 200);
	got_handle(f, dh);
	/* The derivation is no HSM work: nothing was stored. */
	assert_int_equal(count_prefix(f->hsm, ""), keys_before + 1);

	/* HMAC(HMAC(base, data), msg), computed here independently. */
	ossl_hmac(base_bytes, 32, data, sizeof(data) - 1, derived);
	ossl_hmac(derived, 32, "msg", 3, want);
	hmac_with(f, dh, "msg", got);
	assert_memory_equal(got, want, 32);
	/* The transient key is gone, and nothing else was kept. */
	assert_int_equal(count_prefix(f->hsm, "keysvc-tmp-"), tmp_before);
	assert_int_equal(count_prefix(f->hsm, ""), keys_before + 1);
	/* Other data, another key; empty data works. */
	assert_int_equal(derive(f, OWNER, base, "", 0), 200);
	got_handle(f, dh2);
	hmac_with(f, dh2, "msg", got);
	ossl_hmac(base_bytes, 32, "", 0, derived);
	ossl_hmac(derived, 32, "msg", 3, want);
	assert_memory_equal(got, want, 32);
	/* A derived handle is no base, nor a key to delete or load. */
	assert_int_equal(derive(f, OWNER, dh, "x", 1), 400);
	refused(f, 400, "key handle must be for a symmetric key");
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEY_DELETE, dh), 400);
	assert_int_equal(
	    do_crypt(f, OWNER, 1, dh, TE_IPC_KEYSVC_ALG_AEAD, want, 12, NULL, 0, "p", 1), 400);
	assert_int_equal(sign(f, OWNER, dh, TE_IPC_KEYSVC_ALG_ECDSA, want, 32), 400);
	/* The base key is not exportable: neither is its derivative. */
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_DERIVED_EXPORT, dh), 403);
	refused(f, 403, "the base key is not exportable, so its derived keys are not either");
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_DERIVED_EXPORT, base), 400);
	refused(f, 400, "key handle must be for a derived key");
	/* Deleting the base ends its derived keys. */
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEY_DELETE, base), 204);
	assert_int_equal(sign(f, OWNER, dh, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "msg", 3), 404);
	assert_int_equal(count_prefix(f->hsm, "keysvc-tmp-"), tmp_before);
}

static void test_derived_export(void **state)
{
	struct fx *f = *state;
	const te_hsm_key_attrs exp = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_DERIVE, 1};
	static const uint8_t data[] = {0, 1, 2, 0xff};
	char base[TE_KEYHANDLE_TEXT_MAX + 1], dh[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t want[32];
	const size_t tmp_before = count_prefix(f->hsm, "keysvc-tmp-");

	/* An administrator's exportable base, put in the HSM directly. */
	assert_int_equal(te_hsm_key_import(f->hsm, "test-exp", &exp, base_bytes, 32), TE_OK);
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "test-exp"), 200);
	got_handle(f, base);
	assert_int_equal(derive(f, OWNER, base, data, sizeof(data)), 200);
	got_handle(f, dh);
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_DERIVED_EXPORT, dh), 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_KEY);
	assert_int_equal(f->kr.payload_len, 32);
	ossl_hmac(base_bytes, 32, data, sizeof(data), want);
	assert_memory_equal(f->kr.payload, want, 32);
	assert_int_equal(count_prefix(f->hsm, "keysvc-tmp-"), tmp_before);
	/* Signing needs usage sign on the derived key, which it has. */
	assert_int_equal(sign(f, OWNER, dh, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 200);
	/* Another uid may not export it. */
	assert_int_equal(by_handle(f, OTHER, TE_IPC_KEYSVC_DERIVED_EXPORT, dh), 403);
}

/* ---- principals and reserved keys ---- */

static void test_principals(void **state)
{
	struct fx *f = *state;
	char h[TE_KEYHANDLE_TEXT_MAX + 1], dh[TE_KEYHANDLE_TEXT_MAX + 1];
	struct logcap cap;
	char *log;

	assert_int_equal(
	    key_create(f, OWNER, "test-p", TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_SIGN, NULL, 0, 0),
	    200);
	got_handle(f, h);
	assert_int_equal(derive(f, OWNER, h, "d", 1), 200);
	got_handle(f, dh);

	log_start(f, &cap);
	/* Another uid, with a genuine handle or by id. */
	assert_int_equal(sign(f, OTHER, h, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 403);
	refused(f, 403, "the caller may not use this key");
	assert_int_equal(sign(f, OTHER, dh, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 403);
	assert_int_equal(by_id(f, OTHER, TE_IPC_KEYSVC_KEY_LOAD, "test-p"), 403);
	assert_int_equal(by_handle(f, OTHER, TE_IPC_KEYSVC_KEY_DELETE, h), 403);
	assert_int_equal(derive(f, OTHER, h, "d", 1), 403);
	/* A uid with no principal. */
	assert_int_equal(by_id(f, 4242, TE_IPC_KEYSVC_KEY_LOAD, "test-p"), 403);
	/* The owner, outside its globs: refused before the key is looked at. */
	assert_int_equal(key_create(f, OWNER, "prod-key", TE_HSM_USAGE_SIGN, NULL, 0, 0), 403);
	assert_int_equal(keypair_create(f, OWNER, "prod-pair", TE_IPC_KEYSVC_PREF_EC_P256), 403);
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "tes"), 403);
	assert_int_equal(by_id(f, OWNER, TE_IPC_KEYSVC_KEY_LOAD, "Test-p"), 403);
	/* The owner, allowed: an audit line too. */
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 200);
	log = log_end(&cap);
	assert_false(te_hsm_key_exists(f->hsm, "prod-key"));
	assert_false(te_hsm_key_exists(f->hsm, "prod-pair"));
	assert_non_null(strstr(log, "audit: caller uid=1001 op=sign key=test-p result=denied"));
	assert_non_null(strstr(log, "audit: caller uid=1001 op=key-load key=test-p result=denied"));
	assert_non_null(strstr(log, "audit: caller uid=4242 op=key-load key=test-p result=denied"));
	assert_non_null(
	    strstr(log, "audit: caller uid=1000 op=key-create key=prod-key result=denied"));
	assert_non_null(
	    strstr(log, "audit: caller uid=1000 op=sign key=test-p result=allowed status=200"));
	/* Secrets never reach the log. */
	assert_null(strstr(log, h));
	free(log);

	/* The other uid uses its own keys. */
	assert_int_equal(key_create(f, OTHER, "other-k", TE_HSM_USAGE_SIGN, NULL, 0, 0), 200);
	assert_int_equal(key_create(f, OWNER, "other-k", TE_HSM_USAGE_SIGN, NULL, 0, 0), 403);
}

static void test_reserved_keys(void **state)
{
	struct fx *f = *state;
	static const char *const reserved[] = {
	    TE_KEYS_SVC_HANDLE_KEY, DEVICE_KEY, ENCRYPT_KEY,
	    "keysvc-tmp-0123",      "mod-abc",  "edge-ca",
	    "edge-ca.r1",
	};

	/* The daemon's own keys exist... */
	assert_true(te_hsm_key_exists(f->hsm, TE_KEYS_SVC_HANDLE_KEY));
	assert_true(te_hsm_key_exists(f->hsm, ENCRYPT_KEY));
	/* ...and uid 2000 may use "*", but not them. */
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		assert_int_equal(by_id(f, ANYONE, TE_IPC_KEYSVC_KEY_LOAD, reserved[i]), 403);
		assert_int_equal(by_id(f, ANYONE, TE_IPC_KEYSVC_KEYPAIR_LOAD, reserved[i]), 403);
		assert_int_equal(key_create(f, ANYONE, reserved[i], TE_HSM_USAGE_SIGN, NULL, 0, 0),
		                 403);
	}
	/* The handle key was not replaced through the API. */
	{
		te_hsm_key_info info;

		assert_int_equal(te_hsm_key_info_get(f->hsm, TE_KEYS_SVC_HANDLE_KEY, &info), TE_OK);
		assert_false(info.exportable);
	}
	assert_int_equal(key_create(f, ANYONE, "anything", TE_HSM_USAGE_SIGN, NULL, 0, 0), 200);
}

/* ---- handles ---- */

static te_err fake_mac(void *arg, const uint8_t *data, size_t len, uint8_t tag[32])
{
	unsigned n = 32;

	(void)arg;
	return HMAC(EVP_sha256(), "not the key", 11, data, len, tag, &n) != NULL ? TE_OK
	                                                                         : TE_ERR_CRYPTO;
}

static void test_handles_refused(void **state)
{
	struct fx *f = *state;
	char h[TE_KEYHANDLE_TEXT_MAX + 1], ph[TE_KEYHANDLE_TEXT_MAX + 1];
	char forged[TE_KEYHANDLE_TEXT_MAX + 1];
	te_keyhandle fh;

	assert_int_equal(
	    key_create(f, OWNER, "test-h", TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_SIGN, NULL, 0, 0),
	    200);
	got_handle(f, h);
	assert_int_equal(keypair_create(f, OWNER, "test-hp", TE_IPC_KEYSVC_PREF_EC_P256), 200);
	got_handle(f, ph);

	/* A well-formed handle MACed under another key. */
	memset(&fh, 0, sizeof(fh));
	fh.kind = TE_KEYHANDLE_KIND_KEY;
	snprintf(fh.id, sizeof(fh.id), "%s", "test-h");
	assert_int_equal(te_keyhandle_encode(fake_mac, NULL, &fh, forged, sizeof(forged)), TE_OK);
	assert_int_equal(sign(f, OWNER, forged, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 400);
	refused(f, 400, "invalid key handle");
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEY_DELETE, forged), 400);
	assert_true(te_hsm_key_exists(f->hsm, "test-h"));
	/* Every character of a genuine handle altered. */
	for (size_t i = 0; h[i] != '\0'; i++) {
		char alt[TE_KEYHANDLE_TEXT_MAX + 1];

		memcpy(alt, h, sizeof(alt));
		alt[i] = alt[i] == 'A' ? 'B' : 'A';
		assert_int_equal(sign(f, OWNER, alt, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 400);
		refused(f, 400, "invalid key handle");
	}
	/* Cut short, or garbage. */
	{
		char cut[TE_KEYHANDLE_TEXT_MAX + 1];

		memcpy(cut, h, sizeof(cut));
		cut[strlen(cut) - 1] = '\0';
		assert_int_equal(sign(f, OWNER, cut, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 400);
	}
	assert_int_equal(sign(f, OWNER, "AAAA", TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 400);
	refused(f, 400, "invalid key handle");
	/* Genuine handles of the wrong kind. */
	assert_int_equal(param(f, OWNER, h, TE_IPC_KEYSVC_PARAM_ALGORITHM), 400);
	refused(f, 400, "key handle must be for a key pair");
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEYPAIR_DELETE, h), 400);
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEY_DELETE, ph), 400);
	refused(f, 400, "key handle must be for a symmetric key");
	assert_int_equal(derive(f, OWNER, ph, "d", 1), 400);
	assert_true(te_hsm_key_exists(f->hsm, "test-h"));
	assert_true(te_hsm_key_exists(f->hsm, "test-hp"));
}

/* Handles outlive the process: the handle key is in the HSM. */
static void test_handles_survive_reopen(void **state)
{
	struct fx *f = *state;
	char h[TE_KEYHANDLE_TEXT_MAX + 1];

	assert_int_equal(key_create(f, OWNER, "test-r", TE_HSM_USAGE_SIGN, NULL, 0, 0), 200);
	got_handle(f, h);
	te_keys_close(f->keys);
	f->keys = NULL;
	open_keys(f);
	assert_int_equal(sign(f, OWNER, h, TE_IPC_KEYSVC_ALG_HMAC_SHA256, "m", 1), 200);
}

/* ---- configuration and dispatch ---- */

static void test_no_principals(void **state)
{
	struct fx *f = *state;

	assert_int_equal(key_create(f, OWNER, "test-k", TE_HSM_USAGE_SIGN, NULL, 0, 0), 403);
	refused(f, 403, "the caller may not use this key");
	assert_int_equal(by_handle(f, OWNER, TE_IPC_KEYSVC_KEY_DELETE, "AAAA"), 403);
	assert_false(te_hsm_key_exists(f->hsm, "test-k"));
	/* No handle key is made when nobody may use the service. */
	assert_false(te_hsm_key_exists(f->hsm, TE_KEYS_SVC_HANDLE_KEY));
}

static void test_handle_key_checked(void **state)
{
	struct fx *f = *state;
	const te_hsm_key_attrs bad = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 1};
	te_keys_config cfg = {DEVICE_KEY, ENCRYPT_KEY};
	te_keys_cert_config cc;
	te_keys *k = NULL;

	te_keys_close(f->keys);
	f->keys = NULL;
	assert_int_equal(te_hsm_key_delete(f->hsm, TE_KEYS_SVC_HANDLE_KEY), TE_OK);
	/* An exportable handle key could be read out and handles forged. */
	assert_int_equal(te_hsm_key_create(f->hsm, TE_KEYS_SVC_HANDLE_KEY, &bad), TE_OK);
	memset(&cc, 0, sizeof(cc));
	cc.keys_service = &f->dc;
	assert_int_equal(te_keys_open_with_certs(f->hsm, &cfg, &cc, &k), TE_ERR_CONFIG);
	assert_null(k);
	assert_non_null(strstr(te_err_detail(), "cannot validate key handles"));
	assert_int_equal(te_hsm_key_delete(f->hsm, TE_KEYS_SVC_HANDLE_KEY), TE_OK);
	open_keys(f);
	assert_true(te_hsm_key_exists(f->hsm, TE_KEYS_SVC_HANDLE_KEY));
}

static void test_dispatch(void **state)
{
	struct fx *f = *state;
	te_keys_config cfg = {DEVICE_KEY, ENCRYPT_KEY};
	te_keys *plain = NULL;
	te_ipc_keysvc_req q;
	te_ipc_error_reply er;

	/* A handler opened without the keys service. */
	assert_int_equal(te_keys_open(f->hsm, &cfg, &plain), TE_OK);
	q_init(&q, OWNER, TE_IPC_KEYSVC_KEY_LOAD);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "test-x");
	assert_int_equal(te_ipc_keysvc_req_encode(&q, f->req), TE_OK);
	assert_int_equal(te_keys_handle(plain, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_ERROR_REPLY);
	assert_int_equal(te_ipc_error_reply_decode(f->rep, &er), TE_OK);
	assert_int_equal(er.code, TE_ERR_UNSUPPORTED);
	te_keys_close(plain);
	/* te_keys_cert_config_fill hands the keys service the config. */
	{
		te_daemon_config *dc = NULL;
		te_keys_cert_config cc;

		assert_int_equal(te_daemon_config_defaults(f->dir, &dc), TE_OK);
		te_keys_cert_config_fill(dc, &cc);
		assert_true(cc.keys_service == dc);
		te_daemon_config_free(dc);
	}
	/* A body that does not decode is a protocol error; a reply type is
	 * no request. */
	f->req->len--;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_ERR_MALFORMED);
	f->req->len++;
	f->req->body[4] = 0; /* op 0 */
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_ERR_MALFORMED);
	f->req->type = TE_IPC_KEYSVC_REPLY;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_ERROR_REPLY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_key_lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_import_pinned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_lengths_and_usages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aead, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keypair_ecdsa, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keypair_rsa, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keypair_move_unsupported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_derived, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_derived_export, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_principals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handles_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handles_survive_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_principals, setup_no_principals, teardown),
	    cmocka_unit_test_setup_teardown(test_handle_key_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
