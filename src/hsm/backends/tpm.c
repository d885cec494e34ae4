/*
 * tpm.c - the TPM 2.0 HSM backend (tpm2-tss ESYS): keys made by and kept in
 * the TPM, stored as TPM-wrapped blobs in a directory, one file per key
 * (format in tpm_blob.h; design and limits in docs/tpm.md).
 *
 *   <state_dir>/NAME.tpmkey  one key: header + TPM2B_PUBLIC + TPM2B_PRIVATE
 *   <state_dir>/.lock        flock(2): held by writers
 *   <state_dir>/.generation  8-byte change counter, mapped shared by every
 *                            process, bumped after each change (as in soft.c)
 *
 * Writes go through te_file_write_at (temp file, fsync, rename, fsync of
 * the directory) under the lock, so a key is fully there or not there.
 *
 * Keys that have been used stay decoded in a bounded cache until the
 * generation changes; each is identified by the SHA-256 of its file.  The
 * first use of a file loads it into the TPM, which authenticates it; only
 * then is its header or public key trusted.  Loaded TPM objects are cached
 * by the shared connection (tpm_conn.h) under that digest, and it evicts
 * the least recently used one when the TPM runs out of slots.
 *
 * Private and secret key bytes never enter this process, except: imported
 * key material (it arrives here), AES-256-GCM keys and exportable HMAC
 * keys (sealed data objects, unsealed into te_secure_alloc memory for one
 * operation and wiped right after: the TPM has no GCM) and derived keys
 * (HMAC computed in the TPM, then given to TPM2_Create).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "common/te_file.h"
#include "hsm/backend.h"
#include "hsm/gcm.h"
#include "hsm/import.h"
#include "hsm/policy.h"
#include "hsm/backends/tpm_blob.h"
#include "hsm/backends/tpm_conn.h"
#include "hsm/backends/tpm_err.h"
#include "hsm/backends/tpm_tmpl.h"
#include "hsm/keyfile.h"

#define CACHE_BUCKETS 256u
#define CACHE_MAX 1024u
#define SECRET_LEN 32
#define HMAC_TPM_KEY_MAX 64 /* a keyed-hash key is at most one SHA-256 block */
#define SEALED_MAX 128	    /* MAX_SYM_DATA: the largest sealed data object */
#define FNAME_MAX (TE_HSM_NAME_MAX + sizeof(TE_TPM_KEY_SUFFIX))

/* One key file, decoded and authenticated by the TPM. */
struct tkey {
	struct tkey *next; /* hash chain */
	unsigned refs;	   /* atomic */
	uint8_t id[32];	   /* SHA-256 of the file */
	te_tpm_blob blob;
	EVP_PKEY *pub; /* asymmetric keys: from the TPM-authenticated public area */
	char name[TE_HSM_NAME_MAX + 1];
};

struct tpm {
	te_tpm_conn *conn;
	char *state_dir;
	int dir_fd;
	int lock_fd;
	uint32_t parent; /* persistent handle, 0 = SRK template */
	TPM2B_NAME parent_name;
	TPM2B_AUTH *owner_auth; /* te_secure_alloc; NULL when none was set */
	uint64_t *generation;	/* shared mapping of .generation */
	pthread_mutex_t write_mu; /* flock is per open file, not per thread */
	pthread_mutex_t cache_mu;
	uint64_t cache_gen;
	size_t cache_count;
	struct tkey *cache[CACHE_BUCKETS];
};

static const char *const tpm_settings[] = {"tcti",	 "state_dir",	    "parent",
					   "owner_auth", "owner_auth_file", NULL};

/* --- small helpers ---------------------------------------------------------- */

static te_err key_file_name(const char *name, char out[FNAME_MAX])
{
	int n = snprintf(out, FNAME_MAX, "%s" TE_TPM_KEY_SUFFIX, name);

	if (n < 0 || (size_t)n >= FNAME_MAX)
		return te_err_set(TE_ERR_BAD_NAME, "key name too long");
	return TE_OK;
}

static int is_asym(te_hsm_key_type type)
{
	return type == TE_HSM_KEY_EC_P256 || type == TE_HSM_KEY_EC_P384 ||
	       type == TE_HSM_KEY_RSA_2048 || type == TE_HSM_KEY_RSA_3072 ||
	       type == TE_HSM_KEY_RSA_4096;
}

static int lock_ex(struct tpm *t)
{
	pthread_mutex_lock(&t->write_mu);
	while (flock(t->lock_fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			pthread_mutex_unlock(&t->write_mu);
			return -1;
		}
	}
	return 0;
}

static void unlock_ex(struct tpm *t)
{
	flock(t->lock_fd, LOCK_UN);
	pthread_mutex_unlock(&t->write_mu);
}

static uint64_t generation_read(const struct tpm *t)
{
	return __atomic_load_n(t->generation, __ATOMIC_ACQUIRE);
}

static void generation_bump(struct tpm *t)
{
	__atomic_add_fetch(t->generation, 1, __ATOMIC_SEQ_CST);
}

static void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32); /* cannot happen; an all-zero id matches nothing stored */
}

/* Types the TPM cannot hold at all, with the reason. */
static te_err type_supported(te_hsm_key_type type)
{
	if (type == TE_HSM_KEY_ED25519)
		return te_err_set(TE_ERR_UNSUPPORTED,
				  "ed25519 keys are not available in the tpm backend: the TPM 2.0 "
				  "library specification has no EdDSA signing scheme (use ec-p256, "
				  "or the soft backend for ed25519)");
	return TE_OK;
}

static te_err no_export(te_hsm_key_type type)
{
	return te_err_set(TE_ERR_UNSUPPORTED,
			  "TPM keys cannot leave the TPM: an exportable %s key cannot be made in "
			  "the tpm backend, which keeps keys fixedTPM on purpose.  Make it without "
			  "the exportable attribute, or use the soft backend",
			  te_hsm_key_type_name(type));
}

/* --- the cache of decoded keys ------------------------------------------------ */

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

static void tkey_free(struct tkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pub);
	free(k);
}

static void key_put(struct tkey *k)
{
	if (k != NULL && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0)
		tkey_free(k);
}

static void cache_flush_locked(struct tpm *t)
{
	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		struct tkey *k = t->cache[i];
		while (k != NULL) {
			struct tkey *next = k->next;
			key_put(k);
			k = next;
		}
		t->cache[i] = NULL;
	}
	t->cache_count = 0;
}

/* The loaded TPM object of key k (connection locked). */
static te_err key_tr(struct tpm *t, const struct tkey *k, ESYS_TR *tr)
{
	te_err rc = TE_OK;
	ESYS_TR parent = ESYS_TR_NONE;
	char what[TE_HSM_NAME_MAX + 16];

	snprintf(what, sizeof(what), "key '%s'", k->name);
	TE_GUARD(te_tpm_conn_parent(t->conn, t->parent, t->owner_auth, &parent, NULL));
	TE_GUARD(te_tpm_conn_load(t->conn, parent, k->id, &k->blob.pub, &k->blob.priv, what, tr));
out:
	return rc;
}

/* Decodes a key file and has the TPM authenticate it by loading it. */
static te_err key_decode(struct tpm *t, const char *name, const te_buf *file, struct tkey **out)
{
	te_err rc = TE_OK;
	struct tkey *k = calloc(1, sizeof(*k));
	ESYS_TR tr;
	int same_parent;

	TE_ENSURE(k != NULL, TE_ERR_NO_MEMORY, "out of memory");
	k->refs = 1;
	memcpy(k->name, name, strlen(name) + 1);
	sha256(file->data, file->len, k->id);
	TE_GUARD(te_tpm_blob_decode(TE_TPM_BLOB_KEY, name, file->data, file->len, &k->blob));
	/* The parent is the key the TPM will unwrap the blob with, so it is
	 * compared by Name: a persistent copy of the template SRK serves keys
	 * made under the template and the reverse.  The TPM checks it too; this
	 * is for a message that says what happened. */
	same_parent = k->blob.parent_name.size == t->parent_name.size &&
		      memcmp(k->blob.parent_name.name, t->parent_name.name, t->parent_name.size) ==
			      0;
	TE_ENSURE(same_parent || k->blob.parent == t->parent, TE_ERR_CONFIG,
		  "key '%s' was made under parent 0x%08x but this context uses 0x%08x (0 is the "
		  "standard SRK): set 'parent' to what it was when the key was made",
		  name, k->blob.parent, t->parent);
	TE_ENSURE(same_parent, TE_ERR_TAMPERED,
		  "key '%s' was made under another storage key than this TPM's: the TPM was "
		  "cleared or replaced, the state directory comes from another device, or the "
		  "file was altered",
		  name);
	te_tpm_conn_lock(t->conn);
	rc = key_tr(t, k, &tr);
	te_tpm_conn_unlock(t->conn);
	TE_GUARD(rc);
	if (is_asym(k->blob.type)) {
		rc = te_tpm_pub_to_evp(&k->blob.pub.publicArea, &k->pub);
		if (rc != TE_OK)
			rc = te_err_set(rc, "key '%s': %s", name, te_err_detail());
		TE_GUARD(rc);
	}
	*out = k;
	k = NULL;
out:
	tkey_free(k);
	return rc;
}

/* Returns a referenced, authenticated key; release it with key_put.  A
 * cached key is used while the store's generation stays the same (one
 * memory read per call); files changed behind trustedge's back are seen
 * by the next process or after the next change made through trustedge. */
static te_err key_get(struct tpm *t, const char *name, struct tkey **out)
{
	te_err rc = TE_OK;
	char fname[FNAME_MAX];
	uint64_t gen = generation_read(t);
	uint32_t b = name_hash(name) % CACHE_BUCKETS;
	struct tkey *k = NULL, *dup;
	te_buf file;

	te_buf_init(&file, 0);
	pthread_mutex_lock(&t->cache_mu);
	if (gen != t->cache_gen) {
		cache_flush_locked(t);
		t->cache_gen = gen;
	}
	for (k = t->cache[b]; k != NULL; k = k->next) {
		if (strcmp(k->name, name) == 0) {
			__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	pthread_mutex_unlock(&t->cache_mu);
	if (k != NULL)
		goto done;

	/* The generation was read before the file: if the file changes while
	 * it is read, the next call sees a newer generation and reloads. */
	TE_GUARD(key_file_name(name, fname));
	rc = te_file_read_at(t->dir_fd, fname, name, TE_TPM_BLOB_MAX, &file);
	if (rc == TE_ERR_NOT_FOUND)
		rc = te_err_set(TE_ERR_NOT_FOUND, "key '%s' not found in '%s'", name, t->state_dir);
	else if (rc != TE_OK)
		rc = te_err_set(rc, "key '%s': %s", name, te_err_detail());
	TE_GUARD(rc);
	TE_GUARD(key_decode(t, name, &file, &k));
	pthread_mutex_lock(&t->cache_mu);
	if (t->cache_gen == gen) {
		for (dup = t->cache[b]; dup != NULL && strcmp(dup->name, name) != 0;)
			dup = dup->next;
		if (dup == NULL) {
			if (t->cache_count >= CACHE_MAX)
				cache_flush_locked(t);
			k->refs++;
			k->next = t->cache[b];
			t->cache[b] = k;
			t->cache_count++;
		}
	}
	pthread_mutex_unlock(&t->cache_mu);
done:
	*out = k;
out:
	te_buf_free(&file);
	return rc;
}

/* --- TPM operations ------------------------------------------------------------- */

/* Random bytes from the TPM (connection locked). */
static te_err tpm_random_locked(struct tpm *t, uint8_t *buf, size_t n)
{
	ESYS_CONTEXT *esys = te_tpm_conn_esys(t->conn);

	while (n > 0) {
		TPM2B_DIGEST *rnd = NULL;
		UINT16 want = n > sizeof(rnd->buffer) ? (UINT16)sizeof(rnd->buffer) : (UINT16)n;
		TSS2_RC r = Esys_GetRandom(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, want,
					   &rnd);

		if (r != TSS2_RC_SUCCESS)
			return te_tpm_err(r, te_tpm_conn_tcti(t->conn), "TPM2_GetRandom failed");
		if (rnd->size == 0 || rnd->size > want) {
			Esys_Free(rnd);
			return te_err_set(TE_ERR_CRYPTO, "TPM2_GetRandom returned %u bytes",
					  (unsigned)rnd->size);
		}
		memcpy(buf, rnd->buffer, rnd->size);
		buf += rnd->size;
		n -= rnd->size;
		te_memzero(rnd, sizeof(*rnd));
		Esys_Free(rnd);
	}
	return TE_OK;
}

/* Asks the TPM whether it supports a key type's parameters at all, so
 * that RSA-4096 (swtpm stops at 3072) or P-384 on a small TPM is refused
 * with a plain message. */
static te_err params_check(struct tpm *t, const TPM2B_PUBLIC *tmpl, te_hsm_key_type type)
{
	TPMT_PUBLIC_PARMS parms;
	TSS2_RC r;

	memset(&parms, 0, sizeof(parms));
	parms.type = tmpl->publicArea.type;
	parms.parameters = tmpl->publicArea.parameters;
	te_tpm_conn_lock(t->conn);
	r = Esys_TestParms(te_tpm_conn_esys(t->conn), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			   &parms);
	te_tpm_conn_unlock(t->conn);
	if (r == TSS2_RC_SUCCESS)
		return TE_OK;
	if ((r & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER && (r & TPM2_RC_FMT1))
		return te_err_set(TE_ERR_UNSUPPORTED,
				  "this TPM does not support %s keys (TPM2_TestParms: %s); pick "
				  "another key type",
				  te_hsm_key_type_name(type), Tss2_RC_Decode(r));
	return te_tpm_err(r, te_tpm_conn_tcti(t->conn), "TPM2_TestParms failed");
}

/* TPM2_Create under the parent; the new object is not loaded. */
static te_err tpm_create(struct tpm *t, const TPM2B_PUBLIC *tmpl,
			 const TPM2B_SENSITIVE_CREATE *sens, te_hsm_key_type type,
			 te_tpm_blob *b)
{
	te_err rc = TE_OK;
	ESYS_CONTEXT *esys = te_tpm_conn_esys(t->conn);
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcr;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	ESYS_TR parent = ESYS_TR_NONE;
	TSS2_RC r;

	memset(&outside, 0, sizeof(outside));
	memset(&pcr, 0, sizeof(pcr));
	te_tpm_conn_lock(t->conn);
	TE_GUARD(te_tpm_conn_parent(t->conn, t->parent, t->owner_auth, &parent, &b->parent_name));
	do
		r = Esys_Create(esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, sens,
				tmpl, &outside, &pcr, &priv, &pub, NULL, NULL, NULL);
	while (te_tpm_conn_retry(t->conn, r, &parent, 1));
	if (r != TSS2_RC_SUCCESS && te_tpm_rc_is_param(r)) {
		rc = te_err_set(TE_ERR_UNSUPPORTED, "the TPM cannot make this %s key (%s, 0x%x)",
				te_hsm_key_type_name(type), Tss2_RC_Decode(r), r);
		goto out;
	}
	if (r != TSS2_RC_SUCCESS) {
		rc = te_tpm_err(r, te_tpm_conn_tcti(t->conn), "TPM2_Create of a %s key failed",
				te_hsm_key_type_name(type));
		goto out;
	}
	b->parent = t->parent;
	b->pub = *pub;
	b->priv = *priv;
out:
	te_tpm_conn_unlock(t->conn);
	Esys_Free(pub);
	Esys_Free(priv);
	return rc;
}

/* Unseals a sealed key into te_secure_alloc memory; free it with
 * te_secure_free as soon as the operation is done. */
static te_err unseal(struct tpm *t, const struct tkey *k, uint8_t **out, size_t *len)
{
	te_err rc = TE_OK;
	TPM2B_SENSITIVE_DATA *data = NULL;
	ESYS_TR tr = ESYS_TR_NONE;
	uint8_t *p = NULL;
	TSS2_RC r;

	te_tpm_conn_lock(t->conn);
	TE_GUARD(key_tr(t, k, &tr));
	r = Esys_Unseal(te_tpm_conn_esys(t->conn), tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			ESYS_TR_NONE, &data);
	if (r != TSS2_RC_SUCCESS) {
		rc = te_tpm_err(r, te_tpm_conn_tcti(t->conn), "key '%s': TPM2_Unseal failed",
				k->name);
		goto out;
	}
	TE_ENSURE(data->size > 0 && data->size <= sizeof(data->buffer), TE_ERR_TAMPERED,
		  "key '%s': the sealed key is empty", k->name);
	TE_ENSURE(k->blob.type != TE_HSM_KEY_AES_256_GCM || data->size == SECRET_LEN,
		  TE_ERR_TAMPERED, "key '%s': the sealed AES key is %u bytes, not %d", k->name,
		  (unsigned)data->size, SECRET_LEN);
	p = te_secure_alloc(data->size);
	TE_ENSURE(p != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
	memcpy(p, data->buffer, data->size);
	*len = data->size;
	*out = p;
out:
	te_tpm_conn_unlock(t->conn);
	if (data != NULL) {
		te_memzero(data, sizeof(*data));
		Esys_Free(data);
	}
	return rc;
}

/* HMAC-SHA256 in the TPM: TPM2_HMAC for what fits one TPM buffer, an
 * HMAC sequence for longer data (connection locked). */
static te_err tpm_hmac_locked(struct tpm *t, const struct tkey *k, const uint8_t *data,
			      size_t len, uint8_t mac[32])
{
	te_err rc = TE_OK;
	ESYS_CONTEXT *esys = te_tpm_conn_esys(t->conn);
	const char *tcti = te_tpm_conn_tcti(t->conn);
	TPM2B_MAX_BUFFER buf;
	TPM2B_DIGEST *out = NULL;
	TPM2B_AUTH seq_auth;
	TPMT_TK_HASHCHECK *ticket = NULL;
	ESYS_TR key = ESYS_TR_NONE, seq = ESYS_TR_NONE;
	TSS2_RC r;

	memset(&seq_auth, 0, sizeof(seq_auth));
	TE_GUARD(key_tr(t, k, &key));
	if (len <= sizeof(buf.buffer)) {
		buf.size = (UINT16)len;
		if (len > 0)
			memcpy(buf.buffer, data, len);
		r = Esys_HMAC(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &buf,
			      TPM2_ALG_SHA256, &out);
		if (r != TSS2_RC_SUCCESS) {
			rc = te_tpm_err(r, tcti, "key '%s': TPM2_HMAC failed", k->name);
			goto out;
		}
	} else {
		/* The sequence takes an object slot of its own. */
		do
			r = Esys_HMAC_Start(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					    ESYS_TR_NONE, &seq_auth, TPM2_ALG_SHA256, &seq);
		while (te_tpm_conn_retry(t->conn, r, &key, 1));
		if (r != TSS2_RC_SUCCESS) {
			seq = ESYS_TR_NONE;
			rc = te_tpm_err(r, tcti, "key '%s': TPM2_HMAC_Start failed", k->name);
			goto out;
		}
		while (len > sizeof(buf.buffer)) {
			buf.size = (UINT16)sizeof(buf.buffer);
			memcpy(buf.buffer, data, sizeof(buf.buffer));
			r = Esys_SequenceUpdate(esys, seq, ESYS_TR_PASSWORD, ESYS_TR_NONE,
						ESYS_TR_NONE, &buf);
			if (r != TSS2_RC_SUCCESS) {
				rc = te_tpm_err(r, tcti, "key '%s': TPM2_SequenceUpdate failed",
						k->name);
				goto out;
			}
			data += sizeof(buf.buffer);
			len -= sizeof(buf.buffer);
		}
		buf.size = (UINT16)len;
		memcpy(buf.buffer, data, len);
		r = Esys_SequenceComplete(esys, seq, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
					  &buf, ESYS_TR_RH_NULL, &out, &ticket);
		if (r != TSS2_RC_SUCCESS) {
			rc = te_tpm_err(r, tcti, "key '%s': TPM2_SequenceComplete failed", k->name);
			goto out;
		}
		seq = ESYS_TR_NONE; /* completing a sequence flushes it */
	}
	TE_ENSURE(out->size == 32, TE_ERR_CRYPTO, "TPM HMAC returned %u bytes",
		  (unsigned)out->size);
	memcpy(mac, out->buffer, 32);
out:
	if (seq != ESYS_TR_NONE)
		(void)Esys_FlushContext(esys, seq);
	te_memzero(&buf, sizeof(buf));
	if (out != NULL) {
		te_memzero(out, sizeof(*out));
		Esys_Free(out);
	}
	Esys_Free(ticket);
	return rc;
}

/* HMAC-SHA256 with key k: in the TPM, or for a sealed (exportable) key
 * with OpenSSL on the unsealed bytes. */
static te_err hmac_compute(struct tpm *t, const struct tkey *k, const void *data, size_t len,
			   uint8_t mac[32])
{
	te_err rc = TE_OK;
	uint8_t *key = NULL;
	size_t klen = 0, n = 0;

	if (!te_tpm_blob_sealed(TE_TPM_BLOB_KEY, k->blob.type, k->blob.exportable)) {
		te_tpm_conn_lock(t->conn);
		rc = tpm_hmac_locked(t, k, data, len, mac);
		te_tpm_conn_unlock(t->conn);
		return rc;
	}
	TE_GUARD(unseal(t, k, &key, &klen));
	TE_ENSURE(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen, data, len, mac, 32,
			    &n) != NULL &&
			  n == 32,
		  TE_ERR_CRYPTO, "HMAC-SHA256 failed");
out:
	te_secure_free(key);
	return rc;
}

/* --- lifecycle ---------------------------------------------------------------- */

static te_err exists_check(struct tpm *t, const char *name)
{
	char fname[FNAME_MAX];
	struct stat st;
	te_err rc = key_file_name(name, fname);

	if (rc != TE_OK)
		return rc;
	if (fstatat(t->dir_fd, fname, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return te_err_set(TE_ERR_EXISTS, "key '%s' already exists in '%s'", name,
				  t->state_dir);
	return TE_OK;
}

/* Writes a new key file atomically; an existing key is never replaced. */
static te_err key_store(struct tpm *t, const char *name, const te_tpm_blob *b)
{
	te_err rc = TE_OK;
	char fname[FNAME_MAX];
	te_buf image;
	int locked = 0;

	te_buf_init(&image, 0);
	TE_GUARD(key_file_name(name, fname));
	TE_GUARD(te_tpm_blob_encode(TE_TPM_BLOB_KEY, b, &image));
	TE_ENSURE(lock_ex(t) == 0, TE_ERR_IO, "cannot lock '%s': %s", t->state_dir,
		  strerror(errno));
	locked = 1;
	TE_GUARD(exists_check(t, name));
	TE_GUARD(te_file_write_at(t->dir_fd, fname, image.data, image.len, 0600));
	generation_bump(t);
out:
	if (locked)
		unlock_ex(t);
	te_buf_free(&image);
	return rc;
}

/* Makes a key from a template and, for keys whose secret the caller
 * supplies, the secret; stores it under name. */
static te_err key_make(struct tpm *t, const char *name, te_hsm_key_type type, uint32_t usage,
		       int exportable, const uint8_t *secret, size_t secret_len)
{
	te_err rc = TE_OK;
	TPM2B_PUBLIC tmpl;
	TPM2B_SENSITIVE_CREATE sens;
	te_tpm_blob b;

	memset(&sens, 0, sizeof(sens));
	memset(&b, 0, sizeof(b));
	TE_GUARD(exists_check(t, name));
	TE_GUARD(te_tpm_blob_template(TE_TPM_BLOB_KEY, name, type, usage, exportable,
				      secret == NULL, &tmpl));
	if (is_asym(type))
		TE_GUARD(params_check(t, &tmpl, type));
	if (secret != NULL) {
		TE_ENSURE(secret_len <= sizeof(sens.sensitive.data.buffer), TE_ERR_INTERNAL,
			  "secret too long");
		memcpy(sens.sensitive.data.buffer, secret, secret_len);
		sens.sensitive.data.size = (UINT16)secret_len;
	}
	TE_GUARD(tpm_create(t, &tmpl, &sens, type, &b));
	b.type = type;
	b.usage = usage;
	b.exportable = exportable;
	TE_GUARD(key_store(t, name, &b));
out:
	te_memzero(&sens, sizeof(sens));
	return rc;
}

static te_err tpm_key_create(void *st, const char *name, const te_hsm_key_attrs *attrs)
{
	struct tpm *t = st;
	te_err rc = TE_OK;
	te_hsm_key_type type = attrs->type;
	uint32_t usage = 0;
	uint8_t *secret = NULL;
	int exportable = attrs->exportable != 0;

	TE_GUARD(type_supported(type));
	TE_GUARD(te_hsm_policy_new_usage(type, attrs->usage, &usage));
	if (exportable && !te_hsm_key_type_is_secret(type))
		TE_GUARD(no_export(type));
	if (!te_tpm_blob_sealed(TE_TPM_BLOB_KEY, type, exportable)) {
		/* The TPM makes the key; its secret never exists outside. */
		TE_GUARD(key_make(t, name, type, usage, exportable, NULL, 0));
		goto out;
	}
	/* A sealed data object holds the bytes it is given: they come from
	 * the TPM's generator and pass through secure memory only. */
	secret = te_secure_alloc(SECRET_LEN);
	TE_ENSURE(secret != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
	te_tpm_conn_lock(t->conn);
	rc = tpm_random_locked(t, secret, SECRET_LEN);
	te_tpm_conn_unlock(t->conn);
	TE_GUARD(rc);
	TE_GUARD(key_make(t, name, type, usage, exportable, secret, SECRET_LEN));
out:
	te_secure_free(secret);
	return rc;
}

/* A BIGNUM parameter of pkey, big-endian, left-padded to exactly n bytes. */
static te_err bn_param(EVP_PKEY *pkey, const char *param, uint8_t *out, size_t n)
{
	BIGNUM *bn = NULL;
	int ok;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		return te_err_set_ossl(TE_ERR_MALFORMED, "key parameter");
	ok = BN_num_bytes(bn) <= (int)n && BN_bn2binpad(bn, out, (int)n) == (int)n;
	BN_clear_free(bn);
	if (!ok)
		return te_err_set(TE_ERR_MALFORMED, "key parameter %s does not fit", param);
	return TE_OK;
}

/* Public area and sensitive part of an OpenSSL private key, for
 * TPM2_Import.  sens holds private key bytes: the caller wipes it. */
static te_err import_parts(EVP_PKEY *pkey, te_hsm_key_type type, TPM2B_PUBLIC *pub,
			   TPM2B_SENSITIVE *sens)
{
	te_err rc = TE_OK;
	TPMT_PUBLIC *p = &pub->publicArea;
	TPMT_SENSITIVE *s = &sens->sensitiveArea;
	BIGNUM *e = NULL;

	s->sensitiveType = p->type;
	/* The obfuscation value of a non-storage key: random, digest-sized. */
	s->seedValue.size = 32;
	TE_GUARD_OSSL(RAND_bytes(s->seedValue.buffer, 32), "random seed");
	if (p->type == TPM2_ALG_RSA) {
		size_t bits = p->parameters.rsaDetail.keyBits;

		TE_GUARD(bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, p->unique.rsa.buffer, bits / 8));
		p->unique.rsa.size = (UINT16)(bits / 8);
		/* TPM2B_PRIVATE_KEY_RSA carries one prime; the TPM derives the rest. */
		TE_GUARD(bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, s->sensitive.rsa.buffer,
				  bits / 16));
		s->sensitive.rsa.size = (UINT16)(bits / 16);
		TE_GUARD_OSSL(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e), "RSA exponent");
		TE_ENSURE(BN_num_bits(e) <= 32 && BN_is_odd(e), TE_ERR_UNSUPPORTED,
			  "an RSA public exponent of %d bits does not fit in a TPM key",
			  BN_num_bits(e));
		p->parameters.rsaDetail.exponent =
			BN_get_word(e) == 65537 ? 0 : (UINT32)BN_get_word(e);
		goto out;
	}
	{
		size_t flen = type == TE_HSM_KEY_EC_P256 ? 32 : 48;

		TE_GUARD(bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, p->unique.ecc.x.buffer, flen));
		TE_GUARD(bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, p->unique.ecc.y.buffer, flen));
		p->unique.ecc.x.size = p->unique.ecc.y.size = (UINT16)flen;
		TE_GUARD(bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, s->sensitive.ecc.buffer, flen));
		s->sensitive.ecc.size = (UINT16)flen;
	}
out:
	BN_free(e);
	return rc;
}

/*
 * Asymmetric import with TPM2_Import and no wrapper: the sensitive part
 * is handed over in the clear (it is in this process already) as a
 * duplicate without outer or inner wrapper, which TPM2_Import accepts for
 * objects whose encryptedDuplication is clear.  The TPM wraps it under
 * the parent.  Imported objects must have fixedTPM and fixedParent clear;
 * they still cannot be duplicated, since duplication needs a policy that
 * meets authPolicy, and ours is a digest no policy reaches.
 */
static te_err import_asym(struct tpm *t, const char *name, te_hsm_key_type type,
			  uint32_t usage, EVP_PKEY *pkey)
{
	te_err rc = TE_OK;
	TPM2B_PUBLIC pub;
	TPM2B_SENSITIVE sens;
	TPM2B_PRIVATE dup, *priv = NULL;
	TPM2B_DATA enc_key;
	TPM2B_ENCRYPTED_SECRET seed;
	TPMT_SYM_DEF_OBJECT sym;
	ESYS_TR parent = ESYS_TR_NONE;
	te_tpm_blob b;
	size_t off = 0;
	int locked = 0;
	TSS2_RC r;

	memset(&sens, 0, sizeof(sens));
	memset(&dup, 0, sizeof(dup));
	memset(&enc_key, 0, sizeof(enc_key));
	memset(&seed, 0, sizeof(seed));
	memset(&sym, 0, sizeof(sym));
	memset(&b, 0, sizeof(b));
	sym.algorithm = TPM2_ALG_NULL;
	TE_GUARD(exists_check(t, name));
	TE_GUARD(te_tpm_blob_template(TE_TPM_BLOB_KEY, name, type, usage, 0, 0, &pub));
	pub.publicArea.objectAttributes &= ~(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT);
	TE_GUARD(params_check(t, &pub, type));
	TE_GUARD(import_parts(pkey, type, &pub, &sens));
	TE_ENSURE(Tss2_MU_TPM2B_SENSITIVE_Marshal(&sens, dup.buffer, sizeof(dup.buffer), &off) ==
			  TSS2_RC_SUCCESS,
		  TE_ERR_INTERNAL, "cannot marshal the key for TPM2_Import");
	dup.size = (UINT16)off;

	te_tpm_conn_lock(t->conn);
	locked = 1;
	TE_GUARD(te_tpm_conn_parent(t->conn, t->parent, t->owner_auth, &parent, &b.parent_name));
	r = Esys_Import(te_tpm_conn_esys(t->conn), parent, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			ESYS_TR_NONE, &enc_key, &pub, &dup, &seed, &sym, &priv);
	if (r != TSS2_RC_SUCCESS && te_tpm_rc_is_param(r)) {
		rc = te_err_set(TE_ERR_UNSUPPORTED, "the TPM refused to import this %s key (%s)",
				te_hsm_key_type_name(type), Tss2_RC_Decode(r));
		goto out;
	}
	if (r != TSS2_RC_SUCCESS) {
		rc = te_tpm_err(r, te_tpm_conn_tcti(t->conn), "TPM2_Import failed");
		goto out;
	}
	te_tpm_conn_unlock(t->conn);
	locked = 0;
	b.type = type;
	b.usage = usage;
	b.parent = t->parent;
	b.pub = pub;
	b.priv = *priv;
	TE_GUARD(key_store(t, name, &b));
out:
	if (locked)
		te_tpm_conn_unlock(t->conn);
	te_memzero(&sens, sizeof(sens));
	te_memzero(&dup, sizeof(dup));
	Esys_Free(priv);
	return rc;
}

static te_err import_secret(struct tpm *t, const char *name, const te_hsm_key_attrs *attrs,
			    const uint8_t *material, size_t len)
{
	te_err rc = TE_OK;
	te_hsm_key_type type = attrs->type;
	int exportable = attrs->exportable != 0;
	uint32_t usage = 0;
	uint8_t hashed[32];

	TE_GUARD(te_hsm_policy_new_usage(type, attrs->usage, &usage));
	TE_GUARD(te_hsm_import_secret_check(type, len));
	if (type == TE_HSM_KEY_AES_256_GCM) {
		TE_GUARD(key_make(t, name, type, usage, exportable, material, len));
		goto out;
	}
	if (exportable) {
		/* Exported as given, so kept as given: a sealed object. */
		TE_ENSURE(len <= SEALED_MAX, TE_ERR_UNSUPPORTED,
			  "an exportable hmac-sha256 key in the TPM holds at most %d bytes, not "
			  "%zu (make it non-exportable, or shorter)",
			  SEALED_MAX, len);
		TE_GUARD(key_make(t, name, type, usage, 1, material, len));
		goto out;
	}
	if (len > HMAC_TPM_KEY_MAX) {
		/* HMAC replaces a key longer than the hash block by its hash
		 * (RFC 2104); the TPM takes keys up to one block. */
		sha256(material, len, hashed);
		material = hashed;
		len = sizeof(hashed);
	}
	TE_GUARD(key_make(t, name, type, usage, 0, material, len));
out:
	te_memzero(hashed, sizeof(hashed));
	return rc;
}

static te_err tpm_key_import(void *st, const char *name, const te_hsm_key_attrs *attrs,
			     const void *material, size_t len)
{
	struct tpm *t = st;
	te_err rc = TE_OK;
	te_hsm_key_type type = attrs->type;
	te_hsm_key_type found = TE_HSM_KEY_NONE;
	uint32_t usage = 0;
	EVP_PKEY *pkey = NULL;

	if (te_hsm_key_type_is_secret(type)) {
		TE_GUARD(import_secret(t, name, attrs, material, len));
		goto out;
	}
	TE_GUARD(type_supported(type));
	TE_GUARD(te_hsm_import_pkey(material, len, type, &pkey, &found));
	TE_GUARD(type_supported(found));
	TE_GUARD(te_hsm_policy_new_usage(found, attrs->usage, &usage));
	if (attrs->exportable)
		TE_GUARD(no_export(found));
	TE_GUARD(import_asym(t, name, found, usage, pkey));
out:
	EVP_PKEY_free(pkey);
	return rc;
}

static te_err tpm_key_delete(void *st, const char *name)
{
	struct tpm *t = st;
	te_err rc = TE_OK;
	char fname[FNAME_MAX];
	uint8_t id[32];
	int locked = 0, have_id = 0;
	te_buf file;

	te_buf_init(&file, 0);
	TE_GUARD(key_file_name(name, fname));
	TE_ENSURE(lock_ex(t) == 0, TE_ERR_IO, "cannot lock '%s': %s", t->state_dir,
		  strerror(errno));
	locked = 1;
	/* The digest names the loaded object to flush; a damaged file is
	 * deleted all the same. */
	if (te_file_read_at(t->dir_fd, fname, name, TE_TPM_BLOB_MAX, &file) == TE_OK) {
		sha256(file.data, file.len, id);
		have_id = 1;
	}
	rc = te_file_remove_at(t->dir_fd, fname);
	if (rc == TE_ERR_NOT_FOUND)
		rc = te_err_set(TE_ERR_NOT_FOUND, "key '%s' not found in '%s'", name, t->state_dir);
	TE_GUARD(rc);
	generation_bump(t);
	if (have_id) {
		te_tpm_conn_lock(t->conn);
		te_tpm_conn_forget(t->conn, id);
		te_tpm_conn_unlock(t->conn);
	}
out:
	if (locked)
		unlock_ex(t);
	te_buf_free(&file);
	return rc;
}

static void info_fill(te_hsm_key_info *info, const char *name, const te_tpm_blob *b)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->name, name, strlen(name) + 1);
	info->type = b->type;
	info->usage = b->usage;
	info->exportable = b->exportable;
}

static te_err tpm_key_info(void *st, const char *name, te_hsm_key_info *info)
{
	struct tkey *k = NULL;
	te_err rc = key_get(st, name, &k);

	if (rc != TE_OK)
		return rc;
	info_fill(info, name, &k->blob);
	key_put(k);
	return TE_OK;
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const te_hsm_key_info *)a)->name, ((const te_hsm_key_info *)b)->name);
}

/* A listing marks damaged keys; a TPM that does not answer fails it. */
static int list_status(te_err rc)
{
	return rc == TE_ERR_TAMPERED || rc == TE_ERR_MALFORMED || rc == TE_ERR_TRUNCATED ||
	       rc == TE_ERR_CONFIG || rc == TE_ERR_UNSUPPORTED;
}

static te_err tpm_key_list(void *st, te_hsm_key_info **out, size_t *count)
{
	struct tpm *t = st;
	te_err rc = TE_OK;
	te_hsm_key_info *list = NULL;
	size_t n = 0, cap = 0, slen = strlen(TE_TPM_KEY_SUFFIX);
	int dfd;
	DIR *dir = NULL;
	struct dirent *de;

	dfd = openat(t->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	TE_ENSURE(dfd >= 0, TE_ERR_IO, "cannot open '%s': %s", t->state_dir, strerror(errno));
	dir = fdopendir(dfd);
	if (dir == NULL)
		close(dfd);
	TE_ENSURE(dir != NULL, TE_ERR_IO, "cannot read '%s': %s", t->state_dir, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		char name[TE_HSM_NAME_MAX + 1];
		struct tkey *k = NULL;

		if (de->d_name[0] == '.' || len <= slen || len - slen > TE_HSM_NAME_MAX ||
		    strcmp(de->d_name + len - slen, TE_TPM_KEY_SUFFIX) != 0)
			continue;
		memcpy(name, de->d_name, len - slen);
		name[len - slen] = '\0';
		if (te_hsm_name_check(name) != TE_OK)
			continue;
		rc = key_get(t, name, &k);
		if (rc == TE_ERR_NOT_FOUND) /* deleted while we listed */
			continue;
		if (rc != TE_OK && !list_status(rc))
			goto out;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			te_hsm_key_info *nl = realloc(list, ncap * sizeof(*list));
			if (nl == NULL) {
				key_put(k);
				TE_ENSURE(0, TE_ERR_NO_MEMORY, "out of memory");
			}
			list = nl;
			cap = ncap;
		}
		if (rc == TE_OK) {
			info_fill(&list[n++], name, &k->blob);
			key_put(k);
			continue;
		}
		memset(&list[n], 0, sizeof(list[n]));
		memcpy(list[n].name, name, strlen(name) + 1);
		list[n++].status = rc;
	}
	rc = TE_OK;
	if (n > 1)
		qsort(list, n, sizeof(*list), info_cmp);
	*out = list;
	*count = n;
	list = NULL;
out:
	free(list);
	if (dir != NULL)
		closedir(dir);
	return rc;
}

static te_err need_asym(const struct tkey *k)
{
	if (k->pub == NULL)
		return te_err_set(TE_ERR_UNSUPPORTED,
				  "key '%s' is a %s secret key and has no public part", k->name,
				  te_hsm_key_type_name(k->blob.type));
	return TE_OK;
}

static te_err tpm_key_public(void *st, const char *name, te_hsm_pub_format fmt, te_buf *out)
{
	te_err rc = TE_OK;
	struct tkey *k = NULL;

	TE_GUARD(key_get(st, name, &k));
	TE_GUARD(need_asym(k));
	TE_GUARD(te_tpm_pub_encode(k->pub, fmt, out));
out:
	key_put(k);
	return rc;
}

static te_err tpm_key_export(void *st, const char *name, te_buf *out)
{
	struct tpm *t = st;
	te_err rc = TE_OK;
	struct tkey *k = NULL;
	uint8_t *secret = NULL;
	size_t len = 0;

	TE_GUARD(key_get(t, name, &k));
	TE_ENSURE(k->blob.exportable, TE_ERR_PERMISSION,
		  "key '%s' is not exportable (it was not created with the exportable "
		  "attribute; TPM keys cannot leave the TPM)",
		  name);
	TE_ENSURE(te_tpm_blob_sealed(TE_TPM_BLOB_KEY, k->blob.type, 1), TE_ERR_UNSUPPORTED,
		  "TPM keys cannot leave the TPM (key '%s')", name);
	TE_GUARD(unseal(t, k, &secret, &len));
	TE_GUARD(te_buf_append(out, secret, len));
out:
	te_secure_free(secret);
	key_put(k);
	return rc;
}

/* --- sign and verify -------------------------------------------------------------- */

/* The digest to sign: computed here (the TPM's own hashing would cost a
 * round trip per 1 KiB), or given with TE_HSM_SIGN_PREHASHED. */
static te_err digest_of(te_hsm_alg alg, uint32_t flags, const void *data, size_t len,
			TPM2B_DIGEST *out)
{
	const EVP_MD *md = alg == TE_HSM_ALG_ECDSA_SHA384 ? EVP_sha384() : EVP_sha256();
	size_t dlen = (size_t)EVP_MD_get_size(md);
	unsigned int n = 0;

	memset(out, 0, sizeof(*out));
	if (flags & TE_HSM_SIGN_PREHASHED) {
		if (len != dlen)
			return te_err_set(TE_ERR_INVALID_ARG, "a %s digest is %zu bytes, not %zu",
					  EVP_MD_get0_name(md), dlen, len);
		memcpy(out->buffer, data, len);
	} else if (EVP_Digest(data, len, out->buffer, &n, md, NULL) != 1 || n != dlen) {
		return te_err_set_ossl(TE_ERR_CRYPTO, "digest");
	}
	out->size = (UINT16)dlen;
	return TE_OK;
}

/* X9.62 DER of a TPM ECDSA signature. */
static te_err ecdsa_der(const TPMS_SIGNATURE_ECC *e, uint8_t *sig, size_t *sig_len)
{
	te_err rc = TE_OK;
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	BIGNUM *sv = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
	unsigned char *p = sig;
	int n;

	TE_ENSURE(s != NULL && r != NULL && sv != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(ECDSA_SIG_set0(s, r, sv), "ECDSA signature");
	r = sv = NULL;
	n = i2d_ECDSA_SIG(s, NULL);
	TE_ENSURE(n > 0 && (size_t)n <= *sig_len, TE_ERR_CRYPTO, "ECDSA signature encoding");
	TE_ENSURE(i2d_ECDSA_SIG(s, &p) == n, TE_ERR_CRYPTO, "ECDSA signature encoding");
	*sig_len = (size_t)n;
out:
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	return rc;
}

/* TPM2_Sign of a digest with an unrestricted key: a NULL ticket does. */
static te_err tpm_sign_digest(struct tpm *t, const struct tkey *k, te_hsm_alg alg,
			      const TPM2B_DIGEST *dg, uint8_t *sig, size_t *sig_len)
{
	te_err rc = TE_OK;
	TPMT_SIG_SCHEME scheme;
	TPMT_TK_HASHCHECK ticket;
	TPMT_SIGNATURE *s = NULL;
	ESYS_TR tr = ESYS_TR_NONE;
	TSS2_RC r;

	memset(&scheme, 0, sizeof(scheme));
	memset(&ticket, 0, sizeof(ticket));
	ticket.tag = TPM2_ST_HASHCHECK;
	ticket.hierarchy = TPM2_RH_NULL;
	switch (alg) {
	case TE_HSM_ALG_ECDSA_SHA256:
	case TE_HSM_ALG_ECDSA_SHA384:
		scheme.scheme = TPM2_ALG_ECDSA;
		scheme.details.ecdsa.hashAlg =
			alg == TE_HSM_ALG_ECDSA_SHA384 ? TPM2_ALG_SHA384 : TPM2_ALG_SHA256;
		break;
	case TE_HSM_ALG_RSA_PSS_SHA256:
		/* libtpms uses a salt as long as the digest, as
		 * TE_HSM_ALG_RSA_PSS_SHA256 says (docs/tpm.md). */
		scheme.scheme = TPM2_ALG_RSAPSS;
		scheme.details.rsapss.hashAlg = TPM2_ALG_SHA256;
		break;
	default:
		scheme.scheme = TPM2_ALG_RSASSA;
		scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
		break;
	}
	te_tpm_conn_lock(t->conn);
	rc = key_tr(t, k, &tr);
	if (rc == TE_OK) {
		r = Esys_Sign(te_tpm_conn_esys(t->conn), tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			      ESYS_TR_NONE, dg, &scheme, &ticket, &s);
		if (r != TSS2_RC_SUCCESS)
			rc = te_tpm_err(r, te_tpm_conn_tcti(t->conn), "key '%s': TPM2_Sign failed",
					k->name);
	}
	te_tpm_conn_unlock(t->conn);
	TE_GUARD(rc);
	if (scheme.scheme == TPM2_ALG_ECDSA) {
		TE_GUARD(ecdsa_der(&s->signature.ecdsa, sig, sig_len));
		goto out;
	}
	TE_ENSURE(s->signature.rsassa.sig.size <= *sig_len, TE_ERR_CRYPTO,
		  "RSA signature of unexpected size");
	memcpy(sig, s->signature.rsassa.sig.buffer, s->signature.rsassa.sig.size);
	*sig_len = s->signature.rsassa.sig.size;
out:
	Esys_Free(s);
	return rc;
}

static te_err pss_setup(EVP_PKEY_CTX *pctx, te_hsm_alg alg)
{
	te_err rc = TE_OK;

	if (alg == TE_HSM_ALG_RSA_PSS_SHA256) {
		TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), "PSS padding");
		TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST),
			      "PSS salt length");
	} else if (alg == TE_HSM_ALG_RSA_PKCS1_SHA256) {
		TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), "PKCS1 padding");
	}
out:
	return rc;
}

/* Verification needs only the public key, which the TPM authenticated
 * when the key was loaded: done by OpenSSL. */
static te_err pkey_verify(const struct tkey *k, te_hsm_alg alg, const TPM2B_DIGEST *dg,
			  const uint8_t *sig, size_t sig_len)
{
	te_err rc = TE_OK;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pub, NULL);
	const EVP_MD *md = alg == TE_HSM_ALG_ECDSA_SHA384 ? EVP_sha384() : EVP_sha256();

	TE_GUARD_PTR(pctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_PKEY_verify_init(pctx), "verify init");
	TE_GUARD(pss_setup(pctx, alg));
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_signature_md(pctx, md), "signature digest");
	if (EVP_PKEY_verify(pctx, sig, sig_len, dg->buffer, dg->size) != 1) {
		ERR_clear_error();
		rc = te_err_set(TE_ERR_VERIFY_FAILED, "signature does not verify with key '%s'",
				k->name);
	}
out:
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

static te_err tpm_sign(void *st, const char *name, te_hsm_alg alg, uint32_t flags,
		       const void *data, size_t data_len, uint8_t *sig, size_t *sig_len)
{
	struct tpm *t = st;
	te_err rc = TE_OK;
	struct tkey *k = NULL;
	TPM2B_DIGEST dg;
	size_t need;

	TE_GUARD(key_get(t, name, &k));
	TE_GUARD(te_hsm_policy_usage(k->name, k->blob.usage, TE_HSM_USAGE_SIGN, "sign"));
	TE_GUARD(te_hsm_policy_sign_alg(k->name, k->blob.type, alg, &alg));
	if (alg == TE_HSM_ALG_HMAC_SHA256) {
		TE_ENSURE(!(flags & TE_HSM_SIGN_PREHASHED), TE_ERR_UNSUPPORTED,
			  "HMAC has no precomputed-digest form");
		if (*sig_len < 32) {
			*sig_len = 32;
			TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "an HMAC-SHA256 needs 32 bytes");
		}
		TE_GUARD(hmac_compute(t, k, data, data_len, sig));
		*sig_len = 32;
		goto out;
	}
	/* ECDSA DER is at most EVP_PKEY_get_size; the caller learns that. */
	need = (size_t)EVP_PKEY_get_size(k->pub);
	if (*sig_len < need) {
		*sig_len = need;
		TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "signature needs %zu bytes", need);
	}
	TE_GUARD(digest_of(alg, flags, data, data_len, &dg));
	TE_GUARD(tpm_sign_digest(t, k, alg, &dg, sig, sig_len));
out:
	key_put(k);
	return rc;
}

static te_err tpm_verify(void *st, const char *name, te_hsm_alg alg, uint32_t flags,
			 const void *data, size_t data_len, const uint8_t *sig, size_t sig_len)
{
	struct tpm *t = st;
	te_err rc = TE_OK;
	struct tkey *k = NULL;
	TPM2B_DIGEST dg;
	uint8_t mac[32];

	TE_GUARD(key_get(t, name, &k));
	TE_GUARD(te_hsm_policy_usage(k->name, k->blob.usage, TE_HSM_USAGE_SIGN, "verify"));
	TE_GUARD(te_hsm_policy_sign_alg(k->name, k->blob.type, alg, &alg));
	if (alg != TE_HSM_ALG_HMAC_SHA256) {
		TE_GUARD(digest_of(alg, flags, data, data_len, &dg));
		TE_GUARD(pkey_verify(k, alg, &dg, sig ? sig : (const uint8_t *)"", sig_len));
		goto out;
	}
	TE_ENSURE(!(flags & TE_HSM_SIGN_PREHASHED), TE_ERR_UNSUPPORTED,
		  "HMAC has no precomputed-digest form");
	TE_GUARD(hmac_compute(t, k, data, data_len, mac));
	TE_ENSURE(sig_len == sizeof(mac) && te_memeq_ct(mac, sig, sizeof(mac)) == 0,
		  TE_ERR_VERIFY_FAILED, "HMAC does not verify with key '%s'", name);
out:
	te_memzero(mac, sizeof(mac));
	key_put(k);
	return rc;
}

/* --- encrypt and decrypt ------------------------------------------------------------- */

/* AES-256-GCM with the unsealed key.  Decryption writes to out only when
 * the tag verifies. */
static te_err gcm_run(const uint8_t key[SECRET_LEN], const char *name, int enc,
		      const uint8_t *iv, const uint8_t *aad, size_t aad_len, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), key, iv, enc, NULL), "GCM init");
	TE_GUARD(te_hsm_gcm_message(ctx, enc, name, aad, aad_len, in, in_len, out, out_len));
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static te_err gcm_crypt(struct tpm *t, const struct tkey *k, int enc, const uint8_t *iv,
			size_t iv_len, const uint8_t *aad, size_t aad_len, const uint8_t *in,
			size_t in_len, uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	size_t need = enc ? in_len + TE_HSM_GCM_TAG_LEN : in_len - TE_HSM_GCM_TAG_LEN;
	uint8_t *key = NULL;
	size_t klen = 0;

	TE_ENSURE(enc || in_len >= TE_HSM_GCM_TAG_LEN, TE_ERR_DECRYPT_FAILED,
		  "ciphertext of %zu bytes is shorter than the GCM tag", in_len);
	TE_ENSURE(iv_len == TE_HSM_GCM_IV_LEN, TE_ERR_INVALID_ARG,
		  "AES-256-GCM needs a %d-byte IV, not %zu", TE_HSM_GCM_IV_LEN, iv_len);
	TE_ENSURE(in_len <= INT32_MAX && aad_len <= INT32_MAX, TE_ERR_INVALID_ARG,
		  "input too large");
	if (*out_len < need) {
		*out_len = need;
		TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "output needs %zu bytes", need);
	}
	/* The TPM has no GCM: the sealed key is unsealed into secure memory
	 * for this one operation and wiped right after. */
	TE_GUARD(unseal(t, k, &key, &klen));
	TE_GUARD(gcm_run(key, k->name, enc, iv, aad, aad_len, in, in_len, out, out_len));
out:
	te_secure_free(key);
	return rc;
}

static te_err oaep_encrypt(const struct tkey *k, const uint8_t *in, size_t in_len,
			   uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pub, NULL);
	size_t need = (size_t)EVP_PKEY_get_size(k->pub), n = need;

	TE_GUARD_PTR(pctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_ENSURE(in_len <= need - 66, TE_ERR_INVALID_ARG,
		  "RSA-OAEP with key '%s' takes at most %zu bytes, not %zu", k->name, need - 66,
		  in_len);
	if (*out_len < need) {
		*out_len = need;
		TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "output needs %zu bytes", need);
	}
	TE_GUARD_OSSL(EVP_PKEY_encrypt_init(pctx), "OAEP init");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING), "OAEP padding");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()), "OAEP digest");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), "OAEP MGF1 digest");
	TE_GUARD_OSSL(EVP_PKEY_encrypt(pctx, out, &n, in, in_len), "RSA-OAEP encryption");
	*out_len = n;
out:
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/*
 * libtpms before 0.10 (swtpm 0.7, 0.8) answers a ciphertext whose padding
 * does not check with TPM_RC_FAILURE, the code of a TPM in failure mode,
 * instead of TPM_RC_VALUE (fixed in libtpms PR 444).  A TPM really in
 * failure mode refuses the next command too; one that answers it only
 * refused the ciphertext.  Connection locked.
 */
static int tpm_alive(struct tpm *t)
{
	TPM2B_DIGEST *rnd = NULL;
	TSS2_RC r = Esys_GetRandom(te_tpm_conn_esys(t->conn), ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, 1, &rnd);

	Esys_Free(rnd);
	return r == TSS2_RC_SUCCESS;
}

/* TPM2_RSA_Decrypt with OAEP and SHA-256 (label empty). */
static te_err oaep_decrypt(struct tpm *t, const struct tkey *k, const uint8_t *in,
			   size_t in_len, uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	TPM2B_PUBLIC_KEY_RSA cipher;
	TPMT_RSA_DECRYPT scheme;
	TPM2B_DATA label;
	TPM2B_PUBLIC_KEY_RSA *msg = NULL;
	ESYS_TR tr = ESYS_TR_NONE;
	TSS2_RC r = TSS2_RC_SUCCESS;

	memset(&scheme, 0, sizeof(scheme));
	memset(&label, 0, sizeof(label));
	scheme.scheme = TPM2_ALG_OAEP;
	scheme.details.oaep.hashAlg = TPM2_ALG_SHA256;
	TE_ENSURE(in_len == (size_t)EVP_PKEY_get_size(k->pub), TE_ERR_DECRYPT_FAILED,
		  "RSA-OAEP decryption with key '%s' failed: the ciphertext is %zu bytes, not "
		  "%d",
		  k->name, in_len, EVP_PKEY_get_size(k->pub));
	cipher.size = (UINT16)in_len;
	memcpy(cipher.buffer, in, in_len);
	te_tpm_conn_lock(t->conn);
	rc = key_tr(t, k, &tr);
	if (rc == TE_OK)
		r = Esys_RSA_Decrypt(te_tpm_conn_esys(t->conn), tr, ESYS_TR_PASSWORD,
				     ESYS_TR_NONE, ESYS_TR_NONE, &cipher, &scheme, &label, &msg);
	if (rc == TE_OK && te_tpm_rc_base(r) == TPM2_RC_FAILURE && tpm_alive(t))
		r = TPM2_RC_VALUE | TPM2_RC_P | TPM2_RC_1;
	te_tpm_conn_unlock(t->conn);
	TE_GUARD(rc);
	if (r != TSS2_RC_SUCCESS && te_tpm_rc_is_param(r)) {
		rc = te_err_set(TE_ERR_DECRYPT_FAILED,
				"RSA-OAEP decryption with key '%s' failed: wrong key, or the "
				"ciphertext was altered",
				k->name);
		goto out;
	}
	if (r != TSS2_RC_SUCCESS) {
		rc = te_tpm_err(r, te_tpm_conn_tcti(t->conn), "key '%s': TPM2_RSA_Decrypt failed",
				k->name);
		goto out;
	}
	if (*out_len < msg->size) {
		*out_len = msg->size;
		TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "output needs %u bytes",
			  (unsigned)msg->size);
	}
	memcpy(out, msg->buffer, msg->size);
	*out_len = msg->size;
out:
	if (msg != NULL) {
		te_memzero(msg, sizeof(*msg));
		Esys_Free(msg);
	}
	return rc;
}

static te_err tpm_crypt(struct tpm *t, int enc, const char *name, te_hsm_alg alg,
			const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
			const void *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	struct tkey *k = NULL;

	TE_GUARD(key_get(t, name, &k));
	TE_GUARD(te_hsm_policy_usage(k->name, k->blob.usage, TE_HSM_USAGE_ENCRYPT,
				     enc ? "encrypt" : "decrypt"));
	TE_GUARD(te_hsm_policy_crypt_alg(k->name, k->blob.type, alg, &alg));
	if (alg == TE_HSM_ALG_AES_256_GCM) {
		TE_GUARD(gcm_crypt(t, k, enc, iv, iv_len, aad, aad_len, in, in_len, out, out_len));
		goto out;
	}
	TE_ENSURE(iv_len == 0 && aad_len == 0, TE_ERR_INVALID_ARG,
		  "RSA-OAEP takes no IV and no AAD");
	if (enc)
		TE_GUARD(oaep_encrypt(k, in, in_len, out, out_len));
	else
		TE_GUARD(oaep_decrypt(t, k, in, in_len, out, out_len));
out:
	key_put(k);
	return rc;
}

static te_err tpm_encrypt(void *st, const char *name, te_hsm_alg alg, const uint8_t *iv,
			  size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
			  size_t in_len, uint8_t *out, size_t *out_len)
{
	return tpm_crypt(st, 1, name, alg, iv, iv_len, aad, aad_len, in, in_len, out, out_len);
}

static te_err tpm_decrypt(void *st, const char *name, te_hsm_alg alg, const uint8_t *iv,
			  size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
			  size_t in_len, uint8_t *out, size_t *out_len)
{
	return tpm_crypt(st, 0, name, alg, iv, iv_len, aad, aad_len, in, in_len, out, out_len);
}

/*
 * Derivation: HMAC(base, data) is computed in the TPM, then the 32 bytes
 * become a new keyed-hash object through TPM2_Create's sensitive data.
 * They pass through this process in between (in secure memory, wiped right
 * after): the TPM's own derivation (KDFa with a derivation parent) yields
 * another function than the HMAC the API promises.
 */
static te_err tpm_derive(void *st, const char *base, const void *data, size_t data_len,
			 const char *name, const te_hsm_key_attrs *attrs)
{
	struct tpm *t = st;
	te_err rc = TE_OK;
	struct tkey *k = NULL;
	uint32_t usage = TE_HSM_USAGE_SIGN;
	int exportable = 0;
	uint8_t *derived = te_secure_alloc(32);

	TE_ENSURE(derived != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
	if (attrs != NULL) {
		usage = attrs->usage ? attrs->usage : TE_HSM_USAGE_SIGN;
		exportable = attrs->exportable != 0;
	}
	TE_GUARD(key_get(t, base, &k));
	TE_GUARD(te_hsm_policy_usage(k->name, k->blob.usage, TE_HSM_USAGE_DERIVE, "derive keys"));
	TE_ENSURE(k->blob.type == TE_HSM_KEY_HMAC_SHA256, TE_ERR_UNSUPPORTED,
		  "key '%s' (%s) cannot derive keys; only hmac-sha256 keys can", base,
		  te_hsm_key_type_name(k->blob.type));
	TE_GUARD(exists_check(t, name));
	TE_GUARD(hmac_compute(t, k, data, data_len, derived));
	TE_GUARD(key_make(t, name, TE_HSM_KEY_HMAC_SHA256, usage, exportable, derived, 32));
out:
	te_secure_free(derived);
	key_put(k);
	return rc;
}

static te_err tpm_random(void *st, void *buf, size_t n)
{
	struct tpm *t = st;
	te_err rc;

	te_tpm_conn_lock(t->conn);
	rc = tpm_random_locked(t, buf, n);
	te_tpm_conn_unlock(t->conn);
	return rc;
}

/* --- open and close ------------------------------------------------------------ */

static void tpm_close(void *st)
{
	struct tpm *t = st;

	if (t == NULL)
		return;
	cache_flush_locked(t);
	if (t->conn != NULL) {
		/* Keys stay cached by the connection while other contexts use
		 * it; the last close flushes them all. */
		te_tpm_conn_close(t->conn);
	}
	if (t->generation != NULL)
		munmap(t->generation, sizeof(uint64_t));
	if (t->dir_fd >= 0)
		close(t->dir_fd);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	te_secure_free(t->owner_auth);
	pthread_mutex_destroy(&t->write_mu);
	pthread_mutex_destroy(&t->cache_mu);
	free(t->state_dir);
	free(t);
}

static te_err generation_map(struct tpm *t)
{
	te_err rc = TE_OK;
	struct stat st;
	int fd;
	void *map;

	fd = openat(t->dir_fd, ".generation", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	TE_ENSURE(fd >= 0, TE_ERR_IO, "cannot open '%s/.generation': %s", t->state_dir,
		  strerror(errno));
	TE_ENSURE(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), TE_ERR_IO,
		  "bad file '%s/.generation'", t->state_dir);
	/* Two processes growing it at once both write the same zeros. */
	if (st.st_size < (off_t)sizeof(uint64_t))
		TE_ENSURE(ftruncate(fd, sizeof(uint64_t)) == 0, TE_ERR_IO,
			  "cannot size '%s/.generation': %s", t->state_dir, strerror(errno));
	map = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TE_ENSURE(map != MAP_FAILED, TE_ERR_IO, "cannot map '%s/.generation': %s", t->state_dir,
		  strerror(errno));
	t->generation = map;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static te_err parent_parse(const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 16);
	if (s[0] == '\0' || s[0] == '-' || errno != 0 || end == NULL || *end != '\0' ||
	    v < TE_TPM_PERSISTENT_MIN || v > TE_TPM_PERSISTENT_MAX)
		return te_err_set(TE_ERR_CONFIG,
				  "setting 'parent' is '%s'; it must be a persistent handle "
				  "0x81000000..0x81ffffff (e.g. 0x81000001, the usual SRK)",
				  s);
	*out = (uint32_t)v;
	return TE_OK;
}

/* owner_auth_file: the value in a file that others cannot read; one
 * trailing newline is not part of it. */
static te_err auth_file_read(const char *path, TPM2B_AUTH *out)
{
	te_err rc = TE_OK;
	struct stat st;
	te_buf b;
	char *text = NULL;

	te_buf_init(&b, 1);
	TE_ENSURE(stat(path, &st) == 0, errno == ENOENT ? TE_ERR_NOT_FOUND : TE_ERR_IO,
		  "owner_auth_file '%s': %s", path, strerror(errno));
	TE_ENSURE((st.st_mode & 0077) == 0, TE_ERR_PERMISSION,
		  "owner_auth_file '%s' has mode %03o; it must not be readable by others "
		  "(chmod 600 '%s')",
		  path, (unsigned)(st.st_mode & 0777), path);
	TE_GUARD(te_file_read_at(AT_FDCWD, path, path, 1024, &b));
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.len--;
	TE_ENSURE(memchr(b.data, '\0', b.len) == NULL, TE_ERR_CONFIG,
		  "owner_auth_file '%s' contains a NUL byte (use hex:... for binary values)", path);
	text = te_secure_alloc(b.len + 1);
	TE_ENSURE(text != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
	if (b.len > 0)
		memcpy(text, b.data, b.len);
	rc = te_tpm_auth_parse(text, out);
	if (rc != TE_OK)
		rc = te_err_set(rc, "owner_auth_file '%s': %s", path, te_err_detail());
out:
	te_secure_free(text);
	te_buf_free(&b);
	return rc;
}

static te_err tpm_open(const te_hsm_setting *settings, size_t n, void **state)
{
	te_err rc = TE_OK;
	struct tpm *t = calloc(1, sizeof(*t));
	const char *tcti = NULL, *dir = NULL, *parent = NULL, *auth = NULL, *auth_file = NULL;
	char *path = NULL;
	ESYS_TR tr;

	TE_ENSURE(t != NULL, TE_ERR_NO_MEMORY, "out of memory");
	t->dir_fd = t->lock_fd = -1;
	pthread_mutex_init(&t->write_mu, NULL);
	pthread_mutex_init(&t->cache_mu, NULL);
	for (size_t i = 0; i < n; i++) {
		const char *k = settings[i].key, *v = settings[i].value;
		if (strcmp(k, "tcti") == 0)
			tcti = v;
		else if (strcmp(k, "state_dir") == 0)
			dir = v;
		else if (strcmp(k, "parent") == 0)
			parent = v;
		else if (strcmp(k, "owner_auth") == 0)
			auth = v;
		else if (strcmp(k, "owner_auth_file") == 0)
			auth_file = v;
	}
	TE_ENSURE(tcti != NULL && tcti[0] != '\0', TE_ERR_CONFIG,
		  "the tpm backend needs the 'tcti' setting (how to reach the TPM: "
		  "device:/dev/tpmrm0, tabrmd, or swtpm:host=127.0.0.1,port=2321)");
	TE_ENSURE(dir != NULL && dir[0] != '\0', TE_ERR_CONFIG,
		  "the tpm backend needs the 'state_dir' setting (a directory for key blobs)");
	TE_ENSURE(auth == NULL || auth_file == NULL, TE_ERR_CONFIG,
		  "settings 'owner_auth' and 'owner_auth_file' exclude each other");
	if (parent != NULL)
		TE_GUARD(parent_parse(parent, &t->parent));
	if (auth != NULL || auth_file != NULL) {
		t->owner_auth = te_secure_alloc(sizeof(*t->owner_auth));
		TE_ENSURE(t->owner_auth != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
		if (auth != NULL)
			TE_GUARD(te_tpm_auth_parse(auth, t->owner_auth));
		else
			TE_GUARD(auth_file_read(auth_file, t->owner_auth));
	}
	t->state_dir = strdup(dir);
	TE_ENSURE(t->state_dir != NULL, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(te_file_private_dir(dir));
	t->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	TE_ENSURE(t->dir_fd >= 0, TE_ERR_IO, "cannot open '%s': %s", dir, strerror(errno));
	TE_ENSURE(asprintf(&path, "%s/.lock", dir) > 0, TE_ERR_NO_MEMORY, "out of memory");
	t->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	TE_ENSURE(t->lock_fd >= 0, TE_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	TE_GUARD(generation_map(t));
	t->cache_gen = generation_read(t);

	TE_GUARD(te_tpm_conn_open(tcti, &t->conn));
	/* The storage parent now: a wrong owner_auth or a missing persistent
	 * parent shows at open, not at the first key. */
	te_tpm_conn_lock(t->conn);
	rc = te_tpm_conn_parent(t->conn, t->parent, t->owner_auth, &tr, &t->parent_name);
	te_tpm_conn_unlock(t->conn);
	TE_GUARD(rc);
	*state = t;
	t = NULL;
out:
	free(path);
	tpm_close(t);
	return rc;
}

const te_hsm_backend_ops te_hsm_tpm_ops = {
	.version = TE_HSM_BACKEND_OPS_V1,
	.name = "tpm",
	.settings = tpm_settings,
	.uri_scheme = NULL,
	.open = tpm_open,
	.close = tpm_close,
	.key_create = tpm_key_create,
	.key_import = tpm_key_import,
	.key_delete = tpm_key_delete,
	.key_info = tpm_key_info,
	.key_list = tpm_key_list,
	.key_public = tpm_key_public,
	.key_export = tpm_key_export,
	.sign = tpm_sign,
	.verify = tpm_verify,
	.encrypt = tpm_encrypt,
	.decrypt = tpm_decrypt,
	.derive = tpm_derive,
	.random = tpm_random,
	.key_evp = NULL, /* the core's provider key calls back into sign/decrypt */
};
