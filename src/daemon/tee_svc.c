/*
 * tee_svc.c - the TEE socket of trustedged's keys process (tee_svc.h,
 * protocol in src/tee/mgd.h): starts managed TAs and is their root of
 * trust.
 *
 * Why the keys process: a TA's root-of-trust requests need the HSM, which
 * only this process holds, and the request parser (te_rot_serve) is the
 * same hardened one the developer root uses.  A TA is forked from here
 * and exec'd at once (only async-signal-safe calls in between, every
 * descriptor above 6 closed), so it inherits nothing of this process but
 * its three sockets/files; under root it runs as the TA user.
 *
 * One connection per enclave: the host's connection ending kills the TA,
 * the TA ending (seen on a pidfd) is reported with TE_MGD_EXITED and ends
 * the connection.
 */
#include "daemon/tee_svc.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openenclave/bits/types.h>
#include <openenclave/host.h>

#include "common/te_log.h"
#include "daemon/listen.h"
#include "tee/channel.h"
#include "tee/detail.h"
#include "tee/image.h"
#include "tee/host/spawn.h"
#include "tee/mgd.h"
#include "trustedge/te_mem.h"

#define TEE_IMAGE_MAX (512u << 20) /* as te_tee_image_load */

typedef struct tee_enclave {
	int conn;  /* to the host; -1 once it is gone */
	int rot;   /* the TA's root socket; -1 once closed */
	int pidfd; /* readable when the TA exits */
	pid_t pid;
	uid_t host_uid;
	te_rot_identity id;
} tee_enclave;

struct te_tee_svc {
	int listen_fd;
	te_rot *rot;
	int drop; /* running as root: TAs run as ta_uid/ta_gid */
	uid_t ta_uid;
	gid_t ta_gid;
	tee_enclave e[TE_TEE_SVC_MAX];
	size_t n;
	uint8_t *buf; /* a request: CREATE body + 1, or a root request */
	uint8_t *out; /* a reply: the bootstrap, or a root reply */
	struct te_ch_boot boot;
};

#define TEE_BUF_SIZE (TE_MGD_BODY_MAX + 1u)
#define TEE_OUT_SIZE (TE_CH_BOOT_MAX > TE_ROT_MSG_MAX ? TE_CH_BOOT_MAX : TE_ROT_MSG_MAX)

te_err te_tee_svc_new(int listen_fd, te_rot *rot, const char *ta_user, te_tee_svc **out)
{
	te_tee_svc *s = calloc(1, sizeof(*s));
	te_err rc = TE_OK;

	TE_GUARD_PTR(s, TE_ERR_NO_MEMORY, "TEE service: out of memory");
	s->listen_fd = listen_fd;
	s->rot = rot;
	s->buf = malloc(TEE_BUF_SIZE);
	s->out = malloc(TEE_OUT_SIZE);
	TE_GUARD_PTR(s->buf && s->out ? s : NULL, TE_ERR_NO_MEMORY, "TEE service: out of memory");
	if (geteuid() == 0) {
		const char *name = ta_user ? ta_user : "nobody";
		struct passwd *pw = getpwnam(name);

		TE_ENSURE(pw != NULL && pw->pw_uid != 0, TE_ERR_CONFIG,
		          "TEE service: TA user '%s' %s", name,
		          pw ? "is root" : "does not exist (tee.ta_user)");
		s->drop = 1;
		s->ta_uid = pw->pw_uid;
		s->ta_gid = pw->pw_gid;
	}
	*out = s;
	s = NULL;
out:
	if (s) {
		s->listen_fd = -1; /* the caller keeps it on failure */
		s->rot = NULL;
		te_tee_svc_free(s);
	}
	return rc;
}

size_t te_tee_svc_pollfds(te_tee_svc *s, struct pollfd *p)
{
	size_t k = 0;

	p[k++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN, .revents = 0};
	for (size_t i = 0; i < s->n; i++) {
		p[k++] = (struct pollfd){.fd = s->e[i].conn, .events = POLLIN, .revents = 0};
		p[k++] = (struct pollfd){.fd = s->e[i].rot, .events = POLLIN, .revents = 0};
		p[k++] = (struct pollfd){.fd = s->e[i].pidfd, .events = POLLIN, .revents = 0};
	}
	return k;
}

static void tee_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Refuses a request: TE_MGD_ERROR with the result and detail. */
static void tee_refuse(int conn, oe_result_t r, const char *detail)
{
	uint8_t body[4 + TE_MGD_DETAIL_MAX];
	size_t n = strlen(detail);

	if (n > TE_MGD_DETAIL_MAX)
		n = TE_MGD_DETAIL_MAX;
	te_mgd_put_u32(body, (uint32_t)r);
	memcpy(body + 4, detail, n);
	(void)te_mgd_send(conn, TE_MGD_ERROR, body, 4 + n, NULL, 0);
}

/* Reads the host's image descriptor: a regular file (or memfd) of at most
 * TEE_IMAGE_MAX bytes, read once into memory: what is verified is what
 * runs, whatever the host does to the file afterwards. */
static oe_result_t tee_read_image(int fd, uint8_t **data, size_t *size)
{
	struct stat st;
	uint8_t *p;
	size_t got = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return te_tee_fail(OE_INVALID_PARAMETER, "the image is not a regular file");
	if (st.st_size <= 0 || (uint64_t)st.st_size > TEE_IMAGE_MAX)
		return te_tee_fail(OE_INVALID_PARAMETER, "the image is empty or too large");
	p = malloc((size_t)st.st_size);
	if (!p)
		return OE_OUT_OF_MEMORY;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, p + got, (size_t)st.st_size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(p);
			return te_tee_fail(OE_READ_FAILED, "cannot read the image");
		}
		got += (size_t)n;
	}
	*data = p;
	*size = got;
	return OE_OK;
}

/* The channel file, laid out and initialised as the host runtime does. */
static int tee_channel(const struct te_ch_layout *lay)
{
	int fd = memfd_create("te-channel", MFD_CLOEXEC);
	uint8_t *base;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)lay->total) != 0)
		goto fail;
	base = mmap(NULL, lay->total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		goto fail;
	((struct te_ch_header *)base)->magic = TE_CH_MAGIC;
	((struct te_ch_header *)base)->version = TE_CH_VERSION;
	for (uint32_t i = 0; i < lay->n_hworkers; i++)
		atomic_store(&te_ch_slot_at(base, lay, lay->n_regular + lay->n_eworkers + i)->state,
		             TE_SLOT_TA);
	munmap(base, lay->total);
	return fd;
fail:
	close(fd);
	return -1;
}

/* Starts the TA a CREATE asks for; on success it is s->e[s->n]. */
static oe_result_t tee_start(te_tee_svc *s, int conn, int image_fd, const uint8_t *body, size_t len,
                             int *pid_out, uint64_t *size_out, int fds_out[2])
{
	te_tee_image img;
	struct te_ch_layout lay;
	uint8_t *data = NULL;
	size_t size = 0, boot_len;
	uint32_t flags;
	int debug, sv[2] = {-1, -1}, rv[2] = {-1, -1}, shm = -1, exe = -1, pidfd = -1;
	pid_t pid = -1;
	tee_enclave *e = &s->e[s->n];
	oe_result_t r;

	memset(&img, 0, sizeof(img));
	if (len < 8 || te_mgd_get_u32(body) != TE_MGD_VERSION)
		return te_tee_fail(OE_UNSUPPORTED, "unknown CREATE version");
	flags = te_mgd_get_u32(body + 4);
	/* The decoder needs one byte after the datagram: s->buf has it. */
	r = te_ch_boot_decode((uint8_t *)body + 8, len - 8, &s->boot);
	if (r != OE_OK)
		return te_tee_fail(r, "malformed bootstrap");
	r = tee_read_image(image_fd, &data, &size);
	if (r != OE_OK)
		return r;
	r = te_tee_image_verify(data, size, &img);
	free(data);
	if (r != OE_OK)
		return r;
	debug = (flags & OE_ENCLAVE_FLAG_DEBUG) != 0;
	if (flags & OE_ENCLAVE_FLAG_DEBUG_AUTO)
		debug = img.props.debug != 0;
	if (debug && !img.props.debug) {
		r = te_tee_fail(OE_DEBUG_DOWNGRADE, "the image is signed with Debug=0");
		goto out;
	}
	r = te_ch_layout_compute((uint32_t)img.props.num_tcs, s->boot.n_eworkers,
	                         s->boot.n_hworkers, &lay);
	if (r != OE_OK)
		goto out;
	/* What the TA trusts comes from the verified image, not the host. */
	s->boot.debug = (uint32_t)debug;
	s->boot.wait_debugger = debug ? s->boot.wait_debugger : 0;
	s->boot.heap_bytes = img.props.num_heap_pages * OE_PAGE_SIZE;
	s->boot.stack_bytes = img.props.num_stack_pages * OE_PAGE_SIZE;
	s->boot.n_regular = lay.n_regular;
	boot_len = te_ch_boot_encode(&s->boot, s->out, TEE_OUT_SIZE);
	r = OE_PLATFORM_ERROR;
	if (!boot_len)
		goto out;
	shm = tee_channel(&lay);
	/* The TA user must be able to execute it. */
	exe = te_tee_stage_image(&img, "te-ta", 1);
	if (shm < 0 || exe < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rv) != 0) {
		r = te_tee_fail(OE_PLATFORM_ERROR, "cannot prepare the TA: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = te_tee_fail(OE_PLATFORM_ERROR, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* The TA goes with the process that is its root of trust (this
		 * one is single-threaded, so PDEATHSIG means what it says). */
		static char argv0[] = "te-ta";
		char *const argv[] = { argv0, NULL };
		const te_tee_spawn_opts opts = { .drop = s->drop, .uid = s->ta_uid,
						 .gid = s->ta_gid, .die_with_parent = 1 };

		te_tee_exec_ta(sv[1], shm, rv[1], exe, argv, &opts);
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || send(sv[0], s->out, boot_len, MSG_NOSIGNAL) != (ssize_t)boot_len) {
		r = te_tee_fail(OE_PLATFORM_ERROR, "cannot start the TA");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	memset(e, 0, sizeof(*e));
	e->conn = conn;
	e->rot = rv[0];
	rv[0] = -1;
	e->pidfd = pidfd;
	pidfd = -1;
	e->pid = pid;
	memcpy(e->id.unique_id, img.unique_id, sizeof(e->id.unique_id));
	memcpy(e->id.signer_id, img.signer_id, sizeof(e->id.signer_id));
	e->id.product_id = img.props.product_id;
	e->id.security_version = img.props.security_version;
	e->id.debug = (uint32_t)debug;
	fds_out[0] = sv[0];
	fds_out[1] = shm;
	sv[0] = shm = -1;
	*pid_out = pid;
	*size_out = lay.total;
	r = OE_OK;
out:
	te_tee_image_free(&img);
	tee_close(&sv[0]);
	tee_close(&sv[1]);
	tee_close(&rv[0]);
	tee_close(&rv[1]);
	tee_close(&shm);
	tee_close(&exe);
	tee_close(&pidfd);
	return r;
}

static void tee_hex8(const uint8_t *id, char out[17])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 8; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[16] = '\0';
}

/* A new connection: one CREATE, answered now. */
static void tee_accept(te_tee_svc *s)
{
	int conn = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int img = -1, fds[2] = {-1, -1}, pid = 0;
	size_t len = 0, nfds = 0;
	uint32_t type = 0;
	uint64_t size = 0;
	char uid_hex[17] = "-";
	te_peer peer = {0, 0, 0};
	oe_result_t r;

	if (conn < 0)
		return;
	if (te_peer_cred(conn, &peer) != TE_OK) {
		close(conn);
		return;
	}
	te_tee_detail_clear();
	if (te_mgd_recv(conn, &type, s->buf, TEE_BUF_SIZE - 1, &len, &img, 1, &nfds,
	                TE_MGD_IO_MS) != 0) {
		r = te_tee_fail(OE_INVALID_PARAMETER, "malformed request: %s", strerror(errno));
	} else if (type != TE_MGD_CREATE) {
		/* Keys, evidence, identities: none is asked here.  A TA asks
		 * its root over its own socket, which only the daemon holds. */
		r = te_tee_fail(OE_UNSUPPORTED, "the TEE socket serves CREATE only (type 0x%x)",
		                (unsigned)type);
	} else if (nfds != 1) {
		r = te_tee_fail(OE_INVALID_PARAMETER, "CREATE carries exactly one descriptor");
	} else if (s->rot == NULL) {
		r = te_tee_fail(OE_SERVICE_UNAVAILABLE, "the daemon has no root of trust");
	} else if (s->n >= TE_TEE_SVC_MAX) {
		r = te_tee_fail(OE_OUT_OF_THREADS, "too many enclaves (%d)", TE_TEE_SVC_MAX);
	} else {
		r = tee_start(s, conn, img, s->buf, len, &pid, &size, fds);
	}
	if (img >= 0)
		close(img);
	if (r == OE_OK) {
		const char *chain = s->rot->ops->chain(s->rot);
		size_t chain_n = chain ? strlen(chain) : 0;

		if (chain_n > TE_MGD_CHAIN_MAX)
			chain_n = 0; /* the host then trusts nothing for it */
		tee_hex8(s->e[s->n].id.unique_id, uid_hex);
		te_mgd_put_u32(s->out, OE_OK);
		te_mgd_put_u32(s->out + 4, (uint32_t)pid);
		te_mgd_put_u64(s->out + 8, size);
		if (chain_n)
			memcpy(s->out + 16, chain, chain_n);
		if (te_mgd_send(conn, TE_MGD_CREATED, s->out, 16 + chain_n, fds, 2) != 0) {
			kill(pid, SIGKILL);
			s->e[s->n].conn = -1; /* reaped through its pidfd */
			close(conn);
		}
		s->e[s->n].host_uid = peer.uid;
		s->n++;
		close(fds[0]);
		close(fds[1]);
	} else {
		tee_refuse(conn, r, te_tee_detail());
		close(conn);
	}
	te_log_info("audit: tee caller uid=%u pid=%d op=create enclave=%s result=%s%s%s",
	            (unsigned)peer.uid, (int)peer.pid, uid_hex, oe_result_str(r),
	            r == OE_OK ? "" : " detail=", r == OE_OK ? "" : te_tee_detail());
}

/* The TA asks its root: answered from the HSM for the identity measured
 * at CREATE. */
static void tee_serve_rot(te_tee_svc *s, tee_enclave *e)
{
	ssize_t n = recv(e->rot, s->buf, TE_ROT_MSG_MAX, MSG_TRUNC | MSG_DONTWAIT);
	size_t out = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		tee_close(&e->rot);
		return;
	}
	te_rot_serve(s->rot, &e->id, s->buf, n > (ssize_t)TE_ROT_MSG_MAX ? 0 : (size_t)n, s->out,
	             TE_ROT_MSG_MAX, &out);
	if (out && send(e->rot, s->out, out, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		tee_close(&e->rot);
	te_memzero(s->out, out); /* may have held a seal key */
}

/* The host spoke: KILL, or it went away; either way the TA stops. */
static void tee_serve_conn(te_tee_svc *s, tee_enclave *e)
{
	uint32_t type = 0;
	size_t len = 0, nfds = 0;

	if (te_mgd_recv(e->conn, &type, s->buf, 0, &len, NULL, 0, &nfds, 0) == 0 &&
	    type == TE_MGD_KILL) {
		syscall(SYS_pidfd_send_signal, e->pidfd, SIGKILL, NULL, 0);
		return;
	}
	syscall(SYS_pidfd_send_signal, e->pidfd, SIGKILL, NULL, 0);
	tee_close(&e->conn);
}

/* The TA is gone: tell the host how, forget it. */
static void tee_reap(te_tee_svc *s, size_t i)
{
	tee_enclave *e = &s->e[i];
	siginfo_t si;
	uint8_t body[8];

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)e->pid, &si, WEXITED) < 0 && errno == EINTR)
		;
	if (e->conn >= 0) {
		te_mgd_put_u32(body, (uint32_t)si.si_code);
		te_mgd_put_u32(body + 4, (uint32_t)si.si_status);
		(void)te_mgd_send(e->conn, TE_MGD_EXITED, body, sizeof(body), NULL, 0);
	}
	tee_close(&e->conn);
	tee_close(&e->rot);
	tee_close(&e->pidfd);
	s->e[i] = s->e[--s->n];
}

void te_tee_svc_dispatch(te_tee_svc *s, const struct pollfd *p, size_t n)
{
	/* p lists the enclaves as they were at te_tee_svc_pollfds: serve
	 * those first, reap afterwards (reaping reorders s->e). */
	size_t count = (n - 1) / 3;
	int gone[TE_TEE_SVC_MAX] = {0};

	for (size_t i = 0; i < count && i < s->n; i++) {
		tee_enclave *e = &s->e[i];

		if (p[1 + 3 * i + 1].revents && e->rot >= 0)
			tee_serve_rot(s, e);
		if (p[1 + 3 * i].revents && e->conn >= 0)
			tee_serve_conn(s, e);
		if (p[1 + 3 * i + 2].revents)
			gone[i] = 1;
	}
	for (size_t i = count; i-- > 0;)
		if (gone[i])
			tee_reap(s, i);
	if (p[0].revents)
		tee_accept(s);
}

void te_tee_svc_free(te_tee_svc *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		syscall(SYS_pidfd_send_signal, s->e[i].pidfd, SIGKILL, NULL, 0);
	while (s->n > 0)
		tee_reap(s, s->n - 1);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	te_rot_close(s->rot);
	free(s->buf);
	if (s->out)
		te_memzero(s->out, TEE_OUT_SIZE);
	free(s->out);
	free(s);
}
