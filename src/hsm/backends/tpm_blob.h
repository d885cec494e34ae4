/*
 * tpm_blob.h - the tpm backend's key file format (version 1), and what a
 * trustedge TPM object looks like (templates and the checks of a stored
 * public area against them).
 *
 *   offset size  field (integers big-endian)
 *   0      4     magic: "TETK" a key, "TEMS" the soft backend's sealed master key
 *   4      1     format version (1)
 *   5      1     key type (te_hsm_key_type; 0 in a master key file)
 *   6      1     flags: bit 0 = exportable, other bits must be 0
 *   7      1     usage bits (TE_HSM_USAGE_*), other bits must be 0
 *   8      4     parent: persistent handle, or 0 for the SRK template
 *   12     2     N, length of the parent's TPM Name (1..68)
 *   14     N     the parent's Name (hash algorithm + digest of its public area)
 *   14+N   2     P, length of the public part (1..sizeof(TPM2B_PUBLIC))
 *   16+N   P     TPM2B_PUBLIC, as tss2-mu marshals it
 *   16+N+P 2     Q, length of the private part
 *   18+N+P Q     TPM2B_PRIVATE, as tss2-mu marshals it (TPM-wrapped)
 *
 * Nothing in the file is secret: the private part is encrypted and
 * integrity-protected by the TPM under the parent, which checks both parts
 * on TPM2_Load (the Name of the public area is bound into the private
 * part's integrity value).  The header is bound too: each object's
 * authPolicy is the SHA-256 of the magic, type, flags, usage and key name
 * (te_tpm_blob_policy), so an edited header or a file renamed to another
 * key's name no longer matches the public area the TPM authenticated.
 * No policy session can reach such a digest, so it authorizes nothing;
 * the objects are used with their (empty) authValue.
 */
#ifndef TRUSTEDGE_HSM_TPM_BLOB_H
#define TRUSTEDGE_HSM_TPM_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "trustedge/te_hsm.h"

#define TE_TPM_BLOB_VERSION 1
#define TE_TPM_BLOB_MAX 8192
#define TE_TPM_KEY_SUFFIX ".tpmkey"

typedef enum te_tpm_blob_kind {
	TE_TPM_BLOB_KEY,    /* "TETK" */
	TE_TPM_BLOB_MASTER, /* "TEMS" */
} te_tpm_blob_kind;

typedef struct te_tpm_blob {
	te_hsm_key_type type;
	uint32_t usage;
	int exportable;
	uint32_t parent; /* persistent handle, 0 = SRK template */
	TPM2B_NAME parent_name;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
} te_tpm_blob;

/* 1 when the key is kept as a sealed data object that is unsealed for
 * use (AES keys, exportable HMAC keys, the master key), 0 when the TPM
 * uses it itself. */
int te_tpm_blob_sealed(te_tpm_blob_kind kind, te_hsm_key_type type, int exportable);

/* The authPolicy digest that binds a header and a key name to an object. */
void te_tpm_blob_policy(te_tpm_blob_kind kind, const char *name, te_hsm_key_type type,
			uint32_t usage, int exportable, TPM2B_DIGEST *out);

/*
 * The template of a new object: attributes, parameters and authPolicy for
 * the kind, type, usage and exportable flag.  generated != 0 lets the TPM
 * make the secret (sensitiveDataOrigin); 0 when the caller supplies it.
 */
te_err te_tpm_blob_template(te_tpm_blob_kind kind, const char *name, te_hsm_key_type type,
			    uint32_t usage, int exportable, int generated,
			    TPM2B_PUBLIC *out) TE_MUST_CHECK;

/* Serialises b; appends the file image to out. */
te_err te_tpm_blob_encode(te_tpm_blob_kind kind, const te_tpm_blob *b,
			  te_buf *out) TE_MUST_CHECK;

/*
 * Parses a file image of key `name` (untrusted) and checks that the
 * public area is what te_tpm_blob_template makes for the header and the
 * name.  Errors name the key: TE_ERR_TRUNCATED, TE_ERR_MALFORMED (bad
 * magic, version, field or length) or TE_ERR_TAMPERED (the header or name
 * does not match the public area).  The TPM authenticates the public and
 * private parts themselves when the blob is loaded.
 */
te_err te_tpm_blob_decode(te_tpm_blob_kind kind, const char *name, const uint8_t *file,
			  size_t len, te_tpm_blob *out) TE_MUST_CHECK;

#endif
