/*
 * bench_ta.c - the TA of the call-latency benchmark (bench/tee/bench_tee.c),
 * written against the raw call contract (openenclave/edger8r/enclave.h):
 * no generated marshalling, so what is timed is the emulator's call path.
 * ECALL names are what bench_tee passes in its name table; OCALL 0 is the
 * host's empty OCALL.
 *
 *   empty                   does nothing, returns nothing
 *   ocall_empty             one empty OCALL; output: u32 oe_result_t
 *   ocall_empty_switchless  the same through oe_switchless_call_host_function
 *   ocall_loop              input: u32 n, u8 switchless (0 or 1).  Makes n
 *                           empty OCALLs, each timed here (CLOCK_MONOTONIC
 *                           around the call), so an OCALL round trip is
 *                           measured without the ECALL around it.  Output:
 *                           u32 oe_result_t (the first failure, or OE_OK),
 *                           u32 OCALLs done, then one u32 ns per OCALL.
 *
 * All integers are host-endian: the TA runs on the host's CPU.
 */
#include <openenclave/edger8r/enclave.h>

#include <string.h>
#include <time.h>

/* OCALL ids of bench_tee's ocall table. */
enum { OC_EMPTY = 0 };

#define LOOP_HEADER 8u

static void put_u32(uint8_t *out, size_t cap, size_t *w, uint32_t v)
{
	if (cap >= 4) {
		memcpy(out, &v, 4);
		*w = 4;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void e_empty(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	*w = 0;
}

static void e_ocall_empty(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	put_u32(out, cap, w, oe_call_host_function(OC_EMPTY, NULL, 0, NULL, 0, NULL));
}

static void e_ocall_empty_switchless(const uint8_t *in, size_t n, uint8_t *out, size_t cap,
				     size_t *w)
{
	put_u32(out, cap, w, oe_switchless_call_host_function(OC_EMPTY, NULL, 0, NULL, 0, NULL));
}

static void e_ocall_loop(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	uint32_t count = 0, done = 0, res = OE_OK;
	int switchless;

	*w = 0;
	if (cap < LOOP_HEADER)
		return;
	if (n < 5 || in[4] > 1) {
		res = OE_INVALID_PARAMETER;
		goto out;
	}
	memcpy(&count, in, 4);
	switchless = in[4];
	if (count > (cap - LOOP_HEADER) / 4) {
		res = OE_BUFFER_TOO_SMALL;
		goto out;
	}
	for (; done < count; done++) {
		uint64_t t0 = now_ns(), dt;
		oe_result_t r = switchless
					? oe_switchless_call_host_function(OC_EMPTY, NULL, 0, NULL, 0,
									   NULL)
					: oe_call_host_function(OC_EMPTY, NULL, 0, NULL, 0, NULL);
		uint32_t ns;

		dt = now_ns() - t0;
		if (r != OE_OK) {
			res = r;
			break;
		}
		ns = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
		memcpy(out + LOOP_HEADER + (size_t)done * 4, &ns, 4);
	}
out:
	memcpy(out, &res, 4);
	memcpy(out + 4, &done, 4);
	*w = LOOP_HEADER + (size_t)done * 4;
}

const oe_ecall_entry_t oe_ecalls_table[] = {
	{ "empty", e_empty },
	{ "ocall_empty", e_ocall_empty },
	{ "ocall_empty_switchless", e_ocall_empty_switchless },
	{ "ocall_loop", e_ocall_loop },
};
const size_t oe_ecalls_table_size = sizeof(oe_ecalls_table) / sizeof(oe_ecalls_table[0]);
