/* rot_dev.c - placeholder until the developer root lands. */
#include "tee/rot/rot.h"
#include "tee/detail.h"

oe_result_t te_rot_dev_open(const char *dir, te_rot **out)
{
	*out = NULL;
	return te_tee_fail(OE_UNSUPPORTED, "the developer root is not implemented yet");
}
