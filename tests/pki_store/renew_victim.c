/*
 * renew_victim.c - renews one certificate with key rotation over and over,
 * as fast as it can, until it is killed.  pki.renew_kill9 kills it with
 * SIGKILL at random moments and checks what it left behind.
 *
 * usage: renew_victim KEYS_DIR CERTS_DIR ID
 * Writes 'R' to stdout when renewals start and '+' after each one.  The
 * clock is injected: each run happens at the previous run's next decision
 * time, so every run renews.  The issue callback sleeps a random 0..3 ms
 * so kills also land while a new key exists that the store does not name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "pki_testcert.h"
#include "trustedge/te_cert.h"

#define LIFETIME 1000000
#define MAX_RUN_SECONDS 60 /* never outlive a harness that forgot us */

static te_err victim_issue(void *arg, const char *id, const char *key_name, int64_t now,
			   te_buf *out)
{
	te_hsm *hsm = arg;
	EVP_PKEY *key = NULL;
	char *pem = NULL;
	size_t len = 0;
	unsigned char r = 0;
	struct timespec pause;
	te_err rc;

	rc = te_hsm_key_evp(hsm, key_name, &key);
	if (rc != TE_OK)
		return rc;
	if (tc_cert_pem(key, id, now, now + LIFETIME, &pem, &len) != 0) {
		EVP_PKEY_free(key);
		return te_err_set(TE_ERR_CRYPTO, "test certificate");
	}
	EVP_PKEY_free(key);
	(void)RAND_bytes(&r, 1);
	pause.tv_sec = 0;
	pause.tv_nsec = (long)(r % 4) * 1000000L;
	nanosleep(&pause, NULL);
	rc = te_buf_append(out, pem, len);
	free(pem);
	return rc;
}

static void say(char c)
{
	if (write(STDOUT_FILENO, &c, 1) != 1)
		exit(5);
}

int main(int argc, char **argv)
{
	te_hsm *hsm = NULL;
	te_cert_store *st = NULL;
	te_renewer *r = NULL;
	te_renew_policy policy;
	te_renew_ops ops = {victim_issue, NULL, NULL};
	int64_t now = 0, next = 0;
	time_t start = time(NULL);

	if (argc != 4) {
		fprintf(stderr, "usage: renew_victim KEYS_DIR CERTS_DIR ID\n");
		return 2;
	}
	{
		te_hsm_setting s[] = {{"store", argv[1]}};
		if (te_hsm_open("soft", s, 1, &hsm) != TE_OK)
			goto fail;
	}
	ops.arg = hsm;
	te_renew_policy_default(&policy);
	policy.rotate_key = 1;
	if (te_cert_store_open(argv[2], &st) != TE_OK || te_renewer_new(st, hsm, &r) != TE_OK ||
	    te_renewer_manage(r, argv[3], TE_HSM_KEY_EC_P256, &policy, &ops) != TE_OK)
		goto fail;
	/* Where the stored certificate is due; from then on, every run renews. */
	if (te_renewer_run(r, 0, NULL, &next) != TE_OK)
		goto fail;
	say('R');
	while (time(NULL) - start < MAX_RUN_SECONDS) {
		size_t renewed = 0;

		now = next > now ? next : now + 1;
		if (te_renewer_run(r, now, &renewed, &next) != TE_OK)
			goto fail;
		if (renewed == 1)
			say('+');
	}
	te_renewer_free(r);
	te_cert_store_close(st);
	te_hsm_close(hsm);
	return 0;
fail:
	fprintf(stderr, "renew_victim: %s\n", te_err_detail());
	return 3;
}
