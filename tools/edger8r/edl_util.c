/*
 * edl_util.c - owns te_edl's memory: the arena that holds a model and the
 * text buffers the generator fills, plus error formatting.
 */
#include "edl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generated files beyond this are refused rather than grown without end. */
#define TE_EDL_MAX_OUTPUT (256u << 20)

struct te_edl_block {
	struct te_edl_block *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

struct te_edl_arena {
	struct te_edl_block *head;
};

struct te_edl_arena *te_edl_arena_new(void)
{
	return calloc(1, sizeof(struct te_edl_arena));
}

void te_edl_arena_free(struct te_edl_arena *a)
{
	struct te_edl_block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *te_edl_arena_alloc(struct te_edl_arena *a, size_t n, size_t size)
{
	const size_t align = sizeof(max_align_t);
	size_t bytes, cap;
	struct te_edl_block *b;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes) || bytes > (SIZE_MAX >> 2))
		return NULL;
	bytes = (bytes + align - 1) & ~(align - 1);
	if (bytes == 0)
		bytes = align;
	b = a->head;
	if (!b || b->cap - b->used < bytes) {
		cap = bytes > 64 * 1024 ? bytes : 64 * 1024;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += bytes;
	memset(p, 0, bytes);
	return p;
}

char *te_edl_arena_strndup(struct te_edl_arena *a, const char *s, size_t n)
{
	char *d;

	if (n == SIZE_MAX)
		return NULL;
	d = te_edl_arena_alloc(a, n + 1, 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *te_edl_arena_strdup(struct te_edl_arena *a, const char *s)
{
	return te_edl_arena_strndup(a, s, strlen(s));
}

int te_edl_arena_push(struct te_edl_arena *a, void **items, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *fresh;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap < *cap)
		return -1;
	fresh = te_edl_arena_alloc(a, ncap, size);
	if (!fresh)
		return -1;
	if (n)
		memcpy(fresh, *items, n * size);
	*items = fresh;
	*cap = ncap;
	return 0;
}

void te_edl_buf_init(struct te_edl_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void te_edl_buf_free(struct te_edl_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static int te_edl_buf_reserve(struct te_edl_buf *b, size_t more)
{
	size_t need, cap;
	char *d;

	if (b->failed)
		return -1;
	if (__builtin_add_overflow(b->len, more, &need) || need >= TE_EDL_MAX_OUTPUT) {
		b->failed = 1;
		return -1;
	}
	if (need < b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap <= need)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d) {
		b->failed = 1;
		return -1;
	}
	b->data = d;
	b->cap = cap;
	return 0;
}

static void te_edl_buf_write(struct te_edl_buf *b, const char *s, size_t n)
{
	if (te_edl_buf_reserve(b, n) != 0)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void te_edl_buf_puts(struct te_edl_buf *b, const char *s)
{
	te_edl_buf_write(b, s, strlen(s));
}

void te_edl_buf_append(struct te_edl_buf *b, const struct te_edl_buf *other)
{
	if (other->failed) {
		b->failed = 1;
		return;
	}
	if (other->len)
		te_edl_buf_write(b, other->data, other->len);
}

void te_edl_buf_vprintf(struct te_edl_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0) {
		b->failed = 1;
		va_end(again);
		return;
	}
	if (te_edl_buf_reserve(b, (size_t)n) != 0) {
		va_end(again);
		return;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
}

void te_edl_buf_printf(struct te_edl_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	te_edl_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void te_edl_verrorf(char *err, size_t errlen, const struct te_edl_loc *loc, const char *fmt,
                    va_list ap)
{
	int n;

	if (!err || errlen == 0)
		return;
	if (loc && loc->file && loc->line)
		n = snprintf(err, errlen, "%s:%u:%u: error: ", loc->file, loc->line, loc->col);
	else if (loc && loc->file)
		n = snprintf(err, errlen, "%s: error: ", loc->file);
	else
		n = snprintf(err, errlen, "error: ");
	if (n < 0 || (size_t)n >= errlen)
		return;
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

void te_edl_errorf(char *err, size_t errlen, const struct te_edl_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	te_edl_verrorf(err, errlen, loc, fmt, ap);
	va_end(ap);
}

bool te_edl_is_c_keyword(const char *s)
{
	static const char *const kw[] = {
	    "auto",          "break",         "case",         "char",
	    "const",         "continue",      "default",      "do",
	    "double",        "else",          "enum",         "extern",
	    "float",         "for",           "goto",         "if",
	    "inline",        "int",           "long",         "register",
	    "restrict",      "return",        "short",        "signed",
	    "sizeof",        "static",        "struct",       "switch",
	    "typedef",       "union",         "unsigned",     "void",
	    "volatile",      "while",         "bool",         "true",
	    "false",         "class",         "new",          "delete",
	    "this",          "template",      "typename",     "namespace",
	    "operator",      "private",       "protected",    "public",
	    "virtual",       "friend",        "throw",        "try",
	    "catch",         "nullptr",       "explicit",     "mutable",
	    "using",         "export",        "wchar_t",      "asm",
	    "alignas",       "alignof",       "constexpr",    "decltype",
	    "noexcept",      "static_assert", "thread_local", "char16_t",
	    "char32_t",      "_Bool",         "_Alignas",     "_Alignof",
	    "_Atomic",       "_Generic",      "_Noreturn",    "_Static_assert",
	    "_Thread_local", "size_t",        "ssize_t",
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcmp(s, kw[i]) == 0)
			return true;
	return false;
}
