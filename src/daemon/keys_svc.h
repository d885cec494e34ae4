/*
 * keys_svc.h - the keys service (aziot-keyd compatible API, svc_keys.h)
 * as the keys process runs it: answers KEYSVC_REQ (daemon/ipc.h) with the
 * HSM, after authenticating the key handle and checking the caller's
 * principal.
 *
 * The API process parses HTTP and JSON and sends the operation with the
 * caller's uid (SO_PEERCRED); everything in the request is untrusted here
 * except that uid.  For each request, in this order:
 *
 *   1. a key handle is authenticated (te_svc_keys_handle_open) with the
 *      handle-validation key, an HSM HMAC-SHA256 key that never leaves
 *      the HSM: 400 for a malformed, forged or altered handle, or one of
 *      the wrong kind;
 *   2. every key the request touches (a derived key: its base key) must
 *      not be one the daemon keeps for itself (TE_KEYS_SVC_PREFIX names,
 *      the handle key, the keys in te_keys_svc_config.reserved*), and a
 *      principal must give the caller's uid that key id: else 403 and an
 *      audit line "result=denied";
 *   3. the operation runs: 404 when the key does not exist (or is of
 *      another kind than the handle says), 403 when the key's usage or
 *      export policy forbids it, 400 for what does not fit the key, 501
 *      for what the HSM or this daemon does not do, 500 for an HSM failure
 *      (details to the log only).  Every request that passed step 2 ends
 *      with one audit line "result=allowed status=NNN".
 *
 * Key handles name a key id; a handle stays valid as long as the
 * handle-validation key exists and names whatever key has that id.
 */
#ifndef TRUSTEDGE_DAEMON_KEYS_SVC_H
#define TRUSTEDGE_DAEMON_KEYS_SVC_H

#include <stddef.h>

#include "daemon/ipc.h"
#include "daemon/keyhandle.h"
#include "daemon/workload.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_error.h"
#include "trustedge/te_hsm.h"

/* The HSM key that authenticates key handles (hmac-sha256, usage sign,
 * not exportable; created at open when missing). */
#define TE_KEYS_SVC_HANDLE_KEY "keysvc-handle-key"
/* Names the keys service makes for itself (the handle key, the transient
 * keys of derived-key operations); no caller may use them. */
#define TE_KEYS_SVC_PREFIX "keysvc-"

typedef struct te_keys_svc te_keys_svc;

typedef struct te_keys_svc_config {
	/* The principals (copied at open: dc need not outlive it).  With no
	 * principal every request is refused 403 (but a sign with an
	 * identity handle, below) and no handle key is made until the
	 * first identity handle is. */
	const te_daemon_config *dc;
	/* Key names (exact) and name prefixes the rest of the daemon owns
	 * (device key, workload encryption key, module keys, edge CA): no
	 * caller may use them, whatever the principals say.  May be NULL. */
	const char *const *reserved;
	size_t n_reserved;
	const char *const *reserved_prefixes;
	size_t n_reserved_prefixes;
	/* The key identity handles name (the device key, an HSM key name);
	 * NULL or not a key name (a pkcs11: URI): no identity handles. */
	const char *identity_key;
} te_keys_svc_config;

/*
 * Identity handles: the key handles the identity service gives its
 * callers (keys_idsvc.h).  One names the identity key: kind KEY for the
 * device identity, kind DERIVED (base: the identity key, data: a module
 * key's derivation data) for a module identity.  Its tag is
 *
 *   HMAC-SHA256(handle-validation key, TE_KEYS_SVC_IDENTITY_LABEL 0x00
 *               || u32be uid || the handle's bytes before the tag)
 *
 * rather than the keys service's HMAC over the handle's bytes alone, so a
 * handle is bound to the uid it was made for (another uid presenting it
 * fails authentication), and the two kinds of handle never pass for each
 * other (a keys-service MAC input starts with the version byte 0x01, an
 * identity one with 't').  The keys service takes an identity handle for
 * POST /sign with HMAC-SHA256 only, from that uid, whatever the principals
 * and reserved names say: the identity service authorized the caller.
 * Every other operation refuses it as an invalid handle.
 */
#define TE_KEYS_SVC_IDENTITY_LABEL "trustedge-identity-handle-v1"

/*
 * Writes the NUL-terminated text of a fresh identity handle for uid to out
 * (TE_KEYHANDLE_TEXT_MAX + 1 bytes): the identity key itself when data_len
 * is 0, else the key derived from it with data (1..TE_KEYHANDLE_DATA_MAX
 * bytes).  Makes the handle-validation key first when it is missing (also
 * without principals).  TE_ERR_UNSUPPORTED when there is no identity key;
 * TE_ERR_CONFIG for an unusable handle key; the HSM's errors.
 */
te_err te_keys_svc_identity_handle(te_keys_svc *s, uint32_t uid, const uint8_t *data,
                                   size_t data_len, char *out, size_t out_size) TE_MUST_CHECK
    TE_NONNULL(1, 5);

/*
 * Copies the principals and reserved names and, when there is a principal,
 * makes sure the handle-validation key exists (created when missing; one
 * of another type, usage or an exportable one is TE_ERR_CONFIG).  Borrows
 * hsm, which must outlive the service.
 */
te_err te_keys_svc_open(te_hsm *hsm, const te_keys_svc_config *cfg, te_keys_svc **out) TE_MUST_CHECK
    TE_NONNULL(1, 2, 3);
/* NULL is a no-op. */
void te_keys_svc_close(te_keys_svc *s);

/*
 * Answers one decoded KEYSVC_REQ into rep: always a KEYSVC_REPLY (the
 * refusals included), rep->id left to the caller.  Fails only when no
 * reply can be encoded (a bug); rep is wiped then.  rep is a secret
 * message (a plaintext, a signature, an exported key): wipe it after use.
 */
te_err te_keys_svc_handle(te_keys_svc *s, const te_ipc_keysvc_req *req,
                          te_ipc_msg *rep) TE_MUST_CHECK TE_NONNULL(1, 2, 3);

/*
 * For the other services of the keys process (the certificates service,
 * keys_certsvc.h), which name key pairs by keys-service handle.
 *
 * te_keys_svc_principal_match: 1 when a principal gives uid the id (the
 * globs only: reserved names are the caller's to refuse).
 *
 * te_keys_svc_keypair_use: authenticates the key pair handle text and
 * checks, as the keys service's own requests, that the key is not one the
 * daemon keeps and that a principal gives it to uid.  On success writes
 * the key id.  Otherwise st holds the refusal: 400 (not a handle of this
 * daemon, or of another kind), 403 with an audit line naming op ("audit:
 * caller uid=.. op=.. key=.. result=denied"; also when there is no
 * principal at all), 500 when the HSM cannot check the handle.
 */
int te_keys_svc_principal_match(const te_keys_svc *s, uint32_t uid, const char *id) TE_MUST_CHECK
    TE_NONNULL(1, 3);
te_err te_keys_svc_keypair_use(te_keys_svc *s, uint32_t uid, const char *op, const char *handle,
                               char key_id[TE_KEYHANDLE_ID_MAX + 1], te_wl_status *st)
    TE_MUST_CHECK TE_NONNULL(1, 3, 4, 5, 6);

#endif
