/*
 * attest_ta.c - a TA for the attestation tests, written against the raw
 * call contract (openenclave/edger8r/enclave.h) so the host test controls
 * every byte.  Every ECALL's output starts with a u32 oe_result_t.
 *
 *   evidence       in: uuid | u32 n + report data | custom claims buffer
 *                  out: evidence from oe_get_evidence
 *   evidence_self  in: uuid | u32 n + report data | value; the TA
 *                  serializes {"ta": "attest_ta", "value": value} itself
 *   verify         in: u32 flags | uuid | u32 n + report data | evidence
 *                  (flags: 1 pass the format id, 2 require the report
 *                  data, 4 forbid debug); out: the claims, each
 *                  u32 n + name, u32 n + value, after a u32 count
 *   report         in: u32 flags | report data; out: oe_get_report's report
 *   verify_report  in: report; out: oe_identity_t | u32 n + report data
 *   rot_raw        in: u32 type | body, sent to the root as is; out: body
 *   select         in: uuids; out: oe_attester_select_format's choice
 *   settings       in: uuid; out: oe_verifier_get_format_settings'
 *   deserialize    in: custom claims buffer; out: u32 count
 */
#include <openenclave/attestation/attester.h>
#include <openenclave/attestation/custom_claims.h>
#include <openenclave/attestation/verifier.h>
#include <openenclave/edger8r/enclave.h>
#include <openenclave/trustedge.h>

#include <stdlib.h>
#include <string.h>

#include "tee/rot/rot.h"

/* What the stdio redirection calls (normally generated from syscall.edl):
 * this TA prints nothing, so it only has to exist. */
oe_result_t oe_syscall_write_ocall(int64_t *ret, int fd, const void *buf, size_t count);
oe_result_t oe_syscall_write_ocall(int64_t *ret, int fd, const void *buf, size_t count)
{
	*ret = (int64_t)count;
	return OE_OK;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Writes result and, when it fits, data into out. */
static void reply(uint8_t *out, size_t cap, size_t *w, oe_result_t r, const void *data, size_t n)
{
	*w = 0;
	if (cap < 4)
		return;
	if (r == OE_OK && n > cap - 4)
		r = OE_BUFFER_TOO_SMALL;
	put_u32(out, (uint32_t)r);
	*w = 4;
	if (r != OE_OK || n == 0)
		return;
	memcpy(out + 4, data, n);
	*w += n;
}

/* uuid | u32 n + report data | rest */
static int split(const uint8_t *in, size_t n, oe_uuid_t *uuid, const uint8_t **rd, size_t *rd_n,
                 const uint8_t **rest, size_t *rest_n)
{
	if (n < 20)
		return -1;
	memcpy(uuid->b, in, 16);
	*rd_n = get_u32(in + 16);
	if (*rd_n > n - 20)
		return -1;
	*rd = in + 20;
	*rest = in + 20 + *rd_n;
	*rest_n = n - 20 - *rd_n;
	return 0;
}

static void e_evidence(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	oe_uuid_t fmt;
	const uint8_t *rd, *cc;
	size_t rd_n, cc_n, ev_n = 0;
	uint8_t *ev = NULL;
	oe_result_t r;

	if (split(in, n, &fmt, &rd, &rd_n, &cc, &cc_n) != 0) {
		reply(out, cap, w, OE_INVALID_PARAMETER, NULL, 0);
		return;
	}
	r = oe_attester_initialize();
	if (r == OE_OK)
		r = oe_get_evidence(&fmt, OE_EVIDENCE_FLAGS_EMBED_FORMAT_ID, cc_n ? cc : NULL, cc_n,
		                    rd_n ? rd : NULL, rd_n, &ev, &ev_n, NULL, NULL);
	reply(out, cap, w, r, ev, ev_n);
	oe_free_evidence(ev);
	oe_attester_shutdown();
}

static void e_evidence_self(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	static char name_ta[] = "ta", name_value[] = "value", ta[] = "attest_ta";
	oe_claim_t claims[2] = {
	    {name_ta, (uint8_t *)ta, sizeof(ta)},
	    {name_value, NULL, 0},
	};
	oe_uuid_t fmt;
	const uint8_t *rd, *v;
	size_t rd_n, v_n, cc_n = 0, ev_n = 0;
	uint8_t *cc = NULL, *ev = NULL;
	oe_result_t r;

	if (split(in, n, &fmt, &rd, &rd_n, &v, &v_n) != 0) {
		reply(out, cap, w, OE_INVALID_PARAMETER, NULL, 0);
		return;
	}
	claims[1].value = (uint8_t *)(uintptr_t)v;
	claims[1].value_size = v_n;
	r = oe_serialize_custom_claims(claims, 2, &cc, &cc_n);
	if (r == OE_OK)
		r = oe_get_evidence(&fmt, 0, cc, cc_n, rd_n ? rd : NULL, rd_n, &ev, &ev_n, NULL,
		                    NULL);
	reply(out, cap, w, r, ev, ev_n);
	oe_free_evidence(ev);
	oe_free_serialized_custom_claims(cc);
}

/* The claims as u32 count, then u32 n + name, u32 n + value each. */
static size_t flatten(const oe_claim_t *c, size_t k, uint8_t *out, size_t cap)
{
	size_t off = 4;

	if (cap < 4)
		return 0;
	put_u32(out, (uint32_t)k);
	for (size_t i = 0; i < k; i++) {
		size_t name = strlen(c[i].name);

		if (8 + name + c[i].value_size > cap - off)
			return 0;
		put_u32(out + off, (uint32_t)name);
		memcpy(out + off + 4, c[i].name, name);
		off += 4 + name;
		put_u32(out + off, (uint32_t)c[i].value_size);
		memcpy(out + off + 4, c[i].value, c[i].value_size);
		off += 4 + c[i].value_size;
	}
	return off;
}

static void e_verify(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	oe_uuid_t fmt;
	const uint8_t *rd, *ev;
	size_t rd_n, ev_n, k = 0, np = 0, flat;
	uint32_t flags;
	oe_policy_t pol[2];
	oe_claim_t *claims = NULL;
	uint8_t *buf = NULL;
	oe_result_t r;

	if (n < 4 || split(in + 4, n - 4, &fmt, &rd, &rd_n, &ev, &ev_n) != 0) {
		reply(out, cap, w, OE_INVALID_PARAMETER, NULL, 0);
		return;
	}
	flags = get_u32(in);
	/* Evidence in TA memory, as the reference's samples insist. */
	buf = malloc(ev_n ? ev_n : 1);
	if (buf == NULL) {
		reply(out, cap, w, OE_OUT_OF_MEMORY, NULL, 0);
		return;
	}
	memcpy(buf, ev, ev_n);
	if (flags & 2) {
		pol[np].type = TE_POLICY_REPORT_DATA;
		pol[np].policy = (void *)(uintptr_t)rd;
		pol[np++].policy_size = rd_n;
	}
	if (flags & 4) {
		pol[np].type = TE_POLICY_FORBID_DEBUG;
		pol[np].policy = NULL;
		pol[np++].policy_size = 0;
	}
	r = oe_verifier_initialize();
	if (r == OE_OK)
		r = oe_verify_evidence((flags & 1) ? &fmt : NULL, buf, ev_n, NULL, 0,
		                       np ? pol : NULL, np, &claims, &k);
	if (r != OE_OK) {
		reply(out, cap, w, r, NULL, 0);
		goto out;
	}
	flat = cap >= 4 ? flatten(claims, k, out + 4, cap - 4) : 0;
	if (flat == 0) {
		reply(out, cap, w, OE_BUFFER_TOO_SMALL, NULL, 0);
		goto out;
	}
	put_u32(out, OE_OK);
	*w = 4 + flat;
out:
	oe_free_claims(claims, k);
	oe_verifier_shutdown();
	free(buf);
}

static void e_report(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	uint8_t *rep = NULL;
	size_t rep_n = 0;
	oe_result_t r;

	if (n < 4) {
		reply(out, cap, w, OE_INVALID_PARAMETER, NULL, 0);
		return;
	}
	r = oe_get_report(get_u32(in), n > 4 ? in + 4 : NULL, n - 4, NULL, 0, &rep, &rep_n);
	reply(out, cap, w, r, rep, rep_n);
	oe_free_report(rep);
}

static void e_verify_report(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	oe_report_t rep;
	uint8_t buf[sizeof(oe_identity_t) + 4 + OE_REPORT_DATA_SIZE];
	uint8_t *copy = malloc(n ? n : 1);
	oe_result_t r;

	if (copy == NULL) {
		reply(out, cap, w, OE_OUT_OF_MEMORY, NULL, 0);
		return;
	}
	memcpy(copy, in, n);
	memset(&rep, 0, sizeof(rep));
	r = oe_verify_report(copy, n, &rep);
	if (r == OE_OK && rep.report_data_size > OE_REPORT_DATA_SIZE)
		r = OE_UNEXPECTED;
	if (r == OE_OK) {
		memcpy(buf, &rep.identity, sizeof(rep.identity));
		put_u32(buf + sizeof(rep.identity), (uint32_t)rep.report_data_size);
		memcpy(buf + sizeof(rep.identity) + 4, rep.report_data, rep.report_data_size);
	}
	reply(out, cap, w, r, buf, sizeof(oe_identity_t) + 4 + rep.report_data_size);
	free(copy);
}

static void e_rot_raw(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	uint8_t *buf = malloc(TE_ROT_MSG_MAX);
	const uint8_t *body = NULL;
	size_t body_n = 0;
	oe_result_t r;

	if (n < 4 || buf == NULL) {
		reply(out, cap, w, OE_INVALID_PARAMETER, NULL, 0);
		free(buf);
		return;
	}
	r = te_ta_rot_call(get_u32(in), in + 4, n - 4, buf, TE_ROT_MSG_MAX, &body, &body_n);
	reply(out, cap, w, r, body, body_n);
	free(buf);
}

static void e_select(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	oe_uuid_t ids[8], sel;
	size_t k = n / 16 > 8 ? 8 : n / 16;
	oe_result_t r;

	memcpy(ids, in, k * 16);
	r = oe_attester_select_format(ids, k, &sel);
	reply(out, cap, w, r, sel.b, 16);
}

static void e_settings(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	oe_uuid_t fmt;
	uint8_t *s = NULL;
	size_t s_n = 0;
	oe_result_t r;

	if (n != 16) {
		reply(out, cap, w, OE_INVALID_PARAMETER, NULL, 0);
		return;
	}
	memcpy(fmt.b, in, 16);
	r = oe_verifier_get_format_settings(&fmt, &s, &s_n);
	reply(out, cap, w, r, s, s_n);
	oe_verifier_free_format_settings(s);
}

static void e_deserialize(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	oe_claim_t *c = NULL;
	size_t k = 0;
	uint32_t k32;
	oe_result_t r = oe_deserialize_custom_claims(in, n, &c, &k);

	k32 = (uint32_t)k;
	reply(out, cap, w, r, &k32, 4);
	oe_free_custom_claims(c, k);
}

const oe_ecall_entry_t oe_ecalls_table[] = {
    {"evidence", e_evidence}, {"evidence_self", e_evidence_self}, {"verify", e_verify},
    {"report", e_report},     {"verify_report", e_verify_report}, {"rot_raw", e_rot_raw},
    {"select", e_select},     {"settings", e_settings},           {"deserialize", e_deserialize},
};
const size_t oe_ecalls_table_size = sizeof(oe_ecalls_table) / sizeof(oe_ecalls_table[0]);
