/*
 * test_api.c - workload.api: the API process's HTTP server end to end.
 *
 * A soft HSM in a temporary store holds a known device key; a thread
 * plays the keys process (te_keys_handle) on one end of a SOCK_SEQPACKET
 * pair; te_api serves a Unix socket in a temporary directory, with
 * modules "mod-a" (our uid) and "mod-b" (another uid).  Requests are
 * made with curl --unix-socket (no shell); the test is skipped without
 * curl.  The sign digest is pinned against an independent OpenSSL
 * computation of the derivation in docs/design-daemon.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/te_json.h"
#include "daemon/api.h"
#include "daemon/authz.h"
#include "daemon/ipc.h"
#include "daemon/keys.h"
#include "testutil.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_hsm.h"

#define DEVICE_KEY  "device-sas"
#define ENCRYPT_KEY "workload-encrypt"
#define VER         "api-version=2019-01-30"
#define MAX_BODY    4096
#define CONN_LIMIT  2

static const uint8_t device_bytes[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

struct fx {
	char *dir;
	char *sock;
	char *body_path; /* curl -o */
	char *data_path; /* curl --data-binary @ */
	te_hsm *hsm;
	te_keys *keys;
	int ipc[2];
	pthread_t keys_thread;
	int listen_fd;
	te_daemon_config *cfg;
	te_authz *authz;
	te_api *api;
};

static struct fx fx;
/* 1: send the body chunked (no Content-Length: the limit is met while
 * reading, not from the header). */
static int chunked;

/* The keys process: answer until the channel closes. */
static void *keys_main(void *arg)
{
	struct fx *f = arg;
	te_ipc_msg *req = calloc(1, sizeof(*req));
	te_ipc_msg *rep = calloc(1, sizeof(*rep));

	while (req != NULL && rep != NULL && te_ipc_recv(f->ipc[1], req) == TE_OK) {
		if (te_keys_handle(f->keys, req, rep) != TE_OK)
			break;
		if (te_ipc_send_msg(f->ipc[1], rep) != TE_OK)
			break;
		te_ipc_msg_wipe(req);
		te_ipc_msg_wipe(rep);
	}
	free(req);
	free(rep);
	return NULL;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static int setup(void **state)
{
	struct fx *f = &fx;
	te_hsm_key_attrs dev = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE, 0};
	te_keys_config kc = {DEVICE_KEY, ENCRYPT_KEY};
	te_hsm_setting s[1];
	te_api_config ac;
	char yaml[256];
	unsigned me = (unsigned)getuid();
	unsigned other = me == 65534 ? 65533 : 65534;
	int n;

	(void)state;
	f->dir = tu_tempdir("api");
	f->sock = tu_path(f->dir, "w.sock");
	f->body_path = tu_path(f->dir, "body");
	f->data_path = tu_path(f->dir, "data");
	s[0].key = "store";
	s[0].value = f->dir;
	assert_int_equal(te_hsm_open("soft", s, 1, &f->hsm), TE_OK);
	assert_int_equal(
	    te_hsm_key_import(f->hsm, DEVICE_KEY, &dev, device_bytes, sizeof(device_bytes)), TE_OK);
	assert_int_equal(te_keys_open(f->hsm, &kc, &f->keys), TE_OK);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->ipc), 0);
	assert_int_equal(pthread_create(&f->keys_thread, NULL, keys_main, f), 0);
	f->listen_fd = listen_unix(f->sock);

	n = snprintf(yaml, sizeof(yaml),
		     "modules:\n  - name: mod-a\n    uid: %u\n  - name: mod-b\n    uid: %u\n"
		     "limits:\n  max_connections_per_uid: %d\n",
		     me, other, CONN_LIMIT);
	assert_true(n > 0 && (size_t)n < sizeof(yaml));
	if (te_daemon_config_parse("t.yaml", yaml, (size_t)n, &f->cfg) != TE_OK)
		fail_msg("config: %s", te_err_detail());
	assert_int_equal(te_authz_new(f->cfg, &f->authz), TE_OK);

	memset(&ac, 0, sizeof(ac));
	ac.listen_fd = f->listen_fd;
	ac.ipc_fd = f->ipc[0];
	ac.authz = f->authz;
	ac.max_body_bytes = MAX_BODY;
	ac.conn_timeout_s = 5;
	if (te_api_start(&ac, &f->api) != TE_OK)
		fail_msg("te_api_start: %s", te_err_detail());
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = &fx;

	(void)state;
	te_api_stop(f->api);
	/* Closing our end ends the keys thread's recv loop. */
	close(f->ipc[0]);
	pthread_join(f->keys_thread, NULL);
	close(f->ipc[1]);
	/* te_api_stop left the listen socket to us. */
	assert_int_equal(close(f->listen_fd), 0);
	te_authz_free(f->authz);
	te_daemon_config_free(f->cfg);
	te_keys_close(f->keys);
	te_hsm_close(f->hsm);
	free(f->sock);
	free(f->body_path);
	free(f->data_path);
	tu_rmtree(f->dir);
	return 0;
}

/* ---- the client ---- */

struct reply {
	int status;  /* HTTP status, 0 when no response */
	char *body;  /* NUL-terminated, malloc'd */
	int json;    /* Content-Type was application/json */
};

/* One request with curl.  body NULL: no body (and method GET unless
 * method says otherwise).  The body goes through a file, so any size and
 * bytes work. */
static struct reply http(const char *method, const char *path_query, const char *ctype,
			 const char *body)
{
	struct fx *f = &fx;
	struct reply r = {0, NULL, 0};
	char url[512];
	char hdr[128];
	char data_arg[512];
	char *out = NULL;
	char *argv[24];
	int i = 0;
	uint8_t *b = NULL;
	size_t n = 0;

	snprintf(url, sizeof(url), "http://localhost%s", path_query);
	argv[i++] = "curl";
	argv[i++] = "--unix-socket";
	argv[i++] = f->sock;
	argv[i++] = "-s";
	argv[i++] = "-o";
	argv[i++] = f->body_path;
	argv[i++] = "-w";
	argv[i++] = "%{http_code} %{content_type}";
	argv[i++] = "-X";
	argv[i++] = (char *)method;
	if (ctype != NULL) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
		argv[i++] = "-H";
		argv[i++] = hdr;
	}
	if (chunked) {
		argv[i++] = "-H";
		argv[i++] = "Transfer-Encoding: chunked";
	}
	if (body != NULL) {
		assert_int_equal(tu_write_file(f->data_path, body, strlen(body)), 0);
		snprintf(data_arg, sizeof(data_arg), "@%s", f->data_path);
		argv[i++] = "--data-binary";
		argv[i++] = data_arg;
	}
	argv[i++] = url;
	argv[i] = NULL;
	(void)unlink(f->body_path);
	(void)tu_run_capture(argv, &out);
	if (out != NULL) {
		char *end = NULL;

		r.status = (int)strtol(out, &end, 10); /* curl's three digits */
		r.json = strcmp(end, " application/json") == 0;
	}
	free(out);
	if (tu_read_file(f->body_path, &b, &n) == 0) {
		r.body = calloc(1, n + 1);
		assert_non_null(r.body);
		memcpy(r.body, b, n);
		free(b);
	} else {
		r.body = calloc(1, 1);
	}
	return r;
}

static struct reply post_json(const char *path_query, const char *body)
{
	return http("POST", path_query, "application/json", body);
}

/* The value of "field":"..." in a reply, malloc'd. */
static char *json_str(const char *body, const char *field)
{
	char key[64];
	const char *p;
	const char *e;
	char *v;

	snprintf(key, sizeof(key), "\"%s\":\"", field);
	p = strstr(body, key);
	if (p == NULL)
		fail_msg("no %s in %s", field, body);
	p += strlen(key);
	e = strchr(p, '"');
	assert_non_null(e);
	v = calloc(1, (size_t)(e - p) + 1);
	assert_non_null(v);
	memcpy(v, p, (size_t)(e - p));
	return v;
}

static void expect(struct reply r, int status, const char *body_part)
{
	if (r.status != status)
		fail_msg("status %d, wanted %d (body %s)", r.status, status, r.body);
	assert_true(r.json);
	if (body_part != NULL && strstr(r.body, body_part) == NULL)
		fail_msg("body %s lacks %s", r.body, body_part);
	free(r.body);
}

/* ---- tests ---- */

static void test_sign(void **state)
{
	static const char deriv[] = "trustedge-module-sas-v1\0mod-a\0" "17\0primary";
	static const char data[] = "hello module";
	uint8_t mk[32];
	uint8_t dg[32];
	unsigned len = 0;
	char b64[64];
	char want[96];
	struct reply r;

	(void)state;
	assert_non_null(HMAC(EVP_sha256(), device_bytes, sizeof(device_bytes),
			     (const uint8_t *)deriv, sizeof(deriv) - 1, mk, &len));
	assert_non_null(HMAC(EVP_sha256(), mk, sizeof(mk), (const uint8_t *)data,
			     sizeof(data) - 1, dg, &len));
	EVP_EncodeBlock((unsigned char *)b64, dg, sizeof(dg));
	snprintf(want, sizeof(want), "\"digest\":\"%s\"", b64);

	/* "hello module" in base64 */
	r = post_json("/modules/mod-a/genid/17/sign?" VER,
		      "{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"aGVsbG8gbW9kdWxl\"}");
	expect(r, 200, want);
}

static void test_refusals(void **state)
{
	static const char sign_body[] =
	    "{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"aGVsbG8=\"}";

	(void)state;
	expect(post_json("/modules/mod-b/genid/1/sign?" VER, sign_body), 403, "\"message\"");
	expect(post_json("/modules/mod-a/genid/1/sign?api-version=1999-01-01", sign_body), 400,
	       "invalid api-version");
	expect(post_json("/modules/mod-a/genid/1/sign", sign_body), 400, "\"message\"");
	expect(post_json("/nope?" VER, sign_body), 404, "\"message\"");
	/* Paths are not percent-decoded: "%2D" is not "-". */
	expect(post_json("/modules/mod%2Da/genid/1/sign?" VER, sign_body), 400, "\"message\"");
	expect(http("GET", "/modules/mod-a/genid/1/sign?" VER, NULL, NULL), 405, "\"message\"");
	expect(http("POST", "/modules/mod-a/genid/1/sign?" VER, "text/plain", sign_body), 415,
	       "\"message\"");
	expect(post_json("/modules/mod-a/genid/1/sign?" VER, "{\"keyId\":"), 422, "\"message\"");
	/* This keys process has no certificate store: 501, said plainly. */
	expect(http("GET", "/trust-bundle?" VER, NULL, NULL), 501, "not available on this device");
}

static void test_oversize(void **state)
{
	char *big = malloc(MAX_BODY + 100);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', MAX_BODY + 99);
	big[0] = '{';
	big[MAX_BODY + 98] = '}';
	big[MAX_BODY + 99] = '\0';
	expect(post_json("/modules/mod-a/genid/1/sign?" VER, big), 413, "too large");
	chunked = 1;
	expect(post_json("/modules/mod-a/genid/1/sign?" VER, big), 413, "too large");
	chunked = 0;
	free(big);
	/* The server still answers afterwards. */
	expect(http("GET", "/trust-bundle?" VER, NULL, NULL), 501, NULL);
}

static void test_crypt_round_trip(void **state)
{
	char body[1024];
	struct reply r;
	char *ct;
	size_t mid;

	(void)state;
	/* "secret plaintext" and IV "iv-1" */
	r = post_json("/modules/mod-a/genid/5/encrypt?" VER,
		      "{\"plaintext\":\"c2VjcmV0IHBsYWludGV4dA==\",\"initializationVector\":"
		      "\"aXYtMQ==\"}");
	assert_int_equal(r.status, 200);
	ct = json_str(r.body, "ciphertext");
	free(r.body);

	snprintf(body, sizeof(body), "{\"ciphertext\":\"%s\",\"initializationVector\":\"aXYtMQ==\"}",
		 ct);
	expect(post_json("/modules/mod-a/genid/5/decrypt?" VER, body), 200,
	       "\"plaintext\":\"c2VjcmV0IHBsYWludGV4dA==\"");

	/* Another generation id cannot open it (bound in the AAD). */
	expect(post_json("/modules/mod-a/genid/6/decrypt?" VER, body), 400, "\"message\"");

	/* One changed byte in the middle (never a padding character). */
	mid = strlen(ct) / 2;
	ct[mid] = ct[mid] == 'A' ? 'B' : 'A';
	snprintf(body, sizeof(body), "{\"ciphertext\":\"%s\",\"initializationVector\":\"aXYtMQ==\"}",
		 ct);
	expect(post_json("/modules/mod-a/genid/5/decrypt?" VER, body), 400, "\"message\"");
	free(ct);
}

/* Connections beyond limits.max_connections_per_uid are closed unanswered;
 * closing one frees its slot. */
static void test_conn_limit(void **state)
{
	int held[CONN_LIMIT];
	struct sockaddr_un sa;
	struct reply r;
	int ok = 0;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, fx.sock, strlen(fx.sock) + 1);
	/* Connections of the earlier tests may still be counted until the
	 * server sees them close: start from none, or ours would be the ones
	 * refused. */
	for (int i = 0; i < 1000 && te_authz_conn_count(fx.authz, getuid()) > 0; i++)
		usleep(10000);
	assert_int_equal(te_authz_conn_count(fx.authz, getuid()), 0);
	for (int i = 0; i < CONN_LIMIT; i++) {
		held[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(held[i] >= 0);
		assert_int_equal(connect(held[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	/* Let the server accept (and count) both. */
	for (int i = 0; i < 1000 && te_authz_conn_count(fx.authz, getuid()) < CONN_LIMIT; i++)
		usleep(10000);
	assert_int_equal(te_authz_conn_count(fx.authz, getuid()), CONN_LIMIT);
	r = http("GET", "/trust-bundle?" VER, NULL, NULL);
	assert_int_equal(r.status, 0);
	free(r.body);
	for (int i = 0; i < CONN_LIMIT; i++)
		close(held[i]);
	for (int i = 0; i < 1000 && !ok; i++) {
		if (te_authz_conn_count(fx.authz, getuid()) == 0)
			ok = 1;
		else
			usleep(10000);
	}
	assert_true(ok);
	expect(http("GET", "/trust-bundle?" VER, NULL, NULL), 501, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_crypt_round_trip),
	    cmocka_unit_test(test_conn_limit),
	};

	te_json_wipe_on_free();
	if (!tu_have_program("curl")) {
		printf("workload.api: SKIP: curl not found in PATH\n");
		return 77; /* SKIP_RETURN_CODE */
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
