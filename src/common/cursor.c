/*
 * cursor.c - owns bounded reads of untrusted bytes (see te_cursor.h).
 *
 * Every getter goes through te_cursor_take(), the only place that does
 * arithmetic on the offset; it never moves past the end and poisons the
 * cursor on the first short read.
 */
#include "te_cursor.h"

#include <stdlib.h>
#include <string.h>

void te_cursor_init(te_cursor *c, const void *data, size_t len)
{
	/* A length without bytes behind it is a caller bug, not input. */
	if (data == NULL && len != 0)
		abort();
	c->data = data;
	c->len = len;
	c->off = 0;
	c->failed = 0;
}

size_t te_cursor_remaining(const te_cursor *c)
{
	return c->len - c->off;
}

size_t te_cursor_offset(const te_cursor *c)
{
	return c->off;
}

/* Consumes n bytes and points *p at them, or poisons the cursor. */
static te_err te_cursor_take(te_cursor *c, size_t n, const uint8_t **p)
{
	size_t left = c->len - c->off;

	if (c->failed)
		return te_err_set(TE_ERR_TRUNCATED, "read after an earlier failure at offset %zu",
				  c->off);
	if (n > left) {
		c->failed = 1;
		return te_err_set(TE_ERR_TRUNCATED, "need %zu bytes at offset %zu, %zu left", n,
				  c->off, left);
	}
	*p = c->data + c->off;
	c->off += n;
	return TE_OK;
}

te_err te_cursor_u8(te_cursor *c, uint8_t *out)
{
	te_err rc = TE_OK;
	const uint8_t *p = NULL;

	TE_GUARD(te_cursor_take(c, 1, &p));
	*out = p[0];
out:
	return rc;
}

te_err te_cursor_u16be(te_cursor *c, uint16_t *out)
{
	te_err rc = TE_OK;
	const uint8_t *p = NULL;

	TE_GUARD(te_cursor_take(c, 2, &p));
	*out = (uint16_t)((unsigned)p[0] << 8 | p[1]);
out:
	return rc;
}

te_err te_cursor_u32be(te_cursor *c, uint32_t *out)
{
	te_err rc = TE_OK;
	const uint8_t *p = NULL;

	TE_GUARD(te_cursor_take(c, 4, &p));
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
out:
	return rc;
}

te_err te_cursor_u64be(te_cursor *c, uint64_t *out)
{
	te_err rc = TE_OK;
	const uint8_t *p = NULL;
	uint64_t v = 0;

	TE_GUARD(te_cursor_take(c, 8, &p));
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	*out = v;
out:
	return rc;
}

te_err te_cursor_copy(te_cursor *c, void *out, size_t n)
{
	te_err rc = TE_OK;
	const uint8_t *p = NULL;

	TE_GUARD(te_cursor_take(c, n, &p));
	if (n > 0)
		memcpy(out, p, n);
out:
	return rc;
}

te_err te_cursor_view(te_cursor *c, size_t n, const uint8_t **out)
{
	te_err rc = TE_OK;
	const uint8_t *p = NULL;

	TE_GUARD(te_cursor_take(c, n, &p));
	*out = p;
out:
	return rc;
}

te_err te_cursor_skip(te_cursor *c, size_t n)
{
	const uint8_t *p = NULL;

	return te_cursor_take(c, n, &p);
}

te_err te_cursor_expect_end(const te_cursor *c)
{
	/* A poisoned cursor stopped early; report that, not the leftovers. */
	if (c->failed)
		return te_err_set(TE_ERR_TRUNCATED, "input truncated at offset %zu", c->off);
	if (c->off != c->len)
		return te_err_set(TE_ERR_MALFORMED, "%zu trailing bytes at offset %zu",
				  c->len - c->off, c->off);
	return TE_OK;
}
