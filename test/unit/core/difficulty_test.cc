#include "core/difficulty.h"

#include <cstdint>
#include <optional>

#include <catch2/catch.hpp>

#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

constexpr int64_t kTarget = 6'000;

ConsensusParams Bounds(uint32_t min, uint32_t max) {
  ConsensusParams p;
  p.min_difficulty = min;
  p.max_difficulty = max;
  p.initial_difficulty = min;
  return p;
}

TEST_CASE("NextDifficulty raises when a round is won under a quarter of the target",
          "[core]") {
  const ConsensusParams p = Bounds(1, 64);
  CHECK(NextDifficulty(20, 0, kTarget, p) == 21);
  CHECK(NextDifficulty(20, kTarget / 4 - 1, kTarget, p) == 21);
  // Exactly a quarter is not "under".
  CHECK(NextDifficulty(20, kTarget / 4, kTarget, p) == 20);
}

TEST_CASE("NextDifficulty keeps the difficulty between a quarter and the target", "[core]") {
  const ConsensusParams p = Bounds(1, 64);
  for (int64_t ms : {kTarget / 4, kTarget / 2, kTarget - 1, kTarget}) {
    CAPTURE(ms);
    CHECK(NextDifficulty(20, ms, kTarget, p) == 20);
  }
}

TEST_CASE("NextDifficulty lowers over the target and by two with no winner", "[core]") {
  const ConsensusParams p = Bounds(1, 64);
  CHECK(NextDifficulty(20, kTarget + 1, kTarget, p) == 19);
  CHECK(NextDifficulty(20, 10 * kTarget, kTarget, p) == 19);
  CHECK(NextDifficulty(20, std::nullopt, kTarget, p) == 18);
}

TEST_CASE("NextDifficulty clamps at the bounds", "[core]") {
  const ConsensusParams p = Bounds(4, 30);
  CHECK(NextDifficulty(30, 0, kTarget, p) == 30);
  CHECK(NextDifficulty(4, kTarget + 1, kTarget, p) == 4);
  CHECK(NextDifficulty(5, std::nullopt, kTarget, p) == 4);
  CHECK(NextDifficulty(4, std::nullopt, kTarget, p) == 4);
  // No unsigned wrap-around below zero.
  CHECK(NextDifficulty(1, std::nullopt, kTarget, Bounds(1, 64)) == 1);
  CHECK(NextDifficulty(0, std::nullopt, kTarget, Bounds(1, 64)) == 1);
  // A current value outside the bounds (e.g. after a parameter change) is pulled in.
  CHECK(NextDifficulty(50, kTarget / 2, kTarget, p) == 30);
  CHECK(NextDifficulty(1, kTarget / 2, kTarget, p) == 4);
  CHECK(NextDifficulty(192, 0, kTarget, Bounds(1, 192)) == 192);
}

}  // namespace
}  // namespace dsc::core
