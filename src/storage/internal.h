// Private helpers shared by the Store implementations in this folder. Not part of the
// storage API: include only from src/storage/*.cc.
#ifndef DSC_STORAGE_INTERNAL_H_
#define DSC_STORAGE_INTERNAL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "storage/store.h"

namespace dsc::storage::internal {

// Debian's Abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW
// is 0), which does not convert implicitly from std::string_view; pass views to absl
// through this.
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// True if `column` is one of the kColumnCount declared columns.
inline bool IsValidColumn(Column column) {
  const int index = static_cast<int>(column);
  return index >= 0 && index < kColumnCount;
}

// What Store::MultiGet returns for an invalid column: the same error for each of `n` keys.
inline std::vector<absl::StatusOr<std::string>> InvalidColumnResults(Column column, size_t n) {
  const absl::Status invalid =
      absl::InvalidArgumentError(absl::StrCat("get: invalid column ", static_cast<int>(column)));
  return std::vector<absl::StatusOr<std::string>>(n, invalid);
}

// Validates the arguments shared by every Store::Scan implementation.
inline absl::Status CheckScanArgs(Column column, std::string_view prefix,
                                  std::string_view start) {
  if (!IsValidColumn(column)) {
    return absl::InvalidArgumentError(
        absl::StrCat("scan: invalid column ", static_cast<int>(column)));
  }
  if (!start.empty() && !start.starts_with(prefix)) {
    return absl::InvalidArgumentError("scan: start key does not begin with prefix");
  }
  return absl::OkStatus();
}

// Returns the smallest key greater than every key that starts with `prefix`, or nullopt
// if there is none (empty prefix or a prefix made only of 0xff bytes).
inline std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string successor(prefix);
  while (!successor.empty()) {
    unsigned char& last = reinterpret_cast<unsigned char&>(successor.back());
    if (last != 0xff) {
      ++last;
      return successor;
    }
    successor.pop_back();
  }
  return std::nullopt;
}

}  // namespace dsc::storage::internal

#endif  // DSC_STORAGE_INTERNAL_H_
