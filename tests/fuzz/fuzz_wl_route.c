/*
 * fuzz_wl_route.c - libFuzzer target for the workload API router
 * (src/daemon/workload.c, te_wl_route).
 *
 * Input: method NUL path NUL api-version; a missing part is NULL for the
 * api-version and "" for the others (a missing method is NULL, so that
 * case is covered too).  On success the route id is set, the ids are
 * NUL-terminated within bounds, present exactly when the route has them,
 * and only of the allowed characters, and the status is clear; on failure
 * the status is 400, 404 or 405 with a message that turns into an error
 * reply.  The same input routed twice gives the same answer.  Anything
 * else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_id(const char *id, size_t room, int present)
{
	size_t n = strnlen(id, room);

	if (n == room || (present != (n > 0)))
		abort();
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f || id[i] == '/' ||
		    id[i] == '%')
			abort();
	}
	if (strcmp(id, "..") == 0 || strcmp(id, ".") == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	const char *parts[3] = {NULL, NULL, NULL};
	size_t np = 0, start = 0;
	te_wl_route_t a, b;
	te_buf reply;
	te_err rc;
	int has_genid;

	if (buf == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && np < 3; i++) {
		if (i == size || buf[i] == '\0') {
			parts[np++] = buf + start;
			start = i + 1;
		}
	}
	if (np == 0 || (np == 1 && size == 0))
		parts[0] = NULL;
	if (np < 2)
		parts[1] = "";
	rc = te_wl_route(parts[0], parts[1], parts[2], &a);
	if (te_wl_route(parts[0], parts[1], parts[2], &b) != rc || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if (rc == TE_OK) {
		if (a.id == TE_WL_ROUTE_NONE || a.status.http_status != 0 ||
		    a.version == TE_WL_API_NONE)
			abort();
		has_genid = a.id == TE_WL_ROUTE_SIGN || a.id == TE_WL_ROUTE_ENCRYPT ||
			    a.id == TE_WL_ROUTE_DECRYPT || a.id == TE_WL_ROUTE_CERT_SERVER;
		check_id(a.name, sizeof(a.name), has_genid || a.id == TE_WL_ROUTE_CERT_IDENTITY);
		check_id(a.genid, sizeof(a.genid), has_genid);
	} else {
		if (a.id != TE_WL_ROUTE_NONE || a.name[0] != '\0' || a.genid[0] != '\0')
			abort();
		if (a.status.http_status != 400 && a.status.http_status != 404 &&
		    a.status.http_status != 405)
			abort();
		if (a.status.message[0] == '\0' ||
		    strnlen(a.status.message, sizeof(a.status.message)) == sizeof(a.status.message))
			abort();
		te_buf_init(&reply, 0);
		if (te_wl_reply_error(&a.status, &reply) != TE_OK)
			abort();
		te_buf_free(&reply);
	}
	free(buf);
	return 0;
}
