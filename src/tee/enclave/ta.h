/*
 * ta.h - state shared by the files of the TA runtime (liboeenclave).
 */
#ifndef TE_TEE_TA_H
#define TE_TEE_TA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tee/channel.h"

struct te_ta {
	struct te_ch_layout lay;
	uint8_t *base; /* the shared file, mapped where the host mapped it */
	struct te_ch_boot boot;
	uint32_t *ecall_map; /* host ECALL index -> index in oe_ecalls_table */
	uint32_t n_map;
	_Atomic uint32_t aborting;
	_Atomic uint32_t *hworker_busy; /* TA-private: which host worker slots are taken */
	uint32_t missing; /* host ECALL names this TA lacks (sent with READY) */
};

extern struct te_ta te_ta_g;

/* heap.c: accounting of the TA heap against NumHeapPages. */
void te_ta_heap_set_limit(size_t bytes);
size_t te_ta_heap_used(void);
/* heap.c: the host-visible heap (oe_host_malloc) over the shared region. */
void te_ta_host_heap_init(uint8_t *base, size_t size);

/* libc.c: stdout/stderr through the syscall.edl write OCALL. */
void te_libc_stdio_init(void);

/* sandbox.c: the seccomp allow-list, for every thread of the process. */
int te_ta_sandbox_apply(void);
void te_ta_sigsys_install(void);

/* Sends one control datagram to the host (allowed by the sandbox). */
void te_ta_ctl_send(uint32_t type, uint32_t a, int64_t b);

#endif
