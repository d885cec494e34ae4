/*
 * sign.h - te-sign's pieces: the reference-format enclave config file and
 * small file helpers.  The image format itself lives in src/tee/image.c.
 */
#ifndef TE_SIGN_H
#define TE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "tee/image.h"

/* Defaults for keys a config file leaves out (docs/tee-sign.md). */
#define TE_SIGN_DEFAULT_DEBUG       0
#define TE_SIGN_DEFAULT_HEAP_PAGES  1024 /* 4 MiB */
#define TE_SIGN_DEFAULT_STACK_PAGES 256  /* 1 MiB per thread */
#define TE_SIGN_DEFAULT_TCS         1
#define TE_SIGN_DEFAULT_PRODUCT_ID  0
#define TE_SIGN_DEFAULT_SVN         0

void te_sign_props_default(te_tee_props *props);
/* Reads `Name=Value` lines from path over *props (keys left out keep what
 * props held).  0 on success; -1 with "path:line: ..." in err. */
int te_sign_conf_load(const char *path, te_tee_props *props, char *err, size_t err_size);

/* Reads a whole regular file of at most max bytes into a malloc'd buffer.
 * 0 on success; -1 with a sentence in err. */
int te_sign_read_file(const char *path, size_t max, uint8_t **data, size_t *size, char *err,
                      size_t err_size);

#endif
