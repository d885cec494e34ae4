/*
 * pkcs11_token.c - the token layer of the pkcs11 backend: loading a
 * PKCS#11 module once per process, choosing the token the settings name,
 * the PIN (from the settings, a file or the environment; kept in secure
 * memory, never logged), logging in, and a pool of sessions that share
 * that login.
 *
 * A module is initialised once per process however many contexts use it
 * (PKCS#11 allows one C_Initialize per process), with CKF_OS_LOCKING_OK so
 * it may be called from any thread; it is finalised when the last context
 * using it closes, unless someone else in the process had initialised it
 * first.  The module stays mapped: unloading a library that registered
 * handlers (OpenSSL's atexit, for SoftHSM) is not safe.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsm/backends/pkcs11_err.h"
#include "hsm/backends/pkcs11_int.h"
#include "trustedge/te_mem.h"

#define PIN_MAX   256
#define SLOTS_MAX 256

const CK_MECHANISM_TYPE te_p11_mech_list[TE_P11_M__COUNT] = {
    [TE_P11_M_RSA_KEYGEN] = CKM_RSA_PKCS_KEY_PAIR_GEN,
    [TE_P11_M_RSA_PKCS] = CKM_RSA_PKCS,
    [TE_P11_M_RSA_X509] = CKM_RSA_X_509,
    [TE_P11_M_RSA_OAEP] = CKM_RSA_PKCS_OAEP,
    [TE_P11_M_RSA_PSS] = CKM_RSA_PKCS_PSS,
    [TE_P11_M_SHA256_RSA_PKCS] = CKM_SHA256_RSA_PKCS,
    [TE_P11_M_SHA256_RSA_PSS] = CKM_SHA256_RSA_PKCS_PSS,
    [TE_P11_M_HMAC_SHA256] = CKM_SHA256_HMAC,
    [TE_P11_M_GENERIC_KEYGEN] = CKM_GENERIC_SECRET_KEY_GEN,
    [TE_P11_M_EC_KEYGEN] = CKM_EC_KEY_PAIR_GEN,
    [TE_P11_M_ECDSA] = CKM_ECDSA,
    [TE_P11_M_ECDSA_SHA256] = CKM_ECDSA_SHA256,
    [TE_P11_M_ECDSA_SHA384] = CKM_ECDSA_SHA384,
    [TE_P11_M_ED_KEYGEN] = CKM_EC_EDWARDS_KEY_PAIR_GEN,
    [TE_P11_M_EDDSA] = CKM_EDDSA,
    [TE_P11_M_AES_KEYGEN] = CKM_AES_KEY_GEN,
    [TE_P11_M_AES_GCM] = CKM_AES_GCM,
};

/* --- modules, once per process ---------------------------------------------- */

struct te_p11_module {
	struct te_p11_module *next;
	char *path;
	void *dl;
	CK_FUNCTION_LIST *f;
	unsigned refs;
	int ours;            /* we initialised it, so we finalise it */
	pthread_rwlock_t rw; /* see te_p11_lock */
};

static pthread_mutex_t modules_mu = PTHREAD_MUTEX_INITIALIZER;
static struct te_p11_module *modules;
static unsigned long generation;

unsigned long te_p11_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

void te_p11_generation_bump(void)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
}

static te_err module_initialize(struct te_p11_module *m)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = m->f->C_Initialize(&args);
	if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		/* Someone else in this process uses the module; they finalise. */
		m->ours = 0;
		return TE_OK;
	}
	if (rv != CKR_OK)
		return te_p11_fail(rv, m->path, TE_P11_NO_MECH, NULL,
		                   "PKCS#11 module '%s': C_Initialize failed", m->path);
	m->ours = 1;
	return TE_OK;
}

static te_err module_load(const char *path, struct te_p11_module **out)
{
	te_err rc = TE_OK;
	struct te_p11_module *m = calloc(1, sizeof(*m));
	CK_C_GetFunctionList get = NULL;
	CK_RV rv;
	void *sym;

	TE_ENSURE(m != NULL, TE_ERR_NO_MEMORY, "out of memory");
	{
		pthread_rwlockattr_t ra;

		/* Writers first: a steady stream of signers must not starve
		 * a key being created. */
		pthread_rwlockattr_init(&ra);
		pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&m->rw, &ra);
		pthread_rwlockattr_destroy(&ra);
	}
	m->path = strdup(path);
	TE_ENSURE(m->path != NULL, TE_ERR_NO_MEMORY, "out of memory");
	dlerror();
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (m->dl == NULL) {
		const char *why = dlerror();
		rc = te_err_set(TE_ERR_CONFIG,
		                "cannot load PKCS#11 module '%s': %s (check the 'module' setting: "
		                "it must be the path of the token's PKCS#11 library, e.g. "
		                "/usr/lib/softhsm/libsofthsm2.so for SoftHSM2 on Debian)",
		                path, why != NULL ? why : "unknown dlopen error");
		goto out;
	}
	sym = dlsym(m->dl, "C_GetFunctionList");
	TE_ENSURE(sym != NULL, TE_ERR_CONFIG,
	          "'%s' is not a PKCS#11 module: it has no C_GetFunctionList", path);
	/* POSIX guarantees data and function pointers convert. */
	memcpy(&get, &sym, sizeof(get));
	rv = get(&m->f);
	TE_ENSURE(rv == CKR_OK && m->f != NULL, TE_ERR_CONFIG,
	          "PKCS#11 module '%s': C_GetFunctionList returned 0x%lx", path, rv);
	TE_ENSURE(m->f->version.major == 2 || m->f->version.major == 3, TE_ERR_UNSUPPORTED,
	          "PKCS#11 module '%s' implements Cryptoki %u.%u; trustedge needs 2.x or 3.x", path,
	          m->f->version.major, m->f->version.minor);
	*out = m;
	m = NULL;
out:
	if (m != NULL) {
		/* Never initialised: safe to unload. */
		if (m->dl != NULL)
			dlclose(m->dl);
		pthread_rwlock_destroy(&m->rw);
		free(m->path);
		free(m);
	}
	return rc;
}

static te_err module_get(const char *path, struct te_p11_module **out)
{
	te_err rc = TE_OK;
	struct te_p11_module *m;

	pthread_mutex_lock(&modules_mu);
	for (m = modules; m != NULL; m = m->next)
		if (strcmp(m->path, path) == 0)
			break;
	if (m == NULL) {
		TE_GUARD(module_load(path, &m));
		m->next = modules;
		modules = m;
	}
	if (m->refs == 0)
		TE_GUARD(module_initialize(m));
	m->refs++;
	*out = m;
out:
	pthread_mutex_unlock(&modules_mu);
	return rc;
}

static void module_put(struct te_p11_module *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&modules_mu);
	if (--m->refs == 0 && m->ours)
		(void)m->f->C_Finalize(NULL);
	pthread_mutex_unlock(&modules_mu);
}

void te_p11_lock(te_p11 *p, int exclusive)
{
	if (exclusive)
		pthread_rwlock_wrlock(&p->mod->rw);
	else
		pthread_rwlock_rdlock(&p->mod->rw);
}

void te_p11_unlock(te_p11 *p)
{
	pthread_rwlock_unlock(&p->mod->rw);
}

/* --- settings and the PIN ------------------------------------------------------- */

typedef struct settings {
	const char *module, *token, *serial, *slot;
	const char *pin, *pin_file, *pin_env;
} settings;

static te_err settings_read(const te_hsm_setting *s, size_t n, settings *out)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
	    {"module", offsetof(settings, module)},   {"token", offsetof(settings, token)},
	    {"serial", offsetof(settings, serial)},   {"slot", offsetof(settings, slot)},
	    {"pin", offsetof(settings, pin)},         {"pin_file", offsetof(settings, pin_file)},
	    {"pin_env", offsetof(settings, pin_env)},
	};
	int pins;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char **slot = (const char **)((char *)out + keys[k].off);

			if (strcmp(s[i].key, keys[k].key) != 0)
				continue;
			if (*slot != NULL)
				return te_err_set(TE_ERR_CONFIG, "pkcs11 setting '%s' given twice",
				                  keys[k].key);
			if (s[i].value[0] == '\0')
				return te_err_set(TE_ERR_CONFIG, "pkcs11 setting '%s' is empty",
				                  keys[k].key);
			*slot = s[i].value;
		}
	}
	if (out->module == NULL)
		return te_err_set(TE_ERR_CONFIG,
		                  "the pkcs11 backend needs the 'module' setting (the path of the "
		                  "token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)");
	pins = (out->pin != NULL) + (out->pin_file != NULL) + (out->pin_env != NULL);
	if (pins > 1)
		return te_err_set(TE_ERR_CONFIG,
		                  "give only one of the pkcs11 settings pin, pin_file and pin_env");
	return TE_OK;
}

static te_err pin_store(te_p11 *p, const uint8_t *v, size_t len, const char *from)
{
	if (len == 0)
		return te_err_set(TE_ERR_CONFIG, "the PIN from %s is empty", from);
	if (len > PIN_MAX)
		return te_err_set(TE_ERR_CONFIG, "the PIN from %s is longer than %d bytes", from,
		                  PIN_MAX);
	p->pin = te_secure_alloc(len);
	if (p->pin == NULL)
		return te_err_set(TE_ERR_NO_MEMORY, "out of secure memory");
	memcpy(p->pin, v, len);
	p->pin_len = len;
	return TE_OK;
}

/* A PIN file: a regular file only its owner may read; one trailing
 * newline is not part of the PIN. */
static te_err pin_from_file(te_p11 *p, const char *path)
{
	te_err rc = TE_OK;
	uint8_t buf[PIN_MAX + 3];
	size_t len = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return te_err_set(TE_ERR_CONFIG, "cannot open pin_file '%s': %s", path,
		                  strerror(errno));
	TE_ENSURE(fstat(fd, &st) == 0, TE_ERR_IO, "cannot stat pin_file '%s': %s", path,
	          strerror(errno));
	TE_ENSURE(S_ISREG(st.st_mode), TE_ERR_CONFIG, "pin_file '%s' is not a regular file", path);
	TE_ENSURE((st.st_mode & 0077) == 0, TE_ERR_PERMISSION,
	          "pin_file '%s' has mode %04o; a PIN file must be readable by its owner only "
	          "(0600 or 0400: chmod 600 '%s')",
	          path, (unsigned)(st.st_mode & 07777), path);
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		TE_ENSURE(r >= 0, TE_ERR_IO, "cannot read pin_file '%s': %s", path,
		          strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
		TE_ENSURE(len < sizeof(buf), TE_ERR_CONFIG,
		          "pin_file '%s' is longer than a PIN can be (%d bytes)", path, PIN_MAX);
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	TE_ENSURE(memchr(buf, '\n', len) == NULL, TE_ERR_CONFIG,
	          "pin_file '%s' has more than one line; it must hold the PIN only", path);
	TE_GUARD(pin_store(p, buf, len, "pin_file"));
out:
	te_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

static te_err pin_load(te_p11 *p, const settings *s)
{
	const char *v;

	if (s->pin != NULL)
		return pin_store(p, (const uint8_t *)s->pin, strlen(s->pin), "the pin setting");
	if (s->pin_file != NULL)
		return pin_from_file(p, s->pin_file);
	if (s->pin_env == NULL)
		return TE_OK;
	v = getenv(s->pin_env);
	if (v == NULL)
		return te_err_set(TE_ERR_CONFIG,
		                  "environment variable '%s' (named by pin_env) is not set",
		                  s->pin_env);
	return pin_store(p, (const uint8_t *)v, strlen(v), "pin_env");
}

/* --- choosing the token ------------------------------------------------------------ */

/* Copies a blank-padded PKCS#11 field into a C string without the padding. */
static void field_copy(char *dst, const CK_UTF8CHAR *src, size_t n)
{
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static te_err slot_parse(const char *s, CK_SLOT_ID *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		return te_err_set(
		    TE_ERR_CONFIG,
		    "pkcs11 setting slot '%s' is not a slot ID (a number such as 0 or "
		    "0x1f)",
		    s);
	*out = v;
	return TE_OK;
}

/* Appends "'label' (serial S, slot N)" to a list of tokens for messages. */
static void token_list_add(char *list, size_t len, const CK_TOKEN_INFO *ti, CK_SLOT_ID slot)
{
	char label[33], serial[17];
	size_t off = strlen(list);

	field_copy(label, ti->label, sizeof(ti->label));
	field_copy(serial, ti->serialNumber, sizeof(ti->serialNumber));
	if (off < len)
		snprintf(list + off, len - off, "%s'%s' (serial %s, slot %lu)", off ? ", " : "",
		         label, serial, slot);
}

static int token_matches(const settings *s, const CK_TOKEN_INFO *ti, CK_SLOT_ID slot,
                         CK_SLOT_ID want_slot)
{
	char label[33], serial[17];

	field_copy(label, ti->label, sizeof(ti->label));
	field_copy(serial, ti->serialNumber, sizeof(ti->serialNumber));
	if (s->token != NULL && strcmp(s->token, label) != 0)
		return 0;
	if (s->serial != NULL && strcmp(s->serial, serial) != 0)
		return 0;
	if (s->slot != NULL && slot != want_slot)
		return 0;
	return 1;
}

/* "label 'x', serial 'y'" for messages: what the settings asked for. */
static const char *wanted(const settings *s, char *buf, size_t len)
{
	char a[64] = "", b[64] = "", c[64] = "";

	if (s->token != NULL)
		snprintf(a, sizeof(a), "label '%s'", s->token);
	if (s->serial != NULL)
		snprintf(b, sizeof(b), "%sserial '%s'", a[0] ? ", " : "", s->serial);
	if (s->slot != NULL)
		snprintf(c, sizeof(c), "%sslot %s", (a[0] || b[0]) ? ", " : "", s->slot);
	snprintf(buf, len, "%s%s%s", a, b, c);
	return buf;
}

static te_err token_select(te_p11 *p, const settings *s)
{
	te_err rc = TE_OK;
	CK_SLOT_ID slots[SLOTS_MAX], want_slot = 0;
	CK_ULONG n = SLOTS_MAX;
	CK_TOKEN_INFO ti, chosen_ti;
	CK_RV rv;
	char present[1024] = "", want[256];
	int found = 0;

	memset(&chosen_ti, 0, sizeof(chosen_ti));
	if (s->slot != NULL)
		TE_GUARD(slot_parse(s->slot, &want_slot));
	rv = p->f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK)
		return te_p11_fail(rv, "?", TE_P11_NO_MECH, NULL,
		                   "PKCS#11 module '%s': cannot list slots", p->mod->path);
	for (CK_ULONG i = 0; i < n; i++) {
		if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		token_list_add(present, sizeof(present), &ti, slots[i]);
		if (!token_matches(s, &ti, slots[i], want_slot))
			continue;
		if (found++ == 0) {
			p->slot = slots[i];
			chosen_ti = ti;
		}
	}
	if (found == 0 && n == 0)
		return te_err_set(TE_ERR_NOT_FOUND,
		                  "PKCS#11 module '%s' shows no token at all (is the token plugged "
		                  "in and initialised? for SoftHSM2 check SOFTHSM2_CONF and "
		                  "softhsm2-util --show-slots)",
		                  p->mod->path);
	if (found == 0)
		return te_err_set(TE_ERR_NOT_FOUND,
		                  "no token with %s in PKCS#11 module '%s'; tokens present: %s",
		                  wanted(s, want, sizeof(want)), p->mod->path, present);
	if (found > 1)
		return te_err_set(TE_ERR_CONFIG,
		                  "%d tokens match in PKCS#11 module '%s' (%s); set token, serial "
		                  "or slot to pick one",
		                  found, p->mod->path, present);
	field_copy(p->label, chosen_ti.label, sizeof(chosen_ti.label));
	field_copy(p->manufacturer, chosen_ti.manufacturerID, sizeof(chosen_ti.manufacturerID));
	field_copy(p->model, chosen_ti.model, sizeof(chosen_ti.model));
	field_copy(p->serial, chosen_ti.serialNumber, sizeof(chosen_ti.serialNumber));
	TE_ENSURE(chosen_ti.flags & CKF_TOKEN_INITIALIZED, TE_ERR_CONFIG,
	          "token in slot %lu of '%s' is not initialised", p->slot, p->mod->path);
	if (!(chosen_ti.flags & CKF_LOGIN_REQUIRED))
		p->no_login = 1;
	else if (chosen_ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH)
		p->login_null = p->pin == NULL;
out:
	return rc;
}

/* Library and slot identity, for pkcs11: URIs that name them. */
static void identity_load(te_p11 *p)
{
	CK_INFO info;
	CK_SLOT_INFO si;

	if (p->f->C_GetInfo(&info) == CKR_OK) {
		field_copy(p->lib_manufacturer, info.manufacturerID, sizeof(info.manufacturerID));
		field_copy(p->lib_description, info.libraryDescription,
		           sizeof(info.libraryDescription));
		p->lib_major = info.libraryVersion.major;
		p->lib_minor = info.libraryVersion.minor;
	}
	if (p->f->C_GetSlotInfo(p->slot, &si) == CKR_OK) {
		field_copy(p->slot_description, si.slotDescription, sizeof(si.slotDescription));
		field_copy(p->slot_manufacturer, si.manufacturerID, sizeof(si.manufacturerID));
	}
}

static te_err mechs_load(te_p11 *p)
{
	te_err rc = TE_OK;
	CK_MECHANISM_TYPE *list = NULL;
	CK_ULONG n = 0;
	CK_RV rv = p->f->C_GetMechanismList(p->slot, NULL, &n);

	if (rv == CKR_OK && n > 0 && n < 100000) {
		list = calloc(n, sizeof(*list));
		TE_ENSURE(list != NULL, TE_ERR_NO_MEMORY, "out of memory");
		rv = p->f->C_GetMechanismList(p->slot, list, &n);
	}
	if (rv != CKR_OK)
		return te_p11_fail(rv, p->label, TE_P11_NO_MECH, NULL,
		                   "cannot list the mechanisms of token '%s'", p->label);
	for (CK_ULONG i = 0; i < n; i++)
		for (unsigned b = 0; b < TE_P11_M__COUNT; b++)
			if (list[i] == te_p11_mech_list[b])
				p->mechs |= 1u << b;
out:
	free(list);
	return rc;
}

int te_p11_has(const te_p11 *p, te_p11_mech_bit m)
{
	return (p->mechs >> m) & 1u;
}

/* --- login and sessions ---------------------------------------------------------------- */

te_err te_p11_login(te_p11 *p, CK_SESSION_HANDLE s)
{
	CK_TOKEN_INFO ti;
	te_p11_pin_state st;
	CK_RV rv;

	if (p->no_login)
		return TE_OK;
	if (p->pin == NULL && !p->login_null)
		return te_err_set(TE_ERR_CONFIG,
		                  "token '%s' needs a login: set the pkcs11 setting pin, pin_file "
		                  "or pin_env",
		                  p->label);
	rv = p->f->C_Login(s, CKU_USER, p->pin, p->pin_len);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return TE_OK;
	memset(&st, 0, sizeof(st));
	if (p->f->C_GetTokenInfo(p->slot, &ti) == CKR_OK) {
		st.count_low = (ti.flags & CKF_USER_PIN_COUNT_LOW) != 0;
		st.final_try = (ti.flags & CKF_USER_PIN_FINAL_TRY) != 0;
		st.locked = (ti.flags & CKF_USER_PIN_LOCKED) != 0;
	}
	return te_p11_fail(rv, p->label, TE_P11_NO_MECH, &st, "cannot log in to token '%s'",
	                   p->label);
}

/* Opens a read-write session and makes sure the user is logged in: the
 * login belongs to the application and survives while any session is
 * open, so only a first session (or one after all were closed) logs in. */
static te_err sess_open(te_p11 *p, CK_SESSION_HANDLE *out)
{
	te_err rc = TE_OK;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_SESSION_INFO si;
	CK_RV rv;

	rv = p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		return te_p11_fail(rv, p->label, TE_P11_NO_MECH, NULL,
		                   "cannot open a session with token '%s'", p->label);
	rv = p->f->C_GetSessionInfo(s, &si);
	if (rv != CKR_OK || si.state != CKS_RW_USER_FUNCTIONS)
		TE_GUARD(te_p11_login(p, s));
	*out = s;
	s = CK_INVALID_HANDLE;
out:
	if (s != CK_INVALID_HANDLE)
		(void)p->f->C_CloseSession(s);
	return rc;
}

te_err te_p11_sess_get(te_p11 *p, CK_SESSION_HANDLE *out)
{
	pthread_mutex_lock(&p->mu);
	if (p->n_idle > 0) {
		*out = p->idle[--p->n_idle];
		pthread_mutex_unlock(&p->mu);
		return TE_OK;
	}
	pthread_mutex_unlock(&p->mu);
	return sess_open(p, out);
}

void te_p11_sess_put(te_p11 *p, CK_SESSION_HANDLE s)
{
	pthread_mutex_lock(&p->mu);
	if (p->n_idle == p->cap_idle) {
		size_t cap = p->cap_idle ? p->cap_idle * 2 : 8;
		CK_SESSION_HANDLE *n = realloc(p->idle, cap * sizeof(*n));

		if (n == NULL) {
			pthread_mutex_unlock(&p->mu);
			(void)p->f->C_CloseSession(s);
			return;
		}
		p->idle = n;
		p->cap_idle = cap;
	}
	p->idle[p->n_idle++] = s;
	pthread_mutex_unlock(&p->mu);
}

void te_p11_sess_drop(te_p11 *p, CK_SESSION_HANDLE s, int all_idle)
{
	CK_SESSION_HANDLE *idle = NULL;
	size_t n = 0;

	(void)p->f->C_CloseSession(s);
	if (!all_idle)
		return;
	pthread_mutex_lock(&p->mu);
	idle = p->idle;
	n = p->n_idle;
	p->idle = NULL;
	p->n_idle = p->cap_idle = 0;
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < n; i++)
		(void)p->f->C_CloseSession(idle[i]);
	free(idle);
}

/* --- open and close ------------------------------------------------------------------------ */

void te_p11_token_close(te_p11 *p)
{
	if (p == NULL)
		return;
	if (p->mod != NULL) {
		for (size_t i = 0; i < p->n_idle; i++)
			(void)p->f->C_CloseSession(p->idle[i]);
		module_put(p->mod);
	}
	free(p->idle);
	te_secure_free(p->pin);
	EVP_MD_free(p->sha256);
	EVP_MD_free(p->sha384);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

te_err te_p11_token_open(const te_hsm_setting *settings_in, size_t n, te_p11 **out)
{
	te_err rc = TE_OK;
	te_p11 *p = calloc(1, sizeof(*p));
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	settings s_;

	TE_ENSURE(p != NULL, TE_ERR_NO_MEMORY, "out of memory");
	pthread_mutex_init(&p->mu, NULL);
	p->oaep_native = -1;
	TE_GUARD(settings_read(settings_in, n, &s_));
	TE_GUARD(pin_load(p, &s_));
	p->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	p->sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	TE_ENSURE(p->sha256 != NULL && p->sha384 != NULL, TE_ERR_UNSUPPORTED,
	          "OpenSSL lacks SHA-256 or SHA-384 (check the provider configuration)");
	TE_GUARD(module_get(s_.module, &p->mod));
	p->f = p->mod->f;
	TE_GUARD(token_select(p, &s_));
	identity_load(p);
	TE_GUARD(mechs_load(p));
	/* A first session now, so a wrong PIN is reported when the backend
	 * opens rather than at the first key operation. */
	te_p11_lock(p, 0);
	rc = sess_open(p, &s);
	te_p11_unlock(p);
	TE_GUARD(rc);
	te_p11_sess_put(p, s);
	p->cache_gen = te_p11_generation();
	*out = p;
	p = NULL;
out:
	te_p11_token_close(p);
	return rc;
}
