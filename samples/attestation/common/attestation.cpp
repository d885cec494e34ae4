// attestation.cpp - evidence with a custom claim, and its checks, with the
// attester and verifier API (openenclave/attestation/*.h) and the
// trustedge policies (openenclave/trustedge.h).
#include "attestation.h"

#include <openenclave/attestation/attester.h>
#include <openenclave/attestation/custom_claims.h>
#include <openenclave/attestation/sgx/evidence.h>
#include <openenclave/attestation/verifier.h>
#include <openenclave/trustedge.h>

#include <string.h>

#include "crypto.h"
#include "log.h"

static const char claim_event[] = "event";
static const char claim_key_hash[] = "public key hash";

static const oe_claim_t* find_claim(const oe_claim_t* claims, size_t n, const char* name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(claims[i].name, name) == 0)
            return &claims[i];
    return nullptr;
}

bool Attestation::get_format_settings(
    const oe_uuid_t* format_id,
    std::vector<uint8_t>& settings)
{
    uint8_t* buffer = nullptr;
    size_t size = 0;

    if (oe_verifier_initialize() != OE_OK ||
        oe_verifier_get_format_settings(format_id, &buffer, &size) != OE_OK)
    {
        TRACE_ENCLAVE("oe_verifier_get_format_settings failed");
        return false;
    }
    settings.assign(buffer, buffer + size);
    oe_verifier_free_format_settings(buffer);
    // The remote format has no settings: a challenge of our own, so that
    // old evidence cannot be replayed to us either.
    if (settings.empty())
    {
        settings.resize(32);
        if (oe_random(settings.data(), settings.size()) != OE_OK)
            return false;
    }
    m_challenge = settings;
    return true;
}

bool Attestation::generate_attestation_evidence(
    const oe_uuid_t* format_id,
    const uint8_t* settings,
    size_t settings_size,
    const uint8_t* data,
    size_t data_size,
    std::vector<uint8_t>& evidence)
{
    static char event_name[sizeof(claim_event)];
    static char hash_name[sizeof(claim_key_hash)];
    static uint8_t event_value[] = "attestation sample";
    uint8_t hash[32];
    oe_claim_t claims[2];
    uint8_t* custom_claims = nullptr;
    size_t custom_claims_size = 0;
    uint8_t* buffer = nullptr;
    size_t size = 0;
    oe_result_t result;

    if (!Crypto::sha256(data, data_size, hash))
        return false;
    memcpy(event_name, claim_event, sizeof(claim_event));
    memcpy(hash_name, claim_key_hash, sizeof(claim_key_hash));
    claims[0].name = event_name;
    claims[0].value = event_value;
    claims[0].value_size = sizeof(event_value);
    claims[1].name = hash_name;
    claims[1].value = hash;
    claims[1].value_size = sizeof(hash);
    if (oe_attester_initialize() != OE_OK ||
        oe_serialize_custom_claims(claims, 2, &custom_claims, &custom_claims_size) != OE_OK)
    {
        TRACE_ENCLAVE("oe_serialize_custom_claims failed");
        return false;
    }
    // The verifier's settings (its challenge) become the report data.
    result = oe_get_evidence(
        format_id,
        0,
        custom_claims,
        custom_claims_size,
        settings,
        settings_size,
        &buffer,
        &size,
        nullptr,
        nullptr);
    oe_free_serialized_custom_claims(custom_claims);
    if (result != OE_OK)
    {
        TRACE_ENCLAVE("oe_get_evidence failed: %s", oe_result_str(result));
        return false;
    }
    evidence.assign(buffer, buffer + size);
    oe_free_evidence(buffer);
    return true;
}

bool Attestation::own_signer_id(uint8_t signer_id[OE_SIGNER_ID_SIZE])
{
    uint8_t* report = nullptr;
    size_t size = 0;
    oe_report_t parsed;
    bool ok = oe_get_report(0, nullptr, 0, nullptr, 0, &report, &size) == OE_OK &&
              oe_parse_report(report, size, &parsed) == OE_OK;

    if (ok)
        memcpy(signer_id, parsed.identity.signer_id, OE_SIGNER_ID_SIZE);
    oe_free_report(report);
    return ok;
}

bool Attestation::attest_attestation_evidence(
    const oe_uuid_t* format_id,
    const uint8_t* evidence,
    size_t evidence_size,
    const uint8_t* data,
    size_t data_size)
{
    std::vector<uint8_t> challenge;
    oe_policy_t policies[2];
    oe_claim_t* claims = nullptr;
    size_t claims_length = 0;
    oe_claim_t* custom = nullptr;
    size_t custom_length = 0;
    const oe_claim_t* claim;
    uint8_t signer_id[OE_SIGNER_ID_SIZE], hash[32];
    oe_result_t result;
    bool ok = false;

    // A challenge answers once: keep it for this check, forget it here.
    challenge.swap(m_challenge);
    if (challenge.empty())
    {
        TRACE_ENCLAVE("no challenge outstanding: refusing the evidence");
        return false;
    }
    if (!oe_is_within_enclave(evidence, evidence_size))
        return false;
    policies[0].type = TE_POLICY_REPORT_DATA;
    policies[0].policy = challenge.data();
    policies[0].policy_size = challenge.size();
    policies[1].type = TE_POLICY_FORBID_DEBUG;
    policies[1].policy = nullptr;
    policies[1].policy_size = 0;
    result = oe_verify_evidence(
        format_id,
        evidence,
        evidence_size,
        nullptr,
        0,
        policies,
        2,
        &claims,
        &claims_length);
    if (result != OE_OK)
    {
        TRACE_ENCLAVE("oe_verify_evidence refused the evidence: %s", oe_result_str(result));
        goto out;
    }
    // Who: our own signer, product 1, security version 1 or later.
    claim = find_claim(claims, claims_length, OE_CLAIM_SIGNER_ID);
    if (!claim || claim->value_size != OE_SIGNER_ID_SIZE || !own_signer_id(signer_id) ||
        memcmp(claim->value, signer_id, OE_SIGNER_ID_SIZE) != 0)
    {
        TRACE_ENCLAVE("signer_id check failed");
        goto out;
    }
    claim = find_claim(claims, claims_length, OE_CLAIM_PRODUCT_ID);
    if (!claim || claim->value_size != OE_PRODUCT_ID_SIZE || claim->value[0] != 1)
    {
        TRACE_ENCLAVE("product_id check failed");
        goto out;
    }
    claim = find_claim(claims, claims_length, OE_CLAIM_SECURITY_VERSION);
    if (!claim || claim->value_size != sizeof(uint32_t) || claim->value[0] < 1)
    {
        TRACE_ENCLAVE("security_version check failed");
        goto out;
    }
    // What the evidence says it is: emulated, and by which root.
    claim = find_claim(claims, claims_length, OE_CLAIM_TRUSTEDGE_EMULATED);
    if (claim && claim->value_size == 1 && claim->value[0])
    {
        const oe_claim_t* dev =
            find_claim(claims, claims_length, OE_CLAIM_TRUSTEDGE_DEVELOPER_ROOT);

        TRACE_ENCLAVE(
            "the evidence is emulated (trustedge), signed by %s",
            dev && dev->value_size == 1 && dev->value[0] ? "a developer root"
                                                         : "a device root");
    }
    // The data: its hash must be the custom claim.
    claim = find_claim(claims, claims_length, OE_CLAIM_CUSTOM_CLAIMS_BUFFER);
    if (!claim || !Crypto::sha256(data, data_size, hash) ||
        oe_deserialize_custom_claims(claim->value, claim->value_size, &custom, &custom_length) !=
            OE_OK)
    {
        TRACE_ENCLAVE("no custom claims");
        goto out;
    }
    claim = find_claim(custom, custom_length, claim_key_hash);
    if (!claim || claim->value_size != sizeof(hash) || memcmp(claim->value, hash, sizeof(hash)) != 0)
    {
        TRACE_ENCLAVE("the public key's hash does not match the custom claim");
        goto out;
    }
    ok = true;
out:
    oe_free_custom_claims(custom, custom_length);
    oe_free_claims(claims, claims_length);
    oe_verifier_shutdown();
    oe_attester_shutdown();
    return ok;
}
