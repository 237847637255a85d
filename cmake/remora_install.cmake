# Installs the libraries and a CMake package, so that a user project can
# find_package(remora CONFIG REQUIRED). Folders add their library targets to
# the global property REMORA_INSTALLED_TARGETS.
include(CMakePackageConfigHelpers)
get_property(remora_targets GLOBAL PROPERTY REMORA_INSTALLED_TARGETS)
install(TARGETS ${remora_targets} EXPORT remora-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT remora-targets NAMESPACE remora::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/remora)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/remoraConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/remoraConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/remora)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/remoraConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/remora_caf_targets.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/remoraConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/remoraConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/remora)
