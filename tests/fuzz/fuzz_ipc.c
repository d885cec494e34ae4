/*
 * fuzz_ipc.c - libFuzzer target for the daemon's IPC channel.
 *
 * The input is sent as one datagram through a SOCK_SEQPACKET socketpair
 * and read with te_ipc_recv; what it accepts is decoded by its type's
 * decoder.  Independently, the input is handed as a body to every decoder
 * (SIGN_DERIVED_REQ through KEYSVC_REPLY, the certificate, trust bundle
 * and keys service types included, and IDSVC_REQ, IDSVC_REPLY,
 * CERTSVC_REQ, CERTSVC_REPLY).
 * Whatever decodes must re-encode to the very same bytes (and frame), or
 * the target aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static te_ipc_msg g_msg, g_enc;
static int g_sv[2] = {-1, -1};

static void check_same(const te_ipc_msg *a, const te_ipc_msg *b)
{
	if (a->type != b->type || a->len != b->len || memcmp(a->body, b->body, a->len) != 0)
		abort();
}

/* Decodes msg by its type; on success re-encodes into g_enc and compares. */
static void decode_reencode(const te_ipc_msg *msg)
{
	te_ipc_sign_derived_req sd;
	te_ipc_sign_reply sr;
	te_ipc_crypt_req cq;
	te_ipc_crypt_reply cr;
	te_ipc_error_reply er;
	te_ipc_cert_req cert;
	te_ipc_cert_reply crep;
	te_ipc_bundle_reply br;
	te_ipc_keysvc_req kq;
	te_ipc_keysvc_reply kr;
	te_ipc_idsvc_req iq;
	te_ipc_idsvc_reply ir;
	te_ipc_certsvc_req csq;
	te_ipc_certsvc_reply csr;
	te_err rc;

	switch (msg->type) {
	case TE_IPC_SIGN_DERIVED_REQ:
		if (te_ipc_sign_derived_req_decode(msg, &sd) != TE_OK)
			return;
		rc = te_ipc_sign_derived_req_encode(&sd, &g_enc);
		break;
	case TE_IPC_SIGN_REPLY:
		if (te_ipc_sign_reply_decode(msg, &sr) != TE_OK)
			return;
		rc = te_ipc_sign_reply_encode(&sr, &g_enc);
		break;
	case TE_IPC_ENCRYPT_REQ:
		if (te_ipc_encrypt_req_decode(msg, &cq) != TE_OK)
			return;
		rc = te_ipc_encrypt_req_encode(&cq, &g_enc);
		break;
	case TE_IPC_DECRYPT_REQ:
		if (te_ipc_decrypt_req_decode(msg, &cq) != TE_OK)
			return;
		rc = te_ipc_decrypt_req_encode(&cq, &g_enc);
		break;
	case TE_IPC_CRYPT_REPLY:
		if (te_ipc_crypt_reply_decode(msg, &cr) != TE_OK)
			return;
		rc = te_ipc_crypt_reply_encode(&cr, &g_enc);
		break;
	case TE_IPC_ERROR_REPLY:
		if (te_ipc_error_reply_decode(msg, &er) != TE_OK)
			return;
		rc = te_ipc_error_reply_encode(&er, &g_enc);
		break;
	case TE_IPC_CERT_SERVER_REQ:
		if (te_ipc_cert_server_req_decode(msg, &cert) != TE_OK)
			return;
		/* Fields the decoder leaves alone must be NUL-terminated. */
		if (strlen(cert.common_name) == 0 || strlen(cert.common_name) > TE_IPC_CN_MAX)
			abort();
		rc = te_ipc_cert_server_req_encode(&cert, &g_enc);
		break;
	case TE_IPC_CERT_IDENTITY_REQ:
		if (te_ipc_cert_identity_req_decode(msg, &cert) != TE_OK)
			return;
		if (cert.genid[0] != '\0' || cert.common_name[0] != '\0')
			abort();
		rc = te_ipc_cert_identity_req_encode(&cert, &g_enc);
		break;
	case TE_IPC_CERT_REPLY:
		if (te_ipc_cert_reply_decode(msg, &crep) != TE_OK)
			return;
		if (memchr(crep.cert_pem, '\0', crep.cert_pem_len) != NULL ||
		    memchr(crep.key_pem, '\0', crep.key_pem_len) != NULL)
			abort();
		rc = te_ipc_cert_reply_encode(&crep, &g_enc);
		break;
	case TE_IPC_TRUST_BUNDLE_REQ:
		if (te_ipc_trust_bundle_req_decode(msg) != TE_OK)
			return;
		rc = te_ipc_trust_bundle_req_encode(&g_enc);
		break;
	case TE_IPC_MANIFEST_TRUST_BUNDLE_REQ:
		if (te_ipc_manifest_trust_bundle_req_decode(msg) != TE_OK)
			return;
		rc = te_ipc_manifest_trust_bundle_req_encode(&g_enc);
		break;
	case TE_IPC_BUNDLE_REPLY:
		if (te_ipc_bundle_reply_decode(msg, &br) != TE_OK)
			return;
		if (br.pem_len > 0 && memchr(br.pem, '\0', br.pem_len) != NULL)
			abort();
		rc = te_ipc_bundle_reply_encode(&br, &g_enc);
		break;
	case TE_IPC_KEYSVC_REQ:
		if (te_ipc_keysvc_req_decode(msg, &kq) != TE_OK)
			return;
		/* Decoded strings are terminated within their bounds. */
		if (strlen(kq.key_id) > TE_IPC_KEYSVC_ID_MAX ||
		    strlen(kq.from_key_id) > TE_IPC_KEYSVC_ID_MAX ||
		    strlen(kq.handle) > TE_IPC_KEYSVC_HANDLE_MAX ||
		    kq.n_prefs > TE_IPC_KEYSVC_PREFS_MAX)
			abort();
		rc = te_ipc_keysvc_req_encode(&kq, &g_enc);
		break;
	case TE_IPC_KEYSVC_REPLY:
		if (te_ipc_keysvc_reply_decode(msg, &kr) != TE_OK)
			return;
		if ((kr.kind == TE_IPC_KEYSVC_REPLY_NONE) != (kr.status == 204))
			abort();
		rc = te_ipc_keysvc_reply_encode(&kr, &g_enc);
		break;
	case TE_IPC_IDSVC_REQ:
		if (te_ipc_idsvc_req_decode(msg, &iq) != TE_OK)
			return;
		/* The device (both empty) or a module (both set), bounded. */
		if ((iq.module[0] == '\0') != (iq.genid[0] == '\0') ||
		    strlen(iq.module) > TE_IPC_MODULE_MAX || strlen(iq.genid) > TE_IPC_GENID_MAX)
			abort();
		rc = te_ipc_idsvc_req_encode(&iq, &g_enc);
		break;
	case TE_IPC_IDSVC_REPLY:
		if (te_ipc_idsvc_reply_decode(msg, &ir) != TE_OK)
			return;
		if (ir.handle_len == 0 || memchr(ir.handle, '\0', ir.handle_len) != NULL)
			abort();
		rc = te_ipc_idsvc_reply_encode(&ir, &g_enc);
		break;
	case TE_IPC_CERTSVC_REQ:
		if (te_ipc_certsvc_req_decode(msg, &csq) != TE_OK)
			return;
		/* Ids and handle terminated within bounds; an issuer is both
		 * or neither; only a create has a CSR, only an import a PEM. */
		if (strlen(csq.cert_id) == 0 || strlen(csq.cert_id) > TE_IPC_CERTSVC_ID_MAX ||
		    strlen(csq.issuer_cert_id) > TE_IPC_CERTSVC_ID_MAX ||
		    strlen(csq.issuer_handle) > TE_IPC_CERTSVC_HANDLE_MAX ||
		    (csq.issuer_cert_id[0] == '\0') != (csq.issuer_handle[0] == '\0') ||
		    (csq.csr_len != 0) != (csq.op == TE_IPC_CERTSVC_CREATE) ||
		    (csq.pem_len != 0) != (csq.op == TE_IPC_CERTSVC_IMPORT) ||
		    (csq.pem_len != 0 && memchr(csq.pem, '\0', csq.pem_len) != NULL))
			abort();
		rc = te_ipc_certsvc_req_encode(&csq, &g_enc);
		break;
	case TE_IPC_CERTSVC_REPLY:
		if (te_ipc_certsvc_reply_decode(msg, &csr) != TE_OK)
			return;
		if ((csr.kind == TE_IPC_CERTSVC_REPLY_NONE) != (csr.status == 204) ||
		    (csr.kind == TE_IPC_CERTSVC_REPLY_PEM && csr.status != 200 && csr.status != 201))
			abort();
		rc = te_ipc_certsvc_reply_encode(&csr, &g_enc);
		break;
	default:
		/* The empty types: te_ipc_recv already held them to 0 bytes. */
		if (msg->len != 0)
			abort();
		return;
	}
	if (rc != TE_OK)
		abort();
	check_same(msg, &g_enc);
}

/* The whole input as a datagram through the real receive path. */
static void via_socket(const uint8_t *data, size_t size)
{
	uint8_t frame[TE_IPC_HDR_LEN];
	ssize_t n;

	if (g_sv[0] < 0 &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, g_sv) != 0)
		abort();
	if (send(g_sv[0], data, size, MSG_NOSIGNAL) != (ssize_t)size)
		return; /* too big for the socket: nothing to read */
	if (te_ipc_recv(g_sv[1], &g_msg) != TE_OK) {
		/* recv must consume the datagram even when it refuses it. */
		if (recv(g_sv[1], frame, sizeof(frame), MSG_DONTWAIT) >= 0)
			abort();
		return;
	}
	/* Accepted: the header must be the input's, byte for byte. */
	if (size != TE_IPC_HDR_LEN + g_msg.len ||
	    memcmp(g_msg.body, data + TE_IPC_HDR_LEN, g_msg.len) != 0)
		abort();
	frame[0] = 0;
	frame[1] = TE_IPC_VERSION;
	frame[2] = (uint8_t)(g_msg.type >> 8);
	frame[3] = (uint8_t)g_msg.type;
	frame[4] = (uint8_t)(g_msg.id >> 24);
	frame[5] = (uint8_t)(g_msg.id >> 16);
	frame[6] = (uint8_t)(g_msg.id >> 8);
	frame[7] = (uint8_t)g_msg.id;
	frame[8] = (uint8_t)(g_msg.len >> 24);
	frame[9] = (uint8_t)(g_msg.len >> 16);
	frame[10] = (uint8_t)(g_msg.len >> 8);
	frame[11] = (uint8_t)g_msg.len;
	if (memcmp(frame, data, sizeof(frame)) != 0)
		abort();
	decode_reencode(&g_msg);
	/* Sending what was accepted must be accepted by te_ipc_send too. */
	if (te_ipc_send_msg(g_sv[0], &g_msg) != TE_OK)
		abort();
	n = recv(g_sv[1], g_enc.body, sizeof(g_enc.body), 0);
	if (n != (ssize_t)size || memcmp(g_enc.body, data, size) != 0)
		abort();
	te_ipc_msg_wipe(&g_msg);
}

/* The whole input as the body of each type, bypassing the frame checks
 * (decoders must stand on their own). */
static void as_bodies(const uint8_t *data, size_t size)
{
	if (size > sizeof(g_msg.body))
		return;
	for (uint16_t t = TE_IPC_SIGN_DERIVED_REQ; t <= TE_IPC_KEYSVC_REPLY; t++) {
		memset(&g_msg, 0, sizeof(g_msg));
		g_msg.type = t;
		g_msg.len = (uint32_t)size;
		if (size > 0)
			memcpy(g_msg.body, data, size);
		decode_reencode(&g_msg);
	}
	/* The certificates service's types. */
	for (uint16_t t = TE_IPC_CERTSVC_REQ; t <= TE_IPC_CERTSVC_REPLY; t++) {
		memset(&g_msg, 0, sizeof(g_msg));
		g_msg.type = t;
		g_msg.len = (uint32_t)size;
		if (size > 0)
			memcpy(g_msg.body, data, size);
		decode_reencode(&g_msg);
	}
	/* The identity service's types. */
	for (uint16_t t = TE_IPC_IDSVC_REQ; t <= TE_IPC_IDSVC_REPLY; t++) {
		memset(&g_msg, 0, sizeof(g_msg));
		g_msg.type = t;
		g_msg.len = (uint32_t)size;
		if (size > 0)
			memcpy(g_msg.body, data, size);
		decode_reencode(&g_msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	via_socket(data, size);
	as_bodies(data, size);
	return 0;
}
