/*
 * fuzz_keyhandle.c - libFuzzer target for key handle decoding
 * (src/daemon/keyhandle.c, te_keyhandle_decode).
 *
 * Input: the first byte picks the mode.  Even: the rest is handle text,
 * decoded with a fixed test MAC key; the result is TE_OK, TE_ERR_MALFORMED
 * or TE_ERR_VERIFY_FAILED.  Odd: the rest is the binary handle without
 * its tag; the harness appends the right tag and base64url-encodes it, so
 * the fuzzer reaches the parser behind the MAC; the result is TE_OK or
 * TE_ERR_MALFORMED, and the same bytes under another MAC key are refused.
 *
 * Whenever a handle is accepted its fields obey the rules of keyhandle.h,
 * its bytes are exactly the canonical layout of those fields (one handle,
 * one encoding), and re-encoding it gives a handle that decodes to the
 * same fields.  Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/te_base64.h"
#include "daemon/keyhandle.h"
#include "trustedge/te_hsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* arg: the key, 32 bytes. */
static te_err te_fz_mac(void *arg, const uint8_t *d, size_t len, uint8_t tag[TE_KEYHANDLE_TAG_LEN])
{
	unsigned out = 0;

	if (HMAC(EVP_sha256(), arg, 32, d, len, tag, &out) == NULL)
		return TE_ERR_CRYPTO;
	return TE_OK;
}

static uint8_t te_fz_key_a[32] = "fuzz handle-validation key 32 b";
static uint8_t te_fz_key_b[32] = "another handle-validation key!!";

/* The canonical bytes of h without the tag; returns their length. */
static size_t te_fz_layout(const te_keyhandle *h, uint8_t *raw)
{
	size_t n = 0, id_len = strlen(h->id);

	raw[n++] = TE_KEYHANDLE_VERSION;
	raw[n++] = (uint8_t)h->kind;
	raw[n++] = (uint8_t)(id_len >> 8);
	raw[n++] = (uint8_t)id_len;
	memcpy(raw + n, h->id, id_len);
	n += id_len;
	if (h->kind == TE_KEYHANDLE_KIND_DERIVED) {
		raw[n++] = (uint8_t)(h->data_len >> 8);
		raw[n++] = (uint8_t)h->data_len;
		memcpy(raw + n, h->data, h->data_len);
		n += h->data_len;
	}
	memcpy(raw + n, h->nonce, TE_KEYHANDLE_NONCE_LEN);
	return n + TE_KEYHANDLE_NONCE_LEN;
}

static void te_fz_check(const te_keyhandle *h, const uint8_t *raw, size_t raw_len)
{
	uint8_t want[TE_KEYHANDLE_RAW_MAX];
	char text[TE_KEYHANDLE_TEXT_MAX + 1];
	te_keyhandle again;
	size_t n;

	if (h->kind != TE_KEYHANDLE_KIND_KEY && h->kind != TE_KEYHANDLE_KIND_KEYPAIR &&
	    h->kind != TE_KEYHANDLE_KIND_DERIVED)
		abort();
	if (strnlen(h->id, sizeof(h->id)) == sizeof(h->id) || te_hsm_name_check(h->id) != TE_OK)
		abort();
	if (h->data_len > TE_KEYHANDLE_DATA_MAX ||
	    (h->kind != TE_KEYHANDLE_KIND_DERIVED && h->data_len != 0))
		abort();
	n = te_fz_layout(h, want);
	if (n + TE_KEYHANDLE_TAG_LEN != raw_len || memcmp(want, raw, n) != 0)
		abort();
	if (te_keyhandle_encode(te_fz_mac, te_fz_key_a, h, text, sizeof(text)) != TE_OK)
		abort();
	if (te_keyhandle_decode(te_fz_mac, te_fz_key_a, text, strlen(text), &again) != TE_OK ||
	    again.kind != h->kind || strcmp(again.id, h->id) != 0 ||
	    again.data_len != h->data_len || memcmp(again.data, h->data, h->data_len) != 0)
		abort();
}

/* Unpadded base64url of raw[0..n) into text (NUL-terminated). */
static void te_fz_b64url(const uint8_t *raw, size_t n, char *text, size_t cap)
{
	te_buf b;
	size_t o = 0;

	te_buf_init(&b, 0);
	if (te_base64_encode(raw, n, &b) != TE_OK)
		abort();
	for (size_t i = 0; i < b.len && b.data[i] != '=' && o + 1 < cap; i++) {
		char c = (char)b.data[i];
		text[o++] = c == '+' ? '-' : c == '/' ? '_' : c;
	}
	text[o] = '\0';
	te_buf_free(&b);
}

/* Strict unpadded base64url decoding, for checking accepted text. */
static size_t te_fz_unb64url(const char *s, size_t len, uint8_t *raw)
{
	char std[TE_KEYHANDLE_TEXT_MAX + 4];
	size_t n = 0;
	te_buf b;

	if (len > TE_KEYHANDLE_TEXT_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		std[n++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (n % 4)
		std[n++] = '=';
	te_buf_init(&b, 0);
	if (te_base64_decode(std, n, &b) != TE_OK || b.len > TE_KEYHANDLE_RAW_MAX)
		abort();
	memcpy(raw, b.data, b.len);
	n = b.len;
	te_buf_free(&b);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t raw[TE_KEYHANDLE_RAW_MAX + TE_KEYHANDLE_TAG_LEN];
	static char text[2 * TE_KEYHANDLE_TEXT_MAX];
	te_keyhandle h;
	te_err rc;
	size_t n;

	if (size == 0)
		return 0;
	if (!(data[0] & 1)) {
		rc = te_keyhandle_decode(te_fz_mac, te_fz_key_a, (const char *)data + 1, size - 1,
		                         &h);
		if (rc == TE_OK) {
			n = te_fz_unb64url((const char *)data + 1, size - 1, raw);
			te_fz_check(&h, raw, n);
		} else if (rc != TE_ERR_MALFORMED && rc != TE_ERR_VERIFY_FAILED) {
			abort();
		}
		return 0;
	}
	n = size - 1;
	if (n > TE_KEYHANDLE_RAW_MAX)
		n = TE_KEYHANDLE_RAW_MAX;
	memcpy(raw, data + 1, n);
	if (te_fz_mac(te_fz_key_a, raw, n, raw + n) != TE_OK)
		abort();
	te_fz_b64url(raw, n + TE_KEYHANDLE_TAG_LEN, text, sizeof(text));
	rc = te_keyhandle_decode(te_fz_mac, te_fz_key_a, text, strlen(text), &h);
	if (rc == TE_OK)
		te_fz_check(&h, raw, n + TE_KEYHANDLE_TAG_LEN);
	else if (rc != TE_ERR_MALFORMED)
		abort();
	/* The same bytes are nobody's handle under another key. */
	if (te_keyhandle_decode(te_fz_mac, te_fz_key_b, text, strlen(text), &h) == TE_OK)
		abort();
	return 0;
}
