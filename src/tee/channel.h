/*
 * channel.h - the call channel between a host process and its TA process.
 *
 * One shared memory file (memfd) holds a header, one slot per concurrent
 * call path and a host-visible heap.  A slot is a message box with a
 * single state word that is also the futex both sides sleep on:
 *
 *   TE_SLOT_HOST  the host side owns the slot (idle, or writing a message)
 *   TE_SLOT_TA    the TA side owns it (a request or OCALL reply to read)
 *
 * Kinds of slot (all the same layout):
 *   regular    NumTCS of them; a TA thread waits on each for ECALLs
 *   eworker    switchless ECALLs: a spinning TA worker waits on each
 *   hworker    switchless OCALLs: a spinning host worker waits on each
 *              (here the roles swap: TE_SLOT_TA means "TA is writing")
 *
 * Neither side trusts the other: whatever it reads from shared memory it
 * reads once (te_ch_msg_read), checks against the capacity both sides
 * derived from the bootstrap message, and copies into private memory
 * before it parses it.  The layout itself is computed by each side from
 * the bootstrap values, never read back from the shared header.
 */
#ifndef TE_TEE_CHANNEL_H
#define TE_TEE_CHANNEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openenclave/bits/result.h>

#define TE_CH_MAGIC 0x54454348u /* "TECH" */
#define TE_CH_VERSION 1u

/* File descriptors the TA process is started with. */
#define TE_TA_FD_CONTROL 3 /* SOCK_SEQPACKET to the host */
#define TE_TA_FD_SHARED 4  /* the shared memory file */

/* Bytes of message data one slot carries (input or output of one call).
 * Virtual: only the pages a call touches are ever backed. */
#define TE_CH_DATA_CAP (4u << 20)
#define TE_CH_HOST_HEAP_SIZE (4u << 20)
#define TE_CH_MAX_SLOTS 512u
#define TE_CH_MAX_NAMES 4096u
#define TE_CH_MAX_NAME_LEN 255u
#define TE_CH_MAX_NESTING 64u

enum te_slot_state {
	TE_SLOT_HOST = 0,
	TE_SLOT_TA = 1,
};

enum te_msg_kind {
	TE_MSG_NONE = 0,
	TE_MSG_ECALL = 1,     /* host -> TA: fn, input; out_cap bytes wanted */
	TE_MSG_ECALL_RET = 2, /* TA -> host: status, output */
	TE_MSG_OCALL = 3,     /* TA -> host: fn, input; out_cap bytes wanted */
	TE_MSG_OCALL_RET = 4, /* host -> TA: status, output */
	TE_MSG_STOP = 5,      /* host -> worker: leave the loop */
};

/* One slot's control words; its data area follows at a fixed offset. */
struct te_ch_slot {
	_Atomic uint32_t state;   /* futex word, enum te_slot_state */
	/* waiting[s]: 1 while a thread sleeps in futex until state == s;
	 * one flag per side, so one side leaving its wait cannot clear the
	 * other's. */
	_Atomic uint32_t waiting[2];
	_Atomic uint32_t kind;
	_Atomic uint32_t fn;
	_Atomic uint32_t status; /* oe_result_t of a *_RET */
	_Atomic uint64_t size;    /* bytes of data in the data area */
	_Atomic uint64_t out_cap; /* bytes of output the caller can take */
	/* cpu_of[side]: the CPU the host (0) / TA (1) side last waited on;
	 * a hint only (see te_ch_wait), never trusted for anything else. */
	_Atomic uint32_t cpu_of[2];
	char pad[64 - 48];
} __attribute__((aligned(64)));

struct te_ch_header {
	uint32_t magic;
	uint32_t version;
};

/* A message as read once out of a slot. */
struct te_ch_msg {
	uint32_t kind;
	uint32_t fn;
	uint32_t status;
	uint64_t size;
	uint64_t out_cap;
};

/* Where everything is, derived from the slot count alone. */
struct te_ch_layout {
	uint32_t n_regular, n_eworkers, n_hworkers, n_slots;
	size_t slots_off;     /* array of struct te_ch_slot */
	size_t data_off;      /* n_slots data areas of TE_CH_DATA_CAP */
	size_t heap_off;      /* host-visible heap */
	size_t heap_size;
	size_t total;
};

/* Bootstrap, host -> TA over the control socket (little-endian, one
 * datagram): limits from the signed config, slot counts, the host heap
 * address both sides map it at, the enclave handle, the host's ECALL names. */
struct te_ch_boot {
	uint32_t debug;
	uint64_t heap_bytes;  /* NumHeapPages * 4096 */
	uint64_t stack_bytes; /* NumStackPages * 4096 */
	uint32_t n_regular;   /* NumTCS */
	uint32_t n_eworkers;
	uint32_t n_hworkers;
	uint32_t wait_debugger;
	uint64_t shared_addr; /* where the host mapped the shared file */
	uint64_t enclave;     /* the host's oe_enclave_t*, opaque to the TA */
	uint32_t n_names;
	/* names point into the decoded datagram (NUL-terminated there) */
	const char *names[TE_CH_MAX_NAMES];
};

#define TE_CH_BOOT_MAX (64u + TE_CH_MAX_NAMES * (TE_CH_MAX_NAME_LEN + 3u))

/* Control messages (SOCK_SEQPACKET datagrams, first word = type). */
enum te_ctl_type {
	TE_CTL_BOOT = 1,      /* host -> TA, struct te_ch_boot */
	TE_CTL_READY = 2,     /* TA -> host: u32 unmatched ECALL names */
	TE_CTL_FAULT = 3,     /* TA -> host: u32 reason, i64 detail */
	TE_CTL_TERMINATE = 4, /* host -> TA */
	TE_CTL_ABORT = 5,     /* TA -> host: oe_abort was called */
};

enum te_fault_reason {
	TE_FAULT_SYSCALL = 1, /* detail = system call number */
	TE_FAULT_BOOT = 2,    /* detail = errno / oe_result_t of the failing step */
};

oe_result_t te_ch_layout_compute(uint32_t n_regular, uint32_t n_eworkers, uint32_t n_hworkers,
				 struct te_ch_layout *out);

/* Encodes a bootstrap datagram into buf; returns bytes or 0 when it does
 * not fit.  Decoding checks every length and leaves names pointing into buf
 * (which it NUL-terminates in place, so buf must be writable). */
size_t te_ch_boot_encode(const struct te_ch_boot *boot, uint8_t *buf, size_t cap);
oe_result_t te_ch_boot_decode(uint8_t *buf, size_t len, struct te_ch_boot *out);

static inline struct te_ch_slot *te_ch_slot_at(void *base, const struct te_ch_layout *l, uint32_t i)
{
	return (struct te_ch_slot *)((uint8_t *)base + l->slots_off) + i;
}

static inline uint8_t *te_ch_data_at(void *base, const struct te_ch_layout *l, uint32_t i)
{
	return (uint8_t *)base + l->data_off + (size_t)i * TE_CH_DATA_CAP;
}

/* Reads a message's fields once and checks them: size and out_cap within
 * TE_CH_DATA_CAP, kind one of `allowed` (bit mask of 1u << kind). */
oe_result_t te_ch_msg_read(struct te_ch_slot *slot, uint32_t allowed, struct te_ch_msg *out);

/* Writes a message's fields and hands the slot over (state = to). */
void te_ch_post(struct te_ch_slot *slot, const struct te_ch_msg *msg, uint32_t to);

/* Waits until slot->state == want.  Spins for spin_ns - unless the other
 * side last ran on this very CPU, where spinning would only keep it from
 * running - then sleeps on the futex.  Returns 0 when the state is reached, or
 * the value of *stop (non-zero) as soon as it is set, or -1 after
 * deadline_ns (CLOCK_MONOTONIC, 0 = none). */
int te_ch_wait(struct te_ch_slot *slot, uint32_t want, uint64_t spin_ns,
	       const _Atomic uint32_t *stop, uint64_t deadline_ns);

/* Wakes whoever sleeps on the slot (all waiters). */
void te_ch_wake(struct te_ch_slot *slot);

uint64_t te_ch_now_ns(void);

#endif /* TE_TEE_CHANNEL_H */
