/*
 * pkcs11_uri.c - RFC 7512 "pkcs11:" URI parser (see pkcs11_uri.h).
 *
 * The URI is untrusted text: it is read byte by byte through a bounded
 * cursor, every byte is checked against the character sets of RFC 7512's
 * grammar, and each value is percent-decoded into a buffer of the size of
 * the PKCS#11 field it will be compared with.  Messages name attributes
 * and offsets but never echo values, which may hold a PIN (pin-value).
 */
#include "hsm/pkcs11_uri.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "common/te_cursor.h"
#include "trustedge/te_mem.h"

#define SCHEME       "pkcs11:"
#define SCHEME_LEN   7
#define NAME_MAX_LEN 32

typedef enum value_kind {
	V_TEXT,    /* UTF-8 text without NUL, into a char field */
	V_OBJECT,  /* CKA_LABEL */
	V_ID,      /* binary CKA_ID */
	V_TYPE,    /* public | private | cert | secret-key | data */
	V_SLOT_ID, /* decimal CK_SLOT_ID */
	V_VERSION, /* major[.minor] */
} value_kind;

typedef struct attr_def {
	const char *name;
	uint32_t bit;
	value_kind kind;
	size_t off; /* V_TEXT: field offset in te_p11_uri */
	size_t max; /* V_TEXT: bytes the field holds before its NUL */
} attr_def;

#define TEXT(n, bit, field)                                                                        \
	{                                                                                          \
		n, bit, V_TEXT, offsetof(te_p11_uri, field), sizeof(((te_p11_uri *)0)->field) - 1  \
	}

/* RFC 7512 section 2.3, path attributes. */
static const attr_def path_attrs[] = {
    TEXT("token", TE_P11_URI_TOKEN, token),
    TEXT("manufacturer", TE_P11_URI_MANUFACTURER, manufacturer),
    TEXT("serial", TE_P11_URI_SERIAL, serial),
    TEXT("model", TE_P11_URI_MODEL, model),
    TEXT("library-manufacturer", TE_P11_URI_LIB_MANUFACTURER, lib_manufacturer),
    TEXT("library-description", TE_P11_URI_LIB_DESCRIPTION, lib_description),
    {"library-version", TE_P11_URI_LIB_VERSION, V_VERSION, 0, 0},
    {"object", TE_P11_URI_OBJECT, V_OBJECT, 0, 0},
    {"type", TE_P11_URI_TYPE, V_TYPE, 0, 0},
    {"id", TE_P11_URI_ID, V_ID, 0, 0},
    TEXT("slot-manufacturer", TE_P11_URI_SLOT_MANUFACTURER, slot_manufacturer),
    TEXT("slot-description", TE_P11_URI_SLOT_DESCRIPTION, slot_description),
    {"slot-id", TE_P11_URI_SLOT_ID, V_SLOT_ID, 0, 0},
};

#define N_PATH_ATTRS (sizeof(path_attrs) / sizeof(path_attrs[0]))

/* Query attributes RFC 7512 defines, each refused with its reason. */
static const struct {
	const char *name;
	const char *why;
} query_refused[] = {
    {"pin-value", "a PIN in a key reference is not accepted; set pin, pin_file or pin_env "
                  "in the pkcs11 backend settings"},
    {"pin-source", "the PIN comes from the pkcs11 backend settings (pin, pin_file or "
                   "pin_env), not from a key reference"},
    {"module-name", "the PKCS#11 module is the pkcs11 backend's 'module' setting, not part "
                    "of a key reference"},
    {"module-path", "the PKCS#11 module is the pkcs11 backend's 'module' setting, not part "
                    "of a key reference"},
};

static const struct {
	const char *name;
	te_p11_uri_type type;
} type_names[] = {
    {"public", TE_P11_URI_TYPE_PUBLIC}, {"private", TE_P11_URI_TYPE_PRIVATE},
    {"cert", TE_P11_URI_TYPE_CERT},     {"secret-key", TE_P11_URI_TYPE_SECRET_KEY},
    {"data", TE_P11_URI_TYPE_DATA},
};

const char *te_p11_uri_type_name(te_p11_uri_type type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "";
}

static int is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* pk11-pchar (in_query 0) or pk11-qchar (1), without pct-encoded. */
static int is_value_char(uint8_t c, int in_query)
{
	if (is_alpha(c) || is_digit(c) || strchr("-._~", c) != NULL)
		return c != '\0';
	if (c != '\0' && strchr(":[]@!$'()*+,=", c) != NULL)
		return 1;
	if (in_query)
		return c != '\0' && strchr("/?|", c) != NULL;
	return c == '&';
}

static int is_separator(uint8_t c, int in_query)
{
	return in_query ? c == '&' : c == ';' || c == '?';
}

typedef struct parser {
	te_cursor cur;
	int in_query;
	uint32_t seen_query; /* bit per query_refused entry, for duplicates */
} parser;

static size_t pos_of(const parser *p)
{
	return SCHEME_LEN + te_cursor_offset(&p->cur);
}

/* Reads an attribute name up to and including '='. */
static te_err read_name(parser *p, char name[NAME_MAX_LEN + 1])
{
	size_t n = 0, start = pos_of(p);
	uint8_t c = 0;

	for (;;) {
		if (te_cursor_remaining(&p->cur) == 0)
			return te_err_set(TE_ERR_BAD_NAME,
			                  "pkcs11 URI: attribute at offset %zu has no '=value'",
			                  start);
		if (te_cursor_u8(&p->cur, &c) != TE_OK)
			return TE_ERR_INTERNAL;
		if (c == '=')
			break;
		if (c == '?' && !p->in_query && n == 0 && start == SCHEME_LEN) {
			/* "pkcs11:?..." : an empty path, then the query. */
			p->in_query = 1;
			start = pos_of(p);
			continue;
		}
		if (is_separator(c, p->in_query) || c == '&' || c == ';') {
			if (n == 0)
				return te_err_set(TE_ERR_BAD_NAME,
				                  "pkcs11 URI: empty attribute at offset %zu",
				                  start);
			return te_err_set(TE_ERR_BAD_NAME,
			                  "pkcs11 URI: attribute at offset %zu has no '=value'",
			                  start);
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_')
			return te_err_set(
			    TE_ERR_BAD_NAME,
			    "pkcs11 URI: character 0x%02x at offset %zu is not allowed "
			    "in an attribute name",
			    c, pos_of(p) - 1);
		if (n == NAME_MAX_LEN)
			return te_err_set(TE_ERR_BAD_NAME,
			                  "pkcs11 URI: attribute name at offset %zu is too long",
			                  start);
		name[n++] = (char)c;
	}
	if (n == 0)
		return te_err_set(TE_ERR_BAD_NAME, "pkcs11 URI: '=' without a name at offset %zu",
		                  start);
	name[n] = '\0';
	return TE_OK;
}

/*
 * Reads and percent-decodes a value up to a separator or the end; *sep is
 * the separator read (0 at the end).  At most max bytes are decoded into
 * out; a longer value is refused.
 */
static te_err read_value(parser *p, const char *name, uint8_t *out, size_t max, size_t *len,
                         uint8_t *sep)
{
	size_t n = 0, start = pos_of(p);
	uint8_t c = 0, h1 = 0, h2 = 0;

	*sep = 0;
	while (te_cursor_remaining(&p->cur) > 0) {
		if (te_cursor_u8(&p->cur, &c) != TE_OK)
			return TE_ERR_INTERNAL;
		if (is_separator(c, p->in_query)) {
			*sep = c;
			break;
		}
		if (c == '%') {
			size_t at = pos_of(p) - 1;

			if (te_cursor_remaining(&p->cur) < 2 ||
			    te_cursor_u8(&p->cur, &h1) != TE_OK ||
			    te_cursor_u8(&p->cur, &h2) != TE_OK || hex_value(h1) < 0 ||
			    hex_value(h2) < 0)
				return te_err_set(TE_ERR_BAD_NAME,
				                  "pkcs11 URI: bad percent-encoding at offset %zu "
				                  "(want %% and two hex digits)",
				                  at);
			c = (uint8_t)(hex_value(h1) << 4 | hex_value(h2));
		} else if (!is_value_char(c, p->in_query)) {
			return te_err_set(
			    TE_ERR_BAD_NAME,
			    "pkcs11 URI: character 0x%02x at offset %zu is not allowed "
			    "in a value (percent-encode it)",
			    c, pos_of(p) - 1);
		}
		if (n == max)
			return te_err_set(TE_ERR_BAD_NAME,
			                  "pkcs11 URI: value of '%s' is longer than %zu bytes",
			                  name, max);
		out[n++] = c;
	}
	if (n == 0)
		return te_err_set(TE_ERR_BAD_NAME,
		                  "pkcs11 URI: attribute '%s' at offset %zu has an empty value",
		                  name, start);
	*len = n;
	return TE_OK;
}

static te_err parse_decimal(const char *name, const uint8_t *v, size_t len, unsigned long max,
                            unsigned long *out)
{
	unsigned long x = 0;

	if (len == 0 || len > 20)
		return te_err_set(TE_ERR_BAD_NAME, "pkcs11 URI: '%s' is not a decimal number",
		                  name);
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(v[i]))
			return te_err_set(TE_ERR_BAD_NAME,
			                  "pkcs11 URI: '%s' is not a decimal number", name);
		if (x > (max - (unsigned long)(v[i] - '0')) / 10)
			return te_err_set(TE_ERR_BAD_NAME, "pkcs11 URI: '%s' is out of range",
			                  name);
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	*out = x;
	return TE_OK;
}

static te_err store_version(te_p11_uri *u, const uint8_t *v, size_t len)
{
	te_err rc = TE_OK;
	const uint8_t *dot = memchr(v, '.', len);
	size_t major_len = dot != NULL ? (size_t)(dot - v) : len;
	unsigned long major = 0, minor = 0;

	TE_GUARD(parse_decimal("library-version", v, major_len, 255, &major));
	if (dot != NULL)
		TE_GUARD(
		    parse_decimal("library-version", dot + 1, len - major_len - 1, 255, &minor));
	u->lib_major = (unsigned)major;
	u->lib_minor = (unsigned)minor;
out:
	return rc;
}

static te_err store_type(te_p11_uri *u, const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strlen(type_names[i].name) == len && memcmp(type_names[i].name, v, len) == 0) {
			u->type = type_names[i].type;
			return TE_OK;
		}
	}
	return te_err_set(TE_ERR_BAD_NAME,
	                  "pkcs11 URI: unknown 'type' (one of public, private, cert, secret-key, "
	                  "data)");
}

static te_err store_text(te_p11_uri *u, const attr_def *a, const uint8_t *v, size_t len)
{
	char *field = (char *)u + a->off;

	if (memchr(v, '\0', len) != NULL)
		return te_err_set(TE_ERR_BAD_NAME, "pkcs11 URI: '%s' contains a NUL byte (%%00)",
		                  a->name);
	memcpy(field, v, len);
	field[len] = '\0';
	return TE_OK;
}

/* Decodes the value of path attribute a into u. */
static te_err path_attr_read(parser *p, te_p11_uri *u, const attr_def *a, uint8_t *sep)
{
	te_err rc = TE_OK;
	uint8_t buf[TE_P11_URI_MAX];
	size_t len = 0, max = sizeof(buf);

	if (a->kind == V_TEXT)
		max = a->max;
	else if (a->kind == V_OBJECT)
		max = TE_P11_URI_OBJECT_MAX;
	else if (a->kind == V_ID)
		max = TE_P11_URI_ID_MAX;
	TE_GUARD(read_value(p, a->name, buf, max, &len, sep));
	switch (a->kind) {
	case V_TEXT:
		TE_GUARD(store_text(u, a, buf, len));
		break;
	case V_OBJECT:
		TE_ENSURE(memchr(buf, '\0', len) == NULL, TE_ERR_BAD_NAME,
		          "pkcs11 URI: 'object' contains a NUL byte (%%00)");
		memcpy(u->object, buf, len);
		u->object[len] = '\0';
		u->object_len = len;
		break;
	case V_ID:
		memcpy(u->id, buf, len);
		u->id_len = len;
		break;
	case V_TYPE:
		TE_GUARD(store_type(u, buf, len));
		break;
	case V_SLOT_ID:
		TE_GUARD(parse_decimal("slot-id", buf, len, ~0UL, &u->slot_id));
		break;
	case V_VERSION:
		TE_GUARD(store_version(u, buf, len));
		break;
	default:
		rc = te_err_set(TE_ERR_INTERNAL, "pkcs11 URI: attribute kind %d", (int)a->kind);
		break;
	}
out:
	te_memzero(buf, len);
	return rc;
}

static te_err path_attr(parser *p, te_p11_uri *u, const char *name, uint8_t *sep)
{
	for (size_t i = 0; i < N_PATH_ATTRS; i++) {
		const attr_def *a = &path_attrs[i];

		if (strcmp(a->name, name) != 0)
			continue;
		if (u->present & a->bit)
			return te_err_set(TE_ERR_BAD_NAME,
			                  "pkcs11 URI: attribute '%s' appears twice", name);
		u->present |= a->bit;
		return path_attr_read(p, u, a, sep);
	}
	if (strncmp(name, "x-", 2) == 0)
		return te_err_set(TE_ERR_BAD_NAME,
		                  "pkcs11 URI: vendor attribute '%s' is not supported", name);
	return te_err_set(TE_ERR_BAD_NAME,
	                  "pkcs11 URI: unknown attribute '%s' (known: token, manufacturer, serial, "
	                  "model, library-manufacturer, library-description, library-version, "
	                  "object, type, id, slot-manufacturer, slot-description, slot-id)",
	                  name);
}

/* Query attributes are all refused, each with the reason; the value is
 * consumed (to tell a duplicate from a bad one) and wiped, never shown. */
static te_err query_attr(parser *p, const char *name)
{
	uint8_t buf[TE_P11_URI_MAX], sep = 0;
	size_t len = 0;
	te_err rc;

	for (size_t i = 0; i < sizeof(query_refused) / sizeof(query_refused[0]); i++) {
		if (strcmp(query_refused[i].name, name) != 0)
			continue;
		if (p->seen_query & (1u << i))
			return te_err_set(TE_ERR_BAD_NAME,
			                  "pkcs11 URI: attribute '%s' appears twice", name);
		rc = read_value(p, name, buf, sizeof(buf), &len, &sep);
		te_memzero(buf, sizeof(buf));
		if (rc != TE_OK)
			return rc;
		return te_err_set(TE_ERR_BAD_NAME, "pkcs11 URI: query attribute '%s' refused: %s",
		                  name, query_refused[i].why);
	}
	return te_err_set(TE_ERR_BAD_NAME,
	                  "pkcs11 URI: unknown query attribute '%s' (trustedge accepts none)",
	                  name);
}

te_err te_p11_uri_parse(const char *uri, size_t len, te_p11_uri *out)
{
	te_err rc = TE_OK;
	parser p;
	te_p11_uri *u = out;
	char name[NAME_MAX_LEN + 1];
	uint8_t sep = 0;

	memset(u, 0, sizeof(*u));
	memset(&p, 0, sizeof(p));
	TE_ENSURE(uri != NULL, TE_ERR_BAD_NAME, "pkcs11 URI: missing");
	TE_ENSURE(len <= TE_P11_URI_MAX, TE_ERR_BAD_NAME,
	          "pkcs11 URI is %zu bytes, longer than the %d allowed", len, TE_P11_URI_MAX);
	TE_ENSURE(len >= SCHEME_LEN && strncasecmp(uri, SCHEME, SCHEME_LEN) == 0, TE_ERR_BAD_NAME,
	          "not a pkcs11 URI (it must start with \"pkcs11:\")");
	te_cursor_init(&p.cur, uri + SCHEME_LEN, len - SCHEME_LEN);
	while (te_cursor_remaining(&p.cur) > 0) {
		TE_GUARD(read_name(&p, name));
		if (p.in_query)
			TE_GUARD(query_attr(&p, name));
		else
			TE_GUARD(path_attr(&p, u, name, &sep));
		if (sep == '?') {
			p.in_query = 1;
			TE_ENSURE(te_cursor_remaining(&p.cur) > 0, TE_ERR_BAD_NAME,
			          "pkcs11 URI: '?' starts an empty query");
		} else if (sep != 0) {
			TE_ENSURE(te_cursor_remaining(&p.cur) > 0, TE_ERR_BAD_NAME,
			          "pkcs11 URI: '%c' at the end separates nothing", sep);
		}
	}
out:
	if (rc != TE_OK)
		te_memzero(u, sizeof(*u));
	return rc;
}
