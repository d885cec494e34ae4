/* marshal_types.h - header types marshal.edl uses as opaque by-value
 * types ([isptr]/[isary] included). */
#ifndef MARSHAL_TYPES_H
#define MARSHAL_TYPES_H

#include <stdint.h>

typedef struct mt_pair {
	int x;
	int y;
} mt_pair_t;

typedef int mt_arr_t[4];
typedef uint8_t *mt_ptr_t;

#endif
