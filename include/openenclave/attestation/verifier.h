/*
 * openenclave/attestation/verifier.h - checking another enclave's
 * evidence and reading its claims, in an enclave or in a host.  Names and
 * types follow the Open Enclave SDK.  Which signers a verifier trusts, and
 * the trustedge policies (report data / nonce, no debug enclaves), are in
 * openenclave/trustedge.h and docs/tee-attest.md.
 */
#ifndef _OE_ATTESTATION_VERIFIER_H
#define _OE_ATTESTATION_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "../bits/defs.h"
#include "../bits/evidence.h"
#include "../bits/result.h"
#include "../bits/types.h"

OE_EXTERNC_BEGIN

/* Both idempotent; OE_OK. */
oe_result_t oe_verifier_initialize(void);
oe_result_t oe_verifier_shutdown(void);

/* The format ids oe_verify_evidence accepts (malloc'd; free with
 * oe_verifier_free_formats). */
oe_result_t oe_verifier_get_formats(oe_uuid_t **format_ids, size_t *format_ids_length);
oe_result_t oe_verifier_free_formats(oe_uuid_t *format_ids);

/* What an attester should pass to oe_get_evidence as optional_parameters
 * for this verifier.  For the local format: a fresh 32-byte challenge
 * (keep it and require it with TE_POLICY_REPORT_DATA); for the others:
 * none (*settings NULL, *settings_size 0). */
oe_result_t oe_verifier_get_format_settings(const oe_uuid_t *format_id, uint8_t **settings,
                                            size_t *settings_size);
oe_result_t oe_verifier_free_format_settings(uint8_t *settings);

/* Checks evidence: its signature, the signer's certificate chain up to a
 * root this verifier trusts, and the policies; then returns its claims
 * (free with oe_free_claims).  format_id NULL: any format this verifier
 * accepts; else the evidence must be of that format.  Endorsements are not
 * needed and not used.
 *   OE_VERIFY_FAILED       altered, truncated or malformed evidence; a bad
 *                          signature; a chain that does not end at a
 *                          trusted root; report data other than required
 *   OE_CONSTRAINT_FAILED   a debug enclave under TE_POLICY_FORBID_DEBUG
 *   OE_INVALID_PARAMETER   bad arguments, an unknown format id or policy,
 *                          evidence of another format than format_id */
oe_result_t oe_verify_evidence(const oe_uuid_t *format_id, const uint8_t *evidence_buffer,
                               size_t evidence_buffer_size, const uint8_t *endorsements_buffer,
                               size_t endorsements_buffer_size, const oe_policy_t *policies,
                               size_t policies_size, oe_claim_t **claims, size_t *claims_length);

oe_result_t oe_free_claims(oe_claim_t *claims, size_t claims_length);

OE_EXTERNC_END

#endif /* _OE_ATTESTATION_VERIFIER_H */
