/*
 * te_json.h - jansson set up for secrets: every block jansson frees is
 * wiped first, because JSON bodies carry exported keys, plaintext and SAS
 * signatures as strings.  Processes that handle such bodies (the CLI, the
 * daemon's API process) call te_json_wipe_on_free once, before any JSON.
 */
#ifndef TRUSTEDGE_TE_JSON_H
#define TRUSTEDGE_TE_JSON_H

#include <stddef.h>

/* Makes jansson allocate through te_json_malloc / te_json_free. */
void te_json_wipe_on_free(void);
void *te_json_malloc(size_t n);
/* Wipes the whole block, then frees it.  NULL is a no-op. */
void te_json_free(void *p);

#endif
