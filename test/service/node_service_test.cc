// The whole node over gRPC: a batch goes through the round and is confirmed with balances
// conserved, blocks and rounds stream in order, the validator reports its wins, and the
// node serves gRPC health checking and reflection.
#include <grpcpp/generic/generic_stub.h>

#include <random>

#include <catch2/catch.hpp>

#include "service/service_fixture.h"

namespace dsc::service_test {
namespace {

TEST_CASE("A submitted batch is confirmed and balances are conserved", "[service]") {
  TestNode& node = AllRolesNode();
  const uint64_t seed = testing::TestSeed(7);
  INFO("seed " << seed << " (set DSC_TEST_SEED to replay)");
  std::mt19937_64 rng(seed);
  std::vector<crypto::KeyPair> keys;
  for (int i = 0; i < 6; ++i) keys.push_back(FreshKey());
  std::map<core::Address, int64_t> delta;
  std::vector<uint64_t> nonces(keys.size(), 0);
  std::vector<core::Transaction> txs;
  for (int i = 0; i < 40; ++i) {
    const size_t from = rng() % keys.size();
    size_t to = rng() % keys.size();
    if (to == from) to = (to + 1) % keys.size();
    const uint64_t amount = 1 + rng() % (5 * kCoin);
    const uint64_t fee = rng() % 1000;
    txs.push_back(Tx(keys[from], keys[to], amount, nonces[from]++, fee));
    delta[keys[from].public_key] -= static_cast<int64_t>(amount + fee);
    delta[keys[to].public_key] += static_cast<int64_t>(amount);
  }

  // Through the remote pool client (SubmitBatch with canonical bytes).
  auto pool = rpc::NewRemotePool(node.client_options());
  const std::vector<absl::Status> verdicts = pool->Submit(txs);
  REQUIRE(verdicts.size() == txs.size());
  for (const auto& v : verdicts) DSC_CHECK_OK(v);

  std::vector<core::TxId> ids;
  for (const auto& tx : txs) ids.push_back(core::ComputeTxId(tx));
  REQUIRE(testing::WaitUntil(
      [&] {
        auto statuses = pool->GetStatus(ids);
        if (!statuses.ok()) return false;
        for (const auto& s : *statuses) {
          if (s.status != core::TxStatus::kConfirmed) return false;
        }
        return true;
      },
      absl::Seconds(10)));

  auto chain = rpc::NewRemoteChain(node.client_options());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto info = chain->GetAccount(keys[i].public_key);
    REQUIRE(info.ok());
    CHECK(static_cast<int64_t>(info->account.balance) ==
          static_cast<int64_t>(kFunding) + delta[keys[i].public_key]);
    CHECK(info->account.nonce == nonces[i]);
    auto next = pool->NextNonce(keys[i].public_key);
    REQUIRE(next.ok());
    CHECK(*next == nonces[i]);
  }
  // Each confirmed transaction is where the pool says, and in its addresses' history.
  auto statuses = pool->GetStatus(ids);
  REQUIRE(statuses.ok());
  for (size_t i = 0; i < txs.size(); i += 7) {
    auto rec = chain->GetTransaction(ids[i]);
    REQUIRE(rec.ok());
    CHECK(rec->tx == txs[i]);
    CHECK(rec->height == (*statuses)[i].height);
  }
  auto history = chain->GetAddressTransactions(keys[0].public_key, 1000);
  REQUIRE(history.ok());
  size_t involving = 0;
  for (const auto& tx : txs) {
    if (tx.sender == keys[0].public_key || tx.recipient == keys[0].public_key) ++involving;
  }
  CHECK(history->size() == involving);
  for (size_t i = 1; i < history->size(); ++i) {
    const auto& newer = (*history)[i - 1];
    const auto& older = (*history)[i];
    CHECK((newer.height > older.height ||
           (newer.height == older.height && newer.index > older.index)));
  }

  // Conservation over the whole node: every account that can hold coins (the funded
  // keys, the validator, the metronome) sums to the supply, read at one height.
  std::vector<core::Address> everyone;
  for (uint32_t i = 1; i <= kFundedKeys; ++i) everyone.push_back(TestKey(i).public_key);
  everyone.push_back(TestKey(kNodeValidatorKey).public_key);
  everyone.push_back(TestKey(kMetronomeKey).public_key);
  bool consistent = false;
  for (int attempt = 0; attempt < 20 && !consistent; ++attempt) {
    auto tip = chain->GetTip();
    REQUIRE(tip.ok());
    uint64_t sum = 0;
    consistent = true;
    for (const auto& address : everyone) {
      auto info = chain->GetAccount(address);
      REQUIRE(info.ok());
      if (info->height != tip->header.height) {
        consistent = false;  // a block landed meanwhile: read again
        break;
      }
      sum += info->account.balance;
    }
    if (!consistent) continue;
    CHECK(sum == tip->supply);
    // Supply = genesis + one reward per validator block.
    uint64_t validator_blocks = 0;
    for (uint64_t h = 1; h <= tip->header.height; ++h) {
      auto block = chain->GetBlock(h, absl::ZeroDuration());
      REQUIRE(block.ok());
      if (block->header.producer != TestKey(kMetronomeKey).public_key) ++validator_blocks;
    }
    CHECK(tip->supply == kFundedKeys * kFunding + validator_blocks * node.params().block_reward);
  }
  CHECK(consistent);
}

TEST_CASE("The validator role wins blocks and reports it", "[service]") {
  TestNode& node = AllRolesNode();
  node.WaitNextBlock();
  dsc::v1::ValidatorStatus status;
  DSC_REQUIRE_GRPC_OK(node.validator().GetStatus(Ctx().get(), {}, &status));
  CHECK(status.key() == testing::B58(TestKey(kNodeValidatorKey).public_key));
  CHECK(status.blocks_won() >= 1);
  CHECK(status.proof().kind() == "pow");
  auto remote = rpc::NewRemoteValidator(node.client_options());
  auto via_client = remote->GetStatus();
  REQUIRE(via_client.ok());
  CHECK(via_client->blocks_won >= status.blocks_won());
  const dsc::v1::ChainTip tip = node.Tip();
  CHECK(tip.header().producer() == status.key());
  CHECK(tip.header().reward() == node.params().block_reward);
}

TEST_CASE("Chain.StreamBlocks delivers blocks in order", "[service]") {
  TestNode& node = AllRolesNode();
  const uint64_t tip = node.Tip().header().height();
  const uint64_t from = tip >= 2 ? tip - 2 : 0;
  auto ctx = Ctx(absl::Seconds(20));
  dsc::v1::StreamBlocksRequest req;
  req.set_from_height(from);
  auto reader = node.chain().StreamBlocks(ctx.get(), req);
  std::string previous_hash;
  for (uint64_t expect = from; expect < from + 6; ++expect) {
    dsc::v1::GetBlockResponse msg;
    REQUIRE(reader->Read(&msg));
    INFO("block " << expect);
    CHECK(msg.block().header().height() == expect);
    if (!previous_hash.empty()) CHECK(msg.block().header().prev_hash() == previous_hash);
    previous_hash = msg.block().header().hash();
  }
  // Raw form: the canonical bytes decode to the same blocks.
  auto raw_ctx = Ctx(absl::Seconds(20));
  req.set_raw(true);
  auto raw_reader = node.chain().StreamBlocks(raw_ctx.get(), req);
  dsc::v1::GetBlockResponse raw_msg;
  REQUIRE(raw_reader->Read(&raw_msg));
  auto decoded = core::DecodeBlock(raw_msg.raw());
  REQUIRE(decoded.ok());
  CHECK(decoded->header.height == from);
  ctx->TryCancel();
  raw_ctx->TryCancel();
  reader->Finish();
  raw_reader->Finish();
}

TEST_CASE("Metronome.StreamRounds delivers rounds", "[service]") {
  TestNode& node = AllRolesNode();
  auto ctx = Ctx(absl::Seconds(20));
  auto reader = node.metronome().StreamRounds(ctx.get(), {});
  uint64_t last_seq = 0, last_height = 0;
  int opened = 0;
  for (int i = 0; i < 6; ++i) {
    dsc::v1::Round round;
    REQUIRE(reader->Read(&round));
    CHECK(round.seq() > last_seq);
    CHECK(round.height() >= last_height);
    CHECK(round.deadline_ms() > round.start_ms());
    CHECK(round.difficulty() >= 1);
    CHECK(round.difficulty() <= 8);
    if (round.open()) ++opened;
    last_seq = round.seq();
    last_height = round.height();
  }
  CHECK(opened >= 2);
  ctx->TryCancel();
  reader->Finish();

  // The remote metronome client serves WaitForRound from the same stream.
  auto remote = rpc::NewRemoteMetronome(node.client_options());
  auto first = remote->WaitForRound(0, absl::Seconds(5));
  REQUIRE(first.ok());
  auto second = remote->WaitForRound(first->seq, absl::Seconds(5));
  REQUIRE(second.ok());
  CHECK(second->seq > first->seq);
}

// Calls /grpc.health.v1.Health/Check with a hand-encoded HealthCheckRequest (the health
// proto's C++ client is not packaged): field 1 = service name. Returns the status and
// the serving status (HealthCheckResponse field 1; 1 = SERVING), or -1.
std::pair<grpc::Status, int> HealthCheck(TestNode& node, const std::string& service) {
  grpc::GenericStub stub(node.channel());
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  const grpc::ByteBuffer req = ToBuffer(request);
  grpc::ByteBuffer resp;
  auto ctx = Ctx();
  std::promise<grpc::Status> done;
  stub.UnaryCall(ctx.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return {status, -1};
  const std::string bytes = FromBuffer(resp);
  if (bytes.size() == 2 && bytes[0] == 0x08) return {status, bytes[1]};
  return {status, bytes.empty() ? 0 : -1};
}

TEST_CASE("The node serves gRPC health checking and reflection", "[service]") {
  TestNode& node = AllRolesNode();
  for (const std::string service : {"", "dsc.v1.Pool", "dsc.v1.Chain", "dsc.v1.Metronome",
                                    "dsc.v1.Validator"}) {
    INFO("service '" << service << "'");
    const auto [status, serving] = HealthCheck(node, service);
    DSC_REQUIRE_GRPC_OK(status);
    CHECK(serving == 1);  // SERVING
  }
  const auto [unknown, serving] = HealthCheck(node, "dsc.v1.Nothing");
  CHECK(unknown.error_code() == grpc::StatusCode::NOT_FOUND);
  (void)serving;
  // The node without a validator does not claim the validator service.
  CHECK(HealthCheck(MetronomeNode(), "dsc.v1.Validator").first.error_code() ==
        grpc::StatusCode::NOT_FOUND);

  // Reflection: ServerReflectionInfo with list_services (field 7, empty string).
  grpc::GenericStub stub(node.channel());
  grpc::CompletionQueue cq;
  auto ctx = Ctx();
  auto call = stub.PrepareCall(
      ctx.get(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto step = [&](intptr_t tag) {
    void* got = nullptr;
    bool ok = false;
    REQUIRE(cq.Next(&got, &ok));
    CHECK(reinterpret_cast<intptr_t>(got) == tag);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  REQUIRE(step(1));
  call->Write(ToBuffer(std::string("\x3a\x00", 2)), reinterpret_cast<void*>(2));
  REQUIRE(step(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  REQUIRE(step(3));
  grpc::ByteBuffer answer;
  call->Read(&answer, reinterpret_cast<void*>(4));
  REQUIRE(step(4));
  const std::string listed = FromBuffer(answer);
  for (const char* name : {"dsc.v1.Pool", "dsc.v1.Chain", "dsc.v1.Metronome", "dsc.v1.Validator"}) {
    CHECK(listed.find(name) != std::string::npos);
  }
  grpc::Status finished;
  call->Finish(&finished, reinterpret_cast<void*>(5));
  step(5);
  CHECK(finished.ok());
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace dsc::service_test
