// Node options: which roles run here, where the others are, and every setting of the
// roles. Filled from dsc-config.yaml (LoadConfigFile) and then from flags (in main).
#ifndef DSC_NODE_OPTIONS_H_
#define DSC_NODE_OPTIONS_H_

#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/params.h"
#include "pool/pool.h"
#include "validator/pos_vault.h"

namespace dsc::node {

enum class Role { kPool, kChain, kMetronome, kValidator };

// Parses "pool,chain", "all", ... Returns kInvalidArgument naming an unknown role.
absl::StatusOr<std::set<Role>> ParseRoles(std::string_view text);
std::string RoleName(Role role);

struct ValidatorSettings {
  std::string key_file;          // default: <data_dir>/validator-key.yaml
  std::string proof = "pow";     // pow, pom or pos
  int threads_hash = 1;          // hashing threads (all proofs)
  // pom: RAM filled with records, 16 bytes each (1G = 67,108,864 records).
  uint64_t memory = uint64_t{1} << 30;
  // pos: the vault file (default <data_dir>/vault.dsc; a relative path is taken from the
  // working directory), its size budget, and its geometry (0 = derived from disk).
  std::string vault;
  uint64_t disk = uint64_t{1} << 30;
  uint64_t buckets = 0;
  uint64_t cup_size = 0;
  uint64_t cups_per_bucket = 0;
  int threads_io = 1;            // vault writer threads
  // pos: the largest vault built in RAM (then written with direct I/O) rather than through
  // the page cache; unset = half the RAM available when the build starts, 0 = never.
  std::optional<uint64_t> ram_build;
  bool rebuild_vault = false;    // replace a vault that cannot be used instead of refusing
};

struct NodeOptions {
  std::set<Role> roles;
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "./dsc-data";
  std::string log_level = "info";  // debug, info, warn, error
  std::string metrics_listen;      // HOST:PORT of the Prometheus /metrics endpoint; empty = off
  // Addresses of roles that do not run in this process.
  std::string pool_address;
  std::string chain_address;
  std::string metronome_address;
  absl::Duration block_time = absl::Seconds(6);
  absl::Duration solve_target = absl::ZeroDuration();  // metronome; zero = block_time / 32
  bool fill_metronome_blocks = true;
  core::ConsensusParams params;
  pool::PoolOptions pool;
  ValidatorSettings validator;
  int chain_verify_threads = 2;
  // Set by main: becomes true on SIGINT/SIGTERM, so that long start-up work (building a
  // PoM table or a PoS vault) stops early. Not owned; may be null.
  const std::atomic<bool>* interrupt = nullptr;

  bool Has(Role role) const { return roles.count(role) != 0; }
  // The PoS vault file: validator.vault, or <data_dir>/vault.dsc.
  std::string VaultPath() const;
  // Returns kInvalidArgument naming the missing or bad setting. For a PoM or PoS
  // validator, also refuses a memory or disk budget this machine cannot meet: zero, more
  // than its RAM, more than the free disk at the vault, or an inconsistent vault geometry.
  absl::Status Validate() const;
};

// The vault geometry of the settings (derived from disk where left 0). Returns
// kInvalidArgument naming the validator.proof_pos key at fault.
absl::StatusOr<validator::PosGeometry> VaultGeometry(const ValidatorSettings& settings);

// Reads dsc-config.yaml into `options` (only the keys present change it). Returns
// kInvalidArgument naming the file and the key for unknown keys or bad values, kNotFound
// if the file does not exist.
absl::Status LoadConfigFile(const std::string& path, NodeOptions* options);

// Parses "ADDRESS:COINS" (COINS a decimal amount). kInvalidArgument if malformed.
absl::StatusOr<core::GenesisAlloc> ParseGenesisAlloc(std::string_view text);

}  // namespace dsc::node

#endif  // DSC_NODE_OPTIONS_H_
