/*
 * workload.c - routing and JSON bodies of the IoT Edge workload API.
 *
 * Pure functions over untrusted input: the path is checked byte by byte
 * and split into bounded segments before any matching, and bodies are
 * parsed only by jansson (after a size and nesting bound), then each field
 * is checked for presence, type and value.  Refusals carry fixed messages
 * that name our field, never the client's bytes.  See workload.h for the
 * contract and /work/shared/docs/workload-api.md for the API.
 */
#include "daemon/workload.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "common/te_base64.h"

/* The longest route has 6 segments; anything deeper is simply unknown. */
#define TE_WL_SEG_MAX 8

/* Placeholders in the route table. */
#define TE_WL_NAME  "{name}"
#define TE_WL_GENID "{genid}"

typedef te_hj_seg te_wl_seg;

typedef struct te_wl_tmpl {
	te_wl_route_id id;
	const char *method;
	te_wl_api_version since;
	size_t nseg;
	const char *seg[6];
} te_wl_tmpl;

static const te_wl_tmpl te_wl_routes[] = {
    {TE_WL_ROUTE_LIST_MODULES, "GET", TE_WL_API_2018_06_28, 1, {"modules"}},
    {TE_WL_ROUTE_SIGN,
     "POST",
     TE_WL_API_2018_06_28,
     5,
     {"modules", TE_WL_NAME, "genid", TE_WL_GENID, "sign"}},
    {TE_WL_ROUTE_ENCRYPT,
     "POST",
     TE_WL_API_2018_06_28,
     5,
     {"modules", TE_WL_NAME, "genid", TE_WL_GENID, "encrypt"}},
    {TE_WL_ROUTE_DECRYPT,
     "POST",
     TE_WL_API_2018_06_28,
     5,
     {"modules", TE_WL_NAME, "genid", TE_WL_GENID, "decrypt"}},
    {TE_WL_ROUTE_CERT_IDENTITY,
     "POST",
     TE_WL_API_2018_06_28,
     4,
     {"modules", TE_WL_NAME, "certificate", "identity"}},
    {TE_WL_ROUTE_CERT_SERVER,
     "POST",
     TE_WL_API_2018_06_28,
     6,
     {"modules", TE_WL_NAME, "genid", TE_WL_GENID, "certificate", "server"}},
    {TE_WL_ROUTE_TRUST_BUNDLE, "GET", TE_WL_API_2018_06_28, 1, {"trust-bundle"}},
    {TE_WL_ROUTE_MANIFEST_TRUST_BUNDLE, "GET", TE_WL_API_2020_07_07, 1, {"manifest-trust-bundle"}},
};

static const struct {
	const char *text;
	te_wl_api_version v;
} te_wl_versions[] = {
    {"2018-06-28", TE_WL_API_2018_06_28}, {"2019-01-30", TE_WL_API_2019_01_30},
    {"2019-10-22", TE_WL_API_2019_10_22}, {"2019-11-05", TE_WL_API_2019_11_05},
    {"2020-07-07", TE_WL_API_2020_07_07}, {"2021-12-07", TE_WL_API_2021_12_07},
    {"2022-08-03", TE_WL_API_2022_08_03},
};

#define TE_WL_FAIL TE_HJ_FAIL

/* ------------------------------------------------------------------ */
/* routing */

static te_err te_wl_copy_id(const te_wl_seg *s, char *dst, size_t max, const char *what,
                            te_wl_status *st)
{
	te_err rc = TE_OK;

	if (s->n == 0 || s->n > max)
		TE_WL_FAIL(400, TE_ERR_INVALID_ARG, "%s must be 1 to %zu characters", what, max);
	for (size_t i = 0; i < s->n; i++) {
		if (!te_hj_id_char((unsigned char)s->p[i]))
			TE_WL_FAIL(400, TE_ERR_INVALID_ARG,
			           "%s contains a character that is not allowed", what);
	}
	memcpy(dst, s->p, s->n);
	dst[s->n] = '\0';
out:
	return rc;
}

static te_wl_api_version te_wl_version(const char *text)
{
	if (text == NULL)
		return TE_WL_API_NONE;
	for (size_t i = 0; i < sizeof(te_wl_versions) / sizeof(te_wl_versions[0]); i++) {
		if (strcmp(text, te_wl_versions[i].text) == 0)
			return te_wl_versions[i].v;
	}
	return TE_WL_API_NONE;
}

static int te_wl_tmpl_matches(const te_wl_tmpl *t, const te_wl_seg *segs, size_t nseg)
{
	if (t->nseg != nseg)
		return 0;
	for (size_t i = 0; i < nseg; i++) {
		if (t->seg[i][0] == '{')
			continue;
		if (!te_hj_seg_is(&segs[i], t->seg[i]))
			return 0;
	}
	return 1;
}

te_err te_wl_route(const char *method, const char *path, const char *api_version,
                   te_wl_route_t *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;
	te_wl_seg segs[TE_WL_SEG_MAX];
	size_t nseg = 0;
	const te_wl_tmpl *hit = NULL;
	int path_known = 0;

	memset(out, 0, sizeof(*out));
	if (path == NULL)
		TE_WL_FAIL(400, TE_ERR_INVALID_ARG, "request path is missing");
	TE_GUARD(te_hj_split(path, TE_WL_PATH_MAX, segs, TE_WL_SEG_MAX, &nseg, st));
	for (size_t i = 0; i < sizeof(te_wl_routes) / sizeof(te_wl_routes[0]); i++) {
		const te_wl_tmpl *t = &te_wl_routes[i];
		if (nseg > TE_WL_SEG_MAX || !te_wl_tmpl_matches(t, segs, nseg))
			continue;
		path_known = 1;
		if (method != NULL && strcmp(method, t->method) == 0) {
			hit = t;
			break;
		}
	}
	if (!path_known)
		TE_WL_FAIL(404, TE_ERR_NOT_FOUND, "not found");
	if (hit == NULL)
		TE_WL_FAIL(405, TE_ERR_UNSUPPORTED, "method not allowed");
	out->version = te_wl_version(api_version);
	if (out->version == TE_WL_API_NONE)
		TE_WL_FAIL(400, TE_ERR_INVALID_ARG, "invalid api-version");
	/* The route does not exist in the version the client asked for. */
	if (out->version < hit->since)
		TE_WL_FAIL(404, TE_ERR_NOT_FOUND, "not found");
	for (size_t i = 0; i < nseg; i++) {
		if (strcmp(hit->seg[i], TE_WL_NAME) == 0)
			TE_GUARD(te_wl_copy_id(&segs[i], out->name, TE_IPC_MODULE_MAX,
			                       "module name", st));
		else if (strcmp(hit->seg[i], TE_WL_GENID) == 0)
			TE_GUARD(te_wl_copy_id(&segs[i], out->genid, TE_IPC_GENID_MAX,
			                       "generation id", st));
	}
	out->id = hit->id;
	te_hj_status_ok(st);
out:
	if (rc != TE_OK) {
		out->id = TE_WL_ROUTE_NONE;
		out->name[0] = '\0';
		out->genid[0] = '\0';
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* bodies */

te_err te_wl_parse_sign(const void *body, size_t len, const char *content_type, te_wl_sign_req *out,
                        te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;
	const char *s;
	size_t n;

	memset(out, 0, sizeof(*out));
	TE_GUARD(
	    te_hj_load(body, len, content_type, TE_WL_BODY_MAX, TE_WL_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(te_hj_get_str(doc, "keyId", "keyId", 1, &s, &n, st));
	if (!((n == 7 && memcmp(s, "primary", 7) == 0) ||
	      (n == 9 && memcmp(s, "secondary", 9) == 0)))
		TE_WL_FAIL(400, TE_ERR_INVALID_ARG, "field 'keyId' must be primary or secondary");
	memcpy(out->key_id, s, n);
	out->key_id[n] = '\0';
	TE_GUARD(te_hj_get_str(doc, "algo", "algo", 1, &s, &n, st));
	if (!(n == 10 && memcmp(s, "HMACSHA256", 10) == 0))
		TE_WL_FAIL(400, TE_ERR_INVALID_ARG, "field 'algo' must be HMACSHA256");
	TE_GUARD(te_hj_get_b64(doc, "data", "data", 0, TE_IPC_SIGN_DATA_MAX, 0, out->data,
	                       &out->data_len, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

static te_err te_wl_parse_crypt(const void *body, size_t len, const char *content_type, int encrypt,
                                te_wl_crypt_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;

	te_memzero(out, sizeof(*out));
	TE_GUARD(
	    te_hj_load(body, len, content_type, TE_WL_BODY_MAX, TE_WL_JSON_DEPTH_MAX, &doc, st));
	if (encrypt)
		TE_GUARD(te_hj_get_b64(doc, "plaintext", "plaintext", 0, TE_IPC_CRYPT_DATA_MAX, 1,
		                       out->data, &out->data_len, st));
	else
		TE_GUARD(te_hj_get_b64(doc, "ciphertext", "ciphertext", 1,
		                       TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX, 0,
		                       out->data, &out->data_len, st));
	TE_GUARD(te_hj_get_b64(doc, "initializationVector", "initializationVector", 1,
	                       TE_IPC_IV_MAX, 0, out->iv, &out->iv_len, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		te_memzero(out, sizeof(*out));
	json_decref(doc);
	return rc;
}

te_err te_wl_parse_encrypt(const void *body, size_t len, const char *content_type,
                           te_wl_crypt_req *out, te_wl_status *st)
{
	return te_wl_parse_crypt(body, len, content_type, 1, out, st);
}

te_err te_wl_parse_decrypt(const void *body, size_t len, const char *content_type,
                           te_wl_crypt_req *out, te_wl_status *st)
{
	return te_wl_parse_crypt(body, len, content_type, 0, out, st);
}

/* Reads n decimal digits; -1 unless all are digits. */
static int te_wl_digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so the result never depends on the local TZ. */
static int64_t te_wl_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

te_err te_wl_parse_rfc3339(const char *s, size_t len, int64_t *epoch)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	te_err rc = TE_OK;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, leap, dim;
	size_t i = 19;

	TE_ENSURE(s != NULL && len >= 20, TE_ERR_INVALID_ARG, "not an RFC 3339 date-time");
	y = te_wl_digits(s, 4);
	mo = te_wl_digits(s + 5, 2);
	d = te_wl_digits(s + 8, 2);
	h = te_wl_digits(s + 11, 2);
	mi = te_wl_digits(s + 14, 2);
	sec = te_wl_digits(s + 17, 2);
	TE_ENSURE(s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') && s[13] == ':' &&
	              s[16] == ':',
	          TE_ERR_INVALID_ARG, "not an RFC 3339 date-time");
	TE_ENSURE(y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h <= 23 && mi >= 0 &&
	              mi <= 59 && sec >= 0 && sec <= 59,
	          TE_ERR_INVALID_ARG, "RFC 3339 date-time out of range");
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	dim = mdays[mo - 1] + (mo == 2 && leap);
	TE_ENSURE(d <= dim, TE_ERR_INVALID_ARG, "RFC 3339 date-time out of range");
	if (s[i] == '.') {
		size_t start = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		TE_ENSURE(i > start && i - start <= 9, TE_ERR_INVALID_ARG,
		          "RFC 3339 fraction of a second must have 1 to 9 digits");
	}
	TE_ENSURE(i < len, TE_ERR_INVALID_ARG, "RFC 3339 date-time has no time zone");
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else {
		TE_ENSURE((s[i] == '+' || s[i] == '-') && len - i == 6 && s[i + 3] == ':',
		          TE_ERR_INVALID_ARG, "RFC 3339 time zone must be Z or +hh:mm");
		sign = s[i] == '+' ? 1 : -1;
		oh = te_wl_digits(s + i + 1, 2);
		om = te_wl_digits(s + i + 4, 2);
		TE_ENSURE(oh >= 0 && oh <= 23 && om >= 0 && om <= 59, TE_ERR_INVALID_ARG,
		          "RFC 3339 time zone out of range");
		i += 6;
	}
	TE_ENSURE(i == len, TE_ERR_INVALID_ARG, "RFC 3339 date-time has trailing characters");
	/* Local time = UTC + offset, so UTC = local - offset. */
	*epoch = te_wl_days(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + sec -
	         (int64_t)sign * (oh * 3600 + om * 60);
out:
	return rc;
}

static te_err te_wl_get_expiration(json_t *doc, te_wl_cert_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	const char *s;
	size_t n;

	TE_GUARD(te_hj_get_str(doc, "expiration", "expiration", 0, &s, &n, st));
	if (s == NULL)
		goto out;
	if (te_wl_parse_rfc3339(s, n, &out->expiration) != TE_OK)
		TE_WL_FAIL(400, TE_ERR_INVALID_ARG,
		           "field 'expiration' must be an RFC 3339 date-time");
	out->has_expiration = 1;
out:
	return rc;
}

te_err te_wl_parse_server_cert(const void *body, size_t len, const char *content_type,
                               te_wl_cert_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;
	const char *s;
	size_t n;

	memset(out, 0, sizeof(*out));
	TE_GUARD(
	    te_hj_load(body, len, content_type, TE_WL_BODY_MAX, TE_WL_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(te_hj_get_str(doc, "commonName", "commonName", 1, &s, &n, st));
	if (n == 0 || n > TE_WL_COMMON_NAME_MAX)
		TE_WL_FAIL(400, TE_ERR_INVALID_ARG, "field 'commonName' must be 1 to %d characters",
		           TE_WL_COMMON_NAME_MAX);
	/* DNS names and IPv4/IPv6 literals only: the name goes into a SAN. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '_'))
			TE_WL_FAIL(400, TE_ERR_INVALID_ARG,
			           "field 'commonName' must be a host name or IP address");
	}
	memcpy(out->common_name, s, n);
	out->common_name[n] = '\0';
	TE_GUARD(te_wl_get_expiration(doc, out, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

te_err te_wl_parse_identity_cert(const void *body, size_t len, const char *content_type,
                                 te_wl_cert_req *out, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;

	memset(out, 0, sizeof(*out));
	/* The body is optional for identity certificates (workload-api.md):
	 * an empty one means "no expiration asked", whatever its type. */
	if (len == 0) {
		te_hj_status_ok(st);
		goto out;
	}
	TE_GUARD(
	    te_hj_load(body, len, content_type, TE_WL_BODY_MAX, TE_WL_JSON_DEPTH_MAX, &doc, st));
	TE_GUARD(te_wl_get_expiration(doc, out, st));
	te_hj_status_ok(st);
out:
	if (rc != TE_OK)
		memset(out, 0, sizeof(*out));
	json_decref(doc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* replies */

/* {"<field>":"<base64 of data>"}; the base64 text is kept in secure
 * memory because a decrypt reply carries the module's plaintext. */
static te_err te_wl_reply_b64(const char *field, const uint8_t *data, size_t len, te_buf *json)
{
	te_err rc = TE_OK;
	te_buf b64;
	json_t *doc = NULL;

	te_buf_init(&b64, 1);
	TE_ENSURE(data != NULL || len == 0, TE_ERR_INVALID_ARG, "reply data is missing");
	TE_GUARD(te_base64_encode(data, len, &b64));
	doc = json_pack("{s:s%}", field, b64.len > 0 ? (const char *)b64.data : "", b64.len);
	TE_GUARD(te_hj_dump(doc, json));
out:
	json_decref(doc);
	te_buf_free(&b64);
	return rc;
}

te_err te_wl_reply_sign(const uint8_t *digest, size_t len, te_buf *json)
{
	te_err rc = TE_OK;

	TE_ENSURE(digest != NULL && len >= 1 && len <= TE_IPC_DIGEST_MAX, TE_ERR_INVALID_ARG,
	          "digest must be 1 to %d bytes", TE_IPC_DIGEST_MAX);
	TE_GUARD(te_wl_reply_b64("digest", digest, len, json));
out:
	return rc;
}

te_err te_wl_reply_crypt(const char *field, const uint8_t *data, size_t len, te_buf *json)
{
	te_err rc = TE_OK;

	TE_ENSURE(strcmp(field, "ciphertext") == 0 || strcmp(field, "plaintext") == 0,
	          TE_ERR_INVALID_ARG, "crypt reply field must be ciphertext or plaintext");
	TE_ENSURE(len <= TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX, TE_ERR_INVALID_ARG,
	          "crypt reply of %zu bytes is too large", len);
	TE_GUARD(te_wl_reply_b64(field, data, len, json));
out:
	return rc;
}

te_err te_wl_reply_error(const te_wl_status *st, te_buf *json)
{
	return te_hj_reply_error(st, json);
}

te_err te_wl_reply_modules(const char *const *names, size_t n, te_buf *json)
{
	te_err rc = TE_OK;
	json_t *doc = NULL, *list = NULL;

	list = json_array();
	TE_ENSURE(list != NULL, TE_ERR_NO_MEMORY, "cannot build JSON reply");
	for (size_t i = 0; i < n; i++) {
		/* ModuleDetails: this daemon does not run modules (yet), so
		 * config is empty and the runtime status unknown. */
		json_t *m =
		    json_pack("{s:s, s:s, s:s, s:{s:{}, s:[]}, s:{s:{s:s}}}", "id", names[i],
		              "name", names[i], "type", "trustedge", "config", "settings", "env",
		              "status", "runtimeStatus", "status", "unknown");

		TE_ENSURE(m != NULL && json_array_append_new(list, m) == 0, TE_ERR_NO_MEMORY,
		          "cannot build JSON reply");
	}
	doc = json_pack("{s:o}", "modules", list);
	list = NULL; /* owned by doc, even when json_pack failed */
	TE_GUARD(te_hj_dump(doc, json));
out:
	json_decref(list);
	json_decref(doc);
	return rc;
}

/* RFC 3339 in UTC, seconds precision: "2026-11-22T13:50:54Z". */
static te_err te_wl_format_time(int64_t t, char out[32])
{
	te_err rc = TE_OK;
	time_t tt = (time_t)t;
	struct tm tm;

	TE_ENSURE((int64_t)tt == t && gmtime_r(&tt, &tm) != NULL, TE_ERR_INVALID_ARG,
	          "time %lld cannot be shown", (long long)t);
	TE_ENSURE(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) != 0, TE_ERR_INVALID_ARG,
	          "time %lld cannot be shown", (long long)t);
out:
	return rc;
}

te_err te_wl_reply_cert(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                        int64_t expiration, te_buf *json)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;
	char when[32];

	TE_GUARD(te_wl_format_time(expiration, when));
	/* The private key travels in the JSON text only, which is secure
	 * memory when the caller passes a secure te_buf; jansson's copy is
	 * wiped on free once te_json_wipe_on_free() is in force. */
	doc = json_pack("{s:{s:s, s:s%}, s:s%, s:s}", "privateKey", "type", "key", "bytes", key_pem,
	                key_len, "certificate", cert_pem, cert_len, "expiration", when);
	TE_GUARD(te_hj_dump(doc, json));
out:
	json_decref(doc);
	return rc;
}

te_err te_wl_reply_bundle(const char *pem, size_t len, te_buf *json)
{
	te_err rc = TE_OK;
	json_t *doc = NULL;

	doc = json_pack("{s:s%}", "certificate", len != 0 ? pem : "", len);
	TE_GUARD(te_hj_dump(doc, json));
out:
	json_decref(doc);
	return rc;
}
