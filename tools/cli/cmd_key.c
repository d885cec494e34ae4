/*
 * cmd_key.c - `trustedge key ...`: key lifecycle and operations on top of
 * the HSM PAL.  Each command checks its arguments before it opens the key
 * store, builds its output in memory and writes it only once everything
 * succeeded, so a failure never leaves half an output behind.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/te_cursor.h"
#include "hsm/names.h"

/* Ciphertext blob of aes-256-gcm: version || IV || ciphertext || tag. */
#define KEY_BLOB_VERSION  1u
#define KEY_BLOB_OVERHEAD (1u + TE_HSM_GCM_IV_LEN + TE_HSM_GCM_TAG_LEN)
/* Private keys in PEM are a few KiB; this is generous. */
#define KEY_IMPORT_MAX (1u << 20)
/* Signatures are at most TE_HSM_SIG_MAX; a larger file is read only far
 * enough to say so. */
#define KEY_SIG_FILE_MAX (64u * 1024u)
/* Output file modes (before umask). */
#define KEY_MODE_PUBLIC 0666u
#define KEY_MODE_SECRET 0600u

static const char *const key_args_none[] = {NULL};
static const char *const key_args_name[] = {"NAME", NULL};
static const char *const key_args_derive[] = {"BASE", "NAME", NULL};

/* --- argument helpers ---------------------------------------------------- */

#define key_usage_error te_cli_usage_error

static te_err key_require(te_cli *cli, te_cli_opt opt, const char *spelled)
{
	if (te_cli_has(cli, opt))
		return TE_OK;
	return key_usage_error(cli, "missing %s", spelled);
}

/* Standard input can be read once: refuse two options that both say "-". */
static te_err key_one_stdin(te_cli *cli, te_cli_opt a, te_cli_opt b, const char *what)
{
	const char *x = cli->opt[a], *y = cli->opt[b];

	if (x != NULL && y != NULL && strcmp(x, "-") == 0 && strcmp(y, "-") == 0)
		return key_usage_error(cli, "%s cannot both be standard input", what);
	return TE_OK;
}


/* --alg, or TE_HSM_ALG_DEFAULT when absent. */
static te_err key_parse_alg(const te_cli *cli, te_hsm_alg *out)
{
	const char *s = cli->opt[TE_CLI_OPT_ALG];

	*out = TE_HSM_ALG_DEFAULT;
	if (s == NULL)
		return TE_OK;
	return te_hsm_alg_parse(s, out);
}

/* --type (required when need_type), --usage and --exportable. */
static te_err key_parse_attrs(te_cli *cli, int need_type, te_hsm_key_attrs *attrs)
{
	te_err rc = TE_OK;
	const char *type = cli->opt[TE_CLI_OPT_TYPE];
	const char *usage = cli->opt[TE_CLI_OPT_USAGE];
	char known[256];

	memset(attrs, 0, sizeof(*attrs));
	if (type == NULL && need_type) {
		te_hsm_names_join(TE_HSM_NAMES_KEY_TYPES, known, sizeof(known));
		cli->show_usage = 1;
		return te_err_set(TE_ERR_INVALID_ARG, "missing --type (one of: %s)", known);
	}
	if (type != NULL)
		TE_GUARD(te_hsm_key_type_parse(type, &attrs->type));
	if (usage != NULL && te_hsm_usage_parse(usage, &attrs->usage) != TE_OK) {
		rc = te_err_set(TE_ERR_INVALID_ARG,
		                "bad usage '%s' (a comma-separated list of sign, encrypt, derive)",
		                usage);
		goto out;
	}
	attrs->exportable = te_cli_has(cli, TE_CLI_OPT_EXPORTABLE);
out:
	return rc;
}

static int key_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static te_err key_parse_iv(const char *hex, uint8_t iv[TE_HSM_GCM_IV_LEN])
{
	size_t i;

	if (strlen(hex) != 2 * TE_HSM_GCM_IV_LEN)
		return te_err_set(TE_ERR_INVALID_ARG, "--iv needs exactly %d hex digits",
		                  2 * TE_HSM_GCM_IV_LEN);
	for (i = 0; i < TE_HSM_GCM_IV_LEN; i++) {
		int hi = key_hexval(hex[2 * i]), lo = key_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return te_err_set(TE_ERR_INVALID_ARG, "--iv: '%s' is not hex", hex);
		iv[i] = (uint8_t)(hi << 4 | lo);
	}
	return TE_OK;
}

/* The algorithm used when --alg is not given, so --json can name it. */
static te_hsm_alg key_default_sign_alg(te_hsm_key_type type)
{
	switch (type) {
	case TE_HSM_KEY_EC_P256:
		return TE_HSM_ALG_ECDSA_SHA256;
	case TE_HSM_KEY_EC_P384:
		return TE_HSM_ALG_ECDSA_SHA384;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		return TE_HSM_ALG_RSA_PSS_SHA256;
	case TE_HSM_KEY_ED25519:
		return TE_HSM_ALG_ED25519;
	case TE_HSM_KEY_HMAC_SHA256:
		return TE_HSM_ALG_HMAC_SHA256;
	default:
		return TE_HSM_ALG_DEFAULT;
	}
}

static te_hsm_alg key_default_encrypt_alg(te_hsm_key_type type)
{
	switch (type) {
	case TE_HSM_KEY_AES_256_GCM:
		return TE_HSM_ALG_AES_256_GCM;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		return TE_HSM_ALG_RSA_OAEP_SHA256;
	default:
		return TE_HSM_ALG_DEFAULT;
	}
}

/* Checks the name (a bad one is a usage error, before any store access)
 * and opens the store. */
static te_err key_open(te_cli *cli, const char *name)
{
	te_err rc = TE_OK;

	/* A backend URI ("pkcs11:...") names an existing key; the library
	 * checks it, and refuses it where a new key needs a plain name. */
	if (name != NULL && strchr(name, ':') == NULL)
		TE_GUARD(te_hsm_name_check(name));
	TE_GUARD(te_cli_hsm(cli));
out:
	return rc;
}

static te_err key_info(te_cli *cli, const char *name, te_hsm_key_info *info)
{
	return te_hsm_key_info_get(cli->hsm, name, info);
}

/* --- JSON ---------------------------------------------------------------- */

static te_err key_info_json(const te_hsm_key_info *info, json_t **out)
{
	te_err rc = TE_OK;
	char usage[128];
	const char *type = te_hsm_key_type_name(info->type);
	const char *p;
	json_t *arr = NULL, *obj = NULL;

	if (info->status != TE_OK) {
		/* A damaged key is listed as such, with no attributes that could
		 * be taken for real ones. */
		obj = json_pack("{s:s,s:{s:s,s:s}}", "name", info->name, "error", "code",
		                te_err_name(info->status), "message", te_err_str(info->status));
		TE_GUARD_PTR(obj, TE_ERR_NO_MEMORY, "out of memory");
		*out = obj;
		return TE_OK;
	}
	TE_GUARD(te_hsm_usage_format(info->usage, usage, sizeof(usage)));
	arr = json_array();
	TE_GUARD_PTR(arr, TE_ERR_NO_MEMORY, "out of memory");
	for (p = usage; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (n > 0 && json_array_append_new(arr, json_stringn(p, n)) != 0) {
			rc = te_err_set(TE_ERR_NO_MEMORY, "out of memory");
			goto out;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	obj = json_pack("{s:s,s:s,s:O,s:b}", "name", info->name, "type",
	                type != NULL ? type : "unknown", "usage", arr, "exportable",
	                info->exportable != 0);
	TE_GUARD_PTR(obj, TE_ERR_NO_MEMORY, "out of memory");
	*out = obj;
out:
	json_decref(arr);
	return rc;
}

/* In --json mode, reports key `name` as info does. */
static te_err key_report(te_cli *cli, const char *name)
{
	te_err rc = TE_OK;
	te_hsm_key_info info;
	json_t *obj = NULL;

	if (!te_cli_has(cli, TE_CLI_OPT_JSON))
		goto out;
	TE_GUARD(key_info(cli, name, &info));
	TE_GUARD(key_info_json(&info, &obj));
	TE_GUARD(te_cli_set_result(cli, obj));
	obj = NULL;
out:
	json_decref(obj);
	return rc;
}

/* The object for commands whose output is binary: it carries the data as
 * base64 under `key` unless it went to --out. */
static te_err key_binary_result(te_cli *cli, json_t *obj, const char *key, const void *data,
                                size_t n)
{
	te_err rc = TE_OK;
	const char *out = cli->opt[TE_CLI_OPT_OUT];

	TE_GUARD_PTR(obj, TE_ERR_NO_MEMORY, "out of memory");
	if (te_cli_out_is_stdout(out)) {
		TE_GUARD(te_cli_json_set_base64(obj, key, data, n));
	} else {
		TE_GUARD(te_cli_json_set_text(obj, "out", out, strlen(out)));
		TE_ENSURE(json_object_set_new(obj, "length", json_integer((json_int_t)n)) == 0,
		          TE_ERR_NO_MEMORY, "out of memory");
	}
	TE_GUARD(te_cli_set_result(cli, obj));
	obj = NULL;
out:
	json_decref(obj);
	return rc;
}

/* --- lifecycle ------------------------------------------------------------ */

static te_err key_create(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	te_hsm_key_attrs attrs;

	te_cli_what(cli, "create", name, "create key '%s'", name);
	TE_GUARD(key_parse_attrs(cli, 1, &attrs));
	TE_GUARD(key_open(cli, name));
	if ((attrs.type == TE_HSM_KEY_RSA_3072 || attrs.type == TE_HSM_KEY_RSA_4096) &&
	    !te_cli_has(cli, TE_CLI_OPT_QUIET) && isatty(STDERR_FILENO))
		fprintf(stderr, "trustedge: generating %s key (this can take a few seconds)...\n",
		        te_hsm_key_type_name(attrs.type));
	TE_GUARD(te_hsm_key_create(cli->hsm, name, &attrs));
	TE_GUARD(key_report(cli, name));
out:
	return rc;
}

static te_err key_import(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	te_hsm_key_attrs attrs;
	te_buf material;

	te_buf_init(&material, 1);
	te_cli_what(cli, "import", name, "import key '%s'", name);
	TE_GUARD(key_require(cli, TE_CLI_OPT_IN, "--in FILE"));
	TE_GUARD(key_parse_attrs(cli, 0, &attrs));
	TE_GUARD(key_open(cli, name));
	TE_GUARD(te_cli_read_input(cli->opt[TE_CLI_OPT_IN], KEY_IMPORT_MAX, &material));
	rc = te_hsm_key_import(cli->hsm, name, &attrs, material.data, material.len);
	if ((rc == TE_ERR_MALFORMED || rc == TE_ERR_TRUNCATED) && attrs.type == TE_HSM_KEY_NONE) {
		/* The input, not the store, is at fault: say what would help. */
		rc = te_err_set(TE_ERR_INVALID_ARG,
		                "'%s' is not a PEM or DER private key (raw hmac-sha256 or "
		                "aes-256-gcm keys need --type)",
		                cli->opt[TE_CLI_OPT_IN]);
		goto out;
	}
	if (rc == TE_ERR_MALFORMED || rc == TE_ERR_TRUNCATED) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", te_err_detail());
		rc = te_err_set(TE_ERR_INVALID_ARG, "'%s' is not a valid %s key: %s",
		                cli->opt[TE_CLI_OPT_IN], te_hsm_key_type_name(attrs.type), msg);
		goto out;
	}
	TE_GUARD(rc);
	TE_GUARD(key_report(cli, name));
out:
	te_buf_free(&material);
	return rc;
}

static te_err key_derive(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *base = cli->pos[0], *name = cli->pos[1];
	const char *data = cli->opt[TE_CLI_OPT_DATA];
	const char *data_file = cli->opt[TE_CLI_OPT_DATA_FILE];
	te_hsm_key_attrs attrs;
	te_buf buf;

	te_buf_init(&buf, 1);
	te_cli_what(cli, "derive", name, "derive key '%s' from '%s'", name, base);
	if ((data == NULL) == (data_file == NULL)) {
		rc = key_usage_error(cli, "give exactly one of --data STRING and --data-file FILE");
		goto out;
	}
	TE_GUARD(key_parse_attrs(cli, 0, &attrs));
	attrs.type = TE_HSM_KEY_HMAC_SHA256;
	TE_GUARD(te_hsm_name_check(base));
	TE_GUARD(key_open(cli, name));
	if (data_file != NULL)
		TE_GUARD(te_cli_read_input(data_file, TE_HSM_DATA_MAX, &buf));
	else
		TE_GUARD(te_buf_append(&buf, data, strlen(data)));
	TE_GUARD(te_hsm_key_derive(cli->hsm, base, buf.data, buf.len, name, &attrs));
	TE_GUARD(key_report(cli, name));
out:
	te_buf_free(&buf);
	return rc;
}

static te_err key_delete(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];

	te_cli_what(cli, "delete", name, "delete key '%s'", name);
	TE_GUARD(key_open(cli, name));
	TE_GUARD(te_hsm_key_delete(cli->hsm, name));
	if (te_cli_has(cli, TE_CLI_OPT_JSON))
		TE_GUARD(te_cli_set_result(cli, json_pack("{s:s}", "deleted", name)));
out:
	return rc;
}

static te_err key_list(te_cli *cli)
{
	te_err rc = TE_OK;
	te_hsm_key_info *keys = NULL;
	size_t i, count = 0, damaged = 0;
	const char *first_damaged = NULL;
	json_t *arr = NULL, *obj = NULL;
	int width = 4;

	te_cli_what(cli, "", NULL, "list keys");
	TE_GUARD(key_open(cli, NULL));
	TE_GUARD(te_hsm_key_list(cli->hsm, &keys, &count));
	for (i = 0; i < count; i++) {
		if (keys[i].status != TE_OK && damaged++ == 0)
			first_damaged = keys[i].name;
	}
	if (te_cli_has(cli, TE_CLI_OPT_JSON)) {
		arr = json_array();
		TE_GUARD_PTR(arr, TE_ERR_NO_MEMORY, "out of memory");
		for (i = 0; i < count; i++) {
			TE_GUARD(key_info_json(&keys[i], &obj));
			TE_ENSURE(json_array_append_new(arr, obj) == 0, TE_ERR_NO_MEMORY,
			          "out of memory");
			obj = NULL;
		}
		TE_GUARD(te_cli_set_result(cli, json_pack("{s:O}", "keys", arr)));
		goto damage;
	}
	for (i = 0; i < count; i++)
		if ((int)strlen(keys[i].name) > width)
			width = (int)strlen(keys[i].name);
	for (i = 0; i < count; i++) {
		char usage[128];
		const char *type = te_hsm_key_type_name(keys[i].type);

		if (keys[i].status != TE_OK) {
			printf("%-*s  DAMAGED: %s\n", width, keys[i].name,
			       te_err_str(keys[i].status));
			continue;
		}
		TE_GUARD(te_hsm_usage_format(keys[i].usage, usage, sizeof(usage)));
		printf("%-*s  %-11s  %-19s  %s\n", width, keys[i].name, type != NULL ? type : "?",
		       usage, keys[i].exportable ? "exportable" : "-");
	}
damage:
	TE_ENSURE(damaged == 0, TE_ERR_TAMPERED,
	          "%zu key file(s) in the store cannot be used (first: '%s'); "
	          "'trustedge key info NAME' says why",
	          damaged, first_damaged ? first_damaged : "");
out:
	json_decref(obj);
	json_decref(arr);
	free(keys);
	return rc;
}

static te_err key_show(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	te_hsm_key_info info;
	char usage[128];
	const char *type;
	json_t *obj = NULL;

	te_cli_what(cli, "info", name, "key '%s'", name);
	TE_GUARD(key_open(cli, name));
	TE_GUARD(key_info(cli, name, &info));
	if (te_cli_has(cli, TE_CLI_OPT_JSON)) {
		TE_GUARD(key_info_json(&info, &obj));
		TE_GUARD(te_cli_set_result(cli, obj));
		obj = NULL;
		goto out;
	}
	TE_GUARD(te_hsm_usage_format(info.usage, usage, sizeof(usage)));
	type = te_hsm_key_type_name(info.type);
	printf("name:       %s\ntype:       %s\nusage:      %s\nexportable: %s\n", info.name,
	       type != NULL ? type : "?", usage, info.exportable ? "yes" : "no");
out:
	json_decref(obj);
	return rc;
}

/* Exit 0 when the key exists and 3 when it does not, quietly; a key that
 * exists but cannot be read is still an error worth a message. */
static te_err key_exists(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	te_hsm_key_info info;
	int json = te_cli_has(cli, TE_CLI_OPT_JSON);

	te_cli_what(cli, "exists", name, "key '%s'", name);
	TE_GUARD(key_open(cli, name));
	rc = key_info(cli, name, &info);
	if (rc != TE_OK && rc != TE_ERR_NOT_FOUND)
		goto out;
	cli->silent_failure = 1;
	if (json) {
		te_err jrc = te_cli_set_result(
		    cli, json_pack("{s:s,s:b}", "name", name, "exists", rc == TE_OK));

		if (jrc != TE_OK) {
			cli->silent_failure = 0;
			rc = jrc;
		}
	}
out:
	return rc;
}

static te_err key_public(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	const char *out = cli->opt[TE_CLI_OPT_OUT];
	int der = te_cli_has(cli, TE_CLI_OPT_DER);
	te_buf pub;
	json_t *obj = NULL;

	te_buf_init(&pub, 0);
	te_cli_what(cli, "public", name, "public key of '%s'", name);
	TE_GUARD(key_open(cli, name));
	TE_GUARD(te_hsm_key_public(cli->hsm, name, der ? TE_HSM_PUB_DER : TE_HSM_PUB_PEM, &pub));
	if (!te_cli_has(cli, TE_CLI_OPT_JSON)) {
		TE_GUARD(te_cli_write_output(out, pub.data, pub.len, KEY_MODE_PUBLIC));
		goto out;
	}
	if (!te_cli_out_is_stdout(out))
		TE_GUARD(te_cli_write_output(out, pub.data, pub.len, KEY_MODE_PUBLIC));
	obj = json_pack("{s:s}", "name", name);
	TE_GUARD_PTR(obj, TE_ERR_NO_MEMORY, "out of memory");
	if (der)
		TE_GUARD(te_cli_json_set_base64(obj, "der", pub.data, pub.len));
	else
		TE_GUARD(te_cli_json_set_text(obj, "pem", (const char *)pub.data, pub.len));
	if (!te_cli_out_is_stdout(out))
		TE_GUARD(te_cli_json_set_text(obj, "out", out, strlen(out)));
	TE_GUARD(te_cli_set_result(cli, obj));
	obj = NULL;
out:
	json_decref(obj);
	te_buf_free(&pub);
	return rc;
}

static te_err key_export(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	const char *out = cli->opt[TE_CLI_OPT_OUT];
	te_hsm_key_info info;
	te_buf secret;
	json_t *obj = NULL;
	int is_secret;

	te_buf_init(&secret, 1);
	te_cli_what(cli, "export", name, "export key '%s'", name);
	TE_GUARD(key_open(cli, name));
	TE_GUARD(key_info(cli, name, &info));
	is_secret = te_hsm_key_type_is_secret(info.type);
	TE_GUARD(te_hsm_key_export(cli->hsm, name, &secret));
	if (!te_cli_has(cli, TE_CLI_OPT_JSON)) {
		TE_GUARD(te_cli_write_output(out, secret.data, secret.len, KEY_MODE_SECRET));
		goto out;
	}
	obj = json_pack("{s:s}", "name", name);
	TE_GUARD_PTR(obj, TE_ERR_NO_MEMORY, "out of memory");
	if (!te_cli_out_is_stdout(out)) {
		TE_GUARD(te_cli_write_output(out, secret.data, secret.len, KEY_MODE_SECRET));
		TE_GUARD(te_cli_json_set_text(obj, "out", out, strlen(out)));
	} else if (is_secret) {
		TE_GUARD(te_cli_json_set_base64(obj, "key", secret.data, secret.len));
	} else {
		TE_GUARD(te_cli_json_set_text(obj, "pem", (const char *)secret.data, secret.len));
	}
	TE_GUARD(te_cli_set_result(cli, obj));
	obj = NULL;
out:
	json_decref(obj);
	te_buf_free(&secret);
	return rc;
}

/* --- operations ----------------------------------------------------------- */

static te_err key_sign(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	const char *out = cli->opt[TE_CLI_OPT_OUT];
	uint32_t flags = te_cli_has(cli, TE_CLI_OPT_PREHASHED) ? TE_HSM_SIGN_PREHASHED : 0;
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t sig_len = sizeof(sig);
	te_hsm_key_info info;
	te_hsm_alg alg;
	te_buf data;
	json_t *obj = NULL;

	te_buf_init(&data, 0);
	te_cli_what(cli, "sign", name, "sign with key '%s'", name);
	TE_GUARD(key_require(cli, TE_CLI_OPT_IN, "--in FILE"));
	TE_GUARD(key_parse_alg(cli, &alg));
	TE_GUARD(key_open(cli, name));
	TE_GUARD(key_info(cli, name, &info));
	if (alg == TE_HSM_ALG_DEFAULT)
		alg = key_default_sign_alg(info.type);
	TE_GUARD(te_cli_read_input(cli->opt[TE_CLI_OPT_IN], TE_HSM_DATA_MAX, &data));
	TE_GUARD(te_hsm_key_sign(cli->hsm, name, alg, flags, data.data, data.len, sig, &sig_len));
	if (!te_cli_has(cli, TE_CLI_OPT_JSON)) {
		TE_GUARD(te_cli_write_output(out, sig, sig_len, KEY_MODE_PUBLIC));
		goto out;
	}
	if (!te_cli_out_is_stdout(out))
		TE_GUARD(te_cli_write_output(out, sig, sig_len, KEY_MODE_PUBLIC));
	obj = json_pack("{s:s,s:s}", "name", name, "alg",
	                te_hsm_alg_name(alg) != NULL ? te_hsm_alg_name(alg) : "default");
	TE_GUARD_PTR(obj, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(te_cli_json_set_base64(obj, "signature", sig, sig_len));
	TE_GUARD(te_cli_set_result(cli, obj));
	obj = NULL;
out:
	json_decref(obj);
	te_buf_free(&data);
	return rc;
}

static te_err key_verify(te_cli *cli)
{
	te_err rc = TE_OK, jrc;
	const char *name = cli->pos[0];
	uint32_t flags = te_cli_has(cli, TE_CLI_OPT_PREHASHED) ? TE_HSM_SIGN_PREHASHED : 0;
	te_hsm_alg alg;
	te_buf data, sig;

	te_buf_init(&data, 0);
	te_buf_init(&sig, 0);
	te_cli_what(cli, "verify", name, "verify with key '%s'", name);
	TE_GUARD(key_require(cli, TE_CLI_OPT_IN, "--in FILE"));
	TE_GUARD(key_require(cli, TE_CLI_OPT_SIG, "--sig FILE"));
	TE_GUARD(key_parse_alg(cli, &alg));
	TE_GUARD(key_one_stdin(cli, TE_CLI_OPT_IN, TE_CLI_OPT_SIG, "--in and --sig"));
	TE_GUARD(key_open(cli, name));
	if (alg == TE_HSM_ALG_DEFAULT) {
		te_hsm_key_info info;

		TE_GUARD(key_info(cli, name, &info));
		alg = key_default_sign_alg(info.type);
	}
	rc = te_cli_read_input(cli->opt[TE_CLI_OPT_SIG], KEY_SIG_FILE_MAX, &sig);
	if (rc == TE_ERR_INVALID_ARG || (rc == TE_OK && sig.len > TE_HSM_SIG_MAX))
		rc = te_err_set(TE_ERR_VERIFY_FAILED, "signature is longer than any valid one");
	TE_GUARD(te_cli_read_input(cli->opt[TE_CLI_OPT_IN], TE_HSM_DATA_MAX, &data));
	if (rc == TE_OK)
		rc = te_hsm_key_verify(cli->hsm, name, alg, flags, data.data, data.len, sig.data,
		                       sig.len);
	if (rc == TE_ERR_VERIFY_FAILED && te_err_detail()[0] == '\0')
		rc = te_err_set(rc, "signature is not valid");
	if ((rc == TE_OK || rc == TE_ERR_VERIFY_FAILED) && te_cli_has(cli, TE_CLI_OPT_JSON)) {
		jrc = te_cli_set_result(cli, json_pack("{s:b}", "valid", rc == TE_OK));
		if (jrc != TE_OK)
			rc = jrc;
	}
out:
	te_buf_free(&data);
	te_buf_free(&sig);
	return rc;
}

/* Writes encrypt/decrypt output: bytes to --out or stdout, or {"output"}. */
static te_err key_crypt_output(te_cli *cli, const te_buf *buf, unsigned mode)
{
	te_err rc = TE_OK;
	const char *out = cli->opt[TE_CLI_OPT_OUT];

	if (!te_cli_has(cli, TE_CLI_OPT_JSON) || !te_cli_out_is_stdout(out))
		TE_GUARD(te_cli_write_output(out, buf->data, buf->len, mode));
	if (te_cli_has(cli, TE_CLI_OPT_JSON))
		TE_GUARD(key_binary_result(cli, json_object(), "output", buf->data, buf->len));
out:
	return rc;
}

static te_err key_encrypt(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	const char *aad_file = cli->opt[TE_CLI_OPT_AAD];
	uint8_t iv[TE_HSM_GCM_IV_LEN];
	te_hsm_key_info info;
	te_hsm_alg alg;
	te_buf in, aad, out;
	size_t out_len;

	te_buf_init(&in, 1);
	te_buf_init(&aad, 0);
	te_buf_init(&out, 0);
	te_cli_what(cli, "encrypt", name, "encrypt with key '%s'", name);
	TE_GUARD(key_require(cli, TE_CLI_OPT_IN, "--in FILE"));
	TE_GUARD(key_one_stdin(cli, TE_CLI_OPT_IN, TE_CLI_OPT_AAD, "--in and --aad"));
	TE_GUARD(key_parse_alg(cli, &alg));
	if (te_cli_has(cli, TE_CLI_OPT_IV))
		TE_GUARD(key_parse_iv(cli->opt[TE_CLI_OPT_IV], iv));
	TE_GUARD(key_open(cli, name));
	TE_GUARD(key_info(cli, name, &info));
	if (alg == TE_HSM_ALG_DEFAULT)
		alg = key_default_encrypt_alg(info.type);
	TE_GUARD(te_cli_read_input(cli->opt[TE_CLI_OPT_IN], TE_HSM_DATA_MAX, &in));
	if (aad_file != NULL)
		TE_GUARD(te_cli_read_input(aad_file, TE_HSM_DATA_MAX, &aad));

	if (alg != TE_HSM_ALG_AES_256_GCM) {
		TE_ENSURE(aad_file == NULL && !te_cli_has(cli, TE_CLI_OPT_IV), TE_ERR_INVALID_ARG,
		          "--aad and --iv apply to aes-256-gcm only");
		TE_GUARD(te_buf_reserve(&out, TE_HSM_SIG_MAX));
		out_len = TE_HSM_SIG_MAX;
		TE_GUARD(te_hsm_key_encrypt(cli->hsm, name, alg, NULL, 0, NULL, 0, in.data, in.len,
		                            out.data, &out_len));
		out.len = out_len;
		TE_GUARD(key_crypt_output(cli, &out, KEY_MODE_PUBLIC));
		goto out;
	}
	if (!te_cli_has(cli, TE_CLI_OPT_IV))
		TE_GUARD(te_hsm_random(cli->hsm, iv, sizeof(iv)));
	TE_GUARD(te_buf_reserve(&out, KEY_BLOB_OVERHEAD + in.len));
	out.data[0] = KEY_BLOB_VERSION;
	memcpy(out.data + 1, iv, sizeof(iv));
	out_len = in.len + TE_HSM_GCM_TAG_LEN;
	TE_GUARD(te_hsm_key_encrypt(cli->hsm, name, alg, iv, sizeof(iv), aad.data, aad.len, in.data,
	                            in.len, out.data + 1 + sizeof(iv), &out_len));
	TE_ENSURE(out_len == in.len + TE_HSM_GCM_TAG_LEN, TE_ERR_INTERNAL,
	          "aes-256-gcm output has %zu bytes, expected %zu", out_len,
	          in.len + TE_HSM_GCM_TAG_LEN);
	out.len = 1 + sizeof(iv) + out_len;
	TE_GUARD(key_crypt_output(cli, &out, KEY_MODE_PUBLIC));
out:
	te_buf_free(&in);
	te_buf_free(&aad);
	te_buf_free(&out);
	return rc;
}

/* Splits an aes-256-gcm blob; it is untrusted input, so any deviation is
 * a failed decryption, not a crash. */
static te_err key_parse_blob(const te_buf *blob, const uint8_t **iv, const uint8_t **ct,
                             size_t *ct_len)
{
	te_err rc = TE_OK;
	te_cursor c;
	uint8_t version = 0;

	te_cursor_init(&c, blob->data, blob->len);
	TE_ENSURE(te_cursor_u8(&c, &version) == TE_OK, TE_ERR_DECRYPT_FAILED,
	          "input is empty, not an aes-256-gcm ciphertext");
	TE_ENSURE(version == KEY_BLOB_VERSION, TE_ERR_DECRYPT_FAILED,
	          "input is not a trustedge aes-256-gcm ciphertext (format %u, expected %u)",
	          (unsigned)version, KEY_BLOB_VERSION);
	TE_ENSURE(te_cursor_view(&c, TE_HSM_GCM_IV_LEN, iv) == TE_OK &&
	              te_cursor_remaining(&c) >= TE_HSM_GCM_TAG_LEN,
	          TE_ERR_DECRYPT_FAILED, "ciphertext truncated (%zu bytes, at least %u needed)",
	          blob->len, KEY_BLOB_OVERHEAD);
	*ct_len = te_cursor_remaining(&c);
	TE_ENSURE(te_cursor_view(&c, *ct_len, ct) == TE_OK, TE_ERR_INTERNAL,
	          "cursor refused its own remainder");
	TE_GUARD(te_cursor_expect_end(&c));
out:
	return rc;
}

static te_err key_decrypt(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *name = cli->pos[0];
	const char *aad_file = cli->opt[TE_CLI_OPT_AAD];
	const uint8_t *iv = NULL, *ct = NULL;
	size_t ct_len = 0, room, out_len;
	te_hsm_key_info info;
	te_hsm_alg alg;
	te_buf in, aad, plain;

	te_buf_init(&in, 0);
	te_buf_init(&aad, 0);
	te_buf_init(&plain, 1);
	te_cli_what(cli, "decrypt", name, "decrypt with key '%s'", name);
	TE_GUARD(key_require(cli, TE_CLI_OPT_IN, "--in FILE"));
	TE_GUARD(key_one_stdin(cli, TE_CLI_OPT_IN, TE_CLI_OPT_AAD, "--in and --aad"));
	TE_GUARD(key_parse_alg(cli, &alg));
	TE_GUARD(key_open(cli, name));
	TE_GUARD(key_info(cli, name, &info));
	if (alg == TE_HSM_ALG_DEFAULT)
		alg = key_default_encrypt_alg(info.type);
	TE_GUARD(
	    te_cli_read_input(cli->opt[TE_CLI_OPT_IN], TE_HSM_DATA_MAX + KEY_BLOB_OVERHEAD, &in));
	if (aad_file != NULL)
		TE_GUARD(te_cli_read_input(aad_file, TE_HSM_DATA_MAX, &aad));

	if (alg == TE_HSM_ALG_AES_256_GCM) {
		TE_GUARD(key_parse_blob(&in, &iv, &ct, &ct_len));
		room = ct_len - TE_HSM_GCM_TAG_LEN;
	} else {
		TE_ENSURE(aad_file == NULL, TE_ERR_INVALID_ARG,
		          "--aad applies to aes-256-gcm only");
		ct = in.data;
		ct_len = in.len;
		room = in.len > TE_HSM_SIG_MAX ? in.len : TE_HSM_SIG_MAX;
	}
	/* te_secure_alloc wants a size: an empty plaintext still gets one. */
	TE_GUARD(te_buf_reserve(&plain, room > 0 ? room : 1));
	out_len = room;
	TE_GUARD(te_hsm_key_decrypt(cli->hsm, name, alg, iv, iv != NULL ? TE_HSM_GCM_IV_LEN : 0,
	                            aad.data, aad.len, ct, ct_len, plain.data, &out_len));
	plain.len = out_len;
	TE_GUARD(key_crypt_output(cli, &plain, KEY_MODE_SECRET));
out:
	te_buf_free(&in);
	te_buf_free(&aad);
	te_buf_free(&plain);
	return rc;
}

/* --- the table --------------------------------------------------------------- */

#define OPTB(o) TE_CLI_BIT(TE_CLI_OPT_##o)

static const te_cli_cmd key_cmds[] = {
    {"create", key_create, key_args_name, OPTB(TYPE) | OPTB(USAGE) | OPTB(EXPORTABLE),
     "create NAME --type TYPE [--usage USAGE] [--exportable]", "generate a new key in the store",
     "Generates a key of TYPE inside the key store.  The private or secret\n"
     "part never leaves the store unless the key is --exportable.\n\n"
     "Options:\n"
     "  --type TYPE     ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519,\n"
     "                  hmac-sha256 or aes-256-gcm (required)\n"
     "  --usage USAGE   comma-separated: sign, encrypt, derive (default: the\n"
     "                  type's natural usage)\n"
     "  --exportable    allow `trustedge key export` for this key",
     0},
    {"import", key_import, key_args_name, OPTB(IN) | OPTB(TYPE) | OPTB(USAGE) | OPTB(EXPORTABLE),
     "import NAME --in FILE [--type TYPE] [--usage USAGE] [--exportable]",
     "store an existing private or secret key",
     "Stores key material read from FILE ('-' for standard input): a private\n"
     "key in PEM or DER (PKCS#8 or traditional), or the raw bytes of an\n"
     "hmac-sha256 (1..1024 bytes) or aes-256-gcm (32 bytes) key, which need\n"
     "--type.  The input is wiped from memory after use.\n\n"
     "Options:\n"
     "  --in FILE       key material (required)\n"
     "  --type TYPE     expected type; required for raw secret keys\n"
     "  --usage USAGE   comma-separated: sign, encrypt, derive\n"
     "  --exportable    allow `trustedge key export` for this key",
     0},
    {"list", key_list, key_args_none, 0, "list", "list the keys in the store",
     "Lists every key, sorted by name: name, type, usage and whether it is\n"
     "exportable.  With --json: {\"keys\": [{name, type, usage, exportable}...]}.",
     0},
    {"info", key_show, key_args_name, 0, "info NAME", "show a key's attributes",
     "Shows the name, type, usage and export attribute of a key.",
     0},
    {"exists", key_exists, key_args_name, 0, "exists NAME",
     "test whether a key exists (exit 0 or 3)",
     "Exits with 0 when the key exists and with 3 when it does not, printing\n"
     "nothing (with --json: {\"name\", \"exists\"}).",
     0},
    {"public", key_public, key_args_name, OPTB(DER) | OPTB(OUT), "public NAME [--der] [--out FILE]",
     "print the public key",
     "Writes the public key of an asymmetric key as SubjectPublicKeyInfo,\n"
     "PEM by default.\n\n"
     "Options:\n"
     "  --der           DER instead of PEM\n"
     "  --out FILE      write to FILE instead of standard output",
     0},
    {"export", key_export, key_args_name, OPTB(OUT), "export NAME [--out FILE]",
     "write out an exportable private or secret key",
     "Writes the private key (PKCS#8 PEM) or the raw secret bytes of a key\n"
     "that was created or imported with --exportable.  Other keys are\n"
     "refused with exit status 5.  Files are created with mode 0600.\n\n"
     "Options:\n"
     "  --out FILE      write to FILE instead of standard output",
     0},
    {"sign", key_sign, key_args_name, OPTB(IN) | OPTB(ALG) | OPTB(PREHASHED) | OPTB(OUT),
     "sign NAME --in FILE [--alg ALG] [--prehashed] [--out FILE]", "sign data (or compute an HMAC)",
     "Signs the contents of FILE ('-' for standard input) and writes the raw\n"
     "signature: DER for ECDSA, the modulus-sized block for RSA, 64 bytes for\n"
     "Ed25519, the 32-byte MAC for hmac-sha256.\n\n"
     "Options:\n"
     "  --in FILE       data to sign (required)\n"
     "  --alg ALG       ecdsa-sha256, ecdsa-sha384, rsa-pss-sha256,\n"
     "                  rsa-pkcs1-sha256, ed25519, hmac-sha256 (default: ecdsa\n"
     "                  with the curve's hash, rsa-pss-sha256 for RSA)\n"
     "  --prehashed     FILE holds the digest, not the message (ECDSA, RSA)\n"
     "  --out FILE      write to FILE instead of standard output",
     0},
    {"verify", key_verify, key_args_name, OPTB(IN) | OPTB(SIG) | OPTB(ALG) | OPTB(PREHASHED),
     "verify NAME --in FILE --sig FILE [--alg ALG] [--prehashed]",
     "check a signature (exit 0 valid, 6 invalid)",
     "Checks a signature made by `trustedge key sign` (or any compatible\n"
     "signer) over the contents of FILE.  Exits with 0 when it is valid and\n"
     "with 6 when it is not.\n\n"
     "Options:\n"
     "  --in FILE       signed data (required)\n"
     "  --sig FILE      signature (required)\n"
     "  --alg ALG       as for sign\n"
     "  --prehashed     FILE holds the digest, not the message",
     0},
    {"encrypt", key_encrypt, key_args_name, OPTB(IN) | OPTB(AAD) | OPTB(IV) | OPTB(ALG) | OPTB(OUT),
     "encrypt NAME --in FILE [--aad FILE] [--iv HEX] [--alg ALG] [--out FILE]", "encrypt data",
     "Encrypts the contents of FILE.  With an aes-256-gcm key the output is\n"
     "one self-contained blob: a format byte (1), the 12-byte IV, the\n"
     "ciphertext and the 16-byte tag.  With an RSA key (rsa-oaep-sha256) it\n"
     "is the raw OAEP ciphertext.\n\n"
     "Options:\n"
     "  --in FILE       plaintext (required; '-' for standard input)\n"
     "  --aad FILE      additional authenticated data (aes-256-gcm)\n"
     "  --iv HEX        IV as 24 hex digits instead of a random one; never\n"
     "                  use one IV twice with the same key\n"
     "  --alg ALG       aes-256-gcm or rsa-oaep-sha256 (default: by key type)\n"
     "  --out FILE      write to FILE instead of standard output",
     0},
    {"decrypt", key_decrypt, key_args_name, OPTB(IN) | OPTB(AAD) | OPTB(ALG) | OPTB(OUT),
     "decrypt NAME --in FILE [--aad FILE] [--alg ALG] [--out FILE]", "decrypt data",
     "Decrypts what `trustedge key encrypt` wrote (or, for RSA keys, any\n"
     "RSA-OAEP SHA-256 ciphertext).  A wrong key, wrong AAD or any change to\n"
     "the ciphertext gives exit status 6 and no output.  Files are created\n"
     "with mode 0600.\n\n"
     "Options:\n"
     "  --in FILE       ciphertext (required; '-' for standard input)\n"
     "  --aad FILE      the AAD given to encrypt\n"
     "  --alg ALG       aes-256-gcm or rsa-oaep-sha256 (default: by key type)\n"
     "  --out FILE      write to FILE instead of standard output",
     0},
    {"derive", key_derive, key_args_derive,
     OPTB(DATA) | OPTB(DATA_FILE) | OPTB(USAGE) | OPTB(EXPORTABLE),
     "derive BASE NAME (--data STRING | --data-file FILE) [--usage USAGE] [--exportable]",
     "derive a new HMAC key from a base key",
     "Creates hmac-sha256 key NAME = HMAC-SHA256(BASE, data).  BASE must have\n"
     "the derive usage.  The derived bytes stay in the store; the same BASE\n"
     "and data always give the same key.\n\n"
     "Options:\n"
     "  --data STRING     derivation data\n"
     "  --data-file FILE  derivation data read from FILE\n"
     "  --usage USAGE     usage of the new key (default: sign)\n"
     "  --exportable      allow `trustedge key export` for the new key",
     0},
    {"delete", key_delete, key_args_name, 0, "delete NAME", "delete a key",
     "Removes a key from the store.  This cannot be undone.",
     0},
};

const te_cli_group te_cli_key_group = {
    "key",
    "Create, import, list, use and delete keys",
    key_cmds,
    sizeof(key_cmds) / sizeof(key_cmds[0]),
};
