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

# OpenSSL's libcrypto: digests (the scope of published names in etcd).
find_package(OpenSSL QUIET)
remora_require(OPENSSL_FOUND "OpenSSL (openssl/evp.h, libcrypto)" libssl-dev)

# CLI11 (header-only): every program's command line.
find_package(CLI11 QUIET CONFIG)
remora_require(CLI11_FOUND "CLI11 (CLI/CLI.hpp)" libcli11-dev)

# prometheus-cpp: remora-memnode's /metrics.
find_package(prometheus-cpp QUIET CONFIG)
remora_require(prometheus-cpp_FOUND "prometheus-cpp (prometheus/exposer.h)" prometheus-cpp-dev)

# libsystemd: remora-memnode tells systemd when it is ready (Type=notify).
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(SYSTEMD QUIET IMPORTED_TARGET libsystemd)
endif()
remora_require(SYSTEMD_FOUND "libsystemd (systemd/sd-daemon.h)" "libsystemd-dev pkg-config")

find_package(RocksDB QUIET CONFIG)
remora_require(RocksDB_FOUND "RocksDB (rocksdb/db.h, librocksdb)" librocksdb-dev)

# A library without a CMake package, as the imported target NAME::NAME:
# its header HEADER, its library LIB, from Debian's PACKAGE.
function(remora_imported_library name header lib what package)
  string(TOUPPER ${name} upper)
  find_path(${upper}_INCLUDE_DIR ${header})
  find_library(${upper}_LIBRARY ${lib})
  remora_require(${upper}_INCLUDE_DIR "${what} headers (${header})" ${package})
  remora_require(${upper}_LIBRARY "${what} (lib${lib})" ${package})
  if(NOT TARGET ${name}::${name})
    add_library(${name}::${name} SHARED IMPORTED GLOBAL)
    set_target_properties(${name}::${name} PROPERTIES
      IMPORTED_LOCATION ${${upper}_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${${upper}_INCLUDE_DIR})
  endif()
endfunction()

remora_imported_library(numa numa.h numa "libnuma" libnuma-dev)
# ISA-L: the payload checksums (crc32c) of storage/crc32c.cpp.
remora_imported_library(isal isa-l/crc.h isal "ISA-L" libisal-dev)
# zstd: payloads packed for slow links (storage/packed_payload.cpp).
remora_imported_library(zstd zstd.h zstd "zstd" libzstd-dev)

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
