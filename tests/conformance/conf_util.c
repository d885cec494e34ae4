/* conf_util.c - OpenSSL and openssl(1) cross-checks (see conf_util.h). */
#include "conf_util.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "testutil.h"

EVP_PKEY *cu_keygen(te_hsm_key_type type)
{
	switch (type) {
	case TE_HSM_KEY_EC_P256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case TE_HSM_KEY_EC_P384:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case TE_HSM_KEY_RSA_2048:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case TE_HSM_KEY_RSA_3072:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	case TE_HSM_KEY_RSA_4096:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	case TE_HSM_KEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	default:
		return NULL;
	}
}

const EVP_MD *cu_alg_md(te_hsm_alg alg)
{
	switch (alg) {
	case TE_HSM_ALG_ECDSA_SHA256:
	case TE_HSM_ALG_RSA_PSS_SHA256:
	case TE_HSM_ALG_RSA_PKCS1_SHA256:
	case TE_HSM_ALG_HMAC_SHA256:
		return EVP_sha256();
	case TE_HSM_ALG_ECDSA_SHA384:
		return EVP_sha384();
	default:
		return NULL;
	}
}

int cu_digest(te_hsm_alg alg, const void *msg, size_t len, uint8_t *out, size_t *out_len)
{
	const EVP_MD *md = cu_alg_md(alg);
	unsigned int n = 0;

	if (md == NULL || EVP_Digest(msg, len, out, &n, md, NULL) != 1)
		return 0;
	*out_len = n;
	return 1;
}

/* Sets the RSA padding an algorithm implies on a sign/verify context. */
static int set_padding(EVP_PKEY_CTX *pctx, te_hsm_alg alg)
{
	if (alg == TE_HSM_ALG_RSA_PSS_SHA256)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	if (alg == TE_HSM_ALG_RSA_PKCS1_SHA256)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	return 1;
}

int cu_verify(EVP_PKEY *pkey, te_hsm_alg alg, const void *msg, size_t len, const uint8_t *sig,
              size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (ctx == NULL)
		return 0;
	if (EVP_DigestVerifyInit(ctx, &pctx, cu_alg_md(alg), NULL, pkey) == 1 &&
	    set_padding(pctx, alg))
		ok = EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

int cu_sign(EVP_PKEY *pkey, te_hsm_alg alg, const void *msg, size_t len, uint8_t **sig,
            size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;
	int ok = 0;

	if (ctx == NULL)
		return 0;
	if (EVP_DigestSignInit(ctx, &pctx, cu_alg_md(alg), NULL, pkey) != 1 ||
	    !set_padding(pctx, alg) || EVP_DigestSign(ctx, NULL, &n, msg, len) != 1)
		goto out;
	buf = malloc(n);
	if (buf == NULL || EVP_DigestSign(ctx, buf, &n, msg, len) != 1)
		goto out;
	*sig = buf;
	*sig_len = n;
	buf = NULL;
	ok = 1;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return ok;
}

int cu_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len, uint8_t out[32])
{
	size_t n = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, msg, len, out, 32, &n) ==
	    NULL)
		return 0;
	return n == 32;
}

int cu_gcm_decrypt(const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t in_len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t tag[16];
	size_t ct_len;
	int n = 0, ok = 0;

	if (in_len < 16 || in_len - 16 > (size_t)INT32_MAX || aad_len > (size_t)INT32_MAX)
		return 0;
	ct_len = in_len - 16;
	memcpy(tag, in + ct_len, 16);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return 0;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv) != 1)
		goto out;
	if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (ct_len > 0 && EVP_DecryptUpdate(ctx, out, &n, in, (int)ct_len) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	ok = EVP_DecryptFinal_ex(ctx, out + ct_len, &n) == 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* One RSA-OAEP-SHA256 operation; encrypt selects the direction. */
static int oaep(EVP_PKEY *pkey, int encrypt, const void *in, size_t len, uint8_t **out,
                size_t *out_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	uint8_t *buf = NULL;
	size_t n = 0;
	int ok = 0;

	if (ctx == NULL)
		return 0;
	if ((encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0)
		goto out;
	if ((encrypt ? EVP_PKEY_encrypt(ctx, NULL, &n, in, len)
	             : EVP_PKEY_decrypt(ctx, NULL, &n, in, len)) != 1)
		goto out;
	buf = malloc(n + 1);
	if (buf == NULL)
		goto out;
	if ((encrypt ? EVP_PKEY_encrypt(ctx, buf, &n, in, len)
	             : EVP_PKEY_decrypt(ctx, buf, &n, in, len)) != 1)
		goto out;
	*out = buf;
	*out_len = n;
	buf = NULL;
	ok = 1;
out:
	free(buf);
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

int cu_oaep_encrypt(EVP_PKEY *pkey, const void *in, size_t len, uint8_t **out, size_t *out_len)
{
	return oaep(pkey, 1, in, len, out, out_len);
}

int cu_oaep_decrypt(EVP_PKEY *pkey, const void *in, size_t len, uint8_t **out, size_t *out_len)
{
	return oaep(pkey, 0, in, len, out, out_len);
}

EVP_PKEY *cu_pub_from_pem(const void *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey;

	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return pkey;
}

EVP_PKEY *cu_pub_from_der(const void *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);

	/* Trailing bytes after the SubjectPublicKeyInfo are not a valid export. */
	if (pkey != NULL && p != (const unsigned char *)der + len) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

int cu_pub_der(EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int n = i2d_PUBKEY(pkey, &buf);

	if (n <= 0)
		return 0;
	*der = buf;
	*len = (size_t)n;
	return 1;
}

EVP_PKEY *cu_priv_from_pem(const void *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey;

	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return pkey;
}

/* Copies a memory BIO's contents into a malloc'd buffer. */
static int bio_take(BIO *bio, uint8_t **out, size_t *len)
{
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);
	uint8_t *buf;

	if (n <= 0)
		return 0;
	buf = malloc((size_t)n);
	if (buf == NULL)
		return 0;
	memcpy(buf, p, (size_t)n);
	*out = buf;
	*len = (size_t)n;
	return 1;
}

int cu_priv_encode(EVP_PKEY *pkey, cu_key_format fmt, uint8_t **out, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	int ok = 0, n;

	if (bio == NULL)
		return 0;
	switch (fmt) {
	case CU_PKCS8_PEM:
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
		     bio_take(bio, out, len);
		break;
	case CU_TRAD_PEM:
		ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL) ==
		         1 &&
		     bio_take(bio, out, len);
		break;
	case CU_PKCS8_DER:
		ok = i2d_PKCS8PrivateKey_bio(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
		     bio_take(bio, out, len);
		break;
	case CU_TRAD_DER:
		n = i2d_PrivateKey(pkey, &der);
		if (n > 0) {
			*out = malloc((size_t)n);
			if (*out != NULL) {
				memcpy(*out, der, (size_t)n);
				*len = (size_t)n;
				ok = 1;
			}
		}
		OPENSSL_free(der);
		break;
	default:
		break;
	}
	BIO_free(bio);
	return ok;
}

int cu_cli_verify(const char *workdir, te_hsm_alg alg, const void *pub_pem, size_t pem_len,
                  const void *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	char *pub = tu_path(workdir, "pub.pem");
	char *data = tu_path(workdir, "data.bin");
	char *sigf = tu_path(workdir, "sig.bin");
	int rc = -1;

	if (tu_write_file(pub, pub_pem, pem_len) != 0 || tu_write_file(data, msg, len) != 0 ||
	    tu_write_file(sigf, sig, sig_len) != 0)
		goto out;
	if (alg == TE_HSM_ALG_ED25519) {
		char *argv[] = {"openssl", "pkeyutl", "-verify", "-pubin",   "-inkey", pub,
		                "-rawin",  "-in",     data,      "-sigfile", sigf,     NULL};
		rc = tu_run(argv);
	} else if (alg == TE_HSM_ALG_RSA_PSS_SHA256) {
		char *argv[] = {"openssl",
		                "dgst",
		                "-sha256",
		                "-sigopt",
		                "rsa_padding_mode:pss",
		                "-sigopt",
		                "rsa_pss_saltlen:digest",
		                "-verify",
		                pub,
		                "-signature",
		                sigf,
		                data,
		                NULL};
		rc = tu_run(argv);
	} else {
		char *md = alg == TE_HSM_ALG_ECDSA_SHA384 ? "-sha384" : "-sha256";
		char *argv[] = {"openssl",    "dgst", md,   "-verify", pub,
		                "-signature", sigf,   data, NULL};
		rc = tu_run(argv);
	}
	/* 127: exec failed in the child, so openssl did not answer. */
	if (rc == 127)
		rc = -1;
out:
	free(pub);
	free(data);
	free(sigf);
	return rc;
}
