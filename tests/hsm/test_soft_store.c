/* test_soft_store.c - what the software store does on disk: modes, the
 * master key, and refusing unsafe stores rather than guessing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "trustedge/te_hsm.h"

static te_err open_at(const char *store, const char *master, te_hsm **out)
{
	te_hsm_setting s[] = {{"store", store}, {"master_key_file", master}};

	return te_hsm_open("soft", s, master ? 2 : 1, out);
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 0777);
}

static void fresh_store_layout(void **state)
{
	char *dir = tu_tempdir("store");
	char *store = tu_path(dir, "a/b/keys");
	char *keys = tu_path(store, "keys"), *master = tu_path(store, "master.key");
	char *kf = tu_path(keys, "k.tek");
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, 0, 0};
	te_hsm *hsm = NULL;
	uint8_t *data;
	size_t n;

	(void)state;
	assert_int_equal(open_at(store, NULL, &hsm), TE_OK);
	assert_int_equal(te_hsm_key_create(hsm, "k", &ec), TE_OK);
	assert_int_equal(mode_of(store), 0700);
	assert_int_equal(mode_of(keys), 0700);
	assert_int_equal(mode_of(master), 0600);
	assert_int_equal(mode_of(kf), 0600);
	assert_int_equal(tu_read_file(master, &data, &n), 0);
	assert_int_equal(n, 32);
	free(data);
	te_hsm_close(hsm);
	free(store), free(keys), free(master), free(kf);
	tu_rmtree(dir);
}

static void unsafe_modes_are_refused(void **state)
{
	char *dir = tu_tempdir("store");
	char *store = tu_path(dir, "s"), *master = tu_path(store, "master.key");
	te_hsm *hsm = NULL;

	(void)state;
	assert_int_equal(open_at(store, NULL, &hsm), TE_OK);
	te_hsm_close(hsm);
	hsm = NULL;
	assert_int_equal(chmod(store, 0755), 0);
	assert_int_equal(open_at(store, NULL, &hsm), TE_ERR_PERMISSION);
	assert_non_null(strstr(te_err_detail(), "0700"));
	assert_int_equal(chmod(store, 0700), 0);
	assert_int_equal(chmod(master, 0644), 0);
	assert_int_equal(open_at(store, NULL, &hsm), TE_ERR_PERMISSION);
	assert_non_null(strstr(te_err_detail(), "0600"));
	assert_null(hsm);
	free(store), free(master);
	tu_rmtree(dir);
}

static void missing_master_with_keys_is_refused(void **state)
{
	char *dir = tu_tempdir("store");
	char *store = tu_path(dir, "s"), *master = tu_path(dir, "elsewhere.key");
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, 0, 0};
	te_hsm *hsm = NULL;

	(void)state;
	assert_int_equal(open_at(store, master, &hsm), TE_OK);
	assert_int_equal(te_hsm_key_create(hsm, "k", &mac), TE_OK);
	te_hsm_close(hsm);
	hsm = NULL;
	assert_int_equal(mode_of(master), 0600);
	assert_int_equal(unlink(master), 0);
	/* Making a new master key now would orphan every key: refuse. */
	assert_int_equal(open_at(store, master, &hsm), TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), "refusing"));
	assert_null(hsm);
	assert_int_equal(access(master, F_OK), -1);
	free(store), free(master);
	tu_rmtree(dir);
}

static void wrong_master_key_is_tampering(void **state)
{
	char *dir = tu_tempdir("store");
	char *store = tu_path(dir, "s"), *master = tu_path(store, "master.key");
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, 0, 0};
	te_hsm *hsm = NULL;
	uint8_t other[32] = {7}, sig[32];
	size_t n = sizeof(sig);

	(void)state;
	assert_int_equal(open_at(store, NULL, &hsm), TE_OK);
	assert_int_equal(te_hsm_key_create(hsm, "k", &mac), TE_OK);
	te_hsm_close(hsm);
	assert_int_equal(tu_write_file(master, other, sizeof(other)), 0);
	assert_int_equal(open_at(store, NULL, &hsm), TE_OK);
	assert_int_equal(te_hsm_key_sign(hsm, "k", 0, 0, "m", 1, sig, &n), TE_ERR_TAMPERED);
	assert_non_null(strstr(te_err_detail(), "key 'k'"));
	te_hsm_close(hsm);
	free(store), free(master);
	tu_rmtree(dir);
}

static void stale_temp_files_are_harmless(void **state)
{
	char *dir = tu_tempdir("store");
	char *store = tu_path(dir, "s"), *tmp = tu_path(store, "keys/.tmp-k.tek");
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, 0, 0};
	te_hsm_key_info *list = NULL;
	size_t count = 0;
	te_hsm *hsm = NULL;

	(void)state;
	assert_int_equal(open_at(store, NULL, &hsm), TE_OK);
	/* What a writer killed mid-write leaves behind. */
	assert_int_equal(tu_write_file(tmp, "half", 4), 0);
	assert_int_equal(te_hsm_key_list(hsm, &list, &count), TE_OK);
	assert_int_equal(count, 0);
	free(list);
	assert_int_equal(access(tmp, F_OK), -1); /* swept by the listing */
	assert_int_equal(tu_write_file(tmp, "half", 4), 0);
	assert_int_equal(te_hsm_key_create(hsm, "k", &mac), TE_OK);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_true(te_hsm_key_exists(hsm, "k"));
	te_hsm_close(hsm);
	free(store), free(tmp);
	tu_rmtree(dir);
}

/* One damaged key file is listed as damaged and hides no other key. */
static void list_marks_damaged_keys(void **state)
{
	char *dir = tu_tempdir("store");
	char *store = tu_path(dir, "s"), *kf = tu_path(store, "keys/b.tek");
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, 0, 0};
	te_hsm_key_info *list = NULL;
	size_t count = 0, n;
	uint8_t *data;
	te_hsm *hsm = NULL;

	(void)state;
	assert_int_equal(open_at(store, NULL, &hsm), TE_OK);
	assert_int_equal(te_hsm_key_create(hsm, "a", &mac), TE_OK);
	assert_int_equal(te_hsm_key_create(hsm, "b", &mac), TE_OK);
	assert_int_equal(te_hsm_key_create(hsm, "c", &mac), TE_OK);
	assert_int_equal(tu_read_file(kf, &data, &n), 0);
	data[n - 1] ^= 1;
	assert_int_equal(tu_write_file(kf, data, n), 0);
	free(data);
	assert_int_equal(te_hsm_key_list(hsm, &list, &count), TE_OK);
	assert_int_equal(count, 3);
	assert_string_equal(list[0].name, "a");
	assert_int_equal(list[0].status, TE_OK);
	assert_int_equal(list[0].type, TE_HSM_KEY_HMAC_SHA256);
	assert_string_equal(list[1].name, "b");
	assert_int_equal(list[1].status, TE_ERR_TAMPERED);
	assert_int_equal(list[1].type, TE_HSM_KEY_NONE);
	assert_int_equal(list[1].usage, 0);
	assert_string_equal(list[2].name, "c");
	assert_int_equal(list[2].status, TE_OK);
	free(list);
	te_hsm_close(hsm);
	free(store), free(kf);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_store_layout),
		cmocka_unit_test(unsafe_modes_are_refused),
		cmocka_unit_test(missing_master_with_keys_is_refused),
		cmocka_unit_test(wrong_master_key_is_tampering),
		cmocka_unit_test(stale_temp_files_are_harmless),
		cmocka_unit_test(list_marks_damaged_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
