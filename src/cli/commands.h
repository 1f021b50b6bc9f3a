// The dsc client: wallet, chain queries, validator status and the monitor.
//
// RunCli runs one command line against nodes reached through the factories of CliDeps
// (by default the gRPC clients of src/rpc/clients.h), so tests can run every command
// against in-process fakes. Output contract:
//   - every line starts with the DSC timestamp "YYYYMMDD HH:MM:SS.mmm ";
//   - the first line on stdout is "<ts> DSC v<version>";
//   - a failure prints "<ts> Error: <message>" on stderr and returns 1; a usage error
//     (unknown command or flag, wrong number of arguments) also prints the command's
//     usage line on stderr and returns 2.
// Concurrent RunCli calls are safe if the CliDeps functions they share are thread-safe.
#ifndef DSC_CLI_COMMANDS_H_
#define DSC_CLI_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/api.h"

namespace dsc::cli {

// The client's version, shown on the first line of every command ("DSC v0.1.0").
extern const char kVersion[];

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// What RunCli needs from the outside world. Every factory is called at most once per
// RunCli call, with the resolved HOST:PORT of its role, and only by commands that use
// the role; a factory may not return null.
struct CliDeps {
  std::function<std::unique_ptr<core::PoolApi>(const std::string& address)> new_pool;
  std::function<std::unique_ptr<core::ChainApi>(const std::string& address)> new_chain;
  std::function<std::unique_ptr<core::MetronomeApi>(const std::string& address)> new_metronome;
  std::function<std::unique_ptr<core::ValidatorApi>(const std::string& address)> new_validator;
  // Wall clock in ms since the epoch (stamps lines, measures timeouts); defaults to
  // util::NowMillis when empty.
  std::function<int64_t()> now_ms;
  // Waits between polls; defaults to absl::SleepFor when empty.
  std::function<void(absl::Duration)> sleep;
  // The value of $DSC_WALLET_DIR, if set.
  std::optional<std::string> env_wallet_dir;
};

// The production dependencies: rpc::NewRemote* clients (10 s per call), the system
// clock, and $DSC_WALLET_DIR from the environment.
CliDeps DefaultCliDeps();

// Runs the command line `args` (without the program name) and returns the exit code.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const CliDeps& deps);

}  // namespace dsc::cli

#endif  // DSC_CLI_COMMANDS_H_
