/*
 * test_listen.c - the daemon's listening sockets in a temporary run
 * directory: sockets are created with the configured mode and removed at
 * close; a stale socket file is replaced while a live socket, a regular
 * file, a missing directory and an overlong path are refused; peer
 * credentials come from the kernel.
 *
 * Socket activation runs in a forked child: the child puts its own
 * listening sockets on descriptors 3.. and sets LISTEN_PID to its own pid,
 * exactly what systemd hands a service.  The child reports with its exit
 * status (cmocka's asserts belong to the parent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/listen.h"
#include "testutil.h"
#include "trustedge/te_daemon_config.h"

struct fx {
	char *dir;
	char *run;
	te_daemon_config *cfg;
	te_listen_set set;
};

static void clear_listen_env(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	clear_listen_env();
	f->dir = tu_tempdir("listen");
	f->run = tu_path(f->dir, "run");
	assert_int_equal(mkdir(f->run, 0755), 0);
	assert_int_equal(te_daemon_config_defaults(f->dir, &f->cfg), TE_OK);
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		f->set.socks[i].fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	te_listen_close(&f->set);
	te_daemon_config_free(f->cfg);
	free(f->run);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static const char *sock_path(const struct fx *f, te_daemon_socket_id id)
{
	return f->cfg->sockets[id].path;
}

/* A Unix stream socket at path: listening when listening, else bound and
 * then closed (a stale file).  Returns the fd, or -1 for a stale one. */
static int make_unix(const char *path, int type, int listening)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -2;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -2;
	memcpy(sa.sun_path, path, strlen(path));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -2;
	if (listening && listen(fd, 4) != 0)
		return -2;
	return fd;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int is_listening(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

static int has_flags(int fd)
{
	int fdf = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);

	return fdf >= 0 && fl >= 0 && (fdf & FD_CLOEXEC) && (fl & O_NONBLOCK);
}

static void assert_detail_has(const char *what)
{
	if (strstr(te_err_detail(), what) == NULL)
		fail_msg("detail '%s' lacks '%s'", te_err_detail(), what);
}

/* ---- binding ourselves ---- */

static void test_create_modes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_OK);
	for (int i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		struct stat st;
		const te_listen_sock *ls = &f->set.socks[i];

		assert_true(ls->fd >= 0);
		assert_false(ls->from_env);
		assert_true(is_listening(ls->fd));
		assert_true(has_flags(ls->fd));
		assert_int_equal(lstat(sock_path(f, (te_daemon_socket_id)i), &st), 0);
		assert_true(S_ISSOCK(st.st_mode));
		assert_int_equal(st.st_mode & 07777, f->cfg->sockets[i].mode);
	}
	/* The defaults: management is for the daemon's user only. */
	assert_int_equal(f->cfg->sockets[TE_DAEMON_SOCKET_MGMT].mode, 0600);
	assert_int_equal(f->cfg->sockets[TE_DAEMON_SOCKET_WORKLOAD].mode, 0660);

	te_listen_close(&f->set);
	for (int i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		assert_int_equal(f->set.socks[i].fd, -1);
		assert_int_equal(access(sock_path(f, (te_daemon_socket_id)i), F_OK), -1);
	}
	te_listen_close(&f->set); /* twice is harmless */
}

static void test_configured_mode(void **state)
{
	struct fx *f = *state;
	struct stat st;

	f->cfg->sockets[TE_DAEMON_SOCKET_KEYS].mode = 0640;
	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_OK);
	assert_int_equal(lstat(sock_path(f, TE_DAEMON_SOCKET_KEYS), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_owner_group(void **state)
{
	struct fx *f = *state;
	te_daemon_socket *s = &f->cfg->sockets[TE_DAEMON_SOCKET_CERTS];
	struct stat st;

	/* Our own ids: chowned when root, nothing to do otherwise. */
	s->set_owner = 1;
	s->owner = geteuid();
	s->set_group = 1;
	s->group = getegid();
	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_OK);
	assert_int_equal(lstat(s->path, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
}

static void test_stale_replaced(void **state)
{
	struct fx *f = *state;
	const char *p = sock_path(f, TE_DAEMON_SOCKET_WORKLOAD);
	struct stat before, after;
	int fd = make_unix(p, SOCK_STREAM, 0), c;

	assert_true(fd >= 0);
	close(fd); /* the file stays: nobody accepts on it */
	/* A mode ours never has tells the files apart (tmpfs reuses inode
	 * numbers at once). */
	assert_int_equal(chmod(p, 0604), 0);
	assert_int_equal(lstat(p, &before), 0);
	assert_true(S_ISSOCK(before.st_mode));
	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_OK);
	assert_int_equal(lstat(p, &after), 0);
	assert_true(S_ISSOCK(after.st_mode));
	assert_int_equal(after.st_mode & 07777, 0660);
	c = connect_unix(p);
	assert_true(c >= 0);
	close(c);
}

static void test_live_refused(void **state)
{
	struct fx *f = *state;
	const char *p = sock_path(f, TE_DAEMON_SOCKET_KEYS);
	int fd = make_unix(p, SOCK_STREAM, 1), c;

	assert_true(fd >= 0);
	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_ERR_EXISTS);
	assert_detail_has(p);
	assert_detail_has("in use");
	/* The other instance keeps its socket... */
	c = connect_unix(p);
	assert_true(c >= 0);
	close(c);
	close(fd);
	/* ...and what we had bound before failing is gone again. */
	for (int i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		assert_int_equal(f->set.socks[i].fd, -1);
	assert_int_equal(access(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), F_OK), -1);
}

static void test_regular_file_refused(void **state)
{
	struct fx *f = *state;
	const char *p = sock_path(f, TE_DAEMON_SOCKET_CERTS);
	uint8_t *data = NULL;
	size_t n = 0;

	assert_int_equal(tu_write_file(p, "keep", 4), 0);
	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_ERR_EXISTS);
	assert_detail_has(p);
	assert_detail_has("not a socket");
	assert_int_equal(tu_read_file(p, &data, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(data, "keep", 4);
	free(data);
}

static void test_missing_dir_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rmdir(f->run), 0);
	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_ERR_NOT_FOUND);
	assert_detail_has("directory does not exist");
}

static void test_long_path_refused(void **state)
{
	struct fx *f = *state;
	char *p = malloc(200);

	assert_non_null(p);
	memset(p, 'a', 199);
	p[0] = '/';
	p[199] = '\0';
	free(f->cfg->sockets[TE_DAEMON_SOCKET_IDENTITY].path);
	f->cfg->sockets[TE_DAEMON_SOCKET_IDENTITY].path = p;
	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_ERR_CONFIG);
	assert_detail_has("identity");
	assert_detail_has("at most 107");
}

/* ---- peer credentials ---- */

static void test_peer_cred(void **state)
{
	struct fx *f = *state;
	int sv[2], c, a;
	te_peer peer;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(te_peer_cred(sv[0], &peer), TE_OK);
	assert_int_equal(peer.pid, getpid());
	assert_int_equal(peer.uid, geteuid());
	assert_int_equal(peer.gid, getegid());
	close(sv[0]);
	close(sv[1]);

	/* Through a real connect on a socket te_listen_open made. */
	assert_int_equal(te_listen_open(f->cfg, &f->set), TE_OK);
	c = connect_unix(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD));
	assert_true(c >= 0);
	a = accept4(f->set.socks[TE_DAEMON_SOCKET_WORKLOAD].fd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	assert_int_equal(te_peer_cred(a, &peer), TE_OK);
	assert_int_equal(peer.pid, getpid());
	assert_int_equal(peer.uid, geteuid());
	assert_int_equal(peer.gid, getegid());
	close(a);
	close(c);

	/* No peer: an unconnected socket, and no descriptor at all. */
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	assert_int_equal(te_peer_cred(c, &peer), TE_ERR_IO);
	close(c);
	assert_int_equal(te_peer_cred(-1, &peer), TE_ERR_INVALID_ARG);
}

/* ---- socket activation (in a child) ---- */

#define CK(cond)                                                                                   \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "child: line %d: %s (detail: %s)\n", __LINE__, #cond,      \
			        te_err_detail());                                                  \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* Puts fds[0..n) on descriptors 3..3+n and sets the variables systemd
 * sets, with our own pid unless pid_delta moves it. */
static int child_pass(const int *fds, int n, const char *names, int pid_delta)
{
	int high[8];
	char buf[32];

	/* Move them out of the way first: socket() may have returned 3. */
	for (int i = 0; i < n; i++) {
		high[i] = fcntl(fds[i], F_DUPFD, 100);
		if (high[i] < 0)
			return -1;
		close(fds[i]);
	}
	for (int i = 0; i < n; i++) {
		if (dup2(high[i], TE_LISTEN_FDS_START + i) != TE_LISTEN_FDS_START + i)
			return -1;
		close(high[i]);
	}
	snprintf(buf, sizeof(buf), "%ld", (long)getpid() + pid_delta);
	setenv("LISTEN_PID", buf, 1);
	snprintf(buf, sizeof(buf), "%d", n);
	setenv("LISTEN_FDS", buf, 1);
	if (names != NULL)
		setenv("LISTEN_FDNAMES", names, 1);
	return 0;
}

static int env_cleared(void)
{
	return getenv("LISTEN_PID") == NULL && getenv("LISTEN_FDS") == NULL &&
	       getenv("LISTEN_FDNAMES") == NULL;
}

static int fd_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static int child_taken(struct fx *f)
{
	int fds[2];
	te_listen_set set;
	struct stat st;

	fds[0] = make_unix(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), SOCK_STREAM, 1);
	fds[1] = make_unix(sock_path(f, TE_DAEMON_SOCKET_KEYS), SOCK_STREAM, 1);
	CK(fds[0] >= 0 && fds[1] >= 0);
	/* systemd's order need not be the services' order. */
	CK(child_pass((int[]){fds[1], fds[0]}, 2, "keys:workload", 0) == 0);
	CK(te_listen_open(f->cfg, &set) == TE_OK);
	CK(env_cleared());
	CK(set.socks[TE_DAEMON_SOCKET_KEYS].fd == 3);
	CK(set.socks[TE_DAEMON_SOCKET_WORKLOAD].fd == 4);
	CK(set.socks[TE_DAEMON_SOCKET_KEYS].from_env);
	CK(has_flags(3) && has_flags(4));
	/* The services systemd did not pass are bound by us. */
	for (int i = TE_DAEMON_SOCKET_CERTS; i < TE_DAEMON_SOCKET__COUNT; i++) {
		CK(set.socks[i].fd > 4 && !set.socks[i].from_env);
		CK(lstat(sock_path(f, (te_daemon_socket_id)i), &st) == 0);
	}
	te_listen_close(&set);
	/* systemd's sockets stay (it owns them), ours are gone. */
	CK(lstat(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), &st) == 0);
	CK(lstat(sock_path(f, TE_DAEMON_SOCKET_CERTS), &st) != 0);
	CK(fd_closed(3) && fd_closed(4));
	return 0;
}

static int child_wrong_name(struct fx *f)
{
	int fds[2];
	te_listen_set set;

	fds[0] = make_unix(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), SOCK_STREAM, 1);
	fds[1] = make_unix(sock_path(f, TE_DAEMON_SOCKET_KEYS), SOCK_STREAM, 1);
	CK(fds[0] >= 0 && fds[1] >= 0);
	CK(child_pass(fds, 2, "workload:bogus", 0) == 0);
	CK(te_listen_open(f->cfg, &set) == TE_ERR_CONFIG);
	CK(strstr(te_err_detail(), "'bogus'") != NULL);
	CK(strstr(te_err_detail(), "descriptor 4") != NULL);
	CK(env_cleared());
	CK(fd_closed(3) && fd_closed(4));
	for (int i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		CK(set.socks[i].fd == -1);
	return 0;
}

static int child_wrong_type(struct fx *f)
{
	int fds[2];
	te_listen_set set;
	char *dg = tu_path(f->run, "dgram.sock");

	fds[0] = make_unix(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), SOCK_STREAM, 1);
	fds[1] = make_unix(dg, SOCK_DGRAM, 0);
	free(dg);
	CK(fds[0] >= 0 && fds[1] >= 0);
	CK(child_pass(fds, 2, "workload:keys", 0) == 0);
	CK(te_listen_open(f->cfg, &set) == TE_ERR_CONFIG);
	CK(strstr(te_err_detail(), "socket keys") != NULL);
	CK(strstr(te_err_detail(), "not a Unix stream socket") != NULL);
	CK(env_cleared());
	/* Including the one it had already adopted. */
	CK(fd_closed(3) && fd_closed(4));
	return 0;
}

static int child_not_listening(struct fx *f)
{
	int fd;
	te_listen_set set;

	fd = make_unix(sock_path(f, TE_DAEMON_SOCKET_IDENTITY), SOCK_STREAM, 0);
	CK(fd >= 0);
	CK(child_pass(&fd, 1, "identity", 0) == 0);
	CK(te_listen_open(f->cfg, &set) == TE_ERR_CONFIG);
	CK(strstr(te_err_detail(), "socket identity") != NULL);
	CK(strstr(te_err_detail(), "not listening") != NULL);
	CK(env_cleared());
	return 0;
}

static int child_bad_env(struct fx *f)
{
	int fds[2];
	te_listen_set set;

	/* More names than descriptors, duplicate names, no names. */
	fds[0] = make_unix(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), SOCK_STREAM, 1);
	fds[1] = make_unix(sock_path(f, TE_DAEMON_SOCKET_KEYS), SOCK_STREAM, 1);
	CK(fds[0] >= 0 && fds[1] >= 0);
	CK(child_pass(fds, 2, "workload:keys:certs", 0) == 0);
	CK(te_listen_open(f->cfg, &set) == TE_ERR_CONFIG);
	CK(env_cleared() && fd_closed(3) && fd_closed(4));
	unlink(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD));
	unlink(sock_path(f, TE_DAEMON_SOCKET_KEYS));

	fds[0] = make_unix(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), SOCK_STREAM, 1);
	fds[1] = make_unix(sock_path(f, TE_DAEMON_SOCKET_KEYS), SOCK_STREAM, 1);
	CK(fds[0] >= 0 && fds[1] >= 0);
	CK(child_pass(fds, 2, "keys:keys", 0) == 0);
	CK(te_listen_open(f->cfg, &set) == TE_ERR_CONFIG);
	CK(strstr(te_err_detail(), "both named 'keys'") != NULL);
	CK(env_cleared() && fd_closed(3) && fd_closed(4));
	unlink(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD));
	unlink(sock_path(f, TE_DAEMON_SOCKET_KEYS));

	fds[0] = make_unix(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), SOCK_STREAM, 1);
	CK(fds[0] >= 0);
	CK(child_pass(fds, 1, NULL, 0) == 0);
	CK(te_listen_open(f->cfg, &set) == TE_ERR_CONFIG);
	CK(strstr(te_err_detail(), "FileDescriptorName") != NULL);
	CK(env_cleared() && fd_closed(3));
	return 0;
}

static int child_other_pid(struct fx *f)
{
	int fd;
	te_listen_set set;

	/* Variables meant for another process: ignored, but still removed. */
	fd = make_unix(sock_path(f, TE_DAEMON_SOCKET_WORKLOAD), SOCK_STREAM, 1);
	CK(fd >= 0);
	CK(child_pass(&fd, 1, "workload", 1) == 0);
	CK(te_listen_open(f->cfg, &set) == TE_ERR_EXISTS); /* ours is live at the path */
	CK(env_cleared());
	CK(!fd_closed(3)); /* not ours: left alone */
	close(3);
	CK(te_listen_open(f->cfg, &set) == TE_OK); /* now stale: replaced */
	CK(!set.socks[TE_DAEMON_SOCKET_WORKLOAD].from_env);
	te_listen_close(&set);
	return 0;
}

static void run_child(struct fx *f, int (*fn)(struct fx *))
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(f));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The child's variables never reach the parent. */
	assert_null(getenv("LISTEN_PID"));
}

static void test_activation_taken(void **state)
{
	run_child(*state, child_taken);
}

static void test_activation_wrong_name(void **state)
{
	run_child(*state, child_wrong_name);
}

static void test_activation_wrong_type(void **state)
{
	run_child(*state, child_wrong_type);
}

static void test_activation_not_listening(void **state)
{
	run_child(*state, child_not_listening);
}

static void test_activation_bad_env(void **state)
{
	run_child(*state, child_bad_env);
}

static void test_activation_other_pid(void **state)
{
	run_child(*state, child_other_pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_configured_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_replaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_live_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_regular_file_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_dir_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_path_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_cred, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_activation_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_activation_wrong_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_activation_wrong_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_activation_not_listening, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_activation_bad_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_activation_other_pid, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
