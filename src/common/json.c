/* json.c - jansson allocation that wipes what it frees (see te_json.h). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/te_json.h"
#include "trustedge/te_mem.h"

/* Each block carries its size in front, so free knows how much to wipe. */
typedef union json_hdr {
	size_t size;
	max_align_t align;
} json_hdr;

void *te_json_malloc(size_t n)
{
	json_hdr *h;

	if (n > SIZE_MAX - sizeof(*h))
		return NULL;
	h = malloc(sizeof(*h) + n);
	if (h == NULL)
		return NULL;
	h->size = n;
	return h + 1;
}

void te_json_free(void *p)
{
	json_hdr *h;

	if (p == NULL)
		return;
	h = (json_hdr *)p - 1;
	te_memzero(p, h->size);
	free(h);
}

void te_json_wipe_on_free(void)
{
	json_set_alloc_funcs(te_json_malloc, te_json_free);
}
