/*
 * crypto_openssl.c - crypto.h with OpenSSL's libcrypto
 * (-DOE_CRYPTO_LIB=openssl).
 */
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"

struct crypto_cbc {
	EVP_CIPHER_CTX *ctx;
};

/* An enclave has no file system of its own: keep OpenSSL from looking for
 * its configuration file. */
static int crypto_init(void)
{
	return OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) == 1 ? 0 : -1;
}

void crypto_wipe(void *p, size_t size)
{
	OPENSSL_cleanse(p, size);
}

int crypto_derive(const char *password, size_t password_size, const unsigned char *salt,
                  size_t salt_size, unsigned int iterations, unsigned char *out, size_t out_size)
{
	if (crypto_init() != 0)
		return -1;
	if (password_size > 0x7fffffff || salt_size > 0x7fffffff || out_size > 0x7fffffff ||
	    iterations > 0x7fffffff)
		return -1;
	if (PKCS5_PBKDF2_HMAC(password, (int)password_size, salt, (int)salt_size, (int)iterations,
	                      EVP_sha256(), (int)out_size, out) != 1)
		return -1;
	return 0;
}

int crypto_cbc_new(crypto_cbc **cbc, int encrypt, const unsigned char key[CRYPTO_KEY_SIZE],
                   const unsigned char iv[CRYPTO_IV_SIZE])
{
	crypto_cbc *c;

	if (crypto_init() != 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -1;
	c->ctx = EVP_CIPHER_CTX_new();
	if (c->ctx == NULL ||
	    EVP_CipherInit_ex(c->ctx, EVP_aes_256_cbc(), NULL, key, iv, encrypt ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c->ctx, 0) != 1) {
		crypto_cbc_free(c);
		return -1;
	}
	*cbc = c;
	return 0;
}

int crypto_cbc_update(crypto_cbc *cbc, const unsigned char *in, unsigned char *out, size_t size)
{
	int out_len = 0;

	if (size % 16 != 0 || size > 0x7fffffff)
		return -1;
	if (EVP_CipherUpdate(cbc->ctx, out, &out_len, in, (int)size) != 1)
		return -1;
	/* Without padding and on whole blocks, OpenSSL keeps nothing back. */
	return (size_t)out_len == size ? 0 : -1;
}

void crypto_cbc_free(crypto_cbc *cbc)
{
	if (cbc == NULL)
		return;
	EVP_CIPHER_CTX_free(cbc->ctx); /* wipes the key schedule */
	free(cbc);
}
