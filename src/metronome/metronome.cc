#include "metronome/metronome.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/block.h"
#include "core/difficulty.h"
#include "core/encoding.h"
#include "core/proof.h"
#include "util/base58.h"
#include "util/log.h"
#include "util/time.h"

namespace dsc::metronome {
namespace {

std::string_view HashView(const core::Hash32& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

absl::Status MetronomeOptions::Validate() const {
  if (block_time < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("block_time must be at least 100ms");
  }
  if (block_time > absl::Hours(1)) return absl::InvalidArgumentError("block_time must be at most 1h");
  if (solve_target < absl::ZeroDuration() || solve_target > block_time) {
    return absl::InvalidArgumentError(
        absl::StrCat("solve_target must be between 0 (block_time / 32) and the block time (",
                     absl::FormatDuration(block_time), ")"));
  }
  return params.Validate();
}

int64_t MetronomeOptions::SolveTargetMs() const {
  const absl::Duration target =
      solve_target > absl::ZeroDuration() ? solve_target : block_time / 32;
  return std::max<int64_t>(1, absl::ToInt64Milliseconds(target));
}

Metronome::Metronome(core::ChainApi* chain, core::PoolApi* pool, MetronomeOptions options)
    : chain_(chain), pool_(pool), options_(std::move(options)) {}

Metronome::~Metronome() { Stop(); }

void Metronome::Start() {
  util::Logger("metronome")->info("Metronome started, block time {}, key {}",
                                  absl::FormatDuration(options_.block_time),
                                  util::Base58Encode(options_.key.public_key));
  beat_ = std::thread([this] { Beat(); });
}

void Metronome::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (beat_.joinable()) beat_.join();
}

bool Metronome::OpenRound(absl::Time start) {
  auto tip = chain_->GetTip();
  if (!tip.ok()) return false;
  absl::MutexLock lock(&mu_);
  if (difficulty_ == 0) difficulty_ = tip->header.difficulty;
  if (difficulty_ < options_.params.min_difficulty) difficulty_ = options_.params.min_difficulty;
  round_.seq += 1;
  round_.height = tip->header.height + 1;
  round_.prev_hash = tip->hash;
  round_.provenance_root = tip->provenance_root;
  round_.difficulty = difficulty_;
  round_.start_ms = absl::ToUnixMillis(start);
  round_.deadline_ms = absl::ToUnixMillis(start + options_.block_time);
  round_.open = true;
  return true;
}

void Metronome::Beat() {
  auto log = util::Logger("metronome");
  absl::Time start = absl::Now();
  absl::Time last_warning = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (!OpenRound(start)) {
      if (absl::Now() - last_warning > absl::Seconds(10)) {
        log->warn("cannot open a round: the chain is unreachable");
        last_warning = absl::Now();
      }
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), absl::Milliseconds(500));
      start = absl::Now();
      continue;
    }
    const absl::Time deadline = start + options_.block_time;
    {
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithDeadline(absl::Condition(&stop), deadline);
      if (stopping_) return;
    }
    CloseWithOwnBlock();
    // Keep the beat; if we fell behind (slow chain), start the next round now.
    start = std::max(deadline, absl::Now() - absl::Milliseconds(1));
  }
}

void Metronome::CloseWithOwnBlock() {
  absl::MutexLock submit_lock(&submit_mu_);
  core::Round round;
  {
    absl::MutexLock lock(&mu_);
    if (!round_.open) return;  // a validator won this round
    round = round_;
  }
  auto log = util::Logger("metronome");
  std::vector<core::Transaction> txs;
  if (options_.fill_own_blocks && pool_ != nullptr) {
    auto taken = pool_->TakeForBlock(round.height, options_.params.max_block_txs);
    if (taken.ok()) {
      txs = std::move(*taken);
    } else {
      log->warn("empty block {}: pool: {}", round.height, taken.status().message());
    }
  }
  auto make = [&](std::vector<core::Transaction> body) {
    core::Block block = core::AssembleBlock(round, options_.key, core::Fingerprint{}, 0, 0,
                                            std::move(body), util::NowMillis());
    core::SignAsMetronome(&block.header, options_.key);
    return block;
  };
  core::Block block = make(std::move(txs));
  absl::Status appended = chain_->AppendBlock(block);
  if (!appended.ok() && !block.txs.empty()) {
    log->error("block {} with {} pool transactions refused by the chain ({}); sending it empty",
               round.height, block.txs.size(), appended.message());
    block = make({});
    appended = chain_->AppendBlock(block);
  }
  absl::MutexLock lock(&mu_);
  if (!appended.ok()) {
    log->error("block {} not appended: {}", round.height, appended.message());
    return;  // the next round retries at the same height
  }
  round_.open = false;
  round_.seq += 1;
  difficulty_ = core::NextDifficulty(difficulty_, std::nullopt, options_.SolveTargetMs(),
                                     options_.params);
  ++blocks_by_metronome_;
  log->info("New block created, hash {} sent to blockchain (height {}, {} transactions, no "
            "winner; difficulty now {})",
            util::Base58Encode(core::ComputeBlockHash(block.header)), round.height,
            block.txs.size(), difficulty_);
}

absl::Status Metronome::RegisterValidator(const core::Registration& r) {
  if (r.kind != "pow" && r.kind != "pom" && r.kind != "pos") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown proof kind '", r.kind, "' (expected pow, pom or pos)"));
  }
  const int64_t now = util::NowMillis();
  const int64_t skew = absl::ToInt64Milliseconds(options_.max_clock_skew);
  if (r.timestamp_ms < now - skew || r.timestamp_ms > now + skew) {
    return absl::InvalidArgumentError(
        "registration timestamp is too far from the metronome's clock");
  }
  if (!crypto::Verify(r.key, core::EncodeRegistration(r.key, r.fingerprint, r.kind, r.timestamp_ms),
                      r.signature)) {
    return absl::InvalidArgumentError("bad registration signature: not signed by the validator key");
  }
  if (r.key == options_.key.public_key) {
    return absl::InvalidArgumentError("a validator cannot use the metronome's key");
  }
  absl::MutexLock lock(&mu_);
  if (!validators_.contains(r.key) && validators_.size() >= options_.max_validators) {
    const int64_t ttl = absl::ToInt64Milliseconds(options_.validator_ttl);
    absl::erase_if(validators_, [&](const auto& kv) { return now - kv.second.last_seen_ms > ttl; });
    if (validators_.size() >= options_.max_validators) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the metronome holds ", validators_.size(), " live validators, its limit; retry later"));
    }
  }
  auto [it, inserted] = validators_.try_emplace(r.key);
  core::ValidatorInfo& info = it->second;
  const bool changed = inserted || info.fingerprint != r.fingerprint ||
                       now - info.last_seen_ms > absl::ToInt64Milliseconds(options_.validator_ttl);
  info.key = r.key;
  info.fingerprint = r.fingerprint;
  info.kind = r.kind;
  info.stats = r.stats;
  info.stats.kind = r.kind;  // the checked kind, not free text from the peer
  info.last_seen_ms = now;
  if (changed) {
    util::Logger("metronome")->info("Validator {} registered ({})", util::Base58Encode(r.key),
                                    r.kind);
  }
  return absl::OkStatus();
}

absl::Status Metronome::SubmitBlock(const core::Block& block) {
  // The round was won when the block arrived; checking and appending it are not solving.
  const int64_t arrived_ms = util::NowMillis();
  const core::BlockHeader& h = block.header;
  absl::MutexLock submit_lock(&submit_mu_);
  core::Round round;
  {
    absl::MutexLock lock(&mu_);
    round = round_;
    auto it = validators_.find(h.producer);
    if (it == validators_.end() ||
        util::NowMillis() - it->second.last_seen_ms >
            absl::ToInt64Milliseconds(options_.validator_ttl)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "producer ", util::Base58Encode(h.producer), " is not a registered validator"));
    }
    if (it->second.fingerprint != h.fingerprint) {
      return absl::InvalidArgumentError("block fingerprint differs from the registered one");
    }
  }
  if (!round.open || h.height != round.height) {
    return absl::FailedPreconditionError(
        absl::StrCat("block ", h.height, " is not for the open round (round ", round.height,
                     round.open ? " is open)" : " is closed)"));
  }
  if (h.prev_hash != round.prev_hash) {
    return absl::FailedPreconditionError("block does not extend the round's previous block");
  }
  if (h.difficulty != round.difficulty) {
    return absl::InvalidArgumentError(absl::StrCat("block difficulty ", h.difficulty,
                                                   " is not the round's ", round.difficulty));
  }
  if (!core::CheckHeaderProof(h)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid proof: the record of nonce ", h.proof_nonce, " does not match the challenge"));
  }
  const core::Hash32 hash = core::ComputeBlockHash(h);
  if (!crypto::Verify(h.producer, HashView(hash), h.producer_signature)) {
    return absl::InvalidArgumentError("bad block signature: not signed by the producer's key");
  }
  core::Block signed_block = block;
  core::SignAsMetronome(&signed_block.header, options_.key);
  if (absl::Status s = chain_->AppendBlock(signed_block); !s.ok()) return s;

  absl::MutexLock lock(&mu_);
  if (round_.seq == round.seq) {
    round_.open = false;
    round_.seq += 1;
  }
  difficulty_ = core::NextDifficulty(difficulty_, arrived_ms - round.start_ms,
                                     options_.SolveTargetMs(), options_.params);
  ++blocks_by_validators_;
  if (auto it = validators_.find(h.producer); it != validators_.end()) ++it->second.blocks_won;
  util::Logger("metronome")->info(
      "New block created, hash {} sent to blockchain (height {}, {} transactions, won by {} in "
      "{} ms; difficulty now {})",
      util::Base58Encode(hash), h.height, block.txs.size(), util::Base58Encode(h.producer),
      arrived_ms - round.start_ms, difficulty_);
  return absl::OkStatus();
}

absl::StatusOr<core::Round> Metronome::WaitForRound(uint64_t after_seq, absl::Duration wait) {
  absl::MutexLock lock(&mu_);
  auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || round_.seq > after_seq;
  };
  mu_.AwaitWithTimeout(absl::Condition(&changed), wait);
  if (round_.seq == 0) return absl::UnavailableError("the metronome has not opened a round yet");
  return round_;
}

absl::StatusOr<core::MetronomeStatus> Metronome::GetStatus() {
  absl::MutexLock lock(&mu_);
  core::MetronomeStatus status;
  status.round = round_;
  status.metronome_key = options_.key.public_key;
  status.block_time_ms = absl::ToInt64Milliseconds(options_.block_time);
  status.blocks_by_validators = blocks_by_validators_;
  status.blocks_by_metronome = blocks_by_metronome_;
  const int64_t now = util::NowMillis();
  for (const auto& [key, info] : validators_) {
    if (now - info.last_seen_ms <= absl::ToInt64Milliseconds(options_.validator_ttl)) {
      status.validators.push_back(info);
    }
  }
  return status;
}

}  // namespace dsc::metronome
