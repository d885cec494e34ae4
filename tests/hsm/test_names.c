/* test_names.c - key name rules and the spelling of types, algorithms and
 * usages, which the CLI, config files and every backend share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "trustedge/te_hsm.h"

static void name_rules(void **state)
{
	char long_name[TE_HSM_NAME_MAX + 2];
	const char *bad[] = {"", "../x", "a/b", ".hidden", "a b", "x\n", "k\xc3\xa9", "..", "."};

	(void)state;
	assert_int_equal(te_hsm_name_check("device-ca.key_1"), TE_OK);
	assert_int_equal(te_hsm_name_check("A"), TE_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(te_hsm_name_check(bad[i]), TE_ERR_BAD_NAME);
	assert_int_equal(te_hsm_name_check(NULL), TE_ERR_BAD_NAME);
	memset(long_name, 'k', sizeof(long_name));
	long_name[TE_HSM_NAME_MAX] = '\0';
	assert_int_equal(te_hsm_name_check(long_name), TE_OK);
	long_name[TE_HSM_NAME_MAX] = 'k';
	long_name[TE_HSM_NAME_MAX + 1] = '\0';
	assert_int_equal(te_hsm_name_check(long_name), TE_ERR_BAD_NAME);
	assert_non_null(strstr(te_err_detail(), "longer"));
}

static void type_names_round_trip(void **state)
{
	(void)state;
	for (int t = TE_HSM_KEY_NONE + 1; t < TE_HSM_KEY__COUNT; t++) {
		te_hsm_key_type back = TE_HSM_KEY_NONE;
		assert_int_equal(te_hsm_key_type_parse(te_hsm_key_type_name(t), &back), TE_OK);
		assert_int_equal(back, t);
	}
	te_hsm_key_type t = TE_HSM_KEY_NONE;
	assert_int_equal(te_hsm_key_type_parse("rsa-1024", &t), TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_key_type_parse("none", &t), TE_ERR_INVALID_ARG);
	assert_int_equal(t, TE_HSM_KEY_NONE);
	assert_string_equal(te_hsm_key_type_name(99), "unknown");
	assert_true(te_hsm_key_type_is_secret(TE_HSM_KEY_HMAC_SHA256));
	assert_true(te_hsm_key_type_is_secret(TE_HSM_KEY_AES_256_GCM));
	assert_false(te_hsm_key_type_is_secret(TE_HSM_KEY_EC_P256));
}

static void alg_names_round_trip(void **state)
{
	(void)state;
	for (int a = 0; a < TE_HSM_ALG__COUNT; a++) {
		te_hsm_alg back = TE_HSM_ALG__COUNT;
		assert_int_equal(te_hsm_alg_parse(te_hsm_alg_name(a), &back), TE_OK);
		assert_int_equal(back, a);
	}
	te_hsm_alg a;
	assert_int_equal(te_hsm_alg_parse("md5", &a), TE_ERR_INVALID_ARG);
}

static void usage_parse_and_format(void **state)
{
	uint32_t u = 0;
	char text[32];

	(void)state;
	assert_int_equal(te_hsm_usage_parse("sign", &u), TE_OK);
	assert_int_equal(u, TE_HSM_USAGE_SIGN);
	assert_int_equal(te_hsm_usage_parse("derive,sign,encrypt", &u), TE_OK);
	assert_int_equal(u, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT | TE_HSM_USAGE_DERIVE);
	assert_int_equal(te_hsm_usage_format(u, text, sizeof(text)), TE_OK);
	assert_string_equal(text, "sign,encrypt,derive");
	assert_int_equal(te_hsm_usage_format(u, text, 5), TE_ERR_BUFFER_TOO_SMALL);
	u = 77;
	assert_int_equal(te_hsm_usage_parse("sign,", &u), TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_usage_parse("", &u), TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_usage_parse("sign,fly", &u), TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_usage_parse("signx", &u), TE_ERR_INVALID_ARG);
	assert_int_equal(u, 77);
	assert_int_equal(te_hsm_key_type_default_usage(TE_HSM_KEY_AES_256_GCM),
			 TE_HSM_USAGE_ENCRYPT);
	assert_int_equal(te_hsm_key_type_default_usage(TE_HSM_KEY_HMAC_SHA256), TE_HSM_USAGE_SIGN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_rules),
		cmocka_unit_test(type_names_round_trip),
		cmocka_unit_test(alg_names_round_trip),
		cmocka_unit_test(usage_parse_and_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
