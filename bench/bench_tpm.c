/*
 * bench_tpm.c - the HSM PAL tpm backend against direct ESYS calls on the
 * same loaded key of the same TPM, in one process.
 *
 * Figures: ECDSA P-256 sign/s and HMAC-SHA256 sign/s on 64-byte messages,
 * plus p50 latency of each.  Each is measured
 *   through te_hsm: te_hsm_key_sign (tpm backend: reads and checks the key
 *     file, hashes, signs in the TPM, DER-encodes), and
 *   directly with ESYS (baseline esys): SHA-256 with OpenSSL, then
 *     Esys_Sign (ECDSA, NULL ticket) or Esys_HMAC, on the very ESYS_TR the
 *     backend loaded (taken from the shared connection, tpm_conn.h), as an
 *     application using tpm2-tss itself would.
 * The TPM dominates both sides, so the ratio shows what the backend adds.
 * Noise control as in bench_hsm: short rounds alternate which side runs
 * first; the figure is the median per-round rate of each side and the
 * ratio of the medians.
 *
 * Run under tests/tpm/with_swtpm.sh (it sets TE_TPM_TCTI):
 *   tests/tpm/with_swtpm.sh build/bench/bench_tpm --json bench/results/tpm.json
 * Usage: bench_tpm [--json PATH] [--rounds N] [--seconds S]
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <tss2/tss2_esys.h>

#include "common/te_file.h"
#include "hsm/backends/tpm_blob.h"
#include "hsm/backends/tpm_conn.h"
#include "trustedge/te_hsm.h"

#define MSG_LEN 64
#define MAX_ROUNDS 32
#define LAT_CAP (1u << 20)
#define TARGET 0.90

typedef int (*op_fn)(void);

typedef struct side {
	op_fn op;
	double rate[MAX_ROUNDS];
	float *lat; /* microseconds */
	size_t n_lat;
} side;

typedef struct figure {
	const char *name;
	double value, baseline, ratio, p50, p50_base;
} figure;

static struct {
	te_hsm *hsm;
	te_tpm_conn *conn; /* the backend's connection, shared */
	ESYS_CONTEXT *esys;
	ESYS_TR ec, mac;
	uint8_t msg[MSG_LEN];
	uint8_t sig[TE_HSM_SIG_MAX];
	char keys[600];
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
	fprintf(stderr, "bench_tpm: %s\n", what);
	exit(1);
}

static void die_te(const char *what, te_err rc)
{
	fprintf(stderr, "bench_tpm: %s: %s (%s)\n", what, te_err_name(rc), te_err_detail());
	exit(1);
}

/* ---- the operations ------------------------------------------------------ */

static int hsm_ecdsa(void)
{
	size_t n = sizeof(b.sig);

	return te_hsm_key_sign(b.hsm, "bench-ec-p256", TE_HSM_ALG_ECDSA_SHA256, 0, b.msg, MSG_LEN,
			       b.sig, &n) == TE_OK
		       ? 0
		       : -1;
}

static int esys_ecdsa(void)
{
	TPM2B_DIGEST dg = {.size = 32};
	TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_ECDSA,
				  .details.ecdsa.hashAlg = TPM2_ALG_SHA256};
	TPMT_TK_HASHCHECK ticket = {.tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL};
	TPMT_SIGNATURE *sig = NULL;
	unsigned int n = 0;
	TSS2_RC r;

	if (EVP_Digest(b.msg, MSG_LEN, dg.buffer, &n, EVP_sha256(), NULL) != 1)
		return -1;
	r = Esys_Sign(b.esys, b.ec, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &dg, &scheme,
		      &ticket, &sig);
	Esys_Free(sig);
	return r == TSS2_RC_SUCCESS ? 0 : -1;
}

static int hsm_hmac(void)
{
	size_t n = sizeof(b.sig);

	return te_hsm_key_sign(b.hsm, "bench-hmac", TE_HSM_ALG_HMAC_SHA256, 0, b.msg, MSG_LEN,
			       b.sig, &n) == TE_OK
		       ? 0
		       : -1;
}

static int esys_hmac(void)
{
	TPM2B_MAX_BUFFER buf = {.size = MSG_LEN};
	TPM2B_DIGEST *out = NULL;
	TSS2_RC r;

	memcpy(buf.buffer, b.msg, MSG_LEN);
	r = Esys_HMAC(b.esys, b.mac, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &buf,
		      TPM2_ALG_SHA256, &out);
	Esys_Free(out);
	return r == TSS2_RC_SUCCESS ? 0 : -1;
}

/* ---- measuring ------------------------------------------------------------ */

static void run_round(side *s, int round)
{
	size_t cap = LAT_CAP / (size_t)b.rounds, kept = 0;
	double t0 = now(), t = t0, end = t0 + b.seconds;
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

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return (a > c) - (a < c);
}

static int cmp_float(const void *x, const void *y)
{
	float a = *(const float *)x, c = *(const float *)y;

	return (a > c) - (a < c);
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

/* The ESYS_TR the backend has loaded for key `name`: the same shared
 * connection hands out the object it caches under the file's digest. */
static ESYS_TR loaded_handle(const char *name)
{
	char fname[sizeof(b.keys) + TE_HSM_NAME_MAX + 16];
	uint8_t id[32];
	unsigned int idlen = 0;
	te_tpm_blob blob;
	ESYS_TR parent = ESYS_TR_NONE, tr = ESYS_TR_NONE;
	te_buf file;
	te_err rc;

	te_buf_init(&file, 0);
	snprintf(fname, sizeof(fname), "%s/%s" TE_TPM_KEY_SUFFIX, b.keys, name);
	if ((rc = te_file_read_at(AT_FDCWD, fname, name, TE_TPM_BLOB_MAX, &file)) !=
		    TE_OK ||
	    (rc = te_tpm_blob_decode(TE_TPM_BLOB_KEY, name, file.data, file.len, &blob)) != TE_OK)
		die_te("read key file", rc);
	if (EVP_Digest(file.data, file.len, id, &idlen, EVP_sha256(), NULL) != 1)
		die("digest");
	te_tpm_conn_lock(b.conn);
	rc = te_tpm_conn_parent(b.conn, 0, NULL, &parent, NULL);
	if (rc == TE_OK)
		rc = te_tpm_conn_load(b.conn, parent, id, &blob.pub, &blob.priv, name, &tr);
	te_tpm_conn_unlock(b.conn);
	if (rc != TE_OK)
		die_te("load key", rc);
	te_buf_free(&file);
	return tr;
}

static void measure(figure *f, op_fn hsm_op, op_fn esys_op)
{
	side hsm = {.op = hsm_op}, esys = {.op = esys_op};

	hsm.lat = malloc(LAT_CAP * sizeof(float));
	esys.lat = malloc(LAT_CAP * sizeof(float));
	if (hsm.lat == NULL || esys.lat == NULL)
		die("out of memory");
	/* Warm up both paths (key cache, loaded objects, connections). */
	for (int i = 0; i < 50; i++)
		if (hsm_op() != 0 || esys_op() != 0)
			die("warm-up operation failed");
	for (int r = 0; r < b.rounds; r++) {
		side *first = r % 2 ? &hsm : &esys, *second = r % 2 ? &esys : &hsm;

		run_round(first, r);
		run_round(second, r);
	}
	f->value = median(hsm.rate, (size_t)b.rounds);
	f->baseline = median(esys.rate, (size_t)b.rounds);
	f->ratio = f->value / f->baseline;
	f->p50 = p50_of(&hsm);
	f->p50_base = p50_of(&esys);
	free(hsm.lat);
	free(esys.lat);
}

/* ---- setup and output ------------------------------------------------------ */

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup(const char *tcti)
{
	te_hsm_setting s[] = {{"tcti", tcti}, {"state_dir", b.keys}};
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_err rc;

	for (size_t i = 0; i < MSG_LEN; i++)
		b.msg[i] = (uint8_t)(1 + i * 13u);
	if ((rc = te_hsm_open("tpm", s, 2, &b.hsm)) != TE_OK)
		die_te("te_hsm_open", rc);
	if ((rc = te_hsm_key_create(b.hsm, "bench-ec-p256", &ec)) != TE_OK)
		die_te("create bench-ec-p256", rc);
	if ((rc = te_hsm_key_create(b.hsm, "bench-hmac", &mac)) != TE_OK)
		die_te("create bench-hmac", rc);
	if (hsm_ecdsa() != 0 || hsm_hmac() != 0)
		die("first signatures failed");
	/* The same connection the backend uses (same tcti): one more reference. */
	if ((rc = te_tpm_conn_open(tcti, &b.conn)) != TE_OK)
		die_te("connection", rc);
	b.esys = te_tpm_conn_esys(b.conn);
}

static void print_figure(const figure *f)
{
	printf("%s: %.0f ops/s (%.2fx esys %.0f ops/s)\n", f->name, f->value, f->ratio,
	       f->baseline);
	printf("%s.p50: %.1f us (%.2fx esys %.1f us)\n", f->name, f->p50,
	       f->p50_base > 0 ? f->p50 / f->p50_base : 0.0, f->p50_base);
}

static void json_figure(FILE *out, const char *name, double value, const char *unit,
			double base, int higher_better, int last)
{
	double ratio = base > 0 ? value / base : 0;

	fprintf(out,
		"    {\"figure\": \"%s\", \"value\": %.3f, \"unit\": \"%s\", "
		"\"baseline\": \"esys\", \"baseline_value\": %.3f, \"ratio\": %.4f, ",
		name, value, unit, base, ratio);
	if (higher_better)
		fprintf(out, "\"target\": %.2f, \"meets_target\": %s}%s\n", TARGET,
			ratio >= TARGET ? "true" : "false", last ? "" : ",");
	else
		fprintf(out, "\"target\": null, \"lower_is_better\": true}%s\n", last ? "" : ",");
}

static int write_json(const char *path, const char *tcti, const figure *f, size_t n)
{
	FILE *out = fopen(path, "w");

	if (out == NULL) {
		fprintf(stderr, "bench_tpm: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(out, "{\n  \"benchmark\": \"tpm\",\n  \"backend\": \"tpm\",\n");
	fprintf(out, "  \"tpm\": \"%s\",\n", strncmp(tcti, "swtpm", 5) == 0 ? "swtpm" : "other");
	fprintf(out, "  \"openssl\": \"%s\",\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "  \"rounds\": %d,\n  \"round_seconds\": %.3f,\n", b.rounds, b.seconds);
	fprintf(out, "  \"method\": \"rounds alternate te_hsm and direct ESYS calls on the same "
		     "loaded key of the same TPM; value is the median per-round rate, ratio "
		     "the ratio of medians; p50 over all ops\",\n");
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
		{"tpm.ecdsa_p256_sign", 0, 0, 0, 0, 0},
		{"tpm.hmac_sha256_sign_64B", 0, 0, 0, 0, 0},
	};
	const op_fn hsm_ops[] = {hsm_ecdsa, hsm_hmac};
	const op_fn esys_ops[] = {esys_ecdsa, esys_hmac};
	const char *json = NULL, *tmpdir = getenv("TMPDIR"), *tcti = getenv("TE_TPM_TCTI");
	char tmp[512];
	int rc = 0;

	b.rounds = 11;
	b.seconds = 0.35;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			json = argv[++i];
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			b.rounds = (int)strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			b.seconds = strtod(argv[++i], NULL);
		} else {
			fprintf(stderr, "usage: bench_tpm [--json PATH] [--rounds N] "
					"[--seconds S]\n");
			return 2;
		}
	}
	if (b.rounds < 1 || b.rounds > MAX_ROUNDS || !(b.seconds > 0 && b.seconds < 60))
		die("rounds must be 1..32 and seconds 0..60");
	if (tcti == NULL || tcti[0] == '\0')
		die("TE_TPM_TCTI is not set (run under tests/tpm/with_swtpm.sh)");

	if (tmpdir == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/te-bench-tpm-XXXXXX", tmpdir);
	if (mkdtemp(tmp) == NULL)
		die("cannot make a temp directory");
	snprintf(b.keys, sizeof(b.keys), "%s/keys", tmp);
	setup(tcti);
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		/* Taken per figure: both keys stay loaded (two key slots). */
		b.ec = loaded_handle("bench-ec-p256");
		b.mac = loaded_handle("bench-hmac");
		measure(&figs[i], hsm_ops[i], esys_ops[i]);
		print_figure(&figs[i]);
		fflush(stdout);
	}
	if (json != NULL && write_json(json, tcti, figs, sizeof(figs) / sizeof(figs[0])) != 0)
		rc = 1;

	te_tpm_conn_close(b.conn);
	te_hsm_close(b.hsm);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
