/*
 * sandbox.c - owns the confinement of trustedged's API process: the
 * seccomp allowlist, the capability drop and the switch to an
 * unprivileged user.
 *
 * The API process parses HTTP and JSON from untrusted modules
 * (libmicrohttpd, jansson), so we assume a bug there gives an attacker
 * code execution in it.  The filter leaves that attacker a process that
 * can use the sockets, pipes and epoll sets it already has and nothing
 * else that reaches outside it.  Names are libseccomp's, resolved for the
 * native architecture; a name the architecture lacks (poll, epoll_wait on
 * aarch64) is skipped, a name libseccomp does not know is an error.  The
 * list comes from strace -f of the workload API tests, and is checked by
 * tests/daemon/test_sandbox.c (libmicrohttpd serving under the filter)
 * and by the daemon integration tests (the real API process) run with
 * TE_SANDBOX_DEBUG, which logged nothing refused.
 *
 * Allowed, and why:
 *   memory   brk, mmap and mprotect WITHOUT PROT_EXEC (nothing new can
 *            become executable: no injected code, no dlopen), munmap,
 *            mremap, madvise (malloc trimming, MADV_DONTDUMP), mlock and
 *            munlock (te_secure_alloc for plaintexts and digests).
 *   threads  clone only with CLONE_THREAD and no namespace flag (a
 *            pthread, never a new process); clone3 answers ENOSYS because
 *            seccomp cannot read its flags from memory, and glibc then
 *            falls back to clone; futex, set_robust_list, rseq, sched_yield,
 *            gettid, exit, exit_group; prctl PR_SET_NAME/PR_GET_NAME only
 *            (libmicrohttpd names its threads).
 *   signals  rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigtimedwait
 *            (the process's main thread waits in sigwait), sigaltstack,
 *            restart_syscall; kill and tgkill only to our own pid
 *            (raise/abort).
 *   I/O on descriptors we have: read, write, readv, writev, close,
 *            recvfrom, sendto, recvmsg, sendmsg, accept4 (connections on
 *            the listening socket we were given), shutdown, getsockopt
 *            (SO_PEERCRED for authz), setsockopt, getsockname,
 *            getpeername, epoll_create1, epoll_ctl, epoll_wait,
 *            epoll_pwait, poll, ppoll, pipe2 and eventfd2 (libmicrohttpd's
 *            inter-thread wakeups); fcntl F_GETFD/F_SETFD/F_GETFL/F_SETFL
 *            only (no F_SETOWN: it would aim SIGIO at another process);
 *            ioctl FIONREAD/FIONBIO only, and TCGETS answers ENOTTY so
 *            isatty() in stdio or a sanitizer report says "not a tty".
 *   files    openat with access mode O_RDONLY and none of O_CREAT,
 *            O_TRUNC, O_APPEND (authz reads /proc/<pid>/cgroup; glibc
 *            reads /etc/localtime, jansson /dev/urandom, lazily), fstat,
 *            newfstatat, statx, lseek.
 *   time     clock_gettime, clock_getres, gettimeofday (when the vDSO
 *            falls back to the kernel), clock_nanosleep, nanosleep.
 *   misc     getrandom (OpenSSL, jansson), getpid, getuid, geteuid,
 *            getgid, getegid, sysinfo (glibc's qsort sizes its buffer
 *            with it).
 *
 * Refused (the process is killed with SIGSYS, default action
 * SCMP_ACT_KILL_PROCESS, also for another architecture's system calls):
 * socket, socketpair, connect, bind, listen (no new way out: the keys
 * process and modules are reached only on inherited sockets); execve,
 * execveat, fork, vfork, clone without CLONE_THREAD (no new programs or
 * processes); ptrace, process_vm_readv/writev; open/openat for writing,
 * openat2, creat, unlink, rename, mkdir, chmod, chown, truncate (no file
 * changes); mmap/mprotect with PROT_EXEC, pkey_mprotect; set*id,
 * setgroups, capset, prctl other than thread names, seccomp (no privilege
 * changes); kill/tgkill to other processes, tkill; mount, unshare, setns,
 * bpf, perf_event_open, keyctl, add_key, io_uring_*, userfaultfd; ioctl
 * other than the three above (no TIOCSTI); every other system call.
 *
 * Sanitizer builds (ASan+UBSan, detected at compile time) also allow what
 * the sanitizer runtimes do inside a confined process; see SB_SANITIZER
 * below.  Release builds have none of it.
 *
 * Define TE_SANDBOX_DEBUG (never in a shipped build) to let refused
 * system calls through and have the kernel log them instead ("audit:
 * type=1326 ... syscall=N" in dmesg): the way to find what a new code
 * path needs, LSan's tracer included (strace cannot follow it).
 */
#include "daemon/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <seccomp.h>

/* ASan (which brings LSan) is the project's sanitizer build, always
 * together with UBSan (TE_SANITIZE in CMakeLists.txt). */
#if defined(__SANITIZE_ADDRESS__)
#define SB_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_SANITIZER 1
#endif
#endif
#ifndef SB_SANITIZER
#define SB_SANITIZER 0
#endif

#if SB_SANITIZER
#include <sanitizer/common_interface_defs.h>
#endif

#ifdef TE_SANDBOX_DEBUG
#define SB_DEFAULT_ACTION SCMP_ACT_LOG
#else
#define SB_DEFAULT_ACTION SCMP_ACT_KILL_PROCESS
#endif

/* Flags of a clone(2) that makes a thread: CLONE_THREAD set (the kernel
 * then also requires CLONE_SIGHAND and CLONE_VM) and no new namespace. */
#define SB_CLONE_CHECKED                                                                           \
	((uint64_t)(CLONE_THREAD | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |   \
	            CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET))

/* openat flags that must be clear besides the access mode (O_TMPFILE
 * needs a writable access mode, so it is refused with them). */
#define SB_OPEN_CHECKED ((uint64_t)(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND))

/* System calls allowed whatever their arguments (see the file comment). */
static const char *const sb_allow[] = {
    /* memory */
    "brk",
    "munmap",
    "mremap",
    "madvise",
    "mlock",
    "munlock",
    /* threads */
    "futex",
    "set_robust_list",
    "rseq",
    "sched_yield",
    "gettid",
    "exit",
    "exit_group",
    /* signals */
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigtimedwait",
    "sigaltstack",
    "restart_syscall",
    /* I/O on descriptors the process has */
    "read",
    "write",
    "readv",
    "writev",
    "close",
    "recvfrom",
    "sendto",
    "recvmsg",
    "sendmsg",
    "accept4",
    "shutdown",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "poll",
    "ppoll",
    "pipe2",
    "eventfd2",
    /* files: metadata of open files (openat is checked below) */
    "fstat",
    "newfstatat",
    "statx",
    "lseek",
    /* time */
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "clock_nanosleep",
    "nanosleep",
    /* misc */
    "getrandom",
    "getpid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "sysinfo",
};

#if SB_SANITIZER
/*
 * What ASan/LSan/UBSan do in a confined process, beyond the list above
 * (found with TE_SANDBOX_DEBUG: leak, use-after-free, UB and abort
 * reports, threads, and all of it after te_sandbox_drop_to):
 *  - LSan's leak check at exit stops the world: it makes itself dumpable
 *    (prctl PR_GET/SET_DUMPABLE), clones a tracer that shares its memory
 *    but is not a thread (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_UNTRACED,
 *    allowed with exactly these flags), lets it trace us
 *    (PR_SET_PTRACER); the tracer asks for its parent's death signal
 *    (PR_SET_PDEATHSIG), checks getppid, lists /proc/<pid>/task with the
 *    runtime's own open (the old call on x86_64, read-only as openat) and
 *    getdents (getdents64 elsewhere), attaches to each thread (ptrace) and
 *    waits for it (wait4); the parent then waits for the tracer (wait4).
 *  - A thread starting reads its CPU mask (sched_getaffinity).
 *  - Symbolizing a report needs the external llvm-symbolizer, a child
 *    process: te_sandbox_api_enter starts it before the filter, and the
 *    runtime talks to it over pipes.  Should it have to start again
 *    inside, its search of PATH (stat, lstat) works and its fork (the old
 *    call on x86_64, a bare clone(SIGCHLD) elsewhere) answers EPERM, so
 *    the report comes unsymbolized (module+offset) instead of the process
 *    being killed halfway.
 * None of this is in a release build; ptrace above all.
 */
static const char *const sb_allow_sanitizer[] = {
    "ptrace", "wait4", "getppid", "getdents", "getdents64", "sched_getaffinity", "stat", "lstat",
};
#define SB_SANITIZER_CLONE ((uint64_t)(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED))
#endif

/* Adds one rule for a system call by libseccomp name.  A name this
 * architecture does not have is skipped. */
static te_err sb_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n_args,
                      const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);
	int r;

	if (nr == __NR_SCMP_ERROR) {
		const struct scmp_version *v = seccomp_version();

		return te_err_set(TE_ERR_UNSUPPORTED,
		                  "sandbox: libseccomp %u.%u.%u does not know the system call %s",
		                  v->major, v->minor, v->micro, name);
	}
	if (nr < 0)
		return TE_OK; /* a pseudo number: not on this architecture */
	r = seccomp_rule_add_array(ctx, action, nr, n_args, args);
	if (r != 0)
		return te_err_set(TE_ERR_INTERNAL, "sandbox: seccomp_rule_add(%s): %s", name,
		                  strerror(-r));
	return TE_OK;
}

/* Rules that look at arguments (see the file comment). */
static te_err sb_rules_checked(scmp_filter_ctx ctx)
{
	te_err rc = TE_OK;
	const uint64_t self = (uint64_t)getpid();
	const struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	const struct scmp_arg_cmp thread =
	    SCMP_A0(SCMP_CMP_MASKED_EQ, SB_CLONE_CHECKED, (uint64_t)CLONE_THREAD);
	const struct scmp_arg_cmp rdonly = SCMP_A2(SCMP_CMP_MASKED_EQ, SB_OPEN_CHECKED, O_RDONLY);
	const struct scmp_arg_cmp to_self = SCMP_A0(SCMP_CMP_EQ, self, 0);
	/* The kernel reads ioctl's request as an unsigned int. */
	const uint64_t cmd32 = 0xffffffffu;
	const int fcntl_cmds[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL};
	const unsigned long ioctl_ok[] = {FIONREAD, FIONBIO};
	const int prctl_ok[] = {PR_SET_NAME, PR_GET_NAME};

	TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "mmap", 1, &no_exec));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "mprotect", 1, &no_exec));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "clone", 1, &thread));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "openat", 1, &rdonly));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "kill", 1, &to_self));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "tgkill", 1, &to_self));
	for (size_t i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]); i++) {
		struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_EQ, (uint64_t)fcntl_cmds[i], 0);

		TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "fcntl", 1, &c));
	}
	for (size_t i = 0; i < sizeof(ioctl_ok) / sizeof(ioctl_ok[0]); i++) {
		struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, cmd32, ioctl_ok[i]);

		TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &c));
	}
	{
		struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, cmd32, TCGETS);

		TE_GUARD(sb_rule(ctx, SCMP_ACT_ERRNO(ENOTTY), "ioctl", 1, &c));
	}
	for (size_t i = 0; i < sizeof(prctl_ok) / sizeof(prctl_ok[0]); i++) {
		struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, (uint64_t)prctl_ok[i], 0);

		TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "prctl", 1, &c));
	}
out:
	return rc;
}

#if SB_SANITIZER
static te_err sb_rules_sanitizer(scmp_filter_ctx ctx)
{
	te_err rc = TE_OK;
	const struct scmp_arg_cmp tracer = SCMP_A0(SCMP_CMP_EQ, SB_SANITIZER_CLONE, 0);
	const struct scmp_arg_cmp rdonly = SCMP_A1(SCMP_CMP_MASKED_EQ, SB_OPEN_CHECKED, O_RDONLY);
	const struct scmp_arg_cmp bare_fork = SCMP_A0(SCMP_CMP_EQ, (uint64_t)SIGCHLD, 0);
	const int prctl_ok[] = {PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_SET_PTRACER, PR_SET_PDEATHSIG};

	for (size_t i = 0; i < sizeof(sb_allow_sanitizer) / sizeof(sb_allow_sanitizer[0]); i++)
		TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, sb_allow_sanitizer[i], 0, NULL));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "clone", 1, &tracer));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "open", 1, &rdonly));
	/* glibc's fork() sets more flags than SIGCHLD: still killed. */
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ERRNO(EPERM), "fork", 0, NULL));
	TE_GUARD(sb_rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &bare_fork));
	for (size_t i = 0; i < sizeof(prctl_ok) / sizeof(prctl_ok[0]); i++) {
		struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, (uint64_t)prctl_ok[i], 0);

		TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, "prctl", 1, &c));
	}
out:
	return rc;
}
#endif

/* Builds the API process's filter into ctx. */
static te_err sb_filter_build(scmp_filter_ctx ctx)
{
	te_err rc = TE_OK;
	int r;

	/* Another architecture's system calls (i386 int 0x80 on x86_64)
	 * would bypass every rule: kill those as well. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SB_DEFAULT_ACTION);
	TE_ENSURE(r == 0, TE_ERR_INTERNAL, "sandbox: SCMP_FLTATR_ACT_BADARCH: %s", strerror(-r));
	/* Threads already running (libmicrohttpd's) get the filter too. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	TE_ENSURE(r == 0, TE_ERR_UNSUPPORTED, "sandbox: SCMP_FLTATR_CTL_TSYNC: %s", strerror(-r));
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
	/* seccomp_load then returns the kernel's errno, for the detail. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	TE_ENSURE(r == 0, TE_ERR_INTERNAL, "sandbox: SCMP_FLTATR_API_SYSRAWRC: %s", strerror(-r));
	/* A binary search over ~70 system calls instead of a linear list:
	 * every request makes dozens of them. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	TE_ENSURE(r == 0, TE_ERR_INTERNAL, "sandbox: SCMP_FLTATR_CTL_OPTIMIZE: %s", strerror(-r));
#endif
	for (size_t i = 0; i < sizeof(sb_allow) / sizeof(sb_allow[0]); i++)
		TE_GUARD(sb_rule(ctx, SCMP_ACT_ALLOW, sb_allow[i], 0, NULL));
	TE_GUARD(sb_rules_checked(ctx));
#if SB_SANITIZER
	TE_GUARD(sb_rules_sanitizer(ctx));
#endif
out:
	return rc;
}

static int sb_capget(struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3])
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};

	memset(data, 0, sizeof(data[0]) * _LINUX_CAPABILITY_U32S_3);
	return (int)syscall(SYS_capget, &hdr, data);
}

static int sb_caps_any(const struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3])
{
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective != 0 || data[i].permitted != 0 || data[i].inheritable != 0)
			return 1;
	}
	return 0;
}

/* Empties the bounding set and the ambient set of the calling thread.
 * The bounding set needs CAP_SETPCAP, without which it cannot change (and
 * it matters only across execve, which the filter forbids). */
static te_err sb_bounding_ambient_drop(void)
{
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int have_setpcap;

	if (sb_capget(data) != 0)
		return te_err_set(TE_ERR_INTERNAL, "sandbox: capget: %s", strerror(errno));
	have_setpcap = (data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP)) != 0;
	for (unsigned long cap = 0; have_setpcap && cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break; /* EINVAL: past the kernel's last capability */
		if (r == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return te_err_set(
			    TE_ERR_PERMISSION,
			    "sandbox: cannot drop capability %lu from the bounding set: %s", cap,
			    strerror(errno));
	}
	/* EINVAL: a kernel before 4.3 has no ambient set. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return te_err_set(TE_ERR_PERMISSION,
		                  "sandbox: cannot clear the ambient capabilities: %s",
		                  strerror(errno));
	return TE_OK;
}

te_err te_sandbox_caps_drop(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	te_err rc = sb_bounding_ambient_drop();

	if (rc != TE_OK)
		return rc;
	if (sb_capget(data) != 0)
		return te_err_set(TE_ERR_INTERNAL, "sandbox: capget: %s", strerror(errno));
	if (!sb_caps_any(data))
		return TE_OK;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) != 0)
		return te_err_set(TE_ERR_PERMISSION, "sandbox: capset to no capabilities: %s",
		                  strerror(errno));
	if (sb_capget(data) != 0 || sb_caps_any(data))
		return te_err_set(TE_ERR_INTERNAL,
		                  "sandbox: capabilities are still set after capset");
	return TE_OK;
}

/* Permitted capabilities of thread tid from /proc/self/task/<tid>/status;
 * 0 when the thread is gone. */
static te_err sb_thread_caps(const char *tid, uint64_t *prm)
{
	te_err rc = TE_OK;
	char path[64], buf[4096];
	const char *line;
	size_t len = 0;
	ssize_t r;
	int fd = -1;

	*prm = 0;
	TE_ENSURE(snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid) <
	              (int)sizeof(path),
	          TE_ERR_INTERNAL, "sandbox: thread id %.16s too long", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		goto out; /* the thread exited */
	TE_ENSURE(fd >= 0, TE_ERR_INTERNAL, "sandbox: open %s: %s", path, strerror(errno));
	while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		TE_ENSURE(r > 0, TE_ERR_INTERNAL, "sandbox: read %s: %s", path, strerror(errno));
		len += (size_t)r;
	}
	buf[len] = '\0';
	line = strstr(buf, "\nCapPrm:");
	TE_ENSURE(line != NULL && sscanf(line + 1, "CapPrm: %" SCNx64, prm) == 1, TE_ERR_INTERNAL,
	          "sandbox: no CapPrm line in %s", path);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Capabilities are per thread: refuses when a thread other than the
 * caller still holds any (it was started before they were dropped). */
static te_err sb_threads_check(void)
{
	te_err rc = TE_OK;
	char self[24];
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");

	TE_ENSURE(d != NULL, TE_ERR_INTERNAL, "sandbox: /proc/self/task: %s", strerror(errno));
	(void)snprintf(self, sizeof(self), "%ld", (long)gettid());
	while ((de = readdir(d)) != NULL) {
		uint64_t prm;

		if (de->d_name[0] == '.' || strcmp(de->d_name, self) == 0)
			continue;
		TE_GUARD(sb_thread_caps(de->d_name, &prm));
		TE_ENSURE(prm == 0, TE_ERR_PERMISSION,
		          "sandbox: thread %s holds capabilities %#" PRIx64
		          " (capabilities are per thread: drop them, or the user, before "
		          "starting threads)",
		          de->d_name, prm);
	}
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

te_err te_sandbox_api_enter(void)
{
	te_err rc = TE_OK;
	scmp_filter_ctx ctx = NULL;
	int r;

	TE_ENSURE(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, TE_ERR_UNSUPPORTED,
	          "sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* No core file with request data, no ptrace by same-uid processes. */
	TE_ENSURE(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0, TE_ERR_INTERNAL,
	          "sandbox: PR_SET_DUMPABLE: %s", strerror(errno));
	TE_GUARD(te_sandbox_caps_drop());
	TE_GUARD(sb_threads_check());

	ctx = seccomp_init(SB_DEFAULT_ACTION);
	TE_ENSURE(ctx != NULL, TE_ERR_UNSUPPORTED,
	          "sandbox: seccomp_init(KILL_PROCESS) failed (Linux 4.14 and libseccomp 2.4 "
	          "or later are needed)");
	TE_GUARD(sb_filter_build(ctx));
#if SB_SANITIZER
	{
		/* Lets the runtime cache /proc/self/maps while it still can,
		 * and starts the external symbolizer now (it cannot be forked
		 * inside), so reports made in the filter have file:line. */
		__sanitizer_sandbox_arguments sa = {0, -1, 0};
		char where[128];

		__sanitizer_sandbox_on_notify(&sa);
		__sanitizer_symbolize_pc(__builtin_return_address(0), "%F %L", where,
		                         sizeof(where));
	}
#endif
	r = seccomp_load(ctx);
	TE_ENSURE(r != -ESRCH, TE_ERR_INTERNAL,
	          "sandbox: seccomp_load: a thread could not be synchronised (TSYNC)");
	TE_ENSURE(r == 0, r == -EINVAL ? TE_ERR_UNSUPPORTED : TE_ERR_INTERNAL,
	          "sandbox: seccomp_load: %s", strerror(-r));
out:
	seccomp_release(ctx);
	return rc;
}

te_err te_sandbox_drop_to(uid_t uid, gid_t gid)
{
	te_err rc;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (uid == (uid_t)-1 || gid == (gid_t)-1)
		return te_err_set(TE_ERR_INVALID_ARG, "sandbox: uid/gid -1 is not a user");
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return te_err_set(TE_ERR_INTERNAL, "sandbox: getresuid: %s", strerror(errno));
	if (ru == uid && eu == uid && su == uid && rg == gid && eg == gid && sg == gid)
		return TE_OK;

	/* Groups and the bounding set first: once the uid is not 0 they can
	 * no longer change. */
	if (setgroups(0, NULL) != 0)
		return te_err_set(TE_ERR_PERMISSION, "sandbox: setgroups(0): %s", strerror(errno));
	if (setresgid(gid, gid, gid) != 0)
		return te_err_set(TE_ERR_PERMISSION, "sandbox: setresgid(%lu): %s",
		                  (unsigned long)gid, strerror(errno));
	rc = sb_bounding_ambient_drop();
	if (rc != TE_OK)
		return rc;
	if (setresuid(uid, uid, uid) != 0)
		return te_err_set(TE_ERR_PERMISSION, "sandbox: setresuid(%lu): %s",
		                  (unsigned long)uid, strerror(errno));

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != uid ||
	    eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return te_err_set(TE_ERR_INTERNAL, "sandbox: the ids did not change to %lu:%lu",
		                  (unsigned long)uid, (unsigned long)gid);
	if (getgroups(0, NULL) != 0)
		return te_err_set(TE_ERR_INTERNAL, "sandbox: supplementary groups remain");
	/* As OpenSSH does: a uid that could become 0 again was no drop. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		return te_err_set(TE_ERR_INTERNAL,
		                  "sandbox: uid 0 could be regained after the drop");
	if (gid != 0 && uid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		return te_err_set(TE_ERR_INTERNAL,
		                  "sandbox: gid 0 could be regained after the drop");
	return TE_OK;
}
