#include "util/time.h"

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "unit/util/util_test_util.h"

namespace dsc::util {
namespace {

using testing::Msg;

// Sets TZ for the scope of one test and restores it afterwards.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
  }
  ~ScopedTz() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
  }

 private:
  std::optional<std::string> old_;
};

void CheckShape(const std::string& s) {
  CAPTURE(s);
  REQUIRE(s.size() == 21);  // YYYYMMDD HH:MM:SS.mmm
  for (size_t i = 0; i < s.size(); ++i) {
    CAPTURE(i);
    switch (i) {
      case 8: CHECK(s[i] == ' '); break;
      case 11: case 14: CHECK(s[i] == ':'); break;
      case 17: CHECK(s[i] == '.'); break;
      default: CHECK(std::isdigit(static_cast<unsigned char>(s[i])) != 0); break;
    }
  }
}

TEST_CASE("FormatMillis has the DSC shape and the right milliseconds", "[util]") {
  for (int64_t ms : {int64_t{1'700'000'000'000}, int64_t{1'700'000'000'123},
                     int64_t{1'700'000'000'999}, int64_t{1'700'000'001'007}, int64_t{0},
                     NowMillis()}) {
    CAPTURE(ms);
    const std::string s = FormatMillis(ms);
    CheckShape(s);
    const std::string want_ms = std::to_string(1000 + ms % 1000).substr(1);
    CHECK(s.substr(18) == want_ms);
    // The seconds part is the local civil time of the same instant.
    CHECK(s.substr(0, 17) ==
          absl::FormatTime("%Y%m%d %H:%M:%S", absl::FromUnixMillis(ms), absl::LocalTimeZone()));
  }
}

TEST_CASE("FormatMillis in UTC", "[util]") {
  ScopedTz utc("UTC");
  CHECK(FormatMillis(1'700'000'000'123) == "20231114 22:13:20.123");
  CHECK(FormatMillis(0) == "19700101 00:00:00.000");
  CHECK(FormatMillis(999) == "19700101 00:00:00.999");
  CHECK(FormatMillis(-1) == "19691231 23:59:59.999");
  CHECK(FormatMillis(-1000) == "19691231 23:59:59.000");
}

TEST_CASE("NowMillis follows the system clock", "[util]") {
  const int64_t sys = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t now = NowMillis();
  CHECK(now >= sys);
  CHECK(now - sys < 5'000);
}

TEST_CASE("ParsePositiveDuration accepts positive durations", "[util]") {
  struct Good {
    std::string text;
    absl::Duration d;
  };
  const std::vector<Good> goods = {
      {"6s", absl::Seconds(6)},          {"500ms", absl::Milliseconds(500)},
      {"1m", absl::Minutes(1)},          {"1h30m", absl::Minutes(90)},
      {"1.5s", absl::Milliseconds(1500)}, {"1ns", absl::Nanoseconds(1)},
  };
  for (const auto& g : goods) {
    CAPTURE(g.text);
    auto d = ParsePositiveDuration(g.text);
    INFO(d.status().ToString());
    REQUIRE(d.ok());
    CHECK(*d == g.d);
  }
}

TEST_CASE("ParsePositiveDuration rejects malformed, zero, negative and infinite durations",
          "[util]") {
  struct Bad {
    std::string text;
    std::string why;
  };
  const std::vector<Bad> bads = {
      {"", "malformed"},        {"6", "malformed"},        {"abc", "malformed"},
      {"6 s", "malformed"},     {"s", "malformed"},        {"0", "must be positive"},
      {"0s", "must be positive"}, {"-1s", "must be positive"}, {"inf", "must be finite"},
      {"-inf", "must be positive"},
  };
  for (const auto& b : bads) {
    CAPTURE(b.text);
    auto d = ParsePositiveDuration(b.text);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Msg(d), Catch::Contains(b.why));
    CHECK_THAT(Msg(d), Catch::Contains("'" + b.text + "'"));
  }
}

TEST_CASE("ParseByteSize accepts sizes with K/M/G/T suffixes", "[util]") {
  struct Good {
    std::string text;
    uint64_t bytes;
  };
  const std::vector<Good> goods = {
      {"4096", 4096},
      {"0", 0},  // zero is a size; callers that need a minimum enforce it
      {"1K", 1024},
      {"1k", 1024},
      {"512M", 512ull << 20},
      {"512m", 512ull << 20},
      {"1G", 1ull << 30},
      {"3g", 3ull << 30},
      {"1T", 1ull << 40},
      {"16777215T", 16777215ull << 40},  // the largest T value that fits
      {"18446744073709551615", UINT64_MAX},
      {"007", 7},
  };
  for (const auto& g : goods) {
    CAPTURE(g.text);
    auto size = ParseByteSize(g.text);
    INFO(size.status().ToString());
    REQUIRE(size.ok());
    CHECK(*size == g.bytes);
  }
}

TEST_CASE("ParseByteSize rejects malformed and too large sizes", "[util]") {
  struct Bad {
    std::string text;
    std::string why;
  };
  const std::vector<Bad> bads = {
      {"", "empty"},
      {"1X", "malformed"},
      {"-1", "malformed"},
      {"-1M", "malformed"},
      {"+1", "malformed"},
      {"M", "malformed"},
      {"1KB", "malformed"},
      {"1.5G", "malformed"},
      {"0x10", "malformed"},
      {" 1", "malformed"},
      {"1 ", "malformed"},
      {"1 G", "malformed"},
      {" +1G", "malformed"},
      {"99999999999T", "too large"},
      {"16777216T", "too large"},
      {"18446744073709551616", "too large"},
  };
  for (const auto& b : bads) {
    CAPTURE(b.text);
    auto size = ParseByteSize(b.text);
    REQUIRE_FALSE(size.ok());
    CHECK(size.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Msg(size), Catch::Contains(b.why));
  }
}

}  // namespace
}  // namespace dsc::util
