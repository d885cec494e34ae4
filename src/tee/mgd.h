/*
 * mgd.h - managed mode: how a host asks trustedged to start an enclave
 * (docs/tee.md, "Managed mode").  Shared by the host runtime and the
 * daemon's TEE service.
 *
 * The daemon's TEE socket (tee.sock) is an AF_UNIX SOCK_STREAM socket.
 * Every message is a little-endian header, u32 type | u32 body length,
 * then exactly that many body bytes; descriptors travel with the header
 * (SCM_RIGHTS).  One connection is one enclave: it carries one CREATE,
 * and lives as long as the TA does.
 *
 *   host -> daemon
 *     TE_MGD_CREATE   fds: exactly 1, the signed image (a regular file or
 *                     memfd the daemon reads and verifies itself).
 *                     body: u32 TE_MGD_VERSION, u32 oe_create_enclave
 *                     flags, then the bootstrap datagram the host runtime
 *                     gives a TA (te_ch_boot_encode: slot counts, shared
 *                     address, ECALL names).  The daemon replaces every
 *                     field a TA trusts (debug, heap, stack, NumTCS) by
 *                     what the verified image says.
 *     TE_MGD_KILL     body empty: stop the TA now (a call timed out).
 *   daemon -> host
 *     TE_MGD_CREATED  fds: exactly 2, the TA's control socket (its fd 3)
 *                     and the channel file (its fd 4).  body: u32 OE_OK,
 *                     i32 pid of the TA, u64 channel size, then the PEM
 *                     certificate chain of the TA's root (public: what
 *                     oe_verify_report trusts for a local report of this
 *                     enclave), at most TE_MGD_CHAIN_MAX bytes.
 *     TE_MGD_ERROR    body: u32 oe_result_t, then up to TE_MGD_DETAIL_MAX
 *                     bytes of text; the daemon closes the connection.
 *     TE_MGD_EXITED   body: u32 si_code, i32 si_status of the TA (as
 *                     waitid(2) reports them); the daemon closes.
 *
 * Nothing else exists: any other type, a wrong length, a missing or an
 * extra descriptor is refused with TE_MGD_ERROR and the connection
 * closed.  In particular no message returns a key: the TA's root socket
 * (its fd 5) stays with the daemon.
 */
#ifndef TE_TEE_MGD_H
#define TE_TEE_MGD_H

#include <stddef.h>
#include <stdint.h>

#include "tee/channel.h"

#define TE_MGD_VERSION 1u

#define TE_MGD_CREATE  0x54450001u
#define TE_MGD_KILL    0x54450002u
#define TE_MGD_CREATED 0x54458001u
#define TE_MGD_EXITED  0x54458002u
#define TE_MGD_ERROR   0x5445800fu

#define TE_MGD_HEADER     8u
#define TE_MGD_BODY_MAX   (8u + TE_CH_BOOT_MAX)
#define TE_MGD_DETAIL_MAX 256u
#define TE_MGD_FDS_MAX    2u
#define TE_MGD_CHAIN_MAX  (32u * 1024u)
/* How long a peer may take to send the rest of a message it started. */
#define TE_MGD_IO_MS 5000

/* Environment variable naming the daemon's TEE socket: set and not empty,
 * oe_create_enclave runs the enclave managed by that daemon. */
#define TE_MGD_SOCKET_ENV "TE_TEE_SOCKET"

/* Sends one message with nfds (<= TE_MGD_FDS_MAX) descriptors.  0, or -1
 * with errno. */
int te_mgd_send(int fd, uint32_t type, const void *body, size_t len, const int *fds, size_t nfds);

/* Receives one message: its type, its body into buf (cap bytes; a longer
 * body is EMSGSIZE), and up to max_fds descriptors (close-on-exec).
 * More descriptors than max_fds, or a truncated control message, close
 * them all and fail with EPROTO.  timeout_ms bounds the wait for the
 * header (-1: none) and TE_MGD_IO_MS the rest.  0, or -1 with errno;
 * ECONNRESET for end of file before a header.  Never blocks past the
 * timeouts, whatever the peer sends (a reader in the daemon serves
 * everyone). */
int te_mgd_recv(int fd, uint32_t *type, uint8_t *buf, size_t cap, size_t *len, int *fds,
                size_t max_fds, size_t *nfds, int timeout_ms);

void te_mgd_put_u32(uint8_t *p, uint32_t v);
void te_mgd_put_u64(uint8_t *p, uint64_t v);
uint32_t te_mgd_get_u32(const uint8_t *p);
uint64_t te_mgd_get_u64(const uint8_t *p);

#endif
