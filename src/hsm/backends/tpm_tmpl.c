/*
 * tpm_tmpl.c - standard TPM templates and TPM public areas as OpenSSL keys
 * (see tpm_tmpl.h).  Template values are those of the TCG documents named
 * in the header, so that tpm2-tools and other stacks compute the same keys
 * from the same seeds.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hsm/backends/tpm_tmpl.h"

void te_tpm_srk_template(TPM2B_PUBLIC *out)
{
	TPMT_PUBLIC *p = &out->publicArea;

	memset(out, 0, sizeof(*out));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.eccDetail.symmetric.keyBits.aes = 128;
	p->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->unique.ecc.x.size = 32;
	p->unique.ecc.y.size = 32;
}

void te_tpm_ek_template(TPM2B_PUBLIC *out)
{
	/* TPM2_PolicySecret(TPM_RH_ENDORSEMENT), EK Credential Profile B.3.3. */
	static const uint8_t policy[32] = {
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
		0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
		0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
	};
	TPMT_PUBLIC *p = &out->publicArea;

	memset(out, 0, sizeof(*out));
	p->type = TPM2_ALG_RSA;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->authPolicy.size = sizeof(policy);
	memcpy(p->authPolicy.buffer, policy, sizeof(policy));
	p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.rsaDetail.symmetric.keyBits.aes = 128;
	p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.rsaDetail.keyBits = 2048;
	p->parameters.rsaDetail.exponent = 0;
	p->unique.rsa.size = 256;
}

static te_err rsa_to_evp(const TPMT_PUBLIC *pub, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	const TPM2B_PUBLIC_KEY_RSA *n = &pub->unique.rsa;
	uint32_t e = pub->parameters.rsaDetail.exponent ? pub->parameters.rsaDetail.exponent
							: 65537;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	EVP_PKEY *pkey = NULL;

	TE_GUARD_PTR(bld, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(n->size > 0 && n->size <= sizeof(n->buffer), TE_ERR_MALFORMED,
		  "RSA public area has no modulus");
	bn_n = BN_bin2bn(n->buffer, n->size, NULL);
	bn_e = BN_new();
	TE_ENSURE(bn_n != NULL && bn_e != NULL && BN_set_word(bn_e, e) == 1, TE_ERR_NO_MEMORY,
		  "out of memory");
	TE_GUARD_OSSL(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n), "RSA modulus");
	TE_GUARD_OSSL(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e), "RSA exponent");
	params = OSSL_PARAM_BLD_to_param(bld);
	TE_GUARD_PTR(params, TE_ERR_NO_MEMORY, "out of memory");
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_PKEY_fromdata_init(ctx), "RSA public key");
	TE_GUARD_OSSL(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), "RSA public key");
	*out = pkey;
out:
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static te_err ecc_to_evp(const TPMT_PUBLIC *pub, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	const TPMS_ECC_POINT *pt = &pub->unique.ecc;
	uint8_t point[1 + 2 * 66];
	const char *group;
	size_t flen;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	switch (pub->parameters.eccDetail.curveID) {
	case TPM2_ECC_NIST_P256:
		group = "P-256";
		flen = 32;
		break;
	case TPM2_ECC_NIST_P384:
		group = "P-384";
		flen = 48;
		break;
	case TPM2_ECC_NIST_P521:
		group = "P-521";
		flen = 66;
		break;
	default:
		return te_err_set(TE_ERR_UNSUPPORTED, "ECC curve 0x%04x is not supported",
				  pub->parameters.eccDetail.curveID);
	}
	TE_ENSURE(pt->x.size > 0 && pt->x.size <= flen && pt->y.size > 0 && pt->y.size <= flen,
		  TE_ERR_MALFORMED, "ECC public point does not fit curve %s", group);
	/* Uncompressed point, each coordinate left-padded to the field size. */
	memset(point, 0, sizeof(point));
	point[0] = 0x04;
	memcpy(point + 1 + flen - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 1 + 2 * flen - pt->y.size, pt->y.buffer, pt->y.size);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * flen);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_PKEY_fromdata_init(ctx), "EC public key");
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = te_err_set_ossl(TE_ERR_MALFORMED, "EC public point");
		goto out;
	}
	*out = pkey;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

te_err te_tpm_pub_to_evp(const TPMT_PUBLIC *pub, EVP_PKEY **out)
{
	switch (pub->type) {
	case TPM2_ALG_RSA:
		return rsa_to_evp(pub, out);
	case TPM2_ALG_ECC:
		return ecc_to_evp(pub, out);
	default:
		return te_err_set(TE_ERR_UNSUPPORTED, "TPM object type 0x%04x has no public key",
				  pub->type);
	}
}

te_err te_tpm_pub_encode(EVP_PKEY *pkey, te_hsm_pub_format fmt, te_buf *out)
{
	te_err rc = TE_OK;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;

	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	if (fmt == TE_HSM_PUB_PEM)
		TE_GUARD_OSSL(PEM_write_bio_PUBKEY(bio, pkey), "encode public key");
	else
		TE_GUARD_OSSL(i2d_PUBKEY_bio(bio, pkey), "encode public key");
	n = BIO_get_mem_data(bio, &data);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "encode public key: empty");
	TE_GUARD(te_buf_append(out, data, (size_t)n));
out:
	BIO_free(bio);
	return rc;
}
