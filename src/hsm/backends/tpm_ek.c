/*
 * tpm_ek.c - public parts of the TPM's endorsement key and storage root
 * key (te_tpm.h), made from the standard templates through the shared
 * connection, so a process that also runs the tpm backend does not fight
 * it for the TPM's few object slots.
 */
#include <string.h>

#include <openssl/evp.h>

#include "hsm/backends/tpm_conn.h"
#include "hsm/backends/tpm_err.h"
#include "hsm/backends/tpm_tmpl.h"
#include "trustedge/te_tpm.h"

static te_err pub_out(const TPMT_PUBLIC *pub, te_hsm_pub_format fmt, te_buf *out)
{
	te_err rc = TE_OK;
	EVP_PKEY *pkey = NULL;

	TE_GUARD(te_tpm_pub_to_evp(pub, &pkey));
	TE_GUARD(te_tpm_pub_encode(pkey, fmt, out));
out:
	EVP_PKEY_free(pkey);
	return rc;
}

static te_err args_check(const char *tcti, te_hsm_pub_format fmt, te_buf *out)
{
	te_err_clear();
	if (tcti == NULL || tcti[0] == '\0' || out == NULL ||
	    (fmt != TE_HSM_PUB_PEM && fmt != TE_HSM_PUB_DER))
		return te_err_set(TE_ERR_INVALID_ARG, "TPM key query: missing tcti, output or format");
	return TE_OK;
}

te_err te_tpm_ek_public(const char *tcti, te_hsm_pub_format fmt, te_buf *out)
{
	te_err rc = TE_OK;
	te_tpm_conn *c = NULL;
	TPM2B_SENSITIVE_CREATE sc;
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcr;
	ESYS_TR ek = ESYS_TR_NONE;
	TSS2_RC r;
	int locked = 0;

	TE_GUARD(args_check(tcti, fmt, out));
	memset(&sc, 0, sizeof(sc));
	memset(&outside, 0, sizeof(outside));
	memset(&pcr, 0, sizeof(pcr));
	te_tpm_ek_template(&tmpl);
	TE_GUARD(te_tpm_conn_open(tcti, &c));
	te_tpm_conn_lock(c);
	locked = 1;
	do
		r = Esys_CreatePrimary(te_tpm_conn_esys(c), ESYS_TR_RH_ENDORSEMENT,
				       ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sc, &tmpl,
				       &outside, &pcr, &ek, &pub, NULL, NULL, NULL);
	while (te_tpm_conn_retry(c, r, NULL, 0));
	if (r != TSS2_RC_SUCCESS) {
		ek = ESYS_TR_NONE;
		rc = te_tpm_err(r, tcti,
				"cannot create the endorsement key (RSA 2048 EK template) in the "
				"endorsement hierarchy of the TPM at tcti '%s'",
				tcti);
		goto out;
	}
	TE_GUARD(pub_out(&pub->publicArea, fmt, out));
out:
	if (ek != ESYS_TR_NONE)
		(void)Esys_FlushContext(te_tpm_conn_esys(c), ek);
	if (locked)
		te_tpm_conn_unlock(c);
	Esys_Free(pub);
	te_tpm_conn_close(c);
	return rc;
}

te_err te_tpm_srk_public(const char *tcti, const char *owner_auth, te_hsm_pub_format fmt,
			 te_buf *out)
{
	te_err rc = TE_OK;
	te_tpm_conn *c = NULL;
	TPM2B_AUTH *auth = NULL;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR srk = ESYS_TR_NONE;
	TSS2_RC r;
	int locked = 0;

	TE_GUARD(args_check(tcti, fmt, out));
	if (owner_auth != NULL) {
		auth = te_secure_alloc(sizeof(*auth));
		TE_ENSURE(auth != NULL, TE_ERR_NO_MEMORY, "out of secure memory");
		TE_GUARD(te_tpm_auth_parse(owner_auth, auth));
	}
	TE_GUARD(te_tpm_conn_open(tcti, &c));
	te_tpm_conn_lock(c);
	locked = 1;
	/* The tpm backend's own parent: made once per connection. */
	TE_GUARD(te_tpm_conn_parent(c, 0, auth, &srk, NULL));
	r = Esys_ReadPublic(te_tpm_conn_esys(c), srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			    &pub, NULL, NULL);
	if (r != TSS2_RC_SUCCESS) {
		rc = te_tpm_err(r, tcti, "cannot read the storage root key");
		goto out;
	}
	TE_GUARD(pub_out(&pub->publicArea, fmt, out));
out:
	if (locked)
		te_tpm_conn_unlock(c);
	Esys_Free(pub);
	te_secure_free(auth);
	te_tpm_conn_close(c);
	return rc;
}
