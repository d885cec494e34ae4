// dispatcher.h - the state of one enclave of the sample (its key pair,
// its attestation state, the other enclave's key once attested) and the
// ECALLs' work.
#pragma once

#include <openenclave/enclave.h>

#include <vector>

#include "attestation.h"
#include "crypto.h"

struct format_settings_t;
struct pem_key_t;
struct evidence_t;
struct message_t;

class Dispatcher
{
  public:
    explicit Dispatcher(const char* name, const char* peer_name);

    int get_enclave_format_settings(
        const oe_uuid_t* format_id,
        format_settings_t* format_settings);
    int get_evidence_with_public_key(
        const oe_uuid_t* format_id,
        format_settings_t* format_settings,
        pem_key_t* pem_key,
        evidence_t* evidence);
    int verify_evidence_and_set_public_key(
        const oe_uuid_t* format_id,
        pem_key_t* pem_key,
        evidence_t* evidence);
    int generate_encrypted_message(message_t* message);
    int process_encrypted_message(message_t* message);

  private:
    const char* m_name;
    const char* m_peer_name;
    Crypto m_crypto;
    Attestation m_attestation;
    std::vector<uint8_t> m_peer_key; // PEM, set once the peer attested
};
