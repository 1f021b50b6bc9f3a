// NormalizeFlagNames: dashes in flag names become underscores, nothing else changes.
#include "util/flags.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace dsc::util {
namespace {

std::vector<std::string> Normalize(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  NormalizeFlagNames(static_cast<int>(argv.size()), argv.data());
  return args;
}

TEST_CASE("NormalizeFlagNames rewrites dashes in names only", "[util]") {
  // argv[0] is the program name and stays as it is.
  const auto out = Normalize({"--data-dir=x", "--data-dir=/a-b/c-d", "--block-time", "6s",
                              "-x-y", "plain-arg", "--", "--print-genesis", "--a=b-c"});
  CHECK(out == std::vector<std::string>{"--data-dir=x", "--data_dir=/a-b/c-d", "--block_time",
                                        "6s", "-x-y", "plain-arg", "--", "--print_genesis",
                                        "--a=b-c"});
}

}  // namespace
}  // namespace dsc::util
