/* prov_util.c - helpers shared by the provider tests (see prov_util.h). */
#include "prov_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h> /* before cms.h, which declares its PEM calls with pem.h's macros */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

const char *pu_cert_md(te_hsm_key_type type)
{
	switch (type) {
	case TE_HSM_KEY_EC_P384:
		return "SHA384";
	case TE_HSM_KEY_ED25519:
		return NULL;
	default:
		return "SHA256";
	}
}

void pu_print_errors(const char *what)
{
	fprintf(stderr, "%s:\n", what);
	ERR_print_errors_fp(stderr);
}

char *pu_errors_text(void)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	if (b == NULL)
		abort();
	ERR_print_errors(b);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n + 1);
	if (out == NULL)
		abort();
	if (n > 0)
		memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

static int add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	return ok;
}

static int name_set(X509_NAME *name, const char *cn)
{
	return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
					  -1, -1, 0) == 1;
}

static int serial_set(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return 0;
	raw[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/* X509_sign, or X509_sign_ctx with RSA-PSS settings. */
static int cert_sign(X509 *x, EVP_PKEY *key, const char *mdname, int pss)
{
	EVP_MD *md = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (!pss) {
		if (mdname != NULL && (md = EVP_MD_fetch(NULL, mdname, NULL)) == NULL)
			return 0;
		ok = X509_sign(x, key, md) > 0;
		EVP_MD_free(md);
		return ok;
	}
	mctx = EVP_MD_CTX_new();
	ok = mctx != NULL &&
	     EVP_DigestSignInit_ex(mctx, &pctx, mdname, NULL, NULL, key, NULL) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
	     X509_sign_ctx(x, mctx) > 0;
	EVP_MD_CTX_free(mctx);
	return ok;
}

X509 *pu_self_signed(EVP_PKEY *key, const char *mdname, int pss, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	int ok;

	ok = x != NULL && name != NULL && X509_set_version(x, X509_VERSION_3) == 1 &&
	     serial_set(x) && name_set(name, cn) && X509_set_subject_name(x, name) == 1 &&
	     X509_set_issuer_name(x, name) == 1 &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400) != NULL &&
	     X509_set_pubkey(x, key) == 1;
	if (ok) {
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		ok = add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE") &&
		     add_ext(x, &v3, NID_key_usage, "critical,digitalSignature,keyCertSign") &&
		     add_ext(x, &v3, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
		     add_ext(x, &v3, NID_subject_key_identifier, "hash") &&
		     cert_sign(x, key, mdname, pss);
	}
	X509_NAME_free(name);
	if (!ok) {
		pu_print_errors("making a self-signed certificate");
		X509_free(x);
		return NULL;
	}
	return x;
}

X509_REQ *pu_csr(EVP_PKEY *key, const char *mdname, const char *cn)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	EVP_MD *md = NULL;
	int ok;

	ok = req != NULL && name != NULL && X509_REQ_set_version(req, X509_REQ_VERSION_1) == 1 &&
	     name_set(name, cn) && X509_REQ_set_subject_name(req, name) == 1 &&
	     X509_REQ_set_pubkey(req, key) == 1 &&
	     (mdname == NULL || (md = EVP_MD_fetch(NULL, mdname, NULL)) != NULL) &&
	     X509_REQ_sign(req, key, md) > 0;
	EVP_MD_free(md);
	X509_NAME_free(name);
	if (!ok) {
		pu_print_errors("making a certificate request");
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

int pu_write_cert(const char *path, X509 *cert)
{
	BIO *b = BIO_new_file(path, "w");
	int ok = b != NULL && PEM_write_bio_X509(b, cert) == 1;

	BIO_free(b);
	return ok ? 0 : -1;
}

int pu_write_pubkey(const char *path, EVP_PKEY *key)
{
	BIO *b = BIO_new_file(path, "w");
	int ok = b != NULL && PEM_write_bio_PUBKEY(b, key) == 1;

	BIO_free(b);
	return ok ? 0 : -1;
}

int pu_cms_sign(const char *path, X509 *cert, EVP_PKEY *key, const void *data, size_t len)
{
	BIO *in = BIO_new_mem_buf(data, (int)len);
	BIO *out = NULL;
	CMS_ContentInfo *cms = NULL;
	int ok = 0;

	if (in == NULL)
		goto out;
	cms = CMS_sign(cert, key, NULL, in, CMS_DETACHED | CMS_BINARY);
	if (cms == NULL)
		goto out;
	out = BIO_new_file(path, "w");
	ok = out != NULL && PEM_write_bio_CMS(out, cms) == 1;
out:
	if (!ok)
		pu_print_errors("CMS signing");
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	return ok ? 0 : -1;
}

int pu_cms_signs_with(const char *ossl_type)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, ossl_type);
	X509 *cert = NULL;
	BIO *in = BIO_new_mem_buf("x", 1);
	CMS_ContentInfo *cms = NULL;

	if (key != NULL && in != NULL)
		cert = pu_self_signed(key, NULL, 0, "cms probe");
	if (cert != NULL)
		cms = CMS_sign(cert, key, NULL, in, CMS_DETACHED | CMS_BINARY);
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	X509_free(cert);
	EVP_PKEY_free(key);
	return cms != NULL;
}

static int pss_setup(EVP_PKEY_CTX *pctx, int pss)
{
	return !pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0);
}

unsigned char *pu_sign(EVP_PKEY *key, const char *mdname, int pss, const void *msg,
		       size_t len, size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t n = 0;
	int ok;

	ok = m != NULL && EVP_DigestSignInit_ex(m, &pctx, mdname, NULL, NULL, key, NULL) == 1 &&
	     pss_setup(pctx, pss) && EVP_DigestSign(m, NULL, &n, msg, len) == 1 &&
	     (sig = malloc(n)) != NULL && EVP_DigestSign(m, sig, &n, msg, len) == 1;
	EVP_MD_CTX_free(m);
	if (!ok) {
		free(sig);
		return NULL;
	}
	*sig_len = n;
	return sig;
}

int pu_verify(EVP_PKEY *key, const char *mdname, int pss, const void *msg, size_t len,
	      const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ok = m != NULL && EVP_DigestVerifyInit_ex(m, &pctx, mdname, NULL, NULL, key, NULL) == 1 &&
	     pss_setup(pctx, pss) && EVP_DigestVerify(m, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pu_run(char *const argv[], int timeout_s, char **out)
{
	int pfd[2];
	pid_t pid;
	int status = 0, killed = 0;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	double deadline = now_s() + timeout_s;

	if (buf == NULL || pipe2(pfd, O_CLOEXEC) != 0)
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pfd[1], 1) < 0 ||
		    dup2(pfd[1], 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = {pfd[0], POLLIN, 0};
		int left = (int)((deadline - now_s()) * 1000);
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			break;
		if (p.revents == 0)
			continue;
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
		r = read(pfd[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			break;
	*out = buf;
	if (killed || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}
