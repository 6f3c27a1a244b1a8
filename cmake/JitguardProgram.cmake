# Included before any subdirectory, so every CMakeLists.txt can call it.
#
# jitguard_install_program(<target>)
#   Installs a C++ executable everywhere jitguard ships: into bin/ of the C++ package (component
#   runtime) and, in the wheel build, into the Python package as jitguard/bin/<target> (component
#   python; auditwheel repairs it along with the extension and jitguard/_programs.py runs it).
function(jitguard_install_program target)
  if(SKBUILD)
    install(TARGETS ${target} RUNTIME DESTINATION jitguard/bin COMPONENT python)
  else()
    install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  endif()
endfunction()
