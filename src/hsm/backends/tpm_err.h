/*
 * tpm_err.h - the one place where tpm2-tss and TPM response codes become
 * te_err codes and messages.  Every message says what failed, what the TSS
 * says (Tss2_RC_Decode) and what to check, because "could not initialize
 * TCTI" alone helps nobody.
 */
#ifndef TRUSTEDGE_HSM_TPM_ERR_H
#define TRUSTEDGE_HSM_TPM_ERR_H

#include <stdint.h>

#include <tss2/tss2_common.h>

#include "trustedge/te_error.h"

/* The TPM's response code without the handle/session/parameter position
 * and without the layer (TPM or resource manager), e.g. TPM2_RC_LOCKOUT;
 * a code from another TSS layer is returned unchanged. */
uint32_t te_tpm_rc_base(TSS2_RC rc);

/* 1 when rc is a TPM format-one error about a parameter (the TPM refused a
 * value we sent, as it does for an altered key blob on TPM2_Load). */
int te_tpm_rc_is_param(TSS2_RC rc);

/* 1 when the TPM ran out of object or session slots. */
int te_tpm_rc_is_slots(TSS2_RC rc);

/*
 * Sets the detail "<what>: <TSS decoding> (0x..); <what to check>" and
 * returns the te_err rc maps to: TE_ERR_IO (transport), TE_ERR_PERMISSION
 * (authorization), TE_ERR_BUSY (lockout, no free slots), TE_ERR_CONFIG
 * (TPM not started, hierarchy disabled), TE_ERR_CRYPTO (anything else the
 * TPM refused).  tcti is the TCTI string, for transport hints.
 */
te_err te_tpm_err(TSS2_RC rc, const char *tcti, const char *fmt, ...) TE_PRINTF(3, 4);

/* For a failed Tss2_TctiLdr_Initialize: names the string, says what to
 * check for its kind (device, tabrmd, swtpm/mssim) and lists the TCTI
 * libraries that are installed.  TE_ERR_CONFIG or TE_ERR_IO. */
te_err te_tpm_tcti_err(TSS2_RC rc, const char *tcti);

#endif
