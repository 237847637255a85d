// preamble: what a client sends a memory node over plain TCP before CAF's
// first byte, so that a peer without a token of the node's never reaches
// CAF's message layer (front_door.hpp). CAF 0.17's decoder sizes a byte
// sequence by the length the bytes claim (fuzz/findings/README.md): any
// peer BASP decodes for could make the node allocate gigabytes.
//
//   +----------+----------------+-----------------+----------------------+
//   | "REMORA" | version (1 B)  | token length    | token bytes          |
//   |  6 bytes | 0x01           | u16, big-endian | (at most 1024)       |
//   +----------+----------------+-----------------+----------------------+
//
// The node answers with its verdict before anything of CAF's: '+', or '-'
// and a line that says why (then it closes the connection).
//
// Over TLS there is none: the TLS handshake with client certificates comes
// first, and the hello's token is checked as over TCP.
//
// Thread-safety: functions of their arguments.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace remora::actors {

inline constexpr std::array<char, 7> preamble_magic{'R', 'E', 'M', 'O', 'R', 'A', '\x01'};
inline constexpr std::size_t preamble_head_bytes = preamble_magic.size() + 2;
inline constexpr std::size_t max_preamble_token = 1024;

inline constexpr char preamble_accepted = '+';
inline constexpr char preamble_refused = '-';
inline constexpr std::size_t max_preamble_verdict = 256;  // a refusal's line, at most

/// The preamble for `token`. REQUIRES: token.size() <= max_preamble_token.
inline std::string make_preamble(const std::string& token) {
  std::string out(preamble_magic.begin(), preamble_magic.end());
  out.push_back(static_cast<char>(token.size() >> 8));
  out.push_back(static_cast<char>(token.size() & 0xff));
  return out + token;
}

/// The length of the token that follows a preamble's first
/// preamble_head_bytes `head`; nullopt when they are not a preamble's, or
/// claim a token longer than any.
inline std::optional<std::size_t> preamble_token_length(const char* head) {
  if (!std::equal(preamble_magic.begin(), preamble_magic.end(), head)) return std::nullopt;
  const std::size_t length =
      std::size_t{static_cast<unsigned char>(head[7])} << 8 | static_cast<unsigned char>(head[8]);
  if (length > max_preamble_token) return std::nullopt;
  return length;
}

/// Constant-time comparison, length included: the time a refusal takes
/// depends on the length given only, and says nothing of how much of the
/// token (or its length) was right.
inline bool token_matches(const std::string& expected, const std::string& given) {
  unsigned char diff = expected.size() != given.size();
  const std::size_t n = std::max<std::size_t>(expected.size(), 1);
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ (expected.empty() ? 0 : expected[i % n]));
  return diff == 0;
}

/// Whether `given` is one of `tokens` (every one compared); any token is
/// when there are none.
inline bool token_known(const std::vector<std::string>& tokens, const std::string& given) {
  bool found = tokens.empty();
  for (const auto& t : tokens) found |= token_matches(t, given);
  return found;
}

}  // namespace remora::actors
