/*
 * te_cursor.h - a bounded read cursor for untrusted bytes.
 *
 * Every byte that arrives from a file, a socket or a TA is read through a
 * cursor: typed getters that fail with TE_ERR_TRUNCATED on short input and
 * never move past the end.  No pointer arithmetic on untrusted data
 * anywhere else.  Once a getter fails the cursor is poisoned and every
 * later getter fails too, so a parser may check only at the end: on a
 * failed cursor te_cursor_expect_end reports TE_ERR_TRUNCATED.
 */
#ifndef TRUSTEDGE_TE_CURSOR_H
#define TRUSTEDGE_TE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "trustedge/te_error.h"

typedef struct te_cursor {
	const uint8_t *data;
	size_t len;
	size_t off;
	int failed;
} te_cursor;

void te_cursor_init(te_cursor *c, const void *data, size_t len);
size_t te_cursor_remaining(const te_cursor *c);
/* Offset of the next byte to be read (for error messages). */
size_t te_cursor_offset(const te_cursor *c);

te_err te_cursor_u8(te_cursor *c, uint8_t *out) TE_MUST_CHECK;
te_err te_cursor_u16be(te_cursor *c, uint16_t *out) TE_MUST_CHECK;
te_err te_cursor_u32be(te_cursor *c, uint32_t *out) TE_MUST_CHECK;
te_err te_cursor_u64be(te_cursor *c, uint64_t *out) TE_MUST_CHECK;
/* Copies n bytes into out. */
te_err te_cursor_copy(te_cursor *c, void *out, size_t n) TE_MUST_CHECK;
/* Points *out at the next n bytes inside the cursor's buffer (no copy). */
te_err te_cursor_view(te_cursor *c, size_t n, const uint8_t **out) TE_MUST_CHECK;
te_err te_cursor_skip(te_cursor *c, size_t n) TE_MUST_CHECK;
/* Fails with TE_ERR_MALFORMED unless every byte was consumed. */
te_err te_cursor_expect_end(const te_cursor *c) TE_MUST_CHECK;

#endif
