/*
 * hsm.c - the HSM PAL core: picks a backend by name, checks its ops table,
 * validates what callers pass, and dispatches.  It holds no key material;
 * that is the backend's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/backend.h"
#include "hsm/core.h"
#include "hsm/provider.h"

struct te_hsm {
	const te_hsm_backend_ops *ops;
	void *state;
	unsigned refs; /* atomic: the caller's, plus one per provider key */
};

/* Every backend the build knows.  Adding a backend adds a line here. */
static const te_hsm_backend_ops *const backends[] = {
	&te_hsm_soft_ops,
	&te_hsm_pkcs11_ops,
	&te_hsm_tpm_ops,
};

#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

static te_err backend_find(const char *name, const te_hsm_backend_ops **out)
{
	for (size_t i = 0; i < N_BACKENDS; i++) {
		if (strcmp(backends[i]->name, name) == 0) {
			if (backends[i]->version != TE_HSM_BACKEND_OPS_V1)
				return te_err_set(TE_ERR_INTERNAL,
						  "backend '%s' has ops version %u, expected %u",
						  name, backends[i]->version, TE_HSM_BACKEND_OPS_V1);
			*out = backends[i];
			return TE_OK;
		}
	}
	return te_err_set(TE_ERR_UNSUPPORTED, "unknown HSM backend '%s' (known: soft, pkcs11, tpm)",
			  name);
}

/* The setting keys of a backend, "a, b, c", for messages. */
static void settings_known(const te_hsm_backend_ops *ops, char *list, size_t len)
{
	size_t off = 0;

	list[0] = '\0';
	for (const char *const *k = ops->settings; k && *k; k++) {
		int w = snprintf(list + off, len - off, "%s%s", off ? ", " : "", *k);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
}

static te_err setting_check(const te_hsm_backend_ops *ops, const char *key)
{
	char list[256];

	for (const char *const *k = ops->settings; k && *k; k++)
		if (strcmp(*k, key) == 0)
			return TE_OK;
	settings_known(ops, list, sizeof(list));
	return te_err_set(TE_ERR_CONFIG, "unknown setting '%s' for HSM backend '%s' (known: %s)", key,
			  ops->name, list);
}

static te_err settings_check(const te_hsm_backend_ops *ops, const te_hsm_setting *settings,
			     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		te_err rc;

		if (settings[i].key == NULL || settings[i].value == NULL)
			return te_err_set(TE_ERR_INVALID_ARG, "HSM setting %zu has no key or value", i);
		if ((rc = setting_check(ops, settings[i].key)) != TE_OK)
			return rc;
	}
	return TE_OK;
}

te_err te_hsm_backend_check(const char *backend, const char *setting_key)
{
	const te_hsm_backend_ops *ops = NULL;
	te_err rc;

	if (backend == NULL)
		return te_err_set(TE_ERR_INVALID_ARG, "no HSM backend named");
	if ((rc = backend_find(backend, &ops)) != TE_OK)
		return rc;
	return setting_key != NULL ? setting_check(ops, setting_key) : TE_OK;
}

te_err te_hsm_open(const char *backend, const te_hsm_setting *settings, size_t n_settings,
		   te_hsm **out)
{
	te_err rc = TE_OK;
	const te_hsm_backend_ops *ops = NULL;
	te_hsm *hsm = NULL;

	te_err_clear();
	TE_ENSURE(backend != NULL && out != NULL, TE_ERR_INVALID_ARG, "te_hsm_open: NULL argument");
	TE_ENSURE(settings != NULL || n_settings == 0, TE_ERR_INVALID_ARG,
		  "te_hsm_open: settings missing");
	TE_GUARD(backend_find(backend, &ops));
	TE_ENSURE(ops->open != NULL && ops->close != NULL, TE_ERR_INTERNAL,
		  "backend '%s' lacks open/close", backend);
	TE_GUARD(settings_check(ops, settings, n_settings));
	hsm = calloc(1, sizeof(*hsm));
	TE_ENSURE(hsm != NULL, TE_ERR_NO_MEMORY, "out of memory");
	hsm->ops = ops;
	hsm->refs = 1;
	TE_GUARD(ops->open(settings, n_settings, &hsm->state));
	*out = hsm;
	hsm = NULL;
out:
	free(hsm);
	return rc;
}

te_hsm *te_hsm_ref(te_hsm *hsm)
{
	__atomic_add_fetch(&hsm->refs, 1, __ATOMIC_RELAXED);
	return hsm;
}

void te_hsm_unref(te_hsm *hsm)
{
	if (hsm == NULL || __atomic_sub_fetch(&hsm->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	hsm->ops->close(hsm->state);
	free(hsm);
}

void te_hsm_close(te_hsm *hsm)
{
	te_hsm_unref(hsm);
}

const char *te_hsm_backend_name(const te_hsm *hsm)
{
	return hsm ? hsm->ops->name : "";
}

/*
 * The checks every entry point makes before reaching the backend.  They
 * return from the caller, so each wrapper stays one line of dispatch.
 */
#define HSM_CHECK(hsm, op)                                                             \
	do {                                                                           \
		te_err_clear();                                                        \
		if ((hsm) == NULL)                                                     \
			return te_err_set(TE_ERR_INVALID_ARG, "no HSM context");       \
		if ((hsm)->ops->op == NULL)                                            \
			return te_err_set(TE_ERR_UNSUPPORTED,                          \
					  "backend '%s' does not support " #op,        \
					  (hsm)->ops->name);                           \
	} while (0)

/* A reference to an existing key: a key name, or a URI in the backend's
 * own scheme ("pkcs11:token=...;object=...") that the backend parses. */
static te_err ref_check(const te_hsm *hsm, const char *ref)
{
	const char *scheme = hsm->ops->uri_scheme;
	size_t slen = scheme ? strlen(scheme) : 0, len;

	if (ref == NULL || scheme == NULL || strncmp(ref, scheme, slen) != 0 || ref[slen] != ':')
		return te_hsm_name_check(ref);
	len = strnlen(ref, TE_HSM_REF_MAX + 1);
	if (len > TE_HSM_REF_MAX)
		return te_err_set(TE_ERR_BAD_NAME, "%s URI is longer than %d characters", scheme,
				  TE_HSM_REF_MAX);
	for (size_t i = 0; i < len; i++) {
		if (ref[i] < 0x21 || ref[i] > 0x7e)
			return te_err_set(TE_ERR_BAD_NAME,
					  "%s URI may contain only printable ASCII without spaces "
					  "(percent-encode the rest)",
					  scheme);
	}
	return TE_OK;
}

/* New keys get plain names; existing ones may also be named by URI. */
#define NAME_CHECK(name)                                                               \
	do {                                                                           \
		te_err te__n = te_hsm_name_check(name);                                \
		if (te__n != TE_OK)                                                    \
			return te__n;                                                  \
	} while (0)

#define REF_CHECK(ref)                                                                 \
	do {                                                                           \
		te_err te__n = ref_check(hsm, ref);                                    \
		if (te__n != TE_OK)                                                    \
			return te__n;                                                  \
	} while (0)

#define ARG_CHECK(cond)                                                                \
	do {                                                                           \
		if (!(cond))                                                           \
			return te_err_set(TE_ERR_INVALID_ARG, "%s: invalid argument (%s)", \
					  __func__, #cond);                            \
	} while (0)

static te_err attrs_check(const te_hsm_key_attrs *attrs, int type_optional)
{
	if (attrs == NULL)
		return te_err_set(TE_ERR_INVALID_ARG, "key attributes missing");
	if ((unsigned)attrs->type >= TE_HSM_KEY__COUNT ||
	    (attrs->type == TE_HSM_KEY_NONE && !type_optional))
		return te_err_set(TE_ERR_INVALID_ARG, "key type missing or unknown");
	if (attrs->usage & ~(TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT | TE_HSM_USAGE_DERIVE))
		return te_err_set(TE_ERR_INVALID_ARG, "unknown usage bits 0x%x", attrs->usage);
	return TE_OK;
}

te_err te_hsm_key_create(te_hsm *hsm, const char *name, const te_hsm_key_attrs *attrs)
{
	te_err rc;

	HSM_CHECK(hsm, key_create);
	NAME_CHECK(name);
	if ((rc = attrs_check(attrs, 0)) != TE_OK)
		return rc;
	return hsm->ops->key_create(hsm->state, name, attrs);
}

te_err te_hsm_key_import(te_hsm *hsm, const char *name, const te_hsm_key_attrs *attrs,
			 const void *material, size_t len)
{
	te_err rc;

	HSM_CHECK(hsm, key_import);
	NAME_CHECK(name);
	if ((rc = attrs_check(attrs, 1)) != TE_OK)
		return rc;
	ARG_CHECK(material != NULL && len > 0);
	return hsm->ops->key_import(hsm->state, name, attrs, material, len);
}

te_err te_hsm_key_delete(te_hsm *hsm, const char *name)
{
	HSM_CHECK(hsm, key_delete);
	REF_CHECK(name);
	return hsm->ops->key_delete(hsm->state, name);
}

te_err te_hsm_key_info_get(te_hsm *hsm, const char *name, te_hsm_key_info *info)
{
	HSM_CHECK(hsm, key_info);
	REF_CHECK(name);
	ARG_CHECK(info != NULL);
	return hsm->ops->key_info(hsm->state, name, info);
}

int te_hsm_key_exists(te_hsm *hsm, const char *name)
{
	te_hsm_key_info info;

	return te_hsm_key_info_get(hsm, name, &info) == TE_OK;
}

te_err te_hsm_key_list(te_hsm *hsm, te_hsm_key_info **out, size_t *count)
{
	HSM_CHECK(hsm, key_list);
	ARG_CHECK(out != NULL && count != NULL);
	return hsm->ops->key_list(hsm->state, out, count);
}

te_err te_hsm_key_public(te_hsm *hsm, const char *name, te_hsm_pub_format fmt, te_buf *out)
{
	HSM_CHECK(hsm, key_public);
	REF_CHECK(name);
	ARG_CHECK(out != NULL && (fmt == TE_HSM_PUB_PEM || fmt == TE_HSM_PUB_DER));
	return hsm->ops->key_public(hsm->state, name, fmt, out);
}

te_err te_hsm_key_export(te_hsm *hsm, const char *name, te_buf *out)
{
	HSM_CHECK(hsm, key_export);
	REF_CHECK(name);
	ARG_CHECK(out != NULL);
	/* Exported secrets must land in memory that is locked and wiped. */
	ARG_CHECK(out->secure);
	return hsm->ops->key_export(hsm->state, name, out);
}

te_err te_hsm_key_sign(te_hsm *hsm, const char *name, te_hsm_alg alg, uint32_t flags,
		       const void *data, size_t data_len, uint8_t *sig, size_t *sig_len)
{
	HSM_CHECK(hsm, sign);
	REF_CHECK(name);
	ARG_CHECK((unsigned)alg < TE_HSM_ALG__COUNT);
	ARG_CHECK((flags & ~TE_HSM_SIGN_PREHASHED) == 0);
	ARG_CHECK(data != NULL || data_len == 0);
	ARG_CHECK(data_len <= TE_HSM_DATA_MAX);
	ARG_CHECK(sig_len != NULL && (sig != NULL || *sig_len == 0));
	return hsm->ops->sign(hsm->state, name, alg, flags, data, data_len, sig, sig_len);
}

te_err te_hsm_key_verify(te_hsm *hsm, const char *name, te_hsm_alg alg, uint32_t flags,
			 const void *data, size_t data_len, const uint8_t *sig, size_t sig_len)
{
	HSM_CHECK(hsm, verify);
	REF_CHECK(name);
	ARG_CHECK((unsigned)alg < TE_HSM_ALG__COUNT);
	ARG_CHECK((flags & ~TE_HSM_SIGN_PREHASHED) == 0);
	ARG_CHECK(data != NULL || data_len == 0);
	ARG_CHECK(data_len <= TE_HSM_DATA_MAX);
	ARG_CHECK(sig != NULL || sig_len == 0);
	return hsm->ops->verify(hsm->state, name, alg, flags, data, data_len, sig, sig_len);
}

#define CRYPT_ARGS_CHECK()                                                             \
	do {                                                                           \
		ARG_CHECK((unsigned)alg < TE_HSM_ALG__COUNT);                          \
		ARG_CHECK(iv != NULL || iv_len == 0);                                  \
		ARG_CHECK(aad != NULL || aad_len == 0);                                \
		ARG_CHECK(in != NULL || in_len == 0);                                  \
		ARG_CHECK(in_len <= TE_HSM_DATA_MAX && aad_len <= TE_HSM_DATA_MAX);    \
		ARG_CHECK(out_len != NULL && (out != NULL || *out_len == 0));          \
	} while (0)

te_err te_hsm_key_encrypt(te_hsm *hsm, const char *name, te_hsm_alg alg, const uint8_t *iv,
			  size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
			  size_t in_len, uint8_t *out, size_t *out_len)
{
	HSM_CHECK(hsm, encrypt);
	REF_CHECK(name);
	CRYPT_ARGS_CHECK();
	return hsm->ops->encrypt(hsm->state, name, alg, iv, iv_len, aad, aad_len, in, in_len,
				 out, out_len);
}

te_err te_hsm_key_decrypt(te_hsm *hsm, const char *name, te_hsm_alg alg, const uint8_t *iv,
			  size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
			  size_t in_len, uint8_t *out, size_t *out_len)
{
	HSM_CHECK(hsm, decrypt);
	REF_CHECK(name);
	CRYPT_ARGS_CHECK();
	return hsm->ops->decrypt(hsm->state, name, alg, iv, iv_len, aad, aad_len, in, in_len,
				 out, out_len);
}

te_err te_hsm_key_derive(te_hsm *hsm, const char *base, const void *data, size_t data_len,
			 const char *name, const te_hsm_key_attrs *attrs)
{
	HSM_CHECK(hsm, derive);
	REF_CHECK(base);
	NAME_CHECK(name);
	ARG_CHECK(data != NULL || data_len == 0);
	ARG_CHECK(data_len <= TE_HSM_DATA_MAX);
	if (attrs != NULL) {
		ARG_CHECK(attrs->type == TE_HSM_KEY_NONE || attrs->type == TE_HSM_KEY_HMAC_SHA256);
		ARG_CHECK((attrs->usage & ~(TE_HSM_USAGE_SIGN | TE_HSM_USAGE_DERIVE)) == 0);
	}
	return hsm->ops->derive(hsm->state, base, data, data_len, name, attrs);
}

te_err te_hsm_random(te_hsm *hsm, void *buf, size_t n)
{
	HSM_CHECK(hsm, random);
	ARG_CHECK(buf != NULL || n == 0);
	ARG_CHECK(n <= TE_HSM_DATA_MAX);
	return hsm->ops->random(hsm->state, buf, n);
}

te_err te_hsm_key_evp(te_hsm *hsm, const char *name, EVP_PKEY **out)
{
	te_err_clear();
	if (hsm == NULL)
		return te_err_set(TE_ERR_INVALID_ARG, "no HSM context");
	REF_CHECK(name);
	ARG_CHECK(out != NULL);
	/* A backend that can hand OpenSSL the key itself does; for the others
	 * the provider makes a key whose private operations come back here. */
	if (hsm->ops->key_evp != NULL)
		return hsm->ops->key_evp(hsm->state, name, out);
	return te_provider_key_new(hsm, name, out);
}
