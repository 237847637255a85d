# libremora.so.MAJOR: the five libraries in one shared object with a
# SONAME, beside the static ones (which the CMake package exports), for
# programs that link by pkg-config (remora.pc). Its dependencies (CAF, UCX,
# RocksDB, ...) are its own DT_NEEDED entries. Not in sanitizer builds.
if(REMORA_ASAN OR REMORA_TSAN OR REMORA_FUZZ)
  return()
endif()
get_property(remora_targets GLOBAL PROPERTY REMORA_INSTALLED_TARGETS)
set(remora_objects)
foreach(target ${remora_targets})
  list(APPEND remora_objects $<TARGET_OBJECTS:${target}>)
endforeach()
add_library(remora_shared SHARED ${remora_objects})
# The static libraries bring their dependencies; their objects are all in
# already, so nothing of theirs is linked twice.
target_link_libraries(remora_shared PRIVATE ${remora_targets})
set_target_properties(remora_shared PROPERTIES
  OUTPUT_NAME remora
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR})
install(TARGETS remora_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# remora.pc finds the prefix from where it lies: relocatable (cmake --install --prefix).
string(REGEX MATCHALL "[^/]+" pc_dirs "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
set(REMORA_PC_PREFIX "\${pcfiledir}")
foreach(dir ${pc_dirs})
  string(APPEND REMORA_PC_PREFIX "/..")
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/remora.pc.in ${PROJECT_BINARY_DIR}/remora.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/remora.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
