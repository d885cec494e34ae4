/*
 * test_sdnotify.c - te_sd_notify against a real SOCK_DGRAM receiver, at a
 * path and in the abstract namespace: exactly the state string arrives as
 * one datagram; no NOTIFY_SOCKET is a no-op; addresses that cannot be
 * used are errors that say why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/sdnotify.h"
#include "testutil.h"

struct fx {
	char *dir;
	int rx; /* the receiver standing in for systemd */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_tempdir("sdnotify");
	f->rx = -1;
	unsetenv("NOTIFY_SOCKET");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unsetenv("NOTIFY_SOCKET");
	if (f->rx >= 0)
		close(f->rx);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Binds the receiver to name: a path, or "@x" for the abstract "\0x". */
static void bind_rx(struct fx *f, const char *name)
{
	struct sockaddr_un sa;
	size_t len = strlen(name);
	socklen_t salen;

	f->rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->rx >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(len < sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@') {
		sa.sun_path[0] = '\0';
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	assert_int_equal(bind(f->rx, (struct sockaddr *)&sa, salen), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
}

/* Exactly one datagram, equal to want. */
static void expect_datagram(const struct fx *f, const char *want)
{
	char buf[256];
	ssize_t n = recv(f->rx, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
	assert_int_equal(recv(f->rx, buf, sizeof(buf), MSG_DONTWAIT), -1);
}

static void test_path(void **state)
{
	struct fx *f = *state;
	char *p = tu_path(f->dir, "notify.sock");

	bind_rx(f, p);
	assert_int_equal(te_sd_notify("READY=1"), TE_OK);
	expect_datagram(f, "READY=1");
	assert_int_equal(te_sd_notify("STATUS=serving 5 sockets"), TE_OK);
	expect_datagram(f, "STATUS=serving 5 sockets");
	/* NOTIFY_SOCKET stays for the later STOPPING=1. */
	assert_non_null(getenv("NOTIFY_SOCKET"));
	free(p);
}

static void test_abstract(void **state)
{
	struct fx *f = *state;
	char name[64];

	snprintf(name, sizeof(name), "@trustedge-test-notify-%ld", (long)getpid());
	bind_rx(f, name);
	assert_int_equal(te_sd_notify("READY=1"), TE_OK);
	expect_datagram(f, "READY=1");
	assert_int_equal(te_sd_notify("STOPPING=1"), TE_OK);
	expect_datagram(f, "STOPPING=1");
}

static void test_unset_is_noop(void **state)
{
	(void)state;
	assert_int_equal(te_sd_notify("READY=1"), TE_OK);
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(te_sd_notify("READY=1"), TE_OK);
}

static void test_bad_addresses(void **state)
{
	char longp[200];

	(void)state;
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';

	longp[0] = '/';
	assert_int_equal(setenv("NOTIFY_SOCKET", longp, 1), 0);
	assert_int_equal(te_sd_notify("READY=1"), TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "longer than 107"));

	longp[0] = '@';
	assert_int_equal(setenv("NOTIFY_SOCKET", longp, 1), 0);
	assert_int_equal(te_sd_notify("READY=1"), TE_ERR_CONFIG);

	assert_int_equal(setenv("NOTIFY_SOCKET", "@", 1), 0);
	assert_int_equal(te_sd_notify("READY=1"), TE_ERR_CONFIG);

	assert_int_equal(setenv("NOTIFY_SOCKET", "vsock:2:1234", 1), 0);
	assert_int_equal(te_sd_notify("READY=1"), TE_ERR_UNSUPPORTED);
	assert_non_null(strstr(te_err_detail(), "vsock:2:1234"));
}

static void test_no_receiver(void **state)
{
	struct fx *f = *state;
	char *p = tu_path(f->dir, "absent.sock");

	assert_int_equal(setenv("NOTIFY_SOCKET", p, 1), 0);
	assert_int_equal(te_sd_notify("READY=1"), TE_ERR_IO);
	assert_non_null(strstr(te_err_detail(), p));
	free(p);
}

static void test_bad_state(void **state)
{
	struct fx *f = *state;
	char *p = tu_path(f->dir, "notify.sock");
	char *big = malloc(TE_SD_NOTIFY_STATE_MAX + 2);

	assert_non_null(big);
	bind_rx(f, p);
	assert_int_equal(te_sd_notify(""), TE_ERR_INVALID_ARG);
	memset(big, 'x', TE_SD_NOTIFY_STATE_MAX + 1);
	big[TE_SD_NOTIFY_STATE_MAX + 1] = '\0';
	assert_int_equal(te_sd_notify(big), TE_ERR_INVALID_ARG);
	/* The largest allowed state still goes out whole. */
	big[TE_SD_NOTIFY_STATE_MAX] = '\0';
	assert_int_equal(te_sd_notify(big), TE_OK);
	{
		char *buf = malloc(TE_SD_NOTIFY_STATE_MAX + 16);

		assert_non_null(buf);
		assert_int_equal(recv(f->rx, buf, TE_SD_NOTIFY_STATE_MAX + 16, MSG_DONTWAIT),
		                 TE_SD_NOTIFY_STATE_MAX);
		free(buf);
	}
	free(big);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abstract, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unset_is_noop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_receiver, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
