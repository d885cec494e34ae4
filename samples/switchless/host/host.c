/*
 * host.c - the switchless host: creates the enclave with switchless
 * workers, then makes NUM_CALLS regular and NUM_CALLS switchless ECALLs,
 * has the enclave make as many OCALLs of each kind, and prints the counts
 * and the time per call.
 *
 *   switchless_host <enclave.signed> [--simulate]
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openenclave/host.h>

#include "switchless_u.h"

#define NUM_CALLS 10000

/* How often the host ran each OCALL; switchless ones run on a worker
 * thread, hence atomics. */
static atomic_int g_regular_ocalls;
static atomic_int g_switchless_ocalls;

void host_increment_regular(int *counter)
{
	(*counter)++;
	atomic_fetch_add(&g_regular_ocalls, 1);
}

void host_increment_switchless(int *counter)
{
	(*counter)++;
	atomic_fetch_add(&g_switchless_ocalls, 1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int oe_failed(const char *what, oe_result_t result)
{
	fprintf(stderr, "%s failed: result=%u (%s)\n", what, result, oe_result_str(result));
	return -1;
}

/* NUM_CALLS ECALLs of one kind; *us_per_call gets their mean time. */
static int time_ecalls(oe_enclave_t *enclave, const char *label,
                       oe_result_t (*ecall)(oe_enclave_t *, int *), double *us_per_call)
{
	oe_result_t result;
	int counter = 0, i;
	double start = now_us();

	for (i = 0; i < NUM_CALLS; i++) {
		result = ecall(enclave, &counter);
		if (result != OE_OK)
			return oe_failed(label, result);
	}
	*us_per_call = (now_us() - start) / NUM_CALLS;
	printf("%-18s %d calls, counter %d, %.3f us per call\n", label, NUM_CALLS, counter,
	       *us_per_call);
	if (counter != NUM_CALLS) {
		fprintf(stderr, "%s: counter is %d, expected %d\n", label, counter, NUM_CALLS);
		return -1;
	}
	return 0;
}

/* One ECALL in which the enclave makes NUM_CALLS OCALLs of one kind. */
static int time_ocalls(oe_enclave_t *enclave, const char *label,
                       oe_result_t (*ecall)(oe_enclave_t *, int *, int, int *),
                       atomic_int *host_count, double *us_per_call)
{
	oe_result_t result;
	int counter = 0, ret = -1;
	double start = now_us();

	result = ecall(enclave, &ret, NUM_CALLS, &counter);
	if (result != OE_OK)
		return oe_failed(label, result);
	*us_per_call = (now_us() - start) / NUM_CALLS;
	if (ret != 0) {
		fprintf(stderr, "%s: the enclave reported a failed OCALL\n", label);
		return -1;
	}
	printf("%-18s %d calls, counter %d, host ran %d, %.3f us per call\n", label, NUM_CALLS,
	       counter, atomic_load(host_count), *us_per_call);
	if (counter != NUM_CALLS || atomic_load(host_count) != NUM_CALLS) {
		fprintf(stderr, "%s: expected %d calls\n", label, NUM_CALLS);
		return -1;
	}
	return 0;
}

static int usage(const char *prog)
{
	fprintf(stderr, "Usage: %s <enclave image path> [--simulate]\n", prog);
	return 1;
}

int main(int argc, const char *argv[])
{
	/* One host worker serves switchless OCALLs, one enclave worker
	 * switchless ECALLs; both spin for a while before they sleep. */
	oe_enclave_setting_context_switchless_t switchless_setting = {
	    .max_host_workers = 1,
	    .max_enclave_workers = 1,
	};
	oe_enclave_setting_t settings[] = {{
	    .setting_type = OE_ENCLAVE_SETTING_CONTEXT_SWITCHLESS,
	    .u.context_switchless_setting = &switchless_setting,
	}};
	oe_enclave_t *enclave = NULL;
	oe_result_t result;
	uint32_t flags = OE_ENCLAVE_FLAG_DEBUG;
	double ecall_regular, ecall_switchless, ocall_regular, ocall_switchless;
	int ret = 1;

	if (argc == 3 && strcmp(argv[2], "--simulate") == 0)
		flags |= OE_ENCLAVE_FLAG_SIMULATE;
	else if (argc != 2)
		return usage(argv[0]);

	result = oe_create_switchless_enclave(argv[1], OE_ENCLAVE_TYPE_AUTO, flags, settings,
	                                      sizeof(settings) / sizeof(settings[0]), &enclave);
	if (result != OE_OK) {
		oe_failed("oe_create_switchless_enclave()", result);
		goto out;
	}

	if (time_ecalls(enclave, "regular ECALLs:", enclave_increment_regular, &ecall_regular) !=
	        0 ||
	    time_ecalls(enclave, "switchless ECALLs:", enclave_increment_switchless,
	                &ecall_switchless) != 0 ||
	    time_ocalls(enclave, "regular OCALLs:", enclave_call_host_regular, &g_regular_ocalls,
	                &ocall_regular) != 0 ||
	    time_ocalls(enclave, "switchless OCALLs:", enclave_call_host_switchless,
	                &g_switchless_ocalls, &ocall_switchless) != 0)
		goto out;

	if (ecall_switchless > 0 && ocall_switchless > 0)
		printf("switchless vs regular: ECALL %.1fx, OCALL %.1fx faster\n",
		       ecall_regular / ecall_switchless, ocall_regular / ocall_switchless);
	ret = 0;

out:
	if (enclave != NULL) {
		result = oe_terminate_enclave(enclave);
		if (result != OE_OK) {
			oe_failed("oe_terminate_enclave()", result);
			ret = 1;
		}
	}
	return ret;
}
