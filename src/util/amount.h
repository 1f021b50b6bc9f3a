// Coin amounts: unsigned 64-bit base units, 1 coin = 1,000,000 units. Typed and
// shown as decimals ("12.5"); never floating point. Thread-safe: pure functions.
#ifndef DSC_UTIL_AMOUNT_H_
#define DSC_UTIL_AMOUNT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dsc::util {

inline constexpr uint64_t kUnitsPerCoin = 1'000'000;
inline constexpr int kAmountDecimals = 6;

// Parses a decimal coin amount ("12", "12.5", "0.000001") into base units.
// Returns kInvalidArgument for an empty or malformed text, a sign, more than six
// decimals, or a value that does not fit in 64 bits.
absl::StatusOr<uint64_t> ParseAmount(std::string_view text);

// Formats base units as a decimal coin amount without trailing zeros ("12.5", "0").
std::string FormatAmount(uint64_t units);

}  // namespace dsc::util

#endif  // DSC_UTIL_AMOUNT_H_
