#include "core/signature_cache.h"

namespace dsc::core {

void SignatureCache::Add(absl::Span<const TxId> ids) {
  absl::MutexLock lock(&mu_);
  if (ids_.size() + ids.size() > capacity_) ids_.clear();
  for (const TxId& id : ids) ids_.insert(id);
}

bool SignatureCache::Contains(const TxId& id) const {
  absl::MutexLock lock(&mu_);
  return ids_.contains(id);
}

}  // namespace dsc::core
