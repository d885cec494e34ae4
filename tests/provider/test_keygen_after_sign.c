/*
 * test_keygen_after_sign.c - provider.keygen_after_sign: ordinary OpenSSL
 * keys still work after a signature with an HSM key.
 *
 * OpenSSL 3.0 caches the key manager that a legacy-style signature
 * (EVP_DigestSignInit with an EVP_MD, as X509_sign does) fetched from our
 * provider under the bare algorithm name; unless the provider empties that
 * cache, the next EVP_PKEY_Q_keygen(NULL, NULL, "EC", ...) in the process
 * gets our key manager and fails.  The effect shows only in a process whose
 * first use of "EC" is the HSM signature, so the check runs in a fresh
 * process: `test_keygen_after_sign` makes the keys, then runs itself with
 * `check STORE`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsm/provider.h"
#include "testutil.h"
#include "trustedge/te_hsm.h"

static int check(const char *store)
{
	static const char *const names[] = {"ec", "rsa"};
	te_hsm_setting s[] = {{"store", store}};
	te_hsm *hsm = NULL;
	int bad = 0;

	if (te_hsm_open("soft", s, 1, &hsm) != TE_OK)
		return 2;
	for (size_t i = 0; i < 2; i++) {
		EVP_PKEY *k = NULL, *gen, *back = NULL;
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		X509 *x = X509_new();
		unsigned char sig[512], *der = NULL;
		const unsigned char *p;
		size_t n = sizeof(sig);
		int len;

		if (te_provider_key_new(hsm, names[i], &k) != TE_OK ||
		    EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k) != 1 ||
		    EVP_DigestSign(m, sig, &n, (const unsigned char *)"m", 1) != 1 ||
		    X509_set_pubkey(x, k) != 1 || X509_sign(x, k, EVP_sha256()) <= 0) {
			fprintf(stderr, "HSM signature with %s failed\n", names[i]);
			return 2;
		}
		gen = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (gen == NULL) {
			fprintf(stderr, "FAIL: EC key generation after an HSM %s signature\n", names[i]);
			bad = 1;
		} else {
			len = i2d_PrivateKey(gen, &der);
			p = der;
			back = len > 0 ? d2i_AutoPrivateKey(NULL, &p, len) : NULL;
			if (back == NULL || EVP_PKEY_eq(back, gen) != 1) {
				fprintf(stderr, "FAIL: decoding an EC key after an HSM signature\n");
				bad = 1;
			}
		}
		EVP_PKEY_free(back);
		OPENSSL_free(der);
		EVP_PKEY_free(gen);
		gen = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		if (gen == NULL) {
			fprintf(stderr, "FAIL: RSA key generation after an HSM %s signature\n", names[i]);
			bad = 1;
		}
		EVP_PKEY_free(gen);
		X509_free(x);
		EVP_MD_CTX_free(m);
		EVP_PKEY_free(k);
	}
	te_hsm_close(hsm);
	return bad;
}

int main(int argc, char **argv)
{
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, 0, 0}, rsa = {TE_HSM_KEY_RSA_2048, 0, 0};
	te_hsm_setting s[1];
	te_hsm *hsm = NULL;
	char *dir, *store;
	int rc;

	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return check(argv[2]);
	dir = tu_tempdir("prov-keygen");
	store = tu_path(dir, "keys");
	s[0].key = "store";
	s[0].value = store;
	if (te_hsm_open("soft", s, 1, &hsm) != TE_OK || te_hsm_key_create(hsm, "ec", &ec) != TE_OK ||
	    te_hsm_key_create(hsm, "rsa", &rsa) != TE_OK) {
		fprintf(stderr, "cannot make the keys: %s\n", te_err_detail());
		return 1;
	}
	te_hsm_close(hsm);
	{
		char *const args[] = {argv[0], "check", store, NULL};
		rc = tu_run(args);
	}
	printf("%s\n", rc == 0 ? "1 passed, 0 failed" : "0 passed, 1 failed");
	free(store);
	tu_rmtree(dir);
	return rc == 0 ? 0 : 1;
}
