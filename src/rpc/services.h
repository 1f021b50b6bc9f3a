// gRPC services: thin adapters that validate and convert requests, call a role through
// its core interface and map the Status. No business logic here. Thread-safe as the
// roles they wrap.
#ifndef DSC_RPC_SERVICES_H_
#define DSC_RPC_SERVICES_H_

#include <atomic>
#include <memory>

#include <grpcpp/impl/service_type.h>

#include "core/api.h"

namespace dsc::rpc {

// Request-size limits enforced by every service (beyond gRPC's message size limit).
inline constexpr int kMaxBatch = 10'000;
inline constexpr int kMaxMessageBytes = 64 << 20;

// Set to true when the server shuts down: open streams end.
struct ServiceContext {
  std::atomic<bool> shutting_down{false};
};

std::unique_ptr<grpc::Service> NewPoolService(core::PoolApi* pool, ServiceContext* ctx);
std::unique_ptr<grpc::Service> NewChainService(core::ChainApi* chain, ServiceContext* ctx);
std::unique_ptr<grpc::Service> NewMetronomeService(core::MetronomeApi* metronome,
                                                   ServiceContext* ctx);
std::unique_ptr<grpc::Service> NewValidatorService(core::ValidatorApi* validator,
                                                   ServiceContext* ctx);

}  // namespace dsc::rpc

#endif  // DSC_RPC_SERVICES_H_
