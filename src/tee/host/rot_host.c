/*
 * rot_host.c - developer mode: the host runtime answers its TAs'
 * root-of-trust requests (rot/rot.h) from the per-user developer root,
 * one thread per enclave.  The root is opened on the first request, so
 * enclaves that never seal or attest never create one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "tee/detail.h"
#include "tee/host/host_int.h"
#include "tee/rot/rot.h"

static pthread_mutex_t te_host_rot_lock = PTHREAD_MUTEX_INITIALIZER;
static te_rot *te_host_rot; /* shared by every enclave of the process */

static te_rot *te_host_rot_get(void)
{
	te_rot *r;

	pthread_mutex_lock(&te_host_rot_lock);
	if (!te_host_rot && te_rot_dev_open(NULL, &te_host_rot) != OE_OK) {
		/* The TA only learns OE_SERVICE_UNAVAILABLE; the host's user
		 * needs the reason (a directory with the wrong owner, say). */
		fprintf(stderr, "trustedge: enclave root of trust unavailable: %s\n",
			te_tee_detail());
		te_host_rot = NULL;
	}
	r = te_host_rot;
	pthread_mutex_unlock(&te_host_rot_lock);
	return r;
}

static void te_host_rot_fail(uint8_t *resp, const uint8_t *req, size_t n, size_t *resp_size)
{
	uint32_t type = 0, id = 0, res = OE_SERVICE_UNAVAILABLE;

	if (n >= 8) {
		memcpy(&type, req, 4);
		memcpy(&id, req + 4, 4);
	}
	type |= TE_ROT_REPLY;
	memcpy(resp, &type, 4);
	memcpy(resp + 4, &id, 4);
	memcpy(resp + 8, &res, 4);
	*resp_size = 12;
}

static void *te_host_rot_thread(void *p)
{
	oe_enclave_t *enc = p;
	uint8_t *req = malloc(TE_ROT_MSG_MAX);
	uint8_t *resp = malloc(TE_ROT_MSG_MAX);
	te_rot_identity id;

	memset(&id, 0, sizeof(id));
	memcpy(id.unique_id, enc->image.unique_id, sizeof(id.unique_id));
	memcpy(id.signer_id, enc->image.signer_id, sizeof(id.signer_id));
	id.product_id = enc->image.props.product_id;
	id.security_version = enc->image.props.security_version;
	id.debug = (uint32_t)enc->debug;
	while (req && resp) {
		ssize_t n = recv(enc->rot_fd, req, TE_ROT_MSG_MAX, MSG_TRUNC);
		size_t out = 0;
		ssize_t sent;
		te_rot *rot;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the TA is gone, or the enclave is being terminated */
		rot = te_host_rot_get();
		if (!rot)
			te_host_rot_fail(resp, req, (size_t)n, &out);
		else
			te_rot_serve(rot, &id, req, n > TE_ROT_MSG_MAX ? 0 : (size_t)n, resp,
				     TE_ROT_MSG_MAX, &out);
		sent = out ? send(enc->rot_fd, resp, out, MSG_NOSIGNAL) : 0;
		/* A seal-key reply holds the key: gone once it is sent. */
		OPENSSL_cleanse(resp, out);
		if (sent < 0)
			break;
	}
	free(req);
	free(resp);
	return NULL;
}

int te_host_rot_start(oe_enclave_t *enc)
{
	if (pthread_create(&enc->rot_thread, NULL, te_host_rot_thread, enc) != 0)
		return -1;
	enc->rot_started = 1;
	return 0;
}

void te_host_rot_stop(oe_enclave_t *enc)
{
	if (enc->rot_fd >= 0)
		shutdown(enc->rot_fd, SHUT_RDWR);
	if (enc->rot_started)
		pthread_join(enc->rot_thread, NULL);
	enc->rot_started = 0;
}
