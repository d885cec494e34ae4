/*
 * provider.h - the trustedge OpenSSL 3 provider: EVP_PKEYs whose private
 * operations run in an HSM backend through te_hsm, so X509_sign,
 * X509_REQ_sign, CMS and TLS work with keys whose private bytes never
 * enter the process.
 */
#ifndef TRUSTEDGE_HSM_PROVIDER_H
#define TRUSTEDGE_HSM_PROVIDER_H

#include "trustedge/te_hsm.h"

/* Name the provider is registered and fetched under. */
#define TE_PROVIDER_NAME "trustedge"

/* Registers and loads the provider in OpenSSL's default library context,
 * once per process (thread-safe, idempotent).  The default provider stays
 * loaded: the trustedge provider serves only keys it created. */
te_err te_provider_load(void) TE_MUST_CHECK;

/* An EVP_PKEY for asymmetric key `name` of hsm: public operations use the
 * public key, private ones (sign, decrypt) call te_hsm_key_sign /
 * te_hsm_key_decrypt.  The key holds a reference on hsm.  Works with any
 * backend; te_hsm_key_evp returns these for backends whose keys cannot be
 * read out. */
te_err te_provider_key_new(te_hsm *hsm, const char *name, EVP_PKEY **out) TE_MUST_CHECK;

#endif
