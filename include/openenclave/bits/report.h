/*
 * openenclave/bits/report.h - what oe_get_report / oe_parse_report /
 * oe_verify_report exchange: the parsed report and the identity of the
 * enclave in it.  Names, sizes and values follow the Open Enclave SDK; the
 * TRUSTEDGE attribute bits are trustedge's own (docs/tee-attest.md).
 */
#ifndef _OE_BITS_REPORT_H
#define _OE_BITS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "types.h"

OE_EXTERNC_BEGIN

/* oe_get_report flags: 0 asks for a local report. */
#define OE_REPORT_FLAGS_REMOTE_ATTESTATION 0x00000001

/* The most report data a report carries. */
#define OE_REPORT_DATA_SIZE 64

/* The largest report oe_get_report returns (10 KiB). */
#define OE_MAX_REPORT_SIZE (10 * 1024)

#define OE_UNIQUE_ID_SIZE  32
#define OE_SIGNER_ID_SIZE  32
#define OE_PRODUCT_ID_SIZE 16

/* Attribute bits of a report (oe_identity_t.attributes) and of evidence
 * (the "attributes" claim). */
#define OE_REPORT_ATTRIBUTES_DEBUG  0x0000000000000001ULL
#define OE_REPORT_ATTRIBUTES_REMOTE 0x0000000000000002ULL
/* trustedge: the report comes from the emulator, not from TEE hardware.
 * Set in every report and every piece of evidence trustedge makes. */
#define OE_REPORT_ATTRIBUTES_TRUSTEDGE_EMULATED 0x0000000100000000ULL
/* trustedge: signed by a per-user developer root, not by a device's HSM. */
#define OE_REPORT_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT 0x0000000200000000ULL
#define OE_REPORT_ATTRIBUTES_RESERVED                                                              \
	(~(OE_REPORT_ATTRIBUTES_DEBUG | OE_REPORT_ATTRIBUTES_REMOTE |                              \
	   OE_REPORT_ATTRIBUTES_TRUSTEDGE_EMULATED |                                               \
	   OE_REPORT_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT))

/* Who the report is about.  id_version 0 has every field below. */
typedef struct _oe_identity {
	uint32_t id_version;
	uint32_t security_version;              /* SecurityVersion of the signed image */
	uint64_t attributes;                    /* OE_REPORT_ATTRIBUTES_* */
	uint8_t unique_id[OE_UNIQUE_ID_SIZE];   /* measurement of the image */
	uint8_t signer_id[OE_SIGNER_ID_SIZE];   /* SHA-256 of the signer's key */
	uint8_t product_id[OE_PRODUCT_ID_SIZE]; /* ProductID, little-endian */
} oe_identity_t;

/* A parsed report.  report_data and enclave_report point into the buffer
 * that was parsed: they live as long as it does. */
typedef struct _oe_report {
	size_t size; /* sizeof(oe_report_t) */
	oe_enclave_type_t type;
	size_t report_data_size;
	size_t enclave_report_size;
	uint8_t *report_data;
	uint8_t *enclave_report;
	oe_identity_t identity;
} oe_report_t;

OE_EXTERNC_END

#endif /* _OE_BITS_REPORT_H */
