// The ids of transactions whose signatures this process has already verified, so that a
// chain sharing a process with the pool does not verify the same signature twice. A tx id
// is the hash of the signed bytes including the signature, so a cached id vouches for
// exactly those bytes. Bounded: when full, it is emptied (a miss only costs a
// verification). Thread-safe.
#ifndef DSC_CORE_SIGNATURE_CACHE_H_
#define DSC_CORE_SIGNATURE_CACHE_H_

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "core/types.h"

namespace dsc::core {

class SignatureCache {
 public:
  explicit SignatureCache(size_t capacity = size_t{1} << 21) : capacity_(capacity) {}

  // Records ids whose transactions passed CheckTxStateless.
  void Add(absl::Span<const TxId> ids) ABSL_LOCKS_EXCLUDED(mu_);
  // True iff `id` was added (and not dropped since).
  bool Contains(const TxId& id) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<TxId> ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dsc::core

#endif  // DSC_CORE_SIGNATURE_CACHE_H_
