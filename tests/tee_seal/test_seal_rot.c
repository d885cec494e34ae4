/*
 * test_seal_rot.c - the root-of-trust side of sealing, without TAs:
 *
 *   seal.rot_derive  te_rot_do_seal_key: the same inputs give the same key,
 *                    each bound field (policy, unique id, signer, product,
 *                    the key's svn, key id, debug) changes it, fields a
 *                    policy does not bind do not; svn rules; malformed
 *                    request bodies refused
 *   seal.rot_serve   te_rot_serve answers malformed SEAL_KEY datagrams with
 *                    an error reply (same id, no body) and never a key
 *   seal.dev_root    the developer root: files and modes, certificates,
 *                    signing, persistence, directory resolution, and
 *                    refusal of directories and files others may change
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <openenclave/bits/types.h>

#include "testutil.h"
#include "tee/detail.h"
#include "tee/rot/rot_int.h"
#include "tee/seal_blob.h"

#define KI_SIZE TE_SEAL_KEY_INFO_SIZE

static char *root_dir;
static te_rot *root;

static int setup(void **state)
{
	root_dir = tu_tempdir("seal-rot");
	return te_rot_dev_open(root_dir, &root) == OE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	te_rot_close(root);
	root = NULL;
	tu_rmtree(root_dir);
	root_dir = NULL;
	return 0;
}

static te_rot_identity base_id(void)
{
	te_rot_identity id;

	memset(&id, 0, sizeof(id));
	memset(id.unique_id, 0x11, sizeof(id.unique_id));
	memset(id.signer_id, 0x22, sizeof(id.signer_id));
	id.product_id = 7;
	id.security_version = 3;
	return id;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* One SEAL_KEY request through te_rot_do_seal_key.  key_info may be NULL
 * (a new key); ki_out (KI_SIZE bytes) may be NULL. */
static oe_result_t seal_key(const te_rot_identity *id, uint32_t policy, const uint8_t *ki,
                            size_t ki_n, uint8_t key[32], uint8_t *ki_out)
{
	uint8_t body[8 + 256], out[256];
	size_t out_n = 0;
	oe_result_t r;

	put32(body, policy);
	put32(body + 4, (uint32_t)ki_n);
	if (ki_n)
		memcpy(body + 8, ki, ki_n);
	r = te_rot_do_seal_key(root, id, body, 8 + ki_n, out, sizeof(out), &out_n);
	if (r != OE_OK)
		return r;
	assert_int_equal(out_n, 32 + 4 + KI_SIZE);
	assert_int_equal(out[32], KI_SIZE);
	memcpy(key, out, 32);
	if (ki_out)
		memcpy(ki_out, out + 36, KI_SIZE);
	return OE_OK;
}

/* The key that ki names, for identity id (which must be allowed it). */
static void rederive(const te_rot_identity *id, const uint8_t *ki, uint8_t key[32])
{
	uint32_t policy = (uint32_t)ki[4] | (uint32_t)ki[5] << 8;

	assert_int_equal(seal_key(id, policy, ki, KI_SIZE, key, NULL), OE_OK);
}

static void assert_same(const te_rot_identity *id, const uint8_t *ki, const uint8_t *key)
{
	uint8_t k[32];

	rederive(id, ki, k);
	assert_memory_equal(k, key, 32);
}

static void assert_differs(const te_rot_identity *id, const uint8_t *ki, const uint8_t *key)
{
	uint8_t k[32];

	rederive(id, ki, k);
	assert_memory_not_equal(k, key, 32);
}

/* --- seal.rot_derive -------------------------------------------------------- */

static void test_unique_binding(void **state)
{
	te_rot_identity id = base_id(), v;
	uint8_t key[32], key2[32], ki[KI_SIZE], ki2[KI_SIZE], kx[KI_SIZE];

	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_UNIQUE, NULL, 0, key, ki), OE_OK);
	/* key_info: version 1, policy UNIQUE, no svn, reserved 0, key id */
	assert_int_equal(ki[0], 1);
	assert_int_equal(ki[4], OE_SEAL_POLICY_UNIQUE);
	assert_int_equal(ki[8] | ki[9] << 8, 0);
	assert_same(&id, ki, key);
	/* a new key has a new key id, so it is another key */
	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_UNIQUE, NULL, 0, key2, ki2), OE_OK);
	assert_memory_not_equal(ki + 12, ki2 + 12, 16);
	assert_memory_not_equal(key, key2, 32);

	v = id;
	v.unique_id[31] ^= 1;
	assert_differs(&v, ki, key);
	v = id;
	v.debug = 1;
	assert_differs(&v, ki, key);
	memcpy(kx, ki, KI_SIZE);
	kx[12 + 15] ^= 0x80; /* key id */
	assert_differs(&id, kx, key);
	/* UNIQUE binds the measurement only */
	v = id;
	v.signer_id[0] ^= 1;
	v.product_id = 9;
	v.security_version = 1;
	assert_same(&v, ki, key);
}

static void test_product_binding(void **state)
{
	te_rot_identity id = base_id(), v;
	uint8_t key[32], k[32], ki[KI_SIZE], kx[KI_SIZE];

	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_PRODUCT, NULL, 0, key, ki), OE_OK);
	assert_int_equal(ki[4], OE_SEAL_POLICY_PRODUCT);
	assert_int_equal(ki[8] | ki[9] << 8, 3); /* bound to the TA's current svn */
	assert_same(&id, ki, key);

	v = id;
	v.signer_id[5] ^= 1;
	assert_differs(&v, ki, key);
	v = id;
	v.product_id = 8;
	assert_differs(&v, ki, key);
	v = id;
	v.debug = 1;
	assert_differs(&v, ki, key);
	memcpy(kx, ki, KI_SIZE);
	kx[12] ^= 1; /* key id */
	assert_differs(&id, kx, key);
	memcpy(kx, ki, KI_SIZE);
	kx[8] = 2; /* an older svn: allowed, and another key */
	assert_differs(&id, kx, key);
	/* the same key_info under UNIQUE is another key too */
	memcpy(kx, ki, KI_SIZE);
	kx[4] = OE_SEAL_POLICY_UNIQUE;
	kx[8] = 0;
	assert_differs(&id, kx, key);

	/* PRODUCT does not bind the measurement */
	v = id;
	v.unique_id[0] ^= 1;
	assert_same(&v, ki, key);
	/* a later version of the product gets the same key... */
	v = id;
	v.security_version = 4;
	assert_same(&v, ki, key);
	/* ...an earlier one does not get it at all */
	v = id;
	v.security_version = 2;
	assert_int_equal(seal_key(&v, OE_SEAL_POLICY_PRODUCT, ki, KI_SIZE, k, NULL),
	                 OE_INVALID_ISVSVN);
	/* and a new key at svn 4 is bound to svn 4 */
	v.security_version = 4;
	assert_int_equal(seal_key(&v, OE_SEAL_POLICY_PRODUCT, NULL, 0, k, kx), OE_OK);
	assert_int_equal(kx[8], 4);
}

static void test_request_checks(void **state)
{
	te_rot_identity id = base_id();
	uint8_t key[32], ki[KI_SIZE], kx[KI_SIZE], body[64], out[128];
	size_t n = 0;

	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_PRODUCT, NULL, 0, key, ki), OE_OK);
	/* policy of the request and of the key_info must agree */
	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_UNIQUE, ki, KI_SIZE, key, NULL),
	                 OE_INVALID_PARAMETER);
	for (uint32_t p = 0; p < 5; p++)
		if (p != OE_SEAL_POLICY_UNIQUE && p != OE_SEAL_POLICY_PRODUCT)
			assert_int_equal(seal_key(&id, p, NULL, 0, key, NULL),
			                 OE_INVALID_PARAMETER);
	/* key_info: wrong size, version, policy, reserved bytes, svn under UNIQUE */
	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_PRODUCT, ki, KI_SIZE - 1, key, NULL),
	                 OE_INVALID_PARAMETER);
	memcpy(kx, ki, KI_SIZE);
	kx[0] = 2;
	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_PRODUCT, kx, KI_SIZE, key, NULL),
	                 OE_INVALID_PARAMETER);
	memcpy(kx, ki, KI_SIZE);
	kx[10] = 1;
	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_PRODUCT, kx, KI_SIZE, key, NULL),
	                 OE_INVALID_PARAMETER);
	memcpy(kx, ki, KI_SIZE);
	kx[4] = 9;
	assert_int_equal(seal_key(&id, 9, kx, KI_SIZE, key, NULL), OE_INVALID_PARAMETER);
	memcpy(kx, ki, KI_SIZE);
	kx[4] = OE_SEAL_POLICY_UNIQUE; /* svn 3 under UNIQUE */
	assert_int_equal(seal_key(&id, OE_SEAL_POLICY_UNIQUE, kx, KI_SIZE, key, NULL),
	                 OE_INVALID_PARAMETER);

	/* framing: short body, size beyond the body, bytes after it */
	put32(body, OE_SEAL_POLICY_PRODUCT);
	put32(body + 4, 0);
	for (size_t len = 0; len < 8; len++)
		assert_int_equal(te_rot_do_seal_key(root, &id, body, len, out, sizeof(out), &n),
		                 OE_INVALID_PARAMETER);
	assert_int_equal(te_rot_do_seal_key(root, &id, body, 9, out, sizeof(out), &n),
	                 OE_INVALID_PARAMETER);
	put32(body + 4, 0xffffffffu);
	assert_int_equal(te_rot_do_seal_key(root, &id, body, sizeof(body), out, sizeof(out), &n),
	                 OE_INVALID_PARAMETER);
	put32(body + 4, 0);
	/* a reply that does not fit */
	assert_int_equal(te_rot_do_seal_key(root, &id, body, 8, out, 63, &n), OE_BUFFER_TOO_SMALL);
	/* no root */
	assert_int_equal(te_rot_do_seal_key(NULL, &id, body, 8, out, sizeof(out), &n),
	                 OE_SERVICE_UNAVAILABLE);
}

/* --- seal.rot_serve --------------------------------------------------------- */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Sends req; checks the reply's frame; returns its result. */
static oe_result_t serve(const uint8_t *req, size_t n, size_t *body_n)
{
	static uint8_t resp[TE_ROT_MSG_MAX];
	te_rot_identity id = base_id();
	size_t out = 0;
	oe_result_t r;

	memset(resp, 0xee, sizeof(resp));
	te_rot_serve(root, &id, req, n, resp, sizeof(resp), &out);
	assert_true(out >= 12);
	r = (oe_result_t)get32(resp + 8);
	if (n >= 8) {
		assert_int_equal(get32(resp), get32(req) | TE_ROT_REPLY);
		assert_int_equal(get32(resp + 4), get32(req + 4));
	}
	if (r != OE_OK) {
		/* an error carries no body, and no key bytes linger after it */
		assert_int_equal(out, 12);
		for (size_t i = 12; i < 12 + 64; i++)
			assert_true(resp[i] == 0 || resp[i] == 0xee);
	}
	*body_n = out - 12;
	return r;
}

static void test_serve_malformed(void **state)
{
	uint8_t req[8 + 8 + KI_SIZE + 16];
	size_t bn = 0;

	put32(req, TE_ROT_SEAL_KEY);
	put32(req + 4, 42);
	put32(req + 8, OE_SEAL_POLICY_PRODUCT);
	put32(req + 12, 0);
	/* the well-formed request, for contrast */
	assert_int_equal(serve(req, 16, &bn), OE_OK);
	assert_int_equal(bn, 32 + 4 + KI_SIZE);
	/* no body, short bodies, a trailing byte */
	for (size_t n = 0; n < 16; n++)
		assert_int_not_equal(serve(req, n, &bn), OE_OK);
	assert_int_equal(serve(req, 17, &bn), OE_INVALID_PARAMETER);
	/* key_info sizes that lie */
	put32(req + 12, KI_SIZE);
	assert_int_equal(serve(req, 16, &bn), OE_INVALID_PARAMETER);
	put32(req + 12, 0x7fffffffu);
	assert_int_equal(serve(req, sizeof(req), &bn), OE_INVALID_PARAMETER);
	/* a key_info of zeros */
	put32(req + 12, KI_SIZE);
	memset(req + 16, 0, KI_SIZE);
	assert_int_equal(serve(req, 16 + KI_SIZE, &bn), OE_INVALID_PARAMETER);
	/* garbage: never a key unless it happens to be well formed */
	for (int i = 0; i < 2000; i++) {
		uint8_t g[96];
		size_t n = (size_t)(i % (int)sizeof(g));

		assert_int_equal(RAND_bytes(g, sizeof(g)), 1);
		put32(g, TE_ROT_SEAL_KEY);
		if (i & 1)
			put32(g + 12, (uint32_t)(i % 40));
		if (serve(g, n, &bn) == OE_OK)
			assert_int_equal(bn, 32 + 4 + KI_SIZE);
	}
	/* an unknown type */
	put32(req, 99);
	assert_int_equal(serve(req, 16, &bn), OE_INVALID_PARAMETER);
}

/* --- seal.dev_root ---------------------------------------------------------- */

static mode_t mode_of(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	free(p);
	return st.st_mode & 0777;
}

static void derive_fixed(te_rot *rot, uint8_t out[32])
{
	static const uint8_t label[] = "a label";

	assert_int_equal(rot->ops->derive(rot, label, sizeof(label), out), OE_OK);
}

static void test_dev_files(void **state)
{
	static const char *const files[] = {"root.secret", "attest.key", "ca.crt", "attest.crt"};
	uint8_t *secret = NULL, sig[128], d1[32], d2[32];
	size_t n = 0, sig_n = sizeof(sig);
	char *p = tu_path(root_dir, "root.secret");
	BIO *b;
	X509 *leaf, *ca;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *vctx = X509_STORE_CTX_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char cn[128];
	te_rot *again = NULL;

	assert_string_equal(root->ops->name, "developer");
	assert_int_equal(root->ops->version, TE_ROT_OPS_VERSION);
	assert_true(root->flags & TE_ROT_FLAG_DEVELOPER);
	assert_int_equal(mode_of(root_dir, "."), 0700);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(mode_of(root_dir, files[i]), 0600);
	assert_int_equal(tu_read_file(p, &secret, &n), 0);
	assert_int_equal(n, 32);
	free(secret);
	free(p);

	/* chain: attest.crt then ca.crt; the leaf verifies up to the CA */
	b = BIO_new_mem_buf(root->ops->chain(root), -1);
	leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
	ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(leaf);
	assert_non_null(ca);
	X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof(cn));
	assert_true(strncmp(cn, "trustedge TEE developer root (uid ", 34) == 0);
	assert_true(strlen(cn) <= 64);
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(vctx, store, leaf, NULL), 1);
	assert_int_equal(X509_verify_cert(vctx), 1);

	/* sign: ECDSA P-256 / SHA-256 by the key of attest.crt */
	assert_int_equal(root->ops->sign(root, (const uint8_t *)"tbs", 3, sig, &sig_n), OE_OK);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(leaf)),
	                 1);
	assert_int_equal(EVP_DigestVerify(md, sig, sig_n, (const uint8_t *)"tbs", 3), 1);
	n = 8;
	assert_int_equal(root->ops->sign(root, (const uint8_t *)"tbs", 3, sig, &n),
	                 OE_BUFFER_TOO_SMALL);

	/* the same root when opened again: same secret, same chain */
	derive_fixed(root, d1);
	assert_int_equal(te_rot_dev_open(root_dir, &again), OE_OK);
	derive_fixed(again, d2);
	assert_memory_equal(d1, d2, 32);
	assert_string_equal(root->ops->chain(root), again->ops->chain(again));
	te_rot_close(again);

	/* a lost certificate: a new key and CA, the secret kept */
	p = tu_path(root_dir, "attest.crt");
	assert_int_equal(unlink(p), 0);
	free(p);
	assert_int_equal(te_rot_dev_open(root_dir, &again), OE_OK);
	derive_fixed(again, d2);
	assert_memory_equal(d1, d2, 32);
	assert_string_not_equal(root->ops->chain(root), again->ops->chain(again));
	te_rot_close(again);

	EVP_MD_CTX_free(md);
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
	X509_free(leaf);
	X509_free(ca);
}

static void expect_refused(const char *dir, oe_result_t want, const char *words)
{
	te_rot *r = NULL;

	te_tee_detail_clear();
	assert_int_equal(te_rot_dev_open(dir, &r), want);
	assert_null(r);
	if (!strstr(te_tee_detail(), words))
		fail_msg("detail '%s' does not say '%s'", te_tee_detail(), words);
}

static void test_dev_refusals(void **state)
{
	char *secret = tu_path(root_dir, "root.secret");
	char *saved = tu_path(root_dir, "saved.secret");
	te_rot *r = NULL;

	/* a directory group or others may write */
	assert_int_equal(chmod(root_dir, 0770), 0);
	expect_refused(root_dir, OE_CONSTRAINT_FAILED, "mode 770");
	assert_int_equal(chmod(root_dir, 0777), 0);
	expect_refused(root_dir, OE_CONSTRAINT_FAILED, "other users");
	assert_int_equal(chmod(root_dir, 0755), 0); /* readable is fine */
	assert_int_equal(te_rot_dev_open(root_dir, &r), OE_OK);
	te_rot_close(r);
	assert_int_equal(chmod(root_dir, 0700), 0);

	/* a secret others may read */
	assert_int_equal(chmod(secret, 0640), 0);
	expect_refused(root_dir, OE_CONSTRAINT_FAILED, "root.secret has mode 640");
	assert_int_equal(chmod(secret, 0600), 0);

	/* a secret of the wrong size, and one that is a symbolic link */
	assert_int_equal(rename(secret, saved), 0);
	assert_int_equal(tu_write_file(secret, "short", 5), 0);
	expect_refused(root_dir, OE_CRYPTO_ERROR, "not 32");
	assert_int_equal(unlink(secret), 0);
	assert_int_equal(symlink(saved, secret), 0);
	expect_refused(root_dir, OE_READ_FAILED, "root.secret");
	assert_int_equal(unlink(secret), 0);
	assert_int_equal(rename(saved, secret), 0);

	/* someone else's directory or file */
	if (geteuid() == 0) {
		assert_int_equal(chown(root_dir, 65534, 65534), 0);
		expect_refused(root_dir, OE_NOT_OWNER, "owned by uid 65534");
		assert_int_equal(chown(root_dir, 0, 0), 0);
		assert_int_equal(chown(secret, 65534, 65534), 0);
		expect_refused(root_dir, OE_NOT_OWNER, "root.secret is owned by uid 65534");
		assert_int_equal(chown(secret, 0, 0), 0);
	} else {
		expect_refused("/", OE_NOT_OWNER, "owned by uid 0");
	}
	assert_int_equal(te_rot_dev_open(root_dir, &r), OE_OK);
	te_rot_close(r);
	free(secret);
	free(saved);
}

static void test_dev_location(void **state)
{
	char *tmp = tu_tempdir("seal-home");
	char *home = tu_path(tmp, "home");
	char *env_dir = tu_path(tmp, "env-root");
	char *deflt = tu_path(home, ".local/share/trustedge/tee-dev-root");
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	te_rot *r = NULL;
	struct stat st;

	/* $TE_TEE_DEV_ROOT first */
	setenv("TE_TEE_DEV_ROOT", env_dir, 1);
	assert_int_equal(te_rot_dev_open(NULL, &r), OE_OK);
	te_rot_close(r);
	assert_int_equal(stat(env_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* then ~/.local/share/trustedge/tee-dev-root, made 0700 */
	unsetenv("TE_TEE_DEV_ROOT");
	setenv("HOME", home, 1);
	assert_int_equal(te_rot_dev_open(NULL, &r), OE_OK);
	te_rot_close(r);
	assert_int_equal(stat(deflt, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* neither: refused, with the sentence saying what to set */
	unsetenv("HOME");
	expect_refused(NULL, OE_NOT_FOUND, "TE_TEE_DEV_ROOT");
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
	free(home);
	free(env_dir);
	free(deflt);
	tu_rmtree(tmp);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest derive[] = {
	    cmocka_unit_test(test_unique_binding),
	    cmocka_unit_test(test_product_binding),
	    cmocka_unit_test(test_request_checks),
	};
	const struct CMUnitTest serve_tests[] = {
	    cmocka_unit_test(test_serve_malformed),
	};
	const struct CMUnitTest dev[] = {
	    cmocka_unit_test(test_dev_files),
	    cmocka_unit_test(test_dev_refusals),
	    cmocka_unit_test(test_dev_location),
	};

	unsetenv("TE_TEE_DEV_ROOT");
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return cmocka_run_group_tests_name("seal.rot_serve", serve_tests, setup, teardown);
	if (argc > 1 && strcmp(argv[1], "dev") == 0)
		return cmocka_run_group_tests_name("seal.dev_root", dev, setup, teardown);
	return cmocka_run_group_tests_name("seal.rot_derive", derive, setup, teardown);
}
