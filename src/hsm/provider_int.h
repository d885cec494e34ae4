/*
 * provider_int.h - what the parts of the trustedge OpenSSL provider share:
 * the provider context, the key object, error raising and the dispatch
 * tables of each operation.
 *
 * provider.c         registration, te_provider_load, te_provider_key_new
 * provider_keymgmt.c key objects (EC, RSA, Ed25519): params, match, export
 * provider_sig.c     signatures: ECDSA, RSA PKCS#1 v1.5 and PSS, Ed25519
 * provider_cipher.c  RSA-OAEP decryption
 */
#ifndef TRUSTEDGE_HSM_PROVIDER_INT_H
#define TRUSTEDGE_HSM_PROVIDER_INT_H

#include <stdint.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "trustedge/te_hsm.h"

/*
 * Property query for everything the provider asks of OpenSSL itself
 * (digests, the public half of a key, verification): any provider but
 * this one, so a call never loops back here.
 */
#define TE_PROV_PROPQ "provider!=trustedge"

/*
 * Names the key objects answer to query_operation_name with.  They are
 * unique to this provider on purpose: when OpenSSL starts a signature for
 * one of our keys it fetches the algorithm by this name, and only we offer
 * it, so it can never pair our key with another provider's ECDSA (which
 * would get the exported public half and fail for want of a private key).
 */
#define TE_PROV_SIG_ECDSA "TRUSTEDGE-ECDSA"
#define TE_PROV_SIG_RSA "TRUSTEDGE-RSA-SIG"
#define TE_PROV_SIG_ED25519 "TRUSTEDGE-ED25519"
#define TE_PROV_CIPHER_RSA "TRUSTEDGE-RSA-ENC"

/* The private parameter that carries a key from te_provider_key_new into
 * the keymgmt import (see provider.c for why it cannot be abused). */
#define TE_PROV_PARAM_HANDOFF "trustedge-key-handoff"

/* One instance per library context the provider is loaded in. */
typedef struct te_prov_ctx {
	const OSSL_CORE_HANDLE *handle;
	OSSL_FUNC_core_new_error_fn *new_error;
	OSSL_FUNC_core_set_error_debug_fn *set_error_debug;
	OSSL_FUNC_core_vset_error_fn *vset_error;
} te_prov_ctx;

typedef enum te_prov_kind {
	TE_PROV_EC,
	TE_PROV_RSA,
	TE_PROV_ED25519,
} te_prov_kind;

/*
 * A key object.  Immutable once made, so threads may share it; reference
 * counted because operation contexts keep it beyond the EVP_PKEY's reach
 * (EVP_PKEY_CTX duplicates, for one).
 */
typedef struct te_prov_key {
	te_prov_ctx *prov;
	te_prov_kind kind;
	unsigned refs;    /* atomic */
	te_hsm *hsm;      /* referenced; NULL for a key imported from public parts */
	char *ref;        /* the key's name (or URI) in hsm */
	te_hsm_key_type type;
	uint32_t usage;   /* as te_hsm_key_info_get reported it when the key was made */
	EVP_PKEY *pub;    /* the public half, held by another provider */
} te_prov_key;

/* What te_provider_key_new hands to the keymgmt import. */
typedef struct te_prov_handoff {
	te_prov_kind kind;
	te_hsm *hsm; /* referenced */
	char *ref;
	te_hsm_key_type type;
	uint32_t usage;
	EVP_PKEY *pub;
} te_prov_handoff;

/* Takes the handoff that te_provider_key_new armed on this thread, if
 * `claimed` is it; NULL otherwise.  Each handoff is taken at most once. */
te_prov_handoff *te_prov_handoff_take(const void *claimed);

te_prov_key *te_prov_key_ref(te_prov_key *key);
void te_prov_key_unref(te_prov_key *key);
/* 1 when the key can run private operations (it has an HSM behind it). */
int te_prov_key_is_private(const te_prov_key *key);

/* Raises an OpenSSL error from the provider: the reason is the te_err code
 * (its reason string is te_err_str), the data the formatted detail. */
void te_prov_raise(const te_prov_ctx *prov, te_err err, const char *file, int line,
		   const char *func, const char *fmt, ...) TE_PRINTF(6, 7);
#define TE_PROV_RAISE(prov, err, ...)                                                  \
	te_prov_raise((prov), (err), OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC, __VA_ARGS__)
/* Raises the te_err of a failed te_hsm call with its thread-local detail. */
#define TE_PROV_RAISE_HSM(prov, err) TE_PROV_RAISE((prov), (err), "%s", te_err_detail())

/* "SHA256" and friends, fetched from any provider but this one. */
EVP_MD *te_prov_md_fetch(const char *name);
/* Empties OpenSSL's method query cache; called as an operation on one of
 * our keys starts (see provider.c for why). */
void te_prov_method_cache_flush(void);

extern const OSSL_DISPATCH te_prov_ec_keymgmt[];
extern const OSSL_DISPATCH te_prov_rsa_keymgmt[];
extern const OSSL_DISPATCH te_prov_ed25519_keymgmt[];
extern const OSSL_DISPATCH te_prov_ecdsa_signature[];
extern const OSSL_DISPATCH te_prov_rsa_signature[];
extern const OSSL_DISPATCH te_prov_ed25519_signature[];
extern const OSSL_DISPATCH te_prov_rsa_cipher[];

#endif
