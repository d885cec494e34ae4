/*
 * tpm_conn.c - the process's connections to TPMs and the objects they keep
 * loaded (see tpm_conn.h).
 *
 * Each connection keeps at most KEYS_LOADED keys loaded, plus its storage
 * parents.  When the TPM reports that it is out of slots (TPM_RC_OBJECT_
 * MEMORY), the least recently used key is flushed; if none is left, a
 * transient parent is saved with TPM2_ContextSave and flushed, and loaded
 * back with TPM2_ContextLoad when next needed, which costs no
 * authorization and no key generation.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "hsm/backends/tpm_conn.h"
#include "hsm/backends/tpm_err.h"
#include "hsm/backends/tpm_tmpl.h"
#include "trustedge/te_mem.h"

#define KEYS_LOADED 2 /* with one parent: the three slots of libtpms */
#define PARENTS_MAX 4

struct kslot {
	int used;
	uint8_t id[32];
	ESYS_TR tr;
	uint64_t tick;
};

struct pslot {
	int used;
	uint32_t persistent; /* 0: the SRK made from the template */
	ESYS_TR tr;	     /* ESYS_TR_NONE while saved away */
	TPMS_CONTEXT *saved; /* from TPM2_ContextSave, while flushed */
	TPM2B_NAME name;
	uint64_t tick;
};

struct te_tpm_conn {
	struct te_tpm_conn *next;
	char *tcti;
	unsigned refs; /* under reg_mu */
	pthread_mutex_t mu;
	TSS2_TCTI_CONTEXT *tcti_ctx;
	ESYS_CONTEXT *esys;
	uint64_t tick;
	struct kslot keys[KEYS_LOADED];
	struct pslot parents[PARENTS_MAX];
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static te_tpm_conn *reg_head;

void te_tpm_conn_lock(te_tpm_conn *c)
{
	pthread_mutex_lock(&c->mu);
}

void te_tpm_conn_unlock(te_tpm_conn *c)
{
	pthread_mutex_unlock(&c->mu);
}

ESYS_CONTEXT *te_tpm_conn_esys(te_tpm_conn *c)
{
	return c->esys;
}

const char *te_tpm_conn_tcti(const te_tpm_conn *c)
{
	return c->tcti;
}

static int in_keep(ESYS_TR tr, const ESYS_TR *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == tr)
			return 1;
	return 0;
}

static void key_flush(te_tpm_conn *c, struct kslot *k)
{
	(void)Esys_FlushContext(c->esys, k->tr);
	memset(k, 0, sizeof(*k));
}

/* Saves a transient parent's context and flushes it. */
static int parent_park(te_tpm_conn *c, struct pslot *p)
{
	TPMS_CONTEXT *saved = NULL;

	if (Esys_ContextSave(c->esys, p->tr, &saved) != TSS2_RC_SUCCESS)
		return 0;
	if (Esys_FlushContext(c->esys, p->tr) != TSS2_RC_SUCCESS) {
		Esys_Free(saved);
		return 0;
	}
	p->tr = ESYS_TR_NONE;
	p->saved = saved;
	return 1;
}

/* Flushes the least recently used object not in keep: a key first, a
 * transient parent only when no key is left.  1 when one was flushed. */
static int evict_one(te_tpm_conn *c, const ESYS_TR *keep, size_t n)
{
	struct kslot *kv = NULL;
	struct pslot *pv = NULL;

	for (size_t i = 0; i < KEYS_LOADED; i++) {
		struct kslot *k = &c->keys[i];
		if (k->used && !in_keep(k->tr, keep, n) && (kv == NULL || k->tick < kv->tick))
			kv = k;
	}
	if (kv != NULL) {
		key_flush(c, kv);
		return 1;
	}
	for (size_t i = 0; i < PARENTS_MAX; i++) {
		struct pslot *p = &c->parents[i];
		if (p->used && p->persistent == 0 && p->tr != ESYS_TR_NONE &&
		    !in_keep(p->tr, keep, n) && (pv == NULL || p->tick < pv->tick))
			pv = p;
	}
	return pv != NULL && parent_park(c, pv);
}

int te_tpm_conn_retry(te_tpm_conn *c, TSS2_RC r, const ESYS_TR *keep, size_t n_keep)
{
	if (r == TSS2_RC_SUCCESS || !te_tpm_rc_is_slots(r))
		return 0;
	return evict_one(c, keep, n_keep);
}

/* --- open and close ---------------------------------------------------------- */

static void conn_free(te_tpm_conn *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < KEYS_LOADED; i++)
		if (c->keys[i].used)
			key_flush(c, &c->keys[i]);
	for (size_t i = 0; i < PARENTS_MAX; i++) {
		struct pslot *p = &c->parents[i];
		if (!p->used)
			continue;
		if (p->tr != ESYS_TR_NONE && p->persistent == 0)
			(void)Esys_FlushContext(c->esys, p->tr);
		else if (p->tr != ESYS_TR_NONE)
			(void)Esys_TR_Close(c->esys, &p->tr);
		Esys_Free(p->saved);
	}
	if (c->esys != NULL)
		Esys_Finalize(&c->esys);
	if (c->tcti_ctx != NULL)
		Tss2_TctiLdr_Finalize(&c->tcti_ctx);
	pthread_mutex_destroy(&c->mu);
	free(c->tcti);
	free(c);
}

/* A first command, so that a TPM that does not answer is reported at open
 * with what to check, not later in the middle of an operation. */
static te_err conn_probe(te_tpm_conn *c)
{
	TPMI_YES_NO more = 0;
	TPMS_CAPABILITY_DATA *cap = NULL;
	TSS2_RC r = Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				       TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 1, &more,
				       &cap);

	Esys_Free(cap);
	if (r != TSS2_RC_SUCCESS)
		return te_tpm_err(r, c->tcti, "the TPM behind tcti '%s' does not answer", c->tcti);
	return TE_OK;
}

static te_err conn_new(const char *tcti, te_tpm_conn **out)
{
	te_err rc = TE_OK;
	te_tpm_conn *c = calloc(1, sizeof(*c));
	TSS2_RC r;

	TE_ENSURE(c != NULL, TE_ERR_NO_MEMORY, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	c->refs = 1;
	c->tcti = strdup(tcti);
	TE_ENSURE(c->tcti != NULL, TE_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < PARENTS_MAX; i++)
		c->parents[i].tr = ESYS_TR_NONE;
	r = Tss2_TctiLdr_Initialize(tcti, &c->tcti_ctx);
	if (r != TSS2_RC_SUCCESS) {
		c->tcti_ctx = NULL;
		rc = te_tpm_tcti_err(r, tcti);
		goto out;
	}
	r = Esys_Initialize(&c->esys, c->tcti_ctx, NULL);
	if (r != TSS2_RC_SUCCESS) {
		c->esys = NULL;
		rc = te_tpm_err(r, tcti, "cannot start tpm2-tss (ESYS) on tcti '%s'", tcti);
		goto out;
	}
	TE_GUARD(conn_probe(c));
	*out = c;
	c = NULL;
out:
	conn_free(c);
	return rc;
}

te_err te_tpm_conn_open(const char *tcti, te_tpm_conn **out)
{
	te_err rc = TE_OK;
	te_tpm_conn *c;

	/* An empty string would let tpm2-tss pick a TPM by itself. */
	if (tcti == NULL || tcti[0] == '\0')
		return te_err_set(TE_ERR_CONFIG,
				  "no tcti given: name the TPM explicitly (device:/dev/tpmrm0, "
				  "tabrmd, or swtpm:host=127.0.0.1,port=2321)");
	pthread_mutex_lock(&reg_mu);
	for (c = reg_head; c != NULL; c = c->next) {
		if (strcmp(c->tcti, tcti) == 0) {
			c->refs++;
			*out = c;
			goto out;
		}
	}
	/* tpm2-tss logs every TPM error to stderr, including the slot
	 * shortages this file handles; trustedge reports errors itself, once.
	 * A TSS2_LOG the user set is left alone. */
	(void)setenv("TSS2_LOG", "all+none", 0);
	TE_GUARD(conn_new(tcti, &c));
	c->next = reg_head;
	reg_head = c;
	*out = c;
out:
	pthread_mutex_unlock(&reg_mu);
	return rc;
}

void te_tpm_conn_close(te_tpm_conn *c)
{
	te_tpm_conn **pp;

	if (c == NULL)
		return;
	pthread_mutex_lock(&reg_mu);
	if (--c->refs > 0) {
		pthread_mutex_unlock(&reg_mu);
		return;
	}
	for (pp = &reg_head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&reg_mu);
	conn_free(c);
}

/* --- parents ------------------------------------------------------------------ */

static te_err name_of(te_tpm_conn *c, ESYS_TR tr, TPM2B_NAME *out)
{
	TPM2B_NAME *name = NULL;
	TSS2_RC r = Esys_TR_GetName(c->esys, tr, &name);

	if (r != TSS2_RC_SUCCESS)
		return te_tpm_err(r, c->tcti, "cannot read the storage key's name");
	*out = *name;
	Esys_Free(name);
	return TE_OK;
}

static te_err srk_create(te_tpm_conn *c, const TPM2B_AUTH *owner_auth, ESYS_TR *out)
{
	te_err rc = TE_OK;
	TPM2B_SENSITIVE_CREATE sc;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcr;
	TPM2B_AUTH empty;
	TSS2_RC r;

	memset(&sc, 0, sizeof(sc));
	memset(&outside, 0, sizeof(outside));
	memset(&pcr, 0, sizeof(pcr));
	memset(&empty, 0, sizeof(empty));
	te_tpm_srk_template(&tmpl);
	r = Esys_TR_SetAuth(c->esys, ESYS_TR_RH_OWNER, owner_auth ? owner_auth : &empty);
	if (r != TSS2_RC_SUCCESS)
		return te_tpm_err(r, c->tcti, "cannot set the owner authorization");
	do
		r = Esys_CreatePrimary(c->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				       ESYS_TR_NONE, &sc, &tmpl, &outside, &pcr, out, NULL, NULL,
				       NULL, NULL);
	while (te_tpm_conn_retry(c, r, NULL, 0));
	/* ESYS keeps the value it was given; it is not needed any more. */
	(void)Esys_TR_SetAuth(c->esys, ESYS_TR_RH_OWNER, &empty);
	if (r != TSS2_RC_SUCCESS)
		rc = te_tpm_err(r, c->tcti,
				"cannot create the storage root key (ECC P-256 SRK template) in "
				"the owner hierarchy of the TPM at tcti '%s'",
				c->tcti);
	return rc;
}

/* A persistent parent must exist and be a storage key. */
static te_err persistent_open(te_tpm_conn *c, uint32_t handle, ESYS_TR *out)
{
	te_err rc = TE_OK;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR tr = ESYS_TR_NONE;
	TSS2_RC r;
	TPMA_OBJECT want = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

	r = Esys_TR_FromTPMPublic(c->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
	if (r != TSS2_RC_SUCCESS &&
	    (te_tpm_rc_base(r) == TPM2_RC_HANDLE || te_tpm_rc_base(r) == TPM2_RC_VALUE))
		return te_err_set(TE_ERR_NOT_FOUND,
				  "the TPM has no persistent object at parent 0x%08x: persist a "
				  "storage key there (tpm2_createprimary, tpm2_evictcontrol) or drop "
				  "the parent setting to use the standard SRK template",
				  handle);
	if (r != TSS2_RC_SUCCESS)
		return te_tpm_err(r, c->tcti, "cannot open parent 0x%08x", handle);
	r = Esys_ReadPublic(c->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL,
			    NULL);
	if (r != TSS2_RC_SUCCESS) {
		rc = te_tpm_err(r, c->tcti, "cannot read parent 0x%08x", handle);
		goto out;
	}
	TE_ENSURE((pub->publicArea.objectAttributes & want) == want &&
		      !(pub->publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT),
		  TE_ERR_CONFIG,
		  "parent 0x%08x is not a storage key (it must be a restricted decryption "
		  "key, like the SRK)",
		  handle);
	*out = tr;
	tr = ESYS_TR_NONE;
out:
	if (tr != ESYS_TR_NONE)
		(void)Esys_TR_Close(c->esys, &tr);
	Esys_Free(pub);
	return rc;
}

te_err te_tpm_conn_parent(te_tpm_conn *c, uint32_t persistent, const TPM2B_AUTH *owner_auth,
			  ESYS_TR *tr, TPM2B_NAME *name)
{
	te_err rc = TE_OK;
	struct pslot *p = NULL, *free_slot = NULL;
	TSS2_RC r;

	for (size_t i = 0; i < PARENTS_MAX && p == NULL; i++) {
		if (c->parents[i].used && c->parents[i].persistent == persistent)
			p = &c->parents[i];
		else if (!c->parents[i].used && free_slot == NULL)
			free_slot = &c->parents[i];
	}
	if (p != NULL && p->tr == ESYS_TR_NONE && p->saved != NULL) {
		do
			r = Esys_ContextLoad(c->esys, p->saved, &p->tr);
		while (te_tpm_conn_retry(c, r, NULL, 0));
		Esys_Free(p->saved);
		p->saved = NULL;
		if (r != TSS2_RC_SUCCESS) {
			/* A TPM reset invalidates saved contexts: make it again. */
			p->tr = ESYS_TR_NONE;
			TE_GUARD(srk_create(c, owner_auth, &p->tr));
		}
	}
	if (p == NULL) {
		TE_ENSURE(free_slot != NULL, TE_ERR_BUSY, "too many storage parents in use");
		p = free_slot;
		if (persistent != 0)
			TE_GUARD(persistent_open(c, persistent, &p->tr));
		else
			TE_GUARD(srk_create(c, owner_auth, &p->tr));
		p->used = 1;
		p->persistent = persistent;
		rc = name_of(c, p->tr, &p->name);
		if (rc != TE_OK) {
			if (persistent == 0)
				(void)Esys_FlushContext(c->esys, p->tr);
			else
				(void)Esys_TR_Close(c->esys, &p->tr);
			memset(p, 0, sizeof(*p));
			p->tr = ESYS_TR_NONE;
			goto out;
		}
	}
	p->tick = ++c->tick;
	*tr = p->tr;
	if (name != NULL)
		*name = p->name;
out:
	return rc;
}

/* --- keys ---------------------------------------------------------------------- */

te_err te_tpm_conn_load(te_tpm_conn *c, ESYS_TR parent, const uint8_t id[32],
			const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv, const char *what,
			ESYS_TR *tr)
{
	struct kslot *k = NULL;
	ESYS_TR out = ESYS_TR_NONE;
	TSS2_RC r;

	for (size_t i = 0; i < KEYS_LOADED; i++) {
		if (c->keys[i].used && memcmp(c->keys[i].id, id, 32) == 0) {
			c->keys[i].tick = ++c->tick;
			*tr = c->keys[i].tr;
			return TE_OK;
		}
	}
	for (size_t i = 0; i < KEYS_LOADED && k == NULL; i++)
		if (!c->keys[i].used)
			k = &c->keys[i];
	if (k == NULL) {
		/* All in use: the least recently used one makes room. */
		k = &c->keys[0];
		for (size_t i = 1; i < KEYS_LOADED; i++)
			if (c->keys[i].tick < k->tick)
				k = &c->keys[i];
		key_flush(c, k);
	}
	do
		r = Esys_Load(c->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv,
			      pub, &out);
	while (te_tpm_conn_retry(c, r, &parent, 1));
	if (r != TSS2_RC_SUCCESS && te_tpm_rc_is_param(r))
		return te_err_set(TE_ERR_TAMPERED,
				  "%s: the TPM refused its blob (%s, 0x%x): the file was altered, "
				  "or it was made by another TPM or under another storage key",
				  what, Tss2_RC_Decode(r), r);
	if (r != TSS2_RC_SUCCESS)
		return te_tpm_err(r, c->tcti, "%s: cannot load it into the TPM", what);
	k->used = 1;
	memcpy(k->id, id, 32);
	k->tr = out;
	k->tick = ++c->tick;
	*tr = out;
	return TE_OK;
}

void te_tpm_conn_forget(te_tpm_conn *c, const uint8_t id[32])
{
	for (size_t i = 0; i < KEYS_LOADED; i++)
		if (c->keys[i].used && memcmp(c->keys[i].id, id, 32) == 0)
			key_flush(c, &c->keys[i]);
}

/* --- authorization values ---------------------------------------------------- */

static int hex_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

te_err te_tpm_auth_parse(const char *s, TPM2B_AUTH *out)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	if (strncmp(s, "hex:", 4) == 0) {
		s += 4;
		len = strlen(s);
		if (len % 2 != 0 || len / 2 > sizeof(out->buffer))
			return te_err_set(TE_ERR_CONFIG,
					  "authorization value: 'hex:' needs an even number of hex "
					  "digits, at most %zu",
					  2 * sizeof(out->buffer));
		for (size_t i = 0; i < len; i += 2) {
			int hi = hex_nibble(s[i]), lo = hex_nibble(s[i + 1]);
			if (hi < 0 || lo < 0) {
				te_memzero(out, sizeof(*out));
				return te_err_set(TE_ERR_CONFIG,
						  "authorization value: 'hex:' takes hex digits only");
			}
			out->buffer[i / 2] = (BYTE)(hi << 4 | lo);
		}
		out->size = (UINT16)(len / 2);
		return TE_OK;
	}
	if (strncmp(s, "str:", 4) == 0)
		s += 4;
	len = strlen(s);
	if (len > sizeof(out->buffer))
		return te_err_set(TE_ERR_CONFIG, "authorization value is longer than %zu bytes",
				  sizeof(out->buffer));
	memcpy(out->buffer, s, len);
	out->size = (UINT16)len;
	return TE_OK;
}
