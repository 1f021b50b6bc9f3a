// Generic helpers shared by every test binary: Catch2 printers for absl::Status, status
// assertion macros, libsodium initialisation, fixed seeds, hex, temp dirs.
// Header-only; include as "testing/common.h". Thread-compatible.
#ifndef DSC_TEST_TESTING_COMMON_H_
#define DSC_TEST_TESTING_COMMON_H_

#include <stdlib.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/types/span.h"
#include "crypto/crypto.h"
#include "util/log.h"
#include "util/strings.h"

namespace Catch {
template <>
struct StringMaker<absl::Status> {
  static std::string convert(const absl::Status& s) { return s.ToString(); }
};
template <>
struct StringMaker<absl::StatusCode> {
  static std::string convert(absl::StatusCode c) { return absl::StatusCodeToString(c); }
};
}  // namespace Catch

// REQUIRE/CHECK that a Status (or StatusOr's status) is OK, printing it otherwise.
#define DSC_REQUIRE_OK(expr)                                         \
  do {                                                               \
    const absl::Status dsc_status_ = ::dsc::testing::StatusOf(expr); \
    INFO(#expr << " -> " << dsc_status_.ToString());                 \
    REQUIRE(dsc_status_.ok());                                       \
  } while (false)

#define DSC_CHECK_OK(expr)                                           \
  do {                                                               \
    const absl::Status dsc_status_ = ::dsc::testing::StatusOf(expr); \
    INFO(#expr << " -> " << dsc_status_.ToString());                 \
    CHECK(dsc_status_.ok());                                         \
  } while (false)

// CHECKs that `expr` (a Status or StatusOr) failed with `code` and a message containing
// `part` (case-sensitive).
#define DSC_CHECK_STATUS(expr, expected_code, part)                                  \
  do {                                                                               \
    const absl::Status dsc_status_ = ::dsc::testing::StatusOf(expr);                 \
    INFO(#expr << " -> " << dsc_status_.ToString());                                 \
    CHECK(dsc_status_.code() == (expected_code));                                    \
    CHECK_THAT(std::string(dsc_status_.message()), Catch::Matchers::Contains(part)); \
  } while (false)

namespace dsc::testing {

inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// The message of a Status (or StatusOr's status) as a std::string.
inline std::string Msg(const absl::Status& s) { return std::string(s.message()); }
template <typename T>
std::string Msg(const absl::StatusOr<T>& s) {
  return std::string(s.status().message());
}

// Initialises libsodium (idempotent) and quiets the loggers unless DSC_TEST_LOG is set.
inline void InitTesting() {
  static const bool done = [] {
    if (!crypto::Init().ok()) std::abort();
    const char* level = std::getenv("DSC_TEST_LOG");
    util::SetLogLevel(level != nullptr ? level : "warn");
    return true;
  }();
  (void)done;
}

// libsodium is ready before main() runs any test of a binary that includes this header.
inline const bool kSodiumReady = [] {
  InitTesting();
  return true;
}();

// A fixed seed for randomized tests: `fixed`, unless DSC_TEST_SEED overrides it. Tests
// print it with INFO so a failure names the seed to replay.
inline uint64_t TestSeed(uint64_t fixed) {
  if (const char* env = std::getenv("DSC_TEST_SEED"); env != nullptr && *env != '\0') {
    return std::strtoull(env, nullptr, 10);
  }
  return fixed;
}

inline std::string Hex(std::string_view bytes) { return absl::BytesToHexString(util::AV(bytes)); }
inline std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

inline std::vector<uint8_t> Unhex(std::string_view hex) {
  const std::string raw = absl::HexStringToBytes(util::AV(hex));
  return std::vector<uint8_t>(raw.begin(), raw.end());
}

template <size_t N>
std::array<uint8_t, N> UnhexArray(std::string_view hex) {
  const std::vector<uint8_t> v = Unhex(hex);
  REQUIRE(v.size() == N);
  std::array<uint8_t, N> out;
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view tag = "dsc_test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(tag) + "_XXXXXX")).string();
    char* made = ::mkdtemp(pattern.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside the directory.
  std::string Sub(std::string_view name) const {
    return (std::filesystem::path(path_) / std::string(name)).string();
  }
  std::string File(std::string_view name) const { return Sub(name); }

 private:
  std::string path_;
};

}  // namespace dsc::testing

#endif  // DSC_TEST_TESTING_COMMON_H_
