/*
 * channel.c - the shared-memory call channel between a host and its TA
 * (layout, bootstrap datagram, message hand-over, waiting).  Compiled into
 * both runtimes; see channel.h for the protocol.
 */
#include "tee/channel.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t te_ch_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

oe_result_t te_ch_layout_compute(uint32_t n_regular, uint32_t n_eworkers, uint32_t n_hworkers,
				 struct te_ch_layout *out)
{
	struct te_ch_layout l = { 0 };
	uint64_t n = (uint64_t)n_regular + n_eworkers + n_hworkers;

	if (n_regular == 0 || n > TE_CH_MAX_SLOTS)
		return OE_INVALID_PARAMETER;
	l.n_regular = n_regular;
	l.n_eworkers = n_eworkers;
	l.n_hworkers = n_hworkers;
	l.n_slots = (uint32_t)n;
	l.slots_off = 4096; /* header page */
	l.data_off = l.slots_off + ((n * sizeof(struct te_ch_slot) + 4095) & ~(size_t)4095);
	l.heap_off = l.data_off + (size_t)n * TE_CH_DATA_CAP;
	l.heap_size = TE_CH_HOST_HEAP_SIZE;
	l.total = l.heap_off + l.heap_size;
	*out = l;
	return OE_OK;
}

/* A tiny bounded writer/reader for the bootstrap datagram. */
struct te_bw {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static void bw_put(struct te_bw *w, const void *v, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void bw_u32(struct te_bw *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	bw_put(w, b, 4);
}

static void bw_u64(struct te_bw *w, uint64_t v)
{
	bw_u32(w, (uint32_t)v);
	bw_u32(w, (uint32_t)(v >> 32));
}

size_t te_ch_boot_encode(const struct te_ch_boot *boot, uint8_t *buf, size_t cap)
{
	struct te_bw w = { buf, 0, cap, 0 };

	if (boot->n_names > TE_CH_MAX_NAMES)
		return 0;
	bw_u32(&w, TE_CTL_BOOT);
	bw_u32(&w, TE_CH_MAGIC);
	bw_u32(&w, TE_CH_VERSION);
	bw_u32(&w, boot->debug);
	bw_u64(&w, boot->heap_bytes);
	bw_u64(&w, boot->stack_bytes);
	bw_u32(&w, boot->n_regular);
	bw_u32(&w, boot->n_eworkers);
	bw_u32(&w, boot->n_hworkers);
	bw_u32(&w, boot->wait_debugger);
	bw_u64(&w, boot->shared_addr);
	bw_u64(&w, boot->enclave);
	bw_u32(&w, boot->n_names);
	for (uint32_t i = 0; i < boot->n_names; i++) {
		size_t n = strlen(boot->names[i]);

		if (n == 0 || n > TE_CH_MAX_NAME_LEN)
			return 0;
		bw_u32(&w, (uint32_t)n);
		bw_put(&w, boot->names[i], n);
	}
	return w.bad ? 0 : w.len;
}

struct te_br {
	uint8_t *p;
	size_t len, off;
	int bad;
};

static uint8_t *br_take(struct te_br *r, size_t n)
{
	uint8_t *at;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	at = r->p + r->off;
	r->off += n;
	return at;
}

static uint32_t br_u32(struct te_br *r)
{
	uint8_t *b = br_take(r, 4);

	if (!b)
		return 0;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t br_u64(struct te_br *r)
{
	uint64_t lo = br_u32(r);

	return lo | (uint64_t)br_u32(r) << 32;
}

oe_result_t te_ch_boot_decode(uint8_t *buf, size_t len, struct te_ch_boot *out)
{
	struct te_br r = { buf, len, 0, 0 };
	struct te_ch_boot b;
	uint8_t *prev_end = NULL;

	memset(&b, 0, sizeof(b));
	if (br_u32(&r) != TE_CTL_BOOT || br_u32(&r) != TE_CH_MAGIC ||
	    br_u32(&r) != TE_CH_VERSION || r.bad)
		return OE_INVALID_PARAMETER;
	b.debug = br_u32(&r);
	b.heap_bytes = br_u64(&r);
	b.stack_bytes = br_u64(&r);
	b.n_regular = br_u32(&r);
	b.n_eworkers = br_u32(&r);
	b.n_hworkers = br_u32(&r);
	b.wait_debugger = br_u32(&r);
	b.shared_addr = br_u64(&r);
	b.enclave = br_u64(&r);
	b.n_names = br_u32(&r);
	if (r.bad || b.debug > 1 || b.wait_debugger > 1 || b.n_names > TE_CH_MAX_NAMES)
		return OE_INVALID_PARAMETER;
	if (b.n_regular == 0 ||
	    (uint64_t)b.n_regular + b.n_eworkers + b.n_hworkers > TE_CH_MAX_SLOTS)
		return OE_INVALID_PARAMETER;
	for (uint32_t i = 0; i < b.n_names; i++) {
		uint32_t n = br_u32(&r);
		uint8_t *s;

		if (n == 0 || n > TE_CH_MAX_NAME_LEN)
			return OE_INVALID_PARAMETER;
		s = br_take(&r, n);
		if (!s || memchr(s, '\0', n))
			return OE_INVALID_PARAMETER;
		/* Terminate the previous name in place: its end is this
		 * name's length word, already consumed. */
		if (prev_end)
			*prev_end = '\0';
		b.names[i] = (const char *)s;
		prev_end = s + n;
	}
	if (r.bad || r.off != len)
		return OE_INVALID_PARAMETER;
	/* The last name is followed by nothing: the caller leaves one spare
	 * byte after the datagram (see te_ch_boot_decode's contract). */
	if (prev_end)
		*prev_end = '\0';
	*out = b;
	return OE_OK;
}

oe_result_t te_ch_msg_read(struct te_ch_slot *slot, uint32_t allowed, struct te_ch_msg *out)
{
	struct te_ch_msg m;

	m.kind = atomic_load_explicit(&slot->kind, memory_order_relaxed);
	m.fn = atomic_load_explicit(&slot->fn, memory_order_relaxed);
	m.status = atomic_load_explicit(&slot->status, memory_order_relaxed);
	m.size = atomic_load_explicit(&slot->size, memory_order_relaxed);
	m.out_cap = atomic_load_explicit(&slot->out_cap, memory_order_relaxed);
	if (m.kind >= 32 || !(allowed & (1u << m.kind)))
		return OE_UNEXPECTED;
	if (m.size > TE_CH_DATA_CAP || m.out_cap > TE_CH_DATA_CAP)
		return OE_OUT_OF_BOUNDS;
	*out = m;
	return OE_OK;
}

static long te_futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

void te_ch_wake(struct te_ch_slot *slot)
{
	te_futex(&slot->state, FUTEX_WAKE, INT32_MAX, NULL);
}

void te_ch_post(struct te_ch_slot *slot, const struct te_ch_msg *msg, uint32_t to)
{
	atomic_store_explicit(&slot->kind, msg->kind, memory_order_relaxed);
	atomic_store_explicit(&slot->fn, msg->fn, memory_order_relaxed);
	atomic_store_explicit(&slot->status, msg->status, memory_order_relaxed);
	atomic_store_explicit(&slot->size, msg->size, memory_order_relaxed);
	atomic_store_explicit(&slot->out_cap, msg->out_cap, memory_order_relaxed);
	/* seq_cst store + load: pairs with the waiter's store of `waiting`
	 * and load of `state`, so one of the two sides always sees the other
	 * and no wake-up is lost. */
	atomic_store(&slot->state, to);
	if (atomic_load(&slot->waiting[to & 1]))
		te_ch_wake(slot);
}

static inline void te_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

int te_ch_wait(struct te_ch_slot *slot, uint32_t want, uint64_t spin_ns,
	       const _Atomic uint32_t *stop, uint64_t deadline_ns)
{
	uint64_t start = 0;
	int colocated = 0;

	for (uint32_t i = 0;; i++) {
		if (atomic_load_explicit(&slot->state, memory_order_acquire) == want)
			return 0;
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return (int)atomic_load_explicit(stop, memory_order_relaxed);
		if (colocated)
			sched_yield();
		else
			te_cpu_relax();
		if ((i & 63) != 63)
			continue;
		if (!start) {
			/* No answer within the first few hundred cycles: say
			 * where this side waits, and see whether the other side
			 * last waited on this very CPU.  Two threads sharing a
			 * CPU cannot answer each other while one of them spins,
			 * so then yield instead: both stay runnable, an idle CPU
			 * pulls one of them over, and spinning pays again
			 * (sleeping on the futex would keep them together). */
			int me = sched_getcpu();

			start = te_ch_now_ns();
			if (me >= 0) {
				atomic_store_explicit(&slot->cpu_of[want & 1], (uint32_t)me,
						      memory_order_relaxed);
				colocated = (uint32_t)me == atomic_load_explicit(&slot->cpu_of[!want],
										 memory_order_relaxed);
			}
			continue;
		}
		if (te_ch_now_ns() - start >= spin_ns)
			break;
	}
	for (;;) {
		struct timespec ts = { 0, 50 * 1000000 }; /* re-check stop/deadline */
		uint32_t cur;

		atomic_store(&slot->waiting[want & 1], 1);
		cur = atomic_load(&slot->state);
		if (cur != want && !(stop && atomic_load(stop)))
			te_futex(&slot->state, FUTEX_WAIT, cur, &ts);
		atomic_store(&slot->waiting[want & 1], 0);
		if (atomic_load_explicit(&slot->state, memory_order_acquire) == want)
			return 0;
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return (int)atomic_load_explicit(stop, memory_order_relaxed);
		if (deadline_ns && te_ch_now_ns() >= deadline_ns)
			return -1;
	}
}
