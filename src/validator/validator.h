// The validator role: registers with the metronome (and refreshes the registration as a
// heartbeat carrying its proof stats), follows the rounds, answers each open round with
// its proof engine and, on a win, builds the block from pool transactions, signs it and
// submits it. Thread-safe; two named threads: "validator" (rounds and proofs) and
// "validator-watch" (cancels a search when the round changes).
#ifndef DSC_VALIDATOR_VALIDATOR_H_
#define DSC_VALIDATOR_VALIDATOR_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "core/api.h"
#include "core/proof.h"
#include "crypto/crypto.h"

namespace dsc::validator {

struct ValidatorOptions {
  crypto::KeyPair key;
  core::Fingerprint fingerprint{};
  std::string kind = "pow";
  uint32_t max_block_txs = 8192;
  uint64_t block_reward = 1'000'000;
  absl::Duration heartbeat = absl::Seconds(5);
};

class Validator : public core::ValidatorApi {
 public:
  // Neither pointer is owned; both must outlive the Validator.
  Validator(core::MetronomeApi* metronome, core::PoolApi* pool,
            std::unique_ptr<core::ProofEngine> engine, ValidatorOptions options);
  ~Validator() override;

  void Start();
  // Cancels any search, stops both threads. Idempotent.
  void Stop();

  absl::StatusOr<core::ValidatorStatus> GetStatus() override;

 private:
  void Run();
  void Watch();
  absl::Status Register();
  void Play(const core::Round& round);
  void SetError(std::string error);

  core::MetronomeApi* const metronome_;
  core::PoolApi* const pool_;
  const std::unique_ptr<core::ProofEngine> engine_;
  const ValidatorOptions options_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> cancel_{false};
  std::atomic<uint64_t> solving_seq_{0};  // seq of the round being searched, 0 if none

  absl::Mutex mu_;
  uint64_t rounds_seen_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t blocks_submitted_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t blocks_won_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  std::thread runner_;
  std::thread watcher_;
};

}  // namespace dsc::validator

#endif  // DSC_VALIDATOR_VALIDATOR_H_
