/* test_file.c - private directories, bounded reads and atomic writes. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/te_file.h"
#include "testutil.h"

static void private_dir_is_made_and_checked(void **state)
{
	char *dir = tu_tempdir("file");
	char *deep = tu_path(dir, "a/b/c");
	char *mid = tu_path(dir, "a");
	struct stat st;

	(void)state;
	assert_int_equal(te_file_private_dir(deep), TE_OK);
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(te_file_private_dir(deep), TE_OK); /* idempotent */
	assert_int_equal(chmod(deep, 0750), 0);
	assert_int_equal(te_file_private_dir(deep), TE_ERR_PERMISSION);
	assert_non_null(strstr(te_err_detail(), "chmod 700"));
	assert_int_equal(chmod(deep, 0700), 0);
	free(deep);
	deep = tu_path(mid, "file");
	assert_int_equal(tu_write_file(deep, "x", 1), 0);
	assert_int_equal(te_file_private_dir(deep), TE_ERR_CONFIG);
	free(deep);
	free(mid);
	tu_rmtree(dir);
}

static void write_replaces_atomically_and_reads_are_bounded(void **state)
{
	char *dir = tu_tempdir("file");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	te_buf b;
	struct stat st;

	(void)state;
	assert_true(dfd >= 0);
	te_buf_init(&b, 0);
	assert_int_equal(te_file_read_at(dfd, "f", "f", 100, &b), TE_ERR_NOT_FOUND);
	assert_int_equal(te_file_write_at(dfd, "f", "first", 5, 0600), TE_OK);
	assert_int_equal(te_file_write_at(dfd, "f", "second!", 7, 0600), TE_OK);
	assert_int_equal(fstatat(dfd, "f", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(te_file_read_at(dfd, "f", "f", 100, &b), TE_OK);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "second!", 7);
	b.len = 0;
	assert_int_equal(te_file_read_at(dfd, "f", "f", 6, &b), TE_ERR_MALFORMED);
	/* A stale temp file from a killed writer does not block the next write. */
	{
		char *tmp = tu_path(dir, ".tmp-f");
		assert_int_equal(tu_write_file(tmp, "junk", 4), 0);
		free(tmp);
	}
	assert_int_equal(te_file_write_at(dfd, "f", "third", 5, 0600), TE_OK);
	assert_int_equal(fstatat(dfd, ".tmp-f", &st, 0), -1);
	/* Symlinks are not followed. */
	assert_int_equal(symlinkat("f", dfd, "link"), 0);
	b.len = 0;
	assert_int_not_equal(te_file_read_at(dfd, "link", "link", 100, &b), TE_OK);
	assert_int_equal(te_file_remove_at(dfd, "f"), TE_OK);
	assert_int_equal(te_file_remove_at(dfd, "f"), TE_ERR_NOT_FOUND);
	te_buf_free(&b);
	close(dfd);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(private_dir_is_made_and_checked),
		cmocka_unit_test(write_replaces_atomically_and_reads_are_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
