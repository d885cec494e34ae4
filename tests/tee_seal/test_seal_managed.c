/*
 * test_seal_managed.c - managed mode end to end (docs/tee.md): the real
 * trustedged (--dev, in a temporary directory) starts the sealing tests'
 * TAs and answers their root requests from its HSM.
 *
 *   seal.managed  sealed in one host process, trustedged restarted,
 *                 unsealed in a fresh host process: same plaintext; the
 *                 same blobs do not unseal under a developer root (the
 *                 keys came from the HSM); the developer root is made
 *                 unusable meanwhile, so nothing could have come from it
 *   daemon.tee    the TEE socket refuses what is not a CREATE (a request
 *                 for a key, for instance), a CREATE without the image
 *                 descriptor, a garbled bootstrap, and debug mode for a
 *                 Debug=0 image, each with TE_MGD_ERROR; the TA user
 * The host halves run as test_seal's "seal-to" / "unseal-from" children.
 */
#include <openenclave/host.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tee/channel.h"
#include "tee/mgd.h"
#include "testutil.h"

#define TA(v) TE_SEAL_TA_DIR "/seal_" v ".signed"

static char *tmp_dir;
static char *sock_path;
static pid_t daemon_pid = -1;

static int try_connect(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static void daemon_start(void)
{
	char *log = tu_path(tmp_dir, "daemon.log");
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(TE_TRUSTEDGED, TE_TRUSTEDGED, "--dev", tmp_dir, (char *)NULL);
		_exit(127);
	}
	daemon_pid = pid;
	free(log);
	/* Ready when the keys process accepts on tee.sock: a CREATE-less
	 * connection is answered with an error and closed. */
	for (int i = 0; i < 300; i++) {
		int fd = try_connect();

		if (fd >= 0) {
			uint8_t b[TE_MGD_HEADER + 4 + TE_MGD_DETAIL_MAX];

			assert_int_equal(te_mgd_send(fd, TE_MGD_KILL, NULL, 0, NULL, 0), 0);
			if (recv(fd, b, sizeof(b), 0) > 0) {
				close(fd);
				return;
			}
			close(fd);
		}
		usleep(50000);
	}
	fail_msg("trustedged did not serve %s", sock_path);
}

static void daemon_stop(void)
{
	int st = 0;

	if (daemon_pid <= 0)
		return;
	kill(daemon_pid, SIGTERM);
	assert_int_equal(waitpid(daemon_pid, &st, 0), daemon_pid);
	daemon_pid = -1;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* test_seal in "seal-to" or "unseal-from" mode, with this environment. */
static int run_host(const char *mode, const char *file)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		execl(TE_TEST_SEAL, TE_TEST_SEAL, mode, file, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_restart(void **state)
{
	char *file = tu_path(tmp_dir, "blobs.bin");
	char *bad = tu_path(tmp_dir, "open-to-all");
	char *good = tu_path(tmp_dir, "dev-root");

	(void)state;
	/* A developer root here would be refused (others may write it): a
	 * seal that works did not come from one. */
	assert_int_equal(mkdir(bad, 0700), 0);
	assert_int_equal(chmod(bad, 0777), 0);
	setenv("TE_TEE_DEV_ROOT", bad, 1);
	setenv(TE_MGD_SOCKET_ENV, sock_path, 1);
	daemon_start();
	assert_int_equal(run_host("seal-to", file), 0);
	daemon_stop();
	daemon_start();
	assert_int_equal(run_host("unseal-from", file), 0);
	/* In developer mode, with a usable developer root, the blobs are
	 * another root's: they do not unseal (test_seal exits 3 or 4). */
	unsetenv(TE_MGD_SOCKET_ENV);
	setenv("TE_TEE_DEV_ROOT", good, 1);
	assert_int_not_equal(run_host("unseal-from", file), 0);
	daemon_stop();
	free(file);
	free(bad);
	free(good);
}

/* Sends one message (with fd when >= 0), expects TE_MGD_ERROR with want
 * and then the end of the connection. */
static void expect_refused(uint32_t type, const void *body, size_t n, int fd, oe_result_t want)
{
	uint8_t reply[4 + TE_MGD_DETAIL_MAX];
	uint32_t rtype = 0;
	size_t len = 0, nfds = 0;
	int fds[2];
	int conn = try_connect();

	assert_true(conn >= 0);
	assert_int_equal(te_mgd_send(conn, type, body, n, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0),
	                 0);
	assert_int_equal(
	    te_mgd_recv(conn, &rtype, reply, sizeof(reply), &len, fds, 2, &nfds, 10000), 0);
	assert_int_equal(rtype, TE_MGD_ERROR);
	assert_int_equal(nfds, 0);
	assert_true(len >= 4);
	if (te_mgd_get_u32(reply) != (uint32_t)want)
		fail_msg("refused with %s (%.*s), wanted %s",
		         oe_result_str((oe_result_t)te_mgd_get_u32(reply)), (int)(len - 4),
		         (const char *)reply + 4, oe_result_str(want));
	assert_int_equal(
	    te_mgd_recv(conn, &rtype, reply, sizeof(reply), &len, fds, 2, &nfds, 10000), -1);
	close(conn);
}

/* A CREATE body: version, flags, a one-TCS bootstrap. */
static size_t create_body(uint8_t *body, size_t cap, uint32_t flags)
{
	static struct te_ch_boot boot;
	size_t n;

	memset(&boot, 0, sizeof(boot));
	boot.n_regular = 1;
	boot.n_names = 1;
	boot.names[0] = "seal";
	te_mgd_put_u32(body, TE_MGD_VERSION);
	te_mgd_put_u32(body + 4, flags);
	n = te_ch_boot_encode(&boot, body + 8, cap - 8);
	assert_true(n > 0);
	return 8 + n;
}

static void test_refusals(void **state)
{
	/* What a root request for a seal key looks like on the TA's root
	 * socket: type 1 (TE_ROT_SEAL_KEY), id, policy, no key_info. */
	static const uint8_t key_req[] = {1, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
	uint8_t *body = malloc(8 + TE_CH_BOOT_MAX);
	int img = open(TA("p1_s1"), O_RDONLY | O_CLOEXEC);
	size_t n;

	(void)state;
	assert_non_null(body);
	assert_true(img >= 0);
	daemon_start();
	/* No message of the socket hands out a key, whatever it is called. */
	expect_refused(1, key_req, sizeof(key_req), -1, OE_UNSUPPORTED);
	expect_refused(2, key_req, sizeof(key_req), img, OE_UNSUPPORTED);
	expect_refused(TE_MGD_CREATED, NULL, 0, -1, OE_UNSUPPORTED);
	n = create_body(body, 8 + TE_CH_BOOT_MAX, 0);
	/* CREATE without the image: the daemon measures the image itself,
	 * so a host cannot bring an identity of its own. */
	expect_refused(TE_MGD_CREATE, body, n, -1, OE_INVALID_PARAMETER);
	/* Debug for a Debug=0 image: refused by the daemon too. */
	n = create_body(body, 8 + TE_CH_BOOT_MAX, OE_ENCLAVE_FLAG_DEBUG);
	expect_refused(TE_MGD_CREATE, body, n, img, OE_DEBUG_DOWNGRADE);
	/* A garbled bootstrap, an unknown version. */
	n = create_body(body, 8 + TE_CH_BOOT_MAX, 0);
	body[8] ^= 0xff;
	expect_refused(TE_MGD_CREATE, body, n, img, OE_INVALID_PARAMETER);
	body[8] ^= 0xff;
	body[0] = 9;
	expect_refused(TE_MGD_CREATE, body, n, img, OE_UNSUPPORTED);
	body[0] = TE_MGD_VERSION;
	/* Not an image: this directory. */
	{
		int dir = open(tmp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		expect_refused(TE_MGD_CREATE, body, n, dir, OE_INVALID_PARAMETER);
		close(dir);
	}
	/* Half a header, then silence: the daemon gives up on it after
	 * TE_MGD_IO_MS and serves the next caller. */
	{
		int slow = try_connect();

		assert_true(slow >= 0);
		assert_int_equal(send(slow, "\x01\x00\x45\x54", 4, MSG_NOSIGNAL), 4);
		expect_refused(1, key_req, sizeof(key_req), -1, OE_UNSUPPORTED);
		close(slow);
	}
	/* The daemon still serves after all that. */
	setenv(TE_MGD_SOCKET_ENV, sock_path, 1);
	{
		static const oe_ecall_info_t names[1] = {{"seal"}};
		oe_enclave_t *e = NULL;
		oe_result_t r = oe_create_enclave(TA("p1_s1"), OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0,
		                                  NULL, 0, names, 1, &e);

		if (r != OE_OK)
			fail_msg("oe_create_enclave: %s: %s", oe_result_str(r),
			         oe_last_error_detail());
		assert_int_equal(oe_terminate_enclave(e), OE_OK);
		/* A Debug=0 image in debug mode: the host runtime says so
		 * before asking. */
		assert_int_equal(oe_create_enclave(TA("p1_s1"), OE_ENCLAVE_TYPE_AUTO,
		                                   OE_ENCLAVE_FLAG_DEBUG, NULL, 0, NULL, 0, names,
		                                   1, &e),
		                 OE_DEBUG_DOWNGRADE);
	}
	unsetenv(TE_MGD_SOCKET_ENV);
	daemon_stop();
	close(img);
	free(body);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest seal[] = {cmocka_unit_test(test_restart)};
	const struct CMUnitTest sock[] = {cmocka_unit_test(test_refusals)};
	const char *mode = argc > 1 ? argv[1] : "seal";
	int rc;

	signal(SIGPIPE, SIG_IGN);
	tmp_dir = tu_tempdir("seal-managed");
	sock_path = tu_path(tmp_dir, "run/tee.sock");
	if (strcmp(mode, "socket") == 0)
		rc = cmocka_run_group_tests_name("daemon.tee", sock, NULL, NULL);
	else
		rc = cmocka_run_group_tests_name("seal.managed", seal, NULL, NULL);
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	if (rc != 0) {
		char *log = tu_path(tmp_dir, "daemon.log");
		char *text = NULL;
		size_t n = 0;

		if (tu_read_file(log, (uint8_t **)&text, &n) == 0)
			fprintf(stderr, "--- trustedged ---\n%.*s\n", (int)n, text);
		free(text);
		free(log);
	}
	tu_rmtree(tmp_dir);
	free(sock_path);
	return rc;
}
