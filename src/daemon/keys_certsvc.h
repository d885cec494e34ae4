/*
 * keys_certsvc.h - the certificates service (aziot-certd compatible API,
 * svc_certs.h) as the keys process runs it: answers CERTSVC_REQ
 * (daemon/ipc.h) with the certificate store, the edge CA and the HSM.
 *
 * The API process parses HTTP and JSON and sends the operation with the
 * caller's uid (SO_PEERCRED); everything in the request is untrusted here
 * except that uid.  For each request, in this order:
 *
 *   1. the certificate id (and an issuer's id) must be given to the uid by
 *      a principal (the keys service's globs, te_keys_svc_principal_match):
 *      else 403 and an audit line "result=denied", before anything is
 *      looked at;
 *   2. a write (create, import, delete) of an id the daemon manages is
 *      refused 403 the same way: ids starting with one of the configured
 *      reserved prefixes (the edge CA's "edge-ca", "edge-ca-previous", its
 *      rotations), and any store entry that names an HSM key (only the
 *      daemon stores those; this service never does);
 *   3. an issuer's private key handle is authenticated and checked like a
 *      keys-service request (te_keys_svc_keypair_use): 400 / 403;
 *   4. the operation runs: 400 for a CSR or PEM that does not parse or asks
 *      for what is not issued, 404 for a certificate that is not there,
 *      500 for a failure of the store or HSM (details to the log only).
 *      Every request that passed step 1 ends with one audit line
 *      "result=allowed status=NNN".
 *
 * Issuance (create) makes a leaf certificate (basicConstraints CA:FALSE)
 * for the CSR's key, once the CSR's signature verifies with it; see
 * keys_certsvc.c for the profile and docs/design-daemon.md.
 */
#ifndef TRUSTEDGE_DAEMON_KEYS_CERTSVC_H
#define TRUSTEDGE_DAEMON_KEYS_CERTSVC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "daemon/ipc.h"
#include "daemon/keys_svc.h"
#include "trustedge/te_cert.h"
#include "trustedge/te_error.h"
#include "trustedge/te_hsm.h"

/* Longest lifetime of a certificate issued by this service (the reference
 * daemon's cap for module server certificates); never past the issuer's
 * notAfter either. */
#define TE_KEYS_CERTSVC_CERT_MAX ((int64_t)90 * 86400)

/* What one request may use, borrowed from the keys process (keys.c) for
 * the call only. */
typedef struct te_keys_certsvc_ctx {
	te_hsm *hsm;
	te_cert_store *store;
	te_keys_svc *svc; /* principals and key handles */
	/* The edge CA: the issuer when a request names none. */
	X509 *ca_cert;
	EVP_PKEY *ca_key;
	te_x509_stack *ca_chain; /* the CA, then its own chain: follows the leaf */
	int64_t now;             /* Unix seconds */
	/* Store ids the daemon manages (prefixes): read-only here. */
	const char *const *reserved_prefixes;
	size_t n_reserved_prefixes;
} te_keys_certsvc_ctx;

/*
 * Answers one decoded CERTSVC_REQ into rep: always a CERTSVC_REPLY (the
 * refusals included), rep->id left to the caller.  Fails only when no
 * reply can be encoded (a bug); rep is wiped then.
 */
te_err te_keys_certsvc_handle(const te_keys_certsvc_ctx *ctx, const te_ipc_certsvc_req *req,
                              te_ipc_msg *rep) TE_MUST_CHECK TE_NONNULL(1, 2, 3);

#endif
