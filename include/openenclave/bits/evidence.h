/*
 * openenclave/bits/evidence.h - UUIDs, claims, claim names and verifier
 * policies shared by the attestation and sealing headers.  Names and
 * values follow the Open Enclave SDK; the TE_POLICY_* types are trustedge's
 * (openenclave/trustedge.h, docs/tee-attest.md).
 */
#ifndef _OE_BITS_EVIDENCE_H
#define _OE_BITS_EVIDENCE_H

#include "defs.h"
#include "report.h"
#include "types.h"

OE_EXTERNC_BEGIN

/* Bits of the "attributes" claim. */
#define OE_EVIDENCE_ATTRIBUTES_SGX_DEBUG OE_REPORT_ATTRIBUTES_DEBUG
#define OE_EVIDENCE_ATTRIBUTES_SGX_REMOTE OE_REPORT_ATTRIBUTES_REMOTE
/* trustedge: emulated evidence (always set by trustedge), and evidence
 * signed by a developer root. */
#define OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_EMULATED OE_REPORT_ATTRIBUTES_TRUSTEDGE_EMULATED
#define OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT \
	OE_REPORT_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT
#define OE_EVIDENCE_ATTRIBUTES_RESERVED OE_REPORT_ATTRIBUTES_RESERVED

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

/* What oe_verify_evidence is asked to enforce beyond the evidence's own
 * validity.  An oe_policy_t of a type the verifier does not know makes
 * oe_verify_evidence fail (OE_INVALID_PARAMETER) rather than pass
 * unchecked. */
typedef enum _oe_policy_type {
	/* policy: the time to check endorsements at (reference SDK).  Emulated
	 * evidence has no endorsements: accepted and not used. */
	OE_POLICY_ENDORSEMENTS_TIME = 1,
	/* policy: an opaque baseline for endorsement collateral (reference
	 * SDK).  Accepted and not used, as above. */
	OE_POLICY_ENDORSEMENTS_BASELINE = 2,
	/* trustedge: policy = the report data (1..64 bytes) the evidence must
	 * carry, typically a fresh nonce; any other report data fails with
	 * OE_VERIFY_FAILED. */
	TE_POLICY_REPORT_DATA = 0x74650001,
	/* trustedge: policy NULL, size 0: evidence of an enclave running in
	 * debug mode fails with OE_CONSTRAINT_FAILED. */
	TE_POLICY_FORBID_DEBUG = 0x74650002,
	__OE_POLICY_TYPE_MAX = OE_ENUM_MAX,
} oe_policy_type_t;

typedef struct _oe_policy {
	oe_policy_type_t type;
	void *policy;
	size_t policy_size;
} oe_policy_t;

OE_EXTERNC_END

#endif /* _OE_BITS_EVIDENCE_H */
