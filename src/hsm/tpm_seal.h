/*
 * tpm_seal.h - the soft backend's master key, sealed to a TPM.
 *
 * With the soft backend's master_key_tcti setting, master_key_file holds a
 * TPM-sealed blob (the tpm backend's key file format with magic "TEMS",
 * src/hsm/backends/tpm_blob.h) instead of the raw key: a sealed data
 * object under the TPM's storage root key (ECC P-256 SRK template, empty
 * owner authorization), made from 32 random bytes of the TPM's generator.
 * A copy of the disk is then not a copy of the keys: the store opens only
 * with the TPM that sealed the key.
 */
#ifndef TRUSTEDGE_HSM_TPM_SEAL_H
#define TRUSTEDGE_HSM_TPM_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "trustedge/te_mem.h"

/* Largest sealed master key file. */
#define TE_TPM_SEAL_FILE_MAX 8192

/* Makes a new master key of key_len (1..128) random bytes from the TPM,
 * seals it, appends the file image to blob and returns the key in
 * te_secure_alloc memory (*key; free with te_secure_free). */
te_err te_tpm_seal_master(const char *tcti, size_t key_len, te_buf *blob,
			  uint8_t **key) TE_MUST_CHECK;

/* Unseals a master key file image (shown names it in errors) into
 * te_secure_alloc memory.  A file sealed by another TPM, or before the TPM
 * was cleared, is TE_ERR_TAMPERED with a message saying so. */
te_err te_tpm_unseal_master(const char *tcti, const char *shown, const uint8_t *blob,
			    size_t len, size_t key_len, uint8_t **key) TE_MUST_CHECK;

#endif
