/*
 * test_root.h - a root of trust for the attestation tests (rot.h's ops
 * table over an in-memory EC P-256 attestation key, certified by an
 * in-memory self-signed CA), so tests can make evidence without the
 * developer root's files, and can make a second, untrusted root.
 */
#ifndef TE_TEST_ROOT_H
#define TE_TEST_ROOT_H

#include "tee/rot/rot.h"

/* A new root; developer sets TE_ROT_FLAG_DEVELOPER.  NULL on failure.
 * close() through te_rot_close does nothing: free with
 * te_test_root_free. */
te_rot *te_test_root_new(int developer, const char *cn);
void te_test_root_free(te_rot *rot);
/* The CA certificate (what a verifier trusts), PEM. */
const char *te_test_root_ca_pem(te_rot *rot);

#endif
