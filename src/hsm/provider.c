/* provider.c - placeholder while the OpenSSL provider is written. */
#include "hsm/provider.h"

te_err te_provider_load(void)
{
	return te_err_set(TE_ERR_UNSUPPORTED, "the trustedge OpenSSL provider is not built yet");
}

te_err te_provider_key_new(te_hsm *hsm, const char *name, EVP_PKEY **out)
{
	(void)hsm;
	(void)name;
	(void)out;
	return te_provider_load();
}
