/*
 * keyfile.h - the software backend's key file format (version 1).
 *
 *   offset size  field
 *   0      4     magic "TEKY"
 *   4      1     format version (1)
 *   5      1     key type (te_hsm_key_type)
 *   6      1     flags: bit 0 = exportable, other bits must be 0
 *   7      1     usage bits (TE_HSM_USAGE_*), other bits must be 0
 *   8      12    AES-256-GCM IV (random per write)
 *   20     4     ciphertext length N, big-endian (1 .. TE_KEYFILE_MAX_SECRET)
 *   24     N     ciphertext of the key material
 *   24+N   16    GCM tag
 *
 * The AAD is bytes 0..23 followed by the key name, so the header cannot be
 * edited and a file renamed on disk to another key's name fails to open.
 * Key material is PKCS#8 DER for asymmetric keys and raw bytes for secret
 * keys.  The master key is 32 bytes; it never appears in the file.
 */
#ifndef TRUSTEDGE_HSM_KEYFILE_H
#define TRUSTEDGE_HSM_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "trustedge/te_hsm.h"

#define TE_KEYFILE_MAGIC "TEKY"
#define TE_KEYFILE_VERSION 1
#define TE_KEYFILE_HDR_LEN 24
#define TE_KEYFILE_MAX_SECRET 16384
#define TE_KEYFILE_MAX_LEN (TE_KEYFILE_HDR_LEN + TE_KEYFILE_MAX_SECRET + 16)
#define TE_MASTER_KEY_LEN 32

typedef struct te_keyfile_meta {
	te_hsm_key_type type;
	uint32_t usage;
	int exportable;
} te_keyfile_meta;

/* Encrypts material under master for key `name`; appends the file image
 * to out.  iv must be 12 fresh random bytes. */
te_err te_keyfile_seal(const uint8_t master[TE_MASTER_KEY_LEN], const char *name,
		       const te_keyfile_meta *meta, const uint8_t iv[12],
		       const uint8_t *material, size_t len, te_buf *out) TE_MUST_CHECK;

/* Parses and decrypts a file image.  The material is appended to `material`,
 * which must be a secure buffer.  Errors name the key: TE_ERR_TRUNCATED,
 * TE_ERR_MALFORMED (bad magic, version, type, flags) or TE_ERR_TAMPERED
 * (authentication failed: edited, renamed, or another master key). */
te_err te_keyfile_open(const uint8_t master[TE_MASTER_KEY_LEN], const char *name,
		       const uint8_t *file, size_t len, te_keyfile_meta *meta,
		       te_buf *material) TE_MUST_CHECK;

/* Turns opened key material into an OpenSSL key and checks that it is of
 * meta->type (curve, modulus size, algorithm).  Asymmetric types only. */
te_err te_keyfile_material_parse(const char *name, const te_keyfile_meta *meta,
				 const uint8_t *material, size_t len,
				 EVP_PKEY **out) TE_MUST_CHECK;

/* Type of an OpenSSL private key as a trustedge key type, or
 * TE_ERR_UNSUPPORTED (e.g. RSA-1024, an unsupported curve). */
te_err te_keyfile_pkey_type(const EVP_PKEY *pkey, te_hsm_key_type *out) TE_MUST_CHECK;

#endif
