// The metronome role: opens one round per block time, accepts the first valid block of
// each round from a registered validator (countersigning it and handing it to the
// chain), builds its own block when nobody wins by the deadline, and adapts the
// difficulty. Thread-safe. One named thread ("metronome") keeps the beat.
#ifndef DSC_METRONOME_METRONOME_H_
#define DSC_METRONOME_METRONOME_H_

#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/api.h"
#include "core/params.h"
#include "crypto/crypto.h"

namespace dsc::metronome {

struct MetronomeOptions {
  absl::Duration block_time = absl::Seconds(6);
  // How long a round should take to be won: the difficulty rises while rounds are won in
  // under a quarter of it and falls when they take longer (core::NextDifficulty). Well
  // inside the block time, so that blocks keep the beat (low latency jitter) and a PoW
  // validator hashes a small part of each round. Zero: block_time / 32.
  absl::Duration solve_target = absl::ZeroDuration();
  core::ConsensusParams params;
  crypto::KeyPair key;                 // signs every block the chain receives
  bool fill_own_blocks = true;         // metronome blocks carry pool transactions
  absl::Duration validator_ttl = absl::Seconds(30);  // registrations expire unless refreshed
  absl::Duration max_clock_skew = absl::Minutes(5);  // for registration timestamps
  size_t max_validators = 4096;        // live registrations held at most

  // Returns kInvalidArgument naming the bad field.
  absl::Status Validate() const;
  // solve_target, or its default, in milliseconds (at least 1).
  int64_t SolveTargetMs() const;
};

class Metronome : public core::MetronomeApi {
 public:
  // Neither pointer is owned; both must outlive the Metronome.
  Metronome(core::ChainApi* chain, core::PoolApi* pool, MetronomeOptions options);
  ~Metronome() override;

  // Starts the beat. Call once.
  void Start();
  // Stops the beat and wakes every waiter. Idempotent.
  void Stop();

  absl::Status RegisterValidator(const core::Registration& registration) override;
  absl::Status SubmitBlock(const core::Block& block) override;
  absl::StatusOr<core::Round> WaitForRound(uint64_t after_seq, absl::Duration wait) override;
  absl::StatusOr<core::MetronomeStatus> GetStatus() override;

 private:
  void Beat();
  // Opens the round after the chain's tip. Returns false if the chain is unreachable.
  bool OpenRound(absl::Time start);
  // At the deadline of an unwon round: the metronome's own block.
  void CloseWithOwnBlock();

  core::ChainApi* const chain_;
  core::PoolApi* const pool_;
  const MetronomeOptions options_;

  absl::Mutex submit_mu_;  // one block at a time reaches the chain

  mutable absl::Mutex mu_;
  core::Round round_ ABSL_GUARDED_BY(mu_);
  uint32_t difficulty_ ABSL_GUARDED_BY(mu_) = 0;  // 0 until read from the tip
  absl::flat_hash_map<core::PublicKey, core::ValidatorInfo> validators_ ABSL_GUARDED_BY(mu_);
  uint64_t blocks_by_validators_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t blocks_by_metronome_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread beat_;
};

}  // namespace dsc::metronome

#endif  // DSC_METRONOME_METRONOME_H_
