/* test_log.c - log line format, levels, journal prefix, whole lines. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/te_log.h"
#include "testutil.h"

struct capture {
	char *dir;
	char *file;
	int saved;
};

/* Sends fd 2 to a temporary file until capture_end. */
static void capture_begin(struct capture *c)
{
	int fd;

	c->dir = tu_tempdir("log");
	c->file = tu_path(c->dir, "stderr");
	fd = open(c->file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

/* Restores fd 2 and returns what was written (malloc'd). */
static char *capture_end(struct capture *c)
{
	uint8_t *data;
	size_t n;

	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	assert_int_equal(tu_read_file(c->file, &data, &n), 0);
	free(c->file);
	tu_rmtree(c->dir);
	return (char *)data;
}

static int reset(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	te_log_set_ident(NULL);
	te_log_set_level(TE_LOG_INFO);
	te_err_clear();
	return 0;
}

static void test_plain_format(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	capture_begin(&c);
	te_log_info("hello %d", 5);
	te_log_error("bad %s", "thing");
	te_log_warn("careful");
	out = capture_end(&c);
	assert_string_equal(out, "trustedge: info: hello 5\n"
				 "trustedge: error: bad thing\n"
				 "trustedge: warning: careful\n");
	free(out);
}

static void test_levels_filter(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	assert_int_equal(te_log_get_level(), TE_LOG_INFO);
	capture_begin(&c);
	te_log_debug("hidden");
	te_log_set_level(TE_LOG_DEBUG);
	te_log_debug("shown");
	te_log_set_level(TE_LOG_ERROR);
	te_log_info("hidden");
	te_log_warn("hidden");
	te_log_error("kept");
	out = capture_end(&c);
	assert_int_equal(te_log_get_level(), TE_LOG_ERROR);
	assert_string_equal(out, "trustedge: debug: shown\ntrustedge: error: kept\n");
	free(out);
}

static void test_journal_prefix(void **state)
{
	struct capture c;
	char *out;

	struct stat st;
	char env[64];

	(void)state;
	te_log_set_level(TE_LOG_DEBUG);
	capture_begin(&c);
	/* Another stream's JOURNAL_STREAM (inherited, stderr redirected since)
	 * does not switch the format. */
	setenv("JOURNAL_STREAM", "8:12345", 1);
	te_log_error("plain");
	assert_int_equal(fstat(2, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	te_log_error("boom");
	te_log_warn("hmm");
	te_log_info("fyi");
	te_log_debug("details");
	out = capture_end(&c);
	assert_string_equal(out, "trustedge: error: plain\n<3>trustedge: boom\n<4>trustedge: hmm\n"
				 "<6>trustedge: fyi\n<7>trustedge: details\n");
	free(out);
}

static void test_ident(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	capture_begin(&c);
	te_log_set_ident("te-test");
	te_log_info("one");
	te_log_set_ident(NULL);
	te_log_info("two");
	out = capture_end(&c);
	assert_string_equal(out, "te-test: info: one\ntrustedge: info: two\n");
	free(out);
}

static void test_log_err(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	capture_begin(&c);
	(void)te_err_set(TE_ERR_NOT_FOUND, "key '%s'", "k1");
	te_log_err(TE_ERR_NOT_FOUND, "loading key");
	te_err_clear();
	te_log_err(TE_ERR_IO, "saving");
	out = capture_end(&c);
	assert_string_equal(out, "trustedge: error: loading key: not found: key 'k1'\n"
				 "trustedge: error: saving: I/O error\n");
	free(out);
}

static void test_control_characters_are_neutralised(void **state)
{
	struct capture c;
	char *out;

	(void)state;
	capture_begin(&c);
	te_log_info("name '%s'", "a\nfake: error: b\x1b[31m\r");
	out = capture_end(&c);
	assert_string_equal(out, "trustedge: info: name 'a?fake: error: b?[31m?'\n");
	free(out);
}

static void test_long_line_is_cut_but_whole(void **state)
{
	struct capture c;
	char *out, *big = malloc(10000);
	size_t n;

	(void)state;
	assert_non_null(big);
	memset(big, 'y', 9999);
	big[9999] = '\0';
	capture_begin(&c);
	te_log_info("%s", big);
	out = capture_end(&c);
	n = strlen(out);
	assert_true(n > 1000);
	assert_true(n <= 4096);
	assert_int_equal(out[n - 1], '\n');
	assert_non_null(strstr(out, "yyy...\n"));
	/* Exactly one line. */
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
	free(out);
	free(big);
}

static void test_level_parse(void **state)
{
	te_log_level l = TE_LOG_INFO;

	(void)state;
	assert_int_equal(te_log_level_parse("error", &l), TE_OK);
	assert_int_equal(l, TE_LOG_ERROR);
	assert_int_equal(te_log_level_parse("WARN", &l), TE_OK);
	assert_int_equal(l, TE_LOG_WARN);
	assert_int_equal(te_log_level_parse("info", &l), TE_OK);
	assert_int_equal(l, TE_LOG_INFO);
	assert_int_equal(te_log_level_parse("debug", &l), TE_OK);
	assert_int_equal(l, TE_LOG_DEBUG);
	assert_int_equal(te_log_level_parse("verbose", &l), TE_ERR_INVALID_ARG);
	assert_int_equal(te_log_level_parse("", &l), TE_ERR_INVALID_ARG);
	assert_int_equal(te_log_level_parse("debugx", &l), TE_ERR_INVALID_ARG);
	assert_int_equal(l, TE_LOG_DEBUG);
}

#define LOG_THREADS 4
#define LOG_LINES 300

static void *log_thread(void *p)
{
	long id = (long)(intptr_t)p;

	for (int i = 0; i < LOG_LINES; i++)
		te_log_info("thread %ld line %d %s", id, i,
			    "padding-padding-padding-padding-padding-padding-padding");
	return NULL;
}

static void test_threads_write_whole_lines(void **state)
{
	struct capture c;
	pthread_t t[LOG_THREADS];
	char *out, *line, *save = NULL;
	int count = 0;

	(void)state;
	capture_begin(&c);
	for (long i = 0; i < LOG_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_thread, (void *)(intptr_t)i), 0);
	for (int i = 0; i < LOG_THREADS; i++)
		pthread_join(t[i], NULL);
	out = capture_end(&c);
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		long id;
		int n, end = 0;

		if (sscanf(line, "trustedge: info: thread %ld line %d "
				 "padding-padding-padding-padding-padding-padding-padding%n",
			   &id, &n, &end) != 2 ||
		    line[end] != '\0')
			fail_msg("mangled line: '%s'", line);
		count++;
	}
	assert_int_equal(count, LOG_THREADS * LOG_LINES);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_plain_format, reset),
		cmocka_unit_test_setup(test_levels_filter, reset),
		cmocka_unit_test_setup(test_journal_prefix, reset),
		cmocka_unit_test_setup(test_ident, reset),
		cmocka_unit_test_setup(test_log_err, reset),
		cmocka_unit_test_setup(test_control_characters_are_neutralised, reset),
		cmocka_unit_test_setup(test_long_line_is_cut_but_whole, reset),
		cmocka_unit_test_setup(test_level_parse, reset),
		cmocka_unit_test_setup(test_threads_write_whole_lines, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
