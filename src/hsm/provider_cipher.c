/*
 * provider_cipher.c - RSA encryption with trustedge provider keys.
 *
 * Decryption runs in the HSM, which offers RSA-OAEP with SHA-256 (and
 * MGF1-SHA256, no label) only; every other padding or digest is refused
 * with a reason, including PKCS#1 v1.5, so TLS 1.2's RSA key exchange
 * cannot be served (ECDHE suites can).  Encryption needs only the public
 * half and is done by another provider with whatever the caller set.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "hsm/provider_int.h"

enum { OP_NONE, OP_ENCRYPT, OP_DECRYPT };

typedef struct cipherctx {
	te_prov_ctx *prov;
	te_prov_key *key; /* referenced */
	int op;
	int pad;
	EVP_MD *oaep_md; /* NULL: OpenSSL's default, SHA-1 */
	EVP_MD *mgf1;    /* NULL: the OAEP digest */
	unsigned char *label;
	size_t label_len;
} cipherctx;

static void *ctx_new(void *provctx)
{
	cipherctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->prov = provctx;
	/* OpenSSL's default for RSA encryption, which the HSM cannot do:
	 * callers must ask for OAEP, as they must with OpenSSL's own keys. */
	c->pad = RSA_PKCS1_PADDING;
	return c;
}

static void ctx_free(void *vctx)
{
	cipherctx *c = vctx;

	if (c == NULL)
		return;
	te_prov_key_unref(c->key);
	EVP_MD_free(c->oaep_md);
	EVP_MD_free(c->mgf1);
	OPENSSL_free(c->label);
	free(c);
}

static void *ctx_dup(void *vctx)
{
	const cipherctx *src = vctx;
	cipherctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = *src;
	c->key = NULL;
	c->oaep_md = NULL;
	c->mgf1 = NULL;
	c->label = NULL;
	if (src->key != NULL)
		c->key = te_prov_key_ref(src->key);
	if ((src->oaep_md != NULL && EVP_MD_up_ref(src->oaep_md) != 1) ||
	    (src->mgf1 != NULL && EVP_MD_up_ref(src->mgf1) != 1))
		goto fail;
	c->oaep_md = src->oaep_md;
	c->mgf1 = src->mgf1;
	if (src->label != NULL && (c->label = OPENSSL_memdup(src->label, src->label_len)) == NULL)
		goto fail;
	return c;
fail:
	ctx_free(c);
	return NULL;
}

/* --- parameters ------------------------------------------------------------------ */

static const struct {
	int mode;
	const char *name;
} pad_names[] = {
	{RSA_PKCS1_PADDING, OSSL_PKEY_RSA_PAD_MODE_PKCSV15},
	{RSA_NO_PADDING, OSSL_PKEY_RSA_PAD_MODE_NONE},
	{RSA_PKCS1_OAEP_PADDING, OSSL_PKEY_RSA_PAD_MODE_OAEP},
	{RSA_X931_PADDING, OSSL_PKEY_RSA_PAD_MODE_X931},
};

#define N_PAD_NAMES (sizeof(pad_names) / sizeof(pad_names[0]))

static int md_param(cipherctx *c, const OSSL_PARAM *p, EVP_MD **slot)
{
	const char *name = NULL;
	EVP_MD *md;

	if (!OSSL_PARAM_get_utf8_string_ptr(p, &name) || (md = te_prov_md_fetch(name)) == NULL) {
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED, "unknown digest for RSA-OAEP");
		return 0;
	}
	EVP_MD_free(*slot);
	*slot = md;
	return 1;
}

static int ctx_set_params(void *vctx, const OSSL_PARAM params[])
{
	cipherctx *c = vctx;
	const OSSL_PARAM *p;
	void *label = NULL;
	size_t len = 0;
	int mode = -1;

	if (c == NULL)
		return 0;
	if (params == NULL)
		return 1;
	p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
	if (p != NULL) {
		if (p->data_type == OSSL_PARAM_UTF8_STRING) {
			for (size_t i = 0; i < N_PAD_NAMES; i++)
				if (strcmp(p->data, pad_names[i].name) == 0)
					mode = pad_names[i].mode;
		} else if (!OSSL_PARAM_get_int(p, &mode)) {
			mode = -1;
		}
		if (mode < 0) {
			TE_PROV_RAISE(c->prov, TE_ERR_INVALID_ARG, "unknown RSA padding mode");
			return 0;
		}
		c->pad = mode;
	}
	p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST);
	if (p != NULL && !md_param(c, p, &c->oaep_md))
		return 0;
	p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST);
	if (p != NULL && !md_param(c, p, &c->mgf1))
		return 0;
	p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL);
	if (p != NULL) {
		if (!OSSL_PARAM_get_octet_string(p, &label, 0, &len))
			return 0;
		OPENSSL_free(c->label);
		c->label = label;
		c->label_len = len;
	}
	return 1;
}

static const OSSL_PARAM *ctx_settable(void *vctx, void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST_PROPS, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST_PROPS, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)vctx;
	(void)provctx;
	return list;
}

static int ctx_get_params(void *vctx, OSSL_PARAM params[])
{
	cipherctx *c = vctx;
	OSSL_PARAM *p;
	const EVP_MD *oaep;

	if (c == NULL)
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);
	if (p != NULL) {
		int ok = 0;

		if (p->data_type != OSSL_PARAM_UTF8_STRING) {
			ok = OSSL_PARAM_set_int(p, c->pad);
		} else {
			for (size_t i = 0; i < N_PAD_NAMES; i++)
				if (pad_names[i].mode == c->pad)
					ok = OSSL_PARAM_set_utf8_string(p, pad_names[i].name);
		}
		if (!ok)
			return 0;
	}
	oaep = c->oaep_md;
	p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST);
	if (p != NULL && !OSSL_PARAM_set_utf8_string(p, oaep ? EVP_MD_get0_name(oaep) : "SHA1"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST);
	if (p != NULL &&
	    !OSSL_PARAM_set_utf8_string(p, c->mgf1 ? EVP_MD_get0_name(c->mgf1)
						   : (oaep ? EVP_MD_get0_name(oaep) : "SHA1")))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL);
	if (p != NULL && !OSSL_PARAM_set_octet_ptr(p, c->label, c->label_len))
		return 0;
	return 1;
}

static const OSSL_PARAM *ctx_gettable(void *vctx, void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, NULL, 0),
		OSSL_PARAM_octet_ptr(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)vctx;
	(void)provctx;
	return list;
}

/* --- operations ------------------------------------------------------------------------ */

static int ctx_start(cipherctx *c, void *provkey, const OSSL_PARAM params[], int op)
{
	te_prov_key *k = provkey;
	char usage[64];

	te_prov_method_cache_flush();
	if (c == NULL || k == NULL || k->kind != TE_PROV_RSA || k->pub == NULL) {
		TE_PROV_RAISE(c ? c->prov : NULL, TE_ERR_INVALID_ARG, "not a trustedge RSA key");
		return 0;
	}
	if (op == OP_DECRYPT && !te_prov_key_is_private(k)) {
		TE_PROV_RAISE(c->prov, TE_ERR_PERMISSION,
			      "this trustedge key was made from public parts and cannot decrypt");
		return 0;
	}
	if (op == OP_DECRYPT && !(k->usage & TE_HSM_USAGE_ENCRYPT)) {
		if (te_hsm_usage_format(k->usage, usage, sizeof(usage)) != TE_OK)
			usage[0] = '\0';
		TE_PROV_RAISE(c->prov, TE_ERR_PERMISSION,
			      "key '%s' may not decrypt (its usage is '%s')", k->ref,
			      usage[0] ? usage : "none");
		return 0;
	}
	if (c->key != k) {
		te_prov_key_unref(c->key);
		c->key = te_prov_key_ref(k);
	}
	c->op = op;
	return ctx_set_params(c, params);
}

static int encrypt_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	return ctx_start(vctx, provkey, params, OP_ENCRYPT);
}

static int decrypt_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
	return ctx_start(vctx, provkey, params, OP_DECRYPT);
}

/* Encryption by the public half, with the caller's settings as given. */
static int rsa_encrypt(void *vctx, unsigned char *out, size_t *outlen, size_t outsize,
		   const unsigned char *in, size_t inlen)
{
	cipherctx *c = vctx;
	EVP_PKEY_CTX *pctx;
	unsigned char *label = NULL;
	int ok = 0;

	if (c == NULL || c->key == NULL || c->op != OP_ENCRYPT)
		return 0;
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, c->key->pub, TE_PROV_PROPQ);
	if (pctx == NULL || EVP_PKEY_encrypt_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, c->pad) <= 0)
		goto out;
	if (c->pad == RSA_PKCS1_OAEP_PADDING) {
		if ((c->oaep_md != NULL && EVP_PKEY_CTX_set_rsa_oaep_md(pctx, c->oaep_md) <= 0) ||
		    (c->mgf1 != NULL && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, c->mgf1) <= 0))
			goto out;
		if (c->label_len > 0) {
			label = OPENSSL_memdup(c->label, c->label_len);
			if (label == NULL ||
			    EVP_PKEY_CTX_set0_rsa_oaep_label(pctx, label, (int)c->label_len) <= 0)
				goto out;
			label = NULL; /* the context owns it now */
		}
	}
	*outlen = outsize;
	ok = EVP_PKEY_encrypt(pctx, out, outlen, in, inlen) == 1;
out:
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(pctx);
	return ok;
}

/* Says why the HSM cannot decrypt with these settings; 1 when it can. */
static int decrypt_supported(cipherctx *c)
{
	const EVP_MD *mgf1 = c->mgf1 ? c->mgf1 : c->oaep_md;

	if (c->pad != RSA_PKCS1_OAEP_PADDING) {
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
			      "key '%s': the HSM decrypts RSA-OAEP only (padding %d asked; "
			      "PKCS#1 v1.5 and raw RSA are refused)",
			      c->key->ref, c->pad);
		return 0;
	}
	if (c->oaep_md == NULL || !EVP_MD_is_a(c->oaep_md, "SHA256") || mgf1 == NULL ||
	    !EVP_MD_is_a(mgf1, "SHA256")) {
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
			      "key '%s': the HSM decrypts RSA-OAEP with SHA-256 and MGF1-SHA256 "
			      "only (set the OAEP digest to SHA256)",
			      c->key->ref);
		return 0;
	}
	if (c->label_len != 0) {
		TE_PROV_RAISE(c->prov, TE_ERR_UNSUPPORTED,
			      "key '%s': the HSM decrypts RSA-OAEP without a label only",
			      c->key->ref);
		return 0;
	}
	return 1;
}

static int rsa_decrypt(void *vctx, unsigned char *out, size_t *outlen, size_t outsize,
		   const unsigned char *in, size_t inlen)
{
	cipherctx *c = vctx;
	size_t n = outsize;
	int size;
	te_err rc;

	if (c == NULL || c->key == NULL || c->op != OP_DECRYPT)
		return 0;
	if (!decrypt_supported(c))
		return 0;
	if (out == NULL) {
		size = EVP_PKEY_get_size(c->key->pub);
		*outlen = size > 0 ? (size_t)size : 0;
		return 1;
	}
	rc = te_hsm_key_decrypt(c->key->hsm, c->key->ref, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0,
				NULL, 0, in, inlen, out, &n);
	if (rc != TE_OK) {
		TE_PROV_RAISE_HSM(c->prov, rc);
		return 0;
	}
	*outlen = n;
	return 1;
}

#define F(id, fn) {id, (void (*)(void))(fn)}

const OSSL_DISPATCH te_prov_rsa_cipher[] = {
	F(OSSL_FUNC_ASYM_CIPHER_NEWCTX, ctx_new),
	F(OSSL_FUNC_ASYM_CIPHER_FREECTX, ctx_free),
	F(OSSL_FUNC_ASYM_CIPHER_DUPCTX, ctx_dup),
	F(OSSL_FUNC_ASYM_CIPHER_ENCRYPT_INIT, encrypt_init),
	F(OSSL_FUNC_ASYM_CIPHER_ENCRYPT, rsa_encrypt),
	F(OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, decrypt_init),
	F(OSSL_FUNC_ASYM_CIPHER_DECRYPT, rsa_decrypt),
	F(OSSL_FUNC_ASYM_CIPHER_GET_CTX_PARAMS, ctx_get_params),
	F(OSSL_FUNC_ASYM_CIPHER_GETTABLE_CTX_PARAMS, ctx_gettable),
	F(OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS, ctx_set_params),
	F(OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS, ctx_settable),
	{0, NULL},
};
