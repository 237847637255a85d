#include "actors/name_registry.hpp"

#include <openssl/evp.h>

#include <cstdio>

namespace remora::actors {

namespace {

using transport::errc;
using transport::error;

// The first 16 bytes of SHA-256(token) in hex.
std::string digest(const std::string& token) {
  unsigned char sum[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), sum, &size, EVP_sha256(), nullptr);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < 16 && i < size; ++i) {
    std::snprintf(two, sizeof two, "%02x", sum[i]);
    hex += two;
  }
  return hex;
}

error taken(const std::string& by) {
  return {errc::already_exists,
          "the name is published already in the pool (publication " + by + ", in etcd)"};
}

}  // namespace

name_registry::name_registry(etcd_client etcd, const std::string& token)
    : etcd_(std::move(etcd)),
      scope_(etcd_.prefix() + "/names/" + (token.empty() ? "open" : digest(token)) + "/") {}

transport::result<void> name_registry::claim(const std::string& name, std::uint64_t id) const {
  auto done = etcd_.put_if(key(name), std::nullopt, std::to_string(id));
  if (!done) return done.err();
  if (*done) return {};
  auto by = etcd_.get(key(name));
  return taken(by && *by ? **by : "unknown");
}

transport::result<std::optional<std::uint64_t>> name_registry::holder(
    const std::string& name) const {
  auto value = etcd_.get(key(name));
  if (!value) return value.err();
  if (!*value) return std::optional<std::uint64_t>{};
  try {
    return std::optional<std::uint64_t>{std::stoull(**value)};
  } catch (const std::exception&) {
    return error{errc::protocol,
                 "etcd holds '" + **value + "' for the name '" + name + "', not a publication id"};
  }
}

transport::result<void> name_registry::release(const std::string& name, std::uint64_t id) const {
  auto done = etcd_.erase_if(key(name), std::to_string(id));
  if (!done) return done.err();
  return {};
}

}  // namespace remora::actors
