/*
 * openenclave/attestation/custom_claims.h - a list of (name, value) claims
 * in one flat buffer, to pass as oe_get_evidence's custom claims and read
 * back from the verified OE_CLAIM_CUSTOM_CLAIMS_BUFFER claim.  Names and the
 * buffer layout follow the Open Enclave SDK (docs/tee-attest.md): u64
 * version (1), u64 count, then per claim u64 name size (with its NUL),
 * u64 value size, the name, the value; little-endian.
 */
#ifndef _OE_CUSTOM_CLAIMS_H
#define _OE_CUSTOM_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "../bits/defs.h"
#include "../bits/evidence.h"
#include "../bits/result.h"

OE_EXTERNC_BEGIN

#define OE_CUSTOM_CLAIMS_VERSION 1

/* Free with oe_free_serialized_custom_claims. */
oe_result_t oe_serialize_custom_claims(const oe_claim_t *custom_claims, size_t custom_claims_length,
                                       uint8_t **claims_out, size_t *claims_size_out);
/* OE_INVALID_PARAMETER for a buffer that is not exactly one well-formed
 * list; OE_CONSTRAINT_FAILED for a name without its NUL.  Free with
 * oe_free_custom_claims. */
oe_result_t oe_deserialize_custom_claims(const uint8_t *claims_buffer, size_t claims_buffer_size,
                                         oe_claim_t **claims_out, size_t *claims_length_out);
oe_result_t oe_free_serialized_custom_claims(uint8_t *custom_claims_buffer);
oe_result_t oe_free_custom_claims(oe_claim_t *custom_claims, size_t custom_claims_length);

OE_EXTERNC_END

#endif /* _OE_CUSTOM_CLAIMS_H */
