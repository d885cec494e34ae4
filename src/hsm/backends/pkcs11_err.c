/*
 * pkcs11_err.c - the names of PKCS#11 return values and mechanisms, the
 * te_err class of each return value, and a sentence per value that says
 * what a user should check.  Users of the reference stack got "generic
 * external error" from PKCS#11 failures; every failure here names the
 * token, the CKR code and a likely cause.
 */
#include "hsm/backends/pkcs11_err.h"

#include <stdio.h>

/* Every return value of PKCS#11 v2.40 (values from the base spec). */
static const struct rv_entry {
	CK_RV rv;
	const char *name;
} rv_names[] = {
    {0x000, "CKR_OK"},
    {0x001, "CKR_CANCEL"},
    {0x002, "CKR_HOST_MEMORY"},
    {0x003, "CKR_SLOT_ID_INVALID"},
    {0x005, "CKR_GENERAL_ERROR"},
    {0x006, "CKR_FUNCTION_FAILED"},
    {0x007, "CKR_ARGUMENTS_BAD"},
    {0x008, "CKR_NO_EVENT"},
    {0x009, "CKR_NEED_TO_CREATE_THREADS"},
    {0x00A, "CKR_CANT_LOCK"},
    {0x010, "CKR_ATTRIBUTE_READ_ONLY"},
    {0x011, "CKR_ATTRIBUTE_SENSITIVE"},
    {0x012, "CKR_ATTRIBUTE_TYPE_INVALID"},
    {0x013, "CKR_ATTRIBUTE_VALUE_INVALID"},
    {0x01B, "CKR_ACTION_PROHIBITED"},
    {0x020, "CKR_DATA_INVALID"},
    {0x021, "CKR_DATA_LEN_RANGE"},
    {0x030, "CKR_DEVICE_ERROR"},
    {0x031, "CKR_DEVICE_MEMORY"},
    {0x032, "CKR_DEVICE_REMOVED"},
    {0x040, "CKR_ENCRYPTED_DATA_INVALID"},
    {0x041, "CKR_ENCRYPTED_DATA_LEN_RANGE"},
    {0x050, "CKR_FUNCTION_CANCELED"},
    {0x051, "CKR_FUNCTION_NOT_PARALLEL"},
    {0x054, "CKR_FUNCTION_NOT_SUPPORTED"},
    {0x060, "CKR_KEY_HANDLE_INVALID"},
    {0x062, "CKR_KEY_SIZE_RANGE"},
    {0x063, "CKR_KEY_TYPE_INCONSISTENT"},
    {0x064, "CKR_KEY_NOT_NEEDED"},
    {0x065, "CKR_KEY_CHANGED"},
    {0x066, "CKR_KEY_NEEDED"},
    {0x067, "CKR_KEY_INDIGESTIBLE"},
    {0x068, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
    {0x069, "CKR_KEY_NOT_WRAPPABLE"},
    {0x06A, "CKR_KEY_UNEXTRACTABLE"},
    {0x070, "CKR_MECHANISM_INVALID"},
    {0x071, "CKR_MECHANISM_PARAM_INVALID"},
    {0x082, "CKR_OBJECT_HANDLE_INVALID"},
    {0x090, "CKR_OPERATION_ACTIVE"},
    {0x091, "CKR_OPERATION_NOT_INITIALIZED"},
    {0x0A0, "CKR_PIN_INCORRECT"},
    {0x0A1, "CKR_PIN_INVALID"},
    {0x0A2, "CKR_PIN_LEN_RANGE"},
    {0x0A3, "CKR_PIN_EXPIRED"},
    {0x0A4, "CKR_PIN_LOCKED"},
    {0x0B0, "CKR_SESSION_CLOSED"},
    {0x0B1, "CKR_SESSION_COUNT"},
    {0x0B3, "CKR_SESSION_HANDLE_INVALID"},
    {0x0B4, "CKR_SESSION_PARALLEL_NOT_SUPPORTED"},
    {0x0B5, "CKR_SESSION_READ_ONLY"},
    {0x0B6, "CKR_SESSION_EXISTS"},
    {0x0B7, "CKR_SESSION_READ_ONLY_EXISTS"},
    {0x0B8, "CKR_SESSION_READ_WRITE_SO_EXISTS"},
    {0x0C0, "CKR_SIGNATURE_INVALID"},
    {0x0C1, "CKR_SIGNATURE_LEN_RANGE"},
    {0x0D0, "CKR_TEMPLATE_INCOMPLETE"},
    {0x0D1, "CKR_TEMPLATE_INCONSISTENT"},
    {0x0E0, "CKR_TOKEN_NOT_PRESENT"},
    {0x0E1, "CKR_TOKEN_NOT_RECOGNIZED"},
    {0x0E2, "CKR_TOKEN_WRITE_PROTECTED"},
    {0x0F0, "CKR_UNWRAPPING_KEY_HANDLE_INVALID"},
    {0x0F1, "CKR_UNWRAPPING_KEY_SIZE_RANGE"},
    {0x0F2, "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT"},
    {0x100, "CKR_USER_ALREADY_LOGGED_IN"},
    {0x101, "CKR_USER_NOT_LOGGED_IN"},
    {0x102, "CKR_USER_PIN_NOT_INITIALIZED"},
    {0x103, "CKR_USER_TYPE_INVALID"},
    {0x104, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN"},
    {0x105, "CKR_USER_TOO_MANY_TYPES"},
    {0x110, "CKR_WRAPPED_KEY_INVALID"},
    {0x112, "CKR_WRAPPED_KEY_LEN_RANGE"},
    {0x113, "CKR_WRAPPING_KEY_HANDLE_INVALID"},
    {0x114, "CKR_WRAPPING_KEY_SIZE_RANGE"},
    {0x115, "CKR_WRAPPING_KEY_TYPE_INCONSISTENT"},
    {0x120, "CKR_RANDOM_SEED_NOT_SUPPORTED"},
    {0x121, "CKR_RANDOM_NO_RNG"},
    {0x130, "CKR_DOMAIN_PARAMS_INVALID"},
    {0x140, "CKR_CURVE_NOT_SUPPORTED"},
    {0x150, "CKR_BUFFER_TOO_SMALL"},
    {0x160, "CKR_SAVED_STATE_INVALID"},
    {0x170, "CKR_INFORMATION_SENSITIVE"},
    {0x180, "CKR_STATE_UNSAVEABLE"},
    {0x190, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    {0x191, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
    {0x1A0, "CKR_MUTEX_BAD"},
    {0x1A1, "CKR_MUTEX_NOT_LOCKED"},
    {0x1B0, "CKR_NEW_PIN_MODE"},
    {0x1B1, "CKR_NEXT_OTP"},
    {0x1C0, "CKR_EXCEEDED_MAX_ITERATIONS"},
    {0x1C1, "CKR_FIPS_SELF_TEST_FAILED"},
    {0x1C2, "CKR_LIBRARY_LOAD_FAILED"},
    {0x1C3, "CKR_PIN_TOO_WEAK"},
    {0x1C4, "CKR_PUBLIC_KEY_INVALID"},
    {0x200, "CKR_FUNCTION_REJECTED"},
};

#define CKR_VENDOR_DEFINED 0x80000000UL

/* The mechanisms this backend uses or a user is likely to see named. */
static const struct mech_entry {
	CK_MECHANISM_TYPE mech;
	const char *name;
} mech_names[] = {
    {0x0000, "CKM_RSA_PKCS_KEY_PAIR_GEN"},
    {0x0001, "CKM_RSA_PKCS"},
    {0x0003, "CKM_RSA_X_509"},
    {0x0009, "CKM_RSA_PKCS_OAEP"},
    {0x000D, "CKM_RSA_PKCS_PSS"},
    {0x0040, "CKM_SHA256_RSA_PKCS"},
    {0x0041, "CKM_SHA384_RSA_PKCS"},
    {0x0043, "CKM_SHA256_RSA_PKCS_PSS"},
    {0x0044, "CKM_SHA384_RSA_PKCS_PSS"},
    {0x0220, "CKM_SHA_1"},
    {0x0250, "CKM_SHA256"},
    {0x0251, "CKM_SHA256_HMAC"},
    {0x0260, "CKM_SHA384"},
    {0x0350, "CKM_GENERIC_SECRET_KEY_GEN"},
    {0x1040, "CKM_EC_KEY_PAIR_GEN"},
    {0x1041, "CKM_ECDSA"},
    {0x1044, "CKM_ECDSA_SHA256"},
    {0x1045, "CKM_ECDSA_SHA384"},
    {0x1050, "CKM_ECDH1_DERIVE"},
    {0x1055, "CKM_EC_EDWARDS_KEY_PAIR_GEN"},
    {0x1057, "CKM_EDDSA"},
    {0x1080, "CKM_AES_KEY_GEN"},
    {0x1081, "CKM_AES_ECB"},
    {0x1082, "CKM_AES_CBC"},
    {0x1087, "CKM_AES_GCM"},
    {0x2109, "CKM_AES_KEY_WRAP"},
    {0x210A, "CKM_AES_KEY_WRAP_PAD"},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *te_p11_rv_name(CK_RV rv)
{
	for (size_t i = 0; i < N_OF(rv_names); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	return NULL;
}

void te_p11_rv_format(CK_RV rv, char *out, size_t len)
{
	const char *name = te_p11_rv_name(rv);

	if (name != NULL)
		snprintf(out, len, "%s", name);
	else if (rv >= CKR_VENDOR_DEFINED)
		snprintf(out, len, "CKR_VENDOR_DEFINED+0x%lx", rv - CKR_VENDOR_DEFINED);
	else
		snprintf(out, len, "CKR_0x%lx", rv);
}

const char *te_p11_mech_name(CK_MECHANISM_TYPE mech)
{
	for (size_t i = 0; i < N_OF(mech_names); i++)
		if (mech_names[i].mech == mech)
			return mech_names[i].name;
	return NULL;
}

te_err te_p11_rv_class(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return TE_OK;
	case CKR_HOST_MEMORY:
	case 0x031: /* CKR_DEVICE_MEMORY */
		return TE_ERR_NO_MEMORY;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LOCKED:
	case CKR_USER_PIN_NOT_INITIALIZED:
	case CKR_USER_NOT_LOGGED_IN:
		return TE_ERR_CONFIG;
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
	case CKR_FUNCTION_NOT_SUPPORTED:
	case CKR_KEY_SIZE_RANGE:
	case CKR_CURVE_NOT_SUPPORTED:
	case CKR_DOMAIN_PARAMS_INVALID:
	case CKR_ATTRIBUTE_TYPE_INVALID:
		return TE_ERR_UNSUPPORTED;
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_ATTRIBUTE_SENSITIVE:
	case 0x06A: /* CKR_KEY_UNEXTRACTABLE */
	case CKR_TOKEN_WRITE_PROTECTED:
	case CKR_SESSION_READ_ONLY:
		return TE_ERR_PERMISSION;
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_KEY_HANDLE_INVALID:
		return TE_ERR_NOT_FOUND;
	case CKR_SIGNATURE_INVALID:
	case CKR_SIGNATURE_LEN_RANGE:
		return TE_ERR_VERIFY_FAILED;
	case CKR_ENCRYPTED_DATA_INVALID:
	case CKR_ENCRYPTED_DATA_LEN_RANGE:
		return TE_ERR_DECRYPT_FAILED;
	case CKR_ARGUMENTS_BAD:
	case CKR_DATA_INVALID:
	case CKR_DATA_LEN_RANGE:
	case CKR_ATTRIBUTE_VALUE_INVALID:
	case CKR_TEMPLATE_INCOMPLETE:
	case CKR_TEMPLATE_INCONSISTENT:
		return TE_ERR_INVALID_ARG;
	case CKR_SESSION_COUNT:
	case CKR_OPERATION_ACTIVE:
		return TE_ERR_BUSY;
	case CKR_BUFFER_TOO_SMALL:
		return TE_ERR_BUFFER_TOO_SMALL;
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
	case 0x030: /* CKR_DEVICE_ERROR */
	case CKR_SESSION_CLOSED:
	case CKR_SESSION_HANDLE_INVALID:
		return TE_ERR_IO;
	default:
		return TE_ERR_CRYPTO;
	}
}

/* What to check, for the return values a user can do something about.
 * The token label fills the one %s where there is one. */
static const char *rv_hint(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
		return "PIN rejected by token '%s' (check pin/pin_file/pin_env; tokens lock the "
		       "user PIN after a few wrong tries";
	case CKR_PIN_LOCKED:
		return "the user PIN of token '%s' is locked after too many wrong tries; unlock it "
		       "with the SO PIN (e.g. pkcs11-tool --init-pin --login --login-type so)";
	case CKR_PIN_EXPIRED:
		return "the user PIN of token '%s' has expired; set a new one with the token's "
		       "tools";
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_INVALID:
		return "token '%s' does not accept a PIN of this length or with these characters "
		       "(check pin_file for a stray space or a second line)";
	case CKR_USER_PIN_NOT_INITIALIZED:
		return "token '%s' has no user PIN yet; initialise it (softhsm2-util --init-token "
		       "... --pin, or pkcs11-tool --init-pin)";
	case CKR_USER_NOT_LOGGED_IN:
		return "not logged in to token '%s', and logging in again did not help (check "
		       "pin/pin_file/pin_env)";
	case CKR_MECHANISM_INVALID:
		return "token '%s' does not support mechanism %s";
	case CKR_MECHANISM_PARAM_INVALID:
		return "token '%s' refused the parameters of mechanism %s";
	case CKR_FUNCTION_NOT_SUPPORTED:
		return "the PKCS#11 module of token '%s' does not implement this function";
	case CKR_KEY_SIZE_RANGE:
		return "token '%s' does not accept this key size for %s";
	case CKR_CURVE_NOT_SUPPORTED:
	case CKR_DOMAIN_PARAMS_INVALID:
		return "token '%s' does not support this curve";
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
		return "the key's PKCS#11 attributes on token '%s' forbid this use (CKA_SIGN, "
		       "CKA_DECRYPT, CKA_ENCRYPT or CKA_VERIFY is false)";
	case CKR_KEY_TYPE_INCONSISTENT:
		return "the key on token '%s' is of a type that does not fit %s";
	case CKR_ATTRIBUTE_SENSITIVE:
		return "token '%s' keeps this value secret (CKA_SENSITIVE is true)";
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_KEY_HANDLE_INVALID:
		return "the key object is gone from token '%s' (deleted by another application?)";
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
		return "token '%s' is not present any more (unplugged, or its slot was reset)";
	case CKR_SESSION_COUNT:
		return "token '%s' has no free session (its session limit is reached; other "
		       "applications may hold sessions)";
	case CKR_SESSION_CLOSED:
	case CKR_SESSION_HANDLE_INVALID:
		return "the session with token '%s' was closed and could not be reopened (another "
		       "application may have called C_CloseAllSessions, or the token was reset)";
	case CKR_TOKEN_WRITE_PROTECTED:
	case CKR_SESSION_READ_ONLY:
		return "token '%s' is write-protected: keys cannot be created or deleted on it";
	case CKR_TEMPLATE_INCONSISTENT:
	case CKR_TEMPLATE_INCOMPLETE:
	case CKR_ATTRIBUTE_VALUE_INVALID:
	case CKR_ATTRIBUTE_TYPE_INVALID:
		return "token '%s' refused the key's attributes (it may not support this key type "
		       "or combination of attributes)";
	case CKR_CRYPTOKI_NOT_INITIALIZED:
		return "the PKCS#11 module of token '%s' is not initialised (did another part of "
		       "this process call C_Finalize?)";
	case CKR_HOST_MEMORY:
		return "the PKCS#11 module of token '%s' ran out of memory";
	case 0x031: /* CKR_DEVICE_MEMORY */
		return "token '%s' is out of memory (delete unused keys)";
	case CKR_GENERAL_ERROR:
	case CKR_FUNCTION_FAILED:
	case 0x030: /* CKR_DEVICE_ERROR */
		return "token '%s' reported a failure of its own (check the token and the log of "
		       "its PKCS#11 module)";
	case CKR_DATA_LEN_RANGE:
		return "token '%s' does not accept input of this length for %s";
	default:
		return NULL;
	}
}

/* Whether the hint has a second %s (the mechanism). */
static int hint_names_mech(CK_RV rv)
{
	return rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID ||
	       rv == CKR_KEY_SIZE_RANGE || rv == CKR_KEY_TYPE_INCONSISTENT ||
	       rv == CKR_DATA_LEN_RANGE;
}

te_err te_p11_fail(CK_RV rv, const char *token, CK_MECHANISM_TYPE mech, const te_p11_pin_state *pin,
                   const char *what_fmt, ...)
{
	va_list ap;
	te_err rc;

	va_start(ap, what_fmt);
	rc = te_p11_vfail(rv, token, mech, pin, what_fmt, ap);
	va_end(ap);
	return rc;
}

te_err te_p11_vfail(CK_RV rv, const char *token, CK_MECHANISM_TYPE mech,
                    const te_p11_pin_state *pin, const char *what_fmt, va_list ap)
{
	char what[512], hint[512] = "", name[48], mname[40];
	const char *fmt = rv_hint(rv), *m = te_p11_mech_name(mech);

	vsnprintf(what, sizeof(what), what_fmt, ap);
	te_p11_rv_format(rv, name, sizeof(name));
	if (token == NULL)
		token = "?";
	if (m == NULL) {
		if (mech == TE_P11_NO_MECH)
			snprintf(mname, sizeof(mname), "(none)");
		else
			snprintf(mname, sizeof(mname), "CKM_0x%lx", mech);
		m = mname;
	}
	if (fmt != NULL) {
		/* The format comes from rv_hint's fixed strings above. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		if (hint_names_mech(rv))
			snprintf(hint, sizeof(hint), fmt, token, m);
		else
			snprintf(hint, sizeof(hint), fmt, token);
#pragma GCC diagnostic pop
	}
	if (rv == CKR_PIN_INCORRECT) {
		const char *state = "";

		if (pin != NULL && pin->locked)
			state = "; the token now reports the PIN locked";
		else if (pin != NULL && pin->final_try)
			state = "; the token says one more wrong PIN locks it";
		else if (pin != NULL && pin->count_low)
			state = "; the token reports few tries left";
		return te_err_set(te_p11_rv_class(rv), "%s: %s%s) [%s]", what, hint, state, name);
	}
	if (hint[0] == '\0')
		return te_err_set(te_p11_rv_class(rv), "%s: token '%s' returned %s", what, token,
		                  name);
	return te_err_set(te_p11_rv_class(rv), "%s: %s [%s]", what, hint, name);
}
