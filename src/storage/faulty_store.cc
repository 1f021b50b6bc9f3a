#include "storage/faulty_store.h"

#include <utility>

namespace dsc::storage {

FaultyStore::FaultyStore(Store* base) : base_(base) {}

FaultyStore::FaultyStore(std::unique_ptr<Store> base)
    : owned_(std::move(base)), base_(owned_.get()) {}

absl::StatusOr<std::string> FaultyStore::Get(Column column, std::string_view key) {
  if (fail_reads_.load()) {
    injected_read_faults_.fetch_add(1);
    return absl::UnavailableError("injected read fault");
  }
  return base_->Get(column, key);
}

std::vector<absl::StatusOr<std::string>> FaultyStore::MultiGet(
    Column column, absl::Span<const std::string_view> keys) {
  if (fail_reads_.load()) {
    injected_read_faults_.fetch_add(1);
    return std::vector<absl::StatusOr<std::string>>(
        keys.size(), absl::UnavailableError("injected read fault"));
  }
  return base_->MultiGet(column, keys);
}

absl::Status FaultyStore::Write(const WriteBatch& batch, bool sync) {
  const bool countdown_hit = NextWriteFails();
  if (countdown_hit || fail_writes_.load()) {
    injected_write_faults_.fetch_add(1);
    return absl::UnavailableError("injected write fault");
  }
  return base_->Write(batch, sync);
}

absl::Status FaultyStore::Scan(Column column, std::string_view prefix, std::string_view start,
                               bool reverse, const ScanFn& fn) {
  if (fail_reads_.load()) {
    injected_read_faults_.fetch_add(1);
    return absl::UnavailableError("injected read fault");
  }
  return base_->Scan(column, prefix, start, reverse, fn);
}

bool FaultyStore::NextWriteFails() {
  int64_t remaining = write_countdown_.load();
  while (remaining > 0) {
    if (write_countdown_.compare_exchange_weak(remaining, remaining - 1)) {
      return remaining == 1;
    }
  }
  return false;
}

void FaultyStore::FailNthWrite(int64_t n) { write_countdown_.store(n > 0 ? n : 0); }

void FaultyStore::SetFailWrites(bool fail) { fail_writes_.store(fail); }

void FaultyStore::SetFailReads(bool fail) { fail_reads_.store(fail); }

void FaultyStore::ClearFaults() {
  write_countdown_.store(0);
  fail_writes_.store(false);
  fail_reads_.store(false);
}

int64_t FaultyStore::injected_write_faults() const { return injected_write_faults_.load(); }

int64_t FaultyStore::injected_read_faults() const { return injected_read_faults_.load(); }

}  // namespace dsc::storage
