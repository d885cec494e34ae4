/*
 * evidence.c - trustedge's emulated attestation evidence (evidence.h has
 * the layout): building it for the root of trust, parsing it through a
 * bounded reader, checking its chain and signature, and turning it into
 * the reference SDK's claims.  Also the reference's custom-claims buffer.
 * Untrusted bytes are read only through te_tcur; this file depends on
 * OpenSSL and tee/detail.c only (it is built into the TA runtime, the host
 * runtime and the CLI).
 */
#include "tee/evidence.h"
#include "tee/tcur.h"
#include "tee/detail.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <openenclave/attestation/custom_claims.h>
#include <openenclave/attestation/sgx/evidence.h>
#include <openenclave/trustedge.h>

const oe_uuid_t te_evidence_formats[TE_EVIDENCE_N_FORMATS] = {
    {OE_FORMAT_UUID_SGX_LOCAL_ATTESTATION},
    {OE_FORMAT_UUID_SGX_ECDSA},
    {OE_FORMAT_UUID_TRUSTEDGE_EMULATED},
};

static const char *const te_evidence_format_names[TE_EVIDENCE_N_FORMATS] = {
    "sgx-local",
    "sgx-ecdsa",
    "trustedge-emulated",
};

/* ---- bounded little-endian reader and writer ---- */

/* Copies n bytes into dst (zeroes on a short read). */
static void te_ev_copy(te_tcur *r, void *dst, size_t n)
{
	const uint8_t *b = te_tcur_take(r, n);

	if (b == NULL) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, b, n);
}

typedef struct te_ev_wr {
	uint8_t *p;
	size_t len;
	size_t off;
	int full; /* sticky: out of room */
} te_ev_wr;

static void te_ev_put(te_ev_wr *w, const void *src, size_t n)
{
	if (w->full || n > w->len - w->off) {
		w->full = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

static void te_ev_put_le(te_ev_wr *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	te_ev_put(w, b, n);
}

/* ---- formats ---- */

static int te_evidence_format_index(const uint8_t format[OE_UUID_SIZE])
{
	for (int i = 0; i < TE_EVIDENCE_N_FORMATS; i++)
		if (memcmp(format, te_evidence_formats[i].b, OE_UUID_SIZE) == 0)
			return i;
	return -1;
}

int te_evidence_format_known(const uint8_t format[OE_UUID_SIZE])
{
	return format != NULL && te_evidence_format_index(format) >= 0;
}

int te_evidence_format_remote(const uint8_t format[OE_UUID_SIZE])
{
	return format != NULL && te_evidence_format_index(format) > 0;
}

const char *te_evidence_format_name(const uint8_t format[OE_UUID_SIZE])
{
	int i = format != NULL ? te_evidence_format_index(format) : -1;

	return i < 0 ? "unknown" : te_evidence_format_names[i];
}

/* ---- certificates ---- */

/* Every certificate of a PEM text, in order; NULL when there is none or
 * one is malformed. */
static STACK_OF(X509) * te_ev_pem_certs(const char *pem, size_t n)
{
	STACK_OF(X509) *sk = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;

	if (pem == NULL || n == 0 || n > TE_EVIDENCE_PEM_MAX)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)n);
	sk = sk_X509_new_null();
	if (bio == NULL || sk == NULL)
		goto fail;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(sk, x) <= 0)
			goto fail;
		x = NULL;
	}
	/* The loop ends at the first thing that is not a certificate: fine
	 * when that is the end of the text, a refusal otherwise. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE || sk_X509_num(sk) == 0)
		goto fail;
	ERR_clear_error();
	BIO_free(bio);
	return sk;
fail:
	ERR_clear_error();
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	BIO_free(bio);
	return NULL;
}

oe_result_t te_evidence_chain_anchors(const char *chain_pem, char *out, size_t cap,
                                      size_t *out_size)
{
	STACK_OF(X509) *sk = NULL;
	BIO *bio = NULL;
	char *text = NULL;
	long len;
	int n, found = 0;
	oe_result_t r = OE_UNEXPECTED;

	if (chain_pem == NULL || out == NULL || out_size == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "no chain");
	sk = te_ev_pem_certs(chain_pem, strnlen(chain_pem, TE_EVIDENCE_PEM_MAX + 1));
	bio = BIO_new(BIO_s_mem());
	if (sk == NULL || bio == NULL) {
		r = te_tee_fail(OE_UNEXPECTED, "the root's certificate chain cannot be read");
		goto out;
	}
	n = sk_X509_num(sk);
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(sk, i);

		if (X509_self_signed(x, 1) != 1)
			continue;
		if (PEM_write_bio_X509(bio, x) != 1)
			goto crypto;
		found++;
	}
	if (!found && PEM_write_bio_X509(bio, sk_X509_value(sk, n - 1)) != 1)
		goto crypto;
	len = BIO_get_mem_data(bio, &text);
	if (len <= 0 || (size_t)len >= cap) {
		r = te_tee_fail(OE_BUFFER_TOO_SMALL, "the root certificates do not fit (%ld bytes)",
		                len);
		goto out;
	}
	memcpy(out, text, (size_t)len);
	out[len] = '\0';
	*out_size = (size_t)len;
	r = OE_OK;
	goto out;
crypto:
	r = te_tee_fail(OE_CRYPTO_ERROR, "cannot write the root certificates");
out:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	BIO_free(bio);
	return r;
}

void te_evidence_cert_subject(const uint8_t *der, size_t n, char *out, size_t cap)
{
	const unsigned char *p = der;
	X509 *x;

	if (cap == 0)
		return;
	out[0] = '\0';
	if (der == NULL || n == 0 || n > TE_EVIDENCE_CERT_MAX)
		return;
	x = d2i_X509(NULL, &p, (long)n);
	if (x != NULL && (size_t)(p - der) == n)
		X509_NAME_oneline(X509_get_subject_name(x), out, (int)(cap > 4096 ? 4096 : cap));
	X509_free(x);
	ERR_clear_error();
}

/* ---- trusted roots ---- */

struct te_evidence_roots {
	STACK_OF(X509) * certs;
};

oe_result_t te_evidence_roots_new(te_evidence_roots **out)
{
	te_evidence_roots *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	r->certs = sk_X509_new_null();
	if (r->certs == NULL) {
		free(r);
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	}
	*out = r;
	return OE_OK;
}

oe_result_t te_evidence_roots_add_pem(te_evidence_roots *r, const char *pem, size_t n)
{
	STACK_OF(X509) * sk;
	int k;

	if (r == NULL || pem == NULL || n == 0)
		return te_tee_fail(OE_INVALID_PARAMETER, "no root certificate given");
	sk = te_ev_pem_certs(pem, n);
	if (sk == NULL)
		return te_tee_fail(
		    OE_INVALID_PARAMETER,
		    "not a PEM certificate list (no certificate, or a malformed one)");
	k = sk_X509_num(sk);
	if (sk_X509_reserve(r->certs, sk_X509_num(r->certs) + k) != 1) {
		sk_X509_pop_free(sk, X509_free);
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	}
	for (int i = 0; i < k; i++)
		sk_X509_push(r->certs, sk_X509_value(sk, i)); /* reserved: cannot fail */
	sk_X509_free(sk);
	return OE_OK;
}

size_t te_evidence_roots_count(const te_evidence_roots *r)
{
	return r == NULL ? 0 : (size_t)sk_X509_num(r->certs);
}

void te_evidence_roots_free(te_evidence_roots *r)
{
	if (r == NULL)
		return;
	sk_X509_pop_free(r->certs, X509_free);
	free(r);
}

/* ---- building ---- */

/* The DER certificates of chain_pem into w: u32 count, then each with its
 * u32 length. */
static oe_result_t te_ev_put_chain(te_ev_wr *w, const char *chain_pem)
{
	STACK_OF(X509) * sk;
	oe_result_t r = OE_OK;
	int n;

	sk = te_ev_pem_certs(chain_pem, strnlen(chain_pem, TE_EVIDENCE_PEM_MAX + 1));
	if (sk == NULL)
		return te_tee_fail(OE_UNEXPECTED, "the root's certificate chain cannot be read");
	n = sk_X509_num(sk);
	if ((size_t)n > TE_EVIDENCE_CERTS_MAX) {
		r = te_tee_fail(OE_UNEXPECTED, "the root's chain has %d certificates (at most %u)",
		                n, TE_EVIDENCE_CERTS_MAX);
		goto out;
	}
	te_ev_put_le(w, (uint64_t)n, 4);
	for (int i = 0; i < n; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(sk, i), &der);

		if (len <= 0 || (size_t)len > TE_EVIDENCE_CERT_MAX) {
			OPENSSL_free(der);
			r = te_tee_fail(OE_UNEXPECTED,
			                "a certificate of the root's chain is too large");
			goto out;
		}
		te_ev_put_le(w, (uint64_t)len, 4);
		te_ev_put(w, der, (size_t)len);
		OPENSSL_free(der);
	}
out:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	return r;
}

oe_result_t te_evidence_build(const te_evidence_claims *c, const char *chain_pem,
                              te_evidence_sign_fn sign, void *sign_arg, uint8_t *out, size_t cap,
                              size_t *out_size)
{
	te_ev_wr w = {out, cap, 0, 0};
	uint8_t sig[TE_EVIDENCE_SIG_MAX];
	size_t sig_size = sizeof(sig), tbs;
	oe_result_t r;

	if (c == NULL || chain_pem == NULL || sign == NULL || out == NULL || out_size == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to te_evidence_build");
	if (!te_evidence_format_known(c->format))
		return te_tee_fail(OE_INVALID_PARAMETER, "unknown evidence format");
	if (c->report_data_size > TE_EVIDENCE_REPORT_DATA_MAX ||
	    c->custom_claims_size > TE_EVIDENCE_CUSTOM_MAX ||
	    (c->report_data_size && !c->report_data) ||
	    (c->custom_claims_size && !c->custom_claims))
		return te_tee_fail(OE_INVALID_PARAMETER, "report data or custom claims too large");
	te_ev_put(&w, TE_EVIDENCE_MAGIC, TE_EVIDENCE_MAGIC_SIZE);
	te_ev_put_le(&w, TE_EVIDENCE_VERSION, 4);
	te_ev_put_le(&w, c->flags, 4);
	te_ev_put(&w, c->format, OE_UUID_SIZE);
	te_ev_put(&w, c->unique_id, TE_EVIDENCE_ID_SIZE);
	te_ev_put(&w, c->signer_id, TE_EVIDENCE_ID_SIZE);
	te_ev_put(&w, c->product_id, TE_EVIDENCE_PRODUCT_ID_SIZE);
	te_ev_put_le(&w, c->security_version, 4);
	te_ev_put_le(&w, c->attributes, 8);
	te_ev_put_le(&w, c->report_data_size, 4);
	te_ev_put(&w, c->report_data, c->report_data_size);
	te_ev_put_le(&w, c->custom_claims_size, 4);
	te_ev_put(&w, c->custom_claims, c->custom_claims_size);
	r = te_ev_put_chain(&w, chain_pem);
	if (r != OE_OK)
		return r;
	if (w.full)
		return te_tee_fail(OE_BUFFER_TOO_SMALL, "evidence does not fit in %zu bytes", cap);
	tbs = w.off;
	r = sign(sign_arg, out, tbs, sig, &sig_size);
	if (r != OE_OK)
		return r;
	if (sig_size == 0 || sig_size > sizeof(sig))
		return te_tee_fail(OE_UNEXPECTED, "the root's signature has a bad size");
	te_ev_put_le(&w, sig_size, 4);
	te_ev_put(&w, sig, sig_size);
	if (w.full)
		return te_tee_fail(OE_BUFFER_TOO_SMALL, "evidence does not fit in %zu bytes", cap);
	*out_size = w.off;
	return OE_OK;
}

/* ---- parsing ---- */

static oe_result_t te_ev_bad(const char *what)
{
	return te_tee_fail(OE_REPORT_PARSE_ERROR, "malformed evidence: %s", what);
}

oe_result_t te_evidence_parse(const uint8_t *buf, size_t n, te_evidence *ev)
{
	te_tcur r = {buf, n, 0, 0};
	te_evidence e;
	te_evidence_claims *c = &e.claims;
	const uint8_t *magic;
	uint64_t v;

	memset(&e, 0, sizeof(e));
	if (buf == NULL || ev == NULL || n == 0)
		return te_tee_fail(OE_INVALID_PARAMETER, "no evidence");
	if (n > TE_EVIDENCE_MAX)
		return te_ev_bad("larger than any evidence");
	magic = te_tcur_take(&r, TE_EVIDENCE_MAGIC_SIZE);
	if (magic == NULL || memcmp(magic, TE_EVIDENCE_MAGIC, TE_EVIDENCE_MAGIC_SIZE) != 0)
		return te_ev_bad("not trustedge evidence (bad magic)");
	if (te_tcur_le(&r, 4) != TE_EVIDENCE_VERSION)
		return te_ev_bad("unknown version");
	c->flags = (uint32_t)te_tcur_le(&r, 4);
	te_ev_copy(&r, c->format, OE_UUID_SIZE);
	te_ev_copy(&r, c->unique_id, TE_EVIDENCE_ID_SIZE);
	te_ev_copy(&r, c->signer_id, TE_EVIDENCE_ID_SIZE);
	te_ev_copy(&r, c->product_id, TE_EVIDENCE_PRODUCT_ID_SIZE);
	c->security_version = (uint32_t)te_tcur_le(&r, 4);
	c->attributes = te_tcur_le(&r, 8);
	if (r.bad)
		return te_ev_bad("truncated header");
	if ((c->flags & ~TE_EVIDENCE_FLAGS_KNOWN) || !(c->flags & TE_EVIDENCE_FLAG_EMULATED))
		return te_ev_bad("unknown flags");
	if (!te_evidence_format_known(c->format))
		return te_ev_bad("unknown format id");
	if ((c->attributes & OE_REPORT_ATTRIBUTES_RESERVED) ||
	    !(c->attributes & OE_REPORT_ATTRIBUTES_TRUSTEDGE_EMULATED) ||
	    !(c->attributes & OE_REPORT_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT) !=
	        !(c->flags & TE_EVIDENCE_FLAG_DEVELOPER_ROOT) ||
	    !(c->attributes & OE_REPORT_ATTRIBUTES_REMOTE) != !te_evidence_format_remote(c->format))
		return te_ev_bad("attributes do not match the flags and format");
	v = te_tcur_le(&r, 4);
	if (v > TE_EVIDENCE_REPORT_DATA_MAX)
		return te_ev_bad("report data longer than 64 bytes");
	c->report_data_size = (size_t)v;
	c->report_data = te_tcur_take(&r, c->report_data_size);
	v = te_tcur_le(&r, 4);
	if (v > TE_EVIDENCE_CUSTOM_MAX)
		return te_ev_bad("custom claims too large");
	c->custom_claims_size = (size_t)v;
	c->custom_claims = te_tcur_take(&r, c->custom_claims_size);
	v = te_tcur_le(&r, 4);
	if (r.bad)
		return te_ev_bad("truncated claims");
	if (v < 1 || v > TE_EVIDENCE_CERTS_MAX)
		return te_ev_bad("bad certificate count");
	e.n_certs = (size_t)v;
	for (size_t i = 0; i < e.n_certs; i++) {
		v = te_tcur_le(&r, 4);
		if (r.bad || v < 1 || v > TE_EVIDENCE_CERT_MAX)
			return te_ev_bad("bad certificate length");
		e.cert_size[i] = (size_t)v;
		e.cert[i] = te_tcur_take(&r, e.cert_size[i]);
	}
	if (r.bad)
		return te_ev_bad("truncated certificate chain");
	e.signed_size = r.off;
	v = te_tcur_le(&r, 4);
	if (r.bad || v < 1 || v > TE_EVIDENCE_SIG_MAX)
		return te_ev_bad("bad signature length");
	e.sig_size = (size_t)v;
	e.sig = te_tcur_take(&r, e.sig_size);
	if (r.bad)
		return te_ev_bad("truncated signature");
	if (r.off != n)
		return te_ev_bad("bytes after the signature");
	if (c->report_data_size == 0)
		c->report_data = NULL;
	if (c->custom_claims_size == 0)
		c->custom_claims = NULL;
	*ev = e;
	return OE_OK;
}

/* ---- verification ---- */

static oe_result_t te_ev_fail_x509(const char *what, int err)
{
	return te_tee_fail(OE_VERIFY_FAILED, "%s: %s", what, X509_verify_cert_error_string(err));
}

/* The chain of ev up to a root of roots; *leaf (owned by the caller) is
 * its first certificate. */
static oe_result_t te_ev_check_chain(const te_evidence *ev, const te_evidence_roots *const *roots,
                                     size_t n_roots, X509 **leaf)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509 *x = NULL, *first = NULL;
	size_t n_trusted = 0;
	oe_result_t r = OE_OUT_OF_MEMORY;

	if (store == NULL || ctx == NULL || untrusted == NULL)
		goto out;
	for (size_t i = 0; i < n_roots; i++) {
		if (roots[i] == NULL)
			continue;
		for (int k = 0; k < sk_X509_num(roots[i]->certs); k++) {
			if (X509_STORE_add_cert(store, sk_X509_value(roots[i]->certs, k)) != 1)
				goto out;
			n_trusted++;
		}
	}
	if (n_trusted == 0) {
		r = te_tee_fail(OE_VERIFY_FAILED, "no trusted root to verify evidence with");
		goto out;
	}
	for (size_t i = 0; i < ev->n_certs; i++) {
		const unsigned char *p = ev->cert[i];

		x = d2i_X509(NULL, &p, (long)ev->cert_size[i]);
		if (x == NULL || (size_t)(p - ev->cert[i]) != ev->cert_size[i]) {
			r = te_tee_fail(OE_VERIFY_FAILED, "malformed evidence: certificate %zu", i);
			goto out;
		}
		if (i == 0) {
			first = x;
		} else if (sk_X509_push(untrusted, x) <= 0) {
			goto out;
		}
		x = NULL;
	}
	if (X509_STORE_CTX_init(ctx, store, first, untrusted) != 1)
		goto out;
	if (X509_verify_cert(ctx) != 1) {
		r = te_ev_fail_x509("the evidence's signer does not chain to a trusted root",
		                    X509_STORE_CTX_get_error(ctx));
		goto out;
	}
	*leaf = first;
	first = NULL;
	r = OE_OK;
out:
	if (r == OE_OUT_OF_MEMORY)
		te_tee_fail(r, "out of memory");
	ERR_clear_error();
	X509_free(x);
	X509_free(first);
	sk_X509_pop_free(untrusted, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

static oe_result_t te_ev_check_sig(const uint8_t *buf, const te_evidence *ev, X509 *leaf)
{
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	oe_result_t r = OE_VERIFY_FAILED;

	if (md == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	if (key == NULL || !EVP_PKEY_is_a(key, "EC")) {
		te_tee_fail(r, "the evidence's signing certificate has no EC key");
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestVerify(md, ev->sig, ev->sig_size, buf, ev->signed_size) != 1) {
		te_tee_fail(r, "the evidence's signature does not verify (altered evidence)");
		goto out;
	}
	r = OE_OK;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return r;
}

static oe_result_t te_ev_check_policy(const te_evidence *ev, const te_evidence_policy *pol)
{
	const te_evidence_claims *c = &ev->claims;

	if (pol == NULL)
		return OE_OK;
	if (pol->format != NULL && memcmp(pol->format, c->format, OE_UUID_SIZE) != 0)
		return te_tee_fail(
		    OE_INVALID_PARAMETER, "the evidence is of format %s, not %s as asked",
		    te_evidence_format_name(c->format), te_evidence_format_name(pol->format));
	if (pol->check_report_data &&
	    (pol->report_data_size != c->report_data_size ||
	     (c->report_data_size &&
	      CRYPTO_memcmp(pol->report_data, c->report_data, c->report_data_size) != 0)))
		return te_tee_fail(OE_VERIFY_FAILED,
		                   "the evidence's report data is not the expected nonce "
		                   "(made for another challenge, or replayed)");
	if (pol->forbid_debug && (c->attributes & OE_REPORT_ATTRIBUTES_DEBUG))
		return te_tee_fail(OE_CONSTRAINT_FAILED,
		                   "the enclave runs in debug mode, which the policy forbids");
	return OE_OK;
}

oe_result_t te_evidence_verify(const uint8_t *buf, size_t n, const te_evidence_roots *const *roots,
                               size_t n_roots, const te_evidence_policy *pol, te_evidence *ev)
{
	te_evidence e;
	X509 *leaf = NULL;
	oe_result_t r;

	if (buf == NULL || n == 0 || (n_roots && roots == NULL))
		return te_tee_fail(OE_INVALID_PARAMETER, "no evidence");
	if (pol != NULL && pol->check_report_data &&
	    (pol->report_data_size > TE_EVIDENCE_REPORT_DATA_MAX ||
	     (pol->report_data_size && pol->report_data == NULL)))
		return te_tee_fail(OE_INVALID_PARAMETER,
		                   "expected report data longer than 64 bytes");
	r = te_evidence_parse(buf, n, &e);
	if (r == OE_REPORT_PARSE_ERROR)
		return OE_VERIFY_FAILED; /* the detail says what is malformed */
	if (r != OE_OK)
		return r;
	r = te_ev_check_chain(&e, roots, n_roots, &leaf);
	if (r != OE_OK)
		return r;
	r = te_ev_check_sig(buf, &e, leaf);
	X509_free(leaf);
	if (r != OE_OK)
		return r;
	r = te_ev_check_policy(&e, pol);
	if (r != OE_OK)
		return r;
	if (ev != NULL)
		*ev = e;
	return OE_OK;
}

oe_result_t te_evidence_policy_from_oe(const oe_policy_t *policies, size_t n,
                                       const oe_uuid_t *format, te_evidence_policy *pol)
{
	te_evidence_policy p;

	memset(&p, 0, sizeof(p));
	if (pol == NULL || (n && policies == NULL))
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid policies");
	if (format != NULL) {
		if (!te_evidence_format_known(format->b))
			return te_tee_fail(OE_INVALID_PARAMETER,
			                   "format id not supported by this verifier");
		p.format = format->b;
	}
	for (size_t i = 0; i < n; i++) {
		const oe_policy_t *q = &policies[i];

		switch (q->type) {
		case OE_POLICY_ENDORSEMENTS_TIME:
		case OE_POLICY_ENDORSEMENTS_BASELINE:
			break; /* no endorsements to check */
		case TE_POLICY_REPORT_DATA:
			if (p.check_report_data || q->policy_size == 0 ||
			    q->policy_size > TE_EVIDENCE_REPORT_DATA_MAX || q->policy == NULL)
				return te_tee_fail(OE_INVALID_PARAMETER,
				                   "TE_POLICY_REPORT_DATA: 1..64 bytes, once");
			p.check_report_data = 1;
			p.report_data = q->policy;
			p.report_data_size = q->policy_size;
			break;
		case TE_POLICY_FORBID_DEBUG:
			if (q->policy != NULL || q->policy_size != 0)
				return te_tee_fail(OE_INVALID_PARAMETER,
				                   "TE_POLICY_FORBID_DEBUG takes no value");
			p.forbid_debug = 1;
			break;
		default:
			return te_tee_fail(OE_INVALID_PARAMETER, "unknown policy type 0x%x",
			                   (unsigned)q->type);
		}
	}
	*pol = p;
	return OE_OK;
}

/* ---- claims ---- */

void te_evidence_claims_free(oe_claim_t *claims, size_t n)
{
	if (claims == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(claims[i].name);
		if (claims[i].value != NULL)
			OPENSSL_cleanse(claims[i].value, claims[i].value_size);
		free(claims[i].value);
	}
	free(claims);
}

static int te_ev_claim_set(oe_claim_t *c, const char *name, const void *value, size_t size)
{
	c->name = strdup(name);
	c->value = malloc(size ? size : 1);
	c->value_size = size;
	if (c->name == NULL || c->value == NULL)
		return -1;
	if (size)
		memcpy(c->value, value, size);
	return 0;
}

#define TE_EV_MAX_CLAIMS 11

oe_result_t te_evidence_claims_list(const te_evidence *ev, oe_claim_t **claims, size_t *n)
{
	const te_evidence_claims *c;
	oe_claim_t *list;
	uint32_t id_version = 0, svn;
	uint64_t attributes;
	uint8_t emulated = 1, developer;
	size_t k = 0;
	int bad = 0;

	if (ev == NULL || claims == NULL || n == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument");
	c = &ev->claims;
	svn = c->security_version;
	attributes = c->attributes;
	developer = (c->flags & TE_EVIDENCE_FLAG_DEVELOPER_ROOT) ? 1 : 0;
	list = calloc(TE_EV_MAX_CLAIMS, sizeof(*list));
	if (list == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	/* Values in the machine's byte order, as the reference hands them. */
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_ID_VERSION, &id_version, sizeof(id_version));
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_SECURITY_VERSION, &svn, sizeof(svn));
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_ATTRIBUTES, &attributes, sizeof(attributes));
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_UNIQUE_ID, c->unique_id, TE_EVIDENCE_ID_SIZE);
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_SIGNER_ID, c->signer_id, TE_EVIDENCE_ID_SIZE);
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_PRODUCT_ID, c->product_id,
	                       TE_EVIDENCE_PRODUCT_ID_SIZE);
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_FORMAT_UUID, c->format, OE_UUID_SIZE);
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_SGX_REPORT_DATA, c->report_data,
	                       c->report_data_size);
	if (c->custom_claims_size)
		bad |= te_ev_claim_set(&list[k++], OE_CLAIM_CUSTOM_CLAIMS_BUFFER, c->custom_claims,
		                       c->custom_claims_size);
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_TRUSTEDGE_EMULATED, &emulated, 1);
	bad |= te_ev_claim_set(&list[k++], OE_CLAIM_TRUSTEDGE_DEVELOPER_ROOT, &developer, 1);
	if (bad) {
		te_evidence_claims_free(list, k);
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	}
	*claims = list;
	*n = k;
	return OE_OK;
}

/* ---- custom claims buffer ---- */

#define TE_CC_HEADER 16u
#define TE_CC_ENTRY  16u

oe_result_t te_custom_claims_serialize(const oe_claim_t *claims, size_t n, uint8_t **out,
                                       size_t *out_size)
{
	size_t total = TE_CC_HEADER;
	te_ev_wr w;

	if ((n && claims == NULL) || out == NULL || out_size == NULL ||
	    n > TE_CUSTOM_CLAIMS_MAX_COUNT)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid custom claims");
	for (size_t i = 0; i < n; i++) {
		size_t name =
		    claims[i].name ? strnlen(claims[i].name, TE_CUSTOM_CLAIMS_NAME_MAX) : 0;

		if (name == 0 || name >= TE_CUSTOM_CLAIMS_NAME_MAX ||
		    (claims[i].value_size && claims[i].value == NULL) ||
		    claims[i].value_size > TE_EVIDENCE_CUSTOM_MAX)
			return te_tee_fail(OE_INVALID_PARAMETER,
			                   "custom claim %zu: no name, a name of 1024 bytes or "
			                   "more, or no value",
			                   i);
		total += TE_CC_ENTRY + name + 1 + claims[i].value_size;
		if (total > TE_EVIDENCE_CUSTOM_MAX)
			return te_tee_fail(OE_INVALID_PARAMETER,
			                   "custom claims larger than %u bytes",
			                   TE_EVIDENCE_CUSTOM_MAX);
	}
	w.p = malloc(total);
	w.len = total;
	w.off = 0;
	w.full = 0;
	if (w.p == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	te_ev_put_le(&w, OE_CUSTOM_CLAIMS_VERSION, 8);
	te_ev_put_le(&w, n, 8);
	for (size_t i = 0; i < n; i++) {
		size_t name = strlen(claims[i].name) + 1;

		te_ev_put_le(&w, name, 8);
		te_ev_put_le(&w, claims[i].value_size, 8);
		te_ev_put(&w, claims[i].name, name);
		te_ev_put(&w, claims[i].value, claims[i].value_size);
	}
	if (w.full || w.off != total) {
		free(w.p);
		return te_tee_fail(OE_UNEXPECTED, "custom claims size mismatch");
	}
	*out = w.p;
	*out_size = total;
	return OE_OK;
}

oe_result_t te_custom_claims_deserialize(const uint8_t *buf, size_t size, oe_claim_t **out,
                                         size_t *n)
{
	te_tcur r = {buf, size, 0, 0};
	oe_claim_t *list = NULL;
	uint64_t version, count;
	size_t k = 0;
	oe_result_t res = OE_INVALID_PARAMETER;

	if (buf == NULL || out == NULL || n == NULL || size > TE_EVIDENCE_CUSTOM_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid custom claims buffer");
	version = te_tcur_le(&r, 8);
	count = te_tcur_le(&r, 8);
	if (r.bad || version != OE_CUSTOM_CLAIMS_VERSION)
		return te_tee_fail(OE_INVALID_PARAMETER, "custom claims: bad header or version");
	/* Each claim takes at least an entry header and a NUL name. */
	if (count > TE_CUSTOM_CLAIMS_MAX_COUNT || count > (size - r.off) / (TE_CC_ENTRY + 1))
		return te_tee_fail(OE_INVALID_PARAMETER, "custom claims: bad count");
	list = calloc(count ? (size_t)count : 1, sizeof(*list));
	if (list == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	for (k = 0; k < count; k++) {
		uint64_t name_size = te_tcur_le(&r, 8), value_size = te_tcur_le(&r, 8);
		const uint8_t *name, *value;

		if (r.bad || name_size < 1 || name_size > TE_CUSTOM_CLAIMS_NAME_MAX ||
		    value_size > size) {
			te_tee_fail(res, "custom claims: claim %zu has a bad size", k);
			goto fail;
		}
		name = te_tcur_take(&r, (size_t)name_size);
		value = te_tcur_take(&r, (size_t)value_size);
		if (r.bad) {
			te_tee_fail(res, "custom claims: claim %zu is truncated", k);
			goto fail;
		}
		if (name[name_size - 1] != '\0' || memchr(name, '\0', (size_t)name_size - 1)) {
			res = te_tee_fail(OE_CONSTRAINT_FAILED,
			                  "custom claims: the name of claim %zu is not one "
			                  "NUL-terminated string",
			                  k);
			goto fail;
		}
		if (te_ev_claim_set(&list[k], (const char *)name, value, (size_t)value_size) != 0) {
			k++;
			res = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
			goto fail;
		}
	}
	if (r.off != size) {
		te_tee_fail(res, "custom claims: bytes after the last claim");
		goto fail;
	}
	*out = list;
	*n = k;
	return OE_OK;
fail:
	te_evidence_claims_free(list, k);
	return res;
}
