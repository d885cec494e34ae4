/*
 * fuzz_base64.c - libFuzzer target for te_base64.
 *
 * Properties checked (abort on violation):
 *  - decoding is canonical: if the input decodes, encoding the result
 *    gives back exactly the input;
 *  - encoding round-trips: decode(encode(x)) == x, the encoding has the
 *    advertised length, is NUL-terminated and only uses the alphabet;
 *  - a failed decode appends nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/te_base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decode_is_canonical(const uint8_t *data, size_t size, int secure)
{
	te_buf dec, enc;

	te_buf_init(&dec, secure);
	te_buf_init(&enc, 0);
	if (te_base64_decode((const char *)data, size, &dec) == TE_OK) {
		if (size % 4 != 0 || dec.len > size / 4 * 3 || dec.len + 2 < size / 4 * 3)
			abort();
		if (te_base64_encode(dec.data, dec.len, &enc) != TE_OK)
			abort();
		if (enc.len != size || (size > 0 && memcmp(enc.data, data, size) != 0))
			abort();
	} else if (dec.len != 0) {
		abort();
	}
	te_buf_free(&dec);
	te_buf_free(&enc);
}

static void check_encode_round_trips(const uint8_t *data, size_t size, int secure)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	te_buf enc, dec;

	te_buf_init(&enc, secure);
	te_buf_init(&dec, secure);
	if (te_base64_encode(data, size, &enc) != TE_OK)
		abort();
	if (enc.len != te_base64_encoded_len(size) || enc.len % 4 != 0)
		abort();
	if (enc.data[enc.len] != '\0' || strspn((const char *)enc.data, alphabet) != enc.len)
		abort();
	if (te_base64_decode((const char *)enc.data, enc.len, &dec) != TE_OK)
		abort();
	if (dec.len != size || (size > 0 && memcmp(dec.data, data, size) != 0))
		abort();
	te_buf_free(&enc);
	te_buf_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Secure buffers cost a mapping each; exercise them on some inputs. */
	int secure = size > 0 && (data[0] & 0x0f) == 0;

	check_decode_is_canonical(data, size, secure);
	check_encode_round_trips(data, size, secure);
	return 0;
}
