/* gcm.c - one AES-256-GCM message for the backends (see gcm.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "hsm/gcm.h"

te_err te_hsm_gcm_message(EVP_CIPHER_CTX *ctx, int enc, const char *name, const uint8_t *aad,
			  size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *out,
			  size_t *out_len)
{
	te_err rc = TE_OK;
	size_t body, need;
	uint8_t *dst = out, *tmp = NULL;
	int n = 0;

	TE_ENSURE(enc || in_len >= TE_HSM_GCM_TAG_LEN, TE_ERR_DECRYPT_FAILED,
		  "ciphertext of %zu bytes is shorter than the GCM tag", in_len);
	body = enc ? in_len : in_len - TE_HSM_GCM_TAG_LEN;
	need = enc ? in_len + TE_HSM_GCM_TAG_LEN : body;
	if (*out_len < need) {
		*out_len = need;
		TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "output needs %zu bytes", need);
	}
	/* Decryption goes to a scratch buffer first, so a caller never sees
	 * plaintext that failed authentication. */
	if (!enc && body > 0) {
		tmp = malloc(body);
		TE_GUARD_PTR(tmp, TE_ERR_NO_MEMORY, "out of memory");
		dst = tmp;
	}
	if (aad_len > 0)
		TE_GUARD_OSSL(EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len), "GCM aad");
	if (body > 0)
		TE_GUARD_OSSL(EVP_CipherUpdate(ctx, dst, &n, in, (int)body), "GCM");
	if (!enc)
		TE_GUARD_OSSL(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TE_HSM_GCM_TAG_LEN,
						  (void *)(in + body)),
			      "GCM tag");
	if (EVP_CipherFinal_ex(ctx, dst + body, &n) <= 0) {
		ERR_clear_error();
		rc = te_err_set(enc ? TE_ERR_CRYPTO : TE_ERR_DECRYPT_FAILED,
				enc ? "AES-GCM encryption failed"
				    : "decryption with key '%s' failed: wrong key, IV or AAD, or "
				      "the ciphertext was altered",
				name);
		goto out;
	}
	if (enc)
		TE_GUARD_OSSL(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TE_HSM_GCM_TAG_LEN,
						  out + body),
			      "GCM tag");
	else if (body > 0)
		memcpy(out, tmp, body);
	*out_len = need;
out:
	if (tmp != NULL) {
		te_memzero(tmp, body);
		free(tmp);
	}
	return rc;
}
