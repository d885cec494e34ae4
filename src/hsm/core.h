/*
 * core.h - what the HSM PAL core offers to the rest of src/hsm (the
 * OpenSSL provider), beyond the public API.
 */
#ifndef TRUSTEDGE_HSM_CORE_H
#define TRUSTEDGE_HSM_CORE_H

#include "trustedge/te_hsm.h"

/* Contexts are reference counted: te_hsm_close drops the caller's
 * reference; an object that must outlive the caller's use (a provider
 * key handed out by te_hsm_key_evp) holds its own. */
te_hsm *te_hsm_ref(te_hsm *hsm);
void te_hsm_unref(te_hsm *hsm);

#endif
