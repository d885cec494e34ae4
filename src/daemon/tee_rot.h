/*
 * tee_rot.h - the managed-mode root of trust of emulated enclaves
 * (src/tee/rot/rot.h): trustedged's keys process answers its TAs'
 * seal-key and evidence requests from the device's HSM.
 *
 *   derive  HMAC-SHA256 in the HSM under TE_ROT_HSM_ROOT_KEY (made on
 *           first use: hmac-sha256, usage sign, not exportable), over
 *           label || 0x01 - the same HKDF-Expand block as the developer
 *           root, so the seal-key format is one for both roots
 *   sign    ECDSA P-256 / SHA-256 by TE_ROT_HSM_ATTEST_KEY (made on first
 *           use: ec-p256, usage sign, not exportable)
 *   chain   that key's certificate, issued at open by the device's edge
 *           CA (client profile, at most TE_ROT_HSM_CERT_DAYS, never past
 *           the CA), then the CA's chain
 *
 * Its flags do not say "developer": evidence it signs chains to the
 * device CA that `trustedge cert` exports.
 */
#ifndef TRUSTEDGE_DAEMON_TEE_ROT_H
#define TRUSTEDGE_DAEMON_TEE_ROT_H

#include <stdint.h>

#include "tee/rot/rot.h"
#include "trustedge/te_cert.h"
#include "trustedge/te_error.h"
#include "trustedge/te_hsm.h"

#define TE_ROT_HSM_ROOT_KEY   "tee-root"
#define TE_ROT_HSM_ATTEST_KEY "tee-attest"
#define TE_ROT_HSM_CERT_DAYS  365

/* Opens the HSM root: makes or checks the two keys and certifies the
 * attestation key with ca_cert / ca_key (the edge CA; ca_chain, the CA
 * then its issuers, may be NULL: the CA alone).  hsm is borrowed and must
 * outlive the root; the CA arguments are only read during the call.  An
 * existing key of the wrong type or usage, or an exportable one, is
 * refused (TE_ERR_CONFIG): it could not be the device's secret. */
te_err te_rot_hsm_open(te_hsm *hsm, X509 *ca_cert, EVP_PKEY *ca_key, te_x509_stack *ca_chain,
                       const char *device_id, int64_t now, te_rot **out) TE_MUST_CHECK;

#endif
