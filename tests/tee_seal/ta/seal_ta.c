/*
 * seal_ta.c - the TA of the sealing tests, signed several ways (product,
 * security version, signer, debug: see CMakeLists.txt).  Written against
 * the raw call contract (openenclave/edger8r/enclave.h) so the host test
 * controls every byte.  Every ECALL answers u32 oe_result_t first, then
 * its data.  Inputs are length-prefixed fields, read with bounds checks.
 */
#include <openenclave/edger8r/enclave.h>
#include <openenclave/enclave.h>
#include <openenclave/seal.h>

#include <stdlib.h>
#include <string.h>

#include "tee/rot/rot.h"

/* seal flags */
#define F_CONTEXT 0x1u
#define F_IV      0x2u
#define F_PLUGIN  0x4u

typedef struct rd {
	const uint8_t *p;
	size_t left;
	int bad;
} rd;

static uint32_t rd_u32(rd *r)
{
	uint32_t v = 0;

	if (r->bad || r->left < 4) {
		r->bad = 1;
		return 0;
	}
	memcpy(&v, r->p, 4);
	r->p += 4;
	r->left -= 4;
	return v;
}

/* A u32 length, then that many bytes (NULL for length 0). */
static const uint8_t *rd_lv(rd *r, size_t *n)
{
	uint32_t len = rd_u32(r);
	const uint8_t *q = r->p;

	*n = 0;
	if (r->bad || len > r->left) {
		r->bad = 1;
		return NULL;
	}
	r->p += len;
	r->left -= len;
	*n = len;
	return len ? q : NULL;
}

/* Writes the result, then data if it fits. */
static void answer(oe_result_t res, const void *data, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	uint32_t r32 = (uint32_t)res;

	*w = 0;
	if (cap < 4)
		return;
	memcpy(out, &r32, 4);
	*w = 4;
	if (res == OE_OK && n && n <= cap - 4) {
		memcpy(out + 4, data, n);
		*w = 4 + n;
	}
}

/* in: u32 policy (0 = no policy setting), u32 flags, lv context, lv iv,
 * lv aad, lv plaintext.  out: result, blob. */
static void e_seal(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	static const oe_uuid_t plugin = OE_SEAL_PLUGIN_TRUSTEDGE_EMULATOR;
	rd r = {in, n, 0};
	uint32_t policy = rd_u32(&r), flags = rd_u32(&r);
	size_t ctx_n, iv_n, aad_n, pt_n, k = 0, blob_n = 0;
	const uint8_t *ctx = rd_lv(&r, &ctx_n), *iv = rd_lv(&r, &iv_n);
	const uint8_t *aad = rd_lv(&r, &aad_n), *pt = rd_lv(&r, &pt_n);
	oe_seal_setting_t s[3];
	uint8_t *blob = NULL;
	oe_result_t res;

	if (r.bad || r.left) {
		answer(OE_INVALID_PARAMETER, NULL, 0, out, cap, w);
		return;
	}
	if (policy) {
		oe_seal_setting_t p = OE_SEAL_SET_POLICY(policy);
		s[k++] = p;
	}
	if (flags & F_CONTEXT) {
		oe_seal_setting_t c = OE_SEAL_SET_CONTEXT(ctx, ctx_n);
		s[k++] = c;
	}
	if (flags & F_IV) {
		oe_seal_setting_t v = OE_SEAL_SET_IV(iv, iv_n);
		s[k++] = v;
	}
	res = oe_seal((flags & F_PLUGIN) ? &plugin : NULL, k ? s : NULL, k, pt, pt_n, aad, aad_n,
	              &blob, &blob_n);
	answer(res, blob, blob_n, out, cap, w);
	oe_free(blob);
}

/* in: lv aad, lv blob.  out: result, plaintext. */
static void e_unseal(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	rd r = {in, n, 0};
	size_t aad_n, blob_n, pt_n = 0;
	const uint8_t *aad = rd_lv(&r, &aad_n), *blob = rd_lv(&r, &blob_n);
	uint8_t *pt = NULL;
	oe_result_t res;

	if (r.bad || r.left) {
		answer(OE_INVALID_PARAMETER, NULL, 0, out, cap, w);
		return;
	}
	res = oe_unseal(blob, blob_n, aad, aad_n, &pt, &pt_n);
	answer(res, pt, pt_n, out, cap, w);
	free(pt);
}

/* in: u32 policy.  out: result, 32-byte key, key_info. */
static void e_seal_key(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	rd r = {in, n, 0};
	uint32_t policy = rd_u32(&r);
	uint8_t *key = NULL, *ki = NULL, both[32 + 128];
	size_t key_n = 0, ki_n = 0;
	oe_result_t res;

	res = oe_get_seal_key_by_policy_v2((oe_seal_policy_t)policy, &key, &key_n, &ki, &ki_n);
	if (res == OE_OK && (key_n != 32 || ki_n > 128))
		res = OE_UNEXPECTED;
	if (res == OE_OK) {
		memcpy(both, key, 32);
		memcpy(both + 32, ki, ki_n);
	}
	answer(res, both, 32 + ki_n, out, cap, w);
	oe_free_seal_key(key, ki);
}

/* in: key_info.  out: result, 32-byte key. */
static void e_seal_key_again(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	uint8_t *key = NULL;
	size_t key_n = 0;
	oe_result_t res = oe_get_seal_key_v2(in, n, &key, &key_n);

	answer(res, key, key_n, out, cap, w);
	oe_free_seal_key(key, NULL);
}

/* in: a raw SEAL_KEY request body, sent as is.  out: the root's result. */
static void e_rot_raw(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	uint8_t reply[512];
	const uint8_t *body = NULL;
	size_t body_n = 0;
	oe_result_t res =
	    te_ta_rot_call(TE_ROT_SEAL_KEY, in, n, reply, sizeof(reply), &body, &body_n);

	answer(res, NULL, 0, out, cap, w);
}

/* in: u32 size.  Seals that many bytes made inside the TA: past the signed
 * heap limit this must fail with OE_OUT_OF_MEMORY, not crash. */
static void e_seal_big(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	rd r = {in, n, 0};
	size_t size = rd_u32(&r), blob_n = 0;
	uint8_t *pt = malloc(size ? size : 1), *blob = NULL;
	oe_result_t res;

	if (!pt) {
		answer(OE_OUT_OF_MEMORY, NULL, 0, out, cap, w);
		return;
	}
	memset(pt, 0x5a, size);
	res = oe_seal(NULL, NULL, 0, pt, size, NULL, 0, &blob, &blob_n);
	free(pt);
	free(blob);
	answer(res, NULL, 0, out, cap, w);
}

/* API misuse, each case's result in order (the host knows the order). */
static void e_misuse(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	static const oe_uuid_t other = {{1, 2, 3}};
	static const uint8_t iv11[11] = {0}, iv12[12] = {0}, ctx[4] = {1, 2, 3, 4};
	uint8_t pt[4] = {9, 9, 9, 9}, *blob = NULL, *p = NULL, *key = NULL, *ki = NULL;
	size_t bn = 0, pn = 0, kn = 0;
	uint32_t res[16];
	size_t k = 0;
	oe_seal_setting_t bad_iv[] = {OE_SEAL_SET_IV(iv11, sizeof(iv11))};
	oe_seal_setting_t unknown[] = {{77, 0, {0}}};
	oe_seal_setting_t negative[] = {{-1, 0, {0}}};
	oe_seal_setting_t plugin_type[] = {{OE_SEAL_SETTING_PLUGIN_DEFINED, 0, {0}}};
	oe_seal_setting_t bad_policy[] = {OE_SEAL_SET_POLICY(3)};
	oe_seal_setting_t two_policies[] = {OE_SEAL_SET_POLICY(1), OE_SEAL_SET_POLICY(2)};
	oe_seal_setting_t empty_ctx[] = {OE_SEAL_SET_CONTEXT(ctx, 0)};
	oe_seal_setting_t two_ivs[] = {OE_SEAL_SET_IV(iv12, 12), OE_SEAL_SET_IV(iv12, 12)};
	uint8_t *host = oe_host_malloc(16);

	res[k++] = oe_seal(NULL, bad_iv, 1, pt, 4, NULL, 0, &blob, &bn);       /* 0 */
	res[k++] = oe_seal(NULL, unknown, 1, pt, 4, NULL, 0, &blob, &bn);      /* 1 */
	res[k++] = oe_seal(NULL, negative, 1, pt, 4, NULL, 0, &blob, &bn);     /* 2 */
	res[k++] = oe_seal(NULL, plugin_type, 1, pt, 4, NULL, 0, &blob, &bn);  /* 3 */
	res[k++] = oe_seal(&other, NULL, 0, pt, 4, NULL, 0, &blob, &bn);       /* 4 */
	res[k++] = oe_seal(NULL, bad_policy, 1, pt, 4, NULL, 0, &blob, &bn);   /* 5 */
	res[k++] = oe_seal(NULL, two_policies, 2, pt, 4, NULL, 0, &blob, &bn); /* 6 */
	res[k++] = oe_seal(NULL, empty_ctx, 1, pt, 4, NULL, 0, &blob, &bn);    /* 7 */
	res[k++] = oe_seal(NULL, two_ivs, 2, pt, 4, NULL, 0, &blob, &bn);      /* 8 */
	res[k++] = oe_seal(NULL, NULL, 1, pt, 4, NULL, 0, &blob, &bn);         /* 9 */
	res[k++] = oe_seal(NULL, NULL, 0, NULL, 4, NULL, 0, &blob, &bn);       /* 10 */
	res[k++] = oe_seal(NULL, NULL, 0, pt, 4, NULL, 0, NULL, &bn);          /* 11 */
	/* 12: plaintext in memory the host can read and change */
	res[k++] = host ? oe_seal(NULL, NULL, 0, host, 16, NULL, 0, &blob, &bn) : OE_FAILURE;
	/* 13: seal nothing at all, then unseal it: empty plaintext */
	res[k] = oe_seal(NULL, NULL, 0, NULL, 0, NULL, 0, &blob, &bn);
	if (res[k] == OE_OK) {
		res[k] = oe_unseal(blob, bn, NULL, 0, &p, &pn);
		if (res[k] == OE_OK && pn != 0)
			res[k] = OE_UNEXPECTED;
		free(p);
		p = NULL;
		/* 14: unseal only to check (no plaintext wanted) */
		res[k + 1] = oe_unseal(blob, bn, NULL, 0, NULL, NULL);
		free(blob);
		blob = NULL;
	} else {
		res[k + 1] = OE_UNEXPECTED;
	}
	k += 2;
	/* 15: an unknown policy for a seal key */
	res[k++] = oe_get_seal_key_by_policy_v2((oe_seal_policy_t)7, &key, &kn, &ki, &pn);
	oe_host_free(host);
	answer(OE_OK, res, sizeof(res), out, cap, w);
}

const oe_ecall_entry_t oe_ecalls_table[] = {
    {"seal", e_seal},         {"unseal", e_unseal},
    {"seal_key", e_seal_key}, {"seal_key_again", e_seal_key_again},
    {"rot_raw", e_rot_raw},   {"seal_big", e_seal_big},
    {"misuse", e_misuse},
};
const size_t oe_ecalls_table_size = sizeof(oe_ecalls_table) / sizeof(oe_ecalls_table[0]);
