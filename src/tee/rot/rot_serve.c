/*
 * rot_serve.c - one request of a TA to its root of trust: frame checks and
 * dispatch (rot.h has the wire format).  Whatever the TA sends, it gets
 * a reply datagram back: an unknown type or a short frame is answered
 * with OE_INVALID_PARAMETER, so a TA waiting on its reply never hangs.
 */
#include "tee/rot/rot_int.h"

#include <string.h>

static void te_rot_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t te_rot_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void te_rot_serve(te_rot *rot, const te_rot_identity *id, const uint8_t *req, size_t req_size,
		  uint8_t *resp, size_t cap, size_t *resp_size)
{
	uint32_t type = 0, rid = 0;
	size_t body = 0;
	oe_result_t r = OE_INVALID_PARAMETER;

	*resp_size = 0;
	if (cap < 12)
		return;
	if (req_size >= 8 && req_size <= TE_ROT_MSG_MAX) {
		type = te_rot_get_u32(req);
		rid = te_rot_get_u32(req + 4);
		switch (type) {
		case TE_ROT_SEAL_KEY:
			r = te_rot_do_seal_key(rot, id, req + 8, req_size - 8, resp + 12, cap - 12,
					       &body);
			break;
		case TE_ROT_EVIDENCE:
			r = te_rot_do_evidence(rot, id, req + 8, req_size - 8, resp + 12, cap - 12,
					       &body);
			break;
		case TE_ROT_ROOTS:
			r = te_rot_do_roots(rot, id, req + 8, req_size - 8, resp + 12, cap - 12,
					    &body);
			break;
		default:
			r = OE_INVALID_PARAMETER;
			break;
		}
	}
	if (r != OE_OK || body > cap - 12)
		body = 0;
	/* A failed request's reply carries no body: nothing half-written
	 * (a key, say) goes back with an error. */
	if (r != OE_OK)
		memset(resp + 12, 0, cap - 12 < 64 ? cap - 12 : 64);
	te_rot_put_u32(resp, type | TE_ROT_REPLY);
	te_rot_put_u32(resp + 4, rid);
	te_rot_put_u32(resp + 8, (uint32_t)r);
	*resp_size = 12 + body;
}

void te_rot_close(te_rot *rot)
{
	if (rot && rot->ops && rot->ops->version == TE_ROT_OPS_VERSION && rot->ops->close)
		rot->ops->close(rot);
}
