/*
 * host.c - liboehost: create, call and terminate enclaves.
 *
 * An enclave is a TA process.  oe_create_enclave verifies the signed image
 * (image.c), copies the verified ELF into a sealed memfd and executes that
 * copy - so what runs is exactly what was verified, whatever happens to
 * the file afterwards - with a control socket and the shared channel file
 * (channel.h).  A monitor thread per enclave watches the control socket:
 * when the TA dies (a forbidden system call, a crash, oe_abort, a kill)
 * every call in progress returns at once with the reason, and later calls
 * fail the same way.  A call the TA does not answer within the call
 * timeout stops the TA.
 *
 * Calls: a host thread takes a free slot (one per TCS: all taken ->
 * OE_OUT_OF_THREADS), writes the input, hands the slot to the TA and waits
 * - spinning briefly, then on the futex - serving the OCALLs the TA sends
 * back on the same slot.  An ECALL made from inside an OCALL handler goes
 * to the same slot, where the TA thread that made the OCALL serves it.
 */
#include <openenclave/edger8r/host.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tee/channel.h"
#include "tee/detail.h"
#include "tee/host/host_int.h"
#include "tee/host/spawn.h"
#include "tee/image.h"
#include "tee/mgd.h"
#include "tee/rot/rot.h"

#define TE_HOST_SPIN_REGULAR_NS 50000u
#define TE_HOST_SPIN_WORKER_NS 5000000u
#define TE_HOST_MAX_WORKERS 64u
#define TE_HOST_READY_MS 10000
#define TE_HOST_DEFAULT_TIMEOUT_MS 60000u

/* The (enclave, slot) pairs this thread is inside an OCALL handler of,
 * innermost last: an ECALL to the same enclave from there nests on it. */
struct te_host_binding {
	oe_enclave_t *enc;
	uint32_t slot;
};
static _Thread_local struct te_host_binding te_host_stack[TE_CH_MAX_NESTING];
static _Thread_local uint32_t te_host_depth;

const char *oe_last_error_detail(void)
{
	return te_tee_detail();
}

static int te_host_valid(oe_enclave_t *enc)
{
	return enc && enc->magic == TE_HOST_MAGIC;
}

static oe_result_t te_host_dead_result(oe_enclave_t *enc)
{
	uint32_t d = atomic_load(&enc->dead);

	return te_tee_fail((oe_result_t)d, "%s", enc->detail);
}

/* --- OCALLs ------------------------------------------------------------- */

static void te_host_reply(struct te_ch_slot *slot, oe_result_t status, uint64_t size)
{
	struct te_ch_msg m = { .kind = TE_MSG_OCALL_RET, .status = (uint32_t)status, .size = size };

	te_ch_post(slot, &m, TE_SLOT_TA);
}

/* Runs the OCALL waiting in slot idx and posts its reply.  The input is
 * copied out of shared memory before the handler sees it. */
void te_host_serve_ocall(oe_enclave_t *enc, uint32_t idx, const struct te_ch_msg *m)
{
	struct te_ch_slot *slot = te_ch_slot_at(enc->base, &enc->lay, idx);
	uint8_t *data = te_ch_data_at(enc->base, &enc->lay, idx);
	uint8_t small_in[256], small_out[256]; /* small OCALLs need no heap */
	uint8_t *in = NULL, *out = NULL;
	size_t written = 0;
	oe_result_t res = OE_OK;

	if (m->fn >= enc->ocall_count || !enc->ocall_table[m->fn]) {
		te_host_reply(slot, OE_NOT_FOUND, 0);
		return;
	}
	if (te_host_depth >= TE_CH_MAX_NESTING) {
		te_host_reply(slot, OE_REENTRANT_ECALL, 0);
		return;
	}
	in = m->size <= sizeof(small_in) ? small_in : malloc(m->size);
	out = m->out_cap <= sizeof(small_out) ? small_out : malloc(m->out_cap);
	if (!in || !out) {
		res = OE_OUT_OF_MEMORY;
		goto out;
	}
	memcpy(in, data, m->size);
	memset(out, 0, m->out_cap);
	te_host_stack[te_host_depth].enc = enc;
	te_host_stack[te_host_depth].slot = idx;
	te_host_depth++;
	enc->ocall_table[m->fn](in, m->size, out, m->out_cap, &written);
	te_host_depth--;
	if (written > m->out_cap) {
		res = OE_UNEXPECTED;
		goto out;
	}
	memcpy(data, out, written);
out:
	if (in != small_in)
		free(in);
	if (out != small_out)
		free(out);
	te_host_reply(slot, res, res == OE_OK ? written : 0);
}

/* --- ECALLs ------------------------------------------------------------- */

/* Takes a free slot among [first, first+n); UINT32_MAX when all are busy. */
static uint32_t te_host_slot_take(oe_enclave_t *enc, uint32_t first, uint32_t n)
{
	for (uint32_t i = first; i < first + n; i++) {
		uint32_t expect = 0;

		if (atomic_compare_exchange_strong(&enc->busy[i], &expect, 1))
			return i;
	}
	return UINT32_MAX;
}

/* Stops the TA: ours to kill in developer mode; in managed mode it is
 * trustedged's child (perhaps of another uid), which kills it on KILL. */
static void te_host_kill(oe_enclave_t *enc)
{
	if (enc->mgd >= 0)
		(void)te_mgd_send(enc->mgd, TE_MGD_KILL, NULL, 0, NULL, 0);
	else if (enc->pid > 0)
		kill(enc->pid, SIGKILL);
}

/* The TA did not answer in time: stop it and wait for the monitor to see
 * it gone, so the reason every caller gets is this one. */
static oe_result_t te_host_timeout(oe_enclave_t *enc, uint32_t fn)
{
	pthread_mutex_lock(&enc->lock);
	if (!enc->detail[0])
		snprintf(enc->detail, sizeof(enc->detail),
			 "TA did not return from ECALL '%s' within %llu ms; stopped it",
			 fn < enc->ecall_count ? enc->ecall_names[fn].name : "?",
			 (unsigned long long)(enc->timeout_ns / 1000000u));
	pthread_mutex_unlock(&enc->lock);
	te_host_kill(enc);
	while (!atomic_load(&enc->dead))
		usleep(1000);
	return te_host_dead_result(enc);
}

static oe_result_t te_host_ecall(oe_enclave_t *enc, int switchless, uint32_t fn, const void *in,
				 size_t in_size, void *out, size_t out_size, size_t *written)
{
	uint32_t idx = UINT32_MAX, owned = 0;
	uint64_t spin = TE_HOST_SPIN_REGULAR_NS;
	struct te_ch_slot *slot;
	struct te_ch_msg m;
	oe_result_t r;

	te_tee_detail_clear();
	if (!te_host_valid(enc) || (in_size && !in) || (out_size && !out))
		return te_tee_fail(OE_INVALID_PARAMETER, "bad enclave or buffer");
	if (written)
		*written = 0;
	if (atomic_load(&enc->dead))
		return te_host_dead_result(enc);
	if (fn >= enc->ecall_count)
		return te_tee_fail(OE_INVALID_PARAMETER, "ECALL id %u is not in the table", fn);
	if (in_size > TE_CH_DATA_CAP || out_size > TE_CH_DATA_CAP)
		return te_tee_fail(OE_OUT_OF_MEMORY,
				   "call of %zu bytes in, %zu out exceeds the channel's %u bytes",
				   in_size, out_size, TE_CH_DATA_CAP);
	for (uint32_t d = te_host_depth; d > 0; d--) {
		if (te_host_stack[d - 1].enc == enc) {
			idx = te_host_stack[d - 1].slot;
			break;
		}
	}
	/* A slot found there belongs to the outer call: not ours to free. */
	owned = idx == UINT32_MAX;
	if (idx == UINT32_MAX && switchless && enc->lay.n_eworkers) {
		idx = te_host_slot_take(enc, enc->lay.n_regular, enc->lay.n_eworkers);
		if (idx != UINT32_MAX)
			spin = TE_HOST_SPIN_WORKER_NS;
	}
	if (idx == UINT32_MAX) {
		idx = te_host_slot_take(enc, 0, enc->lay.n_regular);
		if (idx == UINT32_MAX)
			return te_tee_fail(OE_OUT_OF_THREADS,
					   "all %u TCS of the enclave are busy (NumTCS)",
					   enc->lay.n_regular);
	}
	slot = te_ch_slot_at(enc->base, &enc->lay, idx);
	if (in_size)
		memcpy(te_ch_data_at(enc->base, &enc->lay, idx), in, in_size);
	m = (struct te_ch_msg){ .kind = TE_MSG_ECALL, .fn = fn, .size = in_size,
				.out_cap = out_size };
	te_ch_post(slot, &m, TE_SLOT_TA);
	for (;;) {
		uint64_t deadline = enc->timeout_ns ? te_ch_now_ns() + enc->timeout_ns : 0;
		int w = te_ch_wait(slot, TE_SLOT_HOST, spin, &enc->dead, deadline);

		if (w < 0) {
			r = te_host_timeout(enc, fn);
			break;
		}
		if (w > 0) {
			r = te_host_dead_result(enc);
			break;
		}
		r = te_ch_msg_read(slot, 1u << TE_MSG_ECALL_RET | 1u << TE_MSG_OCALL, &m);
		if (r != OE_OK) {
			r = te_tee_fail(r, "TA sent a malformed message");
			break;
		}
		if (m.kind == TE_MSG_OCALL) {
			te_host_serve_ocall(enc, idx, &m);
			continue;
		}
		r = (oe_result_t)m.status;
		if (r != OE_OK) {
			te_tee_fail(r, "ECALL '%s' failed in the TA", enc->ecall_names[fn].name);
			break;
		}
		if (m.size > out_size) {
			r = te_tee_fail(OE_OUT_OF_BOUNDS,
					"TA returned %llu bytes for a %zu-byte output buffer",
					(unsigned long long)m.size, out_size);
			break;
		}
		if (m.size)
			memcpy(out, te_ch_data_at(enc->base, &enc->lay, idx), m.size);
		if (written)
			*written = m.size;
		break;
	}
	if (owned)
		atomic_store(&enc->busy[idx], 0);
	return r;
}

oe_result_t oe_call_enclave_function(oe_enclave_t *enclave, uint32_t function_id,
				     const void *input_buffer, size_t input_buffer_size,
				     void *output_buffer, size_t output_buffer_size,
				     size_t *output_bytes_written)
{
	return te_host_ecall(enclave, 0, function_id, input_buffer, input_buffer_size,
			     output_buffer, output_buffer_size, output_bytes_written);
}

oe_result_t oe_switchless_call_enclave_function(oe_enclave_t *enclave, uint32_t function_id,
						const void *input_buffer, size_t input_buffer_size,
						void *output_buffer, size_t output_buffer_size,
						size_t *output_bytes_written)
{
	return te_host_ecall(enclave, 1, function_id, input_buffer, input_buffer_size,
			     output_buffer, output_buffer_size, output_bytes_written);
}

/* --- switchless OCALL workers ------------------------------------------- */

struct te_host_worker_arg {
	oe_enclave_t *enc;
	uint32_t idx;
};

static void *te_host_worker(void *p)
{
	struct te_host_worker_arg a = *(struct te_host_worker_arg *)p;
	struct te_ch_slot *slot = te_ch_slot_at(a.enc->base, &a.enc->lay, a.idx);

	free(p);
	for (;;) {
		struct te_ch_msg m;

		if (te_ch_wait(slot, TE_SLOT_HOST, TE_HOST_SPIN_WORKER_NS, &a.enc->halt, 0) != 0)
			return NULL;
		if (te_ch_msg_read(slot, 1u << TE_MSG_OCALL, &m) != OE_OK) {
			te_host_reply(slot, OE_UNEXPECTED, 0);
			continue;
		}
		te_host_serve_ocall(a.enc, a.idx, &m);
	}
}

/* --- the monitor --------------------------------------------------------- */

static const char *te_host_signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGABRT: return "SIGABRT";
	case SIGKILL: return "SIGKILL";
	case SIGSYS: return "SIGSYS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGTERM: return "SIGTERM";
	default: return "a signal";
	}
}

static void te_host_note(oe_enclave_t *enc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void te_host_note(oe_enclave_t *enc, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&enc->lock);
	if (!enc->detail[0]) {
		va_start(ap, fmt);
		vsnprintf(enc->detail, sizeof(enc->detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&enc->lock);
}

/* Handles one control datagram from the TA; returns 0 to keep reading. */
static int te_host_ctl(oe_enclave_t *enc, const uint8_t *msg, ssize_t n)
{
	uint32_t type, a;
	int64_t b;

	if (n != 16)
		return n <= 0;
	memcpy(&type, msg, 4);
	memcpy(&a, msg + 4, 4);
	memcpy(&b, msg + 8, 8);
	switch (type) {
	case TE_CTL_FAULT:
		if (a == TE_FAULT_SYSCALL)
			te_host_note(enc, "TA made a forbidden system call: %s (%lld); stopped it",
				     te_host_syscall_name(b), (long long)b);
		else
			te_host_note(enc, "TA runtime failed to start (%lld)", (long long)b);
		return 0;
	case TE_CTL_ABORT:
		atomic_store(&enc->aborted, 1);
		te_host_note(enc, "TA called oe_abort");
		return 0;
	default:
		return 0; /* unknown: ignore, the TA is not trusted to be tidy */
	}
}

/* Managed mode: how the TA ended, as trustedged (its parent) saw it. */
static void te_host_mgd_exited(oe_enclave_t *enc, siginfo_t *si)
{
	uint8_t body[8];
	uint32_t type = 0;
	size_t n = 0, nfds = 0;

	if (te_mgd_recv(enc->mgd, &type, body, sizeof(body), &n, NULL, 0, &nfds,
	                TE_HOST_READY_MS) == 0 &&
	    type == TE_MGD_EXITED && n == sizeof(body)) {
		si->si_code = (int)te_mgd_get_u32(body);
		si->si_status = (int)te_mgd_get_u32(body + 4);
		return;
	}
	si->si_code = CLD_KILLED;
	si->si_status = SIGKILL;
}

static void *te_host_monitor(void *p)
{
	oe_enclave_t *enc = p;
	siginfo_t si;

	for (;;) {
		uint8_t msg[16];
		ssize_t n = recv(enc->ctl, msg, sizeof(msg), MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || te_host_ctl(enc, msg, n))
			break;
	}
	memset(&si, 0, sizeof(si));
	if (enc->mgd >= 0)
		te_host_mgd_exited(enc, &si);
	else
		while (waitid(P_PID, (id_t)enc->pid, &si, WEXITED) < 0 && errno == EINTR)
			;
	if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
		te_host_note(enc, "TA process was killed by %s (%d)", te_host_signame(si.si_status),
			     si.si_status);
	else if (!atomic_load(&enc->stopping))
		te_host_note(enc, "TA process exited with status %d", si.si_status);
	atomic_store(&enc->dead, atomic_load(&enc->aborted) ? OE_ENCLAVE_ABORTING
							   : OE_ENCLAVE_ABORTED);
	atomic_store(&enc->halt, 1);
	for (uint32_t i = 0; i < enc->lay.n_slots; i++)
		te_ch_wake(te_ch_slot_at(enc->base, &enc->lay, i));
	return NULL;
}

/* --- create / terminate ------------------------------------------------- */
/* The TA starts with fd 3 = control socket, 4 = channel file, 5 = its
 * root-of-trust socket (answered by rot_host.c in developer mode); the
 * image is executed from fd 6, closed by the exec. */

static oe_result_t te_host_settings(const oe_enclave_setting_t *settings, uint32_t count,
				    uint32_t *hworkers, uint32_t *eworkers)
{
	*hworkers = *eworkers = 0;
	if (count && !settings)
		return te_tee_fail(OE_INVALID_PARAMETER, "settings is NULL");
	for (uint32_t i = 0; i < count; i++) {
		const oe_enclave_setting_context_switchless_t *s;

		if (settings[i].setting_type != OE_ENCLAVE_SETTING_CONTEXT_SWITCHLESS)
			return te_tee_fail(OE_INVALID_PARAMETER, "unknown setting type 0x%x",
					   (unsigned)settings[i].setting_type);
		s = settings[i].u.context_switchless_setting;
		if (!s)
			return te_tee_fail(OE_INVALID_PARAMETER, "switchless setting is NULL");
		if (s->max_host_workers > TE_HOST_MAX_WORKERS ||
		    s->max_enclave_workers > TE_HOST_MAX_WORKERS)
			return te_tee_fail(OE_INVALID_PARAMETER,
					   "at most %u switchless workers per side",
					   TE_HOST_MAX_WORKERS);
		*hworkers = (uint32_t)s->max_host_workers;
		*eworkers = (uint32_t)s->max_enclave_workers;
	}
	return OE_OK;
}

static uint64_t te_host_timeout_ns(void)
{
	const char *s = getenv("TE_ENCLAVE_CALL_TIMEOUT_MS");
	char *end = NULL;
	unsigned long long v;

	if (!s || !*s)
		return (uint64_t)TE_HOST_DEFAULT_TIMEOUT_MS * 1000000u;
	v = strtoull(s, &end, 10);
	if (*end || v > 86400000ull)
		return (uint64_t)TE_HOST_DEFAULT_TIMEOUT_MS * 1000000u;
	return v * 1000000u;
}

static oe_result_t te_host_await_ready(oe_enclave_t *enc, int wait_debugger)
{
	struct pollfd pfd = { .fd = enc->ctl, .events = POLLIN };
	uint8_t msg[16];
	ssize_t n;
	uint32_t type, missing;
	int rc;

	do
		rc = poll(&pfd, 1, wait_debugger ? -1 : TE_HOST_READY_MS);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return te_tee_fail(OE_PLATFORM_ERROR, "TA did not start within %d ms",
				   TE_HOST_READY_MS);
	n = recv(enc->ctl, msg, sizeof(msg), MSG_TRUNC);
	if (n == 16) {
		memcpy(&type, msg, 4);
		memcpy(&missing, msg + 4, 4);
		if (type == TE_CTL_READY) {
			enc->missing_ecalls = missing;
			return OE_OK;
		}
		te_host_ctl(enc, msg, n);
	}
	return OE_PLATFORM_ERROR;
}

static void te_host_free(oe_enclave_t *enc)
{
	if (enc->base && enc->base != MAP_FAILED)
		munmap(enc->base, enc->lay.total);
	if (enc->ctl >= 0)
		close(enc->ctl);
	if (enc->rot_fd >= 0)
		close(enc->rot_fd);
	if (enc->mgd >= 0)
		close(enc->mgd); /* trustedged stops the TA if it still runs */
	free(enc->mgd_chain);
	free(enc->busy);
	free(enc->workers);
	pthread_mutex_destroy(&enc->lock);
	te_tee_image_free(&enc->image);
	enc->magic = 0;
	free(enc);
}

/* The TA could not start: reap it and say why. */
static oe_result_t te_host_start_failed(oe_enclave_t *enc, oe_result_t r)
{
	siginfo_t si;

	if (enc->pid > 0 && enc->mgd >= 0) {
		te_host_kill(enc);
	} else if (enc->pid > 0) {
		kill(enc->pid, SIGKILL);
		memset(&si, 0, sizeof(si));
		while (waitid(P_PID, (id_t)enc->pid, &si, WEXITED) < 0 && errno == EINTR)
			;
		if (!enc->detail[0] && si.si_code == CLD_EXITED && si.si_status == 127)
			te_host_note(enc, "cannot execute the enclave image");
	}
	if (!enc->detail[0])
		te_host_note(enc, "%s", te_tee_detail()[0] ? te_tee_detail() : "TA did not start");
	r = te_tee_fail(r, "%s", enc->detail);
	te_host_free(enc);
	return r;
}

/* The bootstrap datagram for the TA: limits, slot counts, where the host
 * maps the channel, the host's ECALL names. */
static oe_result_t te_host_boot(oe_enclave_t *enc, int debug, int wait_debugger, uint8_t *buf,
				size_t cap, size_t *len)
{
	struct te_ch_boot *boot = calloc(1, sizeof(*boot));

	if (!boot)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	boot->debug = (uint32_t)debug;
	boot->wait_debugger = (uint32_t)wait_debugger;
	boot->heap_bytes = enc->image.props.num_heap_pages * OE_PAGE_SIZE;
	boot->stack_bytes = enc->image.props.num_stack_pages * OE_PAGE_SIZE;
	boot->n_regular = enc->lay.n_regular;
	boot->n_eworkers = enc->lay.n_eworkers;
	boot->n_hworkers = enc->lay.n_hworkers;
	boot->shared_addr = (uint64_t)(uintptr_t)enc->base;
	boot->enclave = (uint64_t)(uintptr_t)enc;
	boot->n_names = enc->ecall_count;
	for (uint32_t i = 0; i < enc->ecall_count; i++)
		boot->names[i] = enc->ecall_names[i].name;
	*len = te_ch_boot_encode(boot, buf, cap);
	free(boot);
	if (!*len)
		return te_tee_fail(OE_INVALID_PARAMETER,
				   "ECALL name table too large or a name empty");
	return OE_OK;
}

/* Managed mode (mgd.h): trustedged verifies the image itself, starts the
 * TA and keeps its root socket; the host gets the control socket and the
 * channel file, mapped where the bootstrap said (reserved beforehand). */
static oe_result_t te_host_start_managed(oe_enclave_t *enc, const char *path, const char *sock,
					 int debug, int wait_debugger)
{
	struct sockaddr_un sa;
	uint8_t *body = NULL, *reply = NULL;
	size_t len = 0, n = 0, nfds = 0;
	uint32_t type = 0;
	int img = -1, conn = -1, fds[2] = { -1, -1 };
	oe_result_t r = OE_PLATFORM_ERROR;

	enc->base = mmap(NULL, enc->lay.total, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (enc->base == MAP_FAILED) {
		enc->base = NULL;
		return te_tee_fail(OE_OUT_OF_MEMORY, "cannot reserve the channel's address");
	}
	body = malloc(8 + TE_CH_BOOT_MAX);
	reply = malloc(16 + TE_MGD_CHAIN_MAX);
	if (!body || !reply) {
		r = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	te_mgd_put_u32(body, TE_MGD_VERSION);
	te_mgd_put_u32(body + 4, debug ? OE_ENCLAVE_FLAG_DEBUG : 0);
	r = te_host_boot(enc, debug, wait_debugger, body + 8, TE_CH_BOOT_MAX, &len);
	if (r != OE_OK)
		goto out;
	r = OE_PLATFORM_ERROR;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		r = te_tee_fail(OE_INVALID_PARAMETER, "%s is too long", TE_MGD_SOCKET_ENV);
		goto out;
	}
	memcpy(sa.sun_path, sock, strlen(sock));
	img = open(path, O_RDONLY | O_CLOEXEC);
	conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (img < 0 || conn < 0 || connect(conn, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = te_tee_fail(OE_SERVICE_UNAVAILABLE, "cannot reach trustedged at %s: %s", sock,
				strerror(errno));
		goto out;
	}
	if (te_mgd_send(conn, TE_MGD_CREATE, body, 8 + len, &img, 1) != 0 ||
	    te_mgd_recv(conn, &type, reply, 16 + TE_MGD_CHAIN_MAX, &n, fds, 2, &nfds,
			TE_HOST_READY_MS) != 0) {
		r = te_tee_fail(OE_SERVICE_UNAVAILABLE, "trustedged at %s did not answer: %s",
				sock, strerror(errno));
		goto out;
	}
	if (type == TE_MGD_ERROR && n >= 4 && n <= 4 + TE_MGD_DETAIL_MAX && nfds == 0) {
		r = (oe_result_t)te_mgd_get_u32(reply);
		r = te_tee_fail(r == OE_OK ? OE_UNEXPECTED : r, "trustedged: %.*s", (int)(n - 4),
				(const char *)reply + 4);
		goto out;
	}
	if (type != TE_MGD_CREATED || n < 16 || nfds != 2 || te_mgd_get_u32(reply) != OE_OK ||
	    te_mgd_get_u64(reply + 8) != enc->lay.total) {
		r = te_tee_fail(OE_UNEXPECTED, "trustedged sent an unexpected reply");
		goto out;
	}
	enc->mgd_chain = calloc(1, n - 16 + 1);
	if (!enc->mgd_chain) {
		r = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	memcpy(enc->mgd_chain, reply + 16, n - 16);
	enc->pid = (pid_t)te_mgd_get_u32(reply + 4);
	enc->mgd = conn;
	conn = -1;
	enc->ctl = fds[0];
	fds[0] = -1;
	if (mmap(enc->base, enc->lay.total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fds[1],
		 0) != enc->base) {
		r = te_tee_fail(OE_OUT_OF_MEMORY, "cannot map the channel: %s", strerror(errno));
		goto out;
	}
	if (wait_debugger)
		fprintf(stderr,
			"trustedge: enclave %s is process %d and waits for a debugger:\n"
			"  gdb %s -p %d\n",
			path, (int)enc->pid, path, (int)enc->pid);
	r = te_host_await_ready(enc, wait_debugger);
out:
	free(body);
	free(reply);
	if (img >= 0)
		close(img);
	if (conn >= 0)
		close(conn);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return r;
}

static oe_result_t te_host_start(oe_enclave_t *enc, const char *path, int debug,
				 int wait_debugger)
{
	uint8_t *boot_buf = NULL;
	int sv[2] = { -1, -1 }, rv[2] = { -1, -1 }, shm = -1, img = -1;
	char argv0[64];
	char *argv[] = { argv0, NULL };
	const char *base = strrchr(path, '/');
	size_t len;
	oe_result_t r = OE_PLATFORM_ERROR;

	if (getenv(TE_MGD_SOCKET_ENV) && *getenv(TE_MGD_SOCKET_ENV))
		return te_host_start_managed(enc, path, getenv(TE_MGD_SOCKET_ENV), debug,
					     wait_debugger);
	snprintf(argv0, sizeof(argv0), "te-ta:%s", base ? base + 1 : path);
	shm = memfd_create("te-channel", MFD_CLOEXEC);
	if (shm < 0 || ftruncate(shm, (off_t)enc->lay.total) != 0) {
		te_tee_fail(OE_PLATFORM_ERROR, "cannot create the channel: %s", strerror(errno));
		goto out;
	}
	enc->base = mmap(NULL, enc->lay.total, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	if (enc->base == MAP_FAILED) {
		enc->base = NULL;
		te_tee_fail(OE_OUT_OF_MEMORY, "cannot map the channel: %s", strerror(errno));
		goto out;
	}
	((struct te_ch_header *)enc->base)->magic = TE_CH_MAGIC;
	((struct te_ch_header *)enc->base)->version = TE_CH_VERSION;
	/* Host-worker slots start out owned by the TA side (it writes first). */
	for (uint32_t i = 0; i < enc->lay.n_hworkers; i++)
		atomic_store(&te_ch_slot_at(enc->base, &enc->lay,
					    enc->lay.n_regular + enc->lay.n_eworkers + i)->state,
			     TE_SLOT_TA);
	{
		const char *b = strrchr(path, '/');
		char name[64];

		snprintf(name, sizeof(name), "te-ta:%s", b ? b + 1 : path);
		img = te_tee_stage_image(&enc->image, name, 0);
	}
	if (img < 0) {
		te_tee_fail(OE_PLATFORM_ERROR, "cannot stage the image: %s", strerror(errno));
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rv) != 0) {
		te_tee_fail(OE_PLATFORM_ERROR, "socketpair: %s", strerror(errno));
		goto out;
	}
	boot_buf = malloc(TE_CH_BOOT_MAX);
	if (!boot_buf) {
		r = te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	r = te_host_boot(enc, debug, wait_debugger, boot_buf, TE_CH_BOOT_MAX, &len);
	if (r != OE_OK)
		goto out;
	r = OE_PLATFORM_ERROR;
	enc->pid = fork();
	if (enc->pid < 0) {
		te_tee_fail(OE_PLATFORM_ERROR, "fork: %s", strerror(errno));
		goto out;
	}
	if (enc->pid == 0)
		te_tee_exec_ta(sv[1], shm, rv[1], img, argv, NULL);
	if (wait_debugger)
		fprintf(stderr,
			"trustedge: enclave %s is process %d and waits for a debugger:\n"
			"  gdb %s -p %d\n",
			path, (int)enc->pid, path, (int)enc->pid);
	close(sv[1]);
	sv[1] = -1;
	close(rv[1]);
	rv[1] = -1;
	enc->rot_fd = rv[0];
	rv[0] = -1;
	enc->ctl = sv[0];
	sv[0] = -1;
	if (send(enc->ctl, boot_buf, len, MSG_NOSIGNAL) != (ssize_t)len) {
		te_tee_fail(OE_PLATFORM_ERROR, "cannot send the bootstrap to the TA");
		goto out;
	}
	r = te_host_await_ready(enc, wait_debugger);
out:
	free(boot_buf);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (rv[0] >= 0)
		close(rv[0]);
	if (rv[1] >= 0)
		close(rv[1]);
	if (shm >= 0)
		close(shm);
	if (img >= 0)
		close(img);
	return r;
}

oe_result_t oe_create_enclave(const char *path, oe_enclave_type_t type, uint32_t flags,
			      const oe_enclave_setting_t *settings, uint32_t setting_count,
			      const oe_ocall_func_t *ocall_table, uint32_t ocall_count,
			      const oe_ecall_info_t *ecall_name_table, uint32_t ecall_count,
			      oe_enclave_t **enclave)
{
	oe_enclave_t *enc;
	uint32_t hworkers, eworkers;
	int debug, wait_debugger;
	oe_result_t r;

	te_tee_detail_clear();
	if (enclave)
		*enclave = NULL;
	if (!path || !enclave || (flags & OE_ENCLAVE_FLAG_RESERVED) ||
	    (ocall_count && !ocall_table) || (ecall_count && !ecall_name_table) ||
	    ecall_count > TE_CH_MAX_NAMES)
		return te_tee_fail(OE_INVALID_PARAMETER, "invalid argument to oe_create_enclave");
	if (type == OE_ENCLAVE_TYPE_OPTEE)
		return te_tee_fail(OE_UNSUPPORTED, "OP-TEE enclaves are not supported by the emulator yet");
	if (type != OE_ENCLAVE_TYPE_AUTO && type != OE_ENCLAVE_TYPE_SGX &&
	    type != OE_ENCLAVE_TYPE_UNDEFINED)
		return te_tee_fail(OE_INVALID_PARAMETER, "unknown enclave type %u", (unsigned)type);
	r = te_host_settings(settings, setting_count, &hworkers, &eworkers);
	if (r != OE_OK)
		return r;
	enc = calloc(1, sizeof(*enc));
	if (!enc)
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	enc->magic = TE_HOST_MAGIC;
	enc->ctl = -1;
	enc->rot_fd = -1;
	enc->mgd = -1;
	pthread_mutex_init(&enc->lock, NULL);
	r = te_tee_image_load(path, &enc->image);
	if (r != OE_OK) {
		r = te_tee_fail(r, "%s: %s", path, te_tee_detail());
		te_host_free(enc);
		return r;
	}
	debug = (flags & OE_ENCLAVE_FLAG_DEBUG) != 0;
	if (flags & OE_ENCLAVE_FLAG_DEBUG_AUTO)
		debug = enc->image.props.debug != 0;
	if (debug && !enc->image.props.debug) {
		te_host_free(enc);
		return te_tee_fail(OE_DEBUG_DOWNGRADE,
				   "%s is signed with Debug=0; it cannot run in debug mode", path);
	}
	wait_debugger = debug && getenv("TE_ENCLAVE_WAIT_DEBUGGER") != NULL;
	r = te_ch_layout_compute((uint32_t)enc->image.props.num_tcs, eworkers, hworkers, &enc->lay);
	if (r != OE_OK) {
		te_host_free(enc);
		return te_tee_fail(r, "too many threads: NumTCS + workers > %u", TE_CH_MAX_SLOTS);
	}
	enc->busy = calloc(enc->lay.n_slots, sizeof(*enc->busy));
	enc->workers = calloc(hworkers + 1u, sizeof(*enc->workers));
	if (!enc->busy || !enc->workers) {
		te_host_free(enc);
		return te_tee_fail(OE_OUT_OF_MEMORY, "out of memory");
	}
	enc->ocall_table = ocall_table;
	enc->ocall_count = ocall_count;
	enc->ecall_names = ecall_name_table;
	enc->ecall_count = ecall_count;
	enc->debug = debug;
	enc->timeout_ns = te_host_timeout_ns();
	/* Sitting at a breakpoint is not a hung TA. */
	if (wait_debugger && !getenv("TE_ENCLAVE_CALL_TIMEOUT_MS"))
		enc->timeout_ns = 0;
	r = te_host_start(enc, path, debug, wait_debugger);
	if (r != OE_OK)
		return te_host_start_failed(enc, r);
	if (pthread_create(&enc->monitor, NULL, te_host_monitor, enc) != 0)
		return te_host_start_failed(enc, te_tee_fail(OE_THREAD_CREATE_ERROR, "monitor thread"));
	enc->monitor_started = 1;
	/* Managed: trustedged answers the TA's root socket; the host never
	 * holds it. */
	if (enc->mgd < 0 && te_host_rot_start(enc) != 0) {
		oe_terminate_enclave(enc);
		return te_tee_fail(OE_THREAD_CREATE_ERROR, "root-of-trust thread");
	}
	for (uint32_t i = 0; i < hworkers; i++) {
		struct te_host_worker_arg *a = malloc(sizeof(*a));

		if (a) {
			a->enc = enc;
			a->idx = enc->lay.n_regular + enc->lay.n_eworkers + i;
		}
		if (!a || pthread_create(&enc->workers[i], NULL, te_host_worker, a) != 0) {
			free(a);
			oe_terminate_enclave(enc);
			return te_tee_fail(OE_THREAD_CREATE_ERROR, "switchless host worker");
		}
		enc->n_workers++;
	}
	*enclave = enc;
	return OE_OK;
}

oe_result_t oe_terminate_enclave(oe_enclave_t *enclave)
{
	oe_enclave_t *enc = enclave;
	struct timespec ts;
	uint32_t type = TE_CTL_TERMINATE;
	uint8_t msg[16] = { 0 };

	if (!te_host_valid(enc))
		return te_tee_fail(OE_INVALID_PARAMETER, "not an enclave");
	atomic_store(&enc->stopping, 1);
	memcpy(msg, &type, 4);
	(void)send(enc->ctl, msg, sizeof(msg), MSG_NOSIGNAL);
	if (enc->monitor_started) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		if (pthread_timedjoin_np(enc->monitor, NULL, &ts) != 0) {
			te_host_kill(enc);
			pthread_join(enc->monitor, NULL);
		}
	}
	atomic_store(&enc->halt, 1);
	for (uint32_t i = 0; i < enc->lay.n_slots; i++)
		te_ch_wake(te_ch_slot_at(enc->base, &enc->lay, i));
	for (uint32_t i = 0; i < enc->n_workers; i++)
		pthread_join(enc->workers[i], NULL);
	te_host_rot_stop(enc);
	te_host_free(enc);
	return OE_OK;
}
