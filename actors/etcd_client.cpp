#include "actors/etcd_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "transport/bootstrap.hpp"

namespace remora::actors {

using transport::errc;
using transport::error;
using transport::result;

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const std::string& in) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = bits << 8 | c;
    count += 8;
    while (count >= 6) out += alphabet[(bits >> (count -= 6)) & 63];
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

std::string unbase64(const std::string& in) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    const char* at = std::strchr(alphabet, c);
    if (c == '=' || c == '\0' || at == nullptr) break;
    bits = bits << 6 | static_cast<std::uint32_t>(at - alphabet);
    count += 6;
    if (count >= 8) out += static_cast<char>((bits >> (count -= 8)) & 0xff);
  }
  return out;
}

// The string value of every `"name":"..."` in `json`, in order (etcd's
// gateway writes ids and base64 keys and values as strings).
std::vector<std::string> string_fields(const std::string& json, const std::string& name) {
  std::vector<std::string> out;
  const std::string tag = "\"" + name + "\":\"";
  for (auto at = json.find(tag); at != std::string::npos; at = json.find(tag, at)) {
    at += tag.size();
    const auto end = json.find('"', at);
    if (end == std::string::npos) break;
    out.push_back(json.substr(at, end - at));
    at = end;
  }
  return out;
}

// The key just past every key with `prefix`: etcd's range_end for a prefix.
std::string prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix.empty() ? std::string(1, '\0') : prefix;
}

}  // namespace

result<etcd_client> etcd_client::parse(const std::string& url, std::chrono::milliseconds timeout) {
  const std::string scheme = "etcd://";
  if (url.rfind(scheme, 0) != 0)
    return error{errc::invalid_argument, "'" + url + "' is not etcd://HOST:PORT/PREFIX"};
  const auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const auto hostport = rest.substr(0, slash);
  const auto colon = hostport.rfind(':');
  etcd_client c;
  try {
    if (colon == std::string::npos || colon == 0) throw std::invalid_argument("");
    std::size_t used = 0;
    const auto port = std::stoul(hostport.substr(colon + 1), &used);
    if (used != hostport.size() - colon - 1 || port == 0 || port > 65535)
      throw std::invalid_argument("");
    c.port_ = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return error{errc::invalid_argument,
                 "'" + url + "' has no HOST:PORT (etcd://HOST:PORT/PREFIX)"};
  }
  c.host_ = hostport.substr(0, colon);
  c.prefix_ = slash == std::string::npos ? "remora" : rest.substr(slash + 1);
  if (c.prefix_.empty()) c.prefix_ = "remora";
  c.timeout_ = timeout;
  return c;
}

result<std::string> etcd_client::post(const std::string& path, const std::string& body) const {
  const auto until = transport::after(timeout_);
  auto stream = transport::tcp_stream::connect(host_, port_, until);
  if (!stream)
    return error{errc::peer_unreachable, "etcd at " + where() + ": " + stream.err().message};
  const int fd = stream->fd();
  const std::string request =
      "POST " + path + " HTTP/1.1\r\nHost: " + where() +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return error{errc::peer_unreachable, "etcd at " + where() + ": send failed"};
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, transport::millis_left(until));
    if (ready == 0) return error{errc::timeout, "etcd at " + where() + ": no answer in time"};
    if (ready < 0 && errno == EINTR) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
    if (response.size() > (16 << 20))
      return error{errc::protocol, "etcd at " + where() + ": answer too large"};
  }
  const auto head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos)
    return error{errc::protocol, "etcd at " + where() + ": not an HTTP answer"};
  const int status = std::atoi(response.c_str() + response.find(' ') + 1);
  std::string answer = response.substr(head_end + 4);
  if (status != 200)
    return error{status == 404 ? errc::unknown_object : errc::protocol,
                 "etcd at " + where() + " answered " + std::to_string(status) + " to " + path +
                     ": " + answer.substr(0, 200)};
  return answer;
}

result<std::int64_t> etcd_client::grant(int ttl_seconds) const {
  auto r = post("/v3/lease/grant", "{\"TTL\":" + std::to_string(ttl_seconds) + "}");
  if (!r) return r.err();
  const auto ids = string_fields(*r, "ID");
  if (ids.empty()) return error{errc::protocol, "etcd at " + where() + ": a lease without an ID"};
  return std::stoll(ids.front());
}

result<void> etcd_client::keep_alive(std::int64_t lease) const {
  auto r = post("/v3/lease/keepalive", "{\"ID\":\"" + std::to_string(lease) + "\"}");
  if (!r) return r.err();
  // An expired lease comes back without a TTL (or with TTL 0).
  const auto ttl = string_fields(*r, "TTL");
  if (ttl.empty() || ttl.front() == "0")
    return error{errc::unknown_object,
                 "etcd at " + where() + ": lease " + std::to_string(lease) + " has expired"};
  return {};
}

result<void> etcd_client::revoke(std::int64_t lease) const {
  auto r = post("/v3/lease/revoke", "{\"ID\":\"" + std::to_string(lease) + "\"}");
  if (!r) return r.err();
  return {};
}

result<void> etcd_client::put(const std::string& key, const std::string& value,
                              std::int64_t lease) const {
  std::string body = "{\"key\":\"" + base64(key) + "\",\"value\":\"" + base64(value) + "\"";
  if (lease != 0) body += ",\"lease\":\"" + std::to_string(lease) + "\"";
  auto r = post("/v3/kv/put", body + "}");
  if (!r) return r.err();
  return {};
}

result<void> etcd_client::erase(const std::string& key) const {
  auto r = post("/v3/kv/deleterange", "{\"key\":\"" + base64(key) + "\"}");
  if (!r) return r.err();
  return {};
}

result<std::optional<std::string>> etcd_client::get(const std::string& key) const {
  auto r = post("/v3/kv/range", "{\"key\":\"" + base64(key) + "\"}");
  if (!r) return r.err();
  const auto values = string_fields(*r, "value");
  if (values.empty()) return std::optional<std::string>{};
  return std::optional<std::string>{unbase64(values.front())};
}

namespace {

// A transaction's compare: `key`'s value is `expected`, or (nullopt) the
// key does not exist (it was never created, or was deleted since).
std::string compare(const std::string& key, const std::optional<std::string>& expected) {
  if (!expected)
    return "{\"key\":\"" + base64(key) +
           "\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}";
  return "{\"key\":\"" + base64(key) + "\",\"target\":\"VALUE\",\"result\":\"EQUAL\",\"value\":\"" +
         base64(*expected) + "\"}";
}

// Whether a transaction's answer says its compares held (the gateway
// leaves out false fields).
bool succeeded(const std::string& answer) {
  return answer.find("\"succeeded\":true") != std::string::npos;
}

}  // namespace

result<bool> etcd_client::put_if(const std::string& key, const std::optional<std::string>& expected,
                                 const std::string& value) const {
  auto r = post("/v3/kv/txn", "{\"compare\":[" + compare(key, expected) +
                                  "],\"success\":[{\"request_put\":{\"key\":\"" + base64(key) +
                                  "\",\"value\":\"" + base64(value) + "\"}}]}");
  if (!r) return r.err();
  return succeeded(*r);
}

result<bool> etcd_client::erase_if(const std::string& key, const std::string& expected) const {
  auto r = post("/v3/kv/txn", "{\"compare\":[" + compare(key, expected) +
                                  "],\"success\":[{\"request_delete_range\":{\"key\":\"" +
                                  base64(key) + "\"}}]}");
  if (!r) return r.err();
  return succeeded(*r);
}

result<std::vector<std::pair<std::string, std::string>>> etcd_client::range(
    const std::string& key_prefix) const {
  auto r = post("/v3/kv/range", "{\"key\":\"" + base64(key_prefix) + "\",\"range_end\":\"" +
                                    base64(prefix_end(key_prefix)) + "\"}");
  if (!r) return r.err();
  const auto keys = string_fields(*r, "key"), values = string_fields(*r, "value");
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i)
    out.emplace_back(unbase64(keys[i]), unbase64(values[i]));
  return out;
}

}  // namespace remora::actors
