/*
 * test_provider_keys.c - provider keys (te_provider_key_new) on the soft
 * backend, checked against OpenSSL's own provider and the openssl command:
 * sizes and comparison, signatures of every kind, certificate requests,
 * self-signed certificates, CMS, RSA-PSS and RSA-OAEP, what is refused
 * and why, and the key's lifetime beyond te_hsm_close.
 *
 * The soft backend's te_hsm_key_evp returns plain keys, so these tests
 * call te_provider_key_new directly to get provider keys.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "hsm/provider.h"
#include "prov_util.h"
#include "testutil.h"
#include "trustedge/te_hsm.h"

static const char msg[] = "trustedge provider test message";

static struct {
	char *dir;
	char *store;
	te_hsm *hsm;
} g;

struct keycase {
	const char *name;
	te_hsm_key_type type;
	const char *ossl_type;
};

static const struct keycase case_p256 = {"ec256", TE_HSM_KEY_EC_P256, "EC"};
static const struct keycase case_p384 = {"ec384", TE_HSM_KEY_EC_P384, "EC"};
static const struct keycase case_rsa = {"rsa2048", TE_HSM_KEY_RSA_2048, "RSA"};
static const struct keycase case_ed = {"ed25519", TE_HSM_KEY_ED25519, "ED25519"};

static void create(const char *name, te_hsm_key_type type, uint32_t usage)
{
	te_hsm_key_attrs a = {type, usage, 0};

	if (te_hsm_key_create(g.hsm, name, &a) != TE_OK)
		fail_msg("creating %s: %s", name, te_err_detail());
}

static int group_setup(void **state)
{
	te_hsm_setting s[1];

	(void)state;
	g.dir = tu_tempdir("provider-keys");
	g.store = tu_path(g.dir, "store");
	s[0].key = "store";
	s[0].value = g.store;
	if (te_hsm_open("soft", s, 1, &g.hsm) != TE_OK)
		return -1;
	create("ec256", TE_HSM_KEY_EC_P256, 0);
	create("ec384", TE_HSM_KEY_EC_P384, 0);
	create("rsa2048", TE_HSM_KEY_RSA_2048, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT);
	create("ed25519", TE_HSM_KEY_ED25519, 0);
	create("hmac", TE_HSM_KEY_HMAC_SHA256, 0);
	create("rsa-enc-only", TE_HSM_KEY_RSA_2048, TE_HSM_USAGE_ENCRYPT);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	te_hsm_close(g.hsm);
	free(g.store);
	tu_rmtree(g.dir);
	return 0;
}

static EVP_PKEY *prov_key(const char *name)
{
	EVP_PKEY *k = NULL;

	if (te_provider_key_new(g.hsm, name, &k) != TE_OK)
		fail_msg("te_provider_key_new(%s): %s", name, te_err_detail());
	assert_non_null(k);
	return k;
}

/* The public key as the backend gives it, in OpenSSL's default provider. */
static EVP_PKEY *pub_key(const char *name)
{
	te_buf der;
	const unsigned char *p;
	EVP_PKEY *pub;

	te_buf_init(&der, 0);
	assert_int_equal(te_hsm_key_public(g.hsm, name, TE_HSM_PUB_DER, &der), TE_OK);
	p = der.data;
	pub = d2i_PUBKEY(NULL, &p, (long)der.len);
	te_buf_free(&der);
	assert_non_null(pub);
	return pub;
}

static int run_ok(char *const argv[])
{
	char *out = NULL;
	int rc = pu_run(argv, 120, &out);

	if (rc != 0)
		fprintf(stderr, "%s %s failed (%d):\n%s\n", argv[0], argv[1], rc, out);
	free(out);
	return rc == 0;
}

/* --- per key type ----------------------------------------------------------------- */

static void key_basics(void **state)
{
	const struct keycase *kc = *state;
	EVP_PKEY *k = prov_key(kc->name), *pub = pub_key(kc->name), *other;

	assert_string_equal(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(k)), "trustedge");
	assert_true(EVP_PKEY_is_a(k, kc->ossl_type));
	assert_int_equal(EVP_PKEY_get_bits(k), EVP_PKEY_get_bits(pub));
	assert_int_equal(EVP_PKEY_get_size(k), EVP_PKEY_get_size(pub));
	assert_int_equal(EVP_PKEY_get_security_bits(k), EVP_PKEY_get_security_bits(pub));
	/* Both directions: OpenSSL copies the public half between providers. */
	assert_int_equal(EVP_PKEY_eq(k, pub), 1);
	assert_int_equal(EVP_PKEY_eq(pub, k), 1);
	other = kc->type == TE_HSM_KEY_RSA_2048 ? pub_key("rsa-enc-only")
		: kc->type == TE_HSM_KEY_EC_P256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
		: kc->type == TE_HSM_KEY_EC_P384 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")
						  : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(other);
	assert_int_not_equal(EVP_PKEY_eq(k, other), 1);
	assert_int_not_equal(EVP_PKEY_eq(other, k), 1);
	if (kc->type == TE_HSM_KEY_EC_P256 || kc->type == TE_HSM_KEY_EC_P384) {
		char group[32], want[32];
		assert_int_equal(EVP_PKEY_get_group_name(k, group, sizeof(group), NULL), 1);
		assert_int_equal(EVP_PKEY_get_group_name(pub, want, sizeof(want), NULL), 1);
		assert_string_equal(group, want);
		assert_int_equal(EVP_PKEY_get_ec_point_conv_form(k),
				 EVP_PKEY_get_ec_point_conv_form(pub));
	}
	EVP_PKEY_free(other);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
	ERR_clear_error();
}

/* The parameters OpenSSL and libssl ask a key for are those of its
 * public key. */
static void key_params(void **state)
{
	const struct keycase *kc = *state;
	EVP_PKEY *k = prov_key(kc->name), *pub = pub_key(kc->name);
	char a[64] = "", b[64] = "";
	unsigned char ea[600], eb[600];
	size_t na = 0, nb = 0;

	assert_non_null(EVP_PKEY_gettable_params(k));
	assert_int_equal(EVP_PKEY_get_default_digest_name(k, a, sizeof(a)),
			 EVP_PKEY_get_default_digest_name(pub, b, sizeof(b)));
	assert_string_equal(a, b);
	if (kc->type == TE_HSM_KEY_RSA_2048) {
		BIGNUM *n1 = NULL, *n2 = NULL, *e1 = NULL, *e2 = NULL;
		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n1), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n2), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e1), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e2), 1);
		assert_int_equal(BN_cmp(n1, n2), 0);
		assert_int_equal(BN_cmp(e1, e2), 0);
		BN_free(n1);
		BN_free(n2);
		BN_free(e1);
		BN_free(e2);
	} else {
		/* EC: the encoded point; Ed25519: the raw public key. */
		const char *name = kc->type == TE_HSM_KEY_ED25519
					   ? OSSL_PKEY_PARAM_PUB_KEY
					   : OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY;
		assert_int_equal(EVP_PKEY_get_octet_string_param(k, name, ea, sizeof(ea), &na),
				 1);
		assert_int_equal(EVP_PKEY_get_octet_string_param(pub, name, eb, sizeof(eb), &nb),
				 1);
		assert_int_equal(na, nb);
		assert_memory_equal(ea, eb, na);
	}
	/* No private parameter is there to read. */
	assert_int_not_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PRIV_KEY, ea,
							     sizeof(ea), &na),
			     1);
	ERR_clear_error();
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* The public key encodes the same through the provider key. */
static void key_encodes_public_only(void **state)
{
	const struct keycase *kc = *state;
	EVP_PKEY *k = prov_key(kc->name), *pub = pub_key(kc->name);
	unsigned char *a = NULL, *b = NULL;
	int na = i2d_PUBKEY(k, &a), nb = i2d_PUBKEY(pub, &b);
	BIO *bio = BIO_new(BIO_s_mem());

	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	/* There is no private key to write. */
	assert_int_not_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	ERR_clear_error();
	BIO_free(bio);
	OPENSSL_free(a);
	OPENSSL_free(b);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void key_signs(void **state)
{
	const struct keycase *kc = *state;
	EVP_PKEY *k = prov_key(kc->name), *pub = pub_key(kc->name);
	const char *md = pu_cert_md(kc->type);
	unsigned char *sig;
	size_t n = 0;

	sig = pu_sign(k, md, 0, msg, sizeof(msg), &n);
	if (sig == NULL)
		pu_print_errors("EVP_DigestSign");
	assert_non_null(sig);
	assert_true(pu_verify(pub, md, 0, msg, sizeof(msg), sig, n));
	/* The provider key verifies too, through its public half. */
	assert_true(pu_verify(k, md, 0, msg, sizeof(msg), sig, n));
	sig[n / 2] ^= 1;
	assert_false(pu_verify(pub, md, 0, msg, sizeof(msg), sig, n));
	assert_false(pu_verify(k, md, 0, msg, sizeof(msg), sig, n));
	ERR_clear_error();
	free(sig);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* EVP_DigestSignUpdate in pieces, then EVP_DigestSignFinal (which signs
 * from a copy of the context). */
static void key_signs_streamed(void **state)
{
	const struct keycase *kc = *state;
	EVP_PKEY *k = prov_key(kc->name), *pub = pub_key(kc->name);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	const char *md = pu_cert_md(kc->type);
	unsigned char sig[TE_HSM_SIG_MAX];
	size_t n = 0;

	assert_int_equal(EVP_DigestSignInit_ex(m, NULL, md, NULL, NULL, k, NULL), 1);
	assert_int_equal(EVP_DigestSignUpdate(m, msg, 10), 1);
	assert_int_equal(EVP_DigestSignUpdate(m, msg + 10, sizeof(msg) - 10), 1);
	assert_int_equal(EVP_DigestSignFinal(m, NULL, &n), 1);
	assert_true(n <= sizeof(sig));
	assert_int_equal(EVP_DigestSignFinal(m, sig, &n), 1);
	assert_true(pu_verify(pub, md, 0, msg, sizeof(msg), sig, n));
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* EVP_PKEY_sign over a precomputed digest. */
static void key_signs_digest(void **state)
{
	const struct keycase *kc = *state;
	EVP_PKEY *k = prov_key(kc->name), *pub = pub_key(kc->name);
	EVP_PKEY_CTX *s = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	const EVP_MD *md = EVP_get_digestbyname(pu_cert_md(kc->type));
	unsigned char dgst[EVP_MAX_MD_SIZE], sig[TE_HSM_SIG_MAX];
	unsigned int dlen = 0;
	size_t n = sizeof(sig);

	assert_int_equal(EVP_Digest(msg, sizeof(msg), dgst, &dlen, md, NULL), 1);
	assert_int_equal(EVP_PKEY_sign_init(s), 1);
	assert_true(EVP_PKEY_CTX_set_signature_md(s, md) > 0);
	assert_int_equal(EVP_PKEY_sign(s, sig, &n, dgst, dlen), 1);
	assert_int_equal(EVP_PKEY_verify_init(v), 1);
	assert_true(EVP_PKEY_CTX_set_signature_md(v, md) > 0);
	assert_int_equal(EVP_PKEY_verify(v, sig, n, dgst, dlen), 1);
	EVP_PKEY_CTX_free(s);
	EVP_PKEY_CTX_free(v);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void key_signs_csr(void **state)
{
	const struct keycase *kc = *state;
	EVP_PKEY *k = prov_key(kc->name), *pub = pub_key(kc->name);
	X509_REQ *req = pu_csr(k, pu_cert_md(kc->type), "provider csr");

	assert_non_null(req);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	assert_int_equal(X509_REQ_verify(req, X509_REQ_get0_pubkey(req)), 1);
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* A self-signed certificate openssl verify accepts, and a CMS signature
 * openssl cms -verify accepts. */
static void key_signs_cert_and_cms(void **state)
{
	const struct keycase *kc = *state;
	EVP_PKEY *k = prov_key(kc->name), *pub = pub_key(kc->name);
	X509 *cert = pu_self_signed(k, pu_cert_md(kc->type), 0, "provider cert");
	char *cert_pem = tu_path(g.dir, "cert.pem"), *cms_pem = tu_path(g.dir, "cms.pem");
	char *data = tu_path(g.dir, "data.bin");
	char *verify[] = {"openssl", "verify", "-CAfile", cert_pem, cert_pem, NULL};
	char *cms[] = {"openssl", "cms", "-verify", "-binary", "-inform", "PEM", "-in", cms_pem,
		       "-content", data, "-CAfile", cert_pem, "-out", "/dev/null", NULL};

	assert_non_null(cert);
	assert_int_equal(X509_verify(cert, pub), 1);
	assert_int_equal(pu_write_cert(cert_pem, cert), 0);
	assert_true(run_ok(verify));
	if (kc->type == TE_HSM_KEY_ED25519 && !pu_cms_signs_with("ED25519")) {
		/* OpenSSL 3.0's CMS finds no digest for Ed25519 keys, its own
		 * included; checked again once OpenSSL can. */
		fprintf(stderr, "(this OpenSSL cannot CMS-sign with Ed25519: not checked)\n");
	} else {
		assert_int_equal(tu_write_file(data, msg, sizeof(msg)), 0);
		assert_int_equal(pu_cms_sign(cms_pem, cert, k, msg, sizeof(msg)), 0);
		assert_true(run_ok(cms));
	}
	free(cert_pem);
	free(cms_pem);
	free(data);
	X509_free(cert);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* --- RSA ----------------------------------------------------------------------------- */

static void rsa_pss(void **state)
{
	EVP_PKEY *k = prov_key("rsa2048"), *pub = pub_key("rsa2048");
	char *pub_pem = tu_path(g.dir, "rsa-pub.pem"), *sig_path = tu_path(g.dir, "pss.sig");
	char *data = tu_path(g.dir, "pss.data"), *cert_pem = tu_path(g.dir, "pss-cert.pem");
	char *dgst[] = {"openssl", "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss",
			"-sigopt", "rsa_pss_saltlen:digest", "-verify", pub_pem, "-signature",
			sig_path, data, NULL};
	char *verify[] = {"openssl", "verify", "-CAfile", cert_pem, cert_pem, NULL};
	unsigned char *sig;
	size_t n = 0;
	X509 *cert;

	(void)state;
	sig = pu_sign(k, "SHA256", 1, msg, sizeof(msg), &n);
	if (sig == NULL)
		pu_print_errors("RSA-PSS");
	assert_non_null(sig);
	assert_true(pu_verify(pub, "SHA256", 1, msg, sizeof(msg), sig, n));
	assert_int_equal(pu_write_pubkey(pub_pem, k), 0);
	assert_int_equal(tu_write_file(sig_path, sig, n), 0);
	assert_int_equal(tu_write_file(data, msg, sizeof(msg)), 0);
	assert_true(run_ok(dgst));
	/* A certificate signed with RSA-PSS: the AlgorithmIdentifier carries
	 * the PSS parameters. */
	cert = pu_self_signed(k, "SHA256", 1, "provider pss cert");
	assert_non_null(cert);
	assert_int_equal(X509_get_signature_nid(cert), NID_rsassaPss);
	assert_int_equal(pu_write_cert(cert_pem, cert), 0);
	assert_true(run_ok(verify));
	X509_free(cert);
	free(sig);
	free(pub_pem);
	free(sig_path);
	free(data);
	free(cert_pem);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* The larger RSA sizes: the key says its size and signs both ways. */
static void rsa_sizes(void **state)
{
	static const struct {
		const char *name;
		te_hsm_key_type type;
		int bits;
	} sizes[] = {
		{"rsa3072", TE_HSM_KEY_RSA_3072, 3072},
		{"rsa4096", TE_HSM_KEY_RSA_4096, 4096},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EVP_PKEY *k, *pub;
		unsigned char *sig;
		size_t n = 0;

		create(sizes[i].name, sizes[i].type, 0);
		k = prov_key(sizes[i].name);
		pub = pub_key(sizes[i].name);
		assert_int_equal(EVP_PKEY_get_bits(k), sizes[i].bits);
		assert_int_equal(EVP_PKEY_get_size(k), sizes[i].bits / 8);
		for (int pss = 0; pss <= 1; pss++) {
			sig = pu_sign(k, "SHA256", pss, msg, sizeof(msg), &n);
			assert_non_null(sig);
			assert_int_equal(n, (size_t)sizes[i].bits / 8);
			assert_true(pu_verify(pub, "SHA256", pss, msg, sizeof(msg), sig, n));
			free(sig);
		}
		EVP_PKEY_free(pub);
		EVP_PKEY_free(k);
	}
}

/* What the HSM cannot do is refused when it is asked for, with a reason. */
static void rsa_refusals(void **state)
{
	EVP_PKEY *k = prov_key("rsa2048");
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	char *text;

	(void)state;
	ERR_clear_error();
	assert_int_not_equal(EVP_DigestSignInit_ex(m, NULL, "SHA384", NULL, NULL, k, NULL), 1);
	text = pu_errors_text();
	assert_non_null(strstr(text, "SHA-256"));
	free(text);
	EVP_MD_CTX_reset(m);
	assert_int_equal(EVP_DigestSignInit_ex(m, &pctx, "SHA256", NULL, NULL, k, NULL), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_MAX) <= 0);
	assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20) <= 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_X931_PADDING) <= 0);
	text = pu_errors_text();
	assert_non_null(strstr(text, "salt"));
	free(text);
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(k);
}

static int oaep_setup(EVP_PKEY_CTX *c)
{
	return EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) > 0 &&
	       EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) > 0;
}

static void rsa_oaep(void **state)
{
	EVP_PKEY *k = prov_key("rsa2048"), *pub = pub_key("rsa2048");
	EVP_PKEY_CTX *e = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	EVP_PKEY_CTX *d = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	unsigned char ct[512], pt[512];
	size_t ct_len = sizeof(ct), pt_len = 0;
	char *text;

	(void)state;
	assert_int_equal(EVP_PKEY_encrypt_init(e), 1);
	assert_true(oaep_setup(e));
	assert_int_equal(EVP_PKEY_encrypt(e, ct, &ct_len, (const unsigned char *)msg, sizeof(msg)),
			 1);
	assert_int_equal(EVP_PKEY_decrypt_init(d), 1);
	assert_true(oaep_setup(d));
	assert_int_equal(EVP_PKEY_decrypt(d, NULL, &pt_len, ct, ct_len), 1);
	assert_true(pt_len <= sizeof(pt));
	assert_int_equal(EVP_PKEY_decrypt(d, pt, &pt_len, ct, ct_len), 1);
	assert_int_equal(pt_len, sizeof(msg));
	assert_memory_equal(pt, msg, sizeof(msg));
	EVP_PKEY_CTX_free(e);

	/* Encryption through the provider key uses its public half. */
	e = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	ct_len = sizeof(ct);
	assert_int_equal(EVP_PKEY_encrypt_init(e), 1);
	assert_true(oaep_setup(e));
	assert_int_equal(EVP_PKEY_encrypt(e, ct, &ct_len, (const unsigned char *)msg, sizeof(msg)),
			 1);
	pt_len = sizeof(pt);
	assert_int_equal(EVP_PKEY_decrypt(d, pt, &pt_len, ct, ct_len), 1);
	assert_memory_equal(pt, msg, sizeof(msg));

	/* PKCS#1 v1.5 decryption is refused, saying what is possible. */
	ERR_clear_error();
	assert_int_equal(EVP_PKEY_decrypt_init(d), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(d, RSA_PKCS1_PADDING) > 0);
	pt_len = sizeof(pt);
	assert_int_not_equal(EVP_PKEY_decrypt(d, pt, &pt_len, ct, ct_len), 1);
	text = pu_errors_text();
	assert_non_null(strstr(text, "OAEP only"));
	free(text);
	/* So is OAEP with OpenSSL's default digest, SHA-1. */
	assert_int_equal(EVP_PKEY_decrypt_init(d), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(d, RSA_PKCS1_OAEP_PADDING) > 0);
	assert_int_not_equal(EVP_PKEY_decrypt(d, pt, &pt_len, ct, ct_len), 1);
	ERR_clear_error();
	EVP_PKEY_CTX_free(e);
	EVP_PKEY_CTX_free(d);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* --- refusals and lifetime --------------------------------------------------------------- */

static void secret_and_missing_keys_refused(void **state)
{
	EVP_PKEY *k = NULL;

	(void)state;
	assert_int_equal(te_provider_key_new(g.hsm, "hmac", &k), TE_ERR_UNSUPPORTED);
	assert_non_null(strstr(te_err_detail(), "secret"));
	assert_non_null(strstr(te_err_detail(), "hmac"));
	assert_int_equal(te_provider_key_new(g.hsm, "nope", &k), TE_ERR_NOT_FOUND);
	assert_int_equal(te_provider_key_new(g.hsm, "../x", &k), TE_ERR_BAD_NAME);
	assert_null(k);
}

/* A key whose usage lacks sign cannot sign, and the error names it. */
static void usage_enforced(void **state)
{
	EVP_PKEY *k = prov_key("rsa-enc-only");
	unsigned char *sig;
	size_t n = 0;
	char *text;

	(void)state;
	ERR_clear_error();
	sig = pu_sign(k, "SHA256", 0, msg, sizeof(msg), &n);
	assert_null(sig);
	text = pu_errors_text();
	assert_non_null(strstr(text, "key 'rsa-enc-only' may not sign"));
	free(text);
	EVP_PKEY_free(k);
}

/* The key holds a reference on its context: it signs after te_hsm_close
 * and frees the context with it (ASan/LSan watch the rest). */
static void key_outlives_context(void **state)
{
	te_hsm_setting s[] = {{"store", g.store}};
	te_hsm *hsm = NULL;
	EVP_PKEY *k = NULL, *dup, *pub = pub_key("ec256");
	unsigned char *sig;
	size_t n = 0;

	(void)state;
	assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
	assert_int_equal(te_provider_key_new(hsm, "ec256", &k), TE_OK);
	te_hsm_close(hsm);
	dup = EVP_PKEY_dup(k);
	assert_non_null(dup);
	EVP_PKEY_free(k);
	sig = pu_sign(dup, "SHA256", 0, msg, sizeof(msg), &n);
	assert_non_null(sig);
	assert_true(pu_verify(pub, "SHA256", 0, msg, sizeof(msg), sig, n));
	free(sig);
	EVP_PKEY_free(dup);
	EVP_PKEY_free(pub);
}

/* Nobody but te_provider_key_new makes keys bound to an HSM: not private
 * parameters, not a forged handoff.  Public parameters make a key that
 * verifies but cannot sign. */
static void import_refusals(void **state)
{
	EVP_PKEY *gen = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *k = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", "provider=trustedge");
	OSSL_PARAM *params = NULL, forged[2];
	void *bogus = &forged;
	unsigned char *sig;
	size_t n = 0;
	char *text;

	(void)state;
	assert_non_null(gen);
	assert_non_null(c);
	ERR_clear_error();
	assert_int_equal(EVP_PKEY_todata(gen, EVP_PKEY_KEYPAIR, &params), 1);
	assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
	assert_int_not_equal(EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, params), 1);
	text = pu_errors_text();
	assert_non_null(strstr(text, "private key parameter"));
	free(text);
	forged[0] = OSSL_PARAM_construct_octet_string("trustedge-key-handoff", &bogus,
						      sizeof(bogus));
	forged[1] = OSSL_PARAM_construct_end();
	assert_int_not_equal(EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, forged), 1);
	text = pu_errors_text();
	assert_non_null(strstr(text, "unknown key handoff"));
	free(text);
	assert_null(k);
	OSSL_PARAM_free(params);
	params = NULL;

	assert_int_equal(EVP_PKEY_todata(gen, EVP_PKEY_PUBLIC_KEY, &params), 1);
	assert_int_equal(EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
	assert_int_equal(EVP_PKEY_eq(k, gen), 1);
	sig = pu_sign(gen, "SHA256", 0, msg, sizeof(msg), &n);
	assert_non_null(sig);
	assert_true(pu_verify(k, "SHA256", 0, msg, sizeof(msg), sig, n));
	free(sig);
	sig = pu_sign(k, "SHA256", 0, msg, sizeof(msg), &n);
	assert_null(sig);
	ERR_clear_error();
	OSSL_PARAM_free(params);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(gen);
}

#define THREADS 4
#define SIGNS_PER_THREAD 25

struct signer {
	EVP_PKEY *key;
	EVP_PKEY *pub;
	int good;
};

static void *signer_run(void *arg)
{
	struct signer *s = arg;

	for (int i = 0; i < SIGNS_PER_THREAD; i++) {
		size_t n = 0;
		unsigned char *sig = pu_sign(s->key, "SHA256", 0, msg, sizeof(msg), &n);

		if (sig != NULL && pu_verify(s->pub, "SHA256", 0, msg, sizeof(msg), sig, n))
			s->good++;
		free(sig);
	}
	return NULL;
}

/* One provider key shared by threads, as a TLS server shares it. */
static void key_shared_by_threads(void **state)
{
	EVP_PKEY *k = prov_key("ec256"), *pub = pub_key("ec256");
	struct signer s[THREADS];
	pthread_t th[THREADS];

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		s[i].key = k;
		s[i].pub = pub;
		s[i].good = 0;
		assert_int_equal(pthread_create(&th[i], NULL, signer_run, &s[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(s[i].good, SIGNS_PER_THREAD);
	}
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* With the provider loaded, everything else still comes from OpenSSL's
 * own providers: key generation, signatures with ordinary keys. */
static void default_provider_still_serves(void **state)
{
	static const char *const types[] = {"EC", "RSA", "ED25519"};
	EVP_SIGNATURE *sig;

	(void)state;
	assert_int_equal(te_provider_load(), TE_OK);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, types[i], NULL);
		EVP_PKEY *key = NULL;
		unsigned char *s;
		size_t n = 0;
		const char *md = strcmp(types[i], "ED25519") == 0 ? NULL : "SHA256";

		assert_non_null(c);
		assert_int_equal(EVP_PKEY_keygen_init(c), 1);
		if (strcmp(types[i], "EC") == 0)
			assert_true(EVP_PKEY_CTX_set_group_name(c, "P-256") > 0);
		if (strcmp(types[i], "RSA") == 0)
			assert_true(EVP_PKEY_CTX_set_rsa_keygen_bits(c, 2048) > 0);
		assert_int_equal(EVP_PKEY_generate(c, &key), 1);
		assert_string_not_equal(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(key)),
					"trustedge");
		s = pu_sign(key, md, 0, msg, sizeof(msg), &n);
		assert_non_null(s);
		assert_true(pu_verify(key, md, 0, msg, sizeof(msg), s, n));
		free(s);
		EVP_PKEY_free(key);
		EVP_PKEY_CTX_free(c);
	}
	sig = EVP_SIGNATURE_fetch(NULL, "ECDSA", NULL);
	assert_non_null(sig);
	assert_string_not_equal(OSSL_PROVIDER_get0_name(EVP_SIGNATURE_get0_provider(sig)),
				"trustedge");
	EVP_SIGNATURE_free(sig);
}

#define PER_KEY(fn)                                                                          \
	cmocka_unit_test_prestate(fn, (void *)&case_p256),                                   \
	cmocka_unit_test_prestate(fn, (void *)&case_p384),                                   \
	cmocka_unit_test_prestate(fn, (void *)&case_rsa),                                    \
	cmocka_unit_test_prestate(fn, (void *)&case_ed)

#define PER_HASHED_KEY(fn)                                                                   \
	cmocka_unit_test_prestate(fn, (void *)&case_p256),                                   \
	cmocka_unit_test_prestate(fn, (void *)&case_p384),                                   \
	cmocka_unit_test_prestate(fn, (void *)&case_rsa)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_provider_still_serves),
		PER_KEY(key_basics),
		PER_KEY(key_params),
		PER_KEY(key_encodes_public_only),
		PER_KEY(key_signs),
		PER_HASHED_KEY(key_signs_streamed),
		PER_HASHED_KEY(key_signs_digest),
		PER_KEY(key_signs_csr),
		PER_KEY(key_signs_cert_and_cms),
		cmocka_unit_test(rsa_pss),
		cmocka_unit_test(rsa_sizes),
		cmocka_unit_test(rsa_refusals),
		cmocka_unit_test(rsa_oaep),
		cmocka_unit_test(secret_and_missing_keys_refused),
		cmocka_unit_test(usage_enforced),
		cmocka_unit_test(key_outlives_context),
		cmocka_unit_test(key_shared_by_threads),
		cmocka_unit_test(import_refusals),
		cmocka_unit_test(default_provider_still_serves),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
