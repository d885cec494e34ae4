/*
 * pkcs11.c - placeholder while the pkcs11 backend is written: the table exists so
 * the core and the build know the backend; open() refuses.
 */
#include "hsm/backend.h"

static const char *const pkcs11_settings[] = {NULL};

static te_err pkcs11_open(const te_hsm_setting *settings, size_t n, void **state)
{
	(void)settings;
	(void)n;
	(void)state;
	return te_err_set(TE_ERR_UNSUPPORTED, "the pkcs11 backend is not available in this build");
}

static void pkcs11_close(void *state)
{
	(void)state;
}

const te_hsm_backend_ops te_hsm_pkcs11_ops = {
	.version = TE_HSM_BACKEND_OPS_V1,
	.name = "pkcs11",
	.settings = pkcs11_settings,
	.open = pkcs11_open,
	.close = pkcs11_close,
};
