# Helpers for building TAs inside this tree (the TA runtime, test and bench
# TAs).  An installed SDK's users do not need them: their TAs are built by
# their own project's flags.

# A TA runs under a seccomp allow-list with a counted heap, which sanitizer
# runtimes (shadow memory, their own allocator, report files) cannot live
# with: the calling directory drops the sanitizer and fuzzer flags that the
# rest of a `make check` build uses.  Host code, which parses what TAs
# send, keeps them.
macro(te_tee_ta_directory)
  get_directory_property(_te_opts COMPILE_OPTIONS)
  list(FILTER _te_opts EXCLUDE REGEX "sanitize")
  set_directory_properties(PROPERTIES COMPILE_OPTIONS "${_te_opts}")
  get_directory_property(_te_lopts LINK_OPTIONS)
  list(FILTER _te_lopts EXCLUDE REGEX "sanitize")
  set_directory_properties(PROPERTIES LINK_OPTIONS "${_te_lopts}")
endmacro()

# te_tee_ta_key(<file> RSA|EC): a signing key made at build time, RSA-3072
# with exponent 3 (the reference SDK's requirement) or EC P-256.
function(te_tee_ta_key file kind)
  if(kind STREQUAL "EC")
    set(cmd openssl ecparam -name prime256v1 -genkey -noout -out ${file})
  else()
    set(cmd openssl genrsa -out ${file} -3 3072)
  endif()
  add_custom_command(OUTPUT ${file} COMMAND ${cmd} COMMENT "TA signing key ${file}" VERBATIM)
endfunction()

# te_tee_ta_sign(<target> <conf> <signed-out> <key>): te-sign the TA.
function(te_tee_ta_sign target conf out key)
  add_custom_command(OUTPUT ${out}
    COMMAND te_sign sign -e $<TARGET_FILE:${target}> -c ${conf} -k ${key} -o ${out}
    DEPENDS ${target} te_sign ${conf} ${key}
    COMMENT "signing ${out}" VERBATIM)
endfunction()
