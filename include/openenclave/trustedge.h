/*
 * openenclave/trustedge.h - trustedge's additions to the Open Enclave API
 * for attestation: its own evidence format id and claims, and how a
 * verifier is told which roots to trust.  Usable in hosts and enclaves.
 * docs/tee-attest.md has the evidence format and the trust model.
 */
#ifndef _OE_TRUSTEDGE_H
#define _OE_TRUSTEDGE_H

#include <stddef.h>
#include <stdint.h>

#include "bits/defs.h"
#include "bits/evidence.h"
#include "bits/result.h"

OE_EXTERNC_BEGIN

/* Emulated evidence under trustedge's own format id (remote-capable, like
 * OE_FORMAT_UUID_SGX_ECDSA, but not pretending to be SGX). */
#define OE_FORMAT_UUID_TRUSTEDGE_EMULATED                                                          \
	{                                                                                          \
		0x8e, 0x28, 0xde, 0x60, 0x4f, 0x8f, 0x4f, 0x04, 0x93, 0xca, 0x57, 0xcd, 0x26,      \
		    0xc3, 0xe4, 0xa6                                                               \
	}

/* Claims oe_verify_evidence adds to the reference's: one byte each, 1 or
 * 0.  "trustedge_emulated" is always 1; "trustedge_developer_root" is 1
 * when a per-user developer root (not a device HSM) signed the evidence. */
#define OE_CLAIM_TRUSTEDGE_EMULATED       "trustedge_emulated"
#define OE_CLAIM_TRUSTEDGE_DEVELOPER_ROOT "trustedge_developer_root"

/*
 * Trusted roots.  A verifier accepts evidence whose signer's certificate
 * chains to one of its trusted roots:
 *   in an enclave   its own platform's roots (asked of the root of trust),
 *                   plus any added here
 *   in a host       only the roots added here, and those in the PEM file
 *                   named by the environment variable TE_TEE_TRUSTED_ROOTS
 *                   (read once, by the first verification)
 * A developer root is trusted only when added on purpose, like any other.
 * pem: one or more PEM certificates (pem_size bytes, NUL not needed).
 * OE_INVALID_PARAMETER when it holds no certificate or a malformed one.
 */
oe_result_t te_verifier_add_trusted_root_pem(const char *pem, size_t pem_size);
/* Forgets every root added with te_verifier_add_trusted_root_pem (and the
 * TE_TEE_TRUSTED_ROOTS file, which is read again by the next
 * verification). */
void te_verifier_clear_trusted_roots(void);

OE_EXTERNC_END

#endif /* _OE_TRUSTEDGE_H */
