# Install rules, the CMake package, the pkg-config file and CPack (make package: a .tar.gz and a .deb).
#
# Components:
#   devel    headers, the static library, the CMake package and the pkg-config file
#   runtime  the shared library and the programs installed with jitguard_install_program()
#   python   only in a scikit-build-core build (the wheel): the extension and those same programs
#
# jitguard_install_program(<target>) (cmake/JitguardProgram.cmake) adds programs to both.

if(SKBUILD)
  return()  # the wheel installs only the python component (pyproject.toml: install.components)
endif()

set(_jg_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/jitguard)
install(DIRECTORY include/jitguard DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT devel)
install(TARGETS jitguard EXPORT jitguardTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT devel
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS jitguard_static EXPORT jitguardTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT jitguardTargets NAMESPACE jitguard:: DESTINATION ${_jg_cmake_dir} COMPONENT devel)
configure_package_config_file(cmake/jitguardConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/jitguardConfig.cmake"
  INSTALL_DESTINATION ${_jg_cmake_dir})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/jitguardConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/jitguardConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/jitguardConfigVersion.cmake"
        DESTINATION ${_jg_cmake_dir} COMPONENT devel)

# pkg-config: relocatable (the prefix is found from the .pc file's own place), so the unpacked
# .tar.gz works wherever it is put.
file(RELATIVE_PATH _jg_pc_to_prefix "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
set(JITGUARD_PC_PREFIX "\${pcfiledir}/${_jg_pc_to_prefix}")
string(REGEX REPLACE "/$" "" JITGUARD_PC_PREFIX "${JITGUARD_PC_PREFIX}")
set(JITGUARD_PC_REQUIRES_PRIVATE "re2 simdjson openssl fmt")
if(JITGUARD_WITH_REDIS)
  string(APPEND JITGUARD_PC_REQUIRES_PRIVATE " hiredis")
endif()
if(JITGUARD_WITH_POSTGRES)
  string(APPEND JITGUARD_PC_REQUIRES_PRIVATE " libpq")
endif()
configure_file(cmake/jitguard.pc.in "${CMAKE_CURRENT_BINARY_DIR}/jitguard.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/jitguard.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT devel)

# ---- CPack: one package holding every component above ----------------------------------------------
set(CPACK_PACKAGE_NAME jitguard)
set(CPACK_PACKAGE_VENDOR "jitguard")
set(CPACK_PACKAGE_CONTACT "jitguard maintainers <jitguard@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "C++ library: token verification, policy, just-in-time grants, streaming PII masking, audit")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR "TGZ;DEB")
set(CPACK_PACKAGE_FILE_NAME "jitguard-${PROJECT_VERSION}-Linux-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_COMPONENTS_ALL runtime devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What find_package(jitguard)'s find_dependency calls and the pkg-config Requires need.
set(_jg_deb_depends "libabsl-dev, libre2-dev, libsimdjson-dev, libfmt-dev, libssl-dev (>= 3), pkg-config")
if(JITGUARD_WITH_REDIS)
  string(APPEND _jg_deb_depends ", libhiredis-dev")
endif()
if(JITGUARD_WITH_POSTGRES)
  string(APPEND _jg_deb_depends ", libpq-dev")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_jg_deb_depends}")
include(CPack)

# The package works for a consumer: cpack into a scratch dir, unpack the .tar.gz and the .deb
# (dpkg-deb -x), and build and run examples/consumer against each unpacked tree.
if(JITGUARD_BUILD_TESTS)
  add_test(NAME package.consumer
           COMMAND "${CMAKE_COMMAND}"
                   -DBUILD_DIR=${PROJECT_BINARY_DIR}
                   -DSOURCE_DIR=${PROJECT_SOURCE_DIR}/examples/consumer
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/package-test
                   -DEXPECTED_VERSION=${PROJECT_VERSION} -DCPACK=${CMAKE_CPACK_COMMAND}
                   -P "${PROJECT_SOURCE_DIR}/cmake/RunPackageTest.cmake")
  set_tests_properties(package.consumer PROPERTIES LABELS install TIMEOUT 900)
endif()
