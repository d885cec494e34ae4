/*
 * provider.c - the trustedge OpenSSL 3 provider: registration in the
 * default library context, the algorithm tables, error reporting, and
 * te_provider_key_new, which turns an HSM key into an EVP_PKEY whose
 * private operations come back to te_hsm.
 *
 * How a key reaches OpenSSL.  te_provider_key_new reads the key's info and
 * public key from the backend, arms a one-shot "handoff" record in a
 * thread-local slot, and calls EVP_PKEY_fromdata on our keymgmt with one
 * private parameter holding the record's address.  The keymgmt import takes
 * the record only when the parameter equals the armed slot of the calling
 * thread, comparing pointer values without following them; the slot is
 * cleared as it is taken and when EVP_PKEY_fromdata returns.  So a
 * parameter from anywhere else (a config file, a peer, another library
 * calling EVP_PKEY_fromdata) can neither point the provider at memory nor
 * bind a key to an HSM: the worst it gets is "unknown handoff".  The
 * provider offers no decoder, store or keymgmt load, so no file, URI or
 * encoded key can produce one of its keys either.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "hsm/core.h"
#include "hsm/provider.h"
#include "hsm/provider_int.h"

#define PROPS "provider=" TE_PROVIDER_NAME

/* --- errors ---------------------------------------------------------------- */

void te_prov_raise(const te_prov_ctx *prov, te_err err, const char *file, int line,
		   const char *func, const char *fmt, ...)
{
	va_list ap;

	if (err == TE_OK || (unsigned)err >= TE_ERR__COUNT)
		err = TE_ERR_INTERNAL;
	if (prov == NULL || prov->new_error == NULL || prov->vset_error == NULL)
		return;
	prov->new_error(prov->handle);
	if (prov->set_error_debug != NULL)
		prov->set_error_debug(prov->handle, file, line, func);
	va_start(ap, fmt);
	prov->vset_error(prov->handle, (uint32_t)err, fmt, ap);
	va_end(ap);
}

/* Reason strings are te_err's own sentences, so the code that reads the
 * OpenSSL error queue and the code that reads te_err agree. */
static OSSL_ITEM reason_strings[TE_ERR__COUNT];

static void reason_strings_fill(void)
{
	size_t n = 0;

	for (int e = TE_OK + 1; e < TE_ERR__COUNT; e++) {
		reason_strings[n].id = (unsigned)e;
		reason_strings[n].ptr = (void *)te_err_str((te_err)e);
		n++;
	}
	reason_strings[n].id = 0;
	reason_strings[n].ptr = NULL;
}

EVP_MD *te_prov_md_fetch(const char *name)
{
	return EVP_MD_fetch(NULL, name, TE_PROV_PROPQ);
}

/* --- the provider ------------------------------------------------------------ */

static const OSSL_ALGORITHM keymgmt_algs[] = {
	{"EC:id-ecPublicKey:1.2.840.10045.2.1", PROPS, te_prov_ec_keymgmt,
	 "trustedge HSM EC keys"},
	{"RSA:rsaEncryption:1.2.840.113549.1.1.1", PROPS, te_prov_rsa_keymgmt,
	 "trustedge HSM RSA keys"},
	{"ED25519:1.3.101.112", PROPS, te_prov_ed25519_keymgmt, "trustedge HSM Ed25519 keys"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM signature_algs[] = {
	{TE_PROV_SIG_ECDSA, PROPS, te_prov_ecdsa_signature, "ECDSA in the HSM"},
	{TE_PROV_SIG_RSA, PROPS, te_prov_rsa_signature, "RSA PKCS#1 v1.5 and PSS in the HSM"},
	{TE_PROV_SIG_ED25519, PROPS, te_prov_ed25519_signature, "Ed25519 in the HSM"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM cipher_algs[] = {
	{TE_PROV_CIPHER_RSA, PROPS, te_prov_rsa_cipher, "RSA-OAEP decryption in the HSM"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *prov_query(void *provctx, int operation_id, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	switch (operation_id) {
	case OSSL_OP_KEYMGMT:
		return keymgmt_algs;
	case OSSL_OP_SIGNATURE:
		return signature_algs;
	case OSSL_OP_ASYM_CIPHER:
		return cipher_algs;
	default:
		return NULL;
	}
}

static const OSSL_ITEM *prov_reasons(void *provctx)
{
	(void)provctx;
	return reason_strings;
}

static const OSSL_PARAM *prov_gettable_params(void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, NULL, 0),
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, NULL, 0),
		OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, NULL, 0),
		OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, NULL),
		OSSL_PARAM_END,
	};

	(void)provctx;
	return list;
}

static int prov_get_params(void *provctx, OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	(void)provctx;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
	if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, "trustedge HSM provider"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
	if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, "1"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
	if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, "trustedge"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
	if (p != NULL && !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

static void prov_teardown(void *provctx)
{
	free(provctx);
}

static const OSSL_DISPATCH prov_dispatch[] = {
	{OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))prov_teardown},
	{OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))prov_gettable_params},
	{OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))prov_get_params},
	{OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))prov_query},
	{OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))prov_reasons},
	{0, NULL},
};

/* Called by OpenSSL once per library context that loads the provider
 * (and once per child context made from one). */
static int prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
		     const OSSL_DISPATCH **out, void **provctx)
{
	te_prov_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return 0;
	ctx->handle = handle;
	for (; in != NULL && in->function_id != 0; in++) {
		switch (in->function_id) {
		case OSSL_FUNC_CORE_NEW_ERROR:
			ctx->new_error = OSSL_FUNC_core_new_error(in);
			break;
		case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
			ctx->set_error_debug = OSSL_FUNC_core_set_error_debug(in);
			break;
		case OSSL_FUNC_CORE_VSET_ERROR:
			ctx->vset_error = OSSL_FUNC_core_vset_error(in);
			break;
		default:
			break;
		}
	}
	*out = prov_dispatch;
	*provctx = ctx;
	return 1;
}

/* --- loading ------------------------------------------------------------------ */

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static te_err load_rc = TE_OK;
static char load_detail[256];

static void load_fail(te_err rc)
{
	load_rc = rc;
	snprintf(load_detail, sizeof(load_detail), "%s", te_err_detail());
}

static OSSL_PROVIDER *prov_default, *prov_trustedge;

/* At exit, before OPENSSL_cleanup (registered earlier, so run later):
 * drops our activations so OpenSSL can tear the providers down.  Keys
 * still alive keep their provider alive through their own references. */
static void load_release(void)
{
	OSSL_PROVIDER_unload(prov_trustedge);
	OSSL_PROVIDER_unload(prov_default);
	prov_trustedge = NULL;
	prov_default = NULL;
}

/*
 * OpenSSL 3.0 remembers the key manager it fetched from a given provider
 * under the algorithm name and property query alone.  When a signature or
 * decryption starts with one of our keys, libcrypto fetches "EC" (or "RSA")
 * from this provider, and from then on a plain fetch of "EC" in the process
 * returns our key manager, which cannot generate or decode keys: the next
 * EVP_PKEY_Q_keygen(NULL, NULL, "EC", ...) fails.  Re-setting the default
 * property query empties that cache; the methods themselves stay loaded,
 * so the cost is a lookup on the next fetch of each algorithm.
 * trustedge's own processes set no default properties, so NULL keeps
 * them as they were; docs/provider.md tells other users.
 */
void te_prov_method_cache_flush(void)
{
	(void)EVP_set_default_properties(NULL, NULL);
}

/*
 * The provider handles are kept for the life of the process, since keys
 * handed out may outlive any caller.
 */
static void load_run(void)
{
	reason_strings_fill();
	/* Loading any provider by hand turns off OpenSSL's implicit loading
	 * of the default one, which everything but our keys relies on. */
	prov_default = OSSL_PROVIDER_load(NULL, "default");
	if (prov_default == NULL) {
		load_fail(te_err_set_ossl(TE_ERR_CRYPTO, "cannot load OpenSSL's default provider"));
		return;
	}
	if (OSSL_PROVIDER_add_builtin(NULL, TE_PROVIDER_NAME, prov_init) != 1) {
		load_fail(te_err_set_ossl(TE_ERR_CRYPTO, "cannot register the trustedge provider"));
		return;
	}
	prov_trustedge = OSSL_PROVIDER_load(NULL, TE_PROVIDER_NAME);
	if (prov_trustedge == NULL) {
		load_fail(te_err_set_ossl(TE_ERR_CRYPTO, "cannot load the trustedge provider"));
		return;
	}
	if (atexit(load_release) != 0)
		load_fail(te_err_set(TE_ERR_INTERNAL, "atexit failed"));
}

te_err te_provider_load(void)
{
	if (pthread_once(&load_once, load_run) != 0)
		return te_err_set(TE_ERR_INTERNAL, "pthread_once failed");
	if (load_rc != TE_OK)
		return te_err_set(load_rc, "%s", load_detail);
	return TE_OK;
}

/* --- handing keys over ---------------------------------------------------------- */

static _Thread_local te_prov_handoff *handoff_armed;

te_prov_handoff *te_prov_handoff_take(const void *claimed)
{
	te_prov_handoff *h = handoff_armed;

	if (h == NULL || claimed != (const void *)h)
		return NULL;
	handoff_armed = NULL;
	return h;
}

static void handoff_free(te_prov_handoff *h)
{
	if (h == NULL)
		return;
	te_hsm_unref(h->hsm);
	free(h->ref);
	EVP_PKEY_free(h->pub);
	free(h);
}

/* The OpenSSL key type of an HSM key type, and the group or size its
 * public key must have. */
static te_err key_kind(const char *name, te_hsm_key_type type, te_prov_kind *kind,
		       const char **ossl_type)
{
	switch (type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
		*kind = TE_PROV_EC;
		*ossl_type = "EC";
		return TE_OK;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		*kind = TE_PROV_RSA;
		*ossl_type = "RSA";
		return TE_OK;
	case TE_HSM_KEY_ED25519:
		*kind = TE_PROV_ED25519;
		*ossl_type = "ED25519";
		return TE_OK;
	default:
		if (te_hsm_key_type_is_secret(type))
			return te_err_set(TE_ERR_UNSUPPORTED,
					  "key '%s' is a secret %s key: only asymmetric keys "
					  "can be used through OpenSSL",
					  name, te_hsm_key_type_name(type));
		return te_err_set(TE_ERR_UNSUPPORTED, "key '%s' has type %s, which OpenSSL "
				  "cannot use", name, te_hsm_key_type_name(type));
	}
}

/* The backend's public key must be what its info says, or signatures made
 * under one name would be checked against another key. */
static te_err pub_check(const char *name, te_hsm_key_type type, EVP_PKEY *pub)
{
	char group[64] = "";
	const char *want_group = NULL;
	int want_bits = 0, ok;

	switch (type) {
	case TE_HSM_KEY_EC_P256:
		want_group = "prime256v1";
		break;
	case TE_HSM_KEY_EC_P384:
		want_group = "secp384r1";
		break;
	case TE_HSM_KEY_RSA_2048:
		want_bits = 2048;
		break;
	case TE_HSM_KEY_RSA_3072:
		want_bits = 3072;
		break;
	case TE_HSM_KEY_RSA_4096:
		want_bits = 4096;
		break;
	default:
		break;
	}
	/* A key of the wrong type may queue errors on the way to "no"; they
	 * are not the caller's business, the message below is. */
	ERR_set_mark();
	if (want_group != NULL)
		ok = EVP_PKEY_is_a(pub, "EC") &&
		     EVP_PKEY_get_group_name(pub, group, sizeof(group), NULL) == 1 &&
		     strcmp(group, want_group) == 0;
	else if (want_bits != 0)
		ok = EVP_PKEY_is_a(pub, "RSA") && EVP_PKEY_get_bits(pub) == want_bits;
	else
		ok = EVP_PKEY_is_a(pub, "ED25519");
	ERR_pop_to_mark();
	if (!ok)
		return te_err_set(TE_ERR_MALFORMED,
				  "key '%s': the backend's public key (%s) is not a %s key", name,
				  EVP_PKEY_get0_type_name(pub), te_hsm_key_type_name(type));
	return TE_OK;
}

static te_err pub_read(te_hsm *hsm, const char *name, te_hsm_key_type type, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	te_buf der;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;

	te_buf_init(&der, 0);
	TE_GUARD(te_hsm_key_public(hsm, name, TE_HSM_PUB_DER, &der));
	TE_ENSURE(der.len > 0 && der.len <= (size_t)INT32_MAX, TE_ERR_MALFORMED,
		  "key '%s': the backend returned an empty or oversized public key", name);
	p = der.data;
	pub = d2i_PUBKEY_ex(NULL, &p, (long)der.len, NULL, TE_PROV_PROPQ);
	if (pub == NULL) {
		rc = te_err_set_ossl(TE_ERR_MALFORMED, "public key from the backend");
		goto out;
	}
	TE_ENSURE(p == der.data + der.len, TE_ERR_MALFORMED,
		  "key '%s': trailing bytes after the backend's public key", name);
	TE_GUARD(pub_check(name, type, pub));
	*out = pub;
	pub = NULL;
out:
	EVP_PKEY_free(pub);
	te_buf_free(&der);
	return rc;
}

te_err te_provider_key_new(te_hsm *hsm, const char *name, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	te_hsm_key_info info;
	te_prov_handoff *h = NULL;
	const char *ossl_type = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[2];
	char what[TE_HSM_NAME_MAX + 64];
	int r;

	TE_ENSURE(hsm != NULL && name != NULL && out != NULL, TE_ERR_INVALID_ARG,
		  "te_provider_key_new: NULL argument");
	TE_GUARD(te_provider_load());
	TE_GUARD(te_hsm_key_info_get(hsm, name, &info));
	h = calloc(1, sizeof(*h));
	TE_ENSURE(h != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(key_kind(name, info.type, &h->kind, &ossl_type));
	TE_GUARD(pub_read(hsm, name, info.type, &h->pub));
	h->ref = strdup(name);
	TE_ENSURE(h->ref != NULL, TE_ERR_NO_MEMORY, "out of memory");
	h->type = info.type;
	h->usage = info.usage;
	h->hsm = te_hsm_ref(hsm);

	snprintf(what, sizeof(what), "key '%s': making its OpenSSL key", name);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, ossl_type, PROPS);
	if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1) {
		rc = te_err_set_ossl(TE_ERR_CRYPTO, what);
		goto out;
	}
	params[0] = OSSL_PARAM_construct_octet_string(TE_PROV_PARAM_HANDOFF, &h, sizeof(h));
	params[1] = OSSL_PARAM_construct_end();
	handoff_armed = h;
	r = EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_KEYPAIR, params);
	handoff_armed = NULL;
	if (r != 1) {
		rc = te_err_set_ossl(TE_ERR_CRYPTO, what);
		goto out;
	}
	/* Only our import empties the record: anything else made a key
	 * without the HSM behind it. */
	TE_ENSURE(h->hsm == NULL && h->pub == NULL, TE_ERR_INTERNAL,
		  "key '%s': OpenSSL made the key without the trustedge provider", name);
	*out = pkey;
	pkey = NULL;
out:
	/* The import moved what it kept out of h; the rest goes here. */
	handoff_free(h);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}
