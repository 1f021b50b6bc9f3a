// Service-test fixtures: real dscd nodes started in process with node::Node::Start and
// reached ONLY over gRPC (raw dsc.v1 stubs and the rpc::NewRemote* clients).
//
// Two nodes are shared by every test of the binary (started on first use, stopped when
// the test run ends):
//  - AllRolesNode(): roles all (pool, chain, metronome, validator), a 300 ms block time;
//    its validator wins every round at once (difficulty capped at 8).
//  - MetronomeNode(): pool, chain and metronome without a validator, a 700 ms block time,
//    so a test can play rounds itself (Metronome.SubmitBlock) without racing anyone.
// Both fund kFundedKeys test keys with kFunding each. Every test takes its own keys with
// FreshKey(), so tests stay independent in any order.
#ifndef DSC_TEST_SERVICE_SERVICE_FIXTURE_H_
#define DSC_TEST_SERVICE_SERVICE_FIXTURE_H_

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "crypto/key_file.h"
#include "dsc/v1/chain.grpc.pb.h"
#include "dsc/v1/metronome.grpc.pb.h"
#include "dsc/v1/pool.grpc.pb.h"
#include "dsc/v1/validator.grpc.pb.h"
#include "node/node.h"
#include "rpc/clients.h"
#include "rpc/convert.h"
#include "testing/fixtures.h"

namespace Catch {
template <>
struct StringMaker<grpc::Status> {
  static std::string convert(const grpc::Status& s) {
    return std::to_string(static_cast<int>(s.error_code())) + " \"" + s.error_message() + "\"";
  }
};
}  // namespace Catch

// CHECKs a grpc::Status: its code and that its message contains `part`.
#define DSC_CHECK_GRPC(expr, expected_code, part)                                   \
  do {                                                                              \
    const grpc::Status dsc_grpc_ = (expr);                                          \
    INFO(#expr << " -> code " << static_cast<int>(dsc_grpc_.error_code()) << " \"" \
               << dsc_grpc_.error_message() << "\"");                               \
    CHECK(dsc_grpc_.error_code() == (expected_code));                               \
    CHECK_THAT(dsc_grpc_.error_message(), Catch::Matchers::Contains(part));         \
  } while (false)

#define DSC_REQUIRE_GRPC_OK(expr)                                                   \
  do {                                                                              \
    const grpc::Status dsc_grpc_ = (expr);                                          \
    INFO(#expr << " -> code " << static_cast<int>(dsc_grpc_.error_code()) << " \"" \
               << dsc_grpc_.error_message() << "\"");                               \
    REQUIRE(dsc_grpc_.ok());                                                        \
  } while (false)

namespace dsc::service_test {

using testing::TestKey;

inline constexpr uint64_t kCoin = 1'000'000;
inline constexpr uint32_t kFundedKeys = 96;
inline constexpr uint64_t kFunding = 1000 * kCoin;
inline constexpr uint32_t kNodeValidatorKey = 500;
inline constexpr uint32_t kMetronomeKey = 501;

// A ClientContext with a deadline.
inline std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout = absl::Seconds(10)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

// One in-process node and the stubs to reach it.
class TestNode {
 public:
  TestNode(std::set<node::Role> roles, absl::Duration block_time) : dir_("dsc_service_test") {
    testing::InitTesting();
    // Known metronome and validator keys, so tests can check producers and balances.
    const auto metronome = TestKey(kMetronomeKey);
    REQUIRE(crypto::SaveKeyFile(dir_.Sub("metronome-key.yaml"), {metronome, std::nullopt}).ok());
    REQUIRE(crypto::SaveKeyFile(dir_.Sub("validator-key.yaml"),
                                {TestKey(kNodeValidatorKey),
                                 testing::TestFingerprint(kNodeValidatorKey)})
                .ok());
    node::NodeOptions options;
    options.roles = std::move(roles);
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "127.0.0.1:0";
    options.data_dir = dir_.path();
    options.block_time = block_time;
    std::vector<crypto::KeyPair> funded;
    for (uint32_t i = 1; i <= kFundedKeys; ++i) funded.push_back(TestKey(i));
    options.params = testing::TestParams(funded, kFunding, /*initial_difficulty=*/4);
    options.params.max_difficulty = 8;
    options.validator.threads_hash = 1;
    params_ = options.params;
    auto started = node::Node::Start(options);
    INFO(started.status().ToString());
    REQUIRE(started.ok());
    node_ = std::move(*started);
    address_ = "127.0.0.1:" + std::to_string(node_->port());
    channel_ = rpc::MakeChannel(address_);
    pool_ = dsc::v1::Pool::NewStub(channel_);
    chain_ = dsc::v1::Chain::NewStub(channel_);
    metronome_ = dsc::v1::Metronome::NewStub(channel_);
    validator_ = dsc::v1::Validator::NewStub(channel_);
  }
  ~TestNode() {
    pool_.reset();
    chain_.reset();
    metronome_.reset();
    validator_.reset();
    channel_.reset();
    node_.reset();
  }

  const std::string& address() const { return address_; }
  int metrics_port() const { return node_->metrics_port(); }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  dsc::v1::Pool::Stub& pool() { return *pool_; }
  dsc::v1::Chain::Stub& chain() { return *chain_; }
  dsc::v1::Metronome::Stub& metronome() { return *metronome_; }
  dsc::v1::Validator::Stub& validator() { return *validator_; }
  const core::ConsensusParams& params() const { return params_; }
  rpc::ClientOptions client_options() const {
    rpc::ClientOptions o;
    o.address = address_;
    return o;
  }

  // ----------------------------------------------------------- typed helpers
  dsc::v1::PoolStats Stats() {
    dsc::v1::PoolStats stats;
    DSC_REQUIRE_GRPC_OK(pool_->GetStats(Ctx().get(), {}, &stats));
    return stats;
  }

  dsc::v1::ChainTip Tip() {
    dsc::v1::ChainTip tip;
    DSC_REQUIRE_GRPC_OK(chain_->GetTip(Ctx().get(), {}, &tip));
    return tip;
  }

  dsc::v1::GetBalanceResponse Balance(const crypto::KeyPair& key) {
    dsc::v1::GetBalanceRequest req;
    req.set_address(testing::B58(key.public_key));
    dsc::v1::GetBalanceResponse resp;
    DSC_REQUIRE_GRPC_OK(chain_->GetBalance(Ctx().get(), req, &resp));
    return resp;
  }

  // The pool's status of `tx` (by its id).
  dsc::v1::TxStatusEntry Status(const core::Transaction& tx) {
    dsc::v1::GetStatusRequest req;
    req.add_ids(testing::B58(core::ComputeTxId(tx)));
    dsc::v1::GetStatusResponse resp;
    DSC_REQUIRE_GRPC_OK(pool_->GetStatus(Ctx().get(), req, &resp));
    REQUIRE(resp.statuses_size() == 1);
    return resp.statuses(0);
  }

  grpc::Status SubmitRaw(const core::Transaction& tx, dsc::v1::SubmitResponse* resp = nullptr) {
    dsc::v1::SubmitRequest req;
    req.set_raw(core::EncodeTx(tx));
    dsc::v1::SubmitResponse ignored;
    return pool_->Submit(Ctx().get(), req, resp != nullptr ? resp : &ignored);
  }

  grpc::Status SubmitStructured(const dsc::v1::Transaction& tx,
                                dsc::v1::SubmitResponse* resp = nullptr) {
    dsc::v1::SubmitRequest req;
    *req.mutable_tx() = tx;
    dsc::v1::SubmitResponse ignored;
    return pool_->Submit(Ctx().get(), req, resp != nullptr ? resp : &ignored);
  }

  // Waits for the block after the current tip; returns its height.
  uint64_t WaitNextBlock() {
    const uint64_t next = Tip().header().height() + 1;
    dsc::v1::GetBlockRequest req;
    req.set_height(next);
    req.set_wait_ms(10'000);
    dsc::v1::GetBlockResponse resp;
    DSC_REQUIRE_GRPC_OK(chain_->GetBlock(Ctx(absl::Seconds(15)).get(), req, &resp));
    return next;
  }

  // Waits until the pool reports `tx` confirmed; returns the confirming height.
  uint64_t WaitConfirmed(const core::Transaction& tx, absl::Duration timeout = absl::Seconds(10)) {
    uint64_t height = 0;
    const bool ok = testing::WaitUntil(
        [&] {
          const auto s = Status(tx);
          height = s.height();
          return s.status() == dsc::v1::TX_STATUS_CONFIRMED;
        },
        timeout);
    REQUIRE(ok);
    return height;
  }

 private:
  testing::TempDir dir_;
  core::ConsensusParams params_;
  std::unique_ptr<node::Node> node_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<dsc::v1::Pool::Stub> pool_;
  std::unique_ptr<dsc::v1::Chain::Stub> chain_;
  std::unique_ptr<dsc::v1::Metronome::Stub> metronome_;
  std::unique_ptr<dsc::v1::Validator::Stub> validator_;
};

// The shared nodes (defined in service_main_test.cc).
TestNode& AllRolesNode();
TestNode& MetronomeNode();

// A funded key (kFunding, nonce 0 on both nodes) no other test uses.
crypto::KeyPair FreshKey();

inline core::Transaction Tx(const crypto::KeyPair& from, const crypto::KeyPair& to,
                            uint64_t amount, uint64_t nonce, uint64_t fee = 0) {
  return core::MakeTransaction(from, to.public_key, amount, fee, nonce, util::NowMillis());
}

inline dsc::v1::Transaction ToProto(const core::Transaction& tx) {
  dsc::v1::Transaction out;
  rpc::ToProto(tx, &out);
  return out;
}

// Base58 of `n` bytes of 0x5a: well-formed Base58, wrong length for most fields.
inline std::string B58OfLength(size_t n) {
  return util::Base58Encode(std::vector<uint8_t>(n, 0x5a));
}

// A grpc::ByteBuffer holding `bytes`, and back.
inline grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}
inline std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  REQUIRE(buffer.Dump(&slices).ok());
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace dsc::service_test

#endif  // DSC_TEST_SERVICE_SERVICE_FIXTURE_H_
