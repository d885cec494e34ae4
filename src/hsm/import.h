/*
 * import.h - reading the key material that te_hsm_key_import is given,
 * the same way for every backend: a private key in PEM or DER (PKCS#8 or
 * traditional, never encrypted) whose type is detected and checked, or
 * the raw bytes of a secret key with their length checked.
 */
#ifndef TRUSTEDGE_HSM_IMPORT_H
#define TRUSTEDGE_HSM_IMPORT_H

#include "trustedge/te_hsm.h"

/* Decodes a private key and finds its type; want (TE_HSM_KEY_NONE: any)
 * must match it.  *out is freed by the caller with EVP_PKEY_free. */
te_err te_hsm_import_pkey(const void *material, size_t len, te_hsm_key_type want,
			  EVP_PKEY **out, te_hsm_key_type *found) TE_MUST_CHECK;

/* Checks the length of a raw secret key of type (AES: 32 bytes; HMAC:
 * 1..TE_HSM_HMAC_KEY_MAX). */
te_err te_hsm_import_secret_check(te_hsm_key_type type, size_t len) TE_MUST_CHECK;

#endif
