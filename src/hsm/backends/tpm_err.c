/*
 * tpm_err.c - tpm2-tss and TPM response codes to te_err codes and messages
 * that say what to check (see tpm_err.h).  Users of the reference stack
 * saw "Could not initialize TCTI" and nothing else; every message here
 * names the TCTI string or the object and suggests the usual fix.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <tss2/tss2_tpm2_types.h>

#include "hsm/backends/tpm_err.h"

uint32_t te_tpm_rc_base(TSS2_RC rc)
{
	uint32_t layer = rc & TSS2_RC_LAYER_MASK;
	uint32_t code = rc & ~TSS2_RC_LAYER_MASK;

	if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER)
		return rc;
	/* Format one carries the position of the handle, session or
	 * parameter in bits 6..11; format zero has none. */
	if (code & TPM2_RC_FMT1)
		return TPM2_RC_FMT1 | (code & 0x3f);
	return code & 0xfff;
}

int te_tpm_rc_is_param(TSS2_RC rc)
{
	uint32_t layer = rc & TSS2_RC_LAYER_MASK;

	return rc != 0 && layer == TSS2_TPM_RC_LAYER && (rc & TPM2_RC_FMT1) && (rc & TPM2_RC_P);
}

int te_tpm_rc_is_slots(TSS2_RC rc)
{
	uint32_t b = te_tpm_rc_base(rc);

	return b == TPM2_RC_OBJECT_MEMORY || b == TPM2_RC_SESSION_MEMORY ||
	       b == TPM2_RC_MEMORY;
}

/* The TCTI's name ("swtpm", "device", ...) and its configuration. */
static void tcti_split(const char *tcti, char *name, size_t name_len, const char **conf)
{
	const char *colon = strchr(tcti, ':');
	size_t n = colon ? (size_t)(colon - tcti) : strlen(tcti);
	const char *p = tcti;

	/* "libtss2-tcti-swtpm.so.0:..." names the same TCTI as "swtpm". */
	if (n > 13 && strncmp(p, "libtss2-tcti-", 13) == 0) {
		const char *dot = memchr(p + 13, '.', n - 13);
		n = (dot ? (size_t)(dot - p) : n) - 13;
		p += 13;
	}
	if (n >= name_len)
		n = name_len - 1;
	memcpy(name, p, n);
	name[n] = '\0';
	*conf = colon ? colon + 1 : "";
}

/* Copies the value of key=... from a "k=v,k=v" configuration string. */
static void conf_value(const char *conf, const char *key, const char *def, char *out,
		       size_t out_len)
{
	size_t klen = strlen(key);
	const char *p = conf;

	snprintf(out, out_len, "%s", def);
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			snprintf(out, out_len, "%.*s", (int)(len - klen - 1), p + klen + 1);
			return;
		}
		p = end ? end + 1 : NULL;
	}
}

/* What to check when the transport to the TPM fails, by kind of TCTI. */
static void transport_hint(const char *tcti, char *out, size_t len)
{
	char name[64], host[128], port[16];
	const char *conf;
	struct stat st;

	tcti_split(tcti, name, sizeof(name), &conf);
	if (strcmp(name, "device") == 0 || tcti[0] == '/') {
		const char *path = tcti[0] == '/' ? tcti : (conf[0] ? conf : "/dev/tpm0");
		if (stat(path, &st) != 0 && errno == ENOENT) {
			snprintf(out, len,
				 "there is no TPM device at %s: check that the machine has a TPM "
				 "enabled in its firmware and that the kernel driver is loaded "
				 "(ls /sys/class/tpm; modules tpm_tis or tpm_crb)",
				 path);
		} else if (access(path, R_OK | W_OK) != 0) {
			snprintf(out, len,
				 "no permission to use %s: run trustedge as a member of the "
				 "group that owns it (usually 'tss') or fix its udev rule",
				 path);
		} else if (strstr(path, "tpmrm") == NULL) {
			snprintf(out, len,
				 "%s has no resource manager and serves one program at a time "
				 "(tpm2-abrmd may hold it): use device:/dev/tpmrm0, or tcti "
				 "'tabrmd' when tpm2-abrmd runs",
				 path);
		} else {
			snprintf(out, len, "check that %s is this machine's TPM device", path);
		}
		return;
	}
	if (strcmp(name, "tabrmd") == 0) {
		snprintf(out, len,
			 "cannot reach the tpm2-abrmd resource manager over D-Bus: is it "
			 "installed and running (systemctl status tpm2-abrmd)?  Without it, "
			 "use tcti 'device:/dev/tpmrm0'");
		return;
	}
	if (strcmp(name, "swtpm") == 0 || strcmp(name, "mssim") == 0) {
		conf_value(conf, "host", "localhost", host, sizeof(host));
		conf_value(conf, "port", "2321", port, sizeof(port));
		snprintf(out, len,
			 "cannot talk to a TPM simulator at %s port %s: is swtpm running and "
			 "listening there (swtpm socket --tpm2 --server type=tcp,port=%s "
			 "--flags startup-clear ...)?  Check host= and port= in the tcti "
			 "string",
			 host, port, port);
		return;
	}
	snprintf(out, len, "check the tcti setting and that the TPM it names is reachable");
}

/* Installed TCTI libraries, from the directory libtss2-tctildr came from. */
static void tcti_list(char *out, size_t len, char *dir, size_t dir_len)
{
	Dl_info info;
	DIR *d;
	struct dirent *de;
	size_t off = 0;
	char *slash;

	snprintf(out, len, "none found");
	snprintf(dir, dir_len, "?");
	if (dladdr((void *)Tss2_TctiLdr_Initialize, &info) == 0 || info.dli_fname == NULL)
		return;
	snprintf(dir, dir_len, "%s", info.dli_fname);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	d = opendir(dir);
	if (d == NULL)
		return;
	out[0] = '\0';
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		const char *so;
		size_t nlen;
		int w;

		/* One entry per library: the unversioned "libtss2-tcti-X.so". */
		if (strncmp(n, "libtss2-tcti-", 13) != 0)
			continue;
		so = strstr(n + 13, ".so");
		if (so == NULL || strcmp(so, ".so.0") != 0)
			continue;
		nlen = (size_t)(so - (n + 13));
		w = snprintf(out + off, len - off, "%s%.*s", off ? ", " : "", (int)nlen, n + 13);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
	closedir(d);
	if (off == 0)
		snprintf(out, len, "none found");
}

/* 1 when name is one of the ", "-separated entries of list. */
static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; n > 0 && (p = strstr(p, name)) != NULL; p += n) {
		int starts = p == list || (p >= list + 2 && p[-2] == ',' && p[-1] == ' ');
		if (starts && (p[n] == '\0' || p[n] == ','))
			return 1;
	}
	return 0;
}

te_err te_tpm_tcti_err(TSS2_RC rc, const char *tcti)
{
	char name[64], list[256], dir[512], hint[512];
	const char *conf;

	tcti_split(tcti, name, sizeof(name), &conf);
	tcti_list(list, sizeof(list), dir, sizeof(dir));
	/* A path to a library is not checked against the list. */
	if (strchr(name, '/') == NULL && !in_list(list, name))
		return te_err_set(TE_ERR_CONFIG,
				  "cannot open the TPM through tcti '%s': there is no TCTI "
				  "library named '%s' (%s, 0x%x).  TCTI libraries installed in "
				  "%s: %s.  Examples: device:/dev/tpmrm0, tabrmd, "
				  "swtpm:host=127.0.0.1,port=2321",
				  tcti, name, Tss2_RC_Decode(rc), rc, dir, list);
	transport_hint(tcti, hint, sizeof(hint));
	return te_err_set(TE_ERR_IO, "cannot open the TPM through tcti '%s' (%s, 0x%x): %s", tcti,
			  Tss2_RC_Decode(rc), rc, hint);
}

static int is_transport(TSS2_RC rc)
{
	uint32_t layer = rc & TSS2_RC_LAYER_MASK, base = rc & 0xffff;

	if (layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER)
		return 0;
	return base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION ||
	       base == TSS2_BASE_RC_TRY_AGAIN || base == TSS2_BASE_RC_MALFORMED_RESPONSE ||
	       base == TSS2_BASE_RC_INSUFFICIENT_RESPONSE;
}

/* The te_err and the advice for a response code. */
static te_err classify(TSS2_RC rc, const char *tcti, char *hint, size_t len)
{
	uint32_t b = te_tpm_rc_base(rc);

	hint[0] = '\0';
	if (is_transport(rc)) {
		transport_hint(tcti, hint, len);
		return TE_ERR_IO;
	}
	switch (b) {
	case TPM2_RC_LOCKOUT:
		snprintf(hint, len,
			 "the TPM is in dictionary-attack lockout after too many wrong "
			 "authorization values; wait for the lockout to expire, or run "
			 "tpm2_dictionarylockout --clear-lockout with the lockout authorization");
		return TE_ERR_BUSY;
	case TPM2_RC_AUTH_FAIL:
	case TPM2_RC_BAD_AUTH:
		snprintf(hint, len,
			 "the TPM refused the authorization value: check owner_auth or "
			 "owner_auth_file (the owner hierarchy's authorization, as set with "
			 "tpm2_changeauth -c owner)");
		return TE_ERR_PERMISSION;
	case TPM2_RC_OBJECT_MEMORY:
	case TPM2_RC_SESSION_MEMORY:
	case TPM2_RC_MEMORY:
		snprintf(hint, len,
			 "the TPM has no free object slots; other programs hold them (without a "
			 "resource manager, objects stay loaded after a program exits): use "
			 "device:/dev/tpmrm0 or tpm2-abrmd, or flush stale objects with "
			 "tpm2_flushcontext -t");
		return TE_ERR_BUSY;
	case TPM2_RC_INITIALIZE:
		snprintf(hint, len,
			 "the TPM has not been started: run tpm2_startup -c (swtpm: start it "
			 "with --flags not-need-init,startup-clear)");
		return TE_ERR_CONFIG;
	case TPM2_RC_HIERARCHY:
		snprintf(hint, len,
			 "the hierarchy is disabled (tpm2_getcap properties-variable shows "
			 "shEnable/ehEnable)");
		return TE_ERR_CONFIG;
	case TPM2_RC_NV_RATE:
	case TPM2_RC_NV_UNAVAILABLE:
	case TPM2_RC_RETRY:
	case TPM2_RC_TESTING:
	case TPM2_RC_YIELDED:
		snprintf(hint, len, "the TPM is busy; try again");
		return TE_ERR_BUSY;
	default:
		return TE_ERR_CRYPTO;
	}
}

te_err te_tpm_err(TSS2_RC rc, const char *tcti, const char *fmt, ...)
{
	char what[512], hint[512];
	va_list ap;
	te_err err;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err = classify(rc, tcti ? tcti : "", hint, sizeof(hint));
	if (hint[0] != '\0')
		return te_err_set(err, "%s: %s (0x%x); %s", what, Tss2_RC_Decode(rc), rc, hint);
	return te_err_set(err, "%s: %s (0x%x)", what, Tss2_RC_Decode(rc), rc);
}
