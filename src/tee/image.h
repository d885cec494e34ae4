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
	uint32_t debug;           /* Debug: 0 or 1 */
	uint64_t num_heap_pages;  /* NumHeapPages: heap limit, 4 KiB pages */
	uint64_t num_stack_pages; /* NumStackPages: per-thread stack */
	uint64_t num_tcs;         /* NumTCS: TA threads = concurrent calls */
	uint16_t product_id;      /* ProductID */
	uint16_t security_version;/* SecurityVersion */
} te_tee_props;

#define TE_TEE_ID_SIZE 32

typedef struct te_tee_image {
	uint8_t *data;      /* the whole file, owned */
	size_t size;
	size_t elf_size;    /* leading bytes that are the ELF (what runs) */
	te_tee_props props;
	uint8_t unique_id[TE_TEE_ID_SIZE]; /* measurement */
	uint8_t signer_id[TE_TEE_ID_SIZE];
} te_tee_image;

/* Parses and verifies a signed image held in memory (data is copied).
 * OE_UNSUPPORTED_ENCLAVE_IMAGE: not an ELF or no signature block;
 * OE_VERIFY_FAILED: the signature or measurement does not match (altered
 * image); OE_INVALID_PARAMETER: properties out of range.  The reason is in
 * te_tee_detail(). */
oe_result_t te_tee_image_verify(const uint8_t *data, size_t size, te_tee_image *img);
/* Reads path (bounded size) and verifies it as above. */
oe_result_t te_tee_image_load(const char *path, te_tee_image *img);
void te_tee_image_free(te_tee_image *img);

#endif /* TE_TEE_IMAGE_H */
