/*
 * pkcs11_uri.h - a strict parser for RFC 7512 "pkcs11:" URIs, the way
 * keys provisioned with other tools are named.
 *
 *   pkcs11:token=edge;object=device-key;type=private
 *   pkcs11:id=%01%02;type=private
 *
 * Path attributes: token, manufacturer, serial, model, library-manufacturer,
 * library-description, library-version, object, type, id, slot-manufacturer,
 * slot-description, slot-id.  Values are percent-decoded.  Refused: unknown
 * or vendor ("x-...") attributes, an attribute given twice, empty
 * attributes or values, bad percent-encoding, characters outside RFC 7512's
 * sets, values longer than the PKCS#11 field they match, and every query
 * attribute: pin-value and pin-source (the PIN comes from the backend's
 * settings, never from a key name), module-name and module-path (the
 * module is the backend's 'module' setting).
 */
#ifndef TRUSTEDGE_HSM_PKCS11_URI_H
#define TRUSTEDGE_HSM_PKCS11_URI_H

#include <stddef.h>
#include <stdint.h>

#include "trustedge/te_error.h"

#define TE_P11_URI_MAX        1024 /* whole URI, as TE_HSM_REF_MAX */
#define TE_P11_URI_OBJECT_MAX 256  /* CKA_LABEL bytes */
#define TE_P11_URI_ID_MAX     256  /* CKA_ID bytes */

/* Bits of te_p11_uri.present. */
#define TE_P11_URI_TOKEN             (1u << 0)
#define TE_P11_URI_MANUFACTURER      (1u << 1)
#define TE_P11_URI_SERIAL            (1u << 2)
#define TE_P11_URI_MODEL             (1u << 3)
#define TE_P11_URI_LIB_MANUFACTURER  (1u << 4)
#define TE_P11_URI_LIB_DESCRIPTION   (1u << 5)
#define TE_P11_URI_LIB_VERSION       (1u << 6)
#define TE_P11_URI_OBJECT            (1u << 7)
#define TE_P11_URI_TYPE              (1u << 8)
#define TE_P11_URI_ID                (1u << 9)
#define TE_P11_URI_SLOT_MANUFACTURER (1u << 10)
#define TE_P11_URI_SLOT_DESCRIPTION  (1u << 11)
#define TE_P11_URI_SLOT_ID           (1u << 12)

typedef enum te_p11_uri_type {
	TE_P11_URI_TYPE_NONE = 0,
	TE_P11_URI_TYPE_PUBLIC,
	TE_P11_URI_TYPE_PRIVATE,
	TE_P11_URI_TYPE_CERT,
	TE_P11_URI_TYPE_SECRET_KEY,
	TE_P11_URI_TYPE_DATA,
} te_p11_uri_type;

/* A parsed URI.  Text values are NUL-terminated (a decoded NUL byte is
 * refused in them); id is binary. */
typedef struct te_p11_uri {
	uint32_t present;
	char token[33];
	char manufacturer[33];
	char serial[17];
	char model[17];
	char lib_manufacturer[33];
	char lib_description[33];
	unsigned lib_major, lib_minor;
	char object[TE_P11_URI_OBJECT_MAX + 1];
	size_t object_len;
	uint8_t id[TE_P11_URI_ID_MAX];
	size_t id_len;
	te_p11_uri_type type;
	char slot_manufacturer[33];
	char slot_description[65];
	unsigned long slot_id;
} te_p11_uri;

/* Parses len bytes of uri (which need not be NUL-terminated).  On failure
 * *out is left zeroed and the detail says what is wrong and where;
 * the error is TE_ERR_BAD_NAME, as for any other bad key reference. */
te_err te_p11_uri_parse(const char *uri, size_t len, te_p11_uri *out) TE_MUST_CHECK;

/* "private", "secret-key", ... ("" for none). */
const char *te_p11_uri_type_name(te_p11_uri_type type);

#endif
