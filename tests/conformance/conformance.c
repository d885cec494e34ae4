/*
 * conformance.c - the HSM backend conformance suite.
 *
 * Written once against include/trustedge/te_hsm.h and run against every
 * backend.  The backend and its settings come from the command line
 * (`te_conformance BACKEND [k=v ...]`) or from the environment
 * (TE_CONFORMANCE_BACKEND, default "soft"; TE_CONFORMANCE_SETTINGS,
 * "k=v;k=v").  For "soft" without settings the suite makes its own store in
 * a temporary directory and removes it at the end.
 *
 * Every result a backend produces is checked independently: signatures
 * with OpenSSL in process and with the openssl command line, ciphertexts by
 * decrypting with OpenSSL, and secret-key operations against published
 * known-answer vectors.  Tests for the soft backend's on-disk store run
 * only when the backend is "soft".
 */
#include <errno.h>
#include <pthread.h>
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
#include <openssl/evp.h>

#include "conf_util.h"
#include "testutil.h"
#include "trustedge/te_hsm.h"

#define MAX_SETTINGS 16
#define MSG          "trustedge conformance message"

/* ---- suite state ------------------------------------------------------- */

typedef struct ktype {
	te_hsm_key_type type;
	const char *label;   /* te_hsm_key_type_name() */
	const char *fixture; /* key made once per run of the "keys" group */
	uint32_t usage;      /* the fixture's usage */
	int secret;
	int rsa_bits;
	te_hsm_alg algs[2]; /* signature algorithms that apply */
	size_t n_algs;
	te_hsm_alg natural; /* what ALG_DEFAULT must mean; 0 when several may */
} ktype;

#define U_S TE_HSM_USAGE_SIGN
#define U_E TE_HSM_USAGE_ENCRYPT
#define U_D TE_HSM_USAGE_DERIVE

static const ktype KT[] = {
    {TE_HSM_KEY_EC_P256,
     "ec-p256",
     "t-fx-ec-p256",
     U_S,
     0,
     0,
     {TE_HSM_ALG_ECDSA_SHA256, TE_HSM_ALG_ECDSA_SHA384},
     2,
     TE_HSM_ALG_ECDSA_SHA256},
    {TE_HSM_KEY_EC_P384,
     "ec-p384",
     "t-fx-ec-p384",
     U_S,
     0,
     0,
     {TE_HSM_ALG_ECDSA_SHA384, TE_HSM_ALG_ECDSA_SHA256},
     2,
     TE_HSM_ALG_ECDSA_SHA384},
    {TE_HSM_KEY_RSA_2048,
     "rsa-2048",
     "t-fx-rsa-2048",
     U_S | U_E,
     0,
     2048,
     {TE_HSM_ALG_RSA_PSS_SHA256, TE_HSM_ALG_RSA_PKCS1_SHA256},
     2,
     TE_HSM_ALG_DEFAULT},
    {TE_HSM_KEY_RSA_3072,
     "rsa-3072",
     "t-fx-rsa-3072",
     U_S | U_E,
     0,
     3072,
     {TE_HSM_ALG_RSA_PSS_SHA256, TE_HSM_ALG_RSA_PKCS1_SHA256},
     2,
     TE_HSM_ALG_DEFAULT},
    {TE_HSM_KEY_RSA_4096,
     "rsa-4096",
     "t-fx-rsa-4096",
     U_S | U_E,
     0,
     4096,
     {TE_HSM_ALG_RSA_PSS_SHA256, TE_HSM_ALG_RSA_PKCS1_SHA256},
     2,
     TE_HSM_ALG_DEFAULT},
    {TE_HSM_KEY_ED25519,
     "ed25519",
     "t-fx-ed25519",
     U_S,
     0,
     0,
     {TE_HSM_ALG_ED25519},
     1,
     TE_HSM_ALG_ED25519},
    {TE_HSM_KEY_HMAC_SHA256,
     "hmac-sha256",
     "t-fx-hmac-sha256",
     U_S | U_D,
     1,
     0,
     {TE_HSM_ALG_HMAC_SHA256},
     1,
     TE_HSM_ALG_HMAC_SHA256},
    {TE_HSM_KEY_AES_256_GCM,
     "aes-256-gcm",
     "t-fx-aes-256-gcm",
     U_E,
     1,
     0,
     {0},
     0,
     TE_HSM_ALG_DEFAULT},
};
#define N_KT       (sizeof(KT) / sizeof(KT[0]))
#define KT_EC256   (&KT[0])
#define KT_RSA2048 (&KT[2])
#define KT_ED25519 (&KT[5])
#define KT_HMAC    (&KT[6])
#define KT_AES     (&KT[7])

/* Every signature algorithm, to probe the ones that do not apply. */
static const te_hsm_alg SIGN_ALGS[] = {
    TE_HSM_ALG_ECDSA_SHA256,     TE_HSM_ALG_ECDSA_SHA384,    TE_HSM_ALG_RSA_PSS_SHA256,
    TE_HSM_ALG_RSA_PKCS1_SHA256, TE_HSM_ALG_ED25519,         TE_HSM_ALG_HMAC_SHA256,
    TE_HSM_ALG_AES_256_GCM,      TE_HSM_ALG_RSA_OAEP_SHA256,
};

static struct {
	const char *backend;
	te_hsm_setting settings[MAX_SETTINGS];
	size_t n_settings;
	char *settings_buf;
	char *own_tmp;     /* temp dir holding our own soft store; removed at exit */
	char *own_store;   /* own_tmp/store (created by the backend) */
	const char *store; /* soft: the store directory */
	char *work;        /* scratch files for openssl(1) */
	int is_soft;
	int have_cli;
	int verbose; /* TE_CONFORMANCE_VERBOSE: show codes where several are allowed */
	te_hsm *hsm;
	EVP_PKEY *ossl_keys[TE_HSM_KEY__COUNT]; /* made once, when first needed */
	te_err fixture_rc[TE_HSM_KEY__COUNT];
} g;

/* ---- assertions ---------------------------------------------------------- */

static int rc_in(te_err got, const te_err *ok, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (got == ok[i])
			return 1;
	return 0;
}

static void check_rc(te_err got, const te_err *ok, size_t n, const char *what, const char *file,
                     int line)
{
	if (rc_in(got, ok, n)) {
		if (n > 1 && g.verbose)
			print_message("  [%s] %s:%d %s\n", te_err_name(got), file, line, what);
		return;
	}
	print_error("%s:%d: %s\n  returned %s (%s), expected %s%s%s%s%s\n", file, line, what,
	            te_err_name(got), te_err_detail(), te_err_name(ok[0]), n > 1 ? " or " : "",
	            n > 1 ? te_err_name(ok[1]) : "", n > 2 ? " or " : "",
	            n > 2 ? te_err_name(ok[2]) : "");
	_fail(file, line);
}

#define EXPECT(call, want)                                                                         \
	do {                                                                                       \
		const te_err ok_[] = {(want)};                                                     \
		check_rc((call), ok_, 1, #call, __FILE__, __LINE__);                               \
	} while (0)
#define EXPECT2(call, a, b)                                                                        \
	do {                                                                                       \
		const te_err ok_[] = {(a), (b)};                                                   \
		check_rc((call), ok_, 2, #call, __FILE__, __LINE__);                               \
	} while (0)
#define EXPECT3(call, a, b, c)                                                                     \
	do {                                                                                       \
		const te_err ok_[] = {(a), (b), (c)};                                              \
		check_rc((call), ok_, 3, #call, __FILE__, __LINE__);                               \
	} while (0)
#define OK(call) EXPECT(call, TE_OK)

static void check_refused(te_err got, const char *what, const char *file, int line)
{
	if (got != TE_OK) {
		if (g.verbose)
			print_message("  [%s] %s:%d %s\n", te_err_name(got), file, line, what);
		return;
	}
	print_error("%s:%d: %s\n  succeeded, expected an error\n", file, line, what);
	_fail(file, line);
}
#define REFUSED(call) check_refused((call), #call, __FILE__, __LINE__)
/* An algorithm that does not apply to the key type. */
#define NOT_APPLICABLE(call) EXPECT2(call, TE_ERR_UNSUPPORTED, TE_ERR_INVALID_ARG)

/* ---- helpers ----------------------------------------------------------- */

static int open_ctx_with(const te_hsm_setting *s, size_t n, te_hsm **out)
{
	te_err rc = te_hsm_open(g.backend, s, n, out);

	if (rc != TE_OK)
		print_error("te_hsm_open(%s): %s (%s)\n", g.backend, te_err_name(rc),
		            te_err_detail());
	return rc == TE_OK ? 0 : -1;
}

static te_hsm *open_ctx(void)
{
	te_hsm *h = NULL;

	if (open_ctx_with(g.settings, g.n_settings, &h) != 0)
		fail_msg("could not open backend %s", g.backend);
	return h;
}

/* Deletes every key this suite may have left behind (names "t-..."). */
static void purge(te_hsm *h)
{
	te_hsm_key_info *keys = NULL;
	size_t n = 0;

	if (te_hsm_key_list(h, &keys, &n) != TE_OK)
		return;
	for (size_t i = 0; i < n; i++)
		if (strncmp(keys[i].name, "t-", 2) == 0 &&
		    te_hsm_key_delete(h, keys[i].name) != TE_OK)
			print_error("purge: could not delete %s: %s\n", keys[i].name,
			            te_err_detail());
	free(keys);
}

static int group_open(void **state)
{
	(void)state;
	if (open_ctx_with(g.settings, g.n_settings, &g.hsm) != 0)
		return -1;
	purge(g.hsm);
	return 0;
}

static int group_close(void **state)
{
	(void)state;
	if (g.hsm != NULL) {
		purge(g.hsm);
		te_hsm_close(g.hsm);
		g.hsm = NULL;
	}
	return 0;
}

static EVP_PKEY *ossl_key(te_hsm_key_type type)
{
	if (g.ossl_keys[type] == NULL)
		g.ossl_keys[type] = cu_keygen(type);
	assert_non_null(g.ossl_keys[type]);
	return g.ossl_keys[type];
}

/* Skips the test when the backend lacks the type (never for soft). */
static void need_fixture(const ktype *kt)
{
	te_err rc = g.fixture_rc[kt->type];

	if (rc == TE_ERR_UNSUPPORTED && !g.is_soft) {
		print_message("[  SKIP    ] %s keys are not supported by backend %s\n", kt->label,
		              g.backend);
		skip();
	}
	if (rc != TE_OK)
		fail_msg("making fixture key %s failed: %s", kt->fixture, te_err_name(rc));
}

/*
 * A hardware backend may refuse to make an asymmetric key whose private
 * half could ever leave it (a TPM key is fixedTPM).  Returns 1, with a
 * note, when rc is such a refusal; the soft backend must never refuse.
 */
static int exportable_refused(te_err rc, const ktype *kt)
{
	if (rc != TE_ERR_UNSUPPORTED || g.is_soft || kt->secret)
		return 0;
	print_message("[  NOTE    ] backend %s keeps %s keys in the hardware: no exportable "
	              "ones\n",
	              g.backend, kt->label);
	return 1;
}

static te_hsm_key_attrs attrs_of(te_hsm_key_type type, uint32_t usage, int exportable)
{
	te_hsm_key_attrs a;

	memset(&a, 0, sizeof(a));
	a.type = type;
	a.usage = usage;
	a.exportable = exportable;
	return a;
}

static void key_name(char *out, size_t n, const char *prefix, const char *label)
{
	int r = snprintf(out, n, "%s-%s", prefix, label);

	assert_true(r > 0 && (size_t)r < n);
}

/* Imports an OpenSSL key (PKCS#8 PEM). */
static te_err import_ossl(te_hsm *h, const char *name, EVP_PKEY *pkey, te_hsm_key_type type,
                          uint32_t usage, int exportable)
{
	te_hsm_key_attrs a = attrs_of(type, usage, exportable);
	uint8_t *pem = NULL;
	size_t len = 0;
	te_err rc;

	assert_true(cu_priv_encode(pkey, CU_PKCS8_PEM, &pem, &len));
	rc = te_hsm_key_import(h, name, &a, pem, len);
	free(pem);
	return rc;
}

static te_err import_raw(te_hsm *h, const char *name, te_hsm_key_type type, uint32_t usage,
                         int exportable, const void *bytes, size_t len)
{
	te_hsm_key_attrs a = attrs_of(type, usage, exportable);

	return te_hsm_key_import(h, name, &a, bytes, len);
}

/* The key's public key as parsed by OpenSSL from the backend's PEM. */
static EVP_PKEY *hsm_pub(te_hsm *h, const char *name)
{
	te_buf b;
	EVP_PKEY *pkey;

	te_buf_init(&b, 0);
	OK(te_hsm_key_public(h, name, TE_HSM_PUB_PEM, &b));
	pkey = cu_pub_from_pem(b.data, b.len);
	te_buf_free(&b);
	assert_non_null(pkey);
	return pkey;
}

static void hsm_pub_der(te_hsm *h, const char *name, uint8_t **der, size_t *len)
{
	te_buf b;

	te_buf_init(&b, 0);
	OK(te_hsm_key_public(h, name, TE_HSM_PUB_DER, &b));
	assert_true(b.len > 0);
	*der = malloc(b.len);
	assert_non_null(*der);
	memcpy(*der, b.data, b.len);
	*len = b.len;
	te_buf_free(&b);
}

static size_t hsm_sign(te_hsm *h, const char *name, te_hsm_alg alg, uint32_t flags,
                       const void *data, size_t len, uint8_t sig[TE_HSM_SIG_MAX])
{
	size_t n = TE_HSM_SIG_MAX;

	OK(te_hsm_key_sign(h, name, alg, flags, data, len, sig, &n));
	assert_true(n > 0 && n <= TE_HSM_SIG_MAX);
	return n;
}

static int list_has(te_hsm *h, const char *name, te_hsm_key_info *found)
{
	te_hsm_key_info *keys = NULL;
	size_t n = 0;
	int hit = 0;

	OK(te_hsm_key_list(h, &keys, &n));
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(keys[i - 1].name, keys[i].name) >= 0) {
			free(keys);
			fail_msg("te_hsm_key_list not sorted: \"%s\" before \"%s\"",
			         keys[i - 1].name, keys[i].name);
		}
		if (strcmp(keys[i].name, name) == 0) {
			hit = 1;
			if (found != NULL)
				*found = keys[i];
		}
	}
	free(keys);
	return hit;
}

static void check_pkey_type(const ktype *kt, EVP_PKEY *pkey)
{
	char group[64] = "";
	size_t glen = 0;

	switch (kt->type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
		assert_true(EVP_PKEY_is_a(pkey, "EC"));
		assert_true(EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen));
		assert_string_equal(group,
		                    kt->type == TE_HSM_KEY_EC_P256 ? "prime256v1" : "secp384r1");
		break;
	case TE_HSM_KEY_ED25519:
		assert_true(EVP_PKEY_is_a(pkey, "ED25519"));
		break;
	default:
		assert_true(EVP_PKEY_is_a(pkey, "RSA"));
		assert_int_equal(EVP_PKEY_get_bits(pkey), kt->rsa_bits);
		break;
	}
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7u);
}

static int is_prehashable(te_hsm_alg alg)
{
	return alg == TE_HSM_ALG_ECDSA_SHA256 || alg == TE_HSM_ALG_ECDSA_SHA384 ||
	       alg == TE_HSM_ALG_RSA_PSS_SHA256 || alg == TE_HSM_ALG_RSA_PKCS1_SHA256;
}

static int is_deterministic(te_hsm_alg alg)
{
	return alg == TE_HSM_ALG_RSA_PKCS1_SHA256 || alg == TE_HSM_ALG_ED25519 ||
	       alg == TE_HSM_ALG_HMAC_SHA256;
}

/* ---- the "keys" group: one fixture key per type --------------------------- */

static int keys_setup(void **state)
{
	if (group_open(state) != 0)
		return -1;
	for (size_t i = 0; i < N_KT; i++) {
		const ktype *kt = &KT[i];
		te_hsm_key_attrs a = attrs_of(kt->type, kt->usage, 0);

		/* RSA-4096 generation is slow everywhere: import one made once. */
		if (kt->type == TE_HSM_KEY_RSA_4096)
			g.fixture_rc[kt->type] = import_ossl(g.hsm, kt->fixture, ossl_key(kt->type),
			                                     kt->type, kt->usage, 0);
		else
			g.fixture_rc[kt->type] = te_hsm_key_create(g.hsm, kt->fixture, &a);
		if (g.fixture_rc[kt->type] != TE_OK)
			print_error("fixture %s: %s (%s)\n", kt->fixture,
			            te_err_name(g.fixture_rc[kt->type]), te_err_detail());
	}
	return 0;
}

/* create, exists, info, list, names; and for types cheap to make, a full
 * create / export / delete cycle with default usage. */
static void test_lifecycle(void **state)
{
	const ktype *kt = *state;
	te_hsm_key_info info, listed;
	te_hsm_key_type parsed = TE_HSM_KEY_NONE;
	char name[64];

	assert_string_equal(te_hsm_key_type_name(kt->type), kt->label);
	OK(te_hsm_key_type_parse(kt->label, &parsed));
	assert_int_equal(parsed, kt->type);
	assert_int_equal(te_hsm_key_type_is_secret(kt->type), kt->secret);

	need_fixture(kt);
	assert_int_equal(te_hsm_key_exists(g.hsm, kt->fixture), 1);
	memset(&info, 0xa5, sizeof(info));
	OK(te_hsm_key_info_get(g.hsm, kt->fixture, &info));
	assert_string_equal(info.name, kt->fixture);
	assert_int_equal(info.type, kt->type);
	assert_int_equal(info.usage, kt->usage);
	assert_int_equal(info.exportable, 0);
	assert_true(list_has(g.hsm, kt->fixture, &listed));
	assert_int_equal(listed.type, kt->type);
	assert_int_equal(listed.usage, kt->usage);
	assert_int_equal(listed.exportable, 0);

	if (kt->rsa_bits != 0)
		return; /* RSA keys are made once; deleted in test_fixtures_delete */

	key_name(name, sizeof(name), "t-lc", kt->label);
	te_hsm_key_attrs a = attrs_of(kt->type, 0, 1);
	te_err crc = te_hsm_key_create(g.hsm, name, &a);
	if (exportable_refused(crc, kt)) {
		a.exportable = 0;
		crc = te_hsm_key_create(g.hsm, name, &a);
	}
	OK(crc);
	assert_int_equal(te_hsm_key_exists(g.hsm, name), 1);
	OK(te_hsm_key_info_get(g.hsm, name, &info));
	assert_int_equal(info.type, kt->type);
	assert_int_not_equal(te_hsm_key_type_default_usage(kt->type), 0);
	assert_int_equal(info.usage, te_hsm_key_type_default_usage(kt->type));
	assert_int_equal(info.exportable, a.exportable);

	/* A created exportable key exports what the backend uses. */
	te_buf b;
	te_buf_init(&b, 1);
	if (!a.exportable) {
		EXPECT(te_hsm_key_export(g.hsm, name, &b), TE_ERR_PERMISSION);
	} else if ((crc = te_hsm_key_export(g.hsm, name, &b)) != TE_OK) {
		OK(crc);
	} else if (kt->type == TE_HSM_KEY_AES_256_GCM) {
		assert_int_equal(b.len, 32);
	} else if (kt->secret) {
		assert_true(b.len >= 16 && b.len <= TE_HSM_HMAC_KEY_MAX);
	} else {
		EVP_PKEY *priv = cu_priv_from_pem(b.data, b.len), *evp = NULL;
		assert_non_null(priv);
		OK(te_hsm_key_evp(g.hsm, name, &evp));
		assert_int_equal(EVP_PKEY_eq(priv, evp), 1);
		check_pkey_type(kt, priv);
		EVP_PKEY_free(priv);
		EVP_PKEY_free(evp);
	}
	te_buf_free(&b);

	OK(te_hsm_key_delete(g.hsm, name));
	assert_int_equal(te_hsm_key_exists(g.hsm, name), 0);
	EXPECT(te_hsm_key_info_get(g.hsm, name, &info), TE_ERR_NOT_FOUND);
	EXPECT(te_hsm_key_delete(g.hsm, name), TE_ERR_NOT_FOUND);
	assert_false(list_has(g.hsm, name, NULL));
}

/* Public export in PEM and DER agrees with OpenSSL's view of the key. */
static void test_public(void **state)
{
	const ktype *kt = *state;
	te_buf pem, der;
	EVP_PKEY *from_pem, *from_der, *evp = NULL;
	uint8_t *evp_der = NULL;
	size_t evp_der_len = 0;
	static const char prefix[] = "-----BEGIN PUBLIC KEY-----";

	need_fixture(kt);
	te_buf_init(&pem, 0);
	if (kt->secret) {
		REFUSED(te_hsm_key_public(g.hsm, kt->fixture, TE_HSM_PUB_PEM, &pem));
		assert_int_equal(pem.len, 0);
		te_buf_free(&pem);
		return;
	}
	/* Output is appended: what the buffer held stays in front. */
	OK(te_buf_append(&pem, "XY", 2));
	OK(te_hsm_key_public(g.hsm, kt->fixture, TE_HSM_PUB_PEM, &pem));
	assert_true(pem.len > 2 + sizeof(prefix));
	assert_memory_equal(pem.data, "XY", 2);
	assert_memory_equal(pem.data + 2, prefix, sizeof(prefix) - 1);
	from_pem = cu_pub_from_pem(pem.data + 2, pem.len - 2);
	assert_non_null(from_pem);

	te_buf_init(&der, 0);
	OK(te_hsm_key_public(g.hsm, kt->fixture, TE_HSM_PUB_DER, &der));
	from_der = cu_pub_from_der(der.data, der.len);
	assert_non_null(from_der);
	assert_int_equal(EVP_PKEY_eq(from_pem, from_der), 1);
	check_pkey_type(kt, from_der);

	OK(te_hsm_key_evp(g.hsm, kt->fixture, &evp));
	assert_int_equal(EVP_PKEY_eq(evp, from_der), 1);
	assert_true(cu_pub_der(evp, &evp_der, &evp_der_len));
	assert_int_equal(evp_der_len, der.len);
	assert_memory_equal(evp_der, der.data, der.len);

	OPENSSL_free(evp_der);
	EVP_PKEY_free(evp);
	EVP_PKEY_free(from_pem);
	EVP_PKEY_free(from_der);
	te_buf_free(&pem);
	te_buf_free(&der);
}

/* te_hsm_key_evp hands OpenSSL a usable key, and refuses secret keys. */
static void test_key_evp(void **state)
{
	const ktype *kt = *state;
	EVP_PKEY *evp = NULL;
	uint8_t *sig = NULL;
	size_t n = 0;

	need_fixture(kt);
	if (kt->secret) {
		REFUSED(te_hsm_key_evp(g.hsm, kt->fixture, &evp));
		assert_null(evp);
		return;
	}
	OK(te_hsm_key_evp(g.hsm, kt->fixture, &evp));
	assert_non_null(evp);
	check_pkey_type(kt, evp);
	/* The private operation works through OpenSSL, and the backend agrees. */
	assert_true(cu_sign(evp, kt->algs[0], MSG, strlen(MSG), &sig, &n));
	OK(te_hsm_key_verify(g.hsm, kt->fixture, kt->algs[0], 0, MSG, strlen(MSG), sig, n));
	free(sig);
	EVP_PKEY_free(evp);
}

/* Independent checks of one signature: OpenSSL in process and openssl(1). */
static void check_sig_independently(const ktype *kt, te_hsm_alg alg, EVP_PKEY *pub,
                                    const te_buf *pem, const void *msg, size_t len,
                                    const uint8_t *sig, size_t n)
{
	uint8_t bad[TE_HSM_SIG_MAX];
	int cli;

	if (kt->secret)
		return;
	memcpy(bad, sig, n);
	bad[n / 2] ^= 0x01;
	assert_int_equal(cu_verify(pub, alg, msg, len, sig, n), 1);
	assert_int_equal(cu_verify(pub, alg, msg, len, bad, n), 0);
	if (!g.have_cli)
		return;
	cli = cu_cli_verify(g.work, alg, pem->data, pem->len, msg, len, sig, n);
	if (cli != 0)
		fail_msg("openssl(1) rejected a %s %s signature (exit %d)", kt->label,
		         te_hsm_alg_name(alg), cli);
	cli = cu_cli_verify(g.work, alg, pem->data, pem->len, msg, len, bad, n);
	assert_true(cli > 0);
}

static void check_sign_alg(const ktype *kt, te_hsm_alg alg, EVP_PKEY *pub, const te_buf *pem)
{
	uint8_t sig[TE_HSM_SIG_MAX], sig2[TE_HSM_SIG_MAX], bad[TE_HSM_SIG_MAX];
	uint8_t digest[EVP_MAX_MD_SIZE];
	size_t n, n2, need, dlen = 0;
	static const char other[] = "another message";
	uint8_t big[65536];

	n = hsm_sign(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig);
	OK(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig, n));
	check_sig_independently(kt, alg, pub, pem, MSG, strlen(MSG), sig, n);

	/* Flipped, truncated, or for another message: not valid. */
	memcpy(bad, sig, n);
	bad[n / 2] ^= 0x01;
	EXPECT(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), bad, n),
	       TE_ERR_VERIFY_FAILED);
	bad[n / 2] ^= 0x01;
	bad[n - 1] ^= 0x80;
	EXPECT(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), bad, n),
	       TE_ERR_VERIFY_FAILED);
	EXPECT(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig, n - 1),
	       TE_ERR_VERIFY_FAILED);
	EXPECT(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, other, strlen(other), sig, n),
	       TE_ERR_VERIFY_FAILED);

	/* Deterministic schemes give the same bytes twice. */
	if (is_deterministic(alg)) {
		n2 = hsm_sign(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig2);
		assert_int_equal(n, n2);
		assert_memory_equal(sig, sig2, n);
	}

	/* Too little room: the size needed, and that size is enough. */
	need = 1;
	EXPECT(te_hsm_key_sign(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig2, &need),
	       TE_ERR_BUFFER_TOO_SMALL);
	assert_true(need >= n && need <= TE_HSM_SIG_MAX);
	n2 = 0;
	EXPECT(te_hsm_key_sign(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig2, &n2),
	       TE_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(n2, need);
	n2 = need;
	OK(te_hsm_key_sign(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig2, &n2));
	assert_true(n2 <= need);
	OK(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig2, n2));

	/* Empty and large messages. */
	n2 = hsm_sign(g.hsm, kt->fixture, alg, 0, big, 0, sig2);
	OK(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, big, 0, sig2, n2));
	if (!kt->secret)
		assert_int_equal(cu_verify(pub, alg, big, 0, sig2, n2), 1);
	fill(big, sizeof(big), 3);
	n2 = hsm_sign(g.hsm, kt->fixture, alg, 0, big, sizeof(big), sig2);
	OK(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, big, sizeof(big), sig2, n2));
	if (!kt->secret)
		assert_int_equal(cu_verify(pub, alg, big, sizeof(big), sig2, n2), 1);

	/* Prehashed: signing the digest is signing the message. */
	if (!is_prehashable(alg)) {
		memset(digest, 0x42, 32);
		n2 = TE_HSM_SIG_MAX;
		NOT_APPLICABLE(te_hsm_key_sign(g.hsm, kt->fixture, alg, TE_HSM_SIGN_PREHASHED,
		                               digest, 32, sig2, &n2));
		return;
	}
	assert_true(cu_digest(alg, MSG, strlen(MSG), digest, &dlen));
	n2 = hsm_sign(g.hsm, kt->fixture, alg, TE_HSM_SIGN_PREHASHED, digest, dlen, sig2);
	assert_int_equal(cu_verify(pub, alg, MSG, strlen(MSG), sig2, n2), 1);
	OK(te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig2, n2));
	OK(te_hsm_key_verify(g.hsm, kt->fixture, alg, TE_HSM_SIGN_PREHASHED, digest, dlen, sig, n));
	EXPECT(
	    te_hsm_key_verify(g.hsm, kt->fixture, alg, TE_HSM_SIGN_PREHASHED, digest, dlen, bad, n),
	    TE_ERR_VERIFY_FAILED);
	if (is_deterministic(alg)) {
		assert_int_equal(n, n2);
		assert_memory_equal(sig, sig2, n);
	}
	/* A "digest" of the wrong length is not one. */
	n2 = TE_HSM_SIG_MAX;
	REFUSED(te_hsm_key_sign(g.hsm, kt->fixture, alg, TE_HSM_SIGN_PREHASHED, digest, dlen - 1,
	                        sig2, &n2));
	n2 = TE_HSM_SIG_MAX;
	REFUSED(te_hsm_key_sign(g.hsm, kt->fixture, alg, TE_HSM_SIGN_PREHASHED, digest, dlen + 1,
	                        sig2, &n2));
}

/* ALG_DEFAULT is the natural algorithm of the type. */
static void check_default_alg(const ktype *kt, EVP_PKEY *pub)
{
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n = hsm_sign(g.hsm, kt->fixture, TE_HSM_ALG_DEFAULT, 0, MSG, strlen(MSG), sig);

	OK(te_hsm_key_verify(g.hsm, kt->fixture, TE_HSM_ALG_DEFAULT, 0, MSG, strlen(MSG), sig, n));
	if (kt->natural != TE_HSM_ALG_DEFAULT) {
		OK(te_hsm_key_verify(g.hsm, kt->fixture, kt->natural, 0, MSG, strlen(MSG), sig, n));
		if (!kt->secret)
			assert_int_equal(cu_verify(pub, kt->natural, MSG, strlen(MSG), sig, n), 1);
		return;
	}
	/* RSA: either scheme may be the default, but it must be one of them. */
	int pss = cu_verify(pub, TE_HSM_ALG_RSA_PSS_SHA256, MSG, strlen(MSG), sig, n);
	int pkcs1 = cu_verify(pub, TE_HSM_ALG_RSA_PKCS1_SHA256, MSG, strlen(MSG), sig, n);
	assert_true(pss || pkcs1);
	OK(te_hsm_key_verify(g.hsm, kt->fixture,
	                     pss ? TE_HSM_ALG_RSA_PSS_SHA256 : TE_HSM_ALG_RSA_PKCS1_SHA256, 0, MSG,
	                     strlen(MSG), sig, n));
}

static void test_sign_verify(void **state)
{
	const ktype *kt = *state;
	EVP_PKEY *pub = NULL;
	te_buf pem;
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n = sizeof(sig);

	need_fixture(kt);
	if (kt->n_algs == 0) {
		/* Not a signing key type (and not a signing usage). */
		REFUSED(te_hsm_key_sign(g.hsm, kt->fixture, TE_HSM_ALG_DEFAULT, 0, MSG, strlen(MSG),
		                        sig, &n));
		return;
	}
	te_buf_init(&pem, 0);
	if (!kt->secret) {
		OK(te_hsm_key_public(g.hsm, kt->fixture, TE_HSM_PUB_PEM, &pem));
		pub = cu_pub_from_pem(pem.data, pem.len);
		assert_non_null(pub);
	}
	for (size_t i = 0; i < kt->n_algs; i++)
		check_sign_alg(kt, kt->algs[i], pub, &pem);
	check_default_alg(kt, pub);
	EVP_PKEY_free(pub);
	te_buf_free(&pem);
}

/* Algorithms of other key types are refused, as are unknown ones. */
static void test_sign_foreign_alg(void **state)
{
	const ktype *kt = *state;
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n;

	need_fixture(kt);
	if (kt->n_algs == 0)
		return; /* no sign usage: covered by test_sign_verify */
	memset(sig, 0x11, sizeof(sig));
	for (size_t i = 0; i < sizeof(SIGN_ALGS) / sizeof(SIGN_ALGS[0]); i++) {
		te_hsm_alg alg = SIGN_ALGS[i];
		int applies = 0;

		for (size_t j = 0; j < kt->n_algs; j++)
			applies |= kt->algs[j] == alg;
		if (applies)
			continue;
		n = sizeof(sig);
		NOT_APPLICABLE(
		    te_hsm_key_sign(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig, &n));
		NOT_APPLICABLE(
		    te_hsm_key_verify(g.hsm, kt->fixture, alg, 0, MSG, strlen(MSG), sig, 64));
	}
	n = sizeof(sig);
	NOT_APPLICABLE(
	    te_hsm_key_sign(g.hsm, kt->fixture, TE_HSM_ALG__COUNT, 0, MSG, strlen(MSG), sig, &n));
	n = sizeof(sig);
	NOT_APPLICABLE(
	    te_hsm_key_sign(g.hsm, kt->fixture, (te_hsm_alg)1000, 0, MSG, strlen(MSG), sig, &n));
	n = sizeof(sig);
	NOT_APPLICABLE(
	    te_hsm_key_sign(g.hsm, kt->fixture, kt->algs[0], 0x80u, MSG, strlen(MSG), sig, &n));
}

static void check_import_asym(const ktype *kt, cu_key_format fmt, int detect)
{
	static const char *const fmt_names[] = {"p8pem", "tradpem", "p8der", "tradder"};
	EVP_PKEY *orig = ossl_key(kt->type), *pub;
	te_hsm_key_attrs a = attrs_of(detect ? TE_HSM_KEY_NONE : kt->type, 0, 0);
	te_hsm_key_info info;
	uint8_t *mat = NULL, sig[TE_HSM_SIG_MAX];
	size_t len = 0, n;
	char name[64], suffix[32];

	snprintf(suffix, sizeof(suffix), "%s-%s", fmt_names[fmt], detect ? "auto" : "typed");
	snprintf(name, sizeof(name), "t-im-%s-%s", kt->label, suffix);
	assert_true(cu_priv_encode(orig, fmt, &mat, &len));
	OK(te_hsm_key_import(g.hsm, name, &a, mat, len));
	free(mat);

	OK(te_hsm_key_info_get(g.hsm, name, &info));
	assert_int_equal(info.type, kt->type);
	assert_int_equal(info.usage, te_hsm_key_type_default_usage(kt->type));
	assert_int_equal(info.exportable, 0);
	pub = hsm_pub(g.hsm, name);
	assert_int_equal(EVP_PKEY_eq(pub, orig), 1);
	EVP_PKEY_free(pub);
	if (info.usage & TE_HSM_USAGE_SIGN) {
		n = hsm_sign(g.hsm, name, kt->algs[0], 0, MSG, strlen(MSG), sig);
		assert_int_equal(cu_verify(orig, kt->algs[0], MSG, strlen(MSG), sig, n), 1);
	}
	OK(te_hsm_key_delete(g.hsm, name));
}

static void check_import_mismatch(const ktype *kt)
{
	EVP_PKEY *orig = ossl_key(kt->type);
	uint8_t *mat = NULL;
	size_t len = 0;
	const char *name = "t-im-mismatch";

	assert_true(cu_priv_encode(orig, CU_PKCS8_PEM, &mat, &len));
	for (size_t i = 0; i < N_KT; i++) {
		te_hsm_key_attrs a = attrs_of(KT[i].type, 0, 0);

		if (KT[i].type == kt->type || KT[i].secret)
			continue;
		REFUSED(te_hsm_key_import(g.hsm, name, &a, mat, len));
		assert_int_equal(te_hsm_key_exists(g.hsm, name), 0);
	}
	free(mat);
}

static void check_import_garbage(void)
{
	EVP_PKEY *orig = ossl_key(TE_HSM_KEY_EC_P256);
	te_hsm_key_attrs a = attrs_of(TE_HSM_KEY_NONE, 0, 0);
	static const char junk[32] = "this is not a key";
	uint8_t *mat = NULL, *pubder = NULL;
	size_t len = 0, publen = 0;
	const char *name = "t-im-garbage";

	REFUSED(te_hsm_key_import(g.hsm, name, &a, junk, strlen(junk)));
	assert_true(cu_priv_encode(orig, CU_PKCS8_DER, &mat, &len));
	REFUSED(te_hsm_key_import(g.hsm, name, &a, mat, len / 2));
	mat[len / 2] ^= 0xff;
	REFUSED(te_hsm_key_import(g.hsm, name, &a, mat, len));
	free(mat);
	assert_true(cu_priv_encode(orig, CU_PKCS8_PEM, &mat, &len));
	mat[40] = '*'; /* not base64 */
	REFUSED(te_hsm_key_import(g.hsm, name, &a, mat, len));
	free(mat);
	/* A public key is not key material. */
	assert_true(cu_pub_der(orig, &pubder, &publen));
	REFUSED(te_hsm_key_import(g.hsm, name, &a, pubder, publen));
	OPENSSL_free(pubder);
	/* Raw bytes cannot have their type detected. */
	REFUSED(te_hsm_key_import(g.hsm, name, &a, junk, 32));
	assert_int_equal(te_hsm_key_exists(g.hsm, name), 0);
}

static void check_import_secret(const ktype *kt)
{
	uint8_t key[TE_HSM_HMAC_KEY_MAX + 1], out[256], want[32], iv[12] = {0};
	te_hsm_key_info info;
	size_t n;
	const char *name = "t-im-secret";

	fill(key, sizeof(key), 0x42);
	if (kt->type == TE_HSM_KEY_HMAC_SHA256) {
		static const size_t good[] = {1, 20, 32, 64, 65, 200, TE_HSM_HMAC_KEY_MAX};
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			OK(import_raw(g.hsm, name, kt->type, 0, 0, key, good[i]));
			OK(te_hsm_key_info_get(g.hsm, name, &info));
			assert_int_equal(info.type, kt->type);
			assert_int_equal(info.usage, te_hsm_key_type_default_usage(kt->type));
			n = sizeof(out);
			OK(te_hsm_key_sign(g.hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG),
			                   out, &n));
			assert_true(cu_hmac_sha256(key, good[i], MSG, strlen(MSG), want));
			assert_int_equal(n, 32);
			assert_memory_equal(out, want, 32);
			OK(te_hsm_key_delete(g.hsm, name));
		}
		REFUSED(import_raw(g.hsm, name, kt->type, 0, 0, key, 0));
		REFUSED(import_raw(g.hsm, name, kt->type, 0, 0, key, TE_HSM_HMAC_KEY_MAX + 1));
	} else {
		static const size_t bad[] = {0, 16, 24, 31, 33, 64};
		OK(import_raw(g.hsm, name, kt->type, 0, 0, key, 32));
		OK(te_hsm_key_info_get(g.hsm, name, &info));
		assert_int_equal(info.type, kt->type);
		assert_int_equal(info.usage, te_hsm_key_type_default_usage(kt->type));
		n = sizeof(out);
		OK(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, NULL, 0, MSG,
		                      strlen(MSG), out, &n));
		assert_int_equal(n, strlen(MSG) + 16);
		assert_true(cu_gcm_decrypt(key, iv, NULL, 0, out, n, out));
		assert_memory_equal(out, MSG, strlen(MSG));
		OK(te_hsm_key_delete(g.hsm, name));
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			REFUSED(import_raw(g.hsm, name, kt->type, 0, 0, key, bad[i]));
	}
	assert_int_equal(te_hsm_key_exists(g.hsm, name), 0);
}

static void test_import(void **state)
{
	const ktype *kt = *state;

	need_fixture(kt);
	if (kt->secret) {
		check_import_secret(kt);
		return;
	}
	for (int f = CU_PKCS8_PEM; f <= CU_TRAD_DER; f++) {
		if (kt->type == TE_HSM_KEY_ED25519 && f == CU_TRAD_PEM)
			continue; /* Ed25519 has no traditional PEM form */
		check_import_asym(kt, (cu_key_format)f, 1);
		check_import_asym(kt, (cu_key_format)f, 0);
	}
	check_import_mismatch(kt);
	if (kt->type == TE_HSM_KEY_EC_P256)
		check_import_garbage();
}

/* Export: refused unless exportable; exportable keys give back their bytes. */
static void test_export(void **state)
{
	const ktype *kt = *state;
	te_buf b;
	uint8_t key[32], *sig = NULL;
	size_t n = 0;
	const char *name = "t-ex-key";
	static const char prefix[] = "-----BEGIN PRIVATE KEY-----";

	need_fixture(kt);
	te_buf_init(&b, 1);
	EXPECT(te_hsm_key_export(g.hsm, kt->fixture, &b), TE_ERR_PERMISSION);
	assert_int_equal(b.len, 0);

	if (kt->secret) {
		fill(key, sizeof(key), 0x99);
		OK(import_raw(g.hsm, name, kt->type, 0, 1, key, sizeof(key)));
		OK(te_hsm_key_export(g.hsm, name, &b));
		assert_int_equal(b.len, sizeof(key));
		assert_memory_equal(b.data, key, sizeof(key));
	} else {
		EVP_PKEY *orig = ossl_key(kt->type), *priv;
		te_err irc = import_ossl(g.hsm, name, orig, kt->type, 0, 1);
		if (exportable_refused(irc, kt)) {
			te_buf_free(&b);
			return;
		}
		OK(irc);
		OK(te_hsm_key_export(g.hsm, name, &b));
		assert_true(b.len > sizeof(prefix));
		assert_memory_equal(b.data, prefix, sizeof(prefix) - 1);
		priv = cu_priv_from_pem(b.data, b.len);
		assert_non_null(priv);
		assert_int_equal(EVP_PKEY_eq(priv, orig), 1);
		/* The exported private half is the one the backend signs with. */
		assert_true(cu_sign(priv, kt->algs[0], MSG, strlen(MSG), &sig, &n));
		OK(te_hsm_key_verify(g.hsm, name, kt->algs[0], 0, MSG, strlen(MSG), sig, n));
		free(sig);
		EVP_PKEY_free(priv);
	}
	te_buf_free(&b);
	OK(te_hsm_key_delete(g.hsm, name));
}

/* Runs decrypt expecting DECRYPT_FAILED and checks out was not touched. */
static void check_decrypt_fails(const char *name, te_hsm_alg alg, const uint8_t *iv, size_t iv_len,
                                const uint8_t *aad, size_t aad_len, const uint8_t *in,
                                size_t in_len, const char *what)
{
	uint8_t out[1024], canary[1024];
	size_t n = sizeof(out);
	te_err rc;

	memset(out, 0x5a, sizeof(out));
	memcpy(canary, out, sizeof(out));
	rc = te_hsm_key_decrypt(g.hsm, name, alg, iv, iv_len, aad, aad_len, in, in_len, out, &n);
	if (rc != TE_ERR_DECRYPT_FAILED)
		fail_msg("decrypt with %s: %s (%s), expected TE_ERR_DECRYPT_FAILED", what,
		         te_err_name(rc), te_err_detail());
	if (memcmp(out, canary, sizeof(out)) != 0)
		fail_msg("decrypt with %s failed but wrote to the output", what);
}

static void check_gcm(const ktype *kt)
{
	uint8_t pt[100], aad[20], iv[12], ct[200], ct2[200], back[200], bad[200];
	uint8_t key[32];
	size_t n, n2, need;
	const char *name = kt->fixture;

	fill(pt, sizeof(pt), 1);
	fill(aad, sizeof(aad), 2);
	OK(te_hsm_random(g.hsm, iv, sizeof(iv)));

	need = 1;
	EXPECT(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, pt,
	                          sizeof(pt), ct, &need),
	       TE_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(need, sizeof(pt) + TE_HSM_GCM_TAG_LEN);
	n = need;
	OK(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, pt, sizeof(pt),
	                      ct, &n));
	assert_int_equal(n, sizeof(pt) + TE_HSM_GCM_TAG_LEN);
	/* Same key, iv and input: same output; DEFAULT is GCM for this type. */
	n2 = sizeof(ct2);
	OK(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_DEFAULT, iv, 12, aad, 20, pt, sizeof(pt), ct2,
	                      &n2));
	assert_int_equal(n2, n);
	assert_memory_equal(ct, ct2, n);

	need = 10;
	EXPECT(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, ct, n, back,
	                          &need),
	       TE_ERR_BUFFER_TOO_SMALL);
	assert_true(need >= sizeof(pt));
	n2 = need;
	OK(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, ct, n, back,
	                      &n2));
	assert_int_equal(n2, sizeof(pt));
	assert_memory_equal(back, pt, sizeof(pt));

	/* Wrong aad, missing aad, tampered ciphertext and tag, wrong iv. */
	aad[0] ^= 1;
	check_decrypt_fails(name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, ct, n, "wrong aad");
	aad[0] ^= 1;
	check_decrypt_fails(name, TE_HSM_ALG_AES_256_GCM, iv, 12, NULL, 0, ct, n, "no aad");
	check_decrypt_fails(name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 19, ct, n, "short aad");
	memcpy(bad, ct, n);
	bad[5] ^= 0x10;
	check_decrypt_fails(name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, bad, n,
	                    "tampered ciphertext");
	memcpy(bad, ct, n);
	bad[n - 1] ^= 0x01;
	check_decrypt_fails(name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, bad, n, "tampered tag");
	check_decrypt_fails(name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, ct, n - 1,
	                    "truncated tag");
	iv[11] ^= 1;
	check_decrypt_fails(name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, ct, n, "wrong iv");
	iv[11] ^= 1;

	/* Input shorter than a tag cannot be valid either way. */
	n2 = sizeof(back);
	EXPECT2(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, ct,
	                           TE_HSM_GCM_TAG_LEN - 1, back, &n2),
	        TE_ERR_DECRYPT_FAILED, TE_ERR_INVALID_ARG);

	/* Empty plaintext: just a tag. */
	n = sizeof(ct);
	OK(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, pt, 0, ct, &n));
	assert_int_equal(n, TE_HSM_GCM_TAG_LEN);
	n2 = sizeof(back);
	OK(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, ct, n, back,
	                      &n2));
	assert_int_equal(n2, 0);

	/* The API takes 12-byte IVs only; other algorithms do not apply. */
	n = sizeof(ct);
	NOT_APPLICABLE(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 8, aad, 20, pt,
	                                  sizeof(pt), ct, &n));
	n = sizeof(ct);
	uint8_t iv16[16] = {0};
	NOT_APPLICABLE(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv16, 16, aad, 20,
	                                  pt, sizeof(pt), ct, &n));
	n = sizeof(ct);
	NOT_APPLICABLE(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, iv, 12, aad, 20,
	                                  pt, sizeof(pt), ct, &n));
	n = sizeof(ct);
	NOT_APPLICABLE(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_ECDSA_SHA256, iv, 12, aad, 20, pt,
	                                  sizeof(pt), ct, &n));

	/* Independent check: a key with known bytes, decrypted by OpenSSL. */
	fill(key, sizeof(key), 0x3c);
	OK(import_raw(g.hsm, "t-gcm-known", kt->type, U_E, 0, key, sizeof(key)));
	n = sizeof(ct);
	OK(te_hsm_key_encrypt(g.hsm, "t-gcm-known", TE_HSM_ALG_AES_256_GCM, iv, 12, aad, 20, pt,
	                      sizeof(pt), ct, &n));
	assert_true(cu_gcm_decrypt(key, iv, aad, 20, ct, n, back));
	assert_memory_equal(back, pt, sizeof(pt));
	OK(te_hsm_key_delete(g.hsm, "t-gcm-known"));
}

static void check_oaep(const ktype *kt)
{
	uint8_t pt[32], ct[TE_HSM_SIG_MAX], back[TE_HSM_SIG_MAX], bad[TE_HSM_SIG_MAX];
	uint8_t iv[12] = {0}, big[TE_HSM_SIG_MAX];
	uint8_t *ossl_ct = NULL, *ossl_pt = NULL;
	size_t n, n2, need, k = (size_t)kt->rsa_bits / 8, olen = 0;
	EVP_PKEY *pub = hsm_pub(g.hsm, kt->fixture), *evp = NULL;
	const char *name = kt->fixture;

	fill(pt, sizeof(pt), 7);
	need = 1;
	EXPECT(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, pt,
	                          sizeof(pt), ct, &need),
	       TE_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(need, k);
	n = need;
	OK(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, pt,
	                      sizeof(pt), ct, &n));
	assert_int_equal(n, k);
	n2 = sizeof(back);
	OK(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, ct, n,
	                      back, &n2));
	assert_int_equal(n2, sizeof(pt));
	assert_memory_equal(back, pt, sizeof(pt));

	/* OpenSSL decrypts what the backend encrypted ... */
	OK(te_hsm_key_evp(g.hsm, name, &evp));
	assert_true(cu_oaep_decrypt(evp, ct, n, &ossl_pt, &olen));
	assert_int_equal(olen, sizeof(pt));
	assert_memory_equal(ossl_pt, pt, sizeof(pt));
	free(ossl_pt);
	EVP_PKEY_free(evp);
	/* ... and the backend decrypts what OpenSSL encrypted to the public key. */
	assert_true(cu_oaep_encrypt(pub, pt, sizeof(pt), &ossl_ct, &olen));
	n2 = sizeof(back);
	OK(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, ossl_ct,
	                      olen, back, &n2));
	assert_int_equal(n2, sizeof(pt));
	assert_memory_equal(back, pt, sizeof(pt));
	free(ossl_ct);

	/* Too little room to decrypt: told the size, and it is enough. */
	need = 1;
	EXPECT(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, ct, n,
	                          back, &need),
	       TE_ERR_BUFFER_TOO_SMALL);
	assert_true(need >= sizeof(pt) && need <= k);
	n2 = need;
	OK(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, ct, n,
	                      back, &n2));
	assert_int_equal(n2, sizeof(pt));
	assert_memory_equal(back, pt, sizeof(pt));

	memcpy(bad, ct, n);
	bad[n / 2] ^= 0x04;
	check_decrypt_fails(name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, bad, n,
	                    "tampered OAEP ciphertext");

	/* OAEP takes neither iv nor aad; GCM does not apply; too long input. */
	n = sizeof(ct);
	EXPECT(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, iv, 12, NULL, 0, pt,
	                          sizeof(pt), ct, &n),
	       TE_ERR_INVALID_ARG);
	n = sizeof(ct);
	EXPECT(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, iv, 12, pt,
	                          sizeof(pt), ct, &n),
	       TE_ERR_INVALID_ARG);
	n = sizeof(ct);
	NOT_APPLICABLE(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, 12, NULL, 0, pt,
	                                  sizeof(pt), ct, &n));
	fill(big, sizeof(big), 9);
	n = sizeof(ct);
	REFUSED(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, big,
	                           k - 2 * 32 - 1, ct, &n));
	n = sizeof(ct);
	OK(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0, big,
	                      k - 2 * 32 - 2, ct, &n));
	EVP_PKEY_free(pub);
}

static void test_encrypt(void **state)
{
	const ktype *kt = *state;
	uint8_t out[TE_HSM_SIG_MAX + 64], iv[12] = {0};
	size_t n = sizeof(out);

	need_fixture(kt);
	if (kt->type == TE_HSM_KEY_AES_256_GCM) {
		check_gcm(kt);
		return;
	}
	if (kt->rsa_bits != 0) {
		check_oaep(kt);
		return;
	}
	/* EC, Ed25519, HMAC keys do not encrypt (type or usage forbids it). */
	EXPECT3(te_hsm_key_encrypt(g.hsm, kt->fixture, TE_HSM_ALG_DEFAULT, iv, 12, NULL, 0, MSG,
	                           strlen(MSG), out, &n),
	        TE_ERR_UNSUPPORTED, TE_ERR_INVALID_ARG, TE_ERR_PERMISSION);
	n = sizeof(out);
	EXPECT3(te_hsm_key_encrypt(g.hsm, kt->fixture, TE_HSM_ALG_AES_256_GCM, iv, 12, NULL, 0, MSG,
	                           strlen(MSG), out, &n),
	        TE_ERR_UNSUPPORTED, TE_ERR_INVALID_ARG, TE_ERR_PERMISSION);
	n = sizeof(out);
	EXPECT3(te_hsm_key_decrypt(g.hsm, kt->fixture, TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0,
	                           out, 256, out, &n),
	        TE_ERR_UNSUPPORTED, TE_ERR_INVALID_ARG, TE_ERR_PERMISSION);
}

/* Derivation: HMAC-SHA256(base, data) as a new, non-exportable HMAC key. */
static void test_derive(void **state)
{
	uint8_t sa[TE_HSM_SIG_MAX], sb[TE_HSM_SIG_MAX], sa2[TE_HSM_SIG_MAX];
	uint8_t sa_orig[TE_HSM_SIG_MAX], want[32], kd[32];
	uint8_t base[32];
	size_t na, nb, na2;
	te_hsm_key_info info;
	te_buf b;
	static const char da[] = "context alpha", db[] = "context beta";

	(void)state;
	need_fixture(KT_HMAC);
	OK(te_hsm_key_derive(g.hsm, KT_HMAC->fixture, da, strlen(da), "t-dv-a", NULL));
	OK(te_hsm_key_derive(g.hsm, KT_HMAC->fixture, db, strlen(db), "t-dv-b", NULL));
	OK(te_hsm_key_info_get(g.hsm, "t-dv-a", &info));
	assert_int_equal(info.type, TE_HSM_KEY_HMAC_SHA256);
	assert_int_equal(info.usage, TE_HSM_USAGE_SIGN);
	assert_int_equal(info.exportable, 0);

	na = hsm_sign(g.hsm, "t-dv-a", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sa);
	nb = hsm_sign(g.hsm, "t-dv-b", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sb);
	assert_int_equal(na, 32);
	assert_int_equal(nb, 32);
	assert_memory_not_equal(sa, sb, 32); /* different data, different keys */
	EXPECT(
	    te_hsm_key_verify(g.hsm, "t-dv-b", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sa, na),
	    TE_ERR_VERIFY_FAILED);
	/* Same base and data: same key. */
	OK(te_hsm_key_derive(g.hsm, KT_HMAC->fixture, da, strlen(da), "t-dv-a2", NULL));
	na2 = hsm_sign(g.hsm, "t-dv-a2", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sa2);
	assert_int_equal(na2, na);
	assert_memory_equal(sa, sa2, na);
	memcpy(sa_orig, sa, na);

	/* The derived bytes do not leave the backend. */
	te_buf_init(&b, 1);
	EXPECT(te_hsm_key_export(g.hsm, "t-dv-a", &b), TE_ERR_PERMISSION);
	assert_int_equal(b.len, 0);
	te_buf_free(&b);

	/* With an imported base of known bytes, the value is HMAC(base, data). */
	fill(base, sizeof(base), 0x77);
	OK(import_raw(g.hsm, "t-dv-base", TE_HSM_KEY_HMAC_SHA256, U_D, 0, base, sizeof(base)));
	OK(te_hsm_key_derive(g.hsm, "t-dv-base", da, strlen(da), "t-dv-known", NULL));
	assert_true(cu_hmac_sha256(base, sizeof(base), da, strlen(da), kd));
	assert_true(cu_hmac_sha256(kd, sizeof(kd), MSG, strlen(MSG), want));
	na = hsm_sign(g.hsm, "t-dv-known", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sa);
	assert_int_equal(na, 32);
	assert_memory_equal(sa, want, 32);
	/* The base has usage derive only: it does not sign. */
	na = sizeof(sa);
	EXPECT(te_hsm_key_sign(g.hsm, "t-dv-base", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sa,
	                       &na),
	       TE_ERR_PERMISSION);

	/* Nothing is inherited from an exportable base; attrs may ask for export,
	 * and then the bytes are HMAC(base, data). */
	OK(import_raw(g.hsm, "t-dv-xbase", TE_HSM_KEY_HMAC_SHA256, U_D, 1, base, sizeof(base)));
	OK(te_hsm_key_derive(g.hsm, "t-dv-xbase", da, strlen(da), "t-dv-noinherit", NULL));
	OK(te_hsm_key_info_get(g.hsm, "t-dv-noinherit", &info));
	assert_int_equal(info.exportable, 0);
	assert_int_equal(info.usage, TE_HSM_USAGE_SIGN);
	te_buf_init(&b, 1);
	EXPECT(te_hsm_key_export(g.hsm, "t-dv-noinherit", &b), TE_ERR_PERMISSION);
	te_hsm_key_attrs xa = attrs_of(TE_HSM_KEY_NONE, 0, 1);
	OK(te_hsm_key_derive(g.hsm, "t-dv-base", da, strlen(da), "t-dv-exp", &xa));
	OK(te_hsm_key_info_get(g.hsm, "t-dv-exp", &info));
	assert_int_equal(info.exportable, 1);
	OK(te_hsm_key_export(g.hsm, "t-dv-exp", &b));
	assert_int_equal(b.len, sizeof(kd));
	assert_memory_equal(b.data, kd, sizeof(kd));
	te_buf_free(&b);
	/* A derived key signs only: it is not a base itself. */
	EXPECT(te_hsm_key_derive(g.hsm, "t-dv-known", da, strlen(da), "t-dv-x", NULL),
	       TE_ERR_PERMISSION);

	/* Refusals: existing name, missing base, base without derive usage. */
	EXPECT(te_hsm_key_derive(g.hsm, KT_HMAC->fixture, db, strlen(db), "t-dv-a", NULL),
	       TE_ERR_EXISTS);
	na = hsm_sign(g.hsm, "t-dv-a", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sa2);
	assert_memory_equal(sa2, sa_orig, na); /* t-dv-a unchanged */
	EXPECT(te_hsm_key_derive(g.hsm, "t-dv-missing", da, strlen(da), "t-dv-x", NULL),
	       TE_ERR_NOT_FOUND);
	OK(import_raw(g.hsm, "t-dv-nod", TE_HSM_KEY_HMAC_SHA256, U_S, 0, base, sizeof(base)));
	EXPECT(te_hsm_key_derive(g.hsm, "t-dv-nod", da, strlen(da), "t-dv-x", NULL),
	       TE_ERR_PERMISSION);
	if (g.fixture_rc[TE_HSM_KEY_EC_P256] == TE_OK)
		EXPECT(te_hsm_key_derive(g.hsm, KT_EC256->fixture, da, strlen(da), "t-dv-x", NULL),
		       TE_ERR_PERMISSION);
	assert_int_equal(te_hsm_key_exists(g.hsm, "t-dv-x"), 0);
	EXPECT(te_hsm_key_derive(g.hsm, KT_HMAC->fixture, da, strlen(da), "../t-dv-x", NULL),
	       TE_ERR_BAD_NAME);
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void test_random(void **state)
{
	static uint8_t a[8192], b[8192];
	static const size_t sizes[] = {1, 16, 32, 1000, 4096, sizeof(a)};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		OK(te_hsm_random(g.hsm, a, n));
		OK(te_hsm_random(g.hsm, b, n));
		/* Exactly n bytes written. */
		assert_true(all_zero(a + n, sizeof(a) - n));
		if (n >= 16) {
			assert_false(all_zero(a, n));
			assert_memory_not_equal(a, b, n);
		}
	}
}

/* Usage bits are enforced by the backend. */
static void test_usage_enforced(void **state)
{
	EVP_PKEY *rsa = ossl_key(TE_HSM_KEY_RSA_2048);
	uint8_t out[TE_HSM_SIG_MAX], iv[12] = {0};
	size_t n;

	(void)state;
	OK(import_ossl(g.hsm, "t-us-rsa-enc", rsa, TE_HSM_KEY_RSA_2048, U_E, 0));
	OK(import_ossl(g.hsm, "t-us-rsa-sig", rsa, TE_HSM_KEY_RSA_2048, U_S, 0));

	n = sizeof(out);
	EXPECT(te_hsm_key_sign(g.hsm, "t-us-rsa-enc", TE_HSM_ALG_RSA_PSS_SHA256, 0, MSG,
	                       strlen(MSG), out, &n),
	       TE_ERR_PERMISSION);
	n = sizeof(out);
	EXPECT(te_hsm_key_sign(g.hsm, "t-us-rsa-enc", TE_HSM_ALG_DEFAULT, 0, MSG, strlen(MSG), out,
	                       &n),
	       TE_ERR_PERMISSION);
	n = hsm_sign(g.hsm, "t-us-rsa-sig", TE_HSM_ALG_RSA_PSS_SHA256, 0, MSG, strlen(MSG), out);
	EXPECT(te_hsm_key_verify(g.hsm, "t-us-rsa-enc", TE_HSM_ALG_RSA_PSS_SHA256, 0, MSG,
	                         strlen(MSG), out, n),
	       TE_ERR_PERMISSION);

	n = sizeof(out);
	EXPECT(te_hsm_key_encrypt(g.hsm, "t-us-rsa-sig", TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL,
	                          0, MSG, strlen(MSG), out, &n),
	       TE_ERR_PERMISSION);
	n = sizeof(out);
	OK(te_hsm_key_encrypt(g.hsm, "t-us-rsa-enc", TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL, 0,
	                      MSG, strlen(MSG), out, &n));
	size_t n2 = sizeof(out);
	uint8_t back[TE_HSM_SIG_MAX];
	EXPECT(te_hsm_key_decrypt(g.hsm, "t-us-rsa-sig", TE_HSM_ALG_RSA_OAEP_SHA256, NULL, 0, NULL,
	                          0, out, n, back, &n2),
	       TE_ERR_PERMISSION);
	EXPECT(te_hsm_key_derive(g.hsm, "t-us-rsa-sig", "x", 1, "t-us-derived", NULL),
	       TE_ERR_PERMISSION);

	/* An AES key made for encryption does not sign or derive. */
	if (g.fixture_rc[TE_HSM_KEY_AES_256_GCM] == TE_OK) {
		n = sizeof(out);
		EXPECT3(te_hsm_key_sign(g.hsm, KT_AES->fixture, TE_HSM_ALG_HMAC_SHA256, 0, MSG,
		                        strlen(MSG), out, &n),
		        TE_ERR_PERMISSION, TE_ERR_UNSUPPORTED, TE_ERR_INVALID_ARG);
		EXPECT(te_hsm_key_derive(g.hsm, KT_AES->fixture, "x", 1, "t-us-derived", NULL),
		       TE_ERR_PERMISSION);
	}
	/* An HMAC key with sign usage does not encrypt. */
	OK(import_raw(g.hsm, "t-us-hmac", TE_HSM_KEY_HMAC_SHA256, U_S, 0, "0123456789", 10));
	n = sizeof(out);
	EXPECT3(te_hsm_key_encrypt(g.hsm, "t-us-hmac", TE_HSM_ALG_AES_256_GCM, iv, 12, NULL, 0, MSG,
	                           strlen(MSG), out, &n),
	        TE_ERR_PERMISSION, TE_ERR_UNSUPPORTED, TE_ERR_INVALID_ARG);
	assert_int_equal(te_hsm_key_exists(g.hsm, "t-us-derived"), 0);
}

static const char *const BAD_NAMES[] = {"", "../x", "a/b", ".hidden", "a b", NULL /* 129 */};

static void check_bad_name(const char *name)
{
	te_hsm_key_attrs a = attrs_of(TE_HSM_KEY_HMAC_SHA256, 0, 0);
	te_hsm_key_info info;
	te_buf b;
	EVP_PKEY *evp = NULL;
	uint8_t out[TE_HSM_SIG_MAX], iv[12] = {0};
	size_t n = sizeof(out);

	EXPECT(te_hsm_name_check(name), TE_ERR_BAD_NAME);
	EXPECT(te_hsm_key_create(g.hsm, name, &a), TE_ERR_BAD_NAME);
	EXPECT(te_hsm_key_import(g.hsm, name, &a, "0123456789", 10), TE_ERR_BAD_NAME);
	EXPECT(te_hsm_key_info_get(g.hsm, name, &info), TE_ERR_BAD_NAME);
	EXPECT(te_hsm_key_delete(g.hsm, name), TE_ERR_BAD_NAME);
	assert_int_equal(te_hsm_key_exists(g.hsm, name), 0);
	EXPECT(te_hsm_key_sign(g.hsm, name, TE_HSM_ALG_DEFAULT, 0, MSG, 4, out, &n),
	       TE_ERR_BAD_NAME);
	EXPECT(te_hsm_key_verify(g.hsm, name, TE_HSM_ALG_DEFAULT, 0, MSG, 4, out, 32),
	       TE_ERR_BAD_NAME);
	n = sizeof(out);
	EXPECT(
	    te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_DEFAULT, iv, 12, NULL, 0, MSG, 4, out, &n),
	    TE_ERR_BAD_NAME);
	n = sizeof(out);
	EXPECT(
	    te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_DEFAULT, iv, 12, NULL, 0, out, 32, out, &n),
	    TE_ERR_BAD_NAME);
	EXPECT(te_hsm_key_derive(g.hsm, name, "x", 1, "t-bn-derived", NULL), TE_ERR_BAD_NAME);
	if (g.fixture_rc[TE_HSM_KEY_HMAC_SHA256] == TE_OK)
		EXPECT(te_hsm_key_derive(g.hsm, KT_HMAC->fixture, "x", 1, name, NULL),
		       TE_ERR_BAD_NAME);
	te_buf_init(&b, 1);
	EXPECT(te_hsm_key_public(g.hsm, name, TE_HSM_PUB_PEM, &b), TE_ERR_BAD_NAME);
	EXPECT(te_hsm_key_export(g.hsm, name, &b), TE_ERR_BAD_NAME);
	assert_int_equal(b.len, 0);
	te_buf_free(&b);
	EXPECT(te_hsm_key_evp(g.hsm, name, &evp), TE_ERR_BAD_NAME);
	assert_null(evp);
}

static void test_bad_names(void **state)
{
	char longname[TE_HSM_NAME_MAX + 2];
	te_hsm_key_attrs a = attrs_of(TE_HSM_KEY_HMAC_SHA256, 0, 0);
	static const char *const good[] = {"a", "A", "0", "t-x", "t_x", "t.x", "t..x", "T-Key.2_b"};

	(void)state;
	for (size_t i = 0; BAD_NAMES[i] != NULL; i++)
		check_bad_name(BAD_NAMES[i]);
	memset(longname, 'a', sizeof(longname));
	longname[TE_HSM_NAME_MAX + 1] = '\0'; /* 129 characters */
	check_bad_name(longname);
	check_bad_name("t-\xc3\xa9"); /* not ASCII */
	check_bad_name("t-x\n");
	check_bad_name("/abs");
	check_bad_name("~x");
	check_bad_name("t-x*");

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		OK(te_hsm_name_check(good[i]));
	/* The longest allowed name works end to end. */
	memset(longname, 't', sizeof(longname));
	longname[1] = '-';
	longname[TE_HSM_NAME_MAX] = '\0';
	OK(te_hsm_name_check(longname));
	OK(te_hsm_key_create(g.hsm, longname, &a));
	assert_int_equal(te_hsm_key_exists(g.hsm, longname), 1);
	assert_true(list_has(g.hsm, longname, NULL));
	OK(te_hsm_key_delete(g.hsm, longname));
}

static void test_missing_key(void **state)
{
	const char *name = "t-missing";
	te_hsm_key_info info;
	te_buf b;
	EVP_PKEY *evp = NULL;
	uint8_t out[TE_HSM_SIG_MAX], iv[12] = {0};
	size_t n = sizeof(out);

	(void)state;
	assert_int_equal(te_hsm_key_exists(g.hsm, name), 0);
	EXPECT(te_hsm_key_info_get(g.hsm, name, &info), TE_ERR_NOT_FOUND);
	EXPECT(te_hsm_key_delete(g.hsm, name), TE_ERR_NOT_FOUND);
	EXPECT(te_hsm_key_sign(g.hsm, name, TE_HSM_ALG_DEFAULT, 0, MSG, 4, out, &n),
	       TE_ERR_NOT_FOUND);
	EXPECT(te_hsm_key_verify(g.hsm, name, TE_HSM_ALG_DEFAULT, 0, MSG, 4, out, 32),
	       TE_ERR_NOT_FOUND);
	n = sizeof(out);
	EXPECT(
	    te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_DEFAULT, iv, 12, NULL, 0, MSG, 4, out, &n),
	    TE_ERR_NOT_FOUND);
	n = sizeof(out);
	EXPECT(
	    te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_DEFAULT, iv, 12, NULL, 0, out, 32, out, &n),
	    TE_ERR_NOT_FOUND);
	EXPECT(te_hsm_key_derive(g.hsm, name, "x", 1, "t-mk-derived", NULL), TE_ERR_NOT_FOUND);
	te_buf_init(&b, 1);
	EXPECT(te_hsm_key_public(g.hsm, name, TE_HSM_PUB_PEM, &b), TE_ERR_NOT_FOUND);
	EXPECT(te_hsm_key_export(g.hsm, name, &b), TE_ERR_NOT_FOUND);
	assert_int_equal(b.len, 0);
	te_buf_free(&b);
	EXPECT(te_hsm_key_evp(g.hsm, name, &evp), TE_ERR_NOT_FOUND);
	assert_null(evp);
	assert_int_equal(te_hsm_key_exists(g.hsm, "t-mk-derived"), 0);
	/* The detail names the key for whoever logs the error. */
	EXPECT(te_hsm_key_info_get(g.hsm, name, &info), TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), name));
}

/* Existing keys are never overwritten, whatever the attempt. */
static void test_exists_refused(void **state)
{
	te_hsm_key_attrs same = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	te_hsm_key_attrs other = attrs_of(TE_HSM_KEY_AES_256_GCM, 0, 0);
	uint8_t *before = NULL, *after = NULL;
	size_t nb = 0, na = 0;
	te_hsm_key_info info;
	const char *name = KT_EC256->fixture;

	(void)state;
	need_fixture(KT_EC256);
	hsm_pub_der(g.hsm, name, &before, &nb);
	EXPECT(te_hsm_key_create(g.hsm, name, &same), TE_ERR_EXISTS);
	EXPECT(te_hsm_key_create(g.hsm, name, &other), TE_ERR_EXISTS);
	EXPECT(import_ossl(g.hsm, name, ossl_key(TE_HSM_KEY_EC_P256), TE_HSM_KEY_EC_P256, U_S, 0),
	       TE_ERR_EXISTS);
	EXPECT(import_raw(g.hsm, name, TE_HSM_KEY_AES_256_GCM, 0, 0,
	                  "0123456789abcdef0123456789abcdef", 32),
	       TE_ERR_EXISTS);
	if (g.fixture_rc[TE_HSM_KEY_HMAC_SHA256] == TE_OK)
		EXPECT(te_hsm_key_derive(g.hsm, KT_HMAC->fixture, "x", 1, name, NULL),
		       TE_ERR_EXISTS);
	hsm_pub_der(g.hsm, name, &after, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	OK(te_hsm_key_info_get(g.hsm, name, &info));
	assert_int_equal(info.type, TE_HSM_KEY_EC_P256);
	assert_int_equal(info.usage, U_S);
	assert_int_equal(info.exportable, 0);
	free(before);
	free(after);
}

/* te_hsm_open refuses unknown backends and settings, naming the known ones. */
static void test_open_refused(void **state)
{
	te_hsm_setting s[MAX_SETTINGS + 1];
	te_hsm *h = NULL;

	(void)state;
	assert_string_equal(te_hsm_backend_name(g.hsm), g.backend);
	REFUSED(te_hsm_open("no-such-backend", g.settings, g.n_settings, &h));
	assert_null(h);
	assert_non_null(strstr(te_err_detail(), "soft"));
	REFUSED(te_hsm_open("", NULL, 0, &h));
	assert_null(h);

	memcpy(s, g.settings, g.n_settings * sizeof(s[0]));
	s[g.n_settings].key = "no_such_setting";
	s[g.n_settings].value = "1";
	REFUSED(te_hsm_open(g.backend, s, g.n_settings + 1, &h));
	assert_null(h);
	if (strstr(te_err_detail(), "no_such_setting") == NULL)
		print_message("  note: the refusal does not name the bad setting: \"%s\"\n",
		              te_err_detail());
	if (g.is_soft)
		assert_non_null(strstr(te_err_detail(), "store"));
}

/* Deletes every fixture (the only delete of the RSA keys made once). */
static void test_fixtures_delete(void **state)
{
	te_hsm_key_info info;

	(void)state;
	for (size_t i = 0; i < N_KT; i++) {
		const ktype *kt = &KT[i];

		if (g.fixture_rc[kt->type] != TE_OK)
			continue;
		OK(te_hsm_key_delete(g.hsm, kt->fixture));
		assert_int_equal(te_hsm_key_exists(g.hsm, kt->fixture), 0);
		EXPECT(te_hsm_key_info_get(g.hsm, kt->fixture, &info), TE_ERR_NOT_FOUND);
		EXPECT(te_hsm_key_delete(g.hsm, kt->fixture), TE_ERR_NOT_FOUND);
		assert_false(list_has(g.hsm, kt->fixture, NULL));
		g.fixture_rc[kt->type] = TE_ERR_NOT_FOUND;
	}
}

/* ---- known-answer vectors --------------------------------------------- */

/* RFC 4231 section 4, HMAC-SHA-256 test cases 1-4, 6 and 7 (case 5 is a
 * truncated output and does not apply).  Keys and data given as hex, or by
 * a fill byte and length. */
typedef struct hmac_kat {
	int tc;
	const char *key_hex;
	uint8_t key_fill;
	size_t key_len;
	const char *data_str;
	uint8_t data_fill;
	size_t data_len;
	const char *mac_hex;
} hmac_kat;

static const hmac_kat HMAC_KATS[] = {
    {1, NULL, 0x0b, 20, "Hi There", 0, 0,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {2, "4a656665", 0, 0, "what do ya want for nothing?", 0, 0,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {3, NULL, 0xaa, 20, NULL, 0xdd, 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {4, "0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0, NULL, 0xcd, 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {6, NULL, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {7, NULL, 0xaa, 131,
     "This is a test using a larger than block-size key and a larger than block-size "
     "data. The key needs to be hashed before being used by the HMAC algorithm.",
     0, 0, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void test_kat_hmac(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(HMAC_KATS) / sizeof(HMAC_KATS[0]); i++) {
		const hmac_kat *v = &HMAC_KATS[i];
		uint8_t key[256], data[256], sig[TE_HSM_SIG_MAX], *p, *want;
		size_t klen, dlen, wlen, n;
		char name[32];

		if (v->key_hex != NULL) {
			p = tu_hex(v->key_hex, &klen);
			memcpy(key, p, klen);
			free(p);
		} else {
			klen = v->key_len;
			memset(key, v->key_fill, klen);
		}
		if (v->data_str != NULL) {
			dlen = strlen(v->data_str);
			memcpy(data, v->data_str, dlen);
		} else {
			dlen = v->data_len;
			memset(data, v->data_fill, dlen);
		}
		want = tu_hex(v->mac_hex, &wlen);
		snprintf(name, sizeof(name), "t-kat-hmac-%d", v->tc);
		OK(import_raw(g.hsm, name, TE_HSM_KEY_HMAC_SHA256, U_S, 0, key, klen));
		n = hsm_sign(g.hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, data, dlen, sig);
		if (n != wlen || memcmp(sig, want, wlen) != 0)
			fail_msg("RFC 4231 test case %d: wrong HMAC-SHA-256", v->tc);
		n = hsm_sign(g.hsm, name, TE_HSM_ALG_DEFAULT, 0, data, dlen, sig);
		assert_memory_equal(sig, want, wlen);
		OK(te_hsm_key_verify(g.hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, data, dlen, want,
		                     wlen));
		want[0] ^= 1;
		EXPECT(te_hsm_key_verify(g.hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, data, dlen, want,
		                         wlen),
		       TE_ERR_VERIFY_FAILED);
		OK(te_hsm_key_delete(g.hsm, name));
		free(want);
	}
}

/* McGrew & Viega, "The Galois/Counter Mode of Operation", appendix B, test
 * cases 13-16 (AES-256, 96-bit IV).  Cases 17 and 18 use other IV lengths,
 * which the API does not take. */
typedef struct gcm_kat {
	int tc;
	const char *key, *iv, *pt, *aad, *ct, *tag;
} gcm_kat;

#define GCM_K15 "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define GCM_P15                                                                                    \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"                         \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_C15                                                                                    \
	"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"                         \
	"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"

static const gcm_kat GCM_KATS[] = {
    {13, "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {14, "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {15, GCM_K15, "cafebabefacedbaddecaf888", GCM_P15 "1aafd255", "", GCM_C15 "898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {16, GCM_K15, "cafebabefacedbaddecaf888", GCM_P15, "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     GCM_C15, "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_kat_gcm(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(GCM_KATS) / sizeof(GCM_KATS[0]); i++) {
		const gcm_kat *v = &GCM_KATS[i];
		size_t klen, ivlen, ptlen, aadlen, ctlen, taglen, n;
		uint8_t *key = tu_hex(v->key, &klen), *iv = tu_hex(v->iv, &ivlen);
		uint8_t *pt = tu_hex(v->pt, &ptlen), *aad = tu_hex(v->aad, &aadlen);
		uint8_t *ct = tu_hex(v->ct, &ctlen), *tag = tu_hex(v->tag, &taglen);
		uint8_t out[128], back[128];
		char name[32];

		if (ivlen != TE_HSM_GCM_IV_LEN)
			goto next;
		snprintf(name, sizeof(name), "t-kat-gcm-%d", v->tc);
		OK(import_raw(g.hsm, name, TE_HSM_KEY_AES_256_GCM, U_E, 0, key, klen));
		n = sizeof(out);
		OK(te_hsm_key_encrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, ivlen,
		                      aadlen ? aad : NULL, aadlen, pt, ptlen, out, &n));
		if (n != ctlen + taglen || memcmp(out, ct, ctlen) != 0 ||
		    memcmp(out + ctlen, tag, taglen) != 0)
			fail_msg("GCM test case %d: wrong ciphertext or tag", v->tc);
		n = sizeof(back);
		OK(te_hsm_key_decrypt(g.hsm, name, TE_HSM_ALG_AES_256_GCM, iv, ivlen,
		                      aadlen ? aad : NULL, aadlen, out, ctlen + taglen, back, &n));
		assert_int_equal(n, ptlen);
		if (ptlen > 0)
			assert_memory_equal(back, pt, ptlen);
		out[ctlen] ^= 0x80; /* first tag byte */
		check_decrypt_fails(name, TE_HSM_ALG_AES_256_GCM, iv, ivlen, aadlen ? aad : NULL,
		                    aadlen, out, ctlen + taglen, "tampered KAT tag");
		OK(te_hsm_key_delete(g.hsm, name));
	next:
		free(key);
		free(iv);
		free(pt);
		free(aad);
		free(ct);
		free(tag);
	}
}

/* ---- two contexts on one store ---------------------------------------- */

static void test_two_contexts(void **state)
{
	te_hsm *a = g.hsm, *b = open_ctx();
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	te_hsm_key_attrs mac = attrs_of(TE_HSM_KEY_HMAC_SHA256, U_S, 0);
	uint8_t sig[TE_HSM_SIG_MAX], *pa = NULL, *pb = NULL, *pold = NULL;
	size_t n, npa = 0, npb = 0, nold = 0;
	te_hsm_key_info info;

	(void)state;
	/* Created in A: B sees it, signs with it, A verifies. */
	OK(te_hsm_key_create(a, "t-mc-ec", &ec));
	assert_int_equal(te_hsm_key_exists(b, "t-mc-ec"), 1);
	OK(te_hsm_key_info_get(b, "t-mc-ec", &info));
	assert_int_equal(info.type, TE_HSM_KEY_EC_P256);
	assert_true(list_has(b, "t-mc-ec", NULL));
	n = hsm_sign(b, "t-mc-ec", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig);
	OK(te_hsm_key_verify(a, "t-mc-ec", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig, n));
	hsm_pub_der(b, "t-mc-ec", &pold, &nold);

	/* Created in B: A uses it; both refuse to create it again. */
	OK(te_hsm_key_create(b, "t-mc-mac", &mac));
	n = hsm_sign(a, "t-mc-mac", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sig);
	OK(te_hsm_key_verify(b, "t-mc-mac", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sig, n));
	EXPECT(te_hsm_key_create(a, "t-mc-mac", &mac), TE_ERR_EXISTS);
	EXPECT(te_hsm_key_create(b, "t-mc-ec", &ec), TE_ERR_EXISTS);

	/* Deleted in A: gone for B. */
	OK(te_hsm_key_delete(a, "t-mc-ec"));
	assert_int_equal(te_hsm_key_exists(b, "t-mc-ec"), 0);
	n = sizeof(sig);
	EXPECT(te_hsm_key_sign(b, "t-mc-ec", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig, &n),
	       TE_ERR_NOT_FOUND);
	EXPECT(te_hsm_key_info_get(b, "t-mc-ec", &info), TE_ERR_NOT_FOUND);
	assert_false(list_has(b, "t-mc-ec", NULL));

	/* Made again in A under the same name: B uses the new key, not a copy. */
	OK(te_hsm_key_create(a, "t-mc-ec", &ec));
	hsm_pub_der(a, "t-mc-ec", &pa, &npa);
	hsm_pub_der(b, "t-mc-ec", &pb, &npb);
	assert_int_equal(npa, npb);
	assert_memory_equal(pa, pb, npa);
	assert_false(npa == nold && memcmp(pa, pold, npa) == 0);
	n = hsm_sign(b, "t-mc-ec", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig);
	OK(te_hsm_key_verify(a, "t-mc-ec", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig, n));

	OK(te_hsm_key_delete(b, "t-mc-ec"));
	OK(te_hsm_key_delete(b, "t-mc-mac"));
	assert_int_equal(te_hsm_key_exists(a, "t-mc-mac"), 0);
	free(pa);
	free(pb);
	free(pold);
	te_hsm_close(b);
}

/* Closing and reopening keeps every key, with its attributes and bytes. */
static void test_reopen(void **state)
{
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	te_hsm_key_attrs ed = attrs_of(TE_HSM_KEY_ED25519, U_S, 1);
	uint8_t hkey[32], akey[32], sig[TE_HSM_SIG_MAX], want[32], iv[12] = {1};
	uint8_t ct[64], back[64];
	uint8_t *pec = NULL, *ped = NULL, *p2 = NULL;
	size_t nec = 0, ned = 0, n2 = 0, n;
	te_hsm_key_info info;

	(void)state;
	fill(hkey, sizeof(hkey), 0x11);
	fill(akey, sizeof(akey), 0x22);
	te_err edrc;
	int have_ed;

	OK(te_hsm_key_create(g.hsm, "t-ro-ec", &ec));
	/* An exportable asymmetric key keeps its attributes across a reopen;
	 * Ed25519 where the backend has it, else EC P-384 without export. */
	edrc = te_hsm_key_create(g.hsm, "t-ro-ed", &ed);
	have_ed = edrc == TE_OK;
	if (!have_ed && !g.is_soft && edrc == TE_ERR_UNSUPPORTED) {
		ed = attrs_of(TE_HSM_KEY_EC_P384, U_S, 0);
		edrc = te_hsm_key_create(g.hsm, "t-ro-ed", &ed);
	}
	OK(edrc);
	OK(import_raw(g.hsm, "t-ro-hmac", TE_HSM_KEY_HMAC_SHA256, U_S | U_D, 0, hkey,
	              sizeof(hkey)));
	OK(import_raw(g.hsm, "t-ro-aes", TE_HSM_KEY_AES_256_GCM, U_E, 1, akey, sizeof(akey)));
	hsm_pub_der(g.hsm, "t-ro-ec", &pec, &nec);
	hsm_pub_der(g.hsm, "t-ro-ed", &ped, &ned);

	te_hsm_close(g.hsm);
	g.hsm = open_ctx();

	OK(te_hsm_key_info_get(g.hsm, "t-ro-ec", &info));
	assert_int_equal(info.type, TE_HSM_KEY_EC_P256);
	assert_int_equal(info.usage, U_S);
	assert_int_equal(info.exportable, 0);
	OK(te_hsm_key_info_get(g.hsm, "t-ro-ed", &info));
	assert_int_equal(info.type, have_ed ? TE_HSM_KEY_ED25519 : TE_HSM_KEY_EC_P384);
	assert_int_equal(info.exportable, have_ed);
	OK(te_hsm_key_info_get(g.hsm, "t-ro-hmac", &info));
	assert_int_equal(info.type, TE_HSM_KEY_HMAC_SHA256);
	assert_int_equal(info.usage, U_S | U_D);
	OK(te_hsm_key_info_get(g.hsm, "t-ro-aes", &info));
	assert_int_equal(info.type, TE_HSM_KEY_AES_256_GCM);
	assert_int_equal(info.usage, U_E);
	assert_int_equal(info.exportable, 1);

	hsm_pub_der(g.hsm, "t-ro-ec", &p2, &n2);
	assert_int_equal(n2, nec);
	assert_memory_equal(p2, pec, nec);
	free(p2);
	hsm_pub_der(g.hsm, "t-ro-ed", &p2, &n2);
	assert_int_equal(n2, ned);
	assert_memory_equal(p2, ped, ned);
	free(p2);

	n = hsm_sign(g.hsm, "t-ro-hmac", TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), sig);
	assert_true(cu_hmac_sha256(hkey, sizeof(hkey), MSG, strlen(MSG), want));
	assert_int_equal(n, 32);
	assert_memory_equal(sig, want, 32);
	n = sizeof(ct);
	OK(te_hsm_key_encrypt(g.hsm, "t-ro-aes", TE_HSM_ALG_AES_256_GCM, iv, 12, NULL, 0, MSG, 16,
	                      ct, &n));
	assert_true(cu_gcm_decrypt(akey, iv, NULL, 0, ct, n, back));
	assert_memory_equal(back, MSG, 16);
	n = hsm_sign(g.hsm, "t-ro-ec", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig);
	EVP_PKEY *pub = cu_pub_from_der(pec, nec);
	assert_non_null(pub);
	assert_int_equal(cu_verify(pub, TE_HSM_ALG_ECDSA_SHA256, MSG, strlen(MSG), sig, n), 1);
	EVP_PKEY_free(pub);
	free(pec);
	free(ped);
}

/* Names of algorithms and usages render and parse back. */
static void test_names_api(void **state)
{
	static const char *const algs[] = {"ecdsa-sha256",     "ecdsa-sha384",   "rsa-pss-sha256",
	                                   "rsa-pkcs1-sha256", "ed25519",        "hmac-sha256",
	                                   "aes-256-gcm",      "rsa-oaep-sha256"};
	te_hsm_alg alg;
	te_hsm_key_type type;
	uint32_t usage = 0;
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		OK(te_hsm_alg_parse(algs[i], &alg));
		assert_string_equal(te_hsm_alg_name(alg), algs[i]);
	}
	REFUSED(te_hsm_alg_parse("md5", &alg));
	REFUSED(te_hsm_key_type_parse("rsa-1024", &type));
	OK(te_hsm_usage_format(U_S | U_E, buf, sizeof(buf)));
	assert_string_equal(buf, "sign,encrypt");
	OK(te_hsm_usage_parse(buf, &usage));
	assert_int_equal(usage, U_S | U_E);
	OK(te_hsm_usage_format(U_S | U_E | U_D, buf, sizeof(buf)));
	OK(te_hsm_usage_parse(buf, &usage));
	assert_int_equal(usage, U_S | U_E | U_D);
	EXPECT(te_hsm_usage_format(U_S | U_E, buf, 4), TE_ERR_BUFFER_TOO_SMALL);
	REFUSED(te_hsm_usage_parse("sign,fly", &usage));
	assert_int_equal(te_hsm_key_type_default_usage(TE_HSM_KEY_AES_256_GCM) & U_E, U_E);
	assert_int_equal(te_hsm_key_type_default_usage(TE_HSM_KEY_EC_P256) & U_S, U_S);
	assert_int_equal(te_hsm_key_type_default_usage(TE_HSM_KEY_HMAC_SHA256) & U_S, U_S);
}

/* One context shared by threads (te_hsm.h: "may be shared by threads"):
 * signers and verifiers run while another thread creates and deletes keys,
 * which also invalidates whatever the backend caches. */
#define THREAD_OPS 150

typedef struct worker {
	int id;
	int failures;
	char first_error[160];
} worker;

static void worker_fail(worker *w, const char *what, te_err rc)
{
	if (w->failures++ == 0)
		snprintf(w->first_error, sizeof(w->first_error), "%s: %s (%s)", what,
		         te_err_name(rc), te_err_detail());
}

static void *signer_main(void *arg)
{
	worker *w = arg;
	uint8_t sig[TE_HSM_SIG_MAX];
	char msg[64];

	for (int i = 0; i < THREAD_OPS; i++) {
		size_t n = sizeof(sig);
		const char *key = i % 2 ? "t-th-ec" : "t-th-hmac";
		te_hsm_alg alg = i % 2 ? TE_HSM_ALG_ECDSA_SHA256 : TE_HSM_ALG_HMAC_SHA256;
		te_err rc;

		snprintf(msg, sizeof(msg), "thread %d message %d", w->id, i);
		rc = te_hsm_key_sign(g.hsm, key, alg, 0, msg, strlen(msg), sig, &n);
		if (rc != TE_OK) {
			worker_fail(w, "sign", rc);
			continue;
		}
		rc = te_hsm_key_verify(g.hsm, key, alg, 0, msg, strlen(msg), sig, n);
		if (rc != TE_OK)
			worker_fail(w, "verify", rc);
		sig[0] ^= 1;
		rc = te_hsm_key_verify(g.hsm, key, alg, 0, msg, strlen(msg), sig, n);
		if (rc != TE_ERR_VERIFY_FAILED)
			worker_fail(w, "verify of a bad signature", rc);
	}
	return NULL;
}

static void *churn_main(void *arg)
{
	worker *w = arg;
	te_hsm_key_attrs mac = attrs_of(TE_HSM_KEY_HMAC_SHA256, U_S, 0);

	for (int i = 0; i < THREAD_OPS / 3; i++) {
		char name[32];
		te_err rc;

		snprintf(name, sizeof(name), "t-th-churn%d", i);
		if ((rc = te_hsm_key_create(g.hsm, name, &mac)) != TE_OK)
			worker_fail(w, "create", rc);
		if ((rc = te_hsm_key_delete(g.hsm, name)) != TE_OK)
			worker_fail(w, "delete", rc);
	}
	return NULL;
}

static void test_threads(void **state)
{
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	te_hsm_key_attrs mac = attrs_of(TE_HSM_KEY_HMAC_SHA256, U_S, 0);
	pthread_t th[5];
	worker w[5];

	(void)state;
	OK(te_hsm_key_create(g.hsm, "t-th-ec", &ec));
	OK(te_hsm_key_create(g.hsm, "t-th-hmac", &mac));
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 5; i++) {
		w[i].id = i;
		assert_int_equal(
		    pthread_create(&th[i], NULL, i == 4 ? churn_main : signer_main, &w[i]), 0);
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < 5; i++)
		if (w[i].failures != 0)
			fail_msg("thread %d: %d failures, first: %s", i, w[i].failures,
			         w[i].first_error);
	assert_false(list_has(g.hsm, "t-th-churn0", NULL));
}

/* ---- soft backend: the on-disk store ---------------------------------- */

static char *key_file(const char *store, const char *name)
{
	char *keys = tu_path(store, "keys"), *file, *p;

	if (asprintf(&file, "%s.tek", name) < 0)
		abort();
	p = tu_path(keys, file);
	free(keys);
	free(file);
	return p;
}

static const char *setting(const char *key)
{
	for (size_t i = 0; i < g.n_settings; i++)
		if (strcmp(g.settings[i].key, key) == 0)
			return g.settings[i].value;
	return NULL;
}

static int mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return (int)(st.st_mode & 07777);
}

static void read_whole(const char *path, uint8_t **data, size_t *n)
{
	if (tu_read_file(path, data, n) != 0)
		fail_msg("cannot read %s", path);
}

static void write_whole(const char *path, const uint8_t *data, size_t n)
{
	if (tu_write_file(path, data, n) != 0)
		fail_msg("cannot write %s", path);
}

static int store_setup(void **state)
{
	if (g.store == NULL) {
		print_error("soft store tests need the store setting\n");
		return -1;
	}
	return group_open(state);
}

static void test_store_modes(void **state)
{
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	const char *mk = setting("master_key_file");
	char *file, *mkdef = NULL;
	uint8_t akey[32], *data = NULL;
	size_t n = 0;

	(void)state;
	OK(te_hsm_key_create(g.hsm, "t-st-mode", &ec));
	assert_int_equal(mode_of(g.store), 0700);
	file = key_file(g.store, "t-st-mode");
	assert_int_equal(mode_of(file), 0600);
	free(file);
	if (mk == NULL)
		mk = mkdef = tu_path(g.store, "master.key");
	assert_int_equal(mode_of(mk), 0600);
	free(mkdef);

	/* Secret bytes are not in the file in the clear. */
	fill(akey, sizeof(akey), 0xe1);
	OK(import_raw(g.hsm, "t-st-plain", TE_HSM_KEY_AES_256_GCM, U_E, 0, akey, sizeof(akey)));
	file = key_file(g.store, "t-st-plain");
	assert_int_equal(mode_of(file), 0600);
	read_whole(file, &data, &n);
	assert_true(n > 24 && memcmp(data, "TEKY", 4) == 0);
	assert_null(memmem(data, n, akey, sizeof(akey)));
	free(data);
	free(file);
}

static char last_detail[1024];

/* Opens a fresh context so no cache can hide what is on disk; the error
 * detail of the sign is kept in last_detail. */
static te_err sign_fresh(const char *name)
{
	te_hsm *h = open_ctx();
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n = sizeof(sig);
	te_err rc = te_hsm_key_sign(h, name, TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig, &n);

	snprintf(last_detail, sizeof(last_detail), "%s", te_err_detail());
	te_hsm_close(h);
	return rc;
}

/* Edits one byte of a key file; the key must then fail (as tampered when
 * strict, else possibly as malformed or truncated: header fields), name
 * itself in the detail, and the file must stay as it was. */
static void check_tampered_at(const char *name, long offset, int strict)
{
	char *file = key_file(g.store, name);
	uint8_t *data = NULL, *after = NULL;
	size_t n = 0, na = 0, pos;
	te_err rc;

	read_whole(file, &data, &n);
	pos = offset < 0 ? n - (size_t)-offset : (size_t)offset;
	assert_true(pos < n);
	data[pos] ^= 0x01;
	write_whole(file, data, n);

	rc = sign_fresh(name);
	if (rc != TE_ERR_TAMPERED && (strict || (rc != TE_ERR_MALFORMED && rc != TE_ERR_TRUNCATED)))
		fail_msg("%s with byte %zu of %zu flipped: %s (%s), expected TE_ERR_TAMPERED", name,
		         pos, n, te_err_name(rc), last_detail);
	if (strstr(last_detail, name) == NULL)
		fail_msg("detail \"%s\" does not name key %s", last_detail, name);
	if (g.verbose)
		print_message("  [%s] byte %zu of %zu flipped\n", te_err_name(rc), pos, n);

	read_whole(file, &after, &na);
	assert_int_equal(na, n);
	assert_memory_equal(after, data, n);
	free(after);
	free(data);
	free(file);
}

static void test_store_tampered(void **state)
{
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	/* Ciphertext (first, middle, last byte), tag, IV: authentication fails.
	 * Header fields (magic, version, type, flags, usage, length) may also
	 * fail their own checks first. */
	static const struct {
		long offset;
		int strict;
	} flips[] = {{24, 1}, {30, 1}, {-17, 1}, {-16, 1}, {-1, 1}, {8, 1},  {19, 1},
	             {0, 0},  {4, 0},  {5, 0},   {6, 0},   {7, 0},  {20, 0}, {23, 0}};

	(void)state;
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "t-st-tamper%zu", i);
		OK(te_hsm_key_create(g.hsm, name, &ec));
		OK(sign_fresh(name));
		check_tampered_at(name, flips[i].offset, flips[i].strict);
	}
}

/* Raising usage or exportable in the header must not grant anything. */
static void test_store_header_escalation(void **state)
{
	te_hsm_key_attrs mac = attrs_of(TE_HSM_KEY_HMAC_SHA256, U_S, 0);
	const char *name = "t-st-escalate";
	char *file = key_file(g.store, name);
	uint8_t *data = NULL, out[64];
	size_t n = 0, on;
	te_hsm *h;
	te_hsm_key_info info;
	te_buf b;
	te_err rc;

	(void)state;
	OK(te_hsm_key_create(g.hsm, name, &mac));
	read_whole(file, &data, &n);
	assert_true(n > 24);
	data[6] |= 0x01;                                       /* exportable */
	data[7] |= TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_ENCRYPT; /* usage */
	write_whole(file, data, n);
	free(data);
	free(file);

	h = open_ctx();
	te_buf_init(&b, 1);
	rc = te_hsm_key_export(h, name, &b);
	assert_int_not_equal(rc, TE_OK);
	assert_int_equal(b.len, 0);
	te_buf_free(&b);
	REFUSED(te_hsm_key_derive(h, name, "x", 1, "t-st-escalated", NULL));
	assert_int_equal(te_hsm_key_exists(h, "t-st-escalated"), 0);
	on = sizeof(out);
	EXPECT(te_hsm_key_sign(h, name, TE_HSM_ALG_HMAC_SHA256, 0, MSG, strlen(MSG), out, &on),
	       TE_ERR_TAMPERED);
	/* info may refuse, but must not report the forged attributes. */
	rc = te_hsm_key_info_get(h, name, &info);
	if (rc == TE_OK) {
		if (info.usage != U_S || info.exportable != 0)
			fail_msg("info reports forged attributes (usage %u exportable %d)",
			         info.usage, info.exportable);
	} else {
		EXPECT2(rc, TE_ERR_TAMPERED, TE_ERR_MALFORMED);
	}
	te_hsm_close(h);
}

static void test_store_truncated(void **state)
{
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	static const size_t keep[] = {0, 3, 10, 23, 24, 40, SIZE_MAX /* all but one */};

	(void)state;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		char name[32], *file;
		uint8_t *data = NULL, *after = NULL;
		size_t n = 0, na = 0, len;
		te_err rc;

		snprintf(name, sizeof(name), "t-st-trunc%zu", i);
		OK(te_hsm_key_create(g.hsm, name, &ec));
		file = key_file(g.store, name);
		read_whole(file, &data, &n);
		len = keep[i] == SIZE_MAX ? n - 1 : keep[i];
		assert_true(len < n);
		write_whole(file, data, len);
		rc = sign_fresh(name);
		if (rc != TE_ERR_TRUNCATED && rc != TE_ERR_TAMPERED)
			fail_msg("%s truncated to %zu of %zu bytes: %s (%s)", name, len, n,
			         te_err_name(rc), last_detail);
		assert_non_null(strstr(last_detail, name));
		if (g.verbose)
			print_message("  [%s] truncated to %zu of %zu bytes\n", te_err_name(rc),
			              len, n);
		read_whole(file, &after, &na);
		assert_int_equal(na, len);
		assert_memory_equal(after, data, len);
		free(after);
		free(data);
		free(file);
	}
}

/* The key name is bound into the file: a copy under another name fails. */
static void test_store_renamed(void **state)
{
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	char *fa = key_file(g.store, "t-st-a"), *fb = key_file(g.store, "t-st-b");
	char *fc = key_file(g.store, "t-st-c");
	uint8_t *data = NULL, *after = NULL;
	size_t n = 0, na = 0;
	te_err rc;

	(void)state;
	OK(te_hsm_key_create(g.hsm, "t-st-a", &ec));
	OK(te_hsm_key_create(g.hsm, "t-st-b", &ec));
	read_whole(fa, &data, &n);
	write_whole(fb, data, n); /* over an existing key */
	write_whole(fc, data, n); /* as a new key */
	rc = sign_fresh("t-st-b");
	if (rc != TE_ERR_TAMPERED)
		fail_msg("t-st-a's file as t-st-b: %s, expected TE_ERR_TAMPERED", te_err_name(rc));
	assert_non_null(strstr(last_detail, "t-st-b"));
	EXPECT(sign_fresh("t-st-c"), TE_ERR_TAMPERED);
	OK(sign_fresh("t-st-a"));
	read_whole(fb, &after, &na);
	assert_int_equal(na, n);
	assert_memory_equal(after, data, n);
	free(after);
	free(data);
	free(fa);
	free(fb);
	free(fc);
}

/* A store opened under another master key cannot use the keys. */
static void test_store_wrong_master(void **state)
{
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	char *tmp = tu_tempdir("conf-mk"), *mk = tu_path(tmp, "other.key");
	te_hsm_setting s[2] = {{"store", g.store}, {"master_key_file", mk}};
	uint8_t key[32], sig[TE_HSM_SIG_MAX];
	size_t n = sizeof(sig);
	te_hsm *h = NULL;
	te_err rc;

	(void)state;
	OK(te_hsm_key_create(g.hsm, "t-st-mk", &ec));
	fill(key, sizeof(key), 0x5e);
	write_whole(mk, key, sizeof(key));
	rc = te_hsm_open(g.backend, s, 2, &h);
	if (rc == TE_OK) {
		EXPECT(te_hsm_key_sign(h, "t-st-mk", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG),
		                       sig, &n),
		       TE_ERR_TAMPERED);
		te_hsm_close(h);
	} else {
		print_message("  (open with a foreign master key refused: %s)\n", te_err_name(rc));
	}
	OK(sign_fresh("t-st-mk"));
	free(mk);
	tu_rmtree(tmp);
}

/* The master_key_file setting puts the master key where it says. */
static void test_store_master_key_file(void **state)
{
	te_hsm_key_attrs ec = attrs_of(TE_HSM_KEY_EC_P256, U_S, 0);
	char *tmp = tu_tempdir("conf-mkf");
	char *store = tu_path(tmp, "store"), *mk = tu_path(tmp, "master-elsewhere.key");
	char *def = tu_path(store, "master.key"), *file = key_file(store, "t-mkf");
	te_hsm_setting s[2] = {{"store", store}, {"master_key_file", mk}};
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t n;
	te_hsm *h = NULL;
	struct stat st;

	(void)state;
	OK(te_hsm_open(g.backend, s, 2, &h));
	OK(te_hsm_key_create(h, "t-mkf", &ec));
	n = hsm_sign(h, "t-mkf", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig);
	te_hsm_close(h);
	assert_int_equal(mode_of(store), 0700);
	assert_int_equal(mode_of(mk), 0600);
	assert_int_equal(mode_of(file), 0600);
	assert_int_not_equal(stat(def, &st), 0);

	h = NULL;
	OK(te_hsm_open(g.backend, s, 2, &h));
	OK(te_hsm_key_verify(h, "t-mkf", TE_HSM_ALG_ECDSA_SHA256, 0, MSG, strlen(MSG), sig, n));
	te_hsm_close(h);
	free(store);
	free(mk);
	free(def);
	free(file);
	tu_rmtree(tmp);
}

/* ---- main ------------------------------------------------------------- */

/* One test per key type, the type descriptor as the test's state. */
/* clang-format off */
#define PER_TYPE(fn)                                                   \
	{#fn "/ec-p256", fn, NULL, NULL, (void *)&KT[0]},              \
	{#fn "/ec-p384", fn, NULL, NULL, (void *)&KT[1]},              \
	{#fn "/rsa-2048", fn, NULL, NULL, (void *)&KT[2]},             \
	{#fn "/rsa-3072", fn, NULL, NULL, (void *)&KT[3]},             \
	{#fn "/rsa-4096", fn, NULL, NULL, (void *)&KT[4]},             \
	{#fn "/ed25519", fn, NULL, NULL, (void *)&KT[5]},              \
	{#fn "/hmac-sha256", fn, NULL, NULL, (void *)&KT[6]},          \
	{#fn "/aes-256-gcm", fn, NULL, NULL, (void *)&KT[7]}
/* clang-format on */

static int add_setting(char *kv)
{
	char *eq = strchr(kv, '=');

	if (kv[0] == '\0')
		return 0;
	if (eq == NULL || eq == kv || g.n_settings == MAX_SETTINGS) {
		fprintf(stderr, "bad setting \"%s\" (want key=value)\n", kv);
		return -1;
	}
	*eq = '\0';
	g.settings[g.n_settings].key = kv;
	g.settings[g.n_settings].value = eq + 1;
	g.n_settings++;
	return 0;
}

/* Backend and settings: argv (BACKEND k=v ...) or the environment. */
static int configure(int argc, char **argv)
{
	const char *env = getenv("TE_CONFORMANCE_SETTINGS");

	g.backend = argc > 1 ? argv[1] : getenv("TE_CONFORMANCE_BACKEND");
	if (g.backend == NULL || g.backend[0] == '\0')
		g.backend = "soft";
	g.is_soft = strcmp(g.backend, "soft") == 0;
	if (argc > 1) {
		for (int i = 2; i < argc; i++)
			if (add_setting(argv[i]) != 0)
				return -1;
	} else if (env != NULL) {
		char *save = NULL;

		g.settings_buf = strdup(env);
		if (g.settings_buf == NULL)
			return -1;
		for (char *kv = strtok_r(g.settings_buf, ";", &save); kv != NULL;
		     kv = strtok_r(NULL, ";", &save))
			if (add_setting(kv) != 0)
				return -1;
	}
	if (g.is_soft && g.n_settings == 0) {
		/* Our own store, in a directory the backend has to create. */
		g.own_tmp = tu_tempdir("conformance");
		g.own_store = tu_path(g.own_tmp, "store");
		g.settings[0].key = "store";
		g.settings[0].value = g.own_store;
		g.n_settings = 1;
	}
	if (g.is_soft)
		g.store = setting("store");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest keys[] = {
	    PER_TYPE(test_lifecycle),
	    PER_TYPE(test_public),
	    PER_TYPE(test_key_evp),
	    PER_TYPE(test_sign_verify),
	    PER_TYPE(test_sign_foreign_alg),
	    PER_TYPE(test_import),
	    PER_TYPE(test_export),
	    PER_TYPE(test_encrypt),
	    cmocka_unit_test(test_derive),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_usage_enforced),
	    cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_missing_key),
	    cmocka_unit_test(test_exists_refused),
	    cmocka_unit_test(test_open_refused),
	    cmocka_unit_test(test_fixtures_delete),
	};
	static const struct CMUnitTest kat[] = {
	    cmocka_unit_test(test_kat_hmac),
	    cmocka_unit_test(test_kat_gcm),
	    cmocka_unit_test(test_names_api),
	};
	static const struct CMUnitTest store[] = {
	    cmocka_unit_test(test_two_contexts),
	    cmocka_unit_test(test_reopen),
	    cmocka_unit_test(test_threads),
	};
	static const struct CMUnitTest soft[] = {
	    cmocka_unit_test(test_store_modes),
	    cmocka_unit_test(test_store_tampered),
	    cmocka_unit_test(test_store_header_escalation),
	    cmocka_unit_test(test_store_truncated),
	    cmocka_unit_test(test_store_renamed),
	    cmocka_unit_test(test_store_wrong_master),
	    cmocka_unit_test(test_store_master_key_file),
	};
	char group[4][64];
	int failed = 0;

	if (configure(argc, argv) != 0)
		return 2;
	g.work = tu_tempdir("conformance-work");
	g.verbose = getenv("TE_CONFORMANCE_VERBOSE") != NULL;
	g.have_cli = tu_have_program("openssl");
	if (!g.have_cli)
		print_message("openssl(1) not found: command-line signature checks skipped\n");
	for (size_t i = 0; i < TE_HSM_KEY__COUNT; i++)
		g.fixture_rc[i] = TE_ERR_NOT_FOUND;

	snprintf(group[0], sizeof(group[0]), "%s.keys", g.backend);
	snprintf(group[1], sizeof(group[1]), "%s.known_answer", g.backend);
	snprintf(group[2], sizeof(group[2]), "%s.store", g.backend);
	snprintf(group[3], sizeof(group[3]), "%s.soft_store", g.backend);
	print_message("== %s: keys of every type ==\n", group[0]);
	failed += cmocka_run_group_tests_name(group[0], keys, keys_setup, group_close);
	print_message("== %s: published test vectors ==\n", group[1]);
	failed += cmocka_run_group_tests_name(group[1], kat, group_open, group_close);
	print_message("== %s: contexts sharing a store ==\n", group[2]);
	failed += cmocka_run_group_tests_name(group[2], store, group_open, group_close);
	if (g.is_soft) {
		print_message("== %s: the soft backend's files ==\n", group[3]);
		failed += cmocka_run_group_tests_name(group[3], soft, store_setup, group_close);
	}

	for (size_t i = 0; i < TE_HSM_KEY__COUNT; i++)
		EVP_PKEY_free(g.ossl_keys[i]);
	free(g.settings_buf);
	free(g.own_store);
	tu_rmtree(g.own_tmp);
	tu_rmtree(g.work);
	return failed == 0 ? 0 : 1;
}
