/*
 * te_cert.h - the certificate engine: CSRs from HSM keys, issuance with
 * profiles, chains against a trust bundle, a certificate store, and
 * renewal before expiry.
 *
 * Keys come from the HSM PAL as EVP_PKEYs (te_hsm_key_evp), so the engine
 * never cares which backend holds them.  Times are Unix seconds and every
 * function that depends on "now" takes it as an argument, so tests can
 * move the clock.
 */
#ifndef TRUSTEDGE_TE_CERT_H
#define TRUSTEDGE_TE_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "te_error.h"
#include "te_hsm.h"
#include "te_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct x509_st X509;                       /* <openssl/types.h> */
typedef struct X509_req_st X509_REQ;               /* <openssl/types.h> */
typedef struct stack_st_X509 te_x509_stack;        /* STACK_OF(X509) */

typedef enum te_cert_profile {
	TE_CERT_ROOT_CA = 1,      /* self-signed CA, no path length limit */
	TE_CERT_INTERMEDIATE_CA,  /* CA; path_len from the request (-1: none) */
	TE_CERT_EDGE_CA,          /* CA with pathlen 0: issues leaves only */
	TE_CERT_SERVER,           /* EKU serverAuth; DNS/IP SANs */
	TE_CERT_CLIENT,           /* EKU clientAuth; optional URI SAN (identity) */
	TE_CERT_VERIFICATION,     /* proof of possession for a registration service */
	TE_CERT__PROFILE_COUNT
} te_cert_profile;

/* Limits that keep requests sane; longer values are refused, not cut. */
#define TE_CERT_CN_MAX 64     /* RFC 5280 ub-common-name */
#define TE_CERT_SAN_MAX 16    /* entries of each kind */
#define TE_CERT_NAME_MAX 253  /* a DNS name */
#define TE_CERT_URI_MAX 512

typedef struct te_cert_request {
	te_cert_profile profile;
	const char *common_name;  /* required unless taken from a CSR */
	const char *organization; /* optional O= */
	const char *const *dns;   /* DNS SANs */
	size_t n_dns;
	const char *const *ips;   /* IPv4/IPv6 SANs, textual */
	size_t n_ips;
	const char *const *uris;  /* URI SANs, e.g. azureiot://hub/devices/d/modules/m */
	size_t n_uris;
	int64_t not_before;       /* 0: now - 60 s of clock skew allowance */
	int64_t lifetime;         /* seconds, > 0 */
	int path_len;             /* TE_CERT_INTERMEDIATE_CA: -1 = unlimited */
	/* When the requested validity ends after the issuer's: 0 refuses
	 * (TE_ERR_INVALID_ARG, nothing issued), 1 ends it with the issuer's. */
	int cap_to_issuer;
} te_cert_request;

/* "root-ca", "intermediate-ca", "edge-ca", "server", "client",
 * "verification" */
const char *te_cert_profile_name(te_cert_profile p);
te_err te_cert_profile_parse(const char *s, te_cert_profile *out) TE_MUST_CHECK;

/* Checks a request's names and numbers without issuing anything: CN
 * length and characters, DNS names (LDH labels, optional leading "*."),
 * IP literals, URIs (scheme, no spaces or controls), lifetime. */
te_err te_cert_request_check(const te_cert_request *req) TE_MUST_CHECK;

/* A CSR for key with the request's subject and SANs, signed by key. */
te_err te_cert_csr_create(EVP_PKEY *key, const te_cert_request *req,
			  X509_REQ **out) TE_MUST_CHECK;

/*
 * Issues a certificate for subject_key (only its public part is used) with
 * the request's profile.  issuer == NULL makes it self-signed by
 * issuer_key (which must then be subject_key's private side).  Otherwise
 * the issuer must be a CA whose key is issuer_key, valid at `now`; the
 * serial is 16 random bytes; SKI/AKI are set; basicConstraints and
 * keyUsage are critical and fit the profile.
 */
te_err te_cert_issue(const te_cert_request *req, EVP_PKEY *subject_key, X509 *issuer,
		     EVP_PKEY *issuer_key, int64_t now, X509 **out) TE_MUST_CHECK;

/* Issues from a CSR: its signature must verify; the subject CN comes from
 * req->common_name or, when that is NULL, from the CSR; SANs come from the
 * request only (a CSR cannot ask for names the policy did not grant). */
te_err te_cert_issue_csr(const te_cert_request *req, X509_REQ *csr, X509 *issuer,
			 EVP_PKEY *issuer_key, int64_t now, X509 **out) TE_MUST_CHECK;

/* --- chains ---------------------------------------------------------------- */

/* Verifies leaf against the trust bundle (roots) with untrusted
 * intermediates, at time `now`, strictly (RFC 5280 checks of OpenSSL's
 * X509_V_FLAG_X509_STRICT).  On success *chain (if not NULL) receives the
 * ordered chain leaf..root (free with te_cert_stack_free).  Failures say
 * which certificate and why. */
te_err te_cert_chain_verify(X509 *leaf, te_x509_stack *untrusted, te_x509_stack *roots,
			    int64_t now, te_x509_stack **chain) TE_MUST_CHECK;

/* --- PEM and helpers --------------------------------------------------------- */

/* Parses every certificate in a PEM text (untrusted input: bounded to
 * TE_CERT_PEM_MAX bytes and TE_CERT_CHAIN_MAX certificates).  At least one. */
#define TE_CERT_PEM_MAX (1u << 20)
#define TE_CERT_CHAIN_MAX 16
te_err te_cert_pem_parse(const char *pem, size_t len, te_x509_stack **out) TE_MUST_CHECK;
/* Parses one CSR (PEM or DER). */
te_err te_cert_csr_parse(const uint8_t *data, size_t len, X509_REQ **out) TE_MUST_CHECK;
/* Appends the PEM of cert (and then of each of extra, if not NULL) to out. */
te_err te_cert_pem_append(X509 *cert, te_x509_stack *extra, te_buf *out) TE_MUST_CHECK;
void te_cert_stack_free(te_x509_stack *st);
/* notBefore / notAfter as Unix seconds. */
te_err te_cert_validity(const X509 *cert, int64_t *not_before, int64_t *not_after) TE_MUST_CHECK;

/* --- store ------------------------------------------------------------------ */

/*
 * Certificates by id (the same name rules as HSM keys), kept in a
 * directory as one file per id, written atomically (temp, fsync, rename,
 * fsync dir).  Each entry holds the PEM (leaf first, then its chain) and
 * the name of the HSM key it belongs to, in one file, so a renewal that
 * rotates the key switches both at once.
 */
typedef struct te_cert_store te_cert_store;

te_err te_cert_store_open(const char *dir, te_cert_store **out) TE_MUST_CHECK;
void te_cert_store_close(te_cert_store *st);
/* Writes (replaces) id.  key_name may be NULL for certificates whose key
 * trustedge does not hold (trust bundle entries, imported peers). */
te_err te_cert_store_put(te_cert_store *st, const char *id, const char *pem, size_t len,
			 const char *key_name) TE_MUST_CHECK;
/* Reads id: *pem (malloc'd, NUL-terminated) and, if key_name is not NULL,
 * the key name (TE_HSM_NAME_MAX + 1 bytes; "" when none). */
te_err te_cert_store_get(te_cert_store *st, const char *id, char **pem, size_t *len,
			 char key_name[TE_HSM_NAME_MAX + 1]) TE_MUST_CHECK;
te_err te_cert_store_delete(te_cert_store *st, const char *id) TE_MUST_CHECK;
/* Ids, sorted; free each and the array with free(). */
te_err te_cert_store_list(te_cert_store *st, char ***ids, size_t *count) TE_MUST_CHECK;

/* --- renewal ---------------------------------------------------------------- */

typedef struct te_renew_policy {
	unsigned threshold_pct; /* renew at this % of the lifetime, 1..100 (default 80) */
	unsigned retry_pct;     /* first retry after this % of the lifetime, 1..100 (default 4) */
	int64_t max_backoff;    /* longest wait between retries, >= 1 s (default 1 day) */
	int rotate_key;         /* make a new key "<base>.r<N>" at each renewal; the old
				 * key is deleted once no stored certificate names it */
} te_renew_policy;

/* Fills the defaults (80%, 4%, 86400 s, no rotation). */
void te_renew_policy_default(te_renew_policy *p);

/*
 * How a managed certificate is reissued.  `issue` gets the key to certify
 * (the current one, or a freshly made one when rotating) and appends the
 * new PEM (leaf first, then chain) to the empty buffer *pem; it may fail,
 * and is then retried with backoff.  The renewer stores the result only if
 * its leaf is for that key and not yet expired.  `notify` (optional) is
 * told after a renewal has been stored; it must not block for long.
 */
typedef struct te_renew_ops {
	te_err (*issue)(void *arg, const char *id, const char *key_name, int64_t now,
			te_buf *pem);
	void (*notify)(void *arg, const char *id, const char *key_name);
	void *arg;
} te_renew_ops;

typedef struct te_renewer te_renewer;

/* A renewer over a store and the HSM holding the keys.  One thread drives
 * a renewer (manage and run are not synchronised); the store and the HSM
 * may be shared with other threads and processes, but only one renewer
 * should renew a given store. */
te_err te_renewer_new(te_cert_store *st, te_hsm *hsm, te_renewer **out) TE_MUST_CHECK;
void te_renewer_free(te_renewer *r);
/* Puts certificate id (already in the store, with its key, which must
 * exist) under management.  key_type is used to make new keys when
 * rotating.  Managing an id again replaces its policy and callbacks and
 * clears its retry state. */
te_err te_renewer_manage(te_renewer *r, const char *id, te_hsm_key_type key_type,
			 const te_renew_policy *policy, const te_renew_ops *ops) TE_MUST_CHECK;
/*
 * Renews everything that is due at `now`: past the threshold, past a
 * scheduled retry, or already expired (a clock that jumped forward renews
 * at once).  Never blocks on anything but the issue callbacks.  Returns the
 * number renewed in *renewed (may be NULL) and the time of the next
 * decision in *next (call again then, or sooner; may be NULL; INT64_MAX
 * when nothing is managed).  Failures
 * are recorded per certificate and retried; the call itself fails only on
 * misuse.
 */
te_err te_renewer_run(te_renewer *r, int64_t now, size_t *renewed, int64_t *next) TE_MUST_CHECK;
/* Renews managed certificate id at once, whether due or not (an operator's
 * "renew now"), in the same crash-safe order as te_renewer_run.  Fails with
 * the issue callback's error; the old certificate is then untouched. */
te_err te_renewer_renew_now(te_renewer *r, const char *id, int64_t now) TE_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
