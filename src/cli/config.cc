#include "cli/config.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace dsc::cli {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Reads `<section>.server` from `root` into `out`. yaml-cpp throws; the caller catches.
absl::Status ReadServer(const YAML::Node& root, const char* section, const std::string& path,
                        std::optional<std::string>* out) {
  const YAML::Node node = root[section];
  if (!node || !node.IsMap()) return absl::OkStatus();
  const YAML::Node server = node["server"];
  if (!server || server.IsNull()) return absl::OkStatus();
  if (!server.IsScalar() || server.Scalar().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("config ", path, ": key ", section,
                                                   ".server must be a HOST:PORT string"));
  }
  *out = server.Scalar();
  return absl::OkStatus();
}

}  // namespace

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return absl::StrCat(dir, "/", name);
}

absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open config file ", path));
  std::stringstream text;
  text << in.rdbuf();
  ClientConfig config;
  try {
    const YAML::Node root = YAML::Load(text.str());
    if (!root || root.IsNull()) return config;  // an empty file names nothing
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config ", path, ": expected a mapping of sections at the top level"));
    }
    absl::Status status = ReadServer(root, "pool", path, &config.pool);
    if (status.ok()) status = ReadServer(root, "blockchain", path, &config.chain);
    if (status.ok()) status = ReadServer(root, "metronome", path, &config.metronome);
    if (status.ok()) status = ReadServer(root, "validator", path, &config.validator);
    if (!status.ok()) return status;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config ", path, ": ", e.what()));
  }
  return config;
}

std::string ResolveWalletDir(const ParsedArgs& args,
                             const std::optional<std::string>& env_wallet_dir) {
  if (auto dir = args.Get("wallet-dir"); dir.has_value() && !dir->empty()) return *dir;
  if (env_wallet_dir.has_value() && !env_wallet_dir->empty()) return *env_wallet_dir;
  return ".";
}

std::optional<std::string> ResolveConfigPath(const ParsedArgs& args,
                                             const std::string& wallet_dir) {
  if (auto path = args.Get("config"); path.has_value()) return *path;
  std::string path = JoinPath(wallet_dir, kConfigFileName);
  if (FileExists(path)) return path;
  return std::nullopt;
}

absl::StatusOr<Endpoints> ResolveEndpoints(const ParsedArgs& args, const ClientConfig& config) {
  std::optional<std::string> node = args.Get("node");
  if (node.has_value() && node->empty()) {
    return absl::InvalidArgumentError("flag --node needs a HOST:PORT value");
  }
  auto resolve = [&](const char* flag,
                     const std::optional<std::string>& configured) -> absl::StatusOr<std::string> {
    if (auto value = args.Get(flag); value.has_value()) {
      if (value->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", flag, " needs a HOST:PORT value"));
      }
      return *value;
    }
    if (node.has_value()) return *node;
    if (configured.has_value()) return *configured;
    return std::string(kDefaultNodeAddress);
  };
  Endpoints endpoints;
  absl::StatusOr<std::string> address = resolve("pool", config.pool);
  if (!address.ok()) return address.status();
  endpoints.pool = *address;
  address = resolve("chain", config.chain);
  if (!address.ok()) return address.status();
  endpoints.chain = *address;
  address = resolve("metronome", config.metronome);
  if (!address.ok()) return address.status();
  endpoints.metronome = *address;
  address = resolve("validator", config.validator);
  if (!address.ok()) return address.status();
  endpoints.validator = *address;
  return endpoints;
}

}  // namespace dsc::cli
