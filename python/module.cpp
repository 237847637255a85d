// The Python module `remora` (API.md, "Python").
#include "python/bindings.hpp"

PYBIND11_MODULE(remora, m) {
  m.doc() =
      "Remora: far-memory arrays in a pool of memory nodes, read and written as numpy arrays.";
  remora::python::bind_errors(m);
  remora::python::bind_runtime(m);
  remora::python::bind_arrays(m);
  remora::python::bind_blobs(m);
}
