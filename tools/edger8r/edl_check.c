/*
 * edl_check.c - owns the rules an EDL must follow beyond its grammar.
 *
 * Runs once on the merged model: resolves every type name to its EDL
 * definition, checks attribute combinations on parameters and struct
 * members, works out which structs carry pointers (zeroed or deep-copied
 * when they cross), and refuses what the generated code could not marshal
 * safely.  Every refusal points at the declaration it is about.
 */
#include "edl_int.h"

#include <stdio.h>
#include <string.h>

struct te_edl_ck {
	struct te_edl *edl;
	const struct te_edl_opts *opts;
	char *err;
	size_t errlen;
};

static int ck_error(struct te_edl_ck *ck, const struct te_edl_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ck_error(struct te_edl_ck *ck, const struct te_edl_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	te_edl_verrorf(ck->err, ck->errlen, loc, fmt, ap);
	va_end(ap);
	return -1;
}

static void ck_warn(struct te_edl_ck *ck, const struct te_edl_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ck_warn(struct te_edl_ck *ck, const struct te_edl_loc *loc, const char *fmt, ...)
{
	char body[TE_EDL_ERR_LEN], msg[2 * TE_EDL_ERR_LEN + 64];
	va_list ap;

	if (!ck->opts->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s:%u:%u: warning: %s", loc->file, loc->line, loc->col, body);
	ck->opts->warn(ck->opts->warn_ctx, msg);
}

const struct te_edl_usertype *te_edl_find_type(const struct te_edl *edl, const char *name)
{
	for (size_t i = 0; i < edl->ntypes; i++)
		if (edl->types[i]->name && strcmp(edl->types[i]->name, name) == 0)
			return edl->types[i];
	return NULL;
}

bool te_edl_decl_is_pointer(const struct te_edl_decl *d)
{
	return d->type.ptr > 0 || (d->attrs & TE_EDL_A_ISPTR);
}

bool te_edl_decl_is_buffer(const struct te_edl_decl *d)
{
	if (d->attrs & TE_EDL_A_USER_CHECK)
		return false;
	return te_edl_decl_is_pointer(d) || d->ndims > 0 || (d->attrs & TE_EDL_A_ISARY);
}

static const char *kind_word(enum te_edl_kind k)
{
	switch (k) {
	case TE_EDL_STRUCT:
		return "struct";
	case TE_EDL_UNION:
		return "union";
	case TE_EDL_ENUM:
		return "enum";
	default:
		return "type";
	}
}

/* Points a type at its EDL definition; "S" written without "struct"
 * becomes the struct S defined in the EDL. */
static int resolve_type(struct te_edl_ck *ck, struct te_edl_type *ty, const struct te_edl_loc *at)
{
	const struct te_edl_usertype *def;

	if (ty->kind != TE_EDL_STRUCT && ty->kind != TE_EDL_UNION && ty->kind != TE_EDL_ENUM &&
	    ty->kind != TE_EDL_USER)
		return 0;
	def = te_edl_find_type(ck->edl, ty->tag);
	if (!def)
		return 0;
	if (ty->kind == TE_EDL_USER)
		ty->kind = def->kind;
	if (ty->kind != def->kind)
		return ck_error(ck, at, "'%s' is defined as %s %s", ty->name, kind_word(def->kind),
		                def->name);
	ty->def = def;
	return 0;
}

static bool is_integer(const struct te_edl_decl *d)
{
	return d->type.kind == TE_EDL_INT && d->type.ptr == 0 && d->ndims == 0 &&
	       !(d->attrs & (TE_EDL_A_ISPTR | TE_EDL_A_ISARY));
}

/* size=/count= naming a sibling: it must exist and be an integer. */
static int resolve_value(struct te_edl_ck *ck, struct te_edl_value *v, const char *attr,
                         const struct te_edl_decl *sibs, size_t nsibs, size_t self,
                         const char *owner_kind, const char *owner)
{
	if (!v->name)
		return 0;
	for (size_t i = 0; i < nsibs; i++) {
		if (i == self || strcmp(sibs[i].name, v->name) != 0)
			continue;
		if (!is_integer(&sibs[i]))
			return ck_error(ck, &v->loc, "%s '%s' must name an integer %s", attr,
			                v->name, owner_kind);
		v->ref = (int)i;
		return 0;
	}
	return ck_error(ck, &v->loc, "%s '%s' is not a %s of '%s'", attr, v->name, owner_kind,
	                owner);
}

static const char *first_attr(unsigned a)
{
	if (a & TE_EDL_A_IN)
		return "in";
	if (a & TE_EDL_A_OUT)
		return "out";
	if (a & TE_EDL_A_STRING)
		return "string";
	if (a & TE_EDL_A_SIZE)
		return "size";
	if (a & TE_EDL_A_COUNT)
		return "count";
	if (a & TE_EDL_A_ISPTR)
		return "isptr";
	if (a & TE_EDL_A_ISARY)
		return "isary";
	return "user_check";
}

static const char *direction(unsigned a)
{
	if ((a & TE_EDL_A_IN) && (a & TE_EDL_A_OUT))
		return "[in, out]";
	return (a & TE_EDL_A_IN) ? "[in]" : "[out]";
}

static int check_dup_names(struct te_edl_ck *ck, const struct te_edl_decl *d, size_t n,
                           const char *what)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(d[i].name, d[j].name) == 0)
				return ck_error(ck, &d[i].loc, "%s '%s' is declared twice", what,
				                d[i].name);
	return 0;
}

static int check_member(struct te_edl_ck *ck, struct te_edl_usertype *t, size_t i)
{
	struct te_edl_decl *d = &t->members[i];
	unsigned a = d->attrs;
	bool ptr = d->type.ptr > 0;

	if (resolve_type(ck, &d->type, &d->loc))
		return -1;
	if (strcmp(d->name, "errno") == 0)
		return ck_error(ck, &d->loc, "member name 'errno' is reserved");
	if (a & ~(TE_EDL_A_SIZE | TE_EDL_A_COUNT | TE_EDL_A_USER_CHECK))
		return ck_error(
		    ck, &d->attr_loc, "[%s] is not allowed on a struct member",
		    first_attr(a & ~(TE_EDL_A_SIZE | TE_EDL_A_COUNT | TE_EDL_A_USER_CHECK)));
	if (d->type.kind == TE_EDL_VOID && !ptr)
		return ck_error(ck, &d->loc, "member '%s' has type void", d->name);
	if ((a & TE_EDL_A_USER_CHECK) && !ptr)
		return ck_error(ck, &d->attr_loc, "[user_check] needs a pointer member");
	if ((a & TE_EDL_A_USER_CHECK) && (a & (TE_EDL_A_SIZE | TE_EDL_A_COUNT)))
		return ck_error(ck, &d->attr_loc, "[user_check] cannot be combined with [%s]",
		                first_attr(a & (TE_EDL_A_SIZE | TE_EDL_A_COUNT)));
	if (t->kind == TE_EDL_UNION) {
		if (a & (TE_EDL_A_SIZE | TE_EDL_A_COUNT))
			return ck_error(ck, &d->attr_loc,
			                "union members cannot be deep-copied (which member "
			                "is live is not known)");
		if (ptr && !(a & TE_EDL_A_USER_CHECK))
			return ck_error(ck, &d->loc,
			                "union member '%s' is a pointer: mark it [user_check]",
			                d->name);
		return 0;
	}
	if (!(a & (TE_EDL_A_SIZE | TE_EDL_A_COUNT)))
		return 0;
	if (!ptr)
		return ck_error(ck, &d->attr_loc, "[%s] needs a pointer member",
		                first_attr(a & (TE_EDL_A_SIZE | TE_EDL_A_COUNT)));
	if (d->type.ptr > 1 || d->ndims)
		return ck_error(ck, &d->loc,
		                "member '%s': only a single pointer can be deep-copied", d->name);
	if (d->type.kind == TE_EDL_VOID && !(a & TE_EDL_A_SIZE))
		return ck_error(ck, &d->attr_loc, "[count] on a void pointer needs [size] too");
	if (resolve_value(ck, &d->size, "size", t->members, t->nmembers, i, "member", t->name) ||
	    resolve_value(ck, &d->count, "count", t->members, t->nmembers, i, "member", t->name))
		return -1;
	return 0;
}

/* has_ptrs / has_deep of a struct, through the structs it holds by
 * value.  A struct holding itself by value is refused (it would not
 * compile, and the walk must end). */
static int analyse_type(struct te_edl_ck *ck, struct te_edl_usertype *t)
{
	if (t->mark == 2 || t->kind != TE_EDL_STRUCT)
		return 0;
	if (t->mark == 1)
		return ck_error(ck, &t->loc, "struct '%s' contains itself", t->name);
	t->mark = 1;
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct te_edl_decl *d = &t->members[i];
		if (d->type.ptr > 0) {
			if (!(d->attrs & TE_EDL_A_USER_CHECK))
				t->has_ptrs = true;
			if (d->attrs & (TE_EDL_A_SIZE | TE_EDL_A_COUNT))
				t->has_deep = true;
			continue;
		}
		struct te_edl_usertype *m = (struct te_edl_usertype *)d->type.def;
		if (!m || m->kind != TE_EDL_STRUCT)
			continue;
		if (analyse_type(ck, m))
			return -1;
		t->has_ptrs |= m->has_ptrs;
		t->has_deep |= m->has_deep;
	}
	t->mark = 2;
	return 0;
}

/* The deep copy of a struct must end: no struct may reach itself through
 * deep-copied members (a list or tree type). */
static int deep_cycle(struct te_edl_ck *ck, struct te_edl_usertype *t)
{
	if (t->mark == 4)
		return 0;
	if (t->mark == 3)
		return ck_error(ck, &t->loc,
		                "struct '%s' is deep-copied through itself (recursive types "
		                "are not supported)",
		                t->name);
	t->mark = 3;
	for (size_t i = 0; i < t->nmembers; i++) {
		const struct te_edl_decl *d = &t->members[i];
		struct te_edl_usertype *m = (struct te_edl_usertype *)d->type.def;
		bool deep = d->type.ptr == 1 && (d->attrs & (TE_EDL_A_SIZE | TE_EDL_A_COUNT));
		if (!m || m->kind != TE_EDL_STRUCT || !m->has_deep)
			continue;
		if ((deep || d->type.ptr == 0) && deep_cycle(ck, m))
			return -1;
	}
	t->mark = 4;
	return 0;
}

static int check_types(struct te_edl_ck *ck)
{
	struct te_edl *edl = ck->edl;
	size_t i, j;

	for (i = 0; i < edl->ntypes; i++) {
		struct te_edl_usertype *t = edl->types[i];
		if (t->kind == TE_EDL_ENUM)
			continue;
		if (check_dup_names(ck, t->members, t->nmembers, "member"))
			return -1;
		for (j = 0; j < t->nmembers; j++)
			if (check_member(ck, t, j))
				return -1;
	}
	for (i = 0; i < edl->ntypes; i++)
		if (analyse_type(ck, edl->types[i]))
			return -1;
	for (i = 0; i < edl->ntypes; i++)
		if (edl->types[i]->kind == TE_EDL_STRUCT && deep_cycle(ck, edl->types[i]))
			return -1;
	/* Which member of a union is live is not known, so pointers inside
	 * one could not be zeroed: only [user_check] ones are allowed. */
	for (i = 0; i < edl->ntypes; i++) {
		const struct te_edl_usertype *t = edl->types[i];
		for (j = 0; t->kind == TE_EDL_UNION && j < t->nmembers; j++) {
			const struct te_edl_usertype *m = t->members[j].type.def;
			if (t->members[j].type.ptr == 0 && m && m->kind == TE_EDL_STRUCT &&
			    m->has_ptrs)
				return ck_error(ck, &t->members[j].loc,
				                "union member '%s' holds pointers (struct '%s'); "
				                "a union can only hold [user_check] pointers",
				                t->members[j].name, m->name);
		}
	}
	return 0;
}

static int check_name(struct te_edl_ck *ck, const struct te_edl_func *fn,
                      const struct te_edl_decl *d)
{
	/* errno is a macro: "_te_in.errno" would not compile. */
	if (strncmp(d->name, "_te_", 4) == 0 || strcmp(d->name, "_retval") == 0 ||
	    strcmp(d->name, "errno") == 0 || (fn->trusted && strcmp(d->name, "enclave") == 0))
		return ck_error(ck, &d->loc, "parameter name '%s' is reserved", d->name);
	return 0;
}

static int check_user_check(struct te_edl_ck *ck, const struct te_edl_decl *d)
{
	unsigned a = d->attrs;

	if (a & (TE_EDL_A_IN | TE_EDL_A_OUT | TE_EDL_A_STRING | TE_EDL_A_SIZE | TE_EDL_A_COUNT))
		return ck_error(
		    ck, &d->attr_loc, "[user_check] cannot be combined with [%s]",
		    first_attr(a & ~(TE_EDL_A_USER_CHECK | TE_EDL_A_ISPTR | TE_EDL_A_ISARY)));
	if (!te_edl_decl_is_pointer(d) && d->ndims == 0 && !(a & TE_EDL_A_ISARY))
		return ck_error(ck, &d->attr_loc,
		                "[user_check] needs a pointer or array parameter");
	return 0;
}

static int check_string(struct te_edl_ck *ck, const struct te_edl_decl *d)
{
	unsigned a = d->attrs;
	const char *n = d->type.name;

	if (a & TE_EDL_A_OUT)
		return ck_error(ck, &d->attr_loc, "[string] cannot be combined with [out]");
	if (!(a & TE_EDL_A_IN))
		return ck_error(ck, &d->attr_loc, "[string] needs [in]");
	if (a & (TE_EDL_A_SIZE | TE_EDL_A_COUNT))
		return ck_error(ck, &d->attr_loc, "[string] cannot be combined with [%s]",
		                (a & TE_EDL_A_SIZE) ? "size" : "count");
	if (d->type.ptr != 1 || d->ndims || (a & (TE_EDL_A_ISPTR | TE_EDL_A_ISARY)) ||
	    d->type.kind != TE_EDL_INT ||
	    (strcmp(n, "char") != 0 && strcmp(n, "signed char") != 0 &&
	     strcmp(n, "unsigned char") != 0))
		return ck_error(ck, &d->attr_loc, "[string] needs a char pointer");
	return 0;
}

/* A parameter that crosses as a copied buffer. */
static int check_buffer(struct te_edl_ck *ck, const struct te_edl_func *fn, size_t i)
{
	struct te_edl_decl *d = &fn->params[i];
	unsigned a = d->attrs;
	bool array = d->ndims > 0 || (a & TE_EDL_A_ISARY);

	if (array && (a & (TE_EDL_A_SIZE | TE_EDL_A_COUNT)))
		return ck_error(ck, &d->attr_loc, "[%s] cannot be used on an array",
		                (a & TE_EDL_A_SIZE) ? "size" : "count");
	if ((a & TE_EDL_A_OUT) && d->type.is_const)
		return ck_error(ck, &d->loc, "%s parameter '%s' points to const", direction(a),
		                d->name);
	if (d->type.ptr > 0 && (a & TE_EDL_A_ISPTR))
		return ck_error(ck, &d->loc, "[isptr] '%s' cannot have a '*'", d->name);
	if (d->ndims && (a & TE_EDL_A_ISARY))
		return ck_error(ck, &d->attr_loc, "[isary] cannot have array dimensions");
	if (!array && d->type.kind == TE_EDL_VOID && d->type.ptr == 1 &&
	    !(a & (TE_EDL_A_SIZE | TE_EDL_A_STRING))) {
		if (a & TE_EDL_A_COUNT)
			return ck_error(ck, &d->attr_loc,
			                "[count] on a void pointer needs [size] too");
		return ck_error(ck, &d->loc, "pointer '%s' has %s but no size, count or string",
		                d->name, direction(a));
	}
	if (array && d->type.kind == TE_EDL_VOID && d->type.ptr == 0)
		return ck_error(ck, &d->loc, "array '%s' of void", d->name);
	if (resolve_value(ck, &d->size, "size", fn->params, fn->nparams, i, "parameter",
	                  fn->name) ||
	    resolve_value(ck, &d->count, "count", fn->params, fn->nparams, i, "parameter",
	                  fn->name))
		return -1;
	return 0;
}

static int check_param(struct te_edl_ck *ck, const struct te_edl_func *fn, size_t i)
{
	struct te_edl_decl *d = &fn->params[i];
	unsigned a = d->attrs;
	bool ptr = te_edl_decl_is_pointer(d);
	bool array = d->ndims > 0 || (a & TE_EDL_A_ISARY);

	if (check_name(ck, fn, d) || resolve_type(ck, &d->type, &d->loc))
		return -1;
	if ((a & (TE_EDL_A_ISPTR | TE_EDL_A_ISARY)) &&
	    (d->type.kind != TE_EDL_USER || d->type.ptr > 0))
		return ck_error(ck, &d->attr_loc, "[%s] is for a type name declared in a header",
		                (a & TE_EDL_A_ISPTR) ? "isptr" : "isary");
	if ((a & TE_EDL_A_ISPTR) && (a & TE_EDL_A_ISARY))
		return ck_error(ck, &d->attr_loc, "[isptr] cannot be combined with [isary]");
	if ((a & TE_EDL_A_ISARY) && (a & TE_EDL_A_USER_CHECK))
		return ck_error(ck, &d->attr_loc, "[isary] cannot be combined with [user_check]");
	if (d->type.kind == TE_EDL_VOID && !ptr)
		return ck_error(ck, &d->loc, "parameter '%s' has type void", d->name);
	if (a & TE_EDL_A_USER_CHECK)
		return check_user_check(ck, d);
	if ((a & TE_EDL_A_STRING) && check_string(ck, d))
		return -1;
	if (!ptr && !array) {
		if (a & (TE_EDL_A_IN | TE_EDL_A_OUT | TE_EDL_A_SIZE | TE_EDL_A_COUNT))
			return ck_error(ck, &d->attr_loc, "[%s] needs a pointer or array parameter",
			                first_attr(a));
		const struct te_edl_usertype *st = d->type.def;
		if (st && st->kind == TE_EDL_STRUCT && st->has_ptrs)
			ck_warn(ck, &d->loc,
			        "'%s' is passed by value: its pointer members arrive NULL",
			        d->name);
		return 0;
	}
	if (!(a & (TE_EDL_A_IN | TE_EDL_A_OUT))) {
		if (ptr)
			return ck_error(ck, &d->loc,
			                "pointer '%s' needs [in], [out], [in, out] or [user_check]",
			                d->name);
		/* An array without a direction is copied in, like a value. */
		d->attrs |= TE_EDL_A_IN;
	}
	return check_buffer(ck, fn, i);
}

static int check_func(struct te_edl_ck *ck, struct te_edl_func *fn)
{
	if (resolve_type(ck, &fn->ret, &fn->loc))
		return -1;
	if (fn->ret.ptr > 0)
		return ck_error(ck, &fn->loc,
		                "'%s' returns a pointer, which cannot cross the boundary (return "
		                "it through a parameter)",
		                fn->name);
	if (check_dup_names(ck, fn->params, fn->nparams, "parameter"))
		return -1;
	for (size_t i = 0; i < fn->nparams; i++)
		if (check_param(ck, fn, i))
			return -1;
	for (size_t i = 0; i < fn->nallow; i++) {
		size_t k;
		for (k = 0; k < ck->edl->ntrusted; k++)
			if (strcmp(ck->edl->trusted[k]->name, fn->allow[i]) == 0)
				break;
		if (k == ck->edl->ntrusted)
			return ck_error(ck, &fn->allow_locs[i],
			                "allow: '%s' is not a trusted function", fn->allow[i]);
	}
	return 0;
}

int te_edl_check(struct te_edl *edl, const struct te_edl_opts *opts, char *err, size_t errlen)
{
	struct te_edl_ck ck = {edl, opts, err, errlen};
	size_t i;

	if (check_types(&ck))
		return -1;
	for (i = 0; i < edl->ntrusted; i++)
		if (check_func(&ck, edl->trusted[i]))
			return -1;
	for (i = 0; i < edl->nuntrusted; i++)
		if (check_func(&ck, edl->untrusted[i]))
			return -1;
	return 0;
}
