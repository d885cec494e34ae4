/*
 * test_identify.c - authz.identify: which module a caller is.  Configs
 * come from te_daemon_config_parse; cgroups from fake <root>/<pid>/cgroup
 * files under a temporary proc root (te_authz_set_proc_root), so every
 * shape of that file can be tried without real cgroups.
 *
 * The other-uid test forks a child that drops to uid 65534 and connects
 * over an abstract Unix socket, so the kernel, not the test, supplies the
 * credentials.  It needs root and is skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/authz.h"
#include "daemon/listen.h"
#include "testutil.h"
#include "trustedge/te_daemon_config.h"

#define FAKE_PID  4242
#define OTHER_UID 54321 /* matches no uid module below */
#define NOBODY    65534

static te_daemon_config *cfg_ok(const char *text)
{
	te_daemon_config *dc = NULL;
	te_err rc = te_daemon_config_parse("t.yaml", text, strlen(text), &dc);

	if (rc != TE_OK)
		fail_msg("config refused: %s: %s", te_err_name(rc), te_err_detail());
	return dc;
}

static void expect_detail(const char *want)
{
	if (strcmp(te_err_detail(), want) != 0)
		fail_msg("detail\n  '%s'\nexpected\n  '%s'", te_err_detail(), want);
}

/* A temporary proc root with one fake process. */
typedef struct fake_proc {
	char *root;
	char *pid_dir;
	char *file;
} fake_proc;

static void fake_proc_init(fake_proc *fp)
{
	char name[32];

	fp->root = tu_tempdir("authz");
	snprintf(name, sizeof(name), "%d", FAKE_PID);
	fp->pid_dir = tu_path(fp->root, name);
	assert_int_equal(mkdir(fp->pid_dir, 0700), 0);
	fp->file = tu_path(fp->pid_dir, "cgroup");
}

static void fake_proc_set(const fake_proc *fp, const char *data, size_t n)
{
	assert_int_equal(tu_write_file(fp->file, data, n), 0);
}

static void fake_proc_free(fake_proc *fp)
{
	free(fp->file);
	free(fp->pid_dir);
	tu_rmtree(fp->root);
}

static te_authz *authz_for(const te_daemon_config *dc, const fake_proc *fp)
{
	te_authz *a = NULL;

	if (te_authz_new(dc, &a) != TE_OK)
		fail_msg("te_authz_new: %s", te_err_detail());
	if (fp != NULL)
		assert_int_equal(te_authz_set_proc_root(a, fp->root), TE_OK);
	return a;
}

/* The module the fake process is with cgroup file text s, or "" when
 * identification fails with TE_ERR_PERMISSION. */
static const char *module_of(te_authz *a, const fake_proc *fp, const char *s, size_t n)
{
	static char module[TE_AUTHZ_MODULE_MAX + 1];
	te_peer p = {.pid = FAKE_PID, .uid = OTHER_UID, .gid = OTHER_UID};
	te_err rc;

	fake_proc_set(fp, s, n);
	rc = te_authz_identify_peer(a, &p, module);
	if (rc == TE_ERR_PERMISSION)
		return "";
	if (rc != TE_OK)
		fail_msg("identify: %s: %s", te_err_name(rc), te_err_detail());
	return module;
}

#define MODULE_OF(a, fp, lit) module_of((a), (fp), (lit), sizeof(lit) - 1)

static const char *const cg_config = "modules:\n"
                                     "  - name: sensor\n"
                                     "    cgroup: /system.slice/sensor.service\n"
                                     "  - name: trailing\n"
                                     "    cgroup: /a/b/\n"
                                     "  - name: root-mod\n"
                                     "    uid: 0\n";

static void test_by_uid(void **state)
{
	char text[256], module[TE_AUTHZ_MODULE_MAX + 1];
	te_daemon_config *dc;
	te_authz *a;
	te_peer me = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
	te_peer other = {.pid = getpid(), .uid = OTHER_UID, .gid = 1};
	char want[160];

	(void)state;
	snprintf(text, sizeof(text),
	         "modules:\n  - name: me\n    uid: %lu\n  - name: them\n    uid: %lu\n",
	         (unsigned long)getuid(), (unsigned long)getuid() + 1);
	dc = cfg_ok(text);
	/* The config-only entry point, reading the real /proc (unused here). */
	assert_int_equal(te_authz_identify(dc, &me, module), TE_OK);
	assert_string_equal(module, "me");
	assert_int_equal(te_authz_identify(dc, &other, module), TE_ERR_PERMISSION);
	snprintf(want, sizeof(want), "no module matches caller uid %d pid %ld", OTHER_UID,
	         (long)getpid());
	expect_detail(want);

	a = authz_for(dc, NULL);
	assert_int_equal(te_authz_identify_peer(a, &me, module), TE_OK);
	assert_string_equal(module, "me");
	assert_int_equal(te_authz_caller_is(a, &me, "me"), TE_OK);
	assert_int_equal(te_authz_caller_is(a, &me, "them"), TE_ERR_PERMISSION);
	snprintf(want, sizeof(want), "caller uid %lu pid %ld is not module 'them'",
	         (unsigned long)getuid(), (long)getpid());
	expect_detail(want);
	assert_int_equal(te_authz_caller_is(a, &other, "me"), TE_ERR_PERMISSION);
	snprintf(want, sizeof(want), "caller uid %d pid %ld is not module 'me'", OTHER_UID,
	         (long)getpid());
	expect_detail(want);
	/* The URL's bytes never reach the message unless plain. */
	assert_int_equal(te_authz_caller_is(a, &me, "x\n'y"), TE_ERR_PERMISSION);
	assert_non_null(strstr(te_err_detail(), "'(invalid)'"));
	assert_int_equal(te_authz_caller_is(a, &me, ""), TE_ERR_PERMISSION);
	te_authz_free(a);
	te_daemon_config_free(dc);
}

static void test_cgroup_v2_prefix(void **state)
{
	fake_proc fp;
	te_daemon_config *dc = cfg_ok(cg_config);
	te_authz *a;

	(void)state;
	fake_proc_init(&fp);
	a = authz_for(dc, &fp);
	assert_string_equal(MODULE_OF(a, &fp, "0::/system.slice/sensor.service\n"), "sensor");
	assert_string_equal(MODULE_OF(a, &fp, "0::/system.slice/sensor.service/x/y\n"), "sensor");
	/* Prefix match is on '/' boundaries only. */
	assert_string_equal(MODULE_OF(a, &fp, "0::/system.slice/sensor.services\n"), "");
	assert_string_equal(MODULE_OF(a, &fp, "0::/system.slice/sensor.serv\n"), "");
	assert_string_equal(MODULE_OF(a, &fp, "0::/system.slice\n"), "");
	assert_string_equal(MODULE_OF(a, &fp, "0::/\n"), "");
	/* A configured trailing slash is the same directory. */
	assert_string_equal(MODULE_OF(a, &fp, "0::/a/b\n"), "trailing");
	assert_string_equal(MODULE_OF(a, &fp, "0::/a/b/c\n"), "trailing");
	assert_string_equal(MODULE_OF(a, &fp, "0::/a/bc\n"), "");
	/* A last line without its newline is still read. */
	assert_string_equal(MODULE_OF(a, &fp, "0::/a/b"), "trailing");
	/* The cgroup is named in the refusal. */
	MODULE_OF(a, &fp, "0::/user.slice/x\n");
	assert_string_equal(te_err_detail(),
	                    "no module matches caller uid 54321 pid 4242 cgroup /user.slice/x");
	te_authz_free(a);
	te_daemon_config_free(dc);
	fake_proc_free(&fp);
}

static void test_cgroup_v1(void **state)
{
	fake_proc fp;
	te_daemon_config *dc = cfg_ok(cg_config);
	te_authz *a;

	(void)state;
	fake_proc_init(&fp);
	a = authz_for(dc, &fp);
	/* v1 only: the name=systemd hierarchy, wherever it is listed. */
	assert_string_equal(MODULE_OF(a, &fp,
	                              "12:memory:/other\n"
	                              "11:cpu,cpuacct:/a/b\n"
	                              "1:name=systemd:/system.slice/sensor.service\n"
	                              "3:pids:/\n"),
	                    "sensor");
	/* No other v1 controller is trusted for the path. */
	assert_string_equal(MODULE_OF(a, &fp,
	                              "12:memory:/system.slice/sensor.service\n"
	                              "4:cpu:/system.slice/sensor.service\n"),
	                    "");
	/* Hybrid: the v2 line wins over name=systemd, in either order. */
	assert_string_equal(MODULE_OF(a, &fp,
	                              "1:name=systemd:/a/b\n"
	                              "0::/system.slice/sensor.service\n"),
	                    "sensor");
	assert_string_equal(MODULE_OF(a, &fp,
	                              "0::/system.slice/sensor.service\n"
	                              "1:name=systemd:/a/b\n"),
	                    "sensor");
	/* Colons are allowed inside a path. */
	assert_string_equal(MODULE_OF(a, &fp, "0::/a/b/x:y\n"), "trailing");
	te_authz_free(a);
	te_daemon_config_free(dc);
	fake_proc_free(&fp);
}

static void test_cgroup_garbage(void **state)
{
	static const char *const bad[] = {
	    "",
	    "\n",
	    "hello\n",
	    "0:/system.slice/sensor.service\n",
	    "x::/system.slice/sensor.service\n",
	    ":/system.slice/sensor.service\n",
	    "::/system.slice/sensor.service\n",
	    "12345678901::/system.slice/sensor.service\n",
	    "0::system.slice/sensor.service\n",
	    "0::\n",
	    "0::/system.slice/sensor.service\n\n",
	    "garbage\n0::/system.slice/sensor.service\n",
	    "0::/system.slice/sensor.service\ngarbage\n",
	    "0::/system.slice/sensor.service\n0::/system.slice/sensor.service\n",
	    "1:name=systemd:/x\n1:name=systemd:/system.slice/sensor.service\n",
	    "0::/../system.slice/sensor.service\n",
	    "0::/system.slice/sensor.service/..\n",
	    "0::/system.slice/./sensor.service\n",
	    "0::/system.slice/sensor.service/\x1b[0m\n",
	    "0::/system.slice/sensor.service\r\n",
	};
	static const char nul[] = "0::/system.slice/sensor.service\0\n";
	fake_proc fp;
	te_daemon_config *dc = cfg_ok(cg_config);
	te_authz *a;
	char *big;
	size_t n;
	te_peer p = {.pid = FAKE_PID, .uid = OTHER_UID, .gid = 1};
	char module[TE_AUTHZ_MODULE_MAX + 1];

	(void)state;
	fake_proc_init(&fp);
	a = authz_for(dc, &fp);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (module_of(a, &fp, bad[i], strlen(bad[i]))[0] != '\0')
			fail_msg("accepted cgroup file %zu: '%s'", i, bad[i]);
	assert_string_equal(module_of(a, &fp, nul, sizeof(nul) - 1), "");

	/* Exactly the size limit is read; one byte more is refused.  The file
	 * is the sensor line and one long filler line of another hierarchy. */
	big = malloc(TE_AUTHZ_CGROUP_FILE_MAX + 2);
	assert_non_null(big);
	n = strlen("0::/system.slice/sensor.service\n5:cpu:/");
	memcpy(big, "0::/system.slice/sensor.service\n5:cpu:/", n);
	memset(big + n, 'x', TE_AUTHZ_CGROUP_FILE_MAX + 2 - n);
	n = TE_AUTHZ_CGROUP_FILE_MAX;
	big[n - 1] = '\n';
	assert_string_equal(module_of(a, &fp, big, n), "sensor");
	big[n - 1] = 'x';
	big[n] = '\n';
	assert_string_equal(module_of(a, &fp, big, n + 1), "");
	free(big);

	/* Missing file (the process is gone): no cgroup, no module. */
	assert_int_equal(unlink(fp.file), 0);
	assert_int_equal(te_authz_identify_peer(a, &p, module), TE_ERR_PERMISSION);
	assert_string_equal(te_err_detail(), "no module matches caller uid 54321 pid 4242");
	/* ... but a uid module still matches such a caller. */
	p.uid = 0;
	assert_int_equal(te_authz_identify_peer(a, &p, module), TE_OK);
	assert_string_equal(module, "root-mod");
	te_authz_free(a);
	te_daemon_config_free(dc);
	fake_proc_free(&fp);
}

static void test_ambiguous(void **state)
{
	fake_proc fp;
	te_daemon_config *dc;
	te_authz *a = NULL;
	te_peer p = {.pid = FAKE_PID, .uid = 7, .gid = 7};
	char module[TE_AUTHZ_MODULE_MAX + 1];

	(void)state;
	dc = cfg_ok("modules:\n  - name: a\n    uid: 7\n  - name: b\n    uid: 8\n"
	            "  - name: c\n    uid: 7\n");
	assert_int_equal(te_authz_check_config(dc), TE_ERR_CONFIG);
	expect_detail("t.yaml: modules 'a' and 'c' both have uid 7: a caller would be both");
	assert_int_equal(te_authz_new(dc, &a), TE_ERR_CONFIG);
	assert_null(a);
	te_daemon_config_free(dc);

	dc = cfg_ok(
	    "modules:\n  - name: outer\n    cgroup: /a\n  - name: inner\n    cgroup: /a/b/\n");
	assert_int_equal(te_authz_check_config(dc), TE_ERR_CONFIG);
	expect_detail("t.yaml: modules 'outer' (cgroup /a) and 'inner' (cgroup /a/b/) overlap: a "
	              "caller in the inner cgroup would be both");
	te_daemon_config_free(dc);

	/* Siblings sharing a name prefix do not overlap. */
	dc = cfg_ok("modules:\n  - name: x\n    cgroup: /a/b\n  - name: y\n    cgroup: /a/bc\n"
	            "  - name: z\n    uid: 7\n");
	assert_int_equal(te_authz_check_config(dc), TE_OK);
	fake_proc_init(&fp);
	a = authz_for(dc, &fp);
	assert_string_equal(MODULE_OF(a, &fp, "0::/a/bc/d\n"), "y");
	/* A uid module and a cgroup module matching one caller: only known
	 * now, and a configuration error rather than a guess. */
	fake_proc_set(&fp, "0::/a/b\n", 8);
	assert_int_equal(te_authz_identify_peer(a, &p, module), TE_ERR_CONFIG);
	expect_detail("t.yaml: modules 'x' and 'z' both match caller uid 7 pid 4242; give them "
	              "distinct uids or cgroups");
	assert_int_equal(te_authz_caller_is(a, &p, "x"), TE_ERR_CONFIG);
	te_authz_free(a);
	te_daemon_config_free(dc);
	fake_proc_free(&fp);
}

static void test_pid_table(void **state)
{
	fake_proc fp;
	te_daemon_config *dc = cfg_ok(cg_config);
	te_authz *a;
	te_peer p = {.pid = FAKE_PID, .uid = 0, .gid = 0};
	char module[TE_AUTHZ_MODULE_MAX + 1], longname[TE_AUTHZ_MODULE_MAX + 2];

	(void)state;
	fake_proc_init(&fp);
	a = authz_for(dc, &fp);
	fake_proc_set(&fp, "0::/system.slice/sensor.service\n", 32);
	/* uid 0 and the sensor cgroup both match: ambiguous by config... */
	assert_int_equal(te_authz_identify_peer(a, &p, module), TE_ERR_CONFIG);
	/* ...but a started pid is decided by the table alone. */
	assert_int_equal(te_authz_register_pid(a, FAKE_PID, "started"), TE_OK);
	assert_int_equal(te_authz_identify_peer(a, &p, module), TE_OK);
	assert_string_equal(module, "started");
	assert_int_equal(te_authz_caller_is(a, &p, "started"), TE_OK);
	assert_int_equal(te_authz_caller_is(a, &p, "sensor"), TE_ERR_PERMISSION);
	assert_int_equal(te_authz_register_pid(a, FAKE_PID, "again"), TE_ERR_EXISTS);
	te_authz_unregister_pid(a, FAKE_PID);
	te_authz_unregister_pid(a, FAKE_PID); /* twice: no-op */
	p.uid = OTHER_UID;
	assert_int_equal(te_authz_identify_peer(a, &p, module), TE_OK);
	assert_string_equal(module, "sensor");

	memset(longname, 'm', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(te_authz_register_pid(a, 5, longname), TE_ERR_BAD_NAME);
	longname[TE_AUTHZ_MODULE_MAX] = '\0';
	assert_int_equal(te_authz_register_pid(a, 5, longname), TE_OK);
	assert_int_equal(te_authz_register_pid(a, 6, ""), TE_ERR_BAD_NAME);
	assert_int_equal(te_authz_register_pid(a, 0, "x"), TE_ERR_INVALID_ARG);
	p.pid = 5;
	assert_int_equal(te_authz_caller_is(a, &p, longname), TE_OK);

	/* The table is bounded; freeing a slot makes room again. */
	for (pid_t pid = 100; pid < 100 + TE_AUTHZ_MAX_PIDS - 1; pid++)
		assert_int_equal(te_authz_register_pid(a, pid, "many"), TE_OK);
	assert_int_equal(te_authz_register_pid(a, 99, "many"), TE_ERR_BUSY);
	te_authz_unregister_pid(a, 5);
	assert_int_equal(te_authz_register_pid(a, 99, "many"), TE_OK);
	p.pid = 99;
	assert_int_equal(te_authz_caller_is(a, &p, "many"), TE_OK);
	te_authz_free(a);
	te_daemon_config_free(dc);
	fake_proc_free(&fp);
}

/* Child: become uid NOBODY, connect to the abstract socket, wait for the
 * parent to hang up.  Exit 3: could not change uid (skip). */
static void nobody_child(const struct sockaddr_un *addr, socklen_t alen)
{
	char c;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
		_exit(3);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)addr, alen) != 0)
		_exit(4);
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static void test_other_uid(void **state)
{
	struct sockaddr_un addr;
	socklen_t alen;
	te_daemon_config *dc;
	te_authz *a;
	te_peer peer;
	pid_t child;
	int lfd, cfd = -1, status = 0, name_len;
	char want[128], module[TE_AUTHZ_MODULE_MAX + 1];

	(void)state;
	if (geteuid() != 0)
		skip();
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	/* Abstract namespace: no file whose permissions nobody would need. */
	name_len = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "te-authz-test-%ld",
	                    (long)getpid());
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)name_len);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, alen), 0);
	assert_int_equal(listen(lfd, 1), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		nobody_child(&addr, alen);

	for (int i = 0; i < 100 && cfd < 0; i++) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};

		if (poll(&pfd, 1, 100) == 1) {
			cfd = accept(lfd, NULL, NULL);
			break;
		}
		if (waitpid(child, &status, WNOHANG) == child) {
			close(lfd);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
				skip(); /* e.g. a user namespace without uid 65534 */
			fail_msg("child failed before connecting: status %d", status);
		}
	}
	assert_true(cfd >= 0);
	assert_int_equal(te_peer_cred(cfd, &peer), TE_OK);
	assert_int_equal(peer.uid, NOBODY);
	assert_int_equal(peer.pid, child);

	dc = cfg_ok("modules:\n  - name: root-mod\n    uid: 0\n  - name: nobody-mod\n"
	            "    uid: 65534\n");
	a = authz_for(dc, NULL);
	assert_int_equal(te_authz_caller_is(a, &peer, "root-mod"), TE_ERR_PERMISSION);
	snprintf(want, sizeof(want), "caller uid 65534 pid %ld is not module 'root-mod'",
	         (long)child);
	expect_detail(want);
	assert_int_equal(te_authz_caller_is(a, &peer, "nobody-mod"), TE_OK);
	assert_int_equal(te_authz_identify(dc, &peer, module), TE_OK);
	assert_string_equal(module, "nobody-mod");
	te_authz_free(a);
	te_daemon_config_free(dc);

	close(cfd);
	close(lfd);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_uid),    cmocka_unit_test(test_cgroup_v2_prefix),
	    cmocka_unit_test(test_cgroup_v1), cmocka_unit_test(test_cgroup_garbage),
	    cmocka_unit_test(test_ambiguous), cmocka_unit_test(test_pid_table),
	    cmocka_unit_test(test_other_uid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
