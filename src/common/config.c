/*
 * config.c - owns the configuration tree: reading a YAML file with
 * libyaml's event parser into owned nodes that remember their line and
 * full dotted path, refusing the YAML features a config never needs
 * (anchors, aliases, tags, several documents), and the typed getters
 * whose errors name file, line and key.
 *
 * Input is bounded three ways (bytes, nesting depth, node count) and key
 * and path lengths are capped, so memory use stays proportional to the
 * file however it is crafted.
 */
#include "te_config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "trustedge/te_mem.h"

/* Keys are identifiers; paths repeat their ancestors' keys in every
 * node, so both are capped to keep a hostile file from multiplying
 * memory use. */
#define TE_CONFIG_MAX_KEY 128
#define TE_CONFIG_MAX_PATH 512
#define TE_CONFIG_MSG_MAX 384
#define TE_CONFIG_READ_CHUNK 4096

struct te_config_node {
	te_config_kind kind;
	unsigned line;
	char *key;    /* key in the parent map; NULL for the root and items */
	char *path;   /* full dotted path; "" for the root */
	char *scalar; /* text of a scalar; NULL for maps and sequences */
	te_config_node **children;
	size_t count;
	size_t cap;
};

struct te_config {
	char *name;
	te_config_node *root;
};

struct te_config_parser {
	yaml_parser_t yp;
	te_config *cfg;
	const char *text;
	size_t len;
	size_t nodes;
};

/* Fails the current function with a TE_ERR_CONFIG naming line and path. */
#define TE_CONFIG_ENSURE(cond, p, line, path, ...)                             \
	do {                                                                   \
		if (!(cond)) {                                                 \
			rc = te_config_fail((p)->cfg, (line), (path), __VA_ARGS__); \
			goto out;                                              \
		}                                                              \
	} while (0)

static const char *te_config_name(const te_config *cfg)
{
	return cfg != NULL && cfg->name != NULL ? cfg->name : "<config>";
}

/* Sets "FILE:LINE: PATH: message" (PATH omitted for the root, LINE when
 * unknown) and returns err. */
static te_err te_config_vset(const te_config *cfg, te_err err, unsigned line, const char *path,
			     const char *fmt, va_list ap) TE_PRINTF(5, 0);
static te_err te_config_vset(const te_config *cfg, te_err err, unsigned line, const char *path,
			     const char *fmt, va_list ap)
{
	char msg[TE_CONFIG_MSG_MAX];
	char where[32] = "";
	const char *sep = ": ";

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	if (line > 0)
		snprintf(where, sizeof(where), ":%u", line);
	if (path == NULL || path[0] == '\0')
		path = sep = "";
	return te_err_set(err, "%s%s: %s%s%s", te_config_name(cfg), where, path, sep, msg);
}

static te_err te_config_fail(const te_config *cfg, unsigned line, const char *path,
			     const char *fmt, ...) TE_PRINTF(4, 5);
static te_err te_config_fail(const te_config *cfg, unsigned line, const char *path,
			     const char *fmt, ...)
{
	va_list ap;
	te_err rc;

	va_start(ap, fmt);
	rc = te_config_vset(cfg, TE_ERR_CONFIG, line, path, fmt, ap);
	va_end(ap);
	return rc;
}

te_err te_config_error(const te_config *cfg, const te_config_node *node, te_err err,
		       const char *fmt, ...)
{
	va_list ap;
	te_err rc;

	va_start(ap, fmt);
	rc = te_config_vset(cfg, err, node != NULL ? node->line : 0,
			    node != NULL ? node->path : NULL, fmt, ap);
	va_end(ap);
	return rc;
}

static void te_config_node_free(te_config_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->count; i++)
		te_config_node_free(n->children[i]);
	free(n->children);
	/* Values may be PINs or tokens: wipe them like any secret. */
	if (n->scalar != NULL) {
		te_memzero(n->scalar, strlen(n->scalar));
		free(n->scalar);
	}
	free(n->key);
	free(n->path);
	free(n);
}

void te_config_free(te_config *cfg)
{
	if (cfg == NULL)
		return;
	te_config_node_free(cfg->root);
	free(cfg->name);
	free(cfg);
}

static te_err te_config_node_new(struct te_config_parser *p, te_config_kind kind, unsigned line,
				 const char *path, te_config_node **out)
{
	te_err rc = TE_OK;
	te_config_node *n = NULL;

	TE_CONFIG_ENSURE(p->nodes < TE_CONFIG_MAX_NODES, p, line, path,
			 "more than %d values in the file", TE_CONFIG_MAX_NODES);
	n = calloc(1, sizeof(*n));
	TE_GUARD_PTR(n, TE_ERR_NO_MEMORY, "out of memory for a config node");
	n->path = strdup(path);
	TE_GUARD_PTR(n->path, TE_ERR_NO_MEMORY, "out of memory for a config path");
	n->kind = kind;
	n->line = line;
	p->nodes++;
	*out = n;
	n = NULL;
out:
	te_config_node_free(n);
	return rc;
}

static te_err te_config_node_add(te_config_node *parent, te_config_node *child)
{
	te_err rc = TE_OK;

	if (parent->count == parent->cap) {
		/* count is bounded by TE_CONFIG_MAX_NODES, so this cannot wrap. */
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		te_config_node **c = realloc(parent->children, cap * sizeof(*c));
		TE_GUARD_PTR(c, TE_ERR_NO_MEMORY, "out of memory for config children");
		parent->children = c;
		parent->cap = cap;
	}
	parent->children[parent->count++] = child;
out:
	return rc;
}

/* Turns libyaml's error into "FILE:LINE: problem (context)". */
static te_err te_config_syntax_error(const struct te_config_parser *p)
{
	const yaml_parser_t *yp = &p->yp;
	const char *problem = yp->problem != NULL ? yp->problem : "syntax error";
	size_t line = yp->problem_mark.line + 1;

	if (yp->error == YAML_MEMORY_ERROR)
		return te_err_set(TE_ERR_NO_MEMORY, "%s: out of memory while parsing",
				  te_config_name(p->cfg));
	if (yp->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark. */
		size_t end = yp->problem_offset < p->len ? yp->problem_offset : p->len;
		line = 1;
		for (size_t i = 0; i < end; i++)
			line += p->text[i] == '\n';
	}
	if (yp->context != NULL)
		return te_err_set(TE_ERR_CONFIG, "%s:%zu: %s (%s)", te_config_name(p->cfg), line,
				  problem, yp->context);
	return te_err_set(TE_ERR_CONFIG, "%s:%zu: %s", te_config_name(p->cfg), line, problem);
}

/* Fetches the next event into *ev, releasing the one it held. */
static te_err te_config_next(struct te_config_parser *p, yaml_event_t *ev, int *have)
{
	if (*have) {
		yaml_event_delete(ev);
		*have = 0;
	}
	if (!yaml_parser_parse(&p->yp, ev))
		return te_config_syntax_error(p);
	*have = 1;
	return TE_OK;
}

static unsigned te_config_event_line(const yaml_event_t *ev)
{
	return (unsigned)ev->start_mark.line + 1;
}

/* Refuses aliases, anchors and explicit tags on a node event. */
static te_err te_config_check_event(struct te_config_parser *p, const yaml_event_t *ev,
				    const char *path)
{
	te_err rc = TE_OK;
	unsigned line = te_config_event_line(ev);
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		TE_CONFIG_ENSURE(0, p, line, path, "aliases (*name) are not allowed");
		break;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		break;
	}
	TE_CONFIG_ENSURE(anchor == NULL, p, line, path, "anchors (&name) are not allowed");
	TE_CONFIG_ENSURE(tag == NULL, p, line, path, "tags (!tag) are not allowed");
out:
	return rc;
}

/* Joins a parent path and a key or index into a new path. */
static te_err te_config_path_join(struct te_config_parser *p, unsigned line, const char *parent,
				  const char *key, size_t index, char **out)
{
	te_err rc = TE_OK;
	char buf[TE_CONFIG_MAX_PATH + 1];
	int n;

	if (key == NULL)
		n = snprintf(buf, sizeof(buf), "%s[%zu]", parent, index);
	else
		n = snprintf(buf, sizeof(buf), "%s%s%s", parent, parent[0] ? "." : "", key);
	TE_CONFIG_ENSURE(n >= 0 && (size_t)n <= TE_CONFIG_MAX_PATH, p, line, parent,
			 "key path longer than %d bytes", TE_CONFIG_MAX_PATH);
	*out = strdup(buf);
	TE_GUARD_PTR(*out, TE_ERR_NO_MEMORY, "out of memory for a config path");
out:
	return rc;
}

static te_err te_config_parse_node(struct te_config_parser *p, const yaml_event_t *ev,
				   const char *path, unsigned depth, te_config_node **out);

static te_err te_config_parse_scalar(struct te_config_parser *p, const yaml_event_t *ev,
				     const char *path, te_config_node **out)
{
	te_err rc = TE_OK;
	te_config_node *n = NULL;
	unsigned line = te_config_event_line(ev);
	size_t len = ev->data.scalar.length;

	/* A NUL would silently cut the value everywhere it is used as a
	 * C string. */
	TE_CONFIG_ENSURE(memchr(ev->data.scalar.value, 0, len) == NULL, p, line, path,
			 "NUL character in value");
	TE_GUARD(te_config_node_new(p, TE_CONFIG_SCALAR, line, path, &n));
	n->scalar = malloc(len + 1);
	TE_GUARD_PTR(n->scalar, TE_ERR_NO_MEMORY, "out of memory for a config value");
	memcpy(n->scalar, ev->data.scalar.value, len);
	n->scalar[len] = '\0';
	*out = n;
	n = NULL;
out:
	te_config_node_free(n);
	return rc;
}

static te_err te_config_parse_seq(struct te_config_parser *p, te_config_node *seq,
				  unsigned depth)
{
	te_err rc = TE_OK;
	yaml_event_t ev;
	int have = 0;
	char *path = NULL;
	te_config_node *child = NULL;

	for (;;) {
		TE_GUARD(te_config_next(p, &ev, &have));
		if (ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		TE_GUARD(te_config_path_join(p, te_config_event_line(&ev), seq->path, NULL,
					     seq->count, &path));
		TE_GUARD(te_config_parse_node(p, &ev, path, depth + 1, &child));
		TE_GUARD(te_config_node_add(seq, child));
		child = NULL;
		free(path);
		path = NULL;
	}
out:
	if (have)
		yaml_event_delete(&ev);
	te_config_node_free(child);
	free(path);
	return rc;
}

/* Checks a map key event and returns a copy of its text. */
static te_err te_config_map_key(struct te_config_parser *p, const te_config_node *map,
				const yaml_event_t *ev, char **out)
{
	te_err rc = TE_OK;
	unsigned line = te_config_event_line(ev);
	const char *key;
	size_t len;

	TE_CONFIG_ENSURE(ev->type != YAML_ALIAS_EVENT, p, line, map->path,
			 "aliases (*name) are not allowed");
	TE_CONFIG_ENSURE(ev->type == YAML_SCALAR_EVENT, p, line, map->path,
			 "mapping keys must be plain strings");
	TE_GUARD(te_config_check_event(p, ev, map->path));
	key = (const char *)ev->data.scalar.value;
	len = ev->data.scalar.length;
	TE_CONFIG_ENSURE(len > 0, p, line, map->path, "empty key");
	TE_CONFIG_ENSURE(len <= TE_CONFIG_MAX_KEY, p, line, map->path,
			 "key longer than %d bytes", TE_CONFIG_MAX_KEY);
	TE_CONFIG_ENSURE(memchr(key, 0, len) == NULL, p, line, map->path, "NUL character in key");
	for (size_t i = 0; i < map->count; i++)
		TE_CONFIG_ENSURE(strcmp(map->children[i]->key, key) != 0, p, line,
				 map->children[i]->path, "duplicate key (first set on line %u)",
				 map->children[i]->line);
	*out = strndup(key, len);
	TE_GUARD_PTR(*out, TE_ERR_NO_MEMORY, "out of memory for a config key");
out:
	return rc;
}

static te_err te_config_parse_map(struct te_config_parser *p, te_config_node *map,
				  unsigned depth)
{
	te_err rc = TE_OK;
	yaml_event_t ev;
	int have = 0;
	char *key = NULL, *path = NULL;
	te_config_node *child = NULL;
	unsigned key_line;

	for (;;) {
		TE_GUARD(te_config_next(p, &ev, &have));
		if (ev.type == YAML_MAPPING_END_EVENT)
			break;
		TE_GUARD(te_config_map_key(p, map, &ev, &key));
		key_line = te_config_event_line(&ev);
		TE_GUARD(te_config_path_join(p, key_line, map->path, key, 0, &path));
		TE_GUARD(te_config_next(p, &ev, &have));
		TE_GUARD(te_config_parse_node(p, &ev, path, depth + 1, &child));
		/* A block collection's events start at its first entry; the
		 * line a person looks for in an error is the key's. */
		if (child->kind != TE_CONFIG_SCALAR)
			child->line = key_line;
		child->key = key;
		key = NULL;
		TE_GUARD(te_config_node_add(map, child));
		child = NULL;
		free(path);
		path = NULL;
	}
out:
	if (have)
		yaml_event_delete(&ev);
	te_config_node_free(child);
	free(key);
	free(path);
	return rc;
}

/* Builds the node that starts with ev (owned by the caller) and, for
 * collections, everything up to its end event. */
static te_err te_config_parse_node(struct te_config_parser *p, const yaml_event_t *ev,
				   const char *path, unsigned depth, te_config_node **out)
{
	te_err rc = TE_OK;
	te_config_node *n = NULL;
	unsigned line = te_config_event_line(ev);

	TE_GUARD(te_config_check_event(p, ev, path));
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		TE_GUARD(te_config_parse_scalar(p, ev, path, &n));
		break;
	case YAML_SEQUENCE_START_EVENT:
		TE_CONFIG_ENSURE(depth <= TE_CONFIG_MAX_DEPTH, p, line, path,
				 "nested deeper than %d levels", TE_CONFIG_MAX_DEPTH);
		TE_GUARD(te_config_node_new(p, TE_CONFIG_SEQ, line, path, &n));
		TE_GUARD(te_config_parse_seq(p, n, depth));
		break;
	case YAML_MAPPING_START_EVENT:
		TE_CONFIG_ENSURE(depth <= TE_CONFIG_MAX_DEPTH, p, line, path,
				 "nested deeper than %d levels", TE_CONFIG_MAX_DEPTH);
		TE_GUARD(te_config_node_new(p, TE_CONFIG_MAP, line, path, &n));
		TE_GUARD(te_config_parse_map(p, n, depth));
		break;
	default:
		/* libyaml only yields node events here; anything else is ours. */
		rc = te_err_set(TE_ERR_INTERNAL, "%s:%u: unexpected YAML event %d",
				te_config_name(p->cfg), line, (int)ev->type);
		goto out;
	}
	*out = n;
	n = NULL;
out:
	te_config_node_free(n);
	return rc;
}

/* The one document of the stream; an empty stream or document is an
 * empty map. */
static te_err te_config_parse_stream(struct te_config_parser *p)
{
	te_err rc = TE_OK;
	yaml_event_t ev;
	int have = 0;
	unsigned line;

	TE_GUARD(te_config_next(p, &ev, &have)); /* STREAM-START */
	TE_GUARD(te_config_next(p, &ev, &have));
	if (ev.type == YAML_STREAM_END_EVENT) {
		TE_GUARD(te_config_node_new(p, TE_CONFIG_MAP, 1, "", &p->cfg->root));
		goto out;
	}
	TE_GUARD(te_config_next(p, &ev, &have)); /* past DOCUMENT-START */
	line = te_config_event_line(&ev);
	TE_GUARD(te_config_check_event(p, &ev, ""));
	if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0 &&
	    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		TE_GUARD(te_config_node_new(p, TE_CONFIG_MAP, line, "", &p->cfg->root));
	} else {
		TE_CONFIG_ENSURE(ev.type == YAML_MAPPING_START_EVENT, p, line, "",
				 "the top level must be a mapping of keys to values");
		TE_GUARD(te_config_parse_node(p, &ev, "", 1, &p->cfg->root));
	}
	TE_GUARD(te_config_next(p, &ev, &have)); /* DOCUMENT-END */
	TE_GUARD(te_config_next(p, &ev, &have));
	TE_CONFIG_ENSURE(ev.type == YAML_STREAM_END_EVENT, p, te_config_event_line(&ev), "",
			 "only one YAML document is allowed");
out:
	if (have)
		yaml_event_delete(&ev);
	return rc;
}

te_err te_config_parse(const char *name, const char *text, size_t len, te_config **out)
{
	te_err rc = TE_OK;
	struct te_config_parser p;
	te_config *cfg = NULL;
	int have_parser = 0;

	memset(&p, 0, sizeof(p));
	TE_ENSURE(text != NULL || len == 0, TE_ERR_INVALID_ARG, "config text missing");
	cfg = calloc(1, sizeof(*cfg));
	TE_GUARD_PTR(cfg, TE_ERR_NO_MEMORY, "out of memory for a config");
	cfg->name = strdup(name != NULL ? name : "<config>");
	TE_GUARD_PTR(cfg->name, TE_ERR_NO_MEMORY, "out of memory for a config");
	TE_ENSURE(len <= TE_CONFIG_MAX_BYTES, TE_ERR_CONFIG, "%s: larger than %u bytes", cfg->name,
		  TE_CONFIG_MAX_BYTES);
	TE_ENSURE(yaml_parser_initialize(&p.yp), TE_ERR_NO_MEMORY, "out of memory for libyaml");
	have_parser = 1;
	p.cfg = cfg;
	p.text = text != NULL ? text : "";
	p.len = len;
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)p.text, len);
	TE_GUARD(te_config_parse_stream(&p));
	*out = cfg;
	cfg = NULL;
out:
	if (have_parser)
		yaml_parser_delete(&p.yp);
	te_config_free(cfg);
	return rc;
}

/* Reads at most TE_CONFIG_MAX_BYTES + 1 bytes of fd into b. */
static te_err te_config_read_fd(int fd, const char *path, te_buf *b)
{
	te_err rc = TE_OK;

	for (;;) {
		ssize_t r;

		TE_ENSURE(b->len <= TE_CONFIG_MAX_BYTES, TE_ERR_CONFIG, "%s: larger than %u bytes",
			  path, TE_CONFIG_MAX_BYTES);
		TE_GUARD(te_buf_reserve(b, TE_CONFIG_READ_CHUNK));
		r = read(fd, b->data + b->len, TE_CONFIG_READ_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		TE_ENSURE(r >= 0, TE_ERR_IO, "cannot read config file '%s': %s", path,
			  strerror(errno));
		if (r == 0)
			break;
		b->len += (size_t)r;
	}
out:
	return rc;
}

te_err te_config_load(const char *path, te_config **out)
{
	te_err rc = TE_OK;
	te_buf b;
	int fd;

	te_buf_init(&b, 0);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return te_err_set(TE_ERR_NOT_FOUND, "config file '%s' does not exist", path);
	if (fd < 0)
		return te_err_set(TE_ERR_IO, "cannot open config file '%s': %s", path,
				  strerror(errno));
	TE_GUARD(te_config_read_fd(fd, path, &b));
	TE_GUARD(te_config_parse(path, (const char *)b.data, b.len, out));
out:
	close(fd);
	te_buf_free(&b);
	return rc;
}

const te_config_node *te_config_root(const te_config *cfg)
{
	return cfg != NULL ? cfg->root : NULL;
}

const te_config_node *te_config_find(const te_config_node *node, const char *path)
{
	const char *seg = path;

	if (node == NULL || path == NULL)
		return NULL;
	if (path[0] == '\0')
		return node;
	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t n = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
		const te_config_node *next = NULL;

		if (n == 0 || node->kind != TE_CONFIG_MAP)
			return NULL;
		for (size_t i = 0; i < node->count && next == NULL; i++) {
			const char *key = node->children[i]->key;
			if (strncmp(key, seg, n) == 0 && key[n] == '\0')
				next = node->children[i];
		}
		if (next == NULL)
			return NULL;
		if (dot == NULL)
			return next;
		node = next;
		seg = dot + 1;
	}
}

te_config_kind te_config_node_kind(const te_config_node *node)
{
	return node->kind;
}

const char *te_config_node_scalar(const te_config_node *node)
{
	return node != NULL ? node->scalar : NULL;
}

unsigned te_config_node_line(const te_config_node *node)
{
	return node != NULL ? node->line : 0;
}

const char *te_config_node_path(const te_config_node *node)
{
	return node != NULL ? node->path : "";
}

size_t te_config_node_count(const te_config_node *node)
{
	return node != NULL && node->kind != TE_CONFIG_SCALAR ? node->count : 0;
}

const te_config_node *te_config_node_child(const te_config_node *node, size_t i,
					   const char **key)
{
	const te_config_node *child;

	if (node == NULL || i >= node->count)
		return NULL;
	child = node->children[i];
	if (key != NULL)
		*key = node->kind == TE_CONFIG_MAP ? child->key : NULL;
	return child;
}

static const char *te_config_kind_name(te_config_kind kind)
{
	switch (kind) {
	case TE_CONFIG_SCALAR:
		return "a single value";
	case TE_CONFIG_MAP:
		return "a mapping";
	case TE_CONFIG_SEQ:
		return "a list";
	default:
		return "an unknown node";
	}
}

/* Finds path below node (root when node is NULL) for a getter, or sets
 * TE_ERR_NOT_FOUND naming the full key. */
static te_err te_config_lookup(const te_config *cfg, const te_config_node *node,
			       const char *path, const te_config_node **out)
{
	const te_config_node *n = NULL;
	const char *base;

	if (node == NULL)
		node = cfg->root;
	if (path == NULL)
		path = "";
	n = te_config_find(node, path);
	if (n != NULL) {
		*out = n;
		return TE_OK;
	}
	base = te_config_node_path(node);
	return te_err_set(TE_ERR_NOT_FOUND, "%s: %s%s%s: not set", te_config_name(cfg), base,
			  base[0] != '\0' && path[0] != '\0' ? "." : "", path);
}

/* Finds a scalar for a getter; TE_ERR_CONFIG when it is a map or list. */
static te_err te_config_lookup_scalar(const te_config *cfg, const te_config_node *node,
				      const char *path, const char *what,
				      const te_config_node **out)
{
	te_err rc = TE_OK;
	const te_config_node *n = NULL;

	TE_GUARD(te_config_lookup(cfg, node, path, &n));
	if (n->kind != TE_CONFIG_SCALAR) {
		rc = te_config_error(cfg, n, TE_ERR_CONFIG, "expected %s, found %s", what,
				     te_config_kind_name(n->kind));
		goto out;
	}
	*out = n;
out:
	return rc;
}

te_err te_config_get_str(const te_config *cfg, const te_config_node *node, const char *path,
			 const char **out)
{
	te_err rc = TE_OK;
	const te_config_node *n = NULL;

	TE_GUARD(te_config_lookup_scalar(cfg, node, path, "a string", &n));
	*out = n->scalar;
out:
	return rc;
}

te_err te_config_get_bool(const te_config *cfg, const te_config_node *node, const char *path,
			  int *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	te_err rc = TE_OK;
	const te_config_node *n = NULL;

	TE_GUARD(te_config_lookup_scalar(cfg, node, path, "a boolean", &n));
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(n->scalar, yes[i]) == 0) {
			*out = 1;
			goto out;
		}
		if (strcasecmp(n->scalar, no[i]) == 0) {
			*out = 0;
			goto out;
		}
	}
	/* The value itself is not echoed: it could be a misplaced secret. */
	rc = te_config_error(cfg, n, TE_ERR_CONFIG,
			     "expected a boolean (true/false, yes/no, on/off)");
out:
	return rc;
}

/* Outcome of reading a decimal number. */
enum te_config_num {
	TE_CONFIG_NUM_OK,
	TE_CONFIG_NUM_BAD,
	TE_CONFIG_NUM_ZERO, /* leading zero */
	TE_CONFIG_NUM_BIG,
};

static enum te_config_num te_config_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s))
		return TE_CONFIG_NUM_BAD;
	/* YAML 1.1 reads 0600 as octal; refuse rather than guess. */
	if (s[0] == '0' && s[1] != '\0')
		return TE_CONFIG_NUM_ZERO;
	for (const char *c = s; *c != '\0'; c++) {
		unsigned d = (unsigned)(*c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return TE_CONFIG_NUM_BIG;
		v = v * 10 + d;
	}
	*out = v;
	return TE_CONFIG_NUM_OK;
}

te_err te_config_get_uint(const te_config *cfg, const te_config_node *node, const char *path,
			  uint64_t min, uint64_t max, uint64_t *out)
{
	te_err rc = TE_OK;
	const te_config_node *n = NULL;
	enum te_config_num num;
	uint64_t v = 0;

	TE_GUARD(te_config_lookup_scalar(cfg, node, path, "a number", &n));
	num = te_config_parse_u64(n->scalar, &v);
	if (num == TE_CONFIG_NUM_ZERO) {
		rc = te_config_error(cfg, n, TE_ERR_CONFIG,
				     "leading zeros are not allowed (numbers are decimal)");
		goto out;
	}
	if (num == TE_CONFIG_NUM_BAD) {
		rc = te_config_error(cfg, n, TE_ERR_CONFIG, "expected an unsigned decimal number");
		goto out;
	}
	if (num == TE_CONFIG_NUM_BIG || v < min || v > max) {
		rc = te_config_error(cfg, n, TE_ERR_CONFIG,
				     "number out of range (%" PRIu64 "..%" PRIu64 ")", min, max);
		goto out;
	}
	*out = v;
out:
	return rc;
}
