/*
 * bench_pkcs11.c - the pkcs11 backend against direct PKCS#11 calls on the
 * same token, same key, same process.
 *
 * Figures: ECDSA P-256 sign/s (64-byte message) and HMAC-SHA256 sign/s
 * (64-byte message), plus p50 latency of each.  Each is measured through
 * te_hsm (pkcs11 backend) and directly with the module, on a session of
 * the benchmark's own and the very object the backend created:
 *   ECDSA  C_SignInit(CKM_ECDSA) + C_Sign over a SHA-256 digest computed
 *          once beforehand (the backend hashes each message and turns the
 *          token's r||s into DER on top of that)
 *   HMAC   C_SignInit(CKM_SHA256_HMAC) + C_Sign over the message
 * Noise control as in bench_hsm: 11 short rounds (0.15 s per side)
 * alternate which side runs first; the figure is the median per-round
 * rate of each side and the ratio of the medians.
 *
 * Run on a SoftHSM2 token:
 *   tests/pkcs11/with_softhsm.sh build/bench/bench_pkcs11 --json bench/results/pkcs11.json
 * Usage: bench_pkcs11 [--json PATH] [--rounds N] [--seconds S]
 * (module, token and PIN from TE_PKCS11_MODULE, TE_PKCS11_TOKEN,
 * TE_PKCS11_PIN).  Prints one line per figure:
 * `name: value unit (ratio x baseline value unit)`.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bench_util.h"
#include "hsm/backends/pkcs11_api.h"
#include "trustedge/te_hsm.h"

#define MSG_LEN  64
#define BASELINE "pkcs11-c_sign"

static struct {
	te_hsm *hsm;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE ec, mac;
	uint8_t msg[MSG_LEN];
	uint8_t digest[32];
	uint8_t sig[TE_HSM_SIG_MAX];
	const char *module, *token;
} b;

static te_bench bench = {
    .prog = "bench_pkcs11",
    .name = "pkcs11",
    .backend = "pkcs11",
    .method = "rounds alternate te_hsm (pkcs11 backend) and direct C_SignInit+C_Sign on an own "
              "session, same token and key object; ECDSA baseline signs a precomputed digest; "
              "value is the median per-round rate, ratio the ratio of medians; p50 over all ops",
    .rounds = 11,
    .seconds = 0.15,
    .lat_cap = 1u << 20,
    .warmup = 200,
    .target = 0.95,
    .p50_prec = 2,
};

static void die(const char *what)
{
	te_bench_die(&bench, what);
}

static void die_te(const char *what, te_err rc)
{
	fprintf(stderr, "bench_pkcs11: %s: %s (%s)\n", what, te_err_name(rc), te_err_detail());
	exit(1);
}

static void die_rv(const char *what, CK_RV rv)
{
	fprintf(stderr, "bench_pkcs11: %s: CKR 0x%lx\n", what, rv);
	exit(1);
}

/* ---- the operations ---------------------------------------------------------- */

static int hsm_ecdsa(void *ctx)
{
	size_t n = sizeof(b.sig);

	(void)ctx;
	return te_hsm_key_sign(b.hsm, "bench-ec-p256", TE_HSM_ALG_ECDSA_SHA256, 0, b.msg, MSG_LEN,
	                       b.sig, &n) == TE_OK
	           ? 0
	           : -1;
}

static int direct_ecdsa(void *ctx)
{
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_ULONG n = sizeof(b.sig);

	(void)ctx;
	if (b.f->C_SignInit(b.s, &m, b.ec) != CKR_OK)
		return -1;
	return b.f->C_Sign(b.s, b.digest, sizeof(b.digest), b.sig, &n) == CKR_OK ? 0 : -1;
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

static int direct_hmac(void *ctx)
{
	CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
	CK_ULONG n = sizeof(b.sig);

	(void)ctx;
	if (b.f->C_SignInit(b.s, &m, b.mac) != CKR_OK)
		return -1;
	return b.f->C_Sign(b.s, b.msg, MSG_LEN, b.sig, &n) == CKR_OK ? 0 : -1;
}

/* ---- setup and output ----------------------------------------------------------- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13u);
}

/* The module the backend loaded, through a handle of our own. */
static void module_attach(void)
{
	void *dl = dlopen(b.module, RTLD_NOW | RTLD_NOLOAD);
	CK_C_GetFunctionList get;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	size_t tlen = strlen(b.token);
	void *sym;
	CK_RV rv;

	if (dl == NULL)
		die("the PKCS#11 module is not loaded");
	sym = dlsym(dl, "C_GetFunctionList");
	if (sym == NULL)
		die("no C_GetFunctionList");
	memcpy(&get, &sym, sizeof(get));
	if ((rv = get(&b.f)) != CKR_OK)
		die_rv("C_GetFunctionList", rv);
	if ((rv = b.f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		die_rv("C_GetSlotList", rv);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;

		if (b.f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && tlen <= sizeof(ti.label) &&
		    memcmp(ti.label, b.token, tlen) == 0 &&
		    (tlen == sizeof(ti.label) || ti.label[tlen] == ' ')) {
			b.slot = slots[i];
			return;
		}
	}
	die("token not found");
}

/* The private or secret key object labelled label. */
static CK_OBJECT_HANDLE object_find(const char *label, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
	                     {CKA_LABEL, (void *)label, strlen(label)}};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = b.f->C_FindObjectsInit(b.s, t, 2)) != CKR_OK)
		die_rv("C_FindObjectsInit", rv);
	rv = b.f->C_FindObjects(b.s, &h, 1, &n);
	b.f->C_FindObjectsFinal(b.s);
	if (rv != CKR_OK || n != 1)
		die("key object not found");
	return h;
}

static void setup(void)
{
	const char *pin = getenv("TE_PKCS11_PIN");
	te_hsm_setting s[] = {
	    {"module", b.module}, {"token", b.token}, {"pin_env", "TE_PKCS11_PIN"}};
	te_hsm_key_attrs ec = {TE_HSM_KEY_EC_P256, TE_HSM_USAGE_SIGN, 0};
	te_hsm_key_attrs mac = {TE_HSM_KEY_HMAC_SHA256, TE_HSM_USAGE_SIGN, 0};
	uint8_t key[32];
	unsigned int dn = 0;
	te_err rc;
	CK_RV rv;

	if (pin == NULL)
		die("TE_PKCS11_PIN is not set (run under tests/pkcs11/with_softhsm.sh)");
	fill(b.msg, sizeof(b.msg), 1);
	fill(key, sizeof(key), 2);
	if ((rc = te_hsm_open("pkcs11", s, 3, &b.hsm)) != TE_OK)
		die_te("te_hsm_open", rc);
	if ((rc = te_hsm_key_create(b.hsm, "bench-ec-p256", &ec)) != TE_OK)
		die_te("create bench-ec-p256", rc);
	if ((rc = te_hsm_key_import(b.hsm, "bench-hmac", &mac, key, sizeof(key))) != TE_OK)
		die_te("import bench-hmac", rc);
	if (EVP_Digest(b.msg, MSG_LEN, b.digest, &dn, EVP_sha256(), NULL) != 1 || dn != 32)
		die("SHA-256");

	/* The baseline: our own session on the same token (the login is the
	 * application's, so it is logged in already), the same objects. */
	module_attach();
	rv = b.f->C_OpenSession(b.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &b.s);
	if (rv != CKR_OK)
		die_rv("C_OpenSession", rv);
	b.ec = object_find("bench-ec-p256", CKO_PRIVATE_KEY);
	b.mac = object_find("bench-hmac", CKO_SECRET_KEY);
}

/* The JSON document, with the module's description and version. */
static int write_json(const char *path, const te_bench_figure *f, size_t n)
{
	CK_INFO info;
	char lib[64] = "unknown";
	te_bench_field module = {"module", lib};

	if (b.f->C_GetInfo(&info) == CKR_OK)
		snprintf(lib, sizeof(lib), "%.32s %u.%u", (const char *)info.libraryDescription,
		         info.libraryVersion.major, info.libraryVersion.minor);
	/* The description is the token vendor's text: nothing in it may end
	 * or escape the JSON string. */
	for (char *p = lib; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '?';
	return te_bench_write_json(&bench, path, &module, 1, f, n);
}

int main(int argc, char **argv)
{
	te_bench_figure figs[] = {
	    {.name = "pkcs11.ecdsa_p256_sign", .base_name = BASELINE, .unit = "ops/s"},
	    {.name = "pkcs11.hmac_sha256_sign_64B", .base_name = BASELINE, .unit = "ops/s"},
	};
	const te_bench_op hsm_ops[] = {hsm_ecdsa, hsm_hmac};
	const te_bench_op direct_ops[] = {direct_ecdsa, direct_hmac};
	const char *json = NULL;
	int rc = 0;

	if (te_bench_args(&bench, argc, argv, &json) != 0)
		return 2;
	b.module = getenv("TE_PKCS11_MODULE");
	b.token = getenv("TE_PKCS11_TOKEN");
	if (b.module == NULL || b.token == NULL)
		die("TE_PKCS11_MODULE and TE_PKCS11_TOKEN must be set (run under "
		    "tests/pkcs11/with_softhsm.sh)");

	setup();
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		te_bench_measure(&bench, &figs[i], hsm_ops[i], direct_ops[i], NULL);
		te_bench_print(&bench, &figs[i]);
		fflush(stdout);
	}
	if (json != NULL && write_json(json, figs, sizeof(figs) / sizeof(figs[0])) != 0)
		rc = 1;

	b.f->C_CloseSession(b.s);
	if (te_hsm_key_delete(b.hsm, "bench-ec-p256") != TE_OK ||
	    te_hsm_key_delete(b.hsm, "bench-hmac") != TE_OK)
		fprintf(stderr, "bench_pkcs11: cleanup: %s\n", te_err_detail());
	te_hsm_close(b.hsm);
	return rc;
}
