/*
 * crypto_mbedtls.c - crypto.h with mbedTLS (2.28 or 3.x), the default
 * OE_CRYPTO_LIB.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/version.h>

#include "crypto.h"

struct crypto_cbc {
	mbedtls_aes_context aes;
	int mode; /* MBEDTLS_AES_ENCRYPT or MBEDTLS_AES_DECRYPT */
	unsigned char iv[CRYPTO_IV_SIZE];
};

void crypto_wipe(void *p, size_t size)
{
	volatile unsigned char *v = p;

	while (size-- > 0)
		*v++ = 0;
}

int crypto_derive(const char *password, size_t password_size, const unsigned char *salt,
                  size_t salt_size, unsigned int iterations, unsigned char *out, size_t out_size)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03030000
	return mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, (const unsigned char *)password,
	                                     password_size, salt, salt_size, iterations,
	                                     (uint32_t)out_size, out);
#else
	mbedtls_md_context_t md;
	int ret;

	mbedtls_md_init(&md);
	ret = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
	if (ret == 0)
		ret =
		    mbedtls_pkcs5_pbkdf2_hmac(&md, (const unsigned char *)password, password_size,
		                              salt, salt_size, iterations, (uint32_t)out_size, out);
	mbedtls_md_free(&md);
	return ret;
#endif
}

int crypto_cbc_new(crypto_cbc **cbc, int encrypt, const unsigned char key[CRYPTO_KEY_SIZE],
                   const unsigned char iv[CRYPTO_IV_SIZE])
{
	crypto_cbc *c = calloc(1, sizeof(*c));
	int ret;

	if (c == NULL)
		return -1;
	mbedtls_aes_init(&c->aes);
	c->mode = encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT;
	ret = encrypt ? mbedtls_aes_setkey_enc(&c->aes, key, CRYPTO_KEY_SIZE * 8)
	              : mbedtls_aes_setkey_dec(&c->aes, key, CRYPTO_KEY_SIZE * 8);
	if (ret != 0) {
		crypto_cbc_free(c);
		return ret;
	}
	memcpy(c->iv, iv, CRYPTO_IV_SIZE);
	*cbc = c;
	return 0;
}

int crypto_cbc_update(crypto_cbc *cbc, const unsigned char *in, unsigned char *out, size_t size)
{
	/* mbedtls_aes_crypt_cbc advances cbc->iv, so the next block chains on. */
	return mbedtls_aes_crypt_cbc(&cbc->aes, cbc->mode, size, cbc->iv, in, out);
}

void crypto_cbc_free(crypto_cbc *cbc)
{
	if (cbc == NULL)
		return;
	mbedtls_aes_free(&cbc->aes);
	crypto_wipe(cbc, sizeof(*cbc));
	free(cbc);
}
