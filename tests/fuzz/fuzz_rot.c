/*
 * fuzz_rot.c - libFuzzer target for the root of trust's request handling
 * (src/tee/rot/rot_serve.c and the handlers behind it): arbitrary request
 * datagrams from a TA go to te_rot_serve, answered by a developer root made
 * in a temporary directory (removed at exit).  Every input must get a
 * reply frame of at least 12 bytes that fits the buffer, echoing the
 * request's type and id, and an error reply must carry no body.  The first
 * input byte also varies the asking TA's identity (debug, svn).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tee/rot/rot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static te_rot *fz_rot;
static char fz_dir[] = "/tmp/te-fuzz-rot-XXXXXX";
static uint8_t fz_resp[TE_ROT_MSG_MAX];

static void fz_cleanup(void)
{
	static const char *const files[] = {"root.secret", "attest.key", "attest.crt", "ca.crt"};
	char p[sizeof(fz_dir) + 32];

	te_rot_close(fz_rot);
	fz_rot = NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fz_dir, files[i]);
		unlink(p);
	}
	rmdir(fz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!mkdtemp(fz_dir) || te_rot_dev_open(fz_dir, &fz_rot) != OE_OK)
		abort();
	atexit(fz_cleanup);
	return 0;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	te_rot_identity id;
	size_t out = 0;

	memset(&id, 0, sizeof(id));
	memset(id.unique_id, 0x11, sizeof(id.unique_id));
	memset(id.signer_id, 0x22, sizeof(id.signer_id));
	id.product_id = 1;
	id.security_version = size ? (uint16_t)(data[0] & 0x7) : 1;
	id.debug = size && (data[0] & 0x80);
	te_rot_serve(fz_rot, &id, data, size, fz_resp, sizeof(fz_resp), &out);
	if (out < 12 || out > sizeof(fz_resp))
		abort();
	if (size >= 8 && (get_u32(fz_resp) != (get_u32(data) | TE_ROT_REPLY) ||
	                  get_u32(fz_resp + 4) != get_u32(data + 4)))
		abort();
	if (get_u32(fz_resp + 8) != OE_OK && out != 12)
		abort();
	return 0;
}
