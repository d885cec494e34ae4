/*
 * test_config.c - daemon.config: the daemon's configuration model.  Every
 * section read from YAML, the defaults, every kind of mistake reported as
 * exactly "FILE:LINE: key.path: problem", and the SharedAccessKey kept in
 * secure memory and out of every message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "trustedge/te_daemon_config.h"
#include "trustedge/te_mem.h"

/* base64 of "secretsecretsecretsecret12345678" (32 bytes). */
#define KEY_B64 "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNDU2Nzg="
#define KEY_RAW "secretsecretsecretsecret12345678"
#define CONNSTR "HostName=hub.example.net;DeviceId=dev-1;SharedAccessKey=" KEY_B64

static te_daemon_config *load_ok(const char *text)
{
	te_daemon_config *dc = NULL;
	te_err rc = te_daemon_config_parse("t.yaml", text, strlen(text), &dc);

	if (rc != TE_OK)
		fail_msg("refused: %s: %s", te_err_name(rc), te_err_detail());
	assert_non_null(dc);
	return dc;
}

/* text must be refused with err and exactly the detail want. */
static void load_bad_code(const char *text, te_err err, const char *want)
{
	te_daemon_config *dc = NULL;
	te_err rc;

	te_err_clear();
	rc = te_daemon_config_parse("t.yaml", text, strlen(text), &dc);
	if (rc != err)
		fail_msg("expected %s, got %s (%s) for:\n%s", te_err_name(err), te_err_name(rc),
		         te_err_detail(), text);
	assert_null(dc);
	if (strcmp(te_err_detail(), want) != 0)
		fail_msg("detail\n  '%s'\nexpected\n  '%s'", te_err_detail(), want);
	/* Whatever went wrong, the key is never in the message. */
	assert_null(strstr(te_err_detail(), KEY_B64));
	assert_null(strstr(te_err_detail(), "c2VjcmV0"));
}

static void load_bad(const char *text, const char *want)
{
	load_bad_code(text, TE_ERR_CONFIG, want);
}

/* --- positive ------------------------------------------------------------ */

static const char full[] =
    "hsm:\n"                                                          /* 1 */
    "  backend: pkcs11\n"                                             /* 2 */
    "  pkcs11:\n"                                                     /* 3 */
    "    module: /usr/lib/softhsm/libsofthsm2.so\n"                   /* 4 */
    "    pin: \"1234\"\n"                                             /* 5 */
    "  soft:\n"                                                       /* 6 */
    "    store: /ignored\n"                                           /* 7 */
    "state_dir: /srv/te\n"                                            /* 8 */
    "sockets:\n"                                                      /* 9 */
    "  workload:\n"                                                   /* 10 */
    "    path: /run/te/w.sock\n"                                      /* 11 */
    "    mode: \"0660\"\n"                                            /* 12 */
    "    owner: root\n"                                               /* 13 */
    "    group: \"0\"\n"                                              /* 14 */
    "  management:\n"                                                 /* 15 */
    "    mode: 600\n"                                                 /* 16 */
    "    owner: \"4242\"\n"                                           /* 17 */
    "provisioning:\n"                                                 /* 18 */
    "  source: manual\n"                                              /* 19 */
    "  connection_string: \"" CONNSTR ";GatewayHostName=gw.local\"\n" /* 20 */
    "edge_ca:\n"                                                      /* 21 */
    "  auto_generated_ca_lifetime_days: 30\n"                         /* 22 */
    "  auto_renew:\n"                                                 /* 23 */
    "    threshold: \"75%\"\n"                                        /* 24 */
    "    retry: 5%\n"                                                 /* 25 */
    "    rotate_key: true\n"                                          /* 26 */
    "modules:\n"                                                      /* 27 */
    "  - name: $edgeHub\n"                                            /* 28 */
    "    uid: 1001\n"                                                 /* 29 */
    "    generation_id: \"637\"\n"                                    /* 30 */
    "  - name: sensor\n"                                              /* 31 */
    "    cgroup: /system.slice/sensor.service\n"                      /* 32 */
    "principals:\n"                                                   /* 33 */
    "  - uid: root\n"                                                 /* 34 */
    "    keys: [\"device-*\", edge-ca]\n"                             /* 35 */
    "  - uid: 1001\n"                                                 /* 36 */
    "    keys:\n"                                                     /* 37 */
    "      - \"module-[ab]?\"\n"                                      /* 38 */
    "limits:\n"                                                       /* 39 */
    "  max_connections_per_uid: 100000\n"                             /* 40 */
    "  max_body_bytes: 16777216\n"                                    /* 41 */
    "  read_timeout_ms: 250\n"                                        /* 42 */
    "log:\n"                                                          /* 43 */
    "  level: debug\n";                                               /* 44 */

static void test_full(void **state)
{
	te_daemon_config *dc = load_ok(full);
	const te_daemon_provisioning *p = &dc->provisioning;

	(void)state;
	assert_string_equal(dc->source, "t.yaml");
	assert_string_equal(dc->hsm_backend, "pkcs11");
	assert_int_equal(dc->n_hsm_settings, 2);
	assert_string_equal(dc->hsm_settings[0].key, "module");
	assert_string_equal(dc->hsm_settings[0].value, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(dc->hsm_settings[1].key, "pin");
	assert_string_equal(dc->hsm_settings[1].value, "1234");
	/* A PIN is a secret: setting values live in secure memory. */
	assert_int_equal(te_secure_size(dc->hsm_settings[1].value), 5);
	assert_string_equal(dc->state_dir, "/srv/te");
	assert_string_equal(dc->cert_store, "/srv/te/certs");

	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].path, "/run/te/w.sock");
	assert_int_equal(dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].mode, 0660);
	assert_true(dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].set_owner);
	assert_int_equal(dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].owner, 0);
	assert_true(dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].set_group);
	assert_int_equal(dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].group, 0);
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_MGMT].path, "/run/trustedge/mgmt.sock");
	assert_int_equal(dc->sockets[TE_DAEMON_SOCKET_MGMT].mode, 0600);
	assert_int_equal(dc->sockets[TE_DAEMON_SOCKET_MGMT].owner, 4242);
	assert_false(dc->sockets[TE_DAEMON_SOCKET_MGMT].set_group);
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_KEYS].path, "/run/trustedge/keys.sock");
	assert_int_equal(dc->sockets[TE_DAEMON_SOCKET_KEYS].mode, 0660);
	assert_false(dc->sockets[TE_DAEMON_SOCKET_KEYS].set_owner);
	assert_string_equal(te_daemon_socket_name(TE_DAEMON_SOCKET_MGMT), "management");

	assert_int_equal(p->source, TE_DAEMON_PROV_MANUAL);
	assert_string_equal(p->iothub_hostname, "hub.example.net");
	assert_string_equal(p->device_id, "dev-1");
	assert_string_equal(p->gateway_hostname, "gw.local");
	assert_int_equal(p->method, TE_DAEMON_AUTH_SAS);
	assert_int_equal(p->sas_key_len, 32);
	assert_memory_equal(p->sas_key, KEY_RAW, 32);
	assert_int_equal(te_secure_size(p->sas_key), 32);
	assert_null(p->sas_key_file);
	assert_null(p->sas_key_uri);

	assert_true(dc->edge_ca.auto_generated);
	assert_int_equal(dc->edge_ca.lifetime_days, 30);
	assert_int_equal(dc->edge_ca.renew_threshold_pct, 75);
	assert_int_equal(dc->edge_ca.renew_retry_pct, 5);
	assert_true(dc->edge_ca.renew_rotate_key);

	assert_int_equal(dc->n_modules, 2);
	assert_string_equal(dc->modules[0].name, "$edgeHub");
	assert_true(dc->modules[0].by_uid);
	assert_int_equal(dc->modules[0].uid, 1001);
	assert_string_equal(dc->modules[0].generation_id, "637");
	assert_string_equal(dc->modules[1].name, "sensor");
	assert_false(dc->modules[1].by_uid);
	assert_string_equal(dc->modules[1].cgroup, "/system.slice/sensor.service");
	assert_null(dc->modules[1].generation_id);

	assert_int_equal(dc->n_principals, 2);
	assert_int_equal(dc->principals[0].uid, 0);
	assert_int_equal(dc->principals[0].n_keys, 2);
	assert_string_equal(dc->principals[0].keys[0], "device-*");
	assert_string_equal(dc->principals[0].keys[1], "edge-ca");
	assert_int_equal(dc->principals[1].uid, 1001);
	assert_string_equal(dc->principals[1].keys[0], "module-[ab]?");

	assert_int_equal(dc->limits.max_connections_per_uid, 100000);
	assert_int_equal(dc->limits.max_body_bytes, 16u * 1024 * 1024);
	assert_int_equal(dc->limits.read_timeout_ms, 250);
	assert_int_equal(dc->log_level, TE_DAEMON_LOG_DEBUG);
	te_daemon_config_free(dc);
}

/* An empty file is the production defaults. */
static void test_empty_is_production_defaults(void **state)
{
	te_daemon_config *dc = load_ok("");

	(void)state;
	assert_string_equal(dc->hsm_backend, "soft");
	assert_int_equal(dc->n_hsm_settings, 0);
	assert_string_equal(dc->state_dir, "/var/lib/trustedge");
	assert_string_equal(dc->cert_store, "/var/lib/trustedge/certs");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].path,
	                    "/run/trustedge/workload.sock");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_IDENTITY].path,
	                    "/run/trustedge/identity.sock");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_CERTS].path, "/run/trustedge/certs.sock");
	assert_int_equal(dc->provisioning.source, TE_DAEMON_PROV_DEV);
	assert_int_equal(dc->provisioning.method, TE_DAEMON_AUTH_NONE);
	assert_string_equal(dc->provisioning.device_id, "trustedge-dev");
	assert_null(dc->provisioning.iothub_hostname);
	assert_true(dc->edge_ca.auto_generated);
	assert_int_equal(dc->edge_ca.lifetime_days, 90);
	assert_int_equal(dc->edge_ca.renew_threshold_pct, 80);
	assert_int_equal(dc->edge_ca.renew_retry_pct, 4);
	assert_false(dc->edge_ca.renew_rotate_key);
	assert_int_equal(dc->n_modules, 0);
	assert_int_equal(dc->n_principals, 0);
	assert_int_equal(dc->limits.max_connections_per_uid, 10);
	assert_int_equal(dc->limits.max_body_bytes, 65536);
	assert_int_equal(dc->limits.read_timeout_ms, 5000);
	assert_int_equal(dc->log_level, TE_DAEMON_LOG_INFO);
	te_daemon_config_free(dc);
}

static void test_dev_defaults(void **state)
{
	te_daemon_config *dc = NULL;

	(void)state;
	assert_int_equal(te_daemon_config_defaults("/tmp/dev", &dc), TE_OK);
	assert_string_equal(dc->source, "<defaults>");
	assert_string_equal(dc->hsm_backend, "soft");
	assert_int_equal(dc->n_hsm_settings, 1);
	assert_string_equal(dc->hsm_settings[0].key, "store");
	assert_string_equal(dc->hsm_settings[0].value, "/tmp/dev/keys");
	assert_string_equal(dc->state_dir, "/tmp/dev/state");
	assert_string_equal(dc->cert_store, "/tmp/dev/state/certs");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_WORKLOAD].path,
	                    "/tmp/dev/run/workload.sock");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_KEYS].path, "/tmp/dev/run/keys.sock");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_CERTS].path, "/tmp/dev/run/certs.sock");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_IDENTITY].path,
	                    "/tmp/dev/run/identity.sock");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_MGMT].path, "/tmp/dev/run/mgmt.sock");
	assert_int_equal(dc->provisioning.source, TE_DAEMON_PROV_DEV);
	assert_string_equal(dc->provisioning.device_id, "trustedge-dev");
	assert_true(dc->edge_ca.auto_generated);
	te_daemon_config_free(dc);
	assert_int_equal(te_daemon_config_defaults("relative", &dc), TE_ERR_INVALID_ARG);
	te_daemon_config_free(NULL);
}

static void test_manual_sas_file_and_uri(void **state)
{
	te_daemon_config *dc;

	(void)state;
	dc = load_ok("provisioning:\n"
	             "  source: manual\n"
	             "  iothub_hostname: hub.example.net\n"
	             "  device_id: dev-2\n"
	             "  authentication:\n"
	             "    method: sas\n"
	             "    key_file: /etc/trustedge/device.key\n");
	assert_int_equal(dc->provisioning.method, TE_DAEMON_AUTH_SAS);
	assert_string_equal(dc->provisioning.sas_key_file, "/etc/trustedge/device.key");
	assert_null(dc->provisioning.sas_key);
	assert_string_equal(dc->provisioning.device_id, "dev-2");
	te_daemon_config_free(dc);

	dc =
	    load_ok("provisioning:\n"
	            "  source: manual\n"
	            "  iothub_hostname: hub.example.net\n"
	            "  device_id: dev-2\n"
	            "  authentication: {method: sas, key_uri: \"pkcs11:token=edge;object=sas\"}\n");
	assert_string_equal(dc->provisioning.sas_key_uri, "pkcs11:token=edge;object=sas");
	te_daemon_config_free(dc);
}

static void test_manual_x509_and_edge_ca_files(void **state)
{
	te_daemon_config *dc = load_ok("provisioning:\n"
	                               "  source: manual\n"
	                               "  iothub_hostname: hub.example.net\n"
	                               "  device_id: dev-3\n"
	                               "  authentication:\n"
	                               "    method: x509\n"
	                               "    identity_cert: /etc/te/id.pem\n"
	                               "    identity_pk: \"pkcs11:token=edge;object=id\"\n"
	                               "edge_ca:\n"
	                               "  cert: /etc/te/ca.pem\n"
	                               "  pk: \"file:///etc/te/ca.key.pem\"\n");

	(void)state;
	assert_int_equal(dc->provisioning.method, TE_DAEMON_AUTH_X509);
	assert_string_equal(dc->provisioning.identity_cert, "/etc/te/id.pem");
	assert_string_equal(dc->provisioning.identity_pk, "pkcs11:token=edge;object=id");
	assert_false(dc->edge_ca.auto_generated);
	assert_string_equal(dc->edge_ca.cert, "/etc/te/ca.pem");
	assert_string_equal(dc->edge_ca.pk, "file:///etc/te/ca.key.pem");
	te_daemon_config_free(dc);

	dc = load_ok("edge_ca: {cert: /etc/te/ca.pem, pk: edge-ca-key}\ncert_store: /c\n");
	assert_string_equal(dc->edge_ca.pk, "edge-ca-key");
	assert_string_equal(dc->cert_store, "/c");
	te_daemon_config_free(dc);
}

static void test_load_file(void **state)
{
	char *dir = tu_tempdir("daemon-config");
	char *path = tu_path(dir, "config.yaml");
	char want[1024];
	te_daemon_config *dc = NULL;

	(void)state;
	assert_int_equal(tu_write_file(path, full, strlen(full)), 0);
	assert_int_equal(te_daemon_config_load(path, &dc), TE_OK);
	assert_string_equal(dc->source, path);
	assert_string_equal(dc->provisioning.device_id, "dev-1");
	te_daemon_config_free(dc);
	dc = NULL;
	assert_int_equal(tu_write_file(path, "log:\n  level: loud\n", 19), 0);
	assert_int_equal(te_daemon_config_load(path, &dc), TE_ERR_CONFIG);
	snprintf(want, sizeof(want),
	         "%s:2: log.level: unknown level 'loud' (expected error, "
	         "warn, info or debug)",
	         path);
	assert_string_equal(te_err_detail(), want);
	assert_null(dc);
	free(path);
	tu_rmtree(dir);
}

/* --- errors -------------------------------------------------------------- */

static void test_unknown_keys(void **state)
{
	(void)state;
	/* A mapping value is placed at its first line (te_config's rule). */
	load_bad("state_dir: /x\nprovisoning:\n  source: manual\n",
	         "t.yaml:2: provisoning: unknown key (did you mean 'provisioning'?)");
	load_bad("frobnicate: 1\n",
	         "t.yaml:1: frobnicate: unknown key (known keys here: hsm, state_dir, cert_store, "
	         "sockets, provisioning, edge_ca, modules, principals, limits, log, tee)");
	load_bad("limits:\n  max_connection_per_uid: 5\n",
	         "t.yaml:2: limits.max_connection_per_uid: unknown key (did you mean "
	         "'max_connections_per_uid'?)");
	load_bad("modules:\n  - name: a\n    uid: 1\n  - name: b\n    gid: 1\n",
	         "t.yaml:5: modules[1].gid: unknown key (did you mean 'uid'?)");
	load_bad("sockets:\n  workloads:\n    path: /x\n",
	         "t.yaml:2: sockets.workloads: unknown key (did you mean 'workload'?)");
	load_bad("hsm:\n  backend: soft\n  stor: /x\n",
	         "t.yaml:3: hsm.stor: unknown key (expected 'backend' or a mapping of backend "
	         "settings)");
}

static void test_hsm_and_paths(void **state)
{
	(void)state;
	load_bad("hsm:\n  backend: sfot\n",
	         "t.yaml:2: hsm.backend: unknown HSM backend 'sfot' (known: soft, pkcs11, tpm)");
	load_bad("hsm:\n  backend: soft\n  soft:\n    stor: /x\n",
	         "t.yaml:4: hsm.soft.stor: unknown setting 'stor' for HSM backend 'soft' (known: "
	         "store, master_key_file, master_key_tcti)");
	load_bad("hsm: soft\n", "t.yaml:1: hsm: must be a mapping (backend: and its settings)");
	load_bad("hsm:\n  soft:\n    store: [a]\n",
	         "t.yaml:3: hsm.soft.store: must be a single value");
	load_bad("hsm:\n  soft:\n    store: \"\"\n", "t.yaml:3: hsm.soft.store: must not be empty");
	load_bad("state_dir: var/lib\n",
	         "t.yaml:1: state_dir: must be an absolute path (starting with '/')");
	load_bad("cert_store:\n  - /a\n",
	         "t.yaml:1: cert_store: must be a single value, not a list");
	load_bad("state_dir: \"\"\n", "t.yaml:1: state_dir: must not be empty");
}

static void test_sockets(void **state)
{
	(void)state;
	load_bad("sockets:\n  workload:\n    mode: \"0666\"\n",
	         "t.yaml:3: sockets.workload.mode: world-writable socket refused: any local user "
	         "could connect (use a group and \"0660\")");
	load_bad("sockets:\n  keys:\n    mode: \"0777\"\n",
	         "t.yaml:3: sockets.keys.mode: world-writable socket refused: any local user "
	         "could connect (use a group and \"0660\")");
	load_bad("sockets:\n  keys:\n    mode: \"4660\"\n",
	         "t.yaml:3: sockets.keys.mode: must be an octal mode such as \"0660\" (no setuid, "
	         "setgid or sticky bits)");
	load_bad("sockets:\n  keys:\n    mode: \"0680\"\n",
	         "t.yaml:3: sockets.keys.mode: must be an octal mode such as \"0660\" (no setuid, "
	         "setgid or sticky bits)");
	load_bad("sockets:\n  keys:\n    mode: \"0460\"\n",
	         "t.yaml:3: sockets.keys.mode: the owner needs read and write permission (0600)");
	load_bad("sockets:\n  certs:\n    owner: no-such-user-te\n",
	         "t.yaml:3: sockets.certs.owner: unknown user 'no-such-user-te'");
	load_bad("sockets:\n  certs:\n    group: no-such-group-te\n",
	         "t.yaml:3: sockets.certs.group: unknown group 'no-such-group-te'");
	load_bad("sockets:\n  certs:\n    owner: \"4294967295\"\n",
	         "t.yaml:3: sockets.certs.owner: not a valid numeric uid");
	load_bad("sockets:\n  identity:\n    path: run/x.sock\n",
	         "t.yaml:3: sockets.identity.path: must be an absolute path (starting with '/')");
	load_bad("sockets:\n  workload:\n    path: /run/a.sock\n  keys:\n    path: /run/a.sock\n",
	         "t.yaml:4: sockets.keys: same path as the workload socket");
	load_bad("sockets:\n  workload: /run/w.sock\n",
	         "t.yaml:2: sockets.workload: must be a mapping (path, mode, owner, group)");
}

static void test_provisioning(void **state)
{
	(void)state;
	load_bad_code("provisioning:\n  source: dps\n  id_scope: 0ne00000000\n", TE_ERR_UNSUPPORTED,
	              "t.yaml:2: provisioning.source: 'dps' is not supported yet (planned for a "
	              "later release); use 'manual'");
	load_bad("provisioning:\n  source: magic\n",
	         "t.yaml:2: provisioning.source: unknown source 'magic' (expected manual; dps is "
	         "planned)");
	load_bad("provisioning:\n  connection_string: \"" CONNSTR "\"\n",
	         "t.yaml:1: provisioning: missing 'source'");
	load_bad("provisioning:\n  source: manual\n",
	         "t.yaml:1: provisioning: source manual needs connection_string, or "
	         "iothub_hostname, device_id and authentication");
	load_bad("provisioning:\n  source: manual\n  connection_string: \"" CONNSTR "\"\n"
	         "  device_id: x\n",
	         "t.yaml:3: provisioning.connection_string: excludes iothub_hostname, device_id "
	         "and authentication (give one or the other)");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: hub.example.net\n"
	         "  authentication: {method: sas, key_file: /k}\n",
	         "t.yaml:1: provisioning: missing 'device_id'");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: hub.example.net\n"
	         "  device_id: d\n",
	         "t.yaml:1: provisioning: missing 'authentication'");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: hub_example\n"
	         "  device_id: d\n  authentication: {method: sas, key_file: /k}\n",
	         "t.yaml:3: provisioning.iothub_hostname: not a valid host name");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n"
	         "  device_id: a/b\n  authentication: {method: sas, key_file: /k}\n",
	         "t.yaml:4: provisioning.device_id: not a valid IoT Hub device id (1..128 of A-Z "
	         "a-z 0-9 -.%_#*?!(),:=@$')");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n"
	         "  authentication:\n    method: token\n",
	         "t.yaml:6: provisioning.authentication.method: unknown method 'token' (expected "
	         "sas or x509)");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n"
	         "  authentication:\n    method: sas\n    key_file: /k\n"
	         "    key_uri: \"pkcs11:object=k\"\n",
	         "t.yaml:8: provisioning.authentication.key_uri: method sas needs exactly one of "
	         "key_file and key_uri");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n"
	         "  authentication:\n    method: sas\n",
	         "t.yaml:5: provisioning.authentication: method sas needs exactly one of key_file "
	         "and key_uri");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n"
	         "  authentication:\n    method: sas\n    key_uri: /k\n",
	         "t.yaml:7: provisioning.authentication.key_uri: must be a \"pkcs11:\" URI");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n"
	         "  authentication:\n    method: sas\n    identity_cert: /c\n",
	         "t.yaml:7: provisioning.authentication.identity_cert: unknown key (known keys "
	         "here: method, key_file, key_uri)");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n"
	         "  authentication:\n    method: x509\n    identity_cert: /c\n",
	         "t.yaml:5: provisioning.authentication: missing 'identity_pk'");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n"
	         "  authentication:\n    method: x509\n    identity_cert: /c\n"
	         "    identity_pk: ../key\n",
	         "t.yaml:8: provisioning.authentication.identity_pk: must be a key name "
	         "([A-Za-z0-9._-], at most 128), a \"pkcs11:\" URI or a \"file:///path\"");
	load_bad("provisioning:\n  source: manual\n  iothub_hostname: h\n  device_id: d\n"
	         "  authentication:\n    method: x509\n    identity_cert: /c\n"
	         "    identity_pk: \"file://relative\"\n",
	         "t.yaml:8: provisioning.authentication.identity_pk: must be an absolute path "
	         "(starting with '/')");
}

/* Every connection-string mistake names the field, never the value. */
static void test_connection_string_errors(void **state)
{
	(void)state;
	load_bad("provisioning:\n  source: manual\n  connection_string: \"HostName=hub.example.net;"
	         "DeviceId=;SharedAccessKey=" KEY_B64 "\"\n",
	         "t.yaml:3: provisioning.connection_string: connection string: DeviceId: empty "
	         "value");
	load_bad("provisioning:\n  source: manual\n  connection_string: \"HostName=hub.example.net;"
	         "DeviceId=d;SharedAccessKey=" KEY_B64 "!\"\n",
	         "t.yaml:3: provisioning.connection_string: connection string: SharedAccessKey: "
	         "not valid base64");
	load_bad("provisioning:\n  source: manual\n  connection_string: \"HostName=hub.example.net;"
	         "DeviceId=d;" KEY_B64 "\"\n",
	         "t.yaml:3: provisioning.connection_string: connection string: field 3: unknown "
	         "key (expected HostName, DeviceId, SharedAccessKey, GatewayHostName or ModuleId)");
	load_bad("provisioning:\n  source: manual\n  connection_string: \"HostName=hub.example.net;"
	         "DeviceId=d;sharedaccesskey=" KEY_B64 "\"\n",
	         "t.yaml:3: provisioning.connection_string: connection string: field 3: unknown "
	         "key (keys are case-sensitive: did you mean 'SharedAccessKey'?)");
	load_bad("provisioning:\n  source: manual\n  connection_string: \"" CONNSTR
	         ";ModuleId=m\"\n",
	         "t.yaml:3: provisioning.connection_string: connection string: ModuleId: this is "
	         "a module's connection string; the daemon needs its device's");
	load_bad("provisioning:\n  source: manual\n  connection_string: \"HostName=h;"
	         "SharedAccessKey=" KEY_B64 "\"\n",
	         "t.yaml:3: provisioning.connection_string: connection string: missing DeviceId");
	/* A mistake after a good connection string: the key was already in
	 * secure memory and is released (ASan would see a leak). */
	load_bad("provisioning:\n  source: manual\n  connection_string: \"" CONNSTR "\"\n"
	         "log:\n  level: loud\n",
	         "t.yaml:5: log.level: unknown level 'loud' (expected error, warn, info or debug)");
}

static void test_edge_ca(void **state)
{
	(void)state;
	load_bad("edge_ca:\n  cert: /c\n  pk: k\n  auto_generated_ca_lifetime_days: 5\n",
	         "t.yaml:4: edge_ca.auto_generated_ca_lifetime_days: applies only to the "
	         "auto-generated CA, not with cert and pk");
	load_bad("edge_ca:\n  cert: /c\n  pk: k\n  auto_renew: {threshold: 50%}\n",
	         "t.yaml:4: edge_ca.auto_renew: applies only to the auto-generated CA, not with "
	         "cert and pk");
	load_bad("edge_ca:\n  cert: /c\n", "t.yaml:1: edge_ca: missing 'pk'");
	load_bad("edge_ca:\n  pk: k\n", "t.yaml:1: edge_ca: missing 'cert'");
	load_bad("edge_ca:\n  auto_generated_ca_lifetime_days: 0\n",
	         "t.yaml:2: edge_ca.auto_generated_ca_lifetime_days: number out of range "
	         "(1..3650)");
	load_bad("edge_ca:\n  auto_generated_ca_lifetime_days: 90d\n",
	         "t.yaml:2: edge_ca.auto_generated_ca_lifetime_days: expected an unsigned decimal "
	         "number");
	static const char *const bad_pct[] = {"\"80\"",   "\"80.5%\"", "\"0%\"", "\"100%\"",
	                                      "\" 80%\"", "\"080%\"",  "\"%\"",  "\"-5%\"",
	                                      "\"80%%\"", "\"1000%\""};
	for (size_t i = 0; i < sizeof(bad_pct) / sizeof(bad_pct[0]); i++) {
		char text[256];
		te_daemon_config *dc = NULL;

		snprintf(text, sizeof(text), "edge_ca:\n  auto_renew:\n    threshold: %s\n",
		         bad_pct[i]);
		assert_int_equal(te_daemon_config_parse("t.yaml", text, strlen(text), &dc),
		                 TE_ERR_CONFIG);
		if (strncmp(te_err_detail(), "t.yaml:3: edge_ca.auto_renew.threshold: ", 40) != 0)
			fail_msg("%s: %s", bad_pct[i], te_err_detail());
	}
	load_bad("edge_ca:\n  auto_renew:\n    retry: 4\n",
	         "t.yaml:3: edge_ca.auto_renew.retry: must be a whole percentage such as \"80%\" "
	         "(1%..99%)");
	load_bad("edge_ca:\n  auto_renew:\n    rotate_key: maybe\n",
	         "t.yaml:3: edge_ca.auto_renew.rotate_key: expected a boolean (true/false, yes/no, "
	         "on/off)");
	load_bad("edge_ca:\n  auto_renew:\n    treshold: 80%\n",
	         "t.yaml:3: edge_ca.auto_renew.treshold: unknown key (did you mean 'threshold'?)");
}

static void test_modules(void **state)
{
	(void)state;
	load_bad("modules:\n  name: a\n", "t.yaml:1: modules: must be a list of modules");
	load_bad("modules:\n  - name: a\n    uid: 1\n  - name: a\n    uid: 2\n",
	         "t.yaml:4: modules[1].name: module 'a' is listed twice (also item 0)");
	load_bad("modules:\n  - name: a\n    uid: 1\n    cgroup: /x\n",
	         "t.yaml:4: modules[0].cgroup: a module needs exactly one of uid and cgroup");
	load_bad("modules:\n  - name: a\n",
	         "t.yaml:2: modules[0]: a module needs exactly one of uid and cgroup");
	load_bad("modules:\n  - uid: 1\n", "t.yaml:2: modules[0]: missing 'name'");
	load_bad("modules:\n  - name: a/b\n    uid: 1\n",
	         "t.yaml:2: modules[0].name: not a valid module id (1..128 of A-Z a-z 0-9 "
	         "-.%_#*?!(),:=@$')");
	load_bad("modules:\n  - name: a\n    uid: no-such-user-te\n",
	         "t.yaml:3: modules[0].uid: unknown user 'no-such-user-te'");
	load_bad("modules:\n  - name: a\n    cgroup: system.slice\n",
	         "t.yaml:3: modules[0].cgroup: must be an absolute path (starting with '/')");
	load_bad("modules:\n  - name: a\n    uid: 1\n    generation_id: \"a b\"\n",
	         "t.yaml:4: modules[0].generation_id: not a valid generation id");
}

static void test_principals(void **state)
{
	(void)state;
	load_bad("principals:\n  - uid: 1\n", "t.yaml:2: principals[0]: missing 'keys'");
	load_bad("principals:\n  - uid: 1\n    keys: []\n",
	         "t.yaml:3: principals[0].keys: must be a non-empty list of key name patterns");
	load_bad("principals:\n  - uid: 1\n    keys: [\"a/b\"]\n",
	         "t.yaml:3: principals[0].keys[0]: must be a key name pattern ([A-Za-z0-9._-] and "
	         "* ? [ ] !, at most 128)");
	load_bad("principals:\n  - uid: 1\n    keys: [a]\n  - uid: \"1\"\n    keys: [b]\n",
	         "t.yaml:4: principals[1].uid: uid 1 already has an entry (item 0): merge the "
	         "lists");
	load_bad("principals:\n  - keys: [a]\n", "t.yaml:2: principals[0]: missing 'uid'");
}

/* tee: {ta_user}: a user name, never root; the TEE socket's default. */
static void test_tee(void **state)
{
	te_daemon_config *dc = load_ok("tee:\n  ta_user: te-ta\n");

	(void)state;
	assert_string_equal(dc->tee_ta_user, "te-ta");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_TEE].path, "/run/trustedge/tee.sock");
	assert_int_equal(dc->sockets[TE_DAEMON_SOCKET_TEE].mode, 0660);
	te_daemon_config_free(dc);
	/* A file that moved the workload socket: tee.sock follows it. */
	dc = load_ok("sockets:\n  workload:\n    path: /tmp/x/w.sock\n");
	assert_string_equal(dc->sockets[TE_DAEMON_SOCKET_TEE].path, "/tmp/x/tee.sock");
	te_daemon_config_free(dc);
	dc = load_ok("log:\n  level: info\n");
	assert_null(dc->tee_ta_user);
	te_daemon_config_free(dc);
	load_bad("tee:\n  ta_user: root\n",
	         "t.yaml:2: tee.ta_user: must be a user name other than root");
	load_bad("tee:\n  ta_user: a/b\n",
	         "t.yaml:2: tee.ta_user: must be a user name other than root");
	load_bad("tee:\n  user: x\n", "t.yaml:2: tee.user: unknown key (known keys here: ta_user)");
}

static void test_limits_and_log(void **state)
{
	(void)state;
	load_bad("limits:\n  max_connections_per_uid: 0\n",
	         "t.yaml:2: limits.max_connections_per_uid: number out of range (1..100000)");
	load_bad("limits:\n  max_connections_per_uid: 100001\n",
	         "t.yaml:2: limits.max_connections_per_uid: number out of range (1..100000)");
	load_bad("limits:\n  max_body_bytes: 16777217\n",
	         "t.yaml:2: limits.max_body_bytes: number out of range (1..16777216)");
	load_bad("limits:\n  read_timeout_ms: -1\n",
	         "t.yaml:2: limits.read_timeout_ms: expected an unsigned decimal number");
	load_bad("log:\n  level: [debug]\n",
	         "t.yaml:2: log.level: must be a single value, not a list");
	load_bad("log: debug\n", "t.yaml:1: log: must be a mapping (level, audit_all)");
	load_bad("log:\n  audit_all: maybe\n",
	         "t.yaml:2: log.audit_all: expected a boolean (true/false, yes/no, on/off)");
	{
		te_daemon_config *dc = load_ok("log:\n  audit_all: true\n");

		assert_int_equal(dc->audit_all, 1);
		te_daemon_config_free(dc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_empty_is_production_defaults),
	    cmocka_unit_test(test_dev_defaults),
	    cmocka_unit_test(test_manual_sas_file_and_uri),
	    cmocka_unit_test(test_manual_x509_and_edge_ca_files),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_unknown_keys),
	    cmocka_unit_test(test_tee),
	    cmocka_unit_test(test_hsm_and_paths),
	    cmocka_unit_test(test_sockets),
	    cmocka_unit_test(test_provisioning),
	    cmocka_unit_test(test_connection_string_errors),
	    cmocka_unit_test(test_edge_ca),
	    cmocka_unit_test(test_modules),
	    cmocka_unit_test(test_principals),
	    cmocka_unit_test(test_limits_and_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
