// Shared helpers for the crypto tests: libsodium initialisation before any test runs,
// hex conversion, Catch2 printing of absl::Status, and a temp dir removed on scope exit.
#ifndef DSC_TEST_UNIT_CRYPTO_CRYPTO_TEST_UTIL_H_
#define DSC_TEST_UNIT_CRYPTO_CRYPTO_TEST_UTIL_H_

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

namespace dsc::crypto::testing {

// libsodium is ready before main() runs any test.
inline const bool kSodiumReady = [] {
  if (!Init().ok()) std::abort();
  return true;
}();

inline std::string Msg(const absl::Status& s) { return std::string(s.message()); }
template <typename T>
std::string Msg(const absl::StatusOr<T>& s) {
  return std::string(s.status().message());
}

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

// A fresh directory under the system temp dir, removed with everything in it on scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dsc_crypto_test.XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace dsc::crypto::testing

#endif  // DSC_TEST_UNIT_CRYPTO_CRYPTO_TEST_UTIL_H_
