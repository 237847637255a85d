// remora.Error and its subclasses: each C++ error arrives as the Python
// class of the same name, its message unchanged.
#include "python/bindings.hpp"

namespace remora::python {

void bind_errors(py::module_& m) {
  // pybind11 tries translators last registered first: the base goes first,
  // so that each subclass is caught as itself.
  const auto base = py::register_exception<Error>(m, "Error", PyExc_RuntimeError);
  py::register_exception<ConfigError>(m, "ConfigError", base);
  py::register_exception<NodeUnavailable>(m, "NodeUnavailable", base);
  py::register_exception<OutOfMemory>(m, "OutOfMemory", base);
  py::register_exception<InvalidObject>(m, "InvalidObject", base);
  py::register_exception<ObjectLost>(m, "ObjectLost", base);
  py::register_exception<ProtocolError>(m, "ProtocolError", base);
  py::register_exception<AuthError>(m, "AuthError", base);
  py::register_exception<AccessConflict>(m, "AccessConflict", base);
}

}  // namespace remora::python
