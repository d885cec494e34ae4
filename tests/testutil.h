/*
 * testutil.h - small helpers shared by the C tests: temp directories that
 * are always removed, files, and running a program without a shell.
 */
#ifndef TRUSTEDGE_TESTUTIL_H
#define TRUSTEDGE_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Creates a fresh directory under $TMPDIR (or /tmp); returns a malloc'd
 * path.  Aborts the test program on failure. */
char *tu_tempdir(const char *tag);
/* Removes a directory tree (like rm -rf) and frees path. */
void tu_rmtree(char *path);
/* Joins dir and name into a malloc'd path. */
char *tu_path(const char *dir, const char *name);
/* Writes n bytes to path (0600), truncating.  0 on success. */
int tu_write_file(const char *path, const void *data, size_t n);
/* Reads a whole file into a malloc'd buffer.  0 on success. */
int tu_read_file(const char *path, uint8_t **data, size_t *n);
/* Runs argv (argv[0] looked up in PATH) with stdout/stderr sent to
 * /dev/null unless verbose; returns the exit status, or -1 if it could not
 * run or died from a signal. */
int tu_run(char *const argv[]);
/* Like tu_run but captures stdout into *out (malloc'd, NUL-terminated). */
int tu_run_capture(char *const argv[], char **out);
/* Decodes a hex string into a malloc'd buffer; aborts on bad input. */
uint8_t *tu_hex(const char *hex, size_t *n);
/* 1 when program is found in PATH. */
int tu_have_program(const char *name);

#endif
