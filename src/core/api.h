// The C++ interfaces the roles offer each other. A role in the same process is called
// directly; a role in another process is reached through an rpc client implementing the
// same interface (src/rpc/clients.h). Every implementation is thread-safe.
#ifndef DSC_CORE_API_H_
#define DSC_CORE_API_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/proof.h"
#include "core/trie.h"
#include "core/types.h"

namespace dsc::core {

// ---------------------------------------------------------------- chain
struct ChainTip {
  BlockHeader header;
  Hash32 hash{};
  Hash32 provenance_root{};  // the root the next block must carry
  uint64_t supply = 0;       // coins in circulation: genesis + rewards
  uint64_t tx_total = 0;     // confirmed transactions
  uint64_t accounts = 0;     // addresses in the balance cache (ever sent or received)
  int64_t latency_ms = 0;    // tip block: average of block time - transaction time
};

struct TxRecord {
  Transaction tx;
  uint64_t height = 0;
  uint32_t index = 0;
};

// A proof of provenance: `proof` is checked against anchor.provenance_root, the root of
// the cumulative trie after block anchor.height - 1 (block h carries the root after
// block h - 1), so a light client needs only the anchor header.
struct ProvenanceProof {
  BlockHeader anchor;
  TrieProof proof;
  bool included = false;  // the id is in the trie of the anchor
  uint64_t height = 0;    // when included: the confirming block ...
  uint32_t index = 0;     // ... and the position in it (the leaf's value commits to both)
};

struct AccountInfo {
  Account account;
  uint64_t height = 0;  // the tip the balance is read at
};

class ChainApi {
 public:
  virtual ~ChainApi() = default;
  virtual absl::StatusOr<ChainTip> GetTip() = 0;
  // Returns block `height`. If it is above the tip, waits up to `wait` for it to be
  // appended; then kNotFound.
  virtual absl::StatusOr<Block> GetBlock(uint64_t height,
                                         absl::Duration wait = absl::ZeroDuration()) = 0;
  // kNotFound if no block has that hash.
  virtual absl::StatusOr<Block> GetBlockByHash(const Hash32& hash) = 0;
  virtual absl::StatusOr<AccountInfo> GetAccount(const Address& address) = 0;
  // kNotFound if the transaction is not confirmed.
  virtual absl::StatusOr<TxRecord> GetTransaction(const TxId& id) = 0;
  // For each id, the height of the block that confirmed it, or nullopt.
  virtual absl::StatusOr<std::vector<std::optional<uint64_t>>> FindTransactions(
      absl::Span<const TxId> ids) = 0;
  // The proof that `id` is (or is not) in the provenance trie committed by the header at
  // `anchor_height` (default: the tip). kNotFound if that height is above the tip;
  // kUnavailable, without an anchor, if `id` was confirmed in the tip block itself (its
  // root is carried by the next block).
  virtual absl::StatusOr<ProvenanceProof> GetProof(const TxId& id,
                                                   std::optional<uint64_t> anchor_height) = 0;
  // The address's confirmed transactions (sent or received), newest first, at most `limit`.
  virtual absl::StatusOr<std::vector<TxRecord>> GetAddressTransactions(const Address& address,
                                                                       uint32_t limit) = 0;
  // Validates `block` completely (header, proof, signatures, every transaction against
  // the state) and appends it durably. kFailedPrecondition if it does not extend the tip
  // or the state refuses a transaction, kInvalidArgument if it is malformed.
  virtual absl::Status AppendBlock(const Block& block) = 0;
};

// ---------------------------------------------------------------- pool
struct PoolStats {
  uint64_t submitted = 0;     // pending, not handed out
  uint64_t unconfirmed = 0;   // handed out to a block builder
  uint64_t accepted_total = 0;
  uint64_t rejected_total = 0;
  uint64_t confirmed_total = 0;
  uint64_t synced_height = 0;  // the chain height the pool has caught up with
};

class PoolApi {
 public:
  virtual ~PoolApi() = default;
  // Checks and stores each transaction; returns one verdict per transaction, in order.
  // Every accepted transaction is durable when this returns.
  virtual std::vector<absl::Status> Submit(absl::Span<const Transaction> txs) = 0;
  virtual absl::StatusOr<std::vector<TxStatusInfo>> GetStatus(absl::Span<const TxId> ids) = 0;
  // Up to `max` pending transactions that form a valid sequence on top of the chain at
  // height - 1, marked unconfirmed. kUnavailable if the pool has not caught up with
  // height - 1 yet.
  virtual absl::StatusOr<std::vector<Transaction>> TakeForBlock(uint64_t height,
                                                                uint32_t max) = 0;
  virtual absl::StatusOr<PoolStats> GetStats() = 0;
  // The nonce the address's next transaction must carry: its confirmed nonce plus its
  // pending transactions.
  virtual absl::StatusOr<uint64_t> NextNonce(const Address& address) = 0;
};

// ---------------------------------------------------------------- metronome
struct Registration {
  PublicKey key{};
  Fingerprint fingerprint{};
  std::string kind;                // "pow", "pom", "pos"
  int64_t timestamp_ms = 0;
  Signature signature{};           // over EncodeRegistration(key, fingerprint, kind, ts)
  ProofStats stats;                // informational: hash rate, records
};

struct ValidatorInfo {
  PublicKey key{};
  Fingerprint fingerprint{};
  std::string kind;
  ProofStats stats;
  int64_t last_seen_ms = 0;
  uint64_t blocks_won = 0;
};

struct MetronomeStatus {
  Round round;
  PublicKey metronome_key{};
  int64_t block_time_ms = 0;
  std::vector<ValidatorInfo> validators;
  uint64_t blocks_by_validators = 0;
  uint64_t blocks_by_metronome = 0;
};

class MetronomeApi {
 public:
  virtual ~MetronomeApi() = default;
  // Registers (or refreshes) a validator. kInvalidArgument on a bad signature or a
  // timestamp too far from the metronome's clock.
  virtual absl::Status RegisterValidator(const Registration& registration) = 0;
  // Offers a block for the open round. kFailedPrecondition if the round is closed or
  // the height is not the round's, kPermissionDenied if the producer is not registered,
  // kInvalidArgument if the proof or signature is wrong; the chain's verdict otherwise.
  virtual absl::Status SubmitBlock(const Block& block) = 0;
  // Returns the current round as soon as its seq is greater than `after_seq`, waiting up
  // to `wait`; on timeout returns the current round unchanged.
  virtual absl::StatusOr<Round> WaitForRound(uint64_t after_seq, absl::Duration wait) = 0;
  virtual absl::StatusOr<MetronomeStatus> GetStatus() = 0;
};

// ---------------------------------------------------------------- validator
struct ValidatorStatus {
  PublicKey key{};
  Fingerprint fingerprint{};
  ProofStats proof;
  uint64_t rounds_seen = 0;
  uint64_t blocks_submitted = 0;
  uint64_t blocks_won = 0;
  std::string last_error;
};

class ValidatorApi {
 public:
  virtual ~ValidatorApi() = default;
  virtual absl::StatusOr<ValidatorStatus> GetStatus() = 0;
};

}  // namespace dsc::core

#endif  // DSC_CORE_API_H_
