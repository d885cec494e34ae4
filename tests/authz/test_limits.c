/*
 * test_limits.c - authz.limits: open connections counted per uid against
 * limits.max_connections_per_uid.  The limit holds exactly, uids are
 * independent, idle uids leave the table, and threads opening and closing
 * at once never see more than the limit nor leave a count behind.
 *
 * Worker threads only count violations (atomics); cmocka's asserts run on
 * the main thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>

#include <cmocka.h>

#include "daemon/authz.h"
#include "testutil.h"
#include "trustedge/te_daemon_config.h"

#define N_THREADS 8
#define N_ROUNDS  20000

static te_daemon_config *cfg_ok(const char *text)
{
	te_daemon_config *dc = NULL;
	te_err rc = te_daemon_config_parse("t.yaml", text, strlen(text), &dc);

	if (rc != TE_OK)
		fail_msg("config refused: %s: %s", te_err_name(rc), te_err_detail());
	return dc;
}

static te_authz *authz_for(const te_daemon_config *dc)
{
	te_authz *a = NULL;

	if (te_authz_new(dc, &a) != TE_OK)
		fail_msg("te_authz_new: %s", te_err_detail());
	return a;
}

static void test_limit(void **state)
{
	te_daemon_config *dc = cfg_ok("limits:\n  max_connections_per_uid: 3\n");
	te_authz *a = authz_for(dc);

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(te_authz_conn_open(a, 1000), TE_OK);
	assert_int_equal(te_authz_conn_count(a, 1000), 3);
	assert_int_equal(te_authz_conn_open(a, 1000), TE_ERR_BUSY);
	assert_string_equal(te_err_detail(),
	                    "uid 1000 already has 3 open connections; raise "
	                    "limits.max_connections_per_uid in t.yaml to allow more");
	/* A refused open is not counted. */
	assert_int_equal(te_authz_conn_count(a, 1000), 3);
	te_authz_conn_close(a, 1000);
	assert_int_equal(te_authz_conn_open(a, 1000), TE_OK);
	assert_int_equal(te_authz_conn_open(a, 1000), TE_ERR_BUSY);

	/* Another uid has its own budget, and uid 0 is not special. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(te_authz_conn_open(a, 0), TE_OK);
	assert_int_equal(te_authz_conn_open(a, 0), TE_ERR_BUSY);
	assert_int_equal(te_authz_conn_count(a, 1000), 3);

	for (int i = 0; i < 3; i++) {
		te_authz_conn_close(a, 1000);
		te_authz_conn_close(a, 0);
	}
	assert_int_equal(te_authz_conn_count(a, 1000), 0);
	assert_int_equal(te_authz_conn_count(a, 0), 0);
	/* Closing more than was opened, or a stranger, changes nothing. */
	te_authz_conn_close(a, 1000);
	te_authz_conn_close(a, 4242);
	te_authz_conn_close(NULL, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(te_authz_conn_open(a, 1000), TE_OK);
	assert_int_equal(te_authz_conn_open(a, 1000), TE_ERR_BUSY);
	te_authz_free(a); /* frees counted uids too */
	te_daemon_config_free(dc);
}

static void test_default_limit(void **state)
{
	te_daemon_config *dc = cfg_ok("modules:\n  - name: a\n    uid: 1\n");
	te_authz *a = authz_for(dc);

	(void)state;
	assert_int_equal(dc->limits.max_connections_per_uid, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(te_authz_conn_open(a, 5), TE_OK);
	assert_int_equal(te_authz_conn_open(a, 5), TE_ERR_BUSY);
	te_authz_free(a);
	te_daemon_config_free(dc);
}

/* Many uids at once, including ones sharing a hash bucket. */
static void test_many_uids(void **state)
{
	te_daemon_config *dc = cfg_ok("limits:\n  max_connections_per_uid: 2\n");
	te_authz *a = authz_for(dc);

	(void)state;
	for (uid_t u = 0; u < 5000; u++) {
		assert_int_equal(te_authz_conn_open(a, u * 7), TE_OK);
		assert_int_equal(te_authz_conn_open(a, u * 7), TE_OK);
	}
	for (uid_t u = 0; u < 5000; u++) {
		assert_int_equal(te_authz_conn_open(a, u * 7), TE_ERR_BUSY);
		assert_int_equal(te_authz_conn_count(a, u * 7 + 1), 0);
	}
	/* Close in a different order than opened. */
	for (uid_t u = 5000; u-- > 0;)
		te_authz_conn_close(a, u * 7);
	for (uid_t u = 0; u < 5000; u++)
		assert_int_equal(te_authz_conn_count(a, u * 7), 1);
	for (uid_t u = 0; u < 5000; u += 2)
		te_authz_conn_close(a, u * 7);
	for (uid_t u = 0; u < 5000; u++)
		assert_int_equal(te_authz_conn_count(a, u * 7), u % 2 == 0 ? 0 : 1);
	te_authz_free(a);
	te_daemon_config_free(dc);
}

typedef struct hammer {
	te_authz *a;
	uid_t uid;
	uint32_t limit;
	atomic_uint *open_now; /* connections this uid's threads hold */
	atomic_uint *violations;
	atomic_uint *refusals;
} hammer;

static void *hammer_run(void *arg)
{
	hammer *h = arg;

	for (int i = 0; i < N_ROUNDS; i++) {
		te_err rc = te_authz_conn_open(h->a, h->uid);

		if (rc == TE_ERR_BUSY) {
			atomic_fetch_add(h->refusals, 1);
			continue;
		}
		if (rc != TE_OK) {
			atomic_fetch_add(h->violations, 1);
			continue;
		}
		if (atomic_fetch_add(h->open_now, 1) + 1 > h->limit)
			atomic_fetch_add(h->violations, 1);
		atomic_fetch_sub(h->open_now, 1);
		te_authz_conn_close(h->a, h->uid);
	}
	return NULL;
}

static void test_threads(void **state)
{
	te_daemon_config *dc = cfg_ok("limits:\n  max_connections_per_uid: 3\n");
	te_authz *a = authz_for(dc);
	pthread_t th[N_THREADS];
	hammer h[N_THREADS];
	atomic_uint open_now[2], violations, refusals;

	(void)state;
	atomic_init(&open_now[0], 0);
	atomic_init(&open_now[1], 0);
	atomic_init(&violations, 0);
	atomic_init(&refusals, 0);
	/* Half the threads on one uid, half on another: 4 threads contend
	 * for 3 slots of each uid. */
	for (int i = 0; i < N_THREADS; i++) {
		h[i] = (hammer){.a = a,
		                .uid = (uid_t)(i % 2 == 0 ? 1000 : 2000),
		                .limit = 3,
		                .open_now = &open_now[i % 2],
		                .violations = &violations,
		                .refusals = &refusals};
		assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &h[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(atomic_load(&violations), 0);
	print_message("%u opens refused at the limit under contention\n", atomic_load(&refusals));
	/* Nothing leaked: each uid has its full budget again. */
	assert_int_equal(te_authz_conn_count(a, 1000), 0);
	assert_int_equal(te_authz_conn_count(a, 2000), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(te_authz_conn_open(a, 1000), TE_OK);
		assert_int_equal(te_authz_conn_open(a, 2000), TE_OK);
	}
	assert_int_equal(te_authz_conn_open(a, 1000), TE_ERR_BUSY);
	assert_int_equal(te_authz_conn_open(a, 2000), TE_ERR_BUSY);
	te_authz_free(a);
	te_daemon_config_free(dc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_default_limit),
	    cmocka_unit_test(test_many_uids),
	    cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
