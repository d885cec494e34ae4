/*
 * conf.c - the enclave config file te-sign reads (the reference oesign's
 * format): `Name=Value` lines, `#` comment lines and blank lines.  Every
 * mistake names the file and line, since this is where a developer looks.
 */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TE_SIGN_CONF_MAX (1024 * 1024)
#define TE_SIGN_LINE_MAX 1024

enum te_sign_key {
	TE_SIGN_KEY_DEBUG,
	TE_SIGN_KEY_HEAP,
	TE_SIGN_KEY_STACK,
	TE_SIGN_KEY_TCS,
	TE_SIGN_KEY_PRODUCT,
	TE_SIGN_KEY_SVN,
	TE_SIGN_KEY_COUNT
};

static const struct te_sign_conf_key {
	const char *name;
	uint64_t min;
	uint64_t max;
} te_sign_conf_keys[TE_SIGN_KEY_COUNT] = {
    [TE_SIGN_KEY_DEBUG] = {"Debug", 0, 1},
    [TE_SIGN_KEY_HEAP] = {"NumHeapPages", 1, 1048576},
    [TE_SIGN_KEY_STACK] = {"NumStackPages", 1, 65536},
    [TE_SIGN_KEY_TCS] = {"NumTCS", 1, 256},
    [TE_SIGN_KEY_PRODUCT] = {"ProductID", 0, 65535},
    [TE_SIGN_KEY_SVN] = {"SecurityVersion", 0, 65535},
};

void te_sign_props_default(te_tee_props *props)
{
	memset(props, 0, sizeof(*props));
	props->debug = TE_SIGN_DEFAULT_DEBUG;
	props->num_heap_pages = TE_SIGN_DEFAULT_HEAP_PAGES;
	props->num_stack_pages = TE_SIGN_DEFAULT_STACK_PAGES;
	props->num_tcs = TE_SIGN_DEFAULT_TCS;
	props->product_id = TE_SIGN_DEFAULT_PRODUCT_ID;
	props->security_version = TE_SIGN_DEFAULT_SVN;
}

static int te_sign_errf(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int te_sign_errf(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -1;
}

int te_sign_read_file(const char *path, size_t max, uint8_t **data, size_t *size, char *err,
                      size_t err_size)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc = -1;

	if (fd < 0)
		return te_sign_errf(err, err_size, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		te_sign_errf(err, err_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		te_sign_errf(err, err_size, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		te_sign_errf(err, err_size, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	len = (size_t)st.st_size;
	buf = malloc(len + 1);
	if (buf == NULL) {
		te_sign_errf(err, err_size, "%s: out of memory", path);
		goto out;
	}
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			te_sign_errf(err, err_size, "%s: %s", path,
			             n < 0 ? strerror(errno) : "file shrank while it was read");
			goto out;
		}
		got += (size_t)n;
	}
	buf[len] = 0; /* callers treating it as text get a terminator */
	*data = buf;
	*size = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Decimal or 0x-hexadecimal, nothing else (no sign, no octal, no
 * trailing junk); -1 on anything else or overflow. */
static int te_sign_parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static char *te_sign_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void te_sign_props_set(te_tee_props *p, enum te_sign_key k, uint64_t v)
{
	switch (k) {
	case TE_SIGN_KEY_DEBUG:
		p->debug = (uint32_t)v;
		break;
	case TE_SIGN_KEY_HEAP:
		p->num_heap_pages = v;
		break;
	case TE_SIGN_KEY_STACK:
		p->num_stack_pages = v;
		break;
	case TE_SIGN_KEY_TCS:
		p->num_tcs = v;
		break;
	case TE_SIGN_KEY_PRODUCT:
		p->product_id = (uint16_t)v;
		break;
	case TE_SIGN_KEY_SVN:
		p->security_version = (uint16_t)v;
		break;
	default:
		abort();
	}
}

/* One line, NUL-terminated, without its newline. */
static int te_sign_conf_line(const char *path, unsigned lineno, char *line, te_tee_props *p,
                             unsigned *seen, char *err, size_t err_size)
{
	char *s = te_sign_trim(line), *eq, *name, *value;
	uint64_t v = 0;
	int k;

	if (*s == '\0' || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (eq == NULL)
		return te_sign_errf(err, err_size, "%s:%u: expected Name=Value", path, lineno);
	*eq = '\0';
	name = te_sign_trim(s);
	value = te_sign_trim(eq + 1);
	for (k = 0; k < TE_SIGN_KEY_COUNT; k++)
		if (strcmp(name, te_sign_conf_keys[k].name) == 0)
			break;
	if (k == TE_SIGN_KEY_COUNT)
		return te_sign_errf(err, err_size, "%s:%u: unknown key '%s'", path, lineno, name);
	if (*seen & (1u << k))
		return te_sign_errf(err, err_size, "%s:%u: duplicate key '%s'", path, lineno, name);
	if (te_sign_parse_u64(value, &v) != 0)
		return te_sign_errf(err, err_size, "%s:%u: %s: '%s' is not a number", path, lineno,
		                    name, value);
	if (v < te_sign_conf_keys[k].min || v > te_sign_conf_keys[k].max)
		return te_sign_errf(err, err_size, "%s:%u: %s: %s is out of range %llu..%llu", path,
		                    lineno, name, value,
		                    (unsigned long long)te_sign_conf_keys[k].min,
		                    (unsigned long long)te_sign_conf_keys[k].max);
	*seen |= 1u << k;
	te_sign_props_set(p, (enum te_sign_key)k, v);
	return 0;
}

int te_sign_conf_load(const char *path, te_tee_props *props, char *err, size_t err_size)
{
	uint8_t *data = NULL;
	size_t size = 0, start = 0;
	unsigned lineno = 0, seen = 0;
	te_tee_props p = *props;
	char line[TE_SIGN_LINE_MAX + 1];
	int rc = -1;

	if (te_sign_read_file(path, TE_SIGN_CONF_MAX, &data, &size, err, err_size) != 0)
		return -1;
	while (start < size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl != NULL ? (size_t)(nl - data) : size;
		size_t len = end - start;

		lineno++;
		if (len > TE_SIGN_LINE_MAX) {
			te_sign_errf(err, err_size, "%s:%u: line longer than %d bytes", path,
			             lineno, TE_SIGN_LINE_MAX);
			goto out;
		}
		memcpy(line, data + start, len);
		line[len] = '\0';
		if (strlen(line) != len) {
			te_sign_errf(err, err_size, "%s:%u: NUL byte in line", path, lineno);
			goto out;
		}
		if (te_sign_conf_line(path, lineno, line, &p, &seen, err, err_size) != 0)
			goto out;
		start = end + 1;
	}
	*props = p;
	rc = 0;
out:
	free(data);
	return rc;
}
