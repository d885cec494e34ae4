/*
 * edl_lex.c - owns turning the bytes of an EDL file into tokens.
 *
 * A cursor walks the bytes once.  Comments go, #ifdef/#ifndef/#else/
 * #endif decide which lines count (by the -D names), and what is left
 * becomes identifiers, numbers, strings and punctuation, each with its
 * line and column for error messages.  Nothing here knows the grammar.
 */
#include "edl_int.h"

#include <stdio.h>
#include <string.h>

#define TE_EDL_MAX_STRING 4096

struct te_edl_cond {
	bool parent; /* the enclosing region is live */
	bool cond;   /* the #ifdef/#ifndef test */
	bool in_else;
	struct te_edl_loc loc;
};

struct te_edl_lexer {
	struct te_edl_arena *arena;
	const char *file;
	const char *p;
	size_t len;
	size_t pos;
	unsigned line;
	unsigned col;
	bool line_start;     /* only blanks since the last newline */
	bool directive_tail; /* after a directive: nothing but blanks/comments */
	const char *const *defines;
	size_t ndefines;
	struct te_edl_cond conds[TE_EDL_MAX_IFDEF];
	size_t nconds;
	struct te_edl_tok *toks;
	size_t ntoks;
	size_t cap;
	char *err;
	size_t errlen;
};

static bool lx_live(const struct te_edl_lexer *lx)
{
	const struct te_edl_cond *c;

	if (lx->nconds == 0)
		return true;
	c = &lx->conds[lx->nconds - 1];
	return c->parent && (c->in_else ? !c->cond : c->cond);
}

static struct te_edl_loc lx_loc(const struct te_edl_lexer *lx)
{
	struct te_edl_loc l = {lx->file, lx->line, lx->col};

	return l;
}

static int lx_error(struct te_edl_lexer *lx, const struct te_edl_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int lx_error(struct te_edl_lexer *lx, const struct te_edl_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	te_edl_verrorf(lx->err, lx->errlen, loc, fmt, ap);
	va_end(ap);
	return -1;
}

static int lx_peek(const struct te_edl_lexer *lx, size_t ahead)
{
	if (lx->pos + ahead >= lx->len)
		return -1;
	return (unsigned char)lx->p[lx->pos + ahead];
}

static void lx_advance(struct te_edl_lexer *lx)
{
	if (lx->pos >= lx->len)
		return;
	if (lx->p[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->pos++;
}

static bool is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int lx_push(struct te_edl_lexer *lx, enum te_edl_tok_kind kind, const char *text, size_t n,
                   uint64_t num, const struct te_edl_loc *loc)
{
	struct te_edl_tok *t;

	if (te_edl_arena_push(lx->arena, (void **)&lx->toks, lx->ntoks, &lx->cap, sizeof(*t)))
		return lx_error(lx, loc, "out of memory");
	t = &lx->toks[lx->ntoks];
	t->kind = kind;
	t->num = num;
	t->loc = *loc;
	t->text = te_edl_arena_strndup(lx->arena, text, n);
	if (!t->text)
		return lx_error(lx, loc, "out of memory");
	lx->ntoks++;
	return 0;
}

/* Skips a comment starting at the cursor; 1 if there was none. */
static int lx_comment(struct te_edl_lexer *lx)
{
	struct te_edl_loc start = lx_loc(lx);

	if (lx_peek(lx, 0) != '/')
		return 1;
	if (lx_peek(lx, 1) == '/') {
		while (lx->pos < lx->len && lx->p[lx->pos] != '\n')
			lx_advance(lx);
		return 0;
	}
	if (lx_peek(lx, 1) != '*')
		return 1;
	lx_advance(lx);
	lx_advance(lx);
	for (;;) {
		if (lx->pos >= lx->len)
			return lx_error(lx, &start, "unterminated comment");
		if (lx_peek(lx, 0) == '*' && lx_peek(lx, 1) == '/') {
			lx_advance(lx);
			lx_advance(lx);
			return 0;
		}
		lx_advance(lx);
	}
}

static size_t lx_word(struct te_edl_lexer *lx, const char **start)
{
	*start = lx->p + lx->pos;
	size_t n = 0;

	while (lx->pos < lx->len && is_ident_char((unsigned char)lx->p[lx->pos])) {
		lx_advance(lx);
		n++;
	}
	return n;
}

static bool lx_defined(const struct te_edl_lexer *lx, const char *name, size_t n)
{
	for (size_t i = 0; i < lx->ndefines; i++)
		if (strlen(lx->defines[i]) == n && memcmp(lx->defines[i], name, n) == 0)
			return true;
	return false;
}

/* A line starting with '#': the conditional directives, nothing else. */
static int lx_directive(struct te_edl_lexer *lx)
{
	struct te_edl_loc at = lx_loc(lx);
	const char *w, *name;
	size_t n, nn;

	lx_advance(lx); /* '#' */
	while (lx->pos < lx->len && is_blank(lx_peek(lx, 0)))
		lx_advance(lx);
	n = lx_word(lx, &w);
	if (n == 0)
		return lx_error(lx, &at, "expected a directive after '#'");
	if ((n == 5 && memcmp(w, "ifdef", 5) == 0) || (n == 6 && memcmp(w, "ifndef", 6) == 0)) {
		while (lx->pos < lx->len && is_blank(lx_peek(lx, 0)))
			lx_advance(lx);
		struct te_edl_loc nloc = lx_loc(lx);
		if (lx->pos >= lx->len || !is_ident_start(lx_peek(lx, 0)))
			return lx_error(lx, &nloc, "#%.*s needs a name", (int)n, w);
		nn = lx_word(lx, &name);
		if (lx->nconds >= TE_EDL_MAX_IFDEF)
			return lx_error(lx, &at, "#ifdef nested too deeply");
		struct te_edl_cond *c = &lx->conds[lx->nconds];
		c->parent = lx_live(lx);
		c->cond = lx_defined(lx, name, nn) == (n == 5);
		c->in_else = false;
		c->loc = at;
		lx->nconds++;
	} else if (n == 4 && memcmp(w, "else", 4) == 0) {
		if (lx->nconds == 0)
			return lx_error(lx, &at, "#else without #ifdef");
		if (lx->conds[lx->nconds - 1].in_else)
			return lx_error(lx, &at, "second #else for one #ifdef");
		lx->conds[lx->nconds - 1].in_else = true;
	} else if (n == 5 && memcmp(w, "endif", 5) == 0) {
		if (lx->nconds == 0)
			return lx_error(lx, &at, "#endif without #ifdef");
		lx->nconds--;
	} else {
		return lx_error(lx, &at, "unsupported preprocessor directive '#%.*s'", (int)n, w);
	}
	lx->directive_tail = true;
	return 0;
}

static int lx_number(struct te_edl_lexer *lx)
{
	struct te_edl_loc at = lx_loc(lx);
	const char *start = lx->p + lx->pos;
	uint64_t v = 0;
	unsigned base = 10, digit;
	size_t n = 0;
	int c;

	if (lx_peek(lx, 0) == '0' && (lx_peek(lx, 1) == 'x' || lx_peek(lx, 1) == 'X')) {
		base = 16;
		lx_advance(lx);
		lx_advance(lx);
		n = 2;
	}
	for (;;) {
		c = lx_peek(lx, 0);
		if (c >= '0' && c <= '9')
			digit = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			digit = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			digit = (unsigned)(c - 'A' + 10);
		else
			break;
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, digit, &v))
			return lx_error(lx, &at, "number too large");
		lx_advance(lx);
		n++;
	}
	if ((base == 16 && n == 2) || is_ident_char(lx_peek(lx, 0)))
		return lx_error(lx, &at, "malformed number");
	return lx_push(lx, TE_TOK_NUM, start, n, v, &at);
}

static int lx_string(struct te_edl_lexer *lx)
{
	struct te_edl_loc at = lx_loc(lx);
	size_t start, n;
	int c;

	lx_advance(lx); /* opening quote */
	start = lx->pos;
	for (;;) {
		c = lx_peek(lx, 0);
		if (c < 0 || c == '\n')
			return lx_error(lx, &at, "unterminated string");
		if (c == '"')
			break;
		if (c == '\\')
			return lx_error(lx, &at,
			                "escape sequences are not supported in EDL strings");
		if (c < 0x20 || c >= 0x7f)
			return lx_error(lx, &at, "unexpected character in string");
		lx_advance(lx);
	}
	n = lx->pos - start;
	lx_advance(lx); /* closing quote */
	if (n > TE_EDL_MAX_STRING)
		return lx_error(lx, &at, "string too long");
	return lx_push(lx, TE_TOK_STR, lx->p + start, n, 0, &at);
}

/* One step of the main loop: a blank, comment, directive or token. */
static int lx_step(struct te_edl_lexer *lx)
{
	struct te_edl_loc at = lx_loc(lx);
	int c = lx_peek(lx, 0), r;

	if (c == '\n') {
		lx->line_start = true;
		lx->directive_tail = false;
		lx_advance(lx);
		return 0;
	}
	if (is_blank(c)) {
		lx_advance(lx);
		return 0;
	}
	r = lx_comment(lx);
	if (r <= 0)
		return r;
	if (lx->directive_tail)
		return lx_error(lx, &at, "unexpected text after a preprocessor directive");
	if (c == '#' && lx->line_start) {
		lx->line_start = false;
		return lx_directive(lx);
	}
	lx->line_start = false;
	if (!lx_live(lx)) {
		lx_advance(lx);
		return 0;
	}
	if (is_ident_start(c)) {
		const char *w;
		size_t n = lx_word(lx, &w);
		if (n > TE_EDL_MAX_IDENT)
			return lx_error(lx, &at, "name too long");
		return lx_push(lx, TE_TOK_IDENT, w, n, 0, &at);
	}
	if (c >= '0' && c <= '9')
		return lx_number(lx);
	if (c == '"')
		return lx_string(lx);
	if (c > 0 && strchr("{}()[];,*=-", c)) {
		lx_advance(lx);
		return lx_push(lx, TE_TOK_PUNCT, lx->p + lx->pos - 1, 1, 0, &at);
	}
	if (c >= 0x21 && c < 0x7f)
		return lx_error(lx, &at, "unexpected character '%c'", c);
	return lx_error(lx, &at, "unexpected byte 0x%02x", (unsigned)c);
}

int te_edl_lex(struct te_edl_arena *a, const char *file, const char *data, size_t len,
               const char *const *defines, size_t ndefines, struct te_edl_tok **toks, size_t *ntoks,
               char *err, size_t errlen)
{
	struct te_edl_lexer lx;
	struct te_edl_loc at;

	memset(&lx, 0, sizeof(lx));
	lx.arena = a;
	lx.file = file;
	lx.p = data;
	lx.len = len;
	lx.line = 1;
	lx.col = 1;
	lx.line_start = true;
	lx.defines = defines;
	lx.ndefines = ndefines;
	lx.err = err;
	lx.errlen = errlen;
	while (lx.pos < lx.len)
		if (lx_step(&lx) != 0)
			return -1;
	if (lx.nconds)
		return lx_error(&lx, &lx.conds[lx.nconds - 1].loc, "#ifdef without #endif");
	at = lx_loc(&lx);
	if (lx_push(&lx, TE_TOK_EOF, "", 0, 0, &at) != 0)
		return -1;
	*toks = lx.toks;
	*ntoks = lx.ntoks;
	return 0;
}
