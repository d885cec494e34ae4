/* test_keyfile.c - the software backend's key file format: everything an
 * attacker with write access to the disk can do to a file is detected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsm/keyfile.h"

static const uint8_t master[TE_MASTER_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t iv[12] = {0xa, 0xb, 0xc};
static const uint8_t secret[32] = {0x42, 0x43, 0x44};

static void seal(const char *name, const te_keyfile_meta *meta, const uint8_t *mat, size_t len,
		 te_buf *image)
{
	te_buf_init(image, 0);
	assert_int_equal(te_keyfile_seal(master, name, meta, iv, mat, len, image), TE_OK);
	assert_int_equal(image->len, TE_KEYFILE_HDR_LEN + len + 16);
}

static te_err open_image(const char *name, const uint8_t *m, const uint8_t *img, size_t len,
			 te_keyfile_meta *meta, te_buf *out)
{
	te_buf_init(out, 1);
	return te_keyfile_open(m, name, img, len, meta, out);
}

static void round_trip(void **state)
{
	te_keyfile_meta meta = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE, 1};
	te_keyfile_meta back;
	te_buf image, mat;

	(void)state;
	seal("k1", &meta, secret, sizeof(secret), &image);
	assert_memory_equal(image.data, "TEKY\x01", 5);
	/* The secret does not appear in the file in the clear. */
	assert_null(memmem(image.data, image.len, secret, 3));
	assert_int_equal(open_image("k1", master, image.data, image.len, &back, &mat), TE_OK);
	assert_int_equal(mat.len, sizeof(secret));
	assert_memory_equal(mat.data, secret, sizeof(secret));
	assert_int_equal(back.type, meta.type);
	assert_int_equal(back.usage, meta.usage);
	assert_int_equal(back.exportable, 1);
	te_buf_free(&mat);
	te_buf_free(&image);
}

static void every_flipped_byte_is_refused(void **state)
{
	te_keyfile_meta meta = {TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 0}, back;
	te_buf image, mat;

	(void)state;
	seal("k", &meta, secret, sizeof(secret), &image);
	for (size_t i = 0; i < image.len; i++) {
		image.data[i] ^= 0x01;
		te_err rc = open_image("k", master, image.data, image.len, &back, &mat);
		assert_true(rc == TE_ERR_TAMPERED || rc == TE_ERR_MALFORMED ||
			    rc == TE_ERR_TRUNCATED);
		assert_int_equal(mat.len, 0);
		assert_non_null(strstr(te_err_detail(), "key 'k'"));
		te_buf_free(&mat);
		image.data[i] ^= 0x01;
	}
	te_buf_free(&image);
}

static void truncation_and_trailing_data(void **state)
{
	te_keyfile_meta meta = {TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 0}, back;
	te_buf image, mat;
	uint8_t longer[TE_KEYFILE_HDR_LEN + 32 + 16 + 1];

	(void)state;
	seal("k", &meta, secret, sizeof(secret), &image);
	for (size_t len = 0; len < image.len; len++) {
		assert_int_equal(open_image("k", master, image.data, len, &back, &mat),
				 TE_ERR_TRUNCATED);
		assert_non_null(strstr(te_err_detail(), "truncated"));
		te_buf_free(&mat);
	}
	memcpy(longer, image.data, image.len);
	longer[image.len] = 0;
	assert_int_equal(open_image("k", master, longer, sizeof(longer), &back, &mat),
			 TE_ERR_MALFORMED);
	te_buf_free(&mat);
	te_buf_free(&image);
}

static void rename_and_wrong_master(void **state)
{
	te_keyfile_meta meta = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0}, back;
	te_buf image, mat;
	uint8_t other[TE_MASTER_KEY_LEN] = {9};

	(void)state;
	seal("device", &meta, secret, sizeof(secret), &image);
	assert_int_equal(open_image("module", master, image.data, image.len, &back, &mat),
			 TE_ERR_TAMPERED);
	assert_non_null(strstr(te_err_detail(), "key 'module'"));
	te_buf_free(&mat);
	assert_int_equal(open_image("device", other, image.data, image.len, &back, &mat),
			 TE_ERR_TAMPERED);
	te_buf_free(&mat);
	te_buf_free(&image);
}

static void seal_refuses_bad_input(void **state)
{
	te_keyfile_meta meta = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_buf image;
	static uint8_t big[TE_KEYFILE_MAX_SECRET + 1];

	(void)state;
	te_buf_init(&image, 0);
	assert_int_equal(te_keyfile_seal(master, "k", &meta, iv, big, sizeof(big), &image),
			 TE_ERR_INVALID_ARG);
	assert_int_equal(te_keyfile_seal(master, "k", &meta, iv, secret, 0, &image),
			 TE_ERR_INVALID_ARG);
	meta.usage = 0x80;
	assert_int_equal(te_keyfile_seal(master, "k", &meta, iv, secret, 1, &image),
			 TE_ERR_INVALID_ARG);
	assert_int_equal(image.len, 0);
	te_buf_free(&image);
}

static void material_type_is_checked(void **state)
{
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *back = NULL;
	unsigned char *der = NULL;
	int len = i2d_PrivateKey(p256, &der);
	te_keyfile_meta meta = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_type t;

	(void)state;
	assert_true(len > 0);
	assert_int_equal(te_keyfile_material_parse("k", &meta, der, (size_t)len, &back), TE_OK);
	assert_int_equal(EVP_PKEY_eq(back, p256), 1);
	assert_int_equal(te_keyfile_pkey_type(back, &t), TE_OK);
	assert_int_equal(t, TE_HSM_KEY_EC_P256);
	EVP_PKEY_free(back);
	back = NULL;
	meta.type = TE_HSM_KEY_EC_P384;
	assert_int_equal(te_keyfile_material_parse("k", &meta, der, (size_t)len, &back),
			 TE_ERR_MALFORMED);
	meta.type = TE_HSM_KEY_EC_P256;
	assert_int_equal(te_keyfile_material_parse("k", &meta, der, (size_t)len - 1, &back),
			 TE_ERR_MALFORMED);
	assert_null(back);
	OPENSSL_free(der);
	EVP_PKEY_free(p256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(every_flipped_byte_is_refused),
		cmocka_unit_test(truncation_and_trailing_data),
		cmocka_unit_test(rename_and_wrong_master),
		cmocka_unit_test(seal_refuses_bad_input),
		cmocka_unit_test(material_type_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
