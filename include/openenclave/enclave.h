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
#include "bits/types.h"

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

/* printf to the host's stdout through the system EDL's write OCALL. */
int oe_host_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

OE_EXTERNC_END

#endif /* _OE_ENCLAVE_H */
