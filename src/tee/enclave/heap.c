/*
 * heap.c - the TA's two heaps.
 *
 * Private heap: the C library's allocator, with every allocation counted
 * against the signed NumHeapPages.  The malloc family is defined here (the
 * TA executable's definitions take precedence over the C library's for the
 * whole process, OpenSSL and mbedTLS included) and forwards to glibc's
 * __libc_* entry points, adding the usable size of each block to a counter;
 * past the limit an allocation fails with ENOMEM, which the runtime and
 * the generated code turn into OE_OUT_OF_MEMORY.  The counter measures
 * what the TA holds, not allocator overhead.
 *
 * Host heap (oe_host_malloc): blocks of the shared region, which the host
 * maps at the same address, so a pointer means the same on both sides.
 * The bookkeeping (which blocks are taken, how long each is) lives in
 * TA-private memory: the host can change the bytes of the region but not
 * the TA's idea of what is allocated.
 */
#include <openenclave/enclave.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tee/enclave/ta.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static _Atomic size_t te_heap_used;
static _Atomic size_t te_heap_limit; /* 0 = not yet applied */

void te_ta_heap_set_limit(size_t bytes)
{
	atomic_store(&te_heap_used, 0);
	atomic_store(&te_heap_limit, bytes);
}

size_t te_ta_heap_used(void)
{
	return atomic_load(&te_heap_used);
}

/* Adds a fresh block to the count; releases it and fails past the limit. */
static void *te_heap_take(void *p)
{
	size_t n, limit = atomic_load_explicit(&te_heap_limit, memory_order_relaxed);

	if (!p || !limit)
		return p;
	n = malloc_usable_size(p);
	if (atomic_fetch_add(&te_heap_used, n) + n > limit) {
		atomic_fetch_sub(&te_heap_used, n);
		__libc_free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

static void te_heap_give(void *p)
{
	size_t n, used;

	if (!p || !atomic_load_explicit(&te_heap_limit, memory_order_relaxed))
		return;
	n = malloc_usable_size(p);
	/* Blocks allocated before the limit was applied were never counted:
	 * never let them drive the counter below zero. */
	used = atomic_load(&te_heap_used);
	while (!atomic_compare_exchange_weak(&te_heap_used, &used, used > n ? used - n : 0))
		;
}

void *malloc(size_t n)
{
	return te_heap_take(__libc_malloc(n));
}

void free(void *p)
{
	te_heap_give(p);
	__libc_free(p);
}

void *calloc(size_t a, size_t b)
{
	return te_heap_take(__libc_calloc(a, b));
}

void *realloc(void *p, size_t n)
{
	void *q;

	if (!p)
		return malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	/* Allocate-copy-free keeps the count exact and the old block intact
	 * when the new one is refused. */
	q = malloc(n);
	if (!q)
		return NULL;
	{
		size_t old = malloc_usable_size(p);

		memcpy(q, p, old < n ? old : n);
	}
	free(p);
	return q;
}

void *memalign(size_t align, size_t n)
{
	return te_heap_take(__libc_memalign(align, n));
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return memalign(4096, n);
}

void *pvalloc(size_t n)
{
	return memalign(4096, (n + 4095) & ~(size_t)4095);
}

/* --- host heap ---------------------------------------------------------- */

#define TE_HH_UNIT 64u
#define TE_HH_UNITS (TE_CH_HOST_HEAP_SIZE / TE_HH_UNIT)

static pthread_mutex_t te_hh_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *te_hh_base;
static size_t te_hh_units;
/* te_hh_len[i]: units of the block starting at unit i, 0 when none does;
 * te_hh_used[i]: unit i belongs to some block. */
static uint32_t te_hh_len[TE_HH_UNITS];
static uint8_t te_hh_used[TE_HH_UNITS];

void te_ta_host_heap_init(uint8_t *base, size_t size)
{
	te_hh_base = base;
	te_hh_units = size / TE_HH_UNIT;
	if (te_hh_units > TE_HH_UNITS)
		te_hh_units = TE_HH_UNITS;
}

void *oe_host_malloc(size_t size)
{
	size_t need, run = 0;
	void *p = NULL;

	if (!te_hh_base || size == 0 || size > te_hh_units * TE_HH_UNIT)
		return NULL;
	need = (size + TE_HH_UNIT - 1) / TE_HH_UNIT;
	pthread_mutex_lock(&te_hh_lock);
	for (size_t i = 0; i < te_hh_units; i++) {
		run = te_hh_used[i] ? 0 : run + 1;
		if (run < need)
			continue;
		size_t start = i + 1 - need;

		memset(te_hh_used + start, 1, need);
		te_hh_len[start] = (uint32_t)need;
		p = te_hh_base + start * TE_HH_UNIT;
		break;
	}
	pthread_mutex_unlock(&te_hh_lock);
	return p;
}

/* Index of the block p starts, or SIZE_MAX when p is not one. */
static size_t te_hh_index(const void *p)
{
	uintptr_t u = (uintptr_t)p, b = (uintptr_t)te_hh_base;
	size_t i;

	if (!te_hh_base || u < b || u >= b + te_hh_units * TE_HH_UNIT || (u - b) % TE_HH_UNIT)
		return SIZE_MAX;
	i = (u - b) / TE_HH_UNIT;
	return te_hh_len[i] ? i : SIZE_MAX;
}

void oe_host_free(void *ptr)
{
	size_t i;

	if (!ptr)
		return;
	pthread_mutex_lock(&te_hh_lock);
	i = te_hh_index(ptr);
	if (i != SIZE_MAX) {
		memset(te_hh_used + i, 0, te_hh_len[i]);
		te_hh_len[i] = 0;
	}
	pthread_mutex_unlock(&te_hh_lock);
	/* Freeing something that is not a host-heap block is a TA bug that
	 * could corrupt the bookkeeping: stop rather than guess. */
	if (i == SIZE_MAX)
		oe_abort();
}

void *oe_host_calloc(size_t nmemb, size_t size)
{
	void *p;

	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	p = oe_host_malloc(nmemb * size);
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

void *oe_host_realloc(void *ptr, size_t size)
{
	size_t i, old;
	void *q;

	if (!ptr)
		return oe_host_malloc(size);
	if (size == 0) {
		oe_host_free(ptr);
		return NULL;
	}
	pthread_mutex_lock(&te_hh_lock);
	i = te_hh_index(ptr);
	old = i == SIZE_MAX ? 0 : te_hh_len[i] * (size_t)TE_HH_UNIT;
	pthread_mutex_unlock(&te_hh_lock);
	if (i == SIZE_MAX)
		oe_abort();
	q = oe_host_malloc(size);
	if (!q)
		return NULL;
	memcpy(q, ptr, old < size ? old : size);
	oe_host_free(ptr);
	return q;
}

char *oe_host_strndup(const char *str, size_t n)
{
	size_t len;
	char *p;

	if (!str)
		return NULL;
	len = strnlen(str, n);
	p = oe_host_malloc(len + 1);
	if (!p)
		return NULL;
	memcpy(p, str, len);
	p[len] = '\0';
	return p;
}
