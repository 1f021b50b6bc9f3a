// Consensus parameters: the rules every node of one network must share.
#ifndef DSC_CORE_PARAMS_H_
#define DSC_CORE_PARAMS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/types.h"

namespace dsc::core {

struct ConsensusParams {
  uint64_t block_reward = 1'000'000;      // base units minted to a winning validator (1 coin)
  uint32_t max_block_txs = 8192;          // transactions per block at most
  uint32_t initial_difficulty = 12;       // difficulty of the first round (in the genesis)
  uint32_t min_difficulty = 1;
  uint32_t max_difficulty = 64;
  int64_t max_future_ms = 30'000;         // a block may be stamped at most this far ahead
  std::vector<GenesisAlloc> genesis;      // coins in block 0
  int64_t genesis_timestamp_ms = 0;

  // Returns kInvalidArgument naming the offending key if the parameters are unusable.
  absl::Status Validate() const;
};

}  // namespace dsc::core

#endif  // DSC_CORE_PARAMS_H_
