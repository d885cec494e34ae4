/*
 * fuzz_seal_blob.c - libFuzzer target for the sealed blob parser
 * (src/tee/seal_blob.c): arbitrary bytes go to te_seal_blob_parse and
 * te_seal_key_info_policy.  Neither may crash or read past the input; a
 * blob that parses must describe parts that tile it exactly, and writing
 * those parts again must give back the same bytes.  Seeds: blobs with and
 * without a context, an empty plaintext, a truncated one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tee/seal_blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* p lies inside data[0..size) with n bytes after it. */
static int inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
	return p >= data && (size_t)(p - data) <= size && n <= size - (size_t)(p - data);
}

static void check_parsed(const uint8_t *data, size_t size, const te_seal_blob *b)
{
	uint8_t *again;
	size_t prefix = 0;
	uint32_t policy;

	if (!inside(data, size, b->key_info, b->key_info_size) ||
	    (b->context_size && !inside(data, size, b->context, b->context_size)) ||
	    (!b->context_size && b->context) || !inside(data, size, b->iv, TE_SEAL_IV_SIZE) ||
	    !inside(data, size, b->ciphertext, b->ciphertext_size) ||
	    !inside(data, size, b->tag, TE_SEAL_TAG_SIZE))
		abort();
	if (b->tag + TE_SEAL_TAG_SIZE != data + size || b->ciphertext != data + b->prefix_size ||
	    te_seal_blob_size(b->key_info_size, b->context_size, b->ciphertext_size) != size)
		abort();
	/* the prefix, written again from the parsed parts, is the same */
	again = malloc(size);
	if (!again)
		return;
	if (te_seal_blob_write_prefix(again, size, b->key_info, b->key_info_size, b->context,
	                              b->context_size, b->iv, b->ciphertext_size,
	                              &prefix) != OE_OK ||
	    prefix != b->prefix_size || memcmp(again, data, prefix) != 0)
		abort();
	free(again);
	(void)te_seal_key_info_policy(b->key_info, b->key_info_size, &policy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	te_seal_blob b;
	uint32_t policy = 0;

	memset(&b, 0xa5, sizeof(b));
	if (te_seal_blob_parse(data, size, &b) == OE_OK)
		check_parsed(data, size, &b);
	if (te_seal_key_info_policy(data, size, &policy) == OE_OK &&
	    (size < 8 || size > TE_SEAL_KEY_INFO_MAX))
		abort();
	return 0;
}
