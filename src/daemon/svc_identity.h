/*
 * svc_identity.h - request routing, bodies, the caller -> identity
 * decision and the replies of the identity service API (aziot-identityd
 * compatible, api-versions 2020-09-01, 2021-12-01 and 2022-08-01; docs:
 * /work/shared/docs/services-api.md), as pure functions.
 *
 * The same contract as the keys layer (svc_keys.h): the API process hands
 * these what the HTTP server gives it and gets back a typed route or a
 * refusal in a te_wl_status, sent as {"message": "..."}; messages name our
 * fields, never repeat client bytes.  The API process then asks the keys
 * process for the identity's key handle (IDSVC_REQ, keys_idsvc.h).
 *
 * Routes:
 *
 *   GET    /identities/identity          the caller's identity
 *   GET    /identities/provisioning      {"source":"manual","auth":...}
 *                                        (2021-12-01 and later, as the
 *                                        reference; 404 in 2020-09-01)
 *   POST   /identities/device            the device identity (body
 *                                        {"type":"aziot"})
 *   POST   /identities/device/reprovision  204, a no-op (below)
 *   GET    /identities/modules           every module identity
 *   GET    /identities/modules/{id}      one module identity
 *   POST   /identities/modules           refused 403 (below)
 *   PUT    /identities/modules/{id}      refused 403
 *   DELETE /identities/modules/{id}      refused 403
 *   GET    /trust-bundle                 {"certificate": PEM}, the
 *                                        workload API's trust bundle
 *
 * Callers (te_svc_identity_decide):
 *   - a module: a connection authz (authz.h) maps to a configured module
 *     by uid, cgroup or registered pid;
 *   - an administrator: uid 0 or the daemon's own uid (the user the
 *     daemon runs as, which owns its sockets and state).  The reference
 *     gives the device identity to the principals configured without an
 *     idtype (the edge runtime); this daemon has no such list for the
 *     identity service, and those two uids can read the device key's
 *     store anyway, so serving them the device identity grants nothing
 *     new.
 * A caller may be both (a module configured with the daemon's uid, as the
 * development defaults do): GET /identities/identity then answers the
 * module identity, the more specific one; the admin routes still serve it.
 *
 *   route                         administrator    module m        other
 *   GET identity                  device           m's identity    403
 *   POST device                   device           403             403
 *   POST device/reprovision       204              403             403
 *   GET modules                   all modules      403             403
 *   GET modules/{id}              id's identity    m's if id == m  403
 *   GET provisioning, trust-bundle  anyone
 *   POST/PUT/DELETE modules       403 for everyone
 *
 * Module identities come from the configuration (`modules`): there is no
 * store of identities to add to or remove from, and creating one in IoT
 * Hub is the hub's business, so the reference's create/update/delete
 * (which only its agent may call) answer 403 saying so.  Reprovisioning
 * with manual provisioning reads the same configuration again: the
 * reference answers 204 and changes nothing, and so does this daemon (a
 * new configuration takes effect with SIGHUP).
 *
 * An identity needs IoT Hub provisioning (`provisioning`, source manual):
 * without it (development defaults) the identity routes answer 404.  A
 * module's identity key is its primary workload key for its generation
 * id, so a module needs `generation_id` in the configuration (409 without
 * it; GET /identities/modules leaves such modules out).  The device
 * identity is served for SAS authentication; an X.509 device identity
 * (certificate and key, certId) is not served yet (501), nor is any
 * identity when the device key is a pkcs11: URI (key_uri; 501), since a
 * key handle names an HSM key by name.
 *
 * Statuses (and the te_err returned with them): 400 TE_ERR_INVALID_ARG,
 * 403 TE_ERR_PERMISSION, 404 TE_ERR_NOT_FOUND, 405 TE_ERR_UNSUPPORTED,
 * 409 TE_ERR_CONFIG, 413 TE_ERR_BUFFER_TOO_SMALL, 415 TE_ERR_UNSUPPORTED,
 * 422 TE_ERR_MALFORMED, 501 TE_ERR_UNSUPPORTED.
 */
#ifndef TRUSTEDGE_DAEMON_SVC_IDENTITY_H
#define TRUSTEDGE_DAEMON_SVC_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/ipc.h"
#include "daemon/workload.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_error.h"
#include "trustedge/te_mem.h"

/* Longest URL path considered (the longest route with a maximal module
 * id is 149 bytes). */
#define TE_SVC_IDENTITY_PATH_MAX 512
/* Largest request body: the bodies are {"type":"aziot"} and the like. */
#define TE_SVC_IDENTITY_BODY_MAX 4096
/* Deepest JSON nesting accepted; valid bodies have depth 1. */
#define TE_SVC_IDENTITY_JSON_DEPTH_MAX 8
/* Module ids: IoT Hub's 128 characters (TE_IPC_MODULE_MAX). */
#define TE_SVC_IDENTITY_MODULE_MAX TE_IPC_MODULE_MAX

typedef enum te_svc_identity_api_version {
	TE_SVC_IDENTITY_API_NONE = 0,
	TE_SVC_IDENTITY_API_2020_09_01,
	TE_SVC_IDENTITY_API_2021_12_01,
	TE_SVC_IDENTITY_API_2022_08_01,
} te_svc_identity_api_version;

typedef enum te_svc_identity_route_id {
	TE_SVC_IDENTITY_ROUTE_NONE = 0,
	TE_SVC_IDENTITY_ROUTE_IDENTITY,      /* GET    /identities/identity */
	TE_SVC_IDENTITY_ROUTE_PROVISIONING,  /* GET    /identities/provisioning */
	TE_SVC_IDENTITY_ROUTE_DEVICE,        /* POST   /identities/device */
	TE_SVC_IDENTITY_ROUTE_REPROVISION,   /* POST   /identities/device/reprovision */
	TE_SVC_IDENTITY_ROUTE_MODULES,       /* GET    /identities/modules */
	TE_SVC_IDENTITY_ROUTE_MODULE_CREATE, /* POST   /identities/modules */
	TE_SVC_IDENTITY_ROUTE_MODULE_GET,    /* GET    /identities/modules/{id} */
	TE_SVC_IDENTITY_ROUTE_MODULE_UPDATE, /* PUT    /identities/modules/{id} */
	TE_SVC_IDENTITY_ROUTE_MODULE_DELETE, /* DELETE /identities/modules/{id} */
	TE_SVC_IDENTITY_ROUTE_TRUST_BUNDLE,  /* GET    /trust-bundle */
} te_svc_identity_route_id;

typedef struct te_svc_identity_route_t {
	te_svc_identity_route_id id;
	te_svc_identity_api_version version;
	/* MODULE_GET, MODULE_UPDATE, MODULE_DELETE; else "". */
	char module_id[TE_SVC_IDENTITY_MODULE_MAX + 1];
	te_wl_status status; /* the refusal when not TE_OK */
} te_svc_identity_route_t;

/*
 * Matches method ("GET"/"POST"/"PUT"/"DELETE", exact case) and path
 * against the routes above, checks api_version (NULL = missing), the
 * path's module id and the `type` query value id_type (NULL = missing)
 * of GET /identities/modules[/{id}] and DELETE /identities/modules/{id}.
 * Order: path syntax (400: empty, ".", ".." segments, bytes outside
 * printable ASCII, too long) -> route (404) -> method (405) ->
 * api-version (400 "invalid api-version") -> route not in that version
 * (404) -> module id (400: 1..128 of [A-Za-z0-9] and -._:+@$!*(),=#';
 * paths are not percent-decoded, so '%' is refused) -> type (missing or
 * "aziot"; "local" 501, anything else 400).  On failure out->id is
 * TE_SVC_IDENTITY_ROUTE_NONE, module_id is empty and out->status holds
 * the refusal.
 */
te_err te_svc_identity_route(const char *method, const char *path, const char *api_version,
                             const char *id_type, te_svc_identity_route_t *out) TE_MUST_CHECK
    TE_NONNULL(5);

/*
 * The body of POST /identities/device ({"type": "aziot"}, required) and
 * of POST /identities/device/reprovision (the same, or no body at all:
 * the reference ignores it).  Content-Type application/json, parameters
 * allowed (415); at most TE_SVC_IDENTITY_BODY_MAX bytes (413); one JSON
 * object, no duplicate keys, nesting at most TE_SVC_IDENTITY_JSON_DEPTH_MAX
 * (422); "type" a string (400) equal to "aziot" (400); other fields
 * ignored.  optional: an empty body (len 0) is accepted.
 */
te_err te_svc_identity_parse_type(const void *body, size_t len, const char *content_type,
                                  int optional, te_wl_status *st) TE_MUST_CHECK TE_NONNULL(5);

/* ---- the caller and the decision ---- */

/* 1 when uid is an administrator: uid 0 or daemon_uid (the daemon's own
 * uid, getuid() of the API process). */
int te_svc_identity_is_admin(uid_t uid, uid_t daemon_uid);

typedef struct te_svc_identity_caller {
	uid_t uid;
	int admin;          /* te_svc_identity_is_admin */
	const char *module; /* the module authz maps the caller to, or NULL */
} te_svc_identity_caller;

typedef enum te_svc_identity_action {
	TE_SVC_IDENTITY_REFUSE = 0,   /* status holds the refusal */
	TE_SVC_IDENTITY_DEVICE,       /* the device identity */
	TE_SVC_IDENTITY_MODULE,       /* the identity of `module` */
	TE_SVC_IDENTITY_MODULES,      /* every configured module with a generation id */
	TE_SVC_IDENTITY_PROVISIONING, /* te_svc_identity_reply_provisioning */
	TE_SVC_IDENTITY_TRUST_BUNDLE, /* the trust bundle (TRUST_BUNDLE_REQ) */
	TE_SVC_IDENTITY_NO_CONTENT,   /* 204, no body */
} te_svc_identity_action;

typedef struct te_svc_identity_plan {
	te_svc_identity_action action;
	const te_daemon_module *module; /* MODULE: the module in dc, with a generation id */
	te_wl_status status;            /* REFUSE */
} te_svc_identity_plan;

/*
 * What to answer caller on route rt (which te_svc_identity_route
 * accepted) under configuration dc: the tables at the top of this file.
 * Authorization comes first, so a refused caller learns nothing of what is
 * configured; then whether the identity exists (404, 409, 501).  TE_OK
 * with an action, or the status's te_err with REFUSE and out->status.
 */
te_err te_svc_identity_decide(const te_daemon_config *dc, const te_svc_identity_route_t *rt,
                              const te_svc_identity_caller *caller,
                              te_svc_identity_plan *out) TE_MUST_CHECK TE_NONNULL(1, 2, 3, 4);

/* 1 when module m has an identity under dc (the configuration can give
 * it one: a generation id, SAS-capable provisioning). */
int te_svc_identity_module_served(const te_daemon_config *dc, const te_daemon_module *m)
    TE_NONNULL(1, 2);

/* ---- replies: append NUL-terminated JSON text to json (the NUL is not
 * counted in json->len); on failure json is as it was.  Replies with a
 * key handle go in a secure te_buf. */

typedef struct te_svc_identity_spec {
	const char *hub_name;
	const char *gateway_host;
	const char *device_id;
	const char *module_id; /* NULL: the device identity */
	const char *gen_id;    /* NULL: none */
	const char *key_handle;
} te_svc_identity_spec;

/* The spec of the device (m NULL) or of module m under dc, naming
 * key_handle (borrowed, like every field).  gatewayHost is the
 * connection string's GatewayHostName, else the hub (the reference's
 * default). */
void te_svc_identity_spec_fill(const te_daemon_config *dc, const te_daemon_module *m,
                               const char *key_handle, te_svc_identity_spec *out)
    TE_NONNULL(1, 3, 4);

/* {"type":"aziot","spec":{"hubName","gatewayHost","deviceId",
 * "moduleId"?,"genId"?,"auth":{"type":"sas","keyHandle"}}} */
te_err te_svc_identity_reply_identity(const te_svc_identity_spec *s, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(1, 2);
/* {"identities":[<identity>...]} for s[0..n) (n may be 0). */
te_err te_svc_identity_reply_identities(const te_svc_identity_spec *s, size_t n,
                                        te_buf *json) TE_MUST_CHECK TE_NONNULL(3);
/* {"source":"manual","auth":"sas"|"x509"}: what the reference answers
 * for manual provisioning, no secret and nothing more.  TE_ERR_NOT_FOUND
 * without provisioning. */
te_err te_svc_identity_reply_provisioning(const te_daemon_config *dc, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(1, 2);
/* {"message":"<st->message>"} */
te_err te_svc_identity_reply_error(const te_wl_status *st, te_buf *json) TE_MUST_CHECK
    TE_NONNULL(1, 2);

#endif
