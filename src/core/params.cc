#include "core/params.h"

#include "absl/strings/str_cat.h"

namespace dsc::core {

absl::Status ConsensusParams::Validate() const {
  if (max_block_txs == 0) return absl::InvalidArgumentError("max_block_txs must be at least 1");
  if (max_block_txs > 1'000'000) {
    return absl::InvalidArgumentError("max_block_txs must be at most 1000000");
  }
  if (min_difficulty == 0 || min_difficulty > max_difficulty || max_difficulty > 192) {
    return absl::InvalidArgumentError(
        absl::StrCat("difficulty bounds [", min_difficulty, ", ", max_difficulty,
                     "] must satisfy 1 <= min <= max <= 192"));
  }
  if (initial_difficulty < min_difficulty || initial_difficulty > max_difficulty) {
    return absl::InvalidArgumentError(absl::StrCat("initial_difficulty ", initial_difficulty,
                                                   " is outside [", min_difficulty, ", ",
                                                   max_difficulty, "]"));
  }
  if (max_future_ms < 0) return absl::InvalidArgumentError("max_future_ms must not be negative");
  return absl::OkStatus();
}

}  // namespace dsc::core
