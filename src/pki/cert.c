/*
 * cert.c - certificate issuance: request checks, profiles, CSRs, and
 * certificates signed by keys from the HSM PAL (any backend, through
 * EVP_PKEY).  Names from requests are built into ASN.1 structures one by
 * one, never pasted into OpenSSL's configuration-string syntax, so a comma
 * in a requested name cannot smuggle in another one.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "trustedge/te_cert.h"

#define CLOCK_SKEW 60                           /* seconds of backdating */
#define LIFETIME_MAX ((int64_t)100 * 366 * 86400) /* a century */
#define PATH_LEN_MAX 16

static const char *const profile_names[TE_CERT__PROFILE_COUNT] = {
	[TE_CERT_ROOT_CA] = "root-ca",
	[TE_CERT_INTERMEDIATE_CA] = "intermediate-ca",
	[TE_CERT_EDGE_CA] = "edge-ca",
	[TE_CERT_SERVER] = "server",
	[TE_CERT_CLIENT] = "client",
	[TE_CERT_VERIFICATION] = "verification",
};

const char *te_cert_profile_name(te_cert_profile p)
{
	if (p <= 0 || p >= TE_CERT__PROFILE_COUNT)
		return "unknown";
	return profile_names[p];
}

te_err te_cert_profile_parse(const char *s, te_cert_profile *out)
{
	for (int p = 1; s != NULL && p < TE_CERT__PROFILE_COUNT; p++) {
		if (strcmp(s, profile_names[p]) == 0) {
			*out = (te_cert_profile)p;
			return TE_OK;
		}
	}
	return te_err_set(TE_ERR_INVALID_ARG,
			  "unknown certificate profile '%s' (known: root-ca, intermediate-ca, "
			  "edge-ca, server, client, verification)",
			  s ? s : "");
}

static int profile_is_ca(te_cert_profile p)
{
	return p == TE_CERT_ROOT_CA || p == TE_CERT_INTERMEDIATE_CA || p == TE_CERT_EDGE_CA;
}

/* --- request checks ---------------------------------------------------------- */

static te_err check_cn(const char *cn)
{
	size_t len = strnlen(cn, TE_CERT_CN_MAX + 1);

	if (len == 0)
		return te_err_set(TE_ERR_INVALID_ARG, "common name is empty");
	if (len > TE_CERT_CN_MAX)
		return te_err_set(TE_ERR_INVALID_ARG,
				  "common name is longer than %d characters (RFC 5280 limit)",
				  TE_CERT_CN_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)cn[i];
		if (c < 0x20 || c == 0x7f)
			return te_err_set(TE_ERR_INVALID_ARG,
					  "common name contains a control character");
	}
	return TE_OK;
}

static int ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* A DNS name of LDH labels, optionally starting with one "*." wildcard. */
static te_err check_dns(const char *name, int allow_wildcard)
{
	size_t len = strnlen(name, TE_CERT_NAME_MAX + 1), label = 0;
	const char *p = name;

	if (len == 0 || len > TE_CERT_NAME_MAX)
		return te_err_set(TE_ERR_INVALID_ARG, "DNS name '%.64s' is empty or too long",
				  name);
	if (strncmp(p, "*.", 2) == 0) {
		if (!allow_wildcard)
			return te_err_set(TE_ERR_INVALID_ARG,
					  "DNS name '%s': wildcards are allowed only in server "
					  "certificates",
					  name);
		p += 2;
	}
	for (; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return te_err_set(TE_ERR_INVALID_ARG,
						  "DNS name '%s' has an empty label or one ending "
						  "in '-'",
						  name);
			label = 0;
			continue;
		}
		if (!ldh(*p) || (label == 0 && *p == '-') || ++label > 63)
			return te_err_set(TE_ERR_INVALID_ARG,
					  "DNS name '%s' is not a host name (letters, digits and "
					  "'-' in labels of at most 63)",
					  name);
	}
	if (label == 0 || p[-1] == '-')
		return te_err_set(TE_ERR_INVALID_ARG, "DNS name '%s' ends badly", name);
	return TE_OK;
}

static te_err check_ip(const char *ip)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1)
		return TE_OK;
	return te_err_set(TE_ERR_INVALID_ARG, "'%.64s' is not an IPv4 or IPv6 address", ip);
}

static te_err check_uri(const char *uri)
{
	size_t len = strnlen(uri, TE_CERT_URI_MAX + 1), i = 0;

	if (len == 0 || len > TE_CERT_URI_MAX)
		return te_err_set(TE_ERR_INVALID_ARG, "URI is empty or longer than %d",
				  TE_CERT_URI_MAX);
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986) */
	if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
		return te_err_set(TE_ERR_INVALID_ARG, "URI '%.64s' does not start with a scheme",
				  uri);
	while (i < len && uri[i] != ':') {
		char c = uri[i++];
		if (!(ldh(c) || c == '+' || c == '.'))
			return te_err_set(TE_ERR_INVALID_ARG, "URI '%.64s' has a bad scheme", uri);
	}
	if (i == len || i + 1 == len)
		return te_err_set(TE_ERR_INVALID_ARG, "URI '%.64s' has no scheme or nothing after it",
				  uri);
	for (; i < len; i++) {
		if (uri[i] <= 0x20 || uri[i] == 0x7f)
			return te_err_set(TE_ERR_INVALID_ARG,
					  "URI '%.64s' contains a space or control character", uri);
	}
	return TE_OK;
}

te_err te_cert_request_check(const te_cert_request *req)
{
	te_err rc = TE_OK;

	TE_ENSURE(req != NULL, TE_ERR_INVALID_ARG, "certificate request missing");
	TE_ENSURE(req->profile > 0 && req->profile < TE_CERT__PROFILE_COUNT, TE_ERR_INVALID_ARG,
		  "certificate profile missing or unknown");
	if (req->common_name != NULL)
		TE_GUARD(check_cn(req->common_name));
	TE_ENSURE(req->organization == NULL || strnlen(req->organization, 65) <= 64,
		  TE_ERR_INVALID_ARG, "organization is longer than 64 characters");
	TE_ENSURE(req->n_dns <= TE_CERT_SAN_MAX && req->n_ips <= TE_CERT_SAN_MAX &&
			  req->n_uris <= TE_CERT_SAN_MAX,
		  TE_ERR_INVALID_ARG, "more than %d names of one kind", TE_CERT_SAN_MAX);
	for (size_t i = 0; i < req->n_dns; i++)
		TE_GUARD(check_dns(req->dns[i], req->profile == TE_CERT_SERVER));
	for (size_t i = 0; i < req->n_ips; i++)
		TE_GUARD(check_ip(req->ips[i]));
	for (size_t i = 0; i < req->n_uris; i++)
		TE_GUARD(check_uri(req->uris[i]));
	TE_ENSURE(req->lifetime > 0 && req->lifetime <= LIFETIME_MAX, TE_ERR_INVALID_ARG,
		  "certificate lifetime must be between 1 second and 100 years");
	TE_ENSURE(req->not_before >= 0, TE_ERR_INVALID_ARG, "notBefore is negative");
	TE_ENSURE(req->path_len >= -1 && req->path_len <= PATH_LEN_MAX, TE_ERR_INVALID_ARG,
		  "path length must be -1 (none) or 0..%d", PATH_LEN_MAX);
out:
	return rc;
}

/* --- building blocks --------------------------------------------------------- */

static te_err name_build(const te_cert_request *req, const char *cn, X509_NAME **out)
{
	te_err rc = TE_OK;
	X509_NAME *name = X509_NAME_new();

	TE_GUARD_PTR(name, TE_ERR_NO_MEMORY, "out of memory");
	if (req->organization != NULL)
		TE_GUARD_OSSL(X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
							 (const unsigned char *)req->organization,
							 -1, -1, 0),
			      "subject O");
	TE_GUARD_OSSL(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
						 (const unsigned char *)cn, -1, -1, 0),
		      "subject CN");
	*out = name;
	name = NULL;
out:
	X509_NAME_free(name);
	return rc;
}

static te_err gen_push(GENERAL_NAMES *gens, int type, ASN1_STRING *value)
{
	GENERAL_NAME *gen = GENERAL_NAME_new();

	if (gen == NULL || value == NULL) {
		GENERAL_NAME_free(gen);
		ASN1_STRING_free(value);
		return te_err_set(TE_ERR_NO_MEMORY, "out of memory");
	}
	GENERAL_NAME_set0_value(gen, type, value);
	if (sk_GENERAL_NAME_push(gens, gen) <= 0) {
		GENERAL_NAME_free(gen);
		return te_err_set(TE_ERR_NO_MEMORY, "out of memory");
	}
	return TE_OK;
}

static ASN1_STRING *ia5(const char *s)
{
	ASN1_IA5STRING *v = ASN1_IA5STRING_new();

	if (v != NULL && !ASN1_STRING_set(v, s, (int)strlen(s))) {
		ASN1_IA5STRING_free(v);
		v = NULL;
	}
	return v;
}

/* The subjectAltName of a request, or NULL (and TE_OK) when it has none. */
static te_err san_build(const te_cert_request *req, GENERAL_NAMES **out)
{
	te_err rc = TE_OK;
	GENERAL_NAMES *gens = NULL;

	*out = NULL;
	if (req->n_dns + req->n_ips + req->n_uris == 0)
		return TE_OK;
	gens = sk_GENERAL_NAME_new_null();
	TE_GUARD_PTR(gens, TE_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < req->n_dns; i++)
		TE_GUARD(gen_push(gens, GEN_DNS, ia5(req->dns[i])));
	for (size_t i = 0; i < req->n_ips; i++) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(req->ips[i]);
		TE_ENSURE(ip != NULL, TE_ERR_INVALID_ARG, "'%s' is not an IP address", req->ips[i]);
		TE_GUARD(gen_push(gens, GEN_IPADD, ip));
	}
	for (size_t i = 0; i < req->n_uris; i++)
		TE_GUARD(gen_push(gens, GEN_URI, ia5(req->uris[i])));
	*out = gens;
	gens = NULL;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

static te_err add_basic_constraints(X509 *x, const te_cert_request *req)
{
	te_err rc = TE_OK;
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int path_len = -1;

	TE_GUARD_PTR(bc, TE_ERR_NO_MEMORY, "out of memory");
	bc->ca = profile_is_ca(req->profile) ? 0xff : 0;
	if (req->profile == TE_CERT_EDGE_CA)
		path_len = 0;
	else if (req->profile == TE_CERT_INTERMEDIATE_CA)
		path_len = req->path_len;
	if (path_len >= 0) {
		bc->pathlen = ASN1_INTEGER_new();
		TE_GUARD_PTR(bc->pathlen, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(ASN1_INTEGER_set(bc->pathlen, path_len), "path length");
	}
	TE_GUARD_OSSL(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_REPLACE),
		      "basicConstraints");
out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

static te_err add_key_usage(X509 *x, const te_cert_request *req, EVP_PKEY *subject)
{
	te_err rc = TE_OK;
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();

	/* Bit numbers from RFC 5280 4.2.1.3. */
	enum { DIGITAL_SIGNATURE = 0, KEY_ENCIPHERMENT = 2, KEY_CERT_SIGN = 5, CRL_SIGN = 6 };

	TE_GUARD_PTR(ku, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(ASN1_BIT_STRING_set_bit(ku, DIGITAL_SIGNATURE, 1), "keyUsage");
	if (profile_is_ca(req->profile)) {
		TE_GUARD_OSSL(ASN1_BIT_STRING_set_bit(ku, KEY_CERT_SIGN, 1), "keyUsage");
		TE_GUARD_OSSL(ASN1_BIT_STRING_set_bit(ku, CRL_SIGN, 1), "keyUsage");
	} else if (req->profile == TE_CERT_SERVER && EVP_PKEY_get_base_id(subject) == EVP_PKEY_RSA) {
		/* TLS 1.2 RSA key transport needs it; EC keys never encipher. */
		TE_GUARD_OSSL(ASN1_BIT_STRING_set_bit(ku, KEY_ENCIPHERMENT, 1), "keyUsage");
	}
	TE_GUARD_OSSL(X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_REPLACE), "keyUsage");
out:
	ASN1_BIT_STRING_free(ku);
	return rc;
}

static te_err add_eku(X509 *x, te_cert_profile profile)
{
	te_err rc = TE_OK;
	EXTENDED_KEY_USAGE *eku = NULL;
	int nid;

	if (profile == TE_CERT_SERVER)
		nid = NID_server_auth;
	else if (profile == TE_CERT_CLIENT || profile == TE_CERT_VERIFICATION)
		nid = NID_client_auth;
	else
		return TE_OK;
	eku = sk_ASN1_OBJECT_new_null();
	TE_GUARD_PTR(eku, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(nid)), "extendedKeyUsage");
	TE_GUARD_OSSL(X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_REPLACE),
		      "extendedKeyUsage");
out:
	/* OBJ_nid2obj returns static objects: free the stack only. */
	sk_ASN1_OBJECT_free(eku);
	return rc;
}

/* SKI from the subject's public key; AKI from the issuer's SKI (or ours
 * when self-signed). */
static te_err add_key_ids(X509 *x, X509 *issuer)
{
	te_err rc = TE_OK;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
	AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
	const ASN1_OCTET_STRING *issuer_ski;

	TE_GUARD_PTR(ski, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_PTR(aki, TE_ERR_NO_MEMORY, "out of memory");
	/* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
	TE_GUARD_OSSL(X509_pubkey_digest(x, EVP_sha1(), md, &md_len), "subject key id");
	TE_GUARD_OSSL(ASN1_OCTET_STRING_set(ski, md, (int)md_len), "subject key id");
	TE_GUARD_OSSL(X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_REPLACE),
		      "subjectKeyIdentifier");
	issuer_ski = issuer != NULL ? X509_get0_subject_key_id(issuer) : ski;
	if (issuer_ski != NULL) {
		aki->keyid = ASN1_OCTET_STRING_dup(issuer_ski);
		TE_GUARD_PTR(aki->keyid, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(X509_add1_ext_i2d(x, NID_authority_key_identifier, aki, 0,
						X509V3_ADD_REPLACE),
			      "authorityKeyIdentifier");
	}
out:
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(aki);
	return rc;
}

static te_err serial_set(X509 *x)
{
	te_err rc = TE_OK;
	BIGNUM *bn = BN_new();

	TE_GUARD_PTR(bn, TE_ERR_NO_MEMORY, "out of memory");
	/* 127 random bits: positive, at most 16 bytes, and never zero in
	 * practice; RFC 5280 asks for at most 20 octets. */
	do {
		TE_GUARD_OSSL(BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "serial");
	} while (BN_is_zero(bn));
	TE_GUARD_PTR(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)), TE_ERR_CRYPTO, "serial");
out:
	BN_free(bn);
	return rc;
}

static const EVP_MD *sign_digest(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL; /* pure EdDSA signs the message itself */
	case EVP_PKEY_EC:
		return EVP_PKEY_get_bits(key) > 256 ? EVP_sha384() : EVP_sha256();
	default:
		return EVP_sha256();
	}
}

static int64_t asn1_time_unix(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

te_err te_cert_validity(const X509 *cert, int64_t *not_before, int64_t *not_after)
{
	int64_t nb = asn1_time_unix(X509_get0_notBefore(cert));
	int64_t na = asn1_time_unix(X509_get0_notAfter(cert));

	if (nb < 0 || na < 0)
		return te_err_set(TE_ERR_MALFORMED, "certificate validity dates do not parse");
	if (not_before != NULL)
		*not_before = nb;
	if (not_after != NULL)
		*not_after = na;
	return TE_OK;
}

/* The subject CN of a certificate, for messages ("?" when it has none). */
static void subject_cn(X509 *x, char *out, size_t len)
{
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)len) < 0)
		snprintf(out, len, "?");
}

/* May `issuer` (with issuer_key) sign a certificate of `profile` at now? */
static te_err issuer_check(X509 *issuer, EVP_PKEY *issuer_key, te_cert_profile profile,
			   int64_t now, int64_t *issuer_na)
{
	te_err rc = TE_OK;
	char cn[TE_CERT_CN_MAX + 1];
	int64_t nb = 0, na = 0;
	uint32_t flags = X509_get_extension_flags(issuer);
	long path_len = X509_get_pathlen(issuer);

	subject_cn(issuer, cn, sizeof(cn));
	TE_ENSURE((flags & EXFLAG_CA) != 0, TE_ERR_INVALID_ARG,
		  "issuer '%s' is not a CA certificate (basicConstraints CA:FALSE or missing)", cn);
	TE_ENSURE(!(flags & EXFLAG_KUSAGE) || (X509_get_key_usage(issuer) & KU_KEY_CERT_SIGN),
		  TE_ERR_INVALID_ARG, "issuer '%s' may not sign certificates (no keyCertSign)", cn);
	TE_ENSURE(!profile_is_ca(profile) || path_len != 0, TE_ERR_INVALID_ARG,
		  "issuer '%s' has path length 0: it may issue only leaf certificates", cn);
	TE_GUARD(te_cert_validity(issuer, &nb, &na));
	TE_ENSURE(now >= nb, TE_ERR_INVALID_ARG, "issuer '%s' is not valid yet", cn);
	TE_ENSURE(now < na, TE_ERR_INVALID_ARG, "issuer '%s' has expired", cn);
	if (X509_check_private_key(issuer, issuer_key) != 1) {
		ERR_clear_error();
		TE_ENSURE(0, TE_ERR_INVALID_ARG, "the issuer key does not match issuer '%s'", cn);
	}
	*issuer_na = na;
out:
	return rc;
}

te_err te_cert_issue(const te_cert_request *req, EVP_PKEY *subject_key, X509 *issuer,
		     EVP_PKEY *issuer_key, int64_t now, X509 **out)
{
	te_err rc = TE_OK;
	X509 *x = NULL;
	X509_NAME *subject = NULL;
	GENERAL_NAMES *san = NULL;
	int64_t nb, na, issuer_na = INT64_MAX;

	TE_ENSURE(subject_key != NULL && issuer_key != NULL && out != NULL, TE_ERR_INVALID_ARG,
		  "te_cert_issue: key or output missing");
	TE_GUARD(te_cert_request_check(req));
	TE_ENSURE(req->common_name != NULL, TE_ERR_INVALID_ARG, "common name missing");
	if (issuer != NULL) {
		TE_GUARD(issuer_check(issuer, issuer_key, req->profile, now, &issuer_na));
	} else {
		TE_ENSURE(EVP_PKEY_eq(subject_key, issuer_key) == 1, TE_ERR_INVALID_ARG,
			  "a self-signed certificate must be signed by its own key");
	}
	nb = req->not_before ? req->not_before : now - CLOCK_SKEW;
	na = (req->not_before ? req->not_before : now) + req->lifetime;
	if (na > issuer_na) {
		TE_ENSURE(req->cap_to_issuer, TE_ERR_INVALID_ARG,
			  "requested validity ends %lld s after the issuer's; shorten it or "
			  "cap it at the issuer's expiry",
			  (long long)(na - issuer_na));
		na = issuer_na;
	}
	TE_ENSURE(nb < na, TE_ERR_INVALID_ARG, "certificate would not be valid at any time");

	x = X509_new();
	TE_GUARD_PTR(x, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(X509_set_version(x, X509_VERSION_3), "version");
	TE_GUARD(serial_set(x));
	TE_GUARD(name_build(req, req->common_name, &subject));
	TE_GUARD_OSSL(X509_set_subject_name(x, subject), "subject");
	TE_GUARD_OSSL(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject),
		      "issuer");
	TE_GUARD_PTR(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb), TE_ERR_CRYPTO, "notBefore");
	TE_GUARD_PTR(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na), TE_ERR_CRYPTO, "notAfter");
	TE_GUARD_OSSL(X509_set_pubkey(x, subject_key), "public key");
	TE_GUARD(add_basic_constraints(x, req));
	TE_GUARD(add_key_usage(x, req, subject_key));
	TE_GUARD(add_eku(x, req->profile));
	TE_GUARD(add_key_ids(x, issuer));
	TE_GUARD(san_build(req, &san));
	if (san != NULL)
		TE_GUARD_OSSL(X509_add1_ext_i2d(x, NID_subject_alt_name, san, 0, X509V3_ADD_REPLACE),
			      "subjectAltName");
	TE_GUARD_OSSL(X509_sign(x, issuer_key, sign_digest(issuer_key)), "certificate signature");
	*out = x;
	x = NULL;
out:
	X509_free(x);
	X509_NAME_free(subject);
	GENERAL_NAMES_free(san);
	return rc;
}

te_err te_cert_csr_create(EVP_PKEY *key, const te_cert_request *req, X509_REQ **out)
{
	te_err rc = TE_OK;
	X509_REQ *csr = NULL;
	X509_NAME *subject = NULL;
	GENERAL_NAMES *san = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;

	TE_ENSURE(key != NULL && out != NULL, TE_ERR_INVALID_ARG, "te_cert_csr_create: NULL");
	TE_GUARD(te_cert_request_check(req));
	TE_ENSURE(req->common_name != NULL, TE_ERR_INVALID_ARG, "common name missing");
	csr = X509_REQ_new();
	TE_GUARD_PTR(csr, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(X509_REQ_set_version(csr, X509_REQ_VERSION_1), "CSR version");
	TE_GUARD(name_build(req, req->common_name, &subject));
	TE_GUARD_OSSL(X509_REQ_set_subject_name(csr, subject), "CSR subject");
	TE_GUARD_OSSL(X509_REQ_set_pubkey(csr, key), "CSR public key");
	TE_GUARD(san_build(req, &san));
	if (san != NULL) {
		exts = sk_X509_EXTENSION_new_null();
		TE_GUARD_PTR(exts, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(X509V3_add1_i2d(&exts, NID_subject_alt_name, san, 0,
					      X509V3_ADD_REPLACE),
			      "CSR subjectAltName");
		TE_GUARD_OSSL(X509_REQ_add_extensions(csr, exts), "CSR extensions");
	}
	TE_GUARD_OSSL(X509_REQ_sign(csr, key, sign_digest(key)), "CSR signature");
	*out = csr;
	csr = NULL;
out:
	X509_REQ_free(csr);
	X509_NAME_free(subject);
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

te_err te_cert_issue_csr(const te_cert_request *req, X509_REQ *csr, X509 *issuer,
			 EVP_PKEY *issuer_key, int64_t now, X509 **out)
{
	te_err rc = TE_OK;
	EVP_PKEY *pub = NULL;
	te_cert_request r;
	char cn[TE_CERT_CN_MAX + 2];

	TE_ENSURE(req != NULL && csr != NULL, TE_ERR_INVALID_ARG, "te_cert_issue_csr: NULL");
	pub = X509_REQ_get0_pubkey(csr);
	TE_ENSURE(pub != NULL, TE_ERR_MALFORMED, "CSR has no usable public key");
	if (X509_REQ_verify(csr, pub) != 1) {
		ERR_clear_error();
		TE_ENSURE(0, TE_ERR_VERIFY_FAILED,
			  "CSR signature does not verify: it was not signed by its key");
	}
	r = *req;
	if (r.common_name == NULL) {
		int n = X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(csr), NID_commonName, cn,
						  (int)sizeof(cn));
		TE_ENSURE(n > 0, TE_ERR_INVALID_ARG, "CSR has no common name and none was given");
		TE_ENSURE((size_t)n == strlen(cn), TE_ERR_INVALID_ARG,
			  "CSR common name contains a NUL character");
		r.common_name = cn;
	}
	TE_GUARD(te_cert_issue(&r, pub, issuer, issuer_key, now, out));
out:
	return rc;
}
