// Bridges between std::string_view and absl::string_view. Debian 12's Abseil is built
// with its own string_view type (ABSL_OPTION_USE_STD_STRING_VIEW 0), so the two do not
// convert implicitly. Thread-safe: pure functions.
#ifndef DSC_UTIL_STRINGS_H_
#define DSC_UTIL_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace dsc::util {

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view SV(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace dsc::util

#endif  // DSC_UTIL_STRINGS_H_
