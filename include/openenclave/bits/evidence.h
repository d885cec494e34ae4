/*
 * openenclave/bits/evidence.h - UUIDs, claims and claim names shared by the
 * attestation and sealing headers.  Names and values follow the Open
 * Enclave SDK.
 */
#ifndef _OE_BITS_EVIDENCE_H
#define _OE_BITS_EVIDENCE_H

#include "defs.h"
#include "types.h"

OE_EXTERNC_BEGIN

#define OE_UUID_SIZE 16

typedef struct _oe_uuid_t {
	uint8_t b[OE_UUID_SIZE];
} oe_uuid_t;

/* One claim of verified evidence: a name and its value bytes. */
typedef struct _oe_claim {
	char *name;
	uint8_t *value;
	size_t value_size;
} oe_claim_t;

/* Claims every verifier outputs. */
#define OE_CLAIM_ID_VERSION "id_version"
#define OE_CLAIM_SECURITY_VERSION "security_version"
#define OE_CLAIM_ATTRIBUTES "attributes"
#define OE_CLAIM_UNIQUE_ID "unique_id"
#define OE_CLAIM_SIGNER_ID "signer_id"
#define OE_CLAIM_PRODUCT_ID "product_id"
#define OE_CLAIM_FORMAT_UUID "format_uuid"

/* Optional claims. */
#define OE_CLAIM_VALIDITY_FROM "validity_from"
#define OE_CLAIM_VALIDITY_UNTIL "validity_until"
/* The custom claims buffer given to oe_get_evidence, as is. */
#define OE_CLAIM_CUSTOM_CLAIMS_BUFFER "custom_claims_buffer"

OE_EXTERNC_END

#endif /* _OE_BITS_EVIDENCE_H */
