// The state transition: what a block does to the balance cache.
// Thread-compatible: ApplyBlock only reads through the given AccountReader.
#ifndef DSC_CORE_STATE_H_
#define DSC_CORE_STATE_H_

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/params.h"
#include "core/types.h"

namespace dsc::core {

// Read access to committed accounts. An address never seen is the zero Account.
class AccountReader {
 public:
  virtual ~AccountReader() = default;
  virtual absl::StatusOr<Account> GetAccount(const Address& address) = 0;
};

// The accounts a block changes, with their values after it.
struct BlockEffects {
  absl::flat_hash_map<Address, Account> accounts;
  uint64_t minted = 0;  // new coins (the reward)
  uint64_t fees = 0;    // moved from senders to the producer
};

// Applies the block's transactions in order on top of `reader`: for each, the nonce must
// be the sender's next and the balance must cover amount + fee; the recipient is
// credited; fees and header.reward go to header.producer. Signatures are not checked here
// (see CheckTxsStateless). Returns kFailedPrecondition naming the first offending
// transaction (index and reason), kInvalidArgument on any 64-bit overflow.
absl::StatusOr<BlockEffects> ApplyBlock(AccountReader& reader, const Block& block);

// Credits the genesis allocations. Returns kInvalidArgument on duplicate addresses,
// zero amounts or a total over 64 bits.
absl::StatusOr<BlockEffects> ApplyGenesis(const std::vector<GenesisAlloc>& allocs);

}  // namespace dsc::core

#endif  // DSC_CORE_STATE_H_
