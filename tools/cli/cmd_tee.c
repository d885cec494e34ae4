/*
 * cmd_tee.c - `trustedge tee verify`: checks attestation evidence made by
 * trustedge's TEE emulator (src/tee/evidence.c, docs/tee-attest.md) on any
 * machine, against the root certificates the caller names and nothing
 * else, and prints its claims.  It opens no key store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tee/detail.h"
#include "tee/evidence.h"

#include <openenclave/attestation/custom_claims.h>
#include <openenclave/bits/report.h>

#define TEE_OPTB(o)   TE_CLI_BIT(TE_CLI_OPT_##o)
#define TEE_INPUT_MAX (4u * 1024u * 1024u)

static const char *const tee_args_evidence[] = {"EVIDENCE", NULL};

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
static void tee_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int tee_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* --nonce HEX: 1..64 bytes. */
static te_err tee_parse_nonce(te_cli *cli, const char *hex, uint8_t *out, size_t *n)
{
	size_t len = strlen(hex);

	if (len == 0 || len % 2 != 0 || len / 2 > TE_EVIDENCE_REPORT_DATA_MAX)
		return te_cli_usage_error(cli, "--nonce: 1 to 64 bytes in hex (an even number "
		                               "of hex digits)");
	for (size_t i = 0; i < len / 2; i++) {
		int hi = tee_nibble(hex[2 * i]), lo = tee_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return te_cli_usage_error(cli, "--nonce: '%s' is not hex", hex);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return TE_OK;
}

/* Every --root file, as the verifier's trusted roots. */
static te_err tee_load_roots(te_cli *cli, te_evidence_roots *roots)
{
	te_err rc = TE_OK;
	te_buf pem;

	te_buf_init(&pem, 0);
	for (size_t i = 0; i < cli->n_list[TE_CLI_OPT_ROOT]; i++) {
		const char *path = cli->list[TE_CLI_OPT_ROOT][i];

		te_cli_what(cli, "read root", path, "read root certificate '%s'", path);
		pem.len = 0;
		TE_GUARD(te_cli_read_input(path, TE_EVIDENCE_PEM_MAX, &pem));
		TE_ENSURE(te_evidence_roots_add_pem(roots, (const char *)pem.data, pem.len) ==
		              OE_OK,
		          TE_ERR_INVALID_ARG, "'%s': %s", path, te_tee_detail());
	}
out:
	te_buf_free(&pem);
	return rc;
}

static const char *tee_yes(int v)
{
	return v ? "yes" : "no";
}

/* The custom claims as a JSON array of {name, value (hex)}; NULL when the
 * buffer is not in the reference's custom-claims format. */
static json_t *tee_custom_json(const te_evidence_claims *c)
{
	oe_claim_t *list = NULL;
	size_t k = 0;
	json_t *arr;

	if (c->custom_claims_size == 0 ||
	    te_custom_claims_deserialize(c->custom_claims, c->custom_claims_size, &list, &k) !=
	        OE_OK)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < k; i++) {
		char *hex = malloc(2 * list[i].value_size + 1);

		if (hex == NULL ||
		    (tee_hex(list[i].value, list[i].value_size, hex),
		     json_array_append_new(
		         arr, json_pack("{s:s,s:s}", "name", list[i].name, "value", hex)) != 0)) {
			json_decref(arr);
			arr = NULL;
		}
		free(hex);
	}
	te_evidence_claims_free(list, k);
	return arr;
}

/* Text that prints as is: printable ASCII, at most one NUL at the end. */
static int tee_is_text(const uint8_t *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\0')
		n--;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f)
			return 0;
	return 1;
}

static void tee_print_custom(const te_evidence_claims *c)
{
	oe_claim_t *list = NULL;
	size_t k = 0;

	if (c->custom_claims_size == 0) {
		printf("custom claims:     none\n");
		return;
	}
	if (te_custom_claims_deserialize(c->custom_claims, c->custom_claims_size, &list, &k) !=
	    OE_OK) {
		printf("custom claims:     %zu bytes (not a custom-claims list)\n",
		       c->custom_claims_size);
		return;
	}
	printf("custom claims:     %zu\n", k);
	for (size_t i = 0; i < k; i++) {
		const oe_claim_t *cl = &list[i];
		char *hex = malloc(2 * cl->value_size + 1);

		if (hex == NULL)
			break;
		/* Names and values come from the evidence: non-printable bytes
		 * are never written to the terminal as they are. */
		printf("  ");
		for (const char *p = cl->name; *p != '\0'; p++)
			putchar(*p >= 0x20 && *p < 0x7f ? *p : '?');
		if (tee_is_text(cl->value, cl->value_size)) {
			printf(" = \"%.*s\"\n",
			       (int)strnlen((const char *)cl->value, cl->value_size),
			       (const char *)cl->value);
		} else {
			tee_hex(cl->value, cl->value_size, hex);
			printf(" = %s\n", hex);
		}
		free(hex);
	}
	te_evidence_claims_free(list, k);
}

static te_err tee_print(te_cli *cli, const te_evidence *ev)
{
	const te_evidence_claims *c = &ev->claims;
	char unique[65], signer[65], rd[129], subject[512];
	unsigned product = (unsigned)c->product_id[0] | (unsigned)c->product_id[1] << 8;
	int debug = (c->attributes & OE_REPORT_ATTRIBUTES_DEBUG) != 0;
	int developer = (c->flags & TE_EVIDENCE_FLAG_DEVELOPER_ROOT) != 0;
	te_err rc = TE_OK;
	json_t *obj, *custom;

	tee_hex(c->unique_id, sizeof(c->unique_id), unique);
	tee_hex(c->signer_id, sizeof(c->signer_id), signer);
	tee_hex(c->report_data ? c->report_data : (const uint8_t *)"", c->report_data_size, rd);
	te_evidence_cert_subject(ev->cert[0], ev->cert_size[0], subject, sizeof(subject));
	if (te_cli_has(cli, TE_CLI_OPT_JSON)) {
		obj = json_pack("{s:b,s:s,s:b,s:b,s:b,s:s,s:s,s:I,s:I,s:I,s:s,s:s}", "valid", 1,
		                "format", te_evidence_format_name(c->format), "emulated", 1,
		                "developer_root", developer, "debug", debug, "unique_id", unique,
		                "signer_id", signer, "product_id", (json_int_t)product,
		                "security_version", (json_int_t)c->security_version, "attributes",
		                (json_int_t)c->attributes, "report_data", rd, "signer", subject);
		custom = tee_custom_json(c);
		if (obj != NULL && custom != NULL)
			json_object_set_new(obj, "custom_claims", custom);
		else
			json_decref(custom);
		if (obj != NULL && c->custom_claims_size)
			TE_GUARD(te_cli_json_set_base64(obj, "custom_claims_buffer",
			                                c->custom_claims, c->custom_claims_size));
		return te_cli_set_result(cli, obj);
	}
	if (te_cli_has(cli, TE_CLI_OPT_QUIET))
		return TE_OK;
	printf("evidence:          valid\n");
	printf("format:            %s\n", te_evidence_format_name(c->format));
	printf("emulated:          yes (trustedge TEE emulator, not TEE hardware)\n");
	printf("developer root:    %s\n", tee_yes(developer));
	printf("debug:             %s\n", tee_yes(debug));
	printf("unique_id:         %s\n", unique);
	printf("signer_id:         %s\n", signer);
	printf("product_id:        %u\n", product);
	printf("security_version:  %u\n", (unsigned)c->security_version);
	printf("attributes:        0x%016llx\n", (unsigned long long)c->attributes);
	printf("report data:       %s\n", c->report_data_size ? rd : "(none)");
	tee_print_custom(c);
	printf("signed by:         %s\n", subject);
out:
	return rc;
}

static te_err tee_verify(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *path = cli->pos[0];
	te_evidence_roots *roots = NULL;
	te_evidence_policy pol;
	te_evidence ev;
	uint8_t nonce[TE_EVIDENCE_REPORT_DATA_MAX];
	size_t nonce_n = 0;
	te_buf data;
	oe_result_t r;

	te_buf_init(&data, 0);
	memset(&pol, 0, sizeof(pol));
	if (!te_cli_has(cli, TE_CLI_OPT_ROOT))
		return te_cli_usage_error(cli, "missing --root: the certificates to trust");
	if (te_cli_has(cli, TE_CLI_OPT_NONCE)) {
		TE_GUARD(tee_parse_nonce(cli, cli->opt[TE_CLI_OPT_NONCE], nonce, &nonce_n));
		pol.check_report_data = 1;
		pol.report_data = nonce;
		pol.report_data_size = nonce_n;
	}
	pol.forbid_debug = !te_cli_has(cli, TE_CLI_OPT_ALLOW_DEBUG);
	TE_ENSURE(te_evidence_roots_new(&roots) == OE_OK, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(tee_load_roots(cli, roots));
	te_cli_what(cli, "verify", path, "verify evidence '%s'", path);
	/* Read past the largest evidence, so that too large is "invalid". */
	TE_GUARD(te_cli_read_input(path, TEE_INPUT_MAX, &data));
	te_tee_detail_clear();
	r = te_evidence_verify(data.data, data.len, (const te_evidence_roots *const *)&roots, 1,
	                       &pol, &ev);
	TE_ENSURE(r != OE_OUT_OF_MEMORY, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(r == OE_OK, TE_ERR_VERIFY_FAILED, "invalid evidence (%s): %s", oe_result_str(r),
	          te_tee_detail()[0] != '\0' ? te_tee_detail() : "empty input");
	TE_GUARD(tee_print(cli, &ev));
out:
	if (rc != TE_OK && te_cli_has(cli, TE_CLI_OPT_JSON) && cli->result == NULL &&
	    rc == TE_ERR_VERIFY_FAILED) {
		char message[1024];
		te_err set;

		snprintf(message, sizeof(message), "%s", te_err_detail());
		/* Keeps stdout one object, and the detail for the error line. */
		set = te_cli_set_result(cli, json_pack("{s:b,s:s}", "valid", 0, "error", message));
		(void)set; /* without memory for it, main prints the plain error */
		te_err_set(rc, "%s", message);
	}
	te_evidence_roots_free(roots);
	te_buf_free(&data);
	return rc;
}

static const te_cli_cmd tee_cmds[] = {
    {"verify", tee_verify, tee_args_evidence,
     TEE_OPTB(ROOT) | TEE_OPTB(NONCE) | TEE_OPTB(ALLOW_DEBUG),
     "verify --root ROOT.pem [--nonce HEX] [--allow-debug] EVIDENCE",
     "check TEE evidence and print its claims",
     "Checks attestation evidence made by trustedge's TEE emulator (EVIDENCE,\n"
     "a file or '-' for standard input): the signer's certificate must chain\n"
     "to a certificate of ROOT.pem, the signature must cover every byte, and\n"
     "then the claims are printed: the enclave's unique and signer ids,\n"
     "product id, security version, attributes, report data and custom\n"
     "claims.  Only the given roots are trusted, a developer root too: pass\n"
     "its ca.crt on purpose.  Evidence is always emulated and says so.\n\n"
     "Options:\n"
     "  --root FILE     PEM certificates to trust (required; repeatable)\n"
     "  --nonce HEX     the report data the evidence must carry (1..64 bytes):\n"
     "                  the challenge the verifier gave the enclave\n"
     "  --allow-debug   accept an enclave running in debug mode (refused by\n"
     "                  default)\n\n"
     "Exit status 0 when the evidence is valid, 6 when it is not (altered,\n"
     "truncated, another root, another nonce, a debug enclave), 2 for a usage\n"
     "error (also a ROOT.pem without certificates), 1 when a file cannot be\n"
     "read.\n"
     "With --json: {\"valid\": true, ...claims} or {\"valid\": false, \"error\": ...}.\n"
     "See trustedge-tee(1).",
     0},
};

const te_cli_group te_cli_tee_group = {
    "tee",
    "Check attestation evidence of TEE-emulated enclaves",
    tee_cmds,
    sizeof(tee_cmds) / sizeof(tee_cmds[0]),
};
