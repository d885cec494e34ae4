/*
 * rot_seal.c - the root of trust's SEAL_KEY request: a 32-byte seal key
 * for the asking TA, derived from the root secret (rot->ops->derive) and
 * the TA's identity as the root itself measured it.  The TA chooses only
 * the policy and, to get an old key back, the key_info the root gave it
 * (seal_blob.h has its layout; docs/tee-seal.md the derivation).
 *
 * Derivation label (fixed layout, 85 bytes):
 *   "trustedge tee seal key v1" (25 bytes, no NUL)
 *   u32 policy   u32 debug (1 when the TA runs in debug mode)
 *   32  UNIQUE: unique_id          PRODUCT: signer_id
 *   u16 PRODUCT: product_id, u16 PRODUCT: the key's svn (both 0 for UNIQUE)
 *   16  key id
 */
#include "tee/rot/rot_int.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openenclave/bits/types.h>

#include "tee/seal_blob.h"

#define TE_SEAL_LABEL_DOMAIN "trustedge tee seal key v1"
#define TE_SEAL_LABEL_SIZE   85u

typedef struct te_seal_key_info {
	uint32_t policy;
	uint16_t svn;
	uint8_t key_id[TE_SEAL_KEY_ID_SIZE];
} te_seal_key_info;

static int te_seal_policy_ok(uint32_t policy)
{
	return policy == OE_SEAL_POLICY_UNIQUE || policy == OE_SEAL_POLICY_PRODUCT;
}

/* Reads a key_info the TA sent back (untrusted): exact size, known
 * version and policy, reserved bytes zero, no svn under UNIQUE. */
static oe_result_t te_seal_key_info_read(const uint8_t *p, size_t n, te_seal_key_info *ki)
{
	te_tcur r;
	const uint8_t *id;
	uint32_t version;
	uint16_t reserved;

	te_tcur_init(&r, p, n);
	version = te_tcur_u32(&r);
	ki->policy = te_tcur_u32(&r);
	ki->svn = te_tcur_u16(&r);
	reserved = te_tcur_u16(&r);
	id = te_tcur_take(&r, TE_SEAL_KEY_ID_SIZE);
	if (!te_tcur_done(&r) || version != TE_SEAL_KEY_INFO_VERSION || reserved != 0)
		return OE_INVALID_PARAMETER;
	if (!te_seal_policy_ok(ki->policy))
		return OE_INVALID_PARAMETER;
	if (ki->policy == OE_SEAL_POLICY_UNIQUE && ki->svn != 0)
		return OE_INVALID_PARAMETER;
	memcpy(ki->key_id, id, TE_SEAL_KEY_ID_SIZE);
	return OE_OK;
}

static void te_seal_key_info_write(const te_seal_key_info *ki, uint8_t out[TE_SEAL_KEY_INFO_SIZE])
{
	te_seal_put_u32(out, TE_SEAL_KEY_INFO_VERSION);
	te_seal_put_u32(out + 4, ki->policy);
	te_seal_put_u16(out + 8, ki->svn);
	te_seal_put_u16(out + 10, 0);
	memcpy(out + 12, ki->key_id, TE_SEAL_KEY_ID_SIZE);
}

static void te_seal_label(const te_rot_identity *id, const te_seal_key_info *ki,
                          uint8_t label[TE_SEAL_LABEL_SIZE])
{
	size_t off = 0;

	memset(label, 0, TE_SEAL_LABEL_SIZE);
	memcpy(label, TE_SEAL_LABEL_DOMAIN, sizeof(TE_SEAL_LABEL_DOMAIN) - 1);
	off += sizeof(TE_SEAL_LABEL_DOMAIN) - 1;
	te_seal_put_u32(label + off, ki->policy);
	te_seal_put_u32(label + off + 4, id->debug ? 1u : 0u);
	off += 8;
	if (ki->policy == OE_SEAL_POLICY_UNIQUE) {
		memcpy(label + off, id->unique_id, TE_TEE_ID_SIZE);
		off += TE_TEE_ID_SIZE + 4;
	} else {
		memcpy(label + off, id->signer_id, TE_TEE_ID_SIZE);
		off += TE_TEE_ID_SIZE;
		te_seal_put_u16(label + off, id->product_id);
		te_seal_put_u16(label + off + 2, ki->svn);
		off += 4;
	}
	memcpy(label + off, ki->key_id, TE_SEAL_KEY_ID_SIZE);
}

oe_result_t te_rot_do_seal_key(te_rot *rot, const te_rot_identity *id, const uint8_t *body,
                               size_t n, uint8_t *out, size_t cap, size_t *out_size)
{
	te_tcur r;
	te_seal_key_info ki;
	const uint8_t *kip;
	uint32_t policy, ki_size;
	uint8_t label[TE_SEAL_LABEL_SIZE];
	uint8_t key[TE_SEAL_KEY_SIZE];
	oe_result_t res;

	if (!rot || !rot->ops || rot->ops->version != TE_ROT_OPS_VERSION || !rot->ops->derive)
		return OE_SERVICE_UNAVAILABLE;
	if (!id || !out || !out_size)
		return OE_INVALID_PARAMETER;
	te_tcur_init(&r, body, n);
	policy = te_tcur_u32(&r);
	ki_size = te_tcur_u32(&r);
	kip = te_tcur_take(&r, ki_size);
	if (!te_tcur_done(&r) || !te_seal_policy_ok(policy))
		return OE_INVALID_PARAMETER;
	if (cap < TE_SEAL_KEY_SIZE + 4 + TE_SEAL_KEY_INFO_SIZE)
		return OE_BUFFER_TOO_SMALL;

	memset(&ki, 0, sizeof(ki));
	if (ki_size == 0) {
		/* A new key for the TA as it is now. */
		ki.policy = policy;
		ki.svn = policy == OE_SEAL_POLICY_PRODUCT ? id->security_version : 0;
		if (RAND_bytes(ki.key_id, sizeof(ki.key_id)) != 1)
			return OE_CRYPTO_ERROR;
	} else {
		res = te_seal_key_info_read(kip, ki_size, &ki);
		if (res != OE_OK)
			return res;
		if (ki.policy != policy)
			return OE_INVALID_PARAMETER;
		/* A later version may read what an earlier one sealed, never
		 * the other way round. */
		if (policy == OE_SEAL_POLICY_PRODUCT && ki.svn > id->security_version)
			return OE_INVALID_ISVSVN;
	}

	te_seal_label(id, &ki, label);
	res = rot->ops->derive(rot, label, sizeof(label), key);
	if (res == OE_OK) {
		memcpy(out, key, TE_SEAL_KEY_SIZE);
		te_seal_put_u32(out + TE_SEAL_KEY_SIZE, TE_SEAL_KEY_INFO_SIZE);
		te_seal_key_info_write(&ki, out + TE_SEAL_KEY_SIZE + 4);
		*out_size = TE_SEAL_KEY_SIZE + 4 + TE_SEAL_KEY_INFO_SIZE;
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(label, sizeof(label));
	return res;
}
