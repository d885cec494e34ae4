/*
 * pkcs11_key.h - conversions between OpenSSL keys and the PKCS#11
 * attributes that hold them, and the small encodings around PKCS#11
 * signatures (ECDSA r||s to DER, the PKCS#1 DigestInfo, OAEP decoding).
 * No token access here: these are pure functions over bytes.
 */
#ifndef TRUSTEDGE_HSM_PKCS11_KEY_H
#define TRUSTEDGE_HSM_PKCS11_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "hsm/backends/pkcs11_api.h"
#include "trustedge/te_hsm.h"

/* --- curves ----------------------------------------------------------------- */

/* The key type a CKA_EC_PARAMS value names (P-256, P-384 or Ed25519, by
 * OID; Ed25519 also by the PrintableString "edwards25519"), or
 * TE_HSM_KEY_NONE. */
te_hsm_key_type te_p11_ec_params_type(const uint8_t *params, size_t len);

/* DER of the namedCurve OID for an EC or Ed25519 type, appended to out. */
te_err te_p11_ec_params_der(te_hsm_key_type type, te_buf *out) TE_MUST_CHECK;

/* Bytes of a field element (and of r and s): 32 for P-256, 48 for P-384. */
size_t te_p11_ec_field_len(te_hsm_key_type type);

/* Largest DER ECDSA signature of the curve (72 for P-256, 104 for P-384). */
size_t te_p11_ecdsa_der_max(te_hsm_key_type type);

/* --- public keys -------------------------------------------------------------- */

/* A public key from CKA_EC_POINT (DER OCTET STRING, or the raw point some
 * modules return) for an EC or Ed25519 type. */
te_err te_p11_pub_from_point(te_hsm_key_type type, const uint8_t *point, size_t len,
                             EVP_PKEY **out) TE_MUST_CHECK;
/* A public key from CKA_MODULUS and CKA_PUBLIC_EXPONENT. */
te_err te_p11_pub_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                           EVP_PKEY **out) TE_MUST_CHECK;

/* --- key material for C_CreateObject, and back -------------------------------- */

#define TE_P11_MAT_MAX 10

/* The attributes that carry one key pair's values.  Private values live
 * in secure memory owned by the structure and are wiped by
 * te_p11_material_free. */
typedef struct te_p11_material {
	te_hsm_key_type type;
	CK_ATTRIBUTE priv[TE_P11_MAT_MAX]; /* values of the private object */
	size_t n_priv;
	CK_ATTRIBUTE pub[TE_P11_MAT_MAX]; /* values of the public object */
	size_t n_pub;
	uint8_t *mem; /* te_secure_alloc; holds every value */
	size_t mem_len, mem_used;
} te_p11_material;

/* Splits an OpenSSL private key of the given type into attributes. */
te_err te_p11_material_from_pkey(EVP_PKEY *pkey, te_hsm_key_type type,
                                 te_p11_material *m) TE_MUST_CHECK;

/* The attribute types to read back for an export of type: the private
 * object's (*priv) and the public object's (*pub). */
void te_p11_material_attrs(te_hsm_key_type type, const CK_ATTRIBUTE_TYPE **priv, size_t *n_priv,
                           const CK_ATTRIBUTE_TYPE **pub, size_t *n_pub);

/* Prepares m to receive values of up to total bytes (te_p11_material_put). */
te_err te_p11_material_init(te_p11_material *m, te_hsm_key_type type, size_t total) TE_MUST_CHECK;
/* Appends attribute t with len bytes of room to the private (is_pub 0) or
 * public list; *room points at the room. */
te_err te_p11_material_put(te_p11_material *m, int is_pub, CK_ATTRIBUTE_TYPE t, size_t len,
                           uint8_t **room) TE_MUST_CHECK;

/* An OpenSSL private key from values read back off the token. */
te_err te_p11_material_to_pkey(const te_p11_material *m, EVP_PKEY **out) TE_MUST_CHECK;

void te_p11_material_free(te_p11_material *m);

/* --- signatures and padding ----------------------------------------------------- */

/* ECDSA r||s as returned by CKM_ECDSA, as a DER ECDSA-Sig-Value.  *out_len
 * has the room of out; on success the length written. */
te_err te_p11_ecdsa_raw_to_der(const uint8_t *rs, size_t rs_len, uint8_t *out,
                               size_t *out_len) TE_MUST_CHECK;

/* PKCS#1 v1.5 DigestInfo for a SHA-256 digest (RFC 8017 section 9.2),
 * the input CKM_RSA_PKCS signs.  out has 51 bytes of room. */
#define TE_P11_DIGESTINFO_SHA256_LEN 51
void te_p11_digestinfo_sha256(const uint8_t digest[32], uint8_t out[TE_P11_DIGESTINFO_SHA256_LEN]);

/* Decodes an RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) encoded block
 * of a k-byte modulus, as CKM_RSA_X_509 decryption returns it.  *out_len
 * has the room of out; TE_ERR_DECRYPT_FAILED when the padding is bad. */
te_err te_p11_oaep_decode(const uint8_t *em, size_t em_len, size_t k, uint8_t *out,
                          size_t *out_len) TE_MUST_CHECK;

#endif
