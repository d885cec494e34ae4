/*
 * fuzz_edl.c - libFuzzer target for te_edl, the parser and generator of
 * te-edger8r (tools/edger8r).
 *
 * The input is the EDL file "fuzz.edl".  Imports resolve against a small
 * in-memory file system: "lib.edl" and "syscall.edl" are fixed EDLs (with
 * a deep-copied struct and the system OCALL), and "fuzz.edl" or
 * "self.edl" is the input again, so imports, repeats and cycles all get
 * exercised.  When the input parses, every output file is generated in
 * memory.  Sanitizers catch the rest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char lib_edl[] =
    "enclave {\n"
    "  struct blob { size_t len; [size=len] uint8_t* data; char* p; };\n"
    "  struct holder { uint32_t n; [count=n] struct blob* blobs; struct blob one; };\n"
    "  trusted { public int lib_ecall([in, out] struct holder* h, [in, string] const char* s); };\n"
    "  untrusted { void lib_ocall([out, count=n] int* v, size_t n) transition_using_threads; };\n"
    "};\n";

static const char syscall_edl[] =
    "enclave {\n"
    "  untrusted {\n"
    "    int64_t oe_syscall_write_ocall(int fd, [in, size=count] const void* buf, size_t count);\n"
    "  };\n"
    "};\n";

struct input {
	const uint8_t *data;
	size_t size;
};

static int dup_out(const char *text, size_t len, const char *name, char **canon, char **data,
                   size_t *out_len)
{
	*canon = strdup(name);
	*data = malloc(len + 1);
	if (!*canon || !*data) {
		free(*canon);
		free(*data);
		return -1;
	}
	memcpy(*data, text, len);
	(*data)[len] = '\0';
	*out_len = len;
	return 0;
}

static int load_mem(void *ctx, const char *path, char **canon, char **data, size_t *len, char *err,
                    size_t errlen)
{
	const struct input *in = ctx;
	const char *base = strrchr(path, '/');

	(void)err;
	(void)errlen;
	base = base ? base + 1 : path;
	if (strcmp(base, "fuzz.edl") == 0 || strcmp(base, "self.edl") == 0)
		return dup_out((const char *)in->data, in->size, "fuzz.edl", canon, data, len);
	if (strcmp(base, "lib.edl") == 0)
		return dup_out(lib_edl, sizeof(lib_edl) - 1, base, canon, data, len);
	if (strcmp(base, "syscall.edl") == 0 || strcmp(base, "platform.edl") == 0)
		return dup_out(syscall_edl, sizeof(syscall_edl) - 1, "syscall.edl", canon, data,
		               len);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const search[] = {"include", "include/openenclave/edl/sgx"};
	static const char *const defines[] = {"FUZZ", "WITH_EXTRA"};
	struct input in = {data, size};
	struct te_edl_opts opts;
	struct te_edl *edl = NULL;
	char err[TE_EDL_ERR_LEN];

	if (size > TE_EDL_MAX_FILE)
		return 0;
	memset(&opts, 0, sizeof(opts));
	opts.search_paths = search;
	opts.nsearch = 2;
	opts.defines = defines;
	opts.ndefines = 2;
	opts.load = load_mem;
	opts.load_ctx = &in;
	if (te_edl_parse(&opts, "fuzz.edl", &edl, err, sizeof(err)) != 0) {
		/* a refusal always says where and why */
		if (strstr(err, "error: ") == NULL)
			abort();
		return 0;
	}
	for (int which = TE_EDL_OUT_ARGS_H; which <= TE_EDL_OUT_U_C; which++) {
		char *text = NULL;
		size_t len = 0;
		if (te_edl_generate(edl, (enum te_edl_output)which, &text, &len) != 0)
			abort();
		if (strlen(text) != len)
			abort();
		free(text);
	}
	te_edl_free(edl);
	return 0;
}
