/*
 * rot.h - the emulator's root of trust: what a TA asks of "the CPU".
 *
 * On hardware, a TEE's CPU derives an enclave's seal keys and signs its
 * reports from secrets the enclave's host never sees.  In the emulator
 * that role is played by a *root*, which answers a TA's requests over a
 * socket of its own (fd TE_TA_FD_ROT in the TA), separate from the call
 * channel:
 *
 *   managed mode     trustedged is the root: secrets in the device's HSM;
 *                    the host application never holds the root's socket
 *   developer mode   the host runtime itself answers, from a per-user
 *                    development root (files under TE_TEE_DEV_ROOT or
 *                    ~/.local/share/trustedge/tee-dev-root); its evidence
 *                    says "developer root" and verifiers refuse it unless
 *                    told to trust that root
 *
 * The root knows the TA's identity because it verified and measured the
 * image itself (te_tee_image); the TA never states its own identity.
 *
 * Wire format: one SOCK_SEQPACKET datagram per request and per reply,
 * little-endian: u32 type, u32 request id, then the type's body (see
 * rot_msg.c).  A reply carries u32 type | 0x80000000, the same id,
 * u32 oe_result_t, then its body.
 */
#ifndef TE_TEE_ROT_H
#define TE_TEE_ROT_H

#include <stddef.h>
#include <stdint.h>

#include <openenclave/bits/result.h>

#include "tee/image.h"

#define TE_TA_FD_ROT 5
#define TE_ROT_MSG_MAX (64u * 1024u)
#define TE_ROT_REPLY 0x80000000u

enum te_rot_type {
	/* body: u32 policy (OE_SEAL_POLICY_*), u32 key_info size, key_info
	 * (empty: a new key for the TA's current identity; else the key_info
	 * a previous reply returned, to re-derive that key)
	 * reply: 32-byte key, u32 key_info size, key_info */
	TE_ROT_SEAL_KEY = 1,
	/* body: 16-byte format uuid, u32 size + report data (<= 64 bytes),
	 * u32 size + custom claims buffer
	 * reply: u32 size + evidence */
	TE_ROT_EVIDENCE = 2,
	/* body: none.  reply: u32 size + PEM chain of this root's
	 * certificates (what a verifier on this platform trusts) */
	TE_ROT_ROOTS = 3,
};

/* Who is asking: set by whoever verified and started the TA. */
typedef struct te_rot_identity {
	uint8_t unique_id[TE_TEE_ID_SIZE];
	uint8_t signer_id[TE_TEE_ID_SIZE];
	uint16_t product_id;
	uint16_t security_version;
	uint32_t debug; /* the TA runs in debug mode (not only: may) */
} te_rot_identity;

typedef struct te_rot te_rot;

/* A root backend: a versioned table, checked before use. */
#define TE_ROT_OPS_VERSION 1
typedef struct te_rot_ops {
	uint32_t version;
	const char *name; /* "developer", "hsm" */
	/* 32 bytes derived from the root secret and label; the secret never
	 * leaves the backend. */
	oe_result_t (*derive)(te_rot *rot, const uint8_t *label, size_t label_size,
			      uint8_t out[32]);
	/* ECDSA P-256 / SHA-256 signature (DER) by the attestation key;
	 * *sig_size is the capacity of sig on entry, the length on return. */
	oe_result_t (*sign)(te_rot *rot, const uint8_t *tbs, size_t tbs_size, uint8_t *sig,
			    size_t *sig_size);
	/* PEM: the attestation key's certificate then its issuers. */
	const char *(*chain)(te_rot *rot);
	void (*close)(te_rot *rot);
} te_rot_ops;

struct te_rot {
	const te_rot_ops *ops;
	uint32_t flags; /* TE_ROT_FLAG_* */
};

#define TE_ROT_FLAG_DEVELOPER 0x1u /* evidence says "developer root" */

/* Opens (creating on first use) the per-user developer root in dir, or in
 * TE_TEE_DEV_ROOT / ~/.local/share/trustedge/tee-dev-root when dir is
 * NULL. */
oe_result_t te_rot_dev_open(const char *dir, te_rot **out);
void te_rot_close(te_rot *rot);

/* Answers one request datagram from the TA whose identity is id: writes
 * the reply datagram into resp (cap bytes) and its size into *resp_size.
 * Malformed requests get an error reply, never a crash. */
void te_rot_serve(te_rot *rot, const te_rot_identity *id, const uint8_t *req, size_t req_size,
		  uint8_t *resp, size_t cap, size_t *resp_size);

/* TA side (liboeenclave): one request, one reply, serialized across the
 * TA's threads.  The reply lands in the caller's buffer (reply, cap
 * bytes); on success body and body_size say where its body is.  Returns
 * the reply's oe_result_t or a transport error (OE_UNSUPPORTED when the
 * TA has no root). */
oe_result_t te_ta_rot_call(uint32_t type, const uint8_t *req, size_t req_size, uint8_t *reply,
			   size_t cap, const uint8_t **body, size_t *body_size);

#endif /* TE_TEE_ROT_H */
