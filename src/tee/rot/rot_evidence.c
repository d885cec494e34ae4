/*
 * rot_evidence.c - the root of trust's attestation requests (rot.h):
 * TE_ROT_EVIDENCE signs emulated evidence (tee/evidence.h) about the TA
 * that asked, TE_ROT_ROOTS hands out the certificates a verifier on this
 * platform trusts.  The TA's identity comes from whoever verified and
 * started it (id), never from the request: the body carries only the
 * format id, the report data and the custom claims.
 */
#include "tee/rot/rot_int.h"

#include <string.h>

#include "tee/detail.h"
#include "tee/evidence.h"
#include "tee/tcur.h"

static void te_rot_put_u32le(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int te_rot_ops_ok(const te_rot *rot)
{
	return rot != NULL && rot->ops != NULL && rot->ops->version == TE_ROT_OPS_VERSION &&
	       rot->ops->sign != NULL && rot->ops->chain != NULL;
}

static oe_result_t te_rot_evidence_sign(void *arg, const uint8_t *tbs, size_t tbs_size,
                                        uint8_t *sig, size_t *sig_size)
{
	te_rot *rot = arg;

	return rot->ops->sign(rot, tbs, tbs_size, sig, sig_size);
}

/* The claims the root vouches for: the TA's identity as verified when it
 * was started, and what this root is. */
static void te_rot_evidence_claims(const te_rot *rot, const te_rot_identity *id,
                                   const uint8_t format[OE_UUID_SIZE], te_evidence_claims *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->format, format, OE_UUID_SIZE);
	c->flags = TE_EVIDENCE_FLAG_EMULATED;
	c->attributes = OE_REPORT_ATTRIBUTES_TRUSTEDGE_EMULATED;
	if (rot->flags & TE_ROT_FLAG_DEVELOPER) {
		c->flags |= TE_EVIDENCE_FLAG_DEVELOPER_ROOT;
		c->attributes |= OE_REPORT_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT;
	}
	if (id->debug)
		c->attributes |= OE_REPORT_ATTRIBUTES_DEBUG;
	if (te_evidence_format_remote(format))
		c->attributes |= OE_REPORT_ATTRIBUTES_REMOTE;
	memcpy(c->unique_id, id->unique_id, TE_EVIDENCE_ID_SIZE);
	memcpy(c->signer_id, id->signer_id, TE_EVIDENCE_ID_SIZE);
	/* ProductID is 16 bits; the OE claim is 16 bytes, little-endian. */
	c->product_id[0] = (uint8_t)id->product_id;
	c->product_id[1] = (uint8_t)(id->product_id >> 8);
	c->security_version = id->security_version;
}

oe_result_t te_rot_do_evidence(te_rot *rot, const te_rot_identity *id, const uint8_t *body,
                               size_t n, uint8_t *out, size_t cap, size_t *out_size)
{
	te_tcur r = {body, n, 0, 0};
	te_evidence_claims c;
	const uint8_t *format;
	const char *chain;
	size_t ev_size = 0;
	uint32_t rd_size, cc_size;
	const uint8_t *rd, *cc;
	oe_result_t res;

	if (id == NULL || out == NULL || out_size == NULL || (n && body == NULL))
		return OE_INVALID_PARAMETER;
	format = te_tcur_take(&r, OE_UUID_SIZE);
	rd_size = te_tcur_u32(&r);
	if (r.bad || rd_size > TE_EVIDENCE_REPORT_DATA_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER,
		                   "evidence request: report data over 64 bytes");
	rd = te_tcur_take(&r, rd_size);
	cc_size = te_tcur_u32(&r);
	if (r.bad || cc_size > TE_EVIDENCE_CUSTOM_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER,
		                   "evidence request: custom claims too large");
	cc = te_tcur_take(&r, cc_size);
	if (r.bad || r.off != n)
		return te_tee_fail(OE_INVALID_PARAMETER, "evidence request: malformed body");
	if (!te_evidence_format_known(format))
		return te_tee_fail(OE_INVALID_PARAMETER, "evidence request: unknown format id");
	if (!te_rot_ops_ok(rot))
		return te_tee_fail(OE_UNSUPPORTED, "this root cannot sign evidence");
	chain = rot->ops->chain(rot);
	if (chain == NULL)
		return te_tee_fail(OE_UNEXPECTED, "the root has no certificate chain");
	if (cap < 4)
		return OE_BUFFER_TOO_SMALL;
	te_rot_evidence_claims(rot, id, format, &c);
	c.report_data = rd;
	c.report_data_size = rd_size;
	c.custom_claims = cc;
	c.custom_claims_size = cc_size;
	res = te_evidence_build(&c, chain, te_rot_evidence_sign, rot, out + 4, cap - 4, &ev_size);
	if (res != OE_OK)
		return res;
	te_rot_put_u32le(out, ev_size);
	*out_size = 4 + ev_size;
	return OE_OK;
}

oe_result_t te_rot_do_roots(te_rot *rot, const te_rot_identity *id, const uint8_t *body, size_t n,
                            uint8_t *out, size_t cap, size_t *out_size)
{
	const char *chain;
	size_t pem_size = 0;
	oe_result_t res;

	if (out == NULL || out_size == NULL)
		return OE_INVALID_PARAMETER;
	if (n != 0)
		return te_tee_fail(OE_INVALID_PARAMETER,
		                   "roots request: a body where none belongs");
	if (!te_rot_ops_ok(rot))
		return te_tee_fail(OE_UNSUPPORTED, "this root has no certificates");
	chain = rot->ops->chain(rot);
	if (chain == NULL)
		return te_tee_fail(OE_UNEXPECTED, "the root has no certificate chain");
	if (cap < 5)
		return OE_BUFFER_TOO_SMALL;
	res = te_evidence_chain_anchors(chain, (char *)out + 4, cap - 4, &pem_size);
	if (res != OE_OK)
		return res;
	te_rot_put_u32le(out, pem_size);
	*out_size = 4 + pem_size;
	return OE_OK;
}
