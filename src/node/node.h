// The node: NodeContext holds the enabled roles (local objects or remote clients) and
// one gRPC server hosting the services of the local roles, with health checking and
// reflection. Roles start in dependency order (store, chain, pool, metronome, validator,
// server) and always stop in reverse, also after a failed start. A validator's proof
// engine (its PoM table or PoS vault) is built before any role starts.
#ifndef DSC_NODE_NODE_H_
#define DSC_NODE_NODE_H_

#include <functional>
#include <memory>
#include <vector>

#include <grpcpp/server.h>

#include "absl/status/statusor.h"
#include "chain/chain.h"
#include "core/api.h"
#include "metronome/metronome.h"
#include "node/metrics.h"
#include "node/options.h"
#include "pool/pool.h"
#include "rpc/services.h"
#include "storage/store.h"
#include "validator/validator.h"

namespace dsc::node {

// Everything a running node holds. Members are set in start order.
struct NodeContext {
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<core::ChainApi> remote_chain;
  std::unique_ptr<chain::Chain> chain;
  std::unique_ptr<core::PoolApi> remote_pool;
  std::unique_ptr<pool::Pool> pool;
  std::unique_ptr<core::MetronomeApi> remote_metronome;
  std::unique_ptr<metronome::Metronome> metronome;
  std::unique_ptr<validator::Validator> validator;
  core::SignatureCache signature_cache;  // shared by the local pool and chain
  rpc::ServiceContext service_context;
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the port the server listens on
  std::unique_ptr<MetricsServer> metrics;  // when options.metrics_listen is set

  // The interfaces the roles use: local objects or remote clients.
  core::ChainApi* chain_api = nullptr;
  core::PoolApi* pool_api = nullptr;
  core::MetronomeApi* metronome_api = nullptr;
};

class Node {
 public:
  // Starts every role of `options`. On failure, stops what had started and returns why.
  static absl::StatusOr<std::unique_ptr<Node>> Start(const NodeOptions& options);
  ~Node();

  // Stops the server and every role in reverse start order. Idempotent.
  void Stop();
  int port() const { return ctx_.port; }
  // The port of the /metrics endpoint, 0 if it is off.
  int metrics_port() const { return ctx_.metrics ? ctx_.metrics->port() : 0; }

 private:
  explicit Node(NodeOptions options) : options_(std::move(options)) {}
  absl::Status StartAll();

  const NodeOptions options_;
  NodeContext ctx_;
  std::vector<std::function<void()>> stops_;  // run in reverse by Stop()
};

}  // namespace dsc::node

#endif  // DSC_NODE_NODE_H_
