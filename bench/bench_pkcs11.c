/* bench_pkcs11.c - placeholder until the pkcs11 backend benchmark is written. */
#include <stdio.h>

int main(void)
{
	puts("bench_pkcs11: not written yet");
	return 0;
}
