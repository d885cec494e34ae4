/*
 * te_file.h - the file operations every store in trustedge shares: private
 * directories, bounded reads of regular files, and atomic replacement
 * (temp file, fsync, rename, fsync of the directory), so a crash or kill
 * at any moment leaves the old or the new content, never a mix.
 */
#ifndef TRUSTEDGE_TE_FILE_H
#define TRUSTEDGE_TE_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "trustedge/te_mem.h"

/* Prefix of temp files; readers skip names that start with it. */
#define TE_FILE_TMP_PREFIX ".tmp-"

/* Creates path's missing parents (0755) and path itself (0700), then
 * checks that path is a directory owned by the running user with no
 * group/other access; refuses (TE_ERR_PERMISSION, saying how to fix it)
 * otherwise. */
te_err te_file_private_dir(const char *path) TE_MUST_CHECK;

/* Reads the regular file dirfd/name (symlinks refused) of at most max
 * bytes, appending to out.  `shown` names it in errors.  TE_ERR_NOT_FOUND
 * when it does not exist. */
te_err te_file_read_at(int dirfd, const char *name, const char *shown, size_t max,
		       te_buf *out) TE_MUST_CHECK;

/* Replaces dirfd/name with data atomically, mode `mode`.  The caller holds
 * whatever lock serialises writers of the directory (the temp file name
 * is fixed: TE_FILE_TMP_PREFIX + name). */
te_err te_file_write_at(int dirfd, const char *name, const void *data, size_t len,
			mode_t mode) TE_MUST_CHECK;

/* Removes dirfd/name and syncs the directory.  TE_ERR_NOT_FOUND if absent. */
te_err te_file_remove_at(int dirfd, const char *name) TE_MUST_CHECK;

#endif
