/* detail.c - thread-local error sentence for the OE runtime (see detail.h). */
#include "tee/detail.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char te_tee_detail_buf[256];

oe_result_t te_tee_fail(oe_result_t res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(te_tee_detail_buf, sizeof(te_tee_detail_buf), fmt, ap);
	va_end(ap);
	return res;
}

const char *te_tee_detail(void)
{
	return te_tee_detail_buf;
}

void te_tee_detail_clear(void)
{
	te_tee_detail_buf[0] = '\0';
}
