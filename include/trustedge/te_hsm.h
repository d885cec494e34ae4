/*
 * te_hsm.h - the HSM platform abstraction layer.
 *
 * One API for keys and crypto over interchangeable backends (software now;
 * PKCS#11, TPM 2.0 and TEE later).  Keys are addressed by name.  Private and
 * secret key bytes stay inside the backend: they are never returned unless
 * the key was created or imported as exportable and te_hsm_key_export is
 * called on purpose.
 *
 * Thread safety: a te_hsm context may be shared by threads.
 */
#ifndef TRUSTEDGE_TE_HSM_H
#define TRUSTEDGE_TE_HSM_H

#include <stddef.h>
#include <stdint.h>

#include "te_error.h"
#include "te_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct te_hsm te_hsm;
typedef struct evp_pkey_st EVP_PKEY; /* OpenSSL's, as in <openssl/types.h> */

/* Key names: 1..TE_HSM_NAME_MAX characters of [A-Za-z0-9._-], not starting
 * with '.' (so "../x", "a/b" and ".hidden" are refused).  Operations on
 * existing keys also take a URI in the backend's scheme, where it has one
 * (PKCS#11: an RFC 7512 "pkcs11:" URI of at most TE_HSM_REF_MAX bytes). */
#define TE_HSM_NAME_MAX 128
#define TE_HSM_REF_MAX 1024

typedef enum te_hsm_key_type {
	TE_HSM_KEY_NONE = 0,
	TE_HSM_KEY_EC_P256,
	TE_HSM_KEY_EC_P384,
	TE_HSM_KEY_RSA_2048,
	TE_HSM_KEY_RSA_3072,
	TE_HSM_KEY_RSA_4096,
	TE_HSM_KEY_ED25519,
	TE_HSM_KEY_HMAC_SHA256, /* secret */
	TE_HSM_KEY_AES_256_GCM, /* secret */
	TE_HSM_KEY__COUNT
} te_hsm_key_type;

/* What a key may be used for.  Enforced by every backend. */
#define TE_HSM_USAGE_SIGN 0x1u    /* sign and verify (incl. HMAC) */
#define TE_HSM_USAGE_ENCRYPT 0x2u /* encrypt and decrypt */
#define TE_HSM_USAGE_DERIVE 0x4u  /* base of te_hsm_key_derive */

typedef struct te_hsm_key_attrs {
	te_hsm_key_type type;
	uint32_t usage;  /* 0 = the type's default usage (te_hsm_key_type_default_usage) */
	int exportable;  /* private/secret bytes may be read out; default 0 */
} te_hsm_key_attrs;

typedef struct te_hsm_key_info {
	char name[TE_HSM_NAME_MAX + 1];
	te_hsm_key_type type;
	uint32_t usage;
	int exportable;
	/* In te_hsm_key_list: TE_OK, or why the key cannot be used (e.g.
	 * TE_ERR_TAMPERED); then type, usage and exportable are zero. */
	te_err status;
} te_hsm_key_info;

typedef enum te_hsm_alg {
	TE_HSM_ALG_DEFAULT = 0,   /* the natural algorithm of the key type */
	TE_HSM_ALG_ECDSA_SHA256,  /* DER signature (X9.62) */
	TE_HSM_ALG_ECDSA_SHA384,
	TE_HSM_ALG_RSA_PSS_SHA256, /* salt length = digest length */
	TE_HSM_ALG_RSA_PKCS1_SHA256,
	TE_HSM_ALG_ED25519,
	TE_HSM_ALG_HMAC_SHA256,
	TE_HSM_ALG_AES_256_GCM,    /* output = ciphertext || 16-byte tag */
	TE_HSM_ALG_RSA_OAEP_SHA256,
	TE_HSM_ALG__COUNT
} te_hsm_alg;

/* te_hsm_key_sign / te_hsm_key_verify flag: `data` is already the digest
 * of the algorithm's hash (ECDSA and RSA only). */
#define TE_HSM_SIGN_PREHASHED 0x1u

/* Sizes that bound every output, so callers can use stack buffers. */
#define TE_HSM_SIG_MAX 512       /* RSA-4096 */
#define TE_HSM_GCM_IV_LEN 12
#define TE_HSM_GCM_TAG_LEN 16
#define TE_HSM_DATA_MAX (64u << 20) /* largest message or plaintext */

typedef enum te_hsm_pub_format {
	TE_HSM_PUB_PEM, /* SubjectPublicKeyInfo, PEM */
	TE_HSM_PUB_DER, /* SubjectPublicKeyInfo, DER */
} te_hsm_pub_format;

/* A backend setting, e.g. {"store", "/var/lib/trustedge/keys"}. */
typedef struct te_hsm_setting {
	const char *key;
	const char *value;
} te_hsm_setting;

/* --- context ----------------------------------------------------------- */

/* Opens a context on backend `backend` ("soft").  Unknown backends and
 * unknown settings are refused with a message that lists the known ones. */
te_err te_hsm_open(const char *backend, const te_hsm_setting *settings,
		   size_t n_settings, te_hsm **out) TE_MUST_CHECK;
void te_hsm_close(te_hsm *hsm);
/* Checks, without opening anything, that backend is known and, when
 * setting_key is not NULL, that the backend takes that setting:
 * TE_ERR_UNSUPPORTED / TE_ERR_CONFIG with the known names in the detail.
 * For configuration checkers. */
te_err te_hsm_backend_check(const char *backend, const char *setting_key) TE_MUST_CHECK;
/* Name of the backend the context runs on. */
const char *te_hsm_backend_name(const te_hsm *hsm);

/* --- key lifecycle ------------------------------------------------------ */

te_err te_hsm_key_create(te_hsm *hsm, const char *name,
			 const te_hsm_key_attrs *attrs) TE_MUST_CHECK;
/* Imports key material: for asymmetric types a private key in PKCS#8 or
 * traditional PEM or DER (attrs->type may be TE_HSM_KEY_NONE to detect it,
 * otherwise it must match); for secret types the raw key bytes (AES: 32,
 * HMAC: 1..TE_HSM_HMAC_KEY_MAX). */
#define TE_HSM_HMAC_KEY_MAX 1024
te_err te_hsm_key_import(te_hsm *hsm, const char *name, const te_hsm_key_attrs *attrs,
			 const void *material, size_t len) TE_MUST_CHECK;
te_err te_hsm_key_delete(te_hsm *hsm, const char *name) TE_MUST_CHECK;
/* TE_OK and *info filled when the key exists; TE_ERR_NOT_FOUND when not. */
te_err te_hsm_key_info_get(te_hsm *hsm, const char *name,
			   te_hsm_key_info *info) TE_MUST_CHECK;
/* 1 if the key exists, 0 if not (errors other than not-found count as 0). */
int te_hsm_key_exists(te_hsm *hsm, const char *name);
/* All keys, sorted by name; free *out with free().  A key whose stored
 * form is damaged is listed with its status set, so one bad key neither
 * hides the others nor passes for a good one. */
te_err te_hsm_key_list(te_hsm *hsm, te_hsm_key_info **out, size_t *count) TE_MUST_CHECK;

/* Public key of an asymmetric key, appended to out. */
te_err te_hsm_key_public(te_hsm *hsm, const char *name, te_hsm_pub_format fmt,
			 te_buf *out) TE_MUST_CHECK;
/* Private key (PKCS#8 PEM) or secret bytes, appended to out, which must be
 * a secure buffer.  TE_ERR_PERMISSION unless the key is exportable. */
te_err te_hsm_key_export(te_hsm *hsm, const char *name, te_buf *out) TE_MUST_CHECK;

/* --- operations --------------------------------------------------------- */

/* Signs data (or a digest, with TE_HSM_SIGN_PREHASHED).  sig has *sig_len
 * bytes of room; on success *sig_len is the signature length.  With too
 * little room: TE_ERR_BUFFER_TOO_SMALL and *sig_len the size needed. */
te_err te_hsm_key_sign(te_hsm *hsm, const char *name, te_hsm_alg alg, uint32_t flags,
		       const void *data, size_t data_len, uint8_t *sig,
		       size_t *sig_len) TE_MUST_CHECK;
/* TE_OK when the signature is valid, TE_ERR_VERIFY_FAILED when not. */
te_err te_hsm_key_verify(te_hsm *hsm, const char *name, te_hsm_alg alg, uint32_t flags,
			 const void *data, size_t data_len, const uint8_t *sig,
			 size_t sig_len) TE_MUST_CHECK;

/* AES-256-GCM (iv of TE_HSM_GCM_IV_LEN bytes, optional aad; output is the
 * ciphertext followed by the tag, in_len + 16 bytes) or RSA-OAEP (iv and
 * aad must be empty).  Output room and length as for te_hsm_key_sign. */
te_err te_hsm_key_encrypt(te_hsm *hsm, const char *name, te_hsm_alg alg,
			  const uint8_t *iv, size_t iv_len, const uint8_t *aad,
			  size_t aad_len, const void *in, size_t in_len, uint8_t *out,
			  size_t *out_len) TE_MUST_CHECK;
/* Inverse of te_hsm_key_encrypt.  TE_ERR_DECRYPT_FAILED on a bad tag,
 * wrong aad or wrong iv; nothing is written to out then. */
te_err te_hsm_key_decrypt(te_hsm *hsm, const char *name, te_hsm_alg alg,
			  const uint8_t *iv, size_t iv_len, const uint8_t *aad,
			  size_t aad_len, const void *in, size_t in_len, uint8_t *out,
			  size_t *out_len) TE_MUST_CHECK;

/* Creates key `name` = HMAC-SHA256(base key, data), as an HMAC-SHA256 key
 * with usage sign that inherits nothing else: it is not exportable unless
 * attrs says so (attrs may be NULL).  The base must have usage derive.  The
 * derived bytes never leave the backend. */
te_err te_hsm_key_derive(te_hsm *hsm, const char *base, const void *data,
			 size_t data_len, const char *name,
			 const te_hsm_key_attrs *attrs) TE_MUST_CHECK;

/* Fills buf with n random bytes from the backend's generator. */
te_err te_hsm_random(te_hsm *hsm, void *buf, size_t n) TE_MUST_CHECK;

/* Hands an asymmetric key to OpenSSL, so certificate and TLS code need not
 * know its backend.  The software backend returns the key itself; hardware
 * backends return a key whose operations run in the hardware.  Free with
 * EVP_PKEY_free. */
te_err te_hsm_key_evp(te_hsm *hsm, const char *name, EVP_PKEY **out) TE_MUST_CHECK;

/* --- names --------------------------------------------------------------- */

/* Checks a key name against the rules above. */
te_err te_hsm_name_check(const char *name) TE_MUST_CHECK;
/* "ec-p256", "rsa-2048", "hmac-sha256", "aes-256-gcm", ... */
const char *te_hsm_key_type_name(te_hsm_key_type type);
te_err te_hsm_key_type_parse(const char *s, te_hsm_key_type *out) TE_MUST_CHECK;
/* "ecdsa-sha256", "rsa-pss-sha256", "rsa-pkcs1-sha256", "ed25519",
 * "hmac-sha256", "aes-256-gcm", "rsa-oaep-sha256" */
const char *te_hsm_alg_name(te_hsm_alg alg);
te_err te_hsm_alg_parse(const char *s, te_hsm_alg *out) TE_MUST_CHECK;
/* Usage given to a key of this type when attrs->usage is 0. */
uint32_t te_hsm_key_type_default_usage(te_hsm_key_type type);
/* 1 for HMAC and AES keys. */
int te_hsm_key_type_is_secret(te_hsm_key_type type);
/* "sign,encrypt" style rendering and parsing of usage bits. */
te_err te_hsm_usage_format(uint32_t usage, char *out, size_t out_len) TE_MUST_CHECK;
te_err te_hsm_usage_parse(const char *s, uint32_t *out) TE_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
