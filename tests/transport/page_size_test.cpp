// kernel_page_bytes reads the page size of the mapping that holds an address
// from /proc/self/smaps, as the memory node reports its arena's pages.
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "transport/page_size.hpp"

using remora::transport::kernel_page_bytes;

TEST_CASE("the page size of a mapping is read from smaps, nothing for an unmapped address",
          "[page-size]") {
  const std::size_t small = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  int on_stack = 0;
  CHECK(kernel_page_bytes(&on_stack) == small);

  const std::size_t bytes = 1 << 20;
  void* mapped = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mapped != MAP_FAILED);
  CHECK(kernel_page_bytes(static_cast<char*>(mapped) + bytes - 1) == small);
  ::munmap(mapped, bytes);
  CHECK_FALSE(kernel_page_bytes(mapped).has_value());  // no longer mapped
  CHECK_FALSE(kernel_page_bytes(reinterpret_cast<void*>(std::uintptr_t{16})).has_value());
}

TEST_CASE("a mapping in reserved huge pages reads as 2 MiB pages", "[page-size]") {
  const std::size_t huge = 2u << 20;
  void* mapped = ::mmap(nullptr, huge, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
  if (mapped == MAP_FAILED) {
    WARN("SKIPPED: no 2 MiB huge page is reserved here (vm.nr_hugepages)");
    return;
  }
  static_cast<char*>(mapped)[0] = 1;
  CHECK(kernel_page_bytes(mapped) == huge);
  ::munmap(mapped, huge);
}
