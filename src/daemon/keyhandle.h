/*
 * keyhandle.h - authenticated key handles of the keys service.
 *
 * A key handle is the opaque string the keys service gives a client for a
 * key (POST /key, GET /keypair/{keyId}, POST /derivedkey, ...) and takes
 * back on every later use.  It names the key and is authenticated with
 * HMAC-SHA256 under a handle-validation key, so a client cannot forge a
 * handle to a key it was never given nor alter one it was (another key
 * id, another kind, other derivation data).  The layout is at the top of
 * keyhandle.c.
 *
 * Handles are authenticated, not encrypted: whoever holds one can read the
 * key id and the derivation data in it.  Neither is secret.
 *
 * The MAC is a callback so that the handle-validation key never leaves
 * the HSM: the keys process passes a function that runs te_hsm HMAC with a
 * non-exportable key; tests pass OpenSSL HMAC with a fixed key.  The key
 * must serve no other purpose.
 */
#ifndef TRUSTEDGE_DAEMON_KEYHANDLE_H
#define TRUSTEDGE_DAEMON_KEYHANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "trustedge/te_error.h"

#define TE_KEYHANDLE_VERSION 1
/* Key ids follow the HSM key-name rules (te_hsm_name_check): 1..128
 * characters of [A-Za-z0-9._-], not starting with '.'. */
#define TE_KEYHANDLE_ID_MAX 128
/* Derivation data of a derived-key handle: 0..256 bytes. */
#define TE_KEYHANDLE_DATA_MAX  256
#define TE_KEYHANDLE_NONCE_LEN 16
#define TE_KEYHANDLE_TAG_LEN   32 /* HMAC-SHA256 */
/* Longest binary handle: version, kind, id length, id, derivation data
 * length, data, nonce, tag. */
#define TE_KEYHANDLE_RAW_MAX                                                                       \
	(1 + 1 + 2 + TE_KEYHANDLE_ID_MAX + 2 + TE_KEYHANDLE_DATA_MAX + TE_KEYHANDLE_NONCE_LEN +    \
	 TE_KEYHANDLE_TAG_LEN)
/* Longest handle text (unpadded base64url of TE_KEYHANDLE_RAW_MAX bytes),
 * without the NUL: 584. */
#define TE_KEYHANDLE_TEXT_MAX ((TE_KEYHANDLE_RAW_MAX * 4 + 2) / 3)

typedef enum te_keyhandle_kind {
	TE_KEYHANDLE_KIND_NONE = 0,
	TE_KEYHANDLE_KIND_KEY = 1,     /* symmetric key (POST /key, GET /key/{id}) */
	TE_KEYHANDLE_KIND_KEYPAIR = 2, /* asymmetric key pair */
	TE_KEYHANDLE_KIND_DERIVED = 3, /* HMAC-SHA256(base key, derivation data) */
} te_keyhandle_kind;

typedef struct te_keyhandle {
	te_keyhandle_kind kind;
	/* The key; for TE_KEYHANDLE_KIND_DERIVED the base key. */
	char id[TE_KEYHANDLE_ID_MAX + 1];
	/* TE_KEYHANDLE_KIND_DERIVED only (data_len is 0 for other kinds). */
	uint8_t data[TE_KEYHANDLE_DATA_MAX];
	size_t data_len;
	/* Filled by te_keyhandle_decode; te_keyhandle_encode draws a fresh
	 * one and ignores this field. */
	uint8_t nonce[TE_KEYHANDLE_NONCE_LEN];
} te_keyhandle;

/* Writes HMAC-SHA256(handle-validation key, data[0..len)) to tag.  Any
 * error is passed on to the caller of encode/decode. */
typedef te_err (*te_keyhandle_mac_fn)(void *arg, const uint8_t *data, size_t len,
                                      uint8_t tag[TE_KEYHANDLE_TAG_LEN]);

/*
 * Writes the NUL-terminated handle text of h to out (at most
 * TE_KEYHANDLE_TEXT_MAX + 1 bytes are needed), with a fresh random nonce.
 * TE_ERR_INVALID_ARG when h breaks the rules above (bad kind or id, data
 * on a non-derived handle, data too long); TE_ERR_BUFFER_TOO_SMALL when
 * out_size is too small; TE_ERR_CRYPTO when no random bytes; the mac
 * callback's error.  out is written only on success.
 */
te_err te_keyhandle_encode(te_keyhandle_mac_fn mac, void *arg, const te_keyhandle *h, char *out,
                           size_t out_size) TE_MUST_CHECK TE_NONNULL(1, 3, 4);

/*
 * Checks and decodes the handle text s[0..len) (untrusted, need not be
 * NUL-terminated).  TE_ERR_MALFORMED when it is not a canonical unpadded
 * base64url string of a plausible length; TE_ERR_VERIFY_FAILED when the
 * tag does not match (compared in constant time); TE_ERR_MALFORMED when
 * the authenticated contents do not parse (unknown version or kind, bad
 * id); the mac callback's error.  out is written only on success.
 * Messages never contain the handle's bytes.
 */
te_err te_keyhandle_decode(te_keyhandle_mac_fn mac, void *arg, const char *s, size_t len,
                           te_keyhandle *out) TE_MUST_CHECK TE_NONNULL(1, 5);

/* "key", "keypair", "derived", or "unknown". */
/* 1 when s[0..n) could be a handle's text: 1..TE_KEYHANDLE_TEXT_MAX
 * base64url characters.  Only a shape check, for parsers and IPC codecs;
 * te_keyhandle_decode is what authenticates. */
int te_keyhandle_text_ok(const char *s, size_t n);
const char *te_keyhandle_kind_name(te_keyhandle_kind kind);

#endif
