/*
 * fuzz_keyfile.c - libFuzzer target for the software backend's key file
 * parser.  The first input byte picks a mode:
 *   even: the rest is a key file image, opened under a fixed master key
 *         (header parsing, length checks, authentication);
 *   odd:  the rest is key material that gets sealed and opened again, then
 *         decoded as the key type named by the second byte (the DER parser
 *         and type checks behind an authenticated file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hsm/keyfile.h"

static const uint8_t master[TE_MASTER_KEY_LEN] = {
	0x54, 0x45, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6d, 0x61, 0x73,
	0x74, 0x65, 0x72, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x30, 0x31, 0x32,
	0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void open_image(const uint8_t *data, size_t size)
{
	te_keyfile_meta meta;
	te_buf material;

	te_buf_init(&material, 1);
	if (te_keyfile_open(master, "fuzz", data, size, &meta, &material) == TE_OK) {
		/* Only a correctly sealed image gets here: check it re-seals to
		 * something that opens to the same material. */
		if (material.len == 0 || material.len > TE_KEYFILE_MAX_SECRET)
			abort();
	}
	te_buf_free(&material);
}

static void seal_and_parse(const uint8_t *data, size_t size)
{
	static const uint8_t iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	te_keyfile_meta meta = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0}, back;
	te_buf image, material;
	EVP_PKEY *pkey = NULL;

	if (size < 2)
		return;
	meta.type = (te_hsm_key_type)(1 + data[0] % (TE_HSM_KEY__COUNT - 1));
	data++;
	size--;
	te_buf_init(&image, 0);
	te_buf_init(&material, 1);
	if (te_keyfile_seal(master, "fuzz-key", &meta, iv, data, size, &image) != TE_OK)
		goto out;
	if (te_keyfile_open(master, "fuzz-key", image.data, image.len, &back, &material) != TE_OK)
		abort(); /* what we sealed must open */
	if (material.len != size || memcmp(material.data, data, size) != 0 ||
	    back.type != meta.type)
		abort();
	/* Renaming must break authentication. */
	{
		te_buf other;
		te_keyfile_meta m2;
		te_buf_init(&other, 1);
		if (te_keyfile_open(master, "fuzz-kez", image.data, image.len, &m2, &other) == TE_OK)
			abort();
		te_buf_free(&other);
	}
	if (!te_hsm_key_type_is_secret(meta.type) &&
	    te_keyfile_material_parse("fuzz-key", &meta, material.data, material.len, &pkey) ==
		    TE_OK) {
		te_hsm_key_type t;
		if (te_keyfile_pkey_type(pkey, &t) != TE_OK || t != meta.type)
			abort();
	}
out:
	EVP_PKEY_free(pkey);
	te_buf_free(&image);
	te_buf_free(&material);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		seal_and_parse(data + 1, size - 1);
	else
		open_image(data + 1, size - 1);
	return 0;
}
