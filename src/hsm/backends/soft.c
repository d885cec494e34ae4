/*
 * soft.c - the software HSM backend: keys in a directory, one file per key,
 * each sealed with AES-256-GCM under a master key (format in keyfile.h).
 *
 * Store layout (the store directory and keys/ are 0700, files 0600):
 *   <store>/master.key     32 random bytes, made on first use (or the file
 *                          named by the master_key_file setting)
 *   <store>/keys/NAME.tek  one sealed key
 *   <store>/.lock          flock(2): writers hold it exclusively
 *   <store>/.generation    8-byte counter, bumped after every change, mapped
 *                          shared so every process can see its cache is stale
 *                          with one memory read instead of a stat per call
 *
 * Writes go to keys/.tmp-NAME.tek, are fsync'ed, renamed into place and the
 * directory fsync'ed, so a kill at any moment leaves a key fully there or
 * not there.  Readers take no lock: a rename is atomic.
 *
 * Keys that have been used stay decoded in a bounded in-memory cache
 * (asymmetric keys as EVP_PKEY, secret bytes in te_secure_alloc memory)
 * until the store's generation changes.
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

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/te_file.h"
#include "hsm/backend.h"
#include "hsm/gcm.h"
#include "hsm/import.h"
#include "hsm/policy.h"
#include "hsm/keyfile.h"
#include "hsm/tpm_seal.h"

#define KEY_SUFFIX ".tek"
#define TMP_PREFIX ".tmp-"
#define CACHE_BUCKETS 1024u
#define CACHE_MAX 4096u
#define SECRET_LEN 32
#define CTX_POOL 4
#define USAGE_ALL (TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT | TE_HSM_USAGE_DERIVE)

/* One decoded key.  Shared by the cache and the operations using it. */
struct key {
	struct key *next; /* hash chain */
	unsigned refs;    /* atomic */
	te_keyfile_meta meta;
	EVP_PKEY *pkey;   /* asymmetric keys */
	uint8_t *secret;  /* secret keys: te_secure_alloc */
	size_t secret_len;
	EVP_MAC_CTX *mac; /* HMAC keys: keyed once, copied into the pool */
	/* Keyed contexts ready for reuse (EVP_MAC_CTX for HMAC keys,
	 * EVP_CIPHER_CTX for AES keys).  Restarting one with the key state it
	 * holds skips key setup and allocation: for HMAC that is about four
	 * times as fast as keying a new context.  Slots are taken and returned
	 * with atomic exchanges, no lock. */
	void *pool[CTX_POOL];
	char name[TE_HSM_NAME_MAX + 1];
};

struct soft {
	char *store;
	char *master_path;
	const char *master_tcti; /* master_key_tcti: used while opening only */
	int keys_fd; /* O_DIRECTORY fd of <store>/keys */
	int lock_fd;
	uint64_t *generation; /* shared mapping of .generation */
	uint8_t *master;      /* te_secure_alloc, TE_MASTER_KEY_LEN */
	EVP_MAC *hmac;
	EVP_CIPHER *gcm;
	pthread_mutex_t write_mu; /* flock is per open file, not per thread */
	pthread_mutex_t cache_mu;
	uint64_t cache_gen;
	size_t cache_count;
	struct key *cache[CACHE_BUCKETS];
};

static const char *const soft_settings[] = {"store", "master_key_file", "master_key_tcti",
					    NULL};

/* --- small helpers -------------------------------------------------------- */

static int lock_ex(struct soft *s)
{
	pthread_mutex_lock(&s->write_mu);
	while (flock(s->lock_fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			pthread_mutex_unlock(&s->write_mu);
			return -1;
		}
	}
	return 0;
}

static void unlock_ex(struct soft *s)
{
	flock(s->lock_fd, LOCK_UN);
	pthread_mutex_unlock(&s->write_mu);
}

static uint64_t generation_read(const struct soft *s)
{
	return __atomic_load_n(s->generation, __ATOMIC_ACQUIRE);
}

static void generation_bump(struct soft *s)
{
	__atomic_add_fetch(s->generation, 1, __ATOMIC_SEQ_CST);
}

static te_err key_file_name(const char *name, char out[TE_HSM_NAME_MAX + 16])
{
	int n = snprintf(out, TE_HSM_NAME_MAX + 16, "%s" KEY_SUFFIX, name);

	if (n < 0 || n >= TE_HSM_NAME_MAX + 16)
		return te_err_set(TE_ERR_BAD_NAME, "key name too long");
	return TE_OK;
}

/* --- the cache ------------------------------------------------------------ */

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

static void key_free(struct key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	EVP_MAC_CTX_free(k->mac);
	for (unsigned i = 0; i < CTX_POOL; i++) {
		if (k->meta.type == TE_HSM_KEY_HMAC_SHA256)
			EVP_MAC_CTX_free(k->pool[i]);
		else
			EVP_CIPHER_CTX_free(k->pool[i]);
	}
	te_secure_free(k->secret);
	free(k);
}

static void key_put(struct key *k)
{
	if (k != NULL && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0)
		key_free(k);
}

static void cache_flush_locked(struct soft *s)
{
	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		struct key *k = s->cache[i];
		while (k != NULL) {
			struct key *next = k->next;
			key_put(k);
			k = next;
		}
		s->cache[i] = NULL;
	}
	s->cache_count = 0;
}

/* A keyed HMAC-SHA256 context; per call it is duplicated, which skips
 * hashing the key again (about twice as fast as keying a new context). */
static te_err hmac_key_ctx(EVP_MAC *hmac, const uint8_t *key, size_t key_len,
			   EVP_MAC_CTX **out)
{
	te_err rc = TE_OK;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(EVP_MAC_init(ctx, key, key_len, params), "HMAC init");
	*out = ctx;
	ctx = NULL;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* Reads, authenticates and decodes a key from disk. */
static te_err key_load(struct soft *s, const char *name, struct key **out)
{
	te_err rc = TE_OK;
	char fname[TE_HSM_NAME_MAX + 16];
	te_buf file, material;
	struct key *k = NULL;

	te_buf_init(&file, 0);
	te_buf_init(&material, 1);
	TE_GUARD(key_file_name(name, fname));
	rc = te_file_read_at(s->keys_fd, fname, name, TE_KEYFILE_MAX_LEN, &file);
	if (rc == TE_ERR_NOT_FOUND)
		rc = te_err_set(TE_ERR_NOT_FOUND, "key '%s' not found in store '%s'", name,
				s->store);
	TE_GUARD(rc);
	k = calloc(1, sizeof(*k));
	TE_ENSURE(k != NULL, TE_ERR_NO_MEMORY, "out of memory");
	memcpy(k->name, name, strlen(name) + 1);
	k->refs = 1;
	TE_GUARD(te_keyfile_open(s->master, name, file.data, file.len, &k->meta, &material));
	if (te_hsm_key_type_is_secret(k->meta.type)) {
		k->secret = te_secure_alloc(material.len);
		TE_ENSURE(k->secret != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
		memcpy(k->secret, material.data, material.len);
		k->secret_len = material.len;
		if (k->meta.type == TE_HSM_KEY_HMAC_SHA256)
			TE_GUARD(hmac_key_ctx(s->hmac, k->secret, k->secret_len, &k->mac));
	} else {
		TE_GUARD(te_keyfile_material_parse(name, &k->meta, material.data, material.len,
						   &k->pkey));
	}
	*out = k;
	k = NULL;
out:
	key_free(k);
	te_buf_free(&file);
	te_buf_free(&material);
	return rc;
}

/* Returns a referenced key; release it with key_put. */
static te_err key_get(struct soft *s, const char *name, struct key **out)
{
	uint64_t gen = generation_read(s);
	uint32_t b = name_hash(name) % CACHE_BUCKETS;
	struct key *k;
	te_err rc;

	pthread_mutex_lock(&s->cache_mu);
	if (gen != s->cache_gen) {
		cache_flush_locked(s);
		s->cache_gen = gen;
	}
	for (k = s->cache[b]; k != NULL; k = k->next) {
		if (strcmp(k->name, name) == 0) {
			__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&s->cache_mu);
			*out = k;
			return TE_OK;
		}
	}
	pthread_mutex_unlock(&s->cache_mu);

	/* The generation was read before the file: if the file changes while
	 * we read it, the next call sees a newer generation and reloads. */
	rc = key_load(s, name, &k);
	if (rc != TE_OK)
		return rc;
	pthread_mutex_lock(&s->cache_mu);
	if (s->cache_gen == gen) {
		struct key *dup = s->cache[b];
		while (dup != NULL && strcmp(dup->name, name) != 0)
			dup = dup->next;
		if (dup == NULL) {
			if (s->cache_count >= CACHE_MAX)
				cache_flush_locked(s);
			k->refs++;
			k->next = s->cache[b];
			s->cache[b] = k;
			s->cache_count++;
		}
	}
	pthread_mutex_unlock(&s->cache_mu);
	*out = k;
	return TE_OK;
}

/* --- writing keys --------------------------------------------------------- */

/* Seals material and puts it in place atomically.  With replace == 0 an
 * existing key is an error. */
static te_err key_store(struct soft *s, const char *name, const te_keyfile_meta *meta,
			const uint8_t *material, size_t len)
{
	te_err rc = TE_OK;
	char fname[TE_HSM_NAME_MAX + 16];
	uint8_t iv[12];
	te_buf image;
	struct stat st;
	int locked = 0;

	te_buf_init(&image, 0);
	TE_GUARD(key_file_name(name, fname));
	TE_GUARD_OSSL(RAND_bytes(iv, sizeof(iv)), "random IV");
	TE_GUARD(te_keyfile_seal(s->master, name, meta, iv, material, len, &image));

	TE_ENSURE(lock_ex(s) == 0, TE_ERR_IO, "cannot lock key store '%s': %s", s->store,
		  strerror(errno));
	locked = 1;
	TE_ENSURE(fstatat(s->keys_fd, fname, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT,
		  TE_ERR_EXISTS, "key '%s' already exists in store '%s'", name, s->store);
	TE_GUARD(te_file_write_at(s->keys_fd, fname, image.data, image.len, 0600));
	generation_bump(s);
out:
	if (locked)
		unlock_ex(s);
	te_buf_free(&image);
	return rc;
}

/* PKCS#8 DER of a private key, into a secure buffer. */
static te_err pkey_to_pkcs8(EVP_PKEY *pkey, te_buf *out)
{
	te_err rc = TE_OK;
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long n;

	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(i2d_PKCS8PrivateKey_bio(bio, pkey, NULL, NULL, 0, NULL, NULL),
		      "encode private key");
	n = BIO_get_mem_data(bio, &data);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "encode private key: empty");
	TE_GUARD(te_buf_append(out, data, (size_t)n));
out:
	BIO_free(bio); /* secmem BIOs are wiped on free */
	return rc;
}

static te_err pkey_generate(te_hsm_key_type type, EVP_PKEY **out)
{
	EVP_PKEY *pkey = NULL;

	switch (type) {
	case TE_HSM_KEY_EC_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case TE_HSM_KEY_EC_P384:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case TE_HSM_KEY_RSA_2048:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case TE_HSM_KEY_RSA_3072:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case TE_HSM_KEY_RSA_4096:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	case TE_HSM_KEY_ED25519:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	default:
		return te_err_set(TE_ERR_UNSUPPORTED, "cannot generate a %s key pair",
				  te_hsm_key_type_name(type));
	}
	if (pkey == NULL)
		return te_err_set_ossl(TE_ERR_CRYPTO, "key generation");
	*out = pkey;
	return TE_OK;
}

static te_err meta_from_attrs(const te_hsm_key_attrs *attrs, te_hsm_key_type type,
			      te_keyfile_meta *meta)
{
	meta->type = type;
	meta->exportable = attrs->exportable != 0;
	return te_hsm_policy_new_usage(type, attrs->usage, &meta->usage);
}

/* --- backend entry points: lifecycle ------------------------------------- */

static te_err soft_key_create(void *st, const char *name, const te_hsm_key_attrs *attrs)
{
	struct soft *s = st;
	te_err rc = TE_OK;
	te_keyfile_meta meta;
	te_buf material;
	EVP_PKEY *pkey = NULL;

	te_buf_init(&material, 1);
	TE_GUARD(meta_from_attrs(attrs, attrs->type, &meta));
	if (te_hsm_key_type_is_secret(attrs->type)) {
		TE_GUARD(te_buf_reserve(&material, SECRET_LEN));
		TE_GUARD_OSSL(RAND_priv_bytes(material.data, SECRET_LEN), "random key");
		material.len = SECRET_LEN;
	} else {
		TE_GUARD(pkey_generate(attrs->type, &pkey));
		TE_GUARD(pkey_to_pkcs8(pkey, &material));
	}
	TE_GUARD(key_store(s, name, &meta, material.data, material.len));
out:
	EVP_PKEY_free(pkey);
	te_buf_free(&material);
	return rc;
}

static te_err soft_key_import(void *st, const char *name, const te_hsm_key_attrs *attrs,
			      const void *material, size_t len)
{
	struct soft *s = st;
	te_err rc = TE_OK;
	te_keyfile_meta meta;
	te_buf der;
	EVP_PKEY *pkey = NULL;
	te_hsm_key_type type = attrs->type;

	te_buf_init(&der, 1);
	if (te_hsm_key_type_is_secret(type)) {
		TE_GUARD(te_hsm_import_secret_check(type, len));
		TE_GUARD(meta_from_attrs(attrs, type, &meta));
		TE_GUARD(key_store(s, name, &meta, material, len));
		goto out;
	}
	TE_GUARD(te_hsm_import_pkey(material, len, type, &pkey, &type));
	TE_GUARD(meta_from_attrs(attrs, type, &meta));
	TE_GUARD(pkey_to_pkcs8(pkey, &der));
	TE_GUARD(key_store(s, name, &meta, der.data, der.len));
out:
	EVP_PKEY_free(pkey);
	te_buf_free(&der);
	return rc;
}

static te_err soft_key_delete(void *st, const char *name)
{
	struct soft *s = st;
	te_err rc = TE_OK;
	char fname[TE_HSM_NAME_MAX + 16];
	int locked = 0;

	TE_GUARD(key_file_name(name, fname));
	TE_ENSURE(lock_ex(s) == 0, TE_ERR_IO, "cannot lock key store '%s': %s", s->store,
		  strerror(errno));
	locked = 1;
	rc = te_file_remove_at(s->keys_fd, fname);
	if (rc == TE_ERR_NOT_FOUND)
		rc = te_err_set(TE_ERR_NOT_FOUND, "key '%s' not found in store '%s'", name, s->store);
	TE_GUARD(rc);
	generation_bump(s);
out:
	if (locked)
		unlock_ex(s);
	return rc;
}

static void info_fill(te_hsm_key_info *info, const char *name, const te_keyfile_meta *meta)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->name, name, strlen(name) + 1);
	info->type = meta->type;
	info->usage = meta->usage;
	info->exportable = meta->exportable;
}

static te_err soft_key_info(void *st, const char *name, te_hsm_key_info *info)
{
	struct key *k = NULL;
	te_err rc = key_get(st, name, &k);

	if (rc != TE_OK)
		return rc;
	info_fill(info, name, &k->meta);
	key_put(k);
	return TE_OK;
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const te_hsm_key_info *)a)->name, ((const te_hsm_key_info *)b)->name);
}

/* Metadata of one key file, authenticated (decrypted) but not decoded. */
static te_err key_meta_read(struct soft *s, const char *name, te_keyfile_meta *meta)
{
	te_err rc = TE_OK;
	char fname[TE_HSM_NAME_MAX + 16];
	te_buf file, material;

	te_buf_init(&file, 0);
	te_buf_init(&material, 1);
	TE_GUARD(key_file_name(name, fname));
	TE_GUARD(te_file_read_at(s->keys_fd, fname, name, TE_KEYFILE_MAX_LEN, &file));
	TE_GUARD(te_keyfile_open(s->master, name, file.data, file.len, meta, &material));
out:
	te_buf_free(&file);
	te_buf_free(&material);
	return rc;
}

/* Removes temp files of writers that were killed, if no writer is active. */
static void stale_temps_sweep(struct soft *s, DIR *dir)
{
	struct dirent *de;

	pthread_mutex_lock(&s->write_mu);
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0) {
		rewinddir(dir);
		while ((de = readdir(dir)) != NULL) {
			if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
				(void)unlinkat(s->keys_fd, de->d_name, 0);
		}
		flock(s->lock_fd, LOCK_UN);
	}
	pthread_mutex_unlock(&s->write_mu);
}

static te_err soft_key_list(void *st, te_hsm_key_info **out, size_t *count)
{
	struct soft *s = st;
	te_err rc = TE_OK;
	te_hsm_key_info *list = NULL;
	size_t n = 0, cap = 0;
	int dfd = -1, temps = 0;
	DIR *dir = NULL;
	struct dirent *de;

	dfd = openat(s->keys_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	TE_ENSURE(dfd >= 0, TE_ERR_IO, "cannot open key store '%s': %s", s->store,
		  strerror(errno));
	dir = fdopendir(dfd);
	TE_ENSURE(dir != NULL, TE_ERR_IO, "cannot read key store '%s': %s", s->store,
		  strerror(errno));
	dfd = -1;
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name), slen = strlen(KEY_SUFFIX);
		char name[TE_HSM_NAME_MAX + 1];
		te_keyfile_meta meta;

		if (de->d_name[0] == '.') {
			temps |= strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;
			continue;
		}
		if (len <= slen || len - slen > TE_HSM_NAME_MAX ||
		    strcmp(de->d_name + len - slen, KEY_SUFFIX) != 0)
			continue;
		memcpy(name, de->d_name, len - slen);
		name[len - slen] = '\0';
		if (te_hsm_name_check(name) != TE_OK)
			continue;
		rc = key_meta_read(s, name, &meta);
		if (rc == TE_ERR_NOT_FOUND) /* deleted while we listed */
			continue;
		if (rc == TE_ERR_NO_MEMORY)
			goto out;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			te_hsm_key_info *nl = realloc(list, ncap * sizeof(*list));
			TE_ENSURE(nl != NULL, TE_ERR_NO_MEMORY, "out of memory");
			list = nl;
			cap = ncap;
		}
		if (rc == TE_OK) {
			info_fill(&list[n++], name, &meta);
			continue;
		}
		memset(&list[n], 0, sizeof(list[n]));
		memcpy(list[n].name, name, strlen(name) + 1);
		list[n++].status = rc;
	}
	rc = TE_OK;
	if (temps)
		stale_temps_sweep(s, dir);
	if (n > 1)
		qsort(list, n, sizeof(*list), info_cmp);
	*out = list;
	*count = n;
	list = NULL;
out:
	free(list);
	if (dir != NULL)
		closedir(dir);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static te_err need_asym(const struct key *k)
{
	if (k->pkey == NULL)
		return te_err_set(TE_ERR_UNSUPPORTED, "key '%s' is a %s secret key and has no "
				  "public part", k->name, te_hsm_key_type_name(k->meta.type));
	return TE_OK;
}

static te_err soft_key_public(void *st, const char *name, te_hsm_pub_format fmt, te_buf *out)
{
	te_err rc = TE_OK;
	struct key *k = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long n;

	TE_GUARD(key_get(st, name, &k));
	TE_GUARD(need_asym(k));
	bio = BIO_new(BIO_s_mem());
	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	if (fmt == TE_HSM_PUB_PEM)
		TE_GUARD_OSSL(PEM_write_bio_PUBKEY(bio, k->pkey), "encode public key");
	else
		TE_GUARD_OSSL(i2d_PUBKEY_bio(bio, k->pkey), "encode public key");
	n = BIO_get_mem_data(bio, &data);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "encode public key: empty");
	TE_GUARD(te_buf_append(out, data, (size_t)n));
out:
	BIO_free(bio);
	key_put(k);
	return rc;
}

static te_err soft_key_export(void *st, const char *name, te_buf *out)
{
	te_err rc = TE_OK;
	struct key *k = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long n;

	TE_GUARD(key_get(st, name, &k));
	TE_ENSURE(k->meta.exportable, TE_ERR_PERMISSION,
		  "key '%s' is not exportable (it was not created with the exportable "
		  "attribute)", name);
	if (k->secret != NULL) {
		TE_GUARD(te_buf_append(out, k->secret, k->secret_len));
		goto out;
	}
	bio = BIO_new(BIO_s_secmem());
	TE_GUARD_PTR(bio, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL),
		      "encode private key");
	n = BIO_get_mem_data(bio, &data);
	TE_ENSURE(n > 0, TE_ERR_CRYPTO, "encode private key: empty");
	TE_GUARD(te_buf_append(out, data, (size_t)n));
out:
	BIO_free(bio);
	key_put(k);
	return rc;
}

/* --- operations ------------------------------------------------------------ */

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

/* One signature or verification with an asymmetric key. */
static te_err pkey_sign_verify(struct key *k, te_hsm_alg alg, uint32_t flags, const void *data,
			       size_t data_len, uint8_t *sig, size_t *sig_len,
			       const uint8_t *vsig, size_t vsig_len)
{
	te_err rc = TE_OK;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const char *digest = te_hsm_policy_digest(alg);
	size_t need = (size_t)EVP_PKEY_get_size(k->pkey);
	int verifying = vsig != NULL;
	int r;

	if (!verifying && *sig_len < need) {
		/* ECDSA DER is at most EVP_PKEY_get_size; the caller learns that. */
		*sig_len = need;
		return te_err_set(TE_ERR_BUFFER_TOO_SMALL, "signature needs %zu bytes", need);
	}
	if (flags & TE_HSM_SIGN_PREHASHED) {
		TE_ENSURE(digest != NULL, TE_ERR_UNSUPPORTED,
			  "key '%s': %s cannot sign a precomputed digest", k->name,
			  te_hsm_alg_name(alg));
		TE_ENSURE(data_len == (size_t)(strcmp(digest, "SHA384") == 0 ? 48 : 32),
			  TE_ERR_INVALID_ARG, "a %s digest is %d bytes, not %zu", digest,
			  strcmp(digest, "SHA384") == 0 ? 48 : 32, data_len);
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
		TE_GUARD_PTR(pctx, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(verifying ? EVP_PKEY_verify_init(pctx) : EVP_PKEY_sign_init(pctx),
			      "signature init");
		TE_GUARD(pss_setup(pctx, alg));
		TE_GUARD_OSSL(EVP_PKEY_CTX_set_signature_md(pctx, EVP_get_digestbyname(digest)),
			      "signature digest");
		if (verifying)
			r = EVP_PKEY_verify(pctx, vsig, vsig_len, data, data_len);
		else
			r = EVP_PKEY_sign(pctx, sig, sig_len, data, data_len);
	} else {
		EVP_PKEY_CTX *inner = NULL;
		md = EVP_MD_CTX_new();
		TE_GUARD_PTR(md, TE_ERR_NO_MEMORY, "out of memory");
		if (verifying)
			TE_GUARD_OSSL(EVP_DigestVerifyInit_ex(md, &inner, digest, NULL, NULL,
							      k->pkey, NULL),
				      "verify init");
		else
			TE_GUARD_OSSL(EVP_DigestSignInit_ex(md, &inner, digest, NULL, NULL, k->pkey,
							    NULL),
				      "sign init");
		TE_GUARD(pss_setup(inner, alg));
		if (verifying)
			r = EVP_DigestVerify(md, vsig, vsig_len, data, data_len);
		else
			r = EVP_DigestSign(md, sig, sig_len, data, data_len);
	}
	if (verifying && r != 1) {
		ERR_clear_error();
		rc = te_err_set(TE_ERR_VERIFY_FAILED, "signature does not verify with key '%s'",
				k->name);
		goto out;
	}
	TE_GUARD_OSSL(r, "sign");
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/* A context from the key's pool, or NULL when the pool is empty. */
static void *pool_take(struct key *k)
{
	for (unsigned i = 0; i < CTX_POOL; i++) {
		void *ctx = __atomic_exchange_n(&k->pool[i], NULL, __ATOMIC_ACQUIRE);
		if (ctx != NULL)
			return ctx;
	}
	return NULL;
}

/* Puts a context that finished cleanly back; returns it if the pool is
 * full, for the caller to free. */
static void *pool_give(struct key *k, void *ctx)
{
	for (unsigned i = 0; i < CTX_POOL; i++) {
		void *empty = NULL;
		if (__atomic_compare_exchange_n(&k->pool[i], &empty, ctx, 0, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return NULL;
	}
	return ctx;
}

static te_err hmac_compute(struct key *k, const void *data, size_t data_len, uint8_t mac[32])
{
	te_err rc = TE_OK;
	EVP_MAC_CTX *ctx = NULL;
	size_t n = 0;

	ctx = pool_take(k);
	if (ctx == NULL) {
		ctx = EVP_MAC_CTX_dup(k->mac);
		TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
	} else {
		/* A NULL key restarts the MAC with the key it already holds. */
		TE_GUARD_OSSL(EVP_MAC_init(ctx, NULL, 0, NULL), "HMAC restart");
	}
	TE_GUARD_OSSL(EVP_MAC_update(ctx, data, data_len), "HMAC");
	TE_GUARD_OSSL(EVP_MAC_final(ctx, mac, &n, 32), "HMAC final");
	ctx = pool_give(k, ctx);
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

static te_err soft_sign(void *st, const char *name, te_hsm_alg alg, uint32_t flags,
			const void *data, size_t data_len, uint8_t *sig, size_t *sig_len)
{
	struct soft *s = st;
	te_err rc = TE_OK;
	struct key *k = NULL;

	TE_GUARD(key_get(s, name, &k));
	TE_GUARD(te_hsm_policy_usage(k->name, k->meta.usage, TE_HSM_USAGE_SIGN, "sign"));
	TE_GUARD(te_hsm_policy_sign_alg(k->name, k->meta.type, alg, &alg));
	if (alg != TE_HSM_ALG_HMAC_SHA256) {
		TE_GUARD(pkey_sign_verify(k, alg, flags, data, data_len, sig, sig_len, NULL, 0));
		goto out;
	}
	TE_ENSURE(!(flags & TE_HSM_SIGN_PREHASHED), TE_ERR_UNSUPPORTED,
		  "HMAC has no precomputed-digest form");
	if (*sig_len < 32) {
		*sig_len = 32;
		TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "an HMAC-SHA256 needs 32 bytes");
	}
	TE_GUARD(hmac_compute(k, data, data_len, sig));
	*sig_len = 32;
out:
	key_put(k);
	return rc;
}

static te_err soft_verify(void *st, const char *name, te_hsm_alg alg, uint32_t flags,
			  const void *data, size_t data_len, const uint8_t *sig, size_t sig_len)
{
	struct soft *s = st;
	te_err rc = TE_OK;
	struct key *k = NULL;
	uint8_t mac[32];

	TE_GUARD(key_get(s, name, &k));
	TE_GUARD(te_hsm_policy_usage(k->name, k->meta.usage, TE_HSM_USAGE_SIGN, "verify"));
	TE_GUARD(te_hsm_policy_sign_alg(k->name, k->meta.type, alg, &alg));
	if (alg != TE_HSM_ALG_HMAC_SHA256) {
		TE_GUARD(pkey_sign_verify(k, alg, flags, data, data_len, NULL, NULL,
					  sig ? sig : (const uint8_t *)"", sig_len));
		goto out;
	}
	TE_ENSURE(!(flags & TE_HSM_SIGN_PREHASHED), TE_ERR_UNSUPPORTED,
		  "HMAC has no precomputed-digest form");
	TE_GUARD(hmac_compute(k, data, data_len, mac));
	TE_ENSURE(sig_len == sizeof(mac) && te_memeq_ct(mac, sig, sizeof(mac)) == 0,
		  TE_ERR_VERIFY_FAILED, "HMAC does not verify with key '%s'", name);
out:
	te_memzero(mac, sizeof(mac));
	key_put(k);
	return rc;
}

/* AES-256-GCM.  Decryption writes to out only when the tag verifies. */
static te_err gcm_run(struct soft *s, struct key *k, int enc, const uint8_t *iv,
		      size_t iv_len, const uint8_t *aad, size_t aad_len, const uint8_t *in,
		      size_t in_len, uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	EVP_CIPHER_CTX *ctx = NULL;

	TE_ENSURE(iv_len == TE_HSM_GCM_IV_LEN, TE_ERR_INVALID_ARG,
		  "AES-256-GCM needs a %d-byte IV, not %zu", TE_HSM_GCM_IV_LEN, iv_len);
	ctx = pool_take(k);
	if (ctx != NULL) {
		/* No key: the context keeps its key schedule, takes the new IV
		 * and direction, and starts a fresh message. */
		TE_GUARD_OSSL(EVP_CipherInit_ex2(ctx, NULL, NULL, iv, enc, NULL), "GCM restart");
	} else {
		ctx = EVP_CIPHER_CTX_new();
		TE_GUARD_PTR(ctx, TE_ERR_NO_MEMORY, "out of memory");
		TE_GUARD_OSSL(EVP_CipherInit_ex2(ctx, s->gcm, k->secret, iv, enc, NULL), "GCM init");
	}
	TE_GUARD(te_hsm_gcm_message(ctx, enc, k->name, aad, aad_len, in, in_len, out, out_len));
	/* Only a context that finished a message cleanly goes back. */
	ctx = pool_give(k, ctx);
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static te_err oaep_run(const struct key *k, int enc, const uint8_t *in, size_t in_len,
		       uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	size_t need = (size_t)EVP_PKEY_get_size(k->pkey), n = need;
	uint8_t *tmp = NULL;
	int r;

	TE_GUARD_PTR(pctx, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD_OSSL(enc ? EVP_PKEY_encrypt_init(pctx) : EVP_PKEY_decrypt_init(pctx),
		      "OAEP init");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING), "OAEP padding");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()), "OAEP digest");
	TE_GUARD_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), "OAEP MGF1 digest");
	tmp = malloc(need);
	TE_GUARD_PTR(tmp, TE_ERR_NO_MEMORY, "out of memory");
	if (enc) {
		TE_ENSURE(in_len <= need - 66, TE_ERR_INVALID_ARG,
			  "RSA-OAEP with key '%s' takes at most %zu bytes, not %zu", k->name,
			  need - 66, in_len);
		r = EVP_PKEY_encrypt(pctx, tmp, &n, in, in_len);
	} else {
		r = EVP_PKEY_decrypt(pctx, tmp, &n, in, in_len);
	}
	if (r <= 0) {
		ERR_clear_error();
		rc = te_err_set(enc ? TE_ERR_CRYPTO : TE_ERR_DECRYPT_FAILED,
				"RSA-OAEP %s with key '%s' failed", enc ? "encryption" : "decryption",
				k->name);
		goto out;
	}
	if (*out_len < n) {
		*out_len = n;
		TE_ENSURE(0, TE_ERR_BUFFER_TOO_SMALL, "output needs %zu bytes", n);
	}
	memcpy(out, tmp, n);
	*out_len = n;
out:
	if (tmp != NULL) {
		te_memzero(tmp, need);
		free(tmp);
	}
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

static te_err soft_crypt(struct soft *s, int enc, const char *name, te_hsm_alg alg,
		    const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
		    const void *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	te_err rc = TE_OK;
	struct key *k = NULL;

	TE_GUARD(key_get(s, name, &k));
	TE_GUARD(te_hsm_policy_usage(k->name, k->meta.usage, TE_HSM_USAGE_ENCRYPT,
				     enc ? "encrypt" : "decrypt"));
	TE_GUARD(te_hsm_policy_crypt_alg(k->name, k->meta.type, alg, &alg));
	if (alg == TE_HSM_ALG_AES_256_GCM) {
		TE_GUARD(gcm_run(s, k, enc, iv, iv_len, aad, aad_len, in, in_len, out, out_len));
		goto out;
	}
	TE_ENSURE(iv_len == 0 && aad_len == 0, TE_ERR_INVALID_ARG,
		  "RSA-OAEP takes no IV and no AAD");
	TE_GUARD(oaep_run(k, enc, in, in_len, out, out_len));
out:
	key_put(k);
	return rc;
}

static te_err soft_encrypt(void *st, const char *name, te_hsm_alg alg, const uint8_t *iv,
			   size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
			   size_t in_len, uint8_t *out, size_t *out_len)
{
	return soft_crypt(st, 1, name, alg, iv, iv_len, aad, aad_len, in, in_len, out, out_len);
}

static te_err soft_decrypt(void *st, const char *name, te_hsm_alg alg, const uint8_t *iv,
			   size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
			   size_t in_len, uint8_t *out, size_t *out_len)
{
	return soft_crypt(st, 0, name, alg, iv, iv_len, aad, aad_len, in, in_len, out, out_len);
}

static te_err soft_derive(void *st, const char *base, const void *data, size_t data_len,
			  const char *name, const te_hsm_key_attrs *attrs)
{
	struct soft *s = st;
	te_err rc = TE_OK;
	struct key *k = NULL;
	te_hsm_key_attrs a = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_keyfile_meta meta;
	uint8_t derived[32];

	if (attrs != NULL) {
		a.usage = attrs->usage ? attrs->usage : TE_HSM_USAGE_SIGN;
		a.exportable = attrs->exportable;
	}
	TE_GUARD(key_get(s, base, &k));
	TE_GUARD(te_hsm_policy_usage(k->name, k->meta.usage, TE_HSM_USAGE_DERIVE, "derive keys"));
	TE_ENSURE(k->meta.type == TE_HSM_KEY_HMAC_SHA256, TE_ERR_UNSUPPORTED,
		  "key '%s' (%s) cannot derive keys; only hmac-sha256 keys can", base,
		  te_hsm_key_type_name(k->meta.type));
	TE_GUARD(hmac_compute(k, data, data_len, derived));
	TE_GUARD(meta_from_attrs(&a, TE_HSM_KEY_HMAC_SHA256, &meta));
	TE_GUARD(key_store(s, name, &meta, derived, sizeof(derived)));
out:
	te_memzero(derived, sizeof(derived));
	key_put(k);
	return rc;
}

static te_err soft_random(void *st, void *buf, size_t n)
{
	te_err rc = TE_OK;

	if (n > 0)
		TE_GUARD_OSSL(RAND_bytes(buf, (int)n), "random bytes");
out:
	return rc;
}

static te_err soft_key_evp(void *st, const char *name, EVP_PKEY **out)
{
	te_err rc = TE_OK;
	struct key *k = NULL;

	TE_GUARD(key_get(st, name, &k));
	TE_GUARD(need_asym(k));
	TE_GUARD_OSSL(EVP_PKEY_up_ref(k->pkey), "key reference");
	*out = k->pkey;
out:
	key_put(k);
	return rc;
}

/* --- open and close --------------------------------------------------------- */

static int dir_is_empty_of_keys(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int empty = 1;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (empty && (de = readdir(d)) != NULL)
		empty = de->d_name[0] == '.';
	closedir(d);
	return empty;
}

/* Makes a new master key file, atomically.  The caller holds the lock. */
static te_err master_create(struct soft *s)
{
	te_err rc = TE_OK;
	uint8_t key[TE_MASTER_KEY_LEN];
	const uint8_t *image = key;
	size_t image_len = sizeof(key);
	uint8_t *sealed_key = NULL;
	te_buf sealed;
	char *dir = NULL, *slash;
	const char *base;
	int dfd = -1;

	te_buf_init(&sealed, 0);
	TE_ENSURE(dir_is_empty_of_keys(s->keys_fd), TE_ERR_NOT_FOUND,
		  "master key file '%s' is missing but key store '%s' holds keys sealed under it; "
		  "refusing to make a new one (restore the file or point master_key_file at it)",
		  s->master_path, s->store);
	if (s->master_tcti != NULL) {
		/* Sealed to the TPM: the file holds the TPM's blob, never the
		 * key; master_load unseals it like any later open does. */
		TE_GUARD(te_tpm_seal_master(s->master_tcti, TE_MASTER_KEY_LEN, &sealed,
					    &sealed_key));
		image = sealed.data;
		image_len = sealed.len;
	} else {
		TE_GUARD_OSSL(RAND_priv_bytes(key, sizeof(key)), "random master key");
	}
	dir = strdup(s->master_path);
	TE_ENSURE(dir != NULL, TE_ERR_NO_MEMORY, "out of memory");
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		base = s->master_path;
		dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		*slash = '\0';
		base = s->master_path + (slash - dir) + 1;
		dfd = open(slash == dir ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	TE_ENSURE(dfd >= 0, TE_ERR_IO, "cannot open the directory of master key '%s': %s",
		  s->master_path, strerror(errno));
	TE_GUARD(te_file_write_at(dfd, base, image, image_len, 0600));
out:
	te_memzero(key, sizeof(key));
	te_secure_free(sealed_key);
	te_buf_free(&sealed);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}

static te_err master_load(struct soft *s)
{
	te_err rc = TE_OK;
	struct stat st;
	int fd = -1;
	size_t got = 0;
	uint8_t magic[4];
	te_buf sealed;

	te_buf_init(&sealed, 0);

	fd = open(s->master_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		TE_ENSURE(lock_ex(s) == 0, TE_ERR_IO, "cannot lock key store: %s", strerror(errno));
		fd = open(s->master_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			rc = master_create(s);
			if (rc == TE_OK)
				fd = open(s->master_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		}
		unlock_ex(s);
		TE_GUARD(rc);
	}
	TE_ENSURE(fd >= 0, TE_ERR_IO, "cannot open master key '%s': %s", s->master_path,
		  strerror(errno));
	TE_ENSURE(fstat(fd, &st) == 0, TE_ERR_IO, "cannot stat '%s'", s->master_path);
	TE_ENSURE((st.st_mode & 0077) == 0, TE_ERR_PERMISSION,
		  "master key '%s' has mode %03o; it must be 0600 (chmod 600 '%s')",
		  s->master_path, (unsigned)(st.st_mode & 0777), s->master_path);
	if (s->master_tcti != NULL) {
		TE_ENSURE(S_ISREG(st.st_mode) && st.st_size > 0 &&
				  st.st_size <= TE_TPM_SEAL_FILE_MAX,
			  TE_ERR_MALFORMED,
			  "sealed master key '%s' must be a regular file of 1..%d bytes",
			  s->master_path, TE_TPM_SEAL_FILE_MAX);
		TE_GUARD(te_buf_reserve(&sealed, (size_t)st.st_size));
		while (sealed.len < (size_t)st.st_size) {
			ssize_t r = read(fd, sealed.data + sealed.len, (size_t)st.st_size - sealed.len);
			if (r < 0 && errno == EINTR)
				continue;
			TE_ENSURE(r > 0, TE_ERR_IO, "cannot read master key '%s'", s->master_path);
			sealed.len += (size_t)r;
		}
		TE_GUARD(te_tpm_unseal_master(s->master_tcti, s->master_path, sealed.data, sealed.len,
					      TE_MASTER_KEY_LEN, &s->master));
		goto out;
	}
	/* A sealed file without master_key_tcti: say so, not just "size". */
	TE_ENSURE(!(S_ISREG(st.st_mode) && st.st_size > 4 && pread(fd, magic, 4, 0) == 4 &&
		    memcmp(magic, "TEMS", 4) == 0),
		  TE_ERR_CONFIG,
		  "master key '%s' is sealed to a TPM: set master_key_tcti to the TPM's tcti",
		  s->master_path);
	TE_ENSURE(S_ISREG(st.st_mode) && st.st_size == TE_MASTER_KEY_LEN, TE_ERR_MALFORMED,
		  "master key '%s' must be a regular file of %d bytes", s->master_path,
		  TE_MASTER_KEY_LEN);
	s->master = te_secure_alloc(TE_MASTER_KEY_LEN);
	TE_ENSURE(s->master != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
	while (got < TE_MASTER_KEY_LEN) {
		ssize_t r = read(fd, s->master + got, TE_MASTER_KEY_LEN - got);
		if (r < 0 && errno == EINTR)
			continue;
		TE_ENSURE(r > 0, TE_ERR_IO, "cannot read master key '%s'", s->master_path);
		got += (size_t)r;
	}
out:
	te_buf_free(&sealed);
	if (fd >= 0)
		close(fd);
	return rc;
}

static te_err generation_map(struct soft *s)
{
	te_err rc = TE_OK;
	char *path = NULL;
	struct stat st;
	int fd = -1;
	void *map;

	TE_ENSURE(asprintf(&path, "%s/.generation", s->store) > 0, TE_ERR_NO_MEMORY,
		  "out of memory");
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	TE_ENSURE(fd >= 0, TE_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	TE_ENSURE(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), TE_ERR_IO, "bad file '%s'", path);
	/* Growing the file is harmless if two processes race: both extend it
	 * to the same size with zeros. */
	if (st.st_size < (off_t)sizeof(uint64_t))
		TE_ENSURE(ftruncate(fd, sizeof(uint64_t)) == 0, TE_ERR_IO, "cannot size '%s': %s",
			  path, strerror(errno));
	map = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TE_ENSURE(map != MAP_FAILED, TE_ERR_IO, "cannot map '%s': %s", path, strerror(errno));
	s->generation = map;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static void soft_close(void *st)
{
	struct soft *s = st;

	if (s == NULL)
		return;
	cache_flush_locked(s);
	if (s->generation != NULL)
		munmap(s->generation, sizeof(uint64_t));
	if (s->keys_fd >= 0)
		close(s->keys_fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	te_secure_free(s->master);
	EVP_MAC_free(s->hmac);
	EVP_CIPHER_free(s->gcm);
	pthread_mutex_destroy(&s->write_mu);
	pthread_mutex_destroy(&s->cache_mu);
	free(s->store);
	free(s->master_path);
	free(s);
}

static te_err soft_open(const te_hsm_setting *settings, size_t n, void **state)
{
	te_err rc = TE_OK;
	struct soft *s = calloc(1, sizeof(*s));
	const char *store = NULL, *master = NULL;
	char *path = NULL;

	TE_ENSURE(s != NULL, TE_ERR_NO_MEMORY, "out of memory");
	s->keys_fd = s->lock_fd = -1;
	pthread_mutex_init(&s->write_mu, NULL);
	pthread_mutex_init(&s->cache_mu, NULL);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(settings[i].key, "store") == 0)
			store = settings[i].value;
		else if (strcmp(settings[i].key, "master_key_file") == 0)
			master = settings[i].value;
		else if (strcmp(settings[i].key, "master_key_tcti") == 0)
			s->master_tcti = settings[i].value;
	}
	TE_ENSURE(store != NULL && store[0] != '\0', TE_ERR_CONFIG,
		  "the soft backend needs the 'store' setting (a directory for keys)");
	TE_ENSURE(master == NULL || master[0] != '\0', TE_ERR_CONFIG,
		  "setting 'master_key_file' is empty");
	s->store = strdup(store);
	TE_ENSURE(s->store != NULL, TE_ERR_NO_MEMORY, "out of memory");
	if (master != NULL)
		s->master_path = strdup(master);
	else if (asprintf(&s->master_path, "%s/master.key", store) < 0)
		s->master_path = NULL;
	TE_ENSURE(s->master_path != NULL, TE_ERR_NO_MEMORY, "out of memory");

	TE_GUARD(te_file_private_dir(store));
	TE_ENSURE(asprintf(&path, "%s/keys", store) > 0, TE_ERR_NO_MEMORY, "out of memory");
	TE_GUARD(te_file_private_dir(path));
	s->keys_fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	TE_ENSURE(s->keys_fd >= 0, TE_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	free(path);
	TE_ENSURE(asprintf(&path, "%s/.lock", store) > 0, TE_ERR_NO_MEMORY, "out of memory");
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	TE_ENSURE(s->lock_fd >= 0, TE_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	TE_GUARD(generation_map(s));
	TE_GUARD(master_load(s));
	s->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	s->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	TE_ENSURE(s->hmac != NULL && s->gcm != NULL, TE_ERR_UNSUPPORTED,
		  "OpenSSL lacks HMAC or AES-256-GCM (check the provider configuration)");
	s->cache_gen = generation_read(s);
	*state = s;
	s = NULL;
out:
	free(path);
	soft_close(s);
	return rc;
}

const te_hsm_backend_ops te_hsm_soft_ops = {
	.version = TE_HSM_BACKEND_OPS_V1,
	.name = "soft",
	.settings = soft_settings,
	.uri_scheme = NULL,
	.open = soft_open,
	.close = soft_close,
	.key_create = soft_key_create,
	.key_import = soft_key_import,
	.key_delete = soft_key_delete,
	.key_info = soft_key_info,
	.key_list = soft_key_list,
	.key_public = soft_key_public,
	.key_export = soft_key_export,
	.sign = soft_sign,
	.verify = soft_verify,
	.encrypt = soft_encrypt,
	.decrypt = soft_decrypt,
	.derive = soft_derive,
	.random = soft_random,
	.key_evp = soft_key_evp,
};
