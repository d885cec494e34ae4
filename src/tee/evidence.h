/*
 * evidence.h - trustedge's emulated attestation evidence: the byte format
 * (built by the root of trust, read by every verifier), the signature and
 * certificate-chain check, and the claims a verifier hands out.  Compiled
 * into the root (liboehost, later trustedged), the TA runtime
 * (liboeenclave) and the `trustedge tee verify` command.
 *
 * Layout, version 1, little-endian (docs/tee-attest.md has the table):
 *
 *   magic "TEEVIDNC" | u32 version | u32 flags | format uuid[16]
 *   | unique_id[32] | signer_id[32] | product_id[16] | u32 security_version
 *   | u64 attributes | u32 n + report data[n <= 64]
 *   | u32 n + custom claims[n <= TE_EVIDENCE_CUSTOM_MAX]
 *   | u32 count (1..4) | count x (u32 n + DER certificate[n])
 *   | u32 n + signature[n]
 *
 * The signature (ECDSA, SHA-256, DER) by the first certificate's key
 * covers every byte before its length.  Nothing may follow it.
 */
#ifndef TE_TEE_EVIDENCE_H
#define TE_TEE_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include <openenclave/bits/evidence.h>
#include <openenclave/bits/result.h>

#define TE_EVIDENCE_MAGIC      "TEEVIDNC"
#define TE_EVIDENCE_MAGIC_SIZE 8
#define TE_EVIDENCE_VERSION    1u

#define TE_EVIDENCE_FLAG_EMULATED       0x1u /* always set */
#define TE_EVIDENCE_FLAG_DEVELOPER_ROOT 0x2u /* a developer root signed it */
#define TE_EVIDENCE_FLAGS_KNOWN         (TE_EVIDENCE_FLAG_EMULATED | TE_EVIDENCE_FLAG_DEVELOPER_ROOT)

#define TE_EVIDENCE_ID_SIZE         32
#define TE_EVIDENCE_PRODUCT_ID_SIZE 16
#define TE_EVIDENCE_REPORT_DATA_MAX 64u
#define TE_EVIDENCE_CUSTOM_MAX      (32u * 1024u)
#define TE_EVIDENCE_CERTS_MAX       4u
#define TE_EVIDENCE_CERT_MAX        (4u * 1024u)
#define TE_EVIDENCE_SIG_MAX         160u
/* magic .. attributes */
#define TE_EVIDENCE_FIXED_SIZE (8u + 4u + 4u + 16u + 32u + 32u + 16u + 4u + 8u)
#define TE_EVIDENCE_MAX                                                                            \
	(TE_EVIDENCE_FIXED_SIZE + 4u + TE_EVIDENCE_REPORT_DATA_MAX + 4u + TE_EVIDENCE_CUSTOM_MAX + \
	 4u + TE_EVIDENCE_CERTS_MAX * (4u + TE_EVIDENCE_CERT_MAX) + 4u + TE_EVIDENCE_SIG_MAX)
/* The most PEM text a root's chain or a trust file may hold. */
#define TE_EVIDENCE_PEM_MAX (256u * 1024u)

/* What the evidence says.  report_data and custom_claims point into the
 * evidence (or, when building, into the caller's request). */
typedef struct te_evidence_claims {
	uint8_t format[OE_UUID_SIZE];
	uint32_t flags; /* TE_EVIDENCE_FLAG_* */
	uint8_t unique_id[TE_EVIDENCE_ID_SIZE];
	uint8_t signer_id[TE_EVIDENCE_ID_SIZE];
	uint8_t product_id[TE_EVIDENCE_PRODUCT_ID_SIZE];
	uint32_t security_version;
	uint64_t attributes; /* OE_REPORT_ATTRIBUTES_* */
	const uint8_t *report_data;
	size_t report_data_size;
	const uint8_t *custom_claims;
	size_t custom_claims_size;
} te_evidence_claims;

/* Evidence as parsed: every pointer points into the parsed buffer. */
typedef struct te_evidence {
	te_evidence_claims claims;
	size_t n_certs;
	const uint8_t *cert[TE_EVIDENCE_CERTS_MAX];
	size_t cert_size[TE_EVIDENCE_CERTS_MAX];
	size_t signed_size; /* the signature covers [0, signed_size) */
	const uint8_t *sig;
	size_t sig_size;
} te_evidence;

/* What a verifier requires beyond a valid signature and chain. */
typedef struct te_evidence_policy {
	const uint8_t *format; /* 16 bytes, or NULL: any known format */
	int check_report_data;
	const uint8_t *report_data;
	size_t report_data_size;
	int forbid_debug;
} te_evidence_policy;

/* The format ids trustedge evidence comes in (local, ECDSA, trustedge). */
#define TE_EVIDENCE_N_FORMATS 3
extern const oe_uuid_t te_evidence_formats[TE_EVIDENCE_N_FORMATS];
/* 1 for one of te_evidence_formats. */
int te_evidence_format_known(const uint8_t format[OE_UUID_SIZE]);
/* 1 for the formats meant for a verifier on another machine (ECDSA and
 * trustedge): their evidence has OE_REPORT_ATTRIBUTES_REMOTE. */
int te_evidence_format_remote(const uint8_t format[OE_UUID_SIZE]);
/* "sgx-local", "sgx-ecdsa", "trustedge-emulated" or "unknown". */
const char *te_evidence_format_name(const uint8_t format[OE_UUID_SIZE]);

/* Signs tbs (ECDSA P-256, SHA-256, DER); *sig_size is sig's capacity in,
 * the signature's length out. */
typedef oe_result_t (*te_evidence_sign_fn)(void *arg, const uint8_t *tbs, size_t tbs_size,
                                           uint8_t *sig, size_t *sig_size);

/* Writes evidence for claims c (its format known, sizes in bounds), with
 * the certificates of chain_pem (the signer's first; at most
 * TE_EVIDENCE_CERTS_MAX) and the signature of sign, into out (cap bytes).
 * *out_size is written only on OE_OK. */
oe_result_t te_evidence_build(const te_evidence_claims *c, const char *chain_pem,
                              te_evidence_sign_fn sign, void *sign_arg, uint8_t *out, size_t cap,
                              size_t *out_size) __attribute__((warn_unused_result));

/* Reads buf as evidence without checking its signature or chain.
 * OE_REPORT_PARSE_ERROR (detail says where) unless it is exactly one
 * well-formed piece of evidence.  *ev is written only on OE_OK. */
oe_result_t te_evidence_parse(const uint8_t *buf, size_t n, te_evidence *ev)
    __attribute__((warn_unused_result));

/* A set of trusted root certificates. */
typedef struct te_evidence_roots te_evidence_roots;
oe_result_t te_evidence_roots_new(te_evidence_roots **out) __attribute__((warn_unused_result));
/* Adds every certificate of pem (n bytes; at least one, else
 * OE_INVALID_PARAMETER, and then nothing is added). */
oe_result_t te_evidence_roots_add_pem(te_evidence_roots *r, const char *pem, size_t n)
    __attribute__((warn_unused_result));
size_t te_evidence_roots_count(const te_evidence_roots *r);
void te_evidence_roots_free(te_evidence_roots *r);

/* The trust anchors of a chain: its self-signed certificates (or, when it
 * has none, its last one), as PEM, into out (cap bytes, NUL-terminated;
 * *out_size without the NUL). */
oe_result_t te_evidence_chain_anchors(const char *chain_pem, char *out, size_t cap,
                                      size_t *out_size) __attribute__((warn_unused_result));

/* Parses and checks evidence: the chain must end at a certificate of one
 * of roots[0..n_roots) (NULL entries skipped), the signature must verify
 * with the first certificate's key, then pol (may be NULL) applies.
 * OE_VERIFY_FAILED: malformed, truncated, altered, not signed by a trusted
 * root, or report data other than pol requires; OE_INVALID_PARAMETER: of
 * another format than pol->format; OE_CONSTRAINT_FAILED: a debug enclave
 * under forbid_debug.  te_tee_detail() says why.  *ev (may be NULL) is
 * written only on OE_OK. */
oe_result_t te_evidence_verify(const uint8_t *buf, size_t n, const te_evidence_roots *const *roots,
                               size_t n_roots, const te_evidence_policy *pol, te_evidence *ev)
    __attribute__((warn_unused_result));

/* The subject of a DER certificate, one line (for display); "" when it
 * cannot be read. */
void te_evidence_cert_subject(const uint8_t *der, size_t n, char *out, size_t cap);

/* Turns oe_verify_evidence's policies into pol; format may be NULL.
 * OE_INVALID_PARAMETER for an unknown type or a malformed policy. */
oe_result_t te_evidence_policy_from_oe(const oe_policy_t *policies, size_t n,
                                       const oe_uuid_t *format, te_evidence_policy *pol)
    __attribute__((warn_unused_result));

/* The claims of verified evidence (docs/tee-attest.md lists them), each
 * name and value malloc'd; free with te_evidence_claims_free. */
oe_result_t te_evidence_claims_list(const te_evidence *ev, oe_claim_t **claims, size_t *n)
    __attribute__((warn_unused_result));
void te_evidence_claims_free(oe_claim_t *claims, size_t n);

/* The reference SDK's custom-claims buffer: u64 version (1), u64 count,
 * then per claim u64 name size (with the NUL), u64 value size, name,
 * value.  Deserializing accepts exactly one such list and nothing after
 * it. */
#define TE_CUSTOM_CLAIMS_MAX_COUNT 256u
#define TE_CUSTOM_CLAIMS_NAME_MAX  1024u
oe_result_t te_custom_claims_serialize(const oe_claim_t *claims, size_t n, uint8_t **out,
                                       size_t *out_size) __attribute__((warn_unused_result));
oe_result_t te_custom_claims_deserialize(const uint8_t *buf, size_t size, oe_claim_t **out,
                                         size_t *n) __attribute__((warn_unused_result));

#endif /* TE_TEE_EVIDENCE_H */
