/*
 * te_base64.h - base64 (RFC 4648, standard alphabet, padded) for API
 * bodies.  Decoding is strict: bad characters, bad padding or non-zero
 * trailing bits are refused, so one text has exactly one meaning.
 */
#ifndef TRUSTEDGE_TE_BASE64_H
#define TRUSTEDGE_TE_BASE64_H

#include <stddef.h>

#include "trustedge/te_mem.h"

/* Length of the encoding of n bytes, without the terminating NUL. */
size_t te_base64_encoded_len(size_t n);
/* Appends the encoding of in[0..n) to out, NUL-terminated (the NUL is not
 * counted in out->len). */
te_err te_base64_encode(const void *in, size_t n, te_buf *out) TE_MUST_CHECK;
/* Decodes text[0..len) into out (appended).  TE_ERR_MALFORMED on any
 * deviation from the canonical encoding. */
te_err te_base64_decode(const char *text, size_t len, te_buf *out) TE_MUST_CHECK;

#endif
