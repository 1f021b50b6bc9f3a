// Remote roles: gRPC clients implementing the core role interfaces, so a role in another
// process is used exactly like a local one. All are thread-safe. Calls carry a deadline
// (options.timeout) and map gRPC errors to absl::Status by code; an unreachable node is
// kUnavailable with a message naming its address.
#ifndef DSC_RPC_CLIENTS_H_
#define DSC_RPC_CLIENTS_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "absl/time/time.h"
#include "core/api.h"

namespace dsc::rpc {

struct ClientOptions {
  std::string address;                         // HOST:PORT
  absl::Duration timeout = absl::Seconds(10);  // per unary call
};

// An insecure channel to `address` that accepts large messages (blocks of 8192 txs).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

std::unique_ptr<core::PoolApi> NewRemotePool(const ClientOptions& options);
std::unique_ptr<core::ChainApi> NewRemoteChain(const ClientOptions& options);
// The metronome client keeps one StreamRounds stream open in a background thread
// (reconnecting with backoff) and serves WaitForRound from it.
std::unique_ptr<core::MetronomeApi> NewRemoteMetronome(const ClientOptions& options);
std::unique_ptr<core::ValidatorApi> NewRemoteValidator(const ClientOptions& options);

}  // namespace dsc::rpc

#endif  // DSC_RPC_CLIENTS_H_
