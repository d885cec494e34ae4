/*
 * libc.c - liboelibc: the C library pieces a TA needs on top of the
 * system's, namely stdio that reaches the host.
 *
 * A TA may not write to file descriptors (its sandbox forbids it), so
 * stdout and stderr are replaced, before the TA's own constructors run,
 * by streams whose bytes go to the host through the system EDL's
 * oe_syscall_write_ocall (openenclave/edl/syscall.edl).  That OCALL exists
 * only when the TA's EDL imports syscall.edl (directly or through
 * platform.edl); without it, or outside an ECALL (no host thread to run
 * the OCALL on), output is discarded.  The runtime flushes both streams at
 * the end of every ECALL.
 */
#include <openenclave/enclave.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tee/enclave/ta.h"

/* Generated into the TA's X_t.c from syscall.edl. */
extern oe_result_t oe_syscall_write_ocall(int64_t *ret, int fd, const void *buf, size_t count)
	__attribute__((weak));

/* One OCALL carries at most this much (well under the channel's size). */
#define TE_LIBC_CHUNK 65536u

static ssize_t te_libc_write(void *cookie, const char *buf, size_t size)
{
	int fd = (int)(intptr_t)cookie;
	size_t done = 0;

	if (!oe_syscall_write_ocall)
		return (ssize_t)size;
	while (done < size) {
		size_t n = size - done < TE_LIBC_CHUNK ? size - done : TE_LIBC_CHUNK;
		int64_t ret = -1;

		if (oe_syscall_write_ocall(&ret, fd, buf + done, n) != OE_OK || ret <= 0)
			return done ? (ssize_t)done : (ssize_t)size; /* no host: drop */
		done += (size_t)ret < n ? (size_t)ret : n;
	}
	return (ssize_t)done;
}

static FILE *te_libc_stream(int fd)
{
	cookie_io_functions_t io = { .write = te_libc_write };
	FILE *f = fopencookie((void *)(intptr_t)fd, "w", io);

	if (f)
		setvbuf(f, NULL, _IOLBF, BUFSIZ);
	return f;
}

/* Called by the runtime while it boots, before any TA code runs. */
void te_libc_stdio_init(void)
{
	FILE *out = te_libc_stream(1);
	FILE *err = te_libc_stream(2);

	if (out)
		stdout = out;
	if (err)
		stderr = err;
}

int oe_host_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return n;
}
