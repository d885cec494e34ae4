/* pki_testcert.c - see pki_testcert.h. */
#include "pki_testcert.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

int tc_cert_pem(EVP_PKEY *key, const char *cn, int64_t nb, int64_t na, char **pem,
		size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	ASN1_INTEGER *serial = NULL;
	char *data;
	long n;
	int ok = 0;
	/* Ed25519 signs without a separate digest. */
	const EVP_MD *md = EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();

	if (x == NULL || bio == NULL)
		goto out;
	serial = ASN1_INTEGER_new();
	if (serial == NULL || !ASN1_INTEGER_set_int64(serial, nb ^ na) ||
	    !X509_set_serialNumber(x, serial) || !X509_set_version(x, 2))
		goto out;
	name = X509_NAME_new();
	if (name == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
					-1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name))
		goto out;
	if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) == NULL)
		goto out;
	if (!X509_set_pubkey(x, key) || X509_sign(x, key, md) <= 0)
		goto out;
	if (!PEM_write_bio_X509(bio, x))
		goto out;
	n = BIO_get_mem_data(bio, &data);
	*pem = malloc((size_t)n + 1);
	if (*pem == NULL)
		goto out;
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*len = (size_t)n;
	ok = 1;
out:
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	X509_free(x);
	BIO_free(bio);
	return ok ? 0 : -1;
}

X509 *tc_pem_leaf(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

int tc_sign_matches_cert(te_hsm *hsm, const char *key_name, X509 *cert)
{
	static const char msg[] = "kill -9 leaves a usable certificate";
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	int ok = 0;

	if (pub == NULL || te_hsm_key_sign(hsm, key_name, TE_HSM_ALG_DEFAULT, 0, msg,
					   sizeof(msg) - 1, sig, &sig_len) != TE_OK)
		return -1;
	ctx = EVP_MD_CTX_new();
	/* EC and RSA-PSS defaults hash with SHA-256; Ed25519 takes no digest. */
	if (ctx != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL,
				 EVP_PKEY_get_id(pub) == EVP_PKEY_ED25519 ? NULL : EVP_sha256(),
				 NULL, pub) == 1 &&
	    EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)msg, sizeof(msg) - 1) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}
