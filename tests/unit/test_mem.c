/*
 * test_mem.c - secure allocations, wiping, constant-time compare and
 * te_buf.  munmap and mlock are wrapped at link time (-Wl,--wrap) so the
 * test can see the pages as the kernel gets them back and make mlock fail.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "trustedge/te_mem.h"

int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len);
int __real_mlock(const void *addr, size_t len);
int __wrap_mlock(const void *addr, size_t len);

static struct {
	int watch;          /* record munmap calls below */
	int unmaps;         /* munmap calls seen while watching */
	int dirty_unmaps;   /* ... whose readable pages were not all zero */
	int fail_mlock;     /* make mlock fail with EPERM */
	int mlocks;
} wrap;

int __wrap_munmap(void *addr, size_t len)
{
	if (wrap.watch) {
		/* The last page is the PROT_NONE guard; everything before it
		 * must have been wiped. */
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		const uint8_t *p = addr;
		wrap.unmaps++;
		for (size_t i = 0; i + page < len; i++) {
			if (p[i] != 0) {
				wrap.dirty_unmaps++;
				break;
			}
		}
	}
	return __real_munmap(addr, len);
}

int __wrap_mlock(const void *addr, size_t len)
{
	wrap.mlocks++;
	if (wrap.fail_mlock) {
		errno = EPERM;
		return -1;
	}
	return __real_mlock(addr, len);
}

static int reset_wrap(void **state)
{
	(void)state;
	memset(&wrap, 0, sizeof(wrap));
	return 0;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void test_secure_alloc_sizes(void **state)
{
	static const size_t sizes[] = {1, 15, 16, 17, 32, 100, 4080, 4096, 4097, 10000, 65536};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = te_secure_alloc(sizes[i]);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_int_equal(te_secure_size(p), sizes[i]);
		assert_true(all_bytes(p, sizes[i], 0));
		/* The whole block is usable. */
		memset(p, 0xa5, sizes[i]);
		assert_true(all_bytes(p, sizes[i], 0xa5));
		te_secure_free(p);
	}
}

static void test_secure_alloc_refuses_bad_sizes(void **state)
{
	(void)state;
	assert_null(te_secure_alloc(0));
	assert_null(te_secure_alloc(SIZE_MAX));
	assert_null(te_secure_alloc(SIZE_MAX - 4096));
	assert_null(te_secure_alloc(SIZE_MAX / 2));
	te_secure_free(NULL);
	assert_int_equal(te_secure_size(NULL), 0);
}

static void test_secure_free_wipes(void **state)
{
	uint8_t *p = te_secure_alloc(300);

	(void)state;
	assert_non_null(p);
	memset(p, 0xff, 300);
	wrap.watch = 1;
	te_secure_free(p);
	wrap.watch = 0;
	assert_int_equal(wrap.unmaps, 1);
	assert_int_equal(wrap.dirty_unmaps, 0);
}

/* Proves the watcher can see a dirty region, so the wipe test can fail. */
static void test_wipe_watcher_sees_dirt(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	(void)state;
	assert_true(p != MAP_FAILED);
	p[10] = 1;
	wrap.watch = 1;
	munmap(p, 2 * page);
	wrap.watch = 0;
	assert_int_equal(wrap.dirty_unmaps, 1);
}

static void test_mlock_failure_is_not_fatal(void **state)
{
	uint8_t *p;

	(void)state;
	wrap.fail_mlock = 1;
	p = te_secure_alloc(64);
	wrap.fail_mlock = 0;
	assert_non_null(p);
	assert_int_equal(wrap.mlocks, 1);
	memset(p, 1, 64);
	te_secure_free(p);
}

/* Writing just past the (16-aligned) block must hit the guard page. */
static void test_guard_page_faults(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		volatile uint8_t *p = te_secure_alloc(32);
		int devnull = open("/dev/null", O_WRONLY);
		if (p == NULL)
			_exit(0);
		/* ASan reports the SEGV; keep the test output clean. */
		dup2(devnull, 2);
		p[31] = 1;
		p[32] = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_memzero_and_memeq(void **state)
{
	uint8_t a[64], b[64];

	(void)state;
	memset(a, 0x5a, sizeof(a));
	te_memzero(a, sizeof(a));
	assert_true(all_bytes(a, sizeof(a), 0));
	te_memzero(NULL, 0);

	memset(a, 7, sizeof(a));
	memset(b, 7, sizeof(b));
	assert_int_equal(te_memeq_ct(a, b, sizeof(a)), 0);
	b[63] ^= 1;
	assert_int_not_equal(te_memeq_ct(a, b, sizeof(a)), 0);
	b[63] ^= 1;
	b[0] ^= 0x80;
	assert_int_not_equal(te_memeq_ct(a, b, sizeof(a)), 0);
	assert_int_equal(te_memeq_ct(a, b, 0), 0);
	assert_int_equal(te_memeq_ct(a + 1, b + 1, 63), 0);
}

static void fill_pattern(te_buf *b, size_t total, size_t chunk)
{
	uint8_t tmp[64];
	size_t done = 0;

	while (done < total) {
		size_t n = total - done < chunk ? total - done : chunk;
		for (size_t i = 0; i < n; i++)
			tmp[i] = (uint8_t)((done + i) * 31 + 7);
		assert_int_equal(te_buf_append(b, tmp, n), TE_OK);
		done += n;
	}
}

static void check_pattern(const te_buf *b, size_t total)
{
	assert_int_equal(b->len, total);
	assert_true(b->cap >= b->len);
	for (size_t i = 0; i < total; i++)
		assert_int_equal(b->data[i], (uint8_t)(i * 31 + 7));
}

static void test_buf_plain(void **state)
{
	te_buf b;

	(void)state;
	te_buf_init(&b, 0);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(te_buf_append(&b, NULL, 0), TE_OK);
	assert_int_equal(b.len, 0);
	fill_pattern(&b, 50000, 13);
	check_pattern(&b, 50000);
	assert_int_equal(te_buf_reserve(&b, 10), TE_OK);
	check_pattern(&b, 50000);
	assert_true(b.cap - b.len >= 10);
	te_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.secure, 0);
	/* Usable again after free. */
	fill_pattern(&b, 10, 3);
	check_pattern(&b, 10);
	te_buf_free(&b);
}

static void test_buf_secure_growth(void **state)
{
	te_buf b;

	(void)state;
	te_buf_init(&b, 1);
	assert_int_not_equal(b.secure, 0);
	wrap.watch = 1;
	fill_pattern(&b, 20000, 7);
	check_pattern(&b, 20000);
	/* The data lives in secure memory, sized to the capacity. */
	assert_int_equal(te_secure_size(b.data), b.cap);
	/* Each growth released the old block through te_secure_free. */
	assert_true(wrap.unmaps >= 3);
	te_buf_free(&b);
	wrap.watch = 0;
	assert_int_equal(wrap.dirty_unmaps, 0);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_not_equal(b.secure, 0);
}

static void test_buf_overflow_is_refused(void **state)
{
	te_buf b;
	uint8_t *data;

	(void)state;
	te_buf_init(&b, 0);
	fill_pattern(&b, 10, 10);
	data = b.data;
	assert_int_equal(te_buf_reserve(&b, SIZE_MAX), TE_ERR_NO_MEMORY);
	assert_int_equal(te_buf_reserve(&b, SIZE_MAX - 9), TE_ERR_NO_MEMORY);
	assert_int_equal(te_buf_append(&b, data, SIZE_MAX - 5), TE_ERR_NO_MEMORY);
	assert_ptr_equal(b.data, data);
	check_pattern(&b, 10);
	te_buf_free(&b);

	te_buf_init(&b, 1);
	fill_pattern(&b, 10, 10);
	assert_int_equal(te_buf_reserve(&b, SIZE_MAX / 2), TE_ERR_NO_MEMORY);
	check_pattern(&b, 10);
	te_buf_free(&b);
}

/* The cache hands back a freed block wiped, and keeps at most its limit. */
static void test_secure_cache_reuses_wiped(void **state)
{
	uint8_t *p, *q;

	(void)state;
	te_secure_cache_set_max(4);
	p = te_secure_alloc(300);
	assert_non_null(p);
	memset(p, 0xff, 300);
	wrap.watch = 1;
	te_secure_free(p);
	wrap.watch = 0;
	assert_int_equal(wrap.unmaps, 0); /* kept */
	q = te_secure_alloc(200);         /* same mapping size */
	assert_non_null(q);
	for (size_t i = 0; i < 200; i++)
		assert_int_equal(q[i], 0);
	assert_int_equal(te_secure_size(q), 200);
	te_secure_free(q);
	/* Turning the cache off releases what it held, wiped. */
	wrap.watch = 1;
	te_secure_cache_set_max(0);
	wrap.watch = 0;
	assert_int_equal(wrap.unmaps, 1);
	assert_int_equal(wrap.dirty_unmaps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_secure_cache_reuses_wiped, reset_wrap),
		cmocka_unit_test_setup(test_secure_alloc_sizes, reset_wrap),
		cmocka_unit_test_setup(test_secure_alloc_refuses_bad_sizes, reset_wrap),
		cmocka_unit_test_setup(test_secure_free_wipes, reset_wrap),
		cmocka_unit_test_setup(test_wipe_watcher_sees_dirt, reset_wrap),
		cmocka_unit_test_setup(test_mlock_failure_is_not_fatal, reset_wrap),
		cmocka_unit_test_setup(test_guard_page_faults, reset_wrap),
		cmocka_unit_test_setup(test_memzero_and_memeq, reset_wrap),
		cmocka_unit_test_setup(test_buf_plain, reset_wrap),
		cmocka_unit_test_setup(test_buf_secure_growth, reset_wrap),
		cmocka_unit_test_setup(test_buf_overflow_is_refused, reset_wrap),
	};

	/* The tests count mappings: no cache (one test turns it on). */
	te_secure_cache_set_max(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
