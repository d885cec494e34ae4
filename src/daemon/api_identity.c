/*
 * api_identity.c - the identity service (services-api.md) on its socket,
 * in the API process: routes the request and checks its body with the
 * pure layer (svc_identity.h), finds out who the caller is (authz.h: a
 * configured module; an administrator by uid), lets the pure layer decide
 * which identity that caller gets, and asks the keys process for the
 * identity's key handle (IDSVC_REQ, bound to the caller's uid) or for the
 * trust bundle (TRUST_BUNDLE_REQ, as the workload API).
 *
 * Nothing secret passes here: the identity is configuration, the key
 * stays in the keys process, and the handle works for the caller's uid
 * only; still, replies holding a handle are built in a secure buffer and
 * the IPC messages are wiped, as every credential is.
 */
#include "daemon/api_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/te_log.h"
#include "daemon/svc_identity.h"
#include "trustedge/te_mem.h"

typedef char ai_handle_t[TE_IPC_KEYSVC_HANDLE_MAX + 1];

static const char *ai_route_name(te_svc_identity_route_id id)
{
	switch (id) {
	case TE_SVC_IDENTITY_ROUTE_IDENTITY:
		return "identity";
	case TE_SVC_IDENTITY_ROUTE_PROVISIONING:
		return "provisioning";
	case TE_SVC_IDENTITY_ROUTE_DEVICE:
		return "device";
	case TE_SVC_IDENTITY_ROUTE_REPROVISION:
		return "reprovision";
	case TE_SVC_IDENTITY_ROUTE_MODULES:
		return "modules";
	case TE_SVC_IDENTITY_ROUTE_MODULE_CREATE:
		return "module-create";
	case TE_SVC_IDENTITY_ROUTE_MODULE_GET:
		return "module";
	case TE_SVC_IDENTITY_ROUTE_MODULE_UPDATE:
		return "module-update";
	case TE_SVC_IDENTITY_ROUTE_MODULE_DELETE:
		return "module-delete";
	case TE_SVC_IDENTITY_ROUTE_TRUST_BUNDLE:
		return "trust-bundle";
	case TE_SVC_IDENTITY_ROUTE_NONE:
	default:
		return "none";
	}
}

static void ai_status(te_wl_status *st, int http, const char *msg)
{
	st->http_status = http;
	snprintf(st->message, sizeof(st->message), "%s", msg);
}

/* The keys process's ERROR_REPLY in ch->rep as a refusal. */
static void ai_ipc_error(const api_chan *ch, const char *what, const char *unsupported,
                         te_wl_status *st)
{
	te_ipc_error_reply er;

	if (te_ipc_error_reply_decode(ch->rep, &er) != TE_OK) {
		ai_status(st, 500, "internal error");
		return;
	}
	if (er.code == TE_ERR_UNSUPPORTED) {
		ai_status(st, 501, unsupported);
		return;
	}
	te_log_warn("keys process failed the identity service's %s: %s: %s", what,
	            te_err_name(er.code), er.message);
	ai_status(st, 500, "internal error");
}

/* The key handle of the device identity (module NULL) or of module m,
 * made for uid, into out.  A refusal of the keys process is in st. */
static te_err ai_handle(te_api *a, uint32_t uid, const te_daemon_module *m, ai_handle_t out,
                        te_wl_status *st)
{
	te_err rc = TE_OK;
	te_ipc_idsvc_req req;
	te_ipc_idsvc_reply rep;
	api_chan *ch = NULL;

	memset(&req, 0, sizeof(req));
	req.uid = uid;
	if (m != NULL) {
		/* Bounds: the configuration's (module) and the pure layer's
		 * (generation id); the encoder refuses anything else. */
		TE_ENSURE(strlen(m->name) <= TE_IPC_MODULE_MAX &&
		              strlen(m->generation_id) <= TE_IPC_GENID_MAX,
		          TE_ERR_INTERNAL, "identity API: module id or generation id too long");
		memcpy(req.module, m->name, strlen(m->name) + 1);
		memcpy(req.genid, m->generation_id, strlen(m->generation_id) + 1);
	}
	ch = te_api_chan_acquire(a);
	TE_GUARD(te_ipc_idsvc_req_encode(&req, ch->req));
	TE_GUARD(te_api_ipc_exchange(a, ch));
	if (ch->rep->type == TE_IPC_ERROR_REPLY) {
		ai_ipc_error(ch, "key handle",
		             "identity key handles are not available for this device key", st);
		rc = te_err_set(TE_ERR_PERMISSION, "identity API: key handle refused");
		goto out;
	}
	TE_GUARD(te_ipc_idsvc_reply_decode(ch->rep, &rep));
	memcpy(out, rep.handle, rep.handle_len);
	out[rep.handle_len] = '\0';
out:
	if (ch != NULL)
		te_api_chan_release(ch);
	return rc;
}

static te_err ai_trust_bundle(te_api *a, te_buf *json, te_wl_status *st)
{
	te_err rc = TE_OK;
	te_ipc_bundle_reply brep;
	api_chan *ch = te_api_chan_acquire(a);

	TE_GUARD(te_ipc_trust_bundle_req_encode(ch->req));
	TE_GUARD(te_api_ipc_exchange(a, ch));
	if (ch->rep->type == TE_IPC_ERROR_REPLY) {
		/* e.g. no certificate store: what the workload API answers */
		ai_ipc_error(ch, "trust bundle", "not available on this device", st);
		rc = te_err_set(TE_ERR_PERMISSION, "identity API: trust bundle refused");
		goto out;
	}
	TE_GUARD(te_ipc_bundle_reply_decode(ch->rep, &brep));
	TE_GUARD(te_wl_reply_bundle(brep.pem, brep.pem_len, json));
out:
	te_api_chan_release(ch);
	return rc;
}

static te_err ai_one(te_api *a, const te_svc_identity_caller *c, const te_daemon_module *m,
                     te_buf *json, te_wl_status *st)
{
	te_err rc = TE_OK;
	const te_daemon_config *dc = te_api_dc(a);
	te_svc_identity_spec spec;
	ai_handle_t handle;

	TE_GUARD(ai_handle(a, (uint32_t)c->uid, m, handle, st));
	te_svc_identity_spec_fill(dc, m, handle, &spec);
	TE_GUARD(te_svc_identity_reply_identity(&spec, json));
out:
	te_memzero(handle, sizeof(handle));
	return rc;
}

/* Every module that has an identity, each with a handle for the caller. */
static te_err ai_all(te_api *a, const te_svc_identity_caller *c, te_buf *json, te_wl_status *st)
{
	te_err rc = TE_OK;
	const te_daemon_config *dc = te_api_dc(a);
	size_t n = 0, room = dc->n_modules > 0 ? dc->n_modules : 1;
	te_svc_identity_spec *specs = calloc(room, sizeof(*specs));
	ai_handle_t *handles = te_secure_alloc(room * sizeof(*handles));

	TE_ENSURE(specs != NULL && handles != NULL, TE_ERR_NO_MEMORY,
	          "identity API: out of memory");
	for (size_t i = 0; i < dc->n_modules; i++) {
		const te_daemon_module *m = &dc->modules[i];

		if (!te_svc_identity_module_served(dc, m))
			continue;
		TE_GUARD(ai_handle(a, (uint32_t)c->uid, m, handles[n], st));
		te_svc_identity_spec_fill(dc, m, handles[n], &specs[n]);
		n++;
	}
	TE_GUARD(te_svc_identity_reply_identities(specs, n, json));
out:
	te_secure_free(handles);
	free(specs);
	return rc;
}

/* Who the caller is: an administrator by uid, a module by authz. */
static te_err ai_caller(te_api *a, const te_api_call *call, const te_svc_identity_route_t *rt,
                        char module[TE_AUTHZ_MODULE_MAX + 1], te_svc_identity_caller *c)
{
	te_err rc = TE_OK;

	memset(c, 0, sizeof(*c));
	c->uid = call->peer->uid;
	c->admin = te_svc_identity_is_admin(call->peer->uid, getuid());
	/* Only these two routes depend on the caller being a module: the
	 * others need not read /proc. */
	if (rt->id != TE_SVC_IDENTITY_ROUTE_IDENTITY && rt->id != TE_SVC_IDENTITY_ROUTE_MODULE_GET)
		goto out;
	rc = te_authz_identify_peer(te_api_authz(a), call->peer, module);
	if (rc == TE_ERR_PERMISSION) {
		te_err_clear();
		rc = TE_OK;
		goto out;
	}
	TE_GUARD(rc);
	c->module = module;
out:
	return rc;
}

/* The answer for plan into json and *http, or a refusal into st. */
static te_err ai_act(te_api *a, const te_svc_identity_plan *plan, const te_svc_identity_caller *c,
                     unsigned *http, te_buf *json, te_wl_status *st)
{
	*http = 200;
	switch (plan->action) {
	case TE_SVC_IDENTITY_DEVICE:
		return ai_one(a, c, NULL, json, st);
	case TE_SVC_IDENTITY_MODULE:
		return ai_one(a, c, plan->module, json, st);
	case TE_SVC_IDENTITY_MODULES:
		return ai_all(a, c, json, st);
	case TE_SVC_IDENTITY_PROVISIONING:
		return te_svc_identity_reply_provisioning(te_api_dc(a), json);
	case TE_SVC_IDENTITY_TRUST_BUNDLE:
		return ai_trust_bundle(a, json, st);
	case TE_SVC_IDENTITY_NO_CONTENT:
		*http = 204;
		return TE_OK;
	case TE_SVC_IDENTITY_REFUSE:
	default:
		return te_err_set(TE_ERR_INTERNAL, "identity API: action %d", (int)plan->action);
	}
}

static enum MHD_Result ai_send_error(struct MHD_Connection *conn, const te_wl_status *st)
{
	te_buf json;

	te_buf_init(&json, 0);
	if (te_svc_identity_reply_error(st, &json) != TE_OK) {
		te_buf_free(&json);
		return MHD_NO;
	}
	return te_api_send_json(conn, (unsigned)st->http_status, &json);
}

enum MHD_Result te_api_identity_handle(te_api *a, struct MHD_Connection *conn, const te_api_call *c)
{
	te_err rc = TE_OK;
	te_svc_identity_route_t rt;
	te_svc_identity_caller caller;
	te_svc_identity_plan plan;
	te_wl_status st;
	char module[TE_AUTHZ_MODULE_MAX + 1] = "";
	const char *type = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "type");
	unsigned http = 0;
	te_buf json;

	memset(&st, 0, sizeof(st));
	memset(&plan, 0, sizeof(plan));
	/* Secure: identities carry key handles. */
	te_buf_init(&json, 1);
	if (te_api_dc(a) == NULL) {
		ai_status(&st, 501, "the identity service is not configured");
		goto out;
	}
	if (te_svc_identity_route(c->method, c->url, c->api_version, type, &rt) != TE_OK) {
		st = rt.status;
		goto out;
	}
	if (rt.id == TE_SVC_IDENTITY_ROUTE_DEVICE || rt.id == TE_SVC_IDENTITY_ROUTE_REPROVISION)
		TE_GUARD(te_svc_identity_parse_type(c->body, c->body_len, c->content_type,
		                                    rt.id == TE_SVC_IDENTITY_ROUTE_REPROVISION,
		                                    &st));
	TE_GUARD(ai_caller(a, c, &rt, module, &caller));
	if (te_svc_identity_decide(te_api_dc(a), &rt, &caller, &plan) != TE_OK) {
		st = plan.status;
		if (st.http_status == 403)
			te_log_info("audit: identity caller uid=%u pid=%u op=%s result=denied: %s",
			            (unsigned)c->peer->uid, (unsigned)c->peer->pid,
			            ai_route_name(rt.id), st.message);
		goto out;
	}
	TE_GUARD(ai_act(a, &plan, &caller, &http, &json, &st));
	if (plan.action == TE_SVC_IDENTITY_DEVICE || plan.action == TE_SVC_IDENTITY_MODULE ||
	    plan.action == TE_SVC_IDENTITY_MODULES)
		te_log_info("audit: identity caller uid=%u pid=%u op=%s identity=%s result=allowed",
		            (unsigned)c->peer->uid, (unsigned)c->peer->pid, ai_route_name(rt.id),
		            plan.action == TE_SVC_IDENTITY_DEVICE   ? "device"
		            : plan.action == TE_SVC_IDENTITY_MODULE ? plan.module->name
		                                                    : "all modules");
out:
	if (rc == TE_OK && st.http_status == 0)
		return te_api_send_json(conn, http, &json);
	te_buf_free(&json);
	if (st.http_status != 0)
		return ai_send_error(conn, &st);
	te_log_err(rc, "identity API");
	return te_api_send_status(conn, 500, "internal error");
}
