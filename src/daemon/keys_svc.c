/*
 * keys_svc.c - owns the keys service's work in the keys process: handle
 * authentication, the principals and reserved-name checks, and each
 * operation of the API run with te_hsm (contract in keys_svc.h), and the
 * identity handles the identity service gives out (keys_svc.h, "Identity
 * handles"; keys_idsvc.h), which sign with the device key or a module key
 * for the uid they were made for only.
 *
 * Key handles (format in keyhandle.c) are MACed with TE_KEYS_SVC_HANDLE_KEY,
 * an HSM hmac-sha256 key made at open, not exportable; its bytes never
 * leave the HSM.  Anyone who could sign with it could forge handles to
 * any key id, so it lives under TE_KEYS_SVC_PREFIX, which no principal can
 * open whatever its globs say.
 *
 * Keys the service makes: POST /key generates an hmac-sha256 key (usage
 * derive and/or sign: the request's) or, for usage encrypt alone, an
 * aes-256-gcm key; keyBytes import an hmac-sha256 key.  POST /keypair
 * makes the first of the preferred algorithms the HSM supports ("*" is
 * ec-p256).  None is exportable.  Creating a key that exists answers its
 * handle when its type fits (the reference's create-if-not-exists), 409
 * otherwise; an import never overwrites (409).
 *
 * Derived keys.  A derived handle carries (base key id, data); the key is
 * HMAC-SHA256(base, data), computed in the HSM by te_hsm_key_derive.  It
 * is derived for each use into a transient key "keysvc-tmp-<random>"
 * (hmac-sha256, usage sign, not exportable) and deleted right after, not
 * kept under a name made from (base, data) as keys.c keeps module keys:
 * keys-service base keys are deleted and re-created through the API, and
 * a kept derivative would outlive its base (a signature under a deleted
 * key) or, when the id is reused, answer for a different base.  A crash
 * between derive and delete leaves one transient key, unreachable by
 * callers (reserved prefix) and not exportable.
 *
 * Export of a derived key (POST /derivedkey/export) is allowed only when
 * the base key itself is exportable: a derivative is as secret as its
 * base, and a non-exportable base must not leak through its derivatives.
 * Keys made through this API are never exportable, so export works only
 * for bases an administrator imported as exportable.
 *
 * Not served: moving (renaming) a key pair, since te_hsm has no rename
 * and a copy would need the private key out of the HSM (501); RSA
 * encryption (RSA-PKCS1, RSA-NO-PADDING), since te_hsm encrypts with
 * RSA-OAEP only and raw RSA without padding is unsafe (501).  AEAD is
 * AES-256-GCM with the caller's 12-byte IV (the reference's semantics:
 * the caller must never repeat an IV under one key).
 */
#include "daemon/keys_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "common/te_log.h"
#include "daemon/keyhandle.h"
#include "daemon/svc_keys.h"
#include "trustedge/te_mem.h"

_Static_assert(TE_IPC_KEYSVC_ID_MAX == TE_KEYHANDLE_ID_MAX, "key ids");
_Static_assert(TE_IPC_KEYSVC_ID_MAX == TE_HSM_NAME_MAX, "key ids are HSM names");
_Static_assert(TE_IPC_KEYSVC_HANDLE_MAX == TE_KEYHANDLE_TEXT_MAX, "handles");
_Static_assert(TE_IPC_KEYSVC_DERIVATION_MAX == TE_KEYHANDLE_DATA_MAX, "derivation data");
_Static_assert(TE_IPC_KEYSVC_USAGE_SIGN == TE_HSM_USAGE_SIGN &&
                   TE_IPC_KEYSVC_USAGE_ENCRYPT == TE_HSM_USAGE_ENCRYPT &&
                   TE_IPC_KEYSVC_USAGE_DERIVE == TE_HSM_USAGE_DERIVE,
               "usage bits");
_Static_assert(TE_IPC_KEYSVC_PLAINTEXT_MAX == TE_SVC_KEYS_PLAINTEXT_MAX &&
                   TE_IPC_KEYSVC_CIPHERTEXT_MAX == TE_SVC_KEYS_CIPHERTEXT_MAX &&
                   TE_IPC_KEYSVC_SIGNATURE_MAX == TE_SVC_KEYS_SIGNATURE_MAX &&
                   TE_IPC_KEYSVC_VALUE_MAX == TE_SVC_KEYS_VALUE_MAX &&
                   TE_IPC_KEYSVC_EXPORT_MAX == TE_SVC_KEYS_EXPORT_MAX,
               "reply bounds");
_Static_assert(TE_HSM_SIG_MAX <= TE_IPC_KEYSVC_SIGNATURE_MAX, "a signature fits a reply");

#define KS_TMP_PREFIX TE_KEYS_SVC_PREFIX "tmp-"
#define KS_TMP_RAND   16
#define KS_TMP_LEN    (sizeof(KS_TMP_PREFIX) - 1 + 2 * KS_TMP_RAND)
#define KS_HMAC_LEN   32
#define KS_AES_LEN    32

struct te_keys_svc {
	te_hsm *hsm;
	te_daemon_config pc; /* principals only: what te_svc_keys_principal_allows reads */
	char **reserved;
	size_t n_reserved;
	char **prefixes;
	size_t n_prefixes;
	char identity_key[TE_KEYHANDLE_ID_MAX + 1]; /* "": no identity handles */
	int have_handle_key;                        /* ks_handle_key passed */
};

/* One request being answered. */
typedef struct ks_call {
	te_keys_svc *s;
	const te_ipc_keysvc_req *r;
	te_ipc_msg *rep;
	const char *op;
	int allowed; /* the access check passed on key */
	char key[TE_KEYHANDLE_ID_MAX + 1];
	unsigned status;   /* a refusal when not 0 */
	unsigned answered; /* the status of the success reply encoded */
	char msg[TE_IPC_KEYSVC_MSG_MAX + 1];
} ks_call;

static const char *const ks_op_names[] = {
    [TE_IPC_KEYSVC_KEY_CREATE] = "key-create",
    [TE_IPC_KEYSVC_KEY_LOAD] = "key-load",
    [TE_IPC_KEYSVC_KEY_DELETE] = "key-delete",
    [TE_IPC_KEYSVC_KEYPAIR_CREATE] = "keypair-create",
    [TE_IPC_KEYSVC_KEYPAIR_LOAD] = "keypair-load",
    [TE_IPC_KEYSVC_KEYPAIR_MOVE] = "keypair-move",
    [TE_IPC_KEYSVC_KEYPAIR_DELETE] = "keypair-delete",
    [TE_IPC_KEYSVC_PARAMETER] = "parameter",
    [TE_IPC_KEYSVC_SIGN] = "sign",
    [TE_IPC_KEYSVC_ENCRYPT] = "encrypt",
    [TE_IPC_KEYSVC_DECRYPT] = "decrypt",
    [TE_IPC_KEYSVC_DERIVE] = "derive",
    [TE_IPC_KEYSVC_DERIVED_EXPORT] = "derived-export",
};

static const char *ks_op_name(uint8_t op)
{
	if (op < sizeof(ks_op_names) / sizeof(ks_op_names[0]) && ks_op_names[op] != NULL)
		return ks_op_names[op];
	return "unknown";
}

/* Records a refusal; returns a non-OK code so that callers stop (the
 * caller of the op tells a refusal from a failure by x->status). */
static te_err ks_refuse(ks_call *x, unsigned status, const char *msg)
{
	x->status = status;
	snprintf(x->msg, sizeof(x->msg), "%s", msg);
	return TE_ERR_PERMISSION;
}

#define KS_REFUSE(status, msg)                                                                     \
	do {                                                                                       \
		rc = ks_refuse(x, (status), (msg));                                                \
		goto out;                                                                          \
	} while (0)

/* An HSM result: the failures that are the request's doing become
 * refusals, the rest stay failures (500, logged). */
static te_err ks_hsm(ks_call *x, te_err rc)
{
	switch (rc) {
	case TE_OK:
		return TE_OK;
	case TE_ERR_NOT_FOUND:
		return ks_refuse(x, 404, "key not found");
	case TE_ERR_PERMISSION:
		return ks_refuse(x, 403, "the key's policy does not allow this operation");
	case TE_ERR_UNSUPPORTED:
		return ks_refuse(x, 501, "not supported by this device's HSM");
	case TE_ERR_DECRYPT_FAILED:
		return ks_refuse(x, 400, "ciphertext could not be decrypted");
	case TE_ERR_EXISTS:
		return ks_refuse(x, 409, "a key with this id already exists");
	default:
		return rc;
	}
}

/* ---- handles, principals ---- */

/* HMAC-SHA256 under the handle-validation key, in the HSM. */
static te_err ks_mac(void *arg, const uint8_t *data, size_t len, uint8_t tag[TE_KEYHANDLE_TAG_LEN])
{
	te_keys_svc *s = arg;
	size_t n = TE_KEYHANDLE_TAG_LEN;
	te_err rc = te_hsm_key_sign(s->hsm, TE_KEYS_SVC_HANDLE_KEY, TE_HSM_ALG_HMAC_SHA256, 0, data,
	                            len, tag, &n);

	if (rc == TE_OK && n != TE_KEYHANDLE_TAG_LEN)
		rc = te_err_set(TE_ERR_INTERNAL, "handle MAC of %zu bytes", n);
	if (rc != TE_OK)
		te_log_err(rc, "keys service: the handle-validation key");
	return rc;
}

/* Authenticates the request's handle, of one of kinds (a mask). */
static te_err ks_open(ks_call *x, unsigned kinds, te_keyhandle *h)
{
	te_wl_status st;

	if (te_svc_keys_handle_open(ks_mac, x->s, x->r->handle, kinds, h, &st) == TE_OK)
		return TE_OK;
	/* A MAC failure (500) was logged by ks_mac. */
	return ks_refuse(x, (unsigned)st.http_status, st.message);
}

static int ks_reserved(const te_keys_svc *s, const char *id)
{
	if (strncmp(id, TE_KEYS_SVC_PREFIX, sizeof(TE_KEYS_SVC_PREFIX) - 1) == 0)
		return 1;
	for (size_t i = 0; i < s->n_reserved; i++) {
		if (strcmp(id, s->reserved[i]) == 0)
			return 1;
	}
	for (size_t i = 0; i < s->n_prefixes; i++) {
		if (strncmp(id, s->prefixes[i], strlen(s->prefixes[i])) == 0)
			return 1;
	}
	return 0;
}

/* May the caller use key id?  Refuses 403 with an audit line if not. */
static te_err ks_access(ks_call *x, const char *id)
{
	if (ks_reserved(x->s, id) || !te_svc_keys_principal_allows(&x->s->pc, x->r->uid, id)) {
		te_log_info("audit: caller uid=%u op=%s key=%s result=denied", (unsigned)x->r->uid,
		            x->op, id);
		return ks_refuse(x, 403, "the caller may not use this key");
	}
	if (!x->allowed) {
		snprintf(x->key, sizeof(x->key), "%s", id);
		x->allowed = 1;
	}
	return TE_OK;
}

int te_keys_svc_principal_match(const te_keys_svc *s, uint32_t uid, const char *id)
{
	return te_svc_keys_principal_allows(&s->pc, (uid_t)uid, id);
}

te_err te_keys_svc_keypair_use(te_keys_svc *s, uint32_t uid, const char *op, const char *handle,
                               char key_id[TE_KEYHANDLE_ID_MAX + 1], te_wl_status *st)
{
	te_err rc = TE_OK;
	te_keyhandle h;

	memset(&h, 0, sizeof(h));
	/* Without principals there is no handle key to check with. */
	if (s->pc.n_principals > 0)
		TE_GUARD(te_svc_keys_handle_open(ks_mac, s, handle, 1u << TE_KEYHANDLE_KIND_KEYPAIR,
		                                 &h, st));
	if (s->pc.n_principals == 0 || ks_reserved(s, h.id) ||
	    !te_svc_keys_principal_allows(&s->pc, (uid_t)uid, h.id)) {
		te_log_info("audit: caller uid=%u op=%s key=%s result=denied", (unsigned)uid, op,
		            h.id[0] != '\0' ? h.id : "-");
		st->http_status = 403;
		snprintf(st->message, sizeof(st->message), "the caller may not use this key");
		rc = te_err_set(TE_ERR_PERMISSION, "%s", st->message);
		goto out;
	}
	memcpy(key_id, h.id, strlen(h.id) + 1);
out:
	te_memzero(&h, sizeof(h));
	return rc;
}

static int ks_kind_fits(te_keyhandle_kind kind, te_hsm_key_type type)
{
	switch (kind) {
	case TE_KEYHANDLE_KIND_KEY:
		return te_hsm_key_type_is_secret(type);
	case TE_KEYHANDLE_KIND_KEYPAIR:
		return type != TE_HSM_KEY_NONE && !te_hsm_key_type_is_secret(type);
	case TE_KEYHANDLE_KIND_DERIVED:
		return type == TE_HSM_KEY_HMAC_SHA256;
	default:
		return 0;
	}
}

/* The key `id` as a key of handle kind `kind`: 404 when it does not
 * exist or is of another kind. */
static te_err ks_info(ks_call *x, const char *id, te_keyhandle_kind kind, te_hsm_key_info *info)
{
	te_err rc = TE_OK;

	TE_GUARD(ks_hsm(x, te_hsm_key_info_get(x->s->hsm, id, info)));
	if (!ks_kind_fits(kind, info->type))
		KS_REFUSE(404, kind == TE_KEYHANDLE_KIND_KEYPAIR ? "no key pair with this id"
		                                                 : "no symmetric key with this id");
out:
	return rc;
}

/* ---- replies ---- */

static te_err ks_reply(ks_call *x, uint8_t kind, const void *p, size_t n)
{
	te_ipc_keysvc_reply rep;

	rep.status = kind == TE_IPC_KEYSVC_REPLY_NONE ? 204 : 200;
	rep.kind = kind;
	rep.payload = p;
	rep.payload_len = n;
	x->answered = rep.status;
	return te_ipc_keysvc_reply_encode(&rep, x->rep);
}

static te_err ks_reply_handle(ks_call *x, te_keyhandle_kind kind, const char *id,
                              const uint8_t *data, size_t data_len)
{
	te_err rc = TE_OK;
	te_keyhandle h;
	char text[TE_KEYHANDLE_TEXT_MAX + 1];

	memset(&h, 0, sizeof(h));
	h.kind = kind;
	snprintf(h.id, sizeof(h.id), "%s", id);
	if (data_len > 0)
		memcpy(h.data, data, data_len);
	h.data_len = data_len;
	TE_GUARD(te_keyhandle_encode(ks_mac, x->s, &h, text, sizeof(text)));
	TE_GUARD(ks_reply(x, TE_IPC_KEYSVC_REPLY_HANDLE, text, strlen(text)));
out:
	return rc;
}

/* ---- transient derived keys ---- */

/* Derives the key of handle h into a transient key, whose name is
 * written to name (for ks_tmp_delete) only once the key exists. */
static te_err ks_tmp_derive(ks_call *x, const te_keyhandle *h, int exportable,
                            char name[KS_TMP_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	te_err rc = TE_OK;
	uint8_t rnd[KS_TMP_RAND];
	char tmp[KS_TMP_LEN + 1];
	size_t at = sizeof(KS_TMP_PREFIX) - 1;
	const te_hsm_key_attrs attrs = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, exportable};

	TE_GUARD(te_hsm_random(x->s->hsm, rnd, sizeof(rnd)));
	memcpy(tmp, KS_TMP_PREFIX, at);
	for (size_t i = 0; i < sizeof(rnd); i++) {
		tmp[at++] = hex[rnd[i] >> 4];
		tmp[at++] = hex[rnd[i] & 0xf];
	}
	tmp[at] = '\0';
	TE_GUARD(ks_hsm(x, te_hsm_key_derive(x->s->hsm, h->id, h->data, h->data_len, tmp, &attrs)));
	memcpy(name, tmp, sizeof(tmp));
out:
	return rc;
}

/* Deletes a transient key, keeping the error detail of the operation
 * (which the caller may still have to log). */
static void ks_tmp_delete(ks_call *x, const char *name)
{
	char keep[512];
	te_err rc;

	if (name[0] == '\0')
		return;
	snprintf(keep, sizeof(keep), "%s", te_err_detail());
	rc = te_hsm_key_delete(x->s->hsm, name);
	if (rc != TE_OK)
		te_log_warn("keys service: cannot delete the transient key '%s': %s", name,
		            te_err_detail());
	(void)te_err_set(TE_ERR_INTERNAL, "%s", keep);
}

/* ---- operations; each encodes its success reply or refuses ---- */

static te_err ks_key_create(ks_call *x)
{
	te_err rc = TE_OK;
	const te_ipc_keysvc_req *r = x->r;
	const int import = r->key_bytes_len > 0;
	const te_hsm_key_type want =
	    (r->usage & TE_HSM_USAGE_ENCRYPT) ? TE_HSM_KEY_AES_256_GCM : TE_HSM_KEY_HMAC_SHA256;
	te_hsm_key_attrs attrs = {want, r->usage, 0};
	te_hsm_key_info info;
	uint8_t *bytes = NULL;

	TE_GUARD(ks_access(x, r->key_id));
	if (want == TE_HSM_KEY_AES_256_GCM && r->usage != TE_HSM_USAGE_ENCRYPT)
		KS_REFUSE(400, "usage encrypt cannot be combined with derive or sign");
	if (want == TE_HSM_KEY_AES_256_GCM && import)
		KS_REFUSE(400,
		          "imported keys are hmac-sha256 keys: usage encrypt is not supported");
	if (want == TE_HSM_KEY_AES_256_GCM && r->length_bytes != 0 && r->length_bytes != KS_AES_LEN)
		KS_REFUSE(400, "an encryption key is 32 bytes long");
	rc = te_hsm_key_info_get(x->s->hsm, r->key_id, &info);
	if (rc == TE_OK) {
		if (import)
			KS_REFUSE(409, "a key with this id already exists");
		if (info.type != want)
			KS_REFUSE(409, "a key with this id exists with another type");
		TE_GUARD(ks_reply_handle(x, TE_KEYHANDLE_KIND_KEY, r->key_id, NULL, 0));
		goto out;
	}
	if (rc != TE_ERR_NOT_FOUND)
		goto out;
	if (import) {
		rc =
		    te_hsm_key_import(x->s->hsm, r->key_id, &attrs, r->key_bytes, r->key_bytes_len);
	} else if (want == TE_HSM_KEY_HMAC_SHA256 && r->length_bytes != 0 &&
	           r->length_bytes != KS_HMAC_LEN) {
		/* te_hsm makes HMAC keys of one length: other lengths are
		 * random bytes from the HSM's generator, imported. */
		bytes = te_secure_alloc(r->length_bytes);
		TE_ENSURE(bytes != NULL, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD(te_hsm_random(x->s->hsm, bytes, r->length_bytes));
		rc = te_hsm_key_import(x->s->hsm, r->key_id, &attrs, bytes, r->length_bytes);
	} else {
		rc = te_hsm_key_create(x->s->hsm, r->key_id, &attrs);
	}
	TE_GUARD(ks_hsm(x, rc));
	TE_GUARD(ks_reply_handle(x, TE_KEYHANDLE_KIND_KEY, r->key_id, NULL, 0));
out:
	te_secure_free(bytes);
	return rc;
}

static te_err ks_load(ks_call *x, te_keyhandle_kind kind)
{
	te_err rc = TE_OK;
	te_hsm_key_info info;

	TE_GUARD(ks_access(x, x->r->key_id));
	TE_GUARD(ks_info(x, x->r->key_id, kind, &info));
	TE_GUARD(ks_reply_handle(x, kind, x->r->key_id, NULL, 0));
out:
	return rc;
}

static te_err ks_delete(ks_call *x, te_keyhandle_kind kind)
{
	te_err rc = TE_OK;
	te_keyhandle h;
	te_hsm_key_info info;

	TE_GUARD(ks_open(x, 1u << kind, &h));
	TE_GUARD(ks_access(x, h.id));
	TE_GUARD(ks_info(x, h.id, kind, &info));
	TE_GUARD(ks_hsm(x, te_hsm_key_delete(x->s->hsm, h.id)));
	TE_GUARD(ks_reply(x, TE_IPC_KEYSVC_REPLY_NONE, NULL, 0));
out:
	return rc;
}

static te_hsm_key_type ks_pref_type(uint8_t pref)
{
	switch (pref) {
	case TE_IPC_KEYSVC_PREF_RSA_2048:
		return TE_HSM_KEY_RSA_2048;
	case TE_IPC_KEYSVC_PREF_RSA_4096:
		return TE_HSM_KEY_RSA_4096;
	case TE_IPC_KEYSVC_PREF_EC_P256:
	case TE_IPC_KEYSVC_PREF_ANY:
	default:
		return TE_HSM_KEY_EC_P256;
	}
}

static te_err ks_keypair_create(ks_call *x)
{
	te_err rc = TE_OK;
	const te_ipc_keysvc_req *r = x->r;
	te_hsm_key_info info;
	int made = 0;

	TE_GUARD(ks_access(x, r->key_id));
	rc = te_hsm_key_info_get(x->s->hsm, r->key_id, &info);
	if (rc == TE_OK) {
		/* As the reference: an existing key pair is answered. */
		if (!ks_kind_fits(TE_KEYHANDLE_KIND_KEYPAIR, info.type))
			KS_REFUSE(409, "a key with this id exists and is not a key pair");
		TE_GUARD(ks_reply_handle(x, TE_KEYHANDLE_KIND_KEYPAIR, r->key_id, NULL, 0));
		goto out;
	}
	if (rc != TE_ERR_NOT_FOUND)
		goto out;
	rc = TE_OK;
	for (size_t i = 0; i < r->n_prefs && !made; i++) {
		const te_hsm_key_attrs attrs = {ks_pref_type(r->prefs[i]), 0, 0};
		te_err c = te_hsm_key_create(x->s->hsm, r->key_id, &attrs);

		if (c == TE_ERR_UNSUPPORTED)
			continue;
		TE_GUARD(ks_hsm(x, c));
		made = 1;
	}
	if (!made)
		KS_REFUSE(400,
		          "none of the preferred algorithms is supported by this device's HSM");
	TE_GUARD(ks_reply_handle(x, TE_KEYHANDLE_KIND_KEYPAIR, r->key_id, NULL, 0));
out:
	return rc;
}

static te_err ks_keypair_move(ks_call *x)
{
	te_err rc = TE_OK;

	TE_GUARD(ks_access(x, x->r->key_id));
	TE_GUARD(ks_access(x, x->r->from_key_id));
	KS_REFUSE(501, "moving a key pair is not supported: the HSM cannot rename keys");
out:
	return rc;
}

/* ---- public parameters ---- */

static te_err ks_param_bn(ks_call *x, EVP_PKEY *pk, const char *name)
{
	te_err rc = TE_OK;
	BIGNUM *bn = NULL;
	uint8_t buf[TE_IPC_KEYSVC_VALUE_MAX];
	int n;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		KS_REFUSE(400, "the parameter does not apply to this key");
	TE_GUARD_OSSL(EVP_PKEY_get_bn_param(pk, name, &bn), "RSA public key parameter");
	n = BN_num_bytes(bn);
	TE_ENSURE(n >= 1 && (size_t)n <= sizeof(buf), TE_ERR_INTERNAL, "RSA parameter of %d bytes",
	          n);
	TE_ENSURE(BN_bn2bin(bn, buf) == n, TE_ERR_CRYPTO, "RSA parameter encoding");
	TE_GUARD(ks_reply(x, TE_IPC_KEYSVC_REPLY_VALUE, buf, (size_t)n));
out:
	BN_free(bn);
	return rc;
}

/* The curve's OID, DER-encoded (tag, length, value). */
static te_err ks_param_curve_oid(ks_call *x, EVP_PKEY *pk)
{
	te_err rc = TE_OK;
	char group[64];
	size_t glen = 0;
	ASN1_OBJECT *obj = NULL;
	uint8_t buf[64], *p = buf;
	int nid, n;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		KS_REFUSE(400, "the parameter does not apply to this key");
	TE_GUARD_OSSL(EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
	                                             sizeof(group), &glen),
	              "EC group name");
	nid = OBJ_txt2nid(group);
	TE_ENSURE(nid != NID_undef, TE_ERR_UNSUPPORTED, "EC group '%s' has no OID", group);
	obj = OBJ_nid2obj(nid);
	TE_GUARD_PTR(obj, TE_ERR_CRYPTO, "EC group OID");
	n = i2d_ASN1_OBJECT(obj, NULL);
	TE_ENSURE(n > 0 && (size_t)n <= sizeof(buf), TE_ERR_CRYPTO, "EC group OID encoding");
	TE_ENSURE(i2d_ASN1_OBJECT(obj, &p) == n, TE_ERR_CRYPTO, "EC group OID encoding");
	TE_GUARD(ks_reply(x, TE_IPC_KEYSVC_REPLY_VALUE, buf, (size_t)n));
out:
	ASN1_OBJECT_free(obj); /* a no-op for the static table's objects */
	return rc;
}

/* The uncompressed point 0x04 || X || Y. */
static te_err ks_param_ec_point(ks_call *x, EVP_PKEY *pk)
{
	te_err rc = TE_OK;
	uint8_t buf[TE_IPC_KEYSVC_VALUE_MAX];
	size_t n = 0;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		KS_REFUSE(400, "the parameter does not apply to this key");
	TE_GUARD_OSSL(
	    EVP_PKEY_set_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	                                   OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED),
	    "EC point format");
	TE_GUARD_OSSL(EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
	                                              sizeof(buf), &n),
	              "EC point");
	TE_ENSURE(n >= 1 && buf[0] == 0x04, TE_ERR_CRYPTO, "EC point is not uncompressed");
	TE_GUARD(ks_reply(x, TE_IPC_KEYSVC_REPLY_VALUE, buf, n));
out:
	return rc;
}

static te_err ks_parameter(ks_call *x)
{
	te_err rc = TE_OK;
	te_keyhandle h;
	te_hsm_key_info info;
	te_buf der;
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	int base;

	te_buf_init(&der, 0);
	TE_GUARD(ks_open(x, 1u << TE_KEYHANDLE_KIND_KEYPAIR, &h));
	TE_GUARD(ks_access(x, h.id));
	TE_GUARD(ks_info(x, h.id, TE_KEYHANDLE_KIND_KEYPAIR, &info));
	TE_GUARD(ks_hsm(x, te_hsm_key_public(x->s->hsm, h.id, TE_HSM_PUB_DER, &der)));
	p = der.data;
	pk = d2i_PUBKEY(NULL, &p, (long)der.len);
	if (pk == NULL) {
		rc = te_err_set_ossl(TE_ERR_CRYPTO, "public key of the key pair");
		goto out;
	}
	base = EVP_PKEY_get_base_id(pk);
	switch (x->r->param) {
	case TE_IPC_KEYSVC_PARAM_ALGORITHM:
		if (base != EVP_PKEY_EC && base != EVP_PKEY_RSA)
			KS_REFUSE(501, "parameters of this key type are not supported");
		rc = base == EVP_PKEY_EC ? ks_reply(x, TE_IPC_KEYSVC_REPLY_VALUE_TEXT, "ECDSA", 5)
		                         : ks_reply(x, TE_IPC_KEYSVC_REPLY_VALUE_TEXT, "RSA", 3);
		break;
	case TE_IPC_KEYSVC_PARAM_EC_CURVE_OID:
		rc = ks_param_curve_oid(x, pk);
		break;
	case TE_IPC_KEYSVC_PARAM_EC_POINT:
		rc = ks_param_ec_point(x, pk);
		break;
	case TE_IPC_KEYSVC_PARAM_RSA_MODULUS:
		rc = ks_param_bn(x, pk, OSSL_PKEY_PARAM_RSA_N);
		break;
	case TE_IPC_KEYSVC_PARAM_RSA_EXPONENT:
		rc = ks_param_bn(x, pk, OSSL_PKEY_PARAM_RSA_E);
		break;
	default:
		rc = te_err_set(TE_ERR_INTERNAL, "parameter %u", (unsigned)x->r->param);
		break;
	}
out:
	EVP_PKEY_free(pk);
	te_buf_free(&der);
	return rc;
}

/* ---- sign ---- */

static te_err ks_sign_keypair(ks_call *x, const te_keyhandle *h)
{
	te_err rc = TE_OK;
	const te_ipc_keysvc_req *r = x->r;
	te_hsm_key_info info;
	te_hsm_alg alg;
	uint8_t sig[TE_HSM_SIG_MAX];
	size_t sig_len = sizeof(sig);

	if (r->alg != TE_IPC_KEYSVC_ALG_ECDSA)
		KS_REFUSE(400, "HMAC-SHA256 needs a symmetric or derived key handle");
	TE_GUARD(ks_info(x, h->id, TE_KEYHANDLE_KIND_KEYPAIR, &info));
	if (info.type != TE_HSM_KEY_EC_P256 && info.type != TE_HSM_KEY_EC_P384)
		KS_REFUSE(400, "ECDSA needs an EC key pair");
	if (r->data_len == 32)
		alg = TE_HSM_ALG_ECDSA_SHA256;
	else if (r->data_len == 48)
		alg = TE_HSM_ALG_ECDSA_SHA384;
	else
		KS_REFUSE(400,
		          "parameters.digest must be a SHA-256 (32 bytes) or SHA-384 (48 bytes) "
		          "digest");
	TE_GUARD(ks_hsm(x, te_hsm_key_sign(x->s->hsm, h->id, alg, TE_HSM_SIGN_PREHASHED, r->data,
	                                   r->data_len, sig, &sig_len)));
	TE_GUARD(ks_reply(x, TE_IPC_KEYSVC_REPLY_SIGNATURE, sig, sig_len));
out:
	return rc;
}

/* HMAC-SHA256 with key `name` (the symmetric key, or a transient derived
 * one). */
static te_err ks_hmac(ks_call *x, const char *name)
{
	te_err rc = TE_OK;
	uint8_t mac[KS_HMAC_LEN];
	size_t n = sizeof(mac);

	TE_GUARD(ks_hsm(x, te_hsm_key_sign(x->s->hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, x->r->data,
	                                   x->r->data_len, mac, &n)));
	TE_GUARD(ks_reply(x, TE_IPC_KEYSVC_REPLY_SIGNATURE, mac, n));
out:
	/* An HMAC over a caller's message can be a bearer token. */
	te_memzero(mac, sizeof(mac));
	return rc;
}

static int ks_identity_open(ks_call *x, te_keyhandle *h);

/* The handle of a sign: a keys-service handle of any kind or, failing
 * that, an identity handle bound to the caller (*identity set).  Without
 * principals only the latter can pass. */
static te_err ks_sign_open(ks_call *x, te_keyhandle *h, int *identity)
{
	const unsigned kinds = (1u << TE_KEYHANDLE_KIND_KEY) | (1u << TE_KEYHANDLE_KIND_KEYPAIR) |
	                       (1u << TE_KEYHANDLE_KIND_DERIVED);
	te_wl_status st;

	*identity = 0;
	memset(&st, 0, sizeof(st));
	if (x->s->pc.n_principals > 0 &&
	    te_svc_keys_handle_open(ks_mac, x->s, x->r->handle, kinds, h, &st) == TE_OK)
		return TE_OK;
	if (ks_identity_open(x, h)) {
		*identity = 1;
		return TE_OK;
	}
	if (x->s->pc.n_principals > 0)
		return ks_refuse(x, (unsigned)st.http_status, st.message);
	te_log_info("audit: caller uid=%u op=%s key=- result=denied", (unsigned)x->r->uid, x->op);
	return ks_refuse(x, 403, "the caller may not use this key");
}

static te_err ks_sign(ks_call *x)
{
	te_err rc = TE_OK;
	te_keyhandle h;
	te_hsm_key_info info;
	char tmp[KS_TMP_LEN + 1] = "";
	int identity = 0;

	TE_GUARD(ks_sign_open(x, &h, &identity));
	if (identity) {
		/* Authorized by the identity service, for this uid: no
		 * principal or reserved-name check (keys_svc.h). */
		x->op = "identity-sign";
		snprintf(x->key, sizeof(x->key), "%s", h.id);
		x->allowed = 1;
		if (x->r->alg != TE_IPC_KEYSVC_ALG_HMAC_SHA256)
			KS_REFUSE(400, "an identity key handle signs with HMAC-SHA256 only");
	} else {
		TE_GUARD(ks_access(x, h.id));
	}
	if (h.kind == TE_KEYHANDLE_KIND_KEYPAIR) {
		TE_GUARD(ks_sign_keypair(x, &h));
		goto out;
	}
	if (x->r->alg != TE_IPC_KEYSVC_ALG_HMAC_SHA256)
		KS_REFUSE(400, "ECDSA needs a key pair handle");
	TE_GUARD(ks_info(x, h.id, h.kind, &info));
	if (info.type != TE_HSM_KEY_HMAC_SHA256)
		KS_REFUSE(400, "HMAC-SHA256 needs an hmac-sha256 key");
	if (h.kind == TE_KEYHANDLE_KIND_KEY) {
		TE_GUARD(ks_hmac(x, h.id));
		goto out;
	}
	TE_GUARD(ks_tmp_derive(x, &h, 0, tmp));
	TE_GUARD(ks_hmac(x, tmp));
out:
	ks_tmp_delete(x, tmp);
	te_memzero(&h, sizeof(h));
	return rc;
}

/* ---- encrypt, decrypt ---- */

static te_err ks_crypt(ks_call *x, int encrypt)
{
	te_err rc = TE_OK;
	const te_ipc_keysvc_req *r = x->r;
	te_keyhandle h;
	te_hsm_key_info info;
	uint8_t *out = NULL;
	size_t room = 0, n = 0;

	TE_GUARD(ks_open(x, (1u << TE_KEYHANDLE_KIND_KEY) | (1u << TE_KEYHANDLE_KIND_KEYPAIR), &h));
	TE_GUARD(ks_access(x, h.id));
	if (h.kind == TE_KEYHANDLE_KIND_KEYPAIR) {
		if (r->alg == TE_IPC_KEYSVC_ALG_AEAD)
			KS_REFUSE(400, "AEAD needs a symmetric key handle");
		TE_GUARD(ks_info(x, h.id, TE_KEYHANDLE_KIND_KEYPAIR, &info));
		KS_REFUSE(501, "RSA-PKCS1 and RSA-NO-PADDING encryption are not supported");
	}
	if (r->alg != TE_IPC_KEYSVC_ALG_AEAD)
		KS_REFUSE(400, "RSA algorithms need a key pair handle");
	TE_GUARD(ks_info(x, h.id, TE_KEYHANDLE_KIND_KEY, &info));
	if (info.type != TE_HSM_KEY_AES_256_GCM)
		KS_REFUSE(400, "AEAD needs an encryption key (usage encrypt)");
	if (r->iv_len != TE_HSM_GCM_IV_LEN)
		KS_REFUSE(400, "parameters.iv must be 12 bytes for AES-256-GCM");
	if (!encrypt && (r->data_len < TE_HSM_GCM_TAG_LEN ||
	                 r->data_len - TE_HSM_GCM_TAG_LEN > TE_IPC_KEYSVC_PLAINTEXT_MAX))
		KS_REFUSE(400, "ciphertext could not be decrypted");
	room = encrypt ? r->data_len + TE_HSM_GCM_TAG_LEN : r->data_len - TE_HSM_GCM_TAG_LEN;
	n = room;
	/* + 1: never a zero-sized allocation.  Secure: a decrypt's output is
	 * the caller's plaintext. */
	out = te_secure_alloc(room + 1);
	TE_ENSURE(out != NULL, TE_ERR_NO_MEMORY, "out of memory");
	if (encrypt)
		rc = te_hsm_key_encrypt(x->s->hsm, h.id, TE_HSM_ALG_AES_256_GCM, r->iv, r->iv_len,
		                        r->aad, r->aad_len, r->data, r->data_len, out, &n);
	else
		rc = te_hsm_key_decrypt(x->s->hsm, h.id, TE_HSM_ALG_AES_256_GCM, r->iv, r->iv_len,
		                        r->aad, r->aad_len, r->data, r->data_len, out, &n);
	TE_GUARD(ks_hsm(x, rc));
	TE_ENSURE(n == room, TE_ERR_INTERNAL, "AES-256-GCM output of %zu bytes, expected %zu", n,
	          room);
	TE_GUARD(ks_reply(
	    x, encrypt ? TE_IPC_KEYSVC_REPLY_CIPHERTEXT : TE_IPC_KEYSVC_REPLY_PLAINTEXT, out, n));
out:
	te_secure_free(out);
	return rc;
}

/* ---- derived keys ---- */

static te_err ks_derive(ks_call *x)
{
	te_err rc = TE_OK;
	te_keyhandle h;
	te_hsm_key_info info;

	TE_GUARD(ks_open(x, 1u << TE_KEYHANDLE_KIND_KEY, &h));
	TE_GUARD(ks_access(x, h.id));
	TE_GUARD(ks_info(x, h.id, TE_KEYHANDLE_KIND_KEY, &info));
	if (info.type != TE_HSM_KEY_HMAC_SHA256)
		KS_REFUSE(400, "only an hmac-sha256 key can be a derivation base");
	if (!(info.usage & TE_HSM_USAGE_DERIVE))
		KS_REFUSE(403, "the key's policy does not allow this operation");
	TE_GUARD(ks_reply_handle(x, TE_KEYHANDLE_KIND_DERIVED, h.id, x->r->data, x->r->data_len));
out:
	return rc;
}

static te_err ks_export(ks_call *x)
{
	te_err rc = TE_OK;
	te_keyhandle h;
	te_hsm_key_info info;
	char tmp[KS_TMP_LEN + 1] = "";
	te_buf key;

	te_buf_init(&key, 1);
	TE_GUARD(ks_open(x, 1u << TE_KEYHANDLE_KIND_DERIVED, &h));
	TE_GUARD(ks_access(x, h.id));
	TE_GUARD(ks_info(x, h.id, TE_KEYHANDLE_KIND_DERIVED, &info));
	if (!info.exportable)
		KS_REFUSE(403,
		          "the base key is not exportable, so its derived keys are not either");
	TE_GUARD(ks_tmp_derive(x, &h, 1, tmp));
	TE_GUARD(ks_hsm(x, te_hsm_key_export(x->s->hsm, tmp, &key)));
	TE_GUARD(ks_reply(x, TE_IPC_KEYSVC_REPLY_KEY, key.data, key.len));
out:
	ks_tmp_delete(x, tmp);
	te_buf_free(&key);
	te_memzero(&h, sizeof(h));
	return rc;
}

/* ---- dispatch ---- */

static te_err ks_dispatch(ks_call *x)
{
	switch (x->r->op) {
	case TE_IPC_KEYSVC_KEY_CREATE:
		return ks_key_create(x);
	case TE_IPC_KEYSVC_KEY_LOAD:
		return ks_load(x, TE_KEYHANDLE_KIND_KEY);
	case TE_IPC_KEYSVC_KEY_DELETE:
		return ks_delete(x, TE_KEYHANDLE_KIND_KEY);
	case TE_IPC_KEYSVC_KEYPAIR_CREATE:
		return ks_keypair_create(x);
	case TE_IPC_KEYSVC_KEYPAIR_LOAD:
		return ks_load(x, TE_KEYHANDLE_KIND_KEYPAIR);
	case TE_IPC_KEYSVC_KEYPAIR_MOVE:
		return ks_keypair_move(x);
	case TE_IPC_KEYSVC_KEYPAIR_DELETE:
		return ks_delete(x, TE_KEYHANDLE_KIND_KEYPAIR);
	case TE_IPC_KEYSVC_PARAMETER:
		return ks_parameter(x);
	case TE_IPC_KEYSVC_SIGN:
		return ks_sign(x);
	case TE_IPC_KEYSVC_ENCRYPT:
		return ks_crypt(x, 1);
	case TE_IPC_KEYSVC_DECRYPT:
		return ks_crypt(x, 0);
	case TE_IPC_KEYSVC_DERIVE:
		return ks_derive(x);
	case TE_IPC_KEYSVC_DERIVED_EXPORT:
		return ks_export(x);
	default:
		return te_err_set(TE_ERR_INTERNAL, "keys service: op %u", (unsigned)x->r->op);
	}
}

te_err te_keys_svc_handle(te_keys_svc *s, const te_ipc_keysvc_req *req, te_ipc_msg *rep)
{
	te_err rc = TE_OK;
	ks_call x;
	te_ipc_keysvc_reply er;

	memset(&x, 0, sizeof(x));
	x.s = s;
	x.r = req;
	x.rep = rep;
	x.op = ks_op_name(req->op);
	te_err_clear();
	if (s->pc.n_principals == 0 &&
	    !(req->op == TE_IPC_KEYSVC_SIGN && s->identity_key[0] != '\0')) {
		/* No principal: nobody may use any key (and there is no handle
		 * key to check a handle with), but an identity handle may sign
		 * (ks_sign_open). */
		te_log_info("audit: caller uid=%u op=%s key=%s result=denied", (unsigned)req->uid,
		            x.op, req->key_id[0] != '\0' ? req->key_id : "-");
		rc = ks_refuse(&x, 403, "the caller may not use this key");
	} else {
		rc = ks_dispatch(&x);
	}
	if (rc != TE_OK && x.status == 0) {
		te_log_err(rc, "keys service");
		x.status = 500;
		snprintf(x.msg, sizeof(x.msg), "internal error");
	}
	if (x.status != 0) {
		if (x.status != 500 && x.status != 403)
			te_log_debug("keys service: %s refused (%u %s): %s", x.op, x.status, x.msg,
			             te_err_detail());
		/* A failed op may have half-encoded a secret reply. */
		te_ipc_msg_wipe(rep);
		er.status = (uint16_t)x.status;
		er.kind = TE_IPC_KEYSVC_REPLY_MESSAGE;
		er.payload = (const uint8_t *)x.msg;
		er.payload_len = strlen(x.msg);
		rc = te_ipc_keysvc_reply_encode(&er, rep);
	}
	if (x.allowed)
		te_log_info("audit: caller uid=%u op=%s key=%s result=allowed status=%u",
		            (unsigned)req->uid, x.op, x.key, x.status != 0 ? x.status : x.answered);
	if (rc != TE_OK)
		te_ipc_msg_wipe(rep);
	return rc;
}

/* ---- open, close ---- */

static te_err ks_strdup_list(const char *const *src, size_t n, char ***dst, size_t *dst_n)
{
	te_err rc = TE_OK;

	*dst = NULL;
	*dst_n = 0;
	if (n == 0)
		goto out;
	*dst = calloc(n, sizeof(**dst));
	TE_ENSURE(*dst != NULL, TE_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < n; i++) {
		TE_ENSURE(src[i] != NULL && src[i][0] != '\0', TE_ERR_INVALID_ARG,
		          "keys service: an empty reserved key name");
		(*dst)[i] = strdup(src[i]);
		TE_ENSURE((*dst)[i] != NULL, TE_ERR_NO_MEMORY, "out of memory");
		*dst_n = i + 1;
	}
out:
	return rc;
}

static void ks_free_list(char **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		free(list[i]);
	free(list);
}

static te_err ks_copy_principals(te_keys_svc *s, const te_daemon_config *dc)
{
	te_err rc = TE_OK;
	size_t n = dc->n_principals;

	if (n == 0)
		goto out;
	s->pc.principals = calloc(n, sizeof(*s->pc.principals));
	TE_ENSURE(s->pc.principals != NULL, TE_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const te_daemon_principal *p = &dc->principals[i];
		te_daemon_principal *q = &s->pc.principals[i];

		s->pc.n_principals = i + 1;
		q->uid = p->uid;
		TE_GUARD(
		    ks_strdup_list((const char *const *)p->keys, p->n_keys, &q->keys, &q->n_keys));
	}
out:
	return rc;
}

/* The handle-validation key: made when missing, and only that kind of
 * key will do (an exportable one could be read and handles forged). */
static te_err ks_handle_key(te_hsm *hsm)
{
	te_err rc = TE_OK;
	const te_hsm_key_attrs attrs = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_info info;

	rc = te_hsm_key_create(hsm, TE_KEYS_SVC_HANDLE_KEY, &attrs);
	if (rc == TE_OK)
		te_log_info("created the key handle validation key '%s'", TE_KEYS_SVC_HANDLE_KEY);
	else if (rc != TE_ERR_EXISTS)
		goto out;
	rc = TE_OK;
	TE_GUARD(te_hsm_key_info_get(hsm, TE_KEYS_SVC_HANDLE_KEY, &info));
	TE_ENSURE(info.type == TE_HSM_KEY_HMAC_SHA256 && (info.usage & TE_HSM_USAGE_SIGN) &&
	              !info.exportable,
	          TE_ERR_CONFIG,
	          "HSM key '" TE_KEYS_SVC_HANDLE_KEY "' exists but is not a non-exportable "
	          "hmac-sha256 signing key: it cannot validate key handles");
out:
	return rc;
}

te_err te_keys_svc_open(te_hsm *hsm, const te_keys_svc_config *cfg, te_keys_svc **out)
{
	te_err rc = TE_OK;
	te_keys_svc *s = calloc(1, sizeof(*s));

	*out = NULL;
	TE_ENSURE(s != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(cfg->dc != NULL, TE_ERR_INVALID_ARG, "keys service: no configuration");
	s->hsm = hsm;
	TE_GUARD(ks_copy_principals(s, cfg->dc));
	TE_GUARD(ks_strdup_list(cfg->reserved, cfg->n_reserved, &s->reserved, &s->n_reserved));
	TE_GUARD(ks_strdup_list(cfg->reserved_prefixes, cfg->n_reserved_prefixes, &s->prefixes,
	                        &s->n_prefixes));
	if (cfg->identity_key != NULL && te_hsm_name_check(cfg->identity_key) == TE_OK)
		snprintf(s->identity_key, sizeof(s->identity_key), "%s", cfg->identity_key);
	if (s->pc.n_principals > 0) {
		TE_GUARD(ks_handle_key(hsm));
		s->have_handle_key = 1;
	}
	*out = s;
	s = NULL;
out:
	te_keys_svc_close(s);
	return rc;
}

/* ---- identity handles (keys_svc.h) ---- */

typedef struct ks_bound {
	te_keys_svc *s;
	uint32_t uid;
} ks_bound;

/* The identity handle MAC: the keys-service MAC over the label, the uid
 * and the handle's bytes. */
static te_err ks_mac_identity(void *arg, const uint8_t *data, size_t len,
                              uint8_t tag[TE_KEYHANDLE_TAG_LEN])
{
	const ks_bound *b = arg;
	uint8_t buf[sizeof(TE_KEYS_SVC_IDENTITY_LABEL) + 4 + TE_KEYHANDLE_RAW_MAX];
	size_t at = sizeof(TE_KEYS_SVC_IDENTITY_LABEL); /* with its NUL: the separator */
	te_err rc;

	if (len > TE_KEYHANDLE_RAW_MAX)
		return te_err_set(TE_ERR_INTERNAL, "identity handle MAC over %zu bytes", len);
	memcpy(buf, TE_KEYS_SVC_IDENTITY_LABEL, at);
	buf[at++] = (uint8_t)(b->uid >> 24);
	buf[at++] = (uint8_t)(b->uid >> 16);
	buf[at++] = (uint8_t)(b->uid >> 8);
	buf[at++] = (uint8_t)b->uid;
	memcpy(buf + at, data, len);
	rc = ks_mac(b->s, buf, at + len, tag);
	te_memzero(buf, sizeof(buf));
	return rc;
}

/* The handle key for identity handles: made when missing only when
 * create is set (minting), else only checked when it exists (a handle
 * cannot be genuine without it). */
static te_err ks_identity_key_ready(te_keys_svc *s, int create)
{
	te_err rc = TE_OK;

	if (s->have_handle_key)
		goto out;
	TE_ENSURE(create || te_hsm_key_exists(s->hsm, TE_KEYS_SVC_HANDLE_KEY), TE_ERR_NOT_FOUND,
	          "keys service: no handle-validation key yet");
	TE_GUARD(ks_handle_key(s->hsm));
	s->have_handle_key = 1;
out:
	return rc;
}

te_err te_keys_svc_identity_handle(te_keys_svc *s, uint32_t uid, const uint8_t *data,
                                   size_t data_len, char *out, size_t out_size)
{
	te_err rc = TE_OK;
	te_keyhandle h;
	ks_bound b = {s, uid};

	memset(&h, 0, sizeof(h));
	TE_ENSURE(s->identity_key[0] != '\0', TE_ERR_UNSUPPORTED,
	          "keys service: the device key is not an HSM key name: no identity handles");
	TE_ENSURE(data_len <= TE_KEYHANDLE_DATA_MAX && (data != NULL || data_len == 0),
	          TE_ERR_INVALID_ARG, "keys service: identity derivation data of %zu bytes",
	          data_len);
	TE_GUARD(ks_identity_key_ready(s, 1));
	h.kind = data_len > 0 ? TE_KEYHANDLE_KIND_DERIVED : TE_KEYHANDLE_KIND_KEY;
	snprintf(h.id, sizeof(h.id), "%s", s->identity_key);
	if (data_len > 0)
		memcpy(h.data, data, data_len);
	h.data_len = data_len;
	TE_GUARD(te_keyhandle_encode(ks_mac_identity, &b, &h, out, out_size));
out:
	te_memzero(&h, sizeof(h));
	return rc;
}

/* 1 when the request's handle is an identity handle made for the caller's
 * uid, naming the identity key as a key or a derivation base; h is then
 * the handle.  Anything else is no identity handle (0), quietly: the
 * caller refuses it as it refuses any invalid handle. */
static int ks_identity_open(ks_call *x, te_keyhandle *h)
{
	te_keys_svc *s = x->s;
	ks_bound b = {s, x->r->uid};
	te_keyhandle got;
	int ok;

	if (s->identity_key[0] == '\0' || ks_identity_key_ready(s, 0) != TE_OK)
		return 0;
	if (te_keyhandle_decode(ks_mac_identity, &b, x->r->handle, strlen(x->r->handle), &got) !=
	    TE_OK)
		return 0;
	/* Only these are ever made (te_keys_svc_identity_handle); a device
	 * key renamed in the configuration leaves old handles behind. */
	ok = strcmp(got.id, s->identity_key) == 0 &&
	     (got.kind == TE_KEYHANDLE_KIND_KEY || got.kind == TE_KEYHANDLE_KIND_DERIVED);
	if (ok)
		*h = got;
	te_memzero(&got, sizeof(got));
	return ok;
}

void te_keys_svc_close(te_keys_svc *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; s->pc.principals != NULL && i < s->pc.n_principals; i++)
		ks_free_list(s->pc.principals[i].keys, s->pc.principals[i].n_keys);
	free(s->pc.principals);
	ks_free_list(s->reserved, s->n_reserved);
	ks_free_list(s->prefixes, s->n_prefixes);
	free(s);
}
