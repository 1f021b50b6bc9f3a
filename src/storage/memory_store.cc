// In-memory implementation of Store (NewMemoryStore in store.h): one ordered std::map per
// Column, compared bytewise like RocksDB's default comparator.
//
// Thread-safety: one mutex guards every map; Get and Write hold it for the whole call, so
// batches are atomic. Scan copies entries in small chunks under the mutex and calls `fn`
// without holding it, so `fn` may call back into the store (Get, Write, nested Scan).
// Unlike the RocksDB store, a scan is therefore not a point-in-time snapshot: a write
// that lands during the scan may or may not be seen by the keys not yet visited. Every
// key is visited at most once and always in order.
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "storage/internal.h"
#include "storage/store.h"

namespace dsc::storage {
namespace {

// Entries copied per locked step of a scan.
constexpr size_t kScanChunk = 64;

class MemoryStore final : public Store {
 public:
  absl::StatusOr<std::string> Get(Column column, std::string_view key) override {
    if (!internal::IsValidColumn(column)) {
      return absl::InvalidArgumentError(
          absl::StrCat("get: invalid column ", static_cast<int>(column)));
    }
    std::lock_guard<std::mutex> lock(mu_);
    const Map& map = maps_[static_cast<int>(column)];
    auto it = map.find(key);
    if (it == map.end()) {
      return absl::NotFoundError(absl::StrCat("get ", internal::ToAbsl(ColumnName(column)), ": key not found"));
    }
    return it->second;
  }

  std::vector<absl::StatusOr<std::string>> MultiGet(
      Column column, absl::Span<const std::string_view> keys) override {
    if (!internal::IsValidColumn(column)) {
      return internal::InvalidColumnResults(column, keys.size());
    }
    std::vector<absl::StatusOr<std::string>> values;
    values.reserve(keys.size());
    std::lock_guard<std::mutex> lock(mu_);  // one view for the whole batch
    const Map& map = maps_[static_cast<int>(column)];
    for (std::string_view key : keys) {
      auto it = map.find(key);
      if (it == map.end()) {
        values.push_back(absl::NotFoundError(
            absl::StrCat("get ", internal::ToAbsl(ColumnName(column)), ": key not found")));
      } else {
        values.push_back(it->second);
      }
    }
    return values;
  }

  absl::Status Write(const WriteBatch& batch, bool sync) override {
    for (const WriteBatch::Op& op : batch.ops()) {
      if (!internal::IsValidColumn(op.column)) {
        return absl::InvalidArgumentError(
            absl::StrCat("write: invalid column ", static_cast<int>(op.column)));
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const WriteBatch::Op& op : batch.ops()) {
      Map& map = maps_[static_cast<int>(op.column)];
      if (op.is_delete) {
        auto it = map.find(op.key);
        if (it != map.end()) map.erase(it);
      } else {
        map.insert_or_assign(op.key, op.value);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Scan(Column column, std::string_view prefix, std::string_view start,
                    bool reverse, const ScanFn& fn) override {
    if (absl::Status status = internal::CheckScanArgs(column, prefix, start); !status.ok()) {
      return status;
    }
    std::vector<std::pair<std::string, std::string>> chunk;
    chunk.reserve(kScanChunk);
    // The last key handed to fn; the next chunk resumes strictly after (or before) it.
    std::optional<std::string> last;
    while (true) {
      chunk.clear();
      {
        std::lock_guard<std::mutex> lock(mu_);
        const Map& map = maps_[static_cast<int>(column)];
        if (!reverse) {
          auto it = last.has_value()    ? map.upper_bound(*last)
                    : start.empty()     ? map.lower_bound(prefix)
                                        : map.lower_bound(start);
          for (; it != map.end() && chunk.size() < kScanChunk; ++it) {
            if (!std::string_view(it->first).starts_with(prefix)) break;
            chunk.emplace_back(it->first, it->second);
          }
        } else {
          // `end` is one past the first entry to visit, i.e. the first key > the bound.
          Map::const_iterator end;
          if (last.has_value()) {
            end = map.lower_bound(*last);  // strictly before the last visited key
          } else if (!start.empty()) {
            end = map.upper_bound(start);  // last key <= start
          } else if (std::optional<std::string> successor = internal::PrefixSuccessor(prefix);
                     successor.has_value()) {
            end = map.lower_bound(*successor);
          } else {
            end = map.end();
          }
          auto it = std::make_reverse_iterator(end);
          for (; it != map.rend() && chunk.size() < kScanChunk; ++it) {
            if (!std::string_view(it->first).starts_with(prefix)) break;
            chunk.emplace_back(it->first, it->second);
          }
        }
      }
      for (const auto& [key, value] : chunk) {
        if (!fn(key, value)) return absl::OkStatus();
      }
      if (chunk.size() < kScanChunk) return absl::OkStatus();
      last = std::move(chunk.back().first);
    }
  }

 private:
  using Map = std::map<std::string, std::string, std::less<>>;

  // std::mutex rather than absl::Mutex: Debian's Abseil is not built with TSan, which then
  // cannot see absl::Mutex's synchronisation; pthread mutexes it understands.
  std::mutex mu_;
  std::array<Map, kColumnCount> maps_;  // guarded by mu_
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace dsc::storage
