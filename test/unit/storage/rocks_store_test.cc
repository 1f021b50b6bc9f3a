// RocksDB-only Store tests: persistence, locking, open errors and on-disk layout.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/store.h"
#include "unit/storage/store_test_util.h"

namespace dsc::storage {
namespace {

using testing::Bin;
using testing::Collect;
using testing::Keys;
using testing::TempDir;
using Strings = std::vector<std::string>;

std::unique_ptr<Store> MustOpen(const std::string& path) {
  RocksStoreOptions options;
  options.path = path;
  options.block_cache_bytes = 4 << 20;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksStore(options);
  INFO("open " << path << ": " << store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

TEST_CASE("RocksStore data survives close and reopen", "[storage][rocksdb]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    std::unique_ptr<Store> store = MustOpen(path);
    WriteBatch batch;
    for (int i = 0; i < kColumnCount; ++i) {
      const Column column = static_cast<Column>(i);
      batch.Put(column, "k", ColumnName(column));
      batch.Put(column, Bin("bin\0key"), Bin("bin\0value"));
      batch.Put(column, "doomed", "x");
    }
    DSC_REQUIRE_OK(store->Write(batch, /*sync=*/true));
    batch.Clear();
    batch.Delete(Column::kMeta, "doomed");
    batch.Delete(Column::kBlocks, "doomed");
    DSC_REQUIRE_OK(store->Write(batch, /*sync=*/false));  // WAL is flushed on close
  }
  for (int reopen = 0; reopen < 2; ++reopen) {
    INFO("reopen #" << reopen);
    std::unique_ptr<Store> store = MustOpen(path);
    for (int i = 0; i < kColumnCount; ++i) {
      const Column column = static_cast<Column>(i);
      INFO("column " << ColumnName(column));
      absl::StatusOr<std::string> got = store->Get(column, "k");
      REQUIRE(got.ok());
      CHECK(*got == ColumnName(column));
      CHECK(*store->Get(column, Bin("bin\0key")) == Bin("bin\0value"));
    }
    CHECK(store->Get(Column::kMeta, "doomed").status().code() == absl::StatusCode::kNotFound);
    CHECK(store->Get(Column::kBlocks, "doomed").status().code() == absl::StatusCode::kNotFound);
    CHECK(Keys(Collect(*store, Column::kTx)) == Strings{Bin("bin\0key"), "doomed", "k"});
  }
}

TEST_CASE("RocksStore refuses a data dir that is already open", "[storage][rocksdb]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  std::unique_ptr<Store> first = MustOpen(path);
  WriteBatch batch;
  batch.Put(Column::kMeta, "owner", "first");
  DSC_REQUIRE_OK(first->Write(batch, true));

  RocksStoreOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<Store>> second = OpenRocksStore(options);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(second.status().message(), "in use by another process"));
  CHECK(absl::StrContains(second.status().message(), path));

  // The first instance is unaffected, and the dir opens again once it is closed.
  CHECK(*first->Get(Column::kMeta, "owner") == "first");
  first.reset();
  std::unique_ptr<Store> third = MustOpen(path);
  CHECK(*third->Get(Column::kMeta, "owner") == "first");
}

TEST_CASE("RocksStore open argument errors", "[storage][rocksdb]") {
  TempDir dir;
  SECTION("empty path") {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksStore(RocksStoreOptions{});
    CHECK(store.status().code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("missing dir without create_if_missing") {
    RocksStoreOptions options;
    options.path = dir.path() + "/absent";
    options.create_if_missing = false;
    absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksStore(options);
    CHECK(store.status().code() == absl::StatusCode::kNotFound);
    CHECK_FALSE(std::filesystem::exists(options.path));
    std::filesystem::create_directory(options.path);  // a dir without a database in it
    CHECK_FALSE(OpenRocksStore(options).ok());
  }
  SECTION("path is a regular file") {
    const std::string file = dir.path() + "/file";
    std::ofstream(file) << "not a database";
    RocksStoreOptions options;
    options.path = file;
    CHECK_FALSE(OpenRocksStore(options).ok());
  }
  SECTION("missing parent dirs are created") {
    std::unique_ptr<Store> store = MustOpen(dir.path() + "/a/b/c");
    CHECK(std::filesystem::is_directory(dir.path() + "/a/b/c"));
  }
}

TEST_CASE("RocksStore reports a corrupt database as kDataLoss", "[storage][rocksdb]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    std::unique_ptr<Store> store = MustOpen(path);
    WriteBatch batch;
    batch.Put(Column::kBlocks, "k", "v");
    DSC_REQUIRE_OK(store->Write(batch, true));
  }
  int scribbled = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (!entry.path().filename().string().starts_with("MANIFEST-")) continue;
    std::fstream file(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(40);
    const std::string junk(64, 'Z');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    ++scribbled;
  }
  REQUIRE(scribbled == 1);
  RocksStoreOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksStore(options);
  INFO(store.status().ToString());
  CHECK(store.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("RocksStore keeps one column family per Column", "[storage][rocksdb]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  MustOpen(path).reset();
  MustOpen(path).reset();  // reopening an existing layout works
  // RocksDB records every family in its OPTIONS file.
  std::string options_text;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().filename().string().starts_with("OPTIONS-")) {
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      options_text = text.str();
    }
  }
  REQUIRE_FALSE(options_text.empty());
  for (int i = 0; i < kColumnCount; ++i) {
    const std::string section = absl::StrCat(
        "[CFOptions \"", testing::ToAbsl(ColumnName(static_cast<Column>(i))), "\"]");
    INFO(section);
    CHECK(absl::StrContains(options_text, section));
  }
  CHECK(absl::StrContains(options_text, "bloomfilter"));
}

}  // namespace
}  // namespace dsc::storage
