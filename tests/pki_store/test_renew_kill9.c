/*
 * test_renew_kill9.c - SIGKILL during renewal leaves the old certificate
 * usable.
 *
 * renew_victim rotates the key of one certificate over and over; this
 * harness kills it at random moments (at least 100 times, for about 20 s)
 * and after every kill checks, with a fresh store and HSM context, that
 * the entry parses, names a key the HSM has, that the key is the
 * certificate's (EVP_PKEY_eq) and that a signature by it verifies with
 * the certificate's public key.
 *
 * usage: test_renew_kill9 PATH_TO_RENEW_VICTIM
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "pki_testcert.h"
#include "testutil.h"
#include "trustedge/te_cert.h"

#define ID "edge-ca"
#define MIN_ITER 100
#define MAX_ITER 400
#define BUDGET_S 20.0
#define MAX_DELAY_US 25000

static const char *victim;

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static unsigned random_below(unsigned n)
{
	unsigned v = 0;

	assert_int_equal(RAND_bytes((unsigned char *)&v, sizeof(v)), 1);
	return v % n;
}

/* Starts the victim; returns its pid and the read end of its stdout once
 * it said it is renewing. */
static pid_t victim_start(const char *keys, const char *certs, int *out_fd)
{
	int p[2];
	pid_t pid;
	struct pollfd pfd;
	char c = 0;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execl(victim, victim, keys, certs, ID, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 30000), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'R');
	*out_fd = p[0];
	return pid;
}

/* Counts the renewals the victim reported before it died. */
static int drain(int fd)
{
	char buf[256];
	ssize_t n;
	int count = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			count += buf[i] == '+';
	}
	close(fd);
	return count;
}

/* What a user of the store sees after the kill: one complete entry whose
 * key works and is the certificate's. */
static void check_entry(const char *keys, const char *certs, char key[TE_HSM_NAME_MAX + 1])
{
	te_hsm_setting s[] = {{"store", keys}};
	te_hsm *hsm = NULL;
	te_cert_store *st = NULL;
	te_x509_stack *chain = NULL;
	char *pem = NULL;
	size_t len = 0;
	X509 *leaf;
	EVP_PKEY *pk = NULL;

	assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
	assert_int_equal(te_cert_store_open(certs, &st), TE_OK);
	if (te_cert_store_get(st, ID, &pem, &len, key) != TE_OK)
		fail_msg("entry unreadable after kill: %s", te_err_detail());
	assert_int_equal(te_cert_pem_parse(pem, len, &chain), TE_OK);
	leaf = sk_X509_value((STACK_OF(X509) *)chain, 0);
	if (te_hsm_key_evp(hsm, key, &pk) != TE_OK)
		fail_msg("key '%s' of the entry is unusable: %s", key, te_err_detail());
	assert_int_equal(EVP_PKEY_eq(pk, X509_get0_pubkey(leaf)), 1);
	assert_int_equal(tc_sign_matches_cert(hsm, key, leaf), 0);
	EVP_PKEY_free(pk);
	te_cert_stack_free(chain);
	free(pem);
	te_cert_store_close(st);
	te_hsm_close(hsm);
}

static void seed(const char *keys, const char *certs)
{
	te_hsm_setting s[] = {{"store", keys}};
	te_hsm_key_attrs a = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm *hsm = NULL;
	te_cert_store *st = NULL;
	EVP_PKEY *pk = NULL;
	char *pem = NULL;
	size_t len = 0;

	assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
	assert_int_equal(te_cert_store_open(certs, &st), TE_OK);
	assert_int_equal(te_hsm_key_create(hsm, "dev", &a), TE_OK);
	assert_int_equal(te_hsm_key_evp(hsm, "dev", &pk), TE_OK);
	assert_int_equal(tc_cert_pem(pk, ID, 1000000, 2000000, &pem, &len), 0);
	assert_int_equal(te_cert_store_put(st, ID, pem, len, "dev"), TE_OK);
	EVP_PKEY_free(pk);
	free(pem);
	te_cert_store_close(st);
	te_hsm_close(hsm);
}

static void kill9_leaves_a_usable_certificate(void **state)
{
	char *tmp = tu_tempdir("renew-kill9");
	char *keys = tu_path(tmp, "keys"), *certs = tu_path(tmp, "certs");
	char key[TE_HSM_NAME_MAX + 1], last_key[TE_HSM_NAME_MAX + 1] = "dev";
	struct timespec t0;
	int iter = 0, renewals = 0, key_changes = 0, mid_renewal = 0;

	(void)state;
	seed(keys, certs);
	check_entry(keys, certs, key);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (iter < MIN_ITER || (iter < MAX_ITER && seconds_since(&t0) < BUDGET_S)) {
		int fd = -1, status = 0, done;
		pid_t pid = victim_start(keys, certs, &fd);
		struct timespec pause;
		unsigned us = random_below(MAX_DELAY_US + 1);

		pause.tv_sec = us / 1000000;
		pause.tv_nsec = (long)(us % 1000000) * 1000;
		nanosleep(&pause, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
			fail_msg("iteration %d: victim ended on its own (status 0x%x)", iter, status);
		done = drain(fd);
		renewals += done;
		check_entry(keys, certs, key);
		if (strcmp(key, last_key) != 0) {
			key_changes++;
			snprintf(last_key, sizeof(last_key), "%s", key);
		}
		mid_renewal += done == 0;
		iter++;
	}
	{
		te_hsm_setting s[] = {{"store", keys}};
		te_hsm *hsm = NULL;
		te_hsm_key_info *list = NULL;
		size_t n = 0;

		assert_int_equal(te_hsm_open("soft", s, 1, &hsm), TE_OK);
		assert_int_equal(te_hsm_key_list(hsm, &list, &n), TE_OK);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(list[i].status, TE_OK);
		print_message("%d kills in %.1f s; %d renewals completed, key changed %d times, "
			      "%d kills before the first renewal of a run; %zu keys in the HSM "
			      "(leaks from kills between the store switch and the old key's "
			      "deletion)\n",
			      iter, seconds_since(&t0), renewals, key_changes, mid_renewal, n);
		free(list);
		te_hsm_close(hsm);
	}
	/* The kills must have hit a renewer that was doing something. */
	assert_true(renewals > 0);
	assert_true(key_changes > 0);
	free(keys);
	free(certs);
	tu_rmtree(tmp);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kill9_leaves_a_usable_certificate),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_renew_kill9 PATH_TO_RENEW_VICTIM\n");
		return 2;
	}
	victim = argv[1];
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
