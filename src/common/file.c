/*
 * file.c - private directories, bounded reads and atomic writes shared by
 * the key, blob and certificate stores (see te_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/te_file.h"

static te_err errno_err(int e, const char *what, const char *path)
{
	if (e == ENOENT)
		return te_err_set(TE_ERR_NOT_FOUND, "%s '%s': %s", what, path, strerror(e));
	if (e == EACCES || e == EPERM)
		return te_err_set(TE_ERR_IO,
				  "%s '%s': %s (check the owner and mode; it must belong to the "
				  "user running trustedge)",
				  what, path, strerror(e));
	return te_err_set(TE_ERR_IO, "%s '%s': %s", what, path, strerror(e));
}

te_err te_file_private_dir(const char *path)
{
	te_err rc = TE_OK;
	char *copy = strdup(path);
	struct stat st;

	TE_ENSURE(copy != NULL, TE_ERR_NO_MEMORY, "out of memory");
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		TE_ENSURE(mkdir(copy, 0755) == 0 || errno == EEXIST, TE_ERR_IO,
			  "cannot create directory '%s': %s", copy, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		rc = errno_err(errno, "cannot create directory", path);
		goto out;
	}
	if (lstat(path, &st) != 0) {
		rc = errno_err(errno, "cannot stat", path);
		goto out;
	}
	TE_ENSURE(S_ISDIR(st.st_mode), TE_ERR_CONFIG, "'%s' is not a directory", path);
	TE_ENSURE(st.st_uid == geteuid(), TE_ERR_PERMISSION,
		  "'%s' belongs to uid %u, not to the running user (uid %u)", path,
		  (unsigned)st.st_uid, (unsigned)geteuid());
	/* Others must not list or read what is stored; refuse rather than
	 * guess whether someone already had a look. */
	TE_ENSURE((st.st_mode & 0077) == 0, TE_ERR_PERMISSION,
		  "'%s' has mode %03o; it must be 0700 (chmod 700 '%s')", path,
		  (unsigned)(st.st_mode & 0777), path);
out:
	free(copy);
	return rc;
}

te_err te_file_read_at(int dirfd, const char *name, const char *shown, size_t max, te_buf *out)
{
	te_err rc = TE_OK;
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno_err(errno, "cannot open", shown);
	TE_ENSURE(fstat(fd, &st) == 0, TE_ERR_IO, "cannot stat '%s': %s", shown, strerror(errno));
	TE_ENSURE(S_ISREG(st.st_mode), TE_ERR_MALFORMED, "'%s' is not a regular file", shown);
	TE_ENSURE((size_t)st.st_size <= max, TE_ERR_MALFORMED,
		  "'%s' is %lld bytes, more than the %zu allowed", shown, (long long)st.st_size,
		  max);
	TE_GUARD(te_buf_reserve(out, (size_t)st.st_size + 1));
	for (;;) {
		ssize_t r = read(fd, out->data + out->len, out->cap - out->len);
		if (r < 0 && errno == EINTR)
			continue;
		TE_ENSURE(r >= 0, TE_ERR_IO, "cannot read '%s': %s", shown, strerror(errno));
		if (r == 0)
			break;
		out->len += (size_t)r;
		/* A file that grew past what fstat said is refused, not chased. */
		TE_ENSURE(out->len <= max, TE_ERR_MALFORMED, "'%s' is too large", shown);
		if (out->len == out->cap)
			TE_GUARD(te_buf_reserve(out, 1));
	}
out:
	close(fd);
	return rc;
}

static te_err write_all(int fd, const uint8_t *p, size_t n, const char *shown)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno_err(errno, "cannot write", shown);
		p += w;
		n -= (size_t)w;
	}
	return TE_OK;
}

te_err te_file_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	te_err rc = TE_OK;
	char tmp[512];
	int fd = -1;

	TE_ENSURE(snprintf(tmp, sizeof(tmp), TE_FILE_TMP_PREFIX "%s", name) < (int)sizeof(tmp),
		  TE_ERR_INVALID_ARG, "file name '%s' too long", name);
	/* A temp file left by a writer that was killed is garbage: the caller
	 * holds the writers' lock, so nobody else is writing it. */
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	TE_ENSURE(fd >= 0, TE_ERR_IO, "cannot create temp file for '%s': %s", name,
		  strerror(errno));
	TE_GUARD(write_all(fd, data, len, name));
	TE_ENSURE(fsync(fd) == 0, TE_ERR_IO, "cannot sync '%s': %s", name, strerror(errno));
	TE_ENSURE(close(fd) == 0, TE_ERR_IO, "cannot close '%s': %s", name, strerror(errno));
	fd = -1;
	TE_ENSURE(renameat(dirfd, tmp, dirfd, name) == 0, TE_ERR_IO, "cannot put '%s' in place: %s",
		  name, strerror(errno));
	TE_ENSURE(fsync(dirfd) == 0, TE_ERR_IO, "cannot sync the directory of '%s': %s", name,
		  strerror(errno));
out:
	if (fd >= 0) {
		close(fd);
		(void)unlinkat(dirfd, tmp, 0);
	}
	return rc;
}

te_err te_file_remove_at(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) != 0)
		return errno_err(errno, "cannot remove", name);
	if (fsync(dirfd) != 0)
		return te_err_set(TE_ERR_IO, "cannot sync the directory of '%s': %s", name,
				  strerror(errno));
	return TE_OK;
}
