// remora-kvcache: the KV-cache hand-off of disaggregated inference through
// a Remora blob store, as LMCache and Mooncake Store are used. A prefill
// process turns prompts into KV blocks and puts them into the pool; a decode
// process (another process, or the same with --role=both) finds the longest
// cached prefix of each prompt, fetches its blocks layer by layer and
// recomputes only the rest.
//
// Prompts share a system prompt (--system-tokens) and end in tokens of their
// own (--user-tokens). A block is 16 tokens; its key is a hash of the whole
// token prefix up to its end, as vLLM and LMCache key them, so a block is
// shared exactly when everything before it is. Each block holds, per layer,
// K and V for --heads heads of --head-dim fp16 values a token: one blob per
// block and layer. The values are synthetic and deterministic (a hash of the
// key, the layer and the position), and the decode side checks every byte.
// Computing a token's KV costs a fixed --token-us (100 us by default: a
// 7B-parameter model prefilling at about 10,000 tokens/s), spent for real.
// With --hbm the decode side lands each layer's blocks in GPU memory, as an
// engine's KV cache holds them, and reads them back once to check them;
// without a GPU it says so and keeps them on the host.
//
//   build/examples/remora-kvcache --role=both
//   build/examples/remora-kvcache --role=prefill --memory-node=10.0.0.2:4242
//   build/examples/remora-kvcache --role=decode --memory-node=10.0.0.2:4242 [--hbm]
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <remora/remora.hpp>

#include "cli/cli.hpp"
#include "kvcache/hbm_landing.hpp"

namespace {

constexpr std::uint64_t block_tokens = 16;

struct config {
  std::string role = "both", store = "kv";
  std::uint64_t prompts = 16, system_tokens = 512, user_tokens = 256;
  std::uint64_t layers = 32, heads = 8, head_dim = 128;
  double token_us = 100;
  bool hbm = false;  // the decode side lands blocks in GPU memory
  int cuda_device = 0;
  remora::Options options;  // --memory-node and the rest of Options' flags
};

// The command line into `c`: nothing when the program goes on, else its
// exit code (--help, --version, a usage error).
std::optional<int> parse_args(int argc, char** argv, config& c) {
  remora::cli::command_line app{
      "The KV-cache hand-off of disaggregated inference through a blob store.", "remora-kvcache"};
  app.add("--role", c.role, "prefill, decode, or both").one_of({"prefill", "decode", "both"});
  app.add("--prompts", c.prompts, "prompts").positive();
  app.add("--system-tokens", c.system_tokens, "tokens of the prompt every prompt starts with");
  app.add("--user-tokens", c.user_tokens, "tokens of each prompt's own");
  app.add("--layers", c.layers, "model layers").positive();
  app.add("--heads", c.heads, "KV heads").positive();
  app.add("--head-dim", c.head_dim, "values a head").positive();
  app.add("--token-us", c.token_us, "microseconds to compute one token's KV").non_negative();
  app.add("--store", c.store, "the blob store");
  app.flag("--hbm", c.hbm,
           "the decode side lands each layer's blocks in GPU memory (HBM); without a GPU "
           "it says so and keeps them on the host");
  app.add("--cuda-device", c.cuda_device, "the GPU for --hbm").non_negative();
  app.runtime_options(c.options);
  if (auto code = app.parse(argc, argv)) return code;
  if (c.system_tokens + c.user_tokens < block_tokens)
    return app.usage_error("a prompt needs at least one block of 16 tokens");
  if (c.options.memory_nodes().empty() && c.role != "both")
    return app.usage_error("--role=" + c.role +
                           " needs --memory-node: an embedded pool is this process's");
  return std::nullopt;
}

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Prompt p's tokens: the shared system prompt, then its own.
std::vector<std::uint32_t> prompt_tokens(const config& c, std::uint64_t p) {
  std::vector<std::uint32_t> t;
  for (std::uint64_t i = 0; i < c.system_tokens; ++i) t.push_back(mix(i) % 32000);
  for (std::uint64_t i = 0; i < c.user_tokens; ++i) t.push_back(mix((p + 1) << 32 | i) % 32000);
  return t;
}

// The key of each whole block: a hash chained over the token prefix.
std::vector<std::uint64_t> block_hashes(const std::vector<std::uint32_t>& tokens) {
  std::vector<std::uint64_t> out;
  std::uint64_t h = 0x6b76636163686531ull;
  for (std::size_t b = 0; (b + 1) * block_tokens <= tokens.size(); ++b) {
    for (std::size_t i = b * block_tokens; i < (b + 1) * block_tokens; ++i) h = mix(h ^ tokens[i]);
    out.push_back(h);
  }
  return out;
}

std::string key_of(std::uint64_t block, std::uint64_t layer) {
  char text[40];
  std::snprintf(text, sizeof text, "%016llx/%llu", static_cast<unsigned long long>(block),
                static_cast<unsigned long long>(layer));
  return text;
}

// A block's K and V of one layer, as fp16 bit patterns.
void fill_block(std::uint64_t block, std::uint64_t layer, std::vector<std::byte>& out) {
  const std::uint64_t seed = mix(block ^ mix(layer));
  for (std::size_t at = 0; at + 8 <= out.size(); at += 8) {
    const std::uint64_t word = mix(seed + at);
    std::memcpy(out.data() + at, &word, 8);
  }
}

// Spends `tokens` tokens' worth of compute (the model's prefill, standing in).
void compute(const config& c, std::uint64_t tokens) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::nanoseconds(static_cast<std::int64_t>(c.token_us * 1e3 * tokens));
  while (std::chrono::steady_clock::now() < until) {
  }
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

void prefill(const config& c, remora::BlobStore& kv, std::size_t block_bytes) {
  std::uint64_t computed = 0, reused = 0, bytes = 0;
  double put_s = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::byte> value(block_bytes);
  for (std::uint64_t p = 0; p < c.prompts; ++p) {
    for (std::uint64_t block : block_hashes(prompt_tokens(c, p))) {
      // The last layer goes last: a block whose last layer is there is whole.
      if (kv.contains(key_of(block, c.layers - 1))) {
        ++reused;
        continue;
      }
      compute(c, block_tokens);
      const auto t = std::chrono::steady_clock::now();
      for (std::uint64_t layer = 0; layer < c.layers; ++layer) {
        fill_block(block, layer, value);
        kv.put(key_of(block, layer), value);
        bytes += value.size();
      }
      put_s += since(t);
      ++computed;
    }
  }
  std::printf(
      "prefill prompts=%llu blocks_computed=%llu blocks_reused=%llu put_bytes=%llu "
      "put_gbps=%.3f seconds=%.2f\n",
      static_cast<unsigned long long>(c.prompts), static_cast<unsigned long long>(computed),
      static_cast<unsigned long long>(reused), static_cast<unsigned long long>(bytes),
      put_s > 0 ? static_cast<double>(bytes) / put_s / 1e9 : 0, since(start));
}

// How many of `blocks` the store holds from the first on (by halving: a
// prefix is cached whole or not past some block).
std::size_t cached_prefix(remora::BlobStore& kv, const config& c,
                          const std::vector<std::uint64_t>& blocks) {
  std::size_t low = 0, high = blocks.size();  // blocks [0, low) cached; [high, end) not known
  while (low < high) {
    const std::size_t mid = (low + high + 1) / 2;
    if (kv.contains(key_of(blocks[mid - 1], c.layers - 1)))
      low = mid;
    else
      high = mid - 1;
  }
  return low;
}

// With --hbm, the GPU memory a prompt's blocks land in (all its layers);
// nullptr, saying why, where there is none.
std::unique_ptr<kvcache::hbm_landing> open_hbm(const config& c, std::size_t block_bytes) {
  if (!c.hbm) return nullptr;
  const std::size_t blocks = (c.system_tokens + c.user_tokens) / block_tokens;
  std::string why;
  auto hbm = kvcache::hbm_landing::open(c.cuda_device, c.layers * blocks * block_bytes, why);
  if (hbm)
    std::printf("kvcache: --hbm: blocks land in %s\n", hbm->describe().c_str());
  else
    std::printf("kvcache: --hbm: no GPU memory here (%s); the blocks stay on the host\n",
                why.c_str());
  return hbm;
}

// Reads a prompt's landed blocks back from the GPU: how many blocks differ
// from what prefill wrote (layer l holds landed[l] blocks at its start,
// layers blocks.size() blocks apart).
std::uint64_t check_landed(kvcache::hbm_landing& hbm, const std::vector<std::uint64_t>& blocks,
                           const std::vector<std::size_t>& landed, std::size_t block_bytes) {
  std::vector<std::byte> back(landed.size() * blocks.size() * block_bytes), expected(block_bytes);
  std::string why;
  if (!hbm.read_back(back, why)) throw remora::Error("reading the GPU's blocks back: " + why);
  std::uint64_t wrong = 0;
  for (std::size_t layer = 0; layer < landed.size(); ++layer)
    for (std::size_t b = 0; b < landed[layer]; ++b) {
      fill_block(blocks[b], layer, expected);
      wrong += std::memcmp(back.data() + (layer * blocks.size() + b) * block_bytes, expected.data(),
                           block_bytes) != 0;
    }
  return wrong;
}

int decode(const config& c, remora::BlobStore& kv, std::size_t block_bytes) {
  std::vector<double> with_cache_ms, recompute_ms, layer_fetch_us;
  std::uint64_t fetched = 0, wrong = 0, cached_tokens = 0, total_tokens = 0, hbm_bytes = 0;
  double fetch_s = 0, hbm_s = 0;
  std::vector<std::byte> expected(block_bytes);
  std::vector<std::byte> layer_buffers[2];  // a layer's blocks, one after another
  auto hbm = open_hbm(c, block_bytes);
  for (std::uint64_t p = 0; p < c.prompts; ++p) {
    const auto tokens = prompt_tokens(c, p);
    const auto blocks = block_hashes(tokens);
    const auto start = std::chrono::steady_clock::now();
    std::size_t hit = cached_prefix(kv, c, blocks);
    // Layer by layer, the next layer's blocks fetched while this one is
    // checked (one batched get per layer and node), into two buffers taken
    // in turn: no allocation, and no page faults once they are warm.
    auto fetch_layer = [&kv, &blocks, &layer_buffers, block_bytes](std::uint64_t layer,
                                                                   std::size_t count) {
      std::vector<std::string> keys;
      std::vector<std::span<std::byte>> into;
      auto& buffer = layer_buffers[layer % 2];
      for (std::size_t b = 0; b < count; ++b) {
        keys.push_back(key_of(blocks[b], layer));
        into.emplace_back(buffer.data() + b * block_bytes, block_bytes);
      }
      const auto t = std::chrono::steady_clock::now();
      auto sizes = kv.get_many_into(keys, into);
      return std::pair{std::move(sizes), since(t)};
    };
    for (auto& buffer : layer_buffers) buffer.resize(blocks.size() * block_bytes);
    auto next = std::async(std::launch::async, fetch_layer, 0, hit);
    std::vector<std::size_t> landed(c.layers, 0);
    for (std::uint64_t layer = 0; layer < c.layers && hit > 0; ++layer) {
      auto got = next.get();
      const auto& sizes = got.first;  // a reference, not a binding: the lambda below takes it
      const double seconds = got.second;
      const auto& buffer = layer_buffers[layer % 2];
      auto value = [&](std::size_t b) {
        return std::span(buffer.data() + b * block_bytes, *sizes[b]);
      };
      if (layer + 1 < c.layers) next = std::async(std::launch::async, fetch_layer, layer + 1, hit);
      layer_fetch_us.push_back(seconds * 1e6);
      fetch_s += seconds;
      for (std::size_t b = 0; b < std::min(sizes.size(), hit); ++b) {
        if (!sizes[b]) {  // evicted since it was found: recompute from there
          hit = b;
          break;
        }
        fill_block(blocks[b], layer, expected);
        wrong += value(b).size() != expected.size() ||
                 std::memcmp(value(b).data(), expected.data(), expected.size()) != 0;
        fetched += *sizes[b];
      }
      if (hbm && hit > 0) {  // the layer's blocks up to the GPU, while the next one comes
        const auto t = std::chrono::steady_clock::now();
        std::vector<std::span<const std::byte>> up;
        for (std::size_t b = 0; b < hit; ++b) up.emplace_back(value(b));
        std::string why;
        if (!hbm->land(layer * blocks.size() * block_bytes, up, why))
          throw remora::Error("landing blocks in GPU memory: " + why);
        landed[layer] = hit;
        hbm_bytes += hit * block_bytes;
        hbm_s += since(t);
      }
    }
    if (next.valid()) next.wait();
    compute(c, tokens.size() - hit * block_tokens);  // what the cache did not hold
    with_cache_ms.push_back(since(start) * 1e3);
    if (hbm) wrong += check_landed(*hbm, blocks, landed, block_bytes);
    recompute_ms.push_back(c.token_us * static_cast<double>(tokens.size()) / 1e3);
    cached_tokens += hit * block_tokens;
    total_tokens += tokens.size();
  }
  const double p50_cache = percentile(with_cache_ms, 0.5);
  const double p50_recompute = percentile(recompute_ms, 0.5);
  std::printf(
      "decode prompts=%llu cached_share=%.3f ttft_cache_p50_ms=%.2f "
      "ttft_recompute_p50_ms=%.2f speedup=%.2f fetch_gbps=%.3f layer_fetch_p99_us=%.1f "
      "checked_bytes=%llu landed=%s hbm_bytes=%llu hbm_gbps=%.3f wrong=%llu\n",
      static_cast<unsigned long long>(c.prompts),
      static_cast<double>(cached_tokens) / static_cast<double>(total_tokens), p50_cache,
      p50_recompute, p50_recompute / p50_cache,
      fetch_s > 0 ? static_cast<double>(fetched) / fetch_s / 1e9 : 0,
      percentile(layer_fetch_us, 0.99), static_cast<unsigned long long>(fetched),
      hbm ? "hbm" : "host", static_cast<unsigned long long>(hbm_bytes),
      hbm_s > 0 ? static_cast<double>(hbm_bytes) / hbm_s / 1e9 : 0,
      static_cast<unsigned long long>(wrong));
  return wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  if (auto code = parse_args(argc, argv, c)) return *code;
  const std::size_t block_bytes = 2 * c.heads * block_tokens * c.head_dim * 2;  // K and V, fp16
  return remora::cli::run("remora-kvcache", [&] {
    remora::Runtime rt(c.options);
    remora::BlobStore kv = rt.blob_store(c.store);
    std::printf("kvcache role=%s layers=%llu block=%zu bytes a layer (%llu tokens) store=%s\n",
                c.role.c_str(), static_cast<unsigned long long>(c.layers), block_bytes,
                static_cast<unsigned long long>(block_tokens), c.store.c_str());
    if (c.role != "decode") prefill(c, kv, block_bytes);
    if (c.role != "prefill") return decode(c, kv, block_bytes);
    return 0;
  });
}
