/*
 * test_store.c - the certificate store: entries in and out, names, what
 * it does with damaged or hostile files, modes, and writers in two
 * processes at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "trustedge/te_cert.h"

#define PEM_A "-----BEGIN CERTIFICATE-----\nQUFBQQ==\n-----END CERTIFICATE-----\n"
#define PEM_B                                                                                  \
	"-----BEGIN CERTIFICATE-----\nQkJCQg==\n-----END CERTIFICATE-----\n"                      \
	"-----BEGIN CERTIFICATE-----\nQ0NDQw==\n-----END CERTIFICATE-----\n"

struct fx {
	char *tmp;
	char *dir;
	te_cert_store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->tmp = tu_tempdir("certstore");
	f->dir = tu_path(f->tmp, "a/b/certs");
	assert_int_equal(te_cert_store_open(f->dir, &f->st), TE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	te_cert_store_close(f->st);
	free(f->dir);
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

static void put_str(te_cert_store *st, const char *id, const char *pem, const char *key)
{
	assert_int_equal(te_cert_store_put(st, id, pem, strlen(pem), key), TE_OK);
}

/* Gets id and checks its PEM and key name. */
static void expect_entry(te_cert_store *st, const char *id, const char *pem, const char *key)
{
	char *got = NULL;
	size_t len = 0;
	char k[TE_HSM_NAME_MAX + 1];

	assert_int_equal(te_cert_store_get(st, id, &got, &len, k), TE_OK);
	assert_int_equal(len, strlen(pem));
	assert_string_equal(got, pem);
	assert_string_equal(k, key);
	free(got);
}

static void write_entry_file(const struct fx *f, const char *id, const void *data, size_t n)
{
	char name[256];
	char *path;

	snprintf(name, sizeof(name), "%s.cert", id);
	path = tu_path(f->dir, name);
	assert_int_equal(tu_write_file(path, data, n), 0);
	free(path);
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 0777);
}

static int temp_files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, ".tmp-", 5) == 0;
	closedir(d);
	return n;
}

static void put_get_list_delete(void **state)
{
	struct fx *f = *state;
	char **ids = NULL;
	size_t n = 99;
	char *pem = NULL;
	size_t len;

	assert_int_equal(te_cert_store_list(f->st, &ids, &n), TE_OK);
	assert_int_equal(n, 0);
	free_ids(ids, n);

	put_str(f->st, "zeta", PEM_A, "k1");
	put_str(f->st, "alpha", PEM_B, NULL);
	put_str(f->st, "mid.dle-1_x", PEM_A, "");
	expect_entry(f->st, "zeta", PEM_A, "k1");
	expect_entry(f->st, "alpha", PEM_B, "");
	expect_entry(f->st, "mid.dle-1_x", PEM_A, "");
	/* key_name may be NULL on get. */
	assert_int_equal(te_cert_store_get(f->st, "zeta", &pem, &len, NULL), TE_OK);
	free(pem);

	assert_int_equal(te_cert_store_list(f->st, &ids, &n), TE_OK);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], "alpha");
	assert_string_equal(ids[1], "mid.dle-1_x");
	assert_string_equal(ids[2], "zeta");
	free_ids(ids, n);

	assert_int_equal(te_cert_store_delete(f->st, "alpha"), TE_OK);
	assert_int_equal(te_cert_store_get(f->st, "alpha", &pem, &len, NULL), TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), "'alpha'"));
	assert_non_null(strstr(te_err_detail(), f->dir));
	assert_int_equal(te_cert_store_delete(f->st, "alpha"), TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), "'alpha'"));
	assert_int_equal(te_cert_store_list(f->st, &ids, &n), TE_OK);
	assert_int_equal(n, 2);
	free_ids(ids, n);
	assert_int_equal(temp_files_in(f->dir), 0);
}

static void replace_switches_pem_and_key_together(void **state)
{
	struct fx *f = *state;

	put_str(f->st, "edge-ca", PEM_A, "edge-ca.key");
	put_str(f->st, "edge-ca", PEM_B, "edge-ca.key.r1");
	expect_entry(f->st, "edge-ca", PEM_B, "edge-ca.key.r1");
	put_str(f->st, "edge-ca", PEM_A, NULL);
	expect_entry(f->st, "edge-ca", PEM_A, "");
	assert_int_equal(temp_files_in(f->dir), 0);
}

static void key_name_round_trip(void **state)
{
	struct fx *f = *state;
	char longest[TE_HSM_NAME_MAX + 1];

	memset(longest, 'k', TE_HSM_NAME_MAX);
	longest[TE_HSM_NAME_MAX] = '\0';
	put_str(f->st, "c", PEM_A, longest);
	expect_entry(f->st, "c", PEM_A, longest);
	put_str(f->st, "c", PEM_A, "A-b_c.9");
	expect_entry(f->st, "c", PEM_A, "A-b_c.9");
}

static void bad_ids_and_key_names_are_refused(void **state)
{
	struct fx *f = *state;
	char long_id[TE_HSM_NAME_MAX + 2];
	const char *bad[] = {"../x", ".h", "a/b", "", "sp ace", "x\n", long_id};
	char *pem = NULL;
	size_t len;

	memset(long_id, 'i', TE_HSM_NAME_MAX + 1);
	long_id[TE_HSM_NAME_MAX + 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(te_cert_store_put(f->st, bad[i], PEM_A, strlen(PEM_A), NULL),
				 TE_ERR_BAD_NAME);
		assert_non_null(strstr(te_err_detail(), f->dir));
		assert_int_equal(te_cert_store_get(f->st, bad[i], &pem, &len, NULL),
				 TE_ERR_BAD_NAME);
		assert_int_equal(te_cert_store_delete(f->st, bad[i]), TE_ERR_BAD_NAME);
	}
	/* 128 characters is the longest id. */
	long_id[TE_HSM_NAME_MAX] = '\0';
	put_str(f->st, long_id, PEM_A, NULL);
	expect_entry(f->st, long_id, PEM_A, "");

	assert_int_equal(te_cert_store_put(f->st, "c", PEM_A, strlen(PEM_A), "../key"),
			 TE_ERR_BAD_NAME);
	assert_non_null(strstr(te_err_detail(), "'c'"));
	assert_int_equal(te_cert_store_put(f->st, "c", PEM_A, strlen(PEM_A), ".k"),
			 TE_ERR_BAD_NAME);
	assert_int_equal(te_cert_store_get(f->st, "c", &pem, &len, NULL), TE_ERR_NOT_FOUND);
}

static void bad_pem_is_refused_on_put(void **state)
{
	struct fx *f = *state;
	static const char nul[] = "-----BEGIN CERTIFICATE-----\nQQ\0==\n-----END CERTIFICATE-----\n";
	static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\nQQ==\n-----END PRIVATE KEY-----\n";
	static const char latin1[] = "-----BEGIN CERTIFICATE-----\n\xff\n";
	char *big;
	size_t big_len = TE_CERT_PEM_MAX + 1;

	assert_int_equal(te_cert_store_put(f->st, "c", "", 0, NULL), TE_ERR_MALFORMED);
	assert_int_equal(te_cert_store_put(f->st, "c", key_pem, strlen(key_pem), NULL),
			 TE_ERR_MALFORMED);
	assert_non_null(strstr(te_err_detail(), "'c'"));
	assert_int_equal(te_cert_store_put(f->st, "c", nul, sizeof(nul) - 1, NULL),
			 TE_ERR_MALFORMED);
	assert_int_equal(te_cert_store_put(f->st, "c", latin1, strlen(latin1), NULL),
			 TE_ERR_MALFORMED);
	big = malloc(big_len);
	assert_non_null(big);
	memset(big, 'A', big_len);
	memcpy(big, PEM_A, strlen(PEM_A));
	assert_int_equal(te_cert_store_put(f->st, "c", big, big_len, NULL), TE_ERR_MALFORMED);
	/* The largest PEM allowed is stored and read back. */
	assert_int_equal(te_cert_store_put(f->st, "c", big, big_len - 1, "k"), TE_OK);
	{
		char *got = NULL;
		size_t len = 0;

		assert_int_equal(te_cert_store_get(f->st, "c", &got, &len, NULL), TE_OK);
		assert_int_equal(len, big_len - 1);
		assert_memory_equal(got, big, len);
		free(got);
	}
	free(big);
}

/* Each damaged file is refused with TE_ERR_MALFORMED and a message that
 * names the certificate and the store. */
static void damaged_files_are_refused_clearly(void **state)
{
	struct fx *f = *state;
	static const char *const damaged[] = {
		"",
		"garbage \x01\x02\x03",
		"{\"version\":1,\"key\":\"k\",\"pem\":\"-----BEGIN CERTIFICATE-----\\nQUFB", /* cut */
		"[1,2,3]",
		"{\"key\":\"k\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"}",
		"{\"version\":\"1\",\"key\":\"k\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"}",
		"{\"version\":1,\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"}",
		"{\"version\":1,\"key\":null,\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"}",
		"{\"version\":1,\"key\":\"k\"}",
		"{\"version\":1,\"key\":\"k\",\"pem\":42}",
		"{\"version\":1,\"key\":\"k\",\"pem\":\"hello\"}",
		"{\"version\":1,\"key\":\"k\",\"pem\":\"\"}",
		"{\"version\":1,\"key\":\"../k\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"}",
		"{\"version\":1,\"key\":\"k\\u0000x\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"}",
		"{\"version\":1,\"key\":\"k\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\\u0000\"}",
		"{\"version\":1,\"key\":\"k\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\",\"x\":1}",
		"{\"version\":1,\"key\":\"k\",\"key\":\"other\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"}",
		"{\"version\":1,\"key\":\"k\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"} trailing",
	};
	char *pem = NULL;
	size_t len = 0;
	char key[TE_HSM_NAME_MAX + 1];
	te_buf good;

	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		write_entry_file(f, "victim", damaged[i], strlen(damaged[i]));
		assert_int_equal(te_cert_store_get(f->st, "victim", &pem, &len, key),
				 TE_ERR_MALFORMED);
		assert_null(pem);
		assert_non_null(strstr(te_err_detail(), "'victim'"));
		assert_non_null(strstr(te_err_detail(), f->dir));
	}

	/* Every cut of a good file is refused, never half read. */
	put_str(f->st, "whole", PEM_B, "k");
	{
		char *path = tu_path(f->dir, "whole.cert");
		uint8_t *data;
		size_t n;

		assert_int_equal(tu_read_file(path, &data, &n), 0);
		te_buf_init(&good, 0);
		assert_int_equal(te_buf_append(&good, data, n), TE_OK);
		free(data);
		free(path);
	}
	for (size_t cut = 0; cut < good.len; cut++) {
		write_entry_file(f, "victim", good.data, cut);
		assert_int_equal(te_cert_store_get(f->st, "victim", &pem, &len, key),
				 TE_ERR_MALFORMED);
	}
	/* A byte flipped in the framing breaks it too. */
	good.data[1] ^= 0x20;
	write_entry_file(f, "victim", good.data, good.len);
	assert_int_equal(te_cert_store_get(f->st, "victim", &pem, &len, key), TE_ERR_MALFORMED);
	te_buf_free(&good);
	/* The damaged entry still lists (so it can be seen and fixed) and a
	 * put repairs it. */
	put_str(f->st, "victim", PEM_A, "k");
	expect_entry(f->st, "victim", PEM_A, "k");
}

static void unknown_version_is_refused(void **state)
{
	struct fx *f = *state;
	static const char v2[] =
		"{\"version\":2,\"key\":\"k\",\"pem\":\"-----BEGIN CERTIFICATE-----\\n\"}";
	char *pem = NULL;
	size_t len = 0;

	write_entry_file(f, "newer", v2, strlen(v2));
	assert_int_equal(te_cert_store_get(f->st, "newer", &pem, &len, NULL), TE_ERR_UNSUPPORTED);
	assert_non_null(strstr(te_err_detail(), "'newer'"));
	assert_non_null(strstr(te_err_detail(), "version 2"));
	assert_null(pem);
}

static void oversized_file_is_refused(void **state)
{
	struct fx *f = *state;
	size_t n = 2u * TE_CERT_PEM_MAX;
	char *big = malloc(n);
	char *pem = NULL;
	size_t len = 0;

	assert_non_null(big);
	memset(big, ' ', n);
	write_entry_file(f, "huge", big, n);
	free(big);
	assert_int_equal(te_cert_store_get(f->st, "huge", &pem, &len, NULL), TE_ERR_MALFORMED);
	assert_non_null(strstr(te_err_detail(), "'huge'"));
	assert_null(pem);
}

static void symlinked_entry_is_refused(void **state)
{
	struct fx *f = *state;
	char *target = tu_path(f->tmp, "elsewhere.cert");
	char *link = tu_path(f->dir, "linked.cert");
	char *pem = NULL;
	size_t len = 0;

	put_str(f->st, "real", PEM_A, NULL);
	{
		char *real = tu_path(f->dir, "real.cert");
		uint8_t *data;
		size_t n;

		assert_int_equal(tu_read_file(real, &data, &n), 0);
		assert_int_equal(tu_write_file(target, data, n), 0);
		free(data);
		free(real);
	}
	assert_int_equal(symlink(target, link), 0);
	assert_int_not_equal(te_cert_store_get(f->st, "linked", &pem, &len, NULL), TE_OK);
	assert_non_null(strstr(te_err_detail(), "'linked'"));
	assert_null(pem);
	free(target);
	free(link);
}

static void modes_and_foreign_files(void **state)
{
	struct fx *f = *state;
	char *file, *lock;
	char **ids = NULL;
	size_t n = 0;
	const char *foreign[] = {".tmp-x.cert", ".hidden.cert", "notes.txt", ".cert", "bad id.cert"};

	put_str(f->st, "c1", PEM_A, NULL);
	assert_int_equal(mode_of(f->dir), 0700);
	file = tu_path(f->dir, "c1.cert");
	lock = tu_path(f->dir, ".lock");
	assert_int_equal(mode_of(file), 0600);
	assert_int_equal(mode_of(lock), 0600);
	free(file);
	free(lock);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		char *p = tu_path(f->dir, foreign[i]);
		assert_int_equal(tu_write_file(p, "x", 1), 0);
		free(p);
	}
	assert_int_equal(te_cert_store_list(f->st, &ids, &n), TE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "c1");
	free_ids(ids, n);
	/* A temp file a killed writer left behind does not stop the next put. */
	{
		char *p = tu_path(f->dir, ".tmp-c1.cert");
		assert_int_equal(tu_write_file(p, "half", 4), 0);
		free(p);
	}
	put_str(f->st, "c1", PEM_B, "k");
	expect_entry(f->st, "c1", PEM_B, "k");
}

static void unsafe_directory_is_refused(void **state)
{
	struct fx *f = *state;
	char *open_dir = tu_path(f->tmp, "open");
	te_cert_store *st = NULL;

	assert_int_equal(mkdir(open_dir, 0755), 0);
	assert_int_equal(chmod(open_dir, 0755), 0);
	assert_int_equal(te_cert_store_open(open_dir, &st), TE_ERR_PERMISSION);
	assert_non_null(strstr(te_err_detail(), "0700"));
	assert_null(st);
	free(open_dir);
}

/* Two processes write the same id over and over; the entry is always one
 * of the two complete texts. */
static void concurrent_writers_leave_one_complete_entry(void **state)
{
	struct fx *f = *state;
	const char *texts[2] = {PEM_A, PEM_B};
	const char *keys[2] = {"key-a", "key-b"};
	pid_t pids[2];
	char *pem = NULL;
	size_t len = 0;
	char key[TE_HSM_NAME_MAX + 1];

	for (int w = 0; w < 2; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			/* The first writer uses the store it inherited, the second
			 * opens its own: the lock must hold for both. */
			te_cert_store *st = f->st;
			int bad = 0;

			if (w == 1 && te_cert_store_open(f->dir, &st) != TE_OK)
				_exit(2);
			for (int i = 0; i < 200 && !bad; i++) {
				bad |= te_cert_store_put(st, "shared", texts[w], strlen(texts[w]),
							 keys[w]) != TE_OK;
				char *got = NULL;
				size_t n = 0;
				char k[TE_HSM_NAME_MAX + 1];
				/* Readers never see a half-written entry. */
				bad |= te_cert_store_get(st, "shared", &got, &n, k) != TE_OK;
				if (!bad)
					bad |= !((strcmp(got, PEM_A) == 0 && strcmp(k, "key-a") == 0) ||
						 (strcmp(got, PEM_B) == 0 && strcmp(k, "key-b") == 0));
				free(got);
			}
			_exit(bad ? 1 : 0);
		}
	}
	for (int w = 0; w < 2; w++) {
		int status = 0;

		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(te_cert_store_get(f->st, "shared", &pem, &len, key), TE_OK);
	assert_true((strcmp(pem, PEM_A) == 0 && strcmp(key, "key-a") == 0) ||
		    (strcmp(pem, PEM_B) == 0 && strcmp(key, "key-b") == 0));
	free(pem);
	assert_int_equal(temp_files_in(f->dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(put_get_list_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(replace_switches_pem_and_key_together, setup,
						teardown),
		cmocka_unit_test_setup_teardown(key_name_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ids_and_key_names_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_pem_is_refused_on_put, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_files_are_refused_clearly, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_version_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(oversized_file_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(symlinked_entry_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(modes_and_foreign_files, setup, teardown),
		cmocka_unit_test_setup_teardown(unsafe_directory_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_writers_leave_one_complete_entry, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
