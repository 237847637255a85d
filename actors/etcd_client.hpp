// etcd_client: the few etcd v3 calls membership needs, through etcd's JSON
// gateway (HTTP/1.1 POST, keys and values base64): leases and their
// keep-alives, puts under a lease, reads of one key or every key under a
// prefix, deletes, and puts and deletes conditional on a key's value (one
// transaction each). One connection per call, bounded by the timeout.
//
// Thread-safety: const members from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transport/result.hpp"

namespace remora::actors {

class etcd_client {
 public:
  /// "etcd://HOST:PORT/PREFIX" (the prefix may be empty: "remora").
  static transport::result<etcd_client> parse(const std::string& url,
                                              std::chrono::milliseconds timeout);

  const std::string& prefix() const { return prefix_; }
  std::string where() const { return host_ + ":" + std::to_string(port_); }

  /// A lease of `ttl_seconds`; its id.
  transport::result<std::int64_t> grant(int ttl_seconds) const;
  /// Renews the lease. Errors: unknown_object when it has expired.
  transport::result<void> keep_alive(std::int64_t lease) const;
  transport::result<void> revoke(std::int64_t lease) const;
  /// Puts `key` = `value`, held by `lease` (0: none).
  transport::result<void> put(const std::string& key, const std::string& value,
                              std::int64_t lease) const;
  transport::result<void> erase(const std::string& key) const;
  /// The value of `key`, or nullopt when there is none.
  transport::result<std::optional<std::string>> get(const std::string& key) const;
  /// Puts `key` = `value` only while its value is `expected` (nullopt:
  /// while there is no such key), in one transaction; whether it did.
  transport::result<bool> put_if(const std::string& key, const std::optional<std::string>& expected,
                                 const std::string& value) const;
  /// Deletes `key` only while its value is `expected`; whether it did.
  transport::result<bool> erase_if(const std::string& key, const std::string& expected) const;
  /// Every key under `key_prefix` with its value, in key order.
  transport::result<std::vector<std::pair<std::string, std::string>>> range(
      const std::string& key_prefix) const;

 private:
  // POSTs `body` to `path`; the response body.
  transport::result<std::string> post(const std::string& path, const std::string& body) const;

  std::string host_;
  std::uint16_t port_ = 0;
  std::string prefix_;
  std::chrono::milliseconds timeout_{0};
};

}  // namespace remora::actors
