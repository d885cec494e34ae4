/*
 * test_uri.c - the RFC 7512 parser (src/hsm/pkcs11_uri.c): what it
 * accepts and decodes, and every kind of input it must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hsm/pkcs11_uri.h"

static te_err parse(const char *s, te_p11_uri *u)
{
	return te_p11_uri_parse(s, strlen(s), u);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* Refused as a bad name, with nothing left in the output and a detail
 * that mentions `hint`. */
static void refused(const char *s, const char *hint)
{
	te_p11_uri u;
	te_err rc;

	memset(&u, 0x5a, sizeof(u));
	rc = parse(s, &u);
	if (rc != TE_ERR_BAD_NAME)
		fail_msg("\"%s\": %s (%s), expected TE_ERR_BAD_NAME", s, te_err_name(rc),
		         te_err_detail());
	assert_true(all_zero(&u, sizeof(u)));
	if (hint != NULL && strstr(te_err_detail(), hint) == NULL)
		fail_msg("\"%s\": detail \"%s\" does not mention \"%s\"", s, te_err_detail(), hint);
}

static void test_basic(void **state)
{
	te_p11_uri u;

	(void)state;
	assert_int_equal(parse("pkcs11:token=te;object=dev-key;type=private", &u), TE_OK);
	assert_int_equal(u.present, TE_P11_URI_TOKEN | TE_P11_URI_OBJECT | TE_P11_URI_TYPE);
	assert_string_equal(u.token, "te");
	assert_string_equal(u.object, "dev-key");
	assert_int_equal(u.object_len, 7);
	assert_int_equal(u.type, TE_P11_URI_TYPE_PRIVATE);
	assert_string_equal(te_p11_uri_type_name(u.type), "private");

	/* The scheme is case-insensitive, as every URI scheme. */
	assert_int_equal(parse("PKCS11:object=a", &u), TE_OK);
	assert_string_equal(u.object, "a");

	/* An empty path is a valid URI (it names nothing in particular). */
	assert_int_equal(parse("pkcs11:", &u), TE_OK);
	assert_int_equal(u.present, 0);
}

static void test_percent(void **state)
{
	te_p11_uri u;
	static const uint8_t id[] = {0x01, 0x02, 0x00, 0xff, 0xab};

	(void)state;
	assert_int_equal(parse("pkcs11:id=%01%02%00%FF%ab;type=private", &u), TE_OK);
	assert_int_equal(u.id_len, sizeof(id));
	assert_memory_equal(u.id, id, sizeof(id));
	assert_int_equal(parse("pkcs11:object=my%20key%2Fx%3b", &u), TE_OK);
	assert_string_equal(u.object, "my key/x;");
	/* Decoded UTF-8 is kept as bytes. */
	assert_int_equal(parse("pkcs11:object=caf%C3%A9", &u), TE_OK);
	assert_string_equal(u.object, "caf\xc3\xa9");
	/* '=', '&', ':' and '@' are allowed as they are in path values. */
	assert_int_equal(parse("pkcs11:object=a=b&c:d@e", &u), TE_OK);
	assert_string_equal(u.object, "a=b&c:d@e");
}

static void test_every_path_attribute(void **state)
{
	te_p11_uri u;

	(void)state;
	assert_int_equal(parse("pkcs11:token=T;manufacturer=M;serial=0123456789abcdef;model=Mo;"
	                       "library-manufacturer=LM;library-description=LD;"
	                       "library-version=2.6;object=O;type=secret-key;id=%42;"
	                       "slot-manufacturer=SM;slot-description=SD;slot-id=963181750",
	                       &u),
	                 TE_OK);
	assert_int_equal(u.present, (1u << 13) - 1);
	assert_string_equal(u.token, "T");
	assert_string_equal(u.manufacturer, "M");
	assert_string_equal(u.serial, "0123456789abcdef");
	assert_string_equal(u.model, "Mo");
	assert_string_equal(u.lib_manufacturer, "LM");
	assert_string_equal(u.lib_description, "LD");
	assert_int_equal(u.lib_major, 2);
	assert_int_equal(u.lib_minor, 6);
	assert_string_equal(u.object, "O");
	assert_int_equal(u.type, TE_P11_URI_TYPE_SECRET_KEY);
	assert_int_equal(u.id_len, 1);
	assert_int_equal(u.id[0], 0x42);
	assert_string_equal(u.slot_manufacturer, "SM");
	assert_string_equal(u.slot_description, "SD");
	assert_int_equal(u.slot_id, 963181750ul);

	assert_int_equal(parse("pkcs11:library-version=3", &u), TE_OK);
	assert_int_equal(u.lib_major, 3);
	assert_int_equal(u.lib_minor, 0);
	for (int t = TE_P11_URI_TYPE_PUBLIC; t <= TE_P11_URI_TYPE_DATA; t++) {
		char s[64];

		snprintf(s, sizeof(s), "pkcs11:type=%s", te_p11_uri_type_name((te_p11_uri_type)t));
		assert_int_equal(parse(s, &u), TE_OK);
		assert_int_equal(u.type, t);
	}
}

static void test_limits(void **state)
{
	char s[TE_P11_URI_MAX + 64];
	te_p11_uri u;
	size_t n;

	(void)state;
	/* The longest token label (32) and object label (256) fit ... */
	n = (size_t)snprintf(s, sizeof(s), "pkcs11:token=");
	memset(s + n, 't', 32);
	s[n + 32] = '\0';
	assert_int_equal(parse(s, &u), TE_OK);
	assert_int_equal(strlen(u.token), 32);
	n = (size_t)snprintf(s, sizeof(s), "pkcs11:object=");
	memset(s + n, 'o', TE_P11_URI_OBJECT_MAX);
	s[n + TE_P11_URI_OBJECT_MAX] = '\0';
	assert_int_equal(parse(s, &u), TE_OK);
	assert_int_equal(u.object_len, TE_P11_URI_OBJECT_MAX);
	/* ... one more byte does not. */
	s[n + TE_P11_URI_OBJECT_MAX] = 'o';
	s[n + TE_P11_URI_OBJECT_MAX + 1] = '\0';
	refused(s, "longer than");
	n = (size_t)snprintf(s, sizeof(s), "pkcs11:token=");
	memset(s + n, 't', 33);
	s[n + 33] = '\0';
	refused(s, "'token' is longer");
	refused("pkcs11:serial=0123456789abcdefX", "'serial' is longer");
	/* A percent-encoded byte counts once. */
	n = (size_t)snprintf(s, sizeof(s), "pkcs11:model=");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%%41");
	assert_int_equal(parse(s, &u), TE_OK);
	assert_string_equal(u.model, "AAAAAAAAAAAAAAAA");

	/* The whole URI is bounded: 1024 bytes pass the length check, 1025 do
	 * not (whatever the content). */
	memset(s, 'a', sizeof(s));
	memcpy(s, "pkcs11:object=", 14);
	s[TE_P11_URI_MAX] = '\0';
	refused(s, "longer than"); /* the object value is too long */
	s[TE_P11_URI_MAX] = 'a';
	s[TE_P11_URI_MAX + 1] = '\0';
	refused(s, "1025 bytes");
	/* The length given is what is parsed, not up to a NUL. */
	assert_int_equal(te_p11_uri_parse("pkcs11:object=abcdef", 17, &u), TE_OK);
	assert_string_equal(u.object, "abc");
}

static void test_bad_percent(void **state)
{
	(void)state;
	refused("pkcs11:object=a%", "percent-encoding");
	refused("pkcs11:object=a%2", "percent-encoding");
	refused("pkcs11:object=a%zz", "percent-encoding");
	refused("pkcs11:object=a%2g", "percent-encoding");
	refused("pkcs11:object=%%41", "percent-encoding");
	refused("pkcs11:id=%0", "percent-encoding");
	/* A NUL byte cannot be part of a label (it can of an id). */
	refused("pkcs11:token=a%00b", "NUL");
	refused("pkcs11:object=a%00", "NUL");
}

static void test_bad_characters(void **state)
{
	(void)state;
	refused("pkcs11:object=a b", "not allowed in a value");
	refused("pkcs11:object=a/b", "not allowed in a value");
	refused("pkcs11:object=a\"b", "not allowed in a value");
	refused("pkcs11:object=a#b", "not allowed in a value");
	refused("pkcs11:object=caf\xc3\xa9", "not allowed in a value");
	refused("pkcs11:object=a\nb", "not allowed in a value");
	refused("pkcs11:ob ject=a", "attribute name");
	refused("pkcs11:obj%65ct=a", "attribute name");
}

static void test_unknown_and_duplicate(void **state)
{
	(void)state;
	refused("pkcs11:foo=bar", "unknown attribute 'foo'");
	refused("pkcs11:Object=a", "unknown attribute 'Object'");
	refused("pkcs11:x-vendor=1", "vendor attribute");
	refused("pkcs11:object=a;object=b", "appears twice");
	refused("pkcs11:id=%01;type=private;id=%02", "appears twice");
	refused("pkcs11:type=key", "unknown 'type'");
	refused("pkcs11:slot-id=abc", "decimal");
	refused("pkcs11:slot-id=-1", "decimal");
	refused("pkcs11:slot-id=99999999999999999999", "range");
	refused("pkcs11:library-version=1.x", "decimal");
	refused("pkcs11:library-version=.", "decimal");
	refused("pkcs11:library-version=256", "range");
}

static void test_empty(void **state)
{
	(void)state;
	refused("", "pkcs11:");
	refused("pkcs11", "pkcs11:");
	refused("pkcs12:object=a", "pkcs11:");
	refused("object=a", "pkcs11:");
	refused("pkcs11:;", "empty attribute");
	refused("pkcs11:;object=a", "empty attribute");
	refused("pkcs11:object=a;;type=private", "empty attribute");
	refused("pkcs11:object=a;", "separates nothing");
	refused("pkcs11:object=", "empty value");
	refused("pkcs11:object=;type=private", "empty value");
	refused("pkcs11:=a", "without a name");
	refused("pkcs11:object", "no '=value'");
	refused("pkcs11:object=a?", "empty query");
	refused("pkcs11:?", "no '=value'");
}

static void test_query(void **state)
{
	(void)state;
	/* A PIN in a key name is refused, and never repeated in the message. */
	refused("pkcs11:object=a?pin-value=secret1234", "pin-value");
	assert_null(strstr(te_err_detail(), "secret1234"));
	refused("pkcs11:object=a?pin-source=file:/etc/pin", "pin-source");
	assert_null(strstr(te_err_detail(), "/etc/pin"));
	refused("pkcs11:?pin-value=1", "pin-value");
	refused("pkcs11:object=a?module-path=/usr/lib/x.so", "module' setting");
	refused("pkcs11:object=a?module-name=softhsm2", "module' setting");
	refused("pkcs11:object=a?foo=bar", "unknown query attribute 'foo'");
	/* Path attributes do not belong in the query, nor query ones in the
	 * path. */
	refused("pkcs11:object=a?object=b", "unknown query attribute 'object'");
	refused("pkcs11:pin-value=1234", "unknown attribute 'pin-value'");
	refused("pkcs11:module-path=/x", "unknown attribute 'module-path'");
	/* Bad bytes in a refused value are still reported as such. */
	refused("pkcs11:object=a?pin-value=%zz", "percent-encoding");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_percent),
	    cmocka_unit_test(test_every_path_attribute),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_bad_percent),
	    cmocka_unit_test(test_bad_characters),
	    cmocka_unit_test(test_unknown_and_duplicate),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests_name("pkcs11.uri", tests, NULL, NULL);
}
