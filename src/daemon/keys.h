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
 *   CERT_SERVER_REQ  -> CERT_REPLY    a fresh key pair and a certificate
 *   CERT_IDENTITY_REQ-> CERT_REPLY    signed by the edge CA
 *   TRUST_BUNDLE_REQ -> BUNDLE_REPLY  the roots modules should trust
 *   MANIFEST_TRUST_BUNDLE_REQ -> BUNDLE_REPLY  the manifest bundle (or "")
 *   KEYSVC_REQ       -> KEYSVC_REPLY  the keys service (keys_svc.h), when
 *                                     te_keys_cert_config.keys_service is set
 *   IDSVC_REQ        -> IDSVC_REPLY   an identity's key handle (keys_idsvc.h)
 *   CERTSVC_REQ      -> CERTSVC_REPLY the certificates service (keys_certsvc.h)
 *   anything else    -> ERROR_REPLY
 *
 * The formats (derivation data, AAD, ciphertext layout) are documented in
 * keys.c and in docs/design-daemon.md, "Module keys"; the certificates in
 * keys.c and in docs/design-daemon.md, "Certificates".
 *
 * The handler trusts the module identity in a request: the API process has
 * already authorized the caller as that module.  Everything else in a
 * request (data, caller IV, ciphertext) is treated as untrusted.
 */
#ifndef TRUSTEDGE_DAEMON_KEYS_H
#define TRUSTEDGE_DAEMON_KEYS_H

#include "daemon/ipc.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_error.h"
#include "trustedge/te_hsm.h"

/* Longest lifetime of a module's server certificate (the reference
 * daemon's cap) and of its identity certificate (short: it is a client
 * credential, and modules ask again when they need one). */
#define TE_KEYS_SERVER_CERT_MAX   ((int64_t)90 * 86400)
#define TE_KEYS_IDENTITY_CERT_MAX ((int64_t)2 * 3600)
/* The hub in identity certificates' URIs when no IoT Hub is configured
 * (development): azureiot://local/devices/<device>/modules/<module>. */
#define TE_KEYS_LOCAL_HUB "local"
/* The auto-generated edge CA: its certificate store id, the name of its
 * first HSM key (rotation makes "edge-ca.r1", ...), and the store id
 * that keeps the CA it replaced, trusted until that one expires. */
#define TE_KEYS_EDGE_CA_ID      "edge-ca"
#define TE_KEYS_EDGE_CA_KEY     "edge-ca"
#define TE_KEYS_EDGE_CA_PREV_ID "edge-ca-previous"

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
 * What certificates need.  A separate struct rather than more fields of
 * te_keys_config, so that callers initialising that one positionally
 * ({device_key, encrypt_key}) compile unchanged under
 * -Wmissing-field-initializers.  Every field may be zero.
 */
typedef struct te_keys_cert_config {
	/* Directory of the certificate store (te_cert_store) that keeps the
	 * auto-generated edge CA.  NULL: no certificates; CERT_*_REQ and
	 * TRUST_BUNDLE_REQ get ERROR_REPLY TE_ERR_UNSUPPORTED. */
	const char *cert_store;
	/* Required with cert_store: the device id (identity URIs, CA name). */
	const char *device_id;
	/* NULL in development: identity URIs use TE_KEYS_LOCAL_HUB. */
	const char *iothub_hostname;
	/* NULL: auto-generated with the defaults of trustedge.yaml(5) (90
	 * days, renew at 80%, retry every 4%, no key rotation); zero fields
	 * of an auto-generated one take those defaults too.  Otherwise cert
	 * (PEM: the CA first, then its chain up to and including the root)
	 * and pk (KEYREF: HSM key name, "pkcs11:" URI or "file:///path"). */
	const te_daemon_edge_ca *edge_ca;
	/* Absolute path of a PEM file of certificates; NULL: the manifest
	 * trust bundle is empty.  Read once, at open; served with or without
	 * cert_store. */
	const char *manifest_trust_bundle;
	/* Lifetime caps in seconds; 0 takes TE_KEYS_SERVER_CERT_MAX and
	 * TE_KEYS_IDENTITY_CERT_MAX; more than those is refused. */
	int64_t server_cert_max;
	int64_t identity_cert_max;
	/* Unix time now; NULL: time(2).  For tests that move the clock. */
	int64_t (*clock)(void);
	/* The configuration whose principals the keys service checks
	 * (copied at open).  NULL: KEYSVC_REQ gets ERROR_REPLY
	 * TE_ERR_UNSUPPORTED.  With principals, the service's handle
	 * validation key is created in the HSM when missing. */
	const te_daemon_config *keys_service;
} te_keys_cert_config;

/*
 * Fills out from the daemon's configuration: cert_store, the device id and
 * IoT Hub host name of provisioning, edge_ca (&dc->edge_ca) and
 * keys_service (dc); manifest_trust_bundle, the caps and clock are left
 * zero.  out points into dc.  A te_keys_cert_config is read only during
 * te_keys_open_with_certs: nothing of it needs to outlive that call.
 */
void te_keys_cert_config_fill(const te_daemon_config *dc, te_keys_cert_config *out)
    TE_NONNULL(1, 2);

/*
 * Checks the device key (exists, hmac-sha256, usage derive) and the
 * encryption key (aes-256-gcm, usage encrypt; created if missing), and
 * returns a handler that borrows hsm: hsm must outlive it.  Serves no
 * certificates: te_keys_open_with_certs(hsm, cfg, NULL, out).
 * Errors carry a detail for the daemon's log (it may name store paths).
 */
te_err te_keys_open(te_hsm *hsm, const te_keys_config *cfg, te_keys **out) TE_MUST_CHECK;

/*
 * te_keys_open, and certificates as `certs` says (NULL: none).
 *
 * With certs->cert_store, prepares the edge CA.  Auto-generated: made on
 * the first start (an EC P-256 key in the HSM, not exportable, and a
 * self-signed CA certificate with pathlen 0, stored under
 * TE_KEYS_EDGE_CA_ID), loaded on later starts, put under the renewer with
 * the configured policy, and renewed at once when due.  From files: the
 * certificate and key are loaded and must match, the certificate must be
 * a CA and the file's chain must end in a self-signed root that it
 * verifies against; it is never renewed.  A manifest trust bundle is read
 * and must hold certificates only (an empty file is an empty bundle).
 */
te_err te_keys_open_with_certs(te_hsm *hsm, const te_keys_config *cfg,
                               const te_keys_cert_config *certs, te_keys **out) TE_MUST_CHECK;

/*
 * Renews the auto-generated edge CA when due at `now` (see te_renewer_run)
 * and switches the handler to a renewed CA: certificates issued after it
 * chain to the new CA, and the trust bundle holds the new CA and, until it
 * expires, the one it replaced.  *next is when to call again (INT64_MAX:
 * never, e.g. no certificates or a CA from files).  A failed renewal is
 * logged and retried by the renewer's schedule, not returned; the call
 * fails only on misuse.  Call it from the thread that calls
 * te_keys_handle: a te_keys is not synchronised.
 */
te_err te_keys_maintain(te_keys *k, int64_t now, int64_t *next) TE_MUST_CHECK TE_NONNULL(1, 3);
/*
 * The root of trust of managed enclaves (tee_rot.h) over this handler's
 * HSM, its attestation key certified by the current edge CA: borrows the
 * HSM (k's must outlive it); close it with te_rot_close.
 * TE_ERR_UNSUPPORTED without a certificate store.
 */
struct te_rot;
te_err te_keys_tee_rot(te_keys *k, struct te_rot **out) TE_MUST_CHECK TE_NONNULL(1, 2);
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
 * (an ENCRYPT_REQ holds plaintext, SIGN_REPLY, a decrypt's CRYPT_REPLY and
 * CERT_REPLY hold secrets).
 */
te_err te_keys_handle(te_keys *k, const te_ipc_msg *req, te_ipc_msg *reply) TE_MUST_CHECK
    TE_NONNULL(1, 2, 3);

/* Longest derivation data of a module key: the label (23), module, genid
 * and keyId at their IPC bounds, and three separators. */
#define TE_KEYS_DERIVATION_MAX                                                                     \
	(23 + 1 + TE_IPC_MODULE_MAX + 1 + TE_IPC_GENID_MAX + 1 + TE_IPC_KEY_ID_MAX)
/*
 * The derivation data of the module key of (module, genid, keyId), as
 * SIGN_DERIVED_REQ derives it (format at the top of keys.c), into buf:
 * what an identity service handle to a module's key carries
 * (keys_idsvc.h), so that signing with it gives the workload sign's
 * digest.  Each string is 1..its IPC bound long (TE_IPC_MODULE_MAX,
 * TE_IPC_GENID_MAX, TE_IPC_KEY_ID_MAX) and NUL-terminated: else
 * TE_ERR_INVALID_ARG.  TE_ERR_INTERNAL when room is too small.
 */
te_err te_keys_module_derivation(const char *module, const char *genid, const char *key_id,
                                 uint8_t *buf, size_t room, size_t *len) TE_MUST_CHECK
    TE_NONNULL(1, 2, 3, 4, 6);

#endif
