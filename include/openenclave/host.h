/*
 * openenclave/host.h - what a host application calls to create, call and
 * destroy enclaves.  Names, types, flags and values follow the Open Enclave
 * SDK; the implementation (liboehost) runs each enclave as its own
 * sandboxed process (see docs/tee.md).
 */
#ifndef _OE_HOST_H
#define _OE_HOST_H

#ifdef _OE_ENCLAVE_H
#error "enclave.h and host.h must not be included in the same compilation unit."
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits/defs.h"
#include "bits/result.h"
#include "bits/evidence.h"
#include "bits/report.h"
#include "bits/types.h"

OE_EXTERNC_BEGIN

/* Debug: the TA process stays dumpable and traceable (gdb, valgrind).
 * Refused with OE_DEBUG_DOWNGRADE when the signed config says Debug=0. */
#define OE_ENCLAVE_FLAG_DEBUG 0x00000001u
/* Accepted for source compatibility: every trustedge enclave is emulated. */
#define OE_ENCLAVE_FLAG_SIMULATE 0x00000002u
/* Debug when the signed config allows it, production otherwise. */
#define OE_ENCLAVE_FLAG_DEBUG_AUTO 0x00000010u
#define OE_ENCLAVE_FLAG_RESERVED \
	(~(OE_ENCLAVE_FLAG_DEBUG | OE_ENCLAVE_FLAG_SIMULATE | OE_ENCLAVE_FLAG_DEBUG_AUTO))

/* One entry of the OCALL table the generated X_u.c passes in. */
typedef void (*oe_ocall_func_t)(const uint8_t *input_buffer, size_t input_buffer_size,
				uint8_t *output_buffer, size_t output_buffer_size,
				size_t *output_bytes_written);

/* Names of the ECALLs the host was generated with, in its EDL order; the
 * runtime matches them against the TA's own table by name. */
typedef struct _oe_ecall_info_t {
	const char *name;
} oe_ecall_info_t;

typedef enum _oe_enclave_setting_type {
	OE_ENCLAVE_SETTING_CONTEXT_SWITCHLESS = 0xdc73a628,
	__OE_ENCLAVE_SETTING_TYPE_MAX = OE_ENUM_MAX,
} oe_enclave_setting_type_t;

/* Worker counts for switchless calls: host workers serve switchless
 * OCALLs, enclave workers serve switchless ECALLs.  0 disables that side
 * (those calls then go the regular way). */
typedef struct _oe_enclave_setting_context_switchless {
	size_t max_host_workers;
	size_t max_enclave_workers;
} oe_enclave_setting_context_switchless_t;

typedef struct _oe_enclave_setting {
	oe_enclave_setting_type_t setting_type;
	union {
		const oe_enclave_setting_context_switchless_t *context_switchless_setting;
	} u;
} oe_enclave_setting_t;

/* Verifies the signed image at path, measures it, starts its TA process and
 * connects the call channel.  The generated oe_create_X_enclave calls this
 * with the tables of the EDL. */
oe_result_t oe_create_enclave(const char *path, oe_enclave_type_t type, uint32_t flags,
			      const oe_enclave_setting_t *settings, uint32_t setting_count,
			      const oe_ocall_func_t *ocall_table, uint32_t ocall_count,
			      const oe_ecall_info_t *ecall_name_table, uint32_t ecall_count,
			      oe_enclave_t **enclave);

/* Stops the TA process and frees everything the enclave held. */
oe_result_t oe_terminate_enclave(oe_enclave_t *enclave);

/* trustedge extension: why the last failing call on this thread failed
 * ("TA made a forbidden system call: openat"), "" when nothing is known. */
const char *oe_last_error_detail(void);

/* Reports (docs/tee-attest.md).  A host cannot ask its enclave for a
 * report without an ECALL the enclave's EDL declares; as the reference
 * does when the EDL lacks it, oe_get_report returns OE_UNSUPPORTED: call
 * oe_get_report (or oe_get_evidence) inside the enclave and pass the
 * result out. */
oe_result_t oe_get_report_v2(oe_enclave_t *enclave, uint32_t flags, const void *opt_params,
			     size_t opt_params_size, uint8_t **report_buffer,
			     size_t *report_buffer_size);
#define oe_get_report oe_get_report_v2
void oe_free_report(uint8_t *report_buffer);
oe_result_t oe_get_target_info_v2(const uint8_t *report, size_t report_size,
				   void **target_info_buffer, size_t *target_info_size);
#define oe_get_target_info oe_get_target_info_v2
void oe_free_target_info(void *target_info);
/* Reads a report without checking it; parsed_report points into report. */
oe_result_t oe_parse_report(const uint8_t *report, size_t report_size,
			    oe_report_t *parsed_report);
/* Checks a report and parses it (parsed_report may be NULL).  A remote
 * report must chain to a trusted root (openenclave/trustedge.h).  A local
 * report needs an enclave of this host (else OE_INVALID_PARAMETER) and
 * is checked against that enclave's platform root, as the enclave itself
 * would.  OE_VERIFY_FAILED when it does not verify. */
oe_result_t oe_verify_report(oe_enclave_t *enclave, const uint8_t *report, size_t report_size,
			     oe_report_t *parsed_report);

OE_EXTERNC_END

#endif /* _OE_HOST_H */
