#include "actors/node_replies.hpp"

#include <string>

namespace remora::actors {

using storage::object_location;
using transport::errc;
using transport::error;
using transport::result;

namespace {

error misshapen(std::string_view node, std::string_view request, std::size_t asked,
                std::string_view items, const std::string& what) {
  return error{errc::protocol, "memory node " + std::string(node) + " answered " +
                                   std::string(request) + " of " + std::to_string(asked) + " " +
                                   std::string(items) + " with " + what};
}

}  // namespace

result<std::vector<object_location>> slots_for(std::span<const storage::object_id> ids,
                                               result<std::vector<object_location>> reply,
                                               std::string_view node, std::string_view request) {
  if (!reply) return reply;
  if (reply->size() != ids.size())
    return misshapen(node, request, ids.size(), "objects",
                     std::to_string(reply->size()) + " slots");
  for (std::size_t i = 0; i < ids.size(); ++i)
    if ((*reply)[i].id != ids[i])
      return misshapen(node, request, ids.size(), "objects",
                       "object " + std::to_string((*reply)[i].id) + "'s slot in place " +
                           std::to_string(i) + ", where object " + std::to_string(ids[i]) +
                           " was asked");
  return reply;
}

result<std::vector<blob_reply>> values_for(std::size_t keys, result<std::vector<blob_reply>> reply,
                                           bool located, std::string_view node) {
  if (!reply) return reply;
  if (reply->size() != keys)
    return misshapen(node, "blob_get", keys, "keys", std::to_string(reply->size()) + " values");
  if (!located) return reply;
  for (std::size_t i = 0; i < keys; ++i) {
    const auto& v = (*reply)[i];
    std::uint64_t in_pieces = 0;
    for (const auto& p : v.pieces) in_pieces += p.size;
    if (v.found && in_pieces != v.bytes)
      return misshapen(node, "blob_get", keys, "keys",
                       "a value of " + std::to_string(v.bytes) + " bytes in place " +
                           std::to_string(i) + " whose pieces hold " + std::to_string(in_pieces));
  }
  return reply;
}

}  // namespace remora::actors
