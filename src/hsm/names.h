/*
 * names.h - helpers around the names in names.c that the public API does
 * not need but messages do.
 */
#ifndef TRUSTEDGE_HSM_NAMES_H
#define TRUSTEDGE_HSM_NAMES_H

#include <stddef.h>

typedef enum te_hsm_names_kind {
	TE_HSM_NAMES_KEY_TYPES,
	TE_HSM_NAMES_ALGS,
} te_hsm_names_kind;

/* Writes "ec-p256, ec-p384, ..." (every key type or algorithm, without
 * the none/default placeholders) into out, cut to fit. */
void te_hsm_names_join(te_hsm_names_kind kind, char *out, size_t len);

#endif
