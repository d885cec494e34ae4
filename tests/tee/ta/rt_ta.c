/*
 * rt_ta.c - a TA for the runtime tests, written against the raw call
 * contract (openenclave/edger8r/enclave.h) so each test can send exactly
 * the bytes it wants and do exactly the forbidden thing it means to.
 * ECALL names are what the host test passes in its name table.
 */
#include <openenclave/edger8r/enclave.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* OCALL ids of the host test's ocall table. */
enum { OC_ECHO = 0, OC_NESTED = 1, OC_WRITE = 2 };

/* What the stdio redirection calls (normally generated from syscall.edl). */
oe_result_t oe_syscall_write_ocall(int64_t *ret, int fd, const void *buf, size_t count);
oe_result_t oe_syscall_write_ocall(int64_t *ret, int fd, const void *buf, size_t count)
{
	uint8_t *in = malloc(sizeof(int32_t) + count);
	size_t w = 0;
	oe_result_t r;
	int32_t fd32 = fd;

	if (!in)
		return OE_OUT_OF_MEMORY;
	memcpy(in, &fd32, 4);
	memcpy(in + 4, buf, count);
	r = oe_call_host_function(OC_WRITE, in, 4 + count, ret, sizeof(*ret), &w);
	free(in);
	if (r == OE_OK && w != sizeof(*ret))
		r = OE_UNEXPECTED;
	return r;
}

static void put_u64(uint8_t *out, size_t cap, size_t *w, uint64_t v)
{
	if (cap >= 8) {
		memcpy(out, &v, 8);
		*w = 8;
	}
}

static void e_echo(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	size_t k = n < cap ? n : cap;

	memcpy(out, in, k);
	*w = k;
}

static void e_ocall_echo(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	oe_result_t r = oe_call_host_function(OC_ECHO, in, n, out, cap, w);

	if (r != OE_OK)
		*w = 0;
}

/* Asks the host to ECALL back into e_echo from its OCALL handler; returns
 * what came back through both. */
static void e_nested(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	if (oe_call_host_function(OC_NESTED, in, n, out, cap, w) != OE_OK)
		*w = 0;
}

static void e_switchless_ocall(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	if (oe_switchless_call_host_function(OC_ECHO, in, n, out, cap, w) != OE_OK)
		*w = 0;
}

static void e_open(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	int fd = open("/etc/hostname", O_RDONLY);

	put_u64(out, cap, w, (uint64_t)fd);
}

static void e_socket(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	put_u64(out, cap, w, (uint64_t)fd);
}

static void e_fork(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	put_u64(out, cap, w, (uint64_t)syscall(SYS_fork));
}

static void e_loop(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	for (volatile int i = 0;; i++)
		;
}

static void e_crash(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	volatile int *p = (int *)(uintptr_t)16;

	*p = 1;
}

/* Allocates until the heap limit; returns how many MiB it got, and
 * whether the allocation finally failed (it must, with NumHeapPages). */
static void e_heap_hog(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	void **blocks = calloc(4096, sizeof(void *));
	uint64_t got = 0;

	while (blocks && got < 4096) {
		blocks[got] = malloc(1 << 20);
		if (!blocks[got])
			break;
		memset(blocks[got], 1, 1 << 20);
		got++;
	}
	for (uint64_t i = 0; blocks && i < got; i++)
		free(blocks[i]);
	free(blocks);
	put_u64(out, cap, w, got);
}

static void e_abort(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	oe_abort();
}

static void e_print(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	printf("hello from the TA: %.*s\n", (int)n, (const char *)in);
	*w = 0;
}

/* A secret in TA memory: returns its address so the host test can try
 * to read it across the process boundary. */
static char te_secret[64] = "TA-SECRET-0123456789";
static void e_secret_addr(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	put_u64(out, cap, w, (uint64_t)(uintptr_t)te_secret);
}

static void e_within(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	int local = 0;
	char *h = oe_host_malloc(100);
	uint8_t r[6];

	r[0] = oe_is_within_enclave(&local, sizeof(local));
	r[1] = oe_is_outside_enclave(&local, sizeof(local));
	r[2] = h && oe_is_within_enclave(h, 100);
	r[3] = h && oe_is_outside_enclave(h, 100);
	r[4] = oe_is_within_enclave(NULL, 1);
	r[5] = oe_get_enclave() != NULL;
	oe_host_free(h);
	memcpy(out, r, cap < 6 ? cap : 6);
	*w = cap < 6 ? cap : 6;
}

/* Busy for the number of milliseconds in the input (u32), so tests can
 * hold a TCS. */
static void e_busy(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	uint32_t ms = 0;
	struct timespec ts = { 0, 1000000 };

	if (n >= 4)
		memcpy(&ms, in, 4);
	for (uint32_t i = 0; i < ms; i++)
		nanosleep(&ts, NULL);
	*w = 0;
}

/* Returns more bytes than the host asked for (written > cap). */
static void e_lie(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	*w = cap + 100;
}

/* Two draws of oe_random, back to back. */
static void e_random(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	if (cap < 64 || oe_random(out, 32) != OE_OK || oe_random(out + 32, 32) != OE_OK)
		return;
	*w = 64;
}

/* Recursion with 4 KiB frames, as deep as the input (u32) says: the
 * stack is NumStackPages, so a deep enough call overflows it. */
static __attribute__((noinline)) uint32_t recurse(uint32_t depth)
{
	volatile uint8_t frame[4096];

	for (size_t i = 0; i < sizeof(frame); i += 64)
		frame[i] = (uint8_t)depth;
	frame[4095] = frame[0];
	return depth ? recurse(depth - 1) + frame[4095] : 0;
}

static void e_recurse(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	uint32_t depth = 0;

	if (n >= 4)
		memcpy(&depth, in, 4);
	put_u64(out, cap, w, recurse(depth));
}

/* A constructor of the TA's own that takes a while: READY must wait for
 * it, so the first ECALL sees it done. */
static volatile int te_ctor_done;
__attribute__((constructor)) static void slow_ctor(void)
{
	struct timespec ts = { 0, 20 * 1000000 };

	nanosleep(&ts, NULL);
	te_ctor_done = 1;
}

static void e_ctor_done(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	put_u64(out, cap, w, (uint64_t)te_ctor_done);
}

/* gmtime/localtime need the time zone, loaded before the sandbox. */
static void e_localtime(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	time_t t = 1700000000;
	struct tm tm;

	put_u64(out, cap, w, localtime_r(&t, &tm) && gmtime_r(&t, &tm) ? (uint64_t)tm.tm_year : 0);
}

static void e_empty(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	*w = 0;
}

const oe_ecall_entry_t oe_ecalls_table[] = {
	{ "echo", e_echo },
	{ "ocall_echo", e_ocall_echo },
	{ "nested", e_nested },
	{ "switchless_ocall", e_switchless_ocall },
	{ "open", e_open },
	{ "socket", e_socket },
	{ "fork", e_fork },
	{ "loop", e_loop },
	{ "crash", e_crash },
	{ "heap_hog", e_heap_hog },
	{ "abort", e_abort },
	{ "print", e_print },
	{ "secret_addr", e_secret_addr },
	{ "within", e_within },
	{ "busy", e_busy },
	{ "lie", e_lie },
	{ "empty", e_empty },
	{ "random", e_random },
	{ "recurse", e_recurse },
	{ "ctor_done", e_ctor_done },
	{ "localtime", e_localtime },
};
const size_t oe_ecalls_table_size = sizeof(oe_ecalls_table) / sizeof(oe_ecalls_table[0]);
