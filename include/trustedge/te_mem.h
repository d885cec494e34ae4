/*
 * te_mem.h - the one home of secrets in memory.
 *
 * Long-lived secrets (master keys, secret key bytes) live in te_secure_alloc
 * memory: locked in RAM, excluded from core dumps, wiped on free.  Stack or
 * heap temporaries that held a secret are wiped with te_memzero, which the
 * optimiser cannot remove.
 */
#ifndef TRUSTEDGE_TE_MEM_H
#define TRUSTEDGE_TE_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "te_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Zeroes n bytes at p; never optimised away.  p may be NULL when n is 0. */
void te_memzero(void *p, size_t n);

/* Constant-time comparison: 0 when equal.  For MACs, tags, keys, tokens. */
int te_memeq_ct(const void *a, const void *b, size_t n) TE_MUST_CHECK;

/*
 * Allocates n bytes (n > 0) of zeroed memory on their own pages: mlock'ed
 * (best effort: RLIMIT_MEMLOCK may refuse, which is not fatal),
 * MADV_DONTDUMP, with an inaccessible guard page after the block so an
 * overrun faults instead of reading a neighbour.  NULL on failure.
 */
void *te_secure_alloc(size_t n) TE_MUST_CHECK;
/* Wipes and releases a block from te_secure_alloc.  NULL is a no-op. */
void te_secure_free(void *p);
/* Freed secure blocks of up to 128 KiB are wiped and kept (locked, guard
 * page in place) for reuse, at most n of them (default and maximum 32),
 * so a server making a buffer per request does not pay for a mapping
 * each time.  0 turns the cache off and releases what it holds. */
void te_secure_cache_set_max(size_t n);

/* Wipes the freed small blocks the allocator keeps in its per-thread
 * cache, which free() does not fill even with mallopt(M_PERTURB): call
 * after a library that frees secrets without wiping (libyaml, parsing a
 * configuration with a connection string) and before fork. */
void te_heap_scrub(void);
/* Size that was asked for when p was allocated. */
size_t te_secure_size(const void *p);

/*
 * A growable byte buffer owned by the caller of the function that filled
 * it.  `secure` buffers live in te_secure_alloc memory and are wiped.
 */
typedef struct te_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int secure;
} te_buf;

/* Makes an empty buffer; secure != 0 selects secure memory. */
void te_buf_init(te_buf *b, int secure);
/* Ensures room for `extra` more bytes. */
te_err te_buf_reserve(te_buf *b, size_t extra) TE_MUST_CHECK;
/* Appends n bytes. */
te_err te_buf_append(te_buf *b, const void *p, size_t n) TE_MUST_CHECK;
/* Wipes (always) and frees the contents; the buffer is empty after. */
void te_buf_free(te_buf *b);

#ifdef __cplusplus
}
#endif
#endif
