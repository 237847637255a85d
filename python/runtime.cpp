// remora.Runtime and remora.Scope. A Runtime lives while any Python object
// made from it does (arrays hold it); the GIL is let go while it starts,
// and wherever a call may wait on a memory node.
#include <string>

#include "python/bindings.hpp"

namespace remora::python {

void scope::enter() {
  if (open_) throw InvalidObject("this scope is open already (a scope is entered once at a time)");
  thread_ = std::this_thread::get_id();
  open_ = std::make_unique<DerefScope>();
}

void scope::exit() {
  if (open_ && thread_ != std::this_thread::get_id())
    throw InvalidObject("a scope is closed on the thread that opened it");
  open_.reset();
}

DerefScope& scope::get() {
  if (!open_) throw InvalidObject("the scope is closed: views are made inside `with rt.scope()`");
  if (thread_ != std::this_thread::get_id())
    throw InvalidObject("the scope belongs to another thread");
  return *open_;
}

namespace {

py::dict dict_of(const Stats& s) {
  py::dict d;
  d["hits"] = s.hits;
  d["misses"] = s.misses;
  d["prefetch_issued"] = s.prefetch_issued;
  d["prefetch_hits"] = s.prefetch_hits;
  d["prefetch_wasted"] = s.prefetch_wasted;
  d["evictions"] = s.evictions;
  d["taken_back"] = s.taken_back;
  d["writebacks"] = s.writebacks;
  d["writeback_failures"] = s.writeback_failures;
  d["bytes_in"] = s.bytes_in;
  d["bytes_out"] = s.bytes_out;
  d["demotions"] = s.demotions;
  d["promotions"] = s.promotions;
  d["failovers"] = s.failovers;
  d["repairs"] = s.repairs;
  d["objects_lost"] = s.objects_lost;
  d["rebalanced"] = s.rebalanced;
  d["packed_reads"] = s.packed_reads;
  d["packed_bytes_saved"] = s.packed_bytes_saved;
  d["dram_used"] = s.dram_used;
  d["dram_capacity"] = s.dram_capacity;
  d["cxl_used"] = s.cxl_used;
  d["cxl_capacity"] = s.cxl_capacity;
  d["hbm_used"] = s.hbm_used;
  d["hbm_capacity"] = s.hbm_capacity;
  return d;
}

}  // namespace

void bind_runtime(py::module_& m) {
  py::class_<scope>(m, "Scope",
                    "While open (`with rt.scope() as s:`), what the thread reads stays where it "
                    "is: views from span() are valid inside it and not after.")
      .def(
          "__enter__",
          [](scope& s) -> scope& {
            s.enter();
            return s;
          },
          py::return_value_policy::reference)
      .def("__exit__", [](scope& s, const py::args&) { s.exit(); })
      .def_property_readonly("open", &scope::open);

  py::class_<Runtime, std::shared_ptr<Runtime>>(
      m, "Runtime",
      "Runtime(**options): the keywords are Options' setters (dram_cache='256MiB', "
      "memory_nodes=['host:port', ...], replicas=2, timeout=5.0, ...); none: an embedded "
      "memory node in this process.")
      .def(py::init([](const py::kwargs& keywords) {
        Options o = options_from(keywords);
        py::gil_scoped_release free;
        return std::make_shared<Runtime>(o);
      }))
      .def("array", &make_array, py::arg("dtype"), py::arg("n"),
           py::arg("chunk_bytes") = array_chunk_bytes,
           "An array of n zeroes of dtype (float32, float64, int32, int64, uint32, uint64), "
           "in remote objects of about chunk_bytes each (a miss moves one).")
      .def("open_array", &open_array, py::arg("name"), py::arg("dtype"),
           "The array published as name, read-only (InvalidObject: no such name, or elements "
           "of another size).")
      .def("publish", &publish, py::arg("name"), py::arg("array"),
           "Publishes array as name and returns a read-only view of it; the array is "
           "unusable from then on.")
      .def(
          "unpublish",
          [](Runtime& rt, const std::string& name) {
            py::gil_scoped_release free;
            rt.unpublish(name);
          },
          py::arg("name"))
      .def("blob_store", &open_blob_store, py::arg("name"), py::arg("capacity") = py::none(),
           "The blob store named name (a remora.BlobStore), keeping at most capacity bytes of "
           "values on each node (bytes, or such as \"8GiB\"; None: until the node runs out of "
           "room).")
      .def("scope", [](const Runtime&) { return scope(); })
      .def("stats", [](const Runtime& rt) { return dict_of(rt.stats()); });
}

}  // namespace remora::python
