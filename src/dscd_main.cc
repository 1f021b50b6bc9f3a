// dscd: the DSC node. Flags are read here only; everything else takes NodeOptions.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "node/node.h"
#include "node/options.h"
#include "util/amount.h"
#include "util/log.h"
#include "util/time.h"

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
ABSL_FLAG(std::string, proof, "", "validator proof kind: pow");
ABSL_FLAG(std::string, threads_hash, "", "validator hashing threads (default 1)");
ABSL_FLAG(std::string, log_level, "", "debug, info, warn, error (default info)");

namespace {

int Fail(const std::string& message) {
  std::cerr << dsc::util::FormatMillis(dsc::util::NowMillis()) << " dscd: " << message << "\n";
  return 2;
}

absl::StatusOr<int> ParseInt(const std::string& flag, const std::string& text, int lo, int hi) {
  int v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text, ": expected a whole number from ", lo, " to ", hi));
  }
  return v;
}

// Lets users write --data-dir as well as --data_dir: rewrites dashes in flag names.
void NormalizeFlagNames(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* arg = argv[i];
    if (arg[0] != '-' || arg[1] != '-') continue;
    for (char* p = arg + 2; *p != '\0' && *p != '='; ++p) {
      if (*p == '-') *p = '_';
    }
  }
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
      "  dscd --role=validator --pool=HOST:PORT --metronome=HOST:PORT");
  NormalizeFlagNames(argc, argv);
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

  auto node = dsc::node::Node::Start(options);
  if (!node.ok()) return Fail(std::string(node.status().message()));
  int signal = 0;
  sigwait(&signals, &signal);
  dsc::util::Logger("node")->info("Signal {} received, stopping", signal);
  (*node)->Stop();
  dsc::util::Logger("node")->info("Stopped cleanly");
  return 0;
}
