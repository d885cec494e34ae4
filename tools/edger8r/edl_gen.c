/*
 * edl_gen.c - owns the text of the generated files.
 *
 * Marshalling layout (also in docs/edger8r.md and at the top of
 * include/openenclave/edger8r/common.h, whose helpers do the work):
 *
 *   For a function f, X_args.h declares f_args_t: oe_result_t _te_result
 *   first, then int _te_errno (propagate_errno only), then RET _te_retval
 *   (non-void only), then one field per parameter in order - the value
 *   for scalars, enums and structs/unions/header types by value, a
 *   uint64_t for [user_check] pointers, and a te_edl_buffer_t
 *   {offset, size} for every other pointer or array.
 *
 *   Input  = f_args_t, then each [in]/[in,out] buffer at the next multiple
 *   of 8.  Output = f_args_t (result, retval, errno, {offset, size} of
 *   each [out]/[in,out] buffer), then each [out]/[in,out] buffer at the
 *   next multiple of 8.  Buffers follow parameter order; the buffers of a
 *   struct's deep-copied members ([size=]/[count=] pointer members) come
 *   right after the buffer that holds the struct, depth first - except for
 *   a struct passed [out] only, whose nested buffers the callee allocates:
 *   they come after every fixed output buffer (the "tail").  In a copied
 *   struct, a deep-copied member holds its buffer's offset; other pointer
 *   members are zeroed (so pointer values never cross), [user_check]
 *   members keep their value.  Offset 0 means NULL.
 *
 * The caller (ECALL stub in X_u.c, OCALL stub in X_t.c) builds the plan
 * from its arguments with overflow-checked sizes, sends, and checks the
 * reply's sizes and offsets before copying anything back into its
 * buffers.  The callee (ECALL wrapper in X_t.c, OCALL wrapper in X_u.c)
 * recomputes every size from the parameters, requires every buffer to be
 * exactly where the layout puts it, copies each one into memory of its
 * own (zeroed for [out]), calls the implementation, and writes the reply;
 * a refused input is reported in the reply's _te_result and the
 * implementation is not called.
 */
#include "edl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Locals a generated function may need, declared only when used (the
 * generated code must build with -Wunused). */
#define L_C     0x01u
#define L_U     0x02u
#define L_SZ    0x04u
#define L_I     0x08u
#define L_CHILD 0x10u
#define L_OFF   0x20u
#define L_V     0x40u

/* Which struct helpers a file needs. */
#define M_SCRUB 0x1u
#define M_KEEP  0x2u
#define M_OPS   0x4u
#define M_SEND  0x8u
#define M_RECV  0x10u

struct gen {
	const struct te_edl *edl;
	struct te_edl_buf *out;
	unsigned *marks; /* per edl->types[i] */
};

/* A function body being written, and the locals it used. */
struct body {
	struct te_edl_buf b;
	unsigned used;
	const char *fail; /* "goto _te_done" or "return _te_r" */
};

/* ---- small printers ---- */

static void puts_ind(struct te_edl_buf *b, int ind)
{
	for (int i = 0; i < ind; i++)
		te_edl_buf_puts(b, "\t");
}

/* "if ((_te_r = expr) != OE_OK) fail;" over two lines. */
static void emit_try(struct body *bd, int ind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void emit_try(struct body *bd, int ind, const char *fmt, ...)
{
	va_list ap;

	puts_ind(&bd->b, ind);
	te_edl_buf_puts(&bd->b, "if ((_te_r = ");
	va_start(ap, fmt);
	te_edl_buf_vprintf(&bd->b, fmt, ap);
	va_end(ap);
	te_edl_buf_puts(&bd->b, ") != OE_OK)\n");
	puts_ind(&bd->b, ind + 1);
	te_edl_buf_printf(&bd->b, "%s;\n", bd->fail);
}

static void line(struct te_edl_buf *b, int ind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line(struct te_edl_buf *b, int ind, const char *fmt, ...)
{
	va_list ap;

	puts_ind(b, ind);
	va_start(ap, fmt);
	te_edl_buf_vprintf(b, fmt, ap);
	va_end(ap);
	te_edl_buf_puts(b, "\n");
}

static void print_stars(struct te_edl_buf *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		te_edl_buf_puts(b, "*");
}

static void print_dims(struct te_edl_buf *b, const struct te_edl_decl *d, size_t from)
{
	for (size_t i = from; i < d->ndims; i++)
		te_edl_buf_printf(b, "[%s]", d->dims[i]);
}

/* "const char *name[4]" as the EDL declared it. */
static void print_decl(struct te_edl_buf *b, const struct te_edl_decl *d, const char *prefix)
{
	te_edl_buf_printf(b, "%s%s ", d->type.is_const ? "const " : "", d->type.name);
	print_stars(b, d->type.ptr);
	te_edl_buf_printf(b, "%s%s", prefix, d->name);
	print_dims(b, d, 0);
}

/* The type a parameter has inside the function: arrays decay. */
static void print_param_type(struct te_edl_buf *b, const struct te_edl_decl *d)
{
	te_edl_buf_printf(b, "%s%s ", d->type.is_const ? "const " : "", d->type.name);
	if (d->ndims > 1) {
		print_stars(b, d->type.ptr);
		te_edl_buf_puts(b, "(*)");
		print_dims(b, d, 1);
		return;
	}
	print_stars(b, d->type.ptr + (d->ndims == 1));
}

/* The return type without qualifiers (-Wignored-qualifiers). */
static const char *ret_name(const struct te_edl_func *fn)
{
	return fn->ret.name;
}

/* How generated bodies spell a type: an EDL type by its tag, which no
 * parameter name can shadow. */
static const char *tyname(const struct te_edl_type *ty)
{
	return ty->def && ty->def->cname ? ty->def->cname : ty->name;
}

static bool is_void(const struct te_edl_func *fn)
{
	return fn->ret.kind == TE_EDL_VOID && fn->ret.ptr == 0;
}

static const struct te_edl_usertype *struct_def(const struct te_edl_type *ty)
{
	if (ty->def && ty->def->kind == TE_EDL_STRUCT)
		return ty->def;
	return NULL;
}

static size_t type_index(const struct gen *g, const struct te_edl_usertype *t)
{
	for (size_t i = 0; i < g->edl->ntypes; i++)
		if (g->edl->types[i] == t)
			return i;
	return 0;
}

static bool is_deep_member(const struct te_edl_decl *d)
{
	return d->type.ptr == 1 && (d->attrs & (TE_EDL_A_SIZE | TE_EDL_A_COUNT));
}

/* The struct a buffer parameter holds elements of, if it needs ops. */
static const struct te_edl_usertype *buffer_struct(const struct te_edl_decl *d)
{
	const struct te_edl_usertype *s = struct_def(&d->type);
	/* The elements are structs: T* or T[n], not T** or T*[n]. */
	bool elems = d->ndims ? d->type.ptr == 0 : d->type.ptr == 1;

	if (!s || !s->has_ptrs || !elems || (d->attrs & (TE_EDL_A_ISPTR | TE_EDL_A_ISARY)))
		return NULL;
	return s;
}

/* An [out] struct whose deep-copied members the callee fills in. */
static bool is_deep_out(const struct te_edl_decl *d)
{
	const struct te_edl_usertype *s = buffer_struct(d);

	return s && s->has_deep && (d->attrs & TE_EDL_A_OUT) && !(d->attrs & TE_EDL_A_IN);
}

static bool any_deep_out(const struct te_edl_func *fn)
{
	for (size_t i = 0; i < fn->nparams; i++)
		if (te_edl_decl_is_buffer(&fn->params[i]) && is_deep_out(&fn->params[i]))
			return true;
	return false;
}

static unsigned dir_flags(const struct te_edl_decl *d)
{
	unsigned f = 0;

	if (d->attrs & TE_EDL_A_IN)
		f |= 1;
	if (d->attrs & TE_EDL_A_OUT)
		f |= 2;
	return f;
}

static const char *dir_text(unsigned f)
{
	switch (f) {
	case 1:
		return "TE_EDL_IN";
	case 2:
		return "TE_EDL_OUT";
	default:
		return "TE_EDL_IN | TE_EDL_OUT";
	}
}

/* The attributes as a comment: "[in, count=n]". */
static void attr_text(char *buf, size_t len, const struct te_edl_decl *d)
{
	size_t used = 0;
	int n;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		n = snprintf(buf + used, len - used, __VA_ARGS__);                                 \
		if (n < 0 || (size_t)n >= len - used)                                              \
			return;                                                                    \
		used += (size_t)n;                                                                 \
	} while (0)
	buf[0] = '\0';
	ADD("[");
	if (d->attrs & TE_EDL_A_IN)
		ADD("in");
	if (d->attrs & TE_EDL_A_OUT)
		ADD("%sout", used > 1 ? ", " : "");
	if (d->attrs & TE_EDL_A_STRING)
		ADD("%sstring", used > 1 ? ", " : "");
	if (d->attrs & TE_EDL_A_ISPTR)
		ADD("%sisptr", used > 1 ? ", " : "");
	if (d->attrs & TE_EDL_A_ISARY)
		ADD("%sisary", used > 1 ? ", " : "");
	if (d->attrs & TE_EDL_A_USER_CHECK)
		ADD("%suser_check", used > 1 ? ", " : "");
	if (d->attrs & TE_EDL_A_COUNT) {
		if (d->count.name)
			ADD("%scount=%s", used > 1 ? ", " : "", d->count.name);
		else
			ADD("%scount=%llu", used > 1 ? ", " : "", (unsigned long long)d->count.num);
	}
	if (d->attrs & TE_EDL_A_SIZE) {
		if (d->size.name)
			ADD("%ssize=%s", used > 1 ? ", " : "", d->size.name);
		else
			ADD("%ssize=%llu", used > 1 ? ", " : "", (unsigned long long)d->size.num);
	}
	ADD("]");
#undef ADD
}

/* ---- sizes ---- */

/* target = the value of size=/count= (a literal, or a sibling read
 * through prefix, refused when negative or too large). */
static void emit_value(struct body *bd, int ind, const struct te_edl_value *v,
                       const struct te_edl_decl *sibs, const char *prefix, const char *target)
{
	const struct te_edl_decl *s;

	if (!v->name) {
		line(&bd->b, ind, "%s = (size_t)%lluULL;", target, (unsigned long long)v->num);
		return;
	}
	s = &sibs[v->ref];
	if (s->type.is_signed)
		emit_try(bd, ind, "te_edl_count_s((long long)%s%s, &%s)", prefix, s->name, target);
	else
		emit_try(bd, ind, "te_edl_count_u((unsigned long long)%s%s, &%s)", prefix, s->name,
		         target);
}

/* The size of one element of a pointer buffer. */
static void elem_size(char *buf, size_t len, const struct te_edl_decl *d)
{
	static const char stars[] = "********";
	unsigned n = d->type.ptr > 1 ? d->type.ptr - 1 : 0;

	if (d->attrs & TE_EDL_A_ISPTR)
		snprintf(buf, len, "sizeof(*(%s)0)", d->type.name);
	else if (n)
		snprintf(buf, len, "sizeof(%s %.*s)", tyname(&d->type), (int)n, stars);
	else
		snprintf(buf, len, "sizeof(%s)", tyname(&d->type));
}

/* _te_sz = the byte size of buffer d (not for [string]). */
static void emit_size(struct body *bd, int ind, const struct te_edl_decl *d,
                      const struct te_edl_decl *sibs, const char *prefix)
{
	char es[512];
	bool has_c = d->attrs & TE_EDL_A_COUNT, has_s = d->attrs & TE_EDL_A_SIZE;

	bd->used |= L_SZ;
	if (d->attrs & TE_EDL_A_ISARY) {
		line(&bd->b, ind, "_te_sz = sizeof(%s);", d->type.name);
		return;
	}
	if (d->ndims) {
		puts_ind(&bd->b, ind);
		te_edl_buf_printf(&bd->b, "_te_sz = sizeof(%s%s", tyname(&d->type),
		                  d->type.ptr ? " " : "");
		print_stars(&bd->b, d->type.ptr);
		print_dims(&bd->b, d, 0);
		te_edl_buf_puts(&bd->b, ");\n");
		return;
	}
	elem_size(es, sizeof(es), d);
	if (has_c) {
		bd->used |= L_C;
		emit_value(bd, ind, &d->count, sibs, prefix, "_te_c");
	}
	if (has_s && !has_c) {
		emit_value(bd, ind, &d->size, sibs, prefix, "_te_sz");
		return;
	}
	if (has_s) {
		bd->used |= L_U;
		emit_value(bd, ind, &d->size, sibs, prefix, "_te_u");
		emit_try(bd, ind, "te_edl_mul(_te_c, _te_u, &_te_sz)");
		return;
	}
	if (has_c) {
		emit_try(bd, ind, "te_edl_mul(_te_c, %s, &_te_sz)", es);
		return;
	}
	line(&bd->b, ind, "_te_sz = %s;", es);
}

static void emit_locals(struct te_edl_buf *b, unsigned used)
{
	if (used & L_C)
		line(b, 1, "size_t _te_c = 0;");
	if (used & L_U)
		line(b, 1, "size_t _te_u = 0;");
	if (used & L_SZ)
		line(b, 1, "size_t _te_sz = 0;");
	if (used & L_I)
		line(b, 1, "size_t _te_i = 0;");
	if (used & L_CHILD)
		line(b, 1, "size_t _te_child = TE_EDL_NONE;");
	if (used & L_OFF)
		line(b, 1, "uintptr_t _te_off = 0;");
	if (used & L_V)
		line(b, 1, "void *_te_v = NULL;");
}

/* ---- which struct helpers are needed ---- */

static void mark(struct gen *g, const struct te_edl_usertype *t, unsigned what);

static void mark_members(struct gen *g, const struct te_edl_usertype *t, unsigned what)
{
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct te_edl_decl *d = &t->members[i];
		const struct te_edl_usertype *m = struct_def(&d->type);
		if (!m || (d->attrs & TE_EDL_A_USER_CHECK))
			continue;
		if (d->type.ptr == 0) {
			/* held by value */
			if ((what & (M_SCRUB | M_KEEP)) && m->has_ptrs)
				mark(g, m, what & (M_SCRUB | M_KEEP));
			if ((what & (M_SEND | M_RECV)) && m->has_deep)
				mark(g, m, what & (M_SEND | M_RECV));
			else if ((what & M_RECV) && m->has_ptrs)
				mark(g, m, M_SCRUB);
			continue;
		}
		if (!is_deep_member(d) || !(what & (M_SEND | M_RECV)))
			continue;
		if (m->has_ptrs)
			mark(g, m, M_OPS);
		if (m->has_deep)
			mark(g, m, what & (M_SEND | M_RECV));
	}
}

static void mark(struct gen *g, const struct te_edl_usertype *t, unsigned what)
{
	size_t i = type_index(g, t);

	if (what & M_OPS)
		what |= M_SCRUB | M_KEEP;
	if ((g->marks[i] & what) == what)
		return;
	g->marks[i] |= what;
	mark_members(g, t, what);
}

/* What the caller (stub) or callee (wrapper) of fn uses. */
static void mark_func(struct gen *g, const struct te_edl_func *fn, bool caller)
{
	const struct te_edl_usertype *s = struct_def(&fn->ret);

	if (s && s->has_ptrs && fn->ret.ptr == 0)
		mark(g, s, M_SCRUB);
	for (size_t i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (d->attrs & TE_EDL_A_USER_CHECK)
			continue;
		if (!te_edl_decl_is_buffer(d)) {
			s = struct_def(&d->type);
			if (s && s->has_ptrs)
				mark(g, s, M_SCRUB);
			continue;
		}
		s = buffer_struct(d);
		if (!s)
			continue;
		mark(g, s, M_OPS);
		if (s->has_deep && (d->attrs & TE_EDL_A_IN))
			mark(g, s, caller ? M_SEND : M_RECV);
		/* [out]: the callee sends the nested buffers, the caller takes them */
		if (is_deep_out(d))
			mark(g, s, caller ? M_RECV : M_SEND);
	}
}

/* ---- struct helpers ---- */

/* sizeof a member, without an object at hand. */
static void member_size(char *buf, size_t len, const struct te_edl_usertype *t,
                        const struct te_edl_decl *d)
{
	snprintf(buf, len, "sizeof(((%s *)0)->%s)", t->cname, d->name);
}

static void gen_scrub_keep(struct gen *g, const struct te_edl_usertype *t, bool keep)
{
	struct body bd = {{0}, 0, ""};
	char ms[1024];

	for (size_t i = 0; i < t->nmembers; i++) {
		const struct te_edl_decl *d = &t->members[i];
		const struct te_edl_usertype *m = struct_def(&d->type);
		if (d->attrs & TE_EDL_A_USER_CHECK)
			continue;
		member_size(ms, sizeof(ms), t, d);
		if (d->type.ptr > 0) {
			if (keep)
				line(&bd.b, 1,
				     "te_edl_copy_at(_te_d, _te_s, offsetof(%s, %s), %s);",
				     t->cname, d->name, ms);
			else
				line(&bd.b, 1, "te_edl_zero_at(_te_e, offsetof(%s, %s), %s);",
				     t->cname, d->name, ms);
			continue;
		}
		if (!m || !m->has_ptrs)
			continue;
		if (d->ndims == 0) {
			if (keep)
				line(&bd.b, 1,
				     "_te_keep_%s(_te_d + offsetof(%s, %s), _te_s + offsetof(%s, "
				     "%s));",
				     m->name, t->cname, d->name, t->cname, d->name);
			else
				line(&bd.b, 1, "_te_scrub_%s(_te_e + offsetof(%s, %s));", m->name,
				     t->cname, d->name);
			continue;
		}
		bd.used |= L_I;
		line(&bd.b, 1, "for (_te_i = 0; _te_i < %s / sizeof(%s); _te_i++)", ms, m->cname);
		if (keep)
			line(&bd.b, 2,
			     "_te_keep_%s(_te_d + offsetof(%s, %s) + _te_i * sizeof(%s),\n\t\t\t"
			     "_te_s + offsetof(%s, %s) + _te_i * sizeof(%s));",
			     m->name, t->cname, d->name, m->cname, t->cname, d->name, m->cname);
		else
			line(&bd.b, 2,
			     "_te_scrub_%s(_te_e + offsetof(%s, %s) + _te_i * sizeof(%s));",
			     m->name, t->cname, d->name, m->cname);
	}
	if (keep)
		te_edl_buf_printf(
		    g->out,
		    "/* Puts the caller's own pointers of a %s back into a copy. */\n"
		    "static void _te_keep_%s(uint8_t *_te_d, const uint8_t *_te_s)\n{\n",
		    t->name, t->name);
	else
		te_edl_buf_printf(g->out,
		                  "/* Zeroes the pointers of a %s copy that must not cross. */\n"
		                  "static void _te_scrub_%s(uint8_t *_te_e)\n{\n",
		                  t->name, t->name);
	emit_locals(g->out, bd.used);
	if (bd.used)
		te_edl_buf_puts(g->out, "\n");
	te_edl_buf_append(g->out, &bd.b);
	te_edl_buf_puts(g->out, "}\n\n");
	te_edl_buf_free(&bd.b);
}

/* The element-of-member cast: "(const T *)(const void *)x". */
static void gen_send(struct gen *g, const struct te_edl_usertype *t)
{
	struct body bd = {{0}, 0, "return _te_r"};
	char ms[1024], at[1024];

	for (size_t i = 0; i < t->nmembers; i++) {
		const struct te_edl_decl *d = &t->members[i];
		const struct te_edl_usertype *m = struct_def(&d->type);
		if (d->attrs & TE_EDL_A_USER_CHECK)
			continue;
		if (is_deep_member(d)) {
			attr_text(at, sizeof(at), d);
			line(&bd.b, 1, "/* %s: %s */", d->name, at);
			line(&bd.b, 1, "if (_te_e->%s) {", d->name);
			emit_size(&bd, 2, d, t->members, "_te_e->");
			bool nested = m && m->has_deep;
			if (nested)
				bd.used |= L_CHILD | L_I;
			emit_try(
			    &bd, 2,
			    "te_edl_plan_add(_te_p, (const void *)_te_e->%s, _te_sz, _te_flags, "
			    "_te_seg,\n\t\t\t\t\t\t  _te_base + offsetof(%s, %s), %s%s, NULL, "
			    "%s)",
			    d->name, t->cname, d->name, m && m->has_ptrs ? "&_te_ops_" : "NULL",
			    m && m->has_ptrs ? m->name : "", nested ? "&_te_child" : "NULL");
			if (nested) {
				line(&bd.b, 2,
				     "for (_te_i = 0; _te_i < _te_sz / sizeof(%s); _te_i++)",
				     m->cname);
				emit_try(
				    &bd, 3,
				    "_te_send_%s(_te_p, _te_child, _te_i * sizeof(%s),\n\t\t\t\t\t"
				    "\t(const %s *)(const void *)_te_e->%s + _te_i, _te_flags)",
				    m->name, m->cname, m->cname, d->name);
			}
			line(&bd.b, 1, "}");
			continue;
		}
		if (d->type.ptr > 0 || !m || !m->has_deep)
			continue;
		if (d->ndims == 0) {
			emit_try(&bd, 1,
			         "_te_send_%s(_te_p, _te_seg, _te_base + offsetof(%s, %s), "
			         "&_te_e->%s, _te_flags)",
			         m->name, t->cname, d->name, d->name);
			continue;
		}
		member_size(ms, sizeof(ms), t, d);
		bd.used |= L_I;
		line(&bd.b, 1, "for (_te_i = 0; _te_i < %s / sizeof(%s); _te_i++)", ms, m->cname);
		emit_try(&bd, 2,
		         "_te_send_%s(_te_p, _te_seg,\n\t\t\t\t\t_te_base + offsetof(%s, %s) + "
		         "_te_i * sizeof(%s),\n\t\t\t\t\t(const %s *)(const void *)_te_e->%s + "
		         "_te_i, _te_flags)",
		         m->name, t->cname, d->name, m->cname, m->cname, d->name);
	}
	te_edl_buf_printf(g->out,
	                  "/* Adds the deep-copied members of one %s to the caller's plan. */\n"
	                  "static oe_result_t _te_send_%s(te_edl_plan_t *_te_p, size_t _te_seg, "
	                  "size_t _te_base,\n\t\t\t\t const %s *_te_e, unsigned _te_flags)\n{\n",
	                  t->name, t->name, t->cname);
	line(g->out, 1, "oe_result_t _te_r = OE_OK;");
	emit_locals(g->out, bd.used);
	te_edl_buf_puts(g->out, "\n");
	te_edl_buf_append(g->out, &bd.b);
	line(g->out, 1, "return _te_r;");
	te_edl_buf_puts(g->out, "}\n\n");
	te_edl_buf_free(&bd.b);
}

static void gen_recv(struct gen *g, const struct te_edl_usertype *t)
{
	struct body bd = {{0}, 0, "return _te_r"};
	char ms[1024], at[1024];

	for (size_t i = 0; i < t->nmembers; i++) {
		const struct te_edl_decl *d = &t->members[i];
		const struct te_edl_usertype *m = struct_def(&d->type);
		if (d->attrs & TE_EDL_A_USER_CHECK)
			continue;
		if (is_deep_member(d)) {
			bool nested = m && m->has_deep, scrub = m && m->has_ptrs && !m->has_deep;
			bd.used |= L_OFF | L_V;
			if (nested || scrub)
				bd.used |= L_CHILD;
			attr_text(at, sizeof(at), d);
			line(&bd.b, 1, "/* %s: %s */", d->name, at);
			line(&bd.b, 1, "_te_off = te_edl_take_offset(&_te_e->%s);", d->name);
			line(&bd.b, 1, "if (_te_off != 0) {");
			emit_size(&bd, 2, d, t->members, "_te_e->");
			emit_try(
			    &bd, 2,
			    "te_edl_recv(_te_p, _te_off, _te_sz, _te_flags, _te_seg,\n\t\t\t\t\t"
			    "     _te_base + offsetof(%s, %s), %s%s, &_te_v, %s)",
			    t->cname, d->name, m && m->has_ptrs ? "&_te_ops_" : "NULL",
			    m && m->has_ptrs ? m->name : "",
			    nested || scrub ? "&_te_child" : "NULL");
			line(&bd.b, 2, "_te_e->%s = (%s%s *)_te_v;", d->name,
			     d->type.is_const ? "const " : "", tyname(&d->type));
			if (scrub)
				line(&bd.b, 2, "te_edl_scrub_seg(_te_p, _te_child);");
			if (nested) {
				bd.used |= L_I;
				line(&bd.b, 2,
				     "for (_te_i = 0; _te_i < _te_sz / sizeof(%s); _te_i++)",
				     m->cname);
				emit_try(
				    &bd, 3,
				    "_te_recv_%s(_te_p, _te_child, _te_i * sizeof(%s),\n\t\t\t\t\t"
				    "\t(%s *)_te_v + _te_i, _te_flags)",
				    m->name, m->cname, m->cname);
			}
			line(&bd.b, 1, "}");
			continue;
		}
		if (d->type.ptr > 0) {
			line(&bd.b, 1, "memset(&_te_e->%s, 0, sizeof(_te_e->%s));", d->name,
			     d->name);
			continue;
		}
		if (!m || !m->has_ptrs)
			continue;
		member_size(ms, sizeof(ms), t, d);
		if (m->has_deep && d->ndims == 0) {
			emit_try(&bd, 1,
			         "_te_recv_%s(_te_p, _te_seg, _te_base + offsetof(%s, %s), "
			         "&_te_e->%s, _te_flags)",
			         m->name, t->cname, d->name, d->name);
		} else if (m->has_deep) {
			bd.used |= L_I;
			line(&bd.b, 1, "for (_te_i = 0; _te_i < %s / sizeof(%s); _te_i++)", ms,
			     m->cname);
			emit_try(
			    &bd, 2,
			    "_te_recv_%s(_te_p, _te_seg,\n\t\t\t\t\t_te_base + offsetof(%s, %s) "
			    "+ _te_i * sizeof(%s),\n\t\t\t\t\t(%s *)(void *)_te_e->%s + _te_i, "
			    "_te_flags)",
			    m->name, t->cname, d->name, m->cname, m->cname, d->name);
		} else if (d->ndims == 0) {
			line(&bd.b, 1, "_te_scrub_%s((uint8_t *)&_te_e->%s);", m->name, d->name);
		} else {
			bd.used |= L_I;
			line(&bd.b, 1, "for (_te_i = 0; _te_i < %s / sizeof(%s); _te_i++)", ms,
			     m->cname);
			line(&bd.b, 2, "_te_scrub_%s((uint8_t *)&_te_e->%s + _te_i * sizeof(%s));",
			     m->name, d->name, m->cname);
		}
	}
	te_edl_buf_printf(g->out,
	                  "/* Takes the deep-copied members of one received %s: each offset\n"
	                  " * becomes a pointer to a checked copy, other pointers NULL. */\n"
	                  "static oe_result_t _te_recv_%s(te_edl_plan_t *_te_p, size_t _te_seg, "
	                  "size_t _te_base,\n\t\t\t\t %s *_te_e, unsigned _te_flags)\n{\n",
	                  t->name, t->name, t->cname);
	line(g->out, 1, "oe_result_t _te_r = OE_OK;");
	emit_locals(g->out, bd.used);
	te_edl_buf_puts(g->out, "\n");
	te_edl_buf_append(g->out, &bd.b);
	line(g->out, 1, "return _te_r;");
	te_edl_buf_puts(g->out, "}\n\n");
	te_edl_buf_free(&bd.b);
}

static void gen_struct_helpers(struct gen *g)
{
	const struct te_edl *edl = g->edl;
	size_t i;
	bool any = false;

	for (i = 0; i < edl->ntypes; i++) {
		const struct te_edl_usertype *t = edl->types[i];
		unsigned m = g->marks[i];
		if (!m)
			continue;
		if (!any)
			te_edl_buf_puts(g->out, "/* Struct helpers. */\n");
		any = true;
		if (m & M_SCRUB)
			te_edl_buf_printf(g->out, "static void _te_scrub_%s(uint8_t *_te_e);\n",
			                  t->name);
		if (m & M_KEEP)
			te_edl_buf_printf(g->out,
			                  "static void _te_keep_%s(uint8_t *_te_d, const uint8_t "
			                  "*_te_s);\n",
			                  t->name);
		if (m & M_SEND)
			te_edl_buf_printf(g->out,
			                  "static oe_result_t _te_send_%s(te_edl_plan_t *_te_p, "
			                  "size_t _te_seg, size_t _te_base,\n\t\t\t\t const %s "
			                  "*_te_e, unsigned _te_flags);\n",
			                  t->name, t->cname);
		if (m & M_RECV)
			te_edl_buf_printf(g->out,
			                  "static oe_result_t _te_recv_%s(te_edl_plan_t *_te_p, "
			                  "size_t _te_seg, size_t _te_base,\n\t\t\t\t %s *_te_e, "
			                  "unsigned _te_flags);\n",
			                  t->name, t->cname);
	}
	if (!any)
		return;
	for (i = 0; i < edl->ntypes; i++)
		if (g->marks[i] & M_OPS)
			te_edl_buf_printf(
			    g->out,
			    "static const te_edl_struct_ops_t _te_ops_%s = {sizeof(%s), "
			    "_te_scrub_%s, _te_keep_%s};\n",
			    edl->types[i]->name, edl->types[i]->cname, edl->types[i]->name,
			    edl->types[i]->name);
	te_edl_buf_puts(g->out, "\n");
	for (i = 0; i < edl->ntypes; i++) {
		const struct te_edl_usertype *t = edl->types[i];
		unsigned m = g->marks[i];
		if (m & M_SCRUB)
			gen_scrub_keep(g, t, false);
		if (m & M_KEEP)
			gen_scrub_keep(g, t, true);
		if (m & M_SEND)
			gen_send(g, t);
		if (m & M_RECV)
			gen_recv(g, t);
	}
}

/* ---- prototypes ---- */

static void print_params(struct te_edl_buf *b, const struct te_edl_func *fn, bool first,
                         const char *prefix)
{
	for (size_t i = 0; i < fn->nparams; i++) {
		if (!first || i > 0)
			te_edl_buf_puts(b, ", ");
		print_decl(b, &fn->params[i], prefix);
	}
}

/* RET name(params): what the implementing side writes. */
static void print_impl_proto(struct te_edl_buf *b, const struct te_edl_func *fn)
{
	te_edl_buf_printf(b, "%s %s(", ret_name(fn), fn->name);
	if (fn->nparams == 0)
		te_edl_buf_puts(b, "void");
	print_params(b, fn, true, "");
	te_edl_buf_puts(b, ")");
}

/* oe_result_t name([enclave, ][_retval, ]params): the calling side's stub.
 * The definition names its parameters with prefix "_te_p_", so no
 * parameter shadows a type or function of the same name. */
static void print_stub_proto(struct te_edl_buf *b, const struct te_edl_func *fn, const char *prefix)
{
	bool first = true;

	te_edl_buf_printf(b, "oe_result_t %s(", fn->name);
	if (fn->trusted) {
		te_edl_buf_puts(b, "oe_enclave_t *enclave");
		first = false;
	}
	if (!is_void(fn)) {
		te_edl_buf_printf(b, "%s%s *_retval", first ? "" : ", ", ret_name(fn));
		first = false;
	}
	if (first && fn->nparams == 0)
		te_edl_buf_puts(b, "void");
	print_params(b, fn, first, prefix);
	te_edl_buf_puts(b, ")");
}

/* ---- X_args.h ---- */

static void upper(struct te_edl_buf *b, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		te_edl_buf_printf(b, "%c", c);
	}
}

static void guard_open(struct gen *g, const char *suffix)
{
	te_edl_buf_puts(g->out, "#ifndef EDGER8R_");
	upper(g->out, g->edl->name);
	te_edl_buf_printf(g->out, "_%s\n#define EDGER8R_", suffix);
	upper(g->out, g->edl->name);
	te_edl_buf_printf(g->out, "_%s\n\n", suffix);
}

static void banner(struct gen *g, const char *suffix)
{
	te_edl_buf_printf(g->out,
	                  "/* %s%s - generated by te-edger8r from %s.edl; do not edit. */\n",
	                  g->edl->name, suffix, g->edl->name);
}

static void gen_usertype(struct gen *g, const struct te_edl_usertype *t)
{
	struct te_edl_buf *b = g->out;
	size_t i;

	if (t->kind == TE_EDL_ENUM) {
		if (t->name)
			te_edl_buf_printf(b, "typedef enum %s {\n", t->name);
		else
			te_edl_buf_puts(b, "enum {\n");
		for (i = 0; i < t->nitems; i++) {
			if (t->items[i].value)
				line(b, 1, "%s = %s,", t->items[i].name, t->items[i].value);
			else
				line(b, 1, "%s,", t->items[i].name);
		}
		if (t->name)
			te_edl_buf_printf(b, "} %s;\n\n", t->name);
		else
			te_edl_buf_puts(b, "};\n\n");
		return;
	}
	te_edl_buf_printf(b, "typedef %s %s {\n", t->kind == TE_EDL_STRUCT ? "struct" : "union",
	                  t->name);
	for (i = 0; i < t->nmembers; i++) {
		te_edl_buf_puts(b, "\t");
		print_decl(b, &t->members[i], "");
		if (t->members[i].attrs) {
			char at[1024];
			attr_text(at, sizeof(at), &t->members[i]);
			te_edl_buf_printf(b, "; /* %s */\n", at);
		} else {
			te_edl_buf_puts(b, ";\n");
		}
	}
	te_edl_buf_printf(b, "} %s;\n\n", t->name);
}

static void gen_args_struct(struct gen *g, const struct te_edl_func *fn, size_t id)
{
	struct te_edl_buf *b = g->out;

	te_edl_buf_printf(b, "/* %s %s, function id %zu */\n", fn->trusted ? "ECALL" : "OCALL",
	                  fn->name, id);
	te_edl_buf_printf(b, "typedef struct _%s_args_t {\n", fn->name);
	line(b, 1, "oe_result_t _te_result;");
	if (fn->propagate_errno)
		line(b, 1, "int _te_errno;");
	if (!is_void(fn))
		line(b, 1, "%s _te_retval;", ret_name(fn));
	for (size_t i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (d->attrs & TE_EDL_A_USER_CHECK)
			line(b, 1, "uint64_t %s;", d->name);
		else if (te_edl_decl_is_buffer(d))
			line(b, 1, "te_edl_buffer_t %s;", d->name);
		else
			line(b, 1, "%s %s;", d->type.name, d->name);
	}
	te_edl_buf_printf(b, "} %s_args_t;\n\n", fn->name);
}

static void gen_args_h(struct gen *g)
{
	const struct te_edl *edl = g->edl;
	struct te_edl_buf *b = g->out;
	size_t i;

	banner(g, "_args.h");
	guard_open(g, "ARGS_H");
	te_edl_buf_puts(b, "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n"
	                   "#include <sys/types.h>\n#include <wchar.h>\n\n");
	te_edl_buf_puts(b, "#include <openenclave/bits/result.h>\n");
	te_edl_buf_puts(b, "#include <openenclave/edger8r/common.h>\n\n");
	for (i = 0; i < edl->nincludes; i++)
		te_edl_buf_printf(b, "#include \"%s\"\n", edl->includes[i]);
	if (edl->nincludes)
		te_edl_buf_puts(b, "\n");
	for (i = 0; i < edl->ntypes; i++)
		gen_usertype(g, edl->types[i]);
	for (i = 0; i < edl->ntrusted; i++)
		gen_args_struct(g, edl->trusted[i], i);
	for (i = 0; i < edl->nuntrusted; i++)
		gen_args_struct(g, edl->untrusted[i], i);
	te_edl_buf_puts(b, "#endif\n");
}

/* ---- X_t.h / X_u.h ---- */

static void gen_header(struct gen *g, bool trusted_side)
{
	const struct te_edl *edl = g->edl;
	struct te_edl_buf *b = g->out;
	size_t i;

	banner(g, trusted_side ? "_t.h" : "_u.h");
	guard_open(g, trusted_side ? "T_H" : "U_H");
	te_edl_buf_printf(b, "#include <openenclave/edger8r/%s.h>\n\n",
	                  trusted_side ? "enclave" : "host");
	te_edl_buf_printf(b, "#include \"%s_args.h\"\n\nOE_EXTERNC_BEGIN\n\n", edl->name);
	if (!trusted_side) {
		te_edl_buf_printf(b,
		                  "oe_result_t oe_create_%s_enclave(const char *path, "
		                  "oe_enclave_type_t type, uint32_t flags,\n\t\t\t\t"
		                  "const oe_enclave_setting_t *settings, uint32_t "
		                  "setting_count,\n\t\t\t\toe_enclave_t **enclave);\n\n",
		                  edl->name);
	}
	struct te_edl_func *const *impl = trusted_side ? edl->trusted : edl->untrusted;
	size_t nimpl = trusted_side ? edl->ntrusted : edl->nuntrusted;
	struct te_edl_func *const *stub = trusted_side ? edl->untrusted : edl->trusted;
	size_t nstub = trusted_side ? edl->nuntrusted : edl->ntrusted;

	if (nimpl)
		te_edl_buf_printf(b, "/* %s: implemented by the %s. */\n",
		                  trusted_side ? "ECALLs" : "OCALLs",
		                  trusted_side ? "enclave" : "host");
	for (i = 0; i < nimpl; i++) {
		print_impl_proto(b, impl[i]);
		te_edl_buf_puts(b, ";\n");
	}
	if (nimpl)
		te_edl_buf_puts(b, "\n");
	if (nstub)
		te_edl_buf_printf(b,
		                  "/* %s: called by the %s.  The result says whether the call "
		                  "went\n * through; *_retval is what the %s returned. */\n",
		                  trusted_side ? "OCALLs" : "ECALLs",
		                  trusted_side ? "enclave" : "host",
		                  trusted_side ? "host" : "enclave");
	for (i = 0; i < nstub; i++) {
		print_stub_proto(b, stub[i], "");
		te_edl_buf_puts(b, ";\n");
	}
	if (nstub)
		te_edl_buf_puts(b, "\n");
	te_edl_buf_puts(b, "OE_EXTERNC_END\n\n#endif\n");
}

/* ---- stubs (the calling side) ---- */

static bool needs_seg(const struct te_edl_decl *d, bool caller)
{
	const struct te_edl_usertype *s = buffer_struct(d);

	if (!te_edl_decl_is_buffer(d))
		return false;
	if (d->attrs & TE_EDL_A_OUT)
		return true;
	if (s && caller && s->has_deep)
		return true;
	return s && !caller;
}

/* Caller side of [out] structs with deep-copied members: their nested
 * buffers follow the fixed output; each is checked and copied into a new
 * allocation of the caller's, into a copy of the struct array, before any
 * of the caller's memory is written. */
static void gen_stub_tail(struct body *bd, const struct te_edl_func *fn)
{
	line(&bd->b, 1, "te_edl_tail_init(&_te_tail, &_te_p, _te_ob, _te_written);");
	for (size_t i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		const struct te_edl_usertype *s = buffer_struct(d);
		if (!te_edl_decl_is_buffer(d) || !is_deep_out(d))
			continue;
		bd->used |= L_I;
		emit_try(bd, 1, "te_edl_tail_take(&_te_p, _te_seg_%s, _te_ob, &_te_t_%s)", d->name,
		         d->name);
		line(&bd->b, 1,
		     "for (_te_i = 0; _te_i < te_edl_seg_count(&_te_p, _te_seg_%s, sizeof(%s)); "
		     "_te_i++)",
		     d->name, s->cname);
		emit_try(bd, 2,
		         "_te_recv_%s(&_te_tail, TE_EDL_NONE, 0, (%s *)_te_t_%s + _te_i, "
		         "TE_EDL_IN)",
		         s->name, s->cname, d->name);
	}
	emit_try(bd, 1, "te_edl_tail_end(&_te_tail)");
}

static void gen_stub(struct gen *g, const struct te_edl_func *fn, size_t id)
{
	bool deep_out;
	struct body bd = {{0}, 0, "goto _te_done"};
	struct te_edl_buf *b = g->out;
	const struct te_edl_usertype *s;
	char at[1024];
	size_t i;

	for (i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (d->attrs & TE_EDL_A_USER_CHECK) {
			line(&bd.b, 1, "_te_in.%s = (uint64_t)(uintptr_t)_te_p_%s;", d->name,
			     d->name);
			continue;
		}
		if (te_edl_decl_is_buffer(d))
			continue;
		line(&bd.b, 1, "_te_in.%s = _te_p_%s;", d->name, d->name);
		s = struct_def(&d->type);
		if (s && s->has_ptrs)
			line(&bd.b, 1, "_te_scrub_%s((uint8_t *)&_te_in.%s);", s->name, d->name);
	}
	for (i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (!te_edl_decl_is_buffer(d))
			continue;
		unsigned f = dir_flags(d);
		s = buffer_struct(d);
		attr_text(at, sizeof(at), d);
		line(&bd.b, 1, "/* %s: %s */", d->name, at);
		line(&bd.b, 1, "if (_te_p_%s) {", d->name);
		if (d->attrs & TE_EDL_A_STRING) {
			bd.used |= L_SZ;
			emit_try(&bd, 2, "te_edl_strsize(_te_p_%s, &_te_sz)", d->name);
		} else {
			emit_size(&bd, 2, d, fn->params, "_te_p_");
		}
		char segref[300];
		if (needs_seg(d, true))
			snprintf(segref, sizeof(segref), "&_te_seg_%s", d->name);
		else
			snprintf(segref, sizeof(segref), "NULL");
		emit_try(
		    &bd, 2,
		    "te_edl_plan_add(&_te_p, (const void *)_te_p_%s, _te_sz, %s, TE_EDL_NONE, 0,\n"
		    "\t\t\t\t\t\t  %s%s, &_te_in.%s, %s)",
		    d->name, dir_text(f), s ? "&_te_ops_" : "NULL", s ? s->name : "", d->name,
		    segref);
		if (s && s->has_deep && (f & 1)) {
			bd.used |= L_I;
			line(&bd.b, 2, "for (_te_i = 0; _te_i < _te_sz / sizeof(%s); _te_i++)",
			     s->cname);
			emit_try(&bd, 3,
			         "_te_send_%s(&_te_p, _te_seg_%s, _te_i * sizeof(%s),\n\t\t\t\t\t"
			         "\t(const %s *)(const void *)_te_p_%s + _te_i, %s)",
			         s->name, d->name, s->cname, s->cname, d->name, dir_text(f));
		}
		line(&bd.b, 1, "}");
	}
	deep_out = any_deep_out(fn);
	if (deep_out)
		line(&bd.b, 1, "_te_p.out_extra = TE_EDL_DEEP_OUT_MAX;");
	emit_try(&bd, 1, "te_edl_plan_start(&_te_p, &_te_in, sizeof(_te_in), &_te_ib, &_te_ob)");
	if (fn->trusted)
		emit_try(&bd, 1,
		         "%s(enclave, %zu, _te_ib, _te_p.in_size, _te_ob,\n\t\t\t\t\t"
		         "te_edl_plan_out_cap(&_te_p), &_te_written)",
		         fn->switchless ? "oe_switchless_call_enclave_function"
		                        : "oe_call_enclave_function",
		         id);
	else
		emit_try(&bd, 1,
		         "%s(%zu, _te_ib, _te_p.in_size, _te_ob,\n\t\t\t\t\t"
		         "te_edl_plan_out_cap(&_te_p), &_te_written)",
		         fn->switchless ? "oe_switchless_call_host_function"
		                        : "oe_call_host_function",
		         id);
	emit_try(&bd, 1,
	         "te_edl_plan_reply(&_te_p, _te_ob, _te_written, &_te_out, sizeof(_te_out))");
	for (i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (te_edl_decl_is_buffer(d) && (d->attrs & TE_EDL_A_OUT))
			emit_try(&bd, 1, "te_edl_plan_check_desc(&_te_p, _te_seg_%s, &_te_out.%s)",
			         d->name, d->name);
	}
	if (deep_out)
		gen_stub_tail(&bd, fn);
	line(&bd.b, 1, "te_edl_plan_copy_out(&_te_p, _te_ob);");
	for (i = 0; deep_out && i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (!te_edl_decl_is_buffer(d) || !is_deep_out(d))
			continue;
		/* the copy whose nested pointers are now the caller's allocations */
		line(&bd.b, 1, "if (_te_t_%s)", d->name);
		line(&bd.b, 2, "memcpy((void *)_te_p_%s, _te_t_%s, _te_p.segs[_te_seg_%s].size);",
		     d->name, d->name, d->name);
	}
	if (deep_out)
		line(&bd.b, 1, "te_edl_plan_disown(&_te_tail);");
	s = struct_def(&fn->ret);
	if (!is_void(fn) && s && s->has_ptrs)
		line(&bd.b, 1, "_te_scrub_%s((uint8_t *)&_te_out._te_retval);", s->name);
	if (!is_void(fn)) {
		line(&bd.b, 1, "if (_retval)");
		line(&bd.b, 2, "*_retval = _te_out._te_retval;");
	}
	if (fn->propagate_errno)
		line(&bd.b, 1, "errno = _te_out._te_errno;");

	print_stub_proto(b, fn, "_te_p_");
	te_edl_buf_puts(b, "\n{\n");
	line(b, 1, "oe_result_t _te_r = OE_OK;");
	line(b, 1, "%s_args_t _te_in;", fn->name);
	line(b, 1, "%s_args_t _te_out;", fn->name);
	line(b, 1, "te_edl_plan_t _te_p;");
	line(b, 1, "uint8_t *_te_ib = NULL;");
	line(b, 1, "uint8_t *_te_ob = NULL;");
	line(b, 1, "size_t _te_written = 0;");
	emit_locals(b, bd.used);
	if (deep_out)
		line(b, 1, "te_edl_plan_t _te_tail;");
	for (i = 0; i < fn->nparams; i++) {
		if (needs_seg(&fn->params[i], true))
			line(b, 1, "size_t _te_seg_%s = TE_EDL_NONE;", fn->params[i].name);
		if (te_edl_decl_is_buffer(&fn->params[i]) && is_deep_out(&fn->params[i]))
			line(b, 1, "void *_te_t_%s = NULL;", fn->params[i].name);
	}
	te_edl_buf_puts(b, "\n");
	line(b, 1, "memset(&_te_in, 0, sizeof(_te_in));");
	line(b, 1, "memset(&_te_out, 0, sizeof(_te_out));");
	line(b, 1, "te_edl_plan_init(&_te_p, sizeof(_te_in));");
	if (deep_out)
		line(b, 1, "te_edl_plan_init(&_te_tail, 0);");
	te_edl_buf_append(b, &bd.b);
	te_edl_buf_puts(b, "_te_done:\n");
	line(b, 1, "free(_te_ib);");
	line(b, 1, "free(_te_ob);");
	for (i = 0; deep_out && i < fn->nparams; i++)
		if (te_edl_decl_is_buffer(&fn->params[i]) && is_deep_out(&fn->params[i]))
			line(b, 1, "free(_te_t_%s);", fn->params[i].name);
	if (deep_out)
		line(b, 1, "te_edl_plan_free(&_te_tail);");
	line(b, 1, "te_edl_plan_free(&_te_p);");
	line(b, 1, "return _te_r;");
	te_edl_buf_puts(b, "}\n\n");
	te_edl_buf_free(&bd.b);
}

/* ---- wrappers (the called side) ---- */

/* The argument the implementation gets for parameter d. */
static void print_call_arg(struct te_edl_buf *b, const struct te_edl_decl *d)
{
	if (d->attrs & TE_EDL_A_USER_CHECK) {
		te_edl_buf_puts(b, "(");
		if (d->attrs & (TE_EDL_A_ISPTR | TE_EDL_A_ISARY))
			te_edl_buf_printf(b, "%s", d->type.name);
		else
			print_param_type(b, d);
		te_edl_buf_printf(b, ")(uintptr_t)_te_in.%s", d->name);
		return;
	}
	if (!te_edl_decl_is_buffer(d)) {
		te_edl_buf_printf(b, "_te_in.%s", d->name);
		return;
	}
	if (d->attrs & TE_EDL_A_ISARY) {
		te_edl_buf_printf(b, "(_te_a_%s ? *(%s *)_te_a_%s : NULL)", d->name, d->type.name,
		                  d->name);
		return;
	}
	if (d->attrs & TE_EDL_A_ISPTR) {
		te_edl_buf_printf(b, "(%s)_te_a_%s", d->type.name, d->name);
		return;
	}
	te_edl_buf_puts(b, "(");
	print_param_type(b, d);
	te_edl_buf_printf(b, ")_te_a_%s", d->name);
}

static void gen_wrapper(struct gen *g, const struct te_edl_func *fn)
{
	struct body bd = {{0}, 0, "goto _te_done"};
	struct te_edl_buf *b = g->out;
	const struct te_edl_usertype *s;
	char at[1024];
	size_t i;

	for (i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		s = struct_def(&d->type);
		if (!te_edl_decl_is_buffer(d) && !(d->attrs & TE_EDL_A_USER_CHECK) && s &&
		    s->has_ptrs)
			line(&bd.b, 1, "_te_scrub_%s((uint8_t *)&_te_in.%s);", s->name, d->name);
	}
	for (i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (!te_edl_decl_is_buffer(d))
			continue;
		unsigned f = dir_flags(d);
		bool str = d->attrs & TE_EDL_A_STRING;
		s = buffer_struct(d);
		attr_text(at, sizeof(at), d);
		line(&bd.b, 1, "/* %s: %s */", d->name, at);
		if (!str) {
			line(&bd.b, 1, "if (_te_in.%s.offset != 0) {", d->name);
			emit_size(&bd, 2, d, fn->params, "_te_in.");
			line(&bd.b, 1, "}");
		}
		emit_try(&bd, 1,
		         "te_edl_recv_param(&_te_p, &_te_in.%s, %s, %s%s, %s%s,\n\t\t\t\t\t"
		         "    &_te_a_%s, %s%s)",
		         d->name, str ? "0" : "_te_sz", dir_text(f), str ? " | TE_EDL_STRING" : "",
		         s ? "&_te_ops_" : "NULL", s ? s->name : "", d->name,
		         needs_seg(d, false) ? "&_te_seg_" : "NULL",
		         needs_seg(d, false) ? d->name : "");
		/* An [out] buffer arrives zeroed: nothing in it to check. */
		if (s && !s->has_deep && (f & 1))
			line(&bd.b, 1, "te_edl_scrub_seg(&_te_p, _te_seg_%s);", d->name);
		if (s && s->has_deep && (f & 1)) {
			bd.used |= L_I;
			line(&bd.b, 1,
			     "for (_te_i = 0; _te_a_%s && _te_i < _te_sz / sizeof(%s); _te_i++)",
			     d->name, s->cname);
			emit_try(&bd, 2,
			         "_te_recv_%s(&_te_p, _te_seg_%s, _te_i * sizeof(%s),\n\t\t\t\t\t"
			         "(%s *)_te_a_%s + _te_i, %s)",
			         s->name, d->name, s->cname, s->cname, d->name, dir_text(f));
		}
	}
	puts_ind(&bd.b, 1);
	if (!is_void(fn))
		te_edl_buf_puts(&bd.b, "_te_out._te_retval = ");
	te_edl_buf_printf(&bd.b, "%s(", fn->name);
	for (i = 0; i < fn->nparams; i++) {
		if (i)
			te_edl_buf_puts(&bd.b, ", ");
		print_call_arg(&bd.b, &fn->params[i]);
	}
	te_edl_buf_puts(&bd.b, ");\n");
	if (fn->propagate_errno)
		line(&bd.b, 1, "_te_out._te_errno = errno;");
	for (i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (!te_edl_decl_is_buffer(d) || !is_deep_out(d))
			continue;
		/* the implementation's nested buffers go after the fixed output,
		 * and are freed with the plan */
		s = buffer_struct(d);
		bd.used |= L_I;
		line(&bd.b, 1,
		     "for (_te_i = 0; _te_i < te_edl_seg_count(&_te_p, _te_seg_%s, sizeof(%s)); "
		     "_te_i++)",
		     d->name, s->cname);
		emit_try(&bd, 2,
		         "_te_send_%s(&_te_p, _te_seg_%s, _te_i * sizeof(%s),\n\t\t\t\t\t"
		         "(const %s *)_te_a_%s + _te_i, TE_EDL_OUT | TE_EDL_OWNED)",
		         s->name, d->name, s->cname, s->cname, d->name);
	}
	s = struct_def(&fn->ret);
	if (!is_void(fn) && s && s->has_ptrs)
		line(&bd.b, 1, "_te_scrub_%s((uint8_t *)&_te_out._te_retval);", s->name);
	for (i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (te_edl_decl_is_buffer(d) && (d->attrs & TE_EDL_A_OUT))
			line(&bd.b, 1, "te_edl_plan_desc_out(&_te_p, _te_seg_%s, &_te_out.%s);",
			     d->name, d->name);
	}

	te_edl_buf_printf(b,
	                  "static void _te_%s_%s(const uint8_t *_te_ib, size_t _te_isz, uint8_t "
	                  "*_te_ob,\n\t\t\t size_t _te_osz, size_t *_te_written)\n{\n",
	                  fn->trusted ? "ecall" : "ocall", fn->name);
	line(b, 1, "oe_result_t _te_r = OE_OK;");
	line(b, 1, "%s_args_t _te_in;", fn->name);
	line(b, 1, "%s_args_t _te_out;", fn->name);
	line(b, 1, "te_edl_plan_t _te_p;");
	emit_locals(b, bd.used);
	for (i = 0; i < fn->nparams; i++) {
		const struct te_edl_decl *d = &fn->params[i];
		if (!te_edl_decl_is_buffer(d))
			continue;
		line(b, 1, "void *_te_a_%s = NULL;", d->name);
		if (needs_seg(d, false))
			line(b, 1, "size_t _te_seg_%s = TE_EDL_NONE;", d->name);
	}
	te_edl_buf_puts(b, "\n");
	line(b, 1, "if (!_te_written)");
	line(b, 2, "return;");
	line(b, 1, "memset(&_te_in, 0, sizeof(_te_in));");
	line(b, 1, "memset(&_te_out, 0, sizeof(_te_out));");
	line(b, 1, "te_edl_plan_init_recv(&_te_p, sizeof(_te_in), _te_ib, _te_isz, _te_osz);");
	line(b, 1, "/* Nothing runs unless the input holds the args struct and the");
	line(b, 1, " * output has room for the reply's. */");
	line(b, 1,
	     "if (!_te_ib || _te_isz < sizeof(_te_in) || !_te_ob || _te_osz < sizeof(_te_out)) {");
	line(b, 2, "_te_r = OE_BUFFER_TOO_SMALL;");
	line(b, 2, "goto _te_done;");
	line(b, 1, "}");
	line(b, 1, "memcpy(&_te_in, _te_ib, sizeof(_te_in));");
	te_edl_buf_append(b, &bd.b);
	te_edl_buf_puts(b, "_te_done:\n");
	line(b, 1,
	     "te_edl_finish(&_te_p, &_te_out, sizeof(_te_out), _te_r, _te_ob, _te_osz, "
	     "_te_written);");
	line(b, 1, "te_edl_plan_free(&_te_p);");
	te_edl_buf_puts(b, "}\n\n");
	te_edl_buf_free(&bd.b);
}

/* ---- X_t.c / X_u.c ---- */

static bool any_errno(const struct te_edl *edl)
{
	for (size_t i = 0; i < edl->nuntrusted; i++)
		if (edl->untrusted[i]->propagate_errno)
			return true;
	return false;
}

static void gen_source(struct gen *g, bool trusted_side)
{
	const struct te_edl *edl = g->edl;
	struct te_edl_buf *b = g->out;
	size_t i;

	banner(g, trusted_side ? "_t.c" : "_u.c");
	te_edl_buf_printf(b, "#include \"%s_%s.h\"\n\n", edl->name, trusted_side ? "t" : "u");
	if (any_errno(edl))
		te_edl_buf_puts(b, "#include <errno.h>\n");
	te_edl_buf_puts(b, "#include <stdlib.h>\n#include <string.h>\n\n");

	for (i = 0; i < edl->ntrusted; i++)
		mark_func(g, edl->trusted[i], !trusted_side);
	for (i = 0; i < edl->nuntrusted; i++)
		mark_func(g, edl->untrusted[i], trusted_side);
	gen_struct_helpers(g);

	if (trusted_side) {
		if (edl->ntrusted)
			te_edl_buf_puts(b, "/* ECALL wrappers: check the host's input, call the "
			                   "implementation, reply. */\n");
		for (i = 0; i < edl->ntrusted; i++)
			gen_wrapper(g, edl->trusted[i]);
		te_edl_buf_puts(b, "/* The ECALLs by name, in EDL order. */\n");
		if (edl->ntrusted == 0) {
			te_edl_buf_puts(
			    b, "const oe_ecall_entry_t oe_ecalls_table[] = {{NULL, NULL}};\n"
			       "const size_t oe_ecalls_table_size = 0;\n");
		} else {
			te_edl_buf_puts(b, "const oe_ecall_entry_t oe_ecalls_table[] = {\n");
			for (i = 0; i < edl->ntrusted; i++)
				line(b, 1, "{\"%s\", _te_ecall_%s},", edl->trusted[i]->name,
				     edl->trusted[i]->name);
			te_edl_buf_printf(b, "};\nconst size_t oe_ecalls_table_size = %zu;\n",
			                  edl->ntrusted);
		}
		if (edl->nuntrusted)
			te_edl_buf_puts(b, "\n/* OCALL stubs: marshal, call the host, check its "
			                   "reply. */\n");
		for (i = 0; i < edl->nuntrusted; i++)
			gen_stub(g, edl->untrusted[i], i);
		return;
	}
	if (edl->nuntrusted)
		te_edl_buf_puts(b, "/* OCALL wrappers: check the enclave's input, call the "
		                   "implementation, reply. */\n");
	for (i = 0; i < edl->nuntrusted; i++)
		gen_wrapper(g, edl->untrusted[i]);
	if (edl->nuntrusted) {
		te_edl_buf_puts(b, "static const oe_ocall_func_t _te_ocall_table[] = {\n");
		for (i = 0; i < edl->nuntrusted; i++)
			line(b, 1, "_te_ocall_%s,", edl->untrusted[i]->name);
		te_edl_buf_puts(b, "};\n\n");
	}
	if (edl->ntrusted) {
		te_edl_buf_puts(b, "/* The ECALLs by name, in EDL order: index = function id. */\n"
		                   "static const oe_ecall_info_t _te_ecall_info[] = {\n");
		for (i = 0; i < edl->ntrusted; i++)
			line(b, 1, "{\"%s\"},", edl->trusted[i]->name);
		te_edl_buf_puts(b, "};\n\n");
	}
	te_edl_buf_printf(b,
	                  "oe_result_t oe_create_%s_enclave(const char *path, oe_enclave_type_t "
	                  "type, uint32_t flags,\n\t\t\t\tconst oe_enclave_setting_t *settings, "
	                  "uint32_t setting_count,\n\t\t\t\toe_enclave_t **enclave)\n{\n",
	                  edl->name);
	te_edl_buf_printf(b,
	                  "\treturn oe_create_enclave(path, type, flags, settings, setting_count, "
	                  "%s, %zu,\n\t\t\t\t %s, %zu, enclave);\n}\n\n",
	                  edl->nuntrusted ? "_te_ocall_table" : "NULL", edl->nuntrusted,
	                  edl->ntrusted ? "_te_ecall_info" : "NULL", edl->ntrusted);
	if (edl->ntrusted)
		te_edl_buf_puts(b,
		                "/* ECALL stubs: marshal, call the enclave, check its reply. */\n");
	for (i = 0; i < edl->ntrusted; i++)
		gen_stub(g, edl->trusted[i], i);
}

const char *te_edl_output_suffix(enum te_edl_output which)
{
	switch (which) {
	case TE_EDL_OUT_ARGS_H:
		return "_args.h";
	case TE_EDL_OUT_T_H:
		return "_t.h";
	case TE_EDL_OUT_T_C:
		return "_t.c";
	case TE_EDL_OUT_U_H:
		return "_u.h";
	case TE_EDL_OUT_U_C:
		return "_u.c";
	default:
		return "";
	}
}

int te_edl_generate(const struct te_edl *edl, enum te_edl_output which, char **text, size_t *len)
{
	struct te_edl_buf out;
	struct gen g;

	te_edl_buf_init(&out);
	memset(&g, 0, sizeof(g));
	g.edl = edl;
	g.out = &out;
	g.marks = calloc(edl->ntypes ? edl->ntypes : 1, sizeof(unsigned));
	if (!g.marks)
		return -1;
	switch (which) {
	case TE_EDL_OUT_ARGS_H:
		gen_args_h(&g);
		break;
	case TE_EDL_OUT_T_H:
		gen_header(&g, true);
		break;
	case TE_EDL_OUT_U_H:
		gen_header(&g, false);
		break;
	case TE_EDL_OUT_T_C:
		gen_source(&g, true);
		break;
	case TE_EDL_OUT_U_C:
		gen_source(&g, false);
		break;
	default:
		out.failed = 1;
		break;
	}
	free(g.marks);
	if (out.failed || !out.data) {
		te_edl_buf_free(&out);
		return -1;
	}
	*text = out.data;
	*len = out.len;
	return 0;
}
