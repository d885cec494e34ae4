/*
 * cli_util.c - the plumbing of the command-line tool: finding and opening
 * the key store, exit codes, bounded reads, unbuffered writes and JSON
 * helpers.  Command logic lives in cmd_*.c.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/te_base64.h"
#include "hsm/hsm_config.h"

#define CLI_DEFAULT_CONFIG "/etc/trustedge/config.yaml"
#define CLI_DEFAULT_STORE  "/var/lib/trustedge/keys"
#define CLI_READ_CHUNK     (64u * 1024u)

void te_cli_what(te_cli *cli, const char *verb, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cli->what, sizeof(cli->what), fmt, ap);
	va_end(ap);
	snprintf(cli->what_short, sizeof(cli->what_short), "%s", verb);
	snprintf(cli->what_name, sizeof(cli->what_name), "%s", name != NULL ? name : "");
}

const char *te_cli_what_for(const te_cli *cli, const char *detail)
{
	char quoted[sizeof(cli->what_name) + 2];
	char colon[sizeof(cli->what_name) + 1];

	if (cli->what_name[0] == '\0' || cli->what_short[0] == '\0')
		return cli->what;
	snprintf(quoted, sizeof(quoted), "'%s'", cli->what_name);
	snprintf(colon, sizeof(colon), "%s:", cli->what_name);
	if (strstr(detail, quoted) != NULL || strstr(detail, colon) != NULL)
		return cli->what_short;
	return cli->what;
}

int te_cli_has(const te_cli *cli, te_cli_opt opt)
{
	return cli->opt[opt] != NULL;
}

int te_cli_out_is_stdout(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

int te_cli_exit_code(te_err err)
{
	switch (err) {
	case TE_OK:
		return TE_CLI_EXIT_OK;
	case TE_ERR_INVALID_ARG:
	case TE_ERR_BAD_NAME:
	case TE_ERR_UNSUPPORTED:
		return TE_CLI_EXIT_USAGE;
	case TE_ERR_NOT_FOUND:
		return TE_CLI_EXIT_NOT_FOUND;
	case TE_ERR_EXISTS:
		return TE_CLI_EXIT_EXISTS;
	case TE_ERR_PERMISSION:
		return TE_CLI_EXIT_PERMISSION;
	case TE_ERR_VERIFY_FAILED:
	case TE_ERR_DECRYPT_FAILED:
		return TE_CLI_EXIT_INVALID;
	case TE_ERR_TRUNCATED:
	case TE_ERR_MALFORMED:
	case TE_ERR_TAMPERED:
		return TE_CLI_EXIT_STORE;
	case TE_ERR_CONFIG:
		return TE_CLI_EXIT_CONFIG;
	case TE_ERR_NO_MEMORY:
	case TE_ERR_BUFFER_TOO_SMALL:
	case TE_ERR_IO:
	case TE_ERR_CRYPTO:
	case TE_ERR_BUSY:
	case TE_ERR_INTERNAL:
	default:
		return TE_CLI_EXIT_FAILURE;
	}
}

/* --- opening the store --------------------------------------------------- */

static te_err cli_open_store(te_cli *cli, const char *dir)
{
	te_hsm_setting setting = {"store", dir};

	te_cli_what(cli, "open key store", dir, "open key store '%s'", dir);
	return te_hsm_open("soft", &setting, 1, &cli->hsm);
}

static te_err cli_open_config(te_cli *cli, const char *path)
{
	te_err rc = TE_OK;

	te_cli_what(cli, "config", path, "config file '%s'", path);
	rc = te_config_load(path, &cli->config);
	if (rc != TE_OK) {
		/* A config that cannot be read is a config error, whatever
		 * the reason; keep the loader's message. */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s",
		         te_err_detail()[0] != '\0' ? te_err_detail() : te_err_str(rc));
		return te_err_set(TE_ERR_CONFIG, "%s", msg);
	}
	return te_hsm_open_config(cli->config, &cli->hsm);
}

static const char *cli_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

te_err te_cli_hsm(te_cli *cli)
{
	te_cli saved;
	struct stat st;
	const char *v;
	te_err rc;

	if (cli->hsm != NULL)
		return TE_OK;
	/* The open may fail with its own context; on success the command's
	 * context comes back. */
	memcpy(saved.what, cli->what, sizeof(saved.what));
	memcpy(saved.what_short, cli->what_short, sizeof(saved.what_short));
	memcpy(saved.what_name, cli->what_name, sizeof(saved.what_name));
	if (cli->opt[TE_CLI_OPT_STORE] != NULL)
		rc = cli_open_store(cli, cli->opt[TE_CLI_OPT_STORE]);
	else if (cli->opt[TE_CLI_OPT_CONFIG] != NULL)
		rc = cli_open_config(cli, cli->opt[TE_CLI_OPT_CONFIG]);
	else if ((v = cli_env("TRUSTEDGE_STORE")) != NULL)
		rc = cli_open_store(cli, v);
	else if ((v = cli_env("TRUSTEDGE_CONFIG")) != NULL)
		rc = cli_open_config(cli, v);
	else if (stat(CLI_DEFAULT_CONFIG, &st) == 0)
		rc = cli_open_config(cli, CLI_DEFAULT_CONFIG);
	else
		rc = cli_open_store(cli, CLI_DEFAULT_STORE);
	if (rc == TE_OK) {
		memcpy(cli->what, saved.what, sizeof(saved.what));
		memcpy(cli->what_short, saved.what_short, sizeof(saved.what_short));
		memcpy(cli->what_name, saved.what_name, sizeof(saved.what_name));
	}
	return rc;
}

te_err te_cli_usage_error(te_cli *cli, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli->show_usage = 1;
	return te_err_set(TE_ERR_INVALID_ARG, "%s", msg);
}

/* --- input and output ------------------------------------------------------ */

te_err te_cli_read_input(const char *path, size_t max, te_buf *buf)
{
	te_err rc = TE_OK;
	int use_stdin = strcmp(path, "-") == 0;
	int fd = use_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	const char *label = use_stdin ? "standard input" : path;
	struct stat st;

	TE_ENSURE(fd >= 0, TE_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	TE_ENSURE(fstat(fd, &st) == 0, TE_ERR_IO, "cannot stat '%s': %s", label, strerror(errno));
	TE_ENSURE(!S_ISDIR(st.st_mode), TE_ERR_IO, "'%s' is a directory", label);
	if (S_ISREG(st.st_mode)) {
		TE_ENSURE((uint64_t)st.st_size <= max, TE_ERR_INVALID_ARG,
		          "'%s' is larger than %zu bytes", label, max);
		/* One allocation for regular files: a secure buffer that
		 * grows would leave more copies to wipe. */
		TE_GUARD(te_buf_reserve(buf, (size_t)st.st_size + 1));
	}
	for (;;) {
		size_t room;
		ssize_t got;

		if (buf->cap - buf->len == 0)
			TE_GUARD(te_buf_reserve(buf, CLI_READ_CHUNK));
		room = buf->cap - buf->len;
		if (room > max + 1 - buf->len)
			room = max + 1 - buf->len;
		got = read(fd, buf->data + buf->len, room);
		if (got < 0 && errno == EINTR)
			continue;
		TE_ENSURE(got >= 0, TE_ERR_IO, "cannot read '%s': %s", label, strerror(errno));
		if (got == 0)
			break;
		buf->len += (size_t)got;
		TE_ENSURE(buf->len <= max, TE_ERR_INVALID_ARG, "'%s' is larger than %zu bytes",
		          label, max);
	}
out:
	if (fd >= 0 && !use_stdin)
		close(fd);
	return rc;
}

te_err te_cli_write_fd(int fd, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n > 0) {
		ssize_t put = write(fd, p, n);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return te_err_set(TE_ERR_IO, "write failed: %s",
			                  put < 0 ? strerror(errno) : "no progress");
		p += put;
		n -= (size_t)put;
	}
	return TE_OK;
}

te_err te_cli_write_output(const char *path, const void *data, size_t n, unsigned mode)
{
	te_err rc = TE_OK;
	struct stat st;
	int fd, saved;

	if (te_cli_out_is_stdout(path)) {
		/* Anything printed through stdio must come first. */
		TE_ENSURE(fflush(stdout) == 0, TE_ERR_IO, "cannot write standard output: %s",
		          strerror(errno));
		rc = te_cli_write_fd(STDOUT_FILENO, data, n);
		if (rc != TE_OK)
			rc = te_err_set(rc, "cannot write standard output: %s", strerror(errno));
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
	TE_ENSURE(fd >= 0, TE_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
	/* An existing file keeps its mode; one about to hold a secret must
	 * not stay readable by others.  It is empty at this point. */
	if ((mode & 077u) == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077u) != 0 && fchmod(fd, (mode_t)mode) != 0) {
		saved = errno;
		close(fd);
		rc = te_err_set(TE_ERR_IO, "cannot restrict the mode of '%s': %s", path,
		                strerror(saved));
		goto out;
	}
	rc = te_cli_write_fd(fd, data, n);
	saved = errno;
	if (close(fd) != 0 && rc == TE_OK) {
		rc = TE_ERR_IO;
		saved = errno;
	}
	if (rc != TE_OK) {
		unlink(path);
		rc = te_err_set(TE_ERR_IO, "cannot write '%s': %s", path, strerror(saved));
	}
out:
	return rc;
}

/* --- JSON ---------------------------------------------------------------- */

te_err te_cli_json_set_text(json_t *obj, const char *key, const char *text, size_t n)
{
	json_t *v = json_stringn(n > 0 ? text : "", n);

	if (v == NULL)
		return te_err_set(TE_ERR_INTERNAL, "cannot make JSON string for '%s'", key);
	if (json_object_set_new(obj, key, v) != 0)
		return te_err_set(TE_ERR_NO_MEMORY, "cannot add '%s' to JSON", key);
	return TE_OK;
}

te_err te_cli_json_set_base64(json_t *obj, const char *key, const void *data, size_t n)
{
	te_err rc = TE_OK;
	te_buf text;

	te_buf_init(&text, 1);
	TE_GUARD(te_base64_encode(data, n, &text));
	TE_GUARD(te_cli_json_set_text(obj, key, (const char *)text.data, text.len));
out:
	te_buf_free(&text);
	return rc;
}

te_err te_cli_set_result(te_cli *cli, json_t *obj)
{
	if (obj == NULL)
		return te_err_set(TE_ERR_NO_MEMORY, "cannot build JSON result");
	json_decref(cli->result);
	cli->result = obj;
	return TE_OK;
}
