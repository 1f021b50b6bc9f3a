// Prometheus metrics over HTTP: GET /metrics renders the state of the roles running in
// this process in the text exposition format. One server thread ("metrics"); the roles
// are read through their thread-safe interfaces.
#ifndef DSC_NODE_METRICS_H_
#define DSC_NODE_METRICS_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace dsc::node {

struct NodeContext;

// The exposition text for the local roles of `ctx`.
std::string RenderMetrics(NodeContext& ctx);

class MetricsServer {
 public:
  // Listens on `listen` (HOST:PORT; port 0 picks one). kInvalidArgument if malformed,
  // kUnavailable if the address cannot be bound. `ctx` must outlive the server.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                              NodeContext* ctx);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace dsc::node

#endif  // DSC_NODE_METRICS_H_
