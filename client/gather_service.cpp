#include "remora/gather_service.hpp"

#include "actors/gather_service.hpp"
#include "client/runtime_impl.hpp"
#include "client/tls_files.hpp"
#include "objects/gather.hpp"
#include "objects/raise.hpp"
#include "remora/errors.hpp"

namespace remora {

GatherServer::GatherServer(Runtime& rt, Array<float>& table, std::size_t width)
    : table_(&table), width_(width), rows_(width == 0 ? 0 : table.size() / width) {
  if (width == 0 || table.size() % width != 0)
    throw ConfigError("GatherServer: a table of " + std::to_string(table.size()) +
                      " floats is not made of rows of " + std::to_string(width));
  service_ = std::make_unique<actors::gather_service>(rt.impl_->cp, table, width);
}

GatherServer::GatherServer(Runtime& rt, const ArrayView<float>& table, std::size_t width)
    : view_(std::make_shared<ArrayView<float>>(table)),
      width_(width),
      rows_(width == 0 ? 0 : table.size() / width) {
  if (width == 0 || table.size() % width != 0)
    throw ConfigError("GatherServer: a table of " + std::to_string(table.size()) +
                      " floats is not made of rows of " + std::to_string(width));
  table_ = &detail::handle_factory::array_of(*static_cast<ArrayView<float>*>(view_.get()));
  service_ = std::make_unique<actors::gather_service>(rt.impl_->cp, *table_, width);
}

GatherServer::~GatherServer() = default;

std::uint16_t GatherServer::publish(const std::string& host, std::uint16_t port) {
  auto r = service_->publish(host, port);
  if (!r) objects::raise(r.err());
  return *r;
}

std::vector<float> GatherServer::gather(std::span<const std::uint64_t> rows) {
  // On the caller's thread, beside the other callers and the actor that
  // serves remote ones (an Array has any number of readers): a message to
  // the actor and its reply cost as much as the gather's misses.
  return objects::gather_rows(*table_, width_, rows);
}

GatherClient::GatherClient(const std::string& host, std::uint16_t port,
                           std::chrono::milliseconds timeout) {
  auto c = actors::gather_client::connect(host, port, timeout);
  if (!c) objects::raise(c.err());
  client_ = std::move(c).value();
}

GatherClient::GatherClient(const std::string& host, std::uint16_t port, const Options& options) {
  auto c = actors::gather_client::connect(host, port, options.timeout(), client::tls_of(options));
  if (!c) objects::raise(c.err());
  client_ = std::move(c).value();
}

GatherClient::~GatherClient() = default;

std::vector<float> GatherClient::gather(std::span<const std::uint64_t> rows) {
  auto r = client_->gather({rows.begin(), rows.end()});
  if (!r) objects::raise(r.err());
  return std::move(r).value();
}

}  // namespace remora
