// Chain role tests: genesis, appends of validator and metronome blocks, lookups and
// indexes, every refusal (with nothing changed afterwards), the supply invariant over
// random blocks, restart on RocksDB, write faults, and GetBlock waits. Run on the
// in-memory store and on RocksDB.
#include "chain/chain.h"

#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "core/merkle.h"
#include "core/trie.h"
#include "storage/faulty_store.h"
#include "testing/fixtures.h"

namespace dsc::chain {
namespace {

using core::Block;
using core::Transaction;
using testing::ChainHarness;
using testing::TestKey;
using testing::TestParams;

constexpr uint64_t kCoin = 1'000'000;

struct MemoryBackend {
  static constexpr const char* kName = "memory";
  MemoryBackend() : store(storage::NewMemoryStore()) {}
  std::unique_ptr<storage::Store> store;
};

struct RocksBackend {
  static constexpr const char* kName = "rocksdb";
  RocksBackend() {
    storage::RocksStoreOptions options;
    options.path = dir.Sub("db");
    options.block_cache_bytes = 4 << 20;
    auto opened = storage::OpenRocksStore(options);
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }
  testing::TempDir dir{"dsc_chain_test"};
  std::unique_ptr<storage::Store> store;
};

core::Hash32 RandomHash() {
  core::Hash32 h;
  crypto::RandomBytes(absl::MakeSpan(h));
  return h;
}

// Checks `p` the way a light client does: against the anchor header's root only.
void CheckProof(const core::ProvenanceProof& p, const core::TxId& id, bool included,
                uint64_t height = 0, uint32_t index = 0) {
  INFO("id " << util::Base58Encode(id) << " anchor " << p.anchor.height);
  auto verdict = core::VerifyTrieProof(p.anchor.provenance_root, id, p.proof);
  INFO(verdict.status().ToString());
  REQUIRE(verdict.ok());
  CHECK(verdict->included == included);
  CHECK(p.included == included);
  if (included) {
    CHECK(p.height == height);
    CHECK(p.index == index);
    CHECK(verdict->value_hash == core::TxProvenanceValue(height, index));
  }
  // The canonical encoding round-trips.
  auto decoded = core::DecodeTrieProof(core::EncodeTrieProof(p.proof));
  REQUIRE(decoded.ok());
  CHECK(*decoded == p.proof);
}

uint64_t SumBalances(storage::Store& store) {
  uint64_t sum = 0;
  for (const auto& [address, account] : testing::ScanAccounts(store)) sum += account.balance;
  return sum;
}

TEMPLATE_TEST_CASE("Chain opens with the genesis block and its allocations", "[chain]",
                   MemoryBackend, RocksBackend) {
  TestType backend;
  INFO("store: " << TestType::kName);
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  const core::ConsensusParams params = TestParams({a, b, c}, 1000 * kCoin);
  ChainHarness h(backend.store.get(), params);

  const Block genesis = core::MakeGenesisBlock(params);
  const core::ChainTip tip = h.Tip();
  CHECK(tip.header.height == 0);
  CHECK(tip.hash == core::ComputeBlockHash(genesis.header));
  CHECK(tip.supply == 3000 * kCoin);
  CHECK(tip.tx_total == 0);
  CHECK(tip.provenance_root == core::Hash32{});

  auto block0 = h.chain().GetBlock(0, absl::ZeroDuration());
  REQUIRE(block0.ok());
  CHECK(*block0 == genesis);
  auto by_hash = h.chain().GetBlockByHash(tip.hash);
  REQUIRE(by_hash.ok());
  CHECK(*by_hash == genesis);

  for (const auto& key : {a, b, c}) {
    auto info = h.chain().GetAccount(key.public_key);
    REQUIRE(info.ok());
    CHECK(info->account == core::Account{1000 * kCoin, 0});
    CHECK(info->height == 0);
  }
  CHECK(h.Account(TestKey(4).public_key) == core::Account{});
  CHECK(SumBalances(h.store()) == tip.supply);

  DSC_CHECK_STATUS(h.chain().GetBlock(1, absl::ZeroDuration()), absl::StatusCode::kNotFound,
                   "no block at height 1");
  DSC_CHECK_STATUS(h.chain().GetBlockByHash(RandomHash()), absl::StatusCode::kNotFound,
                   "no block with hash");
  DSC_CHECK_STATUS(h.chain().GetTransaction(RandomHash()), absl::StatusCode::kNotFound,
                   "is not in the chain");
}

TEST_CASE("Chain refuses unusable options", "[chain]") {
  testing::InitTesting();
  auto store = storage::NewMemoryStore();
  ChainOptions options;
  options.params = TestParams({TestKey(1)}, kCoin);
  DSC_CHECK_STATUS(Chain::Open(store.get(), options), absl::StatusCode::kInvalidArgument,
                   "metronome key source");
  options.metronome_key_source = [] { return absl::StatusOr<core::PublicKey>(TestKey(9).public_key); };
  options.params.genesis.push_back(options.params.genesis[0]);
  DSC_CHECK_STATUS(Chain::Open(store.get(), options), absl::StatusCode::kInvalidArgument,
                   "more than once");
  options.params = TestParams({TestKey(1)}, kCoin);
  options.params.initial_difficulty = 0;
  DSC_CHECK_STATUS(Chain::Open(store.get(), options), absl::StatusCode::kInvalidArgument,
                   "initial_difficulty");
}

TEST_CASE("Chain cannot append before it knows the metronome's key", "[chain]") {
  testing::InitTesting();
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), v = TestKey(100), m = TestKey(9000);
  ChainOptions options;
  options.params = TestParams({a}, kCoin);
  bool reachable = false;
  options.metronome_key_source = [&]() -> absl::StatusOr<core::PublicKey> {
    if (!reachable) return absl::UnavailableError("metronome 10.0.0.1:50051 is unreachable");
    return m.public_key;
  };
  auto chain = Chain::Open(store.get(), options);
  REQUIRE(chain.ok());
  auto tip = (*chain)->GetTip();
  REQUIRE(tip.ok());
  const core::Block block = testing::MakeValidatorBlock(
      testing::RoundAfter(*tip, options.params.initial_difficulty), v,
      testing::TestFingerprint(100), {}, &m);
  DSC_CHECK_STATUS((*chain)->AppendBlock(block), absl::StatusCode::kUnavailable,
                   "cannot learn the metronome's key: metronome 10.0.0.1:50051 is unreachable");
  CHECK((*chain)->GetTip()->header.height == 0);
  reachable = true;
  DSC_CHECK_OK((*chain)->AppendBlock(block));
  CHECK((*chain)->GetTip()->header.height == 1);
}

TEMPLATE_TEST_CASE("Chain appends validator and metronome blocks and indexes them", "[chain]",
                   MemoryBackend, RocksBackend) {
  TestType backend;
  INFO("store: " << TestType::kName);
  const auto a = TestKey(1), b = TestKey(2), c = TestKey(3);
  const auto v = TestKey(100);
  const auto fp = testing::TestFingerprint(100);
  ChainHarness h(backend.store.get(), TestParams({a, b, c}, 1000 * kCoin));
  const uint64_t reward = h.params().block_reward;
  const int64_t now = util::NowMillis();

  const Transaction t1 = core::MakeTransaction(a, b.public_key, 10 * kCoin, 1 * kCoin, 0, now);
  const Transaction t2 = core::MakeTransaction(a, c.public_key, 5 * kCoin, 0, 1, now);
  const Transaction t3 = core::MakeTransaction(b, c.public_key, 1 * kCoin, 2 * kCoin, 0, now);
  const Block b1 = h.ValidatorBlock(v, fp, {t1, t2, t3});
  DSC_REQUIRE_OK(h.chain().AppendBlock(b1));

  core::ChainTip tip = h.Tip();
  CHECK(tip.header == b1.header);
  CHECK(tip.hash == core::ComputeBlockHash(b1.header));
  CHECK(tip.supply == 3000 * kCoin + reward);
  CHECK(tip.tx_total == 3);
  {
    // The root after block 1: the cumulative trie of its three ids, by the core trie.
    core::MemoryTrieNodeStore nodes;
    std::vector<core::TrieNewNode> created;
    auto root = core::Trie(&nodes).Insert(
        core::Hash32{},
        {{core::ComputeTxId(t1), core::TxProvenanceValue(1, 0)},
         {core::ComputeTxId(t2), core::TxProvenanceValue(1, 1)},
         {core::ComputeTxId(t3), core::TxProvenanceValue(1, 2)}},
        &created);
    REQUIRE(root.ok());
    CHECK(tip.provenance_root == *root);
  }

  CHECK(h.Account(a.public_key) == core::Account{1000 * kCoin - 16 * kCoin, 2});
  CHECK(h.Account(b.public_key) == core::Account{1000 * kCoin + 10 * kCoin - 3 * kCoin, 1});
  CHECK(h.Account(c.public_key) == core::Account{1000 * kCoin + 6 * kCoin, 0});
  CHECK(h.Account(v.public_key) == core::Account{reward + 3 * kCoin, 0});
  CHECK(SumBalances(h.store()) == tip.supply);

  auto got = h.chain().GetBlock(1, absl::ZeroDuration());
  REQUIRE(got.ok());
  CHECK(*got == b1);
  auto got_by_hash = h.chain().GetBlockByHash(tip.hash);
  REQUIRE(got_by_hash.ok());
  CHECK(*got_by_hash == b1);

  auto rec = h.chain().GetTransaction(core::ComputeTxId(t2));
  REQUIRE(rec.ok());
  CHECK(rec->tx == t2);
  CHECK(rec->height == 1);
  CHECK(rec->index == 1);

  const std::vector<core::TxId> ids = {core::ComputeTxId(t1), RandomHash(), core::ComputeTxId(t3)};
  auto found = h.chain().FindTransactions(ids);
  REQUIRE(found.ok());
  REQUIRE(found->size() == 3);
  CHECK((*found)[0] == std::optional<uint64_t>(1));
  CHECK((*found)[1] == std::nullopt);
  CHECK((*found)[2] == std::optional<uint64_t>(1));

  // A metronome block: no reward, the fee goes to the metronome key.
  const Transaction t4 =
      core::MakeTransaction(c, a.public_key, 2 * kCoin, 1 * kCoin, 0, util::NowMillis());
  const Block b2 = h.MetronomeBlock({t4});
  DSC_REQUIRE_OK(h.chain().AppendBlock(b2));
  tip = h.Tip();
  CHECK(tip.header.height == 2);
  CHECK(tip.header.producer == h.metronome().public_key);
  CHECK(tip.header.reward == 0);
  CHECK(tip.supply == 3000 * kCoin + reward);
  CHECK(tip.tx_total == 4);
  CHECK(h.Account(h.metronome().public_key) == core::Account{1 * kCoin, 0});
  CHECK(SumBalances(h.store()) == tip.supply);

  // Address index: sent or received, newest first, at most `limit`.
  auto ids_of = [](const std::vector<core::TxRecord>& records) {
    std::vector<core::TxId> out;
    for (const auto& r : records) out.push_back(core::ComputeTxId(r.tx));
    return out;
  };
  const auto id1 = core::ComputeTxId(t1), id2 = core::ComputeTxId(t2);
  const auto id3 = core::ComputeTxId(t3), id4 = core::ComputeTxId(t4);
  auto a_txs = h.chain().GetAddressTransactions(a.public_key, 10);
  REQUIRE(a_txs.ok());
  CHECK(ids_of(*a_txs) == std::vector<core::TxId>{id4, id2, id1});
  CHECK((*a_txs)[0].height == 2);
  CHECK((*a_txs)[1].index == 1);
  auto a_two = h.chain().GetAddressTransactions(a.public_key, 2);
  REQUIRE(a_two.ok());
  CHECK(ids_of(*a_two) == std::vector<core::TxId>{id4, id2});
  auto c_txs = h.chain().GetAddressTransactions(c.public_key, 100);
  REQUIRE(c_txs.ok());
  CHECK(ids_of(*c_txs) == std::vector<core::TxId>{id4, id3, id2});
  auto c_one = h.chain().GetAddressTransactions(c.public_key, 1);
  REQUIRE(c_one.ok());
  CHECK(ids_of(*c_one) == std::vector<core::TxId>{id4});
  auto c_none = h.chain().GetAddressTransactions(c.public_key, 0);
  REQUIRE(c_none.ok());
  CHECK(c_none->empty());
  auto unknown = h.chain().GetAddressTransactions(TestKey(77).public_key, 10);
  REQUIRE(unknown.ok());
  CHECK(unknown->empty());
}

TEMPLATE_TEST_CASE("Chain refuses bad blocks and changes nothing", "[chain]", MemoryBackend,
                   RocksBackend) {
  TestType backend;
  INFO("store: " << TestType::kName);
  const auto a = TestKey(1), b = TestKey(2);
  const auto v = TestKey(100);
  const auto fp = testing::TestFingerprint(100);
  ChainHarness h(backend.store.get(), TestParams({a, b}, 100 * kCoin, 4, /*max_block_txs=*/4));
  const crypto::KeyPair& m = h.metronome();

  // One confirmed transaction (nonce 0 of a), so replays have something to replay.
  const Transaction confirmed =
      core::MakeTransaction(a, b.public_key, 1 * kCoin, 0, 0, util::NowMillis());
  DSC_REQUIRE_OK(h.chain().AppendBlock(h.ValidatorBlock(v, fp, {confirmed})));

  const core::ChainTip tip = h.Tip();
  const testing::StoreDump before = testing::DumpChainColumns(h.store());
  const auto a_before = h.Account(a.public_key), b_before = h.Account(b.public_key);
  auto good_tx = [&](uint64_t nonce, uint64_t amount = 1 * kCoin) {
    return core::MakeTransaction(a, b.public_key, amount, 0, nonce, util::NowMillis());
  };

  auto expect_refused = [&](const std::string& name, const Block& block, absl::StatusCode code,
                            const std::string& part) {
    INFO("case: " << name);
    DSC_CHECK_STATUS(h.chain().AppendBlock(block), code, part);
    CHECK(testing::SameTip(h.Tip(), tip));
    CHECK(testing::DumpChainColumns(h.store()) == before);
    CHECK(h.Account(a.public_key) == a_before);
    CHECK(h.Account(b.public_key) == b_before);
    CHECK(absl::IsNotFound(h.chain().GetBlock(tip.header.height + 1, absl::ZeroDuration()).status()));
    CHECK(absl::IsNotFound(h.chain().GetBlockByHash(core::ComputeBlockHash(block.header)).status()));
    for (const auto& tx : block.txs) {
      if (tx == confirmed) continue;
      CHECK(absl::IsNotFound(h.chain().GetTransaction(core::ComputeTxId(tx)).status()));
    }
  };

  {
    core::Round round = h.NextRound();
    round.prev_hash = RandomHash();
    expect_refused("wrong parent", testing::MakeValidatorBlock(round, v, fp, {good_tx(1)}, &m),
                   absl::StatusCode::kFailedPrecondition, "does not extend the tip");
  }
  {
    core::Round round = h.NextRound();
    round.height += 1;
    expect_refused("wrong height", testing::MakeValidatorBlock(round, v, fp, {good_tx(1)}, &m),
                   absl::StatusCode::kFailedPrecondition, "does not follow the tip at height 1");
    round.height = tip.header.height;
    expect_refused("same height again",
                   testing::MakeValidatorBlock(round, v, fp, {good_tx(1)}, &m),
                   absl::StatusCode::kFailedPrecondition, "does not follow the tip");
  }
  {
    core::Round round = h.NextRound(16);
    Block block = testing::MakeValidatorBlock(h.NextRound(1), v, fp, {good_tx(1)}, &m);
    block.header.difficulty = 16;
    block.header.proof_nonce =
        testing::FailingNonce(fp, v.public_key, round.prev_hash, round.difficulty);
    testing::Reseal(&block, v, &m);
    expect_refused("bad proof", block, absl::StatusCode::kInvalidArgument, "invalid proof");
  }
  {
    Block block = h.ValidatorBlock(v, fp, {good_tx(1)});
    block.header.fingerprint[0] ^= 0xff;  // the record no longer matches
    block.header.difficulty = 16;
    testing::Reseal(&block, v, &m);
    if (!core::CheckHeaderProof(block.header)) {
      expect_refused("proof for another fingerprint", block, absl::StatusCode::kInvalidArgument,
                     "invalid proof");
    }
  }
  {
    Block block = h.ValidatorBlock(v, fp, {good_tx(1)});
    block.header.producer_signature[10] ^= 0x01;
    expect_refused("bad producer signature", block, absl::StatusCode::kInvalidArgument,
                   "bad block signature");
    Block other = h.ValidatorBlock(v, fp, {good_tx(1)});
    core::SignAsProducer(&other.header, TestKey(101));
    core::SignAsMetronome(&other.header, m);
    expect_refused("signed by another key than the producer", other,
                   absl::StatusCode::kInvalidArgument, "bad block signature");
  }
  {
    const auto impostor = TestKey(9001);
    Block block = testing::MakeValidatorBlock(h.NextRound(), v, fp, {good_tx(1)}, &impostor);
    expect_refused("bad metronome signature", block, absl::StatusCode::kInvalidArgument,
                   "bad metronome signature");
    Block unsigned_block = testing::MakeValidatorBlock(h.NextRound(), v, fp, {good_tx(1)}, nullptr);
    expect_refused("no metronome signature", unsigned_block, absl::StatusCode::kInvalidArgument,
                   "bad metronome signature");
  }
  {
    core::Round round = h.NextRound();
    round.provenance_root = RandomHash();
    expect_refused("wrong provenance root",
                   testing::MakeValidatorBlock(round, v, fp, {good_tx(1)}, &m),
                   absl::StatusCode::kInvalidArgument, "provenance root");
  }
  {
    Block block = h.ValidatorBlock(v, fp, {good_tx(1), good_tx(2)});
    block.header.tx_root = RandomHash();
    testing::Reseal(&block, v, &m, /*fix_body=*/false);
    expect_refused("wrong tx_root", block, absl::StatusCode::kInvalidArgument,
                   "transaction root does not match");
    Block swapped = h.ValidatorBlock(v, fp, {good_tx(1), good_tx(2)});
    std::swap(swapped.txs[0], swapped.txs[1]);
    expect_refused("transactions reordered under the root", swapped,
                   absl::StatusCode::kInvalidArgument, "transaction root does not match");
    Block count = h.ValidatorBlock(v, fp, {good_tx(1)});
    count.header.tx_count = 2;
    testing::Reseal(&count, v, &m, /*fix_body=*/false);
    expect_refused("wrong tx_count", count, absl::StatusCode::kInvalidArgument, "header says 2");
  }
  {
    Transaction tampered = good_tx(2);
    tampered.amount += 1;
    Block block = h.ValidatorBlock(v, fp, {good_tx(1), tampered});
    expect_refused("a transaction with a bad signature", block, absl::StatusCode::kInvalidArgument,
                   "transaction 1 of block 2: bad signature");
    Transaction wrong_key = good_tx(1);
    wrong_key.signature = crypto::Sign(b, core::EncodeTxSigningBytes(wrong_key));
    expect_refused("a transaction signed by another key",
                   h.ValidatorBlock(v, fp, {wrong_key}), absl::StatusCode::kInvalidArgument,
                   "bad signature");
    const Transaction zero = core::MakeTransaction(a, b.public_key, 0, 0, 1, util::NowMillis());
    expect_refused("a zero-amount transaction", h.ValidatorBlock(v, fp, {zero}),
                   absl::StatusCode::kInvalidArgument, "greater than zero");
  }
  {
    expect_refused("overspend", h.ValidatorBlock(v, fp, {good_tx(1, 200 * kCoin)}),
                   absl::StatusCode::kFailedPrecondition, "insufficient balance");
    // Each transaction alone is affordable; together they are not.
    expect_refused("overspend across the block",
                   h.ValidatorBlock(v, fp, {good_tx(1, 60 * kCoin), good_tx(2, 60 * kCoin)}),
                   absl::StatusCode::kFailedPrecondition, "insufficient balance");
  }
  {
    expect_refused("nonce replay of a confirmed transaction",
                   h.ValidatorBlock(v, fp, {confirmed}), absl::StatusCode::kFailedPrecondition,
                   "stale nonce");
    const Transaction t1 = good_tx(1);
    expect_refused("the same transaction twice", h.ValidatorBlock(v, fp, {t1, t1}),
                   absl::StatusCode::kFailedPrecondition, "stale nonce");
    expect_refused("nonce gap", h.ValidatorBlock(v, fp, {good_tx(3)}),
                   absl::StatusCode::kFailedPrecondition, "expected 1");
  }
  {
    expect_refused("too many transactions",
                   h.ValidatorBlock(v, fp, {good_tx(1), good_tx(2), good_tx(3), good_tx(4),
                                            good_tx(5)}),
                   absl::StatusCode::kInvalidArgument, "more than the limit of 4");
  }
  {
    Block block = h.MetronomeBlock({good_tx(1)});
    block.header.reward = 5;
    testing::Reseal(&block, m, &m);
    expect_refused("metronome block with a reward", block, absl::StatusCode::kInvalidArgument,
                   "mints no reward");
    Block rich = testing::MakeValidatorBlock(h.NextRound(), v, fp, {good_tx(1)}, &m,
                                             h.params().block_reward * 2);
    expect_refused("validator block with a larger reward", rich,
                   absl::StatusCode::kInvalidArgument, "block reward");
  }
  {
    Block early = h.ValidatorBlock(v, fp, {good_tx(1)});
    early.header.timestamp_ms = tip.header.timestamp_ms - 1;
    testing::Reseal(&early, v, &m);
    expect_refused("timestamp before the parent", early, absl::StatusCode::kInvalidArgument,
                   "earlier than its parent");
    Block late = h.ValidatorBlock(v, fp, {good_tx(1)});
    late.header.timestamp_ms = util::NowMillis() + 3'600'000;
    testing::Reseal(&late, v, &m);
    expect_refused("timestamp in the future", late, absl::StatusCode::kInvalidArgument,
                   "too far in the future");
    Block version = h.ValidatorBlock(v, fp, {good_tx(1)});
    version.header.version = 2;
    testing::Reseal(&version, v, &m);
    expect_refused("unknown version", version, absl::StatusCode::kInvalidArgument,
                   "unsupported block version 2");
    Block hard = h.ValidatorBlock(v, fp, {good_tx(1)});
    hard.header.difficulty = 200;
    testing::Reseal(&hard, v, &m);
    expect_refused("difficulty out of range", hard, absl::StatusCode::kInvalidArgument,
                   "is outside");
  }

  // After all of that, a good block still lands.
  const Block good = h.ValidatorBlock(v, fp, {good_tx(1), good_tx(2)});
  DSC_REQUIRE_OK(h.chain().AppendBlock(good));
  CHECK(h.Tip().header.height == tip.header.height + 1);
  CHECK(h.Account(a.public_key).nonce == 3);
}

TEMPLATE_TEST_CASE("Chain proves provenance against the tip and older anchors", "[chain]",
                   MemoryBackend, RocksBackend) {
  TestType backend;
  INFO("store: " << TestType::kName);
  const auto a = TestKey(1), b = TestKey(2);
  const auto v = TestKey(100);
  const auto fp = testing::TestFingerprint(100);
  ChainHarness h(backend.store.get(), TestParams({a, b}, 1000 * kCoin));
  // Blocks 1..4 with 3, 0, 2, 1 transactions.
  std::vector<std::vector<core::TxId>> ids(5);
  uint64_t nonce = 0;
  for (uint64_t height = 1; height <= 4; ++height) {
    const int n = std::vector<int>{0, 3, 0, 2, 1}[height];
    std::vector<Transaction> txs;
    for (int i = 0; i < n; ++i) {
      txs.push_back(core::MakeTransaction(a, b.public_key, kCoin, 0, nonce++, util::NowMillis()));
      ids[height].push_back(core::ComputeTxId(txs.back()));
    }
    const Block block = height % 2 ? h.ValidatorBlock(v, fp, txs) : h.MetronomeBlock(txs);
    DSC_REQUIRE_OK(h.chain().AppendBlock(block));
  }
  const core::ChainTip tip = h.Tip();
  REQUIRE(tip.header.height == 4);

  // Default anchor: the tip, whose root covers blocks 1..3.
  for (uint64_t height = 1; height <= 3; ++height) {
    for (uint32_t i = 0; i < ids[height].size(); ++i) {
      auto p = h.chain().GetProof(ids[height][i], std::nullopt);
      INFO(p.status().ToString());
      REQUIRE(p.ok());
      CHECK(p->anchor == tip.header);
      CheckProof(*p, ids[height][i], true, height, i);
    }
  }
  // A transaction of the tip block itself: its root is carried by the next block.
  DSC_CHECK_STATUS(h.chain().GetProof(ids[4][0], std::nullopt), absl::StatusCode::kUnavailable,
                   "retry after the next block");
  // ... but an explicit anchor at the tip proves it was not there yet.
  auto at_tip = h.chain().GetProof(ids[4][0], 4);
  REQUIRE(at_tip.ok());
  CheckProof(*at_tip, ids[4][0], false);
  // Older anchors: header k covers blocks < k.
  for (uint64_t anchor = 0; anchor <= 4; ++anchor) {
    for (uint64_t height = 1; height <= 3; ++height) {
      for (uint32_t i = 0; i < ids[height].size(); ++i) {
        auto p = h.chain().GetProof(ids[height][i], anchor);
        REQUIRE(p.ok());
        CHECK(p->anchor.height == anchor);
        CheckProof(*p, ids[height][i], height < anchor, height, i);
      }
    }
  }
  // Never-confirmed ids: verified non-inclusion.
  for (int i = 0; i < 10; ++i) {
    const core::TxId id = RandomHash();
    auto p = h.chain().GetProof(id, std::nullopt);
    REQUIRE(p.ok());
    CheckProof(*p, id, false);
  }
  DSC_CHECK_STATUS(h.chain().GetProof(ids[1][0], 5), absl::StatusCode::kNotFound,
                   "no block at height 5");

  // After a reopen (empty node cache) every proof is still served from the store.
  h.Reopen();
  auto p = h.chain().GetProof(ids[3][1], std::nullopt);
  REQUIRE(p.ok());
  CheckProof(*p, ids[3][1], true, 3, 1);
  auto old = h.chain().GetProof(ids[1][2], 2);
  REQUIRE(old.ok());
  CheckProof(*old, ids[1][2], true, 1, 2);
}

TEST_CASE("Chain refuses a data dir of the previous schema version", "[chain]") {
  auto store = storage::NewMemoryStore();
  {
    ChainHarness h(store.get(), TestParams({TestKey(1)}, kCoin));
  }
  storage::WriteBatch batch;
  batch.Put(storage::Column::kMeta, "schema", core::EncodeU64Key(1));
  DSC_REQUIRE_OK(store->Write(batch, true));
  ChainOptions options;
  options.params = TestParams({TestKey(1)}, kCoin);
  options.metronome_key_source = [] {
    return absl::StatusOr<core::PublicKey>(TestKey(9000).public_key);
  };
  DSC_CHECK_STATUS(Chain::Open(store.get(), options), absl::StatusCode::kFailedPrecondition,
                   "schema version 1 but this dscd needs version 2");
}

TEST_CASE("Chain supply equals genesis plus rewards and the sum of all balances", "[chain]") {
  const uint64_t seed = testing::TestSeed(20241122);
  INFO("seed " << seed << " (set DSC_TEST_SEED to replay)");
  std::mt19937_64 rng(seed);
  auto store = storage::NewMemoryStore();
  std::vector<crypto::KeyPair> users;
  for (uint32_t i = 0; i < 8; ++i) users.push_back(TestKey(10 + i));
  ChainHarness h(store.get(), TestParams(users, 1000 * kCoin));
  const std::vector<crypto::KeyPair> validators = {TestKey(200), TestKey(201)};
  const uint64_t genesis_supply = 8 * 1000 * kCoin;

  std::map<core::Address, core::Account> model = testing::ScanAccounts(h.store());
  uint64_t rewards = 0;
  uint64_t tx_total = 0;
  for (int height = 1; height <= 60; ++height) {
    INFO("block " << height);
    std::vector<Transaction> txs;
    std::map<core::Address, core::Account> next = model;
    const int n = static_cast<int>(rng() % 11);
    uint64_t fees = 0;
    for (int i = 0; i < n; ++i) {
      const auto& from = users[rng() % users.size()];
      const auto& to = rng() % 5 == 0 ? validators[rng() % 2] : users[rng() % users.size()];
      if (from.public_key == to.public_key) continue;
      core::Account& sender = next[from.public_key];
      if (sender.balance < 2) continue;
      const uint64_t amount = 1 + rng() % (sender.balance / 2);
      const uint64_t fee = rng() % 3 == 0 ? 0 : rng() % std::min<uint64_t>(kCoin, sender.balance - amount + 1);
      if (amount + fee > sender.balance) continue;
      txs.push_back(core::MakeTransaction(from, to.public_key, amount, fee, sender.nonce,
                                          util::NowMillis()));
      sender.balance -= amount + fee;
      sender.nonce += 1;
      next[to.public_key].balance += amount;
      fees += fee;
    }
    const bool by_validator = rng() % 3 != 0;
    Block block;
    if (by_validator) {
      const uint32_t which = static_cast<uint32_t>(rng() % 2);
      block = h.ValidatorBlock(validators[which], testing::TestFingerprint(200 + which), txs);
      next[validators[which].public_key].balance += fees + h.params().block_reward;
      rewards += h.params().block_reward;
    } else {
      block = h.MetronomeBlock(txs);
      if (fees > 0) next[h.metronome().public_key].balance += fees;
    }
    DSC_REQUIRE_OK(h.chain().AppendBlock(block));
    model = std::move(next);
    tx_total += txs.size();

    const core::ChainTip tip = h.Tip();
    REQUIRE(tip.header.height == static_cast<uint64_t>(height));
    REQUIRE(tip.supply == genesis_supply + rewards);
    REQUIRE(tip.tx_total == tx_total);
    const auto stored = testing::ScanAccounts(h.store());
    uint64_t sum = 0;
    for (const auto& [address, account] : stored) sum += account.balance;
    REQUIRE(sum == tip.supply);
    REQUIRE(tip.accounts == stored.size());
    // The balance cache equals the model, entry for entry (zero accounts aside).
    for (const auto& [address, account] : model) {
      const auto it = stored.find(address);
      const core::Account got = it == stored.end() ? core::Account{} : it->second;
      INFO("address " << testing::B58(address));
      REQUIRE(got == account);
    }
  }
  CHECK(rewards > 0);
}

TEST_CASE("Chain on RocksDB survives a restart; another genesis is refused", "[chain]") {
  testing::InitTesting();
  testing::TempDir dir("dsc_chain_restart");
  const auto a = TestKey(1), b = TestKey(2), v = TestKey(100);
  const auto fp = testing::TestFingerprint(100);
  const core::ConsensusParams params = TestParams({a, b}, 500 * kCoin);
  auto open_store = [&] { return testing::OpenRocks(dir.Sub("db")); };

  core::ChainTip tip_before;
  std::map<core::Address, core::Account> accounts_before;
  Block last;
  std::vector<Transaction> sent;
  {
    auto store = open_store();
    ChainHarness h(store.get(), params);
    for (uint64_t i = 0; i < 3; ++i) {
      sent.push_back(core::MakeTransaction(a, b.public_key, (i + 1) * kCoin, 1000, i,
                                           util::NowMillis()));
      last = i % 2 == 0 ? h.ValidatorBlock(v, fp, {sent.back()}) : h.MetronomeBlock({sent.back()});
      DSC_REQUIRE_OK(h.chain().AppendBlock(last));
    }
    tip_before = h.Tip();
    accounts_before = testing::ScanAccounts(h.store());
    // The tip block is served from memory, older ones from the store: the same blocks.
    auto tip_block = h.chain().GetBlock(3, absl::ZeroDuration());
    REQUIRE(tip_block.ok());
    CHECK(*tip_block == last);
    auto stored = h.store().Get(storage::Column::kBlocks, core::EncodeU64Key(3));
    REQUIRE(stored.ok());
    CHECK(*stored == core::EncodeBlock(*tip_block));
    auto block2 = h.chain().GetBlock(2, absl::ZeroDuration());
    REQUIRE(block2.ok());
    CHECK(block2->header.height == 2);
    CHECK(core::ComputeBlockHash(block2->header) == last.header.prev_hash);
  }

  {
    auto store = open_store();
    // The metronome key is read back from the store: a failing source is never asked.
    ChainOptions options;
    options.params = params;
    options.metronome_key_source = []() -> absl::StatusOr<core::PublicKey> {
      return absl::UnavailableError("must not be asked");
    };
    auto chain = Chain::Open(store.get(), options);
    INFO(chain.status().ToString());
    REQUIRE(chain.ok());
    auto tip = (*chain)->GetTip();
    REQUIRE(tip.ok());
    CHECK(testing::SameTip(*tip, tip_before));
    CHECK(tip->supply == 1000 * kCoin + 2 * params.block_reward);
    CHECK(testing::ScanAccounts(*store) == accounts_before);
    auto block3 = (*chain)->GetBlock(3, absl::ZeroDuration());
    REQUIRE(block3.ok());
    CHECK(*block3 == last);
    for (const auto& tx : sent) {
      auto rec = (*chain)->GetTransaction(core::ComputeTxId(tx));
      REQUIRE(rec.ok());
      CHECK(rec->tx == tx);
    }
    auto a_txs = (*chain)->GetAddressTransactions(a.public_key, 10);
    REQUIRE(a_txs.ok());
    CHECK(a_txs->size() == 3);
    // Proofs of provenance after the restart: the trie nodes came back from RocksDB.
    for (uint64_t i = 0; i + 1 < sent.size(); ++i) {
      auto p = (*chain)->GetProof(core::ComputeTxId(sent[i]), std::nullopt);
      INFO(p.status().ToString());
      REQUIRE(p.ok());
      CheckProof(*p, core::ComputeTxId(sent[i]), true, i + 1, 0);
    }
    // And it keeps going.
    core::Round round = testing::RoundAfter(*tip, params.initial_difficulty);
    const crypto::KeyPair m = TestKey(9000);
    DSC_CHECK_OK((*chain)->AppendBlock(testing::MakeValidatorBlock(round, v, fp, {}, &m)));
    tip_before = *(*chain)->GetTip();
  }

  {
    auto store = open_store();
    core::ConsensusParams other = TestParams({a, b, TestKey(3)}, 500 * kCoin);
    ChainOptions options;
    options.params = other;
    options.metronome_key_source = [] {
      return absl::StatusOr<core::PublicKey>(TestKey(9000).public_key);
    };
    DSC_CHECK_STATUS(Chain::Open(store.get(), options), absl::StatusCode::kFailedPrecondition,
                     "configured genesis");
    options.params = params;
    options.params.initial_difficulty = params.initial_difficulty + 1;
    DSC_CHECK_STATUS(Chain::Open(store.get(), options), absl::StatusCode::kFailedPrecondition,
                     "genesis");
    // The refused opens changed nothing.
    options.params = params;
    auto chain = Chain::Open(store.get(), options);
    REQUIRE(chain.ok());
    CHECK(testing::SameTip(*(*chain)->GetTip(), tip_before));
  }
}

TEST_CASE("Chain: a failed block write leaves the chain unchanged", "[chain]") {
  testing::InitTesting();
  storage::FaultyStore faulty(storage::NewMemoryStore());
  const auto a = TestKey(1), b = TestKey(2), v = TestKey(100);
  const auto fp = testing::TestFingerprint(100);
  ChainHarness h(&faulty, TestParams({a, b}, 100 * kCoin));

  // The very first append also records the metronome key: its write fails too.
  const Transaction t0 = core::MakeTransaction(a, b.public_key, kCoin, 0, 0, util::NowMillis());
  const Block b1 = h.ValidatorBlock(v, fp, {t0});
  faulty.FailNthWrite(1);
  DSC_CHECK_STATUS(h.chain().AppendBlock(b1), absl::StatusCode::kUnavailable,
                   "injected write fault");
  CHECK(h.Tip().header.height == 0);
  DSC_REQUIRE_OK(h.chain().AppendBlock(b1));

  const core::ChainTip tip = h.Tip();
  const testing::StoreDump before = testing::DumpChainColumns(h.store());
  const Transaction t1 = core::MakeTransaction(a, b.public_key, kCoin, 0, 1, util::NowMillis());
  const Block b2 = h.ValidatorBlock(v, fp, {t1});
  faulty.FailNthWrite(1);
  DSC_CHECK_STATUS(h.chain().AppendBlock(b2), absl::StatusCode::kUnavailable,
                   "block 2 not stored");
  CHECK(faulty.injected_write_faults() == 2);
  CHECK(testing::SameTip(h.Tip(), tip));
  CHECK(testing::DumpChainColumns(h.store()) == before);
  CHECK(absl::IsNotFound(h.chain().GetBlock(2, absl::ZeroDuration()).status()));
  CHECK(absl::IsNotFound(h.chain().GetTransaction(core::ComputeTxId(t1)).status()));
  CHECK(h.Account(a.public_key) == core::Account{99 * kCoin, 1});

  // Reads failing: errors, not crashes, and nothing changes.
  faulty.SetFailReads(true);
  CHECK(absl::IsUnavailable(h.chain().GetAccount(a.public_key).status()));
  CHECK_FALSE(h.chain().AppendBlock(b2).ok());
  faulty.SetFailReads(false);
  CHECK(testing::DumpChainColumns(h.store()) == before);

  // The fault was one-shot: the same block now lands.
  DSC_REQUIRE_OK(h.chain().AppendBlock(b2));
  CHECK(h.Tip().header.height == 2);
  CHECK(h.Account(a.public_key) == core::Account{98 * kCoin, 2});
  CHECK(SumBalances(h.store()) == h.Tip().supply);

  // A reopened chain agrees.
  h.Reopen();
  CHECK(h.Tip().header.height == 2);
}

TEST_CASE("Chain GetBlock waits for a block appended by another thread", "[chain]") {
  testing::InitTesting();
  auto store = storage::NewMemoryStore();
  const auto a = TestKey(1), b = TestKey(2), v = TestKey(100);
  ChainHarness h(store.get(), TestParams({a, b}, 100 * kCoin));
  const Block b1 = h.ValidatorBlock(v, testing::TestFingerprint(100), {});

  std::thread appender([&] {
    absl::SleepFor(absl::Milliseconds(100));
    CHECK(h.chain().AppendBlock(b1).ok());
  });
  const absl::Time start = absl::Now();
  auto got = h.chain().GetBlock(1, absl::Seconds(10));
  const absl::Duration waited = absl::Now() - start;
  appender.join();
  REQUIRE(got.ok());
  CHECK(*got == b1);
  CHECK(waited >= absl::Milliseconds(50));
  CHECK(waited < absl::Seconds(5));

  // Nobody appends: the wait ends with kNotFound after about `wait`.
  const absl::Time t0 = absl::Now();
  DSC_CHECK_STATUS(h.chain().GetBlock(2, absl::Milliseconds(100)), absl::StatusCode::kNotFound,
                   "no block at height 2");
  CHECK(absl::Now() - t0 >= absl::Milliseconds(90));

  // Interrupt wakes a waiter at once.
  std::thread interrupter([&] {
    absl::SleepFor(absl::Milliseconds(50));
    h.chain().Interrupt();
  });
  const absl::Time t1 = absl::Now();
  CHECK(absl::IsNotFound(h.chain().GetBlock(5, absl::Seconds(10)).status()));
  interrupter.join();
  CHECK(absl::Now() - t1 < absl::Seconds(5));
}

}  // namespace
}  // namespace dsc::chain
