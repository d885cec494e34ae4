/*
 * chain.c - certificate input and output (PEM, CSRs) and chain
 * verification against a trust bundle.  Everything parsed here may come
 * from a file or a socket: sizes are bounded before OpenSSL sees the bytes.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "trustedge/te_cert.h"

void te_cert_stack_free(te_x509_stack *st)
{
	sk_X509_pop_free((STACK_OF(X509) *)st, X509_free);
}

/* True when the only error OpenSSL queued is "no more PEM blocks". */
static int pem_ended_cleanly(void)
{
	unsigned long e = ERR_peek_last_error();

	return e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
}

te_err te_cert_pem_parse(const char *pem, size_t len, te_x509_stack **out)
{
	te_err rc = TE_OK;
	STACK_OF(X509) *certs = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;

	TE_ENSURE(pem != NULL && out != NULL, TE_ERR_INVALID_ARG, "te_cert_pem_parse: NULL");
	TE_ENSURE(len <= TE_CERT_PEM_MAX, TE_ERR_MALFORMED,
		  "certificate text of %zu bytes is larger than the %u allowed", len,
		  TE_CERT_PEM_MAX);
	certs = sk_X509_new_null();
	bio = BIO_new_mem_buf(pem, (int)len);
	TE_ENSURE(certs != NULL && bio != NULL, TE_ERR_NO_MEMORY, "out of memory");
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		TE_ENSURE(sk_X509_num(certs) < TE_CERT_CHAIN_MAX, TE_ERR_MALFORMED,
			  "more than %d certificates in one text", TE_CERT_CHAIN_MAX);
		TE_ENSURE(sk_X509_push(certs, x) > 0, TE_ERR_NO_MEMORY, "out of memory");
		x = NULL;
	}
	if (!pem_ended_cleanly()) {
		rc = te_err_set_ossl(TE_ERR_MALFORMED, "certificate PEM does not parse");
		goto out;
	}
	ERR_clear_error();
	TE_ENSURE(sk_X509_num(certs) > 0, TE_ERR_MALFORMED, "no certificate found in the text");
	*out = (te_x509_stack *)certs;
	certs = NULL;
out:
	X509_free(x);
	BIO_free(bio);
	te_cert_stack_free((te_x509_stack *)certs);
	return rc;
}

te_err te_cert_csr_parse(const uint8_t *data, size_t len, X509_REQ **out)
{
	te_err rc = TE_OK;
	X509_REQ *csr = NULL;
	BIO *bio = NULL;
	static const char begin[] = "-----BEGIN";

	TE_ENSURE(data != NULL && out != NULL, TE_ERR_INVALID_ARG, "te_cert_csr_parse: NULL");
	TE_ENSURE(len > 0 && len <= TE_CERT_PEM_MAX, TE_ERR_MALFORMED,
		  "CSR of %zu bytes: empty or larger than %u", len, TE_CERT_PEM_MAX);
	if (len >= sizeof(begin) - 1 && memmem(data, len, begin, sizeof(begin) - 1) != NULL) {
		bio = BIO_new_mem_buf(data, (int)len);
		TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
		csr = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	} else {
		const unsigned char *p = data;
		csr = d2i_X509_REQ(NULL, &p, (long)len);
		/* DER must be exactly one structure: trailing bytes are not
		 * silently ignored. */
		if (csr != NULL && p != data + len) {
			X509_REQ_free(csr);
			csr = NULL;
		}
	}
	if (csr == NULL) {
		rc = te_err_set_ossl(TE_ERR_MALFORMED, "CSR is neither PEM nor DER PKCS#10");
		goto out;
	}
	*out = csr;
	csr = NULL;
out:
	X509_REQ_free(csr);
	BIO_free(bio);
	return rc;
}

te_err te_cert_pem_append(X509 *cert, te_x509_stack *extra, te_buf *out)
{
	te_err rc = TE_OK;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;

	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(PEM_write_bio_X509(bio, cert), "certificate PEM");
	for (int i = 0; extra != NULL && i < sk_X509_num((STACK_OF(X509) *)extra); i++)
		TE_GUARD_OSSL(PEM_write_bio_X509(bio, sk_X509_value((STACK_OF(X509) *)extra, i)),
			      "certificate PEM");
	n = BIO_get_mem_data(bio, &data);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "certificate PEM: empty");
	TE_GUARD(te_buf_append(out, data, (size_t)n));
out:
	BIO_free(bio);
	return rc;
}

te_err te_cert_chain_verify(X509 *leaf, te_x509_stack *untrusted, te_x509_stack *roots,
			    int64_t now, te_x509_stack **chain)
{
	te_err rc = TE_OK;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *r = (STACK_OF(X509) *)roots;

	TE_ENSURE(leaf != NULL && roots != NULL, TE_ERR_INVALID_ARG,
		  "te_cert_chain_verify: leaf or trust bundle missing");
	TE_ENSURE(store != NULL && ctx != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(sk_X509_num(r) > 0, TE_ERR_INVALID_ARG, "the trust bundle is empty");
	for (int i = 0; i < sk_X509_num(r); i++)
		TE_GUARD_OSSL(X509_STORE_add_cert(store, sk_X509_value(r, i)), "trust bundle");
	TE_GUARD_OSSL(X509_STORE_CTX_init(ctx, store, leaf, (STACK_OF(X509) *)untrusted),
		      "verify context");
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)now);
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(ctx) != 1) {
		int err = X509_STORE_CTX_get_error(ctx);
		int depth = X509_STORE_CTX_get_error_depth(ctx);
		X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
		char cn[TE_CERT_CN_MAX + 1] = "?";

		if (bad != NULL &&
		    X509_NAME_get_text_by_NID(X509_get_subject_name(bad), NID_commonName, cn,
					      (int)sizeof(cn)) < 0)
			snprintf(cn, sizeof(cn), "?");
		ERR_clear_error();
		rc = te_err_set(TE_ERR_VERIFY_FAILED, "certificate '%s' (chain depth %d): %s", cn,
				depth, X509_verify_cert_error_string(err));
		goto out;
	}
	if (chain != NULL) {
		*chain = (te_x509_stack *)X509_STORE_CTX_get1_chain(ctx);
		TE_ENSURE(*chain != NULL, TE_ERR_NO_MEMORY, "out of memory");
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}
