// Loggers: one spdlog logger per role, every line prefixed "YYYYMMDD HH:MM:SS.mmm"
// as in the DSC report. Thread-safe (spdlog's multi-threaded sinks).
#ifndef DSC_UTIL_LOG_H_
#define DSC_UTIL_LOG_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

// Lets log lines format absl::string_view (e.g. Status::message()).
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Ctx>
  auto format(absl::string_view s, Ctx& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace dsc::util {

// Returns the logger called `name` (e.g. "pool"), creating it on first use with the
// DSC pattern, writing to stderr.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

// Sets the level of every logger ("debug", "info", "warn", "error", "off").
// Returns false if `level` is not one of those.
bool SetLogLevel(const std::string& level);

}  // namespace dsc::util

#endif  // DSC_UTIL_LOG_H_
