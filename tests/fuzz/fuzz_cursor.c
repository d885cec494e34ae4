/*
 * fuzz_cursor.c - libFuzzer target for te_cursor, checked against a
 * simple model.
 *
 * Input: byte 0 = number of op bytes k, then k op bytes, then the buffer
 * the cursor reads.  Each op reads, copies, views, skips or checks the
 * end; the model says whether it must succeed and what it must return.
 * A read past the end is caught by ASan since the buffer ends where the
 * fuzzer's input ends.  Any disagreement aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/te_cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
	const uint8_t *buf;
	size_t len;
	size_t off;
	int failed;
};

static uint64_t be_value(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Length argument of an op: small, exact, one too many, or huge. */
static size_t op_len(const struct model *m, unsigned arg)
{
	size_t left = m->len - m->off;

	switch (arg) {
	case 28:
		return left;
	case 29:
		return left + 1;
	case 30:
		return SIZE_MAX;
	case 31:
		return SIZE_MAX - m->off + 1; /* wraps to 1 if added to off */
	default:
		return arg;
	}
}

static void check_state(const te_cursor *c, const struct model *m)
{
	if (te_cursor_offset(c) != m->off || te_cursor_remaining(c) != m->len - m->off)
		abort();
}

/* Runs one fixed-size read; returns 1 when it succeeded. */
static int run_int(te_cursor *c, struct model *m, unsigned kind)
{
	static const size_t widths[] = {1, 2, 4, 8};
	size_t need = widths[kind];
	int expect_ok = !m->failed && need <= m->len - m->off;
	uint64_t got = 0xa5a5a5a5a5a5a5a5u, sentinel = got;
	te_err rc;

	switch (kind) {
	case 0: {
		uint8_t v = (uint8_t)sentinel;
		rc = te_cursor_u8(c, &v);
		got = rc == TE_OK ? v : sentinel;
		if (rc != TE_OK && v != (uint8_t)sentinel)
			abort();
		break;
	}
	case 1: {
		uint16_t v = (uint16_t)sentinel;
		rc = te_cursor_u16be(c, &v);
		got = rc == TE_OK ? v : sentinel;
		if (rc != TE_OK && v != (uint16_t)sentinel)
			abort();
		break;
	}
	case 2: {
		uint32_t v = (uint32_t)sentinel;
		rc = te_cursor_u32be(c, &v);
		got = rc == TE_OK ? v : sentinel;
		if (rc != TE_OK && v != (uint32_t)sentinel)
			abort();
		break;
	}
	default: {
		uint64_t v = sentinel;
		rc = te_cursor_u64be(c, &v);
		got = v;
		if (rc != TE_OK && v != sentinel)
			abort();
		break;
	}
	}
	if ((rc == TE_OK) != expect_ok)
		abort();
	if (rc != TE_OK) {
		if (rc != TE_ERR_TRUNCATED)
			abort();
		m->failed = 1;
		return 0;
	}
	if (got != be_value(m->buf + m->off, need))
		abort();
	m->off += need;
	return 1;
}

static void run_bytes(te_cursor *c, struct model *m, unsigned kind, size_t n)
{
	int expect_ok = !m->failed && n <= m->len - m->off;
	const uint8_t *view = NULL;
	uint8_t small[1] = {0x5a};
	uint8_t *copy = NULL;
	te_err rc;

	switch (kind) {
	case 4:
		/* Exact-size destination so ASan sees any overrun. */
		copy = n <= m->len + 1 ? malloc(n ? n : 1) : NULL;
		rc = te_cursor_copy(c, copy != NULL ? copy : small, n);
		if (rc == TE_OK && n > 0 && memcmp(copy, m->buf + m->off, n) != 0)
			abort();
		if (rc != TE_OK && small[0] != 0x5a)
			abort();
		free(copy);
		break;
	case 5:
		rc = te_cursor_view(c, n, &view);
		if (rc == TE_OK && view != m->buf + m->off)
			abort();
		if (rc != TE_OK && view != NULL)
			abort();
		break;
	default:
		rc = te_cursor_skip(c, n);
		break;
	}
	if ((rc == TE_OK) != expect_ok)
		abort();
	if (rc != TE_OK) {
		if (rc != TE_ERR_TRUNCATED)
			abort();
		m->failed = 1;
		return;
	}
	m->off += n;
}

static void run_expect_end(const te_cursor *c, const struct model *m)
{
	te_err rc = te_cursor_expect_end(c);
	te_err want = m->failed ? TE_ERR_TRUNCATED : m->off == m->len ? TE_OK : TE_ERR_MALFORMED;

	if (rc != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;
	te_cursor c;
	size_t k;

	if (size == 0)
		return 0;
	k = data[0];
	if (k > size - 1)
		k = size - 1;
	m.buf = data + 1 + k;
	m.len = size - 1 - k;
	m.off = 0;
	m.failed = 0;
	te_cursor_init(&c, m.buf, m.len);
	check_state(&c, &m);
	for (size_t i = 0; i < k; i++) {
		unsigned op = data[1 + i], kind = op & 7;

		if (kind < 4)
			(void)run_int(&c, &m, kind);
		else if (kind < 7)
			run_bytes(&c, &m, kind, op_len(&m, op >> 3));
		else
			run_expect_end(&c, &m);
		check_state(&c, &m);
	}
	run_expect_end(&c, &m);
	return 0;
}
