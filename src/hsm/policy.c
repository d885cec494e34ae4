/*
 * policy.c - usage and algorithm rules shared by every backend (see
 * policy.h).
 */
#include "hsm/policy.h"

te_err te_hsm_policy_usage(const char *name, uint32_t have, uint32_t need, const char *what)
{
	char text[32] = "";

	if (have & need)
		return TE_OK;
	if (te_hsm_usage_format(have, text, sizeof(text)) != TE_OK)
		text[0] = '\0';
	return te_err_set(TE_ERR_PERMISSION, "key '%s' may not %s (its usage is '%s')", name, what,
			  text[0] ? text : "none");
}

te_err te_hsm_policy_new_usage(te_hsm_key_type type, uint32_t asked, uint32_t *out)
{
	uint32_t u = asked ? asked : te_hsm_key_type_default_usage(type);

	if (type == TE_HSM_KEY_AES_256_GCM && (u & ~TE_HSM_USAGE_ENCRYPT))
		return te_err_set(TE_ERR_INVALID_ARG, "aes-256-gcm keys can only have usage encrypt");
	if (type == TE_HSM_KEY_HMAC_SHA256 && (u & TE_HSM_USAGE_ENCRYPT))
		return te_err_set(TE_ERR_INVALID_ARG, "hmac-sha256 keys cannot have usage encrypt");
	if (!te_hsm_key_type_is_secret(type) && (u & TE_HSM_USAGE_DERIVE))
		return te_err_set(TE_ERR_INVALID_ARG, "only hmac-sha256 keys can have usage derive");
	if ((type == TE_HSM_KEY_EC_P256 || type == TE_HSM_KEY_EC_P384 ||
	     type == TE_HSM_KEY_ED25519) &&
	    (u & TE_HSM_USAGE_ENCRYPT))
		return te_err_set(TE_ERR_INVALID_ARG, "%s keys cannot have usage encrypt",
				  te_hsm_key_type_name(type));
	*out = u;
	return TE_OK;
}

static te_err alg_misfit(const char *name, te_hsm_key_type type, te_hsm_alg alg)
{
	return te_err_set(TE_ERR_UNSUPPORTED, "algorithm %s does not fit key '%s' (%s)",
			  te_hsm_alg_name(alg), name, te_hsm_key_type_name(type));
}

te_err te_hsm_policy_sign_alg(const char *name, te_hsm_key_type type, te_hsm_alg alg,
			      te_hsm_alg *out)
{
	te_hsm_alg def;
	int ok;

	switch (type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
		def = type == TE_HSM_KEY_EC_P256 ? TE_HSM_ALG_ECDSA_SHA256 : TE_HSM_ALG_ECDSA_SHA384;
		ok = alg == TE_HSM_ALG_ECDSA_SHA256 || alg == TE_HSM_ALG_ECDSA_SHA384;
		break;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		def = TE_HSM_ALG_RSA_PSS_SHA256;
		ok = alg == TE_HSM_ALG_RSA_PSS_SHA256 || alg == TE_HSM_ALG_RSA_PKCS1_SHA256;
		break;
	case TE_HSM_KEY_ED25519:
		def = TE_HSM_ALG_ED25519;
		ok = alg == def;
		break;
	case TE_HSM_KEY_HMAC_SHA256:
		def = TE_HSM_ALG_HMAC_SHA256;
		ok = alg == def;
		break;
	default:
		return te_err_set(TE_ERR_UNSUPPORTED, "key '%s' (%s) cannot sign", name,
				  te_hsm_key_type_name(type));
	}
	if (alg == TE_HSM_ALG_DEFAULT)
		alg = def;
	else if (!ok)
		return alg_misfit(name, type, alg);
	*out = alg;
	return TE_OK;
}

te_err te_hsm_policy_crypt_alg(const char *name, te_hsm_key_type type, te_hsm_alg alg,
			       te_hsm_alg *out)
{
	te_hsm_alg def;

	switch (type) {
	case TE_HSM_KEY_AES_256_GCM:
		def = TE_HSM_ALG_AES_256_GCM;
		break;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		def = TE_HSM_ALG_RSA_OAEP_SHA256;
		break;
	default:
		return te_err_set(TE_ERR_UNSUPPORTED, "key '%s' (%s) cannot encrypt", name,
				  te_hsm_key_type_name(type));
	}
	if (alg != TE_HSM_ALG_DEFAULT && alg != def)
		return alg_misfit(name, type, alg);
	*out = def;
	return TE_OK;
}

const char *te_hsm_policy_digest(te_hsm_alg alg)
{
	switch (alg) {
	case TE_HSM_ALG_ECDSA_SHA384:
		return "SHA384";
	case TE_HSM_ALG_ECDSA_SHA256:
	case TE_HSM_ALG_RSA_PSS_SHA256:
	case TE_HSM_ALG_RSA_PKCS1_SHA256:
		return "SHA256";
	default:
		return NULL;
	}
}
