/* test_cursor.c - the bounded read cursor: values, short reads, poisoning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/te_cursor.h"

static const uint8_t sample[] = {
	0xab,                                           /* u8 */
	0x12, 0x34,                                     /* u16 */
	0xde, 0xad, 0xbe, 0xef,                         /* u32 */
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* u64 */
	'h',  'e',  'l',  'l',  'o',                    /* bytes */
	0xff, 0xfe,                                     /* trailing */
};

static void test_reads_in_order(void **state)
{
	te_cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	char word[5];
	const uint8_t *view;

	(void)state;
	te_cursor_init(&c, sample, sizeof(sample));
	assert_int_equal(te_cursor_remaining(&c), sizeof(sample));
	assert_int_equal(te_cursor_u8(&c, &u8), TE_OK);
	assert_int_equal(u8, 0xab);
	assert_int_equal(te_cursor_u16be(&c, &u16), TE_OK);
	assert_int_equal(u16, 0x1234);
	assert_int_equal(te_cursor_u32be(&c, &u32), TE_OK);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(te_cursor_offset(&c), 7);
	assert_int_equal(te_cursor_u64be(&c, &u64), TE_OK);
	assert_true(u64 == UINT64_C(0x0123456789abcdef));
	assert_int_equal(te_cursor_copy(&c, word, 5), TE_OK);
	assert_memory_equal(word, "hello", 5);
	assert_int_equal(te_cursor_offset(&c), 20);
	assert_int_equal(te_cursor_remaining(&c), 2);
	assert_int_equal(te_cursor_view(&c, 1, &view), TE_OK);
	assert_ptr_equal(view, sample + 20);
	assert_int_equal(te_cursor_skip(&c, 1), TE_OK);
	assert_int_equal(te_cursor_remaining(&c), 0);
	assert_int_equal(te_cursor_expect_end(&c), TE_OK);
}

static void test_zero_length_operations(void **state)
{
	te_cursor c;
	const uint8_t *view = NULL;

	(void)state;
	te_cursor_init(&c, sample, 2);
	assert_int_equal(te_cursor_copy(&c, NULL, 0), TE_OK);
	assert_int_equal(te_cursor_skip(&c, 0), TE_OK);
	assert_int_equal(te_cursor_view(&c, 0, &view), TE_OK);
	assert_ptr_equal(view, sample);
	assert_int_equal(te_cursor_offset(&c), 0);

	te_cursor_init(&c, NULL, 0);
	assert_int_equal(te_cursor_remaining(&c), 0);
	assert_int_equal(te_cursor_expect_end(&c), TE_OK);
}

static void test_short_read_poisons(void **state)
{
	te_cursor c;
	uint32_t u32 = 0x11111111;
	uint8_t u8 = 0x22;
	uint16_t u16 = 0x3333;

	(void)state;
	te_cursor_init(&c, sample, 3);
	assert_int_equal(te_cursor_u32be(&c, &u32), TE_ERR_TRUNCATED);
	/* Nothing consumed, output untouched. */
	assert_int_equal(u32, 0x11111111);
	assert_int_equal(te_cursor_offset(&c), 0);
	assert_int_equal(te_cursor_remaining(&c), 3);
	assert_non_null(strstr(te_err_detail(), "offset 0"));
	/* Bytes remain, but after a failure every getter fails. */
	assert_int_equal(te_cursor_u8(&c, &u8), TE_ERR_TRUNCATED);
	assert_int_equal(te_cursor_u16be(&c, &u16), TE_ERR_TRUNCATED);
	assert_int_equal(te_cursor_skip(&c, 0), TE_ERR_TRUNCATED);
	assert_int_equal(u8, 0x22);
	assert_int_equal(u16, 0x3333);
	assert_int_equal(te_cursor_offset(&c), 0);
	/* A parser checking only at the end still sees the truncation. */
	assert_int_equal(te_cursor_expect_end(&c), TE_ERR_TRUNCATED);
}

static void test_each_getter_fails_one_short(void **state)
{
	te_cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	uint8_t buf[8];
	const uint8_t *view = NULL;

	(void)state;
	te_cursor_init(&c, sample, 0);
	assert_int_equal(te_cursor_u8(&c, &u8), TE_ERR_TRUNCATED);
	te_cursor_init(&c, sample, 1);
	assert_int_equal(te_cursor_u16be(&c, &u16), TE_ERR_TRUNCATED);
	te_cursor_init(&c, sample, 3);
	assert_int_equal(te_cursor_u32be(&c, &u32), TE_ERR_TRUNCATED);
	te_cursor_init(&c, sample, 7);
	assert_int_equal(te_cursor_u64be(&c, &u64), TE_ERR_TRUNCATED);
	te_cursor_init(&c, sample, 7);
	assert_int_equal(te_cursor_copy(&c, buf, 8), TE_ERR_TRUNCATED);
	te_cursor_init(&c, sample, 7);
	assert_int_equal(te_cursor_view(&c, 8, &view), TE_ERR_TRUNCATED);
	assert_null(view);
	te_cursor_init(&c, sample, 7);
	assert_int_equal(te_cursor_skip(&c, 8), TE_ERR_TRUNCATED);
}

static void test_huge_lengths_do_not_wrap(void **state)
{
	te_cursor c;
	const uint8_t *view = NULL;

	(void)state;
	te_cursor_init(&c, sample, sizeof(sample));
	assert_int_equal(te_cursor_skip(&c, 4), TE_OK);
	assert_int_equal(te_cursor_skip(&c, SIZE_MAX), TE_ERR_TRUNCATED);
	te_cursor_init(&c, sample, sizeof(sample));
	assert_int_equal(te_cursor_skip(&c, 1), TE_OK);
	assert_int_equal(te_cursor_view(&c, SIZE_MAX - 0, &view), TE_ERR_TRUNCATED);
	assert_int_equal(te_cursor_offset(&c), 1);
	assert_null(view);
}

static void test_expect_end_reports_trailing(void **state)
{
	te_cursor c;
	uint8_t b[3];

	(void)state;
	te_cursor_init(&c, sample, 5);
	assert_int_equal(te_cursor_copy(&c, b, 3), TE_OK);
	assert_int_equal(te_cursor_expect_end(&c), TE_ERR_MALFORMED);
	assert_string_equal(te_err_detail(), "2 trailing bytes at offset 3");
	/* expect_end does not consume or poison. */
	assert_int_equal(te_cursor_skip(&c, 2), TE_OK);
	assert_int_equal(te_cursor_expect_end(&c), TE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_in_order),
		cmocka_unit_test(test_zero_length_operations),
		cmocka_unit_test(test_short_read_poisons),
		cmocka_unit_test(test_each_getter_fails_one_short),
		cmocka_unit_test(test_huge_lengths_do_not_wrap),
		cmocka_unit_test(test_expect_end_reports_trailing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
