/*
 * test_result.c - oe_result_t (openenclave/bits/result.h, tee/result.c):
 * the codes carry the Open Enclave SDK's numbers, every code from OE_OK to
 * the last has its own name as its string, and anything else is "UNKNOWN".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "openenclave/bits/result.h"

#define LAST_CODE 58u

/* The reference's numbering, written out as numbers so a reordered or
 * inserted enumerator shows up here. */
static void test_values_pinned(void **state)
{
	(void)state;
	assert_int_equal(OE_OK, 0);
	assert_int_equal(OE_FAILURE, 1);
	assert_int_equal(OE_BUFFER_TOO_SMALL, 2);
	assert_int_equal(OE_INVALID_PARAMETER, 3);
	assert_int_equal(OE_REENTRANT_ECALL, 4);
	assert_int_equal(OE_OUT_OF_MEMORY, 5);
	assert_int_equal(OE_NOT_FOUND, 9);
	assert_int_equal(OE_UNSUPPORTED, 16);
	assert_int_equal(OE_ENCLAVE_ABORTING, 19);
	assert_int_equal(OE_ENCLAVE_ABORTED, 20);
	assert_int_equal(OE_INVALID_SGX_CERTIFICATE_EXTENSIONS, 30);
	assert_int_equal(OE_BAD_ALIGNMENT, 32);
	assert_int_equal(OE_INVALID_ENDORSEMENT, 40);
	assert_int_equal(OE_VERIFY_FAILED_TO_FIND_VALIDITY_PERIOD, 45);
	assert_int_equal(OE_CRYPTO_ERROR, 46);
	assert_int_equal(QE_QUOTE_ENCLAVE_IDENTITY_PRODUCTID_MISMATCH, 51);
	assert_int_equal(OE_THREAD_JOIN_ERROR, 55);
	assert_int_equal(OE_QUOTE_HASH_MISMATCH, LAST_CODE);
	assert_true((unsigned int)__OE_RESULT_MAX == 0xffffffffu);
	assert_int_equal(sizeof(oe_result_t), sizeof(unsigned int));
}

/* Every code in order, with its expected string spelled by hand. */
static const struct {
	oe_result_t code;
	const char *name;
} all_codes[] = {
    {OE_OK, "OE_OK"},
    {OE_FAILURE, "OE_FAILURE"},
    {OE_BUFFER_TOO_SMALL, "OE_BUFFER_TOO_SMALL"},
    {OE_INVALID_PARAMETER, "OE_INVALID_PARAMETER"},
    {OE_REENTRANT_ECALL, "OE_REENTRANT_ECALL"},
    {OE_OUT_OF_MEMORY, "OE_OUT_OF_MEMORY"},
    {OE_OUT_OF_THREADS, "OE_OUT_OF_THREADS"},
    {OE_UNEXPECTED, "OE_UNEXPECTED"},
    {OE_VERIFY_FAILED, "OE_VERIFY_FAILED"},
    {OE_NOT_FOUND, "OE_NOT_FOUND"},
    {OE_INTEGER_OVERFLOW, "OE_INTEGER_OVERFLOW"},
    {OE_PUBLIC_KEY_NOT_FOUND, "OE_PUBLIC_KEY_NOT_FOUND"},
    {OE_OUT_OF_BOUNDS, "OE_OUT_OF_BOUNDS"},
    {OE_OVERLAPPED_COPY, "OE_OVERLAPPED_COPY"},
    {OE_CONSTRAINT_FAILED, "OE_CONSTRAINT_FAILED"},
    {OE_IOCTL_FAILED, "OE_IOCTL_FAILED"},
    {OE_UNSUPPORTED, "OE_UNSUPPORTED"},
    {OE_READ_FAILED, "OE_READ_FAILED"},
    {OE_SERVICE_UNAVAILABLE, "OE_SERVICE_UNAVAILABLE"},
    {OE_ENCLAVE_ABORTING, "OE_ENCLAVE_ABORTING"},
    {OE_ENCLAVE_ABORTED, "OE_ENCLAVE_ABORTED"},
    {OE_PLATFORM_ERROR, "OE_PLATFORM_ERROR"},
    {OE_INVALID_CPUSVN, "OE_INVALID_CPUSVN"},
    {OE_INVALID_ISVSVN, "OE_INVALID_ISVSVN"},
    {OE_INVALID_KEYNAME, "OE_INVALID_KEYNAME"},
    {OE_DEBUG_DOWNGRADE, "OE_DEBUG_DOWNGRADE"},
    {OE_REPORT_PARSE_ERROR, "OE_REPORT_PARSE_ERROR"},
    {OE_MISSING_CERTIFICATE_CHAIN, "OE_MISSING_CERTIFICATE_CHAIN"},
    {OE_BUSY, "OE_BUSY"},
    {OE_NOT_OWNER, "OE_NOT_OWNER"},
    {OE_INVALID_SGX_CERTIFICATE_EXTENSIONS, "OE_INVALID_SGX_CERTIFICATE_EXTENSIONS"},
    {OE_MEMORY_LEAK, "OE_MEMORY_LEAK"},
    {OE_BAD_ALIGNMENT, "OE_BAD_ALIGNMENT"},
    {OE_JSON_INFO_PARSE_ERROR, "OE_JSON_INFO_PARSE_ERROR"},
    {OE_TCB_LEVEL_INVALID, "OE_TCB_LEVEL_INVALID"},
    {OE_QUOTE_PROVIDER_LOAD_ERROR, "OE_QUOTE_PROVIDER_LOAD_ERROR"},
    {OE_QUOTE_PROVIDER_CALL_ERROR, "OE_QUOTE_PROVIDER_CALL_ERROR"},
    {OE_INVALID_REVOCATION_INFO, "OE_INVALID_REVOCATION_INFO"},
    {OE_INVALID_UTC_DATE_TIME, "OE_INVALID_UTC_DATE_TIME"},
    {OE_INVALID_QE_IDENTITY_INFO, "OE_INVALID_QE_IDENTITY_INFO"},
    {OE_INVALID_ENDORSEMENT, "OE_INVALID_ENDORSEMENT"},
    {OE_UNSUPPORTED_ENCLAVE_IMAGE, "OE_UNSUPPORTED_ENCLAVE_IMAGE"},
    {OE_VERIFY_CRL_EXPIRED, "OE_VERIFY_CRL_EXPIRED"},
    {OE_VERIFY_CRL_MISSING, "OE_VERIFY_CRL_MISSING"},
    {OE_VERIFY_REVOKED, "OE_VERIFY_REVOKED"},
    {OE_VERIFY_FAILED_TO_FIND_VALIDITY_PERIOD, "OE_VERIFY_FAILED_TO_FIND_VALIDITY_PERIOD"},
    {OE_CRYPTO_ERROR, "OE_CRYPTO_ERROR"},
    {OE_INCORRECT_REPORT_SIZE, "OE_INCORRECT_REPORT_SIZE"},
    {OE_QUOTE_VERIFICATION_ERROR, "OE_QUOTE_VERIFICATION_ERROR"},
    {OE_QUOTE_ENCLAVE_IDENTITY_VERIFICATION_FAILED,
     "OE_QUOTE_ENCLAVE_IDENTITY_VERIFICATION_FAILED"},
    {OE_QUOTE_ENCLAVE_IDENTITY_UNIQUEID_MISMATCH, "OE_QUOTE_ENCLAVE_IDENTITY_UNIQUEID_MISMATCH"},
    {QE_QUOTE_ENCLAVE_IDENTITY_PRODUCTID_MISMATCH, "QE_QUOTE_ENCLAVE_IDENTITY_PRODUCTID_MISMATCH"},
    {OE_VERIFY_FAILED_AES_CMAC_MISMATCH, "OE_VERIFY_FAILED_AES_CMAC_MISMATCH"},
    {OE_CONTEXT_SWITCHLESS_OCALL_MISSED, "OE_CONTEXT_SWITCHLESS_OCALL_MISSED"},
    {OE_THREAD_CREATE_ERROR, "OE_THREAD_CREATE_ERROR"},
    {OE_THREAD_JOIN_ERROR, "OE_THREAD_JOIN_ERROR"},
    {OE_ALREADY_EXISTS, "OE_ALREADY_EXISTS"},
    {OE_ALREADY_INITIALIZED, "OE_ALREADY_INITIALIZED"},
    {OE_QUOTE_HASH_MISMATCH, "OE_QUOTE_HASH_MISMATCH"},
};

/* Codes are dense from 0 to the last, each named after itself, no two alike. */
static void test_every_code_named(void **state)
{
	size_t n = sizeof(all_codes) / sizeof(all_codes[0]);

	(void)state;
	assert_int_equal(n, LAST_CODE + 1);
	for (size_t i = 0; i < n; i++) {
		const char *s = oe_result_str((oe_result_t)i);

		assert_int_equal(all_codes[i].code, i);
		assert_non_null(s);
		assert_string_not_equal(s, "UNKNOWN");
		assert_string_equal(s, all_codes[i].name);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, oe_result_str((oe_result_t)j));
	}
}

/* Values that are not codes (a peer may send any 32 bits) name nothing. */
static void test_unknown_values(void **state)
{
	static const unsigned int bad[] = {LAST_CODE + 1, LAST_CODE + 2, 1000,
	                                   0x7fffffffu,   0xfffffffeu,   0xffffffffu};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(oe_result_str((oe_result_t)bad[i]), "UNKNOWN");
	assert_string_equal(oe_result_str(__OE_RESULT_MAX), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_pinned),
	    cmocka_unit_test(test_every_code_named),
	    cmocka_unit_test(test_unknown_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
