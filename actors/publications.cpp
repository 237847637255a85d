#include "actors/publications.hpp"

namespace remora::actors {

using transport::errc;
using transport::error;
using transport::result;

namespace {

error no_such_name(const std::string& name) {
  return {errc::unknown_object, "no array is published as '" + name + "'"};
}

}  // namespace

result<void> publications::add(tenant_id tenant, const std::string& name, std::uint64_t id,
                               std::vector<char> description, owner_id viewer) {
  if (name.empty()) return error{errc::invalid_argument, "a published array needs a name"};
  if (names_.contains({tenant, name}))
    return error{errc::already_exists, "an array is published as '" + name + "' already"};
  if (all_.contains(id))
    return error{errc::already_exists, "publication " + std::to_string(id) + " exists already"};
  names_.emplace(std::pair{tenant, name}, id);
  publication& p = all_[id];
  p.tenant = tenant;
  p.name = name;
  p.description = std::move(description);
  p.views[viewer] = 1;
  return {};
}

result<publications::opened> publications::open(tenant_id tenant, const std::string& name,
                                                owner_id viewer) {
  auto it = names_.find({tenant, name});
  if (it == names_.end()) return no_such_name(name);
  publication& p = all_.at(it->second);
  ++p.views[viewer];
  return opened{it->second, p.description};
}

result<std::optional<std::uint64_t>> publications::close(tenant_id tenant, std::uint64_t id,
                                                         owner_id viewer) {
  auto it = all_.find(id);
  if (it == all_.end() || it->second.tenant != tenant)
    return error{errc::unknown_object, "no publication " + std::to_string(id)};
  auto v = it->second.views.find(viewer);
  if (v == it->second.views.end())
    return error{errc::unknown_object, "this client holds no view of '" + it->second.name + "'"};
  if (--v->second == 0) it->second.views.erase(v);
  return done(id);
}

result<std::optional<std::uint64_t>> publications::remove(tenant_id tenant,
                                                          const std::string& name) {
  auto it = names_.find({tenant, name});
  if (it == names_.end()) return no_such_name(name);
  const std::uint64_t id = it->second;
  names_.erase(it);
  all_.at(id).unpublished = true;
  return done(id);
}

result<void> publications::retract(tenant_id tenant, std::uint64_t id, owner_id viewer) {
  auto it = all_.find(id);
  if (it == all_.end() || it->second.tenant != tenant)
    return error{errc::unknown_object, "no publication " + std::to_string(id)};
  const auto& views = it->second.views;
  if (views.size() != 1 || !views.contains(viewer) || views.at(viewer) != 1)
    return error{errc::invalid_argument,
                 "'" + it->second.name + "' is viewed by others: it cannot be taken back"};
  if (!it->second.unpublished) names_.erase({tenant, it->second.name});
  all_.erase(it);
  return {};
}

result<void> publications::mend(tenant_id tenant, std::uint64_t id, std::vector<char> description,
                                owner_id viewer) {
  auto it = all_.find(id);
  if (it == all_.end() || it->second.tenant != tenant || it->second.unpublished)
    return error{errc::unknown_object, "no publication " + std::to_string(id)};
  if (!it->second.views.contains(viewer))
    return error{errc::invalid_argument,
                 "this client holds no view of '" + it->second.name + "': it cannot mend it"};
  it->second.description = std::move(description);
  return {};
}

std::vector<std::uint64_t> publications::forget(owner_id viewer) {
  std::vector<std::uint64_t> ids, freed;
  for (auto& [id, p] : all_)
    if (p.views.erase(viewer) != 0) ids.push_back(id);
  for (std::uint64_t id : ids)
    if (auto gone = done(id)) freed.push_back(*gone);
  return freed;
}

std::optional<std::uint64_t> publications::done(std::uint64_t id) {
  auto it = all_.find(id);
  if (!it->second.unpublished || !it->second.views.empty()) return std::nullopt;
  all_.erase(it);
  return id;
}

}  // namespace remora::actors
