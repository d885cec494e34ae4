/*
 * openenclave/enclave.h - what code inside an enclave (a TA) may call.
 * Names and types follow the Open Enclave SDK; the implementation
 * (liboeenclave) is the trustedge TA runtime, which runs the TA as its own
 * process under a seccomp allow-list.
 */
#ifndef _OE_ENCLAVE_H
#define _OE_ENCLAVE_H

#ifdef _OE_HOST_H
#error "enclave.h and host.h must not be included in the same compilation unit."
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "bits/defs.h"
#include "bits/result.h"
#include "bits/evidence.h"
#include "bits/report.h"
#include "bits/types.h"
#include "seal.h"

OE_EXTERNC_BEGIN

/* True when [ptr, ptr+size) is entirely the TA's private memory (not in a
 * region shared with the host); false for NULL, size 0 or overflow. */
bool oe_is_within_enclave(const void *ptr, size_t size);
/* True when [ptr, ptr+size) lies entirely in memory the host can read. */
bool oe_is_outside_enclave(const void *ptr, size_t size);

/* Memory the host can see: allocated from the region shared with the host
 * process.  Never put secrets there. */
void *oe_host_malloc(size_t size);
void *oe_host_calloc(size_t nmemb, size_t size);
void *oe_host_realloc(void *ptr, size_t size);
void oe_host_free(void *ptr);
char *oe_host_strndup(const char *str, size_t n);

/* Random bytes from the kernel (getrandom). */
oe_result_t oe_random(void *data, size_t size);

/* Marks the enclave aborted: calls in progress fail and every later call
 * from the host gets OE_ENCLAVE_ABORTING.  Does not return. */
void oe_abort(void) __attribute__((noreturn));

/* The host's handle for this enclave (an opaque value, only for passing
 * back to the host). */
oe_enclave_t *oe_get_enclave(void);

/* Reports: the reference's older attestation API, on top of evidence
 * (openenclave/attestation/attester.h; docs/tee-attest.md).  A report is
 * emulated evidence in the local format, or with
 * OE_REPORT_FLAGS_REMOTE_ATTESTATION the SGX ECDSA format;
 * report_data (at most OE_REPORT_DATA_SIZE bytes) is its report data.
 * opt_params (target info, at most 512 bytes) is accepted and not needed:
 * emulated reports are signed, not MACed for one target. */
oe_result_t oe_get_report_v2(uint32_t flags, const uint8_t *report_data, size_t report_data_size,
			     const void *opt_params, size_t opt_params_size,
			     uint8_t **report_buffer, size_t *report_buffer_size);
#define oe_get_report oe_get_report_v2
void oe_free_report(uint8_t *report_buffer);
/* The target info of a report's enclave (its unique id). */
oe_result_t oe_get_target_info_v2(const uint8_t *report, size_t report_size,
				   void **target_info_buffer, size_t *target_info_size);
#define oe_get_target_info oe_get_target_info_v2
void oe_free_target_info(void *target_info);
/* Reads a report without checking it; parsed_report points into report. */
oe_result_t oe_parse_report(const uint8_t *report, size_t report_size,
			    oe_report_t *parsed_report);
/* Checks a report against this enclave's platform roots (and any added
 * with te_verifier_add_trusted_root_pem), then parses it as above
 * (parsed_report may be NULL).  OE_VERIFY_FAILED when it does not verify. */
oe_result_t oe_verify_report(const uint8_t *report, size_t report_size,
			     oe_report_t *parsed_report);

/* printf to the host's stdout through the system EDL's write OCALL. */
int oe_host_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seal keys (32 bytes, from the root of trust; see openenclave/seal.h for
 * the blob API built on them).  *key_info describes the key so that
 * oe_get_seal_key_v2 re-derives it later, also from a later security
 * version under OE_SEAL_POLICY_PRODUCT (an earlier one gets
 * OE_INVALID_ISVSVN).  key_info and key_info_size may be NULL.  Free both
 * with oe_free_seal_key, which wipes them. */
oe_result_t oe_get_seal_key_by_policy_v2(oe_seal_policy_t seal_policy, uint8_t **key_buffer,
					 size_t *key_buffer_size, uint8_t **key_info,
					 size_t *key_info_size);
oe_result_t oe_get_seal_key_v2(const uint8_t *key_info, size_t key_info_size,
			       uint8_t **key_buffer, size_t *key_buffer_size);
void oe_free_seal_key(uint8_t *key_buffer, uint8_t *key_info);
#define oe_get_seal_key_by_policy oe_get_seal_key_by_policy_v2
#define oe_get_seal_key oe_get_seal_key_v2

OE_EXTERNC_END

#endif /* _OE_ENCLAVE_H */
