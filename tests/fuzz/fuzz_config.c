/*
 * fuzz_config.c - libFuzzer target for the YAML config parser.
 *
 * Properties checked (abort on violation):
 *  - a refused file gives TE_ERR_CONFIG (or NO_MEMORY) and a detail that
 *    starts with the file name;
 *  - every node of an accepted tree is consistent: scalars have text,
 *    collections do not, lines are >= 1, paths extend the parent's path,
 *    te_config_find finds each map child by its key;
 *  - the typed getters agree with the text: a uint that parses prints
 *    back to the same decimal text, a bool is one of the known words;
 *  - round trip: the tree emitted back as YAML (every scalar
 *    double-quoted) parses to the same tree.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "common/te_config.h"
#include "trustedge/te_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_getters(const te_config *cfg, const te_config_node *n)
{
	const char *text = te_config_node_scalar(n), *s = NULL;
	uint64_t u = 0;
	int b = -1;
	te_err rc;

	if (te_config_get_str(cfg, n, "", &s) != TE_OK || s != text)
		abort();
	rc = te_config_get_uint(cfg, n, NULL, 0, UINT64_MAX, &u);
	if (rc == TE_OK) {
		char back[32];
		snprintf(back, sizeof(back), "%" PRIu64, u);
		if (strcmp(back, text) != 0)
			abort();
	} else if (rc != TE_ERR_CONFIG) {
		abort();
	}
	rc = te_config_get_bool(cfg, n, NULL, &b);
	if (rc == TE_OK) {
		static const char *const words[] = {"true", "yes", "on", "false", "no", "off"};
		int found = -1;
		for (int i = 0; i < 6; i++)
			if (strcasecmp(text, words[i]) == 0)
				found = i < 3;
		if (found != b)
			abort();
	} else if (rc != TE_ERR_CONFIG) {
		abort();
	}
}

static void check_node(const te_config *cfg, const te_config_node *n)
{
	const char *path = te_config_node_path(n);
	size_t plen = strlen(path);

	if (te_config_node_line(n) < 1)
		abort();
	if (te_config_node_kind(n) == TE_CONFIG_SCALAR) {
		if (te_config_node_scalar(n) == NULL || te_config_node_count(n) != 0)
			abort();
		check_getters(cfg, n);
		return;
	}
	if (te_config_node_scalar(n) != NULL)
		abort();
	for (size_t i = 0; i < te_config_node_count(n); i++) {
		const char *key = NULL;
		const te_config_node *child = te_config_node_child(n, i, &key);
		const char *cpath;

		if (child == NULL)
			abort();
		cpath = te_config_node_path(child);
		if (strncmp(cpath, path, plen) != 0)
			abort();
		if (te_config_node_kind(n) == TE_CONFIG_MAP) {
			if (key == NULL || key[0] == '\0')
				abort();
			if (strcmp(cpath + plen + (plen ? 1 : 0), key) != 0)
				abort();
			if (strchr(key, '.') == NULL && te_config_find(n, key) != child)
				abort();
		} else if (key != NULL || cpath[plen] != '[') {
			abort();
		}
		check_node(cfg, child);
	}
	if (te_config_node_child(n, te_config_node_count(n), NULL) != NULL)
		abort();
}

static int emit_out(void *data, unsigned char *buf, size_t size)
{
	return te_buf_append(data, buf, size) == TE_OK;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev, int ok)
{
	if (!ok)
		return 0;
	return yaml_emitter_emit(e, ev);
}

static int emit_node(yaml_emitter_t *e, const te_config_node *n)
{
	yaml_event_t ev;
	int ok = 1;

	switch (te_config_node_kind(n)) {
	case TE_CONFIG_SCALAR: {
		const char *s = te_config_node_scalar(n);
		ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
						  (int)strlen(s), 0, 1,
						  YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		return emit(e, &ev, ok);
	}
	case TE_CONFIG_SEQ:
		ok = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  YAML_ANY_SEQUENCE_STYLE);
		break;
	case TE_CONFIG_MAP:
	default:
		ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 YAML_ANY_MAPPING_STYLE);
		break;
	}
	if (!emit(e, &ev, ok))
		return 0;
	for (size_t i = 0; i < te_config_node_count(n); i++) {
		const char *key = NULL;
		const te_config_node *child = te_config_node_child(n, i, &key);

		if (key != NULL) {
			ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)key,
							  (int)strlen(key), 0, 1,
							  YAML_DOUBLE_QUOTED_SCALAR_STYLE);
			if (!emit(e, &ev, ok))
				return 0;
		}
		if (!emit_node(e, child))
			return 0;
	}
	if (te_config_node_kind(n) == TE_CONFIG_SEQ)
		yaml_sequence_end_event_initialize(&ev);
	else
		yaml_mapping_end_event_initialize(&ev);
	return emit(e, &ev, 1);
}

/* Writes the tree as YAML into out; 0 if libyaml's emitter refused. */
static int emit_tree(const te_config_node *root, te_buf *out)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&e))
		return 0;
	yaml_emitter_set_output(&e, emit_out, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = emit(&e, &ev, ok);
	if (ok)
		ok = yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = emit(&e, &ev, ok) && emit_node(&e, root);
	if (ok)
		ok = yaml_document_end_event_initialize(&ev, 1);
	ok = emit(&e, &ev, ok);
	if (ok)
		ok = yaml_stream_end_event_initialize(&ev);
	ok = emit(&e, &ev, ok) && yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	return ok;
}

static int same_tree(const te_config_node *a, const te_config_node *b)
{
	if (te_config_node_kind(a) != te_config_node_kind(b) ||
	    te_config_node_count(a) != te_config_node_count(b) ||
	    strcmp(te_config_node_path(a), te_config_node_path(b)) != 0)
		return 0;
	if (te_config_node_kind(a) == TE_CONFIG_SCALAR)
		return strcmp(te_config_node_scalar(a), te_config_node_scalar(b)) == 0;
	for (size_t i = 0; i < te_config_node_count(a); i++) {
		const char *ka = NULL, *kb = NULL;
		const te_config_node *ca = te_config_node_child(a, i, &ka);
		const te_config_node *cb = te_config_node_child(b, i, &kb);

		if ((ka == NULL) != (kb == NULL) || (ka != NULL && strcmp(ka, kb) != 0))
			return 0;
		if (!same_tree(ca, cb))
			return 0;
	}
	return 1;
}

static void check_round_trip(const te_config *cfg)
{
	te_buf text;
	te_config *again = NULL;

	te_buf_init(&text, 0);
	if (emit_tree(te_config_root(cfg), &text) && text.len <= TE_CONFIG_MAX_BYTES) {
		if (te_config_parse("again.yaml", (const char *)text.data, text.len, &again) !=
		    TE_OK)
			abort();
		if (!same_tree(te_config_root(cfg), te_config_root(again)))
			abort();
		te_config_free(again);
	}
	te_buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	te_config *cfg = NULL;
	te_err rc = te_config_parse("fuzz.yaml", (const char *)data, size, &cfg);

	if (rc != TE_OK) {
		if (cfg != NULL)
			abort();
		if (rc == TE_ERR_NO_MEMORY)
			return 0;
		if (rc != TE_ERR_CONFIG || strncmp(te_err_detail(), "fuzz.yaml:", 10) != 0)
			abort();
		return 0;
	}
	if (te_config_node_kind(te_config_root(cfg)) != TE_CONFIG_MAP ||
	    strcmp(te_config_node_path(te_config_root(cfg)), "") != 0)
		abort();
	check_node(cfg, te_config_root(cfg));
	check_round_trip(cfg);
	te_config_free(cfg);
	return 0;
}
