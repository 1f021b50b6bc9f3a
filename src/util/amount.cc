#include "util/strings.h"
#include "util/amount.h"

#include "absl/strings/str_cat.h"

namespace dsc::util {

absl::StatusOr<uint64_t> ParseAmount(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("amount is empty");
  uint64_t whole = 0;
  uint64_t frac = 0;
  int frac_digits = 0;
  bool seen_dot = false;
  bool seen_digit = false;
  for (char c : text) {
    if (c == '.') {
      if (seen_dot) return absl::InvalidArgumentError(absl::StrCat("malformed amount '", AV(text), "'"));
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed amount '", AV(text), "': only digits and one '.' are allowed"));
    }
    seen_digit = true;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (seen_dot) {
      if (++frac_digits > kAmountDecimals) {
        return absl::InvalidArgumentError(
            absl::StrCat("amount '", AV(text), "' has more than ", kAmountDecimals, " decimals"));
      }
      frac = frac * 10 + d;
    } else {
      if (whole > (UINT64_MAX - d) / 10) {
        return absl::InvalidArgumentError(absl::StrCat("amount '", AV(text), "' is too large"));
      }
      whole = whole * 10 + d;
    }
  }
  if (!seen_digit) return absl::InvalidArgumentError(absl::StrCat("malformed amount '", AV(text), "'"));
  for (int i = frac_digits; i < kAmountDecimals; ++i) frac *= 10;
  if (whole > (UINT64_MAX - frac) / kUnitsPerCoin) {
    return absl::InvalidArgumentError(absl::StrCat("amount '", AV(text), "' is too large"));
  }
  return whole * kUnitsPerCoin + frac;
}

std::string FormatAmount(uint64_t units) {
  std::string out = absl::StrCat(units / kUnitsPerCoin);
  uint64_t frac = units % kUnitsPerCoin;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, kAmountDecimals - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return absl::StrCat(out, ".", digits);
}

}  // namespace dsc::util
