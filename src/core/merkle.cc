#include "core/merkle.h"

#include "core/encoding.h"

namespace dsc::core {
namespace {

Hash32 HashTagged(uint8_t tag, const Hash32& a, const Hash32* b) {
  crypto::Hasher h;
  h.Update(absl::MakeConstSpan(&tag, 1));
  h.Update(absl::MakeConstSpan(a));
  if (b != nullptr) h.Update(absl::MakeConstSpan(*b));
  return h.Final32();
}

}  // namespace

Hash32 MerkleRoot(absl::Span<const Hash32> ids) {
  if (ids.empty()) return Hash32{};
  std::vector<Hash32> level;
  level.reserve(ids.size());
  for (const auto& id : ids) level.push_back(HashTagged(0x00, id, nullptr));
  while (level.size() > 1) {
    size_t out = 0;
    for (size_t i = 0; i < level.size(); i += 2) {
      level[out++] = i + 1 < level.size() ? HashTagged(0x01, level[i], &level[i + 1]) : level[i];
    }
    level.resize(out);
  }
  return level[0];
}

Hash32 TxRoot(absl::Span<const Transaction> txs) {
  std::vector<Hash32> ids;
  ids.reserve(txs.size());
  for (const auto& tx : txs) ids.push_back(ComputeTxId(tx));
  return MerkleRoot(ids);
}

}  // namespace dsc::core
