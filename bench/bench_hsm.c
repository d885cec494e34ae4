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
 * Noise control: 11 short rounds (0.15 s per side) alternate which side runs
 * first, so both see the same machine load; the figure is the median
 * per-round rate of each side and the ratio of the medians.
 *
 * Usage: bench_hsm [--json PATH] [--rounds N] [--seconds S]
 * Prints one line per figure: `name: value unit (ratio x baseline)`.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "trustedge/te_hsm.h"

#define MSG_LEN    64
#define GCM_LEN    4096
#define AAD_LEN    16
#define MAX_ROUNDS 32
#define LAT_CAP    (1u << 21) /* latency samples kept per side */
#define TARGET     0.95

typedef int (*op_fn)(void *ctx);

typedef struct side {
	const char *label;
	op_fn op;
	void *ctx;
	double rate[MAX_ROUNDS];
	float *lat; /* microseconds */
	size_t n_lat;
} side;

typedef struct figure {
	const char *name;      /* "soft.ecdsa_p256_sign" */
	const char *base_name; /* "openssl-evp" */
	const char *unit;      /* "ops/s" or "MB/s" */
	double bytes_per_op;   /* 0: report ops/s; else MB/s */
	double value, baseline, ratio;
	double p50, p50_base;
} figure;

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
	int rounds;
	double seconds;
} b;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_hsm: %s\n", what);
	exit(1);
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

/* ---- measuring ------------------------------------------------------------ */

/* Runs op for about `seconds`; stores the rate and per-op latencies. */
static void run_round(side *s, int round, double seconds)
{
	size_t cap = LAT_CAP / (size_t)b.rounds, kept = 0;
	double t0 = now(), t = t0, end = t0 + seconds;
	unsigned long ops = 0;

	while (t < end) {
		double t1;

		if (s->op(s->ctx) != 0)
			die("operation failed");
		t1 = now();
		if (kept < cap) {
			s->lat[s->n_lat++] = (float)((t1 - t) * 1e6);
			kept++;
		}
		t = t1;
		ops++;
	}
	s->rate[round] = (double)ops / (t - t0);
}

static int cmp_double(const void *a, const void *c)
{
	double x = *(const double *)a, y = *(const double *)c;

	return (x > y) - (x < y);
}

static int cmp_float(const void *a, const void *c)
{
	float x = *(const float *)a, y = *(const float *)c;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double p50_of(side *s)
{
	if (s->n_lat == 0)
		return 0;
	qsort(s->lat, s->n_lat, sizeof(s->lat[0]), cmp_float);
	return (double)s->lat[s->n_lat / 2];
}

static void measure(figure *f, op_fn hsm_op, op_fn evp_op)
{
	side hsm = {.label = "te_hsm", .op = hsm_op};
	side evp = {.label = "openssl-evp", .op = evp_op};
	double scale = f->bytes_per_op > 0 ? f->bytes_per_op / 1e6 : 1.0;

	hsm.lat = malloc(LAT_CAP * sizeof(float));
	evp.lat = malloc(LAT_CAP * sizeof(float));
	if (hsm.lat == NULL || evp.lat == NULL)
		die("out of memory");
	/* Warm up both paths (key cache, fetched algorithms, CPU clocks). */
	for (int i = 0; i < 200; i++)
		if (hsm_op(NULL) != 0 || evp_op(NULL) != 0)
			die("warm-up operation failed");
	for (int r = 0; r < b.rounds; r++) {
		side *first = r % 2 ? &hsm : &evp, *second = r % 2 ? &evp : &hsm;

		run_round(first, r, b.seconds);
		run_round(second, r, b.seconds);
	}
	f->value = median(hsm.rate, (size_t)b.rounds) * scale;
	f->baseline = median(evp.rate, (size_t)b.rounds) * scale;
	f->ratio = f->value / f->baseline;
	f->p50 = p50_of(&hsm);
	f->p50_base = p50_of(&evp);
	free(hsm.lat);
	free(evp.lat);
}

/* ---- setup and output ------------------------------------------------------ */

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

static void print_figure(const figure *f)
{
	int prec = f->bytes_per_op > 0 ? 1 : 0;

	printf("%s: %.*f %s (%.2fx %s %.*f %s)\n", f->name, prec, f->value, f->unit, f->ratio,
	       f->base_name, prec, f->baseline, f->unit);
	printf("%s.p50: %.2f us (%.2fx %s %.2f us)\n", f->name, f->p50,
	       f->p50_base > 0 ? f->p50 / f->p50_base : 0.0, f->base_name, f->p50_base);
}

static void json_figure(FILE *out, const char *name, double value, const char *unit,
                        const char *base_name, double base, int higher_better, int last)
{
	double ratio = base > 0 ? value / base : 0;

	fprintf(out,
	        "    {\"figure\": \"%s\", \"value\": %.3f, \"unit\": \"%s\", "
	        "\"baseline\": \"%s\", \"baseline_value\": %.3f, \"ratio\": %.4f, ",
	        name, value, unit, base_name, base, ratio);
	if (higher_better)
		fprintf(out, "\"target\": %.2f, \"meets_target\": %s}%s\n", TARGET,
		        ratio >= TARGET ? "true" : "false", last ? "" : ",");
	else
		fprintf(out, "\"target\": null, \"lower_is_better\": true}%s\n", last ? "" : ",");
}

static int write_json(const char *path, const figure *f, size_t n)
{
	FILE *out = fopen(path, "w");

	if (out == NULL) {
		fprintf(stderr, "bench_hsm: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(out, "{\n  \"benchmark\": \"hsm\",\n  \"backend\": \"soft\",\n");
	fprintf(out, "  \"openssl\": \"%s\",\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "  \"rounds\": %d,\n  \"round_seconds\": %.3f,\n", b.rounds, b.seconds);
	fprintf(out, "  \"method\": \"rounds alternate te_hsm and openssl-evp; value is the "
	             "median per-round rate, ratio the ratio of medians; p50 over all ops\",\n");
	fprintf(out, "  \"figures\": [\n");
	for (size_t i = 0; i < n; i++) {
		char p50[96];

		snprintf(p50, sizeof(p50), "%s.p50", f[i].name);
		json_figure(out, f[i].name, f[i].value, f[i].unit, f[i].base_name, f[i].baseline, 1,
		            0);
		json_figure(out, p50, f[i].p50, "us", f[i].base_name, f[i].p50_base, 0, i + 1 == n);
	}
	fprintf(out, "  ]\n}\n");
	return fclose(out) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	figure figs[] = {
	    {"soft.ecdsa_p256_sign", "openssl-evp", "ops/s", 0, 0, 0, 0, 0, 0},
	    {"soft.hmac_sha256_sign_64B", "openssl-evp", "ops/s", 0, 0, 0, 0, 0, 0},
	    {"soft.hmac_sha256_sign_64B_reuse", "openssl-evp-reuse", "ops/s", 0, 0, 0, 0, 0, 0},
	    {"soft.aes256gcm_encrypt_4KiB", "openssl-evp", "MB/s", GCM_LEN, 0, 0, 0, 0, 0},
	    {"soft.aes256gcm_encrypt_4KiB_reuse", "openssl-evp-reuse", "MB/s", GCM_LEN, 0, 0, 0, 0,
	     0},
	};
	const op_fn hsm_ops[] = {hsm_ecdsa, hsm_hmac, hsm_hmac, hsm_gcm, hsm_gcm};
	const op_fn evp_ops[] = {evp_ecdsa, evp_hmac, evp_hmac_reuse, evp_gcm, evp_gcm_reuse};
	const char *json = NULL, *tmpdir = getenv("TMPDIR");
	char tmp[512], store[600];
	int rc = 0;

	b.rounds = 11;
	b.seconds = 0.15;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			json = argv[++i];
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			b.rounds = (int)strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			b.seconds = strtod(argv[++i], NULL);
		} else {
			fprintf(stderr, "usage: bench_hsm [--json PATH] [--rounds N] "
			                "[--seconds S]\n");
			return 2;
		}
	}
	if (b.rounds < 1 || b.rounds > MAX_ROUNDS || !(b.seconds > 0 && b.seconds < 60))
		die("rounds must be 1..32 and seconds 0..60");

	if (tmpdir == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/te-bench-XXXXXX", tmpdir);
	if (mkdtemp(tmp) == NULL)
		die("cannot make a temp directory");
	snprintf(store, sizeof(store), "%s/store", tmp);
	setup(store);
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		measure(&figs[i], hsm_ops[i], evp_ops[i]);
		print_figure(&figs[i]);
		fflush(stdout);
	}
	if (json != NULL && write_json(json, figs, sizeof(figs) / sizeof(figs[0])) != 0)
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
