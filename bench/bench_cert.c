/*
 * bench_cert.c - how long issuing a server certificate takes, as the
 * workload API does it: a fresh key pair for the module plus a certificate
 * signed by the edge CA, whose key sits in the HSM (soft backend here).
 * EC P-256 is the figure with a target (median <= 2 ms); RSA-2048 is shown
 * for comparison.  Each sample is one whole issuance; the figure is the
 * median, with p90 for context.
 *
 * Usage: bench_cert [--json PATH] [--count N]
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trustedge/te_cert.h"

#define TARGET_MS 2.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void die(const char *what, te_err rc)
{
	fprintf(stderr, "bench_cert: %s: %s (%s)\n", what, te_err_name(rc), te_err_detail());
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

typedef struct figure {
	const char *name;
	double median, p90;
} figure;

static void measure(figure *f, int rsa, int count, X509 *ca, EVP_PKEY *ca_key, int64_t t)
{
	double *ms = malloc(sizeof(double) * (size_t)count);
	const char *dns[] = {"module.example.net"};
	te_cert_request r;

	if (ms == NULL)
		die("out of memory", TE_ERR_NO_MEMORY);
	memset(&r, 0, sizeof(r));
	r.profile = TE_CERT_SERVER;
	r.common_name = "module.example.net";
	r.dns = dns;
	r.n_dns = 1;
	r.lifetime = 86400;
	r.path_len = -1;
	for (int i = 0; i < count; i++) {
		double t0 = now_ms();
		EVP_PKEY *k = rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
				  : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		X509 *x = NULL;
		te_err rc;

		if (k == NULL)
			die("key generation", TE_ERR_CRYPTO);
		rc = te_cert_issue(&r, k, ca, ca_key, t, &x);
		if (rc != TE_OK)
			die("issue", rc);
		ms[i] = now_ms() - t0;
		X509_free(x);
		EVP_PKEY_free(k);
	}
	qsort(ms, (size_t)count, sizeof(double), cmp);
	f->median = ms[count / 2];
	f->p90 = ms[count * 9 / 10];
	free(ms);
}

int main(int argc, char **argv)
{
	const char *json = NULL, *tmpdir = getenv("TMPDIR");
	int count = 300;
	char tmp[512];
	te_hsm *hsm = NULL;
	te_hsm_setting s[1];
	te_hsm_key_attrs a = {TE_HSM_KEY_EC_P256, 0, 0};
	te_cert_request r;
	EVP_PKEY *ca_key = NULL;
	X509 *ca = NULL;
	int64_t t = (int64_t)time(NULL);
	figure figs[2] = {{"pki.server_cert_ec_p256", 0, 0}, {"pki.server_cert_rsa_2048", 0, 0}};
	te_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json = argv[++i];
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = (int)strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: bench_cert [--json PATH] [--count N]\n");
			return 2;
		}
	}
	if (count < 10 || count > 100000) {
		fprintf(stderr, "bench_cert: --count must be 10..100000\n");
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s/te-bench-cert-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(tmp) == NULL)
		die("mkdtemp", TE_ERR_IO);
	{
		char store[600];
		snprintf(store, sizeof(store), "%s/keys", tmp);
		s[0].key = "store";
		s[0].value = store;
		if ((rc = te_hsm_open("soft", s, 1, &hsm)) != TE_OK)
			die("open store", rc);
	}
	if ((rc = te_hsm_key_create(hsm, "edge-ca", &a)) != TE_OK ||
	    (rc = te_hsm_key_evp(hsm, "edge-ca", &ca_key)) != TE_OK)
		die("edge CA key", rc);
	memset(&r, 0, sizeof(r));
	r.profile = TE_CERT_EDGE_CA;
	r.common_name = "bench edge CA";
	r.lifetime = 30 * 86400;
	r.path_len = -1;
	if ((rc = te_cert_issue(&r, ca_key, NULL, ca_key, t, &ca)) != TE_OK)
		die("edge CA certificate", rc);

	measure(&figs[0], 0, count, ca, ca_key, t);
	/* RSA key generation takes ~100x longer: fewer samples. */
	measure(&figs[1], 1, count / 15 < 10 ? 10 : count / 15, ca, ca_key, t);
	for (int i = 0; i < 2; i++)
		printf("%s: %.3f ms median (%.2fx target %.1f ms; p90 %.3f ms)\n", figs[i].name,
		       figs[i].median, figs[i].median / TARGET_MS, TARGET_MS, figs[i].p90);
	if (json != NULL) {
		FILE *f = fopen(json, "w");
		if (f == NULL)
			die("cannot write the JSON file", TE_ERR_IO);
		fprintf(f, "{\n  \"benchmark\": \"pki\",\n  \"method\": \"median of %d issuances, "
			   "each a fresh key pair plus a certificate signed by an HSM-held edge CA "
			   "key\",\n  \"figures\": [\n",
			count);
		for (int i = 0; i < 2; i++)
			fprintf(f,
				"    {\"figure\": \"%s\", \"value\": %.4f, \"unit\": \"ms\", "
				"\"p90\": %.4f, \"target\": %s, \"meets_target\": %s}%s\n",
				figs[i].name, figs[i].median, figs[i].p90, i == 0 ? "2.0" : "null",
				i == 0 ? (figs[i].median <= TARGET_MS ? "true" : "false") : "null",
				i == 0 ? "," : "");
		fprintf(f, "  ]\n}\n");
		fclose(f);
	}
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	te_hsm_close(hsm);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
