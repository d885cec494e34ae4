/*
 * marshal_test.h - what the two halves of edger8r.marshal share.  The
 * host half (test_marshal_host.c, includes marshal_u.h) and the enclave
 * half (test_marshal_enclave.c, includes marshal_t.h) cannot see each
 * other's headers (host.h and enclave.h exclude each other), so the
 * in-process loopback crosses between them through these plain functions.
 */
#ifndef MARSHAL_TEST_H
#define MARSHAL_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <openenclave/bits/result.h>

/* Enclave half: runs the ECALL called name from oe_ecalls_table the way
 * the TA runtime does (input and output in memory of its own, exactly the
 * sizes given).  OE_NOT_FOUND when there is no such ECALL. */
oe_result_t loop_ta_dispatch(const char *name, const uint8_t *in, size_t insz, uint8_t *out,
                             size_t outsz, size_t *written);
/* How many ECALL implementations ran, and the last pointers they got. */
unsigned long ta_impl_calls(void);
const void *ta_last_ptr(void);
const void *ta_user_check_p(void);
const void *ta_user_check_q(void);

/* Host half: runs OCALL id from the table oe_create_enclave was given. */
oe_result_t loop_host_ocall(size_t id, int switchless, const uint8_t *in, size_t insz, uint8_t *out,
                            size_t outsz, size_t *written);

/* Enclave-half tests: crafted inputs to the ECALL wrappers. */
void test_ta_valid_crafted(void **state);
void test_ta_truncated_args(void **state);
void test_ta_size_past_end(void **state);
void test_ta_offset_past_end(void **state);
void test_ta_overlap_args(void **state);
void test_ta_overlap_buffers(void **state);
void test_ta_gap(void **state);
void test_ta_size_mismatch(void **state);
void test_ta_count_overflow(void **state);
void test_ta_string_no_nul(void **state);
void test_ta_negative_count(void **state);
void test_ta_output_too_small(void **state);
void test_ta_out_offset_wrong(void **state);
void test_ta_null_with_size(void **state);
void test_ta_deep_child(void **state);
void test_ta_no_room_for_args(void **state);
void test_ta_ocall_reply_refused(void **state);

/* Host half: makes the next OCALL replies lie (set by the enclave half's
 * test, applied by loop_host_ocall). */
void loop_set_ocall_tamper(void (*fn)(uint8_t *out, size_t outsz, size_t *written));

#endif
