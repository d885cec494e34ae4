/*
 * openenclave/seal.h - sealing: encrypting data so that only this enclave
 * (OE_SEAL_POLICY_UNIQUE) or enclaves of the same signer and product at
 * the same or a later security version (OE_SEAL_POLICY_PRODUCT) can read
 * it back, on this device.  Names, types and setting values follow the
 * Open Enclave SDK; the implementation (liboeenclave) asks the emulator's
 * root of trust for the seal key and encrypts with AES-256-GCM inside the
 * TA (docs/tee-seal.md has the blob format and the key derivation).
 */
#ifndef _OE_SEAL_H
#define _OE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "bits/defs.h"
#include "bits/evidence.h"
#include "bits/result.h"
#include "bits/types.h"

OE_EXTERNC_BEGIN

/* One seal setting: a type (oe_seal_setting_type_t) with either a small
 * value (size 0) or a buffer (value.p, size bytes).  Build them with the
 * OE_SEAL_SET_* macros below rather than by hand. */
typedef struct _oe_seal_setting {
	int type;
	uint32_t size;
	union {
		uint64_t q;
		uint32_t d;
		uint16_t w;
		uint8_t b;
		const void *p;
	} value;
} oe_seal_setting_t;

enum oe_seal_setting_type_t {
	/* value.w: OE_SEAL_POLICY_UNIQUE or OE_SEAL_POLICY_PRODUCT
	 * (default: PRODUCT). */
	OE_SEAL_SETTING_POLICY,
	/* value.p, size (1..4096): bytes mixed into the blob's key.  They
	 * travel in the blob, in the clear (oe_unseal takes no settings):
	 * they separate keys, they are not a secret. */
	OE_SEAL_SETTING_ADDITIONAL_CONTEXT,
	/* value.p, size: the AES-GCM IV, exactly 12 bytes (default: random;
	 * each oe_seal uses a new key, so a repeated IV repeats no key/IV
	 * pair). */
	OE_SEAL_SETTING_IV,
	/* Setting types are below this value. */
	OE_SEAL_SETTING_MAX = 0x10000,
	/* Types from here up to OE_SEAL_SETTING_MAX belong to plug-ins. */
	OE_SEAL_SETTING_PLUGIN_DEFINED = OE_SEAL_SETTING_MAX / 2
};

/* clang-format off */
#define _OE_SEAL_SETTING_BUFFER(t, ptr, sz) { (t), (uint32_t)(sz), { (uint64_t)(ptr) } }
#define _OE_SEAL_SETTING_SCALAR(t, v)       _OE_SEAL_SETTING_BUFFER(t, v, 0)

/* A setting that selects the seal policy (an oe_seal_policy_t). */
#define OE_SEAL_SET_POLICY(w) _OE_SEAL_SETTING_SCALAR(OE_SEAL_SETTING_POLICY, w)
/* A setting that mixes s bytes at p into the blob's key (stored in it). */
#define OE_SEAL_SET_CONTEXT(p, s) \
	_OE_SEAL_SETTING_BUFFER(OE_SEAL_SETTING_ADDITIONAL_CONTEXT, p, s)
/* A setting that fixes the IV (s must be 12). */
#define OE_SEAL_SET_IV(p, s) _OE_SEAL_SETTING_BUFFER(OE_SEAL_SETTING_IV, p, s)

/* The id of the emulator's seal plug-in, the only one (a NULL plugin_id
 * selects it too).  trustedge extension. */
#define OE_SEAL_PLUGIN_TRUSTEDGE_EMULATOR \
	{ { 0x5e, 0xa1, 0xed, 0x0e, 0x7e, 0x57, 0x4e, 0x1d, \
	    0x9a, 0x3c, 0x2b, 0x6f, 0x41, 0xd0, 0x8e, 0x01 } }
/* clang-format on */

/*
 * Seals plaintext (plaintext_size bytes, may be empty) and authenticates
 * additional_data (not stored in the blob: give it again to oe_unseal).
 * *blob receives a malloc'd blob (free with free() or oe_free()).
 * Buffers must be enclave memory.  OE_INVALID_PARAMETER: bad arguments or
 * an IV that is not 12 bytes; OE_UNSUPPORTED: an unknown setting type;
 * OE_NOT_FOUND: an unknown plugin_id; OE_OUT_OF_MEMORY: the TA's heap
 * limit; OE_SERVICE_UNAVAILABLE / OE_UNSUPPORTED: no root of trust.
 */
oe_result_t oe_seal(const oe_uuid_t *plugin_id, const oe_seal_setting_t *settings,
                    size_t settings_count, const uint8_t *plaintext, size_t plaintext_size,
                    const uint8_t *additional_data, size_t additional_data_size, uint8_t **blob,
                    size_t *blob_size);

/*
 * Unseals a blob from oe_seal.  plaintext (and plaintext_size) may be NULL
 * to check the blob only.  OE_CRYPTO_ERROR: the blob was altered, the
 * additional data differs, or this enclave may not have the
 * key (another enclave under UNIQUE, another signer, product or debug
 * mode under PRODUCT); OE_INVALID_ISVSVN: sealed by a later security
 * version of this product; OE_INVALID_PARAMETER: not a well-formed blob.
 */
oe_result_t oe_unseal(const uint8_t *blob, size_t blob_size, const uint8_t *additional_data,
                      size_t additional_data_size, uint8_t **plaintext, size_t *plaintext_size);

/* Frees what oe_seal / oe_unseal returned (the reference SDK declares it
 * in its own C library header; the TA's free() does the same). */
void oe_free(void *ptr);

OE_EXTERNC_END

#endif /* _OE_SEAL_H */
