/*
 * keyhandle.c - owns the key handle format of the keys service.
 *
 * Format (version 1).  The handle text is the unpadded base64url (RFC 4648
 * section 5, no '=') encoding of these bytes, integers big-endian:
 *
 *   u8   version            1
 *   u8   kind               1 key, 2 keypair, 3 derived
 *   u16  id_len             1..128
 *   id_len bytes  id        key id (derived: the base key id), HSM
 *                           key-name rules, no NUL
 *   -- kind 3 (derived) only --
 *   u16  data_len           0..256
 *   data_len bytes  data    derivation data
 *   -- always --
 *   16 bytes  nonce         random, fresh per handle
 *   32 bytes  tag           HMAC-SHA256(handle-validation key, every byte
 *                           above, from version to nonce)
 *
 * Decoding checks, in order: the text's length and alphabet; canonical
 * base64url (unused trailing bits zero, so one handle has one spelling
 * and every changed character changes the bytes); at least the shortest
 * handle's length; the tag, in constant time, over everything before the
 * last 32 bytes; and only then the fields, through a bounded cursor, with
 * nothing left over.  Fields are parsed only once they are authenticated,
 * and are still checked as if they were not.
 */
#include "daemon/keyhandle.h"

#include <string.h>

#include <openssl/rand.h>

#include "common/te_base64.h"
#include "common/te_cursor.h"
#include "trustedge/te_hsm.h"
#include "trustedge/te_mem.h"

/* version, kind, id_len, a 1-byte id, nonce, tag */
#define TE_KH_RAW_MIN  (1 + 1 + 2 + 1 + TE_KEYHANDLE_NONCE_LEN + TE_KEYHANDLE_TAG_LEN)
#define TE_KH_TEXT_MIN ((TE_KH_RAW_MIN * 4 + 2) / 3)

const char *te_keyhandle_kind_name(te_keyhandle_kind kind)
{
	switch (kind) {
	case TE_KEYHANDLE_KIND_KEY:
		return "key";
	case TE_KEYHANDLE_KIND_KEYPAIR:
		return "keypair";
	case TE_KEYHANDLE_KIND_DERIVED:
		return "derived";
	default:
		return "unknown";
	}
}

static int te_kh_kind_ok(unsigned kind)
{
	return kind == TE_KEYHANDLE_KIND_KEY || kind == TE_KEYHANDLE_KIND_KEYPAIR ||
	       kind == TE_KEYHANDLE_KIND_DERIVED;
}

static int te_kh_b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int te_keyhandle_text_ok(const char *s, size_t n)
{
	if (n == 0 || n > TE_KEYHANDLE_TEXT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!te_kh_b64url_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Checks h against the rules of keyhandle.h. */
static te_err te_kh_check(const te_keyhandle *h)
{
	te_err rc = TE_OK;
	size_t n = strnlen(h->id, sizeof(h->id));

	TE_ENSURE(te_kh_kind_ok((unsigned)h->kind), TE_ERR_INVALID_ARG,
	          "key handle: unknown kind %d", (int)h->kind);
	TE_ENSURE(n < sizeof(h->id), TE_ERR_INVALID_ARG, "key handle: key id is not terminated");
	TE_ENSURE(te_hsm_name_check(h->id) == TE_OK, TE_ERR_INVALID_ARG,
	          "key handle: key id breaks the key-name rules");
	TE_ENSURE(h->data_len <= TE_KEYHANDLE_DATA_MAX, TE_ERR_INVALID_ARG,
	          "key handle: derivation data of %zu bytes is longer than %d", h->data_len,
	          TE_KEYHANDLE_DATA_MAX);
	TE_ENSURE(h->kind == TE_KEYHANDLE_KIND_DERIVED || h->data_len == 0, TE_ERR_INVALID_ARG,
	          "key handle: only a derived-key handle carries derivation data");
out:
	return rc;
}

static void te_kh_put_u16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

te_err te_keyhandle_encode(te_keyhandle_mac_fn mac, void *arg, const te_keyhandle *h, char *out,
                           size_t out_size)
{
	te_err rc = TE_OK;
	uint8_t raw[TE_KEYHANDLE_RAW_MAX];
	size_t n = 0, id_len, text_len = 0;
	te_buf b64;

	te_buf_init(&b64, 0);
	TE_GUARD(te_kh_check(h));
	id_len = strlen(h->id);
	raw[n++] = TE_KEYHANDLE_VERSION;
	raw[n++] = (uint8_t)h->kind;
	te_kh_put_u16(raw + n, id_len);
	n += 2;
	memcpy(raw + n, h->id, id_len);
	n += id_len;
	if (h->kind == TE_KEYHANDLE_KIND_DERIVED) {
		te_kh_put_u16(raw + n, h->data_len);
		n += 2;
		if (h->data_len > 0)
			memcpy(raw + n, h->data, h->data_len);
		n += h->data_len;
	}
	TE_GUARD_OSSL(RAND_bytes(raw + n, TE_KEYHANDLE_NONCE_LEN), "key handle nonce");
	n += TE_KEYHANDLE_NONCE_LEN;
	TE_GUARD(mac(arg, raw, n, raw + n));
	n += TE_KEYHANDLE_TAG_LEN;

	TE_GUARD(te_base64_encode(raw, n, &b64));
	/* Standard alphabet to URL alphabet, padding dropped. */
	for (size_t i = 0; i < b64.len; i++) {
		char c = (char)b64.data[i];
		if (c == '=')
			break;
		b64.data[i] = c == '+' ? '-' : c == '/' ? '_' : (uint8_t)c;
		text_len++;
	}
	TE_ENSURE(text_len < out_size, TE_ERR_BUFFER_TOO_SMALL,
	          "key handle needs %zu bytes, the buffer has %zu", text_len + 1, out_size);
	memcpy(out, b64.data, text_len);
	out[text_len] = '\0';
out:
	te_buf_free(&b64);
	return rc;
}

/* Unpadded base64url text to bytes, strictly (see the top of the file). */
static te_err te_kh_unbase64url(const char *s, size_t len, te_buf *raw)
{
	te_err rc = TE_OK;
	char std[TE_KEYHANDLE_TEXT_MAX + 3];
	size_t n = 0;

	TE_ENSURE(len >= TE_KH_TEXT_MIN && len <= TE_KEYHANDLE_TEXT_MAX && len % 4 != 1,
	          TE_ERR_MALFORMED, "key handle has an impossible length");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		TE_ENSURE(te_kh_b64url_char(c), TE_ERR_MALFORMED,
		          "key handle contains a character outside base64url");
		std[n++] = c == '-' ? '+' : c == '_' ? '/' : (char)c;
	}
	while (n % 4 != 0)
		std[n++] = '=';
	TE_ENSURE(te_base64_decode(std, n, raw) == TE_OK, TE_ERR_MALFORMED,
	          "key handle is not canonical base64url");
out:
	return rc;
}

/* Parses the authenticated bytes raw[0..len) (the tag included). */
static te_err te_kh_parse(const uint8_t *raw, size_t len, te_keyhandle *h)
{
	te_err rc = TE_OK;
	te_cursor c;
	uint8_t version = 0, kind = 0;
	uint16_t id_len = 0, data_len = 0;

	te_cursor_init(&c, raw, len);
	TE_GUARD(te_cursor_u8(&c, &version));
	TE_ENSURE(version == TE_KEYHANDLE_VERSION, TE_ERR_MALFORMED,
	          "key handle has unknown version %u", (unsigned)version);
	TE_GUARD(te_cursor_u8(&c, &kind));
	TE_ENSURE(te_kh_kind_ok(kind), TE_ERR_MALFORMED, "key handle has unknown kind %u",
	          (unsigned)kind);
	h->kind = (te_keyhandle_kind)kind;
	TE_GUARD(te_cursor_u16be(&c, &id_len));
	TE_ENSURE(id_len >= 1 && id_len <= TE_KEYHANDLE_ID_MAX, TE_ERR_MALFORMED,
	          "key handle has a key id of bad length");
	TE_GUARD(te_cursor_copy(&c, h->id, id_len));
	h->id[id_len] = '\0';
	/* A NUL inside would make the checked id shorter than the bytes. */
	TE_ENSURE(strlen(h->id) == id_len && te_hsm_name_check(h->id) == TE_OK, TE_ERR_MALFORMED,
	          "key handle has a key id that breaks the key-name rules");
	if (h->kind == TE_KEYHANDLE_KIND_DERIVED) {
		TE_GUARD(te_cursor_u16be(&c, &data_len));
		TE_ENSURE(data_len <= TE_KEYHANDLE_DATA_MAX, TE_ERR_MALFORMED,
		          "key handle has derivation data of bad length");
		TE_GUARD(te_cursor_copy(&c, h->data, data_len));
		h->data_len = data_len;
	}
	TE_GUARD(te_cursor_copy(&c, h->nonce, TE_KEYHANDLE_NONCE_LEN));
	TE_GUARD(te_cursor_skip(&c, TE_KEYHANDLE_TAG_LEN));
	TE_GUARD(te_cursor_expect_end(&c));
out:
	/* A short read is as malformed as anything else here. */
	if (rc == TE_ERR_TRUNCATED)
		rc = te_err_set(TE_ERR_MALFORMED, "key handle contents do not parse");
	return rc;
}

te_err te_keyhandle_decode(te_keyhandle_mac_fn mac, void *arg, const char *s, size_t len,
                           te_keyhandle *out)
{
	te_err rc = TE_OK;
	te_buf raw;
	te_keyhandle h;
	uint8_t want[TE_KEYHANDLE_TAG_LEN];
	size_t body;

	te_buf_init(&raw, 0);
	memset(&h, 0, sizeof(h));
	TE_ENSURE(s != NULL, TE_ERR_MALFORMED, "key handle is missing");
	TE_GUARD(te_kh_unbase64url(s, len, &raw));
	TE_ENSURE(raw.len >= TE_KH_RAW_MIN && raw.len <= TE_KEYHANDLE_RAW_MAX, TE_ERR_MALFORMED,
	          "key handle has an impossible length");
	body = raw.len - TE_KEYHANDLE_TAG_LEN;
	TE_GUARD(mac(arg, raw.data, body, want));
	TE_ENSURE(te_memeq_ct(want, raw.data + body, TE_KEYHANDLE_TAG_LEN) == 0,
	          TE_ERR_VERIFY_FAILED, "key handle does not verify");
	TE_GUARD(te_kh_parse(raw.data, raw.len, &h));
	memcpy(out, &h, sizeof(h));
out:
	/* The expected tag of a forged handle would be a valid one. */
	te_memzero(want, sizeof(want));
	te_memzero(&h, sizeof(h));
	te_buf_free(&raw);
	return rc;
}
