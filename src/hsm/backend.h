/*
 * backend.h - the contract between the HSM PAL core and a backend.
 *
 * A backend is one .c file that fills in one te_hsm_backend_ops table.  The
 * core checks the table's version and that an entry is not NULL before it
 * calls it, validates names and pointers, and clears the error detail; the
 * backend enforces key attributes (usage, exportable) itself, because only
 * it knows them.  Adding a backend is adding a file and one line in
 * hsm.c's table.
 */
#ifndef TRUSTEDGE_HSM_BACKEND_H
#define TRUSTEDGE_HSM_BACKEND_H

#include "trustedge/te_hsm.h"

#define TE_HSM_BACKEND_OPS_V1 1u

typedef struct te_hsm_backend_ops {
	uint32_t version; /* TE_HSM_BACKEND_OPS_V1 */
	const char *name;
	/* NULL-terminated list of the setting keys open() accepts. */
	const char *const *settings;
	/* URI scheme (without ':') by which existing keys may also be named,
	 * e.g. "pkcs11" for RFC 7512 URIs; NULL when there is none.  The core
	 * checks such references only for length and printable ASCII. */
	const char *uri_scheme;

	te_err (*open)(const te_hsm_setting *settings, size_t n, void **state);
	void (*close)(void *state);

	te_err (*key_create)(void *st, const char *name, const te_hsm_key_attrs *attrs);
	te_err (*key_import)(void *st, const char *name, const te_hsm_key_attrs *attrs,
			     const void *material, size_t len);
	te_err (*key_delete)(void *st, const char *name);
	te_err (*key_info)(void *st, const char *name, te_hsm_key_info *info);
	te_err (*key_list)(void *st, te_hsm_key_info **out, size_t *count);
	te_err (*key_public)(void *st, const char *name, te_hsm_pub_format fmt, te_buf *out);
	te_err (*key_export)(void *st, const char *name, te_buf *out);

	te_err (*sign)(void *st, const char *name, te_hsm_alg alg, uint32_t flags,
		       const void *data, size_t data_len, uint8_t *sig, size_t *sig_len);
	te_err (*verify)(void *st, const char *name, te_hsm_alg alg, uint32_t flags,
			 const void *data, size_t data_len, const uint8_t *sig,
			 size_t sig_len);
	te_err (*encrypt)(void *st, const char *name, te_hsm_alg alg, const uint8_t *iv,
			  size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
			  size_t in_len, uint8_t *out, size_t *out_len);
	te_err (*decrypt)(void *st, const char *name, te_hsm_alg alg, const uint8_t *iv,
			  size_t iv_len, const uint8_t *aad, size_t aad_len, const void *in,
			  size_t in_len, uint8_t *out, size_t *out_len);
	te_err (*derive)(void *st, const char *base, const void *data, size_t data_len,
			 const char *name, const te_hsm_key_attrs *attrs);
	te_err (*random)(void *st, void *buf, size_t n);
	te_err (*key_evp)(void *st, const char *name, EVP_PKEY **out);
} te_hsm_backend_ops;

extern const te_hsm_backend_ops te_hsm_soft_ops;
extern const te_hsm_backend_ops te_hsm_pkcs11_ops;
extern const te_hsm_backend_ops te_hsm_tpm_ops;

#endif
