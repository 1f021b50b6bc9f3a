// Pool service over gRPC: every bad transaction is refused with a clear status code and
// message, and nothing of it is stored (pool counters unchanged, status unknown, balances
// unchanged after the next block).
#include <algorithm>

#include <catch2/catch.hpp>

#include "service/service_fixture.h"

namespace dsc::service_test {
namespace {

// Checks that a refused submission left no trace: the pool accepted nothing, the id is
// unknown now and after the next block, and the sender's balance and nonce are as
// expected once that block is in.
class NothingStored {
 public:
  NothingStored(TestNode& node, const crypto::KeyPair& sender)
      : node_(node), sender_(sender), before_(node.Stats()) {}

  void Check(const std::vector<core::Transaction>& refused, uint64_t expected_balance,
             uint64_t expected_nonce) {
    const dsc::v1::PoolStats after = node_.Stats();
    CHECK(after.accepted_total() == before_.accepted_total());
    // (Requests refused while decoding never reach the pool, so they are not counted.)
    CHECK(after.rejected_total() >= before_.rejected_total());
    for (const auto& tx : refused) {
      CHECK(node_.Status(tx).status() == dsc::v1::TX_STATUS_UNKNOWN);
    }
    node_.WaitNextBlock();
    for (const auto& tx : refused) {
      CHECK(node_.Status(tx).status() == dsc::v1::TX_STATUS_UNKNOWN);
      dsc::v1::GetTransactionRequest req;
      req.set_id(testing::B58(core::ComputeTxId(tx)));
      dsc::v1::TransactionRecord rec;
      CHECK(node_.chain().GetTransaction(Ctx().get(), req, &rec).error_code() ==
            grpc::StatusCode::NOT_FOUND);
    }
    const auto balance = node_.Balance(sender_);
    CHECK(balance.balance() == expected_balance);
    CHECK(balance.nonce() == expected_nonce);
  }
  void CheckUntouched(const std::vector<core::Transaction>& refused) {
    Check(refused, kFunding, 0);
  }

 private:
  TestNode& node_;
  const crypto::KeyPair sender_;
  const dsc::v1::PoolStats before_;
};

TEST_CASE("Pool.Submit refuses a bad signature", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  core::Transaction tx = Tx(a, b, kCoin, 0);
  tx.signature[7] ^= 0x20;
  DSC_CHECK_GRPC(node.SubmitRaw(tx), grpc::StatusCode::INVALID_ARGUMENT,
                 "bad signature: not signed by the sender's key");
  DSC_CHECK_GRPC(node.SubmitStructured(ToProto(tx)), grpc::StatusCode::INVALID_ARGUMENT,
                 "bad signature");
  core::Transaction zero = Tx(a, b, kCoin, 0);
  zero.signature = {};
  DSC_CHECK_GRPC(node.SubmitRaw(zero), grpc::StatusCode::INVALID_ARGUMENT, "bad signature");
  nothing.CheckUntouched({tx, zero});
}

TEST_CASE("Pool.Submit refuses a transaction signed by another key than the sender's",
          "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  core::Transaction tx = Tx(a, b, kCoin, 0);
  tx.signature = crypto::Sign(b, core::EncodeTxSigningBytes(tx));  // b signs a's transfer
  DSC_CHECK_GRPC(node.SubmitStructured(ToProto(tx)), grpc::StatusCode::INVALID_ARGUMENT,
                 "not signed by the sender's key");
  nothing.CheckUntouched({tx});
}

TEST_CASE("Pool.Submit refuses a tampered amount", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  core::Transaction tx = Tx(a, b, kCoin, 0);
  tx.amount = 900 * kCoin;
  DSC_CHECK_GRPC(node.SubmitRaw(tx), grpc::StatusCode::INVALID_ARGUMENT, "bad signature");
  // Same through the structured form, tampering with the message itself.
  dsc::v1::Transaction structured = ToProto(Tx(a, b, kCoin, 0));
  structured.set_amount(2 * kCoin);
  DSC_CHECK_GRPC(node.SubmitStructured(structured), grpc::StatusCode::INVALID_ARGUMENT,
                 "bad signature");
  structured = ToProto(Tx(a, b, kCoin, 0));
  structured.set_recipient(testing::B58(FreshKey().public_key));
  DSC_CHECK_GRPC(node.SubmitStructured(structured), grpc::StatusCode::INVALID_ARGUMENT,
                 "bad signature");
  nothing.CheckUntouched({tx});
}

TEST_CASE("Pool.Submit refuses the replay of a confirmed transaction", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  const core::Transaction tx = Tx(a, b, 5 * kCoin, 0, 100);
  dsc::v1::SubmitResponse resp;
  DSC_REQUIRE_GRPC_OK(node.SubmitRaw(tx, &resp));
  CHECK(resp.id() == testing::B58(core::ComputeTxId(tx)));
  const uint64_t height = node.WaitConfirmed(tx);
  const dsc::v1::PoolStats before = node.Stats();
  DSC_CHECK_GRPC(node.SubmitRaw(tx), grpc::StatusCode::ALREADY_EXISTS,
                 "already confirmed in block " + std::to_string(height));
  DSC_CHECK_GRPC(node.SubmitStructured(ToProto(tx)), grpc::StatusCode::ALREADY_EXISTS,
                 "(replay)");
  CHECK(node.Stats().accepted_total() == before.accepted_total());
  node.WaitNextBlock();
  // Spent once only.
  CHECK(node.Balance(a).balance() == kFunding - 5 * kCoin - 100);
  CHECK(node.Balance(a).nonce() == 1);
  CHECK(node.Balance(b).balance() == kFunding + 5 * kCoin);
  CHECK(node.Status(tx).height() == height);
}

TEST_CASE("Pool.Submit refuses a nonce gap", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  const core::Transaction tx = Tx(a, b, kCoin, 1);
  DSC_CHECK_GRPC(node.SubmitRaw(tx), grpc::StatusCode::FAILED_PRECONDITION,
                 "nonce 1 does not follow the sender's last nonce: expected 0");
  const core::Transaction far = Tx(a, b, kCoin, 1'000'000);
  DSC_CHECK_GRPC(node.SubmitRaw(far), grpc::StatusCode::FAILED_PRECONDITION, "expected 0");
  nothing.CheckUntouched({tx, far});
}

TEST_CASE("Pool.Submit refuses a nonce reuse", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey(), c = FreshKey();
  const core::Transaction first = Tx(a, b, 3 * kCoin, 0);
  const core::Transaction second = Tx(a, c, 4 * kCoin, 0);  // another transfer, same nonce
  DSC_REQUIRE_GRPC_OK(node.SubmitRaw(first));
  NothingStored nothing(node, a);
  // Refused whether `first` is still pending or already confirmed by then.
  DSC_CHECK_GRPC(node.SubmitRaw(second), grpc::StatusCode::FAILED_PRECONDITION,
                 "already used");
  node.WaitConfirmed(first);
  nothing.Check({second}, kFunding - 3 * kCoin, 1);
  CHECK(node.Balance(c).balance() == kFunding);
}

TEST_CASE("Pool.Submit refuses an overspend", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  const core::Transaction all_and_more = Tx(a, b, kFunding, 0, 1);
  DSC_CHECK_GRPC(node.SubmitRaw(all_and_more), grpc::StatusCode::FAILED_PRECONDITION,
                 "insufficient balance: 1000 coins");
  const core::Transaction huge = Tx(a, b, UINT64_MAX / 2, 0);
  DSC_CHECK_GRPC(node.SubmitRaw(huge), grpc::StatusCode::FAILED_PRECONDITION,
                 "insufficient balance");
  nothing.CheckUntouched({all_and_more, huge});
}

TEST_CASE("Pool refuses an overspend across several pending transactions", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  const std::vector<core::Transaction> txs = {Tx(a, b, 400 * kCoin, 0), Tx(a, b, 400 * kCoin, 1),
                                              Tx(a, b, 400 * kCoin, 2)};
  const dsc::v1::PoolStats before = node.Stats();
  dsc::v1::SubmitBatchRequest req;
  for (const auto& tx : txs) *req.add_txs() = ToProto(tx);
  dsc::v1::SubmitBatchResponse resp;
  DSC_REQUIRE_GRPC_OK(node.pool().SubmitBatch(Ctx().get(), req, &resp));
  REQUIRE(resp.verdicts_size() == 3);
  CHECK(resp.accepted() == 2);
  CHECK(resp.rejected() == 1);
  CHECK(resp.verdicts(0).accepted());
  CHECK(resp.verdicts(1).accepted());
  CHECK_FALSE(resp.verdicts(2).accepted());
  CHECK(resp.verdicts(2).code() == static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  CHECK_THAT(resp.verdicts(2).message(), Catch::Matchers::Contains("800 already pending"));
  CHECK(resp.verdicts(2).id() == testing::B58(core::ComputeTxId(txs[2])));
  CHECK(node.Stats().accepted_total() == before.accepted_total() + 2);

  // Alone, the third one is still refused (pending or confirmed, the money is gone).
  DSC_CHECK_GRPC(node.SubmitRaw(txs[2]), grpc::StatusCode::FAILED_PRECONDITION,
                 "insufficient balance");
  node.WaitConfirmed(txs[0]);
  node.WaitConfirmed(txs[1]);
  node.WaitNextBlock();
  CHECK(node.Status(txs[2]).status() == dsc::v1::TX_STATUS_UNKNOWN);
  CHECK(node.Balance(a).balance() == kFunding - 800 * kCoin);
  CHECK(node.Balance(a).nonce() == 2);
}

TEST_CASE("Pool.Submit refuses a zero amount", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  const core::Transaction tx = Tx(a, b, 0, 0, 10);
  DSC_CHECK_GRPC(node.SubmitStructured(ToProto(tx)), grpc::StatusCode::INVALID_ARGUMENT,
                 "amount must be greater than zero");
  nothing.CheckUntouched({tx});
}

TEST_CASE("Pool.Submit refuses amounts that overflow 64 bits", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  const core::Transaction tx = Tx(a, b, UINT64_MAX, 0, 1);
  DSC_CHECK_GRPC(node.SubmitStructured(ToProto(tx)), grpc::StatusCode::INVALID_ARGUMENT,
                 "amount plus fee overflows 64 bits");
  const core::Transaction fee = Tx(a, b, 1, 0, UINT64_MAX);
  DSC_CHECK_GRPC(node.SubmitRaw(fee), grpc::StatusCode::INVALID_ARGUMENT, "overflows 64 bits");
  nothing.CheckUntouched({tx, fee});
}

TEST_CASE("Pool.Submit refuses a self transfer and a negative timestamp", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  const core::Transaction self = Tx(a, a, kCoin, 0);
  DSC_CHECK_GRPC(node.SubmitRaw(self), grpc::StatusCode::INVALID_ARGUMENT,
                 "sender and recipient are the same address");
  const core::Transaction past = core::MakeTransaction(a, b.public_key, kCoin, 0, 0, -1);
  DSC_CHECK_GRPC(node.SubmitRaw(past), grpc::StatusCode::INVALID_ARGUMENT,
                 "timestamp is negative");
  nothing.CheckUntouched({self, past});
}

TEST_CASE("Pool.Submit refuses malformed addresses and signatures in the structured form",
          "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  const dsc::v1::Transaction good = ToProto(Tx(a, b, kCoin, 0));
  struct Case {
    std::string name;
    std::function<void(dsc::v1::Transaction*)> mutate;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"sender not Base58", [](auto* t) { t->set_sender("0OIl" + t->sender().substr(4)); },
       "malformed sender address '0OIl"},
      {"sender too short", [](auto* t) { t->set_sender(B58OfLength(31)); },
       "malformed sender address"},
      {"sender too long", [](auto* t) { t->set_sender(B58OfLength(33)); }, "33 bytes, expected 32"},
      {"sender missing", [](auto* t) { t->clear_sender(); }, "sender address is missing"},
      {"recipient not Base58", [](auto* t) { t->set_recipient("not an address!"); },
       "malformed recipient address"},
      {"recipient wrong length", [](auto* t) { t->set_recipient(B58OfLength(20)); },
       "20 bytes, expected 32"},
      {"recipient missing", [](auto* t) { t->clear_recipient(); }, "recipient address is missing"},
      {"signature not Base58", [](auto* t) { t->set_signature("0000"); }, "malformed signature"},
      {"signature wrong length", [](auto* t) { t->set_signature(B58OfLength(63)); },
       "63 bytes, expected 64"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    dsc::v1::Transaction bad = good;
    c.mutate(&bad);
    DSC_CHECK_GRPC(node.SubmitStructured(bad), grpc::StatusCode::INVALID_ARGUMENT, c.message);
  }
  // An empty request, and a batch mixing good and malformed entries.
  dsc::v1::SubmitRequest empty;
  dsc::v1::SubmitResponse resp;
  DSC_CHECK_GRPC(node.pool().Submit(Ctx().get(), empty, &resp),
                 grpc::StatusCode::INVALID_ARGUMENT, "request holds no transaction");
  dsc::v1::SubmitBatchRequest batch;
  *batch.add_txs() = good;
  batch.mutable_txs(0)->set_sender("0OIl");
  dsc::v1::SubmitBatchResponse batch_resp;
  DSC_REQUIRE_GRPC_OK(node.pool().SubmitBatch(Ctx().get(), batch, &batch_resp));
  REQUIRE(batch_resp.verdicts_size() == 1);
  CHECK(batch_resp.verdicts(0).code() == static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  CHECK_THAT(batch_resp.verdicts(0).message(), Catch::Matchers::Contains("malformed sender"));
  CHECK(batch_resp.verdicts(0).id().empty());
  CHECK(batch_resp.accepted() == 0);
  auto good_tx = rpc::FromProto(good);
  REQUIRE(good_tx.ok());
  nothing.CheckUntouched({*good_tx});
}

TEST_CASE("Pool.Submit refuses undecodable raw bytes", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  const std::string raw = core::EncodeTx(Tx(a, b, kCoin, 0));
  for (const std::string& bytes : {std::string("garbage"), std::string(), raw + "x",
                                   raw.substr(0, raw.size() - 1), std::string(4096, '\xff')}) {
    INFO("raw of " << bytes.size() << " bytes");
    dsc::v1::SubmitRequest req;
    req.set_raw(bytes);
    dsc::v1::SubmitResponse resp;
    DSC_CHECK_GRPC(node.pool().Submit(Ctx().get(), req, &resp),
                   grpc::StatusCode::INVALID_ARGUMENT,
                   "malformed transaction: expected 161 canonical bytes, got " +
                       std::to_string(bytes.size()));
  }
  // In a batch, the undecodable entry gets its own verdict.
  dsc::v1::SubmitBatchRequest batch;
  batch.add_raw("garbage");
  dsc::v1::SubmitBatchResponse batch_resp;
  DSC_REQUIRE_GRPC_OK(node.pool().SubmitBatch(Ctx().get(), batch, &batch_resp));
  REQUIRE(batch_resp.verdicts_size() == 1);
  CHECK_FALSE(batch_resp.verdicts(0).accepted());
  CHECK_THAT(batch_resp.verdicts(0).message(), Catch::Matchers::Contains("malformed transaction"));
  auto decoded = core::DecodeTx(raw);
  REQUIRE(decoded.ok());
  nothing.CheckUntouched({*decoded});
}

TEST_CASE("Pool.SubmitBatch refuses exactly the badly signed transactions of a large batch",
          "[service]") {
  // Signatures are checked 64 at a time, one equation per chunk, on several threads; a
  // failed chunk is narrowed down. Bad ones sit at chunk edges and inside chunks, each from
  // a sender of its own so no nonce depends on it.
  TestNode& node = AllRolesNode();
  const auto recipient = FreshKey();
  std::vector<crypto::KeyPair> senders;
  for (int i = 0; i < 4; ++i) senders.push_back(FreshKey());
  std::vector<core::Transaction> txs;
  for (uint64_t nonce = 0; nonce < 75; ++nonce) {
    for (const auto& s : senders) txs.push_back(Tx(s, recipient, 1, nonce));
  }
  const std::vector<size_t> bad_at = {0, 63, 64, 127, 200, 300};
  std::vector<core::Transaction> bad;
  for (size_t pos : bad_at) {
    core::Transaction tx = Tx(FreshKey(), recipient, 1, 0);
    tx.signature[pos % 64] ^= 0x10;  // R or s changed
    txs.insert(txs.begin() + static_cast<std::ptrdiff_t>(pos), tx);
    bad.push_back(tx);
  }
  REQUIRE(txs.size() == 306);
  dsc::v1::SubmitBatchRequest req;
  for (const auto& tx : txs) req.add_raw(core::EncodeTx(tx));
  dsc::v1::SubmitBatchResponse resp;
  DSC_REQUIRE_GRPC_OK(node.pool().SubmitBatch(Ctx(absl::Seconds(30)).get(), req, &resp));
  REQUIRE(resp.verdicts_size() == 306);
  CHECK(resp.accepted() == 300);
  CHECK(resp.rejected() == 6);
  for (int i = 0; i < resp.verdicts_size(); ++i) {
    CAPTURE(i);
    const bool expect_bad =
        std::find(bad_at.begin(), bad_at.end(), static_cast<size_t>(i)) != bad_at.end();
    CHECK(resp.verdicts(i).accepted() == !expect_bad);
    if (expect_bad) {
      CHECK(resp.verdicts(i).code() == static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
      CHECK_THAT(resp.verdicts(i).message(), Catch::Matchers::Contains("bad signature"));
    }
  }
  node.WaitNextBlock();
  for (const auto& tx : bad) CHECK(node.Status(tx).status() == dsc::v1::TX_STATUS_UNKNOWN);
}

TEST_CASE("Pool.SubmitBatch refuses more than 10,000 transactions", "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  NothingStored nothing(node, a);
  dsc::v1::SubmitBatchRequest req;
  std::vector<core::Transaction> sample;
  for (uint64_t i = 0; i < 10'001; ++i) {
    const core::Transaction tx = Tx(a, b, 1, i);
    req.add_raw(core::EncodeTx(tx));
    if (i % 1000 == 0) sample.push_back(tx);
  }
  dsc::v1::SubmitBatchResponse resp;
  DSC_CHECK_GRPC(node.pool().SubmitBatch(Ctx(absl::Seconds(30)).get(), req, &resp),
                 grpc::StatusCode::INVALID_ARGUMENT,
                 "request holds 10001 transactions, more than the limit of 10000");
  CHECK(resp.verdicts_size() == 0);
  // The limit itself is fine for the transport: a batch of 10,000 goes through (and is
  // judged transaction by transaction; here every one is a nonce gap).
  dsc::v1::SubmitBatchRequest at_limit;
  for (int i = 0; i < 10'000; ++i) at_limit.add_raw(req.raw(1));
  DSC_REQUIRE_GRPC_OK(node.pool().SubmitBatch(Ctx(absl::Seconds(30)).get(), at_limit, &resp));
  CHECK(resp.verdicts_size() == 10'000);
  CHECK(resp.accepted() == 0);
  // Other list limits.
  dsc::v1::GetStatusRequest ids;
  for (int i = 0; i < 10'001; ++i) ids.add_ids(testing::B58(core::ComputeTxId(sample[0])));
  dsc::v1::GetStatusResponse status_resp;
  DSC_CHECK_GRPC(node.pool().GetStatus(Ctx().get(), ids, &status_resp),
                 grpc::StatusCode::INVALID_ARGUMENT, "more than the limit of 10000");
  dsc::v1::FindTransactionsRequest find;
  for (int i = 0; i < 10'001; ++i) find.add_ids(std::string(32, 'x'));
  dsc::v1::FindTransactionsResponse find_resp;
  DSC_CHECK_GRPC(node.chain().FindTransactions(Ctx().get(), find, &find_resp),
                 grpc::StatusCode::INVALID_ARGUMENT, "more than the limit of 10000");
  nothing.CheckUntouched(sample);
}

TEST_CASE("A message over the server's size limit is refused by gRPC", "[service]") {
  TestNode& node = AllRolesNode();
  const dsc::v1::PoolStats before = node.Stats();
  // A client channel without its own send limit, so the server's limit is what refuses.
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  args.SetMaxReceiveMessageSize(-1);
  auto channel = grpc::CreateCustomChannel(node.address(), grpc::InsecureChannelCredentials(), args);
  auto stub = dsc::v1::Pool::NewStub(channel);
  dsc::v1::SubmitRequest req;
  req.set_raw(std::string(rpc::kMaxMessageBytes + 1024, 'x'));
  dsc::v1::SubmitResponse resp;
  DSC_CHECK_GRPC(stub->Submit(Ctx(absl::Seconds(30)).get(), req, &resp),
                 grpc::StatusCode::RESOURCE_EXHAUSTED, "larger than max");
  const dsc::v1::PoolStats after = node.Stats();
  CHECK(after.accepted_total() == before.accepted_total());
  CHECK(after.rejected_total() == before.rejected_total());  // never reached the pool
  // The node is still fine.
  dsc::v1::PoolStats still;
  DSC_REQUIRE_GRPC_OK(stub->GetStats(Ctx().get(), {}, &still));
}

TEST_CASE("Malformed ids and addresses are refused by the query calls", "[service]") {
  TestNode& node = AllRolesNode();
  const std::vector<std::pair<std::string, std::string>> bad_ids = {
      {"0OIl", "malformed transaction id '0OIl'"},
      {B58OfLength(31), "31 bytes, expected 32"},
      {B58OfLength(64), "64 bytes, expected 32"},
      {"", "transaction id is missing"},
  };
  for (const auto& [id, message] : bad_ids) {
    INFO("id '" << id << "'");
    dsc::v1::GetStatusRequest status_req;
    status_req.add_ids(testing::B58(core::Hash32{}));
    status_req.add_ids(id);
    dsc::v1::GetStatusResponse status_resp;
    DSC_CHECK_GRPC(node.pool().GetStatus(Ctx().get(), status_req, &status_resp),
                   grpc::StatusCode::INVALID_ARGUMENT, message);
    dsc::v1::GetTransactionRequest tx_req;
    tx_req.set_id(id);
    dsc::v1::TransactionRecord rec;
    DSC_CHECK_GRPC(node.chain().GetTransaction(Ctx().get(), tx_req, &rec),
                   grpc::StatusCode::INVALID_ARGUMENT, message);
  }
  // A well-formed id that was never seen: unknown / NOT_FOUND, not an error of form.
  dsc::v1::GetTransactionRequest unknown;
  unknown.set_id(testing::B58(core::Hash32{1, 2, 3}));
  dsc::v1::TransactionRecord rec;
  DSC_CHECK_GRPC(node.chain().GetTransaction(Ctx().get(), unknown, &rec),
                 grpc::StatusCode::NOT_FOUND, "is not in the chain");
  dsc::v1::FindTransactionsRequest find;
  find.add_ids(std::string(31, 'x'));
  dsc::v1::FindTransactionsResponse find_resp;
  DSC_CHECK_GRPC(node.chain().FindTransactions(Ctx().get(), find, &find_resp),
                 grpc::StatusCode::INVALID_ARGUMENT, "32 raw bytes");
  dsc::v1::GetBlockRequest block_req;
  block_req.set_hash("0OIl");
  dsc::v1::GetBlockResponse block_resp;
  DSC_CHECK_GRPC(node.chain().GetBlock(Ctx().get(), block_req, &block_resp),
                 grpc::StatusCode::INVALID_ARGUMENT, "malformed block hash");

  const std::vector<std::pair<std::string, std::string>> bad_addresses = {
      {"0OIl0OIl", "malformed address '0OIl0OIl'"},
      {B58OfLength(31), "31 bytes, expected 32"},
      {B58OfLength(33), "33 bytes, expected 32"},
      {"", "address is missing"},
  };
  for (const auto& [address, message] : bad_addresses) {
    INFO("address '" << address << "'");
    dsc::v1::GetBalanceRequest balance_req;
    balance_req.set_address(address);
    dsc::v1::GetBalanceResponse balance_resp;
    DSC_CHECK_GRPC(node.chain().GetBalance(Ctx().get(), balance_req, &balance_resp),
                   grpc::StatusCode::INVALID_ARGUMENT, message);
    dsc::v1::GetAddressTransactionsRequest txs_req;
    txs_req.set_address(address);
    dsc::v1::GetAddressTransactionsResponse txs_resp;
    DSC_CHECK_GRPC(node.chain().GetAddressTransactions(Ctx().get(), txs_req, &txs_resp),
                   grpc::StatusCode::INVALID_ARGUMENT, message);
    dsc::v1::GetNextNonceRequest nonce_req;
    nonce_req.set_address(address);
    dsc::v1::GetNextNonceResponse nonce_resp;
    DSC_CHECK_GRPC(node.pool().GetNextNonce(Ctx().get(), nonce_req, &nonce_resp),
                   grpc::StatusCode::INVALID_ARGUMENT, message);
  }
  dsc::v1::GetAddressTransactionsRequest too_many;
  too_many.set_address(testing::B58(FreshKey().public_key));
  too_many.set_limit(10'001);
  dsc::v1::GetAddressTransactionsResponse too_many_resp;
  DSC_CHECK_GRPC(node.chain().GetAddressTransactions(Ctx().get(), too_many, &too_many_resp),
                 grpc::StatusCode::INVALID_ARGUMENT, "more than the limit of 10000");
}

}  // namespace
}  // namespace dsc::service_test
