/*
 * keyfile.c - sealing and opening of the software backend's key files
 * (format in keyfile.h).  A file is untrusted input: it is read through a
 * bounded cursor, and nothing it says is acted on until its tag verifies.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/te_cursor.h"
#include "hsm/keyfile.h"

#define FLAG_EXPORTABLE 0x01u
#define USAGE_ALL (TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT | TE_HSM_USAGE_DERIVE)
#define TAG_LEN 16
#define IV_LEN 12

static void header_write(uint8_t hdr[TE_KEYFILE_HDR_LEN], const te_keyfile_meta *meta,
			 const uint8_t iv[IV_LEN], size_t ct_len)
{
	memcpy(hdr, TE_KEYFILE_MAGIC, 4);
	hdr[4] = TE_KEYFILE_VERSION;
	hdr[5] = (uint8_t)meta->type;
	hdr[6] = meta->exportable ? FLAG_EXPORTABLE : 0;
	hdr[7] = (uint8_t)meta->usage;
	memcpy(hdr + 8, iv, IV_LEN);
	hdr[20] = (uint8_t)(ct_len >> 24);
	hdr[21] = (uint8_t)(ct_len >> 16);
	hdr[22] = (uint8_t)(ct_len >> 8);
	hdr[23] = (uint8_t)ct_len;
}

/* AES-256-GCM over in[0..len) into out, with the header and the key name as
 * AAD.  Decrypting with a bad tag gives TE_ERR_TAMPERED. */
static te_err gcm(int enc, const uint8_t key[TE_MASTER_KEY_LEN], const uint8_t *hdr,
		  const char *name, const uint8_t *in, size_t len, uint8_t *out,
		  uint8_t tag[TAG_LEN])
{
	te_err rc = TE_OK;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;

	TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), key, hdr + 8, enc, NULL),
		      "key file cipher init");
	TE_GUARD_OSSL(EVP_CipherUpdate(ctx, NULL, &n, hdr, TE_KEYFILE_HDR_LEN), "key file aad");
	TE_GUARD_OSSL(EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)name, (int)strlen(name)),
		      "key file aad");
	TE_GUARD_OSSL(EVP_CipherUpdate(ctx, out, &n, in, (int)len), "key file cipher");
	if (!enc)
		TE_GUARD_OSSL(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag),
			      "key file tag");
	if (EVP_CipherFinal_ex(ctx, out + n, &n) <= 0) {
		ERR_clear_error();
		rc = te_err_set(enc ? TE_ERR_CRYPTO : TE_ERR_TAMPERED,
				enc ? "key '%s': sealing failed"
				    : "key '%s': store file failed authentication (edited, "
				      "copied from another key, or sealed under another master key)",
				name);
		goto out;
	}
	if (enc)
		TE_GUARD_OSSL(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag),
			      "key file tag");
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

te_err te_keyfile_seal(const uint8_t master[TE_MASTER_KEY_LEN], const char *name,
		       const te_keyfile_meta *meta, const uint8_t iv[IV_LEN],
		       const uint8_t *material, size_t len, te_buf *out)
{
	te_err rc = TE_OK;
	uint8_t hdr[TE_KEYFILE_HDR_LEN];
	uint8_t tag[TAG_LEN];
	size_t start = out->len;

	TE_ENSURE(len > 0 && len <= TE_KEYFILE_MAX_SECRET, TE_ERR_INVALID_ARG,
		  "key '%s': material of %zu bytes does not fit a key file", name, len);
	TE_ENSURE((meta->usage & ~USAGE_ALL) == 0 && meta->type > TE_HSM_KEY_NONE &&
			  meta->type < TE_HSM_KEY__COUNT,
		  TE_ERR_INVALID_ARG, "key '%s': bad attributes", name);
	header_write(hdr, meta, iv, len);
	TE_GUARD(te_buf_reserve(out, TE_KEYFILE_HDR_LEN + len + TAG_LEN));
	memcpy(out->data + start, hdr, TE_KEYFILE_HDR_LEN);
	TE_GUARD(gcm(1, master, hdr, name, material, len, out->data + start + TE_KEYFILE_HDR_LEN,
		     tag));
	memcpy(out->data + start + TE_KEYFILE_HDR_LEN + len, tag, TAG_LEN);
	out->len = start + TE_KEYFILE_HDR_LEN + len + TAG_LEN;
out:
	return rc;
}

te_err te_keyfile_open(const uint8_t master[TE_MASTER_KEY_LEN], const char *name,
		       const uint8_t *file, size_t len, te_keyfile_meta *meta,
		       te_buf *material)
{
	te_err rc = TE_OK;
	te_cursor c;
	const uint8_t *hdr = NULL, *ct = NULL;
	uint8_t magic[4], version = 0, type = 0, flags = 0, usage = 0;
	uint8_t tag[TAG_LEN];
	uint32_t ct_len = 0;
	size_t start = material->len;

	TE_ENSURE(material->secure, TE_ERR_INVALID_ARG, "key material needs a secure buffer");
	te_cursor_init(&c, file, len);
	TE_ENSURE(te_cursor_view(&c, TE_KEYFILE_HDR_LEN, &hdr) == TE_OK, TE_ERR_TRUNCATED,
		  "key '%s': store file truncated (%zu bytes, header needs %d)", name, len,
		  TE_KEYFILE_HDR_LEN);
	te_cursor_init(&c, file, len);
	TE_GUARD(te_cursor_copy(&c, magic, sizeof(magic)));
	TE_GUARD(te_cursor_u8(&c, &version));
	TE_GUARD(te_cursor_u8(&c, &type));
	TE_GUARD(te_cursor_u8(&c, &flags));
	TE_GUARD(te_cursor_u8(&c, &usage));
	TE_GUARD(te_cursor_skip(&c, IV_LEN));
	TE_GUARD(te_cursor_u32be(&c, &ct_len));
	TE_ENSURE(memcmp(magic, TE_KEYFILE_MAGIC, 4) == 0, TE_ERR_MALFORMED,
		  "key '%s': not a trustedge key file (bad magic)", name);
	TE_ENSURE(version == TE_KEYFILE_VERSION, TE_ERR_MALFORMED,
		  "key '%s': key file format version %u is not supported (this build reads %u)",
		  name, version, TE_KEYFILE_VERSION);
	TE_ENSURE(type > TE_HSM_KEY_NONE && type < TE_HSM_KEY__COUNT, TE_ERR_MALFORMED,
		  "key '%s': unknown key type %u in store file", name, type);
	TE_ENSURE((flags & ~FLAG_EXPORTABLE) == 0 && (usage & ~USAGE_ALL) == 0, TE_ERR_MALFORMED,
		  "key '%s': unknown flags in store file", name);
	TE_ENSURE(ct_len > 0 && ct_len <= TE_KEYFILE_MAX_SECRET, TE_ERR_MALFORMED,
		  "key '%s': store file claims %u bytes of key material", name, ct_len);
	TE_ENSURE(te_cursor_view(&c, ct_len, &ct) == TE_OK &&
			  te_cursor_copy(&c, tag, TAG_LEN) == TE_OK,
		  TE_ERR_TRUNCATED, "key '%s': store file truncated (%zu of %u bytes)", name, len,
		  TE_KEYFILE_HDR_LEN + ct_len + TAG_LEN);
	TE_ENSURE(te_cursor_expect_end(&c) == TE_OK, TE_ERR_MALFORMED,
		  "key '%s': store file has %zu bytes of trailing data", name,
		  te_cursor_remaining(&c));
	TE_GUARD(te_buf_reserve(material, ct_len));
	rc = gcm(0, master, hdr, name, ct, ct_len, material->data + start, tag);
	if (rc != TE_OK) {
		te_memzero(material->data + start, ct_len);
		goto out;
	}
	material->len = start + ct_len;
	meta->type = (te_hsm_key_type)type;
	meta->usage = usage;
	meta->exportable = (flags & FLAG_EXPORTABLE) != 0;
out:
	return rc;
}

te_err te_keyfile_pkey_type(const EVP_PKEY *pkey, te_hsm_key_type *out)
{
	char group[64];
	size_t glen = 0;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof(group), &glen))
			break;
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			*out = TE_HSM_KEY_EC_P256;
			return TE_OK;
		}
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			*out = TE_HSM_KEY_EC_P384;
			return TE_OK;
		}
		return te_err_set(TE_ERR_UNSUPPORTED, "EC curve %s is not supported "
				  "(supported: P-256, P-384)", group);
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(pkey)) {
		case 2048:
			*out = TE_HSM_KEY_RSA_2048;
			return TE_OK;
		case 3072:
			*out = TE_HSM_KEY_RSA_3072;
			return TE_OK;
		case 4096:
			*out = TE_HSM_KEY_RSA_4096;
			return TE_OK;
		default:
			return te_err_set(TE_ERR_UNSUPPORTED, "RSA key of %d bits is not "
					  "supported (supported: 2048, 3072, 4096)",
					  EVP_PKEY_get_bits(pkey));
		}
	case EVP_PKEY_ED25519:
		*out = TE_HSM_KEY_ED25519;
		return TE_OK;
	default:
		break;
	}
	return te_err_set(TE_ERR_UNSUPPORTED, "key algorithm is not supported "
			  "(supported: EC P-256/P-384, RSA 2048/3072/4096, Ed25519)");
}

te_err te_keyfile_material_parse(const char *name, const te_keyfile_meta *meta,
				 const uint8_t *material, size_t len, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	const unsigned char *p = material;
	EVP_PKEY *pkey = NULL;
	te_hsm_key_type type = TE_HSM_KEY_NONE;

	TE_ENSURE(!te_hsm_key_type_is_secret(meta->type) && len <= TE_KEYFILE_MAX_SECRET,
		  TE_ERR_INVALID_ARG, "key '%s': not an asymmetric key", name);
	pkey = d2i_AutoPrivateKey_ex(NULL, &p, (long)len, NULL, NULL);
	TE_ENSURE(pkey != NULL, TE_ERR_MALFORMED,
		  "key '%s': stored private key does not parse", name);
	ERR_clear_error();
	TE_ENSURE(p == material + len, TE_ERR_MALFORMED,
		  "key '%s': stored private key has trailing bytes", name);
	TE_ENSURE(te_keyfile_pkey_type(pkey, &type) == TE_OK && type == meta->type,
		  TE_ERR_MALFORMED, "key '%s': stored key is not of its recorded type %s", name,
		  te_hsm_key_type_name(meta->type));
	*out = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	return rc;
}
