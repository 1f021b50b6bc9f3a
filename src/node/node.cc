#include "node/node.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/proof_pom.h"
#include "crypto/key_file.h"
#include "rpc/clients.h"
#include "util/base58.h"
#include "util/log.h"
#include "validator/pos_vault.h"

namespace dsc::node {
namespace {

absl::StatusOr<crypto::KeyFile> LoadKey(const std::string& path, bool with_fingerprint,
                                        const char* role) {
  auto key = crypto::LoadOrCreateKeyFile(path, with_fingerprint);
  if (!key.ok()) {
    return absl::Status(key.status().code(),
                        absl::StrCat(role, " key: ", key.status().message()));
  }
  return key;
}

std::string Size(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30)) return absl::StrFormat("%.2f GiB", bytes / 1073741824.0);
  return absl::StrFormat("%.2f MiB", bytes / 1048576.0);
}

// Logs a table build's progress: percent and MB/s while it runs, the time at the end.
core::ProgressFn LogProgress(std::string what) {
  return [what](const core::BuildProgress& p) {
    auto log = util::Logger("validator");
    const double mb = static_cast<double>(p.done_bytes) / 1e6;
    const double rate = p.seconds > 0 ? mb / p.seconds : 0;
    if (p.finished) {
      log->info("{}: {} done, {} in {:.1f} s ({:.0f} MB/s)", what, p.phase, Size(p.total_bytes),
                p.seconds, rate);
    } else {
      log->info("{}: {} {:.0f}% ({:.0f} MB, {:.0f} MB/s)", what, p.phase,
                p.total_bytes == 0 ? 100.0 : 100.0 * p.done_bytes / p.total_bytes, mb, rate);
    }
  };
}

// The validator's proof engine. PoM and PoS build their table here (seconds to minutes).
absl::StatusOr<std::unique_ptr<core::ProofEngine>> MakeEngine(const NodeOptions& o,
                                                              const core::Fingerprint& fp,
                                                              const core::PublicKey& key) {
  auto log = util::Logger("validator");
  const ValidatorSettings& v = o.validator;
  if (v.proof == "pom") {
    core::PomOptions po;
    po.memory_bytes = v.memory;
    po.threads = v.threads_hash;
    po.progress = LogProgress("PoM table");
    po.cancel = o.interrupt;
    log->info("PoM: filling {} of RAM with records ({} threads)", Size(v.memory), v.threads_hash);
    auto engine = core::PomEngine::Create(fp, key, po);
    if (!engine.ok()) return engine.status();
    const core::TableBuildTimes& t = (*engine)->times();
    const double seconds = t.generate_seconds + t.sort_seconds;
    const uint64_t bytes = (*engine)->layout().bytes();
    log->info("PoM table ready: gen/org {} hashes ({:.1f} sec ~ {:.0f} MB/s): {} records in {} "
              "buckets, generate {:.1f} s, sort {:.1f} s",
              Size(bytes), seconds, seconds > 0 ? bytes / 1e6 / seconds : 0,
              (*engine)->layout().records(), (*engine)->layout().buckets(), t.generate_seconds,
              t.sort_seconds);
    return std::unique_ptr<core::ProofEngine>(std::move(*engine));
  }
  if (v.proof == "pos") {
    auto geometry = VaultGeometry(v);
    if (!geometry.ok()) return geometry.status();
    validator::PosOptions po;
    po.path = o.VaultPath();
    po.geometry = *geometry;
    po.threads_hash = v.threads_hash;
    po.threads_io = v.threads_io;
    po.build_in_ram = v.ram_build.value_or(1) != 0;
    po.ram_build_bytes = v.ram_build.value_or(0);
    po.rebuild = v.rebuild_vault;
    po.progress = LogProgress("PoS vault");
    po.cancel = o.interrupt;
    log->info("PoS: vault {}: {} records, {} buckets x {} cups x {} records ({} of the {} disk "
              "budget)",
              po.path, geometry->records(), geometry->buckets, geometry->cups_per_bucket,
              geometry->cup_size, Size(geometry->file_bytes()), Size(v.disk));
    auto engine = validator::PosEngine::Open(fp, key, po);
    if (!engine.ok()) return engine.status();
    const validator::VaultHeader& h = (*engine)->header();
    const double seconds = (h.generate_ms + h.sort_ms) / 1000.0;
    log->info("PoS vault {}: gen/org {} hashes ({:.1f} sec ~ {:.0f} MB/s): {} records, "
              "generate {:.1f} s, sort {:.1f} s",
              (*engine)->reused() ? "reused" : "ready", Size(geometry->data_bytes()), seconds,
              seconds > 0 ? geometry->data_bytes() / 1e6 / seconds : 0, h.records,
              h.generate_ms / 1000.0, h.sort_ms / 1000.0);
    return std::unique_ptr<core::ProofEngine>(std::move(*engine));
  }
  return std::unique_ptr<core::ProofEngine>(
      std::make_unique<core::PowEngine>(fp, key, v.threads_hash));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const NodeOptions& options) {
  if (auto s = options.Validate(); !s.ok()) return s;
  std::unique_ptr<Node> node(new Node(options));
  if (absl::Status s = node->StartAll(); !s.ok()) {
    node->Stop();
    return s;
  }
  return node;
}

Node::~Node() { Stop(); }

void Node::Stop() {
  while (!stops_.empty()) {
    auto stop = std::move(stops_.back());
    stops_.pop_back();
    stop();
  }
}

absl::Status Node::StartAll() {
  auto log = util::Logger("node");
  const NodeOptions& o = options_;
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--data-dir: cannot create ", o.data_dir, ": ", ec.message()));
  }
  rpc::ClientOptions client;

  // The validator's key and proof engine first: building a PoM table or a PoS vault takes
  // a while, and a vault that cannot be used should stop start-up before any role runs.
  std::optional<crypto::KeyFile> validator_key;
  std::unique_ptr<core::ProofEngine> engine;
  if (o.Has(Role::kValidator)) {
    const std::string path = o.validator.key_file.empty()
                                 ? (std::filesystem::path(o.data_dir) / "validator-key.yaml").string()
                                 : o.validator.key_file;
    auto key = LoadKey(path, true, "validator");
    if (!key.ok()) return key.status();
    validator_key = *key;
    auto made = MakeEngine(o, *key->fingerprint, key->key.public_key);
    if (!made.ok()) return made.status();
    engine = std::move(*made);
  }

  // Store: one RocksDB per node, for the roles that keep state.
  if (o.Has(Role::kChain) || o.Has(Role::kPool)) {
    storage::RocksStoreOptions so;
    so.path = (std::filesystem::path(o.data_dir) / "db").string();
    auto store = storage::OpenRocksStore(so);
    if (!store.ok()) return store.status();
    ctx_.store = std::move(*store);
    stops_.push_back([this] { ctx_.store.reset(); });
  }

  // Metronome key (needed by a local chain too).
  std::optional<crypto::KeyPair> metronome_key;
  if (o.Has(Role::kMetronome)) {
    auto key = LoadKey((std::filesystem::path(o.data_dir) / "metronome-key.yaml").string(), false,
                       "metronome");
    if (!key.ok()) return key.status();
    metronome_key = key->key;
  }
  if (!o.Has(Role::kMetronome) &&
      (o.Has(Role::kValidator) || o.Has(Role::kChain))) {
    client.address = o.metronome_address;
    ctx_.remote_metronome = rpc::NewRemoteMetronome(client);
    ctx_.metronome_api = ctx_.remote_metronome.get();
    stops_.push_back([this] { ctx_.remote_metronome.reset(); });
  }

  // Chain.
  if (o.Has(Role::kChain)) {
    chain::ChainOptions co;
    co.params = o.params;
    co.verify_threads = o.chain_verify_threads;
    co.signature_cache = &ctx_.signature_cache;
    if (metronome_key.has_value()) {
      const core::PublicKey key = metronome_key->public_key;
      co.metronome_key_source = [key]() -> absl::StatusOr<core::PublicKey> { return key; };
    } else {
      core::MetronomeApi* remote = ctx_.metronome_api;
      co.metronome_key_source = [remote]() -> absl::StatusOr<core::PublicKey> {
        auto status = remote->GetStatus();
        if (!status.ok()) return status.status();
        return status->metronome_key;
      };
    }
    auto chain = chain::Chain::Open(ctx_.store.get(), co);
    if (!chain.ok()) return chain.status();
    ctx_.chain = std::move(*chain);
    ctx_.chain_api = ctx_.chain.get();
    stops_.push_back([this] {
      ctx_.chain->Interrupt();
      ctx_.chain.reset();
    });
  } else if (o.Has(Role::kPool) || o.Has(Role::kMetronome)) {
    client.address = o.chain_address;
    ctx_.remote_chain = rpc::NewRemoteChain(client);
    ctx_.chain_api = ctx_.remote_chain.get();
    stops_.push_back([this] { ctx_.remote_chain.reset(); });
  }

  // Pool.
  if (o.Has(Role::kPool)) {
    pool::PoolOptions po = o.pool;
    po.signature_cache = &ctx_.signature_cache;
    auto pool = pool::Pool::Open(ctx_.store.get(), ctx_.chain_api, po);
    if (!pool.ok()) return pool.status();
    ctx_.pool = std::move(*pool);
    ctx_.pool->Start();
    ctx_.pool_api = ctx_.pool.get();
    stops_.push_back([this] {
      ctx_.pool->Stop();
      ctx_.pool.reset();
    });
  } else if (o.Has(Role::kMetronome) || o.Has(Role::kValidator)) {
    client.address = o.pool_address;
    ctx_.remote_pool = rpc::NewRemotePool(client);
    ctx_.pool_api = ctx_.remote_pool.get();
    stops_.push_back([this] { ctx_.remote_pool.reset(); });
  }

  // Metronome.
  if (o.Has(Role::kMetronome)) {
    metronome::MetronomeOptions mo;
    mo.block_time = o.block_time;
    mo.solve_target = o.solve_target;
    mo.params = o.params;
    mo.key = *metronome_key;
    mo.fill_own_blocks = o.fill_metronome_blocks;
    if (auto s = mo.Validate(); !s.ok()) return s;
    ctx_.metronome = std::make_unique<metronome::Metronome>(ctx_.chain_api, ctx_.pool_api, mo);
    ctx_.metronome->Start();
    ctx_.metronome_api = ctx_.metronome.get();
    stops_.push_back([this] {
      ctx_.metronome->Stop();
      ctx_.metronome.reset();
    });
  }

  // Validator.
  if (o.Has(Role::kValidator)) {
    validator::ValidatorOptions vo;
    vo.key = validator_key->key;
    vo.fingerprint = *validator_key->fingerprint;
    vo.kind = o.validator.proof;
    vo.max_block_txs = o.params.max_block_txs;
    vo.block_reward = o.params.block_reward;
    ctx_.validator = std::make_unique<validator::Validator>(ctx_.metronome_api, ctx_.pool_api,
                                                            std::move(engine), vo);
    ctx_.validator->Start();
    stops_.push_back([this] {
      ctx_.validator->Stop();
      ctx_.validator.reset();
    });
  }

  // The gRPC server with the services of the local roles.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(o.listen, grpc::InsecureServerCredentials(), &ctx_.port);
  builder.SetMaxReceiveMessageSize(rpc::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(rpc::kMaxMessageBytes);
  std::vector<std::string> names;
  auto add = [&](std::unique_ptr<grpc::Service> service, const char* name) {
    builder.RegisterService(service.get());
    ctx_.services.push_back(std::move(service));
    names.push_back(name);
  };
  if (ctx_.pool) add(rpc::NewPoolService(ctx_.pool.get(), &ctx_.service_context), "dsc.v1.Pool");
  if (ctx_.chain) add(rpc::NewChainService(ctx_.chain.get(), &ctx_.service_context), "dsc.v1.Chain");
  if (ctx_.metronome) {
    add(rpc::NewMetronomeService(ctx_.metronome.get(), &ctx_.service_context), "dsc.v1.Metronome");
  }
  if (ctx_.validator) {
    add(rpc::NewValidatorService(ctx_.validator.get(), &ctx_.service_context), "dsc.v1.Validator");
  }
  ctx_.server = builder.BuildAndStart();
  if (ctx_.server == nullptr || ctx_.port == 0) {
    return absl::UnavailableError(absl::StrCat("--listen: cannot listen on ", o.listen,
                                               " (address in use or invalid)"));
  }
  for (const auto& name : names) {
    ctx_.server->GetHealthCheckService()->SetServingStatus(name, true);
  }
  stops_.push_back([this] {
    ctx_.service_context.shutting_down = true;
    ctx_.server->GetHealthCheckService()->Shutdown();
    ctx_.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    ctx_.server.reset();
    ctx_.services.clear();
  });
  std::string roles;
  for (Role r : o.roles) absl::StrAppend(&roles, roles.empty() ? "" : ",", RoleName(r));
  if (!o.metrics_listen.empty()) {
    auto metrics = MetricsServer::Start(o.metrics_listen, &ctx_);
    if (!metrics.ok()) return metrics.status();
    ctx_.metrics = std::move(*metrics);
    stops_.push_back([this] { ctx_.metrics.reset(); });
    log->info("Prometheus metrics on http://{}/metrics", o.metrics_listen);
  }
  log->info("dscd serving {} on port {} (data in {})", roles, ctx_.port, o.data_dir);
  return absl::OkStatus();
}

}  // namespace dsc::node
