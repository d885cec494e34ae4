/*
 * fuzz_svc_identity.c - libFuzzer target for the identity service API
 * layer (src/daemon/svc_identity.c): the router, the body parser and the
 * caller -> identity decision.
 *
 * Input: the first byte picks the mode (low 7 bits mod 3): 0 routes the
 * rest as method NUL path NUL api-version NUL type (a missing part is
 * NULL, the path ""), then, when it routes, decides it for each kind of
 * caller (administrator, configured module, module without a generation
 * id, registered module outside the configuration, stranger) under a
 * fixed configuration and builds the reply of every plan with a dummy
 * handle; 1 and 2 feed the rest to the body parser, the body required
 * (1) or optional (2).  Bit 7 set sends "text/plain" instead of
 * "application/json; charset=utf-8", which must be refused with 415.
 *
 * On success: the route has an id, its module id is within bounds and of
 * the allowed characters, the plan names a configured module exactly when
 * it serves one, the reply is a JSON document; on failure: the status is
 * one of those documented and turns into an error reply.  The same input
 * gives the same result twice.  Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/svc_identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char te_fz_config[] =
    "provisioning:\n"
    "  source: manual\n"
    "  connection_string: \"HostName=hub.example.net;DeviceId=dev-1;GatewayHostName=gw;"
    "SharedAccessKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNDU2Nzg=\"\n"
    "modules:\n"
    "  - name: sensor\n"
    "    uid: 1001\n"
    "    generation_id: \"637\"\n"
    "  - name: camera\n"
    "    uid: 1002\n";

static te_daemon_config *g_dc;

static void te_fz_check_status(const te_wl_status *st, const int *allowed, size_t n)
{
	te_buf reply;
	int hit = 0;

	for (size_t i = 0; i < n; i++)
		hit |= st->http_status == allowed[i];
	if (!hit || st->message[0] == '\0' ||
	    strnlen(st->message, sizeof(st->message)) == sizeof(st->message))
		abort();
	te_buf_init(&reply, 0);
	if (te_svc_identity_reply_error(st, &reply) != TE_OK || reply.data[0] != '{')
		abort();
	te_buf_free(&reply);
}

/* Splits data at NULs into up to n parts; a missing part is NULL. */
static void te_fz_split(const char *text, size_t len, const char **parts, size_t n)
{
	size_t at = 0;

	for (size_t i = 0; i < n; i++) {
		parts[i] = NULL;
		if (at > len || (at == len && i > 0))
			continue;
		parts[i] = text + at;
		at += strnlen(text + at, len - at) + 1;
	}
}

static void te_fz_plan_reply(const te_svc_identity_plan *plan)
{
	te_svc_identity_spec spec;
	te_buf json;

	te_buf_init(&json, 1);
	switch (plan->action) {
	case TE_SVC_IDENTITY_DEVICE:
	case TE_SVC_IDENTITY_MODULE:
		if ((plan->action == TE_SVC_IDENTITY_MODULE) != (plan->module != NULL))
			abort();
		if (plan->module != NULL && !te_svc_identity_module_served(g_dc, plan->module))
			abort();
		te_svc_identity_spec_fill(g_dc, plan->module, "HANDLE", &spec);
		if (te_svc_identity_reply_identity(&spec, &json) != TE_OK)
			abort();
		break;
	case TE_SVC_IDENTITY_MODULES:
		te_svc_identity_spec_fill(g_dc, &g_dc->modules[0], "HANDLE", &spec);
		if (te_svc_identity_reply_identities(&spec, 1, &json) != TE_OK)
			abort();
		break;
	case TE_SVC_IDENTITY_PROVISIONING:
		if (te_svc_identity_reply_provisioning(g_dc, &json) != TE_OK)
			abort();
		break;
	case TE_SVC_IDENTITY_TRUST_BUNDLE:
	case TE_SVC_IDENTITY_NO_CONTENT:
		if (plan->module != NULL)
			abort();
		break;
	case TE_SVC_IDENTITY_REFUSE:
	default:
		abort();
	}
	if (json.len > 0 && json.data[0] != '{')
		abort();
	te_buf_free(&json);
}

static void te_fz_decide(const te_svc_identity_route_t *rt)
{
	static const int refusals[] = {403, 404, 409, 501};
	const te_svc_identity_caller callers[] = {
	    {0, 1, NULL},         {1001, 0, "sensor"}, {1002, 0, "camera"},
	    {5000, 0, "spawned"}, {4242, 0, NULL},     {999, 1, "sensor"},
	};

	for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++) {
		te_svc_identity_plan plan, again;
		te_err rc = te_svc_identity_decide(g_dc, rt, &callers[i], &plan);

		if (te_svc_identity_decide(g_dc, rt, &callers[i], &again) != rc ||
		    plan.action != again.action || plan.module != again.module)
			abort();
		if (rc != TE_OK) {
			if (plan.action != TE_SVC_IDENTITY_REFUSE || plan.module != NULL)
				abort();
			te_fz_check_status(&plan.status, refusals, sizeof(refusals) / sizeof(int));
			continue;
		}
		if (plan.status.http_status != 0)
			abort();
		/* A stranger gets nothing but the public routes. */
		if (i == 4 && plan.action != TE_SVC_IDENTITY_PROVISIONING &&
		    plan.action != TE_SVC_IDENTITY_TRUST_BUNDLE)
			abort();
		te_fz_plan_reply(&plan);
	}
}

static void te_fz_route(const char *text, size_t len)
{
	static const int refusals[] = {400, 404, 405, 501};
	const char *p[4];
	te_svc_identity_route_t rt, again;
	te_err rc;
	size_t n;

	te_fz_split(text, len, p, 4);
	rc = te_svc_identity_route(p[0], p[1] != NULL ? p[1] : "", p[2], p[3], &rt);
	if (te_svc_identity_route(p[0], p[1] != NULL ? p[1] : "", p[2], p[3], &again) != rc ||
	    memcmp(&rt, &again, sizeof(rt)) != 0)
		abort();
	n = strnlen(rt.module_id, sizeof(rt.module_id));
	if (n == sizeof(rt.module_id))
		abort();
	if (rc != TE_OK) {
		if (rt.id != TE_SVC_IDENTITY_ROUTE_NONE || n != 0)
			abort();
		te_fz_check_status(&rt.status, refusals, sizeof(refusals) / sizeof(int));
		return;
	}
	if (rt.id == TE_SVC_IDENTITY_ROUTE_NONE || rt.status.http_status != 0 ||
	    rt.version == TE_SVC_IDENTITY_API_NONE)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (strchr("%/?& \"\\", rt.module_id[i]) != NULL)
			abort();
	}
	te_fz_decide(&rt);
}

static void te_fz_body(const uint8_t *body, size_t len, int optional, int plain)
{
	static const int refusals[] = {400, 413, 415, 422};
	const char *ct = plain ? "text/plain" : "application/json; charset=utf-8";
	te_wl_status st, again;
	te_err rc = te_svc_identity_parse_type(body, len, ct, optional, &st);

	if (te_svc_identity_parse_type(body, len, ct, optional, &again) != rc ||
	    st.http_status != again.http_status)
		abort();
	if (rc == TE_OK) {
		if (st.http_status != 0 || (plain && !(optional && len == 0)))
			abort();
		return;
	}
	if (plain && st.http_status != 415)
		abort();
	te_fz_check_status(&st, refusals, sizeof(refusals) / sizeof(int));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (g_dc == NULL && te_daemon_config_parse("fuzz.yaml", te_fz_config,
	                                           sizeof(te_fz_config) - 1, &g_dc) != TE_OK)
		abort();
	if (size == 0)
		return 0;
	switch ((data[0] & 0x7f) % 3) {
	case 0:
		/* A private copy: the router reads C strings. */
		text = malloc(size);
		if (text == NULL)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		te_fz_route(text, size - 1);
		free(text);
		break;
	case 1:
	case 2:
		te_fz_body(data + 1, size - 1, (data[0] & 0x7f) % 3 == 2, (data[0] & 0x80) != 0);
		break;
	default:
		break;
	}
	return 0;
}
