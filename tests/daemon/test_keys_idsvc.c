/*
 * test_keys_idsvc.c - the identity service's part in the keys process
 * (keys_idsvc.c) and the identity handles of the keys service (keys_svc.c),
 * driven like the API process drives them: IDSVC_REQ and KEYSVC_REQ
 * messages through te_keys_handle, on the soft backend in a temporary
 * directory, with no principal (the identity service needs none) or with
 * one (uid 2000: "*").
 *
 * Pinned against OpenSSL: a device handle signs HMAC-SHA256(device key,
 * msg); a module handle signs HMAC-SHA256(HMAC-SHA256(device key, dd),
 * msg), dd being keys.c's derivation data, which is also what the
 * workload API's SIGN_DERIVED_REQ answers for that module and genid.
 * Refused: another uid presenting the handle, an altered handle, ECDSA,
 * every other keys service operation, a keys-service handle naming the
 * device key (still reserved), a device key that is no HSM name, no keys
 * service, a malformed request.  Also: the handle key is made only at the
 * first identity handle, handles survive a restart, the audit lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/ipc.h"
#include "daemon/keyhandle.h"
#include "daemon/keys.h"
#include "daemon/keys_idsvc.h"
#include "daemon/keys_svc.h"
#include "testutil.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_hsm.h"

#define DEVICE_KEY  "device-sas"
#define ENCRYPT_KEY "workload-encrypt"
#define ADMIN       0u
#define MOD_A       1001u
#define MOD_B       1002u
#define PRINCIPAL   2000u
#define MSG         "sr\nse"

static const uint8_t device_bytes[32] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};

static char *globs_any[] = {"*"};

struct fx {
	char *dir;
	te_hsm *hsm;
	te_keys *keys;
	te_daemon_config dc;
	te_daemon_principal pr[1];
	te_ipc_msg *req;
	te_ipc_msg *rep;
	te_ipc_keysvc_reply kr;
};

static void open_keys(struct fx *f, int with_service)
{
	te_keys_config cfg = {DEVICE_KEY, ENCRYPT_KEY};
	te_keys_cert_config cc;

	memset(&cc, 0, sizeof(cc));
	cc.keys_service = with_service ? &f->dc : NULL;
	assert_int_equal(te_keys_open_with_certs(f->hsm, &cfg, &cc, &f->keys), TE_OK);
}

static int setup_n(void **state, size_t n_principals, int with_service)
{
	struct fx *f = calloc(1, sizeof(*f));
	te_hsm_key_attrs dev = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE, 0};

	assert_non_null(f);
	f->dir = tu_tempdir("keysidsvc");
	{
		te_hsm_setting s[] = {{"store", f->dir}};

		assert_int_equal(te_hsm_open("soft", s, 1, &f->hsm), TE_OK);
	}
	assert_int_equal(
	    te_hsm_key_import(f->hsm, DEVICE_KEY, &dev, device_bytes, sizeof(device_bytes)), TE_OK);
	f->pr[0] = (te_daemon_principal){PRINCIPAL, globs_any, 1};
	f->dc.principals = f->pr;
	f->dc.n_principals = n_principals;
	f->req = calloc(1, sizeof(*f->req));
	f->rep = calloc(1, sizeof(*f->rep));
	assert_non_null(f->req);
	assert_non_null(f->rep);
	open_keys(f, with_service);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, 0, 1);
}

static int setup_principal(void **state)
{
	return setup_n(state, 1, 1);
}

static int setup_no_service(void **state)
{
	return setup_n(state, 0, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	te_keys_close(f->keys);
	te_hsm_close(f->hsm);
	tu_rmtree(f->dir);
	te_ipc_msg_wipe(f->req);
	te_ipc_msg_wipe(f->rep);
	free(f->req);
	free(f->rep);
	free(f);
	return 0;
}

/* ---- requests ---- */

/* IDSVC_REQ for uid and (module, genid) ("" and "": the device); the
 * reply is left in f->rep. */
static void idsvc_call(struct fx *f, uint32_t uid, const char *module, const char *genid)
{
	te_ipc_idsvc_req q;

	memset(&q, 0, sizeof(q));
	q.uid = uid;
	snprintf(q.module, sizeof(q.module), "%s", module);
	snprintf(q.genid, sizeof(q.genid), "%s", genid);
	assert_int_equal(te_ipc_idsvc_req_encode(&q, f->req), TE_OK);
	f->req->id = 77;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->id, 77);
}

/* The handle of an identity, into out (TE_KEYHANDLE_TEXT_MAX + 1). */
static void identity_handle(struct fx *f, uint32_t uid, const char *module, const char *genid,
                            char *out)
{
	te_ipc_idsvc_reply r;

	idsvc_call(f, uid, module, genid);
	assert_int_equal(f->rep->type, TE_IPC_IDSVC_REPLY);
	assert_int_equal(te_ipc_idsvc_reply_decode(f->rep, &r), TE_OK);
	assert_true(r.handle_len > 0 && r.handle_len <= TE_KEYHANDLE_TEXT_MAX);
	memcpy(out, r.handle, r.handle_len);
	out[r.handle_len] = '\0';
}

/* The last reply is an ERROR_REPLY with code. */
static void error_reply(struct fx *f, te_err code)
{
	te_ipc_error_reply er;

	assert_int_equal(f->rep->type, TE_IPC_ERROR_REPLY);
	assert_int_equal(te_ipc_error_reply_decode(f->rep, &er), TE_OK);
	assert_int_equal(er.code, code);
}

static unsigned keysvc(struct fx *f, const te_ipc_keysvc_req *q)
{
	assert_int_equal(te_ipc_keysvc_req_encode(q, f->req), TE_OK);
	f->req->id = 78;
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_KEYSVC_REPLY);
	assert_int_equal(te_ipc_keysvc_reply_decode(f->rep, &f->kr), TE_OK);
	return f->kr.status;
}

static unsigned sign(struct fx *f, uint32_t uid, const char *handle, uint8_t alg, const void *data,
                     size_t n)
{
	te_ipc_keysvc_req q;

	memset(&q, 0, sizeof(q));
	q.uid = uid;
	q.op = TE_IPC_KEYSVC_SIGN;
	snprintf(q.handle, sizeof(q.handle), "%s", handle);
	q.alg = alg;
	q.data = data;
	q.data_len = n;
	return keysvc(f, &q);
}

/* HMAC-SHA256 of MSG with handle as uid: must answer 200. */
static void sign_ok(struct fx *f, uint32_t uid, const char *handle, uint8_t out[32])
{
	assert_int_equal(sign(f, uid, handle, TE_IPC_KEYSVC_ALG_HMAC_SHA256, MSG, strlen(MSG)),
	                 200);
	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_SIGNATURE);
	assert_int_equal(f->kr.payload_len, 32);
	memcpy(out, f->kr.payload, 32);
}

/* The last KEYSVC_REPLY was a refusal with this status and message. */
static void refused(struct fx *f, unsigned status, const char *msg)
{
	char got[TE_IPC_KEYSVC_MSG_MAX + 1];

	assert_int_equal(f->kr.kind, TE_IPC_KEYSVC_REPLY_MESSAGE);
	memcpy(got, f->kr.payload, f->kr.payload_len);
	got[f->kr.payload_len] = '\0';
	if (f->kr.status != status || strcmp(got, msg) != 0)
		fail_msg("expected %u '%s', got %u '%s'", status, msg, (unsigned)f->kr.status, got);
}

/* The workload API's sign for (module, genid, "primary", MSG). */
static void workload_sign(struct fx *f, const char *module, const char *genid, uint8_t out[32])
{
	te_ipc_sign_derived_req q;
	te_ipc_sign_reply r;

	memset(&q, 0, sizeof(q));
	snprintf(q.module, sizeof(q.module), "%s", module);
	snprintf(q.genid, sizeof(q.genid), "%s", genid);
	snprintf(q.key_id, sizeof(q.key_id), "%s", "primary");
	q.data = (const uint8_t *)MSG;
	q.data_len = strlen(MSG);
	assert_int_equal(te_ipc_sign_derived_req_encode(&q, f->req), TE_OK);
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_OK);
	assert_int_equal(f->rep->type, TE_IPC_SIGN_REPLY);
	assert_int_equal(te_ipc_sign_reply_decode(f->rep, &r), TE_OK);
	assert_int_equal(r.digest_len, 32);
	memcpy(out, r.digest, 32);
}

static void ossl_hmac(const void *key, size_t key_len, const void *msg, size_t n, uint8_t out[32])
{
	unsigned len = 32;

	assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, msg, n, out, &len));
	assert_int_equal(len, 32);
}

/* keys.c's derivation data, written out here independently. */
static size_t module_dd(const char *module, const char *genid, uint8_t *out)
{
	size_t n = 0;
	const char *parts[] = {"trustedge-module-sas-v1", module, genid, "primary"};

	for (size_t i = 0; i < 4; i++) {
		if (i > 0)
			out[n++] = 0;
		memcpy(out + n, parts[i], strlen(parts[i]));
		n += strlen(parts[i]);
	}
	return n;
}

static size_t count_prefix(te_hsm *hsm, const char *prefix)
{
	te_hsm_key_info *list = NULL;
	size_t n = 0, hits = 0;

	assert_int_equal(te_hsm_key_list(hsm, &list, &n), TE_OK);
	for (size_t i = 0; i < n; i++)
		hits += strncmp(list[i].name, prefix, strlen(prefix)) == 0;
	free(list);
	return hits;
}

/* stderr into a file while a test runs, to read the log. */
struct logcap {
	int saved;
	char *path;
};

static void log_start(struct fx *f, struct logcap *c)
{
	int fd;

	c->path = tu_path(f->dir, "log.txt");
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static char *log_end(struct logcap *c)
{
	uint8_t *data = NULL;
	size_t n = 0;
	char *s;

	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	assert_int_equal(tu_read_file(c->path, &data, &n), 0);
	s = calloc(1, n + 1);
	assert_non_null(s);
	if (n > 0)
		memcpy(s, data, n);
	free(data);
	free(c->path);
	return s;
}

/* ---- tests ---- */

/* The device identity: HMAC-SHA256 with the device key itself, for the
 * uid the handle was made for only, and made without any principal. */
static void test_device_handle(void **state)
{
	struct fx *f = *state;
	char h1[TE_KEYHANDLE_TEXT_MAX + 1], h2[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t got[32], want[32];
	const uint8_t digest[32] = {1};

	/* No principal: no handle key until an identity handle is made. */
	assert_false(te_hsm_key_exists(f->hsm, TE_KEYS_SVC_HANDLE_KEY));
	identity_handle(f, ADMIN, "", "", h1);
	assert_true(te_hsm_key_exists(f->hsm, TE_KEYS_SVC_HANDLE_KEY));
	sign_ok(f, ADMIN, h1, got);
	ossl_hmac(device_bytes, sizeof(device_bytes), MSG, strlen(MSG), want);
	assert_memory_equal(got, want, 32);

	/* A second handle is another text (nonce) for the same key. */
	identity_handle(f, ADMIN, "", "", h2);
	assert_string_not_equal(h1, h2);
	sign_ok(f, ADMIN, h2, got);
	assert_memory_equal(got, want, 32);

	/* Bound to uid 0: anyone else is refused as by any invalid handle
	 * (no principal here: the service's 403). */
	assert_int_equal(sign(f, MOD_A, h1, TE_IPC_KEYSVC_ALG_HMAC_SHA256, MSG, strlen(MSG)), 403);
	refused(f, 403, "the caller may not use this key");
	/* HMAC-SHA256 only. */
	assert_int_equal(sign(f, ADMIN, h1, TE_IPC_KEYSVC_ALG_ECDSA, digest, sizeof(digest)), 400);
	refused(f, 400, "an identity key handle signs with HMAC-SHA256 only");
	/* One character changed. */
	h1[20] = h1[20] == 'A' ? 'B' : 'A';
	assert_int_equal(sign(f, ADMIN, h1, TE_IPC_KEYSVC_ALG_HMAC_SHA256, MSG, strlen(MSG)), 403);
}

/* A module's handle signs exactly as the workload API does for that
 * module and generation id; the transient derived key is deleted. */
static void test_module_handle_is_workload_key(void **state)
{
	struct fx *f = *state;
	char ha[TE_KEYHANDLE_TEXT_MAX + 1], hb[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t got[32], wl[32], want[32], mk[32], dd[TE_KEYS_DERIVATION_MAX], dd2[sizeof(dd)];
	size_t dd_len, dd2_len = 0;

	identity_handle(f, MOD_A, "sensor", "637", ha);
	sign_ok(f, MOD_A, ha, got);
	workload_sign(f, "sensor", "637", wl);
	assert_memory_equal(got, wl, 32);
	/* And both are HMAC(HMAC(device key, dd), msg). */
	dd_len = module_dd("sensor", "637", dd);
	ossl_hmac(device_bytes, sizeof(device_bytes), dd, dd_len, mk);
	ossl_hmac(mk, sizeof(mk), MSG, strlen(MSG), want);
	assert_memory_equal(got, want, 32);
	assert_int_equal(
	    te_keys_module_derivation("sensor", "637", "primary", dd2, sizeof(dd2), &dd2_len),
	    TE_OK);
	assert_int_equal(dd2_len, dd_len);
	assert_memory_equal(dd2, dd, dd_len);
	assert_int_equal(count_prefix(f->hsm, TE_KEYS_SVC_PREFIX "tmp-"), 0);

	/* Another generation, another module: other keys. */
	identity_handle(f, MOD_A, "sensor", "638", hb);
	sign_ok(f, MOD_A, hb, got);
	assert_memory_not_equal(got, wl, 32);
	workload_sign(f, "sensor", "638", wl);
	assert_memory_equal(got, wl, 32);
	identity_handle(f, MOD_B, "camera", "637", hb);
	sign_ok(f, MOD_B, hb, got);
	workload_sign(f, "camera", "637", wl);
	assert_memory_equal(got, wl, 32);

	/* Module A's handle is A's uid's only. */
	assert_int_equal(sign(f, MOD_B, ha, TE_IPC_KEYSVC_ALG_HMAC_SHA256, MSG, strlen(MSG)), 403);
	assert_int_equal(sign(f, ADMIN, ha, TE_IPC_KEYSVC_ALG_HMAC_SHA256, MSG, strlen(MSG)), 403);
}

/* With principals: keys-service handles keep working, identity handles
 * work for their uid, and identity handles open nothing but sign. */
static void test_with_principals(void **state)
{
	struct fx *f = *state;
	char h[TE_KEYHANDLE_TEXT_MAX + 1], kh[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t got[32], want[32];
	te_ipc_keysvc_req q;
	const uint8_t ops[] = {TE_IPC_KEYSVC_KEY_DELETE, TE_IPC_KEYSVC_KEYPAIR_DELETE,
	                       TE_IPC_KEYSVC_DERIVE, TE_IPC_KEYSVC_DERIVED_EXPORT};

	assert_true(te_hsm_key_exists(f->hsm, TE_KEYS_SVC_HANDLE_KEY));
	/* The principal's own key. */
	memset(&q, 0, sizeof(q));
	q.uid = PRINCIPAL;
	q.op = TE_IPC_KEYSVC_KEY_CREATE;
	snprintf(q.key_id, sizeof(q.key_id), "%s", "test-k");
	q.usage = TE_IPC_KEYSVC_USAGE_SIGN | TE_IPC_KEYSVC_USAGE_DERIVE;
	assert_int_equal(keysvc(f, &q), 200);
	memcpy(kh, f->kr.payload, f->kr.payload_len);
	kh[f->kr.payload_len] = '\0';
	sign_ok(f, PRINCIPAL, kh, got);
	/* "*" still does not reach the device key through the keys service. */
	memset(&q, 0, sizeof(q));
	q.uid = PRINCIPAL;
	q.op = TE_IPC_KEYSVC_KEY_LOAD;
	snprintf(q.key_id, sizeof(q.key_id), "%s", DEVICE_KEY);
	assert_int_equal(keysvc(f, &q), 403);

	/* An identity handle made for the principal's uid. */
	identity_handle(f, PRINCIPAL, "", "", h);
	sign_ok(f, PRINCIPAL, h, got);
	ossl_hmac(device_bytes, sizeof(device_bytes), MSG, strlen(MSG), want);
	assert_memory_equal(got, want, 32);
	/* Another uid: an invalid handle, as the keys service says of any. */
	assert_int_equal(sign(f, MOD_A, h, TE_IPC_KEYSVC_ALG_HMAC_SHA256, MSG, strlen(MSG)), 400);
	refused(f, 400, "invalid key handle");
	/* Every other operation takes it for no handle at all. */
	for (size_t i = 0; i < sizeof(ops); i++) {
		memset(&q, 0, sizeof(q));
		q.uid = PRINCIPAL;
		q.op = ops[i];
		snprintf(q.handle, sizeof(q.handle), "%s", h);
		assert_int_equal(keysvc(f, &q), 400);
		refused(f, 400, "invalid key handle");
	}
	memset(&q, 0, sizeof(q));
	q.uid = PRINCIPAL;
	q.op = TE_IPC_KEYSVC_PARAMETER;
	q.param = TE_IPC_KEYSVC_PARAM_ALGORITHM;
	snprintf(q.handle, sizeof(q.handle), "%s", h);
	assert_int_equal(keysvc(f, &q), 400);
	refused(f, 400, "invalid key handle");
}

/* HMAC-SHA256 under the keys service's handle key, in the HSM: what a
 * keys-service handle (not an identity one) carries. */
static te_err hsm_mac(void *arg, const uint8_t *data, size_t len, uint8_t tag[TE_KEYHANDLE_TAG_LEN])
{
	struct fx *f = arg;
	size_t n = TE_KEYHANDLE_TAG_LEN;

	return te_hsm_key_sign(f->hsm, TE_KEYS_SVC_HANDLE_KEY, TE_HSM_ALG_HMAC_SHA256, 0, data, len,
	                       tag, &n);
}

/* The two MACs are apart: a keys-service handle naming the device key
 * (which the keys service never makes, but say the handle key signed
 * one) is a keys-service handle, and the device key is reserved there. */
static void test_keysvc_handle_to_device_key_refused(void **state)
{
	struct fx *f = *state;
	te_keyhandle h;
	char text[TE_KEYHANDLE_TEXT_MAX + 1];

	memset(&h, 0, sizeof(h));
	h.kind = TE_KEYHANDLE_KIND_KEY;
	snprintf(h.id, sizeof(h.id), "%s", DEVICE_KEY);
	assert_int_equal(te_keyhandle_encode(hsm_mac, f, &h, text, sizeof(text)), TE_OK);
	assert_int_equal(sign(f, PRINCIPAL, text, TE_IPC_KEYSVC_ALG_HMAC_SHA256, MSG, strlen(MSG)),
	                 403);
	refused(f, 403, "the caller may not use this key");
}

/* Handles name a key id: they outlive the keys process. */
static void test_survives_restart(void **state)
{
	struct fx *f = *state;
	char h[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t before[32], after[32];

	identity_handle(f, MOD_A, "sensor", "1", h);
	sign_ok(f, MOD_A, h, before);
	te_keys_close(f->keys);
	f->keys = NULL;
	open_keys(f, 1);
	sign_ok(f, MOD_A, h, after);
	assert_memory_equal(before, after, 32);
}

static void test_audit_lines(void **state)
{
	struct fx *f = *state;
	char h[TE_KEYHANDLE_TEXT_MAX + 1];
	uint8_t got[32];
	struct logcap c;
	char *log;

	log_start(f, &c);
	identity_handle(f, MOD_B, "camera", "9", h);
	sign_ok(f, MOD_B, h, got);
	identity_handle(f, ADMIN, "", "", h);
	log = log_end(&c);
	if (strstr(log, "audit: identity handle for uid=1002 identity=module module=camera "
	                "genid=9") == NULL ||
	    strstr(log, "audit: caller uid=1002 op=identity-sign key=" DEVICE_KEY
	                " result=allowed status=200") == NULL ||
	    strstr(log, "audit: identity handle for uid=0 identity=device") == NULL)
		fail_msg("missing audit lines in:\n%s", log);
	/* Never the handle itself. */
	assert_null(strstr(log, h));
	free(log);
}

/* Refusals of the request itself. */
static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct {
		uint8_t b[64];
		size_t n;
	} body = {{0}, 0};
	te_keys_svc *svc = NULL;
	te_keys_svc_config sc;
	te_daemon_config dc;
	char out[TE_KEYHANDLE_TEXT_MAX + 1];
	const char *why = NULL;
	te_ipc_idsvc_req q;

	/* A module without a genid does not even decode: a protocol error. */
	body.b[3] = 5;   /* uid 5 */
	body.b[5] = 1;   /* module: 1 byte */
	body.b[6] = 'm'; /* genid: 0 bytes */
	body.n = 4 + 2 + 1 + 2;
	f->req->type = TE_IPC_IDSVC_REQ;
	f->req->len = (uint32_t)body.n;
	memcpy(f->req->body, body.b, body.n);
	assert_int_equal(te_keys_handle(f->keys, f->req, f->rep), TE_ERR_MALFORMED);

	/* A device key that is no HSM key name (a pkcs11: URI). */
	memset(&dc, 0, sizeof(dc));
	memset(&sc, 0, sizeof(sc));
	sc.dc = &dc;
	sc.identity_key = "pkcs11:token=edge;object=device";
	assert_int_equal(te_keys_svc_open(f->hsm, &sc, &svc), TE_OK);
	assert_int_equal(te_keys_svc_identity_handle(svc, 1, NULL, 0, out, sizeof(out)),
	                 TE_ERR_UNSUPPORTED);
	memset(&q, 0, sizeof(q));
	assert_int_equal(te_keys_idsvc_answer(svc, &q, f->rep, &why), TE_ERR_UNSUPPORTED);
	assert_string_equal(why, "identity key handles are not available for this device key");
	/* Too much derivation data. */
	sc.identity_key = DEVICE_KEY;
	te_keys_svc_close(svc);
	svc = NULL;
	assert_int_equal(te_keys_svc_open(f->hsm, &sc, &svc), TE_OK);
	assert_int_equal(te_keys_svc_identity_handle(svc, 1, body.b, TE_KEYHANDLE_DATA_MAX + 1, out,
	                                             sizeof(out)),
	                 TE_ERR_INVALID_ARG);
	te_keys_svc_close(svc);
	/* Bad lengths for the derivation. */
	assert_int_equal(
	    te_keys_module_derivation("", "1", "primary", body.b, sizeof(body.b), &body.n),
	    TE_ERR_INVALID_ARG);
}

/* No keys service configured: an ERROR_REPLY, not a handle. */
static void test_no_service(void **state)
{
	struct fx *f = *state;

	idsvc_call(f, ADMIN, "", "");
	error_reply(f, TE_ERR_UNSUPPORTED);
	assert_false(te_hsm_key_exists(f->hsm, TE_KEYS_SVC_HANDLE_KEY));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_device_handle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_module_handle_is_workload_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_with_principals, setup_principal, teardown),
	    cmocka_unit_test_setup_teardown(test_keysvc_handle_to_device_key_refused,
	                                    setup_principal, teardown),
	    cmocka_unit_test_setup_teardown(test_survives_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_service, setup_no_service, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
