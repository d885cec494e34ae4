/*
 * pkcs11_err.h - PKCS#11 return values and mechanisms turned into words:
 * the one table of CKR names, and messages that say what to check.
 */
#ifndef TRUSTEDGE_HSM_PKCS11_ERR_H
#define TRUSTEDGE_HSM_PKCS11_ERR_H

#include <stdarg.h>
#include <stddef.h>

#include "hsm/backends/pkcs11_api.h"
#include "trustedge/te_error.h"

/* "CKR_PIN_INCORRECT"; NULL for a code the table does not know. */
const char *te_p11_rv_name(CK_RV rv);

/* Writes the name, or "CKR_0x1234" / "CKR_VENDOR_DEFINED+0x5" when the
 * table does not know the code, into out. */
void te_p11_rv_format(CK_RV rv, char *out, size_t len);

/* "No mechanism" for te_p11_fail (0 is CKM_RSA_PKCS_KEY_PAIR_GEN). */
#define TE_P11_NO_MECH (~0UL)

/* "CKM_ECDSA"; NULL when unknown. */
const char *te_p11_mech_name(CK_MECHANISM_TYPE mech);

/* The te_err class a return value belongs to. */
te_err te_p11_rv_class(CK_RV rv);

/* Token flags that matter after a rejected PIN, for the message. */
typedef struct te_p11_pin_state {
	int count_low;
	int final_try;
	int locked;
} te_p11_pin_state;

/*
 * Sets the error detail to "<what>: <what to check> (CKR_NAME)" and
 * returns the te_err class of rv.  token is the label shown in hints;
 * mech the mechanism in use (TE_P11_NO_MECH when none); pin may be NULL.
 */
te_err te_p11_fail(CK_RV rv, const char *token, CK_MECHANISM_TYPE mech, const te_p11_pin_state *pin,
                   const char *what_fmt, ...) TE_PRINTF(5, 6);
te_err te_p11_vfail(CK_RV rv, const char *token, CK_MECHANISM_TYPE mech,
                    const te_p11_pin_state *pin, const char *what_fmt, va_list ap) TE_PRINTF(5, 0);

#endif
