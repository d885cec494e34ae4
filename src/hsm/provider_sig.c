/*
 * provider_sig.c - signatures with trustedge provider keys: ECDSA (DER),
 * RSA PKCS#1 v1.5 and PSS, and Ed25519.
 *
 * Signing: the message is hashed here with an OpenSSL digest and the HSM
 * signs the digest (TE_HSM_SIGN_PREHASHED); Ed25519 gets the whole message.
 * The HSM API offers ECDSA over SHA-256 and SHA-384 digests and RSA over
 * SHA-256 only, with PSS salt = digest length, so anything else is refused
 * when the digest is chosen: libssl probes each candidate TLS signature
 * algorithm with EVP_DigestSignInit (EVP_PKEY_digestsign_supports_digest)
 * and skips the ones refused there.  Verification needs no secret and is
 * done by another provider with the key's public half.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "hsm/provider_int.h"

enum { OP_NONE, OP_SIGN, OP_VERIFY };

#define ED25519_SIG_LEN 64

typedef struct sigctx {
	te_prov_ctx *prov;
	te_prov_kind kind;
	te_prov_key *key; /* referenced */
	int op;
	int streaming;     /* started by digest_*_init: the digest is fixed */
	EVP_MD *md;        /* NULL until chosen */
	EVP_MD_CTX *mdctx; /* the message hash while streaming */
	int pad;           /* RSA_PKCS1_PADDING or RSA_PKCS1_PSS_PADDING */
	int saltlen;       /* bytes, or RSA_PSS_SALTLEN_* */
	EVP_MD *mgf1;      /* NULL: the signature digest */
} sigctx;

static const char *key_name(const sigctx *c)
{
	return c->key != NULL && c->key->ref != NULL ? c->key->ref : "(public key)";
}

/* --- contexts -------------------------------------------------------------------- */

static sigctx *ctx_new(void *provctx, te_prov_kind kind)
{
	sigctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->prov = provctx;
	c->kind = kind;
	c->pad = RSA_PKCS1_PADDING;
	c->saltlen = RSA_PSS_SALTLEN_DIGEST;
	return c;
}

static void *ecdsa_newctx(void *provctx, const char *propq)
{
	(void)propq;
	return ctx_new(provctx, TE_PROV_EC);
}

static void *rsa_newctx(void *provctx, const char *propq)
{
	(void)propq;
	return ctx_new(provctx, TE_PROV_RSA);
}

static void *ed25519_newctx(void *provctx, const char *propq)
{
	(void)propq;
	return ctx_new(provctx, TE_PROV_ED25519);
}

static void ctx_free(void *vctx)
{
	sigctx *c = vctx;

	if (c == NULL)
		return;
	te_prov_key_unref(c->key);
	EVP_MD_free(c->md);
	EVP_MD_free(c->mgf1);
	EVP_MD_CTX_free(c->mdctx);
	free(c);
}

/* OpenSSL duplicates a context to finish a signature while the caller
 * keeps hashing (EVP_DigestSignFinal), so the hash state is copied too. */
static void *ctx_dup(void *vctx)
{
	const sigctx *src = vctx;
	sigctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = *src;
	c->key = NULL;
	c->md = NULL;
	c->mgf1 = NULL;
	c->mdctx = NULL;
	if (src->key != NULL)
		c->key = te_prov_key_ref(src->key);
	if ((src->md != NULL && EVP_MD_up_ref(src->md) != 1) ||
	    (src->mgf1 != NULL && EVP_MD_up_ref(src->mgf1) != 1))
		goto fail;
	c->md = src->md;
	c->mgf1 = src->mgf1;
	if (src->mdctx != NULL) {
		c->mdctx = EVP_MD_CTX_new();
		if (c->mdctx == NULL || EVP_MD_CTX_copy_ex(c->mdctx, src->mdctx) != 1)
			goto fail;
	}
	return c;
fail:
	ctx_free(c);
	return NULL;
}

/* --- what the HSM can sign ---------------------------------------------------------- */

static int md_is(const EVP_MD *md, const char *name)
{
	return md != NULL && EVP_MD_is_a(md, name);
}

/* 1 when the HSM signs with this digest for this kind of key. */
static int md_signable(te_prov_kind kind, const EVP_MD *md)
{
	switch (kind) {
	case TE_PROV_EC:
		return md_is(md, "SHA256") || md_is(md, "SHA384");
	case TE_PROV_RSA:
		return md_is(md, "SHA256");
	default:
		return 0;
	}
}

static const char *md_name(const EVP_MD *md)
{
	return md != NULL ? EVP_MD_get0_name(md) : "none";
}

/* Chooses the signature digest.  Signing refuses the digests the HSM has
 * no algorithm for; verification takes any, since another provider does it. */
static int md_set(sigctx *c, const char *name)
{
	EVP_MD *md;

	if (c->kind == TE_PROV_ED25519) {
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
			      "Ed25519 signs the message itself; a digest (%s) cannot be set",
			      name);
		return 0;
	}
	md = te_prov_md_fetch(name);
	if (md == NULL) {
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED, "unknown digest '%s'", name);
		return 0;
	}
	if (c->streaming && c->md != NULL && !EVP_MD_is_a(md, EVP_MD_get0_name(c->md))) {
		TE_PROV_RAISE(c->prov, TE_ERR_INVALID_ARG,
			      "the digest is fixed once hashing started (%s, not %s)",
			      md_name(c->md), name);
		EVP_MD_free(md);
		return 0;
	}
	if (c->op == OP_SIGN && !md_signable(c->kind, md)) {
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
			      "key '%s': the HSM signs %s only with %s, not with %s", key_name(c),
			      c->kind == TE_PROV_EC ? "ECDSA" : "RSA",
			      c->kind == TE_PROV_EC ? "SHA-256 or SHA-384" : "SHA-256", name);
		EVP_MD_free(md);
		return 0;
	}
	EVP_MD_free(c->md);
	c->md = md;
	return 1;
}

/* The HSM algorithm for a digest of dlen bytes under the context's
 * settings, or 0 with an error raised. */
static int sign_alg(sigctx *c, size_t dlen, te_hsm_alg *alg)
{
	switch (c->kind) {
	case TE_PROV_EC:
		/* Without a digest set, ECDSA signs whatever hash it is given,
		 * as OpenSSL's own ECDSA does; its length says which it is. */
		if (dlen == 32 && (c->md == NULL || md_is(c->md, "SHA256"))) {
			*alg = TE_HSM_ALG_ECDSA_SHA256;
			return 1;
		}
		if (dlen == 48 && (c->md == NULL || md_is(c->md, "SHA384"))) {
			*alg = TE_HSM_ALG_ECDSA_SHA384;
			return 1;
		}
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
			      "key '%s': the HSM signs ECDSA over SHA-256 or SHA-384 digests "
			      "only, not a %zu-byte %s digest",
			      key_name(c), dlen, md_name(c->md));
		return 0;
	case TE_PROV_RSA:
		if (!md_is(c->md, "SHA256") || dlen != 32) {
			TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
				      "key '%s': the HSM signs RSA over SHA-256 digests only "
				      "(digest: %s, %zu bytes)",
				      key_name(c), md_name(c->md), dlen);
			return 0;
		}
		if (c->pad == RSA_PKCS1_PADDING) {
			*alg = TE_HSM_ALG_RSA_PKCS1_SHA256;
			return 1;
		}
		if (c->pad != RSA_PKCS1_PSS_PADDING) {
			TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
				      "key '%s': the HSM signs RSA with PKCS#1 v1.5 or PSS "
				      "padding only",
				      key_name(c));
			return 0;
		}
		if ((c->saltlen != RSA_PSS_SALTLEN_DIGEST && c->saltlen != 32) ||
		    (c->mgf1 != NULL && !md_is(c->mgf1, "SHA256"))) {
			TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
				      "key '%s': the HSM signs RSA-PSS with MGF1-SHA256 and a "
				      "32-byte salt only",
				      key_name(c));
			return 0;
		}
		*alg = TE_HSM_ALG_RSA_PSS_SHA256;
		return 1;
	case TE_PROV_ED25519:
		*alg = TE_HSM_ALG_ED25519;
		return 1;
	default:
		return 0;
	}
}

static size_t sig_max(const sigctx *c)
{
	int n = EVP_PKEY_get_size(c->key->pub);

	return n > 0 ? (size_t)n : 0;
}

static int hsm_sign(sigctx *c, te_hsm_alg alg, uint32_t flags, const unsigned char *data,
		    size_t len, unsigned char *sig, size_t *siglen, size_t sigsize)
{
	size_t n = sigsize;
	te_err rc;

	rc = te_hsm_key_sign(c->key->hsm, c->key->ref, alg, flags, data, len, sig, &n);
	if (rc != TE_OK) {
		TE_PROV_RAISE_HSM(c->prov, rc);
		return 0;
	}
	*siglen = n;
	return 1;
}

static int sign_digest(sigctx *c, const unsigned char *dgst, size_t dlen, unsigned char *sig,
		       size_t *siglen, size_t sigsize)
{
	te_hsm_alg alg;

	if (!sign_alg(c, dlen, &alg))
		return 0;
	return hsm_sign(c, alg, TE_HSM_SIGN_PREHASHED, dgst, dlen, sig, siglen, sigsize);
}

/* --- parameters ------------------------------------------------------------------------ */

static const struct {
	int mode;
	const char *name;
} pad_names[] = {
	{RSA_PKCS1_PADDING, OSSL_PKEY_RSA_PAD_MODE_PKCSV15},
	{RSA_NO_PADDING, OSSL_PKEY_RSA_PAD_MODE_NONE},
	{RSA_X931_PADDING, OSSL_PKEY_RSA_PAD_MODE_X931},
	{RSA_PKCS1_PSS_PADDING, OSSL_PKEY_RSA_PAD_MODE_PSS},
};

#define N_PAD_NAMES (sizeof(pad_names) / sizeof(pad_names[0]))

/* Padding modes come as integers (EVP_PKEY_CTX_set_rsa_padding) or as
 * names (EVP_PKEY_CTX_set_params, openssl -sigopt). */
static int pad_get(const OSSL_PARAM *p, int *mode)
{
	if (p->data_type != OSSL_PARAM_UTF8_STRING)
		return OSSL_PARAM_get_int(p, mode);
	for (size_t i = 0; i < N_PAD_NAMES; i++) {
		if (strcmp(p->data, pad_names[i].name) == 0) {
			*mode = pad_names[i].mode;
			return 1;
		}
	}
	return 0;
}

static int pad_put(OSSL_PARAM *p, int mode)
{
	if (p->data_type != OSSL_PARAM_UTF8_STRING)
		return OSSL_PARAM_set_int(p, mode);
	for (size_t i = 0; i < N_PAD_NAMES; i++)
		if (pad_names[i].mode == mode)
			return OSSL_PARAM_set_utf8_string(p, pad_names[i].name);
	return 0;
}

/* Salt lengths: integers, or "digest" / "max" / "auto" / a decimal number. */
static int saltlen_get(const OSSL_PARAM *p, int *len)
{
	const char *s = p->data;
	char *end = NULL;
	long v;

	if (p->data_type != OSSL_PARAM_UTF8_STRING)
		return OSSL_PARAM_get_int(p, len);
	if (strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) == 0) {
		*len = RSA_PSS_SALTLEN_DIGEST;
		return 1;
	}
	if (strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX) == 0) {
		*len = RSA_PSS_SALTLEN_MAX;
		return 1;
	}
	if (strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO) == 0) {
		*len = RSA_PSS_SALTLEN_AUTO;
		return 1;
	}
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < -3 || v > 65535)
		return 0;
	*len = (int)v;
	return 1;
}

static int saltlen_put(OSSL_PARAM *p, int len)
{
	char num[16];

	if (p->data_type != OSSL_PARAM_UTF8_STRING)
		return OSSL_PARAM_set_int(p, len);
	switch (len) {
	case RSA_PSS_SALTLEN_DIGEST:
		return OSSL_PARAM_set_utf8_string(p, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST);
	case RSA_PSS_SALTLEN_MAX:
		return OSSL_PARAM_set_utf8_string(p, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX);
	case RSA_PSS_SALTLEN_AUTO:
		return OSSL_PARAM_set_utf8_string(p, OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO);
	default:
		snprintf(num, sizeof(num), "%d", len);
		return OSSL_PARAM_set_utf8_string(p, num);
	}
}

static int rsa_params_set(sigctx *c, const OSSL_PARAM params[])
{
	const OSSL_PARAM *p;
	const char *name = NULL;
	int v;

	p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
	if (p != NULL) {
		if (!pad_get(p, &v)) {
			TE_PROV_RAISE(c->prov, TE_ERR_INVALID_ARG, "unknown RSA padding mode");
			return 0;
		}
		if (c->op == OP_SIGN && v != RSA_PKCS1_PADDING && v != RSA_PKCS1_PSS_PADDING) {
			TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
				      "key '%s': the HSM signs RSA with PKCS#1 v1.5 or PSS padding "
				      "only (asked: %d)",
				      key_name(c), v);
			return 0;
		}
		c->pad = v;
	}
	p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN);
	if (p != NULL) {
		if (!saltlen_get(p, &v)) {
			TE_PROV_RAISE(c->prov, TE_ERR_INVALID_ARG, "malformed PSS salt length");
			return 0;
		}
		/* The HSM's PSS salt is as long as the digest: "digest" or 32. */
		if (c->op == OP_SIGN && v != RSA_PSS_SALTLEN_DIGEST && v != 32) {
			TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
				      "key '%s': the HSM signs RSA-PSS with a salt as long as the "
				      "digest (saltlen \"digest\"), not %d",
				      key_name(c), v);
			return 0;
		}
		c->saltlen = v;
	}
	p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST);
	if (p != NULL) {
		EVP_MD *md;

		if (!OSSL_PARAM_get_utf8_string_ptr(p, &name) ||
		    (md = te_prov_md_fetch(name)) == NULL) {
			TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED, "unknown MGF1 digest");
			return 0;
		}
		if (c->op == OP_SIGN && !md_is(md, "SHA256")) {
			TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
				      "key '%s': the HSM uses MGF1 with SHA-256 only, not %s",
				      key_name(c), name);
			EVP_MD_free(md);
			return 0;
		}
		EVP_MD_free(c->mgf1);
		c->mgf1 = md;
	}
	return 1;
}

static int ctx_set_params(void *vctx, const OSSL_PARAM params[])
{
	sigctx *c = vctx;
	const OSSL_PARAM *p;
	const char *name = NULL;

	if (c == NULL)
		return 0;
	if (params == NULL)
		return 1;
	p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST);
	if (p != NULL && c->kind != TE_PROV_ED25519) {
		if (!OSSL_PARAM_get_utf8_string_ptr(p, &name) || !md_set(c, name))
			return 0;
	}
	if (c->kind == TE_PROV_RSA)
		return rsa_params_set(c, params);
	return 1;
}

static const OSSL_PARAM *ec_settable(void *vctx, void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)vctx;
	(void)provctx;
	return list;
}

static const OSSL_PARAM *rsa_settable(void *vctx, void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_PROPERTIES, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)vctx;
	(void)provctx;
	return list;
}

static const OSSL_PARAM *ed25519_settable(void *vctx, void *provctx)
{
	static const OSSL_PARAM list[] = {OSSL_PARAM_END};

	(void)vctx;
	(void)provctx;
	return list;
}

/* --- AlgorithmIdentifier ------------------------------------------------------------------ */

/* The RSASSA-PSS parameters (RFC 4055): hash, MGF1 with its hash, salt
 * length; SHA-1 and a 20-byte salt are the defaults and left out. */
static int pss_algor(const EVP_MD *md, const EVP_MD *mgf1, int saltlen, X509_ALGOR *out)
{
	RSA_PSS_PARAMS *pss = RSA_PSS_PARAMS_new();
	X509_ALGOR *mgf1_hash = X509_ALGOR_new();
	ASN1_STRING *mgf1_param = NULL, *pss_param = NULL;
	int ok = 0;

	if (pss == NULL || mgf1_hash == NULL)
		goto out;
	X509_ALGOR_set_md(mgf1_hash, mgf1);
	mgf1_param = ASN1_item_pack(mgf1_hash, ASN1_ITEM_rptr(X509_ALGOR), NULL);
	pss->maskGenAlgorithm = X509_ALGOR_new();
	if (mgf1_param == NULL || pss->maskGenAlgorithm == NULL ||
	    X509_ALGOR_set0(pss->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE,
			    mgf1_param) != 1)
		goto out;
	mgf1_param = NULL;
	if (!EVP_MD_is_a(md, "SHA1")) {
		pss->hashAlgorithm = X509_ALGOR_new();
		if (pss->hashAlgorithm == NULL)
			goto out;
		X509_ALGOR_set_md(pss->hashAlgorithm, md);
	}
	if (saltlen != 20) {
		pss->saltLength = ASN1_INTEGER_new();
		if (pss->saltLength == NULL || ASN1_INTEGER_set(pss->saltLength, saltlen) != 1)
			goto out;
	}
	pss_param = ASN1_item_pack(pss, ASN1_ITEM_rptr(RSA_PSS_PARAMS), NULL);
	if (pss_param == NULL ||
	    X509_ALGOR_set0(out, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, pss_param) != 1)
		goto out;
	pss_param = NULL;
	ok = 1;
out:
	ASN1_STRING_free(pss_param);
	ASN1_STRING_free(mgf1_param);
	X509_ALGOR_free(mgf1_hash);
	RSA_PSS_PARAMS_free(pss);
	return ok;
}

/* The signature algorithm as X509_sign, CMS and OCSP write it, built with
 * OpenSSL's ASN.1 code.  0 when the context has no digest yet. */
static int algorithm_id(const sigctx *c, unsigned char **der, int *len)
{
	X509_ALGOR *a = X509_ALGOR_new();
	int nid = NID_undef, ok = 0, saltlen;

	if (a == NULL)
		return 0;
	switch (c->kind) {
	case TE_PROV_ED25519:
		ok = X509_ALGOR_set0(a, OBJ_nid2obj(NID_ED25519), V_ASN1_UNDEF, NULL);
		break;
	case TE_PROV_EC:
		ok = c->md != NULL &&
		     OBJ_find_sigid_by_algs(&nid, EVP_MD_get_type(c->md),
					    NID_X9_62_id_ecPublicKey) == 1 &&
		     X509_ALGOR_set0(a, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL);
		break;
	case TE_PROV_RSA:
		if (c->md == NULL)
			break;
		if (c->pad == RSA_PKCS1_PSS_PADDING) {
			saltlen = c->saltlen >= 0 ? c->saltlen : EVP_MD_get_size(c->md);
			ok = pss_algor(c->md, c->mgf1 ? c->mgf1 : c->md, saltlen, a);
			break;
		}
		ok = c->pad == RSA_PKCS1_PADDING &&
		     OBJ_find_sigid_by_algs(&nid, EVP_MD_get_type(c->md), NID_rsaEncryption) ==
			     1 &&
		     X509_ALGOR_set0(a, OBJ_nid2obj(nid), V_ASN1_NULL, NULL);
		break;
	default:
		break;
	}
	if (ok) {
		*der = NULL;
		*len = i2d_X509_ALGOR(a, der);
		ok = *len > 0;
	}
	X509_ALGOR_free(a);
	return ok;
}

static int ctx_get_params(void *vctx, OSSL_PARAM params[])
{
	sigctx *c = vctx;
	OSSL_PARAM *p;
	unsigned char *der = NULL;
	int len = 0, ok;

	if (c == NULL)
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID);
	if (p != NULL && algorithm_id(c, &der, &len)) {
		ok = OSSL_PARAM_set_octet_string(p, der, (size_t)len);
		OPENSSL_free(der);
		if (!ok)
			return 0;
	}
	p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST);
	if (p != NULL && c->md != NULL && !OSSL_PARAM_set_utf8_string(p, md_name(c->md)))
		return 0;
	if (c->kind != TE_PROV_RSA)
		return 1;
	p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE);
	if (p != NULL && !pad_put(p, c->pad))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN);
	if (p != NULL && !saltlen_put(p, c->saltlen))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST);
	if (p != NULL && (c->mgf1 != NULL || c->md != NULL) &&
	    !OSSL_PARAM_set_utf8_string(p, md_name(c->mgf1 ? c->mgf1 : c->md)))
		return 0;
	return 1;
}

static const OSSL_PARAM *ec_gettable(void *vctx, void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)vctx;
	(void)provctx;
	return list;
}

static const OSSL_PARAM *rsa_gettable(void *vctx, void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)vctx;
	(void)provctx;
	return list;
}

static const OSSL_PARAM *ed25519_gettable(void *vctx, void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)vctx;
	(void)provctx;
	return list;
}

/* --- starting an operation ------------------------------------------------------------------ */

static int ctx_start(sigctx *c, void *provkey, int op)
{
	te_prov_key *k = provkey;
	char usage[64];

	te_prov_method_cache_flush();
	if (c == NULL || k == NULL || k->kind != c->kind || k->pub == NULL) {
		TE_PROV_RAISE(c ? c->prov : NULL, TE_ERR_INVALID_ARG,
			      "not a trustedge key of the kind this signature needs");
		return 0;
	}
	if (op == OP_SIGN && !te_prov_key_is_private(k)) {
		TE_PROV_RAISE(c->prov, TE_ERR_PERMISSION,
			      "this trustedge key was made from public parts and cannot sign");
		return 0;
	}
	/* The backend enforces usage too; saying it here makes libssl skip the
	 * key and makes the error name the key before any data is hashed. */
	if (op == OP_SIGN && !(k->usage & TE_HSM_USAGE_SIGN)) {
		if (te_hsm_usage_format(k->usage, usage, sizeof(usage)) != TE_OK)
			usage[0] = '\0';
		TE_PROV_RAISE(c->prov, TE_ERR_PERMISSION,
			      "key '%s' may not sign (its usage is '%s')", k->ref,
			      usage[0] ? usage : "none");
		return 0;
	}
	if (c->key != k) {
		te_prov_key_unref(c->key);
		c->key = te_prov_key_ref(k);
	}
	c->op = op;
	c->streaming = 0;
	return 1;
}

static int sign_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	sigctx *c = vctx;

	if (!ctx_start(c, provkey, OP_SIGN))
		return 0;
	if (c->kind == TE_PROV_ED25519) {
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
			      "Ed25519 signs whole messages: use EVP_DigestSign");
		return 0;
	}
	return ctx_set_params(c, params);
}

static int verify_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	sigctx *c = vctx;

	if (!ctx_start(c, provkey, OP_VERIFY))
		return 0;
	return ctx_set_params(c, params);
}

/* mdname NULL on a restart (EVP_DigestSignInit on a used context) keeps
 * the digest; NULL on a fresh context takes the key's default, SHA-256. */
static int digest_init(sigctx *c, const char *mdname, void *provkey, const OSSL_PARAM params[],
		       int op)
{
	if (!ctx_start(c, provkey, op))
		return 0;
	if (c->kind == TE_PROV_ED25519) {
		if (mdname != NULL && mdname[0] != '\0' && strcmp(mdname, SN_undef) != 0) {
			TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
				      "Ed25519 signs the message itself; a digest (%s) cannot be "
				      "set",
				      mdname);
			return 0;
		}
	} else {
		if (mdname == NULL || mdname[0] == '\0')
			mdname = c->md != NULL ? md_name(c->md) : "SHA256";
		if (!md_set(c, mdname))
			return 0;
		if (c->mdctx == NULL && (c->mdctx = EVP_MD_CTX_new()) == NULL)
			return 0;
		if (EVP_DigestInit_ex2(c->mdctx, c->md, NULL) != 1)
			return 0;
	}
	c->streaming = 1;
	return ctx_set_params(c, params);
}

static int digest_sign_init(void *vctx, const char *mdname, void *provkey,
			    const OSSL_PARAM params[])
{
	return digest_init(vctx, mdname, provkey, params, OP_SIGN);
}

static int digest_verify_init(void *vctx, const char *mdname, void *provkey,
			      const OSSL_PARAM params[])
{
	return digest_init(vctx, mdname, provkey, params, OP_VERIFY);
}

/* --- signing ---------------------------------------------------------------------------- */

static int op_check(sigctx *c, int op, int streaming)
{
	if (c == NULL || c->key == NULL || c->op != op || (streaming && !c->streaming)) {
		TE_PROV_RAISE(c ? c->prov : NULL, TE_ERR_INVALID_ARG,
			      "signature context not initialised for this operation");
		return 0;
	}
	return 1;
}

/* EVP_PKEY_sign: tbs is the digest. */
static int sign(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize,
		const unsigned char *tbs, size_t tbslen)
{
	sigctx *c = vctx;

	if (!op_check(c, OP_SIGN, 0))
		return 0;
	if (sig == NULL) {
		*siglen = sig_max(c);
		return 1;
	}
	return sign_digest(c, tbs, tbslen, sig, siglen, sigsize);
}

static int digest_update(void *vctx, const unsigned char *data, size_t datalen)
{
	sigctx *c = vctx;

	if (c == NULL || !c->streaming || c->mdctx == NULL) {
		TE_PROV_RAISE(c ? c->prov : NULL, TE_ERR_UNSUPPORTED, "%s",
			      c != NULL && c->kind == TE_PROV_ED25519
				      ? "Ed25519 takes whole messages: use EVP_DigestSign or "
					"EVP_DigestVerify in one call"
				      : "signature context not initialised for hashing");
		return 0;
	}
	return EVP_DigestUpdate(c->mdctx, data, datalen);
}

static int digest_sign_final(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize)
{
	sigctx *c = vctx;
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!op_check(c, OP_SIGN, 1))
		return 0;
	if (sig == NULL) {
		*siglen = sig_max(c);
		return 1;
	}
	if (c->mdctx == NULL || EVP_DigestFinal_ex(c->mdctx, dgst, &n) != 1)
		return 0;
	return sign_digest(c, dgst, n, sig, siglen, sigsize);
}

static int digest_sign(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize,
		       const unsigned char *tbs, size_t tbslen)
{
	sigctx *c = vctx;
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!op_check(c, OP_SIGN, 1))
		return 0;
	if (sig == NULL) {
		*siglen = c->kind == TE_PROV_ED25519 ? ED25519_SIG_LEN : sig_max(c);
		return 1;
	}
	if (c->kind == TE_PROV_ED25519)
		return hsm_sign(c, TE_HSM_ALG_ED25519, 0, tbs, tbslen, sig, siglen, sigsize);
	if (EVP_Digest(tbs, tbslen, dgst, &n, c->md, NULL) != 1)
		return 0;
	return sign_digest(c, dgst, n, sig, siglen, sigsize);
}

/* --- verifying, by the public half ----------------------------------------------------- */

static int delegate_setup(const sigctx *c, EVP_PKEY_CTX *pctx)
{
	if (c->md != NULL && EVP_PKEY_CTX_set_signature_md(pctx, c->md) <= 0)
		return 0;
	if (c->kind != TE_PROV_RSA)
		return 1;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, c->pad) <= 0)
		return 0;
	if (c->pad != RSA_PKCS1_PSS_PADDING)
		return 1;
	if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, c->saltlen) <= 0)
		return 0;
	return c->mgf1 == NULL || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, c->mgf1) > 0;
}

static int verify_digest(sigctx *c, const unsigned char *sig, size_t siglen,
			 const unsigned char *dgst, size_t dlen)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, c->key->pub, TE_PROV_PROPQ);
	int r = 0;

	if (pctx != NULL && EVP_PKEY_verify_init(pctx) == 1 && delegate_setup(c, pctx))
		r = EVP_PKEY_verify(pctx, sig, siglen, dgst, dlen);
	EVP_PKEY_CTX_free(pctx);
	return r == 1;
}

static int verify(void *vctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs,
		  size_t tbslen)
{
	sigctx *c = vctx;

	if (!op_check(c, OP_VERIFY, 0))
		return 0;
	return verify_digest(c, sig, siglen, tbs, tbslen);
}

static int digest_verify_final(void *vctx, const unsigned char *sig, size_t siglen)
{
	sigctx *c = vctx;
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!op_check(c, OP_VERIFY, 1))
		return 0;
	if (c->mdctx == NULL || EVP_DigestFinal_ex(c->mdctx, dgst, &n) != 1)
		return 0;
	return verify_digest(c, sig, siglen, dgst, n);
}

static int digest_verify(void *vctx, const unsigned char *sig, size_t siglen,
			 const unsigned char *tbs, size_t tbslen)
{
	sigctx *c = vctx;
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *m;
	int r = 0;

	if (!op_check(c, OP_VERIFY, 1))
		return 0;
	if (c->kind != TE_PROV_ED25519) {
		if (EVP_Digest(tbs, tbslen, dgst, &n, c->md, NULL) != 1)
			return 0;
		return verify_digest(c, sig, siglen, dgst, n);
	}
	m = EVP_MD_CTX_new();
	if (m != NULL &&
	    EVP_DigestVerifyInit_ex(m, NULL, NULL, NULL, TE_PROV_PROPQ, c->key->pub, NULL) == 1)
		r = EVP_DigestVerify(m, sig, siglen, tbs, tbslen);
	EVP_MD_CTX_free(m);
	return r == 1;
}

/* --- dispatch tables ------------------------------------------------------------------------ */

#define F(id, fn) {id, (void (*)(void))(fn)}

#define SIG_COMMON                                                                          \
	F(OSSL_FUNC_SIGNATURE_FREECTX, ctx_free), F(OSSL_FUNC_SIGNATURE_DUPCTX, ctx_dup),       \
	F(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, digest_sign_init),                          \
	F(OSSL_FUNC_SIGNATURE_DIGEST_SIGN, digest_sign),                                    \
	F(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT, digest_verify_init),                      \
	F(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY, digest_verify),                                \
	F(OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, ctx_get_params),                              \
	F(OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, ctx_set_params)

/* ECDSA and RSA also sign precomputed digests and hash in pieces. */
#define SIG_HASHED                                                                          \
	F(OSSL_FUNC_SIGNATURE_SIGN_INIT, sign_init), F(OSSL_FUNC_SIGNATURE_SIGN, sign),         \
	F(OSSL_FUNC_SIGNATURE_VERIFY_INIT, verify_init), F(OSSL_FUNC_SIGNATURE_VERIFY, verify), \
	F(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, digest_update),                           \
	F(OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, digest_sign_final),                        \
	F(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE, digest_update),                         \
	F(OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL, digest_verify_final)

const OSSL_DISPATCH te_prov_ecdsa_signature[] = {
	F(OSSL_FUNC_SIGNATURE_NEWCTX, ecdsa_newctx),
	SIG_COMMON,
	SIG_HASHED,
	F(OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, ec_settable),
	F(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, ec_gettable),
	{0, NULL},
};

const OSSL_DISPATCH te_prov_rsa_signature[] = {
	F(OSSL_FUNC_SIGNATURE_NEWCTX, rsa_newctx),
	SIG_COMMON,
	SIG_HASHED,
	F(OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, rsa_settable),
	F(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, rsa_gettable),
	{0, NULL},
};

const OSSL_DISPATCH te_prov_ed25519_signature[] = {
	F(OSSL_FUNC_SIGNATURE_NEWCTX, ed25519_newctx),
	SIG_COMMON,
	F(OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, ed25519_settable),
	F(OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, ed25519_gettable),
	{0, NULL},
};
