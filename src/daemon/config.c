/*
 * config.c - turns the daemon's YAML file (trustedge.yaml(5)) into a
 * te_daemon_config, checking everything that can be checked without
 * starting anything: shapes, ranges, names, users and groups, that paths
 * are absolute, that key references parse.  Every mistake is reported once
 * as "FILE:LINE: key.path: what is wrong"; unknown keys are mistakes (a
 * typo must not silently fall back to a default).  Also owns the embedded
 * development defaults.
 *
 * Secrets: the SharedAccessKey of a connection string goes to secure
 * memory and HSM setting values (PINs) too; no message repeats a value
 * that could be secret.
 */
#include "trustedge/te_daemon_config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/te_config.h"
#include "daemon/connstr.h"
#include "hsm/pkcs11_uri.h"
#include "trustedge/te_mem.h"

#define DC_HSM_MAX_SETTINGS 64
#define DC_PATH_MAX         4096
#define DC_HOST_MAX         255
#define DC_ID_MAX           128
#define DC_PW_BUF_MAX       (1u << 20)

#define DC_DEFAULT_MAX_CONN        10
#define DC_DEFAULT_MAX_BODY        (64u * 1024u)
#define DC_MAX_BODY_LIMIT          (16u * 1024u * 1024u)
#define DC_DEFAULT_READ_TIMEOUT_MS 5000
#define DC_READ_TIMEOUT_LIMIT_MS   600000
#define DC_DEFAULT_CA_DAYS         90
#define DC_CA_DAYS_LIMIT           3650
#define DC_DEFAULT_THRESHOLD       80
#define DC_DEFAULT_RETRY           4

/* Backends the HSM core knows (src/hsm/hsm.c is the authority; this list
 * only lets `config check` catch a typo without opening anything). */

static const char *const dc_socket_keys[TE_DAEMON_SOCKET__COUNT] = {
    "workload", "keys", "certs", "identity", "management", "tee",
};
static const char *const dc_socket_files[TE_DAEMON_SOCKET__COUNT] = {
    "workload.sock", "keys.sock", "certs.sock", "identity.sock", "mgmt.sock", "tee.sock",
};
/* The management socket controls modules: only the daemon's own user. */
static const unsigned dc_socket_modes[TE_DAEMON_SOCKET__COUNT] = {
    0660, 0660, 0660, 0660, 0600, 0660,
};

static const char *const dc_log_levels[] = {"error", "warn", "info", "debug"};

#define DC_N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct dc_ctx {
	const te_config *cfg;
	te_daemon_config *dc;
} dc_ctx;

const char *te_daemon_socket_name(te_daemon_socket_id id)
{
	return (unsigned)id < TE_DAEMON_SOCKET__COUNT ? dc_socket_keys[id] : "?";
}

const char *te_daemon_log_level_name(te_daemon_log_level level)
{
	return (unsigned)level < DC_N(dc_log_levels) ? dc_log_levels[level] : "?";
}

/* --- small helpers ------------------------------------------------------ */

static te_err dc_err(const dc_ctx *x, const te_config_node *n, const char *fmt, ...)
    TE_PRINTF(3, 4);

static te_err dc_err(const dc_ctx *x, const te_config_node *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	return te_config_error(x->cfg, n, TE_ERR_CONFIG, "%s", msg);
}

static char *dc_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* Replaces *slot with a copy of s. */
static te_err dc_set(char **slot, const char *s)
{
	char *p = dc_strdup(s);

	if (p == NULL)
		return te_err_set(TE_ERR_NO_MEMORY, "config: out of memory");
	free(*slot);
	*slot = p;
	return TE_OK;
}

static te_err dc_join(char **slot, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p == NULL)
		return te_err_set(TE_ERR_NO_MEMORY, "config: out of memory");
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	free(*slot);
	*slot = p;
	return TE_OK;
}

/* Edit distance, for "did you mean"; large for long strings. */
static size_t dc_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/* Refuses keys of map outside known[] and names the closest known one. */
static te_err dc_known_keys(const dc_ctx *x, const te_config_node *map, const char *const *known,
                            size_t n_known)
{
	for (size_t i = 0; i < te_config_node_count(map); i++) {
		const char *key = NULL;
		const te_config_node *child = te_config_node_child(map, i, &key);
		const char *best = NULL;
		size_t best_d = 3, k;
		char list[256] = "";
		size_t used = 0;

		for (k = 0; k < n_known; k++)
			if (strcmp(key, known[k]) == 0)
				break;
		if (k < n_known)
			continue;
		for (k = 0; k < n_known; k++) {
			size_t d = dc_distance(key, known[k]);
			int w;

			if (d < best_d) {
				best_d = d;
				best = known[k];
			}
			w = snprintf(list + used, sizeof(list) - used, "%s%s", k > 0 ? ", " : "",
			             known[k]);
			if (w > 0 && (size_t)w < sizeof(list) - used)
				used += (size_t)w;
		}
		if (best != NULL)
			return dc_err(x, child, "unknown key (did you mean '%s'?)", best);
		return dc_err(x, child, "unknown key (known keys here: %s)", list);
	}
	return TE_OK;
}

static te_err dc_need_map(const dc_ctx *x, const te_config_node *n, const char *what)
{
	if (te_config_node_kind(n) != TE_CONFIG_MAP)
		return dc_err(x, n, "must be a mapping (%s)", what);
	return TE_OK;
}

/*
 * The non-empty scalar at key under map: *out NULL when absent (an error
 * when required).  *node (optional) receives the node, for later messages.
 */
static te_err dc_scalar(const dc_ctx *x, const te_config_node *map, const char *key, int required,
                        const te_config_node **node, const char **out)
{
	const te_config_node *n = te_config_find(map, key);
	const char *s;

	*out = NULL;
	if (node != NULL)
		*node = n;
	if (n == NULL) {
		if (required)
			return dc_err(x, map, "missing '%s'", key);
		return TE_OK;
	}
	s = te_config_node_scalar(n);
	if (s == NULL)
		return dc_err(x, n, "must be a single value, not a %s",
		              te_config_node_kind(n) == TE_CONFIG_MAP ? "mapping" : "list");
	if (s[0] == '\0')
		return dc_err(x, n, "must not be empty");
	*out = s;
	return TE_OK;
}

static te_err dc_check_abs_path(const dc_ctx *x, const te_config_node *n, const char *s)
{
	if (s[0] != '/')
		return dc_err(x, n, "must be an absolute path (starting with '/')");
	if (strlen(s) >= DC_PATH_MAX)
		return dc_err(x, n, "path too long (at most %d bytes)", DC_PATH_MAX - 1);
	return TE_OK;
}

/* An optional absolute path under map; *slot is kept when absent. */
static te_err dc_path(const dc_ctx *x, const te_config_node *map, const char *key, int required,
                      char **slot)
{
	te_err rc = TE_OK;
	const te_config_node *n = NULL;
	const char *s = NULL;

	TE_GUARD(dc_scalar(x, map, key, required, &n, &s));
	if (s == NULL)
		goto out;
	TE_GUARD(dc_check_abs_path(x, n, s));
	TE_GUARD(dc_set(slot, s));
out:
	return rc;
}

static int dc_all_digits(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* A decimal id that fits id_t and is not the (id_t)-1 "no change" value. */
static int dc_numeric_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!dc_all_digits(s) || strlen(s) > 10 || (s[0] == '0' && s[1] != '\0'))
		return 0;
	for (const char *p = s; *p != '\0'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (v >= UINT32_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

static size_t dc_pw_bufsize(int which)
{
	long n = sysconf(which);

	return n > 0 && n < (long)DC_PW_BUF_MAX ? (size_t)n : 16384;
}

/* Resolves a user name or number (the node names the key in messages). */
static te_err dc_uid(const dc_ctx *x, const te_config_node *n, uid_t *out)
{
	te_err rc = TE_OK;
	const char *s = te_config_node_scalar(n);
	size_t size = dc_pw_bufsize(_SC_GETPW_R_SIZE_MAX);
	char *buf = NULL;
	uint32_t id;
	int e;

	if (s == NULL || s[0] == '\0')
		return dc_err(x, n, "must be a user name or a numeric uid");
	if (dc_all_digits(s)) {
		if (!dc_numeric_id(s, &id))
			return dc_err(x, n, "not a valid numeric uid");
		*out = (uid_t)id;
		return TE_OK;
	}
	for (;;) {
		struct passwd pw, *res = NULL;

		buf = malloc(size);
		TE_GUARD_PTR(buf, TE_ERR_NO_MEMORY, "config: out of memory");
		e = getpwnam_r(s, &pw, buf, size, &res);
		if (e == ERANGE && size < DC_PW_BUF_MAX) {
			free(buf);
			buf = NULL;
			size *= 2;
			continue;
		}
		if (e != 0 && e != ENOENT && e != ESRCH) {
			rc = dc_err(x, n, "cannot look up user '%s': %s", s, strerror(e));
			goto out;
		}
		if (res == NULL) {
			rc = dc_err(x, n, "unknown user '%s'", s);
			goto out;
		}
		*out = pw.pw_uid;
		break;
	}
out:
	free(buf);
	return rc;
}

static te_err dc_gid(const dc_ctx *x, const te_config_node *n, gid_t *out)
{
	te_err rc = TE_OK;
	const char *s = te_config_node_scalar(n);
	size_t size = dc_pw_bufsize(_SC_GETGR_R_SIZE_MAX);
	char *buf = NULL;
	uint32_t id;
	int e;

	if (s == NULL || s[0] == '\0')
		return dc_err(x, n, "must be a group name or a numeric gid");
	if (dc_all_digits(s)) {
		if (!dc_numeric_id(s, &id))
			return dc_err(x, n, "not a valid numeric gid");
		*out = (gid_t)id;
		return TE_OK;
	}
	for (;;) {
		struct group gr, *res = NULL;

		buf = malloc(size);
		TE_GUARD_PTR(buf, TE_ERR_NO_MEMORY, "config: out of memory");
		e = getgrnam_r(s, &gr, buf, size, &res);
		if (e == ERANGE && size < DC_PW_BUF_MAX) {
			free(buf);
			buf = NULL;
			size *= 2;
			continue;
		}
		if (e != 0 && e != ENOENT && e != ESRCH) {
			rc = dc_err(x, n, "cannot look up group '%s': %s", s, strerror(e));
			goto out;
		}
		if (res == NULL) {
			rc = dc_err(x, n, "unknown group '%s'", s);
			goto out;
		}
		*out = gr.gr_gid;
		break;
	}
out:
	free(buf);
	return rc;
}

/* "0660" or "660": three octal digits, optionally after a 0. */
static te_err dc_mode(const dc_ctx *x, const te_config_node *n, unsigned *out)
{
	const char *s = te_config_node_scalar(n);
	size_t len;
	unsigned v = 0;

	if (s == NULL)
		return dc_err(x, n, "must be an octal mode such as \"0660\"");
	len = strlen(s);
	if (len == 4 && s[0] == '0') {
		s++;
		len--;
	}
	if (len != 3 || strspn(s, "01234567") != 3)
		return dc_err(x, n,
		              "must be an octal mode such as \"0660\" (no setuid, setgid "
		              "or sticky bits)");
	for (size_t i = 0; i < 3; i++)
		v = v * 8 + (unsigned)(s[i] - '0');
	if (v & 0002)
		return dc_err(x, n,
		              "world-writable socket refused: any local user could connect "
		              "(use a group and \"0660\")");
	if ((v & 0600) != 0600)
		return dc_err(x, n, "the owner needs read and write permission (0600)");
	*out = v;
	return TE_OK;
}

/* "80%": an integer 1..max followed by '%', nothing else. */
static te_err dc_percent(const dc_ctx *x, const te_config_node *n, unsigned max, unsigned *out)
{
	const char *s = te_config_node_scalar(n);
	size_t len, digits;
	unsigned v = 0;

	if (s == NULL)
		return dc_err(x, n, "must be a percentage such as \"80%%\"");
	len = strlen(s);
	digits = strspn(s, "0123456789");
	if (len < 2 || digits != len - 1 || s[len - 1] != '%' || digits > 3 || s[0] == '0')
		return dc_err(x, n, "must be a whole percentage such as \"80%%\" (1%%..%u%%)", max);
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v < 1 || v > max)
		return dc_err(x, n, "percentage out of range (1%%..%u%%)", max);
	*out = v;
	return TE_OK;
}

static int dc_host_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DC_HOST_MAX || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

/* IoT Hub device and module ids: Azure's character set, 1..128. */
static int dc_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= DC_ID_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                 "-.%_#*?!(),:=@$'") == n;
}

static int dc_key_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= TE_HSM_NAME_MAX && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* KEYREF: "pkcs11:..." (RFC 7512), "file:///abs/path", or a key name in
 * the configured HSM. */
static te_err dc_keyref(const dc_ctx *x, const te_config_node *map, const char *key, char **slot)
{
	te_err rc = TE_OK;
	const te_config_node *n = NULL;
	const char *s = NULL;
	te_p11_uri *uri = NULL;

	TE_GUARD(dc_scalar(x, map, key, 1, &n, &s));
	if (strncmp(s, "pkcs11:", 7) == 0) {
		uri = malloc(sizeof(*uri));
		TE_GUARD_PTR(uri, TE_ERR_NO_MEMORY, "config: out of memory");
		if (te_p11_uri_parse(s, strlen(s), uri) != TE_OK) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", te_err_detail());
			rc = dc_err(x, n, "bad pkcs11 URI: %s", msg);
			goto out;
		}
	} else if (strncmp(s, "file://", 7) == 0) {
		TE_GUARD(dc_check_abs_path(x, n, s + 7));
	} else if (!dc_key_name_ok(s)) {
		rc = dc_err(x, n,
		            "must be a key name ([A-Za-z0-9._-], at most %d), a \"pkcs11:\" "
		            "URI or a \"file:///path\"",
		            TE_HSM_NAME_MAX);
		goto out;
	}
	TE_GUARD(dc_set(slot, s));
out:
	free(uri);
	return rc;
}

/* --- hsm ----------------------------------------------------------------- */

static te_err dc_hsm(const dc_ctx *x, const te_config_node *hsm)
{
	te_err rc = TE_OK;
	te_daemon_config *dc = x->dc;
	const te_config_node *bnode = NULL, *section = NULL;
	const char *backend = NULL;
	size_t i, n;

	TE_GUARD(dc_need_map(x, hsm, "backend: and its settings"));
	TE_GUARD(dc_scalar(x, hsm, "backend", 0, &bnode, &backend));
	if (backend == NULL)
		backend = dc->hsm_backend;
	if (te_hsm_backend_check(backend, NULL) != TE_OK) {
		char why[256];
		snprintf(why, sizeof(why), "%s", te_err_detail());
		rc = dc_err(x, bnode, "%s", why);
		goto out;
	}
	for (i = 0; i < te_config_node_count(hsm); i++) {
		const char *key = NULL;
		const te_config_node *child = te_config_node_child(hsm, i, &key);

		if (strcmp(key, "backend") == 0)
			continue;
		if (te_config_node_kind(child) != TE_CONFIG_MAP) {
			rc = dc_err(x, child,
			            "unknown key (expected 'backend' or a mapping of "
			            "backend settings)");
			goto out;
		}
		if (strcmp(key, backend) == 0)
			section = child;
	}
	TE_GUARD(dc_set(&dc->hsm_backend, backend));
	if (section == NULL)
		goto out;
	n = te_config_node_count(section);
	if (n > DC_HSM_MAX_SETTINGS) {
		rc = dc_err(x, section, "too many settings (at most %d)", DC_HSM_MAX_SETTINGS);
		goto out;
	}
	if (n == 0)
		goto out;
	dc->hsm_settings = calloc(n, sizeof(*dc->hsm_settings));
	TE_GUARD_PTR(dc->hsm_settings, TE_ERR_NO_MEMORY, "config: out of memory");
	for (i = 0; i < n; i++) {
		const char *key = NULL;
		const te_config_node *child = te_config_node_child(section, i, &key);
		const char *value = te_config_node_scalar(child);
		char *k, *v;
		size_t vlen;

		if (value == NULL) {
			rc = dc_err(x, child, "must be a single value");
			goto out;
		}
		/* The backend's own list of settings, so a typo is caught here
		 * and not when the daemon opens the HSM. */
		if (te_hsm_backend_check(dc->hsm_backend, key) != TE_OK) {
			char why[256];
			snprintf(why, sizeof(why), "%s", te_err_detail());
			rc = dc_err(x, child, "%s", why);
			goto out;
		}
		if (value[0] == '\0') {
			rc = dc_err(x, child, "must not be empty");
			goto out;
		}
		/* Values may be PINs: they live in secure memory. */
		vlen = strlen(value) + 1;
		k = dc_strdup(key);
		v = te_secure_alloc(vlen);
		if (k == NULL || v == NULL) {
			free(k);
			te_secure_free(v);
			rc = te_err_set(TE_ERR_NO_MEMORY, "config: out of memory");
			goto out;
		}
		memcpy(v, value, vlen);
		dc->hsm_settings[i].key = k;
		dc->hsm_settings[i].value = v;
		dc->n_hsm_settings = i + 1;
	}
out:
	return rc;
}

/* --- sockets ------------------------------------------------------------- */

static te_err dc_socket(const dc_ctx *x, const te_config_node *n, te_daemon_socket *sock)
{
	static const char *const known[] = {"path", "mode", "owner", "group"};
	te_err rc = TE_OK;
	const te_config_node *node = NULL;
	const char *s = NULL;

	TE_GUARD(dc_need_map(x, n, "path, mode, owner, group"));
	TE_GUARD(dc_known_keys(x, n, known, DC_N(known)));
	TE_GUARD(dc_path(x, n, "path", 0, &sock->path));
	TE_GUARD(dc_scalar(x, n, "mode", 0, &node, &s));
	if (s != NULL)
		TE_GUARD(dc_mode(x, node, &sock->mode));
	TE_GUARD(dc_scalar(x, n, "owner", 0, &node, &s));
	if (s != NULL) {
		TE_GUARD(dc_uid(x, node, &sock->owner));
		sock->set_owner = 1;
	}
	TE_GUARD(dc_scalar(x, n, "group", 0, &node, &s));
	if (s != NULL) {
		TE_GUARD(dc_gid(x, node, &sock->group));
		sock->set_group = 1;
	}
out:
	return rc;
}

static te_err dc_sockets(const dc_ctx *x, const te_config_node *sockets)
{
	te_err rc = TE_OK;

	TE_GUARD(dc_need_map(x, sockets, "one entry per socket"));
	TE_GUARD(dc_known_keys(x, sockets, dc_socket_keys, DC_N(dc_socket_keys)));
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		const te_config_node *n = te_config_find(sockets, dc_socket_keys[i]);

		if (n != NULL)
			TE_GUARD(dc_socket(x, n, &x->dc->sockets[i]));
	}
	/* The TEE socket came later than the others: a file that moved the
	 * workload socket and says nothing of tee gets it beside that one,
	 * so the daemon still starts where /run/trustedge does not exist. */
	if (te_config_find(sockets, "tee") == NULL) {
		const char *w = x->dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].path;
		const char *slash = strrchr(w, '/');
		char dir[PATH_MAX];

		if (slash != NULL && (size_t)(slash - w) < sizeof(dir)) {
			memcpy(dir, w, (size_t)(slash - w));
			dir[slash - w] = '\0';
			free(x->dc->sockets[TE_DAEMON_SOCKET_TEE].path);
			x->dc->sockets[TE_DAEMON_SOCKET_TEE].path = NULL;
			TE_GUARD(dc_join(&x->dc->sockets[TE_DAEMON_SOCKET_TEE].path,
			                 dir[0] ? dir : "/", "tee.sock"));
		}
	}
	/* Two services on one socket would answer each other's callers. */
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++) {
		for (size_t j = i + 1; j < TE_DAEMON_SOCKET__COUNT; j++) {
			const te_config_node *n = te_config_find(sockets, dc_socket_keys[j]);

			if (strcmp(x->dc->sockets[i].path, x->dc->sockets[j].path) == 0) {
				rc = dc_err(x, n != NULL ? n : sockets,
				            "same path as the %s socket", dc_socket_keys[i]);
				goto out;
			}
		}
	}
out:
	return rc;
}

/* --- provisioning -------------------------------------------------------- */

static te_err dc_connstr(const dc_ctx *x, const te_config_node *n, const char *s)
{
	te_err rc = TE_OK;
	te_daemon_provisioning *p = &x->dc->provisioning;
	te_connstr cs;

	memset(&cs, 0, sizeof(cs));
	if (te_connstr_parse(s, strlen(s), &cs) != TE_OK) {
		char msg[256];

		/* The detail names the field, never the value. */
		snprintf(msg, sizeof(msg), "%s", te_err_detail());
		rc = dc_err(x, n, "%s", msg);
		goto out;
	}
	if (cs.module_id[0] != '\0') {
		rc = dc_err(x, n,
		            "connection string: ModuleId: this is a module's connection "
		            "string; the daemon needs its device's");
		goto out;
	}
	TE_GUARD(dc_set(&p->iothub_hostname, cs.host_name));
	TE_GUARD(dc_set(&p->device_id, cs.device_id));
	if (cs.gateway_host_name[0] != '\0')
		TE_GUARD(dc_set(&p->gateway_hostname, cs.gateway_host_name));
	p->method = TE_DAEMON_AUTH_SAS;
	p->sas_key = cs.key;
	p->sas_key_len = cs.key_len;
	cs.key = NULL;
	cs.key_len = 0;
out:
	te_connstr_clear(&cs);
	return rc;
}

static te_err dc_auth(const dc_ctx *x, const te_config_node *auth)
{
	static const char *const sas_keys[] = {"method", "key_file", "key_uri"};
	static const char *const x509_keys[] = {"method", "identity_cert", "identity_pk"};
	te_err rc = TE_OK;
	te_daemon_provisioning *p = &x->dc->provisioning;
	const te_config_node *mnode = NULL, *fnode = NULL, *unode = NULL;
	const char *method = NULL, *file = NULL, *uri = NULL;

	TE_GUARD(dc_need_map(x, auth, "method: and its settings"));
	TE_GUARD(dc_scalar(x, auth, "method", 1, &mnode, &method));
	if (strcmp(method, "x509") == 0) {
		TE_GUARD(dc_known_keys(x, auth, x509_keys, DC_N(x509_keys)));
		TE_GUARD(dc_path(x, auth, "identity_cert", 1, &p->identity_cert));
		TE_GUARD(dc_keyref(x, auth, "identity_pk", &p->identity_pk));
		p->method = TE_DAEMON_AUTH_X509;
		goto out;
	}
	if (strcmp(method, "sas") != 0) {
		rc = dc_err(x, mnode, "unknown method '%s' (expected sas or x509)", method);
		goto out;
	}
	TE_GUARD(dc_known_keys(x, auth, sas_keys, DC_N(sas_keys)));
	TE_GUARD(dc_scalar(x, auth, "key_file", 0, &fnode, &file));
	TE_GUARD(dc_scalar(x, auth, "key_uri", 0, &unode, &uri));
	if ((file == NULL) == (uri == NULL)) {
		rc = dc_err(x, file != NULL ? unode : auth,
		            "method sas needs exactly one of key_file and key_uri");
		goto out;
	}
	if (file != NULL) {
		TE_GUARD(dc_path(x, auth, "key_file", 1, &p->sas_key_file));
	} else {
		if (strncmp(uri, "pkcs11:", 7) != 0) {
			rc = dc_err(x, unode, "must be a \"pkcs11:\" URI");
			goto out;
		}
		TE_GUARD(dc_keyref(x, auth, "key_uri", &p->sas_key_uri));
	}
	p->method = TE_DAEMON_AUTH_SAS;
out:
	return rc;
}

static te_err dc_provisioning(const dc_ctx *x, const te_config_node *prov)
{
	static const char *const known[] = {"source", "connection_string", "iothub_hostname",
	                                    "device_id", "authentication"};
	te_err rc = TE_OK;
	te_daemon_provisioning *p = &x->dc->provisioning;
	const te_config_node *snode = NULL, *cnode = NULL, *hnode = NULL, *dnode = NULL, *anode;
	const char *source = NULL, *cs = NULL, *hub = NULL, *dev = NULL;

	TE_GUARD(dc_need_map(x, prov, "source: and its settings"));
	TE_GUARD(dc_scalar(x, prov, "source", 1, &snode, &source));
	if (strcmp(source, "dps") == 0) {
		rc = te_config_error(x->cfg, snode, TE_ERR_UNSUPPORTED,
		                     "'dps' is not supported yet (planned for a later release); "
		                     "use 'manual'");
		goto out;
	}
	if (strcmp(source, "manual") != 0) {
		rc = dc_err(x, snode, "unknown source '%s' (expected manual; dps is planned)",
		            source);
		goto out;
	}
	TE_GUARD(dc_known_keys(x, prov, known, DC_N(known)));
	TE_GUARD(dc_scalar(x, prov, "connection_string", 0, &cnode, &cs));
	TE_GUARD(dc_scalar(x, prov, "iothub_hostname", 0, &hnode, &hub));
	TE_GUARD(dc_scalar(x, prov, "device_id", 0, &dnode, &dev));
	anode = te_config_find(prov, "authentication");
	p->source = TE_DAEMON_PROV_MANUAL;
	if (cs != NULL) {
		if (hub != NULL || dev != NULL || anode != NULL) {
			rc = dc_err(x, cnode,
			            "excludes iothub_hostname, device_id and "
			            "authentication (give one or the other)");
			goto out;
		}
		TE_GUARD(dc_connstr(x, cnode, cs));
		goto out;
	}
	if (hub == NULL && dev == NULL && anode == NULL) {
		rc = dc_err(x, prov,
		            "source manual needs connection_string, or iothub_hostname, "
		            "device_id and authentication");
		goto out;
	}
	TE_GUARD(dc_scalar(x, prov, "iothub_hostname", 1, &hnode, &hub));
	TE_GUARD(dc_scalar(x, prov, "device_id", 1, &dnode, &dev));
	if (anode == NULL) {
		rc = dc_err(x, prov, "missing 'authentication'");
		goto out;
	}
	if (!dc_host_ok(hub)) {
		rc = dc_err(x, hnode, "not a valid host name");
		goto out;
	}
	if (!dc_id_ok(dev)) {
		rc = dc_err(x, dnode,
		            "not a valid IoT Hub device id (1..%d of A-Z a-z 0-9 "
		            "-.%%_#*?!(),:=@$')",
		            DC_ID_MAX);
		goto out;
	}
	TE_GUARD(dc_set(&p->iothub_hostname, hub));
	TE_GUARD(dc_set(&p->device_id, dev));
	TE_GUARD(dc_auth(x, anode));
out:
	return rc;
}

/* --- edge CA ------------------------------------------------------------- */

static te_err dc_auto_renew(const dc_ctx *x, const te_config_node *n)
{
	static const char *const known[] = {"threshold", "retry", "rotate_key"};
	te_err rc = TE_OK;
	te_daemon_edge_ca *ca = &x->dc->edge_ca;
	const te_config_node *node = NULL;
	const char *s = NULL;

	TE_GUARD(dc_need_map(x, n, "threshold, retry, rotate_key"));
	TE_GUARD(dc_known_keys(x, n, known, DC_N(known)));
	TE_GUARD(dc_scalar(x, n, "threshold", 0, &node, &s));
	if (s != NULL)
		TE_GUARD(dc_percent(x, node, 99, &ca->renew_threshold_pct));
	TE_GUARD(dc_scalar(x, n, "retry", 0, &node, &s));
	if (s != NULL)
		TE_GUARD(dc_percent(x, node, 99, &ca->renew_retry_pct));
	if (te_config_find(n, "rotate_key") != NULL)
		TE_GUARD(te_config_get_bool(x->cfg, n, "rotate_key", &ca->renew_rotate_key));
out:
	return rc;
}

static te_err dc_edge_ca(const dc_ctx *x, const te_config_node *n)
{
	static const char *const known[] = {"cert", "pk", "auto_generated_ca_lifetime_days",
	                                    "auto_renew"};
	te_err rc = TE_OK;
	te_daemon_edge_ca *ca = &x->dc->edge_ca;
	const te_config_node *cert = NULL, *pk = NULL, *days = NULL, *renew = NULL;
	uint64_t v = 0;

	TE_GUARD(dc_need_map(x, n, "cert: and pk:, or auto_generated_ca_lifetime_days:"));
	TE_GUARD(dc_known_keys(x, n, known, DC_N(known)));
	cert = te_config_find(n, "cert");
	pk = te_config_find(n, "pk");
	days = te_config_find(n, "auto_generated_ca_lifetime_days");
	renew = te_config_find(n, "auto_renew");
	if (cert != NULL || pk != NULL) {
		const te_config_node *extra = days != NULL ? days : renew;

		if (extra != NULL) {
			rc = dc_err(x, extra,
			            "applies only to the auto-generated CA, not with "
			            "cert and pk");
			goto out;
		}
		TE_GUARD(dc_path(x, n, "cert", 1, &ca->cert));
		TE_GUARD(dc_keyref(x, n, "pk", &ca->pk));
		ca->auto_generated = 0;
		goto out;
	}
	if (days != NULL) {
		TE_GUARD(te_config_get_uint(x->cfg, n, "auto_generated_ca_lifetime_days", 1,
		                            DC_CA_DAYS_LIMIT, &v));
		ca->lifetime_days = (uint32_t)v;
	}
	if (renew != NULL)
		TE_GUARD(dc_auto_renew(x, renew));
out:
	return rc;
}

/* --- modules and principals ---------------------------------------------- */

static te_err dc_module(const dc_ctx *x, const te_config_node *n, te_daemon_module *m)
{
	static const char *const known[] = {"name", "uid", "cgroup", "generation_id"};
	te_err rc = TE_OK;
	const te_config_node *node = NULL, *uid = NULL, *cg = NULL;
	const char *s = NULL, *cgs = NULL, *uids = NULL;

	TE_GUARD(dc_need_map(x, n, "name, uid or cgroup, generation_id"));
	TE_GUARD(dc_known_keys(x, n, known, DC_N(known)));
	TE_GUARD(dc_scalar(x, n, "name", 1, &node, &s));
	if (!dc_id_ok(s)) {
		rc = dc_err(x, node,
		            "not a valid module id (1..%d of A-Z a-z 0-9 -.%%_#*?!(),:=@$')",
		            DC_ID_MAX);
		goto out;
	}
	TE_GUARD(dc_set(&m->name, s));
	TE_GUARD(dc_scalar(x, n, "uid", 0, &uid, &uids));
	TE_GUARD(dc_scalar(x, n, "cgroup", 0, &cg, &cgs));
	if ((uids == NULL) == (cgs == NULL)) {
		rc = dc_err(x, uids != NULL ? cg : n,
		            "a module needs exactly one of uid and cgroup");
		goto out;
	}
	if (uids != NULL) {
		TE_GUARD(dc_uid(x, uid, &m->uid));
		m->by_uid = 1;
	} else {
		TE_GUARD(dc_path(x, n, "cgroup", 1, &m->cgroup));
	}
	TE_GUARD(dc_scalar(x, n, "generation_id", 0, &node, &s));
	if (s != NULL) {
		if (!dc_id_ok(s)) {
			rc = dc_err(x, node, "not a valid generation id");
			goto out;
		}
		TE_GUARD(dc_set(&m->generation_id, s));
	}
out:
	return rc;
}

static te_err dc_modules(const dc_ctx *x, const te_config_node *seq)
{
	te_err rc = TE_OK;
	te_daemon_config *dc = x->dc;
	size_t n = te_config_node_count(seq);

	if (te_config_node_kind(seq) != TE_CONFIG_SEQ)
		return dc_err(x, seq, "must be a list of modules");
	if (n == 0)
		return TE_OK;
	dc->modules = calloc(n, sizeof(*dc->modules));
	TE_GUARD_PTR(dc->modules, TE_ERR_NO_MEMORY, "config: out of memory");
	for (size_t i = 0; i < n; i++) {
		const te_config_node *item = te_config_node_child(seq, i, NULL);

		dc->n_modules = i + 1;
		TE_GUARD(dc_module(x, item, &dc->modules[i]));
		for (size_t j = 0; j < i; j++) {
			if (strcmp(dc->modules[j].name, dc->modules[i].name) == 0) {
				rc = dc_err(x, te_config_find(item, "name"),
				            "module '%s' is listed twice (also item %zu)",
				            dc->modules[i].name, j);
				goto out;
			}
		}
	}
out:
	return rc;
}

/* Key-name globs: the key-name characters plus fnmatch's * ? [ ] !. */
static int dc_glob_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= TE_HSM_NAME_MAX &&
	       strspn(s,
	              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-*?[]!") ==
	           n;
}

static te_err dc_principal(const dc_ctx *x, const te_config_node *n, te_daemon_principal *p)
{
	static const char *const known[] = {"uid", "keys"};
	te_err rc = TE_OK;
	const te_config_node *uid = NULL, *keys;
	const char *s = NULL;
	size_t count;

	TE_GUARD(dc_need_map(x, n, "uid and keys"));
	TE_GUARD(dc_known_keys(x, n, known, DC_N(known)));
	TE_GUARD(dc_scalar(x, n, "uid", 1, &uid, &s));
	TE_GUARD(dc_uid(x, uid, &p->uid));
	keys = te_config_find(n, "keys");
	if (keys == NULL) {
		rc = dc_err(x, n, "missing 'keys'");
		goto out;
	}
	count = te_config_node_count(keys);
	if (te_config_node_kind(keys) != TE_CONFIG_SEQ || count == 0) {
		rc = dc_err(x, keys, "must be a non-empty list of key name patterns");
		goto out;
	}
	p->keys = calloc(count, sizeof(*p->keys));
	TE_GUARD_PTR(p->keys, TE_ERR_NO_MEMORY, "config: out of memory");
	for (size_t i = 0; i < count; i++) {
		const te_config_node *k = te_config_node_child(keys, i, NULL);
		const char *glob = te_config_node_scalar(k);

		if (glob == NULL || !dc_glob_ok(glob)) {
			rc = dc_err(x, k,
			            "must be a key name pattern ([A-Za-z0-9._-] and * ? [ ] !, "
			            "at most %d)",
			            TE_HSM_NAME_MAX);
			goto out;
		}
		p->n_keys = i + 1;
		TE_GUARD(dc_set(&p->keys[i], glob));
	}
out:
	return rc;
}

static te_err dc_principals(const dc_ctx *x, const te_config_node *seq)
{
	te_err rc = TE_OK;
	te_daemon_config *dc = x->dc;
	size_t n = te_config_node_count(seq);

	if (te_config_node_kind(seq) != TE_CONFIG_SEQ)
		return dc_err(x, seq, "must be a list of {uid, keys}");
	if (n == 0)
		return TE_OK;
	dc->principals = calloc(n, sizeof(*dc->principals));
	TE_GUARD_PTR(dc->principals, TE_ERR_NO_MEMORY, "config: out of memory");
	for (size_t i = 0; i < n; i++) {
		const te_config_node *item = te_config_node_child(seq, i, NULL);

		dc->n_principals = i + 1;
		TE_GUARD(dc_principal(x, item, &dc->principals[i]));
		for (size_t j = 0; j < i; j++) {
			if (dc->principals[j].uid == dc->principals[i].uid) {
				rc = dc_err(
				    x, te_config_find(item, "uid"),
				    "uid %lu already has an entry (item %zu): merge the lists",
				    (unsigned long)dc->principals[i].uid, j);
				goto out;
			}
		}
	}
out:
	return rc;
}

/* --- limits and log ------------------------------------------------------ */

static te_err dc_limits(const dc_ctx *x, const te_config_node *n)
{
	static const char *const known[] = {"max_connections_per_uid", "max_body_bytes",
	                                    "read_timeout_ms"};
	te_err rc = TE_OK;
	te_daemon_limits *l = &x->dc->limits;
	uint64_t v = 0;

	TE_GUARD(dc_need_map(x, n, "max_connections_per_uid, max_body_bytes, read_timeout_ms"));
	TE_GUARD(dc_known_keys(x, n, known, DC_N(known)));
	if (te_config_find(n, "max_connections_per_uid") != NULL) {
		TE_GUARD(te_config_get_uint(x->cfg, n, "max_connections_per_uid", 1, 100000, &v));
		l->max_connections_per_uid = (uint32_t)v;
	}
	if (te_config_find(n, "max_body_bytes") != NULL) {
		TE_GUARD(te_config_get_uint(x->cfg, n, "max_body_bytes", 1, DC_MAX_BODY_LIMIT, &v));
		l->max_body_bytes = (uint32_t)v;
	}
	if (te_config_find(n, "read_timeout_ms") != NULL) {
		TE_GUARD(te_config_get_uint(x->cfg, n, "read_timeout_ms", 1,
		                            DC_READ_TIMEOUT_LIMIT_MS, &v));
		l->read_timeout_ms = (uint32_t)v;
	}
out:
	return rc;
}

/* tee: {ta_user: NAME}: the user managed TAs run as (a name: it is
 * looked up when the TA starts, so a user made later still counts). */
static te_err dc_tee(const dc_ctx *x, const te_config_node *n)
{
	static const char *const known[] = {"ta_user"};
	te_err rc = TE_OK;
	const te_config_node *node = NULL;
	const char *user = NULL;

	TE_GUARD(dc_need_map(x, n, "ta_user"));
	TE_GUARD(dc_known_keys(x, n, known, DC_N(known)));
	TE_GUARD(dc_scalar(x, n, "ta_user", 0, &node, &user));
	if (user == NULL)
		goto out;
	if (strcmp(user, "root") == 0 || strspn(user, "abcdefghijklmnopqrstuvwxyz"
	                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                              "0123456789._-") != strlen(user)) {
		rc = dc_err(x, node, "must be a user name other than root");
		goto out;
	}
	TE_GUARD(dc_set(&x->dc->tee_ta_user, user));
out:
	return rc;
}

static te_err dc_log(const dc_ctx *x, const te_config_node *n)
{
	static const char *const known[] = {"level", "audit_all"};
	te_err rc = TE_OK;
	const te_config_node *node = NULL;
	const char *s = NULL;
	size_t i;

	TE_GUARD(dc_need_map(x, n, "level, audit_all"));
	TE_GUARD(dc_known_keys(x, n, known, DC_N(known)));
	if (te_config_find(n, "audit_all") != NULL)
		TE_GUARD(te_config_get_bool(x->cfg, n, "audit_all", &x->dc->audit_all));
	TE_GUARD(dc_scalar(x, n, "level", 0, &node, &s));
	if (s == NULL)
		goto out;
	for (i = 0; i < DC_N(dc_log_levels); i++)
		if (strcmp(s, dc_log_levels[i]) == 0)
			break;
	if (i == DC_N(dc_log_levels)) {
		rc = dc_err(x, node, "unknown level '%s' (expected error, warn, info or debug)", s);
		goto out;
	}
	x->dc->log_level = (te_daemon_log_level)i;
out:
	return rc;
}

/* --- whole file ---------------------------------------------------------- */

/* Values that do not depend on the file. */
static te_err dc_base_defaults(te_daemon_config *dc, const char *source)
{
	te_err rc = TE_OK;

	TE_GUARD(dc_set(&dc->source, source));
	TE_GUARD(dc_set(&dc->hsm_backend, "soft"));
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		dc->sockets[i].mode = dc_socket_modes[i];
	dc->provisioning.source = TE_DAEMON_PROV_DEV;
	dc->provisioning.method = TE_DAEMON_AUTH_NONE;
	TE_GUARD(dc_set(&dc->provisioning.device_id, TE_DAEMON_DEV_DEVICE_ID));
	dc->edge_ca.auto_generated = 1;
	dc->edge_ca.lifetime_days = DC_DEFAULT_CA_DAYS;
	dc->edge_ca.renew_threshold_pct = DC_DEFAULT_THRESHOLD;
	dc->edge_ca.renew_retry_pct = DC_DEFAULT_RETRY;
	dc->edge_ca.renew_rotate_key = 0;
	dc->limits.max_connections_per_uid = DC_DEFAULT_MAX_CONN;
	dc->limits.max_body_bytes = DC_DEFAULT_MAX_BODY;
	dc->limits.read_timeout_ms = DC_DEFAULT_READ_TIMEOUT_MS;
	dc->log_level = TE_DAEMON_LOG_INFO;
out:
	return rc;
}

static te_err dc_from_tree(const te_config *cfg, const char *name, te_daemon_config **out)
{
	static const char *const known[] = {"hsm",          "state_dir", "cert_store", "sockets",
	                                    "provisioning", "edge_ca",   "modules",    "principals",
	                                    "limits",       "log",       "tee"};
	te_err rc = TE_OK;
	const te_config_node *root = te_config_root(cfg), *n;
	dc_ctx x;

	x.cfg = cfg;
	x.dc = calloc(1, sizeof(*x.dc));
	TE_GUARD_PTR(x.dc, TE_ERR_NO_MEMORY, "config: out of memory");
	TE_GUARD(dc_base_defaults(x.dc, name));
	TE_ENSURE(root != NULL, TE_ERR_INTERNAL, "config: no root node");
	TE_GUARD(dc_known_keys(&x, root, known, DC_N(known)));

	if ((n = te_config_find(root, "hsm")) != NULL)
		TE_GUARD(dc_hsm(&x, n));
	TE_GUARD(dc_set(&x.dc->state_dir, TE_DAEMON_STATE_DIR));
	TE_GUARD(dc_path(&x, root, "state_dir", 0, &x.dc->state_dir));
	TE_GUARD(dc_join(&x.dc->cert_store, x.dc->state_dir, "certs"));
	TE_GUARD(dc_path(&x, root, "cert_store", 0, &x.dc->cert_store));
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		TE_GUARD(dc_join(&x.dc->sockets[i].path, TE_DAEMON_SOCKET_DIR, dc_socket_files[i]));
	if ((n = te_config_find(root, "sockets")) != NULL)
		TE_GUARD(dc_sockets(&x, n));
	if ((n = te_config_find(root, "provisioning")) != NULL)
		TE_GUARD(dc_provisioning(&x, n));
	if ((n = te_config_find(root, "edge_ca")) != NULL)
		TE_GUARD(dc_edge_ca(&x, n));
	if ((n = te_config_find(root, "modules")) != NULL)
		TE_GUARD(dc_modules(&x, n));
	if ((n = te_config_find(root, "principals")) != NULL)
		TE_GUARD(dc_principals(&x, n));
	if ((n = te_config_find(root, "limits")) != NULL)
		TE_GUARD(dc_limits(&x, n));
	if ((n = te_config_find(root, "log")) != NULL)
		TE_GUARD(dc_log(&x, n));
	if ((n = te_config_find(root, "tee")) != NULL)
		TE_GUARD(dc_tee(&x, n));
	*out = x.dc;
	x.dc = NULL;
out:
	te_daemon_config_free(x.dc);
	return rc;
}

te_err te_daemon_config_load(const char *path, te_daemon_config **out)
{
	te_err rc = TE_OK;
	te_config *cfg = NULL;

	TE_GUARD(te_config_load(path, &cfg));
	TE_GUARD(dc_from_tree(cfg, path, out));
out:
	te_config_free(cfg);
	return rc;
}

te_err te_daemon_config_parse(const char *name, const char *text, size_t len,
                              te_daemon_config **out)
{
	te_err rc = TE_OK;
	te_config *cfg = NULL;

	TE_GUARD(te_config_parse(name, text, len, &cfg));
	TE_GUARD(dc_from_tree(cfg, name, out));
out:
	te_config_free(cfg);
	return rc;
}

te_err te_daemon_config_defaults(const char *dev_root, te_daemon_config **out)
{
	te_err rc = TE_OK;
	te_daemon_config *dc = NULL;
	char *run = NULL, *store = NULL;

	TE_ENSURE(dev_root[0] == '/' && strlen(dev_root) < DC_PATH_MAX - 64, TE_ERR_INVALID_ARG,
	          "development root must be an absolute path");
	dc = calloc(1, sizeof(*dc));
	TE_GUARD_PTR(dc, TE_ERR_NO_MEMORY, "config: out of memory");
	TE_GUARD(dc_base_defaults(dc, "<defaults>"));
	TE_GUARD(dc_join(&dc->state_dir, dev_root, "state"));
	TE_GUARD(dc_join(&dc->cert_store, dc->state_dir, "certs"));
	TE_GUARD(dc_join(&run, dev_root, "run"));
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		TE_GUARD(dc_join(&dc->sockets[i].path, run, dc_socket_files[i]));
	TE_GUARD(dc_join(&store, dev_root, "keys"));
	/* One module for whoever runs the daemon, so a developer can call
	 * the workload API with curl straight away. */
	dc->modules = calloc(1, sizeof(*dc->modules));
	TE_GUARD_PTR(dc->modules, TE_ERR_NO_MEMORY, "config: out of memory");
	dc->n_modules = 1;
	dc->modules[0].name = dc_strdup(TE_DAEMON_DEV_MODULE);
	TE_GUARD_PTR(dc->modules[0].name, TE_ERR_NO_MEMORY, "config: out of memory");
	dc->modules[0].by_uid = 1;
	dc->modules[0].uid = getuid();
	dc->hsm_settings = calloc(1, sizeof(*dc->hsm_settings));
	TE_GUARD_PTR(dc->hsm_settings, TE_ERR_NO_MEMORY, "config: out of memory");
	{
		size_t vlen = strlen(store) + 1;
		char *k = dc_strdup("store"), *v = te_secure_alloc(vlen);

		if (k == NULL || v == NULL) {
			free(k);
			te_secure_free(v);
			rc = te_err_set(TE_ERR_NO_MEMORY, "config: out of memory");
			goto out;
		}
		memcpy(v, store, vlen);
		dc->hsm_settings[0].key = k;
		dc->hsm_settings[0].value = v;
		dc->n_hsm_settings = 1;
	}
	*out = dc;
	dc = NULL;
out:
	free(run);
	free(store);
	te_daemon_config_free(dc);
	return rc;
}

void te_daemon_config_wipe_secrets(te_daemon_config *dc)
{
	if (dc == NULL)
		return;
	for (size_t i = 0; i < dc->n_hsm_settings; i++) {
		char *v = (char *)dc->hsm_settings[i].value;

		if (v != NULL)
			te_memzero(v, strlen(v));
	}
	te_secure_free(dc->provisioning.sas_key); /* wipes */
	dc->provisioning.sas_key = NULL;
	dc->provisioning.sas_key_len = 0;
}

void te_daemon_config_free(te_daemon_config *dc)
{
	te_daemon_provisioning *p;

	if (dc == NULL)
		return;
	for (size_t i = 0; i < dc->n_hsm_settings; i++) {
		free((char *)dc->hsm_settings[i].key);
		te_secure_free((char *)dc->hsm_settings[i].value);
	}
	free(dc->hsm_settings);
	free(dc->hsm_backend);
	for (size_t i = 0; i < TE_DAEMON_SOCKET__COUNT; i++)
		free(dc->sockets[i].path);
	p = &dc->provisioning;
	te_secure_free(p->sas_key);
	free(p->iothub_hostname);
	free(p->gateway_hostname);
	free(p->device_id);
	free(p->sas_key_file);
	free(p->sas_key_uri);
	free(p->identity_cert);
	free(p->identity_pk);
	free(dc->edge_ca.cert);
	free(dc->edge_ca.pk);
	for (size_t i = 0; i < dc->n_modules; i++) {
		free(dc->modules[i].name);
		free(dc->modules[i].cgroup);
		free(dc->modules[i].generation_id);
	}
	free(dc->modules);
	for (size_t i = 0; i < dc->n_principals; i++) {
		for (size_t j = 0; j < dc->principals[i].n_keys; j++)
			free(dc->principals[i].keys[j]);
		free(dc->principals[i].keys);
	}
	free(dc->principals);
	free(dc->state_dir);
	free(dc->cert_store);
	free(dc->tee_ta_user);
	free(dc->source);
	te_memzero(dc, sizeof(*dc));
	free(dc);
}
