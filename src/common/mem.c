/*
 * mem.c - owns secret memory: wiping, constant-time comparison, guarded
 * locked allocations (te_secure_alloc) and the growable te_buf.
 *
 * Layout of one secure block (each allocation has its own mapping, which
 * costs a few syscalls; accepted because it is meant for long-lived
 * secrets, not for every temporary):
 *
 *   base                                          base + data_len
 *   | unused slack | header | user block (16-aligned) | guard page |
 *
 * The user block is placed at the end of the readable pages so that an
 * overrun of more than the 16-byte alignment slack lands in the
 * PROT_NONE guard page and faults.  The header right before the block
 * holds the requested size and a check word that catches foreign or
 * corrupted pointers before we unmap anything.
 */
#include "trustedge/te_mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define TE_SECURE_ALIGN ((size_t)16)
#define TE_SECURE_MAGIC UINT64_C(0x7465736563757265) /* "tesecure" */
/* First capacity of a te_buf, so tiny appends do not reallocate. */
#define TE_BUF_MIN_CAP ((size_t)64)

struct te_secure_hdr {
	uint64_t check; /* TE_SECURE_MAGIC ^ address of the user block */
	uint64_t size;  /* bytes asked for */
};

_Static_assert(sizeof(struct te_secure_hdr) == 16, "header keeps 16-byte alignment");

/* Geometry of one secure block, derived from its requested size. */
struct te_secure_geom {
	size_t page;
	size_t body;     /* requested size rounded up to TE_SECURE_ALIGN */
	size_t data_len; /* readable pages: header + body, page-rounded */
	size_t total;    /* data_len + guard page */
};

void te_memzero(void *p, size_t n)
{
	if (n == 0)
		return;
	explicit_bzero(p, n);
}

int te_memeq_ct(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return 0;
	return CRYPTO_memcmp(a, b, n) != 0;
}

static size_t te_mem_page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (size_t)page : 4096;
}

/* Fills g for a request of n bytes; 0 when n is 0 or too large. */
static int te_secure_geom_init(struct te_secure_geom *g, size_t n)
{
	size_t page = te_mem_page_size();
	size_t hdr = sizeof(struct te_secure_hdr);

	/* Leaves room for every rounding below so none can wrap. */
	if (n == 0 || n > SIZE_MAX - TE_SECURE_ALIGN - hdr - 3 * page)
		return 0;
	g->page = page;
	g->body = (n + TE_SECURE_ALIGN - 1) & ~(TE_SECURE_ALIGN - 1);
	g->data_len = (g->body + hdr + page - 1) / page * page;
	g->total = g->data_len + page;
	return 1;
}

static struct te_secure_hdr *te_secure_hdr_of(const void *p)
{
	struct te_secure_hdr *hdr = (struct te_secure_hdr *)((uintptr_t)p - sizeof(*hdr));

	/* A pointer we did not hand out, or a block whose header was
	 * overwritten: unmapping on its word could release someone else's
	 * memory, so stop here. */
	if (hdr->check != (TE_SECURE_MAGIC ^ (uint64_t)(uintptr_t)p))
		abort();
	return hdr;
}

/*
 * A few freed mappings are kept (wiped, still locked, guard page in
 * place) and handed out again for the same mapping size: a server that
 * makes a secure buffer per request would otherwise pay six syscalls and,
 * with threads, a TLB shootdown on every request.  Bounded in count and
 * block size, so at most TE_SECURE_CACHE_MAX * TE_SECURE_CACHE_BYTES stay
 * locked.
 */
#define TE_SECURE_CACHE_MAX   32
#define TE_SECURE_CACHE_BYTES ((size_t)128 * 1024)

static struct {
	pthread_mutex_t lock;
	size_t max; /* te_secure_cache_set_max */
	size_t n;
	struct {
		uint8_t *base;
		size_t total;
	} blocks[TE_SECURE_CACHE_MAX];
} te_secure_cache = {.lock = PTHREAD_MUTEX_INITIALIZER, .max = TE_SECURE_CACHE_MAX};

/* A wiped, locked mapping of exactly total bytes, or NULL. */
static uint8_t *te_secure_cache_take(size_t total)
{
	uint8_t *base = NULL;

	pthread_mutex_lock(&te_secure_cache.lock);
	for (size_t i = 0; i < te_secure_cache.n; i++) {
		if (te_secure_cache.blocks[i].total != total)
			continue;
		base = te_secure_cache.blocks[i].base;
		te_secure_cache.blocks[i] = te_secure_cache.blocks[--te_secure_cache.n];
		break;
	}
	pthread_mutex_unlock(&te_secure_cache.lock);
	return base;
}

/* Keeps a wiped mapping for reuse; 0 when the cache is full. */
static int te_secure_cache_put(uint8_t *base, size_t total)
{
	int kept = 0;

	if (total > TE_SECURE_CACHE_BYTES)
		return 0;
	pthread_mutex_lock(&te_secure_cache.lock);
	if (te_secure_cache.n < te_secure_cache.max) {
		te_secure_cache.blocks[te_secure_cache.n].base = base;
		te_secure_cache.blocks[te_secure_cache.n].total = total;
		te_secure_cache.n++;
		kept = 1;
	}
	pthread_mutex_unlock(&te_secure_cache.lock);
	return kept;
}

void te_secure_cache_set_max(size_t n)
{
	struct te_secure_geom g;

	if (n > TE_SECURE_CACHE_MAX)
		n = TE_SECURE_CACHE_MAX;
	pthread_mutex_lock(&te_secure_cache.lock);
	te_secure_cache.max = n;
	while (te_secure_cache.n > n) {
		te_secure_cache.n--;
		/* Wiped when cached; only the lock and the mapping go. */
		g.total = te_secure_cache.blocks[te_secure_cache.n].total;
		g.page = (size_t)sysconf(_SC_PAGESIZE);
		(void)munlock(te_secure_cache.blocks[te_secure_cache.n].base, g.total - g.page);
		munmap(te_secure_cache.blocks[te_secure_cache.n].base, g.total);
	}
	pthread_mutex_unlock(&te_secure_cache.lock);
}

void *te_secure_alloc(size_t n)
{
	struct te_secure_geom g;
	struct te_secure_hdr *hdr;
	uint8_t *base, *user;

	if (!te_secure_geom_init(&g, n))
		return NULL;
	base = te_secure_cache_take(g.total);
	if (base != NULL)
		goto place;
	base = mmap(NULL, g.total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base + g.data_len, g.page, PROT_NONE) != 0)
		goto fail;
	/* RLIMIT_MEMLOCK may be small for unprivileged users; the secret is
	 * still kept out of core dumps and wiped, so carry on. */
	if (mlock(base, g.data_len) != 0 && errno != EPERM && errno != ENOMEM &&
	    errno != EAGAIN)
		goto fail;
	/* Best effort as well: kernels before 3.4 do not know the flag. */
	(void)madvise(base, g.data_len, MADV_DONTDUMP);

place:
	/* Anonymous mappings start zeroed, and cached ones were wiped. */
	user = base + g.data_len - g.body;
	hdr = (struct te_secure_hdr *)(void *)(user - sizeof(*hdr));
	hdr->check = TE_SECURE_MAGIC ^ (uint64_t)(uintptr_t)user;
	hdr->size = n;
	return user;
fail:
	munmap(base, g.total);
	return NULL;
}

void te_secure_free(void *p)
{
	struct te_secure_geom g;
	struct te_secure_hdr *hdr;
	uint8_t *base;

	if (p == NULL)
		return;
	hdr = te_secure_hdr_of(p);
	if (!te_secure_geom_init(&g, (size_t)hdr->size))
		abort();
	base = (uint8_t *)p + g.body - g.data_len;
	/* Wipe every readable byte, header and slack included, before the
	 * pages go back to the kernel. */
	te_memzero(base, g.data_len);
	if (te_secure_cache_put(base, g.total))
		return;
	(void)munlock(base, g.data_len);
	munmap(base, g.total);
}

size_t te_secure_size(const void *p)
{
	if (p == NULL)
		return 0;
	return (size_t)te_secure_hdr_of(p)->size;
}

void te_buf_init(te_buf *b, int secure)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->secure = secure != 0;
}

/* Wipes and releases b->data (whatever its kind) without touching the
 * other fields. */
static void te_buf_release(te_buf *b)
{
	if (b->data == NULL)
		return;
	if (b->secure) {
		te_secure_free(b->data);
		return;
	}
	te_memzero(b->data, b->cap);
	free(b->data);
}

te_err te_buf_reserve(te_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra <= b->cap - b->len)
		return TE_OK;
	if (extra > SIZE_MAX - b->len)
		return te_err_set(TE_ERR_NO_MEMORY, "buffer size overflows (%zu + %zu bytes)",
				  b->len, extra);
	need = b->len + extra;
	cap = b->cap < TE_BUF_MIN_CAP ? TE_BUF_MIN_CAP : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;

	/* Never realloc: it may leave an unwiped copy of the old contents
	 * behind.  Allocate, copy, then wipe and drop the old block. */
	p = b->secure ? te_secure_alloc(cap) : malloc(cap);
	if (p == NULL)
		return te_err_set(TE_ERR_NO_MEMORY, "cannot allocate %zu bytes%s", cap,
				  b->secure ? " of secure memory" : "");
	if (b->len > 0)
		memcpy(p, b->data, b->len);
	te_buf_release(b);
	b->data = p;
	b->cap = cap;
	return TE_OK;
}

te_err te_buf_append(te_buf *b, const void *p, size_t n)
{
	te_err rc = TE_OK;

	if (n == 0)
		return TE_OK;
	TE_GUARD(te_buf_reserve(b, n));
	memcpy(b->data + b->len, p, n);
	b->len += n;
out:
	return rc;
}

void te_buf_free(te_buf *b)
{
	te_buf_release(b);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/*
 * glibc keeps recently freed small blocks in a per-thread cache (tcache)
 * without the M_PERTURB fill that free() gives every other block.  Taking
 * every cached block of each small size out, wiping it and freeing it
 * again leaves no freed block unwiped.  Sizes follow glibc's tcache bins
 * (usable 24 to 1032 bytes in steps of 16, at most 7 blocks each by
 * default); 16 per size empties a bin even with a larger tcache_count.
 */
void te_heap_scrub(void)
{
	enum { SCRUB_SIZES = 64, SCRUB_PER_SIZE = 16 };
	void *blocks[SCRUB_SIZES][SCRUB_PER_SIZE];

	for (size_t c = 0; c < SCRUB_SIZES; c++) {
		size_t n = 24 + c * 16;

		for (size_t i = 0; i < SCRUB_PER_SIZE; i++) {
			blocks[c][i] = malloc(n);
			if (blocks[c][i] != NULL)
				te_memzero(blocks[c][i], n);
		}
	}
	for (size_t c = 0; c < SCRUB_SIZES; c++)
		for (size_t i = 0; i < SCRUB_PER_SIZE; i++)
			free(blocks[c][i]);
}
