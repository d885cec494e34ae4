/*
 * gcm.h - one AES-256-GCM message in the HSM PAL's format (ciphertext
 * followed by the 16-byte tag), for backends that do the cipher with
 * OpenSSL on a key they hold or unseal.
 */
#ifndef TRUSTEDGE_HSM_GCM_H
#define TRUSTEDGE_HSM_GCM_H

#include <openssl/evp.h>

#include "trustedge/te_hsm.h"

/*
 * Runs one message on ctx, which the caller has initialised with the key,
 * the IV and the direction enc.  Encryption writes in_len + 16 bytes;
 * decryption takes ciphertext || tag and writes the plaintext only when
 * the tag verifies (TE_ERR_DECRYPT_FAILED naming key `name` otherwise,
 * out untouched).  *out_len has out's room in and the length out.
 */
te_err te_hsm_gcm_message(EVP_CIPHER_CTX *ctx, int enc, const char *name, const uint8_t *aad,
			  size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *out,
			  size_t *out_len) TE_MUST_CHECK;

#endif
