/*
 * te_tpm.h - the TPM's own keys, for provisioning: the public parts of the
 * endorsement key (EK) and of the storage root key (SRK), as DPS TPM
 * attestation and `get_tpm_keys` need them.
 *
 * Both keys are primary keys made from the standard TCG templates, so the
 * TPM computes the same key from its seeds every time (the same one that
 * tpm2_createek and a TCG-conformant SRK provisioning make); nothing is
 * persisted, and the transient key is flushed before returning.
 *
 * tcti names the TPM as the tpm backend's `tcti` setting does
 * ("device:/dev/tpmrm0", "tabrmd", "swtpm:host=127.0.0.1,port=2321").
 * Errors say what to check (no device, no resource manager, wrong TCTI
 * string, simulator not listening, lockout, wrong authorization).
 */
#ifndef TRUSTEDGE_TE_TPM_H
#define TRUSTEDGE_TE_TPM_H

#include "te_error.h"
#include "te_hsm.h"
#include "te_mem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Public part of the RSA 2048 endorsement key (TCG EK Credential Profile,
 * template L-1, low range), as SubjectPublicKeyInfo appended to out.  The
 * endorsement hierarchy's authorization must be empty (the default). */
te_err te_tpm_ek_public(const char *tcti, te_hsm_pub_format fmt, te_buf *out) TE_MUST_CHECK;

/* Public part of the ECC P-256 storage root key (TCG Provisioning
 * Guidance template), the parent of the tpm backend's keys when it has no
 * `parent` setting.  owner_auth is the owner hierarchy's authorization in
 * the tpm backend's owner_auth format ("hex:...", "str:..." or text), or
 * NULL when it is empty. */
te_err te_tpm_srk_public(const char *tcti, const char *owner_auth, te_hsm_pub_format fmt,
			 te_buf *out) TE_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
