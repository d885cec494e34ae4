/*
 * main.c - te-edger8r (also installed as oeedger8r): the command line
 * around te_edl.  Parses the EDL, generates every requested file in
 * memory, and only then writes them, each through a temporary file and a
 * rename, so an error leaves no output behind.
 *
 * Exit status: 0 success, 1 an error in the EDL (or writing the output),
 * 2 a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edl.h"

#define MAX_LIST  256
#define MAX_FILES 6

struct cli {
	bool trusted;
	bool untrusted;
	bool header_only;
	const char *trusted_dir;
	const char *untrusted_dir;
	const char *search[MAX_LIST];
	size_t nsearch;
	const char *defines[MAX_LIST];
	size_t ndefines;
	const char *edl;
};

struct outfile {
	char *path; /* final name */
	char *tmp;  /* temporary name while writing */
	char *text;
	size_t len;
};

static void usage(FILE *f)
{
	fputs(
	    "usage: te-edger8r [--trusted|--untrusted] [--trusted-dir DIR] [--untrusted-dir DIR]\n"
	    "                  [--search-path PATH]... [-D NAME]... [--header-only] X.edl\n"
	    "\n"
	    "Generates the marshalling code of the ECALLs and OCALLs declared in X.edl.\n"
	    "  --trusted          the enclave side: X_t.h X_t.c X_args.h\n"
	    "  --untrusted        the host side: X_u.h X_u.c X_args.h\n"
	    "                     (both sides when neither is given)\n"
	    "  --trusted-dir DIR  where the enclave side goes (default: .)\n"
	    "  --untrusted-dir DIR where the host side goes (default: .)\n"
	    "  --search-path PATH where imported EDL files are looked for, after the\n"
	    "                     importing file's own directory (repeatable)\n"
	    "  -D NAME            defines NAME for #ifdef/#ifndef (repeatable)\n"
	    "  --header-only      only the headers\n"
	    "  --help             this text\n"
	    "Exit status: 0 success, 1 error in the EDL, 2 usage error.\n",
	    f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("te-edger8r: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'te-edger8r --help'.\n", stderr);
	return 2;
}

/* "--name VALUE" or "--name=VALUE"; 1 if argv[*i] is this option. */
static int take_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		*value = NULL;
		return 1;
	}
	*value = argv[++*i];
	return 1;
}

static int add_list(const char **list, size_t *n, const char *v, const char *what)
{
	if (!v || !*v)
		return usage_error("%s needs a value", what);
	if (*n >= MAX_LIST)
		return usage_error("too many %s options", what);
	list[(*n)++] = v;
	return 0;
}

/* 0, 2 on a usage error, or -1 when --help was printed. */
static int parse_args(int argc, char **argv, struct cli *c)
{
	const char *v;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return -1;
		}
		if (strcmp(a, "--trusted") == 0) {
			c->trusted = true;
		} else if (strcmp(a, "--untrusted") == 0) {
			c->untrusted = true;
		} else if (strcmp(a, "--header-only") == 0) {
			c->header_only = true;
		} else if (take_value(argc, argv, &i, "--trusted-dir", &v)) {
			if (!v || !*v)
				return usage_error("%s needs a directory", "--trusted-dir");
			c->trusted_dir = v;
		} else if (take_value(argc, argv, &i, "--untrusted-dir", &v)) {
			if (!v || !*v)
				return usage_error("%s needs a directory", "--untrusted-dir");
			c->untrusted_dir = v;
		} else if (take_value(argc, argv, &i, "--search-path", &v)) {
			if ((r = add_list(c->search, &c->nsearch, v, "--search-path")) != 0)
				return r;
		} else if (strncmp(a, "-D", 2) == 0) {
			v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
			if ((r = add_list(c->defines, &c->ndefines, v, "-D")) != 0)
				return r;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("unknown option '%s'", a);
		} else if (c->edl) {
			return usage_error("more than one EDL file ('%s')", a);
		} else {
			c->edl = a;
		}
	}
	if (!c->edl)
		return usage_error("no EDL file given");
	if (!c->trusted && !c->untrusted) {
		c->trusted = true;
		c->untrusted = true;
	}
	if (!c->trusted_dir)
		c->trusted_dir = ".";
	if (!c->untrusted_dir)
		c->untrusted_dir = ".";
	return 0;
}

static void print_warning(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

/* mkdir -p, for output directories that do not exist yet. */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -1;
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			return -1;
		path[i] = saved;
	}
	return 0;
}

static char *join(const char *dir, const char *name, const char *suffix, const char *extra)
{
	size_t n = strlen(dir) + strlen(name) + strlen(suffix) + strlen(extra) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s%s%s", dir, name, suffix, extra);
	return p;
}

static int add_output(struct outfile *files, size_t *n, const struct te_edl *edl, const char *dir,
                      enum te_edl_output which)
{
	const char *suffix = te_edl_output_suffix(which);
	char *path = join(dir, edl->name, suffix, "");
	struct outfile *o;

	if (!path)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(files[i].path, path) == 0) {
			free(path);
			return 0;
		}
	}
	o = &files[(*n)++];
	memset(o, 0, sizeof(*o));
	o->path = path;
	if (te_edl_generate(edl, which, &o->text, &o->len) != 0) {
		fprintf(stderr, "te-edger8r: out of memory generating %s\n", path);
		return -1;
	}
	return 0;
}

static int write_tmp(struct outfile *o, const char *dir, const char *name, const char *suffix,
                     mode_t mode)
{
	size_t done = 0;
	ssize_t w;
	int fd;

	size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 16;
	o->tmp = malloc(n);
	if (!o->tmp)
		return -1;
	snprintf(o->tmp, n, "%s/.%s%s.XXXXXX", dir, name, suffix);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	while (done < o->len) {
		w = write(fd, o->text + done, o->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done != o->len || fchmod(fd, mode) != 0 || close(fd) != 0) {
		int e = errno;
		if (done != o->len)
			close(fd);
		errno = e;
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct te_edl_opts opts;
	struct te_edl *edl = NULL;
	struct outfile files[MAX_FILES];
	size_t nfiles = 0, i;
	char err[TE_EDL_ERR_LEN];
	int r, status = 1;
	mode_t mask;

	memset(&c, 0, sizeof(c));
	r = parse_args(argc, argv, &c);
	if (r < 0)
		return 0;
	if (r > 0)
		return r;
	memset(&opts, 0, sizeof(opts));
	opts.search_paths = c.search;
	opts.nsearch = c.nsearch;
	opts.defines = c.defines;
	opts.ndefines = c.ndefines;
	opts.warn = print_warning;
	if (te_edl_parse(&opts, c.edl, &edl, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	memset(files, 0, sizeof(files));
	if (c.trusted) {
		if (add_output(files, &nfiles, edl, c.trusted_dir, TE_EDL_OUT_T_H) ||
		    add_output(files, &nfiles, edl, c.trusted_dir, TE_EDL_OUT_ARGS_H) ||
		    (!c.header_only &&
		     add_output(files, &nfiles, edl, c.trusted_dir, TE_EDL_OUT_T_C)))
			goto out;
	}
	if (c.untrusted) {
		if (add_output(files, &nfiles, edl, c.untrusted_dir, TE_EDL_OUT_U_H) ||
		    add_output(files, &nfiles, edl, c.untrusted_dir, TE_EDL_OUT_ARGS_H) ||
		    (!c.header_only &&
		     add_output(files, &nfiles, edl, c.untrusted_dir, TE_EDL_OUT_U_C)))
			goto out;
	}
	mask = umask(0);
	umask(mask);
	for (i = 0; i < nfiles; i++) {
		const char *slash = strrchr(files[i].path, '/');
		size_t dl = (size_t)(slash - files[i].path);
		char dir[PATH_MAX];
		if (dl >= sizeof(dir))
			goto write_failed;
		memcpy(dir, files[i].path, dl);
		dir[dl] = '\0';
		if (make_dirs(dir) != 0 ||
		    write_tmp(&files[i], dir, edl->name, slash + 1 + strlen(edl->name),
		              0666 & ~mask) != 0)
			goto write_failed;
	}
	for (i = 0; i < nfiles; i++) {
		if (rename(files[i].tmp, files[i].path) != 0)
			goto write_failed;
		free(files[i].tmp);
		files[i].tmp = NULL;
	}
	status = 0;
	goto out;
write_failed:
	fprintf(stderr, "te-edger8r: cannot write %s: %s\n", files[i].path, strerror(errno));
out:
	for (i = 0; i < nfiles; i++) {
		if (files[i].tmp) {
			unlink(files[i].tmp);
			free(files[i].tmp);
		}
		free(files[i].path);
		free(files[i].text);
	}
	te_edl_free(edl);
	return status;
}
