#include "core/state.h"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/container/flat_hash_map.h"
#include "core/block.h"
#include "core/encoding.h"
#include "core/merkle.h"
#include "unit/core/core_test_util.h"
#include "util/base58.h"

namespace dsc::core {
namespace {

using testing::KeyFromByte;
using testing::Msg;

constexpr int64_t kT0 = 1'700'000'000'000;

// Committed accounts in a map; counts reads.
class MapReader : public AccountReader {
 public:
  absl::StatusOr<Account> GetAccount(const Address& address) override {
    ++reads;
    if (fail) return absl::UnavailableError("store is down");
    auto it = accounts.find(address);
    return it == accounts.end() ? Account{} : it->second;
  }
  // The accounts after `effects` are committed.
  void Commit(const BlockEffects& effects) {
    for (const auto& [address, account] : effects.accounts) accounts[address] = account;
  }
  // Sum of all balances, as 128 bits so that the test itself cannot overflow.
  unsigned __int128 Total() const {
    unsigned __int128 total = 0;
    for (const auto& [address, account] : accounts) total += account.balance;
    return total;
  }

  absl::flat_hash_map<Address, Account> accounts;
  int reads = 0;
  bool fail = false;
};

Block BlockOf(const PublicKey& producer, uint64_t reward, std::vector<Transaction> txs) {
  Block b;
  b.header.height = 1;
  b.header.producer = producer;
  b.header.reward = reward;
  b.header.tx_count = static_cast<uint32_t>(txs.size());
  b.header.tx_root = TxRoot(txs);
  b.txs = std::move(txs);
  return b;
}

void CheckVerdict(const absl::StatusOr<BlockEffects>& r, absl::StatusCode code,
                  const std::vector<std::string>& fragments) {
  INFO(r.status().ToString());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == code);
  for (const auto& f : fragments) CHECK_THAT(Msg(r), Catch::Contains(f));
}

struct People {
  crypto::KeyPair alice = KeyFromByte(0xa1);
  crypto::KeyPair bob = KeyFromByte(0xb0);
  crypto::KeyPair carol = KeyFromByte(0xc0);
  crypto::KeyPair producer = KeyFromByte(0x99);
};

TEST_CASE("ApplyBlock moves the amount, charges the fee and pays the producer", "[core]") {
  People p;
  MapReader reader;
  reader.accounts[p.alice.public_key] = Account{1'000, 3};
  reader.accounts[p.producer.public_key] = Account{7, 0};
  const Block block =
      BlockOf(p.producer.public_key, 500, {MakeTransaction(p.alice, p.bob.public_key, 100, 10, 3, kT0)});
  auto effects = ApplyBlock(reader, block);
  INFO(effects.status().ToString());
  REQUIRE(effects.ok());
  CHECK(effects->accounts.size() == 3);
  CHECK(effects->accounts.at(p.alice.public_key) == Account{890, 4});
  CHECK(effects->accounts.at(p.bob.public_key) == Account{100, 0});
  CHECK(effects->accounts.at(p.producer.public_key) == Account{7 + 10 + 500, 0});
  CHECK(effects->minted == 500);
  CHECK(effects->fees == 10);
  // The reader is untouched: ApplyBlock only computes effects.
  CHECK(reader.accounts.at(p.alice.public_key) == Account{1'000, 3});
}

TEST_CASE("ApplyBlock of an empty block pays only the reward", "[core]") {
  People p;
  MapReader reader;
  auto effects = ApplyBlock(reader, BlockOf(p.producer.public_key, 42, {}));
  REQUIRE(effects.ok());
  CHECK(effects->accounts.size() == 1);
  CHECK(effects->accounts.at(p.producer.public_key) == Account{42, 0});
  // A metronome block: no reward, no fees, nothing changes.
  auto none = ApplyBlock(reader, BlockOf(p.producer.public_key, 0, {}));
  REQUIRE(none.ok());
  CHECK(none->accounts.empty());
  CHECK(none->minted == 0);
}

TEST_CASE("ApplyBlock chains nonces and balances within a block", "[core]") {
  People p;
  MapReader reader;
  reader.accounts[p.alice.public_key] = Account{100, 0};
  // Bob spends coins he receives earlier in the same block; the producer pays too.
  const Block block = BlockOf(
      p.producer.public_key, 0,
      {MakeTransaction(p.alice, p.bob.public_key, 60, 5, 0, kT0),
       MakeTransaction(p.bob, p.carol.public_key, 50, 5, 0, kT0),
       MakeTransaction(p.alice, p.carol.public_key, 30, 5, 1, kT0),
       MakeTransaction(p.carol, p.alice.public_key, 80, 0, 0, kT0)});
  auto effects = ApplyBlock(reader, block);
  INFO(effects.status().ToString());
  REQUIRE(effects.ok());
  CHECK(effects->accounts.at(p.alice.public_key) == Account{100 - 65 - 35 + 80, 2});
  CHECK(effects->accounts.at(p.bob.public_key) == Account{60 - 55, 1});
  CHECK(effects->accounts.at(p.carol.public_key) == Account{50 + 30 - 80, 1});
  CHECK(effects->accounts.at(p.producer.public_key) == Account{15, 0});
  CHECK(effects->fees == 15);
}

TEST_CASE("ApplyBlock conserves coins: balances after == before + reward", "[core]") {
  const uint64_t seed = 0xC0175E7;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::vector<crypto::KeyPair> keys;
  for (int i = 0; i < 24; ++i) keys.push_back(KeyFromByte(static_cast<uint8_t>(i + 1)));
  MapReader reader;
  for (size_t i = 0; i < 16; ++i) {
    reader.accounts[keys[i].public_key] = Account{rng() % 1'000'000'000'000ull, rng() % 50};
  }
  for (int block_index = 0; block_index < 30; ++block_index) {
    CAPTURE(block_index);
    // A model of the state, to draw transactions that are valid in sequence.
    std::map<size_t, Account> model;
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = reader.accounts.find(keys[i].public_key);
      model[i] = it == reader.accounts.end() ? Account{} : it->second;
    }
    std::vector<Transaction> txs;
    const size_t n = rng() % 200;
    for (size_t k = 0; k < n; ++k) {
      const size_t from = rng() % keys.size();
      size_t to = rng() % keys.size();
      if (to == from) to = (to + 1) % keys.size();
      Account& a = model[from];
      if (a.balance < 2) continue;
      const uint64_t fee = rng() % (a.balance / 2 + 1);
      const uint64_t amount = 1 + rng() % (a.balance - fee);
      txs.push_back(MakeTransaction(keys[from], keys[to].public_key, amount, fee, a.nonce, kT0));
      a.balance -= amount + fee;
      a.nonce += 1;
      model[to].balance += amount;
    }
    const size_t producer = rng() % keys.size();
    const uint64_t reward = rng() % 3 == 0 ? 0 : 1'000'000;
    const Block block = BlockOf(keys[producer].public_key, reward, txs);
    const unsigned __int128 before = reader.Total();
    auto effects = ApplyBlock(reader, block);
    INFO(effects.status().ToString());
    REQUIRE(effects.ok());
    CHECK(effects->minted == reward);
    uint64_t fees = 0;
    for (const auto& tx : txs) fees += tx.fee;
    CHECK(effects->fees == fees);
    reader.Commit(*effects);
    CHECK(reader.Total() == before + reward);
    // Every account matches the model (plus fees and reward for the producer).
    model[producer].balance += fees + reward;
    for (size_t i = 0; i < keys.size(); ++i) {
      CAPTURE(i);
      auto it = reader.accounts.find(keys[i].public_key);
      const Account got = it == reader.accounts.end() ? Account{} : it->second;
      CHECK(got == model[i]);
    }
  }
}

TEST_CASE("ApplyBlock rejects what the state does not allow, naming the transaction",
          "[core]") {
  People p;
  MapReader reader;
  reader.accounts[p.alice.public_key] = Account{100, 0};
  const PublicKey producer = p.producer.public_key;
  const auto pre = absl::StatusCode::kFailedPrecondition;

  SECTION("insufficient balance") {
    const Transaction tx = MakeTransaction(p.alice, p.bob.public_key, 100, 1, 0, kT0);
    CheckVerdict(ApplyBlock(reader, BlockOf(producer, 0, {tx})), pre,
                 {"transaction 0", util::Base58Encode(ComputeTxId(tx)), "insufficient balance"});
  }
  SECTION("sender never seen") {
    CheckVerdict(
        ApplyBlock(reader, BlockOf(producer, 0, {MakeTransaction(p.bob, p.alice.public_key, 1, 0, 0, kT0)})),
        pre, {"transaction 0", "insufficient balance"});
  }
  SECTION("bad nonce") {
    CheckVerdict(
        ApplyBlock(reader, BlockOf(producer, 0, {MakeTransaction(p.alice, p.bob.public_key, 1, 0, 1, kT0)})),
        pre, {"transaction 0", "expected 0"});
  }
  SECTION("the same nonce twice (replay inside the block)") {
    const Transaction tx = MakeTransaction(p.alice, p.bob.public_key, 1, 0, 0, kT0);
    CheckVerdict(ApplyBlock(reader, BlockOf(producer, 0, {tx, tx})), pre,
                 {"transaction 1", "stale nonce", "replay"});
  }
  SECTION("second transaction overspends after the first") {
    CheckVerdict(ApplyBlock(reader, BlockOf(producer, 0,
                                            {MakeTransaction(p.alice, p.bob.public_key, 60, 0, 0, kT0),
                                             MakeTransaction(p.alice, p.carol.public_key, 40, 1, 1, kT0)})),
                 pre, {"transaction 1", "insufficient balance"});
  }
  SECTION("the producer's fees cannot be spent in the same block") {
    // The producer is credited after all transactions.
    CheckVerdict(ApplyBlock(reader, BlockOf(producer, 0,
                                            {MakeTransaction(p.alice, p.bob.public_key, 50, 50, 0, kT0),
                                             MakeTransaction(p.producer, p.bob.public_key, 1, 0, 0, kT0)})),
                 pre, {"transaction 1", "insufficient balance"});
  }
  SECTION("recipient balance overflow") {
    reader.accounts[p.bob.public_key] = Account{UINT64_MAX - 5, 0};
    CHECK(ApplyBlock(reader, BlockOf(producer, 0, {MakeTransaction(p.alice, p.bob.public_key, 5, 0, 0, kT0)})).ok());
    CheckVerdict(
        ApplyBlock(reader, BlockOf(producer, 0,
                                   {MakeTransaction(p.alice, p.carol.public_key, 1, 0, 0, kT0),
                                    MakeTransaction(p.alice, p.bob.public_key, 6, 0, 1, kT0)})),
        absl::StatusCode::kInvalidArgument, {"transaction 1", "overflows"});
  }
  SECTION("producer balance overflow") {
    reader.accounts[producer] = Account{UINT64_MAX - 10, 0};
    CHECK(ApplyBlock(reader, BlockOf(producer, 10, {})).ok());
    CheckVerdict(ApplyBlock(reader, BlockOf(producer, 11, {})),
                 absl::StatusCode::kInvalidArgument, {"reward", "overflows"});
    CheckVerdict(ApplyBlock(reader, BlockOf(producer, 10,
                                            {MakeTransaction(p.alice, p.bob.public_key, 1, 1, 0, kT0)})),
                 absl::StatusCode::kInvalidArgument, {"overflows"});
    CheckVerdict(ApplyBlock(reader, BlockOf(producer, UINT64_MAX,
                                            {MakeTransaction(p.alice, p.bob.public_key, 1, 1, 0, kT0)})),
                 absl::StatusCode::kInvalidArgument, {"overflows"});
  }
  SECTION("amount plus fee overflowing 64 bits mints nothing") {
    // Not signed-checked here (CheckTxsStateless does that), but the arithmetic must
    // still refuse it rather than wrap around to a cost of zero.
    reader.accounts[p.alice.public_key] = Account{0, 0};
    Transaction tx;
    tx.sender = p.alice.public_key;
    tx.recipient = p.bob.public_key;
    tx.amount = UINT64_MAX;
    tx.fee = 1;
    CheckVerdict(ApplyBlock(reader, BlockOf(producer, 0, {tx})),
                 absl::StatusCode::kInvalidArgument, {"transaction 0", "overflows"});
  }
  SECTION("a failing reader") {
    reader.fail = true;
    auto r = ApplyBlock(reader, BlockOf(producer, 0, {MakeTransaction(p.alice, p.bob.public_key, 1, 0, 0, kT0)}));
    CHECK(r.status().code() == absl::StatusCode::kUnavailable);
  }
}

TEST_CASE("ApplyBlock reads each account once", "[core]") {
  People p;
  MapReader reader;
  reader.accounts[p.alice.public_key] = Account{1000, 0};
  std::vector<Transaction> txs;
  for (uint64_t i = 0; i < 10; ++i) txs.push_back(MakeTransaction(p.alice, p.bob.public_key, 1, 1, i, kT0));
  REQUIRE(ApplyBlock(reader, BlockOf(p.producer.public_key, 1, txs)).ok());
  CHECK(reader.reads == 3);
}

TEST_CASE("ApplyGenesis credits allocations", "[core]") {
  People p;
  auto effects = ApplyGenesis({GenesisAlloc{p.alice.public_key, 1'000},
                               GenesisAlloc{p.bob.public_key, 2'000},
                               GenesisAlloc{p.carol.public_key, UINT64_MAX - 3'000}});
  INFO(effects.status().ToString());
  REQUIRE(effects.ok());
  CHECK(effects->minted == UINT64_MAX);
  CHECK(effects->fees == 0);
  CHECK(effects->accounts.size() == 3);
  CHECK(effects->accounts.at(p.alice.public_key) == Account{1'000, 0});
  CHECK(effects->accounts.at(p.bob.public_key) == Account{2'000, 0});
  CHECK(effects->accounts.at(p.carol.public_key) == Account{UINT64_MAX - 3'000, 0});

  auto empty = ApplyGenesis({});
  REQUIRE(empty.ok());
  CHECK(empty->minted == 0);
  CHECK(empty->accounts.empty());
}

TEST_CASE("ApplyGenesis rejects duplicates, zero amounts and overflow", "[core]") {
  People p;
  const auto bad = absl::StatusCode::kInvalidArgument;
  const std::string alice = util::Base58Encode(p.alice.public_key);
  CheckVerdict(ApplyGenesis({GenesisAlloc{p.alice.public_key, 1}, GenesisAlloc{p.bob.public_key, 2},
                             GenesisAlloc{p.alice.public_key, 3}}),
               bad, {"more than once", alice});
  CheckVerdict(ApplyGenesis({GenesisAlloc{p.bob.public_key, 2}, GenesisAlloc{p.alice.public_key, 0}}),
               bad, {"is zero", alice});
  CheckVerdict(ApplyGenesis({GenesisAlloc{p.alice.public_key, UINT64_MAX},
                             GenesisAlloc{p.bob.public_key, 1}}),
               bad, {"overflow"});
  CheckVerdict(ApplyGenesis({GenesisAlloc{p.alice.public_key, UINT64_MAX / 2 + 1},
                             GenesisAlloc{p.bob.public_key, UINT64_MAX / 2 + 1}}),
               bad, {"overflow"});
}

}  // namespace
}  // namespace dsc::core
