/*
 * test_root.c - the attestation tests' own root of trust (test_root.h).
 */
#include "test_root.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

typedef struct te_test_root {
	te_rot base; /* first */
	EVP_PKEY *key;
	char *chain;
	char *ca_pem;
} te_test_root;

static oe_result_t te_test_root_derive(te_rot *rot, const uint8_t *label, size_t label_size,
                                       uint8_t out[32])
{
	return OE_UNSUPPORTED;
}

static oe_result_t te_test_root_sign(te_rot *rot, const uint8_t *tbs, size_t tbs_size, uint8_t *sig,
                                     size_t *sig_size)
{
	te_test_root *t = (te_test_root *)rot;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = *sig_size;
	oe_result_t r = OE_CRYPTO_ERROR;

	if (md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, t->key) == 1 &&
	    EVP_DigestSign(md, sig, &n, tbs, tbs_size) == 1) {
		*sig_size = n;
		r = OE_OK;
	}
	EVP_MD_CTX_free(md);
	return r;
}

static const char *te_test_root_chain(te_rot *rot)
{
	return ((te_test_root *)rot)->chain;
}

static void te_test_root_close(te_rot *rot)
{
}

static const te_rot_ops te_test_root_ops = {
    .version = TE_ROT_OPS_VERSION,
    .name = "test",
    .derive = te_test_root_derive,
    .sign = te_test_root_sign,
    .chain = te_test_root_chain,
    .close = te_test_root_close,
};

static EVP_PKEY *te_test_key(void)
{
	return EVP_EC_gen("P-256");
}

static int te_test_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static X509 *te_test_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                          long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	int ok = x != NULL && name != NULL;

	ok = ok && X509_set_version(x, 2) == 1;
	ok = ok && ASN1_INTEGER_set(X509_get_serialNumber(x), serial) == 1;
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL;
	ok = ok && X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365 * 20) != NULL;
	ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
	                                      -1, -1, 0) == 1;
	ok = ok && X509_set_subject_name(x, name) == 1;
	ok = ok && X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1;
	ok = ok && X509_set_pubkey(x, key) == 1;
	if (issuer == NULL)
		ok = ok && te_test_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
		     te_test_ext(x, x, NID_key_usage, "critical,keyCertSign") &&
		     te_test_ext(x, x, NID_subject_key_identifier, "hash");
	else
		ok = ok && te_test_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
		     te_test_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	ok = ok && X509_sign(x, issuer_key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static char *te_test_pem(X509 *a, X509 *b)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (bio != NULL && PEM_write_bio_X509(bio, a) == 1 &&
	    (b == NULL || PEM_write_bio_X509(bio, b) == 1)) {
		n = BIO_get_mem_data(bio, &data);
		out = n > 0 ? strndup(data, (size_t)n) : NULL;
	}
	BIO_free(bio);
	return out;
}

te_rot *te_test_root_new(int developer, const char *cn)
{
	te_test_root *t = calloc(1, sizeof(*t));
	EVP_PKEY *ca_key = te_test_key();
	X509 *ca = NULL, *leaf = NULL;
	char cn_leaf[128];

	if (t == NULL || ca_key == NULL)
		goto fail;
	t->key = te_test_key();
	snprintf(cn_leaf, sizeof(cn_leaf), "%s attestation key", cn);
	ca = te_test_cert(ca_key, cn, NULL, ca_key, 1);
	leaf = t->key ? te_test_cert(t->key, cn_leaf, ca, ca_key, 2) : NULL;
	if (ca == NULL || leaf == NULL)
		goto fail;
	t->chain = te_test_pem(leaf, ca);
	t->ca_pem = te_test_pem(ca, NULL);
	if (t->chain == NULL || t->ca_pem == NULL)
		goto fail;
	t->base.ops = &te_test_root_ops;
	t->base.flags = developer ? TE_ROT_FLAG_DEVELOPER : 0;
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	return &t->base;
fail:
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(ca_key);
	te_test_root_free(t ? &t->base : NULL);
	return NULL;
}

void te_test_root_free(te_rot *rot)
{
	te_test_root *t = (te_test_root *)rot;

	if (t == NULL)
		return;
	EVP_PKEY_free(t->key);
	free(t->chain);
	free(t->ca_pem);
	free(t);
}

const char *te_test_root_ca_pem(te_rot *rot)
{
	return ((te_test_root *)rot)->ca_pem;
}
