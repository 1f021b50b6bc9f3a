// FaultyStore tests, run over both the RocksDB and the in-memory store.
#include "storage/faulty_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/store.h"
#include "unit/storage/store_test_util.h"

namespace dsc::storage {
namespace {

using testing::Collect;
using testing::Keys;
using testing::MemoryFixture;
using testing::RocksFixture;
using Strings = std::vector<std::string>;

WriteBatch ThreeColumnBatch(const std::string& tag) {
  WriteBatch batch;
  batch.Put(Column::kBlocks, "b-" + tag, "block");
  batch.Put(Column::kTx, "t-" + tag, "tx");
  batch.Delete(Column::kMeta, "tip");
  batch.Put(Column::kMeta, "tip", tag);
  return batch;
}

TEMPLATE_TEST_CASE("FaultyStore injected write fault applies nothing", "[storage][faulty]",
                   RocksFixture, MemoryFixture) {
  TestType fixture;
  FaultyStore store(&fixture.store());
  DSC_REQUIRE_OK(store.Write(ThreeColumnBatch("1"), true));

  store.FailNthWrite(1);
  const absl::Status failed = store.Write(ThreeColumnBatch("2"), true);
  CHECK(failed.code() == absl::StatusCode::kUnavailable);
  CHECK(failed.message() == "injected write fault");
  CHECK(store.injected_write_faults() == 1);

  // Nothing of the failed batch is visible, through the wrapper or underneath it.
  for (Store* s : {static_cast<Store*>(&store), &fixture.store()}) {
    CHECK(*s->Get(Column::kMeta, "tip") == "1");
    CHECK(s->Get(Column::kBlocks, "b-2").status().code() == absl::StatusCode::kNotFound);
    CHECK(s->Get(Column::kTx, "t-2").status().code() == absl::StatusCode::kNotFound);
    CHECK(Keys(Collect(*s, Column::kBlocks)) == Strings{"b-1"});
  }

  // The fault was one-shot: writing works again.
  DSC_REQUIRE_OK(store.Write(ThreeColumnBatch("2"), true));
  CHECK(*store.Get(Column::kMeta, "tip") == "2");
  CHECK(Keys(Collect(store, Column::kTx)) == Strings{"t-1", "t-2"});
  CHECK(store.injected_write_faults() == 1);
}

TEMPLATE_TEST_CASE("FaultyStore fails exactly the Nth write", "[storage][faulty]",
                   RocksFixture, MemoryFixture) {
  TestType fixture;
  FaultyStore store(&fixture.store());
  store.FailNthWrite(3);
  CHECK(store.Write(ThreeColumnBatch("1"), false).ok());
  CHECK(store.Write(ThreeColumnBatch("2"), false).ok());
  CHECK(store.Write(ThreeColumnBatch("3"), false).code() == absl::StatusCode::kUnavailable);
  CHECK(store.Write(ThreeColumnBatch("4"), false).ok());
  CHECK(store.Write(ThreeColumnBatch("5"), false).ok());
  CHECK(Keys(Collect(store, Column::kBlocks)) == Strings{"b-1", "b-2", "b-4", "b-5"});

  SECTION("n <= 0 disarms a pending fault") {
    store.FailNthWrite(1);
    store.FailNthWrite(0);
    CHECK(store.Write(ThreeColumnBatch("6"), false).ok());
  }
  SECTION("re-arming replaces the countdown") {
    store.FailNthWrite(5);
    store.FailNthWrite(1);
    CHECK_FALSE(store.Write(ThreeColumnBatch("6"), false).ok());
    CHECK(store.Write(ThreeColumnBatch("7"), false).ok());
  }
}

TEMPLATE_TEST_CASE("FaultyStore fails every write while the flag is set", "[storage][faulty]",
                   RocksFixture, MemoryFixture) {
  TestType fixture;
  FaultyStore store(&fixture.store());
  store.SetFailWrites(true);
  for (int i = 0; i < 3; ++i) {
    const absl::Status status = store.Write(ThreeColumnBatch(absl::StrCat(i)), true);
    CHECK(status.code() == absl::StatusCode::kUnavailable);
    CHECK(status.message() == "injected write fault");
  }
  CHECK(store.injected_write_faults() == 3);
  CHECK(Collect(store, Column::kBlocks).empty());
  // Reads keep working while writes fail.
  CHECK(store.Get(Column::kMeta, "tip").status().code() == absl::StatusCode::kNotFound);
  store.SetFailWrites(false);
  DSC_REQUIRE_OK(store.Write(ThreeColumnBatch("ok"), true));
  CHECK(*store.Get(Column::kMeta, "tip") == "ok");
}

TEMPLATE_TEST_CASE("FaultyStore injected read fault", "[storage][faulty]", RocksFixture,
                   MemoryFixture) {
  TestType fixture;
  FaultyStore store(&fixture.store());
  DSC_REQUIRE_OK(store.Write(ThreeColumnBatch("1"), false));

  store.SetFailReads(true);
  absl::StatusOr<std::string> got = store.Get(Column::kMeta, "tip");
  CHECK(got.status().code() == absl::StatusCode::kUnavailable);
  CHECK(got.status().message() == "injected read fault");
  int calls = 0;
  const absl::Status scan = store.Scan(Column::kBlocks, "", "", false,
                                       [&](std::string_view, std::string_view) {
                                         ++calls;
                                         return true;
                                       });
  CHECK(scan.code() == absl::StatusCode::kUnavailable);
  CHECK(calls == 0);
  CHECK(store.injected_read_faults() == 2);
  const std::vector<std::string_view> keys = {"tip", "missing"};
  const auto multi = store.MultiGet(Column::kMeta, keys);
  REQUIRE(multi.size() == 2);
  for (const auto& v : multi) {
    CHECK(v.status().code() == absl::StatusCode::kUnavailable);
    CHECK(v.status().message() == "injected read fault");
  }
  CHECK(store.injected_read_faults() == 3);
  // Writes still go through while reads fail.
  DSC_REQUIRE_OK(store.Write(ThreeColumnBatch("2"), false));

  store.ClearFaults();
  CHECK(*store.Get(Column::kMeta, "tip") == "2");
  const auto forwarded = store.MultiGet(Column::kMeta, keys);
  REQUIRE(forwarded.size() == 2);
  CHECK(*forwarded[0] == "2");
  CHECK(absl::IsNotFound(forwarded[1].status()));
  CHECK(Keys(Collect(store, Column::kBlocks)) == Strings{"b-1", "b-2"});
}

TEST_CASE("FaultyStore can own its store", "[storage][faulty]") {
  FaultyStore store(NewMemoryStore());
  REQUIRE(store.base() != nullptr);
  DSC_REQUIRE_OK(store.Write(ThreeColumnBatch("1"), false));
  CHECK(*store.base()->Get(Column::kMeta, "tip") == "1");
}

TEST_CASE("FaultyStore Nth-write fault fires once under concurrency", "[storage][faulty]") {
  FaultyStore store(NewMemoryStore());
  constexpr int kThreads = 4;
  constexpr int kWritesPerThread = 100;
  store.FailNthWrite(150);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        WriteBatch batch;
        batch.Put(Column::kPool, absl::StrCat(t, "/", i), "x");
        if (!store.Write(batch, false).ok()) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures.load() == 1);
  CHECK(store.injected_write_faults() == 1);
  CHECK(Collect(store, Column::kPool).size() == kThreads * kWritesPerThread - 1);
}

}  // namespace
}  // namespace dsc::storage
