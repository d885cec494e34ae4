/*
 * te_log.h - logging to stderr (journald picks it up) with levels.
 *
 * Lines look like `<3>trustedge: message` when stderr is the journal
 * (JOURNAL_STREAM set) and `trustedge: error: message` otherwise.  Never
 * pass a secret: key bytes, PINs, SAS keys or plaintext.
 */
#ifndef TRUSTEDGE_TE_LOG_H
#define TRUSTEDGE_TE_LOG_H

#include "trustedge/te_error.h"

typedef enum te_log_level {
	TE_LOG_ERROR = 3,
	TE_LOG_WARN = 4,
	TE_LOG_INFO = 6,
	TE_LOG_DEBUG = 7,
} te_log_level;

/* Program name shown in front of each line (default "trustedge"). */
void te_log_set_ident(const char *ident);
/* Lines above this level are dropped (default TE_LOG_INFO). */
void te_log_set_level(te_log_level level);
te_log_level te_log_get_level(void);
/* Parses "error", "warn", "info", "debug". */
te_err te_log_level_parse(const char *s, te_log_level *out) TE_MUST_CHECK;

void te_log(te_log_level level, const char *fmt, ...) TE_PRINTF(2, 3);
/* Logs "what: <te_err_str(err)>: <detail>" once, where the error leaves a
 * module or process. */
void te_log_err(te_err err, const char *what);

#define te_log_error(...) te_log(TE_LOG_ERROR, __VA_ARGS__)
#define te_log_warn(...) te_log(TE_LOG_WARN, __VA_ARGS__)
#define te_log_info(...) te_log(TE_LOG_INFO, __VA_ARGS__)
#define te_log_debug(...) te_log(TE_LOG_DEBUG, __VA_ARGS__)

#endif
