#include "storage/spill_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace remora::storage {

using transport::errc;
using transport::error;
using transport::result;

namespace {

constexpr std::size_t version_bytes = 4;

/// The one place where a rocksdb::Status becomes a Remora error.
/// REQUIRES: !status.ok().
error from_rocksdb(const rocksdb::Status& status, std::string_view what, const std::string& dir) {
  const std::string detail = status.ToString();
  const bool full = status.IsNoSpace() || detail.find("No space left") != std::string::npos;
  std::string message{what};
  message += " in spill store ";
  message += dir;
  message += ": ";
  message += detail;
  return error{full ? errc::no_space : errc::io, std::move(message)};
}

std::array<char, 8> key_of(object_id id) {
  std::array<char, 8> key;
  for (int i = 7; i >= 0; --i, id >>= 8) key[i] = static_cast<char>(id & 0xff);
  return key;
}

rocksdb::Slice slice_of(const std::array<char, 8>& key) {
  return {key.data(), key.size()};
}

rocksdb::WriteOptions without_wal() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return options;
}

std::string describe(std::string_view what, object_id id) {
  return std::string{what} + " of object " + std::to_string(id);
}

}  // namespace

spill_store::spill_store(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

spill_store::~spill_store() {
  db_.reset();  // closes the database before the directory is unlocked
  ::close(lock_fd_);
}

result<std::unique_ptr<spill_store>> spill_store::open(const std::string& dir) {
  std::error_code ec;
  // Its old contents are wiped below: only a directory that is new, empty,
  // or marked as a spill directory (its lock file) may be used.
  if (std::filesystem::is_directory(dir, ec) && !std::filesystem::is_empty(dir, ec) &&
      !std::filesystem::exists(dir + "/remora-spill.lock", ec)) {
    std::string example;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      example = e.path().filename().string();
      break;
    }
    return error{errc::invalid_argument,
                 "spill directory " + dir + " holds other files (" + example +
                     ", ...) and is not a Remora spill directory; its contents would be "
                     "deleted: name a new or empty directory"};
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return error{errc::io, "creating spill directory " + dir + ": " + ec.message()};
  const std::string lock_path = dir + "/remora-spill.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const std::string why = std::generic_category().message(errno);
    return error{errc::io, "opening " + lock_path + ": " + why};
  }
  // From here the store owns fd, so every early return closes it.
  std::unique_ptr<spill_store> store{new spill_store(dir, fd)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const std::string why = std::generic_category().message(errno);
    return error{errc::io, "spill directory " + dir +
                               " is locked: another memory node may be using it (" + why + ")"};
  }

  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (auto s = rocksdb::DestroyDB(dir, options); !s.ok())
    return from_rocksdb(s, "wiping old contents", dir);
  rocksdb::DB* db = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir, &db); !s.ok())
    return from_rocksdb(s, "opening the database", dir);
  store->db_.reset(db);
  return store;
}

result<void> spill_store::put(object_id id, std::uint32_t version,
                              std::span<const std::byte> payload) {
  rocksdb::PinnableSlice old;
  auto held = find(id, old, "put");
  if (!held) return held.err();

  std::array<char, version_bytes> encoded_version;
  for (std::size_t i = 0; i < version_bytes; ++i)
    encoded_version[i] = static_cast<char>(version >> (8 * i));
  const auto key = key_of(id);
  const rocksdb::Slice key_slice = slice_of(key);
  const rocksdb::Slice value[] = {{encoded_version.data(), encoded_version.size()},
                                  {reinterpret_cast<const char*>(payload.data()), payload.size()}};
  rocksdb::WriteBatch batch;
  auto s = batch.Put(rocksdb::SliceParts(&key_slice, 1), rocksdb::SliceParts(value, 2));
  if (s.ok()) s = db_->Write(without_wal(), &batch);
  if (!s.ok()) return from_rocksdb(s, describe("put", id), dir_);

  if (*held) {
    bytes_ -= old.size() - version_bytes;
  } else {
    ++objects_;
  }
  bytes_ += payload.size();
  return {};
}

result<std::pair<std::uint32_t, std::vector<std::byte>>> spill_store::get(object_id id) {
  rocksdb::PinnableSlice value;
  auto held = find(id, value, "get");
  if (!held) return held.err();
  if (!*held)
    return error{errc::unknown_object, describe("get", id) + ": not in spill store " + dir_};

  std::uint32_t version = 0;
  for (std::size_t i = 0; i < version_bytes; ++i)
    version |= std::uint32_t{static_cast<unsigned char>(value[i])} << (8 * i);
  const auto* payload = reinterpret_cast<const std::byte*>(value.data()) + version_bytes;
  return std::pair{version,
                   std::vector<std::byte>(payload, payload + value.size() - version_bytes)};
}

result<void> spill_store::erase(object_id id) {
  rocksdb::PinnableSlice old;
  auto held = find(id, old, "erase");
  if (!held) return held.err();
  if (!*held)
    return error{errc::unknown_object, describe("erase", id) + ": not in spill store " + dir_};

  const auto key = key_of(id);
  if (auto s = db_->Delete(without_wal(), slice_of(key)); !s.ok())
    return from_rocksdb(s, describe("erase", id), dir_);
  --objects_;
  bytes_ -= old.size() - version_bytes;
  return {};
}

result<bool> spill_store::find(object_id id, rocksdb::PinnableSlice& value, std::string_view what) {
  const auto key = key_of(id);
  const auto s =
      db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), slice_of(key), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return from_rocksdb(s, describe(what, id), dir_);
  if (value.size() < version_bytes)
    return error{errc::io, describe(what, id) + ": corrupt value (" + std::to_string(value.size()) +
                               " bytes) in spill store " + dir_};
  return true;
}

std::uint64_t spill_store::disk_bytes() const {
  std::uint64_t sst = 0, memtables = 0;
  db_->GetIntProperty("rocksdb.total-sst-files-size", &sst);
  db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &memtables);
  return sst + memtables;
}

}  // namespace remora::storage
