/*
 * tpm_blob.c - the tpm backend's key files and object templates (format in
 * tpm_blob.h).  The template a key is made from and the check a stored
 * public area must pass live side by side here, so they cannot drift.
 */
#include <string.h>

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "common/te_cursor.h"
#include "hsm/backends/tpm_blob.h"

#define HDR_LEN 14
#define FLAG_EXPORTABLE 0x01u
#define USAGE_ALL (TE_HSM_USAGE_SIGN | TE_HSM_USAGE_ENCRYPT | TE_HSM_USAGE_DERIVE)
#define ATTR_FIXED (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT)
/* Attributes a trustedge object never has. */
#define ATTR_NEVER                                                                       \
	(TPMA_OBJECT_STCLEAR | TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_ENCRYPTEDDUPLICATION | \
	 TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_RESERVED1_MASK | TPMA_OBJECT_RESERVED2_MASK |     \
	 TPMA_OBJECT_RESERVED3_MASK | TPMA_OBJECT_RESERVED4_MASK | TPMA_OBJECT_RESERVED5_MASK)

static const char *magic_of(te_tpm_blob_kind kind)
{
	return kind == TE_TPM_BLOB_MASTER ? "TEMS" : "TETK";
}

int te_tpm_blob_sealed(te_tpm_blob_kind kind, te_hsm_key_type type, int exportable)
{
	return kind == TE_TPM_BLOB_MASTER || type == TE_HSM_KEY_AES_256_GCM ||
	       (type == TE_HSM_KEY_HMAC_SHA256 && exportable);
}

void te_tpm_blob_policy(te_tpm_blob_kind kind, const char *name, te_hsm_key_type type,
			uint32_t usage, int exportable, TPM2B_DIGEST *out)
{
	static const char label[] = "trustedge tpm blob v1";
	uint8_t hdr[7];
	unsigned int n = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	memcpy(hdr, magic_of(kind), 4);
	hdr[4] = (uint8_t)type;
	hdr[5] = exportable ? FLAG_EXPORTABLE : 0;
	hdr[6] = (uint8_t)usage;
	memset(out, 0, sizeof(*out));
	/* SHA-256 cannot fail on valid input; a failed allocation leaves an
	 * empty digest, which no stored object matches. */
	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, label, sizeof(label)) == 1 &&
	    EVP_DigestUpdate(md, hdr, sizeof(hdr)) == 1 &&
	    EVP_DigestUpdate(md, name, strlen(name)) == 1 &&
	    EVP_DigestFinal_ex(md, out->buffer, &n) == 1)
		out->size = (UINT16)n;
	EVP_MD_CTX_free(md);
}

/* Usage bits a key type may carry (the same rules as the soft backend). */
static int usage_ok(te_tpm_blob_kind kind, te_hsm_key_type type, uint32_t usage)
{
	if (kind == TE_TPM_BLOB_MASTER)
		return type == TE_HSM_KEY_NONE && usage == 0;
	if (usage == 0 || (usage & ~USAGE_ALL))
		return 0;
	switch (type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
		return usage == TE_HSM_USAGE_SIGN;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		return (usage & TE_HSM_USAGE_DERIVE) == 0;
	case TE_HSM_KEY_HMAC_SHA256:
		return (usage & TE_HSM_USAGE_ENCRYPT) == 0;
	case TE_HSM_KEY_AES_256_GCM:
		return usage == TE_HSM_USAGE_ENCRYPT;
	default:
		return 0;
	}
}

static TPMA_OBJECT use_attrs(te_tpm_blob_kind kind, te_hsm_key_type type, uint32_t usage,
			     int exportable)
{
	if (te_tpm_blob_sealed(kind, type, exportable))
		return 0; /* a data object: only TPM2_Unseal applies */
	switch (type) {
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		return ((usage & TE_HSM_USAGE_SIGN) ? TPMA_OBJECT_SIGN_ENCRYPT : 0) |
		       ((usage & TE_HSM_USAGE_ENCRYPT) ? TPMA_OBJECT_DECRYPT : 0);
	default:
		/* EC signs; HMAC keys sign, and derivation is an HMAC too. */
		return TPMA_OBJECT_SIGN_ENCRYPT;
	}
}

te_err te_tpm_blob_template(te_tpm_blob_kind kind, const char *name, te_hsm_key_type type,
			    uint32_t usage, int exportable, int generated, TPM2B_PUBLIC *out)
{
	TPMT_PUBLIC *p = &out->publicArea;

	if (!usage_ok(kind, type, usage))
		return te_err_set(TE_ERR_INVALID_ARG, "usage 0x%x does not fit a %s key", usage,
				  te_hsm_key_type_name(type));
	memset(out, 0, sizeof(*out));
	p->nameAlg = TPM2_ALG_SHA256;
	/* noDA: the objects' authValue is empty, so the dictionary-attack
	 * logic protects nothing, and keys keep working while other users'
	 * failures hold the TPM in lockout. */
	p->objectAttributes = ATTR_FIXED | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
			      use_attrs(kind, type, usage, exportable) |
			      (generated ? TPMA_OBJECT_SENSITIVEDATAORIGIN : 0);
	te_tpm_blob_policy(kind, name, type, usage, exportable, &p->authPolicy);
	if (te_tpm_blob_sealed(kind, type, exportable)) {
		p->type = TPM2_ALG_KEYEDHASH;
		p->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
		return TE_OK;
	}
	switch (type) {
	case TE_HSM_KEY_EC_P256:
	case TE_HSM_KEY_EC_P384:
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.curveID =
			type == TE_HSM_KEY_EC_P256 ? TPM2_ECC_NIST_P256 : TPM2_ECC_NIST_P384;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		return TE_OK;
	case TE_HSM_KEY_RSA_2048:
	case TE_HSM_KEY_RSA_3072:
	case TE_HSM_KEY_RSA_4096:
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		/* No fixed scheme: each operation names PSS, PKCS#1 or OAEP. */
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = type == TE_HSM_KEY_RSA_2048   ? 2048
						  : type == TE_HSM_KEY_RSA_3072 ? 3072
										: 4096;
		p->parameters.rsaDetail.exponent = 0;
		return TE_OK;
	case TE_HSM_KEY_HMAC_SHA256:
		p->type = TPM2_ALG_KEYEDHASH;
		p->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
		p->parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
		return TE_OK;
	default:
		return te_err_set(TE_ERR_UNSUPPORTED, "no TPM template for %s keys",
				  te_hsm_key_type_name(type));
	}
}

te_err te_tpm_blob_encode(te_tpm_blob_kind kind, const te_tpm_blob *b, te_buf *out)
{
	te_err rc = TE_OK;
	uint8_t hdr[HDR_LEN], pub[sizeof(TPM2B_PUBLIC)], priv[sizeof(TPM2B_PRIVATE)];
	uint8_t len[2];
	size_t npub = 0, npriv = 0;

	TE_ENSURE(b->parent_name.size > 0 && b->parent_name.size <= sizeof(b->parent_name.name),
		  TE_ERR_INTERNAL, "parent name missing");
	TE_ENSURE(Tss2_MU_TPM2B_PUBLIC_Marshal(&b->pub, pub, sizeof(pub), &npub) ==
			  TSS2_RC_SUCCESS &&
		      Tss2_MU_TPM2B_PRIVATE_Marshal(&b->priv, priv, sizeof(priv), &npriv) ==
			  TSS2_RC_SUCCESS,
		  TE_ERR_INTERNAL, "cannot marshal a TPM object");
	memcpy(hdr, magic_of(kind), 4);
	hdr[4] = TE_TPM_BLOB_VERSION;
	hdr[5] = (uint8_t)b->type;
	hdr[6] = b->exportable ? FLAG_EXPORTABLE : 0;
	hdr[7] = (uint8_t)b->usage;
	hdr[8] = (uint8_t)(b->parent >> 24);
	hdr[9] = (uint8_t)(b->parent >> 16);
	hdr[10] = (uint8_t)(b->parent >> 8);
	hdr[11] = (uint8_t)b->parent;
	hdr[12] = (uint8_t)(b->parent_name.size >> 8);
	hdr[13] = (uint8_t)b->parent_name.size;
	TE_GUARD(te_buf_append(out, hdr, sizeof(hdr)));
	TE_GUARD(te_buf_append(out, b->parent_name.name, b->parent_name.size));
	len[0] = (uint8_t)(npub >> 8);
	len[1] = (uint8_t)npub;
	TE_GUARD(te_buf_append(out, len, 2));
	TE_GUARD(te_buf_append(out, pub, npub));
	len[0] = (uint8_t)(npriv >> 8);
	len[1] = (uint8_t)npriv;
	TE_GUARD(te_buf_append(out, len, 2));
	TE_GUARD(te_buf_append(out, priv, npriv));
out:
	return rc;
}

/* The public area must be the one te_tpm_blob_template makes for the
 * header and name (for imported keys: with fixedTPM and fixedParent
 * clear, as TPM2_Import requires). */
static te_err public_check(te_tpm_blob_kind kind, const char *name, const te_tpm_blob *b)
{
	const TPMT_PUBLIC *p = &b->pub.publicArea;
	TPM2B_PUBLIC want;
	TPMA_OBJECT got = p->objectAttributes, mask;
	te_err rc = te_tpm_blob_template(kind, name, b->type, b->usage, b->exportable, 0, &want);
	const TPMT_PUBLIC *w = &want.publicArea;
	int asym = w->type == TPM2_ALG_RSA || w->type == TPM2_ALG_ECC;

	if (rc != TE_OK)
		return te_err_set(TE_ERR_MALFORMED, "key '%s': header names %s with usage 0x%x, "
				  "which no trustedge key has", name,
				  te_hsm_key_type_name(b->type), b->usage);
	if (p->authPolicy.size != w->authPolicy.size ||
	    memcmp(p->authPolicy.buffer, w->authPolicy.buffer, w->authPolicy.size) != 0)
		return te_err_set(TE_ERR_TAMPERED,
				  "key '%s': the file's header or name does not match the key the "
				  "TPM holds (the header was edited, or the file was copied or "
				  "renamed from another key)",
				  name);
	mask = ATTR_NEVER | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
	       TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT;
	if (p->nameAlg != TPM2_ALG_SHA256 || p->type != w->type ||
	    (got & mask) != (w->objectAttributes & mask) ||
	    ((got & ATTR_FIXED) != ATTR_FIXED && !(asym && (got & ATTR_FIXED) == 0)))
		goto mismatch;
	switch (p->type) {
	case TPM2_ALG_ECC:
		if (p->parameters.eccDetail.curveID != w->parameters.eccDetail.curveID ||
		    p->parameters.eccDetail.scheme.scheme != TPM2_ALG_NULL ||
		    p->parameters.eccDetail.symmetric.algorithm != TPM2_ALG_NULL ||
		    p->parameters.eccDetail.kdf.scheme != TPM2_ALG_NULL)
			goto mismatch;
		break;
	case TPM2_ALG_RSA:
		if (p->parameters.rsaDetail.keyBits != w->parameters.rsaDetail.keyBits ||
		    p->parameters.rsaDetail.scheme.scheme != TPM2_ALG_NULL ||
		    p->parameters.rsaDetail.symmetric.algorithm != TPM2_ALG_NULL ||
		    p->unique.rsa.size != w->parameters.rsaDetail.keyBits / 8)
			goto mismatch;
		break;
	case TPM2_ALG_KEYEDHASH:
		if (p->parameters.keyedHashDetail.scheme.scheme !=
			    w->parameters.keyedHashDetail.scheme.scheme ||
		    (p->parameters.keyedHashDetail.scheme.scheme == TPM2_ALG_HMAC &&
		     p->parameters.keyedHashDetail.scheme.details.hmac.hashAlg != TPM2_ALG_SHA256))
			goto mismatch;
		break;
	default:
		goto mismatch;
	}
	return TE_OK;
mismatch:
	return te_err_set(TE_ERR_TAMPERED,
			  "key '%s': the TPM object in the file is not the %s key its header "
			  "says (type, parameters or attributes differ)",
			  name, b->type ? te_hsm_key_type_name(b->type) : "sealed");
}

/* Reads a 16-bit length and that many bytes. */
static te_err cursor_part(te_cursor *c, size_t max, const uint8_t **p, size_t *n)
{
	te_err rc = TE_OK;
	uint16_t len = 0;

	TE_GUARD(te_cursor_u16be(c, &len));
	TE_ENSURE(len > 0 && len <= max, TE_ERR_MALFORMED, "length %u out of range", len);
	TE_GUARD(te_cursor_view(c, len, p));
	*n = len;
out:
	return rc;
}

te_err te_tpm_blob_decode(te_tpm_blob_kind kind, const char *name, const uint8_t *file,
			  size_t len, te_tpm_blob *out)
{
	te_err rc = TE_OK;
	te_cursor c;
	uint8_t magic[4], version = 0, type = 0, flags = 0, usage = 0;
	const uint8_t *p = NULL;
	size_t n = 0, off = 0;
	te_tpm_blob b;

	memset(&b, 0, sizeof(b));
	te_cursor_init(&c, file, len);
	if (te_cursor_copy(&c, magic, 4) != TE_OK || te_cursor_u8(&c, &version) != TE_OK ||
	    te_cursor_u8(&c, &type) != TE_OK || te_cursor_u8(&c, &flags) != TE_OK ||
	    te_cursor_u8(&c, &usage) != TE_OK || te_cursor_u32be(&c, &b.parent) != TE_OK)
		goto truncated;
	TE_ENSURE(memcmp(magic, magic_of(kind), 4) == 0, TE_ERR_MALFORMED,
		  "key '%s': not a trustedge TPM %s file (bad magic)", name,
		  kind == TE_TPM_BLOB_MASTER ? "sealed master key" : "key");
	TE_ENSURE(version == TE_TPM_BLOB_VERSION, TE_ERR_MALFORMED,
		  "key '%s': file format version %u is not supported (expected %d)", name, version,
		  TE_TPM_BLOB_VERSION);
	TE_ENSURE(type < TE_HSM_KEY__COUNT && (flags & ~FLAG_EXPORTABLE) == 0 &&
			  (usage & ~USAGE_ALL) == 0,
		  TE_ERR_MALFORMED, "key '%s': bad type, flags or usage in the header", name);
	b.type = (te_hsm_key_type)type;
	b.exportable = flags & FLAG_EXPORTABLE;
	b.usage = usage;
	TE_ENSURE(usage_ok(kind, b.type, b.usage), TE_ERR_MALFORMED,
		  "key '%s': header names %s with usage 0x%x, which no trustedge key has", name,
		  te_hsm_key_type_name(b.type), b.usage);
	TE_ENSURE(b.parent == 0 || (b.parent & 0xff000000u) == 0x81000000u, TE_ERR_MALFORMED,
		  "key '%s': parent 0x%08x is not a persistent handle", name, b.parent);

	if (cursor_part(&c, sizeof(b.parent_name.name), &p, &n) != TE_OK)
		goto part;
	memcpy(b.parent_name.name, p, n);
	b.parent_name.size = (UINT16)n;
	if (cursor_part(&c, sizeof(TPM2B_PUBLIC), &p, &n) != TE_OK)
		goto part;
	TE_ENSURE(Tss2_MU_TPM2B_PUBLIC_Unmarshal(p, n, &off, &b.pub) == TSS2_RC_SUCCESS &&
			  off == n,
		  TE_ERR_MALFORMED, "key '%s': the public part does not parse", name);
	if (cursor_part(&c, sizeof(TPM2B_PRIVATE), &p, &n) != TE_OK)
		goto part;
	off = 0;
	TE_ENSURE(Tss2_MU_TPM2B_PRIVATE_Unmarshal(p, n, &off, &b.priv) == TSS2_RC_SUCCESS &&
			  off == n && b.priv.size > 0,
		  TE_ERR_MALFORMED, "key '%s': the private part does not parse", name);
	if (te_cursor_expect_end(&c) != TE_OK) {
		rc = te_err_set(TE_ERR_MALFORMED, "key '%s': %zu bytes of trailing garbage", name,
				te_cursor_remaining(&c));
		goto out;
	}
	TE_GUARD(public_check(kind, name, &b));
	*out = b;
	goto out;
part:
	if (c.failed)
		goto truncated;
	rc = te_err_set(TE_ERR_MALFORMED, "key '%s': a length field at byte %zu is out of range",
			name, te_cursor_offset(&c) - 2);
	goto out;
truncated:
	rc = te_err_set(TE_ERR_TRUNCATED, "key '%s': file truncated (%zu bytes)", name, len);
out:
	return rc;
}
