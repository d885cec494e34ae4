/*
 * test_attest.c - attestation: the evidence the root of trust signs, the
 * verifiers of the host and of TAs, and every refusal.
 *
 *   test_attest unit        evidence and verifier without TAs: round trip,
 *                           claims, altered bytes, truncation, nonce and
 *                           replay, debug policy, untrusted and developer
 *                           roots, formats, request bounds, custom claims,
 *                           TE_TEE_TRUSTED_ROOTS, reports
 *   test_attest ta          with real TA processes (tests/tee_attest/ta):
 *                           evidence of a signed image, TAs verifying,
 *                           local attestation between two TAs, debug TA,
 *                           what a host cannot make the root say, reports
 *   test_attest export DIR  evidence and roots as files, for attest.cli
 *
 * The host runtime's developer root is replaced by a test root of our own
 * (-Wl,--wrap=te_rot_dev_open), so the evidence here is signed by a key
 * this program holds and a second root is easy to make.
 */
#include <openenclave/attestation/custom_claims.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "tee/evidence.h"
#include "tee/image.h"
#include "tee/rot/rot.h"
#include "test_root.h"
#include "testutil.h"

#define TA_A     TE_ATTEST_TA_DIR "/attest_ta.signed"
#define TA_DEBUG TE_ATTEST_TA_DIR "/attest_ta_debug.signed"
#define TA_B     TE_ATTEST_TA_DIR "/attest_ta_b.signed"

static const oe_uuid_t fmt_local = {OE_FORMAT_UUID_SGX_LOCAL_ATTESTATION};
static const oe_uuid_t fmt_ecdsa = {OE_FORMAT_UUID_SGX_ECDSA};
static const oe_uuid_t fmt_te = {OE_FORMAT_UUID_TRUSTEDGE_EMULATED};
static const oe_uuid_t fmt_epid = {OE_FORMAT_UUID_SGX_EPID_LINKABLE};
static const oe_uuid_t fmt_bogus = {
    {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};

static te_rot *g_root;  /* trusted: the host runtime's root in these tests */
static te_rot *g_other; /* another device's root, never trusted */
static te_rot *g_dev;   /* a developer root */

/* The host runtime asks for the developer root: it gets the test root. */
oe_result_t __wrap_te_rot_dev_open(const char *dir, te_rot **out);
oe_result_t __wrap_te_rot_dev_open(const char *dir, te_rot **out)
{
	*out = g_root;
	return g_root ? OE_OK : OE_UNSUPPORTED;
}

/* --- helpers ---------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static const te_rot_identity test_id = {
    .unique_id = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                  0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                  0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11},
    .signer_id = {0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                  0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                  0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22},
    .product_id = 0x1234,
    .security_version = 7,
    .debug = 0,
};

/* One raw request to rot: type and body; the reply's result, and its body
 * copied to *body (malloc'd) when there is one. */
static oe_result_t rot_request(te_rot *rot, const te_rot_identity *id, uint32_t type,
                               const uint8_t *body, size_t n, uint8_t **out, size_t *out_n)
{
	uint8_t *req = malloc(8 + n), *resp = malloc(TE_ROT_MSG_MAX);
	size_t resp_n = 0;
	oe_result_t r;

	assert_non_null(req);
	assert_non_null(resp);
	put32(req, type);
	put32(req + 4, 77);
	if (n)
		memcpy(req + 8, body, n);
	te_rot_serve(rot, id, req, 8 + n, resp, TE_ROT_MSG_MAX, &resp_n);
	assert_true(resp_n >= 12);
	assert_int_equal(get32(resp), type | TE_ROT_REPLY);
	assert_int_equal(get32(resp + 4), 77);
	r = (oe_result_t)get32(resp + 8);
	if (out) {
		*out = NULL;
		*out_n = 0;
	}
	if (r == OE_OK && out) {
		*out_n = resp_n - 12;
		*out = malloc(*out_n ? *out_n : 1);
		assert_non_null(*out);
		memcpy(*out, resp + 12, *out_n);
	}
	if (r != OE_OK)
		assert_int_equal(resp_n, 12);
	free(req);
	free(resp);
	return r;
}

/* An evidence request body. */
static size_t evidence_body(uint8_t *b, const oe_uuid_t *fmt, const void *rd, uint32_t rd_n,
                            const void *cc, uint32_t cc_n)
{
	memcpy(b, fmt->b, 16);
	put32(b + 16, rd_n);
	if (rd_n)
		memcpy(b + 20, rd, rd_n);
	put32(b + 20 + rd_n, cc_n);
	if (cc_n)
		memcpy(b + 24 + rd_n, cc, cc_n);
	return 24 + rd_n + cc_n;
}

/* Evidence from rot for id, as the root would give a TA. */
static void make_evidence(te_rot *rot, const te_rot_identity *id, const oe_uuid_t *fmt,
                          const void *rd, uint32_t rd_n, const void *cc, uint32_t cc_n,
                          uint8_t **ev, size_t *ev_n)
{
	uint8_t *b = malloc(24 + rd_n + cc_n), *body = NULL;
	size_t n = evidence_body(b, fmt, rd, rd_n, cc, cc_n), body_n = 0;

	assert_int_equal(rot_request(rot, id, TE_ROT_EVIDENCE, b, n, &body, &body_n), OE_OK);
	assert_true(body_n > 4);
	assert_int_equal(get32(body), body_n - 4);
	*ev_n = body_n - 4;
	*ev = malloc(*ev_n);
	memcpy(*ev, body + 4, *ev_n);
	free(body);
	free(b);
}

static void trust(te_rot *rot)
{
	const char *pem = te_test_root_ca_pem(rot);

	assert_int_equal(te_verifier_add_trusted_root_pem(pem, strlen(pem)), OE_OK);
}

static const oe_claim_t *find_claim(const oe_claim_t *c, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	return NULL;
}

static uint64_t claim_u(const oe_claim_t *c, size_t n, const char *name, size_t size)
{
	const oe_claim_t *k = find_claim(c, n, name);
	uint64_t v = 0;

	assert_non_null(k);
	assert_int_equal(k->value_size, size);
	memcpy(&v, k->value, size);
	return v;
}

static void claim_bytes(const oe_claim_t *c, size_t n, const char *name, const void *want,
                        size_t size)
{
	const oe_claim_t *k = find_claim(c, n, name);

	assert_non_null(k);
	assert_int_equal(k->value_size, size);
	if (size)
		assert_memory_equal(k->value, want, size);
}

static oe_result_t verify(const oe_uuid_t *fmt, const uint8_t *ev, size_t n, const void *nonce,
                          size_t nonce_n, int forbid_debug, oe_claim_t **claims, size_t *k)
{
	oe_policy_t pol[2];
	size_t np = 0;
	oe_claim_t *c = NULL;
	size_t ck = 0;
	oe_result_t r;

	if (nonce) {
		pol[np].type = TE_POLICY_REPORT_DATA;
		pol[np].policy = (void *)(uintptr_t)nonce;
		pol[np++].policy_size = nonce_n;
	}
	if (forbid_debug) {
		pol[np].type = TE_POLICY_FORBID_DEBUG;
		pol[np].policy = NULL;
		pol[np++].policy_size = 0;
	}
	r = oe_verify_evidence(fmt, ev, n, NULL, 0, np ? pol : NULL, np, &c, &ck);
	if (claims) {
		*claims = c;
		*k = ck;
	} else {
		oe_free_claims(c, ck);
	}
	if (r != OE_OK)
		assert_null(c);
	return r;
}

static const uint8_t nonce_a[32] = "nonce A: the verifier's chal-A!";
static const uint8_t nonce_b[32] = "nonce B: another challenge ...!";

/* Two custom claims, serialized. */
static void custom_claims(uint8_t **cc, size_t *cc_n)
{
	static char n1[] = "event", n2[] = "public key hash";
	static uint8_t v1[] = "attestation test", v2[32] = {1, 2, 3, 4, 5};
	oe_claim_t c[2] = {{n1, v1, sizeof(v1)}, {n2, v2, sizeof(v2)}};

	assert_int_equal(oe_serialize_custom_claims(c, 2, cc, cc_n), OE_OK);
}

static void check_custom_claims(const uint8_t *cc, size_t n)
{
	oe_claim_t *c = NULL;
	size_t k = 0;

	assert_int_equal(oe_deserialize_custom_claims(cc, n, &c, &k), OE_OK);
	assert_int_equal(k, 2);
	assert_string_equal(c[0].name, "event");
	assert_int_equal(c[0].value_size, sizeof("attestation test"));
	assert_string_equal((char *)c[0].value, "attestation test");
	assert_string_equal(c[1].name, "public key hash");
	assert_int_equal(c[1].value_size, 32);
	assert_int_equal(c[1].value[4], 5);
	oe_free_custom_claims(c, k);
}

static int unit_setup(void **state)
{
	te_verifier_clear_trusted_roots();
	trust(g_root);
	return 0;
}

static int unit_teardown(void **state)
{
	te_verifier_clear_trusted_roots();
	return 0;
}

/* --- attest.unit ------------------------------------------------------------- */

static void test_roundtrip(void **state)
{
	uint8_t *cc, *ev;
	size_t cc_n, ev_n, k = 0;
	oe_claim_t *c = NULL;
	uint8_t product[16] = {0x34, 0x12};
	const oe_claim_t *cb;

	custom_claims(&cc, &cc_n);
	make_evidence(g_root, &test_id, &fmt_ecdsa, nonce_a, 32, cc, (uint32_t)cc_n, &ev, &ev_n);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 1, &c, &k), OE_OK);
	assert_int_equal(claim_u(c, k, OE_CLAIM_ID_VERSION, 4), 0);
	assert_int_equal(claim_u(c, k, OE_CLAIM_SECURITY_VERSION, 4), 7);
	assert_int_equal(claim_u(c, k, OE_CLAIM_ATTRIBUTES, 8),
	                 OE_EVIDENCE_ATTRIBUTES_SGX_REMOTE |
	                     OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_EMULATED);
	claim_bytes(c, k, OE_CLAIM_UNIQUE_ID, test_id.unique_id, 32);
	claim_bytes(c, k, OE_CLAIM_SIGNER_ID, test_id.signer_id, 32);
	claim_bytes(c, k, OE_CLAIM_PRODUCT_ID, product, 16);
	claim_bytes(c, k, OE_CLAIM_FORMAT_UUID, fmt_ecdsa.b, 16);
	claim_bytes(c, k, OE_CLAIM_SGX_REPORT_DATA, nonce_a, 32);
	assert_int_equal(claim_u(c, k, OE_CLAIM_TRUSTEDGE_EMULATED, 1), 1);
	assert_int_equal(claim_u(c, k, OE_CLAIM_TRUSTEDGE_DEVELOPER_ROOT, 1), 0);
	cb = find_claim(c, k, OE_CLAIM_CUSTOM_CLAIMS_BUFFER);
	assert_non_null(cb);
	assert_int_equal(cb->value_size, cc_n);
	assert_memory_equal(cb->value, cc, cc_n);
	check_custom_claims(cb->value, cb->value_size);
	oe_free_claims(c, k);
	/* No format id: taken from the evidence; no policies. */
	assert_int_equal(verify(NULL, ev, ev_n, NULL, 0, 0, NULL, NULL), OE_OK);
	/* The trustedge format and the local one, without custom claims. */
	free(ev);
	make_evidence(g_root, &test_id, &fmt_te, NULL, 0, NULL, 0, &ev, &ev_n);
	assert_int_equal(verify(&fmt_te, ev, ev_n, NULL, 0, 0, &c, &k), OE_OK);
	assert_null(find_claim(c, k, OE_CLAIM_CUSTOM_CLAIMS_BUFFER));
	claim_bytes(c, k, OE_CLAIM_SGX_REPORT_DATA, NULL, 0);
	oe_free_claims(c, k);
	free(ev);
	make_evidence(g_root, &test_id, &fmt_local, nonce_b, 32, NULL, 0, &ev, &ev_n);
	assert_int_equal(verify(&fmt_local, ev, ev_n, nonce_b, 32, 0, &c, &k), OE_OK);
	assert_int_equal(claim_u(c, k, OE_CLAIM_ATTRIBUTES, 8),
	                 OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_EMULATED);
	oe_free_claims(c, k);
	free(ev);
	oe_free_serialized_custom_claims(cc);
}

/* Any byte changed, anywhere: OE_VERIFY_FAILED. */
static void test_altered_byte(void **state)
{
	uint8_t *cc, *ev, *bad;
	size_t cc_n, ev_n;
	const uint8_t flips[2] = {0x01, 0x80};

	custom_claims(&cc, &cc_n);
	make_evidence(g_root, &test_id, &fmt_ecdsa, nonce_a, 32, cc, (uint32_t)cc_n, &ev, &ev_n);
	bad = malloc(ev_n + 1);
	for (size_t i = 0; i < ev_n; i++) {
		for (size_t f = 0; f < 2; f++) {
			memcpy(bad, ev, ev_n);
			bad[i] ^= flips[f];
			if (verify(&fmt_ecdsa, bad, ev_n, nonce_a, 32, 0, NULL, NULL) !=
			    OE_VERIFY_FAILED)
				fail_msg("byte %zu ^ 0x%02x was not refused with OE_VERIFY_FAILED",
				         i, flips[f]);
			if (verify(NULL, bad, ev_n, NULL, 0, 0, NULL, NULL) != OE_VERIFY_FAILED)
				fail_msg("byte %zu ^ 0x%02x (no format, no nonce) was accepted", i,
				         flips[f]);
		}
	}
	/* One byte more. */
	memcpy(bad, ev, ev_n);
	bad[ev_n] = 0;
	assert_int_equal(verify(NULL, bad, ev_n + 1, NULL, 0, 0, NULL, NULL), OE_VERIFY_FAILED);
	free(bad);
	free(ev);
	oe_free_serialized_custom_claims(cc);
}

static void test_truncated(void **state)
{
	uint8_t *cc, *ev, *cut;
	size_t cc_n, ev_n;

	custom_claims(&cc, &cc_n);
	make_evidence(g_root, &test_id, &fmt_ecdsa, nonce_a, 32, cc, (uint32_t)cc_n, &ev, &ev_n);
	for (size_t n = 1; n < ev_n; n++) {
		/* A copy of exactly n bytes, so ASan sees any read past it. */
		cut = malloc(n);
		memcpy(cut, ev, n);
		if (verify(NULL, cut, n, NULL, 0, 0, NULL, NULL) != OE_VERIFY_FAILED)
			fail_msg("evidence cut to %zu of %zu bytes was not refused", n, ev_n);
		free(cut);
	}
	assert_int_equal(verify(NULL, ev, 0, NULL, 0, 0, NULL, NULL), OE_INVALID_PARAMETER);
	free(ev);
	oe_free_serialized_custom_claims(cc);
}

/* The verifier's nonce must be the evidence's report data. */
static void test_nonce_and_replay(void **state)
{
	uint8_t *ev, *ev_empty;
	size_t ev_n, ev_empty_n;

	make_evidence(g_root, &test_id, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev, &ev_n);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL), OE_OK);
	/* Wrong nonce / replay: evidence made for challenge A, shown to a
	 * verifier whose challenge is now B. */
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_b, 32, 0, NULL, NULL),
	                 OE_VERIFY_FAILED);
	/* A prefix of the right nonce is not the nonce. */
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 16, 0, NULL, NULL),
	                 OE_VERIFY_FAILED);
	/* Evidence without report data does not satisfy a nonce. */
	make_evidence(g_root, &test_id, &fmt_ecdsa, NULL, 0, NULL, 0, &ev_empty, &ev_empty_n);
	assert_int_equal(verify(&fmt_ecdsa, ev_empty, ev_empty_n, nonce_a, 32, 0, NULL, NULL),
	                 OE_VERIFY_FAILED);
	/* A nonce policy of 0 or more than 64 bytes is a caller's mistake. */
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 0, 0, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	free(ev);
	free(ev_empty);
}

static void test_debug_policy(void **state)
{
	te_rot_identity dbg = test_id;
	uint8_t *ev;
	size_t ev_n, k;
	oe_claim_t *c;

	dbg.debug = 1;
	make_evidence(g_root, &dbg, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev, &ev_n);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, &c, &k), OE_OK);
	assert_true(claim_u(c, k, OE_CLAIM_ATTRIBUTES, 8) & OE_EVIDENCE_ATTRIBUTES_SGX_DEBUG);
	oe_free_claims(c, k);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 1, NULL, NULL),
	                 OE_CONSTRAINT_FAILED);
	free(ev);
}

static void test_untrusted_and_developer_roots(void **state)
{
	uint8_t *ev, *ev_dev;
	size_t ev_n, ev_dev_n, k;
	oe_claim_t *c;

	/* Another device's root: a valid signature, an unknown chain. */
	make_evidence(g_other, &test_id, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev, &ev_n);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL),
	                 OE_VERIFY_FAILED);
	/* No roots at all. */
	te_verifier_clear_trusted_roots();
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL),
	                 OE_VERIFY_FAILED);
	trust(g_root);
	/* A developer root, refused until trusted on purpose; its evidence
	 * says so. */
	make_evidence(g_dev, &test_id, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev_dev, &ev_dev_n);
	assert_int_equal(verify(&fmt_ecdsa, ev_dev, ev_dev_n, nonce_a, 32, 0, NULL, NULL),
	                 OE_VERIFY_FAILED);
	trust(g_dev);
	assert_int_equal(verify(&fmt_ecdsa, ev_dev, ev_dev_n, nonce_a, 32, 0, &c, &k), OE_OK);
	assert_int_equal(claim_u(c, k, OE_CLAIM_TRUSTEDGE_DEVELOPER_ROOT, 1), 1);
	assert_int_equal(claim_u(c, k, OE_CLAIM_TRUSTEDGE_EMULATED, 1), 1);
	assert_true(claim_u(c, k, OE_CLAIM_ATTRIBUTES, 8) &
	            OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT);
	oe_free_claims(c, k);
	/* Trusting the developer root does not make the other one trusted. */
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL),
	                 OE_VERIFY_FAILED);
	/* Not a certificate. */
	assert_int_equal(te_verifier_add_trusted_root_pem("hello", 5), OE_INVALID_PARAMETER);
	free(ev);
	free(ev_dev);
}

static void test_formats(void **state)
{
	uint8_t b[64], *ev;
	size_t n, ev_n;
	oe_policy_t odd = {(oe_policy_type_t)99, NULL, 0};
	oe_claim_t *c = NULL;
	size_t k = 0;
	oe_uuid_t *ids = NULL;
	uint8_t *settings = NULL;
	size_t settings_n = 0;

	/* The root refuses formats it does not know. */
	n = evidence_body(b, &fmt_bogus, NULL, 0, NULL, 0);
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_EVIDENCE, b, n, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	n = evidence_body(b, &fmt_epid, NULL, 0, NULL, 0);
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_EVIDENCE, b, n, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	/* The verifier: unknown format id, evidence of another format than
	 * asked, an unknown policy. */
	make_evidence(g_root, &test_id, &fmt_local, NULL, 0, NULL, 0, &ev, &ev_n);
	assert_int_equal(verify(&fmt_bogus, ev, ev_n, NULL, 0, 0, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	assert_int_equal(verify(&fmt_epid, ev, ev_n, NULL, 0, 0, NULL, NULL), OE_INVALID_PARAMETER);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, NULL, 0, 0, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	assert_int_equal(verify(&fmt_local, ev, ev_n, NULL, 0, 0, NULL, NULL), OE_OK);
	assert_int_equal(oe_verify_evidence(NULL, ev, ev_n, NULL, 0, &odd, 1, &c, &k),
	                 OE_INVALID_PARAMETER);
	/* Format lists and settings. */
	assert_int_equal(oe_verifier_get_formats(&ids, &n), OE_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(ids[0].b, fmt_local.b, 16);
	oe_verifier_free_formats(ids);
	assert_int_equal(oe_verifier_get_format_settings(&fmt_local, &settings, &settings_n),
	                 OE_OK);
	assert_int_equal(settings_n, 32);
	oe_verifier_free_format_settings(settings);
	assert_int_equal(oe_verifier_get_format_settings(&fmt_ecdsa, &settings, &settings_n),
	                 OE_OK);
	assert_null(settings);
	assert_int_equal(settings_n, 0);
	assert_int_equal(oe_verifier_get_format_settings(&fmt_bogus, &settings, &settings_n),
	                 OE_NOT_FOUND);
	free(ev);
}

/* The request carries no identity: bytes that try are a malformed
 * request, and the identity in the evidence is the one the root was given. */
static void test_request_bounds(void **state)
{
	uint8_t b[256], rd[65] = {0}, *body = NULL, *ev;
	size_t n, body_n, ev_n;
	te_evidence parsed;
	uint32_t big = TE_EVIDENCE_CUSTOM_MAX + 1;

	n = evidence_body(b, &fmt_ecdsa, rd, 64, NULL, 0);
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_EVIDENCE, b, n, NULL, NULL), OE_OK);
	n = evidence_body(b, &fmt_ecdsa, rd, 65, NULL, 0);
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_EVIDENCE, b, n, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	/* A body with a forged identity after it. */
	n = evidence_body(b, &fmt_ecdsa, NULL, 0, NULL, 0);
	memset(b + n, 0x66, 32 + 32 + 4);
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_EVIDENCE, b, n + 68, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	/* Lengths that promise more than is there. */
	n = evidence_body(b, &fmt_ecdsa, NULL, 0, NULL, 0);
	put32(b + 20, 10);
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_EVIDENCE, b, n, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	put32(b + 20, big);
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_EVIDENCE, b, n, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(rot_request(g_root, &test_id, TE_ROT_EVIDENCE, b, cut, NULL, NULL),
		                 OE_INVALID_PARAMETER);
	/* Whatever the request, the identity is the caller's. */
	make_evidence(g_root, &test_id, &fmt_te, b, 64, NULL, 0, &ev, &ev_n);
	assert_int_equal(te_evidence_parse(ev, ev_n, &parsed), OE_OK);
	assert_memory_equal(parsed.claims.unique_id, test_id.unique_id, 32);
	assert_memory_equal(parsed.claims.signer_id, test_id.signer_id, 32);
	free(ev);
	/* Roots: no body, and only the CA (the trust anchor) comes back. */
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_ROOTS, b, 1, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	assert_int_equal(rot_request(g_root, &test_id, TE_ROT_ROOTS, NULL, 0, &body, &body_n),
	                 OE_OK);
	assert_int_equal(get32(body), body_n - 4);
	assert_int_equal(body_n - 4, strlen(te_test_root_ca_pem(g_root)));
	assert_memory_equal(body + 4, te_test_root_ca_pem(g_root), body_n - 4);
	free(body);
}

static void test_custom_claims_codec(void **state)
{
	uint8_t *cc, *bad;
	size_t cc_n, k;
	oe_claim_t *c = NULL;
	static char noname[] = "";
	oe_claim_t empty_name = {noname, NULL, 0};

	custom_claims(&cc, &cc_n);
	check_custom_claims(cc, cc_n);
	/* Every truncation fails, and nothing leaks. */
	for (size_t n = 0; n < cc_n; n++) {
		bad = malloc(n ? n : 1);
		memcpy(bad, cc, n);
		assert_int_not_equal(oe_deserialize_custom_claims(bad, n, &c, &k), OE_OK);
		free(bad);
	}
	/* A byte after the list. */
	bad = malloc(cc_n + 1);
	memcpy(bad, cc, cc_n);
	bad[cc_n] = 0;
	assert_int_equal(oe_deserialize_custom_claims(bad, cc_n + 1, &c, &k), OE_INVALID_PARAMETER);
	/* A name without its NUL (the first name, "event\0", is at 32). */
	memcpy(bad, cc, cc_n);
	bad[32 + 5] = 'X';
	assert_int_equal(oe_deserialize_custom_claims(bad, cc_n, &c, &k), OE_CONSTRAINT_FAILED);
	/* Version 2, and a count that cannot fit. */
	memcpy(bad, cc, cc_n);
	bad[0] = 2;
	assert_int_equal(oe_deserialize_custom_claims(bad, cc_n, &c, &k), OE_INVALID_PARAMETER);
	memcpy(bad, cc, cc_n);
	memset(bad + 8, 0xff, 8);
	assert_int_equal(oe_deserialize_custom_claims(bad, cc_n, &c, &k), OE_INVALID_PARAMETER);
	free(bad);
	oe_free_serialized_custom_claims(cc);
	/* The empty list. */
	assert_int_equal(oe_serialize_custom_claims(NULL, 0, &cc, &cc_n), OE_OK);
	assert_int_equal(cc_n, 16);
	assert_int_equal(oe_deserialize_custom_claims(cc, cc_n, &c, &k), OE_OK);
	assert_int_equal(k, 0);
	oe_free_custom_claims(c, k);
	oe_free_serialized_custom_claims(cc);
	assert_int_equal(oe_serialize_custom_claims(&empty_name, 1, &cc, &cc_n),
	                 OE_INVALID_PARAMETER);
}

/* TE_TEE_TRUSTED_ROOTS names a PEM file a host trusts. */
static void test_env_roots(void **state)
{
	char *dir = tu_tempdir("attest-env");
	char *path = tu_path(dir, "roots.pem");
	const char *pem = te_test_root_ca_pem(g_other);
	uint8_t *ev;
	size_t ev_n;

	make_evidence(g_other, &test_id, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev, &ev_n);
	assert_int_equal(tu_write_file(path, pem, strlen(pem)), 0);
	te_verifier_clear_trusted_roots();
	setenv("TE_TEE_TRUSTED_ROOTS", path, 1);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL), OE_OK);
	/* Read once: changing the variable changes nothing until a clear. */
	setenv("TE_TEE_TRUSTED_ROOTS", "/nonexistent/roots.pem", 1);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL), OE_OK);
	te_verifier_clear_trusted_roots();
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL), OE_NOT_FOUND);
	assert_non_null(strstr(oe_last_error_detail(), "TE_TEE_TRUSTED_ROOTS"));
	/* A file that is not PEM certificates. */
	assert_int_equal(tu_write_file(path, "junk\n", 5), 0);
	setenv("TE_TEE_TRUSTED_ROOTS", path, 1);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL),
	                 OE_INVALID_PARAMETER);
	unsetenv("TE_TEE_TRUSTED_ROOTS");
	te_verifier_clear_trusted_roots();
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, NULL, NULL),
	                 OE_VERIFY_FAILED);
	trust(g_root);
	free(ev);
	free(path);
	tu_rmtree(dir);
}

static void test_reports_host(void **state)
{
	uint8_t *ev, *local;
	size_t ev_n, local_n;
	oe_report_t rep;
	void *ti = NULL;
	size_t ti_n = 0;
	uint8_t *buf = NULL;
	size_t buf_n = 0;

	make_evidence(g_root, &test_id, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev, &ev_n);
	make_evidence(g_root, &test_id, &fmt_local, nonce_a, 32, NULL, 0, &local, &local_n);
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(oe_parse_report(ev, ev_n, &rep), OE_OK);
	assert_int_equal(rep.size, sizeof(rep));
	assert_int_equal(rep.type, OE_ENCLAVE_TYPE_SGX);
	assert_int_equal(rep.report_data_size, 32);
	assert_memory_equal(rep.report_data, nonce_a, 32);
	assert_ptr_equal(rep.enclave_report, ev);
	assert_int_equal(rep.identity.security_version, 7);
	assert_int_equal(rep.identity.product_id[0], 0x34);
	assert_memory_equal(rep.identity.signer_id, test_id.signer_id, 32);
	assert_int_equal(oe_parse_report(ev, ev_n - 1, &rep), OE_REPORT_PARSE_ERROR);
	/* A remote report verifies against the trusted roots. */
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(oe_verify_report(NULL, ev, ev_n, &rep), OE_OK);
	assert_true(rep.identity.attributes & OE_REPORT_ATTRIBUTES_REMOTE);
	assert_true(rep.identity.attributes & OE_REPORT_ATTRIBUTES_TRUSTEDGE_EMULATED);
	ev[ev_n / 2] ^= 1;
	assert_int_equal(oe_verify_report(NULL, ev, ev_n, NULL), OE_VERIFY_FAILED);
	/* A local one needs an enclave. */
	assert_int_equal(oe_verify_report(NULL, local, local_n, NULL), OE_INVALID_PARAMETER);
	assert_int_equal(oe_get_target_info(local, local_n, &ti, &ti_n), OE_OK);
	assert_int_equal(ti_n, 32);
	assert_memory_equal(ti, test_id.unique_id, 32);
	oe_free_target_info(ti);
	assert_int_equal(oe_get_report(NULL, 0, NULL, 0, &buf, &buf_n), OE_INVALID_PARAMETER);
	free(ev);
	free(local);
}

/* --- attest.ta: real TA processes ------------------------------------------ */

enum {
	E_EVIDENCE,
	E_EVIDENCE_SELF,
	E_VERIFY,
	E_REPORT,
	E_VERIFY_REPORT,
	E_ROT_RAW,
	E_SELECT,
	E_SETTINGS,
	E_DESERIALIZE,
	E_COUNT
};

static const oe_ecall_info_t ecall_names[E_COUNT] = {
    {"evidence"}, {"evidence_self"}, {"verify"},   {"report"},      {"verify_report"},
    {"rot_raw"},  {"select"},        {"settings"}, {"deserialize"},
};

static void o_write(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	*w = 0;
}

static const oe_ocall_func_t ocalls[] = {o_write};

static oe_enclave_t *create(const char *path, uint32_t flags)
{
	oe_enclave_t *e = NULL;
	oe_result_t r = oe_create_enclave(path, OE_ENCLAVE_TYPE_AUTO, flags, NULL, 0, ocalls, 1,
	                                  ecall_names, E_COUNT, &e);

	if (r != OE_OK)
		fail_msg("oe_create_enclave(%s): %s: %s", path, oe_result_str(r),
		         oe_last_error_detail());
	return e;
}

static uint8_t g_out[128 * 1024];

/* One ECALL; returns the TA's result, and its data in g_out + 4. */
static oe_result_t ecall(oe_enclave_t *e, uint32_t fn, const void *in, size_t n, size_t *data_n)
{
	size_t w = 0;
	oe_result_t r = oe_call_enclave_function(e, fn, in, n, g_out, sizeof(g_out), &w);

	if (r != OE_OK)
		fail_msg("ECALL %s: %s: %s", ecall_names[fn].name, oe_result_str(r),
		         oe_last_error_detail());
	assert_true(w >= 4);
	if (data_n)
		*data_n = w - 4;
	return (oe_result_t)get32(g_out);
}

/* Evidence from TA e: format, report data, custom claims. */
static oe_result_t ta_evidence(oe_enclave_t *e, uint32_t fn, const oe_uuid_t *fmt, const void *rd,
                               uint32_t rd_n, const void *cc, size_t cc_n, uint8_t **ev,
                               size_t *ev_n)
{
	uint8_t *in = malloc(20 + rd_n + cc_n);
	size_t n = 0;
	oe_result_t r;

	memcpy(in, fmt->b, 16);
	put32(in + 16, rd_n);
	if (rd_n)
		memcpy(in + 20, rd, rd_n);
	if (cc_n)
		memcpy(in + 20 + rd_n, cc, cc_n);
	r = ecall(e, fn, in, 20 + rd_n + cc_n, &n);
	free(in);
	*ev = NULL;
	*ev_n = 0;
	if (r != OE_OK)
		return r;
	*ev = malloc(n);
	memcpy(*ev, g_out + 4, n);
	*ev_n = n;
	return OE_OK;
}

/* Verification inside TA e; flags as attest_ta.c's verify. */
static oe_result_t ta_verify(oe_enclave_t *e, uint32_t flags, const oe_uuid_t *fmt, const void *rd,
                             uint32_t rd_n, const uint8_t *ev, size_t ev_n)
{
	uint8_t *in = malloc(24 + rd_n + ev_n);
	oe_result_t r;

	put32(in, flags);
	memcpy(in + 4, fmt->b, 16);
	put32(in + 20, rd_n);
	if (rd_n)
		memcpy(in + 24, rd, rd_n);
	memcpy(in + 24 + rd_n, ev, ev_n);
	r = ecall(e, E_VERIFY, in, 24 + rd_n + ev_n, NULL);
	free(in);
	return r;
}

/* A claim from the TA's flattened list in g_out. */
static const uint8_t *ta_claim(const char *name, size_t *size)
{
	const uint8_t *p = g_out + 4;
	uint32_t k = get32(p);

	p += 4;
	for (uint32_t i = 0; i < k; i++) {
		uint32_t nl = get32(p), vl;

		vl = get32(p + 4 + nl);
		if (nl == strlen(name) && memcmp(p + 4, name, nl) == 0) {
			*size = vl;
			return p + 8 + nl;
		}
		p += 8 + nl + vl;
	}
	return NULL;
}

static void load_image(const char *path, te_tee_image *img)
{
	memset(img, 0, sizeof(*img));
	assert_int_equal(te_tee_image_load(path, img), OE_OK);
}

static void check_identity(const oe_claim_t *c, size_t k, const te_tee_image *img)
{
	uint8_t product[16] = {0};

	product[0] = (uint8_t)img->props.product_id;
	product[1] = (uint8_t)(img->props.product_id >> 8);
	claim_bytes(c, k, OE_CLAIM_UNIQUE_ID, img->unique_id, 32);
	claim_bytes(c, k, OE_CLAIM_SIGNER_ID, img->signer_id, 32);
	claim_bytes(c, k, OE_CLAIM_PRODUCT_ID, product, 16);
	assert_int_equal(claim_u(c, k, OE_CLAIM_SECURITY_VERSION, 4), img->props.security_version);
}

static void test_ta_roundtrip(void **state)
{
	oe_enclave_t *a = create(TA_A, 0);
	te_tee_image img;
	uint8_t *cc, *ev;
	size_t cc_n, ev_n, k;
	oe_claim_t *c, *cl;
	size_t cl_n;
	const oe_claim_t *cb;

	load_image(TA_A, &img);
	custom_claims(&cc, &cc_n);
	assert_int_equal(ta_evidence(a, E_EVIDENCE, &fmt_ecdsa, nonce_a, 32, cc, cc_n, &ev, &ev_n),
	                 OE_OK);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 1, &c, &k), OE_OK);
	check_identity(c, k, &img);
	assert_int_equal(img.props.product_id, 1);
	assert_int_equal(claim_u(c, k, OE_CLAIM_ATTRIBUTES, 8),
	                 OE_EVIDENCE_ATTRIBUTES_SGX_REMOTE |
	                     OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_EMULATED);
	assert_int_equal(claim_u(c, k, OE_CLAIM_TRUSTEDGE_EMULATED, 1), 1);
	cb = find_claim(c, k, OE_CLAIM_CUSTOM_CLAIMS_BUFFER);
	assert_non_null(cb);
	assert_memory_equal(cb->value, cc, cc_n);
	check_custom_claims(cb->value, cb->value_size);
	oe_free_claims(c, k);
	free(ev);
	/* Custom claims the TA serializes itself. */
	assert_int_equal(
	    ta_evidence(a, E_EVIDENCE_SELF, &fmt_te, nonce_b, 32, "pubkey", 6, &ev, &ev_n), OE_OK);
	assert_int_equal(verify(&fmt_te, ev, ev_n, nonce_b, 32, 0, &c, &k), OE_OK);
	cb = find_claim(c, k, OE_CLAIM_CUSTOM_CLAIMS_BUFFER);
	assert_non_null(cb);
	assert_int_equal(oe_deserialize_custom_claims(cb->value, cb->value_size, &cl, &cl_n),
	                 OE_OK);
	assert_int_equal(cl_n, 2);
	assert_string_equal(cl[0].name, "ta");
	assert_string_equal((char *)cl[0].value, "attest_ta");
	assert_string_equal(cl[1].name, "value");
	assert_int_equal(cl[1].value_size, 6);
	assert_memory_equal(cl[1].value, "pubkey", 6);
	oe_free_custom_claims(cl, cl_n);
	oe_free_claims(c, k);
	/* The TA deserializes the host's buffer as well. */
	assert_int_equal(ecall(a, E_DESERIALIZE, cc, cc_n, NULL), OE_OK);
	assert_int_equal(get32(g_out + 4), 2);
	assert_int_not_equal(ecall(a, E_DESERIALIZE, cc, cc_n - 1, NULL), OE_OK);
	free(ev);
	oe_free_serialized_custom_claims(cc);
	te_tee_image_free(&img);
	assert_int_equal(oe_terminate_enclave(a), OE_OK);
}

/* A TA verifies evidence handed to it, with its platform's own roots. */
static void test_ta_verifies(void **state)
{
	oe_enclave_t *a = create(TA_A, 0), *b = create(TA_B, 0);
	te_tee_image img_b;
	uint8_t *ev, *other;
	size_t ev_n, other_n, sz;
	const uint8_t *v;

	load_image(TA_B, &img_b);
	assert_int_equal(ta_evidence(b, E_EVIDENCE, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev, &ev_n),
	                 OE_OK);
	assert_int_equal(ta_verify(a, 1 | 2 | 4, &fmt_ecdsa, nonce_a, 32, ev, ev_n), OE_OK);
	v = ta_claim(OE_CLAIM_UNIQUE_ID, &sz);
	assert_non_null(v);
	assert_int_equal(sz, 32);
	assert_memory_equal(v, img_b.unique_id, 32);
	v = ta_claim(OE_CLAIM_SIGNER_ID, &sz);
	assert_memory_equal(v, img_b.signer_id, 32);
	v = ta_claim(OE_CLAIM_SECURITY_VERSION, &sz);
	assert_int_equal(get32(v), 3);
	v = ta_claim(OE_CLAIM_TRUSTEDGE_EMULATED, &sz);
	assert_int_equal(sz, 1);
	assert_int_equal(v[0], 1);
	/* Refusals inside the TA. */
	assert_int_equal(ta_verify(a, 1 | 2, &fmt_ecdsa, nonce_b, 32, ev, ev_n), OE_VERIFY_FAILED);
	assert_int_equal(ta_verify(a, 1, &fmt_local, NULL, 0, ev, ev_n), OE_INVALID_PARAMETER);
	ev[ev_n - 10] ^= 0x20;
	assert_int_equal(ta_verify(a, 0, &fmt_ecdsa, NULL, 0, ev, ev_n), OE_VERIFY_FAILED);
	assert_int_equal(ta_verify(a, 0, &fmt_ecdsa, NULL, 0, ev, 100), OE_VERIFY_FAILED);
	/* Evidence of another device: not this platform's root. */
	make_evidence(g_other, &test_id, &fmt_ecdsa, NULL, 0, NULL, 0, &other, &other_n);
	assert_int_equal(ta_verify(a, 0, &fmt_ecdsa, NULL, 0, other, other_n), OE_VERIFY_FAILED);
	free(other);
	free(ev);
	te_tee_image_free(&img_b);
	assert_int_equal(oe_terminate_enclave(a), OE_OK);
	assert_int_equal(oe_terminate_enclave(b), OE_OK);
}

/* One TA attests to another with the local format and the verifier's
 * challenge (its format settings). */
static void attest_locally(oe_enclave_t *attester, oe_enclave_t *verifier, const char *path)
{
	uint8_t challenge[64], *ev;
	size_t challenge_n, ev_n, sz;
	te_tee_image img;
	const uint8_t *v;
	uint64_t attributes;

	load_image(path, &img);
	assert_int_equal(ecall(verifier, E_SETTINGS, fmt_local.b, 16, &challenge_n), OE_OK);
	assert_int_equal(challenge_n, 32);
	memcpy(challenge, g_out + 4, challenge_n);
	assert_int_equal(ta_evidence(attester, E_EVIDENCE, &fmt_local, challenge,
	                             (uint32_t)challenge_n, NULL, 0, &ev, &ev_n),
	                 OE_OK);
	assert_int_equal(
	    ta_verify(verifier, 1 | 2 | 4, &fmt_local, challenge, (uint32_t)challenge_n, ev, ev_n),
	    OE_OK);
	v = ta_claim(OE_CLAIM_UNIQUE_ID, &sz);
	assert_memory_equal(v, img.unique_id, 32);
	v = ta_claim(OE_CLAIM_ATTRIBUTES, &sz);
	assert_int_equal(sz, 8);
	memcpy(&attributes, v, 8);
	assert_int_equal(attributes, OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_EMULATED);
	/* A new challenge: the old evidence is a replay. */
	assert_int_equal(ecall(verifier, E_SETTINGS, fmt_local.b, 16, &challenge_n), OE_OK);
	assert_int_equal(
	    ta_verify(verifier, 1 | 2, &fmt_local, g_out + 4, (uint32_t)challenge_n, ev, ev_n),
	    OE_VERIFY_FAILED);
	free(ev);
	te_tee_image_free(&img);
}

static void test_ta_local_attestation(void **state)
{
	oe_enclave_t *a = create(TA_A, 0), *b = create(TA_B, 0);

	attest_locally(a, b, TA_A);
	attest_locally(b, a, TA_B);
	assert_int_equal(oe_terminate_enclave(a), OE_OK);
	assert_int_equal(oe_terminate_enclave(b), OE_OK);
}

static void test_ta_debug(void **state)
{
	oe_enclave_t *d = create(TA_DEBUG, OE_ENCLAVE_FLAG_DEBUG);
	oe_enclave_t *p = create(TA_DEBUG, 0); /* may debug, does not */
	uint8_t *ev;
	size_t ev_n, k;
	oe_claim_t *c;

	assert_int_equal(ta_evidence(d, E_EVIDENCE, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev, &ev_n),
	                 OE_OK);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 0, &c, &k), OE_OK);
	assert_true(claim_u(c, k, OE_CLAIM_ATTRIBUTES, 8) & OE_EVIDENCE_ATTRIBUTES_SGX_DEBUG);
	oe_free_claims(c, k);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 1, NULL, NULL),
	                 OE_CONSTRAINT_FAILED);
	free(ev);
	assert_int_equal(ta_evidence(p, E_EVIDENCE, &fmt_ecdsa, nonce_a, 32, NULL, 0, &ev, &ev_n),
	                 OE_OK);
	assert_int_equal(verify(&fmt_ecdsa, ev, ev_n, nonce_a, 32, 1, NULL, NULL), OE_OK);
	free(ev);
	assert_int_equal(oe_terminate_enclave(d), OE_OK);
	assert_int_equal(oe_terminate_enclave(p), OE_OK);
}

/* What a host, or a TA it controls the input of, cannot make the root say. */
static void test_ta_identity(void **state)
{
	oe_enclave_t *a = create(TA_A, 0), *b = create(TA_B, 0);
	te_tee_image img_a, img_b;
	uint8_t raw[4 + 256], *ev, rd[65] = {0};
	size_t n, ev_n;
	te_evidence parsed;
	uint8_t *rep = NULL;
	size_t rep_n = 0;

	load_image(TA_A, &img_a);
	load_image(TA_B, &img_b);
	assert_memory_not_equal(img_a.signer_id, img_b.signer_id, 32);
	/* A request with B's identity appended, sent from A. */
	put32(raw, TE_ROT_EVIDENCE);
	n = evidence_body(raw + 4, &fmt_ecdsa, NULL, 0, NULL, 0);
	memcpy(raw + 4 + n, img_b.unique_id, 32);
	memcpy(raw + 4 + n + 32, img_b.signer_id, 32);
	assert_int_equal(ecall(a, E_ROT_RAW, raw, 4 + n + 64, NULL), OE_INVALID_PARAMETER);
	/* Unknown format, report data over 64 bytes, roots with a body. */
	n = evidence_body(raw + 4, &fmt_bogus, NULL, 0, NULL, 0);
	assert_int_equal(ecall(a, E_ROT_RAW, raw, 4 + n, NULL), OE_INVALID_PARAMETER);
	n = evidence_body(raw + 4, &fmt_ecdsa, rd, 65, NULL, 0);
	assert_int_equal(ecall(a, E_ROT_RAW, raw, 4 + n, NULL), OE_INVALID_PARAMETER);
	put32(raw, TE_ROT_ROOTS);
	assert_int_equal(ecall(a, E_ROT_RAW, raw, 5, NULL), OE_INVALID_PARAMETER);
	put32(raw, 999);
	assert_int_equal(ecall(a, E_ROT_RAW, raw, 4, NULL), OE_INVALID_PARAMETER);
	/* Through the API: unknown and EPID formats, report data too long. */
	assert_int_equal(ta_evidence(a, E_EVIDENCE, &fmt_bogus, NULL, 0, NULL, 0, &ev, &ev_n),
	                 OE_NOT_FOUND);
	assert_int_equal(ta_evidence(a, E_EVIDENCE, &fmt_epid, NULL, 0, NULL, 0, &ev, &ev_n),
	                 OE_NOT_FOUND);
	assert_int_equal(ta_evidence(a, E_EVIDENCE, &fmt_ecdsa, rd, 65, NULL, 0, &ev, &ev_n),
	                 OE_INVALID_PARAMETER);
	/* Each TA's evidence names its own image, whatever it asks. */
	assert_int_equal(
	    ta_evidence(a, E_EVIDENCE, &fmt_te, img_b.unique_id, 32, NULL, 0, &ev, &ev_n), OE_OK);
	assert_int_equal(te_evidence_parse(ev, ev_n, &parsed), OE_OK);
	assert_memory_equal(parsed.claims.unique_id, img_a.unique_id, 32);
	assert_memory_equal(parsed.claims.signer_id, img_a.signer_id, 32);
	free(ev);
	assert_int_equal(ta_evidence(b, E_EVIDENCE, &fmt_te, NULL, 0, NULL, 0, &ev, &ev_n), OE_OK);
	assert_int_equal(te_evidence_parse(ev, ev_n, &parsed), OE_OK);
	assert_memory_equal(parsed.claims.unique_id, img_b.unique_id, 32);
	assert_memory_equal(parsed.claims.signer_id, img_b.signer_id, 32);
	assert_int_equal(parsed.claims.product_id[0], 2);
	assert_int_equal(parsed.claims.security_version, 3);
	free(ev);
	/* The host has no call that makes a report or evidence itself. */
	assert_int_equal(oe_get_report(a, 0, NULL, 0, &rep, &rep_n), OE_UNSUPPORTED);
	assert_null(rep);
	te_tee_image_free(&img_a);
	te_tee_image_free(&img_b);
	assert_int_equal(oe_terminate_enclave(a), OE_OK);
	assert_int_equal(oe_terminate_enclave(b), OE_OK);
}

static void test_ta_reports(void **state)
{
	oe_enclave_t *a = create(TA_A, 0), *b = create(TA_B, 0);
	te_tee_image img_a;
	uint8_t in[4 + 64], *rep;
	size_t n, rep_n;
	oe_report_t parsed;
	oe_identity_t id;

	load_image(TA_A, &img_a);
	/* A local report of A, verified by B (in its TA) and by the host with
	 * an enclave of this host. */
	put32(in, 0);
	memcpy(in + 4, nonce_a, 32);
	assert_int_equal(ecall(a, E_REPORT, in, 4 + 32, &n), OE_OK);
	rep_n = n;
	rep = malloc(rep_n);
	memcpy(rep, g_out + 4, rep_n);
	assert_true(rep_n <= OE_MAX_REPORT_SIZE);
	assert_int_equal(ecall(b, E_VERIFY_REPORT, rep, rep_n, &n), OE_OK);
	memcpy(&id, g_out + 4, sizeof(id));
	assert_memory_equal(id.unique_id, img_a.unique_id, 32);
	assert_int_equal(id.attributes, OE_REPORT_ATTRIBUTES_TRUSTEDGE_EMULATED);
	assert_int_equal(get32(g_out + 4 + sizeof(id)), 32);
	assert_memory_equal(g_out + 8 + sizeof(id), nonce_a, 32);
	assert_int_equal(oe_verify_report(b, rep, rep_n, &parsed), OE_OK);
	assert_memory_equal(parsed.identity.signer_id, img_a.signer_id, 32);
	assert_int_equal(oe_verify_report(NULL, rep, rep_n, &parsed), OE_INVALID_PARAMETER);
	rep[20] ^= 1;
	assert_int_equal(oe_verify_report(b, rep, rep_n, &parsed), OE_VERIFY_FAILED);
	assert_int_not_equal(ecall(b, E_VERIFY_REPORT, rep, rep_n, NULL), OE_OK);
	free(rep);
	/* A remote report: verified by a host that trusts the root. */
	put32(in, OE_REPORT_FLAGS_REMOTE_ATTESTATION);
	assert_int_equal(ecall(a, E_REPORT, in, 4, &n), OE_OK);
	assert_int_equal(oe_verify_report(NULL, g_out + 4, n, &parsed), OE_OK);
	assert_true(parsed.identity.attributes & OE_REPORT_ATTRIBUTES_REMOTE);
	assert_int_equal(parsed.report_data_size, 0);
	te_verifier_clear_trusted_roots();
	assert_int_equal(oe_verify_report(NULL, g_out + 4, n, &parsed), OE_VERIFY_FAILED);
	trust(g_root);
	/* Format selection in the TA. */
	{
		uint8_t list[48];

		memcpy(list, fmt_epid.b, 16);
		memcpy(list + 16, fmt_bogus.b, 16);
		memcpy(list + 32, fmt_local.b, 16);
		assert_int_equal(ecall(a, E_SELECT, list, 48, &n), OE_OK);
		assert_memory_equal(g_out + 4, fmt_local.b, 16);
		assert_int_equal(ecall(a, E_SELECT, list, 32, &n), OE_NOT_FOUND);
	}
	te_tee_image_free(&img_a);
	assert_int_equal(oe_terminate_enclave(a), OE_OK);
	assert_int_equal(oe_terminate_enclave(b), OE_OK);
}

/* --- export (attest.cli) ---------------------------------------------------- */

static int write_or_die(const char *dir, const char *name, const void *data, size_t n)
{
	char *path = tu_path(dir, name);
	int rc = tu_write_file(path, data, n);

	if (rc != 0)
		fprintf(stderr, "cannot write %s\n", path);
	free(path);
	return rc;
}

/* Evidence from real TAs and the roots to check it with, as files:
 * root.pem other_root.pem nonce.hex evidence.bin (ECDSA, nonce, custom
 * claims) evidence_debug.bin evidence_local.bin (no nonce). */
static int export_files(const char *dir)
{
	oe_enclave_t *a, *d;
	uint8_t nonce[32], *ev, *cc;
	size_t ev_n, cc_n;
	char hex[65];
	int rc = 0;

	for (int i = 0; i < 32; i++) {
		nonce[i] = (uint8_t)(0xa0 + i);
		snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
	}
	if (oe_create_enclave(TA_A, OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0, ocalls, 1, ecall_names,
	                      E_COUNT, &a) != OE_OK ||
	    oe_create_enclave(TA_DEBUG, OE_ENCLAVE_TYPE_AUTO, OE_ENCLAVE_FLAG_DEBUG, NULL, 0,
	                      ocalls, 1, ecall_names, E_COUNT, &d) != OE_OK) {
		fprintf(stderr, "cannot create the TAs: %s\n", oe_last_error_detail());
		return 1;
	}
	custom_claims(&cc, &cc_n);
	rc |= write_or_die(dir, "root.pem", te_test_root_ca_pem(g_root),
	                   strlen(te_test_root_ca_pem(g_root)));
	rc |= write_or_die(dir, "other_root.pem", te_test_root_ca_pem(g_other),
	                   strlen(te_test_root_ca_pem(g_other)));
	rc |= write_or_die(dir, "nonce.hex", hex, 64);
	rc |= ta_evidence(a, E_EVIDENCE, &fmt_ecdsa, nonce, 32, cc, cc_n, &ev, &ev_n) != OE_OK;
	rc |= write_or_die(dir, "evidence.bin", ev, ev_n);
	free(ev);
	rc |= ta_evidence(d, E_EVIDENCE, &fmt_ecdsa, nonce, 32, NULL, 0, &ev, &ev_n) != OE_OK;
	rc |= write_or_die(dir, "evidence_debug.bin", ev, ev_n);
	free(ev);
	rc |= ta_evidence(a, E_EVIDENCE, &fmt_local, NULL, 0, NULL, 0, &ev, &ev_n) != OE_OK;
	rc |= write_or_die(dir, "evidence_local.bin", ev, ev_n);
	free(ev);
	oe_free_serialized_custom_claims(cc);
	oe_terminate_enclave(a);
	oe_terminate_enclave(d);
	return rc;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest unit[] = {
	    cmocka_unit_test_setup_teardown(test_roundtrip, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_altered_byte, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_truncated, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_nonce_and_replay, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_debug_policy, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_untrusted_and_developer_roots, unit_setup,
	                                    unit_teardown),
	    cmocka_unit_test_setup_teardown(test_formats, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_request_bounds, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_custom_claims_codec, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_env_roots, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_reports_host, unit_setup, unit_teardown),
	};
	const struct CMUnitTest ta[] = {
	    cmocka_unit_test_setup_teardown(test_ta_roundtrip, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_ta_verifies, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_ta_local_attestation, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_ta_debug, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_ta_identity, unit_setup, unit_teardown),
	    cmocka_unit_test_setup_teardown(test_ta_reports, unit_setup, unit_teardown),
	};
	int rc = 2;

	g_root = te_test_root_new(0, "trustedge test device root");
	g_other = te_test_root_new(0, "another device root");
	g_dev = te_test_root_new(1, "trustedge developer root (test)");
	if (!g_root || !g_other || !g_dev) {
		fprintf(stderr, "cannot make the test roots\n");
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "unit") == 0)
		rc = cmocka_run_group_tests_name("attest.unit", unit, NULL, NULL);
	else if (argc == 2 && strcmp(argv[1], "ta") == 0)
		rc = cmocka_run_group_tests_name("attest.ta", ta, NULL, NULL);
	else if (argc == 3 && strcmp(argv[1], "export") == 0)
		rc = export_files(argv[2]);
	else
		fprintf(stderr, "usage: %s unit | ta | export DIR\n", argv[0]);
	te_test_root_free(g_root);
	te_test_root_free(g_other);
	te_test_root_free(g_dev);
	return rc;
}
