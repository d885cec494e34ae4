/*
 * main.c - the trustedge command-line tool: parses the command line
 * (global options anywhere, command options after the command), prints
 * help at every level, runs the command and turns its result into output
 * and an exit code.  Errors are reported here, once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/te_json.h"
#include "common/te_log.h"

#ifndef TE_VERSION
#define TE_VERSION "unknown"
#endif

typedef struct cli_opt_def {
	const char *name;
	char short_name;
	int has_arg;
	int global;
	te_cli_opt id;
	int repeatable;
} cli_opt_def;

static const cli_opt_def cli_opts[] = {
    {"store", 0, 1, 1, TE_CLI_OPT_STORE, 0},
    {"config", 0, 1, 1, TE_CLI_OPT_CONFIG, 0},
    {"json", 0, 0, 1, TE_CLI_OPT_JSON, 0},
    {"quiet", 'q', 0, 1, TE_CLI_OPT_QUIET, 0},
    {"help", 'h', 0, 1, TE_CLI_OPT_HELP, 0},
    {"version", 0, 0, 1, TE_CLI_OPT_VERSION, 0},
    {"type", 0, 1, 0, TE_CLI_OPT_TYPE, 0},
    {"usage", 0, 1, 0, TE_CLI_OPT_USAGE, 0},
    {"exportable", 0, 0, 0, TE_CLI_OPT_EXPORTABLE, 0},
    {"in", 0, 1, 0, TE_CLI_OPT_IN, 0},
    {"out", 0, 1, 0, TE_CLI_OPT_OUT, 0},
    {"der", 0, 0, 0, TE_CLI_OPT_DER, 0},
    {"alg", 0, 1, 0, TE_CLI_OPT_ALG, 0},
    {"prehashed", 0, 0, 0, TE_CLI_OPT_PREHASHED, 0},
    {"sig", 0, 1, 0, TE_CLI_OPT_SIG, 0},
    {"aad", 0, 1, 0, TE_CLI_OPT_AAD, 0},
    {"iv", 0, 1, 0, TE_CLI_OPT_IV, 0},
    {"data", 0, 1, 0, TE_CLI_OPT_DATA, 0},
    {"data-file", 0, 1, 0, TE_CLI_OPT_DATA_FILE, 0},
    {"profile", 0, 1, 0, TE_CLI_OPT_PROFILE, 0},
    {"cn", 0, 1, 0, TE_CLI_OPT_CN, 0},
    {"dns", 0, 1, 0, TE_CLI_OPT_DNS, 1},
    {"ip", 0, 1, 0, TE_CLI_OPT_IP, 1},
    {"uri", 0, 1, 0, TE_CLI_OPT_URI, 1},
    {"days", 0, 1, 0, TE_CLI_OPT_DAYS, 0},
    {"key", 0, 1, 0, TE_CLI_OPT_KEY, 0},
    {"csr", 0, 1, 0, TE_CLI_OPT_CSR, 0},
    {"issuer", 0, 1, 0, TE_CLI_OPT_ISSUER, 0},
    {"issuer-key", 0, 1, 0, TE_CLI_OPT_ISSUER_KEY, 0},
    {"cap-validity", 0, 0, 0, TE_CLI_OPT_CAP_VALIDITY, 0},
    {"chain", 0, 0, 0, TE_CLI_OPT_CHAIN, 0},
    {"id", 0, 1, 0, TE_CLI_OPT_ID, 0},
    {"cert-store", 0, 1, 1, TE_CLI_OPT_CERT_STORE, 0},
    {"ca-file", 0, 1, 0, TE_CLI_OPT_CA_FILE, 0},
    {"untrusted", 0, 1, 0, TE_CLI_OPT_UNTRUSTED, 0},
    {"dir", 0, 1, 0, TE_CLI_OPT_DIR, 0},
    {"device", 0, 1, 0, TE_CLI_OPT_DEVICE, 0},
    {"password-file", 0, 1, 0, TE_CLI_OPT_PASSWORD_FILE, 0},
    {"hsm-keys", 0, 0, 0, TE_CLI_OPT_HSM_KEYS, 0},
    {"force", 0, 0, 0, TE_CLI_OPT_FORCE, 0},
    {"rotate", 0, 0, 0, TE_CLI_OPT_ROTATE, 0},
    {"root", 0, 1, 0, TE_CLI_OPT_ROOT, 1},
    {"nonce", 0, 1, 0, TE_CLI_OPT_NONCE, 0},
    {"allow-debug", 0, 0, 0, TE_CLI_OPT_ALLOW_DEBUG, 0},
};

static const te_cli_group *const cli_groups[] = {
    &te_cli_key_group,
    &te_cli_cert_group,
    &te_cli_config_group,
    &te_cli_tee_group,
};

#define CLI_N(a) (sizeof(a) / sizeof((a)[0]))

/* What parsing decided to do besides running a command. */
typedef enum cli_action {
	CLI_RUN,
	CLI_HELP,
	CLI_VERSION,
	CLI_USAGE_ERROR,
} cli_action;

static const char cli_global_options_text[] =
    "Global options (accepted before the command or after it):\n"
    "  --store DIR     use the software key store in DIR\n"
    "  --config FILE   open the key store the YAML file FILE configures\n"
    "  --json          print one JSON object on standard output\n"
    "  -q, --quiet     no progress messages\n"
    "  -h, --help      show help for the command and exit\n"
    "  --version       show the version and exit\n";

static const char cli_exit_text[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  failure: I/O, crypto library or internal error\n"
    "  2  usage error: bad option or argument, key name, type or algorithm\n"
    "  3  key not found (for `key exists`: the key does not exist)\n"
    "  4  key already exists\n"
    "  5  not permitted by the key's usage or export attribute\n"
    "  6  signature invalid, or decryption failed\n"
    "  7  stored key data tampered, truncated or malformed\n"
    "  8  configuration error\n";

static void cli_help_top(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: trustedge [OPTIONS] <command> [ARGS]\n\n"
	           "Manages the keys and certificates of a trustedge edge device.\n\nCommands:\n");
	for (i = 0; i < CLI_N(cli_groups); i++)
		fprintf(f, "  %-8s  %s\n", cli_groups[i]->name, cli_groups[i]->summary);
	fprintf(f, "\n%s\n", cli_global_options_text);
	fprintf(f, "Key store: --store DIR; else --config FILE; else $TRUSTEDGE_STORE;\n"
	           "else $TRUSTEDGE_CONFIG; else /etc/trustedge/config.yaml if it exists;\n"
	           "else /var/lib/trustedge/keys.\n\n");
	fprintf(f, "%s\n", cli_exit_text);
	fprintf(f, "Run 'trustedge <command> --help' for a command's help; see also\n"
	           "trustedge(1) and trustedge-key(1).\n");
}

static void cli_help_group(FILE *f, const te_cli_group *g)
{
	size_t i;

	fprintf(f, "Usage: trustedge [OPTIONS] %s <command> [ARGS]\n\n%s.\n\nCommands:\n", g->name,
	        g->summary);
	for (i = 0; i < g->n_cmds; i++)
		fprintf(f, "  %-8s  %s\n", g->cmds[i].name, g->cmds[i].summary);
	fprintf(f, "\nSynopsis:\n");
	for (i = 0; i < g->n_cmds; i++)
		fprintf(f, "  trustedge %s %s\n", g->name, g->cmds[i].synopsis);
	fprintf(f, "\n%s\n%s\n", cli_global_options_text, cli_exit_text);
	fprintf(f, "Run 'trustedge %s <command> --help' for details; see trustedge-%s(1).\n",
	        g->name, g->name);
}

static void cli_help_cmd(FILE *f, const te_cli_group *g, const te_cli_cmd *c)
{
	fprintf(f, "Usage: trustedge [OPTIONS] %s %s\n\n%s\n\n", g->name, c->synopsis, c->help);
	fprintf(f, "%s\n%s", cli_global_options_text, cli_exit_text);
}

static void cli_help(const te_cli *cli)
{
	if (cli->cmd != NULL)
		cli_help_cmd(stdout, cli->group, cli->cmd);
	else if (cli->group != NULL)
		cli_help_group(stdout, cli->group);
	else
		cli_help_top(stdout);
}

/* The short usage that follows a usage error on stderr. */
static void cli_short_usage(const te_cli *cli)
{
	if (cli->cmd != NULL)
		fprintf(stderr, "Usage: trustedge [OPTIONS] %s %s\nTry 'trustedge %s %s --help'.\n",
		        cli->group->name, cli->cmd->synopsis, cli->group->name, cli->cmd->name);
	else if (cli->group != NULL)
		fprintf(stderr,
		        "Usage: trustedge [OPTIONS] %s <command> [ARGS]\n"
		        "Try 'trustedge %s --help'.\n",
		        cli->group->name, cli->group->name);
	else
		fprintf(stderr, "Usage: trustedge [OPTIONS] <command> [ARGS]\n"
		                "Try 'trustedge --help'.\n");
}

static const cli_opt_def *cli_find_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < CLI_N(cli_opts); i++)
		if (strlen(cli_opts[i].name) == len && strncmp(cli_opts[i].name, name, len) == 0)
			return &cli_opts[i];
	return NULL;
}

static const cli_opt_def *cli_find_short(char c)
{
	size_t i;

	for (i = 0; i < CLI_N(cli_opts); i++)
		if (cli_opts[i].short_name == c)
			return &cli_opts[i];
	return NULL;
}

static int cli_opt_allowed(const te_cli *cli, const cli_opt_def *d)
{
	return d->global || (cli->cmd != NULL && (cli->cmd->opts & TE_CLI_BIT(d->id)) != 0);
}

/* Stores one option; usage message in err on failure. */
static cli_action cli_store_opt(te_cli *cli, const cli_opt_def *d, const char *value,
                                const char *spelled, char *err, size_t err_len)
{
	if (!cli_opt_allowed(cli, d)) {
		snprintf(err, err_len, "unknown option '%s'%s%s%s", spelled,
		         cli->cmd != NULL ? " for '" : "", cli->cmd != NULL ? cli->cmd->name : "",
		         cli->cmd != NULL ? "'" : "");
		return CLI_USAGE_ERROR;
	}
	if (d->id == TE_CLI_OPT_HELP)
		return CLI_HELP;
	if (d->id == TE_CLI_OPT_VERSION)
		return CLI_VERSION;
	if (d->repeatable) {
		if (cli->n_list[d->id] >= TE_CLI_LIST_MAX) {
			snprintf(err, err_len, "option --%s given more than %d times", d->name,
			         TE_CLI_LIST_MAX);
			return CLI_USAGE_ERROR;
		}
		cli->list[d->id][cli->n_list[d->id]++] = value;
		if (cli->opt[d->id] == NULL)
			cli->opt[d->id] = value;
		return CLI_RUN;
	}
	if (cli->opt[d->id] != NULL && d->has_arg) {
		snprintf(err, err_len, "option --%s given twice", d->name);
		return CLI_USAGE_ERROR;
	}
	cli->opt[d->id] = d->has_arg ? value : "";
	return CLI_RUN;
}

static const te_cli_cmd *cli_find_cmd(const te_cli_group *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n_cmds; i++)
		if (strcmp(g->cmds[i].name, name) == 0)
			return &g->cmds[i];
	return NULL;
}

static size_t cli_cmd_n_args(const te_cli_cmd *c)
{
	size_t n = 0;

	while (c->args[n] != NULL)
		n++;
	return n;
}

static cli_action cli_positional(te_cli *cli, const char *arg, char *err, size_t err_len)
{
	size_t i;

	if (cli->group == NULL) {
		for (i = 0; i < CLI_N(cli_groups); i++)
			if (strcmp(cli_groups[i]->name, arg) == 0)
				cli->group = cli_groups[i];
		if (cli->group == NULL) {
			snprintf(err, err_len, "unknown command '%s'", arg);
			return CLI_USAGE_ERROR;
		}
		return CLI_RUN;
	}
	if (cli->cmd == NULL) {
		cli->cmd = cli_find_cmd(cli->group, arg);
		if (cli->cmd == NULL) {
			snprintf(err, err_len, "unknown %s command '%s'", cli->group->name, arg);
			return CLI_USAGE_ERROR;
		}
		return CLI_RUN;
	}
	if (cli->n_pos >= cli_cmd_n_args(cli->cmd) || cli->n_pos >= TE_CLI_MAX_POS) {
		snprintf(err, err_len, "unexpected argument '%s'", arg);
		return CLI_USAGE_ERROR;
	}
	cli->pos[cli->n_pos++] = arg;
	return CLI_RUN;
}

/* One "-x", "-xy", "--name", "--name=value" or "--name value" at argv[*i]. */
static cli_action cli_option(te_cli *cli, int argc, char **argv, int *i, char *err, size_t err_len)
{
	const char *arg = argv[*i];
	const cli_opt_def *d;
	cli_action a = CLI_RUN;

	if (arg[1] != '-') {
		const char *p;

		for (p = arg + 1; *p != '\0' && a == CLI_RUN; p++) {
			char spelled[3] = {'-', *p, '\0'};

			d = cli_find_short(*p);
			if (d == NULL) {
				snprintf(err, err_len, "unknown option '%s'", spelled);
				return CLI_USAGE_ERROR;
			}
			a = cli_store_opt(cli, d, NULL, spelled, err, err_len);
		}
		return a;
	}
	{
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		const char *value = NULL;

		d = cli_find_long(name, len);
		if (d == NULL) {
			snprintf(err, err_len, "unknown option '%.*s'", (int)(len + 2), arg);
			return CLI_USAGE_ERROR;
		}
		if (d->has_arg && eq != NULL) {
			value = eq + 1;
		} else if (d->has_arg) {
			if (*i + 1 >= argc) {
				snprintf(err, err_len, "option --%s needs a value", d->name);
				return CLI_USAGE_ERROR;
			}
			value = argv[++*i];
		} else if (eq != NULL) {
			snprintf(err, err_len, "option --%s takes no value", d->name);
			return CLI_USAGE_ERROR;
		}
		return cli_store_opt(cli, d, value, arg, err, err_len);
	}
}

static cli_action cli_parse(te_cli *cli, int argc, char **argv, char *err, size_t err_len)
{
	int i, only_args = 0;
	cli_action a = CLI_RUN;

	for (i = 1; i < argc && a == CLI_RUN; i++) {
		const char *arg = argv[i];

		if (!only_args && strcmp(arg, "--") == 0)
			only_args = 1;
		else if (!only_args && arg[0] == '-' && arg[1] != '\0')
			a = cli_option(cli, argc, argv, &i, err, err_len);
		else
			a = cli_positional(cli, arg, err, err_len);
	}
	if (a != CLI_RUN)
		return a;
	if (cli->group == NULL) {
		snprintf(err, err_len, "missing command");
		return CLI_USAGE_ERROR;
	}
	if (cli->cmd == NULL) {
		snprintf(err, err_len, "missing %s command", cli->group->name);
		return CLI_USAGE_ERROR;
	}
	if (cli->n_pos + cli->cmd->optional_args < cli_cmd_n_args(cli->cmd)) {
		snprintf(err, err_len, "missing argument %s", cli->cmd->args[cli->n_pos]);
		return CLI_USAGE_ERROR;
	}
	if (cli->opt[TE_CLI_OPT_STORE] != NULL && cli->opt[TE_CLI_OPT_CONFIG] != NULL) {
		snprintf(err, err_len, "--store and --config exclude each other");
		return CLI_USAGE_ERROR;
	}
	return CLI_RUN;
}

/* --json is honoured for errors the parser finds before reaching it. */
static int cli_wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return 1;
	return 0;
}

static void cli_print_json(json_t *obj)
{
	char *text = json_dumps(obj, 0);

	if (text == NULL) {
		te_log_error("cannot format JSON output");
		return;
	}
	fflush(stdout);
	if (te_cli_write_fd(STDOUT_FILENO, text, strlen(text)) != TE_OK ||
	    te_cli_write_fd(STDOUT_FILENO, "\n", 1) != TE_OK)
		te_log_error("cannot write standard output");
	te_json_free(text);
}

static void cli_print_json_error(te_err err, const char *message)
{
	json_t *obj =
	    json_pack("{s:{s:s,s:s}}", "error", "code", te_err_name(err), "message", message);

	if (obj == NULL) {
		te_log_error("cannot format JSON output");
		return;
	}
	cli_print_json(obj);
	json_decref(obj);
}

/* Reports a failed command: the one error line, and the JSON error. */
static void cli_report(te_cli *cli, te_err rc, int json)
{
	char message[1024];
	const char *detail = te_err_detail();
	const char *what = te_cli_what_for(cli, detail);

	snprintf(message, sizeof(message), "%s%s%s", what, what[0] != '\0' ? ": " : "",
	         detail[0] != '\0' ? detail : te_err_str(rc));
	te_log_error("%s", message);
	if (cli->show_usage)
		cli_short_usage(cli);
	if (json && cli->result == NULL)
		cli_print_json_error(rc, message);
}

static int cli_usage_error(te_cli *cli, const char *err, int json)
{
	te_log_error("%s", err);
	cli_short_usage(cli);
	if (json)
		cli_print_json_error(TE_ERR_INVALID_ARG, err);
	return TE_CLI_EXIT_USAGE;
}

static int cli_main(te_cli *cli, int argc, char **argv)
{
	char err[512] = "";
	int json = cli_wants_json(argc, argv);
	te_err rc;

	switch (cli_parse(cli, argc, argv, err, sizeof(err))) {
	case CLI_HELP:
		cli_help(cli);
		return TE_CLI_EXIT_OK;
	case CLI_VERSION:
		printf("trustedge %s\n", TE_VERSION);
		return TE_CLI_EXIT_OK;
	case CLI_USAGE_ERROR:
		return cli_usage_error(cli, err, json);
	case CLI_RUN:
	default:
		break;
	}
	json = te_cli_has(cli, TE_CLI_OPT_JSON);
	te_err_clear();
	rc = cli->cmd->run(cli);
	if (rc != TE_OK && !cli->silent_failure)
		cli_report(cli, rc, json);
	if (json && cli->result != NULL)
		cli_print_json(cli->result);
	return te_cli_exit_code(rc);
}

int main(int argc, char **argv)
{
	te_cli cli;
	int code;

	memset(&cli, 0, sizeof(cli));
	te_json_wipe_on_free();
	te_log_set_ident("trustedge");
	code = cli_main(&cli, argc, argv);
	json_decref(cli.result);
	if (cli.hsm != NULL)
		te_hsm_close(cli.hsm);
	if (cli.config != NULL)
		te_config_free(cli.config);
	if (fflush(stdout) != 0 && code == TE_CLI_EXIT_OK)
		code = TE_CLI_EXIT_FAILURE;
	return code;
}
