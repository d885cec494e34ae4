/*
 * connstr.h - IoT Hub device connection strings
 * ("HostName=hub.azure-devices.net;DeviceId=dev1;SharedAccessKey=BASE64").
 *
 * The text is untrusted (it comes from a config file a user pasted into),
 * so it is parsed with bounds on every field, and the key is decoded
 * straight into secure memory.  Errors name the field that is wrong and
 * never repeat any part of the text: a mistyped string may still hold most
 * of a real key.
 */
#ifndef TRUSTEDGE_DAEMON_CONNSTR_H
#define TRUSTEDGE_DAEMON_CONNSTR_H

#include <stddef.h>
#include <stdint.h>

#include "trustedge/te_error.h"

#define TE_CONNSTR_MAX      2048 /* whole string, bytes */
#define TE_CONNSTR_HOST_MAX 255  /* DNS name */
#define TE_CONNSTR_ID_MAX   128  /* IoT Hub device and module ids */
#define TE_CONNSTR_KEY_MIN  16   /* decoded SharedAccessKey, bytes */
#define TE_CONNSTR_KEY_MAX  64

typedef struct te_connstr {
	char host_name[TE_CONNSTR_HOST_MAX + 1];         /* HostName (required) */
	char device_id[TE_CONNSTR_ID_MAX + 1];           /* DeviceId (required) */
	char module_id[TE_CONNSTR_ID_MAX + 1];           /* ModuleId; "" when absent */
	char gateway_host_name[TE_CONNSTR_HOST_MAX + 1]; /* GatewayHostName; "" when absent */
	uint8_t *key;   /* decoded SharedAccessKey, te_secure_alloc memory */
	size_t key_len; /* TE_CONNSTR_KEY_MIN..TE_CONNSTR_KEY_MAX */
} te_connstr;

/*
 * Parses s[0..len) (no NUL needed; a NUL inside is an error).  Keys are
 * case-sensitive, each may appear once, values may not be empty; HostName,
 * DeviceId and SharedAccessKey are required.  On failure out is zeroed and
 * the detail names the field: TE_ERR_INVALID_ARG.  On success release out
 * with te_connstr_clear().
 */
te_err te_connstr_parse(const char *s, size_t len, te_connstr *out) TE_MUST_CHECK TE_NONNULL(3);
/* Wipes the key and every field; out may be reused. */
void te_connstr_clear(te_connstr *c);

#endif
