/*
 * verify.c - attestation in a host: oe_verify_evidence and the report API
 * for host applications.  A host trusts only the roots it is given
 * (te_verifier_add_trusted_root_pem, the PEM file named by
 * TE_TEE_TRUSTED_ROOTS); a developer root is no exception.  The one place
 * a host trusts a root it was not given is oe_verify_report of a local
 * report with one of its enclaves: then, as the enclave itself would, it
 * trusts the root that serves that enclave (in developer mode, this user's
 * developer root).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openenclave/attestation/verifier.h>
#include <openenclave/host.h>
#include <openenclave/trustedge.h>

#include "tee/attest_int.h"
#include "tee/detail.h"
#include "tee/evidence.h"
#include "tee/host/host_int.h"
#include "tee/rot/rot.h"

#define TE_HOST_TRUSTED_ROOTS_ENV "TE_TEE_TRUSTED_ROOTS"

static pthread_mutex_t te_host_platform_lock = PTHREAD_MUTEX_INITIALIZER;
static te_evidence_roots *te_host_platform_roots; /* the developer root's, once read */

/* Reads a whole PEM file of at most TE_EVIDENCE_PEM_MAX bytes. */
static oe_result_t te_host_read_pem(const char *path, char **out, size_t *out_size)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	oe_result_t r = OE_READ_FAILED;

	if (fd < 0)
		return te_tee_fail(errno == ENOENT ? OE_NOT_FOUND : OE_READ_FAILED, "%s=%s: %s",
		                   TE_HOST_TRUSTED_ROOTS_ENV, path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > TE_EVIDENCE_PEM_MAX) {
		te_tee_fail(r, "%s=%s: not a regular file of 1 to %u bytes",
		            TE_HOST_TRUSTED_ROOTS_ENV, path, TE_EVIDENCE_PEM_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (buf == NULL) {
		r = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			te_tee_fail(r, "%s=%s: short read", TE_HOST_TRUSTED_ROOTS_ENV, path);
			goto out;
		}
		got += (size_t)n;
	}
	*out = buf;
	*out_size = got;
	buf = NULL;
	r = OE_OK;
out:
	free(buf);
	close(fd);
	return r;
}

/* Adds the roots of the TE_TEE_TRUSTED_ROOTS file, the first time only
 * (again after te_verifier_clear_trusted_roots).  A file that is named and
 * cannot be used fails every verification until fixed: better than
 * silently trusting nothing or something else. */
static oe_result_t te_host_env_roots(void)
{
	const char *path = getenv(TE_HOST_TRUSTED_ROOTS_ENV);
	char *pem = NULL;
	size_t n = 0;
	oe_result_t r = OE_OK;

	te_attest_lock();
	if (!te_attest_env_pending() || path == NULL || path[0] == '\0')
		goto out;
	r = te_host_read_pem(path, &pem, &n);
	if (r == OE_OK)
		r = te_attest_add_locked(pem, n);
	/* Pending again: the next verification tries (and fails) anew. */
	if (r != OE_OK)
		te_attest_env_reset();
out:
	te_attest_unlock();
	free(pem);
	return r;
}

/* The root that serves this process's enclaves (developer mode: the
 * developer root), as trusted roots; read once. */
static oe_result_t te_host_platform(const te_evidence_roots **out)
{
	te_rot *rot = NULL;
	te_evidence_roots *roots = NULL;
	const char *chain;
	char *pem = NULL, why[256];
	size_t n = 0;
	oe_result_t r = OE_OK;

	pthread_mutex_lock(&te_host_platform_lock);
	if (te_host_platform_roots != NULL)
		goto out;
	r = te_rot_dev_open(NULL, &rot);
	if (r != OE_OK) {
		snprintf(why, sizeof(why), "%s", te_tee_detail());
		r = te_tee_fail(r, "the developer root: %s", why);
		goto out;
	}
	chain = rot->ops != NULL && rot->ops->version == TE_ROT_OPS_VERSION && rot->ops->chain
	            ? rot->ops->chain(rot)
	            : NULL;
	pem = malloc(TE_EVIDENCE_PEM_MAX);
	if (chain == NULL || pem == NULL) {
		r = te_tee_fail(OE_UNEXPECTED, "the developer root has no certificates");
		goto out;
	}
	r = te_evidence_chain_anchors(chain, pem, TE_EVIDENCE_PEM_MAX, &n);
	if (r == OE_OK)
		r = te_evidence_roots_new(&roots);
	if (r == OE_OK)
		r = te_evidence_roots_add_pem(roots, pem, n);
	if (r != OE_OK)
		goto out;
	te_host_platform_roots = roots;
	roots = NULL;
out:
	*out = te_host_platform_roots;
	pthread_mutex_unlock(&te_host_platform_lock);
	te_evidence_roots_free(roots);
	te_rot_close(rot);
	free(pem);
	return r;
}

oe_result_t oe_verify_evidence(const oe_uuid_t *format_id, const uint8_t *evidence_buffer,
                               size_t evidence_buffer_size, const uint8_t *endorsements_buffer,
                               size_t endorsements_buffer_size, const oe_policy_t *policies,
                               size_t policies_size, oe_claim_t **claims, size_t *claims_length)
{
	oe_result_t r;

	te_tee_detail_clear();
	if (!evidence_buffer || !evidence_buffer_size || !claims || !claims_length ||
	    (!endorsements_buffer != !endorsements_buffer_size))
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_verify_evidence");
	r = te_host_env_roots();
	if (r != OE_OK)
		return r;
	return te_attest_verify(format_id, evidence_buffer, evidence_buffer_size, policies,
	                        policies_size, NULL, 0, claims, claims_length);
}

oe_result_t oe_get_report_v2(oe_enclave_t *enclave, uint32_t flags, const void *opt_params,
                             size_t opt_params_size, uint8_t **report_buffer,
                             size_t *report_buffer_size)
{
	te_tee_detail_clear();
	if (enclave == NULL || enclave->magic != TE_HOST_MAGIC || report_buffer == NULL ||
	    report_buffer_size == NULL || (opt_params_size && opt_params == NULL))
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_get_report");
	return te_tee_fail(OE_UNSUPPORTED,
	                   "a host cannot get its enclave's report without an ECALL; call "
	                   "oe_get_report or oe_get_evidence in the enclave and pass the result "
	                   "out");
}

/* A local report of a managed enclave: trusted as the root trustedged
 * serves that enclave from (its chain came with TE_MGD_CREATED). */
static oe_result_t te_host_verify_managed(oe_enclave_t *enc, const uint8_t *report, size_t n,
                                          oe_report_t *parsed)
{
	te_evidence_roots *roots = NULL;
	const te_evidence_roots *list;
	char *pem = malloc(TE_EVIDENCE_PEM_MAX);
	size_t pem_n = 0;
	oe_result_t r;

	if (pem == NULL)
		return OE_OUT_OF_MEMORY;
	r = enc->mgd_chain && enc->mgd_chain[0]
	        ? te_evidence_chain_anchors(enc->mgd_chain, pem, TE_EVIDENCE_PEM_MAX, &pem_n)
	        : te_tee_fail(OE_VERIFY_FAILED, "trustedged sent no root for this enclave");
	if (r == OE_OK)
		r = te_evidence_roots_new(&roots);
	if (r == OE_OK)
		r = te_evidence_roots_add_pem(roots, pem, pem_n);
	list = roots;
	if (r == OE_OK)
		r = te_attest_verify_report(report, n, &list, 1, parsed);
	te_evidence_roots_free(roots);
	free(pem);
	return r;
}

oe_result_t oe_verify_report(oe_enclave_t *enclave, const uint8_t *report, size_t report_size,
                             oe_report_t *parsed_report)
{
	const te_evidence_roots *platform = NULL;
	te_evidence ev;
	oe_result_t r;

	te_tee_detail_clear();
	if (report == NULL || report_size == 0)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_verify_report");
	r = te_evidence_parse(report, report_size, &ev);
	if (r != OE_OK)
		return OE_VERIFY_FAILED; /* the detail says what is malformed */
	r = te_host_env_roots();
	if (r != OE_OK)
		return r;
	if (ev.claims.attributes & OE_REPORT_ATTRIBUTES_REMOTE)
		return te_attest_verify_report(report, report_size, NULL, 0, parsed_report);
	if (enclave == NULL || enclave->magic != TE_HOST_MAGIC)
		return te_tee_fail(OE_INVALID_PARAMETER,
		                   "a local report is verified with one of this host's enclaves");
	if (enclave->mgd >= 0)
		return te_host_verify_managed(enclave, report, report_size, parsed_report);
	r = te_host_platform(&platform);
	if (r != OE_OK)
		return r;
	return te_attest_verify_report(report, report_size, &platform, 1, parsed_report);
}
