/*
 * httpjson.h - what every HTTP API of the daemon (workload, keys,
 * certificates, identity) does the same way with untrusted JSON bodies:
 * the refusal they become (status + fixed message that never repeats
 * client bytes), the Content-Type check, a nesting bound before jansson
 * recurses, duplicate keys refused, typed member getters with base64
 * decoding into bounded buffers, and serialisation into a te_buf (secure
 * when the reply is a secret) without an intermediate string.
 */
#ifndef TRUSTEDGE_DAEMON_HTTPJSON_H
#define TRUSTEDGE_DAEMON_HTTPJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "trustedge/te_error.h"
#include "trustedge/te_mem.h"

#define TE_HJ_MESSAGE_MAX 256

/* A refusal: the HTTP status (0 on success) and the {"message"} text. */
typedef struct te_wl_status {
	int http_status;
	char message[TE_HJ_MESSAGE_MAX];
} te_wl_status;

/* Fills st and the thread's error detail with the same text; returns err. */
te_err te_hj_refuse(te_wl_status *st, int http, te_err err, const char *fmt, ...) TE_PRINTF(4, 5)
    TE_NONNULL(1, 4);
/* st: success (status 0, no message). */
void te_hj_status_ok(te_wl_status *st) TE_NONNULL(1);

/* Refuses through st (which must be in scope with rc and an out: label). */
#define TE_HJ_FAIL(...)                                                                            \
	do {                                                                                       \
		rc = te_hj_refuse(st, __VA_ARGS__);                                                \
		goto out;                                                                          \
	} while (0)

/* One segment of a request path (points into the path). */
typedef struct te_hj_seg {
	const char *p;
	size_t n;
} te_hj_seg;

/*
 * Checks every byte of path (400: longer than max_len, not starting with
 * '/', bytes outside printable ASCII, empty "." or ".." segments, which
 * normalisers disagree on) and splits "/a/b" into segs[0..max_segs).
 * *nseg is max_segs + 1 when there are more segments than that (no route
 * has as many); "/" alone has none.  Paths are not percent-decoded.
 */
te_err te_hj_split(const char *path, size_t max_len, te_hj_seg *segs, size_t max_segs, size_t *nseg,
                   te_wl_status *st) TE_MUST_CHECK TE_NONNULL(1, 3, 5, 6);
/* 1 when the segment is the NUL-terminated lit. */
int te_hj_seg_is(const te_hj_seg *s, const char *lit) TE_NONNULL(1, 2);
/* IoT Hub id characters less '%': with no percent-decoding a '%' would
 * let one id be spelled two ways. */
int te_hj_id_char(unsigned char c);

/* 1 when ct is application/json, parameters allowed. */
int te_hj_is_json(const char *ct);

/*
 * Loads body as one JSON object: 415 unless application/json, 413 over
 * max_len, 422 when empty, nested deeper than max_depth (counted before
 * parsing), not JSON or with a duplicate key, 400 when not an object.
 * *doc is set only on TE_OK; the caller json_decref()s it.
 */
te_err te_hj_load(const void *body, size_t len, const char *ct, size_t max_len, size_t max_depth,
                  json_t **doc, te_wl_status *st) TE_MUST_CHECK TE_NONNULL(6, 7);

/* A string member key of obj, called label in messages: 400 when missing
 * (if required) or not a string; *s is NULL when an optional one is
 * absent or null. */
te_err te_hj_get_str(json_t *obj, const char *key, const char *label, int required, const char **s,
                     size_t *n, te_wl_status *st) TE_MUST_CHECK TE_NONNULL(1, 2, 3, 5, 6, 7);

/* The required base64 string member key decoded into dst (min..max
 * bytes): 400 when too long, not base64 or out of bounds.  secret: the
 * bytes pass through secure memory only. */
te_err te_hj_get_b64(json_t *obj, const char *key, const char *label, size_t min, size_t max,
                     int secret, uint8_t *dst, size_t *dst_len, te_wl_status *st) TE_MUST_CHECK
    TE_NONNULL(1, 2, 3, 8, 9);

/* Appends doc serialised compactly to json, NUL-terminated (the NUL not
 * counted); on failure json is as it was.  doc NULL (a failed json_pack)
 * is TE_ERR_NO_MEMORY. */
te_err te_hj_dump(json_t *doc, te_buf *json) TE_MUST_CHECK TE_NONNULL(2);

/* {"<name>":"<text[0..n)>"}; text must be UTF-8 (ours is ASCII). */
te_err te_hj_reply_str(const char *name, const char *text, size_t n, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(1, 4);

/* {"message":"<st->message>"} */
te_err te_hj_reply_error(const te_wl_status *st, te_buf *json) TE_MUST_CHECK TE_NONNULL(1, 2);

#endif
