// Shared helpers for the util tests: Catch2 printing of absl::Status and a status
// message as std::string (Debian's Abseil has its own string_view).
#ifndef DSC_TEST_UNIT_UTIL_UTIL_TEST_UTIL_H_
#define DSC_TEST_UNIT_UTIL_UTIL_TEST_UTIL_H_

#include <string>

#include <catch2/catch.hpp>

#include "testing/common.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"


namespace dsc::util::testing {

using ::dsc::testing::Msg;

}  // namespace dsc::util::testing

#endif  // DSC_TEST_UNIT_UTIL_UTIL_TEST_UTIL_H_
