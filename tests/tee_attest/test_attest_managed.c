/*
 * test_attest_managed.c - attest.managed: evidence of a TA that the real
 * trustedged (--dev, in a temporary directory) started and serves.  It
 * is signed by the device's HSM attestation key: refused by a host told
 * nothing, accepted once the device's edge CA (as the daemon stores it)
 * is trusted, and its claims do NOT say "developer root"; a local report
 * verifies against the root trustedged named for the enclave.
 */
#include <openenclave/attestation/sgx/evidence.h>
#include <openenclave/attestation/verifier.h>
#include <openenclave/edger8r/host.h>
#include <openenclave/trustedge.h>

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "trustedge/te_cert.h"

#define TA_A TE_ATTEST_TA_DIR "/attest_ta.signed"

static const oe_uuid_t fmt_ecdsa = {OE_FORMAT_UUID_SGX_ECDSA};

enum { E_EVIDENCE, E_VERIFY, E_REPORT, E_COUNT };
static const oe_ecall_info_t ecall_names[E_COUNT] = {{"evidence"}, {"verify"}, {"report"}};

static void o_write(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	(void)in;
	(void)n;
	(void)out;
	(void)cap;
	*w = 0;
}

static const oe_ocall_func_t ocalls[] = {o_write};
static uint8_t g_out[128 * 1024];
static char *g_dir;
static pid_t g_daemon = -1;

static oe_result_t ecall(oe_enclave_t *e, uint32_t fn, const void *in, size_t n, size_t *data_n)
{
	size_t w = 0;
	uint32_t v;

	assert_int_equal(oe_call_enclave_function(e, fn, in, n, g_out, sizeof(g_out), &w), OE_OK);
	assert_true(w >= 4);
	*data_n = w - 4;
	memcpy(&v, g_out, 4);
	return (oe_result_t)v;
}

static void daemon_start(const char *sock)
{
	char *log = tu_path(g_dir, "daemon.log");
	struct sockaddr_un sa;

	g_daemon = fork();
	assert_true(g_daemon >= 0);
	if (g_daemon == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(TE_TRUSTEDGED, TE_TRUSTEDGED, "--dev", g_dir, (char *)NULL);
		_exit(127);
	}
	free(log);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	for (int i = 0; i < 300; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		char b[64];

		/* The keys process answers a message that is not a CREATE. */
		ok = ok && send(fd, "\x02\x00\x45\x54\x00\x00\x00\x00", 8, MSG_NOSIGNAL) == 8 &&
		     recv(fd, b, sizeof(b), 0) > 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return;
		usleep(50000);
	}
	fail_msg("trustedged did not serve %s", sock);
}

/* The device CA as the daemon keeps it (what an operator exports). */
static char *device_ca(size_t *n)
{
	char *store_dir = tu_path(g_dir, "state/certs"), *pem = NULL;
	te_cert_store *st = NULL;

	assert_int_equal(te_cert_store_open(store_dir, &st), TE_OK);
	assert_int_equal(te_cert_store_get(st, "edge-ca", &pem, n, NULL), TE_OK);
	te_cert_store_close(st);
	free(store_dir);
	return pem;
}

static void test_managed_evidence(void **state)
{
	oe_enclave_t *e = NULL;
	uint8_t in[64], nonce[32], *ev;
	size_t n, ev_n, ca_n = 0, k = 0;
	uint32_t v;
	oe_policy_t pol = {TE_POLICY_REPORT_DATA, nonce, sizeof(nonce)};
	oe_claim_t *c = NULL;
	oe_report_t rep;
	char *ca;
	int seen = 0;

	(void)state;
	memset(nonce, 0x3a, sizeof(nonce));
	assert_int_equal(oe_create_enclave(TA_A, OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0, ocalls, 1,
	                                   ecall_names, E_COUNT, &e),
	                 OE_OK);
	memcpy(in, fmt_ecdsa.b, 16);
	v = sizeof(nonce);
	memcpy(in + 16, &v, 4);
	memcpy(in + 20, nonce, sizeof(nonce));
	assert_int_equal(ecall(e, E_EVIDENCE, in, 20 + sizeof(nonce), &n), OE_OK);
	ev_n = n;
	ev = malloc(ev_n);
	assert_non_null(ev);
	memcpy(ev, g_out + 4, ev_n);

	/* Told nothing: refused. */
	unsetenv("TE_TEE_TRUSTED_ROOTS");
	te_verifier_clear_trusted_roots();
	assert_int_equal(oe_verify_evidence(&fmt_ecdsa, ev, ev_n, NULL, 0, &pol, 1, &c, &k),
	                 OE_VERIFY_FAILED);
	/* Trusting the device CA: accepted, and not a developer root. */
	ca = device_ca(&ca_n);
	assert_int_equal(te_verifier_add_trusted_root_pem(ca, ca_n), OE_OK);
	assert_int_equal(oe_verify_evidence(&fmt_ecdsa, ev, ev_n, NULL, 0, &pol, 1, &c, &k), OE_OK);
	for (size_t i = 0; i < k; i++) {
		if (strcmp(c[i].name, OE_CLAIM_TRUSTEDGE_DEVELOPER_ROOT) == 0) {
			assert_int_equal(c[i].value_size, 1);
			assert_int_equal(c[i].value[0], 0);
			seen |= 1;
		}
		if (strcmp(c[i].name, OE_CLAIM_TRUSTEDGE_EMULATED) == 0) {
			assert_int_equal(c[i].value[0], 1);
			seen |= 2;
		}
		if (strcmp(c[i].name, OE_CLAIM_ATTRIBUTES) == 0) {
			uint64_t a;

			memcpy(&a, c[i].value, sizeof(a));
			assert_false(a & OE_EVIDENCE_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT);
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	oe_free_claims(c, k);
	/* A changed nonce is refused under the device CA as well. */
	nonce[0] ^= 1;
	assert_int_not_equal(oe_verify_evidence(&fmt_ecdsa, ev, ev_n, NULL, 0, &pol, 1, &c, &k),
	                     OE_OK);
	te_verifier_clear_trusted_roots();

	/* A local report: checked against the root trustedged serves this
	 * enclave from, without the host trusting anything. */
	memset(in, 0, 4);
	assert_int_equal(ecall(e, E_REPORT, in, 4, &n), OE_OK);
	assert_int_equal(oe_verify_report(e, g_out + 4, n, &rep), OE_OK);
	assert_false(rep.identity.attributes & OE_REPORT_ATTRIBUTES_TRUSTEDGE_DEVELOPER_ROOT);

	free(ca);
	free(ev);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_managed_evidence),
	};
	char *sock, *bad;
	int rc, st;

	signal(SIGPIPE, SIG_IGN);
	g_dir = tu_tempdir("attest-managed");
	sock = tu_path(g_dir, "run/tee.sock");
	/* No usable developer root: whatever works came from the daemon. */
	bad = tu_path(g_dir, "open-to-all");
	if (mkdir(bad, 0700) != 0 || chmod(bad, 0777) != 0)
		return 1;
	setenv("TE_TEE_DEV_ROOT", bad, 1);
	setenv("TE_TEE_SOCKET", sock, 1);
	daemon_start(sock);
	rc = cmocka_run_group_tests_name("attest.managed", tests, NULL, NULL);
	kill(g_daemon, SIGTERM);
	waitpid(g_daemon, &st, 0);
	tu_rmtree(g_dir);
	free(sock);
	free(bad);
	return rc;
}
