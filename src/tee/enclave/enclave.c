/*
 * enclave.c - the trustedge TA runtime: what runs a TA executable.
 *
 * The host starts the TA with a control socket on fd 3 and the shared
 * channel file on fd 4.  Before any of the TA's own constructors run
 * (constructor priority 101), the runtime reads the bootstrap datagram,
 * maps the channel, applies the heap limit, starts one thread per TCS and
 * per switchless worker with the signed stack size, makes the process
 * non-dumpable (unless debug) and locks it into the seccomp allow-list.
 * main() - after every constructor has run - tells the host the TA is
 * ready, then only watches the control socket: a terminate request or the
 * host going away ends the process.
 *
 * Every message read from the channel is bounds-checked and its input
 * copied into TA-private memory before the generated ECALL wrapper sees it.
 */
#include <openenclave/edger8r/enclave.h>

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tee/channel.h"
#include "tee/enclave/ta.h"

struct te_ta te_ta_g;

/* Spin before sleeping: a regular TCS thread briefly (it usually gets the
 * next call of a busy host at once), a switchless worker for longer. */
#define TE_TA_SPIN_REGULAR_NS 20000u
#define TE_TA_SPIN_WORKER_NS 5000000u
#define TE_TA_SPIN_OCALL_NS 50000u
/* Calls up to this size in each direction need no heap allocation. */
#define TE_TA_SMALL_CALL 256u

static uint8_t te_ta_bootbuf[TE_CH_BOOT_MAX + 1];

/* OpenSSL reads its config file on first use; a TA that links it gets that
 * done here, before the sandbox forbids opening files.  Weak: a TA without
 * OpenSSL leaves it NULL. */
extern int OPENSSL_init_crypto(uint64_t opts, const void *settings) __attribute__((weak));
#define TE_OSSL_INIT_ADD_ALL_CIPHERS 0x04u
#define TE_OSSL_INIT_ADD_ALL_DIGESTS 0x08u
#define TE_OSSL_INIT_LOAD_CONFIG 0x40u

/* The slot this thread serves a call on (set while an ECALL runs), so an
 * OCALL goes back to the host thread that made the ECALL. */
static _Thread_local uint32_t te_ta_cur_slot = UINT32_MAX;
static _Thread_local uint32_t te_ta_depth;

void te_ta_ctl_send(uint32_t type, uint32_t a, int64_t b)
{
	uint8_t msg[16];

	memcpy(msg, &type, 4);
	memcpy(msg + 4, &a, 4);
	memcpy(msg + 8, &b, 8);
	(void)!syscall(SYS_write, TE_TA_FD_CONTROL, msg, sizeof(msg));
}

static void te_ta_die_boot(const char *why, int64_t detail) __attribute__((noreturn));
static void te_ta_die_boot(const char *why, int64_t detail)
{
	/* Still before the sandbox: stderr works, and the host turns the
	 * FAULT datagram into its error sentence. */
	fprintf(stderr, "trustedge TA runtime: %s (%lld)\n", why, (long long)detail);
	te_ta_ctl_send(TE_CTL_FAULT, TE_FAULT_BOOT, detail);
	_exit(70);
}

static void te_ta_reply(struct te_ch_slot *slot, uint32_t kind, oe_result_t status, uint64_t size)
{
	struct te_ch_msg m = { .kind = kind, .status = (uint32_t)status, .size = size };

	te_ch_post(slot, &m, TE_SLOT_HOST);
}

/* Runs one ECALL that arrived on slot idx; the reply is posted on it. */
static void te_ta_serve_ecall(uint32_t idx, const struct te_ch_msg *m)
{
	struct te_ch_slot *slot = te_ch_slot_at(te_ta_g.base, &te_ta_g.lay, idx);
	uint8_t *data = te_ch_data_at(te_ta_g.base, &te_ta_g.lay, idx);
	uint8_t small_in[TE_TA_SMALL_CALL], small_out[TE_TA_SMALL_CALL];
	uint8_t *in = NULL, *out = NULL;
	size_t written = 0;
	uint32_t prev = te_ta_cur_slot;
	uint32_t ta_fn;
	oe_result_t res = OE_OK;

	if (atomic_load(&te_ta_g.aborting)) {
		te_ta_reply(slot, TE_MSG_ECALL_RET, OE_ENCLAVE_ABORTING, 0);
		return;
	}
	if (m->fn >= te_ta_g.n_map || te_ta_g.ecall_map[m->fn] == UINT32_MAX) {
		te_ta_reply(slot, TE_MSG_ECALL_RET, OE_NOT_FOUND, 0);
		return;
	}
	if (te_ta_depth >= TE_CH_MAX_NESTING) {
		te_ta_reply(slot, TE_MSG_ECALL_RET, OE_REENTRANT_ECALL, 0);
		return;
	}
	ta_fn = te_ta_g.ecall_map[m->fn];
	/* Copy the input out of shared memory first: the host can rewrite the
	 * channel at any time, the private copy it cannot.  Small calls use
	 * the thread's stack, the rest the (counted) heap. */
	in = m->size <= sizeof(small_in) ? small_in : malloc(m->size);
	out = m->out_cap <= sizeof(small_out) ? small_out : malloc(m->out_cap);
	if (!in || !out) {
		res = OE_OUT_OF_MEMORY;
		goto out;
	}
	memcpy(in, data, m->size);
	memset(out, 0, m->out_cap);
	te_ta_cur_slot = idx;
	te_ta_depth++;
	oe_ecalls_table[ta_fn].func(in, m->size, out, m->out_cap, &written);
	te_ta_depth--;
	te_ta_cur_slot = prev;
	/* Output printed by this call goes out while the call can still OCALL. */
	if (__fpending(stdout))
		fflush(stdout);
	if (__fpending(stderr))
		fflush(stderr);
	if (written > m->out_cap) {
		res = OE_UNEXPECTED;
		written = 0;
		goto out;
	}
	memcpy(data, out, written);
out:
	if (in != small_in)
		free(in);
	if (out != small_out)
		free(out);
	te_ta_reply(slot, TE_MSG_ECALL_RET, res, res == OE_OK ? written : 0);
}

struct te_ta_thread_arg {
	uint32_t idx;
	uint64_t spin_ns;
};

static void *te_ta_thread(void *p)
{
	struct te_ta_thread_arg a = *(struct te_ta_thread_arg *)p;
	struct te_ch_slot *slot = te_ch_slot_at(te_ta_g.base, &te_ta_g.lay, a.idx);

	free(p);
	for (;;) {
		struct te_ch_msg m;
		oe_result_t r;

		te_ch_wait(slot, TE_SLOT_TA, a.spin_ns, NULL, 0);
		r = te_ch_msg_read(slot, 1u << TE_MSG_ECALL | 1u << TE_MSG_STOP, &m);
		if (r != OE_OK) {
			te_ta_reply(slot, TE_MSG_ECALL_RET, r, 0);
			continue;
		}
		if (m.kind == TE_MSG_STOP)
			return NULL;
		te_ta_serve_ecall(a.idx, &m);
	}
}

/* Waits on the slot until the host answers the OCALL, serving any ECALL
 * the host makes from inside its OCALL handler (nested calls). */
static oe_result_t te_ta_await_ocall(uint32_t idx, uint64_t spin_ns, struct te_ch_msg *ret)
{
	struct te_ch_slot *slot = te_ch_slot_at(te_ta_g.base, &te_ta_g.lay, idx);

	for (;;) {
		struct te_ch_msg m;
		oe_result_t r;

		te_ch_wait(slot, TE_SLOT_TA, spin_ns, NULL, 0);
		r = te_ch_msg_read(slot, 1u << TE_MSG_OCALL_RET | 1u << TE_MSG_ECALL, &m);
		if (r != OE_OK)
			return r;
		if (m.kind == TE_MSG_OCALL_RET) {
			*ret = m;
			return OE_OK;
		}
		te_ta_serve_ecall(idx, &m);
	}
}

static oe_result_t te_ta_ocall_on(uint32_t idx, uint32_t hand_to, uint64_t spin_ns, size_t fn,
				  const void *in, size_t in_size, void *out, size_t out_size,
				  size_t *written)
{
	struct te_ch_slot *slot = te_ch_slot_at(te_ta_g.base, &te_ta_g.lay, idx);
	uint8_t *data = te_ch_data_at(te_ta_g.base, &te_ta_g.lay, idx);
	struct te_ch_msg m = { .kind = TE_MSG_OCALL, .fn = (uint32_t)fn, .size = in_size,
			       .out_cap = out_size };
	struct te_ch_msg ret;
	oe_result_t r;

	if (in_size)
		memcpy(data, in, in_size);
	te_ch_post(slot, &m, hand_to);
	r = te_ta_await_ocall(idx, spin_ns, &ret);
	if (r != OE_OK)
		return r;
	if (ret.status != OE_OK)
		return (oe_result_t)ret.status;
	if (ret.size > out_size)
		return OE_OUT_OF_BOUNDS;
	if (ret.size)
		memcpy(out, data, ret.size);
	if (written)
		*written = ret.size;
	return OE_OK;
}

static oe_result_t te_ta_ocall_check(size_t fn, const void *in, size_t in_size, void *out,
				     size_t out_size)
{
	if (atomic_load(&te_ta_g.aborting))
		return OE_ENCLAVE_ABORTING;
	if (fn > UINT32_MAX || in_size > TE_CH_DATA_CAP || out_size > TE_CH_DATA_CAP)
		return OE_OUT_OF_MEMORY;
	if ((in_size && !in) || (out_size && !out))
		return OE_INVALID_PARAMETER;
	return OE_OK;
}

oe_result_t oe_call_host_function(size_t function_id, const void *input_buffer,
				  size_t input_buffer_size, void *output_buffer,
				  size_t output_buffer_size, size_t *output_bytes_written)
{
	oe_result_t r = te_ta_ocall_check(function_id, input_buffer, input_buffer_size,
					  output_buffer, output_buffer_size);

	if (r != OE_OK)
		return r;
	/* An OCALL goes back over the slot of the ECALL it is part of; a
	 * thread serving no ECALL has no host thread to run it on. */
	if (te_ta_cur_slot == UINT32_MAX)
		return OE_UNEXPECTED;
	return te_ta_ocall_on(te_ta_cur_slot, TE_SLOT_HOST, TE_TA_SPIN_OCALL_NS, function_id,
			      input_buffer, input_buffer_size, output_buffer, output_buffer_size,
			      output_bytes_written);
}

oe_result_t oe_switchless_call_host_function(size_t function_id, const void *input_buffer,
					     size_t input_buffer_size, void *output_buffer,
					     size_t output_buffer_size, size_t *output_bytes_written)
{
	struct te_ch_layout *l = &te_ta_g.lay;
	oe_result_t r = te_ta_ocall_check(function_id, input_buffer, input_buffer_size,
					  output_buffer, output_buffer_size);

	if (r != OE_OK)
		return r;
	/* A free host worker takes the call while this thread spins; with
	 * none free (or none configured) the call goes the regular way, as
	 * the reference does. */
	for (uint32_t i = 0; i < l->n_hworkers; i++) {
		uint32_t expect = 0;
		uint32_t idx = l->n_regular + l->n_eworkers + i;

		if (!atomic_compare_exchange_strong(&te_ta_g.hworker_busy[i], &expect, 1))
			continue;
		r = te_ta_ocall_on(idx, TE_SLOT_HOST, TE_TA_SPIN_WORKER_NS, function_id,
				   input_buffer, input_buffer_size, output_buffer,
				   output_buffer_size, output_bytes_written);
		atomic_store(&te_ta_g.hworker_busy[i], 0);
		return r;
	}
	return oe_call_host_function(function_id, input_buffer, input_buffer_size,
				     output_buffer, output_buffer_size, output_bytes_written);
}

bool oe_is_within_enclave(const void *ptr, size_t size)
{
	uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)te_ta_g.base;

	if (!ptr || size == 0 || p + size < p)
		return false;
	if (!te_ta_g.base)
		return true;
	return p + size <= b || p >= b + te_ta_g.lay.total;
}

bool oe_is_outside_enclave(const void *ptr, size_t size)
{
	uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)te_ta_g.base;

	if (!ptr || size == 0 || p + size < p || !te_ta_g.base)
		return false;
	return p >= b && p + size <= b + te_ta_g.lay.total;
}

oe_result_t oe_random(void *data, size_t size)
{
	uint8_t *p = data;

	if (!data && size)
		return OE_INVALID_PARAMETER;
	while (size) {
		ssize_t n = getrandom(p, size, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return OE_FAILURE;
		p += n;
		size -= (size_t)n;
	}
	return OE_OK;
}

void oe_abort(void)
{
	atomic_store(&te_ta_g.aborting, 1);
	fflush(stdout);
	fflush(stderr);
	te_ta_ctl_send(TE_CTL_ABORT, 0, 0);
	syscall(SYS_exit_group, 134);
	__builtin_unreachable();
}

oe_enclave_t *oe_get_enclave(void)
{
	return (oe_enclave_t *)(uintptr_t)te_ta_g.boot.enclave;
}

/* Maps the host's ECALL names (index = function id the host sends) to this
 * TA's table; returns how many names the TA does not have. */
static uint32_t te_ta_map_ecalls(void)
{
	uint32_t missing = 0;

	te_ta_g.n_map = te_ta_g.boot.n_names;
	te_ta_g.ecall_map = calloc(te_ta_g.n_map ? te_ta_g.n_map : 1, sizeof(uint32_t));
	if (!te_ta_g.ecall_map)
		te_ta_die_boot("out of memory", ENOMEM);
	for (uint32_t i = 0; i < te_ta_g.n_map; i++) {
		te_ta_g.ecall_map[i] = UINT32_MAX;
		for (size_t j = 0; j < oe_ecalls_table_size; j++) {
			if (oe_ecalls_table[j].name &&
			    strcmp(oe_ecalls_table[j].name, te_ta_g.boot.names[i]) == 0) {
				te_ta_g.ecall_map[i] = (uint32_t)j;
				break;
			}
		}
		if (te_ta_g.ecall_map[i] == UINT32_MAX)
			missing++;
	}
	return missing;
}

static void te_ta_start_thread(uint32_t idx, uint64_t spin_ns, size_t stack)
{
	struct te_ta_thread_arg *a = malloc(sizeof(*a));
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (!a)
		te_ta_die_boot("out of memory", ENOMEM);
	a->idx = idx;
	a->spin_ns = spin_ns;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (stack < (size_t)PTHREAD_STACK_MIN)
		stack = (size_t)PTHREAD_STACK_MIN;
	pthread_attr_setstacksize(&attr, stack);
	rc = pthread_create(&t, &attr, te_ta_thread, a);
	pthread_attr_destroy(&attr);
	if (rc)
		te_ta_die_boot("cannot start a TCS thread", rc);
}

/* In debug mode with TE_ENCLAVE_WAIT_DEBUGGER set on the host, the TA
 * waits here until a debugger is attached (TracerPid != 0); the host has
 * printed how to attach. */
static void te_ta_wait_debugger(void)
{
	for (;;) {
		char line[256];
		FILE *f = fopen("/proc/self/status", "re");
		long tracer = 0;

		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "TracerPid:", 10) == 0)
				tracer = strtol(line + 10, NULL, 10);
		if (f)
			fclose(f);
		if (tracer)
			return;
		usleep(100000);
	}
}

static void te_ta_boot(void)
{
	struct stat st;
	ssize_t n;
	uint32_t missing;
	void *base;
	struct rlimit no_core = { 0, 0 };

	if (fstat(TE_TA_FD_CONTROL, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "this program is a trustedge enclave (TA); run it through its host "
				"application (oe_create_enclave), not directly\n");
		_exit(2);
	}
	n = recv(TE_TA_FD_CONTROL, te_ta_bootbuf, TE_CH_BOOT_MAX, MSG_TRUNC);
	if (n <= 0 || (size_t)n > TE_CH_BOOT_MAX)
		te_ta_die_boot("bad bootstrap datagram", n);
	if (te_ch_boot_decode(te_ta_bootbuf, (size_t)n, &te_ta_g.boot) != OE_OK)
		te_ta_die_boot("bootstrap datagram does not decode", n);
	if (te_ch_layout_compute(te_ta_g.boot.n_regular, te_ta_g.boot.n_eworkers,
				 te_ta_g.boot.n_hworkers, &te_ta_g.lay) != OE_OK)
		te_ta_die_boot("bad slot counts", te_ta_g.boot.n_regular);
	if (fstat(TE_TA_FD_SHARED, &st) != 0 || (uint64_t)st.st_size != te_ta_g.lay.total)
		te_ta_die_boot("shared channel file has the wrong size", (int64_t)st.st_size);
	/* Same address as in the host, so host-heap pointers mean the same on
	 * both sides. */
	base = mmap((void *)(uintptr_t)te_ta_g.boot.shared_addr, te_ta_g.lay.total,
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, TE_TA_FD_SHARED, 0);
	if (base == MAP_FAILED || (uintptr_t)base != te_ta_g.boot.shared_addr)
		te_ta_die_boot("cannot map the channel at the host's address", errno);
	close(TE_TA_FD_SHARED);
	te_ta_g.base = base;
	te_ta_host_heap_init((uint8_t *)base + te_ta_g.lay.heap_off, te_ta_g.lay.heap_size);
	te_ta_g.hworker_busy = calloc(te_ta_g.lay.n_hworkers + 1u, sizeof(*te_ta_g.hworker_busy));
	if (!te_ta_g.hworker_busy)
		te_ta_die_boot("out of memory", ENOMEM);
	missing = te_ta_map_ecalls();

	setrlimit(RLIMIT_CORE, &no_core);
	if (!te_ta_g.boot.debug && prctl(PR_SET_DUMPABLE, 0) != 0)
		te_ta_die_boot("cannot make the process non-dumpable", errno);
	if (te_ta_g.boot.debug && te_ta_g.boot.wait_debugger)
		te_ta_wait_debugger();

	for (uint32_t i = 0; i < te_ta_g.lay.n_regular; i++)
		te_ta_start_thread(i, TE_TA_SPIN_REGULAR_NS, te_ta_g.boot.stack_bytes);
	for (uint32_t i = 0; i < te_ta_g.lay.n_eworkers; i++)
		te_ta_start_thread(te_ta_g.lay.n_regular + i, TE_TA_SPIN_WORKER_NS,
				   te_ta_g.boot.stack_bytes);

	te_libc_stdio_init();
	/* Things glibc does on first need by opening a file, which the
	 * sandbox forbids, done now:
	 *  - the time zone (gmtime_r/localtime_r, certificate time checks)
	 *    comes from /etc/localtime: tzset();
	 *  - free() in a thread's arena, when it could give memory back,
	 *    reads /proc/sys/vm/overcommit_memory: a trim threshold no arena
	 *    reaches means it never tries (the heap is bounded by
	 *    NumHeapPages anyway; large blocks are still mmap'd and unmapped). */
	tzset();
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	if (OPENSSL_init_crypto)
		OPENSSL_init_crypto(TE_OSSL_INIT_LOAD_CONFIG | TE_OSSL_INIT_ADD_ALL_CIPHERS |
					    TE_OSSL_INIT_ADD_ALL_DIGESTS,
				    NULL);
	te_ta_sigsys_install();
	if (te_ta_sandbox_apply() != 0)
		te_ta_die_boot("cannot apply the seccomp allow-list", errno);
	/* The heap limit counts from here: what the runtime itself took
	 * before the TA's first instruction is not the TA's heap. */
	te_ta_heap_set_limit(te_ta_g.boot.heap_bytes);
	te_ta_g.missing = missing;
}

/* Runs before the TA's own constructors (default priority 65535), so no
 * TA code runs outside the sandbox. */
__attribute__((constructor(101))) static void te_ta_ctor(void)
{
	te_ta_boot();
}

int main(void)
{
	/* Ready only now: the TA's own constructors (C++ static objects
	 * included) have all run, so no ECALL sees half-built globals. */
	te_ta_ctl_send(TE_CTL_READY, te_ta_g.missing, 0);
	for (;;) {
		uint8_t msg[16];
		ssize_t n = syscall(SYS_read, TE_TA_FD_CONTROL, msg, sizeof(msg));
		uint32_t type;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 4)
			break; /* the host went away */
		memcpy(&type, msg, 4);
		if (type == TE_CTL_TERMINATE)
			break;
	}
	fflush(stdout);
	fflush(stderr);
	syscall(SYS_exit_group, 0);
	return 0;
}
