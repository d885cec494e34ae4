/*
 * attest_common.c - the attestation API as the TA and the host share it
 * (liboeenclave and liboehost both build this file): verifier formats and
 * settings, claims, custom claims, report parsing, and the trusted roots
 * added with te_verifier_add_trusted_root_pem.  Where the platform's own
 * roots come from differs by side: enclave/attest.c, host/verify.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include <openenclave/attestation/custom_claims.h>
#include <openenclave/attestation/sgx/evidence.h>
#include <openenclave/attestation/verifier.h>
#include <openenclave/enclave.h>
#include <openenclave/trustedge.h>

#include "tee/attest_int.h"
#include "tee/detail.h"

/* The size of the local format's settings: a fresh challenge. */
#define TE_ATTEST_CHALLENGE_SIZE 32u
/* The target info oe_get_target_info hands out: the report's unique id. */
#define TE_ATTEST_TARGET_INFO_SIZE OE_UNIQUE_ID_SIZE

static pthread_mutex_t te_attest_mutex = PTHREAD_MUTEX_INITIALIZER;
static te_evidence_roots *te_attest_added;
static int te_attest_env_done;

void te_attest_lock(void)
{
	pthread_mutex_lock(&te_attest_mutex);
}

void te_attest_unlock(void)
{
	pthread_mutex_unlock(&te_attest_mutex);
}

te_evidence_roots *te_attest_added_roots(void)
{
	return te_attest_added;
}

int te_attest_env_pending(void)
{
	int pending = !te_attest_env_done;

	te_attest_env_done = 1;
	return pending;
}

void te_attest_env_reset(void)
{
	te_attest_env_done = 0;
}

oe_result_t te_attest_add_locked(const char *pem, size_t n)
{
	oe_result_t r;

	if (te_attest_added == NULL) {
		r = te_evidence_roots_new(&te_attest_added);
		if (r != OE_OK)
			return r;
	}
	return te_evidence_roots_add_pem(te_attest_added, pem, n);
}

oe_result_t te_verifier_add_trusted_root_pem(const char *pem, size_t pem_size)
{
	oe_result_t r;

	if (pem == NULL || pem_size == 0 || pem_size > TE_EVIDENCE_PEM_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER,
		                   "no root certificate, or a file too large");
	te_attest_lock();
	r = te_attest_add_locked(pem, pem_size);
	te_attest_unlock();
	return r;
}

void te_verifier_clear_trusted_roots(void)
{
	te_attest_lock();
	te_evidence_roots_free(te_attest_added);
	te_attest_added = NULL;
	te_attest_env_done = 0;
	te_attest_unlock();
}

/* ---- verifier ---- */

oe_result_t oe_verifier_initialize(void)
{
	return OE_OK;
}

oe_result_t oe_verifier_shutdown(void)
{
	return OE_OK;
}

oe_result_t oe_verifier_get_formats(oe_uuid_t **format_ids, size_t *format_ids_length)
{
	oe_uuid_t *ids;

	if (format_ids == NULL || format_ids_length == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument");
	ids = malloc(sizeof(te_evidence_formats));
	if (ids == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	memcpy(ids, te_evidence_formats, sizeof(te_evidence_formats));
	*format_ids = ids;
	*format_ids_length = TE_EVIDENCE_N_FORMATS;
	return OE_OK;
}

oe_result_t oe_verifier_free_formats(oe_uuid_t *format_ids)
{
	free(format_ids);
	return OE_OK;
}

oe_result_t oe_verifier_get_format_settings(const oe_uuid_t *format_id, uint8_t **settings,
                                            size_t *settings_size)
{
	const oe_uuid_t local = {OE_FORMAT_UUID_SGX_LOCAL_ATTESTATION};
	uint8_t *s;

	if (format_id == NULL || settings == NULL || settings_size == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument");
	if (!te_evidence_format_known(format_id->b))
		return te_tee_fail(OE_NOT_FOUND, "format id not supported by this verifier");
	if (memcmp(format_id->b, local.b, OE_UUID_SIZE) != 0) {
		*settings = NULL;
		*settings_size = 0;
		return OE_OK;
	}
	s = malloc(TE_ATTEST_CHALLENGE_SIZE);
	if (s == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	if (RAND_bytes(s, TE_ATTEST_CHALLENGE_SIZE) != 1) {
		free(s);
		return te_tee_fail(OE_CRYPTO_ERROR, "no random bytes for a challenge");
	}
	*settings = s;
	*settings_size = TE_ATTEST_CHALLENGE_SIZE;
	return OE_OK;
}

oe_result_t oe_verifier_free_format_settings(uint8_t *settings)
{
	free(settings);
	return OE_OK;
}

oe_result_t oe_free_claims(oe_claim_t *claims, size_t claims_length)
{
	te_evidence_claims_free(claims, claims_length);
	return OE_OK;
}

oe_result_t te_attest_verify(const oe_uuid_t *format_id, const uint8_t *evidence, size_t size,
                             const oe_policy_t *policies, size_t policies_size,
                             const te_evidence_roots *const *extra, size_t n_extra,
                             oe_claim_t **claims, size_t *claims_length)
{
	const te_evidence_roots *roots[4];
	te_evidence_policy pol;
	te_evidence ev;
	size_t n = 0;
	oe_result_t r;

	if (evidence == NULL || size == 0 || claims == NULL || claims_length == NULL || n_extra > 3)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_verify_evidence");
	r = te_evidence_policy_from_oe(policies, policies_size, format_id, &pol);
	if (r != OE_OK)
		return r;
	te_attest_lock();
	roots[n++] = te_attest_added;
	for (size_t i = 0; i < n_extra; i++)
		roots[n++] = extra[i];
	r = te_evidence_verify(evidence, size, roots, n, &pol, &ev);
	te_attest_unlock();
	if (r != OE_OK)
		return r;
	return te_evidence_claims_list(&ev, claims, claims_length);
}

/* ---- custom claims ---- */

oe_result_t oe_serialize_custom_claims(const oe_claim_t *custom_claims, size_t custom_claims_length,
                                       uint8_t **claims_out, size_t *claims_size_out)
{
	return te_custom_claims_serialize(custom_claims, custom_claims_length, claims_out,
	                                  claims_size_out);
}

oe_result_t oe_deserialize_custom_claims(const uint8_t *claims_buffer, size_t claims_buffer_size,
                                         oe_claim_t **claims_out, size_t *claims_length_out)
{
	return te_custom_claims_deserialize(claims_buffer, claims_buffer_size, claims_out,
	                                    claims_length_out);
}

oe_result_t oe_free_serialized_custom_claims(uint8_t *custom_claims_buffer)
{
	free(custom_claims_buffer);
	return OE_OK;
}

oe_result_t oe_free_custom_claims(oe_claim_t *custom_claims, size_t custom_claims_length)
{
	te_evidence_claims_free(custom_claims, custom_claims_length);
	return OE_OK;
}

/* ---- reports ---- */

void te_attest_report_from(const te_evidence *ev, const uint8_t *report, oe_report_t *out)
{
	const te_evidence_claims *c = &ev->claims;

	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	/* The reference reports SGX for both of the formats reports use. */
	out->type = OE_ENCLAVE_TYPE_SGX;
	out->report_data_size = c->report_data_size;
	out->report_data = (uint8_t *)(uintptr_t)c->report_data;
	out->enclave_report_size = ev->signed_size;
	out->enclave_report = (uint8_t *)(uintptr_t)report;
	out->identity.id_version = 0;
	out->identity.security_version = c->security_version;
	out->identity.attributes = c->attributes;
	memcpy(out->identity.unique_id, c->unique_id, OE_UNIQUE_ID_SIZE);
	memcpy(out->identity.signer_id, c->signer_id, OE_SIGNER_ID_SIZE);
	memcpy(out->identity.product_id, c->product_id, OE_PRODUCT_ID_SIZE);
}

oe_result_t oe_parse_report(const uint8_t *report, size_t report_size, oe_report_t *parsed_report)
{
	te_evidence ev;
	oe_result_t r;

	if (report == NULL || report_size == 0 || parsed_report == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_parse_report");
	r = te_evidence_parse(report, report_size, &ev);
	if (r != OE_OK)
		return r;
	te_attest_report_from(&ev, report, parsed_report);
	return OE_OK;
}

oe_result_t te_attest_verify_report(const uint8_t *report, size_t size,
                                    const te_evidence_roots *const *extra, size_t n_extra,
                                    oe_report_t *parsed)
{
	const te_evidence_roots *roots[4];
	te_evidence ev;
	size_t n = 0;
	oe_result_t r;

	if (report == NULL || size == 0 || n_extra > 3)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_verify_report");
	te_attest_lock();
	roots[n++] = te_attest_added;
	for (size_t i = 0; i < n_extra; i++)
		roots[n++] = extra[i];
	r = te_evidence_verify(report, size, roots, n, NULL, &ev);
	te_attest_unlock();
	if (r != OE_OK)
		return r;
	if (parsed != NULL)
		te_attest_report_from(&ev, report, parsed);
	return OE_OK;
}

void oe_free_report(uint8_t *report_buffer)
{
	free(report_buffer);
}

oe_result_t oe_get_target_info_v2(const uint8_t *report, size_t report_size,
                                  void **target_info_buffer, size_t *target_info_size)
{
	te_evidence ev;
	uint8_t *info;
	oe_result_t r;

	if (report == NULL || target_info_buffer == NULL || target_info_size == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_get_target_info");
	r = te_evidence_parse(report, report_size, &ev);
	if (r != OE_OK)
		return r;
	info = malloc(TE_ATTEST_TARGET_INFO_SIZE);
	if (info == NULL)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	memcpy(info, ev.claims.unique_id, TE_ATTEST_TARGET_INFO_SIZE);
	*target_info_buffer = info;
	*target_info_size = TE_ATTEST_TARGET_INFO_SIZE;
	return OE_OK;
}

void oe_free_target_info(void *target_info)
{
	free(target_info);
}
