/*
 * fuzz_svc_certs.c - libFuzzer target for the certificates service API
 * layer (src/daemon/svc_certs.c): the router and both body parsers.
 *
 * Input: the first byte picks the mode (low 7 bits mod 3): 0 routes the
 * rest as method NUL path NUL api-version (a missing part is NULL for the
 * method and the api-version, "" for the path); 1 and 2 feed the rest, as
 * a body, to the POST /certificates and PUT /certificates/{id} parsers.
 * Bit 7 set sends "text/plain" instead of "application/json;
 * charset=utf-8", which must be refused with 415.
 *
 * On success the decoded fields are within their bounds (ids by the key
 * name rules, handles base64url, PEM text that a reply takes back), the
 * same input gives the same result again, and what goes into a
 * CERTSVC_REQ encodes; on failure the status is one of those documented,
 * the message turns into an error reply, and the output is zero.
 * Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ipc.h"
#include "daemon/svc_certs.h"
#include "trustedge/te_hsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union te_fz_req {
	te_svc_certs_create_req create;
	te_svc_certs_import_req import;
};

static te_ipc_msg g_msg;

static void te_fz_check_status(const te_wl_status *st, const int *allowed, size_t n)
{
	te_buf reply;
	int hit = 0;

	for (size_t i = 0; i < n; i++)
		hit |= st->http_status == allowed[i];
	if (!hit || st->message[0] == '\0' ||
	    strnlen(st->message, sizeof(st->message)) == sizeof(st->message))
		abort();
	te_buf_init(&reply, 0);
	if (te_svc_certs_reply_error(st, &reply) != TE_OK || reply.data[0] != '{')
		abort();
	te_buf_free(&reply);
}

static void te_fz_check_id(const char *id, size_t room, int present)
{
	size_t n = strnlen(id, room);

	if (n == room)
		abort();
	if (!present) {
		if (n != 0)
			abort();
		return;
	}
	if (te_hsm_name_check(id) != TE_OK)
		abort();
}

static void te_fz_route(const uint8_t *data, size_t size)
{
	static const int allowed[] = {400, 404, 405};
	char *buf = malloc(size + 1);
	const char *parts[3] = {NULL, "", NULL};
	size_t np = 0, start = 0;
	te_svc_certs_route_t a, b;
	te_err rc;

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
	if (size == 0)
		parts[0] = NULL;
	rc = te_svc_certs_route(parts[0], parts[1], parts[2], &a);
	if (te_svc_certs_route(parts[0], parts[1], parts[2], &b) != rc ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if (rc == TE_OK) {
		if (a.id == TE_SVC_CERTS_ROUTE_NONE || a.version != TE_SVC_CERTS_API_2020_09_01 ||
		    a.status.http_status != 0 || a.status.message[0] != '\0')
			abort();
		te_fz_check_id(a.cert_id, sizeof(a.cert_id), a.id != TE_SVC_CERTS_ROUTE_CREATE);
	} else {
		if (a.id != TE_SVC_CERTS_ROUTE_NONE || a.cert_id[0] != '\0')
			abort();
		te_fz_check_status(&a.status, allowed, 3);
	}
	free(buf);
}

static te_err te_fz_parse(int which, const uint8_t *body, size_t len, const char *ct,
                          union te_fz_req *o, te_wl_status *st)
{
	if (which == 1)
		return te_svc_certs_parse_create(body, len, ct, &o->create, st);
	return te_svc_certs_parse_import(body, len, ct, &o->import, st);
}

static size_t te_fz_size(int which)
{
	return which == 1 ? sizeof(te_svc_certs_create_req) : sizeof(te_svc_certs_import_req);
}

/* What the API process would send for it must encode. */
static void te_fz_check_ok(int which, const union te_fz_req *o)
{
	te_ipc_certsvc_req q;
	te_buf reply;

	memset(&q, 0, sizeof(q));
	q.uid = 1000;
	if (which == 1) {
		const te_svc_certs_create_req *c = &o->create;
		size_t hn = strnlen(c->issuer_key_handle, sizeof(c->issuer_key_handle));

		te_fz_check_id(c->cert_id, sizeof(c->cert_id), 1);
		te_fz_check_id(c->issuer_cert_id, sizeof(c->issuer_cert_id), c->has_issuer);
		if (c->csr_len < 1 || c->csr_len > TE_SVC_CERTS_CSR_MAX ||
		    (c->has_issuer != 0) != (hn != 0) || hn > TE_KEYHANDLE_TEXT_MAX)
			abort();
		q.op = TE_IPC_CERTSVC_CREATE;
		memcpy(q.cert_id, c->cert_id, sizeof(q.cert_id));
		memcpy(q.issuer_cert_id, c->issuer_cert_id, sizeof(q.issuer_cert_id));
		memcpy(q.issuer_handle, c->issuer_key_handle, sizeof(q.issuer_handle));
		q.csr = c->csr;
		q.csr_len = c->csr_len;
	} else {
		const te_svc_certs_import_req *im = &o->import;

		if (im->pem_len < 1 || im->pem_len > TE_SVC_CERTS_PEM_MAX ||
		    strlen(im->pem) != im->pem_len)
			abort();
		te_buf_init(&reply, 0);
		if (te_svc_certs_reply_pem(im->pem, im->pem_len, &reply) != TE_OK)
			abort();
		te_buf_free(&reply);
		q.op = TE_IPC_CERTSVC_IMPORT;
		memcpy(q.cert_id, "imported", 9);
		q.pem = im->pem;
		q.pem_len = im->pem_len;
	}
	if (te_ipc_certsvc_req_encode(&q, &g_msg) != TE_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int allowed[] = {400, 413, 415, 422};
	static union te_fz_req a, b, zero;
	te_wl_status st;
	const char *ct;
	int which, json;
	te_err rc;

	if (size == 0)
		return 0;
	which = (data[0] & 0x7f) % 3;
	json = !(data[0] & 0x80);
	ct = json ? "application/json; charset=utf-8" : "text/plain";
	data++;
	size--;
	if (which == 0) {
		te_fz_route(data, size);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rc = te_fz_parse(which, data, size, ct, &a, &st);
	if (rc != TE_OK) {
		if (memcmp(&a, &zero, te_fz_size(which)) != 0)
			abort();
		te_fz_check_status(&st, allowed, 4);
		if (!json && st.http_status != 415)
			abort();
		if (json && size > TE_SVC_CERTS_BODY_MAX && st.http_status != 413)
			abort();
		return 0;
	}
	if (!json || st.http_status != 0 || size > TE_SVC_CERTS_BODY_MAX)
		abort();
	te_fz_check_ok(which, &a);
	if (te_fz_parse(which, data, size, ct, &b, &st) != TE_OK ||
	    memcmp(&a, &b, te_fz_size(which)) != 0)
		abort();
	return 0;
}
