#include "util/base58.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace dsc::util {
namespace {

constexpr char kAlphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<int8_t, 128> MakeIndex() {
  std::array<int8_t, 128> index{};
  for (auto& v : index) v = -1;
  for (int i = 0; i < 58; ++i) index[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return index;
}
constexpr std::array<int8_t, 128> kIndex = MakeIndex();

}  // namespace

std::string Base58Encode(absl::Span<const uint8_t> bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // log(256)/log(58) ~ 1.37: enough digits for the remaining bytes.
  std::vector<uint8_t> digits((bytes.size() - zeros) * 138 / 100 + 1, 0);
  size_t used = 0;
  for (size_t i = zeros; i < bytes.size(); ++i) {
    uint32_t carry = bytes[i];
    size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
      carry += 256u * *it;
      *it = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    used = j;
  }
  auto it = digits.begin() + (digits.size() - used);
  std::string out(zeros, '1');
  out.reserve(zeros + used);
  for (; it != digits.end(); ++it) out.push_back(kAlphabet[*it]);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> Base58Decode(std::string_view text) {
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  std::vector<uint8_t> bytes((text.size() - zeros) * 733 / 1000 + 1, 0);
  size_t used = 0;
  for (size_t i = zeros; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const int digit = c < 128 ? kIndex[c] : -1;
    if (digit < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid Base58 character '", std::string(1, text[i]), "' at position ", i));
    }
    uint32_t carry = static_cast<uint32_t>(digit);
    size_t j = 0;
    for (auto it = bytes.rbegin(); (carry != 0 || j < used) && it != bytes.rend(); ++it, ++j) {
      carry += 58u * *it;
      *it = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    used = j;
  }
  std::vector<uint8_t> out(zeros, 0);
  out.insert(out.end(), bytes.end() - used, bytes.end());
  return out;
}

}  // namespace dsc::util
