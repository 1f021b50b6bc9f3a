// The production CliDeps, in a file of its own so that tests linking dsc_cli_lib with
// fake roles do not pull in the gRPC clients.
#include <cstdlib>

#include "cli/commands.h"
#include "cli/config.h"
#include "rpc/clients.h"
#include "util/time.h"

namespace dsc::cli {
namespace {

rpc::ClientOptions Options(const std::string& address) {
  rpc::ClientOptions options;
  options.address = address;
  options.timeout = absl::Seconds(10);
  return options;
}

}  // namespace

CliDeps DefaultCliDeps() {
  CliDeps deps;
  deps.new_pool = [](const std::string& address) { return rpc::NewRemotePool(Options(address)); };
  deps.new_chain = [](const std::string& address) {
    return rpc::NewRemoteChain(Options(address));
  };
  deps.new_metronome = [](const std::string& address) {
    return rpc::NewRemoteMetronome(Options(address));
  };
  deps.new_validator = [](const std::string& address) {
    return rpc::NewRemoteValidator(Options(address));
  };
  deps.now_ms = [] { return util::NowMillis(); };
  deps.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  if (const char* dir = std::getenv(kWalletDirEnv); dir != nullptr) deps.env_wallet_dir = dir;
  return deps;
}

}  // namespace dsc::cli
