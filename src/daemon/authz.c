/*
 * authz.c - owns caller identification and per-uid connection counting
 * for trustedged's API process (see authz.h).
 *
 * The cgroup file is read like any untrusted input: bounded, every line
 * checked, and any surprise makes the whole file "no cgroup" so that a
 * caller the parser does not understand is never given a module.  The
 * two tables (registered pids, open connections per uid) each have their
 * own mutex, held only for the table operation itself.
 */
#include "daemon/authz.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AZ_PROC_ROOT "/proc"
/* Buckets of the per-uid connection table: a power of two.  Few uids
 * connect at once, so short chains keep each call O(1) in practice. */
#define AZ_CONN_BUCKETS 256u
/* The longest hierarchy id accepted in a cgroup line (10 digits fit u32). */
#define AZ_HIER_ID_MAX 10

typedef struct az_pid {
	pid_t pid;
	char module[TE_AUTHZ_MODULE_MAX + 1];
} az_pid;

typedef struct az_conn {
	uid_t uid;
	uint32_t count;
	struct az_conn *next;
} az_conn;

struct te_authz {
	const te_daemon_config *cfg;
	char *proc_root;

	pthread_mutex_t pid_lock;
	az_pid pids[TE_AUTHZ_MAX_PIDS];
	size_t n_pids;

	pthread_mutex_t conn_lock;
	az_conn *conns[AZ_CONN_BUCKETS];
};

/* --- cgroup paths ------------------------------------------------------- */

/* 1 when path equals base or lies below it on a '/' boundary; trailing
 * slashes of base are ignored ("/a/" is "/a", and "/" covers everything). */
static int az_cgroup_below(const char *path, const char *base)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (strncmp(path, base, n) != 0)
		return 0;
	return path[n] == '\0' || path[n] == '/';
}

/* A kernel-written cgroup path: absolute, printable, and without "." or
 * ".." components (which a cgroup namespace shows for cgroups outside it:
 * such a caller is not where its path text suggests). */
static int az_cgroup_path_ok(const char *p, size_t n)
{
	if (n == 0 || p[0] != '/')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && p[j] != '/')
			j++;
		/* component is p[i+1 .. j) */
		if ((j - i - 1 == 1 && p[i + 1] == '.') ||
		    (j - i - 1 == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
			return 0;
		i = j;
	}
	return 1;
}

/* One "ID:CONTROLLERS:PATH" line (without its newline).  *kind is 2 for
 * the v2 line, 1 for v1 "name=systemd", 0 for another v1 hierarchy. */
static te_err az_cgroup_line(const char *l, size_t n, int *kind, const char **path,
                             size_t *path_len)
{
	te_err rc = TE_OK;
	const char *c1 = memchr(l, ':', n);
	const char *c2 = NULL;
	size_t id_len, ctl_len;

	TE_ENSURE(c1 != NULL, TE_ERR_MALFORMED, "cgroup line without ':'");
	id_len = (size_t)(c1 - l);
	TE_ENSURE(id_len >= 1 && id_len <= AZ_HIER_ID_MAX, TE_ERR_MALFORMED,
	          "cgroup line: bad hierarchy id");
	/* l is not NUL-terminated: no str* functions on it. */
	for (size_t i = 0; i < id_len; i++)
		TE_ENSURE(l[i] >= '0' && l[i] <= '9', TE_ERR_MALFORMED,
		          "cgroup line: bad hierarchy id");
	c2 = memchr(c1 + 1, ':', n - id_len - 1);
	TE_ENSURE(c2 != NULL, TE_ERR_MALFORMED, "cgroup line without a second ':'");
	ctl_len = (size_t)(c2 - c1 - 1);
	*path = c2 + 1;
	*path_len = n - (size_t)(*path - l);
	TE_ENSURE(az_cgroup_path_ok(*path, *path_len), TE_ERR_MALFORMED, "cgroup line: bad path");
	if (id_len == 1 && l[0] == '0' && ctl_len == 0)
		*kind = 2;
	else if (ctl_len == strlen("name=systemd") && memcmp(c1 + 1, "name=systemd", ctl_len) == 0)
		*kind = 1;
	else
		*kind = 0;
out:
	return rc;
}

/* The cgroup of buf (a /proc/<pid>/cgroup file, not NUL-terminated) into
 * out.  TE_ERR_MALFORMED for any bad line, TE_ERR_NOT_FOUND when there is
 * neither a v2 nor a name=systemd line. */
static te_err az_cgroup_parse(const char *buf, size_t len, char *out, size_t out_sz)
{
	te_err rc = TE_OK;
	const char *best = NULL;
	size_t best_len = 0, off = 0;
	int best_kind = 0, seen_v2 = 0, seen_systemd = 0;

	TE_ENSURE(memchr(buf, '\0', len) == NULL, TE_ERR_MALFORMED, "cgroup file has a NUL byte");
	while (off < len) {
		const char *l = buf + off;
		const char *nl = memchr(l, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - l) : len - off;
		const char *path = NULL;
		size_t path_len = 0;
		int kind = 0;

		TE_GUARD(az_cgroup_line(l, n, &kind, &path, &path_len));
		/* The same hierarchy twice is not something the kernel writes. */
		TE_ENSURE(!(kind == 2 && seen_v2) && !(kind == 1 && seen_systemd), TE_ERR_MALFORMED,
		          "cgroup file lists a hierarchy twice");
		seen_v2 |= kind == 2;
		seen_systemd |= kind == 1;
		if (kind > best_kind) {
			best = path;
			best_len = path_len;
			best_kind = kind;
		}
		off += n + (nl != NULL ? 1 : 0);
	}
	TE_ENSURE(best != NULL, TE_ERR_NOT_FOUND, "no cgroup v2 or name=systemd line");
	TE_ENSURE(best_len < out_sz, TE_ERR_MALFORMED, "cgroup path too long");
	memcpy(out, best, best_len);
	out[best_len] = '\0';
out:
	return rc;
}

/* Reads <proc_root>/<pid>/cgroup, at most TE_AUTHZ_CGROUP_FILE_MAX bytes. */
static te_err az_cgroup_read(const char *proc_root, pid_t pid, char *out, size_t out_sz)
{
	te_err rc = TE_OK;
	char path[PATH_MAX];
	char buf[TE_AUTHZ_CGROUP_FILE_MAX + 1];
	size_t len = 0;
	int fd = -1, k;

	k = snprintf(path, sizeof(path), "%s/%ld/cgroup", proc_root, (long)pid);
	TE_ENSURE(k > 0 && (size_t)k < sizeof(path), TE_ERR_INVALID_ARG, "proc root too long");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	TE_ENSURE(fd >= 0, TE_ERR_IO, "%s: %s", path, strerror(errno));
	/* One byte more than allowed tells an oversized file from a full one. */
	while (len < sizeof(buf)) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		TE_ENSURE(r >= 0, TE_ERR_IO, "%s: %s", path, strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
	}
	TE_ENSURE(len <= TE_AUTHZ_CGROUP_FILE_MAX, TE_ERR_MALFORMED, "%s: longer than %d bytes",
	          path, TE_AUTHZ_CGROUP_FILE_MAX);
	TE_GUARD(az_cgroup_parse(buf, len, out, out_sz));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* --- identification ----------------------------------------------------- */

static int az_has_cgroup_modules(const te_daemon_config *cfg)
{
	for (size_t i = 0; i < cfg->n_modules; i++)
		if (!cfg->modules[i].by_uid)
			return 1;
	return 0;
}

static te_err az_set_module(char module[TE_AUTHZ_MODULE_MAX + 1], const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TE_AUTHZ_MODULE_MAX)
		return te_err_set(TE_ERR_INTERNAL, "module id of %zu bytes", n);
	memcpy(module, name, n + 1);
	return TE_OK;
}

/* The configuration's answer for peer: exactly one module, or an error. */
static te_err az_match(const te_daemon_config *cfg, const char *proc_root, const te_peer *peer,
                       char module[TE_AUTHZ_MODULE_MAX + 1])
{
	te_err rc = TE_OK;
	char cgroup[TE_AUTHZ_CGROUP_FILE_MAX + 1];
	int have_cgroup = 0;
	const te_daemon_module *found = NULL;

	/* An unreadable cgroup only means no cgroup module can match: uid
	 * modules still work for a caller whose /proc entry is gone. */
	if (peer->pid > 0 && az_has_cgroup_modules(cfg))
		have_cgroup = az_cgroup_read(proc_root, peer->pid, cgroup, sizeof(cgroup)) == TE_OK;
	for (size_t i = 0; i < cfg->n_modules; i++) {
		const te_daemon_module *m = &cfg->modules[i];
		int hit = m->by_uid ? m->uid == peer->uid
		                    : have_cgroup && az_cgroup_below(cgroup, m->cgroup);

		if (!hit)
			continue;
		TE_ENSURE(found == NULL, TE_ERR_CONFIG,
		          "%s: modules '%s' and '%s' both match caller uid %lu pid %ld; "
		          "give them distinct uids or cgroups",
		          cfg->source, found->name, m->name, (unsigned long)peer->uid,
		          (long)peer->pid);
		found = m;
	}
	TE_ENSURE(found != NULL, TE_ERR_PERMISSION,
	          "no module matches caller uid %lu pid %ld%s%.256s", (unsigned long)peer->uid,
	          (long)peer->pid, have_cgroup ? " cgroup " : "", have_cgroup ? cgroup : "");
	TE_GUARD(az_set_module(module, found->name));
out:
	return rc;
}

te_err te_authz_check_config(const te_daemon_config *cfg)
{
	te_err rc = TE_OK;

	for (size_t i = 0; i < cfg->n_modules; i++) {
		const te_daemon_module *a = &cfg->modules[i];

		for (size_t j = i + 1; j < cfg->n_modules; j++) {
			const te_daemon_module *b = &cfg->modules[j];

			if (a->by_uid != b->by_uid)
				continue;
			TE_ENSURE(
			    !a->by_uid || a->uid != b->uid, TE_ERR_CONFIG,
			    "%s: modules '%s' and '%s' both have uid %lu: a caller would be both",
			    cfg->source, a->name, b->name, (unsigned long)a->uid);
			TE_ENSURE(a->by_uid || (!az_cgroup_below(a->cgroup, b->cgroup) &&
			                        !az_cgroup_below(b->cgroup, a->cgroup)),
			          TE_ERR_CONFIG,
			          "%s: modules '%s' (cgroup %s) and '%s' (cgroup %s) overlap: "
			          "a caller in the inner cgroup would be both",
			          cfg->source, a->name, a->cgroup, b->name, b->cgroup);
		}
	}
out:
	return rc;
}

te_err te_authz_identify(const te_daemon_config *cfg, const te_peer *peer,
                         char module[TE_AUTHZ_MODULE_MAX + 1])
{
	return az_match(cfg, AZ_PROC_ROOT, peer, module);
}

/* --- the authorizer ----------------------------------------------------- */

te_err te_authz_new(const te_daemon_config *cfg, te_authz **out)
{
	te_err rc = TE_OK;
	te_authz *a = NULL;
	int pid_lock = 0, conn_lock = 0;

	*out = NULL;
	TE_GUARD(te_authz_check_config(cfg));
	a = calloc(1, sizeof(*a));
	TE_GUARD_PTR(a, TE_ERR_NO_MEMORY, "authz: out of memory");
	a->cfg = cfg;
	a->proc_root = strdup(AZ_PROC_ROOT);
	TE_GUARD_PTR(a->proc_root, TE_ERR_NO_MEMORY, "authz: out of memory");
	TE_ENSURE(pthread_mutex_init(&a->pid_lock, NULL) == 0, TE_ERR_INTERNAL,
	          "authz: mutex init failed");
	pid_lock = 1;
	TE_ENSURE(pthread_mutex_init(&a->conn_lock, NULL) == 0, TE_ERR_INTERNAL,
	          "authz: mutex init failed");
	conn_lock = 1;
	*out = a;
	a = NULL;
out:
	if (a != NULL) {
		if (pid_lock)
			pthread_mutex_destroy(&a->pid_lock);
		if (conn_lock)
			pthread_mutex_destroy(&a->conn_lock);
		free(a->proc_root);
		free(a);
	}
	return rc;
}

void te_authz_free(te_authz *a)
{
	if (a == NULL)
		return;
	for (size_t b = 0; b < AZ_CONN_BUCKETS; b++) {
		az_conn *c = a->conns[b];

		while (c != NULL) {
			az_conn *next = c->next;

			free(c);
			c = next;
		}
	}
	pthread_mutex_destroy(&a->pid_lock);
	pthread_mutex_destroy(&a->conn_lock);
	free(a->proc_root);
	free(a);
}

te_err te_authz_set_proc_root(te_authz *a, const char *dir)
{
	char *copy = strdup(dir);

	if (copy == NULL)
		return te_err_set(TE_ERR_NO_MEMORY, "authz: out of memory");
	free(a->proc_root);
	a->proc_root = copy;
	return TE_OK;
}

/* Index of pid in the table, or -1.  Called with pid_lock held. */
static long az_pid_find(const te_authz *a, pid_t pid)
{
	for (size_t i = 0; i < a->n_pids; i++)
		if (a->pids[i].pid == pid)
			return (long)i;
	return -1;
}

te_err te_authz_register_pid(te_authz *a, pid_t pid, const char *module)
{
	te_err rc = TE_OK;
	size_t n = strlen(module);

	TE_ENSURE(pid > 0, TE_ERR_INVALID_ARG, "authz: pid %ld is not a process", (long)pid);
	TE_ENSURE(n >= 1 && n <= TE_AUTHZ_MODULE_MAX, TE_ERR_BAD_NAME,
	          "authz: module id must be 1..%d bytes", TE_AUTHZ_MODULE_MAX);
	pthread_mutex_lock(&a->pid_lock);
	if (az_pid_find(a, pid) >= 0) {
		rc = te_err_set(TE_ERR_EXISTS, "authz: pid %ld is already registered", (long)pid);
	} else if (a->n_pids == TE_AUTHZ_MAX_PIDS) {
		rc = te_err_set(TE_ERR_BUSY, "authz: %d started processes registered already",
		                TE_AUTHZ_MAX_PIDS);
	} else {
		a->pids[a->n_pids].pid = pid;
		memcpy(a->pids[a->n_pids].module, module, n + 1);
		a->n_pids++;
	}
	pthread_mutex_unlock(&a->pid_lock);
out:
	return rc;
}

void te_authz_unregister_pid(te_authz *a, pid_t pid)
{
	long i;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->pid_lock);
	i = az_pid_find(a, pid);
	if (i >= 0) {
		/* Order does not matter: move the last entry into the hole. */
		a->pids[i] = a->pids[a->n_pids - 1];
		a->n_pids--;
	}
	pthread_mutex_unlock(&a->pid_lock);
}

te_err te_authz_identify_peer(te_authz *a, const te_peer *peer,
                              char module[TE_AUTHZ_MODULE_MAX + 1])
{
	long i;

	if (peer->pid > 0) {
		pthread_mutex_lock(&a->pid_lock);
		i = az_pid_find(a, peer->pid);
		if (i >= 0)
			memcpy(module, a->pids[i].module, sizeof(a->pids[i].module));
		pthread_mutex_unlock(&a->pid_lock);
		if (i >= 0)
			return TE_OK;
	}
	return az_match(a->cfg, a->proc_root, peer, module);
}

/* module_in_url is the client's text: quoted only when it is plain
 * printable ASCII of a sane length, so a message cannot carry its bytes
 * into a log line. */
static const char *az_quotable(const char *s)
{
	size_t n = strnlen(s, TE_AUTHZ_MODULE_MAX + 1);

	if (n == 0 || n > TE_AUTHZ_MODULE_MAX)
		return "(invalid)";
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '\'')
			return "(invalid)";
	return s;
}

te_err te_authz_caller_is(te_authz *a, const te_peer *peer, const char *module_in_url)
{
	te_err rc = TE_OK;
	char module[TE_AUTHZ_MODULE_MAX + 1];

	rc = te_authz_identify_peer(a, peer, module);
	if (rc == TE_ERR_PERMISSION || (rc == TE_OK && strcmp(module, module_in_url) != 0))
		rc = te_err_set(TE_ERR_PERMISSION, "caller uid %lu pid %ld is not module '%s'",
		                (unsigned long)peer->uid, (long)peer->pid,
		                az_quotable(module_in_url));
	return rc;
}

te_err te_authz_generation_is(te_authz *a, const char *module, const char *genid)
{
	for (size_t i = 0; i < a->cfg->n_modules; i++) {
		const te_daemon_module *m = &a->cfg->modules[i];

		if (strcmp(m->name, module) != 0)
			continue;
		if (m->generation_id == NULL || strcmp(m->generation_id, genid) == 0)
			return TE_OK;
		return te_err_set(TE_ERR_PERMISSION,
		                  "module '%s' is configured with generation id '%s', not '%s'",
		                  az_quotable(module), az_quotable(m->generation_id),
		                  az_quotable(genid));
	}
	return TE_OK; /* a module the daemon started itself (pid table) */
}

/* --- connections per uid ------------------------------------------------ */

static size_t az_bucket(uid_t uid)
{
	/* Fibonacci hashing: consecutive uids spread over the buckets. */
	return (size_t)(((uint32_t)uid * 2654435761u) >> 24) & (AZ_CONN_BUCKETS - 1);
}

te_err te_authz_conn_open(te_authz *a, uid_t uid)
{
	te_err rc = TE_OK;
	uint32_t max = a->cfg->limits.max_connections_per_uid;
	az_conn **head = &a->conns[az_bucket(uid)];
	az_conn *c;

	pthread_mutex_lock(&a->conn_lock);
	for (c = *head; c != NULL && c->uid != uid; c = c->next)
		;
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			rc = te_err_set(TE_ERR_NO_MEMORY, "authz: out of memory");
			goto out;
		}
		c->uid = uid;
		c->next = *head;
		*head = c;
	}
	if (c->count >= max) {
		rc = te_err_set(TE_ERR_BUSY,
		                "uid %lu already has %lu open connections; raise "
		                "limits.max_connections_per_uid in %s to allow more",
		                (unsigned long)uid, (unsigned long)c->count, a->cfg->source);
		goto out;
	}
	c->count++;
out:
	pthread_mutex_unlock(&a->conn_lock);
	return rc;
}

void te_authz_conn_close(te_authz *a, uid_t uid)
{
	az_conn **link;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->conn_lock);
	for (link = &a->conns[az_bucket(uid)]; *link != NULL; link = &(*link)->next) {
		az_conn *c = *link;

		if (c->uid != uid)
			continue;
		if (c->count > 0)
			c->count--;
		/* Idle uids leave the table, so it holds only uids connected now. */
		if (c->count == 0) {
			*link = c->next;
			free(c);
		}
		break;
	}
	pthread_mutex_unlock(&a->conn_lock);
}

unsigned te_authz_conn_count(te_authz *a, uid_t uid)
{
	unsigned n = 0;

	pthread_mutex_lock(&a->conn_lock);
	for (const az_conn *c = a->conns[az_bucket(uid)]; c != NULL; c = c->next)
		if (c->uid == uid) {
			n = c->count;
			break;
		}
	pthread_mutex_unlock(&a->conn_lock);
	return n;
}
