#include "core/params.h"

#include <string>

#include <catch2/catch.hpp>

#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

using testing::Msg;

void CheckRejected(const ConsensusParams& p, const std::string& key) {
  const absl::Status s = p.Validate();
  INFO(s.ToString());
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Msg(s), Catch::Contains(key));
}

TEST_CASE("ConsensusParams defaults are valid", "[core]") {
  CHECK(ConsensusParams{}.Validate().ok());
}

TEST_CASE("ConsensusParams::Validate names the bad key", "[core]") {
  ConsensusParams p;
  SECTION("max_block_txs 0") {
    p.max_block_txs = 0;
    CheckRejected(p, "max_block_txs");
  }
  SECTION("max_block_txs too large") {
    p.max_block_txs = 1'000'000;
    CHECK(p.Validate().ok());
    p.max_block_txs = 1'000'001;
    CheckRejected(p, "max_block_txs");
  }
  SECTION("min_difficulty 0") {
    p.min_difficulty = 0;
    CheckRejected(p, "min");
  }
  SECTION("min > max") {
    p.min_difficulty = 20;
    p.max_difficulty = 19;
    p.initial_difficulty = 20;
    CheckRejected(p, "[20, 19]");
  }
  SECTION("max above 192") {
    p.max_difficulty = 192;
    CHECK(p.Validate().ok());
    p.max_difficulty = 193;
    CheckRejected(p, "192");
  }
  SECTION("initial below the bounds") {
    p.min_difficulty = 8;
    p.initial_difficulty = 7;
    CheckRejected(p, "initial_difficulty 7");
  }
  SECTION("initial above the bounds") {
    p.max_difficulty = 30;
    p.initial_difficulty = 31;
    CheckRejected(p, "initial_difficulty 31");
  }
  SECTION("initial at the bounds is fine") {
    p.min_difficulty = 5;
    p.max_difficulty = 9;
    p.initial_difficulty = 5;
    CHECK(p.Validate().ok());
    p.initial_difficulty = 9;
    CHECK(p.Validate().ok());
  }
  SECTION("negative max_future_ms") {
    p.max_future_ms = -1;
    CheckRejected(p, "max_future_ms");
  }
}

}  // namespace
}  // namespace dsc::core
