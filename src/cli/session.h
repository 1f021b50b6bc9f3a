// Internal to dsc_cli_lib: the state of one RunCli call shared by the commands (parsed
// line, printer, clock, wallet dir, lazily resolved addresses and role clients).
// Thread-compatible.
#ifndef DSC_CLI_SESSION_H_
#define DSC_CLI_SESSION_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/output.h"
#include "core/api.h"
#include "crypto/crypto.h"

namespace dsc::cli {

// A usage error: RunCli prints the command's usage line and returns kExitUsage.
absl::Status UsageError(const std::string& message);
bool IsUsageError(const absl::Status& status);

// The integer flag `name` of `args` if given; kInvalidArgument naming the flag unless it
// is a decimal integer in [min, max].
absl::StatusOr<std::optional<uint64_t>> IntFlag(const ParsedArgs& args, std::string_view name,
                                                uint64_t min, uint64_t max);
// The duration flag `name` of `args` ("2s", "500ms"), or `fallback` when absent;
// kInvalidArgument naming the flag unless it is a positive duration.
absl::StatusOr<absl::Duration> DurationFlag(const ParsedArgs& args, std::string_view name,
                                            absl::Duration fallback);

class Session {
 public:
  // `deps` and `printer` must outlive the session.
  Session(ParsedArgs args, const CliDeps& deps, Printer* printer);

  const ParsedArgs& args() const { return args_; }
  Printer& printer() { return *printer_; }
  int64_t NowMillis() const;
  void Sleep(absl::Duration d) const;

  const std::string& wallet_dir() const { return wallet_dir_; }
  // wallet_dir/dsc-key.yaml
  std::string KeyPath() const;
  // LoadWallet(KeyPath()).
  absl::StatusOr<crypto::KeyPair> LoadKey() const;

  // The role addresses (reads the config file on first use).
  absl::StatusOr<Endpoints> GetEndpoints();

  // The role clients, created on first use from the resolved address.
  absl::StatusOr<core::PoolApi*> Pool();
  absl::StatusOr<core::ChainApi*> Chain();
  absl::StatusOr<core::MetronomeApi*> Metronome();
  absl::StatusOr<core::ValidatorApi*> Validator();

 private:
  ParsedArgs args_;
  const CliDeps& deps_;
  Printer* printer_;
  std::string wallet_dir_;
  std::optional<Endpoints> endpoints_;
  std::unique_ptr<core::PoolApi> pool_;
  std::unique_ptr<core::ChainApi> chain_;
  std::unique_ptr<core::MetronomeApi> metronome_;
  std::unique_ptr<core::ValidatorApi> validator_;
};

// Runs `dsc monitor` (monitor.cc).
absl::Status RunMonitor(Session& session);

}  // namespace dsc::cli

#endif  // DSC_CLI_SESSION_H_
