#!/bin/sh
# conformance.sh TE_CONFORMANCE - the HSM conformance suite on the tpm
# backend, against the swtpm that with_swtpm.sh started.
set -eu
exec "$1" tpm tcti="$TE_TPM_TCTI" state_dir="$TE_TPM_WORK/keys"
