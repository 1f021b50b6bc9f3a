// Validator role test: a PoW validator with an in-process metronome, pool and chain wins
// blocks that carry the submitted transactions, and reports its wins.
#include "validator/validator.h"

#include <catch2/catch.hpp>

#include "metronome/metronome.h"
#include "pool/pool.h"
#include "testing/fixtures.h"

namespace dsc::validator {
namespace {

using testing::TestKey;
using testing::TestParams;

constexpr uint64_t kCoin = 1'000'000;

TEST_CASE("Validator wins blocks carrying submitted transactions", "[validator]") {
  const auto a = TestKey(1), b = TestKey(2);
  const auto key = TestKey(100);
  const auto fp = testing::TestFingerprint(100);
  core::ConsensusParams params = TestParams({a, b}, 100 * kCoin, /*initial_difficulty=*/4);
  params.max_difficulty = 10;  // keeps the search trivial however fast the wins come

  auto store = storage::NewMemoryStore();
  testing::ChainHarness chain(store.get(), params);
  auto pool = pool::Pool::Open(store.get(), &chain.chain(), pool::PoolOptions{});
  REQUIRE(pool.ok());
  metronome::MetronomeOptions mo;
  mo.block_time = absl::Milliseconds(250);
  mo.params = params;
  mo.key = chain.metronome();
  metronome::Metronome metronome(&chain.chain(), pool->get(), mo);
  ValidatorOptions vo;
  vo.key = key;
  vo.fingerprint = fp;
  vo.block_reward = params.block_reward;
  vo.heartbeat = absl::Seconds(1);
  Validator validator(&metronome, pool->get(),
                      std::make_unique<core::PowEngine>(fp, key.public_key, 1), vo);

  std::vector<core::Transaction> txs;
  for (uint64_t i = 0; i < 5; ++i) {
    txs.push_back(core::MakeTransaction(a, b.public_key, kCoin, 10, i, util::NowMillis()));
  }
  for (const auto& v : (*pool)->Submit(txs)) DSC_REQUIRE_OK(v);

  (*pool)->Start();
  metronome.Start();
  validator.Start();

  std::vector<core::TxId> ids;
  for (const auto& tx : txs) ids.push_back(core::ComputeTxId(tx));
  std::vector<core::TxStatusInfo> statuses;
  const bool confirmed = testing::WaitUntil(
      [&] {
        auto s = (*pool)->GetStatus(ids);
        if (!s.ok()) return false;
        statuses = *s;
        for (const auto& st : statuses) {
          if (st.status != core::TxStatus::kConfirmed) return false;
        }
        return true;
      },
      absl::Seconds(10));
  REQUIRE(confirmed);
  // Let the validator win a few more (empty) blocks.
  REQUIRE(testing::WaitUntil([&] { return chain.Tip().header.height >= 3; }, absl::Seconds(10)));
  validator.Stop();
  metronome.Stop();

  // The block that confirmed them was won by the validator, with its reward and the fees.
  const uint64_t height = statuses[0].height;
  auto block = chain.chain().GetBlock(height, absl::ZeroDuration());
  REQUIRE(block.ok());
  CHECK(block->header.producer == key.public_key);
  CHECK(block->header.reward == params.block_reward);
  CHECK(block->header.fingerprint == fp);
  CHECK(core::CheckHeaderProof(block->header));
  CHECK(block->txs == txs);

  auto status = validator.GetStatus();
  REQUIRE(status.ok());
  CHECK(status->key == key.public_key);
  CHECK(status->fingerprint == fp);
  CHECK(status->proof.kind == "pow");
  CHECK(status->proof.hashes_total > 0);
  CHECK(status->rounds_seen >= status->blocks_won);
  CHECK(status->blocks_submitted >= status->blocks_won);

  uint64_t won_on_chain = 0;
  const core::ChainTip tip = chain.Tip();
  for (uint64_t h = 1; h <= tip.header.height; ++h) {
    auto b_h = chain.chain().GetBlock(h, absl::ZeroDuration());
    REQUIRE(b_h.ok());
    if (b_h->header.producer == key.public_key) ++won_on_chain;
  }
  CHECK(won_on_chain >= 1);
  CHECK(status->blocks_won == won_on_chain);
  CHECK(tip.supply == 200 * kCoin + won_on_chain * params.block_reward);
  CHECK(chain.Account(key.public_key).balance ==
        won_on_chain * params.block_reward + 5 * 10);

  auto mstatus = metronome.GetStatus();
  REQUIRE(mstatus.ok());
  CHECK(mstatus->blocks_by_validators == won_on_chain);
  REQUIRE(mstatus->validators.size() == 1);
  CHECK(mstatus->validators[0].key == key.public_key);
  CHECK(mstatus->validators[0].kind == "pow");
}

}  // namespace
}  // namespace dsc::validator
