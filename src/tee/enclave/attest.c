/*
 * attest.c - attestation inside a TA: the attester (evidence of this TA,
 * signed by its root of trust over fd TE_TA_FD_ROT), the verifier with
 * this platform's own roots (asked of the root once, then kept), and the
 * older report API on top.  The TA never states its own identity: the
 * root puts in the identity it verified when the TA was started.
 */
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openenclave/attestation/attester.h>
#include <openenclave/attestation/sgx/evidence.h>
#include <openenclave/attestation/verifier.h>
#include <openenclave/enclave.h>
#include <openenclave/trustedge.h>

#include "tee/attest_int.h"
#include "tee/detail.h"
#include "tee/evidence.h"
#include "tee/rot/rot.h"

/* The most target info oe_get_report accepts (an SGX target info is 512
 * bytes); it is not needed by emulated reports. */
#define TE_TA_TARGET_INFO_MAX 512u

static pthread_mutex_t te_ta_roots_lock = PTHREAD_MUTEX_INITIALIZER;
static te_evidence_roots *te_ta_platform_roots; /* kept once fetched */

static void te_ta_put_u32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t te_ta_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One request to the root whose reply body is u32 size + that many bytes:
 * on OE_OK *data, *size point into reply (TE_ROT_MSG_MAX bytes). */
static oe_result_t te_ta_rot_sized(uint32_t type, const uint8_t *req, size_t req_size,
                                   uint8_t *reply, const uint8_t **data, size_t *size)
{
	const uint8_t *body = NULL;
	size_t body_size = 0, n;
	oe_result_t r;

	r = te_ta_rot_call(type, req, req_size, reply, TE_ROT_MSG_MAX, &body, &body_size);
	if (r != OE_OK)
		return te_tee_fail(r, "the root of trust refused the request (%s)",
		                   oe_result_str(r));
	if (body_size < 4)
		return te_tee_fail(OE_UNEXPECTED, "the root of trust sent a short reply");
	n = te_ta_get_u32(body);
	if (n != body_size - 4)
		return te_tee_fail(OE_UNEXPECTED, "the root of trust sent a malformed reply");
	*data = body + 4;
	*size = n;
	return OE_OK;
}

/* This platform's roots, asked of the root of trust the first time. */
static oe_result_t te_ta_platform(const te_evidence_roots **out)
{
	uint8_t *reply = NULL;
	const uint8_t *pem;
	size_t pem_size;
	te_evidence_roots *roots = NULL;
	oe_result_t r = OE_OK;

	pthread_mutex_lock(&te_ta_roots_lock);
	if (te_ta_platform_roots != NULL)
		goto out;
	reply = malloc(TE_ROT_MSG_MAX);
	if (reply == NULL) {
		r = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	r = te_ta_rot_sized(TE_ROT_ROOTS, NULL, 0, reply, &pem, &pem_size);
	if (r != OE_OK)
		goto out;
	r = te_evidence_roots_new(&roots);
	if (r != OE_OK)
		goto out;
	r = te_evidence_roots_add_pem(roots, (const char *)pem, pem_size);
	if (r != OE_OK) {
		r = te_tee_fail(OE_UNEXPECTED, "the root of trust sent no usable certificates");
		goto out;
	}
	te_ta_platform_roots = roots;
	roots = NULL;
out:
	*out = te_ta_platform_roots;
	pthread_mutex_unlock(&te_ta_roots_lock);
	te_evidence_roots_free(roots);
	free(reply);
	return r;
}

/* ---- attester ---- */

oe_result_t oe_attester_initialize(void)
{
	return OE_OK;
}

oe_result_t oe_attester_shutdown(void)
{
	return OE_OK;
}

oe_result_t oe_attester_select_format(const oe_uuid_t *format_ids, size_t format_ids_length,
                                      oe_uuid_t *selected_format_id)
{
	if (format_ids == NULL || format_ids_length == 0 || selected_format_id == NULL)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument");
	for (size_t i = 0; i < format_ids_length; i++) {
		if (te_evidence_format_known(format_ids[i].b)) {
			*selected_format_id = format_ids[i];
			return OE_OK;
		}
	}
	return te_tee_fail(OE_NOT_FOUND, "none of the formats asked for is supported");
}

/* Evidence from the root: format, report data, custom claims; *out is
 * malloc'd. */
static oe_result_t te_ta_evidence(const uint8_t format[OE_UUID_SIZE], const uint8_t *rd,
                                  size_t rd_size, const uint8_t *cc, size_t cc_size, uint8_t **out,
                                  size_t *out_size)
{
	size_t req_size = OE_UUID_SIZE + 4 + rd_size + 4 + cc_size, ev_size;
	uint8_t *req = malloc(req_size), *reply = malloc(TE_ROT_MSG_MAX), *ev = NULL;
	const uint8_t *data;
	te_evidence parsed;
	oe_result_t r;

	if (req == NULL || reply == NULL) {
		r = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	memcpy(req, format, OE_UUID_SIZE);
	te_ta_put_u32(req + OE_UUID_SIZE, rd_size);
	if (rd_size)
		memcpy(req + OE_UUID_SIZE + 4, rd, rd_size);
	te_ta_put_u32(req + OE_UUID_SIZE + 4 + rd_size, cc_size);
	if (cc_size)
		memcpy(req + OE_UUID_SIZE + 8 + rd_size, cc, cc_size);
	r = te_ta_rot_sized(TE_ROT_EVIDENCE, req, req_size, reply, &data, &ev_size);
	if (r != OE_OK)
		goto out;
	/* The root is trusted, but its reply is still input: it must at
	 * least be well-formed evidence. */
	r = te_evidence_parse(data, ev_size, &parsed);
	if (r != OE_OK) {
		r = te_tee_fail(OE_UNEXPECTED, "the root of trust sent malformed evidence");
		goto out;
	}
	ev = malloc(ev_size);
	if (ev == NULL) {
		r = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	memcpy(ev, data, ev_size);
	*out = ev;
	*out_size = ev_size;
out:
	free(req);
	free(reply);
	return r;
}

oe_result_t oe_get_evidence(const oe_uuid_t *format_id, uint32_t flags,
                            const void *custom_claims_buffer, size_t custom_claims_buffer_size,
                            const void *optional_parameters, size_t optional_parameters_size,
                            uint8_t **evidence_buffer, size_t *evidence_buffer_size,
                            uint8_t **endorsements_buffer, size_t *endorsements_buffer_size)
{
	oe_result_t r;

	if (format_id == NULL || evidence_buffer == NULL || evidence_buffer_size == NULL ||
	    (flags & ~(uint32_t)OE_EVIDENCE_FLAGS_EMBED_FORMAT_ID) ||
	    (custom_claims_buffer_size && custom_claims_buffer == NULL) ||
	    (optional_parameters_size && optional_parameters == NULL) ||
	    (endorsements_buffer != NULL && endorsements_buffer_size == NULL))
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_get_evidence");
	if (!te_evidence_format_known(format_id->b))
		return te_tee_fail(OE_NOT_FOUND, "evidence format not supported");
	if (optional_parameters_size > TE_EVIDENCE_REPORT_DATA_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER,
		                   "optional parameters (the report data) over 64 bytes");
	if (custom_claims_buffer_size > TE_EVIDENCE_CUSTOM_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER, "custom claims over %u bytes",
		                   TE_EVIDENCE_CUSTOM_MAX);
	r = te_ta_evidence(format_id->b, optional_parameters, optional_parameters_size,
	                   custom_claims_buffer, custom_claims_buffer_size, evidence_buffer,
	                   evidence_buffer_size);
	if (r != OE_OK)
		return r;
	if (endorsements_buffer != NULL) {
		*endorsements_buffer = NULL;
		*endorsements_buffer_size = 0;
	}
	return OE_OK;
}

oe_result_t oe_free_evidence(uint8_t *evidence_buffer)
{
	free(evidence_buffer);
	return OE_OK;
}

oe_result_t oe_free_endorsements(uint8_t *endorsements_buffer)
{
	free(endorsements_buffer);
	return OE_OK;
}

/* ---- verifier ---- */

oe_result_t oe_verify_evidence(const oe_uuid_t *format_id, const uint8_t *evidence_buffer,
                               size_t evidence_buffer_size, const uint8_t *endorsements_buffer,
                               size_t endorsements_buffer_size, const oe_policy_t *policies,
                               size_t policies_size, oe_claim_t **claims, size_t *claims_length)
{
	const te_evidence_roots *platform = NULL;
	oe_result_t r;

	if (!evidence_buffer || !evidence_buffer_size || !claims || !claims_length ||
	    (!endorsements_buffer != !endorsements_buffer_size))
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_verify_evidence");
	r = te_ta_platform(&platform);
	if (r != OE_OK)
		return r;
	return te_attest_verify(format_id, evidence_buffer, evidence_buffer_size, policies,
	                        policies_size, &platform, 1, claims, claims_length);
}

/* ---- reports ---- */

oe_result_t oe_get_report_v2(uint32_t flags, const uint8_t *report_data, size_t report_data_size,
                             const void *opt_params, size_t opt_params_size,
                             uint8_t **report_buffer, size_t *report_buffer_size)
{
	const oe_uuid_t local = {OE_FORMAT_UUID_SGX_LOCAL_ATTESTATION};
	const oe_uuid_t remote = {OE_FORMAT_UUID_SGX_ECDSA};

	if (report_buffer == NULL || report_buffer_size == NULL ||
	    (flags & ~(uint32_t)OE_REPORT_FLAGS_REMOTE_ATTESTATION) ||
	    (report_data_size && report_data == NULL) || report_data_size > OE_REPORT_DATA_SIZE ||
	    (opt_params_size && opt_params == NULL) || opt_params_size > TE_TA_TARGET_INFO_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_get_report");
	return te_ta_evidence((flags & OE_REPORT_FLAGS_REMOTE_ATTESTATION) ? remote.b : local.b,
	                      report_data, report_data_size, NULL, 0, report_buffer,
	                      report_buffer_size);
}

oe_result_t oe_verify_report(const uint8_t *report, size_t report_size, oe_report_t *parsed_report)
{
	const te_evidence_roots *platform = NULL;
	oe_result_t r;

	if (report == NULL || report_size == 0)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_verify_report");
	r = te_ta_platform(&platform);
	if (r != OE_OK)
		return r;
	return te_attest_verify_report(report, report_size, &platform, 1, parsed_report);
}
