/* bench_tpm.c - placeholder until the tpm backend benchmark is written. */
#include <stdio.h>

int main(void)
{
	puts("bench_tpm: not written yet");
	return 0;
}
