/*
 * authz.h - who is calling the workload API, and may they: maps a
 * connection's kernel credentials (te_peer, from SO_PEERCRED) to a module
 * of the configuration, checks that the caller is the module named in the
 * URL (the workload API's 403), and throttles open connections per uid
 * (limits.max_connections_per_uid).
 *
 * A caller is a module when, in this order:
 *   1. its pid was registered with te_authz_register_pid (a process the
 *      daemon started itself); the table wins over everything else;
 *   2. a module configured with `uid` has the peer's uid, or a module
 *      configured with `cgroup` has a path the peer's cgroup equals or is
 *      below, on '/' boundaries ("/a/b" covers "/a/b" and "/a/b/c", not
 *      "/a/bc").  Exactly one module may match: two is a configuration
 *      ambiguity, TE_ERR_CONFIG naming both.
 *
 * The cgroup comes from <proc>/<pid>/cgroup (at most 4 KiB read): the
 * cgroup v2 line "0::/path" when there is one, else the v1 "name=systemd"
 * hierarchy (where systemd puts services and scopes).  A file that is
 * missing, oversized, or has any line that does not parse is no cgroup:
 * the caller then matches no cgroup module (fail closed).
 *
 * Known limit: the cgroup is read after connect(2), by pid.  A caller that
 * exits and whose pid the kernel hands to another process in between is
 * judged by the new process's cgroup; SO_PEERPIDFD (Linux 6.5) would close
 * that window.  uid matching has no such race.
 *
 * Details (te_err_detail) name uids, pids, module names and cgroup paths,
 * never anything secret.
 */
#ifndef TRUSTEDGE_DAEMON_AUTHZ_H
#define TRUSTEDGE_DAEMON_AUTHZ_H

#include <sys/types.h>

#include "daemon/listen.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_error.h"

/* Module ids are 1..128 bytes (the configuration's rule). */
#define TE_AUTHZ_MODULE_MAX 128
/* Pids registered at once (processes the daemon started). */
#define TE_AUTHZ_MAX_PIDS 256
/* Most bytes of <proc>/<pid>/cgroup read; a longer file is refused. */
#define TE_AUTHZ_CGROUP_FILE_MAX 4096

typedef struct te_authz te_authz;

/* Checks that no caller could be two modules: two modules with the same
 * uid, or one module's cgroup equal to or inside another's.  TE_ERR_CONFIG
 * naming both modules.  (A uid module and a cgroup module can still both
 * match one process; that is only known per caller and reported then.) */
te_err te_authz_check_config(const te_daemon_config *cfg) TE_MUST_CHECK TE_NONNULL(1);

/* The module of a caller by cfg alone (no pid table), reading the cgroup
 * from /proc.  module receives the NUL-terminated module id.  No match:
 * TE_ERR_PERMISSION ("no module matches caller uid U pid P"); two
 * matches: TE_ERR_CONFIG. */
te_err te_authz_identify(const te_daemon_config *cfg, const te_peer *peer,
                         char module[TE_AUTHZ_MODULE_MAX + 1]) TE_MUST_CHECK TE_NONNULL(1, 2, 3);

/* A new authorizer for cfg, which it borrows: cfg must outlive it.  Runs
 * te_authz_check_config first (TE_ERR_CONFIG on overlap). */
te_err te_authz_new(const te_daemon_config *cfg, te_authz **out) TE_MUST_CHECK TE_NONNULL(1, 2);
/* NULL is a no-op. */
void te_authz_free(te_authz *a);

/* For tests only: read cgroups from dir/<pid>/cgroup instead of
 * /proc/<pid>/cgroup.  dir is copied.  Not thread-safe against concurrent
 * identification; call it before using a. */
te_err te_authz_set_proc_root(te_authz *a, const char *dir) TE_MUST_CHECK TE_NONNULL(1, 2);

/* Records that pid (a child the daemon started) is module (1..128 bytes;
 * it need not be in cfg's modules list).  TE_ERR_EXISTS when pid is
 * already registered, TE_ERR_BUSY when TE_AUTHZ_MAX_PIDS are.
 *
 * The kernel reuses a pid as soon as its process has been reaped, and an
 * unrelated process with a reused pid would be taken for the module: call
 * te_authz_unregister_pid when the child exits, before (or in the same
 * step as) reaping it with waitpid(2). */
te_err te_authz_register_pid(te_authz *a, pid_t pid, const char *module) TE_MUST_CHECK
    TE_NONNULL(1, 3);
/* Forgets pid; a pid never registered is a no-op. */
void te_authz_unregister_pid(te_authz *a, pid_t pid);

/* The module of a caller: the pid table, then the configuration (see the
 * top of this file), with te_authz_identify's errors. */
te_err te_authz_identify_peer(te_authz *a, const te_peer *peer,
                              char module[TE_AUTHZ_MODULE_MAX + 1]) TE_MUST_CHECK
    TE_NONNULL(1, 2, 3);

/* TE_OK when the caller is module_in_url (untrusted, from the request).
 * Otherwise TE_ERR_PERMISSION, "caller uid U pid P is not module 'X'"
 * (the workload API's 403), or TE_ERR_CONFIG for an ambiguous caller. */
te_err te_authz_caller_is(te_authz *a, const te_peer *peer, const char *module_in_url) TE_MUST_CHECK
    TE_NONNULL(1, 2, 3);

/* TE_OK when module (already authorized as the caller) may use genid:
 * always, unless the configuration pins its generation_id to another
 * value (TE_ERR_PERMISSION naming both; neither is secret). */
te_err te_authz_generation_is(te_authz *a, const char *module, const char *genid) TE_MUST_CHECK
    TE_NONNULL(1, 2, 3);

/* Counts an accepted connection of uid.  TE_ERR_BUSY, naming the limit,
 * when uid already has limits.max_connections_per_uid open (the caller
 * then closes the connection without counting it).  Thread-safe, O(1). */
te_err te_authz_conn_open(te_authz *a, uid_t uid) TE_MUST_CHECK TE_NONNULL(1);
/* Uncounts one connection of uid, opened with te_authz_conn_open.
 * Thread-safe; closing more than was opened is ignored. */
void te_authz_conn_close(te_authz *a, uid_t uid);
/* Connections of uid currently counted (for tests and status). */
unsigned te_authz_conn_count(te_authz *a, uid_t uid);

#endif
