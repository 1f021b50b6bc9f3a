#include "core/validation.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/block.h"
#include "core/encoding.h"
#include "core/merkle.h"
#include "core/proof.h"
#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

using testing::Counting;
using testing::KeyFromByte;
using testing::Msg;
using testing::RandomArray;

constexpr int64_t kT0 = 1'700'000'000'000;

void CheckVerdict(const absl::Status& s, absl::StatusCode code, const std::string& fragment) {
  INFO(s.ToString());
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == code);
  CHECK_THAT(Msg(s), Catch::Contains(fragment));
}

// ---------------------------------------------------------------- transactions

TEST_CASE("CheckTxStateless verdicts", "[core]") {
  const crypto::KeyPair alice = KeyFromByte(0xa1);
  const crypto::KeyPair bob = KeyFromByte(0xb0);
  const auto bad = absl::StatusCode::kInvalidArgument;

  CHECK(CheckTxStateless(MakeTransaction(alice, bob.public_key, 1, 0, 0, 0)).ok());
  CHECK(CheckTxStateless(MakeTransaction(alice, bob.public_key, 5, 1, 3, kT0)).ok());
  // amount + fee == UINT64_MAX still fits.
  CHECK(CheckTxStateless(MakeTransaction(alice, bob.public_key, UINT64_MAX - 7, 7, 0, kT0)).ok());

  CheckVerdict(CheckTxStateless(MakeTransaction(alice, bob.public_key, 0, 1, 0, kT0)), bad,
               "amount must be greater than zero");
  CheckVerdict(CheckTxStateless(MakeTransaction(alice, bob.public_key, UINT64_MAX, 1, 0, kT0)),
               bad, "overflows");
  CheckVerdict(CheckTxStateless(MakeTransaction(alice, bob.public_key, 2, UINT64_MAX - 1, 0, kT0)),
               bad, "overflows");
  CheckVerdict(CheckTxStateless(MakeTransaction(alice, alice.public_key, 1, 0, 0, kT0)), bad,
               "same address");
  CheckVerdict(CheckTxStateless(MakeTransaction(alice, bob.public_key, 1, 0, 0, -1)), bad,
               "timestamp is negative");

  Transaction tx = MakeTransaction(alice, bob.public_key, 10, 1, 0, kT0);
  SECTION("random signature") {
    tx.signature.fill(0x5a);
    CheckVerdict(CheckTxStateless(tx), bad, "bad signature");
  }
  SECTION("amount tampered after signing") {
    tx.amount = 11;
    CheckVerdict(CheckTxStateless(tx), bad, "bad signature");
  }
  SECTION("each signed field tampered after signing") {
    for (int field = 0; field < 5; ++field) {
      CAPTURE(field);
      Transaction t = tx;
      switch (field) {
        case 0: t.recipient = KeyFromByte(0xc0).public_key; break;
        case 1: t.fee += 1; break;
        case 2: t.nonce += 1; break;
        case 3: t.timestamp_ms += 1; break;
        case 4: t.signature[10] ^= 0x10; break;
      }
      CheckVerdict(CheckTxStateless(t), bad, "bad signature");
    }
  }
  SECTION("signed by a key other than the sender") {
    Transaction forged = MakeTransaction(bob, KeyFromByte(0xc0).public_key, 10, 1, 0, kT0);
    forged.sender = alice.public_key;
    forged.signature = crypto::Sign(bob, EncodeTxSigningBytes(forged));
    CheckVerdict(CheckTxStateless(forged), bad, "not signed by the sender");
  }
}

// A batch of `n` transactions of every verdict kind, from `seed`.
std::vector<Transaction> MixedBatch(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<crypto::KeyPair> keys;
  for (uint8_t i = 0; i < 8; ++i) keys.push_back(KeyFromByte(static_cast<uint8_t>(0x30 + i)));
  std::vector<Transaction> txs;
  for (size_t i = 0; i < n; ++i) {
    const crypto::KeyPair& from = keys[rng() % keys.size()];
    const crypto::KeyPair& to = keys[rng() % keys.size()];
    const uint64_t amount = 1 + rng() % 1000;
    Transaction tx = MakeTransaction(from, to.public_key, amount, rng() % 10, i, kT0 + i);
    switch (rng() % 8) {
      case 0: tx = MakeTransaction(from, to.public_key, 0, 1, i, kT0); break;
      case 1: tx = MakeTransaction(from, to.public_key, UINT64_MAX, 2, i, kT0); break;
      case 2: tx = MakeTransaction(from, from.public_key, amount, 1, i, kT0); break;
      case 3: tx = MakeTransaction(from, to.public_key, amount, 1, i, -5); break;
      case 4: tx.signature = RandomArray<64>(rng); break;
      case 5: tx.amount += 1; break;
      default: break;  // left as signed (valid unless from == to)
    }
    txs.push_back(tx);
  }
  return txs;
}

TEST_CASE("CheckTxsStateless agrees with CheckTxStateless on any thread count", "[core]") {
  const uint64_t seed = 0x5747E1E55;
  CAPTURE(seed);
  const std::vector<Transaction> txs = MixedBatch(seed, 500);
  std::vector<absl::Status> serial;
  size_t ok = 0;
  for (const auto& tx : txs) {
    serial.push_back(CheckTxStateless(tx));
    ok += serial.back().ok();
  }
  // The batch really is mixed.
  CHECK(ok > 50);
  CHECK(ok < 450);
  for (int threads : {1, 2, 4, 7}) {
    CAPTURE(threads);
    const std::vector<absl::Status> batch = CheckTxsStateless(txs, threads);
    REQUIRE(batch.size() == txs.size());
    for (size_t i = 0; i < txs.size(); ++i) {
      CAPTURE(i);
      CHECK(batch[i] == serial[i]);
    }
  }
  // Small batches (the serial path) and empty batches.
  const std::vector<absl::Status> small =
      CheckTxsStateless(absl::MakeConstSpan(txs.data(), 10), 4);
  REQUIRE(small.size() == 10);
  for (size_t i = 0; i < 10; ++i) CHECK(small[i] == serial[i]);
  CHECK(CheckTxsStateless({}, 4).empty());
}

TEST_CASE("CheckTxAgainstAccount: nonce and balance", "[core]") {
  const crypto::KeyPair alice = KeyFromByte(0xa1);
  const PublicKey bob = KeyFromByte(0xb0).public_key;
  const Account account{100, 5};
  const auto pre = absl::StatusCode::kFailedPrecondition;

  SECTION("exact balance is enough") {
    CHECK(CheckTxAgainstAccount(MakeTransaction(alice, bob, 90, 10, 5, kT0), account, 0, 0).ok());
  }
  SECTION("one unit short fails") {
    CheckVerdict(CheckTxAgainstAccount(MakeTransaction(alice, bob, 91, 10, 5, kT0), account, 0, 0),
                 pre, "insufficient balance");
    CheckVerdict(CheckTxAgainstAccount(MakeTransaction(alice, bob, 90, 11, 5, kT0), account, 0, 0),
                 pre, "insufficient balance");
  }
  SECTION("nonce gap") {
    const absl::Status s =
        CheckTxAgainstAccount(MakeTransaction(alice, bob, 1, 0, 6, kT0), account, 0, 0);
    CheckVerdict(s, pre, "expected 5");
    CHECK_THAT(Msg(s), !Catch::Contains("replay"));
  }
  SECTION("stale nonce is a replay") {
    for (uint64_t nonce : {0u, 4u}) {
      CAPTURE(nonce);
      const absl::Status s =
          CheckTxAgainstAccount(MakeTransaction(alice, bob, 1, 0, nonce, kT0), account, 0, 0);
      CheckVerdict(s, pre, "replay");
      CHECK_THAT(Msg(s), Catch::Contains("stale nonce"));
    }
  }
  SECTION("pending transactions shift the nonce") {
    CHECK(CheckTxAgainstAccount(MakeTransaction(alice, bob, 1, 0, 7, kT0), account, 2, 0).ok());
    // A nonce already taken by a pending transaction.
    CheckVerdict(CheckTxAgainstAccount(MakeTransaction(alice, bob, 1, 0, 6, kT0), account, 2, 0),
                 pre, "expected 7");
    CheckVerdict(CheckTxAgainstAccount(MakeTransaction(alice, bob, 1, 0, 8, kT0), account, 2, 0),
                 pre, "expected 7");
  }
  SECTION("pending outflow is counted") {
    CHECK(CheckTxAgainstAccount(MakeTransaction(alice, bob, 40, 10, 6, kT0), account, 1, 50).ok());
    CheckVerdict(
        CheckTxAgainstAccount(MakeTransaction(alice, bob, 41, 10, 6, kT0), account, 1, 50), pre,
        "already pending");
    CheckVerdict(CheckTxAgainstAccount(MakeTransaction(alice, bob, 1, 0, 6, kT0), account, 1, 100),
                 pre, "insufficient balance");
    // Pending outflow above the balance does not wrap around.
    CheckVerdict(CheckTxAgainstAccount(MakeTransaction(alice, bob, 1, 0, 6, kT0), account, 1, 101),
                 pre, "insufficient balance");
    CheckVerdict(
        CheckTxAgainstAccount(MakeTransaction(alice, bob, 1, 0, 6, kT0), account, 1, UINT64_MAX),
        pre, "insufficient balance");
  }
  SECTION("amount plus fee overflowing 64 bits is never affordable") {
    const Account rich{UINT64_MAX, 0};
    CheckVerdict(
        CheckTxAgainstAccount(MakeTransaction(alice, bob, UINT64_MAX, 1, 0, kT0), rich, 0, 0),
        absl::StatusCode::kInvalidArgument, "overflows");
    CheckVerdict(
        CheckTxAgainstAccount(MakeTransaction(alice, bob, 2, UINT64_MAX, 0, kT0), rich, 0, 0),
        absl::StatusCode::kInvalidArgument, "overflows");
    CHECK(CheckTxAgainstAccount(MakeTransaction(alice, bob, UINT64_MAX - 1, 1, 0, kT0), rich, 0, 0)
              .ok());
  }
}

// ---------------------------------------------------------------- headers

// A chain of a genesis block and one validator block built the way a validator does.
class HeaderFixture {
 public:
  HeaderFixture() {
    params.max_block_txs = 4;
    params.min_difficulty = 2;
    params.max_difficulty = 64;
    params.initial_difficulty = 8;
    params.block_reward = 1'000'000;
    params.max_future_ms = 30'000;
    params.genesis_timestamp_ms = kT0;
    params.genesis = {GenesisAlloc{alice.public_key, 1'000'000'000}};
    REQUIRE(params.Validate().ok());
    parent = MakeGenesisBlock(params).header;
    round.height = 1;
    round.prev_hash = ComputeBlockHash(parent);
    round.difficulty = 8;
    round.provenance_root = Counting<32>(0x99);
    PowEngine engine(fingerprint, validator.public_key, 1);
    const std::atomic<bool> cancel{false};
    auto found = engine.Solve(round.prev_hash, round.difficulty, cancel);
    REQUIRE(found.has_value());
    nonce = *found;
    now = kT0 + 6'000;
  }

  // A valid validator block holding `txs`, signed by the validator and the metronome.
  Block ValidBlock(std::vector<Transaction> txs = {}) const {
    Block b = AssembleBlock(round, validator, fingerprint, nonce, params.block_reward,
                            std::move(txs), now - 100);
    SignAsMetronome(&b.header, metronome);
    return b;
  }

  // A valid empty block appended by the metronome itself.
  Block MetronomeBlock() const {
    Block b = AssembleBlock(round, metronome, Fingerprint{}, 0, 0, {}, now);
    SignAsMetronome(&b.header, metronome);
    return b;
  }

  void Resign(BlockHeader* h, const crypto::KeyPair& producer) const {
    SignAsProducer(h, producer);
    SignAsMetronome(h, metronome);
  }

  absl::Status Check(const BlockHeader& h) const {
    return CheckHeader(h, parent, metronome.public_key, params, now);
  }

  ConsensusParams params;
  const crypto::KeyPair metronome = KeyFromByte(0x4d);
  const crypto::KeyPair validator = KeyFromByte(0x56);
  const crypto::KeyPair alice = KeyFromByte(0xa1);
  const Fingerprint fingerprint = Counting<16>(0x70);
  BlockHeader parent;
  Round round;
  uint64_t nonce = 0;
  int64_t now = 0;
};

TEST_CASE("CheckHeader accepts a valid validator block and a metronome block", "[core]") {
  HeaderFixture f;
  const Block b = f.ValidBlock();
  CHECK(CheckHeaderProof(b.header));
  CHECK(f.Check(b.header).ok());
  INFO(f.Check(f.MetronomeBlock().header).ToString());
  CHECK(f.Check(f.MetronomeBlock().header).ok());
}

TEST_CASE("CheckHeader rejects each broken rule with a message", "[core]") {
  HeaderFixture f;
  BlockHeader h = f.ValidBlock().header;
  REQUIRE(f.Check(h).ok());
  const auto bad = absl::StatusCode::kInvalidArgument;
  const auto pre = absl::StatusCode::kFailedPrecondition;

  SECTION("wrong version") {
    h.version = kBlockVersion + 1;
    f.Resign(&h, f.validator);
    CheckVerdict(f.Check(h), bad, "unsupported block version 2");
  }
  SECTION("wrong height") {
    for (uint64_t height : {uint64_t{0}, uint64_t{2}, UINT64_MAX}) {
      CAPTURE(height);
      h.height = height;
      f.Resign(&h, f.validator);
      CheckVerdict(f.Check(h), pre, "does not follow the tip at height 0");
    }
  }
  SECTION("wrong prev hash") {
    h.prev_hash[0] ^= 1;
    f.Resign(&h, f.validator);
    CheckVerdict(f.Check(h), pre, "does not extend the tip");
  }
  SECTION("timestamp before the parent") {
    h.timestamp_ms = f.parent.timestamp_ms - 1;
    f.Resign(&h, f.validator);
    CheckVerdict(f.Check(h), bad, "earlier than its parent");
    h.timestamp_ms = f.parent.timestamp_ms;  // equal is fine
    f.Resign(&h, f.validator);
    CHECK(f.Check(h).ok());
  }
  SECTION("timestamp too far in the future") {
    h.timestamp_ms = f.now + f.params.max_future_ms;  // the limit itself is fine
    f.Resign(&h, f.validator);
    CHECK(f.Check(h).ok());
    h.timestamp_ms += 1;
    f.Resign(&h, f.validator);
    CheckVerdict(f.Check(h), bad, "too far in the future");
  }
  SECTION("too many transactions") {
    h.tx_count = f.params.max_block_txs;
    f.Resign(&h, f.validator);
    CHECK(f.Check(h).ok());
    h.tx_count = f.params.max_block_txs + 1;
    f.Resign(&h, f.validator);
    CheckVerdict(f.Check(h), bad, "more than the limit of 4");
  }
  SECTION("difficulty out of range") {
    for (uint32_t d : {0u, 1u, 65u, 193u}) {
      CAPTURE(d);
      h.difficulty = d;
      f.Resign(&h, f.validator);
      CheckVerdict(f.Check(h), bad, "is outside [2, 64]");
    }
  }
  SECTION("wrong reward") {
    for (uint64_t reward : {uint64_t{0}, f.params.block_reward + 1, UINT64_MAX}) {
      CAPTURE(reward);
      h.reward = reward;
      f.Resign(&h, f.validator);
      CheckVerdict(f.Check(h), bad, "differs from the rule");
    }
  }
  SECTION("metronome block with a reward") {
    BlockHeader m = f.MetronomeBlock().header;
    m.reward = f.params.block_reward;
    f.Resign(&m, f.metronome);
    CheckVerdict(f.Check(m), bad, "metronome block mints no reward");
  }
  SECTION("bad proof") {
    // The first nonce after the winner whose record misses the challenge.
    uint64_t wrong = f.nonce + 1;
    for (;; ++wrong) {
      h.proof_nonce = wrong;
      if (!CheckHeaderProof(h)) break;
    }
    CAPTURE(wrong);
    f.Resign(&h, f.validator);
    CheckVerdict(f.Check(h), bad, "invalid proof");
  }
  SECTION("proof of another validator's fingerprint") {
    h.fingerprint[0] ^= 0xff;
    if (!CheckHeaderProof(h)) {
      f.Resign(&h, f.validator);
      CheckVerdict(f.Check(h), bad, "invalid proof");
    }
  }
  SECTION("bad producer signature") {
    h.producer_signature[0] ^= 1;
    CheckVerdict(f.Check(h), bad, "bad block signature");
  }
  SECTION("producer signature by another key") {
    SignAsProducer(&h, f.alice);
    SignAsMetronome(&h, f.metronome);
    CheckVerdict(f.Check(h), bad, "bad block signature");
  }
  SECTION("a hashed field changed after signing") {
    h.tx_root[3] ^= 1;
    CheckVerdict(f.Check(h), bad, "bad block signature");
  }
  SECTION("bad metronome signature") {
    h.metronome_signature[63] ^= 1;
    CheckVerdict(f.Check(h), bad, "bad metronome signature");
  }
  SECTION("metronome signature by another key") {
    SignAsMetronome(&h, f.validator);
    CheckVerdict(f.Check(h), bad, "bad metronome signature");
  }
  SECTION("missing metronome signature") {
    h.metronome_signature = Signature{};
    CheckVerdict(f.Check(h), bad, "bad metronome signature");
  }
}

TEST_CASE("CheckBlockBody compares the body with the header", "[core]") {
  HeaderFixture f;
  const PublicKey bob = KeyFromByte(0xb0).public_key;
  std::vector<Transaction> txs;
  for (uint64_t i = 0; i < 3; ++i) txs.push_back(MakeTransaction(f.alice, bob, 1 + i, 1, i, kT0));
  const Block good = f.ValidBlock(txs);
  CHECK(CheckBlockBody(good).ok());
  CHECK(CheckBlockBody(f.ValidBlock()).ok());

  SECTION("tx_count mismatch") {
    Block b = good;
    b.header.tx_count = 2;
    CheckVerdict(CheckBlockBody(b), absl::StatusCode::kInvalidArgument,
                 "header says 2 transactions, the block holds 3");
    b = good;
    b.txs.pop_back();
    CheckVerdict(CheckBlockBody(b), absl::StatusCode::kInvalidArgument,
                 "header says 3 transactions, the block holds 2");
  }
  SECTION("tx_root mismatch") {
    Block b = good;
    std::swap(b.txs[0], b.txs[1]);
    CheckVerdict(CheckBlockBody(b), absl::StatusCode::kInvalidArgument, "transaction root");
    b = good;
    b.txs[2] = MakeTransaction(f.alice, bob, 99, 1, 2, kT0);
    CheckVerdict(CheckBlockBody(b), absl::StatusCode::kInvalidArgument, "transaction root");
    b = good;
    b.header.tx_root[0] ^= 1;
    CheckVerdict(CheckBlockBody(b), absl::StatusCode::kInvalidArgument, "transaction root");
  }
}

}  // namespace
}  // namespace dsc::core
