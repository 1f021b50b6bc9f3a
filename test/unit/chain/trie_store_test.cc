// StoreTrieNodes: the provenance trie's node reader over a Store, with its two-generation
// cache. Batch reads (GetNodes) must answer exactly as GetNode does, on both stores, with
// and without a cache, and through injected read faults.
#include "chain/trie_store.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/trie.h"
#include "storage/faulty_store.h"
#include "testing/fixtures.h"

namespace dsc::chain {
namespace {

std::vector<core::TrieNewNode> RandomLeaves(std::mt19937_64& rng, size_t n) {
  std::vector<core::TrieNewNode> nodes(n);
  for (auto& node : nodes) {
    node.bytes[0] = core::kTrieLeafTag;
    for (size_t i = 1; i < node.bytes.size(); ++i) node.bytes[i] = static_cast<uint8_t>(rng());
    node.hash = crypto::Blake2b256(absl::MakeConstSpan(node.bytes));
  }
  return nodes;
}

std::string_view View(const core::Hash32& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

TEST_CASE("StoreTrieNodes GetNodes serves cache hits and store misses together", "[chain]") {
  for (const size_t cache : {size_t{0}, size_t{64}, size_t{1} << 12}) {
    INFO("cache " << cache);
    std::mt19937_64 rng(21);
    auto base = storage::NewMemoryStore();
    storage::FaultyStore store(base.get());
    StoreTrieNodes nodes(&store, cache);
    const auto stored = RandomLeaves(rng, 300);
    storage::WriteBatch batch;
    StoreTrieNodes::AddToBatch(stored, &batch);
    DSC_REQUIRE_OK(store.Write(batch, false));
    // Half the nodes are remembered (cached) as the chain does after its write.
    nodes.Remember(absl::MakeConstSpan(stored).subspan(0, 150));

    std::vector<core::Hash32> hashes;
    for (size_t i = 0; i < stored.size(); i += 2) hashes.push_back(stored[i].hash);
    for (size_t i = 1; i < stored.size(); i += 2) hashes.push_back(stored[i].hash);
    std::vector<core::TrieNodeBytes> out(hashes.size());
    DSC_REQUIRE_OK(nodes.GetNodes(hashes, absl::MakeSpan(out)));
    for (size_t i = 0; i < hashes.size(); ++i) {
      core::TrieNodeBytes one;
      DSC_REQUIRE_OK(nodes.GetNode(hashes[i], &one));
      CHECK(out[i] == one);
      CHECK(crypto::Blake2b256(absl::MakeConstSpan(out[i])) == hashes[i]);
    }
    CHECK(nodes.GetNodes({}, {}).ok());

    // With reads failing, cached nodes are still served and misses report the fault.
    store.SetFailReads(true);
    const auto fresh = RandomLeaves(rng, 2);  // never cached, never stored
    std::vector<core::TrieNodeBytes> two(2);
    const std::vector<core::Hash32> uncached = {stored[299].hash, fresh[0].hash};
    if (cache >= 600) {
      // Everything read above is now cached.
      DSC_REQUIRE_OK(nodes.GetNodes(std::vector<core::Hash32>{stored[0].hash, stored[299].hash},
                                    absl::MakeSpan(two)));
      CHECK(two[1] == stored[299].bytes);
    } else {
      CHECK(nodes.GetNodes(uncached, absl::MakeSpan(two)).code() ==
            absl::StatusCode::kUnavailable);
    }
    store.SetFailReads(false);

    // A missing node is kNotFound; the first failing hash decides the error.
    absl::Status missing = nodes.GetNodes(uncached, absl::MakeSpan(two));
    CHECK(missing.code() == absl::StatusCode::kNotFound);
    CHECK(two[0] == stored[299].bytes);

    // Corrupt bytes under a hash, and a value of the wrong size, are kDataLoss.
    batch.Clear();
    auto corrupt = stored[1].bytes;
    corrupt[40] ^= 1;
    batch.Put(storage::Column::kTrie, View(fresh[0].hash),
              std::string_view(reinterpret_cast<const char*>(corrupt.data()), corrupt.size()));
    batch.Put(storage::Column::kTrie, View(fresh[1].hash), "short");
    DSC_REQUIRE_OK(store.Write(batch, false));
    CHECK(nodes.GetNodes(std::vector<core::Hash32>{stored[3].hash, fresh[0].hash},
                         absl::MakeSpan(two))
              .code() == absl::StatusCode::kDataLoss);
    CHECK(nodes.GetNodes(std::vector<core::Hash32>{fresh[1].hash, fresh[0].hash},
                         absl::MakeSpan(two))
              .code() == absl::StatusCode::kDataLoss);
    std::vector<core::TrieNodeBytes> one(1);
    CHECK(nodes.GetNodes(uncached, absl::MakeSpan(one)).code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Trie over StoreTrieNodes on two threads gives the in-memory root", "[chain]") {
  testing::TempDir dir{"dsc_trie_store_test"};
  storage::RocksStoreOptions options;
  options.path = dir.Sub("db");
  options.block_cache_bytes = 4 << 20;
  auto opened = storage::OpenRocksStore(options);
  REQUIRE(opened.ok());
  StoreTrieNodes nodes(opened->get(), 1 << 10);  // a small cache: most reads are misses
  core::MemoryTrieNodeStore memory;
  core::Trie trie(&nodes), reference(&memory);
  trie.set_threads(2);
  core::Hash32 root{}, want{};
  for (int b = 0; b < 3; ++b) {
    std::vector<core::TrieEntry> entries(6000);
    for (uint32_t i = 0; i < entries.size(); ++i) {
      crypto::RandomBytes(absl::MakeSpan(entries[i].key));
      entries[i].value_hash = core::TxProvenanceValue(b + 1, i);
    }
    std::vector<core::TrieNewNode> created, expected;
    auto got = trie.Insert(root, entries, &created);
    auto exp = reference.Insert(want, entries, &expected);
    REQUIRE(got.ok());
    REQUIRE(exp.ok());
    CHECK(*got == *exp);
    storage::WriteBatch batch;
    StoreTrieNodes::AddToBatch(created, &batch);
    DSC_REQUIRE_OK((*opened)->Write(batch, false));
    nodes.Remember(created);
    memory.PutAll(expected);
    root = *got;
    want = *exp;
  }
}

}  // namespace
}  // namespace dsc::chain
