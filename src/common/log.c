/*
 * log.c - owns the log line format and the process-wide log settings
 * (ident, level).  Each line is formatted into one buffer and written
 * with a single write(2) to stderr, so lines from several threads never
 * interleave mid-line.
 */
#include "te_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A line longer than this is cut and marked with "..." */
#define TE_LOG_LINE_MAX 2048
#define TE_LOG_IDENT_MAX 64
#define TE_LOG_DEFAULT_IDENT "trustedge"

static pthread_mutex_t te_log_ident_lock = PTHREAD_MUTEX_INITIALIZER;
static char te_log_ident[TE_LOG_IDENT_MAX] = TE_LOG_DEFAULT_IDENT;
static atomic_int te_log_threshold = TE_LOG_INFO;

void te_log_set_ident(const char *ident)
{
	if (ident == NULL || ident[0] == '\0')
		ident = TE_LOG_DEFAULT_IDENT;
	pthread_mutex_lock(&te_log_ident_lock);
	snprintf(te_log_ident, sizeof(te_log_ident), "%s", ident);
	pthread_mutex_unlock(&te_log_ident_lock);
}

void te_log_set_level(te_log_level level)
{
	atomic_store(&te_log_threshold, (int)level);
}

te_log_level te_log_get_level(void)
{
	return (te_log_level)atomic_load(&te_log_threshold);
}

te_err te_log_level_parse(const char *s, te_log_level *out)
{
	static const struct {
		const char *name;
		te_log_level level;
	} names[] = {
		{"error", TE_LOG_ERROR}, {"warn", TE_LOG_WARN},	  {"warning", TE_LOG_WARN},
		{"info", TE_LOG_INFO},	 {"debug", TE_LOG_DEBUG},
	};

	if (s == NULL)
		return te_err_set(TE_ERR_INVALID_ARG, "missing log level");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return TE_OK;
		}
	}
	return te_err_set(TE_ERR_INVALID_ARG,
			  "unknown log level '%.32s' (expected error, warn, info or debug)", s);
}

static const char *te_log_level_name(te_log_level level)
{
	switch (level) {
	case TE_LOG_ERROR:
		return "error";
	case TE_LOG_WARN:
		return "warning";
	case TE_LOG_INFO:
		return "info";
	case TE_LOG_DEBUG:
		return "debug";
	default:
		return "log";
	}
}

/* Messages may carry names from requests or files: a newline or escape
 * sequence in them must not forge a second log line or drive a terminal. */
static void te_log_sanitize(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			s[i] = '?';
	}
}

static void te_log_write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to report a failing stderr */
		p += w;
		n -= (size_t)w;
	}
}
/*
 * True when stderr is the journal stream systemd connected us to.  The
 * variable is inherited by children whose stderr was redirected, so it is
 * trusted only when its "device:inode" names the stream stderr really is.
 */
static int stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev = 0, ino = 0;
	struct stat st;
	char tail;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(2, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}


static void te_log_vemit(te_log_level level, const char *fmt, va_list ap) TE_PRINTF(2, 0);
static void te_log_vemit(te_log_level level, const char *fmt, va_list ap)
{
	char line[TE_LOG_LINE_MAX];
	size_t off, max = sizeof(line) - 1; /* room for the newline */
	int n;
	int saved_errno = errno;

	pthread_mutex_lock(&te_log_ident_lock);
	if (stderr_is_journal())
		n = snprintf(line, max, "<%d>%s: ", (int)level, te_log_ident);
	else
		n = snprintf(line, max, "%s: %s: ", te_log_ident, te_log_level_name(level));
	pthread_mutex_unlock(&te_log_ident_lock);
	off = n < 0 ? 0 : (size_t)n;
	if (off > max - 1)
		off = max - 1;

	n = vsnprintf(line + off, max - off, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= max - off) {
		/* Cut: end the line with a visible marker. */
		size_t keep = max - 1;
		memcpy(line + keep - 3, "...", 3);
		te_log_sanitize(line + off, keep - off);
		off = keep;
	} else {
		te_log_sanitize(line + off, (size_t)n);
		off += (size_t)n;
	}
	line[off++] = '\n';
	te_log_write_all(line, off);
	errno = saved_errno;
}

void te_log(te_log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > atomic_load(&te_log_threshold))
		return;
	va_start(ap, fmt);
	te_log_vemit(level, fmt, ap);
	va_end(ap);
}

void te_log_err(te_err err, const char *what)
{
	const char *detail = te_err_detail();

	if (what == NULL)
		what = te_err_name(err);
	if (detail[0] == '\0')
		te_log(TE_LOG_ERROR, "%s: %s", what, te_err_str(err));
	else
		te_log(TE_LOG_ERROR, "%s: %s: %s", what, te_err_str(err), detail);
}
