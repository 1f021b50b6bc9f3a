// The pool role: unconfirmed transactions, checked on arrival and kept durably until a
// block confirms them. Follows the chain (in a background thread) to drop what blocks
// confirm and to return to `submitted` what a block builder took but did not land.
// Thread-safe: one mutex guards the queues. Submit checks and queues under it, then
// persists with group commit: while one synced write is in flight, the submissions that
// arrive meanwhile queue up and go to disk together in the next one, so a batch costs at
// most one fsync and concurrent single submissions share theirs. A transaction is
// acknowledged only once its write is durable; until then block builders do not see it.
#ifndef DSC_POOL_POOL_H_
#define DSC_POOL_POOL_H_

#include <deque>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/api.h"
#include "core/signature_cache.h"
#include "storage/store.h"

namespace dsc::pool {

struct PoolOptions {
  size_t max_pending = 1'000'000;   // transactions held at most; more are refused
  int verify_threads = 2;           // signature checks of a submitted batch
  // Verified signatures are recorded here (shared with an in-process chain). Not owned;
  // may be null.
  core::SignatureCache* signature_cache = nullptr;
  absl::Duration sync_wait = absl::Seconds(3);  // TakeForBlock waits this long to catch up
};

class Pool : public core::PoolApi {
 public:
  // Loads the pending transactions kept in `store` (dropping those the chain has
  // confirmed meanwhile). Neither pointer is owned; both must outlive the Pool.
  static absl::StatusOr<std::unique_ptr<Pool>> Open(storage::Store* store, core::ChainApi* chain,
                                                    PoolOptions options);
  ~Pool() override;

  // Starts following the chain. Call once.
  void Start();
  // Stops following the chain and wakes waiters. Idempotent.
  void Stop();

  std::vector<absl::Status> Submit(absl::Span<const core::Transaction> txs) override;
  absl::StatusOr<std::vector<core::TxStatusInfo>> GetStatus(
      absl::Span<const core::TxId> ids) override;
  absl::StatusOr<std::vector<core::Transaction>> TakeForBlock(uint64_t height,
                                                              uint32_t max) override;
  absl::StatusOr<core::PoolStats> GetStats() override;
  absl::StatusOr<uint64_t> NextNonce(const core::Address& address) override;

  // Applies a confirmed block (normally done by the follower thread). Exposed for tests.
  void OnBlock(const core::Block& block);

 private:
  struct Entry {
    core::Transaction tx;
    core::TxId id;
    uint64_t seq = 0;       // arrival order
    bool handed_out = false;
    bool durable = false;   // its pool write has been synced
  };
  // The writes of one Submit call, waiting for (or in) a group commit.
  struct Commit {
    storage::WriteBatch batch;
    std::vector<core::TxId> ids;   // the transactions it adds, in order
    bool done = false;
    absl::Status status;
  };
  // One sender's pending transactions: consecutive nonces from account.nonce.
  struct Sender {
    core::Account account;     // confirmed state as of `as_of`
    uint64_t as_of = 0;        // chain height the account was read at
    std::deque<Entry> queue;
    uint64_t outflow = 0;      // sum of amount + fee over the queue
  };

  Pool(storage::Store* store, core::ChainApi* chain, PoolOptions options);
  absl::Status Load();
  void Follow();
  // The sender's entry, fetching its account from the chain if the pool has none.
  absl::StatusOr<Sender*> GetSender(const core::Address& address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropSenderIfEmpty(const core::Address& address) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Entry* Find(const core::TxId& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues `commit` and returns once it is durable or failed (commit->status). The caller
  // whose commit finds no write in flight becomes the writer for everything queued.
  void GroupCommit(Commit* commit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a failed write: removes every entry that is not durable (each sender's queue
  // ends in them) and fails the commits still queued.
  void UndoUndurable(const absl::Status& error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::Store* const store_;
  core::ChainApi* const chain_;
  const PoolOptions options_;

  absl::Mutex mu_;
  absl::flat_hash_map<core::Address, Sender> senders_ ABSL_GUARDED_BY(mu_);
  struct Where {
    core::Address sender;
    uint64_t nonce;
  };
  absl::flat_hash_map<core::TxId, Where> by_id_ ABSL_GUARDED_BY(mu_);
  std::vector<core::TxId> handed_ ABSL_GUARDED_BY(mu_);  // handed out since the last block
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t synced_height_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t accepted_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rejected_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t confirmed_total_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Commit*> commit_queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread follower_;
};

}  // namespace dsc::pool

#endif  // DSC_POOL_POOL_H_
