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
	 * principal every request is refused 403 and no handle key is made. */
	const te_daemon_config *dc;
	/* Key names (exact) and name prefixes the rest of the daemon owns
	 * (device key, workload encryption key, module keys, edge CA): no
	 * caller may use them, whatever the principals say.  May be NULL. */
	const char *const *reserved;
	size_t n_reserved;
	const char *const *reserved_prefixes;
	size_t n_reserved_prefixes;
} te_keys_svc_config;

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

#endif
