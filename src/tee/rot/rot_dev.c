/*
 * rot_dev.c - the per-user developer root of trust (rot.h): what answers a
 * TA's seal-key and evidence requests when no trustedged is managing the
 * device.  Its secrets are files of the user who runs the host, so it
 * protects nothing from that user (docs/tee-seal.md says what it is for).
 *
 * Directory: te_rot_dev_open's dir, else $TE_TEE_DEV_ROOT, else
 * $HOME/.local/share/trustedge/tee-dev-root; created 0700, and refused when
 * another uid owns it or group/others may write it.  Files, made on first
 * use (each written to a temporary name, fsync'd and renamed, mode 0600):
 *   root.secret  32 random bytes: every derived key comes from them
 *   attest.key   EC P-256 attestation key (PKCS#8 PEM)
 *   ca.crt       self-signed developer CA (EC P-256, 10 years); its key is
 *                used once, to sign the two certificates, and never stored
 *   attest.crt   attest.key's certificate, issued by ca.crt
 * An flock on the directory keeps two processes from making them at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tee/detail.h"
#include "tee/rot/rot.h"

#define TE_DEV_SECRET_SIZE 32u
#define TE_DEV_FILE_MAX    (64u * 1024u)
#define TE_DEV_CERT_DAYS   3650
#define TE_DEV_CN_MAX      64 /* X.520 upper bound of a common name */

typedef struct te_rot_dev {
	te_rot base; /* first: the te_rot handed out is this struct */
	uint8_t secret[TE_DEV_SECRET_SIZE];
	EVP_PKEY *attest_key;
	EVP_MAC *hmac;
	char *chain; /* attest.crt PEM then ca.crt PEM */
} te_rot_dev;

/* What the directory's files are, while te_rot_dev_open works on them. */
typedef struct te_dev_files {
	const char *dir;
	int dfd;
	EVP_PKEY *key;
	X509 *ca;
	X509 *leaf;
} te_dev_files;

/* --- the directory --------------------------------------------------------- */

static oe_result_t te_dev_path(const char *dir, char *path, size_t cap)
{
	const char *env = getenv("TE_TEE_DEV_ROOT");
	const char *home = getenv("HOME");
	int n;

	if (dir && *dir)
		n = snprintf(path, cap, "%s", dir);
	else if (env && *env)
		n = snprintf(path, cap, "%s", env);
	else if (home && home[0] == '/')
		n = snprintf(path, cap, "%s/.local/share/trustedge/tee-dev-root", home);
	else
		return te_tee_fail(OE_NOT_FOUND, "no developer root directory: set TE_TEE_DEV_ROOT "
		                                 "(or HOME)");
	if (n < 0 || (size_t)n >= cap)
		return te_tee_fail(OE_INVALID_PARAMETER, "developer root path is too long");
	return OE_OK;
}

/* mkdir -p, each directory it makes 0700. */
static oe_result_t te_dev_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return te_tee_fail(OE_INVALID_PARAMETER, "developer root path is too long");
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return te_tee_fail(OE_FAILURE, "developer root: cannot create %s: %s", buf,
			                   strerror(errno));
		buf[i] = i == n ? '\0' : '/';
	}
	return OE_OK;
}

/* Another user's file, or one others may write (or, for a secret, read),
 * is refused: its bytes are not this user's root. */
static oe_result_t te_dev_check_owner(const struct stat *st, const char *what, mode_t forbidden)
{
	if (st->st_uid != geteuid())
		return te_tee_fail(OE_NOT_OWNER,
		                   "developer root: %s is owned by uid %u, not by "
		                   "this user (uid %u); refusing it",
		                   what, (unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & forbidden)
		return te_tee_fail(OE_CONSTRAINT_FAILED,
		                   "developer root: %s has mode %03o, which "
		                   "lets other users %s it; refusing it (chmod "
		                   "go-rwx)",
		                   what, (unsigned)(st->st_mode & 0777),
		                   (forbidden & 044) ? "read or change" : "change");
	return OE_OK;
}

static oe_result_t te_dev_open_dir(const char *path, int *dfd)
{
	struct stat st;
	oe_result_t r;
	int fd;

	r = te_dev_mkdirs(path);
	if (r != OE_OK)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return te_tee_fail(OE_READ_FAILED, "developer root: cannot open %s: %s", path,
		                   strerror(errno));
	if (fstat(fd, &st) != 0) {
		close(fd);
		return te_tee_fail(OE_READ_FAILED, "developer root: cannot stat %s", path);
	}
	r = te_dev_check_owner(&st, path, 022);
	if (r == OE_OK && flock(fd, LOCK_EX) != 0)
		r = te_tee_fail(OE_FAILURE, "developer root: cannot lock %s: %s", path,
		                strerror(errno));
	if (r != OE_OK) {
		close(fd);
		return r;
	}
	*dfd = fd;
	return OE_OK;
}

/* Reads dir/name (at most TE_DEV_FILE_MAX bytes) into a NUL-terminated
 * buffer; OE_NOT_FOUND, silently, when it does not exist. */
static oe_result_t te_dev_read(te_dev_files *f, const char *name, int secret, uint8_t **out,
                               size_t *out_size)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	oe_result_t r = OE_OK;
	int fd;

	fd = openat(f->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return OE_NOT_FOUND;
	if (fd < 0)
		return te_tee_fail(OE_READ_FAILED, "developer root: cannot open %s/%s: %s", f->dir,
		                   name, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = te_tee_fail(OE_READ_FAILED, "developer root: %s/%s is not a regular file",
		                f->dir, name);
		goto out;
	}
	r = te_dev_check_owner(&st, name, secret ? 077 : 022);
	if (r != OE_OK)
		goto out;
	if (st.st_size > (off_t)TE_DEV_FILE_MAX) {
		r = te_tee_fail(OE_READ_FAILED, "developer root: %s/%s is too large", f->dir, name);
		goto out;
	}
	buf = OPENSSL_zalloc((size_t)st.st_size + 1);
	if (!buf) {
		r = OE_OUT_OF_MEMORY;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = te_tee_fail(OE_READ_FAILED, "developer root: cannot read %s/%s", f->dir,
			                name);
			goto out;
		}
		got += (size_t)n;
	}
	*out = buf;
	*out_size = got;
	buf = NULL;
out:
	if (buf)
		OPENSSL_clear_free(buf, (size_t)st.st_size + 1);
	close(fd);
	return r;
}

/* Writes dir/name atomically: a temporary file, fsync, rename, fsync of
 * the directory.  Mode 0600. */
static oe_result_t te_dev_write(te_dev_files *f, const char *name, const void *data, size_t size)
{
	char tmp[64];
	const uint8_t *p = data;
	size_t done = 0;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return OE_UNEXPECTED;
	unlinkat(f->dfd, tmp, 0); /* left by a crash; we hold the lock */
	fd = openat(f->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return te_tee_fail(OE_FAILURE, "developer root: cannot create %s/%s: %s", f->dir,
		                   tmp, strerror(errno));
	while (done < size) {
		ssize_t w = write(fd, p + done, size - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done != size || fsync(fd) != 0) {
		close(fd);
		unlinkat(f->dfd, tmp, 0);
		return te_tee_fail(OE_FAILURE, "developer root: cannot write %s/%s", f->dir, name);
	}
	close(fd);
	if (renameat(f->dfd, tmp, f->dfd, name) != 0) {
		unlinkat(f->dfd, tmp, 0);
		return te_tee_fail(OE_FAILURE, "developer root: cannot rename %s/%s: %s", f->dir,
		                   tmp, strerror(errno));
	}
	fsync(f->dfd);
	return OE_OK;
}

/* --- root.secret ------------------------------------------------------------ */

static oe_result_t te_dev_secret(te_dev_files *f, uint8_t secret[TE_DEV_SECRET_SIZE])
{
	uint8_t *buf = NULL;
	size_t n = 0;
	oe_result_t r;

	r = te_dev_read(f, "root.secret", 1, &buf, &n);
	if (r == OE_NOT_FOUND) {
		if (RAND_priv_bytes(secret, TE_DEV_SECRET_SIZE) != 1)
			return te_tee_fail(OE_CRYPTO_ERROR, "developer root: no random bytes");
		r = te_dev_write(f, "root.secret", secret, TE_DEV_SECRET_SIZE);
		if (r != OE_OK)
			OPENSSL_cleanse(secret, TE_DEV_SECRET_SIZE);
		return r;
	}
	if (r != OE_OK)
		return r;
	if (n == TE_DEV_SECRET_SIZE)
		memcpy(secret, buf, TE_DEV_SECRET_SIZE);
	else
		r = te_tee_fail(OE_CRYPTO_ERROR,
		                "developer root: %s/root.secret is %zu bytes, "
		                "not %u",
		                f->dir, n, TE_DEV_SECRET_SIZE);
	OPENSSL_clear_free(buf, n + 1);
	return r;
}

/* --- the attestation key and the developer CA ----------------------------- */

static int te_dev_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1;
}

/* "<what> (uid N, host H)", the host name cut to fit a common name. */
static void te_dev_cn(char *cn, const char *what)
{
	char host[256] = "unknown";
	int fixed;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	fixed = snprintf(cn, TE_DEV_CN_MAX + 1, "%s (uid %u, host )", what, (unsigned)geteuid());
	if (fixed < 0 || fixed >= TE_DEV_CN_MAX)
		fixed = TE_DEV_CN_MAX;
	snprintf(cn, TE_DEV_CN_MAX + 1, "%s (uid %u, host %.*s)", what, (unsigned)geteuid(),
	         TE_DEV_CN_MAX - fixed, host);
}

/* A certificate for key, signed by signer (itself when issuer is NULL). */
static X509 *te_dev_cert(EVP_PKEY *key, const char *what, X509 *issuer, EVP_PKEY *signer)
{
	char cn[TE_DEV_CN_MAX + 1];
	uint8_t serial[16];
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	int ok = 0, ca = issuer == NULL;

	if (!x || !name || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x40; /* and the full 16 bytes long */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	te_dev_cn(cn, ca ? "trustedge TEE developer root" : "trustedge TEE developer attestation");
	if (!sn || X509_set_version(x, 2) != 1 || X509_set_serialNumber(x, sn) != 1)
		goto out;
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"trustedge",
	                               -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
	                               0) != 1)
		goto out;
	if (X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, ca ? name : X509_get_subject_name(issuer)) != 1)
		goto out;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), TE_DEV_CERT_DAYS, 0, NULL))
		goto out;
	if (X509_set_pubkey(x, key) != 1)
		goto out;
	if (ca)
		ok = te_dev_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
		     te_dev_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     te_dev_ext(x, x, NID_subject_key_identifier, "hash");
	else
		ok = te_dev_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
		     te_dev_ext(x, issuer, NID_key_usage, "critical,digitalSignature") &&
		     te_dev_ext(x, issuer, NID_subject_key_identifier, "hash") &&
		     te_dev_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	ok = ok && X509_sign(x, signer, EVP_sha256()) > 0;
out:
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The PEM of a certificate or a private key, as a malloc'd string. */
static char *te_dev_pem(X509 *cert, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s = NULL;
	long n;
	int ok;

	if (!b)
		return NULL;
	ok = cert ? PEM_write_bio_X509(b, cert)
	          : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &data);
	if (ok == 1 && n > 0 && (s = OPENSSL_zalloc((size_t)n + 1)))
		memcpy(s, data, (size_t)n);
	if (n > 0)
		OPENSSL_cleanse(data, (size_t)n); /* a private key went through it */
	BIO_free(b);
	return s;
}

/* Makes a new attestation key, a new CA (whose key is dropped after it
 * has signed) and the key's certificate, and writes the three files. */
static oe_result_t te_dev_make_attest(te_dev_files *f)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256");
	char *pem = NULL;
	oe_result_t r = OE_CRYPTO_ERROR;

	f->key = EVP_EC_gen("P-256");
	if (!ca_key || !f->key)
		goto out;
	f->ca = te_dev_cert(ca_key, NULL, NULL, ca_key);
	f->leaf = f->ca ? te_dev_cert(f->key, NULL, f->ca, ca_key) : NULL;
	if (!f->leaf)
		goto out;
	r = OE_OUT_OF_MEMORY;
	if (!(pem = te_dev_pem(NULL, f->key)))
		goto out;
	r = te_dev_write(f, "attest.key", pem, strlen(pem));
	OPENSSL_clear_free(pem, strlen(pem) + 1);
	pem = NULL;
	if (r != OE_OK)
		goto out;
	r = OE_OUT_OF_MEMORY;
	if (!(pem = te_dev_pem(f->leaf, NULL)))
		goto out;
	r = te_dev_write(f, "attest.crt", pem, strlen(pem));
	OPENSSL_free(pem);
	pem = NULL;
	if (r != OE_OK)
		goto out;
	r = OE_OUT_OF_MEMORY;
	if (!(pem = te_dev_pem(f->ca, NULL)))
		goto out;
	r = te_dev_write(f, "ca.crt", pem, strlen(pem));
	OPENSSL_free(pem);
out:
	if (r == OE_CRYPTO_ERROR)
		te_tee_fail(r, "developer root: cannot make the attestation key and certificates");
	EVP_PKEY_free(ca_key);
	return r;
}

static void te_dev_drop_attest(te_dev_files *f)
{
	EVP_PKEY_free(f->key);
	X509_free(f->ca);
	X509_free(f->leaf);
	f->key = NULL;
	f->ca = f->leaf = NULL;
}

/* The attestation files, in the order te_dev_attest reads them. */
enum { TE_DEV_KEY, TE_DEV_LEAF, TE_DEV_CA, TE_DEV_NFILES };
static const char *const te_dev_names[TE_DEV_NFILES] = {"attest.key", "attest.crt", "ca.crt"};

static oe_result_t te_dev_parse(te_dev_files *f, int which, uint8_t *pem, size_t n)
{
	BIO *b = BIO_new_mem_buf(pem, (int)n);
	int ok;

	if (!b)
		return OE_OUT_OF_MEMORY;
	switch (which) {
	case TE_DEV_KEY:
		ok = (f->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) != NULL;
		break;
	case TE_DEV_LEAF:
		ok = (f->leaf = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL;
		break;
	default:
		ok = (f->ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL;
		break;
	}
	BIO_free(b);
	if (!ok)
		return te_tee_fail(OE_CRYPTO_ERROR, "developer root: %s/%s is not a PEM %s", f->dir,
		                   te_dev_names[which],
		                   which == TE_DEV_KEY ? "private key" : "certificate");
	return OE_OK;
}

/* True when the three belong together: an EC P-256 key, its certificate,
 * issued by the self-signed CA. */
static int te_dev_consistent(te_dev_files *f)
{
	EVP_PKEY *ca_pub = X509_get0_pubkey(f->ca);
	char group[32] = "";
	size_t glen = 0;

	if (!EVP_PKEY_is_a(f->key, "EC") ||
	    EVP_PKEY_get_utf8_string_param(f->key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &glen) != 1 ||
	    strcmp(group, "prime256v1") != 0)
		return 0;
	return ca_pub && X509_check_private_key(f->leaf, f->key) == 1 &&
	       X509_verify(f->ca, ca_pub) == 1 && X509_verify(f->leaf, ca_pub) == 1;
}

/* Loads attest.key, attest.crt and ca.crt; makes all three anew when one
 * is missing or they do not belong together (a crash between two of the
 * renames), since the CA's key is gone and nothing can be repaired. */
static oe_result_t te_dev_attest(te_dev_files *f)
{
	int missing = 0;
	oe_result_t r = OE_OK;

	for (int i = 0; i < TE_DEV_NFILES && r == OE_OK; i++) {
		uint8_t *buf = NULL;
		size_t n = 0;

		r = te_dev_read(f, te_dev_names[i], i == TE_DEV_KEY, &buf, &n);
		if (r == OE_NOT_FOUND) {
			missing = 1;
			r = OE_OK;
			continue;
		}
		if (r == OE_OK)
			r = te_dev_parse(f, i, buf, n);
		OPENSSL_clear_free(buf, n + 1);
	}
	if (r != OE_OK)
		return r;
	if (!missing && te_dev_consistent(f))
		return OE_OK;
	te_dev_drop_attest(f);
	return te_dev_make_attest(f);
}

/* --- the ops table ---------------------------------------------------------- */

/* HKDF-Expand(PRK = root secret, info = label, L = 32): one block, which is
 * HMAC-SHA256(secret, label || 0x01). */
static oe_result_t te_dev_derive(te_rot *rot, const uint8_t *label, size_t label_size,
                                 uint8_t out[32])
{
	te_rot_dev *d = (te_rot_dev *)rot;
	static const uint8_t one = 1;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t n = 0;
	int ok;

	if (!label && label_size)
		return OE_INVALID_PARAMETER;
	ctx = EVP_MAC_CTX_new(d->hmac);
	if (!ctx)
		return OE_OUT_OF_MEMORY;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, d->secret, sizeof(d->secret), params) == 1 &&
	     (label_size == 0 || EVP_MAC_update(ctx, label, label_size) == 1) &&
	     EVP_MAC_update(ctx, &one, 1) == 1 && EVP_MAC_final(ctx, out, &n, 32) == 1 && n == 32;
	EVP_MAC_CTX_free(ctx);
	if (!ok) {
		OPENSSL_cleanse(out, 32);
		return OE_CRYPTO_ERROR;
	}
	return OE_OK;
}

static oe_result_t te_dev_sign(te_rot *rot, const uint8_t *tbs, size_t tbs_size, uint8_t *sig,
                               size_t *sig_size)
{
	te_rot_dev *d = (te_rot_dev *)rot;
	EVP_MD_CTX *ctx;
	size_t n = 0;
	oe_result_t r = OE_CRYPTO_ERROR;

	if ((!tbs && tbs_size) || !sig || !sig_size)
		return OE_INVALID_PARAMETER;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return OE_OUT_OF_MEMORY;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, d->attest_key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, tbs, tbs_size) != 1)
		goto out;
	if (n > *sig_size) {
		r = OE_BUFFER_TOO_SMALL;
		goto out;
	}
	n = *sig_size;
	if (EVP_DigestSign(ctx, sig, &n, tbs, tbs_size) != 1)
		goto out;
	*sig_size = n;
	r = OE_OK;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

static const char *te_dev_chain(te_rot *rot)
{
	return ((te_rot_dev *)rot)->chain;
}

static void te_dev_close(te_rot *rot)
{
	te_rot_dev *d = (te_rot_dev *)rot;

	OPENSSL_cleanse(d->secret, sizeof(d->secret));
	EVP_PKEY_free(d->attest_key);
	EVP_MAC_free(d->hmac);
	OPENSSL_free(d->chain);
	OPENSSL_clear_free(d, sizeof(*d));
}

static const te_rot_ops te_rot_dev_ops = {
    .version = TE_ROT_OPS_VERSION,
    .name = "developer",
    .derive = te_dev_derive,
    .sign = te_dev_sign,
    .chain = te_dev_chain,
    .close = te_dev_close,
};

/* attest.crt's PEM followed by ca.crt's. */
static char *te_dev_chain_pem(te_dev_files *f)
{
	char *leaf = te_dev_pem(f->leaf, NULL), *ca = te_dev_pem(f->ca, NULL), *s = NULL;

	if (leaf && ca && (s = OPENSSL_zalloc(strlen(leaf) + strlen(ca) + 1))) {
		memcpy(s, leaf, strlen(leaf));
		memcpy(s + strlen(leaf), ca, strlen(ca) + 1);
	}
	OPENSSL_free(leaf);
	OPENSSL_free(ca);
	return s;
}

oe_result_t te_rot_dev_open(const char *dir, te_rot **out)
{
	char path[PATH_MAX];
	te_dev_files f = {.dir = path, .dfd = -1};
	te_rot_dev *d = NULL;
	oe_result_t r;

	if (!out)
		return OE_INVALID_PARAMETER;
	*out = NULL;
	r = te_dev_path(dir, path, sizeof(path));
	if (r != OE_OK)
		return r;
	r = te_dev_open_dir(path, &f.dfd);
	if (r != OE_OK)
		return r;
	d = OPENSSL_zalloc(sizeof(*d));
	if (!d) {
		r = OE_OUT_OF_MEMORY;
		goto out;
	}
	d->base.ops = &te_rot_dev_ops;
	d->base.flags = TE_ROT_FLAG_DEVELOPER;
	r = te_dev_secret(&f, d->secret);
	if (r != OE_OK)
		goto out;
	r = te_dev_attest(&f);
	if (r != OE_OK)
		goto out;
	d->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	d->chain = te_dev_chain_pem(&f);
	if (!d->hmac || !d->chain) {
		r = te_tee_fail(OE_CRYPTO_ERROR, "developer root: OpenSSL has no HMAC or PEM");
		goto out;
	}
	d->attest_key = f.key;
	f.key = NULL;
	*out = &d->base;
	d = NULL;
out:
	if (d)
		te_dev_close(&d->base);
	te_dev_drop_attest(&f);
	if (f.dfd >= 0)
		close(f.dfd); /* and the lock with it */
	return r;
}
