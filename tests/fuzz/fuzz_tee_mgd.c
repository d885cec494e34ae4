/*
 * fuzz_tee_mgd.c - the managed-mode message reader (te_mgd_recv), which
 * the daemon's TEE service runs on whatever a local client sends: the
 * input is written to one end of a stream socket pair (then closed) and
 * read back message by message until the reader refuses or runs dry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tee/mgd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[TE_MGD_BODY_MAX];
	int sv[2];

	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return 0;
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort();
	close(sv[1]);
	for (int i = 0; i < 64; i++) {
		uint32_t type = 0;
		size_t len = 0, nfds = 0;
		int fds[TE_MGD_FDS_MAX];

		if (te_mgd_recv(sv[0], &type, buf, sizeof(buf), &len, fds, TE_MGD_FDS_MAX, &nfds,
				0) != 0)
			break;
		if (len > sizeof(buf) || nfds > TE_MGD_FDS_MAX)
			abort();
		for (size_t k = 0; k < nfds; k++)
			close(fds[k]);
	}
	close(sv[0]);
	return 0;
}
