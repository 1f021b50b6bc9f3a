#include "node/node.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "crypto/key_file.h"
#include "rpc/clients.h"
#include "util/base58.h"
#include "util/log.h"

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
    auto pool = pool::Pool::Open(ctx_.store.get(), ctx_.chain_api, o.pool);
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
    const std::string path = o.validator.key_file.empty()
                                 ? (std::filesystem::path(o.data_dir) / "validator-key.yaml").string()
                                 : o.validator.key_file;
    auto key = LoadKey(path, true, "validator");
    if (!key.ok()) return key.status();
    validator::ValidatorOptions vo;
    vo.key = key->key;
    vo.fingerprint = *key->fingerprint;
    vo.kind = o.validator.proof;
    vo.max_block_txs = o.params.max_block_txs;
    vo.block_reward = o.params.block_reward;
    auto engine = std::make_unique<core::PowEngine>(vo.fingerprint, vo.key.public_key,
                                                    o.validator.threads_hash);
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
  log->info("dscd serving {} on port {} (data in {})", roles, ctx_.port, o.data_dir);
  return absl::OkStatus();
}

}  // namespace dsc::node
