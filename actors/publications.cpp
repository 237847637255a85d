#include "actors/publications.hpp"

#include <algorithm>

namespace remora::actors {

using transport::errc;
using transport::error;
using transport::result;

namespace {

error no_such_name(const std::string& name) {
  return {errc::unknown_object, "no array is published as '" + name + "'"};
}

std::vector<char> slice_of(const storage::huge_vector<char>& bytes, std::uint64_t offset,
                           std::size_t slice) {
  const auto from = bytes.begin() + static_cast<std::ptrdiff_t>(offset);
  return {from, from + static_cast<std::ptrdiff_t>(
                           std::min<std::uint64_t>(slice, bytes.size() - offset))};
}

}  // namespace

result<void> publications::add(tenant_id tenant, const std::string& name, std::uint64_t id,
                               storage::huge_vector<char> description, owner_id viewer) {
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
                                                owner_id viewer, std::size_t slice) {
  auto it = names_.find({tenant, name});
  if (it == names_.end()) return no_such_name(name);
  publication& p = all_.at(it->second);
  ++p.views[viewer];
  return opened{it->second, p.generation, p.description.size(), 0,
                slice_of(p.description, 0, slice)};
}

result<publications::opened> publications::describe(tenant_id tenant, std::uint64_t id,
                                                    owner_id viewer, std::uint64_t offset,
                                                    std::size_t slice) const {
  auto it = all_.find(id);
  if (it == all_.end() || it->second.tenant != tenant)
    return error{errc::unknown_object, "no publication " + std::to_string(id)};
  const publication& p = it->second;
  if (!p.views.contains(viewer))
    return error{errc::unknown_object, "this client holds no view of '" + p.name + "'"};
  if (offset > p.description.size())
    return error{errc::out_of_range, "offset " + std::to_string(offset) + " is past the " +
                                         std::to_string(p.description.size()) +
                                         " bytes of the description of '" + p.name + "'"};
  return opened{id, p.generation, p.description.size(), offset,
                slice_of(p.description, offset, slice)};
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
  staged_.erase(id);  // a mend under way: what it staged went with the publication
  return {};
}

result<void> publications::mend(tenant_id tenant, std::uint64_t id,
                                storage::huge_vector<char> description, owner_id viewer) {
  auto it = all_.find(id);
  if (it == all_.end() || it->second.tenant != tenant || it->second.unpublished)
    return error{errc::unknown_object, "no publication " + std::to_string(id)};
  if (!it->second.views.contains(viewer))
    return error{errc::invalid_argument,
                 "this client holds no view of '" + it->second.name + "': it cannot mend it"};
  it->second.description = std::move(description);
  ++it->second.generation;
  return {};
}

std::vector<std::uint64_t> publications::forget(owner_id viewer) {
  std::vector<std::uint64_t> ids, freed;
  for (auto& [id, p] : all_)
    if (p.views.erase(viewer) != 0) ids.push_back(id);
  for (std::uint64_t id : ids)
    if (auto gone = done(id)) freed.push_back(*gone);
  std::erase_if(staged_, [&](const auto& s) {
    if (s.second.viewer != viewer) return false;
    if (s.second.part.kind == staging::publish) freed.push_back(s.first);
    return true;
  });
  return freed;
}

result<publications::staging> publications::stage(tenant_id tenant, std::uint64_t id,
                                                  owner_id viewer, std::uint64_t total,
                                                  std::uint64_t number,
                                                  std::span<const char> part) {
  auto it = staged_.find(id);
  if (it == staged_.end() && number != 0)
    return error{errc::invalid_argument, "part " + std::to_string(number) + " of publication " +
                                             std::to_string(id) + " came without part 0"};
  if (it == staged_.end()) {
    const auto p = all_.find(id);
    const staging kind = p == all_.end() ? staging::publish : staging::mend;
    if (kind == staging::mend &&
        (p->second.tenant != tenant || p->second.unpublished || !p->second.views.contains(viewer)))
      return error{errc::unknown_object,
                   "no publication " + std::to_string(id) + " this client may mend"};
    if (total > most_description_bytes)
      return error{errc::invalid_argument,
                   "a description of " + std::to_string(total) + " bytes is past the " +
                       std::to_string(most_description_bytes) + " a publication may have"};
    const auto mine = std::count_if(staged_.begin(), staged_.end(),
                                    [&](const auto& s) { return s.second.viewer == viewer; });
    if (static_cast<std::size_t>(mine) >= most_stagings)
      return error{errc::invalid_argument,
                   "this client sends " + std::to_string(mine) + " publications at once already"};
    it = staged_.emplace(id, stager{tenant, viewer, 0, {kind, total, {}}}).first;
    it->second.part.description.reserve(total);
  }
  stager& s = it->second;
  if (s.viewer != viewer || s.tenant != tenant)
    return error{errc::already_exists,
                 "publication id " + std::to_string(id) + " is being sent by another client"};
  if (number != s.next)
    return error{errc::invalid_argument, "part " + std::to_string(number) + " of publication " +
                                             std::to_string(id) + " came where part " +
                                             std::to_string(s.next) + " was due"};
  if (total != s.part.description_bytes || part.size() > total - s.part.description.size())
    return error{errc::invalid_argument,
                 "a part of " + std::to_string(part.size()) + " bytes after " +
                     std::to_string(s.part.description.size()) + " does not fit a description of " +
                     std::to_string(s.part.description_bytes) + " (announced " +
                     std::to_string(total) + ")"};
  s.part.description.insert(s.part.description.end(), part.begin(), part.end());
  ++s.next;
  return s.part.kind;
}

bool publications::staged_by_other(std::uint64_t id, owner_id viewer) const {
  const auto it = staged_.find(id);
  return it != staged_.end() && it->second.viewer != viewer;
}

std::optional<publications::staged_part> publications::take_staged(std::uint64_t id,
                                                                   owner_id viewer) {
  auto it = staged_.find(id);
  if (it == staged_.end() || it->second.viewer != viewer) return std::nullopt;
  staged_part part = std::move(it->second.part);
  staged_.erase(it);
  return part;
}

std::optional<std::uint64_t> publications::done(std::uint64_t id) {
  auto it = all_.find(id);
  if (!it->second.unpublished || !it->second.views.empty()) return std::nullopt;
  all_.erase(it);
  staged_.erase(id);  // a mend under way: what it staged is freed with the publication
  return id;
}

}  // namespace remora::actors
