// The chain role: every block, the balance cache, the indexes, and the provenance trie
// (core/trie.h: every confirmed tx id -> TxProvenanceValue(height, index)), in one Store.
// Blocks are appended only after full validation, in one atomic synced write each that
// also holds the block's new trie nodes. Block h carries the trie root after block h - 1,
// so the headers themselves are the height -> root map; the root after the tip is kept
// in the metadata. Trie nodes are never deleted, so every past root stays provable.
// Thread-safe: appends are serialized; reads run concurrently.
#ifndef DSC_CHAIN_CHAIN_H_
#define DSC_CHAIN_CHAIN_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/api.h"
#include "core/signature_cache.h"
#include "core/params.h"
#include "chain/trie_store.h"
#include "storage/store.h"

namespace dsc::chain {

struct ChainOptions {
  core::ConsensusParams params;
  // Where the metronome's public key comes from the first time a block arrives (then it
  // is kept in the store and must not change). Required.
  std::function<absl::StatusOr<core::PublicKey>()> metronome_key_source;
  int verify_threads = 2;  // signature checks of a block's transactions
  // Signatures already verified in this process (by an in-process pool) are not verified
  // again. Not owned; may be null.
  core::SignatureCache* signature_cache = nullptr;
  size_t trie_cache_nodes = 1 << 20;  // provenance trie nodes kept in memory (65 B each)
  // Threads for a block's provenance trie insertion (core::Trie::set_threads; only blocks
  // of a few thousand transactions or more use a second one). The root does not depend on it.
  int trie_threads = 2;
};

class Chain : public core::ChainApi {
 public:
  // Opens the chain in `store` (not owned; must outlive the Chain). On an empty store,
  // writes the genesis block of options.params. Returns kFailedPrecondition if the store
  // holds a chain with another genesis, kDataLoss if its metadata is corrupt.
  static absl::StatusOr<std::unique_ptr<Chain>> Open(storage::Store* store,
                                                     ChainOptions options);

  absl::StatusOr<core::ChainTip> GetTip() override;
  absl::StatusOr<core::Block> GetBlock(uint64_t height, absl::Duration wait) override;
  absl::StatusOr<core::Block> GetBlockByHash(const core::Hash32& hash) override;
  absl::StatusOr<core::AccountInfo> GetAccount(const core::Address& address) override;
  absl::StatusOr<core::TxRecord> GetTransaction(const core::TxId& id) override;
  absl::StatusOr<std::vector<std::optional<uint64_t>>> FindTransactions(
      absl::Span<const core::TxId> ids) override;
  absl::StatusOr<std::vector<core::TxRecord>> GetAddressTransactions(const core::Address& address,
                                                                     uint32_t limit) override;
  absl::StatusOr<core::ProvenanceProof> GetProof(const core::TxId& id,
                                                 std::optional<uint64_t> anchor_height) override;
  absl::Status AppendBlock(const core::Block& block) override;

  // Wakes every GetBlock waiter; later waits return at once. Call before shutdown.
  void Interrupt();

 private:
  Chain(storage::Store* store, ChainOptions options);
  absl::Status Load();
  absl::Status WriteGenesis();
  absl::StatusOr<core::PublicKey> MetronomeKey() ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);

  storage::Store* const store_;
  const ChainOptions options_;
  StoreTrieNodes trie_nodes_;

  absl::Mutex append_mu_;  // serializes AppendBlock
  std::optional<core::PublicKey> metronome_key_ ABSL_GUARDED_BY(append_mu_);

  mutable absl::Mutex mu_;  // the tip; held exclusively while a block's write lands
  core::ChainTip tip_ ABSL_GUARDED_BY(mu_);
  // The tip block as appended by this process (null after Open until the next block):
  // GetBlock serves it without reading and decoding it, as every follower asks for it.
  std::shared_ptr<const core::Block> tip_block_ ABSL_GUARDED_BY(mu_);
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dsc::chain

#endif  // DSC_CHAIN_CHAIN_H_
