/*
 * test_keys.c - the keys process's request handler on the soft backend in
 * a temporary store.  A known device key is imported so the derivation can
 * be pinned against an independent OpenSSL computation; the rest checks
 * that module keys are separated by module, genid and keyId and derived
 * once, that workload ciphertexts round trip and are bound to the module
 * identity and caller IV, that untrusted ciphertexts are checked, and the
 * dispatch contract (ERROR_REPLY vs TE_ERR_MALFORMED).  One request goes
 * through a real socketpair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/ipc.h"
#include "daemon/keys.h"
#include "testutil.h"
#include "trustedge/te_hsm.h"

#define DEVICE_KEY  "device-sas"
#define ENCRYPT_KEY "workload-encrypt"

static const uint8_t device_bytes[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

struct fx {
	char *dir;
	te_hsm *hsm;
	te_keys *keys;
	te_ipc_msg *req;
	te_ipc_msg *rep;
};

static te_hsm *open_hsm(const char *dir)
{
	te_hsm_setting s[] = {{"store", dir}};
	te_hsm *hsm = NULL;

	assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
	return hsm;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	te_hsm_key_attrs dev = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE, 0};
	te_keys_config cfg = {DEVICE_KEY, ENCRYPT_KEY};

	assert_non_null(f);
	f->dir = tu_tempdir("keys");
	f->hsm = open_hsm(f->dir);
	assert_int_equal(
	    te_hsm_key_import(f->hsm, DEVICE_KEY, &dev, device_bytes, sizeof(device_bytes)), TE_OK);
	assert_int_equal(te_keys_open(f->hsm, &cfg, &f->keys), TE_OK);
	f->req = calloc(1, sizeof(*f->req));
	f->rep = calloc(1, sizeof(*f->rep));
	assert_non_null(f->req);
	assert_non_null(f->rep);
	*state = f;
	return 0;
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

static size_t key_count(te_hsm *hsm)
{
	te_hsm_key_info *list = NULL;
	size_t n = 0;

	assert_int_equal(te_hsm_key_list(hsm, &list, &n), TE_OK);
	free(list);
	return n;
}

/* ---- request helpers: encode into f->req, answer into f->rep ---- */

static te_err sign(struct fx *f, const char *module, const char *genid, const char *key_id,
                   const void *data, size_t len)
{
	te_ipc_sign_derived_req r;

	memset(&r, 0, sizeof(r));
	snprintf(r.module, sizeof(r.module), "%s", module);
	snprintf(r.genid, sizeof(r.genid), "%s", genid);
	snprintf(r.key_id, sizeof(r.key_id), "%s", key_id);
	r.data = data;
	r.data_len = len;
	assert_int_equal(te_ipc_sign_derived_req_encode(&r, f->req), TE_OK);
	f->req->id = 42;
	return te_keys_handle(f->keys, f->req, f->rep);
}

/* Signs and returns the 32-byte digest in out. */
static void sign_ok(struct fx *f, const char *module, const char *genid, const char *key_id,
                    const char *data, uint8_t out[32])
{
	te_ipc_sign_reply rep;

	assert_int_equal(sign(f, module, genid, key_id, data, strlen(data)), TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_SIGN_REPLY);
	assert_int_equal(f->rep->id, 42);
	assert_int_equal(te_ipc_sign_reply_decode(f->rep, &rep), TE_OK);
	assert_int_equal(rep.digest_len, 32);
	memcpy(out, rep.digest, 32);
	te_ipc_msg_wipe(f->rep);
}

static te_err crypt_req(struct fx *f, uint16_t type, const char *module, const char *genid,
                        const void *iv, size_t iv_len, const void *data, size_t len)
{
	te_ipc_crypt_req r;

	memset(&r, 0, sizeof(r));
	snprintf(r.module, sizeof(r.module), "%s", module);
	snprintf(r.genid, sizeof(r.genid), "%s", genid);
	r.iv = iv;
	r.iv_len = iv_len;
	r.data = data;
	r.data_len = len;
	if (type == TE_IPC_ENCRYPT_REQ)
		assert_int_equal(te_ipc_encrypt_req_encode(&r, f->req), TE_OK);
	else
		assert_int_equal(te_ipc_decrypt_req_encode(&r, f->req), TE_OK);
	f->req->id = 7;
	return te_keys_handle(f->keys, f->req, f->rep);
}

/* Encrypts; returns a malloc'd ciphertext. */
static uint8_t *encrypt_ok(struct fx *f, const char *module, const char *genid, const char *iv,
                           const void *pt, size_t pt_len, size_t *ct_len)
{
	te_ipc_crypt_reply rep;
	uint8_t *ct;

	assert_int_equal(
	    crypt_req(f, TE_IPC_ENCRYPT_REQ, module, genid, iv, strlen(iv), pt, pt_len), TE_OK);
	te_ipc_msg_wipe(f->req); /* held plaintext */
	assert_int_equal(f->rep->type, TE_IPC_CRYPT_REPLY);
	assert_int_equal(f->rep->id, 7);
	assert_int_equal(te_ipc_crypt_reply_decode(f->rep, &rep), TE_OK);
	ct = malloc(rep.data_len);
	assert_non_null(ct);
	memcpy(ct, rep.data, rep.data_len);
	*ct_len = rep.data_len;
	return ct;
}

/* Expects f->rep to be an ERROR_REPLY with code; returns its message. */
static void expect_error(struct fx *f, te_err code, char *msg, size_t room)
{
	te_ipc_error_reply er;

	assert_int_equal(f->rep->type, TE_IPC_ERROR_REPLY);
	assert_int_equal(te_ipc_error_reply_decode(f->rep, &er), TE_OK);
	if (er.code != code)
		fprintf(stderr, "got %s (%s), expected %s\n", te_err_name(er.code), er.message,
		        te_err_name(code));
	assert_int_equal(er.code, code);
	assert_true(er.message[0] != '\0');
	if (msg != NULL)
		snprintf(msg, room, "%s", er.message);
}

static void decrypt_fails(struct fx *f, const char *module, const char *genid, const char *iv,
                          const uint8_t *ct, size_t ct_len, te_err code)
{
	assert_int_equal(
	    crypt_req(f, TE_IPC_DECRYPT_REQ, module, genid, iv, strlen(iv), ct, ct_len), TE_OK);
	expect_error(f, code, NULL, 0);
	assert_int_equal(f->rep->id, 7);
}

/* ---- open ---- */

static void test_open_creates_encrypt_key(void **state)
{
	struct fx *f = *state;
	te_hsm_key_info info;
	te_keys *again = NULL;
	te_keys_config cfg = {DEVICE_KEY, ENCRYPT_KEY};
	size_t n = key_count(f->hsm);

	assert_int_equal(te_hsm_key_info_get(f->hsm, ENCRYPT_KEY, &info), TE_OK);
	assert_int_equal(info.type, TE_HSM_KEY_AES_256_GCM);
	assert_true(info.usage & TE_HSM_USAGE_ENCRYPT);
	assert_int_equal(info.exportable, 0);
	/* A second open reuses it. */
	assert_int_equal(te_keys_open(f->hsm, &cfg, &again), TE_OK);
	assert_int_equal(key_count(f->hsm), n);
	te_keys_close(again);
	te_keys_close(NULL);
}

static void test_open_refuses_bad_keys(void **state)
{
	struct fx *f = *state;
	te_hsm_key_attrs sign_only = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs hmac_derive = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_DERIVE, 0};
	te_keys *k = (te_keys *)1;
	te_keys_config missing = {"no-such-key", ENCRYPT_KEY};
	te_keys_config no_derive = {"sign-only", ENCRYPT_KEY};
	te_keys_config aes_as_device = {ENCRYPT_KEY, "other-encrypt"};
	te_keys_config hmac_as_aes = {DEVICE_KEY, "hmac-derive"};
	te_keys_config same = {DEVICE_KEY, DEVICE_KEY};
	te_keys_config empty = {"", ENCRYPT_KEY};

	assert_int_equal(te_hsm_key_import(f->hsm, "sign-only", &sign_only, device_bytes, 32),
	                 TE_OK);
	assert_int_equal(te_hsm_key_import(f->hsm, "hmac-derive", &hmac_derive, device_bytes, 32),
	                 TE_OK);
	assert_int_equal(te_keys_open(f->hsm, &missing, &k), TE_ERR_NOT_FOUND);
	assert_null(k);
	assert_int_equal(te_keys_open(f->hsm, &no_derive, &k), TE_ERR_CONFIG);
	assert_int_equal(te_keys_open(f->hsm, &aes_as_device, &k), TE_ERR_CONFIG);
	assert_int_equal(te_keys_open(f->hsm, &hmac_as_aes, &k), TE_ERR_CONFIG);
	assert_int_equal(te_keys_open(f->hsm, &same, &k), TE_ERR_CONFIG);
	assert_int_equal(te_keys_open(f->hsm, &empty, &k), TE_ERR_CONFIG);
	assert_int_equal(te_keys_open(NULL, &same, &k), TE_ERR_INVALID_ARG);
	assert_null(k);
}

/* ---- sign ---- */

/* HMAC(HMAC(device key, derivation data), data), independently. */
static void expected_digest(const char *module, const char *genid, const char *key_id,
                            const char *data, uint8_t out[32])
{
	uint8_t dd[512], mk[32];
	unsigned int mk_len = 0, out_len = 0;
	int n = snprintf((char *)dd, sizeof(dd), "trustedge-module-sas-v1%c%s%c%s%c%s", 0, module,
	                 0, genid, 0, key_id);

	assert_true(n > 0 && (size_t)n < sizeof(dd));
	assert_non_null(
	    HMAC(EVP_sha256(), device_bytes, sizeof(device_bytes), dd, (size_t)n, mk, &mk_len));
	assert_int_equal(mk_len, 32);
	assert_non_null(
	    HMAC(EVP_sha256(), mk, sizeof(mk), (const uint8_t *)data, strlen(data), out, &out_len));
	assert_int_equal(out_len, 32);
}

static void test_sign_matches_documented_derivation(void **state)
{
	struct fx *f = *state;
	uint8_t got[32], want[32];

	sign_ok(f, "modA", "1", "primary", "hello", got);
	expected_digest("modA", "1", "primary", "hello", want);
	assert_memory_equal(got, want, 32);
	sign_ok(f, "$edgeHub", "637925837384001234", "secondary", "sr=x%2Fy\nse=1", got);
	expected_digest("$edgeHub", "637925837384001234", "secondary", "sr=x%2Fy\nse=1", want);
	assert_memory_equal(got, want, 32);
}

static void test_sign_separates_keys(void **state)
{
	struct fx *f = *state;
	uint8_t d[6][32];

	sign_ok(f, "modA", "1", "primary", "data", d[0]);
	sign_ok(f, "modB", "1", "primary", "data", d[1]);
	sign_ok(f, "modA", "2", "primary", "data", d[2]);
	sign_ok(f, "modA", "1", "secondary", "data", d[3]);
	/* The separators keep "a"+"b1" and "ab"+"1" apart. */
	sign_ok(f, "a", "b1", "primary", "data", d[4]);
	sign_ok(f, "ab", "1", "primary", "data", d[5]);
	for (size_t i = 0; i < 6; i++)
		for (size_t j = i + 1; j < 6; j++)
			assert_memory_not_equal(d[i], d[j], 32);
}

static void test_sign_derives_once(void **state)
{
	struct fx *f = *state;
	uint8_t a[32], b[32], c[32];
	size_t n = key_count(f->hsm);

	sign_ok(f, "modA", "1", "primary", "same", a);
	assert_int_equal(key_count(f->hsm), n + 1);
	sign_ok(f, "modA", "1", "primary", "same", b);
	assert_int_equal(key_count(f->hsm), n + 1);
	assert_memory_equal(a, b, 32);
	/* Other data, same key. */
	sign_ok(f, "modA", "1", "primary", "other", c);
	assert_int_equal(key_count(f->hsm), n + 1);
	assert_memory_not_equal(a, c, 32);
}

static void test_sign_derived_key_not_exportable(void **state)
{
	struct fx *f = *state;
	te_hsm_key_info *list = NULL;
	size_t n = 0, found = 0;
	uint8_t d[32];
	te_buf b;

	sign_ok(f, "modA", "1", "primary", "x", d);
	assert_int_equal(te_hsm_key_list(f->hsm, &list, &n), TE_OK);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(list[i].name, "mod-", 4) != 0)
			continue;
		found++;
		assert_int_equal(strlen(list[i].name), 4 + 32);
		assert_int_equal(list[i].type, TE_HSM_KEY_HMAC_SHA256);
		assert_int_equal(list[i].usage, TE_HSM_USAGE_SIGN);
		assert_int_equal(list[i].exportable, 0);
		te_buf_init(&b, 1);
		assert_int_equal(te_hsm_key_export(f->hsm, list[i].name, &b), TE_ERR_PERMISSION);
		te_buf_free(&b);
	}
	free(list);
	assert_int_equal(found, 1);
}

static void test_sign_bad_key_id(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {"Primary", "tertiary", "primary ", "x"};
	size_t n = key_count(f->hsm);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sign(f, "modA", "1", bad[i], "d", 1), TE_OK);
		expect_error(f, TE_ERR_INVALID_ARG, NULL, 0);
		assert_int_equal(f->rep->id, 42);
	}
	assert_int_equal(key_count(f->hsm), n);
}

/* An HSM failure reaches the module as its code, without paths or names. */
static void test_sign_hsm_error_is_safe(void **state)
{
	struct fx *f = *state;
	char msg[TE_IPC_ERROR_MSG_MAX + 1];

	assert_int_equal(te_hsm_key_delete(f->hsm, DEVICE_KEY), TE_OK);
	assert_int_equal(sign(f, "modA", "1", "primary", "d", 1), TE_OK);
	expect_error(f, TE_ERR_NOT_FOUND, msg, sizeof(msg));
	assert_null(strstr(msg, f->dir));
	assert_null(strstr(msg, DEVICE_KEY));
	assert_null(strstr(msg, "/"));
}

/* ---- encrypt / decrypt ---- */

static void test_crypt_round_trip(void **state)
{
	struct fx *f = *state;
	static const char pt[] = "the module's secret";
	uint8_t *ct, *ct2, *big, *bigct;
	size_t ct_len, ct2_len, bigct_len;
	te_ipc_crypt_reply rep;

	ct = encrypt_ok(f, "modA", "1", "iv-0", pt, sizeof(pt), &ct_len);
	assert_int_equal(ct_len, 1 + 12 + sizeof(pt) + 16);
	assert_int_equal(ct[0], 0x01);
	assert_null(memmem(ct, ct_len, pt, sizeof(pt) - 1));
	/* The same request twice gives other ciphertexts: fresh nonce. */
	ct2 = encrypt_ok(f, "modA", "1", "iv-0", pt, sizeof(pt), &ct2_len);
	assert_int_equal(ct2_len, ct_len);
	assert_memory_not_equal(ct + 1, ct2 + 1, 12);

	assert_int_equal(crypt_req(f, TE_IPC_DECRYPT_REQ, "modA", "1", "iv-0", 4, ct, ct_len),
	                 TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_CRYPT_REPLY);
	assert_int_equal(f->rep->id, 7);
	assert_true(te_ipc_type_is_secret(f->rep->type));
	assert_int_equal(te_ipc_crypt_reply_decode(f->rep, &rep), TE_OK);
	assert_int_equal(rep.data_len, sizeof(pt));
	assert_memory_equal(rep.data, pt, sizeof(pt));
	te_ipc_msg_wipe(f->rep);

	assert_int_equal(crypt_req(f, TE_IPC_DECRYPT_REQ, "modA", "1", "iv-0", 4, ct2, ct2_len),
	                 TE_OK);
	assert_int_equal(te_ipc_crypt_reply_decode(f->rep, &rep), TE_OK);
	assert_memory_equal(rep.data, pt, sizeof(pt));
	te_ipc_msg_wipe(f->rep);
	free(ct);
	free(ct2);

	/* Empty plaintext. */
	ct = encrypt_ok(f, "modA", "1", "iv", "", 0, &ct_len);
	assert_int_equal(ct_len, 29);
	assert_int_equal(crypt_req(f, TE_IPC_DECRYPT_REQ, "modA", "1", "iv", 2, ct, ct_len), TE_OK);
	assert_int_equal(te_ipc_crypt_reply_decode(f->rep, &rep), TE_OK);
	assert_int_equal(rep.data_len, 0);
	te_ipc_msg_wipe(f->rep);
	free(ct);

	/* Largest plaintext. */
	big = malloc(TE_IPC_CRYPT_DATA_MAX);
	assert_non_null(big);
	memset(big, 0x5a, TE_IPC_CRYPT_DATA_MAX);
	bigct = encrypt_ok(f, "modA", "1", "iv", big, TE_IPC_CRYPT_DATA_MAX, &bigct_len);
	assert_int_equal(bigct_len, TE_IPC_CRYPT_DATA_MAX + 29);
	assert_int_equal(crypt_req(f, TE_IPC_DECRYPT_REQ, "modA", "1", "iv", 2, bigct, bigct_len),
	                 TE_OK);
	assert_int_equal(te_ipc_crypt_reply_decode(f->rep, &rep), TE_OK);
	assert_int_equal(rep.data_len, TE_IPC_CRYPT_DATA_MAX);
	assert_memory_equal(rep.data, big, TE_IPC_CRYPT_DATA_MAX);
	te_ipc_msg_wipe(f->rep);
	free(big);
	free(bigct);
}

static void test_crypt_bound_to_identity_and_iv(void **state)
{
	struct fx *f = *state;
	uint8_t *ct;
	size_t ct_len;

	ct = encrypt_ok(f, "modA", "1", "iv-0", "secret", 6, &ct_len);
	decrypt_fails(f, "modB", "1", "iv-0", ct, ct_len, TE_ERR_DECRYPT_FAILED);
	decrypt_fails(f, "modA", "2", "iv-0", ct, ct_len, TE_ERR_DECRYPT_FAILED);
	decrypt_fails(f, "modA", "1", "iv-1", ct, ct_len, TE_ERR_DECRYPT_FAILED);
	/* Field boundaries are separated too. */
	decrypt_fails(f, "mod", "A1", "iv-0", ct, ct_len, TE_ERR_DECRYPT_FAILED);
	free(ct);
}

static void test_decrypt_untrusted_ciphertext(void **state)
{
	struct fx *f = *state;
	uint8_t *ct;
	size_t ct_len;

	ct = encrypt_ok(f, "modA", "1", "iv", "secret", 6, &ct_len);
	/* A flipped bit in the nonce, the body and the tag. */
	{
		const size_t at[] = {1, 12, 13, 18, ct_len - 16, ct_len - 1};

		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			ct[at[i]] ^= 0x01;
			decrypt_fails(f, "modA", "1", "iv", ct, ct_len, TE_ERR_DECRYPT_FAILED);
			ct[at[i]] ^= 0x01;
		}
	}
	/* Truncated: one byte short still has the shape, but not the tag. */
	decrypt_fails(f, "modA", "1", "iv", ct, ct_len - 1, TE_ERR_DECRYPT_FAILED);
	/* Shorter than format byte + nonce + tag. */
	decrypt_fails(f, "modA", "1", "iv", ct, 28, TE_ERR_MALFORMED);
	decrypt_fails(f, "modA", "1", "iv", ct, 1, TE_ERR_MALFORMED);
	/* Another format version. */
	ct[0] = 0x02;
	decrypt_fails(f, "modA", "1", "iv", ct, ct_len, TE_ERR_UNSUPPORTED);
	ct[0] = 0x00;
	decrypt_fails(f, "modA", "1", "iv", ct, ct_len, TE_ERR_UNSUPPORTED);
	ct[0] = 0x01;
	/* Still decrypts once restored. */
	assert_int_equal(crypt_req(f, TE_IPC_DECRYPT_REQ, "modA", "1", "iv", 2, ct, ct_len), TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_CRYPT_REPLY);
	te_ipc_msg_wipe(f->rep);
	free(ct);
}

/* ---- dispatch ---- */

static void test_unserved_types(void **state)
{
	struct fx *f = *state;
	static const uint16_t types[] = {
	    TE_IPC_PING,        TE_IPC_PONG, TE_IPC_READY, TE_IPC_SIGN_REPLY, TE_IPC_CRYPT_REPLY,
	    TE_IPC_ERROR_REPLY, 0,           999};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(f->req, 0, sizeof(*f->req));
		f->req->type = types[i];
		f->req->id = 1000 + (uint32_t)i;
		assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
		expect_error(f, TE_ERR_UNSUPPORTED, NULL, 0);
		assert_int_equal(f->rep->id, 1000 + (uint32_t)i);
	}
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void test_undecodable_is_malformed(void **state)
{
	struct fx *f = *state;
	static const uint16_t types[] = {TE_IPC_SIGN_DERIVED_REQ, TE_IPC_ENCRYPT_REQ,
	                                 TE_IPC_DECRYPT_REQ};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(f->req, 0, sizeof(*f->req));
		f->req->type = types[i];
		f->req->len = 5;
		memset(f->req->body, 0xff, 5);
		memset(f->rep, 0xaa, sizeof(*f->rep));
		assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_ERR_MALFORMED);
		assert_true(all_zero(f->rep, sizeof(*f->rep)));
	}
	/* A valid request with a byte left over. */
	assert_int_equal(sign(f, "modA", "1", "primary", "d", 1), TE_OK);
	te_ipc_msg_wipe(f->rep);
	f->req->len++;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_ERR_MALFORMED);
	/* One message cannot be both. */
	assert_int_equal(te_keys_handle(f->keys, f->req, f->req), TE_ERR_INVALID_ARG);
}

/* The wiring: API side encodes and sends, keys side receives, answers
 * and sends back, over a real SOCK_SEQPACKET socketpair. */
static void test_over_socketpair(void **state)
{
	struct fx *f = *state;
	int sv[2];
	te_ipc_sign_derived_req r;
	te_ipc_sign_reply rep;
	te_ipc_msg *in = calloc(1, sizeof(*in));
	uint8_t want[32];

	assert_non_null(in);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	memset(&r, 0, sizeof(r));
	snprintf(r.module, sizeof(r.module), "%s", "modA");
	snprintf(r.genid, sizeof(r.genid), "%s", "1");
	snprintf(r.key_id, sizeof(r.key_id), "%s", "primary");
	r.data = (const uint8_t *)"hello";
	r.data_len = 5;
	assert_int_equal(te_ipc_sign_derived_req_encode(&r, f->req), TE_OK);
	f->req->id = 0xabcdef01u;
	assert_int_equal(te_ipc_send_msg(sv[0], f->req), TE_OK);

	/* keys process side */
	assert_int_equal(te_ipc_recv(sv[1], in), TE_OK);
	assert_int_equal(te_keys_handle(f->keys, in, f->rep), TE_OK);
	assert_int_equal(te_ipc_send_msg(sv[1], f->rep), TE_OK);
	te_ipc_msg_wipe(f->rep);
	te_ipc_msg_wipe(in);

	/* API process side */
	assert_int_equal(te_ipc_recv(sv[0], in), TE_OK);
	assert_int_equal(in->type, TE_IPC_SIGN_REPLY);
	assert_int_equal(in->id, 0xabcdef01u);
	assert_int_equal(te_ipc_sign_reply_decode(in, &rep), TE_OK);
	expected_digest("modA", "1", "primary", "hello", want);
	assert_int_equal(rep.digest_len, 32);
	assert_memory_equal(rep.digest, want, 32);
	te_ipc_msg_wipe(in);
	free(in);
	close(sv[0]);
	close(sv[1]);
}

/* Module keys outlive the process: a new handler on a reopened store
 * signs the same and derives nothing new. */
static void test_persists_across_reopen(void **state)
{
	struct fx *f = *state;
	te_keys_config cfg = {DEVICE_KEY, ENCRYPT_KEY};
	uint8_t a[32], b[32], *ct;
	size_t n, ct_len;
	te_ipc_crypt_reply rep;

	sign_ok(f, "modA", "1", "primary", "x", a);
	ct = encrypt_ok(f, "modA", "1", "iv", "keep", 4, &ct_len);
	n = key_count(f->hsm);
	te_keys_close(f->keys);
	te_hsm_close(f->hsm);
	f->hsm = open_hsm(f->dir);
	assert_int_equal(te_keys_open(f->hsm, &cfg, &f->keys), TE_OK);
	sign_ok(f, "modA", "1", "primary", "x", b);
	assert_memory_equal(a, b, 32);
	assert_int_equal(key_count(f->hsm), n);
	assert_int_equal(crypt_req(f, TE_IPC_DECRYPT_REQ, "modA", "1", "iv", 2, ct, ct_len), TE_OK);
	assert_int_equal(te_ipc_crypt_reply_decode(f->rep, &rep), TE_OK);
	assert_memory_equal(rep.data, "keep", 4);
	te_ipc_msg_wipe(f->rep);
	free(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_creates_encrypt_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_refuses_bad_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_matches_documented_derivation, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sign_separates_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_derives_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_derived_key_not_exportable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_bad_key_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_hsm_error_is_safe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crypt_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crypt_bound_to_identity_and_iv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decrypt_untrusted_ciphertext, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unserved_types, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_undecodable_is_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_over_socketpair, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_persists_across_reopen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
