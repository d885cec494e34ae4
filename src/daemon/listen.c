/*
 * listen.c - owns trustedged's listening sockets (see listen.h): taking
 * the descriptors systemd passes (the sd_listen_fds(3) protocol, done
 * here without libsystemd), binding the others, and the one place that
 * reads a peer's kernel credentials.
 *
 * Binding is careful about what is already at the path: a socket file
 * nobody accepts on (left by a crash) is replaced, anything else (a live
 * daemon, a regular file, a directory) is refused with the path named, so
 * a second instance or a typo in the configuration never takes over or
 * deletes somebody else's file.
 */
#include "daemon/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/te_log.h"

#define LS_SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
/* LISTEN_FDNAMES of at most TE_DAEMON_SOCKET__COUNT names, each at most
 * 255 bytes (systemd's FileDescriptorName= limit), plus separators. */
#define LS_NAMES_MAX (TE_DAEMON_SOCKET__COUNT * 256)
/* Bounds what we print of a name we do not know. */
#define LS_SHOW_MAX 64

_Static_assert(sizeof(((te_listen_sock *)0)->path) == LS_SUN_PATH_MAX, "path holds sun_path");

/* What systemd passed: fd TE_LISTEN_FDS_START + i serves svc[i]. */
typedef struct ls_env {
	size_t n;
	te_daemon_socket_id svc[TE_DAEMON_SOCKET__COUNT];
	int taken[TE_DAEMON_SOCKET__COUNT];
} ls_env;

static void ls_sock_init(te_listen_sock *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->fd = -1;
}

/* A decimal number with nothing around it: strtoul alone would accept
 * leading blanks, a sign and trailing junk. */
static int ls_parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	unsigned long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Maps one LISTEN_FDNAMES entry to its service. */
static te_err ls_name_to_svc(const char *name, size_t len, size_t idx, te_daemon_socket_id *out)
{
	for (int id = 0; id < TE_DAEMON_SOCKET__COUNT; id++) {
		const char *want = te_daemon_socket_name((te_daemon_socket_id)id);

		if (strlen(want) == len && memcmp(want, name, len) == 0) {
			*out = (te_daemon_socket_id)id;
			return TE_OK;
		}
	}
	return te_err_set(TE_ERR_CONFIG,
	                  "socket activation: descriptor %zu is named '%.*s', which is not a "
	                  "trustedge service (workload, keys, certs, identity, management); set "
	                  "FileDescriptorName= in its socket unit",
	                  TE_LISTEN_FDS_START + idx, (int)(len < LS_SHOW_MAX ? len : LS_SHOW_MAX),
	                  name);
}

/* Splits LISTEN_FDNAMES (":"-separated, one per descriptor) into env. */
static te_err ls_parse_names(const char *names, ls_env *env)
{
	te_err rc = TE_OK;
	size_t count = 0;
	const char *p = names;

	TE_ENSURE(strnlen(names, LS_NAMES_MAX + 1) <= LS_NAMES_MAX, TE_ERR_CONFIG,
	          "socket activation: LISTEN_FDNAMES is longer than %d bytes", LS_NAMES_MAX);
	for (;;) {
		const char *colon = strchr(p, ':');
		size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);

		TE_ENSURE(count < env->n, TE_ERR_CONFIG,
		          "socket activation: LISTEN_FDNAMES has more names than the %zu "
		          "descriptors of LISTEN_FDS",
		          env->n);
		TE_GUARD(ls_name_to_svc(p, len, count, &env->svc[count]));
		/* Two descriptors for one service: one would be left unserved. */
		for (size_t j = 0; j < count; j++)
			TE_ENSURE(env->svc[j] != env->svc[count], TE_ERR_CONFIG,
			          "socket activation: descriptors %zu and %zu are both named '%s'",
			          TE_LISTEN_FDS_START + j, TE_LISTEN_FDS_START + count,
			          te_daemon_socket_name(env->svc[count]));
		count++;
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	TE_ENSURE(count == env->n, TE_ERR_CONFIG,
	          "socket activation: LISTEN_FDNAMES has %zu names for %zu descriptors", count,
	          env->n);
out:
	return rc;
}

/* Reads the socket-activation variables and removes them from the
 * environment whatever they say, as sd_listen_fds(1) does: the keys and
 * API processes must never believe the descriptors are theirs.  env->n is
 * set as soon as the descriptors are known to be ours, so the caller can
 * close them if anything later fails. */
static te_err ls_env_take(ls_env *env)
{
	te_err rc = TE_OK;
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned long pid = 0, n = 0;

	memset(env, 0, sizeof(*env));
	if (pid_s == NULL)
		goto out;
	TE_ENSURE(ls_parse_num(pid_s, (unsigned long)INT_MAX, &pid) == 0 && pid > 0, TE_ERR_CONFIG,
	          "socket activation: LISTEN_PID='%.*s' is not a process id", LS_SHOW_MAX, pid_s);
	/* Inherited from a parent that did not clear them: not for us. */
	if ((pid_t)pid != getpid())
		goto out;
	TE_ENSURE(fds_s != NULL, TE_ERR_CONFIG, "socket activation: LISTEN_PID without LISTEN_FDS");
	TE_ENSURE(ls_parse_num(fds_s, (unsigned long)INT_MAX - TE_LISTEN_FDS_START, &n) == 0,
	          TE_ERR_CONFIG, "socket activation: LISTEN_FDS='%.*s' is not a count", LS_SHOW_MAX,
	          fds_s);
	TE_ENSURE(n <= TE_DAEMON_SOCKET__COUNT, TE_ERR_CONFIG,
	          "socket activation: systemd passed %lu descriptors, trustedge has only %d "
	          "services",
	          n, TE_DAEMON_SOCKET__COUNT);
	env->n = (size_t)n;
	if (n == 0)
		goto out;
	TE_ENSURE(names != NULL, TE_ERR_CONFIG,
	          "socket activation: LISTEN_FDNAMES is not set; give each socket unit "
	          "FileDescriptorName=<service>");
	TE_GUARD(ls_parse_names(names, env));
out:
	/* After the last use of the getenv() strings: unsetenv frees them. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rc;
}

/* Adopts fd, passed by systemd for service id, after checking it is what
 * the daemon will treat it as: accept(2) on anything else would fail
 * later and far from the cause. */
static te_err ls_take(te_daemon_socket_id id, const te_daemon_socket *conf, int fd,
                      te_listen_sock *ls)
{
	te_err rc = TE_OK;
	const char *name = te_daemon_socket_name(id);
	struct sockaddr_un sa;
	socklen_t len, salen;
	int type = 0, accepting = 0, flags;

	len = sizeof(type);
	TE_ENSURE(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0, TE_ERR_CONFIG,
	          "socket %s: systemd descriptor %d is not a socket: %s", name, fd,
	          strerror(errno));
	memset(&sa, 0, sizeof(sa));
	salen = sizeof(sa);
	TE_ENSURE(getsockname(fd, (struct sockaddr *)&sa, &salen) == 0, TE_ERR_CONFIG,
	          "socket %s: systemd descriptor %d: getsockname: %s", name, fd, strerror(errno));
	TE_ENSURE(sa.sun_family == AF_UNIX && type == SOCK_STREAM, TE_ERR_CONFIG,
	          "socket %s: systemd descriptor %d is not a Unix stream socket; its socket unit "
	          "needs ListenStream=/path",
	          name, fd);
	len = sizeof(accepting);
	TE_ENSURE(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting,
	          TE_ERR_CONFIG, "socket %s: systemd descriptor %d is not listening (Accept=no)",
	          name, fd);
	flags = fcntl(fd, F_GETFD);
	TE_ENSURE(flags >= 0 && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0, TE_ERR_IO,
	          "socket %s: descriptor %d: FD_CLOEXEC: %s", name, fd, strerror(errno));
	flags = fcntl(fd, F_GETFL);
	TE_ENSURE(flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0, TE_ERR_IO,
	          "socket %s: descriptor %d: O_NONBLOCK: %s", name, fd, strerror(errno));
	/* The socket unit decides where it listens; a different configured
	 * path is worth a line, since clients read the configuration. */
	if (salen > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0] != '\0') {
		size_t plen = strnlen(sa.sun_path, sizeof(sa.sun_path));

		if (conf->path != NULL &&
		    (plen != strlen(conf->path) || memcmp(sa.sun_path, conf->path, plen) != 0))
			te_log_warn("socket %s: systemd passed %.*s, the configuration says %s; "
			            "serving on systemd's",
			            name, (int)plen, sa.sun_path, conf->path);
	}
	ls->fd = fd;
	ls->from_env = 1;
out:
	return rc;
}

/* Called when bind found something at path: removes it only if it is a
 * socket file nobody accepts connections on. */
static te_err ls_remove_stale(const char *name, const char *path, const struct sockaddr_un *sa,
                              socklen_t salen)
{
	te_err rc = TE_OK;
	struct stat st;
	int probe = -1, r, e;

	if (lstat(path, &st) != 0) {
		e = errno;
		/* Gone meanwhile: the caller's second bind decides. */
		TE_ENSURE(e == ENOENT, TE_ERR_IO, "socket %s: %s: %s", name, path, strerror(e));
		goto out;
	}
	TE_ENSURE(S_ISSOCK(st.st_mode), TE_ERR_EXISTS,
	          "socket %s: %s exists and is not a socket; refusing to replace it", name, path);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	TE_ENSURE(probe >= 0, TE_ERR_IO, "socket %s: socket(): %s", name, strerror(errno));
	r = connect(probe, (const struct sockaddr *)sa, salen);
	e = errno;
	/* EAGAIN: a listener whose backlog is full is still a listener.
	 * ECONNREFUSED is the only answer that means nobody is there (or a
	 * process between its bind and its listen: the narrow window every
	 * stale-socket check has). */
	TE_ENSURE(r != 0 && e != EAGAIN && e != EINPROGRESS, TE_ERR_EXISTS,
	          "socket %s: %s is in use (is another trustedged running?)", name, path);
	TE_ENSURE(e == ECONNREFUSED, TE_ERR_IO,
	          "socket %s: cannot tell whether %s is in use: %s; refusing to replace it", name,
	          path, strerror(e));
	TE_ENSURE(unlink(path) == 0 || errno == ENOENT, TE_ERR_IO,
	          "socket %s: cannot remove stale %s: %s", name, path, strerror(errno));
	te_log_info("socket %s: removed stale socket %s", name, path);
out:
	if (probe >= 0)
		close(probe);
	return rc;
}

/* Owner and group as configured.  Only root can give a file away; an
 * unprivileged daemon (development) says once what it could not do. */
static te_err ls_chown(const char *name, const te_daemon_socket *conf)
{
	te_err rc = TE_OK;

	if (!conf->set_owner && !conf->set_group)
		goto out;
	if (geteuid() == 0) {
		/* lchown: the path is ours (just bound) in a directory only
		 * root writes; never follow a link someone put there. */
		TE_ENSURE(lchown(conf->path, conf->set_owner ? conf->owner : (uid_t)-1,
		                 conf->set_group ? conf->group : (gid_t)-1) == 0,
		          TE_ERR_IO, "socket %s: chown %s: %s", name, conf->path, strerror(errno));
	} else if ((conf->set_owner && conf->owner != geteuid()) ||
	           (conf->set_group && conf->group != getegid())) {
		te_log_warn("socket %s: not running as root, %s keeps the daemon's owner and group",
		            name, conf->path);
	}
out:
	return rc;
}

/* Creates, binds and listens on conf->path for service id. */
static te_err ls_bind(te_daemon_socket_id id, const te_daemon_socket *conf, te_listen_sock *ls)
{
	te_err rc = TE_OK;
	const char *name = te_daemon_socket_name(id);
	struct sockaddr_un sa;
	socklen_t salen;
	struct stat st;
	size_t plen;
	int fd = -1, bound = 0, r, e;

	TE_ENSURE(conf->path != NULL && conf->path[0] == '/', TE_ERR_CONFIG,
	          "socket %s: the path must be absolute", name);
	plen = strlen(conf->path);
	TE_ENSURE(plen < sizeof(sa.sun_path), TE_ERR_CONFIG,
	          "socket %s: path %s is %zu bytes, a Unix socket path holds at most %zu", name,
	          conf->path, plen, sizeof(sa.sun_path) - 1);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, conf->path, plen);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	TE_ENSURE(fd >= 0, TE_ERR_IO, "socket %s: socket(): %s", name, strerror(errno));
	r = bind(fd, (const struct sockaddr *)&sa, salen);
	if (r != 0 && errno == EADDRINUSE) {
		TE_GUARD(ls_remove_stale(name, conf->path, &sa, salen));
		r = bind(fd, (const struct sockaddr *)&sa, salen);
	}
	if (r != 0) {
		e = errno;
		TE_ENSURE(e != ENOENT, TE_ERR_NOT_FOUND,
		          "socket %s: cannot bind %s: its directory does not exist", name,
		          conf->path);
		TE_ENSURE(e != EADDRINUSE, TE_ERR_EXISTS,
		          "socket %s: %s was created again by someone else meanwhile", name,
		          conf->path);
		TE_ENSURE(0, TE_ERR_IO, "socket %s: cannot bind %s: %s", name, conf->path,
		          strerror(e));
	}
	bound = 1;
	TE_ENSURE(lstat(conf->path, &st) == 0 && S_ISSOCK(st.st_mode), TE_ERR_IO,
	          "socket %s: %s vanished after bind", name, conf->path);
	/* Mode and owner are set before listen(): until then a connect is
	 * refused, so nobody gets in under the umask's looser mode. */
	TE_GUARD(ls_chown(name, conf));
	TE_ENSURE(chmod(conf->path, (mode_t)conf->mode) == 0, TE_ERR_IO,
	          "socket %s: chmod %04o %s: %s", name, conf->mode, conf->path, strerror(errno));
	TE_ENSURE(listen(fd, SOMAXCONN) == 0, TE_ERR_IO, "socket %s: listen on %s: %s", name,
	          conf->path, strerror(errno));

	memcpy(ls->path, conf->path, plen + 1);
	ls->dev = st.st_dev;
	ls->ino = st.st_ino;
	ls->from_env = 0;
	ls->fd = fd;
	fd = -1;
out:
	if (rc != TE_OK && bound)
		unlink(conf->path);
	if (fd >= 0)
		close(fd);
	return rc;
}

te_err te_listen_open(const te_daemon_config *cfg, te_listen_set *out)
{
	te_err rc = TE_OK;
	ls_env env;

	memset(&env, 0, sizeof(env));
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		ls_sock_init(&out->socks[i]);
	TE_GUARD(ls_env_take(&env));
	for (size_t i = 0; i < env.n; i++) {
		te_daemon_socket_id id = env.svc[i];

		TE_GUARD(
		    ls_take(id, &cfg->sockets[id], TE_LISTEN_FDS_START + (int)i, &out->socks[id]));
		env.taken[i] = 1;
	}
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		if (out->socks[i].fd < 0)
			TE_GUARD(ls_bind((te_daemon_socket_id)i, &cfg->sockets[i], &out->socks[i]));
	}
out:
	if (rc != TE_OK) {
		/* Descriptors systemd gave us that we did not adopt are still
		 * ours to close. */
		for (size_t i = 0; i < env.n; i++) {
			if (!env.taken[i])
				close(TE_LISTEN_FDS_START + (int)i);
		}
		te_listen_close(out);
	}
	return rc;
}

void te_listen_close(te_listen_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		te_listen_sock *ls = &s->socks[i];
		struct stat st;

		if (ls->fd < 0)
			continue;
		/* Unlink only the file we bound: if another instance replaced
		 * it meanwhile, that one is not ours to delete. */
		if (!ls->from_env && ls->path[0] != '\0' && lstat(ls->path, &st) == 0 &&
		    S_ISSOCK(st.st_mode) && st.st_dev == ls->dev && st.st_ino == ls->ino)
			unlink(ls->path);
		close(ls->fd);
		ls_sock_init(ls);
	}
}

void te_listen_close_fds(te_listen_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		if (s->socks[i].fd >= 0)
			close(s->socks[i].fd);
		ls_sock_init(&s->socks[i]);
	}
}

te_err te_peer_cred(int fd, te_peer *out)
{
	te_err rc = TE_OK;
	struct ucred uc;
	socklen_t len = sizeof(uc);

	memset(out, 0, sizeof(*out));
	memset(&uc, 0, sizeof(uc));
	TE_ENSURE(fd >= 0, TE_ERR_INVALID_ARG, "peer credentials: no descriptor");
	TE_ENSURE(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0, TE_ERR_IO,
	          "peer credentials of descriptor %d: %s", fd, strerror(errno));
	/* pid 0: not connected, or a peer the kernel cannot name in our pid
	 * namespace; its uid is then "nobody", not a caller to authorise. */
	TE_ENSURE(len == sizeof(uc) && uc.pid > 0, TE_ERR_IO,
	          "descriptor %d has no peer credentials (not a connected Unix socket?)", fd);
	out->pid = uc.pid;
	out->uid = uc.uid;
	out->gid = uc.gid;
out:
	return rc;
}
