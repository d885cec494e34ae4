/*
 * te_config.h - YAML configuration, read with libyaml into a tree that
 * remembers where each value came from, so every error can name the file,
 * the line and the key ("config.yaml:7: hsm.backend: unknown backend").
 *
 * Supported YAML: nested mappings, sequences and scalars; anchors, aliases
 * and tags are refused (a config has no need for them, and aliases are a
 * memory bomb).  Duplicate keys are refused.  Sizes are bounded.
 */
#ifndef TRUSTEDGE_TE_CONFIG_H
#define TRUSTEDGE_TE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "trustedge/te_error.h"

typedef struct te_config te_config;
typedef struct te_config_node te_config_node;

typedef enum te_config_kind {
	TE_CONFIG_SCALAR,
	TE_CONFIG_MAP,
	TE_CONFIG_SEQ,
} te_config_kind;

/* Limits that keep a hostile file from exhausting memory. */
#define TE_CONFIG_MAX_BYTES (1u << 20)
#define TE_CONFIG_MAX_DEPTH 16
#define TE_CONFIG_MAX_NODES 10000

/* Loads and parses a file.  Errors carry "FILE:LINE: ..." in the detail. */
te_err te_config_load(const char *path, te_config **out) TE_MUST_CHECK;
/* Parses text held in memory; `name` stands for the file in messages. */
te_err te_config_parse(const char *name, const char *text, size_t len,
		       te_config **out) TE_MUST_CHECK;
void te_config_free(te_config *cfg);

/* The document's root node (a mapping; an empty file gives an empty map). */
const te_config_node *te_config_root(const te_config *cfg);
/* Looks up a dotted path ("hsm.settings.store") below node; NULL if absent. */
const te_config_node *te_config_find(const te_config_node *node, const char *path);

te_config_kind te_config_node_kind(const te_config_node *node);
/* Scalar text (NUL-terminated); NULL for maps and sequences. */
const char *te_config_node_scalar(const te_config_node *node);
/* Line (1-based) of the node: a scalar's own line; for a map or list that
 * is the value of a key, the key's line. */
unsigned te_config_node_line(const te_config_node *node);
/* Full dotted key of the node ("hsm.settings.store", "modules[2].name"). */
const char *te_config_node_path(const te_config_node *node);
/* Number of children of a map or sequence (0 for scalars). */
size_t te_config_node_count(const te_config_node *node);
/* i-th child; for maps, *key (if not NULL) receives its key. */
const te_config_node *te_config_node_child(const te_config_node *node, size_t i,
					   const char **key);

/* Sets the error detail to "FILE:LINE: PATH: message" for node. */
te_err te_config_error(const te_config *cfg, const te_config_node *node, te_err err,
		       const char *fmt, ...) TE_PRINTF(4, 5);

/* In the getters a NULL node means the root and a NULL or empty path the
 * node itself.  Keys are at most 128 bytes, dotted paths 512. */
/* Typed getters: TE_ERR_NOT_FOUND when absent (out untouched), TE_ERR_CONFIG
 * with file/line/key when present but of the wrong kind or out of range. */
te_err te_config_get_str(const te_config *cfg, const te_config_node *node,
			 const char *path, const char **out) TE_MUST_CHECK;
te_err te_config_get_bool(const te_config *cfg, const te_config_node *node,
			  const char *path, int *out) TE_MUST_CHECK;
te_err te_config_get_uint(const te_config *cfg, const te_config_node *node,
			  const char *path, uint64_t min, uint64_t max,
			  uint64_t *out) TE_MUST_CHECK;

#endif
