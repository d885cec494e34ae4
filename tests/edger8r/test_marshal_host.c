/*
 * test_marshal_host.c - the host half of edger8r.marshal and its main().
 *
 * Links the generated marshal_u.c (host side) and marshal_t.c (enclave
 * side) of marshal.edl into one process.  This file provides the host
 * runtime calls as an in-process loopback (oe_create_enclave,
 * oe_call_enclave_function, oe_switchless_call_enclave_function) and the
 * OCALL implementations, and checks that every attribute round-trips,
 * that the enclave never sees a host pointer it did not ask for, and that
 * a reply which does not match the request is refused without touching
 * the caller's buffers.  test_marshal_enclave.c adds the crafted-input
 * tests of the enclave-side wrappers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "marshal_test.h"
#include "marshal_u.h"

/* ---- the host side of the loopback ---- */

static const oe_ocall_func_t *g_ocalls;
static uint32_t g_nocalls;
static const oe_ecall_info_t *g_ecalls;
static uint32_t g_necalls;
static int g_enclave_token;
static unsigned g_regular_ecalls, g_switchless_ecalls;
static unsigned g_regular_ocalls, g_switchless_ocalls;
static void (*g_ecall_tamper)(uint8_t *out, size_t outsz, size_t *written);
static void (*g_ocall_tamper)(uint8_t *out, size_t outsz, size_t *written);

oe_result_t oe_create_enclave(const char *path, oe_enclave_type_t type, uint32_t flags,
                              const oe_enclave_setting_t *settings, uint32_t setting_count,
                              const oe_ocall_func_t *ocall_table, uint32_t ocall_count,
                              const oe_ecall_info_t *ecall_name_table, uint32_t ecall_count,
                              oe_enclave_t **enclave)
{
	(void)path;
	(void)type;
	(void)flags;
	(void)settings;
	(void)setting_count;
	g_ocalls = ocall_table;
	g_nocalls = ocall_count;
	g_ecalls = ecall_name_table;
	g_necalls = ecall_count;
	*enclave = (oe_enclave_t *)(void *)&g_enclave_token;
	return OE_OK;
}

static oe_result_t loop_ecall(oe_enclave_t *enclave, uint32_t id, const void *in, size_t insz,
                              void *out, size_t outsz, size_t *written)
{
	oe_result_t r;

	if (enclave != (oe_enclave_t *)(void *)&g_enclave_token || id >= g_necalls)
		return OE_INVALID_PARAMETER;
	r = loop_ta_dispatch(g_ecalls[id].name, in, insz, out, outsz, written);
	if (r == OE_OK && g_ecall_tamper)
		g_ecall_tamper(out, outsz, written);
	return r;
}

oe_result_t oe_call_enclave_function(oe_enclave_t *enclave, uint32_t function_id,
                                     const void *input_buffer, size_t input_buffer_size,
                                     void *output_buffer, size_t output_buffer_size,
                                     size_t *output_bytes_written)
{
	g_regular_ecalls++;
	return loop_ecall(enclave, function_id, input_buffer, input_buffer_size, output_buffer,
	                  output_buffer_size, output_bytes_written);
}

oe_result_t oe_switchless_call_enclave_function(oe_enclave_t *enclave, uint32_t function_id,
                                                const void *input_buffer, size_t input_buffer_size,
                                                void *output_buffer, size_t output_buffer_size,
                                                size_t *output_bytes_written)
{
	g_switchless_ecalls++;
	return loop_ecall(enclave, function_id, input_buffer, input_buffer_size, output_buffer,
	                  output_buffer_size, output_bytes_written);
}

void loop_set_ocall_tamper(void (*fn)(uint8_t *out, size_t outsz, size_t *written))
{
	g_ocall_tamper = fn;
}

oe_result_t loop_host_ocall(size_t id, int switchless, const uint8_t *in, size_t insz, uint8_t *out,
                            size_t outsz, size_t *written)
{
	uint8_t *ic, *oc;

	if (switchless)
		g_switchless_ocalls++;
	else
		g_regular_ocalls++;
	if (id >= g_nocalls)
		return OE_NOT_FOUND;
	ic = malloc(insz ? insz : 1);
	oc = malloc(outsz ? outsz : 1);
	assert_non_null(ic);
	assert_non_null(oc);
	if (insz)
		memcpy(ic, in, insz);
	memset(oc, 0xcd, outsz ? outsz : 1);
	*written = 0;
	g_ocalls[id](ic, insz, oc, outsz, written);
	assert_true(*written <= outsz);
	if (*written)
		memcpy(out, oc, *written);
	free(ic);
	free(oc);
	if (g_ocall_tamper)
		g_ocall_tamper(out, outsz, written);
	return OE_OK;
}

/* ---- OCALL implementations ---- */

static char g_written[64];
static size_t g_nwritten;
static unsigned g_allow_calls;

int ocall_scalars(int a, double b)
{
	return a * 2 + (int)(b * 10);
}

void ocall_in(const void *buf, size_t len)
{
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
}

void ocall_out(int *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(vals[i], 0);
		vals[i] = (int)(7 + i);
	}
}

void ocall_inout(char *s)
{
	char t;

	t = s[0];
	s[0] = s[3];
	s[3] = t;
	t = s[1];
	s[1] = s[2];
	s[2] = t;
}

size_t ocall_string(const char *s)
{
	return strlen(s);
}

int ocall_deep(struct node *nd)
{
	int id = nd->id;

	assert_null(nd->shallow);
	assert_int_equal(nd->nblobs, 1);
	assert_int_equal(nd->blobs[0].len, 2);
	nd->blobs[0].data[0] = 101;
	nd->id++;
	nd->shallow = (char *)nd;
	return id;
}

int ocall_switchless(int x)
{
	return x * 2;
}

int ocall_errno(int e)
{
	errno = e;
	return -1;
}

void ocall_allow(void)
{
	g_allow_calls++;
}

int ocall_deep_out(struct blob *b)
{
	assert_null(b->data);
	b->len = 4;
	b->data = malloc(4);
	assert_non_null(b->data);
	memcpy(b->data, "host", 4);
	return 3;
}

int64_t oe_syscall_write_ocall(int fd, const void *buf, size_t count)
{
	assert_int_equal(fd, 1);
	if (count > sizeof(g_written) - g_nwritten)
		return -1;
	memcpy(g_written + g_nwritten, buf, count);
	g_nwritten += count;
	return (int64_t)count;
}

/* ---- round trips ---- */

static oe_enclave_t *g_enclave;

static int setup(void **state)
{
	(void)state;
	return oe_create_marshal_enclave("marshal.signed", OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0,
	                                 &g_enclave) == OE_OK
	           ? 0
	           : -1;
}

static void test_create_tables(void **state)
{
	(void)state;
	assert_non_null(g_enclave);
	/* ECALL names in EDL order, OCALLs with the import first. */
	assert_int_equal(g_necalls, 20);
	assert_string_equal(g_ecalls[0].name, "ecall_scalars");
	assert_string_equal(g_ecalls[16].name, "ecall_noargs");
	assert_int_equal(g_nocalls, 11);
}

static void test_scalars(void **state)
{
	mt_pair_t pair = {3, 4};
	union num n;
	struct point pt = {7, 8};
	int r = 0;

	(void)state;
	n.d = 1.25;
	assert_int_equal(
	    ecall_scalars(g_enclave, &r, -5, 200, -(1LL << 40), 2.5, true, BLUE, pair, n, pt),
	    OE_OK);
	assert_int_equal(r, 195);
	/* _retval may be NULL */
	assert_int_equal(
	    ecall_scalars(g_enclave, NULL, -5, 200, -(1LL << 40), 2.5, true, BLUE, pair, n, pt),
	    OE_OK);
}

static void test_in(void **state)
{
	uint8_t buf[10];
	size_t r = 0;

	(void)state;
	for (int i = 0; i < 10; i++)
		buf[i] = (uint8_t)(i + 1);
	assert_int_equal(ecall_in(g_enclave, &r, buf, sizeof(buf)), OE_OK);
	assert_int_equal(r, 55);
	/* The enclave got a copy, never the host's pointer. */
	assert_ptr_not_equal(ta_last_ptr(), buf);
	assert_int_equal(ecall_in(g_enclave, &r, buf, 0), OE_OK);
	assert_int_equal(r, 0);
}

static void test_out(void **state)
{
	int vals[6];
	size_t n = 5;

	(void)state;
	memset(vals, 0x5a, sizeof(vals));
	assert_int_equal(ecall_out(g_enclave, vals, n), OE_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vals[i], (int)(i * i));
	/* beyond the count: untouched */
	assert_int_equal(vals[5], 0x5a5a5a5a);
	assert_ptr_not_equal(ta_last_ptr(), vals);
}

static void test_inout(void **state)
{
	uint32_t vals[3] = {1, 2, 3};

	(void)state;
	assert_int_equal(ecall_inout(g_enclave, vals, 3), OE_OK);
	assert_int_equal(vals[0], 101);
	assert_int_equal(vals[2], 103);
	/* a negative count is refused before anything is sent */
	unsigned before = g_regular_ecalls;
	assert_int_equal(ecall_inout(g_enclave, vals, -1), OE_INVALID_PARAMETER);
	assert_int_equal(g_regular_ecalls, before);
}

static void test_string(void **state)
{
	char s2[] = "four";
	size_t r = 0;

	(void)state;
	assert_int_equal(ecall_string(g_enclave, &r, "hello", s2), OE_OK);
	assert_int_equal(r, 5004);
	/* [in] only: the enclave's change stays there */
	assert_string_equal(s2, "four");
	assert_int_equal(ecall_string(g_enclave, &r, "", NULL), OE_OK);
	assert_int_equal(r, 0);
}

static void test_count_size(void **state)
{
	uint8_t b[12];
	size_t r = 0;

	(void)state;
	for (int i = 0; i < 12; i++)
		b[i] = 1;
	assert_int_equal(ecall_count_size(g_enclave, &r, b, 3, 4), OE_OK);
	assert_int_equal(r, 12);
	/* count * size overflows on the sending side already */
	assert_int_equal(ecall_count_size(g_enclave, &r, b, SIZE_MAX, 2), OE_INTEGER_OVERFLOW);
}

static void test_arrays(void **state)
{
	int a[4] = {1, 2, 3, 4};
	int b[2][3];
	char c[8] = "abcdefg";
	int d[2] = {5, 6};
	int r = 0;

	(void)state;
	memset(b, 0x11, sizeof(b));
	assert_int_equal(ecall_arrays(g_enclave, &r, a, b, c, d), OE_OK);
	assert_int_equal(r, 10 + 500 + 6000);
	assert_int_equal(b[0][0], 0);
	assert_int_equal(b[1][2], 12);
	assert_string_equal(c, "ABCDEFG");
	/* default direction of an array is [in]: d is not written back */
	assert_int_equal(d[0], 5);
}

static void test_user_check(void **state)
{
	int q = 0;

	(void)state;
	assert_int_equal(ecall_user_check(g_enclave, (void *)(uintptr_t)0xdead0000, &q), OE_OK);
	assert_ptr_equal(ta_user_check_p(), (void *)(uintptr_t)0xdead0000);
	assert_ptr_equal(ta_user_check_q(), &q);
}

/* Two nodes, each with blobs, an inline blob and a count*size pair. */
struct deep_fixture {
	struct node nodes[2];
	struct blob blobs[2][2];
	uint8_t data[2][2][4];
	uint8_t inl[2][3];
	char pair[2][6];
	char shallow[4];
	uint8_t twins[2][2][2];
};

static void deep_fill(struct deep_fixture *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < 2; i++) {
		struct node *nd = &f->nodes[i];
		nd->id = (int)(i + 1);
		nd->nblobs = 2;
		nd->blobs = f->blobs[i];
		nd->shallow = f->shallow;
		nd->raw = (void *)(uintptr_t)0x1234;
		for (size_t j = 0; j < 2; j++) {
			f->blobs[i][j].len = 4;
			f->blobs[i][j].data = f->data[i][j];
			for (size_t k = 0; k < 4; k++)
				f->data[i][j][k] = (uint8_t)(i * 16 + j * 4 + k);
		}
		memcpy(f->inl[i], "xyz", 3);
		nd->inline_blob.len = 3;
		nd->inline_blob.data = f->inl[i];
		memcpy(f->pair[i], "abcdef", 6);
		nd->pair = f->pair[i];
		nd->unit = 3;
		for (size_t j = 0; j < 2; j++) {
			f->twins[i][j][0] = (uint8_t)(i * 2 + j);
			f->twins[i][j][1] = 0x55;
			nd->twins[j].len = 2;
			nd->twins[j].data = f->twins[i][j];
		}
	}
}

static void test_deep(void **state)
{
	static struct deep_fixture f;
	int r = 0;

	(void)state;
	deep_fill(&f);
	assert_int_equal(ecall_deep(g_enclave, &r, f.nodes, 2), OE_OK);
	assert_int_equal(r, 3);
	assert_ptr_not_equal(ta_last_ptr(), f.nodes);
	for (size_t i = 0; i < 2; i++) {
		struct node *nd = &f.nodes[i];
		assert_int_equal(nd->id, (int)(i + 1 + 1000));
		/* the host keeps its own pointers, whatever the enclave did */
		assert_ptr_equal(nd->blobs, f.blobs[i]);
		assert_ptr_equal(nd->shallow, f.shallow);
		assert_ptr_equal(nd->inline_blob.data, f.inl[i]);
		assert_ptr_equal(nd->raw, (void *)(uintptr_t)0x1234);
		for (size_t j = 0; j < 2; j++) {
			assert_ptr_equal(f.blobs[i][j].data, f.data[i][j]);
			assert_int_equal(f.data[i][j][0], (uint8_t)((i * 16 + j * 4) ^ 0xff));
			assert_int_equal(f.data[i][j][1], (uint8_t)(i * 16 + j * 4 + 1));
		}
		assert_memory_equal(f.inl[i], "Xyz", 3);
		assert_memory_equal(f.pair[i], "abcdeF", 6);
		for (size_t j = 0; j < 2; j++) {
			assert_ptr_equal(nd->twins[j].data, f.twins[i][j]);
			assert_int_equal(f.twins[i][j][0], (uint8_t)(i * 2 + j));
			assert_int_equal(f.twins[i][j][1], 0xaa);
		}
	}
}

static void test_deep_in(void **state)
{
	uint8_t data[3] = {1, 2, 3};
	struct blob b = {3, data};
	int r = 0;

	(void)state;
	assert_int_equal(ecall_deep_in(g_enclave, &r, &b), OE_OK);
	assert_int_equal(r, 303);
	assert_ptr_not_equal(ta_last_ptr(), &b);
	/* NULL deep member */
	b.data = NULL;
	assert_int_equal(ecall_deep_in(g_enclave, &r, &b), OE_OK);
	assert_int_equal(r, -1);
}

static void test_switchless(void **state)
{
	unsigned sw = g_switchless_ecalls, reg = g_regular_ecalls;
	int r = 0;

	(void)state;
	assert_int_equal(ecall_switchless(g_enclave, &r, 21), OE_OK);
	assert_int_equal(r, 42);
	assert_int_equal(g_switchless_ecalls, sw + 1);
	assert_int_equal(g_regular_ecalls, reg);
}

static void test_isptr_isary(void **state)
{
	uint8_t bytes[3] = {10, 20, 30};
	mt_arr_t a = {1, 2, 3, 4};
	int r = 0;

	(void)state;
	assert_int_equal(ecall_isptr_isary(g_enclave, &r, bytes, a), OE_OK);
	assert_int_equal(r, 60);
	assert_int_equal(a[0], 2);
	assert_int_equal(a[3], 8);
}

static void test_ocalls(void **state)
{
	unsigned sw = g_switchless_ocalls;
	int r = -1;

	(void)state;
	g_nwritten = 0;
	assert_int_equal(ecall_call_ocalls(g_enclave, &r), OE_OK);
	assert_int_equal(r, 0);
	assert_int_equal(g_switchless_ocalls, sw + 1);
	assert_int_equal(g_allow_calls, 1);
	assert_int_equal(g_nwritten, 3);
	assert_memory_equal(g_written, "xyz", 3);
}

static void test_ret_struct(void **state)
{
	struct point pt = {0, 0};

	(void)state;
	assert_int_equal(ecall_ret_struct(g_enclave, &pt, 9), OE_OK);
	assert_int_equal(pt.x, 9);
	assert_int_equal(pt.y, -9);
}

static void test_null(void **state)
{
	int v[2] = {1, 2};
	char o[4];
	int r = 0;

	(void)state;
	assert_int_equal(ecall_null(g_enclave, &r, NULL, 99, NULL), OE_OK);
	assert_int_equal(r, 3);
	assert_int_equal(ecall_null(g_enclave, &r, v, 2, o), OE_OK);
	assert_int_equal(r, 0);
	assert_int_equal(ecall_noargs(g_enclave), OE_OK);
}

/* Pointers in an [out] struct never come from the other side, even when
 * its reply carries some. */
static void tamper_holder_ptr(uint8_t *out, size_t outsz, size_t *written)
{
	ecall_out_ptrs_args_t a;
	uintptr_t bogus = 0x5151;

	(void)outsz;
	(void)written;
	memcpy(&a, out, sizeof(a));
	memcpy(out + a.h.offset + offsetof(struct holder, p), &bogus, sizeof(bogus));
}

static void test_out_struct_ptrs(void **state)
{
	struct holder h[2];
	char c = 0;

	(void)state;
	h[0].v = h[1].v = 9;
	h[0].p = h[1].p = &c;
	assert_int_equal(ecall_out_ptrs(g_enclave, h), OE_OK);
	assert_int_equal(h[0].v, 1);
	assert_int_equal(h[1].v, 2);
	assert_null(h[0].p);
	assert_null(h[1].p);
	h[0].p = &c;
	g_ecall_tamper = tamper_holder_ptr;
	assert_int_equal(ecall_out_ptrs(g_enclave, h), OE_OK);
	g_ecall_tamper = NULL;
	assert_null(h[0].p);
}

static void free_node(struct node *nd)
{
	for (size_t j = 0; j < nd->nblobs; j++)
		free(nd->blobs[j].data);
	free(nd->blobs);
	free(nd->inline_blob.data);
	free(nd->pair);
	free(nd->twins[0].data);
	free(nd->twins[1].data);
}

/* [out] structs whose deep-copied members the enclave allocates: the host
 * gets allocations of its own (freed here; ASan reports a leak or a double
 * free). */
static void test_deep_out(void **state)
{
	struct blob b;
	struct node nodes[2];
	int r = 0;

	(void)state;
	memset(&b, 0x3c, sizeof(b));
	memset(nodes, 0x3c, sizeof(nodes));
	assert_int_equal(ecall_deep_out(g_enclave, &r, &b, nodes), OE_OK);
	assert_int_equal(r, 7);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "hello", 5);
	free(b.data);
	for (int i = 0; i < 2; i++) {
		struct node *nd = &nodes[i];
		assert_int_equal(nd->id, 40 + i);
		assert_int_equal(nd->nblobs, (size_t)i + 1);
		assert_memory_equal(nd->blobs[0].data, "abc", 3);
		if (i)
			assert_memory_equal(nd->blobs[1].data, "def", 3);
		assert_null(nd->shallow);
		assert_ptr_equal(nd->raw, (void *)(uintptr_t)0x77);
		assert_memory_equal(nd->inline_blob.data, "in", 2);
		assert_memory_equal(nd->pair, "pq", 2);
		assert_non_null(nd->twins[0].data);
		assert_null(nd->twins[1].data);
		free_node(nd);
	}
}

static void test_ptr_out(void **state)
{
	uint8_t *p = NULL;
	char *names[2] = {(char *)(uintptr_t)0x2000, NULL};
	int r = 0;

	(void)state;
	assert_int_equal(ecall_ptr_out(g_enclave, &r, &p, names), OE_OK);
	assert_ptr_equal(p, (uint8_t *)(uintptr_t)0x1000);
	assert_ptr_equal(names[1], (char *)(uintptr_t)0x3000);
}

/* ---- replies that do not match the request ---- */

/* ecall_out with n = 4 into the middle of a guarded buffer. */
struct guarded {
	int before[4];
	int vals[4];
	int after[4];
};

static void guarded_init(struct guarded *g)
{
	memset(g, 0x77, sizeof(*g));
}

static void guarded_untouched(const struct guarded *g)
{
	const uint8_t *p = (const uint8_t *)g;

	for (size_t i = 0; i < sizeof(*g); i++)
		assert_int_equal(p[i], 0x77);
}

static void tamper_size_bigger(uint8_t *out, size_t outsz, size_t *written)
{
	ecall_out_args_t a;

	memcpy(&a, out, sizeof(a));
	a.vals.size = 32;
	memcpy(out, &a, sizeof(a));
	/* and make the reply as long as the lie needs, up to what fits */
	*written = outsz;
}

static void tamper_written_longer(uint8_t *out, size_t outsz, size_t *written)
{
	(void)out;
	*written = outsz + 64;
}

static void tamper_written_shorter(uint8_t *out, size_t outsz, size_t *written)
{
	(void)out;
	(void)outsz;
	*written -= 4;
}

static void tamper_truncated(uint8_t *out, size_t outsz, size_t *written)
{
	(void)out;
	(void)outsz;
	*written = 2;
}

static void tamper_offset(uint8_t *out, size_t outsz, size_t *written)
{
	ecall_out_args_t a;

	(void)outsz;
	(void)written;
	memcpy(&a, out, sizeof(a));
	a.vals.offset -= 8;
	memcpy(out, &a, sizeof(a));
}

static void tamper_failure(uint8_t *out, size_t outsz, size_t *written)
{
	oe_result_t r = OE_FAILURE;

	(void)outsz;
	(void)written;
	memcpy(out, &r, sizeof(r));
}

static void check_refused(void (*tamper)(uint8_t *, size_t, size_t *), oe_result_t want)
{
	struct guarded g;

	guarded_init(&g);
	g_ecall_tamper = tamper;
	assert_int_equal(ecall_out(g_enclave, g.vals, 4), want);
	g_ecall_tamper = NULL;
	guarded_untouched(&g);
}

static void test_reply_refused(void **state)
{
	(void)state;
	check_refused(tamper_size_bigger, OE_OUT_OF_BOUNDS);
	check_refused(tamper_written_longer, OE_OUT_OF_BOUNDS);
	check_refused(tamper_written_shorter, OE_OUT_OF_BOUNDS);
	check_refused(tamper_truncated, OE_UNEXPECTED);
	check_refused(tamper_offset, OE_OUT_OF_BOUNDS);
	check_refused(tamper_failure, OE_FAILURE);
}

/* A deep-copied member's offset in the reply moved: refused, and the
 * caller's structs and buffers stay as they were. */
static void tamper_child_offset(uint8_t *out, size_t outsz, size_t *written)
{
	ecall_deep_args_t a;
	uintptr_t slot;
	size_t at;

	(void)outsz;
	(void)written;
	memcpy(&a, out, sizeof(a));
	at = (size_t)a.nodes.offset + offsetof(struct node, blobs);
	memcpy(&slot, out + at, sizeof(slot));
	slot += 8;
	memcpy(out + at, &slot, sizeof(slot));
}

static void test_reply_deep_refused(void **state)
{
	static struct deep_fixture f, copy;
	int r = 0;

	(void)state;
	deep_fill(&f);
	memcpy(&copy, &f, sizeof(f));
	g_ecall_tamper = tamper_child_offset;
	assert_int_equal(ecall_deep(g_enclave, &r, f.nodes, 2), OE_OUT_OF_BOUNDS);
	g_ecall_tamper = NULL;
	assert_memory_equal(&f, &copy, sizeof(f));
	assert_int_equal(r, 0);
}

/* Lying nested [out] buffers: an offset past the reply, a length the reply
 * does not hold, bytes nobody accounts for.  Refused, the caller's structs
 * untouched, nothing leaked (ASan). */
static int g_tail_lie;

static void tamper_tail(uint8_t *out, size_t outsz, size_t *written)
{
	ecall_deep_out_args_t a;
	uintptr_t slot;
	size_t len;

	(void)outsz;
	memcpy(&a, out, sizeof(a));
	switch (g_tail_lie) {
	case 0: /* b.data's offset moved past the end */
		slot = *written + 64;
		memcpy(out + a.b.offset + offsetof(struct blob, data), &slot, sizeof(slot));
		break;
	case 1: /* b.len larger than what follows */
		len = 1u << 16;
		memcpy(out + a.b.offset + offsetof(struct blob, len), &len, sizeof(len));
		break;
	case 2: /* trailing bytes */
		*written += 8;
		break;
	default: /* b.data overlapping the fixed output */
		slot = (uintptr_t)a.b.offset;
		memcpy(out + a.b.offset + offsetof(struct blob, data), &slot, sizeof(slot));
		break;
	}
}

static void test_reply_deep_out_refused(void **state)
{
	static const oe_result_t want[] = {OE_OUT_OF_BOUNDS, OE_OUT_OF_BOUNDS, OE_OUT_OF_BOUNDS,
	                                   OE_OVERLAPPED_COPY};
	struct blob b, b0;
	struct node nodes[2], nodes0[2];
	int r = 0;

	(void)state;
	for (g_tail_lie = 0; g_tail_lie < 4; g_tail_lie++) {
		memset(&b, 0x3c, sizeof(b));
		memset(nodes, 0x3c, sizeof(nodes));
		memcpy(&b0, &b, sizeof(b));
		memcpy(nodes0, nodes, sizeof(nodes));
		g_ecall_tamper = tamper_tail;
		assert_int_equal(ecall_deep_out(g_enclave, &r, &b, nodes), want[g_tail_lie]);
		g_ecall_tamper = NULL;
		assert_memory_equal(&b, &b0, sizeof(b));
		assert_memory_equal(nodes, nodes0, sizeof(nodes));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_tables),
	    cmocka_unit_test(test_scalars),
	    cmocka_unit_test(test_in),
	    cmocka_unit_test(test_out),
	    cmocka_unit_test(test_inout),
	    cmocka_unit_test(test_string),
	    cmocka_unit_test(test_count_size),
	    cmocka_unit_test(test_arrays),
	    cmocka_unit_test(test_user_check),
	    cmocka_unit_test(test_deep),
	    cmocka_unit_test(test_deep_in),
	    cmocka_unit_test(test_switchless),
	    cmocka_unit_test(test_isptr_isary),
	    cmocka_unit_test(test_ocalls),
	    cmocka_unit_test(test_ret_struct),
	    cmocka_unit_test(test_null),
	    cmocka_unit_test(test_out_struct_ptrs),
	    cmocka_unit_test(test_deep_out),
	    cmocka_unit_test(test_ptr_out),
	    cmocka_unit_test(test_reply_deep_out_refused),
	    cmocka_unit_test(test_reply_refused),
	    cmocka_unit_test(test_reply_deep_refused),
	    cmocka_unit_test(test_ta_valid_crafted),
	    cmocka_unit_test(test_ta_truncated_args),
	    cmocka_unit_test(test_ta_size_past_end),
	    cmocka_unit_test(test_ta_offset_past_end),
	    cmocka_unit_test(test_ta_overlap_args),
	    cmocka_unit_test(test_ta_overlap_buffers),
	    cmocka_unit_test(test_ta_gap),
	    cmocka_unit_test(test_ta_size_mismatch),
	    cmocka_unit_test(test_ta_count_overflow),
	    cmocka_unit_test(test_ta_string_no_nul),
	    cmocka_unit_test(test_ta_negative_count),
	    cmocka_unit_test(test_ta_output_too_small),
	    cmocka_unit_test(test_ta_out_offset_wrong),
	    cmocka_unit_test(test_ta_null_with_size),
	    cmocka_unit_test(test_ta_deep_child),
	    cmocka_unit_test(test_ta_no_room_for_args),
	    cmocka_unit_test(test_ta_ocall_reply_refused),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
