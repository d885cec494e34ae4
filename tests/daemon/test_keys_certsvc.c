/*
 * test_keys_certsvc.c - the certificates service in the keys process
 * (keys_certsvc.c), driven like the API process drives it: CERTSVC_REQ
 * messages through te_keys_handle, on the soft backend with an
 * auto-generated edge CA in a temporary directory, with principals
 *
 *   uid 1000: test-*      uid 1001: other-*      uid 2000: *
 *
 * Issuance from CSRs made here with OpenSSL: by the edge CA (the chain
 * verified against the trust bundle with X509_V_FLAG_X509_STRICT, the
 * profile checked field by field), by a CA the caller imported and whose
 * key it names by keys-service handle, and self-signed by a handle's key.
 * Refusals: a CSR whose signature does not verify, that is no CSR, asks
 * for a CA, for both EKUs, for other names, wildcards or azureiot URIs
 * from the edge CA, with a weak key or no CN; issuer handles forged, of
 * another key, of another principal's key; ids outside the caller's globs
 * and the daemon's own entries (read-only, with audit lines); import, get
 * and delete; and the dispatch contract.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon/ipc.h"
#include "daemon/keyhandle.h"
#include "daemon/keys.h"
#include "daemon/keys_certsvc.h"
#include "testutil.h"
#include "trustedge/te_cert.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_hsm.h"

#define DEVICE_KEY  "device-sas"
#define ENCRYPT_KEY "workload-encrypt"
#define OWNER       1000u
#define OTHER       1001u
#define ANYONE      2000u
#define NOBODY      4242u
#define DAY         86400

static const uint8_t device_bytes[32] = {1, 2, 3};

struct fx {
	char *dir;
	char *store_dir;
	te_hsm *hsm;
	te_keys *keys;
	te_daemon_config dc;
	te_daemon_principal pr[3];
	te_ipc_msg *req;
	te_ipc_msg *rep;
	te_ipc_certsvc_reply cr; /* the last reply, pointing into rep */
	char pem[TE_IPC_CERTSVC_PEM_MAX + 1];
};

static char *globs_owner[] = {"test-*"};
static char *globs_other[] = {"other-*"};
static char *globs_any[] = {"*"};

static void open_keys(struct fx *f, int with_store)
{
	te_keys_config cfg = {DEVICE_KEY, ENCRYPT_KEY};
	te_keys_cert_config cc;

	memset(&cc, 0, sizeof(cc));
	cc.cert_store = with_store ? f->store_dir : NULL;
	cc.device_id = "dev-1";
	cc.keys_service = &f->dc;
	assert_int_equal(te_keys_open_with_certs(f->hsm, &cfg, &cc, &f->keys), TE_OK);
}

static int setup_n(void **state, size_t n_principals)
{
	struct fx *f = calloc(1, sizeof(*f));
	te_hsm_key_attrs dev = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE, 0};
	te_hsm_setting s[1];

	assert_non_null(f);
	f->dir = tu_tempdir("certsvc");
	f->store_dir = tu_path(f->dir, "certs");
	s[0] = (te_hsm_setting){"store", f->dir};
	assert_int_equal(te_hsm_open("soft", s, 1, &f->hsm), TE_OK);
	assert_int_equal(
	    te_hsm_key_import(f->hsm, DEVICE_KEY, &dev, device_bytes, sizeof(device_bytes)), TE_OK);
	f->pr[0] = (te_daemon_principal){OWNER, globs_owner, 1};
	f->pr[1] = (te_daemon_principal){OTHER, globs_other, 1};
	f->pr[2] = (te_daemon_principal){ANYONE, globs_any, 1};
	f->dc.principals = f->pr;
	f->dc.n_principals = n_principals;
	f->req = calloc(1, sizeof(*f->req));
	f->rep = calloc(1, sizeof(*f->rep));
	assert_non_null(f->req);
	assert_non_null(f->rep);
	open_keys(f, 1);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, 3);
}

static int setup_no_principals(void **state)
{
	return setup_n(state, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	te_keys_close(f->keys);
	te_hsm_close(f->hsm);
	free(f->store_dir);
	tu_rmtree(f->dir);
	te_ipc_msg_wipe(f->req);
	te_ipc_msg_wipe(f->rep);
	free(f->req);
	free(f->rep);
	free(f);
	return 0;
}

/* ---- requests ---- */

static void q_init(te_ipc_certsvc_req *q, uint32_t uid, uint8_t op, const char *cert_id)
{
	memset(q, 0, sizeof(*q));
	q->uid = uid;
	q->op = op;
	snprintf(q->cert_id, sizeof(q->cert_id), "%s", cert_id);
}

/* Sends q; returns the reply's status (f->cr holds the reply, f->pem the
 * PEM of a PEM reply). */
static unsigned call(struct fx *f, const te_ipc_certsvc_req *q)
{
	assert_int_equal(te_ipc_certsvc_req_encode(q, f->req), TE_OK);
	f->req->id = 77;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->id, 77);
	assert_int_equal(f->rep->type, TE_IPC_CERTSVC_REPLY);
	assert_int_equal(te_ipc_certsvc_reply_decode(f->rep, &f->cr), TE_OK);
	f->pem[0] = '\0';
	if (f->cr.kind == TE_IPC_CERTSVC_REPLY_PEM) {
		memcpy(f->pem, f->cr.payload, f->cr.payload_len);
		f->pem[f->cr.payload_len] = '\0';
	}
	return f->cr.status;
}

/* The last reply was a refusal with this status and message. */
static void refused(struct fx *f, unsigned status, const char *msg)
{
	char got[TE_IPC_CERTSVC_MSG_MAX + 1];

	assert_int_equal(f->cr.kind, TE_IPC_CERTSVC_REPLY_MESSAGE);
	memcpy(got, f->cr.payload, f->cr.payload_len);
	got[f->cr.payload_len] = '\0';
	if (f->cr.status != status || (msg != NULL && strcmp(got, msg) != 0))
		fail_msg("expected %u '%s', got %u '%s'", status, msg ? msg : "*",
		         (unsigned)f->cr.status, got);
}

static unsigned create(struct fx *f, uint32_t uid, const char *id, const uint8_t *csr, size_t n,
                       const char *issuer, const char *handle)
{
	te_ipc_certsvc_req q;

	q_init(&q, uid, TE_IPC_CERTSVC_CREATE, id);
	q.csr = csr;
	q.csr_len = n;
	if (issuer != NULL) {
		snprintf(q.issuer_cert_id, sizeof(q.issuer_cert_id), "%s", issuer);
		snprintf(q.issuer_handle, sizeof(q.issuer_handle), "%s", handle);
	}
	return call(f, &q);
}

static unsigned import(struct fx *f, uint32_t uid, const char *id, const char *pem)
{
	te_ipc_certsvc_req q;

	q_init(&q, uid, TE_IPC_CERTSVC_IMPORT, id);
	q.pem = pem;
	q.pem_len = strlen(pem);
	return call(f, &q);
}

static unsigned by_id(struct fx *f, uint32_t uid, uint8_t op, const char *id)
{
	te_ipc_certsvc_req q;

	q_init(&q, uid, op, id);
	return call(f, &q);
}

/* A key pair through the keys service; its handle into out. */
static void keypair(struct fx *f, uint32_t uid, const char *id, char *out)
{
	te_ipc_keysvc_req q;
	te_ipc_keysvc_reply kr;

	memset(&q, 0, sizeof(q));
	q.uid = uid;
	q.op = TE_IPC_KEYSVC_KEYPAIR_CREATE;
	snprintf(q.key_id, sizeof(q.key_id), "%s", id);
	q.prefs[0] = TE_IPC_KEYSVC_PREF_EC_P256;
	q.n_prefs = 1;
	assert_int_equal(te_ipc_keysvc_req_encode(&q, f->req), TE_OK);
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(te_ipc_keysvc_reply_decode(f->rep, &kr), TE_OK);
	assert_int_equal(kr.status, 200);
	assert_int_equal(kr.kind, TE_IPC_KEYSVC_REPLY_HANDLE);
	memcpy(out, kr.payload, kr.payload_len);
	out[kr.payload_len] = '\0';
}

/* ---- CSRs and certificates ---- */

static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}

static void add_ext(STACK_OF(X509_EXTENSION) * *exts, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, NULL, nid, value);

	assert_non_null(e);
	assert_true(sk_X509_EXTENSION_push(*exts, e) > 0);
}

/* CSR options; NULL: not in the CSR. */
struct csr_opts {
	const char *cn;
	const char *org;
	const char *san; /* "DNS:a,IP:1.2.3.4" */
	const char *eku; /* "serverAuth" */
	const char *bc;  /* "critical,CA:TRUE" */
	int crit_unknown;
};

/* DER of a CSR for key, signed by sign_key (the key itself normally). */
static uint8_t *csr_der(EVP_PKEY *key, EVP_PKEY *sign_key, const struct csr_opts *o, size_t *n)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	uint8_t *der = NULL;
	int len;

	assert_non_null(req);
	assert_non_null(name);
	assert_non_null(exts);
	if (o->org != NULL)
		assert_true(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
		                                       (const unsigned char *)o->org, -1, -1, 0));
	if (o->cn != NULL)
		assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		                                       (const unsigned char *)o->cn, -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
	                                       (const unsigned char *)"dropped", -1, -1, 0));
	assert_true(X509_REQ_set_subject_name(req, name));
	assert_true(X509_REQ_set_pubkey(req, key));
	if (o->san != NULL)
		add_ext(&exts, NID_subject_alt_name, o->san);
	if (o->eku != NULL)
		add_ext(&exts, NID_ext_key_usage, o->eku);
	if (o->bc != NULL)
		add_ext(&exts, NID_basic_constraints, o->bc);
	if (o->crit_unknown) {
		X509_EXTENSION *e = X509V3_EXT_nconf(NULL, NULL, "1.2.3.4", "critical,DER:0500");
		assert_non_null(e);
		assert_true(sk_X509_EXTENSION_push(exts, e) > 0);
	}
	if (sk_X509_EXTENSION_num(exts) > 0)
		assert_true(X509_REQ_add_extensions(req, exts));
	assert_true(X509_REQ_sign(
	    req, sign_key,
	    EVP_PKEY_get_base_id(sign_key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()));
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	*n = (size_t)len;
	X509_REQ_free(req);
	X509_NAME_free(name);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return der;
}

/* The certificates of a PEM text. */
static STACK_OF(X509) * pem_certs(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	STACK_OF(X509) *st = sk_X509_new_null();
	X509 *x;

	assert_non_null(b);
	assert_non_null(st);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		assert_true(sk_X509_push(st, x) > 0);
	ERR_clear_error();
	BIO_free(b);
	return st;
}

/* The trust bundle modules get (TRUST_BUNDLE_REQ). */
static STACK_OF(X509) * trust_bundle(struct fx *f)
{
	te_ipc_bundle_reply br;
	char *pem;
	STACK_OF(X509) * st;

	assert_int_equal(te_ipc_trust_bundle_req_encode(f->req), TE_OK);
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(te_ipc_bundle_reply_decode(f->rep, &br), TE_OK);
	pem = strndup(br.pem, br.pem_len);
	assert_non_null(pem);
	st = pem_certs(pem);
	free(pem);
	return st;
}

/* Verifies leaf (first of chain) with the rest of chain as untrusted
 * intermediates against roots, strictly; X509_V_OK or the error. */
static int verify_strict(STACK_OF(X509) * chain, STACK_OF(X509) * roots, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_dup(chain);
	X509 *leaf = sk_X509_shift(untrusted);
	int err;

	assert_non_null(store);
	assert_non_null(ctx);
	for (int i = 0; i < sk_X509_num(roots); i++)
		assert_true(X509_STORE_add_cert(store, sk_X509_value(roots, i)));
	assert_true(X509_STORE_CTX_init(ctx, store, leaf, untrusted));
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
	if (purpose != 0)
		assert_true(X509_STORE_CTX_set_purpose(ctx, purpose));
	err = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	return err;
}

static int has_eku(X509 *x, int nid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	int hit = 0;

	for (int i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
		hit |= OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid;
	EXTENDED_KEY_USAGE_free(eku);
	return hit;
}

static int64_t not_after(X509 *x)
{
	int64_t na = 0;

	assert_int_equal(te_cert_validity(x, NULL, &na), TE_OK);
	return na;
}

/* The text of a certificate (for checking names). */
static char *cert_text(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *s;
	long n;

	assert_non_null(b);
	assert_true(X509_print(b, x));
	n = BIO_get_mem_data(b, &p);
	s = strndup(p, (size_t)n);
	BIO_free(b);
	return s;
}

/* Runs op with stderr in a file and returns what was logged (malloc'd). */
struct logcap {
	int saved;
	char *path;
};

static void log_start(struct fx *f, struct logcap *c)
{
	int fd;

	c->path = tu_path(f->dir, "log.txt");
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static char *log_end(struct logcap *c)
{
	uint8_t *data = NULL;
	size_t n = 0;
	char *s;

	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	assert_int_equal(tu_read_file(c->path, &data, &n), 0);
	s = malloc(n + 1);
	assert_non_null(s);
	if (n > 0)
		memcpy(s, data, n);
	s[n] = '\0';
	free(data);
	free(c->path);
	return s;
}

static void has_line(const char *log, const char *line)
{
	if (strstr(log, line) == NULL)
		fail_msg("no '%s' in the log:\n%s", line, log);
}

/* ---- tests ---- */

static void test_issue_by_edge_ca(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *key = ec_key();
	struct csr_opts o = {"leaf.example", "Contoso", "DNS:leaf.example,DNS:edgehub,IP:10.0.0.1",
	                     "serverAuth",   NULL,      0};
	size_t n;
	uint8_t *der = csr_der(key, key, &o, &n);
	STACK_OF(X509) * chain, *roots = trust_bundle(f);
	X509 *leaf;
	BASIC_CONSTRAINTS *bc;
	char *text, stored[TE_IPC_CERTSVC_PEM_MAX + 1];
	int64_t now = (int64_t)time(NULL);

	assert_int_equal(create(f, OWNER, "test-leaf", der, n, NULL, NULL), 201);
	assert_int_equal(f->cr.kind, TE_IPC_CERTSVC_REPLY_PEM);
	snprintf(stored, sizeof(stored), "%s", f->pem);
	chain = pem_certs(f->pem);
	/* The leaf and the edge CA, which is the trust bundle's root. */
	assert_int_equal(sk_X509_num(chain), 2);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 1), sk_X509_value(roots, 0)), 0);
	assert_int_equal(verify_strict(chain, roots, X509_PURPOSE_SSL_SERVER), X509_V_OK);
	leaf = sk_X509_value(chain, 0);
	/* The CSR's key, a leaf, serverAuth only, the CSR's names. */
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(leaf), key), 1);
	bc = X509_get_ext_d2i(leaf, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_int_equal(bc->ca, 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(has_eku(leaf, NID_server_auth));
	assert_false(has_eku(leaf, NID_client_auth));
	text = cert_text(leaf);
	assert_non_null(strstr(text, "CN=leaf.example"));
	assert_non_null(strstr(text, "O=Contoso"));
	assert_null(strstr(text, "dropped")); /* OU is not copied */
	assert_non_null(strstr(text, "DNS:leaf.example"));
	assert_non_null(strstr(text, "DNS:edgehub"));
	assert_non_null(strstr(text, "IP Address:10.0.0.1"));
	free(text);
	/* At most 90 days. */
	assert_true(not_after(leaf) <= now + 90 * DAY + 5);
	assert_true(not_after(leaf) >= now + 89 * DAY);
	/* Stored: GET answers the same PEM. */
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_GET, "test-leaf"), 200);
	assert_string_equal(f->pem, stored);
	/* Issuing again replaces the entry (the reference's behaviour). */
	assert_int_equal(create(f, OWNER, "test-leaf", der, n, NULL, NULL), 201);
	assert_string_not_equal(f->pem, stored);

	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(roots, X509_free);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

static void test_issue_profiles(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *key = ec_key();
	EVP_PKEY *other = ec_key();
	EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	STACK_OF(X509) * chain, *roots = trust_bundle(f);
	struct csr_opts o;
	size_t n;
	uint8_t *der;

	assert_non_null(rsa1024);
	assert_non_null(ed);
	/* No EKU asked: clientAuth. */
	o = (struct csr_opts){"client-1", NULL, NULL, NULL, NULL, 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-client", der, n, NULL, NULL), 201);
	chain = pem_certs(f->pem);
	assert_true(has_eku(sk_X509_value(chain, 0), NID_client_auth));
	assert_false(has_eku(sk_X509_value(chain, 0), NID_server_auth));
	assert_int_equal(verify_strict(chain, roots, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	sk_X509_pop_free(chain, X509_free);
	OPENSSL_free(der);
	/* The same from PEM text, and basicConstraints CA:FALSE asked for. */
	{
		X509_REQ *req;
		const unsigned char *p;
		BIO *b = BIO_new(BIO_s_mem());
		char *pem = NULL;
		long len;

		o = (struct csr_opts){"client-2", NULL, NULL, "clientAuth", "CA:FALSE", 0};
		der = csr_der(key, key, &o, &n);
		p = der;
		req = d2i_X509_REQ(NULL, &p, (long)n);
		assert_non_null(req);
		assert_true(PEM_write_bio_X509_REQ(b, req));
		len = BIO_get_mem_data(b, &pem);
		assert_int_equal(
		    create(f, OWNER, "test-client2", (const uint8_t *)pem, (size_t)len, NULL, NULL),
		    201);
		BIO_free(b);
		X509_REQ_free(req);
		OPENSSL_free(der);
	}
	/* Ed25519 is fine. */
	o = (struct csr_opts){"ed", NULL, "DNS:ed.example", "serverAuth", NULL, 0};
	der = csr_der(ed, ed, &o, &n);
	assert_int_equal(create(f, OWNER, "test-ed", der, n, NULL, NULL), 201);
	OPENSSL_free(der);

	/* Refusals. */
	o = (struct csr_opts){"x", NULL, NULL, "serverAuth,clientAuth", NULL, 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "the CSR asks for both serverAuth and clientAuth; ask for one");
	OPENSSL_free(der);
	o = (struct csr_opts){"x", NULL, NULL, "codeSigning", NULL, 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400,
	        "the CSR asks for an extended key usage other than serverAuth or clientAuth");
	OPENSSL_free(der);
	o = (struct csr_opts){"x", NULL, NULL, NULL, "critical,CA:TRUE", 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400,
	        "the CSR asks for a CA certificate; this service issues leaf certificates only");
	OPENSSL_free(der);
	o = (struct csr_opts){"x", NULL, "email:a@b.example", NULL, NULL, 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "the CSR asks for a name other than DNS, IP address or URI");
	OPENSSL_free(der);
	o = (struct csr_opts){"x", NULL, "DNS:*.example", "serverAuth", NULL, 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "the edge CA does not certify wildcard names");
	OPENSSL_free(der);
	o = (struct csr_opts){"x",  NULL, "URI:AzureIoT://hub/devices/d/modules/$edgeHub",
	                      NULL, NULL, 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "azureiot: names are issued by the workload API only");
	OPENSSL_free(der);
	o = (struct csr_opts){"x", NULL, "DNS:bad_name!", NULL, NULL, 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "the CSR's subject or names are not valid for a certificate");
	OPENSSL_free(der);
	o = (struct csr_opts){"x", NULL, NULL, NULL, NULL, 1};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "the CSR asks for a critical extension that is not issued");
	OPENSSL_free(der);
	o = (struct csr_opts){NULL, "org only", NULL, NULL, NULL, 0};
	der = csr_der(key, key, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "the CSR's subject has no common name");
	OPENSSL_free(der);
	o = (struct csr_opts){"weak", NULL, NULL, NULL, NULL, 0};
	der = csr_der(rsa1024, rsa1024, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400,
	        "the CSR's key must be EC P-256, P-384 or P-521, RSA of 2048 to 8192 bits, or "
	        "Ed25519");
	OPENSSL_free(der);
	/* A CSR signed by another key than its own: no proof of possession. */
	o = (struct csr_opts){"x", NULL, NULL, NULL, NULL, 0};
	der = csr_der(key, other, &o, &n);
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "the CSR's signature does not verify with its key");
	OPENSSL_free(der);
	/* A good CSR with one bit of its signature flipped. */
	der = csr_der(key, key, &o, &n);
	der[n - 1] ^= 0x01;
	assert_int_equal(create(f, OWNER, "test-x", der, n, NULL, NULL), 400);
	refused(f, 400, "the CSR's signature does not verify with its key");
	/* Not a CSR at all; a CSR with a byte more. */
	assert_int_equal(create(f, OWNER, "test-x", (const uint8_t *)"hello", 5, NULL, NULL), 400);
	refused(f, 400, "field 'csr' is not a certificate signing request");
	der[n - 1] ^= 0x01;
	{
		uint8_t *longer = malloc(n + 1);

		assert_non_null(longer);
		memcpy(longer, der, n);
		longer[n] = 0;
		assert_int_equal(create(f, OWNER, "test-x", longer, n + 1, NULL, NULL), 400);
		refused(f, 400, "field 'csr' is not a certificate signing request");
		free(longer);
	}
	OPENSSL_free(der);
	/* Nothing was stored for the refused requests. */
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_GET, "test-x"), 404);
	refused(f, 404, "certificate not found");

	sk_X509_pop_free(roots, X509_free);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(ed);
}

/* b's bytes as a C string (te_buf does not terminate them). */
static const char *cstr(te_buf *b)
{
	assert_int_equal(te_buf_reserve(b, 1), TE_OK);
	b->data[b->len] = '\0';
	return (const char *)b->data;
}

/* A self-signed root CA for HSM key key_id, its PEM into out. */
static void hsm_root_ca(struct fx *f, const char *key_id, const char *cn, te_buf *out)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	te_cert_request r;

	memset(&r, 0, sizeof(r));
	r.profile = TE_CERT_ROOT_CA;
	r.common_name = cn;
	r.lifetime = 365 * DAY;
	assert_int_equal(te_hsm_key_evp(f->hsm, key_id, &k), TE_OK);
	assert_int_equal(te_cert_issue(&r, k, NULL, k, (int64_t)time(NULL), &x), TE_OK);
	assert_int_equal(te_cert_pem_append(x, NULL, out), TE_OK);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_issuer_handle(void **state)
{
	struct fx *f = *state;
	char h_ca[TE_KEYHANDLE_TEXT_MAX + 1], h_other[TE_KEYHANDLE_TEXT_MAX + 1],
	    h_foreign[TE_KEYHANDLE_TEXT_MAX + 1], forged[TE_KEYHANDLE_TEXT_MAX + 1];
	EVP_PKEY *key = ec_key();
	struct csr_opts o = {"device-leaf", NULL, "DNS:device.example", "clientAuth", NULL, 0};
	size_t n;
	uint8_t *der = csr_der(key, key, &o, &n);
	STACK_OF(X509) * chain, *roots;
	te_buf ca_pem;
	int64_t ca_na;

	te_buf_init(&ca_pem, 0);
	keypair(f, OWNER, "test-ca-key", h_ca);
	keypair(f, OWNER, "test-other-key", h_other);
	keypair(f, OTHER, "other-key", h_foreign);
	hsm_root_ca(f, "test-ca-key", "caller's root", &ca_pem);
	/* The caller's CA, imported. */
	assert_int_equal(import(f, OWNER, "test-ca", cstr(&ca_pem)), 201);
	roots = pem_certs(cstr(&ca_pem));
	ca_na = not_after(sk_X509_value(roots, 0));

	assert_int_equal(create(f, OWNER, "test-dev", der, n, "test-ca", h_ca), 201);
	chain = pem_certs(f->pem);
	/* The leaf, then the issuer's stored PEM. */
	assert_int_equal(sk_X509_num(chain), 2);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 1), sk_X509_value(roots, 0)), 0);
	assert_int_equal(verify_strict(chain, roots, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	assert_true(not_after(sk_X509_value(chain, 0)) <= ca_na);
	sk_X509_pop_free(chain, X509_free);
	/* It does not chain to the edge CA. */
	{
		STACK_OF(X509) *edge = trust_bundle(f);

		assert_int_equal(create(f, OWNER, "test-dev", der, n, "test-ca", h_ca), 201);
		chain = pem_certs(f->pem);
		assert_int_not_equal(verify_strict(chain, edge, 0), X509_V_OK);
		sk_X509_pop_free(chain, X509_free);
		sk_X509_pop_free(edge, X509_free);
	}

	/* The handle of another key: not the issuer's. */
	assert_int_equal(create(f, OWNER, "test-dev", der, n, "test-ca", h_other), 400);
	refused(f, 400, "field 'issuer.privateKeyHandle' is not the issuer certificate's key");
	/* A forged handle: one character changed. */
	snprintf(forged, sizeof(forged), "%s", h_ca);
	forged[12] = forged[12] == 'A' ? 'B' : 'A';
	assert_int_equal(create(f, OWNER, "test-dev", der, n, "test-ca", forged), 400);
	refused(f, 400, "invalid key handle");
	/* Another principal's key, though a genuine handle. */
	assert_int_equal(create(f, OWNER, "test-dev", der, n, "test-ca", h_foreign), 403);
	refused(f, 403, "the caller may not use this key");
	/* An issuer that is not there, or not a CA (the leaf just made). */
	assert_int_equal(create(f, OWNER, "test-dev", der, n, "test-none", h_ca), 400);
	refused(f, 400, "the issuer certificate was not found");
	assert_int_equal(create(f, OWNER, "test-dev2", der, n, "test-dev", h_ca), 400);
	refused(f, 400, "the issuer certificate is not a CA that may sign certificates");
	/* An issuer outside the caller's globs. */
	assert_int_equal(create(f, OWNER, "test-dev", der, n, "other-ca", h_ca), 403);
	refused(f, 403, "the caller may not use this certificate");
	/* Whoever holds the handle but not the principal. */
	assert_int_equal(create(f, OTHER, "other-dev", der, n, "other-ca", h_ca), 400);
	refused(f, 400, "the issuer certificate was not found");
	assert_int_equal(import(f, OTHER, "other-ca", cstr(&ca_pem)), 201);
	assert_int_equal(create(f, OTHER, "other-dev", der, n, "other-ca", h_ca), 403);
	refused(f, 403, "the caller may not use this key");
	/* A handle outlives its key: deleted, then made again as a secret key. */
	assert_int_equal(te_hsm_key_delete(f->hsm, "test-other-key"), TE_OK);
	assert_int_equal(create(f, OWNER, "test-dev", der, n, "test-ca", h_other), 400);
	refused(f, 400, "field 'issuer.privateKeyHandle' names a key that does not exist");
	{
		const te_hsm_key_attrs hmac = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};

		assert_int_equal(te_hsm_key_create(f->hsm, "test-other-key", &hmac), TE_OK);
		assert_int_equal(create(f, OWNER, "test-dev", der, n, "test-ca", h_other), 400);
		refused(f, 400,
		        "field 'issuer.privateKeyHandle' names a key that is not a key pair");
	}
	/* The edge CA's certificate as issuer: its key has no handle. */
	assert_int_equal(create(f, ANYONE, "any-dev", der, n, "edge-ca", h_ca), 400);
	refused(f, 400, "field 'issuer.privateKeyHandle' is not the issuer certificate's key");

	sk_X509_pop_free(roots, X509_free);
	te_buf_free(&ca_pem);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

static void test_self_signed(void **state)
{
	struct fx *f = *state;
	char h_self[TE_KEYHANDLE_TEXT_MAX + 1], h_other[TE_KEYHANDLE_TEXT_MAX + 1];
	EVP_PKEY *hk = NULL;
	X509_REQ *csr = NULL;
	te_cert_request r;
	uint8_t *der = NULL;
	int len;
	STACK_OF(X509) * chain;
	X509 *x;

	keypair(f, OWNER, "test-self-key", h_self);
	keypair(f, OWNER, "test-nother-key", h_other);
	/* A CSR signed in the HSM by the key the handle names. */
	memset(&r, 0, sizeof(r));
	r.profile = TE_CERT_SERVER;
	r.common_name = "self.example";
	r.lifetime = DAY;
	assert_int_equal(te_hsm_key_evp(f->hsm, "test-self-key", &hk), TE_OK);
	assert_int_equal(te_cert_csr_create(hk, &r, &csr), TE_OK);
	len = i2d_X509_REQ(csr, &der);
	assert_true(len > 0);

	assert_int_equal(create(f, OWNER, "test-self", der, (size_t)len, "test-self", h_self), 201);
	chain = pem_certs(f->pem);
	assert_int_equal(sk_X509_num(chain), 1);
	x = sk_X509_value(chain, 0);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_verify(x, hk), 1);
	sk_X509_pop_free(chain, X509_free);
	/* Another key than the CSR's. */
	assert_int_equal(create(f, OWNER, "test-self", der, (size_t)len, "test-self", h_other),
	                 400);
	refused(f, 400, "field 'issuer.privateKeyHandle' is not the CSR's key");

	OPENSSL_free(der);
	X509_REQ_free(csr);
	EVP_PKEY_free(hk);
}

static void test_import_get_delete(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *key = ec_key();
	STACK_OF(X509) *roots = trust_bundle(f);
	te_buf pem;
	BIO *b = BIO_new(BIO_s_mem());
	char *kp = NULL, *mixed;
	long kn;

	/* A certificate with a private key pasted after it. */
	te_buf_init(&pem, 0);
	assert_int_equal(te_cert_pem_append(sk_X509_value(roots, 0), NULL, &pem), TE_OK);
	assert_true(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL));
	kn = BIO_get_mem_data(b, &kp);
	mixed = calloc(1, pem.len + (size_t)kn + 1);
	assert_non_null(mixed);
	memcpy(mixed, kp, (size_t)kn);
	memcpy(mixed + kn, pem.data, pem.len);
	assert_int_equal(import(f, OWNER, "test-imp", mixed), 201);
	/* Only the certificate is kept. */
	assert_null(strstr(f->pem, "PRIVATE KEY"));
	assert_int_equal(strlen(f->pem), pem.len);
	assert_memory_equal(f->pem, pem.data, pem.len);
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_GET, "test-imp"), 200);
	assert_memory_equal(f->pem, pem.data, pem.len);
	assert_null(strstr(f->pem, "PRIVATE KEY"));
	/* Replaced by another import. */
	assert_int_equal(import(f, OWNER, "test-imp", cstr(&pem)), 201);
	/* Not certificates. */
	assert_int_equal(import(f, OWNER, "test-bad",
	                        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
	                 400);
	refused(f, 400, "field 'pem' does not hold PEM certificates");
	{
		char *key_only = strndup(kp, (size_t)kn);

		assert_non_null(key_only);
		assert_int_equal(import(f, OWNER, "test-bad", key_only), 400);
		refused(f, 400, "field 'pem' does not hold PEM certificates");
		free(key_only);
	}
	/* Delete: 204, then gone; deleting again is 204 too. */
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_DELETE, "test-imp"), 204);
	assert_int_equal(f->cr.kind, TE_IPC_CERTSVC_REPLY_NONE);
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_GET, "test-imp"), 404);
	refused(f, 404, "certificate not found");
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_DELETE, "test-imp"), 204);

	free(mixed);
	BIO_free(b);
	te_buf_free(&pem);
	sk_X509_pop_free(roots, X509_free);
	EVP_PKEY_free(key);
}

static void test_principals(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *key = ec_key();
	struct csr_opts o = {"p", NULL, NULL, NULL, NULL, 0};
	size_t n;
	uint8_t *der = csr_der(key, key, &o, &n);
	struct logcap cap;
	char *log;

	assert_int_equal(create(f, OWNER, "test-p", der, n, NULL, NULL), 201);
	log_start(f, &cap);
	/* Another uid's globs, no principal, root without one. */
	assert_int_equal(by_id(f, OTHER, TE_IPC_CERTSVC_GET, "test-p"), 403);
	refused(f, 403, "the caller may not use this certificate");
	assert_int_equal(by_id(f, OTHER, TE_IPC_CERTSVC_DELETE, "test-p"), 403);
	assert_int_equal(import(f, OTHER, "test-p", "-----BEGIN CERTIFICATE-----\n"), 403);
	assert_int_equal(create(f, OTHER, "test-p", der, n, NULL, NULL), 403);
	assert_int_equal(by_id(f, NOBODY, TE_IPC_CERTSVC_GET, "test-p"), 403);
	assert_int_equal(by_id(f, 0, TE_IPC_CERTSVC_GET, "test-p"), 403);
	/* The owner outside its globs. */
	assert_int_equal(create(f, OWNER, "prod-cert", der, n, NULL, NULL), 403);
	/* Allowed. */
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_GET, "test-p"), 200);
	assert_int_equal(by_id(f, ANYONE, TE_IPC_CERTSVC_GET, "test-p"), 200);
	log = log_end(&cap);
	has_line(log, "audit: caller uid=1001 op=cert-get cert=test-p result=denied");
	has_line(log, "audit: caller uid=1001 op=cert-delete cert=test-p result=denied");
	has_line(log, "audit: caller uid=1001 op=cert-import cert=test-p result=denied");
	has_line(log, "audit: caller uid=1001 op=cert-create cert=test-p result=denied");
	has_line(log, "audit: caller uid=4242 op=cert-get cert=test-p result=denied");
	has_line(log, "audit: caller uid=0 op=cert-get cert=test-p result=denied");
	has_line(log, "audit: caller uid=1000 op=cert-create cert=prod-cert result=denied");
	has_line(log, "audit: caller uid=1000 op=cert-get cert=test-p result=allowed status=200");
	/* A refused caller learns nothing: still there for its owner. */
	assert_null(strstr(log, "BEGIN CERTIFICATE"));
	free(log);
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_GET, "test-p"), 200);

	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

static void test_reserved_ids(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *key = ec_key();
	struct csr_opts o = {"r", NULL, NULL, NULL, NULL, 0};
	size_t n;
	uint8_t *der = csr_der(key, key, &o, &n);
	STACK_OF(X509) *roots = trust_bundle(f);
	te_cert_store *st = NULL;
	te_buf ca;
	char *pem = NULL;
	size_t len = 0;
	struct logcap cap;
	char *log;
	static const char *const ids[] = {"edge-ca", "edge-ca-previous", "edge-ca.r1", "dev-id"};

	/* An entry the daemon manages (it names its key), put beside the CA. */
	te_buf_init(&ca, 0);
	assert_int_equal(te_cert_pem_append(sk_X509_value(roots, 0), NULL, &ca), TE_OK);
	assert_int_equal(te_cert_store_open(f->store_dir, &st), TE_OK);
	assert_int_equal(te_cert_store_put(st, "dev-id", (const char *)ca.data, ca.len, DEVICE_KEY),
	                 TE_OK);

	/* Read: allowed to a principal that matches. */
	assert_int_equal(by_id(f, ANYONE, TE_IPC_CERTSVC_GET, "edge-ca"), 200);
	assert_memory_equal(f->pem, ca.data, ca.len);
	assert_int_equal(by_id(f, ANYONE, TE_IPC_CERTSVC_GET, "dev-id"), 200);
	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_GET, "edge-ca"), 403);
	refused(f, 403, "the caller may not use this certificate");
	/* Writes: refused whatever the globs say. */
	log_start(f, &cap);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(by_id(f, ANYONE, TE_IPC_CERTSVC_DELETE, ids[i]), 403);
		refused(f, 403, "the certificate is managed by the daemon and is read-only");
		assert_int_equal(import(f, ANYONE, ids[i], cstr(&ca)), 403);
		refused(f, 403, "the certificate is managed by the daemon and is read-only");
		assert_int_equal(create(f, ANYONE, ids[i], der, n, NULL, NULL), 403);
		refused(f, 403, "the certificate is managed by the daemon and is read-only");
	}
	log = log_end(&cap);
	has_line(log, "audit: caller uid=2000 op=cert-delete cert=edge-ca result=denied");
	has_line(log, "audit: caller uid=2000 op=cert-import cert=edge-ca-previous result=denied");
	has_line(log, "audit: caller uid=2000 op=cert-create cert=dev-id result=denied");
	free(log);
	/* Untouched: the CA, and the managed entry with its key name. */
	free(pem);
	pem = NULL;
	{
		char key_name[TE_HSM_NAME_MAX + 1];

		assert_int_equal(te_cert_store_get(st, "dev-id", &pem, &len, key_name), TE_OK);
		assert_string_equal(key_name, DEVICE_KEY);
		free(pem);
		pem = NULL;
		assert_int_equal(te_cert_store_get(st, "edge-ca", &pem, &len, key_name), TE_OK);
		assert_string_equal(key_name, "edge-ca");
		assert_int_equal(len, ca.len);
		assert_memory_equal(pem, ca.data, len);
	}
	free(pem);
	/* What the service stores names no key, so stays the caller's. */
	assert_int_equal(create(f, ANYONE, "mine", der, n, NULL, NULL), 201);
	{
		char key_name[TE_HSM_NAME_MAX + 1];

		pem = NULL;
		assert_int_equal(te_cert_store_get(st, "mine", &pem, &len, key_name), TE_OK);
		assert_string_equal(key_name, "");
		free(pem);
	}
	assert_int_equal(by_id(f, ANYONE, TE_IPC_CERTSVC_DELETE, "mine"), 204);

	te_cert_store_close(st);
	te_buf_free(&ca);
	sk_X509_pop_free(roots, X509_free);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

static void test_no_principals(void **state)
{
	struct fx *f = *state;

	assert_int_equal(by_id(f, OWNER, TE_IPC_CERTSVC_GET, "edge-ca"), 403);
	refused(f, 403, "the caller may not use this certificate");
	assert_int_equal(by_id(f, 0, TE_IPC_CERTSVC_GET, "edge-ca"), 403);
}

static void test_dispatch(void **state)
{
	struct fx *f = *state;
	te_ipc_certsvc_req q;
	te_ipc_error_reply er;
	te_keys *with_store = f->keys;

	/* Without a certificate store the service is not there. */
	open_keys(f, 0);
	q_init(&q, OWNER, TE_IPC_CERTSVC_GET, "test-x");
	assert_int_equal(te_ipc_certsvc_req_encode(&q, f->req), TE_OK);
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_ERROR_REPLY);
	assert_int_equal(te_ipc_error_reply_decode(f->rep, &er), TE_OK);
	assert_int_equal(er.code, TE_ERR_UNSUPPORTED);
	te_keys_close(f->keys);
	f->keys = with_store;
	/* A body that does not decode is a protocol error; a reply type is
	 * no request. */
	f->req->len--;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_ERR_MALFORMED);
	f->req->len++;
	f->req->body[4] = 9; /* op 9 */
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_ERR_MALFORMED);
	f->req->type = TE_IPC_CERTSVC_REPLY;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_ERROR_REPLY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_issue_by_edge_ca, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issue_profiles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issuer_handle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_self_signed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_import_get_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_principals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_principals, setup_no_principals, teardown),
	    cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
