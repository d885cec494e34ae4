/*
 * provider_check.c - te_provider_check: do HSM keys work through OpenSSL?
 *
 * Usage:
 *   te_provider_check BACKEND [--force-provider] [k=v ...]
 *
 *   BACKEND           the te_hsm backend: soft, pkcs11, tpm
 *   k=v               backend settings for te_hsm_open (also read from
 *                     TE_PROVIDER_CHECK_SETTINGS="k=v;k=v").  A value of
 *                     "@tmp" becomes a fresh 0700 temporary directory,
 *                     removed afterwards; the soft backend without settings
 *                     gets store=@tmp.
 *   --force-provider  get keys with te_provider_key_new instead of
 *                     te_hsm_key_evp (which gives plain OpenSSL keys for the
 *                     soft backend); use it for soft runs.
 *
 * For each key type (ec-p256, ec-p384, rsa-2048, ed25519) it creates a
 * signing key "techeck-TYPE" in the backend (a type the backend reports
 * TE_ERR_UNSUPPORTED for is skipped, not failed), gets its EVP_PKEY, and
 * checks: a signature verified with the public key, an X509_REQ, a
 * self-signed certificate accepted by `openssl verify`, a detached CMS
 * signature accepted by `openssl cms -verify`, TLS servers (1.3 for every
 * type, 1.2 for EC and RSA) accepted by `openssl s_client -verify_return_error`,
 * and mutual TLS where the client signs with the key too.  For RSA it also
 * checks that a TLS 1.3 client preferring SHA-384 gets an RSA-PSS SHA-256
 * signature (the HSM signs RSA with SHA-256 only, and the provider refuses
 * other digests where libssl probes for them), and that a client offering
 * only SHA-512 fails the handshake cleanly.  The keys are deleted at the
 * end.  Exit status: 0 when every check passed, 1 when one failed, 2 on
 * bad usage or setup.
 *
 * TE_TEST_VERBOSE=1 shows what openssl s_client and the server said.
 *
 * Under another backend's wrapper, e.g.:
 *   tests/pkcs11/with_softhsm.sh sh -c 'te_provider_check pkcs11 \
 *       module="$TE_PKCS11_MODULE" token="$TE_PKCS11_TOKEN" pin="$TE_PKCS11_PIN"'
 *   tests/tpm/with_swtpm.sh sh -c 'te_provider_check tpm \
 *       tcti="$TE_TPM_TCTI" state_dir=@tmp'
 * (the settings are whatever that backend's te_hsm_open takes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "hsm/provider.h"
#include "prov_util.h"
#include "testutil.h"
#include "trustedge/te_hsm.h"

#define MAX_SETTINGS 16
#define IO_TIMEOUT_S 30
#define RUN_TIMEOUT_S 120

static const char msg[] = "trustedge provider check";

static struct {
	const char *backend;
	int force_provider;
	te_hsm_setting settings[MAX_SETTINGS];
	size_t n_settings;
	char *env_settings;
	char *tmp_dirs[MAX_SETTINGS]; /* made for "@tmp" values */
	size_t n_tmp_dirs;
	char *work;      /* files for the openssl command */
	te_hsm *hsm;
	int passed, failed, skipped;
} g;

static void report(int ok, const char *fmt, ...) TE_PRINTF(2, 3);

static void report(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		g.passed++;
	else
		g.failed++;
}

static void skip(const char *what, const char *why)
{
	printf("SKIP %s: %s\n", what, why);
	fflush(stdout);
	g.skipped++;
}

/* Runs the openssl command; 1 when it exits 0 (and prints its output
 * when not). */
static int openssl_ok(char *const argv[], const char *what)
{
	char *out = NULL;
	int rc = pu_run(argv, RUN_TIMEOUT_S, &out);

	if (rc != 0)
		fprintf(stderr, "%s: openssl exited %d:\n%s\n", what, rc, out);
	free(out);
	return rc == 0;
}

/* --- TLS ------------------------------------------------------------------------------ */

struct server {
	SSL_CTX *ctx;
	int lfd;
	int port;
	int handshake_ok;
	int peer_verified; /* a client certificate came and verified */
	char *errors;      /* OpenSSL errors when the handshake failed */
};

static void timeouts_set(int fd)
{
	struct timeval tv = {IO_TIMEOUT_S, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int listen_local(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0; /* a free port, picked by the kernel */
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* Accepts one connection, completes the handshake, reads until the client
 * closes. */
static void *server_run(void *arg)
{
	struct server *s = arg;
	struct pollfd p = {s->lfd, POLLIN, 0};
	SSL *ssl = NULL;
	char buf[256];
	int fd = -1;

	if (poll(&p, 1, IO_TIMEOUT_S * 1000) != 1 || (fd = accept(s->lfd, NULL, NULL)) < 0) {
		s->errors = strdup("no client connected");
		return NULL;
	}
	timeouts_set(fd);
	ssl = SSL_new(s->ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1) {
		s->errors = pu_errors_text();
		goto out;
	}
	s->handshake_ok = 1;
	s->peer_verified = SSL_get0_peer_certificate(ssl) != NULL &&
			   SSL_get_verify_result(ssl) == X509_V_OK;
	while (SSL_read(ssl, buf, sizeof(buf)) > 0)
		;
	SSL_shutdown(ssl);
out:
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static SSL_CTX *tls_ctx(int server, int version, X509 *cert, EVP_PKEY *key, X509 *trust)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	int ok = ctx != NULL && SSL_CTX_set_min_proto_version(ctx, version) == 1 &&
		 SSL_CTX_set_max_proto_version(ctx, version) == 1;

	if (ok && cert != NULL)
		ok = SSL_CTX_use_certificate(ctx, cert) == 1 &&
		     SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
	if (ok && trust != NULL) {
		ok = X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), trust) == 1;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	if (!ok) {
		pu_print_errors("setting up a TLS context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int server_start(struct server *s, pthread_t *th)
{
	s->lfd = listen_local(&s->port);
	if (s->lfd < 0)
		return 0;
	if (pthread_create(th, NULL, server_run, s) != 0) {
		close(s->lfd);
		return 0;
	}
	return 1;
}

static void server_finish(struct server *s, pthread_t th)
{
	pthread_join(th, NULL);
	close(s->lfd);
}

/*
 * openssl s_client against a server with the key.  expect_ok: the
 * handshake must complete and verify in the given protocol version, with
 * `expect` (if not NULL) in s_client's output; otherwise it must fail, with
 * `expect` in the server's errors.
 */
static void tls_s_client(const char *what, int version, X509 *cert, EVP_PKEY *key,
			 const char *cert_pem, const char *sigalgs, int expect_ok,
			 const char *expect)
{
	struct server s = {0};
	pthread_t th;
	char connect[32], *out = NULL;
	char *argv[16];
	int n = 0, rc, ok;

	s.ctx = tls_ctx(1, version, cert, key, NULL);
	if (s.ctx == NULL || !server_start(&s, &th)) {
		report(0, "%s: TLS server setup", what);
		SSL_CTX_free(s.ctx);
		return;
	}
	snprintf(connect, sizeof(connect), "127.0.0.1:%d", s.port);
	argv[n++] = "openssl";
	argv[n++] = "s_client";
	argv[n++] = "-connect";
	argv[n++] = connect;
	argv[n++] = "-CAfile";
	argv[n++] = (char *)cert_pem;
	argv[n++] = "-verify_return_error";
	argv[n++] = "-brief";
	argv[n++] = version == TLS1_3_VERSION ? "-tls1_3" : "-tls1_2";
	if (sigalgs != NULL) {
		argv[n++] = "-sigalgs";
		argv[n++] = (char *)sigalgs;
	}
	argv[n] = NULL;
	rc = pu_run(argv, RUN_TIMEOUT_S, &out);
	server_finish(&s, th);
	if (expect_ok)
		ok = rc == 0 && s.handshake_ok && strstr(out, "Verification: OK") != NULL &&
		     strstr(out, version == TLS1_3_VERSION ? "Protocol version: TLSv1.3"
							   : "Protocol version: TLSv1.2") != NULL &&
		     (expect == NULL || strstr(out, expect) != NULL);
	else
		ok = rc != 0 && !s.handshake_ok && s.errors != NULL &&
		     (expect == NULL || strstr(s.errors, expect) != NULL);
	report(ok, "%s", what);
	if (!ok || getenv("TE_TEST_VERBOSE") != NULL)
		fprintf(stderr, "  s_client exit %d, output:\n%s\n  server: %s\n", rc, out,
			s.errors ? s.errors : "handshake completed");
	free(out);
	free(s.errors);
	SSL_CTX_free(s.ctx);
}

/* Both ends in this process, both signing with the key: the server proves
 * itself with it and asks the client to do the same. */
static void tls_mutual(const char *what, int version, X509 *cert, EVP_PKEY *key)
{
	struct server s = {0};
	struct sockaddr_in a;
	SSL_CTX *cctx = NULL;
	SSL *ssl = NULL;
	pthread_t th;
	int fd = -1, ok = 0;
	char *errors = NULL;

	s.ctx = tls_ctx(1, version, cert, key, cert);
	cctx = tls_ctx(0, version, cert, key, cert);
	if (s.ctx == NULL || cctx == NULL || !server_start(&s, &th)) {
		report(0, "%s: TLS setup", what);
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)s.port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		timeouts_set(fd);
		ssl = SSL_new(cctx);
		ok = ssl != NULL && SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1 &&
		     SSL_get_verify_result(ssl) == X509_V_OK && SSL_write(ssl, "x", 1) == 1;
		if (!ok)
			errors = pu_errors_text();
		if (ssl != NULL)
			SSL_shutdown(ssl);
	}
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	server_finish(&s, th);
	ok = ok && s.handshake_ok && s.peer_verified;
	report(ok, "%s", what);
	if (!ok)
		fprintf(stderr, "  client: %s\n  server: %s (peer verified: %d)\n",
			errors ? errors : "ok", s.errors ? s.errors : "handshake completed",
			s.peer_verified);
out:
	free(errors);
	free(s.errors);
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(cctx);
	SSL_CTX_free(s.ctx);
}

/* --- one key type ------------------------------------------------------------------------- */

static EVP_PKEY *public_key(const char *name)
{
	te_buf der;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;

	te_buf_init(&der, 0);
	if (te_hsm_key_public(g.hsm, name, TE_HSM_PUB_DER, &der) == TE_OK) {
		p = der.data;
		pub = d2i_PUBKEY(NULL, &p, (long)der.len);
	}
	te_buf_free(&der);
	return pub;
}

static EVP_PKEY *key_get(const char *name)
{
	EVP_PKEY *key = NULL;
	te_err rc = g.force_provider ? te_provider_key_new(g.hsm, name, &key)
				     : te_hsm_key_evp(g.hsm, name, &key);

	if (rc != TE_OK) {
		fprintf(stderr, "getting key '%s': %s: %s\n", name, te_err_str(rc),
			te_err_detail());
		return NULL;
	}
	return key;
}

static void check_signatures(const char *t, te_hsm_key_type type, EVP_PKEY *key, EVP_PKEY *pub)
{
	const char *md = pu_cert_md(type);
	unsigned char *sig;
	size_t n = 0;
	X509_REQ *req;

	sig = pu_sign(key, md, 0, msg, sizeof(msg), &n);
	if (sig == NULL)
		pu_print_errors("EVP_DigestSign");
	report(sig != NULL && pu_verify(pub, md, 0, msg, sizeof(msg), sig, n),
	       "%s: EVP_DigestSign verifies with the public key", t);
	free(sig);
	req = pu_csr(key, md, "te_provider_check");
	report(req != NULL && X509_REQ_verify(req, pub) == 1, "%s: X509_REQ_sign", t);
	X509_REQ_free(req);
}

static void check_cert_and_cms(const char *t, te_hsm_key_type type, X509 *cert, EVP_PKEY *key,
			       const char *cert_pem)
{
	char *cms_pem = tu_path(g.work, "cms.pem"), *data = tu_path(g.work, "data.bin");
	char *verify[] = {"openssl", "verify", "-CAfile", (char *)cert_pem, (char *)cert_pem,
			  NULL};
	char *cms[] = {"openssl", "cms", "-verify", "-binary", "-inform", "PEM", "-in", cms_pem,
		       "-content", data, "-CAfile", (char *)cert_pem, "-out", "/dev/null", NULL};

	report(openssl_ok(verify, t), "%s: X509_sign certificate passes openssl verify", t);
	if (type == TE_HSM_KEY_ED25519 && !pu_cms_signs_with("ED25519"))
		skip("ed25519: CMS_sign", "this OpenSSL's CMS cannot sign with Ed25519 keys");
	else
		report(tu_write_file(data, msg, sizeof(msg)) == 0 &&
			       pu_cms_sign(cms_pem, cert, key, msg, sizeof(msg)) == 0 &&
			       openssl_ok(cms, t),
		       "%s: CMS_sign passes openssl cms -verify", t);
	free(cms_pem);
	free(data);
}

static void check_tls(const char *t, te_hsm_key_type type, X509 *cert, EVP_PKEY *key,
		      const char *cert_pem)
{
	char what[128];
	int is_rsa = type == TE_HSM_KEY_RSA_2048;
	int tls12 = type != TE_HSM_KEY_ED25519;

	snprintf(what, sizeof(what), "%s: TLS 1.3 server, openssl s_client", t);
	tls_s_client(what, TLS1_3_VERSION, cert, key, cert_pem, NULL, 1,
		     is_rsa ? "Signature type: RSA-PSS" : NULL);
	if (tls12) {
		snprintf(what, sizeof(what), "%s: TLS 1.2 server, openssl s_client", t);
		tls_s_client(what, TLS1_2_VERSION, cert, key, cert_pem, NULL, 1, NULL);
	}
	if (is_rsa) {
		snprintf(what, sizeof(what),
			 "%s: TLS 1.3 client preferring SHA-384 gets RSA-PSS with SHA-256", t);
		tls_s_client(what, TLS1_3_VERSION, cert, key, cert_pem,
			     "rsa_pss_rsae_sha384:rsa_pss_rsae_sha256", 1, "Hash used: SHA256");
		snprintf(what, sizeof(what),
			 "%s: TLS 1.3 client offering only SHA-512 fails cleanly", t);
		tls_s_client(what, TLS1_3_VERSION, cert, key, cert_pem, "rsa_pss_rsae_sha512", 0,
			     "no suitable signature algorithm");
	}
	snprintf(what, sizeof(what), "%s: mutual TLS 1.3, client signs with the key too", t);
	tls_mutual(what, TLS1_3_VERSION, cert, key);
	if (tls12) {
		snprintf(what, sizeof(what), "%s: mutual TLS 1.2, client signs with the key too",
			 t);
		tls_mutual(what, TLS1_2_VERSION, cert, key);
	}
}

static void check_type(te_hsm_key_type type)
{
	const char *t = te_hsm_key_type_name(type);
	te_hsm_key_attrs attrs = {type, TE_HSM_USAGE_SIGN, 0};
	char name[64], *cert_pem = NULL;
	EVP_PKEY *key = NULL, *pub = NULL;
	X509 *cert = NULL;
	te_err rc;

	snprintf(name, sizeof(name), "techeck-%s", t);
	if (te_hsm_key_exists(g.hsm, name) && te_hsm_key_delete(g.hsm, name) != TE_OK) {
		report(0, "%s: removing an old '%s': %s", t, name, te_err_detail());
		return;
	}
	rc = te_hsm_key_create(g.hsm, name, &attrs);
	if (rc == TE_ERR_UNSUPPORTED) {
		skip(t, te_err_detail());
		return;
	}
	if (rc != TE_OK) {
		report(0, "%s: te_hsm_key_create: %s", t, te_err_detail());
		return;
	}
	key = key_get(name);
	pub = public_key(name);
	report(key != NULL && pub != NULL, "%s: key handed to OpenSSL (%s provider)", t,
	       key ? OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(key)) : "no");
	if (key == NULL || pub == NULL)
		goto out;
	check_signatures(t, type, key, pub);
	cert = pu_self_signed(key, pu_cert_md(type), 0, "te_provider_check");
	cert_pem = tu_path(g.work, "cert.pem");
	if (cert == NULL || pu_write_cert(cert_pem, cert) != 0) {
		report(0, "%s: X509_sign", t);
		goto out;
	}
	check_cert_and_cms(t, type, cert, key, cert_pem);
	check_tls(t, type, cert, key, cert_pem);
out:
	ERR_clear_error();
	free(cert_pem);
	X509_free(cert);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
	if (te_hsm_key_delete(g.hsm, name) != TE_OK)
		fprintf(stderr, "removing '%s': %s\n", name, te_err_detail());
}

/* Loaded before anything else, the provider must still leave key
 * generation to OpenSSL's own providers (TLS key shares depend on it). */
static void check_default_keygen(void)
{
	static const char *const types[] = {"EC", "RSA", "ED25519"};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EVP_PKEY *k;
		const char *by;

		if (strcmp(types[i], "EC") == 0)
			k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		else if (strcmp(types[i], "RSA") == 0)
			k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		else
			k = EVP_PKEY_Q_keygen(NULL, NULL, types[i]);
		by = k ? OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(k)) : "nobody";

		report(k != NULL && strcmp(by, TE_PROVIDER_NAME) != 0,
		       "with the provider loaded first, %s keys are generated by '%s'", types[i],
		       by);
		if (k == NULL)
			pu_print_errors("key generation");
		EVP_PKEY_free(k);
	}
}

/* --- setup ----------------------------------------------------------------------------------- */

static int add_setting(char *kv)
{
	char *eq = strchr(kv, '=');

	if (eq == NULL || eq == kv || g.n_settings == MAX_SETTINGS) {
		fprintf(stderr, "te_provider_check: bad setting '%s' (want key=value)\n", kv);
		return -1;
	}
	*eq = '\0';
	g.settings[g.n_settings].key = kv;
	g.settings[g.n_settings].value = eq + 1;
	g.n_settings++;
	return 0;
}

static int configure(int argc, char **argv)
{
	const char *env = getenv("TE_PROVIDER_CHECK_SETTINGS");
	char *save = NULL;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: te_provider_check BACKEND [--force-provider] [k=v ...]\n");
		return -1;
	}
	g.backend = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--force-provider") == 0)
			g.force_provider = 1;
		else if (add_setting(argv[i]) != 0)
			return -1;
	}
	if (env != NULL && env[0] != '\0') {
		g.env_settings = strdup(env);
		if (g.env_settings == NULL)
			return -1;
		for (char *kv = strtok_r(g.env_settings, ";", &save); kv != NULL;
		     kv = strtok_r(NULL, ";", &save))
			if (add_setting(kv) != 0)
				return -1;
	}
	if (strcmp(g.backend, "soft") == 0 && g.n_settings == 0) {
		g.settings[0].key = "store";
		g.settings[0].value = "@tmp";
		g.n_settings = 1;
	}
	for (size_t i = 0; i < g.n_settings; i++) {
		if (strcmp(g.settings[i].value, "@tmp") != 0)
			continue;
		g.tmp_dirs[g.n_tmp_dirs] = tu_tempdir("provider-check-setting");
		g.settings[i].value = g.tmp_dirs[g.n_tmp_dirs++];
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const te_hsm_key_type types[] = {TE_HSM_KEY_EC_P256, TE_HSM_KEY_EC_P384,
						TE_HSM_KEY_RSA_2048, TE_HSM_KEY_ED25519};
	te_err rc;

	if (configure(argc, argv) != 0)
		return 2;
	/* A peer that hangs up must fail a check, not kill the program. */
	signal(SIGPIPE, SIG_IGN);
	/* First, before any other OpenSSL use: the provider must leave key
	 * generation and everything else to OpenSSL's own providers even
	 * when it is there from the start (TLS key shares depend on it). */
	rc = te_provider_load();
	if (rc != TE_OK) {
		fprintf(stderr, "te_provider_load: %s\n", te_err_detail());
		return 2;
	}
	check_default_keygen();
	rc = te_hsm_open(g.backend, g.settings, g.n_settings, &g.hsm);
	if (rc != TE_OK) {
		fprintf(stderr, "te_hsm_open(%s): %s\n", g.backend, te_err_detail());
		return 2;
	}
	g.work = tu_tempdir("provider-check");
	printf("te_provider_check: backend %s, keys from %s\n", g.backend,
	       g.force_provider ? "te_provider_key_new" : "te_hsm_key_evp");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		check_type(types[i]);
	te_hsm_close(g.hsm);
	tu_rmtree(g.work);
	for (size_t i = 0; i < g.n_tmp_dirs; i++)
		tu_rmtree(g.tmp_dirs[i]);
	free(g.env_settings);
	printf("te_provider_check: %d passed, %d failed, %d skipped\n", g.passed, g.failed,
	       g.skipped);
	return g.failed == 0 ? 0 : 1;
}
