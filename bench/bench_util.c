/*
 * bench_util.c - the measurement harness shared by bench_hsm, bench_pkcs11
 * and bench_tpm: timed rounds, medians, p50 latencies, the printed lines
 * and the JSON document (see bench_util.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "bench_util.h"

/* One side of a figure: its operation and what its rounds measured. */
typedef struct side {
	te_bench_op op;
	void *ctx;
	double rate[TE_BENCH_MAX_ROUNDS];
	float *lat; /* microseconds */
	size_t n_lat;
} side;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void te_bench_die(const te_bench *bench, const char *what)
{
	fprintf(stderr, "%s: %s\n", bench->prog, what);
	exit(1);
}

int te_bench_args(te_bench *bench, int argc, char **argv, const char **json)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			*json = argv[++i];
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			bench->rounds = (int)strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			bench->seconds = strtod(argv[++i], NULL);
		} else {
			fprintf(stderr, "usage: %s [--json PATH] [--rounds N] [--seconds S]\n",
			        bench->prog);
			return 2;
		}
	}
	if (bench->rounds < 1 || bench->rounds > TE_BENCH_MAX_ROUNDS ||
	    !(bench->seconds > 0 && bench->seconds < 60))
		te_bench_die(bench, "rounds must be 1..32 and seconds 0..60");
	return 0;
}

/* Runs the side's op for about bench->seconds; stores the round's rate and
 * per-op latencies.  Each round keeps at most its share of the samples, so
 * every round is represented in the p50. */
static void run_round(const te_bench *bench, side *s, int round)
{
	size_t cap = bench->lat_cap / (size_t)bench->rounds, kept = 0;
	double t0 = now(), t = t0, end = t0 + bench->seconds;
	unsigned long ops = 0;

	while (t < end) {
		double t1;

		if (s->op(s->ctx) != 0)
			te_bench_die(bench, "operation failed");
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

void te_bench_measure(const te_bench *bench, te_bench_figure *f, te_bench_op op,
                      te_bench_op base_op, void *ctx)
{
	side te = {.op = op, .ctx = ctx}, base = {.op = base_op, .ctx = ctx};
	double scale = f->bytes_per_op > 0 ? f->bytes_per_op / 1e6 : 1.0;

	te.lat = malloc(bench->lat_cap * sizeof(float));
	base.lat = malloc(bench->lat_cap * sizeof(float));
	if (te.lat == NULL || base.lat == NULL)
		te_bench_die(bench, "out of memory");
	/* Warm up both paths (key and handle caches, loaded objects, CPU
	 * clocks) so the first round is not the slow one. */
	for (int i = 0; i < bench->warmup; i++)
		if (op(ctx) != 0 || base_op(ctx) != 0)
			te_bench_die(bench, "warm-up operation failed");
	/* Alternating which side goes first spreads drifting load evenly. */
	for (int r = 0; r < bench->rounds; r++) {
		side *first = r % 2 ? &te : &base, *second = r % 2 ? &base : &te;

		run_round(bench, first, r);
		run_round(bench, second, r);
	}
	f->value = median(te.rate, (size_t)bench->rounds) * scale;
	f->baseline = median(base.rate, (size_t)bench->rounds) * scale;
	f->ratio = f->value / f->baseline;
	f->p50 = p50_of(&te);
	f->p50_base = p50_of(&base);
	free(te.lat);
	free(base.lat);
}

void te_bench_print(const te_bench *bench, const te_bench_figure *f)
{
	/* Rates in MB/s are small enough to want a decimal; ops/s are not. */
	int prec = f->bytes_per_op > 0 ? 1 : 0;

	printf("%s: %.*f %s (%.2fx %s %.*f %s)\n", f->name, prec, f->value, f->unit, f->ratio,
	       f->base_name, prec, f->baseline, f->unit);
	printf("%s.p50: %.*f us (%.2fx %s %.*f us)\n", f->name, bench->p50_prec, f->p50,
	       f->p50_base > 0 ? f->p50 / f->p50_base : 0.0, f->base_name, bench->p50_prec,
	       f->p50_base);
}

/* One entry of "figures": a rate has a target ratio, a latency is lower
 * the better and has none. */
static void json_figure(FILE *out, const te_bench *bench, const char *name, double value,
                        const char *unit, const char *base_name, double base, int higher_better,
                        int last)
{
	double ratio = base > 0 ? value / base : 0;

	fprintf(out,
	        "    {\"figure\": \"%s\", \"value\": %.3f, \"unit\": \"%s\", "
	        "\"baseline\": \"%s\", \"baseline_value\": %.3f, \"ratio\": %.4f, ",
	        name, value, unit, base_name, base, ratio);
	if (higher_better)
		fprintf(out, "\"target\": %.2f, \"meets_target\": %s}%s\n", bench->target,
		        ratio >= bench->target ? "true" : "false", last ? "" : ",");
	else
		fprintf(out, "\"target\": null, \"lower_is_better\": true}%s\n", last ? "" : ",");
}

int te_bench_write_json(const te_bench *bench, const char *path, const te_bench_field *extra,
                        size_t n_extra, const te_bench_figure *f, size_t n)
{
	FILE *out = fopen(path, "w");

	if (out == NULL) {
		fprintf(stderr, "%s: cannot write %s: %s\n", bench->prog, path, strerror(errno));
		return -1;
	}
	fprintf(out, "{\n  \"benchmark\": \"%s\",\n  \"backend\": \"%s\",\n", bench->name,
	        bench->backend);
	for (size_t i = 0; i < n_extra; i++)
		fprintf(out, "  \"%s\": \"%s\",\n", extra[i].key, extra[i].value);
	fprintf(out, "  \"openssl\": \"%s\",\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "  \"rounds\": %d,\n  \"round_seconds\": %.3f,\n", bench->rounds,
	        bench->seconds);
	fprintf(out, "  \"method\": \"%s\",\n", bench->method);
	fprintf(out, "  \"figures\": [\n");
	for (size_t i = 0; i < n; i++) {
		char p50[96];

		snprintf(p50, sizeof(p50), "%s.p50", f[i].name);
		json_figure(out, bench, f[i].name, f[i].value, f[i].unit, f[i].base_name,
		            f[i].baseline, 1, 0);
		json_figure(out, bench, p50, f[i].p50, "us", f[i].base_name, f[i].p50_base, 0,
		            i + 1 == n);
	}
	fprintf(out, "  ]\n}\n");
	return fclose(out) == 0 ? 0 : -1;
}
