/*
 * fuzz_evidence.c - libFuzzer target for the TEE evidence parser and
 * verifier (src/tee/evidence.c) and the custom-claims decoder: arbitrary
 * bytes go to te_evidence_parse, te_evidence_verify (against the fixed
 * root below, which signed the seeds in corpus/evidence, so mutations
 * reach the chain and signature checks) and te_custom_claims_deserialize.
 * None may crash, read past the input or leak; whatever parses must point
 * inside the input, and whatever verifies must also parse.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tee/evidence.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The CA of the seeds (EC P-256, valid until 2125; its key is not kept). */
static const char fuzz_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBojCCAUmgAwIBAgIUTVqGY+diENj1uZepwUcIuDASC6UwCgYIKoZIzj0EAwIw\n"
    "HjEcMBoGA1UEAwwTdHJ1c3RlZGdlIGZ1enogcm9vdDAgFw0yNjExMjIxNzMyMTBa\n"
    "GA8yMTI2MTAyOTE3MzIxMFowHjEcMBoGA1UEAwwTdHJ1c3RlZGdlIGZ1enogcm9v\n"
    "dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLYk36mo/dxDlCqf9q17xWd+eJU+\n"
    "Xn8oemgFDJs1el1SUnXYRL4TXZDsmhM7T3Yi1Xbtff8yR3iUsgkhEmPWsGyjYzBh\n"
    "MB0GA1UdDgQWBBRzEsCrEbMX9k1AxYVRcc9/73ZxnjAfBgNVHSMEGDAWgBRzEsCr\n"
    "EbMX9k1AxYVRcc9/73ZxnjAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIC\n"
    "BDAKBggqhkjOPQQDAgNHADBEAiBnMSZZGRudmCkKXO3OZvhkWg4M/ZIxOnpVKgt6\n"
    "klxsMQIgSKcQKNZsdZb8kRN2v0nKhYwVge2q2gw8g6UV2Vvdyh4=\n"
    "-----END CERTIFICATE-----\n";

static te_evidence_roots *fuzz_roots;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (te_evidence_roots_new(&fuzz_roots) != OE_OK ||
	    te_evidence_roots_add_pem(fuzz_roots, fuzz_root_pem, strlen(fuzz_root_pem)) != OE_OK)
		abort();
	return 0;
}

static int fuzz_inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (n == 0)
		return 1;
	return p != NULL && p >= data && n <= size && (size_t)(p - data) <= size - n;
}

static void fuzz_parsed(const te_evidence *ev, const uint8_t *data, size_t size)
{
	if (!fuzz_inside(ev->claims.report_data, ev->claims.report_data_size, data, size) ||
	    !fuzz_inside(ev->claims.custom_claims, ev->claims.custom_claims_size, data, size) ||
	    !fuzz_inside(ev->sig, ev->sig_size, data, size) || ev->signed_size >= size ||
	    ev->n_certs < 1 || ev->n_certs > TE_EVIDENCE_CERTS_MAX)
		abort();
	for (size_t i = 0; i < ev->n_certs; i++)
		if (!fuzz_inside(ev->cert[i], ev->cert_size[i], data, size))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const te_evidence_roots *roots[1] = {fuzz_roots};
	te_evidence ev, vev;
	te_evidence_policy pol;
	oe_claim_t *claims = NULL;
	size_t n = 0;
	uint8_t nonce[32];
	int parsed;

	memset(&ev, 0, sizeof(ev));
	parsed = te_evidence_parse(data, size, &ev) == OE_OK;
	if (parsed)
		fuzz_parsed(&ev, data, size);
	/* The seeds' nonce is 00 01 .. 1f; half the inputs are checked
	 * against it and with debug forbidden. */
	for (int i = 0; i < 32; i++)
		nonce[i] = (uint8_t)i;
	memset(&pol, 0, sizeof(pol));
	if (size & 1) {
		pol.check_report_data = 1;
		pol.report_data = nonce;
		pol.report_data_size = sizeof(nonce);
		pol.forbid_debug = 1;
	}
	if (te_evidence_verify(data, size, roots, 1, &pol, &vev) == OE_OK) {
		if (!parsed)
			abort();
		fuzz_parsed(&vev, data, size);
		if (te_evidence_claims_list(&vev, &claims, &n) == OE_OK)
			te_evidence_claims_free(claims, n);
		if (vev.claims.custom_claims_size &&
		    te_custom_claims_deserialize(vev.claims.custom_claims,
		                                 vev.claims.custom_claims_size, &claims,
		                                 &n) == OE_OK)
			te_evidence_claims_free(claims, n);
	}
	if (te_custom_claims_deserialize(data, size, &claims, &n) == OE_OK)
		te_evidence_claims_free(claims, n);
	return 0;
}
