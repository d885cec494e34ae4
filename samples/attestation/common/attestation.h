// attestation.h - one enclave's side of attestation: make evidence that
// binds data (a public key) to this enclave, and check another enclave's.
#pragma once

#include <openenclave/enclave.h>

#include <stddef.h>
#include <stdint.h>

#include <vector>

class Attestation
{
  public:
    // As a verifier: the settings an attester must use for format_id.
    // For trustedge they carry a fresh challenge (the local format's
    // settings are one; for the remote format the sample makes one), kept
    // here until the attester's evidence comes back.
    bool get_format_settings(const oe_uuid_t* format_id, std::vector<uint8_t>& settings);

    // As an attester: evidence for format_id whose custom claims hold the
    // SHA-256 of data; settings are the verifier's.
    bool generate_attestation_evidence(
        const oe_uuid_t* format_id,
        const uint8_t* settings,
        size_t settings_size,
        const uint8_t* data,
        size_t data_size,
        std::vector<uint8_t>& evidence);

    // As a verifier: the evidence must verify, answer our challenge (once),
    // come from a non-debug enclave of our own signer and product 1 (svn
    // >= 1), and its custom claims must hold the SHA-256 of data.
    bool attest_attestation_evidence(
        const oe_uuid_t* format_id,
        const uint8_t* evidence,
        size_t evidence_size,
        const uint8_t* data,
        size_t data_size);

  private:
    bool own_signer_id(uint8_t signer_id[OE_SIGNER_ID_SIZE]);
    std::vector<uint8_t> m_challenge;
};
