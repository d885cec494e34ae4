/*
 * error.c - owns the names and sentences of te_err codes and the
 * thread-local detail string that travels with the last error set on a
 * thread.
 */
#include "trustedge/te_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

/* Long enough for a path, a key name and a few OpenSSL reasons; longer
 * details are cut, never overrun. */
#define TE_ERR_DETAIL_MAX 512
/* OpenSSL queues can be long; the first few entries say what went wrong. */
#define TE_ERR_OSSL_MAX_ENTRIES 4

static _Thread_local char te_err_detail_buf[TE_ERR_DETAIL_MAX];

const char *te_err_name(te_err err)
{
	switch (err) {
	case TE_OK:
		return "TE_OK";
	case TE_ERR_INVALID_ARG:
		return "TE_ERR_INVALID_ARG";
	case TE_ERR_NO_MEMORY:
		return "TE_ERR_NO_MEMORY";
	case TE_ERR_NOT_FOUND:
		return "TE_ERR_NOT_FOUND";
	case TE_ERR_EXISTS:
		return "TE_ERR_EXISTS";
	case TE_ERR_BAD_NAME:
		return "TE_ERR_BAD_NAME";
	case TE_ERR_UNSUPPORTED:
		return "TE_ERR_UNSUPPORTED";
	case TE_ERR_PERMISSION:
		return "TE_ERR_PERMISSION";
	case TE_ERR_BUFFER_TOO_SMALL:
		return "TE_ERR_BUFFER_TOO_SMALL";
	case TE_ERR_TRUNCATED:
		return "TE_ERR_TRUNCATED";
	case TE_ERR_MALFORMED:
		return "TE_ERR_MALFORMED";
	case TE_ERR_TAMPERED:
		return "TE_ERR_TAMPERED";
	case TE_ERR_VERIFY_FAILED:
		return "TE_ERR_VERIFY_FAILED";
	case TE_ERR_DECRYPT_FAILED:
		return "TE_ERR_DECRYPT_FAILED";
	case TE_ERR_IO:
		return "TE_ERR_IO";
	case TE_ERR_CRYPTO:
		return "TE_ERR_CRYPTO";
	case TE_ERR_CONFIG:
		return "TE_ERR_CONFIG";
	case TE_ERR_BUSY:
		return "TE_ERR_BUSY";
	case TE_ERR_INTERNAL:
		return "TE_ERR_INTERNAL";
	case TE_ERR__COUNT:
	default:
		return "TE_ERR_UNKNOWN";
	}
}

const char *te_err_str(te_err err)
{
	switch (err) {
	case TE_OK:
		return "success";
	case TE_ERR_INVALID_ARG:
		return "invalid argument";
	case TE_ERR_NO_MEMORY:
		return "out of memory";
	case TE_ERR_NOT_FOUND:
		return "not found";
	case TE_ERR_EXISTS:
		return "already exists";
	case TE_ERR_BAD_NAME:
		return "invalid name";
	case TE_ERR_UNSUPPORTED:
		return "not supported";
	case TE_ERR_PERMISSION:
		return "permission denied";
	case TE_ERR_BUFFER_TOO_SMALL:
		return "buffer too small";
	case TE_ERR_TRUNCATED:
		return "input truncated";
	case TE_ERR_MALFORMED:
		return "malformed input";
	case TE_ERR_TAMPERED:
		return "stored data failed authentication";
	case TE_ERR_VERIFY_FAILED:
		return "verification failed";
	case TE_ERR_DECRYPT_FAILED:
		return "decryption failed";
	case TE_ERR_IO:
		return "I/O error";
	case TE_ERR_CRYPTO:
		return "cryptographic library error";
	case TE_ERR_CONFIG:
		return "invalid configuration";
	case TE_ERR_BUSY:
		return "resource busy";
	case TE_ERR_INTERNAL:
		return "internal error";
	case TE_ERR__COUNT:
	default:
		return "unknown error";
	}
}

te_err te_err_set(te_err err, const char *fmt, ...)
{
	/* Format into a temporary first: callers may pass te_err_detail()
	 * itself as an argument to wrap it with more context. */
	char tmp[TE_ERR_DETAIL_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		tmp[0] = '\0';
	memcpy(te_err_detail_buf, tmp, sizeof(te_err_detail_buf));
	return err;
}

/* Appends s at *off in the detail buffer, cutting it at the end. */
static void te_err_detail_append(size_t *off, const char *s)
{
	size_t room = sizeof(te_err_detail_buf) - *off;
	size_t n = strlen(s);

	if (room <= 1)
		return;
	if (n > room - 1)
		n = room - 1;
	memcpy(te_err_detail_buf + *off, s, n);
	*off += n;
	te_err_detail_buf[*off] = '\0';
}

te_err te_err_set_ossl(te_err err, const char *what)
{
	char line[256];
	size_t off = 0;
	unsigned long e;
	int entries = 0;

	te_err_detail_buf[0] = '\0';
	te_err_detail_append(&off, what != NULL ? what : "OpenSSL");
	while ((e = ERR_get_error()) != 0) {
		if (entries == TE_ERR_OSSL_MAX_ENTRIES)
			break; /* ERR_clear_error below drops the rest */
		ERR_error_string_n(e, line, sizeof(line));
		te_err_detail_append(&off, entries == 0 ? ": " : "; ");
		te_err_detail_append(&off, line);
		entries++;
	}
	ERR_clear_error();
	return err;
}

const char *te_err_detail(void)
{
	return te_err_detail_buf;
}

void te_err_clear(void)
{
	te_err_detail_buf[0] = '\0';
}
