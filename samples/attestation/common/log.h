// log.h - what an enclave of this sample prints goes to the host's
// stdout (printf inside an enclave is an OCALL of syscall.edl).
#pragma once

#include <stdio.h>

#define TRACE_ENCLAVE(fmt, ...) printf("%s: " fmt "\n", enclave_name, ##__VA_ARGS__)

// Set by each enclave's ecalls.cpp.
extern const char* enclave_name;
