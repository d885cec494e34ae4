/*
 * cmd_config.c - `trustedge config check`: loads the daemon's
 * configuration with the daemon's own loader (te_daemon_config.h) and
 * reports the first mistake as "FILE:LINE: key: problem", or a summary.
 * It starts nothing and opens no HSM; beyond the loader it only checks
 * that the files the configuration names exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "trustedge/te_daemon_config.h"

#define CONFIG_OPTB(o) TE_CLI_BIT(TE_CLI_OPT_##o)

static const char *const config_args_none[] = {NULL};

/* A file the configuration refers to, and the key that names it. */
typedef struct config_ref {
	const char *key;
	const char *path;
} config_ref;

/* The path of a KEYREF that names a file; NULL for HSM names and URIs. */
static const char *config_keyref_file(const char *ref)
{
	if (ref != NULL && strncmp(ref, "file://", 7) == 0)
		return ref + 7;
	return NULL;
}

static size_t config_refs(const te_daemon_config *dc, config_ref *refs, size_t room)
{
	const config_ref all[] = {
	    {"provisioning.authentication.key_file", dc->provisioning.sas_key_file},
	    {"provisioning.authentication.identity_cert", dc->provisioning.identity_cert},
	    {"provisioning.authentication.identity_pk",
	     config_keyref_file(dc->provisioning.identity_pk)},
	    {"edge_ca.cert", dc->edge_ca.cert},
	    {"edge_ca.pk", config_keyref_file(dc->edge_ca.pk)},
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) && n < room; i++)
		if (all[i].path != NULL)
			refs[n++] = all[i];
	return n;
}

/*
 * A missing file (or one that is not a regular file) makes the
 * configuration unusable.  A file this user may not read is only noted:
 * the daemon usually runs as another user than the one checking.
 */
static te_err config_check_file(const char *source, const config_ref *ref, json_t *files)
{
	struct stat st;
	const char *state = "ok";
	int fd = open(ref->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 && errno != EACCES)
		return te_err_set(TE_ERR_CONFIG, "%s: %s: cannot open '%s': %s", source, ref->key,
		                  ref->path, strerror(errno));
	if (fd < 0) {
		state = "not readable by this user";
		fprintf(stderr, "trustedge: note: %s: %s: '%s' is not readable by this user\n",
		        source, ref->key, ref->path);
	} else {
		int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);

		close(fd);
		if (!ok)
			return te_err_set(TE_ERR_CONFIG, "%s: %s: '%s' is not a regular file",
			                  source, ref->key, ref->path);
	}
	if (files != NULL &&
	    json_array_append_new(files, json_pack("{s:s,s:s,s:s}", "key", ref->key, "path",
	                                           ref->path, "state", state)) != 0)
		return te_err_set(TE_ERR_NO_MEMORY, "out of memory");
	return TE_OK;
}

static const char *config_auth_name(te_daemon_auth_method m)
{
	switch (m) {
	case TE_DAEMON_AUTH_SAS:
		return "sas";
	case TE_DAEMON_AUTH_X509:
		return "x509";
	case TE_DAEMON_AUTH_NONE:
	default:
		return "none";
	}
}

/* The summary: names and numbers only, never a key or a setting value. */
static json_t *config_summary(const te_daemon_config *dc, json_t *files)
{
	const te_daemon_provisioning *p = &dc->provisioning;
	json_t *sockets = json_object(), *obj;

	if (sockets == NULL)
		return NULL;
	for (int i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		if (json_object_set_new(sockets, te_daemon_socket_name((te_daemon_socket_id)i),
		                        json_string(dc->sockets[i].path)) != 0) {
			json_decref(sockets);
			return NULL;
		}
	}
	obj = json_pack(
	    "{s:b,s:s,s:s,s:s,s:s,s:o,s:{s:s,s:s?,s:s?,s:s},s:{s:b,s:I,s:I,s:I,s:b},"
	    "s:I,s:I,s:{s:I,s:I,s:I},s:s,s:O}",
	    "valid", 1, "config", dc->source, "hsm_backend", dc->hsm_backend, "state_dir",
	    dc->state_dir, "cert_store", dc->cert_store, "sockets", sockets, "provisioning",
	    "source", p->source == TE_DAEMON_PROV_MANUAL ? "manual" : "development",
	    "iothub_hostname", p->iothub_hostname, "device_id", p->device_id, "authentication",
	    config_auth_name(p->method), "edge_ca", "auto_generated", dc->edge_ca.auto_generated,
	    "lifetime_days", (json_int_t)dc->edge_ca.lifetime_days, "renew_threshold_pct",
	    (json_int_t)dc->edge_ca.renew_threshold_pct, "renew_retry_pct",
	    (json_int_t)dc->edge_ca.renew_retry_pct, "rotate_key", dc->edge_ca.renew_rotate_key,
	    "modules", (json_int_t)dc->n_modules, "principals", (json_int_t)dc->n_principals,
	    "limits", "max_connections_per_uid", (json_int_t)dc->limits.max_connections_per_uid,
	    "max_body_bytes", (json_int_t)dc->limits.max_body_bytes, "read_timeout_ms",
	    (json_int_t)dc->limits.read_timeout_ms, "log_level",
	    te_daemon_log_level_name(dc->log_level), "files", files);
	return obj;
}

static te_err config_check(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *path = cli->opt[TE_CLI_OPT_CONFIG];
	te_daemon_config *dc = NULL;
	json_t *files = NULL;
	config_ref refs[8];
	size_t n_refs;

	if (path == NULL)
		path = TE_DAEMON_CONFIG_PATH;
	te_cli_what(cli, "invalid configuration", NULL, "invalid configuration");
	rc = te_daemon_config_load(path, &dc);
	/* For this command a file that cannot be read, or that asks for a
	 * feature not there yet (source: dps), is unusable like any other
	 * mistake: exit 8, so scripts need to know one code. */
	if (rc != TE_OK && rc != TE_ERR_NO_MEMORY && rc != TE_ERR_INTERNAL)
		rc = TE_ERR_CONFIG;
	if (rc != TE_OK)
		goto out;
	files = json_array();
	TE_GUARD_PTR(files, TE_ERR_NO_MEMORY, "out of memory");
	n_refs = config_refs(dc, refs, sizeof(refs) / sizeof(refs[0]));
	for (size_t i = 0; i < n_refs; i++)
		TE_GUARD(config_check_file(path, &refs[i], files));
	if (te_cli_has(cli, TE_CLI_OPT_JSON)) {
		TE_GUARD(te_cli_set_result(cli, config_summary(dc, files)));
		goto out;
	}
	if (!te_cli_has(cli, TE_CLI_OPT_QUIET))
		printf("%s: valid (hsm %s, device '%s'%s%s, %zu module%s, %zu principal%s)\n", path,
		       dc->hsm_backend, dc->provisioning.device_id,
		       dc->provisioning.iothub_hostname != NULL ? " on " : "",
		       dc->provisioning.iothub_hostname != NULL ? dc->provisioning.iothub_hostname
		                                                : "",
		       dc->n_modules, dc->n_modules == 1 ? "" : "s", dc->n_principals,
		       dc->n_principals == 1 ? "" : "s");
out:
	if (rc != TE_OK && te_cli_has(cli, TE_CLI_OPT_JSON) && cli->result == NULL) {
		char message[1024];

		snprintf(message, sizeof(message), "%s", te_err_detail());
		/* Keeps stdout one object, and the detail for the error line. */
		te_err set = te_cli_set_result(
		    cli, json_pack("{s:b,s:s,s:s}", "valid", 0, "config", path, "error", message));

		(void)set; /* without memory for it, main prints the plain error */
		te_err_set(rc, "%s", message);
	}
	json_decref(files);
	te_daemon_config_free(dc);
	return rc;
}

static const te_cli_cmd config_cmds[] = {
    {"check", config_check, config_args_none, CONFIG_OPTB(JSON), "check [--config FILE] [--json]",
     "check the daemon's configuration file",
     "Loads the daemon's configuration (--config FILE, default " TE_DAEMON_CONFIG_PATH ")\n"
     "exactly as trustedged would and reports the first mistake as\n"
     "FILE:LINE: key: problem.  Nothing is started and the HSM is not opened;\n"
     "files the configuration names (key_file, identity_cert, edge_ca cert)\n"
     "must exist.  Exit status 0 when valid, 8 when not (also when FILE\n"
     "cannot be read).  With --json, prints\n"
     "{\"valid\": true, ...} with a summary (never a secret), or\n"
     "{\"valid\": false, \"error\": \"...\"}.  See trustedge.yaml(5).",
     0},
};

const te_cli_group te_cli_config_group = {
    "config",
    "Check the daemon's configuration",
    config_cmds,
    sizeof(config_cmds) / sizeof(config_cmds[0]),
};
