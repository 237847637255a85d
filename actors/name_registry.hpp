// name_registry: published arrays' names in etcd, for pools whose
// membership lives there (Options::cluster). A name is claimed once for the
// whole pool in one etcd transaction (created only while absent), so two
// publishers racing through different nodes cannot both have it; its value
// is the publication's id, so a reader can tell a name never published
// from one whose nodes are all gone (unpublish frees such a name). The
// nodes keep the descriptions and count the views, as without etcd.
//
// Names are scoped as the nodes scope them, by tenant: the key is
// PREFIX/names/SCOPE/NAME, SCOPE a SHA-256 digest of the auth token (never
// the token), "open" without one.
//
// Thread-safety: const members from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actors/etcd_client.hpp"
#include "transport/result.hpp"

namespace remora::actors {

class name_registry {
 public:
  name_registry(etcd_client etcd, const std::string& token);

  /// Claims `name` for publication `id`. Errors: already_exists when
  /// another publication holds it (the error names it).
  transport::result<void> claim(const std::string& name, std::uint64_t id) const;
  /// The publication holding `name`, or nullopt.
  transport::result<std::optional<std::uint64_t>> holder(const std::string& name) const;
  /// Frees `name` if publication `id` holds it.
  transport::result<void> release(const std::string& name, std::uint64_t id) const;

 private:
  std::string key(const std::string& name) const { return scope_ + name; }

  const etcd_client etcd_;
  const std::string scope_;  // PREFIX/names/SCOPE/
};

}  // namespace remora::actors
