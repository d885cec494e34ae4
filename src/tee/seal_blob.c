/*
 * seal_blob.c - the sealed blob's byte layout (seal_blob.h): writing the
 * part before the ciphertext and parsing a blob that came back from
 * untrusted storage.  No cryptography here: enclave/seal.c encrypts.
 */
#include "tee/seal_blob.h"

size_t te_seal_blob_size(size_t key_info_size, size_t context_size, size_t plaintext_size)
{
	if (key_info_size == 0 || key_info_size > TE_SEAL_KEY_INFO_MAX)
		return 0;
	if (context_size > TE_SEAL_CONTEXT_MAX || plaintext_size > TE_SEAL_PLAINTEXT_MAX)
		return 0;
	/* Bounded above, so no sum can overflow. */
	return TE_SEAL_BLOB_HEADER + key_info_size + context_size + TE_SEAL_IV_SIZE +
	       plaintext_size + TE_SEAL_TAG_SIZE;
}

oe_result_t te_seal_blob_write_prefix(uint8_t *blob, size_t cap, const uint8_t *key_info,
                                      size_t key_info_size, const uint8_t *context,
                                      size_t context_size, const uint8_t iv[TE_SEAL_IV_SIZE],
                                      size_t plaintext_size, size_t *prefix_size)
{
	size_t need = te_seal_blob_size(key_info_size, context_size, plaintext_size);
	size_t off = TE_SEAL_BLOB_HEADER;

	if (!blob || !key_info || !iv || (context_size && !context) || need == 0)
		return OE_INVALID_PARAMETER;
	if (cap < need)
		return OE_BUFFER_TOO_SMALL;
	memcpy(blob, TE_SEAL_BLOB_MAGIC, 4);
	te_seal_put_u16(blob + 4, TE_SEAL_BLOB_VERSION);
	te_seal_put_u16(blob + 6, (uint16_t)key_info_size);
	te_seal_put_u32(blob + 8, (uint32_t)context_size);
	te_seal_put_u32(blob + 12, (uint32_t)plaintext_size);
	memcpy(blob + off, key_info, key_info_size);
	off += key_info_size;
	if (context_size)
		memcpy(blob + off, context, context_size);
	off += context_size;
	memcpy(blob + off, iv, TE_SEAL_IV_SIZE);
	*prefix_size = off + TE_SEAL_IV_SIZE;
	return OE_OK;
}

oe_result_t te_seal_blob_parse(const uint8_t *blob, size_t size, te_seal_blob *out)
{
	te_tcur r;
	te_seal_blob b;
	const uint8_t *magic;
	uint32_t version, ki, ctx, ct;

	if (!blob || !out)
		return OE_INVALID_PARAMETER;
	te_tcur_init(&r, blob, size);
	magic = te_tcur_take(&r, 4);
	version = te_tcur_u16(&r);
	ki = te_tcur_u16(&r);
	ctx = te_tcur_u32(&r);
	ct = te_tcur_u32(&r);
	if (r.bad || memcmp(magic, TE_SEAL_BLOB_MAGIC, 4) != 0)
		return OE_INVALID_PARAMETER;
	if (version != TE_SEAL_BLOB_VERSION)
		return OE_INVALID_PARAMETER;
	if (te_seal_blob_size(ki, ctx, ct) != size)
		return OE_INVALID_PARAMETER;
	memset(&b, 0, sizeof(b));
	b.key_info_size = ki;
	b.key_info = te_tcur_take(&r, ki);
	b.context_size = ctx;
	b.context = ctx ? te_tcur_take(&r, ctx) : NULL;
	b.iv = te_tcur_take(&r, TE_SEAL_IV_SIZE);
	b.prefix_size = r.off;
	b.ciphertext_size = ct;
	b.ciphertext = te_tcur_take(&r, ct);
	b.tag = te_tcur_take(&r, TE_SEAL_TAG_SIZE);
	if (!te_tcur_done(&r))
		return OE_INVALID_PARAMETER;
	*out = b;
	return OE_OK;
}

oe_result_t te_seal_key_info_policy(const uint8_t *key_info, size_t size, uint32_t *policy)
{
	te_tcur r;
	uint32_t version, p;

	te_tcur_init(&r, key_info, size);
	version = te_tcur_u32(&r);
	p = te_tcur_u32(&r);
	if (r.bad || version != TE_SEAL_KEY_INFO_VERSION || size > TE_SEAL_KEY_INFO_MAX)
		return OE_INVALID_PARAMETER;
	*policy = p;
	return OE_OK;
}
