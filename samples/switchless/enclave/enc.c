/*
 * enc.c - the switchless enclave: ECALLs that count, and ECALLs that make
 * many OCALLs of one flavour so the host can time them.
 */
#include <stdio.h>

#include "switchless_t.h"

void enclave_increment_regular(int *counter)
{
	(*counter)++;
}

void enclave_increment_switchless(int *counter)
{
	(*counter)++;
}

/* One OCALL flavour n times; *counter gets the host's count. */
static int call_host(int n, int *counter, oe_result_t (*ocall)(int *counter), const char *name)
{
	oe_result_t result;
	int value = 0, i;

	for (i = 0; i < n; i++) {
		result = ocall(&value);
		if (result != OE_OK) {
			fprintf(stderr, "enclave: %s failed: result=%u (%s)\n", name, result,
			        oe_result_str(result));
			return -1;
		}
	}
	*counter = value;
	return 0;
}

int enclave_call_host_regular(int n, int *counter)
{
	return call_host(n, counter, host_increment_regular, "host_increment_regular");
}

int enclave_call_host_switchless(int n, int *counter)
{
	return call_host(n, counter, host_increment_switchless, "host_increment_switchless");
}
