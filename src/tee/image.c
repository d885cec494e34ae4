/* image.c - placeholder until the signed-image format lands. */
#include "tee/image.h"
#include "tee/detail.h"

#include <stdlib.h>
#include <string.h>

oe_result_t te_tee_image_verify(const uint8_t *data, size_t size, te_tee_image *img)
{
	(void)data;
	(void)size;
	memset(img, 0, sizeof(*img));
	return te_tee_fail(OE_UNSUPPORTED_ENCLAVE_IMAGE, "signed images are not implemented yet");
}

oe_result_t te_tee_image_load(const char *path, te_tee_image *img)
{
	(void)path;
	return te_tee_image_verify(NULL, 0, img);
}

void te_tee_image_free(te_tee_image *img)
{
	free(img->data);
	memset(img, 0, sizeof(*img));
}
