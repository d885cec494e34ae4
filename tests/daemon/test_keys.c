/*
 * test_keys.c - the keys process's request handler on the soft backend in
 * a temporary store.  A known device key is imported so the derivation can
 * be pinned against an independent OpenSSL computation; the rest checks
 * that module keys are separated by module, genid and keyId and derived
 * once, that workload ciphertexts round trip and are bound to the module
 * identity and caller IV, that untrusted ciphertexts are checked, and the
 * dispatch contract (ERROR_REPLY vs TE_ERR_MALFORMED).  One request goes
 * through a real socketpair.
 *
 * Certificates: on a store in a temporary directory with a clock the
 * tests move, server and identity certificates are checked with OpenSSL's
 * own verification (X509_V_FLAG_X509_STRICT, purpose, host/IP) against the
 * trust bundle, their names, EKU, caps and keys; the auto-generated CA
 * must survive a restart and be renewed by te_keys_maintain (with and
 * without key rotation) so that later certificates chain to the new CA;
 * an edge CA from files is checked at open.
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

#include <time.h>
#include <arpa/inet.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "daemon/ipc.h"
#include "daemon/keys.h"
#include "testutil.h"
#include "trustedge/te_cert.h"
#include "trustedge/te_daemon_config.h"
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
	static const uint16_t types[] = {TE_IPC_PING,
	                                 TE_IPC_PONG,
	                                 TE_IPC_READY,
	                                 TE_IPC_SIGN_REPLY,
	                                 TE_IPC_CRYPT_REPLY,
	                                 TE_IPC_ERROR_REPLY,
	                                 TE_IPC_CERT_REPLY,
	                                 TE_IPC_BUNDLE_REPLY,
	                                 0,
	                                 999};

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
	static const uint16_t types[] = {
	    TE_IPC_SIGN_DERIVED_REQ,         TE_IPC_ENCRYPT_REQ,       TE_IPC_DECRYPT_REQ,
	    TE_IPC_CERT_SERVER_REQ,          TE_IPC_CERT_IDENTITY_REQ, TE_IPC_TRUST_BUNDLE_REQ,
	    TE_IPC_MANIFEST_TRUST_BUNDLE_REQ};

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

/* ---- certificates ---- */

#define DAY       ((int64_t)86400)
#define DEVICE_ID "dev-01"
#define HUB       "hub.example.net"

static int64_t g_now;

static int64_t test_clock(void)
{
	return g_now;
}

/* A handler with certificates: HSM keys in dir/keys, certificate store
 * in dir/certs, the clock at g_now, and f->ca as the edge CA. */
struct cfx {
	struct fx f;
	char *keys_dir;
	char *certs_dir;
	te_daemon_edge_ca ca;
	te_keys_config keys;
	te_keys_cert_config cfg;
};

static void cfx_config(struct cfx *c)
{
	c->keys.device_key = DEVICE_KEY;
	c->keys.encrypt_key = ENCRYPT_KEY;
	memset(&c->cfg, 0, sizeof(c->cfg));
	c->cfg.cert_store = c->certs_dir;
	c->cfg.device_id = DEVICE_ID;
	c->cfg.iothub_hostname = HUB;
	c->cfg.edge_ca = &c->ca;
	c->cfg.clock = test_clock;
}

/* Everything but the handler: open with c->cfg after adjusting it. */
static struct cfx *cfx_new(void)
{
	struct cfx *c = calloc(1, sizeof(*c));
	te_hsm_key_attrs dev = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE, 0};

	assert_non_null(c);
	g_now = (int64_t)time(NULL);
	c->f.dir = tu_tempdir("keys-certs");
	c->keys_dir = tu_path(c->f.dir, "keys");
	c->certs_dir = tu_path(c->f.dir, "certs");
	c->f.hsm = open_hsm(c->keys_dir);
	assert_int_equal(
	    te_hsm_key_import(c->f.hsm, DEVICE_KEY, &dev, device_bytes, sizeof(device_bytes)),
	    TE_OK);
	c->ca.auto_generated = 1;
	cfx_config(c);
	c->f.req = calloc(1, sizeof(*c->f.req));
	c->f.rep = calloc(1, sizeof(*c->f.rep));
	assert_non_null(c->f.req);
	assert_non_null(c->f.rep);
	return c;
}

static void cfx_open(struct cfx *c)
{
	if (te_keys_open_with_certs(c->f.hsm, &c->keys, &c->cfg, &c->f.keys) != TE_OK)
		fail_msg("te_keys_open: %s", te_err_detail());
}

static int setup_certs(void **state)
{
	struct cfx *c = cfx_new();

	cfx_open(c);
	*state = c;
	return 0;
}

/* setup_certs without opening: the test sets c->cfg and c->ca first. */
static int setup_certs_closed(void **state)
{
	*state = cfx_new();
	return 0;
}

static int teardown_certs(void **state)
{
	struct cfx *c = *state;

	free(c->keys_dir);
	free(c->certs_dir);
	*state = &c->f;
	teardown(state); /* frees c, whose first member f is */
	return 0;
}

/* Closes and reopens HSM and handler on the same directories. */
static void cfx_restart(struct cfx *c)
{
	te_keys_close(c->f.keys);
	c->f.keys = NULL;
	te_hsm_close(c->f.hsm);
	c->f.hsm = open_hsm(c->keys_dir);
	cfx_open(c);
}

static STACK_OF(X509) * pem_certs(const char *pem, size_t len)
{
	STACK_OF(X509) *st = sk_X509_new_null();
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	assert_non_null(st);
	assert_non_null(bio);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		assert_true(sk_X509_push(st, x) > 0);
	ERR_clear_error();
	BIO_free(bio);
	return st;
}

static void certs_free(STACK_OF(X509) * st)
{
	sk_X509_pop_free(st, X509_free);
}

struct issued {
	X509 *leaf;
	STACK_OF(X509) * chain; /* what followed the leaf */
	EVP_PKEY *key;
	int64_t expiration;
};

static void issued_free(struct issued *is)
{
	X509_free(is->leaf);
	certs_free(is->chain);
	EVP_PKEY_free(is->key);
	memset(is, 0, sizeof(*is));
}

static te_err cert_req(struct fx *f, uint16_t type, const char *module, const char *cn, int has_exp,
                       int64_t exp)
{
	te_ipc_cert_req r;

	memset(&r, 0, sizeof(r));
	snprintf(r.module, sizeof(r.module), "%s", module);
	r.has_expiration = has_exp;
	r.expiration = exp;
	if (type == TE_IPC_CERT_SERVER_REQ) {
		snprintf(r.genid, sizeof(r.genid), "%s", "637");
		snprintf(r.common_name, sizeof(r.common_name), "%s", cn);
		assert_int_equal(te_ipc_cert_server_req_encode(&r, f->req), TE_OK);
	} else {
		assert_int_equal(te_ipc_cert_identity_req_encode(&r, f->req), TE_OK);
	}
	f->req->id = 99;
	return te_keys_handle(f->keys, f->req, f->rep);
}

/* A certificate request that must succeed, parsed. */
static void cert_ok(struct fx *f, uint16_t type, const char *module, const char *cn, int has_exp,
                    int64_t exp, struct issued *out)
{
	te_ipc_cert_reply rep;
	BIO *bio;
	static const char pkcs8[] = "-----BEGIN PRIVATE KEY-----\n";

	memset(out, 0, sizeof(*out));
	assert_int_equal(cert_req(f, type, module, cn, has_exp, exp), TE_OK);
	if (f->rep->type == TE_IPC_ERROR_REPLY) {
		te_ipc_error_reply er;

		assert_int_equal(te_ipc_error_reply_decode(f->rep, &er), TE_OK);
		fail_msg("certificate refused: %s", er.message);
	}
	assert_int_equal(f->rep->type, TE_IPC_CERT_REPLY);
	assert_int_equal(f->rep->id, 99);
	assert_true(te_ipc_type_is_secret(f->rep->type));
	assert_int_equal(te_ipc_cert_reply_decode(f->rep, &rep), TE_OK);
	out->chain = pem_certs(rep.cert_pem, rep.cert_pem_len);
	assert_true(sk_X509_num(out->chain) >= 2);
	out->leaf = sk_X509_shift(out->chain);
	/* PKCS#8, unencrypted */
	assert_true(rep.key_pem_len > sizeof(pkcs8));
	assert_memory_equal(rep.key_pem, pkcs8, sizeof(pkcs8) - 1);
	bio = BIO_new_mem_buf(rep.key_pem, (int)rep.key_pem_len);
	assert_non_null(bio);
	out->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(out->key);
	out->expiration = rep.expiration;
	te_ipc_msg_wipe(f->rep);
}

static void bundle_req(struct fx *f, uint16_t type)
{
	if (type == TE_IPC_TRUST_BUNDLE_REQ)
		assert_int_equal(te_ipc_trust_bundle_req_encode(f->req), TE_OK);
	else
		assert_int_equal(te_ipc_manifest_trust_bundle_req_encode(f->req), TE_OK);
	f->req->id = 5;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
}

/* The trust bundle's PEM (malloc'd, NUL-terminated) and certificates. */
static STACK_OF(X509) * trust_bundle(struct fx *f, uint16_t type, char **pem)
{
	te_ipc_bundle_reply rep;
	STACK_OF(X509) * st;

	bundle_req(f, type);
	assert_int_equal(f->rep->type, TE_IPC_BUNDLE_REPLY);
	assert_int_equal(f->rep->id, 5);
	assert_int_equal(te_ipc_bundle_reply_decode(f->rep, &rep), TE_OK);
	st = pem_certs(rep.pem, rep.pem_len);
	if (pem != NULL) {
		*pem = calloc(1, rep.pem_len + 1);
		assert_non_null(*pem);
		memcpy(*pem, rep.pem, rep.pem_len);
	}
	return st;
}

/* OpenSSL's own verification, strict, at `at`, for `purpose`; host or ip
 * (may be NULL) must match the leaf.  X509_V_OK or the error. */
static int verify(X509 *leaf, STACK_OF(X509) * untrusted, STACK_OF(X509) * roots, int64_t at,
                  int purpose, const char *host, const char *ip)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	int err;

	assert_non_null(store);
	assert_non_null(ctx);
	for (int i = 0; i < sk_X509_num(roots); i++)
		assert_int_equal(X509_STORE_add_cert(store, sk_X509_value(roots, i)), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)at);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
	assert_int_equal(X509_VERIFY_PARAM_set_purpose(param, purpose), 1);
	if (host != NULL)
		assert_int_equal(X509_VERIFY_PARAM_set1_host(param, host, 0), 1);
	if (ip != NULL)
		assert_int_equal(X509_VERIFY_PARAM_set1_ip_asc(param, ip), 1);
	err = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return err;
}

static int64_t not_after(X509 *x)
{
	int64_t na = 0;

	assert_int_equal(te_cert_validity(x, NULL, &na), TE_OK);
	return na;
}

/* The SANs of x of one GEN_ type, as text ("" entries for others). */
static size_t sans(X509 *x, int type, char out[][128], size_t room)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t n = 0;

	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && n < room; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int t = 0;
		ASN1_STRING *s = GENERAL_NAME_get0_value(g, &t);

		if (t != type)
			continue;
		if (t == GEN_IPADD) {
			int len = ASN1_STRING_length(s);

			assert_true(len == 4 || len == 16);
			assert_non_null(inet_ntop(len == 4 ? AF_INET : AF_INET6,
			                          ASN1_STRING_get0_data(s), out[n++], 128));
			continue;
		}
		snprintf(out[n++], 128, "%.*s", ASN1_STRING_length(s),
		         (const char *)ASN1_STRING_get0_data(s));
	}
	GENERAL_NAMES_free(gens);
	return n;
}

static void expect_cn(X509 *x, const char *cn)
{
	char got[TE_CERT_CN_MAX + 1] = "";

	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, got,
	                                      (int)sizeof(got)) > 0);
	assert_string_equal(got, cn);
}

static void test_certs_unsupported_without_store(void **state)
{
	struct fx *f = *state;
	te_ipc_bundle_reply b;
	int64_t next = 0;

	assert_int_equal(cert_req(f, TE_IPC_CERT_SERVER_REQ, "modA", "host", 0, 0), TE_OK);
	expect_error(f, TE_ERR_UNSUPPORTED, NULL, 0);
	assert_int_equal(f->rep->id, 99);
	assert_int_equal(cert_req(f, TE_IPC_CERT_IDENTITY_REQ, "modA", NULL, 0, 0), TE_OK);
	expect_error(f, TE_ERR_UNSUPPORTED, NULL, 0);
	bundle_req(f, TE_IPC_TRUST_BUNDLE_REQ);
	expect_error(f, TE_ERR_UNSUPPORTED, NULL, 0);
	/* No manifest bundle configured: an empty one. */
	bundle_req(f, TE_IPC_MANIFEST_TRUST_BUNDLE_REQ);
	assert_int_equal(f->rep->type, TE_IPC_BUNDLE_REPLY);
	assert_int_equal(te_ipc_bundle_reply_decode(f->rep, &b), TE_OK);
	assert_int_equal(b.pem_len, 0);
	assert_int_equal(te_keys_maintain(f->keys, (int64_t)time(NULL), &next), TE_OK);
	assert_true(next == INT64_MAX);
}

static void test_server_cert(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	STACK_OF(X509) *bundle = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	struct issued a, b;
	char names[4][128];
	size_t keys_before = key_count(f->hsm);

	assert_int_equal(sk_X509_num(bundle), 1);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "$edgeHub", "edge.example.net", 0, 0, &a);
	expect_cn(a.leaf, "edge.example.net");
	/* The chain is the edge CA, which is the trust bundle. */
	assert_int_equal(sk_X509_num(a.chain), 1);
	assert_int_equal(X509_cmp(sk_X509_value(a.chain, 0), sk_X509_value(bundle, 0)), 0);
	assert_int_equal(verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_SERVER,
	                        "edge.example.net", NULL),
	                 X509_V_OK);
	/* The module's DNS label is a name of the certificate too... */
	assert_int_equal(
	    verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_SERVER, "edgehub", NULL),
	    X509_V_OK);
	/* ...but nothing else is, and it is no client certificate. */
	assert_int_equal(
	    verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_SERVER, "other.net", NULL),
	    X509_V_ERR_HOSTNAME_MISMATCH);
	assert_int_equal(
	    verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_CLIENT, NULL, NULL),
	    X509_V_ERR_INVALID_PURPOSE);
	assert_int_equal(sans(a.leaf, GEN_DNS, names, 4), 2);
	assert_string_equal(names[0], "edge.example.net");
	assert_string_equal(names[1], "edgehub");
	assert_int_equal(sans(a.leaf, GEN_URI, names, 4), 0);
	assert_true(X509_get_extended_key_usage(a.leaf) == XKU_SSL_SERVER);
	assert_false(X509_get_extension_flags(a.leaf) & EXFLAG_CA);
	/* The private key is the certificate's, EC P-256. */
	assert_int_equal(X509_check_private_key(a.leaf, a.key), 1);
	assert_int_equal(EVP_PKEY_get_base_id(a.key), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(a.key), 256);
	/* Without an expiration: the 90-day cap (the CA lives as long). */
	assert_true(a.expiration == not_after(a.leaf));
	assert_true(a.expiration == g_now + 90 * DAY);
	/* A fresh key per request, and none of them in the HSM. */
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "$edgeHub", "edge.example.net", 0, 0, &b);
	assert_int_not_equal(EVP_PKEY_eq(a.key, b.key), 1);
	assert_int_equal(key_count(f->hsm), keys_before);
	issued_free(&b);

	/* An IP address as the common name is an IP SAN. */
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "filter", "192.0.2.10", 0, 0, &b);
	assert_int_equal(sans(b.leaf, GEN_IPADD, names, 4), 1);
	assert_string_equal(names[0], "192.0.2.10");
	assert_int_equal(sans(b.leaf, GEN_DNS, names, 4), 1);
	assert_string_equal(names[0], "filter");
	assert_int_equal(
	    verify(b.leaf, b.chain, bundle, g_now, X509_PURPOSE_SSL_SERVER, NULL, "192.0.2.10"),
	    X509_V_OK);
	issued_free(&b);
	/* A module id that is the common name is not repeated; one that
	 * leaves no DNS label adds none. */
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "Filter", "filter", 0, 0, &b);
	assert_int_equal(sans(b.leaf, GEN_DNS, names, 4), 1);
	issued_free(&b);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "$12", "host", 0, 0, &b);
	assert_int_equal(sans(b.leaf, GEN_DNS, names, 4), 1);
	assert_string_equal(names[0], "host");
	issued_free(&b);
	issued_free(&a);
	certs_free(bundle);
}

static void test_server_cert_expiration(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	struct issued a;
	char msg[TE_IPC_ERROR_MSG_MAX + 1];
	const int64_t past[] = {g_now, g_now - 1, 0, -1, INT64_MIN};

	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 1, g_now + 3600, &a);
	assert_true(a.expiration == g_now + 3600);
	assert_true(not_after(a.leaf) == g_now + 3600);
	issued_free(&a);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 1, g_now + 1, &a);
	assert_true(a.expiration == g_now + 1);
	issued_free(&a);
	/* Longer than the cap: the cap. */
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 1, g_now + 365 * DAY, &a);
	assert_true(a.expiration == g_now + 90 * DAY);
	assert_true(not_after(a.leaf) == g_now + 90 * DAY);
	issued_free(&a);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 1, INT64_MAX, &a);
	assert_true(a.expiration == g_now + 90 * DAY);
	issued_free(&a);
	/* In the past, or now: refused, with nothing issued. */
	for (size_t i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
		assert_int_equal(
		    cert_req(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 1, past[i]), TE_OK);
		expect_error(f, TE_ERR_INVALID_ARG, msg, sizeof(msg));
		assert_non_null(strstr(msg, "expiration"));
		assert_int_equal(cert_req(f, TE_IPC_CERT_IDENTITY_REQ, "modA", NULL, 1, past[i]),
		                 TE_OK);
		expect_error(f, TE_ERR_INVALID_ARG, NULL, 0);
	}
}

/* A CA that ends before the cap ends every certificate with it. */
static void test_cert_capped_by_ca(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	STACK_OF(X509) * bundle;
	struct issued a;

	c->ca.lifetime_days = 30;
	cfx_open(c);
	bundle = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	assert_true(not_after(sk_X509_value(bundle, 0)) == g_now + 30 * DAY);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 0, 0, &a);
	assert_true(a.expiration == g_now + 30 * DAY);
	issued_free(&a);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 1, g_now + 31 * DAY, &a);
	assert_true(a.expiration == g_now + 30 * DAY);
	issued_free(&a);
	certs_free(bundle);
	/* A smaller configured cap; a larger one is refused. */
	te_keys_close(f->keys);
	c->cfg.server_cert_max = DAY;
	cfx_open(c);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 0, 0, &a);
	assert_true(a.expiration == g_now + DAY);
	issued_free(&a);
	te_keys_close(f->keys);
	f->keys = NULL;
	c->cfg.server_cert_max = 91 * DAY;
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys),
	                 TE_ERR_CONFIG);
	assert_null(f->keys);
}

static void test_identity_cert(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	STACK_OF(X509) *bundle = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	struct issued a;
	char names[4][128];
	char longid[TE_IPC_MODULE_MAX + 1];

	cert_ok(f, TE_IPC_CERT_IDENTITY_REQ, "$edgeAgent", NULL, 0, 0, &a);
	expect_cn(a.leaf, "$edgeAgent");
	assert_int_equal(sans(a.leaf, GEN_URI, names, 4), 1);
	assert_string_equal(names[0],
	                    "azureiot://" HUB "/devices/" DEVICE_ID "/modules/$edgeAgent");
	assert_int_equal(sans(a.leaf, GEN_DNS, names, 4), 0);
	assert_true(X509_get_extended_key_usage(a.leaf) == XKU_SSL_CLIENT);
	assert_int_equal(
	    verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_CLIENT, NULL, NULL), X509_V_OK);
	assert_int_equal(
	    verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_SERVER, NULL, NULL),
	    X509_V_ERR_INVALID_PURPOSE);
	assert_int_equal(X509_check_private_key(a.leaf, a.key), 1);
	/* The short cap, 2 hours. */
	assert_true(a.expiration == g_now + TE_KEYS_IDENTITY_CERT_MAX);
	assert_true(TE_KEYS_IDENTITY_CERT_MAX <= DAY);
	issued_free(&a);
	cert_ok(f, TE_IPC_CERT_IDENTITY_REQ, "modA", NULL, 1, g_now + 60, &a);
	assert_true(a.expiration == g_now + 60);
	issued_free(&a);
	cert_ok(f, TE_IPC_CERT_IDENTITY_REQ, "modA", NULL, 1, g_now + 30 * DAY, &a);
	assert_true(a.expiration == g_now + TE_KEYS_IDENTITY_CERT_MAX);
	issued_free(&a);
	/* Characters that would change the URI's structure are encoded. */
	cert_ok(f, TE_IPC_CERT_IDENTITY_REQ, "a#b%c?d/e", NULL, 0, 0, &a);
	assert_int_equal(sans(a.leaf, GEN_URI, names, 4), 1);
	assert_string_equal(names[0],
	                    "azureiot://" HUB "/devices/" DEVICE_ID "/modules/a%23b%25c%3Fd%2Fe");
	issued_free(&a);
	/* A module id longer than a common name may be is refused. */
	memset(longid, 'm', sizeof(longid));
	longid[TE_CERT_CN_MAX + 1] = '\0';
	assert_int_equal(cert_req(f, TE_IPC_CERT_IDENTITY_REQ, longid, NULL, 0, 0), TE_OK);
	expect_error(f, TE_ERR_INVALID_ARG, NULL, 0);
	longid[TE_CERT_CN_MAX] = '\0';
	cert_ok(f, TE_IPC_CERT_IDENTITY_REQ, longid, NULL, 0, 0, &a);
	issued_free(&a);
	certs_free(bundle);

	/* Without a hub (development): the documented placeholder. */
	te_keys_close(f->keys);
	c->cfg.iothub_hostname = NULL;
	cfx_open(c);
	cert_ok(f, TE_IPC_CERT_IDENTITY_REQ, "modA", NULL, 0, 0, &a);
	assert_int_equal(sans(a.leaf, GEN_URI, names, 4), 1);
	assert_string_equal(names[0],
	                    "azureiot://" TE_KEYS_LOCAL_HUB "/devices/" DEVICE_ID "/modules/modA");
	issued_free(&a);
}

/* Refusals reach the module without paths or key names; a CA whose key
 * is gone stops the open with a detail for the log that says what to do. */
static void test_cert_errors_are_safe(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	char msg[TE_IPC_ERROR_MSG_MAX + 1];
	static const char *const bad_cn[] = {"not a host", "a..b", "-x.example", "x_y", "\x01"};

	for (size_t i = 0; i < sizeof(bad_cn) / sizeof(bad_cn[0]); i++) {
		assert_int_equal(cert_req(f, TE_IPC_CERT_SERVER_REQ, "modA", bad_cn[i], 0, 0),
		                 TE_OK);
		expect_error(f, TE_ERR_INVALID_ARG, msg, sizeof(msg));
		assert_non_null(strstr(msg, "commonName"));
		assert_null(strchr(msg, '/'));
		assert_null(strstr(msg, TE_KEYS_EDGE_CA_KEY));
	}
	assert_int_equal(te_hsm_key_delete(f->hsm, TE_KEYS_EDGE_CA_KEY), TE_OK);
	te_keys_close(f->keys);
	f->keys = NULL;
	te_hsm_close(f->hsm);
	f->hsm = open_hsm(c->keys_dir);
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys),
	                 TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), "delete the store entry"));
	assert_null(f->keys);
}

static void test_ca_stored_not_exportable(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	te_hsm_key_info info;
	te_cert_store *st = NULL;
	char key[TE_HSM_NAME_MAX + 1];
	char *pem = NULL;
	size_t len = 0;
	STACK_OF(X509) * certs, *bundle = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	X509 *ca;
	te_buf b;

	assert_int_equal(te_hsm_key_info_get(f->hsm, TE_KEYS_EDGE_CA_KEY, &info), TE_OK);
	assert_int_equal(info.type, TE_HSM_KEY_EC_P256);
	assert_int_equal(info.exportable, 0);
	te_buf_init(&b, 1);
	assert_int_equal(te_hsm_key_export(f->hsm, TE_KEYS_EDGE_CA_KEY, &b), TE_ERR_PERMISSION);
	te_buf_free(&b);
	assert_int_equal(te_cert_store_open(c->certs_dir, &st), TE_OK);
	assert_int_equal(te_cert_store_get(st, TE_KEYS_EDGE_CA_ID, &pem, &len, key), TE_OK);
	assert_string_equal(key, TE_KEYS_EDGE_CA_KEY);
	certs = pem_certs(pem, len);
	assert_int_equal(sk_X509_num(certs), 1);
	ca = sk_X509_value(certs, 0);
	assert_int_equal(X509_cmp(ca, sk_X509_value(bundle, 0)), 0);
	assert_true(X509_get_extension_flags(ca) & EXFLAG_CA);
	assert_int_equal(X509_get_pathlen(ca), 0);
	assert_int_equal(X509_self_signed(ca, 1), 1);
	expect_cn(ca, "trustedge edge CA " DEVICE_ID);
	assert_true(not_after(ca) == g_now + 90 * DAY);
	certs_free(certs);
	certs_free(bundle);
	free(pem);
	te_cert_store_close(st);
}

static void test_ca_survives_restart(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	char *pem1 = NULL, *pem2 = NULL;
	STACK_OF(X509) *b1 = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, &pem1), *b2;
	size_t n = key_count(f->hsm);
	struct issued a;

	g_now += 3600;
	cfx_restart(c);
	b2 = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, &pem2);
	assert_string_equal(pem1, pem2);
	assert_int_equal(key_count(f->hsm), n);
	/* Certificates issued after the restart verify against the bundle
	 * fetched before it. */
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 0, 0, &a);
	assert_int_equal(
	    verify(a.leaf, a.chain, b1, g_now, X509_PURPOSE_SSL_SERVER, "a.example", NULL),
	    X509_V_OK);
	issued_free(&a);
	certs_free(b1);
	certs_free(b2);
	free(pem1);
	free(pem2);
}

/* A CA past its renewal threshold is renewed by te_keys_maintain; later
 * certificates chain to the new CA, the old one stays trusted until it
 * expires, also across a restart. */
static void check_renewal(struct cfx *c, int rotate)
{
	struct fx *f = &c->f;
	const int64_t t0 = g_now;
	STACK_OF(X509) * b1, *b2, *only_old, *only_new;
	X509 *ca1, *ca2;
	struct issued before, after;
	int64_t next = 0;
	te_hsm_key_info info;

	c->ca.lifetime_days = 10;
	c->ca.renew_rotate_key = rotate;
	cfx_open(c);
	b1 = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	ca1 = sk_X509_value(b1, 0);
	/* Not due yet: next is the 80% threshold of the CA's lifetime. */
	assert_int_equal(te_keys_maintain(f->keys, g_now, &next), TE_OK);
	assert_true(next > g_now && next <= t0 + 8 * DAY + 60);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 0, 0, &before);
	assert_true(before.expiration == t0 + 10 * DAY);

	/* Past the threshold. */
	g_now = t0 + 9 * DAY;
	assert_int_equal(te_keys_maintain(f->keys, g_now, &next), TE_OK);
	assert_true(next > g_now);
	b2 = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	assert_int_equal(sk_X509_num(b2), 2);
	ca2 = sk_X509_value(b2, 0);
	assert_int_not_equal(X509_cmp(ca1, ca2), 0);
	assert_int_equal(X509_cmp(ca1, sk_X509_value(b2, 1)), 0);
	assert_true(not_after(ca2) == g_now + 10 * DAY);
	if (rotate) {
		assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(ca1), X509_get0_pubkey(ca2)), 1);
		assert_false(te_hsm_key_exists(f->hsm, TE_KEYS_EDGE_CA_KEY));
		assert_int_equal(te_hsm_key_info_get(f->hsm, TE_KEYS_EDGE_CA_KEY ".r1", &info),
		                 TE_OK);
		assert_int_equal(info.exportable, 0);
	} else {
		assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(ca1), X509_get0_pubkey(ca2)), 1);
	}

	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 0, 0, &after);
	assert_int_equal(X509_cmp(sk_X509_value(after.chain, 0), ca2), 0);
	only_new = sk_X509_new_null();
	only_old = sk_X509_new_null();
	assert_true(sk_X509_push(only_new, ca2) > 0);
	assert_true(sk_X509_push(only_old, ca1) > 0);
	assert_int_equal(
	    verify(after.leaf, NULL, only_new, g_now, X509_PURPOSE_SSL_SERVER, "a.example", NULL),
	    X509_V_OK);
	/* With a new key the old CA cannot vouch for new certificates; with
	 * the same key (and name) it can, until it expires. */
	if (rotate)
		assert_int_not_equal(verify(after.leaf, NULL, only_old, g_now,
		                            X509_PURPOSE_SSL_SERVER, "a.example", NULL),
		                     X509_V_OK);
	else
		assert_int_equal(verify(after.leaf, NULL, only_old, g_now, X509_PURPOSE_SSL_SERVER,
		                        "a.example", NULL),
		                 X509_V_OK);
	/* The new bundle still accepts certificates of the old CA. */
	assert_int_equal(verify(before.leaf, before.chain, b2, g_now, X509_PURPOSE_SSL_SERVER,
	                        "a.example", NULL),
	                 X509_V_OK);
	assert_int_equal(
	    verify(after.leaf, after.chain, b2, g_now, X509_PURPOSE_SSL_SERVER, "a.example", NULL),
	    X509_V_OK);
	sk_X509_free(only_new);
	sk_X509_free(only_old);
	certs_free(b2);
	issued_free(&after);

	/* Across a restart: the renewed CA, and the old one still trusted. */
	cfx_restart(c);
	b2 = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	assert_int_equal(sk_X509_num(b2), 2);
	assert_int_equal(X509_cmp(ca1, sk_X509_value(b2, 1)), 0);
	certs_free(b2);
	/* Once the old CA has expired it leaves the bundle. */
	g_now = t0 + 10 * DAY + 1;
	assert_int_equal(te_keys_maintain(f->keys, g_now, &next), TE_OK);
	b2 = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	assert_int_equal(sk_X509_num(b2), 1);
	assert_int_not_equal(X509_cmp(ca1, sk_X509_value(b2, 0)), 0);
	certs_free(b2);
	issued_free(&before);
	certs_free(b1);
}

static void test_maintain_renews_ca(void **state)
{
	check_renewal(*state, 0);
}

static void test_maintain_renews_ca_rotating_key(void **state)
{
	check_renewal(*state, 1);
}

/* An expired CA (the daemon was off past its end) is renewed at open. */
static void test_open_renews_expired_ca(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	STACK_OF(X509) * b1, *b2;
	struct issued a;

	c->ca.lifetime_days = 1;
	cfx_open(c);
	b1 = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	g_now += 5 * DAY;
	cfx_restart(c);
	b2 = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	/* The expired one is not offered as trusted. */
	assert_int_equal(sk_X509_num(b2), 1);
	assert_int_not_equal(X509_cmp(sk_X509_value(b1, 0), sk_X509_value(b2, 0)), 0);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 0, 0, &a);
	assert_int_equal(
	    verify(a.leaf, a.chain, b2, g_now, X509_PURPOSE_SSL_SERVER, "a.example", NULL),
	    X509_V_OK);
	issued_free(&a);
	certs_free(b1);
	certs_free(b2);
}

/* ---- edge CA from files ---- */

static X509 *make_cert(te_cert_profile profile, const char *cn, EVP_PKEY *subject, X509 *issuer,
                       EVP_PKEY *issuer_key, int64_t lifetime)
{
	te_cert_request r;
	X509 *x = NULL;

	memset(&r, 0, sizeof(r));
	r.profile = profile;
	r.common_name = cn;
	r.lifetime = lifetime;
	r.path_len = 0;
	if (te_cert_issue(&r, subject, issuer, issuer_key, g_now, &x) != TE_OK)
		fail_msg("te_cert_issue: %s", te_err_detail());
	return x;
}

static EVP_PKEY *hsm_key(struct fx *f, const char *name)
{
	const te_hsm_key_attrs a = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	EVP_PKEY *k = NULL;

	assert_int_equal(te_hsm_key_create(f->hsm, name, &a), TE_OK);
	assert_int_equal(te_hsm_key_evp(f->hsm, name, &k), TE_OK);
	return k;
}

static void write_pem(const char *path, X509 *a, X509 *b, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;

	assert_non_null(bio);
	if (a != NULL)
		assert_int_equal(PEM_write_bio_X509(bio, a), 1);
	if (b != NULL)
		assert_int_equal(PEM_write_bio_X509(bio, b), 1);
	if (key != NULL)
		assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL),
		                 1);
	n = BIO_get_mem_data(bio, &data);
	assert_int_equal(tu_write_file(path, data, (size_t)(n > 0 ? n : 0)), 0);
	BIO_free(bio);
}

static void test_from_files(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	EVP_PKEY *root_key = hsm_key(f, "root-key"), *ca_key = hsm_key(f, "files-ca");
	EVP_PKEY *other = hsm_key(f, "other-key");
	EVP_PKEY *mem_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *root = make_cert(TE_CERT_ROOT_CA, "Test Root", root_key, NULL, root_key, 365 * DAY);
	X509 *ca = make_cert(TE_CERT_EDGE_CA, "Test Edge CA", ca_key, root, root_key, 100 * DAY);
	X509 *mem_ca =
	    make_cert(TE_CERT_EDGE_CA, "Mem Edge CA", mem_key, root, root_key, 100 * DAY);
	X509 *server = make_cert(TE_CERT_SERVER, "not-a-ca", other, root, root_key, 100 * DAY);
	char *chain_path = tu_path(f->dir, "edge-ca.pem");
	char *ca_only_path = tu_path(f->dir, "edge-ca-only.pem");
	char *server_path = tu_path(f->dir, "server.pem");
	char *mem_path = tu_path(f->dir, "mem-ca.pem");
	char *key_path = tu_path(f->dir, "mem-ca.key");
	char file_ref[512], msg[TE_IPC_ERROR_MSG_MAX + 1];
	STACK_OF(X509) * bundle;
	struct issued a;
	int64_t next = 0;

	assert_non_null(mem_key);
	write_pem(chain_path, ca, root, NULL);
	write_pem(ca_only_path, ca, NULL, NULL);
	write_pem(server_path, server, root, NULL);
	write_pem(mem_path, mem_ca, root, NULL);
	write_pem(key_path, NULL, NULL, mem_key);
	c->ca.auto_generated = 0;
	c->ca.cert = chain_path;
	c->ca.pk = (char *)"files-ca";
	cfx_open(c);

	bundle = trust_bundle(f, TE_IPC_TRUST_BUNDLE_REQ, NULL);
	assert_int_equal(sk_X509_num(bundle), 1);
	assert_int_equal(X509_cmp(sk_X509_value(bundle, 0), root), 0);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "$edgeHub", "gw.example", 0, 0, &a);
	/* leaf, edge CA, then the CA's chain */
	assert_int_equal(sk_X509_num(a.chain), 2);
	assert_int_equal(X509_cmp(sk_X509_value(a.chain, 0), ca), 0);
	assert_int_equal(X509_cmp(sk_X509_value(a.chain, 1), root), 0);
	assert_int_equal(
	    verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_SERVER, "gw.example", NULL),
	    X509_V_OK);
	issued_free(&a);
	cert_ok(f, TE_IPC_CERT_IDENTITY_REQ, "modA", NULL, 0, 0, &a);
	assert_int_equal(
	    verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_CLIENT, NULL, NULL), X509_V_OK);
	issued_free(&a);
	/* Never renewed here; nothing made in the store or the HSM. */
	assert_int_equal(te_keys_maintain(f->keys, g_now + 99 * DAY, &next), TE_OK);
	assert_true(next == INT64_MAX);
	assert_false(te_hsm_key_exists(f->hsm, TE_KEYS_EDGE_CA_KEY));
	/* Past the CA's end: refused as a configuration problem. */
	g_now += 101 * DAY;
	assert_int_equal(cert_req(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 0, 0), TE_OK);
	expect_error(f, TE_ERR_CONFIG, msg, sizeof(msg));
	assert_null(strchr(msg, '/'));
	g_now -= 101 * DAY;
	te_keys_close(f->keys);
	f->keys = NULL;

	/* A key that is not the certificate's is refused at open. */
	c->ca.pk = (char *)"other-key";
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys),
	                 TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "does not match"));
	assert_null(f->keys);
	/* So is a certificate that is no CA, and a chain without its root. */
	c->ca.cert = server_path;
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys),
	                 TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "not a CA"));
	c->ca.cert = ca_only_path;
	c->ca.pk = (char *)"files-ca";
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys),
	                 TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "self-signed root"));
	/* A key that does not exist. */
	c->ca.cert = chain_path;
	c->ca.pk = (char *)"no-such-key";
	assert_int_not_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys), TE_OK);
	assert_null(f->keys);

	/* A key from a PEM file (KEYREF file://). */
	snprintf(file_ref, sizeof(file_ref), "file://%s", key_path);
	c->ca.cert = mem_path;
	c->ca.pk = file_ref;
	cfx_open(c);
	cert_ok(f, TE_IPC_CERT_SERVER_REQ, "modA", "a.example", 0, 0, &a);
	assert_int_equal(X509_cmp(sk_X509_value(a.chain, 0), mem_ca), 0);
	assert_int_equal(
	    verify(a.leaf, a.chain, bundle, g_now, X509_PURPOSE_SSL_SERVER, "a.example", NULL),
	    X509_V_OK);
	issued_free(&a);
	te_keys_close(f->keys);
	f->keys = NULL;
	/* ... that is not the certificate's. */
	c->ca.cert = chain_path;
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys),
	                 TE_ERR_CONFIG);

	certs_free(bundle);
	X509_free(root);
	X509_free(ca);
	X509_free(mem_ca);
	X509_free(server);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(mem_key);
	free(chain_path);
	free(ca_only_path);
	free(server_path);
	free(mem_path);
	free(key_path);
}

static void test_manifest_bundle(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	EVP_PKEY *key = hsm_key(f, "manifest-signer");
	X509 *x = make_cert(TE_CERT_ROOT_CA, "Manifest Signer", key, NULL, key, 365 * DAY);
	char *path = tu_path(f->dir, "manifest.pem");
	char *text = NULL;
	STACK_OF(X509) * got;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;

	/* Text around the certificate is not passed on. */
	assert_non_null(bio);
	assert_int_equal(BIO_puts(bio, "# the manifest signer\n"), 22);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_int_equal(tu_write_file(path, data, (size_t)n), 0);
	BIO_free(bio);
	c->cfg.manifest_trust_bundle = path;
	cfx_open(c);
	got = trust_bundle(f, TE_IPC_MANIFEST_TRUST_BUNDLE_REQ, &text);
	assert_int_equal(sk_X509_num(got), 1);
	assert_int_equal(X509_cmp(sk_X509_value(got, 0), x), 0);
	assert_null(strstr(text, "manifest signer"));
	assert_non_null(strstr(text, "-----BEGIN CERTIFICATE-----"));
	certs_free(got);
	free(text);
	te_keys_close(f->keys);
	f->keys = NULL;

	/* An empty file is an empty bundle; text that is no certificate, or
	 * no file, is refused at open. */
	assert_int_equal(tu_write_file(path, "\n", 1), 0);
	cfx_open(c);
	got = trust_bundle(f, TE_IPC_MANIFEST_TRUST_BUNDLE_REQ, &text);
	assert_int_equal(sk_X509_num(got), 0);
	assert_string_equal(text, "");
	certs_free(got);
	free(text);
	te_keys_close(f->keys);
	f->keys = NULL;
	assert_int_equal(tu_write_file(path, "hello", 5), 0);
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys),
	                 TE_ERR_CONFIG);
	unlink(path);
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &c->cfg, &f->keys),
	                 TE_ERR_CONFIG);
	assert_null(f->keys);
	X509_free(x);
	EVP_PKEY_free(key);
	free(path);
}

/* The daemon's development defaults make a working configuration. */
static void test_cert_config_from_daemon(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	te_daemon_config *dc = NULL;
	te_keys_cert_config cc;
	struct issued a;
	char names[2][128];

	assert_int_equal(te_daemon_config_defaults(f->dir, &dc), TE_OK);
	te_keys_cert_config_fill(dc, &cc);
	assert_string_equal(cc.cert_store, dc->cert_store);
	assert_string_equal(cc.device_id, TE_DAEMON_DEV_DEVICE_ID);
	assert_null(cc.iothub_hostname);
	assert_true(cc.edge_ca == &dc->edge_ca);
	assert_null(cc.manifest_trust_bundle);
	assert_null(cc.clock);
	assert_int_equal(te_keys_open_with_certs(f->hsm, &c->keys, &cc, &f->keys), TE_OK);
	/* Read only during the open. */
	te_daemon_config_free(dc);
	cert_ok(f, TE_IPC_CERT_IDENTITY_REQ, "modA", NULL, 0, 0, &a);
	assert_int_equal(sans(a.leaf, GEN_URI, names, 2), 1);
	assert_string_equal(names[0], "azureiot://" TE_KEYS_LOCAL_HUB
	                              "/devices/" TE_DAEMON_DEV_DEVICE_ID "/modules/modA");
	issued_free(&a);
}

/* A CERT_REPLY goes through a real socketpair. */
static void test_cert_over_socketpair(void **state)
{
	struct cfx *c = *state;
	struct fx *f = &c->f;
	te_ipc_msg *in = calloc(1, sizeof(*in));
	te_ipc_cert_reply rep;
	int sv[2];

	assert_non_null(in);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(cert_req(f, TE_IPC_CERT_SERVER_REQ, "$edgeHub", "edge.example.net", 0, 0),
	                 TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_CERT_REPLY);
	assert_int_equal(te_ipc_send_msg(sv[1], f->rep), TE_OK);
	te_ipc_msg_wipe(f->rep);
	assert_int_equal(te_ipc_recv(sv[0], in), TE_OK);
	assert_int_equal(in->type, TE_IPC_CERT_REPLY);
	assert_int_equal(in->id, 99);
	assert_int_equal(te_ipc_cert_reply_decode(in, &rep), TE_OK);
	assert_true(rep.expiration == g_now + 90 * DAY);
	te_ipc_msg_wipe(in);
	free(in);
	close(sv[0]);
	close(sv[1]);
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
	    cmocka_unit_test_setup_teardown(test_certs_unsupported_without_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_cert, setup_certs, teardown_certs),
	    cmocka_unit_test_setup_teardown(test_server_cert_expiration, setup_certs,
	                                    teardown_certs),
	    cmocka_unit_test_setup_teardown(test_cert_capped_by_ca, setup_certs_closed,
	                                    teardown_certs),
	    cmocka_unit_test_setup_teardown(test_identity_cert, setup_certs, teardown_certs),
	    cmocka_unit_test_setup_teardown(test_cert_errors_are_safe, setup_certs, teardown_certs),
	    cmocka_unit_test_setup_teardown(test_ca_stored_not_exportable, setup_certs,
	                                    teardown_certs),
	    cmocka_unit_test_setup_teardown(test_ca_survives_restart, setup_certs, teardown_certs),
	    cmocka_unit_test_setup_teardown(test_maintain_renews_ca, setup_certs_closed,
	                                    teardown_certs),
	    cmocka_unit_test_setup_teardown(test_maintain_renews_ca_rotating_key,
	                                    setup_certs_closed, teardown_certs),
	    cmocka_unit_test_setup_teardown(test_open_renews_expired_ca, setup_certs_closed,
	                                    teardown_certs),
	    cmocka_unit_test_setup_teardown(test_from_files, setup_certs_closed, teardown_certs),
	    cmocka_unit_test_setup_teardown(test_manifest_bundle, setup_certs_closed,
	                                    teardown_certs),
	    cmocka_unit_test_setup_teardown(test_cert_over_socketpair, setup_certs, teardown_certs),
	    cmocka_unit_test_setup_teardown(test_cert_config_from_daemon, setup_certs_closed,
	                                    teardown_certs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
