/*
 * pki_testcert.h - certificates for the store and renewal tests, made with
 * plain OpenSSL so the tests do not depend on trustedge's issuance code.
 */
#ifndef TRUSTEDGE_PKI_TESTCERT_H
#define TRUSTEDGE_PKI_TESTCERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trustedge/te_hsm.h"

/* A self-signed certificate for key (CN=cn) valid [nb, na], as PEM in a
 * malloc'd NUL-terminated string; *len its length.  0 on success. */
int tc_cert_pem(EVP_PKEY *key, const char *cn, int64_t nb, int64_t na, char **pem,
		size_t *len);
/* The first certificate of a PEM text, or NULL. */
X509 *tc_pem_leaf(const char *pem, size_t len);
/* Signs data with the key's default algorithm through the HSM and verifies
 * the signature with the certificate's public key: 0 when it verifies. */
int tc_sign_matches_cert(te_hsm *hsm, const char *key_name, X509 *cert);

#endif
