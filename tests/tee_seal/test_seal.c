/*
 * test_seal.c - sealing end to end: real TA processes (ta/seal_ta.c,
 * signed five ways) asking the developer root of this host runtime for
 * their keys.  TE_TEE_DEV_ROOT points at a temporary directory, so no
 * test touches $HOME.
 *
 *   seal.api      round trips under both policies with context, IV and
 *                 AAD; API misuse results; the TA heap limit; malformed
 *                 requests on the TA's root socket
 *   seal.policy   who may unseal what: PRODUCT across versions, products,
 *                 signers and debug mode; UNIQUE across TAs; seal keys
 *   seal.tamper   every byte of a blob altered, wrong AAD, wrong context,
 *                 truncated and extended blobs
 *   seal.restart  sealed in one host process, unsealed in a fresh one
 *   seal.no_root  a developer root directory others may write: refused,
 *                 and the TA gets OE_SERVICE_UNAVAILABLE
 */
#include <openenclave/edger8r/host.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "tee/seal_blob.h"

#define TA(v) TE_SEAL_TA_DIR "/seal_" v ".signed"

enum { F_SEAL, F_UNSEAL, F_SEAL_KEY, F_SEAL_KEY_AGAIN, F_ROT_RAW, F_SEAL_BIG, F_MISUSE, F_COUNT };
static const oe_ecall_info_t ecall_names[F_COUNT] = {
    {"seal"}, {"unseal"}, {"seal_key"}, {"seal_key_again"}, {"rot_raw"}, {"seal_big"}, {"misuse"},
};

/* seal flags (seal_ta.c) */
#define S_CONTEXT 0x1u
#define S_IV      0x2u
#define S_PLUGIN  0x4u

#define OUT_CAP (1u << 20)

static char *tmp_dir; /* holds dev-root/ and what the tests write */
static char *dev_root;
static char *self_exe;

static oe_enclave_t *open_ta(const char *path)
{
	oe_enclave_t *e = NULL;
	uint32_t flags = strstr(path, "debug") ? OE_ENCLAVE_FLAG_DEBUG : 0;
	oe_result_t r = oe_create_enclave(path, OE_ENCLAVE_TYPE_AUTO, flags, NULL, 0, NULL, 0,
	                                  ecall_names, F_COUNT, &e);

	if (r != OE_OK)
		fail_msg("oe_create_enclave(%s): %s: %s", path, oe_result_str(r),
		         oe_last_error_detail());
	return e;
}

static void close_ta(oe_enclave_t *e)
{
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

/* --- building requests ------------------------------------------------------- */

typedef struct buf {
	uint8_t *p;
	size_t n;
} buf;

static void put_u32(buf *b, uint32_t v)
{
	b->p = realloc(b->p, b->n + 4);
	assert_non_null(b->p);
	memcpy(b->p + b->n, &v, 4);
	b->n += 4;
}

static void put_lv(buf *b, const void *data, size_t n)
{
	put_u32(b, (uint32_t)n);
	b->p = realloc(b->p, b->n + n + 1);
	assert_non_null(b->p);
	if (n)
		memcpy(b->p + b->n, data, n);
	b->n += n;
}

/* Calls fn with in; returns the ECALL's own result; *out (malloc'd) and
 * *out_n receive its data. */
static oe_result_t ecall(oe_enclave_t *e, uint32_t fn, const buf *in, uint8_t **out, size_t *out_n)
{
	uint8_t *o = malloc(OUT_CAP);
	size_t w = 0;
	uint32_t r32;
	oe_result_t r;

	assert_non_null(o);
	r = oe_call_enclave_function(e, fn, in ? in->p : NULL, in ? in->n : 0, o, OUT_CAP, &w);
	if (r != OE_OK)
		fail_msg("ECALL %u: %s", fn, oe_result_str(r));
	assert_true(w >= 4);
	memcpy(&r32, o, 4);
	memmove(o, o + 4, w - 4);
	if (out) {
		*out = o;
		*out_n = w - 4;
	} else {
		free(o);
	}
	return (oe_result_t)r32;
}

typedef struct seal_args {
	uint32_t policy; /* 0: no policy setting */
	uint32_t flags;
	const void *ctx;
	size_t ctx_n;
	const void *iv;
	size_t iv_n;
	const void *aad;
	size_t aad_n;
} seal_args;

static oe_result_t seal(oe_enclave_t *e, const seal_args *a, const void *pt, size_t pt_n,
                        uint8_t **blob, size_t *blob_n)
{
	buf in = {0};
	oe_result_t r;

	put_u32(&in, a->policy);
	put_u32(&in, a->flags);
	put_lv(&in, a->ctx, a->ctx_n);
	put_lv(&in, a->iv, a->iv_n);
	put_lv(&in, a->aad, a->aad_n);
	put_lv(&in, pt, pt_n);
	r = ecall(e, F_SEAL, &in, blob, blob_n);
	free(in.p);
	if (r != OE_OK) {
		free(*blob);
		*blob = NULL;
	}
	return r;
}

static oe_result_t unseal(oe_enclave_t *e, const void *aad, size_t aad_n, const uint8_t *blob,
                          size_t blob_n, uint8_t **pt, size_t *pt_n)
{
	buf in = {0};
	uint8_t *o = NULL;
	size_t on = 0;
	oe_result_t r;

	put_lv(&in, aad, aad_n);
	put_lv(&in, blob, blob_n);
	r = ecall(e, F_UNSEAL, &in, &o, &on);
	free(in.p);
	if (pt) {
		*pt = o;
		*pt_n = on;
	} else {
		free(o);
	}
	return r;
}

/* Seals pt in seal_ta under policy, returns the blob. */
static uint8_t *seal_simple(oe_enclave_t *e, uint32_t policy, const char *pt, size_t *blob_n)
{
	seal_args a = {.policy = policy};
	uint8_t *blob = NULL;

	assert_int_equal(seal(e, &a, pt, strlen(pt), &blob, blob_n), OE_OK);
	return blob;
}

static void assert_unseals(oe_enclave_t *e, const uint8_t *blob, size_t n, const char *pt)
{
	uint8_t *out = NULL;
	size_t out_n = 0;

	assert_int_equal(unseal(e, NULL, 0, blob, n, &out, &out_n), OE_OK);
	assert_int_equal(out_n, strlen(pt));
	assert_memory_equal(out, pt, out_n);
	free(out);
}

static void assert_unseal_fails(oe_enclave_t *e, const uint8_t *blob, size_t n, oe_result_t want)
{
	assert_int_equal(unseal(e, NULL, 0, blob, n, NULL, NULL), want);
}

/* --- seal.api ----------------------------------------------------------------- */

static void test_round_trips(void **state)
{
	static const uint8_t iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	static const char ctx[] = "file: settings.db", aad[] = "record 17";
	static const uint32_t flag_sets[] = {0, S_CONTEXT, S_IV, S_CONTEXT | S_IV | S_PLUGIN};
	oe_enclave_t *e = open_ta(TA("p1_s1"));
	uint8_t big[100 * 1024];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	for (uint32_t policy = 0; policy <= OE_SEAL_POLICY_PRODUCT; policy++) {
		for (size_t f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++) {
			for (int with_aad = 0; with_aad < 2; with_aad++) {
				seal_args a = {policy,
				               flag_sets[f],
				               ctx,
				               sizeof(ctx),
				               iv,
				               sizeof(iv),
				               with_aad ? aad : NULL,
				               with_aad ? sizeof(aad) : 0};
				const void *pt = f == 1 ? (const void *)big : "attack at dawn";
				size_t pt_n = f == 1 ? sizeof(big) : 14;
				uint8_t *blob = NULL, *out = NULL;
				size_t blob_n = 0, out_n = 0,
				       ctx_n = (a.flags & S_CONTEXT) ? sizeof(ctx) : 0;
				te_seal_blob sb;

				assert_int_equal(seal(e, &a, pt, pt_n, &blob, &blob_n), OE_OK);
				assert_int_equal(te_seal_blob_parse(blob, blob_n, &sb), OE_OK);
				/* no policy setting means PRODUCT, as in the reference */
				assert_int_equal(sb.key_info[4],
				                 policy ? policy : OE_SEAL_POLICY_PRODUCT);
				assert_int_equal(sb.context_size, ctx_n);
				if (ctx_n)
					assert_memory_equal(sb.context, ctx, ctx_n);
				if (a.flags & S_IV)
					assert_memory_equal(sb.iv, iv, 12);
				assert_int_equal(sb.ciphertext_size, pt_n);
				assert_memory_not_equal(sb.ciphertext, pt, pt_n < 14 ? pt_n : 14);
				assert_int_equal(
				    unseal(e, a.aad, a.aad_n, blob, blob_n, &out, &out_n), OE_OK);
				assert_int_equal(out_n, pt_n);
				assert_memory_equal(out, pt, pt_n);
				free(out);
				free(blob);
			}
		}
	}
	close_ta(e);
}

/* The same IV twice is still two keys: each oe_seal gets a new key id. */
static void test_fixed_iv_new_key(void **state)
{
	static const uint8_t iv[12] = {0};
	oe_enclave_t *e = open_ta(TA("p1_s1"));
	seal_args a = {.flags = S_IV, .iv = iv, .iv_n = 12};
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t n1 = 0, n2 = 0;
	te_seal_blob s1, s2;

	assert_int_equal(seal(e, &a, "same", 4, &b1, &n1), OE_OK);
	assert_int_equal(seal(e, &a, "same", 4, &b2, &n2), OE_OK);
	assert_int_equal(te_seal_blob_parse(b1, n1, &s1), OE_OK);
	assert_int_equal(te_seal_blob_parse(b2, n2, &s2), OE_OK);
	assert_memory_not_equal(s1.key_info + 12, s2.key_info + 12, 16);
	assert_memory_not_equal(s1.ciphertext, s2.ciphertext, 4);
	free(b1);
	free(b2);
	close_ta(e);
}

static void test_misuse(void **state)
{
	static const oe_result_t want[16] = {
	    OE_INVALID_PARAMETER, /* IV of 11 bytes */
	    OE_UNSUPPORTED,       /* unknown setting type */
	    OE_INVALID_PARAMETER, /* negative setting type */
	    OE_UNSUPPORTED,       /* a plug-in's setting type */
	    OE_NOT_FOUND,         /* another plug-in id */
	    OE_INVALID_PARAMETER, /* policy 3 */
	    OE_INVALID_PARAMETER, /* two policies */
	    OE_INVALID_PARAMETER, /* empty context */
	    OE_INVALID_PARAMETER, /* two IVs */
	    OE_INVALID_PARAMETER, /* settings NULL, count 1 */
	    OE_INVALID_PARAMETER, /* plaintext NULL, size 4 */
	    OE_INVALID_PARAMETER, /* blob NULL */
	    OE_INVALID_PARAMETER, /* plaintext in host-visible memory */
	    OE_OK,                /* empty plaintext, round trip */
	    OE_OK,                /* unseal only to check */
	    OE_INVALID_PARAMETER, /* seal key for policy 7 */
	};
	oe_enclave_t *e = open_ta(TA("p1_s1"));
	uint8_t *out = NULL;
	size_t n = 0;
	uint32_t got[16];

	assert_int_equal(ecall(e, F_MISUSE, NULL, &out, &n), OE_OK);
	assert_int_equal(n, sizeof(got));
	memcpy(got, out, sizeof(got));
	for (size_t i = 0; i < 16; i++)
		if (got[i] != (uint32_t)want[i])
			fail_msg("misuse case %zu: %s, expected %s", i,
			         oe_result_str((oe_result_t)got[i]), oe_result_str(want[i]));
	free(out);
	close_ta(e);
}

/* NumHeapPages=512 (2 MiB): sealing 1.5 MiB needs twice that. */
static void test_heap_limit(void **state)
{
	oe_enclave_t *e = open_ta(TA("p1_s1"));
	buf in = {0};
	size_t n = 0;
	uint8_t *blob = seal_simple(e, OE_SEAL_POLICY_UNIQUE, "still fine", &n);

	put_u32(&in, 64 * 1024);
	assert_int_equal(ecall(e, F_SEAL_BIG, &in, NULL, NULL), OE_OK);
	in.n = 0;
	put_u32(&in, 1536 * 1024);
	assert_int_equal(ecall(e, F_SEAL_BIG, &in, NULL, NULL), OE_OUT_OF_MEMORY);
	/* and the TA goes on */
	assert_unseals(e, blob, n, "still fine");
	free(in.p);
	free(blob);
	close_ta(e);
}

/* Malformed SEAL_KEY bodies on the TA's real root socket: error replies,
 * and the socket still works afterwards. */
static void test_rot_channel(void **state)
{
	oe_enclave_t *e = open_ta(TA("p1_s1"));
	buf in = {0};
	size_t n = 0;
	uint8_t *blob;

	assert_int_equal(ecall(e, F_ROT_RAW, &in, NULL, NULL), OE_INVALID_PARAMETER);
	put_u32(&in, OE_SEAL_POLICY_PRODUCT);
	assert_int_equal(ecall(e, F_ROT_RAW, &in, NULL, NULL), OE_INVALID_PARAMETER);
	put_u32(&in, 0xfffffff0u);
	assert_int_equal(ecall(e, F_ROT_RAW, &in, NULL, NULL), OE_INVALID_PARAMETER);
	in.n = 4;
	put_lv(&in, "not a key_info at all, but long enough", 38);
	assert_int_equal(ecall(e, F_ROT_RAW, &in, NULL, NULL), OE_INVALID_PARAMETER);
	in.n = 0;
	put_u32(&in, 5);
	put_u32(&in, 0);
	assert_int_equal(ecall(e, F_ROT_RAW, &in, NULL, NULL), OE_INVALID_PARAMETER);
	in.n = 0;
	put_u32(&in, OE_SEAL_POLICY_UNIQUE);
	put_u32(&in, 0);
	assert_int_equal(ecall(e, F_ROT_RAW, &in, NULL, NULL), OE_OK);
	blob = seal_simple(e, OE_SEAL_POLICY_PRODUCT, "after the noise", &n);
	assert_unseals(e, blob, n, "after the noise");
	free(blob);
	free(in.p);
	close_ta(e);
}

/* --- seal.policy ---------------------------------------------------------------- */

static void test_product_policy(void **state)
{
	oe_enclave_t *v1 = open_ta(TA("p1_s1")), *v2 = open_ta(TA("p1_s2"));
	oe_enclave_t *v1b = open_ta(TA("p1_s1")), *other = open_ta(TA("p2_s1"));
	oe_enclave_t *keyb = open_ta(TA("p1_s1_keyb")), *dbg = open_ta(TA("p1_s1_debug"));
	size_t n1 = 0, n2 = 0;
	uint8_t *b1 = seal_simple(v1, OE_SEAL_POLICY_PRODUCT, "sealed by v1", &n1);
	uint8_t *b2 = seal_simple(v2, OE_SEAL_POLICY_PRODUCT, "sealed by v2", &n2);

	/* same signer and product: another instance, and a later version */
	assert_unseals(v1b, b1, n1, "sealed by v1");
	assert_unseals(v2, b1, n1, "sealed by v1");
	assert_unseals(v2, b2, n2, "sealed by v2");
	/* an earlier version may not read what a later one sealed */
	assert_unseal_fails(v1, b2, n2, OE_INVALID_ISVSVN);
	/* another product, another signer, a debug TA: not their key */
	assert_unseal_fails(other, b1, n1, OE_CRYPTO_ERROR);
	assert_unseal_fails(keyb, b1, n1, OE_CRYPTO_ERROR);
	assert_unseal_fails(dbg, b1, n1, OE_CRYPTO_ERROR);
	free(b1);
	free(b2);
	/* and the other way: what the debug TA seals, production cannot read */
	b1 = seal_simple(dbg, OE_SEAL_POLICY_PRODUCT, "debug data", &n1);
	assert_unseals(dbg, b1, n1, "debug data");
	assert_unseal_fails(v1, b1, n1, OE_CRYPTO_ERROR);
	free(b1);
	close_ta(v1);
	close_ta(v2);
	close_ta(v1b);
	close_ta(other);
	close_ta(keyb);
	close_ta(dbg);
}

static void test_unique_policy(void **state)
{
	oe_enclave_t *v1 = open_ta(TA("p1_s1")), *v2 = open_ta(TA("p1_s2"));
	oe_enclave_t *v1b = open_ta(TA("p1_s1")), *other = open_ta(TA("p2_s1"));
	oe_enclave_t *keyb = open_ta(TA("p1_s1_keyb")), *dbg = open_ta(TA("p1_s1_debug"));
	size_t n = 0;
	uint8_t *b = seal_simple(v1, OE_SEAL_POLICY_UNIQUE, "only v1", &n);

	assert_unseals(v1, b, n, "only v1");
	assert_unseals(v1b, b, n, "only v1");
	/* any other measurement, even a later version of the product */
	assert_unseal_fails(v2, b, n, OE_CRYPTO_ERROR);
	assert_unseal_fails(other, b, n, OE_CRYPTO_ERROR);
	assert_unseal_fails(dbg, b, n, OE_CRYPTO_ERROR);
	/* The measurement covers the image and its signed properties, not
	 * the signer (as MRENCLAVE on SGX): the same image and properties
	 * signed by another key is the same enclave under UNIQUE. */
	assert_unseals(keyb, b, n, "only v1");
	free(b);
	close_ta(v1);
	close_ta(v2);
	close_ta(v1b);
	close_ta(other);
	close_ta(keyb);
	close_ta(dbg);
}

static oe_result_t seal_key(oe_enclave_t *e, uint32_t policy, uint8_t key[32], uint8_t *ki,
                            size_t *ki_n)
{
	buf in = {0};
	uint8_t *out = NULL;
	size_t n = 0;
	oe_result_t r;

	put_u32(&in, policy);
	r = ecall(e, F_SEAL_KEY, &in, &out, &n);
	free(in.p);
	if (r == OE_OK) {
		assert_true(n > 32 && n <= 32 + 128);
		memcpy(key, out, 32);
		memcpy(ki, out + 32, n - 32);
		*ki_n = n - 32;
	}
	free(out);
	return r;
}

static oe_result_t seal_key_again(oe_enclave_t *e, const uint8_t *ki, size_t ki_n, uint8_t key[32])
{
	buf in = {0};
	uint8_t *out = NULL;
	size_t n = 0;
	oe_result_t r;

	in.p = malloc(ki_n + 1);
	memcpy(in.p, ki, ki_n);
	in.n = ki_n;
	r = ecall(e, F_SEAL_KEY_AGAIN, &in, &out, &n);
	free(in.p);
	if (r == OE_OK) {
		assert_int_equal(n, 32);
		memcpy(key, out, 32);
	}
	free(out);
	return r;
}

static void test_seal_keys(void **state)
{
	oe_enclave_t *v1 = open_ta(TA("p1_s1")), *v2 = open_ta(TA("p1_s2"));
	oe_enclave_t *other = open_ta(TA("p2_s1")), *keyb = open_ta(TA("p1_s1_keyb"));
	uint8_t k[32], k2[32], ki[128], ki2[128];
	size_t ki_n = 0, ki2_n = 0;

	/* PRODUCT: the key_info gives the same key back, to a later version
	 * too; other products and signers get other keys */
	assert_int_equal(seal_key(v1, OE_SEAL_POLICY_PRODUCT, k, ki, &ki_n), OE_OK);
	assert_int_equal(ki_n, TE_SEAL_KEY_INFO_SIZE);
	assert_int_equal(seal_key_again(v1, ki, ki_n, k2), OE_OK);
	assert_memory_equal(k, k2, 32);
	assert_int_equal(seal_key_again(v2, ki, ki_n, k2), OE_OK);
	assert_memory_equal(k, k2, 32);
	assert_int_equal(seal_key_again(other, ki, ki_n, k2), OE_OK);
	assert_memory_not_equal(k, k2, 32);
	assert_int_equal(seal_key_again(keyb, ki, ki_n, k2), OE_OK);
	assert_memory_not_equal(k, k2, 32);
	/* a key of version 2 is out of reach of version 1 */
	assert_int_equal(seal_key(v2, OE_SEAL_POLICY_PRODUCT, k, ki2, &ki2_n), OE_OK);
	assert_int_equal(seal_key_again(v1, ki2, ki2_n, k2), OE_INVALID_ISVSVN);
	/* UNIQUE */
	assert_int_equal(seal_key(v1, OE_SEAL_POLICY_UNIQUE, k, ki, &ki_n), OE_OK);
	assert_int_equal(seal_key_again(v1, ki, ki_n, k2), OE_OK);
	assert_memory_equal(k, k2, 32);
	assert_int_equal(seal_key_again(v2, ki, ki_n, k2), OE_OK);
	assert_memory_not_equal(k, k2, 32);
	/* key_info that is not one */
	assert_int_equal(seal_key_again(v1, (const uint8_t *)"garbage", 7, k2),
	                 OE_INVALID_PARAMETER);
	ki[0] = 9;
	assert_int_equal(seal_key_again(v1, ki, ki_n, k2), OE_INVALID_PARAMETER);
	close_ta(v1);
	close_ta(v2);
	close_ta(other);
	close_ta(keyb);
}

/* --- seal.tamper ------------------------------------------------------------------ */

static void test_tamper_every_byte(void **state)
{
	static const char ctx[] = "ctx", aad[] = "aad";
	oe_enclave_t *e = open_ta(TA("p1_s1"));
	seal_args a = {OE_SEAL_POLICY_PRODUCT, S_CONTEXT, ctx, 3, NULL, 0, aad, 3};
	uint8_t *blob = NULL;
	size_t n = 0;
	te_seal_blob sb;
	size_t ki_off, ctx_off, iv_off, ct_off, tag_off;

	assert_int_equal(seal(e, &a, "sixteen byte msg", 16, &blob, &n), OE_OK);
	assert_int_equal(te_seal_blob_parse(blob, n, &sb), OE_OK);
	ki_off = (size_t)(sb.key_info - blob);
	ctx_off = (size_t)(sb.context - blob);
	iv_off = (size_t)(sb.iv - blob);
	ct_off = (size_t)(sb.ciphertext - blob);
	tag_off = (size_t)(sb.tag - blob);
	assert_int_equal(ki_off, 16);
	assert_int_equal(tag_off + 16, n);
	for (size_t i = 0; i < n; i++) {
		oe_result_t r;

		blob[i] ^= 0x01;
		r = unseal(e, aad, 3, blob, n, NULL, NULL);
		blob[i] ^= 0x01;
		if (r == OE_OK)
			fail_msg("a blob altered at byte %zu unsealed", i);
		/* what GCM alone protects (context, IV, ciphertext, tag, key
		 * id) fails as a crypto error; header and key_info fields may
		 * also be refused as malformed or as a later svn */
		if (i >= ctx_off || (i >= ki_off + 12 && i < ctx_off))
			if (r != OE_CRYPTO_ERROR)
				fail_msg("byte %zu: %s, expected OE_CRYPTO_ERROR", i,
				         oe_result_str(r));
	}
	(void)iv_off;
	(void)ct_off;
	/* unaltered, it still unseals (with its AAD) */
	assert_int_equal(unseal(e, aad, 3, blob, n, NULL, NULL), OE_OK);
	free(blob);
	close_ta(e);
}

static void test_wrong_aad_and_context(void **state)
{
	oe_enclave_t *e = open_ta(TA("p1_s1"));
	seal_args a = {OE_SEAL_POLICY_UNIQUE, S_CONTEXT, "context A", 9, NULL, 0, "aad", 3};
	seal_args plain = {.policy = OE_SEAL_POLICY_UNIQUE};
	uint8_t *blob = NULL, *b2 = NULL;
	size_t n = 0, n2 = 0;
	te_seal_blob sb;

	assert_int_equal(seal(e, &a, "msg", 3, &blob, &n), OE_OK);
	assert_int_equal(unseal(e, "aad", 3, blob, n, NULL, NULL), OE_OK);
	assert_int_equal(unseal(e, "aae", 3, blob, n, NULL, NULL), OE_CRYPTO_ERROR);
	assert_int_equal(unseal(e, "aa", 2, blob, n, NULL, NULL), OE_CRYPTO_ERROR);
	assert_int_equal(unseal(e, NULL, 0, blob, n, NULL, NULL), OE_CRYPTO_ERROR);
	/* another context of the same length in its place */
	assert_int_equal(te_seal_blob_parse(blob, n, &sb), OE_OK);
	memcpy(blob + (sb.context - blob), "context B", 9);
	assert_int_equal(unseal(e, "aad", 3, blob, n, NULL, NULL), OE_CRYPTO_ERROR);
	free(blob);
	/* AAD where none was given */
	assert_int_equal(seal(e, &plain, "msg", 3, &b2, &n2), OE_OK);
	assert_int_equal(unseal(e, "x", 1, b2, n2, NULL, NULL), OE_CRYPTO_ERROR);
	free(b2);
	close_ta(e);
}

static void test_truncated(void **state)
{
	oe_enclave_t *e = open_ta(TA("p1_s1"));
	size_t n = 0;
	uint8_t *blob = seal_simple(e, OE_SEAL_POLICY_PRODUCT, "cut me short", &n);
	uint8_t *longer = malloc(n + 1);

	for (size_t len = 0; len < n; len++)
		assert_int_equal(unseal(e, NULL, 0, blob, len, NULL, NULL), OE_INVALID_PARAMETER);
	memcpy(longer, blob, n);
	longer[n] = 0;
	assert_int_equal(unseal(e, NULL, 0, longer, n + 1, NULL, NULL), OE_INVALID_PARAMETER);
	/* a size field that lies about the rest */
	blob[12] ^= 1;
	assert_int_equal(unseal(e, NULL, 0, blob, n, NULL, NULL), OE_INVALID_PARAMETER);
	blob[12] ^= 1;
	assert_unseals(e, blob, n, "cut me short");
	free(longer);
	free(blob);
	close_ta(e);
}

/* --- seal.restart --------------------------------------------------------------- */

/* This program again, as a fresh host process: "seal-to FILE" or
 * "unseal-from FILE", with the same TE_TEE_DEV_ROOT. */
static int run_self(const char *mode, const char *file)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		execl(self_exe, self_exe, mode, file, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char restart_msg[] = "kept across a restart";

/* Writes u32 size + UNIQUE blob (p1_s1), u32 size + PRODUCT blob. */
static int child_seal_to(const char *file)
{
	oe_enclave_t *e = NULL;
	FILE *f = fopen(file, "wb");
	int ok = f != NULL;

	if (oe_create_enclave(TA("p1_s1"), OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0, NULL, 0, ecall_names,
	                      F_COUNT, &e) != OE_OK)
		return 2;
	for (uint32_t policy = OE_SEAL_POLICY_UNIQUE; ok && policy <= OE_SEAL_POLICY_PRODUCT;
	     policy++) {
		uint8_t *o = malloc(OUT_CAP);
		size_t w = 0;
		uint32_t r = 1, n;
		uint8_t in[64];
		size_t k = 0;
		uint32_t v[6] = {policy, 0, 0, 0, 0, sizeof(restart_msg)};

		for (int i = 0; i < 6; i++, k += 4)
			memcpy(in + k, &v[i], 4);
		memcpy(in + k, restart_msg, sizeof(restart_msg));
		k += sizeof(restart_msg);
		ok = o && oe_call_enclave_function(e, F_SEAL, in, k, o, OUT_CAP, &w) == OE_OK &&
		     w > 4;
		if (ok)
			memcpy(&r, o, 4);
		n = (uint32_t)(w - 4);
		ok = ok && r == OE_OK && fwrite(&n, 4, 1, f) == 1 && fwrite(o + 4, n, 1, f) == 1;
		free(o);
	}
	if (f && fclose(f) != 0)
		ok = 0;
	oe_terminate_enclave(e);
	return ok ? 0 : 3;
}

static uint8_t *read_blob(FILE *f, size_t *n)
{
	uint32_t len = 0;
	uint8_t *b;

	if (fread(&len, 4, 1, f) != 1 || len > OUT_CAP || !(b = malloc(len)))
		return NULL;
	if (fread(b, len, 1, f) != 1) {
		free(b);
		return NULL;
	}
	*n = len;
	return b;
}

/* Unseals both blobs in a fresh process: UNIQUE in p1_s1, PRODUCT in p1_s2. */
static int child_unseal_from(const char *file)
{
	static const char *const tas[2] = {TA("p1_s1"), TA("p1_s2")};
	FILE *f = fopen(file, "rb");
	int bad = 0;

	if (!f)
		return 2;
	for (int i = 0; i < 2; i++) {
		oe_enclave_t *e = NULL;
		size_t n = 0, w = 0;
		uint8_t *blob = read_blob(f, &n), *in, *o = malloc(OUT_CAP);
		uint32_t zero = 0, len = (uint32_t)n, r = 1;

		if (!blob || !o ||
		    oe_create_enclave(tas[i], OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0, NULL, 0,
		                      ecall_names, F_COUNT, &e) != OE_OK)
			return 3;
		in = malloc(8 + n);
		memcpy(in, &zero, 4);
		memcpy(in + 4, &len, 4);
		memcpy(in + 8, blob, n);
		if (oe_call_enclave_function(e, F_UNSEAL, in, 8 + n, o, OUT_CAP, &w) == OE_OK &&
		    w >= 4)
			memcpy(&r, o, 4);
		if (r != OE_OK || w - 4 != sizeof(restart_msg) ||
		    memcmp(o + 4, restart_msg, sizeof(restart_msg)) != 0) {
			fprintf(stderr, "unseal %d in the fresh process: %s\n", i,
			        oe_result_str((oe_result_t)r));
			bad = 1;
		}
		oe_terminate_enclave(e);
		free(in);
		free(o);
		free(blob);
	}
	fclose(f);
	return bad ? 4 : 0;
}

static void test_restart(void **state)
{
	char *file = tu_path(tmp_dir, "blobs.bin");

	assert_int_equal(run_self("seal-to", file), 0);
	assert_int_equal(run_self("unseal-from", file), 0);
	unlink(file);
	free(file);
}

/* --- seal.no_root ------------------------------------------------------------------ */

static void test_no_root(void **state)
{
	char *bad = tu_path(tmp_dir, "open-to-all");
	oe_enclave_t *e;
	seal_args a = {.policy = 0};
	uint8_t *blob = NULL;
	size_t n = 0;
	buf in = {0};

	/* the root is opened on the TA's first request, from this variable */
	assert_int_equal(mkdir(bad, 0700), 0);
	assert_int_equal(chmod(bad, 0777), 0);
	setenv("TE_TEE_DEV_ROOT", bad, 1);
	e = open_ta(TA("p1_s1"));
	assert_int_equal(seal(e, &a, "x", 1, &blob, &n), OE_SERVICE_UNAVAILABLE);
	put_u32(&in, OE_SEAL_POLICY_UNIQUE);
	assert_int_equal(ecall(e, F_SEAL_KEY, &in, NULL, NULL), OE_SERVICE_UNAVAILABLE);
	/* nothing was created in the refused directory */
	{
		char *secret = tu_path(bad, "root.secret");

		assert_int_not_equal(access(secret, F_OK), 0);
		free(secret);
	}
	free(in.p);
	close_ta(e);
	free(bad);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest api[] = {
	    cmocka_unit_test(test_round_trips), cmocka_unit_test(test_fixed_iv_new_key),
	    cmocka_unit_test(test_misuse),      cmocka_unit_test(test_heap_limit),
	    cmocka_unit_test(test_rot_channel),
	};
	const struct CMUnitTest policy[] = {
	    cmocka_unit_test(test_product_policy),
	    cmocka_unit_test(test_unique_policy),
	    cmocka_unit_test(test_seal_keys),
	};
	const struct CMUnitTest tamper[] = {
	    cmocka_unit_test(test_tamper_every_byte),
	    cmocka_unit_test(test_wrong_aad_and_context),
	    cmocka_unit_test(test_truncated),
	};
	const struct CMUnitTest restart[] = {
	    cmocka_unit_test(test_restart),
	};
	const struct CMUnitTest no_root[] = {
	    cmocka_unit_test(test_no_root),
	};
	const char *mode = argc > 1 ? argv[1] : "api";
	int rc;

	/* the children of seal.restart inherit TE_TEE_DEV_ROOT */
	if (argc == 3 && strcmp(mode, "seal-to") == 0)
		return child_seal_to(argv[2]);
	if (argc == 3 && strcmp(mode, "unseal-from") == 0)
		return child_unseal_from(argv[2]);

	self_exe = realpath("/proc/self/exe", NULL);
	tmp_dir = tu_tempdir("seal");
	dev_root = tu_path(tmp_dir, "dev-root");
	setenv("TE_TEE_DEV_ROOT", dev_root, 1);
	if (strcmp(mode, "policy") == 0)
		rc = cmocka_run_group_tests_name("seal.policy", policy, NULL, NULL);
	else if (strcmp(mode, "tamper") == 0)
		rc = cmocka_run_group_tests_name("seal.tamper", tamper, NULL, NULL);
	else if (strcmp(mode, "restart") == 0)
		rc = cmocka_run_group_tests_name("seal.restart", restart, NULL, NULL);
	else if (strcmp(mode, "no-root") == 0)
		rc = cmocka_run_group_tests_name("seal.no_root", no_root, NULL, NULL);
	else
		rc = cmocka_run_group_tests_name("seal.api", api, NULL, NULL);
	free(dev_root);
	free(self_exe);
	tu_rmtree(tmp_dir);
	return rc;
}
