/*
 * fuzz_connstr.c - libFuzzer target for the IoT Hub connection-string
 * parser (src/daemon/connstr.c).
 *
 * Input: a candidate connection string, exactly the fuzzer's bytes (a read
 * past them is caught by ASan).  The parser must return TE_OK or
 * TE_ERR_INVALID_ARG; on failure the output is all zero; on success every
 * text field is NUL-terminated within its bounds, the required ones are
 * not empty and the key length is in range.  A string that parses is
 * parsed a second time and must give the same result.  Anything else
 * aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/connstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *field, size_t room, int required)
{
	size_t n = strnlen(field, room);

	if (n == room || (required && n == 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const te_connstr zero;
	te_connstr *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	te_err rc;

	if (a == NULL || b == NULL)
		abort();
	rc = te_connstr_parse((const char *)data, size, a);
	if (rc != TE_OK) {
		if (rc != TE_ERR_INVALID_ARG || memcmp(a, &zero, sizeof(zero)) != 0)
			abort();
		goto done;
	}
	if (size > TE_CONNSTR_MAX || a->key == NULL || a->key_len < TE_CONNSTR_KEY_MIN ||
	    a->key_len > TE_CONNSTR_KEY_MAX)
		abort();
	check_text(a->host_name, sizeof(a->host_name), 1);
	check_text(a->device_id, sizeof(a->device_id), 1);
	check_text(a->module_id, sizeof(a->module_id), 0);
	check_text(a->gateway_host_name, sizeof(a->gateway_host_name), 0);
	if (te_connstr_parse((const char *)data, size, b) != TE_OK ||
	    strcmp(a->host_name, b->host_name) != 0 || strcmp(a->device_id, b->device_id) != 0 ||
	    strcmp(a->module_id, b->module_id) != 0 ||
	    strcmp(a->gateway_host_name, b->gateway_host_name) != 0 || a->key_len != b->key_len ||
	    memcmp(a->key, b->key, a->key_len) != 0)
		abort();
	te_connstr_clear(b);
	te_connstr_clear(a);
done:
	free(a);
	free(b);
	return 0;
}
