/*
 * attest_int.h - what the TA side (enclave/attest.c) and the host side
 * (host/verify.c) of the attestation API share (attest_common.c): the
 * roots added with te_verifier_add_trusted_root_pem, and one verification
 * against a caller's extra roots.
 */
#ifndef TE_TEE_ATTEST_INT_H
#define TE_TEE_ATTEST_INT_H

#include <openenclave/bits/evidence.h>
#include <openenclave/bits/report.h>

#include "tee/evidence.h"

/* Guards the added roots and whatever roots the caller keeps with them. */
void te_attest_lock(void);
void te_attest_unlock(void);
/* Under the lock: the roots added by te_verifier_add_trusted_root_pem
 * (NULL when none). */
te_evidence_roots *te_attest_added_roots(void);
/* Under the lock: 1 the first time after start or a clear (the host reads
 * TE_TEE_TRUSTED_ROOTS then), 0 afterwards. */
int te_attest_env_pending(void);
/* Under the lock: makes the environment's roots pending again. */
void te_attest_env_reset(void);
/* Under the lock: adds pem to the added roots. */
oe_result_t te_attest_add_locked(const char *pem, size_t n);

/* oe_verify_evidence with the added roots and the caller's extra roots
 * (n_extra entries, NULL ones skipped); takes the lock itself. */
oe_result_t te_attest_verify(const oe_uuid_t *format_id, const uint8_t *evidence, size_t size,
                             const oe_policy_t *policies, size_t policies_size,
                             const te_evidence_roots *const *extra, size_t n_extra,
                             oe_claim_t **claims, size_t *claims_length);

/* oe_verify_report's core: verifies report against the added and extra
 * roots, then parses it into *parsed (may be NULL). */
oe_result_t te_attest_verify_report(const uint8_t *report, size_t size,
                                    const te_evidence_roots *const *extra, size_t n_extra,
                                    oe_report_t *parsed);

/* Fills an oe_report_t from parsed evidence that lives in report. */
void te_attest_report_from(const te_evidence *ev, const uint8_t *report, oe_report_t *out);

#endif
