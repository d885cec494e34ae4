/*
 * pkcs11_key.c - OpenSSL keys to and from PKCS#11 attributes, and the
 * encodings around PKCS#11 signatures (see pkcs11_key.h).  ASN.1 is
 * always built and parsed with OpenSSL.
 */

/* te_p11_oaep_decode needs RSA_padding_check_PKCS1_OAEP_mgf1, which
 * OpenSSL 3 marks deprecated but offers no replacement for: decoding an
 * OAEP block that a token decrypted with raw RSA.  It is the one
 * deprecated call in this file. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "hsm/backends/pkcs11_key.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "trustedge/te_mem.h"

#define MATERIAL_MEM 8192 /* every value of an RSA-4096 pair, with room */

/* --- curves ------------------------------------------------------------------- */

static int type_nid(te_hsm_key_type type)
{
	switch (type) {
	case TE_HSM_KEY_EC_P256:
		return NID_X9_62_prime256v1;
	case TE_HSM_KEY_EC_P384:
		return NID_secp384r1;
	case TE_HSM_KEY_ED25519:
		return NID_ED25519;
	default:
		return NID_undef;
	}
}

te_hsm_key_type te_p11_ec_params_type(const uint8_t *params, size_t len)
{
	const unsigned char *p = params;
	ASN1_TYPE *t = NULL;
	te_hsm_key_type type = TE_HSM_KEY_NONE;
	int nid;

	if (params == NULL || len == 0 || len > 256)
		return TE_HSM_KEY_NONE;
	t = d2i_ASN1_TYPE(NULL, &p, (long)len);
	if (t == NULL || p != params + len)
		goto out;
	if (t->type == V_ASN1_OBJECT) {
		nid = OBJ_obj2nid(t->value.object);
		if (nid == NID_X9_62_prime256v1)
			type = TE_HSM_KEY_EC_P256;
		else if (nid == NID_secp384r1)
			type = TE_HSM_KEY_EC_P384;
		else if (nid == NID_ED25519)
			type = TE_HSM_KEY_ED25519;
	} else if (t->type == V_ASN1_PRINTABLESTRING) {
		/* PKCS#11 3.0 also allows naming the curve as a string. */
		const ASN1_STRING *s = t->value.printablestring;
		if (ASN1_STRING_length(s) == 12 &&
		    memcmp(ASN1_STRING_get0_data(s), "edwards25519", 12) == 0)
			type = TE_HSM_KEY_ED25519;
	}
out:
	ASN1_TYPE_free(t);
	ERR_clear_error();
	return type;
}

te_err te_p11_ec_params_der(te_hsm_key_type type, te_buf *out)
{
	te_err rc = TE_OK;
	ASN1_OBJECT *obj = OBJ_nid2obj(type_nid(type));
	unsigned char *der = NULL;
	int n;

	TE_ENSURE(obj != NULL && type_nid(type) != NID_undef, TE_ERR_INTERNAL,
	          "no curve for key type %s", te_hsm_key_type_name(type));
	n = i2d_ASN1_OBJECT(obj, &der);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "cannot encode the curve OID");
	TE_GUARD(te_buf_append(out, der, (size_t)n));
out:
	OPENSSL_free(der);
	return rc;
}

size_t te_p11_ec_field_len(te_hsm_key_type type)
{
	switch (type) {
	case TE_HSM_KEY_EC_P256:
		return 32;
	case TE_HSM_KEY_EC_P384:
		return 48;
	case TE_HSM_KEY_ED25519:
		return 32;
	default:
		return 0;
	}
}

size_t te_p11_ecdsa_der_max(te_hsm_key_type type)
{
	/* SEQUENCE of two INTEGERs of up to field+1 bytes (a leading zero),
	 * each with a 2-byte header; the SEQUENCE header is 3 bytes once the
	 * content reaches 128. */
	size_t content = 2 * (te_p11_ec_field_len(type) + 3);

	return content + (content >= 128 ? 3 : 2);
}

/* --- public keys ---------------------------------------------------------------- */

/* The raw point inside CKA_EC_POINT: modules return the DER OCTET STRING
 * the spec asks for, some the bare point; the lengths tell them apart. */
static te_err point_unwrap(te_hsm_key_type type, const uint8_t *v, size_t len, te_buf *out)
{
	te_err rc = TE_OK;
	size_t raw = type == TE_HSM_KEY_ED25519 ? 32 : 2 * te_p11_ec_field_len(type) + 1;
	const unsigned char *p = v;
	ASN1_OCTET_STRING *os = NULL;

	if (len == raw) {
		TE_GUARD(te_buf_append(out, v, len));
		goto out;
	}
	TE_ENSURE(len < 1024, TE_ERR_MALFORMED, "CKA_EC_POINT of %zu bytes", len);
	os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)len);
	TE_ENSURE(os != NULL && p == v + len && (size_t)ASN1_STRING_length(os) == raw,
	          TE_ERR_MALFORMED,
	          "CKA_EC_POINT is neither a %zu-byte point nor one in an "
	          "OCTET STRING",
	          raw);
	TE_GUARD(te_buf_append(out, ASN1_STRING_get0_data(os), raw));
out:
	ASN1_OCTET_STRING_free(os);
	ERR_clear_error();
	return rc;
}

te_err te_p11_pub_from_point(te_hsm_key_type type, const uint8_t *point, size_t len, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	te_buf raw;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	te_buf_init(&raw, 0);
	TE_ENSURE(te_p11_ec_field_len(type) != 0, TE_ERR_INTERNAL, "not a curve key type");
	TE_GUARD(point_unwrap(type, point, len, &raw));
	if (type == TE_HSM_KEY_ED25519) {
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw.data, raw.len);
		TE_GUARD_PTR(pkey, TE_ERR_MALFORMED, "Ed25519 public key on the token is invalid");
	} else {
		OSSL_PARAM params[] = {
		    OSSL_PARAM_construct_utf8_string(
		        OSSL_PKEY_PARAM_GROUP_NAME,
		        (char *)(type == TE_HSM_KEY_EC_P256 ? "P-256" : "P-384"), 0),
		    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, raw.data, raw.len),
		    OSSL_PARAM_construct_end(),
		};
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(EVP_PKEY_fromdata_init(ctx), "EC public key");
		if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
			rc = te_err_set_ossl(TE_ERR_MALFORMED, "EC public key on the token");
			goto out;
		}
	}
	*out = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	te_buf_free(&raw);
	return rc;
}

/* Pushes a big-endian integer; private ones go through a secure BIGNUM,
 * which makes OSSL_PARAM_BLD keep them in secure memory too. */
static te_err bld_push(OSSL_PARAM_BLD *bld, const char *key, const uint8_t *v, size_t len,
                       int secret, BIGNUM **keep)
{
	BIGNUM *bn = secret ? BN_secure_new() : BN_new();

	if (bn == NULL || BN_bin2bn(v, (int)len, bn) == NULL) {
		BN_clear_free(bn);
		return te_err_set_ossl(TE_ERR_NO_MEMORY, "big number");
	}
	*keep = bn; /* the builder refers to it until to_param */
	if (OSSL_PARAM_BLD_push_BN(bld, key, bn) != 1)
		return te_err_set_ossl(TE_ERR_CRYPTO, "key parameter");
	return TE_OK;
}

te_err te_p11_pub_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                           EVP_PKEY **out)
{
	te_err rc = TE_OK;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn[2] = {NULL, NULL};

	TE_GUARD_PTR(bld, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(n_len > 0 && n_len <= 1024 && e_len > 0 && e_len <= 1024, TE_ERR_MALFORMED,
	          "RSA public key on the token has a %zu-byte modulus and %zu-byte exponent", n_len,
	          e_len);
	TE_GUARD(bld_push(bld, OSSL_PKEY_PARAM_RSA_N, n, n_len, 0, &bn[0]));
	TE_GUARD(bld_push(bld, OSSL_PKEY_PARAM_RSA_E, e, e_len, 0, &bn[1]));
	params = OSSL_PARAM_BLD_to_param(bld);
	TE_GUARD_PTR(params, TE_ERR_NO_MEMORY, "out of memory");
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_PKEY_fromdata_init(ctx), "RSA public key");
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = te_err_set_ossl(TE_ERR_MALFORMED, "RSA public key on the token");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn[0]);
	BN_free(bn[1]);
	return rc;
}

/* --- material ---------------------------------------------------------------------- */

te_err te_p11_material_init(te_p11_material *m, te_hsm_key_type type, size_t total)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->mem = te_secure_alloc(total);
	if (m->mem == NULL)
		return te_err_set(TE_ERR_NO_MEMORY, "out of secure memory");
	m->mem_len = total;
	return TE_OK;
}

te_err te_p11_material_put(te_p11_material *m, int is_pub, CK_ATTRIBUTE_TYPE t, size_t len,
                           uint8_t **room)
{
	CK_ATTRIBUTE *list = is_pub ? m->pub : m->priv;
	size_t *n = is_pub ? &m->n_pub : &m->n_priv;

	if (*n == TE_P11_MAT_MAX || len > m->mem_len - m->mem_used)
		return te_err_set(TE_ERR_INTERNAL, "key material does not fit (%zu bytes)", len);
	list[*n].type = t;
	list[*n].pValue = m->mem + m->mem_used;
	list[*n].ulValueLen = len;
	*room = m->mem + m->mem_used;
	m->mem_used += len;
	(*n)++;
	return TE_OK;
}

static te_err put_bytes(te_p11_material *m, int is_pub, CK_ATTRIBUTE_TYPE t, const void *v,
                        size_t len)
{
	uint8_t *room = NULL;
	te_err rc = te_p11_material_put(m, is_pub, t, len, &room);

	if (rc == TE_OK && len > 0)
		memcpy(room, v, len);
	return rc;
}

/* A BIGNUM parameter of pkey as a big-endian value of its natural length,
 * or of exactly pad bytes when pad is not 0. */
static te_err put_bn(te_p11_material *m, int is_pub, CK_ATTRIBUTE_TYPE t, EVP_PKEY *pkey,
                     const char *param, size_t pad)
{
	te_err rc = TE_OK;
	BIGNUM *bn = NULL;
	uint8_t *room = NULL;
	size_t len;

	TE_GUARD_OSSL(EVP_PKEY_get_bn_param(pkey, param, &bn), param);
	len = pad ? pad : (size_t)BN_num_bytes(bn);
	if (len == 0)
		len = 1; /* zero is one zero byte */
	TE_GUARD(te_p11_material_put(m, is_pub, t, len, &room));
	TE_ENSURE(BN_bn2binpad(bn, room, (int)len) == (int)len, TE_ERR_MALFORMED,
	          "key parameter %s does not fit %zu bytes", param, len);
out:
	BN_clear_free(bn);
	return rc;
}

static te_err put_params(te_p11_material *m, int is_pub)
{
	te_err rc = TE_OK;
	te_buf der;

	te_buf_init(&der, 0);
	TE_GUARD(te_p11_ec_params_der(m->type, &der));
	TE_GUARD(put_bytes(m, is_pub, CKA_EC_PARAMS, der.data, der.len));
out:
	te_buf_free(&der);
	return rc;
}

/* CKA_EC_POINT is the point in a DER OCTET STRING. */
static te_err put_point(te_p11_material *m, const uint8_t *raw, size_t len)
{
	te_err rc = TE_OK;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	unsigned char *der = NULL;
	int n;

	TE_GUARD_PTR(os, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(ASN1_OCTET_STRING_set(os, raw, (int)len), "EC point");
	n = i2d_ASN1_OCTET_STRING(os, &der);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "cannot encode the EC point");
	TE_GUARD(put_bytes(m, 1, CKA_EC_POINT, der, (size_t)n));
out:
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(os);
	return rc;
}

static te_err material_ec(EVP_PKEY *pkey, te_p11_material *m)
{
	te_err rc = TE_OK;
	uint8_t point[1 + 2 * 48];
	size_t plen = 0, flen = te_p11_ec_field_len(m->type);

	/* The token wants the uncompressed form, whatever the input used. */
	TE_GUARD_OSSL(
	    EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	                                   OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED),
	    "EC point format");
	TE_GUARD_OSSL(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	                                              point, sizeof(point), &plen),
	              "EC public point");
	TE_ENSURE(plen == 2 * flen + 1 && point[0] == 0x04, TE_ERR_MALFORMED,
	          "EC public point of %zu bytes", plen);
	TE_GUARD(put_params(m, 0));
	TE_GUARD(put_bn(m, 0, CKA_VALUE, pkey, OSSL_PKEY_PARAM_PRIV_KEY, flen));
	TE_GUARD(put_params(m, 1));
	TE_GUARD(put_point(m, point, plen));
out:
	return rc;
}

static te_err material_ed25519(EVP_PKEY *pkey, te_p11_material *m)
{
	te_err rc = TE_OK;
	uint8_t pub[32], *seed = NULL;
	size_t n = sizeof(pub), sn = 32;

	TE_GUARD(put_params(m, 0));
	TE_GUARD(te_p11_material_put(m, 0, CKA_VALUE, 32, &seed));
	TE_GUARD_OSSL(EVP_PKEY_get_raw_private_key(pkey, seed, &sn), "Ed25519 private key");
	TE_ENSURE(sn == 32, TE_ERR_MALFORMED, "Ed25519 private key of %zu bytes", sn);
	TE_GUARD_OSSL(EVP_PKEY_get_raw_public_key(pkey, pub, &n), "Ed25519 public key");
	TE_ENSURE(n == 32, TE_ERR_MALFORMED, "Ed25519 public key of %zu bytes", n);
	TE_GUARD(put_params(m, 1));
	TE_GUARD(put_point(m, pub, n));
out:
	return rc;
}

static const struct rsa_part {
	CK_ATTRIBUTE_TYPE attr;
	const char *param;
} rsa_parts[] = {
    {CKA_MODULUS, OSSL_PKEY_PARAM_RSA_N},
    {CKA_PUBLIC_EXPONENT, OSSL_PKEY_PARAM_RSA_E},
    {CKA_PRIVATE_EXPONENT, OSSL_PKEY_PARAM_RSA_D},
    {CKA_PRIME_1, OSSL_PKEY_PARAM_RSA_FACTOR1},
    {CKA_PRIME_2, OSSL_PKEY_PARAM_RSA_FACTOR2},
    {CKA_EXPONENT_1, OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {CKA_EXPONENT_2, OSSL_PKEY_PARAM_RSA_EXPONENT2},
    {CKA_COEFFICIENT, OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

#define N_RSA_PARTS (sizeof(rsa_parts) / sizeof(rsa_parts[0]))

static te_err material_rsa(EVP_PKEY *pkey, te_p11_material *m)
{
	te_err rc = TE_OK;

	for (size_t i = 0; i < N_RSA_PARTS; i++)
		TE_GUARD(put_bn(m, 0, rsa_parts[i].attr, pkey, rsa_parts[i].param, 0));
	TE_GUARD(put_bn(m, 1, CKA_MODULUS, pkey, OSSL_PKEY_PARAM_RSA_N, 0));
	TE_GUARD(put_bn(m, 1, CKA_PUBLIC_EXPONENT, pkey, OSSL_PKEY_PARAM_RSA_E, 0));
out:
	return rc;
}

te_err te_p11_material_from_pkey(EVP_PKEY *pkey, te_hsm_key_type type, te_p11_material *m)
{
	te_err rc = TE_OK;

	TE_GUARD(te_p11_material_init(m, type, MATERIAL_MEM));
	switch (type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
		TE_GUARD(material_ec(pkey, m));
		break;
	case TE_HSM_KEY_ED25519:
		TE_GUARD(material_ed25519(pkey, m));
		break;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		TE_GUARD(material_rsa(pkey, m));
		break;
	default:
		rc = te_err_set(TE_ERR_INTERNAL, "no key material for type %s",
		                te_hsm_key_type_name(type));
		break;
	}
out:
	if (rc != TE_OK)
		te_p11_material_free(m);
	return rc;
}

void te_p11_material_attrs(te_hsm_key_type type, const CK_ATTRIBUTE_TYPE **priv, size_t *n_priv,
                           const CK_ATTRIBUTE_TYPE **pub, size_t *n_pub)
{
	static const CK_ATTRIBUTE_TYPE curve_priv[] = {CKA_VALUE};
	static const CK_ATTRIBUTE_TYPE curve_pub[] = {CKA_EC_POINT};
	static const CK_ATTRIBUTE_TYPE rsa_priv[] = {
	    CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
	    CKA_PRIME_2, CKA_EXPONENT_1,      CKA_EXPONENT_2,       CKA_COEFFICIENT,
	};

	if (te_p11_ec_field_len(type) != 0) {
		*priv = curve_priv;
		*n_priv = 1;
		*pub = curve_pub;
		*n_pub = 1;
		return;
	}
	*priv = rsa_priv;
	*n_priv = sizeof(rsa_priv) / sizeof(rsa_priv[0]);
	*pub = NULL;
	*n_pub = 0;
}

static const CK_ATTRIBUTE *material_find(const CK_ATTRIBUTE *list, size_t n, CK_ATTRIBUTE_TYPE t)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].type == t)
			return &list[i];
	return NULL;
}

static te_err pkey_from_params(const char *alg, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	TE_GUARD_PTR(params, TE_ERR_NO_MEMORY, "out of memory");
	ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_PKEY_fromdata_init(ctx), "private key");
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0) {
		rc = te_err_set_ossl(TE_ERR_MALFORMED, "private key read from the token");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return rc;
}

static te_err to_pkey_ec(const te_p11_material *m, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	const CK_ATTRIBUTE *d = material_find(m->priv, m->n_priv, CKA_VALUE);
	const CK_ATTRIBUTE *q = material_find(m->pub, m->n_pub, CKA_EC_POINT);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn = NULL;
	te_buf point;

	te_buf_init(&point, 0);
	TE_GUARD_PTR(bld, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(d != NULL, TE_ERR_INTERNAL, "EC private value missing");
	TE_GUARD_OSSL(
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	                                    m->type == TE_HSM_KEY_EC_P256 ? "P-256" : "P-384", 0),
	    "EC group");
	TE_GUARD(bld_push(bld, OSSL_PKEY_PARAM_PRIV_KEY, d->pValue, d->ulValueLen, 1, &bn));
	if (q != NULL) {
		TE_GUARD(point_unwrap(m->type, q->pValue, q->ulValueLen, &point));
		TE_GUARD_OSSL(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		                                               point.data, point.len),
		              "EC public point");
	}
	TE_GUARD(pkey_from_params("EC", bld, out));
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
	te_buf_free(&point);
	return rc;
}

static te_err to_pkey_rsa(const te_p11_material *m, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn[N_RSA_PARTS] = {NULL};

	TE_GUARD_PTR(bld, TE_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < N_RSA_PARTS; i++) {
		const CK_ATTRIBUTE *a = material_find(m->priv, m->n_priv, rsa_parts[i].attr);

		TE_ENSURE(a != NULL, TE_ERR_INTERNAL, "RSA key part %s missing",
		          rsa_parts[i].param);
		TE_GUARD(
		    bld_push(bld, rsa_parts[i].param, a->pValue, a->ulValueLen, i >= 2, &bn[i]));
	}
	TE_GUARD(pkey_from_params("RSA", bld, out));
out:
	OSSL_PARAM_BLD_free(bld);
	for (size_t i = 0; i < N_RSA_PARTS; i++)
		BN_clear_free(bn[i]);
	return rc;
}

te_err te_p11_material_to_pkey(const te_p11_material *m, EVP_PKEY **out)
{
	const CK_ATTRIBUTE *seed;
	EVP_PKEY *pkey;

	switch (m->type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
		return to_pkey_ec(m, out);
	case TE_HSM_KEY_ED25519:
		seed = material_find(m->priv, m->n_priv, CKA_VALUE);
		if (seed == NULL || seed->ulValueLen != 32)
			return te_err_set(TE_ERR_MALFORMED,
			                  "Ed25519 private value is not 32 bytes");
		pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed->pValue, 32);
		if (pkey == NULL)
			return te_err_set_ossl(TE_ERR_CRYPTO, "Ed25519 private key");
		*out = pkey;
		return TE_OK;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		return to_pkey_rsa(m, out);
	default:
		return te_err_set(TE_ERR_INTERNAL, "no private key for type %s",
		                  te_hsm_key_type_name(m->type));
	}
}

void te_p11_material_free(te_p11_material *m)
{
	te_secure_free(m->mem);
	memset(m, 0, sizeof(*m));
}

/* --- signatures and padding --------------------------------------------------------- */

te_err te_p11_ecdsa_raw_to_der(const uint8_t *rs, size_t rs_len, uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	uint8_t der[2 * (66 + 3) + 3]; /* the largest, P-521's, fits */
	unsigned char *p = der;
	int n;

	TE_ENSURE(rs_len > 0 && rs_len % 2 == 0 && rs_len <= 2 * 66, TE_ERR_CRYPTO,
	          "token returned an ECDSA signature of %zu bytes", rs_len);
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(rs, (int)(rs_len / 2), NULL);
	s = BN_bin2bn(rs + rs_len / 2, (int)(rs_len / 2), NULL);
	TE_ENSURE(sig != NULL && r != NULL && s != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(ECDSA_SIG_set0(sig, r, s), "ECDSA signature");
	r = s = NULL; /* owned by sig now */
	/* One encoding pass, into room that fits any curve's signature. */
	n = i2d_ECDSA_SIG(sig, &p);
	TE_ENSURE(n > 0 && (size_t)n <= sizeof(der), TE_ERR_CRYPTO,
	          "cannot encode the ECDSA signature");
	TE_ENSURE((size_t)n <= *out_len, TE_ERR_BUFFER_TOO_SMALL, "ECDSA signature needs %d bytes",
	          n);
	memcpy(out, der, (size_t)n);
	*out_len = (size_t)n;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return rc;
}

void te_p11_digestinfo_sha256(const uint8_t digest[32], uint8_t out[TE_P11_DIGESTINFO_SHA256_LEN])
{
	/* DigestInfo { AlgorithmIdentifier { id-sha256, NULL }, OCTET STRING }
	 * prefix, as RFC 8017 section 9.2 note 1 lists it. */
	static const uint8_t prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
	                                   0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	                                   0x01, 0x05, 0x00, 0x04, 0x20};

	memcpy(out, prefix, sizeof(prefix));
	memcpy(out + sizeof(prefix), digest, 32);
}

te_err te_p11_oaep_decode(const uint8_t *em, size_t em_len, size_t k, uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	uint8_t *tmp = NULL;
	int n;

	TE_ENSURE(k >= 2 * 32 + 2 && k <= 1024 && em_len <= k, TE_ERR_DECRYPT_FAILED,
	          "RSA-OAEP block of %zu bytes for a %zu-byte modulus", em_len, k);
	tmp = malloc(k);
	TE_GUARD_PTR(tmp, TE_ERR_NO_MEMORY, "out of memory");
	/* Constant time in OpenSSL; the error queue says why, which must
	 * not reach the caller (a padding oracle), so it is cleared. */
	n = RSA_padding_check_PKCS1_OAEP_mgf1(tmp, (int)k, em, (int)em_len, (int)k, NULL, 0,
	                                      EVP_sha256(), EVP_sha256());
	ERR_clear_error();
	TE_ENSURE(n >= 0, TE_ERR_DECRYPT_FAILED, "RSA-OAEP decryption failed");
	if (*out_len < (size_t)n) {
		*out_len = (size_t)n;
		TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "output needs %d bytes", n);
	}
	memcpy(out, tmp, (size_t)n);
	*out_len = (size_t)n;
out:
	if (tmp != NULL) {
		te_memzero(tmp, k);
		free(tmp);
	}
	return rc;
}
