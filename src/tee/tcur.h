/*
 * tcur.h - the one bounded little-endian reader of the TEE SDK, for the
 * untrusted bytes it parses: signed images, evidence, sealed blobs and
 * root-of-trust requests.  A short read sets a sticky flag, returns
 * NULL/0, and makes every later read fail, so a parser can read a whole
 * structure and check once at the end (te_tcur_done).  Header-only: the
 * SDK's libraries (host, TA, tools) each compile it in.
 */
#ifndef TE_TEE_TCUR_H
#define TE_TEE_TCUR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct te_tcur {
	const uint8_t *p;
	size_t len;
	size_t off;
	int bad; /* sticky: once short, every later read fails */
} te_tcur;

static inline void te_tcur_init(te_tcur *c, const void *p, size_t len)
{
	c->p = p;
	c->len = p ? len : 0;
	c->off = 0;
	c->bad = 0;
}

/* The next n bytes, or NULL (and the cursor bad) when fewer are left. */
static inline const uint8_t *te_tcur_take(te_tcur *c, size_t n)
{
	const uint8_t *v;

	if (c->bad || n > c->len - c->off) {
		c->bad = 1;
		return NULL;
	}
	v = c->p + c->off;
	c->off += n;
	return v;
}

/* An n-byte (n <= 8) little-endian unsigned integer; 0 on a short read. */
static inline uint64_t te_tcur_le(te_tcur *c, size_t n)
{
	const uint8_t *b = te_tcur_take(c, n);
	uint64_t v = 0;

	if (!b)
		return 0;
	for (size_t i = n; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

static inline uint16_t te_tcur_u16(te_tcur *c)
{
	return (uint16_t)te_tcur_le(c, 2);
}

static inline uint32_t te_tcur_u32(te_tcur *c)
{
	return (uint32_t)te_tcur_le(c, 4);
}

static inline uint64_t te_tcur_u64(te_tcur *c)
{
	return te_tcur_le(c, 8);
}

/* Everything read, nothing short. */
static inline int te_tcur_done(const te_tcur *c)
{
	return !c->bad && c->off == c->len;
}

#endif /* TE_TEE_TCUR_H */
