// Merkle roots over ordered lists of 32-byte ids (the per-block transaction root). The
// cumulative provenance trie is core/trie.h.
// Thread-safe: pure functions.
#ifndef DSC_CORE_MERKLE_H_
#define DSC_CORE_MERKLE_H_

#include <vector>

#include "absl/types/span.h"
#include "core/types.h"

namespace dsc::core {

// Binary Merkle root: leaf = H(0x00 || id), node = H(0x01 || left || right); an odd node
// is carried up unchanged. The root of no ids is all zeros.
Hash32 MerkleRoot(absl::Span<const Hash32> ids);

// The root of a block's transactions, in block order.
Hash32 TxRoot(absl::Span<const Transaction> txs);

}  // namespace dsc::core

#endif  // DSC_CORE_MERKLE_H_
