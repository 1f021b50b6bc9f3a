// Pool role tests, with a real Chain on the same store as the ChainApi: admission and
// every refusal (code and message, nothing pending afterwards), nonces, hand-out order,
// following the chain, capacity, durability across restarts, and write faults.
#include "pool/pool.h"

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/synchronization/mutex.h"

#include "core/encoding.h"
#include "storage/faulty_store.h"
#include "testing/fixtures.h"

namespace dsc::pool {
namespace {

using core::Block;
using core::Transaction;
using core::TxStatus;
using testing::TestKey;
using testing::TestParams;

constexpr uint64_t kCoin = 1'000'000;

// A chain and a pool over one store (as in a node).
class PoolHarness {
 public:
  PoolHarness(storage::Store* store, core::ConsensusParams params, PoolOptions options = {})
      : store_(store), chain_(store, std::move(params)), options_(options) {
    Open();
  }

  void Open() {
    pool_.reset();
    auto opened = Pool::Open(store_, &chain_.chain(), options_);
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    pool_ = std::move(*opened);
  }
  void Close() { pool_.reset(); }

  Pool& pool() { return *pool_; }
  testing::ChainHarness& chain() { return chain_; }

  // Appends a metronome block holding `txs` to the chain; with `notify`, hands it to the
  // pool as its follower would.
  Block Confirm(std::vector<Transaction> txs, bool notify = true) {
    Block block = chain_.MetronomeBlock(std::move(txs));
    auto s = chain_.chain().AppendBlock(block);
    INFO(s.ToString());
    REQUIRE(s.ok());
    if (notify && pool_ != nullptr) pool_->OnBlock(block);
    return block;
  }

  absl::Status SubmitOne(const Transaction& tx) {
    std::vector<absl::Status> verdicts = pool_->Submit(absl::MakeConstSpan(&tx, 1));
    REQUIRE(verdicts.size() == 1);
    return verdicts[0];
  }

  core::TxStatusInfo Status(const Transaction& tx) {
    const core::TxId id = core::ComputeTxId(tx);
    auto statuses = pool_->GetStatus(absl::MakeConstSpan(&id, 1));
    REQUIRE(statuses.ok());
    REQUIRE(statuses->size() == 1);
    return (*statuses)[0];
  }

  core::PoolStats Stats() {
    auto stats = pool_->GetStats();
    REQUIRE(stats.ok());
    return *stats;
  }

  uint64_t NextNonce(const crypto::KeyPair& key) {
    auto nonce = pool_->NextNonce(key.public_key);
    REQUIRE(nonce.ok());
    return *nonce;
  }

  std::vector<Transaction> Take(uint64_t height, uint32_t max) {
    auto taken = pool_->TakeForBlock(height, max);
    INFO(taken.status().ToString());
    REQUIRE(taken.ok());
    return *taken;
  }

  size_t StoredEntries() {
    size_t n = 0;
    REQUIRE(store_->ScanPrefix(storage::Column::kPool, "", [&](std::string_view, std::string_view) {
                    ++n;
                    return true;
                  }).ok());
    return n;
  }

 private:
  storage::Store* const store_;
  testing::ChainHarness chain_;
  const PoolOptions options_;
  std::unique_ptr<Pool> pool_;
};

Transaction Tx(const crypto::KeyPair& from, const crypto::KeyPair& to, uint64_t amount,
               uint64_t nonce, uint64_t fee = 0) {
  return core::MakeTransaction(from, to.public_key, amount, fee, nonce, util::NowMillis());
}

TEST_CASE("Pool accepts valid transactions and counts them", "[pool]") {
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolHarness h(store.get(), TestParams({a, b}, 100 * kCoin));

  const std::vector<Transaction> txs = {Tx(a, b, kCoin, 0), Tx(a, c, 2 * kCoin, 1, 1000),
                                        Tx(b, c, 3 * kCoin, 0), Tx(a, b, kCoin, 2)};
  const std::vector<absl::Status> verdicts = h.pool().Submit(txs);
  REQUIRE(verdicts.size() == 4);
  for (const auto& v : verdicts) DSC_CHECK_OK(v);
  for (const auto& tx : txs) CHECK(h.Status(tx).status == TxStatus::kSubmitted);
  const core::PoolStats stats = h.Stats();
  CHECK(stats.submitted == 4);
  CHECK(stats.unconfirmed == 0);
  CHECK(stats.accepted_total == 4);
  CHECK(stats.rejected_total == 0);
  CHECK(h.NextNonce(a) == 3);
  CHECK(h.NextNonce(b) == 1);
  CHECK(h.NextNonce(c) == 0);
  CHECK(h.StoredEntries() == 4);
  // An id the pool never saw.
  CHECK(h.Status(Tx(c, a, 1, 0)).status == TxStatus::kUnknown);
}

TEST_CASE("Pool refuses bad transactions with a code and a reason, and keeps nothing", "[pool]") {
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolHarness h(store.get(), TestParams({a, b}, 100 * kCoin));

  // One confirmed transaction of a, so there is something to replay.
  const Transaction confirmed = Tx(a, b, kCoin, 0);
  DSC_REQUIRE_OK(h.SubmitOne(confirmed));
  h.Confirm({confirmed});
  REQUIRE(h.Status(confirmed).status == TxStatus::kConfirmed);
  REQUIRE(h.Stats().submitted == 0);

  uint64_t rejected = h.Stats().rejected_total;
  auto expect_refused = [&](const std::string& name, const Transaction& tx,
                            absl::StatusCode code, const std::string& part,
                            bool already_pending = false) {
    INFO("case: " << name);
    const core::PoolStats before = h.Stats();
    const uint64_t nonce_a = h.NextNonce(a);
    DSC_CHECK_STATUS(h.SubmitOne(tx), code, part);
    const core::PoolStats after = h.Stats();
    CHECK(after.submitted == before.submitted);
    CHECK(after.accepted_total == before.accepted_total);
    CHECK(after.rejected_total == ++rejected);
    CHECK(h.NextNonce(a) == nonce_a);
    if (tx != confirmed && !already_pending) {
      CHECK(h.Status(tx).status == TxStatus::kUnknown);
    }
    CHECK(h.StoredEntries() == after.submitted + after.unconfirmed);
  };

  Transaction tampered = Tx(a, b, kCoin, 1);
  tampered.amount = 50 * kCoin;
  expect_refused("tampered amount", tampered, absl::StatusCode::kInvalidArgument,
                 "bad signature: not signed by the sender's key");
  Transaction wrong_key = Tx(a, b, kCoin, 1);
  wrong_key.signature = crypto::Sign(b, core::EncodeTxSigningBytes(wrong_key));
  expect_refused("signed by another key", wrong_key, absl::StatusCode::kInvalidArgument,
                 "bad signature");
  Transaction zero_sig = Tx(a, b, kCoin, 1);
  zero_sig.signature = {};
  expect_refused("no signature", zero_sig, absl::StatusCode::kInvalidArgument, "bad signature");
  expect_refused("zero amount", Tx(a, b, 0, 1), absl::StatusCode::kInvalidArgument,
                 "amount must be greater than zero");
  expect_refused("amount + fee overflow", Tx(a, b, UINT64_MAX, 1, 1),
                 absl::StatusCode::kInvalidArgument, "overflows 64 bits");
  expect_refused("self transfer", Tx(a, a, kCoin, 1), absl::StatusCode::kInvalidArgument,
                 "sender and recipient are the same address");
  expect_refused("negative timestamp",
                 core::MakeTransaction(a, b.public_key, kCoin, 0, 1, -5),
                 absl::StatusCode::kInvalidArgument, "timestamp is negative");
  expect_refused("nonce gap", Tx(a, b, kCoin, 3), absl::StatusCode::kFailedPrecondition,
                 "expected 1");
  expect_refused("overspend", Tx(a, b, 100 * kCoin, 1), absl::StatusCode::kFailedPrecondition,
                 "insufficient balance");
  expect_refused("overspend by the fee", Tx(a, b, 98 * kCoin, 1, kCoin + 1),
                 absl::StatusCode::kFailedPrecondition, "insufficient balance");
  expect_refused("replay of a confirmed transaction", confirmed,
                 absl::StatusCode::kAlreadyExists, "already confirmed in block 1");
  expect_refused("a new transaction with a confirmed nonce", Tx(a, c, 2 * kCoin, 0),
                 absl::StatusCode::kFailedPrecondition, "stale nonce 0");
  expect_refused("unfunded sender", Tx(c, a, kCoin, 0), absl::StatusCode::kFailedPrecondition,
                 "insufficient balance");

  // Several pending transactions: each affordable alone, not together.
  const Transaction p1 = Tx(a, b, 40 * kCoin, 1), p2 = Tx(a, b, 40 * kCoin, 2, 500);
  DSC_REQUIRE_OK(h.SubmitOne(p1));
  DSC_REQUIRE_OK(h.SubmitOne(p2));
  rejected = h.Stats().rejected_total;
  expect_refused("overspend across pending transactions", Tx(a, b, 19 * kCoin, 3),
                 absl::StatusCode::kFailedPrecondition, "already pending");
  expect_refused("nonce reuse (another transaction, same nonce)", Tx(a, c, kCoin, 2),
                 absl::StatusCode::kFailedPrecondition, "nonce 2 is already used by pending");
  expect_refused("duplicate id", p2, absl::StatusCode::kAlreadyExists, "already in the pool",
                 /*already_pending=*/true);
  CHECK(h.Status(p1).status == TxStatus::kSubmitted);
  CHECK(h.Status(p2).status == TxStatus::kSubmitted);

  // What is left fits exactly.
  const uint64_t left = 99 * kCoin - 80 * kCoin - 500;
  DSC_CHECK_OK(h.SubmitOne(Tx(a, b, left, 3)));
  CHECK(h.NextNonce(a) == 4);

  // A duplicate inside one batch: the first copy is accepted, the second refused.
  const Transaction dup = Tx(b, c, kCoin, 0);
  const std::vector<Transaction> batch = {dup, dup};
  const auto verdicts = h.pool().Submit(batch);
  DSC_CHECK_OK(verdicts[0]);
  DSC_CHECK_STATUS(verdicts[1], absl::StatusCode::kAlreadyExists, "already in the pool");
}

TEST_CASE("Pool hands out in arrival order, per-sender nonces first, and takes back", "[pool]") {
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolOptions options;
  options.sync_wait = absl::Milliseconds(100);
  PoolHarness h(store.get(), TestParams({a, b, c}, 100 * kCoin), options);

  const Transaction a0 = Tx(a, b, kCoin, 0), b0 = Tx(b, c, kCoin, 0), a1 = Tx(a, c, kCoin, 1);
  const Transaction c0 = Tx(c, a, kCoin, 0), b1 = Tx(b, a, kCoin, 1), a2 = Tx(a, b, kCoin, 2);
  const std::vector<Transaction> arrival = {a0, b0, a1, c0, b1, a2};
  for (const auto& tx : arrival) DSC_REQUIRE_OK(h.SubmitOne(tx));

  CHECK(h.Take(1, 100) == arrival);
  const std::vector<Transaction> first3 = h.Take(1, 3);
  CHECK(first3 == std::vector<Transaction>{a0, b0, a1});
  for (const auto& tx : arrival) CHECK(h.Status(tx).status == TxStatus::kUnconfirmed);
  CHECK(h.Stats().unconfirmed == 6);
  CHECK(h.Stats().submitted == 0);
  CHECK(h.Take(1, 0).empty());

  // Wrong heights: ahead of the pool (after waiting), or behind it.
  DSC_CHECK_STATUS(h.pool().TakeForBlock(3, 10), absl::StatusCode::kUnavailable,
                   "caught up with block 0 only");
  DSC_CHECK_STATUS(h.pool().TakeForBlock(0, 10), absl::StatusCode::kFailedPrecondition,
                   "behind the chain");

  // The block holds a0 and b0 only: they are confirmed, the rest is submitted again.
  const Block block = h.Confirm({a0, b0});
  CHECK(h.Status(a0).status == TxStatus::kConfirmed);
  CHECK(h.Status(a0).height == 1);
  CHECK(h.Status(b0).status == TxStatus::kConfirmed);
  for (const auto& tx : {a1, c0, b1, a2}) CHECK(h.Status(tx).status == TxStatus::kSubmitted);
  core::PoolStats stats = h.Stats();
  CHECK(stats.submitted == 4);
  CHECK(stats.unconfirmed == 0);
  CHECK(stats.confirmed_total == 2);
  CHECK(stats.synced_height == 1);
  CHECK(h.StoredEntries() == 4);
  CHECK(h.NextNonce(a) == 3);
  // Replaying the same block is a no-op.
  h.pool().OnBlock(block);
  CHECK(h.Stats().confirmed_total == 2);

  // The next block may take the rest, in arrival order.
  CHECK(h.Take(2, 100) == std::vector<Transaction>{a1, c0, b1, a2});
  h.Confirm({a1, c0, b1, a2});
  stats = h.Stats();
  CHECK(stats.submitted == 0);
  CHECK(stats.unconfirmed == 0);
  CHECK(stats.confirmed_total == 6);
  CHECK(h.StoredEntries() == 0);
  CHECK(h.NextNonce(a) == 3);
  CHECK(h.NextNonce(b) == 2);
}

TEST_CASE("Pool follows the chain in the background and tracks balances", "[pool]") {
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolHarness h(store.get(), TestParams({a, b}, 100 * kCoin));
  h.pool().Start();

  const Transaction a0 = Tx(a, b, 50 * kCoin, 0);
  const Transaction b0 = Tx(b, c, 10 * kCoin, 0);
  DSC_REQUIRE_OK(h.SubmitOne(a0));
  DSC_REQUIRE_OK(h.SubmitOne(b0));
  // b spends more than it had at genesis: only possible once a0 is confirmed.
  const Transaction b1 = Tx(b, c, 130 * kCoin, 1);
  DSC_CHECK_STATUS(h.SubmitOne(b1), absl::StatusCode::kFailedPrecondition, "insufficient balance");

  h.Confirm({a0}, /*notify=*/false);  // the follower thread must notice by itself
  REQUIRE(testing::WaitUntil([&] { return h.Status(a0).status == TxStatus::kConfirmed; },
                             absl::Seconds(5)));
  REQUIRE(testing::WaitUntil([&] { return h.Stats().synced_height == 1; }, absl::Seconds(5)));
  CHECK(h.Status(a0).height == 1);
  CHECK(h.Status(b0).status == TxStatus::kSubmitted);
  // The pool credited b with a0's 50 coins: 10 pending + 130 fits in 150.
  DSC_CHECK_OK(h.SubmitOne(b1));
  DSC_CHECK_STATUS(h.SubmitOne(Tx(b, c, 11 * kCoin, 2)), absl::StatusCode::kFailedPrecondition,
                   "insufficient balance");

  h.Confirm({b0, b1}, /*notify=*/false);
  REQUIRE(testing::WaitUntil([&] { return h.Status(b1).status == TxStatus::kConfirmed; },
                             absl::Seconds(5)));
  CHECK(h.Status(b1).height == 2);
  CHECK(h.Stats().submitted == 0);
  CHECK(h.NextNonce(b) == 2);
  h.pool().Stop();
  h.pool().Stop();  // idempotent
}

TEST_CASE("Pool drops a pending transaction the chain made invalid", "[pool]") {
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolHarness h(store.get(), TestParams({a, b}, 100 * kCoin));
  const Transaction pending = Tx(a, b, kCoin, 0), pending2 = Tx(a, b, kCoin, 1);
  DSC_REQUIRE_OK(h.SubmitOne(pending));
  DSC_REQUIRE_OK(h.SubmitOne(pending2));
  // Another transaction with nonce 0 of a reaches the chain some other way.
  const Transaction other = Tx(a, c, 99 * kCoin, 0);
  h.Confirm({other});
  CHECK(h.Status(pending).status == TxStatus::kUnknown);
  CHECK(h.Status(other).status == TxStatus::kConfirmed);
  CHECK(h.NextNonce(a) == 2);  // pending2 is still queued at nonce 1
  // a has 1 coin left, so pending2 (1 coin) still fits; a third one does not.
  DSC_CHECK_STATUS(h.SubmitOne(Tx(a, b, 1, 2)), absl::StatusCode::kFailedPrecondition,
                   "insufficient balance");
}

TEST_CASE("Pool drops pending transactions a conflicting confirmed one made unaffordable",
          "[pool]") {
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolHarness h(store.get(), TestParams({a, b}, 100 * kCoin));
  const Transaction a0 = Tx(a, b, 10 * kCoin, 0), a1 = Tx(a, b, 80 * kCoin, 1);
  const Transaction a2 = Tx(a, b, 1 * kCoin, 2), b0 = Tx(b, c, kCoin, 0);
  for (const auto& tx : {a0, a1, a2, b0}) DSC_REQUIRE_OK(h.SubmitOne(tx));
  // A validator confirms another nonce-0 transaction of a, spending 95 coins: a1 (80
  // coins) can never be confirmed now, nor a2 after it.
  const Transaction other = Tx(a, c, 95 * kCoin, 0);
  h.Confirm({other});
  for (const auto& tx : {a0, a1, a2}) CHECK(h.Status(tx).status == TxStatus::kUnknown);
  CHECK(h.Status(b0).status == TxStatus::kSubmitted);
  CHECK(h.Stats().submitted == 1);
  CHECK(h.Stats().confirmed_total == 0);
  CHECK(h.StoredEntries() == 1);
  CHECK(h.NextNonce(a) == 1);
  // What the pool hands out next is a valid block body.
  const std::vector<Transaction> next = h.Take(2, 100);
  CHECK(next == std::vector<Transaction>{b0});
  DSC_CHECK_OK(h.chain().chain().AppendBlock(h.chain().MetronomeBlock(next)));
  // a can go on from what it has left.
  DSC_CHECK_OK(h.SubmitOne(Tx(a, b, 5 * kCoin, 1)));
}

TEST_CASE("Pool refuses new transactions when full", "[pool]") {
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2);
  PoolOptions options;
  options.max_pending = 3;
  PoolHarness h(store.get(), TestParams({a, b}, 100 * kCoin), options);
  const std::vector<Transaction> txs = {Tx(a, b, 1, 0), Tx(a, b, 1, 1), Tx(b, a, 1, 0),
                                        Tx(a, b, 1, 2)};
  const auto verdicts = h.pool().Submit(txs);
  DSC_CHECK_OK(verdicts[0]);
  DSC_CHECK_OK(verdicts[1]);
  DSC_CHECK_OK(verdicts[2]);
  DSC_CHECK_STATUS(verdicts[3], absl::StatusCode::kResourceExhausted, "the pool is full");
  CHECK(h.Stats().submitted == 3);
  CHECK(h.Status(txs[3]).status == TxStatus::kUnknown);
  // Room again once a block confirms some.
  h.Confirm({txs[0]});
  DSC_CHECK_OK(h.SubmitOne(txs[3]));
}

TEST_CASE("Pool keeps pending transactions across a restart", "[pool]") {
  testing::InitTesting();
  testing::TempDir dir("dsc_pool_test");
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  const core::ConsensusParams params = TestParams({a, b}, 100 * kCoin);
  auto open_store = [&] { return testing::OpenRocks(dir.Sub("db")); };
  const Transaction a0 = Tx(a, b, kCoin, 0), b0 = Tx(b, c, kCoin, 0), a1 = Tx(a, c, kCoin, 1);
  const Transaction a2 = Tx(a, c, kCoin, 2);
  const std::vector<Transaction> arrival = {a0, b0, a1, a2};
  {
    auto store = open_store();
    PoolHarness h(store.get(), params);
    for (const auto& tx : arrival) DSC_REQUIRE_OK(h.SubmitOne(tx));
    CHECK(h.Take(1, 1).size() == 1);  // a0 handed out when the pool goes down
  }
  {
    // Same store reopened from disk: the same pending set, in the same order.
    auto store = open_store();
    PoolHarness h(store.get(), params);
    for (const auto& tx : arrival) CHECK(h.Status(tx).status == TxStatus::kSubmitted);
    CHECK(h.Stats().submitted == 4);
    CHECK(h.NextNonce(a) == 3);
    CHECK(h.NextNonce(b) == 1);
    CHECK(h.Take(1, 100) == arrival);
    // The chain confirms a0 and b0 while the pool is down.
    h.Close();
    h.Confirm({a0, b0}, /*notify=*/false);
  }
  {
    auto store = open_store();
    PoolHarness h(store.get(), params);
    CHECK(h.Status(a0).status == TxStatus::kConfirmed);
    CHECK(h.Status(b0).status == TxStatus::kConfirmed);
    CHECK(h.Status(a1).status == TxStatus::kSubmitted);
    CHECK(h.Status(a2).status == TxStatus::kSubmitted);
    CHECK(h.Stats().submitted == 2);
    CHECK(h.Stats().synced_height == 1);
    CHECK(h.StoredEntries() == 2);
    CHECK(h.NextNonce(a) == 3);
    CHECK(h.Take(2, 100) == std::vector<Transaction>{a1, a2});
    // And new submissions continue the sequence.
    DSC_CHECK_OK(h.SubmitOne(Tx(a, b, kCoin, 3)));
  }
}

TEST_CASE("Pool stores entries under their arrival order and deletes what blocks confirm",
          "[pool]") {
  testing::InitTesting();
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2);
  PoolHarness h(store.get(), TestParams({a, b}, 100 * kCoin));
  const Transaction a0 = Tx(a, b, kCoin, 0), a1 = Tx(a, b, kCoin, 1), b0 = Tx(b, a, kCoin, 0);
  for (const auto& tx : {a0, b0, a1}) DSC_REQUIRE_OK(h.SubmitOne(tx));
  std::vector<std::string> keys;
  REQUIRE(store->ScanPrefix(storage::Column::kPool, "", [&](std::string_view k, std::string_view) {
                 keys.emplace_back(k);
                 return true;
               }).ok());
  REQUIRE(keys.size() == 3);
  for (const std::string& k : keys) CHECK(k.size() == 8);  // big-endian sequence numbers
  // The block confirms a0 and b0: exactly their entries go, a1's stays.
  h.Confirm({a0, b0});
  CHECK(h.StoredEntries() == 1);
  CHECK(h.Status(a1).status == TxStatus::kSubmitted);
}

TEST_CASE("Pool reads entries an older dscd kept under their tx id, and rekeys them", "[pool]") {
  testing::InitTesting();
  testing::TempDir dir("dsc_pool_test");
  const auto a = TestKey(1), b = TestKey(2);
  const core::ConsensusParams params = TestParams({a, b}, 100 * kCoin);
  const Transaction a0 = Tx(a, b, kCoin, 0), a1 = Tx(a, b, kCoin, 1);
  auto store = testing::OpenRocks(dir.Sub("db"));
  {
    // The old layout: tx id -> (seq, encoded tx).
    storage::WriteBatch old;
    for (uint64_t seq : {1, 2}) {
      const Transaction& tx = seq == 1 ? a0 : a1;
      const core::TxId id = core::ComputeTxId(tx);
      core::Writer w;
      w.U64(seq);
      w.Raw(core::EncodeTx(tx));
      old.Put(storage::Column::kPool,
              std::string(reinterpret_cast<const char*>(id.data()), id.size()), w.Take());
    }
    DSC_REQUIRE_OK(store->Write(old, true));
  }
  PoolHarness h(store.get(), params);
  CHECK(h.Stats().submitted == 2);
  CHECK(h.NextNonce(a) == 2);
  CHECK(h.Take(1, 10) == std::vector<Transaction>{a0, a1});
  size_t rekeyed = 0;
  REQUIRE(store->ScanPrefix(storage::Column::kPool, "", [&](std::string_view k, std::string_view) {
                 rekeyed += k.size() == 8;
                 return true;
               }).ok());
  CHECK(rekeyed == 2);
  CHECK(h.StoredEntries() == 2);
  // Confirming them deletes the rekeyed entries.
  h.Confirm({a0, a1});
  CHECK(h.StoredEntries() == 0);
}

TEST_CASE("Pool: a failed write refuses the whole batch and keeps nothing", "[pool]") {
  testing::InitTesting();
  storage::FaultyStore faulty(storage::NewMemoryStore());
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolHarness h(&faulty, TestParams({a, b}, 100 * kCoin));

  const std::vector<Transaction> batch = {Tx(a, b, kCoin, 0), Tx(a, b, kCoin, 1),
                                          Tx(b, c, kCoin, 0), Tx(a, a, kCoin, 2)};
  faulty.FailNthWrite(1);
  const auto verdicts = h.pool().Submit(batch);
  REQUIRE(verdicts.size() == 4);
  for (int i = 0; i < 3; ++i) {
    DSC_CHECK_STATUS(verdicts[i], absl::StatusCode::kUnavailable,
                     "transaction not stored: injected write fault");
  }
  // A transaction refused for its own reason keeps that reason.
  DSC_CHECK_STATUS(verdicts[3], absl::StatusCode::kInvalidArgument, "same address");
  const core::PoolStats stats = h.Stats();
  CHECK(stats.submitted == 0);
  CHECK(stats.unconfirmed == 0);
  CHECK(stats.accepted_total == 0);
  CHECK(stats.rejected_total == 4);
  for (const auto& tx : batch) CHECK(h.Status(tx).status == TxStatus::kUnknown);
  CHECK(h.NextNonce(a) == 0);
  CHECK(h.NextNonce(b) == 0);
  CHECK(h.StoredEntries() == 0);
  CHECK(h.Take(1, 100).empty());

  // The fault was one-shot: the same transactions are accepted now.
  const auto again = h.pool().Submit(absl::MakeConstSpan(batch).subspan(0, 3));
  for (const auto& v : again) DSC_CHECK_OK(v);
  CHECK(h.Stats().submitted == 3);
  CHECK(h.StoredEntries() == 3);
  CHECK(h.NextNonce(a) == 2);
}

// Forwards to another store; while `hold` is set, a Write waits (after counting itself as
// in flight) until it is released, then fails if `fail` is set.
class GateStore final : public storage::Store {
 public:
  explicit GateStore(storage::Store* base) : base_(base) {}
  absl::StatusOr<std::string> Get(storage::Column column, std::string_view key) override {
    return base_->Get(column, key);
  }
  absl::Status Scan(storage::Column column, std::string_view prefix, std::string_view start,
                    bool reverse, const storage::ScanFn& fn) override {
    return base_->Scan(column, prefix, start, reverse, fn);
  }
  absl::Status Write(const storage::WriteBatch& batch, bool sync) override {
    absl::MutexLock lock(&mu_);
    ++writes_;
    ++in_flight_;
    auto open = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !hold_; };
    mu_.Await(absl::Condition(&open));
    --in_flight_;
    if (fail_) return absl::UnavailableError("gate write fault");
    return base_->Write(batch, sync);
  }
  void Hold(bool fail) {
    absl::MutexLock lock(&mu_);
    hold_ = true;
    fail_ = fail;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    hold_ = false;
  }
  void AwaitInFlight() {
    absl::MutexLock lock(&mu_);
    auto busy = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ > 0; };
    mu_.Await(absl::Condition(&busy));
  }
  void Reset() {
    absl::MutexLock lock(&mu_);
    fail_ = false;
  }
  int writes() {
    absl::MutexLock lock(&mu_);
    return writes_;
  }

 private:
  storage::Store* const base_;
  absl::Mutex mu_;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
};

// Waits (bounded) until `pred` holds; false on timeout.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 2000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

TEST_CASE("Pool group-commits submissions that arrive during a write", "[pool]") {
  testing::InitTesting();
  auto memory = storage::NewMemoryStore();
  GateStore gate(memory.get());
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolHarness h(&gate, TestParams({a, b, c}, 100 * kCoin));
  const int writes_before = gate.writes();

  // The first submission's write is held in flight; three more arrive meanwhile (one of
  // them depends on the first: a's nonce 1).
  gate.Hold(/*fail=*/false);
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(4);
  const std::vector<Transaction> txs = {Tx(a, b, kCoin, 0), Tx(b, c, kCoin, 0),
                                        Tx(c, a, kCoin, 0), Tx(a, c, kCoin, 1)};
  threads.emplace_back([&] { results[0] = h.SubmitOne(txs[0]); });
  gate.AwaitInFlight();
  for (int i = 1; i < 4; ++i) threads.emplace_back([&, i] { results[i] = h.SubmitOne(txs[i]); });
  // All three queued behind the held write (each sender's next nonce moved on), not
  // acknowledged yet, so not handed to a block builder either.
  REQUIRE(Eventually(
      [&] { return h.NextNonce(a) == 2 && h.NextNonce(b) == 1 && h.NextNonce(c) == 1; }));
  CHECK(h.Take(1, 100).empty());
  gate.Release();
  for (auto& t : threads) t.join();
  for (const auto& r : results) DSC_CHECK_OK(r);
  // One write for the first submission, one for the three that queued behind it.
  CHECK(gate.writes() - writes_before == 2);
  CHECK(h.StoredEntries() == 4);
  CHECK(h.Stats().accepted_total == 4);
  CHECK(h.Take(1, 100).size() == 4);
}

TEST_CASE("Pool: a failed group write refuses its submissions and those queued behind it",
          "[pool]") {
  testing::InitTesting();
  auto memory = storage::NewMemoryStore();
  GateStore gate(memory.get());
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  PoolHarness h(&gate, TestParams({a, b, c}, 100 * kCoin));
  // One acknowledged transaction of a's stays.
  const Transaction kept = Tx(a, b, kCoin, 0);
  DSC_REQUIRE_OK(h.SubmitOne(kept));

  gate.Hold(/*fail=*/true);
  std::vector<absl::Status> results(3);
  const std::vector<Transaction> txs = {Tx(a, b, kCoin, 1), Tx(a, c, kCoin, 2),
                                        Tx(b, c, kCoin, 0)};
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = h.SubmitOne(txs[0]); });
  gate.AwaitInFlight();
  threads.emplace_back([&] { results[1] = h.SubmitOne(txs[1]); });  // depends on txs[0]
  threads.emplace_back([&] { results[2] = h.SubmitOne(txs[2]); });
  REQUIRE(Eventually([&] { return h.NextNonce(a) == 3 && h.NextNonce(b) == 1; }));
  gate.Release();
  for (auto& t : threads) t.join();
  DSC_CHECK_STATUS(results[0], absl::StatusCode::kUnavailable,
                   "transaction not stored: gate write fault");
  for (int i = 1; i < 3; ++i) {
    DSC_CHECK_STATUS(results[i], absl::StatusCode::kUnavailable,
                     "an earlier write it depended on failed");
  }
  // Only the acknowledged transaction is left, in memory and on disk.
  CHECK(h.NextNonce(a) == 1);
  CHECK(h.NextNonce(b) == 0);
  CHECK(h.Stats().submitted == 1);
  CHECK(h.StoredEntries() == 1);
  for (const auto& tx : txs) CHECK(h.Status(tx).status == TxStatus::kUnknown);
  CHECK(h.Take(1, 100) == std::vector<Transaction>{kept});

  // The store works again: the same transactions go in.
  gate.Reset();
  for (const auto& tx : txs) DSC_CHECK_OK(h.SubmitOne(tx));
  CHECK(h.StoredEntries() == 4);
}

TEST_CASE("Pool: concurrent single submissions on RocksDB are all kept", "[pool]") {
  testing::InitTesting();
  testing::TempDir dir("dsc_pool_group");
  constexpr int kSenders = 8, kEach = 40;
  std::vector<crypto::KeyPair> keys;
  for (int i = 0; i < kSenders; ++i) keys.push_back(TestKey(10 + i));
  const core::ConsensusParams params = TestParams(keys, 100 * kCoin);
  {
    auto store = testing::OpenRocks(dir.Sub("db"));
    PoolHarness h(store.get(), params);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int s = 0; s < kSenders; ++s) {
      threads.emplace_back([&, s] {
        for (int n = 0; n < kEach; ++n) {
          if (!h.pool().Submit({Tx(keys[s], keys[(s + 1) % kSenders], 1, n)})[0].ok()) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(h.Stats().submitted == kSenders * kEach);
  }
  auto store = testing::OpenRocks(dir.Sub("db"));
  PoolHarness h(store.get(), params);
  CHECK(h.Stats().submitted == kSenders * kEach);
  for (int s = 0; s < kSenders; ++s) CHECK(h.NextNonce(keys[s]) == kEach);
}

}  // namespace
}  // namespace dsc::pool
