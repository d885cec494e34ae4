/*
 * test_svc_certs.c - the certificates service API layer
 * (src/daemon/svc_certs.c):
 *   - routing: every route x method x api-version, 404 before 405 before
 *     api-version, certificate ids in the path, hostile paths;
 *   - bodies: the create body's forms (base64 DER, PEM text, base64 PEM,
 *     with and without issuer, issuer null), the import body, then for
 *     both parsers the wrong Content-Type (415), oversize (413), broken /
 *     duplicate-key / deeply nested JSON (422), non-object bodies (400),
 *     and every field missing, of the wrong type, or out of its bounds;
 *   - replies: {"pem"} and {"message"}, bounds and alphabet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/te_base64.h"
#include "daemon/svc_certs.h"

#define CT "application/json"
#define V  "2020-09-01"

/* A 128-character id, the longest there may be. */
#define ID128                                                                                      \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"                         \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char PEM_CERT[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
static const char PEM_CSR[] =
    "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";

/* ------------------------------------------------------------------ */
/* routing */

static te_svc_certs_route_t rt;

static te_err route(const char *method, const char *path, const char *ver)
{
	return te_svc_certs_route(method, path, ver, &rt);
}

static void expect_refused(te_err rc, int http, const char *msg)
{
	assert_int_not_equal(rc, TE_OK);
	assert_int_equal(rt.status.http_status, http);
	assert_int_equal(rt.id, TE_SVC_CERTS_ROUTE_NONE);
	assert_int_equal(rt.version, TE_SVC_CERTS_API_NONE);
	assert_string_equal(rt.cert_id, "");
	if (msg != NULL)
		assert_string_equal(rt.status.message, msg);
}

static void test_routes(void **state)
{
	static const struct {
		const char *method, *path;
		te_svc_certs_route_id id;
		const char *cert_id;
	} good[] = {
	    {"POST", "/certificates", TE_SVC_CERTS_ROUTE_CREATE, ""},
	    {"GET", "/certificates/aziot-edged-ca", TE_SVC_CERTS_ROUTE_GET, "aziot-edged-ca"},
	    {"PUT", "/certificates/a.b_C-1", TE_SVC_CERTS_ROUTE_IMPORT, "a.b_C-1"},
	    {"DELETE", "/certificates/x", TE_SVC_CERTS_ROUTE_DELETE, "x"},
	    {"GET", "/certificates/" ID128, TE_SVC_CERTS_ROUTE_GET, ID128},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&rt, 0x5a, sizeof(rt));
		assert_int_equal(route(good[i].method, good[i].path, V), TE_OK);
		assert_int_equal(rt.id, good[i].id);
		assert_int_equal(rt.version, TE_SVC_CERTS_API_2020_09_01);
		assert_string_equal(rt.cert_id, good[i].cert_id);
		assert_int_equal(rt.status.http_status, 0);
		assert_string_equal(rt.status.message, "");
	}
}

static void test_route_refusals(void **state)
{
	(void)state;
	/* 404: unknown paths, deeper paths, the collection of another name. */
	expect_refused(route("GET", "/", V), 404, "not found");
	expect_refused(route("GET", "/certificate/x", V), 404, "not found");
	expect_refused(route("GET", "/certificates/x/y", V), 404, "not found");
	expect_refused(route("GET", "/certificates/x/y/z/w", V), 404, "not found");
	expect_refused(route("POST", "/key", V), 404, "not found");
	/* 405: a known path, another method (before the api-version). */
	expect_refused(route("GET", "/certificates", NULL), 405, "method not allowed");
	expect_refused(route("PUT", "/certificates", V), 405, "method not allowed");
	expect_refused(route("DELETE", "/certificates", V), 405, "method not allowed");
	expect_refused(route("POST", "/certificates/x", V), 405, "method not allowed");
	expect_refused(route("get", "/certificates/x", V), 405, "method not allowed");
	expect_refused(route(NULL, "/certificates/x", V), 405, "method not allowed");
	/* 400 api-version: missing, other, the keys service's newer one. */
	expect_refused(route("GET", "/certificates/x", NULL), 400, "invalid api-version");
	expect_refused(route("GET", "/certificates/x", "2021-05-01"), 400, "invalid api-version");
	expect_refused(route("GET", "/certificates/x", ""), 400, "invalid api-version");
	expect_refused(route("GET", "/certificates/x", "2020-09-01 "), 400, "invalid api-version");
	/* 400 ids (after the api-version). */
	expect_refused(route("GET", "/certificates/.hidden", V), 400, NULL);
	assert_non_null(strstr(rt.status.message, "certificate id must be"));
	expect_refused(route("GET", "/certificates/" ID128 "a", V), 400, NULL);
	expect_refused(route("GET", "/certificates/a%2Fb", V), 400, NULL);
	expect_refused(route("GET", "/certificates/a+b", V), 400, NULL);
	expect_refused(route("DELETE", "/certificates/a:b", V), 400, NULL);
	/* 400 path syntax, before anything else. */
	expect_refused(route("GET", "/certificates/../x", V), 400,
	               "request path has an empty, '.' or '..' segment");
	expect_refused(route("GET", "/certificates//x", V), 400, NULL);
	expect_refused(route("GET", "/certificates/.", V), 400, NULL);
	expect_refused(route("GET", "/certificates/x/", V), 400, NULL);
	expect_refused(route("GET", "certificates", V), 400, "request path must start with '/'");
	expect_refused(route("GET", "", V), 400, NULL);
	expect_refused(route("GET", NULL, V), 400, "request path is missing");
	expect_refused(route("GET", "/certificates/a b", V), 400,
	               "request path contains a byte outside printable ASCII");
	expect_refused(route("GET", "/certificates/\xc3\xa9", V), 400, NULL);
	{
		char longp[TE_SVC_CERTS_PATH_MAX + 2];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		expect_refused(route("GET", longp, V), 400, "request path is too long");
	}
}

/* ------------------------------------------------------------------ */
/* bodies */

static te_svc_certs_create_req creq;
static te_svc_certs_import_req ireq;
static te_wl_status st;

static te_err create(const char *body)
{
	return te_svc_certs_parse_create(body, strlen(body), CT, &creq, &st);
}

static te_err import_(const char *body)
{
	return te_svc_certs_parse_import(body, strlen(body), CT, &ireq, &st);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void expect_create_refused(const char *body, int http, const char *msg)
{
	memset(&creq, 0x5a, sizeof(creq));
	assert_int_not_equal(create(body), TE_OK);
	assert_int_equal(st.http_status, http);
	if (strcmp(st.message, msg) != 0)
		fail_msg("body %.200s: message '%s', expected '%s'", body, st.message, msg);
	assert_true(all_zero(&creq, sizeof(creq)));
}

static void expect_import_refused(const char *body, int http, const char *msg)
{
	memset(&ireq, 0x5a, sizeof(ireq));
	assert_int_not_equal(import_(body), TE_OK);
	assert_int_equal(st.http_status, http);
	if (strcmp(st.message, msg) != 0)
		fail_msg("body %.200s: message '%s', expected '%s'", body, st.message, msg);
	assert_true(all_zero(&ireq, sizeof(ireq)));
}

/* JSON string escaping of PEM text (newlines). */
static char *json_escape(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *p = out;

	assert_non_null(out);
	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	return out;
}

static void test_create(void **state)
{
	static const uint8_t der[] = {0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef};
	te_buf b64;
	char body[4096];
	char *esc;

	(void)state;
	te_buf_init(&b64, 0);
	assert_int_equal(te_base64_encode(der, sizeof(der), &b64), TE_OK);
	/* base64 DER, no issuer. */
	snprintf(body, sizeof(body), "{\"certId\":\"test-c\",\"csr\":\"%s\"}", (char *)b64.data);
	assert_int_equal(create(body), TE_OK);
	assert_int_equal(st.http_status, 0);
	assert_string_equal(creq.cert_id, "test-c");
	assert_int_equal(creq.csr_len, sizeof(der));
	assert_memory_equal(creq.csr, der, sizeof(der));
	assert_int_equal(creq.has_issuer, 0);
	assert_string_equal(creq.issuer_cert_id, "");
	assert_string_equal(creq.issuer_key_handle, "");
	/* issuer null is no issuer; unknown members are ignored. */
	snprintf(body, sizeof(body),
	         "{\"certId\":\"test-c\",\"csr\":\"%s\",\"issuer\":null,\"extra\":[1,{}]}",
	         (char *)b64.data);
	assert_int_equal(create(body), TE_OK);
	assert_int_equal(creq.has_issuer, 0);
	/* With an issuer. */
	snprintf(body, sizeof(body),
	         "{\"certId\":\"test-c\",\"csr\":\"%s\",\"issuer\":{\"certId\":\"test-ca\","
	         "\"privateKeyHandle\":\"AbC-_9\"}}",
	         (char *)b64.data);
	assert_int_equal(create(body), TE_OK);
	assert_int_equal(creq.has_issuer, 1);
	assert_string_equal(creq.issuer_cert_id, "test-ca");
	assert_string_equal(creq.issuer_key_handle, "AbC-_9");
	/* The reference's form: the PEM text itself, kept as is. */
	esc = json_escape(PEM_CSR);
	snprintf(body, sizeof(body), "{\"certId\":\"" ID128 "\",\"csr\":\"%s\"}", esc);
	free(esc);
	assert_int_equal(create(body), TE_OK);
	assert_string_equal(creq.cert_id, ID128);
	assert_int_equal(creq.csr_len, strlen(PEM_CSR));
	assert_memory_equal(creq.csr, PEM_CSR, strlen(PEM_CSR));
	/* base64 of the PEM: decoded (the keys process parses PEM or DER). */
	b64.len = 0;
	assert_int_equal(te_base64_encode(PEM_CSR, strlen(PEM_CSR), &b64), TE_OK);
	snprintf(body, sizeof(body), "{\"certId\":\"c\",\"csr\":\"%s\"}", (char *)b64.data);
	assert_int_equal(create(body), TE_OK);
	assert_int_equal(creq.csr_len, strlen(PEM_CSR));
	te_buf_free(&b64);
}

static void test_create_refusals(void **state)
{
	char *big, *body;
	size_t n;

	(void)state;
	expect_create_refused("{\"csr\":\"AAAA\"}", 400, "missing field 'certId'");
	expect_create_refused("{\"certId\":7,\"csr\":\"AAAA\"}", 400,
	                      "field 'certId' must be a string");
	expect_create_refused(
	    "{\"certId\":\".x\",\"csr\":\"AAAA\"}", 400,
	    "field 'certId' must be 1 to 128 characters of [A-Za-z0-9._-], not starting with '.'");
	expect_create_refused("{\"certId\":\"\",\"csr\":\"AAAA\"}", 400,
	                      "field 'certId' must be 1 to 128 characters of [A-Za-z0-9._-], not "
	                      "starting with '.'");
	expect_create_refused("{\"certId\":\"" ID128 "b\",\"csr\":\"AAAA\"}", 400,
	                      "field 'certId' must be 1 to 128 characters of [A-Za-z0-9._-], not "
	                      "starting with '.'");
	/* jansson refuses \u0000 itself. */
	expect_create_refused("{\"certId\":\"a\\u0000b\",\"csr\":\"AAAA\"}", 422,
	                      "request body is not valid JSON");
	expect_create_refused("{\"certId\":\"c\"}", 400, "missing field 'csr'");
	expect_create_refused("{\"certId\":\"c\",\"csr\":null}", 400,
	                      "field 'csr' must be a string");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"\"}", 400,
	                      "field 'csr' must decode to 1 to 8192 bytes");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"AA=A\"}", 400,
	                      "field 'csr' must be base64 or PEM text");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"QQ\"}", 400,
	                      "field 'csr' must be base64 or PEM text");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"-----BEGIN x\\u0001\"}", 400,
	                      "field 'csr' must be base64 or PEM text");
	/* 8 KiB decoded at most; PEM text too. */
	n = te_base64_encoded_len(TE_SVC_CERTS_CSR_MAX + 3);
	big = malloc(n + 1);
	body = malloc(n + 64);
	assert_non_null(big);
	assert_non_null(body);
	memset(big, 'A', n);
	big[n] = '\0';
	snprintf(body, n + 64, "{\"certId\":\"c\",\"csr\":\"%s\"}", big);
	expect_create_refused(body, 400, "field 'csr' is too long");
	/* Exactly 8 KiB decoded (8192 = 3 * 2730 + 2: padded) passes. */
	n = te_base64_encoded_len(TE_SVC_CERTS_CSR_MAX);
	memset(big, 'A', n);
	big[n - 1] = '=';
	big[n] = '\0';
	snprintf(body, n + 64, "{\"certId\":\"c\",\"csr\":\"%s\"}", big);
	assert_int_equal(create(body), TE_OK);
	assert_int_equal(creq.csr_len, TE_SVC_CERTS_CSR_MAX);
	memcpy(big, "-----BEGIN", 10);
	memset(big + 10, 'A', TE_SVC_CERTS_CSR_MAX - 10 + 1);
	big[TE_SVC_CERTS_CSR_MAX + 1] = '\0';
	snprintf(body, n + 64, "{\"certId\":\"c\",\"csr\":\"%s\"}", big);
	expect_create_refused(body, 400, "field 'csr' is too long");
	big[TE_SVC_CERTS_CSR_MAX] = '\0';
	snprintf(body, n + 64, "{\"certId\":\"c\",\"csr\":\"%s\"}", big);
	assert_int_equal(create(body), TE_OK);
	free(big);
	free(body);
	/* The issuer. */
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":\"ca\"}", 400,
	                      "field 'issuer' must be an object");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":{}}", 400,
	                      "missing field 'issuer.certId'");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":{\"certId\":\"ca\"}}",
	                      400, "missing field 'issuer.privateKeyHandle'");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":{\"certId\":\"a/b\","
	                      "\"privateKeyHandle\":\"h\"}}",
	                      400,
	                      "field 'issuer.certId' must be 1 to 128 characters of "
	                      "[A-Za-z0-9._-], not starting with '.'");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":{\"certId\":\"ca\","
	                      "\"privateKeyHandle\":\"\"}}",
	                      400, "field 'issuer.privateKeyHandle' is not a key handle");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":{\"certId\":\"ca\","
	                      "\"privateKeyHandle\":\"a+b=\"}}",
	                      400, "field 'issuer.privateKeyHandle' is not a key handle");
	expect_create_refused("{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":{\"certId\":\"ca\","
	                      "\"privateKeyHandle\":1}}",
	                      400, "field 'issuer.privateKeyHandle' must be a string");
	{
		char h[TE_KEYHANDLE_TEXT_MAX + 2], b[TE_KEYHANDLE_TEXT_MAX + 200];

		memset(h, 'h', sizeof(h) - 1);
		h[sizeof(h) - 1] = '\0';
		snprintf(b, sizeof(b),
		         "{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":{\"certId\":\"ca\","
		         "\"privateKeyHandle\":\"%s\"}}",
		         h);
		expect_create_refused(b, 400,
		                      "field 'issuer.privateKeyHandle' is not a key handle");
		h[TE_KEYHANDLE_TEXT_MAX] = '\0';
		snprintf(b, sizeof(b),
		         "{\"certId\":\"c\",\"csr\":\"AAAA\",\"issuer\":{\"certId\":\"ca\","
		         "\"privateKeyHandle\":\"%s\"}}",
		         h);
		assert_int_equal(create(b), TE_OK);
		assert_int_equal(strlen(creq.issuer_key_handle), TE_KEYHANDLE_TEXT_MAX);
	}
}

static void test_import(void **state)
{
	char body[512];
	char *esc = json_escape(PEM_CERT);

	(void)state;
	snprintf(body, sizeof(body), "{\"pem\":\"%s\",\"more\":1}", esc);
	free(esc);
	assert_int_equal(import_(body), TE_OK);
	assert_int_equal(st.http_status, 0);
	assert_int_equal(ireq.pem_len, strlen(PEM_CERT));
	assert_string_equal(ireq.pem, PEM_CERT);
	/* CRLF and tabs are text too. */
	assert_int_equal(import_("{\"pem\":\"\\t-----BEGIN CERTIFICATE-----\\r\\nx\\r\\n\"}"),
	                 TE_OK);

	expect_import_refused("{}", 400, "missing field 'pem'");
	expect_import_refused("{\"pem\":[]}", 400, "field 'pem' must be a string");
	expect_import_refused("{\"pem\":\"\"}", 400, "field 'pem' must be 1 to 24576 characters");
	expect_import_refused("{\"pem\":\"hello\"}", 400, "field 'pem' must be PEM certificates");
	expect_import_refused("{\"pem\":\"-----BEGIN CERTIFICATE REQUEST-----\"}", 400,
	                      "field 'pem' must be PEM certificates");
	expect_import_refused("{\"pem\":\"-----BEGIN CERTIFICATE-----\\u0001\"}", 400,
	                      "field 'pem' must be PEM certificates");
	expect_import_refused("{\"pem\":\"-----BEGIN CERTIFICATE-----\\u00e9\"}", 400,
	                      "field 'pem' must be PEM certificates");
	{
		size_t n = TE_SVC_CERTS_PEM_MAX + 1;
		char *b = malloc(n + 32);

		assert_non_null(b);
		memcpy(b, "{\"pem\":\"-----BEGIN CERTIFICATE-----", 35);
		memset(b + 35, 'A', n - 27);
		memcpy(b + 35 + n - 27, "\"}", 3);
		expect_import_refused(b, 400, "field 'pem' must be 1 to 24576 characters");
		/* One less: the maximum. */
		memcpy(b + 35 + n - 28, "\"}", 3);
		assert_int_equal(import_(b), TE_OK);
		assert_int_equal(ireq.pem_len, TE_SVC_CERTS_PEM_MAX);
		free(b);
	}
}

/* What every body parser refuses alike. */
static void test_bodies_common(void **state)
{
	static const char ok[] = "{\"certId\":\"c\",\"csr\":\"AAAA\",\"pem\":\"-----BEGIN "
	                         "CERTIFICATE-----\"}";
	char *big;
	char deep[64];

	(void)state;
	for (int which = 0; which < 2; which++) {
		te_err rc;
#define PARSE(body, len, ct)                                                                       \
	(which == 0 ? te_svc_certs_parse_create((body), (len), (ct), &creq, &st)                   \
	            : te_svc_certs_parse_import((body), (len), (ct), &ireq, &st))

		assert_int_equal(PARSE(ok, strlen(ok), CT), TE_OK);
		assert_int_equal(PARSE(ok, strlen(ok), "application/json; charset=utf-8"), TE_OK);
		assert_int_equal(PARSE(ok, strlen(ok), " Application/JSON"), TE_OK);
		rc = PARSE(ok, strlen(ok), NULL);
		assert_int_equal(rc, TE_ERR_UNSUPPORTED);
		assert_int_equal(st.http_status, 415);
		assert_string_equal(st.message, "request body must be application/json");
		rc = PARSE(ok, strlen(ok), "text/plain");
		assert_int_equal(st.http_status, 415);
		rc = PARSE(ok, strlen(ok), "application/jsonx");
		assert_int_equal(st.http_status, 415);
		big = malloc(TE_SVC_CERTS_BODY_MAX + 1);
		assert_non_null(big);
		memset(big, ' ', TE_SVC_CERTS_BODY_MAX + 1);
		big[0] = '{';
		big[TE_SVC_CERTS_BODY_MAX] = '}';
		rc = PARSE(big, TE_SVC_CERTS_BODY_MAX + 1, CT);
		assert_int_equal(rc, TE_ERR_BUFFER_TOO_SMALL);
		assert_int_equal(st.http_status, 413);
		assert_string_equal(st.message, "request body is larger than 32768 bytes");
		free(big);
		rc = PARSE(NULL, 0, CT);
		assert_int_equal(st.http_status, 422);
		rc = PARSE("{\"certId\":", 10, CT);
		assert_int_equal(rc, TE_ERR_MALFORMED);
		assert_int_equal(st.http_status, 422);
		assert_string_equal(st.message, "request body is not valid JSON");
		rc = PARSE("{\"pem\":\"a\",\"pem\":\"b\"}", 21, CT);
		assert_int_equal(st.http_status, 422);
		rc = PARSE("{\"certId\":\"c\",\"x\":{\"a\":1,\"a\":2}}", 32, CT);
		assert_int_equal(st.http_status, 422);
		memset(deep, '[', sizeof(deep));
		rc = PARSE(deep, TE_SVC_CERTS_JSON_DEPTH_MAX + 1, CT);
		assert_int_equal(st.http_status, 422);
		assert_string_equal(st.message, "request body is nested too deeply");
		rc = PARSE("[1]", 3, CT);
		assert_int_equal(rc, TE_ERR_INVALID_ARG);
		assert_int_equal(st.http_status, 400);
		assert_string_equal(st.message, "request body must be a JSON object");
		/* A bare string is no JSON text to jansson. */
		rc = PARSE("\"x\"", 3, CT);
		assert_int_equal(st.http_status, 422);
		(void)rc;
#undef PARSE
	}
}

/* ------------------------------------------------------------------ */
/* replies */

static void test_replies(void **state)
{
	te_buf json;
	te_wl_status es = {403, "the caller may not use this certificate"};
	char *big;

	(void)state;
	te_buf_init(&json, 0);
	assert_int_equal(te_svc_certs_reply_pem(PEM_CERT, strlen(PEM_CERT), &json), TE_OK);
	assert_string_equal((char *)json.data,
	                    "{\"pem\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END "
	                    "CERTIFICATE-----\\n\"}");
	json.len = 0;
	assert_int_equal(te_svc_certs_reply_error(&es, &json), TE_OK);
	assert_string_equal((char *)json.data,
	                    "{\"message\":\"the caller may not use this certificate\"}");
	json.len = 0;
	/* Bounds and alphabet: refused, json left as it was. */
	assert_int_equal(te_svc_certs_reply_pem("", 0, &json), TE_ERR_INVALID_ARG);
	assert_int_equal(te_svc_certs_reply_pem("a\0b", 3, &json), TE_ERR_INVALID_ARG);
	assert_int_equal(te_svc_certs_reply_pem("\xc3\xa9", 2, &json), TE_ERR_INVALID_ARG);
	big = malloc(TE_SVC_CERTS_PEM_MAX + 1);
	assert_non_null(big);
	memset(big, 'A', TE_SVC_CERTS_PEM_MAX + 1);
	assert_int_equal(te_svc_certs_reply_pem(big, TE_SVC_CERTS_PEM_MAX + 1, &json),
	                 TE_ERR_INVALID_ARG);
	assert_int_equal(json.len, 0);
	assert_int_equal(te_svc_certs_reply_pem(big, TE_SVC_CERTS_PEM_MAX, &json), TE_OK);
	assert_int_equal(json.len, TE_SVC_CERTS_PEM_MAX + strlen("{\"pem\":\"\"}"));
	free(big);
	te_buf_free(&json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routes),  cmocka_unit_test(test_route_refusals),
	    cmocka_unit_test(test_create),  cmocka_unit_test(test_create_refusals),
	    cmocka_unit_test(test_import),  cmocka_unit_test(test_bodies_common),
	    cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
