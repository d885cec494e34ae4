/*
 * detail.h - the thread-local "why" behind an oe_result_t in the trustedge
 * OE runtime (read back with oe_last_error_detail()).  The OE API returns
 * only a code; a developer needs the sentence too.
 */
#ifndef TE_TEE_DETAIL_H
#define TE_TEE_DETAIL_H

#include <openenclave/bits/result.h>

/* Sets the detail and returns res, so `return te_tee_fail(OE_X, "...")`. */
oe_result_t te_tee_fail(oe_result_t res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *te_tee_detail(void);
void te_tee_detail_clear(void);

#endif
