/*
 * keys_idsvc.h - the identity service's part in the keys process: makes
 * the key handle of an identity (IDSVC_REQ -> IDSVC_REPLY, daemon/ipc.h).
 *
 * The API process decides which identity a caller receives (svc_identity.h:
 * the device identity for an administrator, a module's identity for that
 * module) and asks here for its handle, bound to the caller's uid:
 *
 *   device            kind KEY, the device key (the device SAS key)
 *   module m, genid g kind DERIVED, base the device key, derivation data
 *                     te_keys_module_derivation(m, g, "primary")
 *
 * The derivation data is the one SIGN_DERIVED_REQ derives m's primary key
 * from (keys.c), and the keys service signs with a derived handle by
 * deriving HMAC-SHA256(base, data) in the HSM and signing with that, so
 *
 *   POST /sign {HMAC-SHA256, message} with the module's handle
 *     = HMAC-SHA256(HMAC-SHA256(device key, derivation data), message)
 *     = the workload API's sign for (m, g, "primary", message).
 *
 * Handles are authenticated by the keys service's handle-validation key
 * and bound to the uid (keys_svc.h, "Identity handles"): only that uid can
 * sign with one, and only with HMAC-SHA256.  Like SIGN_DERIVED_REQ, the
 * request is trusted to name the identity the API process authorized for
 * that uid.
 */
#ifndef TRUSTEDGE_DAEMON_KEYS_IDSVC_H
#define TRUSTEDGE_DAEMON_KEYS_IDSVC_H

#include "daemon/ipc.h"
#include "daemon/keys_svc.h"
#include "trustedge/te_error.h"

/* The module key an identity handle names (keys.c: "primary" or
 * "secondary"; an aziot identity's key is its primary one). */
#define TE_KEYS_IDSVC_KEY_ID "primary"

/*
 * Encodes the IDSVC_REPLY for req into reply.  On failure returns the
 * code for an ERROR_REPLY and points *why at words fit for the caller:
 * TE_ERR_UNSUPPORTED when svc is NULL (no keys service) or the device key
 * is no HSM key name (a pkcs11: URI cannot be named by a handle); the
 * HSM's errors otherwise.  reply is secret (a credential): wipe it.
 */
te_err te_keys_idsvc_answer(te_keys_svc *svc, const te_ipc_idsvc_req *req, te_ipc_msg *reply,
                            const char **why) TE_MUST_CHECK TE_NONNULL(2, 3, 4);

#endif
