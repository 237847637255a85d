// The tests' main: Catch2's own, without its POSIX signal handlers. A test
// that dies of a signal then dies at once, with the signal ctest reports.
// Catch2's handler writes its report through the heap: after an abort that
// glibc's malloc raises while holding its lock (a corrupted heap), it can
// wait on that lock forever. A test whose only output was glibc's "break
// adjusted to free malloc space" hung so until ctest's 600 s timeout
// (client_test, once, 2026-12-06) instead of failing at once.
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#include <catch2/catch.hpp>
