/*
 * test_connstr.c - daemon.connstr: IoT Hub connection strings, accepted
 * and refused, and that no error message repeats the key or any value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/connstr.h"
#include "trustedge/te_mem.h"

/* base64 of "secretsecretsecretsecret12345678" (32 bytes). */
#define KEY_B64 "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNDU2Nzg="
#define KEY_RAW "secretsecretsecretsecret12345678"

static void parse_ok(const char *s, te_connstr *cs)
{
	te_err rc = te_connstr_parse(s, strlen(s), cs);

	if (rc != TE_OK)
		fail_msg("'%s' refused: %s", s, te_err_detail());
}

/* s must be refused with a detail containing want, and repeat no secret. */
static void parse_bad(const char *s, const char *want)
{
	static const te_connstr zero;
	te_connstr cs;
	te_err rc;

	memset(&cs, 0x5a, sizeof(cs));
	te_err_clear();
	rc = te_connstr_parse(s, strlen(s), &cs);
	if (rc != TE_ERR_INVALID_ARG)
		fail_msg("'%s': expected TE_ERR_INVALID_ARG, got %s", s, te_err_name(rc));
	if (strstr(te_err_detail(), want) == NULL)
		fail_msg("'%s': detail '%s' lacks '%s'", s, te_err_detail(), want);
	assert_memory_equal(&cs, &zero, sizeof(cs));
	assert_null(strstr(te_err_detail(), "c2VjcmV0"));
	assert_null(strstr(te_err_detail(), "secret"));
	assert_null(strstr(te_err_detail(), "hub.example"));
}

static void test_minimal(void **state)
{
	te_connstr cs;

	(void)state;
	parse_ok("HostName=hub.example.net;DeviceId=dev-1;SharedAccessKey=" KEY_B64, &cs);
	assert_string_equal(cs.host_name, "hub.example.net");
	assert_string_equal(cs.device_id, "dev-1");
	assert_string_equal(cs.module_id, "");
	assert_string_equal(cs.gateway_host_name, "");
	assert_int_equal(cs.key_len, 32);
	assert_memory_equal(cs.key, KEY_RAW, 32);
	/* The key lives in secure memory of exactly its size. */
	assert_int_equal(te_secure_size(cs.key), 32);
	te_connstr_clear(&cs);
	assert_null(cs.key);
	assert_int_equal(cs.key_len, 0);
	assert_string_equal(cs.host_name, "");
}

static void test_all_fields_any_order(void **state)
{
	te_connstr cs;

	(void)state;
	parse_ok("SharedAccessKey=" KEY_B64 ";ModuleId=$edgeHub;GatewayHostName=gw.local;"
	         "DeviceId=d:1@x;HostName=h",
	         &cs);
	assert_string_equal(cs.host_name, "h");
	assert_string_equal(cs.device_id, "d:1@x");
	assert_string_equal(cs.module_id, "$edgeHub");
	assert_string_equal(cs.gateway_host_name, "gw.local");
	te_connstr_clear(&cs);
}

static void test_not_nul_terminated(void **state)
{
	char buf[128];
	const char *s = "HostName=h;DeviceId=d;SharedAccessKey=" KEY_B64;
	size_t n = strlen(s);
	te_connstr cs;

	(void)state;
	memcpy(buf, s, n);
	memset(buf + n, 'X', sizeof(buf) - n); /* no NUL after the string */
	assert_int_equal(te_connstr_parse(buf, n, &cs), TE_OK);
	assert_string_equal(cs.device_id, "d");
	te_connstr_clear(&cs);
	/* A NUL inside the given length is an error, not an end. */
	memcpy(buf, s, n);
	buf[12] = '\0';
	assert_int_equal(te_connstr_parse(buf, n, &cs), TE_ERR_INVALID_ARG);
}

static void test_ids_at_limits(void **state)
{
	char s[1024], id[TE_CONNSTR_ID_MAX + 2];
	te_connstr cs;

	(void)state;
	memset(id, 'a', TE_CONNSTR_ID_MAX);
	id[TE_CONNSTR_ID_MAX] = '\0';
	snprintf(s, sizeof(s), "HostName=h;DeviceId=%s;SharedAccessKey=" KEY_B64, id);
	parse_ok(s, &cs);
	assert_int_equal(strlen(cs.device_id), TE_CONNSTR_ID_MAX);
	te_connstr_clear(&cs);
	id[TE_CONNSTR_ID_MAX] = 'a';
	id[TE_CONNSTR_ID_MAX + 1] = '\0';
	snprintf(s, sizeof(s), "HostName=h;DeviceId=%s;SharedAccessKey=" KEY_B64, id);
	parse_bad(s, "DeviceId: too long");
}

static void test_missing_and_empty(void **state)
{
	(void)state;
	parse_bad("", "empty");
	parse_bad("DeviceId=d;SharedAccessKey=" KEY_B64, "missing HostName");
	parse_bad("HostName=hub.example;SharedAccessKey=" KEY_B64, "missing DeviceId");
	parse_bad("HostName=hub.example;DeviceId=d", "missing SharedAccessKey");
	parse_bad("HostName=;DeviceId=d;SharedAccessKey=" KEY_B64, "HostName: empty value");
	parse_bad("HostName=hub.example;DeviceId=;SharedAccessKey=" KEY_B64,
	          "DeviceId: empty value");
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKey=",
	          "SharedAccessKey: empty value");
	parse_bad("HostName=hub.example;DeviceId=d;ModuleId=;SharedAccessKey=" KEY_B64,
	          "ModuleId: empty value");
}

static void test_separators(void **state)
{
	(void)state;
	parse_bad("HostName=hub.example;;DeviceId=d;SharedAccessKey=" KEY_B64,
	          "field 2: empty (stray ';')");
	parse_bad(";HostName=hub.example;DeviceId=d;SharedAccessKey=" KEY_B64, "field 1: empty");
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKey=" KEY_B64 ";",
	          "field 4: empty (stray ';')");
	/* A pasted key without its name: no '=' and the message must not
	 * repeat it. */
	parse_bad("HostName=hub.example;DeviceId=d;c2VjcmV0c2VjcmV0", "field 3: no '='");
	parse_bad("HostName=hub.example; DeviceId=d;SharedAccessKey=" KEY_B64,
	          "field 2: space, control or non-ASCII");
	parse_bad("HostName=hub.example;DeviceId=d\x01;SharedAccessKey=" KEY_B64,
	          "field 2: space, control");
	parse_bad("HostName=hub.example;DeviceId=d\xc3\xa9;SharedAccessKey=" KEY_B64, "non-ASCII");
}

static void test_keys(void **state)
{
	(void)state;
	parse_bad("HostName=hub.example;DeviceId=d;DeviceId=e;SharedAccessKey=" KEY_B64,
	          "DeviceId: given twice");
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKey=" KEY_B64
	          ";SharedAccessKey=" KEY_B64,
	          "SharedAccessKey: given twice");
	parse_bad("hostname=hub.example;DeviceId=d;SharedAccessKey=" KEY_B64,
	          "field 1: unknown key (keys are case-sensitive: did you mean 'HostName'?)");
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKeyName=x;SharedAccessKey=" KEY_B64,
	          "field 3: unknown key (expected HostName");
	/* An unknown key is never echoed: it may be part of a key. */
	parse_bad("HostName=hub.example;DeviceId=d;c2VjcmV0=c2VjcmV0", "field 3: unknown key");
	parse_bad("HostName=hub.example;DeviceId=d;=" KEY_B64, "field 3: unknown key");
}

static void test_values(void **state)
{
	(void)state;
	parse_bad("HostName=hub_example;DeviceId=d;SharedAccessKey=" KEY_B64,
	          "HostName: not a valid host name");
	parse_bad("HostName=.hub.example;DeviceId=d;SharedAccessKey=" KEY_B64,
	          "HostName: not a valid host name");
	parse_bad("HostName=hub.example;GatewayHostName=gw/x;DeviceId=d;SharedAccessKey=" KEY_B64,
	          "GatewayHostName: not a valid host name");
	parse_bad("HostName=hub.example;DeviceId=a/b;SharedAccessKey=" KEY_B64,
	          "DeviceId: character not allowed");
	parse_bad("HostName=hub.example;DeviceId=d;ModuleId=m&n;SharedAccessKey=" KEY_B64,
	          "ModuleId: character not allowed");
}

static void test_bad_base64(void **state)
{
	(void)state;
	/* Bad character, bad padding, non-canonical trailing bits. */
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKey=c2VjcmV0c2VjcmV0!2VjcmV0",
	          "SharedAccessKey: not valid base64");
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKey=c2VjcmV0c2VjcmV0c2VjcmV0c2Vjcm",
	          "SharedAccessKey: not valid base64");
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV1"
	          "MTIzNDU2Nzh=",
	          "SharedAccessKey: not valid base64");
	/* Too short and too long once decoded. */
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKey=c2VjcmV0",
	          "must decode to 16..64");
	parse_bad("HostName=hub.example;DeviceId=d;SharedAccessKey="
	          "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	          "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
	          "SharedAccessKey: too long");
}

static void test_length_bound(void **state)
{
	char *s = malloc(TE_CONNSTR_MAX + 2);
	te_connstr cs;

	(void)state;
	assert_non_null(s);
	memset(s, 'a', TE_CONNSTR_MAX + 1);
	s[TE_CONNSTR_MAX + 1] = '\0';
	assert_int_equal(te_connstr_parse(s, TE_CONNSTR_MAX + 1, &cs), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "longer than 2048"));
	free(s);
	assert_int_equal(te_connstr_parse(NULL, 0, &cs), TE_ERR_INVALID_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal),
	    cmocka_unit_test(test_all_fields_any_order),
	    cmocka_unit_test(test_not_nul_terminated),
	    cmocka_unit_test(test_ids_at_limits),
	    cmocka_unit_test(test_missing_and_empty),
	    cmocka_unit_test(test_separators),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_bad_base64),
	    cmocka_unit_test(test_length_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
