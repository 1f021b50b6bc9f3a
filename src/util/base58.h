// Base58 (Bitcoin alphabet) for addresses and ids. Thread-safe: pure functions.
#ifndef DSC_UTIL_BASE58_H_
#define DSC_UTIL_BASE58_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace dsc::util {

// Returns the Base58 text of `bytes` (leading zero bytes become '1').
std::string Base58Encode(absl::Span<const uint8_t> bytes);

// Returns the bytes of `text`, or kInvalidArgument naming the first character
// outside the Base58 alphabet. An empty text decodes to no bytes.
absl::StatusOr<std::vector<uint8_t>> Base58Decode(std::string_view text);

}  // namespace dsc::util

#endif  // DSC_UTIL_BASE58_H_
