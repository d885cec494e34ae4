/*
 * sandbox.c - the TA's seccomp allow-list.
 *
 * A TA runs as if inside a TEE: it computes, allocates memory, waits on
 * its channel, talks to the host over fd 3 and to its root of trust over
 * fd 5 - nothing else.  No file,
 * network, process or identity system calls: those go through OCALLs to
 * the host, as on real hardware.  No executable memory can be created
 * after start (mmap/mprotect with PROT_EXEC are refused), so the code that
 * runs is the code that was measured.
 *
 * Anything else traps (SIGSYS).  The handler tells the host which call it
 * was over the control socket and ends the process; the host reports it as
 * OE_ENCLAVE_ABORTED with the call's name.  The filter is applied to every
 * thread at once (TSYNC).
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tee/enclave/ta.h"
#include "tee/rot/rot.h"

static void te_ta_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	te_ta_ctl_send(TE_CTL_FAULT, TE_FAULT_SYSCALL, si->si_syscall);
	syscall(SYS_exit_group, 128 + SIGSYS);
}

void te_ta_sigsys_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = te_ta_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
}

#define ALLOW(call) rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(call), 0)

int te_ta_sandbox_apply(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc = 0;

	if (!ctx)
		return -1;
	rc |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	rc |= seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	/* The channel and the control socket. */
	ALLOW(futex);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
			       SCMP_A0(SCMP_CMP_EQ, TE_TA_FD_CONTROL, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
			       SCMP_A0(SCMP_CMP_EQ, TE_TA_FD_CONTROL, 0));
	/* The root-of-trust socket (seal keys, evidence). */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
			       SCMP_A0(SCMP_CMP_EQ, TE_TA_FD_ROT, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
			       SCMP_A0(SCMP_CMP_EQ, TE_TA_FD_ROT, 0));
	/* Memory, without ever making it executable. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(munmap);
	ALLOW(mremap);
	ALLOW(madvise);
	ALLOW(brk);
	/* Time, randomness, scheduling. */
	ALLOW(clock_gettime);
	ALLOW(clock_getres);
	ALLOW(gettimeofday);
	ALLOW(nanosleep);
	ALLOW(clock_nanosleep);
	ALLOW(sched_yield);
	ALLOW(getrandom);
	/* Signals and exit, so abort() and a crash end the process cleanly. */
	ALLOW(rt_sigreturn);
	ALLOW(rt_sigprocmask);
	ALLOW(sigaltstack);
	ALLOW(restart_syscall);
	/* A thread started just before the filter registers itself after it. */
	ALLOW(rseq);
	ALLOW(set_robust_list);
	ALLOW(getpid);
	ALLOW(gettid);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
	ALLOW(exit);
	ALLOW(exit_group);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		errno = -rc;
	return rc == 0 ? 0 : -1;
}
