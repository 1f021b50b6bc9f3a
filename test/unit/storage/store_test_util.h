// Shared helpers for the storage tests: store fixtures (RocksDB in a fresh temp dir,
// in-memory), status printing for Catch2, and a scan collector.
#ifndef DSC_TEST_UNIT_STORAGE_STORE_TEST_UTIL_H_
#define DSC_TEST_UNIT_STORAGE_STORE_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "testing/common.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/store.h"

namespace Catch {
template <>
struct StringMaker<std::pair<std::string, std::string>> {
  static std::string convert(const std::pair<std::string, std::string>& kv) {
    return absl::StrCat("\"", absl::CEscape(kv.first), "\"=\"", absl::CEscape(kv.second), "\"");
  }
};
}  // namespace Catch

namespace dsc::storage::testing {

using Entries = std::vector<std::pair<std::string, std::string>>;

// Builds a std::string from a literal that may contain zero bytes: Bin("a\0b").
template <size_t N>
std::string Bin(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// Debian's Abseil has its own absl::string_view, not convertible from std::string_view.
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

using ::dsc::testing::TempDir;

// Fixture: a RocksDB store in its own temp dir. Reopen() closes and reopens it.
class RocksFixture {
 public:
  static constexpr const char* kName = "rocksdb";

  RocksFixture() { Reopen(); }
  ~RocksFixture() { store_.reset(); }  // close before the dir goes away

  Store& store() { return *store_; }
  const std::string& path() const { return dir_.path(); }
  bool persistent() const { return true; }

  void Reopen() {
    store_.reset();
    RocksStoreOptions options;
    options.path = dir_.path() + "/db";
    options.block_cache_bytes = 8 << 20;
    absl::StatusOr<std::unique_ptr<Store>> opened = OpenRocksStore(options);
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
  }

 private:
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// Fixture: an in-memory store.
class MemoryFixture {
 public:
  static constexpr const char* kName = "memory";

  MemoryFixture() : store_(NewMemoryStore()) {}
  Store& store() { return *store_; }
  bool persistent() const { return false; }
  void Reopen() {}  // nothing to reopen: the data lives as long as the object

 private:
  std::unique_ptr<Store> store_;
};

// Scans and returns the visited entries; fails the test if the scan fails.
inline Entries Collect(Store& store, Column column, std::string_view prefix = "",
                       std::string_view start = "", bool reverse = false, size_t limit = 0) {
  Entries out;
  const absl::Status status =
      store.Scan(column, prefix, start, reverse, [&](std::string_view k, std::string_view v) {
        out.emplace_back(std::string(k), std::string(v));
        return limit == 0 || out.size() < limit;
      });
  INFO("scan prefix=\"" << absl::CEscape(ToAbsl(prefix)) << "\" start=\"" << absl::CEscape(ToAbsl(start))
                        << "\" reverse=" << reverse << " -> " << status.ToString());
  REQUIRE(status.ok());
  return out;
}

// Keys only, in visiting order.
inline std::vector<std::string> Keys(const Entries& entries) {
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (const auto& kv : entries) keys.push_back(kv.first);
  return keys;
}

// Puts every (key, key + "=v") pair in one batch.
inline void PutKeys(Store& store, Column column, const std::vector<std::string>& keys) {
  WriteBatch batch;
  for (const std::string& k : keys) batch.Put(column, k, k + "=v");
  DSC_REQUIRE_OK(store.Write(batch, false));
}

}  // namespace dsc::storage::testing

#endif  // DSC_TEST_UNIT_STORAGE_STORE_TEST_UTIL_H_
