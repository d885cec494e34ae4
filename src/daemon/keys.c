/*
 * keys.c - the keys process's request handler: decodes one typed IPC
 * request, runs it in the HSM and encodes the reply.
 *
 * Module keys (SIGN_DERIVED_REQ).  The key of (module, genid, keyId) is
 *
 *   module_key = HMAC-SHA256(device SAS key, derivation data)
 *   derivation data = "trustedge-module-sas-v1" 0x00 module 0x00 genid
 *                     0x00 keyId
 *
 * (ASCII, no terminating NUL, keyId "primary" or "secondary").  The IPC
 * decoder guarantees that module, genid and keyId are non-empty and hold
 * no NUL, so the 0x00 separators make the encoding injective: two
 * modules, or two generation ids, never get the same derivation data and
 * so never share a key.  The digest returned is HMAC-SHA256(module_key,
 * data).  The module key is made by te_hsm_key_derive as a stored HSM key
 * (hmac-sha256, usage sign, not exportable), so its bytes never leave the
 * HSM, and it is kept: later signs cost one HMAC.  Its name is
 *
 *   "mod-" + hex(SHA-256(device key name 0x00 derivation data))[0..32)
 *
 * The device key's name is hashed in so that pointing the configuration
 * at another device key derives new module keys instead of silently
 * reusing keys derived from the old one (re-importing different bytes
 * under the same name does not: delete the mod-* keys then).  The "mod-"
 * names belong to this module; nothing else may create them.
 *
 * Workload encryption (ENCRYPT_REQ, DECRYPT_REQ).  AES-256-GCM under the
 * master encryption key with
 *
 *   AAD = "trustedge-workload-v1" 0x00 module 0x00 genid 0x00 caller_iv
 *   ciphertext = 0x01 (format version) || nonce (12) || GCM ciphertext
 *                || tag (16)
 *
 * The workload API lets the caller pick the "initializationVector", and
 * modules in practice send a constant one.  Using it as the GCM nonce
 * would repeat (key, nonce) pairs across messages, which in GCM leaks the
 * XOR of plaintexts and lets anyone forge tags.  So the nonce is always
 * fresh from the HSM's generator and travels in the ciphertext, and the
 * caller's IV is bound in the AAD instead: decrypting still needs the
 * same IV, as the API promises, without the IV ever being a nonce.  With
 * random 96-bit nonces one key is good for 2^32 encryptions (NIST
 * SP 800-38D), far beyond what a device's modules encrypt.  The module
 * identity in the AAD is what keeps module A's ciphertext from decrypting
 * as module B's (or as another generation of A).
 *
 * Error replies are built from constant text and te_err_str() only: HSM
 * details name key stores and key names, so they go to the log, never to
 * a module.
 */
#include "daemon/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/te_log.h"
#include "trustedge/te_mem.h"

#define KEYS_DERIV_LABEL "trustedge-module-sas-v1"
#define KEYS_AAD_LABEL   "trustedge-workload-v1"
#define KEYS_NAME_PREFIX "mod-"
#define KEYS_NAME_HEX    32 /* 128 bits of SHA-256 */
#define KEYS_NAME_LEN    (sizeof(KEYS_NAME_PREFIX) - 1 + KEYS_NAME_HEX)

/* Longest derivation data and AAD (labels, separators, fields at max). */
#define KEYS_DERIV_MAX                                                                             \
	(sizeof(KEYS_DERIV_LABEL) - 1 + 1 + TE_IPC_MODULE_MAX + 1 + TE_IPC_GENID_MAX + 1 +         \
	 TE_IPC_KEY_ID_MAX)
#define KEYS_AAD_MAX                                                                               \
	(sizeof(KEYS_AAD_LABEL) - 1 + 1 + TE_IPC_MODULE_MAX + 1 + TE_IPC_GENID_MAX + 1 +           \
	 TE_IPC_IV_MAX)

#define KEYS_CT_VERSION  0x01
#define KEYS_CT_OVERHEAD (1 + TE_HSM_GCM_IV_LEN + TE_HSM_GCM_TAG_LEN)

#define KEYS_HMAC_LEN 32

_Static_assert(KEYS_CT_OVERHEAD <= TE_IPC_CRYPT_OVERHEAD_MAX,
               "a ciphertext of the largest plaintext must fit a CRYPT_REPLY");
_Static_assert(KEYS_HMAC_LEN <= TE_IPC_DIGEST_MAX, "a digest must fit a SIGN_REPLY");

struct te_keys {
	te_hsm *hsm;
	char device_key[TE_HSM_REF_MAX + 1];
	char encrypt_key[TE_HSM_REF_MAX + 1];
};

/* One part of a 0x00-separated encoding. */
struct keys_part {
	const void *p;
	size_t n;
};

/* Writes parts joined by 0x00 into buf. */
static te_err keys_join(const struct keys_part *parts, size_t n_parts, uint8_t *buf, size_t room,
                        size_t *len)
{
	te_err rc = TE_OK;
	size_t at = 0;

	for (size_t i = 0; i < n_parts; i++) {
		size_t need = parts[i].n + (i > 0 ? 1 : 0);

		TE_ENSURE(need <= room - at, TE_ERR_INTERNAL,
		          "keys: encoding longer than %zu bytes", room);
		if (i > 0)
			buf[at++] = 0x00;
		if (parts[i].n > 0)
			memcpy(buf + at, parts[i].p, parts[i].n);
		at += parts[i].n;
	}
	*len = at;
out:
	return rc;
}

static te_err keys_derivation_data(const te_ipc_sign_derived_req *r, uint8_t *buf, size_t room,
                                   size_t *len)
{
	const struct keys_part parts[] = {
	    {KEYS_DERIV_LABEL, sizeof(KEYS_DERIV_LABEL) - 1},
	    {r->module, strlen(r->module)},
	    {r->genid, strlen(r->genid)},
	    {r->key_id, strlen(r->key_id)},
	};

	return keys_join(parts, sizeof(parts) / sizeof(parts[0]), buf, room, len);
}

static te_err keys_aad(const te_ipc_crypt_req *r, uint8_t *buf, size_t room, size_t *len)
{
	const struct keys_part parts[] = {
	    {KEYS_AAD_LABEL, sizeof(KEYS_AAD_LABEL) - 1},
	    {r->module, strlen(r->module)},
	    {r->genid, strlen(r->genid)},
	    {r->iv, r->iv_len},
	};

	return keys_join(parts, sizeof(parts) / sizeof(parts[0]), buf, room, len);
}

/* "mod-" + 32 hex digits of SHA-256(device key name 0x00 derivation data). */
static te_err keys_module_key_name(const te_keys *k, const uint8_t *dd, size_t dd_len,
                                   char name[KEYS_NAME_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	te_err rc = TE_OK;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t h[32];
	size_t at = sizeof(KEYS_NAME_PREFIX) - 1;

	TE_GUARD_PTR(md, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_DigestInit_ex(md, EVP_sha256(), NULL), "sha256 init");
	TE_GUARD_OSSL(EVP_DigestUpdate(md, k->device_key, strlen(k->device_key) + 1),
	              "sha256 update");
	TE_GUARD_OSSL(EVP_DigestUpdate(md, dd, dd_len), "sha256 update");
	TE_GUARD_OSSL(EVP_DigestFinal_ex(md, h, NULL), "sha256 final");
	memcpy(name, KEYS_NAME_PREFIX, at);
	for (size_t i = 0; i < KEYS_NAME_HEX / 2; i++) {
		name[at++] = hex[h[i] >> 4];
		name[at++] = hex[h[i] & 0xf];
	}
	name[at] = '\0';
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Makes the module key `name` unless it is there already. */
static te_err keys_module_key(te_keys *k, const uint8_t *dd, size_t dd_len, const char *name)
{
	const te_hsm_key_attrs attrs = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_err rc;

	if (te_hsm_key_exists(k->hsm, name))
		return TE_OK;
	rc = te_hsm_key_derive(k->hsm, k->device_key, dd, dd_len, name, &attrs);
	/* Another thread or process derived it between the check and here:
	 * same derivation data, same key, so theirs will do. */
	if (rc == TE_ERR_EXISTS) {
		te_err_clear();
		rc = TE_OK;
	}
	return rc;
}

/* The ops below encode their success reply; on failure they return the
 * code for the ERROR_REPLY and set *why to words fit for a module. */

static te_err keys_sign(te_keys *k, const te_ipc_sign_derived_req *r, te_ipc_msg *reply,
                        const char **why)
{
	te_err rc = TE_OK;
	uint8_t dd[KEYS_DERIV_MAX];
	size_t dd_len = 0;
	char name[KEYS_NAME_LEN + 1];
	uint8_t digest[KEYS_HMAC_LEN];
	size_t digest_len = sizeof(digest);
	te_ipc_sign_reply rep;

	*why = "keyId must be \"primary\" or \"secondary\"";
	TE_ENSURE(strcmp(r->key_id, "primary") == 0 || strcmp(r->key_id, "secondary") == 0,
	          TE_ERR_INVALID_ARG, "keys: sign: unknown keyId");
	*why = "cannot derive the module key";
	TE_GUARD(keys_derivation_data(r, dd, sizeof(dd), &dd_len));
	TE_GUARD(keys_module_key_name(k, dd, dd_len, name));
	TE_GUARD(keys_module_key(k, dd, dd_len, name));
	*why = "cannot sign with the module key";
	TE_GUARD(te_hsm_key_sign(k->hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, r->data, r->data_len,
	                         digest, &digest_len));
	*why = "cannot encode the reply";
	rep.digest = digest;
	rep.digest_len = digest_len;
	TE_GUARD(te_ipc_sign_reply_encode(&rep, reply));
out:
	/* The digest is a bearer SAS signature. */
	te_memzero(digest, sizeof(digest));
	return rc;
}

static te_err keys_encrypt(te_keys *k, const te_ipc_crypt_req *r, te_ipc_msg *reply,
                           const char **why)
{
	te_err rc = TE_OK;
	uint8_t aad[KEYS_AAD_MAX];
	size_t aad_len = 0;
	size_t ct_len = KEYS_CT_OVERHEAD + r->data_len;
	size_t body_len = ct_len - 1 - TE_HSM_GCM_IV_LEN;
	uint8_t *ct = malloc(ct_len), *nonce = NULL;
	te_ipc_crypt_reply rep;

	*why = "cannot encrypt";
	TE_ENSURE(ct != NULL, TE_ERR_NO_MEMORY, "out of memory");
	nonce = ct + 1;
	TE_GUARD(keys_aad(r, aad, sizeof(aad), &aad_len));
	ct[0] = KEYS_CT_VERSION;
	*why = "cannot make a nonce";
	TE_GUARD(te_hsm_random(k->hsm, nonce, TE_HSM_GCM_IV_LEN));
	*why = "cannot encrypt with the encryption key";
	TE_GUARD(te_hsm_key_encrypt(k->hsm, k->encrypt_key, TE_HSM_ALG_AES_256_GCM, nonce,
	                            TE_HSM_GCM_IV_LEN, aad, aad_len, r->data, r->data_len,
	                            nonce + TE_HSM_GCM_IV_LEN, &body_len));
	TE_ENSURE(body_len == r->data_len + TE_HSM_GCM_TAG_LEN, TE_ERR_INTERNAL,
	          "keys: encrypt: %zu bytes of GCM output for %zu of plaintext", body_len,
	          r->data_len);
	*why = "cannot encode the reply";
	rep.data = ct;
	rep.data_len = ct_len;
	TE_GUARD(te_ipc_crypt_reply_encode(&rep, reply));
out:
	if (ct != NULL) {
		/* Ciphertext is no secret, but a backend that failed half-way
		 * may have left anything in the buffer. */
		te_memzero(ct, ct_len);
		free(ct);
	}
	return rc;
}

static te_err keys_decrypt(te_keys *k, const te_ipc_crypt_req *r, te_ipc_msg *reply,
                           const char **why)
{
	te_err rc = TE_OK;
	uint8_t aad[KEYS_AAD_MAX];
	size_t aad_len = 0;
	size_t pt_room = 0, pt_len = 0;
	uint8_t *pt = NULL;
	te_ipc_crypt_reply rep;

	/* The ciphertext came from a module: check its shape before use. */
	*why = "ciphertext is too short";
	TE_ENSURE(r->data_len >= KEYS_CT_OVERHEAD, TE_ERR_MALFORMED,
	          "keys: decrypt: ciphertext of %zu bytes", r->data_len);
	*why = "unknown ciphertext format version";
	TE_ENSURE(r->data[0] == KEYS_CT_VERSION, TE_ERR_UNSUPPORTED,
	          "keys: decrypt: ciphertext format version %u", (unsigned)r->data[0]);
	*why = "cannot decrypt";
	pt_room = pt_len = r->data_len - KEYS_CT_OVERHEAD;
	pt = malloc(pt_room + 1); /* + 1: never malloc(0) */
	TE_ENSURE(pt != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(keys_aad(r, aad, sizeof(aad), &aad_len));
	*why = "cannot decrypt: wrong module, generation id or initialization vector, or a "
	       "damaged ciphertext";
	TE_GUARD(te_hsm_key_decrypt(k->hsm, k->encrypt_key, TE_HSM_ALG_AES_256_GCM, r->data + 1,
	                            TE_HSM_GCM_IV_LEN, aad, aad_len,
	                            r->data + 1 + TE_HSM_GCM_IV_LEN,
	                            r->data_len - 1 - TE_HSM_GCM_IV_LEN, pt, &pt_len));
	*why = "cannot decrypt";
	TE_ENSURE(pt_len == pt_room, TE_ERR_INTERNAL,
	          "keys: decrypt: %zu bytes of plaintext, expected %zu", pt_len, pt_room);
	*why = "cannot encode the reply";
	rep.data = pt;
	rep.data_len = pt_len;
	TE_GUARD(te_ipc_crypt_reply_encode(&rep, reply));
out:
	if (pt != NULL) {
		te_memzero(pt, pt_room + 1);
		free(pt);
	}
	return rc;
}

/* Failures that are the requesting module's doing: not worth an error
 * line in the daemon's log. */
static int keys_refusal(te_err code)
{
	return code == TE_ERR_INVALID_ARG || code == TE_ERR_MALFORMED ||
	       code == TE_ERR_UNSUPPORTED || code == TE_ERR_DECRYPT_FAILED;
}

/* Replaces reply with an ERROR_REPLY of code and why; logs the detail. */
static te_err keys_error_reply(uint16_t type, te_err code, const char *why, te_ipc_msg *reply)
{
	te_ipc_error_reply er;
	char what[64];

	snprintf(what, sizeof(what), "keys: %s", te_ipc_type_name(type));
	if (keys_refusal(code))
		te_log_debug("%s refused: %s", what, te_err_detail());
	else
		te_log_err(code, what);
	memset(&er, 0, sizeof(er));
	er.code = code;
	snprintf(er.message, sizeof(er.message), "%s (%s)", why, te_err_str(code));
	/* A failed op may have half-encoded a secret reply. */
	te_ipc_msg_wipe(reply);
	return te_ipc_error_reply_encode(&er, reply);
}

/* Every decoding failure is a protocol error, whatever the decoder said. */
static te_err keys_decoded(te_err rc)
{
	return rc == TE_OK ? TE_OK : te_err_set(TE_ERR_MALFORMED, "keys: %s", te_err_detail());
}

te_err te_keys_handle(te_keys *k, const te_ipc_msg *req, te_ipc_msg *reply)
{
	te_err rc = TE_OK, op = TE_OK;
	const char *why = "cannot serve the request";
	te_ipc_sign_derived_req sreq;
	te_ipc_crypt_req creq;
	uint32_t id = req->id;

	TE_ENSURE(req != reply, TE_ERR_INVALID_ARG,
	          "keys: request and reply must be distinct messages");
	te_err_clear();
	switch (req->type) {
	case TE_IPC_SIGN_DERIVED_REQ:
		TE_GUARD(keys_decoded(te_ipc_sign_derived_req_decode(req, &sreq)));
		op = keys_sign(k, &sreq, reply, &why);
		break;
	case TE_IPC_ENCRYPT_REQ:
		TE_GUARD(keys_decoded(te_ipc_encrypt_req_decode(req, &creq)));
		op = keys_encrypt(k, &creq, reply, &why);
		break;
	case TE_IPC_DECRYPT_REQ:
		TE_GUARD(keys_decoded(te_ipc_decrypt_req_decode(req, &creq)));
		op = keys_decrypt(k, &creq, reply, &why);
		break;
	default:
		why = "request type not served by the keys process";
		op = te_err_set(TE_ERR_UNSUPPORTED, "type %u (%s)", (unsigned)req->type,
		                te_ipc_type_name(req->type));
		break;
	}
	if (op != TE_OK)
		TE_GUARD(keys_error_reply(req->type, op, why, reply));
	reply->id = id;
out:
	if (rc != TE_OK && req != reply)
		te_ipc_msg_wipe(reply);
	return rc;
}

/* Checks that key `name` is of type `type` and allows `usage`. */
static te_err keys_check_key(te_hsm *hsm, const char *what, const char *name, te_hsm_key_type type,
                             uint32_t usage)
{
	te_err rc = TE_OK;
	te_hsm_key_info info;
	char have[64] = "", need[64] = "";

	TE_GUARD(te_hsm_key_info_get(hsm, name, &info));
	TE_ENSURE(info.type == type, TE_ERR_CONFIG, "%s '%s' is %s, not %s", what, name,
	          te_hsm_key_type_name(info.type), te_hsm_key_type_name(type));
	if ((info.usage & usage) != usage) {
		TE_GUARD(te_hsm_usage_format(info.usage, have, sizeof(have)));
		TE_GUARD(te_hsm_usage_format(usage, need, sizeof(need)));
		TE_ENSURE(0, TE_ERR_CONFIG, "%s '%s' has usage '%s'; it needs '%s'", what, name,
		          have, need);
	}
out:
	return rc;
}

static te_err keys_name_copy(const char *what, const char *src, char *dst, size_t room)
{
	te_err rc = TE_OK;
	size_t n = src != NULL ? strlen(src) : 0;

	TE_ENSURE(n > 0 && n < room, TE_ERR_CONFIG, "%s: a key name of 1..%zu characters is needed",
	          what, room - 1);
	memcpy(dst, src, n + 1);
out:
	return rc;
}

te_err te_keys_open(te_hsm *hsm, const te_keys_config *cfg, te_keys **out)
{
	te_err rc = TE_OK;
	te_keys *k = NULL;
	const te_hsm_key_attrs aes = {TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 0};

	TE_ENSURE(hsm != NULL && cfg != NULL && out != NULL, TE_ERR_INVALID_ARG,
	          "keys: no HSM, configuration or output");
	*out = NULL;
	k = calloc(1, sizeof(*k));
	TE_ENSURE(k != NULL, TE_ERR_NO_MEMORY, "out of memory");
	k->hsm = hsm;
	TE_GUARD(
	    keys_name_copy("device key", cfg->device_key, k->device_key, sizeof(k->device_key)));
	TE_GUARD(keys_name_copy("encryption key", cfg->encrypt_key, k->encrypt_key,
	                        sizeof(k->encrypt_key)));
	TE_ENSURE(strcmp(k->device_key, k->encrypt_key) != 0, TE_ERR_CONFIG,
	          "the device key and the encryption key must differ");
	TE_GUARD(keys_check_key(hsm, "device key", k->device_key, TE_HSM_KEY_HMAC_SHA256,
	                        TE_HSM_USAGE_DERIVE));
	if (!te_hsm_key_exists(hsm, k->encrypt_key)) {
		rc = te_hsm_key_create(hsm, k->encrypt_key, &aes);
		/* Lost a race with another creator: check theirs below. */
		if (rc == TE_ERR_EXISTS)
			rc = TE_OK;
		else if (rc == TE_OK)
			te_log_info("created encryption key '%s'", k->encrypt_key);
		TE_GUARD(rc);
	}
	TE_GUARD(keys_check_key(hsm, "encryption key", k->encrypt_key, TE_HSM_KEY_AES_256_GCM,
	                        TE_HSM_USAGE_ENCRYPT));
	*out = k;
	k = NULL;
out:
	te_keys_close(k);
	return rc;
}

void te_keys_close(te_keys *k)
{
	free(k);
}
