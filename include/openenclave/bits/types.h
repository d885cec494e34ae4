/*
 * openenclave/bits/types.h - the types shared by host and enclave headers:
 * the opaque enclave handle and the enclave type.  Names and values follow
 * the Open Enclave SDK so code written for it compiles unchanged.
 */
#ifndef OPENENCLAVE_BITS_TYPES_H
#define OPENENCLAVE_BITS_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "defs.h"

OE_EXTERNC_BEGIN

/* One running enclave: in the trustedge emulator, one TA process. */
typedef struct _oe_enclave oe_enclave_t;

typedef enum _oe_enclave_type {
	OE_ENCLAVE_TYPE_UNDEFINED = 0x00000000,
	OE_ENCLAVE_TYPE_AUTO = 0x00000001,
	OE_ENCLAVE_TYPE_SGX = 0x00000002,
	OE_ENCLAVE_TYPE_OPTEE = 0x00000003,
	__OE_ENCLAVE_TYPE_MAX = OE_ENUM_MAX,
} oe_enclave_type_t;

#define OE_PAGE_SIZE 0x1000

/* Whose identity a seal key is bound to. */
typedef enum _oe_seal_policy {
	OE_SEAL_POLICY_UNIQUE = 1,  /* this exact enclave (its measurement) */
	OE_SEAL_POLICY_PRODUCT = 2, /* signer + product id, any svn up to the current */
	_OE_SEAL_POLICY_MAX = OE_ENUM_MAX,
} oe_seal_policy_t;

OE_EXTERNC_END

#endif /* OPENENCLAVE_BITS_TYPES_H */
