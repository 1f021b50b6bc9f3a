// The shared Store suite: every test runs against both the RocksDB store (fresh temp dir
// per test) and the in-memory store, which must behave identically.
#include "storage/store.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "unit/storage/store_test_util.h"

namespace dsc::storage {
namespace {

using testing::Bin;
using testing::Collect;
using testing::Entries;
using testing::Keys;
using testing::MemoryFixture;
using testing::PutKeys;
using testing::RocksFixture;
using Strings = std::vector<std::string>;

TEST_CASE("ColumnName gives distinct names", "[storage]") {
  CHECK(ColumnName(Column::kMeta) == "meta");
  CHECK(ColumnName(Column::kBlocks) == "blocks");
  std::vector<std::string> names;
  for (int i = 0; i < kColumnCount; ++i) names.emplace_back(ColumnName(static_cast<Column>(i)));
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(std::find(names.begin(), names.end(), "unknown") == names.end());
}

TEST_CASE("WriteBatch records ops in order", "[storage]") {
  WriteBatch batch;
  CHECK(batch.empty());
  batch.Put(Column::kTx, "k", "v");
  batch.Delete(Column::kPool, "d");
  REQUIRE(batch.size() == 2);
  CHECK(batch.ops()[0].column == Column::kTx);
  CHECK(batch.ops()[0].key == "k");
  CHECK(batch.ops()[0].value == "v");
  CHECK_FALSE(batch.ops()[0].is_delete);
  CHECK(batch.ops()[1].column == Column::kPool);
  CHECK(batch.ops()[1].is_delete);
  batch.Clear();
  CHECK(batch.empty());
}

TEMPLATE_TEST_CASE("Store get, put and delete", "[storage]", RocksFixture, MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  INFO("store: " << TestType::kName);

  absl::StatusOr<std::string> missing = store.Get(Column::kAccounts, "alice");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);

  WriteBatch batch;
  batch.Put(Column::kAccounts, "alice", "100");
  DSC_REQUIRE_OK(store.Write(batch, /*sync=*/true));
  absl::StatusOr<std::string> got = store.Get(Column::kAccounts, "alice");
  REQUIRE(got.ok());
  CHECK(*got == "100");

  batch.Clear();
  batch.Put(Column::kAccounts, "alice", "250");
  DSC_REQUIRE_OK(store.Write(batch, false));
  CHECK(*store.Get(Column::kAccounts, "alice") == "250");

  batch.Clear();
  batch.Delete(Column::kAccounts, "alice");
  batch.Delete(Column::kAccounts, "never-written");  // deleting a missing key is fine
  DSC_REQUIRE_OK(store.Write(batch, false));
  CHECK(store.Get(Column::kAccounts, "alice").status().code() == absl::StatusCode::kNotFound);

  SECTION("empty value is a present value") {
    batch.Clear();
    batch.Put(Column::kMeta, "empty", "");
    DSC_REQUIRE_OK(store.Write(batch, false));
    absl::StatusOr<std::string> empty = store.Get(Column::kMeta, "empty");
    REQUIRE(empty.ok());
    CHECK(empty->empty());
  }
  SECTION("empty batch is a no-op") {
    DSC_REQUIRE_OK(store.Write(WriteBatch(), true));
    DSC_REQUIRE_OK(store.Write(WriteBatch(), false));
    CHECK(Collect(store, Column::kAccounts).empty());
  }
  SECTION("large value") {
    std::string big(1 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + i / 7);
    batch.Clear();
    batch.Put(Column::kBlocks, "big", big);
    DSC_REQUIRE_OK(store.Write(batch, false));
    CHECK(*store.Get(Column::kBlocks, "big") == big);
  }
}

TEMPLATE_TEST_CASE("Store MultiGet answers each key as Get does", "[storage]", RocksFixture,
                   MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  INFO("store: " << TestType::kName);
  CHECK(store.MultiGet(Column::kTrie, {}).empty());

  WriteBatch batch;
  batch.Put(Column::kTrie, "a", "1");
  batch.Put(Column::kTrie, Bin("b\0z"), Bin("2\0"));
  batch.Put(Column::kTrie, "empty", "");
  batch.Put(Column::kMeta, "c", "other column");
  DSC_REQUIRE_OK(store.Write(batch, false));

  const std::vector<std::string> keys = {"c", Bin("b\0z"), "a", "missing", "empty", "a", "b"};
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  const std::vector<absl::StatusOr<std::string>> got = store.MultiGet(Column::kTrie, views);
  REQUIRE(got.size() == keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO("key " << i);
    const absl::StatusOr<std::string> one = store.Get(Column::kTrie, keys[i]);
    CHECK(got[i].status().code() == one.status().code());
    if (one.ok()) CHECK(*got[i] == *one);
  }
  CHECK(got[0].status().code() == absl::StatusCode::kNotFound);  // only in kMeta
  CHECK(*got[1] == Bin("2\0"));
  CHECK(*got[2] == "1");
  CHECK(got[4]->empty());
  CHECK(*got[5] == "1");

  // Many keys at once (RocksDB batches them internally).
  batch.Clear();
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i) {
    many.push_back(absl::StrCat("k", i));
    if (i % 3 != 0) batch.Put(Column::kTrie, many.back(), absl::StrCat("v", i));
  }
  DSC_REQUIRE_OK(store.Write(batch, false));
  const std::vector<std::string_view> many_views(many.begin(), many.end());
  const auto many_got = store.MultiGet(Column::kTrie, many_views);
  REQUIRE(many_got.size() == many.size());
  for (int i = 0; i < 300; ++i) {
    INFO("k" << i);
    if (i % 3 == 0) {
      CHECK(absl::IsNotFound(many_got[i].status()));
    } else {
      REQUIRE(many_got[i].ok());
      CHECK(*many_got[i] == absl::StrCat("v", i));
    }
  }

  const std::vector<std::string_view> one_key = {"a"};
  const auto invalid = store.MultiGet(static_cast<Column>(kColumnCount), one_key);
  REQUIRE(invalid.size() == 1);
  CHECK(invalid[0].status().code() == absl::StatusCode::kInvalidArgument);
}

TEMPLATE_TEST_CASE("Store missing keys are kNotFound in every column", "[storage]",
                   RocksFixture, MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  for (int i = 0; i < kColumnCount; ++i) {
    const Column column = static_cast<Column>(i);
    INFO("column " << ColumnName(column));
    CHECK(store.Get(column, "nope").status().code() == absl::StatusCode::kNotFound);
    CHECK(store.Get(column, "").status().code() == absl::StatusCode::kNotFound);
  }
}

TEMPLATE_TEST_CASE("Store applies batch ops in order", "[storage]", RocksFixture,
                   MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  WriteBatch batch;
  batch.Put(Column::kTx, "k", "v1");
  batch.Put(Column::kTx, "k", "v2");         // later put wins
  batch.Put(Column::kTx, "gone", "x");
  batch.Delete(Column::kTx, "gone");         // put then delete: absent
  batch.Delete(Column::kTx, "back");
  batch.Put(Column::kTx, "back", "again");  // delete then put: present
  DSC_REQUIRE_OK(store.Write(batch, false));
  CHECK(*store.Get(Column::kTx, "k") == "v2");
  CHECK(store.Get(Column::kTx, "gone").status().code() == absl::StatusCode::kNotFound);
  CHECK(*store.Get(Column::kTx, "back") == "again");
  CHECK(Keys(Collect(store, Column::kTx)) == Strings{"back", "k"});

  // Keys longer than 8 bytes sharing their first 8, and a key that is a prefix of another
  // (the RocksDB store sorts a batch by the first 8 bytes before the whole key).
  batch.Clear();
  batch.Put(Column::kTx, "same8bytes-b", "1");
  batch.Put(Column::kTx, "same8bytes-a", "1");
  batch.Put(Column::kTx, "same8bytes-b", "2");
  batch.Delete(Column::kTx, "same8bytes-a");
  batch.Put(Column::kTx, Bin("k\0"), "nul");
  batch.Put(Column::kTx, "same8bytes", "short");
  DSC_REQUIRE_OK(store.Write(batch, false));
  CHECK(*store.Get(Column::kTx, "same8bytes-b") == "2");
  CHECK(absl::IsNotFound(store.Get(Column::kTx, "same8bytes-a").status()));
  CHECK(*store.Get(Column::kTx, Bin("k\0")) == "nul");
  CHECK(*store.Get(Column::kTx, "k") == "v2");
  CHECK(Keys(Collect(store, Column::kTx)) ==
        Strings{"back", "k", Bin("k\0"), "same8bytes", "same8bytes-b"});
}

TEMPLATE_TEST_CASE("Store rejects a batch with an invalid column and applies nothing",
                   "[storage]", RocksFixture, MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  PutKeys(store, Column::kMeta, {"keep"});
  WriteBatch batch;
  batch.Put(Column::kMeta, "a", "1");
  batch.Delete(Column::kMeta, "keep");
  batch.Put(static_cast<Column>(kColumnCount), "bad", "x");
  batch.Put(Column::kMeta, "b", "2");
  const absl::Status status = store.Write(batch, true);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Keys(Collect(store, Column::kMeta)) == Strings{"keep"});
  CHECK(store.Get(static_cast<Column>(-1), "x").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(store.Scan(static_cast<Column>(kColumnCount), "", "", false,
                   [](std::string_view, std::string_view) { return true; })
            .code() == absl::StatusCode::kInvalidArgument);
}

TEMPLATE_TEST_CASE("Store scans in unsigned byte order", "[storage]", RocksFixture,
                   MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  // Written in scrambled order; high bytes sort after ASCII (unsigned comparison).
  PutKeys(store, Column::kBlocks,
          {"b", "\xff", "a", Bin("\0"), "\x80", "ab", "", Bin("a\0"), "\x7f", "aa"});
  const Strings ascending = {"", Bin("\0"), "a", Bin("a\0"), "aa", "ab", "b", "\x7f", "\x80",
                             "\xff"};
  const Entries all = Collect(store, Column::kBlocks);
  CHECK(Keys(all) == ascending);
  for (const auto& [key, value] : all) CHECK(value == key + "=v");

  Strings descending(ascending.rbegin(), ascending.rend());
  CHECK(Keys(Collect(store, Column::kBlocks, "", "", /*reverse=*/true)) == descending);

  SECTION("fn returning false stops the scan") {
    CHECK(Keys(Collect(store, Column::kBlocks, "", "", false, 3)) ==
          Strings{"", Bin("\0"), "a"});
    CHECK(Keys(Collect(store, Column::kBlocks, "", "", true, 2)) == Strings{"\xff", "\x80"});
    int calls = 0;
    DSC_CHECK_OK(store.Scan(Column::kBlocks, "", "", false,
                            [&](std::string_view, std::string_view) {
                              ++calls;
                              return false;
                            }));
    CHECK(calls == 1);
  }
  SECTION("deleted keys are not visited") {
    WriteBatch batch;
    batch.Delete(Column::kBlocks, "aa");
    batch.Delete(Column::kBlocks, "\xff");
    batch.Delete(Column::kBlocks, "");
    DSC_REQUIRE_OK(store.Write(batch, false));
    CHECK(Keys(Collect(store, Column::kBlocks)) ==
          Strings{Bin("\0"), "a", Bin("a\0"), "ab", "b", "\x7f", "\x80"});
    CHECK(Keys(Collect(store, Column::kBlocks, "a", "", true)) ==
          Strings{"ab", Bin("a\0"), "a"});
  }
  SECTION("big-endian heights scan in numeric order") {
    Strings heights;
    for (uint64_t h : {0ull, 1ull, 255ull, 256ull, 65535ull, 1ull << 40, ~0ull}) {
      std::string key(8, '\0');
      for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(h >> (56 - 8 * i));
      heights.push_back(key);
    }
    Strings scrambled = heights;
    std::reverse(scrambled.begin(), scrambled.end());
    std::swap(scrambled[1], scrambled[4]);
    PutKeys(store, Column::kPool, scrambled);
    CHECK(Keys(Collect(store, Column::kPool)) == heights);
    CHECK(Keys(Collect(store, Column::kPool, "", "", true, 1)) == Strings{heights.back()});
  }
}

TEMPLATE_TEST_CASE("Store prefix scans honour start and reverse", "[storage]", RocksFixture,
                   MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  const Column c = Column::kAddrTx;
  PutKeys(store, c,
          {"", "a", Bin("a\0"), "a1", "a2", "a3", "a\xff", "a\xff\xff", "b", "b1", "c1", "c2",
           "\xff", "\xff\x01", "\xff\xff"});
  // Same keys in a neighbouring column must never leak into scans of `c`.
  PutKeys(store, Column::kTx, {"a0", "a25", "c", Bin("\xff\0")});

  SECTION("forward prefix") {
    CHECK(Keys(Collect(store, c, "a")) ==
          Strings{"a", Bin("a\0"), "a1", "a2", "a3", "a\xff", "a\xff\xff"});
    CHECK(Keys(Collect(store, c, "a\xff")) == Strings{"a\xff", "a\xff\xff"});
    CHECK(Keys(Collect(store, c, "b")) == Strings{"b", "b1"});
    CHECK(Keys(Collect(store, c, "a2")) == Strings{"a2"});
  }
  SECTION("reverse prefix") {
    CHECK(Keys(Collect(store, c, "a", "", true)) ==
          Strings{"a\xff\xff", "a\xff", "a3", "a2", "a1", Bin("a\0"), "a"});
    CHECK(Keys(Collect(store, c, "a\xff", "", true)) == Strings{"a\xff\xff", "a\xff"});
    CHECK(Keys(Collect(store, c, "b", "", true)) == Strings{"b1", "b"});
  }
  SECTION("forward with start") {
    CHECK(Keys(Collect(store, c, "a", "a2")) == Strings{"a2", "a3", "a\xff", "a\xff\xff"});
    CHECK(Keys(Collect(store, c, "a", "a25")) == Strings{"a3", "a\xff", "a\xff\xff"});
    CHECK(Keys(Collect(store, c, "a", "a")) ==
          Strings{"a", Bin("a\0"), "a1", "a2", "a3", "a\xff", "a\xff\xff"});
    CHECK(Keys(Collect(store, c, "", "b")) ==
          Strings{"b", "b1", "c1", "c2", "\xff", "\xff\x01", "\xff\xff"});
    CHECK(Keys(Collect(store, c, "a", "a2", false, 2)) == Strings{"a2", "a3"});
  }
  SECTION("reverse with start") {
    CHECK(Keys(Collect(store, c, "a", "a2", true)) == Strings{"a2", "a1", Bin("a\0"), "a"});
    CHECK(Keys(Collect(store, c, "a", "a25", true)) == Strings{"a2", "a1", Bin("a\0"), "a"});
    CHECK(Keys(Collect(store, c, "a", "a", true)) == Strings{"a"});
    CHECK(Keys(Collect(store, c, "", "b", true)) ==
          Strings{"b", "a\xff\xff", "a\xff", "a3", "a2", "a1", Bin("a\0"), "a", ""});
    CHECK(Keys(Collect(store, c, "a", "a3", true, 2)) == Strings{"a3", "a2"});
  }
  SECTION("start beyond the last key of the prefix") {
    CHECK(Collect(store, c, "a", "a\xff\xff\xff").empty());
    CHECK(Keys(Collect(store, c, "a", "a\xff\xff\xff", true)) ==
          Strings{"a\xff\xff", "a\xff", "a3", "a2", "a1", Bin("a\0"), "a"});
    CHECK(Collect(store, c, "b", "b2").empty());
    CHECK(Keys(Collect(store, c, "b", "b2", true)) == Strings{"b1", "b"});
    CHECK(Collect(store, c, "", Bin("\xff\xff\0")).empty());
    CHECK(Keys(Collect(store, c, "", "\xff\xff\x01", true, 2)) == Strings{"\xff\xff", "\xff\x01"});
  }
  SECTION("empty ranges") {
    // Keys exist on both sides of the range, none inside it.
    CHECK(Collect(store, c, "c", "c", true).empty());      // "c" < "c1": nothing <= start
    CHECK(Collect(store, c, "a2", "a2x").empty());         // nothing > "a2x" inside "a2"
    CHECK(Collect(store, c, "b0").empty());
    CHECK(Collect(store, c, "b0", "", true).empty());
    CHECK(Collect(store, c, Bin("a\0\0")).empty());
    CHECK(Collect(store, c, Bin("a\0\0"), "", true).empty());
  }
  SECTION("prefix that matches nothing") {
    for (const std::string& prefix : Strings{"zz", "a4", "\xff\xff\xff", "c3", "0", Bin("\0")}) {
      INFO("prefix " << prefix);
      CHECK(Collect(store, c, prefix).empty());
      CHECK(Collect(store, c, prefix, "", true).empty());
      CHECK(Collect(store, c, prefix, prefix + "z").empty());
      CHECK(Collect(store, c, prefix, prefix + "z", true).empty());
    }
  }
  SECTION("prefixes of 0xff bytes have no successor") {
    CHECK(Keys(Collect(store, c, "\xff")) == Strings{"\xff", "\xff\x01", "\xff\xff"});
    CHECK(Keys(Collect(store, c, "\xff", "", true)) == Strings{"\xff\xff", "\xff\x01", "\xff"});
    CHECK(Keys(Collect(store, c, "\xff\xff", "", true)) == Strings{"\xff\xff"});
    CHECK(Keys(Collect(store, c, "\xff", Bin("\xff\0\0"), true)) == Strings{"\xff"});
  }
  SECTION("empty prefix reverse covers everything") {
    CHECK(Collect(store, c, "", "", true).size() == 15);
    CHECK(Keys(Collect(store, c, "", "", true, 1)) == Strings{"\xff\xff"});
  }
  SECTION("start that does not begin with prefix is rejected") {
    const absl::Status status = store.Scan(
        c, "a", "b", false, [](std::string_view, std::string_view) { return true; });
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("ScanPrefix is an ascending prefix scan") {
    Strings keys;
    DSC_CHECK_OK(store.ScanPrefix(c, "b", [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    }));
    CHECK(keys == Strings{"b", "b1"});
  }
}

TEMPLATE_TEST_CASE("Store handles binary keys with zero bytes", "[storage]", RocksFixture,
                   MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  WriteBatch batch;
  batch.Put(Column::kTrie, Bin("\0"), Bin("zero\0value"));
  batch.Put(Column::kTrie, Bin("\0\0"), "two zeros");
  batch.Put(Column::kTrie, Bin("a\0b"), Bin("\0"));
  batch.Put(Column::kTrie, Bin("a\0c"), "c");
  batch.Put(Column::kTrie, Bin("a\0\xff"), "ff");
  DSC_REQUIRE_OK(store.Write(batch, false));

  CHECK(*store.Get(Column::kTrie, Bin("\0")) == Bin("zero\0value"));
  CHECK(*store.Get(Column::kTrie, Bin("\0\0")) == "two zeros");
  CHECK(*store.Get(Column::kTrie, Bin("a\0b")) == Bin("\0"));
  CHECK(store.Get(Column::kTrie, "a").status().code() == absl::StatusCode::kNotFound);
  CHECK(store.Get(Column::kTrie, "").status().code() == absl::StatusCode::kNotFound);
  CHECK(store.Get(Column::kTrie, Bin("a\0")).status().code() == absl::StatusCode::kNotFound);

  CHECK(Keys(Collect(store, Column::kTrie, Bin("a\0"))) ==
        Strings{Bin("a\0b"), Bin("a\0c"), Bin("a\0\xff")});
  CHECK(Keys(Collect(store, Column::kTrie, Bin("a\0"), Bin("a\0c"), true)) ==
        Strings{Bin("a\0c"), Bin("a\0b")});
  CHECK(Keys(Collect(store, Column::kTrie, Bin("\0"))) == Strings{Bin("\0"), Bin("\0\0")});
  CHECK(Keys(Collect(store, Column::kTrie, Bin("\0"), "", true)) ==
        Strings{Bin("\0\0"), Bin("\0")});
  const Entries entries = Collect(store, Column::kTrie, Bin("\0"), Bin("\0\0"));
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].second == "two zeros");
}

TEMPLATE_TEST_CASE("Store columns are isolated", "[storage]", RocksFixture, MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  WriteBatch batch;
  for (int i = 0; i < kColumnCount; ++i) {
    const Column column = static_cast<Column>(i);
    batch.Put(column, "shared", std::string(ColumnName(column)));
    batch.Put(column, absl::StrCat("only-", testing::ToAbsl(ColumnName(column))), "x");
  }
  DSC_REQUIRE_OK(store.Write(batch, false));
  for (int i = 0; i < kColumnCount; ++i) {
    const Column column = static_cast<Column>(i);
    INFO("column " << ColumnName(column));
    CHECK(*store.Get(column, "shared") == ColumnName(column));
    CHECK(Keys(Collect(store, column)) ==
          Strings{absl::StrCat("only-", testing::ToAbsl(ColumnName(column))), "shared"});
  }

  batch.Clear();
  batch.Delete(Column::kPool, "shared");
  DSC_REQUIRE_OK(store.Write(batch, false));
  CHECK(store.Get(Column::kPool, "shared").status().code() == absl::StatusCode::kNotFound);
  CHECK(*store.Get(Column::kTx, "shared") == "tx");
  CHECK(*store.Get(Column::kMeta, "shared") == "meta");
}

TEMPLATE_TEST_CASE("Store scan callbacks may call back into the store", "[storage]",
                   RocksFixture, MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back(absl::StrCat("k", 1000 + i));
  PutKeys(store, Column::kAccounts, keys);
  int visited = 0;
  bool all_ok = true;
  DSC_REQUIRE_OK(store.Scan(Column::kAccounts, "k", "", false,
                            [&](std::string_view k, std::string_view v) {
                              ++visited;
                              absl::StatusOr<std::string> got = store.Get(Column::kAccounts, k);
                              all_ok &= got.ok() && *got == v;
                              WriteBatch copy;
                              copy.Put(Column::kPool, k, v);
                              all_ok &= store.Write(copy, false).ok();
                              return true;
                            }));
  CHECK(visited == 200);
  CHECK(all_ok);
  CHECK(Collect(store, Column::kPool) == Collect(store, Column::kAccounts));
}

TEMPLATE_TEST_CASE("Store batches are atomic under concurrency", "[storage]", RocksFixture,
                   MemoryFixture) {
  TestType fixture;
  Store& store = fixture.store();
  constexpr int kWriters = 2;
  constexpr int kRounds = 300;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> errors{0};

  // Each writer keeps its pair (w/x, w/y) equal; readers must never see them differ.
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < kRounds; ++round) {
        WriteBatch batch;
        const std::string value = absl::StrCat(round);
        batch.Put(Column::kMeta, absl::StrCat(w, "/x"), value);
        batch.Put(Column::kMeta, absl::StrCat(w, "/y"), value);
        if (!store.Write(batch, false).ok()) errors.fetch_add(1);
      }
    });
  }
  std::thread reader([&] {
    while (!done.load()) {
      for (int w = 0; w < kWriters; ++w) {
        std::vector<std::string> values;
        const absl::Status status =
            store.Scan(Column::kMeta, absl::StrCat(w, "/"), "", false,
                       [&](std::string_view, std::string_view v) {
                         values.emplace_back(v);
                         return true;
                       });
        if (!status.ok()) errors.fetch_add(1);
        if (values.size() == 2 && values[0] != values[1]) torn.fetch_add(1);
        if (values.size() == 1) torn.fetch_add(1);
      }
    }
  });
  for (std::thread& t : threads) t.join();
  done.store(true);
  reader.join();
  CHECK(errors.load() == 0);
  CHECK(torn.load() == 0);
  for (int w = 0; w < kWriters; ++w) {
    CHECK(*store.Get(Column::kMeta, absl::StrCat(w, "/x")) == absl::StrCat(kRounds - 1));
  }
}

}  // namespace
}  // namespace dsc::storage
