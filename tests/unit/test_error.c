/* test_error.c - error names, the thread-local detail and the guard macros. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>

#include "trustedge/te_error.h"

static void test_names_cover_every_code(void **state)
{
	(void)state;
	for (int i = 0; i < TE_ERR__COUNT; i++) {
		const char *name = te_err_name((te_err)i);
		const char *str = te_err_str((te_err)i);

		assert_non_null(name);
		assert_non_null(str);
		assert_string_not_equal(name, "TE_ERR_UNKNOWN");
		assert_string_not_equal(str, "unknown error");
		assert_true(strncmp(name, "TE_", 3) == 0);
		/* Every code has its own name and sentence. */
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(name, te_err_name((te_err)j));
			assert_string_not_equal(str, te_err_str((te_err)j));
		}
	}
	assert_string_equal(te_err_name(TE_ERR_NOT_FOUND), "TE_ERR_NOT_FOUND");
	assert_string_equal(te_err_str(TE_ERR_NOT_FOUND), "not found");
	assert_string_equal(te_err_name(TE_ERR__COUNT), "TE_ERR_UNKNOWN");
	assert_string_equal(te_err_name((te_err)12345), "TE_ERR_UNKNOWN");
	assert_string_equal(te_err_str((te_err)-1), "unknown error");
}

static void test_set_and_clear(void **state)
{
	(void)state;
	te_err_clear();
	assert_string_equal(te_err_detail(), "");
	assert_int_equal(te_err_set(TE_ERR_NOT_FOUND, "key '%s' (%d)", "a", 7), TE_ERR_NOT_FOUND);
	assert_string_equal(te_err_detail(), "key 'a' (7)");
	te_err_clear();
	assert_string_equal(te_err_detail(), "");
}

static void test_set_can_wrap_previous_detail(void **state)
{
	(void)state;
	(void)te_err_set(TE_ERR_IO, "disk full");
	(void)te_err_set(TE_ERR_IO, "saving key 'k': %s", te_err_detail());
	assert_string_equal(te_err_detail(), "saving key 'k': disk full");
}

static void test_long_detail_is_truncated(void **state)
{
	char big[2000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	(void)te_err_set(TE_ERR_INTERNAL, "%s", big);
	assert_true(strlen(te_err_detail()) > 100);
	assert_true(strlen(te_err_detail()) < 1024);
	assert_int_equal(te_err_detail()[0], 'x');
}

static void test_ossl_queue_is_reported_and_cleared(void **state)
{
	const char *d;

	(void)state;
	ERR_clear_error();
	ERR_raise_data(ERR_LIB_USER, 42, "first");
	ERR_raise_data(ERR_LIB_USER, 43, "second");
	assert_int_equal(te_err_set_ossl(TE_ERR_CRYPTO, "signing"), TE_ERR_CRYPTO);
	d = te_err_detail();
	assert_true(strncmp(d, "signing: error:", 15) == 0);
	assert_non_null(strstr(d, "; error:"));
	assert_int_equal(ERR_peek_error(), 0);

	/* Empty queue: only the context. */
	assert_int_equal(te_err_set_ossl(TE_ERR_CRYPTO, "verify"), TE_ERR_CRYPTO);
	assert_string_equal(te_err_detail(), "verify");
}

static void test_ossl_long_queue_is_bounded(void **state)
{
	const char *d, *p;
	int seps = 0;

	(void)state;
	for (int i = 0; i < 50; i++)
		ERR_raise(ERR_LIB_USER, 100 + i);
	(void)te_err_set_ossl(TE_ERR_CRYPTO, "many");
	d = te_err_detail();
	for (p = d; (p = strstr(p, "; ")) != NULL; p += 2)
		seps++;
	assert_true(seps >= 1);
	assert_true(seps < 10);
	assert_true(strlen(d) < 1024);
	assert_int_equal(ERR_peek_error(), 0);
}

struct thread_arg {
	pthread_barrier_t *barrier;
	const char *mine;
	int ok;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	(void)te_err_set(TE_ERR_BUSY, "%s", a->mine);
	/* Both threads have set their detail before either reads it back. */
	pthread_barrier_wait(a->barrier);
	a->ok = strcmp(te_err_detail(), a->mine) == 0;
	pthread_barrier_wait(a->barrier);
	return NULL;
}

static void test_detail_is_thread_local(void **state)
{
	pthread_barrier_t barrier;
	pthread_t t1, t2;
	struct thread_arg a1 = {&barrier, "from thread one", 0};
	struct thread_arg a2 = {&barrier, "from thread two", 0};

	(void)state;
	(void)te_err_set(TE_ERR_IO, "main thread");
	assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
	assert_int_equal(pthread_create(&t1, NULL, thread_main, &a1), 0);
	assert_int_equal(pthread_create(&t2, NULL, thread_main, &a2), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_barrier_destroy(&barrier);
	assert_true(a1.ok);
	assert_true(a2.ok);
	assert_string_equal(te_err_detail(), "main thread");
}

static int guard_calls;

static te_err fails_with(te_err e)
{
	guard_calls++;
	return e;
}

/* Shape of a function using the macros: reaches `out` once either way. */
static te_err guarded(te_err first, int cond, int *cleaned)
{
	te_err rc = TE_OK;

	TE_GUARD(fails_with(first));
	TE_ENSURE(cond, TE_ERR_MALFORMED, "cond was %d", cond);
	TE_GUARD(fails_with(TE_OK));
out:
	(*cleaned)++;
	return rc;
}

static void test_guard_macros(void **state)
{
	int cleaned = 0;

	(void)state;
	guard_calls = 0;
	assert_int_equal(guarded(TE_OK, 1, &cleaned), TE_OK);
	assert_int_equal(guard_calls, 2);
	assert_int_equal(guarded(TE_ERR_IO, 1, &cleaned), TE_ERR_IO);
	assert_int_equal(guard_calls, 3);
	assert_int_equal(guarded(TE_OK, 0, &cleaned), TE_ERR_MALFORMED);
	assert_string_equal(te_err_detail(), "cond was 0");
	assert_int_equal(guard_calls, 4);
	assert_int_equal(cleaned, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_cover_every_code),
		cmocka_unit_test(test_set_and_clear),
		cmocka_unit_test(test_set_can_wrap_previous_detail),
		cmocka_unit_test(test_long_detail_is_truncated),
		cmocka_unit_test(test_ossl_queue_is_reported_and_cleared),
		cmocka_unit_test(test_ossl_long_queue_is_bounded),
		cmocka_unit_test(test_detail_is_thread_local),
		cmocka_unit_test(test_guard_macros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
