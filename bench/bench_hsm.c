/*
 * bench_hsm.c - the HSM PAL soft backend against OpenSSL EVP, same process.
 *
 * Figures: ECDSA P-256 sign/s and HMAC-SHA256 sign/s on 64-byte messages,
 * AES-256-GCM encrypt MB/s on 4 KiB buffers, plus p50 latency of each.
 * Each is measured through te_hsm (soft backend, store in a temp dir) and
 * directly with OpenSSL EVP doing the full operation per iteration, with a
 * fresh context per operation as a thread-safe call needs:
 *   ECDSA  EVP_MD_CTX_new, EVP_DigestSignInit_ex with the ready EVP_PKEY,
 *          EVP_DigestSign, free
 *   HMAC   EVP_MAC_CTX_new, EVP_MAC_init with key and digest, update,
 *          final, free
 *   GCM    EVP_CIPHER_CTX_new, EVP_CipherInit_ex2 with key and IV, AAD,
 *          update, final, get tag, free
 * The soft backend keeps keyed HMAC and AES-GCM contexts per key and
 * restarts them per call, so both are also compared with the fastest thing
 * a caller of OpenSSL could do (baseline openssl-evp-reuse: one keyed
 * context restarted with a NULL key each call, in one thread).
 * Noise control (the harness in bench_util.c): 11 short rounds (0.15 s per
 * side) alternate which side runs first, so both see the same machine load;
 * the figure is the median per-round rate of each side and the ratio of the
 * medians.
 *
 * Usage: bench_hsm [--json PATH] [--rounds N] [--seconds S]
 * Prints one line per figure: `name: value unit (ratio x baseline)`.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bench_util.h"
#include "trustedge/te_hsm.h"

#define MSG_LEN 64
#define GCM_LEN 4096
#define AAD_LEN 16

static struct {
	te_hsm *hsm;
	EVP_PKEY *ec;
	EVP_MAC *mac;
	EVP_MAC_CTX *keyed;    /* for the openssl-evp-reuse baselines */
	EVP_CIPHER_CTX *gkeyed;
	EVP_CIPHER *gcm;
	uint8_t msg[MSG_LEN];
	uint8_t hmac_key[32];
	uint8_t aes_key[32];
	uint8_t iv[12];
	uint8_t aad[AAD_LEN];
	uint8_t pt[GCM_LEN];
	uint8_t out[GCM_LEN + 16];
	uint8_t sig[TE_HSM_SIG_MAX];
} b;

static te_bench bench = {
    .prog = "bench_hsm",
    .name = "hsm",
    .backend = "soft",
    .method = "rounds alternate te_hsm and openssl-evp; value is the median per-round rate, "
              "ratio the ratio of medians; p50 over all ops",
    .rounds = 11,
    .seconds = 0.15,
    .lat_cap = 1u << 21,
    .warmup = 200,
    .target = 0.95,
    .p50_prec = 2,
};

static void die(const char *what)
{
	te_bench_die(&bench, what);
}

static void die_te(const char *what, te_err rc)
{
	fprintf(stderr, "bench_hsm: %s: %s (%s)\n", what, te_err_name(rc), te_err_detail());
	exit(1);
}

/* ---- the operations ------------------------------------------------------ */

static int hsm_ecdsa(void *ctx)
{
	size_t n = sizeof(b.sig);

	(void)ctx;
	return te_hsm_key_sign(b.hsm, "bench-ec-p256", TE_HSM_ALG_ECDSA_SHA256, 0, b.msg, MSG_LEN,
	                       b.sig, &n) == TE_OK
	           ? 0
	           : -1;
}

static int evp_ecdsa(void *ctx)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = sizeof(b.sig);
	int ok;

	(void)ctx;
	ok = md != NULL && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, b.ec, NULL) == 1 &&
	     EVP_DigestSign(md, b.sig, &n, b.msg, MSG_LEN) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int hsm_hmac(void *ctx)
{
	size_t n = sizeof(b.sig);

	(void)ctx;
	return te_hsm_key_sign(b.hsm, "bench-hmac", TE_HSM_ALG_HMAC_SHA256, 0, b.msg, MSG_LEN,
	                       b.sig, &n) == TE_OK
	           ? 0
	           : -1;
}

static int evp_hmac(void *ctx)
{
	EVP_MAC_CTX *m = EVP_MAC_CTX_new(b.mac);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t n = 0;
	int ok;

	(void)ctx;
	ok = m != NULL && EVP_MAC_init(m, b.hmac_key, sizeof(b.hmac_key), params) == 1 &&
	     EVP_MAC_update(m, b.msg, MSG_LEN) == 1 &&
	     EVP_MAC_final(m, b.sig, &n, sizeof(b.sig)) == 1;
	EVP_MAC_CTX_free(m);
	return ok ? 0 : -1;
}

static int evp_hmac_reuse(void *ctx)
{
	size_t n = 0;

	(void)ctx;
	return EVP_MAC_init(b.keyed, NULL, 0, NULL) == 1 &&
	               EVP_MAC_update(b.keyed, b.msg, MSG_LEN) == 1 &&
	               EVP_MAC_final(b.keyed, b.sig, &n, sizeof(b.sig)) == 1
	           ? 0
	           : -1;
}

static int hsm_gcm(void *ctx)
{
	size_t n = sizeof(b.out);

	(void)ctx;
	return te_hsm_key_encrypt(b.hsm, "bench-aes", TE_HSM_ALG_AES_256_GCM, b.iv, sizeof(b.iv),
	                          b.aad, AAD_LEN, b.pt, GCM_LEN, b.out, &n) == TE_OK
	           ? 0
	           : -1;
}

static int evp_gcm(void *ctx)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	(void)ctx;
	ok = c != NULL && EVP_CipherInit_ex2(c, b.gcm, b.aes_key, b.iv, 1, NULL) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, b.aad, AAD_LEN) == 1 &&
	     EVP_CipherUpdate(c, b.out, &n, b.pt, GCM_LEN) == 1 &&
	     EVP_CipherFinal_ex(c, b.out + GCM_LEN, &n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, b.out + GCM_LEN) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int evp_gcm_reuse(void *ctx)
{
	EVP_CIPHER_CTX *c = b.gkeyed;
	int n = 0;

	(void)ctx;
	return EVP_CipherInit_ex2(c, NULL, NULL, b.iv, 1, NULL) == 1 &&
	               EVP_CipherUpdate(c, NULL, &n, b.aad, AAD_LEN) == 1 &&
	               EVP_CipherUpdate(c, b.out, &n, b.pt, GCM_LEN) == 1 &&
	               EVP_CipherFinal_ex(c, b.out + GCM_LEN, &n) == 1 &&
	               EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, b.out + GCM_LEN) == 1
	           ? 0
	           : -1;
}

/* ---- setup ------------------------------------------------------------------ */

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13u);
}

static void setup(const char *store)
{
	te_hsm_setting s[] = {{"store", store}};
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs aes = {TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 0};
	te_err rc;

	fill(b.msg, sizeof(b.msg), 1);
	fill(b.hmac_key, sizeof(b.hmac_key), 2);
	fill(b.aes_key, sizeof(b.aes_key), 3);
	fill(b.iv, sizeof(b.iv), 4);
	fill(b.aad, sizeof(b.aad), 5);
	fill(b.pt, sizeof(b.pt), 6);
	if ((rc = te_hsm_open("soft", s, 1, &b.hsm)) != TE_OK)
		die_te("te_hsm_open", rc);
	if ((rc = te_hsm_key_create(b.hsm, "bench-ec-p256", &ec)) != TE_OK)
		die_te("create bench-ec-p256", rc);
	if ((rc = te_hsm_key_import(b.hsm, "bench-hmac", &mac, b.hmac_key, sizeof(b.hmac_key))) !=
	    TE_OK)
		die_te("import bench-hmac", rc);
	if ((rc = te_hsm_key_import(b.hsm, "bench-aes", &aes, b.aes_key, sizeof(b.aes_key))) !=
	    TE_OK)
		die_te("import bench-aes", rc);
	/* The baseline signs with the very same key. */
	if ((rc = te_hsm_key_evp(b.hsm, "bench-ec-p256", &b.ec)) != TE_OK)
		die_te("te_hsm_key_evp", rc);
	b.mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	b.gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (b.mac == NULL || b.gcm == NULL)
		die("cannot fetch HMAC or AES-256-GCM");
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	b.keyed = EVP_MAC_CTX_new(b.mac);
	if (b.keyed == NULL || EVP_MAC_init(b.keyed, b.hmac_key, sizeof(b.hmac_key), params) != 1)
		die("cannot key an HMAC context");
	b.gkeyed = EVP_CIPHER_CTX_new();
	if (b.gkeyed == NULL ||
	    EVP_CipherInit_ex2(b.gkeyed, b.gcm, b.aes_key, b.iv, 1, NULL) != 1)
		die("cannot key an AES-GCM context");
}

int main(int argc, char **argv)
{
	te_bench_figure figs[] = {
	    {.name = "soft.ecdsa_p256_sign", .base_name = "openssl-evp", .unit = "ops/s"},
	    {.name = "soft.hmac_sha256_sign_64B", .base_name = "openssl-evp", .unit = "ops/s"},
	    {.name = "soft.hmac_sha256_sign_64B_reuse",
	     .base_name = "openssl-evp-reuse",
	     .unit = "ops/s"},
	    {.name = "soft.aes256gcm_encrypt_4KiB",
	     .base_name = "openssl-evp",
	     .unit = "MB/s",
	     .bytes_per_op = GCM_LEN},
	    {.name = "soft.aes256gcm_encrypt_4KiB_reuse",
	     .base_name = "openssl-evp-reuse",
	     .unit = "MB/s",
	     .bytes_per_op = GCM_LEN},
	};
	const te_bench_op hsm_ops[] = {hsm_ecdsa, hsm_hmac, hsm_hmac, hsm_gcm, hsm_gcm};
	const te_bench_op evp_ops[] = {evp_ecdsa, evp_hmac, evp_hmac_reuse, evp_gcm, evp_gcm_reuse};
	const char *json = NULL, *tmpdir = getenv("TMPDIR");
	char tmp[512], store[600];
	int rc = 0;

	if (te_bench_args(&bench, argc, argv, &json) != 0)
		return 2;

	if (tmpdir == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/te-bench-XXXXXX", tmpdir);
	if (mkdtemp(tmp) == NULL)
		die("cannot make a temp directory");
	snprintf(store, sizeof(store), "%s/store", tmp);
	setup(store);
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		te_bench_measure(&bench, &figs[i], hsm_ops[i], evp_ops[i], NULL);
		te_bench_print(&bench, &figs[i]);
		fflush(stdout);
	}
	if (json != NULL &&
	    te_bench_write_json(&bench, json, NULL, 0, figs, sizeof(figs) / sizeof(figs[0])) != 0)
		rc = 1;

	EVP_PKEY_free(b.ec);
	EVP_MAC_CTX_free(b.keyed);
	EVP_CIPHER_CTX_free(b.gkeyed);
	EVP_MAC_free(b.mac);
	EVP_CIPHER_free(b.gcm);
	te_hsm_close(b.hsm);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
