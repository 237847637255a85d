// What the Python module's files share: each binds one part of the API
// (errors, options, the Runtime, arrays, blob stores) into the module
// `remora`.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <thread>

#include "remora/remora.hpp"

namespace remora::python {

namespace py = pybind11;

/// remora.Error and its subclasses, with the C++ errors translated to them.
void bind_errors(py::module_& m);
/// Options from Runtime(**keywords): the names of Options' setters.
Options options_from(const py::kwargs& keywords);
/// remora.Runtime and remora.Scope.
void bind_runtime(py::module_& m);
/// The array and view classes, one of each per element type.
void bind_arrays(py::module_& m);
/// remora.BlobStore.
void bind_blobs(py::module_& m);

// The Runtime's array methods, which pick the element type from a numpy
// dtype (arrays.cpp).
py::object make_array(const std::shared_ptr<Runtime>& rt, const py::object& dtype, std::size_t n,
                      std::size_t chunk_bytes);
py::object open_array(const std::shared_ptr<Runtime>& rt, const std::string& name,
                      const py::object& dtype);
py::object publish(const std::shared_ptr<Runtime>& rt, const std::string& name,
                   const py::object& array);
// The Runtime's blob_store (blobs.cpp): capacity in bytes or as "8GiB".
py::object open_blob_store(const std::shared_ptr<Runtime>& rt, const std::string& name,
                           const py::object& capacity);

/// `with rt.scope() as s:` -- a DerefScope, opened on entry and closed on
/// exit, on the thread that entered it. Views (span) are valid while it is
/// open.
class scope {
 public:
  void enter();
  void exit();
  bool open() const { return open_ != nullptr; }
  /// The open scope; InvalidObject when it is closed or another thread's.
  DerefScope& get();

 private:
  std::unique_ptr<DerefScope> open_;
  std::thread::id thread_;
};

}  // namespace remora::python
