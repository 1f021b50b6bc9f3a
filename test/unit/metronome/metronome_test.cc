// Metronome role tests with a Chain and a Pool in process and a short block time: the
// beat, its own blocks carrying pool transactions, difficulty adaptation, registration
// and block-submission refusals, and acceptance of a valid block.
#include "metronome/metronome.h"

#include <catch2/catch.hpp>

#include "pool/pool.h"
#include "testing/fixtures.h"

namespace dsc::metronome {
namespace {

using core::Block;
using core::Round;
using core::Transaction;
using testing::TestKey;
using testing::TestParams;

constexpr uint64_t kCoin = 1'000'000;

// Chain + pool + metronome over one in-memory store.
class MetronomeHarness {
 public:
  // A test that wins rounds "at once" sets a solve target long enough for a loaded machine
  // (the default, block_time / 32, is a few ms for the short block times of tests).
  MetronomeHarness(core::ConsensusParams params, absl::Duration block_time,
                   absl::Duration solve_target = absl::ZeroDuration())
      : store_(storage::NewMemoryStore()), chain_(store_.get(), params) {
    pool::PoolOptions po;
    po.sync_wait = absl::Milliseconds(500);
    auto pool = pool::Pool::Open(store_.get(), &chain_.chain(), po);
    REQUIRE(pool.ok());
    pool_ = std::move(*pool);
    MetronomeOptions mo;
    mo.block_time = block_time;
    mo.solve_target = solve_target;
    mo.params = params;
    mo.key = chain_.metronome();
    REQUIRE(mo.Validate().ok());
    metronome_ = std::make_unique<Metronome>(&chain_.chain(), pool_.get(), mo);
  }
  ~MetronomeHarness() {
    metronome_.reset();
    pool_.reset();
  }

  void Start() {
    pool_->Start();
    metronome_->Start();
  }

  Metronome& metronome() { return *metronome_; }
  pool::Pool& pool() { return *pool_; }
  testing::ChainHarness& chain() { return chain_; }

  // Waits for a round with seq > after_seq (fails the test after `timeout`).
  Round NextRound(uint64_t after_seq, absl::Duration timeout = absl::Seconds(5)) {
    auto round = metronome_->WaitForRound(after_seq, timeout);
    INFO(round.status().ToString());
    REQUIRE(round.ok());
    REQUIRE(round->seq > after_seq);
    return *round;
  }
  // Waits for an open round at `height` or above.
  Round OpenRoundAt(uint64_t height, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    uint64_t seq = 0;
    while (absl::Now() < deadline) {
      auto round = metronome_->WaitForRound(seq, absl::Milliseconds(200));
      if (!round.ok()) continue;
      seq = round->seq;
      if (round->open && round->height >= height) return *round;
    }
    FAIL("no open round at height " << height);
    return Round{};
  }

  core::Registration Registration(const crypto::KeyPair& key, const core::Fingerprint& fp,
                                  std::string kind = "pow", int64_t timestamp_ms = 0) {
    core::Registration r;
    r.key = key.public_key;
    r.fingerprint = fp;
    r.kind = std::move(kind);
    r.timestamp_ms = timestamp_ms == 0 ? util::NowMillis() : timestamp_ms;
    r.signature = crypto::Sign(key, core::EncodeRegistration(r.key, r.fingerprint, r.kind,
                                                             r.timestamp_ms));
    return r;
  }

 private:
  std::unique_ptr<storage::Store> store_;
  testing::ChainHarness chain_;
  std::unique_ptr<pool::Pool> pool_;
  std::unique_ptr<Metronome> metronome_;
};

TEST_CASE("Metronome keeps the beat and builds its own blocks with pool transactions",
          "[metronome]") {
  const auto a = TestKey(1), b = TestKey(2);
  core::ConsensusParams params = TestParams({a, b}, 100 * kCoin, /*initial_difficulty=*/12);
  MetronomeHarness h(params, absl::Milliseconds(200));
  DSC_CHECK_STATUS(h.metronome().WaitForRound(0, absl::ZeroDuration()),
                   absl::StatusCode::kUnavailable, "has not opened a round");

  // Pending before the first deadline: the metronome's block carries it.
  const Transaction tx = core::MakeTransaction(a, b.public_key, 3 * kCoin, 1000, 0,
                                               util::NowMillis());
  const std::vector<absl::Status> v = h.pool().Submit(absl::MakeConstSpan(&tx, 1));
  DSC_REQUIRE_OK(v[0]);
  h.Start();

  const Round first = h.NextRound(0);
  CHECK(first.open);
  CHECK(first.height == 1);
  CHECK(first.prev_hash == h.chain().Tip().hash);
  CHECK(first.difficulty == 12);
  CHECK(first.deadline_ms - first.start_ms == 200);

  // Rounds follow one another; every block is the metronome's (nobody else plays), and
  // the difficulty drops by two per unwon round.
  uint64_t seq = first.seq;
  uint32_t last_difficulty = first.difficulty;
  uint64_t last_height = 1;
  const absl::Time start = absl::Now();
  while (last_height < 4) {
    const Round round = h.NextRound(seq);
    CHECK(round.seq > seq);
    seq = round.seq;
    if (!round.open) continue;
    REQUIRE(round.height == last_height + 1);
    INFO("round at height " << round.height);
    CHECK(round.difficulty == std::max<uint32_t>(1, last_difficulty - 2));
    last_difficulty = round.difficulty;
    last_height = round.height;
  }
  const absl::Duration took = absl::Now() - start;
  CHECK(took >= absl::Milliseconds(400));  // three beats of 200 ms
  CHECK(took < absl::Seconds(3));

  const core::ChainTip tip = h.chain().Tip();
  CHECK(tip.header.height >= 3);
  CHECK(tip.supply == 200 * kCoin);  // no rewards for metronome blocks
  int64_t previous_ts = 0;
  for (uint64_t height = 1; height <= 3; ++height) {
    auto block = h.chain().chain().GetBlock(height, absl::ZeroDuration());
    REQUIRE(block.ok());
    CHECK(block->header.producer == h.chain().metronome().public_key);
    CHECK(block->header.reward == 0);
    CHECK(block->header.proof_nonce == 0);
    if (height > 1) {
      CHECK(block->header.timestamp_ms - previous_ts >= 100);
      CHECK(block->header.timestamp_ms - previous_ts <= 1000);
    }
    previous_ts = block->header.timestamp_ms;
  }
  auto block1 = h.chain().chain().GetBlock(1, absl::ZeroDuration());
  REQUIRE(block1.ok());
  REQUIRE(block1->txs.size() == 1);
  CHECK(block1->txs[0] == tx);
  const core::TxId id = core::ComputeTxId(tx);
  REQUIRE(testing::WaitUntil(
      [&] {
        auto s = h.pool().GetStatus(absl::MakeConstSpan(&id, 1));
        return s.ok() && (*s)[0].status == core::TxStatus::kConfirmed;
      },
      absl::Seconds(5)));
  // The metronome collected the fee.
  CHECK(h.chain().Account(h.chain().metronome().public_key).balance == 1000);

  auto status = h.metronome().GetStatus();
  REQUIRE(status.ok());
  CHECK(status->blocks_by_metronome >= 3);
  CHECK(status->blocks_by_validators == 0);
  CHECK(status->metronome_key == h.chain().metronome().public_key);
  CHECK(status->block_time_ms == 200);
  CHECK(status->validators.empty());

  // Stop wakes waiters and is idempotent.
  h.metronome().Stop();
  const absl::Time t0 = absl::Now();
  auto after = h.metronome().WaitForRound(UINT64_MAX - 1, absl::Seconds(5));
  CHECK(absl::Now() - t0 < absl::Seconds(1));
  CHECK(after.ok());  // the last round, unchanged
  h.metronome().Stop();
}

TEST_CASE("Metronome refuses bad registrations", "[metronome]") {
  MetronomeHarness h(TestParams({TestKey(1)}, kCoin), absl::Seconds(1));
  const auto v = TestKey(100);
  const auto fp = testing::TestFingerprint(100);

  core::Registration bad_sig = h.Registration(v, fp);
  bad_sig.signature[0] ^= 1;
  DSC_CHECK_STATUS(h.metronome().RegisterValidator(bad_sig), absl::StatusCode::kInvalidArgument,
                   "bad registration signature");
  core::Registration other_key = h.Registration(v, fp);
  other_key.signature = crypto::Sign(
      TestKey(101), core::EncodeRegistration(v.public_key, fp, "pow", other_key.timestamp_ms));
  DSC_CHECK_STATUS(h.metronome().RegisterValidator(other_key),
                   absl::StatusCode::kInvalidArgument, "bad registration signature");
  core::Registration changed_fp = h.Registration(v, fp);
  changed_fp.fingerprint[3] ^= 1;
  DSC_CHECK_STATUS(h.metronome().RegisterValidator(changed_fp),
                   absl::StatusCode::kInvalidArgument, "bad registration signature");
  DSC_CHECK_STATUS(h.metronome().RegisterValidator(h.Registration(v, fp, "pox")),
                   absl::StatusCode::kInvalidArgument, "unknown proof kind 'pox'");
  DSC_CHECK_STATUS(h.metronome().RegisterValidator(h.Registration(v, fp, "")),
                   absl::StatusCode::kInvalidArgument, "unknown proof kind");
  DSC_CHECK_STATUS(
      h.metronome().RegisterValidator(h.Registration(v, fp, "pow", util::NowMillis() - 600'000)),
      absl::StatusCode::kInvalidArgument, "timestamp is too far");
  DSC_CHECK_STATUS(
      h.metronome().RegisterValidator(h.Registration(v, fp, "pow", util::NowMillis() + 600'000)),
      absl::StatusCode::kInvalidArgument, "timestamp is too far");
  DSC_CHECK_STATUS(h.metronome().RegisterValidator(h.Registration(h.chain().metronome(), fp)),
                   absl::StatusCode::kInvalidArgument, "metronome's key");

  auto status = h.metronome().GetStatus();
  REQUIRE(status.ok());
  CHECK(status->validators.empty());

  DSC_CHECK_OK(h.metronome().RegisterValidator(h.Registration(v, fp, "pom")));
  status = h.metronome().GetStatus();
  REQUIRE(status.ok());
  REQUIRE(status->validators.size() == 1);
  CHECK(status->validators[0].key == v.public_key);
  CHECK(status->validators[0].fingerprint == fp);
  CHECK(status->validators[0].kind == "pom");
}

TEST_CASE("Metronome SubmitBlock refuses bad blocks and accepts a valid one", "[metronome]") {
  const auto a = TestKey(1), b = TestKey(2);
  core::ConsensusParams params = TestParams({a, b}, 100 * kCoin, /*initial_difficulty=*/4);
  MetronomeHarness h(params, absl::Milliseconds(600), /*solve_target=*/absl::Milliseconds(400));
  const auto v = TestKey(100), unregistered = TestKey(101);
  const auto fp = testing::TestFingerprint(100);
  DSC_REQUIRE_OK(h.metronome().RegisterValidator(h.Registration(v, fp)));
  h.Start();

  // Round 1: every refusal, while the round stays open and the chain unchanged.
  const Round r1 = h.OpenRoundAt(1);
  REQUIRE(r1.height == 1);
  REQUIRE(r1.difficulty == 4);
  const Transaction tx = core::MakeTransaction(a, b.public_key, kCoin, 0, 0, util::NowMillis());
  auto expect_refused = [&](const std::string& name, const Block& block, absl::StatusCode code,
                            const std::string& part) {
    INFO("case: " << name);
    DSC_CHECK_STATUS(h.metronome().SubmitBlock(block), code, part);
    CHECK(absl::IsNotFound(
        h.chain().chain().GetBlockByHash(core::ComputeBlockHash(block.header)).status()));
  };

  expect_refused("unregistered producer",
                 testing::MakeValidatorBlock(r1, unregistered, fp, {tx}, nullptr),
                 absl::StatusCode::kPermissionDenied, "is not a registered validator");
  expect_refused("another fingerprint",
                 testing::MakeValidatorBlock(r1, v, testing::TestFingerprint(7), {tx}, nullptr),
                 absl::StatusCode::kInvalidArgument, "fingerprint differs");
  {
    Round wrong = r1;
    wrong.height = 2;
    expect_refused("wrong height", testing::MakeValidatorBlock(wrong, v, fp, {tx}, nullptr),
                   absl::StatusCode::kFailedPrecondition, "is not for the open round");
  }
  {
    Round wrong = r1;
    wrong.prev_hash[0] ^= 1;
    expect_refused("wrong parent", testing::MakeValidatorBlock(wrong, v, fp, {tx}, nullptr),
                   absl::StatusCode::kFailedPrecondition, "does not extend");
  }
  {
    Round wrong = r1;
    wrong.difficulty = r1.difficulty + 1;  // a real proof, at the wrong difficulty
    expect_refused("wrong difficulty", testing::MakeValidatorBlock(wrong, v, fp, {tx}, nullptr),
                   absl::StatusCode::kInvalidArgument, "is not the round's");
  }
  {
    Block block = testing::MakeValidatorBlock(r1, v, fp, {tx}, nullptr);
    block.header.proof_nonce =
        testing::FailingNonce(fp, v.public_key, r1.prev_hash, r1.difficulty);
    testing::Reseal(&block, v, nullptr);
    expect_refused("bad proof", block, absl::StatusCode::kInvalidArgument, "invalid proof");
  }
  {
    Block block = testing::MakeValidatorBlock(r1, v, fp, {tx}, nullptr);
    block.header.producer_signature[5] ^= 1;
    expect_refused("bad signature", block, absl::StatusCode::kInvalidArgument,
                   "bad block signature");
    Block other = testing::MakeValidatorBlock(r1, v, fp, {tx}, nullptr);
    core::SignAsProducer(&other.header, unregistered);
    expect_refused("signed by another key", other, absl::StatusCode::kInvalidArgument,
                   "bad block signature");
  }
  {
    // The metronome passes the chain's verdict on: an overspending transaction.
    const Transaction overspend =
        core::MakeTransaction(a, b.public_key, 500 * kCoin, 0, 0, util::NowMillis());
    expect_refused("overspending transaction",
                   testing::MakeValidatorBlock(r1, v, fp, {overspend}, nullptr),
                   absl::StatusCode::kFailedPrecondition, "insufficient balance");
    Transaction tampered = tx;
    tampered.amount += 1;
    expect_refused("badly signed transaction",
                   testing::MakeValidatorBlock(r1, v, fp, {tampered}, nullptr),
                   absl::StatusCode::kInvalidArgument, "bad signature");
    Block root = testing::MakeValidatorBlock(r1, v, fp, {tx}, nullptr);
    root.header.tx_root[0] ^= 1;
    testing::Reseal(&root, v, nullptr, /*fix_body=*/false);
    expect_refused("wrong tx_root", root, absl::StatusCode::kInvalidArgument,
                   "transaction root");
  }
  {
    auto now = h.metronome().WaitForRound(0, absl::ZeroDuration());
    REQUIRE(now.ok());
    INFO("refusals took too long: the round closed; rerun on a less loaded machine");
    CHECK(now->seq == r1.seq);
    CHECK(now->open);
    CHECK(h.chain().Tip().header.height == 0);
  }

  // Nobody won round 1: the metronome closes it itself and lowers the difficulty.
  const Round r2 = h.OpenRoundAt(2);
  REQUIRE(r2.height == 2);
  CHECK(r2.difficulty == 2);
  {
    auto block1 = h.chain().chain().GetBlock(1, absl::ZeroDuration());
    REQUIRE(block1.ok());
    CHECK(block1->header.producer == h.chain().metronome().public_key);
  }

  // Round 2: a valid block wins at once (under a quarter of the solve target), closes the
  // round, raises the difficulty.
  const uint64_t supply = h.chain().Tip().supply;
  const Transaction tx2 = core::MakeTransaction(b, a.public_key, 2 * kCoin, 7, 0,
                                                util::NowMillis());
  const Block good = testing::MakeValidatorBlock(r2, v, fp, {tx2}, nullptr);
  DSC_REQUIRE_OK(h.metronome().SubmitBlock(good));
  const core::ChainTip tip = h.chain().Tip();
  CHECK(tip.header.height == 2);
  CHECK(tip.hash == core::ComputeBlockHash(good.header));
  CHECK(tip.header.producer == v.public_key);
  CHECK(tip.supply == supply + params.block_reward);
  CHECK(h.chain().Account(v.public_key).balance == params.block_reward + 7);

  auto closed = h.metronome().WaitForRound(r2.seq, absl::Seconds(1));
  REQUIRE(closed.ok());
  CHECK(closed->seq > r2.seq);
  CHECK(closed->height == 2);
  CHECK_FALSE(closed->open);
  DSC_CHECK_STATUS(h.metronome().SubmitBlock(good), absl::StatusCode::kFailedPrecondition,
                   "is closed");

  const Round r3 = h.OpenRoundAt(3);
  CHECK(r3.difficulty == 3);
  CHECK(r3.prev_hash == tip.hash);
  // The next round starts on the beat, not when the block was won.
  CHECK(r3.start_ms - r2.start_ms >= 550);

  auto status = h.metronome().GetStatus();
  REQUIRE(status.ok());
  CHECK(status->blocks_by_validators == 1);
  CHECK(status->blocks_by_metronome >= 1);
  REQUIRE(status->validators.size() == 1);
  CHECK(status->validators[0].blocks_won == 1);
}

TEST_CASE("MetronomeOptions solve target: default, bounds", "[metronome]") {
  MetronomeOptions o;
  o.block_time = absl::Seconds(6);
  CHECK(o.SolveTargetMs() == 187);  // block_time / 32
  o.solve_target = absl::Seconds(1);
  CHECK(o.SolveTargetMs() == 1000);
  DSC_CHECK_OK(o.Validate());
  o.solve_target = absl::Seconds(7);
  DSC_CHECK_STATUS(o.Validate(), absl::StatusCode::kInvalidArgument, "solve_target");
  o.solve_target = -absl::Milliseconds(1);
  DSC_CHECK_STATUS(o.Validate(), absl::StatusCode::kInvalidArgument, "solve_target");
  o.solve_target = absl::ZeroDuration();
  o.block_time = absl::Milliseconds(100);
  CHECK(o.SolveTargetMs() == 3);
}

TEST_CASE("Metronome lowers the difficulty for a round won after the solve target",
          "[metronome]") {
  const auto a = TestKey(1), b = TestKey(2);
  core::ConsensusParams params = TestParams({a, b}, 100 * kCoin, /*initial_difficulty=*/6);
  MetronomeHarness h(params, absl::Milliseconds(1500), /*solve_target=*/absl::Milliseconds(100));
  const auto v = TestKey(100);
  const auto fp = testing::TestFingerprint(100);
  DSC_REQUIRE_OK(h.metronome().RegisterValidator(h.Registration(v, fp)));
  h.Start();
  const Round r1 = h.OpenRoundAt(1);
  REQUIRE(r1.difficulty == 6);
  const Block late = testing::MakeValidatorBlock(r1, v, fp, {}, nullptr);
  // Won (arrives) after the 100 ms target, well before the 1.5 s deadline.
  absl::SleepFor(absl::Milliseconds(250) -
                 (absl::Now() - absl::FromUnixMillis(r1.start_ms)));
  DSC_REQUIRE_OK(h.metronome().SubmitBlock(late));
  const Round r2 = h.OpenRoundAt(2);
  CHECK(r2.difficulty == 5);
}

}  // namespace
}  // namespace dsc::metronome
