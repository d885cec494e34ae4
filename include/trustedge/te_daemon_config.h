/*
 * te_daemon_config.h - the configuration trustedged runs with, as a plain
 * struct: loaded and fully checked from YAML (trustedge.yaml(5)), or the
 * embedded development defaults.  Nothing here opens a backend, binds a
 * socket or touches a key: `trustedge config check` uses the same loader
 * the daemon does, so a file it accepts is a file the daemon accepts.
 *
 * Every string is owned by the struct; every path is absolute.  The SAS
 * key of a connection string lives in te_secure_alloc memory and is wiped
 * by te_daemon_config_free, as are the HSM setting values (a PKCS#11 PIN
 * is one).
 */
#ifndef TRUSTEDGE_TE_DAEMON_CONFIG_H
#define TRUSTEDGE_TE_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "te_error.h"
#include "te_hsm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TE_DAEMON_CONFIG_PATH   "/etc/trustedge/config.yaml"
#define TE_DAEMON_STATE_DIR     "/var/lib/trustedge"
#define TE_DAEMON_SOCKET_DIR    "/run/trustedge"
#define TE_DAEMON_DEV_DEVICE_ID "trustedge-dev"
/* The module of the development defaults: the user running the daemon. */
#define TE_DAEMON_DEV_MODULE "dev-module"

/* The Unix sockets the daemon listens on. */
typedef enum te_daemon_socket_id {
	TE_DAEMON_SOCKET_WORKLOAD, /* workload API (modules) */
	TE_DAEMON_SOCKET_KEYS,     /* keys service */
	TE_DAEMON_SOCKET_CERTS,    /* certificates service */
	TE_DAEMON_SOCKET_IDENTITY, /* identity service */
	TE_DAEMON_SOCKET_MGMT,     /* management API */
	TE_DAEMON_SOCKET_TEE,      /* managed enclaves (docs/tee.md; not HTTP) */
	TE_DAEMON_SOCKET__COUNT
} te_daemon_socket_id;

/* "workload", "keys", "certs", "identity", "management", "tee" (the YAML
 * keys). */
const char *te_daemon_socket_name(te_daemon_socket_id id);

typedef struct te_daemon_socket {
	char *path;    /* where to bind (default /run/trustedge/<name>.sock) */
	unsigned mode; /* permission bits, <= 0777, never world-writable */
	int set_owner; /* chown to owner after bind (else the daemon's uid) */
	uid_t owner;
	int set_group; /* chown to group after bind (else the daemon's gid) */
	gid_t group;
} te_daemon_socket;

typedef enum te_daemon_prov_source {
	TE_DAEMON_PROV_DEV,    /* no provisioning: local device id, no hub */
	TE_DAEMON_PROV_MANUAL, /* hub and identity given in the file */
} te_daemon_prov_source;

typedef enum te_daemon_auth_method {
	TE_DAEMON_AUTH_NONE, /* development only */
	TE_DAEMON_AUTH_SAS,  /* symmetric key: sas_key, sas_key_file or sas_key_uri */
	TE_DAEMON_AUTH_X509, /* identity_cert + identity_pk */
} te_daemon_auth_method;

typedef struct te_daemon_provisioning {
	te_daemon_prov_source source;
	char *iothub_hostname;  /* NULL in development */
	char *gateway_hostname; /* NULL unless the connection string has one */
	char *device_id;        /* TE_DAEMON_DEV_DEVICE_ID in development */
	te_daemon_auth_method method;
	/* SAS: exactly one of these three is set. */
	uint8_t *sas_key; /* from connection_string: te_secure_alloc memory */
	size_t sas_key_len;
	char *sas_key_file; /* absolute path of a file holding the key */
	char *sas_key_uri;  /* "pkcs11:" URI of the key in a token */
	/* X.509 */
	char *identity_cert; /* absolute path, PEM */
	char *identity_pk;   /* key reference (see trustedge.yaml(5), KEYREF) */
} te_daemon_provisioning;

typedef struct te_daemon_edge_ca {
	int auto_generated;           /* 1: the daemon makes (and renews) its own CA */
	char *cert;                   /* !auto_generated: absolute path, PEM */
	char *pk;                     /* !auto_generated: key reference */
	uint32_t lifetime_days;       /* auto_generated: validity of each CA cert */
	unsigned renew_threshold_pct; /* renew at this % of lifetime (1..99) */
	unsigned renew_retry_pct;     /* retry failed renewal every % (1..100) */
	int renew_rotate_key;         /* new key at each renewal */
} te_daemon_edge_ca;

/* A module, for caller authentication: a connection whose SO_PEERCRED uid
 * (or whose pid's cgroup) matches is that module. */
typedef struct te_daemon_module {
	char *name; /* module id, unique */
	int by_uid; /* 1: match uid; 0: match cgroup */
	uid_t uid;
	char *cgroup;        /* absolute cgroup path when !by_uid */
	char *generation_id; /* NULL: any generation id is accepted */
} te_daemon_module;

/* Keys-service callers: uid may use keys whose names match a glob. */
typedef struct te_daemon_principal {
	uid_t uid;
	char **keys; /* fnmatch(3) patterns, at least one */
	size_t n_keys;
} te_daemon_principal;

typedef enum te_daemon_log_level {
	TE_DAEMON_LOG_ERROR,
	TE_DAEMON_LOG_WARN,
	TE_DAEMON_LOG_INFO,
	TE_DAEMON_LOG_DEBUG,
} te_daemon_log_level;

typedef struct te_daemon_limits {
	uint32_t max_connections_per_uid; /* 1..100000, default 10 */
	uint32_t max_body_bytes;          /* 1..16 MiB, default 64 KiB */
	uint32_t read_timeout_ms;         /* 1..600000, default 5000 */
} te_daemon_limits;

typedef struct te_daemon_config {
	char *source; /* the file read, or "<defaults>" */
	/* HSM: arguments for te_hsm_open(hsm_backend, hsm_settings, n). */
	char *hsm_backend;
	te_hsm_setting *hsm_settings; /* keys and values owned here */
	size_t n_hsm_settings;
	char *state_dir;  /* default /var/lib/trustedge */
	char *cert_store; /* default <state_dir>/certs */
	te_daemon_socket sockets[TE_DAEMON_SOCKET__COUNT];
	te_daemon_provisioning provisioning;
	te_daemon_edge_ca edge_ca;
	te_daemon_module *modules;
	size_t n_modules;
	te_daemon_principal *principals;
	size_t n_principals;
	te_daemon_limits limits;
	te_daemon_log_level log_level; /* default info */
	/* 1: successful module sign/encrypt/decrypt get an info audit line
	 * too (default 0: debug, as they are the request load). */
	int audit_all;
	/* Managed enclaves: the user their TA processes run as when the
	 * daemon runs as root (`tee: {ta_user: NAME}`); NULL: "nobody".  A
	 * daemon that is not root runs them as itself. */
	char *tee_ta_user;
} te_daemon_config;

/* Loads and checks path.  Mistakes are TE_ERR_CONFIG with
 * "FILE:LINE: key.path: what is wrong" in te_err_detail(); `source: dps`
 * is TE_ERR_UNSUPPORTED (not yet implemented). */
te_err te_daemon_config_load(const char *path, te_daemon_config **out) TE_MUST_CHECK
    TE_NONNULL(1, 2);
/* The same from text in memory; name stands for the file in messages. */
te_err te_daemon_config_parse(const char *name, const char *text, size_t len,
                              te_daemon_config **out) TE_MUST_CHECK TE_NONNULL(1, 2, 4);
/* Development defaults rooted at dev_root (absolute): soft keys in
 * dev_root/keys, state in dev_root/state, sockets in dev_root/run,
 * auto-generated edge CA, device id "trustedge-dev", and one module,
 * TE_DAEMON_DEV_MODULE, matched by the uid of the calling process. */
te_err te_daemon_config_defaults(const char *dev_root, te_daemon_config **out) TE_MUST_CHECK
    TE_NONNULL(1, 2);
/* Wipes the secrets (the connection string's key, HSM setting values
 * such as a PIN) and leaves the rest usable: for a process that must not
 * hold them, such as the daemon's API process after fork.  NULL is a
 * no-op. */
void te_daemon_config_wipe_secrets(te_daemon_config *dc);
/* Wipes secrets and frees everything.  NULL is a no-op. */
void te_daemon_config_free(te_daemon_config *cfg);

const char *te_daemon_log_level_name(te_daemon_log_level level);

#ifdef __cplusplus
}
#endif
#endif
