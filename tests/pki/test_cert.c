/* test_cert.c - the certificate engine: every profile's extensions, chains
 * that OpenSSL's own verifier accepts, and every way issuance must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "testutil.h"
#include "trustedge/te_cert.h"

#define NOW ((int64_t)1790000000) /* 2026-09-21 */
#define DAY ((int64_t)86400)

static char *dir;
static te_hsm *hsm;

static int setup(void **state)
{
	te_hsm_setting s[1];
	char *store;

	(void)state;
	dir = tu_tempdir("pki");
	store = tu_path(dir, "keys");
	s[0].key = "store";
	s[0].value = store;
	assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
	free(store);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	te_hsm_close(hsm);
	tu_rmtree(dir);
	return 0;
}

static EVP_PKEY *key(const char *name, te_hsm_key_type type)
{
	te_hsm_key_attrs a = {type, 0, 0};
	EVP_PKEY *k = NULL;

	if (!te_hsm_key_exists(hsm, name))
		assert_int_equal(te_hsm_key_create(hsm, name, &a), TE_OK);
	assert_int_equal(te_hsm_key_evp(hsm, name, &k), TE_OK);
	return k;
}

static te_cert_request req_of(te_cert_profile p, const char *cn, int64_t lifetime)
{
	te_cert_request r;

	memset(&r, 0, sizeof(r));
	r.profile = p;
	r.common_name = cn;
	r.lifetime = lifetime;
	r.path_len = -1;
	return r;
}

static X509 *issue(te_cert_request *r, EVP_PKEY *subject, X509 *issuer, EVP_PKEY *ikey)
{
	X509 *x = NULL;
	te_err rc = te_cert_issue(r, subject, issuer, ikey, NOW, &x);

	if (rc != TE_OK)
		fail_msg("issue %s: %s: %s", r->common_name, te_err_name(rc), te_err_detail());
	return x;
}

static void write_pem(const char *name, X509 *const *certs, size_t n)
{
	char *path = tu_path(dir, name);
	te_buf b;

	te_buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(te_cert_pem_append(certs[i], NULL, &b), TE_OK);
	assert_int_equal(tu_write_file(path, b.data, b.len), 0);
	te_buf_free(&b);
	free(path);
}

/* The extension object of nid, and whether it is critical. */
static void *ext_of(X509 *x, int nid, int *critical)
{
	return X509_get_ext_d2i(x, nid, critical, NULL);
}

static void check_bc(X509 *x, int ca, long pathlen)
{
	int crit = -1;
	BASIC_CONSTRAINTS *bc = ext_of(x, NID_basic_constraints, &crit);

	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_int_equal(bc->ca != 0, ca);
	if (pathlen < 0)
		assert_null(bc->pathlen);
	else
		assert_int_equal(ASN1_INTEGER_get(bc->pathlen), pathlen);
	BASIC_CONSTRAINTS_free(bc);
}

static void check_ku(X509 *x, uint32_t want)
{
	int crit = -1;
	ASN1_BIT_STRING *ku = ext_of(x, NID_key_usage, &crit);

	assert_non_null(ku);
	assert_int_equal(crit, 1);
	assert_int_equal(X509_get_key_usage(x), want);
	ASN1_BIT_STRING_free(ku);
}

static void check_eku(X509 *x, int nid)
{
	int crit = -1;
	EXTENDED_KEY_USAGE *eku = ext_of(x, NID_ext_key_usage, &crit);

	if (nid == NID_undef) {
		assert_null(eku);
		return;
	}
	assert_non_null(eku);
	assert_int_equal(crit, 0);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), nid);
	EXTENDED_KEY_USAGE_free(eku);
}

static void check_aki(X509 *x, X509 *issuer)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);

	assert_non_null(aki);
	assert_non_null(ski);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki, ski), 0);
}

static void chain_and_profiles(void **state)
{
	EVP_PKEY *kr = key("root", TE_HSM_KEY_EC_P256), *ki = key("inter", TE_HSM_KEY_EC_P384);
	EVP_PKEY *ke = key("edge", TE_HSM_KEY_EC_P256), *ks = key("srv", TE_HSM_KEY_RSA_2048);
	EVP_PKEY *kc = key("cli", TE_HSM_KEY_EC_P256);
	const char *dns[] = {"edge.example.net", "*.local.example.net"};
	const char *ips[] = {"192.0.2.7", "2001:db8::1"};
	const char *uris[] = {"azureiot://hub.example.net/devices/dev1/modules/mod1"};
	te_cert_request r;
	X509 *root, *inter, *edge, *srv, *cli, *ver;
	STACK_OF(GENERAL_NAME) *san;
	te_x509_stack *roots = NULL, *untrusted = NULL, *chain = NULL;
	char *argv[12];
	char *ca, *un, *lf;

	(void)state;
	r = req_of(TE_CERT_ROOT_CA, "trustedge test root", 365 * DAY);
	root = issue(&r, kr, NULL, kr);
	r = req_of(TE_CERT_INTERMEDIATE_CA, "trustedge test intermediate", 300 * DAY);
	r.path_len = 1;
	inter = issue(&r, ki, root, kr);
	r = req_of(TE_CERT_EDGE_CA, "edge ca dev1", 200 * DAY);
	edge = issue(&r, ke, inter, ki);
	r = req_of(TE_CERT_SERVER, "edge.example.net", 90 * DAY);
	r.dns = dns, r.n_dns = 2, r.ips = ips, r.n_ips = 2;
	srv = issue(&r, ks, edge, ke);
	r = req_of(TE_CERT_CLIENT, "mod1", DAY);
	r.uris = uris, r.n_uris = 1;
	cli = issue(&r, kc, edge, ke);
	r = req_of(TE_CERT_VERIFICATION, "0123456789ABCDEF", DAY);
	ver = issue(&r, kc, edge, ke);

	check_bc(root, 1, -1);
	check_ku(root, KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	check_eku(root, NID_undef);
	check_bc(inter, 1, 1);
	check_aki(inter, root);
	check_bc(edge, 1, 0);
	check_ku(edge, KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	check_aki(edge, inter);
	check_bc(srv, 0, -1);
	check_ku(srv, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT); /* RSA key */
	check_eku(srv, NID_server_auth);
	check_bc(cli, 0, -1);
	check_ku(cli, KU_DIGITAL_SIGNATURE);
	check_eku(cli, NID_client_auth);
	check_eku(ver, NID_client_auth);
	/* Signatures: P-384 issuer signs with SHA-384. */
	assert_int_equal(X509_get_signature_nid(edge), NID_ecdsa_with_SHA384);
	assert_int_equal(X509_get_signature_nid(srv), NID_ecdsa_with_SHA256);

	san = X509_get_ext_d2i(srv, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 4);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_DNS);
	assert_int_equal(sk_GENERAL_NAME_value(san, 2)->type, GEN_IPADD);
	assert_int_equal(ASN1_STRING_length(sk_GENERAL_NAME_value(san, 3)->d.iPAddress), 16);
	GENERAL_NAMES_free(san);
	san = X509_get_ext_d2i(cli, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_URI);
	GENERAL_NAMES_free(san);
	/* Validity: backdated a minute for clock skew, lifetime from now. */
	{
		int64_t nb = 0, na = 0;
		assert_int_equal(te_cert_validity(srv, &nb, &na), TE_OK);
		assert_int_equal(nb, NOW - 60);
		assert_int_equal(na, NOW + 90 * DAY);
	}
	/* Serials: positive, at most 16 bytes, different. */
	assert_int_equal(ASN1_INTEGER_cmp(X509_get_serialNumber(cli), X509_get_serialNumber(ver)) != 0,
			 1);
	assert_true(ASN1_STRING_length(X509_get_serialNumber(cli)) <= 16);

	/* Our verifier, at NOW. */
	assert_int_equal(te_cert_pem_parse("x", 1, &roots), TE_ERR_MALFORMED);
	roots = (te_x509_stack *)sk_X509_new_null();
	untrusted = (te_x509_stack *)sk_X509_new_null();
	X509_up_ref(root);
	sk_X509_push((STACK_OF(X509) *)roots, root);
	X509_up_ref(inter);
	X509_up_ref(edge);
	sk_X509_push((STACK_OF(X509) *)untrusted, edge);
	sk_X509_push((STACK_OF(X509) *)untrusted, inter);
	assert_int_equal(te_cert_chain_verify(srv, untrusted, roots, NOW, &chain), TE_OK);
	assert_int_equal(sk_X509_num((STACK_OF(X509) *)chain), 4);
	assert_ptr_equal(sk_X509_value((STACK_OF(X509) *)chain, 3), root);
	te_cert_stack_free(chain);
	assert_int_equal(te_cert_chain_verify(srv, untrusted, roots, NOW + 91 * DAY, NULL),
			 TE_ERR_VERIFY_FAILED);
	assert_non_null(strstr(te_err_detail(), "expired"));
	assert_int_equal(te_cert_chain_verify(srv, NULL, roots, NOW, NULL), TE_ERR_VERIFY_FAILED);

	/* OpenSSL's command line agrees (it checks against the real clock:
	 * NOW is in the past, and these certificates are valid until later). */
	write_pem("root.pem", &root, 1);
	write_pem("untrusted.pem", (X509 *[]){edge, inter}, 2);
	write_pem("srv.pem", &srv, 1);
	ca = tu_path(dir, "root.pem"), un = tu_path(dir, "untrusted.pem"),
	lf = tu_path(dir, "srv.pem");
	argv[0] = "openssl", argv[1] = "verify", argv[2] = "-x509_strict", argv[3] = "-CAfile",
	argv[4] = ca, argv[5] = "-untrusted", argv[6] = un, argv[7] = "-purpose",
	argv[8] = "sslserver", argv[9] = lf, argv[10] = NULL;
	if (tu_have_program("openssl"))
		assert_int_equal(tu_run(argv), 0);
	free(ca), free(un), free(lf);

	te_cert_stack_free(roots);
	te_cert_stack_free(untrusted);
	X509_free(root), X509_free(inter), X509_free(edge), X509_free(srv), X509_free(cli),
		X509_free(ver);
	EVP_PKEY_free(kr), EVP_PKEY_free(ki), EVP_PKEY_free(ke), EVP_PKEY_free(ks),
		EVP_PKEY_free(kc);
}

static void issuance_refusals(void **state)
{
	EVP_PKEY *kr = key("root", TE_HSM_KEY_EC_P256), *ke = key("edge", TE_HSM_KEY_EC_P256);
	EVP_PKEY *kl = key("leaf", TE_HSM_KEY_ED25519);
	te_cert_request r;
	X509 *root, *edge, *leaf, *x = NULL;
	char cn[TE_CERT_CN_MAX + 2];
	const char *bad_dns[] = {"a..b", "-a.example", "a_b.example", "*.a.*.b", ""};
	const char *bad_ip[] = {"999.1.1.1"}, *bad_uri[] = {"no-scheme"};

	(void)state;
	r = req_of(TE_CERT_ROOT_CA, "root", 100 * DAY);
	root = issue(&r, kr, NULL, kr);
	r = req_of(TE_CERT_EDGE_CA, "edge", 50 * DAY);
	edge = issue(&r, ke, root, kr);
	r = req_of(TE_CERT_CLIENT, "leaf", DAY);
	leaf = issue(&r, kl, edge, ke);
	assert_int_equal(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);

	/* Not a CA. */
	r = req_of(TE_CERT_CLIENT, "x", DAY);
	assert_int_equal(te_cert_issue(&r, kl, leaf, kl, NOW, &x), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "not a CA"));
	/* Edge CA (pathlen 0) may not make CAs. */
	r = req_of(TE_CERT_INTERMEDIATE_CA, "x", DAY);
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "path length 0"));
	/* Expired and not-yet-valid issuer. */
	r = req_of(TE_CERT_CLIENT, "x", DAY);
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW + 51 * DAY, &x), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "expired"));
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW - DAY, &x), TE_ERR_INVALID_ARG);
	/* Issuer key does not match. */
	assert_int_equal(te_cert_issue(&r, kl, edge, kr, NOW, &x), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "does not match"));
	/* Self-signed by another key. */
	assert_int_equal(te_cert_issue(&r, kl, NULL, kr, NOW, &x), TE_ERR_INVALID_ARG);
	/* Validity beyond the issuer's: refused, or capped when asked. */
	r = req_of(TE_CERT_SERVER, "x", 60 * DAY);
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "after the issuer's"));
	r.cap_to_issuer = 1;
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_OK);
	{
		int64_t a, b;
		assert_int_equal(te_cert_validity(x, NULL, &a), TE_OK);
		assert_int_equal(te_cert_validity(edge, NULL, &b), TE_OK);
		assert_int_equal(a, b);
	}
	X509_free(x);
	x = NULL;
	/* Names. */
	memset(cn, 'c', sizeof(cn));
	cn[TE_CERT_CN_MAX + 1] = '\0';
	r = req_of(TE_CERT_SERVER, cn, DAY);
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "64"));
	cn[TE_CERT_CN_MAX] = '\0';
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_OK);
	X509_free(x);
	x = NULL;
	r = req_of(TE_CERT_SERVER, "x", DAY);
	for (size_t i = 0; i < sizeof(bad_dns) / sizeof(bad_dns[0]); i++) {
		r.dns = &bad_dns[i], r.n_dns = 1;
		assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_ERR_INVALID_ARG);
	}
	r.n_dns = 0;
	r.ips = bad_ip, r.n_ips = 1;
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_ERR_INVALID_ARG);
	r.n_ips = 0;
	r.uris = bad_uri, r.n_uris = 1;
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_ERR_INVALID_ARG);
	/* Wildcards only for servers. */
	r = req_of(TE_CERT_CLIENT, "x", DAY);
	r.dns = (const char *[]){"*.example.net"}, r.n_dns = 1;
	assert_int_equal(te_cert_issue(&r, kl, edge, ke, NOW, &x), TE_ERR_INVALID_ARG);
	assert_null(x);

	X509_free(root), X509_free(edge), X509_free(leaf);
	EVP_PKEY_free(kr), EVP_PKEY_free(ke), EVP_PKEY_free(kl);
}

static void csr_round_trip(void **state)
{
	EVP_PKEY *kr = key("root", TE_HSM_KEY_EC_P256), *kd = key("dev", TE_HSM_KEY_EC_P256);
	const char *dns[] = {"asked-for.example"};
	const char *granted[] = {"granted.example"};
	te_cert_request r;
	X509_REQ *csr = NULL, *back = NULL;
	X509 *root, *x = NULL;
	unsigned char *der = NULL;
	int len;
	char cn[64];
	STACK_OF(GENERAL_NAME) *san;

	(void)state;
	r = req_of(TE_CERT_ROOT_CA, "root", 100 * DAY);
	root = issue(&r, kr, NULL, kr);
	r = req_of(TE_CERT_SERVER, "from-the-csr", DAY);
	r.dns = dns, r.n_dns = 1;
	assert_int_equal(te_cert_csr_create(kd, &r, &csr), TE_OK);
	assert_int_equal(X509_REQ_verify(csr, kd), 1);
	len = i2d_X509_REQ(csr, &der);
	assert_true(len > 0);
	assert_int_equal(te_cert_csr_parse(der, (size_t)len, &back), TE_OK);
	/* The CN comes from the CSR; SANs only from the policy. */
	r = req_of(TE_CERT_SERVER, NULL, DAY);
	r.dns = granted, r.n_dns = 1;
	assert_int_equal(te_cert_issue_csr(&r, back, root, kr, NOW, &x), TE_OK);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "from-the-csr");
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 1);
	assert_string_equal(ASN1_STRING_get0_data(sk_GENERAL_NAME_value(san, 0)->d.dNSName),
			    "granted.example");
	GENERAL_NAMES_free(san);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), kd), 1);
	X509_free(x);
	x = NULL;
	X509_REQ_free(back);
	back = NULL;
	/* A CSR whose signature was altered, and DER with trailing bytes. */
	der[len - 3] ^= 0x01;
	if (te_cert_csr_parse(der, (size_t)len, &back) == TE_OK) {
		assert_int_equal(te_cert_issue_csr(&r, back, root, kr, NOW, &x),
				 TE_ERR_VERIFY_FAILED);
		X509_REQ_free(back);
		back = NULL;
	}
	der[len - 3] ^= 0x01;
	{
		unsigned char *longer = malloc((size_t)len + 1);
		memcpy(longer, der, (size_t)len);
		longer[len] = 0;
		assert_int_equal(te_cert_csr_parse(longer, (size_t)len + 1, &back), TE_ERR_MALFORMED);
		free(longer);
	}
	assert_int_equal(te_cert_csr_parse((const uint8_t *)"junk", 4, &back), TE_ERR_MALFORMED);
	assert_null(x);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	X509_free(root);
	EVP_PKEY_free(kr), EVP_PKEY_free(kd);
}

static void pem_parsing_is_strict(void **state)
{
	EVP_PKEY *kr = key("root", TE_HSM_KEY_EC_P256);
	te_cert_request r = req_of(TE_CERT_ROOT_CA, "root", DAY);
	X509 *root = issue(&r, kr, NULL, kr);
	te_x509_stack *st = NULL;
	te_buf b;

	(void)state;
	te_buf_init(&b, 0);
	for (int i = 0; i < TE_CERT_CHAIN_MAX; i++)
		assert_int_equal(te_cert_pem_append(root, NULL, &b), TE_OK);
	assert_int_equal(te_cert_pem_parse((char *)b.data, b.len, &st), TE_OK);
	assert_int_equal(sk_X509_num((STACK_OF(X509) *)st), TE_CERT_CHAIN_MAX);
	te_cert_stack_free(st);
	st = NULL;
	assert_int_equal(te_cert_pem_append(root, NULL, &b), TE_OK);
	assert_int_equal(te_cert_pem_parse((char *)b.data, b.len, &st), TE_ERR_MALFORMED);
	/* A damaged block in the middle is an error, not the end of input. */
	b.len = 0;
	assert_int_equal(te_cert_pem_append(root, NULL, &b), TE_OK);
	assert_int_equal(te_buf_append(&b, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
				       58), TE_OK);
	assert_int_equal(te_cert_pem_parse((char *)b.data, b.len, &st), TE_ERR_MALFORMED);
	assert_int_equal(te_cert_pem_parse("", 0, &st), TE_ERR_MALFORMED);
	assert_null(st);
	te_buf_free(&b);
	X509_free(root);
	EVP_PKEY_free(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chain_and_profiles),
		cmocka_unit_test(issuance_refusals),
		cmocka_unit_test(csr_round_trip),
		cmocka_unit_test(pem_parsing_is_strict),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
