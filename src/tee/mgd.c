/*
 * mgd.c - framing of the managed-mode messages (mgd.h): a header, a body
 * of the length it states, descriptors with the header.  Both ends of
 * tee.sock use it; the body's meaning is the caller's.
 */
#include "tee/mgd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void te_mgd_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void te_mgd_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t te_mgd_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t te_mgd_get_u64(const uint8_t *p)
{
	return (uint64_t)te_mgd_get_u32(p) | (uint64_t)te_mgd_get_u32(p + 4) << 32;
}

static int te_mgd_wait(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

int te_mgd_send(int fd, uint32_t type, const void *body, size_t len, const int *fds, size_t nfds)
{
	uint8_t hdr[TE_MGD_HEADER];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * TE_MGD_FDS_MAX)];
	} cm;
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)body, len}};
	struct msghdr m;
	size_t total = sizeof(hdr) + len, sent = 0;

	if (nfds > TE_MGD_FDS_MAX || len > TE_MGD_BODY_MAX || (len && !body)) {
		errno = EINVAL;
		return -1;
	}
	te_mgd_put_u32(hdr, type);
	te_mgd_put_u32(hdr + 4, (uint32_t)len);
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = len ? 2 : 1;
	if (nfds) {
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(&cm.h), fds, sizeof(int) * nfds);
	}
	while (sent < total) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		sent += (size_t)n;
		/* The descriptors went with the first bytes; move past what
		 * was sent. */
		m.msg_control = NULL;
		m.msg_controllen = 0;
		while (n > 0 && m.msg_iovlen > 0) {
			size_t take =
			    (size_t)n < m.msg_iov->iov_len ? (size_t)n : m.msg_iov->iov_len;

			m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + take;
			m.msg_iov->iov_len -= take;
			n -= (ssize_t)take;
			if (m.msg_iov->iov_len == 0) {
				m.msg_iov++;
				m.msg_iovlen--;
			}
		}
	}
	return 0;
}

/* The descriptors of a control message; all closed when they are not
 * exactly what fits. */
static int te_mgd_take_fds(struct msghdr *m, int *fds, size_t max_fds, size_t *nfds)
{
	int bad = (m->msg_flags & MSG_CTRUNC) != 0;

	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t n;
		int *p = (int *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, p + i, sizeof(fd));
			if (*nfds < max_fds)
				fds[(*nfds)++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (!bad)
		return 0;
	for (size_t i = 0; i < *nfds; i++)
		close(fds[i]);
	*nfds = 0;
	errno = EPROTO;
	return -1;
}

int te_mgd_recv(int fd, uint32_t *type, uint8_t *buf, size_t cap, size_t *len, int *fds,
                size_t max_fds, size_t *nfds, int timeout_ms)
{
	uint8_t hdr[TE_MGD_HEADER];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * (TE_MGD_FDS_MAX + 1))];
	} cm;
	struct iovec iov = {hdr, sizeof(hdr)};
	struct msghdr m;
	size_t got = 0, want, n_fds = 0;
	int tmp[TE_MGD_FDS_MAX];
	ssize_t n;

	*nfds = 0;
	if (max_fds > TE_MGD_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (te_mgd_wait(fd, timeout_ms) != 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cm.buf;
	m.msg_controllen = sizeof(cm.buf);
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ECONNRESET;
	if (n <= 0)
		return -1;
	if (te_mgd_take_fds(&m, tmp, max_fds, &n_fds) != 0)
		return -1;
	got = (size_t)n;
	while (got < sizeof(hdr)) {
		if (te_mgd_wait(fd, TE_MGD_IO_MS) != 0 ||
		    (n = recv(fd, hdr + got, sizeof(hdr) - got, 0)) <= 0)
			goto fail;
		got += (size_t)n;
	}
	want = te_mgd_get_u32(hdr + 4);
	if (want > cap || want > TE_MGD_BODY_MAX) {
		errno = EMSGSIZE;
		goto fail_keep_errno;
	}
	for (got = 0; got < want;) {
		if (te_mgd_wait(fd, TE_MGD_IO_MS) != 0)
			goto fail_keep_errno;
		n = recv(fd, buf + got, want - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	*type = te_mgd_get_u32(hdr);
	*len = want;
	if (n_fds)
		memcpy(fds, tmp, n_fds * sizeof(int));
	*nfds = n_fds;
	return 0;
fail:
	if (n == 0 || errno == 0)
		errno = ECONNRESET;
fail_keep_errno:
	for (size_t i = 0; i < n_fds; i++)
		close(tmp[i]);
	return -1;
}
