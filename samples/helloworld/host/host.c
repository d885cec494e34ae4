/*
 * host.c - the helloworld host: creates the enclave from its signed image,
 * makes one ECALL, serves the enclave's OCALL, and tears the enclave down.
 *
 *   helloworld_host <enclave.signed> [--simulate]
 */
#include <stdio.h>
#include <string.h>

#include <openenclave/host.h>

#include "helloworld_u.h"

/* OCALL: the enclave calls this through the generated host_helloworld(). */
void host_helloworld(void)
{
	printf("Enclave called into host to print: Hello World!\n");
	fflush(stdout);
}

static int usage(const char *prog)
{
	fprintf(stderr, "Usage: %s <enclave image path> [--simulate]\n", prog);
	return 1;
}

int main(int argc, const char *argv[])
{
	oe_enclave_t *enclave = NULL;
	oe_result_t result;
	uint32_t flags = OE_ENCLAVE_FLAG_DEBUG;
	int ret = 1;

	if (argc == 3 && strcmp(argv[2], "--simulate") == 0)
		flags |= OE_ENCLAVE_FLAG_SIMULATE;
	else if (argc != 2)
		return usage(argv[0]);

	result =
	    oe_create_helloworld_enclave(argv[1], OE_ENCLAVE_TYPE_AUTO, flags, NULL, 0, &enclave);
	if (result != OE_OK) {
		fprintf(stderr, "oe_create_helloworld_enclave(): result=%u (%s)\n", result,
		        oe_result_str(result));
		goto out;
	}

	result = enclave_helloworld(enclave);
	if (result != OE_OK) {
		fprintf(stderr, "calling into enclave_helloworld failed: result=%u (%s)\n", result,
		        oe_result_str(result));
		goto out;
	}
	ret = 0;

out:
	if (enclave != NULL) {
		result = oe_terminate_enclave(enclave);
		if (result != OE_OK) {
			fprintf(stderr, "oe_terminate_enclave(): result=%u (%s)\n", result,
			        oe_result_str(result));
			ret = 1;
		}
	}
	return ret;
}
