/* test_core.c - the HSM PAL core: opening, argument checks, and one
 * context shared by threads while keys change under it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "trustedge/te_hsm.h"

static te_hsm *open_store(const char *dir)
{
	te_hsm_setting s[] = {{"store", dir}};
	te_hsm *hsm = NULL;

	assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
	return hsm;
}

static void open_refuses_bad_input(void **state)
{
	char *dir = tu_tempdir("core");
	char *store = tu_path(dir, "s");
	te_hsm_setting unknown[] = {{"store", store}, {"pin", "1234"}};
	te_hsm *hsm = NULL;

	(void)state;
	assert_int_equal(te_hsm_open("nope", NULL, 0, &hsm), TE_ERR_UNSUPPORTED);
	assert_non_null(strstr(te_err_detail(), "known: soft"));
	assert_int_equal(te_hsm_open("soft", unknown, 2, &hsm), TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "'pin'"));
	assert_int_equal(te_hsm_open("soft", NULL, 0, &hsm), TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "store"));
	assert_null(hsm);
	hsm = open_store(store);
	assert_string_equal(te_hsm_backend_name(hsm), "soft");
	te_hsm_close(hsm);
	free(store);
	tu_rmtree(dir);
}

static void calls_check_arguments(void **state)
{
	char *dir = tu_tempdir("core");
	te_hsm *hsm = open_store(dir);
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, 0, 0}, bad = {TE_HSM_KEY__COUNT, 0, 0};
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t sig_len = sizeof(sig);
	te_buf plain;

	(void)state;
	assert_int_equal(te_hsm_key_create(NULL, "k", &ec), TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_key_create(hsm, "k", NULL), TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_key_create(hsm, "k", &bad), TE_ERR_INVALID_ARG);
	ec.usage = 0x100;
	assert_int_equal(te_hsm_key_create(hsm, "k", &ec), TE_ERR_INVALID_ARG);
	ec.usage = 0;
	assert_int_equal(te_hsm_key_create(hsm, "../k", &ec), TE_ERR_BAD_NAME);
	assert_int_equal(te_hsm_key_create(hsm, "k", &ec), TE_OK);
	assert_int_equal(te_hsm_key_sign(hsm, "k", TE_HSM_ALG__COUNT, 0, "x", 1, sig, &sig_len),
			 TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_key_sign(hsm, "k", 0, 0x80, "x", 1, sig, &sig_len),
			 TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_key_sign(hsm, "k", 0, 0, NULL, 1, sig, &sig_len),
			 TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_key_sign(hsm, "k", 0, 0, "x", 1, sig, NULL), TE_ERR_INVALID_ARG);
	/* Exports must go to secure memory. */
	te_buf_init(&plain, 0);
	assert_int_equal(te_hsm_key_export(hsm, "k", &plain), TE_ERR_INVALID_ARG);
	te_buf_free(&plain);
	te_hsm_close(hsm);
	tu_rmtree(dir);
}

struct worker {
	te_hsm *hsm;
	int failures;
};

static void *signer(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 300; i++) {
		uint8_t sig[TE_HSM_SIG_MAX];
		size_t n = sizeof(sig);
		const char *key = (i & 1) ? "stable-ec" : "stable-mac";
		if (te_hsm_key_sign(w->hsm, key, 0, 0, "msg", 3, sig, &n) != TE_OK ||
		    te_hsm_key_verify(w->hsm, key, 0, 0, "msg", 3, sig, n) != TE_OK)
			w->failures++;
	}
	return NULL;
}

static void *churner(void *arg)
{
	struct worker *w = arg;
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, 0, 0};

	/* Every change bumps the store generation and flushes the cache under
	 * the signers' feet. */
	for (int i = 0; i < 60; i++) {
		if (te_hsm_key_create(w->hsm, "churn", &mac) != TE_OK ||
		    te_hsm_key_delete(w->hsm, "churn") != TE_OK)
			w->failures++;
	}
	return NULL;
}

static void threads_share_a_context(void **state)
{
	char *dir = tu_tempdir("core");
	te_hsm *hsm = open_store(dir);
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, 0, 0}, mac = {TE_HSM_KEY_HMAC_SHA256, 0, 0};
	pthread_t t[4];
	struct worker w[4];

	(void)state;
	assert_int_equal(te_hsm_key_create(hsm, "stable-ec", &ec), TE_OK);
	assert_int_equal(te_hsm_key_create(hsm, "stable-mac", &mac), TE_OK);
	for (int i = 0; i < 4; i++) {
		w[i].hsm = hsm;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, i == 3 ? churner : signer, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	te_hsm_close(hsm);
	tu_rmtree(dir);
}

/* Two contexts on one store behave like two processes. */
static void contexts_see_each_others_changes(void **state)
{
	char *dir = tu_tempdir("core");
	te_hsm *a = open_store(dir), *b = open_store(dir);
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, 0, 0};
	uint8_t k1[32], k2[32], s1[32], s2[32], s3[32];
	size_t n = 32;

	(void)state;
	memset(k1, 0x11, sizeof(k1));
	memset(k2, 0x22, sizeof(k2));
	assert_int_equal(te_hsm_key_import(a, "shared", &mac, k1, sizeof(k1)), TE_OK);
	assert_int_equal(te_hsm_key_sign(b, "shared", 0, 0, "m", 1, s1, &n), TE_OK);
	assert_int_equal(te_hsm_key_delete(a, "shared"), TE_OK);
	assert_int_equal(te_hsm_key_sign(b, "shared", 0, 0, "m", 1, s2, &n), TE_ERR_NOT_FOUND);
	assert_int_equal(te_hsm_key_import(a, "shared", &mac, k2, sizeof(k2)), TE_OK);
	n = 32;
	assert_int_equal(te_hsm_key_sign(b, "shared", 0, 0, "m", 1, s2, &n), TE_OK);
	/* b must use the new key, not a cached copy of the old one. */
	assert_memory_not_equal(s1, s2, 32);
	n = 32;
	assert_int_equal(te_hsm_key_sign(a, "shared", 0, 0, "m", 1, s3, &n), TE_OK);
	assert_memory_equal(s2, s3, 32);
	te_hsm_close(a);
	te_hsm_close(b);
	tu_rmtree(dir);
}

/* The soft backend reuses keyed HMAC contexts; every reuse must give the
 * same answer as a fresh computation (RFC 4231 test cases 1 and 2). */
static void hmac_context_reuse_is_exact(void **state)
{
	char *dir = tu_tempdir("core");
	te_hsm *hsm = open_store(dir);
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, 0, 0};
	uint8_t key1[20], sig[32];
	size_t n1, n2;
	uint8_t *want1 = tu_hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", &n1);
	uint8_t *want2 = tu_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", &n2);
	const char *msg2 = "what do ya want for nothing?";

	(void)state;
	memset(key1, 0x0b, sizeof(key1));
	assert_int_equal(te_hsm_key_import(hsm, "tc1", &mac, key1, sizeof(key1)), TE_OK);
	assert_int_equal(te_hsm_key_import(hsm, "tc2", &mac, "Jefe", 4), TE_OK);
	for (int i = 0; i < 20; i++) {
		size_t n = sizeof(sig);
		assert_int_equal(te_hsm_key_sign(hsm, "tc1", 0, 0, "Hi There", 8, sig, &n), TE_OK);
		assert_int_equal(n, 32);
		assert_memory_equal(sig, want1, 32);
		n = sizeof(sig);
		assert_int_equal(te_hsm_key_sign(hsm, "tc2", 0, 0, msg2, strlen(msg2), sig, &n), TE_OK);
		assert_memory_equal(sig, want2, 32);
		assert_int_equal(te_hsm_key_verify(hsm, "tc2", 0, 0, msg2, strlen(msg2), want2, 32),
				 TE_OK);
	}
	free(want1);
	free(want2);
	te_hsm_close(hsm);
	tu_rmtree(dir);
}

/* Reused AES-GCM contexts: new IV and direction each call, and a failed
 * decryption leaves nothing behind for the next call. */
static void gcm_context_reuse_is_exact(void **state)
{
	char *dir = tu_tempdir("core");
	te_hsm *hsm = open_store(dir);
	te_hsm_key_attrs aes = {TE_HSM_KEY_AES_256_GCM, 0, 0};
	uint8_t key[32], iv1[12] = {1}, iv2[12] = {2}, pt[100], c1[116], c2[116], c3[116],
			      back[100];
	size_t n;

	(void)state;
	memset(key, 0x5a, sizeof(key));
	memset(pt, 0x33, sizeof(pt));
	assert_int_equal(te_hsm_key_import(hsm, "aes", &aes, key, sizeof(key)), TE_OK);
	for (int round = 0; round < 5; round++) {
		n = sizeof(c1);
		assert_int_equal(te_hsm_key_encrypt(hsm, "aes", 0, iv1, 12, (uint8_t *)"a", 1, pt,
						    sizeof(pt), c1, &n), TE_OK);
		n = sizeof(c2);
		assert_int_equal(te_hsm_key_encrypt(hsm, "aes", 0, iv2, 12, NULL, 0, pt, sizeof(pt),
						    c2, &n), TE_OK);
		assert_memory_not_equal(c1, c2, sizeof(c1));
		c2[3] ^= 1;
		n = sizeof(back);
		assert_int_equal(te_hsm_key_decrypt(hsm, "aes", 0, iv2, 12, NULL, 0, c2, sizeof(c2),
						    back, &n), TE_ERR_DECRYPT_FAILED);
		c2[3] ^= 1;
		n = sizeof(back);
		assert_int_equal(te_hsm_key_decrypt(hsm, "aes", 0, iv2, 12, NULL, 0, c2, sizeof(c2),
						    back, &n), TE_OK);
		assert_memory_equal(back, pt, sizeof(pt));
		n = sizeof(c3);
		assert_int_equal(te_hsm_key_encrypt(hsm, "aes", 0, iv1, 12, (uint8_t *)"a", 1, pt,
						    sizeof(pt), c3, &n), TE_OK);
		assert_memory_equal(c1, c3, sizeof(c1));
	}
	te_hsm_close(hsm);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_refuses_bad_input),
		cmocka_unit_test(calls_check_arguments),
		cmocka_unit_test(threads_share_a_context),
		cmocka_unit_test(contexts_see_each_others_changes),
		cmocka_unit_test(hmac_context_reuse_is_exact),
		cmocka_unit_test(gcm_context_reuse_is_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
