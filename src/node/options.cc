#include "util/strings.h"
#include "node/options.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "crypto/crypto.h"
#include "util/amount.h"
#include "util/time.h"

namespace dsc::node {

using util::AV;
using util::SV;

absl::StatusOr<std::set<Role>> ParseRoles(std::string_view text) {
  std::set<Role> roles;
  for (absl::string_view part : absl::StrSplit(AV(text), ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    if (part == "all") {
      roles = {Role::kPool, Role::kChain, Role::kMetronome, Role::kValidator};
    } else if (part == "pool") {
      roles.insert(Role::kPool);
    } else if (part == "chain" || part == "blockchain") {
      roles.insert(Role::kChain);
    } else if (part == "metronome") {
      roles.insert(Role::kMetronome);
    } else if (part == "validator") {
      roles.insert(Role::kValidator);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--role: unknown role '", part, "' (expected pool, chain, metronome, validator or all)"));
    }
  }
  if (roles.empty()) {
    return absl::InvalidArgumentError(
        "--role is required: a comma-separated subset of pool,chain,metronome,validator, or all");
  }
  return roles;
}

std::string RoleName(Role role) {
  switch (role) {
    case Role::kPool: return "pool";
    case Role::kChain: return "chain";
    case Role::kMetronome: return "metronome";
    case Role::kValidator: return "validator";
  }
  return "?";
}

absl::Status NodeOptions::Validate() const {
  if (roles.empty()) return absl::InvalidArgumentError("--role is required");
  if (listen.empty()) return absl::InvalidArgumentError("--listen must be HOST:PORT");
  if (data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  auto need = [&](Role user, Role peer, const std::string& address, const char* flag) {
    if (Has(user) && !Has(peer) && address.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " is required: the ", RoleName(user), " role runs here without the ",
          RoleName(peer), " role"));
    }
    return absl::OkStatus();
  };
  for (const auto& s : {need(Role::kPool, Role::kChain, chain_address, "--chain"),
                        need(Role::kMetronome, Role::kChain, chain_address, "--chain"),
                        need(Role::kMetronome, Role::kPool, pool_address, "--pool"),
                        need(Role::kChain, Role::kMetronome, metronome_address, "--metronome"),
                        need(Role::kValidator, Role::kMetronome, metronome_address, "--metronome"),
                        need(Role::kValidator, Role::kPool, pool_address, "--pool")}) {
    if (!s.ok()) return s;
  }
  if (block_time < absl::Milliseconds(100) || block_time > absl::Hours(1)) {
    return absl::InvalidArgumentError("--block-time must be between 100ms and 1h");
  }
  if (validator.proof != "pow") {
    return absl::InvalidArgumentError(absl::StrCat(
        "validator proof '", validator.proof, "' is not available (expected pow)"));
  }
  if (validator.threads_hash < 1 || validator.threads_hash > 256) {
    return absl::InvalidArgumentError("validator threads_hash must be between 1 and 256");
  }
  if (pool.max_pending < 1) return absl::InvalidArgumentError("pool max_pending must be positive");
  if (pool.verify_threads < 1 || pool.verify_threads > 256) {
    return absl::InvalidArgumentError("pool verify_threads must be between 1 and 256");
  }
  return params.Validate();
}

absl::StatusOr<core::GenesisAlloc> ParseGenesisAlloc(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("genesis allocation '", AV(text), "' must be ADDRESS:COINS"));
  }
  auto address = crypto::Decode32(text.substr(0, colon), "genesis address");
  if (!address.ok()) return address.status();
  auto amount = util::ParseAmount(text.substr(colon + 1));
  if (!amount.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("genesis allocation '", AV(text), "': ", amount.status().message()));
  }
  return core::GenesisAlloc{*address, *amount};
}

namespace {

// Walks a YAML mapping, refusing keys it does not know.
class Section {
 public:
  Section(const YAML::Node& node, std::string path, std::string file)
      : node_(node), path_(std::move(path)), file_(std::move(file)) {}

  absl::Status CheckKeys(std::initializer_list<const char*> known) const {
    if (!node_ || node_.IsNull()) return absl::OkStatus();
    if (!node_.IsMap()) return Error(path_, "must be a mapping");
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      bool ok = false;
      for (const char* k : known) ok = ok || key == k;
      if (!ok) return Error(Join(key), "unknown key");
    }
    return absl::OkStatus();
  }
  Section Child(const char* key) const { return Section(node_ ? node_[key] : YAML::Node(), Join(key), file_); }
  bool Has(const char* key) const { return node_ && node_.IsMap() && node_[key]; }

  template <typename T>
  absl::Status Get(const char* key, T* out) const {
    if (!Has(key)) return absl::OkStatus();
    try {
      *out = node_[key].as<T>();
    } catch (const YAML::Exception&) {
      return Error(Join(key), "has the wrong type");
    }
    return absl::OkStatus();
  }
  absl::Status GetDuration(const char* key, absl::Duration* out) const {
    std::string text;
    if (auto s = Get(key, &text); !s.ok() || !Has(key)) return s;
    auto d = util::ParsePositiveDuration(text);
    if (!d.ok()) return Error(Join(key), d.status().message());
    *out = *d;
    return absl::OkStatus();
  }
  absl::Status GetAmount(const char* key, uint64_t* out) const {
    std::string text;
    if (auto s = Get(key, &text); !s.ok() || !Has(key)) return s;
    auto a = util::ParseAmount(text);
    if (!a.ok()) return Error(Join(key), a.status().message());
    *out = *a;
    return absl::OkStatus();
  }
  absl::Status Error(const std::string& key, absl::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat(file_, ": ", key, ": ", why));
  }
  const YAML::Node& node() const { return node_; }
  std::string Join(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  YAML::Node node_;
  std::string path_;
  std::string file_;
};

#define DSC_RETURN_IF_ERROR(expr)          \
  do {                                     \
    if (absl::Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

absl::Status ApplyConfig(const YAML::Node& root, const std::string& file, NodeOptions* o) {
  Section top(root, "", file);
  DSC_RETURN_IF_ERROR(top.CheckKeys({"node", "wallet", "pool", "blockchain", "metronome",
                                     "monitor", "validator"}));
  Section node = top.Child("node");
  DSC_RETURN_IF_ERROR(node.CheckKeys({"role", "listen", "data_dir", "log_level"}));
  if (node.Has("role")) {
    std::string roles;
    DSC_RETURN_IF_ERROR(node.Get("role", &roles));
    auto parsed = ParseRoles(roles);
    if (!parsed.ok()) return node.Error("node.role", parsed.status().message());
    o->roles = *parsed;
  }
  DSC_RETURN_IF_ERROR(node.Get("listen", &o->listen));
  DSC_RETURN_IF_ERROR(node.Get("data_dir", &o->data_dir));
  DSC_RETURN_IF_ERROR(node.Get("log_level", &o->log_level));

  Section wallet = top.Child("wallet");  // used by the dsc client
  DSC_RETURN_IF_ERROR(wallet.CheckKeys({"key_file", "server"}));
  Section monitor = top.Child("monitor");  // used by the dsc client
  DSC_RETURN_IF_ERROR(monitor.CheckKeys({"interval", "server"}));

  Section pool = top.Child("pool");
  DSC_RETURN_IF_ERROR(pool.CheckKeys({"server", "max_pending", "verify_threads"}));
  DSC_RETURN_IF_ERROR(pool.Get("server", &o->pool_address));
  DSC_RETURN_IF_ERROR(pool.Get("max_pending", &o->pool.max_pending));
  DSC_RETURN_IF_ERROR(pool.Get("verify_threads", &o->pool.verify_threads));

  Section chain = top.Child("blockchain");
  DSC_RETURN_IF_ERROR(chain.CheckKeys({"server", "block_reward", "max_block_txs",
                                       "initial_difficulty", "min_difficulty", "max_difficulty",
                                       "verify_threads", "genesis"}));
  DSC_RETURN_IF_ERROR(chain.Get("server", &o->chain_address));
  DSC_RETURN_IF_ERROR(chain.GetAmount("block_reward", &o->params.block_reward));
  DSC_RETURN_IF_ERROR(chain.Get("max_block_txs", &o->params.max_block_txs));
  DSC_RETURN_IF_ERROR(chain.Get("initial_difficulty", &o->params.initial_difficulty));
  DSC_RETURN_IF_ERROR(chain.Get("min_difficulty", &o->params.min_difficulty));
  DSC_RETURN_IF_ERROR(chain.Get("max_difficulty", &o->params.max_difficulty));
  DSC_RETURN_IF_ERROR(chain.Get("verify_threads", &o->chain_verify_threads));
  if (chain.Has("genesis")) {
    const YAML::Node list = chain.node()["genesis"];
    if (!list.IsSequence()) return chain.Error("blockchain.genesis", "must be a list");
    for (size_t i = 0; i < list.size(); ++i) {
      Section entry(list[i], absl::StrCat("blockchain.genesis[", i, "]"), file);
      DSC_RETURN_IF_ERROR(entry.CheckKeys({"address", "coins"}));
      std::string address;
      std::string coins;
      DSC_RETURN_IF_ERROR(entry.Get("address", &address));
      DSC_RETURN_IF_ERROR(entry.Get("coins", &coins));
      auto alloc = ParseGenesisAlloc(absl::StrCat(AV(address), ":", coins));
      if (!alloc.ok()) return entry.Error(entry.Join("address"), alloc.status().message());
      o->params.genesis.push_back(*alloc);
    }
  }

  Section metronome = top.Child("metronome");
  DSC_RETURN_IF_ERROR(metronome.CheckKeys({"server", "block_time", "fill_blocks"}));
  DSC_RETURN_IF_ERROR(metronome.Get("server", &o->metronome_address));
  DSC_RETURN_IF_ERROR(metronome.GetDuration("block_time", &o->block_time));
  DSC_RETURN_IF_ERROR(metronome.Get("fill_blocks", &o->fill_metronome_blocks));

  Section validator = top.Child("validator");
  DSC_RETURN_IF_ERROR(validator.CheckKeys({"server", "key_file", "proof_pow", "proof_pom",
                                           "proof_pos"}));
  DSC_RETURN_IF_ERROR(validator.Get("key_file", &o->validator.key_file));
  int enabled = 0;
  for (const char* kind : {"proof_pow", "proof_pom", "proof_pos"}) {
    Section proof = validator.Child(kind);
    DSC_RETURN_IF_ERROR(proof.CheckKeys({"enable", "threads_hash", "memory", "disk", "buckets",
                                         "cup_size", "cups_per_bucket", "threads_io", "vault"}));
    bool enable = false;
    DSC_RETURN_IF_ERROR(proof.Get("enable", &enable));
    if (!enable) continue;
    ++enabled;
    o->validator.proof = std::string(kind).substr(6);
    DSC_RETURN_IF_ERROR(proof.Get("threads_hash", &o->validator.threads_hash));
  }
  if (enabled > 1) {
    return validator.Error("validator", "enable only one of proof_pow, proof_pom, proof_pos");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadConfigFile(const std::string& path, NodeOptions* options) {
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat("--config: no file at ", path));
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid YAML: ", e.what()));
  }
  try {
    return ApplyConfig(root, path, options);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
}

}  // namespace dsc::node
