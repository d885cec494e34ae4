/*
 * test_marshal_enclave.c - the enclave half of edger8r.marshal: the
 * ECALL implementations of marshal.edl, the enclave side of the in-process
 * loopback (oe_call_host_function and friends), and the tests that hand
 * the generated ECALL wrappers crafted input buffers.
 *
 * Built with marshal_rename.h forced in, so the EDL names here are ta_*.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "marshal_t.h"
#include "marshal_test.h"

static unsigned long g_calls;
static const void *g_last_ptr;
static const void *g_uc_p;
static const void *g_uc_q;

unsigned long ta_impl_calls(void)
{
	return g_calls;
}

const void *ta_last_ptr(void)
{
	return g_last_ptr;
}

const void *ta_user_check_p(void)
{
	return g_uc_p;
}

const void *ta_user_check_q(void)
{
	return g_uc_q;
}

/* ---- ECALL implementations ---- */

int ecall_scalars(int a, unsigned char b, long long c, double d, bool e, enum color col,
                  mt_pair_t pair, union num n, struct point pt)
{
	g_calls++;
	assert_int_equal(a, -5);
	assert_int_equal(b, 200);
	assert_true(c == -(1LL << 40));
	assert_true(d == 2.5);
	assert_true(e);
	assert_int_equal(col, BLUE);
	assert_int_equal(pair.x, 3);
	assert_int_equal(pair.y, 4);
	assert_true(n.d == 1.25);
	assert_int_equal(pt.x, 7);
	assert_int_equal(pt.y, 8);
	return a + b;
}

size_t ecall_in(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t sum = 0;

	g_calls++;
	g_last_ptr = buf;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

void ecall_out(int *vals, size_t n)
{
	g_calls++;
	g_last_ptr = vals;
	for (size_t i = 0; i < n; i++) {
		/* [out] buffers start zeroed, whatever the caller's held. */
		assert_int_equal(vals[i], 0);
		vals[i] = (int)(i * i);
	}
}

void ecall_inout(uint32_t *vals, int n)
{
	g_calls++;
	for (int i = 0; i < n; i++)
		vals[i] += 100;
}

size_t ecall_string(const char *s, char *s2)
{
	g_calls++;
	g_last_ptr = s;
	if (s2)
		s2[0] = 'X'; /* [in] only: the host never sees this */
	return strlen(s) * 1000 + (s2 ? strlen(s2) : 0);
}

size_t ecall_count_size(void *p, size_t c, size_t sz)
{
	const uint8_t *b = p;
	size_t sum = 0;

	g_calls++;
	for (size_t i = 0; i < c * sz; i++)
		sum += b[i];
	return sum;
}

int ecall_arrays(int a[4], int b[2][3], char c[8], int d[2])
{
	int sum = 0;

	g_calls++;
	for (int i = 0; i < 4; i++)
		sum += a[i];
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 3; j++) {
			assert_int_equal(b[i][j], 0);
			b[i][j] = i * 10 + j;
		}
	for (int i = 0; i < 8; i++)
		if (c[i] >= 'a' && c[i] <= 'z')
			c[i] = (char)(c[i] - 'a' + 'A');
	sum += d[0] * 100 + d[1] * 1000;
	return sum;
}

void ecall_user_check(void *p, int *q)
{
	g_calls++;
	g_uc_p = p;
	g_uc_q = q;
}

int ecall_deep(struct node *nodes, size_t n)
{
	int sum = 0;

	g_calls++;
	g_last_ptr = nodes;
	for (size_t i = 0; i < n; i++) {
		struct node *nd = &nodes[i];
		/* Only deep-copied members arrive; a plain pointer is zeroed, a
		 * [user_check] one keeps its value. */
		assert_null(nd->shallow);
		assert_ptr_equal(nd->raw, (void *)(uintptr_t)0x1234);
		sum += nd->id;
		nd->id += 1000;
		for (size_t j = 0; j < nd->nblobs; j++) {
			struct blob *b = &nd->blobs[j];
			assert_non_null(b->data);
			for (size_t k = 0; k < b->len; k++)
				assert_int_equal(b->data[k], (uint8_t)(i * 16 + j * 4 + k));
			b->data[0] ^= 0xff;
		}
		if (nd->inline_blob.data) {
			assert_int_equal(nd->inline_blob.len, 3);
			assert_memory_equal(nd->inline_blob.data, "xyz", 3);
			nd->inline_blob.data[0] = 'X';
		}
		if (nd->pair) {
			assert_int_equal(nd->unit, 3);
			assert_memory_equal(nd->pair, "abcdef", 6);
			((char *)nd->pair)[5] = 'F';
		}
		for (size_t j = 0; j < 2; j++) {
			assert_non_null(nd->twins[j].data);
			assert_int_equal(nd->twins[j].len, 2);
			assert_int_equal(nd->twins[j].data[0], (uint8_t)(i * 2 + j));
			nd->twins[j].data[1] = 0xaa;
			nd->twins[j].data = NULL;
		}
		/* A misbehaving implementation: none of this may reach the host. */
		nd->shallow = (char *)nd;
		nd->blobs = NULL;
		nd->inline_blob.data = NULL;
	}
	return sum;
}

int ecall_deep_in(struct blob *b)
{
	g_calls++;
	g_last_ptr = b;
	if (!b || !b->data)
		return -1;
	return (int)b->len * 100 + b->data[b->len - 1];
}

int ecall_switchless(int x)
{
	g_calls++;
	return x * 2;
}

int ecall_isptr_isary(mt_ptr_t p, mt_arr_t a)
{
	g_calls++;
	for (int i = 0; i < 4; i++)
		a[i] *= 2;
	return p[0] + p[1] + p[2];
}

struct point ecall_ret_struct(int x)
{
	struct point pt = {x, -x};

	g_calls++;
	return pt;
}

int ecall_null(int *maybe, size_t n, void *out_maybe)
{
	g_calls++;
	(void)n;
	return (maybe == NULL) + 2 * (out_maybe == NULL);
}

int ecall_signed_count(int *p, int n)
{
	int sum = 0;

	g_calls++;
	for (int i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

void ecall_noargs(void)
{
	g_calls++;
}

static uint8_t *dup_bytes(const char *s, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

/* [out] structs with deep-copied members: everything nested is allocated
 * here with malloc and becomes the host's (the wrapper frees ours). */
int ecall_deep_out(struct blob *b, struct node *nodes)
{
	g_calls++;
	assert_non_null(b);
	assert_null(b->data);
	assert_int_equal(b->len, 0);
	b->len = 5;
	b->data = dup_bytes("hello", 5);
	for (int i = 0; i < 2; i++) {
		struct node *nd = &nodes[i];
		assert_null(nd->blobs);
		nd->id = 40 + i;
		nd->nblobs = (size_t)i + 1;
		nd->blobs = calloc(nd->nblobs, sizeof(struct blob));
		assert_non_null(nd->blobs);
		for (size_t j = 0; j < nd->nblobs; j++) {
			nd->blobs[j].len = 3;
			nd->blobs[j].data = dup_bytes(j ? "def" : "abc", 3);
		}
		nd->shallow = (char *)nd; /* a TA pointer: must arrive NULL */
		nd->raw = (void *)(uintptr_t)0x77;
		nd->inline_blob.len = 2;
		nd->inline_blob.data = dup_bytes("in", 2);
		nd->unit = 1;
		nd->pair = dup_bytes("pq", 2);
		/* an empty nested buffer and a NULL one */
		nd->twins[0].len = 0;
		nd->twins[0].data = dup_bytes("", 0);
		nd->twins[1].len = 9;
		nd->twins[1].data = NULL;
	}
	return 7;
}

/* Pointer values as data ([out] T**, [in, out] T*[]): copied, never
 * followed. */
int ecall_ptr_out(uint8_t **p, char **names)
{
	g_calls++;
	assert_null(*p);
	*p = (uint8_t *)(uintptr_t)0x1000;
	assert_ptr_equal(names[0], (char *)(uintptr_t)0x2000);
	names[1] = (char *)(uintptr_t)0x3000;
	return 1;
}

void ecall_out_ptrs(struct holder *h)
{
	g_calls++;
	for (int i = 0; i < 2; i++) {
		assert_null(h[i].p);
		h[i].v = i + 1;
		h[i].p = (char *)h; /* must not reach the host */
	}
}

/* Calls every OCALL through its generated stub; 0 when each one gave
 * back what the host half's implementation does. */
int ecall_call_ocalls(void)
{
	int r = 0, vals[3] = {9, 9, 9};
	char s[4] = {'a', 'b', 'c', 'd'};
	uint8_t data[2] = {1, 2};
	struct blob bl = {2, data};
	struct node nd;
	size_t sl = 0;
	int64_t wr = 0;

	g_calls++;
	memset(&nd, 0, sizeof(nd));
	nd.id = 5;
	nd.nblobs = 1;
	nd.blobs = &bl;
	nd.shallow = s;
	if (ocall_scalars(&r, 6, 0.5) != OE_OK || r != 17)
		return __LINE__;
	if (ocall_in("hello", 5) != OE_OK)
		return __LINE__;
	if (ocall_out(vals, 3) != OE_OK || vals[0] != 7 || vals[1] != 8 || vals[2] != 9)
		return __LINE__;
	if (ocall_inout(s) != OE_OK || memcmp(s, "dcba", 4) != 0)
		return __LINE__;
	if (ocall_string(&sl, "twelve chars") != OE_OK || sl != 12)
		return __LINE__;
	if (ocall_deep(&r, &nd) != OE_OK || r != 5 || nd.id != 6 || data[0] != 101 ||
	    nd.blobs != &bl || nd.shallow != s)
		return __LINE__;
	if (ocall_switchless(&r, 21) != OE_OK || r != 42)
		return __LINE__;
	errno = 0;
	if (ocall_errno(&r, EPERM) != OE_OK || r != -1 || errno != EPERM)
		return __LINE__;
	if (ocall_allow() != OE_OK)
		return __LINE__;
	if (oe_syscall_write_ocall(&wr, 1, "xyz", 3) != OE_OK || wr != 3)
		return __LINE__;
	memset(&bl, 0, sizeof(bl));
	if (ocall_deep_out(&r, &bl) != OE_OK || r != 3 || bl.len != 4 || !bl.data ||
	    memcmp(bl.data, "host", 4) != 0)
		return __LINE__;
	free(bl.data);
	return 0;
}

/* ---- the enclave side of the loopback ---- */

oe_result_t oe_call_host_function(size_t function_id, const void *input_buffer,
                                  size_t input_buffer_size, void *output_buffer,
                                  size_t output_buffer_size, size_t *output_bytes_written)
{
	return loop_host_ocall(function_id, 0, input_buffer, input_buffer_size, output_buffer,
	                       output_buffer_size, output_bytes_written);
}

oe_result_t oe_switchless_call_host_function(size_t function_id, const void *input_buffer,
                                             size_t input_buffer_size, void *output_buffer,
                                             size_t output_buffer_size,
                                             size_t *output_bytes_written)
{
	return loop_host_ocall(function_id, 1, input_buffer, input_buffer_size, output_buffer,
	                       output_buffer_size, output_bytes_written);
}

static oe_ecall_func_t find_ecall(const char *name)
{
	for (size_t i = 0; i < oe_ecalls_table_size; i++)
		if (strcmp(oe_ecalls_table[i].name, name) == 0)
			return oe_ecalls_table[i].func;
	return NULL;
}

/* Like the TA runtime: the wrapper gets exactly insz bytes of its own and
 * outsz bytes of output holding stale data; only what it says it wrote
 * goes back. */
oe_result_t loop_ta_dispatch(const char *name, const uint8_t *in, size_t insz, uint8_t *out,
                             size_t outsz, size_t *written)
{
	oe_ecall_func_t fn = find_ecall(name);
	uint8_t *ic, *oc;

	if (!fn)
		return OE_NOT_FOUND;
	ic = malloc(insz ? insz : 1);
	oc = malloc(outsz ? outsz : 1);
	assert_non_null(ic);
	assert_non_null(oc);
	if (insz)
		memcpy(ic, in, insz);
	memset(oc, 0xcd, outsz ? outsz : 1);
	*written = 0;
	fn(ic, insz, oc, outsz, written);
	assert_true(*written <= outsz);
	if (*written)
		memcpy(out, oc, *written);
	free(ic);
	free(oc);
	return OE_OK;
}

/* ---- crafted inputs ---- */

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* Runs ECALL name on exactly insz bytes of in with outsz bytes of output;
 * returns the result the wrapper wrote, and checks the reply is just the
 * args struct (nothing else leaks on a refusal). */
static oe_result_t run_raw(const char *name, const void *in, size_t insz, size_t outsz,
                           size_t args_size)
{
	oe_ecall_func_t fn = find_ecall(name);
	uint8_t *ic = malloc(insz ? insz : 1), *oc = malloc(outsz ? outsz : 1);
	size_t written = 12345;
	oe_result_t r;

	assert_non_null(fn);
	assert_non_null(ic);
	assert_non_null(oc);
	memcpy(ic, in, insz);
	fn(ic, insz, oc, outsz, &written);
	if (written < sizeof(r)) {
		free(ic);
		free(oc);
		return (oe_result_t)~0u;
	}
	memcpy(&r, oc, sizeof(r));
	if (r != OE_OK) {
		assert_int_equal(written, args_size);
		for (size_t i = sizeof(r); i < args_size; i++)
			assert_int_equal(oc[i], 0);
	}
	free(ic);
	free(oc);
	return r;
}

/* Input for ecall_in: args then len bytes at the first aligned offset. */
struct in_msg {
	ecall_in_args_t a;
	uint8_t pad[ALIGN8(sizeof(ecall_in_args_t)) - sizeof(ecall_in_args_t) + 1];
	uint8_t data[64];
};

static size_t in_build(uint8_t *buf, size_t len)
{
	ecall_in_args_t a;
	size_t off = ALIGN8(sizeof(a));

	memset(&a, 0, sizeof(a));
	a.len = len;
	a.buf.offset = off;
	a.buf.size = len;
	memcpy(buf, &a, sizeof(a));
	for (size_t i = 0; i < len; i++)
		buf[off + i] = (uint8_t)(i + 1);
	return off + len;
}

void test_ta_valid_crafted(void **state)
{
	uint8_t buf[256];
	unsigned long before = g_calls;
	size_t n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = in_build(buf, 8);
	assert_int_equal(run_raw("ecall_in", buf, n, 256, sizeof(ecall_in_args_t)), OE_OK);
	assert_int_equal(g_calls, before + 1);
}

void test_ta_truncated_args(void **state)
{
	uint8_t buf[256];
	unsigned long before = g_calls;

	(void)state;
	memset(buf, 0, sizeof(buf));
	in_build(buf, 8);
	assert_int_equal(
	    run_raw("ecall_in", buf, sizeof(ecall_in_args_t) - 1, 256, sizeof(ecall_in_args_t)),
	    OE_BUFFER_TOO_SMALL);
	assert_int_equal(run_raw("ecall_noargs", buf, 0, 256, sizeof(ecall_noargs_args_t)),
	                 OE_BUFFER_TOO_SMALL);
	assert_int_equal(g_calls, before);
}

/* The size says 100 bytes, the message holds 16. */
void test_ta_size_past_end(void **state)
{
	uint8_t buf[256];
	ecall_in_args_t a;
	unsigned long before = g_calls;
	size_t n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = in_build(buf, 16);
	memcpy(&a, buf, sizeof(a));
	a.len = 100;
	a.buf.size = 100;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_in", buf, n, 256, sizeof(a)), OE_OUT_OF_BOUNDS);
	a.len = SIZE_MAX;
	a.buf.size = SIZE_MAX;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_in", buf, n, 256, sizeof(a)), OE_OUT_OF_BOUNDS);
	assert_int_equal(g_calls, before);
}

void test_ta_offset_past_end(void **state)
{
	uint8_t buf[256];
	ecall_in_args_t a;
	unsigned long before = g_calls;
	size_t n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = in_build(buf, 8);
	memcpy(&a, buf, sizeof(a));
	a.buf.offset = 4096;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_in", buf, n, 256, sizeof(a)), OE_OUT_OF_BOUNDS);
	a.buf.offset = UINT64_MAX - 3;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_in", buf, n, 256, sizeof(a)), OE_OUT_OF_BOUNDS);
	assert_int_equal(g_calls, before);
}

/* A buffer that lies over the args struct. */
void test_ta_overlap_args(void **state)
{
	uint8_t buf[256];
	ecall_in_args_t a;
	unsigned long before = g_calls;
	size_t n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = in_build(buf, 8);
	memcpy(&a, buf, sizeof(a));
	a.buf.offset = 8;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_in", buf, n, 256, sizeof(a)), OE_OVERLAPPED_COPY);
	assert_int_equal(g_calls, before);
}

/* Two strings at the same place. */
void test_ta_overlap_buffers(void **state)
{
	uint8_t buf[256];
	ecall_string_args_t a;
	size_t off = ALIGN8(sizeof(a));
	unsigned long before = g_calls;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&a, 0, sizeof(a));
	a.s.offset = off;
	a.s.size = 4;
	a.s2.offset = off;
	a.s2.size = 4;
	memcpy(buf, &a, sizeof(a));
	memcpy(buf + off, "abc", 4);
	assert_int_equal(run_raw("ecall_string", buf, off + 8, 256, sizeof(a)), OE_OVERLAPPED_COPY);
	/* Overlapping the tail of the first by a few bytes. */
	a.s2.offset = off + 3;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_string", buf, off + 16, 256, sizeof(a)),
	                 OE_OVERLAPPED_COPY);
	/* Where the layout says, the same bytes are accepted. */
	a.s2.offset = off + 8;
	memcpy(buf, &a, sizeof(a));
	memcpy(buf + off + 8, "xyz", 4);
	assert_int_equal(run_raw("ecall_string", buf, off + 12, 256, sizeof(a)), OE_OK);
	assert_int_equal(g_calls, before + 1);
}

/* A buffer that leaves a hole after the one before. */
void test_ta_gap(void **state)
{
	uint8_t buf[256];
	ecall_in_args_t a;
	unsigned long before = g_calls;
	size_t n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = in_build(buf, 8);
	memcpy(&a, buf, sizeof(a));
	a.buf.offset += 8;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_in", buf, n + 8, 256, sizeof(a)), OE_INVALID_PARAMETER);
	assert_int_equal(g_calls, before);
}

/* The buffer's size disagrees with size=len. */
void test_ta_size_mismatch(void **state)
{
	uint8_t buf[256];
	ecall_in_args_t a;
	unsigned long before = g_calls;
	size_t n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = in_build(buf, 8);
	memcpy(&a, buf, sizeof(a));
	a.buf.size = 4;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_in", buf, n, 256, sizeof(a)), OE_INVALID_PARAMETER);
	assert_int_equal(g_calls, before);
}

/* count * sizeof(int) and count * size that do not fit in size_t. */
void test_ta_count_overflow(void **state)
{
	uint8_t buf[256];
	ecall_out_args_t o;
	ecall_count_size_args_t cs;
	unsigned long before = g_calls;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&o, 0, sizeof(o));
	o.n = SIZE_MAX / 2 + 1;
	o.vals.offset = ALIGN8(sizeof(o));
	o.vals.size = 16;
	memcpy(buf, &o, sizeof(o));
	assert_int_equal(run_raw("ecall_out", buf, sizeof(o), 256, sizeof(o)), OE_INTEGER_OVERFLOW);
	memset(&cs, 0, sizeof(cs));
	cs.c = SIZE_MAX / 4;
	cs.sz = 8;
	cs.p.offset = ALIGN8(sizeof(cs));
	cs.p.size = 8;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &cs, sizeof(cs));
	assert_int_equal(run_raw("ecall_count_size", buf, ALIGN8(sizeof(cs)) + 8, 256, sizeof(cs)),
	                 OE_INTEGER_OVERFLOW);
	assert_int_equal(g_calls, before);
}

void test_ta_string_no_nul(void **state)
{
	uint8_t buf[256];
	ecall_string_args_t a;
	size_t off = ALIGN8(sizeof(a));
	unsigned long before = g_calls;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&a, 0, sizeof(a));
	a.s.offset = off;
	a.s.size = 4;
	memcpy(buf, &a, sizeof(a));
	memcpy(buf + off, "abcd", 4);
	assert_int_equal(run_raw("ecall_string", buf, off + 4, 256, sizeof(a)),
	                 OE_INVALID_PARAMETER);
	/* A NUL before the declared end is a different string. */
	memcpy(buf + off, "a\0c\0", 4);
	assert_int_equal(run_raw("ecall_string", buf, off + 4, 256, sizeof(a)),
	                 OE_INVALID_PARAMETER);
	a.s.size = 0;
	a.s.offset = off;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_string", buf, off + 4, 256, sizeof(a)),
	                 OE_INVALID_PARAMETER);
	assert_int_equal(g_calls, before);
}

void test_ta_negative_count(void **state)
{
	uint8_t buf[256];
	ecall_signed_count_args_t a;
	unsigned long before = g_calls;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&a, 0, sizeof(a));
	a.n = -1;
	a.p.offset = ALIGN8(sizeof(a));
	a.p.size = 4;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_signed_count", buf, ALIGN8(sizeof(a)) + 8, 256, sizeof(a)),
	                 OE_INVALID_PARAMETER);
	assert_int_equal(g_calls, before);
}

/* An [out] buffer larger than the output the caller made room for. */
void test_ta_output_too_small(void **state)
{
	uint8_t buf[256];
	ecall_out_args_t a;
	unsigned long before = g_calls;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&a, 0, sizeof(a));
	a.n = 1000;
	a.vals.offset = ALIGN8(sizeof(a));
	a.vals.size = 4000;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_out", buf, sizeof(a), sizeof(a) + 16, sizeof(a)),
	                 OE_BUFFER_TOO_SMALL);
	assert_int_equal(g_calls, before);
}

void test_ta_out_offset_wrong(void **state)
{
	uint8_t buf[256];
	ecall_out_args_t a;
	unsigned long before = g_calls;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&a, 0, sizeof(a));
	a.n = 2;
	a.vals.offset = ALIGN8(sizeof(a)) + 8;
	a.vals.size = 8;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_out", buf, sizeof(a), 256, sizeof(a)),
	                 OE_INVALID_PARAMETER);
	assert_int_equal(g_calls, before);
}

/* NULL (offset 0) that claims a size. */
void test_ta_null_with_size(void **state)
{
	uint8_t buf[256];
	ecall_in_args_t a;
	unsigned long before = g_calls;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&a, 0, sizeof(a));
	a.len = 8;
	a.buf.size = 8;
	memcpy(buf, &a, sizeof(a));
	assert_int_equal(run_raw("ecall_in", buf, sizeof(a) + 8, 256, sizeof(a)),
	                 OE_INVALID_PARAMETER);
	assert_int_equal(g_calls, before);
}

/* ecall_deep_in: args | struct blob | its data.  The blob's data member
 * carries the data's offset. */
static size_t deep_build(uint8_t *buf, size_t len, uint64_t data_off)
{
	ecall_deep_in_args_t a;
	struct blob b;
	size_t off = ALIGN8(sizeof(a));
	uintptr_t slot = (uintptr_t)data_off;

	memset(&a, 0, sizeof(a));
	a.b.offset = off;
	a.b.size = sizeof(b);
	memcpy(buf, &a, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.len = len;
	memcpy(buf + off, &b, sizeof(b));
	memcpy(buf + off + offsetof(struct blob, data), &slot, sizeof(slot));
	for (size_t i = 0; i < 4; i++)
		buf[off + ALIGN8(sizeof(b)) + i] = (uint8_t)(i + 1);
	return off + ALIGN8(sizeof(b)) + 4;
}

void test_ta_deep_child(void **state)
{
	uint8_t buf[256];
	size_t args = ALIGN8(sizeof(ecall_deep_in_args_t));
	size_t data = args + ALIGN8(sizeof(struct blob));
	unsigned long before = g_calls;
	size_t n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = deep_build(buf, 4, data);
	assert_int_equal(run_raw("ecall_deep_in", buf, n, 256, sizeof(ecall_deep_in_args_t)),
	                 OE_OK);
	assert_int_equal(g_calls, before + 1);
	/* past the end */
	n = deep_build(buf, 4, data + 4096);
	assert_int_equal(run_raw("ecall_deep_in", buf, n, 256, sizeof(ecall_deep_in_args_t)),
	                 OE_OUT_OF_BOUNDS);
	/* on top of the struct that points at it */
	n = deep_build(buf, 4, args);
	assert_int_equal(run_raw("ecall_deep_in", buf, n, 256, sizeof(ecall_deep_in_args_t)),
	                 OE_OVERLAPPED_COPY);
	/* a length the message does not hold */
	n = deep_build(buf, SIZE_MAX, data);
	assert_int_equal(run_raw("ecall_deep_in", buf, n, 256, sizeof(ecall_deep_in_args_t)),
	                 OE_OUT_OF_BOUNDS);
	n = deep_build(buf, 64, data);
	assert_int_equal(run_raw("ecall_deep_in", buf, n, 256, sizeof(ecall_deep_in_args_t)),
	                 OE_OUT_OF_BOUNDS);
	assert_int_equal(g_calls, before + 1);
}

/* Output too small for even the args struct: nothing is written. */
void test_ta_no_room_for_args(void **state)
{
	uint8_t buf[256];
	unsigned long before = g_calls;
	size_t n;

	(void)state;
	memset(buf, 0, sizeof(buf));
	n = in_build(buf, 8);
	assert_int_equal(run_raw("ecall_in", buf, n, 2, sizeof(ecall_in_args_t)), (oe_result_t)~0u);
	assert_int_equal(g_calls, before);
}

/* The host lies in an OCALL reply: the enclave's stub refuses it and
 * leaves the enclave's buffer alone. */
static void tamper_out_size(uint8_t *out, size_t outsz, size_t *written)
{
	ocall_out_args_t a;

	(void)outsz;
	memcpy(&a, out, sizeof(a));
	a.vals.size += 4;
	memcpy(out, &a, sizeof(a));
	(void)written;
}

void test_ta_ocall_reply_refused(void **state)
{
	int vals[4] = {-1, -1, -1, -1};

	(void)state;
	loop_set_ocall_tamper(tamper_out_size);
	assert_int_equal(ocall_out(vals, 3), OE_OUT_OF_BOUNDS);
	loop_set_ocall_tamper(NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(vals[i], -1);
	assert_int_equal(ocall_out(vals, 3), OE_OK);
	assert_int_equal(vals[0], 7);
	assert_int_equal(vals[3], -1);
}
