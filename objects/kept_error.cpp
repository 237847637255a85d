// Errors of the out-of-line steps the inline access paths call: kept per
// thread until the inline path throws them (deref_scope.hpp says why).
#include <exception>
#include <stdexcept>
#include <utility>

#include "remora/detail/object_record.hpp"

namespace remora::detail {

namespace {
thread_local std::exception_ptr thread_error;
}  // namespace

void keep_error() noexcept {
  thread_error = std::current_exception();
}

void raise_kept() {
  std::exception_ptr error = std::exchange(thread_error, nullptr);
  if (!error) error = std::make_exception_ptr(std::logic_error("remora: no error was kept"));
  std::rethrow_exception(error);
}

void* deref_slow_kept(object_record* r, object_runtime* rt, bool for_write,
                      bool scanning) noexcept {
  try {
    return rt->deref_slow(r, for_write, scanning);
  } catch (...) {
    keep_error();
    return nullptr;
  }
}

}  // namespace remora::detail
