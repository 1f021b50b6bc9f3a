#include "util/strings.h"
#include "util/time.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dsc::util {

int64_t NowMillis() { return absl::ToUnixMillis(absl::Now()); }

std::string FormatMillis(int64_t ms) {
  const absl::Time t = absl::FromUnixMillis(ms);
  return absl::StrCat(absl::FormatTime("%Y%m%d %H:%M:%S", t, absl::LocalTimeZone()), ".",
                      absl::StrFormat("%03d", static_cast<int>(((ms % 1000) + 1000) % 1000)));
}

absl::StatusOr<absl::Duration> ParsePositiveDuration(std::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(AV(text), &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed duration '", AV(text), "' (expected e.g. 6s, 500ms)"));
  }
  if (d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("duration '", AV(text), "' must be positive"));
  }
  if (d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("duration '", AV(text), "' must be finite"));
  }
  return d;
}

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("size is empty");
  uint64_t mult = 1;
  switch (text.back()) {
    case 'K': case 'k': mult = 1ull << 10; break;
    case 'M': case 'm': mult = 1ull << 20; break;
    case 'G': case 'g': mult = 1ull << 30; break;
    case 'T': case 't': mult = 1ull << 40; break;
    default: break;
  }
  std::string_view digits = mult == 1 ? text : text.substr(0, text.size() - 1);
  // Digits only: SimpleAtoi alone would also accept signs and surrounding whitespace.
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed size '", AV(text), "' (expected e.g. 512M, 1G)"));
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(AV(digits), &value) || value > UINT64_MAX / mult) {
    return absl::InvalidArgumentError(absl::StrCat("size '", AV(text), "' is too large"));
  }
  return value * mult;
}

}  // namespace dsc::util
