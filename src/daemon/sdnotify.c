/*
 * sdnotify.c - sd_notify(3), the sending half, in a few lines of our own
 * so the daemon does not link libsystemd for one datagram.
 *
 * NOTIFY_SOCKET is "/path" (a socket file) or "@name" (Linux abstract
 * namespace, where the '@' stands for the leading NUL byte of sun_path).
 * The datagram is sent from a fresh, unbound SOCK_DGRAM socket; systemd
 * identifies the sender by the kernel's SCM_CREDENTIALS, not by content.
 */
#include "daemon/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* A full receive queue would block send(2); systemd drains its queue
 * quickly, so a stall this long means it is not listening. */
#define SN_SEND_TIMEOUT_SEC 5

te_err te_sd_notify(const char *state)
{
	te_err rc = TE_OK;
	const char *addr = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	struct timeval tv = {SN_SEND_TIMEOUT_SEC, 0};
	socklen_t salen;
	size_t alen, slen;
	ssize_t sent;
	int fd = -1;

	slen = strnlen(state, TE_SD_NOTIFY_STATE_MAX + 1);
	TE_ENSURE(slen > 0 && slen <= TE_SD_NOTIFY_STATE_MAX, TE_ERR_INVALID_ARG,
	          "sd_notify: the state must be 1 to %d bytes", TE_SD_NOTIFY_STATE_MAX);
	if (addr == NULL || addr[0] == '\0')
		goto out;
	TE_ENSURE(addr[0] == '/' || addr[0] == '@', TE_ERR_UNSUPPORTED,
	          "sd_notify: NOTIFY_SOCKET='%.64s' is neither a path nor an abstract socket",
	          addr);
	alen = strnlen(addr, sizeof(sa.sun_path) + 1);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (addr[0] == '/') {
		/* A path needs its terminating NUL inside sun_path. */
		TE_ENSURE(alen < sizeof(sa.sun_path), TE_ERR_CONFIG,
		          "sd_notify: NOTIFY_SOCKET path is longer than %zu bytes",
		          sizeof(sa.sun_path) - 1);
		memcpy(sa.sun_path, addr, alen);
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen + 1);
	} else {
		/* Abstract: the address length delimits the name, no NUL;
		 * a bare "@" would be the empty name, which nobody binds. */
		TE_ENSURE(alen > 1 && alen <= sizeof(sa.sun_path), TE_ERR_CONFIG,
		          "sd_notify: NOTIFY_SOCKET abstract name must be 1 to %zu bytes",
		          sizeof(sa.sun_path) - 1);
		memcpy(sa.sun_path + 1, addr + 1, alen - 1);
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen);
	}

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	TE_ENSURE(fd >= 0, TE_ERR_IO, "sd_notify: socket(): %s", strerror(errno));
	TE_ENSURE(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0, TE_ERR_IO,
	          "sd_notify: SO_SNDTIMEO: %s", strerror(errno));
	/* MSG_NOSIGNAL: a vanished receiver must not kill the daemon. */
	sent = sendto(fd, state, slen, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
	TE_ENSURE(sent >= 0, TE_ERR_IO, "sd_notify: send to %s: %s", addr, strerror(errno));
	TE_ENSURE((size_t)sent == slen, TE_ERR_IO, "sd_notify: send to %s: short datagram", addr);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
