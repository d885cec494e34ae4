/*
 * test_runtime.c - the emulator's host and TA runtimes, end to end, with
 * real TA processes (tests/tee/ta/rt_ta.c) signed by te-sign.
 *
 *   tee.runtime    calls, OCALLs, nested calls, stdio, host heap, NumTCS,
 *                  several enclaves, switchless workers, debug downgrade
 *   tee.isolation  forbidden system calls, crash, endless loop, heap
 *                  limit, oe_abort, memory of a non-debug TA unreadable by
 *                  its (unprivileged) host, unsigned and altered images
 */
#include <openenclave/edger8r/host.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tee/host/host_int.h"

#define TA_SIGNED TE_RT_TA_DIR "/rt_ta.signed"
#define TA_DEBUG TE_RT_TA_DIR "/rt_ta_debug.signed"
#define TA_UNSIGNED TE_RT_TA_EXE

enum {
	F_ECHO, F_OCALL_ECHO, F_NESTED, F_SWITCHLESS_OCALL, F_OPEN, F_SOCKET, F_FORK, F_LOOP,
	F_CRASH, F_HEAP_HOG, F_ABORT, F_PRINT, F_SECRET_ADDR, F_WITHIN, F_BUSY, F_LIE, F_EMPTY,
	F_MISSING, F_RANDOM, F_RECURSE, F_CTOR_DONE, F_LOCALTIME, F_COUNT
};

static const oe_ecall_info_t ecall_names[F_COUNT] = {
	{ "echo" }, { "ocall_echo" }, { "nested" }, { "switchless_ocall" }, { "open" },
	{ "socket" }, { "fork" }, { "loop" }, { "crash" }, { "heap_hog" }, { "abort" },
	{ "print" }, { "secret_addr" }, { "within" }, { "busy" }, { "lie" }, { "empty" },
	{ "not_in_the_ta" }, { "random" }, { "recurse" }, { "ctor_done" }, { "localtime" },
};

/* --- the host's OCALLs ---------------------------------------------------- */

static oe_enclave_t *nested_target;
static pthread_t ocall_thread;
static char printed[512];
static size_t printed_len;

static void o_echo(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	size_t k = n < cap ? n : cap;

	ocall_thread = pthread_self();
	memcpy(out, in, k);
	*w = k;
}

/* ECALLs back into the enclave that made this OCALL. */
static void o_nested(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	if (oe_call_enclave_function(nested_target, F_ECHO, in, n, out, cap, w) != OE_OK)
		*w = 0;
}

static void o_write(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *w)
{
	int64_t ret = (int64_t)(n - 4);

	if (n >= 4 && printed_len + n - 4 < sizeof(printed)) {
		memcpy(printed + printed_len, in + 4, n - 4);
		printed_len += n - 4;
	}
	memcpy(out, &ret, sizeof(ret));
	*w = sizeof(ret);
}

static const oe_ocall_func_t ocalls[] = { o_echo, o_nested, o_write };

static oe_result_t create(const char *path, uint32_t flags, const oe_enclave_setting_t *s,
			  uint32_t ns, oe_enclave_t **e)
{
	return oe_create_enclave(path, OE_ENCLAVE_TYPE_AUTO, flags, s, ns, ocalls, 3, ecall_names,
				 F_COUNT, e);
}

static oe_result_t call(oe_enclave_t *e, uint32_t fn, const void *in, size_t n, void *out,
			size_t cap, size_t *w)
{
	size_t dummy;

	return oe_call_enclave_function(e, fn, in, n, out, cap, w ? w : &dummy);
}

static uint64_t call_u64(oe_enclave_t *e, uint32_t fn, oe_result_t *r)
{
	uint64_t v = 0;
	size_t w = 0;

	*r = call(e, fn, NULL, 0, &v, sizeof(v), &w);
	return v;
}

/* --- tee.runtime ---------------------------------------------------------- */

static void test_echo_and_ocalls(void **state)
{
	oe_enclave_t *e = NULL;
	char out[64];
	size_t w = 0;

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	assert_int_equal(call(e, F_ECHO, "ping", 4, out, sizeof(out), &w), OE_OK);
	assert_int_equal(w, 4);
	assert_memory_equal(out, "ping", 4);
	assert_int_equal(call(e, F_EMPTY, NULL, 0, NULL, 0, &w), OE_OK);
	assert_int_equal(w, 0);
	/* ECALL -> OCALL -> back */
	assert_int_equal(call(e, F_OCALL_ECHO, "round", 5, out, sizeof(out), &w), OE_OK);
	assert_int_equal(w, 5);
	assert_memory_equal(out, "round", 5);
	/* ECALL -> OCALL -> nested ECALL on the same TA thread */
	nested_target = e;
	assert_int_equal(call(e, F_NESTED, "deep", 4, out, sizeof(out), &w), OE_OK);
	assert_int_equal(w, 4);
	assert_memory_equal(out, "deep", 4);
	/* printf in the TA reaches the host through the write OCALL */
	printed_len = 0;
	assert_int_equal(call(e, F_PRINT, "abc", 3, NULL, 0, &w), OE_OK);
	printed[printed_len] = '\0';
	assert_string_equal(printed, "hello from the TA: abc\n");
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

static void test_memory_predicates(void **state)
{
	oe_enclave_t *e = NULL;
	uint8_t r[6] = { 9, 9, 9, 9, 9, 9 };
	const uint8_t want[6] = { 1, 0, 0, 1, 0, 1 };

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	assert_int_equal(call(e, F_WITHIN, NULL, 0, r, sizeof(r), NULL), OE_OK);
	assert_memory_equal(r, want, sizeof(want));
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

static void test_random(void **state)
{
	oe_enclave_t *e = NULL;
	uint8_t r[64], zero[32] = { 0 };
	size_t w = 0;

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	assert_int_equal(call(e, F_RANDOM, NULL, 0, r, sizeof(r), &w), OE_OK);
	assert_int_equal(w, 64);
	assert_memory_not_equal(r, r + 32, 32);
	assert_memory_not_equal(r, zero, 32);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

/* The TA's own (slow) constructor has run before the first ECALL, and
 * libc calls that read files on first use were prepared before the
 * sandbox. */
static void test_constructors_and_libc(void **state)
{
	oe_enclave_t *e = NULL;
	oe_result_t r;

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	assert_int_equal(call_u64(e, F_CTOR_DONE, &r), 1);
	assert_int_equal(r, OE_OK);
	assert_int_equal(call_u64(e, F_LOCALTIME, &r), 123);
	assert_int_equal(r, OE_OK);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

static void test_bad_ids_and_sizes(void **state)
{
	oe_enclave_t *e = NULL;
	char out[8];
	size_t w = 7;
	static char big[(4u << 20) + 1];

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	/* outside the host's own table */
	assert_int_equal(call(e, F_COUNT, NULL, 0, NULL, 0, &w), OE_INVALID_PARAMETER);
	/* in the host's table, not in the TA's */
	assert_int_equal(call(e, F_MISSING, NULL, 0, NULL, 0, &w), OE_NOT_FOUND);
	/* larger than the channel */
	assert_int_equal(call(e, F_ECHO, big, sizeof(big), out, sizeof(out), &w),
			 OE_OUT_OF_MEMORY);
	/* the TA claims more output than the host asked for */
	assert_int_not_equal(call(e, F_LIE, NULL, 0, out, sizeof(out), &w), OE_OK);
	assert_int_equal(w, 0);
	/* and the enclave still works */
	assert_int_equal(call(e, F_ECHO, "ok", 2, out, sizeof(out), &w), OE_OK);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
	assert_int_equal(oe_create_enclave(NULL, OE_ENCLAVE_TYPE_AUTO, 0, NULL, 0, NULL, 0, NULL,
					   0, &e),
			 OE_INVALID_PARAMETER);
	assert_int_equal(create(TA_SIGNED, 0x80000000u, NULL, 0, &e), OE_INVALID_PARAMETER);
	assert_int_equal(create("/nonexistent/ta.signed", 0, NULL, 0, &e) == OE_OK, 0);
}

struct busy_arg {
	oe_enclave_t *e;
	uint32_t ms;
	oe_result_t r;
};

static void *busy_thread(void *p)
{
	struct busy_arg *a = p;

	a->r = call(a->e, F_BUSY, &a->ms, sizeof(a->ms), NULL, 0, NULL);
	return NULL;
}

static void test_tcs_limit(void **state)
{
	oe_enclave_t *e = NULL;
	struct busy_arg a[2];
	pthread_t t[2];

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct busy_arg){ e, 400, OE_FAILURE };
		assert_int_equal(pthread_create(&t[i], NULL, busy_thread, &a[i]), 0);
	}
	usleep(150000);
	/* NumTCS=2 and both are busy */
	assert_int_equal(call(e, F_EMPTY, NULL, 0, NULL, 0, NULL), OE_OUT_OF_THREADS);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].r, OE_OK);
	}
	assert_int_equal(call(e, F_EMPTY, NULL, 0, NULL, 0, NULL), OE_OK);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

static void test_two_enclaves(void **state)
{
	oe_enclave_t *e1 = NULL, *e2 = NULL;
	struct busy_arg a[2];
	pthread_t t[2];

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e1), OE_OK);
	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e2), OE_OK);
	assert_ptr_not_equal(e1, e2);
	a[0] = (struct busy_arg){ e1, 100, OE_FAILURE };
	a[1] = (struct busy_arg){ e2, 100, OE_FAILURE };
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, busy_thread, &a[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].r, OE_OK);
	}
	assert_int_equal(oe_terminate_enclave(e1), OE_OK);
	assert_int_equal(oe_terminate_enclave(e2), OE_OK);
}

static void test_switchless(void **state)
{
	const oe_enclave_setting_context_switchless_t sw = { 1, 1 };
	oe_enclave_setting_t s = { .setting_type = OE_ENCLAVE_SETTING_CONTEXT_SWITCHLESS };
	oe_enclave_t *e = NULL;
	char out[16];
	size_t w = 0;

	s.u.context_switchless_setting = &sw;
	assert_int_equal(create(TA_SIGNED, 0, &s, 1, &e), OE_OK);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(oe_switchless_call_enclave_function(e, F_ECHO, "sw", 2, out,
								     sizeof(out), &w),
				 OE_OK);
		assert_int_equal(w, 2);
	}
	/* A switchless OCALL is run by a host worker, not the calling thread. */
	ocall_thread = pthread_self();
	assert_int_equal(call(e, F_SWITCHLESS_OCALL, "wk", 2, out, sizeof(out), &w), OE_OK);
	assert_int_equal(w, 2);
	assert_memory_equal(out, "wk", 2);
	assert_false(pthread_equal(ocall_thread, pthread_self()));
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
	/* Unknown setting types are refused. */
	s.setting_type = (oe_enclave_setting_type_t)0x1234;
	assert_int_equal(create(TA_SIGNED, 0, &s, 1, &e), OE_INVALID_PARAMETER);
}

static void test_debug_flags(void **state)
{
	oe_enclave_t *e = NULL;

	/* Debug=0 image: debug mode is a downgrade, refused */
	assert_int_equal(create(TA_SIGNED, OE_ENCLAVE_FLAG_DEBUG, NULL, 0, &e), OE_DEBUG_DOWNGRADE);
	assert_int_equal(create(TA_SIGNED, OE_ENCLAVE_FLAG_DEBUG_AUTO, NULL, 0, &e), OE_OK);
	assert_int_equal(e->debug, 0);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
	assert_int_equal(create(TA_DEBUG, OE_ENCLAVE_FLAG_DEBUG_AUTO, NULL, 0, &e), OE_OK);
	assert_int_equal(e->debug, 1);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

/* --- tee.isolation -------------------------------------------------------- */

/* A forbidden system call stops the TA; this call and later ones fail
 * with OE_ENCLAVE_ABORTED and a sentence naming the call. */
static void expect_stopped(uint32_t fn, const char *why)
{
	oe_enclave_t *e = NULL;
	oe_result_t r;
	time_t t0 = time(NULL);

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	call_u64(e, fn, &r);
	assert_int_equal(r, OE_ENCLAVE_ABORTED);
	if (!strstr(oe_last_error_detail(), why))
		fail_msg("detail '%s' does not name '%s'", oe_last_error_detail(), why);
	assert_true(time(NULL) - t0 < 10);
	assert_int_equal(call(e, F_EMPTY, NULL, 0, NULL, 0, NULL), OE_ENCLAVE_ABORTED);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

static void test_forbidden_open(void **state)
{
	expect_stopped(F_OPEN, "openat");
}

static void test_forbidden_socket(void **state)
{
	expect_stopped(F_SOCKET, "socket");
}

static void test_forbidden_fork(void **state)
{
	expect_stopped(F_FORK, "fork");
}

static void test_crash(void **state)
{
	expect_stopped(F_CRASH, "SIGSEGV");
}

static void test_endless_loop(void **state)
{
	setenv("TE_ENCLAVE_CALL_TIMEOUT_MS", "300", 1);
	expect_stopped(F_LOOP, "did not return");
	unsetenv("TE_ENCLAVE_CALL_TIMEOUT_MS");
}

static void test_heap_limit(void **state)
{
	oe_enclave_t *e = NULL;
	static char big[3u << 20];
	oe_result_t r;
	uint64_t got;

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	/* NumHeapPages=1024: 4 MiB, so fewer than 4 blocks of 1 MiB fit */
	got = call_u64(e, F_HEAP_HOG, &r);
	assert_int_equal(r, OE_OK);
	assert_true(got >= 1 && got < 4);
	/* 3 MiB in + 3 MiB out does not fit in the TA's heap */
	r = call(e, F_ECHO, big, sizeof(big), big, sizeof(big), NULL);
	assert_int_equal(r, OE_OUT_OF_MEMORY);
	/* and the TA is still there */
	assert_int_equal(call(e, F_ECHO, "x", 1, big, 1, NULL), OE_OK);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

/* NumStackPages=64 (256 KiB) per TCS thread: 32 frames of 4 KiB fit, 128
 * overflow the guard page and stop the TA. */
static void test_stack_limit(void **state)
{
	oe_enclave_t *e = NULL;
	uint64_t v = 0;
	uint32_t depth = 32;

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	assert_int_equal(call(e, F_RECURSE, &depth, sizeof(depth), &v, sizeof(v), NULL), OE_OK);
	depth = 128;
	assert_int_equal(call(e, F_RECURSE, &depth, sizeof(depth), &v, sizeof(v), NULL),
			 OE_ENCLAVE_ABORTED);
	if (!strstr(oe_last_error_detail(), "SIGSEGV"))
		fail_msg("detail '%s'", oe_last_error_detail());
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

static void test_abort(void **state)
{
	oe_enclave_t *e = NULL;

	assert_int_equal(create(TA_SIGNED, 0, NULL, 0, &e), OE_OK);
	assert_int_equal(call(e, F_ABORT, NULL, 0, NULL, 0, NULL), OE_ENCLAVE_ABORTING);
	assert_int_equal(call(e, F_EMPTY, NULL, 0, NULL, 0, NULL), OE_ENCLAVE_ABORTING);
	assert_int_equal(oe_terminate_enclave(e), OE_OK);
}

/* In a child that runs as an unprivileged user (as a real host does):
 * read the TA's secret with process_vm_readv and attach with ptrace.
 * Exit code: bit 0 = read worked, bit 1 = attach worked, 100+ = setup. */
static int probe_memory(const char *image, uint32_t flags)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		oe_enclave_t *e = NULL;
		oe_result_t r;
		uint64_t addr;
		char buf[21] = { 0 };
		struct iovec local = { buf, 20 }, remote;
		int code = 0;

		if (getuid() == 0 && (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
				      setresuid(65534, 65534, 65534) != 0))
			_exit(100);
		if (create(image, flags, NULL, 0, &e) != OE_OK)
			_exit(101);
		addr = call_u64(e, F_SECRET_ADDR, &r);
		if (r != OE_OK)
			_exit(102);
		remote.iov_base = (void *)(uintptr_t)addr;
		remote.iov_len = 20;
		if (process_vm_readv(e->pid, &local, 1, &remote, 1, 0) == 20 &&
		    strcmp(buf, "TA-SECRET-0123456789") == 0)
			code |= 1;
		if (ptrace(PTRACE_ATTACH, e->pid, NULL, NULL) == 0) {
			code |= 2;
			waitpid(e->pid, NULL, __WALL);
			ptrace(PTRACE_DETACH, e->pid, NULL, NULL);
		}
		oe_terminate_enclave(e);
		_exit(code);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_memory_unreadable(void **state)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
	int scope = 0;

	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 0;
		fclose(f);
	}
	/* production: neither reading nor attaching */
	assert_int_equal(probe_memory(TA_SIGNED, 0), 0);
	/* debug: both work (for gdb), unless the kernel forbids it anyway */
	if (scope < 2)
		assert_int_equal(probe_memory(TA_DEBUG, OE_ENCLAVE_FLAG_DEBUG), 3);
}

/* Runs a TA executable as a program (no host, no fd 3); its exit code. */
static int run_directly(const char *path)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 2);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_unsigned_and_altered(void **state)
{
	char path[] = "/tmp/te-tee-altered-XXXXXX";
	oe_enclave_t *e = NULL;
	FILE *in, *out;
	struct stat st;
	uint8_t *buf;
	int fd;

	assert_int_equal(create(TA_UNSIGNED, 0, NULL, 0, &e), OE_UNSUPPORTED_ENCLAVE_IMAGE);
	assert_null(e);
	assert_int_equal(stat(TA_SIGNED, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	in = fopen(TA_SIGNED, "rb");
	assert_non_null(in);
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, in), (size_t)st.st_size);
	fclose(in);
	buf[st.st_size / 3] ^= 0x40; /* inside the code */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	out = fdopen(fd, "wb");
	assert_int_equal(fwrite(buf, 1, (size_t)st.st_size, out), (size_t)st.st_size);
	fclose(out);
	assert_int_equal(create(path, 0, NULL, 0, &e), OE_VERIFY_FAILED);
	assert_null(e);
	unlink(path);
	free(buf);
	/* A TA run directly (not by a host) says what it is and exits 2. */
	assert_int_equal(run_directly(TA_UNSIGNED), 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest runtime[] = {
		cmocka_unit_test(test_echo_and_ocalls),
		cmocka_unit_test(test_memory_predicates),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_constructors_and_libc),
		cmocka_unit_test(test_bad_ids_and_sizes),
		cmocka_unit_test(test_tcs_limit),
		cmocka_unit_test(test_two_enclaves),
		cmocka_unit_test(test_switchless),
		cmocka_unit_test(test_debug_flags),
	};
	const struct CMUnitTest isolation[] = {
		cmocka_unit_test(test_forbidden_open),
		cmocka_unit_test(test_forbidden_socket),
		cmocka_unit_test(test_forbidden_fork),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_endless_loop),
		cmocka_unit_test(test_heap_limit),
		cmocka_unit_test(test_stack_limit),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_memory_unreadable),
		cmocka_unit_test(test_unsigned_and_altered),
	};

	/* For tee.gdb: one ECALL into the debug TA, with a debugger expected
	 * to attach (TE_ENCLAVE_WAIT_DEBUGGER=1 in the environment). */
	if (argc > 1 && strcmp(argv[1], "gdb-host") == 0) {
		oe_enclave_t *e = NULL;
		char out[8];
		size_t w = 0;
		oe_result_t r = create(TA_DEBUG, OE_ENCLAVE_FLAG_DEBUG, NULL, 0, &e);

		if (r == OE_OK)
			r = call(e, F_ECHO, "gdb", 3, out, sizeof(out), &w);
		printf("gdb-host: %s\n", oe_result_str(r));
		if (e)
			oe_terminate_enclave(e);
		return r == OE_OK ? 0 : 1;
	}
	if (argc > 1 && strcmp(argv[1], "isolation") == 0)
		return cmocka_run_group_tests_name("tee.isolation", isolation, NULL, NULL);
	return cmocka_run_group_tests_name("tee.runtime", runtime, NULL, NULL);
}
