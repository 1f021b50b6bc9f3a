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
  // The value of the remaining bytes in limbs of base 58^5 (each below 2^30), least
  // significant first, fed four bytes at a time: a limb times 2^32 plus a carry stays
  // below 2^63. This is the schoolbook conversion with 5 digits per step instead of 1.
  constexpr uint64_t kBase = 58ull * 58 * 58 * 58 * 58;
  std::vector<uint32_t> limbs;
  limbs.reserve((bytes.size() - zeros) * 138 / 500 + 2);
  size_t i = zeros;
  while (i < bytes.size()) {
    const size_t rest = (bytes.size() - i) % 4;  // the first group takes the odd bytes
    const size_t take = rest == 0 ? 4 : rest;
    uint64_t carry = 0;
    for (size_t k = 0; k < take; ++k) carry = (carry << 8) | bytes[i + k];
    i += take;
    const uint64_t scale = uint64_t{1} << (8 * take);
    for (uint32_t& limb : limbs) {
      const uint64_t t = limb * scale + carry;
      limb = static_cast<uint32_t>(t % kBase);
      carry = t / kBase;
    }
    while (carry != 0) {
      limbs.push_back(static_cast<uint32_t>(carry % kBase));
      carry /= kBase;
    }
  }
  // Digits, least significant first; the top limb's leading zero digits are dropped.
  std::string digits;
  digits.reserve(limbs.size() * 5);
  for (size_t l = 0; l < limbs.size(); ++l) {
    uint32_t v = limbs[l];
    const bool top = l + 1 == limbs.size();
    for (int d = 0; d < 5 && (!top || v != 0); ++d) {
      digits.push_back(kAlphabet[v % 58]);
      v /= 58;
    }
  }
  std::string out(zeros, '1');
  out.append(digits.rbegin(), digits.rend());
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
