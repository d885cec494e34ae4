/*
 * svc_identity.c - routing, the one JSON body, the caller -> identity
 * decision and the replies of the identity service API (contract and
 * tables in svc_identity.h).
 *
 * Pure functions over untrusted input, built like svc_keys.c: the path is
 * checked byte by byte and split into bounded segments before any
 * matching; the body is parsed only by jansson (after a size and nesting
 * bound, duplicate keys refused).  Refusals carry fixed messages that
 * name our fields, never the client's bytes.  Identities are built from
 * the configuration only: never a secret (the SAS key stays in the keys
 * process; a reply names it by key handle).
 */
#include "daemon/svc_identity.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* The longest route has 3 segments; anything deeper is simply unknown. */
#define SI_SEG_MAX 4
#define SI_ID      "{id}"
#define SI_N(a)    (sizeof(a) / sizeof((a)[0]))

typedef te_hj_seg si_seg;

typedef struct si_tmpl {
	te_svc_identity_route_id id;
	const char *method;
	te_svc_identity_api_version since;
	int typed; /* takes the `type` query parameter */
	size_t nseg;
	const char *seg[3];
} si_tmpl;

#define SI_V0 TE_SVC_IDENTITY_API_2020_09_01
#define SI_V1 TE_SVC_IDENTITY_API_2021_12_01

static const si_tmpl si_routes[] = {
    {TE_SVC_IDENTITY_ROUTE_IDENTITY, "GET", SI_V0, 0, 2, {"identities", "identity"}},
    {TE_SVC_IDENTITY_ROUTE_PROVISIONING, "GET", SI_V1, 0, 2, {"identities", "provisioning"}},
    {TE_SVC_IDENTITY_ROUTE_DEVICE, "POST", SI_V0, 0, 2, {"identities", "device"}},
    {TE_SVC_IDENTITY_ROUTE_REPROVISION,
     "POST",
     SI_V0,
     0,
     3,
     {"identities", "device", "reprovision"}},
    {TE_SVC_IDENTITY_ROUTE_MODULES, "GET", SI_V0, 1, 2, {"identities", "modules"}},
    {TE_SVC_IDENTITY_ROUTE_MODULE_CREATE, "POST", SI_V0, 0, 2, {"identities", "modules"}},
    {TE_SVC_IDENTITY_ROUTE_MODULE_GET, "GET", SI_V0, 1, 3, {"identities", "modules", SI_ID}},
    {TE_SVC_IDENTITY_ROUTE_MODULE_UPDATE, "PUT", SI_V0, 0, 3, {"identities", "modules", SI_ID}},
    {TE_SVC_IDENTITY_ROUTE_MODULE_DELETE, "DELETE", SI_V0, 0, 3, {"identities", "modules", SI_ID}},
    {TE_SVC_IDENTITY_ROUTE_TRUST_BUNDLE, "GET", SI_V0, 0, 1, {"trust-bundle"}},
};

static const struct {
	const char *text;
	te_svc_identity_api_version v;
} si_versions[] = {
    {"2020-09-01", TE_SVC_IDENTITY_API_2020_09_01},
    {"2021-12-01", TE_SVC_IDENTITY_API_2021_12_01},
    {"2022-08-01", TE_SVC_IDENTITY_API_2022_08_01},
};

#define SI_FAIL TE_HJ_FAIL

static int si_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* ------------------------------------------------------------------ */
/* routing */

static te_svc_identity_api_version si_version(const char *text)
{
	if (text == NULL)
		return TE_SVC_IDENTITY_API_NONE;
	for (size_t i = 0; i < SI_N(si_versions); i++) {
		if (strcmp(text, si_versions[i].text) == 0)
			return si_versions[i].v;
	}
	return TE_SVC_IDENTITY_API_NONE;
}

static int si_tmpl_matches(const si_tmpl *t, const si_seg *segs, size_t nseg)
{
	if (t->nseg != nseg)
		return 0;
	for (size_t i = 0; i < nseg; i++) {
		if (strcmp(t->seg[i], SI_ID) != 0 && !si_eq(segs[i].p, segs[i].n, t->seg[i]))
			return 0;
	}
	return 1;
}

static te_err si_route_args(const si_tmpl *t, const si_seg *segs, const char *id_type,
                            te_svc_identity_route_t *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;

	for (size_t i = 0; i < t->nseg; i++) {
		const si_seg *s = &segs[i];

		if (strcmp(t->seg[i], SI_ID) != 0)
			continue;
		if (s->n == 0 || s->n > TE_SVC_IDENTITY_MODULE_MAX)
			SI_FAIL(400, TE_ERR_INVALID_ARG, "module id must be 1 to %d characters",
			        TE_SVC_IDENTITY_MODULE_MAX);
		for (size_t j = 0; j < s->n; j++) {
			if (!te_hj_id_char((unsigned char)s->p[j]))
				SI_FAIL(400, TE_ERR_INVALID_ARG,
				        "module id contains a character that is not allowed");
		}
		memcpy(out->module_id, s->p, s->n);
		out->module_id[s->n] = '\0';
	}
	if (!t->typed || id_type == NULL || strcmp(id_type, "aziot") == 0)
		goto out;
	if (strcmp(id_type, "local") == 0)
		SI_FAIL(501, TE_ERR_UNSUPPORTED, "local identities are not supported");
	SI_FAIL(400, TE_ERR_INVALID_ARG, "invalid identity type: must be \"aziot\"");
out:
	return rc;
}

te_err te_svc_identity_route(const char *method, const char *path, const char *api_version,
                             const char *id_type, te_svc_identity_route_t *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;
	si_seg segs[SI_SEG_MAX];
	size_t nseg = 0;
	const si_tmpl *hit = NULL;
	int path_known = 0;

	memset(out, 0, sizeof(*out));
	if (path == NULL)
		SI_FAIL(400, TE_ERR_INVALID_ARG, "request path is missing");
	TE_GUARD(te_hj_split(path, TE_SVC_IDENTITY_PATH_MAX, segs, SI_SEG_MAX, &nseg, st));
	for (size_t i = 0; i < SI_N(si_routes) && nseg <= SI_SEG_MAX; i++) {
		const si_tmpl *t = &si_routes[i];

		if (!si_tmpl_matches(t, segs, nseg))
			continue;
		path_known = 1;
		if (method != NULL && strcmp(method, t->method) == 0) {
			hit = t;
			break;
		}
	}
	if (!path_known)
		SI_FAIL(404, TE_ERR_NOT_FOUND, "not found");
	if (hit == NULL)
		SI_FAIL(405, TE_ERR_UNSUPPORTED, "method not allowed");
	out->version = si_version(api_version);
	if (out->version == TE_SVC_IDENTITY_API_NONE)
		SI_FAIL(400, TE_ERR_INVALID_ARG, "invalid api-version");
	if (out->version < hit->since)
		SI_FAIL(404, TE_ERR_NOT_FOUND, "not found in this api-version");
	TE_GUARD(si_route_args(hit, segs, id_type, out));
	out->id = hit->id;
	te_hj_status_ok(st);
out:
	if (rc != TE_OK) {
		out->id = TE_SVC_IDENTITY_ROUTE_NONE;
		out->module_id[0] = '\0';
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* the body */

te_err te_svc_identity_parse_type(const void *body, size_t len, const char *content_type,
                                  int optional, te_wl_status *st)
{
	te_err rc = TE_OK;
	json_t *doc = NULL, *type;

	te_hj_status_ok(st);
	if (optional && len == 0)
		goto out;
	TE_GUARD(te_hj_load(body, len, content_type, TE_SVC_IDENTITY_BODY_MAX,
	                    TE_SVC_IDENTITY_JSON_DEPTH_MAX, &doc, st));
	type = json_object_get(doc, "type");
	if (type == NULL)
		SI_FAIL(400, TE_ERR_INVALID_ARG, "field 'type' is missing");
	if (!json_is_string(type))
		SI_FAIL(400, TE_ERR_INVALID_ARG, "field 'type' must be a string");
	if (json_string_length(type) != 5 || memcmp(json_string_value(type), "aziot", 5) != 0)
		SI_FAIL(400, TE_ERR_INVALID_ARG, "field 'type' must be \"aziot\"");
out:
	json_decref(doc);
	return rc;
}

/* Serialises doc into json and releases it (it may be NULL: a failed
 * json_pack). */
static te_err si_dump(json_t *doc, te_buf *json)
{
	te_err rc = te_hj_dump(doc, json);

	json_decref(doc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the decision */

int te_svc_identity_is_admin(uid_t uid, uid_t daemon_uid)
{
	return uid == 0 || uid == daemon_uid;
}

static const te_daemon_module *si_module_find(const te_daemon_config *dc, const char *name)
{
	for (size_t i = 0; i < dc->n_modules; i++) {
		if (strcmp(dc->modules[i].name, name) == 0)
			return &dc->modules[i];
	}
	return NULL;
}

/* An IoT Hub identity needs provisioning (source manual). */
static te_err si_provisioned(const te_daemon_config *dc, te_wl_status *st)
{
	te_err rc = TE_OK;
	const te_daemon_provisioning *p = &dc->provisioning;

	if (p->source != TE_DAEMON_PROV_MANUAL || p->iothub_hostname == NULL ||
	    p->device_id == NULL)
		SI_FAIL(
		    404, TE_ERR_NOT_FOUND,
		    "the device has no IoT Hub identity: the configuration has no provisioning");
	/* A handle names an HSM key by name; a token URI is no name. */
	if (p->method == TE_DAEMON_AUTH_SAS && p->sas_key_uri != NULL)
		SI_FAIL(501, TE_ERR_UNSUPPORTED,
		        "identities are not served when the device key is a pkcs11: URI (key_uri)");
out:
	return rc;
}

static te_err si_device(const te_daemon_config *dc, te_svc_identity_plan *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;

	TE_GUARD(si_provisioned(dc, st));
	if (dc->provisioning.method != TE_DAEMON_AUTH_SAS)
		SI_FAIL(501, TE_ERR_UNSUPPORTED,
		        "the device identity is served for SAS authentication only: "
		        "X.509 device identities are not supported yet");
	out->action = TE_SVC_IDENTITY_DEVICE;
out:
	return rc;
}

/* The module key is derived with the generation id (keys.c), which the
 * IPC carries up to TE_IPC_GENID_MAX characters, as the workload API. */
static int si_genid_ok(const te_daemon_module *m)
{
	size_t n;

	if (m == NULL || m->generation_id == NULL)
		return 0;
	n = strnlen(m->generation_id, TE_IPC_GENID_MAX + 1);
	return n >= 1 && n <= TE_IPC_GENID_MAX;
}

int te_svc_identity_module_served(const te_daemon_config *dc, const te_daemon_module *m)
{
	te_wl_status st;

	return si_genid_ok(m) && si_provisioned(dc, &st) == TE_OK;
}

/* Module `name`'s identity (name is configured, or the caller's). */
static te_err si_module(const te_daemon_config *dc, const char *name, te_svc_identity_plan *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;
	const te_daemon_module *m = si_module_find(dc, name);

	TE_GUARD(si_provisioned(dc, st));
	/* A module the daemon started (a registered pid) need not be
	 * configured: it has no generation id either. */
	if (!si_genid_ok(m))
		SI_FAIL(409, TE_ERR_CONFIG,
		        "the module has no generation_id (1 to %d characters) in the "
		        "configuration, so it has no identity key",
		        TE_IPC_GENID_MAX);
	out->module = m;
	out->action = TE_SVC_IDENTITY_MODULE;
out:
	return rc;
}

static te_err si_admin_only(const te_svc_identity_caller *c, const char *what, te_wl_status *st)
{
	te_err rc = TE_OK;

	if (!c->admin)
		SI_FAIL(403, TE_ERR_PERMISSION,
		        "only an administrator (uid 0 or the daemon's uid) may %s", what);
out:
	return rc;
}

te_err te_svc_identity_decide(const te_daemon_config *dc, const te_svc_identity_route_t *rt,
                              const te_svc_identity_caller *c, te_svc_identity_plan *out)
{
	te_err rc = TE_OK;
	te_wl_status *st = &out->status;

	memset(out, 0, sizeof(*out));
	switch (rt->id) {
	case TE_SVC_IDENTITY_ROUTE_TRUST_BUNDLE:
		out->action = TE_SVC_IDENTITY_TRUST_BUNDLE;
		break;
	case TE_SVC_IDENTITY_ROUTE_PROVISIONING:
		/* Names the method, nothing secret: anyone, as the reference. */
		if (dc->provisioning.source != TE_DAEMON_PROV_MANUAL)
			SI_FAIL(404, TE_ERR_NOT_FOUND,
			        "the device has no IoT Hub identity: the configuration has no "
			        "provisioning");
		out->action = TE_SVC_IDENTITY_PROVISIONING;
		break;
	case TE_SVC_IDENTITY_ROUTE_IDENTITY:
		if (c->module != NULL) {
			TE_GUARD(si_module(dc, c->module, out));
			break;
		}
		if (!c->admin)
			SI_FAIL(403, TE_ERR_PERMISSION,
			        "the caller is neither a configured module nor an administrator "
			        "(uid 0 or the daemon's uid)");
		TE_GUARD(si_device(dc, out));
		break;
	case TE_SVC_IDENTITY_ROUTE_DEVICE:
		TE_GUARD(si_admin_only(c, "read the device identity", st));
		TE_GUARD(si_device(dc, out));
		break;
	case TE_SVC_IDENTITY_ROUTE_REPROVISION:
		TE_GUARD(si_admin_only(c, "reprovision the device", st));
		TE_GUARD(si_provisioned(dc, st));
		out->action = TE_SVC_IDENTITY_NO_CONTENT;
		break;
	case TE_SVC_IDENTITY_ROUTE_MODULES:
		TE_GUARD(si_admin_only(c, "list the module identities", st));
		TE_GUARD(si_provisioned(dc, st));
		out->action = TE_SVC_IDENTITY_MODULES;
		break;
	case TE_SVC_IDENTITY_ROUTE_MODULE_GET:
		if (!c->admin && (c->module == NULL || strcmp(c->module, rt->module_id) != 0))
			SI_FAIL(403, TE_ERR_PERMISSION,
			        "a module may read its own identity only; an administrator any");
		if (si_module_find(dc, rt->module_id) == NULL)
			SI_FAIL(404, TE_ERR_NOT_FOUND, "no module with this id is configured");
		TE_GUARD(si_module(dc, rt->module_id, out));
		break;
	case TE_SVC_IDENTITY_ROUTE_MODULE_CREATE:
	case TE_SVC_IDENTITY_ROUTE_MODULE_UPDATE:
	case TE_SVC_IDENTITY_ROUTE_MODULE_DELETE:
		SI_FAIL(403, TE_ERR_PERMISSION,
		        "module identities come from the configuration file: add or remove "
		        "modules there and reload the daemon (SIGHUP)");
	case TE_SVC_IDENTITY_ROUTE_NONE:
	default:
		SI_FAIL(500, TE_ERR_INTERNAL, "internal error");
	}
	te_hj_status_ok(st);
out:
	if (rc != TE_OK) {
		out->action = TE_SVC_IDENTITY_REFUSE;
		out->module = NULL;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* replies */

void te_svc_identity_spec_fill(const te_daemon_config *dc, const te_daemon_module *m,
                               const char *key_handle, te_svc_identity_spec *out)
{
	const te_daemon_provisioning *p = &dc->provisioning;

	memset(out, 0, sizeof(*out));
	out->hub_name = p->iothub_hostname;
	out->gateway_host = p->gateway_hostname != NULL ? p->gateway_hostname : p->iothub_hostname;
	out->device_id = p->device_id;
	out->key_handle = key_handle;
	if (m != NULL) {
		out->module_id = m->name;
		out->gen_id = m->generation_id;
	}
}

/* One identity as a jansson object; NULL when a field is missing or not
 * UTF-8 (json_string refuses it). */
static json_t *si_identity_obj(const te_svc_identity_spec *s)
{
	json_t *spec = NULL, *auth = NULL;

	if (s->hub_name == NULL || s->gateway_host == NULL || s->device_id == NULL ||
	    s->key_handle == NULL)
		return NULL;
	auth = json_pack("{s:s, s:s}", "type", "sas", "keyHandle", s->key_handle);
	spec = json_pack("{s:s, s:s, s:s, s:o}", "hubName", s->hub_name, "gatewayHost",
	                 s->gateway_host, "deviceId", s->device_id, "auth", auth);
	/* json_pack's "o" took auth over, even on failure. */
	if (spec == NULL)
		return NULL;
	if ((s->module_id != NULL &&
	     json_object_set_new(spec, "moduleId", json_string(s->module_id)) != 0) ||
	    (s->gen_id != NULL &&
	     json_object_set_new(spec, "genId", json_string(s->gen_id)) != 0)) {
		json_decref(spec);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "type", "aziot", "spec", spec);
}

te_err te_svc_identity_reply_identity(const te_svc_identity_spec *s, te_buf *json)
{
	return si_dump(si_identity_obj(s), json);
}

te_err te_svc_identity_reply_identities(const te_svc_identity_spec *s, size_t n, te_buf *json)
{
	te_err rc = TE_OK;
	json_t *list = json_array();

	TE_ENSURE(list != NULL, TE_ERR_NO_MEMORY, "cannot build JSON reply");
	TE_ENSURE(s != NULL || n == 0, TE_ERR_INVALID_ARG, "identities reply: no identities");
	for (size_t i = 0; i < n; i++)
		TE_ENSURE(json_array_append_new(list, si_identity_obj(&s[i])) == 0,
		          TE_ERR_NO_MEMORY, "cannot build JSON reply");
	rc = si_dump(json_pack("{s:o}", "identities", list), json);
	list = NULL; /* taken over by json_pack */
out:
	json_decref(list);
	return rc;
}

te_err te_svc_identity_reply_provisioning(const te_daemon_config *dc, te_buf *json)
{
	te_err rc = TE_OK;
	const te_daemon_provisioning *p = &dc->provisioning;

	TE_ENSURE(p->source == TE_DAEMON_PROV_MANUAL, TE_ERR_NOT_FOUND,
	          "provisioning reply: no provisioning configured");
	TE_GUARD(si_dump(json_pack("{s:s, s:s}", "source", "manual", "auth",
	                              p->method == TE_DAEMON_AUTH_X509 ? "x509" : "sas"),
	                    json));
out:
	return rc;
}

te_err te_svc_identity_reply_error(const te_wl_status *st, te_buf *json)
{
	te_err rc = TE_OK;
	size_t n = strnlen(st->message, sizeof(st->message));

	TE_ENSURE(n < sizeof(st->message), TE_ERR_INVALID_ARG, "status message is not terminated");
	TE_GUARD(si_dump(json_pack("{s:s%}", "message", st->message, n), json));
out:
	return rc;
}
