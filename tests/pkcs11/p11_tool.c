/*
 * p11_tool.c - a test helper that drives the pkcs11 backend through
 * te_hsm with any key reference, names or pkcs11: URIs alike (the
 * trustedge CLI takes key names only).  Module, token and PIN come from
 * TE_PKCS11_MODULE, TE_PKCS11_TOKEN and TE_PKCS11_PIN (with_softhsm.sh).
 *
 *   te_p11_tool sign REF IN OUT     ECDSA/RSA/Ed25519 signature (default
 *                                   algorithm of the key) of file IN
 *   te_p11_tool public REF OUT      public key, PEM
 *   te_p11_tool info REF            "name type usage exportable"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "trustedge/te_hsm.h"

static int fail(const char *what, te_err rc)
{
	fprintf(stderr, "te_p11_tool: %s: %s (%s)\n", what, te_err_name(rc), te_err_detail());
	return 1;
}

int main(int argc, char **argv)
{
	te_hsm_setting s[] = {{"module", getenv("TE_PKCS11_MODULE")},
	                      {"token", getenv("TE_PKCS11_TOKEN")},
	                      {"pin_env", "TE_PKCS11_PIN"}};
	te_hsm *h = NULL;
	te_err rc;
	int status = 1;

	if (argc < 3 || s[0].value == NULL || s[1].value == NULL) {
		fprintf(stderr, "usage: te_p11_tool sign REF IN OUT | public REF OUT | info REF\n"
		                "(under tests/pkcs11/with_softhsm.sh)\n");
		return 2;
	}
	if ((rc = te_hsm_open("pkcs11", s, 3, &h)) != TE_OK)
		return fail("open", rc);
	if (strcmp(argv[1], "sign") == 0 && argc == 5) {
		uint8_t *data = NULL, sig[TE_HSM_SIG_MAX];
		size_t len = 0, n = sizeof(sig);

		if (tu_read_file(argv[3], &data, &len) != 0) {
			fprintf(stderr, "te_p11_tool: cannot read %s\n", argv[3]);
			goto out;
		}
		rc = te_hsm_key_sign(h, argv[2], TE_HSM_ALG_DEFAULT, 0, data, len, sig, &n);
		free(data);
		if (rc != TE_OK) {
			status = fail("sign", rc);
			goto out;
		}
		status = tu_write_file(argv[4], sig, n) == 0 ? 0 : 1;
	} else if (strcmp(argv[1], "public") == 0 && argc == 4) {
		te_buf b;

		te_buf_init(&b, 0);
		rc = te_hsm_key_public(h, argv[2], TE_HSM_PUB_PEM, &b);
		if (rc == TE_OK)
			status = tu_write_file(argv[3], b.data, b.len) == 0 ? 0 : 1;
		else
			status = fail("public", rc);
		te_buf_free(&b);
	} else if (strcmp(argv[1], "info") == 0 && argc == 3) {
		te_hsm_key_info info;
		char usage[64] = "";

		rc = te_hsm_key_info_get(h, argv[2], &info);
		if (rc != TE_OK) {
			status = fail("info", rc);
			goto out;
		}
		if (te_hsm_usage_format(info.usage, usage, sizeof(usage)) != TE_OK)
			usage[0] = '\0';
		printf("%s %s %s %s\n", info.name, te_hsm_key_type_name(info.type),
		       usage[0] ? usage : "-", info.exportable ? "exportable" : "-");
		status = 0;
	} else {
		fprintf(stderr, "te_p11_tool: unknown command or wrong arguments\n");
		status = 2;
	}
out:
	te_hsm_close(h);
	return status;
}
