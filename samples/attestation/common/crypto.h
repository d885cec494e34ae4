// crypto.h - the enclave's RSA key pair (made inside the enclave, never
// leaves it) and the operations the sample needs, with OpenSSL.
#pragma once

#include <openssl/evp.h>

#include <stddef.h>
#include <stdint.h>

#include <vector>

class Crypto
{
  public:
    Crypto();
    ~Crypto();
    // Makes the key pair on first use (not in a constructor: the enclave
    // is only fully running once its ECALLs are served).
    bool init();

    // This enclave's public key, PEM (with its NUL, as the reference's
    // sample passes it).
    const std::vector<uint8_t>& public_key_pem() const { return m_pem; }

    // RSA-OAEP (SHA-256) to the key in pem; decryption with our own key.
    bool encrypt(
        const uint8_t* pem,
        size_t pem_size,
        const uint8_t* data,
        size_t size,
        std::vector<uint8_t>& out);
    bool decrypt(const uint8_t* data, size_t size, std::vector<uint8_t>& out);

    static bool sha256(const uint8_t* data, size_t size, uint8_t hash[32]);

  private:
    Crypto(const Crypto&);
    Crypto& operator=(const Crypto&);
    EVP_PKEY* m_key;
    std::vector<uint8_t> m_pem;
};
