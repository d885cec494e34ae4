/*
 * base64.c - owns base64 (RFC 4648, standard alphabet, padded) for API
 * bodies.
 *
 * The bytes being encoded or decoded are often key material, so the
 * alphabet mapping is done with arithmetic masks rather than a table
 * indexed by secret bytes: a lookup table leaks the data through cache
 * timing.  Only the validity of the input (public) decides branches.
 */
#include "te_base64.h"

#include <stdint.h>
#include <string.h>

/* All ones when a < b, else zero; a and b must be below 2^31. */
static uint32_t te_b64_mask_lt(uint32_t a, uint32_t b)
{
	return 0u - ((a - b) >> 31);
}

/* All ones when lo <= c <= hi. */
static uint32_t te_b64_mask_range(uint32_t c, uint32_t lo, uint32_t hi)
{
	return ~te_b64_mask_lt(c, lo) & te_b64_mask_lt(c, hi + 1);
}

static uint32_t te_b64_mask_eq(uint32_t a, uint32_t b)
{
	return te_b64_mask_lt(a ^ b, 1);
}

/* Character for a 6-bit value. */
static char te_b64_enc_char(uint32_t v)
{
	uint32_t c = 0;

	c |= te_b64_mask_lt(v, 26) & (v + 'A');
	c |= te_b64_mask_range(v, 26, 51) & (v - 26 + 'a');
	c |= te_b64_mask_range(v, 52, 61) & (v - 52 + '0');
	c |= te_b64_mask_eq(v, 62) & '+';
	c |= te_b64_mask_eq(v, 63) & '/';
	return (char)c;
}

/* 6-bit value of a character, with bit 8 set when it is not in the
 * alphabet ('=' included: padding is handled by the caller). */
static uint32_t te_b64_dec_char(unsigned char ch)
{
	uint32_t c = ch, v = 0, ok = 0, m;

	m = te_b64_mask_range(c, 'A', 'Z');
	v |= m & (c - 'A');
	ok |= m;
	m = te_b64_mask_range(c, 'a', 'z');
	v |= m & (c - 'a' + 26);
	ok |= m;
	m = te_b64_mask_range(c, '0', '9');
	v |= m & (c - '0' + 52);
	ok |= m;
	m = te_b64_mask_eq(c, '+');
	v |= m & 62;
	ok |= m;
	m = te_b64_mask_eq(c, '/');
	v |= m & 63;
	ok |= m;
	return (v & 0x3f) | (~ok & 0x100);
}

size_t te_base64_encoded_len(size_t n)
{
	/* Saturates: no buffer that large can be allocated anyway. */
	if (n > SIZE_MAX / 4 * 3)
		return SIZE_MAX;
	return n / 3 * 4 + (n % 3 != 0 ? 4 : 0);
}

te_err te_base64_encode(const void *in, size_t n, te_buf *out)
{
	te_err rc = TE_OK;
	const uint8_t *src = in;
	size_t enc = te_base64_encoded_len(n);
	size_t i = 0;
	char *dst;

	TE_ENSURE(enc != SIZE_MAX, TE_ERR_INVALID_ARG, "base64 input of %zu bytes is too large", n);
	TE_GUARD(te_buf_reserve(out, enc + 1));
	dst = (char *)out->data + out->len;
	for (; n - i >= 3; i += 3) {
		uint32_t w = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		*dst++ = te_b64_enc_char(w >> 18);
		*dst++ = te_b64_enc_char(w >> 12 & 0x3f);
		*dst++ = te_b64_enc_char(w >> 6 & 0x3f);
		*dst++ = te_b64_enc_char(w & 0x3f);
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)src[i] << 16;
		*dst++ = te_b64_enc_char(w >> 18);
		*dst++ = te_b64_enc_char(w >> 12 & 0x3f);
		*dst++ = '=';
		*dst++ = '=';
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		*dst++ = te_b64_enc_char(w >> 18);
		*dst++ = te_b64_enc_char(w >> 12 & 0x3f);
		*dst++ = te_b64_enc_char(w >> 6 & 0x3f);
		*dst++ = '=';
	}
	*dst = '\0';
	out->len += enc;
out:
	return rc;
}

/*
 * Decodes one quad s[0..4) into dst; returns the number of bytes written
 * (1..3) or 0 when the quad is not canonical.  Padding is allowed only in
 * the last quad, and the bits it leaves over must be zero.
 */
static size_t te_b64_decode_quad(const char *s, int last, uint8_t *dst)
{
	uint32_t a = te_b64_dec_char((unsigned char)s[0]);
	uint32_t b = te_b64_dec_char((unsigned char)s[1]);
	uint32_t c, d;

	if (last && s[3] == '=' && s[2] == '=') {
		if (((a | b) & 0x100) || (b & 0x0f))
			return 0;
		dst[0] = (uint8_t)(a << 2 | b >> 4);
		return 1;
	}
	c = te_b64_dec_char((unsigned char)s[2]);
	if (last && s[3] == '=') {
		if (((a | b | c) & 0x100) || (c & 0x03))
			return 0;
		dst[0] = (uint8_t)(a << 2 | b >> 4);
		dst[1] = (uint8_t)((b & 0x0f) << 4 | c >> 2);
		return 2;
	}
	d = te_b64_dec_char((unsigned char)s[3]);
	if ((a | b | c | d) & 0x100)
		return 0;
	dst[0] = (uint8_t)(a << 2 | b >> 4);
	dst[1] = (uint8_t)((b & 0x0f) << 4 | c >> 2);
	dst[2] = (uint8_t)((c & 0x03) << 6 | d);
	return 3;
}

te_err te_base64_decode(const char *text, size_t len, te_buf *out)
{
	te_err rc = TE_OK;
	size_t quads = len / 4, o = 0;
	uint8_t *dst = NULL;

	TE_ENSURE(len % 4 == 0, TE_ERR_MALFORMED, "base64 length %zu is not a multiple of 4", len);
	if (len == 0)
		return TE_OK;
	TE_GUARD(te_buf_reserve(out, quads * 3));
	dst = out->data + out->len;
	for (size_t q = 0; q < quads; q++) {
		size_t got = te_b64_decode_quad(text + 4 * q, q + 1 == quads, dst + o);
		TE_ENSURE(got != 0, TE_ERR_MALFORMED, "invalid base64 in characters %zu..%zu",
			  4 * q, 4 * q + 3);
		o += got;
	}
	out->len += o;
out:
	/* Partial output may be secret: leave nothing behind on failure. */
	if (rc != TE_OK && dst != NULL)
		te_memzero(dst, o);
	return rc;
}
