/*
 * bench_util.h - the measurement harness shared by the benchmarks that put
 * a trustedge path beside a baseline doing the same work directly
 * (bench_hsm, bench_pkcs11, bench_tpm).
 *
 * Noise control: after a warm-up of both sides, short rounds alternate
 * which side runs first, so both see the same machine load; a figure is
 * the median per-round rate of each side and the ratio of the medians,
 * plus the p50 latency of each side over all kept operations.
 *
 * Output: one pair of lines per figure,
 *   name: value unit (ratio x baseline value unit)
 *   name.p50: value us (ratio x baseline value us)
 * and, with --json, a document with the run's parameters and every figure
 * with its .p50 companion.
 */
#ifndef TE_BENCH_UTIL_H
#define TE_BENCH_UTIL_H

#include <stddef.h>

#define TE_BENCH_MAX_ROUNDS 32

/* One operation of one side; nonzero means it failed, which ends the run. */
typedef int (*te_bench_op)(void *ctx);

/* What a benchmark is and how it measures.  The benchmark fills in all but
 * rounds and seconds, which hold defaults that te_bench_args may change. */
typedef struct te_bench {
	const char *prog;    /* "bench_hsm": usage and error messages */
	const char *name;    /* JSON "benchmark" */
	const char *backend; /* JSON "backend" */
	const char *method;  /* JSON "method" */
	int rounds;          /* --rounds, 1..TE_BENCH_MAX_ROUNDS */
	double seconds;      /* --seconds, per side per round */
	size_t lat_cap;      /* latency samples kept per side, all rounds */
	int warmup;          /* operations of each side before measuring */
	double target;       /* ratio a rate figure should reach */
	int p50_prec;        /* decimals of the printed p50 values */
} te_bench;

typedef struct te_bench_figure {
	const char *name;      /* "soft.ecdsa_p256_sign" */
	const char *base_name; /* "openssl-evp" */
	const char *unit;      /* "ops/s" or "MB/s" */
	double bytes_per_op;   /* 0: report ops/s; else MB/s */
	/* Filled in by te_bench_measure. */
	double value, baseline, ratio;
	double p50, p50_base;
} te_bench_figure;

/* An extra top-level JSON string field, written after "backend". */
typedef struct te_bench_field {
	const char *key;
	const char *value; /* written as is: no quotes or backslashes */
} te_bench_field;

/* Prints `prog: what` and exits 1. */
_Noreturn void te_bench_die(const te_bench *bench, const char *what);

/* Parses [--json PATH] [--rounds N] [--seconds S] into bench and *json
 * (left alone if absent).  Returns 0, or 2 after printing the usage; dies
 * on a round count or duration out of range. */
int te_bench_args(te_bench *bench, int argc, char **argv, const char **json);

/* Measures op against base_op (both called with ctx) into f. */
void te_bench_measure(const te_bench *bench, te_bench_figure *f, te_bench_op op,
                      te_bench_op base_op, void *ctx);

/* Prints the figure's two lines to stdout. */
void te_bench_print(const te_bench *bench, const te_bench_figure *f);

/* Writes the JSON document to path; 0 or -1 (with a message on stderr). */
int te_bench_write_json(const te_bench *bench, const char *path, const te_bench_field *extra,
                        size_t n_extra, const te_bench_figure *f, size_t n);

#endif
