/*
 * tpm_tmpl.h - the standard TPM key templates trustedge uses (storage root
 * key, endorsement key) and the conversion of TPM public areas into
 * OpenSSL keys and SubjectPublicKeyInfo.
 */
#ifndef TRUSTEDGE_HSM_TPM_TMPL_H
#define TRUSTEDGE_HSM_TPM_TMPL_H

#include <tss2/tss2_tpm2_types.h>

#include "trustedge/te_hsm.h"

/* TCG TPM v2.0 Provisioning Guidance: the ECC NIST P-256 storage root key
 * (restricted decrypt, AES-128-CFB, unique x and y 32 zero bytes each). */
void te_tpm_srk_template(TPM2B_PUBLIC *out);

/* TCG EK Credential Profile, template L-1: the RSA 2048 endorsement key
 * (low range; authPolicy is PolicySecret(TPM_RH_ENDORSEMENT), unique 256
 * zero bytes). */
void te_tpm_ek_template(TPM2B_PUBLIC *out);

/* OpenSSL public key of an RSA or ECC public area; TE_ERR_MALFORMED for a
 * public area OpenSSL cannot take, TE_ERR_UNSUPPORTED for other types. */
te_err te_tpm_pub_to_evp(const TPMT_PUBLIC *pub, EVP_PKEY **out) TE_MUST_CHECK;

/* SubjectPublicKeyInfo of pkey, PEM or DER, appended to out. */
te_err te_tpm_pub_encode(EVP_PKEY *pkey, te_hsm_pub_format fmt, te_buf *out) TE_MUST_CHECK;

#endif
