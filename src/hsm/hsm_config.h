/*
 * hsm_config.h - opens an HSM context from the `hsm:` section of the YAML
 * configuration:
 *
 *   hsm:
 *     backend: soft            # optional, default "soft"
 *     soft:                    # settings of the chosen backend
 *       store: /var/lib/trustedge/keys
 *       master_key_file: /var/lib/trustedge/keys/master.key
 *
 * Every scalar under hsm.<backend> is passed to te_hsm_open() as one
 * te_hsm_setting.  Sections named after other backends are allowed (so one
 * file can carry several) and ignored.
 */
#ifndef TRUSTEDGE_HSM_CONFIG_H
#define TRUSTEDGE_HSM_CONFIG_H

#include "common/te_config.h"
#include "trustedge/te_hsm.h"

#define TE_HSM_CONFIG_DEFAULT_BACKEND "soft"

/*
 * Opens the backend the configuration names.  Mistakes in the section are
 * TE_ERR_CONFIG with "FILE:LINE: KEY: message" in the detail; so are
 * settings the backend refuses.  Failures of the backend itself (an
 * unreadable store, say) keep their own code and gain the file and line of
 * the section in the detail.  Keep cfg alive until the context is closed.
 */
te_err te_hsm_open_config(const te_config *cfg, te_hsm **out) TE_MUST_CHECK TE_NONNULL(1, 2);

#endif
