// Model-based randomized test: random batches go to the RocksDB store, the in-memory store
// (each behind a FaultyStore that occasionally fails a write) and a plain std::map model;
// gets and scans of all three must agree. Set DSC_STORAGE_SEED to replay another seed.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "storage/faulty_store.h"
#include "storage/store.h"
#include "unit/storage/store_test_util.h"

namespace dsc::storage {
namespace {

using testing::Collect;
using testing::Entries;
using testing::MemoryFixture;
using testing::RocksFixture;

constexpr uint64_t kDefaultSeed = 0xD5CD5705EEDull;
constexpr int kBatches = 3000;
constexpr int kReopenAt = 1500;
constexpr int kFullCompareEvery = 250;
constexpr std::array<Column, 3> kColumns = {Column::kMeta, Column::kAddrTx, Column::kPool};
// Few distinct bytes, including 0x00 and 0xff, so keys collide and share prefixes.
constexpr std::array<char, 4> kAlphabet = {'\0', 'a', 'b', '\xff'};

using Model = std::array<std::map<std::string, std::string>, kColumnCount>;

// The reference semantics of Store::Scan, written as plainly as possible.
Entries ModelScan(const Model& model, Column column, const std::string& prefix,
                  const std::string& start, bool reverse, size_t limit) {
  Entries out;
  for (const auto& [key, value] : model[static_cast<int>(column)]) {
    if (!key.starts_with(prefix)) continue;
    if (!start.empty() && (reverse ? key > start : key < start)) continue;
    out.emplace_back(key, value);
  }
  if (reverse) std::reverse(out.begin(), out.end());
  if (limit != 0 && out.size() > limit) out.resize(limit);
  return out;
}

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
  bool OneIn(int n) { return Uniform(0, n - 1) == 0; }
  std::string Key(int max_len) {
    std::string key(Uniform(0, max_len), '\0');
    for (char& c : key) c = kAlphabet[Uniform(0, kAlphabet.size() - 1)];
    return key;
  }
  std::string Value() {
    std::string value(Uniform(0, 12), '\0');
    for (char& c : value) c = static_cast<char>(Uniform(0, 255));
    return value;
  }
  Column AnyColumn() { return kColumns[Uniform(0, kColumns.size() - 1)]; }

 private:
  std::mt19937_64 engine_;
};

uint64_t Seed() {
  const char* env = std::getenv("DSC_STORAGE_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 0) : kDefaultSeed;
}

TEST_CASE("Stores match a std::map model under random batches", "[storage][model]") {
  const uint64_t seed = Seed();
  CAPTURE(seed);
  Random rng(seed);

  RocksFixture rocks;
  MemoryFixture memory;
  auto faulty_rocks = std::make_unique<FaultyStore>(&rocks.store());
  FaultyStore faulty_memory(&memory.store());
  Model model;

  auto stores = [&] {
    return std::array<std::pair<const char*, Store*>, 2>{
        {{"rocksdb", faulty_rocks.get()}, {"memory", &faulty_memory}}};
  };
  auto compare_all = [&](const char* when) {
    INFO("full compare " << when);
    for (Column column : kColumns) {
      const Entries expected = ModelScan(model, column, "", "", false, 0);
      Entries reversed(expected.rbegin(), expected.rend());
      for (auto [name, store] : stores()) {
        INFO("store " << name << " column " << ColumnName(column));
        REQUIRE(Collect(*store, column) == expected);
        REQUIRE(Collect(*store, column, "", "", true) == reversed);
      }
    }
  };

  int injected = 0;
  for (int round = 0; round < kBatches; ++round) {
    CAPTURE(round);
    WriteBatch batch;
    const int ops = rng.Uniform(1, 10);
    for (int i = 0; i < ops; ++i) {
      const Column column = rng.AnyColumn();
      if (rng.Uniform(0, 9) < 6) {
        batch.Put(column, rng.Key(4), rng.Value());
      } else {
        batch.Delete(column, rng.Key(4));
      }
    }
    const bool inject = rng.OneIn(20);
    if (inject) {
      ++injected;
      faulty_rocks->FailNthWrite(1);
      faulty_memory.FailNthWrite(1);
    }
    const bool sync = rng.OneIn(50);
    for (auto [name, store] : stores()) {
      INFO("store " << name);
      const absl::Status status = store->Write(batch, sync);
      if (inject) {
        REQUIRE(status.code() == absl::StatusCode::kUnavailable);
      } else {
        DSC_REQUIRE_OK(status);
      }
    }
    if (!inject) {
      for (const WriteBatch::Op& op : batch.ops()) {
        auto& map = model[static_cast<int>(op.column)];
        if (op.is_delete) {
          map.erase(op.key);
        } else {
          map[op.key] = op.value;
        }
      }
    }

    // One random point lookup and one random scan per round.
    const Column column = rng.AnyColumn();
    const std::string key = rng.Key(4);
    const auto& map = model[static_cast<int>(column)];
    const auto found = map.find(key);
    const std::string prefix = rng.Key(2);
    const std::string start = rng.OneIn(2) ? std::string() : prefix + rng.Key(3);
    const bool reverse = rng.OneIn(2);
    const size_t limit = rng.OneIn(2) ? 0 : rng.Uniform(1, 5);
    const Entries expected = ModelScan(model, column, prefix, start, reverse, limit);
    for (auto [name, store] : stores()) {
      INFO("store " << name << " column " << ColumnName(column) << " key \""
                    << absl::CEscape(key) << "\"");
      absl::StatusOr<std::string> got = store->Get(column, key);
      if (found == map.end()) {
        REQUIRE(got.status().code() == absl::StatusCode::kNotFound);
      } else {
        REQUIRE(got.ok());
        REQUIRE(*got == found->second);
      }
      REQUIRE(Collect(*store, column, prefix, start, reverse, limit) == expected);
    }

    if (round % kFullCompareEvery == 0) compare_all("periodic");
    if (round == kReopenAt) {
      faulty_rocks.reset();
      rocks.Reopen();
      faulty_rocks = std::make_unique<FaultyStore>(&rocks.store());
      compare_all("after reopen");
    }
  }
  compare_all("at the end");
  faulty_rocks.reset();
  rocks.Reopen();
  faulty_rocks = std::make_unique<FaultyStore>(&rocks.store());
  compare_all("after final reopen");
  CHECK(injected > 0);
  size_t total = 0;
  for (Column column : kColumns) total += model[static_cast<int>(column)].size();
  INFO("model holds " << total << " entries");
  CHECK(total > 100);
}

}  // namespace
}  // namespace dsc::storage
