/*
 * test_tpm_blob.c - the tpm backend's key file parser (tpm_blob.h) on
 * untrusted input, without a TPM: every truncation, every header byte, a
 * renamed file, forged attributes and lengths are refused with an error
 * that names the key; what the templates make parses back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hsm/backends/tpm_blob.h"

/* A blob as the backend would store it, with made-up TPM output. */
static void make_blob(te_hsm_key_type type, uint32_t usage, int exportable, const char *name,
		      te_tpm_blob *b)
{
	TPMT_PUBLIC *p = &b->pub.publicArea;

	memset(b, 0, sizeof(*b));
	assert_int_equal(te_tpm_blob_template(TE_TPM_BLOB_KEY, name, type, usage, exportable,
					      !te_tpm_blob_sealed(TE_TPM_BLOB_KEY, type,
								  exportable),
					      &b->pub),
			 TE_OK);
	b->type = type;
	b->usage = usage;
	b->exportable = exportable;
	if (p->type == TPM2_ALG_RSA) {
		p->unique.rsa.size = p->parameters.rsaDetail.keyBits / 8;
		memset(p->unique.rsa.buffer, 0xc1, p->unique.rsa.size);
	} else if (p->type == TPM2_ALG_ECC) {
		size_t n = p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 ? 32 : 48;
		p->unique.ecc.x.size = p->unique.ecc.y.size = (UINT16)n;
		memset(p->unique.ecc.x.buffer, 0x11, n);
		memset(p->unique.ecc.y.buffer, 0x22, n);
	} else {
		p->unique.keyedHash.size = 32;
		memset(p->unique.keyedHash.buffer, 0x33, 32);
	}
	b->priv.size = 126;
	memset(b->priv.buffer, 0x5a, b->priv.size);
	b->parent_name.size = 34;
	b->parent_name.name[0] = 0x00;
	b->parent_name.name[1] = 0x0b; /* SHA-256 */
	memset(b->parent_name.name + 2, 0x77, 32);
}

static void encode(const te_tpm_blob *b, te_buf *out)
{
	te_buf_init(out, 0);
	assert_int_equal(te_tpm_blob_encode(TE_TPM_BLOB_KEY, b, out), TE_OK);
}

static void expect_refused(const uint8_t *p, size_t n, const char *name, const char *what)
{
	te_tpm_blob b;
	te_err rc = te_tpm_blob_decode(TE_TPM_BLOB_KEY, name, p, n, &b);

	if (rc == TE_OK)
		fail_msg("%s: accepted", what);
	if (rc != TE_ERR_TRUNCATED && rc != TE_ERR_MALFORMED && rc != TE_ERR_TAMPERED)
		fail_msg("%s: %s (%s)", what, te_err_name(rc), te_err_detail());
	if (strstr(te_err_detail(), name) == NULL)
		fail_msg("%s: detail \"%s\" does not name the key", what, te_err_detail());
}

static void test_roundtrip_every_type(void **state)
{
	static const struct {
		te_hsm_key_type type;
		uint32_t usage;
		int exportable;
	} cases[] = {
		{TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0},
		{TE_HSM_KEY_EC_P384, TE_HSM_USAGE_SIGN, 0},
		{TE_HSM_KEY_RSA_2048, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT, 0},
		{TE_HSM_KEY_RSA_3072, TE_HSM_USAGE_ENCRYPT, 0},
		{TE_HSM_KEY_RSA_4096, TE_HSM_USAGE_SIGN, 0},
		{TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE, 0},
		{TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 1},
		{TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 0},
		{TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		te_tpm_blob in, out;
		te_buf img;

		make_blob(cases[i].type, cases[i].usage, cases[i].exportable, "t-key", &in);
		encode(&in, &img);
		assert_int_equal(te_tpm_blob_decode(TE_TPM_BLOB_KEY, "t-key", img.data, img.len,
						    &out),
				 TE_OK);
		assert_int_equal(out.type, in.type);
		assert_int_equal(out.usage, in.usage);
		assert_int_equal(out.exportable, in.exportable);
		assert_int_equal(out.parent, 0);
		assert_memory_equal(&out.pub.publicArea, &in.pub.publicArea, sizeof(in.pub.publicArea));
		assert_int_equal(out.priv.size, in.priv.size);
		assert_memory_equal(out.priv.buffer, in.priv.buffer, in.priv.size);
		assert_int_equal(out.parent_name.size, in.parent_name.size);
		te_buf_free(&img);
	}
}

static void test_invalid_templates(void **state)
{
	TPM2B_PUBLIC p;

	(void)state;
	assert_int_not_equal(te_tpm_blob_template(TE_TPM_BLOB_KEY, "k", TE_HSM_KEY_EC_P256,
						  TE_HSM_USAGE_ENCRYPT, 0, 1, &p),
			     TE_OK);
	assert_int_not_equal(te_tpm_blob_template(TE_TPM_BLOB_KEY, "k", TE_HSM_KEY_AES_256_GCM,
						  TE_HSM_USAGE_SIGN, 0, 0, &p),
			     TE_OK);
	assert_int_not_equal(te_tpm_blob_template(TE_TPM_BLOB_KEY, "k", TE_HSM_KEY_ED25519,
						  TE_HSM_USAGE_SIGN, 0, 1, &p),
			     TE_OK);
	assert_int_not_equal(te_tpm_blob_template(TE_TPM_BLOB_KEY, "k", TE_HSM_KEY_RSA_2048, 0, 0,
						  1, &p),
			     TE_OK);
}

static void test_truncated_everywhere(void **state)
{
	te_tpm_blob b;
	te_buf img;

	(void)state;
	make_blob(TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0, "t-trunc", &b);
	encode(&b, &img);
	for (size_t n = 0; n < img.len; n++) {
		char what[64];
		snprintf(what, sizeof(what), "truncated to %zu of %zu", n, img.len);
		expect_refused(img.data, n, "t-trunc", what);
	}
	te_buf_free(&img);
}

static void test_trailing_bytes(void **state)
{
	te_tpm_blob b;
	te_buf img;

	(void)state;
	make_blob(TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0, "t-trail", &b);
	encode(&b, &img);
	assert_int_equal(te_buf_append(&img, "x", 1), TE_OK);
	expect_refused(img.data, img.len, "t-trail", "one trailing byte");
	te_buf_free(&img);
}

/* Any one-bit edit of the header (magic, version, type, flags, usage,
 * parent, name length) is refused. */
static void test_header_bytes(void **state)
{
	te_tpm_blob b;
	te_buf img;

	(void)state;
	make_blob(TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0, "t-hdr", &b);
	encode(&b, &img);
	for (size_t i = 0; i < 14; i++) {
		for (int bit = 0; bit < 8; bit++) {
			char what[64];
			img.data[i] ^= (uint8_t)(1u << bit);
			snprintf(what, sizeof(what), "header byte %zu bit %d", i, bit);
			expect_refused(img.data, img.len, "t-hdr", what);
			img.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	te_buf_free(&img);
}

/* Raising usage or exportable in the header does not pass: the public
 * area's authPolicy binds the original header. */
static void test_escalation(void **state)
{
	te_tpm_blob b, out;
	te_buf img;

	(void)state;
	make_blob(TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0, "t-esc", &b);
	encode(&b, &img);
	img.data[7] |= TE_HSM_USAGE_DERIVE;
	assert_int_equal(te_tpm_blob_decode(TE_TPM_BLOB_KEY, "t-esc", img.data, img.len, &out),
			 TE_ERR_TAMPERED);
	img.data[7] = TE_HSM_USAGE_SIGN;
	img.data[6] |= 1;
	assert_int_equal(te_tpm_blob_decode(TE_TPM_BLOB_KEY, "t-esc", img.data, img.len, &out),
			 TE_ERR_TAMPERED);
	te_buf_free(&img);

	/* A re-made header with a matching authPolicy still needs public
	 * attributes that match, and the TPM checks the public area itself. */
	make_blob(TE_HSM_KEY_RSA_2048, TE_HSM_USAGE_ENCRYPT, 0, "t-esc2", &b);
	b.pub.publicArea.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT;
	encode(&b, &img);
	assert_int_equal(te_tpm_blob_decode(TE_TPM_BLOB_KEY, "t-esc2", img.data, img.len, &out),
			 TE_ERR_TAMPERED);
	te_buf_free(&img);
}

/* A file copied or renamed to another key's name does not open. */
static void test_renamed(void **state)
{
	te_tpm_blob b, out;
	te_buf img;

	(void)state;
	make_blob(TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0, "t-a", &b);
	encode(&b, &img);
	assert_int_equal(te_tpm_blob_decode(TE_TPM_BLOB_KEY, "t-b", img.data, img.len, &out),
			 TE_ERR_TAMPERED);
	assert_non_null(strstr(te_err_detail(), "t-b"));
	assert_int_equal(te_tpm_blob_decode(TE_TPM_BLOB_KEY, "t-a", img.data, img.len, &out),
			 TE_OK);
	te_buf_free(&img);
}

/* A key file is not a master key file, and the reverse. */
static void test_kinds(void **state)
{
	te_tpm_blob b, out;
	te_buf img;

	(void)state;
	make_blob(TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 0, "t-kind", &b);
	encode(&b, &img);
	assert_int_equal(te_tpm_blob_decode(TE_TPM_BLOB_MASTER, "t-kind", img.data, img.len, &out),
			 TE_ERR_MALFORMED);
	te_buf_free(&img);
}

/* Lengths that point outside the file or past the TPM structures. */
static void test_lengths(void **state)
{
	te_tpm_blob b;
	te_buf img;
	size_t pub_at;

	(void)state;
	make_blob(TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0, "t-len", &b);
	encode(&b, &img);
	pub_at = 14 + b.parent_name.size;
	img.data[12] = 0;
	img.data[13] = 0; /* empty parent name */
	expect_refused(img.data, img.len, "t-len", "parent name length 0");
	img.data[13] = 200; /* longer than a Name */
	expect_refused(img.data, img.len, "t-len", "parent name length 200");
	img.data[13] = (uint8_t)b.parent_name.size;
	img.data[pub_at] = 0xff;
	img.data[pub_at + 1] = 0xff;
	expect_refused(img.data, img.len, "t-len", "public length 65535");
	img.data[pub_at] = 0;
	img.data[pub_at + 1] = 10; /* shorter than the marshalled public */
	expect_refused(img.data, img.len, "t-len", "public length 10");
	te_buf_free(&img);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_invalid_templates),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_header_bytes),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_renamed),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
