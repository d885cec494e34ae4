/*
 * connstr.c - parses IoT Hub device connection strings.  The input is
 * walked with the bounded cursor, one ';'-separated field at a time; each
 * field is split at its first '=' (base64 keys end in '=', so values may
 * hold more of them).  Nothing from the input is ever copied into an error
 * message: a field is named by its key when the key is one we know, else
 * by its position.
 */
#include "daemon/connstr.h"

#include <string.h>
#include <strings.h>

#include "common/te_base64.h"
#include "common/te_cursor.h"
#include "trustedge/te_mem.h"

enum connstr_field {
	CONNSTR_HOST,
	CONNSTR_DEVICE,
	CONNSTR_KEY,
	CONNSTR_GATEWAY,
	CONNSTR_MODULE,
	CONNSTR__COUNT
};

static const char *const connstr_names[CONNSTR__COUNT] = {
    "HostName", "DeviceId", "SharedAccessKey", "GatewayHostName", "ModuleId",
};

#define CONNSTR_KNOWN "HostName, DeviceId, SharedAccessKey, GatewayHostName or ModuleId"

/* Longest base64 text that can decode to TE_CONNSTR_KEY_MAX bytes. */
#define CONNSTR_KEY_B64_MAX (4 * ((TE_CONNSTR_KEY_MAX + 2) / 3))

#define CONNSTR_ERR(...) te_err_set(TE_ERR_INVALID_ARG, "connection string: " __VA_ARGS__)

/* Characters Azure allows in device and module ids. */
static int connstr_id_char(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-.%_#*?!(),:=@$'", c) != NULL;
}

static int connstr_host_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-';
}

/* Checks a host name or id value and copies it, NUL-terminated. */
static te_err connstr_text(enum connstr_field f, const uint8_t *v, size_t n, char *dst, size_t room)
{
	int host = f == CONNSTR_HOST || f == CONNSTR_GATEWAY;

	if (n >= room)
		return CONNSTR_ERR("%s: too long", connstr_names[f]);
	for (size_t i = 0; i < n; i++) {
		if (!(host ? connstr_host_char(v[i]) : connstr_id_char(v[i])))
			return host ? CONNSTR_ERR("%s: not a valid host name", connstr_names[f])
			            : CONNSTR_ERR("%s: character not allowed in an IoT Hub id",
			                          connstr_names[f]);
	}
	if (host && (v[0] == '.' || v[0] == '-' || v[n - 1] == '.'))
		return CONNSTR_ERR("%s: not a valid host name", connstr_names[f]);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return TE_OK;
}

/* Decodes the key into exactly-sized secure memory. */
static te_err connstr_key(const uint8_t *v, size_t n, uint8_t **key, size_t *key_len)
{
	te_err rc = TE_OK;
	te_buf buf;
	uint8_t *k = NULL;

	te_buf_init(&buf, 1);
	TE_ENSURE(n <= CONNSTR_KEY_B64_MAX, TE_ERR_INVALID_ARG,
	          "connection string: SharedAccessKey: too long (at most %d bytes decoded)",
	          TE_CONNSTR_KEY_MAX);
	if (te_base64_decode((const char *)v, n, &buf) != TE_OK) {
		rc = te_err_set(TE_ERR_INVALID_ARG, "connection string: SharedAccessKey: not valid "
		                                    "base64");
		goto out;
	}
	TE_ENSURE(buf.len >= TE_CONNSTR_KEY_MIN && buf.len <= TE_CONNSTR_KEY_MAX,
	          TE_ERR_INVALID_ARG,
	          "connection string: SharedAccessKey: must decode to %d..%d bytes",
	          TE_CONNSTR_KEY_MIN, TE_CONNSTR_KEY_MAX);
	k = te_secure_alloc(buf.len);
	TE_GUARD_PTR(k, TE_ERR_NO_MEMORY, "connection string: out of secure memory");
	memcpy(k, buf.data, buf.len);
	*key = k;
	*key_len = buf.len;
	k = NULL;
out:
	te_buf_free(&buf);
	te_secure_free(k);
	return rc;
}

/* Which known key the bytes name; CONNSTR__COUNT when none.  *near is set
 * when they match a key but for case (the user's likely mistake). */
static enum connstr_field connstr_lookup(const uint8_t *k, size_t n, enum connstr_field *near)
{
	*near = CONNSTR__COUNT;
	for (int f = 0; f < CONNSTR__COUNT; f++) {
		if (strlen(connstr_names[f]) != n)
			continue;
		if (memcmp(connstr_names[f], k, n) == 0)
			return (enum connstr_field)f;
		if (strncasecmp(connstr_names[f], (const char *)k, n) == 0)
			*near = (enum connstr_field)f;
	}
	return CONNSTR__COUNT;
}

/* Takes the next field (up to ';' or the end) off the cursor. */
static te_err connstr_next(te_cursor *c, const uint8_t **field, size_t *n)
{
	te_err rc = TE_OK;
	te_cursor probe = *c;
	size_t len = 0;
	uint8_t b = 0;

	while (te_cursor_remaining(&probe) > 0) {
		TE_GUARD(te_cursor_u8(&probe, &b));
		if (b == ';')
			break;
		len++;
	}
	TE_GUARD(te_cursor_view(c, len, field));
	*n = len;
	if (te_cursor_remaining(c) > 0)
		TE_GUARD(te_cursor_skip(c, 1)); /* the ';' */
out:
	return rc;
}

/* Handles field number idx (1-based, for messages). */
static te_err connstr_field(te_connstr *cs, const uint8_t *field, size_t n, size_t idx,
                            unsigned *seen)
{
	const uint8_t *eq = n > 0 ? memchr(field, '=', n) : NULL;
	enum connstr_field f, near;
	const uint8_t *v;
	size_t klen, vlen;

	if (n == 0)
		return CONNSTR_ERR("field %zu: empty (stray ';')", idx);
	for (size_t i = 0; i < n; i++)
		if (field[i] < 0x21 || field[i] > 0x7e)
			return CONNSTR_ERR("field %zu: space, control or non-ASCII character", idx);
	if (eq == NULL)
		return CONNSTR_ERR("field %zu: no '=' between key and value", idx);
	klen = (size_t)(eq - field);
	v = eq + 1;
	vlen = n - klen - 1;
	f = connstr_lookup(field, klen, &near);
	if (f == CONNSTR__COUNT && near != CONNSTR__COUNT)
		return CONNSTR_ERR("field %zu: unknown key (keys are case-sensitive: did you mean "
		                   "'%s'?)",
		                   idx, connstr_names[near]);
	if (f == CONNSTR__COUNT)
		return te_err_set(TE_ERR_INVALID_ARG,
		                  "connection string: field %zu: unknown key (expected %s)", idx,
		                  CONNSTR_KNOWN);
	if (*seen & (1u << f))
		return CONNSTR_ERR("%s: given twice", connstr_names[f]);
	*seen |= 1u << f;
	if (vlen == 0)
		return CONNSTR_ERR("%s: empty value", connstr_names[f]);
	switch (f) {
	case CONNSTR_HOST:
		return connstr_text(f, v, vlen, cs->host_name, sizeof(cs->host_name));
	case CONNSTR_GATEWAY:
		return connstr_text(f, v, vlen, cs->gateway_host_name,
		                    sizeof(cs->gateway_host_name));
	case CONNSTR_DEVICE:
		return connstr_text(f, v, vlen, cs->device_id, sizeof(cs->device_id));
	case CONNSTR_MODULE:
		return connstr_text(f, v, vlen, cs->module_id, sizeof(cs->module_id));
	case CONNSTR_KEY:
		return connstr_key(v, vlen, &cs->key, &cs->key_len);
	case CONNSTR__COUNT:
	default:
		return te_err_set(TE_ERR_INTERNAL, "connection string: bad field");
	}
}

te_err te_connstr_parse(const char *s, size_t len, te_connstr *out)
{
	te_err rc = TE_OK;
	te_connstr cs;
	te_cursor c;
	unsigned seen = 0;
	size_t idx = 0;

	memset(&cs, 0, sizeof(cs));
	memset(out, 0, sizeof(*out));
	TE_ENSURE(s != NULL && len > 0, TE_ERR_INVALID_ARG, "connection string: empty");
	TE_ENSURE(len <= TE_CONNSTR_MAX, TE_ERR_INVALID_ARG,
	          "connection string: longer than %d bytes", TE_CONNSTR_MAX);
	te_cursor_init(&c, s, len);
	while (te_cursor_remaining(&c) > 0) {
		const uint8_t *field = NULL;
		size_t n = 0;

		TE_GUARD(connstr_next(&c, &field, &n));
		TE_GUARD(connstr_field(&cs, field, n, ++idx, &seen));
	}
	/* "a;" ends with an empty field the loop above never sees. */
	TE_ENSURE(s[len - 1] != ';', TE_ERR_INVALID_ARG,
	          "connection string: field %zu: empty (stray ';')", idx + 1);
	for (int f = 0; f < CONNSTR__COUNT; f++) {
		if (f == CONNSTR_GATEWAY || f == CONNSTR_MODULE)
			continue;
		TE_ENSURE(seen & (1u << f), TE_ERR_INVALID_ARG, "connection string: missing %s",
		          connstr_names[f]);
	}
	*out = cs;
	memset(&cs, 0, sizeof(cs));
out:
	te_connstr_clear(&cs);
	return rc;
}

void te_connstr_clear(te_connstr *c)
{
	if (c == NULL)
		return;
	te_secure_free(c->key);
	te_memzero(c, sizeof(*c));
}
