#include "util/base58.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "unit/util/util_test_util.h"

namespace dsc::util {
namespace {

using testing::Msg;
using Bytes = std::vector<uint8_t>;

Bytes FromString(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST_CASE("Base58 known vectors", "[util]") {
  struct Vector {
    Bytes bytes;
    std::string text;
  };
  const std::vector<Vector> vectors = {
      {{}, ""},
      {{0}, "1"},
      {{0, 0}, "11"},
      {{1}, "2"},
      {{57}, "z"},
      {{58}, "21"},
      {{0xff}, "5Q"},
      {{0, 0, 0x28, 0x7f, 0xb4, 0xcd}, "11233QC4"},  // Bitcoin base58_encode_decode.json
      {{0x61}, "2g"},                                // "a"
      {{0x62, 0x62, 0x62}, "a3gV"},                   // "bbb"
      {{0x63, 0x63, 0x63}, "aPEr"},                   // "ccc"
      {FromString("Hello World!"), "2NEpo7TZRRrLZSi2U"},
      {FromString("simply a long string"), "2cFupjhnEsSn59qHXstmK2ffpLv2"},
      {FromString("The quick brown fox jumps over the lazy dog"),
       "7DdiPPYtxLjCD3wA1po2rvZHTDYjkZYiEtazrfiwJcwnKCizhGFhBGHeRdx"},
      {Bytes(32, 0), "11111111111111111111111111111111"},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.text);
    CHECK(Base58Encode(v.bytes) == v.text);
    auto decoded = Base58Decode(v.text);
    REQUIRE(decoded.ok());
    CHECK(*decoded == v.bytes);
  }
}

TEST_CASE("Base58 round trips random bytes with leading zeros", "[util]") {
  const uint64_t seed = 0xB58'2024;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 2000; ++iter) {
    CAPTURE(iter);
    const size_t zeros = rng() % 5;
    const size_t len = zeros + rng() % 70;
    Bytes bytes(len);
    for (size_t i = 0; i < len; ++i) bytes[i] = i < zeros ? 0 : static_cast<uint8_t>(rng());
    const std::string text = Base58Encode(bytes);
    // Leading zero bytes are exactly the leading '1's.
    size_t ones = 0;
    while (ones < text.size() && text[ones] == '1') ++ones;
    size_t leading = 0;
    while (leading < bytes.size() && bytes[leading] == 0) ++leading;
    CHECK(ones == leading);
    auto decoded = Base58Decode(text);
    REQUIRE(decoded.ok());
    CHECK(*decoded == bytes);
  }
}

TEST_CASE("Base58 of 32-byte values is at most 44 characters", "[util]") {
  CHECK(Base58Encode(Bytes(32, 0xff)).size() == 44);
  auto decoded = Base58Decode(Base58Encode(Bytes(32, 0xff)));
  REQUIRE(decoded.ok());
  CHECK(*decoded == Bytes(32, 0xff));
}

TEST_CASE("Base58Decode rejects characters outside the alphabet, naming them", "[util]") {
  struct Bad {
    std::string text;
    std::string ch;
    size_t pos;
  };
  const std::vector<Bad> bads = {
      {"0", "'0'", 0},        {"O", "'O'", 0},  {"I", "'I'", 0},     {"l", "'l'", 0},
      {"2NEpo0", "'0'", 5},   {"11O", "'O'", 2}, {"abc def", "' '", 3}, {"ab+", "'+'", 2},
      {"\xc3\xa9", "'\xc3'", 0},
  };
  for (const auto& b : bads) {
    CAPTURE(b.text);
    auto decoded = Base58Decode(b.text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Msg(decoded), Catch::Contains(b.ch));
    CHECK_THAT(Msg(decoded), Catch::Contains("position " + std::to_string(b.pos)));
  }
}

}  // namespace
}  // namespace dsc::util
