/*
 * test_provision.c - the device SAS key (daemon/provision.c) on the soft
 * backend: imported once from a connection string or a key file (raw or
 * base64), accepted again on the next start, refused when the stored key
 * is another one, generated when there is no hub; and the stored key is
 * the configured one (an HMAC under it matches OpenSSL's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/provision.h"
#include "testutil.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_mem.h"

static const char key32[] = "0123456789abcdef0123456789abcdef"; /* 32 bytes */
/* A binary key (bytes 0..31, as a real one is) and its base64 text.  A
 * key file of only base64 characters is read as base64. */
static const uint8_t bin32[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
				  11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
				  22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const char bin32_b64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

struct fx {
	char *dir;
	te_hsm *hsm;
	te_daemon_config *dc;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *keys;

	assert_non_null(f);
	f->dir = tu_tempdir("prov");
	keys = tu_path(f->dir, "keys");
	{
		te_hsm_setting s[] = {{"store", keys}};

		assert_int_equal(te_hsm_open("soft", s, 1, &f->hsm), TE_OK);
	}
	free(keys);
	assert_int_equal(te_daemon_config_defaults(f->dir, &f->dc), TE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	te_daemon_config_free(f->dc);
	te_hsm_close(f->hsm);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Configures a SAS key given as bytes (as a connection string does). */
static void set_sas_bytes(te_daemon_config *dc, const void *key, size_t n)
{
	te_secure_free(dc->provisioning.sas_key);
	dc->provisioning.sas_key = te_secure_alloc(n);
	assert_non_null(dc->provisioning.sas_key);
	memcpy(dc->provisioning.sas_key, key, n);
	dc->provisioning.sas_key_len = n;
	dc->provisioning.method = TE_DAEMON_AUTH_SAS;
}

/* The stored device key is `key`: HMAC under it equals OpenSSL's. */
static void assert_stored_key_is(te_hsm *hsm, const char *name, const void *key, size_t n)
{
	static const char msg[] = "probe";
	uint8_t want[32], have[32];
	unsigned wl = sizeof(want);
	size_t hl = sizeof(have);

	assert_non_null(HMAC(EVP_sha256(), key, (int)n, (const unsigned char *)msg,
			     sizeof(msg) - 1, want, &wl));
	assert_int_equal(te_hsm_key_sign(hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, msg,
					 sizeof(msg) - 1, have, &hl),
			 TE_OK);
	assert_int_equal(hl, wl);
	assert_memory_equal(have, want, wl);
}

static void test_connection_string_key(void **state)
{
	struct fx *f = *state;
	char name[TE_PROVISION_KEYREF_MAX + 1];
	te_hsm_key_info info;

	set_sas_bytes(f->dc, key32, 32);
	assert_int_equal(te_provision_device_key(f->hsm, f->dc, name, sizeof(name)), TE_OK);
	assert_string_equal(name, TE_PROVISION_DEVICE_KEY);
	assert_int_equal(te_hsm_key_info_get(f->hsm, name, &info), TE_OK);
	assert_int_equal(info.type, TE_HSM_KEY_HMAC_SHA256);
	assert_int_equal(info.exportable, 0);
	assert_stored_key_is(f->hsm, name, key32, 32);
	/* The next start, same key: accepted, key unchanged. */
	assert_int_equal(te_provision_device_key(f->hsm, f->dc, name, sizeof(name)), TE_OK);
	assert_stored_key_is(f->hsm, name, key32, 32);
	/* Re-provisioned with another key: refused, old key kept. */
	set_sas_bytes(f->dc, "another key, also 32 bytes long!", 32);
	assert_int_equal(te_provision_device_key(f->hsm, f->dc, name, sizeof(name)),
			 TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "trustedge key delete"));
	assert_stored_key_is(f->hsm, TE_PROVISION_DEVICE_KEY, key32, 32);
}

static void test_key_file_raw_and_base64(void **state)
{
	struct fx *f = *state;
	char name[TE_PROVISION_KEYREF_MAX + 1];
	char *raw = tu_path(f->dir, "raw.key");
	char *b64 = tu_path(f->dir, "b64.key");
	char b64nl[sizeof(bin32_b64) + 1];

	assert_int_equal(tu_write_file(raw, bin32, 32), 0);
	snprintf(b64nl, sizeof(b64nl), "%s\n", bin32_b64);
	assert_int_equal(tu_write_file(b64, b64nl, strlen(b64nl)), 0);
	f->dc->provisioning.method = TE_DAEMON_AUTH_SAS;
	f->dc->provisioning.sas_key_file = raw;
	assert_int_equal(te_provision_device_key(f->hsm, f->dc, name, sizeof(name)), TE_OK);
	assert_stored_key_is(f->hsm, name, bin32, 32);
	/* The same key as base64 text is the same key. */
	f->dc->provisioning.sas_key_file = b64;
	assert_int_equal(te_provision_device_key(f->hsm, f->dc, name, sizeof(name)), TE_OK);
	f->dc->provisioning.sas_key_file = NULL;
	free(raw);
	free(b64);
}

static void test_key_file_bad(void **state)
{
	struct fx *f = *state;
	char name[TE_PROVISION_KEYREF_MAX + 1];
	char *p = tu_path(f->dir, "short.key");

	assert_int_equal(tu_write_file(p, "short!", 6), 0); /* not base64 text */
	f->dc->provisioning.method = TE_DAEMON_AUTH_SAS;
	f->dc->provisioning.sas_key_file = p;
	assert_int_equal(te_provision_device_key(f->hsm, f->dc, name, sizeof(name)),
			 TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "6 bytes"));
	assert_false(te_hsm_key_exists(f->hsm, TE_PROVISION_DEVICE_KEY));
	f->dc->provisioning.sas_key_file = NULL;
	free(p);
}

static void test_no_hub_generates_once(void **state)
{
	struct fx *f = *state;
	char name[TE_PROVISION_KEYREF_MAX + 1];
	uint8_t a[32], b[32];
	size_t al = sizeof(a), bl = sizeof(b);

	assert_int_equal(te_provision_device_key(f->hsm, f->dc, name, sizeof(name)), TE_OK);
	assert_int_equal(te_hsm_key_sign(f->hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, "x", 1, a, &al),
			 TE_OK);
	/* The next start keeps the key. */
	assert_int_equal(te_provision_device_key(f->hsm, f->dc, name, sizeof(name)), TE_OK);
	assert_int_equal(te_hsm_key_sign(f->hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, "x", 1, b, &bl),
			 TE_OK);
	assert_memory_equal(a, b, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_connection_string_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_file_raw_and_base64, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_file_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_hub_generates_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
