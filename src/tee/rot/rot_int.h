/*
 * rot_int.h - the request handlers of the root of trust (rot_serve.c
 * dispatches to them).  Each reads its request body (body, n: untrusted,
 * from the TA) and writes its reply body into out (cap bytes).
 */
#ifndef TE_TEE_ROT_INT_H
#define TE_TEE_ROT_INT_H

#include "tee/rot/rot.h"

/* rot_seal.c */
oe_result_t te_rot_do_seal_key(te_rot *rot, const te_rot_identity *id, const uint8_t *body,
			       size_t n, uint8_t *out, size_t cap, size_t *out_size);
/* rot_evidence.c */
oe_result_t te_rot_do_evidence(te_rot *rot, const te_rot_identity *id, const uint8_t *body,
			       size_t n, uint8_t *out, size_t cap, size_t *out_size);
oe_result_t te_rot_do_roots(te_rot *rot, const te_rot_identity *id, const uint8_t *body,
			    size_t n, uint8_t *out, size_t cap, size_t *out_size);

#endif
