#include "util/strings.h"
#include "node/options.h"

#include <sys/statvfs.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/proof_table.h"
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

namespace {

std::string Bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30)) return absl::StrFormat("%.2f GiB", bytes / 1073741824.0);
  if (bytes >= (uint64_t{1} << 20)) return absl::StrFormat("%.2f MiB", bytes / 1048576.0);
  if (bytes >= (uint64_t{1} << 10)) return absl::StrFormat("%.2f KiB", bytes / 1024.0);
  return absl::StrCat(bytes, " bytes");
}

uint64_t PhysicalRam() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

absl::Status ValidatePomBudget(const ValidatorSettings& v) {
  if (v.memory < core::kEntryBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "validator.proof_pom.memory (--memory) must hold at least one 16-byte record, e.g. "
        "512M or 1G (got ", v.memory, ")"));
  }
  const uint64_t ram = PhysicalRam();
  if (ram > 0 && v.memory > ram) {
    return absl::InvalidArgumentError(absl::StrCat("validator.proof_pom.memory (--memory) ",
                                                   Bytes(v.memory), " is more than this machine's RAM (",
                                                   Bytes(ram), ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePosBudget(const ValidatorSettings& v, const std::string& vault) {
  auto geometry = VaultGeometry(v);
  if (!geometry.ok()) return geometry.status();
  const uint64_t ram = PhysicalRam();
  const uint64_t need_ram = validator::PosBuildRamBytes(*geometry, v.threads_hash, v.threads_io);
  if (ram > 0 && need_ram > ram) {
    return absl::InvalidArgumentError(absl::StrCat(
        "validator.proof_pos: building the vault takes ", Bytes(need_ram),
        " of RAM (a cup of cup_size x 16 bytes per bucket, and a bucket per sorting thread), "
        "more than this machine's RAM (", Bytes(ram), "); use fewer buckets or a smaller "
        "cup_size"));
  }
  // Free disk where the vault goes (its folder may not exist yet); an existing vault's
  // space is reused or freed before a rebuild.
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(vault, ec).parent_path();
  while (!dir.empty() && !std::filesystem::exists(dir, ec) && dir != dir.root_path()) {
    dir = dir.parent_path();
  }
  struct statvfs fs;
  if (!dir.empty() && ::statvfs(dir.c_str(), &fs) == 0) {
    uint64_t available = static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize);
    const uint64_t existing = std::filesystem::file_size(vault, ec);
    if (!ec) available += existing;
    if (geometry->file_bytes() > available) {
      return absl::InvalidArgumentError(absl::StrCat(
          "validator.proof_pos.disk (--disk): the vault needs ", Bytes(geometry->file_bytes()),
          " but only ", Bytes(available), " are free in ", dir.string()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<validator::PosGeometry> VaultGeometry(const ValidatorSettings& v) {
  auto geometry = validator::DerivePosGeometry(v.disk, v.buckets, v.cup_size, v.cups_per_bucket);
  if (!geometry.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("validator.proof_pos: ", geometry.status().message()));
  }
  return geometry;
}

std::string NodeOptions::VaultPath() const {
  if (!validator.vault.empty()) return validator.vault;
  return (std::filesystem::path(data_dir) / "vault.dsc").string();
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
  if (solve_target < absl::ZeroDuration() || solve_target > block_time) {
    return absl::InvalidArgumentError(
        "metronome.solve_target must be between 0 (block time / 32) and the block time");
  }
  if (validator.proof != "pow" && validator.proof != "pom" && validator.proof != "pos") {
    return absl::InvalidArgumentError(absl::StrCat(
        "validator proof '", validator.proof, "' is not available (expected pow, pom or pos)"));
  }
  if (validator.threads_hash < 1 || validator.threads_hash > 256) {
    return absl::InvalidArgumentError("validator threads_hash must be between 1 and 256");
  }
  if (validator.threads_io < 1 || validator.threads_io > 256) {
    return absl::InvalidArgumentError("validator threads_io must be between 1 and 256");
  }
  if (Has(Role::kValidator) && validator.proof == "pom") {
    if (auto s = ValidatePomBudget(validator); !s.ok()) return s;
  }
  if (Has(Role::kValidator) && validator.proof == "pos") {
    if (auto s = ValidatePosBudget(validator, VaultPath()); !s.ok()) return s;
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
  absl::Status GetSize(const char* key, uint64_t* out) const {
    std::string text;
    if (auto s = Get(key, &text); !s.ok() || !Has(key)) return s;
    auto size = util::ParseByteSize(text);
    if (!size.ok()) return Error(Join(key), size.status().message());
    *out = *size;
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
  DSC_RETURN_IF_ERROR(node.CheckKeys({"role", "listen", "data_dir", "log_level", "metrics_listen"}));
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
  DSC_RETURN_IF_ERROR(node.Get("metrics_listen", &o->metrics_listen));

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
  DSC_RETURN_IF_ERROR(
      metronome.CheckKeys({"server", "block_time", "solve_target", "fill_blocks"}));
  DSC_RETURN_IF_ERROR(metronome.Get("server", &o->metronome_address));
  DSC_RETURN_IF_ERROR(metronome.GetDuration("block_time", &o->block_time));
  DSC_RETURN_IF_ERROR(metronome.GetDuration("solve_target", &o->solve_target));
  DSC_RETURN_IF_ERROR(metronome.Get("fill_blocks", &o->fill_metronome_blocks));

  Section validator = top.Child("validator");
  DSC_RETURN_IF_ERROR(validator.CheckKeys({"server", "key_file", "proof_pow", "proof_pom",
                                           "proof_pos"}));
  DSC_RETURN_IF_ERROR(validator.Get("key_file", &o->validator.key_file));
  int enabled = 0;
  for (const std::string kind : {"proof_pow", "proof_pom", "proof_pos"}) {
    Section proof = validator.Child(kind.c_str());
    DSC_RETURN_IF_ERROR(proof.CheckKeys({"enable", "threads_hash", "memory", "disk", "buckets",
                                         "cup_size", "cups_per_bucket", "threads_io", "vault",
                                         "ram_build"}));
    // A setting in the section of a proof it does not apply to is refused, not ignored.
    for (const char* key : {"memory", "disk", "buckets", "cup_size", "cups_per_bucket",
                            "threads_io", "vault", "ram_build"}) {
      const std::string owner = std::string(key) == "memory" ? "proof_pom" : "proof_pos";
      if (proof.Has(key) && kind != owner) {
        return proof.Error(proof.Join(key), absl::StrCat("is not a setting of ", kind,
                                                         " (it belongs in ", owner, ")"));
      }
    }
    // The settings of each proof are read whether or not it is enabled here, so that
    // --proof can pick it.
    DSC_RETURN_IF_ERROR(proof.GetSize("memory", &o->validator.memory));
    DSC_RETURN_IF_ERROR(proof.GetSize("disk", &o->validator.disk));
    DSC_RETURN_IF_ERROR(proof.Get("buckets", &o->validator.buckets));
    DSC_RETURN_IF_ERROR(proof.Get("cup_size", &o->validator.cup_size));
    DSC_RETURN_IF_ERROR(proof.Get("cups_per_bucket", &o->validator.cups_per_bucket));
    DSC_RETURN_IF_ERROR(proof.Get("threads_io", &o->validator.threads_io));
    DSC_RETURN_IF_ERROR(proof.Get("vault", &o->validator.vault));
    if (proof.Has("ram_build")) {
      uint64_t bytes = 0;
      DSC_RETURN_IF_ERROR(proof.GetSize("ram_build", &bytes));
      o->validator.ram_build = bytes;
    }
    bool enable = false;
    DSC_RETURN_IF_ERROR(proof.Get("enable", &enable));
    if (!enable) continue;
    ++enabled;
    o->validator.proof = kind.substr(6);
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
