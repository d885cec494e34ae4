/*
 * image.c - the signed enclave image: encoding (te-sign), parsing and
 * verification (the host runtime, before it runs anything).
 *
 * Layout (all integers little-endian; docs/tee-sign.md has the table):
 *   ELF bytes, unchanged | block | footer ("TEESIG01", u32 block_len,
 *   u32 version)
 * The block holds the format version, the ELF length, the properties, the
 * measurement, the signer's DER SubjectPublicKeyInfo, the signature
 * algorithm and a signature over everything in the block before its length
 * field.  Untrusted bytes are read only through the bounded reader below;
 * this file must not depend on libtrustedge (te_teecore stands alone).
 */
#include "tee/image.h"
#include "tee/tcur.h"
#include "tee/detail.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define TE_TEE_FOOTER_MAGIC   "TEESIG01"
#define TE_TEE_FOOTER_SIZE    16u
#define TE_TEE_FORMAT_VERSION 1u
#define TE_TEE_PROPS_SIZE     32u
/* version, elf_size, props, unique_id, key_len */
#define TE_TEE_BLOCK_HEAD (4u + 8u + TE_TEE_PROPS_SIZE + TE_TEE_ID_SIZE + 4u)
/* head + sig_alg + sig_len: the block without key and signature bytes */
#define TE_TEE_BLOCK_FIXED (TE_TEE_BLOCK_HEAD + 4u + 4u)
/* An RSA-3072 SPKI is 420 or 422 bytes and a P-256 one 91; the bounds keep
 * a hostile length from meaning anything. */
#define TE_TEE_KEY_MAX   2048u
#define TE_TEE_SIG_MAX   1024u
#define TE_TEE_BLOCK_MAX (TE_TEE_BLOCK_FIXED + TE_TEE_KEY_MAX + TE_TEE_SIG_MAX)
#define TE_TEE_ELF_MIN   sizeof(Elf64_Ehdr)
#define TE_TEE_LOAD_MAX  ((size_t)512 * 1024 * 1024)

#define TE_TEE_HEAP_PAGES_MAX  1048576u /* 4 GiB */
#define TE_TEE_STACK_PAGES_MAX 65536u   /* 256 MiB per thread */
#define TE_TEE_TCS_MAX         256u

/* Domain separation: neither hash input can be mistaken for the other, or
 * for anything else the same key signs.  The NUL is part of each label. */
static const char te_tee_measure_label[] = "trustedge.tee.measurement.v1";
static const char te_tee_sign_label[] = "trustedge.tee.signature.v1";

/* ---- bounded little-endian reader and writer ---- */

typedef struct te_tee_wr {
	uint8_t *p;
	size_t len;
	size_t off;
} te_tee_wr;

/* Sizes are computed before writing, so running out is a bug here. */
static void te_tee_wr_bytes(te_tee_wr *w, const void *src, size_t n)
{
	if (n > w->len - w->off)
		abort();
	if (n > 0)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

static void te_tee_wr_le(te_tee_wr *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	te_tee_wr_bytes(w, b, n);
}

/* ---- properties ---- */

static void te_tee_props_encode(const te_tee_props *p, uint8_t out[TE_TEE_PROPS_SIZE])
{
	te_tee_wr w = {out, TE_TEE_PROPS_SIZE, 0};

	te_tee_wr_le(&w, p->debug, 4);
	te_tee_wr_le(&w, p->num_heap_pages, 8);
	te_tee_wr_le(&w, p->num_stack_pages, 8);
	te_tee_wr_le(&w, p->num_tcs, 8);
	te_tee_wr_le(&w, p->product_id, 2);
	te_tee_wr_le(&w, p->security_version, 2);
}

static void te_tee_props_decode(te_tcur *r, te_tee_props *p)
{
	p->debug = (uint32_t)te_tcur_le(r, 4);
	p->num_heap_pages = te_tcur_le(r, 8);
	p->num_stack_pages = te_tcur_le(r, 8);
	p->num_tcs = te_tcur_le(r, 8);
	p->product_id = (uint16_t)te_tcur_le(r, 2);
	p->security_version = (uint16_t)te_tcur_le(r, 2);
}

oe_result_t te_tee_props_check(const te_tee_props *p)
{
	if (p->debug > 1)
		return te_tee_fail(OE_INVALID_PARAMETER, "Debug %u is not 0 or 1",
		                   (unsigned)p->debug);
	if (p->num_heap_pages < 1 || p->num_heap_pages > TE_TEE_HEAP_PAGES_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER, "NumHeapPages %llu is out of range 1..%u",
		                   (unsigned long long)p->num_heap_pages, TE_TEE_HEAP_PAGES_MAX);
	if (p->num_stack_pages < 1 || p->num_stack_pages > TE_TEE_STACK_PAGES_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER, "NumStackPages %llu is out of range 1..%u",
		                   (unsigned long long)p->num_stack_pages, TE_TEE_STACK_PAGES_MAX);
	if (p->num_tcs < 1 || p->num_tcs > TE_TEE_TCS_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER, "NumTCS %llu is out of range 1..%u",
		                   (unsigned long long)p->num_tcs, TE_TEE_TCS_MAX);
	return OE_OK;
}

/* ---- keys ---- */

const char *te_tee_sig_alg_name(uint32_t sig_alg)
{
	switch (sig_alg) {
	case TE_TEE_SIG_RSA3072_PKCS1_SHA256:
		return "RSA-3072/PKCS1-v1_5/SHA-256";
	case TE_TEE_SIG_ECDSA_P256_SHA256:
		return "EC-P256/ECDSA/SHA-256";
	default:
		return "unknown";
	}
}

static int te_tee_rsa_exponent_ok(EVP_PKEY *key)
{
	BIGNUM *e = NULL;
	int ok;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		return 0;
	ok = BN_is_word(e, 3) || BN_is_word(e, RSA_F4);
	BN_free(e);
	return ok;
}

static int te_tee_ec_is_p256(EVP_PKEY *key)
{
	char group[80];
	size_t len = 0;
	int nid;

	/* Explicit curve parameters are refused even when they spell P-256:
	 * one key must have one encoding, hence one signer id. */
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, group, sizeof(group),
	                                   &len) != 1 ||
	    strcmp(group, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
		return 0;
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &len) != 1)
		return 0;
	nid = OBJ_sn2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	return nid == NID_X9_62_prime256v1;
}

/* 0 and *sig_alg when key is one this format accepts; otherwise -1 and a
 * sentence in why. */
static int te_tee_key_classify(EVP_PKEY *key, uint32_t *sig_alg, char *why, size_t why_size)
{
	const char *type = EVP_PKEY_get0_type_name(key);

	if (EVP_PKEY_is_a(key, "RSA")) {
		int bits = EVP_PKEY_get_bits(key);

		if (bits != 3072) {
			snprintf(why, why_size, "RSA keys must be 3072 bits, this one has %d",
			         bits);
			return -1;
		}
		if (!te_tee_rsa_exponent_ok(key)) {
			snprintf(why, why_size, "RSA public exponent must be 3 or 65537");
			return -1;
		}
		*sig_alg = TE_TEE_SIG_RSA3072_PKCS1_SHA256;
		return 0;
	}
	if (EVP_PKEY_is_a(key, "EC")) {
		if (!te_tee_ec_is_p256(key)) {
			snprintf(why, why_size,
			         "EC keys must be on the named curve P-256 (prime256v1)");
			return -1;
		}
		*sig_alg = TE_TEE_SIG_ECDSA_P256_SHA256;
		return 0;
	}
	snprintf(why, why_size, "a %s key cannot sign enclaves (use RSA-3072 or EC P-256)",
	         type != NULL ? type : "unknown");
	return -1;
}

oe_result_t te_tee_key_check(struct evp_pkey_st *key, uint32_t *sig_alg)
{
	char why[128];
	uint32_t alg = 0;

	if (key == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "no signing key");
	if (te_tee_key_classify(key, &alg, why, sizeof(why)) != 0)
		return te_tee_fail(OE_INVALID_PARAMETER, "signing key refused: %s", why);
	*sig_alg = alg;
	return OE_OK;
}

/* ---- digests ---- */

static int te_tee_sha256(const uint8_t *a, size_t a_len, uint8_t out[TE_TEE_ID_SIZE])
{
	unsigned int n = 0;

	if (EVP_Digest(a, a_len, out, &n, EVP_sha256(), NULL) != 1 || n != TE_TEE_ID_SIZE)
		return -1;
	return 0;
}

/* SHA-256(label || u64 elf_size || ELF || canonical properties) */
static int te_tee_measure(const uint8_t *elf, size_t elf_size,
                          const uint8_t props[TE_TEE_PROPS_SIZE], uint8_t out[TE_TEE_ID_SIZE])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t len[8];
	te_tee_wr w = {len, sizeof(len), 0};
	unsigned int n = 0;
	int rc = -1;

	if (md == NULL)
		return -1;
	te_tee_wr_le(&w, elf_size, 8);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, te_tee_measure_label, sizeof(te_tee_measure_label)) != 1 ||
	    EVP_DigestUpdate(md, len, sizeof(len)) != 1 ||
	    EVP_DigestUpdate(md, elf, elf_size) != 1 ||
	    EVP_DigestUpdate(md, props, TE_TEE_PROPS_SIZE) != 1 ||
	    EVP_DigestFinal_ex(md, out, &n) != 1 || n != TE_TEE_ID_SIZE)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Starts a SHA-256 sign or verify over label || signed; RSA uses
 * PKCS#1 v1.5 padding (deterministic, what SGX signers use). */
static int te_tee_sig_init(EVP_MD_CTX *md, EVP_PKEY *key, uint32_t sig_alg, int sign)
{
	EVP_PKEY_CTX *pctx = NULL;
	int ok = sign ? EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key)
	              : EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key);

	if (ok != 1)
		return -1;
	if (sig_alg == TE_TEE_SIG_RSA3072_PKCS1_SHA256 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		return -1;
	return 0;
}

/* ---- ELF and footer framing ---- */

static oe_result_t te_tee_elf_check(const uint8_t *data, size_t size)
{
	if (data == NULL || size < TE_TEE_ELF_MIN)
		return te_tee_fail(OE_UNSUPPORTED_ENCLAVE_IMAGE,
		                   "not an ELF executable: %zu bytes is shorter than an ELF header",
		                   size);
	if (memcmp(data, ELFMAG, SELFMAG) != 0)
		return te_tee_fail(OE_UNSUPPORTED_ENCLAVE_IMAGE,
		                   "not an ELF executable (bad magic)");
	if (data[EI_CLASS] != ELFCLASS64)
		return te_tee_fail(OE_UNSUPPORTED_ENCLAVE_IMAGE,
		                   "not a 64-bit ELF (ELFCLASS64 required)");
	return OE_OK;
}

static int te_tee_has_footer(const uint8_t *data, size_t size)
{
	if (size < TE_TEE_ELF_MIN + TE_TEE_FOOTER_SIZE)
		return 0;
	return memcmp(data + size - TE_TEE_FOOTER_SIZE, TE_TEE_FOOTER_MAGIC, 8) == 0;
}

/* The footer's block length, bounded so that an ELF header still fits in
 * front of the block. */
static oe_result_t te_tee_footer_read(const uint8_t *data, size_t size, size_t *block_len)
{
	te_tcur r = {data, size, size - TE_TEE_FOOTER_SIZE + 8, 0};
	uint64_t len = te_tcur_le(&r, 4);
	uint64_t version = te_tcur_le(&r, 4);

	if (r.bad)
		return te_tee_fail(OE_UNEXPECTED, "footer read failed");
	if (version != TE_TEE_FORMAT_VERSION)
		return te_tee_fail(
		    OE_UNSUPPORTED_ENCLAVE_IMAGE,
		    "signature footer version %llu is not supported (this build reads %u)",
		    (unsigned long long)version, TE_TEE_FORMAT_VERSION);
	if (len < TE_TEE_BLOCK_FIXED || len > TE_TEE_BLOCK_MAX ||
	    len > size - TE_TEE_FOOTER_SIZE - TE_TEE_ELF_MIN)
		return te_tee_fail(
		    OE_VERIFY_FAILED,
		    "signature block length %llu does not fit the image (truncated or altered)",
		    (unsigned long long)len);
	*block_len = (size_t)len;
	return OE_OK;
}

oe_result_t te_tee_image_elf_part(const uint8_t *data, size_t size, size_t *elf_size)
{
	size_t block_len = 0;
	oe_result_t res = te_tee_elf_check(data, size);

	if (res != OE_OK)
		return res;
	if (!te_tee_has_footer(data, size)) {
		*elf_size = size;
		return OE_OK;
	}
	res = te_tee_footer_read(data, size, &block_len);
	if (res != OE_OK)
		return res;
	*elf_size = size - TE_TEE_FOOTER_SIZE - block_len;
	return OE_OK;
}

/* ---- verification ---- */

/* The parts of a block, pointing into the image. */
typedef struct te_tee_block {
	uint64_t version;
	uint64_t elf_size;
	const uint8_t *props_raw;
	te_tee_props props;
	const uint8_t *unique_id;
	const uint8_t *key;
	size_t key_len;
	uint32_t sig_alg;
	size_t signed_len; /* block bytes the signature covers */
	const uint8_t *sig;
	size_t sig_len;
} te_tee_block;

static oe_result_t te_tee_block_parse(const uint8_t *block, size_t len, te_tee_block *b)
{
	te_tcur r = {block, len, 0, 0};

	b->version = te_tcur_le(&r, 4);
	if (!r.bad && b->version != TE_TEE_FORMAT_VERSION)
		return te_tee_fail(
		    OE_UNSUPPORTED_ENCLAVE_IMAGE,
		    "signature block version %llu is not supported (this build reads %u)",
		    (unsigned long long)b->version, TE_TEE_FORMAT_VERSION);
	b->elf_size = te_tcur_le(&r, 8);
	b->props_raw = te_tcur_take(&r, TE_TEE_PROPS_SIZE);
	if (b->props_raw != NULL) {
		te_tcur pr = {b->props_raw, TE_TEE_PROPS_SIZE, 0, 0};
		te_tee_props_decode(&pr, &b->props);
	}
	b->unique_id = te_tcur_take(&r, TE_TEE_ID_SIZE);
	b->key_len = (size_t)te_tcur_le(&r, 4);
	if (!r.bad && (b->key_len == 0 || b->key_len > TE_TEE_KEY_MAX))
		return te_tee_fail(OE_VERIFY_FAILED, "signer key length %zu is out of range 1..%u",
		                   b->key_len, TE_TEE_KEY_MAX);
	b->key = te_tcur_take(&r, b->key_len);
	b->sig_alg = (uint32_t)te_tcur_le(&r, 4);
	b->signed_len = r.off;
	b->sig_len = (size_t)te_tcur_le(&r, 4);
	if (!r.bad && (b->sig_len == 0 || b->sig_len > TE_TEE_SIG_MAX))
		return te_tee_fail(OE_VERIFY_FAILED, "signature length %zu is out of range 1..%u",
		                   b->sig_len, TE_TEE_SIG_MAX);
	b->sig = te_tcur_take(&r, b->sig_len);
	if (r.bad || r.off != r.len)
		return te_tee_fail(
		    OE_VERIFY_FAILED,
		    "signature block is malformed: its fields do not fill its %zu bytes exactly",
		    len);
	return OE_OK;
}

/* Decodes the embedded key; it must be canonical DER so that the signer
 * id (a hash of these bytes) names exactly one key. */
static oe_result_t te_tee_key_decode(const uint8_t *der, size_t len, EVP_PKEY **key)
{
	const unsigned char *p = der;
	unsigned char *again = NULL;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);
	int n;

	if (k == NULL || p != der + len) {
		EVP_PKEY_free(k);
		return te_tee_fail(OE_VERIFY_FAILED,
		                   "signer key is not a DER SubjectPublicKeyInfo");
	}
	n = i2d_PUBKEY(k, &again);
	if (n < 0 || (size_t)n != len || memcmp(again, der, len) != 0) {
		OPENSSL_free(again);
		EVP_PKEY_free(k);
		return te_tee_fail(OE_VERIFY_FAILED, "signer key is not canonical DER");
	}
	OPENSSL_free(again);
	*key = k;
	return OE_OK;
}

static oe_result_t te_tee_sig_verify(EVP_PKEY *key, const te_tee_block *b, const uint8_t *block)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	oe_result_t res;

	if (md == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory verifying the signature");
	if (te_tee_sig_init(md, key, b->sig_alg, 0) != 0 ||
	    EVP_DigestVerifyUpdate(md, te_tee_sign_label, sizeof(te_tee_sign_label)) != 1 ||
	    EVP_DigestVerifyUpdate(md, block, b->signed_len) != 1) {
		res = te_tee_fail(OE_CRYPTO_ERROR, "could not set up signature verification");
		goto out;
	}
	if (EVP_DigestVerifyFinal(md, b->sig, b->sig_len) != 1) {
		res = te_tee_fail(
		    OE_VERIFY_FAILED,
		    "signature does not verify with the signer key in the image (altered block)");
		goto out;
	}
	res = OE_OK;
out:
	EVP_MD_CTX_free(md);
	return res;
}

/* Verifies data in place; on OE_OK fills every field of *img except data
 * and size. */
static oe_result_t te_tee_image_check(const uint8_t *data, size_t size, te_tee_image *img)
{
	te_tee_block b;
	const uint8_t *block;
	size_t block_len = 0, elf_size;
	uint8_t measured[TE_TEE_ID_SIZE];
	EVP_PKEY *key = NULL;
	uint32_t key_alg = 0;
	char why[128];
	oe_result_t res = te_tee_elf_check(data, size);

	if (res != OE_OK)
		return res;
	if (!te_tee_has_footer(data, size))
		return te_tee_fail(OE_UNSUPPORTED_ENCLAVE_IMAGE,
		                   "image is not signed: run te-sign");
	res = te_tee_footer_read(data, size, &block_len);
	if (res != OE_OK)
		return res;
	elf_size = size - TE_TEE_FOOTER_SIZE - block_len;
	block = data + elf_size;
	memset(&b, 0, sizeof(b));
	res = te_tee_block_parse(block, block_len, &b);
	if (res != OE_OK)
		return res;
	if (b.elf_size != elf_size)
		return te_tee_fail(
		    OE_VERIFY_FAILED,
		    "signature block says the ELF is %llu bytes, the image holds %zu",
		    (unsigned long long)b.elf_size, elf_size);
	res = te_tee_key_decode(b.key, b.key_len, &key);
	if (res != OE_OK)
		return res;
	if (te_tee_key_classify(key, &key_alg, why, sizeof(why)) != 0) {
		res = te_tee_fail(OE_VERIFY_FAILED, "signer key is not accepted: %s", why);
		goto out;
	}
	if (key_alg != b.sig_alg) {
		res = te_tee_fail(
		    OE_VERIFY_FAILED,
		    "signature algorithm %u does not match the signer key (%s expected)",
		    (unsigned)b.sig_alg, te_tee_sig_alg_name(key_alg));
		goto out;
	}
	if (te_tee_measure(data, elf_size, b.props_raw, measured) != 0) {
		res = te_tee_fail(OE_CRYPTO_ERROR, "could not compute the measurement");
		goto out;
	}
	if (CRYPTO_memcmp(measured, b.unique_id, TE_TEE_ID_SIZE) != 0) {
		res = te_tee_fail(
		    OE_VERIFY_FAILED,
		    "measurement does not match: the ELF or its signed properties were altered");
		goto out;
	}
	res = te_tee_sig_verify(key, &b, block);
	if (res != OE_OK)
		goto out;
	/* Only an authentic image gets as far as a range complaint. */
	res = te_tee_props_check(&b.props);
	if (res != OE_OK)
		goto out;
	if (te_tee_sha256(b.key, b.key_len, img->signer_id) != 0) {
		res = te_tee_fail(OE_CRYPTO_ERROR, "could not hash the signer key");
		goto out;
	}
	img->elf_size = elf_size;
	img->props = b.props;
	memcpy(img->unique_id, measured, TE_TEE_ID_SIZE);
	img->sig_alg = b.sig_alg;
	res = OE_OK;
out:
	if (res != OE_OK)
		ERR_clear_error();
	EVP_PKEY_free(key);
	return res;
}

oe_result_t te_tee_image_verify(const uint8_t *data, size_t size, te_tee_image *img)
{
	te_tee_image tmp;
	oe_result_t res;

	memset(&tmp, 0, sizeof(tmp));
	res = te_tee_image_check(data, size, &tmp);
	if (res != OE_OK)
		return res;
	tmp.data = malloc(size);
	if (tmp.data == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory copying the image");
	memcpy(tmp.data, data, size);
	tmp.size = size;
	*img = tmp;
	return OE_OK;
}

static oe_result_t te_tee_read_fd(int fd, const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t len, got = 0;

	if (fstat(fd, &st) != 0)
		return te_tee_fail(OE_READ_FAILED, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return te_tee_fail(OE_INVALID_PARAMETER, "%s: not a regular file", path);
	if (st.st_size < 0 || (uint64_t)st.st_size > TE_TEE_LOAD_MAX)
		return te_tee_fail(OE_UNSUPPORTED_ENCLAVE_IMAGE, "%s: larger than %zu MiB", path,
		                   TE_TEE_LOAD_MAX >> 20);
	len = (size_t)st.st_size;
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "%s: out of memory", path);
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return te_tee_fail(OE_READ_FAILED, "%s: %s", path,
			                   n < 0 ? strerror(errno)
			                         : "file shrank while it was read");
		}
		got += (size_t)n;
	}
	*data = buf;
	*size = len;
	return OE_OK;
}

oe_result_t te_tee_image_load(const char *path, te_tee_image *img)
{
	te_tee_image tmp;
	uint8_t *data = NULL;
	size_t size = 0;
	oe_result_t res;
	int fd;

	if (path == NULL || img == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "no image path");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return te_tee_fail(errno == ENOENT ? OE_NOT_FOUND : OE_READ_FAILED, "%s: %s", path,
		                   strerror(errno));
	res = te_tee_read_fd(fd, path, &data, &size);
	close(fd);
	if (res != OE_OK)
		return res;
	memset(&tmp, 0, sizeof(tmp));
	res = te_tee_image_check(data, size, &tmp);
	if (res != OE_OK) {
		free(data);
		return res;
	}
	tmp.data = data;
	tmp.size = size;
	*img = tmp;
	return OE_OK;
}

void te_tee_image_free(te_tee_image *img)
{
	if (img == NULL)
		return;
	free(img->data);
	memset(img, 0, sizeof(*img));
}

/* ---- signing ---- */

/* The signed part of the block: version .. sig_alg. */
static oe_result_t te_tee_block_head(size_t elf_size, const uint8_t props[TE_TEE_PROPS_SIZE],
                                     const uint8_t unique_id[TE_TEE_ID_SIZE], const uint8_t *spki,
                                     size_t spki_len, uint32_t sig_alg, uint8_t **out,
                                     size_t *out_len)
{
	size_t len = TE_TEE_BLOCK_HEAD + spki_len + 4;
	uint8_t *buf = malloc(len);
	te_tee_wr w = {buf, len, 0};

	if (buf == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory building the signature block");
	te_tee_wr_le(&w, TE_TEE_FORMAT_VERSION, 4);
	te_tee_wr_le(&w, elf_size, 8);
	te_tee_wr_bytes(&w, props, TE_TEE_PROPS_SIZE);
	te_tee_wr_bytes(&w, unique_id, TE_TEE_ID_SIZE);
	te_tee_wr_le(&w, spki_len, 4);
	te_tee_wr_bytes(&w, spki, spki_len);
	te_tee_wr_le(&w, sig_alg, 4);
	*out = buf;
	*out_len = len;
	return OE_OK;
}

static oe_result_t te_tee_sig_make(EVP_PKEY *key, uint32_t sig_alg, const uint8_t *head,
                                   size_t head_len, uint8_t **sig, size_t *sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = NULL;
	size_t len = 0;
	oe_result_t res;

	if (md == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory signing");
	if (te_tee_sig_init(md, key, sig_alg, 1) != 0 ||
	    EVP_DigestSignUpdate(md, te_tee_sign_label, sizeof(te_tee_sign_label)) != 1 ||
	    EVP_DigestSignUpdate(md, head, head_len) != 1 ||
	    EVP_DigestSignFinal(md, NULL, &len) != 1 || len == 0 || len > TE_TEE_SIG_MAX) {
		res = te_tee_fail(OE_CRYPTO_ERROR,
		                  "could not sign with the key (is it a private key?)");
		goto out;
	}
	buf = malloc(len);
	if (buf == NULL) {
		res = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory signing");
		goto out;
	}
	if (EVP_DigestSignFinal(md, buf, &len) != 1) {
		res = te_tee_fail(OE_CRYPTO_ERROR, "signing failed");
		goto out;
	}
	*sig = buf;
	*sig_len = len;
	buf = NULL;
	res = OE_OK;
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return res;
}

oe_result_t te_tee_image_sign(const uint8_t *elf, size_t elf_size, const te_tee_props *props,
                              struct evp_pkey_st *key, uint8_t **out, size_t *out_size)
{
	uint8_t props_raw[TE_TEE_PROPS_SIZE], unique_id[TE_TEE_ID_SIZE];
	uint8_t *spki = NULL, *head = NULL, *sig = NULL, *img = NULL;
	size_t head_len = 0, sig_len = 0, total = 0;
	uint32_t sig_alg = 0;
	te_tee_image check;
	te_tee_wr w;
	int spki_len;
	oe_result_t res = te_tee_elf_check(elf, elf_size);

	if (res != OE_OK)
		return res;
	if (te_tee_has_footer(elf, elf_size))
		return te_tee_fail(OE_INVALID_PARAMETER,
		                   "input is already signed: sign its ELF part");
	res = te_tee_props_check(props);
	if (res != OE_OK)
		return res;
	res = te_tee_key_check(key, &sig_alg);
	if (res != OE_OK)
		return res;
	spki_len = i2d_PUBKEY(key, &spki);
	if (spki_len <= 0 || (size_t)spki_len > TE_TEE_KEY_MAX) {
		res = te_tee_fail(OE_CRYPTO_ERROR, "could not encode the public key");
		goto out;
	}
	te_tee_props_encode(props, props_raw);
	if (te_tee_measure(elf, elf_size, props_raw, unique_id) != 0) {
		res = te_tee_fail(OE_CRYPTO_ERROR, "could not compute the measurement");
		goto out;
	}
	res = te_tee_block_head(elf_size, props_raw, unique_id, spki, (size_t)spki_len, sig_alg,
	                        &head, &head_len);
	if (res != OE_OK)
		goto out;
	res = te_tee_sig_make(key, sig_alg, head, head_len, &sig, &sig_len);
	if (res != OE_OK)
		goto out;
	if (elf_size > SIZE_MAX - TE_TEE_BLOCK_MAX - TE_TEE_FOOTER_SIZE) {
		res = te_tee_fail(OE_INTEGER_OVERFLOW, "ELF too large");
		goto out;
	}
	total = elf_size + head_len + 4 + sig_len + TE_TEE_FOOTER_SIZE;
	img = malloc(total);
	if (img == NULL) {
		res = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory building the signed image");
		goto out;
	}
	w = (te_tee_wr){img, total, 0};
	te_tee_wr_bytes(&w, elf, elf_size);
	te_tee_wr_bytes(&w, head, head_len);
	te_tee_wr_le(&w, sig_len, 4);
	te_tee_wr_bytes(&w, sig, sig_len);
	te_tee_wr_bytes(&w, TE_TEE_FOOTER_MAGIC, 8);
	te_tee_wr_le(&w, head_len + 4 + sig_len, 4);
	te_tee_wr_le(&w, TE_TEE_FORMAT_VERSION, 4);
	/* Check our own output the way a loader will: a fault while signing
	 * must not leave an image (or a signature) that does not verify. */
	memset(&check, 0, sizeof(check));
	res = te_tee_image_check(img, total, &check);
	if (res != OE_OK) {
		char why[200];

		snprintf(why, sizeof(why), "%s", te_tee_detail());
		res = te_tee_fail(OE_UNEXPECTED, "the image just signed does not verify: %s", why);
		goto out;
	}
	*out = img;
	*out_size = total;
	img = NULL;
	res = OE_OK;
out:
	if (res != OE_OK)
		ERR_clear_error();
	free(img);
	free(sig);
	free(head);
	OPENSSL_free(spki);
	return res;
}
