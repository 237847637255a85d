// remora.BlobStore: a named byte store (BlobStore), from rt.blob_store(name).
// Values go in as any bytes-like object and come out as bytes, or into a
// writable buffer the caller keeps (a numpy array, a bytearray): the
// batched get_many_into is what a KV-cache connector that lands blocks in
// buffers of its own wants. The store holds its Runtime; the GIL is let go
// while a call waits on a memory node (the buffers stay referenced).
#include <pybind11/stl.h>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "python/bindings.hpp"
#include "transport/byte_size.hpp"

namespace remora::python {

namespace {

// The store and the Runtime it needs (destroyed in that order).
struct blob_store {
  std::shared_ptr<Runtime> rt;
  BlobStore store;
};

std::uint64_t bytes_of(const py::handle& v) {
  if (py::isinstance<py::int_>(v) && !py::isinstance<py::bool_>(v)) {
    const long long n = v.cast<long long>();
    if (n < 0) throw ConfigError("capacity: a size cannot be negative");
    return static_cast<std::uint64_t>(n);
  }
  if (py::isinstance<py::str>(v)) {
    const auto text = v.cast<std::string>();
    if (auto n = transport::parse_byte_size(text)) return *n;
    throw ConfigError("capacity: '" + text + "' is not a size (bytes, or such as \"8GiB\")");
  }
  throw ConfigError("capacity: a size (bytes, or such as \"8GiB\"), not '" +
                    std::string(py::str(v)) + "'");
}

// A read-only view of a bytes-like object's bytes (C-contiguous).
std::span<const std::byte> bytes_in(const py::buffer_info& b, const char* what) {
  if (b.ndim > 1 && b.strides.back() != b.itemsize)
    throw InvalidObject(std::string(what) + ": a contiguous buffer is needed");
  return {static_cast<const std::byte*>(b.ptr), static_cast<std::size_t>(b.size * b.itemsize)};
}

// A writable buffer's bytes (C-contiguous).
std::span<std::byte> bytes_out(const py::buffer_info& b, const char* what) {
  if (b.readonly) throw InvalidObject(std::string(what) + ": the buffer is read-only");
  if (b.ndim > 1 && b.strides.back() != b.itemsize)
    throw InvalidObject(std::string(what) + ": a contiguous buffer is needed");
  return {static_cast<std::byte*>(b.ptr), static_cast<std::size_t>(b.size * b.itemsize)};
}

py::object bytes_or_none(const std::optional<std::vector<std::byte>>& v) {
  if (!v) return py::none();
  return py::bytes(reinterpret_cast<const char*>(v->data()), v->size());
}

py::object size_or_none(const std::optional<std::size_t>& n) {
  if (!n) return py::none();
  return py::int_(*n);
}

std::chrono::milliseconds pin_of(double seconds) {
  if (!(seconds >= 0)) throw ConfigError("pin: a time cannot be negative");
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000 + 0.5));
}

}  // namespace

py::object open_blob_store(const std::shared_ptr<Runtime>& rt, const std::string& name,
                           const py::object& capacity) {
  BlobStore::options o;
  if (!capacity.is_none()) o.capacity = bytes_of(capacity);
  BlobStore store;
  {
    py::gil_scoped_release free;
    store = rt->blob_store(name, o);
  }
  return py::cast(blob_store{rt, std::move(store)});
}

void bind_blobs(py::module_& m) {
  py::class_<blob_store>(
      m, "BlobStore",
      "A named store of byte values in the pool (rt.blob_store(name)), shared by every "
      "Runtime of the same nodes that opens the name; a cache: keys are evicted least "
      "recently used first, past its capacity or when a node runs out of room.")
      .def_property_readonly("name", [](const blob_store& b) { return b.store.name(); })
      .def(
          "put",
          [](blob_store& b, const std::string& key, const py::buffer& value, double pin) {
            const auto info = value.request();
            const auto bytes = bytes_in(info, "put");
            const auto o = BlobStore::put_options{pin_of(pin)};
            py::gil_scoped_release free;
            b.store.put(key, bytes, o);
          },
          py::arg("key"), py::arg("value"), py::arg("pin") = 0.0,
          "Sets key to value (any bytes-like object), replacing what it held; not evicted for "
          "pin seconds.")
      .def(
          "get",
          [](blob_store& b, const std::string& key) {
            std::optional<std::vector<std::byte>> v;
            {
              py::gil_scoped_release free;
              v = b.store.get(key);
            }
            return bytes_or_none(v);
          },
          py::arg("key"), "The value of key as bytes, or None when it is not there.")
      .def(
          "get_into",
          [](blob_store& b, const std::string& key, const py::buffer& into) {
            const auto info = into.request();
            const auto out = bytes_out(info, "get_into");
            std::optional<std::size_t> n;
            {
              py::gil_scoped_release free;
              n = b.store.get_into(key, out);
            }
            return size_or_none(n);
          },
          py::arg("key"), py::arg("into"),
          "Reads the value of key into the writable buffer into (its first bytes): the value's "
          "size, or None when it is not there. InvalidObject when the buffer is too small.")
      .def(
          "get_many",
          [](blob_store& b, const std::vector<std::string>& keys) {
            std::vector<std::optional<std::vector<std::byte>>> values;
            {
              py::gil_scoped_release free;
              values = b.store.get_many(keys);
            }
            py::list out;
            for (const auto& v : values) out.append(bytes_or_none(v));
            return out;
          },
          py::arg("keys"),
          "The values of keys (None for those not there): one request and one batch of reads "
          "per node.")
      .def(
          "get_many_into",
          [](blob_store& b, const std::vector<std::string>& keys, const py::sequence& buffers) {
            std::vector<py::buffer_info> infos;
            std::vector<std::span<std::byte>> into;
            for (const auto& buffer : buffers) {
              infos.push_back(buffer.cast<py::buffer>().request());
              into.push_back(bytes_out(infos.back(), "get_many_into"));
            }
            std::vector<std::optional<std::size_t>> sizes;
            {
              py::gil_scoped_release free;
              sizes = b.store.get_many_into(keys, into);
            }
            py::list out;
            for (const auto& n : sizes) out.append(size_or_none(n));
            return out;
          },
          py::arg("keys"), py::arg("buffers"),
          "As get_many, each value read into buffers[k] (writable, kept by the caller): the "
          "sizes, None for keys not there. InvalidObject when a buffer is too small.")
      .def(
          "erase",
          [](blob_store& b, const std::string& key) {
            py::gil_scoped_release free;
            return b.store.erase(key);
          },
          py::arg("key"), "Whether key was there; it is not now.")
      .def(
          "__contains__",
          [](blob_store& b, const std::string& key) {
            py::gil_scoped_release free;
            return b.store.contains(key);
          },
          py::arg("key"))
      .def("stats", [](const blob_store& b) {
        BlobStore::figures f;
        {
          py::gil_scoped_release free;
          f = b.store.stats();
        }
        py::dict d;
        d["keys"] = f.keys;
        d["bytes"] = f.bytes;
        d["hits"] = f.hits;
        d["misses"] = f.misses;
        d["evictions"] = f.evictions;
        d["puts"] = f.puts;
        return d;
      });
}

}  // namespace remora::python
