/*
 * tpm.c - placeholder while the tpm backend is written: the table exists so
 * the core and the build know the backend; open() refuses.
 */
#include "hsm/backend.h"

static const char *const tpm_settings[] = {NULL};

static te_err tpm_open(const te_hsm_setting *settings, size_t n, void **state)
{
	(void)settings;
	(void)n;
	(void)state;
	return te_err_set(TE_ERR_UNSUPPORTED, "the tpm backend is not available in this build");
}

static void tpm_close(void *state)
{
	(void)state;
}

const te_hsm_backend_ops te_hsm_tpm_ops = {
	.version = TE_HSM_BACKEND_OPS_V1,
	.name = "tpm",
	.settings = tpm_settings,
	.open = tpm_open,
	.close = tpm_close,
};
