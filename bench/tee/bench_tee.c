/*
 * bench_tee.c - call latency of the TEE emulator: the empty ECALL and OCALL
 * round trips, regular and switchless, beside a plain function call and a
 * pipe round trip measured in the same run (docs: performance.md, tee.md
 * "Performance anchors").  The TA is ta/bench_ta.c, signed at build time.
 *
 * Every figure is the median and p99 of many individually timed samples
 * (CLOCK_MONOTONIC around each), after a warm-up of a tenth as many:
 *   baseline.function_call   an empty function through a volatile function
 *                            pointer; one call is far below what a clock
 *                            read can resolve, so a sample is a batch of
 *                            1000 calls, divided by 1000
 *   baseline.pipe_round_trip 1 byte to a forked child and back over two
 *                            pipes, both pinned to one CPU: the baseline of
 *                            the ratios.  Left to the scheduler this figure
 *                            is bimodal (same CPU or not), hence the pinning
 *   baseline.pipe_round_trip_cross_cpu
 *                            the same with the child on another CPU, where
 *                            each byte wakes a sleeping CPU (a tenth of the
 *                            samples: it is slow on virtual machines)
 *   baseline.spin_round_trip a forked child on another CPU spins on one
 *                            shared word and flips it back: the floor of
 *                            any cross-process call on this machine
 *   tee.ecall.regular        oe_call_enclave_function, empty ECALL
 *   tee.ecall.switchless     oe_switchless_call_enclave_function on an
 *                            enclave with one host and one enclave worker
 *   tee.ocall.regular        empty oe_call_host_function, timed inside the
 *                            TA around each OCALL (ECALL "ocall_loop"), so
 *                            no ECALL is part of the figure
 *   tee.ocall.switchless     the same with oe_switchless_call_host_function
 * The emulator's threads are left to the scheduler.
 * Each sample includes one clock read (its cost is in the JSON).
 *
 * Output: one line per figure,
 *   name: median X us p99 Y us (R x pipe round trip P us; S x spin round
 *         trip F us; target; reference SGX figure)
 * and, with --json, all figures in a JSON document.  No timing is asserted:
 * the exit status is 0 unless a call fails (oe_result_str and the detail
 * are printed, exit 1).
 *
 * Usage: bench_tee [--iterations N] [--json PATH]
 */
#include <openenclave/edger8r/host.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG "bench_tee"
#define DEFAULT_ITERATIONS 200000L
#define MIN_ITERATIONS 100L
#define MAX_ITERATIONS 20000000L
#define CALLS_PER_BATCH 1000
/* OCALL timings per "ocall_loop" ECALL: 64 KiB of output. */
#define OCALL_BATCH 16384u
#define LOOP_HEADER 8u

/* Targets and SGX reference figures, in microseconds (tee.md). */
#define TARGET_ECALL_US 2.0
#define TARGET_ECALL_SWITCHLESS_US 0.3
#define SGX_ECALL_US 12.0
#define SGX_ECALL_SWITCHLESS_US 1.37
#define SGX_OCALL_US 7.3
#define SGX_OCALL_SWITCHLESS_US 0.88

/* The TA's ECALLs, in the order of this name table. */
enum { F_EMPTY, F_OCALL_EMPTY, F_OCALL_EMPTY_SWITCHLESS, F_OCALL_LOOP, F_COUNT };

static const oe_ecall_info_t ecall_names[F_COUNT] = {
	{ "empty" },
	{ "ocall_empty" },
	{ "ocall_empty_switchless" },
	{ "ocall_loop" },
};

/* The host's one OCALL (id 0): empty.  It notes the thread that ran it, so
 * the bench can tell a switchless OCALL was taken by a host worker. */
static pthread_t ocall_thread;

static void o_empty(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	ocall_thread = pthread_self();
	*w = 0;
}

static const oe_ocall_func_t ocalls[] = { o_empty };

/* The enclave alive, so a failing call can stop it before exiting. */
static oe_enclave_t *live;

static _Noreturn void die(const char *what)
{
	fprintf(stderr, PROG ": %s\n", what);
	if (live)
		oe_terminate_enclave(live);
	exit(1);
}

static _Noreturn void die_oe(const char *what, oe_result_t r)
{
	const char *detail = oe_last_error_detail();

	fprintf(stderr, PROG ": %s: %s (%s)\n", what, oe_result_str(r),
		detail && *detail ? detail : "no detail");
	if (live)
		oe_terminate_enclave(live);
	exit(1);
}

static void check(const char *what, oe_result_t r)
{
	if (r != OE_OK)
		die_oe(what, r);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- statistics ----------------------------------------------------------- */

typedef struct figure {
	const char *name;
	const char *method;  /* JSON "method" */
	const char *note;    /* in the printed line */
	double target_us;    /* 0: none */
	double reference_us; /* SGX reference; 0: none */
	int vs_baselines;    /* a TEE figure: ratios to the pipe and spin round trips */
	double median_us, p99_us;
	long samples; /* 0: not measured */
} figure;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p of all at or below. */
static uint64_t rank(const uint64_t *sorted, long n, double p)
{
	long k = (long)(p * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return sorted[k - 1];
}

/* Sorts ns[0..n) and sets the figure's median and p99 (each / per). */
static void summarize(figure *f, uint64_t *ns, long n, double per)
{
	qsort(ns, (size_t)n, sizeof(*ns), cmp_u64);
	f->median_us = (double)rank(ns, n, 0.50) / per / 1e3;
	f->p99_us = (double)rank(ns, n, 0.99) / per / 1e3;
	f->samples = n;
}

static uint64_t *alloc_samples(long n)
{
	uint64_t *p = malloc(sizeof(uint64_t) * (size_t)n);

	if (!p)
		die("out of memory");
	return p;
}

/* --- baselines ------------------------------------------------------------ */

/* What a clock read costs: the resolution floor of every sample. */
static double clock_read_us(long n)
{
	uint64_t *ns = alloc_samples(n);
	figure f = { .name = "clock read" };

	for (long i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		ns[i] = now_ns() - t0;
	}
	summarize(&f, ns, n, 1);
	free(ns);
	return f.median_us;
}

static __attribute__((noinline)) void empty_function(void)
{
	__asm__ volatile("" ::: "memory");
}

static void (*volatile empty_ptr)(void) = empty_function;

static void bench_function_call(figure *f, long iters, long warmup)
{
	uint64_t *ns = alloc_samples(iters);

	for (long i = -warmup; i < iters; i++) {
		uint64_t t0 = now_ns();

		for (int k = 0; k < CALLS_PER_BATCH; k++)
			empty_ptr();
		if (i >= 0)
			ns[i] = now_ns() - t0;
	}
	summarize(f, ns, iters, CALLS_PER_BATCH);
	free(ns);
}

/* The CPUs this process may run on, and pinning the calling thread (a
 * forked child inherits it). */
static cpu_set_t cpus_allowed;

static int pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s);
}

static void unpin(void)
{
	if (sched_setaffinity(0, sizeof(cpus_allowed), &cpus_allowed) != 0)
		die("cannot restore the CPU affinity");
}

/* The n-th CPU (0-based) this process may run on, or -1. */
static int allowed_cpu(int n)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &cpus_allowed) && n-- == 0)
			return c;
	return -1;
}

static int read_byte(int fd, char *c)
{
	ssize_t r;

	do
		r = read(fd, c, 1);
	while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

static int write_byte(int fd, char c)
{
	ssize_t r;

	do
		r = write(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

/* The pipe round trip with this process on CPU `cpu` and the echo child
 * on `child_cpu` (the same CPU or another).  Left to the scheduler the
 * figure is bimodal: both on one CPU (a few us) or on two, where each
 * wake-up of a sleeping CPU costs far more on a virtual machine. */
static void bench_pipe(figure *f, long iters, long warmup, int cpu, int child_cpu)
{
	int down[2], up[2], status;
	uint64_t *ns = alloc_samples(iters);
	pid_t pid;
	char c = 'x';

	if (pipe(down) != 0 || pipe(up) != 0)
		die("pipe failed");
	if (pin(cpu) != 0)
		die("cannot pin to a CPU");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid == 0) {
		/* The echo: until the parent closes its end. */
		close(down[1]);
		close(up[0]);
		(void)pin(child_cpu); /* best effort: the parent's CPU otherwise */
		while (read_byte(down[0], &c) == 0)
			if (write_byte(up[1], c) != 0)
				_exit(1);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	for (long i = -warmup; i < iters; i++) {
		uint64_t t0 = now_ns();

		if (write_byte(down[1], c) != 0 || read_byte(up[0], &c) != 0)
			die("the pipe echo child stopped answering");
		if (i >= 0)
			ns[i] = now_ns() - t0;
	}
	close(down[1]);
	close(up[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("the pipe echo child failed");
	unpin();
	summarize(f, ns, iters, 1);
	free(ns);
}

/* The floor of any cross-process call on this machine: a forked child on
 * another CPU spins on one shared word and flips it back, no system call
 * and no data.  A switchless call cannot beat this. */
static void bench_spin(figure *f, long iters, long warmup, int cpu, int child_cpu)
{
	_Atomic uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t *ns = alloc_samples(iters);
	int status;
	pid_t pid;

	if (word == MAP_FAILED)
		die("mmap failed");
	if (pin(cpu) != 0)
		die("cannot pin to a CPU");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid == 0) {
		uint32_t v;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		(void)pin(child_cpu);
		/* 1: a call, answered with 0; 2: leave. */
		for (;;) {
			while ((v = atomic_load_explicit(word, memory_order_acquire)) == 0)
				;
			if (v == 2)
				_exit(0);
			atomic_store_explicit(word, 0, memory_order_release);
		}
	}
	for (long i = -warmup; i < iters; i++) {
		uint64_t t0 = now_ns();

		atomic_store_explicit(word, 1, memory_order_release);
		while (atomic_load_explicit(word, memory_order_acquire) != 0)
			;
		if (i >= 0)
			ns[i] = now_ns() - t0;
	}
	atomic_store_explicit(word, 2, memory_order_release);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("the spinning child failed");
	unpin();
	munmap((void *)word, 4096);
	summarize(f, ns, iters, 1);
	free(ns);
}

/* --- the emulator --------------------------------------------------------- */

static oe_enclave_t *create(int switchless)
{
	const oe_enclave_setting_context_switchless_t sw = { .max_host_workers = 1,
							     .max_enclave_workers = 1 };
	oe_enclave_setting_t s = { .setting_type = OE_ENCLAVE_SETTING_CONTEXT_SWITCHLESS };
	oe_enclave_t *e = NULL;

	s.u.context_switchless_setting = &sw;
	check(switchless ? "creating the switchless enclave" : "creating the enclave",
	      oe_create_enclave(BENCH_TA_SIGNED, OE_ENCLAVE_TYPE_AUTO, 0, switchless ? &s : NULL,
				switchless ? 1 : 0, ocalls, 1, ecall_names, F_COUNT, &e));
	live = e;
	return e;
}

static void terminate(oe_enclave_t *e)
{
	live = NULL;
	check("terminating the enclave", oe_terminate_enclave(e));
}

/* One ECALL that makes one OCALL: checks both ends of the path work, and
 * returns whether the OCALL ran on this thread. */
static int probe_ocall(oe_enclave_t *e, int switchless)
{
	uint32_t res = OE_FAILURE;
	size_t w = 0;
	const char *what = switchless ? "ECALL ocall_empty_switchless" : "ECALL ocall_empty";

	ocall_thread = (pthread_t)0;
	check(what, oe_call_enclave_function(e, switchless ? F_OCALL_EMPTY_SWITCHLESS : F_OCALL_EMPTY,
					     NULL, 0, &res, sizeof(res), &w));
	if (w != sizeof(res))
		die("the TA returned no OCALL result");
	if (res != OE_OK)
		die_oe("the OCALL in the TA", (oe_result_t)res);
	return pthread_equal(ocall_thread, pthread_self());
}

static void bench_ecall(figure *f, oe_enclave_t *e, int switchless, long iters, long warmup)
{
	const char *what = switchless ? "switchless ECALL empty" : "ECALL empty";
	uint64_t *ns = alloc_samples(iters);

	for (long i = -warmup; i < iters; i++) {
		size_t w = 1;
		uint64_t t0 = now_ns(), t1;
		oe_result_t r = switchless ? oe_switchless_call_enclave_function(e, F_EMPTY, NULL, 0,
										 NULL, 0, &w)
					   : oe_call_enclave_function(e, F_EMPTY, NULL, 0, NULL,
								      0, &w);

		t1 = now_ns();
		if (r != OE_OK)
			die_oe(what, r);
		if (w != 0)
			die("the empty ECALL returned output");
		if (i >= 0)
			ns[i] = t1 - t0;
	}
	summarize(f, ns, iters, 1);
	free(ns);
}

/* Runs n OCALLs in the TA (ECALL "ocall_loop" in batches); stores their
 * in-TA timings in ns when it is not NULL. */
static void ocall_loop(oe_enclave_t *e, int switchless, long n, uint64_t *ns, uint8_t *buf)
{
	long done = 0;

	while (done < n) {
		uint32_t count = n - done > OCALL_BATCH ? OCALL_BATCH : (uint32_t)(n - done);
		uint32_t res, got;
		uint8_t in[5];
		size_t w = 0;

		memcpy(in, &count, 4);
		in[4] = (uint8_t)switchless;
		check("ECALL ocall_loop", oe_call_enclave_function(e, F_OCALL_LOOP, in, sizeof(in), buf,
								   LOOP_HEADER + 4u * OCALL_BATCH,
								   &w));
		if (w < LOOP_HEADER)
			die("ocall_loop returned no header");
		memcpy(&res, buf, 4);
		memcpy(&got, buf + 4, 4);
		if (res != OE_OK)
			die_oe(switchless ? "a switchless OCALL in ocall_loop"
					  : "an OCALL in ocall_loop",
			       (oe_result_t)res);
		if (got != count || w != LOOP_HEADER + 4u * (size_t)count)
			die("ocall_loop returned the wrong number of timings");
		for (uint32_t k = 0; ns && k < count; k++) {
			uint32_t t;

			memcpy(&t, buf + LOOP_HEADER + 4u * k, 4);
			ns[done + k] = t;
		}
		done += count;
	}
}

static void bench_ocall(figure *f, oe_enclave_t *e, int switchless, long iters, long warmup)
{
	uint64_t *ns = alloc_samples(iters);
	uint8_t *buf = malloc(LOOP_HEADER + 4u * OCALL_BATCH);

	if (!buf)
		die("out of memory");
	ocall_loop(e, switchless, warmup, NULL, buf);
	ocall_loop(e, switchless, iters, ns, buf);
	summarize(f, ns, iters, 1);
	free(buf);
	free(ns);
}

/* --- output --------------------------------------------------------------- */

enum { FN, PIPE, PIPE_X, SPIN, ECALL, ECALL_SW, OCALL, OCALL_SW, N_FIGS };

static const char *us(double v, char *buf, size_t cap)
{
	snprintf(buf, cap, v < 0.01 ? "%.4f" : v < 1 ? "%.3f" : v < 100 ? "%.2f" : "%.1f", v);
	return buf;
}

static const char *ratio(double v, char *buf, size_t cap)
{
	snprintf(buf, cap, v < 0.01 ? "%.4f" : "%.2f", v);
	return buf;
}

static void print_figure(const figure *figs, int i, double clock_us)
{
	const figure *f = &figs[i], *pipe_rt = &figs[PIPE], *spin = &figs[SPIN];
	char a[32], b[32];

	if (!f->samples) {
		printf("%s: skipped (%s)\n", f->name, f->note);
		return;
	}
	printf("%s: median %s us p99 %s us (", f->name, us(f->median_us, a, sizeof(a)),
	       us(f->p99_us, b, sizeof(b)));
	if (f->vs_baselines) {
		printf("%s x pipe round trip %s us; ", ratio(f->median_us / pipe_rt->median_us, a,
							       sizeof(a)),
		       us(pipe_rt->median_us, b, sizeof(b)));
		if (spin->samples)
			printf("%s x spin round trip %s us; ",
			       ratio(f->median_us / spin->median_us, a, sizeof(a)),
			       us(spin->median_us, b, sizeof(b)));
		if (f->target_us > 0)
			printf("target <= %g us; ", f->target_us);
		else
			printf("no target; ");
		printf("reference SGX %g us", f->reference_us);
		if (f->note)
			printf("; %s", f->note);
	} else if (i == FN) {
		printf("%s, a clock read costs %s us", f->note, us(clock_us, a, sizeof(a)));
	} else {
		printf("%s", f->note);
	}
	if (f->samples != figs[FN].samples)
		printf("; %ld samples", f->samples);
	printf(")\n");
}

static void json_num(FILE *j, const char *key, double v)
{
	if (v > 0)
		fprintf(j, "\"%s\": %.6g, ", key, v);
	else
		fprintf(j, "\"%s\": null, ", key);
}

static void write_json(FILE *j, const char *path, const figure *figs, long iters, long warmup,
		       double clock_us)
{
	fprintf(j,
		"{\n  \"benchmark\": \"tee\",\n"
		"  \"method\": \"median and p99 of individually timed samples (CLOCK_MONOTONIC "
		"around each, one clock read included) after a warm-up of a tenth as many; "
		"ECALLs timed by the host, OCALLs timed inside the TA around each OCALL; a "
		"function-call sample is a batch of %d calls divided by %d\",\n"
		"  \"iterations\": %ld,\n  \"warmup\": %ld,\n  \"cpus\": %ld,\n"
		"  \"clock_read_us\": %.6g,\n  \"baseline\": \"baseline.pipe_round_trip\",\n"
		"  \"figures\": [\n",
		CALLS_PER_BATCH, CALLS_PER_BATCH, iters, warmup, sysconf(_SC_NPROCESSORS_ONLN),
		clock_us);
	for (int i = 0; i < N_FIGS; i++) {
		const figure *f = &figs[i];
		int with = f->vs_baselines && f->samples;

		fprintf(j, "    {\"figure\": \"%s\", \"unit\": \"us\", ", f->name);
		json_num(j, "median", f->samples ? f->median_us : 0);
		json_num(j, "p99", f->samples ? f->p99_us : 0);
		fprintf(j, "\"samples\": %ld, ", f->samples);
		json_num(j, "ratio_to_pipe_round_trip",
			 with ? f->median_us / figs[PIPE].median_us : 0);
		json_num(j, "ratio_to_spin_round_trip",
			 with && figs[SPIN].samples ? f->median_us / figs[SPIN].median_us : 0);
		json_num(j, "target", f->target_us);
		if (f->target_us > 0 && f->samples)
			fprintf(j, "\"meets_target\": %s, ",
				f->median_us <= f->target_us ? "true" : "false");
		else
			fprintf(j, "\"meets_target\": null, ");
		json_num(j, "reference_sgx", f->reference_us);
		fprintf(j, "\"method\": \"%s\"}%s\n", f->method, i + 1 < N_FIGS ? "," : "");
	}
	fprintf(j, "  ]\n}\n");
	if (fclose(j) != 0) {
		fprintf(stderr, PROG ": cannot write %s\n", path);
		exit(1);
	}
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: " PROG " [--iterations N] [--json PATH]\n"
		"Empty ECALL and OCALL round trips of the TEE emulator, regular and\n"
		"switchless, beside a function call, a pipe round trip and a spinning\n"
		"shared-memory round trip: median and p99 of N individually timed samples\n"
		"each (default %ld, %ld..%ld; N/10 for the cross-CPU pipe), after a\n"
		"warm-up of a tenth as many.  --json PATH also writes the figures as JSON.\n",
		DEFAULT_ITERATIONS, MIN_ITERATIONS, MAX_ITERATIONS);
}

int main(int argc, char **argv)
{
	const char *json = NULL;
	FILE *json_file = NULL;
	long iters = DEFAULT_ITERATIONS, warmup;
	double clock_us;
	oe_enclave_t *e;
	int cpu0, cpu1;
	figure figs[N_FIGS] = {
		[FN] = { .name = "baseline.function_call",
			 .method = "empty function through a volatile function pointer, batches "
				   "of 1000 calls timed and divided",
			 .note = "per call; batches of 1000 calls timed and divided: one call is "
				 "below the clock's resolution" },
		[PIPE] = { .name = "baseline.pipe_round_trip",
			   .method = "1 byte to a forked child and back over two pipes, both "
				     "pinned to one CPU",
			   .note = "1 byte to a forked child and back over two pipes, both on one "
				   "CPU" },
		[PIPE_X] = { .name = "baseline.pipe_round_trip_cross_cpu",
			     .method = "the pipe round trip with the child pinned to another CPU",
			     .note = "the same with the child on another CPU: each byte wakes a "
				     "sleeping CPU" },
		[SPIN] = { .name = "baseline.spin_round_trip",
			   .method = "a forked child on another CPU spins on one shared word and "
				     "flips it back",
			   .note = "a forked child on another CPU flips one shared word back: the "
				   "floor of any cross-process call here" },
		[ECALL] = { .name = "tee.ecall.regular",
			    .method = "oe_call_enclave_function, empty ECALL",
			    .target_us = TARGET_ECALL_US,
			    .reference_us = SGX_ECALL_US,
			    .vs_baselines = 1 },
		[ECALL_SW] = { .name = "tee.ecall.switchless",
			       .method = "oe_switchless_call_enclave_function, empty ECALL, 1 host "
					 "and 1 enclave worker",
			       .target_us = TARGET_ECALL_SWITCHLESS_US,
			       .reference_us = SGX_ECALL_SWITCHLESS_US,
			       .vs_baselines = 1 },
		[OCALL] = { .name = "tee.ocall.regular",
			    .method = "oe_call_host_function, empty OCALL, timed inside the TA",
			    .note = "timed per OCALL inside the TA, no ECALL in it",
			    .reference_us = SGX_OCALL_US,
			    .vs_baselines = 1 },
		[OCALL_SW] = { .name = "tee.ocall.switchless",
			       .method = "oe_switchless_call_host_function, empty OCALL, 1 host "
					 "worker, timed inside the TA",
			       .note = "timed per OCALL inside the TA, no ECALL in it",
			       .reference_us = SGX_OCALL_SWITCHLESS_US,
			       .vs_baselines = 1 },
	};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			json = argv[++i];
		} else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
			char *end;

			errno = 0;
			iters = strtol(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || iters < MIN_ITERATIONS ||
			    iters > MAX_ITERATIONS) {
				fprintf(stderr, PROG ": --iterations must be %ld..%ld\n",
					MIN_ITERATIONS, MAX_ITERATIONS);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	/* Opened now, so a bad path fails before the measuring. */
	if (json && !(json_file = fopen(json, "w"))) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", json, strerror(errno));
		return 1;
	}
	warmup = iters / 10;
	if (sched_getaffinity(0, sizeof(cpus_allowed), &cpus_allowed) != 0)
		die("cannot read the CPU affinity");
	cpu0 = allowed_cpu(0);
	cpu1 = allowed_cpu(1);
	if (cpu1 < 0)
		fprintf(stderr, PROG ": note: one CPU: spinning switchless workers share it with "
				"the caller, so switchless figures will be poor\n");

	/* The baselines first, before any enclave thread exists (they fork). */
	clock_us = clock_read_us(iters < 100000 ? iters : 100000);
	bench_function_call(&figs[FN], iters, warmup);
	bench_pipe(&figs[PIPE], iters, warmup, cpu0, cpu0);
	if (cpu1 >= 0) {
		bench_pipe(&figs[PIPE_X], iters / 10, warmup / 10, cpu0, cpu1);
		bench_spin(&figs[SPIN], iters, warmup, cpu0, cpu1);
	} else {
		figs[PIPE_X].note = figs[SPIN].note = "needs two CPUs";
	}

	/* Regular calls on an enclave with no switchless workers, so no
	 * spinning worker competes for the CPUs.  The emulator's threads are
	 * left to the scheduler. */
	e = create(0);
	if (!probe_ocall(e, 0))
		die("a regular OCALL did not run on the calling host thread");
	bench_ecall(&figs[ECALL], e, 0, iters, warmup);
	bench_ocall(&figs[OCALL], e, 0, iters, warmup);
	terminate(e);

	e = create(1);
	if (probe_ocall(e, 1))
		fprintf(stderr, PROG ": warning: the switchless OCALL ran on the calling thread, "
				"not on a host worker\n");
	bench_ecall(&figs[ECALL_SW], e, 1, iters, warmup);
	bench_ocall(&figs[OCALL_SW], e, 1, iters, warmup);
	terminate(e);

	for (int i = 0; i < N_FIGS; i++)
		print_figure(figs, i, clock_us);
	if (json_file)
		write_json(json_file, json, figs, iters, warmup, clock_us);
	return 0;
}
