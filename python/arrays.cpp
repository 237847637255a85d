// The array classes: remora.Array<dtype> (read and written) and
// remora.View<dtype> (a published array, read-only), for each element type
// numpy and Remora share. Indexing reads or writes one element; slicing
// copies to or from numpy; gather reads rows in one batched fetch; span
// is a zero-copy numpy view of one chunk, valid inside an open scope.
//
// Every read or write lets go of the GIL: another Python thread runs while
// this one waits on a memory node. Any number of threads may read one array
// at once; a write needs that no other thread uses the array meanwhile.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "objects/gather.hpp"
#include "python/bindings.hpp"

namespace remora::python {

namespace {

template <class T>
struct py_array {
  std::shared_ptr<Runtime> rt;  // first: it outlives the array
  Array<T> array;
  std::optional<std::string> published_as;  // then the array is the view's

  Array<T>& live() {
    if (published_as)
      throw InvalidObject("this array was published as '" + *published_as +
                          "': read it through the view publish() returned");
    return array;
  }
  const Array<T>& live() const { return const_cast<py_array*>(this)->live(); }
};

template <class T>
struct py_view {
  std::shared_ptr<Runtime> rt;
  ArrayView<T> view;
};

template <class T>
using numpy = py::array_t<T, py::array::c_style | py::array::forcecast>;

std::size_t index_of(std::int64_t i, std::size_t size) {
  const std::int64_t at = i < 0 ? i + static_cast<std::int64_t>(size) : i;
  if (at < 0 || static_cast<std::uint64_t>(at) >= size)
    throw py::index_error("index " + std::to_string(i) + " is outside an array of " +
                          std::to_string(size));
  return static_cast<std::size_t>(at);
}

// Elements [from, from + count) of `a` into `to`, a scope per chunk.
template <class T, class H>
void copy_out(const H& a, std::size_t from, std::size_t count, T* to) {
  for (std::size_t i = from, end = from + count; i < end;) {
    DerefScope scope;
    const std::span<const T> in = a.span(scope, i);
    const std::size_t n = std::min(in.size(), end - i);
    std::memcpy(to, in.data(), n * sizeof(T));
    to += n;
    i += n;
  }
}

// Reads `a[key]`: an element for an integer, a numpy copy for a slice.
template <class T, class H>
py::object get_item(const H& a, const py::object& key) {
  if (py::isinstance<py::slice>(key)) {
    std::size_t start = 0, stop = 0, step = 0, count = 0;
    if (!key.cast<py::slice>().compute(a.size(), &start, &stop, &step, &count))
      throw py::error_already_set();
    numpy<T> out(count);
    T* to = out.mutable_data();
    {
      py::gil_scoped_release free;
      if (step == 1) {
        copy_out<T>(a, start, count, to);
      } else {
        for (std::size_t k = 0; k < count; ++k) to[k] = a.read(start + k * step);
      }
    }
    return out;
  }
  const std::size_t i = index_of(key.cast<std::int64_t>(), a.size());
  T value;
  {
    py::gil_scoped_release free;
    value = a.read(i);
  }
  return py::cast(value);
}

// Writes `a[key] = values`: one element, or a slice from a numpy array (or
// anything numpy makes one from) of its length, or of one element.
template <class T>
void set_item(Array<T>& a, const py::object& key, const py::object& values) {
  if (!py::isinstance<py::slice>(key)) {
    const std::size_t i = index_of(key.cast<std::int64_t>(), a.size());
    const T value = values.cast<T>();
    py::gil_scoped_release free;
    a.write(i, value);
    return;
  }
  std::size_t start = 0, stop = 0, step = 0, count = 0;
  if (!key.cast<py::slice>().compute(a.size(), &start, &stop, &step, &count))
    throw py::error_already_set();
  const auto in = numpy<T>::ensure(values);
  if (!in) throw py::error_already_set();
  const std::size_t given = static_cast<std::size_t>(in.size());
  if (given != count && given != 1)
    throw py::value_error("cannot assign " + std::to_string(given) + " values to a slice of " +
                          std::to_string(count));
  const T* from = in.data();
  py::gil_scoped_release free;
  for (std::size_t k = 0, i = start; k < count;) {
    DerefScope scope;
    if (step == 1) {
      const std::span<T> out = a.span_mut(scope, i);
      const std::size_t n = std::min(out.size(), count - k);
      if (given == 1)
        std::fill_n(out.data(), n, *from);
      else
        std::memcpy(out.data(), from + k, n * sizeof(T));
      k += n;
      i += n;
    } else {
      a.at_mut(scope, i) = from[given == 1 ? 0 : k];
      ++k;
      i += step;
    }
  }
}

// Rows `ids` of `width` elements each (row r at elements r*width ...), as
// GatherServer gathers them (objects::copy_rows): all their chunks fetched
// in one batch, then copied.
template <class T, class H>
numpy<T> gather(const H& a, const py::object& ids_in, std::size_t width) {
  if (width == 0) throw py::value_error("width must be at least 1");
  const auto ids = numpy<std::int64_t>::ensure(ids_in);
  if (!ids) throw py::error_already_set();
  const std::size_t n = static_cast<std::size_t>(ids.size()), rows = a.size() / width;
  const std::int64_t* id = ids.data();
  for (std::size_t k = 0; k < n; ++k)
    if (id[k] < 0 || static_cast<std::uint64_t>(id[k]) >= rows)
      throw InvalidObject("row " + std::to_string(id[k]) + " is outside an array of " +
                          std::to_string(rows) + (width == 1 ? " elements" : " rows"));
  numpy<T> out = width == 1 ? numpy<T>(n) : numpy<T>({n, width});
  T* to = out.mutable_data();
  {
    py::gil_scoped_release free;
    // (The ids were checked to be at least 0: as unsigned, the same rows.)
    objects::copy_rows(a, width, {reinterpret_cast<const std::uint64_t*>(id), n}, to);
  }
  return out;
}

// A numpy view of the chunk that holds element i, from i to the chunk's
// end, valid while `s` stays open; writable only when asked for (the chunk
// is then marked to be written back).
template <class T, class H>
py::array span(H& a, const py::object& s, std::int64_t i, bool writable) {
  scope& open = s.cast<scope&>();
  DerefScope& d = open.get();
  const std::size_t at = index_of(i, a.size());
  std::span<const T> view;
  {
    py::gil_scoped_release free;
    if constexpr (requires { a.span_mut(d, at); }) {
      if (writable)
        view = a.span_mut(d, at);
      else
        view = a.span(d, at);
    } else {
      if (writable) throw InvalidObject("a published array is read-only");
      view = a.span(d, at);
    }
  }
  py::array out(py::dtype::of<T>(), {view.size()}, {sizeof(T)}, view.data(), s);
  if (!writable) out.attr("setflags")(py::arg("write") = false);
  return out;
}

std::string name_of(const char* kind, const py::dtype& dt) {
  return std::string(kind) + "_" + dt.attr("name").cast<std::string>();
}

template <class T>
void bind_type(py::module_& m) {
  using A = py_array<T>;
  using V = py_view<T>;
  const py::dtype dt = py::dtype::of<T>();
  py::class_<A>(m, name_of("Array", dt).c_str(), "An array in far memory (Runtime.array).")
      .def("__len__", [](const A& a) { return a.live().size(); })
      .def_property_readonly("dtype", [](const A&) { return py::dtype::of<T>(); })
      .def_property_readonly("chunk_elements", [](const A& a) { return a.live().chunk_elements(); })
      .def("__getitem__",
           [](const A& a, const py::object& key) { return get_item<T>(a.live(), key); })
      .def("__setitem__",
           [](A& a, const py::object& key, const py::object& v) { set_item<T>(a.live(), key, v); })
      .def(
          "gather",
          [](const A& a, const py::object& ids, std::size_t width) {
            return gather<T>(a.live(), ids, width);
          },
          py::arg("ids"), py::arg("width") = 1,
          "Elements ids (width 1), or rows of width elements, in one batched fetch: a numpy copy.")
      .def(
          "span",
          [](A& a, const py::object& s, std::int64_t i, bool writable) {
            return span<T>(a.live(), s, i, writable);
          },
          py::arg("scope"), py::arg("i"), py::arg("writable") = false,
          "A zero-copy numpy view of the chunk holding element i, from i on; valid inside the "
          "open scope only.");
  py::class_<V>(m, name_of("View", dt).c_str(),
                "A published array, read-only (Runtime.publish, "
                "Runtime.open_array).")
      .def("__len__", [](const V& v) { return v.view.size(); })
      .def_property_readonly("dtype", [](const V&) { return py::dtype::of<T>(); })
      .def_property_readonly("name", [](const V& v) { return v.view.name(); })
      .def_property_readonly("chunk_elements", [](const V& v) { return v.view.chunk_elements(); })
      .def("__getitem__",
           [](const V& v, const py::object& key) { return get_item<T>(v.view, key); })
      .def(
          "gather",
          [](const V& v, const py::object& ids, std::size_t width) {
            return gather<T>(v.view, ids, width);
          },
          py::arg("ids"), py::arg("width") = 1)
      .def(
          "span",
          [](V& v, const py::object& s, std::int64_t i) { return span<T>(v.view, s, i, false); },
          py::arg("scope"), py::arg("i"));
}

// Calls f(T{}) for the element type that `dtype` names.
template <class F>
auto with_type(const py::object& dtype, F&& f) {
  const py::dtype dt = py::dtype::from_args(dtype);
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'f' && size == 4) return f(float{});
  if (kind == 'f' && size == 8) return f(double{});
  if (kind == 'i' && size == 4) return f(std::int32_t{});
  if (kind == 'i' && size == 8) return f(std::int64_t{});
  if (kind == 'u' && size == 4) return f(std::uint32_t{});
  if (kind == 'u' && size == 8) return f(std::uint64_t{});
  throw py::type_error("remora arrays hold float32, float64, int32, int64, uint32 or uint64, not " +
                       dt.attr("name").cast<std::string>());
}

}  // namespace

py::object make_array(const std::shared_ptr<Runtime>& rt, const py::object& dtype, std::size_t n,
                      std::size_t chunk_bytes) {
  return with_type(dtype, [&](auto t) -> py::object {
    using T = decltype(t);
    py_array<T> a{rt, {}, {}};
    {
      py::gil_scoped_release free;
      a.array = rt->make_array<T>(n, chunk_bytes);
    }
    return py::cast(std::move(a));
  });
}

py::object open_array(const std::shared_ptr<Runtime>& rt, const std::string& name,
                      const py::object& dtype) {
  return with_type(dtype, [&](auto t) -> py::object {
    using T = decltype(t);
    py_view<T> v{rt, {}};
    {
      py::gil_scoped_release free;
      v.view = rt->open_array<T>(name);
    }
    return py::cast(std::move(v));
  });
}

py::object publish(const std::shared_ptr<Runtime>& rt, const std::string& name,
                   const py::object& array) {
  return with_type(array.attr("dtype"), [&](auto t) -> py::object {
    using T = decltype(t);
    auto& a = array.cast<py_array<T>&>();
    py_view<T> v{rt, {}};
    {
      py::gil_scoped_release free;
      v.view = rt->publish(name, std::move(a.live()));
    }
    a.published_as = name;
    return py::cast(std::move(v));
  });
}

void bind_arrays(py::module_& m) {
  bind_type<float>(m);
  bind_type<double>(m);
  bind_type<std::int32_t>(m);
  bind_type<std::int64_t>(m);
  bind_type<std::uint32_t>(m);
  bind_type<std::uint64_t>(m);
}

}  // namespace remora::python
