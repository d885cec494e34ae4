/*
 * crypto.h - the two primitives the encryptor needs, implemented once with
 * mbedTLS (crypto_mbedtls.c) and once with OpenSSL (crypto_openssl.c);
 * OE_CRYPTO_LIB picks the file.  All return 0 on success.
 */
#ifndef FILE_ENCRYPTOR_CRYPTO_H
#define FILE_ENCRYPTOR_CRYPTO_H

#include <stddef.h>

#define CRYPTO_KEY_SIZE 32 /* AES-256 */
#define CRYPTO_IV_SIZE  16

/* PBKDF2-HMAC-SHA256(password, salt, iterations) -> out[out_size]. */
int crypto_derive(const char *password, size_t password_size, const unsigned char *salt,
                  size_t salt_size, unsigned int iterations, unsigned char *out, size_t out_size);

/* An AES-256-CBC stream without padding: the IV carries over from one
 * update to the next, so a file can go through in pieces. */
typedef struct crypto_cbc crypto_cbc;

int crypto_cbc_new(crypto_cbc **cbc, int encrypt, const unsigned char key[CRYPTO_KEY_SIZE],
                   const unsigned char iv[CRYPTO_IV_SIZE]);
/* size must be a multiple of 16; in and out may not overlap. */
int crypto_cbc_update(crypto_cbc *cbc, const unsigned char *in, unsigned char *out, size_t size);
/* Wipes the key schedule; NULL is fine. */
void crypto_cbc_free(crypto_cbc *cbc);

/* Zeroes secrets in a way the optimiser keeps. */
void crypto_wipe(void *p, size_t size);

#endif /* FILE_ENCRYPTOR_CRYPTO_H */
