/*
 * openenclave/edger8r/common.h - the marshalling helpers that the code
 * te-edger8r generates (X_u.c, X_t.c) is written with.  Not for
 * application code.  Every helper is static inline so a generated file
 * needs nothing beyond libc and the call functions of edger8r/host.h or
 * edger8r/enclave.h; the header compiles as C and as C++.
 *
 * The layout the helpers build and check (docs/edger8r.md has the long
 * version):
 *
 *   input  = args struct | pad | buffer | pad | buffer ...
 *   output = args struct | pad | buffer | pad | buffer ...
 *
 * The args struct of a function starts with an oe_result_t, then the
 * return value, then one field per parameter: scalars by value, a
 * [user_check] pointer as a uint64_t, every other pointer as a
 * te_edl_buffer_t {offset, size} describing where its bytes are in the
 * buffer that args struct heads (offset 0 means NULL).  The [in] and
 * [in,out] buffers follow the input's args struct, the [out] and [in,out]
 * buffers the output's, each at the next multiple of TE_EDL_ALIGN, in
 * parameter order, a deep-copied struct member's buffer right after the
 * buffer holding its struct (depth first), except for a struct sent
 * [out] only: the callee's nested buffers for it follow every fixed
 * output buffer (the caller leaves TE_EDL_DEEP_OUT_MAX bytes for them).
 * Inside a copied struct a deep-copied pointer member holds the offset of
 * its buffer, every other pointer member (except [user_check]) is zeroed:
 * no pointer value of one side is ever read by the other.
 *
 * The receiving side walks the same order, so every offset it is sent must
 * be exactly where the walk says: smaller overlaps what came before
 * (OE_OVERLAPPED_COPY), past the end is OE_OUT_OF_BOUNDS, a gap or a size
 * that does not match the sizes it recomputes from the parameters is
 * OE_INVALID_PARAMETER, a size computation that overflows is
 * OE_INTEGER_OVERFLOW.  It copies every buffer into memory of its own
 * before looking at it.
 */
#ifndef _OE_EDGER8R_COMMON_H
#define _OE_EDGER8R_COMMON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../bits/defs.h"
#include "../bits/result.h"

OE_EXTERNC_BEGIN

/* Every buffer starts at a multiple of this in its message. */
#define TE_EDL_ALIGN 8u

/* Direction of a buffer: in the input, in the output, or both. */
#define TE_EDL_IN  0x1u
#define TE_EDL_OUT 0x2u
/* A [string]: its size is its strlen + 1, checked for the NUL on receipt. */
#define TE_EDL_STRING 0x4u
/* The segment's bytes are ours to free (received copies, and the nested
 * buffers an implementation allocated for an [out] struct). */
#define TE_EDL_OWNED 0x8u

/* Room a caller leaves after the fixed output for the nested buffers of
 * [out] structs, whose sizes only the callee knows. */
#define TE_EDL_DEEP_OUT_MAX (1u << 20)

/* "No segment": a NULL pointer, or a buffer that is not nested. */
#define TE_EDL_NONE ((size_t)-1)

/* A pointer parameter as it travels in the args struct. */
typedef struct _te_edl_buffer {
	uint64_t offset;
	uint64_t size;
} te_edl_buffer_t;

/* What the generated code knows about a struct whose copies carry
 * pointers: how to zero the pointers that must not cross, and how to put
 * the caller's own pointers back into a copy that came back. */
typedef struct _te_edl_struct_ops {
	size_t elem_size;
	void (*scrub)(uint8_t *elem);
	void (*keep)(uint8_t *dst, const uint8_t *src);
} te_edl_struct_ops_t;

/* One buffer of a call: a parameter's or a deep-copied member's. */
typedef struct _te_edl_seg {
	void *ptr;      /* sender: the caller's bytes; receiver: its own copy */
	size_t size;    /* bytes */
	size_t in_off;  /* offset in the input, 0 when not in the input */
	size_t out_off; /* offset in the output, 0 when not in the output */
	size_t parent;  /* segment holding the pointer to this one, or TE_EDL_NONE */
	size_t field;   /* byte offset of that pointer inside the parent's bytes */
	const te_edl_struct_ops_t *ops; /* element ops when it holds structs with pointers */
	unsigned flags;
} te_edl_seg_t;

/* The buffers of one call, in layout order. */
typedef struct _te_edl_plan {
	te_edl_seg_t *segs;
	size_t nsegs;
	size_t cap;
	size_t in_size;   /* end of the input layout so far */
	size_t out_size;  /* end of the output layout so far */
	size_t out_extra; /* sending side: room for nested [out] buffers */
	/* receiving side only */
	const uint8_t *input;
	size_t input_size;
	size_t output_cap;
} te_edl_plan_t;

OE_INLINE oe_result_t te_edl_add(size_t a, size_t b, size_t *r)
{
	if (__builtin_add_overflow(a, b, r))
		return OE_INTEGER_OVERFLOW;
	return OE_OK;
}

OE_INLINE oe_result_t te_edl_mul(size_t a, size_t b, size_t *r)
{
	if (__builtin_mul_overflow(a, b, r))
		return OE_INTEGER_OVERFLOW;
	return OE_OK;
}

/* Rounds v up to the next multiple of TE_EDL_ALIGN. */
OE_INLINE oe_result_t te_edl_align(size_t v, size_t *r)
{
	size_t t;

	if (__builtin_add_overflow(v, (size_t)(TE_EDL_ALIGN - 1), &t))
		return OE_INTEGER_OVERFLOW;
	*r = t & ~(size_t)(TE_EDL_ALIGN - 1);
	return OE_OK;
}

/* A count or size taken from a signed parameter: negative is refused. */
OE_INLINE oe_result_t te_edl_count_s(long long v, size_t *r)
{
	if (v < 0)
		return OE_INVALID_PARAMETER;
#if ULLONG_MAX > SIZE_MAX
	if ((unsigned long long)v > SIZE_MAX)
		return OE_INTEGER_OVERFLOW;
#endif
	*r = (size_t)v;
	return OE_OK;
}

OE_INLINE oe_result_t te_edl_count_u(unsigned long long v, size_t *r)
{
#if ULLONG_MAX > SIZE_MAX
	if (v > SIZE_MAX)
		return OE_INTEGER_OVERFLOW;
#endif
	*r = (size_t)v;
	return OE_OK;
}

/* Size of a [string] on the sending side: its bytes and the NUL. */
OE_INLINE oe_result_t te_edl_strsize(const char *s, size_t *r)
{
	return te_edl_add(strlen(s), 1, r);
}

/* A received string must end with its only NUL exactly at its size. */
OE_INLINE oe_result_t te_edl_check_string(const void *p, size_t size)
{
	if (size == 0 || memchr(p, 0, size) != (const uint8_t *)p + size - 1)
		return OE_INVALID_PARAMETER;
	return OE_OK;
}

/* Pointer-sized slots inside copied structs carry offsets, never
 * pointers; these move them without typed access to unaligned bytes. */
OE_INLINE void te_edl_put_offset(uint8_t *slot, size_t off)
{
	uintptr_t v = (uintptr_t)off;

	memcpy(slot, &v, sizeof(v));
}

OE_INLINE uintptr_t te_edl_get_offset(const uint8_t *slot)
{
	uintptr_t v;

	memcpy(&v, slot, sizeof(v));
	return v;
}

/* Reads the offset a received struct member holds and clears the member,
 * so it is NULL unless the buffer it names is received. */
OE_INLINE uintptr_t te_edl_take_offset(void *member)
{
	uintptr_t v;

	memcpy(&v, member, sizeof(v));
	memset(member, 0, sizeof(v));
	return v;
}

/* Struct copies are handled as bytes (they may sit unaligned in a
 * message): zero or copy n bytes at offset off of an element. */
OE_INLINE void te_edl_zero_at(uint8_t *elem, size_t off, size_t n)
{
	memset(elem + off, 0, n);
}

OE_INLINE void te_edl_copy_at(uint8_t *dst, const uint8_t *src, size_t off, size_t n)
{
	memcpy(dst + off, src + off, n);
}

/* Sending side: a plan starts with just the args struct. */
OE_INLINE void te_edl_plan_init(te_edl_plan_t *p, size_t args_size)
{
	memset(p, 0, sizeof(*p));
	p->in_size = args_size;
	p->out_size = args_size;
}

/* Receiving side: also remembers the input it checks against and how much
 * output the caller made room for. */
OE_INLINE void te_edl_plan_init_recv(te_edl_plan_t *p, size_t args_size, const uint8_t *input,
                                     size_t input_size, size_t output_cap)
{
	te_edl_plan_init(p, args_size);
	p->input = input;
	p->input_size = input ? input_size : 0;
	p->output_cap = output_cap;
}

OE_INLINE void te_edl_plan_free(te_edl_plan_t *p)
{
	size_t i;

	for (i = 0; i < p->nsegs; i++)
		if (p->segs[i].flags & TE_EDL_OWNED)
			free(p->segs[i].ptr);
	free(p->segs);
	p->segs = NULL;
	p->nsegs = 0;
	p->cap = 0;
}

OE_INLINE oe_result_t te_edl_plan_grow(te_edl_plan_t *p)
{
	size_t cap, bytes;
	te_edl_seg_t *n;

	if (p->nsegs < p->cap)
		return OE_OK;
	cap = p->cap ? p->cap : 8;
	if (p->cap && te_edl_mul(p->cap, 2, &cap) != OE_OK)
		return OE_OUT_OF_MEMORY;
	if (te_edl_mul(cap, sizeof(*n), &bytes) != OE_OK)
		return OE_OUT_OF_MEMORY;
	n = (te_edl_seg_t *)realloc(p->segs, bytes);
	if (!n)
		return OE_OUT_OF_MEMORY;
	p->segs = n;
	p->cap = cap;
	return OE_OK;
}

/* Places a buffer at the next aligned offset of a layout. */
OE_INLINE oe_result_t te_edl_place(size_t *end, size_t size, size_t *off)
{
	oe_result_t r;
	size_t o;

	if ((r = te_edl_align(*end, &o)) != OE_OK)
		return r;
	if ((r = te_edl_add(o, size, end)) != OE_OK)
		return r;
	*off = o;
	return OE_OK;
}

/* Sending side: adds a buffer of the caller's (parameter when parent is
 * TE_EDL_NONE, deep-copied member otherwise) to the layout.  desc, when
 * given, receives where the other side finds it. */
OE_INLINE oe_result_t te_edl_plan_add(te_edl_plan_t *p, const void *ptr, size_t size,
                                      unsigned flags, size_t parent, size_t field,
                                      const te_edl_struct_ops_t *ops, te_edl_buffer_t *desc,
                                      size_t *index)
{
	oe_result_t r;
	te_edl_seg_t *s;

	if ((r = te_edl_plan_grow(p)) != OE_OK)
		return r;
	s = &p->segs[p->nsegs];
	memset(s, 0, sizeof(*s));
	s->ptr = (void *)(uintptr_t)ptr;
	s->size = size;
	s->parent = parent;
	s->field = field;
	s->ops = ops;
	s->flags = flags & (TE_EDL_IN | TE_EDL_OUT | TE_EDL_OWNED);
	/* Two members naming one allocation must not free it twice. */
	for (size_t i = 0; (s->flags & TE_EDL_OWNED) && i < p->nsegs; i++)
		if (p->segs[i].ptr == s->ptr && (p->segs[i].flags & TE_EDL_OWNED))
			s->flags &= ~TE_EDL_OWNED;
	if ((flags & TE_EDL_IN) && (r = te_edl_place(&p->in_size, size, &s->in_off)) != OE_OK)
		return r;
	if ((flags & TE_EDL_OUT) && (r = te_edl_place(&p->out_size, size, &s->out_off)) != OE_OK)
		return r;
	if (desc) {
		desc->offset = (flags & TE_EDL_IN) ? s->in_off : s->out_off;
		desc->size = size;
	}
	if (index)
		*index = p->nsegs;
	p->nsegs++;
	return OE_OK;
}

/* Zeroes the pointers of every element of a struct buffer at dst. */
OE_INLINE void te_edl_scrub_elems(const te_edl_struct_ops_t *ops, uint8_t *dst, size_t size)
{
	size_t i;

	if (!ops)
		return;
	for (i = 0; i + ops->elem_size <= size; i += ops->elem_size)
		ops->scrub(dst + i);
}

/* Writes the buffers of one direction into msg: bytes, pointers zeroed,
 * then each deep-copied member's slot set to its buffer's offset. */
OE_INLINE void te_edl_plan_write(const te_edl_plan_t *p, uint8_t *msg, unsigned dir)
{
	size_t i;
	const te_edl_seg_t *s;

	for (i = 0; i < p->nsegs; i++) {
		s = &p->segs[i];
		if (!(s->flags & dir))
			continue;
		size_t off = dir == TE_EDL_IN ? s->in_off : s->out_off;
		if (s->size)
			memcpy(msg + off, s->ptr, s->size);
		te_edl_scrub_elems(s->ops, msg + off, s->size);
	}
	for (i = 0; i < p->nsegs; i++) {
		s = &p->segs[i];
		if (!(s->flags & dir) || s->parent == TE_EDL_NONE)
			continue;
		const te_edl_seg_t *up = &p->segs[s->parent];
		if (dir == TE_EDL_IN)
			te_edl_put_offset(msg + up->in_off + s->field, s->in_off);
		else
			te_edl_put_offset(msg + up->out_off + s->field, s->out_off);
	}
}

/* Sending side: allocates both messages (zeroed, so padding carries
 * nothing) and writes the input. */
OE_INLINE oe_result_t te_edl_plan_start(const te_edl_plan_t *p, const void *args, size_t args_size,
                                        uint8_t **in, uint8_t **out)
{
	size_t cap;

	if (te_edl_add(p->out_size, p->out_extra, &cap) != OE_OK)
		return OE_INTEGER_OVERFLOW;
	*in = (uint8_t *)calloc(1, p->in_size);
	*out = (uint8_t *)calloc(1, cap);
	if (!*in || !*out)
		return OE_OUT_OF_MEMORY;
	memcpy(*in, args, args_size);
	te_edl_plan_write(p, *in, TE_EDL_IN);
	return OE_OK;
}

/* Sending side: the output capacity te_edl_plan_start allocated. */
OE_INLINE size_t te_edl_plan_out_cap(const te_edl_plan_t *p)
{
	return p->out_size + p->out_extra;
}

/* Sending side: checks the reply before anything is copied to the
 * caller.  The callee's refusal is returned as it is; a reply whose size
 * or offsets differ from what was asked for is refused.  Only a function
 * with nested [out] buffers (out_extra) may reply beyond the fixed part. */
OE_INLINE oe_result_t te_edl_plan_reply(const te_edl_plan_t *p, const uint8_t *out, size_t written,
                                        void *args, size_t args_size)
{
	oe_result_t r;
	size_t i;

	if (written < args_size)
		return OE_UNEXPECTED;
	if (written > te_edl_plan_out_cap(p))
		return OE_OUT_OF_BOUNDS;
	memcpy(args, out, args_size);
	memcpy(&r, out, sizeof(r));
	if (r != OE_OK)
		return r;
	if (written < p->out_size || (written != p->out_size && !p->out_extra))
		return OE_OUT_OF_BOUNDS;
	for (i = 0; i < p->nsegs; i++) {
		const te_edl_seg_t *s = &p->segs[i];
		if (!(s->flags & TE_EDL_OUT) || s->parent == TE_EDL_NONE)
			continue;
		if (te_edl_get_offset(out + p->segs[s->parent].out_off + s->field) != s->out_off)
			return OE_OUT_OF_BOUNDS;
	}
	return OE_OK;
}

/* Sending side: a parameter's descriptor in the reply must say what was
 * asked for (or nothing, for a NULL pointer). */
OE_INLINE oe_result_t te_edl_plan_check_desc(const te_edl_plan_t *p, size_t seg,
                                             const te_edl_buffer_t *desc)
{
	if (seg == TE_EDL_NONE)
		return desc->offset == 0 && desc->size == 0 ? OE_OK : OE_OUT_OF_BOUNDS;
	if (desc->offset != p->segs[seg].out_off || desc->size != p->segs[seg].size)
		return OE_OUT_OF_BOUNDS;
	return OE_OK;
}

/* Sending side, after te_edl_plan_reply: copies the output buffers into
 * the caller's.  A struct sent [in,out] gets its own pointers back; in a
 * struct that was only [out], pointers from the other side are zeroed. */
OE_INLINE void te_edl_plan_copy_out(const te_edl_plan_t *p, uint8_t *out)
{
	size_t i, j;

	for (i = 0; i < p->nsegs; i++) {
		const te_edl_seg_t *s = &p->segs[i];
		if (!(s->flags & TE_EDL_OUT) || s->size == 0)
			continue;
		if (s->ops && (s->flags & TE_EDL_IN))
			for (j = 0; j + s->ops->elem_size <= s->size; j += s->ops->elem_size)
				s->ops->keep(out + s->out_off + j, (const uint8_t *)s->ptr + j);
		else
			te_edl_scrub_elems(s->ops, out + s->out_off, s->size);
		memcpy(s->ptr, out + s->out_off, s->size);
	}
}

/* Receiving side: takes one buffer.  off is where the sender put it: in
 * the input for [in] and [in,out], in the output for [out].  On success
 * *ptr is a fresh allocation (a copy, or zeroed for [out]). */
OE_INLINE oe_result_t te_edl_recv(te_edl_plan_t *p, uint64_t off, size_t size, unsigned flags,
                                  size_t parent, size_t field, const te_edl_struct_ops_t *ops,
                                  void **ptr, size_t *index)
{
	oe_result_t r;
	te_edl_seg_t *s;
	size_t expect, end, o = 0;
	void *m;

	if ((r = te_edl_plan_grow(p)) != OE_OK)
		return r;
	if (flags & TE_EDL_IN) {
		if (off > p->input_size || size > p->input_size - off)
			return OE_OUT_OF_BOUNDS;
		if ((r = te_edl_align(p->in_size, &expect)) != OE_OK)
			return r;
		if (off < expect)
			return OE_OVERLAPPED_COPY;
		if (off != expect)
			return OE_INVALID_PARAMETER;
	}
	if (flags & TE_EDL_OUT) {
		end = p->out_size;
		if ((r = te_edl_place(&end, size, &o)) != OE_OK)
			return r;
		if (end > p->output_cap)
			return OE_BUFFER_TOO_SMALL;
		if (!(flags & TE_EDL_IN) && off != o)
			return OE_INVALID_PARAMETER;
	}
	m = malloc(size ? size : 1);
	if (!m)
		return OE_OUT_OF_MEMORY;
	if (flags & TE_EDL_IN) {
		memcpy(m, p->input + off, size);
		if ((flags & TE_EDL_STRING) && (r = te_edl_check_string(m, size)) != OE_OK) {
			free(m);
			return r;
		}
		p->in_size = (size_t)off + size;
	} else {
		memset(m, 0, size ? size : 1);
	}
	if (flags & TE_EDL_OUT)
		p->out_size = end;
	s = &p->segs[p->nsegs];
	memset(s, 0, sizeof(*s));
	s->ptr = m;
	s->size = size;
	s->in_off = (flags & TE_EDL_IN) ? (size_t)off : 0;
	s->out_off = o;
	s->parent = parent;
	s->field = field;
	s->ops = ops;
	s->flags = (flags & (TE_EDL_IN | TE_EDL_OUT)) | TE_EDL_OWNED;
	*ptr = m;
	if (index)
		*index = p->nsegs;
	p->nsegs++;
	return OE_OK;
}

/* Receiving side: a pointer parameter.  expect is the size recomputed
 * from the other parameters (ignored for a [string], whose size is what
 * was sent).  Offset 0 is a NULL pointer and must come with size 0. */
OE_INLINE oe_result_t te_edl_recv_param(te_edl_plan_t *p, const te_edl_buffer_t *desc,
                                        size_t expect, unsigned flags,
                                        const te_edl_struct_ops_t *ops, void **ptr, size_t *index)
{
	size_t size;

	*ptr = NULL;
	if (index)
		*index = TE_EDL_NONE;
	if (desc->offset == 0)
		return desc->size == 0 ? OE_OK : OE_INVALID_PARAMETER;
#if UINT64_MAX > SIZE_MAX
	if (desc->size > SIZE_MAX)
		return OE_INTEGER_OVERFLOW;
#endif
	size = (size_t)desc->size;
	if (!(flags & TE_EDL_STRING) && size != expect)
		return OE_INVALID_PARAMETER;
	return te_edl_recv(p, desc->offset, size, flags, TE_EDL_NONE, 0, ops, ptr, index);
}

/* Receiving side: zeroes the pointers in a received struct buffer whose
 * members are not deep-copied. */
OE_INLINE void te_edl_scrub_seg(te_edl_plan_t *p, size_t seg)
{
	if (seg != TE_EDL_NONE)
		te_edl_scrub_elems(p->segs[seg].ops, (uint8_t *)p->segs[seg].ptr,
		                   p->segs[seg].size);
}

/* Receiving side: where a parameter's buffer is in the output. */
OE_INLINE void te_edl_plan_desc_out(const te_edl_plan_t *p, size_t seg, te_edl_buffer_t *desc)
{
	if (seg == TE_EDL_NONE || !(p->segs[seg].flags & TE_EDL_OUT))
		return;
	desc->offset = p->segs[seg].out_off;
	desc->size = p->segs[seg].size;
}

/* How many elem_size elements segment seg holds (0 for none). */
OE_INLINE size_t te_edl_seg_count(const te_edl_plan_t *p, size_t seg, size_t elem_size)
{
	if (seg == TE_EDL_NONE || elem_size == 0)
		return 0;
	return p->segs[seg].size / elem_size;
}

/*
 * Nested buffers of an [out] struct.  The callee adds them to its output
 * after the call (te_edl_plan_add with TE_EDL_OUT | TE_EDL_OWNED: they are
 * the implementation's allocations, freed once written), after every
 * fixed buffer.  The caller receives them like an input: a plan over its
 * output starting at the end of the fixed part, each buffer copied into a
 * fresh allocation that becomes the caller's (free() it) once the whole
 * reply checks out.
 */
OE_INLINE void te_edl_tail_init(te_edl_plan_t *tail, const te_edl_plan_t *p, const uint8_t *out,
                                size_t written)
{
	te_edl_plan_init_recv(tail, p->out_size, out, written, 0);
}

/* A copy of the struct array of [out] parameter seg, to receive its nested
 * buffers into before anything of the caller's is written. */
OE_INLINE oe_result_t te_edl_tail_take(const te_edl_plan_t *p, size_t seg, const uint8_t *out,
                                       void **copy)
{
	*copy = NULL;
	if (seg == TE_EDL_NONE)
		return OE_OK;
	*copy = malloc(p->segs[seg].size ? p->segs[seg].size : 1);
	if (!*copy)
		return OE_OUT_OF_MEMORY;
	memcpy(*copy, out + p->segs[seg].out_off, p->segs[seg].size);
	return OE_OK;
}

/* The nested buffers must account for the whole reply. */
OE_INLINE oe_result_t te_edl_tail_end(const te_edl_plan_t *tail)
{
	return tail->in_size == tail->input_size ? OE_OK : OE_OUT_OF_BOUNDS;
}

/* The allocations now belong to the caller. */
OE_INLINE void te_edl_plan_disown(te_edl_plan_t *p)
{
	for (size_t i = 0; i < p->nsegs; i++)
		p->segs[i].flags &= ~TE_EDL_OWNED;
}

/* Receiving side: writes the reply.  On success the args struct and every
 * output buffer; on failure only the args struct, zeroed but for the
 * result (its first field).  Nothing is written when even the args
 * struct does not fit. */
OE_INLINE void te_edl_finish(const te_edl_plan_t *p, const void *args, size_t args_size,
                             oe_result_t r, uint8_t *out, size_t out_cap, size_t *written)
{
	if (!written)
		return;
	*written = 0;
	if (!out || out_cap < args_size || args_size < sizeof(r))
		return;
	if (r == OE_OK && p->out_size > out_cap)
		r = OE_BUFFER_TOO_SMALL;
	if (r != OE_OK) {
		memset(out, 0, args_size);
		memcpy(out, &r, sizeof(r));
		*written = args_size;
		return;
	}
	memcpy(out, args, args_size);
	memcpy(out, &r, sizeof(r));
	memset(out + args_size, 0, p->out_size - args_size);
	te_edl_plan_write(p, out, TE_EDL_OUT);
	*written = p->out_size;
}

OE_EXTERNC_END

#endif /* _OE_EDGER8R_COMMON_H */
