#include "validator/validator.h"

#include "absl/strings/str_cat.h"
#include "core/block.h"
#include "core/encoding.h"
#include "util/base58.h"
#include "util/log.h"
#include "util/time.h"

namespace dsc::validator {

Validator::Validator(core::MetronomeApi* metronome, core::PoolApi* pool,
                     std::unique_ptr<core::ProofEngine> engine, ValidatorOptions options)
    : metronome_(metronome), pool_(pool), engine_(std::move(engine)), options_(std::move(options)) {}

Validator::~Validator() { Stop(); }

void Validator::Start() {
  util::Logger("validator")->info("Validator {} started ({})",
                                  util::Base58Encode(options_.key.public_key), options_.kind);
  runner_ = std::thread([this] { Run(); });
  watcher_ = std::thread([this] { Watch(); });
}

void Validator::Stop() {
  stopping_ = true;
  cancel_ = true;
  if (runner_.joinable()) runner_.join();
  if (watcher_.joinable()) watcher_.join();
}

void Validator::SetError(std::string error) {
  absl::MutexLock lock(&mu_);
  last_error_ = std::move(error);
}

absl::Status Validator::Register() {
  core::Registration r;
  r.key = options_.key.public_key;
  r.fingerprint = options_.fingerprint;
  r.kind = options_.kind;
  r.timestamp_ms = util::NowMillis();
  r.signature = crypto::Sign(options_.key,
                             core::EncodeRegistration(r.key, r.fingerprint, r.kind, r.timestamp_ms));
  r.stats = engine_->Stats();
  return metronome_->RegisterValidator(r);
}

void Validator::Watch() {
  uint64_t seen = 0;
  while (!stopping_) {
    auto round = metronome_->WaitForRound(seen, absl::Milliseconds(200));
    if (!round.ok()) {
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    seen = round->seq;
    const uint64_t solving = solving_seq_.load();
    if (solving != 0 && solving != seen) cancel_ = true;
  }
}

void Validator::Run() {
  auto log = util::Logger("validator");
  absl::Time last_register = absl::InfinitePast();
  absl::Time last_warning = absl::InfinitePast();
  uint64_t seen = 0;
  while (!stopping_) {
    if (absl::Now() - last_register >= options_.heartbeat) {
      absl::Status s = Register();
      if (!s.ok()) {
        SetError(std::string(s.message()));
        if (absl::Now() - last_warning > absl::Seconds(10)) {
          log->warn("cannot register with the metronome: {}", s.message());
          last_warning = absl::Now();
        }
        absl::SleepFor(absl::Milliseconds(500));
        continue;
      }
      last_register = absl::Now();
    }
    auto round = metronome_->WaitForRound(seen, absl::Milliseconds(500));
    if (!round.ok()) {
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    if (round->seq == seen) continue;
    seen = round->seq;
    // Every change of round state has a new seq, so an open round is played once; a
    // height the metronome reopens after a failed append is played again.
    if (!round->open) continue;
    Play(*round);
  }
}

void Validator::Play(const core::Round& round) {
  auto log = util::Logger("validator");
  {
    absl::MutexLock lock(&mu_);
    ++rounds_seen_;
  }
  cancel_ = false;
  solving_seq_ = round.seq;
  std::optional<uint64_t> nonce = engine_->Solve(round.prev_hash, round.difficulty, cancel_);
  solving_seq_ = 0;
  if (!nonce.has_value() || stopping_) return;

  std::vector<core::Transaction> txs;
  auto taken = pool_->TakeForBlock(round.height, options_.max_block_txs);
  if (taken.ok()) {
    txs = std::move(*taken);
  } else {
    log->warn("block {} goes without transactions: pool: {}", round.height,
              taken.status().message());
  }
  core::Block block = core::AssembleBlock(round, options_.key, options_.fingerprint, *nonce,
                                          options_.block_reward, std::move(txs),
                                          util::NowMillis());
  {
    absl::MutexLock lock(&mu_);
    ++blocks_submitted_;
  }
  absl::Status s = metronome_->SubmitBlock(block);
  if (absl::IsPermissionDenied(s) && Register().ok()) s = metronome_->SubmitBlock(block);
  if (!s.ok()) {
    SetError(std::string(s.message()));
    if (!absl::IsFailedPrecondition(s)) {
      log->warn("block {} refused: {}", round.height, s.message());
    }
    return;
  }
  absl::MutexLock lock(&mu_);
  ++blocks_won_;
  log->info("Block {} won, hash {}, {} transactions (difficulty {})", round.height,
            util::Base58Encode(core::ComputeBlockHash(block.header)), block.txs.size(),
            round.difficulty);
}

absl::StatusOr<core::ValidatorStatus> Validator::GetStatus() {
  core::ValidatorStatus status;
  status.key = options_.key.public_key;
  status.fingerprint = options_.fingerprint;
  status.proof = engine_->Stats();
  absl::MutexLock lock(&mu_);
  status.rounds_seen = rounds_seen_;
  status.blocks_submitted = blocks_submitted_;
  status.blocks_won = blocks_won_;
  status.last_error = last_error_;
  return status;
}

}  // namespace dsc::validator
