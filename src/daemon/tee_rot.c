/*
 * tee_rot.c - the HSM root of trust of managed enclaves (tee_rot.h): a
 * te_rot_ops backend whose secrets never leave the device's HSM.  Owned
 * by trustedged's keys process, which holds the HSM.
 */
#include "daemon/tee_rot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trustedge/te_mem.h"

/* The label HKDF-Expand's one block covers is label || 0x01; labels come
 * from rot_seal.c (a few hundred bytes), this bounds the copy. */
#define TE_ROT_HSM_LABEL_MAX 4096u

typedef struct te_rot_hsm {
	te_rot base; /* first: the te_rot handed out is this struct */
	te_hsm *hsm;
	char *chain; /* attestation certificate PEM, then the CA's chain */
} te_rot_hsm;

static oe_result_t te_rot_hsm_result(te_err e)
{
	switch (e) {
	case TE_OK:
		return OE_OK;
	case TE_ERR_BUFFER_TOO_SMALL:
		return OE_BUFFER_TOO_SMALL;
	case TE_ERR_NO_MEMORY:
		return OE_OUT_OF_MEMORY;
	case TE_ERR_INVALID_ARG:
		return OE_INVALID_PARAMETER;
	default:
		return OE_CRYPTO_ERROR;
	}
}

/* HKDF-Expand(PRK = the HSM's root key, info = label, L = 32). */
static oe_result_t te_rot_hsm_derive(te_rot *rot, const uint8_t *label, size_t label_size,
                                     uint8_t out[32])
{
	te_rot_hsm *h = (te_rot_hsm *)rot;
	uint8_t buf[TE_ROT_HSM_LABEL_MAX + 1];
	size_t n = 32;
	te_err e;

	if ((!label && label_size) || label_size > TE_ROT_HSM_LABEL_MAX)
		return OE_INVALID_PARAMETER;
	if (label_size)
		memcpy(buf, label, label_size);
	buf[label_size] = 0x01;
	e = te_hsm_key_sign(h->hsm, TE_ROT_HSM_ROOT_KEY, TE_HSM_ALG_HMAC_SHA256, 0, buf,
	                    label_size + 1, out, &n);
	te_memzero(buf, label_size + 1);
	if (e == TE_OK && n != 32)
		e = TE_ERR_INTERNAL;
	if (e != TE_OK)
		te_memzero(out, 32);
	return te_rot_hsm_result(e);
}

static oe_result_t te_rot_hsm_sign(te_rot *rot, const uint8_t *tbs, size_t tbs_size, uint8_t *sig,
                                   size_t *sig_size)
{
	te_rot_hsm *h = (te_rot_hsm *)rot;

	if ((!tbs && tbs_size) || !sig || !sig_size)
		return OE_INVALID_PARAMETER;
	return te_rot_hsm_result(te_hsm_key_sign(h->hsm, TE_ROT_HSM_ATTEST_KEY,
	                                         TE_HSM_ALG_ECDSA_SHA256, 0, tbs, tbs_size, sig,
	                                         sig_size));
}

static const char *te_rot_hsm_chain(te_rot *rot)
{
	return ((te_rot_hsm *)rot)->chain;
}

static void te_rot_hsm_close(te_rot *rot)
{
	te_rot_hsm *h = (te_rot_hsm *)rot;

	free(h->chain);
	free(h);
}

static const te_rot_ops te_rot_hsm_ops = {
    .version = TE_ROT_OPS_VERSION,
    .name = "hsm",
    .derive = te_rot_hsm_derive,
    .sign = te_rot_hsm_sign,
    .chain = te_rot_hsm_chain,
    .close = te_rot_hsm_close,
};

/* Makes key name of type when missing; an existing one must be that
 * type, usable for signing, and not exportable. */
static te_err te_rot_hsm_key(te_hsm *hsm, const char *name, te_hsm_key_type type)
{
	te_hsm_key_attrs a = {type, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_info info;
	te_err rc = TE_OK;

	rc = te_hsm_key_info_get(hsm, name, &info);
	if (rc == TE_ERR_NOT_FOUND)
		return te_hsm_key_create(hsm, name, &a);
	TE_GUARD(rc);
	TE_ENSURE(info.type == type && (info.usage & TE_HSM_USAGE_SIGN) && !info.exportable,
	          TE_ERR_CONFIG,
	          "TEE root: HSM key '%s' is %s%s, not a non-exportable %s signing key; "
	          "delete it to let trustedged make a new one (sealed data is lost then)",
	          name, te_hsm_key_type_name(info.type), info.exportable ? " (exportable)" : "",
	          te_hsm_key_type_name(type));
out:
	return rc;
}

/* The attestation key's certificate, issued now by the CA, as PEM with
 * the CA's chain behind it. */
static te_err te_rot_hsm_certify(te_hsm *hsm, X509 *ca_cert, EVP_PKEY *ca_key,
                                 te_x509_stack *ca_chain, const char *device_id, int64_t now,
                                 char **out)
{
	char cn[TE_CERT_CN_MAX + 1];
	te_cert_request req;
	EVP_PKEY *pub = NULL;
	X509 *leaf = NULL;
	te_x509_stack *own = NULL;
	te_buf pem;
	te_err rc = TE_OK;

	te_buf_init(&pem, 0);
	snprintf(cn, sizeof(cn), "trustedge TEE attestation %.*s", TE_CERT_CN_MAX - 26,
	         device_id && *device_id ? device_id : "device");
	memset(&req, 0, sizeof(req));
	req.profile = TE_CERT_CLIENT;
	req.common_name = cn;
	req.organization = "trustedge";
	req.lifetime = (int64_t)TE_ROT_HSM_CERT_DAYS * 86400;
	req.cap_to_issuer = 1;
	TE_GUARD(te_hsm_key_evp(hsm, TE_ROT_HSM_ATTEST_KEY, &pub));
	TE_GUARD(te_cert_issue(&req, pub, ca_cert, ca_key, now, &leaf));
	if (ca_chain == NULL) {
		own = (te_x509_stack *)sk_X509_new_null();
		TE_GUARD_PTR(own, TE_ERR_NO_MEMORY, "TEE root: out of memory");
		TE_GUARD_OSSL(sk_X509_push((STACK_OF(X509) *)own, ca_cert), "sk_X509_push");
		ca_chain = own;
	}
	TE_GUARD(te_cert_pem_append(leaf, ca_chain, &pem));
	TE_GUARD(te_buf_append(&pem, "", 1));
	*out = (char *)pem.data;
	te_buf_init(&pem, 0);
out:
	sk_X509_free((STACK_OF(X509) *)own); /* borrowed ca_cert, not freed */
	X509_free(leaf);
	EVP_PKEY_free(pub);
	te_buf_free(&pem);
	return rc;
}

te_err te_rot_hsm_open(te_hsm *hsm, X509 *ca_cert, EVP_PKEY *ca_key, te_x509_stack *ca_chain,
                       const char *device_id, int64_t now, te_rot **out)
{
	te_rot_hsm *h = NULL;
	te_err rc = TE_OK;

	TE_ENSURE(hsm && ca_cert && ca_key && out, TE_ERR_INVALID_ARG, "TEE root: no HSM or no CA");
	*out = NULL;
	TE_GUARD(te_rot_hsm_key(hsm, TE_ROT_HSM_ROOT_KEY, TE_HSM_KEY_HMAC_SHA256));
	TE_GUARD(te_rot_hsm_key(hsm, TE_ROT_HSM_ATTEST_KEY, TE_HSM_KEY_EC_P256));
	h = calloc(1, sizeof(*h));
	TE_GUARD_PTR(h, TE_ERR_NO_MEMORY, "TEE root: out of memory");
	h->base.ops = &te_rot_hsm_ops;
	h->base.flags = 0; /* not TE_ROT_FLAG_DEVELOPER */
	h->hsm = hsm;
	TE_GUARD(te_rot_hsm_certify(hsm, ca_cert, ca_key, ca_chain, device_id, now, &h->chain));
	*out = &h->base;
	h = NULL;
out:
	if (h)
		te_rot_hsm_close(&h->base);
	return rc;
}
