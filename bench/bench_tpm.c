/*
 * bench_tpm.c - the HSM PAL tpm backend against direct ESYS calls on the
 * same loaded key of the same TPM, in one process.
 *
 * Figures: ECDSA P-256 sign/s and HMAC-SHA256 sign/s on 64-byte messages,
 * plus p50 latency of each.  Each is measured
 *   through te_hsm: te_hsm_key_sign (tpm backend: reads and checks the key
 *     file, hashes, signs in the TPM, DER-encodes), and
 *   directly with ESYS (baseline esys): SHA-256 with OpenSSL, then
 *     Esys_Sign (ECDSA, NULL ticket) or Esys_HMAC, on the very ESYS_TR the
 *     backend loaded (taken from the shared connection, tpm_conn.h), as an
 *     application using tpm2-tss itself would.
 * The TPM dominates both sides, so the ratio shows what the backend adds.
 * Noise control as in bench_hsm: short rounds alternate which side runs
 * first; the figure is the median per-round rate of each side and the
 * ratio of the medians.
 *
 * Run under tests/tpm/with_swtpm.sh (it sets TE_TPM_TCTI):
 *   tests/tpm/with_swtpm.sh build/bench/bench_tpm --json bench/results/tpm.json
 * Usage: bench_tpm [--json PATH] [--rounds N] [--seconds S]
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>

#include "bench_util.h"
#include "common/te_file.h"
#include "hsm/backends/tpm_blob.h"
#include "hsm/backends/tpm_conn.h"
#include "trustedge/te_hsm.h"

#define MSG_LEN 64

static struct {
	te_hsm *hsm;
	te_tpm_conn *conn; /* the backend's connection, shared */
	ESYS_CONTEXT *esys;
	ESYS_TR ec, mac;
	uint8_t msg[MSG_LEN];
	uint8_t sig[TE_HSM_SIG_MAX];
	char keys[600];
} b;

/* Unlike bench_hsm and bench_pkcs11: longer rounds, 50 warm-up operations,
 * target 0.90 and p50 to one decimal, as TPM operations take tens to
 * hundreds of microseconds. */
static te_bench bench = {
	.prog = "bench_tpm",
	.name = "tpm",
	.backend = "tpm",
	.method = "rounds alternate te_hsm and direct ESYS calls on the same loaded key of the "
		  "same TPM; value is the median per-round rate, ratio the ratio of medians; p50 "
		  "over all ops",
	.rounds = 11,
	.seconds = 0.35,
	.lat_cap = 1u << 20,
	.warmup = 50,
	.target = 0.90,
	.p50_prec = 1,
};

static void die(const char *what)
{
	te_bench_die(&bench, what);
}

static void die_te(const char *what, te_err rc)
{
	fprintf(stderr, "bench_tpm: %s: %s (%s)\n", what, te_err_name(rc), te_err_detail());
	exit(1);
}

/* ---- the operations ------------------------------------------------------ */

static int hsm_ecdsa(void *ctx)
{
	size_t n = sizeof(b.sig);

	(void)ctx;
	return te_hsm_key_sign(b.hsm, "bench-ec-p256", TE_HSM_ALG_ECDSA_SHA256, 0, b.msg, MSG_LEN,
			       b.sig, &n) == TE_OK
		       ? 0
		       : -1;
}

static int esys_ecdsa(void *ctx)
{
	TPM2B_DIGEST dg = {.size = 32};
	TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_ECDSA,
				  .details.ecdsa.hashAlg = TPM2_ALG_SHA256};
	TPMT_TK_HASHCHECK ticket = {.tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL};
	TPMT_SIGNATURE *sig = NULL;
	unsigned int n = 0;
	TSS2_RC r;

	(void)ctx;
	if (EVP_Digest(b.msg, MSG_LEN, dg.buffer, &n, EVP_sha256(), NULL) != 1)
		return -1;
	r = Esys_Sign(b.esys, b.ec, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &dg, &scheme,
		      &ticket, &sig);
	Esys_Free(sig);
	return r == TSS2_RC_SUCCESS ? 0 : -1;
}

static int hsm_hmac(void *ctx)
{
	size_t n = sizeof(b.sig);

	(void)ctx;
	return te_hsm_key_sign(b.hsm, "bench-hmac", TE_HSM_ALG_HMAC_SHA256, 0, b.msg, MSG_LEN,
			       b.sig, &n) == TE_OK
		       ? 0
		       : -1;
}

static int esys_hmac(void *ctx)
{
	TPM2B_MAX_BUFFER buf = {.size = MSG_LEN};
	TPM2B_DIGEST *out = NULL;
	TSS2_RC r;

	(void)ctx;
	memcpy(buf.buffer, b.msg, MSG_LEN);
	r = Esys_HMAC(b.esys, b.mac, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &buf,
		      TPM2_ALG_SHA256, &out);
	Esys_Free(out);
	return r == TSS2_RC_SUCCESS ? 0 : -1;
}

/* ---- setup and output ------------------------------------------------------ */

/* The ESYS_TR the backend has loaded for key `name`: the same shared
 * connection hands out the object it caches under the file's digest. */
static ESYS_TR loaded_handle(const char *name)
{
	char fname[sizeof(b.keys) + TE_HSM_NAME_MAX + 16];
	uint8_t id[32];
	unsigned int idlen = 0;
	te_tpm_blob blob;
	ESYS_TR parent = ESYS_TR_NONE, tr = ESYS_TR_NONE;
	te_buf file;
	te_err rc;

	te_buf_init(&file, 0);
	snprintf(fname, sizeof(fname), "%s/%s" TE_TPM_KEY_SUFFIX, b.keys, name);
	if ((rc = te_file_read_at(AT_FDCWD, fname, name, TE_TPM_BLOB_MAX, &file)) !=
		    TE_OK ||
	    (rc = te_tpm_blob_decode(TE_TPM_BLOB_KEY, name, file.data, file.len, &blob)) != TE_OK)
		die_te("read key file", rc);
	if (EVP_Digest(file.data, file.len, id, &idlen, EVP_sha256(), NULL) != 1)
		die("digest");
	te_tpm_conn_lock(b.conn);
	rc = te_tpm_conn_parent(b.conn, 0, NULL, &parent, NULL);
	if (rc == TE_OK)
		rc = te_tpm_conn_load(b.conn, parent, id, &blob.pub, &blob.priv, name, &tr);
	te_tpm_conn_unlock(b.conn);
	if (rc != TE_OK)
		die_te("load key", rc);
	te_buf_free(&file);
	return tr;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup(const char *tcti)
{
	te_hsm_setting s[] = {{"tcti", tcti}, {"state_dir", b.keys}};
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	te_err rc;

	for (size_t i = 0; i < MSG_LEN; i++)
		b.msg[i] = (uint8_t)(1 + i * 13u);
	if ((rc = te_hsm_open("tpm", s, 2, &b.hsm)) != TE_OK)
		die_te("te_hsm_open", rc);
	if ((rc = te_hsm_key_create(b.hsm, "bench-ec-p256", &ec)) != TE_OK)
		die_te("create bench-ec-p256", rc);
	if ((rc = te_hsm_key_create(b.hsm, "bench-hmac", &mac)) != TE_OK)
		die_te("create bench-hmac", rc);
	if (hsm_ecdsa(NULL) != 0 || hsm_hmac(NULL) != 0)
		die("first signatures failed");
	/* The same connection the backend uses (same tcti): one more reference. */
	if ((rc = te_tpm_conn_open(tcti, &b.conn)) != TE_OK)
		die_te("connection", rc);
	b.esys = te_tpm_conn_esys(b.conn);
}

/* The JSON document; "tpm" says whether the figures come from swtpm. */
static int write_json(const char *path, const char *tcti, const te_bench_figure *f, size_t n)
{
	te_bench_field tpm = {"tpm", strncmp(tcti, "swtpm", 5) == 0 ? "swtpm" : "other"};

	return te_bench_write_json(&bench, path, &tpm, 1, f, n);
}

int main(int argc, char **argv)
{
	te_bench_figure figs[] = {
		{.name = "tpm.ecdsa_p256_sign", .base_name = "esys", .unit = "ops/s"},
		{.name = "tpm.hmac_sha256_sign_64B", .base_name = "esys", .unit = "ops/s"},
	};
	const te_bench_op hsm_ops[] = {hsm_ecdsa, hsm_hmac};
	const te_bench_op esys_ops[] = {esys_ecdsa, esys_hmac};
	const char *json = NULL, *tmpdir = getenv("TMPDIR"), *tcti = getenv("TE_TPM_TCTI");
	char tmp[512];
	int rc = 0;

	if (te_bench_args(&bench, argc, argv, &json) != 0)
		return 2;
	if (tcti == NULL || tcti[0] == '\0')
		die("TE_TPM_TCTI is not set (run under tests/tpm/with_swtpm.sh)");

	if (tmpdir == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/te-bench-tpm-XXXXXX", tmpdir);
	if (mkdtemp(tmp) == NULL)
		die("cannot make a temp directory");
	snprintf(b.keys, sizeof(b.keys), "%s/keys", tmp);
	setup(tcti);
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		/* Taken per figure: both keys stay loaded (two key slots). */
		b.ec = loaded_handle("bench-ec-p256");
		b.mac = loaded_handle("bench-hmac");
		te_bench_measure(&bench, &figs[i], hsm_ops[i], esys_ops[i], NULL);
		te_bench_print(&bench, &figs[i]);
		fflush(stdout);
	}
	if (json != NULL && write_json(json, tcti, figs, sizeof(figs) / sizeof(figs[0])) != 0)
		rc = 1;

	te_tpm_conn_close(b.conn);
	te_hsm_close(b.hsm);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
