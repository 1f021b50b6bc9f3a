// Where the dsc client finds its files and the nodes serving each role.
//
// Address resolution, per role: the role flag (--pool/--chain/--metronome/--validator)
// > --node > the config file (`pool.server`, `blockchain.server`, `metronome.server`,
// `validator.server` of dsc-config.yaml) > kDefaultNodeAddress. The config file is
// --config=FILE, else dsc-config.yaml in the wallet dir if present; every other section
// and key of that file (the node reads them) is ignored.
// Thread-compatible value types and functions (they read files).
#ifndef DSC_CLI_CONFIG_H_
#define DSC_CLI_CONFIG_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cli/args.h"

namespace dsc::cli {

inline constexpr char kDefaultNodeAddress[] = "127.0.0.1:50051";
inline constexpr char kKeyFileName[] = "dsc-key.yaml";
inline constexpr char kConfigFileName[] = "dsc-config.yaml";
inline constexpr char kWalletDirEnv[] = "DSC_WALLET_DIR";

// The role addresses a config file names (absent keys stay nullopt).
struct ClientConfig {
  std::optional<std::string> pool;
  std::optional<std::string> chain;
  std::optional<std::string> metronome;
  std::optional<std::string> validator;
};

// The resolved address of every role.
struct Endpoints {
  std::string pool;
  std::string chain;
  std::string metronome;
  std::string validator;
};

// Reads the `<section>.server` keys of the YAML file at `path`. Returns kNotFound if the
// file cannot be opened, kInvalidArgument naming the file (and key) if it is not YAML
// or a server key is not a non-empty string.
absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path);

// The wallet directory: --wallet-dir, else `env_wallet_dir` ($DSC_WALLET_DIR) when
// non-empty, else ".".
std::string ResolveWalletDir(const ParsedArgs& args,
                             const std::optional<std::string>& env_wallet_dir);

// The config file to read: --config (which must exist), else `wallet_dir`/dsc-config.yaml
// if it exists, else nullopt.
std::optional<std::string> ResolveConfigPath(const ParsedArgs& args,
                                             const std::string& wallet_dir);

// Applies the resolution order above. Returns kInvalidArgument if an address flag is
// empty.
absl::StatusOr<Endpoints> ResolveEndpoints(const ParsedArgs& args, const ClientConfig& config);

// `dir`/`name`, without doubling a trailing slash.
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace dsc::cli

#endif  // DSC_CLI_CONFIG_H_
