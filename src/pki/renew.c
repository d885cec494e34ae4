/*
 * renew.c - renewal of stored certificates before they expire, with
 * retries and optional key rotation (see te_cert.h).
 *
 * The renewer keeps, per managed certificate, only what the store cannot
 * tell it: policy, callbacks, the failure count and when it may try again.
 * Everything about the certificate itself is read from the store at each
 * decision, so a certificate replaced behind the renewer's back (an
 * operator import, another process) is judged by what is stored now.
 *
 * A renewal runs in an order that a kill at any moment cannot break:
 *   1. (rotation) create the new key in the HSM
 *   2. ops.issue for that key
 *   3. check the issued leaf is for that key, then one atomic store write
 *      switches certificate and key reference together
 *   4. (rotation) delete the old key, which nothing refers to any more
 * Killed before 3, the store still names the old certificate and old key,
 * both intact; the new key is a leftover that the next rotation finds
 * under the same name and replaces.  Killed between 3 and 4, the old key
 * leaks but the entry is complete.
 *
 * Rotated keys are named "<base>.r<N>": <base> is the current key name
 * without such a suffix (shortened so the name fits TE_HSM_NAME_MAX) and
 * N counts up from the current suffix (1 when there is none).  A key of
 * that name that no store entry refers to is a leftover of an interrupted
 * renewal and is deleted before the name is reused; one that an entry
 * refers to is skipped.
 *
 * Thread safety: a renewer is driven by one thread (manage and run are not
 * synchronised).  The store and HSM it uses may be shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/te_log.h"
#include "trustedge/te_cert.h"

#define DEFAULT_THRESHOLD_PCT 80
#define DEFAULT_RETRY_PCT 4
#define DEFAULT_MAX_BACKOFF 86400
/* First retry when an entry cannot be read, so its lifetime is unknown. */
#define UNREADABLE_RETRY 60
/* Generation suffixes tried before a rotation gives up (each one taken by
 * another store entry). */
#define ROTATE_TRIES 32
#define GEN_MAX 999999999ul
#define NEVER INT64_MAX
#define DETAIL_MAX 512

struct managed {
	char id[TE_HSM_NAME_MAX + 1];
	te_hsm_key_type key_type;
	te_renew_policy policy;
	te_renew_ops ops;
	unsigned failures;
	/* No attempt before wait_until (0: no wait), set at wait_from: after a
	 * failure, or after a renewal whose result was already due.  The wait
	 * is about the certificate with validity [wait_nb, wait_na] (or about
	 * an unreadable entry); once the store holds another one it is void. */
	int64_t wait_until;
	int64_t wait_from;
	int wait_readable;
	int64_t wait_nb, wait_na;
};

struct te_renewer {
	te_cert_store *st;
	te_hsm *hsm;
	struct managed *items;
	size_t n, cap;
};

/* What the store says about one managed certificate at decision time. */
struct view {
	int readable;
	te_err err; /* why it is not readable */
	int64_t nb, na;
	int64_t threshold; /* when renewal is due */
	int64_t base_delay; /* first retry delay, s */
	char key[TE_HSM_NAME_MAX + 1];
};

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* floor(len * pct / 100) without overflow, for len >= 0 and pct <= 100. */
static int64_t pct_of(int64_t len, unsigned pct)
{
	return (len / 100) * (int64_t)pct + (len % 100) * (int64_t)pct / 100;
}

void te_renew_policy_default(te_renew_policy *p)
{
	p->threshold_pct = DEFAULT_THRESHOLD_PCT;
	p->retry_pct = DEFAULT_RETRY_PCT;
	p->max_backoff = DEFAULT_MAX_BACKOFF;
	p->rotate_key = 0;
}

te_err te_renewer_new(te_cert_store *st, te_hsm *hsm, te_renewer **out)
{
	te_renewer *r;

	if (st == NULL || hsm == NULL || out == NULL)
		return te_err_set(TE_ERR_INVALID_ARG, "renewer: store and HSM are required");
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return te_err_set(TE_ERR_NO_MEMORY, "out of memory");
	r->st = st;
	r->hsm = hsm;
	*out = r;
	return TE_OK;
}

void te_renewer_free(te_renewer *r)
{
	if (r == NULL)
		return;
	free(r->items);
	free(r);
}

/* Leaf of a PEM text and its validity. */
static te_err leaf_validity(const char *pem, size_t len, X509 **leaf, int64_t *nb, int64_t *na)
{
	te_err rc = TE_OK;
	te_x509_stack *certs = NULL;
	X509 *x;

	TE_GUARD(te_cert_pem_parse(pem, len, &certs));
	x = sk_X509_value((STACK_OF(X509) *)certs, 0);
	TE_GUARD(te_cert_validity(x, nb, na));
	if (leaf != NULL) {
		TE_ENSURE(X509_up_ref(x) == 1, TE_ERR_CRYPTO, "X509_up_ref");
		*leaf = x;
	}
out:
	te_cert_stack_free(certs);
	return rc;
}

static void view_times(struct view *v, const te_renew_policy *p)
{
	int64_t life = v->na - v->nb;

	/* A certificate that ends before it starts is due at once. */
	if (life <= 0) {
		v->threshold = v->nb;
		v->base_delay = UNREADABLE_RETRY;
		return;
	}
	v->threshold = sat_add(v->nb, pct_of(life, p->threshold_pct));
	v->base_delay = max64(1, pct_of(life, p->retry_pct));
}

/* Reads the entry of m; an entry that cannot be read or parsed gives a
 * view with readable == 0 and the reason in the error detail. */
static void view_load(te_renewer *r, const struct managed *m, struct view *v)
{
	char *pem = NULL;
	size_t len = 0;

	memset(v, 0, sizeof(*v));
	v->base_delay = UNREADABLE_RETRY;
	v->err = te_cert_store_get(r->st, m->id, &pem, &len, v->key);
	if (v->err != TE_OK)
		return;
	v->err = leaf_validity(pem, len, NULL, &v->nb, &v->na);
	free(pem);
	if (v->err != TE_OK) {
		(void)te_err_set(v->err, "certificate '%s': %s", m->id, te_err_detail());
		return;
	}
	v->readable = 1;
	view_times(v, &m->policy);
}

static void state_reset(struct managed *m)
{
	m->failures = 0;
	m->wait_until = 0;
	m->wait_from = 0;
}

/* A wait recorded for another certificate than the stored one is void. */
static void state_sync(struct managed *m, const struct view *v)
{
	if (m->wait_until == 0)
		return;
	if (m->wait_readable != v->readable ||
	    (v->readable && (m->wait_nb != v->nb || m->wait_na != v->na)))
		state_reset(m);
}

static void wait_set(struct managed *m, const struct view *v, int64_t now, int64_t delay)
{
	m->wait_until = sat_add(now, max64(1, delay));
	m->wait_from = now;
	m->wait_readable = v->readable;
	m->wait_nb = v->nb;
	m->wait_na = v->na;
}

/* base * 2^(failures-1), capped by max_backoff, at least 1 s. */
static int64_t backoff(int64_t base, unsigned failures, int64_t max_backoff)
{
	int64_t d = max64(1, base);

	for (unsigned i = 1; i < failures && d < max_backoff; i++)
		d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
	return max64(1, min64(d, max_backoff));
}

/* The wait of m holds at now.  An expiry that happened after the wait was
 * set (a clock jump) breaks through it once. */
static int waiting(const struct managed *m, const struct view *v, int64_t now)
{
	if (m->wait_until == 0 || now >= m->wait_until)
		return 0;
	if (v->readable && now >= v->na && m->wait_from < v->na)
		return 0;
	return 1;
}

static int due(const struct managed *m, const struct view *v, int64_t now)
{
	if (waiting(m, v, now))
		return 0;
	if (!v->readable)
		return 1;
	return now >= v->threshold || now >= v->na;
}

/* Earliest time after now at which due() may become true. */
static int64_t next_decision(const struct managed *m, const struct view *v, int64_t now)
{
	int64_t t;

	if (!v->readable)
		return m->wait_until != 0 ? m->wait_until : now;
	if (m->wait_until == 0 || m->wait_until <= now)
		return min64(v->threshold, v->na);
	t = max64(min64(v->threshold, v->na), m->wait_until);
	if (m->wait_from < v->na && v->na > now)
		t = min64(t, v->na);
	return t;
}

/* 1 when a store entry other than skip_id refers to key `name`, or might:
 * an entry that cannot be read counts as referring to it, so a key is
 * never deleted on a guess. */
static int key_in_use(te_renewer *r, const char *name, const char *skip_id)
{
	char **ids = NULL;
	size_t n = 0;
	int used = 0;

	if (te_cert_store_list(r->st, &ids, &n) != TE_OK)
		return 1;
	for (size_t i = 0; i < n; i++) {
		char key[TE_HSM_NAME_MAX + 1];
		char *pem = NULL;
		size_t len;

		if (used || (skip_id != NULL && strcmp(ids[i], skip_id) == 0))
			continue;
		if (te_cert_store_get(r->st, ids[i], &pem, &len, key) != TE_OK ||
		    strcmp(key, name) == 0)
			used = 1;
		free(pem);
	}
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return used;
}

/* Length of name without a ".r<N>" generation suffix, and N (0: none). */
static size_t gen_split(const char *name, unsigned long *gen)
{
	const char *dot = strrchr(name, '.');
	const char *d;
	unsigned long g = 0;

	*gen = 0;
	if (dot == NULL || dot == name || dot[1] != 'r' || dot[2] < '1' || dot[2] > '9')
		return strlen(name);
	for (d = dot + 2; *d != '\0'; d++) {
		if (*d < '0' || *d > '9' || d - (dot + 2) >= 9)
			return strlen(name);
		g = g * 10 + (unsigned long)(*d - '0');
	}
	*gen = g;
	return (size_t)(dot - name);
}

/* The name of the next generation of key `cur` for certificate id, free
 * for use: a leftover of that name is deleted first. */
static te_err rotation_name(te_renewer *r, const char *id, const char *cur,
			    char out[TE_HSM_NAME_MAX + 1])
{
	te_err rc = TE_OK;
	unsigned long gen;
	size_t base_len = gen_split(cur, &gen);

	for (int tries = 0; tries < ROTATE_TRIES; tries++) {
		char suffix[16];
		int slen;
		size_t keep;

		gen = gen >= GEN_MAX ? 1 : gen + 1;
		slen = snprintf(suffix, sizeof(suffix), ".r%lu", gen);
		keep = min64((int64_t)base_len, TE_HSM_NAME_MAX - slen);
		(void)snprintf(out, TE_HSM_NAME_MAX + 1, "%.*s%s", (int)keep, cur, suffix);
		TE_GUARD(te_hsm_name_check(out));
		if (strcmp(out, cur) == 0)
			continue;
		if (!te_hsm_key_exists(r->hsm, out))
			goto out;
		if (key_in_use(r, out, NULL))
			continue;
		/* A key made by a renewal that never reached the store. */
		rc = te_hsm_key_delete(r->hsm, out);
		if (rc == TE_OK || rc == TE_ERR_NOT_FOUND) {
			rc = TE_OK;
			goto out;
		}
		rc = te_err_set(rc, "cannot delete leftover key '%s': %s", out, te_err_detail());
		goto out;
	}
	rc = te_err_set(TE_ERR_EXISTS,
			"no free name for the next key of certificate '%s' (after '%s', %d "
			"generations are in use)",
			id, cur, ROTATE_TRIES);
out:
	return rc;
}

/* The issued text must hold a certificate for key_name that is not
 * already expired; its validity goes to *nb, *na. */
static te_err issued_check(te_renewer *r, const char *key_name, const te_buf *pem, int64_t now,
			   int64_t *nb, int64_t *na)
{
	te_err rc = TE_OK;
	X509 *leaf = NULL;
	EVP_PKEY *pub = NULL;
	te_buf der;
	const unsigned char *p;

	te_buf_init(&der, 0);
	TE_ENSURE(pem->len > 0, TE_ERR_MALFORMED, "the issuer returned no certificate");
	rc = leaf_validity((const char *)pem->data, pem->len, &leaf, nb, na);
	if (rc != TE_OK) {
		rc = te_err_set(rc, "the issued certificate does not parse: %s", te_err_detail());
		goto out;
	}
	TE_ENSURE(*na > now, TE_ERR_VERIFY_FAILED,
		  "the issued certificate expired already (not after %lld, now %lld)",
		  (long long)*na, (long long)now);
	/* Compared as decoded public keys: any backend can give its public
	 * part as DER, and the certificate's encoding may differ in form. */
	TE_GUARD(te_hsm_key_public(r->hsm, key_name, TE_HSM_PUB_DER, &der));
	p = der.data;
	pub = d2i_PUBKEY(NULL, &p, (long)der.len);
	TE_GUARD_PTR(pub, TE_ERR_CRYPTO, "cannot decode the public key of '%s'", key_name);
	TE_ENSURE(EVP_PKEY_eq(pub, X509_get0_pubkey(leaf)) == 1, TE_ERR_VERIFY_FAILED,
		  "the issued certificate is not for key '%s'", key_name);
out:
	EVP_PKEY_free(pub);
	X509_free(leaf);
	te_buf_free(&der);
	return rc;
}

/* Deletes a key that a renewal replaced, unless another entry uses it. */
static void retire_key(te_renewer *r, const char *id, const char *old)
{
	if (key_in_use(r, old, id)) {
		te_log_info("certificate '%s' renewed with a new key; old key '%s' kept, another "
			    "certificate uses it",
			    id, old);
		return;
	}
	if (te_hsm_key_delete(r->hsm, old) != TE_OK)
		te_log_warn("certificate '%s' renewed with a new key, but old key '%s' could not "
			    "be deleted: %s",
			    id, old, te_err_detail());
}

/* One renewal of m, whose entry names key v->key.  On success the store
 * holds the new certificate, *nb and *na its validity, *used_key the key. */
static te_err renew_one(te_renewer *r, const struct managed *m, const struct view *v,
			int64_t now, char used_key[TE_HSM_NAME_MAX + 1], int64_t *nb,
			int64_t *na)
{
	te_err rc = TE_OK;
	char fresh[TE_HSM_NAME_MAX + 1];
	const char *key = v->key;
	int made = 0;
	te_buf pem;

	te_buf_init(&pem, 0);
	TE_ENSURE(v->key[0] != '\0', TE_ERR_CONFIG,
		  "certificate '%s' names no key in the store, so it cannot be renewed", m->id);
	if (m->policy.rotate_key) {
		te_hsm_key_attrs attrs = {m->key_type, TE_HSM_USAGE_SIGN, 0};

		TE_GUARD(rotation_name(r, m->id, v->key, fresh));
		rc = te_hsm_key_create(r->hsm, fresh, &attrs);
		if (rc != TE_OK) {
			rc = te_err_set(rc, "cannot create new key '%s': %s", fresh, te_err_detail());
			goto out;
		}
		made = 1;
		key = fresh;
	}
	te_err_clear();
	rc = m->ops.issue(m->ops.arg, m->id, key, now, &pem);
	if (rc != TE_OK) {
		if (te_err_detail()[0] == '\0')
			(void)te_err_set(rc, "the issuer failed");
		goto out;
	}
	TE_GUARD(issued_check(r, key, &pem, now, nb, na));
	TE_GUARD(te_cert_store_put(r->st, m->id, (const char *)pem.data, pem.len, key));
	made = 0; /* the store refers to it now */
	if (m->policy.rotate_key)
		retire_key(r, m->id, v->key);
	memcpy(used_key, key, strlen(key) + 1);
out:
	if (made) {
		/* Keep the reason of the failure, not of the cleanup. */
		char why[DETAIL_MAX];

		(void)snprintf(why, sizeof(why), "%s", te_err_detail());
		if (te_hsm_key_delete(r->hsm, fresh) != TE_OK)
			te_log_warn("certificate '%s': new key '%s' of a failed renewal could not "
				    "be deleted: %s",
				    m->id, fresh, te_err_detail());
		(void)te_err_set(rc, "%s", why);
	}
	te_buf_free(&pem);
	return rc;
}

static void record_failure(struct managed *m, const struct view *v, int64_t now, te_err err)
{
	int64_t delay;

	m->failures++;
	delay = backoff(v->base_delay, m->failures, m->policy.max_backoff);
	wait_set(m, v, now, delay);
	te_log_warn("renewal of certificate '%s' failed (attempt %u): %s: %s; next try in %lld s",
		    m->id, m->failures, te_err_str(err), te_err_detail(), (long long)delay);
}

/* Decides about m at now and renews it when due.  Returns its next
 * decision time; *renewed is set to 1 when it was renewed. */
static int64_t manage_one(te_renewer *r, struct managed *m, int64_t now, int *renewed)
{
	struct view v;
	char key[TE_HSM_NAME_MAX + 1];
	int64_t nb = 0, na = 0, longest;
	te_err rc;

	*renewed = 0;
	view_load(r, m, &v);
	state_sync(m, &v);
	/* A clock that went back must not leave a wait longer than the
	 * backoff it stands for. */
	longest = backoff(v.base_delay, m->failures > 0 ? m->failures : 1, m->policy.max_backoff);
	if (m->wait_until > now && m->wait_until - now > longest)
		m->wait_until = sat_add(now, longest);
	if (!due(m, &v, now))
		return next_decision(m, &v, now);
	if (!v.readable) {
		record_failure(m, &v, now, v.err);
		return next_decision(m, &v, now);
	}
	rc = renew_one(r, m, &v, now, key, &nb, &na);
	if (rc != TE_OK) {
		record_failure(m, &v, now, rc);
		return next_decision(m, &v, now);
	}
	*renewed = 1;
	state_reset(m);
	v.nb = nb;
	v.na = na;
	view_times(&v, &m->policy);
	if (due(m, &v, now)) {
		/* The issuer gave a certificate that is due already (it caps
		 * lifetimes, or its clock differs); renewing it again at once
		 * would loop, so wait as after a first failure. */
		wait_set(m, &v, now, v.base_delay);
		te_log_warn("certificate '%s' was renewed, but the new one is due for renewal "
			    "already (valid %lld..%lld); next try in %lld s",
			    m->id, (long long)nb, (long long)na, (long long)v.base_delay);
	}
	if (m->ops.notify != NULL)
		m->ops.notify(m->ops.arg, m->id, key);
	return next_decision(m, &v, now);
}

static te_err policy_check(const char *id, const te_renew_policy *p)
{
	if (p->threshold_pct < 1 || p->threshold_pct > 100)
		return te_err_set(TE_ERR_INVALID_ARG,
				  "certificate '%s': renewal threshold %u%% is outside 1..100%%", id,
				  p->threshold_pct);
	if (p->retry_pct < 1 || p->retry_pct > 100)
		return te_err_set(TE_ERR_INVALID_ARG,
				  "certificate '%s': retry interval %u%% is outside 1..100%%", id,
				  p->retry_pct);
	if (p->max_backoff < 1)
		return te_err_set(TE_ERR_INVALID_ARG,
				  "certificate '%s': the longest retry wait must be at least 1 s", id);
	return TE_OK;
}

/* The entry must be there, parse, and name a key the HSM has. */
static te_err entry_check(te_renewer *r, const char *id)
{
	te_err rc = TE_OK;
	char key[TE_HSM_NAME_MAX + 1];
	char *pem = NULL;
	size_t len = 0;
	int64_t nb, na;
	te_hsm_key_info info;

	TE_GUARD(te_cert_store_get(r->st, id, &pem, &len, key));
	rc = leaf_validity(pem, len, NULL, &nb, &na);
	if (rc != TE_OK) {
		rc = te_err_set(rc, "certificate '%s': %s", id, te_err_detail());
		goto out;
	}
	TE_ENSURE(key[0] != '\0', TE_ERR_CONFIG,
		  "certificate '%s' names no key in the store, so trustedge cannot renew it", id);
	rc = te_hsm_key_info_get(r->hsm, key, &info);
	if (rc != TE_OK) {
		rc = te_err_set(rc, "certificate '%s': its key '%s': %s", id, key, te_err_detail());
		goto out;
	}
out:
	free(pem);
	return rc;
}

te_err te_renewer_manage(te_renewer *r, const char *id, te_hsm_key_type key_type,
			 const te_renew_policy *policy, const te_renew_ops *ops)
{
	te_err rc = TE_OK;
	te_renew_policy p;
	struct managed *m = NULL;

	TE_ENSURE(r != NULL && ops != NULL && ops->issue != NULL, TE_ERR_INVALID_ARG,
		  "renewer: an issue callback is required");
	if (te_hsm_name_check(id) != TE_OK) {
		rc = te_err_set(TE_ERR_BAD_NAME, "certificate id: %s", te_err_detail());
		goto out;
	}
	if (policy != NULL)
		p = *policy;
	else
		te_renew_policy_default(&p);
	TE_GUARD(policy_check(id, &p));
	TE_ENSURE(!p.rotate_key || (key_type > TE_HSM_KEY_NONE && key_type < TE_HSM_KEY__COUNT &&
				    !te_hsm_key_type_is_secret(key_type)),
		  TE_ERR_INVALID_ARG,
		  "certificate '%s': key rotation needs an asymmetric key type, not '%s'", id,
		  te_hsm_key_type_name(key_type));
	TE_GUARD(entry_check(r, id));

	for (size_t i = 0; i < r->n && m == NULL; i++) {
		if (strcmp(r->items[i].id, id) == 0)
			m = &r->items[i];
	}
	if (m == NULL) {
		if (r->n == r->cap) {
			size_t ncap = r->cap ? r->cap * 2 : 8;
			struct managed *ni = realloc(r->items, ncap * sizeof(*ni));
			TE_ENSURE(ni != NULL, TE_ERR_NO_MEMORY, "out of memory");
			r->items = ni;
			r->cap = ncap;
		}
		m = &r->items[r->n++];
		memset(m, 0, sizeof(*m));
		memcpy(m->id, id, strlen(id) + 1);
	}
	/* Managing an id again (a configuration reload) replaces its policy
	 * and starts its retry schedule afresh. */
	m->key_type = key_type;
	m->policy = p;
	m->ops = *ops;
	state_reset(m);
out:
	return rc;
}

te_err te_renewer_renew_now(te_renewer *r, const char *id, int64_t now)
{
	struct managed *m = NULL;
	struct view v;
	char key[TE_HSM_NAME_MAX + 1];
	int64_t nb = 0, na = 0;
	te_err rc;

	for (size_t i = 0; r != NULL && id != NULL && i < r->n && m == NULL; i++) {
		if (strcmp(r->items[i].id, id) == 0)
			m = &r->items[i];
	}
	if (m == NULL)
		return te_err_set(TE_ERR_NOT_FOUND, "certificate '%s' is not managed by this renewer",
				  id ? id : "");
	view_load(r, m, &v);
	state_sync(m, &v);
	if (!v.readable) {
		record_failure(m, &v, now, v.err);
		return te_err_set(v.err, "certificate '%s' cannot be read from the store", id);
	}
	rc = renew_one(r, m, &v, now, key, &nb, &na);
	if (rc != TE_OK) {
		char detail[DETAIL_MAX];
		snprintf(detail, sizeof(detail), "%s", te_err_detail());
		record_failure(m, &v, now, rc);
		return te_err_set(rc, "%s", detail);
	}
	state_reset(m);
	if (m->ops.notify != NULL)
		m->ops.notify(m->ops.arg, m->id, key);
	return TE_OK;
}

te_err te_renewer_run(te_renewer *r, int64_t now, size_t *renewed, int64_t *next)
{
	size_t count = 0;
	int64_t earliest = NEVER;

	if (r == NULL)
		return te_err_set(TE_ERR_INVALID_ARG, "renewer: NULL");
	for (size_t i = 0; i < r->n; i++) {
		int done = 0;

		earliest = min64(earliest, manage_one(r, &r->items[i], now, &done));
		count += (size_t)done;
	}
	if (renewed != NULL)
		*renewed = count;
	if (next != NULL)
		*next = earliest;
	return TE_OK;
}
