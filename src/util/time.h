// Wall-clock helpers and the DSC log time format. Thread-safe.
#ifndef DSC_UTIL_TIME_H_
#define DSC_UTIL_TIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dsc::util {

// Milliseconds since the Unix epoch, from the system clock.
int64_t NowMillis();

// Formats `ms` since the epoch as "YYYYMMDD HH:MM:SS.mmm" in local time (the DSC format).
std::string FormatMillis(int64_t ms);

// Parses a duration like "6s", "500ms", "1m". Returns kInvalidArgument if malformed,
// not positive or infinite ("inf").
absl::StatusOr<absl::Duration> ParsePositiveDuration(std::string_view text);

// Parses a byte size with an optional K/M/G/T suffix (powers of 1024): "512M", "1G", "4096".
// Returns kInvalidArgument if malformed (anything but digits and one suffix, e.g. a sign
// or spaces) or if it overflows 64 bits. "0" is 0.
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

}  // namespace dsc::util

#endif  // DSC_UTIL_TIME_H_
