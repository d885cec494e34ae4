/*
 * enc.c - the helloworld enclave: one ECALL that greets from inside the
 * enclave and asks the host, through an OCALL, to greet back.
 */
#include <stdio.h>

#include "helloworld_t.h"

/* ECALL: the host calls this through the generated enclave_helloworld(). */
void enclave_helloworld(void)
{
	oe_result_t result;

	/* printf inside the enclave reaches the host's stdout through the
	 * write OCALL of the system EDL (openenclave/edl/syscall.edl). */
	printf("Hello world from the enclave\n");
	fflush(stdout);

	/* OCALL: the generated stub copies the call out to the host. */
	result = host_helloworld();
	if (result != OE_OK)
		fprintf(stderr, "enclave: host_helloworld failed: result=%u (%s)\n", result,
		        oe_result_str(result));
}
