// host.cpp - creates enclave_a and enclave_b, has each attest to the other
// with the format asked for on the command line (sgxlocal: the SGX local
// attestation id; sgxremote: the SGX ECDSA id; trustedge answers both with
// emulated evidence), then carries an encrypted message each way.  The
// host only relays: it never sees the enclaves' private keys or messages.
#include <openenclave/attestation/sgx/evidence.h>
#include <openenclave/host.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attestation_u.h"

static oe_uuid_t sgx_local_uuid = {OE_FORMAT_UUID_SGX_LOCAL_ATTESTATION};
static oe_uuid_t sgx_remote_uuid = {OE_FORMAT_UUID_SGX_ECDSA};

static oe_enclave_t* create_enclave(const char* path)
{
    oe_enclave_t* enclave = NULL;
    oe_result_t result =
        oe_create_attestation_enclave(path, OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0, &enclave);

    if (result != OE_OK)
    {
        printf(
            "Host: oe_create_attestation_enclave(%s) failed: %s (%s)\n",
            path,
            oe_result_str(result),
            oe_last_error_detail());
        return NULL;
    }
    return enclave;
}

// Both results of an ECALL: the call's and the function's.
static bool ok(const char* what, oe_result_t result, int ret)
{
    if (result == OE_OK && ret == 0)
        return true;
    printf(
        "Host: %s failed: %s, returned %d%s%s\n",
        what,
        oe_result_str(result),
        ret,
        result != OE_OK ? ": " : "",
        result != OE_OK ? oe_last_error_detail() : "");
    return false;
}

// attester proves itself to verifier and hands over its public key.  With
// replay set, verifier then issues a new challenge and is shown the same
// evidence again: it must refuse it (made for the old challenge).
static bool attest(
    const oe_uuid_t* format_id,
    const char* attester_name,
    oe_enclave_t* attester,
    const char* verifier_name,
    oe_enclave_t* verifier,
    bool replay)
{
    format_settings_t settings = {NULL, 0};
    pem_key_t pem_key = {NULL, 0};
    evidence_t evidence = {NULL, 0};
    oe_result_t result;
    int ret = 1;
    bool good = false;

    printf("Host: asking %s for a challenge to %s\n", verifier_name, attester_name);
    result = get_enclave_format_settings(verifier, &ret, format_id, &settings);
    if (!ok("get_enclave_format_settings", result, ret))
        goto out;
    result = get_evidence_with_public_key(
        attester, &ret, format_id, &settings, &pem_key, &evidence);
    if (!ok("get_evidence_with_public_key", result, ret))
        goto out;
    printf(
        "Host: %s's evidence: %zu bytes, its public key:\n%s",
        attester_name,
        evidence.size,
        (const char*)pem_key.buffer);
    result = verify_evidence_and_set_public_key(verifier, &ret, format_id, &pem_key, &evidence);
    if (!ok("verify_evidence_and_set_public_key", result, ret))
        goto out;
    printf("Host: %s attested to %s\n", attester_name, verifier_name);
    if (replay)
    {
        // A new challenge: the old evidence answers the old one only.
        free(settings.buffer);
        settings.buffer = NULL;
        result = get_enclave_format_settings(verifier, &ret, format_id, &settings);
        if (!ok("get_enclave_format_settings", result, ret))
            goto out;
        result =
            verify_evidence_and_set_public_key(verifier, &ret, format_id, &pem_key, &evidence);
        if (result != OE_OK || ret == 0)
        {
            printf("Host: replayed evidence was accepted: this is a bug\n");
            goto out;
        }
        printf("Host: replayed evidence refused by %s, as it should be\n", verifier_name);
    }
    good = true;
out:
    free(settings.buffer);
    free(pem_key.buffer);
    free(evidence.buffer);
    return good;
}

static bool send_message(
    const char* from_name,
    oe_enclave_t* from,
    const char* to_name,
    oe_enclave_t* to)
{
    message_t message = {NULL, 0};
    oe_result_t result;
    int ret = 1;
    bool good = false;

    result = generate_encrypted_message(from, &ret, &message);
    if (!ok("generate_encrypted_message", result, ret))
        goto out;
    printf(
        "Host: carrying %zu encrypted bytes from %s to %s\n", message.size, from_name, to_name);
    result = process_encrypted_message(to, &ret, &message);
    if (!ok("process_encrypted_message", result, ret))
        goto out;
    good = true;
out:
    free(message.data);
    return good;
}

int main(int argc, const char* argv[])
{
    oe_enclave_t* enclave_a = NULL;
    oe_enclave_t* enclave_b = NULL;
    const oe_uuid_t* format_id = NULL;
    const char* format_name = NULL;
    int ret = 1;

    // Line by line, so the host's lines and the enclaves' (written by the
    // runtime for them) come out in order.
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 4)
    {
        printf("Usage: %s sgxlocal|sgxremote ENCLAVE_A ENCLAVE_B\n", argv[0]);
        return 1;
    }
    if (strcmp(argv[1], "sgxlocal") == 0)
    {
        format_id = &sgx_local_uuid;
        format_name = "local";
    }
    else if (strcmp(argv[1], "sgxremote") == 0)
    {
        format_id = &sgx_remote_uuid;
        format_name = "remote";
    }
    else
    {
        printf("Host: unknown format '%s' (sgxlocal or sgxremote)\n", argv[1]);
        return 1;
    }

    printf("Host: creating two enclaves (%s attestation)\n", format_name);
    enclave_a = create_enclave(argv[2]);
    enclave_b = create_enclave(argv[3]);
    if (!enclave_a || !enclave_b)
        goto out;

    if (!attest(format_id, "enclave_a", enclave_a, "enclave_b", enclave_b, true) ||
        !attest(format_id, "enclave_b", enclave_b, "enclave_a", enclave_a, false))
        goto out;
    printf("Host: %s attestation: both enclaves attested each other\n", format_name);

    if (!send_message("enclave_a", enclave_a, "enclave_b", enclave_b) ||
        !send_message("enclave_b", enclave_b, "enclave_a", enclave_a))
        goto out;
    ret = 0;
out:
    if (enclave_a)
        oe_terminate_enclave(enclave_a);
    if (enclave_b)
        oe_terminate_enclave(enclave_b);
    printf("Host: %s %s\n", format_name ? format_name : "", ret == 0 ? "succeeded" : "failed");
    return ret;
}
