/*
 * sandbox.h - confinement of trustedged's API process: a seccomp
 * allowlist (libseccomp), no capabilities, no new privileges, and an
 * optional switch to an unprivileged uid/gid.
 *
 * The API process parses HTTP and JSON from untrusted modules and holds no
 * key.  Once confined it can use only the sockets, pipes and epoll sets it
 * already has, allocate memory, run threads, read files read-only (for
 * /proc/<pid>/cgroup) and write to stderr.  Everything else (socket(),
 * connect(), execve, fork, ptrace, open for writing, signals to other
 * processes, new executable mappings, set*id) kills the whole process with
 * SIGSYS.  sandbox.c lists what is allowed and why.
 *
 * Order in a process that may start as root:
 *   te_sandbox_drop_to(uid, gid)  when the configuration names a user;
 *   te_sandbox_caps_drop()        before any thread starts (see below);
 *   ... start threads, servers ...
 *   te_sandbox_api_enter()        once nothing more needs privileges.
 *
 * Capabilities belong to each thread, not to the process: capset(2) and
 * the bounding-set drop change only the calling thread.  A thread started
 * before the drop keeps its capabilities, so te_sandbox_api_enter refuses
 * (TE_ERR_PERMISSION naming the thread) when another thread still holds
 * any.  set*id(2) through glibc applies to every thread, so after
 * te_sandbox_drop_to to a non-root user no thread holds any either.
 */
#ifndef TRUSTEDGE_DAEMON_SANDBOX_H
#define TRUSTEDGE_DAEMON_SANDBOX_H

#include <sys/types.h>

#include "trustedge/te_error.h"

/* Confines the calling process for good: PR_SET_NO_NEW_PRIVS, not
 * dumpable (no core files with request data, no ptrace by same-uid
 * processes), te_sandbox_caps_drop, then the seccomp allowlist loaded with
 * TSYNC so it covers threads already running and every thread started
 * later.  Refused system calls kill the process (SIGSYS); clone3 fails
 * with ENOSYS (glibc falls back to clone) and terminal ioctls with ENOTTY
 * (isatty() says no).  TE_ERR_PERMISSION when a capability cannot be
 * dropped or another thread still holds one; TE_ERR_UNSUPPORTED when the
 * kernel or libseccomp lacks what the filter needs; TE_ERR_INTERNAL for
 * any other libseccomp or kernel failure.  On error the process may be
 * half-confined (no new privileges, fewer capabilities): exit. */
te_err te_sandbox_api_enter(void) TE_MUST_CHECK;

/* Drops every capability of the calling thread: the bounding set (when it
 * holds CAP_SETPCAP; without it the set cannot change, and matters only
 * across execve, which the filter forbids), the ambient set, and the
 * effective, permitted and inheritable sets.  Checks with capget that
 * they are empty.  A no-op without capabilities. */
te_err te_sandbox_caps_drop(void) TE_MUST_CHECK;

/* Switches every thread of the process to uid/gid for good: no
 * supplementary groups, then real, effective and saved gid, then uid, and
 * checks that each stuck and that uid 0 cannot be regained.  A no-op when
 * the real, effective and saved ids already are uid and gid.
 * TE_ERR_INVALID_ARG for (uid_t)-1 or (gid_t)-1; TE_ERR_PERMISSION when
 * the kernel refuses (not root, no CAP_SETUID/CAP_SETGID); TE_ERR_INTERNAL
 * when a check fails (the process must exit).  Call before
 * te_sandbox_api_enter: the filter forbids set*id. */
te_err te_sandbox_drop_to(uid_t uid, gid_t gid) TE_MUST_CHECK;

#endif
