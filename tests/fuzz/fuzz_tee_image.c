/*
 * fuzz_tee_image.c - libFuzzer target for the signed enclave image parser
 * (src/tee/image.c): arbitrary bytes go to te_tee_image_verify and
 * te_tee_image_elf_part.  Neither may crash, read past the input or leak;
 * an input that verifies must report sizes that fit inside it.  The seeds
 * are a 64-byte ELF header signed with RSA-3072 and with EC P-256, so
 * mutations reach every field of the block.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tee/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	te_tee_image img;
	size_t part = 0;

	memset(&img, 0, sizeof(img));
	if (te_tee_image_verify(data, size, &img) == OE_OK) {
		if (img.size != size || img.elf_size >= size || img.data == NULL)
			abort();
		te_tee_image_free(&img);
	} else if (img.data != NULL) {
		abort(); /* outputs are written only on success */
	}
	if (te_tee_image_elf_part(data, size, &part) == OE_OK && part > size)
		abort();
	return 0;
}
