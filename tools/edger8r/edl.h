/*
 * edl.h - te_edl, the EDL parser and code generator behind te-edger8r.
 *
 * te_edl_parse() reads one EDL file (and the EDL files it imports) into a
 * te_edl model: the includes, the struct/union/enum definitions and the
 * merged, de-duplicated list of trusted (ECALL) and untrusted (OCALL)
 * functions, every one checked.  te_edl_generate() turns a model into the
 * text of one generated file.  Neither prints anything: errors come back
 * as one "file:line:col: error: message" string.
 */
#ifndef TE_EDL_H
#define TE_EDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds that keep a hostile EDL from costing more than a few MiB. */
#define TE_EDL_MAX_FILE    (1u << 20) /* bytes of one EDL file */
#define TE_EDL_MAX_IMPORT  32         /* nesting of imports */
#define TE_EDL_MAX_IFDEF   64         /* nesting of #ifdef */
#define TE_EDL_MAX_IDENT   255        /* characters of a name */
#define TE_EDL_MAX_DIMS    8          /* dimensions of an array */
#define TE_EDL_MAX_LITERAL 0xffffffffull
#define TE_EDL_ERR_LEN     1024

struct te_edl_arena;

struct te_edl_loc {
	const char *file; /* path as the user named it (or as resolved for imports) */
	unsigned line;
	unsigned col;
};

enum te_edl_kind {
	TE_EDL_VOID,
	TE_EDL_INT,   /* every builtin integer type */
	TE_EDL_FLOAT, /* float, double, long double */
	TE_EDL_BOOL,
	TE_EDL_STRUCT,
	TE_EDL_UNION,
	TE_EDL_ENUM,
	TE_EDL_USER /* a name from an included header: opaque, by value */
};

struct te_edl_usertype;

struct te_edl_type {
	enum te_edl_kind kind;
	const char *name; /* C spelling of the base type: "unsigned int", "struct s", "my_t" */
	const char *tag;  /* struct/union/enum tag or the typedef name */
	bool is_const;
	bool is_signed;                    /* integers only */
	unsigned ptr;                      /* number of '*' */
	const struct te_edl_usertype *def; /* the EDL definition, when there is one */
};

/* Parameter and member attributes. */
#define TE_EDL_A_IN         0x001u
#define TE_EDL_A_OUT        0x002u
#define TE_EDL_A_STRING     0x004u
#define TE_EDL_A_WSTRING    0x008u
#define TE_EDL_A_USER_CHECK 0x010u
#define TE_EDL_A_ISPTR      0x020u
#define TE_EDL_A_ISARY      0x040u
#define TE_EDL_A_SIZE       0x080u
#define TE_EDL_A_COUNT      0x100u

/* size= or count=: a literal, or the name of a sibling parameter/member. */
struct te_edl_value {
	const char *name; /* NULL for a literal */
	uint64_t num;
	struct te_edl_loc loc;
	int ref; /* index of the named parameter/member once checked, -1 otherwise */
};

/* A parameter or a struct/union member. */
struct te_edl_decl {
	struct te_edl_type type;
	const char *name;
	struct te_edl_loc loc;
	struct te_edl_loc attr_loc; /* the '[' of its attributes */
	unsigned attrs;
	struct te_edl_value size;
	struct te_edl_value count;
	size_t ndims;
	const char *dims[TE_EDL_MAX_DIMS]; /* number or named constant, as written */
};

struct te_edl_func {
	const char *name;
	struct te_edl_loc loc;
	struct te_edl_type ret;
	struct te_edl_decl *params;
	size_t nparams;
	bool trusted;
	bool switchless;      /* transition_using_threads */
	bool propagate_errno; /* untrusted only */
	const char **allow;   /* untrusted only: ECALLs it may call back */
	struct te_edl_loc *allow_locs;
	size_t nallow;
	const char *origin; /* identity of the file that declares it */
};

struct te_edl_enumerator {
	const char *name;
	const char *value; /* as written, or NULL */
};

struct te_edl_usertype {
	enum te_edl_kind kind; /* TE_EDL_STRUCT, TE_EDL_UNION or TE_EDL_ENUM */
	const char *name;      /* NULL for an anonymous enum */
	const char *cname;     /* "struct name": what generated code spells (a
	                        * parameter may shadow the typedef name) */
	struct te_edl_loc loc;
	struct te_edl_decl *members;
	size_t nmembers;
	struct te_edl_enumerator *items;
	size_t nitems;
	const char *origin;
	/* filled in by the checks */
	bool has_ptrs; /* copies carry pointers that must be zeroed or kept */
	bool has_deep; /* has a deep-copied member, directly or by value */
	int mark;      /* cycle search */
};

struct te_edl {
	const char *name; /* X of X.edl */
	const char **includes;
	size_t nincludes;
	struct te_edl_usertype **types;
	size_t ntypes;
	struct te_edl_func **trusted; /* ECALLs: index = function id */
	size_t ntrusted;
	struct te_edl_func **untrusted; /* OCALLs: index = function id */
	size_t nuntrusted;
	struct te_edl_arena *arena;
};

/* Finds an EDL file.  Returns 0 and malloc'd *canon (identity of the
 * file: the same file reached two ways has the same canon), *data and
 * *len; 1 when there is no such file; -1 on another error (message in
 * err).  */
typedef int (*te_edl_load_fn)(void *ctx, const char *path, char **canon, char **data, size_t *len,
                              char *err, size_t errlen);

struct te_edl_opts {
	const char *const *search_paths;
	size_t nsearch;
	const char *const *defines; /* -D names for #ifdef */
	size_t ndefines;
	te_edl_load_fn load; /* NULL: te_edl_load_file */
	void *load_ctx;
	void (*warn)(void *ctx, const char *msg); /* NULL: warnings dropped */
	void *warn_ctx;
};

/* The file system loader: realpath() is the identity. */
int te_edl_load_file(void *ctx, const char *path, char **canon, char **data, size_t *len, char *err,
                     size_t errlen);

/* Parses and checks path.  0 and *out on success (free with
 * te_edl_free); -1 and the message in err otherwise. */
int te_edl_parse(const struct te_edl_opts *opts, const char *path, struct te_edl **out, char *err,
                 size_t errlen);
void te_edl_free(struct te_edl *edl);

enum te_edl_output {
	TE_EDL_OUT_ARGS_H, /* X_args.h */
	TE_EDL_OUT_T_H,    /* X_t.h */
	TE_EDL_OUT_T_C,    /* X_t.c */
	TE_EDL_OUT_U_H,    /* X_u.h */
	TE_EDL_OUT_U_C,    /* X_u.c */
};

/* Generates one file into a malloc'd NUL-terminated buffer.  0 on
 * success, -1 when out of memory. */
int te_edl_generate(const struct te_edl *edl, enum te_edl_output which, char **text, size_t *len);
/* "X_t.h" and so on, for the file names. */
const char *te_edl_output_suffix(enum te_edl_output which);

#endif /* TE_EDL_H */
