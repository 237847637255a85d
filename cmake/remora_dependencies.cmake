# Finds Remora's dependencies. Each failure names the Debian package that
# provides what is missing, so a newcomer knows what to install.

function(remora_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR
      "Remora needs ${what}, which was not found.\n"
      "On Debian: apt-get install -y ${package}\n"
      "(or run scripts/setup.sh, which installs everything Remora needs)")
  endif()
endfunction()

# UCX ships a CMake package; its targets carry no link dependencies, so
# ucx::ucp needs ucx::ucs beside it.
find_package(ucx 1.13 QUIET CONFIG)
remora_require(ucx_FOUND "UCX >= 1.13 (ucp.h, libucp)" "libucx-dev ucx-utils")

# CAF 0.17 ships no CMake package, Find module or .pc file.
include(${CMAKE_CURRENT_LIST_DIR}/remora_caf_targets.cmake)
remora_require(CAF_INCLUDE_DIR "the C++ Actor Framework headers (caf/all.hpp)" libcaf-dev)
remora_require(CAF_CORE_LIBRARY "the C++ Actor Framework (libcaf_core)" libcaf-dev)
remora_require(CAF_IO_LIBRARY "the C++ Actor Framework (libcaf_io)" libcaf-dev)
remora_require(CAF_OPENSSL_LIBRARY "the C++ Actor Framework (libcaf_openssl)" libcaf-dev)
find_package(Threads REQUIRED)

find_package(RocksDB QUIET CONFIG)
remora_require(RocksDB_FOUND "RocksDB (rocksdb/db.h, librocksdb)" librocksdb-dev)

find_path(NUMA_INCLUDE_DIR numa.h)
find_library(NUMA_LIBRARY numa)
remora_require(NUMA_INCLUDE_DIR "libnuma headers (numa.h)" libnuma-dev)
remora_require(NUMA_LIBRARY "libnuma" libnuma-dev)
if(NOT TARGET numa::numa)
  add_library(numa::numa SHARED IMPORTED GLOBAL)
  set_target_properties(numa::numa PROPERTIES
    IMPORTED_LOCATION ${NUMA_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${NUMA_INCLUDE_DIR})
endif()

# ISA-L: the payload checksums (crc32c) of storage/crc32c.cpp.
find_path(ISAL_INCLUDE_DIR isa-l/crc.h)
find_library(ISAL_LIBRARY isal)
remora_require(ISAL_INCLUDE_DIR "ISA-L headers (isa-l/crc.h)" libisal-dev)
remora_require(ISAL_LIBRARY "ISA-L (libisal)" libisal-dev)
if(NOT TARGET isal::isal)
  add_library(isal::isal SHARED IMPORTED GLOBAL)
  set_target_properties(isal::isal PROPERTIES
    IMPORTED_LOCATION ${ISAL_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${ISAL_INCLUDE_DIR})
endif()

if(REMORA_BUILD_TESTS)
  find_package(Catch2 2 QUIET)
  remora_require(Catch2_FOUND "Catch2 2.x" catch2)
endif()
if(REMORA_BUILD_BENCH)
  find_package(benchmark QUIET)
  remora_require(benchmark_FOUND "Google Benchmark" libbenchmark-dev)
endif()

# CUDA is optional: AUTO turns it on when the toolkit (nvcc) is found.
set(REMORA_HAVE_CUDA OFF)
if(NOT REMORA_WITH_CUDA STREQUAL "OFF")
  if(NOT CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    set(REMORA_HAVE_CUDA ON)
  elseif(REMORA_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR
      "REMORA_WITH_CUDA=ON but no CUDA Toolkit (nvcc) was found. Install the CUDA "
      "Toolkit (Debian: nvidia-cuda-toolkit) or configure with -DREMORA_WITH_CUDA=AUTO.")
  endif()
endif()
message(STATUS "Remora: CUDA (HBM tier) support ${REMORA_HAVE_CUDA}")
