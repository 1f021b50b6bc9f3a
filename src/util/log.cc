#include "util/log.h"

#include <mutex>

#include "spdlog/sinks/stdout_color_sinks.h"

namespace dsc::util {
namespace {
constexpr char kPattern[] = "%Y%m%d %H:%M:%S.%e %^%L%$ [%n] %v";
std::mutex g_mu;
}  // namespace

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_pattern(kPattern);
  logger->set_level(spdlog::get_level());
  return logger;
}

bool SetLogLevel(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  return true;
}

}  // namespace dsc::util
