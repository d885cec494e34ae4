/*
 * test_attest_dev.c - attest.devroot: evidence signed by the real
 * per-user developer root (src/tee/rot/rot_dev.c, in a temporary
 * TE_TEE_DEV_ROOT).  It says "developer root", a host refuses it until
 * told to trust that root's CA (ca.crt), and a TA of the same host accepts
 * it (its platform's own root).
 */
#include <openenclave/attestation/sgx/evidence.h>
#include <openenclave/attestation/verifier.h>
#include <openenclave/edger8r/host.h>
#include <openenclave/trustedge.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#define TA_A TE_ATTEST_TA_DIR "/attest_ta.signed"

static const oe_uuid_t fmt_ecdsa = {OE_FORMAT_UUID_SGX_ECDSA};

enum { E_EVIDENCE, E_VERIFY, E_REPORT, E_COUNT };
static const oe_ecall_info_t ecall_names[E_COUNT] = {{"evidence"}, {"verify"}, {"report"}};

static void o_write(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	*w = 0;
}

static const oe_ocall_func_t ocalls[] = {o_write};
static uint8_t g_out[128 * 1024];
static char *g_dir;

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static oe_result_t ecall(oe_enclave_t *e, uint32_t fn, const void *in, size_t n, size_t *data_n)
{
	size_t w = 0;

	assert_int_equal(oe_call_enclave_function(e, fn, in, n, g_out, sizeof(g_out), &w), OE_OK);
	assert_true(w >= 4);
	*data_n = w - 4;
	return (oe_result_t)get32(g_out);
}

static void test_developer_root(void **state)
{
	oe_enclave_t *e = NULL;
	uint8_t in[24 + 32 + 4 + 4096], nonce[32], *ev, *pem;
	size_t n, ev_n, pem_n, k = 0;
	uint32_t v;
	oe_policy_t pol = {TE_POLICY_REPORT_DATA, nonce, sizeof(nonce)};
	oe_claim_t *c = NULL;
	oe_report_t rep;
	char *ca = tu_path(g_dir, "ca.crt");

	memset(nonce, 0x5c, sizeof(nonce));
	assert_int_equal(oe_create_enclave(TA_A, OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0, ocalls, 1,
	                                   ecall_names, E_COUNT, &e),
	                 OE_OK);
	memcpy(in, fmt_ecdsa.b, 16);
	v = sizeof(nonce);
	memcpy(in + 16, &v, 4);
	memcpy(in + 20, nonce, sizeof(nonce));
	assert_int_equal(ecall(e, E_EVIDENCE, in, 20 + sizeof(nonce), &n), OE_OK);
	ev_n = n;
	ev = malloc(ev_n);
	memcpy(ev, g_out + 4, ev_n);

	/* A host that was told nothing refuses the developer root. */
	unsetenv("TE_TEE_TRUSTED_ROOTS");
	te_verifier_clear_trusted_roots();
	assert_int_equal(oe_verify_evidence(&fmt_ecdsa, ev, ev_n, NULL, 0, &pol, 1, &c, &k),
	                 OE_VERIFY_FAILED);
	/* Told to trust it (its CA, ca.crt in the root's directory): accepted,
	 * and the claims say what it is. */
	assert_int_equal(tu_read_file(ca, &pem, &pem_n), 0);
	assert_int_equal(te_verifier_add_trusted_root_pem((const char *)pem, pem_n), OE_OK);
	assert_int_equal(oe_verify_evidence(&fmt_ecdsa, ev, ev_n, NULL, 0, &pol, 1, &c, &k), OE_OK);
	for (size_t i = 0; i < k; i++) {
		if (strcmp(c[i].name, OE_CLAIM_TRUSTEDGE_DEVELOPER_ROOT) == 0 ||
		    strcmp(c[i].name, OE_CLAIM_TRUSTEDGE_EMULATED) == 0) {
			assert_int_equal(c[i].value_size, 1);
			assert_int_equal(c[i].value[0], 1);
		}
		if (strcmp(c[i].name, OE_CLAIM_ATTRIBUTES) == 0)
			assert_true(*(uint64_t *)(void *)c[i].value &
			            OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT);
	}
	oe_free_claims(c, k);
	te_verifier_clear_trusted_roots();

	/* The TA trusts its own platform's root: verify inside it. */
	memset(in, 0, 4);
	in[0] = 1 | 2;
	memcpy(in + 4, fmt_ecdsa.b, 16);
	memcpy(in + 20, &v, 4);
	memcpy(in + 24, nonce, sizeof(nonce));
	assert_true(24 + sizeof(nonce) + ev_n <= sizeof(in));
	memcpy(in + 24 + sizeof(nonce), ev, ev_n);
	assert_int_equal(ecall(e, E_VERIFY, in, 24 + sizeof(nonce) + ev_n, &n), OE_OK);

	/* A local report: the host checks it against the root serving its
	 * enclave, without being told to trust it. */
	memset(in, 0, 4);
	assert_int_equal(ecall(e, E_REPORT, in, 4, &n), OE_OK);
	assert_int_equal(oe_verify_report(e, g_out + 4, n, &rep), OE_OK);
	assert_true(rep.identity.attributes & OE_REPORT_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT);

	free(pem);
	free(ev);
	free(ca);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_developer_root),
	};
	int rc;

	g_dir = tu_tempdir("attest-devroot");
	setenv("TE_TEE_DEV_ROOT", g_dir, 1);
	rc = cmocka_run_group_tests_name("attest.devroot", tests, NULL, NULL);
	tu_rmtree(g_dir);
	return rc;
}
