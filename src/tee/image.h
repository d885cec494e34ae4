/*
 * image.h - signed enclave images: the format te-sign writes and the host
 * runtime verifies before it runs anything (see docs/tee.md, "Signed
 * images").
 *
 * A signed image is the TA's ELF executable, unchanged, followed by a
 * signature block and a fixed footer.  The measurement (unique id) covers
 * the ELF bytes and the signed properties; the signer id is the SHA-256 of
 * the signer's public key (DER SubjectPublicKeyInfo).
 */
#ifndef TE_TEE_IMAGE_H
#define TE_TEE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <openenclave/bits/result.h>

/* The enclave properties a signer vouches for (the reference's config
 * fields).  Limits are checked when signing and again when loading. */
typedef struct te_tee_props {
	uint32_t debug;            /* Debug: 0 or 1 */
	uint64_t num_heap_pages;   /* NumHeapPages: heap limit, 4 KiB pages */
	uint64_t num_stack_pages;  /* NumStackPages: per-thread stack */
	uint64_t num_tcs;          /* NumTCS: TA threads = concurrent calls */
	uint16_t product_id;       /* ProductID */
	uint16_t security_version; /* SecurityVersion */
} te_tee_props;

#define TE_TEE_ID_SIZE 32

/* Signature algorithms (the block's sig_alg field; docs/tee-sign.md). */
#define TE_TEE_SIG_RSA3072_PKCS1_SHA256 1u /* RSA-3072, e = 3 or 65537 */
#define TE_TEE_SIG_ECDSA_P256_SHA256    2u /* EC P-256, DER signature */

typedef struct te_tee_image {
	uint8_t *data; /* the whole file, owned */
	size_t size;
	size_t elf_size; /* leading bytes that are the ELF (what runs) */
	te_tee_props props;
	uint8_t unique_id[TE_TEE_ID_SIZE]; /* measurement */
	uint8_t signer_id[TE_TEE_ID_SIZE];
	uint32_t sig_alg; /* TE_TEE_SIG_*: which kind of key signed it */
} te_tee_image;

/* Parses and verifies a signed image held in memory (data is copied).
 * OE_UNSUPPORTED_ENCLAVE_IMAGE: not an ELF or no signature block;
 * OE_VERIFY_FAILED: the signature or measurement does not match (altered
 * image); OE_INVALID_PARAMETER: properties out of range.  The reason is in
 * te_tee_detail().  *img is written only on OE_OK (start from {0} so that
 * te_tee_image_free is always safe).  The byte layout is in
 * docs/tee-sign.md. */
oe_result_t te_tee_image_verify(const uint8_t *data, size_t size, te_tee_image *img);
/* Reads path (regular file, at most 512 MiB) and verifies it as above;
 * OE_NOT_FOUND / OE_READ_FAILED when it cannot be read.  Run img->data,
 * not path: the file may change after it was read. */
oe_result_t te_tee_image_load(const char *path, te_tee_image *img);
void te_tee_image_free(te_tee_image *img);

/* --- Signing (te-sign and the tests) --- */

struct evp_pkey_st; /* OpenSSL's EVP_PKEY, without pulling in its headers */

/* OE_OK when every property is in the range a loader accepts; otherwise
 * OE_INVALID_PARAMETER naming the property. */
oe_result_t te_tee_props_check(const te_tee_props *props);
/* OE_OK when key may sign images (RSA-3072 with e = 3 or 65537, or EC
 * P-256) and sets *sig_alg; otherwise OE_INVALID_PARAMETER saying why. */
oe_result_t te_tee_key_check(struct evp_pkey_st *key, uint32_t *sig_alg);
/* Length of the ELF part of data: all of it for an unsigned ELF, the bytes
 * before the signature block for a signed one (its signature is not
 * checked: this is what re-signing replaces). */
oe_result_t te_tee_image_elf_part(const uint8_t *data, size_t size, size_t *elf_size);
/* Signs elf[0..elf_size) (a 64-bit ELF, no block) with props and key;
 * *out (malloc'd) receives the signed image.  Outputs set only on OE_OK. */
oe_result_t te_tee_image_sign(const uint8_t *elf, size_t elf_size, const te_tee_props *props,
                              struct evp_pkey_st *key, uint8_t **out, size_t *out_size);
/* "RSA-3072/PKCS1-v1_5/SHA-256", ...; "unknown" otherwise. */
const char *te_tee_sig_alg_name(uint32_t sig_alg);

#endif /* TE_TEE_IMAGE_H */
