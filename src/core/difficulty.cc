#include "core/difficulty.h"

#include <algorithm>

namespace dsc::core {

uint32_t NextDifficulty(uint32_t current, std::optional<int64_t> solve_ms, int64_t target_ms,
                        const ConsensusParams& params) {
  int64_t next = current;
  if (!solve_ms.has_value()) {
    next -= 2;
  } else if (*solve_ms * 4 < target_ms) {
    next += 1;
  } else if (*solve_ms > target_ms) {
    next -= 1;
  }
  return static_cast<uint32_t>(std::clamp<int64_t>(next, params.min_difficulty,
                                                   params.max_difficulty));
}

}  // namespace dsc::core
