/* test_config.c - YAML config tree, lookups, typed getters and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/te_config.h"
#include "testutil.h"

static const char sample[] = "# trustedge test config\n"    /* 1 */
			     "hsm:\n"                         /* 2 */
			     "  backend: soft\n"              /* 3 */
			     "  soft:\n"                      /* 4 */
			     "    store: /var/lib/te\n"       /* 5 */
			     "    max_keys: 128\n"            /* 6 */
			     "    strict: yes\n"              /* 7 */
			     "modules:\n"                     /* 8 */
			     "  - name: edge-agent\n"         /* 9 */
			     "    id: 1\n"                    /* 10 */
			     "  - name: hub\n"                /* 11 */
			     "empty:\n"                       /* 12 */
			     "quoted: \"0600\"\n";            /* 13 */

static te_config *parse_ok(const char *text)
{
	te_config *cfg = NULL;
	te_err rc = te_config_parse("test.yaml", text, strlen(text), &cfg);

	if (rc != TE_OK)
		fail_msg("parse failed: %s: %s", te_err_name(rc), te_err_detail());
	assert_non_null(cfg);
	return cfg;
}

/* Parses text that must be refused; checks the detail starts with want. */
static void parse_refused(const char *text, const char *want)
{
	te_config *cfg = NULL;
	te_err rc = te_config_parse("test.yaml", text, strlen(text), &cfg);

	if (rc != TE_ERR_CONFIG)
		fail_msg("'%s' gave %s, want TE_ERR_CONFIG", text, te_err_name(rc));
	assert_null(cfg);
	if (strncmp(te_err_detail(), want, strlen(want)) != 0)
		fail_msg("detail '%s' does not start with '%s'", te_err_detail(), want);
}

static void test_nested_lookup(void **state)
{
	te_config *cfg = parse_ok(sample);
	const te_config_node *root = te_config_root(cfg), *n, *soft, *mods;
	const char *key = NULL;

	(void)state;
	assert_int_equal(te_config_node_kind(root), TE_CONFIG_MAP);
	assert_int_equal(te_config_node_count(root), 4);

	n = te_config_find(root, "hsm.soft.store");
	assert_non_null(n);
	assert_int_equal(te_config_node_kind(n), TE_CONFIG_SCALAR);
	assert_string_equal(te_config_node_scalar(n), "/var/lib/te");
	assert_int_equal(te_config_node_line(n), 5);
	assert_string_equal(te_config_node_path(n), "hsm.soft.store");

	soft = te_config_find(root, "hsm.soft");
	assert_int_equal(te_config_node_kind(soft), TE_CONFIG_MAP);
	assert_null(te_config_node_scalar(soft));
	/* A nested map is reported at its key's line, where a person looks. */
	assert_int_equal(te_config_node_line(soft), 4);
	assert_ptr_equal(te_config_find(soft, "store"), n);
	assert_non_null(te_config_node_child(soft, 2, &key));
	assert_string_equal(key, "strict");
	assert_null(te_config_node_child(soft, 3, &key));

	mods = te_config_find(root, "modules");
	assert_int_equal(te_config_node_kind(mods), TE_CONFIG_SEQ);
	assert_int_equal(te_config_node_count(mods), 2);
	n = te_config_node_child(mods, 1, &key);
	assert_null(key);
	assert_string_equal(te_config_node_path(n), "modules[1]");
	n = te_config_find(n, "name");
	assert_string_equal(te_config_node_scalar(n), "hub");
	assert_string_equal(te_config_node_path(n), "modules[1].name");
	assert_int_equal(te_config_node_line(n), 11);

	/* An empty value is an empty scalar. */
	assert_string_equal(te_config_node_scalar(te_config_find(root, "empty")), "");

	assert_null(te_config_find(root, "hsm.nope"));
	assert_null(te_config_find(root, "hsm..soft"));
	assert_null(te_config_find(root, "hsm."));
	assert_null(te_config_find(root, ".hsm"));
	assert_null(te_config_find(root, "hsm.backend.x"));
	assert_null(te_config_find(root, "hs"));
	assert_null(te_config_find(root, "modules.0"));
	assert_ptr_equal(te_config_find(root, ""), root);
	te_config_free(cfg);
}

static void test_typed_getters(void **state)
{
	te_config *cfg = parse_ok(sample);
	const te_config_node *hsm = te_config_find(te_config_root(cfg), "hsm");
	const char *s = NULL;
	uint64_t u = 0;
	int b = -1;

	(void)state;
	assert_int_equal(te_config_get_str(cfg, NULL, "hsm.backend", &s), TE_OK);
	assert_string_equal(s, "soft");
	assert_int_equal(te_config_get_str(cfg, hsm, "soft.store", &s), TE_OK);
	assert_string_equal(s, "/var/lib/te");
	assert_int_equal(te_config_get_uint(cfg, hsm, "soft.max_keys", 1, 1000, &u), TE_OK);
	assert_int_equal(u, 128);
	assert_int_equal(te_config_get_bool(cfg, NULL, "hsm.soft.strict", &b), TE_OK);
	assert_int_equal(b, 1);

	/* Absent: NOT_FOUND, outputs untouched, full key in the detail. */
	s = "unchanged";
	assert_int_equal(te_config_get_str(cfg, hsm, "soft.nope", &s), TE_ERR_NOT_FOUND);
	assert_string_equal(s, "unchanged");
	assert_non_null(strstr(te_err_detail(), "hsm.soft.nope"));
	assert_int_equal(te_config_get_uint(cfg, NULL, "x", 0, 9, &u), TE_ERR_NOT_FOUND);
	assert_int_equal(u, 128);
	assert_int_equal(te_config_get_bool(cfg, NULL, "x", &b), TE_ERR_NOT_FOUND);
	assert_int_equal(b, 1);

	/* Wrong kind. */
	assert_int_equal(te_config_get_str(cfg, NULL, "hsm.soft", &s), TE_ERR_CONFIG);
	assert_string_equal(te_err_detail(), "test.yaml:4: hsm.soft: expected a string, found a mapping");
	assert_int_equal(te_config_get_bool(cfg, NULL, "modules", &b), TE_ERR_CONFIG);
	assert_string_equal(te_err_detail(), "test.yaml:8: modules: expected a boolean, found a list");
	te_config_free(cfg);
}

static void test_error_names_file_line_and_key(void **state)
{
	te_config *cfg = parse_ok(sample);
	const te_config_node *n = te_config_find(te_config_root(cfg), "hsm.backend");
	uint64_t u = 7;

	(void)state;
	assert_int_equal(te_config_get_uint(cfg, NULL, "hsm.backend", 0, 10, &u), TE_ERR_CONFIG);
	assert_string_equal(te_err_detail(),
			    "test.yaml:3: hsm.backend: expected an unsigned decimal number");
	assert_int_equal(u, 7);
	assert_int_equal(te_config_error(cfg, n, TE_ERR_UNSUPPORTED, "unknown backend '%s'",
					 te_config_node_scalar(n)),
			 TE_ERR_UNSUPPORTED);
	assert_string_equal(te_err_detail(), "test.yaml:3: hsm.backend: unknown backend 'soft'");
	te_config_free(cfg);
}

static void test_bool_words(void **state)
{
	static const struct {
		const char *text;
		int want;
	} words[] = {
		{"true", 1}, {"True", 1}, {"YES", 1},  {"on", 1},  {"On", 1},
		{"false", 0}, {"FALSE", 0}, {"no", 0}, {"off", 0}, {"OFF", 0},
	};
	static const char *const bad[] = {"maybe", "1", "0", "y", "n", "\"\"", "truex", "'on '"};

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char text[64];
		te_config *cfg;
		int b = -1;

		snprintf(text, sizeof(text), "flag: %s\n", words[i].text);
		cfg = parse_ok(text);
		assert_int_equal(te_config_get_bool(cfg, NULL, "flag", &b), TE_OK);
		assert_int_equal(b, words[i].want);
		te_config_free(cfg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[64];
		te_config *cfg;
		int b = -1;

		snprintf(text, sizeof(text), "a: 1\nflag: %s\n", bad[i]);
		cfg = parse_ok(text);
		if (te_config_get_bool(cfg, NULL, "flag", &b) != TE_ERR_CONFIG)
			fail_msg("'%s' accepted as a boolean", bad[i]);
		assert_int_equal(b, -1);
		assert_true(strncmp(te_err_detail(), "test.yaml:2: flag: ", 19) == 0);
		te_config_free(cfg);
	}
}

static void test_uint_parsing(void **state)
{
	static const struct {
		const char *text;
		uint64_t min, max;
		te_err want;
		uint64_t value;
	} cases[] = {
		{"0", 0, 10, TE_OK, 0},
		{"10", 0, 10, TE_OK, 10},
		{"11", 0, 10, TE_ERR_CONFIG, 0},
		{"4", 5, 10, TE_ERR_CONFIG, 0},
		{"18446744073709551615", 0, UINT64_MAX, TE_OK, UINT64_MAX},
		{"18446744073709551616", 0, UINT64_MAX, TE_ERR_CONFIG, 0},
		{"99999999999999999999999", 0, UINT64_MAX, TE_ERR_CONFIG, 0},
		{"-1", 0, 10, TE_ERR_CONFIG, 0},
		{"+1", 0, 10, TE_ERR_CONFIG, 0},
		{"0x10", 0, 100, TE_ERR_CONFIG, 0},
		{"010", 0, 100, TE_ERR_CONFIG, 0},
		{"1e3", 0, 10000, TE_ERR_CONFIG, 0},
		{"1.0", 0, 10, TE_ERR_CONFIG, 0},
		{"1_000", 0, 10000, TE_ERR_CONFIG, 0},
		{"\" 5\"", 0, 10, TE_ERR_CONFIG, 0},
		{"\"\"", 0, 10, TE_ERR_CONFIG, 0},
		{"\"7\"", 0, 10, TE_OK, 7},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[96];
		te_config *cfg;
		uint64_t u = 4242;
		te_err rc;

		snprintf(text, sizeof(text), "n: %s\n", cases[i].text);
		cfg = parse_ok(text);
		rc = te_config_get_uint(cfg, NULL, "n", cases[i].min, cases[i].max, &u);
		if (rc != cases[i].want)
			fail_msg("'%s': got %s (%s)", cases[i].text, te_err_name(rc), te_err_detail());
		if (rc == TE_OK)
			assert_true(u == cases[i].value);
		else
			assert_true(u == 4242);
		te_config_free(cfg);
	}
}

static void test_uint_range_message(void **state)
{
	te_config *cfg = parse_ok("a:\n  n: 300\n");
	uint64_t u;

	(void)state;
	assert_int_equal(te_config_get_uint(cfg, NULL, "a.n", 1, 255, &u), TE_ERR_CONFIG);
	assert_string_equal(te_err_detail(), "test.yaml:2: a.n: number out of range (1..255)");
	te_config_free(cfg);
}

static void test_duplicate_key(void **state)
{
	(void)state;
	parse_refused("a:\n  b: 1\n  c: 2\n  b: 3\n", "test.yaml:4: a.b: duplicate key");
	parse_refused("{x: 1, x: 1}", "test.yaml:1: x: duplicate key");
}

static void test_anchors_aliases_tags_refused(void **state)
{
	(void)state;
	parse_refused("a: &x 1\nb: *x\n", "test.yaml:1: a: anchors");
	parse_refused("a: 1\nb: *x\n", "test.yaml:2: b: aliases");
	parse_refused("a: 1\n*x : 2\n", "test.yaml:2: aliases");
	parse_refused("a:\n  b: !!str 1\n", "test.yaml:2: a.b: tags");
	parse_refused("a: !custom\n  b: 1\n", "test.yaml:1: a: tags");
	parse_refused("list:\n  - !!int 3\n", "test.yaml:2: list[0]: tags");
	parse_refused("&root\na: 1\n", "test.yaml:1: anchors");
}

static void test_structure_refused(void **state)
{
	(void)state;
	parse_refused("- a\n- b\n", "test.yaml:1: the top level must be a mapping");
	parse_refused("just text\n", "test.yaml:1: the top level must be a mapping");
	parse_refused("a: 1\n---\nb: 2\n", "test.yaml:2: only one YAML document");
	parse_refused("? [a, b]\n: 1\n", "test.yaml:1: mapping keys must be plain strings");
	parse_refused("a:\n  {x: 1}: 2\n", "test.yaml:2: a: mapping keys must be plain strings");
	parse_refused("a: \"x\\0y\"\n", "test.yaml:1: a: NUL character");
	parse_refused("\"\": 1\n", "test.yaml:1: empty key");
}

static void test_syntax_error_reports_line(void **state)
{
	(void)state;
	parse_refused("a: 1\nb: 2\n  c: 3\n", "test.yaml:3: ");
	parse_refused("a: 1\nb: [1, 2\nc: 3\n", "test.yaml:");
	parse_refused("a: 1\nb: \"open\n", "test.yaml:");
	/* Bytes that are not UTF-8. */
	parse_refused("a: 1\nb: \xff\xfe\n", "test.yaml:2: ");
}

static void test_empty_documents(void **state)
{
	static const char *const empties[] = {"", "\n", "# only a comment\n", "---\n", "---\n...\n"};

	(void)state;
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		te_config *cfg = parse_ok(empties[i]);
		const te_config_node *root = te_config_root(cfg);

		assert_non_null(root);
		assert_int_equal(te_config_node_kind(root), TE_CONFIG_MAP);
		assert_int_equal(te_config_node_count(root), 0);
		assert_string_equal(te_config_node_path(root), "");
		te_config_free(cfg);
	}
}

/* Text of `maps` nested flow mappings, innermost holding x: 1. */
static char *nested_maps(int maps)
{
	size_t cap = (size_t)maps * 8 + 16, len;
	char *s = malloc(cap);

	assert_non_null(s);
	len = 0;
	for (int i = 1; i < maps; i++)
		len += (size_t)snprintf(s + len, cap - len, "a: {");
	len += (size_t)snprintf(s + len, cap - len, "x: 1");
	for (int i = 1; i < maps; i++)
		len += (size_t)snprintf(s + len, cap - len, "}");
	return s;
}

/* "l: [0,0,...]" with n items. */
static char *flow_list(int n)
{
	size_t cap = (size_t)n * 2 + 16, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	len += (size_t)snprintf(s, cap, "l: [0");
	for (int i = 1; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, ",0");
	snprintf(s + len, cap - len, "]\n");
	return s;
}

static void test_limits(void **state)
{
	char *text;
	te_config *cfg = NULL;

	(void)state;
	text = nested_maps(TE_CONFIG_MAX_DEPTH);
	te_config_free(parse_ok(text));
	free(text);
	text = nested_maps(TE_CONFIG_MAX_DEPTH + 1);
	parse_refused(text, "test.yaml:1: a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a: nested deeper");
	free(text);

	/* Root map + list + items: 9999 items is one node too many. */
	text = flow_list(TE_CONFIG_MAX_NODES - 2);
	te_config_free(parse_ok(text));
	free(text);
	text = flow_list(TE_CONFIG_MAX_NODES - 1);
	parse_refused(text, "test.yaml:1: l[9998]: more than 10000");
	free(text);

	text = calloc(1, (size_t)TE_CONFIG_MAX_BYTES + 2);
	assert_non_null(text);
	memset(text, '#', (size_t)TE_CONFIG_MAX_BYTES + 1);
	assert_int_equal(te_config_parse("big.yaml", text, (size_t)TE_CONFIG_MAX_BYTES + 1, &cfg),
			 TE_ERR_CONFIG);
	assert_null(cfg);
	assert_true(strncmp(te_err_detail(), "big.yaml: ", 10) == 0);
	/* At the limit it is fine (a comment-only file). */
	assert_int_equal(te_config_parse("big.yaml", text, TE_CONFIG_MAX_BYTES, &cfg), TE_OK);
	te_config_free(cfg);
	free(text);
}

static void test_load_from_file(void **state)
{
	char *dir = tu_tempdir("config");
	char *path = tu_path(dir, "trustedge.yaml");
	char *missing = tu_path(dir, "missing.yaml");
	char *bad = tu_path(dir, "bad.yaml");
	te_config *cfg = NULL;
	const char *s;

	(void)state;
	assert_int_equal(tu_write_file(path, sample, strlen(sample)), 0);
	assert_int_equal(te_config_load(path, &cfg), TE_OK);
	assert_int_equal(te_config_get_str(cfg, NULL, "modules", &s), TE_ERR_CONFIG);
	/* Errors name the file as given. */
	assert_true(strncmp(te_err_detail(), path, strlen(path)) == 0);
	te_config_free(cfg);
	cfg = NULL;

	assert_int_equal(te_config_load(missing, &cfg), TE_ERR_NOT_FOUND);
	assert_null(cfg);
	assert_non_null(strstr(te_err_detail(), missing));

	assert_int_equal(te_config_load(dir, &cfg), TE_ERR_IO);
	assert_non_null(strstr(te_err_detail(), dir));
	assert_null(cfg);

	assert_int_equal(tu_write_file(bad, "a: 1\na: 2\n", 10), 0);
	assert_int_equal(te_config_load(bad, &cfg), TE_ERR_CONFIG);
	assert_null(cfg);
	assert_true(strncmp(te_err_detail(), bad, strlen(bad)) == 0);
	assert_non_null(strstr(te_err_detail(), ":2: a: duplicate key"));

	free(path);
	free(missing);
	free(bad);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_lookup),
		cmocka_unit_test(test_typed_getters),
		cmocka_unit_test(test_error_names_file_line_and_key),
		cmocka_unit_test(test_bool_words),
		cmocka_unit_test(test_uint_parsing),
		cmocka_unit_test(test_uint_range_message),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_anchors_aliases_tags_refused),
		cmocka_unit_test(test_structure_refused),
		cmocka_unit_test(test_syntax_error_reports_line),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load_from_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
