/*
 * conf_util.h - independent checks for the HSM conformance suite: the same
 * operations done directly with OpenSSL (in process) and with the openssl(1)
 * command line, so a backend is never only checked against itself.
 */
#ifndef TRUSTEDGE_CONF_UTIL_H
#define TRUSTEDGE_CONF_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "trustedge/te_hsm.h"

/* Generates a fresh key of an asymmetric type with OpenSSL; NULL for
 * secret types or on failure. */
EVP_PKEY *cu_keygen(te_hsm_key_type type);

/* The digest a signature algorithm hashes with; NULL for Ed25519. */
const EVP_MD *cu_alg_md(te_hsm_alg alg);

/* Hashes msg with the digest of alg into out (room EVP_MAX_MD_SIZE). */
int cu_digest(te_hsm_alg alg, const void *msg, size_t len, uint8_t *out, size_t *out_len);

/* 1 when sig is a valid alg signature of msg under pkey's public part. */
int cu_verify(EVP_PKEY *pkey, te_hsm_alg alg, const void *msg, size_t len, const uint8_t *sig,
              size_t sig_len);

/* Signs msg with a private key; *sig is malloc'd.  1 on success. */
int cu_sign(EVP_PKEY *pkey, te_hsm_alg alg, const void *msg, size_t len, uint8_t **sig,
            size_t *sig_len);

/* HMAC-SHA256.  1 on success. */
int cu_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len, uint8_t out[32]);

/* AES-256-GCM decryption of ct || tag; out has in_len - 16 bytes of room.
 * 1 when the tag verifies. */
int cu_gcm_decrypt(const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t in_len, uint8_t *out);

/* RSA-OAEP with SHA-256 (OAEP digest and MGF1); *out is malloc'd.
 * 1 on success. */
int cu_oaep_encrypt(EVP_PKEY *pkey, const void *in, size_t len, uint8_t **out, size_t *out_len);
int cu_oaep_decrypt(EVP_PKEY *pkey, const void *in, size_t len, uint8_t **out, size_t *out_len);

/* SubjectPublicKeyInfo parsing and encoding. */
EVP_PKEY *cu_pub_from_pem(const void *pem, size_t len);
EVP_PKEY *cu_pub_from_der(const void *der, size_t len);
int cu_pub_der(EVP_PKEY *pkey, uint8_t **der, size_t *len);
/* Private key from PEM (PKCS#8 or traditional). */
EVP_PKEY *cu_priv_from_pem(const void *pem, size_t len);

typedef enum cu_key_format {
	CU_PKCS8_PEM,
	CU_TRAD_PEM, /* "BEGIN RSA/EC PRIVATE KEY" */
	CU_PKCS8_DER,
	CU_TRAD_DER, /* RSAPrivateKey / ECPrivateKey */
} cu_key_format;

/* Serialises a private key; *out is malloc'd.  1 on success. */
int cu_priv_encode(EVP_PKEY *pkey, cu_key_format fmt, uint8_t **out, size_t *len);

/*
 * Verifies with the openssl command line: the public key PEM, message and
 * signature are written to files in workdir.  Returns 0 when openssl says
 * the signature is valid, a positive exit status when it says it is not,
 * and -1 when it could not be run.
 */
int cu_cli_verify(const char *workdir, te_hsm_alg alg, const void *pub_pem, size_t pem_len,
                  const void *msg, size_t len, const uint8_t *sig, size_t sig_len);

#endif
