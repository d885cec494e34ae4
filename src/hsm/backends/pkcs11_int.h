/*
 * pkcs11_int.h - what the pkcs11 backend's files share: the context of
 * one open token (module, slot, login, session pool, key cache) and the
 * token layer of pkcs11_token.c that pkcs11.c's key operations run on.
 */
#ifndef TRUSTEDGE_HSM_PKCS11_INT_H
#define TRUSTEDGE_HSM_PKCS11_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "hsm/backend.h"
#include "hsm/backends/pkcs11_api.h"

#define TE_P11_CACHE_BUCKETS 256u

/* Mechanisms whose presence changes what the backend does; bit i of
 * te_p11.mechs is te_p11_mech_list[i]. */
typedef enum te_p11_mech_bit {
	TE_P11_M_RSA_KEYGEN,
	TE_P11_M_RSA_PKCS,
	TE_P11_M_RSA_X509,
	TE_P11_M_RSA_OAEP,
	TE_P11_M_RSA_PSS,
	TE_P11_M_SHA256_RSA_PKCS,
	TE_P11_M_SHA256_RSA_PSS,
	TE_P11_M_HMAC_SHA256,
	TE_P11_M_GENERIC_KEYGEN,
	TE_P11_M_EC_KEYGEN,
	TE_P11_M_ECDSA,
	TE_P11_M_ECDSA_SHA256,
	TE_P11_M_ECDSA_SHA384,
	TE_P11_M_ED_KEYGEN,
	TE_P11_M_EDDSA,
	TE_P11_M_AES_KEYGEN,
	TE_P11_M_AES_GCM,
	TE_P11_M__COUNT
} te_p11_mech_bit;

extern const CK_MECHANISM_TYPE te_p11_mech_list[TE_P11_M__COUNT];

struct te_p11_module;
struct te_p11_entry;

typedef struct te_p11 {
	struct te_p11_module *mod;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	/* Token, slot and library identity, blank padding removed, for
	 * messages and for matching the token attributes of pkcs11: URIs. */
	char label[33], manufacturer[33], model[17], serial[17];
	char slot_description[65], slot_manufacturer[33];
	char lib_manufacturer[33], lib_description[33];
	unsigned lib_major, lib_minor;
	uint32_t mechs; /* te_p11_mech_bit bits */
	/* The PIN, kept for logging in again; te_secure_alloc. */
	uint8_t *pin;
	size_t pin_len;
	int login_null; /* protected authentication path: C_Login without PIN */
	int no_login;   /* token needs no login */
	/* RSA-OAEP with SHA-256 natively: -1 not tried, 0 no, 1 yes. */
	int oaep_native;
	EVP_MD *sha256, *sha384;

	pthread_mutex_t mu; /* sessions and cache */
	CK_SESSION_HANDLE *idle;
	size_t n_idle, cap_idle;
	struct te_p11_entry *cache[TE_P11_CACHE_BUCKETS];
	size_t cache_count;
	unsigned long cache_gen;
} te_p11;

/* Opens the module and token the settings name, checks the PIN by logging
 * in, and learns the token's mechanisms. */
te_err te_p11_token_open(const te_hsm_setting *settings, size_t n, te_p11 **out) TE_MUST_CHECK;
/* Closes this context's sessions (never C_CloseAllSessions: other
 * contexts in the process may share the token) and the module reference. */
void te_p11_token_close(te_p11 *p);

int te_p11_has(const te_p11 *p, te_p11_mech_bit m);

/* A session that is logged in: from the pool, or newly opened. */
te_err te_p11_sess_get(te_p11 *p, CK_SESSION_HANDLE *out) TE_MUST_CHECK;
/* Returns a session to the pool. */
void te_p11_sess_put(te_p11 *p, CK_SESSION_HANDLE s);
/* Closes a session that failed; with all_idle, also every pooled one,
 * since a closed session usually means all of them were closed. */
void te_p11_sess_drop(te_p11 *p, CK_SESSION_HANDLE s, int all_idle);
/* Logs the user in (again) through session s. */
te_err te_p11_login(te_p11 *p, CK_SESSION_HANDLE s) TE_MUST_CHECK;

/*
 * Token calls that create or destroy objects run alone; all others share.
 * SoftHSM2 2.6 fails C_GenerateKey(Pair) and C_CreateObject at random
 * (CKR_GENERAL_ERROR, CKR_TEMPLATE_INCONSISTENT) while other threads use
 * the token (softhsm/SoftHSMv2#573); key management is rare, so making it
 * exclusive costs the hot path one uncontended read lock.  The lock is per
 * module, shared by every context in the process.
 */
void te_p11_lock(te_p11 *p, int exclusive);
void te_p11_unlock(te_p11 *p);

/* A counter shared by every context in the process, bumped when a key is
 * deleted, so other contexts drop cached object handles. */
unsigned long te_p11_generation(void);
void te_p11_generation_bump(void);

#endif
