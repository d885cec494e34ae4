/*
 * tpm_conn.h - one connection per TPM per process, shared by every tpm
 * backend context, the EK/SRK readers and the master-key sealing.
 *
 * Why shared: a TPM has very few object slots (three in swtpm/libtpms and
 * in each /dev/tpmrm0 connection), and without a resource manager every
 * client sees the same slots.  Two independent ESYS contexts in one
 * process would fight over them; one owner per TPM can evict what it holds
 * (least recently used first) when the TPM says it is full, and retry.
 *
 * Thread safety: ESYS contexts are not thread-safe.  Every use of the
 * ESYS context and of the handles below happens between te_tpm_conn_lock
 * and te_tpm_conn_unlock (one mutex per connection); handles returned by
 * these functions are valid only until the lock is released or until a
 * later call that may evict objects not named in its `keep` list.
 */
#ifndef TRUSTEDGE_HSM_TPM_CONN_H
#define TRUSTEDGE_HSM_TPM_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "trustedge/te_error.h"

typedef struct te_tpm_conn te_tpm_conn;

/* Persistent handles of TPM objects, TCG Provisioning Guidance. */
#define TE_TPM_PERSISTENT_MIN 0x81000000u
#define TE_TPM_PERSISTENT_MAX 0x81ffffffu

/* Opens the TPM that tcti names ("device:/dev/tpmrm0", "tabrmd",
 * "swtpm:host=...,port=...") or joins this process's open connection to
 * it (same string).  Errors say what to check (tpm_err.h). */
te_err te_tpm_conn_open(const char *tcti, te_tpm_conn **out) TE_MUST_CHECK;
/* Drops a reference; the last one flushes every object the connection
 * loaded and closes it.  NULL is a no-op. */
void te_tpm_conn_close(te_tpm_conn *c);

void te_tpm_conn_lock(te_tpm_conn *c);
void te_tpm_conn_unlock(te_tpm_conn *c);
ESYS_CONTEXT *te_tpm_conn_esys(te_tpm_conn *c);
const char *te_tpm_conn_tcti(const te_tpm_conn *c);

/*
 * The storage parent, loaded (lock held).  persistent is a persistent
 * handle (0x81xxxxxx) of an existing storage key, or 0 for the storage root
 * key made from the standard ECC P-256 template under the owner hierarchy;
 * owner_auth is that hierarchy's authorization (NULL: empty) and is only
 * used when the key must be created.  *tr is the parent's handle, *name
 * (optional) its TPM Name.
 */
te_err te_tpm_conn_parent(te_tpm_conn *c, uint32_t persistent, const TPM2B_AUTH *owner_auth,
			  ESYS_TR *tr, TPM2B_NAME *name) TE_MUST_CHECK;

/*
 * A key blob loaded under parent (lock held), cached under id (the SHA-256
 * of its stored form) so that later calls reuse the loaded object.  `what`
 * names the key in messages.  A blob the TPM refuses as malformed or
 * unauthentic is TE_ERR_TAMPERED.
 */
te_err te_tpm_conn_load(te_tpm_conn *c, ESYS_TR parent, const uint8_t id[32],
			const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv, const char *what,
			ESYS_TR *tr) TE_MUST_CHECK;

/* Parses an authorization value as tpm2-tools writes them: "hex:0a1b..."
 * (bytes), "str:text" or plain text.  At most 64 bytes.  Never logged:
 * errors do not quote the value. */
te_err te_tpm_auth_parse(const char *s, TPM2B_AUTH *out) TE_MUST_CHECK;

/* Flushes the object cached under id, if any (its key was deleted). */
void te_tpm_conn_forget(te_tpm_conn *c, const uint8_t id[32]);

/*
 * Called with the result of a TPM command that failed: when the TPM was
 * out of object or session slots and an object this connection holds (and
 * that is not in keep) could be flushed, flushes it and returns 1 so the
 * caller retries; otherwise 0.  Typical use:
 *
 *   do r = Esys_Create(...); while (te_tpm_conn_retry(c, r, keep, n));
 */
int te_tpm_conn_retry(te_tpm_conn *c, TSS2_RC r, const ESYS_TR *keep, size_t n_keep);

#endif
