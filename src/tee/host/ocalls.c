/*
 * ocalls.c - the host side of the system EDLs' OCALLs
 * (openenclave/edl/syscall.edl), which liboehost implements for every host.
 */
#include <openenclave/host.h>

#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tee/host/host_int.h"

/* stdout and stderr of the TA.  Only those two: a TA cannot write to any
 * other descriptor of the host through this call. */
int64_t oe_syscall_write_ocall(int fd, const void *buf, size_t count);
int64_t oe_syscall_write_ocall(int fd, const void *buf, size_t count)
{
	size_t done = 0;

	if (fd != 1 && fd != 2)
		return -EBADF;
	while (done < count) {
		ssize_t n = write(fd, (const uint8_t *)buf + done, count - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (int64_t)done : -errno;
		done += (size_t)n;
	}
	return (int64_t)done;
}

const char *te_host_syscall_name(int64_t nr)
{
	static _Thread_local char name[64];
	char *s;

	if (nr < 0 || nr > 100000)
		return "?";
	s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
	if (!s)
		return "?";
	snprintf(name, sizeof(name), "%s", s);
	free(s);
	return name;
}
