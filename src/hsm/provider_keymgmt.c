/*
 * provider_keymgmt.c - key objects of the trustedge provider for EC
 * (P-256, P-384), RSA and Ed25519 keys.
 *
 * A key object is a reference to a key in an HSM plus its public half, an
 * ordinary EVP_PKEY held by another provider.  Everything public (sizes,
 * group, encoded point, n and e, comparison, export) is answered from that
 * public half, so OpenSSL sees exactly what its own provider would report;
 * the private half never exists here.  Export therefore hands out public
 * parts only, and import accepts public parts only (or the handoff from
 * te_provider_key_new, see provider.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "hsm/core.h"
#include "hsm/provider_int.h"

/* --- the key object ------------------------------------------------------------ */

te_prov_key *te_prov_key_ref(te_prov_key *key)
{
	__atomic_add_fetch(&key->refs, 1, __ATOMIC_RELAXED);
	return key;
}

void te_prov_key_unref(te_prov_key *key)
{
	if (key == NULL || __atomic_sub_fetch(&key->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	te_hsm_unref(key->hsm);
	free(key->ref);
	EVP_PKEY_free(key->pub);
	free(key);
}

int te_prov_key_is_private(const te_prov_key *key)
{
	return key != NULL && key->hsm != NULL && key->ref != NULL;
}

static const char *kind_type_name(te_prov_kind kind)
{
	switch (kind) {
	case TE_PROV_EC:
		return "EC";
	case TE_PROV_RSA:
		return "RSA";
	case TE_PROV_ED25519:
		return "ED25519";
	default:
		return "?";
	}
}

static te_prov_key *key_new(void *provctx, te_prov_kind kind)
{
	te_prov_key *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	k->prov = provctx;
	k->kind = kind;
	k->refs = 1;
	return k;
}

static void *ec_new(void *provctx)
{
	return key_new(provctx, TE_PROV_EC);
}

static void *rsa_new(void *provctx)
{
	return key_new(provctx, TE_PROV_RSA);
}

static void *ed25519_new(void *provctx)
{
	return key_new(provctx, TE_PROV_ED25519);
}

static void key_free(void *keydata)
{
	te_prov_key_unref(keydata);
}

/* A copy keeps the HSM binding only when the private part is asked for. */
static void *key_dup(const void *from, int selection)
{
	const te_prov_key *src = from;
	te_prov_key *k;

	if (src == NULL)
		return NULL;
	k = key_new(src->prov, src->kind);
	if (k == NULL)
		return NULL;
	if (src->pub != NULL) {
		if (EVP_PKEY_up_ref(src->pub) != 1) {
			te_prov_key_unref(k);
			return NULL;
		}
		k->pub = src->pub;
	}
	k->type = src->type;
	k->usage = src->usage;
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && te_prov_key_is_private(src)) {
		k->ref = strdup(src->ref);
		if (k->ref == NULL) {
			te_prov_key_unref(k);
			return NULL;
		}
		k->hsm = te_hsm_ref(src->hsm);
	}
	return k;
}

static int key_has(const void *keydata, int selection)
{
	const te_prov_key *k = keydata;

	if (k == NULL)
		return 0;
	if ((selection & (OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_ALL_PARAMETERS)) &&
	    k->pub == NULL)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && !te_prov_key_is_private(k))
		return 0;
	return 1;
}

/* Two keys match when their public halves do: the private half of a key
 * pair is fixed by its public half, and is not here to compare anyway. */
static int key_match(const void *a, const void *b, int selection)
{
	const te_prov_key *ka = a, *kb = b;

	if (ka == NULL || kb == NULL || ka->pub == NULL || kb->pub == NULL)
		return 0;
	if (selection & OSSL_KEYMGMT_SELECT_KEYPAIR)
		return EVP_PKEY_eq(ka->pub, kb->pub) == 1;
	if (selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS)
		return EVP_PKEY_parameters_eq(ka->pub, kb->pub) == 1;
	return 1;
}

/* --- import and export ------------------------------------------------------------ */

/* Names of private-key parameters of the key types we serve. */
static int param_is_private(const char *key)
{
	static const char *const exact[] = {OSSL_PKEY_PARAM_PRIV_KEY, OSSL_PKEY_PARAM_RSA_D};
	static const char *const prefix[] = {"rsa-factor", "rsa-exponent", "rsa-coefficient"};

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(key, exact[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (strncmp(key, prefix[i], strlen(prefix[i])) == 0)
			return 1;
	return 0;
}

static int handoff_import(te_prov_key *k, const OSSL_PARAM *p)
{
	const void *ptr = NULL;
	size_t len = 0;
	const void *claimed = NULL;
	te_prov_handoff *h;

	if (OSSL_PARAM_get_octet_string_ptr(p, &ptr, &len) != 1 || len != sizeof(claimed)) {
		TE_PROV_RAISE(k->prov, TE_ERR_INVALID_ARG, "malformed key handoff");
		return 0;
	}
	memcpy(&claimed, ptr, sizeof(claimed));
	h = te_prov_handoff_take(claimed);
	if (h == NULL) {
		TE_PROV_RAISE(k->prov, TE_ERR_PERMISSION,
			      "unknown key handoff: trustedge keys are made by "
			      "te_provider_key_new only");
		return 0;
	}
	if (h->kind != k->kind) {
		TE_PROV_RAISE(k->prov, TE_ERR_INTERNAL, "key '%s' handed to the %s key manager",
			      h->ref, kind_type_name(k->kind));
		return 0;
	}
	k->hsm = h->hsm;
	k->ref = h->ref;
	k->pub = h->pub;
	k->type = h->type;
	k->usage = h->usage;
	h->hsm = NULL;
	h->ref = NULL;
	h->pub = NULL;
	return 1;
}

/* A key from public parts only: it verifies and encrypts, and refuses
 * private operations (OpenSSL makes these when comparing keys). */
static int public_import(te_prov_key *k, const OSSL_PARAM params[])
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pub = NULL;
	int ok;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, kind_type_name(k->kind), TE_PROV_PROPQ);
	/* fromdata does not change params; its prototype just lacks const. */
	ok = ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	     EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		TE_PROV_RAISE(k->prov, TE_ERR_MALFORMED, "%s public key parameters do not parse",
			      kind_type_name(k->kind));
		return 0;
	}
	k->pub = pub;
	return 1;
}

static int key_import(void *keydata, int selection, const OSSL_PARAM params[])
{
	te_prov_key *k = keydata;
	const OSSL_PARAM *p;

	if (k == NULL || params == NULL)
		return 0;
	if (k->pub != NULL) {
		TE_PROV_RAISE(k->prov, TE_ERR_EXISTS, "a trustedge key object is imported once");
		return 0;
	}
	p = OSSL_PARAM_locate_const(params, TE_PROV_PARAM_HANDOFF);
	if (p != NULL)
		return handoff_import(k, p);
	for (p = params; p->key != NULL; p++) {
		if (param_is_private(p->key)) {
			TE_PROV_RAISE(k->prov, TE_ERR_PERMISSION,
				      "private key parameter '%s' refused: the trustedge provider "
				      "holds no private key material (create or import keys in "
				      "the HSM instead)",
				      p->key);
			return 0;
		}
	}
	if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) == 0) {
		TE_PROV_RAISE(k->prov, TE_ERR_UNSUPPORTED,
			      "the trustedge provider imports whole public keys only");
		return 0;
	}
	return public_import(k, params);
}

/* Hands out the public half whatever the selection, since OpenSSL asks
 * for everything when it copies a key to another provider (to encode it,
 * or compare it with a certificate's key); a request for the private part
 * alone is refused. */
static int key_export(void *keydata, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
	te_prov_key *k = keydata;
	OSSL_PARAM *params = NULL;
	int sel, ok;

	if (k == NULL || k->pub == NULL)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == OSSL_KEYMGMT_SELECT_PRIVATE_KEY) {
		TE_PROV_RAISE(k->prov, TE_ERR_PERMISSION,
			      "the private key of '%s' stays in the HSM", k->ref ? k->ref : "?");
		return 0;
	}
	if (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY)
		sel = EVP_PKEY_PUBLIC_KEY;
	else if (selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS)
		sel = EVP_PKEY_KEY_PARAMETERS;
	else
		return 0;
	if (EVP_PKEY_todata(k->pub, sel, &params) != 1)
		return 0;
	ok = cb(params, cbarg);
	OSSL_PARAM_free(params);
	return ok;
}

static const OSSL_PARAM ec_pub_types[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM ec_import_list[] = {
	OSSL_PARAM_octet_string(TE_PROV_PARAM_HANDOFF, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM rsa_pub_types[] = {
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM rsa_import_list[] = {
	OSSL_PARAM_octet_string(TE_PROV_PARAM_HANDOFF, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM ed25519_pub_types[] = {
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM ed25519_import_list[] = {
	OSSL_PARAM_octet_string(TE_PROV_PARAM_HANDOFF, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *ec_import_types(int selection)
{
	return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) ? ec_import_list : ec_pub_types;
}

static const OSSL_PARAM *ec_export_types(int selection)
{
	(void)selection;
	return ec_pub_types;
}

static const OSSL_PARAM *rsa_import_types(int selection)
{
	return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) ? rsa_import_list : rsa_pub_types;
}

static const OSSL_PARAM *rsa_export_types(int selection)
{
	(void)selection;
	return rsa_pub_types;
}

static const OSSL_PARAM *ed25519_import_types(int selection)
{
	return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) ? ed25519_import_list
							      : ed25519_pub_types;
}

static const OSSL_PARAM *ed25519_export_types(int selection)
{
	(void)selection;
	return ed25519_pub_types;
}

/* --- parameters ---------------------------------------------------------------------- */

/* Answered by the public half: the same values, types and rules as the
 * provider that holds it, and no private parameter exists to leak. */
static int key_get_params(void *keydata, OSSL_PARAM params[])
{
	te_prov_key *k = keydata;

	if (k == NULL || k->pub == NULL)
		return 0;
	return EVP_PKEY_get_params(k->pub, params);
}

static const OSSL_PARAM *ec_gettable(void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
		OSSL_PARAM_BN(OSSL_PKEY_PARAM_EC_PUB_X, NULL, 0),
		OSSL_PARAM_BN(OSSL_PKEY_PARAM_EC_PUB_Y, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)provctx;
	return list;
}

static const OSSL_PARAM *rsa_gettable(void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
		OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
		OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)provctx;
	return list;
}

static const OSSL_PARAM *ed25519_gettable(void *provctx)
{
	static const OSSL_PARAM list[] = {
		OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_MANDATORY_DIGEST, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)provctx;
	return list;
}

/* --- operation names ------------------------------------------------------------------ */

static const char *ec_operation_name(int operation_id)
{
	return operation_id == OSSL_OP_SIGNATURE ? TE_PROV_SIG_ECDSA : NULL;
}

static const char *rsa_operation_name(int operation_id)
{
	switch (operation_id) {
	case OSSL_OP_SIGNATURE:
		return TE_PROV_SIG_RSA;
	case OSSL_OP_ASYM_CIPHER:
		return TE_PROV_CIPHER_RSA;
	default:
		return NULL;
	}
}

static const char *ed25519_operation_name(int operation_id)
{
	return operation_id == OSSL_OP_SIGNATURE ? TE_PROV_SIG_ED25519 : NULL;
}

/* --- dispatch tables ------------------------------------------------------------------ */

#define F(id, fn) {id, (void (*)(void))(fn)}

#define KEYMGMT_COMMON                                                                 \
	F(OSSL_FUNC_KEYMGMT_FREE, key_free), F(OSSL_FUNC_KEYMGMT_DUP, key_dup),            \
	F(OSSL_FUNC_KEYMGMT_HAS, key_has), F(OSSL_FUNC_KEYMGMT_MATCH, key_match),          \
	F(OSSL_FUNC_KEYMGMT_IMPORT, key_import), F(OSSL_FUNC_KEYMGMT_EXPORT, key_export),  \
	F(OSSL_FUNC_KEYMGMT_GET_PARAMS, key_get_params)

const OSSL_DISPATCH te_prov_ec_keymgmt[] = {
	F(OSSL_FUNC_KEYMGMT_NEW, ec_new),
	KEYMGMT_COMMON,
	F(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, ec_gettable),
	F(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, ec_import_types),
	F(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, ec_export_types),
	F(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, ec_operation_name),
	{0, NULL},
};

const OSSL_DISPATCH te_prov_rsa_keymgmt[] = {
	F(OSSL_FUNC_KEYMGMT_NEW, rsa_new),
	KEYMGMT_COMMON,
	F(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, rsa_gettable),
	F(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, rsa_import_types),
	F(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, rsa_export_types),
	F(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, rsa_operation_name),
	{0, NULL},
};

const OSSL_DISPATCH te_prov_ed25519_keymgmt[] = {
	F(OSSL_FUNC_KEYMGMT_NEW, ed25519_new),
	KEYMGMT_COMMON,
	F(OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, ed25519_gettable),
	F(OSSL_FUNC_KEYMGMT_IMPORT_TYPES, ed25519_import_types),
	F(OSSL_FUNC_KEYMGMT_EXPORT_TYPES, ed25519_export_types),
	F(OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, ed25519_operation_name),
	{0, NULL},
};
