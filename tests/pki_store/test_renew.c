/*
 * test_renew.c - renewal decisions against an injected clock: threshold,
 * retries with backoff, expiry after a clock jump, key rotation and what
 * a failed renewal leaves behind.  Keys live in a soft HSM in a temp dir;
 * certificates are made with plain OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pki_testcert.h"
#include "testutil.h"
#include "trustedge/te_cert.h"

#define NB 1000000    /* notBefore of the first certificate */
#define LIFE 1000000  /* its lifetime */
#define NA (NB + LIFE)
#define T80 (NB + LIFE * 80 / 100)
#define ID "edge-ca"

struct fx {
	char *tmp;
	char *certs;
	te_hsm *hsm;
	te_cert_store *st;
	te_renewer *r;
	/* the test issuer */
	int calls;
	int fail_next;      /* fail this many issues */
	int wrong_key;      /* certify another key than asked */
	int block_put;      /* make the store write fail */
	int expired;        /* issue a certificate that has expired */
	int64_t nb_offset;  /* notBefore = now + nb_offset */
	int64_t lifetime;
	char issued_for[TE_HSM_NAME_MAX + 1];
	/* what the issuer saw of the old state while a rotation ran */
	char old_key[TE_HSM_NAME_MAX + 1];
	int old_key_existed;
	int store_named_old;
	/* notify */
	int notified;
	char notify_id[TE_HSM_NAME_MAX + 1];
	char notify_key[TE_HSM_NAME_MAX + 1];
};

static te_err test_issue(void *arg, const char *id, const char *key_name, int64_t now,
			 te_buf *out)
{
	struct fx *f = arg;
	EVP_PKEY *key = NULL;
	char *pem = NULL;
	size_t len = 0;
	te_err rc;

	f->calls++;
	snprintf(f->issued_for, sizeof(f->issued_for), "%s", key_name);
	if (f->old_key[0] != '\0') {
		char *cur = NULL;
		size_t n;
		char k[TE_HSM_NAME_MAX + 1] = "";

		f->old_key_existed = te_hsm_key_exists(f->hsm, f->old_key);
		f->store_named_old = te_cert_store_get(f->st, id, &cur, &n, k) == TE_OK &&
				     strcmp(k, f->old_key) == 0;
		free(cur);
	}
	if (f->fail_next > 0) {
		f->fail_next--;
		return te_err_set(TE_ERR_IO, "test issuer is down");
	}
	if (f->block_put) {
		/* te_file_write_at cannot create its temp file over a directory. */
		char name[TE_HSM_NAME_MAX + 32];
		char *p;

		snprintf(name, sizeof(name), ".tmp-%s.cert", id);
		p = tu_path(f->certs, name);
		assert_int_equal(mkdir(p, 0700), 0);
		free(p);
	}
	if (f->wrong_key) {
		te_hsm_key_attrs a = {TE_HSM_KEY_EC_P256, 0, 0};
		if (te_hsm_key_exists(f->hsm, "intruder"))
			assert_int_equal(te_hsm_key_delete(f->hsm, "intruder"), TE_OK);
		assert_int_equal(te_hsm_key_create(f->hsm, "intruder", &a), TE_OK);
		key_name = "intruder";
	}
	rc = te_hsm_key_evp(f->hsm, key_name, &key);
	if (rc != TE_OK)
		return rc;
	if (f->expired)
		assert_int_equal(tc_cert_pem(key, id, now - 100, now - 1, &pem, &len), 0);
	else
		assert_int_equal(tc_cert_pem(key, id, now + f->nb_offset,
					     now + f->nb_offset + f->lifetime, &pem, &len),
				 0);
	EVP_PKEY_free(key);
	rc = te_buf_append(out, pem, len);
	free(pem);
	return rc;
}

static void test_notify(void *arg, const char *id, const char *key_name)
{
	struct fx *f = arg;

	f->notified++;
	snprintf(f->notify_id, sizeof(f->notify_id), "%s", id);
	snprintf(f->notify_key, sizeof(f->notify_key), "%s", key_name);
}

/* Creates key `key` and stores a certificate for it valid [nb, na]. */
static void seed(struct fx *f, const char *id, const char *key, int64_t nb, int64_t na)
{
	te_hsm_key_attrs a = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	EVP_PKEY *pk = NULL;
	char *pem = NULL;
	size_t len = 0;

	if (!te_hsm_key_exists(f->hsm, key))
		assert_int_equal(te_hsm_key_create(f->hsm, key, &a), TE_OK);
	assert_int_equal(te_hsm_key_evp(f->hsm, key, &pk), TE_OK);
	assert_int_equal(tc_cert_pem(pk, id, nb, na, &pem, &len), 0);
	assert_int_equal(te_cert_store_put(f->st, id, pem, len, key), TE_OK);
	EVP_PKEY_free(pk);
	free(pem);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *keys;

	assert_non_null(f);
	f->tmp = tu_tempdir("renew");
	keys = tu_path(f->tmp, "keys");
	f->certs = tu_path(f->tmp, "certs");
	{
		te_hsm_setting s[] = {{"store", keys}};
		assert_int_equal(te_hsm_open("soft", s, 1, &f->hsm), TE_OK);
	}
	free(keys);
	assert_int_equal(te_cert_store_open(f->certs, &f->st), TE_OK);
	assert_int_equal(te_renewer_new(f->st, f->hsm, &f->r), TE_OK);
	f->lifetime = LIFE;
	seed(f, ID, "dev", NB, NA);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	te_renewer_free(f->r);
	te_cert_store_close(f->st);
	te_hsm_close(f->hsm);
	free(f->certs);
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

static void manage(struct fx *f, const char *id, const te_renew_policy *p)
{
	te_renew_ops ops = {test_issue, test_notify, f};

	assert_int_equal(te_renewer_manage(f->r, id, TE_HSM_KEY_EC_P256, p, &ops), TE_OK);
}

/* Runs at now; checks the renewal count and the next decision time. */
static void run_expect(struct fx *f, int64_t now, size_t want_renewed, int64_t want_next)
{
	size_t renewed = 99;
	int64_t next = -1;

	assert_int_equal(te_renewer_run(f->r, now, &renewed, &next), TE_OK);
	assert_int_equal(renewed, want_renewed);
	assert_int_equal(next, want_next);
}

static char *stored_pem(struct fx *f, const char *id, char key[TE_HSM_NAME_MAX + 1])
{
	char *pem = NULL;
	size_t len;

	assert_int_equal(te_cert_store_get(f->st, id, &pem, &len, key), TE_OK);
	return pem;
}

/* The stored certificate of id is for the key the entry names, and that
 * key signs what the certificate verifies. */
static void expect_entry_consistent(struct fx *f, const char *id, const char *want_key)
{
	char key[TE_HSM_NAME_MAX + 1];
	char *pem = stored_pem(f, id, key);
	X509 *leaf = tc_pem_leaf(pem, strlen(pem));
	EVP_PKEY *pk = NULL;

	assert_string_equal(key, want_key);
	assert_non_null(leaf);
	assert_int_equal(te_hsm_key_evp(f->hsm, key, &pk), TE_OK);
	assert_int_equal(EVP_PKEY_eq(pk, X509_get0_pubkey(leaf)), 1);
	assert_int_equal(tc_sign_matches_cert(f->hsm, key, leaf), 0);
	EVP_PKEY_free(pk);
	X509_free(leaf);
	free(pem);
}

static void defaults(void **state)
{
	te_renew_policy p;

	(void)state;
	memset(&p, 0xff, sizeof(p));
	te_renew_policy_default(&p);
	assert_int_equal(p.threshold_pct, 80);
	assert_int_equal(p.retry_pct, 4);
	assert_int_equal(p.max_backoff, 86400);
	assert_int_equal(p.rotate_key, 0);
}

static void nothing_due_before_threshold(void **state)
{
	struct fx *f = *state;

	manage(f, ID, NULL);
	run_expect(f, NB, 0, T80);
	run_expect(f, NB - 5000, 0, T80); /* not valid yet: still waits */
	run_expect(f, T80 - 1, 0, T80);
	assert_int_equal(f->calls, 0);
	assert_int_equal(f->notified, 0);
	/* Nothing managed: nothing to decide, ever. */
	{
		te_renewer *empty = NULL;
		int64_t next = 0;
		size_t renewed = 9;

		assert_int_equal(te_renewer_new(f->st, f->hsm, &empty), TE_OK);
		assert_int_equal(te_renewer_run(empty, NB, &renewed, &next), TE_OK);
		assert_int_equal(renewed, 0);
		assert_int_equal(next, INT64_MAX);
		assert_int_equal(te_renewer_run(empty, NB, NULL, NULL), TE_OK);
		te_renewer_free(empty);
	}
}

static void renewed_once_at_threshold(void **state)
{
	struct fx *f = *state;
	char key[TE_HSM_NAME_MAX + 1];
	char *before = stored_pem(f, ID, key);
	char *after;

	manage(f, ID, NULL);
	run_expect(f, T80, 1, T80 + LIFE * 80 / 100);
	assert_int_equal(f->calls, 1);
	assert_string_equal(f->issued_for, "dev");
	assert_int_equal(f->notified, 1);
	assert_string_equal(f->notify_id, ID);
	assert_string_equal(f->notify_key, "dev");
	after = stored_pem(f, ID, key);
	assert_string_not_equal(before, after);
	expect_entry_consistent(f, ID, "dev");
	/* Not again until the new certificate's threshold. */
	run_expect(f, T80, 0, T80 + LIFE * 80 / 100);
	run_expect(f, T80 + 1000, 0, T80 + LIFE * 80 / 100);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->notified, 1);
	free(before);
	free(after);
}

static void retries_back_off_and_success_resets(void **state)
{
	struct fx *f = *state;
	te_renew_policy p;
	char key[TE_HSM_NAME_MAX + 1];
	char *before = stored_pem(f, ID, key);
	char *after;
	int64_t t = NB + LIFE / 2;

	te_renew_policy_default(&p);
	p.threshold_pct = 50;
	p.max_backoff = 100000;
	manage(f, ID, &p);
	f->fail_next = 100;
	/* 4% of the lifetime, then doubling, then capped by max_backoff. */
	run_expect(f, t, 0, t + 40000);
	assert_int_equal(f->calls, 1);
	run_expect(f, t + 39999, 0, t + 40000);
	assert_int_equal(f->calls, 1);
	t += 40000;
	run_expect(f, t, 0, t + 80000);
	assert_int_equal(f->calls, 2);
	t += 80000;
	run_expect(f, t, 0, t + 100000); /* 160000, capped */
	t += 100000;
	run_expect(f, t, 0, t + 100000);
	t += 100000;
	run_expect(f, t, 0, t + 100000);
	t += 100000;
	assert_int_equal(t, NB + 920000);
	/* The capped retry would come after expiry: expiry comes first. */
	run_expect(f, t, 0, NA);
	assert_int_equal(f->calls, 6);
	assert_int_equal(f->notified, 0);
	/* The old certificate was never touched. */
	after = stored_pem(f, ID, key);
	assert_string_equal(before, after);
	assert_string_equal(key, "dev");
	free(after);

	/* It works again at expiry; the schedule starts afresh. */
	f->fail_next = 0;
	run_expect(f, NA, 1, NA + LIFE / 2);
	assert_int_equal(f->calls, 7);
	assert_int_equal(f->notified, 1);
	expect_entry_consistent(f, ID, "dev");
	f->fail_next = 1;
	t = NA + LIFE / 2;
	run_expect(f, t, 0, t + 40000);
	run_expect(f, t + 40000, 1, t + 40000 + LIFE / 2);
	free(before);
}

static void clock_jump_past_expiry_renews_at_once(void **state)
{
	struct fx *f = *state;

	manage(f, ID, NULL);
	run_expect(f, NB + 10, 0, T80);
	/* The clock jumps years ahead: renewed at the very next run. */
	run_expect(f, NA + 5 * 365 * 86400LL, 1, NA + 5 * 365 * 86400LL + LIFE * 80 / 100);
	assert_int_equal(f->notified, 1);
	expect_entry_consistent(f, ID, "dev");
}

static void expiry_breaks_through_a_retry_wait(void **state)
{
	struct fx *f = *state;
	te_renew_policy p;
	int64_t t98 = NB + LIFE * 98 / 100;

	te_renew_policy_default(&p);
	p.threshold_pct = 98;
	manage(f, ID, &p);
	f->fail_next = 1;
	/* The retry would be at 102%: the next decision is the expiry. */
	run_expect(f, t98, 0, NA);
	run_expect(f, NA - 1, 0, NA);
	assert_int_equal(f->calls, 1);
	run_expect(f, NA + 1, 1, NA + 1 + LIFE * 98 / 100);
	assert_int_equal(f->calls, 2);

	/* But an expired certificate that keeps failing waits its backoff
	 * instead of hammering the issuer on every run. */
	f->fail_next = 3;
	{
		int64_t now = NA + 1 + 2 * LIFE;
		run_expect(f, now, 0, now + 40000);
		run_expect(f, now + 1, 0, now + 40000);
		run_expect(f, now + 39999, 0, now + 40000);
		assert_int_equal(f->calls, 3);
	}
}

static void clock_going_back_does_not_stall_retries(void **state)
{
	struct fx *f = *state;

	manage(f, ID, NULL);
	f->fail_next = 1;
	run_expect(f, NA + 2 * LIFE, 0, NA + 2 * LIFE + 40000);
	/* Back to just past the threshold: the retry is no further than the
	 * backoff away. */
	run_expect(f, T80 + 10, 0, T80 + 10 + 40000);
	run_expect(f, T80 + 10 + 40000, 1, T80 + 10 + 40000 + LIFE * 80 / 100);
}

static void custom_policy_is_honoured(void **state)
{
	struct fx *f = *state;
	te_renew_policy p;

	te_renew_policy_default(&p);
	p.threshold_pct = 50;
	p.retry_pct = 10;
	p.max_backoff = 150000;
	manage(f, ID, &p);
	run_expect(f, NB + 499999, 0, NB + 500000);
	f->fail_next = 2;
	run_expect(f, NB + 500000, 0, NB + 600000);
	run_expect(f, NB + 600000, 0, NB + 750000); /* 200000 capped to 150000 */
	run_expect(f, NB + 750000, 1, NB + 750000 + LIFE / 2);
	/* 100% renews only at expiry. */
	p.threshold_pct = 100;
	manage(f, ID, &p);
	run_expect(f, NB + 750000 + LIFE - 1, 0, NB + 750000 + LIFE);
	run_expect(f, NB + 750000 + LIFE, 1, NB + 750000 + 2 * LIFE);
}

static void rotation_switches_key_after_the_store(void **state)
{
	struct fx *f = *state;
	te_renew_policy p;
	char key[TE_HSM_NAME_MAX + 1];
	char *pem;

	te_renew_policy_default(&p);
	p.rotate_key = 1;
	manage(f, ID, &p);
	snprintf(f->old_key, sizeof(f->old_key), "dev");
	run_expect(f, T80, 1, T80 + LIFE * 80 / 100);
	assert_string_equal(f->issued_for, "dev.r1");
	/* While the new certificate was being issued, the old key and the
	 * entry naming it were untouched. */
	assert_true(f->old_key_existed);
	assert_true(f->store_named_old);
	assert_false(te_hsm_key_exists(f->hsm, "dev"));
	assert_true(te_hsm_key_exists(f->hsm, "dev.r1"));
	expect_entry_consistent(f, ID, "dev.r1");
	assert_int_equal(f->notified, 1);
	assert_string_equal(f->notify_key, "dev.r1");

	/* And the next generation. */
	snprintf(f->old_key, sizeof(f->old_key), "dev.r1");
	run_expect(f, T80 + LIFE * 80 / 100, 1, T80 + 2 * (LIFE * 80 / 100));
	assert_true(f->old_key_existed);
	assert_true(f->store_named_old);
	assert_false(te_hsm_key_exists(f->hsm, "dev.r1"));
	expect_entry_consistent(f, ID, "dev.r2");
	pem = stored_pem(f, ID, key);
	free(pem);
}

/* A rotation that fails anywhere leaves the old certificate and key and
 * removes the key it made. */
static void failed_rotation_keeps_the_old(void **state)
{
	struct fx *f = *state;
	te_renew_policy p;
	char key[TE_HSM_NAME_MAX + 1];
	char *before = stored_pem(f, ID, key);
	int64_t now = T80;

	te_renew_policy_default(&p);
	p.rotate_key = 1;
	p.retry_pct = 1;
	manage(f, ID, &p);
	for (int how = 0; how < 4; how++) {
		char *after;
		int64_t next = 0;
		size_t renewed = 9;

		f->fail_next = how == 0;
		f->block_put = how == 1;
		f->wrong_key = how == 2;
		f->expired = how == 3;
		assert_int_equal(te_renewer_run(f->r, now, &renewed, &next), TE_OK);
		assert_int_equal(renewed, 0);
		assert_true(next > now);
		assert_string_equal(f->issued_for, "dev.r1");
		assert_false(te_hsm_key_exists(f->hsm, "dev.r1"));
		assert_true(te_hsm_key_exists(f->hsm, "dev"));
		after = stored_pem(f, ID, key);
		assert_string_equal(after, before);
		assert_string_equal(key, "dev");
		free(after);
		if (f->block_put) {
			char *p2 = tu_path(f->certs, ".tmp-" ID ".cert");
			assert_int_equal(rmdir(p2), 0);
			free(p2);
		}
		now = next;
	}
	assert_int_equal(f->notified, 0);
	f->fail_next = f->block_put = f->wrong_key = f->expired = 0;
	run_expect(f, now, 1, now + LIFE * 80 / 100);
	expect_entry_consistent(f, ID, "dev.r1");
	free(before);
}

static void rotation_reuses_leftovers_and_spares_keys_in_use(void **state)
{
	struct fx *f = *state;
	te_renew_policy p;
	te_hsm_key_attrs a = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	EVP_PKEY *leftover = NULL, *now_key = NULL;

	/* A leftover "dev.r1" from a renewal killed before it stored. */
	assert_int_equal(te_hsm_key_create(f->hsm, "dev.r1", &a), TE_OK);
	assert_int_equal(te_hsm_key_evp(f->hsm, "dev.r1", &leftover), TE_OK);
	/* "dev.r2" belongs to another certificate, and so does "dev". */
	seed(f, "other", "dev.r2", NB, NA);
	seed(f, "third", "dev", NB, NA);
	te_renew_policy_default(&p);
	p.rotate_key = 1;
	manage(f, ID, &p);
	run_expect(f, T80, 1, T80 + LIFE * 80 / 100);
	expect_entry_consistent(f, ID, "dev.r1");
	assert_int_equal(te_hsm_key_evp(f->hsm, "dev.r1", &now_key), TE_OK);
	assert_int_not_equal(EVP_PKEY_eq(leftover, now_key), 1);
	/* "dev" is still used by "third": kept. */
	assert_true(te_hsm_key_exists(f->hsm, "dev"));
	expect_entry_consistent(f, "third", "dev");
	/* Next: "dev.r2" is taken, so "dev.r3"; "dev.r1" is deleted. */
	run_expect(f, T80 + LIFE * 80 / 100, 1, T80 + 2 * (LIFE * 80 / 100));
	expect_entry_consistent(f, ID, "dev.r3");
	expect_entry_consistent(f, "other", "dev.r2");
	assert_false(te_hsm_key_exists(f->hsm, "dev.r1"));
	EVP_PKEY_free(leftover);
	EVP_PKEY_free(now_key);
}

static void rotation_names_stay_valid(void **state)
{
	struct fx *f = *state;
	te_renew_policy p;
	char longest[TE_HSM_NAME_MAX + 1];
	char want[TE_HSM_NAME_MAX + 1];

	/* A 128-character key name: the base is shortened to fit. */
	memset(longest, 'k', TE_HSM_NAME_MAX);
	longest[TE_HSM_NAME_MAX] = '\0';
	seed(f, "long", longest, NB, NA);
	/* Suffixes that are not generations stay part of the base. */
	seed(f, "odd", "x.r0", NB, NA);
	seed(f, "nine", "y.r9", NB, NA);
	te_renew_policy_default(&p);
	p.rotate_key = 1;
	manage(f, "long", &p);
	manage(f, "odd", &p);
	manage(f, "nine", &p);
	{
		size_t renewed = 0;
		int64_t next = 0;

		assert_int_equal(te_renewer_run(f->r, T80, &renewed, &next), TE_OK);
		assert_int_equal(renewed, 3);
	}
	memset(want, 'k', TE_HSM_NAME_MAX - 3);
	memcpy(want + TE_HSM_NAME_MAX - 3, ".r1", 4);
	expect_entry_consistent(f, "long", want);
	expect_entry_consistent(f, "odd", "x.r0.r1");
	expect_entry_consistent(f, "nine", "y.r10");
	assert_false(te_hsm_key_exists(f->hsm, longest));
}

static void issued_certificate_for_another_key_is_refused(void **state)
{
	struct fx *f = *state;
	char key[TE_HSM_NAME_MAX + 1];
	char *before = stored_pem(f, ID, key);
	char *after;

	manage(f, ID, NULL);
	f->wrong_key = 1;
	run_expect(f, T80, 0, T80 + 40000);
	after = stored_pem(f, ID, key);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(f->notified, 0);
	free(before);
}

static void renewal_that_is_already_due_waits(void **state)
{
	struct fx *f = *state;

	manage(f, ID, NULL);
	/* The issuer backdates: the new certificate is past its 80% at once. */
	f->nb_offset = -(LIFE * 90 / 100);
	run_expect(f, T80, 1, T80 + 40000);
	run_expect(f, T80 + 1, 0, T80 + 40000);
	assert_int_equal(f->calls, 1);
	f->nb_offset = 0;
	run_expect(f, T80 + 40000, 1, T80 + 40000 + LIFE * 80 / 100);
}

static void several_certificates_next_is_earliest(void **state)
{
	struct fx *f = *state;
	char *path;

	seed(f, "short", "short-key", NB, NB + 1000);
	manage(f, ID, NULL);
	manage(f, "short", NULL);
	run_expect(f, NB, 0, NB + 800);
	run_expect(f, NB + 800, 1, T80);
	assert_string_equal(f->notify_id, "short");

	/* A managed entry that gets damaged is retried without bothering the
	 * issuer, and renewed once repaired. */
	path = tu_path(f->certs, ID ".cert");
	assert_int_equal(tu_write_file(path, "{", 1), 0);
	f->calls = 0;
	{
		size_t renewed = 9;
		int64_t next = 0;

		assert_int_equal(te_renewer_run(f->r, T80, &renewed, &next), TE_OK);
		assert_int_equal(renewed, 0);
		assert_int_equal(next, T80 + 60);
	}
	assert_int_equal(f->calls, 0);
	seed(f, ID, "dev", NB, NA);
	run_expect(f, T80 + 1, 1, T80 + 800);
	free(path);
}

static void manage_refuses_misuse(void **state)
{
	struct fx *f = *state;
	te_renew_ops ops = {test_issue, NULL, f};
	te_renew_ops no_issue = {NULL, NULL, f};
	te_renew_policy p;
	const te_hsm_key_type no_rotation_types[] = {TE_HSM_KEY_NONE, TE_HSM_KEY_HMAC_SHA256,
						      TE_HSM_KEY_AES_256_GCM, TE_HSM_KEY__COUNT};
	char key[TE_HSM_NAME_MAX + 1];
	char *pem;

	assert_int_equal(te_renewer_manage(f->r, "../x", TE_HSM_KEY_EC_P256, NULL, &ops),
			 TE_ERR_BAD_NAME);
	assert_int_equal(te_renewer_manage(f->r, "absent", TE_HSM_KEY_EC_P256, NULL, &ops),
			 TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), "'absent'"));
	assert_int_equal(te_renewer_manage(f->r, ID, TE_HSM_KEY_EC_P256, NULL, &no_issue),
			 TE_ERR_INVALID_ARG);
	assert_int_equal(te_renewer_manage(f->r, ID, TE_HSM_KEY_EC_P256, NULL, NULL),
			 TE_ERR_INVALID_ARG);
	te_renew_policy_default(&p);
	p.threshold_pct = 0;
	assert_int_equal(te_renewer_manage(f->r, ID, TE_HSM_KEY_EC_P256, &p, &ops),
			 TE_ERR_INVALID_ARG);
	p.threshold_pct = 101;
	assert_int_equal(te_renewer_manage(f->r, ID, TE_HSM_KEY_EC_P256, &p, &ops),
			 TE_ERR_INVALID_ARG);
	te_renew_policy_default(&p);
	p.retry_pct = 0;
	assert_int_equal(te_renewer_manage(f->r, ID, TE_HSM_KEY_EC_P256, &p, &ops),
			 TE_ERR_INVALID_ARG);
	te_renew_policy_default(&p);
	p.max_backoff = 0;
	assert_int_equal(te_renewer_manage(f->r, ID, TE_HSM_KEY_EC_P256, &p, &ops),
			 TE_ERR_INVALID_ARG);
	te_renew_policy_default(&p);
	p.rotate_key = 1;
	for (size_t i = 0; i < sizeof(no_rotation_types) / sizeof(no_rotation_types[0]); i++)
		assert_int_equal(te_renewer_manage(f->r, ID, no_rotation_types[i], &p, &ops),
				 TE_ERR_INVALID_ARG);
	/* A certificate without a key, or whose key is gone. */
	pem = stored_pem(f, ID, key);
	assert_int_equal(te_cert_store_put(f->st, "bundle", pem, strlen(pem), NULL), TE_OK);
	free(pem);
	assert_int_equal(te_renewer_manage(f->r, "bundle", TE_HSM_KEY_EC_P256, NULL, &ops),
			 TE_ERR_CONFIG);
	assert_non_null(strstr(te_err_detail(), "'bundle'"));
	seed(f, "keyless", "gone", NB, NA);
	assert_int_equal(te_hsm_key_delete(f->hsm, "gone"), TE_OK);
	assert_int_equal(te_renewer_manage(f->r, "keyless", TE_HSM_KEY_EC_P256, NULL, &ops),
			 TE_ERR_NOT_FOUND);
	assert_non_null(strstr(te_err_detail(), "'gone'"));
	/* Nothing of that was put under management. */
	run_expect(f, NA + LIFE, 0, INT64_MAX);
	assert_int_equal(te_renewer_run(NULL, 0, NULL, NULL), TE_ERR_INVALID_ARG);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		T(nothing_due_before_threshold),
		T(renewed_once_at_threshold),
		T(retries_back_off_and_success_resets),
		T(clock_jump_past_expiry_renews_at_once),
		T(expiry_breaks_through_a_retry_wait),
		T(clock_going_back_does_not_stall_retries),
		T(custom_policy_is_honoured),
		T(rotation_switches_key_after_the_store),
		T(failed_rotation_keeps_the_old),
		T(rotation_reuses_leftovers_and_spares_keys_in_use),
		T(rotation_names_stay_valid),
		T(issued_certificate_for_another_key_is_refused),
		T(renewal_that_is_already_due_waits),
		T(several_certificates_next_is_earliest),
		T(manage_refuses_misuse),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
