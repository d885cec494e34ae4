/*
 * cmd_cert.c - `trustedge cert ...`: certificates on top of the
 * certificate engine (te_cert.h).  `demo` makes dev/test chains in a
 * directory; issue, csr, show and verify work on files and on keys in the
 * key store; import, list and delete manage the certificate store.  As for
 * keys, every command builds its output in memory and writes only after
 * everything succeeded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "common/te_file.h"
#include "hsm/keyfile.h"
#include "trustedge/te_cert.h"

#define CERT_FILE_MAX (TE_CERT_PEM_MAX)
#define CERT_KEY_FILE_MAX (1u << 20)
#define CERT_DAYS_DEFAULT 30
#define CERT_DAYS_MAX 36500
#define DAY ((int64_t)86400)
#define DEMO_DIR_DEFAULT "trustedge-certs"
#define DEMO_DEVICE_DEFAULT "trustedge-test-device"
#define DEMO_ORG "trustedge TEST ONLY"
#define DEMO_KEY_PREFIX "demo-"

static const char *const cert_args_none[] = {NULL};
static const char *const cert_args_id[] = {"ID", NULL};
static const char *const cert_args_file[] = {"FILE", NULL};
static const char *const cert_args_demo[] = {"WHAT", NULL};

/* --- small helpers ---------------------------------------------------------- */

static int64_t cert_now(void)
{
	return (int64_t)time(NULL);
}

static te_err cert_days(te_cli *cli, int64_t *lifetime)
{
	const char *s = cli->opt[TE_CLI_OPT_DAYS];
	char *end = NULL;
	unsigned long v;

	*lifetime = CERT_DAYS_DEFAULT * DAY;
	if (s == NULL)
		return TE_OK;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v == 0 || v > CERT_DAYS_MAX)
		return te_cli_usage_error(cli, "--days must be a whole number from 1 to %d",
					  CERT_DAYS_MAX);
	*lifetime = (int64_t)v * DAY;
	return TE_OK;
}

/* Reads a PEM chain file (leaf first). */
static te_err cert_read_chain(const char *path, te_x509_stack **out)
{
	te_err rc = TE_OK;
	te_buf b;

	te_buf_init(&b, 0);
	TE_GUARD(te_cli_read_input(path, CERT_FILE_MAX, &b));
	rc = te_cert_pem_parse((const char *)b.data, b.len, out);
	if (rc != TE_OK) {
		/* A bad file named on the command line is bad input (exit 2),
		 * not damage to the store (exit 7). */
		char d[256];
		snprintf(d, sizeof(d), "%s", te_err_detail());
		rc = te_err_set(rc == TE_ERR_MALFORMED ? TE_ERR_INVALID_ARG : rc, "'%s': %s", path, d);
	}
out:
	te_buf_free(&b);
	return rc;
}

static X509 *chain_leaf(te_x509_stack *st)
{
	return sk_X509_value((STACK_OF(X509) *)st, 0);
}

/* A private key from a PEM file (demo sets keep keys in files). */
static te_err cert_read_key_file(const char *path, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	te_buf b;
	BIO *bio = NULL;

	te_buf_init(&b, 1);
	TE_GUARD(te_cli_read_input(path, CERT_KEY_FILE_MAX, &b));
	bio = BIO_new_mem_buf(b.data, (int)b.len);
	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (*out == NULL) {
		ERR_clear_error();
		rc = te_err_set(TE_ERR_INVALID_ARG, "'%s' is not an unencrypted PEM private key", path);
	}
out:
	BIO_free(bio);
	te_buf_free(&b);
	return rc;
}

/*
 * A key reference from the command line: "file:PATH" is a PEM private key
 * file; anything else names a key in the key store.
 */
static te_err cert_key_ref(te_cli *cli, const char *ref, EVP_PKEY **out)
{
	te_err rc = TE_OK;

	if (strncmp(ref, "file:", 5) == 0)
		return cert_read_key_file(ref + 5, out);
	TE_GUARD(te_cli_hsm(cli));
	TE_GUARD(te_hsm_key_evp(cli->hsm, ref, out));
out:
	return rc;
}

/* The request from --profile/--cn/--dns/--ip/--uri/--days/--cap-validity. */
static te_err cert_request(te_cli *cli, te_cert_profile def_profile, int need_cn,
			   te_cert_request *r)
{
	te_err rc = TE_OK;

	memset(r, 0, sizeof(*r));
	r->profile = def_profile;
	r->path_len = -1;
	if (cli->opt[TE_CLI_OPT_PROFILE] != NULL)
		TE_GUARD(te_cert_profile_parse(cli->opt[TE_CLI_OPT_PROFILE], &r->profile));
	TE_ENSURE(r->profile != 0, TE_ERR_INVALID_ARG,
		  "missing --profile (root-ca, intermediate-ca, edge-ca, server, client, "
		  "verification)");
	r->common_name = cli->opt[TE_CLI_OPT_CN];
	if (need_cn && r->common_name == NULL)
		return te_cli_usage_error(cli, "missing --cn NAME");
	r->dns = cli->list[TE_CLI_OPT_DNS];
	r->n_dns = cli->n_list[TE_CLI_OPT_DNS];
	r->ips = cli->list[TE_CLI_OPT_IP];
	r->n_ips = cli->n_list[TE_CLI_OPT_IP];
	r->uris = cli->list[TE_CLI_OPT_URI];
	r->n_uris = cli->n_list[TE_CLI_OPT_URI];
	r->cap_to_issuer = te_cli_has(cli, TE_CLI_OPT_CAP_VALIDITY);
	TE_GUARD(cert_days(cli, &r->lifetime));
	TE_GUARD(te_cert_request_check(r));
out:
	return rc;
}

/* The certificate store: --cert-store DIR; $TRUSTEDGE_CERT_STORE; next to a
 * --store key store (DIR/certs); else /var/lib/trustedge/certs. */
static te_err cert_store_open(te_cli *cli, te_cert_store **out)
{
	const char *dir = cli->opt[TE_CLI_OPT_CERT_STORE];
	char path[4096];

	if (dir == NULL)
		dir = getenv("TRUSTEDGE_CERT_STORE");
	if ((dir == NULL || dir[0] == '\0') && cli->opt[TE_CLI_OPT_STORE] != NULL) {
		if (snprintf(path, sizeof(path), "%s/certs", cli->opt[TE_CLI_OPT_STORE]) >=
		    (int)sizeof(path))
			return te_err_set(TE_ERR_INVALID_ARG, "--store path too long");
		dir = path;
	}
	if (dir == NULL || dir[0] == '\0')
		dir = "/var/lib/trustedge/certs";
	return te_cert_store_open(dir, out);
}

/* --- describing certificates ------------------------------------------------ */

static void name_text(const X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long k;

	snprintf(out, len, "?");
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		k = BIO_get_mem_data(b, &data);
		if (k > 0)
			snprintf(out, len, "%.*s", (int)k, data);
	}
	BIO_free(b);
}

static void time_text(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%lld", (long long)t);
}

/* Everything `show` reports, as one JSON object. */
static te_err cert_describe(X509 *x, json_t **out)
{
	te_err rc = TE_OK;
	char subject[512], issuer[512], nb_s[32], na_s[32], fp_hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char fp[EVP_MAX_MD_SIZE];
	unsigned int fp_len = 0;
	int64_t nb = 0, na = 0;
	char *serial = NULL;
	BIGNUM *bn = NULL;
	json_t *obj = NULL, *sans = NULL, *ku = NULL, *eku = NULL;
	STACK_OF(GENERAL_NAME) *gens = NULL;
	uint32_t kus = X509_get_key_usage(x), xku = X509_get_extended_key_usage(x);
	te_hsm_key_type kt = TE_HSM_KEY_NONE;
	const char *key_type = te_keyfile_pkey_type(X509_get0_pubkey(x), &kt) == TE_OK
				       ? te_hsm_key_type_name(kt)
				       : OBJ_nid2sn(EVP_PKEY_get_base_id(X509_get0_pubkey(x)));
	static const struct {
		uint32_t bit;
		const char *name;
	} kun[] = {{KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
		   {KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
		   {KU_KEY_AGREEMENT, "keyAgreement"},         {KU_KEY_CERT_SIGN, "keyCertSign"},
		   {KU_CRL_SIGN, "cRLSign"}},
	  ekun[] = {{XKU_SSL_SERVER, "serverAuth"}, {XKU_SSL_CLIENT, "clientAuth"},
		    {XKU_CODE_SIGN, "codeSigning"}, {XKU_SMIME, "emailProtection"}};

	name_text(X509_get_subject_name(x), subject, sizeof(subject));
	name_text(X509_get_issuer_name(x), issuer, sizeof(issuer));
	TE_GUARD(te_cert_validity(x, &nb, &na));
	time_text(nb, nb_s, sizeof(nb_s));
	time_text(na, na_s, sizeof(na_s));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	serial = bn ? BN_bn2hex(bn) : NULL;
	TE_GUARD_PTR(serial, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(X509_digest(x, EVP_sha256(), fp, &fp_len), "fingerprint");
	for (unsigned int i = 0; i < fp_len; i++)
		snprintf(fp_hex + 2 * i, 3, "%02x", fp[i]);
	sans = json_array(), ku = json_array(), eku = json_array();
	TE_ENSURE(sans && ku && eku, TE_ERR_NO_MEMORY, "out of memory");
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char buf[600];
		const char *kind = NULL;

		if (g->type == GEN_DNS || g->type == GEN_URI) {
			kind = g->type == GEN_DNS ? "DNS" : "URI";
			snprintf(buf, sizeof(buf), "%s:%.*s", kind, ASN1_STRING_length(g->d.ia5),
				 (const char *)ASN1_STRING_get0_data(g->d.ia5));
		} else if (g->type == GEN_IPADD) {
			char ip[INET6_ADDRSTRLEN] = "?";
			int n = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
			if (n == 4 || n == 16)
				inet_ntop(n == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip));
			snprintf(buf, sizeof(buf), "IP:%s", ip);
			kind = "IP";
		}
		if (kind != NULL)
			TE_ENSURE(json_array_append_new(sans, json_string(buf)) == 0, TE_ERR_NO_MEMORY,
				  "out of memory");
	}
	for (size_t i = 0; i < sizeof(kun) / sizeof(kun[0]); i++)
		if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) && (kus & kun[i].bit))
			json_array_append_new(ku, json_string(kun[i].name));
	for (size_t i = 0; i < sizeof(ekun) / sizeof(ekun[0]); i++)
		if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) && (xku & ekun[i].bit))
			json_array_append_new(eku, json_string(ekun[i].name));
	obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:O,s:O,s:O,s:s,s:I,s:s}", "subject", subject,
			"issuer", issuer, "serial", serial, "not_before", nb_s, "not_after", na_s,
			"ca", (X509_get_extension_flags(x) & EXFLAG_CA) != 0, "san", sans,
			"key_usage", ku, "extended_key_usage", eku, "sha256_fingerprint", fp_hex,
			"path_len", (json_int_t)X509_get_pathlen(x), "key", key_type);
	TE_GUARD_PTR(obj, TE_ERR_NO_MEMORY, "out of memory");
	*out = obj;
	obj = NULL;
out:
	GENERAL_NAMES_free(gens);
	json_decref(sans), json_decref(ku), json_decref(eku), json_decref(obj);
	OPENSSL_free(serial);
	BN_free(bn);
	return rc;
}

static void cert_print_human(json_t *d)
{
	size_t i;
	json_t *v;
	const char *lists[] = {"san", "key_usage", "extended_key_usage"};
	const char *labels[] = {"Names:", "Key usage:", "Ext. usage:"};

	printf("Subject:      %s\n", json_string_value(json_object_get(d, "subject")));
	printf("Issuer:       %s\n", json_string_value(json_object_get(d, "issuer")));
	printf("Serial:       %s\n", json_string_value(json_object_get(d, "serial")));
	printf("Not before:   %s\n", json_string_value(json_object_get(d, "not_before")));
	printf("Not after:    %s\n", json_string_value(json_object_get(d, "not_after")));
	printf("Key:          %s\n", json_string_value(json_object_get(d, "key")));
	printf("CA:           %s", json_is_true(json_object_get(d, "ca")) ? "yes" : "no");
	if (json_is_true(json_object_get(d, "ca")) &&
	    json_integer_value(json_object_get(d, "path_len")) >= 0)
		printf(" (path length %lld)",
		       (long long)json_integer_value(json_object_get(d, "path_len")));
	printf("\n");
	for (size_t l = 0; l < 3; l++) {
		printf("%-13s ", labels[l]);
		if (json_array_size(json_object_get(d, lists[l])) == 0)
			printf("-");
		json_array_foreach(json_object_get(d, lists[l]), i, v)
			printf("%s%s", i ? ", " : "", json_string_value(v));
		printf("\n");
	}
	printf("SHA-256:      %s\n", json_string_value(json_object_get(d, "sha256_fingerprint")));
}

/* --- issue, csr, show, verify ----------------------------------------------- */

static te_err cert_output(te_cli *cli, const te_buf *pem, const char *json_key)
{
	te_err rc = TE_OK;
	const char *out = cli->opt[TE_CLI_OPT_OUT];

	if (te_cli_has(cli, TE_CLI_OPT_JSON)) {
		json_t *obj = json_object();
		TE_GUARD_PTR(obj, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD(te_cli_set_result(cli, obj));
		TE_GUARD(te_cli_json_set_text(obj, json_key, (const char *)pem->data, pem->len));
		if (te_cli_out_is_stdout(out))
			goto out;
		json_object_set_new(obj, "out", json_string(out));
	}
	TE_GUARD(te_cli_write_output(out, pem->data, pem->len, 0644));
out:
	return rc;
}

static te_err cert_issue(te_cli *cli)
{
	te_err rc = TE_OK;
	te_cert_request r;
	te_x509_stack *issuer = NULL;
	EVP_PKEY *subject = NULL, *ikey = NULL;
	X509_REQ *csr = NULL;
	X509 *x = NULL;
	te_buf pem, csr_data;
	const char *key = cli->opt[TE_CLI_OPT_KEY], *csr_path = cli->opt[TE_CLI_OPT_CSR];
	const char *issuer_path = cli->opt[TE_CLI_OPT_ISSUER];
	const char *issuer_key = cli->opt[TE_CLI_OPT_ISSUER_KEY];
	te_cert_store *store = NULL;

	te_buf_init(&pem, 0);
	te_buf_init(&csr_data, 0);
	te_cli_what(cli, "issue", NULL, "issue certificate");
	TE_GUARD(cert_request(cli, 0, csr_path == NULL, &r));
	if ((key == NULL) == (csr_path == NULL)) {
		rc = te_cli_usage_error(cli, "give exactly one of --key NAME and --csr FILE");
		goto out;
	}
	if ((issuer_path == NULL) != (issuer_key == NULL)) {
		rc = te_cli_usage_error(cli, "--issuer and --issuer-key go together");
		goto out;
	}
	if (issuer_path == NULL && csr_path != NULL) {
		rc = te_cli_usage_error(cli, "a certificate from a CSR needs --issuer and --issuer-key");
		goto out;
	}
	if (te_cli_has(cli, TE_CLI_OPT_ID) && key == NULL) {
		rc = te_cli_usage_error(cli, "--id stores the certificate with its key: give --key");
		goto out;
	}
	if (issuer_path != NULL)
		TE_GUARD(cert_read_chain(issuer_path, &issuer));
	if (key != NULL)
		TE_GUARD(cert_key_ref(cli, key, &subject));
	TE_GUARD(cert_key_ref(cli, issuer_key ? issuer_key : key, &ikey));
	if (csr_path != NULL) {
		TE_GUARD(te_cli_read_input(csr_path, CERT_FILE_MAX, &csr_data));
		rc = te_cert_csr_parse(csr_data.data, csr_data.len, &csr);
		TE_ENSURE(rc != TE_ERR_MALFORMED, TE_ERR_INVALID_ARG, "'%s': %s", csr_path,
			  te_err_detail());
		TE_GUARD(rc);
		TE_GUARD(te_cert_issue_csr(&r, csr, chain_leaf(issuer), ikey, cert_now(), &x));
	} else {
		TE_GUARD(te_cert_issue(&r, subject, issuer ? chain_leaf(issuer) : NULL, ikey,
				       cert_now(), &x));
	}
	TE_GUARD(te_cert_pem_append(x, te_cli_has(cli, TE_CLI_OPT_CHAIN) ? issuer : NULL, &pem));
	if (te_cli_has(cli, TE_CLI_OPT_ID)) {
		TE_GUARD(cert_store_open(cli, &store));
		TE_GUARD(te_cert_store_put(store, cli->opt[TE_CLI_OPT_ID], (const char *)pem.data,
					   pem.len, strncmp(key, "file:", 5) == 0 ? NULL : key));
	}
	TE_GUARD(cert_output(cli, &pem, "certificate"));
out:
	te_cert_store_close(store);
	te_cert_stack_free(issuer);
	EVP_PKEY_free(subject);
	EVP_PKEY_free(ikey);
	X509_REQ_free(csr);
	X509_free(x);
	te_buf_free(&pem);
	te_buf_free(&csr_data);
	return rc;
}

static te_err cert_csr(te_cli *cli)
{
	te_err rc = TE_OK;
	te_cert_request r;
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long n;
	te_buf pem;

	te_buf_init(&pem, 0);
	te_cli_what(cli, "csr", NULL, "make CSR");
	TE_GUARD(cert_request(cli, TE_CERT_CLIENT, 1, &r));
	if (!te_cli_has(cli, TE_CLI_OPT_KEY)) {
		rc = te_cli_usage_error(cli, "missing --key NAME");
		goto out;
	}
	TE_GUARD(cert_key_ref(cli, cli->opt[TE_CLI_OPT_KEY], &key));
	TE_GUARD(te_cert_csr_create(key, &r, &csr));
	bio = BIO_new(BIO_s_mem());
	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(PEM_write_bio_X509_REQ(bio, csr), "CSR PEM");
	n = BIO_get_mem_data(bio, &data);
	TE_GUARD(te_buf_append(&pem, data, (size_t)n));
	TE_GUARD(cert_output(cli, &pem, "csr"));
out:
	BIO_free(bio);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	te_buf_free(&pem);
	return rc;
}

/* The certificates to look at: FILE, or --id from the store. */
static te_err cert_source(te_cli *cli, te_x509_stack **out)
{
	te_err rc = TE_OK;
	te_cert_store *store = NULL;
	char *pem = NULL;
	size_t len = 0;

	if ((cli->n_pos > 0) == te_cli_has(cli, TE_CLI_OPT_ID))
		return te_cli_usage_error(cli, "give a FILE or --id ID");
	if (cli->n_pos > 0)
		return cert_read_chain(cli->pos[0], out);
	TE_GUARD(cert_store_open(cli, &store));
	TE_GUARD(te_cert_store_get(store, cli->opt[TE_CLI_OPT_ID], &pem, &len, NULL));
	TE_GUARD(te_cert_pem_parse(pem, len, out));
out:
	free(pem);
	te_cert_store_close(store);
	return rc;
}

static te_err cert_show(te_cli *cli)
{
	te_err rc = TE_OK;
	te_x509_stack *certs = NULL;
	json_t *arr = NULL, *d = NULL;
	STACK_OF(X509) *st;

	te_cli_what(cli, "show", NULL, "show certificate");
	TE_GUARD(cert_source(cli, &certs));
	st = (STACK_OF(X509) *)certs;
	arr = json_array();
	TE_GUARD_PTR(arr, TE_ERR_NO_MEMORY, "out of memory");
	for (int i = 0; i < sk_X509_num(st); i++) {
		TE_GUARD(cert_describe(sk_X509_value(st, i), &d));
		if (!te_cli_has(cli, TE_CLI_OPT_JSON)) {
			if (i > 0)
				printf("\n");
			cert_print_human(d);
		}
		TE_ENSURE(json_array_append_new(arr, d) == 0, TE_ERR_NO_MEMORY, "out of memory");
		d = NULL;
	}
	if (te_cli_has(cli, TE_CLI_OPT_JSON))
		TE_GUARD(te_cli_set_result(cli, json_pack("{s:O}", "certificates", arr)));
out:
	json_decref(arr);
	json_decref(d);
	te_cert_stack_free(certs);
	return rc;
}

static te_err cert_verify(te_cli *cli)
{
	te_err rc = TE_OK;
	te_x509_stack *certs = NULL, *roots = NULL, *untrusted = NULL, *chain = NULL;
	STACK_OF(X509) *st;

	te_cli_what(cli, "verify", NULL, "verify certificate");
	if (!te_cli_has(cli, TE_CLI_OPT_CA_FILE)) {
		rc = te_cli_usage_error(cli, "missing --ca-file BUNDLE (the trusted roots)");
		goto out;
	}
	TE_GUARD(cert_source(cli, &certs));
	TE_GUARD(cert_read_chain(cli->opt[TE_CLI_OPT_CA_FILE], &roots));
	st = (STACK_OF(X509) *)certs;
	if (te_cli_has(cli, TE_CLI_OPT_UNTRUSTED))
		TE_GUARD(cert_read_chain(cli->opt[TE_CLI_OPT_UNTRUSTED], &untrusted));
	else
		untrusted = (te_x509_stack *)sk_X509_new_null();
	TE_GUARD_PTR(untrusted, TE_ERR_NO_MEMORY, "out of memory");
	/* Certificates after the leaf in FILE are its chain. */
	for (int i = 1; i < sk_X509_num(st); i++) {
		X509_up_ref(sk_X509_value(st, i));
		TE_ENSURE(sk_X509_push((STACK_OF(X509) *)untrusted, sk_X509_value(st, i)) > 0,
			  TE_ERR_NO_MEMORY, "out of memory");
	}
	rc = te_cert_chain_verify(sk_X509_value(st, 0), untrusted, roots, cert_now(), &chain);
	if (te_cli_has(cli, TE_CLI_OPT_JSON))
		TE_GUARD(te_cli_set_result(cli, json_pack("{s:b,s:s}", "valid", rc == TE_OK, "reason",
							 rc == TE_OK ? "" : te_err_detail())));
	else if (rc == TE_OK)
		printf("OK: chain of %d certificates\n", sk_X509_num((STACK_OF(X509) *)chain));
	TE_GUARD(rc);
out:
	te_cert_stack_free(certs), te_cert_stack_free(roots), te_cert_stack_free(untrusted),
		te_cert_stack_free(chain);
	return rc;
}

/* --- the certificate store ------------------------------------------------- */

static te_err cert_import(te_cli *cli)
{
	te_err rc = TE_OK;
	te_cert_store *store = NULL;
	te_x509_stack *certs = NULL;
	te_buf pem;
	const char *key = cli->opt[TE_CLI_OPT_KEY];
	EVP_PKEY *k = NULL;

	te_buf_init(&pem, 0);
	te_cli_what(cli, "import", cli->pos[0], "import certificate '%s'", cli->pos[0]);
	if (!te_cli_has(cli, TE_CLI_OPT_IN)) {
		rc = te_cli_usage_error(cli, "missing --in FILE");
		goto out;
	}
	TE_GUARD(te_cli_read_input(cli->opt[TE_CLI_OPT_IN], CERT_FILE_MAX, &pem));
	rc = te_cert_pem_parse((const char *)pem.data, pem.len, &certs);
	TE_ENSURE(rc != TE_ERR_MALFORMED, TE_ERR_INVALID_ARG, "'%s': %s", cli->opt[TE_CLI_OPT_IN],
		  te_err_detail());
	TE_GUARD(rc);
	if (key != NULL) {
		/* The certificate must belong to the key it is filed with. */
		TE_GUARD(cert_key_ref(cli, key, &k));
		TE_ENSURE(X509_check_private_key(chain_leaf(certs), k) == 1, TE_ERR_INVALID_ARG,
			  "the certificate does not match key '%s'", key);
	}
	TE_GUARD(cert_store_open(cli, &store));
	TE_GUARD(te_cert_store_put(store, cli->pos[0], (const char *)pem.data, pem.len, key));
out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	te_cert_stack_free(certs);
	te_cert_store_close(store);
	te_buf_free(&pem);
	return rc;
}

static te_err cert_list(te_cli *cli)
{
	te_err rc = TE_OK;
	te_cert_store *store = NULL;
	char **ids = NULL, *pem = NULL;
	char key[TE_HSM_NAME_MAX + 1];
	size_t n = 0, len = 0;
	json_t *arr = json_array();

	te_cli_what(cli, "list", NULL, "list certificates");
	TE_GUARD_PTR(arr, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(cert_store_open(cli, &store));
	TE_GUARD(te_cert_store_list(store, &ids, &n));
	for (size_t i = 0; i < n; i++) {
		te_x509_stack *certs = NULL;
		char subject[512] = "?", na_s[32] = "?";
		int64_t na = 0;

		free(pem);
		pem = NULL;
		if (te_cert_store_get(store, ids[i], &pem, &len, key) == TE_OK &&
		    te_cert_pem_parse(pem, len, &certs) == TE_OK &&
		    te_cert_validity(chain_leaf(certs), NULL, &na) == TE_OK) {
			name_text(X509_get_subject_name(chain_leaf(certs)), subject, sizeof(subject));
			time_text(na, na_s, sizeof(na_s));
		} else {
			snprintf(subject, sizeof(subject), "DAMAGED: %s", te_err_detail());
			key[0] = '\0';
		}
		te_cert_stack_free(certs);
		if (te_cli_has(cli, TE_CLI_OPT_JSON))
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "id", ids[i], "subject",
							     subject, "not_after", na_s, "key", key));
		else
			printf("%-24s  %-20s  %-16s  %s\n", ids[i], na_s, key[0] ? key : "-", subject);
	}
	if (te_cli_has(cli, TE_CLI_OPT_JSON))
		TE_GUARD(te_cli_set_result(cli, json_pack("{s:O}", "certificates", arr)));
out:
	for (size_t i = 0; ids != NULL && i < n; i++)
		free(ids[i]);
	free(ids);
	free(pem);
	json_decref(arr);
	te_cert_store_close(store);
	return rc;
}

static te_err cert_delete(te_cli *cli)
{
	te_err rc = TE_OK;
	te_cert_store *store = NULL;

	te_cli_what(cli, "delete", cli->pos[0], "delete certificate '%s'", cli->pos[0]);
	TE_GUARD(cert_store_open(cli, &store));
	TE_GUARD(te_cert_store_delete(store, cli->pos[0]));
	if (te_cli_has(cli, TE_CLI_OPT_JSON))
		TE_GUARD(te_cli_set_result(cli, json_pack("{s:s}", "deleted", cli->pos[0])));
out:
	te_cert_store_close(store);
	return rc;
}

/* --- renew ---------------------------------------------------------------- */

/* What a renewal must reproduce of the certificate it replaces. */
typedef struct renew_ctx {
	te_cli *cli;
	X509 *old;                 /* leaf being renewed */
	te_x509_stack *issuer;     /* --issuer chain; NULL for self-signed */
	EVP_PKEY *issuer_key;      /* NULL for self-signed */
	int64_t lifetime;          /* --days, or the old certificate's */
	char names[3][TE_CERT_SAN_MAX][TE_CERT_URI_MAX + 1]; /* DNS, IP, URI */
	const char *ptrs[3][TE_CERT_SAN_MAX];
	size_t n[3];
	char cn[TE_CERT_CN_MAX + 2], org[66];
	int renewed;
} renew_ctx;

/* The profile a certificate was issued with, read back from its
 * extensions. */
static te_cert_profile profile_of(X509 *x)
{
	uint32_t flags = X509_get_extension_flags(x);
	uint32_t xku = X509_get_extended_key_usage(x);

	if (flags & EXFLAG_CA) {
		if (flags & EXFLAG_SS)
			return TE_CERT_ROOT_CA;
		return X509_get_pathlen(x) == 0 ? TE_CERT_EDGE_CA : TE_CERT_INTERMEDIATE_CA;
	}
	if ((flags & EXFLAG_XKUSAGE) && (xku & XKU_SSL_SERVER))
		return TE_CERT_SERVER;
	return TE_CERT_CLIENT;
}

static te_err renew_names(renew_ctx *rc_, X509 *x)
{
	STACK_OF(GENERAL_NAME) *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	te_err rc = TE_OK;

	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int kind = g->type == GEN_DNS ? 0 : g->type == GEN_IPADD ? 1 : g->type == GEN_URI ? 2 : -1;
		char *slot;

		if (kind < 0)
			continue;
		TE_ENSURE(rc_->n[kind] < TE_CERT_SAN_MAX, TE_ERR_INVALID_ARG,
			  "the certificate has more than %d names of one kind", TE_CERT_SAN_MAX);
		slot = rc_->names[kind][rc_->n[kind]];
		if (kind == 1) {
			int n = ASN1_STRING_length(g->d.iPAddress);
			TE_ENSURE(n == 4 || n == 16, TE_ERR_MALFORMED, "bad IP address in certificate");
			inet_ntop(n == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress),
				  slot, TE_CERT_URI_MAX + 1);
		} else {
			snprintf(slot, TE_CERT_URI_MAX + 1, "%.*s", ASN1_STRING_length(g->d.ia5),
				 (const char *)ASN1_STRING_get0_data(g->d.ia5));
		}
		rc_->ptrs[kind][rc_->n[kind]] = slot;
		rc_->n[kind]++;
	}
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* te_renew_ops.issue: the same profile, subject and names for key_name. */
static te_err renew_issue(void *arg, const char *id, const char *key_name, int64_t now,
			  te_buf *pem)
{
	renew_ctx *c = arg;
	te_err rc = TE_OK;
	te_cert_request r;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	(void)id;
	(void)now;
	memset(&r, 0, sizeof(r));
	r.profile = profile_of(c->old);
	r.common_name = c->cn;
	r.organization = c->org[0] ? c->org : NULL;
	r.dns = c->ptrs[0], r.n_dns = c->n[0];
	r.ips = c->ptrs[1], r.n_ips = c->n[1];
	r.uris = c->ptrs[2], r.n_uris = c->n[2];
	r.lifetime = c->lifetime;
	r.path_len = (int)X509_get_pathlen(c->old);
	r.cap_to_issuer = te_cli_has(c->cli, TE_CLI_OPT_CAP_VALIDITY);
	TE_GUARD(te_hsm_key_evp(c->cli->hsm, key_name, &key));
	TE_GUARD(te_cert_issue(&r, key, c->issuer ? chain_leaf(c->issuer) : NULL,
			       c->issuer ? c->issuer_key : key, now, &x));
	TE_GUARD(te_cert_pem_append(x, c->issuer, pem));
	c->renewed = 1;
out:
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

static te_err cert_renew(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *id = cli->pos[0];
	te_cert_store *store = NULL;
	te_renewer *rn = NULL;
	te_renew_policy policy;
	te_renew_ops ops;
	te_x509_stack *certs = NULL;
	te_hsm_key_info info;
	renew_ctx c;
	char *pem = NULL, key[TE_HSM_NAME_MAX + 1];
	size_t len = 0, renewed = 0;
	int64_t nb = 0, na = 0, now = cert_now(), next = 0;

	memset(&c, 0, sizeof(c));
	c.cli = cli;
	te_cli_what(cli, "renew", id, "renew certificate '%s'", id);
	if ((cli->opt[TE_CLI_OPT_ISSUER] == NULL) != (cli->opt[TE_CLI_OPT_ISSUER_KEY] == NULL)) {
		rc = te_cli_usage_error(cli, "--issuer and --issuer-key go together");
		goto out;
	}
	TE_GUARD(cert_store_open(cli, &store));
	TE_GUARD(te_cert_store_get(store, id, &pem, &len, key));
	TE_ENSURE(key[0] != '\0', TE_ERR_INVALID_ARG,
		  "certificate '%s' is stored without a key: trustedge cannot renew it", id);
	TE_GUARD(te_cert_pem_parse(pem, len, &certs));
	c.old = chain_leaf(certs);
	TE_GUARD(te_cert_validity(c.old, &nb, &na));
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(c.old), NID_commonName, c.cn,
				      (int)sizeof(c.cn)) <= 0)
		TE_ENSURE(0, TE_ERR_INVALID_ARG, "certificate '%s' has no common name", id);
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(c.old), NID_organizationName, c.org,
				      (int)sizeof(c.org)) <= 0)
		c.org[0] = '\0';
	TE_GUARD(renew_names(&c, c.old));
	TE_ENSURE(cli->opt[TE_CLI_OPT_ISSUER] != NULL || profile_of(c.old) == TE_CERT_ROOT_CA,
		  TE_ERR_INVALID_ARG,
		  "certificate '%s' was issued by a CA: give --issuer and --issuer-key", id);
	if (cli->opt[TE_CLI_OPT_ISSUER] != NULL) {
		TE_GUARD(cert_read_chain(cli->opt[TE_CLI_OPT_ISSUER], &c.issuer));
		TE_GUARD(cert_key_ref(cli, cli->opt[TE_CLI_OPT_ISSUER_KEY], &c.issuer_key));
	}
	c.lifetime = na - nb - 60;
	if (cli->opt[TE_CLI_OPT_DAYS] != NULL)
		TE_GUARD(cert_days(cli, &c.lifetime));
	TE_GUARD(te_cli_hsm(cli));
	TE_GUARD(te_hsm_key_info_get(cli->hsm, key, &info));
	te_renew_policy_default(&policy);
	policy.rotate_key = te_cli_has(cli, TE_CLI_OPT_ROTATE);
	ops.issue = renew_issue;
	ops.notify = NULL;
	ops.arg = &c;
	TE_GUARD(te_renewer_new(store, cli->hsm, &rn));
	TE_GUARD(te_renewer_manage(rn, id, info.type, &policy, &ops));
	if (te_cli_has(cli, TE_CLI_OPT_FORCE)) {
		TE_GUARD(te_renewer_renew_now(rn, id, now));
		renewed = 1;
	} else {
		TE_GUARD(te_renewer_run(rn, now, &renewed, &next));
	}
	TE_ENSURE(renewed == 1 || !c.renewed, TE_ERR_INTERNAL, "renewal was not stored");
	if (renewed == 0 && c.renewed == 0 && next > now) {
		char when[32];
		time_text(next, when, sizeof(when));
		if (te_cli_has(cli, TE_CLI_OPT_JSON))
			TE_GUARD(te_cli_set_result(cli, json_pack("{s:s,s:b,s:s}", "id", id, "renewed",
								  0, "due", when)));
		else
			printf("%s: not due until %s (use --force to renew now)\n", id, when);
		goto out;
	}
	TE_ENSURE(renewed == 1, TE_ERR_CRYPTO, "renewal of '%s' failed: %s", id, te_err_detail());
	free(pem);
	pem = NULL;
	TE_GUARD(te_cert_store_get(store, id, &pem, &len, key));
	if (te_cli_has(cli, TE_CLI_OPT_JSON))
		TE_GUARD(te_cli_set_result(cli, json_pack("{s:s,s:b,s:s}", "id", id, "renewed", 1,
							  "key", key)));
	else
		printf("%s: renewed (key %s)\n", id, key);
out:
	te_renewer_free(rn);
	te_cert_store_close(store);
	te_cert_stack_free(certs), te_cert_stack_free(c.issuer);
	EVP_PKEY_free(c.issuer_key);
	free(pem);
	return rc;
}

/* --- demo ------------------------------------------------------------------ */

/*
 * A demo set lives in one directory.  Each member NAME has NAME.cert.pem,
 * NAME.chain.pem (leaf to root) and either NAME.key.pem (mode 0600) or,
 * with --hsm-keys, a key "demo-NAME" in the key store.  Everything here is
 * for development and tests: subjects say so.
 */
typedef struct demo {
	te_cli *cli;
	int dirfd;
	const char *dir;
	const char *device;
	te_hsm_key_type key_type;
	int hsm_keys;
	int64_t lifetime;
	int64_t now;
	json_t *files;
	char password[33]; /* PKCS#12 password, hex of 16 random bytes */
} demo;

typedef struct demo_member {
	X509 *cert;
	EVP_PKEY *key;
	te_x509_stack *chain; /* issuers, leaf's issuer first */
} demo_member;

static void member_free(demo_member *m)
{
	X509_free(m->cert);
	EVP_PKEY_free(m->key);
	te_cert_stack_free(m->chain);
	memset(m, 0, sizeof(*m));
}

static te_err demo_write(demo *d, const char *name, const void *data, size_t len, mode_t mode)
{
	te_err rc = te_file_write_at(d->dirfd, name, data, len, mode);

	if (rc == TE_OK && d->files != NULL)
		json_array_append_new(d->files, json_string(name));
	return rc;
}

static te_err demo_key_name(const char *member, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, DEMO_KEY_PREFIX "%s", member) >= len)
		return te_err_set(TE_ERR_INVALID_ARG, "name '%s' too long", member);
	return te_hsm_name_check(out);
}

/* A fresh key for member: in the key store, or in memory to be saved as a
 * PEM file. */
static te_err demo_new_key(demo *d, const char *member, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	char kname[TE_HSM_NAME_MAX + 1];
	te_hsm_key_attrs a = {d->key_type, TE_HSM_USAGE_SIGN, 0};
	const char *alg = NULL;

	if (d->hsm_keys) {
		TE_GUARD(demo_key_name(member, kname, sizeof(kname)));
		TE_GUARD(te_cli_hsm(d->cli));
		if (te_hsm_key_exists(d->cli->hsm, kname))
			TE_GUARD(te_hsm_key_delete(d->cli->hsm, kname));
		TE_GUARD(te_hsm_key_create(d->cli->hsm, kname, &a));
		TE_GUARD(te_hsm_key_evp(d->cli->hsm, kname, out));
		goto out;
	}
	switch (d->key_type) {
	case TE_HSM_KEY_EC_P256:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case TE_HSM_KEY_EC_P384:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case TE_HSM_KEY_RSA_2048:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case TE_HSM_KEY_RSA_4096:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	default:
		alg = te_hsm_key_type_name(d->key_type);
		TE_ENSURE(0, TE_ERR_INVALID_ARG,
			  "demo certificates use ec-p256, ec-p384, rsa-2048 or rsa-4096, not %s", alg);
	}
	TE_ENSURE(*out != NULL, TE_ERR_CRYPTO, "key generation failed");
out:
	return rc;
}

/* Loads member NAME (certificate, chain and key) written by an earlier run. */
static te_err demo_load(demo *d, const char *member, demo_member *m)
{
	te_err rc = TE_OK;
	char file[256], kname[TE_HSM_NAME_MAX + 1];
	te_buf b;
	te_x509_stack *all = NULL;
	STACK_OF(X509) *st;

	te_buf_init(&b, 1);
	memset(m, 0, sizeof(*m));
	snprintf(file, sizeof(file), "%s.chain.pem", member);
	rc = te_file_read_at(d->dirfd, file, file, CERT_FILE_MAX, &b);
	if (rc == TE_ERR_NOT_FOUND)
		rc = te_err_set(TE_ERR_NOT_FOUND,
				"'%s/%s' is missing: run 'trustedge cert demo %s --dir %s%s%s' first",
				d->dir, file, strncmp(member, "edge-ca.", 8) == 0 ? "edge-ca" : "root",
				d->dir, strncmp(member, "edge-ca.", 8) == 0 ? " --device " : "",
				strncmp(member, "edge-ca.", 8) == 0 ? d->device : "");
	TE_GUARD(rc);
	TE_GUARD(te_cert_pem_parse((const char *)b.data, b.len, &all));
	st = (STACK_OF(X509) *)all;
	m->cert = sk_X509_shift(st);
	m->chain = all;
	all = NULL;
	b.len = 0;
	snprintf(file, sizeof(file), "%s.key.pem", member);
	rc = te_file_read_at(d->dirfd, file, file, CERT_KEY_FILE_MAX, &b);
	if (rc == TE_OK) {
		BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
		m->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		TE_ENSURE(m->key != NULL, TE_ERR_MALFORMED, "'%s/%s' is not a PEM private key",
			  d->dir, file);
	} else if (rc == TE_ERR_NOT_FOUND) {
		/* No key file: the key lives in the key store (--hsm-keys). */
		rc = TE_OK;
		TE_GUARD(demo_key_name(member, kname, sizeof(kname)));
		TE_GUARD(te_cli_hsm(d->cli));
		TE_GUARD(te_hsm_key_evp(d->cli->hsm, kname, &m->key));
	} else {
		TE_GUARD(rc);
	}
out:
	if (rc != TE_OK)
		member_free(m);
	te_cert_stack_free(all);
	te_buf_free(&b);
	return rc;
}

static te_err demo_pkcs12(demo *d, const char *member, demo_member *m)
{
	te_err rc = TE_OK;
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	int len = 0;
	char file[256];

	p12 = PKCS12_create(d->password, member, m->key, m->cert, (STACK_OF(X509) *)m->chain,
			    NID_aes_256_cbc, NID_aes_256_cbc, PKCS12_DEFAULT_ITER, PKCS12_DEFAULT_ITER,
			    0);
	TE_GUARD_PTR(p12, TE_ERR_CRYPTO, "cannot make the PKCS#12 bundle for %s", member);
	len = i2d_PKCS12(p12, &der);
	TE_ENSURE(len > 0, TE_ERR_CRYPTO, "cannot encode the PKCS#12 bundle for %s", member);
	snprintf(file, sizeof(file), "%s.p12", member);
	TE_GUARD(demo_write(d, file, der, (size_t)len, 0600));
out:
	ERR_clear_error();
	OPENSSL_clear_free(der, len > 0 ? (size_t)len : 0);
	PKCS12_free(p12);
	return rc;
}

/* Issues member NAME under `issuer` (NULL: self-signed) and writes it. */
static te_err demo_make(demo *d, const char *member, te_cert_profile profile, const char *cn,
			const char *dns, demo_member *issuer, demo_member *out)
{
	te_err rc = TE_OK;
	te_cert_request r;
	demo_member m;
	te_buf pem, keypem;
	char file[256];
	BIO *bio = NULL;
	char *data;
	long n;

	memset(&m, 0, sizeof(m));
	te_buf_init(&pem, 0);
	te_buf_init(&keypem, 1);
	memset(&r, 0, sizeof(r));
	r.profile = profile;
	r.common_name = cn;
	r.organization = DEMO_ORG;
	r.lifetime = d->lifetime;
	r.path_len = profile == TE_CERT_INTERMEDIATE_CA ? 1 : -1;
	r.cap_to_issuer = 1; /* a demo chain simply ends with its root */
	if (dns != NULL) {
		r.dns = &dns;
		r.n_dns = 1;
	}
	TE_GUARD(demo_new_key(d, member, &m.key));
	TE_GUARD(te_cert_issue(&r, m.key, issuer ? issuer->cert : NULL,
			       issuer ? issuer->key : m.key, d->now, &m.cert));
	m.chain = (te_x509_stack *)sk_X509_new_null();
	TE_GUARD_PTR(m.chain, TE_ERR_NO_MEMORY, "out of memory");
	if (issuer != NULL) {
		STACK_OF(X509) *ic = (STACK_OF(X509) *)issuer->chain;
		X509_up_ref(issuer->cert);
		sk_X509_push((STACK_OF(X509) *)m.chain, issuer->cert);
		for (int i = 0; i < sk_X509_num(ic); i++) {
			X509_up_ref(sk_X509_value(ic, i));
			sk_X509_push((STACK_OF(X509) *)m.chain, sk_X509_value(ic, i));
		}
	}
	TE_GUARD(te_cert_pem_append(m.cert, NULL, &pem));
	snprintf(file, sizeof(file), "%s.cert.pem", member);
	TE_GUARD(demo_write(d, file, pem.data, pem.len, 0644));
	pem.len = 0;
	TE_GUARD(te_cert_pem_append(m.cert, m.chain, &pem));
	snprintf(file, sizeof(file), "%s.chain.pem", member);
	TE_GUARD(demo_write(d, file, pem.data, pem.len, 0644));
	if (!d->hsm_keys) {
		bio = BIO_new(BIO_s_secmem());
		TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(PEM_write_bio_PKCS8PrivateKey(bio, m.key, NULL, NULL, 0, NULL, NULL),
			      "private key PEM");
		n = BIO_get_mem_data(bio, &data);
		TE_GUARD(te_buf_append(&keypem, data, (size_t)n));
		snprintf(file, sizeof(file), "%s.key.pem", member);
		TE_GUARD(demo_write(d, file, keypem.data, keypem.len, 0600));
	}
	*out = m;
	memset(&m, 0, sizeof(m));
out:
	BIO_free(bio);
	member_free(&m);
	te_buf_free(&pem);
	te_buf_free(&keypem);
	return rc;
}

static te_err demo_check_label(te_cli *cli, const char *opt, const char *value)
{
	/* Labels become file names: the key name rules keep them tame. */
	if (te_hsm_name_check(value) != TE_OK)
		return te_cli_usage_error(cli, "--%s '%s': use letters, digits, '.', '_' and '-'",
					  opt, value);
	return TE_OK;
}

static te_err demo_password(demo *d)
{
	te_err rc = TE_OK;
	const char *pf = d->cli->opt[TE_CLI_OPT_PASSWORD_FILE];
	unsigned char raw[16];
	te_buf b;

	te_buf_init(&b, 1);
	if (pf != NULL) {
		TE_GUARD(te_cli_read_input(pf, 256, &b));
		while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
			b.len--;
		TE_ENSURE(b.len >= 4 && b.len < sizeof(d->password), TE_ERR_INVALID_ARG,
			  "the password in '%s' must be 4 to %zu characters", pf,
			  sizeof(d->password) - 1);
		memcpy(d->password, b.data, b.len);
		d->password[b.len] = '\0';
		goto out;
	}
	/* No password given: make one and leave it next to the bundles. */
	TE_GUARD_OSSL(RAND_bytes(raw, sizeof(raw)), "random password");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(d->password + 2 * i, 3, "%02x", raw[i]);
	TE_GUARD(demo_write(d, "pkcs12.password", d->password, strlen(d->password), 0600));
out:
	te_memzero(raw, sizeof(raw));
	te_buf_free(&b);
	return rc;
}

static te_err cert_demo(te_cli *cli)
{
	te_err rc = TE_OK;
	const char *what = cli->n_pos > 0 ? cli->pos[0] : "all";
	const char *cn = cli->opt[TE_CLI_OPT_CN];
	demo d;
	demo_member root, inter, edge, leaf;
	char member[256], label[TE_CERT_CN_MAX + 1];
	int all = strcmp(what, "all") == 0;
	int known = 0;
	static const char *const whats[] = {"all",      "root",   "edge-ca",     "identity",
					    "leaf",     "server", "verification"};

	memset(&d, 0, sizeof(d));
	memset(&root, 0, sizeof(root)), memset(&inter, 0, sizeof(inter));
	memset(&edge, 0, sizeof(edge)), memset(&leaf, 0, sizeof(leaf));
	d.dirfd = -1;
	te_cli_what(cli, "demo", NULL, "demo certificates");
	for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++)
		known |= strcmp(what, whats[i]) == 0;
	if (!known) {
		rc = te_cli_usage_error(cli, "unknown demo set '%s' (all, root, edge-ca, identity, "
					     "leaf, server, verification)", what);
		goto out;
	}
	d.cli = cli;
	d.dir = cli->opt[TE_CLI_OPT_DIR] ? cli->opt[TE_CLI_OPT_DIR] : DEMO_DIR_DEFAULT;
	d.device = cli->opt[TE_CLI_OPT_DEVICE] ? cli->opt[TE_CLI_OPT_DEVICE] : DEMO_DEVICE_DEFAULT;
	d.hsm_keys = te_cli_has(cli, TE_CLI_OPT_HSM_KEYS);
	d.key_type = TE_HSM_KEY_EC_P256;
	d.now = cert_now();
	if (cli->opt[TE_CLI_OPT_KEY] != NULL)
		TE_GUARD(te_hsm_key_type_parse(cli->opt[TE_CLI_OPT_KEY], &d.key_type));
	TE_GUARD(cert_days(cli, &d.lifetime));
	TE_GUARD(demo_check_label(cli, "device", d.device));
	if (cn != NULL)
		TE_GUARD(demo_check_label(cli, "cn", cn));
	if (strcmp(what, "verification") == 0 && cn == NULL) {
		rc = te_cli_usage_error(cli, "a verification certificate needs --cn CODE (the "
					     "code the registration service asked for)");
		goto out;
	}
	TE_GUARD(te_file_private_dir(d.dir));
	d.dirfd = open(d.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	TE_ENSURE(d.dirfd >= 0, TE_ERR_IO, "cannot open '%s': %s", d.dir, strerror(errno));
	d.files = json_array();
	TE_GUARD_PTR(d.files, TE_ERR_NO_MEMORY, "out of memory");
	if (!te_cli_has(cli, TE_CLI_OPT_QUIET) && isatty(STDERR_FILENO) &&
	    d.key_type == TE_HSM_KEY_RSA_4096)
		fprintf(stderr, "trustedge: generating rsa-4096 keys (this takes a while)...\n");

	if (all || strcmp(what, "root") == 0) {
		if (!all || faccessat(d.dirfd, "root-ca.chain.pem", F_OK, 0) != 0 ||
		    te_cli_has(cli, TE_CLI_OPT_FORCE)) {
			TE_GUARD(demo_make(&d, "root-ca", TE_CERT_ROOT_CA, "trustedge test-only root CA",
					   NULL, NULL, &root));
			TE_GUARD(demo_make(&d, "intermediate-ca", TE_CERT_INTERMEDIATE_CA,
					   "trustedge test-only intermediate CA", NULL, &root, &inter));
			{
				te_buf b;
				te_buf_init(&b, 0);
				rc = te_cert_pem_append(root.cert, NULL, &b);
				if (rc == TE_OK)
					rc = demo_write(&d, "trust-bundle.pem", b.data, b.len, 0644);
				te_buf_free(&b);
				TE_GUARD(rc);
			}
		}
	}
	if (root.cert == NULL)
		TE_GUARD(demo_load(&d, "root-ca", &root));
	if (inter.cert == NULL)
		TE_GUARD(demo_load(&d, "intermediate-ca", &inter));
	if (!all || strcmp(what, "root") != 0)
		TE_GUARD(demo_password(&d));

	if (all || strcmp(what, "edge-ca") == 0) {
		snprintf(member, sizeof(member), "edge-ca.%s", d.device);
		snprintf(label, sizeof(label), "%.40s edge CA", d.device);
		TE_GUARD(demo_make(&d, member, TE_CERT_EDGE_CA, label, NULL, &inter, &edge));
		TE_GUARD(demo_pkcs12(&d, member, &edge));
	}
	if (all || strcmp(what, "identity") == 0) {
		snprintf(member, sizeof(member), "identity.%s", d.device);
		TE_GUARD(demo_make(&d, member, TE_CERT_CLIENT, d.device, NULL, &inter, &leaf));
		TE_GUARD(demo_pkcs12(&d, member, &leaf));
		member_free(&leaf);
	}
	if (strcmp(what, "leaf") == 0) {
		snprintf(member, sizeof(member), "leaf.%s", d.device);
		TE_GUARD(demo_make(&d, member, TE_CERT_CLIENT, d.device, NULL, &inter, &leaf));
		TE_GUARD(demo_pkcs12(&d, member, &leaf));
		member_free(&leaf);
	}
	if (all || strcmp(what, "server") == 0) {
		const char *host = cn ? cn : "localhost";
		snprintf(member, sizeof(member), "server.%s", host);
		if (edge.cert == NULL) {
			snprintf(label, sizeof(label), "edge-ca.%s", d.device);
			TE_GUARD(demo_load(&d, label, &edge));
		}
		TE_GUARD(demo_make(&d, member, TE_CERT_SERVER, host, host, &edge, &leaf));
		member_free(&leaf);
	}
	if (strcmp(what, "verification") == 0) {
		snprintf(member, sizeof(member), "verification.%s", cn);
		TE_GUARD(demo_make(&d, member, TE_CERT_VERIFICATION, cn, NULL, &root, &leaf));
		member_free(&leaf);
	}
	if (te_cli_has(cli, TE_CLI_OPT_JSON)) {
		TE_GUARD(te_cli_set_result(cli, json_pack("{s:s,s:O,s:b}", "dir", d.dir, "files",
							  d.files, "test_only", 1)));
	} else if (!te_cli_has(cli, TE_CLI_OPT_QUIET)) {
		size_t i;
		json_t *f;
		printf("Wrote test-only certificates to %s/:\n", d.dir);
		json_array_foreach(d.files, i, f)
			printf("  %s\n", json_string_value(f));
		if (faccessat(d.dirfd, "pkcs12.password", F_OK, 0) == 0 &&
		    cli->opt[TE_CLI_OPT_PASSWORD_FILE] == NULL)
			printf("PKCS#12 password: in %s/pkcs12.password\n", d.dir);
		printf("Check a chain: trustedge cert verify %s/NAME.chain.pem --ca-file "
		       "%s/trust-bundle.pem\n",
		       d.dir, d.dir);
	}
out:
	te_memzero(d.password, sizeof(d.password));
	member_free(&root), member_free(&inter), member_free(&edge), member_free(&leaf);
	json_decref(d.files);
	if (d.dirfd >= 0)
		close(d.dirfd);
	return rc;
}

/* --- the command table ------------------------------------------------------- */

#define OPTB(o) TE_CLI_BIT(TE_CLI_OPT_##o)
#define REQ_OPTS (OPTB(PROFILE) | OPTB(CN) | OPTB(DNS) | OPTB(IP) | OPTB(URI) | OPTB(DAYS))

static const te_cli_cmd cert_cmds[] = {
    {"demo", cert_demo, cert_args_demo,
     OPTB(DIR) | OPTB(DEVICE) | OPTB(KEY) | OPTB(DAYS) | OPTB(CN) | OPTB(PASSWORD_FILE) |
	 OPTB(HSM_KEYS) | OPTB(FORCE),
     "demo [WHAT] [--dir DIR] [--device ID] [--key TYPE] [--days N] [--cn NAME] "
     "[--password-file FILE] [--hsm-keys] [--force]",
     "make test-only CA chains and certificates for development",
     "Makes development and test certificates in DIR (default ./" DEMO_DIR_DEFAULT ",\n"
     "created 0700).  Every subject says it is for tests only.  WHAT is:\n"
     "  all           (default) root and intermediate CA (kept if present, unless\n"
     "                --force), an edge CA and an identity certificate for the\n"
     "                device, and a server certificate under the edge CA\n"
     "  root          a new root and intermediate CA and trust-bundle.pem\n"
     "  edge-ca       an edge CA for --device, under the intermediate\n"
     "  identity      the device's identity certificate (CN = device id)\n"
     "  leaf          a leaf (downstream) device certificate for --device\n"
     "  server        a server certificate for --cn (default localhost), under\n"
     "                the device's edge CA\n"
     "  verification  a verification certificate for --cn CODE, under the root,\n"
     "                as a registration service asks for proof of possession\n"
     "For each it writes NAME.cert.pem, NAME.chain.pem (leaf to root) and\n"
     "NAME.key.pem (0600), and for edge CA, identity and leaf a PKCS#12 bundle\n"
     "NAME.p12 protected by the password in --password-file or, without it, a\n"
     "random one written to DIR/pkcs12.password.\n\n"
     "Options:\n"
     "  --dir DIR            output directory\n"
     "  --device ID          device id (default " DEMO_DEVICE_DEFAULT ")\n"
     "  --key TYPE           ec-p256 (default), ec-p384, rsa-2048 or rsa-4096\n"
     "  --days N             validity in days (default 30), capped by the root\n"
     "  --cn NAME            server host name, or verification code\n"
     "  --password-file F    PKCS#12 password (first line of F)\n"
     "  --hsm-keys           keep keys in the key store as demo-NAME instead of\n"
     "                       writing NAME.key.pem (no PKCS#12 then)\n"
     "  --force              with 'all': make a new root even if one exists",
     1},
    {"issue", cert_issue, cert_args_none,
     REQ_OPTS | OPTB(KEY) | OPTB(CSR) | OPTB(ISSUER) | OPTB(ISSUER_KEY) | OPTB(CAP_VALIDITY) |
	 OPTB(CHAIN) | OPTB(OUT) | OPTB(ID),
     "issue --profile P --cn NAME (--key KEY | --csr FILE) [--issuer FILE --issuer-key KEY] "
     "[--dns N]... [--ip A]... [--uri U]... [--days N] [--cap-validity] [--chain] [--out FILE] "
     "[--id ID]",
     "issue a certificate for a key or a CSR",
     "Issues a certificate with profile P (root-ca, intermediate-ca, edge-ca,\n"
     "server, client, verification) for KEY (a key in the key store, or\n"
     "file:PATH for a PEM private key) or for the public key of a CSR.  With\n"
     "--issuer (a PEM certificate, its chain may follow) and --issuer-key it\n"
     "is signed by that CA; without, it is self-signed by KEY.  The issuer\n"
     "must be a CA, valid now and match its key; a validity that would end\n"
     "after the issuer's is refused unless --cap-validity.\n\n"
     "Options:\n"
     "  --dns, --ip, --uri   subjectAltName entries (repeatable)\n"
     "  --days N             validity (default 30)\n"
     "  --chain              append the issuer's chain to the output\n"
     "  --out FILE           write the PEM to FILE\n"
     "  --id ID              also file it in the certificate store with KEY",
     0},
    {"csr", cert_csr, cert_args_none, REQ_OPTS | OPTB(KEY) | OPTB(OUT),
     "csr --key KEY --cn NAME [--dns N]... [--ip A]... [--uri U]... [--out FILE]",
     "make a certificate signing request",
     "Writes a PKCS#10 CSR (PEM) for KEY, signed by KEY, with the subject CN\n"
     "and the subjectAltName entries given.",
     0},
    {"show", cert_show, cert_args_file, OPTB(ID), "show [FILE | --id ID]",
     "describe certificates",
     "Shows subject, issuer, serial, validity, key, CA flag, names, key usage\n"
     "and SHA-256 fingerprint of every certificate in FILE (PEM), or of a\n"
     "stored certificate.  With --json: {\"certificates\": [...]}.",
     1},
    {"verify", cert_verify, cert_args_file, OPTB(ID) | OPTB(CA_FILE) | OPTB(UNTRUSTED),
     "verify [FILE | --id ID] --ca-file BUNDLE [--untrusted FILE]",
     "verify a certificate chain (exit 0 valid, 6 not)",
     "Verifies the first certificate of FILE against the roots in BUNDLE, now,\n"
     "using the other certificates of FILE and of --untrusted as intermediates.\n"
     "Exits with 0 when the chain is valid and 6 with the reason when not.",
     1},
    {"import", cert_import, cert_args_id, OPTB(IN) | OPTB(KEY), "import ID --in FILE [--key KEY]",
     "file a certificate in the certificate store",
     "Stores the PEM certificate (and chain) of FILE as ID.  With --key, the\n"
     "certificate must belong to that key, and is filed with it.",
     0},
    {"renew", cert_renew, cert_args_id,
     OPTB(ISSUER) | OPTB(ISSUER_KEY) | OPTB(ROTATE) | OPTB(DAYS) | OPTB(FORCE) | OPTB(CAP_VALIDITY),
     "renew ID [--issuer FILE --issuer-key KEY] [--rotate] [--days N] [--force] [--cap-validity]",
     "renew a stored certificate when it is due",
     "Renews stored certificate ID if 80% of its lifetime has passed (or it\n"
     "has expired), or at once with --force: a new certificate with the same\n"
     "profile, subject and names, for the same key or, with --rotate, for a\n"
     "new key made in the key store; the store switches certificate and key\n"
     "in one atomic write and the old key is deleted after.  A certificate\n"
     "issued by a CA needs that CA again: --issuer and --issuer-key.\n\n"
     "Options:\n"
     "  --days N         lifetime of the new certificate (default: the old one's)\n"
     "  --rotate         make a new key NAME.rN for the new certificate\n"
     "  --force          renew now even if not due",
     0},
    {"list", cert_list, cert_args_none, 0, "list", "list stored certificates",
     "Lists the certificate store: id, expiry, key and subject.",
     0},
    {"delete", cert_delete, cert_args_id, 0, "delete ID", "remove a stored certificate",
     "Removes certificate ID from the certificate store (its key stays).",
     0},
};

const te_cli_group te_cli_cert_group = {
    "cert",
    "Issue, inspect, verify and store certificates; make demo chains",
    cert_cmds,
    sizeof(cert_cmds) / sizeof(cert_cmds[0]),
};
