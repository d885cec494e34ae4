/*
 * tpm_tool.c - a small driver of te_hsm and te_tpm for the tpm.* shell
 * tests (the CLI does not speak to the TPM backend yet).
 *
 *   te_tpm_tool BACKEND [k=v ...] -- COMMAND [ARGS...]
 *   te_tpm_tool ek TCTI [pem|der]
 *   te_tpm_tool srk TCTI [OWNER_AUTH]
 *
 * Commands on a backend context:
 *   create NAME TYPE [USAGE [exportable]]   e.g. create k1 ec-p256 sign
 *   import NAME FILE [TYPE]         private key PEM/DER, or raw secret bytes
 *   pub NAME [pem|der]              public key to stdout
 *   sign NAME ALG IN OUT            signature of file IN into file OUT
 *   verify NAME ALG IN SIG          exit 0 when valid
 *   info NAME                       "TYPE USAGE EXPORTABLE"
 *   list                            "NAME TYPE STATUS" per key
 *   delete NAME
 *   random N                        N random bytes as hex
 *
 * Errors go to stderr as "error: TE_ERR_X: detail"; the exit status is 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "trustedge/te_hsm.h"
#include "trustedge/te_tpm.h"

#define MAX_SETTINGS 16

static int fail(te_err rc)
{
	fprintf(stderr, "error: %s: %s\n", te_err_name(rc), te_err_detail());
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: te_tpm_tool BACKEND [k=v ...] -- COMMAND [ARGS...]\n"
			"       te_tpm_tool ek TCTI [pem|der]\n"
			"       te_tpm_tool srk TCTI [OWNER_AUTH]\n");
	return 2;
}

static int write_out(const uint8_t *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n ? 0 : 1;
}

static int cmd_create(te_hsm *h, int argc, char **argv)
{
	te_hsm_key_attrs a;
	te_err rc;

	if (argc < 2)
		return usage();
	memset(&a, 0, sizeof(a));
	if ((rc = te_hsm_key_type_parse(argv[1], &a.type)) != TE_OK)
		return fail(rc);
	if (argc > 2 && (rc = te_hsm_usage_parse(argv[2], &a.usage)) != TE_OK)
		return fail(rc);
	a.exportable = argc > 3 && strcmp(argv[3], "exportable") == 0;
	if ((rc = te_hsm_key_create(h, argv[0], &a)) != TE_OK)
		return fail(rc);
	return 0;
}

static int cmd_import(te_hsm *h, int argc, char **argv)
{
	te_hsm_key_attrs a;
	uint8_t *data = NULL;
	size_t n = 0;
	te_err rc;

	if (argc < 2)
		return usage();
	memset(&a, 0, sizeof(a));
	if (argc > 2 && (rc = te_hsm_key_type_parse(argv[2], &a.type)) != TE_OK)
		return fail(rc);
	if (tu_read_file(argv[1], &data, &n) != 0) {
		fprintf(stderr, "error: cannot read %s\n", argv[1]);
		return 1;
	}
	rc = te_hsm_key_import(h, argv[0], &a, data, n);
	free(data);
	return rc == TE_OK ? 0 : fail(rc);
}

static int cmd_pub(te_hsm *h, int argc, char **argv)
{
	te_hsm_pub_format fmt = argc > 1 && strcmp(argv[1], "der") == 0 ? TE_HSM_PUB_DER
									: TE_HSM_PUB_PEM;
	te_buf b;
	te_err rc;
	int ret;

	if (argc < 1)
		return usage();
	te_buf_init(&b, 0);
	if ((rc = te_hsm_key_public(h, argv[0], fmt, &b)) != TE_OK) {
		te_buf_free(&b);
		return fail(rc);
	}
	ret = write_out(b.data, b.len);
	te_buf_free(&b);
	return ret;
}

static int cmd_sign(te_hsm *h, int argc, char **argv, int verify)
{
	te_hsm_alg alg;
	uint8_t *data = NULL, *sig = NULL, buf[TE_HSM_SIG_MAX];
	size_t n = 0, slen = 0;
	te_err rc;
	int ret = 1;

	if (argc < 4)
		return usage();
	if ((rc = te_hsm_alg_parse(argv[1], &alg)) != TE_OK)
		return fail(rc);
	if (tu_read_file(argv[2], &data, &n) != 0) {
		fprintf(stderr, "error: cannot read %s\n", argv[2]);
		return 1;
	}
	if (verify) {
		if (tu_read_file(argv[3], &sig, &slen) != 0) {
			fprintf(stderr, "error: cannot read %s\n", argv[3]);
			goto out;
		}
		rc = te_hsm_key_verify(h, argv[0], alg, 0, data, n, sig, slen);
	} else {
		slen = sizeof(buf);
		rc = te_hsm_key_sign(h, argv[0], alg, 0, data, n, buf, &slen);
		if (rc == TE_OK && tu_write_file(argv[3], buf, slen) != 0) {
			fprintf(stderr, "error: cannot write %s\n", argv[3]);
			goto out;
		}
	}
	ret = rc == TE_OK ? 0 : fail(rc);
out:
	free(data);
	free(sig);
	return ret;
}

static int cmd_info(te_hsm *h, int argc, char **argv)
{
	te_hsm_key_info info;
	char use[64];
	te_err rc;

	if (argc < 1)
		return usage();
	if ((rc = te_hsm_key_info_get(h, argv[0], &info)) != TE_OK)
		return fail(rc);
	if ((rc = te_hsm_usage_format(info.usage, use, sizeof(use))) != TE_OK)
		return fail(rc);
	printf("%s %s %d\n", te_hsm_key_type_name(info.type), use, info.exportable);
	return 0;
}

static int cmd_list(te_hsm *h)
{
	te_hsm_key_info *keys = NULL;
	size_t n = 0;
	te_err rc = te_hsm_key_list(h, &keys, &n);

	if (rc != TE_OK)
		return fail(rc);
	for (size_t i = 0; i < n; i++)
		printf("%s %s %s\n", keys[i].name, te_hsm_key_type_name(keys[i].type),
		       keys[i].status == TE_OK ? "ok" : te_err_name(keys[i].status));
	free(keys);
	return 0;
}

static int cmd_random(te_hsm *h, int argc, char **argv)
{
	uint8_t buf[4096];
	size_t n;
	te_err rc;

	if (argc < 1)
		return usage();
	n = strtoul(argv[0], NULL, 10);
	if (n == 0 || n > sizeof(buf))
		return usage();
	if ((rc = te_hsm_random(h, buf, n)) != TE_OK)
		return fail(rc);
	for (size_t i = 0; i < n; i++)
		printf("%02x", buf[i]);
	printf("\n");
	return 0;
}

static int run(te_hsm *h, int argc, char **argv)
{
	const char *cmd = argv[0];

	argc--;
	argv++;
	if (strcmp(cmd, "create") == 0)
		return cmd_create(h, argc, argv);
	if (strcmp(cmd, "import") == 0)
		return cmd_import(h, argc, argv);
	if (strcmp(cmd, "pub") == 0)
		return cmd_pub(h, argc, argv);
	if (strcmp(cmd, "sign") == 0)
		return cmd_sign(h, argc, argv, 0);
	if (strcmp(cmd, "verify") == 0)
		return cmd_sign(h, argc, argv, 1);
	if (strcmp(cmd, "info") == 0)
		return cmd_info(h, argc, argv);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(h);
	if (strcmp(cmd, "delete") == 0) {
		te_err rc = argc < 1 ? TE_ERR_INVALID_ARG : te_hsm_key_delete(h, argv[0]);
		return rc == TE_OK ? 0 : fail(rc);
	}
	if (strcmp(cmd, "random") == 0)
		return cmd_random(h, argc, argv);
	return usage();
}

static int tpm_keys(int argc, char **argv)
{
	te_buf b;
	te_err rc;
	int ret;

	if (argc < 3)
		return usage();
	te_buf_init(&b, 0);
	if (strcmp(argv[1], "ek") == 0)
		rc = te_tpm_ek_public(argv[2],
				      argc > 3 && strcmp(argv[3], "der") == 0 ? TE_HSM_PUB_DER
									      : TE_HSM_PUB_PEM,
				      &b);
	else
		rc = te_tpm_srk_public(argv[2], argc > 3 ? argv[3] : NULL, TE_HSM_PUB_PEM, &b);
	if (rc != TE_OK) {
		te_buf_free(&b);
		return fail(rc);
	}
	ret = write_out(b.data, b.len);
	te_buf_free(&b);
	return ret;
}

int main(int argc, char **argv)
{
	te_hsm_setting s[MAX_SETTINGS];
	size_t n = 0;
	te_hsm *h = NULL;
	te_err rc;
	int i, ret;

	if (argc >= 2 && (strcmp(argv[1], "ek") == 0 || strcmp(argv[1], "srk") == 0))
		return tpm_keys(argc, argv);
	if (argc < 4)
		return usage();
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL || n == MAX_SETTINGS)
			return usage();
		*eq = '\0';
		s[n].key = argv[i];
		s[n].value = eq + 1;
		n++;
	}
	if (i + 1 >= argc)
		return usage();
	if ((rc = te_hsm_open(argv[1], s, n, &h)) != TE_OK)
		return fail(rc);
	ret = run(h, argc - i - 1, argv + i + 1);
	te_hsm_close(h);
	return ret;
}
