// Shared helpers for the util tests: Catch2 printing of absl::Status and a status
// message as std::string (Debian's Abseil has its own string_view).
#ifndef DSC_TEST_UNIT_UTIL_UTIL_TEST_UTIL_H_
#define DSC_TEST_UNIT_UTIL_UTIL_TEST_UTIL_H_

#include <string>

#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

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

namespace dsc::util::testing {

inline std::string Msg(const absl::Status& s) { return std::string(s.message()); }
template <typename T>
std::string Msg(const absl::StatusOr<T>& s) {
  return std::string(s.status().message());
}

}  // namespace dsc::util::testing

#endif  // DSC_TEST_UNIT_UTIL_UTIL_TEST_UTIL_H_
