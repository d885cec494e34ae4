// dispatcher.cpp - the ECALLs' work.  Buffers handed back through [out]
// structs are malloc'd here; the generated code sends and frees them.
#include "dispatcher.h"

#include <openssl/err.h>

#include <stdlib.h>
#include <string.h>

#include "attestation_t.h"
#include "log.h"

// A malloc'd copy of v (NULL for empty), for an [out] struct member.
static uint8_t* copy_out(const std::vector<uint8_t>& v)
{
    uint8_t* p;

    if (v.empty())
        return nullptr;
    p = (uint8_t*)malloc(v.size());
    if (p)
        memcpy(p, v.data(), v.size());
    return p;
}

Dispatcher::Dispatcher(const char* name, const char* peer_name)
    : m_name(name), m_peer_name(peer_name)
{
}

int Dispatcher::get_enclave_format_settings(
    const oe_uuid_t* format_id,
    format_settings_t* format_settings)
{
    std::vector<uint8_t> settings;

    if (!m_attestation.get_format_settings(format_id, settings))
        return 1;
    format_settings->buffer = copy_out(settings);
    format_settings->size = settings.size();
    if (!settings.empty() && !format_settings->buffer)
        return 1;
    TRACE_ENCLAVE("issued a %zu-byte challenge", settings.size());
    return 0;
}

int Dispatcher::get_evidence_with_public_key(
    const oe_uuid_t* format_id,
    format_settings_t* format_settings,
    pem_key_t* pem_key,
    evidence_t* evidence)
{
    std::vector<uint8_t> ev;
    const std::vector<uint8_t>& pem = m_crypto.public_key_pem();

    if (!m_crypto.init())
    {
        TRACE_ENCLAVE("cannot make a key pair: %s", ERR_error_string(ERR_get_error(), nullptr));
        return 1;
    }
    if (!m_attestation.generate_attestation_evidence(
            format_id,
            format_settings->buffer,
            format_settings->size,
            pem.data(),
            pem.size(),
            ev))
        return 1;
    pem_key->buffer = copy_out(pem);
    pem_key->size = pem.size();
    evidence->buffer = copy_out(ev);
    evidence->size = ev.size();
    if (!pem_key->buffer || !evidence->buffer)
        return 1;
    TRACE_ENCLAVE("evidence (%zu bytes) binds my public key", ev.size());
    return 0;
}

int Dispatcher::verify_evidence_and_set_public_key(
    const oe_uuid_t* format_id,
    pem_key_t* pem_key,
    evidence_t* evidence)
{
    if (!m_attestation.attest_attestation_evidence(
            format_id, evidence->buffer, evidence->size, pem_key->buffer, pem_key->size))
    {
        TRACE_ENCLAVE("%s's evidence refused", m_peer_name);
        return 1;
    }
    m_peer_key.assign(pem_key->buffer, pem_key->buffer + pem_key->size);
    TRACE_ENCLAVE("attested %s; keeping its public key", m_peer_name);
    return 0;
}

int Dispatcher::generate_encrypted_message(message_t* message)
{
    std::vector<uint8_t> out;
    char text[128];
    int n = snprintf(text, sizeof(text), "Hello %s, this is %s", m_peer_name, m_name);

    if (m_peer_key.empty())
    {
        TRACE_ENCLAVE("%s has not attested yet", m_peer_name);
        return 1;
    }
    if (n <= 0 ||
        !m_crypto.encrypt(
            m_peer_key.data(), m_peer_key.size(), (const uint8_t*)text, (size_t)n, out))
        return 1;
    message->data = copy_out(out);
    message->size = out.size();
    return message->data ? 0 : 1;
}

int Dispatcher::process_encrypted_message(message_t* message)
{
    std::vector<uint8_t> out;

    if (!m_crypto.decrypt(message->data, message->size, out))
    {
        TRACE_ENCLAVE("cannot decrypt the message");
        return 1;
    }
    TRACE_ENCLAVE(
        "decrypted a message from %s: %.*s", m_peer_name, (int)out.size(), (const char*)out.data());
    return 0;
}
