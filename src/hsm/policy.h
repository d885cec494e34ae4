/*
 * policy.h - the rules every backend applies the same way: which usage an
 * operation needs, which algorithms fit which key types, and what "the
 * key type's natural algorithm" means.  One copy, so backends cannot drift
 * apart on what a key may do.
 */
#ifndef TRUSTEDGE_HSM_POLICY_H
#define TRUSTEDGE_HSM_POLICY_H

#include "trustedge/te_hsm.h"

/* TE_ERR_PERMISSION naming key `name`, its usage and what was asked
 * (`what`: "sign", "decrypt", ...) unless `have` has a bit of `need`. */
te_err te_hsm_policy_usage(const char *name, uint32_t have, uint32_t need,
			   const char *what) TE_MUST_CHECK;

/* The usage a new key of type gets from `asked` (0: the type's default);
 * usages the type cannot do are refused, so a key's recorded usage always
 * means something. */
te_err te_hsm_policy_new_usage(te_hsm_key_type type, uint32_t asked,
			       uint32_t *out) TE_MUST_CHECK;

/* The signature algorithm for alg (TE_HSM_ALG_DEFAULT: the type's
 * natural one) with a key of type; TE_ERR_UNSUPPORTED when it does not
 * fit, naming the key. */
te_err te_hsm_policy_sign_alg(const char *name, te_hsm_key_type type, te_hsm_alg alg,
			      te_hsm_alg *out) TE_MUST_CHECK;

/* The same for encryption (AES-256-GCM, RSA-OAEP). */
te_err te_hsm_policy_crypt_alg(const char *name, te_hsm_key_type type, te_hsm_alg alg,
			       te_hsm_alg *out) TE_MUST_CHECK;

/* OpenSSL digest name of a signature algorithm ("SHA256", "SHA384"), or
 * NULL for pure Ed25519 and non-signature algorithms. */
const char *te_hsm_policy_digest(te_hsm_alg alg);

#endif
