/*
 * fuzz_cert.c - libFuzzer target for the certificate input paths the CLI
 * and daemon use on untrusted files: PEM chains and CSRs (PEM or DER).
 * What parses must survive the engine's read-only helpers too.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "trustedge/te_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	te_x509_stack *certs = NULL;
	X509_REQ *csr = NULL;

	if (te_cert_pem_parse((const char *)data, size, &certs) == TE_OK) {
		STACK_OF(X509) *st = (STACK_OF(X509) *)certs;
		te_buf out;

		if (sk_X509_num(st) < 1 || sk_X509_num(st) > TE_CERT_CHAIN_MAX)
			abort();
		te_buf_init(&out, 0);
		for (int i = 0; i < sk_X509_num(st); i++) {
			int64_t nb, na;
			(void)te_cert_validity(sk_X509_value(st, i), &nb, &na);
		}
		if (te_cert_pem_append(sk_X509_value(st, 0), NULL, &out) != TE_OK)
			abort(); /* what parsed must print */
		te_buf_free(&out);
		(void)te_cert_chain_verify(sk_X509_value(st, 0), NULL, certs, 1790000000, NULL);
		te_cert_stack_free(certs);
	}
	if (te_cert_csr_parse(data, size, &csr) == TE_OK) {
		te_cert_request r = {0};
		X509 *x = NULL;

		/* Issuing from it self-signed needs a private key: only the
		 * signature check and name extraction run, then refusal. */
		r.profile = TE_CERT_SERVER;
		r.lifetime = 3600;
		r.path_len = -1;
		(void)te_cert_issue_csr(&r, csr, NULL, X509_REQ_get0_pubkey(csr), 1790000000, &x);
		X509_free(x);
		X509_REQ_free(csr);
	}
	return 0;
}
