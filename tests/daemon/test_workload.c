/*
 * test_workload.c - workload API routing and bodies (src/daemon/workload.c):
 * every route, every documented api-version, the 2020-07-07 gate of
 * /manifest-trust-bundle, 400/404/405 refusals and hostile paths; each
 * body parser against a valid body, the wrong Content-Type (415), broken
 * and duplicate-key JSON (422), missing and wrong-typed fields and bad
 * base64 (400, naming the field), oversize bodies (413); strict RFC 3339;
 * and the JSON replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/workload.h"

#define CT "application/json"

static te_wl_route_t rt;

static te_err route(const char *method, const char *path, const char *ver)
{
	return te_wl_route(method, path, ver, &rt);
}

static void expect_refused(te_err rc, int http, const char *needle)
{
	assert_int_not_equal(rc, TE_OK);
	assert_int_equal(rt.status.http_status, http);
	assert_int_equal(rt.id, TE_WL_ROUTE_NONE);
	assert_string_equal(rt.name, "");
	if (needle != NULL)
		assert_non_null(strstr(rt.status.message, needle));
}

static void test_routes_positive(void **state)
{
	(void)state;
	assert_int_equal(route("GET", "/modules", "2018-06-28"), TE_OK);
	assert_int_equal(rt.id, TE_WL_ROUTE_LIST_MODULES);
	assert_int_equal(rt.status.http_status, 0);

	assert_int_equal(route("POST", "/modules/$edgeHub/genid/637123/sign", "2018-06-28"), TE_OK);
	assert_int_equal(rt.id, TE_WL_ROUTE_SIGN);
	assert_string_equal(rt.name, "$edgeHub");
	assert_string_equal(rt.genid, "637123");
	assert_int_equal(rt.version, TE_WL_API_2018_06_28);

	assert_int_equal(route("POST", "/modules/m1/genid/1/encrypt", "2019-01-30"), TE_OK);
	assert_int_equal(rt.id, TE_WL_ROUTE_ENCRYPT);
	assert_int_equal(route("POST", "/modules/m1/genid/1/decrypt", "2019-01-30"), TE_OK);
	assert_int_equal(rt.id, TE_WL_ROUTE_DECRYPT);

	assert_int_equal(route("POST", "/modules/mod.a-b_c/certificate/identity", "2020-07-07"),
			 TE_OK);
	assert_int_equal(rt.id, TE_WL_ROUTE_CERT_IDENTITY);
	assert_string_equal(rt.name, "mod.a-b_c");
	assert_string_equal(rt.genid, "");

	assert_int_equal(route("POST", "/modules/m/genid/g/certificate/server", "2022-08-03"), TE_OK);
	assert_int_equal(rt.id, TE_WL_ROUTE_CERT_SERVER);
	assert_string_equal(rt.name, "m");
	assert_string_equal(rt.genid, "g");

	assert_int_equal(route("GET", "/trust-bundle", "2018-06-28"), TE_OK);
	assert_int_equal(rt.id, TE_WL_ROUTE_TRUST_BUNDLE);
	assert_int_equal(route("GET", "/manifest-trust-bundle", "2020-07-07"), TE_OK);
	assert_int_equal(rt.id, TE_WL_ROUTE_MANIFEST_TRUST_BUNDLE);
}

static void test_every_version_on_sign(void **state)
{
	static const char *const versions[] = {"2018-06-28", "2019-01-30", "2019-10-22",
					       "2019-11-05", "2020-07-07", "2021-12-07",
					       "2022-08-03"};
	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		assert_int_equal(route("POST", "/modules/m/genid/1/sign", versions[i]), TE_OK);
		assert_int_equal(rt.id, TE_WL_ROUTE_SIGN);
		assert_int_equal(rt.version, (int)TE_WL_API_2018_06_28 + (int)i);
	}
}

static void test_manifest_gate(void **state)
{
	(void)state;
	expect_refused(route("GET", "/manifest-trust-bundle", "2018-06-28"), 404, "not found");
	expect_refused(route("GET", "/manifest-trust-bundle", "2019-11-05"), 404, NULL);
	assert_int_equal(route("GET", "/manifest-trust-bundle", "2021-12-07"), TE_OK);
	assert_int_equal(route("GET", "/manifest-trust-bundle", "2022-08-03"), TE_OK);
}

static void test_bad_version(void **state)
{
	(void)state;
	expect_refused(route("GET", "/modules", NULL), 400, "invalid api-version");
	expect_refused(route("GET", "/modules", ""), 400, "invalid api-version");
	expect_refused(route("GET", "/modules", "2018-06-29"), 400, "invalid api-version");
	expect_refused(route("GET", "/modules", "2018-06-28 "), 400, "invalid api-version");
	expect_refused(route("POST", "/modules/m/genid/1/sign", "2099-01-01"), 400,
		       "invalid api-version");
}

static void test_404_405(void **state)
{
	(void)state;
	expect_refused(route("GET", "/", "2018-06-28"), 404, NULL);
	expect_refused(route("GET", "/nope", "2018-06-28"), 404, NULL);
	expect_refused(route("GET", "/Modules", "2018-06-28"), 404, NULL);
	expect_refused(route("POST", "/modules/m/genid/1/sign/x", "2018-06-28"), 404, NULL);
	expect_refused(route("POST", "/modules/m/genid/1/verify", "2018-06-28"), 404, NULL);
	expect_refused(route("POST", "/modules/m/certificate/other", "2018-06-28"), 404, NULL);
	expect_refused(route("GET", "/a/b/c/d/e/f/g/h/i/j", "2018-06-28"), 404, NULL);
	/* 404 before the api-version: the route does not exist at all. */
	expect_refused(route("GET", "/nope", NULL), 404, NULL);

	expect_refused(route("GET", "/modules/m/genid/1/sign", "2018-06-28"), 405, "method");
	expect_refused(route("POST", "/trust-bundle", "2018-06-28"), 405, NULL);
	expect_refused(route("POST", "/modules", "2018-06-28"), 405, NULL);
	expect_refused(route("get", "/modules", "2018-06-28"), 405, NULL);
	expect_refused(route("DELETE", "/modules/m/genid/1/encrypt", "2018-06-28"), 405, NULL);
	expect_refused(route(NULL, "/modules", "2018-06-28"), 405, NULL);
}

static void test_hostile_paths(void **state)
{
	char long_name[TE_IPC_MODULE_MAX + 2];
	char path[512];

	(void)state;
	expect_refused(route("POST", "/modules/../genid/1/sign", "2018-06-28"), 400, "'..'");
	expect_refused(route("POST", "/modules/./genid/1/sign", "2018-06-28"), 400, NULL);
	expect_refused(route("POST", "/modules//genid/1/sign", "2018-06-28"), 400, NULL);
	expect_refused(route("GET", "/modules/", "2018-06-28"), 400, NULL);
	expect_refused(route("GET", "//modules", "2018-06-28"), 400, NULL);
	expect_refused(route("GET", "modules", "2018-06-28"), 400, NULL);
	expect_refused(route("GET", "", "2018-06-28"), 400, NULL);
	expect_refused(route("GET", NULL, "2018-06-28"), 400, NULL);
	expect_refused(route("POST", "/modules/a b/genid/1/sign", "2018-06-28"), 400, "ASCII");
	expect_refused(route("POST", "/modules/a\tb/genid/1/sign", "2018-06-28"), 400, "ASCII");
	expect_refused(route("POST", "/modules/a\x7f/genid/1/sign", "2018-06-28"), 400, NULL);
	expect_refused(route("POST", "/modules/\xc3\xa9/genid/1/sign", "2018-06-28"), 400, NULL);
	/* Printable but outside the id character set. */
	expect_refused(route("POST", "/modules/a%2e/genid/1/sign", "2018-06-28"), 400,
		       "module name");
	expect_refused(route("POST", "/modules/a\\b/genid/1/sign", "2018-06-28"), 400, NULL);
	expect_refused(route("POST", "/modules/m/genid/1;x/sign", "2018-06-28"), 400,
		       "generation id");
	expect_refused(route("POST", "/modules/m/genid/a<b/sign", "2018-06-28"), 400, NULL);

	/* Length limits: exactly the maximum passes, one more is refused. */
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[TE_IPC_MODULE_MAX] = '\0';
	snprintf(path, sizeof(path), "/modules/%s/genid/1/sign", long_name);
	assert_int_equal(route("POST", path, "2018-06-28"), TE_OK);
	assert_int_equal(strlen(rt.name), TE_IPC_MODULE_MAX);
	long_name[TE_IPC_MODULE_MAX] = 'n';
	long_name[TE_IPC_MODULE_MAX + 1] = '\0';
	snprintf(path, sizeof(path), "/modules/%s/genid/1/sign", long_name);
	expect_refused(route("POST", path, "2018-06-28"), 400, "module name");
	memset(long_name, '7', TE_IPC_GENID_MAX + 1);
	long_name[TE_IPC_GENID_MAX + 1] = '\0';
	snprintf(path, sizeof(path), "/modules/m/genid/%s/sign", long_name);
	expect_refused(route("POST", path, "2018-06-28"), 400, "generation id");
	long_name[TE_IPC_GENID_MAX] = '\0';
	snprintf(path, sizeof(path), "/modules/m/genid/%s/sign", long_name);
	assert_int_equal(route("POST", path, "2018-06-28"), TE_OK);

	/* A path longer than any route. */
	{
		char *big = malloc(TE_WL_PATH_MAX + 2);
		assert_non_null(big);
		memset(big, 'a', TE_WL_PATH_MAX + 1);
		big[0] = '/';
		big[TE_WL_PATH_MAX + 1] = '\0';
		expect_refused(route("GET", big, "2018-06-28"), 400, "too long");
		free(big);
	}
}

/* ---- bodies ---- */

static te_wl_status st;

static te_err sign(const char *body, const char *ct, te_wl_sign_req *r)
{
	return te_wl_parse_sign(body, strlen(body), ct, r, &st);
}

static void expect_status(te_err rc, int http, const char *needle)
{
	assert_int_not_equal(rc, TE_OK);
	assert_int_equal(st.http_status, http);
	if (needle != NULL && strstr(st.message, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", st.message, needle);
}

static void test_sign_body(void **state)
{
	te_wl_sign_req *r = calloc(1, sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(sign("{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"aGVsbG8=\","
			      "\"extra\":[1,{\"x\":null}]}",
			      CT, r),
			 TE_OK);
	assert_string_equal(r->key_id, "primary");
	assert_int_equal(r->data_len, 5);
	assert_memory_equal(r->data, "hello", 5);
	assert_int_equal(st.http_status, 0);
	assert_int_equal(sign("{\"keyId\":\"secondary\",\"algo\":\"HMACSHA256\",\"data\":\"\"}",
			      "Application/JSON ; charset=utf-8", r),
			 TE_OK);
	assert_string_equal(r->key_id, "secondary");
	assert_int_equal(r->data_len, 0);

	expect_status(sign("{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"\"}",
			   "text/plain", r),
		      415, "application/json");
	expect_status(sign("{}", NULL, r), 415, NULL);
	expect_status(sign("{}", "application/jsonx", r), 415, NULL);
	expect_status(sign("{\"keyId\":", CT, r), 422, "JSON");
	expect_status(sign("", CT, r), 422, NULL);
	expect_status(sign("{\"keyId\":\"primary\"} x", CT, r), 422, NULL);
	expect_status(sign("{\"keyId\":\"primary\",\"keyId\":\"secondary\",\"algo\":\"HMACSHA256\","
			   "\"data\":\"\"}",
			   CT, r),
		      422, NULL);
	expect_status(sign("[1]", CT, r), 400, "object");
	expect_status(sign("{\"algo\":\"HMACSHA256\",\"data\":\"\"}", CT, r), 400, "'keyId'");
	expect_status(sign("{\"keyId\":\"primary\",\"data\":\"\"}", CT, r), 400, "'algo'");
	expect_status(sign("{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\"}", CT, r), 400,
		      "missing field 'data'");
	expect_status(sign("{\"keyId\":1,\"algo\":\"HMACSHA256\",\"data\":\"\"}", CT, r), 400,
		      "field 'keyId' must be a string");
	expect_status(sign("{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":null}", CT, r),
		      400, "'data'");
	expect_status(sign("{\"keyId\":\"tertiary\",\"algo\":\"HMACSHA256\",\"data\":\"\"}", CT, r),
		      400, "'keyId'");
	expect_status(sign("{\"keyId\":\"primary\",\"algo\":\"HMACSHA512\",\"data\":\"\"}", CT, r),
		      400, "'algo'");
	expect_status(sign("{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"aGVsbG8\"}",
			   CT, r),
		      400, "field 'data' is not valid base64");
	expect_status(sign("{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"aGVsbG9=\"}",
			   CT, r),
		      400, "'data'");
	/* A NUL inside a JSON string is refused by jansson. */
	expect_status(sign("{\"keyId\":\"prim\\u0000ary\",\"algo\":\"HMACSHA256\",\"data\":\"\"}",
			   CT, r),
		      422, NULL);
	assert_int_equal(r->data_len, 0);
	free(r);
}

static void test_sign_limits(void **state)
{
	te_wl_sign_req *r = calloc(1, sizeof(*r));
	size_t cap = TE_WL_BODY_MAX + 64;
	char *body = malloc(cap);
	size_t b64 = (TE_IPC_SIGN_DATA_MAX / 3 + 1) * 4; /* just over the limit */
	size_t n;

	(void)state;
	assert_non_null(r);
	assert_non_null(body);
	/* Decoded size over TE_IPC_SIGN_DATA_MAX: 400 naming the field. */
	n = (size_t)snprintf(body, cap, "{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"");
	memset(body + n, 'A', b64);
	n += b64;
	memcpy(body + n, "\"}", 3);
	expect_status(sign(body, CT, r), 400, "'data'");
	/* Exactly the limit passes. */
	n = (size_t)snprintf(body, cap, "{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"");
	b64 = TE_IPC_SIGN_DATA_MAX / 3 * 4;
	memset(body + n, 'A', b64);
	n += b64;
	memcpy(body + n, "AAA=\"}", 7); /* 8190 + 2 bytes */
	assert_int_equal(sign(body, CT, r), TE_OK);
	assert_int_equal(r->data_len, TE_IPC_SIGN_DATA_MAX);
	/* Body over TE_WL_BODY_MAX: 413 before any parsing. */
	memset(body, ' ', TE_WL_BODY_MAX + 1);
	body[0] = '{';
	body[TE_WL_BODY_MAX] = '}';
	body[TE_WL_BODY_MAX + 1] = '\0';
	expect_status(sign(body, CT, r), 413, NULL);
	/* Deep nesting is refused before jansson recurses. */
	memset(body, '[', 2000);
	memset(body + 2000, ']', 2000);
	body[4000] = '\0';
	expect_status(sign(body, CT, r), 422, "nested");
	free(body);
	free(r);
}

static te_err wl_crypt(int enc, const char *body, const char *ct, te_wl_crypt_req *r)
{
	return enc ? te_wl_parse_encrypt(body, strlen(body), ct, r, &st)
		   : te_wl_parse_decrypt(body, strlen(body), ct, r, &st);
}

static void test_crypt_bodies(void **state)
{
	te_wl_crypt_req *r = calloc(1, sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(wl_crypt(1, "{\"plaintext\":\"c2VjcmV0\",\"initializationVector\":\"aXY=\"}",
			       CT, r),
			 TE_OK);
	assert_int_equal(r->data_len, 6);
	assert_memory_equal(r->data, "secret", 6);
	assert_int_equal(r->iv_len, 2);
	assert_memory_equal(r->iv, "iv", 2);
	assert_int_equal(wl_crypt(1, "{\"plaintext\":\"\",\"initializationVector\":\"aXY=\"}", CT, r),
			 TE_OK);
	assert_int_equal(r->data_len, 0);
	assert_int_equal(wl_crypt(0, "{\"ciphertext\":\"AQID\",\"initializationVector\":\"aXY=\",\"x\":1}",
			       CT "; charset=utf-8", r),
			 TE_OK);
	assert_int_equal(r->data_len, 3);

	for (int enc = 0; enc <= 1; enc++) {
		const char *field = enc ? "'plaintext'" : "'ciphertext'";
		const char *good = enc ? "{\"plaintext\":\"AQID\",\"initializationVector\":\"aXY=\"}"
				       : "{\"ciphertext\":\"AQID\",\"initializationVector\":\"aXY=\"}";
		const char *bad64 = enc ? "{\"plaintext\":\"AQI*\",\"initializationVector\":\"aXY=\"}"
					: "{\"ciphertext\":\"AQI*\",\"initializationVector\":\"aXY=\"}";
		const char *dup = enc ? "{\"plaintext\":\"AQID\",\"plaintext\":\"AQID\","
					"\"initializationVector\":\"aXY=\"}"
				      : "{\"ciphertext\":\"AQID\",\"ciphertext\":\"AQID\","
					"\"initializationVector\":\"aXY=\"}";
		const char *type = enc ? "{\"plaintext\":5,\"initializationVector\":\"aXY=\"}"
				       : "{\"ciphertext\":true,\"initializationVector\":\"aXY=\"}";

		expect_status(wl_crypt(enc, good, "application/xml", r), 415, NULL);
		expect_status(wl_crypt(enc, "{\"plaintext\":", CT, r), 422, NULL);
		expect_status(wl_crypt(enc, dup, CT, r), 422, NULL);
		expect_status(wl_crypt(enc, "{\"initializationVector\":\"aXY=\"}", CT, r), 400, field);
		expect_status(wl_crypt(enc, type, CT, r), 400, field);
		expect_status(wl_crypt(enc, bad64, CT, r), 400, "base64");
		expect_status(wl_crypt(enc, enc ? "{\"plaintext\":\"\"}" : "{\"ciphertext\":\"AA==\"}", CT,
				    r),
			      400, "missing field 'initializationVector'");
		expect_status(wl_crypt(enc,
				    enc ? "{\"plaintext\":\"\",\"initializationVector\":\"\"}"
					: "{\"ciphertext\":\"AA==\",\"initializationVector\":\"\"}",
				    CT, r),
			      400, "'initializationVector'");
		expect_status(wl_crypt(enc,
				    enc ? "{\"plaintext\":\"\",\"initializationVector\":\"a\"}"
					: "{\"ciphertext\":\"AA==\",\"initializationVector\":\"a\"}",
				    CT, r),
			      400, "'initializationVector' is not valid base64");
		assert_int_equal(r->data_len, 0);
	}
	/* A ciphertext is never empty. */
	expect_status(wl_crypt(0, "{\"ciphertext\":\"\",\"initializationVector\":\"aXY=\"}", CT, r), 400,
		      "'ciphertext'");
	free(r);
}

static void test_crypt_oversize(void **state)
{
	te_wl_crypt_req *r = calloc(1, sizeof(*r));
	char *body = malloc(TE_WL_BODY_MAX + 64);
	size_t n;

	(void)state;
	assert_non_null(r);
	assert_non_null(body);
	n = (size_t)snprintf(body, 64, "{\"initializationVector\":\"aXY=\",\"plaintext\":\"");
	memset(body + n, 'A', TE_WL_BODY_MAX);
	memcpy(body + TE_WL_BODY_MAX, "\"}", 3);
	expect_status(wl_crypt(1, body, CT, r), 413, NULL);
	free(body);
	free(r);
}

static te_err server(const char *body, te_wl_cert_req *r)
{
	return te_wl_parse_server_cert(body, strlen(body), CT, r, &st);
}

static te_err ident(const char *body, const char *ct, te_wl_cert_req *r)
{
	return te_wl_parse_identity_cert(body, strlen(body), ct, r, &st);
}

static void test_cert_bodies(void **state)
{
	te_wl_cert_req r;

	(void)state;
	assert_int_equal(server("{\"commonName\":\"edgehub\",\"expiration\":"
				"\"2026-12-01T10:00:00+02:00\"}",
				&r),
			 TE_OK);
	assert_string_equal(r.common_name, "edgehub");
	assert_int_equal(r.has_expiration, 1);
	assert_int_equal(r.expiration, 1796112000); /* date -u -d ... +%s */
	assert_int_equal(server("{\"commonName\":\"fe80::1\"}", &r), TE_OK);
	assert_int_equal(r.has_expiration, 0);
	assert_int_equal(server("{\"commonName\":\"10.0.0.1\",\"expiration\":null}", &r), TE_OK);
	assert_int_equal(r.has_expiration, 0);

	expect_status(te_wl_parse_server_cert("{}", 2, "text/json", &r, &st), 415, NULL);
	expect_status(server("{\"commonName\":}", &r), 422, NULL);
	expect_status(server("{\"commonName\":\"a\",\"commonName\":\"b\"}", &r), 422, NULL);
	expect_status(server("{\"expiration\":\"2026-12-01T10:00:00Z\"}", &r), 400,
		      "missing field 'commonName'");
	expect_status(server("{\"commonName\":[]}", &r), 400, "'commonName'");
	expect_status(server("{\"commonName\":\"\"}", &r), 400, "'commonName'");
	expect_status(server("{\"commonName\":\"a b\"}", &r), 400, "'commonName'");
	expect_status(server("{\"commonName\":\"a/b\"}", &r), 400, "'commonName'");
	expect_status(server("{\"commonName\":\"0123456789012345678901234567890123456789012345678901"
			     "2345678901234\"}", /* 65 */
			     &r),
		      400, "'commonName'");
	assert_int_equal(server("{\"commonName\":\"012345678901234567890123456789012345678901234567"
				"8901234567890123\"}",
				&r),
			 TE_OK);
	expect_status(server("{\"commonName\":\"h\",\"expiration\":\"2026-13-01T00:00:00Z\"}", &r),
		      400, "'expiration'");
	expect_status(server("{\"commonName\":\"h\",\"expiration\":1796112000}", &r), 400,
		      "'expiration'");
	assert_string_equal(r.common_name, "");

	/* Identity: expiration optional, still JSON. */
	assert_int_equal(ident("{}", CT, &r), TE_OK);
	assert_int_equal(r.has_expiration, 0);
	assert_int_equal(
	    ident("{\"expiration\":\"1970-01-02T00:00:00.5Z\"}", CT, &r),
	    TE_OK);
	assert_int_equal(r.has_expiration, 1);
	assert_int_equal(r.expiration, 86400);
	expect_status(ident("{}", "", &r), 415, NULL);
	expect_status(ident("{,}", CT, &r), 422, NULL);
	/* No body at all: no expiration asked, whatever the content type. */
	assert_int_equal(ident("", "", &r), TE_OK);
	assert_int_equal(r.has_expiration, 0);
	expect_status(ident("{\"expiration\":\"x\",\"expiration\":\"y\"}", CT, &r),
		      422, NULL);
	expect_status(ident("{\"expiration\":{}}", CT, &r), 400,
		      "'expiration'");
	expect_status(ident("{\"expiration\":\"2026-02-29T00:00:00Z\"}", CT, &r),
		      400, "'expiration'");
	{
		char *big = calloc(1, TE_WL_BODY_MAX + 2);
		assert_non_null(big);
		memset(big, ' ', TE_WL_BODY_MAX + 1);
		big[0] = '{';
		big[TE_WL_BODY_MAX] = '}';
		expect_status(te_wl_parse_identity_cert(big, TE_WL_BODY_MAX + 1, CT, &r, &st), 413,
			      NULL);
		expect_status(te_wl_parse_server_cert(big, TE_WL_BODY_MAX + 1, CT, &r, &st), 413, NULL);
		free(big);
	}
}

static int64_t rfc(const char *s)
{
	int64_t t = -1;

	assert_int_equal(te_wl_parse_rfc3339(s, strlen(s), &t), TE_OK);
	return t;
}

static void test_rfc3339(void **state)
{
	static const char *const bad[] = {
	    "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z",
	    "2026-04-31T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T10:60:00Z",
	    "2026-12-01T10:00:60Z", "2026-12-01T10:00:00",  "2026-12-01 10:00:00Z",
	    "2026-12-01T10:00:00+2:00", "2026-12-01T10:00:00+02:60", "2026-12-01T10:00:00+0200",
	    "2026-12-01T10:00:00Zx", "2026-12-01T10:00:00.Z", "2026-12-01T10:00:00.1234567890Z",
	    "26-12-01T10:00:00Z", "2026-1-01T10:00:00Z",   "+026-12-01T10:00:00Z",
	    "2026-12-01T10:00:00+24:00", "", "2026-12-01T1a:00:00Z"};

	(void)state;
	assert_int_equal(rfc("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(rfc("2026-12-01T10:00:00+02:00"), 1796112000);
	assert_int_equal(rfc("2026-12-01T08:00:00Z"), 1796112000);
	assert_int_equal(rfc("2026-12-01t06:30:00.123456789-01:30"), 1796112000);
	assert_int_equal(rfc("2024-02-29T00:00:00z"), 1709164800);
	assert_int_equal(rfc("2000-03-01T00:00:00Z"), 951868800);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t = 0;
		if (te_wl_parse_rfc3339(bad[i], strlen(bad[i]), &t) == TE_OK)
			fail_msg("accepted '%s'", bad[i]);
	}
}

static void test_replies(void **state)
{
	te_buf b;
	te_wl_status e = {404, "not found"};

	(void)state;
	te_buf_init(&b, 0);
	assert_int_equal(te_wl_reply_sign((const uint8_t *)"hello", 5, &b), TE_OK);
	assert_string_equal((const char *)b.data, "{\"digest\":\"aGVsbG8=\"}");
	assert_int_equal(b.len, strlen("{\"digest\":\"aGVsbG8=\"}"));
	te_buf_free(&b);
	assert_int_not_equal(te_wl_reply_sign((const uint8_t *)"x", 0, &b), TE_OK);

	assert_int_equal(te_wl_reply_crypt("ciphertext", (const uint8_t *)"\x01\x02\x03", 3, &b),
			 TE_OK);
	assert_string_equal((const char *)b.data, "{\"ciphertext\":\"AQID\"}");
	te_buf_free(&b);
	te_buf_init(&b, 1);
	assert_int_equal(te_wl_reply_crypt("plaintext", NULL, 0, &b), TE_OK);
	assert_string_equal((const char *)b.data, "{\"plaintext\":\"\"}");
	te_buf_free(&b);
	assert_int_not_equal(te_wl_reply_crypt("digest", (const uint8_t *)"x", 1, &b), TE_OK);
	assert_int_equal(b.len, 0);

	assert_int_equal(te_wl_reply_error(&e, &b), TE_OK);
	assert_string_equal((const char *)b.data, "{\"message\":\"not found\"}");
	te_buf_free(&b);

	/* A refusal from the router turns into the documented body. */
	assert_int_not_equal(te_wl_route("GET", "/modules", "bogus", &rt), TE_OK);
	assert_int_equal(te_wl_reply_error(&rt.status, &b), TE_OK);
	assert_string_equal((const char *)b.data, "{\"message\":\"invalid api-version\"}");
	te_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routes_positive), cmocka_unit_test(test_every_version_on_sign),
	    cmocka_unit_test(test_manifest_gate),   cmocka_unit_test(test_bad_version),
	    cmocka_unit_test(test_404_405),         cmocka_unit_test(test_hostile_paths),
	    cmocka_unit_test(test_sign_body),       cmocka_unit_test(test_sign_limits),
	    cmocka_unit_test(test_crypt_bodies),    cmocka_unit_test(test_crypt_oversize),
	    cmocka_unit_test(test_cert_bodies),     cmocka_unit_test(test_rfc3339),
	    cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
