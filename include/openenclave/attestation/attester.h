/*
 * openenclave/attestation/attester.h - an enclave proves what it is:
 * evidence about the enclave, signed by its platform.  Names, types and
 * values follow the Open Enclave SDK.  In trustedge the platform is the
 * emulator's root of trust (a device HSM, or a developer root), which
 * signs emulated evidence; docs/tee-attest.md has the format.  Enclave
 * only.
 */
#ifndef _OE_ATTESTATION_ATTESTER_H
#define _OE_ATTESTATION_ATTESTER_H

#ifdef _OE_HOST_H
#error "openenclave/attestation/attester.h is only for code inside an enclave."
#endif

#include <stddef.h>
#include <stdint.h>

#include "../bits/defs.h"
#include "../bits/evidence.h"
#include "../bits/result.h"
#include "../bits/types.h"

OE_EXTERNC_BEGIN

/* oe_get_evidence flag: prefix the format id.  trustedge evidence always
 * carries its format id, so the flag changes nothing. */
#define OE_EVIDENCE_FLAGS_EMBED_FORMAT_ID 0x00000001

/* Both idempotent; OE_OK. */
oe_result_t oe_attester_initialize(void);
oe_result_t oe_attester_shutdown(void);

/* The first of format_ids (in the caller's order of preference) that this
 * enclave can produce evidence in: OE_NOT_FOUND when none. */
oe_result_t oe_attester_select_format(const oe_uuid_t *format_ids, size_t format_ids_length,
                                      oe_uuid_t *selected_format_id);

/* Evidence of this enclave in format_id (OE_FORMAT_UUID_SGX_LOCAL_ATTESTATION,
 * OE_FORMAT_UUID_SGX_ECDSA or OE_FORMAT_UUID_TRUSTEDGE_EMULATED: all are
 * answered with emulated evidence that says so; another id: OE_NOT_FOUND).
 * custom_claims_buffer (usually from oe_serialize_custom_claims) is carried
 * as is.  optional_parameters, at most OE_REPORT_DATA_SIZE bytes, become
 * the evidence's report data: pass the verifier's nonce, or its format
 * settings (oe_verifier_get_format_settings).  Free *evidence_buffer with
 * oe_free_evidence; *endorsements_buffer (when asked for) is always NULL:
 * the evidence needs no endorsements. */
oe_result_t oe_get_evidence(const oe_uuid_t *format_id, uint32_t flags,
                            const void *custom_claims_buffer, size_t custom_claims_buffer_size,
                            const void *optional_parameters, size_t optional_parameters_size,
                            uint8_t **evidence_buffer, size_t *evidence_buffer_size,
                            uint8_t **endorsements_buffer, size_t *endorsements_buffer_size);

oe_result_t oe_free_evidence(uint8_t *evidence_buffer);
oe_result_t oe_free_endorsements(uint8_t *endorsements_buffer);

OE_EXTERNC_END

#endif /* _OE_ATTESTATION_ATTESTER_H */
