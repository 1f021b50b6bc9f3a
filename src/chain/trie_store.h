// The provenance trie's nodes in the node's Store (Column::kTrie: node hash -> the
// 65-byte node), behind a bounded in-memory cache. The chain writes new nodes into the
// block's own WriteBatch (so trie and block land in one atomic write) and hands them to
// Remember() once that write succeeded. Thread-safe.
#ifndef DSC_CHAIN_TRIE_STORE_H_
#define DSC_CHAIN_TRIE_STORE_H_

#include <cstddef>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/trie.h"
#include "storage/store.h"

namespace dsc::chain {

class StoreTrieNodes : public core::TrieNodeReader {
 public:
  // `store` is not owned. Keeps up to about `cache_nodes` nodes in memory (0 = none).
  StoreTrieNodes(storage::Store* store, size_t cache_nodes);

  // From the cache, else from the store (and then cached). kNotFound if absent,
  // kDataLoss if the stored bytes are not a node with that hash.
  absl::Status GetNode(const core::Hash32& hash, core::TrieNodeBytes* out) override;


  // Adds every node of `nodes` to the batch as a kTrie put.
  static void AddToBatch(absl::Span<const core::TrieNewNode> nodes, storage::WriteBatch* batch);

  // Caches nodes that are now durable in the store.
  void Remember(absl::Span<const core::TrieNewNode> nodes);

 protected:
  // As GetNode for each hash: serves the cache hits under one lock, then reads all the
  // misses with one Store::MultiGet and caches them.
  absl::Status ReadNodes(absl::Span<const core::Hash32> hashes,
                         absl::Span<core::TrieNodeBytes> out) override;

 private:
  using Map = absl::flat_hash_map<core::Hash32, core::TrieNodeBytes, core::Hash32Hasher>;
  // Copies a cached node into *out (refreshing an old-generation hit); false on a miss.
  bool LookupLocked(const core::Hash32& hash, core::TrieNodeBytes* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CacheLocked(const core::Hash32& hash, const core::TrieNodeBytes& bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::Store* const store_;
  const size_t generation_size_;
  absl::Mutex mu_;
  // Two generations approximate an LRU: hits in `old_` move to `young_`; when `young_`
  // fills up it becomes `old_` and the previous `old_` is dropped.
  Map young_ ABSL_GUARDED_BY(mu_);
  Map old_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dsc::chain

#endif  // DSC_CHAIN_TRIE_STORE_H_
