// Difficulty adaptation: the metronome keeps rounds won in about a target time, which it
// sets well inside the block time (MetronomeOptions::solve_target).
// Thread-safe: pure function.
#ifndef DSC_CORE_DIFFICULTY_H_
#define DSC_CORE_DIFFICULTY_H_

#include <cstdint>
#include <optional>

#include "core/params.h"

namespace dsc::core {

// Returns the difficulty of the next round given the last one's. `solve_ms` is how long
// the round took to be won, or nullopt if nobody won before the deadline; `target_ms` is
// the solve target. A round won in under a quarter of the target raises the difficulty by
// one bit (twice as hard), one won after more than the target lowers it by one, and a
// round nobody won lowers it by two. The result stays within [params.min_difficulty,
// params.max_difficulty].
uint32_t NextDifficulty(uint32_t current, std::optional<int64_t> solve_ms, int64_t target_ms,
                        const ConsensusParams& params);

}  // namespace dsc::core

#endif  // DSC_CORE_DIFFICULTY_H_
