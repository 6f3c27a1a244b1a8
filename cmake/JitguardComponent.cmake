# Components: every lib/<name>/ folder is one component, compiled once as an OBJECT library and
# exposed to tests and benchmarks as a small STATIC library (jitguard_<name>). The installed libraries
# (jitguard, shared, and jitguard_static) are made from the objects of every component.

add_library(jitguard_headers INTERFACE)
target_include_directories(jitguard_headers INTERFACE
  "${PROJECT_SOURCE_DIR}/include" "${PROJECT_SOURCE_DIR}")
target_link_libraries(jitguard_headers INTERFACE absl::status absl::statusor absl::time absl::strings)

set_property(GLOBAL PROPERTY JITGUARD_COMPONENTS "")
set_property(GLOBAL PROPERTY JITGUARD_EXTERNAL_DEPS "")

# jitguard_component(<name> SOURCES <files...> [DEPS <targets...>])
#   DEPS may name other components (jitguard_<other>) and external imported targets.
function(jitguard_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(obj jitguard_${name}_obj)
  add_library(${obj} OBJECT ${ARG_SOURCES})
  target_compile_definitions(${obj} PRIVATE JITGUARD_BUILDING_LIBRARY)
  target_link_libraries(${obj} PUBLIC jitguard_headers ${ARG_DEPS} PRIVATE jitguard_warnings)

  add_library(jitguard_${name} STATIC $<TARGET_OBJECTS:${obj}>)
  target_link_libraries(jitguard_${name} PUBLIC jitguard_headers ${ARG_DEPS})

  set_property(GLOBAL APPEND PROPERTY JITGUARD_COMPONENTS ${name})
  foreach(dep IN LISTS ARG_DEPS)
    if(NOT dep MATCHES "^jitguard_")
      set_property(GLOBAL APPEND PROPERTY JITGUARD_EXTERNAL_DEPS ${dep})
    endif()
  endforeach()
endfunction()

function(jitguard_finish_library)
  get_property(components GLOBAL PROPERTY JITGUARD_COMPONENTS)
  get_property(external GLOBAL PROPERTY JITGUARD_EXTERNAL_DEPS)
  list(REMOVE_DUPLICATES external)
  set(objects "")
  foreach(c IN LISTS components)
    list(APPEND objects $<TARGET_OBJECTS:jitguard_${c}_obj>)
  endforeach()

  add_library(jitguard SHARED ${objects})
  add_library(jitguard_static STATIC ${objects})
  set_target_properties(jitguard_static PROPERTIES OUTPUT_NAME jitguard)
  set_target_properties(jitguard PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  foreach(lib jitguard jitguard_static)
    target_include_directories(${lib} PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_link_libraries(${lib} PUBLIC absl::status absl::statusor absl::time absl::strings)
    target_link_libraries(${lib} PRIVATE ${external})
    target_compile_features(${lib} PUBLIC cxx_std_20)
  endforeach()
  add_library(jitguard::jitguard ALIAS jitguard)
  add_library(jitguard::jitguard_static ALIAS jitguard_static)
  set(JITGUARD_COMPONENT_LIST "${components}" PARENT_SCOPE)
endfunction()
