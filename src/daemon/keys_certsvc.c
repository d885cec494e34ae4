/*
 * keys_certsvc.c - owns the certificates service's work in the keys
 * process: the principals and reserved-id checks, and each operation of
 * the API run with the certificate store, the edge CA and the HSM
 * (contract in keys_certsvc.h).
 *
 * Issuance (POST /certificates).  The CSR (DER or PEM) must parse and its
 * signature must verify with its own public key: that proves the caller
 * holds the private key, so a certificate is never made for a key the
 * caller cannot use.  The key must be EC P-256/P-384/P-521, RSA of 2048 to
 * 8192 bits or Ed25519.  The certificate is always a leaf, built from the
 * CSR by te_cert_issue_csr, with a minimal profile:
 *
 *   subject      the CSR's CN (required, once) and O (optional, once);
 *                any other attribute of the subject is dropped
 *   SANs         the CSR's DNS, IP and URI names (at most 16 of each);
 *                any other kind of name is refused
 *   EKU          serverAuth or clientAuth as the CSR asks; none asked:
 *                clientAuth; both, or any other purpose: refused
 *   basicConstraints CA:FALSE, keyUsage digitalSignature (and
 *                keyEncipherment for an RSA server key), SKI, AKI, a
 *                random serial: te_cert's, whatever the CSR says
 *   validity     now - 60 s .. min(now + 90 days, the issuer's notAfter)
 *
 * A CSR asking for a CA (basicConstraints CA:TRUE) is refused, as is one
 * with a critical extension other than basicConstraints, keyUsage,
 * extendedKeyUsage and subjectAltName; other non-critical extensions are
 * not copied.  The issuer:
 *
 *   - none in the request: the configured issuance method, which is the
 *     daemon's edge CA (the one modules trust through /trust-bundle).
 *     Since modules trust it, it certifies no wildcard DNS name and no URI
 *     in the azureiot scheme (module identities are the workload API's to
 *     grant); the reply is the leaf and the edge CA's chain;
 *   - issuer.certId == certId: self-signed by the key the handle names,
 *     which must be the CSR's key;
 *   - another certId: that stored certificate (a CA, valid now) and the
 *     key the handle names, which must be its key; the reply is the leaf
 *     and the issuer's stored PEM.
 * The handle is a keys-service key pair handle, checked as the keys
 * service checks it: authentic, not a daemon key, given to the caller by
 * a principal.  The new entry is stored (crash-safe: te_cert_store writes
 * a temporary file and renames it) under certId without a key name, so it
 * stays the caller's to replace or delete; an existing entry of the caller
 * is replaced, as the reference daemon does.
 *
 * Import (PUT) keeps only the certificates of the PEM (other blocks, a
 * private key pasted in by mistake say, are dropped), re-encoded; get
 * answers the stored PEM; delete of an id that is not there answers 204
 * as the reference does.
 */
#include "daemon/keys_certsvc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/te_log.h"

_Static_assert(TE_IPC_CERTSVC_ID_MAX == TE_HSM_NAME_MAX, "certificate ids are HSM names");
_Static_assert(TE_IPC_CERTSVC_HANDLE_MAX == TE_KEYHANDLE_TEXT_MAX, "handles");

#define CS_MSG_DENIED   "the caller may not use this certificate"
#define CS_MSG_READONLY "the certificate is managed by the daemon and is read-only"
#define CS_RSA_BITS_MIN 2048
#define CS_RSA_BITS_MAX 8192
#define CS_IP_TEXT_MAX  46 /* INET6_ADDRSTRLEN */
#define CS_AZUREIOT     "azureiot:"

/* One request being answered. */
typedef struct cs_call {
	const te_keys_certsvc_ctx *c;
	const te_ipc_certsvc_req *r;
	te_ipc_msg *rep;
	const char *op;
	int allowed;       /* the access check passed on r->cert_id */
	unsigned status;   /* a refusal when not 0 */
	unsigned answered; /* the status of the success reply encoded */
	char msg[TE_IPC_CERTSVC_MSG_MAX + 1];
} cs_call;

/* The names a CSR asks for, copied out of it (te_cert_request points
 * here). */
typedef struct cs_names {
	char cn[TE_CERT_CN_MAX + 1];
	char org[TE_CERT_CN_MAX + 1];
	int has_org;
	char dns[TE_CERT_SAN_MAX][TE_CERT_NAME_MAX + 1];
	char ips[TE_CERT_SAN_MAX][CS_IP_TEXT_MAX];
	char uris[TE_CERT_SAN_MAX][TE_CERT_URI_MAX + 1];
	const char *dns_p[TE_CERT_SAN_MAX];
	const char *ips_p[TE_CERT_SAN_MAX];
	const char *uris_p[TE_CERT_SAN_MAX];
	size_t n_dns, n_ips, n_uris;
	int server, client; /* EKU purposes asked for */
} cs_names;

static const char *cs_op_name(uint8_t op)
{
	switch (op) {
	case TE_IPC_CERTSVC_CREATE:
		return "cert-create";
	case TE_IPC_CERTSVC_IMPORT:
		return "cert-import";
	case TE_IPC_CERTSVC_GET:
		return "cert-get";
	case TE_IPC_CERTSVC_DELETE:
		return "cert-delete";
	default:
		return "unknown";
	}
}

/* Records a refusal; returns a non-OK code so that callers stop (the
 * caller tells a refusal from a failure by x->status). */
static te_err cs_refuse(cs_call *x, unsigned status, const char *msg)
{
	x->status = status;
	snprintf(x->msg, sizeof(x->msg), "%s", msg);
	return TE_ERR_PERMISSION;
}

#define CS_REFUSE(status, msg)                                                                     \
	do {                                                                                       \
		rc = cs_refuse(x, (status), (msg));                                                \
		goto out;                                                                          \
	} while (0)

/* ---- access ---- */

static int cs_reserved(const te_keys_certsvc_ctx *c, const char *id)
{
	for (size_t i = 0; i < c->n_reserved_prefixes; i++) {
		const char *p = c->reserved_prefixes[i];
		if (p != NULL && strncmp(id, p, strlen(p)) == 0)
			return 1;
	}
	return 0;
}

/* May the caller read (write = 0) or change certificate id?  Refuses 403
 * with an audit line if not. */
static te_err cs_access(cs_call *x, const char *id, int write)
{
	int ok = te_keys_svc_principal_match(x->c->svc, x->r->uid, id);

	if (!ok || (write && cs_reserved(x->c, id))) {
		te_log_info("audit: caller uid=%u op=%s cert=%s result=denied", (unsigned)x->r->uid,
		            x->op, id);
		return cs_refuse(x, 403, ok ? CS_MSG_READONLY : CS_MSG_DENIED);
	}
	if (!x->allowed && strcmp(id, x->r->cert_id) == 0)
		x->allowed = 1;
	return TE_OK;
}

/* Before a write of id: an entry that names an HSM key is the daemon's.
 * *exists says whether there is an entry. */
static te_err cs_writable(cs_call *x, const char *id, int *exists)
{
	te_err rc;
	char key[TE_HSM_NAME_MAX + 1] = "";
	char *pem = NULL;
	size_t len = 0;

	*exists = 0;
	rc = te_cert_store_get(x->c->store, id, &pem, &len, key);
	free(pem);
	if (rc == TE_ERR_NOT_FOUND) {
		te_err_clear();
		return TE_OK;
	}
	if (rc != TE_OK)
		return rc; /* a damaged entry is not overwritten blindly: 500 */
	*exists = 1;
	if (key[0] != '\0') {
		te_log_info("audit: caller uid=%u op=%s cert=%s result=denied", (unsigned)x->r->uid,
		            x->op, id);
		return cs_refuse(x, 403, CS_MSG_READONLY);
	}
	return TE_OK;
}

/* ---- replies ---- */

static te_err cs_reply(cs_call *x, uint16_t status, uint8_t kind, const void *p, size_t n)
{
	te_ipc_certsvc_reply rep;

	rep.status = status;
	rep.kind = kind;
	rep.payload = p;
	rep.payload_len = n;
	x->answered = status;
	return te_ipc_certsvc_reply_encode(&rep, x->rep);
}

static te_err cs_reply_pem(cs_call *x, uint16_t status, const char *pem, size_t n)
{
	te_err rc = TE_OK;

	TE_ENSURE(n >= 1 && n <= TE_IPC_CERTSVC_PEM_MAX, TE_ERR_BUFFER_TOO_SMALL,
	          "certificates service: a PEM of %zu bytes does not fit a reply of %d", n,
	          TE_IPC_CERTSVC_PEM_MAX);
	TE_GUARD(cs_reply(x, status, TE_IPC_CERTSVC_REPLY_PEM, pem, n));
out:
	return rc;
}

/* ---- get, delete, import ---- */

static te_err cs_get(cs_call *x)
{
	te_err rc = TE_OK;
	char *pem = NULL;
	size_t len = 0;

	TE_GUARD(cs_access(x, x->r->cert_id, 0));
	rc = te_cert_store_get(x->c->store, x->r->cert_id, &pem, &len, NULL);
	if (rc == TE_ERR_NOT_FOUND)
		CS_REFUSE(404, "certificate not found");
	TE_GUARD(rc);
	TE_GUARD(cs_reply_pem(x, 200, pem, len));
out:
	free(pem);
	return rc;
}

static te_err cs_delete(cs_call *x)
{
	te_err rc = TE_OK;
	int exists = 0;

	TE_GUARD(cs_access(x, x->r->cert_id, 1));
	TE_GUARD(cs_writable(x, x->r->cert_id, &exists));
	if (exists) {
		rc = te_cert_store_delete(x->c->store, x->r->cert_id);
		if (rc == TE_ERR_NOT_FOUND)
			rc = TE_OK;
		TE_GUARD(rc);
	}
	/* As the reference: deleting what is not there succeeds. */
	TE_GUARD(cs_reply(x, 204, TE_IPC_CERTSVC_REPLY_NONE, NULL, 0));
out:
	return rc;
}

/* The certificates of text[0..n), re-encoded as PEM into out. */
static te_err cs_pem_normalise(const char *text, size_t n, te_buf *out)
{
	te_err rc = TE_OK;
	te_x509_stack *certs = NULL;
	X509 *first = NULL;

	TE_GUARD(te_cert_pem_parse(text, n, &certs));
	first = sk_X509_shift((STACK_OF(X509) *)certs);
	TE_GUARD(te_cert_pem_append(first, certs, out));
out:
	X509_free(first);
	te_cert_stack_free(certs);
	return rc;
}

static te_err cs_import(cs_call *x)
{
	te_err rc = TE_OK;
	int exists = 0;
	te_buf pem;

	te_buf_init(&pem, 0);
	TE_GUARD(cs_access(x, x->r->cert_id, 1));
	if (cs_pem_normalise(x->r->pem, x->r->pem_len, &pem) != TE_OK)
		CS_REFUSE(400, "field 'pem' does not hold PEM certificates");
	if (pem.len > TE_IPC_CERTSVC_PEM_MAX)
		CS_REFUSE(400, "field 'pem' holds more certificate data than a reply can carry");
	TE_GUARD(cs_writable(x, x->r->cert_id, &exists));
	TE_GUARD(
	    te_cert_store_put(x->c->store, x->r->cert_id, (const char *)pem.data, pem.len, NULL));
	TE_GUARD(cs_reply_pem(x, 201, (const char *)pem.data, pem.len));
out:
	te_buf_free(&pem);
	return rc;
}

/* ---- the CSR ---- */

/* The CSR's key is one worth certifying. */
static int cs_key_ok(EVP_PKEY *pub)
{
	char group[64];
	size_t glen = 0;
	int bits = EVP_PKEY_get_bits(pub);

	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		return bits >= CS_RSA_BITS_MIN && bits <= CS_RSA_BITS_MAX;
	case EVP_PKEY_ED25519:
		return 1;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                   sizeof(group), &glen) != 1) {
			ERR_clear_error();
			return 0;
		}
		return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0 ||
		       strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0 ||
		       strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0;
	default:
		return 0;
	}
}

/* The one entry of nid in the subject as UTF-8 into out (room bytes):
 * 0 none, 1 copied, -1 refused (twice, too long, a NUL inside). */
static int cs_subject_entry(X509_NAME *name, int nid, char *out, size_t room)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	int n;

	if (i < 0)
		return 0;
	if (X509_NAME_get_index_by_NID(name, nid, i) >= 0)
		return -1;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0) {
		ERR_clear_error();
		return -1;
	}
	if ((size_t)n >= room || memchr(utf8, '\0', (size_t)n) != NULL) {
		OPENSSL_free(utf8);
		return -1;
	}
	memcpy(out, utf8, (size_t)n);
	out[n] = '\0';
	OPENSSL_free(utf8);
	return 1;
}

/* An IA5String name (DNS, URI) into out: bounded, without NUL. */
static int cs_ia5(const ASN1_IA5STRING *s, char *out, size_t room)
{
	int n = ASN1_STRING_length(s);
	const unsigned char *d = ASN1_STRING_get0_data(s);

	if (n <= 0 || (size_t)n >= room || memchr(d, '\0', (size_t)n) != NULL)
		return 0;
	memcpy(out, d, (size_t)n);
	out[n] = '\0';
	return 1;
}

static te_err cs_sans(cs_call *x, const GENERAL_NAMES *gens, cs_names *nm)
{
	te_err rc = TE_OK;

	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int type = 0;
		void *v = GENERAL_NAME_get0_value(g, &type);

		switch (type) {
		case GEN_DNS:
			if (nm->n_dns == TE_CERT_SAN_MAX)
				CS_REFUSE(400, "the CSR asks for more than 16 DNS names");
			if (!cs_ia5(v, nm->dns[nm->n_dns], sizeof(nm->dns[0])))
				CS_REFUSE(400, "the CSR asks for a DNS name that is not one");
			nm->dns_p[nm->n_dns] = nm->dns[nm->n_dns];
			nm->n_dns++;
			break;
		case GEN_URI:
			if (nm->n_uris == TE_CERT_SAN_MAX)
				CS_REFUSE(400, "the CSR asks for more than 16 URIs");
			if (!cs_ia5(v, nm->uris[nm->n_uris], sizeof(nm->uris[0])))
				CS_REFUSE(400, "the CSR asks for a URI that is not one");
			nm->uris_p[nm->n_uris] = nm->uris[nm->n_uris];
			nm->n_uris++;
			break;
		case GEN_IPADD: {
			const ASN1_OCTET_STRING *ip = v;
			int n = ASN1_STRING_length(ip);

			if (nm->n_ips == TE_CERT_SAN_MAX)
				CS_REFUSE(400, "the CSR asks for more than 16 IP addresses");
			if ((n != 4 && n != 16) ||
			    inet_ntop(n == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip),
			              nm->ips[nm->n_ips], sizeof(nm->ips[0])) == NULL)
				CS_REFUSE(400, "the CSR asks for an IP address that is not one");
			nm->ips_p[nm->n_ips] = nm->ips[nm->n_ips];
			nm->n_ips++;
			break;
		}
		default:
			CS_REFUSE(400, "the CSR asks for a name other than DNS, IP address or URI");
		}
	}
out:
	return rc;
}

static te_err cs_eku(cs_call *x, const EXTENDED_KEY_USAGE *eku, cs_names *nm)
{
	te_err rc = TE_OK;

	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));

		if (nid == NID_server_auth)
			nm->server = 1;
		else if (nid == NID_client_auth)
			nm->client = 1;
		else
			CS_REFUSE(400,
			          "the CSR asks for an extended key usage other than serverAuth "
			          "or clientAuth");
	}
	if (nm->server && nm->client)
		CS_REFUSE(400, "the CSR asks for both serverAuth and clientAuth; ask for one");
out:
	return rc;
}

/* The extensions a CSR may ask for, as bits (each once at most). */
enum { CS_EXT_SAN = 1, CS_EXT_EKU = 2, CS_EXT_BC = 4, CS_EXT_KU = 8 };

static unsigned cs_ext_bit(int nid)
{
	switch (nid) {
	case NID_subject_alt_name:
		return CS_EXT_SAN;
	case NID_ext_key_usage:
		return CS_EXT_EKU;
	case NID_basic_constraints:
		return CS_EXT_BC;
	case NID_key_usage:
		return CS_EXT_KU;
	default:
		return 0;
	}
}

/* One extension of those the CSR may ask for, read into nm. */
static te_err cs_extension(cs_call *x, X509_EXTENSION *e, unsigned bit, cs_names *nm)
{
	te_err rc = TE_OK;
	void *v;
	int ca;

	if (bit == CS_EXT_KU)
		goto out; /* the profile sets keyUsage */
	v = X509V3_EXT_d2i(e);
	if (v == NULL) {
		ERR_clear_error();
		CS_REFUSE(400, "the CSR has an extension that does not parse");
	}
	switch (bit) {
	case CS_EXT_SAN:
		rc = cs_sans(x, v, nm);
		GENERAL_NAMES_free(v);
		break;
	case CS_EXT_EKU:
		rc = cs_eku(x, v, nm);
		EXTENDED_KEY_USAGE_free(v);
		break;
	default:
		ca = ((BASIC_CONSTRAINTS *)v)->ca != 0;
		BASIC_CONSTRAINTS_free(v);
		if (ca)
			CS_REFUSE(400,
			          "the CSR asks for a CA certificate; this service issues leaf "
			          "certificates only");
		break;
	}
out:
	return rc;
}

/* Reads the extensions the CSR asks for into nm. */
static te_err cs_extensions(cs_call *x, X509_REQ *csr, cs_names *nm)
{
	te_err rc = TE_OK;
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	unsigned seen = 0;

	ERR_clear_error();
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		unsigned bit = cs_ext_bit(OBJ_obj2nid(X509_EXTENSION_get_object(e)));

		if (bit == 0 && X509_EXTENSION_get_critical(e))
			CS_REFUSE(400, "the CSR asks for a critical extension that is not issued");
		if (bit == 0)
			continue; /* not copied */
		if (seen & bit)
			CS_REFUSE(400, "the CSR asks for an extension twice");
		seen |= bit;
		TE_GUARD(cs_extension(x, e, bit, nm));
	}
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* Parses and checks the CSR, and fills req and nm from it. */
static te_err cs_csr(cs_call *x, X509_REQ **csr, te_cert_request *req, cs_names *nm)
{
	te_err rc = TE_OK;
	EVP_PKEY *pub;
	X509_NAME *subj;
	int e;

	if (te_cert_csr_parse(x->r->csr, x->r->csr_len, csr) != TE_OK)
		CS_REFUSE(400, "field 'csr' is not a certificate signing request");
	pub = X509_REQ_get0_pubkey(*csr);
	if (pub == NULL) {
		ERR_clear_error();
		CS_REFUSE(400, "the CSR's public key is not usable");
	}
	if (X509_REQ_verify(*csr, pub) != 1) {
		ERR_clear_error();
		CS_REFUSE(400, "the CSR's signature does not verify with its key");
	}
	if (!cs_key_ok(pub))
		CS_REFUSE(400, "the CSR's key must be EC P-256, P-384 or P-521, RSA of 2048 to "
		               "8192 bits, or Ed25519");
	subj = X509_REQ_get_subject_name(*csr);
	e = cs_subject_entry(subj, NID_commonName, nm->cn, sizeof(nm->cn));
	if (e == 0)
		CS_REFUSE(400, "the CSR's subject has no common name");
	if (e < 0)
		CS_REFUSE(400, "the CSR's common name is repeated, too long or not text");
	e = cs_subject_entry(subj, NID_organizationName, nm->org, sizeof(nm->org));
	if (e < 0)
		CS_REFUSE(400, "the CSR's organization is repeated, too long or not text");
	nm->has_org = e == 1;
	TE_GUARD(cs_extensions(x, *csr, nm));
	req->profile = nm->server ? TE_CERT_SERVER : TE_CERT_CLIENT;
	req->common_name = nm->cn;
	req->organization = nm->has_org ? nm->org : NULL;
	req->dns = nm->dns_p;
	req->n_dns = nm->n_dns;
	req->ips = nm->ips_p;
	req->n_ips = nm->n_ips;
	req->uris = nm->uris_p;
	req->n_uris = nm->n_uris;
	req->lifetime = TE_KEYS_CERTSVC_CERT_MAX;
	req->cap_to_issuer = 1;
	if (te_cert_request_check(req) != TE_OK) {
		te_log_debug("certificates service: CSR names refused: %s", te_err_detail());
		CS_REFUSE(400, "the CSR's subject or names are not valid for a certificate");
	}
out:
	return rc;
}

/* What the edge CA does not certify for a caller: module identities and
 * wildcards, since every module trusts it. */
static te_err cs_edge_ca_names(cs_call *x, const cs_names *nm)
{
	te_err rc = TE_OK;

	for (size_t i = 0; i < nm->n_dns; i++) {
		if (nm->dns[i][0] == '*')
			CS_REFUSE(400, "the edge CA does not certify wildcard names");
	}
	for (size_t i = 0; i < nm->n_uris; i++) {
		if (strncasecmp(nm->uris[i], CS_AZUREIOT, sizeof(CS_AZUREIOT) - 1) == 0)
			CS_REFUSE(400, "azureiot: names are issued by the workload API only");
	}
out:
	return rc;
}

/* ---- the issuer ---- */

typedef struct cs_issuer {
	X509 *cert;          /* NULL: self-signed */
	EVP_PKEY *key;       /* owned when own_key */
	te_x509_stack *rest; /* what follows the leaf in the reply (borrowed or owned) */
	te_x509_stack *owned_certs;
	int own_key;
} cs_issuer;

static void cs_issuer_free(cs_issuer *is)
{
	if (is->own_key)
		EVP_PKEY_free(is->key);
	te_cert_stack_free(is->owned_certs);
	memset(is, 0, sizeof(*is));
}

/* The key named by the request's handle, as the caller may use it. */
static te_err cs_handle_key(cs_call *x, EVP_PKEY **key)
{
	te_err rc = TE_OK;
	te_wl_status st;
	te_hsm_key_info info;
	char id[TE_KEYHANDLE_ID_MAX + 1];

	memset(&st, 0, sizeof(st));
	rc = te_keys_svc_keypair_use(x->c->svc, x->r->uid, x->op, x->r->issuer_handle, id, &st);
	if (rc != TE_OK) {
		if (st.http_status != 0 && st.http_status != 500)
			CS_REFUSE((unsigned)st.http_status, st.message);
		goto out; /* logged by the keys service */
	}
	/* Handles name ids: the key may have been deleted, or made again as
	 * another kind, since the handle was given. */
	rc = te_hsm_key_info_get(x->c->hsm, id, &info);
	if (rc == TE_ERR_NOT_FOUND)
		CS_REFUSE(400, "field 'issuer.privateKeyHandle' names a key that does not exist");
	TE_GUARD(rc);
	if (info.type == TE_HSM_KEY_NONE || te_hsm_key_type_is_secret(info.type))
		CS_REFUSE(400,
		          "field 'issuer.privateKeyHandle' names a key that is not a key pair");
	TE_GUARD(te_hsm_key_evp(x->c->hsm, id, key));
out:
	return rc;
}

/* The certificate stored under the issuer's id and the handle's key. */
static te_err cs_issuer_stored(cs_call *x, cs_issuer *is)
{
	te_err rc = TE_OK;
	char *pem = NULL;
	size_t len = 0;
	int64_t nb = 0, na = 0;
	uint32_t flags;

	TE_GUARD(cs_access(x, x->r->issuer_cert_id, 0));
	rc = te_cert_store_get(x->c->store, x->r->issuer_cert_id, &pem, &len, NULL);
	if (rc == TE_ERR_NOT_FOUND)
		CS_REFUSE(400, "the issuer certificate was not found");
	TE_GUARD(rc);
	TE_GUARD(te_cert_pem_parse(pem, len, &is->owned_certs));
	is->cert = sk_X509_value((STACK_OF(X509) *)is->owned_certs, 0);
	is->rest = is->owned_certs;
	flags = X509_get_extension_flags(is->cert);
	if (!(flags & EXFLAG_CA) ||
	    ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(is->cert) & KU_KEY_CERT_SIGN)))
		CS_REFUSE(400, "the issuer certificate is not a CA that may sign certificates");
	TE_GUARD(te_cert_validity(is->cert, &nb, &na));
	if (x->c->now < nb || x->c->now >= na)
		CS_REFUSE(400, "the issuer certificate is not valid now");
	TE_GUARD(cs_handle_key(x, &is->key));
	is->own_key = 1;
	if (X509_check_private_key(is->cert, is->key) != 1) {
		ERR_clear_error();
		CS_REFUSE(400,
		          "field 'issuer.privateKeyHandle' is not the issuer certificate's key");
	}
out:
	free(pem);
	return rc;
}

/* Picks the issuer of a create request (see the top of this file). */
static te_err cs_issuer_pick(cs_call *x, X509_REQ *csr, const cs_names *nm, cs_issuer *is)
{
	te_err rc = TE_OK;
	const te_keys_certsvc_ctx *c = x->c;
	int64_t nb = 0, na = 0;

	if (x->r->issuer_cert_id[0] == '\0') {
		TE_GUARD(cs_edge_ca_names(x, nm));
		TE_ENSURE(c->ca_cert != NULL && c->ca_key != NULL, TE_ERR_UNSUPPORTED,
		          "certificates service: no edge CA");
		TE_GUARD(te_cert_validity(c->ca_cert, &nb, &na));
		TE_ENSURE(c->now >= nb && c->now < na, TE_ERR_CONFIG,
		          "certificates service: the edge CA is not valid now");
		is->cert = c->ca_cert;
		is->key = c->ca_key;
		is->rest = c->ca_chain;
		goto out;
	}
	if (strcmp(x->r->issuer_cert_id, x->r->cert_id) != 0) {
		TE_GUARD(cs_issuer_stored(x, is));
		goto out;
	}
	/* Self-signed: the handle's key must be the CSR's. */
	TE_GUARD(cs_handle_key(x, &is->key));
	is->own_key = 1;
	if (EVP_PKEY_eq(X509_REQ_get0_pubkey(csr), is->key) != 1) {
		ERR_clear_error();
		CS_REFUSE(400, "field 'issuer.privateKeyHandle' is not the CSR's key");
	}
out:
	return rc;
}

static te_err cs_create(cs_call *x)
{
	te_err rc = TE_OK;
	X509_REQ *csr = NULL;
	X509 *leaf = NULL;
	te_cert_request req;
	cs_names *nm = calloc(1, sizeof(*nm));
	cs_issuer is;
	int exists = 0;
	te_buf pem;

	memset(&req, 0, sizeof(req));
	memset(&is, 0, sizeof(is));
	te_buf_init(&pem, 0);
	TE_ENSURE(nm != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(cs_access(x, x->r->cert_id, 1));
	TE_GUARD(cs_writable(x, x->r->cert_id, &exists));
	TE_GUARD(cs_csr(x, &csr, &req, nm));
	TE_GUARD(cs_issuer_pick(x, csr, nm, &is));
	rc = te_cert_issue_csr(&req, csr, is.cert, is.key, x->c->now, &leaf);
	if (rc == TE_ERR_INVALID_ARG && is.cert != x->c->ca_cert) {
		te_log_debug("certificates service: not issued: %s", te_err_detail());
		CS_REFUSE(400, "the issuer cannot issue this certificate");
	}
	TE_GUARD(rc);
	/* The issuer is the first of rest: the leaf, then the issuer's chain. */
	TE_GUARD(te_cert_pem_append(leaf, is.cert != NULL ? is.rest : NULL, &pem));
	if (pem.len > TE_IPC_CERTSVC_PEM_MAX)
		CS_REFUSE(400, "the certificate and its issuer's chain are larger than a reply can "
		               "carry");
	TE_GUARD(
	    te_cert_store_put(x->c->store, x->r->cert_id, (const char *)pem.data, pem.len, NULL));
	TE_GUARD(cs_reply_pem(x, 201, (const char *)pem.data, pem.len));
out:
	te_buf_free(&pem);
	X509_free(leaf);
	X509_REQ_free(csr);
	cs_issuer_free(&is);
	free(nm);
	return rc;
}

/* ---- dispatch ---- */

static te_err cs_dispatch(cs_call *x)
{
	switch (x->r->op) {
	case TE_IPC_CERTSVC_CREATE:
		return cs_create(x);
	case TE_IPC_CERTSVC_IMPORT:
		return cs_import(x);
	case TE_IPC_CERTSVC_GET:
		return cs_get(x);
	case TE_IPC_CERTSVC_DELETE:
		return cs_delete(x);
	default:
		return te_err_set(TE_ERR_INTERNAL, "certificates service: op %u",
		                  (unsigned)x->r->op);
	}
}

te_err te_keys_certsvc_handle(const te_keys_certsvc_ctx *ctx, const te_ipc_certsvc_req *req,
                              te_ipc_msg *rep)
{
	te_err rc = TE_OK;
	cs_call x;
	te_ipc_certsvc_reply er;

	memset(&x, 0, sizeof(x));
	x.c = ctx;
	x.r = req;
	x.rep = rep;
	x.op = cs_op_name(req->op);
	te_err_clear();
	if (ctx->store == NULL || ctx->svc == NULL)
		rc = te_err_set(TE_ERR_INTERNAL, "certificates service: no store or keys service");
	else
		rc = cs_dispatch(&x);
	if (rc != TE_OK && x.status == 0) {
		te_log_err(rc, "certificates service");
		x.status = 500;
		snprintf(x.msg, sizeof(x.msg), "internal error");
	}
	if (x.status != 0) {
		if (x.status != 500 && x.status != 403)
			te_log_debug("certificates service: %s refused (%u %s)", x.op, x.status,
			             x.msg);
		te_ipc_msg_wipe(rep);
		er.status = (uint16_t)x.status;
		er.kind = TE_IPC_CERTSVC_REPLY_MESSAGE;
		er.payload = (const uint8_t *)x.msg;
		er.payload_len = strlen(x.msg);
		rc = te_ipc_certsvc_reply_encode(&er, rep);
	}
	if (x.allowed)
		te_log_info("audit: caller uid=%u op=%s cert=%s result=allowed status=%u",
		            (unsigned)req->uid, x.op, req->cert_id,
		            x.status != 0 ? x.status : x.answered);
	if (rc != TE_OK)
		te_ipc_msg_wipe(rep);
	return rc;
}
