/* marshal_rename.h - forced into the enclave-side translation units of
 * edger8r.marshal (marshal_t.c, test_marshal_enclave.c): the ECALL
 * implementations and OCALL stubs get ta_ names there, so they do not
 * collide with the host-side stubs and implementations of the same EDL
 * names.  The names in oe_ecalls_table are string literals and stay. */
#ifndef MARSHAL_RENAME_H
#define MARSHAL_RENAME_H

#define ecall_scalars          ta_ecall_scalars
#define ecall_in               ta_ecall_in
#define ecall_out              ta_ecall_out
#define ecall_inout            ta_ecall_inout
#define ecall_string           ta_ecall_string
#define ecall_count_size       ta_ecall_count_size
#define ecall_arrays           ta_ecall_arrays
#define ecall_user_check       ta_ecall_user_check
#define ecall_deep             ta_ecall_deep
#define ecall_deep_in          ta_ecall_deep_in
#define ecall_switchless       ta_ecall_switchless
#define ecall_isptr_isary      ta_ecall_isptr_isary
#define ecall_call_ocalls      ta_ecall_call_ocalls
#define ecall_ret_struct       ta_ecall_ret_struct
#define ecall_null             ta_ecall_null
#define ecall_signed_count     ta_ecall_signed_count
#define ecall_noargs           ta_ecall_noargs
#define ecall_out_ptrs         ta_ecall_out_ptrs
#define ecall_deep_out         ta_ecall_deep_out
#define ecall_ptr_out          ta_ecall_ptr_out
#define ocall_scalars          ta_ocall_scalars
#define ocall_in               ta_ocall_in
#define ocall_out              ta_ocall_out
#define ocall_inout            ta_ocall_inout
#define ocall_string           ta_ocall_string
#define ocall_deep             ta_ocall_deep
#define ocall_switchless       ta_ocall_switchless
#define ocall_errno            ta_ocall_errno
#define ocall_allow            ta_ocall_allow
#define ocall_deep_out         ta_ocall_deep_out
#define oe_syscall_write_ocall ta_oe_syscall_write_ocall

#endif
