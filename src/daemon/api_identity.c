/*
 * api_identity.c - the identity service (services-api.md) on its socket.
 * Being written: every request is answered 501 until then.
 */
#include "daemon/api_int.h"

enum MHD_Result te_api_identity_handle(te_api *a, struct MHD_Connection *conn, const te_api_call *c)
{
	(void)a;
	(void)c;
	return te_api_send_status(conn, 501, "the identity API is not served by this build yet");
}
