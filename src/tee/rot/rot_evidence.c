/* rot_evidence.c - placeholder until evidence lands. */
#include "tee/rot/rot_int.h"

oe_result_t te_rot_do_evidence(te_rot *rot, const te_rot_identity *id, const uint8_t *body,
			       size_t n, uint8_t *out, size_t cap, size_t *out_size)
{
	return OE_UNSUPPORTED;
}

oe_result_t te_rot_do_roots(te_rot *rot, const te_rot_identity *id, const uint8_t *body,
			    size_t n, uint8_t *out, size_t cap, size_t *out_size)
{
	return OE_UNSUPPORTED;
}
