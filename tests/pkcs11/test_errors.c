/*
 * test_errors.c - what the pkcs11 backend says when something is wrong,
 * and how it recovers.  Runs under tests/pkcs11/with_softhsm.sh (module,
 * token and PIN from TE_PKCS11_*).
 *
 *  - settings: wrong PIN, missing token (the message lists the tokens that
 *    are there), a module path that does not exist, a PIN file others can
 *    read, a pin_env that is not set, two PIN sources;
 *  - recovery: every session closed behind the backend's back
 *    (C_CloseAllSessions from a second handle on the module), the user
 *    logged out (C_Logout), a key deleted and made again by another
 *    process (pkcs11-tool) while its handle is cached;
 *  - key references: a URI for another token, a URI that names a public
 *    key, a PIN inside a URI;
 *  - the CKR message table.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hsm/backends/pkcs11_api.h"
#include "hsm/backends/pkcs11_err.h"
#include "testutil.h"
#include "trustedge/te_hsm.h"

#define MSG "pkcs11 error test"

static struct {
	const char *module, *token, *pin;
	char *work;
} g;

static void expect_open_fails(const te_hsm_setting *s, size_t n, te_err want, const char *hint)
{
	te_hsm *h = NULL;
	te_err rc = te_hsm_open("pkcs11", s, n, &h);

	if (rc != want)
		fail_msg("open: %s (%s), expected %s", te_err_name(rc), te_err_detail(),
		         te_err_name(want));
	assert_null(h);
	if (hint != NULL && strstr(te_err_detail(), hint) == NULL)
		fail_msg("detail \"%s\" does not mention \"%s\"", te_err_detail(), hint);
}

static te_hsm *open_ok(void)
{
	te_hsm_setting s[] = {
	    {"module", g.module}, {"token", g.token}, {"pin_env", "TE_PKCS11_PIN"}};
	te_hsm *h = NULL;
	te_err rc = te_hsm_open("pkcs11", s, 3, &h);

	if (rc != TE_OK)
		fail_msg("open: %s (%s)", te_err_name(rc), te_err_detail());
	return h;
}

/* --- settings ------------------------------------------------------------ */

static void test_wrong_pin(void **state)
{
	te_hsm_setting s[] = {{"module", g.module}, {"token", g.token}, {"pin", "wrong-pin-0000"}};

	(void)state;
	expect_open_fails(s, 3, TE_ERR_CONFIG, "PIN rejected by token 'trustedge-test'");
	assert_non_null(strstr(te_err_detail(), "pin/pin_file/pin_env"));
	assert_non_null(strstr(te_err_detail(), "CKR_PIN_INCORRECT"));
	assert_null(strstr(te_err_detail(), "wrong-pin-0000"));
	/* The right PIN still works afterwards (SoftHSM2 does not lock). */
	te_hsm_close(open_ok());
}

static void test_missing_token(void **state)
{
	te_hsm_setting s[] = {{"module", g.module}, {"token", "no-such-token"}, {"pin", g.pin}};
	te_hsm_setting s2[] = {
	    {"module", g.module}, {"serial", "0000000000000000"}, {"pin", g.pin}};
	te_hsm_setting s3[] = {{"module", g.module}, {"slot", "12345"}, {"pin", g.pin}};
	te_hsm_setting s4[] = {{"module", g.module}, {"slot", "twelve"}, {"pin", g.pin}};

	(void)state;
	expect_open_fails(s, 3, TE_ERR_NOT_FOUND, "no token with label 'no-such-token'");
	/* The message lists the tokens that are there. */
	assert_non_null(strstr(te_err_detail(), "tokens present: 'trustedge-test'"));
	expect_open_fails(s2, 3, TE_ERR_NOT_FOUND, "serial '0000000000000000'");
	assert_non_null(strstr(te_err_detail(), "'trustedge-test'"));
	expect_open_fails(s3, 3, TE_ERR_NOT_FOUND, "slot 12345");
	expect_open_fails(s4, 3, TE_ERR_CONFIG, "not a slot ID");
}

static void test_bad_module(void **state)
{
	te_hsm_setting s[] = {{"module", "/nonexistent/libnothing.so"}, {"pin", "1"}};
	te_hsm_setting s2[] = {{"module", "/etc/hostname"}, {"pin", "1"}};
	te_hsm_setting s3[] = {{"module", "libcrypto.so.3"}, {"pin", "1"}};
	te_hsm_setting none[] = {{"token", "x"}};

	(void)state;
	expect_open_fails(s, 2, TE_ERR_CONFIG,
	                  "cannot load PKCS#11 module '/nonexistent/libnothing.so'");
	/* dlerror() says why. */
	assert_non_null(strstr(te_err_detail(), "No such file"));
	expect_open_fails(s2, 2, TE_ERR_CONFIG, "/etc/hostname");
	expect_open_fails(s3, 2, TE_ERR_CONFIG, "has no C_GetFunctionList");
	expect_open_fails(none, 1, TE_ERR_CONFIG, "needs the 'module' setting");
}

static void test_pin_file(void **state)
{
	char *path = tu_path(g.work, "pin"), *line = NULL;
	te_hsm_setting s[] = {{"module", g.module}, {"token", g.token}, {"pin_file", path}};
	te_hsm *h = NULL;

	(void)state;
	assert_true(asprintf(&line, "%s\n", g.pin) > 0);
	assert_int_equal(tu_write_file(path, line, strlen(line)), 0);
	/* Readable by group and others: refused, and the message says how to fix it. */
	assert_int_equal(chmod(path, 0644), 0);
	expect_open_fails(s, 3, TE_ERR_PERMISSION, "mode 0644");
	assert_non_null(strstr(te_err_detail(), "chmod 600"));
	assert_int_equal(chmod(path, 0640), 0);
	expect_open_fails(s, 3, TE_ERR_PERMISSION, "mode 0640");
	/* 0600 and 0400 are fine; one trailing newline is not part of the PIN. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(te_hsm_open("pkcs11", s, 3, &h), TE_OK);
	te_hsm_close(h);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(te_hsm_open("pkcs11", s, 3, &h), TE_OK);
	te_hsm_close(h);
	/* Two lines are not a PIN. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(tu_write_file(path, "a\nb\n", 4), 0);
	expect_open_fails(s, 3, TE_ERR_CONFIG, "more than one line");
	free(line);
	free(path);
	path = tu_path(g.work, "missing-pin");
	s[2].value = path;
	expect_open_fails(s, 3, TE_ERR_CONFIG, "cannot open pin_file");
	free(path);
}

static void test_pin_sources(void **state)
{
	te_hsm_setting unset[] = {{"module", g.module}, {"pin_env", "TE_TEST_NO_SUCH_VARIABLE"}};
	te_hsm_setting two[] = {{"module", g.module}, {"pin", "1"}, {"pin_env", "TE_PKCS11_PIN"}};
	te_hsm_setting none[] = {{"module", g.module}, {"token", g.token}};
	te_hsm_setting bad[] = {{"module", g.module}, {"pin_code", "1"}};
	te_hsm_setting empty[] = {{"module", g.module}, {"pin", ""}};

	(void)state;
	unsetenv("TE_TEST_NO_SUCH_VARIABLE");
	expect_open_fails(unset, 2, TE_ERR_CONFIG, "TE_TEST_NO_SUCH_VARIABLE");
	expect_open_fails(two, 3, TE_ERR_CONFIG, "only one of");
	expect_open_fails(none, 2, TE_ERR_CONFIG, "needs a login");
	expect_open_fails(bad, 2, TE_ERR_CONFIG, "pin_code");
	expect_open_fails(empty, 2, TE_ERR_CONFIG, "empty");
}

/* --- recovery --------------------------------------------------------------- */

/* The module's function list and our token's slot, through a second
 * dlopen handle (the same library instance the backend uses). */
static CK_FUNCTION_LIST *module_functions(CK_SLOT_ID *slot)
{
	void *dl = dlopen(g.module, RTLD_NOW | RTLD_NOLOAD);
	CK_FUNCTION_LIST *f = NULL;
	CK_C_GetFunctionList get;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	void *sym;

	assert_non_null(dl);
	sym = dlsym(dl, "C_GetFunctionList");
	assert_non_null(sym);
	memcpy(&get, &sym, sizeof(get));
	assert_int_equal(get(&f), CKR_OK);
	assert_int_equal(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;

		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, g.token, strlen(g.token)) == 0) {
			*slot = slots[i];
			dlclose(dl);
			return f;
		}
	}
	fail_msg("token %s not found", g.token);
	return NULL;
}

static void sign_ok(te_hsm *h, const char *name, te_hsm_alg alg)
{
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n = sizeof(sig);
	te_err rc = te_hsm_key_sign(h, name, alg, 0, MSG, strlen(MSG), sig, &n);

	if (rc != TE_OK)
		fail_msg("sign with %s: %s (%s)", name, te_err_name(rc), te_err_detail());
	rc = te_hsm_key_verify(h, name, alg, 0, MSG, strlen(MSG), sig, n);
	if (rc != TE_OK)
		fail_msg("verify with %s: %s (%s)", name, te_err_name(rc), te_err_detail());
}

static void test_sessions_closed(void **state)
{
	te_hsm *h = open_ok();
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	CK_SLOT_ID slot = 0;
	CK_FUNCTION_LIST *f = module_functions(&slot);

	(void)state;
	assert_int_equal(te_hsm_key_create(h, "t-er-ec", &ec), TE_OK);
	assert_int_equal(te_hsm_key_create(h, "t-er-mac", &mac), TE_OK);
	sign_ok(h, "t-er-ec", TE_HSM_ALG_ECDSA_SHA256);
	sign_ok(h, "t-er-mac", TE_HSM_ALG_HMAC_SHA256);
	/* Every session of the application closes, and with the last one the
	 * login goes: the backend reopens and logs in again. */
	assert_int_equal(f->C_CloseAllSessions(slot), CKR_OK);
	sign_ok(h, "t-er-ec", TE_HSM_ALG_ECDSA_SHA256);
	assert_int_equal(f->C_CloseAllSessions(slot), CKR_OK);
	sign_ok(h, "t-er-mac", TE_HSM_ALG_HMAC_SHA256);
	assert_int_equal(f->C_CloseAllSessions(slot), CKR_OK);
	assert_true(te_hsm_key_exists(h, "t-er-ec"));
	assert_int_equal(te_hsm_key_delete(h, "t-er-ec"), TE_OK);
	assert_int_equal(te_hsm_key_delete(h, "t-er-mac"), TE_OK);
	te_hsm_close(h);
}

static void test_logged_out(void **state)
{
	te_hsm *h = open_ok();
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	CK_SLOT_ID slot = 0;
	CK_FUNCTION_LIST *f = module_functions(&slot);
	CK_SESSION_HANDLE s;

	(void)state;
	assert_int_equal(te_hsm_key_create(h, "t-lo-mac", &mac), TE_OK);
	assert_int_equal(te_hsm_key_create(h, "t-lo-ec", &ec), TE_OK);
	sign_ok(h, "t-lo-mac", TE_HSM_ALG_HMAC_SHA256);
	/* C_Logout on any session logs the whole application out. */
	assert_int_equal(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
	assert_int_equal(f->C_Logout(s), CKR_OK);
	sign_ok(h, "t-lo-mac", TE_HSM_ALG_HMAC_SHA256);
	assert_int_equal(f->C_Logout(s), CKR_OK);
	/* A key not yet cached is found after logging in again, not reported missing. */
	sign_ok(h, "t-lo-ec", TE_HSM_ALG_ECDSA_SHA256);
	assert_int_equal(f->C_Logout(s), CKR_OK);
	assert_true(te_hsm_key_exists(h, "t-lo-mac"));
	assert_int_equal(f->C_CloseSession(s), CKR_OK);
	assert_int_equal(te_hsm_key_delete(h, "t-lo-mac"), TE_OK);
	assert_int_equal(te_hsm_key_delete(h, "t-lo-ec"), TE_OK);
	te_hsm_close(h);
}

static EVP_PKEY *public_of(te_hsm *h, const char *name)
{
	te_buf b;
	BIO *bio;
	EVP_PKEY *pkey;

	te_buf_init(&b, 0);
	assert_int_equal(te_hsm_key_public(h, name, TE_HSM_PUB_PEM, &b), TE_OK);
	bio = BIO_new_mem_buf(b.data, (int)b.len);
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	te_buf_free(&b);
	assert_non_null(pkey);
	return pkey;
}

static int ossl_verify(EVP_PKEY *pub, const uint8_t *sig, size_t n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	         EVP_DigestVerify(md, sig, n, (const uint8_t *)MSG, strlen(MSG)) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

/* Runs pkcs11-tool, logged in to the test token, with the NULL-terminated
 * extra arguments. */
static int p11tool_argv(const char *const *extra)
{
	char *argv[24] = {"pkcs11-tool",   "--module", (char *)g.module, "--token-label",
	                  (char *)g.token, "--login",  "--pin",          (char *)g.pin};
	size_t n = 8;

	for (; *extra != NULL && n < 23; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	return tu_run(argv);
}

#define p11tool(...) p11tool_argv((const char *const[]){__VA_ARGS__, NULL})

/* A key deleted and made again by another process while its object
 * handle is cached: the next signature uses the new key. */
static void test_replaced_by_other_process(void **state)
{
	te_hsm *h = open_ok();
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n = sizeof(sig);
	EVP_PKEY *old, *fresh;

	(void)state;
	if (!tu_have_program("pkcs11-tool")) {
		print_message("pkcs11-tool not found: skipped\n");
		te_hsm_close(h);
		skip();
	}
	assert_int_equal(te_hsm_key_create(h, "t-rp", &ec), TE_OK);
	sign_ok(h, "t-rp", TE_HSM_ALG_ECDSA_SHA256); /* handle now cached */
	old = public_of(h, "t-rp");
	assert_int_equal(p11tool("--delete-object", "--type", "privkey", "--label", "t-rp"), 0);
	assert_int_equal(p11tool("--delete-object", "--type", "pubkey", "--label", "t-rp"), 0);
	assert_int_equal(p11tool("--keypairgen", "--key-type", "EC:prime256v1", "--label", "t-rp",
	                         "--usage-sign"),
	                 0);
	assert_int_equal(
	    te_hsm_key_sign(h, "t-rp", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig, &n),
	    TE_OK);
	fresh = public_of(h, "t-rp");
	assert_int_equal(EVP_PKEY_eq(old, fresh), 0);
	assert_true(ossl_verify(fresh, sig, n));
	assert_false(ossl_verify(old, sig, n));
	/* Deleted by the other process: missing, not an opaque failure. */
	assert_int_equal(p11tool("--delete-object", "--type", "privkey", "--label", "t-rp"), 0);
	n = sizeof(sig);
	assert_int_equal(
	    te_hsm_key_sign(h, "t-rp", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig, &n),
	    TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), "t-rp"));
	/* The orphaned public half goes with delete. */
	assert_int_equal(te_hsm_key_delete(h, "t-rp"), TE_OK);
	EVP_PKEY_free(old);
	EVP_PKEY_free(fresh);
	te_hsm_close(h);
}

/* --- key references ----------------------------------------------------------- */

static void test_uri_refs(void **state)
{
	te_hsm *h = open_ok();
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_info info;
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n = sizeof(sig);

	(void)state;
	assert_int_equal(te_hsm_key_create(h, "t-uri", &ec), TE_OK);
	assert_int_equal(te_hsm_key_info_get(h, "pkcs11:object=t-uri;type=private", &info), TE_OK);
	assert_string_equal(info.name, "t-uri");
	assert_int_equal(info.type, TE_HSM_KEY_EC_P256);
	assert_int_equal(
	    te_hsm_key_info_get(h, "pkcs11:token=trustedge-test;object=t%2Duri", &info), TE_OK);
	assert_int_equal(te_hsm_key_sign(h, "pkcs11:object=t-uri", TE_HSM_ALG_DEFAULT, 0, MSG,
	                                 strlen(MSG), sig, &n),
	                 TE_OK);
	assert_int_equal(
	    te_hsm_key_verify(h, "t-uri", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig, n),
	    TE_OK);

	/* Another token: not found, and the message says which token is in use. */
	assert_int_equal(te_hsm_key_info_get(h, "pkcs11:token=other;object=t-uri", &info),
	                 TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), "token 'trustedge-test'"));
	assert_non_null(strstr(te_err_detail(), "'other'"));
	/* A public key, or nothing in particular, is not a key to use. */
	assert_int_equal(te_hsm_key_info_get(h, "pkcs11:object=t-uri;type=public", &info),
	                 TE_ERR_UNSUPPORTED);
	assert_non_null(strstr(te_err_detail(), "type=private"));
	assert_int_equal(te_hsm_key_info_get(h, "pkcs11:token=trustedge-test", &info),
	                 TE_ERR_BAD_NAME);
	/* Parser refusals come through as bad names. */
	assert_int_equal(te_hsm_key_info_get(h, "pkcs11:object=t-uri?pin-value=1234", &info),
	                 TE_ERR_BAD_NAME);
	assert_null(strstr(te_err_detail(), "1234"));
	assert_int_equal(te_hsm_key_info_get(h, "pkcs11:object=t-uri;foo=1", &info),
	                 TE_ERR_BAD_NAME);
	assert_int_equal(te_hsm_key_info_get(h, "pkcs11:object=nothing-here", &info),
	                 TE_ERR_NOT_FOUND);
	/* Deleting by URI takes both halves. */
	assert_int_equal(te_hsm_key_delete(h, "pkcs11:object=t-uri;type=private"), TE_OK);
	assert_false(te_hsm_key_exists(h, "t-uri"));
	assert_int_equal(te_hsm_key_create(h, "t-uri", &ec), TE_OK); /* no public left behind */
	assert_int_equal(te_hsm_key_delete(h, "t-uri"), TE_OK);
	te_hsm_close(h);
}

/* Keys with labels that are no trustedge name are listed by URI. */
static void test_list_foreign_labels(void **state)
{
	te_hsm *h = open_ok();
	te_hsm_key_info *keys = NULL, info;
	size_t n = 0;
	int seen = 0;

	(void)state;
	if (!tu_have_program("pkcs11-tool")) {
		te_hsm_close(h);
		skip();
	}
	assert_int_equal(p11tool("--keypairgen", "--key-type", "EC:prime256v1", "--label",
	                         "my key/1", "--usage-sign"),
	                 0);
	assert_int_equal(te_hsm_key_list(h, &keys, &n), TE_OK);
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, "pkcs11:object=my%20key%2F1;type=private") == 0) {
			seen = 1;
			assert_int_equal(keys[i].type, TE_HSM_KEY_EC_P256);
			assert_int_equal(keys[i].status, TE_OK);
		}
	free(keys);
	assert_true(seen);
	assert_int_equal(te_hsm_key_info_get(h, "pkcs11:object=my%20key%2F1;type=private", &info),
	                 TE_OK);
	assert_string_equal(info.name, "pkcs11:object=my%20key%2F1;type=private");
	sign_ok(h, "pkcs11:object=my%20key%2F1", TE_HSM_ALG_ECDSA_SHA256);
	assert_int_equal(te_hsm_key_delete(h, "pkcs11:object=my%20key%2F1;type=private"), TE_OK);
	te_hsm_close(h);
}

/* Two keys under one label: listed once as ambiguous, refused by name,
 * usable and deletable by id. */
static void test_ambiguous_label(void **state)
{
	te_hsm *h = open_ok();
	te_hsm_key_info *keys = NULL, info;
	size_t n = 0;
	int seen = 0;

	(void)state;
	if (!tu_have_program("pkcs11-tool")) {
		te_hsm_close(h);
		skip();
	}
	assert_int_equal(p11tool("--keypairgen", "--key-type", "EC:prime256v1", "--label", "t-dup",
	                         "--id", "d1"),
	                 0);
	assert_int_equal(p11tool("--keypairgen", "--key-type", "EC:prime256v1", "--label", "t-dup",
	                         "--id", "d2"),
	                 0);
	assert_int_equal(te_hsm_key_list(h, &keys, &n), TE_OK);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i].name, "t-dup") != 0)
			continue;
		seen++;
		assert_int_equal(keys[i].status, TE_ERR_EXISTS);
	}
	free(keys);
	assert_int_equal(seen, 1);
	assert_int_equal(te_hsm_key_info_get(h, "t-dup", &info), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "ambiguous"));
	assert_int_equal(te_hsm_key_delete(h, "t-dup"), TE_ERR_INVALID_ARG);
	assert_non_null(strstr(te_err_detail(), "id="));
	sign_ok(h, "pkcs11:object=t-dup;id=%d1", TE_HSM_ALG_ECDSA_SHA256);
	assert_int_equal(te_hsm_key_delete(h, "pkcs11:object=t-dup;id=%d1;type=private"), TE_OK);
	/* One left: the name works again. */
	sign_ok(h, "t-dup", TE_HSM_ALG_ECDSA_SHA256);
	assert_int_equal(te_hsm_key_delete(h, "t-dup"), TE_OK);
	assert_false(te_hsm_key_exists(h, "t-dup"));
	te_hsm_close(h);
}

/* --- the message table ----------------------------------------------------------- */

static void test_messages(void **state)
{
	te_p11_pin_state pin = {0, 1, 0};
	char buf[64];

	(void)state;
	assert_string_equal(te_p11_rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
	assert_string_equal(te_p11_rv_name(0x1C4), "CKR_PUBLIC_KEY_INVALID");
	assert_null(te_p11_rv_name(0x4242));
	te_p11_rv_format(0x4242, buf, sizeof(buf));
	assert_string_equal(buf, "CKR_0x4242");
	te_p11_rv_format(0x80000005UL, buf, sizeof(buf));
	assert_string_equal(buf, "CKR_VENDOR_DEFINED+0x5");
	assert_string_equal(te_p11_mech_name(CKM_ECDSA), "CKM_ECDSA");

	assert_int_equal(
	    te_p11_fail(CKR_MECHANISM_INVALID, "tok", CKM_EDDSA, NULL, "sign with 'k'"),
	    TE_ERR_UNSUPPORTED);
	assert_string_equal(te_err_detail(), "sign with 'k': token 'tok' does not support "
	                                     "mechanism CKM_EDDSA [CKR_MECHANISM_INVALID]");
	assert_int_equal(te_p11_fail(CKR_PIN_INCORRECT, "tok", TE_P11_NO_MECH, &pin, "log in"),
	                 TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "one more wrong PIN locks it"));
	assert_int_equal(te_p11_fail(CKR_PIN_LOCKED, "tok", TE_P11_NO_MECH, NULL, "log in"),
	                 TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "SO PIN"));
	assert_int_equal(te_p11_fail(CKR_SESSION_COUNT, "tok", TE_P11_NO_MECH, NULL, "x"),
	                 TE_ERR_BUSY);
	assert_int_equal(te_p11_fail(CKR_KEY_HANDLE_INVALID, "tok", CKM_ECDSA, NULL, "x"),
	                 TE_ERR_NOT_FOUND);
	assert_int_equal(te_p11_fail(0x4242, "tok", 0x9999, NULL, "x"), TE_ERR_CRYPTO);
	assert_string_equal(te_err_detail(), "x: token 'tok' returned CKR_0x4242");
}

static int setup(void **state)
{
	(void)state;
	g.module = getenv("TE_PKCS11_MODULE");
	g.token = getenv("TE_PKCS11_TOKEN");
	g.pin = getenv("TE_PKCS11_PIN");
	if (g.module == NULL || g.token == NULL || g.pin == NULL) {
		print_error("run under tests/pkcs11/with_softhsm.sh (TE_PKCS11_* not set)\n");
		return -1;
	}
	g.work = tu_tempdir("p11-errors");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(g.work);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_wrong_pin),
	    cmocka_unit_test(test_missing_token),
	    cmocka_unit_test(test_bad_module),
	    cmocka_unit_test(test_pin_file),
	    cmocka_unit_test(test_pin_sources),
	    cmocka_unit_test(test_sessions_closed),
	    cmocka_unit_test(test_logged_out),
	    cmocka_unit_test(test_replaced_by_other_process),
	    cmocka_unit_test(test_uri_refs),
	    cmocka_unit_test(test_list_foreign_labels),
	    cmocka_unit_test(test_ambiguous_label),
	};

	return cmocka_run_group_tests_name("pkcs11.errors", tests, setup, teardown);
}
