// Node options: which roles run here, where the others are, and every setting of the
// roles. Filled from dsc-config.yaml (LoadConfigFile) and then from flags (in main).
#ifndef DSC_NODE_OPTIONS_H_
#define DSC_NODE_OPTIONS_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/params.h"
#include "pool/pool.h"

namespace dsc::node {

enum class Role { kPool, kChain, kMetronome, kValidator };

// Parses "pool,chain", "all", ... Returns kInvalidArgument naming an unknown role.
absl::StatusOr<std::set<Role>> ParseRoles(std::string_view text);
std::string RoleName(Role role);

struct ValidatorSettings {
  std::string key_file;          // default: <data_dir>/validator-key.yaml
  std::string proof = "pow";     // pow (pom, pos: see the validators issue)
  int threads_hash = 1;
};

struct NodeOptions {
  std::set<Role> roles;
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "./dsc-data";
  std::string log_level = "info";  // debug, info, warn, error
  // Addresses of roles that do not run in this process.
  std::string pool_address;
  std::string chain_address;
  std::string metronome_address;
  absl::Duration block_time = absl::Seconds(6);
  bool fill_metronome_blocks = true;
  core::ConsensusParams params;
  pool::PoolOptions pool;
  ValidatorSettings validator;
  int chain_verify_threads = 2;

  bool Has(Role role) const { return roles.count(role) != 0; }
  // Returns kInvalidArgument naming the missing or bad setting.
  absl::Status Validate() const;
};

// Reads dsc-config.yaml into `options` (only the keys present change it). Returns
// kInvalidArgument naming the file and the key for unknown keys or bad values, kNotFound
// if the file does not exist.
absl::Status LoadConfigFile(const std::string& path, NodeOptions* options);

// Parses "ADDRESS:COINS" (COINS a decimal amount). kInvalidArgument if malformed.
absl::StatusOr<core::GenesisAlloc> ParseGenesisAlloc(std::string_view text);

}  // namespace dsc::node

#endif  // DSC_NODE_OPTIONS_H_
