// ecalls.cpp - enclave_b: the EDL's ECALLs, answered by the dispatcher
// (common/) under this enclave's name.
#include "attestation_t.h"
#include "dispatcher.h"

const char* enclave_name = "enclave_b";

// Made on first use, not by a global constructor: an enclave's first ECALL
// may arrive before its global constructors have all run.
static Dispatcher& dispatcher()
{
    static Dispatcher d("enclave_b", "enclave_a");
    return d;
}

int get_enclave_format_settings(const oe_uuid_t* format_id, format_settings_t* format_settings)
{
    return dispatcher().get_enclave_format_settings(format_id, format_settings);
}

int get_evidence_with_public_key(
    const oe_uuid_t* format_id,
    format_settings_t* format_settings,
    pem_key_t* pem_key,
    evidence_t* evidence)
{
    return dispatcher().get_evidence_with_public_key(format_id, format_settings, pem_key, evidence);
}

int verify_evidence_and_set_public_key(
    const oe_uuid_t* format_id,
    pem_key_t* pem_key,
    evidence_t* evidence)
{
    return dispatcher().verify_evidence_and_set_public_key(format_id, pem_key, evidence);
}

int generate_encrypted_message(message_t* message)
{
    return dispatcher().generate_encrypted_message(message);
}

int process_encrypted_message(message_t* message)
{
    return dispatcher().process_encrypted_message(message);
}
