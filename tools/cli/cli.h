/*
 * cli.h - what the parts of the trustedge command-line tool share: the
 * parsed command line, the key store opened on first use, exit codes,
 * bounded input and careful output, and the JSON result.
 */
#ifndef TRUSTEDGE_CLI_H
#define TRUSTEDGE_CLI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/te_config.h"
#include "trustedge/te_hsm.h"

/* Exit codes; trustedge(1) and `trustedge --help` document them. */
enum {
	TE_CLI_EXIT_OK = 0,
	TE_CLI_EXIT_FAILURE = 1,
	TE_CLI_EXIT_USAGE = 2,
	TE_CLI_EXIT_NOT_FOUND = 3,
	TE_CLI_EXIT_EXISTS = 4,
	TE_CLI_EXIT_PERMISSION = 5,
	TE_CLI_EXIT_INVALID = 6,
	TE_CLI_EXIT_STORE = 7,
	TE_CLI_EXIT_CONFIG = 8,
};

/* Every option the tool knows.  Global ones are accepted anywhere on the
 * line; the others only by the commands whose mask has their bit. */
typedef enum te_cli_opt {
	TE_CLI_OPT_STORE,
	TE_CLI_OPT_CONFIG,
	TE_CLI_OPT_JSON,
	TE_CLI_OPT_QUIET,
	TE_CLI_OPT_HELP,
	TE_CLI_OPT_VERSION,
	TE_CLI_OPT_TYPE,
	TE_CLI_OPT_USAGE,
	TE_CLI_OPT_EXPORTABLE,
	TE_CLI_OPT_IN,
	TE_CLI_OPT_OUT,
	TE_CLI_OPT_DER,
	TE_CLI_OPT_ALG,
	TE_CLI_OPT_PREHASHED,
	TE_CLI_OPT_SIG,
	TE_CLI_OPT_AAD,
	TE_CLI_OPT_IV,
	TE_CLI_OPT_DATA,
	TE_CLI_OPT_DATA_FILE,
	/* cert commands */
	TE_CLI_OPT_PROFILE,
	TE_CLI_OPT_CN,
	TE_CLI_OPT_DNS,  /* repeatable */
	TE_CLI_OPT_IP,   /* repeatable */
	TE_CLI_OPT_URI,  /* repeatable */
	TE_CLI_OPT_DAYS,
	TE_CLI_OPT_KEY,
	TE_CLI_OPT_CSR,
	TE_CLI_OPT_ISSUER,
	TE_CLI_OPT_ISSUER_KEY,
	TE_CLI_OPT_CAP_VALIDITY,
	TE_CLI_OPT_CHAIN,
	TE_CLI_OPT_ID,
	TE_CLI_OPT_CERT_STORE,
	TE_CLI_OPT_CA_FILE,
	TE_CLI_OPT_UNTRUSTED,
	TE_CLI_OPT_DIR,
	TE_CLI_OPT_DEVICE,
	TE_CLI_OPT_PASSWORD_FILE,
	TE_CLI_OPT_HSM_KEYS,
	TE_CLI_OPT_FORCE,
	TE_CLI_OPT_ROTATE,
	/* tee commands */
	TE_CLI_OPT_ROOT, /* repeatable */
	TE_CLI_OPT_NONCE,
	TE_CLI_OPT_ALLOW_DEBUG,
	TE_CLI_OPT__COUNT
} te_cli_opt;

#define TE_CLI_BIT(o)  ((uint64_t)1 << (o))
#define TE_CLI_MAX_POS 2
#define TE_CLI_LIST_MAX 16 /* values of one repeatable option */

typedef struct te_cli te_cli;

/* One subcommand ("key sign"). */
typedef struct te_cli_cmd {
	const char *name;
	te_err (*run)(te_cli *cli);
	const char *const *args; /* positional argument names, NULL-terminated */
	uint64_t opts;           /* TE_CLI_BIT() of the options it takes */
	const char *synopsis;    /* after "trustedge key " */
	const char *summary;     /* one line */
	const char *help;        /* description and options, for --help */
	unsigned optional_args;  /* how many of the last args may be left out */
} te_cli_cmd;

/* A command with subcommands ("key"). */
typedef struct te_cli_group {
	const char *name;
	const char *summary;
	const te_cli_cmd *cmds;
	size_t n_cmds;
} te_cli_group;

extern const te_cli_group te_cli_key_group;
extern const te_cli_group te_cli_cert_group;
extern const te_cli_group te_cli_config_group;
extern const te_cli_group te_cli_tee_group;

struct te_cli {
	/* Option values; flags are set to "" when given.  NULL when absent. */
	const char *opt[TE_CLI_OPT__COUNT];
	const char *pos[TE_CLI_MAX_POS];
	size_t n_pos;
	/* Every value of a repeatable option, in order (opt[] holds the first). */
	const char *list[TE_CLI_OPT__COUNT][TE_CLI_LIST_MAX];
	size_t n_list[TE_CLI_OPT__COUNT];
	const te_cli_group *group;
	const te_cli_cmd *cmd;

	te_hsm *hsm;         /* opened by te_cli_hsm() */
	te_config *config;   /* kept while hsm may refer to it */
	char what[256];      /* what was being done, for the error line */
	char what_short[32]; /* the same without the object, when the detail names it */
	char what_name[TE_HSM_NAME_MAX + 256]; /* the object: a key name or a path */
	json_t *result;                        /* printed on stdout in --json mode */
	int silent_failure;                    /* the exit code says it all: no error line */
	int show_usage; /* a usage error: the short usage follows the error */
};

/* Records what the command is doing, the start of its error line:
 * `verb` alone when the error's detail already names `name` (library
 * messages say "key 'a' ..."), else the full text made from fmt. */
void te_cli_what(te_cli *cli, const char *verb, const char *name, const char *fmt, ...)
    TE_PRINTF(4, 5);
/* The context for the error line (see te_cli_what). */
const char *te_cli_what_for(const te_cli *cli, const char *detail);
/* Opens the key store (once) from --store, --config, the environment or
 * the defaults; see trustedge(1). */
te_err te_cli_hsm(te_cli *cli) TE_MUST_CHECK;
/* A mistake on the command line: TE_ERR_INVALID_ARG with the message, and
 * the short usage follows the error line. */
te_err te_cli_usage_error(te_cli *cli, const char *fmt, ...) TE_PRINTF(2, 3);
/* Maps an error to the documented exit code. */
int te_cli_exit_code(te_err err);
/* 1 when the option was given. */
int te_cli_has(const te_cli *cli, te_cli_opt opt);
/* 1 when output should go to stdout ("-" or no --out). */
int te_cli_out_is_stdout(const char *path);

/* Reads a whole file ("-" is stdin) of at most max bytes into buf.  Use a
 * secure buf for secrets; te_buf_free wipes either kind. */
te_err te_cli_read_input(const char *path, size_t max, te_buf *buf) TE_MUST_CHECK;
/* Writes n bytes to path, or to stdout when te_cli_out_is_stdout(path),
 * without stdio buffering (so secrets leave no copy behind).  Files are
 * created with mode (before umask); a failed write removes the file. */
te_err te_cli_write_output(const char *path, const void *data, size_t n,
                           unsigned mode) TE_MUST_CHECK;
/* Writes all n bytes to fd. */
te_err te_cli_write_fd(int fd, const void *data, size_t n) TE_MUST_CHECK;

/* Sets key to the base64 text of data in obj (the text is wiped after). */
te_err te_cli_json_set_base64(json_t *obj, const char *key, const void *data,
                              size_t n) TE_MUST_CHECK;
/* Sets key to a new string value of n bytes (text, not NUL-terminated). */
te_err te_cli_json_set_text(json_t *obj, const char *key, const char *text, size_t n) TE_MUST_CHECK;
/* Hands obj (a new reference) to the CLI to print; a NULL obj is an
 * out-of-memory error. */
te_err te_cli_set_result(te_cli *cli, json_t *obj) TE_MUST_CHECK;

#endif
