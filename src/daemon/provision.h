/*
 * provision.h - the device SAS key the keys process derives module keys
 * from, made ready in the HSM from the provisioning section of the
 * configuration (trustedge.yaml(5)).
 *
 *   connection_string, key_file  the key bytes are imported once under
 *                                TE_PROVISION_DEVICE_KEY (hmac-sha256,
 *                                usage derive and sign, not exportable);
 *                                on later starts the stored key must be the
 *                                same key, else the daemon refuses to start
 *   key_uri                      the pkcs11: key itself; it must exist
 *   no hub, or x509              a random key is made once: module keys
 *                                are then local to this device
 *
 * Runs in the keys process only: the key bytes of a connection string
 * are in the configuration's locked memory, and key files are read there.
 */
#ifndef TRUSTEDGE_DAEMON_PROVISION_H
#define TRUSTEDGE_DAEMON_PROVISION_H

#include <stddef.h>

#include "trustedge/te_daemon_config.h"
#include "trustedge/te_error.h"
#include "trustedge/te_hsm.h"

/* The HSM name of the device key when the daemon stores it itself. */
#define TE_PROVISION_DEVICE_KEY "device-sas"
/* Longest device key reference (a pkcs11: URI). */
#define TE_PROVISION_KEYREF_MAX 1024
/* Device SAS keys are 16..64 bytes (IoT Hub's are 32 or 64). */
#define TE_PROVISION_KEY_MIN 16
#define TE_PROVISION_KEY_MAX 64

/*
 * Makes the device key ready and writes its reference (a key name or a
 * pkcs11: URI) to name.  TE_ERR_CONFIG, saying what to do, when the key
 * stored under TE_PROVISION_DEVICE_KEY is not the configured one (the
 * device was re-provisioned with another key: its derived module keys
 * would silently change), when a key file is unusable, or when a key_uri
 * names no key.
 */
te_err te_provision_device_key(te_hsm *hsm, const te_daemon_config *dc, char *name,
			       size_t name_size) TE_MUST_CHECK TE_NONNULL(1, 2, 3);

#endif
