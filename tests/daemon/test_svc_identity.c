/*
 * test_svc_identity.c - the identity service API layer
 * (src/daemon/svc_identity.c):
 *   - routing: every route x method x api-version (provisioning only from
 *     2021-12-01), 404 before 405 before api-version, module ids and the
 *     `type` query value, hostile paths;
 *   - the body of POST /identities/device and .../reprovision: 415, 413,
 *     422 (broken, duplicate keys, deep), 400 (not an object, type
 *     missing, not a string, not "aziot"), optional empty body;
 *   - the decision, from configurations parsed as the daemon parses them:
 *     every route for an administrator, a module, both and a stranger;
 *     modules without (or with too long) a generation id, unknown ids,
 *     registered modules outside the configuration; no provisioning, X.509
 *     and pkcs11: device keys;
 *   - the JSON replies, parsed back: identity, list, provisioning (no
 *     secret), error; a missing field fails and leaves the buffer alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "daemon/svc_identity.h"

#define CT   "application/json"
#define V0   "2020-09-01"
#define V1   "2021-12-01"
#define V2   "2022-08-01"
#define HUB  "hub.example.net"
#define DEV  "dev-1"
#define KEY  "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNDU2Nzg="
#define CONN "HostName=" HUB ";DeviceId=" DEV ";SharedAccessKey=" KEY

#define MODULES                                                                                    \
	"modules:\n"                                                                               \
	"  - name: sensor\n"                                                                       \
	"    uid: 1001\n"                                                                          \
	"    generation_id: \"637\"\n"                                                             \
	"  - name: camera\n"                                                                       \
	"    cgroup: /system.slice/camera.service\n"                                               \
	"  - name: longgen\n"                                                                      \
	"    uid: 1003\n"                                                                          \
	"    generation_id: "                                                                      \
	"\"1234567890123456789012345678901234567890123456789012345678901234X\"\n"                  \
	"  - name: $edgeHub\n"                                                                     \
	"    uid: 1004\n"                                                                          \
	"    generation_id: \"9\"\n"

static const char cfg_sas[] = "provisioning:\n"
                              "  source: manual\n"
                              "  connection_string: \"" CONN "\"\n" MODULES;
static const char cfg_gateway[] =
    "provisioning:\n"
    "  source: manual\n"
    "  connection_string: \"" CONN ";GatewayHostName=gw.local\"\n" MODULES;
static const char cfg_x509[] = "provisioning:\n"
                               "  source: manual\n"
                               "  iothub_hostname: " HUB "\n"
                               "  device_id: " DEV "\n"
                               "  authentication:\n"
                               "    method: x509\n"
                               "    identity_cert: /etc/te/id.pem\n"
                               "    identity_pk: device-id\n" MODULES;
static const char cfg_uri[] = "provisioning:\n"
                              "  source: manual\n"
                              "  iothub_hostname: " HUB "\n"
                              "  device_id: " DEV "\n"
                              "  authentication:\n"
                              "    method: sas\n"
                              "    key_uri: \"pkcs11:token=edge;object=device\"\n" MODULES;
static const char cfg_dev[] = MODULES;

static te_daemon_config *load(const char *text)
{
	te_daemon_config *dc = NULL;
	te_err rc = te_daemon_config_parse("t.yaml", text, strlen(text), &dc);

	if (rc != TE_OK)
		fail_msg("config refused: %s: %s", te_err_name(rc), te_err_detail());
	return dc;
}

/* ------------------------------------------------------------------ */
/* routing */

static void route_ok(const char *method, const char *path, const char *ver, const char *type,
                     te_svc_identity_route_id id, const char *module)
{
	te_svc_identity_route_t rt;
	te_err rc = te_svc_identity_route(method, path, ver, type, &rt);

	if (rc != TE_OK)
		fail_msg("%s %s (%s): %d %s", method, path, ver ? ver : "-", rt.status.http_status,
		         rt.status.message);
	assert_int_equal(rt.id, id);
	assert_int_equal(rt.status.http_status, 0);
	assert_string_equal(rt.module_id, module);
}

static void route_bad(const char *method, const char *path, const char *ver, const char *type,
                      int http, const char *msg)
{
	te_svc_identity_route_t rt;
	te_err rc = te_svc_identity_route(method, path, ver, type, &rt);

	if (rc == TE_OK || rt.status.http_status != http || strcmp(rt.status.message, msg) != 0)
		fail_msg("%s %s: expected %d '%s', got %s %d '%s'", method ? method : "-",
		         path ? path : "-", http, msg, te_err_name(rc), rt.status.http_status,
		         rt.status.message);
	assert_int_equal(rt.id, TE_SVC_IDENTITY_ROUTE_NONE);
	assert_string_equal(rt.module_id, "");
}

static void test_routes(void **state)
{
	const char *vers[] = {V0, V1, V2};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const char *v = vers[i];

		route_ok("GET", "/identities/identity", v, NULL, TE_SVC_IDENTITY_ROUTE_IDENTITY,
		         "");
		route_ok("POST", "/identities/device", v, NULL, TE_SVC_IDENTITY_ROUTE_DEVICE, "");
		route_ok("POST", "/identities/device/reprovision", v, NULL,
		         TE_SVC_IDENTITY_ROUTE_REPROVISION, "");
		route_ok("GET", "/identities/modules", v, NULL, TE_SVC_IDENTITY_ROUTE_MODULES, "");
		route_ok("POST", "/identities/modules", v, NULL,
		         TE_SVC_IDENTITY_ROUTE_MODULE_CREATE, "");
		route_ok("GET", "/identities/modules/sensor", v, NULL,
		         TE_SVC_IDENTITY_ROUTE_MODULE_GET, "sensor");
		route_ok("PUT", "/identities/modules/sensor", v, NULL,
		         TE_SVC_IDENTITY_ROUTE_MODULE_UPDATE, "sensor");
		route_ok("DELETE", "/identities/modules/$edgeHub", v, NULL,
		         TE_SVC_IDENTITY_ROUTE_MODULE_DELETE, "$edgeHub");
		route_ok("GET", "/trust-bundle", v, NULL, TE_SVC_IDENTITY_ROUTE_TRUST_BUNDLE, "");
	}
	/* Provisioning info exists from 2021-12-01 on, as in the reference. */
	route_bad("GET", "/identities/provisioning", V0, NULL, 404,
	          "not found in this api-version");
	route_ok("GET", "/identities/provisioning", V1, NULL, TE_SVC_IDENTITY_ROUTE_PROVISIONING,
	         "");
	route_ok("GET", "/identities/provisioning", V2, NULL, TE_SVC_IDENTITY_ROUTE_PROVISIONING,
	         "");
}

static void test_route_refusals(void **state)
{
	char path[TE_SVC_IDENTITY_PATH_MAX + 2];
	char id[TE_SVC_IDENTITY_MODULE_MAX + 2];

	(void)state;
	/* 404 before 405 before api-version. */
	route_bad("GET", "/identities", NULL, NULL, 404, "not found");
	route_bad("GET", "/identities/identity/x", V1, NULL, 404, "not found");
	route_bad("GET", "/identities/device/x", V1, NULL, 404, "not found");
	route_bad("GET", "/", V1, NULL, 404, "not found");
	route_bad("GET", "/a/b/c/d/e/f", V1, NULL, 404, "not found");
	route_bad("GET", "/manifest-trust-bundle", V1, NULL, 404, "not found");
	route_bad("POST", "/identities/identity", NULL, NULL, 405, "method not allowed");
	route_bad("GET", "/identities/device", V1, NULL, 405, "method not allowed");
	route_bad("GET", "/identities/device/reprovision", V1, NULL, 405, "method not allowed");
	route_bad("DELETE", "/identities/modules", V1, NULL, 405, "method not allowed");
	route_bad("POST", "/identities/modules/x", V1, NULL, 405, "method not allowed");
	route_bad("POST", "/trust-bundle", V1, NULL, 405, "method not allowed");
	route_bad("get", "/trust-bundle", V1, NULL, 405, "method not allowed");
	route_bad(NULL, "/trust-bundle", V1, NULL, 405, "method not allowed");
	route_bad("GET", "/trust-bundle", NULL, NULL, 400, "invalid api-version");
	route_bad("GET", "/trust-bundle", "2021-05-01", NULL, 400, "invalid api-version");
	route_bad("GET", "/trust-bundle", "", NULL, 400, "invalid api-version");
	route_bad("GET", "/trust-bundle", "2020-09-01 ", NULL, 400, "invalid api-version");

	/* Hostile paths. */
	route_bad("GET", NULL, V1, NULL, 400, "request path is missing");
	route_bad("GET", "", V1, NULL, 400, "request path must start with '/'");
	route_bad("GET", "identities/identity", V1, NULL, 400, "request path must start with '/'");
	route_bad("GET", "//identities/identity", V1, NULL, 400,
	          "request path has an empty, '.' or '..' segment");
	route_bad("GET", "/identities/./identity", V1, NULL, 400,
	          "request path has an empty, '.' or '..' segment");
	route_bad("GET", "/identities/modules/..", V1, NULL, 400,
	          "request path has an empty, '.' or '..' segment");
	route_bad("GET", "/identities/identity/", V1, NULL, 400,
	          "request path has an empty, '.' or '..' segment");
	route_bad("GET", "/identities/ident\x01ty", V1, NULL, 400,
	          "request path contains a byte outside printable ASCII");
	route_bad("GET", "/identities/modules/a b", V1, NULL, 400,
	          "request path contains a byte outside printable ASCII");
	route_bad("GET", "/identities/modules/\xc3\xa9", V1, NULL, 400,
	          "request path contains a byte outside printable ASCII");
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	route_bad("GET", path, V1, NULL, 400, "request path is too long");

	/* Module ids. */
	route_bad("GET", "/identities/modules/a%2Fb", V1, NULL, 400,
	          "module id contains a character that is not allowed");
	route_bad("GET", "/identities/modules/a?b", V1, NULL, 400,
	          "module id contains a character that is not allowed");
	memset(id, 'm', sizeof(id));
	id[TE_SVC_IDENTITY_MODULE_MAX] = '\0';
	snprintf(path, sizeof(path), "/identities/modules/%s", id);
	route_ok("GET", path, V1, NULL, TE_SVC_IDENTITY_ROUTE_MODULE_GET, id);
	id[TE_SVC_IDENTITY_MODULE_MAX] = 'm';
	id[TE_SVC_IDENTITY_MODULE_MAX + 1] = '\0';
	snprintf(path, sizeof(path), "/identities/modules/%s", id);
	route_bad("GET", path, V1, NULL, 400, "module id must be 1 to 128 characters");
	route_ok("GET", "/identities/modules/a-._:+@$!*(),=#'Z9", V1, NULL,
	         TE_SVC_IDENTITY_ROUTE_MODULE_GET, "a-._:+@$!*(),=#'Z9");

	/* type: only the GET module routes look at it. */
	route_ok("GET", "/identities/modules", V1, "aziot", TE_SVC_IDENTITY_ROUTE_MODULES, "");
	route_ok("GET", "/identities/modules/x", V1, "aziot", TE_SVC_IDENTITY_ROUTE_MODULE_GET,
	         "x");
	route_bad("GET", "/identities/modules", V1, "local", 501,
	          "local identities are not supported");
	route_bad("GET", "/identities/modules/x", V1, "local", 501,
	          "local identities are not supported");
	route_bad("GET", "/identities/modules", V1, "AZIOT", 400,
	          "invalid identity type: must be \"aziot\"");
	route_bad("GET", "/identities/modules/x", V1, "", 400,
	          "invalid identity type: must be \"aziot\"");
	route_ok("GET", "/identities/identity", V1, "whatever", TE_SVC_IDENTITY_ROUTE_IDENTITY, "");
	route_ok("PUT", "/identities/modules/x", V1, "local", TE_SVC_IDENTITY_ROUTE_MODULE_UPDATE,
	         "x");
}

/* ------------------------------------------------------------------ */
/* the body */

static void body_ok(const char *body, int optional)
{
	te_wl_status st;

	if (te_svc_identity_parse_type(body, strlen(body), CT, optional, &st) != TE_OK)
		fail_msg("'%s': %d %s", body, st.http_status, st.message);
	assert_int_equal(st.http_status, 0);
}

static void body_bad_ct(const char *body, size_t len, const char *ct, int http, const char *msg)
{
	te_wl_status st;
	te_err rc = te_svc_identity_parse_type(body, len, ct, 0, &st);

	if (rc == TE_OK || st.http_status != http || strcmp(st.message, msg) != 0)
		fail_msg("'%.40s': expected %d '%s', got %d '%s'", body ? body : "(null)", http,
		         msg, st.http_status, st.message);
}

static void body_bad(const char *body, int http, const char *msg)
{
	body_bad_ct(body, strlen(body), CT, http, msg);
}

static void test_body(void **state)
{
	static char big[TE_SVC_IDENTITY_BODY_MAX + 2];
	char deep[64];
	te_wl_status st;

	(void)state;
	body_ok("{\"type\":\"aziot\"}", 0);
	body_ok(" { \"type\" : \"aziot\", \"moduleId\": 3, \"x\": {\"y\": []} } ", 0);
	body_ok("{\"type\":\"aziot\"}", 1);
	/* Reprovision may come without a body; the device request may not. */
	assert_int_equal(te_svc_identity_parse_type(NULL, 0, NULL, 1, &st), TE_OK);
	assert_int_equal(te_svc_identity_parse_type("", 0, CT, 1, &st), TE_OK);
	body_bad_ct(NULL, 0, CT, 422, "request body is not valid JSON");
	body_bad_ct("", 0, CT, 422, "request body is not valid JSON");
	/* Content-Type, parameters allowed. */
	body_bad_ct("{\"type\":\"aziot\"}", 16, NULL, 415, "request body must be application/json");
	body_bad_ct("{\"type\":\"aziot\"}", 16, "text/plain", 415,
	            "request body must be application/json");
	body_bad_ct("{\"type\":\"aziot\"}", 16, "application/jsonx", 415,
	            "request body must be application/json");
	assert_int_equal(te_svc_identity_parse_type("{\"type\":\"aziot\"}", 16,
	                                            " Application/JSON ; charset=utf-8", 0, &st),
	                 TE_OK);
	/* Size, syntax, nesting, duplicates. */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	body_bad(big, 413, "request body is larger than 4096 bytes");
	body_bad("{\"type\":\"aziot\"", 422, "request body is not valid JSON");
	body_bad("{\"type\":\"aziot\"}x", 422, "request body is not valid JSON");
	body_bad("{\"type\":\"aziot\",\"type\":\"aziot\"}", 422, "request body is not valid JSON");
	memset(deep, '[', sizeof(deep));
	deep[sizeof(deep) - 1] = '\0';
	body_bad(deep, 422, "request body is nested too deeply");
	body_bad_ct("{\"type\":\"az\0ot\"}", 16, CT, 422, "request body is not valid JSON");
	/* Shape and value. */
	body_bad("[\"type\"]", 400, "request body must be a JSON object");
	body_bad("\"aziot\"", 422, "request body is not valid JSON");
	body_bad("{}", 400, "field 'type' is missing");
	body_bad("{\"Type\":\"aziot\"}", 400, "field 'type' is missing");
	body_bad("{\"type\":null}", 400, "field 'type' must be a string");
	body_bad("{\"type\":[\"aziot\"]}", 400, "field 'type' must be a string");
	body_bad("{\"type\":\"local\"}", 400, "field 'type' must be \"aziot\"");
	body_bad("{\"type\":\"aziot \"}", 400, "field 'type' must be \"aziot\"");
	body_bad("{\"type\":\"aziot\\u0000\"}", 422, "request body is not valid JSON");
	/* An optional body, when present, is held to the same rules. */
	assert_int_equal(te_svc_identity_parse_type("{}", 2, CT, 1, &st), TE_ERR_INVALID_ARG);
	assert_int_equal(st.http_status, 400);
}

/* ------------------------------------------------------------------ */
/* the decision */

static te_svc_identity_route_t route(const char *method, const char *path, const char *ver)
{
	te_svc_identity_route_t rt;

	if (te_svc_identity_route(method, path, ver, NULL, &rt) != TE_OK)
		fail_msg("%s %s: %s", method, path, rt.status.message);
	return rt;
}

static const te_svc_identity_caller admin = {0, 1, NULL};
static const te_svc_identity_caller daemon_user = {999, 1, NULL};
static const te_svc_identity_caller sensor = {1001, 0, "sensor"};
static const te_svc_identity_caller camera = {4321, 0, "camera"};
static const te_svc_identity_caller longgen = {1003, 0, "longgen"};
static const te_svc_identity_caller registered = {5000, 0, "spawned"};
static const te_svc_identity_caller both = {999, 1, "sensor"};
static const te_svc_identity_caller stranger = {4242, 0, NULL};

static void decide_ok(const te_daemon_config *dc, const char *method, const char *path,
                      const te_svc_identity_caller *c, te_svc_identity_action action,
                      const char *module)
{
	te_svc_identity_route_t rt = route(method, path, V2);
	te_svc_identity_plan plan;

	if (te_svc_identity_decide(dc, &rt, c, &plan) != TE_OK)
		fail_msg("%s %s as uid %u: %d %s", method, path, (unsigned)c->uid,
		         plan.status.http_status, plan.status.message);
	assert_int_equal(plan.action, action);
	assert_int_equal(plan.status.http_status, 0);
	if (module == NULL) {
		assert_null(plan.module);
		return;
	}
	assert_non_null(plan.module);
	assert_string_equal(plan.module->name, module);
}

static void decide_bad(const te_daemon_config *dc, const char *method, const char *path,
                       const te_svc_identity_caller *c, int http, const char *msg)
{
	te_svc_identity_route_t rt = route(method, path, V2);
	te_svc_identity_plan plan;
	te_err rc = te_svc_identity_decide(dc, &rt, c, &plan);

	if (rc == TE_OK || plan.status.http_status != http || strcmp(plan.status.message, msg) != 0)
		fail_msg("%s %s as uid %u: expected %d '%s', got %d '%s'", method, path,
		         (unsigned)c->uid, http, msg, plan.status.http_status, plan.status.message);
	assert_int_equal(plan.action, TE_SVC_IDENTITY_REFUSE);
	assert_null(plan.module);
}

#define NOT_ADMIN_OR_MODULE                                                                        \
	"the caller is neither a configured module nor an administrator (uid 0 or the daemon's "   \
	"uid)"
#define NO_GENID                                                                                   \
	"the module has no generation_id (1 to 64 characters) in the configuration, so it has no " \
	"identity key"
#define FROM_CONFIG                                                                                \
	"module identities come from the configuration file: add or remove modules there and "     \
	"reload the daemon (SIGHUP)"
#define NOT_PROVISIONED "the device has no IoT Hub identity: the configuration has no provisioning"

static void test_admin(void **state)
{
	te_daemon_config *dc = load(cfg_sas);

	(void)state;
	assert_true(te_svc_identity_is_admin(0, 999));
	assert_true(te_svc_identity_is_admin(999, 999));
	assert_false(te_svc_identity_is_admin(1000, 999));
	assert_true(te_svc_identity_is_admin(0, 0));
	for (int i = 0; i < 2; i++) {
		const te_svc_identity_caller *c = i == 0 ? &admin : &daemon_user;

		decide_ok(dc, "GET", "/identities/identity", c, TE_SVC_IDENTITY_DEVICE, NULL);
		decide_ok(dc, "POST", "/identities/device", c, TE_SVC_IDENTITY_DEVICE, NULL);
		decide_ok(dc, "POST", "/identities/device/reprovision", c,
		          TE_SVC_IDENTITY_NO_CONTENT, NULL);
		decide_ok(dc, "GET", "/identities/modules", c, TE_SVC_IDENTITY_MODULES, NULL);
		decide_ok(dc, "GET", "/identities/modules/sensor", c, TE_SVC_IDENTITY_MODULE,
		          "sensor");
		decide_ok(dc, "GET", "/identities/modules/$edgeHub", c, TE_SVC_IDENTITY_MODULE,
		          "$edgeHub");
		decide_bad(dc, "GET", "/identities/modules/camera", c, 409, NO_GENID);
		decide_bad(dc, "GET", "/identities/modules/longgen", c, 409, NO_GENID);
		decide_bad(dc, "GET", "/identities/modules/nobody", c, 404,
		           "no module with this id is configured");
		decide_ok(dc, "GET", "/identities/provisioning", c, TE_SVC_IDENTITY_PROVISIONING,
		          NULL);
		decide_ok(dc, "GET", "/trust-bundle", c, TE_SVC_IDENTITY_TRUST_BUNDLE, NULL);
		decide_bad(dc, "POST", "/identities/modules", c, 403, FROM_CONFIG);
		decide_bad(dc, "PUT", "/identities/modules/sensor", c, 403, FROM_CONFIG);
		decide_bad(dc, "DELETE", "/identities/modules/sensor", c, 403, FROM_CONFIG);
	}
	te_daemon_config_free(dc);
}

static void test_modules(void **state)
{
	te_daemon_config *dc = load(cfg_sas);

	(void)state;
	decide_ok(dc, "GET", "/identities/identity", &sensor, TE_SVC_IDENTITY_MODULE, "sensor");
	decide_ok(dc, "GET", "/identities/modules/sensor", &sensor, TE_SVC_IDENTITY_MODULE,
	          "sensor");
	/* Another module's identity, configured or not: 403 before 404. */
	decide_bad(dc, "GET", "/identities/modules/$edgeHub", &sensor, 403,
	           "a module may read its own identity only; an administrator any");
	decide_bad(dc, "GET", "/identities/modules/nobody", &sensor, 403,
	           "a module may read its own identity only; an administrator any");
	decide_bad(
	    dc, "POST", "/identities/device", &sensor, 403,
	    "only an administrator (uid 0 or the daemon's uid) may read the device identity");
	decide_bad(dc, "POST", "/identities/device/reprovision", &sensor, 403,
	           "only an administrator (uid 0 or the daemon's uid) may reprovision the device");
	decide_bad(dc, "GET", "/identities/modules", &sensor, 403,
	           "only an administrator (uid 0 or the daemon's uid) may list the module "
	           "identities");
	decide_bad(dc, "POST", "/identities/modules", &sensor, 403, FROM_CONFIG);
	decide_ok(dc, "GET", "/identities/provisioning", &sensor, TE_SVC_IDENTITY_PROVISIONING,
	          NULL);
	decide_ok(dc, "GET", "/trust-bundle", &sensor, TE_SVC_IDENTITY_TRUST_BUNDLE, NULL);
	/* A module matched by cgroup, without a generation id; one whose
	 * generation id is longer than the module keys take; one the daemon
	 * started (registered pid) that is not configured. */
	decide_bad(dc, "GET", "/identities/identity", &camera, 409, NO_GENID);
	decide_bad(dc, "GET", "/identities/modules/camera", &camera, 409, NO_GENID);
	decide_bad(dc, "GET", "/identities/identity", &longgen, 409, NO_GENID);
	decide_bad(dc, "GET", "/identities/identity", &registered, 409, NO_GENID);
	/* A module with the daemon's uid: its identity first, the admin
	 * routes still open. */
	decide_ok(dc, "GET", "/identities/identity", &both, TE_SVC_IDENTITY_MODULE, "sensor");
	decide_ok(dc, "POST", "/identities/device", &both, TE_SVC_IDENTITY_DEVICE, NULL);
	decide_ok(dc, "GET", "/identities/modules/$edgeHub", &both, TE_SVC_IDENTITY_MODULE,
	          "$edgeHub");
	assert_true(te_svc_identity_module_served(dc, &dc->modules[0]));
	assert_false(te_svc_identity_module_served(dc, &dc->modules[1]));
	assert_false(te_svc_identity_module_served(dc, &dc->modules[2]));
	assert_true(te_svc_identity_module_served(dc, &dc->modules[3]));
	te_daemon_config_free(dc);
}

static void test_strangers(void **state)
{
	te_daemon_config *dc = load(cfg_sas);

	(void)state;
	decide_bad(dc, "GET", "/identities/identity", &stranger, 403, NOT_ADMIN_OR_MODULE);
	decide_bad(
	    dc, "POST", "/identities/device", &stranger, 403,
	    "only an administrator (uid 0 or the daemon's uid) may read the device identity");
	decide_bad(dc, "GET", "/identities/modules", &stranger, 403,
	           "only an administrator (uid 0 or the daemon's uid) may list the module "
	           "identities");
	decide_bad(dc, "GET", "/identities/modules/sensor", &stranger, 403,
	           "a module may read its own identity only; an administrator any");
	decide_bad(dc, "POST", "/identities/device/reprovision", &stranger, 403,
	           "only an administrator (uid 0 or the daemon's uid) may reprovision the device");
	decide_ok(dc, "GET", "/identities/provisioning", &stranger, TE_SVC_IDENTITY_PROVISIONING,
	          NULL);
	decide_ok(dc, "GET", "/trust-bundle", &stranger, TE_SVC_IDENTITY_TRUST_BUNDLE, NULL);
	te_daemon_config_free(dc);
}

static void test_provisioning_kinds(void **state)
{
	te_daemon_config *dev = load(cfg_dev), *x509 = load(cfg_x509), *uri = load(cfg_uri);
	const char *x509_msg = "the device identity is served for SAS authentication only: "
	                       "X.509 device identities are not supported yet";
	const char *uri_msg =
	    "identities are not served when the device key is a pkcs11: URI (key_uri)";

	(void)state;
	/* No provisioning (development defaults): no identity at all, and
	 * authorization still comes first. */
	decide_bad(dev, "GET", "/identities/identity", &admin, 404, NOT_PROVISIONED);
	decide_bad(dev, "GET", "/identities/identity", &sensor, 404, NOT_PROVISIONED);
	decide_bad(dev, "GET", "/identities/identity", &stranger, 403, NOT_ADMIN_OR_MODULE);
	decide_bad(dev, "POST", "/identities/device", &admin, 404, NOT_PROVISIONED);
	decide_bad(dev, "GET", "/identities/modules", &admin, 404, NOT_PROVISIONED);
	decide_bad(dev, "GET", "/identities/modules/sensor", &admin, 404, NOT_PROVISIONED);
	decide_bad(dev, "POST", "/identities/device/reprovision", &admin, 404, NOT_PROVISIONED);
	decide_bad(dev, "GET", "/identities/provisioning", &admin, 404, NOT_PROVISIONED);
	decide_ok(dev, "GET", "/trust-bundle", &stranger, TE_SVC_IDENTITY_TRUST_BUNDLE, NULL);
	assert_false(te_svc_identity_module_served(dev, &dev->modules[0]));
	/* X.509: no device identity yet; modules keep their SAS keys. */
	decide_bad(x509, "GET", "/identities/identity", &admin, 501, x509_msg);
	decide_bad(x509, "POST", "/identities/device", &admin, 501, x509_msg);
	decide_ok(x509, "GET", "/identities/identity", &sensor, TE_SVC_IDENTITY_MODULE, "sensor");
	decide_ok(x509, "POST", "/identities/device/reprovision", &admin,
	          TE_SVC_IDENTITY_NO_CONTENT, NULL);
	/* A pkcs11: device key cannot be named by a handle. */
	decide_bad(uri, "GET", "/identities/identity", &admin, 501, uri_msg);
	decide_bad(uri, "GET", "/identities/identity", &sensor, 501, uri_msg);
	decide_bad(uri, "GET", "/identities/modules", &admin, 501, uri_msg);
	assert_false(te_svc_identity_module_served(uri, &uri->modules[0]));
	decide_ok(uri, "GET", "/identities/provisioning", &admin, TE_SVC_IDENTITY_PROVISIONING,
	          NULL);
	te_daemon_config_free(dev);
	te_daemon_config_free(x509);
	te_daemon_config_free(uri);
}

/* ------------------------------------------------------------------ */
/* replies */

static json_t *parse(const te_buf *b)
{
	json_error_t e;
	json_t *doc;

	assert_non_null(b->data);
	assert_int_equal(b->data[b->len], '\0');
	doc = json_loadb((const char *)b->data, b->len, JSON_REJECT_DUPLICATES, &e);
	if (doc == NULL)
		fail_msg("reply is not JSON: %s: %.*s", e.text, (int)b->len, (const char *)b->data);
	return doc;
}

static void expect_json(const te_buf *b, const char *want_text)
{
	json_error_t e;
	json_t *got = parse(b), *want = json_loads(want_text, 0, &e);

	assert_non_null(want);
	if (!json_equal(got, want))
		fail_msg("reply %.*s\nwanted %s", (int)b->len, (const char *)b->data, want_text);
	json_decref(got);
	json_decref(want);
}

static void test_replies(void **state)
{
	te_daemon_config *dc = load(cfg_sas), *gw = load(cfg_gateway), *x509 = load(cfg_x509);
	te_svc_identity_spec specs[2];
	te_wl_status st;
	te_buf b;

	(void)state;
	te_buf_init(&b, 1);
	te_svc_identity_spec_fill(dc, NULL, "HANDLE-d", &specs[0]);
	assert_int_equal(te_svc_identity_reply_identity(&specs[0], &b), TE_OK);
	expect_json(&b,
	            "{\"type\":\"aziot\",\"spec\":{\"hubName\":\"" HUB "\",\"gatewayHost\":\"" HUB
	            "\",\"deviceId\":\"" DEV "\",\"auth\":{\"type\":\"sas\",\"keyHandle\":"
	            "\"HANDLE-d\"}}}");
	/* The connection string's gateway. */
	te_buf_free(&b);
	te_svc_identity_spec_fill(gw, &gw->modules[0], "HANDLE-m", &specs[1]);
	assert_int_equal(te_svc_identity_reply_identity(&specs[1], &b), TE_OK);
	expect_json(&b, "{\"type\":\"aziot\",\"spec\":{\"hubName\":\"" HUB
	                "\",\"gatewayHost\":\"gw.local\",\"deviceId\":\"" DEV
	                "\",\"moduleId\":\"sensor\",\"genId\":\"637\",\"auth\":{\"type\":\"sas\","
	                "\"keyHandle\":\"HANDLE-m\"}}}");
	/* No secret: the SAS key is nowhere in a reply. */
	assert_null(strstr((const char *)b.data, KEY));
	te_buf_free(&b);
	assert_int_equal(te_svc_identity_reply_identities(specs, 2, &b), TE_OK);
	{
		json_t *doc = parse(&b), *list = json_object_get(doc, "identities");

		assert_int_equal(json_object_size(doc), 1);
		assert_true(json_is_array(list));
		assert_int_equal(json_array_size(list), 2);
		assert_string_equal(
		    json_string_value(json_object_get(
		        json_object_get(json_array_get(list, 1), "spec"), "moduleId")),
		    "sensor");
		json_decref(doc);
	}
	te_buf_free(&b);
	assert_int_equal(te_svc_identity_reply_identities(NULL, 0, &b), TE_OK);
	expect_json(&b, "{\"identities\":[]}");
	te_buf_free(&b);

	/* Provisioning: the source and the method, nothing else. */
	assert_int_equal(te_svc_identity_reply_provisioning(dc, &b), TE_OK);
	expect_json(&b, "{\"source\":\"manual\",\"auth\":\"sas\"}");
	assert_null(strstr((const char *)b.data, KEY));
	te_buf_free(&b);
	assert_int_equal(te_svc_identity_reply_provisioning(x509, &b), TE_OK);
	expect_json(&b, "{\"source\":\"manual\",\"auth\":\"x509\"}");
	te_buf_free(&b);

	/* Errors. */
	st.http_status = 403;
	snprintf(st.message, sizeof(st.message), "%s", "no \"way\"");
	assert_int_equal(te_svc_identity_reply_error(&st, &b), TE_OK);
	expect_json(&b, "{\"message\":\"no \\\"way\\\"\"}");
	te_buf_free(&b);
	memset(st.message, 'x', sizeof(st.message));
	assert_int_equal(te_svc_identity_reply_error(&st, &b), TE_ERR_INVALID_ARG);

	/* A missing field (no handle) fails and leaves the buffer alone. */
	assert_int_equal(te_buf_append(&b, "keep", 4), TE_OK);
	specs[0].key_handle = NULL;
	assert_int_equal(te_svc_identity_reply_identity(&specs[0], &b), TE_ERR_NO_MEMORY);
	assert_int_equal(b.len, 4);
	assert_int_equal(te_svc_identity_reply_identities(specs, 2, &b), TE_ERR_NO_MEMORY);
	assert_int_equal(b.len, 4);
	/* A field that is not UTF-8 (json_string refuses it). */
	te_svc_identity_spec_fill(dc, NULL, "\xff", &specs[0]);
	assert_int_equal(te_svc_identity_reply_identity(&specs[0], &b), TE_ERR_NO_MEMORY);
	assert_int_equal(b.len, 4);
	te_buf_free(&b);
	{
		te_daemon_config *dev = load(cfg_dev);

		assert_int_equal(te_svc_identity_reply_provisioning(dev, &b), TE_ERR_NOT_FOUND);
		te_daemon_config_free(dev);
	}
	te_buf_free(&b);
	te_daemon_config_free(dc);
	te_daemon_config_free(gw);
	te_daemon_config_free(x509);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_route_refusals),
	    cmocka_unit_test(test_body),
	    cmocka_unit_test(test_admin),
	    cmocka_unit_test(test_modules),
	    cmocka_unit_test(test_strangers),
	    cmocka_unit_test(test_provisioning_kinds),
	    cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
