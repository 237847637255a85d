# Imported targets for CAF 0.17, which ships no CMake package: caf::core,
# caf::io and caf::openssl. Used by the build and by the installed package.
find_path(CAF_INCLUDE_DIR caf/all.hpp)
find_library(CAF_CORE_LIBRARY caf_core)
find_library(CAF_IO_LIBRARY caf_io)
find_library(CAF_OPENSSL_LIBRARY caf_openssl)
if(CAF_INCLUDE_DIR AND CAF_CORE_LIBRARY AND CAF_IO_LIBRARY AND CAF_OPENSSL_LIBRARY)
  find_package(Threads REQUIRED)
  foreach(part core io openssl)
    string(TOUPPER ${part} upper)
    if(NOT TARGET caf::${part})
      add_library(caf::${part} SHARED IMPORTED GLOBAL)
      set_target_properties(caf::${part} PROPERTIES
        IMPORTED_LOCATION ${CAF_${upper}_LIBRARY}
        INTERFACE_INCLUDE_DIRECTORIES ${CAF_INCLUDE_DIR})
    endif()
  endforeach()
  set_property(TARGET caf::core PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads)
  set_property(TARGET caf::io PROPERTY INTERFACE_LINK_LIBRARIES caf::core)
  set_property(TARGET caf::openssl PROPERTY INTERFACE_LINK_LIBRARIES caf::io)
endif()
