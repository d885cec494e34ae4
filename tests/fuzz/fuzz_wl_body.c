/*
 * fuzz_wl_body.c - libFuzzer target for every workload API JSON body
 * parser (src/daemon/workload.c).
 *
 * Input: the first byte picks the parser (sign, encrypt, decrypt, server
 * certificate, identity certificate, or the RFC 3339 parser alone) and
 * whether the Content-Type is "application/json; charset=utf-8" (bit 7
 * set: "text/plain", which must be refused with 415); the rest is the
 * body, exactly the fuzzer's bytes.  On success the decoded fields are
 * within their bounds, an accepted body is accepted again with the same
 * result, and sign/crypt payloads survive a reply round trip; on failure
 * the status is 400, 413, 415 or 422 and the output is zero.  Anything
 * else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union te_fz_out {
	te_wl_sign_req sign;
	te_wl_crypt_req crypt;
	te_wl_cert_req cert;
};

static te_err te_fz_parse(int which, const uint8_t *body, size_t len, const char *ct,
			  union te_fz_out *o, te_wl_status *st)
{
	switch (which) {
	case 0:
		return te_wl_parse_sign(body, len, ct, &o->sign, st);
	case 1:
		return te_wl_parse_encrypt(body, len, ct, &o->crypt, st);
	case 2:
		return te_wl_parse_decrypt(body, len, ct, &o->crypt, st);
	case 3:
		return te_wl_parse_server_cert(body, len, ct, &o->cert, st);
	default:
		return te_wl_parse_identity_cert(body, len, ct, &o->cert, st);
	}
}

static void te_fz_check_ok(int which, const union te_fz_out *o)
{
	te_buf b;

	te_buf_init(&b, 0);
	switch (which) {
	case 0:
		if (o->sign.data_len > TE_IPC_SIGN_DATA_MAX ||
		    (strcmp(o->sign.key_id, "primary") != 0 && strcmp(o->sign.key_id, "secondary") != 0))
			abort();
		if (o->sign.data_len > 0 &&
		    te_wl_reply_sign(o->sign.data, o->sign.data_len < TE_IPC_DIGEST_MAX
						       ? o->sign.data_len
						       : TE_IPC_DIGEST_MAX,
				     &b) != TE_OK)
			abort();
		break;
	case 1:
	case 2:
		if (o->crypt.iv_len < 1 || o->crypt.iv_len > TE_IPC_IV_MAX ||
		    o->crypt.data_len > TE_IPC_CRYPT_DATA_MAX + TE_IPC_CRYPT_OVERHEAD_MAX ||
		    (which == 1 && o->crypt.data_len > TE_IPC_CRYPT_DATA_MAX) ||
		    (which == 2 && o->crypt.data_len == 0))
			abort();
		if (te_wl_reply_crypt(which == 1 ? "ciphertext" : "plaintext", o->crypt.data,
				      o->crypt.data_len, &b) != TE_OK)
			abort();
		break;
	case 3:
		if (o->cert.common_name[0] == '\0' ||
		    strnlen(o->cert.common_name, sizeof(o->cert.common_name)) ==
			sizeof(o->cert.common_name))
			abort();
		break;
	default:
		if (o->cert.common_name[0] != '\0')
			abort();
		break;
	}
	if (b.len > 0 && (b.data[0] != '{' || b.data[b.len] != '\0'))
		abort();
	te_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union te_fz_out a, b, zero;
	te_wl_status st;
	const char *ct;
	int which, json;
	te_err rc;

	if (size == 0)
		return 0;
	which = (data[0] & 0x7f) % 6;
	json = !(data[0] & 0x80);
	ct = json ? "application/json; charset=utf-8" : "text/plain";
	data++;
	size--;
	if (which == 5) {
		int64_t t = 0;
		(void)te_wl_parse_rfc3339((const char *)data, size, &t);
		return 0;
	}
	/* The parsers zero only their own member of the union. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rc = te_fz_parse(which, data, size, ct, &a, &st);
	if (rc != TE_OK) {
		if (memcmp(&a, &zero, sizeof(a)) != 0)
			abort();
		if (st.http_status != 400 && st.http_status != 413 && st.http_status != 415 &&
		    st.http_status != 422)
			abort();
		if (!json && st.http_status != 415)
			abort();
		if (size > TE_WL_BODY_MAX && json && st.http_status != 413)
			abort();
		return 0;
	}
	/* An identity certificate may be asked for with no body at all. */
	if ((!json && !(which == 4 && size == 0)) || st.http_status != 0)
		abort();
	te_fz_check_ok(which, &a);
	if (te_fz_parse(which, data, size, ct, &b, &st) != TE_OK || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	return 0;
}
