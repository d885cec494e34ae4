/*
 * edl_int.h - what the parts of te_edl share and nobody else needs: the
 * arena every model node lives in, the growable text buffer the
 * generator writes into, and the token stream of the lexer.
 */
#ifndef TE_EDL_INT_H
#define TE_EDL_INT_H

#include <stdarg.h>

#include "edl.h"

/* Arena: every node of a model, freed at once. */
struct te_edl_arena;
struct te_edl_arena *te_edl_arena_new(void);
void te_edl_arena_free(struct te_edl_arena *a);
/* Zeroed memory, NULL when out of memory or n*size overflows. */
void *te_edl_arena_alloc(struct te_edl_arena *a, size_t n, size_t size);
char *te_edl_arena_strndup(struct te_edl_arena *a, const char *s, size_t n);
char *te_edl_arena_strdup(struct te_edl_arena *a, const char *s);
/* Makes room for one more element of an arena array (doubling). */
int te_edl_arena_push(struct te_edl_arena *a, void **items, size_t n, size_t *cap, size_t size);

/* Text buffer: once a write fails every later write is dropped and
 * te_edl_buf_failed() says so. */
struct te_edl_buf {
	char *data;
	size_t len;
	size_t cap;
	int failed;
};
void te_edl_buf_init(struct te_edl_buf *b);
void te_edl_buf_free(struct te_edl_buf *b);
void te_edl_buf_puts(struct te_edl_buf *b, const char *s);
void te_edl_buf_printf(struct te_edl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void te_edl_buf_vprintf(struct te_edl_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void te_edl_buf_append(struct te_edl_buf *b, const struct te_edl_buf *other);

/* Tokens. */
enum te_edl_tok_kind {
	TE_TOK_EOF,
	TE_TOK_IDENT,
	TE_TOK_NUM,
	TE_TOK_STR,
	TE_TOK_PUNCT,
};

struct te_edl_tok {
	enum te_edl_tok_kind kind;
	const char *text; /* identifier, string contents, digits, or the punctuation */
	uint64_t num;
	struct te_edl_loc loc;
};

/* Tokenises data (the bytes of file), applying #ifdef/#ifndef/#else/
 * #endif with the -D names.  0 and the tokens (last one TE_TOK_EOF) or
 * -1 with the message in err. */
int te_edl_lex(struct te_edl_arena *a, const char *file, const char *data, size_t len,
               const char *const *defines, size_t ndefines, struct te_edl_tok **toks, size_t *ntoks,
               char *err, size_t errlen);

/* "file:line:col: error: " + message into err. */
void te_edl_errorf(char *err, size_t errlen, const struct te_edl_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void te_edl_verrorf(char *err, size_t errlen, const struct te_edl_loc *loc, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

/* Semantic checks of a merged model (edl_check.c). */
int te_edl_check(struct te_edl *edl, const struct te_edl_opts *opts, char *err, size_t errlen);

/* Helpers for the checks and the generator. */
const struct te_edl_usertype *te_edl_find_type(const struct te_edl *edl, const char *name);
/* A pointer parameter or member that crosses as a copy. */
bool te_edl_decl_is_buffer(const struct te_edl_decl *d);
bool te_edl_decl_is_pointer(const struct te_edl_decl *d);
bool te_edl_is_c_keyword(const char *s);

#endif /* TE_EDL_INT_H */
