/*
 * fuzz_pkcs11_uri.c - libFuzzer target for the RFC 7512 parser.
 *
 * Input: a candidate URI.  Whatever the bytes, the parser must return
 * TE_OK or TE_ERR_BAD_NAME, leave the output zeroed on failure, and keep
 * every field within its bounds on success.  A URI that parses is then
 * written back out (every value percent-encoded) and parsed again: the
 * second result must be identical to the first, so decoding loses and
 * invents nothing.  Any disagreement aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/pkcs11_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct out {
	char buf[4 * TE_P11_URI_MAX];
	size_t len;
	int overflow;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (o->overflow || n > sizeof(o->buf) - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* name=%XX%XX... (every byte encoded), after a ';' when not first. */
static void put_attr(out *o, const char *name, const uint8_t *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (o->len > strlen("pkcs11:"))
		put(o, ";", 1);
	put(o, name, strlen(name));
	put(o, "=", 1);
	for (size_t i = 0; i < n; i++) {
		char e[3] = {'%', hex[v[i] >> 4], hex[v[i] & 15]};
		put(o, e, 3);
	}
}

static void put_text(out *o, const char *name, const char *field, size_t room)
{
	size_t n = strnlen(field, room);

	if (n == room)
		abort(); /* not NUL-terminated inside its field */
	put_attr(o, name, (const uint8_t *)field, n);
}

static void put_plain(out *o, const char *name, const char *value)
{
	if (o->len > strlen("pkcs11:"))
		put(o, ";", 1);
	put(o, name, strlen(name));
	put(o, "=", 1);
	put(o, value, strlen(value));
}

static void encode(const te_p11_uri *u, out *o)
{
	char num[48];

	put(o, "pkcs11:", 7);
	if (u->present & TE_P11_URI_TOKEN)
		put_text(o, "token", u->token, sizeof(u->token));
	if (u->present & TE_P11_URI_MANUFACTURER)
		put_text(o, "manufacturer", u->manufacturer, sizeof(u->manufacturer));
	if (u->present & TE_P11_URI_SERIAL)
		put_text(o, "serial", u->serial, sizeof(u->serial));
	if (u->present & TE_P11_URI_MODEL)
		put_text(o, "model", u->model, sizeof(u->model));
	if (u->present & TE_P11_URI_LIB_MANUFACTURER)
		put_text(o, "library-manufacturer", u->lib_manufacturer,
		         sizeof(u->lib_manufacturer));
	if (u->present & TE_P11_URI_LIB_DESCRIPTION)
		put_text(o, "library-description", u->lib_description, sizeof(u->lib_description));
	if (u->present & TE_P11_URI_LIB_VERSION) {
		snprintf(num, sizeof(num), "%u.%u", u->lib_major, u->lib_minor);
		put_plain(o, "library-version", num);
	}
	if (u->present & TE_P11_URI_OBJECT) {
		if (u->object_len > TE_P11_URI_OBJECT_MAX || u->object[u->object_len] != '\0' ||
		    strlen(u->object) != u->object_len)
			abort();
		put_attr(o, "object", (const uint8_t *)u->object, u->object_len);
	}
	if (u->present & TE_P11_URI_TYPE)
		put_plain(o, "type", te_p11_uri_type_name(u->type));
	if (u->present & TE_P11_URI_ID) {
		if (u->id_len == 0 || u->id_len > TE_P11_URI_ID_MAX)
			abort();
		put_attr(o, "id", u->id, u->id_len);
	}
	if (u->present & TE_P11_URI_SLOT_MANUFACTURER)
		put_text(o, "slot-manufacturer", u->slot_manufacturer,
		         sizeof(u->slot_manufacturer));
	if (u->present & TE_P11_URI_SLOT_DESCRIPTION)
		put_text(o, "slot-description", u->slot_description, sizeof(u->slot_description));
	if (u->present & TE_P11_URI_SLOT_ID) {
		snprintf(num, sizeof(num), "%lu", u->slot_id);
		put_plain(o, "slot-id", num);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	te_p11_uri *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	out *o = calloc(1, sizeof(*o));
	te_err rc;

	if (a == NULL || b == NULL || o == NULL)
		abort();
	/* The input is exactly the fuzzer's bytes: a read past them is
	 * caught by ASan. */
	rc = te_p11_uri_parse((const char *)data, size, a);
	if (rc != TE_OK) {
		static const te_p11_uri zero;

		if (rc != TE_ERR_BAD_NAME || memcmp(a, &zero, sizeof(zero)) != 0)
			abort();
		goto done;
	}
	if (size > TE_P11_URI_MAX || (a->present >> 13) != 0)
		abort();
	encode(a, o);
	if (o->overflow || o->len > TE_P11_URI_MAX)
		goto done; /* written out longer than a URI may be */
	rc = te_p11_uri_parse(o->buf, o->len, b);
	if (rc != TE_OK || memcmp(a, b, sizeof(*a)) != 0)
		abort();
done:
	free(a);
	free(b);
	free(o);
	return 0;
}
