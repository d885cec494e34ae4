/* test_json.c - jansson's blocks are wiped before they are freed. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/te_json.h"

/* free is wrapped at link time: for the one block under watch, the
 * wrapper records whether it still holds the secret when it reaches free. */
void __real_free(void *p);
void __wrap_free(void *p);

static const char secret[] = "c2VjcmV0LWtleS1ieXRlcw==";
static const uint8_t *watch;
static size_t watch_len;
static int seen, seen_with_secret;

void __wrap_free(void *p)
{
	const uint8_t *q = p;

	/* te_json_free hands free the header in front of the user block. */
	if (watch != NULL && q != NULL && q < watch && (size_t)(watch - q) <= 64) {
		seen++;
		if (memmem(watch, watch_len, secret, sizeof(secret) - 1) != NULL)
			seen_with_secret++;
	}
	__real_free(p);
}

static void freed_blocks_are_wiped(void **state)
{
	char *p = te_json_malloc(sizeof(secret));

	(void)state;
	assert_non_null(p);
	memcpy(p, secret, sizeof(secret));
	watch = (const uint8_t *)p;
	watch_len = sizeof(secret);
	te_json_free(p);
	watch = NULL;
	assert_int_equal(seen, 1);
	assert_int_equal(seen_with_secret, 0);
	te_json_free(NULL);
	assert_null(te_json_malloc(SIZE_MAX));
}

static void jansson_uses_the_wiping_allocator(void **state)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	json_t *obj;
	char *text;

	(void)state;
	te_json_wipe_on_free();
	json_get_alloc_funcs(&m, &f);
	assert_ptr_equal(m, te_json_malloc);
	assert_ptr_equal(f, te_json_free);
	obj = json_pack("{s:s}", "plaintext", secret);
	assert_non_null(obj);
	text = json_dumps(obj, JSON_COMPACT);
	assert_non_null(strstr(text, secret));
	te_json_free(text);
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(freed_blocks_are_wiped),
		cmocka_unit_test(jansson_uses_the_wiping_allocator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
