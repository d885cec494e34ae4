/*
 * provision.c - the device SAS key in the HSM (see provision.h).
 *
 * Is the stored key the configured one?  The HSM never gives its bytes
 * back, so both sides compute HMAC-SHA256 over a fixed label: the HSM
 * with the stored key, OpenSSL here with the configured bytes, compared
 * in constant time.  The label is public and the result is thrown away,
 * so the check says nothing about the key beyond "same or not".
 */
#include "daemon/provision.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/te_base64.h"
#include "common/te_file.h"
#include "common/te_log.h"
#include "trustedge/te_mem.h"

#define PROV_CHECK_LABEL "trustedge-device-key-check-v1"
#define PROV_HMAC_LEN    32

/* A key file holds the raw key, or its base64 text (what people paste
 * from the portal), with an optional final newline. */
static int prov_is_base64_text(const uint8_t *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return 0;
	}
	return 1;
}

/* The configured key bytes into key (secure). */
static te_err prov_configured_key(const te_daemon_provisioning *p, te_buf *key)
{
	te_err rc = TE_OK;
	te_buf raw;

	te_buf_init(&raw, 1);
	if (p->sas_key != NULL) {
		TE_GUARD(te_buf_append(key, p->sas_key, p->sas_key_len));
		goto out;
	}
	/* Base64 of the largest key, a newline, and one byte to see more. */
	TE_GUARD(te_file_read_at(AT_FDCWD, p->sas_key_file, p->sas_key_file,
				 (TE_PROVISION_KEY_MAX + 2) / 3 * 4 + 2, &raw));
	if (prov_is_base64_text(raw.data, raw.len)) {
		size_t n = raw.data[raw.len - 1] == '\n' ? raw.len - 1 : raw.len;

		rc = te_base64_decode((const char *)raw.data, n, key);
		TE_ENSURE(rc == TE_OK, TE_ERR_CONFIG, "%s: the device key is not valid base64",
			  p->sas_key_file);
	} else {
		TE_GUARD(te_buf_append(key, raw.data, raw.len));
	}
out:
	te_buf_free(&raw);
	if (rc == TE_OK && (key->len < TE_PROVISION_KEY_MIN || key->len > TE_PROVISION_KEY_MAX))
		rc = te_err_set(TE_ERR_CONFIG, "%s: the device key is %zu bytes; a SAS key is %d to %d",
				p->sas_key_file != NULL ? p->sas_key_file : "connection_string",
				key->len, TE_PROVISION_KEY_MIN, TE_PROVISION_KEY_MAX);
	return rc;
}

/* TE_OK when the HSM's key under name is key. */
static te_err prov_same_key(te_hsm *hsm, const char *name, const te_buf *key, const char *source)
{
	te_err rc = TE_OK;
	uint8_t want[PROV_HMAC_LEN], have[PROV_HMAC_LEN];
	unsigned want_len = sizeof(want);
	size_t have_len = sizeof(have);

	TE_ENSURE(HMAC(EVP_sha256(), key->data, (int)key->len,
		       (const unsigned char *)PROV_CHECK_LABEL, sizeof(PROV_CHECK_LABEL) - 1, want,
		       &want_len) != NULL,
		  TE_ERR_CRYPTO, "HMAC-SHA256 failed");
	rc = te_hsm_key_sign(hsm, name, TE_HSM_ALG_HMAC_SHA256, 0, PROV_CHECK_LABEL,
			     sizeof(PROV_CHECK_LABEL) - 1, have, &have_len);
	TE_ENSURE(rc == TE_OK, TE_ERR_CONFIG,
		  "cannot check the stored device key '%s' against %s (%s); if the device was "
		  "re-provisioned, delete it and its derived keys: trustedge key delete %s "
		  "(and the mod-* keys)",
		  name, source, te_err_str(rc), name);
	TE_ENSURE(have_len == want_len && te_memeq_ct(have, want, want_len) == 0, TE_ERR_CONFIG,
		  "the device key '%s' in the HSM is not the key of %s; module keys derived from "
		  "the old key would change silently, so the daemon stops here. To re-provision, "
		  "delete it and its derived keys: trustedge key delete %s (and the mod-* keys)",
		  name, source, name);
out:
	te_memzero(want, sizeof(want));
	te_memzero(have, sizeof(have));
	return rc;
}

static te_err prov_import(te_hsm *hsm, const te_daemon_provisioning *p)
{
	te_err rc = TE_OK;
	te_buf key;
	const char *source = p->sas_key_file != NULL ? p->sas_key_file : "the connection string";
	te_hsm_key_attrs attrs = {
	    .type = TE_HSM_KEY_HMAC_SHA256,
	    .usage = TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_SIGN,
	    .exportable = 0,
	};

	te_buf_init(&key, 1);
	TE_GUARD(prov_configured_key(p, &key));
	if (te_hsm_key_exists(hsm, TE_PROVISION_DEVICE_KEY)) {
		TE_GUARD(prov_same_key(hsm, TE_PROVISION_DEVICE_KEY, &key, source));
		goto out;
	}
	TE_GUARD(te_hsm_key_import(hsm, TE_PROVISION_DEVICE_KEY, &attrs, key.data, key.len));
	te_log_info("audit: op=provision key=%s source=%s result=imported", TE_PROVISION_DEVICE_KEY,
		    p->sas_key_file != NULL ? "key_file" : "connection_string");
out:
	te_buf_free(&key);
	return rc;
}

/* No SAS key configured: a random key of this device's own. */
static te_err prov_local(te_hsm *hsm)
{
	te_err rc = TE_OK;
	te_hsm_key_attrs attrs = {
	    .type = TE_HSM_KEY_HMAC_SHA256,
	    .usage = TE_HSM_USAGE_DERIVE | TE_HSM_USAGE_SIGN,
	    .exportable = 0,
	};

	if (te_hsm_key_exists(hsm, TE_PROVISION_DEVICE_KEY))
		goto out;
	TE_GUARD(te_hsm_key_create(hsm, TE_PROVISION_DEVICE_KEY, &attrs));
	te_log_info("audit: op=provision key=%s source=generated result=created",
		    TE_PROVISION_DEVICE_KEY);
out:
	return rc;
}

te_err te_provision_device_key(te_hsm *hsm, const te_daemon_config *dc, char *name,
			       size_t name_size)
{
	te_err rc = TE_OK;
	const te_daemon_provisioning *p = &dc->provisioning;
	const char *ref = TE_PROVISION_DEVICE_KEY;

	if (p->method == TE_DAEMON_AUTH_SAS && p->sas_key_uri != NULL) {
		ref = p->sas_key_uri;
		TE_ENSURE(te_hsm_key_exists(hsm, ref), TE_ERR_CONFIG,
			  "provisioning.authentication.key_uri: no such key in the %s backend "
			  "(check the token, the object label and the PIN): %s",
			  te_hsm_backend_name(hsm), ref);
	} else if (p->method == TE_DAEMON_AUTH_SAS) {
		TE_GUARD(prov_import(hsm, p));
	} else {
		TE_GUARD(prov_local(hsm));
	}
	TE_ENSURE(strlen(ref) < name_size, TE_ERR_BUFFER_TOO_SMALL, "device key reference too long");
	memcpy(name, ref, strlen(ref) + 1);
out:
	return rc;
}
