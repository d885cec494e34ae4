/*
 * edl_parse.c - owns the EDL grammar and imports.
 *
 * A recursive-descent parser over the token array of one file builds that
 * file's model: its includes, types and functions, with the models of the
 * files it imports merged in where their "from ... import" stands.  Each
 * file is parsed once per run (keyed by its canonical identity), so a file
 * imported twice, directly and through another EDL, adds its functions
 * once; a file imported while it is still being parsed is a cycle.
 *
 * The merged order - imports where they stand, then each file's own
 * declarations in order - is the function id order both sides use.
 */
#include "edl_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TE_PF_PARSING = 1, TE_PF_DONE = 2 };

/* One parsed file and what it contributes (its own and imported). */
struct te_edl_pfile {
	const char *canon;
	const char *display;
	int state;
	struct te_edl m;
	size_t cap_inc;
	size_t cap_types;
	size_t cap_tr;
	size_t cap_un;
};

struct te_edl_parser {
	const struct te_edl_opts *opts;
	struct te_edl_arena *arena;
	struct te_edl_pfile **files;
	size_t nfiles;
	size_t cap_files;
	struct te_edl_pfile *stack[TE_EDL_MAX_IMPORT + 1];
	size_t depth;
	char *err;
	size_t errlen;
};

/* The cursor over one file's tokens. */
struct te_edl_ps {
	struct te_edl_parser *p;
	struct te_edl_pfile *f;
	const struct te_edl_tok *toks;
	size_t ntoks;
	size_t i;
};

static int parse_file(struct te_edl_parser *p, const char *display, const char *canon, char *data,
                      size_t len, struct te_edl_pfile **out);

static int ps_error(struct te_edl_ps *ps, const struct te_edl_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ps_error(struct te_edl_ps *ps, const struct te_edl_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	te_edl_verrorf(ps->p->err, ps->p->errlen, loc, fmt, ap);
	va_end(ap);
	return -1;
}

static void ps_warn(struct te_edl_ps *ps, const struct te_edl_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ps_warn(struct te_edl_ps *ps, const struct te_edl_loc *loc, const char *fmt, ...)
{
	char body[TE_EDL_ERR_LEN], msg[2 * TE_EDL_ERR_LEN + 64];
	va_list ap;

	if (!ps->p->opts->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s:%u:%u: warning: %s", loc->file, loc->line, loc->col, body);
	ps->p->opts->warn(ps->p->opts->warn_ctx, msg);
}

static const struct te_edl_tok *cur(const struct te_edl_ps *ps)
{
	return &ps->toks[ps->i];
}

static const struct te_edl_tok *peek2(const struct te_edl_ps *ps)
{
	return ps->i + 1 < ps->ntoks ? &ps->toks[ps->i + 1] : &ps->toks[ps->ntoks - 1];
}

static void advance(struct te_edl_ps *ps)
{
	if (ps->toks[ps->i].kind != TE_TOK_EOF)
		ps->i++;
}

static bool is_punct(const struct te_edl_tok *t, char c)
{
	return t->kind == TE_TOK_PUNCT && t->text[0] == c;
}

static bool is_word(const struct te_edl_tok *t, const char *w)
{
	return t->kind == TE_TOK_IDENT && strcmp(t->text, w) == 0;
}

/* A token as error messages name it: 'x', a string, end of file. */
static const char *describe(const struct te_edl_tok *t, char *buf, size_t len)
{
	switch (t->kind) {
	case TE_TOK_EOF:
		return "end of file";
	case TE_TOK_STR:
		return "a string";
	default:
		snprintf(buf, len, "'%s'", t->text);
		return buf;
	}
}

#define DESCRIBE(t) describe((t), (char[TE_EDL_MAX_IDENT + 8]){0}, TE_EDL_MAX_IDENT + 8)

static int expect_punct(struct te_edl_ps *ps, char c)
{
	const struct te_edl_tok *t = cur(ps);

	if (!is_punct(t, c)) {
		if (t->kind == TE_TOK_EOF)
			return ps_error(ps, &t->loc, "expected '%c' but found end of file", c);
		return ps_error(ps, &t->loc, "expected '%c' but found %s", c, DESCRIBE(t));
	}
	advance(ps);
	return 0;
}

static void skip_semicolon(struct te_edl_ps *ps)
{
	if (is_punct(cur(ps), ';'))
		advance(ps);
}

/* A name that is not a C or C++ keyword. */
static int expect_name(struct te_edl_ps *ps, const char *what, const char **name,
                       struct te_edl_loc *loc)
{
	const struct te_edl_tok *t = cur(ps);

	if (t->kind != TE_TOK_IDENT) {
		if (t->kind == TE_TOK_EOF)
			return ps_error(ps, &t->loc, "expected %s but found end of file", what);
		return ps_error(ps, &t->loc, "expected %s but found %s", what, DESCRIBE(t));
	}
	if (te_edl_is_c_keyword(t->text))
		return ps_error(ps, &t->loc, "'%s' is a keyword, not %s", t->text, what);
	*name = t->text;
	if (loc)
		*loc = t->loc;
	advance(ps);
	return 0;
}

/* ---- types ---- */

struct te_edl_builtin {
	const char *name;
	enum te_edl_kind kind;
	bool is_signed;
};

static const struct te_edl_builtin builtins[] = {
    {"void", TE_EDL_VOID, false},    {"bool", TE_EDL_BOOL, false},
    {"size_t", TE_EDL_INT, false},   {"ssize_t", TE_EDL_INT, true},
    {"int8_t", TE_EDL_INT, true},    {"int16_t", TE_EDL_INT, true},
    {"int32_t", TE_EDL_INT, true},   {"int64_t", TE_EDL_INT, true},
    {"uint8_t", TE_EDL_INT, false},  {"uint16_t", TE_EDL_INT, false},
    {"uint32_t", TE_EDL_INT, false}, {"uint64_t", TE_EDL_INT, false},
    {"intptr_t", TE_EDL_INT, true},  {"uintptr_t", TE_EDL_INT, false},
    {"wchar_t", TE_EDL_INT, true},
};

static bool is_specifier(const struct te_edl_tok *t)
{
	static const char *const spec[] = {"signed", "unsigned", "char",  "short",
	                                   "int",    "long",     "float", "double"};

	if (t->kind != TE_TOK_IDENT)
		return false;
	for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++)
		if (strcmp(t->text, spec[i]) == 0)
			return true;
	return false;
}

/* signed/unsigned/char/short/int/long/float/double in any valid mix. */
static int parse_specifiers(struct te_edl_ps *ps, struct te_edl_type *ty)
{
	struct te_edl_loc at = cur(ps)->loc;
	unsigned sgn = 0, uns = 0, ch = 0, sh = 0, in = 0, lo = 0, fl = 0, db = 0;

	while (is_specifier(cur(ps))) {
		const char *w = cur(ps)->text;
		if (strcmp(w, "signed") == 0)
			sgn++;
		else if (strcmp(w, "unsigned") == 0)
			uns++;
		else if (strcmp(w, "char") == 0)
			ch++;
		else if (strcmp(w, "short") == 0)
			sh++;
		else if (strcmp(w, "int") == 0)
			in++;
		else if (strcmp(w, "long") == 0)
			lo++;
		else if (strcmp(w, "float") == 0)
			fl++;
		else
			db++;
		advance(ps);
	}
	if (sgn + uns > 1 || ch + sh + fl + db > 1 || in > 1 || lo > 2)
		return ps_error(ps, &at, "invalid combination of type specifiers");
	ty->kind = TE_EDL_INT;
	ty->is_signed = uns == 0;
	if (fl || db) {
		if (sgn || uns || in || (fl && lo) || lo > 1)
			return ps_error(ps, &at, "invalid combination of type specifiers");
		ty->kind = TE_EDL_FLOAT;
		ty->is_signed = true;
		ty->name = fl ? "float" : lo ? "long double" : "double";
	} else if (ch) {
		if (in || lo)
			return ps_error(ps, &at, "invalid combination of type specifiers");
		ty->name = uns ? "unsigned char" : sgn ? "signed char" : "char";
	} else if (sh) {
		if (lo)
			return ps_error(ps, &at, "invalid combination of type specifiers");
		ty->name = uns ? "unsigned short" : "short";
	} else if (lo == 2) {
		ty->name = uns ? "unsigned long long" : "long long";
	} else if (lo == 1) {
		ty->name = uns ? "unsigned long" : "long";
	} else {
		ty->name = uns ? "unsigned int" : "int";
	}
	ty->tag = ty->name;
	return 0;
}

static int parse_type(struct te_edl_ps *ps, struct te_edl_type *ty)
{
	const struct te_edl_tok *t;
	struct te_edl_arena *a = ps->p->arena;

	memset(ty, 0, sizeof(*ty));
	if (is_word(cur(ps), "const")) {
		ty->is_const = true;
		advance(ps);
	}
	t = cur(ps);
	if (is_word(t, "struct") || is_word(t, "union") || is_word(t, "enum")) {
		const char *kw = t->text, *tag;
		ty->kind = kw[0] == 's' ? TE_EDL_STRUCT : kw[0] == 'u' ? TE_EDL_UNION : TE_EDL_ENUM;
		advance(ps);
		if (expect_name(ps, "a type name", &tag, NULL))
			return -1;
		size_t n = strlen(kw) + 1 + strlen(tag);
		char *full = te_edl_arena_alloc(a, n + 1, 1);
		if (!full)
			return ps_error(ps, &t->loc, "out of memory");
		snprintf(full, n + 1, "%s %s", kw, tag);
		ty->name = full;
		ty->tag = tag;
	} else if (is_specifier(t)) {
		if (parse_specifiers(ps, ty))
			return -1;
	} else if (t->kind == TE_TOK_IDENT) {
		size_t i;
		for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
			if (strcmp(t->text, builtins[i].name) == 0)
				break;
		if (i < sizeof(builtins) / sizeof(builtins[0])) {
			ty->kind = builtins[i].kind;
			ty->is_signed = builtins[i].is_signed;
			ty->name = builtins[i].name;
		} else if (te_edl_is_c_keyword(t->text)) {
			return ps_error(ps, &t->loc, "expected a type but found '%s'", t->text);
		} else {
			ty->kind = TE_EDL_USER;
			ty->name = t->text;
		}
		ty->tag = ty->name;
		advance(ps);
	} else {
		return ps_error(ps, &t->loc, "expected a type but found %s", DESCRIBE(t));
	}
	if (is_word(cur(ps), "const")) {
		ty->is_const = true;
		advance(ps);
	}
	while (is_punct(cur(ps), '*')) {
		if (ty->ptr >= 8)
			return ps_error(ps, &cur(ps)->loc, "too many '*'");
		ty->ptr++;
		advance(ps);
		if (is_word(cur(ps), "const"))
			return ps_error(ps, &cur(ps)->loc, "'const' after '*' is not supported");
	}
	return 0;
}

/* ---- attributes and declarations ---- */

static int parse_value(struct te_edl_ps *ps, const char *attr, struct te_edl_value *v)
{
	const struct te_edl_tok *t;

	if (expect_punct(ps, '='))
		return -1;
	t = cur(ps);
	v->loc = t->loc;
	v->ref = -1;
	if (t->kind == TE_TOK_NUM) {
		if (t->num > TE_EDL_MAX_LITERAL)
			return ps_error(ps, &t->loc, "%s value too large", attr);
		v->num = t->num;
		advance(ps);
		return 0;
	}
	if (t->kind == TE_TOK_IDENT) {
		v->name = t->text;
		advance(ps);
		return 0;
	}
	return ps_error(ps, &t->loc, "expected a number or a name after '%s='", attr);
}

static int parse_attrs(struct te_edl_ps *ps, struct te_edl_decl *d)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
	    {"in", TE_EDL_A_IN},
	    {"out", TE_EDL_A_OUT},
	    {"string", TE_EDL_A_STRING},
	    {"wstring", TE_EDL_A_WSTRING},
	    {"user_check", TE_EDL_A_USER_CHECK},
	    {"isptr", TE_EDL_A_ISPTR},
	    {"isary", TE_EDL_A_ISARY},
	    {"size", TE_EDL_A_SIZE},
	    {"count", TE_EDL_A_COUNT},
	};
	const struct te_edl_tok *t;
	size_t k;

	d->attr_loc = cur(ps)->loc;
	advance(ps); /* '[' */
	if (is_punct(cur(ps), ']'))
		return ps_error(ps, &cur(ps)->loc, "empty attribute list");
	for (;;) {
		t = cur(ps);
		if (t->kind != TE_TOK_IDENT)
			return ps_error(ps, &t->loc, "expected an attribute but found %s",
			                DESCRIBE(t));
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(t->text, known[k].name) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0]))
			return ps_error(ps, &t->loc, "unknown attribute '%s'", t->text);
		if (d->attrs & known[k].bit)
			return ps_error(ps, &t->loc, "duplicate attribute '%s'", t->text);
		if (known[k].bit == TE_EDL_A_WSTRING)
			return ps_error(ps, &t->loc,
			                "[wstring] is not supported (pass the bytes with [size=])");
		d->attrs |= known[k].bit;
		advance(ps);
		if (known[k].bit == TE_EDL_A_SIZE && parse_value(ps, "size", &d->size))
			return -1;
		if (known[k].bit == TE_EDL_A_COUNT && parse_value(ps, "count", &d->count))
			return -1;
		if (is_punct(cur(ps), ']'))
			break;
		if (expect_punct(ps, ','))
			return -1;
	}
	advance(ps); /* ']' */
	return 0;
}

/* [attributes] type name [dims] */
static int parse_decl(struct te_edl_ps *ps, struct te_edl_decl *d, const char *what)
{
	const struct te_edl_tok *t;

	memset(d, 0, sizeof(*d));
	d->size.ref = -1;
	d->count.ref = -1;
	d->attr_loc = cur(ps)->loc;
	if (is_punct(cur(ps), '[') && parse_attrs(ps, d))
		return -1;
	if (parse_type(ps, &d->type))
		return -1;
	if (expect_name(ps, what, &d->name, &d->loc))
		return -1;
	while (is_punct(cur(ps), '[')) {
		advance(ps);
		t = cur(ps);
		if (d->ndims >= TE_EDL_MAX_DIMS)
			return ps_error(ps, &t->loc, "too many array dimensions");
		if (t->kind == TE_TOK_NUM) {
			if (t->num == 0 || t->num > TE_EDL_MAX_LITERAL)
				return ps_error(ps, &t->loc, "array dimension must be 1 to %llu",
				                (unsigned long long)TE_EDL_MAX_LITERAL);
		} else if (t->kind != TE_TOK_IDENT || te_edl_is_c_keyword(t->text)) {
			return ps_error(ps, &t->loc, "expected an array dimension but found %s",
			                DESCRIBE(t));
		}
		d->dims[d->ndims++] = t->text;
		advance(ps);
		if (expect_punct(ps, ']'))
			return -1;
	}
	return 0;
}

/* ---- merging ---- */

static int add_include(struct te_edl_ps *ps, struct te_edl_pfile *f, const char *inc)
{
	for (size_t i = 0; i < f->m.nincludes; i++)
		if (strcmp(f->m.includes[i], inc) == 0)
			return 0;
	if (te_edl_arena_push(ps->p->arena, (void **)&f->m.includes, f->m.nincludes, &f->cap_inc,
	                      sizeof(char *)))
		return ps_error(ps, &cur(ps)->loc, "out of memory");
	f->m.includes[f->m.nincludes++] = inc;
	return 0;
}

static int add_type(struct te_edl_ps *ps, struct te_edl_pfile *f, struct te_edl_usertype *t)
{
	for (size_t i = 0; i < f->m.ntypes; i++) {
		const struct te_edl_usertype *o = f->m.types[i];
		if (o == t)
			return 0;
		if (t->name && o->name && strcmp(o->name, t->name) == 0)
			return ps_error(ps, &t->loc,
			                "type '%s' is defined twice (first at %s:%u:%u)", t->name,
			                o->loc.file, o->loc.line, o->loc.col);
	}
	if (te_edl_arena_push(ps->p->arena, (void **)&f->m.types, f->m.ntypes, &f->cap_types,
	                      sizeof(t)))
		return ps_error(ps, &t->loc, "out of memory");
	f->m.types[f->m.ntypes++] = t;
	return 0;
}

static const struct te_edl_func *find_func(const struct te_edl *m, const char *name)
{
	for (size_t i = 0; i < m->ntrusted; i++)
		if (strcmp(m->trusted[i]->name, name) == 0)
			return m->trusted[i];
	for (size_t i = 0; i < m->nuntrusted; i++)
		if (strcmp(m->untrusted[i]->name, name) == 0)
			return m->untrusted[i];
	return NULL;
}

static int add_func(struct te_edl_ps *ps, struct te_edl_pfile *f, struct te_edl_func *fn)
{
	const struct te_edl_func *o = find_func(&f->m, fn->name);

	if (o == fn)
		return 0;
	if (o)
		return ps_error(ps, &fn->loc, "function '%s' is declared twice (first at %s:%u:%u)",
		                fn->name, o->loc.file, o->loc.line, o->loc.col);
	if (fn->trusted) {
		if (te_edl_arena_push(ps->p->arena, (void **)&f->m.trusted, f->m.ntrusted,
		                      &f->cap_tr, sizeof(fn)))
			return ps_error(ps, &fn->loc, "out of memory");
		f->m.trusted[f->m.ntrusted++] = fn;
	} else {
		if (te_edl_arena_push(ps->p->arena, (void **)&f->m.untrusted, f->m.nuntrusted,
		                      &f->cap_un, sizeof(fn)))
			return ps_error(ps, &fn->loc, "out of memory");
		f->m.untrusted[f->m.nuntrusted++] = fn;
	}
	return 0;
}

/* ---- imports ---- */

static char *join_path(struct te_edl_arena *a, const char *dir, size_t dirlen, const char *rel)
{
	size_t n = dirlen + 1 + strlen(rel);
	char *s = te_edl_arena_alloc(a, n + 1, 1);

	if (!s)
		return NULL;
	if (dirlen == 0) {
		memcpy(s, rel, strlen(rel) + 1);
		return s;
	}
	memcpy(s, dir, dirlen);
	s[dirlen] = '/';
	memcpy(s + dirlen + 1, rel, strlen(rel) + 1);
	return s;
}

static struct te_edl_pfile *find_file(struct te_edl_parser *p, const char *canon)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i]->canon, canon) == 0)
			return p->files[i];
	return NULL;
}

/* The chain "a.edl -> b.edl -> a.edl" for a cycle back to f. */
static void cycle_text(const struct te_edl_parser *p, const struct te_edl_pfile *f, char *buf,
                       size_t len)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < p->depth && p->stack[i] != f; i++)
		;
	for (; i < p->depth; i++) {
		n = snprintf(buf + used, len - used, "%s -> ", p->stack[i]->display);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	snprintf(buf + used, len - used, "%s", f->display);
}

/* Finds rel next to the importing file, then along the search path. */
static int resolve_import(struct te_edl_ps *ps, const char *rel, const struct te_edl_loc *at,
                          struct te_edl_pfile **out)
{
	struct te_edl_parser *p = ps->p;
	const char *slash = strrchr(ps->f->display, '/');
	char *cand, *canon = NULL, *data = NULL;
	char lerr[TE_EDL_ERR_LEN];
	size_t len = 0, k;
	int r = 1;

	lerr[0] = '\0';
	if (rel[0] == '\0')
		return ps_error(ps, at, "empty import path");
	for (k = 0; k <= p->opts->nsearch && r == 1; k++) {
		if (rel[0] == '/' && k > 0)
			break;
		if (rel[0] == '/')
			cand = join_path(p->arena, "", 0, rel);
		else if (k == 0)
			cand = join_path(p->arena, ps->f->display,
			                 slash ? (size_t)(slash - ps->f->display) : 0, rel);
		else
			cand = join_path(p->arena, p->opts->search_paths[k - 1],
			                 strlen(p->opts->search_paths[k - 1]), rel);
		if (!cand)
			return ps_error(ps, at, "out of memory");
		r = p->opts->load(p->opts->load_ctx, cand, &canon, &data, &len, lerr, sizeof(lerr));
		if (r < 0)
			return ps_error(ps, at, "%s", lerr);
	}
	if (r == 1)
		return ps_error(ps, at, "cannot find imported file '%s'", rel);

	struct te_edl_pfile *f = find_file(p, canon);
	if (f && f->state == TE_PF_PARSING) {
		char chain[TE_EDL_ERR_LEN / 2];
		cycle_text(p, f, chain, sizeof(chain));
		free(canon);
		free(data);
		return ps_error(ps, at, "import cycle: %s", chain);
	}
	if (f) {
		free(canon);
		free(data);
		*out = f;
		return 0;
	}
	if (p->depth >= TE_EDL_MAX_IMPORT) {
		free(canon);
		free(data);
		return ps_error(ps, at, "imports nested more than %d deep", TE_EDL_MAX_IMPORT);
	}
	r = parse_file(p, cand, canon, data, len, out);
	free(canon);
	free(data);
	return r;
}

/* from "x.edl" import *;   from "x.edl" import a, b;   import "x.edl"; */
static int parse_import(struct te_edl_ps *ps, bool from)
{
	const struct te_edl_tok *t;
	struct te_edl_loc at = cur(ps)->loc;
	struct te_edl_pfile *imp = NULL;
	const char *path;
	size_t i;

	advance(ps);
	t = cur(ps);
	if (t->kind != TE_TOK_STR)
		return ps_error(ps, &t->loc, "expected a quoted file name but found %s",
		                DESCRIBE(t));
	path = t->text;
	advance(ps);
	if (from && !is_word(cur(ps), "import"))
		return ps_error(ps, &cur(ps)->loc, "expected 'import' but found %s",
		                DESCRIBE(cur(ps)));
	if (from)
		advance(ps);
	/* The selection is read before the file is, so a syntax error in the
	 * statement is reported as such. */
	size_t first = ps->i, nnames = 0;
	bool all = !from;
	if (from && is_punct(cur(ps), '*')) {
		all = true;
		advance(ps);
	} else if (from) {
		for (;;) {
			const char *name;
			if (expect_name(ps, "a function name", &name, NULL))
				return -1;
			nnames++;
			if (!is_punct(cur(ps), ','))
				break;
			advance(ps);
		}
	}
	if (expect_punct(ps, ';'))
		return -1;
	if (resolve_import(ps, path, &at, &imp))
		return -1;
	for (i = 0; i < imp->m.nincludes; i++)
		if (add_include(ps, ps->f, imp->m.includes[i]))
			return -1;
	for (i = 0; i < imp->m.ntypes; i++)
		if (add_type(ps, ps->f, imp->m.types[i]))
			return -1;
	if (all) {
		for (i = 0; i < imp->m.ntrusted; i++)
			if (add_func(ps, ps->f, imp->m.trusted[i]))
				return -1;
		for (i = 0; i < imp->m.nuntrusted; i++)
			if (add_func(ps, ps->f, imp->m.untrusted[i]))
				return -1;
		return 0;
	}
	for (i = 0; i < nnames; i++) {
		const struct te_edl_tok *nt = &ps->toks[first + 2 * i];
		struct te_edl_func *fn = (struct te_edl_func *)find_func(&imp->m, nt->text);
		if (!fn)
			return ps_error(ps, &nt->loc, "'%s' is not declared in '%s'", nt->text,
			                path);
		if (add_func(ps, ps->f, fn))
			return -1;
	}
	return 0;
}

/* ---- enclave items ---- */

static int parse_include(struct te_edl_ps *ps)
{
	const struct te_edl_tok *t;

	advance(ps);
	t = cur(ps);
	if (t->kind != TE_TOK_STR)
		return ps_error(ps, &t->loc, "expected a quoted header name but found %s",
		                DESCRIBE(t));
	if (t->text[0] == '\0')
		return ps_error(ps, &t->loc, "empty header name");
	if (add_include(ps, ps->f, t->text))
		return -1;
	advance(ps);
	skip_semicolon(ps);
	return 0;
}

static struct te_edl_usertype *new_type(struct te_edl_ps *ps, enum te_edl_kind kind,
                                        const struct te_edl_loc *at)
{
	struct te_edl_usertype *t = te_edl_arena_alloc(ps->p->arena, 1, sizeof(*t));

	if (!t) {
		ps_error(ps, at, "out of memory");
		return NULL;
	}
	t->kind = kind;
	t->loc = *at;
	t->origin = ps->f->canon;
	return t;
}

static const char *type_cname(struct te_edl_ps *ps, const char *kw, const char *name)
{
	size_t n = strlen(kw) + strlen(name) + 2;
	char *s = te_edl_arena_alloc(ps->p->arena, n, 1);

	if (!s) {
		ps_error(ps, &cur(ps)->loc, "out of memory");
		return NULL;
	}
	snprintf(s, n, "%s %s", kw, name);
	return s;
}

static int parse_struct(struct te_edl_ps *ps)
{
	struct te_edl_loc at = cur(ps)->loc;
	enum te_edl_kind kind = is_word(cur(ps), "struct") ? TE_EDL_STRUCT : TE_EDL_UNION;
	struct te_edl_usertype *t = new_type(ps, kind, &at);
	size_t cap = 0;

	if (!t)
		return -1;
	advance(ps);
	if (expect_name(ps, "a type name", &t->name, &t->loc) || expect_punct(ps, '{'))
		return -1;
	if (!(t->cname = type_cname(ps, kind == TE_EDL_STRUCT ? "struct" : "union", t->name)))
		return -1;
	while (!is_punct(cur(ps), '}')) {
		if (cur(ps)->kind == TE_TOK_EOF)
			return ps_error(ps, &cur(ps)->loc, "expected '}' but found end of file");
		if (te_edl_arena_push(ps->p->arena, (void **)&t->members, t->nmembers, &cap,
		                      sizeof(*t->members)))
			return ps_error(ps, &at, "out of memory");
		if (parse_decl(ps, &t->members[t->nmembers], "a member name"))
			return -1;
		t->nmembers++;
		if (expect_punct(ps, ';'))
			return -1;
	}
	advance(ps);
	if (t->nmembers == 0)
		return ps_error(ps, &t->loc, "%s '%s' has no members",
		                kind == TE_EDL_STRUCT ? "struct" : "union", t->name);
	if (expect_punct(ps, ';'))
		return -1;
	return add_type(ps, ps->f, t);
}

static int parse_enum(struct te_edl_ps *ps)
{
	struct te_edl_loc at = cur(ps)->loc;
	struct te_edl_usertype *t = new_type(ps, TE_EDL_ENUM, &at);
	struct te_edl_arena *a = ps->p->arena;
	size_t cap = 0;

	if (!t)
		return -1;
	advance(ps);
	if (cur(ps)->kind == TE_TOK_IDENT && (expect_name(ps, "an enum name", &t->name, &t->loc) ||
	                                      !(t->cname = type_cname(ps, "enum", t->name))))
		return -1;
	if (expect_punct(ps, '{'))
		return -1;
	while (!is_punct(cur(ps), '}')) {
		struct te_edl_enumerator *e;
		if (te_edl_arena_push(a, (void **)&t->items, t->nitems, &cap, sizeof(*t->items)))
			return ps_error(ps, &at, "out of memory");
		e = &t->items[t->nitems];
		if (expect_name(ps, "an enumerator", &e->name, NULL))
			return -1;
		t->nitems++;
		if (is_punct(cur(ps), '=')) {
			advance(ps);
			bool neg = is_punct(cur(ps), '-');
			if (neg)
				advance(ps);
			const struct te_edl_tok *v = cur(ps);
			if (v->kind != TE_TOK_NUM && (neg || v->kind != TE_TOK_IDENT))
				return ps_error(ps, &v->loc, "expected a value but found %s",
				                DESCRIBE(v));
			if (neg) {
				size_t n = strlen(v->text) + 2;
				char *neg_text = te_edl_arena_alloc(a, n, 1);
				if (neg_text)
					snprintf(neg_text, n, "-%s", v->text);
				e->value = neg_text;
			} else {
				e->value = v->text;
			}
			if (!e->value)
				return ps_error(ps, &v->loc, "out of memory");
			advance(ps);
		}
		if (!is_punct(cur(ps), ','))
			break;
		advance(ps);
	}
	if (expect_punct(ps, '}'))
		return -1;
	if (t->nitems == 0)
		return ps_error(ps, &at, "enum has no enumerators");
	if (expect_punct(ps, ';'))
		return -1;
	return add_type(ps, ps->f, t);
}

static int parse_name_list(struct te_edl_ps *ps, struct te_edl_func *fn)
{
	size_t cap = 0, cap2 = 0;
	struct te_edl_arena *a = ps->p->arena;

	advance(ps); /* allow */
	if (expect_punct(ps, '('))
		return -1;
	for (;;) {
		if (te_edl_arena_push(a, (void **)&fn->allow, fn->nallow, &cap, sizeof(char *)) ||
		    te_edl_arena_push(a, (void **)&fn->allow_locs, fn->nallow, &cap2,
		                      sizeof(struct te_edl_loc)))
			return ps_error(ps, &fn->loc, "out of memory");
		if (expect_name(ps, "a function name", &fn->allow[fn->nallow],
		                &fn->allow_locs[fn->nallow]))
			return -1;
		fn->nallow++;
		if (!is_punct(cur(ps), ','))
			break;
		advance(ps);
	}
	return expect_punct(ps, ')');
}

static int parse_params(struct te_edl_ps *ps, struct te_edl_func *fn)
{
	size_t cap = 0;

	if (expect_punct(ps, '('))
		return -1;
	if (is_punct(cur(ps), ')')) {
		advance(ps);
		return 0;
	}
	if (is_word(cur(ps), "void") && is_punct(peek2(ps), ')')) {
		advance(ps);
		advance(ps);
		return 0;
	}
	for (;;) {
		if (te_edl_arena_push(ps->p->arena, (void **)&fn->params, fn->nparams, &cap,
		                      sizeof(*fn->params)))
			return ps_error(ps, &fn->loc, "out of memory");
		if (parse_decl(ps, &fn->params[fn->nparams], "a parameter name"))
			return -1;
		fn->nparams++;
		if (!is_punct(cur(ps), ','))
			break;
		advance(ps);
	}
	return expect_punct(ps, ')');
}

static int parse_func(struct te_edl_ps *ps, bool trusted)
{
	struct te_edl_loc at = cur(ps)->loc;
	struct te_edl_func *fn = te_edl_arena_alloc(ps->p->arena, 1, sizeof(*fn));
	bool pub = false;

	if (!fn)
		return ps_error(ps, &at, "out of memory");
	fn->trusted = trusted;
	fn->origin = ps->f->canon;
	if (is_word(cur(ps), "public")) {
		if (!trusted)
			return ps_error(ps, &at, "'public' is only allowed in trusted functions");
		pub = true;
		advance(ps);
	}
	if (parse_type(ps, &fn->ret))
		return -1;
	if (expect_name(ps, "a function name", &fn->name, &fn->loc))
		return -1;
	if (parse_params(ps, fn))
		return -1;
	for (;;) {
		const struct te_edl_tok *t = cur(ps);
		if (is_word(t, "transition_using_threads")) {
			fn->switchless = true;
			advance(ps);
		} else if (is_word(t, "propagate_errno")) {
			if (trusted)
				return ps_error(ps, &t->loc,
				                "'propagate_errno' is only allowed on untrusted "
				                "functions");
			fn->propagate_errno = true;
			advance(ps);
		} else if (is_word(t, "allow")) {
			if (trusted)
				return ps_error(ps, &t->loc,
				                "'allow' is only allowed on untrusted functions");
			if (parse_name_list(ps, fn))
				return -1;
		} else {
			break;
		}
	}
	if (expect_punct(ps, ';'))
		return -1;
	if (trusted && !pub)
		ps_warn(ps, &fn->loc,
		        "trusted function '%s' is not public; private ECALLs are not supported, "
		        "it is callable like a public one",
		        fn->name);
	return add_func(ps, ps->f, fn);
}

static int parse_section(struct te_edl_ps *ps)
{
	bool trusted = is_word(cur(ps), "trusted");

	advance(ps);
	if (expect_punct(ps, '{'))
		return -1;
	while (!is_punct(cur(ps), '}')) {
		if (cur(ps)->kind == TE_TOK_EOF)
			return ps_error(ps, &cur(ps)->loc, "expected '}' but found end of file");
		if (parse_func(ps, trusted))
			return -1;
	}
	advance(ps);
	skip_semicolon(ps);
	return 0;
}

static int parse_enclave(struct te_edl_ps *ps)
{
	const struct te_edl_tok *t = cur(ps);

	if (!is_word(t, "enclave"))
		return ps_error(ps, &t->loc, "expected 'enclave' but found %s", DESCRIBE(t));
	advance(ps);
	if (expect_punct(ps, '{'))
		return -1;
	for (;;) {
		t = cur(ps);
		if (is_punct(t, '}'))
			break;
		if (t->kind == TE_TOK_EOF)
			return ps_error(ps, &t->loc, "expected '}' but found end of file");
		int r;
		if (is_word(t, "include"))
			r = parse_include(ps);
		else if (is_word(t, "from"))
			r = parse_import(ps, true);
		else if (is_word(t, "import"))
			r = parse_import(ps, false);
		else if (is_word(t, "struct") || is_word(t, "union"))
			r = parse_struct(ps);
		else if (is_word(t, "enum"))
			r = parse_enum(ps);
		else if (is_word(t, "trusted") || is_word(t, "untrusted"))
			r = parse_section(ps);
		else
			r = ps_error(ps, &t->loc, "unexpected %s in enclave", DESCRIBE(t));
		if (r)
			return -1;
	}
	advance(ps);
	skip_semicolon(ps);
	t = cur(ps);
	if (t->kind != TE_TOK_EOF)
		return ps_error(ps, &t->loc, "unexpected %s after the enclave", DESCRIBE(t));
	return 0;
}

static int parse_file(struct te_edl_parser *p, const char *display, const char *canon, char *data,
                      size_t len, struct te_edl_pfile **out)
{
	struct te_edl_pfile *f;
	struct te_edl_ps ps;
	struct te_edl_loc top = {display, 0, 0};
	int r;

	f = te_edl_arena_alloc(p->arena, 1, sizeof(*f));
	if (!f ||
	    te_edl_arena_push(p->arena, (void **)&p->files, p->nfiles, &p->cap_files, sizeof(f))) {
		te_edl_errorf(p->err, p->errlen, &top, "out of memory");
		return -1;
	}
	f->display = te_edl_arena_strdup(p->arena, display);
	f->canon = te_edl_arena_strdup(p->arena, canon);
	if (!f->display || !f->canon) {
		te_edl_errorf(p->err, p->errlen, &top, "out of memory");
		return -1;
	}
	f->state = TE_PF_PARSING;
	p->files[p->nfiles++] = f;
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.f = f;
	if (te_edl_lex(p->arena, f->display, data, len, p->opts->defines, p->opts->ndefines,
	               (struct te_edl_tok **)&ps.toks, &ps.ntoks, p->err, p->errlen))
		return -1;
	p->stack[p->depth++] = f;
	r = parse_enclave(&ps);
	p->depth--;
	if (r)
		return -1;
	f->state = TE_PF_DONE;
	*out = f;
	return 0;
}

/* Reads an opened regular file of at most TE_EDL_MAX_FILE bytes. */
static int read_all(int fd, const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	char *buf;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a regular file", path);
		return -1;
	}
	if (st.st_size > (off_t)TE_EDL_MAX_FILE) {
		snprintf(err, errlen, "'%s' is larger than %u bytes", path, TE_EDL_MAX_FILE);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory reading '%s'", path);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)st.st_size) {
		snprintf(err, errlen, "cannot read '%s'", path);
		free(buf);
		return -1;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

int te_edl_load_file(void *ctx, const char *path, char **canon, char **data, size_t *len, char *err,
                     size_t errlen)
{
	char *real;
	int fd, r;

	(void)ctx;
	real = realpath(path, NULL);
	if (!real) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		free(real);
		return -1;
	}
	r = read_all(fd, path, data, len, err, errlen);
	close(fd);
	if (r != 0) {
		free(real);
		return -1;
	}
	*canon = real;
	return 0;
}

/* X from ".../X.edl": it names oe_create_X_enclave, so it must be a C
 * identifier. */
static const char *edl_name(struct te_edl_arena *a, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".edl") == 0)
		n -= 4;
	if (n == 0 || n > TE_EDL_MAX_IDENT || (base[0] >= '0' && base[0] <= '9'))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = base[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return NULL;
	}
	return te_edl_arena_strndup(a, base, n);
}

int te_edl_parse(const struct te_edl_opts *opts, const char *path, struct te_edl **out, char *err,
                 size_t errlen)
{
	struct te_edl_parser p;
	struct te_edl_opts o = *opts;
	struct te_edl_pfile *root = NULL;
	struct te_edl_loc top = {path, 0, 0};
	struct te_edl *edl;
	char *canon = NULL, *data = NULL;
	size_t len = 0;
	int r;

	if (errlen)
		err[0] = '\0';
	if (!o.load)
		o.load = te_edl_load_file;
	memset(&p, 0, sizeof(p));
	p.opts = &o;
	p.err = err;
	p.errlen = errlen;
	p.arena = te_edl_arena_new();
	edl = p.arena ? te_edl_arena_alloc(p.arena, 1, sizeof(*edl)) : NULL;
	if (!edl) {
		te_edl_errorf(err, errlen, &top, "out of memory");
		te_edl_arena_free(p.arena);
		return -1;
	}
	edl->arena = p.arena;
	edl->name = edl_name(p.arena, path);
	if (!edl->name) {
		te_edl_errorf(err, errlen, &top,
		              "the file name must be a C identifier followed by .edl (it names "
		              "oe_create_<name>_enclave)");
		te_edl_arena_free(p.arena);
		return -1;
	}
	char lerr[TE_EDL_ERR_LEN];
	lerr[0] = '\0';
	r = o.load(o.load_ctx, path, &canon, &data, &len, lerr, sizeof(lerr));
	if (r != 0) {
		if (r == 1)
			te_edl_errorf(err, errlen, &top, "no such file");
		else
			te_edl_errorf(err, errlen, NULL, "%s", lerr);
		te_edl_arena_free(p.arena);
		return -1;
	}
	r = parse_file(&p, path, canon, data, len, &root);
	free(canon);
	free(data);
	if (r == 0) {
		edl->includes = root->m.includes;
		edl->nincludes = root->m.nincludes;
		edl->types = root->m.types;
		edl->ntypes = root->m.ntypes;
		edl->trusted = root->m.trusted;
		edl->ntrusted = root->m.ntrusted;
		edl->untrusted = root->m.untrusted;
		edl->nuntrusted = root->m.nuntrusted;
		r = te_edl_check(edl, &o, err, errlen);
	}
	if (r != 0) {
		te_edl_arena_free(p.arena);
		return -1;
	}
	*out = edl;
	return 0;
}

void te_edl_free(struct te_edl *edl)
{
	if (edl)
		te_edl_arena_free(edl->arena);
}
