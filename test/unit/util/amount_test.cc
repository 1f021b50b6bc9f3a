#include "util/amount.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "unit/util/util_test_util.h"

namespace dsc::util {
namespace {

using testing::Msg;

TEST_CASE("ParseAmount accepts decimal coin amounts", "[util]") {
  struct Good {
    std::string text;
    uint64_t units;
  };
  const std::vector<Good> goods = {
      {"0", 0},
      {"1", 1'000'000},
      {"12", 12'000'000},
      {"12.5", 12'500'000},
      {"0.000001", 1},
      {"0.5", 500'000},
      {"000012.500000", 12'500'000},
      {"18446744073709", 18'446'744'073'709'000'000ull},
      {"18446744073709.551615", UINT64_MAX},
      // A dot with digits on one side only is accepted ("1." is 1, ".5" is 0.5).
      {"1.", 1'000'000},
      {".5", 500'000},
      {".000001", 1},
  };
  for (const auto& g : goods) {
    CAPTURE(g.text);
    auto parsed = ParseAmount(g.text);
    INFO(parsed.status().ToString());
    REQUIRE(parsed.ok());
    CHECK(*parsed == g.units);
  }
}

TEST_CASE("ParseAmount rejects malformed, signed, over-precise and too large amounts",
          "[util]") {
  struct Bad {
    std::string text;
    std::string why;  // a fragment of the message
  };
  const std::vector<Bad> bads = {
      {"", "empty"},
      {".", "malformed"},
      {"..", "malformed"},
      {"1.2.3", "malformed"},
      {"-1", "only digits"},
      {"+1", "only digits"},
      {"1e3", "only digits"},
      {" 1", "only digits"},
      {"1 ", "only digits"},
      {"1,5", "only digits"},
      {"0x10", "only digits"},
      {"1.0000001", "more than 6 decimals"},
      {"0.0000000", "more than 6 decimals"},
      {"18446744073709.551616", "too large"},   // UINT64_MAX + 1 unit
      {"18446744073710", "too large"},
      {"18446744073709551616", "too large"},    // overflows in the integer part
      {"99999999999999999999999", "too large"},
  };
  for (const auto& b : bads) {
    CAPTURE(b.text);
    auto parsed = ParseAmount(b.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Msg(parsed), Catch::Contains(b.why));
  }
}

TEST_CASE("FormatAmount drops trailing zeros", "[util]") {
  CHECK(FormatAmount(0) == "0");
  CHECK(FormatAmount(1) == "0.000001");
  CHECK(FormatAmount(10) == "0.00001");
  CHECK(FormatAmount(500'000) == "0.5");
  CHECK(FormatAmount(1'000'000) == "1");
  CHECK(FormatAmount(12'500'000) == "12.5");
  CHECK(FormatAmount(12'000'001) == "12.000001");
  CHECK(FormatAmount(UINT64_MAX) == "18446744073709.551615");
}

TEST_CASE("ParseAmount(FormatAmount(x)) == x", "[util]") {
  const uint64_t seed = 0xA3'0001;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> values = {0, 1, 999'999, 1'000'000, 1'000'001, UINT64_MAX,
                                  UINT64_MAX - 1};
  for (int i = 0; i < 2000; ++i) {
    const uint64_t v = rng();
    values.push_back(v);
    values.push_back(v >> (rng() % 64));
    values.push_back((v % 100'000) * 1'000'000);
  }
  for (uint64_t v : values) {
    CAPTURE(v);
    const std::string text = FormatAmount(v);
    CAPTURE(text);
    auto parsed = ParseAmount(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == v);
  }
}

}  // namespace
}  // namespace dsc::util
