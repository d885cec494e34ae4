/*
 * seal_blob.h - the byte formats of sealing (docs/tee-seal.md): the sealed
 * blob oe_seal writes (seal_blob.c, in liboeenclave and the fuzz target),
 * the key_info the root of trust hands out with a seal key
 * (rot/rot_seal.c writes and checks it; the TA reads only its policy),
 * and the bounded reader both parse with.  All integers little-endian.
 *
 * Blob, version 1:
 *   0   4  magic "TESB"
 *   4   2  version (1)
 *   6   2  key_info size k (1..TE_SEAL_KEY_INFO_MAX)
 *   8   4  context size c (0..TE_SEAL_CONTEXT_MAX; 0 = no context)
 *   12  4  ciphertext size n (= plaintext size)
 *   16  k  key_info (from the root)
 *   ..  c  context (OE_SEAL_SET_CONTEXT's bytes, in the clear)
 *   ..  12 IV
 *   ..  n  ciphertext (AES-256-GCM)
 *   ..  16 tag
 * The blob is exactly 44 + k + c + n bytes.  GCM's additional data is
 * every byte before the ciphertext followed by the caller's AAD.
 *
 * key_info, version 1 (28 bytes):
 *   0   4  version (1)
 *   4   4  policy (OE_SEAL_POLICY_UNIQUE 1, OE_SEAL_POLICY_PRODUCT 2)
 *   8   2  security version the key is bound to (PRODUCT; 0 for UNIQUE)
 *   10  2  reserved, 0
 *   12  16 key id (random, chosen by the root for each new key)
 */
#ifndef TE_TEE_SEAL_BLOB_H
#define TE_TEE_SEAL_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tee/tcur.h"

#include <openenclave/bits/result.h>

#define TE_SEAL_BLOB_MAGIC    "TESB"
#define TE_SEAL_BLOB_VERSION  1u
#define TE_SEAL_BLOB_HEADER   16u
#define TE_SEAL_IV_SIZE       12u
#define TE_SEAL_TAG_SIZE      16u
#define TE_SEAL_KEY_SIZE      32u
#define TE_SEAL_KEY_INFO_MAX  128u
#define TE_SEAL_CONTEXT_MAX   4096u
#define TE_SEAL_PLAINTEXT_MAX (64u * 1024u * 1024u)

#define TE_SEAL_KEY_INFO_VERSION 1u
#define TE_SEAL_KEY_INFO_SIZE    28u
#define TE_SEAL_KEY_ID_SIZE      16u

/* --- bounded reader: every getter fails (and stays failed) on short input */

static inline void te_seal_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void te_seal_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* --- blob codec (seal_blob.c) --- */

/* A parsed blob: views into the caller's buffer. */
typedef struct te_seal_blob {
	const uint8_t *key_info;
	size_t key_info_size;
	const uint8_t *context; /* NULL when context_size is 0 */
	size_t context_size;
	const uint8_t *iv; /* TE_SEAL_IV_SIZE bytes */
	const uint8_t *ciphertext;
	size_t ciphertext_size;
	const uint8_t *tag; /* TE_SEAL_TAG_SIZE bytes */
	size_t prefix_size; /* bytes before the ciphertext: GCM additional data */
} te_seal_blob;

/* Parses blob (size bytes, untrusted).  OE_INVALID_PARAMETER unless it is
 * a well-formed version-1 blob of exactly that size; *out set on OE_OK. */
oe_result_t te_seal_blob_parse(const uint8_t *blob, size_t size, te_seal_blob *out);

/* Size of a blob with these parts; 0 when a part is out of range. */
size_t te_seal_blob_size(size_t key_info_size, size_t context_size, size_t plaintext_size);

/* Writes header, key_info, context and IV at the start of blob (cap bytes,
 * at least te_seal_blob_size(...)); *prefix_size receives their length,
 * where the ciphertext goes. */
oe_result_t te_seal_blob_write_prefix(uint8_t *blob, size_t cap, const uint8_t *key_info,
                                      size_t key_info_size, const uint8_t *context,
                                      size_t context_size, const uint8_t iv[TE_SEAL_IV_SIZE],
                                      size_t plaintext_size, size_t *prefix_size);

/* The policy a key_info names (bounded read of its first 8 bytes; the
 * root checks the rest).  OE_INVALID_PARAMETER when it cannot say. */
oe_result_t te_seal_key_info_policy(const uint8_t *key_info, size_t size, uint32_t *policy);

#endif /* TE_TEE_SEAL_BLOB_H */
