/*
 * store.c - the certificate store: one small JSON file per certificate id
 * in a private directory (see te_cert.h).
 *
 * Layout (the directory is 0700, entry files 0600):
 *   <dir>/<id>.cert        {"version":1,"key":"<key name or empty>","pem":"<PEM>"}
 *   <dir>/.tmp-<id>.cert   a write in progress (or left by a killed writer)
 *   <dir>/.lock            flock(2): writers hold it exclusively
 *
 * Certificates are public, but the files still get 0600: the directory is
 * private anyway, and the key reference says which HSM key belongs to
 * which identity, which nobody else needs to learn.
 *
 * The certificate and the name of its key sit in one file, so replacing an
 * entry switches both with one rename: a renewal that rotates the key can
 * be killed at any moment and the entry still names the key it was issued
 * for.  Readers take no lock (a rename is atomic); writers take the flock.
 *
 * Entry files are untrusted input: bounded in size and parsed strictly.
 * The PEM is only checked to look like certificates; parsing X.509 is the
 * caller's business (te_cert_pem_parse).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "common/te_file.h"
#include "trustedge/te_cert.h"

#define ENTRY_SUFFIX ".cert"
#define LOCK_NAME ".lock"
#define ENTRY_VERSION 1
#define ENTRY_MODE 0600
#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
/* An entry file holds at most TE_CERT_PEM_MAX bytes of PEM, escaped as a
 * JSON string (PEM is base64 and newlines: "\n" or "\r\n" per 64-byte line
 * grow it by a few percent), plus the key name and the framing. */
#define ENTRY_FILE_MAX (TE_CERT_PEM_MAX + TE_CERT_PEM_MAX / 16 + 4096)
/* "<id>.cert" and ".tmp-<id>.cert" both fit. */
#define FILE_NAME_MAX (TE_HSM_NAME_MAX + 32)

struct te_cert_store {
	char *dir;
	int dir_fd;
	/* Writers in this process queue here before taking the flock; the lock
	 * file is opened per write, so the flock also serialises threads and
	 * processes that inherited the store across fork(). */
	pthread_mutex_t write_mu;
};

static te_err id_check(const te_cert_store *st, const char *id)
{
	if (te_hsm_name_check(id) != TE_OK)
		return te_err_set(TE_ERR_BAD_NAME, "certificate id '%.*s' in store '%s': %s",
				  TE_HSM_NAME_MAX + 1, id ? id : "", st->dir, te_err_detail());
	return TE_OK;
}

static void entry_file_name(const char *id, char out[FILE_NAME_MAX])
{
	/* id passed id_check, so it fits. */
	(void)snprintf(out, FILE_NAME_MAX, "%s" ENTRY_SUFFIX, id);
}

/* Takes the writers' lock: the mutex, then an exclusive flock on .lock.
 * Returns the lock file's descriptor, which write_unlock closes. */
static te_err write_lock(te_cert_store *st, int *lock_fd)
{
	te_err rc = TE_OK;
	int fd;

	pthread_mutex_lock(&st->write_mu);
	fd = openat(st->dir_fd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	TE_ENSURE(fd >= 0, TE_ERR_IO, "cannot open the lock of certificate store '%s': %s",
		  st->dir, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		TE_ENSURE(errno == EINTR, TE_ERR_IO, "cannot lock certificate store '%s': %s",
			  st->dir, strerror(errno));
	}
	*lock_fd = fd;
	fd = -1;
out:
	if (rc != TE_OK) {
		if (fd >= 0)
			close(fd);
		pthread_mutex_unlock(&st->write_mu);
	}
	return rc;
}

static void write_unlock(te_cert_store *st, int lock_fd)
{
	/* Closing the only descriptor of the open file drops the flock. */
	close(lock_fd);
	pthread_mutex_unlock(&st->write_mu);
}

/* What an entry's PEM must look like, on the way in and on the way out:
 * no NUL inside, bounded, at least one certificate block. */
static te_err pem_check(const te_cert_store *st, const char *id, const char *pem, size_t len)
{
	if (len == 0)
		return te_err_set(TE_ERR_MALFORMED, "certificate '%s' in store '%s': empty PEM", id,
				  st->dir);
	if (len > TE_CERT_PEM_MAX)
		return te_err_set(TE_ERR_MALFORMED,
				  "certificate '%s' in store '%s': PEM of %zu bytes is more than "
				  "the %u allowed",
				  id, st->dir, len, TE_CERT_PEM_MAX);
	if (memchr(pem, '\0', len) != NULL)
		return te_err_set(TE_ERR_MALFORMED,
				  "certificate '%s' in store '%s': PEM contains a NUL byte", id,
				  st->dir);
	if (memmem(pem, len, PEM_CERT_BEGIN, strlen(PEM_CERT_BEGIN)) == NULL)
		return te_err_set(TE_ERR_MALFORMED,
				  "certificate '%s' in store '%s': no '" PEM_CERT_BEGIN "' in the PEM",
				  id, st->dir);
	return TE_OK;
}

te_err te_cert_store_open(const char *dir, te_cert_store **out)
{
	te_err rc = TE_OK;
	te_cert_store *st = NULL;

	TE_ENSURE(dir != NULL && dir[0] != '\0' && out != NULL, TE_ERR_INVALID_ARG,
		  "certificate store: no directory given");
	TE_GUARD(te_file_private_dir(dir));
	st = calloc(1, sizeof(*st));
	TE_ENSURE(st != NULL, TE_ERR_NO_MEMORY, "out of memory");
	st->dir_fd = -1;
	st->dir = strdup(dir);
	TE_ENSURE(st->dir != NULL, TE_ERR_NO_MEMORY, "out of memory");
	st->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	TE_ENSURE(st->dir_fd >= 0, TE_ERR_IO, "cannot open certificate store '%s': %s", dir,
		  strerror(errno));
	TE_ENSURE(pthread_mutex_init(&st->write_mu, NULL) == 0, TE_ERR_NO_MEMORY,
		  "cannot make a mutex for certificate store '%s'", dir);
	*out = st;
	st = NULL;
out:
	if (st != NULL) {
		if (st->dir_fd >= 0)
			close(st->dir_fd);
		free(st->dir);
		free(st);
	}
	return rc;
}

void te_cert_store_close(te_cert_store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_destroy(&st->write_mu);
	close(st->dir_fd);
	free(st->dir);
	free(st);
}

te_err te_cert_store_put(te_cert_store *st, const char *id, const char *pem, size_t len,
			 const char *key_name)
{
	te_err rc = TE_OK;
	char fname[FILE_NAME_MAX];
	json_t *doc = NULL;
	char *text = NULL;
	size_t text_len;
	int lock_fd = -1;

	TE_ENSURE(st != NULL && pem != NULL, TE_ERR_INVALID_ARG, "certificate store: missing argument");
	TE_GUARD(id_check(st, id));
	TE_GUARD(pem_check(st, id, pem, len));
	if (key_name != NULL && key_name[0] != '\0' && te_hsm_name_check(key_name) != TE_OK) {
		rc = te_err_set(TE_ERR_BAD_NAME, "certificate '%s' in store '%s': key name: %s", id,
				st->dir, te_err_detail());
		goto out;
	}
	/* json_stringn refuses text that is not UTF-8. */
	doc = json_pack("{s:i, s:s, s:s%}", "version", ENTRY_VERSION, "key",
			key_name != NULL ? key_name : "", "pem", pem, len);
	TE_ENSURE(doc != NULL, TE_ERR_MALFORMED,
		  "certificate '%s' in store '%s': the PEM is not valid UTF-8 text", id, st->dir);
	text = json_dumps(doc, JSON_COMPACT);
	TE_ENSURE(text != NULL, TE_ERR_NO_MEMORY, "out of memory");
	text_len = strlen(text);
	/* Whatever is written must be readable again. */
	TE_ENSURE(text_len <= ENTRY_FILE_MAX, TE_ERR_INVALID_ARG,
		  "certificate '%s' in store '%s': the entry would be %zu bytes, more than the "
		  "%u a store file can be",
		  id, st->dir, text_len, (unsigned)ENTRY_FILE_MAX);

	entry_file_name(id, fname);
	TE_GUARD(write_lock(st, &lock_fd));
	rc = te_file_write_at(st->dir_fd, fname, text, text_len, ENTRY_MODE);
	write_unlock(st, lock_fd);
	if (rc != TE_OK)
		rc = te_err_set(rc, "cannot store certificate '%s' in '%s': %s", id, st->dir,
				te_err_detail());
out:
	if (text != NULL) {
		/* json_dumps allocates with jansson's allocator, which an
		 * application may have replaced (the CLI wipes freed blocks). */
		json_free_t jfree = NULL;
		json_get_alloc_funcs(NULL, &jfree);
		jfree(text);
	}
	json_decref(doc);
	return rc;
}

/* Parses an entry file's text into its PEM (malloc'd) and key name. */
static te_err entry_parse(const te_cert_store *st, const char *id, const te_buf *file,
			  char **pem, size_t *pem_len, char key_name[TE_HSM_NAME_MAX + 1])
{
	te_err rc = TE_OK;
	json_error_t jerr;
	json_t *doc, *version, *key, *jpem;
	const char *member;
	json_t *value;
	const char *k;
	size_t klen, plen;
	char *copy = NULL;

	/* Duplicates would let two readers see two different entries. */
	doc = json_loadb((const char *)file->data, file->len, JSON_REJECT_DUPLICATES, &jerr);
	TE_ENSURE(doc != NULL, TE_ERR_MALFORMED,
		  "certificate '%s' in store '%s' is damaged: not JSON (%s at byte %d)", id,
		  st->dir, jerr.text, jerr.position);
	TE_ENSURE(json_is_object(doc), TE_ERR_MALFORMED,
		  "certificate '%s' in store '%s' is damaged: not a JSON object", id, st->dir);
	version = json_object_get(doc, "version");
	TE_ENSURE(json_is_integer(version), TE_ERR_MALFORMED,
		  "certificate '%s' in store '%s' is damaged: no version", id, st->dir);
	/* A newer format is refused, not guessed at: downgrading trustedge
	 * over a store it already upgraded must not silently misread it. */
	TE_ENSURE(json_integer_value(version) == ENTRY_VERSION, TE_ERR_UNSUPPORTED,
		  "certificate '%s' in store '%s' has format version %lld; this trustedge reads "
		  "version %d only",
		  id, st->dir, (long long)json_integer_value(version), ENTRY_VERSION);
	json_object_foreach(doc, member, value)
	{
		TE_ENSURE(strcmp(member, "version") == 0 || strcmp(member, "key") == 0 ||
				  strcmp(member, "pem") == 0,
			  TE_ERR_MALFORMED,
			  "certificate '%s' in store '%s' is damaged: unknown member '%.32s'", id,
			  st->dir, member);
	}
	key = json_object_get(doc, "key");
	jpem = json_object_get(doc, "pem");
	TE_ENSURE(json_is_string(key), TE_ERR_MALFORMED,
		  "certificate '%s' in store '%s' is damaged: no key name", id, st->dir);
	TE_ENSURE(json_is_string(jpem), TE_ERR_MALFORMED,
		  "certificate '%s' in store '%s' is damaged: no PEM", id, st->dir);
	k = json_string_value(key);
	klen = json_string_length(key);
	TE_ENSURE(klen == strlen(k), TE_ERR_MALFORMED,
		  "certificate '%s' in store '%s' is damaged: NUL in the key name", id, st->dir);
	if (klen > 0 && te_hsm_name_check(k) != TE_OK) {
		rc = te_err_set(TE_ERR_MALFORMED,
				"certificate '%s' in store '%s' is damaged: key name: %s", id,
				st->dir, te_err_detail());
		goto out;
	}
	plen = json_string_length(jpem);
	TE_GUARD(pem_check(st, id, json_string_value(jpem), plen));
	copy = malloc(plen + 1);
	TE_ENSURE(copy != NULL, TE_ERR_NO_MEMORY, "out of memory");
	memcpy(copy, json_string_value(jpem), plen + 1);
	if (key_name != NULL)
		memcpy(key_name, k, klen + 1);
	*pem = copy;
	*pem_len = plen;
	copy = NULL;
out:
	free(copy);
	json_decref(doc);
	return rc;
}

te_err te_cert_store_get(te_cert_store *st, const char *id, char **pem, size_t *len,
			 char key_name[TE_HSM_NAME_MAX + 1])
{
	te_err rc = TE_OK;
	char fname[FILE_NAME_MAX];
	te_buf file;

	te_buf_init(&file, 0);
	TE_ENSURE(st != NULL && pem != NULL && len != NULL, TE_ERR_INVALID_ARG,
		  "certificate store: missing argument");
	TE_GUARD(id_check(st, id));
	entry_file_name(id, fname);
	rc = te_file_read_at(st->dir_fd, fname, fname, ENTRY_FILE_MAX, &file);
	if (rc == TE_ERR_NOT_FOUND) {
		rc = te_err_set(rc, "certificate '%s' is not in store '%s'", id, st->dir);
		goto out;
	}
	if (rc != TE_OK) {
		rc = te_err_set(rc, "cannot read certificate '%s' in store '%s': %s", id, st->dir,
				te_err_detail());
		goto out;
	}
	TE_GUARD(entry_parse(st, id, &file, pem, len, key_name));
out:
	te_buf_free(&file);
	return rc;
}

te_err te_cert_store_delete(te_cert_store *st, const char *id)
{
	te_err rc = TE_OK;
	char fname[FILE_NAME_MAX];
	int lock_fd = -1;

	TE_ENSURE(st != NULL, TE_ERR_INVALID_ARG, "certificate store: missing argument");
	TE_GUARD(id_check(st, id));
	entry_file_name(id, fname);
	TE_GUARD(write_lock(st, &lock_fd));
	rc = te_file_remove_at(st->dir_fd, fname);
	write_unlock(st, lock_fd);
	if (rc == TE_ERR_NOT_FOUND)
		rc = te_err_set(rc, "certificate '%s' is not in store '%s'", id, st->dir);
	else if (rc != TE_OK)
		rc = te_err_set(rc, "cannot delete certificate '%s' from store '%s': %s", id,
				st->dir, te_err_detail());
out:
	return rc;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The id of an entry file name, or 0 when the name is not an entry (temp
 * and lock files, anything dropped into the directory by hand). */
static int entry_id(const char *fname, char id[TE_HSM_NAME_MAX + 1])
{
	size_t len = strlen(fname), slen = strlen(ENTRY_SUFFIX);

	if (fname[0] == '.' || len <= slen || len - slen > TE_HSM_NAME_MAX ||
	    strcmp(fname + len - slen, ENTRY_SUFFIX) != 0)
		return 0;
	memcpy(id, fname, len - slen);
	id[len - slen] = '\0';
	return te_hsm_name_check(id) == TE_OK;
}

te_err te_cert_store_list(te_cert_store *st, char ***ids, size_t *count)
{
	te_err rc = TE_OK;
	char **list = NULL;
	size_t n = 0, cap = 0;
	DIR *dir = NULL;
	struct dirent *de;
	int dfd = -1;

	TE_ENSURE(st != NULL && ids != NULL && count != NULL, TE_ERR_INVALID_ARG,
		  "certificate store: missing argument");
	/* A descriptor of its own: readdir moves the offset of the one it
	 * reads, and st->dir_fd is shared by every caller. */
	dfd = openat(st->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	TE_ENSURE(dfd >= 0, TE_ERR_IO, "cannot open certificate store '%s': %s", st->dir,
		  strerror(errno));
	dir = fdopendir(dfd);
	TE_ENSURE(dir != NULL, TE_ERR_IO, "cannot read certificate store '%s': %s", st->dir,
		  strerror(errno));
	dfd = -1;
	for (;;) {
		char id[TE_HSM_NAME_MAX + 1];

		errno = 0;
		de = readdir(dir);
		if (de == NULL)
			break;
		if (!entry_id(de->d_name, id))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nl = realloc(list, ncap * sizeof(*list));
			TE_ENSURE(nl != NULL, TE_ERR_NO_MEMORY, "out of memory");
			list = nl;
			cap = ncap;
		}
		list[n] = strdup(id);
		TE_ENSURE(list[n] != NULL, TE_ERR_NO_MEMORY, "out of memory");
		n++;
	}
	TE_ENSURE(errno == 0, TE_ERR_IO, "cannot read certificate store '%s': %s", st->dir,
		  strerror(errno));
	if (n > 1)
		qsort(list, n, sizeof(*list), id_cmp);
	*ids = list;
	*count = n;
	list = NULL;
	n = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	if (dir != NULL)
		closedir(dir);
	if (dfd >= 0)
		close(dfd);
	return rc;
}
