// FaultyStore: a Store that forwards to another Store and injects errors on demand, so
// tests can exercise the error paths of the code above the storage layer.
//
// Contract:
//  - With no fault armed, every call is forwarded unchanged to the wrapped store.
//  - FailNthWrite(n): the n-th Write call from now (n = 1: the next one) returns
//    kUnavailable "injected write fault" without forwarding, so nothing of its batch is
//    applied; the fault then disarms itself. n <= 0 disarms a pending one.
//  - SetFailWrites(true): every Write returns kUnavailable "injected write fault" and
//    applies nothing, until SetFailWrites(false).
//  - SetFailReads(true): every Get and Scan returns kUnavailable "injected read fault"
//    without forwarding (a Scan calls `fn` for no entry), and a MultiGet returns it for
//    every key, until SetFailReads(false).
//  - Writes that were failed by injection count toward injected_write_faults(); only
//    forwarded writes reach the wrapped store. A Write counts toward FailNthWrite even
//    if it was already failed by SetFailWrites.
//
// Thread-safety: safe for concurrent use, as the wrapped store is; the knobs are atomics
// and may be changed from any thread while other threads use the store. When several
// threads write concurrently, which of them is "the n-th" is decided by arrival order.
// The wrapped store must outlive a non-owning FaultyStore.
#ifndef DSC_STORAGE_FAULTY_STORE_H_
#define DSC_STORAGE_FAULTY_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/store.h"

namespace dsc::storage {

class FaultyStore final : public Store {
 public:
  // Wraps `base` without owning it.
  explicit FaultyStore(Store* base);
  // Wraps and owns `base`.
  explicit FaultyStore(std::unique_ptr<Store> base);

  FaultyStore(const FaultyStore&) = delete;
  FaultyStore& operator=(const FaultyStore&) = delete;

  absl::StatusOr<std::string> Get(Column column, std::string_view key) override;
  std::vector<absl::StatusOr<std::string>> MultiGet(
      Column column, absl::Span<const std::string_view> keys) override;
  absl::Status Write(const WriteBatch& batch, bool sync) override;
  absl::Status Scan(Column column, std::string_view prefix, std::string_view start,
                    bool reverse, const ScanFn& fn) override;

  // Arms a one-shot fault on the n-th Write from now (1 = the next); n <= 0 disarms.
  void FailNthWrite(int64_t n);
  // While set, every Write fails and applies nothing.
  void SetFailWrites(bool fail);
  // While set, every Get and Scan fails.
  void SetFailReads(bool fail);
  // Disarms every fault.
  void ClearFaults();

  // Number of Writes failed by injection so far.
  int64_t injected_write_faults() const;
  // Number of Gets, MultiGets and Scans failed by injection so far (a MultiGet counts once).
  int64_t injected_read_faults() const;

  Store* base() const { return base_; }

 private:
  // True if this Write must fail; consumes one step of the FailNthWrite countdown.
  bool NextWriteFails();

  std::unique_ptr<Store> owned_;  // null when not owning
  Store* const base_;
  std::atomic<int64_t> write_countdown_{0};  // > 0: Writes until the one that fails
  std::atomic<bool> fail_writes_{false};
  std::atomic<bool> fail_reads_{false};
  std::atomic<int64_t> injected_write_faults_{0};
  std::atomic<int64_t> injected_read_faults_{0};
};

}  // namespace dsc::storage

#endif  // DSC_STORAGE_FAULTY_STORE_H_
