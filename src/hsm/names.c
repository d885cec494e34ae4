/*
 * names.c - names of key types, algorithms and usages, and the key name
 * rules.  Kept apart from the backends so that the CLI, the config and
 * every backend agree on one spelling.
 */
#include <stdio.h>
#include <string.h>

#include "hsm/names.h"
#include "trustedge/te_hsm.h"

static const char *const type_names[TE_HSM_KEY__COUNT] = {
	[TE_HSM_KEY_NONE] = "none",
	[TE_HSM_KEY_EC_P256] = "ec-p256",
	[TE_HSM_KEY_EC_P384] = "ec-p384",
	[TE_HSM_KEY_RSA_2048] = "rsa-2048",
	[TE_HSM_KEY_RSA_3072] = "rsa-3072",
	[TE_HSM_KEY_RSA_4096] = "rsa-4096",
	[TE_HSM_KEY_ED25519] = "ed25519",
	[TE_HSM_KEY_HMAC_SHA256] = "hmac-sha256",
	[TE_HSM_KEY_AES_256_GCM] = "aes-256-gcm",
};

static const char *const alg_names[TE_HSM_ALG__COUNT] = {
	[TE_HSM_ALG_DEFAULT] = "default",
	[TE_HSM_ALG_ECDSA_SHA256] = "ecdsa-sha256",
	[TE_HSM_ALG_ECDSA_SHA384] = "ecdsa-sha384",
	[TE_HSM_ALG_RSA_PSS_SHA256] = "rsa-pss-sha256",
	[TE_HSM_ALG_RSA_PKCS1_SHA256] = "rsa-pkcs1-sha256",
	[TE_HSM_ALG_ED25519] = "ed25519",
	[TE_HSM_ALG_HMAC_SHA256] = "hmac-sha256",
	[TE_HSM_ALG_AES_256_GCM] = "aes-256-gcm",
	[TE_HSM_ALG_RSA_OAEP_SHA256] = "rsa-oaep-sha256",
};

static const struct {
	uint32_t bit;
	const char *name;
} usage_names[] = {
	{TE_HSM_USAGE_SIGN, "sign"},
	{TE_HSM_USAGE_ENCRYPT, "encrypt"},
	{TE_HSM_USAGE_DERIVE, "derive"},
};

#define USAGE_ALL (TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT | TE_HSM_USAGE_DERIVE)

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

te_err te_hsm_name_check(const char *name)
{
	size_t len;

	if (name == NULL)
		return te_err_set(TE_ERR_BAD_NAME, "key name is missing");
	len = strnlen(name, TE_HSM_NAME_MAX + 1);
	if (len == 0)
		return te_err_set(TE_ERR_BAD_NAME, "key name is empty");
	if (len > TE_HSM_NAME_MAX)
		return te_err_set(TE_ERR_BAD_NAME, "key name is longer than %d characters",
				  TE_HSM_NAME_MAX);
	/* A leading dot would make hidden files, "." and "..", and collide
	 * with the store's own temp and lock files. */
	if (name[0] == '.')
		return te_err_set(TE_ERR_BAD_NAME, "key name may not start with '.'");
	for (size_t i = 0; i < len; i++) {
		if (!name_char_ok(name[i]))
			return te_err_set(TE_ERR_BAD_NAME,
					  "key name may contain only letters, digits, '.', '_' "
					  "and '-' (character %zu is not one)",
					  i + 1);
	}
	return TE_OK;
}

const char *te_hsm_key_type_name(te_hsm_key_type type)
{
	if ((unsigned)type >= TE_HSM_KEY__COUNT)
		return "unknown";
	return type_names[type];
}

void te_hsm_names_join(te_hsm_names_kind kind, char *out, size_t len)
{
	const char *const *names = kind == TE_HSM_NAMES_ALGS ? alg_names : type_names;
	int count = kind == TE_HSM_NAMES_ALGS ? TE_HSM_ALG__COUNT : TE_HSM_KEY__COUNT;
	size_t used = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	/* Entry 0 is the none/default placeholder in both tables. */
	for (int i = 1; i < count; i++) {
		int n = snprintf(out + used, len - used, "%s%s", used ? ", " : "", names[i]);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

te_err te_hsm_key_type_parse(const char *s, te_hsm_key_type *out)
{
	char known[160];

	for (int t = TE_HSM_KEY_NONE + 1; s != NULL && t < TE_HSM_KEY__COUNT; t++) {
		if (strcmp(s, type_names[t]) == 0) {
			*out = (te_hsm_key_type)t;
			return TE_OK;
		}
	}
	te_hsm_names_join(TE_HSM_NAMES_KEY_TYPES, known, sizeof(known));
	return te_err_set(TE_ERR_INVALID_ARG, "unknown key type '%s' (known: %s)", s ? s : "",
			  known);
}

const char *te_hsm_alg_name(te_hsm_alg alg)
{
	if ((unsigned)alg >= TE_HSM_ALG__COUNT)
		return "unknown";
	return alg_names[alg];
}

te_err te_hsm_alg_parse(const char *s, te_hsm_alg *out)
{
	char known[192];

	for (int a = 0; s != NULL && a < TE_HSM_ALG__COUNT; a++) {
		if (strcmp(s, alg_names[a]) == 0) {
			*out = (te_hsm_alg)a;
			return TE_OK;
		}
	}
	te_hsm_names_join(TE_HSM_NAMES_ALGS, known, sizeof(known));
	return te_err_set(TE_ERR_INVALID_ARG, "unknown algorithm '%s' (known: %s)", s ? s : "",
			  known);
}

uint32_t te_hsm_key_type_default_usage(te_hsm_key_type type)
{
	switch (type) {
	case TE_HSM_KEY_AES_256_GCM:
		return TE_HSM_USAGE_ENCRYPT;
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
	case TE_HSM_KEY_ED25519:
	case TE_HSM_KEY_HMAC_SHA256:
		return TE_HSM_USAGE_SIGN;
	default:
		return 0;
	}
}

int te_hsm_key_type_is_secret(te_hsm_key_type type)
{
	return type == TE_HSM_KEY_HMAC_SHA256 || type == TE_HSM_KEY_AES_256_GCM;
}

te_err te_hsm_usage_format(uint32_t usage, char *out, size_t out_len)
{
	size_t off = 0;

	if (out == NULL || out_len == 0)
		return te_err_set(TE_ERR_INVALID_ARG, "no room for the usage text");
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(usage_names) / sizeof(usage_names[0]); i++) {
		size_t n;

		if (!(usage & usage_names[i].bit))
			continue;
		n = strlen(usage_names[i].name);
		if (off + (off ? 1 : 0) + n + 1 > out_len)
			return te_err_set(TE_ERR_BUFFER_TOO_SMALL, "usage text does not fit");
		if (off)
			out[off++] = ',';
		memcpy(out + off, usage_names[i].name, n + 1);
		off += n;
	}
	return TE_OK;
}

te_err te_hsm_usage_parse(const char *s, uint32_t *out)
{
	uint32_t usage = 0;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return te_err_set(TE_ERR_INVALID_ARG, "usage is empty");
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		uint32_t bit = 0;

		for (size_t i = 0; i < sizeof(usage_names) / sizeof(usage_names[0]); i++) {
			if (strlen(usage_names[i].name) == n &&
			    strncmp(p, usage_names[i].name, n) == 0)
				bit = usage_names[i].bit;
		}
		if (bit == 0)
			return te_err_set(TE_ERR_INVALID_ARG,
					  "unknown usage '%.*s' in '%s' (known: sign, encrypt, "
					  "derive)",
					  (int)n, p, s);
		usage |= bit;
		p += n;
		if (*p == ',' && *++p == '\0')
			return te_err_set(TE_ERR_INVALID_ARG, "usage '%s' ends with a comma", s);
	}
	*out = usage & USAGE_ALL;
	return TE_OK;
}
