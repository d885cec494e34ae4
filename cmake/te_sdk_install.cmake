# te_sdk_install.cmake - every install rule of the Open-Enclave-compatible
# SDK (docs/tee-sdk.md), included from the root CMakeLists.txt after
# src/tee and the tools are configured.
#
# Layout under the prefix, as the reference SDK lays it out:
#   bin/oeedger8r, bin/oesign (and te-edger8r, te-sign)  by tools/edger8r, tools/sign
#   include/openenclave/**                 headers and the system EDLs
#   <libdir>/openenclave/host/liboehost.a
#   <libdir>/openenclave/enclave/liboeenclave.a, liboelibc.a
#   <libdir>/openenclave/cmake/            the CMake package `OpenEnclave`
#   share/pkgconfig/oe{host,enclave}-{gcc,g++,clang,clang++}.pc
include(CMakePackageConfigHelpers)

set(OE_INSTALL_LIBDIR ${CMAKE_INSTALL_LIBDIR}/openenclave)
set(OE_INSTALL_CMAKEDIR ${OE_INSTALL_LIBDIR}/cmake)
set(OE_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_DATAROOTDIR}/pkgconfig)

# Headers, with the system EDLs under include/openenclave/edl/.
install(DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/../include/openenclave
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(TARGETS oehost ARCHIVE DESTINATION ${OE_INSTALL_LIBDIR}/host)
install(TARGETS oeenclave oelibc ARCHIVE DESTINATION ${OE_INSTALL_LIBDIR}/enclave)

# A sanitizer build instruments liboehost.a, so whoever links it needs the
# sanitizer runtimes.  The TA runtime is built without sanitizers (a TA is
# its own process under seccomp), so only the host side carries them.
set(OE_HOST_LINK_OPTIONS "")
if(TE_SANITIZE)
  list(APPEND OE_HOST_LINK_OPTIONS -fsanitize=address,undefined)
endif()
string(REPLACE ";" " " OE_HOST_LINK_FLAGS "${OE_HOST_LINK_OPTIONS}")
if(TE_FUZZ AND NOT TE_SANITIZE)
  # Coverage hooks without a sanitizer runtime to define them.
  message(WARNING "TE_FUZZ without TE_SANITIZE: an installed liboehost.a carries "
    "libFuzzer coverage hooks that programs linking it cannot resolve; "
    "install the SDK from a build without TE_FUZZ")
endif()

# --- CMake package: find_package(OpenEnclave CONFIG REQUIRED) ---
set(_oe_cmake_stage ${CMAKE_BINARY_DIR}/oe-cmake-package)
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/OpenEnclaveConfig.cmake.in
  ${_oe_cmake_stage}/OpenEnclaveConfig.cmake
  INSTALL_DESTINATION ${OE_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR OE_INSTALL_LIBDIR
    CMAKE_INSTALL_DATAROOTDIR)
write_basic_package_version_file(${_oe_cmake_stage}/OpenEnclaveConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
configure_file(${CMAKE_CURRENT_LIST_DIR}/OpenEnclaveTargets.cmake.in
  ${_oe_cmake_stage}/OpenEnclaveTargets.cmake @ONLY)
install(FILES
  ${_oe_cmake_stage}/OpenEnclaveConfig.cmake
  ${_oe_cmake_stage}/OpenEnclaveConfigVersion.cmake
  ${_oe_cmake_stage}/OpenEnclaveTargets.cmake
  DESTINATION ${OE_INSTALL_CMAKEDIR})

# --- pkg-config: one file per side and compiler, as the reference names
# them.  The prefix is written at install time, so `cmake --install
# --prefix DIR` gets files that point into DIR. ---
set(_oe_pc_stage ${CMAKE_BINARY_DIR}/oe-pkgconfig)
foreach(_oe_side host enclave)
  foreach(_oe_cc gcc g++ clang clang++)
    set(OE_PC_COMPILER ${_oe_cc})
    set(OE_PC_CXXLIBS "")
    if(_oe_cc MATCHES "\\+\\+$")
      set(OE_PC_CXXLIBS " -lstdc++")
    endif()
    configure_file(${CMAKE_CURRENT_LIST_DIR}/oe${_oe_side}.pc.in
      ${_oe_pc_stage}/oe${_oe_side}-${_oe_cc}.pc.in @ONLY)
    list(APPEND _oe_pc_files oe${_oe_side}-${_oe_cc}.pc)
  endforeach()
endforeach()
install(CODE "
  foreach(_pc ${_oe_pc_files})
    file(READ \"${_oe_pc_stage}/\${_pc}.in\" _text)
    string(REPLACE \"%PREFIX%\" \"\${CMAKE_INSTALL_PREFIX}\" _text \"\${_text}\")
    file(WRITE \"${_oe_pc_stage}/\${_pc}\" \"\${_text}\")
  endforeach()
")
foreach(_pc ${_oe_pc_files})
  install(FILES ${_oe_pc_stage}/${_pc} DESTINATION ${OE_INSTALL_PKGCONFIGDIR})
endforeach()
unset(_oe_pc_files)
