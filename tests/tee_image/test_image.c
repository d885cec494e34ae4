/*
 * test_image.c - the signed enclave image (src/tee/image.c).
 *
 * A copy of /bin/true is signed in-process with RSA-3072 (e = 3 and
 * 65537) and EC P-256 and must verify with the identities recomputed here
 * from docs/tee-sign.md: this file carries its own encoder of the format,
 * written from the document, so a change of layout shows up as a byte
 * difference.  Then the refusals: unsigned, not an ELF, a flipped byte
 * anywhere in the tail, the ELF, the properties, the key or the signature,
 * every truncation of the tail, keys of the wrong kind, properties out of
 * range (refused when signing, and when loading a properly signed image
 * that carries them).  Every input is copied into a buffer of its exact
 * size so ASan catches a read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tee/detail.h"
#include "tee/image.h"
#include "testutil.h"

/* ---- the format, as docs/tee-sign.md writes it ---- */
#define FOOTER_SIZE 16
#define PROPS_OFF   12 /* in the block */
#define UID_OFF     44
#define KEYLEN_OFF  76
#define KEY_OFF     80

static const char measure_label[] = "trustedge.tee.measurement.v1";
static const char sign_label[] = "trustedge.tee.signature.v1";

struct keys {
	EVP_PKEY *rsa3;
	EVP_PKEY *rsa65537;
	EVP_PKEY *ec;
	EVP_PKEY *rsa2048;
	EVP_PKEY *p384;
};

static uint8_t *elf;
static size_t elf_len;
static struct keys K;

static const te_tee_props good_props = {
    .debug = 1,
    .num_heap_pages = 2048,
    .num_stack_pages = 64,
    .num_tcs = 4,
    .product_id = 0x1234,
    .security_version = 0xbeef,
};

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void props_raw(const te_tee_props *p, uint8_t out[32])
{
	put_le(out, p->debug, 4);
	put_le(out + 4, p->num_heap_pages, 8);
	put_le(out + 12, p->num_stack_pages, 8);
	put_le(out + 20, p->num_tcs, 8);
	put_le(out + 28, p->product_id, 2);
	put_le(out + 30, p->security_version, 2);
}

static void sha256(const void *d, size_t n, uint8_t out[32])
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(d, n, out, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, 32);
}

static void measure(const uint8_t *e, size_t n, const te_tee_props *p, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t len[8], raw[32];
	unsigned int olen = 0;

	assert_non_null(md);
	put_le(len, n, 8);
	props_raw(p, raw);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(md, measure_label, sizeof(measure_label)), 1);
	assert_int_equal(EVP_DigestUpdate(md, len, 8), 1);
	assert_int_equal(EVP_DigestUpdate(md, e, n), 1);
	assert_int_equal(EVP_DigestUpdate(md, raw, 32), 1);
	assert_int_equal(EVP_DigestFinal_ex(md, out, &olen), 1);
	EVP_MD_CTX_free(md);
}

static void signer_id(EVP_PKEY *key, uint8_t out[32])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);

	assert_true(n > 0);
	sha256(der, (size_t)n, out);
	OPENSSL_free(der);
}

/* Field by field: the struct has padding. */
static void assert_props(const te_tee_props *a, const te_tee_props *b)
{
	assert_int_equal(a->debug, b->debug);
	assert_int_equal(a->num_heap_pages, b->num_heap_pages);
	assert_int_equal(a->num_stack_pages, b->num_stack_pages);
	assert_int_equal(a->num_tcs, b->num_tcs);
	assert_int_equal(a->product_id, b->product_id);
	assert_int_equal(a->security_version, b->security_version);
}

static uint32_t alg_of(EVP_PKEY *key)
{
	return EVP_PKEY_is_a(key, "RSA") ? TE_TEE_SIG_RSA3072_PKCS1_SHA256
	                                 : TE_TEE_SIG_ECDSA_P256_SHA256;
}

/* The independent encoder: any key, any properties, any algorithm number,
 * so it can build images the real signer refuses to. */
static uint8_t *craft(const te_tee_props *p, EVP_PKEY *key, uint32_t alg, size_t *out_len)
{
	unsigned char *spki = NULL;
	int k = i2d_PUBKEY(key, &spki);
	size_t head_len, sig_len = 0, total, block_len;
	uint8_t *img, *h;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	assert_true(k > 0);
	assert_non_null(md);
	head_len = KEY_OFF + (size_t)k + 4;
	total = elf_len + head_len + 4 + 1024 + FOOTER_SIZE;
	img = calloc(1, total);
	assert_non_null(img);
	memcpy(img, elf, elf_len);
	h = img + elf_len;
	put_le(h, 1, 4);
	put_le(h + 4, elf_len, 8);
	props_raw(p, h + PROPS_OFF);
	measure(elf, elf_len, p, h + UID_OFF);
	put_le(h + KEYLEN_OFF, (uint64_t)k, 4);
	memcpy(h + KEY_OFF, spki, (size_t)k);
	put_le(h + KEY_OFF + k, alg, 4);
	assert_int_equal(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key), 1);
	if (EVP_PKEY_is_a(key, "RSA"))
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), 1);
	assert_int_equal(EVP_DigestSignUpdate(md, sign_label, sizeof(sign_label)), 1);
	assert_int_equal(EVP_DigestSignUpdate(md, h, head_len), 1);
	assert_int_equal(EVP_DigestSignFinal(md, NULL, &sig_len), 1);
	assert_true(sig_len <= 1024);
	assert_int_equal(EVP_DigestSignFinal(md, h + head_len + 4, &sig_len), 1);
	put_le(h + head_len, sig_len, 4);
	block_len = head_len + 4 + sig_len;
	memcpy(h + block_len, "TEESIG01", 8);
	put_le(h + block_len + 8, block_len, 4);
	put_le(h + block_len + 12, 1, 4);
	*out_len = elf_len + block_len + FOOTER_SIZE;
	EVP_MD_CTX_free(md);
	OPENSSL_free(spki);
	return img;
}

static uint8_t *sign_ok(EVP_PKEY *key, const te_tee_props *p, size_t *len)
{
	uint8_t *out = NULL;
	oe_result_t res = te_tee_image_sign(elf, elf_len, p, key, &out, len);

	if (res != OE_OK)
		fail_msg("sign: %s: %s", oe_result_str(res), te_tee_detail());
	return out;
}

/* Verifies an exact-size copy; on failure checks *img was not touched. */
static oe_result_t verify_copy(const uint8_t *d, size_t n, te_tee_image *img)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	te_tee_image sentinel;
	oe_result_t res;

	assert_non_null(copy);
	if (n > 0)
		memcpy(copy, d, n);
	memset(img, 0xa5, sizeof(*img));
	memcpy(&sentinel, img, sizeof(sentinel));
	res = te_tee_image_verify(copy, n, img);
	free(copy);
	if (res != OE_OK)
		assert_memory_equal(img, &sentinel, sizeof(sentinel));
	return res;
}

static oe_result_t verify_quiet(const uint8_t *d, size_t n)
{
	te_tee_image img;
	oe_result_t res = verify_copy(d, n, &img);

	if (res == OE_OK)
		te_tee_image_free(&img);
	return res;
}

static void expect_fail(const uint8_t *d, size_t n, oe_result_t want, const char *words)
{
	oe_result_t res = verify_quiet(d, n);

	if (res != want)
		fail_msg("want %s, got %s: %s", oe_result_str(want), oe_result_str(res),
		         te_tee_detail());
	if (words != NULL && strstr(te_tee_detail(), words) == NULL)
		fail_msg("detail '%s' lacks '%s'", te_tee_detail(), words);
}

static size_t block_start(const uint8_t *img, size_t n)
{
	return n - FOOTER_SIZE - (size_t)get_le(img + n - 8, 4);
}

/* ---- keys ---- */

static EVP_PKEY *rsa_gen(unsigned bits, unsigned long e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *bn = BN_new();
	EVP_PKEY *key = NULL;

	assert_non_null(ctx);
	assert_non_null(bn);
	assert_int_equal(BN_set_word(bn, e), 1);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn), 1);
	assert_int_equal(EVP_PKEY_generate(ctx, &key), 1);
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static int setup(void **state)
{
	(void)state;
	if (tu_read_file("/bin/true", &elf, &elf_len) != 0)
		return -1;
	K.rsa3 = rsa_gen(3072, 3);
	K.rsa65537 = rsa_gen(3072, 65537);
	K.rsa2048 = rsa_gen(2048, 3);
	K.ec = EVP_EC_gen("P-256");
	K.p384 = EVP_EC_gen("P-384");
	if (K.rsa3 == NULL || K.rsa65537 == NULL || K.rsa2048 == NULL || K.ec == NULL ||
	    K.p384 == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(K.rsa3);
	EVP_PKEY_free(K.rsa65537);
	EVP_PKEY_free(K.rsa2048);
	EVP_PKEY_free(K.ec);
	EVP_PKEY_free(K.p384);
	free(elf);
	return 0;
}

/* ---- good images ---- */

static void check_identity(EVP_PKEY *key, const uint8_t *img, size_t n)
{
	te_tee_image got;
	uint8_t uid[32], sid[32];
	size_t part = 0;

	if (verify_copy(img, n, &got) != OE_OK)
		fail_msg("verify: %s", te_tee_detail());
	measure(elf, elf_len, &good_props, uid);
	signer_id(key, sid);
	assert_memory_equal(got.unique_id, uid, 32);
	assert_memory_equal(got.signer_id, sid, 32);
	assert_props(&got.props, &good_props);
	assert_int_equal(got.elf_size, elf_len);
	assert_int_equal(got.size, n);
	assert_int_equal(got.sig_alg, alg_of(key));
	assert_memory_equal(got.data, img, n);
	te_tee_image_free(&got);
	assert_null(got.data);
	/* The ELF part is what re-signing starts from. */
	assert_int_equal(te_tee_image_elf_part(img, n, &part), OE_OK);
	assert_int_equal(part, elf_len);
}

/* RSA PKCS#1 v1.5 is deterministic, so te-sign's output must equal the
 * document's encoding byte for byte. */
static void test_rsa3_matches_format(void **state)
{
	size_t n = 0, m = 0;
	uint8_t *img, *mine;

	(void)state;
	img = sign_ok(K.rsa3, &good_props, &n);
	mine = craft(&good_props, K.rsa3, TE_TEE_SIG_RSA3072_PKCS1_SHA256, &m);
	assert_int_equal(n, m);
	assert_memory_equal(img, mine, n);
	assert_memory_equal(img, elf, elf_len);
	/* e = 3: a 420-byte SPKI, a 384-byte signature */
	assert_int_equal(n - elf_len - FOOTER_SIZE, 88 + 420 + 384);
	check_identity(K.rsa3, img, n);
	free(img);
	free(mine);
}

static void test_rsa65537(void **state)
{
	size_t n = 0;
	uint8_t *img;

	(void)state;
	img = sign_ok(K.rsa65537, &good_props, &n);
	check_identity(K.rsa65537, img, n);
	free(img);
}

/* ECDSA is randomised: the signed part must match the document and the
 * signature must verify on its own. */
static void test_ec_p256(void **state)
{
	size_t n = 0, m = 0, b, head_len;
	uint8_t *img, *mine;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint32_t sig_len;

	(void)state;
	assert_non_null(md);
	img = sign_ok(K.ec, &good_props, &n);
	mine = craft(&good_props, K.ec, TE_TEE_SIG_ECDSA_P256_SHA256, &m);
	b = block_start(img, n);
	assert_int_equal(b, elf_len);
	head_len = KEY_OFF + 91 + 4;
	assert_int_equal(get_le(img + b + KEYLEN_OFF, 4), 91);
	assert_memory_equal(img, mine, elf_len + head_len);
	sig_len = (uint32_t)get_le(img + b + head_len, 4);
	assert_int_equal(n, elf_len + head_len + 4 + sig_len + FOOTER_SIZE);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, K.ec), 1);
	assert_int_equal(EVP_DigestVerifyUpdate(md, sign_label, sizeof(sign_label)), 1);
	assert_int_equal(EVP_DigestVerifyUpdate(md, img + b, head_len), 1);
	assert_int_equal(EVP_DigestVerifyFinal(md, img + b + head_len + 4, sig_len), 1);
	check_identity(K.ec, img, n);
	/* The independent encoding verifies too. */
	check_identity(K.ec, mine, m);
	EVP_MD_CTX_free(md);
	free(img);
	free(mine);
}

static void test_boundaries_accepted(void **state)
{
	te_tee_props lo = {0, 1, 1, 1, 0, 0};
	te_tee_props hi = {1, 1048576, 65536, 256, 65535, 65535};
	uint8_t *img;
	size_t n = 0;

	(void)state;
	img = sign_ok(K.ec, &lo, &n);
	assert_int_equal(verify_quiet(img, n), OE_OK);
	free(img);
	img = sign_ok(K.ec, &hi, &n);
	assert_int_equal(verify_quiet(img, n), OE_OK);
	free(img);
}

/* ---- refusals ---- */

static void test_unsigned(void **state)
{
	uint8_t *junk;

	(void)state;
	expect_fail(elf, elf_len, OE_UNSUPPORTED_ENCLAVE_IMAGE, "not signed");
	/* Bytes appended after a signed image hide its footer. */
	junk = calloc(1, elf_len + 100);
	assert_non_null(junk);
	memcpy(junk, elf, elf_len);
	expect_fail(junk, elf_len + 100, OE_UNSUPPORTED_ENCLAVE_IMAGE, "not signed");
	free(junk);
}

static void test_not_elf(void **state)
{
	static const uint8_t text[] = "#!/bin/sh\necho this is not an ELF executable at all ....\n"
	                              "padding padding padding padding padding padding\n";
	uint8_t *img, *bad;
	size_t n = 0;

	(void)state;
	expect_fail(NULL, 0, OE_UNSUPPORTED_ENCLAVE_IMAGE, "ELF");
	expect_fail(text, sizeof(text), OE_UNSUPPORTED_ENCLAVE_IMAGE, "not an ELF");
	expect_fail(elf, 63, OE_UNSUPPORTED_ENCLAVE_IMAGE, "ELF header");
	img = sign_ok(K.rsa3, &good_props, &n);
	bad = malloc(n);
	assert_non_null(bad);
	memcpy(bad, img, n);
	bad[4] = 1; /* ELFCLASS32 */
	expect_fail(bad, n, OE_UNSUPPORTED_ENCLAVE_IMAGE, "64-bit");
	memcpy(bad, img, n);
	bad[0] = 'M';
	bad[1] = 'Z';
	expect_fail(bad, n, OE_UNSUPPORTED_ENCLAVE_IMAGE, "not an ELF");
	/* ... and the signer will not sign them either. */
	assert_int_equal(te_tee_image_sign(text, sizeof(text), &good_props, K.rsa3, &img, &n),
	                 OE_UNSUPPORTED_ENCLAVE_IMAGE);
	free(bad);
	free(img);
}

static void flip_expect(const uint8_t *img, size_t n, size_t at, oe_result_t want,
                        const char *words)
{
	uint8_t *bad = malloc(n);

	assert_non_null(bad);
	memcpy(bad, img, n);
	bad[at] ^= 0x01;
	expect_fail(bad, n, want, words);
	free(bad);
}

static void test_flip_elf(void **state)
{
	size_t n = 0;
	uint8_t *img;

	(void)state;
	img = sign_ok(K.rsa3, &good_props, &n);
	/* Past the ELF identification bytes, which have their own checks. */
	for (size_t at = 16; at < elf_len; at += 331)
		flip_expect(img, n, at, OE_VERIFY_FAILED, "measurement");
	flip_expect(img, n, elf_len - 1, OE_VERIFY_FAILED, "measurement");
	free(img);
}

static void test_flip_props(void **state)
{
	size_t n = 0, b;
	uint8_t *img;

	(void)state;
	img = sign_ok(K.rsa3, &good_props, &n);
	b = block_start(img, n);
	for (size_t i = 0; i < 32; i++)
		flip_expect(img, n, b + PROPS_OFF + i, OE_VERIFY_FAILED, "measurement");
	/* The measurement itself. */
	flip_expect(img, n, b + UID_OFF + 5, OE_VERIFY_FAILED, "measurement");
	free(img);
}

static void test_flip_key_and_signature(void **state)
{
	EVP_PKEY *keys[2] = {K.rsa3, K.ec};

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		size_t n = 0, b, klen;
		uint8_t *img = sign_ok(keys[k], &good_props, &n);

		b = block_start(img, n);
		klen = (size_t)get_le(img + b + KEYLEN_OFF, 4);
		/* The key's last byte is inside the modulus / the point. */
		flip_expect(img, n, b + KEY_OFF + klen - 1, OE_VERIFY_FAILED, NULL);
		flip_expect(img, n, b + KEY_OFF + klen / 2, OE_VERIFY_FAILED, NULL);
		/* The signature's last byte. */
		flip_expect(img, n, n - FOOTER_SIZE - 1, OE_VERIFY_FAILED, "signature");
		free(img);
	}
}

/* Every byte of the block and the footer, two different bit flips each:
 * always refused, never a crash, and only with the codes the format
 * promises. */
static void test_flip_every_tail_byte(void **state)
{
	static const uint8_t masks[] = {0x01, 0x80};
	EVP_PKEY *keys[2] = {K.rsa3, K.ec};

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		size_t n = 0;
		uint8_t *img = sign_ok(keys[k], &good_props, &n);
		uint8_t *bad = malloc(n);

		assert_non_null(bad);
		for (size_t at = elf_len; at < n; at++) {
			for (size_t m = 0; m < sizeof(masks); m++) {
				oe_result_t res;

				memcpy(bad, img, n);
				bad[at] ^= masks[m];
				res = verify_quiet(bad, n);
				if (res != OE_VERIFY_FAILED && res != OE_UNSUPPORTED_ENCLAVE_IMAGE)
					fail_msg("flip at %zu/%zu: %s: %s", at - elf_len,
					         n - elf_len, oe_result_str(res), te_tee_detail());
			}
		}
		free(bad);
		free(img);
	}
}

static void test_truncated(void **state)
{
	EVP_PKEY *keys[2] = {K.rsa3, K.ec};

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		size_t n = 0;
		uint8_t *img = sign_ok(keys[k], &good_props, &n);

		for (size_t len = 0; len < n; len++) {
			oe_result_t res;

			/* Every length of the tail, and a spread over the ELF. */
			if (len < elf_len && len > 80 && len % 997 != 0)
				continue;
			res = verify_quiet(img, len);
			if (res == OE_OK)
				fail_msg("truncated to %zu of %zu: accepted", len, n);
		}
		free(img);
	}
}

static void test_footer_and_block_versions(void **state)
{
	size_t n = 0, b;
	uint8_t *img;

	(void)state;
	img = sign_ok(K.rsa3, &good_props, &n);
	b = block_start(img, n);
	img[n - 4] = 2;
	expect_fail(img, n, OE_UNSUPPORTED_ENCLAVE_IMAGE, "footer version 2");
	img[n - 4] = 1;
	img[b] = 2;
	expect_fail(img, n, OE_UNSUPPORTED_ENCLAVE_IMAGE, "block version 2");
	img[b] = 1;
	/* A block length that reaches into the ELF header. */
	put_le(img + n - 8, n - FOOTER_SIZE - 10, 4);
	expect_fail(img, n, OE_VERIFY_FAILED, "does not fit");
	free(img);
}

static void test_keys_refused_at_signing(void **state)
{
	EVP_PKEY *bad[2] = {K.rsa2048, K.p384};
	const char *why[2] = {"3072", "P-256"};
	uint32_t alg = 77;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		uint8_t *out = (uint8_t *)&alg;
		size_t n = 12345;

		assert_int_equal(te_tee_image_sign(elf, elf_len, &good_props, bad[i], &out, &n),
		                 OE_INVALID_PARAMETER);
		assert_non_null(strstr(te_tee_detail(), why[i]));
		assert_ptr_equal(out, (uint8_t *)&alg);
		assert_int_equal(n, 12345);
		assert_int_equal(te_tee_key_check(bad[i], &alg), OE_INVALID_PARAMETER);
		assert_int_equal(alg, 77);
	}
	assert_int_equal(te_tee_key_check(K.rsa3, &alg), OE_OK);
	assert_int_equal(alg, TE_TEE_SIG_RSA3072_PKCS1_SHA256);
	assert_int_equal(te_tee_key_check(K.ec, &alg), OE_OK);
	assert_int_equal(alg, TE_TEE_SIG_ECDSA_P256_SHA256);
}

/* Properly signed by a key the format does not accept, or with the
 * algorithm number of the other kind of key. */
static void test_keys_refused_at_load(void **state)
{
	uint8_t *img;
	size_t n = 0;

	(void)state;
	img = craft(&good_props, K.rsa2048, TE_TEE_SIG_RSA3072_PKCS1_SHA256, &n);
	expect_fail(img, n, OE_VERIFY_FAILED, "not accepted");
	free(img);
	img = craft(&good_props, K.p384, TE_TEE_SIG_ECDSA_P256_SHA256, &n);
	expect_fail(img, n, OE_VERIFY_FAILED, "not accepted");
	free(img);
	img = craft(&good_props, K.rsa3, TE_TEE_SIG_ECDSA_P256_SHA256, &n);
	expect_fail(img, n, OE_VERIFY_FAILED, "algorithm");
	free(img);
	img = craft(&good_props, K.ec, 99, &n);
	expect_fail(img, n, OE_VERIFY_FAILED, "algorithm");
	free(img);
}

static const struct {
	te_tee_props p;
	const char *name;
} out_of_range[] = {
    {{2, 2048, 64, 4, 1, 1}, "Debug"},           {{0, 0, 64, 4, 1, 1}, "NumHeapPages"},
    {{0, 1048577, 64, 4, 1, 1}, "NumHeapPages"}, {{0, UINT64_MAX, 64, 4, 1, 1}, "NumHeapPages"},
    {{0, 2048, 0, 4, 1, 1}, "NumStackPages"},    {{0, 2048, 65537, 4, 1, 1}, "NumStackPages"},
    {{0, 2048, 64, 0, 1, 1}, "NumTCS"},          {{0, 2048, 64, 257, 1, 1}, "NumTCS"},
};

static void test_props_refused_at_signing(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
		uint8_t *out = NULL;
		size_t n = 0;

		assert_int_equal(te_tee_props_check(&out_of_range[i].p), OE_INVALID_PARAMETER);
		assert_int_equal(
		    te_tee_image_sign(elf, elf_len, &out_of_range[i].p, K.ec, &out, &n),
		    OE_INVALID_PARAMETER);
		assert_non_null(strstr(te_tee_detail(), out_of_range[i].name));
		assert_null(out);
	}
}

static void test_props_refused_at_load(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
		size_t n = 0;
		uint8_t *img = craft(&out_of_range[i].p, K.ec, TE_TEE_SIG_ECDSA_P256_SHA256, &n);

		expect_fail(img, n, OE_INVALID_PARAMETER, out_of_range[i].name);
		free(img);
	}
}

/* Re-signing starts from the ELF part; signing a signed image as if it
 * were an ELF is refused rather than nesting blocks. */
static void test_resign(void **state)
{
	size_t n = 0, n2 = 0, part = 0;
	uint8_t *img, *again = NULL;
	te_tee_image got;
	uint8_t sid[32];

	(void)state;
	img = sign_ok(K.rsa3, &good_props, &n);
	assert_int_equal(te_tee_image_sign(img, n, &good_props, K.ec, &again, &n2),
	                 OE_INVALID_PARAMETER);
	assert_null(again);
	assert_int_equal(te_tee_image_elf_part(img, n, &part), OE_OK);
	assert_int_equal(part, elf_len);
	assert_int_equal(te_tee_image_sign(img, part, &good_props, K.ec, &again, &n2), OE_OK);
	assert_int_equal(verify_copy(again, n2, &got), OE_OK);
	signer_id(K.ec, sid);
	assert_memory_equal(got.signer_id, sid, 32);
	assert_int_equal(got.elf_size, elf_len);
	te_tee_image_free(&got);
	/* An unsigned ELF is all ELF part. */
	assert_int_equal(te_tee_image_elf_part(elf, elf_len, &part), OE_OK);
	assert_int_equal(part, elf_len);
	free(again);
	free(img);
}

static void test_load(void **state)
{
	char *dir = tu_tempdir("tee-image");
	char *good = tu_path(dir, "good.signed"), *plain = tu_path(dir, "plain");
	char *missing = tu_path(dir, "missing");
	te_tee_image got;
	size_t n = 0;
	uint8_t *img;

	(void)state;
	img = sign_ok(K.rsa3, &good_props, &n);
	assert_int_equal(tu_write_file(good, img, n), 0);
	assert_int_equal(tu_write_file(plain, elf, elf_len), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(te_tee_image_load(good, &got), OE_OK);
	assert_int_equal(got.size, n);
	assert_memory_equal(got.data, img, n);
	assert_props(&got.props, &good_props);
	te_tee_image_free(&got);
	assert_int_equal(te_tee_image_load(plain, &got), OE_UNSUPPORTED_ENCLAVE_IMAGE);
	assert_int_equal(te_tee_image_load(missing, &got), OE_NOT_FOUND);
	assert_int_not_equal(te_tee_image_load(dir, &got), OE_OK);
	assert_null(got.data);
	free(img);
	free(good);
	free(plain);
	free(missing);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rsa3_matches_format),
	    cmocka_unit_test(test_rsa65537),
	    cmocka_unit_test(test_ec_p256),
	    cmocka_unit_test(test_boundaries_accepted),
	    cmocka_unit_test(test_unsigned),
	    cmocka_unit_test(test_not_elf),
	    cmocka_unit_test(test_flip_elf),
	    cmocka_unit_test(test_flip_props),
	    cmocka_unit_test(test_flip_key_and_signature),
	    cmocka_unit_test(test_flip_every_tail_byte),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_footer_and_block_versions),
	    cmocka_unit_test(test_keys_refused_at_signing),
	    cmocka_unit_test(test_keys_refused_at_load),
	    cmocka_unit_test(test_props_refused_at_signing),
	    cmocka_unit_test(test_props_refused_at_load),
	    cmocka_unit_test(test_resign),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
