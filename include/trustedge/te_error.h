/*
 * te_error.h - the one error type of trustedge, and the guard macros that
 * keep the happy path reading straight down.
 *
 * Every fallible function returns te_err; TE_OK (0) is success.  A
 * thread-local detail string carries context ("key 'a': file truncated")
 * for the one place that reports the error; lower layers set it, nobody
 * logs it twice.
 */
#ifndef TRUSTEDGE_TE_ERROR_H
#define TRUSTEDGE_TE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define TE_MUST_CHECK __attribute__((warn_unused_result))
#define TE_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define TE_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum te_err {
	TE_OK = 0,
	TE_ERR_INVALID_ARG,    /* caller passed something the contract forbids */
	TE_ERR_NO_MEMORY,
	TE_ERR_NOT_FOUND,      /* key, file or object does not exist */
	TE_ERR_EXISTS,         /* refusing to overwrite */
	TE_ERR_BAD_NAME,       /* a key or object name outside the allowed set */
	TE_ERR_UNSUPPORTED,    /* backend, type or algorithm not available */
	TE_ERR_PERMISSION,     /* key usage or export attribute forbids it */
	TE_ERR_BUFFER_TOO_SMALL,
	TE_ERR_TRUNCATED,      /* untrusted input ended early */
	TE_ERR_MALFORMED,      /* untrusted input does not parse */
	TE_ERR_TAMPERED,       /* authentication of stored data failed */
	TE_ERR_VERIFY_FAILED,  /* a signature or MAC does not verify */
	TE_ERR_DECRYPT_FAILED, /* AEAD tag or padding check failed */
	TE_ERR_IO,             /* file system or socket error */
	TE_ERR_CRYPTO,         /* the crypto library failed */
	TE_ERR_CONFIG,         /* configuration is invalid */
	TE_ERR_BUSY,           /* resource locked or limit reached */
	TE_ERR_INTERNAL,       /* a bug: should never happen */
	TE_ERR__COUNT
} te_err;

/* Short stable name of an error code ("TE_ERR_NOT_FOUND"). */
const char *te_err_name(te_err err);
/* Human sentence for an error code ("not found"). */
const char *te_err_str(te_err err);

/* Sets the thread-local detail message and returns err (the arguments may
 * include te_err_detail() itself, to wrap it with context), so callers can
 * write `return te_err_set(TE_ERR_NOT_FOUND, "key '%s'", name);`. */
te_err te_err_set(te_err err, const char *fmt, ...) TE_PRINTF(2, 3);
/* Sets the detail to "what: <first OpenSSL errors>" (a few entries, "; "
 * joined) and clears OpenSSL's error queue. */
te_err te_err_set_ossl(te_err err, const char *what);
/* Detail of the last error set on this thread, "" when none. */
const char *te_err_detail(void);
/* Forgets the detail (done when a new top-level operation starts). */
void te_err_clear(void);

/*
 * Guard macros.  A function using them declares `te_err rc = TE_OK;` and
 * ends with one `out:` label that frees everything and returns rc.
 */
#define TE_GUARD(call)                                                         \
	do {                                                                   \
		te_err te__e = (call);                                         \
		if (te__e != TE_OK) {                                          \
			rc = te__e;                                            \
			goto out;                                              \
		}                                                              \
	} while (0)

/* Fails with err and a detail message when cond is false. */
#define TE_ENSURE(cond, err, ...)                                              \
	do {                                                                   \
		if (!(cond)) {                                                 \
			rc = te_err_set((err), __VA_ARGS__);                   \
			goto out;                                              \
		}                                                              \
	} while (0)

/* OpenSSL returns 1 (or a positive value) on success. */
#define TE_GUARD_OSSL(call, what)                                              \
	do {                                                                   \
		if ((call) <= 0) {                                             \
			rc = te_err_set_ossl(TE_ERR_CRYPTO, (what));           \
			goto out;                                              \
		}                                                              \
	} while (0)

/* For OpenSSL calls returning a pointer. */
#define TE_GUARD_PTR(ptr, err, ...)                                            \
	do {                                                                   \
		if ((ptr) == NULL) {                                           \
			rc = te_err_set((err), __VA_ARGS__);                   \
			goto out;                                              \
		}                                                              \
	} while (0)

#ifdef __cplusplus
}
#endif
#endif
