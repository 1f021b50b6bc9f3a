// Shared helpers for the role and service tests: Catch2 printers for absl::Status,
// status assertions, temp dirs, deterministic test keys, fixed seeds, proof search at low
// difficulty, block builders for the chain's current tip, a chain harness over any store,
// and a snapshot of the chain's stored state for "nothing changed" checks.
// Header-only; include as "testing/fixtures.h". Thread-compatible.
#ifndef DSC_TEST_TESTING_FIXTURES_H_
#define DSC_TEST_TESTING_FIXTURES_H_

#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chain/chain.h"
#include "core/block.h"
#include "core/encoding.h"
#include "core/merkle.h"
#include "core/proof.h"
#include "core/types.h"
#include "crypto/crypto.h"
#include "storage/store.h"
#include "util/base58.h"
#include "util/log.h"
#include "util/time.h"

#include "testing/common.h"

namespace dsc::testing {

// Opens (creating) a RocksDB store at `path`; REQUIREs success.
inline std::unique_ptr<storage::Store> OpenRocks(const std::string& path) {
  storage::RocksStoreOptions options;
  options.path = path;
  auto opened = storage::OpenRocksStore(options);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  return std::move(*opened);
}

// A deterministic key pair per index (distinct indexes give distinct keys).
inline crypto::KeyPair TestKey(uint32_t index) {
  InitTesting();
  crypto::Seed seed{};
  seed[0] = 0xd5;
  seed[1] = 0xc7;
  for (int i = 0; i < 4; ++i) seed[28 + i] = static_cast<uint8_t>(index >> (24 - 8 * i));
  return crypto::KeyPair::FromSeed(seed);
}

inline core::Fingerprint TestFingerprint(uint32_t index) {
  core::Fingerprint fp{};
  fp[0] = 0xf1;
  for (int i = 0; i < 4; ++i) fp[12 + i] = static_cast<uint8_t>(index >> (24 - 8 * i));
  return fp;
}

inline std::string B58(absl::Span<const uint8_t> bytes) { return util::Base58Encode(bytes); }

// Consensus parameters for tests: every key of `funded` gets `amount` base units, low
// difficulty, a few transactions per block at most if `max_block_txs` says so.
inline core::ConsensusParams TestParams(const std::vector<crypto::KeyPair>& funded,
                                        uint64_t amount, uint32_t initial_difficulty = 4,
                                        uint32_t max_block_txs = 8192) {
  core::ConsensusParams params;
  params.initial_difficulty = initial_difficulty;
  params.min_difficulty = 1;
  params.max_difficulty = 24;
  params.max_block_txs = max_block_txs;
  params.genesis_timestamp_ms = 1'700'000'000'000;
  for (const auto& key : funded) params.genesis.push_back({key.public_key, amount});
  return params;
}

// The first nonce from `start` whose record matches `challenge` at `difficulty` (keep
// the difficulty low: the search takes about 2^difficulty hashes).
inline uint64_t SolveNonce(const core::Fingerprint& fp, const core::PublicKey& key,
                           const core::Hash32& challenge, uint32_t difficulty,
                           uint64_t start = 0) {
  for (uint64_t nonce = start;; ++nonce) {
    if (core::MatchesChallenge(core::ComputeRecord(fp, key, nonce), challenge, difficulty)) {
      return nonce;
    }
  }
}

// The first nonce from 0 whose record does NOT match (so a proof with it is invalid).
inline uint64_t FailingNonce(const core::Fingerprint& fp, const core::PublicKey& key,
                             const core::Hash32& challenge, uint32_t difficulty) {
  for (uint64_t nonce = 0;; ++nonce) {
    if (!core::MatchesChallenge(core::ComputeRecord(fp, key, nonce), challenge, difficulty)) {
      return nonce;
    }
  }
}

// The round the metronome would open after `tip` at `difficulty`.
inline core::Round RoundAfter(const core::ChainTip& tip, uint32_t difficulty) {
  core::Round round;
  round.seq = 1;
  round.height = tip.header.height + 1;
  round.prev_hash = tip.hash;
  round.difficulty = difficulty;
  round.start_ms = util::NowMillis();
  round.deadline_ms = round.start_ms + 1000;
  round.provenance_root = tip.provenance_root;
  round.open = true;
  return round;
}

// A validator block for `round` with a real proof, signed by `producer` and, if
// `metronome` is given, countersigned by it.
inline core::Block MakeValidatorBlock(const core::Round& round, const crypto::KeyPair& producer,
                                      const core::Fingerprint& fp,
                                      std::vector<core::Transaction> txs,
                                      const crypto::KeyPair* metronome,
                                      uint64_t reward = 1'000'000) {
  const uint64_t nonce = SolveNonce(fp, producer.public_key, round.prev_hash, round.difficulty);
  core::Block block = core::AssembleBlock(round, producer, fp, nonce, reward, std::move(txs),
                                          std::max<int64_t>(util::NowMillis(), round.start_ms));
  if (metronome != nullptr) core::SignAsMetronome(&block.header, *metronome);
  return block;
}

// A metronome block for `round`: producer = the metronome, no proof, no reward.
inline core::Block MakeMetronomeBlock(const core::Round& round, const crypto::KeyPair& metronome,
                                      std::vector<core::Transaction> txs) {
  core::Block block = core::AssembleBlock(round, metronome, core::Fingerprint{}, 0, 0,
                                          std::move(txs), util::NowMillis());
  core::SignAsMetronome(&block.header, metronome);
  return block;
}

// Recomputes tx_count/tx_root from the block's transactions (when `fix_body`) and re-signs
// the header (producer, then metronome if given), so a test changes exactly one thing.
inline void Reseal(core::Block* block, const crypto::KeyPair& producer,
                   const crypto::KeyPair* metronome, bool fix_body = true) {
  if (fix_body) {
    block->header.tx_count = static_cast<uint32_t>(block->txs.size());
    block->header.tx_root = core::TxRoot(block->txs);
  }
  core::SignAsProducer(&block->header, producer);
  if (metronome != nullptr) core::SignAsMetronome(&block->header, *metronome);
}

// Every account of the balance cache, read straight from the store.
inline std::map<core::Address, core::Account> ScanAccounts(storage::Store& store) {
  std::map<core::Address, core::Account> out;
  const absl::Status s = store.ScanPrefix(
      storage::Column::kAccounts, "", [&](std::string_view key, std::string_view value) {
        core::Address address{};
        REQUIRE(key.size() == address.size());
        std::copy(key.begin(), key.end(), address.begin());
        auto account = core::DecodeAccount(value);
        REQUIRE(account.ok());
        out[address] = *account;
        return true;
      });
  REQUIRE(s.ok());
  return out;
}

// Everything the chain stores (all columns but the pool's), for equality checks.
using StoreDump = std::vector<std::pair<std::string, std::string>>;
inline StoreDump DumpChainColumns(storage::Store& store) {
  using storage::Column;
  StoreDump out;
  for (Column column : {Column::kMeta, Column::kBlocks, Column::kBlockHash, Column::kTx,
                        Column::kAccounts, Column::kAddrTx, Column::kTrie}) {
    const std::string tag(1, static_cast<char>('0' + static_cast<int>(column)));
    const absl::Status s =
        store.ScanPrefix(column, "", [&](std::string_view key, std::string_view value) {
          out.emplace_back(tag + std::string(key), std::string(value));
          return true;
        });
    REQUIRE(s.ok());
  }
  return out;
}

inline bool SameTip(const core::ChainTip& a, const core::ChainTip& b) {
  return a.header == b.header && a.hash == b.hash && a.provenance_root == b.provenance_root &&
         a.supply == b.supply && a.tx_total == b.tx_total;
}

// A Chain over a store it does not own, with a known metronome key; Reopen() closes and
// reopens the Chain object on the same store.
class ChainHarness {
 public:
  ChainHarness(storage::Store* store, core::ConsensusParams params,
               crypto::KeyPair metronome = TestKey(9000))
      : store_(store), params_(std::move(params)), metronome_(metronome) {
    InitTesting();
    Reopen();
  }

  void Reopen() {
    chain_.reset();
    auto opened = chain::Chain::Open(store_, Options());
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    chain_ = std::move(*opened);
  }

  chain::ChainOptions Options() const {
    chain::ChainOptions options;
    options.params = params_;
    const core::PublicKey key = metronome_.public_key;
    options.metronome_key_source = [key]() -> absl::StatusOr<core::PublicKey> { return key; };
    return options;
  }

  chain::Chain& chain() { return *chain_; }
  storage::Store& store() { return *store_; }
  const core::ConsensusParams& params() const { return params_; }
  const crypto::KeyPair& metronome() const { return metronome_; }

  core::ChainTip Tip() {
    auto tip = chain_->GetTip();
    REQUIRE(tip.ok());
    return *tip;
  }
  core::Account Account(const core::Address& address) {
    auto info = chain_->GetAccount(address);
    REQUIRE(info.ok());
    return info->account;
  }
  core::Round NextRound(uint32_t difficulty = 0) {
    return RoundAfter(Tip(), difficulty == 0 ? params_.initial_difficulty : difficulty);
  }
  // A valid validator block on the current tip (not appended).
  core::Block ValidatorBlock(const crypto::KeyPair& producer, const core::Fingerprint& fp,
                             std::vector<core::Transaction> txs) {
    return MakeValidatorBlock(NextRound(), producer, fp, std::move(txs), &metronome_,
                              params_.block_reward);
  }
  // A valid metronome block on the current tip (not appended).
  core::Block MetronomeBlock(std::vector<core::Transaction> txs) {
    return MakeMetronomeBlock(NextRound(), metronome_, std::move(txs));
  }

 private:
  storage::Store* const store_;
  const core::ConsensusParams params_;
  const crypto::KeyPair metronome_;
  std::unique_ptr<chain::Chain> chain_;
};

// Polls `done` every 10 ms until it returns true or `timeout` passes; returns its last value.
inline bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return done();
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

}  // namespace dsc::testing

#endif  // DSC_TEST_TESTING_FIXTURES_H_
