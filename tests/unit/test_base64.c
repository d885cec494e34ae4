/* test_base64.c - RFC 4648 vectors, strict decoding, large round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/te_base64.h"

static const struct {
	const char *plain;
	const char *b64;
} rfc4648[] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

static void test_rfc4648_encode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		te_buf out;
		size_t n = strlen(rfc4648[i].plain);

		te_buf_init(&out, 0);
		assert_int_equal(te_base64_encode(rfc4648[i].plain, n, &out), TE_OK);
		assert_int_equal(out.len, strlen(rfc4648[i].b64));
		assert_int_equal(te_base64_encoded_len(n), out.len);
		assert_non_null(out.data);
		/* NUL-terminated, NUL not counted. */
		assert_string_equal((const char *)out.data, rfc4648[i].b64);
		te_buf_free(&out);
	}
}

static void test_rfc4648_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		te_buf out;
		size_t n = strlen(rfc4648[i].plain);

		te_buf_init(&out, i % 2);
		assert_int_equal(te_base64_decode(rfc4648[i].b64, strlen(rfc4648[i].b64), &out),
				 TE_OK);
		assert_int_equal(out.len, n);
		if (n > 0)
			assert_memory_equal(out.data, rfc4648[i].plain, n);
		te_buf_free(&out);
	}
}

static void test_full_alphabet(void **state)
{
	uint8_t bytes[48];
	te_buf out, back;
	const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	(void)state;
	/* 0x00 0x10 0x83 ... packs the values 0..63 in order. */
	for (unsigned i = 0; i < 16; i++) {
		unsigned v = 4 * i;
		bytes[3 * i] = (uint8_t)(v << 2 | (v + 1) >> 4);
		bytes[3 * i + 1] = (uint8_t)(((v + 1) & 0xf) << 4 | (v + 2) >> 2);
		bytes[3 * i + 2] = (uint8_t)(((v + 2) & 0x3) << 6 | (v + 3));
	}
	te_buf_init(&out, 0);
	te_buf_init(&back, 0);
	assert_int_equal(te_base64_encode(bytes, sizeof(bytes), &out), TE_OK);
	assert_string_equal((const char *)out.data, alphabet);
	assert_int_equal(te_base64_decode(alphabet, 64, &back), TE_OK);
	assert_int_equal(back.len, sizeof(bytes));
	assert_memory_equal(back.data, bytes, sizeof(bytes));
	te_buf_free(&out);
	te_buf_free(&back);
}

static void test_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"Zg",        /* length not a multiple of 4 */
		"Zg=",       /* ditto */
		"Zm9vY",     /* ditto */
		"Zh==",      /* non-zero trailing bits (1 byte) */
		"Zm9=",      /* non-zero trailing bits (2 bytes) */
		"Z===",      /* too much padding */
		"====",      /* only padding */
		"=Zg=",      /* padding first */
		"Zg=a",      /* padding then data */
		"Zg==Zg==",  /* padding in the middle */
		"Zm9v\n",    /* whitespace */
		" Zm9",      /* leading space */
		"Zm 9v",     /* inner space */
		"Zm9v\r\nZg==",
		"Zm9-",      /* URL-safe alphabet */
		"Zm9_",
		"Zm9!",
		"Zm\x80v",   /* non-ASCII */
		"Zm9vYmFy====",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		te_buf out;

		te_buf_init(&out, 0);
		assert_int_equal(te_buf_append(&out, "keep", 4), TE_OK);
		if (te_base64_decode(bad[i], strlen(bad[i]), &out) != TE_ERR_MALFORMED)
			fail_msg("accepted malformed base64 #%zu '%s'", i, bad[i]);
		/* Nothing is appended on failure. */
		assert_int_equal(out.len, 4);
		assert_memory_equal(out.data, "keep", 4);
		te_buf_free(&out);
	}
}

static void test_rejects_embedded_nul(void **state)
{
	te_buf out;
	const char text[] = {'Z', 'm', '9', '\0'};

	(void)state;
	te_buf_init(&out, 0);
	assert_int_equal(te_base64_decode(text, sizeof(text), &out), TE_ERR_MALFORMED);
	assert_int_equal(out.len, 0);
	te_buf_free(&out);
}

static void test_appends_to_existing_content(void **state)
{
	te_buf b;

	(void)state;
	te_buf_init(&b, 0);
	assert_int_equal(te_buf_append(&b, "x:", 2), TE_OK);
	assert_int_equal(te_base64_encode("foo", 3, &b), TE_OK);
	assert_string_equal((const char *)b.data, "x:Zm9v");
	assert_int_equal(te_base64_decode("Zm9v", 4, &b), TE_OK);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "x:Zm9vfoo", 9);
	te_buf_free(&b);
}

static void test_encoded_len(void **state)
{
	(void)state;
	assert_int_equal(te_base64_encoded_len(0), 0);
	assert_int_equal(te_base64_encoded_len(1), 4);
	assert_int_equal(te_base64_encoded_len(3), 4);
	assert_int_equal(te_base64_encoded_len(4), 8);
	assert_int_equal(te_base64_encoded_len(32), 44);
	/* Too large to encode: saturates rather than wrapping. */
	assert_true(te_base64_encoded_len(SIZE_MAX) == SIZE_MAX);
	assert_true(te_base64_encoded_len(SIZE_MAX / 4 * 3) >= SIZE_MAX / 4 * 3);
}

static void test_large_round_trip(void **state)
{
	const size_t n = 3 * 1024 * 1024 + 2;
	uint8_t *data = malloc(n);
	te_buf enc, dec;
	uint32_t x = 12345;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 16);
	}
	te_buf_init(&enc, 0);
	te_buf_init(&dec, 1);
	assert_int_equal(te_base64_encode(data, n, &enc), TE_OK);
	assert_int_equal(enc.len, te_base64_encoded_len(n));
	assert_int_equal(strlen((const char *)enc.data), enc.len);
	assert_int_equal(te_base64_decode((const char *)enc.data, enc.len, &dec), TE_OK);
	assert_int_equal(dec.len, n);
	assert_memory_equal(dec.data, data, n);
	te_buf_free(&enc);
	te_buf_free(&dec);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_encode),
		cmocka_unit_test(test_rfc4648_decode),
		cmocka_unit_test(test_full_alphabet),
		cmocka_unit_test(test_rejects_malformed),
		cmocka_unit_test(test_rejects_embedded_nul),
		cmocka_unit_test(test_appends_to_existing_content),
		cmocka_unit_test(test_encoded_len),
		cmocka_unit_test(test_large_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
