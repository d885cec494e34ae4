// crypto.cpp - RSA-2048 key pair, RSA-OAEP and SHA-256 with OpenSSL,
// inside the enclave.
#include "crypto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

Crypto::Crypto() : m_key(nullptr)
{
}

bool Crypto::init()
{
    BIO* bio;
    char* data = nullptr;
    long n = 0;

    if (m_key)
        return true;
    m_key = EVP_RSA_gen(2048);
    bio = BIO_new(BIO_s_mem());
    if (m_key && bio && PEM_write_bio_PUBKEY(bio, m_key) == 1)
        n = BIO_get_mem_data(bio, &data);
    if (n > 0)
    {
        m_pem.assign(data, data + n);
        m_pem.push_back('\0');
    }
    else
    {
        EVP_PKEY_free(m_key);
        m_key = nullptr;
    }
    BIO_free(bio);
    return m_key != nullptr;
}

Crypto::~Crypto()
{
    EVP_PKEY_free(m_key);
}

static bool oaep(EVP_PKEY_CTX* ctx)
{
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1;
}

bool Crypto::encrypt(
    const uint8_t* pem,
    size_t pem_size,
    const uint8_t* data,
    size_t size,
    std::vector<uint8_t>& out)
{
    BIO* bio = BIO_new_mem_buf(pem, (int)pem_size);
    EVP_PKEY* peer = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    EVP_PKEY_CTX* ctx = peer ? EVP_PKEY_CTX_new(peer, nullptr) : nullptr;
    size_t n = 0;
    bool ok = ctx && EVP_PKEY_encrypt_init(ctx) == 1 && oaep(ctx) &&
              EVP_PKEY_encrypt(ctx, nullptr, &n, data, size) == 1;

    if (ok)
    {
        out.resize(n);
        ok = EVP_PKEY_encrypt(ctx, out.data(), &n, data, size) == 1;
        out.resize(ok ? n : 0);
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    BIO_free(bio);
    return ok;
}

bool Crypto::decrypt(const uint8_t* data, size_t size, std::vector<uint8_t>& out)
{
    EVP_PKEY_CTX* ctx = m_key ? EVP_PKEY_CTX_new(m_key, nullptr) : nullptr;
    size_t n = 0;
    bool ok = ctx && EVP_PKEY_decrypt_init(ctx) == 1 && oaep(ctx) &&
              EVP_PKEY_decrypt(ctx, nullptr, &n, data, size) == 1;

    if (ok)
    {
        out.resize(n);
        ok = EVP_PKEY_decrypt(ctx, out.data(), &n, data, size) == 1;
        out.resize(ok ? n : 0);
    }
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

bool Crypto::sha256(const uint8_t* data, size_t size, uint8_t hash[32])
{
    unsigned int n = 0;

    return EVP_Digest(data, size, hash, &n, EVP_sha256(), nullptr) == 1 && n == 32;
}
