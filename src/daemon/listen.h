/*
 * listen.h - trustedged's listening Unix sockets, one per service of the
 * configuration (workload, keys, certs, identity, management).
 *
 * Under systemd socket activation (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES,
 * one socket unit per service with FileDescriptorName=<service>) the
 * daemon takes the passed descriptors; every service systemd did not pass
 * is bound by the daemon itself at the configured path, with the
 * configured mode and owner.  Either way the result is a non-blocking,
 * close-on-exec AF_UNIX SOCK_STREAM socket in the listening state.
 */
#ifndef TRUSTEDGE_DAEMON_LISTEN_H
#define TRUSTEDGE_DAEMON_LISTEN_H

#include <sys/types.h>
#include <sys/un.h>

#include "trustedge/te_daemon_config.h"
#include "trustedge/te_error.h"

/* First descriptor of socket activation (SD_LISTEN_FDS_START). */
#define TE_LISTEN_FDS_START 3

typedef struct te_listen_sock {
	int fd;       /* -1 when not open */
	int from_env; /* 1: passed by systemd (never unlinked by us) */
	/* Set when the daemon bound the socket: the file to unlink at close,
	 * and its identity, so a file that replaced ours is left alone. */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
} te_listen_sock;

/* Indexed by te_daemon_socket_id. */
typedef struct te_listen_set {
	te_listen_sock socks[TE_DAEMON_SOCKET__COUNT];
} te_listen_set;

/* The credentials of a connected Unix-socket peer (SO_PEERCRED: taken by
 * the kernel at connect(2)/socketpair(2), not claimed by the peer). */
typedef struct te_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
} te_peer;

/* Opens every socket of cfg into *out (fully initialised even on error;
 * on error everything opened so far is closed again).  Takes and removes
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the environment, as
 * sd_listen_fds(1) does, so children never see them.  Errors name the
 * service and the path or descriptor; a passed descriptor whose name is
 * not a service, or which is not a listening AF_UNIX stream socket, is
 * TE_ERR_CONFIG. */
te_err te_listen_open(const te_daemon_config *cfg, te_listen_set *out) TE_MUST_CHECK
    TE_NONNULL(1, 2);

/* Closes every socket; unlinks the files of those the daemon bound itself
 * (systemd owns the others).  Safe on a set te_listen_open failed to fill,
 * and twice. */
void te_listen_close(te_listen_set *s);

/* Closes the descriptors only, never unlinking: for a child process that
 * inherited the set and does not serve it (the files belong to the
 * parent). */
void te_listen_close_fds(te_listen_set *s);

/* The peer of a connected AF_UNIX socket.  TE_ERR_IO when the kernel has
 * no credentials for it (not a Unix socket, not connected, or a peer
 * outside our pid namespace: pid 0). */
te_err te_peer_cred(int fd, te_peer *out) TE_MUST_CHECK TE_NONNULL(2);

#endif
