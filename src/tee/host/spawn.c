/*
 * spawn.c - starting a TA process (spawn.h), shared by the host runtime
 * and trustedged's TEE service.
 */
#include "tee/host/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tee/channel.h"
#include "tee/rot/rot.h"

/* The fd the image is executed from; the exec closes it. */
#define TE_TA_FD_IMAGE 6

int te_tee_stage_image(const te_tee_image *img, const char *name, int exec_by_others)
{
	size_t off = 0;
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	while (off < img->elf_size) {
		ssize_t n = write(fd, img->data + off, img->elf_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (exec_by_others && fchmod(fd, 0555) != 0)
		goto fail;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

void te_tee_exec_ta(int ctl, int shm, int rot, int img, char *const argv[],
		    const te_tee_spawn_opts *opts)
{
	char *const envp[] = { NULL };
	int c = fcntl(ctl, F_DUPFD, 10), m = fcntl(shm, F_DUPFD, 10), r = fcntl(rot, F_DUPFD, 10),
	    i = fcntl(img, F_DUPFD_CLOEXEC, 10);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	sigset_t none;

	/* No signal the starter's thread had blocked stays blocked. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The TA gets no input and writes through OCALLs only; stderr stays
	 * for the runtime's own start-up failures. */
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
		_exit(127);
	if (c < 0 || m < 0 || r < 0 || i < 0 || dup2(c, TE_TA_FD_CONTROL) < 0 ||
	    dup2(m, TE_TA_FD_SHARED) < 0 || dup2(r, TE_TA_FD_ROT) < 0 ||
	    dup2(i, TE_TA_FD_IMAGE) < 0 || fcntl(TE_TA_FD_IMAGE, F_SETFD, FD_CLOEXEC) < 0)
		_exit(127);
	syscall(SYS_close_range, TE_TA_FD_IMAGE + 1, ~0U, 0);
	if (opts && opts->drop &&
	    (syscall(SYS_setgroups, 0, NULL) != 0 ||
	     syscall(SYS_setresgid, opts->gid, opts->gid, opts->gid) != 0 ||
	     syscall(SYS_setresuid, opts->uid, opts->uid, opts->uid) != 0))
		_exit(127);
	/* After the uid change, which would clear it. */
	if (opts && opts->die_with_parent)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	syscall(SYS_execveat, TE_TA_FD_IMAGE, "", argv, envp, AT_EMPTY_PATH);
	_exit(127);
}
