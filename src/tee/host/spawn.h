/*
 * spawn.h - starting a TA process from a verified image, the same way
 * whether the host runtime (developer mode) or trustedged (managed mode)
 * starts it: the verified bytes staged in a sealed memfd, the TA's
 * descriptors at fixed numbers (3 control, 4 channel, 5 root of trust),
 * everything else closed, stdin/stdout on /dev/null, an empty
 * environment, and the memfd executed.
 */
#ifndef TE_TEE_SPAWN_H
#define TE_TEE_SPAWN_H

#include <sys/types.h>

#include "tee/image.h"

/* A sealed (no write, grow, shrink or re-seal) memfd holding the image's
 * ELF; mode 0555 when exec_by_others (a TA that runs as another user).
 * -1 with errno on failure. */
int te_tee_stage_image(const te_tee_image *img, const char *name, int exec_by_others);

/* Identity the TA runs as, and whether it dies with its starter. */
typedef struct te_tee_spawn_opts {
	int drop; /* switch to uid/gid (the starter is root) */
	uid_t uid;
	gid_t gid;
	int die_with_parent; /* PR_SET_PDEATHSIG: only for a single-threaded starter */
} te_tee_spawn_opts;

/* In the child of a fork: only async-signal-safe calls, then exec of img.
 * Never returns (exit 127 when something fails). */
void te_tee_exec_ta(int ctl, int shm, int rot, int img, char *const argv[],
		    const te_tee_spawn_opts *opts) __attribute__((noreturn));

#endif
