/*
 * keys.c - the keys process's request handler: decodes one typed IPC
 * request, runs it in the HSM and encodes the reply.
 *
 * Module keys (SIGN_DERIVED_REQ).  The key of (module, genid, keyId) is
 *
 *   module_key = HMAC-SHA256(device SAS key, derivation data)
 *   derivation data = "trustedge-module-sas-v1" 0x00 module 0x00 genid
 *                     0x00 keyId
 *
 * (ASCII, no terminating NUL, keyId "primary" or "secondary").  The IPC
 * decoder guarantees that module, genid and keyId are non-empty and hold
 * no NUL, so the 0x00 separators make the encoding injective: two
 * modules, or two generation ids, never get the same derivation data and
 * so never share a key.  The digest returned is HMAC-SHA256(module_key,
 * data).  The module key is made by te_hsm_key_derive as a stored HSM key
 * (hmac-sha256, usage sign, not exportable), so its bytes never leave the
 * HSM, and it is kept: later signs cost one HMAC.  Its name is
 *
 *   "mod-" + hex(SHA-256(device key name 0x00 derivation data))[0..32)
 *
 * The device key's name is hashed in so that pointing the configuration
 * at another device key derives new module keys instead of silently
 * reusing keys derived from the old one (re-importing different bytes
 * under the same name does not: delete the mod-* keys then).  The "mod-"
 * names belong to this module; nothing else may create them.
 *
 * Workload encryption (ENCRYPT_REQ, DECRYPT_REQ).  AES-256-GCM under the
 * master encryption key with
 *
 *   AAD = "trustedge-workload-v1" 0x00 module 0x00 genid 0x00 caller_iv
 *   ciphertext = 0x01 (format version) || nonce (12) || GCM ciphertext
 *                || tag (16)
 *
 * The workload API lets the caller pick the "initializationVector", and
 * modules in practice send a constant one.  Using it as the GCM nonce
 * would repeat (key, nonce) pairs across messages, which in GCM leaks the
 * XOR of plaintexts and lets anyone forge tags.  So the nonce is always
 * fresh from the HSM's generator and travels in the ciphertext, and the
 * caller's IV is bound in the AAD instead: decrypting still needs the
 * same IV, as the API promises, without the IV ever being a nonce.  With
 * random 96-bit nonces one key is good for 2^32 encryptions (NIST
 * SP 800-38D), far beyond what a device's modules encrypt.  The module
 * identity in the AAD is what keeps module A's ciphertext from decrypting
 * as module B's (or as another generation of A).
 *
 * Certificates (CERT_SERVER_REQ, CERT_IDENTITY_REQ).  Every request gets
 * a fresh EC P-256 key pair made here with OpenSSL: it is handed to the
 * module, so it is no HSM key, and it is freed (OpenSSL clears EC private
 * keys) and its PEM wiped (a secure-memory BIO) once the reply is
 * encoded.  The certificate is signed by the edge CA's key in the HSM;
 * it ends at min(requested expiration, now + cap, the CA's notAfter), the
 * caps being TE_KEYS_SERVER_CERT_MAX and TE_KEYS_IDENTITY_CERT_MAX, and
 * an expiration that is not in the future is refused.
 *   server:   CN = commonName; SANs = commonName (IP when it parses as
 *             one, else DNS) and the module id as a DNS label (below);
 *             EKU serverAuth
 *   identity: CN = module id (at most 64 characters); SAN = URI
 *             azureiot://<hub>/devices/<device>/modules/<module>; EKU
 *             clientAuth
 * A module id is no DNS name ("$edgeHub"), so its DNS SAN is the id made
 * into one label as the reference daemon does: lower case, only [a-z0-9-]
 * kept, leading characters dropped up to the first letter, at most 63,
 * no trailing '-' ("$edgeHub" -> "edgehub"); none when nothing is left.
 * In the URI the device and module ids are percent-encoded where they hold
 * a character that is not allowed in a URI path segment ('%', '#', '?',
 * ...), so an id cannot change the URI's structure.  The reply's
 * certificate is the leaf, then the edge CA, then (CA from files) the
 * CA's chain.
 *
 * The edge CA.  Auto-generated: an EC P-256 HSM key (not exportable) and a
 * self-signed CA certificate (pathlen 0, CN "trustedge edge CA <device
 * id>") kept in the certificate store as TE_KEYS_EDGE_CA_ID, with the
 * HSM key it belongs to, and renewed by te_renewer (threshold, retry and
 * key rotation from the configuration).  The trust bundle is that CA and,
 * after a renewal, the CA it replaced (stored as TE_KEYS_EDGE_CA_PREV_ID)
 * until that one expires: leaves issued under the old CA stay valid for
 * modules that fetch the bundle after the renewal.  From files: the
 * configured certificate and key (KEYREF: an HSM key name or "pkcs11:"
 * URI, through te_hsm_key_evp; or a "file://" PEM, which is then read
 * into this process's memory), never renewed here; the trust bundle is
 * the root that ends the file's chain.
 *
 * Error replies are built from constant text and te_err_str() only: HSM
 * details name key stores and key names, so they go to the log, never to
 * a module.
 */
#include "daemon/keys.h"
#include "daemon/tee_rot.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/te_file.h"
#include "common/te_log.h"
#include "daemon/keys_certsvc.h"
#include "daemon/keys_idsvc.h"
#include "daemon/keys_svc.h"
#include "trustedge/te_cert.h"
#include "trustedge/te_mem.h"

#define KEYS_DERIV_LABEL "trustedge-module-sas-v1"
#define KEYS_AAD_LABEL   "trustedge-workload-v1"
#define KEYS_NAME_PREFIX "mod-"
#define KEYS_NAME_HEX    32 /* 128 bits of SHA-256 */
#define KEYS_NAME_LEN    (sizeof(KEYS_NAME_PREFIX) - 1 + KEYS_NAME_HEX)

/* Longest derivation data and AAD (labels, separators, fields at max). */
#define KEYS_DERIV_MAX                                                                             \
	(sizeof(KEYS_DERIV_LABEL) - 1 + 1 + TE_IPC_MODULE_MAX + 1 + TE_IPC_GENID_MAX + 1 +         \
	 TE_IPC_KEY_ID_MAX)
#define KEYS_AAD_MAX                                                                               \
	(sizeof(KEYS_AAD_LABEL) - 1 + 1 + TE_IPC_MODULE_MAX + 1 + TE_IPC_GENID_MAX + 1 +           \
	 TE_IPC_IV_MAX)

#define KEYS_CT_VERSION  0x01
#define KEYS_CT_OVERHEAD (1 + TE_HSM_GCM_IV_LEN + TE_HSM_GCM_TAG_LEN)

#define KEYS_HMAC_LEN 32

_Static_assert(KEYS_CT_OVERHEAD <= TE_IPC_CRYPT_OVERHEAD_MAX,
               "a ciphertext of the largest plaintext must fit a CRYPT_REPLY");
_Static_assert(KEYS_HMAC_LEN <= TE_IPC_DIGEST_MAX, "a digest must fit a SIGN_REPLY");

/* Defaults of an auto-generated edge CA (trustedge.yaml(5)). */
#define KEYS_CA_DEFAULT_DAYS      90
#define KEYS_CA_DEFAULT_THRESHOLD 80
#define KEYS_CA_DEFAULT_RETRY     4
#define KEYS_CA_DAYS_MAX          3650
#define KEYS_CA_CN_PREFIX         "trustedge edge CA "
#define KEYS_DEVICE_ID_MAX        128
#define KEYS_HOST_MAX             253
/* What a leaf certificate's PEM may need in a CERT_REPLY beside the CA's
 * chain (an EC P-256 leaf with the longest names is under 2 KiB). */
#define KEYS_LEAF_PEM_ROOM 4096
/* Seconds before a failed switch to a renewed CA is tried again. */
#define KEYS_RELOAD_RETRY 60
#define KEYS_KEY_FILE_MAX (64 * 1024)

_Static_assert(TE_IPC_CN_MAX == TE_CERT_CN_MAX, "a common name fits a certificate");
_Static_assert(TE_IPC_CERT_PEM_MAX > KEYS_LEAF_PEM_ROOM, "room for a chain");

/* The edge CA as the handler uses it. */
struct keys_ca {
	te_x509_stack *chain; /* the CA certificate, then its chain: follows every leaf */
	X509 *cert;           /* the CA (first of chain) */
	X509 *root;           /* the last of chain: the trust bundle of a CA from files */
	EVP_PKEY *key;        /* the CA's private key: an HSM key, or read from a file */
	int64_t not_before, not_after;
};

struct te_keys {
	te_hsm *hsm;
	char device_key[TE_HSM_REF_MAX + 1];
	char encrypt_key[TE_HSM_REF_MAX + 1];
	int64_t (*clock)(void);
	/* Certificates: certs is 0 when no store is configured. */
	int certs;
	int ca_auto;
	te_cert_store *store;
	te_renewer *renewer;
	te_renew_policy policy;
	int64_t ca_lifetime;
	char ca_cn[TE_CERT_CN_MAX + 1];
	struct keys_ca ca;
	X509 *ca_prev; /* auto: the CA a renewal replaced, trusted until it expires */
	int ca_reload; /* a renewal stored a CA that ca does not hold yet */
	char device_id[KEYS_DEVICE_ID_MAX + 1];
	char hub[KEYS_HOST_MAX + 1];
	int64_t server_max;
	int64_t identity_max;
	char *manifest; /* normalised PEM of the manifest trust bundle; NULL: empty */
	size_t manifest_len;
	te_keys_svc *svc; /* the keys service; NULL when not configured */
	/* Fetched once: an implicit fetch per request costs more than the
	 * HMAC it names the key for. */
	EVP_MD *sha256;
	EVP_MD_CTX *md;
};

static int64_t keys_now(const te_keys *k)
{
	return k->clock != NULL ? k->clock() : (int64_t)time(NULL);
}

/* One part of a 0x00-separated encoding. */
struct keys_part {
	const void *p;
	size_t n;
};

/* Writes parts joined by 0x00 into buf. */
static te_err keys_join(const struct keys_part *parts, size_t n_parts, uint8_t *buf, size_t room,
                        size_t *len)
{
	te_err rc = TE_OK;
	size_t at = 0;

	for (size_t i = 0; i < n_parts; i++) {
		size_t need = parts[i].n + (i > 0 ? 1 : 0);

		TE_ENSURE(need <= room - at, TE_ERR_INTERNAL,
		          "keys: encoding longer than %zu bytes", room);
		if (i > 0)
			buf[at++] = 0x00;
		if (parts[i].n > 0)
			memcpy(buf + at, parts[i].p, parts[i].n);
		at += parts[i].n;
	}
	*len = at;
out:
	return rc;
}

static te_err keys_derivation_data(const te_ipc_sign_derived_req *r, uint8_t *buf, size_t room,
                                   size_t *len)
{
	const struct keys_part parts[] = {
	    {KEYS_DERIV_LABEL, sizeof(KEYS_DERIV_LABEL) - 1},
	    {r->module, strlen(r->module)},
	    {r->genid, strlen(r->genid)},
	    {r->key_id, strlen(r->key_id)},
	};

	return keys_join(parts, sizeof(parts) / sizeof(parts[0]), buf, room, len);
}

_Static_assert(KEYS_DERIV_MAX == TE_KEYS_DERIVATION_MAX, "keys.h states the longest derivation");

te_err te_keys_module_derivation(const char *module, const char *genid, const char *key_id,
                                 uint8_t *buf, size_t room, size_t *len)
{
	te_err rc = TE_OK;
	te_ipc_sign_derived_req r;
	size_t nm = strnlen(module, TE_IPC_MODULE_MAX + 1),
	       ng = strnlen(genid, TE_IPC_GENID_MAX + 1),
	       nk = strnlen(key_id, TE_IPC_KEY_ID_MAX + 1);

	/* The same checks as the IPC decoder's, so the encoding stays
	 * injective: non-empty fields within their bounds. */
	TE_ENSURE(nm >= 1 && nm <= TE_IPC_MODULE_MAX && ng >= 1 && ng <= TE_IPC_GENID_MAX &&
	              nk >= 1 && nk <= TE_IPC_KEY_ID_MAX,
	          TE_ERR_INVALID_ARG, "keys: module, genid or keyId of a bad length");
	memset(&r, 0, sizeof(r));
	memcpy(r.module, module, nm);
	memcpy(r.genid, genid, ng);
	memcpy(r.key_id, key_id, nk);
	TE_GUARD(keys_derivation_data(&r, buf, room, len));
out:
	return rc;
}

static te_err keys_aad(const te_ipc_crypt_req *r, uint8_t *buf, size_t room, size_t *len)
{
	const struct keys_part parts[] = {
	    {KEYS_AAD_LABEL, sizeof(KEYS_AAD_LABEL) - 1},
	    {r->module, strlen(r->module)},
	    {r->genid, strlen(r->genid)},
	    {r->iv, r->iv_len},
	};

	return keys_join(parts, sizeof(parts) / sizeof(parts[0]), buf, room, len);
}

/* "mod-" + 32 hex digits of SHA-256(device key name 0x00 derivation data). */
static te_err keys_module_key_name(te_keys *k, const uint8_t *dd, size_t dd_len,
                                   char name[KEYS_NAME_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	te_err rc = TE_OK;
	EVP_MD_CTX *md = k->md;
	uint8_t h[32];
	size_t at = sizeof(KEYS_NAME_PREFIX) - 1;

	TE_GUARD_OSSL(EVP_DigestInit_ex(md, k->sha256, NULL), "sha256 init");
	TE_GUARD_OSSL(EVP_DigestUpdate(md, k->device_key, strlen(k->device_key) + 1),
	              "sha256 update");
	TE_GUARD_OSSL(EVP_DigestUpdate(md, dd, dd_len), "sha256 update");
	TE_GUARD_OSSL(EVP_DigestFinal_ex(md, h, NULL), "sha256 final");
	memcpy(name, KEYS_NAME_PREFIX, at);
	for (size_t i = 0; i < KEYS_NAME_HEX / 2; i++) {
		name[at++] = hex[h[i] >> 4];
		name[at++] = hex[h[i] & 0xf];
	}
	name[at] = '\0';
out:
	return rc;
}

/* Makes the module key `name` unless it is there already. */
static te_err keys_module_key(te_keys *k, const uint8_t *dd, size_t dd_len, const char *name)
{
	const te_hsm_key_attrs attrs = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_err rc;

	if (te_hsm_key_exists(k->hsm, name))
		return TE_OK;
	rc = te_hsm_key_derive(k->hsm, k->device_key, dd, dd_len, name, &attrs);
	/* Another thread or process derived it between the check and here:
	 * same derivation data, same key, so theirs will do. */
	if (rc == TE_ERR_EXISTS) {
		te_err_clear();
		rc = TE_OK;
	}
	return rc;
}

/* The ops below encode their success reply; on failure they return the
 * code for the ERROR_REPLY and set *why to words fit for a module. */

static te_err keys_sign(te_keys *k, const te_ipc_sign_derived_req *r, te_ipc_msg *reply,
                        const char **why)
{
	te_err rc = TE_OK;
	uint8_t dd[KEYS_DERIV_MAX];
	size_t dd_len = 0;
	char name[KEYS_NAME_LEN + 1];
	uint8_t digest[KEYS_HMAC_LEN];
	size_t digest_len = sizeof(digest);
	te_ipc_sign_reply rep;

	*why = "keyId must be \"primary\" or \"secondary\"";
	TE_ENSURE(strcmp(r->key_id, "primary") == 0 || strcmp(r->key_id, "secondary") == 0,
	          TE_ERR_INVALID_ARG, "keys: sign: unknown keyId");
	*why = "cannot derive the module key";
	TE_GUARD(keys_derivation_data(r, dd, sizeof(dd), &dd_len));
	TE_GUARD(keys_module_key_name(k, dd, dd_len, name));
	TE_GUARD(keys_module_key(k, dd, dd_len, name));
	*why = "cannot sign with the module key";
	TE_GUARD(te_hsm_key_sign(k->hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, r->data, r->data_len,
	                         digest, &digest_len));
	*why = "cannot encode the reply";
	rep.digest = digest;
	rep.digest_len = digest_len;
	TE_GUARD(te_ipc_sign_reply_encode(&rep, reply));
out:
	/* The digest is a bearer SAS signature. */
	te_memzero(digest, sizeof(digest));
	return rc;
}

static te_err keys_encrypt(te_keys *k, const te_ipc_crypt_req *r, te_ipc_msg *reply,
                           const char **why)
{
	te_err rc = TE_OK;
	uint8_t aad[KEYS_AAD_MAX];
	size_t aad_len = 0;
	size_t ct_len = KEYS_CT_OVERHEAD + r->data_len;
	size_t body_len = ct_len - 1 - TE_HSM_GCM_IV_LEN;
	uint8_t *ct = malloc(ct_len), *nonce = NULL;
	te_ipc_crypt_reply rep;

	*why = "cannot encrypt";
	TE_ENSURE(ct != NULL, TE_ERR_NO_MEMORY, "out of memory");
	nonce = ct + 1;
	TE_GUARD(keys_aad(r, aad, sizeof(aad), &aad_len));
	ct[0] = KEYS_CT_VERSION;
	*why = "cannot make a nonce";
	TE_GUARD(te_hsm_random(k->hsm, nonce, TE_HSM_GCM_IV_LEN));
	*why = "cannot encrypt with the encryption key";
	TE_GUARD(te_hsm_key_encrypt(k->hsm, k->encrypt_key, TE_HSM_ALG_AES_256_GCM, nonce,
	                            TE_HSM_GCM_IV_LEN, aad, aad_len, r->data, r->data_len,
	                            nonce + TE_HSM_GCM_IV_LEN, &body_len));
	TE_ENSURE(body_len == r->data_len + TE_HSM_GCM_TAG_LEN, TE_ERR_INTERNAL,
	          "keys: encrypt: %zu bytes of GCM output for %zu of plaintext", body_len,
	          r->data_len);
	*why = "cannot encode the reply";
	rep.data = ct;
	rep.data_len = ct_len;
	TE_GUARD(te_ipc_crypt_reply_encode(&rep, reply));
out:
	if (ct != NULL) {
		/* Ciphertext is no secret, but a backend that failed half-way
		 * may have left anything in the buffer. */
		te_memzero(ct, ct_len);
		free(ct);
	}
	return rc;
}

static te_err keys_decrypt(te_keys *k, const te_ipc_crypt_req *r, te_ipc_msg *reply,
                           const char **why)
{
	te_err rc = TE_OK;
	uint8_t aad[KEYS_AAD_MAX];
	size_t aad_len = 0;
	size_t pt_room = 0, pt_len = 0;
	uint8_t *pt = NULL;
	te_ipc_crypt_reply rep;

	/* The ciphertext came from a module: check its shape before use. */
	*why = "ciphertext is too short";
	TE_ENSURE(r->data_len >= KEYS_CT_OVERHEAD, TE_ERR_MALFORMED,
	          "keys: decrypt: ciphertext of %zu bytes", r->data_len);
	*why = "unknown ciphertext format version";
	TE_ENSURE(r->data[0] == KEYS_CT_VERSION, TE_ERR_UNSUPPORTED,
	          "keys: decrypt: ciphertext format version %u", (unsigned)r->data[0]);
	*why = "cannot decrypt";
	pt_room = pt_len = r->data_len - KEYS_CT_OVERHEAD;
	pt = malloc(pt_room + 1); /* + 1: never malloc(0) */
	TE_ENSURE(pt != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(keys_aad(r, aad, sizeof(aad), &aad_len));
	*why = "cannot decrypt: wrong module, generation id or initialization vector, or a "
	       "damaged ciphertext";
	TE_GUARD(te_hsm_key_decrypt(k->hsm, k->encrypt_key, TE_HSM_ALG_AES_256_GCM, r->data + 1,
	                            TE_HSM_GCM_IV_LEN, aad, aad_len,
	                            r->data + 1 + TE_HSM_GCM_IV_LEN,
	                            r->data_len - 1 - TE_HSM_GCM_IV_LEN, pt, &pt_len));
	*why = "cannot decrypt";
	TE_ENSURE(pt_len == pt_room, TE_ERR_INTERNAL,
	          "keys: decrypt: %zu bytes of plaintext, expected %zu", pt_len, pt_room);
	*why = "cannot encode the reply";
	rep.data = pt;
	rep.data_len = pt_len;
	TE_GUARD(te_ipc_crypt_reply_encode(&rep, reply));
out:
	if (pt != NULL) {
		te_memzero(pt, pt_room + 1);
		free(pt);
	}
	return rc;
}

/* ---- certificates ---- */

static int keys_is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The module id made into one DNS label (see the top of this file); ""
 * when nothing of it is left. */
static void keys_dns_label(const char *module, char out[64])
{
	size_t n = 0;

	for (const char *p = module; *p != '\0' && n < 63; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			continue;
		/* A label starts with a letter. */
		if (n == 0 && !(c >= 'a' && c <= 'z'))
			continue;
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

/* Characters a URI path segment may hold as they are (RFC 3986 pchar
 * without pct-encoded). */
static int keys_pchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._~!$&'()*+,;=:@", c) != NULL);
}

/* Appends s to out[*at..room), percent-encoding when encode is set. */
static te_err keys_uri_append(char *out, size_t room, size_t *at, const char *s, int encode)
{
	static const char hex[] = "0123456789ABCDEF";
	te_err rc = TE_OK;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = !encode || keys_pchar((char)c);

		TE_ENSURE(room - *at > (plain ? 1u : 3u), TE_ERR_INVALID_ARG,
		          "keys: identity URI longer than %zu characters", room - 1);
		if (plain) {
			out[(*at)++] = (char)c;
			continue;
		}
		out[(*at)++] = '%';
		out[(*at)++] = hex[c >> 4];
		out[(*at)++] = hex[c & 0xf];
	}
	out[*at] = '\0';
out:
	return rc;
}

/* azureiot://<hub>/devices/<device>/modules/<module> */
static te_err keys_identity_uri(const te_keys *k, const char *module, char *out, size_t room)
{
	te_err rc = TE_OK;
	size_t at = 0;

	TE_GUARD(keys_uri_append(out, room, &at, "azureiot://", 0));
	TE_GUARD(keys_uri_append(out, room, &at, k->hub, 0));
	TE_GUARD(keys_uri_append(out, room, &at, "/devices/", 0));
	TE_GUARD(keys_uri_append(out, room, &at, k->device_id, 1));
	TE_GUARD(keys_uri_append(out, room, &at, "/modules/", 0));
	TE_GUARD(keys_uri_append(out, room, &at, module, 1));
out:
	return rc;
}

/* The request was checked before te_cert_issue, so a refusal from it is
 * about the CA, not the module: no refusal code then. */
static te_err keys_issue_fail(te_err rc)
{
	if (rc == TE_ERR_INVALID_ARG)
		return te_err_set(TE_ERR_INTERNAL, "keys: the edge CA cannot issue: %s",
		                  te_err_detail());
	return rc;
}

/* The PKCS#8 PEM of key into a secure-memory BIO (wiped when freed). */
static te_err keys_key_pem(EVP_PKEY *key, BIO **bio, const char **pem, size_t *len)
{
	te_err rc = TE_OK;
	char *data = NULL;
	long n;

	*bio = BIO_new(BIO_s_secmem());
	TE_GUARD_PTR(*bio, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(PEM_write_bio_PKCS8PrivateKey(*bio, key, NULL, NULL, 0, NULL, NULL),
	              "encode private key");
	n = BIO_get_mem_data(*bio, &data);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "encode private key: empty");
	*pem = data;
	*len = (size_t)n;
out:
	return rc;
}

/* The names of a server certificate: the common name, and the module's
 * DNS label unless it is the same name. */
static void keys_server_names(const te_ipc_cert_req *r, te_cert_request *req, const char **dns,
                              const char **ips, char label[64])
{
	req->common_name = r->common_name;
	if (keys_is_ip(r->common_name))
		ips[req->n_ips++] = r->common_name;
	else
		dns[req->n_dns++] = r->common_name;
	keys_dns_label(r->module, label);
	if (label[0] != '\0' && (req->n_ips > 0 || strcasecmp(label, r->common_name) != 0))
		dns[req->n_dns++] = label;
	req->dns = dns;
	req->ips = ips;
}

static te_err keys_cert(te_keys *k, uint16_t type, const te_ipc_cert_req *r, te_ipc_msg *reply,
                        const char **why)
{
	te_err rc = TE_OK;
	const int server = type == TE_IPC_CERT_SERVER_REQ;
	const int64_t now = keys_now(k);
	int64_t end, na = 0;
	const char *dns[2], *ips[1], *uris[1];
	char label[64], uri[TE_CERT_URI_MAX + 1];
	te_cert_request req;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	BIO *key_bio = NULL;
	te_buf cert_pem;
	te_ipc_cert_reply rep;

	te_buf_init(&cert_pem, 0);
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	*why = "certificates are not configured";
	TE_ENSURE(k->certs, TE_ERR_UNSUPPORTED, "keys: no certificate store is configured");
	*why = "expiration is not in the future";
	TE_ENSURE(!r->has_expiration || r->expiration > now, TE_ERR_INVALID_ARG,
	          "keys: expiration %lld is not after now (%lld)", (long long)r->expiration,
	          (long long)now);
	*why = "the edge CA is not valid at this time";
	TE_ENSURE(now >= k->ca.not_before && now < k->ca.not_after, TE_ERR_CONFIG,
	          "keys: the edge CA is valid %lld..%lld, now is %lld", (long long)k->ca.not_before,
	          (long long)k->ca.not_after, (long long)now);
	end = now + (server ? k->server_max : k->identity_max);
	if (r->has_expiration && r->expiration < end)
		end = r->expiration;
	if (end > k->ca.not_after)
		end = k->ca.not_after;
	req.profile = server ? TE_CERT_SERVER : TE_CERT_CLIENT;
	req.lifetime = end - now;
	req.cap_to_issuer = 1;
	if (server) {
		keys_server_names(r, &req, dns, ips, label);
		*why = "commonName must be a host name or an IP address";
	} else {
		*why = "the module id is longer than a certificate common name may be";
		TE_ENSURE(strlen(r->module) <= TE_CERT_CN_MAX, TE_ERR_INVALID_ARG,
		          "keys: module id of %zu characters", strlen(r->module));
		*why = "the module id or device id does not fit an identity URI";
		TE_GUARD(keys_identity_uri(k, r->module, uri, sizeof(uri)));
		uris[0] = uri;
		req.uris = uris;
		req.n_uris = 1;
		req.common_name = r->module;
	}
	TE_GUARD(te_cert_request_check(&req));
	*why = "cannot make a key pair";
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (key == NULL) {
		rc = te_err_set_ossl(TE_ERR_CRYPTO, "keys: EC P-256 key generation");
		goto out;
	}
	*why = "cannot issue the certificate";
	TE_GUARD(keys_issue_fail(te_cert_issue(&req, key, k->ca.cert, k->ca.key, now, &leaf)));
	TE_GUARD(te_cert_validity(leaf, NULL, &na));
	TE_GUARD(te_cert_pem_append(leaf, k->ca.chain, &cert_pem));
	*why = "cannot encode the private key";
	TE_GUARD(keys_key_pem(key, &key_bio, &rep.key_pem, &rep.key_pem_len));
	*why = "cannot encode the reply";
	rep.cert_pem = (const char *)cert_pem.data;
	rep.cert_pem_len = cert_pem.len;
	rep.expiration = na;
	TE_GUARD(te_ipc_cert_reply_encode(&rep, reply));
out:
	BIO_free(key_bio); /* secure memory: wiped */
	EVP_PKEY_free(key);
	X509_free(leaf);
	te_buf_free(&cert_pem);
	return rc;
}

/* PEM of the trust bundle: the auto-generated CA and, until it expires,
 * the one it replaced; or the root of a CA from files. */
static te_err keys_trust_bundle(te_keys *k, te_ipc_msg *reply, const char **why)
{
	te_err rc = TE_OK;
	STACK_OF(X509) *extra = NULL;
	te_buf pem;
	te_ipc_bundle_reply rep;

	te_buf_init(&pem, 0);
	*why = "certificates are not configured";
	TE_ENSURE(k->certs, TE_ERR_UNSUPPORTED, "keys: no certificate store is configured");
	*why = "cannot make the trust bundle";
	if (!k->ca_auto) {
		TE_GUARD(te_cert_pem_append(k->ca.root, NULL, &pem));
	} else {
		extra = sk_X509_new_null();
		TE_GUARD_PTR(extra, TE_ERR_NO_MEMORY, "out of memory");
		if (k->ca_prev != NULL && X509_cmp(k->ca_prev, k->ca.cert) != 0) {
			int64_t prev_na = 0;

			if (te_cert_validity(k->ca_prev, NULL, &prev_na) == TE_OK &&
			    keys_now(k) < prev_na)
				TE_ENSURE(sk_X509_push(extra, k->ca_prev) > 0, TE_ERR_NO_MEMORY,
				          "out of memory");
		}
		TE_GUARD(te_cert_pem_append(k->ca.cert, (te_x509_stack *)extra, &pem));
	}
	*why = "cannot encode the reply";
	rep.pem = (const char *)pem.data;
	rep.pem_len = pem.len;
	TE_GUARD(te_ipc_bundle_reply_encode(&rep, reply));
out:
	sk_X509_free(extra); /* borrowed certificates */
	te_buf_free(&pem);
	return rc;
}

static te_err keys_manifest_bundle(te_keys *k, te_ipc_msg *reply, const char **why)
{
	te_ipc_bundle_reply rep = {k->manifest, k->manifest_len};

	*why = "cannot encode the reply";
	return te_ipc_bundle_reply_encode(&rep, reply);
}

/* The keys service answers with its own reply type, refusals included;
 * an ERROR_REPLY means it is not there, or could not answer at all. */
static te_err keys_service(te_keys *k, const te_ipc_keysvc_req *r, te_ipc_msg *reply,
                           const char **why)
{
	*why = "the keys service is not configured";
	if (k->svc == NULL)
		return te_err_set(TE_ERR_UNSUPPORTED, "keys: the keys service is not configured");
	*why = "cannot answer the keys service request";
	return te_keys_svc_handle(k->svc, r, reply);
}

/* The certificates service (keys_certsvc.h) over this process's store,
 * edge CA and keys service (principals, key handles); like the keys
 * service it answers with its own reply type, refusals included.  The
 * edge CA's store ids are the daemon's: read-only there. */
static te_err keys_certsvc(te_keys *k, const te_ipc_certsvc_req *r, te_ipc_msg *reply,
                           const char **why)
{
	static const char *const owned[] = {TE_KEYS_EDGE_CA_ID, TE_KEYS_EDGE_CA_PREV_ID};
	te_keys_certsvc_ctx c;

	*why = "the certificates service is not configured";
	if (!k->certs || k->svc == NULL)
		return te_err_set(TE_ERR_UNSUPPORTED,
		                  "keys: the certificates service is not configured");
	memset(&c, 0, sizeof(c));
	c.hsm = k->hsm;
	c.store = k->store;
	c.svc = k->svc;
	c.ca_cert = k->ca.cert;
	c.ca_key = k->ca.key;
	c.ca_chain = k->ca.chain;
	c.now = keys_now(k);
	c.reserved_prefixes = owned;
	c.n_reserved_prefixes = sizeof(owned) / sizeof(owned[0]);
	*why = "cannot answer the certificates service request";
	return te_keys_certsvc_handle(&c, r, reply);
}

/* Failures that are the requesting module's doing: not worth an error
 * line in the daemon's log. */
static int keys_refusal(te_err code)
{
	return code == TE_ERR_INVALID_ARG || code == TE_ERR_MALFORMED ||
	       code == TE_ERR_UNSUPPORTED || code == TE_ERR_DECRYPT_FAILED;
}

/* Replaces reply with an ERROR_REPLY of code and why; logs the detail. */
static te_err keys_error_reply(uint16_t type, te_err code, const char *why, te_ipc_msg *reply)
{
	te_ipc_error_reply er;
	char what[64];

	snprintf(what, sizeof(what), "keys: %s", te_ipc_type_name(type));
	if (keys_refusal(code))
		te_log_debug("%s refused: %s", what, te_err_detail());
	else
		te_log_err(code, what);
	memset(&er, 0, sizeof(er));
	er.code = code;
	snprintf(er.message, sizeof(er.message), "%s (%s)", why, te_err_str(code));
	/* A failed op may have half-encoded a secret reply. */
	te_ipc_msg_wipe(reply);
	return te_ipc_error_reply_encode(&er, reply);
}

/* Every decoding failure is a protocol error, whatever the decoder said. */
static te_err keys_decoded(te_err rc)
{
	return rc == TE_OK ? TE_OK : te_err_set(TE_ERR_MALFORMED, "keys: %s", te_err_detail());
}

te_err te_keys_handle(te_keys *k, const te_ipc_msg *req, te_ipc_msg *reply)
{
	te_err rc = TE_OK, op = TE_OK;
	const char *why = "cannot serve the request";
	te_ipc_sign_derived_req sreq;
	te_ipc_crypt_req creq;
	te_ipc_cert_req cert;
	te_ipc_keysvc_req ksreq;
	te_ipc_certsvc_req csreq;
	te_ipc_idsvc_req idreq;
	uint32_t id = req->id;

	TE_ENSURE(req != reply, TE_ERR_INVALID_ARG,
	          "keys: request and reply must be distinct messages");
	te_err_clear();
	switch (req->type) {
	case TE_IPC_SIGN_DERIVED_REQ:
		TE_GUARD(keys_decoded(te_ipc_sign_derived_req_decode(req, &sreq)));
		op = keys_sign(k, &sreq, reply, &why);
		break;
	case TE_IPC_ENCRYPT_REQ:
		TE_GUARD(keys_decoded(te_ipc_encrypt_req_decode(req, &creq)));
		op = keys_encrypt(k, &creq, reply, &why);
		break;
	case TE_IPC_DECRYPT_REQ:
		TE_GUARD(keys_decoded(te_ipc_decrypt_req_decode(req, &creq)));
		op = keys_decrypt(k, &creq, reply, &why);
		break;
	case TE_IPC_CERT_SERVER_REQ:
		TE_GUARD(keys_decoded(te_ipc_cert_server_req_decode(req, &cert)));
		op = keys_cert(k, req->type, &cert, reply, &why);
		break;
	case TE_IPC_CERT_IDENTITY_REQ:
		TE_GUARD(keys_decoded(te_ipc_cert_identity_req_decode(req, &cert)));
		op = keys_cert(k, req->type, &cert, reply, &why);
		break;
	case TE_IPC_TRUST_BUNDLE_REQ:
		TE_GUARD(keys_decoded(te_ipc_trust_bundle_req_decode(req)));
		op = keys_trust_bundle(k, reply, &why);
		break;
	case TE_IPC_MANIFEST_TRUST_BUNDLE_REQ:
		TE_GUARD(keys_decoded(te_ipc_manifest_trust_bundle_req_decode(req)));
		op = keys_manifest_bundle(k, reply, &why);
		break;
	case TE_IPC_KEYSVC_REQ:
		TE_GUARD(keys_decoded(te_ipc_keysvc_req_decode(req, &ksreq)));
		op = keys_service(k, &ksreq, reply, &why);
		break;
	case TE_IPC_CERTSVC_REQ:
		TE_GUARD(keys_decoded(te_ipc_certsvc_req_decode(req, &csreq)));
		op = keys_certsvc(k, &csreq, reply, &why);
		te_memzero(csreq.issuer_handle, sizeof(csreq.issuer_handle));
		break;
	case TE_IPC_IDSVC_REQ:
		TE_GUARD(keys_decoded(te_ipc_idsvc_req_decode(req, &idreq)));
		op = te_keys_idsvc_answer(k->svc, &idreq, reply, &why);
		break;
	default:
		why = "request type not served by the keys process";
		op = te_err_set(TE_ERR_UNSUPPORTED, "type %u (%s)", (unsigned)req->type,
		                te_ipc_type_name(req->type));
		break;
	}
	if (op != TE_OK)
		TE_GUARD(keys_error_reply(req->type, op, why, reply));
	reply->id = id;
out:
	if (rc != TE_OK && req != reply)
		te_ipc_msg_wipe(reply);
	return rc;
}

/* Checks that key `name` is of type `type` and allows `usage`. */
static te_err keys_check_key(te_hsm *hsm, const char *what, const char *name, te_hsm_key_type type,
                             uint32_t usage)
{
	te_err rc = TE_OK;
	te_hsm_key_info info;
	char have[64] = "", need[64] = "";

	TE_GUARD(te_hsm_key_info_get(hsm, name, &info));
	TE_ENSURE(info.type == type, TE_ERR_CONFIG, "%s '%s' is %s, not %s", what, name,
	          te_hsm_key_type_name(info.type), te_hsm_key_type_name(type));
	if ((info.usage & usage) != usage) {
		TE_GUARD(te_hsm_usage_format(info.usage, have, sizeof(have)));
		TE_GUARD(te_hsm_usage_format(usage, need, sizeof(need)));
		TE_ENSURE(0, TE_ERR_CONFIG, "%s '%s' has usage '%s'; it needs '%s'", what, name,
		          have, need);
	}
out:
	return rc;
}

static te_err keys_name_copy(const char *what, const char *src, char *dst, size_t room)
{
	te_err rc = TE_OK;
	size_t n = src != NULL ? strlen(src) : 0;

	TE_ENSURE(n > 0 && n < room, TE_ERR_CONFIG, "%s: a key name of 1..%zu characters is needed",
	          what, room - 1);
	memcpy(dst, src, n + 1);
out:
	return rc;
}

/* ---- the edge CA ---- */

static void keys_ca_free(struct keys_ca *ca)
{
	te_cert_stack_free(ca->chain);
	EVP_PKEY_free(ca->key);
	memset(ca, 0, sizeof(*ca));
}

/* Makes ca from PEM (the CA first, then its chain) and the CA's key,
 * which it takes over (freed on failure too).  `what` names the source
 * in errors. */
static te_err keys_ca_build(const char *what, const char *pem, size_t len, EVP_PKEY *key,
                            struct keys_ca *ca)
{
	te_err rc = TE_OK;
	struct keys_ca c;
	STACK_OF(X509) * st;
	uint32_t flags;

	memset(&c, 0, sizeof(c));
	c.key = key;
	rc = te_cert_pem_parse(pem, len, &c.chain);
	if (rc != TE_OK) {
		rc = te_err_set(TE_ERR_CONFIG, "%s: %s", what, te_err_detail());
		goto out;
	}
	st = (STACK_OF(X509) *)c.chain;
	c.cert = sk_X509_value(st, 0);
	c.root = sk_X509_value(st, sk_X509_num(st) - 1);
	flags = X509_get_extension_flags(c.cert);
	TE_ENSURE((flags & EXFLAG_CA) != 0, TE_ERR_CONFIG,
	          "%s: the certificate is not a CA (basicConstraints CA:FALSE or missing)", what);
	TE_ENSURE(!(flags & EXFLAG_KUSAGE) || (X509_get_key_usage(c.cert) & KU_KEY_CERT_SIGN),
	          TE_ERR_CONFIG,
	          "%s: the CA certificate may not sign certificates (no keyCertSign)", what);
	if (X509_check_private_key(c.cert, key) != 1) {
		ERR_clear_error();
		TE_ENSURE(0, TE_ERR_CONFIG, "%s: the private key does not match the CA certificate",
		          what);
	}
	TE_GUARD(te_cert_validity(c.cert, &c.not_before, &c.not_after));
	*ca = c;
	memset(&c, 0, sizeof(c));
out:
	keys_ca_free(&c);
	return rc;
}

/* A KEYREF: "file:///path" (a PEM private key, read into memory), or an
 * HSM key name or URI. */
static te_err keys_key_ref(te_keys *k, const char *ref, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	const char *path = ref + 7;
	BIO *bio = NULL;
	te_buf b;

	te_buf_init(&b, 1);
	if (strncmp(ref, "file://", 7) != 0) {
		rc = te_hsm_key_evp(k->hsm, ref, out);
		if (rc != TE_OK)
			rc = te_err_set(rc, "edge CA key '%s': %s", ref, te_err_detail());
		goto out;
	}
	TE_GUARD(te_file_read_at(AT_FDCWD, path, path, KEYS_KEY_FILE_MAX, &b));
	bio = BIO_new_mem_buf(b.data, (int)b.len);
	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (*out == NULL) {
		ERR_clear_error();
		TE_ENSURE(0, TE_ERR_CONFIG,
		          "edge CA key '%s' is not an unencrypted PEM private key", path);
	}
out:
	BIO_free(bio);
	te_buf_free(&b);
	return rc;
}

/* Loads the auto-generated CA from the store into k->ca. */
static te_err keys_ca_load_auto(te_keys *k)
{
	te_err rc = TE_OK;
	char key_name[TE_HSM_NAME_MAX + 1] = "";
	char *pem = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	struct keys_ca ca;

	memset(&ca, 0, sizeof(ca));
	TE_GUARD(te_cert_store_get(k->store, TE_KEYS_EDGE_CA_ID, &pem, &len, key_name));
	TE_ENSURE(key_name[0] != '\0', TE_ERR_CONFIG,
	          "edge CA '" TE_KEYS_EDGE_CA_ID "' in the certificate store names no key");
	rc = te_hsm_key_evp(k->hsm, key_name, &key);
	if (rc != TE_OK) {
		rc = te_err_set(rc,
		                "the key '%s' of edge CA '" TE_KEYS_EDGE_CA_ID
		                "': %s (delete the store entry to make a new CA)",
		                key_name, te_err_detail());
		goto out;
	}
	rc = keys_ca_build("edge CA '" TE_KEYS_EDGE_CA_ID "'", pem, len, key, &ca);
	key = NULL;
	TE_GUARD(rc);
	keys_ca_free(&k->ca);
	k->ca = ca;
	memset(&ca, 0, sizeof(ca));
out:
	EVP_PKEY_free(key);
	free(pem);
	return rc;
}

/* The CA a renewal replaced, kept in the store for the trust bundle; a
 * missing or unreadable entry only means none. */
static void keys_ca_load_prev(te_keys *k)
{
	char *pem = NULL;
	size_t len = 0;
	te_x509_stack *st = NULL;
	te_err rc = te_cert_store_get(k->store, TE_KEYS_EDGE_CA_PREV_ID, &pem, &len, NULL);

	if (rc == TE_OK)
		rc = te_cert_pem_parse(pem, len, &st);
	if (rc == TE_OK) {
		X509_free(k->ca_prev);
		k->ca_prev = sk_X509_shift((STACK_OF(X509) *)st);
	} else if (rc != TE_ERR_NOT_FOUND) {
		te_log_warn("previous edge CA not trusted: %s", te_err_detail());
	}
	te_cert_stack_free(st);
	free(pem);
}

/* Issues a self-signed edge CA certificate for HSM key key_name at now:
 * the first one and, as the renewer's callback, each renewal. */
static te_err keys_ca_issue(void *arg, const char *id, const char *key_name, int64_t now,
                            te_buf *pem)
{
	te_keys *k = arg;
	te_err rc = TE_OK;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	te_cert_request req;

	memset(&req, 0, sizeof(req));
	req.profile = TE_CERT_EDGE_CA;
	req.common_name = k->ca_cn;
	req.lifetime = k->ca_lifetime;
	TE_GUARD(te_hsm_key_evp(k->hsm, key_name, &key));
	TE_GUARD(te_cert_issue(&req, key, NULL, key, now, &x));
	TE_GUARD(te_cert_pem_append(x, NULL, pem));
out:
	if (rc != TE_OK)
		rc =
		    te_err_set(rc, "edge CA '%s' with key '%s': %s", id, key_name, te_err_detail());
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* After a renewal was stored: keep the replaced CA trusted while it is
 * valid, and have te_keys_maintain load the new one. */
static void keys_ca_renewed(void *arg, const char *id, const char *key_name)
{
	te_keys *k = arg;
	te_buf pem;

	k->ca_reload = 1;
	if (k->ca.cert == NULL || keys_now(k) >= k->ca.not_after)
		return;
	te_buf_init(&pem, 0);
	if (te_cert_pem_append(k->ca.cert, NULL, &pem) != TE_OK ||
	    te_cert_store_put(k->store, TE_KEYS_EDGE_CA_PREV_ID, (const char *)pem.data, pem.len,
	                      NULL) != TE_OK)
		te_log_warn("edge CA '%s' renewed; the previous one is not kept: %s", id,
		            te_err_detail());
	te_buf_free(&pem);
	if (X509_up_ref(k->ca.cert) == 1) {
		X509_free(k->ca_prev);
		k->ca_prev = k->ca.cert;
	}
}

/* First start: the CA's key (a leftover of an interrupted first start is
 * reused) and a self-signed certificate, stored together. */
static te_err keys_ca_create(te_keys *k, int64_t now)
{
	te_err rc = TE_OK;
	const te_hsm_key_attrs attrs = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_info info;
	te_buf pem;

	te_buf_init(&pem, 0);
	rc = te_hsm_key_create(k->hsm, TE_KEYS_EDGE_CA_KEY, &attrs);
	if (rc == TE_ERR_EXISTS)
		rc = TE_OK;
	TE_GUARD(rc);
	TE_GUARD(te_hsm_key_info_get(k->hsm, TE_KEYS_EDGE_CA_KEY, &info));
	TE_ENSURE(info.type == TE_HSM_KEY_EC_P256 && (info.usage & TE_HSM_USAGE_SIGN) &&
	              !info.exportable,
	          TE_ERR_CONFIG,
	          "HSM key '" TE_KEYS_EDGE_CA_KEY "' exists but is not a non-exportable ec-p256 "
	          "signing key: it cannot become the edge CA's key");
	TE_GUARD(keys_ca_issue(k, TE_KEYS_EDGE_CA_ID, TE_KEYS_EDGE_CA_KEY, now, &pem));
	TE_GUARD(te_cert_store_put(k->store, TE_KEYS_EDGE_CA_ID, (const char *)pem.data, pem.len,
	                           TE_KEYS_EDGE_CA_KEY));
	te_log_info("created the edge CA (key '%s', valid %lld days)", TE_KEYS_EDGE_CA_KEY,
	            (long long)(k->ca_lifetime / 86400));
out:
	te_buf_free(&pem);
	return rc;
}

static te_err keys_ca_open_auto(te_keys *k, const te_daemon_edge_ca *e, int64_t now)
{
	te_err rc = TE_OK;
	char *pem = NULL;
	size_t len = 0;
	uint32_t days = e != NULL && e->lifetime_days ? e->lifetime_days : KEYS_CA_DEFAULT_DAYS;
	const te_renew_ops ops = {keys_ca_issue, keys_ca_renewed, k};

	k->ca_auto = 1;
	TE_ENSURE(days <= KEYS_CA_DAYS_MAX, TE_ERR_CONFIG,
	          "edge CA lifetime of %u days is more than %d", (unsigned)days, KEYS_CA_DAYS_MAX);
	k->ca_lifetime = (int64_t)days * 86400;
	te_renew_policy_default(&k->policy);
	k->policy.threshold_pct = e != NULL && e->renew_threshold_pct ? e->renew_threshold_pct
	                                                              : KEYS_CA_DEFAULT_THRESHOLD;
	k->policy.retry_pct =
	    e != NULL && e->renew_retry_pct ? e->renew_retry_pct : KEYS_CA_DEFAULT_RETRY;
	k->policy.rotate_key = e != NULL && e->renew_rotate_key;
	(void)snprintf(k->ca_cn, sizeof(k->ca_cn), "%s%s", KEYS_CA_CN_PREFIX, k->device_id);
	TE_GUARD(te_renewer_new(k->store, k->hsm, &k->renewer));
	rc = te_cert_store_get(k->store, TE_KEYS_EDGE_CA_ID, &pem, &len, NULL);
	if (rc == TE_ERR_NOT_FOUND)
		rc = keys_ca_create(k, now);
	TE_GUARD(rc);
	TE_GUARD(keys_ca_load_auto(k));
	TE_GUARD(te_renewer_manage(k->renewer, TE_KEYS_EDGE_CA_ID, TE_HSM_KEY_EC_P256, &k->policy,
	                           &ops));
	keys_ca_load_prev(k);
out:
	free(pem);
	return rc;
}

/* The latest time every certificate of the chain is valid at, so the
 * chain's structure is checked whatever the clock says now. */
static te_err keys_chain_time(const te_x509_stack *chain, int64_t *at)
{
	te_err rc = TE_OK;
	const STACK_OF(X509) *st = (const STACK_OF(X509) *)chain;
	int64_t nb_max = INT64_MIN, na_min = INT64_MAX;

	for (int i = 0; i < sk_X509_num(st); i++) {
		int64_t nb = 0, na = 0;

		TE_GUARD(te_cert_validity(sk_X509_value(st, i), &nb, &na));
		nb_max = nb > nb_max ? nb : nb_max;
		na_min = na < na_min ? na : na_min;
	}
	TE_ENSURE(nb_max < na_min, TE_ERR_CONFIG,
	          "the certificates have no validity period in common");
	*at = nb_max;
out:
	return rc;
}

static te_err keys_ca_open_files(te_keys *k, const te_daemon_edge_ca *e, int64_t now)
{
	te_err rc = TE_OK;
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *roots = NULL;
	te_buf file, pem;
	int64_t at = 0;

	te_buf_init(&file, 0);
	te_buf_init(&pem, 0);
	TE_ENSURE(e->cert != NULL && e->pk != NULL, TE_ERR_CONFIG,
	          "edge CA: cert and pk are both needed unless it is auto-generated");
	rc = te_file_read_at(AT_FDCWD, e->cert, e->cert, TE_CERT_PEM_MAX, &file);
	if (rc != TE_OK) {
		rc = te_err_set(TE_ERR_CONFIG, "edge CA certificate: %s", te_err_detail());
		goto out;
	}
	TE_GUARD(keys_key_ref(k, e->pk, &key));
	rc = keys_ca_build("edge CA certificate", (const char *)file.data, file.len, key, &k->ca);
	key = NULL;
	if (rc != TE_OK) {
		rc = te_err_set(rc, "'%s': %s", e->cert, te_err_detail());
		goto out;
	}
	TE_ENSURE(X509_self_signed(k->ca.root, 1) == 1, TE_ERR_CONFIG,
	          "'%s' must hold the edge CA certificate followed by its chain up to and "
	          "including the self-signed root",
	          e->cert);
	roots = sk_X509_new_null();
	TE_ENSURE(roots != NULL && sk_X509_push(roots, k->ca.root) > 0, TE_ERR_NO_MEMORY,
	          "out of memory");
	TE_GUARD(keys_chain_time(k->ca.chain, &at));
	rc = te_cert_chain_verify(k->ca.cert, k->ca.chain, (te_x509_stack *)roots, at, NULL);
	if (rc != TE_OK) {
		rc = te_err_set(TE_ERR_CONFIG, "'%s': the chain does not verify: %s", e->cert,
		                te_err_detail());
		goto out;
	}
	/* Every CERT_REPLY carries the chain: it must leave room for a leaf. */
	for (int i = 0; i < sk_X509_num((STACK_OF(X509) *)k->ca.chain); i++)
		TE_GUARD(te_cert_pem_append(sk_X509_value((STACK_OF(X509) *)k->ca.chain, i), NULL,
		                            &pem));
	TE_ENSURE(pem.len <= TE_IPC_CERT_PEM_MAX - KEYS_LEAF_PEM_ROOM, TE_ERR_CONFIG,
	          "'%s': the chain's PEM of %zu bytes leaves no room for a leaf in a reply of %d",
	          e->cert, pem.len, TE_IPC_CERT_PEM_MAX);
	pem.len = 0;
	TE_GUARD(te_cert_pem_append(k->ca.root, NULL, &pem));
	TE_ENSURE(pem.len <= TE_IPC_BUNDLE_PEM_MAX, TE_ERR_CONFIG,
	          "'%s': the root's PEM is larger than a trust bundle may be", e->cert);
	if (now < k->ca.not_before || now >= k->ca.not_after)
		te_log_warn("the edge CA in '%s' is not valid now: certificate requests will fail",
		            e->cert);
out:
	sk_X509_free(roots); /* borrowed */
	EVP_PKEY_free(key);
	te_buf_free(&file);
	te_buf_free(&pem);
	return rc;
}

static int keys_blank(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* The manifest trust bundle: certificates only, kept as normalised PEM
 * (comments and other blocks of the file are not passed on). */
static te_err keys_manifest_load(te_keys *k, const char *path)
{
	te_err rc = TE_OK;
	te_x509_stack *certs = NULL;
	X509 *first = NULL;
	te_buf file, pem;

	te_buf_init(&file, 0);
	te_buf_init(&pem, 0);
	rc = te_file_read_at(AT_FDCWD, path, path, TE_IPC_BUNDLE_PEM_MAX, &file);
	if (rc == TE_OK && !keys_blank(file.data, file.len))
		rc = te_cert_pem_parse((const char *)file.data, file.len, &certs);
	if (rc != TE_OK) {
		rc = te_err_set(TE_ERR_CONFIG, "manifest trust bundle: %s", te_err_detail());
		goto out;
	}
	if (certs == NULL)
		goto out; /* an empty file: an empty bundle */
	first = sk_X509_shift((STACK_OF(X509) *)certs);
	TE_GUARD(te_cert_pem_append(first, certs, &pem));
	TE_ENSURE(pem.len <= TE_IPC_BUNDLE_PEM_MAX, TE_ERR_CONFIG,
	          "manifest trust bundle '%s' is larger than %d bytes", path,
	          TE_IPC_BUNDLE_PEM_MAX);
	k->manifest = malloc(pem.len);
	TE_ENSURE(k->manifest != NULL, TE_ERR_NO_MEMORY, "out of memory");
	memcpy(k->manifest, pem.data, pem.len);
	k->manifest_len = pem.len;
out:
	X509_free(first);
	te_cert_stack_free(certs);
	te_buf_free(&file);
	te_buf_free(&pem);
	return rc;
}

static te_err keys_certs_open(te_keys *k, const te_keys_cert_config *cfg, int64_t now)
{
	te_err rc = TE_OK;
	const te_daemon_edge_ca *e = cfg->edge_ca;
	size_t n = cfg->device_id != NULL ? strlen(cfg->device_id) : 0;
	const char *hub = cfg->iothub_hostname != NULL ? cfg->iothub_hostname : TE_KEYS_LOCAL_HUB;

	TE_ENSURE(n > 0 && n <= KEYS_DEVICE_ID_MAX, TE_ERR_CONFIG,
	          "certificates: a device id of 1..%d characters is needed", KEYS_DEVICE_ID_MAX);
	memcpy(k->device_id, cfg->device_id, n + 1);
	n = strlen(hub);
	TE_ENSURE(n > 0 && n <= KEYS_HOST_MAX, TE_ERR_CONFIG,
	          "certificates: the IoT Hub host name must have 1..%d characters", KEYS_HOST_MAX);
	memcpy(k->hub, hub, n + 1);
	k->server_max = cfg->server_cert_max ? cfg->server_cert_max : TE_KEYS_SERVER_CERT_MAX;
	k->identity_max =
	    cfg->identity_cert_max ? cfg->identity_cert_max : TE_KEYS_IDENTITY_CERT_MAX;
	TE_ENSURE(k->server_max > 0 && k->server_max <= TE_KEYS_SERVER_CERT_MAX &&
	              k->identity_max > 0 && k->identity_max <= TE_KEYS_IDENTITY_CERT_MAX,
	          TE_ERR_CONFIG,
	          "certificates: lifetime caps must be 1..%lld s (server) and 1..%lld s "
	          "(identity)",
	          (long long)TE_KEYS_SERVER_CERT_MAX, (long long)TE_KEYS_IDENTITY_CERT_MAX);
	TE_GUARD(te_cert_store_open(cfg->cert_store, &k->store));
	if (e == NULL || e->auto_generated)
		TE_GUARD(keys_ca_open_auto(k, e, now));
	else
		TE_GUARD(keys_ca_open_files(k, e, now));
	k->certs = 1;
out:
	return rc;
}

/* Renews the CA when due and switches to a renewed one; see keys.h. */
static te_err keys_maintain(te_keys *k, int64_t now, int64_t *next)
{
	te_err rc = TE_OK;
	int64_t n = INT64_MAX, prev_na = 0;

	if (!k->certs || !k->ca_auto)
		goto out;
	TE_GUARD(te_renewer_run(k->renewer, now, NULL, &n));
	if (k->ca_reload) {
		te_err load = keys_ca_load_auto(k);

		if (load == TE_OK) {
			k->ca_reload = 0;
			te_log_info("the edge CA was renewed; the new one is valid until %lld",
			            (long long)k->ca.not_after);
		} else {
			/* Keep issuing under the old CA, which is still valid
			 * (the renewer renews before expiry), and try again. */
			te_log_err(load, "keys: cannot switch to the renewed edge CA");
			n = n < now + KEYS_RELOAD_RETRY ? n : now + KEYS_RELOAD_RETRY;
		}
	}
	/* An expired previous CA is no use in the trust bundle. */
	if (k->ca_prev != NULL &&
	    (te_cert_validity(k->ca_prev, NULL, &prev_na) != TE_OK || now >= prev_na)) {
		te_err del = te_cert_store_delete(k->store, TE_KEYS_EDGE_CA_PREV_ID);

		if (del != TE_OK && del != TE_ERR_NOT_FOUND)
			te_log_warn("cannot delete the expired previous edge CA: %s",
			            te_err_detail());
		X509_free(k->ca_prev);
		k->ca_prev = NULL;
	}
out:
	if (rc == TE_OK)
		*next = n;
	return rc;
}

te_err te_keys_maintain(te_keys *k, int64_t now, int64_t *next)
{
	te_err_clear();
	return keys_maintain(k, now, next);
}

/* The certificate part of te_keys_open_with_certs. */
static te_err keys_certs_setup(te_keys *k, const te_keys_cert_config *certs)
{
	te_err rc = TE_OK;
	int64_t now, next = 0;

	k->clock = certs->clock;
	now = keys_now(k);
	if (certs->manifest_trust_bundle != NULL)
		TE_GUARD(keys_manifest_load(k, certs->manifest_trust_bundle));
	if (certs->cert_store == NULL)
		goto out;
	TE_GUARD(keys_certs_open(k, certs, now));
	/* A CA that fell due (or expired) while the daemon was down is
	 * renewed before the first request. */
	TE_GUARD(keys_maintain(k, now, &next));
out:
	return rc;
}

void te_keys_cert_config_fill(const te_daemon_config *dc, te_keys_cert_config *out)
{
	memset(out, 0, sizeof(*out));
	out->cert_store = dc->cert_store;
	out->device_id = dc->provisioning.device_id;
	out->iothub_hostname = dc->provisioning.iothub_hostname;
	out->edge_ca = &dc->edge_ca;
	out->keys_service = dc;
}

/* The keys service, which must leave alone the keys this process owns:
 * the device and encryption keys, module keys, the edge CA's keys. */
static te_err keys_svc_setup(te_keys *k, const te_keys_cert_config *certs)
{
	const te_daemon_edge_ca *e = certs->edge_ca;
	const char *reserved[3] = {k->device_key, k->encrypt_key, NULL};
	static const char *const prefixes[] = {KEYS_NAME_PREFIX, TE_KEYS_EDGE_CA_KEY};
	te_keys_svc_config sc;

	memset(&sc, 0, sizeof(sc));
	sc.dc = certs->keys_service;
	sc.reserved = reserved;
	sc.n_reserved = 2;
	if (e != NULL && !e->auto_generated && e->pk != NULL && te_hsm_name_check(e->pk) == TE_OK)
		reserved[sc.n_reserved++] = e->pk;
	sc.reserved_prefixes = prefixes;
	sc.n_reserved_prefixes = sizeof(prefixes) / sizeof(prefixes[0]);
	sc.identity_key = k->device_key; /* identity handles (keys_idsvc.h) */
	return te_keys_svc_open(k->hsm, &sc, &k->svc);
}

te_err te_keys_open(te_hsm *hsm, const te_keys_config *cfg, te_keys **out)
{
	return te_keys_open_with_certs(hsm, cfg, NULL, out);
}

te_err te_keys_open_with_certs(te_hsm *hsm, const te_keys_config *cfg,
                               const te_keys_cert_config *certs, te_keys **out)
{
	te_err rc = TE_OK;
	te_keys *k = NULL;
	const te_hsm_key_attrs aes = {TE_HSM_KEY_AES_256_GCM, TE_HSM_USAGE_ENCRYPT, 0};

	TE_ENSURE(hsm != NULL && cfg != NULL && out != NULL, TE_ERR_INVALID_ARG,
	          "keys: no HSM, configuration or output");
	*out = NULL;
	k = calloc(1, sizeof(*k));
	TE_ENSURE(k != NULL, TE_ERR_NO_MEMORY, "out of memory");
	k->hsm = hsm;
	k->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	k->md = EVP_MD_CTX_new();
	TE_ENSURE(k->sha256 != NULL && k->md != NULL, TE_ERR_CRYPTO, "cannot set up SHA-256");
	TE_GUARD(
	    keys_name_copy("device key", cfg->device_key, k->device_key, sizeof(k->device_key)));
	TE_GUARD(keys_name_copy("encryption key", cfg->encrypt_key, k->encrypt_key,
	                        sizeof(k->encrypt_key)));
	TE_ENSURE(strcmp(k->device_key, k->encrypt_key) != 0, TE_ERR_CONFIG,
	          "the device key and the encryption key must differ");
	TE_GUARD(keys_check_key(hsm, "device key", k->device_key, TE_HSM_KEY_HMAC_SHA256,
	                        TE_HSM_USAGE_DERIVE));
	if (!te_hsm_key_exists(hsm, k->encrypt_key)) {
		rc = te_hsm_key_create(hsm, k->encrypt_key, &aes);
		/* Lost a race with another creator: check theirs below. */
		if (rc == TE_ERR_EXISTS)
			rc = TE_OK;
		else if (rc == TE_OK)
			te_log_info("created encryption key '%s'", k->encrypt_key);
		TE_GUARD(rc);
	}
	TE_GUARD(keys_check_key(hsm, "encryption key", k->encrypt_key, TE_HSM_KEY_AES_256_GCM,
	                        TE_HSM_USAGE_ENCRYPT));
	if (certs != NULL)
		TE_GUARD(keys_certs_setup(k, certs));
	if (certs != NULL && certs->keys_service != NULL)
		TE_GUARD(keys_svc_setup(k, certs));
	*out = k;
	k = NULL;
out:
	te_keys_close(k);
	return rc;
}

te_err te_keys_tee_rot(te_keys *k, te_rot **out)
{
	if (!k->certs || k->ca.cert == NULL || k->ca.key == NULL)
		return te_err_set(TE_ERR_UNSUPPORTED,
		                  "keys: enclaves need the edge CA (a certificate store)");
	return te_rot_hsm_open(k->hsm, k->ca.cert, k->ca.key, k->ca.chain, k->device_id,
	                       keys_now(k), out);
}

void te_keys_close(te_keys *k)
{
	if (k == NULL)
		return;
	te_keys_svc_close(k->svc);
	keys_ca_free(&k->ca);
	X509_free(k->ca_prev);
	te_renewer_free(k->renewer);
	te_cert_store_close(k->store);
	free(k->manifest);
	EVP_MD_CTX_free(k->md);
	EVP_MD_free(k->sha256);
	free(k);
}
