// The tests' main: Catch2's own, without its POSIX signal handlers. A test
// that dies of a signal then dies at once, with the signal ctest reports.
// Catch2's handler writes its report through the heap: a fault that glibc's
// malloc aborts on while holding its lock (a corrupted heap) left the
// handler waiting on that lock forever, and the test hung until ctest's
// timeout instead of failing (once in the suite, 2026-12-06).
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#include <catch2/catch.hpp>
