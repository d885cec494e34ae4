/*
 * pkcs11.c - the pkcs11 backend: keys on any PKCS#11 token (an HSM, a
 * secure element, a smart card, SoftHSM2).
 *
 * Keys are token objects.  A key named N is the private or secret key
 * object with CKA_LABEL N (and, for a pair, the public key object with the
 * same label and CKA_ID); keys made by trustedge also get CKA_ID = the
 * first 16 bytes of SHA-256(N), so other tools show and can address them.
 * Keys provisioned by other tools are used by name when their label is a
 * valid name, or by RFC 7512 URI ("pkcs11:object=x;type=private").  What
 * a key is and may do is read back from its attributes every time it is
 * resolved (CKA_KEY_TYPE, CKA_EC_PARAMS or CKA_MODULUS, CKA_SIGN,
 * CKA_DECRYPT, CKA_DERIVE, ...): there is no side database to fall out of
 * step with the token.  docs/pkcs11.md has the full mapping.
 *
 * Private and secret key bytes stay on the token (CKA_SENSITIVE true,
 * CKA_EXTRACTABLE false) unless a key is made exportable: then
 * CKA_SENSITIVE is false and CKA_EXTRACTABLE true, and export reads the
 * values back.  Public-key operations (verify, RSA-OAEP encryption) run in
 * OpenSSL on the public key read off the token.
 *
 * The hot path (sign) is one session from the pool, one cached object
 * handle, C_SignInit and C_Sign: no C_FindObjects per call.  How cached
 * handles stay right is described above key_get().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "hsm/backends/pkcs11_err.h"
#include "hsm/backends/pkcs11_int.h"
#include "hsm/backends/pkcs11_key.h"
#include "hsm/keyfile.h"
#include "hsm/pkcs11_uri.h"
#include "hsm/import.h"
#include "hsm/policy.h"

#define CACHE_MAX    1024u
#define ID_LEN       16 /* CKA_ID of keys trustedge makes */
#define LABEL_MAX    TE_P11_URI_OBJECT_MAX
#define IDENT_MAX    TE_P11_URI_ID_MAX
#define RECHECK_NS   1000000000ull /* a cached handle older than this is re-checked */
#define FIND_BATCH   64
#define RANDOM_CHUNK 65536
#define SECRET_LEN   32
#define HMAC_MIN_KEY 32 /* SoftHSM2 refuses shorter HMAC-SHA256 keys */

static const char *const pkcs11_settings[] = {"module", "token",    "serial",  "slot",
                                              "pin",    "pin_file", "pin_env", NULL};

static CK_BBOOL ck_true = CK_TRUE;
static CK_BBOOL ck_false = CK_FALSE;

/* Serialises "does the name exist? then make it" within the process. */
static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

/* --- keys and the cache --------------------------------------------------- */

/* A resolved key: its objects and what it is. */
typedef struct p11_key {
	CK_OBJECT_HANDLE priv; /* the private or secret key object */
	CK_OBJECT_HANDLE pub;  /* its public key object; CK_INVALID_HANDLE if none */
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE ck_type;
	te_hsm_key_type type; /* TE_HSM_KEY_NONE: a kind trustedge does not use */
	uint32_t usage;
	int exportable;
	size_t mod_len; /* RSA: modulus bytes */
} p11_key;

/* The object's label and id, to tell a cached handle still names it. */
typedef struct p11_ident {
	uint8_t label[LABEL_MAX];
	size_t label_len;
	uint8_t id[IDENT_MAX];
	size_t id_len;
} p11_ident;

typedef struct te_p11_entry {
	struct te_p11_entry *next;
	char *ref; /* the name or URI this entry answers */
	p11_key k;
	p11_ident ident;
	uint64_t checked; /* CLOCK_MONOTONIC ns when last known good */
	EVP_PKEY *pub;    /* made on first use */
} te_p11_entry;

/* One attempt of an operation: a session, and the key it names. */
typedef struct p11_op {
	te_p11 *p;
	CK_SESSION_HANDLE s;
	CK_RV rv; /* the PKCS#11 failure of this attempt; CKR_OK when none */
	const char *ref;
	p11_key k;
} p11_op;

/* Coarse is enough for a once-a-second check and is cheaper per call. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Records a PKCS#11 failure for the retry logic and sets the message. */
static te_err ck(p11_op *op, CK_RV rv, CK_MECHANISM_TYPE mech, const char *fmt, ...)
    TE_PRINTF(4, 5);

static te_err ck(p11_op *op, CK_RV rv, CK_MECHANISM_TYPE mech, const char *fmt, ...)
{
	va_list ap;
	te_err rc;

	if (rv == CKR_OK)
		return TE_OK;
	op->rv = rv;
	va_start(ap, fmt);
	rc = te_p11_vfail(rv, op->p->label, mech, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

static uint32_t ref_hash(const char *ref)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *ref; ref++)
		h = (h ^ (uint8_t)*ref) * 16777619u;
	return h % TE_P11_CACHE_BUCKETS;
}

static void entry_free(te_p11_entry *e)
{
	if (e == NULL)
		return;
	EVP_PKEY_free(e->pub);
	free(e->ref);
	free(e);
}

static void cache_flush_locked(te_p11 *p)
{
	for (size_t i = 0; i < TE_P11_CACHE_BUCKETS; i++) {
		while (p->cache[i] != NULL) {
			te_p11_entry *e = p->cache[i];
			p->cache[i] = e->next;
			entry_free(e);
		}
	}
	p->cache_count = 0;
}

/* Drops entries made before a key was deleted anywhere in the process. */
static void cache_sync_locked(te_p11 *p)
{
	unsigned long gen = te_p11_generation();

	if (gen != p->cache_gen) {
		cache_flush_locked(p);
		p->cache_gen = gen;
	}
}

static te_p11_entry *cache_find_locked(te_p11 *p, const char *ref)
{
	te_p11_entry *e = p->cache[ref_hash(ref)];

	while (e != NULL && strcmp(e->ref, ref) != 0)
		e = e->next;
	return e;
}

static void cache_forget(te_p11 *p, const char *ref)
{
	te_p11_entry **pp, *e;

	pthread_mutex_lock(&p->mu);
	for (pp = &p->cache[ref_hash(ref)]; (e = *pp) != NULL; pp = &e->next) {
		if (strcmp(e->ref, ref) == 0) {
			*pp = e->next;
			entry_free(e);
			p->cache_count--;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
}

/* Remembers a resolved key; gen is the generation read before resolving,
 * so a delete that raced with the lookup keeps the stale result out. */
static void cache_store(te_p11 *p, const char *ref, const p11_key *k, const p11_ident *id,
                        unsigned long gen)
{
	te_p11_entry *e;

	pthread_mutex_lock(&p->mu);
	cache_sync_locked(p);
	if (gen != p->cache_gen)
		goto out;
	e = cache_find_locked(p, ref);
	if (e == NULL) {
		if (p->cache_count >= CACHE_MAX)
			cache_flush_locked(p);
		e = calloc(1, sizeof(*e));
		if (e == NULL || (e->ref = strdup(ref)) == NULL) {
			free(e);
			goto out;
		}
		e->next = p->cache[ref_hash(ref)];
		p->cache[ref_hash(ref)] = e;
		p->cache_count++;
	} else if (e->k.priv != k->priv || e->k.pub != k->pub) {
		EVP_PKEY_free(e->pub);
		e->pub = NULL;
	}
	e->k = *k;
	e->ident = *id;
	e->checked = now_ns();
out:
	pthread_mutex_unlock(&p->mu);
}

/* --- finding objects ---------------------------------------------------------- */

static void attr(CK_ATTRIBUTE *t, CK_ULONG *n, CK_ATTRIBUTE_TYPE type, void *v, size_t len)
{
	t[*n].type = type;
	t[*n].pValue = v;
	t[*n].ulValueLen = len;
	(*n)++;
}

/* A session that lost its login (someone called C_Logout) sees no private
 * objects; log in again before concluding that a key is missing. */
static te_err login_if_needed(p11_op *op, int *did)
{
	CK_SESSION_INFO si;

	*did = 0;
	if (op->p->no_login || op->p->f->C_GetSessionInfo(op->s, &si) != CKR_OK ||
	    si.state == CKS_RW_USER_FUNCTIONS || si.state == CKS_RO_USER_FUNCTIONS)
		return TE_OK;
	*did = 1;
	return te_p11_login(op->p, op->s);
}

/* Up to max handles of objects matching tmpl; *count is how many. */
static te_err find_raw(p11_op *op, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out,
                       CK_ULONG max, CK_ULONG *count)
{
	const CK_FUNCTION_LIST *f = op->p->f;
	CK_RV rv = f->C_FindObjectsInit(op->s, tmpl, n);

	if (rv != CKR_OK)
		return ck(op, rv, TE_P11_NO_MECH, "cannot search token '%s'", op->p->label);
	rv = f->C_FindObjects(op->s, out, max, count);
	(void)f->C_FindObjectsFinal(op->s);
	return ck(op, rv, TE_P11_NO_MECH, "cannot search token '%s'", op->p->label);
}

static te_err find(p11_op *op, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out, CK_ULONG max,
                   CK_ULONG *count)
{
	te_err rc = find_raw(op, tmpl, n, out, max, count);
	int relogged = 0;

	if (rc != TE_OK || *count > 0)
		return rc;
	if ((rc = login_if_needed(op, &relogged)) != TE_OK || !relogged)
		return rc;
	return find_raw(op, tmpl, n, out, max, count);
}

/* Every object matching tmpl, in a malloc'd array. */
static te_err find_all(p11_op *op, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE **out,
                       size_t *count)
{
	te_err rc = TE_OK;
	const CK_FUNCTION_LIST *f = op->p->f;
	CK_OBJECT_HANDLE *list = NULL;
	size_t got = 0, cap = 0;
	CK_RV rv;
	int relogged = 0;

	TE_GUARD(login_if_needed(op, &relogged));
	rv = f->C_FindObjectsInit(op->s, tmpl, n);
	TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot search token '%s'", op->p->label));
	for (;;) {
		CK_ULONG batch = 0;

		if (got == cap) {
			size_t ncap = cap ? cap * 2 : FIND_BATCH;
			CK_OBJECT_HANDLE *nl = realloc(list, ncap * sizeof(*nl));
			if (nl == NULL) {
				(void)f->C_FindObjectsFinal(op->s);
				TE_ENSURE(0, TE_ERR_NO_MEMORY, "out of memory");
			}
			list = nl;
			cap = ncap;
		}
		rv = f->C_FindObjects(op->s, list + got, (CK_ULONG)(cap - got), &batch);
		if (rv != CKR_OK) {
			(void)f->C_FindObjectsFinal(op->s);
			TE_GUARD(
			    ck(op, rv, TE_P11_NO_MECH, "cannot search token '%s'", op->p->label));
		}
		if (batch == 0)
			break;
		got += batch;
	}
	(void)f->C_FindObjectsFinal(op->s);
	*out = list;
	*count = got;
	list = NULL;
out:
	free(list);
	return rc;
}

/* --- reading a key's attributes --------------------------------------------------- */

static int is_true(const CK_ATTRIBUTE *a)
{
	return a->ulValueLen == sizeof(CK_BBOOL) && *(CK_BBOOL *)a->pValue == CK_TRUE;
}

/* Label and id of an object (bounded; longer ones are refused). */
static te_err ident_read(p11_op *op, CK_OBJECT_HANDLE h, p11_ident *id)
{
	CK_ATTRIBUTE t[2] = {{CKA_LABEL, NULL, 0}, {CKA_ID, NULL, 0}};
	CK_RV rv = op->p->f->C_GetAttributeValue(op->s, h, t, 2);

	/* A missing label or id reads as empty. */
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		return ck(op, rv, TE_P11_NO_MECH, "cannot read a key's label on token '%s'",
		          op->p->label);
	if (t[0].ulValueLen == CK_UNAVAILABLE_INFORMATION)
		t[0].ulValueLen = 0;
	if (t[1].ulValueLen == CK_UNAVAILABLE_INFORMATION)
		t[1].ulValueLen = 0;
	if (t[0].ulValueLen > LABEL_MAX || t[1].ulValueLen > IDENT_MAX)
		return te_err_set(TE_ERR_UNSUPPORTED,
		                  "a key on token '%s' has a label or id longer than trustedge "
		                  "handles (%d bytes)",
		                  op->p->label, LABEL_MAX);
	t[0].pValue = id->label;
	t[1].pValue = id->id;
	rv = op->p->f->C_GetAttributeValue(op->s, h, t, 2);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		return ck(op, rv, TE_P11_NO_MECH, "cannot read a key's label on token '%s'",
		          op->p->label);
	id->label_len = t[0].ulValueLen == CK_UNAVAILABLE_INFORMATION ? 0 : t[0].ulValueLen;
	id->id_len = t[1].ulValueLen == CK_UNAVAILABLE_INFORMATION ? 0 : t[1].ulValueLen;
	return TE_OK;
}

static te_hsm_key_type rsa_type(size_t mod_len)
{
	switch (mod_len) {
	case 256:
		return TE_HSM_KEY_RSA_2048;
	case 384:
		return TE_HSM_KEY_RSA_3072;
	case 512:
		return TE_HSM_KEY_RSA_4096;
	default:
		return TE_HSM_KEY_NONE;
	}
}

/* The trustedge type of a key object from its class, CKK and size. */
static te_err type_read(p11_op *op, p11_key *k)
{
	CK_ATTRIBUTE t[1];
	uint8_t params[128];
	CK_ULONG value_len = 0;
	CK_RV rv;

	k->type = TE_HSM_KEY_NONE;
	switch (k->ck_type) {
	case CKK_EC:
	case CKK_EC_EDWARDS:
		t[0] = (CK_ATTRIBUTE){CKA_EC_PARAMS, params, sizeof(params)};
		rv = op->p->f->C_GetAttributeValue(op->s, k->priv, t, 1);
		if (rv == CKR_OK)
			k->type = te_p11_ec_params_type(params, t[0].ulValueLen);
		if (k->ck_type == CKK_EC && k->type == TE_HSM_KEY_ED25519)
			k->type = TE_HSM_KEY_NONE;
		if (k->ck_type == CKK_EC_EDWARDS && k->type != TE_HSM_KEY_ED25519)
			k->type = TE_HSM_KEY_NONE;
		return TE_OK;
	case CKK_RSA:
		t[0] = (CK_ATTRIBUTE){CKA_MODULUS, NULL, 0};
		rv = op->p->f->C_GetAttributeValue(op->s, k->priv, t, 1);
		if (rv == CKR_OK && t[0].ulValueLen != CK_UNAVAILABLE_INFORMATION) {
			k->mod_len = t[0].ulValueLen;
			k->type = rsa_type(k->mod_len);
		}
		return TE_OK;
	case CKK_AES:
		t[0] = (CK_ATTRIBUTE){CKA_VALUE_LEN, &value_len, sizeof(value_len)};
		rv = op->p->f->C_GetAttributeValue(op->s, k->priv, t, 1);
		if (rv == CKR_OK && value_len == SECRET_LEN)
			k->type = TE_HSM_KEY_AES_256_GCM;
		return TE_OK;
	case CKK_GENERIC_SECRET:
	case CKK_SHA256_HMAC:
		k->type = TE_HSM_KEY_HMAC_SHA256;
		return TE_OK;
	default:
		return TE_OK;
	}
}

/*
 * Usage from the token's attributes.  One combination carries a meaning
 * of its own: an HMAC key trustedge made with usage "derive" but not
 * "sign" has CKA_SIGN true (tokens without an HMAC key-derivation
 * mechanism derive through C_Sign) and CKA_VERIFY false, and reads back as
 * derive only.
 */
static uint32_t usage_of(const p11_key *k, int sign, int verify, int enc, int dec, int derive)
{
	uint32_t u = 0;

	if (k->cls == CKO_PRIVATE_KEY) {
		u |= sign ? TE_HSM_USAGE_SIGN : 0;
		u |= dec ? TE_HSM_USAGE_ENCRYPT : 0;
	} else if (k->type == TE_HSM_KEY_HMAC_SHA256) {
		u |= derive ? TE_HSM_USAGE_DERIVE : 0;
		if (derive ? (sign && verify) : sign)
			u |= TE_HSM_USAGE_SIGN;
	} else {
		u |= (enc || dec) ? TE_HSM_USAGE_ENCRYPT : 0;
	}
	switch (k->type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
	case TE_HSM_KEY_ED25519:
		return u & TE_HSM_USAGE_SIGN;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		return u & (TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT);
	case TE_HSM_KEY_HMAC_SHA256:
		return u & (TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE);
	case TE_HSM_KEY_AES_256_GCM:
		return u & TE_HSM_USAGE_ENCRYPT;
	default:
		return 0;
	}
}

/* Class, type, usage and export attribute of the object priv. */
static te_err key_read(p11_op *op, CK_OBJECT_HANDLE priv, p11_key *k)
{
	te_err rc = TE_OK;
	CK_ATTRIBUTE t[8];
	CK_ULONG n = 0;
	CK_BBOOL sign = 0, verify = 0, enc = 0, dec = 0, derive = 0, sens = 1, extr = 0;
	CK_RV rv;

	memset(k, 0, sizeof(*k));
	k->priv = priv;
	k->pub = CK_INVALID_HANDLE;
	attr(t, &n, CKA_CLASS, &k->cls, sizeof(k->cls));
	attr(t, &n, CKA_KEY_TYPE, &k->ck_type, sizeof(k->ck_type));
	rv = op->p->f->C_GetAttributeValue(op->s, priv, t, n);
	TE_GUARD(
	    ck(op, rv, TE_P11_NO_MECH, "cannot read a key's type on token '%s'", op->p->label));
	TE_GUARD(type_read(op, k));
	n = 0;
	attr(t, &n, CKA_SIGN, &sign, 1);
	attr(t, &n, CKA_DECRYPT, &dec, 1);
	attr(t, &n, CKA_DERIVE, &derive, 1);
	attr(t, &n, CKA_SENSITIVE, &sens, 1);
	attr(t, &n, CKA_EXTRACTABLE, &extr, 1);
	if (k->cls == CKO_SECRET_KEY) {
		attr(t, &n, CKA_VERIFY, &verify, 1);
		attr(t, &n, CKA_ENCRYPT, &enc, 1);
	}
	/* Attributes a module lacks read as false (sensitive: true). */
	rv = op->p->f->C_GetAttributeValue(op->s, priv, t, n);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE)
		TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot read a key's attributes on token '%s'",
		            op->p->label));
	k->usage =
	    usage_of(k, is_true(&t[0]), k->cls == CKO_SECRET_KEY && is_true(&t[5]),
	             k->cls == CKO_SECRET_KEY && is_true(&t[6]), is_true(&t[1]), is_true(&t[2]));
	k->exportable = is_true(&t[4]) && t[3].ulValueLen == 1 && !sens;
	if (k->type == TE_HSM_KEY_NONE)
		k->usage = 0;
out:
	return rc;
}

/* The public half of a private key: same label and id, same key type. */
static te_err pub_find(p11_op *op, p11_key *k, const p11_ident *id)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[4];
	CK_ULONG n = 0, count = 0;
	CK_OBJECT_HANDLE h[2];
	te_err rc;

	k->pub = CK_INVALID_HANDLE;
	if (k->cls != CKO_PRIVATE_KEY || (id->label_len == 0 && id->id_len == 0))
		return TE_OK;
	attr(t, &n, CKA_CLASS, &cls, sizeof(cls));
	attr(t, &n, CKA_KEY_TYPE, &k->ck_type, sizeof(k->ck_type));
	if (id->label_len > 0)
		attr(t, &n, CKA_LABEL, (void *)id->label, id->label_len);
	if (id->id_len > 0)
		attr(t, &n, CKA_ID, (void *)id->id, id->id_len);
	rc = find_raw(op, t, n, h, 2, &count);
	if (rc == TE_OK && count == 0 && id->label_len > 0 && id->id_len > 0) {
		/* Other tools may label only one half; the id pairs them. */
		n = 2;
		attr(t, &n, CKA_ID, (void *)id->id, id->id_len);
		rc = find_raw(op, t, n, h, 2, &count);
	}
	if (rc == TE_OK && count == 1)
		k->pub = h[0];
	return rc;
}

/* --- resolving a name or URI ------------------------------------------------------- */

static te_err uri_token_check(const te_p11 *p, const te_p11_uri *u, const char *ref)
{
	static const struct {
		uint32_t bit;
		const char *what;
		size_t uri_off, ctx_off;
	} fields[] = {
	    {TE_P11_URI_TOKEN, "token", offsetof(te_p11_uri, token), offsetof(te_p11, label)},
	    {TE_P11_URI_MANUFACTURER, "manufacturer", offsetof(te_p11_uri, manufacturer),
	     offsetof(te_p11, manufacturer)},
	    {TE_P11_URI_SERIAL, "serial", offsetof(te_p11_uri, serial), offsetof(te_p11, serial)},
	    {TE_P11_URI_MODEL, "model", offsetof(te_p11_uri, model), offsetof(te_p11, model)},
	    {TE_P11_URI_LIB_MANUFACTURER, "library-manufacturer",
	     offsetof(te_p11_uri, lib_manufacturer), offsetof(te_p11, lib_manufacturer)},
	    {TE_P11_URI_LIB_DESCRIPTION, "library-description",
	     offsetof(te_p11_uri, lib_description), offsetof(te_p11, lib_description)},
	    {TE_P11_URI_SLOT_MANUFACTURER, "slot-manufacturer",
	     offsetof(te_p11_uri, slot_manufacturer), offsetof(te_p11, slot_manufacturer)},
	    {TE_P11_URI_SLOT_DESCRIPTION, "slot-description",
	     offsetof(te_p11_uri, slot_description), offsetof(te_p11, slot_description)},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *want = (const char *)u + fields[i].uri_off;
		const char *have = (const char *)p + fields[i].ctx_off;

		if ((u->present & fields[i].bit) && strcmp(want, have) != 0)
			return te_err_set(TE_ERR_NOT_FOUND,
			                  "%s: its %s is '%s', but this pkcs11 backend uses token "
			                  "'%s' (%s '%s'); set the backend's token/serial/slot to "
			                  "use another token",
			                  ref, fields[i].what, want, p->label, fields[i].what,
			                  have);
	}
	if ((u->present & TE_P11_URI_SLOT_ID) && u->slot_id != p->slot)
		return te_err_set(TE_ERR_NOT_FOUND,
		                  "%s: it names slot %lu, but this pkcs11 backend uses slot %lu",
		                  ref, u->slot_id, p->slot);
	if ((u->present & TE_P11_URI_LIB_VERSION) &&
	    (u->lib_major != p->lib_major || u->lib_minor != p->lib_minor))
		return te_err_set(TE_ERR_NOT_FOUND,
		                  "%s: it names library version %u.%u, but the module is %u.%u",
		                  ref, u->lib_major, u->lib_minor, p->lib_major, p->lib_minor);
	return TE_OK;
}

/* The key objects a label and/or id names: private and secret keys, or
 * one class when the URI gives a type.  At most two are reported. */
static te_err candidates(p11_op *op, const uint8_t *label, size_t label_len, const uint8_t *id,
                         size_t id_len, int only_private, int only_secret, CK_OBJECT_HANDLE out[2],
                         CK_ULONG *count)
{
	te_err rc = TE_OK;
	static const CK_OBJECT_CLASS classes[2] = {CKO_PRIVATE_KEY, CKO_SECRET_KEY};
	CK_OBJECT_CLASS cls;
	CK_ATTRIBUTE t[3];

	*count = 0;
	for (int c = 0; c < 2 && *count < 2; c++) {
		CK_ULONG n = 0, got = 0;

		if ((only_private && c == 1) || (only_secret && c == 0))
			continue;
		cls = classes[c];
		attr(t, &n, CKA_CLASS, &cls, sizeof(cls));
		if (label != NULL)
			attr(t, &n, CKA_LABEL, (void *)label, label_len);
		if (id != NULL)
			attr(t, &n, CKA_ID, (void *)id, id_len);
		TE_GUARD(find(op, t, n, out + *count, 2 - *count, &got));
		*count += got;
	}
out:
	return rc;
}

static te_err resolve_pick(p11_op *op, const char *ref, const CK_OBJECT_HANDLE *h, CK_ULONG n,
                           p11_key *k, p11_ident *id)
{
	te_err rc = TE_OK;

	TE_ENSURE(n > 0, TE_ERR_NOT_FOUND, "key '%s' not found on token '%s'", ref, op->p->label);
	TE_ENSURE(n == 1, TE_ERR_INVALID_ARG,
	          "key '%s' is ambiguous on token '%s': more than one key object matches (name "
	          "the one to use by a pkcs11: URI with id=...)",
	          ref, op->p->label);
	TE_GUARD(key_read(op, h[0], k));
	TE_GUARD(ident_read(op, h[0], id));
	TE_GUARD(pub_find(op, k, id));
out:
	return rc;
}

static te_err resolve_uri(p11_op *op, const char *ref, p11_key *k, p11_ident *id)
{
	te_err rc = TE_OK;
	te_p11_uri *u = malloc(sizeof(*u));
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;

	TE_ENSURE(u != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(te_p11_uri_parse(ref, strlen(ref), u));
	TE_GUARD(uri_token_check(op->p, u, ref));
	TE_ENSURE(u->type == TE_P11_URI_TYPE_NONE || u->type == TE_P11_URI_TYPE_PRIVATE ||
	              u->type == TE_P11_URI_TYPE_SECRET_KEY,
	          TE_ERR_UNSUPPORTED,
	          "%s: type=%s names no key trustedge can use; name the private or secret key "
	          "(type=private or type=secret-key)",
	          ref, te_p11_uri_type_name(u->type));
	TE_ENSURE(u->present & (TE_P11_URI_OBJECT | TE_P11_URI_ID), TE_ERR_BAD_NAME,
	          "%s names no key: give object= (the label) or id=", ref);
	TE_GUARD(candidates(op, (u->present & TE_P11_URI_OBJECT) ? (uint8_t *)u->object : NULL,
	                    u->object_len, (u->present & TE_P11_URI_ID) ? u->id : NULL, u->id_len,
	                    u->type == TE_P11_URI_TYPE_PRIVATE,
	                    u->type == TE_P11_URI_TYPE_SECRET_KEY, h, &n));
	TE_GUARD(resolve_pick(op, ref, h, n, k, id));
out:
	free(u);
	return rc;
}

static int is_uri(const char *ref)
{
	return strncmp(ref, "pkcs11:", 7) == 0;
}

/* Finds the key a name or URI names, on the token (no cache). */
static te_err resolve(p11_op *op, const char *ref, p11_key *k, p11_ident *id)
{
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	te_err rc;

	if (is_uri(ref))
		return resolve_uri(op, ref, k, id);
	rc = candidates(op, (const uint8_t *)ref, strlen(ref), NULL, 0, 0, 0, h, &n);
	if (rc != TE_OK)
		return rc;
	return resolve_pick(op, ref, h, n, k, id);
}

/* Reads label and id of a cached handle and compares them. */
static int ident_still(p11_op *op, CK_OBJECT_HANDLE h, const p11_ident *want)
{
	p11_ident *got = malloc(sizeof(*got));
	int same;

	if (got == NULL)
		return 0;
	same = ident_read(op, h, got) == TE_OK && got->label_len == want->label_len &&
	       got->id_len == want->id_len &&
	       memcmp(got->label, want->label, want->label_len) == 0 &&
	       memcmp(got->id, want->id, want->id_len) == 0;
	free(got);
	op->rv = CKR_OK; /* a failed check is not a failed operation */
	te_err_clear();
	return same;
}

/*
 * The key op->ref names, from the cache when possible.
 *
 * Object handles are cached by name.  They go stale in three ways, each
 * covered:
 *  - deleted through trustedge in this process: every delete bumps a
 *    process-wide generation, and each context drops its cache when it
 *    sees a new one (one atomic read per call);
 *  - deleted by another process or tool: the token then answers
 *    CKR_OBJECT_HANDLE_INVALID or CKR_KEY_HANDLE_INVALID, and the
 *    operation forgets the handle, finds the key again and retries once;
 *  - deleted elsewhere and a handle number reused for another object (some
 *    modules reuse handles; SoftHSM2 does not): an entry older than
 *    RECHECK_NS is checked by reading the object's CKA_LABEL and CKA_ID
 *    before use.  Checking on every call would be safest, but a
 *    C_GetAttributeValue costs SoftHSM2 about as much as an HMAC (9-14 us),
 *    which would halve HMAC throughput; a once-a-second check costs
 *    nothing measurable and bounds the window to a second.
 */
static te_err key_get(p11_op *op)
{
	te_p11 *p = op->p;
	te_p11_entry *e;
	p11_ident *id = NULL;
	unsigned long gen;
	uint64_t t = now_ns();
	te_err rc = TE_OK;

	pthread_mutex_lock(&p->mu);
	cache_sync_locked(p);
	gen = p->cache_gen;
	e = cache_find_locked(p, op->ref);
	if (e != NULL && t - e->checked < RECHECK_NS) {
		op->k = e->k;
		pthread_mutex_unlock(&p->mu);
		return TE_OK;
	}
	id = malloc(sizeof(*id));
	if (id != NULL && e != NULL) {
		/* Old enough to check; the entry may vanish meanwhile. */
		p11_key k = e->k;
		*id = e->ident;
		pthread_mutex_unlock(&p->mu);
		if (ident_still(op, k.priv, id)) {
			cache_store(p, op->ref, &k, id, gen);
			op->k = k;
			goto out;
		}
		cache_forget(p, op->ref);
	} else {
		pthread_mutex_unlock(&p->mu);
	}
	TE_ENSURE(id != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(resolve(op, op->ref, &op->k, id));
	cache_store(p, op->ref, &op->k, id, gen);
out:
	free(id);
	return rc;
}

/* The public key of op's key as an EVP_PKEY (a reference to free). */
static te_err key_pub(p11_op *op, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	te_p11 *p = op->p;
	const p11_key *k = &op->k;
	te_p11_entry *e;
	CK_ATTRIBUTE t[2] = {{0, NULL, 0}, {0, NULL, 0}};
	CK_OBJECT_HANDLE h = k->pub != CK_INVALID_HANDLE ? k->pub : k->priv;
	uint8_t *buf = NULL;
	EVP_PKEY *pkey = NULL;
	CK_RV rv;

	pthread_mutex_lock(&p->mu);
	e = cache_find_locked(p, op->ref);
	if (e != NULL && e->pub != NULL && e->k.priv == k->priv && EVP_PKEY_up_ref(e->pub) == 1) {
		*out = e->pub;
		pthread_mutex_unlock(&p->mu);
		return TE_OK;
	}
	pthread_mutex_unlock(&p->mu);

	TE_ENSURE(k->cls == CKO_PRIVATE_KEY, TE_ERR_UNSUPPORTED,
	          "key '%s' is a %s secret key and has no public part", op->ref,
	          te_hsm_key_type_name(k->type));
	if (te_p11_ec_field_len(k->type) != 0) {
		TE_ENSURE(k->pub != CK_INVALID_HANDLE, TE_ERR_UNSUPPORTED,
		          "key '%s': token '%s' holds no public key object for it (one with the "
		          "same label and CKA_ID), so its public key cannot be read",
		          op->ref, p->label);
		t[0].type = CKA_EC_POINT;
	} else {
		t[0].type = CKA_MODULUS;
		t[1].type = CKA_PUBLIC_EXPONENT;
	}
	rv = p->f->C_GetAttributeValue(op->s, h, t, t[1].type ? 2 : 1);
	TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot read the public key of '%s'", op->ref));
	TE_ENSURE(t[0].ulValueLen <= 2048 && t[1].ulValueLen <= 2048, TE_ERR_MALFORMED,
	          "public key of '%s' on token '%s' is too large", op->ref, p->label);
	buf = malloc(t[0].ulValueLen + t[1].ulValueLen + 1);
	TE_GUARD_PTR(buf, TE_ERR_NO_MEMORY, "out of memory");
	t[0].pValue = buf;
	t[1].pValue = buf + t[0].ulValueLen;
	rv = p->f->C_GetAttributeValue(op->s, h, t, t[1].type ? 2 : 1);
	TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot read the public key of '%s'", op->ref));
	if (t[1].type)
		TE_GUARD(
		    te_p11_pub_from_rsa(buf, t[0].ulValueLen, t[1].pValue, t[1].ulValueLen, &pkey));
	else
		TE_GUARD(te_p11_pub_from_point(k->type, buf, t[0].ulValueLen, &pkey));

	pthread_mutex_lock(&p->mu);
	e = cache_find_locked(p, op->ref);
	if (e != NULL && e->pub == NULL && e->k.priv == k->priv && EVP_PKEY_up_ref(pkey) == 1)
		e->pub = pkey;
	pthread_mutex_unlock(&p->mu);
	*out = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	free(buf);
	return rc;
}

/* --- running an operation ------------------------------------------------------------- */

typedef te_err (*p11_body)(p11_op *op, void *arg);

/*
 * Runs body with a session (and the key ref names, when ref is not NULL).
 * A failure that a fresh start cures is retried once each: a session the
 * token closed (CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED: reopen), a
 * lost login (CKR_USER_NOT_LOGGED_IN: log in again) and a stale object
 * handle (CKR_OBJECT_HANDLE_INVALID, CKR_KEY_HANDLE_INVALID: find the key
 * again).  Bodies are written so a retry after such a failure is safe.
 */
/* What to do after an attempt failed. */
typedef enum after {
	AFTER_RETURN,
	AFTER_RETRY,
} after;

/* Puts op's session back or away, and says whether to try again. */
static after attempt_done(p11_op *op, te_err *rc, int *retry_session, int *retry_login,
                          int *retry_handle)
{
	te_p11 *p = op->p;
	te_err lrc;

	if (*rc == TE_OK || op->rv == CKR_OK) {
		te_p11_sess_put(p, op->s);
		return AFTER_RETURN;
	}
	switch (op->rv) {
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
		te_p11_sess_drop(p, op->s, 1);
		return (*retry_session)-- > 0 ? AFTER_RETRY : AFTER_RETURN;
	case CKR_USER_NOT_LOGGED_IN:
		lrc = te_p11_login(p, op->s);
		te_p11_sess_put(p, op->s);
		if (lrc != TE_OK) {
			*rc = lrc;
			return AFTER_RETURN;
		}
		return (*retry_login)-- > 0 ? AFTER_RETRY : AFTER_RETURN;
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_KEY_HANDLE_INVALID:
		te_p11_sess_put(p, op->s);
		if (op->ref == NULL)
			return AFTER_RETURN;
		cache_forget(p, op->ref);
		if ((*retry_handle)-- > 0)
			return AFTER_RETRY;
		*rc = te_err_set(TE_ERR_NOT_FOUND, "key '%s' not found on token '%s'", op->ref,
		                 p->label);
		return AFTER_RETURN;
	case CKR_OPERATION_ACTIVE:
	case CKR_BUFFER_TOO_SMALL:
		/* An operation may still be active on it: do not reuse. */
		te_p11_sess_drop(p, op->s, 0);
		return AFTER_RETURN;
	default:
		te_p11_sess_put(p, op->s);
		return AFTER_RETURN;
	}
}

static te_err run_as(te_p11 *p, int exclusive, const char *ref, p11_body body, void *arg)
{
	int retry_session = 1, retry_login = 1, retry_handle = 1;

	for (;;) {
		p11_op op;
		te_err rc;
		after next;

		memset(&op, 0, sizeof(op));
		op.p = p;
		op.ref = ref;
		te_p11_lock(p, exclusive);
		rc = te_p11_sess_get(p, &op.s);
		if (rc != TE_OK) {
			te_p11_unlock(p);
			return rc;
		}
		if (ref != NULL)
			rc = key_get(&op);
		if (rc == TE_OK)
			rc = body(&op, arg);
		next = attempt_done(&op, &rc, &retry_session, &retry_login, &retry_handle);
		te_p11_unlock(p);
		if (next == AFTER_RETURN)
			return rc;
	}
}

/* An operation that only uses objects. */
static te_err run(te_p11 *p, const char *ref, p11_body body, void *arg)
{
	return run_as(p, 0, ref, body, arg);
}

/* An operation that creates or destroys objects (see te_p11_lock). */
static te_err run_excl(te_p11 *p, const char *ref, p11_body body, void *arg)
{
	return run_as(p, 1, ref, body, arg);
}

/* --- policy: usage and algorithms --------------------------------------------------- */

static te_err need_type(const p11_op *op)
{
	if (op->k.type != TE_HSM_KEY_NONE)
		return TE_OK;
	return te_err_set(TE_ERR_UNSUPPORTED,
	                  "key '%s' on token '%s' is of a kind trustedge does not use (CKK 0x%lx; "
	                  "supported: ec-p256, ec-p384, rsa-2048/3072/4096, ed25519, hmac-sha256, "
	                  "aes-256-gcm)",
	                  op->ref, op->p->label, op->k.ck_type);
}

/* The usage a new key is given (see te_hsm_policy_new_usage). */
static te_err usage_for(const te_hsm_key_attrs *attrs, te_hsm_key_type type, uint32_t *out)
{
	return te_hsm_policy_new_usage(type, attrs->usage, out);
}
/* --- making keys -------------------------------------------------------------------------- */

/* Attributes every new key gets: identity, storage, export policy. */
typedef struct new_key {
	const char *name;
	te_hsm_key_type type;
	uint32_t usage;
	int exportable;
	uint8_t id[ID_LEN];
	CK_OBJECT_CLASS c_priv, c_pub, c_secret;
	CK_KEY_TYPE ck_type;
	CK_ULONG value_len, bits;
	uint8_t exponent[3];
	te_buf params;
} new_key;

static te_err new_key_init(te_p11 *p, new_key *nk, const char *name, te_hsm_key_type type,
                           uint32_t usage, int exportable)
{
	te_err rc = TE_OK;
	uint8_t digest[32];
	unsigned int n = 0;

	memset(nk, 0, sizeof(*nk));
	te_buf_init(&nk->params, 0);
	nk->name = name;
	nk->type = type;
	nk->usage = usage;
	nk->exportable = exportable != 0;
	TE_GUARD_OSSL(EVP_Digest(name, strlen(name), digest, &n, p->sha256, NULL), "key id");
	memcpy(nk->id, digest, ID_LEN);
	nk->c_priv = CKO_PRIVATE_KEY;
	nk->c_pub = CKO_PUBLIC_KEY;
	nk->c_secret = CKO_SECRET_KEY;
	nk->value_len = SECRET_LEN;
	nk->exponent[0] = 0x01;
	nk->exponent[1] = 0x00;
	nk->exponent[2] = 0x01;
	switch (type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
		nk->ck_type = CKK_EC;
		TE_GUARD(te_p11_ec_params_der(type, &nk->params));
		break;
	case TE_HSM_KEY_ED25519:
		nk->ck_type = CKK_EC_EDWARDS;
		TE_GUARD(te_p11_ec_params_der(type, &nk->params));
		break;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		nk->ck_type = CKK_RSA;
		nk->bits = type == TE_HSM_KEY_RSA_2048   ? 2048
		           : type == TE_HSM_KEY_RSA_3072 ? 3072
		                                         : 4096;
		break;
	case TE_HSM_KEY_AES_256_GCM:
		nk->ck_type = CKK_AES;
		break;
	case TE_HSM_KEY_HMAC_SHA256:
		nk->ck_type = CKK_GENERIC_SECRET;
		break;
	default:
		rc = te_err_set(TE_ERR_INVALID_ARG, "key type %d", (int)type);
		break;
	}
out:
	return rc;
}

static void new_key_free(new_key *nk)
{
	te_buf_free(&nk->params);
}

static CK_BBOOL *flag(int on)
{
	return on ? &ck_true : &ck_false;
}

/* Storage, identity and policy attributes of a private or secret key. */
static void tmpl_secret_side(const new_key *nk, CK_ATTRIBUTE *t, CK_ULONG *n, int secret)
{
	int sign = (nk->usage & TE_HSM_USAGE_SIGN) != 0;
	int enc = (nk->usage & TE_HSM_USAGE_ENCRYPT) != 0;
	int derive = (nk->usage & TE_HSM_USAGE_DERIVE) != 0;

	attr(t, n, CKA_CLASS, (void *)(secret ? &nk->c_secret : &nk->c_priv), sizeof(CK_ULONG));
	attr(t, n, CKA_KEY_TYPE, (void *)&nk->ck_type, sizeof(nk->ck_type));
	attr(t, n, CKA_TOKEN, &ck_true, 1);
	attr(t, n, CKA_PRIVATE, &ck_true, 1);
	attr(t, n, CKA_LABEL, (void *)nk->name, strlen(nk->name));
	attr(t, n, CKA_ID, (void *)nk->id, ID_LEN);
	attr(t, n, CKA_SENSITIVE, flag(!nk->exportable), 1);
	attr(t, n, CKA_EXTRACTABLE, flag(nk->exportable), 1);
	if (!secret) {
		/* Everything not asked for is set false: tokens default some
		 * of these to true (SoftHSM2: decrypt and unwrap on EC keys). */
		attr(t, n, CKA_SIGN, flag(sign), 1);
		attr(t, n, CKA_DECRYPT, flag(enc), 1);
		attr(t, n, CKA_UNWRAP, &ck_false, 1);
		attr(t, n, CKA_DERIVE, &ck_false, 1);
		return;
	}
	if (nk->ck_type == CKK_AES) {
		attr(t, n, CKA_ENCRYPT, &ck_true, 1);
		attr(t, n, CKA_DECRYPT, &ck_true, 1);
		attr(t, n, CKA_SIGN, &ck_false, 1);
		attr(t, n, CKA_VERIFY, &ck_false, 1);
	} else {
		/* Derivation runs through C_Sign (see usage_of). */
		attr(t, n, CKA_SIGN, flag(sign || derive), 1);
		attr(t, n, CKA_VERIFY, flag(sign), 1);
		attr(t, n, CKA_ENCRYPT, &ck_false, 1);
		attr(t, n, CKA_DECRYPT, &ck_false, 1);
	}
	attr(t, n, CKA_DERIVE, flag(derive), 1);
	attr(t, n, CKA_WRAP, &ck_false, 1);
	attr(t, n, CKA_UNWRAP, &ck_false, 1);
}

static void tmpl_public_side(const new_key *nk, CK_ATTRIBUTE *t, CK_ULONG *n)
{
	attr(t, n, CKA_CLASS, (void *)&nk->c_pub, sizeof(nk->c_pub));
	attr(t, n, CKA_KEY_TYPE, (void *)&nk->ck_type, sizeof(nk->ck_type));
	attr(t, n, CKA_TOKEN, &ck_true, 1);
	attr(t, n, CKA_PRIVATE, &ck_false, 1);
	attr(t, n, CKA_LABEL, (void *)nk->name, strlen(nk->name));
	attr(t, n, CKA_ID, (void *)nk->id, ID_LEN);
	attr(t, n, CKA_VERIFY, flag((nk->usage & TE_HSM_USAGE_SIGN) != 0), 1);
	attr(t, n, CKA_ENCRYPT, flag((nk->usage & TE_HSM_USAGE_ENCRYPT) != 0), 1);
	attr(t, n, CKA_WRAP, &ck_false, 1);
	attr(t, n, CKA_DERIVE, &ck_false, 1);
}

/* TE_ERR_EXISTS when any key object carries the label name. */
static te_err name_free_check(p11_op *op, const char *name)
{
	te_err rc = TE_OK;
	static const CK_OBJECT_CLASS classes[3] = {CKO_PRIVATE_KEY, CKO_SECRET_KEY, CKO_PUBLIC_KEY};

	for (int c = 0; c < 3; c++) {
		CK_OBJECT_CLASS cls = classes[c];
		CK_ATTRIBUTE t[2];
		CK_ULONG n = 0, count = 0;
		CK_OBJECT_HANDLE h;

		attr(t, &n, CKA_CLASS, &cls, sizeof(cls));
		attr(t, &n, CKA_LABEL, (void *)name, strlen(name));
		TE_GUARD(find(op, t, n, &h, 1, &count));
		TE_ENSURE(count == 0, TE_ERR_EXISTS, "key '%s' already exists on token '%s'", name,
		          op->p->label);
	}
out:
	return rc;
}

static te_err need_mech(const te_p11 *p, te_p11_mech_bit m, const char *what)
{
	const char *name = te_p11_mech_name(te_p11_mech_list[m]);

	if (te_p11_has(p, m))
		return TE_OK;
	return te_err_set(TE_ERR_UNSUPPORTED, "token '%s' does not support %s, needed for %s",
	                  p->label, name ? name : "a mechanism", what);
}

typedef struct create_args {
	new_key nk;
} create_args;

static te_err create_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	new_key *nk = &((create_args *)arg)->nk;
	const CK_FUNCTION_LIST *f = op->p->f;
	CK_ATTRIBUTE pub[16], priv[20];
	CK_ULONG np = 0, nv = 0;
	CK_MECHANISM m = {0, NULL, 0};
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	CK_RV rv;

	TE_GUARD(name_free_check(op, nk->name));
	if (te_hsm_key_type_is_secret(nk->type)) {
		int aes = nk->type == TE_HSM_KEY_AES_256_GCM;

		TE_GUARD(need_mech(op->p, aes ? TE_P11_M_AES_KEYGEN : TE_P11_M_GENERIC_KEYGEN,
		                   te_hsm_key_type_name(nk->type)));
		m.mechanism = aes ? CKM_AES_KEY_GEN : CKM_GENERIC_SECRET_KEY_GEN;
		tmpl_secret_side(nk, priv, &nv, 1);
		attr(priv, &nv, CKA_VALUE_LEN, &nk->value_len, sizeof(nk->value_len));
		rv = f->C_GenerateKey(op->s, &m, priv, nv, &hpriv);
		return ck(op, rv, m.mechanism, "cannot generate %s key '%s'",
		          te_hsm_key_type_name(nk->type), nk->name);
	}
	tmpl_public_side(nk, pub, &np);
	tmpl_secret_side(nk, priv, &nv, 0);
	switch (nk->ck_type) {
	case CKK_EC:
		TE_GUARD(need_mech(op->p, TE_P11_M_EC_KEYGEN, te_hsm_key_type_name(nk->type)));
		m.mechanism = CKM_EC_KEY_PAIR_GEN;
		attr(pub, &np, CKA_EC_PARAMS, nk->params.data, nk->params.len);
		break;
	case CKK_EC_EDWARDS:
		TE_GUARD(need_mech(op->p, TE_P11_M_ED_KEYGEN, "ed25519 keys"));
		m.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		attr(pub, &np, CKA_EC_PARAMS, nk->params.data, nk->params.len);
		break;
	default:
		TE_GUARD(need_mech(op->p, TE_P11_M_RSA_KEYGEN, te_hsm_key_type_name(nk->type)));
		m.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		attr(pub, &np, CKA_MODULUS_BITS, &nk->bits, sizeof(nk->bits));
		attr(pub, &np, CKA_PUBLIC_EXPONENT, nk->exponent, sizeof(nk->exponent));
		break;
	}
	rv = f->C_GenerateKeyPair(op->s, &m, pub, np, priv, nv, &hpub, &hpriv);
	TE_GUARD(ck(op, rv, m.mechanism, "cannot generate %s key '%s'",
	            te_hsm_key_type_name(nk->type), nk->name));
out:
	return rc;
}

static te_err pkcs11_key_create(void *st, const char *name, const te_hsm_key_attrs *attrs)
{
	te_p11 *p = st;
	te_err rc = TE_OK;
	create_args a;
	uint32_t usage = 0;

	memset(&a, 0, sizeof(a));
	te_buf_init(&a.nk.params, 0);
	TE_GUARD(usage_for(attrs, attrs->type, &usage));
	TE_GUARD(new_key_init(p, &a.nk, name, attrs->type, usage, attrs->exportable));
	pthread_mutex_lock(&create_mu);
	rc = run_excl(p, NULL, create_body, &a);
	pthread_mutex_unlock(&create_mu);
out:
	new_key_free(&a.nk);
	return rc;
}

/* --- importing ----------------------------------------------------------------------------------
 */

typedef struct import_args {
	new_key nk;
	const uint8_t *secret; /* secret keys: the bytes */
	size_t secret_len;
	te_p11_material mat; /* key pairs */
} import_args;

static te_err import_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	import_args *a = arg;
	new_key *nk = &a->nk;
	const CK_FUNCTION_LIST *f = op->p->f;
	CK_ATTRIBUTE pub[16 + TE_P11_MAT_MAX], priv[20 + TE_P11_MAT_MAX];
	CK_ULONG np = 0, nv = 0;
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	CK_RV rv;

	TE_GUARD(name_free_check(op, nk->name));
	if (a->secret != NULL) {
		tmpl_secret_side(nk, priv, &nv, 1);
		attr(priv, &nv, CKA_VALUE, (void *)a->secret, a->secret_len);
		rv = f->C_CreateObject(op->s, priv, nv, &hpriv);
		return ck(op, rv, TE_P11_NO_MECH, "cannot store %s key '%s'",
		          te_hsm_key_type_name(nk->type), nk->name);
	}
	tmpl_secret_side(nk, priv, &nv, 0);
	for (size_t i = 0; i < a->mat.n_priv; i++)
		priv[nv++] = a->mat.priv[i];
	tmpl_public_side(nk, pub, &np);
	for (size_t i = 0; i < a->mat.n_pub; i++)
		pub[np++] = a->mat.pub[i];
	rv = f->C_CreateObject(op->s, priv, nv, &hpriv);
	TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot store private key '%s'", nk->name));
	rv = f->C_CreateObject(op->s, pub, np, &hpub);
	if (rv != CKR_OK) {
		/* Half a key pair is no key: take the private half back. */
		(void)f->C_DestroyObject(op->s, hpriv);
		TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot store public key '%s'", nk->name));
	}
out:
	return rc;
}

static te_err pkcs11_key_import(void *st, const char *name, const te_hsm_key_attrs *attrs,
                                const void *material, size_t len)
{
	te_p11 *p = st;
	te_err rc = TE_OK;
	import_args a;
	te_hsm_key_type type = attrs->type;
	uint32_t usage = 0;
	uint8_t padded[HMAC_MIN_KEY];
	EVP_PKEY *pkey = NULL;

	memset(&a, 0, sizeof(a));
	te_buf_init(&a.nk.params, 0);
	if (te_hsm_key_type_is_secret(type)) {
		TE_GUARD(te_hsm_import_secret_check(type, len));
		a.secret = material;
		a.secret_len = len;
		if (type == TE_HSM_KEY_HMAC_SHA256 && len < HMAC_MIN_KEY) {
			/* HMAC pads keys shorter than its block with zeros
			 * (RFC 2104), so K and K||0...0 are the same key; tokens
			 * such as SoftHSM2 refuse HMAC-SHA256 keys under 32 bytes. */
			memset(padded, 0, sizeof(padded));
			memcpy(padded, material, len);
			a.secret = padded;
			a.secret_len = sizeof(padded);
		}
	} else {
		TE_GUARD(te_hsm_import_pkey(material, len, type, &pkey, &type));
		TE_GUARD(te_p11_material_from_pkey(pkey, type, &a.mat));
	}
	TE_GUARD(usage_for(attrs, type, &usage));
	TE_GUARD(new_key_init(p, &a.nk, name, type, usage, attrs->exportable));
	pthread_mutex_lock(&create_mu);
	rc = run_excl(p, NULL, import_body, &a);
	pthread_mutex_unlock(&create_mu);
out:
	te_memzero(padded, sizeof(padded));
	te_p11_material_free(&a.mat);
	EVP_PKEY_free(pkey);
	new_key_free(&a.nk);
	return rc;
}

/* --- delete, info, list ---------------------------------------------------------------------- */

/* Destroys every key object with label name (orphaned public halves too). */
static te_err destroy_labelled(p11_op *op, const char *name, int *destroyed)
{
	te_err rc = TE_OK;
	static const CK_OBJECT_CLASS classes[3] = {CKO_PRIVATE_KEY, CKO_SECRET_KEY, CKO_PUBLIC_KEY};
	CK_OBJECT_HANDLE *h = NULL;
	size_t count = 0;

	for (int c = 0; c < 3; c++) {
		CK_OBJECT_CLASS cls = classes[c];
		CK_ATTRIBUTE t[2];
		CK_ULONG n = 0;

		attr(t, &n, CKA_CLASS, &cls, sizeof(cls));
		attr(t, &n, CKA_LABEL, (void *)name, strlen(name));
		TE_GUARD(find_all(op, t, n, &h, &count));
		for (size_t i = 0; i < count; i++) {
			CK_RV rv = op->p->f->C_DestroyObject(op->s, h[i]);
			if (rv == CKR_OBJECT_HANDLE_INVALID)
				continue; /* someone else was quicker */
			TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot delete key '%s'", name));
			(*destroyed)++;
		}
		free(h);
		h = NULL;
	}
out:
	free(h);
	return rc;
}

static te_err delete_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	const char *ref = arg;
	p11_key k;
	p11_ident *id = NULL;
	int destroyed = 0;
	CK_RV rv;

	if (!is_uri(ref)) {
		CK_OBJECT_HANDLE h[2];
		CK_ULONG n = 0;

		/* Two keys under one label: deleting both would surprise. */
		TE_GUARD(candidates(op, (const uint8_t *)ref, strlen(ref), NULL, 0, 0, 0, h, &n));
		TE_ENSURE(n < 2, TE_ERR_INVALID_ARG,
		          "key '%s' is ambiguous on token '%s': more than one key object has this "
		          "label (delete the one meant by a pkcs11: URI with id=...)",
		          ref, op->p->label);
		TE_GUARD(destroy_labelled(op, ref, &destroyed));
		TE_ENSURE(destroyed > 0, TE_ERR_NOT_FOUND, "key '%s' not found on token '%s'", ref,
		          op->p->label);
		goto out;
	}
	id = malloc(sizeof(*id));
	TE_ENSURE(id != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(resolve(op, ref, &k, id));
	rv = op->p->f->C_DestroyObject(op->s, k.priv);
	TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot delete key '%s'", ref));
	if (k.pub != CK_INVALID_HANDLE) {
		rv = op->p->f->C_DestroyObject(op->s, k.pub);
		if (rv != CKR_OBJECT_HANDLE_INVALID)
			TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot delete the public half of '%s'",
			            ref));
	}
out:
	free(id);
	return rc;
}

static te_err pkcs11_key_delete(void *st, const char *name)
{
	te_p11 *p = st;
	te_err rc;

	pthread_mutex_lock(&create_mu);
	rc = run_excl(p, NULL, delete_body, (void *)name);
	/* Even a failure may have removed half a pair: forget handles. */
	te_p11_generation_bump();
	pthread_mutex_unlock(&create_mu);
	cache_forget(p, name);
	return rc;
}

/* Percent-encodes a label into a pkcs11: URI that names it; 0 when it
 * does not fit a key name's room. */
static int uri_for_label(const uint8_t *label, size_t len, const char *type,
                         char out[TE_HSM_NAME_MAX + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	int w;

	w = snprintf(out, TE_HSM_NAME_MAX + 1, "pkcs11:object=");
	if (w < 0)
		return 0;
	o = (size_t)w;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = label[i];
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';

		if (o + (plain ? 1 : 3) > TE_HSM_NAME_MAX)
			return 0;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	w = snprintf(out + o, TE_HSM_NAME_MAX + 1 - o, ";type=%s", type);
	return w > 0 && o + (size_t)w <= TE_HSM_NAME_MAX;
}

/* The name a key is listed and reported under: its label when that is a
 * valid trustedge name, else a pkcs11: URI naming it; 0 when it has no
 * label or the URI would not fit. */
static int listed_name(const p11_key *k, const p11_ident *id, char out[TE_HSM_NAME_MAX + 1])
{
	char label[LABEL_MAX + 1];

	if (id->label_len == 0)
		return 0;
	memcpy(label, id->label, id->label_len);
	label[id->label_len] = '\0';
	if (strlen(label) == id->label_len && id->label_len <= TE_HSM_NAME_MAX &&
	    te_hsm_name_check(label) == TE_OK) {
		memcpy(out, label, id->label_len + 1);
		return 1;
	}
	te_err_clear();
	return uri_for_label(id->label, id->label_len,
	                     k->cls == CKO_SECRET_KEY ? "secret-key" : "private", out);
}

static void info_fill(te_hsm_key_info *info, const char *name, const p11_key *k)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", name);
	if (k->type == TE_HSM_KEY_NONE) {
		info->status = TE_ERR_UNSUPPORTED;
		return;
	}
	info->type = k->type;
	info->usage = k->usage;
	info->exportable = k->exportable;
}

typedef struct info_args {
	const char *ref;
	te_hsm_key_info *info;
} info_args;

static te_err info_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	info_args *a = arg;
	p11_ident *id = malloc(sizeof(*id));
	char name[TE_HSM_NAME_MAX + 1];
	unsigned long gen = te_p11_generation();
	p11_key k;

	TE_ENSURE(id != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(resolve(op, a->ref, &k, id));
	if (!listed_name(&k, id, name))
		snprintf(name, sizeof(name), "%s", a->ref);
	info_fill(a->info, is_uri(a->ref) ? name : a->ref, &k);
	TE_ENSURE(k.type != TE_HSM_KEY_NONE, TE_ERR_UNSUPPORTED,
	          "key '%s' on token '%s' is of a kind trustedge does not use (CKK 0x%lx)", a->ref,
	          op->p->label, k.ck_type);
	cache_store(op->p, a->ref, &k, id, gen);
out:
	free(id);
	return rc;
}

static te_err pkcs11_key_info(void *st, const char *name, te_hsm_key_info *info)
{
	te_hsm_key_info tmp;
	info_args a = {name, &tmp};
	te_err rc = run(st, NULL, info_body, &a);

	if (rc == TE_OK)
		*info = tmp;
	return rc;
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const te_hsm_key_info *)a)->name, ((const te_hsm_key_info *)b)->name);
}

typedef struct list_args {
	te_hsm_key_info *list;
	size_t n;
} list_args;

static te_err list_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	list_args *a = arg;
	static const CK_OBJECT_CLASS classes[2] = {CKO_PRIVATE_KEY, CKO_SECRET_KEY};
	CK_OBJECT_HANDLE *h = NULL;
	p11_ident *id = malloc(sizeof(*id));
	size_t count = 0;

	TE_ENSURE(id != NULL, TE_ERR_NO_MEMORY, "out of memory");
	for (int c = 0; c < 2; c++) {
		CK_OBJECT_CLASS cls = classes[c];
		CK_ATTRIBUTE t[2];
		CK_ULONG n = 0;
		te_hsm_key_info *grown;

		attr(t, &n, CKA_CLASS, &cls, sizeof(cls));
		attr(t, &n, CKA_TOKEN, &ck_true, 1);
		TE_GUARD(find_all(op, t, n, &h, &count));
		grown = realloc(a->list, (a->n + count + 1) * sizeof(*grown));
		TE_ENSURE(grown != NULL, TE_ERR_NO_MEMORY, "out of memory");
		a->list = grown;
		for (size_t i = 0; i < count; i++) {
			char name[TE_HSM_NAME_MAX + 1];
			p11_key k;

			rc = key_read(op, h[i], &k);
			if (rc == TE_OK)
				rc = ident_read(op, h[i], id);
			if (rc == TE_ERR_NO_MEMORY)
				goto out;
			/* Deleted while we listed, or unreadable: not a key to show. */
			if (rc != TE_OK || !listed_name(&k, id, name)) {
				op->rv = CKR_OK;
				rc = TE_OK;
				continue;
			}
			info_fill(&a->list[a->n++], name, &k);
		}
		free(h);
		h = NULL;
	}
out:
	te_err_clear();
	free(h);
	free(id);
	return rc;
}

static te_err pkcs11_key_list(void *st, te_hsm_key_info **out, size_t *count)
{
	list_args a = {NULL, 0};
	te_err rc = run(st, NULL, list_body, &a);
	size_t w = 0;

	if (rc != TE_OK) {
		free(a.list);
		return rc;
	}
	if (a.n > 1)
		qsort(a.list, a.n, sizeof(*a.list), info_cmp);
	/* Two keys under one label cannot be used by that name: one entry,
	 * marked as ambiguous, rather than two of the same name. */
	for (size_t i = 0; i < a.n; i++) {
		if (w > 0 && strcmp(a.list[w - 1].name, a.list[i].name) == 0) {
			te_hsm_key_info *dup = &a.list[w - 1];
			char name[TE_HSM_NAME_MAX + 1];

			memcpy(name, dup->name, sizeof(name));
			memset(dup, 0, sizeof(*dup));
			memcpy(dup->name, name, sizeof(name));
			dup->status = TE_ERR_EXISTS;
			continue;
		}
		a.list[w++] = a.list[i];
	}
	*out = a.list;
	*count = w;
	return TE_OK;
}

/* --- public key and export ------------------------------------------------------------------- */

typedef struct public_args {
	te_hsm_pub_format fmt;
	te_buf *out;
} public_args;

static te_err public_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	public_args *a = arg;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long n;

	TE_GUARD(need_type(op));
	TE_GUARD(key_pub(op, &pkey));
	bio = BIO_new(BIO_s_mem());
	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	if (a->fmt == TE_HSM_PUB_PEM)
		TE_GUARD_OSSL(PEM_write_bio_PUBKEY(bio, pkey), "encode public key");
	else
		TE_GUARD_OSSL(i2d_PUBKEY_bio(bio, pkey), "encode public key");
	n = BIO_get_mem_data(bio, &data);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "encode public key: empty");
	TE_GUARD(te_buf_append(a->out, data, (size_t)n));
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}

static te_err pkcs11_key_public(void *st, const char *name, te_hsm_pub_format fmt, te_buf *out)
{
	public_args a = {fmt, out};

	return run(st, name, public_body, &a);
}

/* Reads the listed attributes of h into m (sizes first, then values). */
static te_err material_read(p11_op *op, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE_TYPE *types,
                            size_t n, int is_pub, te_p11_material *m)
{
	te_err rc = TE_OK;
	CK_ATTRIBUTE t[TE_P11_MAT_MAX];
	CK_RV rv;

	if (n == 0)
		return TE_OK;
	for (size_t i = 0; i < n; i++)
		t[i] = (CK_ATTRIBUTE){types[i], NULL, 0};
	rv = op->p->f->C_GetAttributeValue(op->s, h, t, n);
	TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot read the key values of '%s'", op->ref));
	for (size_t i = 0; i < n; i++) {
		uint8_t *room = NULL;

		TE_ENSURE(t[i].ulValueLen <= 2048, TE_ERR_MALFORMED,
		          "a key value of '%s' is %lu bytes", op->ref, t[i].ulValueLen);
		TE_GUARD(te_p11_material_put(m, is_pub, types[i], t[i].ulValueLen, &room));
		t[i].pValue = room;
	}
	rv = op->p->f->C_GetAttributeValue(op->s, h, t, n);
	TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot read the key values of '%s'", op->ref));
out:
	return rc;
}

static te_err export_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	te_buf *out = arg;
	const CK_ATTRIBUTE_TYPE *tp = NULL, *tq = NULL;
	size_t np = 0, nq = 0;
	te_p11_material m;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long n;

	memset(&m, 0, sizeof(m));
	TE_GUARD(need_type(op));
	TE_ENSURE(op->k.exportable, TE_ERR_PERMISSION,
	          "key '%s' is not exportable (it was not created with the exportable "
	          "attribute; on the token it is sensitive or not extractable)",
	          op->ref);
	TE_GUARD(te_p11_material_init(&m, op->k.type, 8192));
	if (op->k.cls == CKO_SECRET_KEY) {
		static const CK_ATTRIBUTE_TYPE value[] = {CKA_VALUE};
		TE_GUARD(material_read(op, op->k.priv, value, 1, 0, &m));
		TE_GUARD(te_buf_append(out, m.priv[0].pValue, m.priv[0].ulValueLen));
		goto out;
	}
	te_p11_material_attrs(op->k.type, &tp, &np, &tq, &nq);
	TE_GUARD(material_read(op, op->k.priv, tp, np, 0, &m));
	if (nq > 0 && op->k.pub != CK_INVALID_HANDLE)
		TE_GUARD(material_read(op, op->k.pub, tq, nq, 1, &m));
	TE_GUARD(te_p11_material_to_pkey(&m, &pkey));
	bio = BIO_new(BIO_s_secmem());
	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL),
	              "encode private key");
	n = BIO_get_mem_data(bio, &data);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "encode private key: empty");
	TE_GUARD(te_buf_append(out, data, (size_t)n));
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	te_p11_material_free(&m);
	return rc;
}

static te_err pkcs11_key_export(void *st, const char *name, te_buf *out)
{
	return run(st, name, export_body, out);
}

/* --- sign and verify ----------------------------------------------------------------------------
 */

typedef struct sign_args {
	te_hsm_alg alg;
	uint32_t flags;
	const uint8_t *data;
	size_t data_len;
	uint8_t *sig;
	size_t *sig_len;
	const uint8_t *vsig; /* verify: the signature */
	size_t vsig_len;
} sign_args;

/* PKCS#11 wants a non-NULL pointer even for no bytes (SoftHSM2 refuses
 * NULL with CKR_ARGUMENTS_BAD). */
static CK_BYTE *bytes(const uint8_t *p)
{
	static CK_BYTE empty[1];

	return p != NULL ? (CK_BYTE *)p : empty;
}

static te_err sign_once(p11_op *op, CK_MECHANISM *m, const uint8_t *in, size_t in_len, uint8_t *out,
                        size_t *out_len)
{
	const CK_FUNCTION_LIST *f = op->p->f;
	CK_ULONG n = *out_len;
	CK_RV rv = f->C_SignInit(op->s, m, op->k.priv);

	if (rv != CKR_OK)
		return ck(op, rv, m->mechanism, "cannot sign with key '%s'", op->ref);
	rv = f->C_Sign(op->s, bytes(in), in_len, out, &n);
	if (rv != CKR_OK)
		return ck(op, rv, m->mechanism, "cannot sign with key '%s'", op->ref);
	*out_len = n;
	return TE_OK;
}

static te_err room(size_t *have, size_t need, const char *what)
{
	if (*have >= need)
		return TE_OK;
	*have = need;
	return te_err_set(TE_ERR_BUFFER_TOO_SMALL, "%s needs %zu bytes", what, need);
}

/* The digest alg signs: of data, or data itself when it is one already. */
static te_err digest_of(p11_op *op, const sign_args *a, te_hsm_alg alg, uint8_t *out,
                        size_t *out_len)
{
	te_err rc = TE_OK;
	const EVP_MD *md = alg == TE_HSM_ALG_ECDSA_SHA384 ? op->p->sha384 : op->p->sha256;
	size_t want = (size_t)EVP_MD_get_size(md);
	unsigned int n = 0;

	if (a->flags & TE_HSM_SIGN_PREHASHED) {
		TE_ENSURE(a->data_len == want, TE_ERR_INVALID_ARG,
		          "a %s digest is %zu bytes, not %zu", EVP_MD_get0_name(md), want,
		          a->data_len);
		memcpy(out, a->data, want);
		*out_len = want;
		goto out;
	}
	TE_GUARD_OSSL(EVP_Digest(bytes(a->data), a->data_len, out, &n, md, NULL), "digest");
	*out_len = n;
out:
	return rc;
}

static te_err sign_ecdsa(p11_op *op, const sign_args *a, te_hsm_alg alg)
{
	te_err rc = TE_OK;
	uint8_t digest[EVP_MAX_MD_SIZE], raw[2 * 66];
	size_t dlen = 0, rlen = sizeof(raw), flen = te_p11_ec_field_len(op->k.type);
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};

	TE_GUARD(room(a->sig_len, te_p11_ecdsa_der_max(op->k.type), "an ECDSA signature"));
	if (!te_p11_has(op->p, TE_P11_M_ECDSA) && !(a->flags & TE_HSM_SIGN_PREHASHED)) {
		/* Only hash-and-sign mechanisms: the token hashes. */
		m.mechanism = alg == TE_HSM_ALG_ECDSA_SHA384 ? CKM_ECDSA_SHA384 : CKM_ECDSA_SHA256;
		TE_GUARD(sign_once(op, &m, a->data, a->data_len, raw, &rlen));
		TE_GUARD(te_p11_ecdsa_raw_to_der(raw, rlen, a->sig, a->sig_len));
		goto out;
	}
	TE_GUARD(digest_of(op, a, alg, digest, &dlen));
	/* ECDSA uses the leftmost bits of the digest, as many as the order
	 * has: for P-256 and P-384 that is whole bytes. */
	if (dlen > flen)
		dlen = flen;
	TE_GUARD(sign_once(op, &m, digest, dlen, raw, &rlen));
	TE_ENSURE(rlen == 2 * flen, TE_ERR_CRYPTO,
	          "token '%s' returned a %zu-byte ECDSA signature for a %zu-byte curve",
	          op->p->label, rlen, flen);
	TE_GUARD(te_p11_ecdsa_raw_to_der(raw, rlen, a->sig, a->sig_len));
out:
	return rc;
}

static te_err sign_rsa(p11_op *op, const sign_args *a, te_hsm_alg alg)
{
	te_err rc = TE_OK;
	uint8_t digest[EVP_MAX_MD_SIZE], info[TE_P11_DIGESTINFO_SHA256_LEN];
	size_t dlen = 0, n = op->k.mod_len;
	int pss = alg == TE_HSM_ALG_RSA_PSS_SHA256;
	int prehashed = (a->flags & TE_HSM_SIGN_PREHASHED) != 0;
	CK_RSA_PKCS_PSS_PARAMS params = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_MECHANISM m = {0, NULL, 0};

	TE_GUARD(room(a->sig_len, op->k.mod_len, "an RSA signature"));
	if (pss) {
		m.pParameter = &params;
		m.ulParameterLen = sizeof(params);
	}
	if (!prehashed &&
	    te_p11_has(op->p, pss ? TE_P11_M_SHA256_RSA_PSS : TE_P11_M_SHA256_RSA_PKCS)) {
		m.mechanism = pss ? CKM_SHA256_RSA_PKCS_PSS : CKM_SHA256_RSA_PKCS;
		TE_GUARD(sign_once(op, &m, a->data, a->data_len, a->sig, &n));
		*a->sig_len = n;
		goto out;
	}
	TE_GUARD(digest_of(op, a, alg, digest, &dlen));
	if (pss) {
		m.mechanism = CKM_RSA_PKCS_PSS;
		TE_GUARD(sign_once(op, &m, digest, dlen, a->sig, &n));
	} else {
		m.mechanism = CKM_RSA_PKCS;
		te_p11_digestinfo_sha256(digest, info);
		TE_GUARD(sign_once(op, &m, info, sizeof(info), a->sig, &n));
	}
	*a->sig_len = n;
out:
	return rc;
}

static te_err sign_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	sign_args *a = arg;
	te_hsm_alg alg = a->alg;
	CK_MECHANISM m = {CKM_EDDSA, NULL, 0};
	size_t n;

	TE_GUARD(need_type(op));
	TE_GUARD(te_hsm_policy_usage(op->ref, op->k.usage, TE_HSM_USAGE_SIGN, "sign"));
	TE_GUARD(te_hsm_policy_sign_alg(op->ref, op->k.type, alg, &alg));
	switch (alg) {
	case TE_HSM_ALG_ECDSA_SHA256:
	case TE_HSM_ALG_ECDSA_SHA384:
		TE_GUARD(sign_ecdsa(op, a, alg));
		break;
	case TE_HSM_ALG_RSA_PSS_SHA256:
	case TE_HSM_ALG_RSA_PKCS1_SHA256:
		TE_GUARD(sign_rsa(op, a, alg));
		break;
	case TE_HSM_ALG_ED25519:
	case TE_HSM_ALG_HMAC_SHA256:
		TE_ENSURE(!(a->flags & TE_HSM_SIGN_PREHASHED), TE_ERR_UNSUPPORTED,
		          "%s has no precomputed-digest form", te_hsm_alg_name(alg));
		n = alg == TE_HSM_ALG_ED25519 ? 64 : 32;
		TE_GUARD(
		    room(a->sig_len, n,
		         alg == TE_HSM_ALG_ED25519 ? "an Ed25519 signature" : "an HMAC-SHA256"));
		if (alg == TE_HSM_ALG_HMAC_SHA256)
			m.mechanism = CKM_SHA256_HMAC;
		n = *a->sig_len;
		TE_GUARD(sign_once(op, &m, a->data, a->data_len, a->sig, &n));
		*a->sig_len = n;
		break;
	default:
		rc = te_err_set(TE_ERR_UNSUPPORTED, "algorithm %d", (int)alg);
		break;
	}
out:
	return rc;
}

static te_err pkcs11_sign(void *st, const char *name, te_hsm_alg alg, uint32_t flags,
                          const void *data, size_t data_len, uint8_t *sig, size_t *sig_len)
{
	sign_args a = {alg, flags, data, data_len, sig, sig_len, NULL, 0};

	return run(st, name, sign_body, &a);
}

static te_err pss_setup(EVP_PKEY_CTX *pctx, te_hsm_alg alg)
{
	te_err rc = TE_OK;

	if (alg == TE_HSM_ALG_RSA_PSS_SHA256) {
		TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING),
		              "PSS padding");
		TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST),
		              "PSS salt length");
	} else if (alg == TE_HSM_ALG_RSA_PKCS1_SHA256) {
		TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING),
		              "PKCS1 padding");
	}
out:
	return rc;
}

/* Public-key verification in OpenSSL with the key read off the token. */
static te_err verify_pkey(p11_op *op, const sign_args *a, te_hsm_alg alg)
{
	te_err rc = TE_OK;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *md = NULL;
	const EVP_MD *digest = alg == TE_HSM_ALG_ED25519        ? NULL
	                       : alg == TE_HSM_ALG_ECDSA_SHA384 ? op->p->sha384
	                                                        : op->p->sha256;
	int r;

	TE_GUARD(key_pub(op, &pkey));
	if (a->flags & TE_HSM_SIGN_PREHASHED) {
		TE_ENSURE(digest != NULL, TE_ERR_UNSUPPORTED, "%s has no precomputed-digest form",
		          te_hsm_alg_name(alg));
		TE_ENSURE(a->data_len == (size_t)EVP_MD_get_size(digest), TE_ERR_INVALID_ARG,
		          "a %s digest is %d bytes, not %zu", EVP_MD_get0_name(digest),
		          EVP_MD_get_size(digest), a->data_len);
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		TE_GUARD_PTR(pctx, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(EVP_PKEY_verify_init(pctx), "verify init");
		TE_GUARD(pss_setup(pctx, alg));
		TE_GUARD_OSSL(EVP_PKEY_CTX_set_signature_md(pctx, digest), "signature digest");
		r = EVP_PKEY_verify(pctx, bytes(a->vsig), a->vsig_len, a->data, a->data_len);
	} else {
		EVP_PKEY_CTX *inner = NULL;

		md = EVP_MD_CTX_new();
		TE_GUARD_PTR(md, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(EVP_DigestVerifyInit_ex(md, &inner,
		                                      digest ? EVP_MD_get0_name(digest) : NULL,
		                                      NULL, NULL, pkey, NULL),
		              "verify init");
		TE_GUARD(pss_setup(inner, alg));
		r = EVP_DigestVerify(md, bytes(a->vsig), a->vsig_len, bytes(a->data), a->data_len);
	}
	ERR_clear_error();
	TE_ENSURE(r == 1, TE_ERR_VERIFY_FAILED, "signature does not verify with key '%s'", op->ref);
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pkey);
	return rc;
}

static te_err verify_hmac(p11_op *op, const sign_args *a)
{
	const CK_FUNCTION_LIST *f = op->p->f;
	CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
	CK_RV rv;

	if (a->flags & TE_HSM_SIGN_PREHASHED)
		return te_err_set(TE_ERR_UNSUPPORTED, "HMAC has no precomputed-digest form");
	/* A wrong length cannot be a valid MAC; the token need not say so. */
	if (a->vsig_len != 32)
		return te_err_set(TE_ERR_VERIFY_FAILED, "HMAC does not verify with key '%s'",
		                  op->ref);
	rv = f->C_VerifyInit(op->s, &m, op->k.priv);
	if (rv != CKR_OK)
		return ck(op, rv, m.mechanism, "cannot verify with key '%s'", op->ref);
	rv = f->C_Verify(op->s, bytes(a->data), a->data_len, (CK_BYTE *)a->vsig, a->vsig_len);
	if (rv == CKR_SIGNATURE_INVALID || rv == CKR_SIGNATURE_LEN_RANGE)
		return te_err_set(TE_ERR_VERIFY_FAILED, "HMAC does not verify with key '%s'",
		                  op->ref);
	return ck(op, rv, m.mechanism, "cannot verify with key '%s'", op->ref);
}

static te_err verify_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	sign_args *a = arg;
	te_hsm_alg alg = a->alg;

	TE_GUARD(need_type(op));
	TE_GUARD(te_hsm_policy_usage(op->ref, op->k.usage, TE_HSM_USAGE_SIGN, "verify"));
	TE_GUARD(te_hsm_policy_sign_alg(op->ref, op->k.type, alg, &alg));
	if (alg == TE_HSM_ALG_HMAC_SHA256)
		TE_GUARD(verify_hmac(op, a));
	else
		TE_GUARD(verify_pkey(op, a, alg));
out:
	return rc;
}

static te_err pkcs11_verify(void *st, const char *name, te_hsm_alg alg, uint32_t flags,
                            const void *data, size_t data_len, const uint8_t *sig, size_t sig_len)
{
	sign_args a = {alg, flags, data, data_len, NULL, NULL, sig, sig_len};

	return run(st, name, verify_body, &a);
}

/* --- encrypt and decrypt ------------------------------------------------------------------------
 */

typedef struct crypt_args {
	int enc;
	te_hsm_alg alg;
	const uint8_t *iv, *aad, *in;
	size_t iv_len, aad_len, in_len;
	uint8_t *out;
	size_t *out_len;
} crypt_args;

/* Failures of a decryption that mean "this ciphertext is not valid". */
static int rv_is_bad_input(CK_RV rv)
{
	return rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
	       rv == CKR_DATA_INVALID || rv == CKR_DATA_LEN_RANGE || rv == CKR_GENERAL_ERROR ||
	       rv == CKR_FUNCTION_FAILED;
}

static te_err gcm_run(p11_op *op, const crypt_args *a)
{
	te_err rc = TE_OK;
	const CK_FUNCTION_LIST *f = op->p->f;
	CK_GCM_PARAMS gp;
	CK_MECHANISM m = {CKM_AES_GCM, &gp, sizeof(gp)};
	size_t body = a->enc ? a->in_len : a->in_len - TE_HSM_GCM_TAG_LEN;
	size_t need = a->enc ? a->in_len + TE_HSM_GCM_TAG_LEN : body;
	uint8_t *tmp = NULL;
	CK_ULONG n;
	CK_RV rv;

	TE_ENSURE(a->iv_len == TE_HSM_GCM_IV_LEN, TE_ERR_INVALID_ARG,
	          "AES-256-GCM needs a %d-byte IV, not %zu", TE_HSM_GCM_IV_LEN, a->iv_len);
	TE_GUARD(room(a->out_len, need, "the output"));
	memset(&gp, 0, sizeof(gp));
	gp.pIv = (CK_BYTE *)a->iv;
	gp.ulIvLen = a->iv_len;
	gp.ulIvBits = a->iv_len * 8;
	gp.pAAD = a->aad_len ? (CK_BYTE *)a->aad : NULL;
	gp.ulAADLen = a->aad_len;
	gp.ulTagBits = TE_HSM_GCM_TAG_LEN * 8;
	if (a->enc) {
		rv = f->C_EncryptInit(op->s, &m, op->k.priv);
		TE_GUARD(ck(op, rv, m.mechanism, "cannot encrypt with key '%s'", op->ref));
		n = need;
		rv = f->C_Encrypt(op->s, bytes(a->in), a->in_len, a->out, &n);
		TE_GUARD(ck(op, rv, m.mechanism, "cannot encrypt with key '%s'", op->ref));
		TE_ENSURE(n == need, TE_ERR_CRYPTO,
		          "token '%s' returned %lu bytes of AES-GCM output, not %zu", op->p->label,
		          n, need);
		*a->out_len = need;
		goto out;
	}
	/* Plaintext reaches the caller only once the tag has verified. */
	tmp = malloc(a->in_len);
	TE_GUARD_PTR(tmp, TE_ERR_NO_MEMORY, "out of memory");
	rv = f->C_DecryptInit(op->s, &m, op->k.priv);
	TE_GUARD(ck(op, rv, m.mechanism, "cannot decrypt with key '%s'", op->ref));
	n = a->in_len;
	rv = f->C_Decrypt(op->s, (CK_BYTE *)a->in, a->in_len, tmp, &n);
	TE_ENSURE(!rv_is_bad_input(rv), TE_ERR_DECRYPT_FAILED,
	          "decryption with key '%s' failed: wrong key, IV or AAD, or the ciphertext was "
	          "altered",
	          op->ref);
	TE_GUARD(ck(op, rv, m.mechanism, "cannot decrypt with key '%s'", op->ref));
	TE_ENSURE(n == body, TE_ERR_CRYPTO, "token '%s' returned %lu bytes of plaintext, not %zu",
	          op->p->label, n, body);
	if (body > 0)
		memcpy(a->out, tmp, body);
	*a->out_len = body;
out:
	if (tmp != NULL) {
		te_memzero(tmp, a->in_len);
		free(tmp);
	}
	return rc;
}

static te_err oaep_encrypt(p11_op *op, const crypt_args *a)
{
	te_err rc = TE_OK;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	size_t k = op->k.mod_len, n = k;

	TE_ENSURE(a->in_len <= k - 2 * 32 - 2, TE_ERR_INVALID_ARG,
	          "RSA-OAEP with key '%s' takes at most %zu bytes, not %zu", op->ref,
	          k - 2 * 32 - 2, a->in_len);
	TE_GUARD(room(a->out_len, k, "the output"));
	TE_GUARD(key_pub(op, &pkey));
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	TE_GUARD_PTR(pctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_PKEY_encrypt_init(pctx), "OAEP init");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING), "OAEP padding");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_oaep_md(pctx, op->p->sha256), "OAEP digest");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, op->p->sha256), "OAEP MGF1 digest");
	TE_GUARD_OSSL(EVP_PKEY_encrypt(pctx, a->out, &n, bytes(a->in), a->in_len), "RSA-OAEP");
	*a->out_len = n;
out:
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pkey);
	return rc;
}

/* C_Decrypt of a whole block into out (k bytes of room). */
static te_err decrypt_block(p11_op *op, CK_MECHANISM *m, const crypt_args *a, uint8_t *out,
                            size_t *n)
{
	const CK_FUNCTION_LIST *f = op->p->f;
	CK_ULONG len = op->k.mod_len;
	CK_RV rv = f->C_DecryptInit(op->s, m, op->k.priv);

	if (rv != CKR_OK)
		return ck(op, rv, m->mechanism, "cannot decrypt with key '%s'", op->ref);
	rv = f->C_Decrypt(op->s, (CK_BYTE *)a->in, a->in_len, out, &len);
	if (rv_is_bad_input(rv))
		return te_err_set(TE_ERR_DECRYPT_FAILED, "RSA-OAEP decryption with key '%s' failed",
		                  op->ref);
	if (rv != CKR_OK)
		return ck(op, rv, m->mechanism, "cannot decrypt with key '%s'", op->ref);
	*n = len;
	return TE_OK;
}

/*
 * RSA-OAEP with SHA-256 on the token when it has it.  SoftHSM2 2.6 does
 * OAEP with SHA-1 only and refuses these parameters, so then the token
 * does the raw RSA operation (CKM_RSA_X_509; the private key stays on the
 * token) and OpenSSL checks the OAEP padding, in constant time.  Which
 * one works is learned on first use.
 */
static te_err oaep_decrypt(p11_op *op, const crypt_args *a)
{
	te_err rc = TE_OK;
	CK_RSA_PKCS_OAEP_PARAMS params = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0};
	CK_MECHANISM m = {CKM_RSA_PKCS_OAEP, &params, sizeof(params)};
	CK_MECHANISM raw = {CKM_RSA_X_509, NULL, 0};
	size_t k = op->k.mod_len, n = 0;
	uint8_t *tmp = malloc(k ? k : 1);
	int native = __atomic_load_n(&op->p->oaep_native, __ATOMIC_RELAXED);

	TE_GUARD_PTR(tmp, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(a->in_len == k, TE_ERR_DECRYPT_FAILED,
	          "RSA-OAEP ciphertext for key '%s' must be %zu bytes, not %zu", op->ref, k,
	          a->in_len);
	if (native != 0 && te_p11_has(op->p, TE_P11_M_RSA_OAEP)) {
		rc = decrypt_block(op, &m, a, tmp, &n);
		if (rc == TE_OK ||
		    (op->rv != CKR_MECHANISM_PARAM_INVALID && op->rv != CKR_ARGUMENTS_BAD &&
		     op->rv != CKR_MECHANISM_INVALID)) {
			if (rc == TE_OK && native < 0)
				__atomic_store_n(&op->p->oaep_native, 1, __ATOMIC_RELAXED);
			TE_GUARD(rc);
			TE_GUARD(room(a->out_len, n, "the output"));
			memcpy(a->out, tmp, n);
			*a->out_len = n;
			goto out;
		}
		__atomic_store_n(&op->p->oaep_native, 0, __ATOMIC_RELAXED);
		op->rv = CKR_OK;
		rc = TE_OK;
		te_err_clear();
	}
	TE_GUARD(need_mech(op->p, TE_P11_M_RSA_X509, "RSA-OAEP-SHA256 decryption"));
	TE_GUARD(decrypt_block(op, &raw, a, tmp, &n));
	TE_GUARD(te_p11_oaep_decode(tmp, n, k, a->out, a->out_len));
out:
	if (tmp != NULL) {
		te_memzero(tmp, k ? k : 1);
		free(tmp);
	}
	return rc;
}

static te_err crypt_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	crypt_args *a = arg;
	te_hsm_alg alg = a->alg;

	TE_GUARD(need_type(op));
	TE_GUARD(te_hsm_policy_usage(op->ref, op->k.usage, TE_HSM_USAGE_ENCRYPT,
	                             a->enc ? "encrypt" : "decrypt"));
	TE_GUARD(te_hsm_policy_crypt_alg(op->ref, op->k.type, alg, &alg));
	if (alg == TE_HSM_ALG_AES_256_GCM) {
		TE_ENSURE(a->enc || a->in_len >= TE_HSM_GCM_TAG_LEN, TE_ERR_DECRYPT_FAILED,
		          "ciphertext of %zu bytes is shorter than the GCM tag", a->in_len);
		TE_GUARD(gcm_run(op, a));
		goto out;
	}
	TE_ENSURE(a->iv_len == 0 && a->aad_len == 0, TE_ERR_INVALID_ARG,
	          "RSA-OAEP takes no IV and no AAD");
	if (a->enc)
		TE_GUARD(oaep_encrypt(op, a));
	else
		TE_GUARD(oaep_decrypt(op, a));
out:
	return rc;
}

static te_err pkcs11_encrypt(void *st, const char *name, te_hsm_alg alg, const uint8_t *iv,
                             size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
                             size_t in_len, uint8_t *out, size_t *out_len)
{
	crypt_args a = {1, alg, iv, aad, in, iv_len, aad_len, in_len, out, out_len};

	return run(st, name, crypt_body, &a);
}

static te_err pkcs11_decrypt(void *st, const char *name, te_hsm_alg alg, const uint8_t *iv,
                             size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
                             size_t in_len, uint8_t *out, size_t *out_len)
{
	crypt_args a = {0, alg, iv, aad, in, iv_len, aad_len, in_len, out, out_len};

	return run(st, name, crypt_body, &a);
}

/* --- derive and random ------------------------------------------------------------------------ */

typedef struct derive_args {
	const uint8_t *data;
	size_t data_len;
	new_key nk;
} derive_args;

/*
 * HMAC-SHA256(base, data) as a new key object.  PKCS#11 has no standard
 * mechanism that turns an HMAC output into a key object, and SoftHSM2
 * offers no other KDF that computes HMAC (its C_DeriveKey mechanisms are
 * ECDH, DH and the *_ENCRYPT_DATA ones), so the token computes the HMAC
 * with C_Sign and the result is stored at once with C_CreateObject as a
 * sensitive, non-extractable key.  The 32 derived bytes are in this
 * process's memory for that instant (a wiped stack buffer); docs/pkcs11.md
 * says so.
 */
static te_err derive_body(p11_op *op, void *arg)
{
	te_err rc = TE_OK;
	derive_args *a = arg;
	CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
	CK_ATTRIBUTE t[24];
	CK_ULONG n = 0;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	uint8_t derived[32];
	size_t dlen = sizeof(derived);
	CK_RV rv;

	TE_GUARD(need_type(op));
	TE_GUARD(te_hsm_policy_usage(op->ref, op->k.usage, TE_HSM_USAGE_DERIVE, "derive keys"));
	TE_ENSURE(op->k.type == TE_HSM_KEY_HMAC_SHA256, TE_ERR_UNSUPPORTED,
	          "key '%s' (%s) cannot derive keys; only hmac-sha256 keys can", op->ref,
	          te_hsm_key_type_name(op->k.type));
	TE_GUARD(name_free_check(op, a->nk.name));
	TE_GUARD(sign_once(op, &m, a->data, a->data_len, derived, &dlen));
	TE_ENSURE(dlen == sizeof(derived), TE_ERR_CRYPTO, "token returned a %zu-byte HMAC", dlen);
	tmpl_secret_side(&a->nk, t, &n, 1);
	attr(t, &n, CKA_VALUE, derived, sizeof(derived));
	rv = op->p->f->C_CreateObject(op->s, t, n, &h);
	TE_GUARD(ck(op, rv, TE_P11_NO_MECH, "cannot store derived key '%s'", a->nk.name));
out:
	te_memzero(derived, sizeof(derived));
	return rc;
}

static te_err pkcs11_derive(void *st, const char *base, const void *data, size_t data_len,
                            const char *name, const te_hsm_key_attrs *attrs)
{
	te_p11 *p = st;
	te_err rc = TE_OK;
	derive_args a;
	uint32_t usage = TE_HSM_USAGE_SIGN;
	int exportable = 0;

	memset(&a, 0, sizeof(a));
	te_buf_init(&a.nk.params, 0);
	if (attrs != NULL) {
		usage = attrs->usage ? attrs->usage : TE_HSM_USAGE_SIGN;
		exportable = attrs->exportable;
	}
	a.data = data;
	a.data_len = data_len;
	TE_GUARD(new_key_init(p, &a.nk, name, TE_HSM_KEY_HMAC_SHA256, usage, exportable));
	pthread_mutex_lock(&create_mu);
	rc = run_excl(p, base, derive_body, &a);
	pthread_mutex_unlock(&create_mu);
out:
	new_key_free(&a.nk);
	return rc;
}

typedef struct random_args {
	uint8_t *buf;
	size_t n;
} random_args;

static te_err random_body(p11_op *op, void *arg)
{
	random_args *a = arg;

	for (size_t done = 0; done < a->n;) {
		size_t chunk = a->n - done > RANDOM_CHUNK ? RANDOM_CHUNK : a->n - done;
		CK_RV rv = op->p->f->C_GenerateRandom(op->s, a->buf + done, chunk);

		if (rv != CKR_OK)
			return ck(op, rv, TE_P11_NO_MECH, "token '%s' gave no random bytes",
			          op->p->label);
		done += chunk;
	}
	return TE_OK;
}

static te_err pkcs11_random(void *st, void *buf, size_t n)
{
	random_args a = {buf, n};

	if (n == 0)
		return TE_OK;
	return run(st, NULL, random_body, &a);
}

/* --- open and close --------------------------------------------------------------------------- */

static void pkcs11_close(void *st)
{
	te_p11 *p = st;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	cache_flush_locked(p);
	pthread_mutex_unlock(&p->mu);
	te_p11_token_close(p);
}

static te_err pkcs11_open(const te_hsm_setting *settings, size_t n, void **state)
{
	te_p11 *p = NULL;
	te_err rc = te_p11_token_open(settings, n, &p);

	if (rc == TE_OK)
		*state = p;
	return rc;
}

/* key_evp stays NULL: the core then makes an OpenSSL provider key whose
 * private operations come back to pkcs11_sign and pkcs11_decrypt. */
const te_hsm_backend_ops te_hsm_pkcs11_ops = {
    .version = TE_HSM_BACKEND_OPS_V1,
    .name = "pkcs11",
    .settings = pkcs11_settings,
    .uri_scheme = "pkcs11",
    .open = pkcs11_open,
    .close = pkcs11_close,
    .key_create = pkcs11_key_create,
    .key_import = pkcs11_key_import,
    .key_delete = pkcs11_key_delete,
    .key_info = pkcs11_key_info,
    .key_list = pkcs11_key_list,
    .key_public = pkcs11_key_public,
    .key_export = pkcs11_key_export,
    .sign = pkcs11_sign,
    .verify = pkcs11_verify,
    .encrypt = pkcs11_encrypt,
    .decrypt = pkcs11_decrypt,
    .derive = pkcs11_derive,
    .random = pkcs11_random,
    .key_evp = NULL,
};
