/*
 * keys.h - the keys process's request handler.
 *
 * The keys process of trustedged holds the HSM; the API process, which
 * parses everything modules send, holds no key and asks over typed IPC
 * (daemon/ipc.h).  te_keys_handle() answers one request:
 *
 *   SIGN_DERIVED_REQ -> SIGN_REPLY    HMAC-SHA256 under a module key derived
 *                                     in the HSM from the device SAS key
 *   ENCRYPT_REQ      -> CRYPT_REPLY   AES-256-GCM under the master
 *   DECRYPT_REQ      -> CRYPT_REPLY   encryption key, module identity as AAD
 *   anything else    -> ERROR_REPLY
 *
 * The formats (derivation data, AAD, ciphertext layout) are documented in
 * keys.c and in docs/design-daemon.md, "Module keys".
 *
 * The handler trusts the module identity in a request: the API process has
 * already authorized the caller as that module.  Everything else in a
 * request (data, caller IV, ciphertext) is treated as untrusted.
 */
#ifndef TRUSTEDGE_DAEMON_KEYS_H
#define TRUSTEDGE_DAEMON_KEYS_H

#include "daemon/ipc.h"
#include "trustedge/te_error.h"
#include "trustedge/te_hsm.h"

typedef struct te_keys te_keys;

typedef struct te_keys_config {
	/* hmac-sha256 key with usage derive, e.g. "device-sas".  Must exist;
	 * the keys process never creates or imports it. */
	const char *device_key;
	/* aes-256-gcm key with usage encrypt, e.g. "workload-encrypt".
	 * Created (not exportable) when missing: the one key the keys
	 * process makes by itself. */
	const char *encrypt_key;
} te_keys_config;

/*
 * Checks the device key (exists, hmac-sha256, usage derive) and the
 * encryption key (aes-256-gcm, usage encrypt; created if missing), and
 * returns a handler that borrows hsm: hsm must outlive it.  Errors carry
 * a detail for the daemon's log (it may name store paths).
 */
te_err te_keys_open(te_hsm *hsm, const te_keys_config *cfg, te_keys **out) TE_MUST_CHECK;
/* NULL is a no-op. */
void te_keys_close(te_keys *k);

/*
 * Answers req into reply (two distinct messages; reply->id = req->id).
 *
 * TE_OK: reply holds the answer, which may be an ERROR_REPLY (a refused
 * request, an unserved type, an HSM failure, even a success reply that
 * could not be encoded: the te_err code and a message fit to show a
 * module, without key material or paths; the detail goes to the log,
 * refusals at debug level, failures at error level).  Send it.
 * TE_ERR_MALFORMED: req does not decode as its type; the caller closes
 * the channel (the parent restarts the peer).  reply is wiped.
 * TE_ERR_INVALID_ARG when req == reply; any other code is a bug (an
 * ERROR_REPLY that cannot be encoded) and also leaves reply wiped.
 *
 * Secrets: the caller keeps owning both messages and wipes them with
 * te_ipc_msg_wipe() once done when te_ipc_type_is_secret() says so
 * (an ENCRYPT_REQ holds plaintext, SIGN_REPLY and a decrypt's CRYPT_REPLY
 * hold secrets).
 */
te_err te_keys_handle(te_keys *k, const te_ipc_msg *req, te_ipc_msg *reply) TE_MUST_CHECK
    TE_NONNULL(1, 2, 3);

#endif
