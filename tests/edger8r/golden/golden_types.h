/* golden_types.h - the header include.edl includes. */
#ifndef GOLDEN_TYPES_H
#define GOLDEN_TYPES_H

#include <stdint.h>

typedef struct golden_pair {
	int a;
	int b;
} golden_pair_t;

typedef uint8_t *golden_ptr_t;
typedef int golden_arr_t[4];

#endif
