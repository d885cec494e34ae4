/*
 * keys_idsvc.c - owns the keys process's answer to IDSVC_REQ: the key
 * handle of the device identity or of a module identity, made with the
 * keys service's identity handles (contract in keys_idsvc.h).
 */
#include "daemon/keys_idsvc.h"

#include <string.h>

#include "common/te_log.h"
#include "daemon/keyhandle.h"
#include "daemon/keys.h"
#include "trustedge/te_mem.h"

_Static_assert(TE_KEYS_DERIVATION_MAX <= TE_KEYHANDLE_DATA_MAX,
               "a module key's derivation data fits a derived handle");
_Static_assert(TE_IPC_KEYSVC_HANDLE_MAX == TE_KEYHANDLE_TEXT_MAX, "a handle fits an IDSVC_REPLY");
_Static_assert(sizeof(TE_KEYS_IDSVC_KEY_ID) - 1 <= TE_IPC_KEY_ID_MAX, "keyId bound");

te_err te_keys_idsvc_answer(te_keys_svc *svc, const te_ipc_idsvc_req *req, te_ipc_msg *reply,
                            const char **why)
{
	te_err rc = TE_OK;
	uint8_t dd[TE_KEYS_DERIVATION_MAX];
	size_t dd_len = 0;
	char handle[TE_KEYHANDLE_TEXT_MAX + 1];
	te_ipc_idsvc_reply rep;
	const int device = req->module[0] == '\0';

	handle[0] = '\0';
	*why = "identity key handles are not available on this device";
	TE_ENSURE(svc != NULL, TE_ERR_UNSUPPORTED, "keys: the keys service is not configured");
	if (!device) {
		*why = "cannot make the module key's derivation data";
		TE_GUARD(te_keys_module_derivation(req->module, req->genid, TE_KEYS_IDSVC_KEY_ID,
		                                   dd, sizeof(dd), &dd_len));
	}
	*why = "cannot make the identity's key handle";
	rc = te_keys_svc_identity_handle(svc, req->uid, dd, dd_len, handle, sizeof(handle));
	if (rc == TE_ERR_UNSUPPORTED)
		*why = "identity key handles are not available for this device key";
	TE_GUARD(rc);
	*why = "cannot encode the reply";
	rep.handle = handle;
	rep.handle_len = strlen(handle);
	TE_GUARD(te_ipc_idsvc_reply_encode(&rep, reply));
	if (device)
		te_log_info("audit: identity handle for uid=%u identity=device",
		            (unsigned)req->uid);
	else
		te_log_info("audit: identity handle for uid=%u identity=module module=%s genid=%s",
		            (unsigned)req->uid, req->module, req->genid);
out:
	te_memzero(handle, sizeof(handle));
	return rc;
}
