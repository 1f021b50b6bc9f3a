// dscd: the DSC node. Flags are read here only; everything else takes NodeOptions.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "crypto/key_file.h"
#include "node/node.h"
#include "node/options.h"
#include "util/amount.h"
#include "util/flags.h"
#include "util/log.h"
#include "util/time.h"
#include "validator/pos_vault.h"

ABSL_FLAG(std::string, role, "", "roles to run: comma-separated pool,chain,metronome,validator, or all");
ABSL_FLAG(std::string, config, "", "dsc-config.yaml to read settings from (flags win)");
ABSL_FLAG(std::string, data_dir, "", "folder for the database and keys (default ./dsc-data)");
ABSL_FLAG(std::string, listen, "", "HOST:PORT of the gRPC server (default 127.0.0.1:50051)");
ABSL_FLAG(std::string, pool, "", "HOST:PORT of the pool when it runs elsewhere");
ABSL_FLAG(std::string, chain, "", "HOST:PORT of the chain when it runs elsewhere");
ABSL_FLAG(std::string, metronome, "", "HOST:PORT of the metronome when it runs elsewhere");
ABSL_FLAG(std::string, block_time, "", "time between blocks, e.g. 6s, 500ms (default 6s)");
ABSL_FLAG(std::string, genesis_alloc, "",
          "ADDRESS:COINS given in the genesis block (repeat the flag for several)");
ABSL_FLAG(std::string, max_block_txs, "", "transactions per block at most (default 8192)");
ABSL_FLAG(std::string, block_reward, "", "coins minted to a winning validator (default 1)");
ABSL_FLAG(std::string, initial_difficulty, "", "difficulty bits of the first round (default 12)");
ABSL_FLAG(std::string, validator_key, "", "validator key file (default <data-dir>/validator-key.yaml)");
ABSL_FLAG(std::string, proof, "", "validator proof kind: pow, pom (memory) or pos (space on disk)");
ABSL_FLAG(std::string, threads_hash, "", "validator hashing threads (default 1)");
ABSL_FLAG(std::string, memory, "", "pom: RAM to fill with records, e.g. 512M, 1G (default 1G)");
ABSL_FLAG(std::string, disk, "", "pos: size of the vault file, e.g. 10G (default 1G)");
ABSL_FLAG(std::string, vault, "", "pos: the vault file (default <data-dir>/vault.dsc)");
ABSL_FLAG(std::string, buckets, "", "pos: buckets in the vault, a power of two (default: from --disk)");
ABSL_FLAG(std::string, cup_size, "", "pos: records per cup, the unit written at once (default 1024)");
ABSL_FLAG(std::string, cups_per_bucket, "", "pos: cups per bucket (default: from --disk)");
ABSL_FLAG(std::string, threads_io, "", "pos: vault writer threads (default 1)");
ABSL_FLAG(std::string, pos_ram_build, "",
          "pos: largest vault built in RAM, e.g. 4G; 0 = never (default: half the RAM "
          "available)");
ABSL_FLAG(bool, rebuild_vault, false,
          "pos: replace a vault that cannot be used (other key or geometry, truncated, corrupt) "
          "instead of refusing to start");
ABSL_FLAG(bool, pos_check, false,
          "print the vault's header and first and last 5 records, verify every record, and exit "
          "(0 if valid, 1 if not); the node does not start");
ABSL_FLAG(std::string, metrics_listen, "", "HOST:PORT for Prometheus metrics at /metrics (default off)");
ABSL_FLAG(std::string, log_level, "", "debug, info, warn, error (default info)");

namespace {

int Fail(const std::string& message) {
  std::cerr << dsc::util::FormatMillis(dsc::util::NowMillis()) << " dscd: " << message << "\n";
  return 2;
}

// Set by the signal thread: SIGINT/SIGTERM arrived.
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};

absl::StatusOr<uint64_t> ParseCount(const std::string& flag, const std::string& text) {
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text, ": expected a whole number"));
  }
  return v;
}

// --pos-check: prints and verifies the vault; 0 if valid, 1 if not.
int PosCheck(const dsc::node::NodeOptions& options) {
  const std::string path = options.VaultPath();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  absl::Status s = dsc::validator::CheckVault(
      path, static_cast<int>(cores), [](const std::string& line) { std::cout << line << "\n"; });
  if (absl::IsNotFound(s)) return 1;
  // Whose vault: the validator key file of this data dir, if there is one.
  const std::string key_path =
      options.validator.key_file.empty()
          ? (std::filesystem::path(options.data_dir) / "validator-key.yaml").string()
          : options.validator.key_file;
  auto header = dsc::validator::ReadVaultHeader(path);
  if (auto key = dsc::crypto::LoadKeyFile(key_path); key.ok() && header.ok()) {
    const bool mine = key->key.public_key == header->key &&
                      key->fingerprint.has_value() && *key->fingerprint == header->fingerprint;
    std::cout << "Validator key " << key_path
              << (mine ? ": this vault is its vault" : ": this vault belongs to another key")
              << "\n";
  }
  std::cout.flush();
  return s.ok() ? 0 : 1;
}

absl::StatusOr<int> ParseInt(const std::string& flag, const std::string& text, int lo, int hi) {
  int v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text, ": expected a whole number from ", lo, " to ", hi));
  }
  return v;
}

// Pulls every --genesis-alloc out of argv (absl flags keep only the last occurrence).
std::vector<std::string> TakeRepeated(int* argc, char** argv, const std::string& name) {
  std::vector<std::string> values;
  int out = 1;
  const std::string eq = "--" + name + "=";
  for (int i = 1; i < *argc; ++i) {
    std::string arg = argv[i];
    if (absl::StartsWith(arg, eq)) {
      values.push_back(arg.substr(eq.size()));
    } else if (arg == "--" + name && i + 1 < *argc) {
      values.push_back(argv[++i]);
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the DSC node.\n  dscd --role=all --genesis-alloc=ADDRESS:COINS\n"
      "  dscd --role=pool,chain,metronome --listen=0.0.0.0:50051\n"
      "  dscd --role=validator --pool=HOST:PORT --metronome=HOST:PORT [--proof=pom --memory=1G]\n"
      "  dscd --role=validator ... --proof=pos --disk=10G [--vault=FILE]\n"
      "  dscd --pos-check [--vault=FILE | --data-dir=DIR]");
  dsc::util::NormalizeFlagNames(argc, argv);
  std::vector<std::string> allocs = TakeRepeated(&argc, argv, "genesis_alloc");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) return Fail(absl::StrCat("unexpected argument '", rest[1], "'"));
  if (auto s = dsc::crypto::Init(); !s.ok()) return Fail(std::string(s.message()));

  dsc::node::NodeOptions options;
  const std::string config = absl::GetFlag(FLAGS_config);
  if (!config.empty()) {
    if (auto s = dsc::node::LoadConfigFile(config, &options); !s.ok()) {
      return Fail(std::string(s.message()));
    }
  }
  auto set = [](const std::string& v, std::string* out) {
    if (!v.empty()) *out = v;
  };
  if (!absl::GetFlag(FLAGS_role).empty()) {
    auto roles = dsc::node::ParseRoles(absl::GetFlag(FLAGS_role));
    if (!roles.ok()) return Fail(std::string(roles.status().message()));
    options.roles = *roles;
  }
  set(absl::GetFlag(FLAGS_data_dir), &options.data_dir);
  set(absl::GetFlag(FLAGS_log_level), &options.log_level);
  set(absl::GetFlag(FLAGS_metrics_listen), &options.metrics_listen);
  if (!dsc::util::SetLogLevel(options.log_level)) {
    return Fail("--log-level (node.log_level) must be one of debug, info, warn, error");
  }
  set(absl::GetFlag(FLAGS_listen), &options.listen);
  set(absl::GetFlag(FLAGS_pool), &options.pool_address);
  set(absl::GetFlag(FLAGS_chain), &options.chain_address);
  set(absl::GetFlag(FLAGS_metronome), &options.metronome_address);
  set(absl::GetFlag(FLAGS_validator_key), &options.validator.key_file);
  set(absl::GetFlag(FLAGS_proof), &options.validator.proof);
  if (const std::string v = absl::GetFlag(FLAGS_block_time); !v.empty()) {
    auto d = dsc::util::ParsePositiveDuration(v);
    if (!d.ok()) return Fail(absl::StrCat("--block-time: ", d.status().message()));
    options.block_time = *d;
  }
  if (const std::string v = absl::GetFlag(FLAGS_max_block_txs); !v.empty()) {
    auto n = ParseInt("max-block-txs", v, 1, 1'000'000);
    if (!n.ok()) return Fail(std::string(n.status().message()));
    options.params.max_block_txs = static_cast<uint32_t>(*n);
  }
  if (const std::string v = absl::GetFlag(FLAGS_initial_difficulty); !v.empty()) {
    auto n = ParseInt("initial-difficulty", v, 1, 192);
    if (!n.ok()) return Fail(std::string(n.status().message()));
    options.params.initial_difficulty = static_cast<uint32_t>(*n);
  }
  if (const std::string v = absl::GetFlag(FLAGS_threads_hash); !v.empty()) {
    auto n = ParseInt("threads-hash", v, 1, 256);
    if (!n.ok()) return Fail(std::string(n.status().message()));
    options.validator.threads_hash = *n;
  }
  if (const std::string v = absl::GetFlag(FLAGS_threads_io); !v.empty()) {
    auto n = ParseInt("threads-io", v, 1, 256);
    if (!n.ok()) return Fail(std::string(n.status().message()));
    options.validator.threads_io = *n;
  }
  for (const auto& [flag, text, out] :
       {std::tuple{"memory", absl::GetFlag(FLAGS_memory), &options.validator.memory},
        std::tuple{"disk", absl::GetFlag(FLAGS_disk), &options.validator.disk}}) {
    if (text.empty()) continue;
    auto size = dsc::util::ParseByteSize(text);
    if (!size.ok()) return Fail(absl::StrCat("--", flag, ": ", size.status().message()));
    *out = *size;
  }
  for (const auto& [flag, text, out] :
       {std::tuple{"buckets", absl::GetFlag(FLAGS_buckets), &options.validator.buckets},
        std::tuple{"cup-size", absl::GetFlag(FLAGS_cup_size), &options.validator.cup_size},
        std::tuple{"cups-per-bucket", absl::GetFlag(FLAGS_cups_per_bucket),
                   &options.validator.cups_per_bucket}}) {
    if (text.empty()) continue;
    auto n = ParseCount(flag, text);
    if (!n.ok()) return Fail(std::string(n.status().message()));
    *out = *n;
  }
  if (const std::string v = absl::GetFlag(FLAGS_pos_ram_build); !v.empty()) {
    auto size = dsc::util::ParseByteSize(v);
    if (!size.ok()) return Fail(absl::StrCat("--pos-ram-build: ", size.status().message()));
    options.validator.ram_build = *size;
  }
  set(absl::GetFlag(FLAGS_vault), &options.validator.vault);
  if (absl::GetFlag(FLAGS_rebuild_vault)) options.validator.rebuild_vault = true;
  if (absl::GetFlag(FLAGS_pos_check)) return PosCheck(options);
  if (const std::string v = absl::GetFlag(FLAGS_block_reward); !v.empty()) {
    auto a = dsc::util::ParseAmount(v);
    if (!a.ok()) return Fail(absl::StrCat("--block-reward: ", a.status().message()));
    options.params.block_reward = *a;
  }
  for (const auto& text : allocs) {
    auto alloc = dsc::node::ParseGenesisAlloc(text);
    if (!alloc.ok()) return Fail(absl::StrCat("--genesis-alloc: ", alloc.status().message()));
    options.params.genesis.push_back(*alloc);
  }

  // Signals are taken synchronously by this thread; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // A thread takes the signal, so that a long start-up (a PoM table, a PoS vault) can be
  // interrupted too.
  std::thread waiter([signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    g_signal = signal;
    g_interrupted = true;
  });
  options.interrupt = &g_interrupted;
  auto node = dsc::node::Node::Start(options);
  if (!node.ok()) {
    if (g_interrupted) {
      waiter.join();
      dsc::util::Logger("node")->info("Signal {} received during start-up ({}); stopped",
                                      g_signal.load(), node.status().message());
      return 0;
    }
    pthread_kill(waiter.native_handle(), SIGTERM);  // wakes its sigwait
    waiter.join();
    return Fail(std::string(node.status().message()));
  }
  waiter.join();
  dsc::util::Logger("node")->info("Signal {} received, stopping", g_signal.load());
  (*node)->Stop();
  dsc::util::Logger("node")->info("Stopped cleanly");
  return 0;
}
