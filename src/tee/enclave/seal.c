/*
 * seal.c - sealing inside the TA (openenclave/seal.h, the seal-key calls of
 * openenclave/enclave.h).  The seal key comes from the root of trust over
 * the TA's root socket (rot_ta.c), which derives it from the TA's identity
 * as the root measured it; the TA mixes in the blob's context and runs
 * AES-256-GCM itself, so plaintext never leaves the TA.  Formats:
 * seal_blob.h; the whole design: docs/tee-seal.md.
 */
#include <openenclave/enclave.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "tee/rot/rot.h"
#include "tee/seal_blob.h"

/* HKDF info of a blob's data key: this label, one byte (1 when the blob
 * has a context), SHA-256 of the context (zeros without one). */
#define TE_SEAL_DATA_LABEL "trustedge seal data key v1"

static const oe_uuid_t te_seal_plugin_id = OE_SEAL_PLUGIN_TRUSTEDGE_EMULATOR;

typedef struct te_seal_opts {
	uint32_t policy;
	const uint8_t *context;
	size_t context_size;
	const uint8_t *iv; /* NULL: a random one */
	int have_policy;
} te_seal_opts;

void oe_free(void *ptr)
{
	free(ptr);
}

/* Asks the root for a seal key: a new one (key_info NULL) or the one that
 * key_info names.  key_info_out (TE_SEAL_KEY_INFO_MAX bytes) receives the
 * key_info the root answers with. */
static oe_result_t te_seal_key_request(uint32_t policy, const uint8_t *key_info,
                                       size_t key_info_size, uint8_t key[TE_SEAL_KEY_SIZE],
                                       uint8_t *key_info_out, size_t *key_info_out_size)
{
	uint8_t req[8 + TE_SEAL_KEY_INFO_MAX];
	uint8_t reply[12 + TE_SEAL_KEY_SIZE + 4 + TE_SEAL_KEY_INFO_MAX + 16];
	const uint8_t *body = NULL, *k, *ki;
	size_t body_size = 0;
	uint32_t ki_size;
	te_tcur r;
	oe_result_t res;

	if (key_info_size > TE_SEAL_KEY_INFO_MAX)
		return OE_INVALID_PARAMETER;
	te_seal_put_u32(req, policy);
	te_seal_put_u32(req + 4, (uint32_t)key_info_size);
	if (key_info_size)
		memcpy(req + 8, key_info, key_info_size);
	res = te_ta_rot_call(TE_ROT_SEAL_KEY, req, 8 + key_info_size, reply, sizeof(reply), &body,
	                     &body_size);
	if (res != OE_OK)
		goto out;
	/* The root is another process: its reply is checked like any input. */
	te_tcur_init(&r, body, body_size);
	k = te_tcur_take(&r, TE_SEAL_KEY_SIZE);
	ki_size = te_tcur_u32(&r);
	ki = te_tcur_take(&r, ki_size);
	res = OE_UNEXPECTED;
	if (!te_tcur_done(&r) || ki_size == 0 || ki_size > TE_SEAL_KEY_INFO_MAX)
		goto out;
	if (key_info_size && (ki_size != key_info_size || memcmp(ki, key_info, ki_size) != 0))
		goto out;
	memcpy(key, k, TE_SEAL_KEY_SIZE);
	memcpy(key_info_out, ki, ki_size);
	*key_info_out_size = ki_size;
	res = OE_OK;
out:
	OPENSSL_cleanse(reply, sizeof(reply));
	return res;
}

/* The blob's AES key: HKDF-SHA256(seal key, info = label | flag | H(context)). */
static oe_result_t te_seal_data_key(const uint8_t seal_key[TE_SEAL_KEY_SIZE],
                                    const uint8_t *context, size_t context_size,
                                    uint8_t out[TE_SEAL_KEY_SIZE])
{
	uint8_t info[sizeof(TE_SEAL_DATA_LABEL) - 1 + 1 + 32];
	size_t off = sizeof(TE_SEAL_DATA_LABEL) - 1;
	OSSL_PARAM params[4];
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	oe_result_t res = OE_CRYPTO_ERROR;

	memset(info, 0, sizeof(info));
	memcpy(info, TE_SEAL_DATA_LABEL, off);
	info[off] = context_size ? 1 : 0;
	if (context_size &&
	    EVP_Digest(context, context_size, info + off + 1, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)seal_key,
	                                              TE_SEAL_KEY_SIZE);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info));
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, TE_SEAL_KEY_SIZE, params) != 1)
		goto out;
	res = OE_OK;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return res;
}

/* AES-256-GCM over (prefix || aad) as additional data.  in and out may
 * be empty; tag is written when encrypting and checked when decrypting. */
static oe_result_t te_seal_gcm(int enc, const uint8_t key[TE_SEAL_KEY_SIZE],
                               const uint8_t iv[TE_SEAL_IV_SIZE], const uint8_t *prefix,
                               size_t prefix_size, const uint8_t *aad, size_t aad_size,
                               const uint8_t *in, size_t n, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	oe_result_t res = OE_CRYPTO_ERROR;
	int len = 0;

	if (!ctx)
		return OE_OUT_OF_MEMORY;
	if (n > INT32_MAX || prefix_size > INT32_MAX || aad_size > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, TE_SEAL_IV_SIZE, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1)
		goto out;
	if (EVP_CipherUpdate(ctx, NULL, &len, prefix, (int)prefix_size) != 1)
		goto out;
	if (aad_size && EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aad_size) != 1)
		goto out;
	if (n && EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1)
		goto out;
	if (!enc &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TE_SEAL_TAG_SIZE, (void *)tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &len) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TE_SEAL_TAG_SIZE, tag) != 1)
		goto out;
	res = OE_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return res;
}

/* Settings: known types checked and collected; duplicates refused. */
static oe_result_t te_seal_settings(const oe_seal_setting_t *s, size_t n, te_seal_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->policy = OE_SEAL_POLICY_PRODUCT; /* the reference's default */
	for (size_t i = 0; i < n; i++) {
		if (s[i].type < 0 || s[i].type >= OE_SEAL_SETTING_MAX)
			return OE_INVALID_PARAMETER;
		if (s[i].size && !oe_is_within_enclave(s[i].value.p, s[i].size))
			return OE_INVALID_PARAMETER;
		switch (s[i].type) {
		case OE_SEAL_SETTING_POLICY:
			if (o->have_policy || s[i].size != 0)
				return OE_INVALID_PARAMETER;
			if (s[i].value.w != OE_SEAL_POLICY_UNIQUE &&
			    s[i].value.w != OE_SEAL_POLICY_PRODUCT)
				return OE_INVALID_PARAMETER;
			o->policy = s[i].value.w;
			o->have_policy = 1;
			break;
		case OE_SEAL_SETTING_ADDITIONAL_CONTEXT:
			if (o->context || s[i].size == 0 || s[i].size > TE_SEAL_CONTEXT_MAX)
				return OE_INVALID_PARAMETER;
			o->context = s[i].value.p;
			o->context_size = s[i].size;
			break;
		case OE_SEAL_SETTING_IV:
			if (o->iv || s[i].size != TE_SEAL_IV_SIZE)
				return OE_INVALID_PARAMETER;
			o->iv = s[i].value.p;
			break;
		default:
			return OE_UNSUPPORTED;
		}
	}
	return OE_OK;
}

/* Either both NULL/0, or a non-empty buffer in TA memory. */
static int te_seal_buf_ok(const void *p, size_t n)
{
	if (!p || !n)
		return !p && !n;
	return oe_is_within_enclave(p, n);
}

oe_result_t oe_seal(const oe_uuid_t *plugin_id, const oe_seal_setting_t *settings,
                    size_t settings_count, const uint8_t *plaintext, size_t plaintext_size,
                    const uint8_t *additional_data, size_t additional_data_size, uint8_t **blob,
                    size_t *blob_size)
{
	te_seal_opts o;
	uint8_t key[TE_SEAL_KEY_SIZE], data_key[TE_SEAL_KEY_SIZE], iv[TE_SEAL_IV_SIZE];
	uint8_t ki[TE_SEAL_KEY_INFO_MAX];
	size_t ki_size = 0, size, prefix = 0;
	uint8_t *b = NULL;
	oe_result_t res;

	if (!blob || !blob_size)
		return OE_INVALID_PARAMETER;
	if (plugin_id && memcmp(plugin_id, &te_seal_plugin_id, sizeof(*plugin_id)) != 0)
		return OE_NOT_FOUND;
	if (settings_count > SIZE_MAX / sizeof(*settings) ||
	    !te_seal_buf_ok(settings, settings_count * sizeof(*settings)) ||
	    !te_seal_buf_ok(plaintext, plaintext_size) ||
	    !te_seal_buf_ok(additional_data, additional_data_size))
		return OE_INVALID_PARAMETER;
	res = te_seal_settings(settings, settings_count, &o);
	if (res != OE_OK)
		return res;
	if (plaintext_size > TE_SEAL_PLAINTEXT_MAX)
		return OE_INVALID_PARAMETER;

	res = te_seal_key_request(o.policy, NULL, 0, key, ki, &ki_size);
	if (res != OE_OK)
		goto out;
	res = OE_UNEXPECTED;
	size = te_seal_blob_size(ki_size, o.context_size, plaintext_size);
	if (size == 0)
		goto out;
	if (o.iv)
		memcpy(iv, o.iv, sizeof(iv));
	else if ((res = oe_random(iv, sizeof(iv))) != OE_OK)
		goto out;
	res = OE_OUT_OF_MEMORY;
	b = malloc(size);
	if (!b)
		goto out;
	res = te_seal_blob_write_prefix(b, size, ki, ki_size, o.context, o.context_size, iv,
	                                plaintext_size, &prefix);
	if (res != OE_OK)
		goto out;
	res = te_seal_data_key(key, o.context, o.context_size, data_key);
	if (res != OE_OK)
		goto out;
	res = te_seal_gcm(1, data_key, iv, b, prefix, additional_data, additional_data_size,
	                  plaintext, plaintext_size, b + prefix, b + prefix + plaintext_size);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(data_key, sizeof(data_key));
	if (res != OE_OK) {
		free(b);
		return res;
	}
	*blob = b;
	*blob_size = size;
	return OE_OK;
}

oe_result_t oe_unseal(const uint8_t *blob, size_t blob_size, const uint8_t *additional_data,
                      size_t additional_data_size, uint8_t **plaintext, size_t *plaintext_size)
{
	te_seal_blob sb;
	uint8_t key[TE_SEAL_KEY_SIZE], data_key[TE_SEAL_KEY_SIZE];
	uint8_t ki[TE_SEAL_KEY_INFO_MAX];
	size_t ki_size = 0;
	uint32_t policy = 0;
	uint8_t *pt = NULL;
	oe_result_t res;

	if (!blob || blob_size == 0 || !oe_is_within_enclave(blob, blob_size) ||
	    !te_seal_buf_ok(additional_data, additional_data_size) ||
	    (!plaintext && plaintext_size))
		return OE_INVALID_PARAMETER;
	if (te_seal_blob_parse(blob, blob_size, &sb) != OE_OK ||
	    te_seal_key_info_policy(sb.key_info, sb.key_info_size, &policy) != OE_OK)
		return OE_INVALID_PARAMETER;

	res = te_seal_key_request(policy, sb.key_info, sb.key_info_size, key, ki, &ki_size);
	if (res != OE_OK)
		goto out;
	res = te_seal_data_key(key, sb.context, sb.context_size, data_key);
	if (res != OE_OK)
		goto out;
	res = OE_OUT_OF_MEMORY;
	pt = malloc(sb.ciphertext_size ? sb.ciphertext_size : 1);
	if (!pt)
		goto out;
	res = te_seal_gcm(0, data_key, sb.iv, blob, sb.prefix_size, additional_data,
	                  additional_data_size, sb.ciphertext, sb.ciphertext_size, pt,
	                  (uint8_t *)sb.tag);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(data_key, sizeof(data_key));
	if (res != OE_OK || !plaintext) {
		/* Nothing unauthenticated leaves, and an unwanted plaintext
		 * does not linger on the heap. */
		if (pt)
			OPENSSL_cleanse(pt, sb.ciphertext_size);
		free(pt);
		return res;
	}
	*plaintext = pt;
	if (plaintext_size)
		*plaintext_size = sb.ciphertext_size;
	return OE_OK;
}

/* --- seal keys ------------------------------------------------------------- */

oe_result_t oe_get_seal_key_by_policy_v2(oe_seal_policy_t seal_policy, uint8_t **key_buffer,
                                         size_t *key_buffer_size, uint8_t **key_info,
                                         size_t *key_info_size)
{
	uint8_t key[TE_SEAL_KEY_SIZE], ki[TE_SEAL_KEY_INFO_MAX];
	size_t ki_size = 0;
	uint8_t *kb = NULL, *kib = NULL;
	oe_result_t res;

	if (!key_buffer || !key_buffer_size || (!key_info != !key_info_size))
		return OE_INVALID_PARAMETER;
	if (seal_policy != OE_SEAL_POLICY_UNIQUE && seal_policy != OE_SEAL_POLICY_PRODUCT)
		return OE_INVALID_PARAMETER;
	res = te_seal_key_request((uint32_t)seal_policy, NULL, 0, key, ki, &ki_size);
	if (res != OE_OK)
		goto out;
	res = OE_OUT_OF_MEMORY;
	kb = malloc(TE_SEAL_KEY_SIZE);
	if (!kb || (key_info && !(kib = malloc(ki_size))))
		goto out;
	memcpy(kb, key, TE_SEAL_KEY_SIZE);
	if (kib)
		memcpy(kib, ki, ki_size);
	res = OE_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (res != OE_OK) {
		oe_free_seal_key(kb, kib);
		return res;
	}
	*key_buffer = kb;
	*key_buffer_size = TE_SEAL_KEY_SIZE;
	if (key_info) {
		*key_info = kib;
		*key_info_size = ki_size;
	}
	return OE_OK;
}

oe_result_t oe_get_seal_key_v2(const uint8_t *key_info, size_t key_info_size, uint8_t **key_buffer,
                               size_t *key_buffer_size)
{
	uint8_t key[TE_SEAL_KEY_SIZE], ki[TE_SEAL_KEY_INFO_MAX];
	size_t ki_size = 0;
	uint32_t policy = 0;
	uint8_t *kb;
	oe_result_t res;

	if (!key_info || !key_buffer || !key_buffer_size ||
	    !oe_is_within_enclave(key_info, key_info_size))
		return OE_INVALID_PARAMETER;
	if (te_seal_key_info_policy(key_info, key_info_size, &policy) != OE_OK)
		return OE_INVALID_PARAMETER;
	res = te_seal_key_request(policy, key_info, key_info_size, key, ki, &ki_size);
	if (res != OE_OK)
		return res;
	kb = malloc(TE_SEAL_KEY_SIZE);
	if (kb)
		memcpy(kb, key, TE_SEAL_KEY_SIZE);
	OPENSSL_cleanse(key, sizeof(key));
	if (!kb)
		return OE_OUT_OF_MEMORY;
	*key_buffer = kb;
	*key_buffer_size = TE_SEAL_KEY_SIZE;
	return OE_OK;
}

/* Both come from malloc in this file: the whole block is wiped. */
void oe_free_seal_key(uint8_t *key_buffer, uint8_t *key_info)
{
	if (key_buffer)
		OPENSSL_cleanse(key_buffer, malloc_usable_size(key_buffer));
	if (key_info)
		OPENSSL_cleanse(key_info, malloc_usable_size(key_info));
	free(key_buffer);
	free(key_info);
}
