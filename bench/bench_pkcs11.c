/*
 * bench_pkcs11.c - the pkcs11 backend against direct PKCS#11 calls on the
 * same token, same key, same process.
 *
 * Figures: ECDSA P-256 sign/s (64-byte message) and HMAC-SHA256 sign/s
 * (64-byte message), plus p50 latency of each.  Each is measured through
 * te_hsm (pkcs11 backend) and directly with the module, on a session of
 * the benchmark's own and the very object the backend created:
 *   ECDSA  C_SignInit(CKM_ECDSA) + C_Sign over a SHA-256 digest computed
 *          once beforehand (the backend hashes each message and turns the
 *          token's r||s into DER on top of that)
 *   HMAC   C_SignInit(CKM_SHA256_HMAC) + C_Sign over the message
 * Noise control as in bench_hsm: 11 short rounds (0.15 s per side)
 * alternate which side runs first; the figure is the median per-round
 * rate of each side and the ratio of the medians.
 *
 * Run on a SoftHSM2 token:
 *   tests/pkcs11/with_softhsm.sh build/bench/bench_pkcs11 --json bench/results/pkcs11.json
 * Usage: bench_pkcs11 [--json PATH] [--rounds N] [--seconds S]
 * (module, token and PIN from TE_PKCS11_MODULE, TE_PKCS11_TOKEN,
 * TE_PKCS11_PIN).  Prints one line per figure:
 * `name: value unit (ratio x baseline value unit)`.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hsm/backends/pkcs11_api.h"
#include "trustedge/te_hsm.h"

#define MSG_LEN    64
#define MAX_ROUNDS 32
#define LAT_CAP    (1u << 20) /* latency samples kept per side */
#define TARGET     0.95
#define BASELINE   "pkcs11-c_sign"

typedef int (*op_fn)(void);

typedef struct side {
	op_fn op;
	double rate[MAX_ROUNDS];
	float *lat; /* microseconds */
	size_t n_lat;
} side;

typedef struct figure {
	const char *name;
	double value, baseline, ratio;
	double p50, p50_base;
} figure;

static struct {
	te_hsm *hsm;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE ec, mac;
	uint8_t msg[MSG_LEN];
	uint8_t digest[32];
	uint8_t sig[TE_HSM_SIG_MAX];
	const char *module, *token;
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
	fprintf(stderr, "bench_pkcs11: %s\n", what);
	exit(1);
}

static void die_te(const char *what, te_err rc)
{
	fprintf(stderr, "bench_pkcs11: %s: %s (%s)\n", what, te_err_name(rc), te_err_detail());
	exit(1);
}

static void die_rv(const char *what, CK_RV rv)
{
	fprintf(stderr, "bench_pkcs11: %s: CKR 0x%lx\n", what, rv);
	exit(1);
}

/* ---- the operations ---------------------------------------------------------- */

static int hsm_ecdsa(void)
{
	size_t n = sizeof(b.sig);

	return te_hsm_key_sign(b.hsm, "bench-ec-p256", TE_HSM_ALG_ECDSA_SHA256, 0, b.msg, MSG_LEN,
	                       b.sig, &n) == TE_OK
	           ? 0
	           : -1;
}

static int direct_ecdsa(void)
{
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_ULONG n = sizeof(b.sig);

	if (b.f->C_SignInit(b.s, &m, b.ec) != CKR_OK)
		return -1;
	return b.f->C_Sign(b.s, b.digest, sizeof(b.digest), b.sig, &n) == CKR_OK ? 0 : -1;
}

static int hsm_hmac(void)
{
	size_t n = sizeof(b.sig);

	return te_hsm_key_sign(b.hsm, "bench-hmac", TE_HSM_ALG_HMAC_SHA256, 0, b.msg, MSG_LEN,
	                       b.sig, &n) == TE_OK
	           ? 0
	           : -1;
}

static int direct_hmac(void)
{
	CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
	CK_ULONG n = sizeof(b.sig);

	if (b.f->C_SignInit(b.s, &m, b.mac) != CKR_OK)
		return -1;
	return b.f->C_Sign(b.s, b.msg, MSG_LEN, b.sig, &n) == CKR_OK ? 0 : -1;
}

/* ---- measuring ------------------------------------------------------------------ */

static void run_round(side *s, int round, double seconds)
{
	size_t cap = LAT_CAP / (size_t)b.rounds, kept = 0;
	double t0 = now(), t = t0, end = t0 + seconds;
	unsigned long ops = 0;

	while (t < end) {
		double t1;

		if (s->op() != 0)
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

static void measure(figure *f, op_fn hsm_op, op_fn direct_op)
{
	side hsm = {.op = hsm_op}, direct = {.op = direct_op};

	hsm.lat = malloc(LAT_CAP * sizeof(float));
	direct.lat = malloc(LAT_CAP * sizeof(float));
	if (hsm.lat == NULL || direct.lat == NULL)
		die("out of memory");
	/* Warm up both paths (handle cache, session pool, CPU clocks). */
	for (int i = 0; i < 200; i++)
		if (hsm_op() != 0 || direct_op() != 0)
			die("warm-up operation failed");
	for (int r = 0; r < b.rounds; r++) {
		side *first = r % 2 ? &hsm : &direct, *second = r % 2 ? &direct : &hsm;

		run_round(first, r, b.seconds);
		run_round(second, r, b.seconds);
	}
	f->value = median(hsm.rate, (size_t)b.rounds);
	f->baseline = median(direct.rate, (size_t)b.rounds);
	f->ratio = f->value / f->baseline;
	f->p50 = p50_of(&hsm);
	f->p50_base = p50_of(&direct);
	free(hsm.lat);
	free(direct.lat);
}

/* ---- setup and output ------------------------------------------------------------ */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13u);
}

/* The module the backend loaded, through a handle of our own. */
static void module_attach(void)
{
	void *dl = dlopen(b.module, RTLD_NOW | RTLD_NOLOAD);
	CK_C_GetFunctionList get;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	size_t tlen = strlen(b.token);
	void *sym;
	CK_RV rv;

	if (dl == NULL)
		die("the PKCS#11 module is not loaded");
	sym = dlsym(dl, "C_GetFunctionList");
	if (sym == NULL)
		die("no C_GetFunctionList");
	memcpy(&get, &sym, sizeof(get));
	if ((rv = get(&b.f)) != CKR_OK)
		die_rv("C_GetFunctionList", rv);
	if ((rv = b.f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		die_rv("C_GetSlotList", rv);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;

		if (b.f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && tlen <= sizeof(ti.label) &&
		    memcmp(ti.label, b.token, tlen) == 0 &&
		    (tlen == sizeof(ti.label) || ti.label[tlen] == ' ')) {
			b.slot = slots[i];
			return;
		}
	}
	die("token not found");
}

/* The private or secret key object labelled label. */
static CK_OBJECT_HANDLE object_find(const char *label, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
	                     {CKA_LABEL, (void *)label, strlen(label)}};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = b.f->C_FindObjectsInit(b.s, t, 2)) != CKR_OK)
		die_rv("C_FindObjectsInit", rv);
	rv = b.f->C_FindObjects(b.s, &h, 1, &n);
	b.f->C_FindObjectsFinal(b.s);
	if (rv != CKR_OK || n != 1)
		die("key object not found");
	return h;
}

static void setup(void)
{
	const char *pin = getenv("TE_PKCS11_PIN");
	te_hsm_setting s[] = {
	    {"module", b.module}, {"token", b.token}, {"pin_env", "TE_PKCS11_PIN"}};
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	uint8_t key[32];
	unsigned int dn = 0;
	te_err rc;
	CK_RV rv;

	if (pin == NULL)
		die("TE_PKCS11_PIN is not set (run under tests/pkcs11/with_softhsm.sh)");
	fill(b.msg, sizeof(b.msg), 1);
	fill(key, sizeof(key), 2);
	if ((rc = te_hsm_open("pkcs11", s, 3, &b.hsm)) != TE_OK)
		die_te("te_hsm_open", rc);
	if ((rc = te_hsm_key_create(b.hsm, "bench-ec-p256", &ec)) != TE_OK)
		die_te("create bench-ec-p256", rc);
	if ((rc = te_hsm_key_import(b.hsm, "bench-hmac", &mac, key, sizeof(key))) != TE_OK)
		die_te("import bench-hmac", rc);
	if (EVP_Digest(b.msg, MSG_LEN, b.digest, &dn, EVP_sha256(), NULL) != 1 || dn != 32)
		die("SHA-256");

	/* The baseline: our own session on the same token (the login is the
	 * application's, so it is logged in already), the same objects. */
	module_attach();
	rv = b.f->C_OpenSession(b.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &b.s);
	if (rv != CKR_OK)
		die_rv("C_OpenSession", rv);
	b.ec = object_find("bench-ec-p256", CKO_PRIVATE_KEY);
	b.mac = object_find("bench-hmac", CKO_SECRET_KEY);
}

static void print_figure(const figure *f)
{
	printf("%s: %.0f ops/s (%.2fx %s %.0f ops/s)\n", f->name, f->value, f->ratio, BASELINE,
	       f->baseline);
	printf("%s.p50: %.2f us (%.2fx %s %.2f us)\n", f->name, f->p50,
	       f->p50_base > 0 ? f->p50 / f->p50_base : 0.0, BASELINE, f->p50_base);
}

static void json_figure(FILE *out, const char *name, double value, const char *unit, double base,
                        int higher_better, int last)
{
	double ratio = base > 0 ? value / base : 0;

	fprintf(out,
	        "    {\"figure\": \"%s\", \"value\": %.3f, \"unit\": \"%s\", "
	        "\"baseline\": \"%s\", \"baseline_value\": %.3f, \"ratio\": %.4f, ",
	        name, value, unit, BASELINE, base, ratio);
	if (higher_better)
		fprintf(out, "\"target\": %.2f, \"meets_target\": %s}%s\n", TARGET,
		        ratio >= TARGET ? "true" : "false", last ? "" : ",");
	else
		fprintf(out, "\"target\": null, \"lower_is_better\": true}%s\n", last ? "" : ",");
}

static int write_json(const char *path, const figure *f, size_t n)
{
	FILE *out = fopen(path, "w");
	CK_INFO info;
	char lib[64] = "unknown";

	if (out == NULL) {
		fprintf(stderr, "bench_pkcs11: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (b.f->C_GetInfo(&info) == CKR_OK)
		snprintf(lib, sizeof(lib), "%.32s %u.%u", (const char *)info.libraryDescription,
		         info.libraryVersion.major, info.libraryVersion.minor);
	for (char *p = lib; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '?';
	fprintf(out, "{\n  \"benchmark\": \"pkcs11\",\n  \"backend\": \"pkcs11\",\n");
	fprintf(out, "  \"module\": \"%s\",\n", lib);
	fprintf(out, "  \"openssl\": \"%s\",\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "  \"rounds\": %d,\n  \"round_seconds\": %.3f,\n", b.rounds, b.seconds);
	fprintf(out, "  \"method\": \"rounds alternate te_hsm (pkcs11 backend) and direct "
	             "C_SignInit+C_Sign on an own session, same token and key object; ECDSA "
	             "baseline signs a precomputed digest; value is the median per-round rate, "
	             "ratio the ratio of medians; p50 over all ops\",\n");
	fprintf(out, "  \"figures\": [\n");
	for (size_t i = 0; i < n; i++) {
		char p50[96];

		snprintf(p50, sizeof(p50), "%s.p50", f[i].name);
		json_figure(out, f[i].name, f[i].value, "ops/s", f[i].baseline, 1, 0);
		json_figure(out, p50, f[i].p50, "us", f[i].p50_base, 0, i + 1 == n);
	}
	fprintf(out, "  ]\n}\n");
	return fclose(out) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	figure figs[] = {
	    {"pkcs11.ecdsa_p256_sign", 0, 0, 0, 0, 0},
	    {"pkcs11.hmac_sha256_sign_64B", 0, 0, 0, 0, 0},
	};
	const op_fn hsm_ops[] = {hsm_ecdsa, hsm_hmac};
	const op_fn direct_ops[] = {direct_ecdsa, direct_hmac};
	const char *json = NULL;
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
			fprintf(stderr, "usage: bench_pkcs11 [--json PATH] [--rounds N] "
			                "[--seconds S]\n");
			return 2;
		}
	}
	if (b.rounds < 1 || b.rounds > MAX_ROUNDS || !(b.seconds > 0 && b.seconds < 60))
		die("rounds must be 1..32 and seconds 0..60");
	b.module = getenv("TE_PKCS11_MODULE");
	b.token = getenv("TE_PKCS11_TOKEN");
	if (b.module == NULL || b.token == NULL)
		die("TE_PKCS11_MODULE and TE_PKCS11_TOKEN must be set (run under "
		    "tests/pkcs11/with_softhsm.sh)");

	setup();
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		measure(&figs[i], hsm_ops[i], direct_ops[i]);
		print_figure(&figs[i]);
		fflush(stdout);
	}
	if (json != NULL && write_json(json, figs, sizeof(figs) / sizeof(figs[0])) != 0)
		rc = 1;

	b.f->C_CloseSession(b.s);
	if (te_hsm_key_delete(b.hsm, "bench-ec-p256") != TE_OK ||
	    te_hsm_key_delete(b.hsm, "bench-hmac") != TE_OK)
		fprintf(stderr, "bench_pkcs11: cleanup: %s\n", te_err_detail());
	te_hsm_close(b.hsm);
	return rc;
}
