/*
 * host_int.h - the host runtime's view of one enclave (liboehost only).
 */
#ifndef TE_TEE_HOST_INT_H
#define TE_TEE_HOST_INT_H

#include <openenclave/host.h>

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "tee/channel.h"
#include "tee/image.h"

#define TE_HOST_MAGIC 0x7465656eu

struct _oe_enclave {
	uint32_t magic;
	pid_t pid;
	int ctl;      /* control socket to the TA */
	uint8_t *base; /* the shared channel file */
	struct te_ch_layout lay;
	te_tee_image image; /* verified image: ids and signed properties */
	int debug;
	uint64_t timeout_ns; /* per TA turn of a call; 0 = wait forever */

	const oe_ocall_func_t *ocall_table;
	uint32_t ocall_count;
	const oe_ecall_info_t *ecall_names;
	uint32_t ecall_count;
	uint32_t missing_ecalls; /* host names the TA does not have */

	_Atomic uint32_t *busy; /* per slot: a host thread holds it */
	/* dead: 0 while the TA runs, then the oe_result_t every call gets
	 * (OE_ENCLAVE_ABORTED, or OE_ENCLAVE_ABORTING after oe_abort).  Set
	 * only by the monitor, after detail. */
	_Atomic uint32_t dead;
	_Atomic uint32_t aborted;
	_Atomic uint32_t stopping; /* oe_terminate_enclave is running */
	_Atomic uint32_t halt;     /* dead or stopping: workers leave */
	pthread_mutex_t lock;      /* detail */
	char detail[256];          /* why the TA is gone, first reason wins */

	pthread_t monitor;
	int monitor_started;
	int rot_fd; /* developer mode: this side of the TA's root socket */
	int mgd;    /* managed mode: the connection to trustedged (mgd.h); else -1 */
	char *mgd_chain; /* managed mode: the PEM chain of the TA's root */
	pthread_t rot_thread;
	int rot_started;
	pthread_t *workers;
	uint32_t n_workers;
};

void te_host_serve_ocall(oe_enclave_t *enc, uint32_t idx, const struct te_ch_msg *m);
/* rot_host.c: answer the TA's root-of-trust requests (developer mode). */
int te_host_rot_start(oe_enclave_t *enc);
void te_host_rot_stop(oe_enclave_t *enc);
/* "openat" for a system call number of this architecture. */
const char *te_host_syscall_name(int64_t nr);

#endif
