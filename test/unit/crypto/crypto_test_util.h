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

#include "testing/common.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/types/span.h"
#include "crypto/crypto.h"
#include "util/strings.h"


namespace dsc::crypto::testing {

using ::dsc::testing::Msg;

using ::dsc::testing::Hex;
using ::dsc::testing::TempDir;
using ::dsc::testing::Unhex;
using ::dsc::testing::UnhexArray;

}  // namespace dsc::crypto::testing

#endif  // DSC_TEST_UNIT_CRYPTO_CRYPTO_TEST_UTIL_H_
