/*
 * httpjson.c - untrusted JSON bodies and JSON replies for the daemon's
 * HTTP APIs (see httpjson.h).
 */
#include "daemon/httpjson.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/te_base64.h"

te_err te_hj_refuse(te_wl_status *st, int http, te_err err, const char *fmt, ...)
{
	va_list ap;

	st->http_status = http;
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
	return te_err_set(err, "%s", st->message);
}

void te_hj_status_ok(te_wl_status *st)
{
	st->http_status = 0;
	st->message[0] = '\0';
}

int te_hj_seg_is(const te_hj_seg *s, const char *lit)
{
	return strlen(lit) == s->n && memcmp(s->p, lit, s->n) == 0;
}

int te_hj_id_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._:+@$!*(),=#'", c) != NULL;
}

te_err te_hj_split(const char *path, size_t max_len, te_hj_seg *segs, size_t max_segs, size_t *nseg,
                   te_wl_status *st)
{
	te_err rc = TE_OK;
	size_t len, n = 0, start = 1;

	len = strnlen(path, max_len + 1);
	if (len > max_len)
		TE_HJ_FAIL(400, TE_ERR_INVALID_ARG, "request path is too long");
	if (len == 0 || path[0] != '/')
		TE_HJ_FAIL(400, TE_ERR_INVALID_ARG, "request path must start with '/'");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c <= 0x20 || c >= 0x7f)
			TE_HJ_FAIL(400, TE_ERR_INVALID_ARG,
			           "request path contains a byte outside printable ASCII");
	}
	for (size_t i = 1; len > 1 && i <= len; i++) {
		te_hj_seg s;

		if (i < len && path[i] != '/')
			continue;
		s.p = path + start;
		s.n = i - start;
		if (s.n == 0 || te_hj_seg_is(&s, ".") || te_hj_seg_is(&s, ".."))
			TE_HJ_FAIL(400, TE_ERR_INVALID_ARG,
			           "request path has an empty, '.' or '..' segment");
		if (n < max_segs)
			segs[n] = s;
		n++;
		start = i + 1;
	}
	*nseg = n > max_segs ? max_segs + 1 : n;
out:
	return rc;
}

int te_hj_is_json(const char *ct)
{
	static const char type[] = "application/json";
	const char *p;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, type, sizeof(type) - 1) != 0)
		return 0;
	p = ct + sizeof(type) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == ';';
}

/* Nesting depth of the JSON text, counted lexically (strings skipped) so
 * that a deep document is refused before jansson recurses into it.  Only
 * a bound: whether the text is JSON at all is jansson's to say. */
static size_t te_hj_depth(const uint8_t *p, size_t len)
{
	size_t depth = 0, max = 0;
	int in_str = 0, esc = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return max;
}

te_err te_hj_load(const void *body, size_t len, const char *ct, size_t max_len, size_t max_depth,
                  json_t **doc, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_error_t jerr;
	json_t *d = NULL;

	*doc = NULL;
	if (!te_hj_is_json(ct))
		TE_HJ_FAIL(415, TE_ERR_UNSUPPORTED, "request body must be application/json");
	if (len > max_len)
		TE_HJ_FAIL(413, TE_ERR_BUFFER_TOO_SMALL, "request body is larger than %zu bytes",
		           max_len);
	if (body == NULL || len == 0)
		TE_HJ_FAIL(422, TE_ERR_MALFORMED, "request body is not valid JSON");
	if (te_hj_depth(body, len) > max_depth)
		TE_HJ_FAIL(422, TE_ERR_MALFORMED, "request body is nested too deeply");
	/* Duplicates would let two parsers read two different requests. */
	d = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (d == NULL)
		TE_HJ_FAIL(422, TE_ERR_MALFORMED, "request body is not valid JSON");
	if (!json_is_object(d))
		TE_HJ_FAIL(400, TE_ERR_INVALID_ARG, "request body must be a JSON object");
	*doc = d;
	d = NULL;
out:
	json_decref(d);
	return rc;
}

te_err te_hj_get_str(json_t *obj, const char *key, const char *label, int required, const char **s,
                     size_t *n, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *v = json_object_get(obj, key);

	*s = NULL;
	*n = 0;
	if (v == NULL || (!required && json_is_null(v))) {
		if (required)
			TE_HJ_FAIL(400, TE_ERR_INVALID_ARG, "missing field '%s'", label);
		goto out;
	}
	if (!json_is_string(v))
		TE_HJ_FAIL(400, TE_ERR_INVALID_ARG, "field '%s' must be a string", label);
	*s = json_string_value(v);
	*n = json_string_length(v);
out:
	return rc;
}

te_err te_hj_get_b64(json_t *obj, const char *key, const char *label, size_t min, size_t max,
                     int secret, uint8_t *dst, size_t *dst_len, te_wl_status *st)
{
	te_err rc = TE_OK;
	const char *s;
	size_t n;
	te_buf b;

	te_buf_init(&b, secret);
	TE_GUARD(te_hj_get_str(obj, key, label, 1, &s, &n, st));
	if (n > te_base64_encoded_len(max))
		TE_HJ_FAIL(400, TE_ERR_INVALID_ARG, "field '%s' is too long", label);
	if (te_base64_decode(s, n, &b) != TE_OK)
		TE_HJ_FAIL(400, TE_ERR_INVALID_ARG, "field '%s' is not valid base64", label);
	if (b.len < min || b.len > max)
		TE_HJ_FAIL(400, TE_ERR_INVALID_ARG, "field '%s' must decode to %zu to %zu bytes",
		           label, min, max);
	if (b.len > 0)
		memcpy(dst, b.data, b.len);
	*dst_len = b.len;
out:
	te_buf_free(&b);
	return rc;
}

static int te_hj_dump_cb(const char *buffer, size_t size, void *data)
{
	return te_buf_append(data, buffer, size) == TE_OK ? 0 : -1;
}

/* Straight into json: no intermediate string that would need wiping. */
te_err te_hj_dump(json_t *doc, te_buf *json)
{
	te_err rc = TE_OK;
	size_t old = json->len;

	TE_ENSURE(doc != NULL, TE_ERR_NO_MEMORY, "cannot build JSON reply");
	TE_ENSURE(json_dump_callback(doc, te_hj_dump_cb, json, JSON_COMPACT) == 0, TE_ERR_NO_MEMORY,
	          "cannot serialise JSON reply");
	TE_GUARD(te_buf_reserve(json, 1));
	json->data[json->len] = '\0';
out:
	if (rc != TE_OK && json->data != NULL) {
		te_memzero(json->data + old, json->len - old);
		json->len = old;
	}
	return rc;
}

te_err te_hj_reply_str(const char *name, const char *text, size_t n, te_buf *json)
{
	te_err rc = TE_OK;
	json_t *doc = json_pack("{s:s%}", name, n != 0 ? text : "", n);

	TE_GUARD(te_hj_dump(doc, json));
out:
	json_decref(doc);
	return rc;
}

te_err te_hj_reply_error(const te_wl_status *st, te_buf *json)
{
	te_err rc = TE_OK;
	size_t n = strnlen(st->message, sizeof(st->message));

	TE_ENSURE(n < sizeof(st->message), TE_ERR_INVALID_ARG, "status message is not terminated");
	TE_GUARD(te_hj_reply_str("message", st->message, n, json));
out:
	return rc;
}
