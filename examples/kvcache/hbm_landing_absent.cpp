// hbm_landing in a build without CUDA: there is never one.
#include "kvcache/hbm_landing.hpp"

namespace kvcache {

struct hbm_landing::impl {};

std::unique_ptr<hbm_landing> hbm_landing::open(int, std::size_t, std::string& why) {
  why = "this build has no CUDA (configure with the CUDA Toolkit installed)";
  return nullptr;
}

hbm_landing::hbm_landing(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
hbm_landing::~hbm_landing() = default;

bool hbm_landing::land(std::size_t, const std::vector<std::span<const std::byte>>&,
                       std::string& why) {
  why = "no CUDA";
  return false;
}

bool hbm_landing::read_back(std::span<std::byte>, std::string& why) {
  why = "no CUDA";
  return false;
}

std::string hbm_landing::describe() const {
  return "none";
}

}  // namespace kvcache
