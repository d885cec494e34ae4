/*
 * openenclave/bits/defs.h - the few language macros the trustedge OE SDK
 * headers are written with.  Names follow the Open Enclave SDK so code
 * written against it compiles unchanged; only what our headers use is here.
 */
#ifndef OPENENCLAVE_BITS_DEFS_H
#define OPENENCLAVE_BITS_DEFS_H

/* C linkage for C++ callers. */
#ifdef __cplusplus
#define OE_EXTERNC       extern "C"
#define OE_EXTERNC_BEGIN extern "C" {
#define OE_EXTERNC_END   }
#else
#define OE_EXTERNC
#define OE_EXTERNC_BEGIN
#define OE_EXTERNC_END
#endif

#define OE_INLINE static __inline__

/* A compile-time check usable at file scope in C11 and C++11. */
#ifdef __cplusplus
#define OE_STATIC_ASSERT(cond) static_assert(cond, #cond)
#else
#define OE_STATIC_ASSERT(cond) _Static_assert(cond, #cond)
#endif

/* Largest enumerator value; pinning it makes every OE enum four bytes wide. */
#define OE_ENUM_MAX 0xffffffff

#endif /* OPENENCLAVE_BITS_DEFS_H */
