// The dsc command line: a tiny hand-written parser (no absl flags) so that flags may
// appear anywhere on the line, between or after positional arguments:
//   dsc --node=h:1 wallet send 1.5 ADDR --no-wait --fee 0.1
// Thread-compatible value types and pure functions.
#ifndef DSC_CLI_ARGS_H_
#define DSC_CLI_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dsc::cli {

// Flags that take a value: `--name=value` or `--name value`.
inline constexpr std::string_view kValueFlags[] = {
    "node", "pool", "chain", "metronome", "validator", "wallet-dir", "config",
    "fee",  "timeout", "limit", "interval", "count", "height", "metronome-key",
};
// Flags without a value: `--name` (or `--name=true|false`).
inline constexpr std::string_view kBoolFlags[] = {"no-wait", "watch", "txs", "help"};
// Flags every command accepts (where to find the nodes and the wallet).
inline constexpr std::string_view kGlobalFlags[] = {
    "node", "pool", "chain", "metronome", "validator", "wallet-dir", "config", "help",
};

struct ParsedArgs {
  std::vector<std::string> positional;
  // Flag name (without "--") -> value; boolean flags hold "true" or "false". When a
  // flag is repeated the last value wins.
  std::map<std::string, std::string, std::less<>> flags;

  bool Has(std::string_view name) const { return flags.find(name) != flags.end(); }
  // The flag's value, or nullopt when absent.
  std::optional<std::string> Get(std::string_view name) const;
  // True iff the boolean flag was given and not set to false.
  bool Bool(std::string_view name) const;
};

// Splits `args` (without the program name) into positional arguments and flags.
// "--" ends the flags; "-h" means "--help". Returns kInvalidArgument for an unknown
// flag, a value flag without a value, a value given to a boolean flag other than
// true/false, or a single-dash option.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args);

// Returns kInvalidArgument naming the first flag of `parsed` that is neither global
// nor in `allowed`, e.g. "flag --fee does not apply to `dsc wallet balance`".
absl::Status CheckFlags(const ParsedArgs& parsed, const std::vector<std::string_view>& allowed,
                        std::string_view command);

}  // namespace dsc::cli

#endif  // DSC_CLI_ARGS_H_
