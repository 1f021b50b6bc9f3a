// Metronome and Chain services over gRPC: bad registrations and bad blocks (proof,
// signature, parent, height, transactions, unregistered producer, missing metronome
// signature) are refused with a clear status and never stored; a valid block is accepted.
// Runs on the node without a validator, so the test plays the rounds itself.
#include <catch2/catch.hpp>

#include "service/service_fixture.h"

namespace dsc::service_test {
namespace {

constexpr uint32_t kPlayerKey = 600;

core::Registration MakeRegistration(const crypto::KeyPair& key, const core::Fingerprint& fp,
                                    const std::string& kind = "pow", int64_t ts = 0) {
  core::Registration r;
  r.key = key.public_key;
  r.fingerprint = fp;
  r.kind = kind;
  r.timestamp_ms = ts == 0 ? util::NowMillis() : ts;
  r.signature = crypto::Sign(key, core::EncodeRegistration(r.key, fp, kind, r.timestamp_ms));
  return r;
}

dsc::v1::RegisterValidatorRequest ToRequest(const core::Registration& r) {
  dsc::v1::RegisterValidatorRequest req;
  req.set_key(testing::B58(r.key));
  req.set_fingerprint(testing::B58(r.fingerprint));
  req.set_kind(r.kind);
  req.set_timestamp_ms(r.timestamp_ms);
  req.set_signature(testing::B58(r.signature));
  return req;
}

grpc::Status Register(TestNode& node, const dsc::v1::RegisterValidatorRequest& req,
                      dsc::v1::RegisterValidatorResponse* resp = nullptr) {
  dsc::v1::RegisterValidatorResponse ignored;
  return node.metronome().RegisterValidator(Ctx().get(), req, resp != nullptr ? resp : &ignored);
}

grpc::Status SubmitBlock(TestNode& node, const core::Block& block,
                         dsc::v1::SubmitBlockResponse* resp = nullptr) {
  dsc::v1::SubmitBlockRequest req;
  req.set_raw(core::EncodeBlock(block));
  dsc::v1::SubmitBlockResponse ignored;
  return node.metronome().SubmitBlock(Ctx().get(), req, resp != nullptr ? resp : &ignored);
}

bool BlockStored(TestNode& node, const core::Block& block) {
  dsc::v1::GetBlockRequest req;
  req.set_hash(testing::B58(core::ComputeBlockHash(block.header)));
  dsc::v1::GetBlockResponse resp;
  const grpc::Status s = node.chain().GetBlock(Ctx().get(), req, &resp);
  if (s.ok()) return true;
  CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
  return false;
}

// Polls Metronome.GetStatus until an open round has at least `left` before its deadline.
core::Round FreshRound(TestNode& node, absl::Duration left = absl::Milliseconds(350)) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    dsc::v1::MetronomeStatus status;
    DSC_REQUIRE_GRPC_OK(node.metronome().GetStatus(Ctx().get(), {}, &status));
    auto round = rpc::FromProto(status.round());
    REQUIRE(round.ok());
    if (round->open && round->deadline_ms - util::NowMillis() >= absl::ToInt64Milliseconds(left)) {
      return *round;
    }
    absl::SleepFor(absl::Milliseconds(15));
  }
  FAIL("the metronome opened no round with time left");
  return {};
}

// The node's tip as a core value.
core::ChainTip CoreTip(TestNode& node) {
  auto tip = rpc::FromProto(node.Tip());
  REQUIRE(tip.ok());
  return *tip;
}

TEST_CASE("Metronome.RegisterValidator refuses bad registrations", "[service]") {
  TestNode& node = MetronomeNode();
  const auto key = TestKey(700);
  const auto fp = testing::TestFingerprint(700);

  core::Registration bad_sig = MakeRegistration(key, fp);
  bad_sig.signature[1] ^= 1;
  DSC_CHECK_GRPC(Register(node, ToRequest(bad_sig)), grpc::StatusCode::INVALID_ARGUMENT,
                 "bad registration signature");
  core::Registration by_other = MakeRegistration(key, fp);
  by_other.signature = crypto::Sign(
      TestKey(701), core::EncodeRegistration(key.public_key, fp, "pow", by_other.timestamp_ms));
  DSC_CHECK_GRPC(Register(node, ToRequest(by_other)), grpc::StatusCode::INVALID_ARGUMENT,
                 "not signed by the validator key");
  DSC_CHECK_GRPC(Register(node, ToRequest(MakeRegistration(key, fp, "proof-of-luck"))),
                 grpc::StatusCode::INVALID_ARGUMENT, "unknown proof kind 'proof-of-luck'");
  DSC_CHECK_GRPC(
      Register(node, ToRequest(MakeRegistration(key, fp, "pow", util::NowMillis() - 3'600'000))),
      grpc::StatusCode::INVALID_ARGUMENT, "timestamp is too far from the metronome's clock");
  DSC_CHECK_GRPC(Register(node, ToRequest(MakeRegistration(TestKey(kMetronomeKey), fp))),
                 grpc::StatusCode::INVALID_ARGUMENT, "cannot use the metronome's key");
  dsc::v1::RegisterValidatorRequest malformed = ToRequest(MakeRegistration(key, fp));
  malformed.set_key("0OIl");
  DSC_CHECK_GRPC(Register(node, malformed), grpc::StatusCode::INVALID_ARGUMENT,
                 "malformed validator key");
  malformed = ToRequest(MakeRegistration(key, fp));
  malformed.set_fingerprint(B58OfLength(32));
  DSC_CHECK_GRPC(Register(node, malformed), grpc::StatusCode::INVALID_ARGUMENT,
                 "malformed fingerprint");
  malformed = ToRequest(MakeRegistration(key, fp));
  malformed.clear_signature();
  DSC_CHECK_GRPC(Register(node, malformed), grpc::StatusCode::INVALID_ARGUMENT,
                 "signature is missing");

  dsc::v1::MetronomeStatus status;
  DSC_REQUIRE_GRPC_OK(node.metronome().GetStatus(Ctx().get(), {}, &status));
  for (const auto& v : status.validators()) CHECK(v.key() != testing::B58(key.public_key));
}

TEST_CASE("Metronome.SubmitBlock refuses bad blocks and stores none of them", "[service]") {
  TestNode& node = MetronomeNode();
  const auto player = TestKey(kPlayerKey);
  const auto fp = testing::TestFingerprint(kPlayerKey);
  dsc::v1::RegisterValidatorResponse reg;
  DSC_REQUIRE_GRPC_OK(Register(node, ToRequest(MakeRegistration(player, fp)), &reg));
  CHECK(reg.metronome_key() == testing::B58(TestKey(kMetronomeKey).public_key));
  CHECK(reg.block_time_ms() == 700);

  const auto a = FreshKey(), b = FreshKey();
  const core::Transaction tx = Tx(a, b, 2 * kCoin, 0, 10);
  std::vector<core::Block> refused;
  auto expect_refused = [&](const std::string& name, const core::Block& block,
                            grpc::StatusCode code, const std::string& part) {
    INFO("case: " << name);
    DSC_CHECK_GRPC(SubmitBlock(node, block), code, part);
    CHECK_FALSE(BlockStored(node, block));
    refused.push_back(block);
  };

  {
    const core::Round round = FreshRound(node);
    const auto stranger = TestKey(kPlayerKey + 1);
    expect_refused("unregistered producer",
                   testing::MakeValidatorBlock(round, stranger, fp, {tx}, nullptr),
                   grpc::StatusCode::PERMISSION_DENIED,
                   "producer " + testing::B58(stranger.public_key) +
                       " is not a registered validator");

    core::Block bad_proof = testing::MakeValidatorBlock(round, player, fp, {tx}, nullptr);
    bad_proof.header.proof_nonce =
        testing::FailingNonce(fp, player.public_key, round.prev_hash, round.difficulty);
    testing::Reseal(&bad_proof, player, nullptr);
    expect_refused("bad proof", bad_proof, grpc::StatusCode::INVALID_ARGUMENT,
                   "invalid proof: the record of nonce");

    core::Block bad_sig = testing::MakeValidatorBlock(round, player, fp, {tx}, nullptr);
    bad_sig.header.producer_signature[0] ^= 0x80;
    expect_refused("bad signature", bad_sig, grpc::StatusCode::INVALID_ARGUMENT,
                   "bad block signature: not signed by the producer's key");

    core::Round wrong_parent = round;
    wrong_parent.prev_hash = core::Hash32{9, 9, 9};
    expect_refused("wrong parent",
                   testing::MakeValidatorBlock(wrong_parent, player, fp, {tx}, nullptr),
                   grpc::StatusCode::FAILED_PRECONDITION,
                   "does not extend the round's previous block");

    core::Round wrong_height = round;
    wrong_height.height = round.height + 1;
    expect_refused("wrong height",
                   testing::MakeValidatorBlock(wrong_height, player, fp, {tx}, nullptr),
                   grpc::StatusCode::FAILED_PRECONDITION,
                   "block " + std::to_string(round.height + 1) + " is not for the open round");

    core::Round easier = round;
    easier.difficulty = round.difficulty + 1;
    expect_refused("wrong difficulty",
                   testing::MakeValidatorBlock(easier, player, fp, {tx}, nullptr),
                   grpc::StatusCode::INVALID_ARGUMENT, "is not the round's");

    core::Block root = testing::MakeValidatorBlock(round, player, fp, {tx}, nullptr);
    root.header.tx_root = core::Hash32{1};
    testing::Reseal(&root, player, nullptr, /*fix_body=*/false);
    expect_refused("transactions not matching the root", root,
                   grpc::StatusCode::INVALID_ARGUMENT,
                   "transaction root does not match the block's transactions");

    core::Block count = testing::MakeValidatorBlock(round, player, fp, {tx}, nullptr);
    count.txs.push_back(Tx(b, a, kCoin, 0));
    expect_refused("more transactions than the header says", count,
                   grpc::StatusCode::INVALID_ARGUMENT, "header says 1 transactions");

    core::Transaction tampered = tx;
    tampered.amount = 999 * kCoin;
    expect_refused("a tampered transaction",
                   testing::MakeValidatorBlock(round, player, fp, {tampered}, nullptr),
                   grpc::StatusCode::INVALID_ARGUMENT, "bad signature");

    expect_refused("an overspending transaction",
                   testing::MakeValidatorBlock(round, player, fp, {Tx(a, b, 5000 * kCoin, 0)},
                                               nullptr),
                   grpc::StatusCode::FAILED_PRECONDITION, "insufficient balance");

    expect_refused("a transaction replayed inside the block",
                   testing::MakeValidatorBlock(round, player, fp, {tx, tx}, nullptr),
                   grpc::StatusCode::FAILED_PRECONDITION, "stale nonce");

    expect_refused("a nonce gap",
                   testing::MakeValidatorBlock(round, player, fp, {Tx(a, b, kCoin, 4)}, nullptr),
                   grpc::StatusCode::FAILED_PRECONDITION, "expected 0");

    expect_refused("too large a reward",
                   testing::MakeValidatorBlock(round, player, fp, {tx}, nullptr,
                                               node.params().block_reward + 1),
                   grpc::StatusCode::INVALID_ARGUMENT, "block reward");
  }
  {
    dsc::v1::SubmitBlockRequest req;
    req.set_raw("not a block");
    dsc::v1::SubmitBlockResponse resp;
    DSC_CHECK_GRPC(node.metronome().SubmitBlock(Ctx().get(), req, &resp),
                   grpc::StatusCode::INVALID_ARGUMENT, "malformed block");
  }

  // Nothing of it landed: after the next block, a's money and nonce are untouched and
  // the transaction is unknown.
  node.WaitNextBlock();
  for (const auto& block : refused) {
    INFO("height " << block.header.height);
    CHECK_FALSE(BlockStored(node, block));
  }
  CHECK(node.Balance(a).balance() == kFunding);
  CHECK(node.Balance(a).nonce() == 0);
  CHECK(node.Balance(b).balance() == kFunding);
  CHECK(node.Status(tx).status() == dsc::v1::TX_STATUS_UNKNOWN);
}

TEST_CASE("Metronome.SubmitBlock accepts a valid block from a registered validator",
          "[service]") {
  TestNode& node = MetronomeNode();
  const auto player = TestKey(kPlayerKey + 2);
  const auto fp = testing::TestFingerprint(kPlayerKey + 2);
  DSC_REQUIRE_GRPC_OK(Register(node, ToRequest(MakeRegistration(player, fp, "pos"))));
  const auto a = FreshKey(), b = FreshKey();
  const core::Transaction tx = Tx(a, b, 7 * kCoin, 0, 25);

  const core::Round round = FreshRound(node);
  const uint64_t supply = node.Tip().supply();
  const core::Block block = testing::MakeValidatorBlock(round, player, fp, {tx}, nullptr,
                                                        node.params().block_reward);
  dsc::v1::SubmitBlockResponse resp;
  DSC_REQUIRE_GRPC_OK(SubmitBlock(node, block, &resp));
  CHECK(resp.hash() == testing::B58(core::ComputeBlockHash(block.header)));
  CHECK(BlockStored(node, block));
  const core::ChainTip tip = CoreTip(node);
  CHECK(tip.header.height == round.height);
  CHECK(tip.hash == core::ComputeBlockHash(block.header));
  CHECK(tip.supply == supply + node.params().block_reward);
  // The metronome countersigned it.
  CHECK(crypto::Verify(TestKey(kMetronomeKey).public_key,
                       std::string_view(reinterpret_cast<const char*>(tip.hash.data()), 32),
                       tip.header.metronome_signature));
  CHECK(node.Balance(player).balance() == node.params().block_reward + 25);
  CHECK(node.Balance(a).balance() == kFunding - 7 * kCoin - 25);
  CHECK(node.Balance(b).balance() == kFunding + 7 * kCoin);
  // The pool learns it from the chain.
  CHECK(node.WaitConfirmed(tx) == round.height);

  // The round is closed now: a second block for it is refused.
  const core::Block late = testing::MakeValidatorBlock(round, player, fp, {}, nullptr);
  DSC_CHECK_GRPC(SubmitBlock(node, late), grpc::StatusCode::FAILED_PRECONDITION,
                 "is not for the open round");

  dsc::v1::MetronomeStatus status;
  DSC_REQUIRE_GRPC_OK(node.metronome().GetStatus(Ctx().get(), {}, &status));
  CHECK(status.blocks_by_validators() >= 1);
  bool listed = false;
  for (const auto& v : status.validators()) {
    if (v.key() == testing::B58(player.public_key)) {
      listed = true;
      CHECK(v.kind() == "pos");
      CHECK(v.blocks_won() == 1);
    }
  }
  CHECK(listed);
}

TEST_CASE("A conflicting transaction confirmed by a validator does not stall the pool",
          "[service]") {
  TestNode& node = MetronomeNode();
  const auto player = TestKey(kPlayerKey + 4);
  const auto fp = testing::TestFingerprint(kPlayerKey + 4);
  DSC_REQUIRE_GRPC_OK(Register(node, ToRequest(MakeRegistration(player, fp))));
  const auto a = FreshKey(), b = FreshKey(), c = FreshKey(), d = FreshKey();

  const core::Round round = FreshRound(node, absl::Milliseconds(400));
  // The pool holds two transfers of a; a validator confirms another nonce-0 transfer of a
  // that spends almost everything, so the pool's second one can never be confirmed.
  const core::Transaction a0 = Tx(a, b, 10 * kCoin, 0), a1 = Tx(a, b, 980 * kCoin, 1);
  DSC_REQUIRE_GRPC_OK(node.SubmitRaw(a0));
  DSC_REQUIRE_GRPC_OK(node.SubmitRaw(a1));
  const core::Transaction conflicting = Tx(a, c, 995 * kCoin, 0);
  DSC_REQUIRE_GRPC_OK(
      SubmitBlock(node, testing::MakeValidatorBlock(round, player, fp, {conflicting}, nullptr)));

  // Other users' transactions still get confirmed by the next blocks.
  const core::Transaction d0 = Tx(d, b, kCoin, 0);
  DSC_REQUIRE_GRPC_OK(node.SubmitRaw(d0));
  node.WaitConfirmed(d0);
  CHECK(node.Status(a0).status() == dsc::v1::TX_STATUS_UNKNOWN);
  CHECK(node.Status(a1).status() == dsc::v1::TX_STATUS_UNKNOWN);
  CHECK(node.Balance(a).balance() == kFunding - 995 * kCoin);
  CHECK(node.Balance(a).nonce() == 1);
  dsc::v1::GetNextNonceRequest req;
  req.set_address(testing::B58(a.public_key));
  dsc::v1::GetNextNonceResponse resp;
  DSC_REQUIRE_GRPC_OK(node.pool().GetNextNonce(Ctx().get(), req, &resp));
  CHECK(resp.nonce() == 1);
}

TEST_CASE("Chain.AppendBlock refuses a block without a valid metronome signature",
          "[service]") {
  TestNode& node = MetronomeNode();
  const auto producer = TestKey(kPlayerKey + 3);
  const auto fp = testing::TestFingerprint(kPlayerKey + 3);
  const auto a = FreshKey(), b = FreshKey();
  const core::Transaction tx = Tx(a, b, kCoin, 0);
  const auto metronome = TestKey(kMetronomeKey);

  struct Case {
    std::string name;
    std::function<core::Block(const core::Round&)> make;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no metronome signature",
       [&](const core::Round& r) {
         return testing::MakeValidatorBlock(r, producer, fp, {tx}, nullptr);
       },
       "bad metronome signature"},
      {"countersigned by the producer",
       [&](const core::Round& r) {
         return testing::MakeValidatorBlock(r, producer, fp, {tx}, &producer);
       },
       "bad metronome signature"},
      {"a metronome signature over another header",
       [&](const core::Round& r) {
         core::Block block = testing::MakeValidatorBlock(r, producer, fp, {tx}, &metronome);
         block.header.timestamp_ms += 1;  // changes the hash the signatures cover
         core::SignAsProducer(&block.header, producer);
         return block;
       },
       "bad metronome signature"},
      {"posing as the metronome",
       [&](const core::Round& r) {
         core::Block block = testing::MakeMetronomeBlock(r, producer, {tx});
         block.header.producer = metronome.public_key;
         core::SignAsProducer(&block.header, producer);
         core::SignAsMetronome(&block.header, producer);
         return block;
       },
       "bad block signature: not signed by the producer's key"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    grpc::Status status;
    core::Block block;
    // Retry when a metronome block lands in between (then the parent is stale).
    for (int attempt = 0; attempt < 5; ++attempt) {
      block = c.make(testing::RoundAfter(CoreTip(node), 4));
      dsc::v1::AppendBlockRequest req;
      req.set_raw(core::EncodeBlock(block));
      dsc::v1::AppendBlockResponse resp;
      status = node.chain().AppendBlock(Ctx().get(), req, &resp);
      if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) break;
    }
    DSC_CHECK_GRPC(status, grpc::StatusCode::INVALID_ARGUMENT, c.message);
    CHECK_FALSE(BlockStored(node, block));
  }
  {
    dsc::v1::AppendBlockRequest req;
    req.set_raw(std::string(100, '\0'));
    dsc::v1::AppendBlockResponse resp;
    DSC_CHECK_GRPC(node.chain().AppendBlock(Ctx().get(), req, &resp),
                   grpc::StatusCode::INVALID_ARGUMENT, "malformed block");
  }
  node.WaitNextBlock();
  CHECK(node.Balance(a).balance() == kFunding);
  CHECK(node.Balance(producer).balance() == 0);
}

}  // namespace
}  // namespace dsc::service_test
