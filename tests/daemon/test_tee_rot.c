/*
 * test_tee_rot.c - the managed-mode root of trust (daemon/tee_rot.h) on
 * the soft HSM in a temporary store, with an edge CA made the way the
 * keys process makes one (a non-exportable HSM key, te_cert_issue):
 * derive is deterministic, label-sensitive and survives reopening the
 * HSM (a daemon restart); the attestation signature verifies with the
 * chain's leaf, which chains to the CA; neither key is exportable; keys
 * of the wrong kind are refused; and a TA's evidence request served by
 * te_rot_serve says "not developer root".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/tee_rot.h"
#include "testutil.h"
#include "trustedge/te_cert.h"
#include "trustedge/te_hsm.h"

#define CA_KEY "edge-ca"

struct fx {
	char *dir;
	te_hsm *hsm;
	X509 *ca;
	EVP_PKEY *ca_key;
};

static te_hsm *open_hsm(const char *dir)
{
	te_hsm_setting s[] = {{"store", dir}};
	te_hsm *hsm = NULL;

	assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
	return hsm;
}

static void make_ca(struct fx *f)
{
	te_hsm_key_attrs a = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_cert_request req;

	memset(&req, 0, sizeof(req));
	req.profile = TE_CERT_EDGE_CA;
	req.common_name = "test edge CA";
	req.lifetime = 30 * 86400;
	if (!te_hsm_key_exists(f->hsm, CA_KEY))
		assert_int_equal(te_hsm_key_create(f->hsm, CA_KEY, &a), TE_OK);
	assert_int_equal(te_hsm_key_evp(f->hsm, CA_KEY, &f->ca_key), TE_OK);
	assert_int_equal(te_cert_issue(&req, f->ca_key, NULL, f->ca_key, time(NULL), &f->ca),
	                 TE_OK);
}

static void drop_ca(struct fx *f)
{
	X509_free(f->ca);
	EVP_PKEY_free(f->ca_key);
	f->ca = NULL;
	f->ca_key = NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_tempdir("tee-rot");
	f->hsm = open_hsm(f->dir);
	make_ca(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	drop_ca(f);
	te_hsm_close(f->hsm);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static te_rot *open_rot(struct fx *f)
{
	te_rot *rot = NULL;

	assert_int_equal(te_rot_hsm_open(f->hsm, f->ca, f->ca_key, NULL, "dev-1", time(NULL), &rot),
	                 TE_OK);
	assert_non_null(rot);
	assert_int_equal(rot->ops->version, TE_ROT_OPS_VERSION);
	assert_string_equal(rot->ops->name, "hsm");
	assert_int_equal(rot->flags & TE_ROT_FLAG_DEVELOPER, 0);
	return rot;
}

static void derive(te_rot *rot, const char *label, uint8_t out[32])
{
	assert_int_equal(rot->ops->derive(rot, (const uint8_t *)label, strlen(label), out), OE_OK);
}

static void test_derive(void **state)
{
	struct fx *f = *state;
	uint8_t a1[32], a2[32], b[32], e[32], after[32];
	te_rot *rot = open_rot(f);

	derive(rot, "label-a", a1);
	derive(rot, "label-a", a2);
	derive(rot, "label-b", b);
	derive(rot, "", e);
	assert_memory_equal(a1, a2, 32);
	assert_memory_not_equal(a1, b, 32);
	assert_memory_not_equal(a1, e, 32);
	/* A label one byte longer is another key (no prefix relation). */
	derive(rot, "label-a\x01", after);
	assert_memory_not_equal(a1, after, 32);
	/* Oversized labels are refused, not cut. */
	{
		static uint8_t big[8192];

		assert_int_equal(rot->ops->derive(rot, big, sizeof(big), after),
		                 OE_INVALID_PARAMETER);
	}
	te_rot_close(rot);

	/* A restart: the HSM and the root are opened again. */
	drop_ca(f);
	te_hsm_close(f->hsm);
	f->hsm = open_hsm(f->dir);
	make_ca(f);
	rot = open_rot(f);
	derive(rot, "label-a", after);
	assert_memory_equal(a1, after, 32);
	te_rot_close(rot);
}

static void test_keys_not_exportable(void **state)
{
	struct fx *f = *state;
	te_hsm_key_info info;
	te_buf b;
	te_rot *rot = open_rot(f);

	te_buf_init(&b, 1);
	assert_int_equal(te_hsm_key_info_get(f->hsm, TE_ROT_HSM_ROOT_KEY, &info), TE_OK);
	assert_int_equal(info.type, TE_HSM_KEY_HMAC_SHA256);
	assert_int_equal(info.exportable, 0);
	assert_int_equal(te_hsm_key_export(f->hsm, TE_ROT_HSM_ROOT_KEY, &b), TE_ERR_PERMISSION);
	assert_int_equal(te_hsm_key_info_get(f->hsm, TE_ROT_HSM_ATTEST_KEY, &info), TE_OK);
	assert_int_equal(info.type, TE_HSM_KEY_EC_P256);
	assert_int_equal(info.exportable, 0);
	assert_int_equal(te_hsm_key_export(f->hsm, TE_ROT_HSM_ATTEST_KEY, &b), TE_ERR_PERMISSION);
	te_buf_free(&b);
	te_rot_close(rot);
}

/* A root key someone imported as exportable is not a device secret. */
static void test_wrong_keys_refused(void **state)
{
	struct fx *f = *state;
	te_hsm_key_attrs exp = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 1};
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	static const uint8_t bytes[32] = {1, 2, 3};
	te_rot *rot = NULL;

	assert_int_equal(te_hsm_key_import(f->hsm, TE_ROT_HSM_ROOT_KEY, &exp, bytes, sizeof(bytes)),
	                 TE_OK);
	assert_int_equal(te_rot_hsm_open(f->hsm, f->ca, f->ca_key, NULL, "d", time(NULL), &rot),
	                 TE_ERR_CONFIG);
	assert_null(rot);
	assert_int_equal(te_hsm_key_delete(f->hsm, TE_ROT_HSM_ROOT_KEY), TE_OK);
	assert_int_equal(te_hsm_key_create(f->hsm, TE_ROT_HSM_ROOT_KEY, &ec), TE_OK);
	assert_int_equal(te_rot_hsm_open(f->hsm, f->ca, f->ca_key, NULL, "d", time(NULL), &rot),
	                 TE_ERR_CONFIG);
	assert_int_equal(te_rot_hsm_open(NULL, f->ca, f->ca_key, NULL, "d", time(NULL), &rot),
	                 TE_ERR_INVALID_ARG);
}

static void test_sign_chain(void **state)
{
	struct fx *f = *state;
	static const uint8_t tbs[] = "to be signed by the device";
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n = sizeof(sig), small = 8;
	te_x509_stack *chain = NULL, *roots = NULL, *path = NULL;
	X509 *leaf;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	te_rot *rot = open_rot(f);
	const char *pem = rot->ops->chain(rot);

	assert_non_null(pem);
	assert_int_equal(rot->ops->sign(rot, tbs, sizeof(tbs), sig, &n), OE_OK);
	assert_int_equal(rot->ops->sign(rot, tbs, sizeof(tbs), sig, &small), OE_BUFFER_TOO_SMALL);
	assert_int_equal(te_cert_pem_parse(pem, strlen(pem), &chain), TE_OK);
	assert_int_equal(sk_X509_num((STACK_OF(X509) *)chain), 2);
	leaf = sk_X509_value((STACK_OF(X509) *)chain, 0);
	assert_int_equal(X509_cmp(sk_X509_value((STACK_OF(X509) *)chain, 1), f->ca), 0);
	/* The signature verifies with the certified key... */
	assert_non_null(md);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(leaf)),
	                 1);
	assert_int_equal(EVP_DigestVerify(md, sig, n, tbs, sizeof(tbs)), 1);
	/* ...and the certificate chains to the CA, strictly. */
	roots = (te_x509_stack *)sk_X509_new_null();
	assert_non_null(roots);
	assert_int_equal(sk_X509_push((STACK_OF(X509) *)roots, f->ca) > 0, 1);
	assert_int_equal(te_cert_chain_verify(leaf, chain, roots, time(NULL), &path), TE_OK);
	/* A changed message does not verify. */
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(leaf)),
	                 1);
	assert_int_not_equal(EVP_DigestVerify(md, sig, n, tbs, sizeof(tbs) - 1), 1);
	EVP_MD_CTX_free(md);
	te_cert_stack_free(path);
	sk_X509_free((STACK_OF(X509) *)roots);
	te_cert_stack_free(chain);
	te_rot_close(rot);
}

/* A TA's ROOTS request through te_rot_serve gets this chain. */
static void test_serve_roots(void **state)
{
	struct fx *f = *state;
	uint8_t req[8] = {TE_ROT_ROOTS, 0, 0, 0, 7, 0, 0, 0};
	uint8_t *resp = malloc(TE_ROT_MSG_MAX);
	te_rot_identity id;
	size_t n = 0;
	uint32_t res;
	te_rot *rot = open_rot(f);

	assert_non_null(resp);
	memset(&id, 0, sizeof(id));
	te_rot_serve(rot, &id, req, sizeof(req), resp, TE_ROT_MSG_MAX, &n);
	assert_true(n > 16);
	memcpy(&res, resp + 8, 4);
	assert_int_equal(res, OE_OK);
	assert_non_null(memmem(resp + 16, n - 16, "BEGIN CERTIFICATE", 17));
	free(resp);
	te_rot_close(rot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_derive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys_not_exportable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_keys_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_serve_roots, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
