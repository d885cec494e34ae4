/*
 * tpm_seal.c - seals and unseals the soft backend's master key with a TPM
 * (see tpm_seal.h), through the connection the tpm backend shares.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <tss2/tss2_rc.h>

#include "hsm/backends/tpm_blob.h"
#include "hsm/backends/tpm_conn.h"
#include "hsm/backends/tpm_err.h"
#include "hsm/tpm_seal.h"

/* The name bound into the sealed object's authPolicy. */
#define MASTER_NAME "soft-master-key"

te_err te_tpm_seal_master(const char *tcti, size_t key_len, te_buf *blob, uint8_t **key)
{
	te_err rc = TE_OK;
	te_tpm_conn *c = NULL;
	ESYS_CONTEXT *esys;
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_DIGEST *rnd = NULL;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcr;
	ESYS_TR parent = ESYS_TR_NONE;
	uint8_t *k = NULL;
	te_tpm_blob b;
	TSS2_RC r;
	int locked = 0;

	memset(&sens, 0, sizeof(sens));
	memset(&outside, 0, sizeof(outside));
	memset(&pcr, 0, sizeof(pcr));
	memset(&b, 0, sizeof(b));
	TE_ENSURE(tcti != NULL && tcti[0] != '\0', TE_ERR_CONFIG, "setting 'master_key_tcti' is empty");
	TE_ENSURE(key_len > 0 && key_len <= sizeof(rnd->buffer) &&
			  key_len <= sizeof(sens.sensitive.data.buffer),
		  TE_ERR_INVALID_ARG, "master key length %zu out of range", key_len);
	TE_GUARD(te_tpm_blob_template(TE_TPM_BLOB_MASTER, MASTER_NAME, TE_HSM_KEY_NONE, 0, 0, 0,
				      &tmpl));
	TE_GUARD(te_tpm_conn_open(tcti, &c));
	esys = te_tpm_conn_esys(c);
	te_tpm_conn_lock(c);
	locked = 1;
	TE_GUARD(te_tpm_conn_parent(c, 0, NULL, &parent, &b.parent_name));
	r = Esys_GetRandom(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, (UINT16)key_len, &rnd);
	if (r != TSS2_RC_SUCCESS) {
		rnd = NULL;
		rc = te_tpm_err(r, tcti, "TPM2_GetRandom for the master key failed");
		goto out;
	}
	TE_ENSURE(rnd->size == key_len, TE_ERR_CRYPTO, "TPM2_GetRandom returned %u bytes",
		  (unsigned)rnd->size);
	memcpy(sens.sensitive.data.buffer, rnd->buffer, key_len);
	sens.sensitive.data.size = (UINT16)key_len;
	do
		r = Esys_Create(esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
				&tmpl, &outside, &pcr, &priv, &pub, NULL, NULL, NULL);
	while (te_tpm_conn_retry(c, r, &parent, 1));
	if (r != TSS2_RC_SUCCESS) {
		rc = te_tpm_err(r, tcti, "cannot seal the master key to the TPM (TPM2_Create)");
		goto out;
	}
	b.pub = *pub;
	b.priv = *priv;
	TE_GUARD(te_tpm_blob_encode(TE_TPM_BLOB_MASTER, &b, blob));
	k = te_secure_alloc(key_len);
	TE_ENSURE(k != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
	memcpy(k, sens.sensitive.data.buffer, key_len);
	*key = k;
out:
	if (locked)
		te_tpm_conn_unlock(c);
	te_memzero(&sens, sizeof(sens));
	if (rnd != NULL) {
		te_memzero(rnd, sizeof(*rnd));
		Esys_Free(rnd);
	}
	Esys_Free(pub);
	Esys_Free(priv);
	te_tpm_conn_close(c);
	return rc;
}

te_err te_tpm_unseal_master(const char *tcti, const char *shown, const uint8_t *blob,
			    size_t len, size_t key_len, uint8_t **key)
{
	te_err rc = TE_OK;
	te_tpm_conn *c = NULL;
	TPM2B_SENSITIVE_DATA *data = NULL;
	TPM2B_NAME srk;
	ESYS_TR parent = ESYS_TR_NONE, tr = ESYS_TR_NONE;
	uint8_t id[32];
	unsigned int idlen = 0;
	uint8_t *k = NULL;
	char what[600];
	te_tpm_blob b;
	TSS2_RC r;
	int locked = 0;

	snprintf(what, sizeof(what), "master key file '%s'", shown);
	TE_ENSURE(tcti != NULL && tcti[0] != '\0', TE_ERR_CONFIG, "setting 'master_key_tcti' is empty");
	TE_ENSURE(len != key_len, TE_ERR_CONFIG,
		  "%s holds a raw %zu-byte key, not one sealed to a TPM: it was made without "
		  "master_key_tcti.  Drop master_key_tcti, or move the keys to a new store "
		  "that has it",
		  what, key_len);
	rc = te_tpm_blob_decode(TE_TPM_BLOB_MASTER, MASTER_NAME, blob, len, &b);
	if (rc != TE_OK) {
		rc = te_err_set(rc, "%s (sealed to a TPM: master_key_tcti is set): %s", what,
				te_err_detail());
		goto out;
	}
	TE_ENSURE(EVP_Digest(blob, len, id, &idlen, EVP_sha256(), NULL) == 1, TE_ERR_CRYPTO,
		  "digest");
	TE_GUARD(te_tpm_conn_open(tcti, &c));
	te_tpm_conn_lock(c);
	locked = 1;
	TE_GUARD(te_tpm_conn_parent(c, 0, NULL, &parent, &srk));
	TE_ENSURE(b.parent_name.size == srk.size &&
			  memcmp(b.parent_name.name, srk.name, srk.size) == 0,
		  TE_ERR_TAMPERED,
		  "%s was sealed by another TPM, or before this TPM was cleared (its storage "
		  "root key differs): the store's keys open only with the TPM that sealed "
		  "the master key, in the state it had then",
		  what);
	TE_GUARD(te_tpm_conn_load(c, parent, id, &b.pub, &b.priv, what, &tr));
	r = Esys_Unseal(te_tpm_conn_esys(c), tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			&data);
	/* Needed once: the slot is freed now. */
	te_tpm_conn_forget(c, id);
	if (r != TSS2_RC_SUCCESS) {
		data = NULL;
		rc = te_tpm_err(r, tcti, "%s: TPM2_Unseal failed", what);
		goto out;
	}
	TE_ENSURE(data->size == key_len, TE_ERR_TAMPERED, "%s: the sealed key is %u bytes, not %zu",
		  what, (unsigned)data->size, key_len);
	k = te_secure_alloc(key_len);
	TE_ENSURE(k != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
	memcpy(k, data->buffer, key_len);
	*key = k;
out:
	if (locked)
		te_tpm_conn_unlock(c);
	if (data != NULL) {
		te_memzero(data, sizeof(*data));
		Esys_Free(data);
	}
	te_tpm_conn_close(c);
	return rc;
}
