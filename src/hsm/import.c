/*
 * import.c - key material given to te_hsm_key_import, read once for every
 * backend (see import.h).  The material is untrusted input; OpenSSL's
 * decoders parse it, with no passphrase callback so encrypted keys fail.
 */
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "hsm/import.h"
#include "hsm/keyfile.h"

te_err te_hsm_import_pkey(const void *material, size_t len, te_hsm_key_type want,
			  EVP_PKEY **out, te_hsm_key_type *found)
{
	te_err rc = TE_OK;
	EVP_PKEY *pkey = NULL;
	OSSL_DECODER_CTX *dctx = NULL;
	const unsigned char *p = material;
	size_t left = len;
	te_hsm_key_type type = TE_HSM_KEY_NONE;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, NULL, NULL, NULL, EVP_PKEY_KEYPAIR, NULL,
					     NULL);
	TE_GUARD_PTR(dctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(OSSL_DECODER_from_data(dctx, &p, &left) > 0 && pkey != NULL, TE_ERR_MALFORMED,
		  "key material is not an unencrypted private key in PEM or DER");
	TE_GUARD(te_keyfile_pkey_type(pkey, &type));
	TE_ENSURE(want == TE_HSM_KEY_NONE || want == type, TE_ERR_INVALID_ARG,
		  "key material is %s, not %s", te_hsm_key_type_name(type),
		  te_hsm_key_type_name(want));
	*out = pkey;
	*found = type;
	pkey = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	OSSL_DECODER_CTX_free(dctx);
	return rc;
}

te_err te_hsm_import_secret_check(te_hsm_key_type type, size_t len)
{
	if (type == TE_HSM_KEY_AES_256_GCM && len != 32)
		return te_err_set(TE_ERR_INVALID_ARG, "an aes-256-gcm key is 32 bytes, not %zu",
				  len);
	if (len == 0 || len > TE_HSM_HMAC_KEY_MAX)
		return te_err_set(TE_ERR_INVALID_ARG, "an hmac-sha256 key is 1 to %d bytes, not %zu",
				  TE_HSM_HMAC_KEY_MAX, len);
	return TE_OK;
}
