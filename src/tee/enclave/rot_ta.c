/*
 * rot_ta.c - the TA's side of its root-of-trust socket (fd TE_TA_FD_ROT;
 * see rot/rot.h): one request, one reply, one thread at a time.  The root
 * is another process (trustedged, or the host runtime in developer mode);
 * its reply is checked like any other input.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tee/rot/rot.h"

static pthread_mutex_t te_ta_rot_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t te_ta_rot_next_id = 1;

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the TA and its root share the machine's byte order */
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

oe_result_t te_ta_rot_call(uint32_t type, const uint8_t *req, size_t req_size, uint8_t *reply,
			   size_t cap, const uint8_t **body, size_t *body_size)
{
	uint8_t hdr[8];
	struct iovec iov[2] = { { hdr, 8 }, { (void *)req, req_size } };
	ssize_t n;
	uint32_t id;
	oe_result_t r;

	if (req_size > TE_ROT_MSG_MAX - 8 || (req_size && !req) || cap < 12)
		return OE_INVALID_PARAMETER;
	pthread_mutex_lock(&te_ta_rot_lock);
	id = te_ta_rot_next_id++;
	put_u32(hdr, type);
	put_u32(hdr + 4, id);
	do
		n = syscall(SYS_writev, TE_TA_FD_ROT, iov, req_size ? 2 : 1);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(8 + req_size)) {
		pthread_mutex_unlock(&te_ta_rot_lock);
		return n < 0 && errno == EBADF ? OE_UNSUPPORTED : OE_SERVICE_UNAVAILABLE;
	}
	do
		n = syscall(SYS_read, TE_TA_FD_ROT, reply, cap);
	while (n < 0 && errno == EINTR);
	pthread_mutex_unlock(&te_ta_rot_lock);
	if (n < 12)
		return OE_SERVICE_UNAVAILABLE;
	if (get_u32(reply) != (type | TE_ROT_REPLY) || get_u32(reply + 4) != id)
		return OE_UNEXPECTED;
	r = (oe_result_t)get_u32(reply + 8);
	if (r != OE_OK)
		return r;
	*body = reply + 12;
	*body_size = (size_t)n - 12;
	return OE_OK;
}
