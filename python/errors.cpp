// remora.Error and its subclasses: each C++ error arrives as the Python
// class of the same name, its message unchanged.
#include "python/bindings.hpp"

namespace remora::python {

void bind_errors(py::module_& m) {
  // pybind11 tries translators last registered first: the base goes first.
  static py::exception<Error> base(m, "Error", PyExc_RuntimeError);
  static py::exception<ConfigError> config(m, "ConfigError", base.ptr());
  static py::exception<NodeUnavailable> node(m, "NodeUnavailable", base.ptr());
  static py::exception<OutOfMemory> memory(m, "OutOfMemory", base.ptr());
  static py::exception<InvalidObject> invalid(m, "InvalidObject", base.ptr());
  static py::exception<ObjectLost> lost(m, "ObjectLost", base.ptr());
  static py::exception<ProtocolError> protocol(m, "ProtocolError", base.ptr());
  static py::exception<AuthError> auth(m, "AuthError", base.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ConfigError& e) {
      config(e.what());
    } catch (const NodeUnavailable& e) {
      node(e.what());
    } catch (const OutOfMemory& e) {
      memory(e.what());
    } catch (const InvalidObject& e) {
      invalid(e.what());
    } catch (const ObjectLost& e) {
      lost(e.what());
    } catch (const ProtocolError& e) {
      protocol(e.what());
    } catch (const AuthError& e) {
      auth(e.what());
    } catch (const Error& e) {
      base(e.what());
    }
  });
}

}  // namespace remora::python
