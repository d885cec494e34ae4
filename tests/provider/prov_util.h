/*
 * prov_util.h - what the provider tests share: certificates, requests and
 * CMS signatures made with a given EVP_PKEY, PEM files, and running the
 * openssl command to check them independently.
 */
#ifndef TRUSTEDGE_TEST_PROV_UTIL_H
#define TRUSTEDGE_TEST_PROV_UTIL_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trustedge/te_hsm.h"

/* The digest a key signs certificates with: "SHA256", "SHA384", or NULL
 * for Ed25519. */
const char *pu_cert_md(te_hsm_key_type type);

/* A self-signed certificate for key (CN = cn, SAN 127.0.0.1 and
 * localhost), signed with X509_sign, or with RSA-PSS (salt = digest) when
 * pss is set.  NULL on failure, with the OpenSSL errors printed. */
X509 *pu_self_signed(EVP_PKEY *key, const char *mdname, int pss, const char *cn);
/* A certificate request signed with X509_REQ_sign; NULL on failure. */
X509_REQ *pu_csr(EVP_PKEY *key, const char *mdname, const char *cn);

/* Writes PEM files; 0 on success. */
int pu_write_cert(const char *path, X509 *cert);
int pu_write_pubkey(const char *path, EVP_PKEY *key);
/* A detached CMS signature of data by cert/key, PEM, at path; 0 on success. */
int pu_cms_sign(const char *path, X509 *cert, EVP_PKEY *key, const void *data, size_t len);

/* 1 when this OpenSSL's CMS signs with keys of ossl_type ("ED25519") at
 * all: 3.0 cannot with Ed25519, its own keys included. */
int pu_cms_signs_with(const char *ossl_type);

/* Signs msg with EVP_DigestSign (RSA-PSS with salt = digest when pss is
 * set); a malloc'd signature, or NULL. */
unsigned char *pu_sign(EVP_PKEY *key, const char *mdname, int pss, const void *msg,
		       size_t len, size_t *sig_len);
/* 1 when sig verifies with key (under the same settings as pu_sign). */
int pu_verify(EVP_PKEY *key, const char *mdname, int pss, const void *msg, size_t len,
	      const unsigned char *sig, size_t sig_len);

/* Runs argv without a shell, stdin from /dev/null, stdout and stderr
 * captured together into *out (malloc'd).  Returns the exit status, or -1
 * when it could not run or was killed (after timeout_s seconds). */
int pu_run(char *const argv[], int timeout_s, char **out);

/* Prints and clears the OpenSSL error queue under a heading. */
void pu_print_errors(const char *what);
/* The OpenSSL error queue as text (malloc'd), cleared. */
char *pu_errors_text(void);

#endif
