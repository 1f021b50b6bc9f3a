// The dsc commands run through RunCli against in-process fake roles and a fake clock.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/wallet_file.h"
#include "core/block.h"
#include "core/encoding.h"
#include "core/trie.h"
#include "crypto/crypto.h"
#include "util/amount.h"
#include "util/time.h"

namespace dsc::cli {
namespace {

using Catch::Contains;
using Catch::StartsWith;

constexpr int64_t kStartMs = 1'701'997'067'000;  // 2023-12-08

// ------------------------------------------------------------------ fakes

struct ChainState {
  absl::Status fail;  // when set, every call returns it
  std::map<core::Address, core::AccountInfo> accounts;
  uint64_t height = 7;
  core::ChainTip tip;
  std::vector<core::Block> blocks;
  std::map<core::TxId, core::TxRecord> confirmed;
  std::vector<core::TxRecord> address_txs;
  uint32_t last_limit = 0;
  int calls = 0;
  // Answers GetProof (Unimplemented when empty).
  std::function<absl::StatusOr<core::ProvenanceProof>(const core::TxId&, std::optional<uint64_t>)>
      get_proof;
};

class FakeChain : public core::ChainApi {
 public:
  explicit FakeChain(ChainState* s) : s_(s) {}
  absl::StatusOr<core::ChainTip> GetTip() override {
    if (auto st = Enter(); !st.ok()) return st;
    return s_->tip;
  }
  absl::StatusOr<core::Block> GetBlock(uint64_t height, absl::Duration) override {
    if (auto st = Enter(); !st.ok()) return st;
    for (const core::Block& b : s_->blocks) {
      if (b.header.height == height) return b;
    }
    return absl::NotFoundError(absl::StrCat("height ", height, " is above the tip"));
  }
  absl::StatusOr<core::Block> GetBlockByHash(const core::Hash32& hash) override {
    if (auto st = Enter(); !st.ok()) return st;
    for (const core::Block& b : s_->blocks) {
      if (core::ComputeBlockHash(b.header) == hash) return b;
    }
    return absl::NotFoundError("no block has that hash");
  }
  absl::StatusOr<core::AccountInfo> GetAccount(const core::Address& address) override {
    if (auto st = Enter(); !st.ok()) return st;
    auto it = s_->accounts.find(address);
    if (it == s_->accounts.end()) return core::AccountInfo{core::Account{}, s_->height};
    return it->second;
  }
  absl::StatusOr<core::TxRecord> GetTransaction(const core::TxId& id) override {
    if (auto st = Enter(); !st.ok()) return st;
    auto it = s_->confirmed.find(id);
    if (it == s_->confirmed.end()) return absl::NotFoundError("not confirmed");
    return it->second;
  }
  absl::StatusOr<std::vector<std::optional<uint64_t>>> FindTransactions(
      absl::Span<const core::TxId> ids) override {
    return absl::UnimplementedError("FindTransactions");
  }
  absl::StatusOr<std::vector<core::TxRecord>> GetAddressTransactions(const core::Address&,
                                                                     uint32_t limit) override {
    if (auto st = Enter(); !st.ok()) return st;
    s_->last_limit = limit;
    return s_->address_txs;
  }
  absl::StatusOr<core::ProvenanceProof> GetProof(const core::TxId& id,
                                                 std::optional<uint64_t> anchor) override {
    if (auto st = Enter(); !st.ok()) return st;
    if (!s_->get_proof) return absl::UnimplementedError("GetProof");
    return s_->get_proof(id, anchor);
  }
  absl::Status AppendBlock(const core::Block&) override {
    return absl::UnimplementedError("AppendBlock");
  }

 private:
  absl::Status Enter() {
    ++s_->calls;
    return s_->fail;
  }
  ChainState* s_;
};

struct PoolState {
  absl::Status fail;
  uint64_t next_nonce = 3;
  absl::Status verdict;  // what Submit answers
  std::vector<core::Transaction> submitted;
  // GetStatus answers these in turn (the last one repeats); empty = unknown.
  std::vector<core::TxStatusInfo> script;
  size_t polls = 0;
  core::PoolStats stats;
};

class FakePool : public core::PoolApi {
 public:
  explicit FakePool(PoolState* s) : s_(s) {}
  std::vector<absl::Status> Submit(absl::Span<const core::Transaction> txs) override {
    std::vector<absl::Status> out;
    for (const core::Transaction& tx : txs) {
      if (!s_->fail.ok()) {
        out.push_back(s_->fail);
        continue;
      }
      if (s_->verdict.ok()) s_->submitted.push_back(tx);
      out.push_back(s_->verdict);
    }
    return out;
  }
  absl::StatusOr<std::vector<core::TxStatusInfo>> GetStatus(
      absl::Span<const core::TxId> ids) override {
    if (!s_->fail.ok()) return s_->fail;
    std::vector<core::TxStatusInfo> out;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (s_->script.empty()) {
        out.push_back(core::TxStatusInfo{});
      } else {
        out.push_back(s_->script[std::min(s_->polls, s_->script.size() - 1)]);
      }
    }
    ++s_->polls;
    return out;
  }
  absl::StatusOr<std::vector<core::Transaction>> TakeForBlock(uint64_t, uint32_t) override {
    return absl::UnimplementedError("TakeForBlock");
  }
  absl::StatusOr<core::PoolStats> GetStats() override {
    if (!s_->fail.ok()) return s_->fail;
    return s_->stats;
  }
  absl::StatusOr<uint64_t> NextNonce(const core::Address&) override {
    if (!s_->fail.ok()) return s_->fail;
    return s_->next_nonce;
  }

 private:
  PoolState* s_;
};

struct MetronomeState {
  absl::Status fail;
  core::MetronomeStatus status;
};

class FakeMetronome : public core::MetronomeApi {
 public:
  explicit FakeMetronome(MetronomeState* s) : s_(s) {}
  absl::Status RegisterValidator(const core::Registration&) override {
    return absl::UnimplementedError("RegisterValidator");
  }
  absl::Status SubmitBlock(const core::Block&) override {
    return absl::UnimplementedError("SubmitBlock");
  }
  absl::StatusOr<core::Round> WaitForRound(uint64_t, absl::Duration) override {
    return absl::UnimplementedError("WaitForRound");
  }
  absl::StatusOr<core::MetronomeStatus> GetStatus() override {
    if (!s_->fail.ok()) return s_->fail;
    return s_->status;
  }

 private:
  MetronomeState* s_;
};

class FakeValidator : public core::ValidatorApi {
 public:
  explicit FakeValidator(core::ValidatorStatus status) : status_(std::move(status)) {}
  absl::StatusOr<core::ValidatorStatus> GetStatus() override { return status_; }

 private:
  core::ValidatorStatus status_;
};

// ------------------------------------------------------------------ fixture

struct Result {
  int code = -1;
  std::string out;
  std::string err;
  std::vector<std::string> out_lines;  // without the timestamps
};

class Env {
 public:
  Env() {
    REQUIRE(crypto::Init().ok());
    std::string tmpl = (std::filesystem::temp_directory_path() / "dsc_cli_XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    deps.new_pool = [this](const std::string& address) {
      addresses["pool"] = address;
      return std::make_unique<FakePool>(&pool);
    };
    deps.new_chain = [this](const std::string& address) {
      addresses["chain"] = address;
      return std::make_unique<FakeChain>(&chain);
    };
    deps.new_metronome = [this](const std::string& address) {
      addresses["metronome"] = address;
      return std::make_unique<FakeMetronome>(&metronome);
    };
    deps.new_validator = [this](const std::string& address) {
      addresses["validator"] = address;
      return std::make_unique<FakeValidator>(validator);
    };
    deps.now_ms = [this] { return now_ms; };
    deps.sleep = [this](absl::Duration d) {
      sleeps.push_back(d);
      now_ms += absl::ToInt64Milliseconds(d);
      if (on_sleep) on_sleep();
    };
    deps.env_wallet_dir = dir;
  }
  ~Env() { std::filesystem::remove_all(dir); }

  Result Run(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    Result r;
    r.code = RunCli(args, out, err, deps);
    r.out = out.str();
    r.err = err.str();
    static const std::regex kLine(R"(^\d{8} \d{2}:\d{2}:\d{2}\.\d{3} (.*)$)");
    const std::vector<std::string> out_lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
    for (const std::string& text : out_lines) {
      std::smatch m;
      INFO("stdout line without a DSC timestamp: " << text);
      REQUIRE(std::regex_match(text, m, kLine));
      r.out_lines.push_back(m[1]);
    }
    const std::vector<std::string> err_lines = absl::StrSplit(r.err, '\n', absl::SkipEmpty());
    for (const std::string& text : err_lines) {
      INFO("stderr line without a DSC timestamp: " << text);
      REQUIRE(std::regex_match(text, kLine));
    }
    if (!r.out_lines.empty()) CHECK(r.out_lines[0] == absl::StrCat("DSC v", kVersion));
    return r;
  }

  // Creates a wallet through the CLI and returns its key.
  crypto::KeyPair CreateWallet() {
    Result r = Run({"wallet", "create"});
    REQUIRE(r.code == 0);
    absl::StatusOr<crypto::KeyPair> key = LoadWallet(KeyPath());
    REQUIRE(key.ok());
    return *key;
  }

  std::string KeyPath() const { return dir + "/dsc-key.yaml"; }

  std::string dir;
  CliDeps deps;
  ChainState chain;
  PoolState pool;
  MetronomeState metronome;
  core::ValidatorStatus validator;
  std::map<std::string, std::string> addresses;
  int64_t now_ms = kStartMs;
  std::vector<absl::Duration> sleeps;
  std::function<void()> on_sleep;
};

std::string B58(const std::array<uint8_t, 32>& v) { return crypto::ToBase58(v); }

core::Address SomeAddress(uint8_t seed_byte) {
  crypto::Seed seed{};
  seed.fill(seed_byte);
  return crypto::KeyPair::FromSeed(seed).public_key;
}

bool HasLine(const Result& r, const std::string& line) {
  return std::find(r.out_lines.begin(), r.out_lines.end(), line) != r.out_lines.end();
}

// ------------------------------------------------------------------ wallet create / key

TEST_CASE("wallet create writes a 0600 key file and refuses to overwrite it", "[cli]") {
  Env env;
  Result r = env.Run({"wallet", "create"});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  REQUIRE(r.out_lines.size() == 4);
  CHECK_THAT(r.out_lines[1], StartsWith("DSC Public Address: "));
  CHECK_THAT(r.out_lines[2], StartsWith("DSC Private Address: "));
  CHECK_THAT(r.out_lines[3], Contains(env.KeyPath()));

  struct stat st;
  REQUIRE(::stat(env.KeyPath().c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);

  absl::StatusOr<crypto::KeyPair> key = LoadWallet(env.KeyPath());
  REQUIRE(key.ok());
  CHECK(r.out_lines[1] == "DSC Public Address: " + B58(key->public_key));
  CHECK(r.out_lines[2] == "DSC Private Address: " + B58(key->seed()));

  std::ifstream in(env.KeyPath());
  std::stringstream text;
  text << in.rdbuf();
  CHECK_THAT(text.str(), StartsWith("#"));
  CHECK_THAT(text.str(), Contains("public_key: " + B58(key->public_key)));
  CHECK_THAT(text.str(), Contains("private_key: " + B58(key->seed())));

  Result again = env.Run({"wallet", "create"});
  CHECK(again.code == 1);
  CHECK_THAT(again.err, Contains("Error: wallet already exists at " + env.KeyPath() +
                                 "; refusing to overwrite"));
  absl::StatusOr<crypto::KeyPair> still = LoadWallet(env.KeyPath());
  REQUIRE(still.ok());
  CHECK(still->public_key == key->public_key);
}

TEST_CASE("wallet create honours --wallet-dir and creates a missing dir", "[cli]") {
  Env env;
  const std::string sub = env.dir + "/sub";
  Result r = env.Run({"wallet", "create", "--wallet-dir=" + sub});
  REQUIRE(r.code == 0);
  CHECK(std::filesystem::exists(sub + "/dsc-key.yaml"));
  CHECK_FALSE(std::filesystem::exists(env.KeyPath()));
}

TEST_CASE("wallet key prints the addresses wallet create made", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  Result r = env.Run({"wallet", "key"});
  REQUIRE(r.code == 0);
  REQUIRE(r.out_lines.size() == 3);
  CHECK(r.out_lines[1] == "DSC Public Address: " + B58(key.public_key));
  CHECK(r.out_lines[2] == "DSC Private Address: " + B58(key.seed()));
}

TEST_CASE("a missing wallet says how to make one", "[cli]") {
  Env env;
  Result r = env.Run({"wallet", "key"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("Error: no wallet at " + env.KeyPath() +
                             ": run `dsc wallet create`"));
}

TEST_CASE("the wallet loader refuses a key file others can read", "[cli]") {
  Env env;
  env.CreateWallet();
  REQUIRE(::chmod(env.KeyPath().c_str(), 0644) == 0);
  Result r = env.Run({"wallet", "key"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("chmod 600"));
  CHECK_THAT(r.err, Contains(env.KeyPath()));
  CHECK(r.out.find("Private Address") == std::string::npos);
}

TEST_CASE("the wallet loader refuses a private key that does not derive the public key",
          "[cli]") {
  Env env;
  crypto::Seed seed{};
  seed.fill(7);
  const crypto::KeyPair key = crypto::KeyPair::FromSeed(seed);
  {
    std::ofstream out(env.KeyPath());
    out << "public_key: " << B58(SomeAddress(8)) << "\nprivate_key: " << B58(key.seed())
        << "\n";
  }
  REQUIRE(::chmod(env.KeyPath().c_str(), 0600) == 0);
  absl::StatusOr<crypto::KeyPair> loaded = LoadWallet(env.KeyPath());
  REQUIRE_FALSE(loaded.ok());
  CHECK_THAT(std::string(loaded.status().message()), Contains("does not derive"));

  {
    std::ofstream out(env.KeyPath(), std::ios::trunc);
    out << "public_key: nope\n";
  }
  loaded = LoadWallet(env.KeyPath());
  REQUIRE_FALSE(loaded.ok());
  CHECK_THAT(std::string(loaded.status().message()), Contains("public_key"));
  CHECK_THAT(std::string(loaded.status().message()), Contains(env.KeyPath()));

  {
    std::ofstream out(env.KeyPath(), std::ios::trunc);
    out << "public_key: [unclosed\n";
  }
  loaded = LoadWallet(env.KeyPath());
  REQUIRE_FALSE(loaded.ok());
  CHECK_THAT(std::string(loaded.status().message()), Contains(env.KeyPath()));
}

// ------------------------------------------------------------------ balance

TEST_CASE("wallet balance prints the DSC line", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  env.chain.accounts[key.public_key] = core::AccountInfo{core::Account{12'500'000, 2}, 42};
  Result r = env.Run({"wallet", "balance"});
  REQUIRE(r.code == 0);
  REQUIRE(r.out_lines.size() == 2);
  CHECK(r.out_lines[1] == "DSC Wallet balance: 12.5 coins at block 42");

  const core::Address other = SomeAddress(3);
  env.chain.accounts[other] = core::AccountInfo{core::Account{0, 0}, 43};
  r = env.Run({"wallet", "balance", B58(other)});
  REQUIRE(r.code == 0);
  CHECK(r.out_lines[1] == "DSC Wallet balance: 0 coins at block 43");
}

TEST_CASE("wallet balance of a malformed address is an error", "[cli]") {
  Env env;
  Result r = env.Run({"wallet", "balance", "0OIl"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("Error: malformed address '0OIl'"));
  CHECK(env.chain.calls == 0);
}

TEST_CASE("an unreachable node is an error naming its address", "[cli]") {
  Env env;
  env.CreateWallet();
  env.chain.fail = absl::UnavailableError("node 10.9.9.9:50051 is unreachable: connect failed");
  Result r = env.Run({"wallet", "balance", "--node=10.9.9.9:50051"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("Error: node 10.9.9.9:50051 is unreachable"));
  CHECK(env.addresses["chain"] == "10.9.9.9:50051");
}

// ------------------------------------------------------------------ send

TEST_CASE("wallet send submits a signed transaction and follows it to confirmation", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  const core::Address to = SomeAddress(5);
  env.chain.accounts[key.public_key] = core::AccountInfo{core::Account{10'000'000, 3}, 9};
  env.pool.next_nonce = 3;
  env.pool.script = {{core::TxStatus::kSubmitted, 0},
                     {core::TxStatus::kSubmitted, 0},
                     {core::TxStatus::kUnconfirmed, 0},
                     {core::TxStatus::kUnconfirmed, 0},
                     {core::TxStatus::kConfirmed, 10}};

  Result r = env.Run({"wallet", "send", "1.5", B58(to), "--fee=0.01"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(env.pool.submitted.size() == 1);
  const core::Transaction& tx = env.pool.submitted[0];
  CHECK(tx.sender == key.public_key);
  CHECK(tx.recipient == to);
  CHECK(tx.amount == 1'500'000);
  CHECK(tx.fee == 10'000);
  CHECK(tx.nonce == 3);
  CHECK(tx.timestamp_ms == kStartMs);
  CHECK(crypto::Verify(key.public_key, core::EncodeTxSigningBytes(tx), tx.signature));

  const std::string id = B58(core::ComputeTxId(tx));
  REQUIRE(r.out_lines.size() == 4);
  CHECK(r.out_lines[1] == "Transaction " + id + " status submitted");
  CHECK(r.out_lines[2] == "Transaction " + id + " status unconfirmed");
  CHECK(r.out_lines[3] == "Transaction " + id + " status confirmed, block 10");
  CHECK(env.pool.polls == 5);
  REQUIRE_FALSE(env.sleeps.empty());
  for (absl::Duration d : env.sleeps) CHECK(d == absl::Milliseconds(200));
}

TEST_CASE("wallet send --no-wait returns after submitting", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  env.chain.accounts[key.public_key] = core::AccountInfo{core::Account{10'000'000, 0}, 1};
  Result r = env.Run({"--no-wait", "wallet", "send", "2", B58(SomeAddress(5))});
  REQUIRE(r.code == 0);
  REQUIRE(r.out_lines.size() == 2);
  CHECK_THAT(r.out_lines[1], StartsWith("Transaction "));
  CHECK_THAT(r.out_lines[1], Contains(" status submitted"));
  CHECK(env.pool.polls == 0);
}

TEST_CASE("wallet send gives up after --timeout", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  env.chain.accounts[key.public_key] = core::AccountInfo{core::Account{10'000'000, 0}, 1};
  env.pool.script = {{core::TxStatus::kUnconfirmed, 0}};
  Result r = env.Run({"wallet", "send", "1", B58(SomeAddress(5)), "--timeout=2s"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("not confirmed within 2s (last status: unconfirmed)"));
  CHECK(env.pool.polls == 10);
  CHECK(HasLine(r, "Transaction " + B58(core::ComputeTxId(env.pool.submitted[0])) +
                       " status unconfirmed"));
}

TEST_CASE("wallet send finds a confirmation the pool already forgot on the chain", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  env.chain.accounts[key.public_key] = core::AccountInfo{core::Account{10'000'000, 0}, 1};
  env.pool.script = {{core::TxStatus::kUnknown, 0}};
  env.on_sleep = [&] {
    for (const core::Transaction& tx : env.pool.submitted) {
      env.chain.confirmed[core::ComputeTxId(tx)] = core::TxRecord{tx, 12, 0};
    }
  };
  Result r = env.Run({"wallet", "send", "1", B58(SomeAddress(5))});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out_lines.back(), Contains("status confirmed, block 12"));
}

TEST_CASE("wallet send refuses bad input before touching the network", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  env.chain.accounts[key.public_key] = core::AccountInfo{core::Account{10'000'000, 0}, 1};
  const std::string to = B58(SomeAddress(5));

  Result r = env.Run({"wallet", "send", "1.2.3", to});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("Error: malformed amount '1.2.3'"));

  r = env.Run({"wallet", "send", "0", to});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("amount must be greater than 0"));

  r = env.Run({"wallet", "send", "1", "not-an-address"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("Error: malformed recipient address 'not-an-address'"));

  r = env.Run({"wallet", "send", "1", to, "--fee=abc"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("--fee"));

  r = env.Run({"wallet", "send", "1", to, "--timeout=soon"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("--timeout"));

  CHECK(env.chain.calls == 0);
  CHECK(env.pool.submitted.empty());
}

TEST_CASE("wallet send checks the balance covers amount plus fee", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  env.chain.accounts[key.public_key] = core::AccountInfo{core::Account{1'000'000, 0}, 4};
  Result r = env.Run({"wallet", "send", "2", B58(SomeAddress(5)), "--fee", "0.5"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("Error: insufficient balance: have 1 coins, need 2.5"));
  CHECK(env.pool.submitted.empty());
}

TEST_CASE("wallet send prints the pool's verdict when it refuses", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  env.chain.accounts[key.public_key] = core::AccountInfo{core::Account{10'000'000, 0}, 1};
  env.pool.verdict = absl::FailedPreconditionError("nonce 3 is stale: expected 4");
  Result r = env.Run({"wallet", "send", "1", B58(SomeAddress(5))});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("nonce 3 is stale: expected 4"));
  CHECK_THAT(r.err, Contains("refused"));
  CHECK(r.out.find("status submitted") == std::string::npos);
}

TEST_CASE("wallet send without a wallet says so", "[cli]") {
  Env env;
  Result r = env.Run({"wallet", "send", "1", B58(SomeAddress(5))});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("no wallet at"));
}

// ------------------------------------------------------------------ transaction(s)

TEST_CASE("wallet transaction reports the pool's status", "[cli]") {
  Env env;
  const core::TxId id = crypto::Blake2b256(std::string_view("tx"));
  env.pool.script = {{core::TxStatus::kConfirmed, 9}};
  Result r = env.Run({"wallet", "transaction", B58(id)});
  REQUIRE(r.code == 0);
  CHECK(r.out_lines[1] == "Transaction " + B58(id) + " status confirmed, block 9");

  env.pool.script = {{core::TxStatus::kUnconfirmed, 0}};
  env.pool.polls = 0;
  r = env.Run({"wallet", "transaction", B58(id)});
  REQUIRE(r.code == 0);
  CHECK(r.out_lines[1] == "Transaction " + B58(id) + " status unconfirmed");
}

TEST_CASE("wallet transaction of an unknown or malformed id is an error", "[cli]") {
  Env env;
  const core::TxId id = crypto::Blake2b256(std::string_view("nobody"));
  Result r = env.Run({"wallet", "transaction", B58(id)});
  CHECK(r.code == 1);
  CHECK(HasLine(r, "Transaction " + B58(id) + " status unknown"));
  CHECK_THAT(r.err, Contains("Error: unknown transaction " + B58(id)));

  r = env.Run({"wallet", "transaction", "xyz0"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("malformed transaction id"));
}

// ------------------------------------------------------------------ wallet verify

// A real provenance trie (core/trie.h) over a few confirmed ids, and a signed anchor
// header at height 8 carrying its root, served by the fake chain.
struct ProvenanceWorld {
  core::MemoryTrieNodeStore nodes;
  core::Hash32 root{};
  std::map<core::TxId, std::pair<uint64_t, uint32_t>> confirmed;
  crypto::KeyPair producer = crypto::KeyPair::FromSeed(crypto::Seed{7});
  crypto::KeyPair metronome = crypto::KeyPair::FromSeed(crypto::Seed{8});
  core::BlockHeader anchor;

  ProvenanceWorld() {
    std::vector<core::TrieEntry> entries;
    for (uint32_t i = 0; i < 40; ++i) {
      const core::TxId id = crypto::Blake2b256(absl::StrCat("confirmed ", i));
      const uint64_t height = 1 + i % 7;
      confirmed[id] = {height, i / 7};
      entries.push_back({id, core::TxProvenanceValue(height, i / 7)});
    }
    std::vector<core::TrieNewNode> created;
    auto r = core::Trie(&nodes).Insert(core::Hash32{}, entries, &created);
    REQUIRE(r.ok());
    nodes.PutAll(created);
    root = *r;
    anchor.height = 8;
    anchor.timestamp_ms = kStartMs;
    anchor.provenance_root = root;
    anchor.producer = producer.public_key;
    Sign();
  }
  void Sign() {
    core::SignAsProducer(&anchor, producer);
    core::SignAsMetronome(&anchor, metronome);
  }
  core::TxId Id(uint32_t i) const { return crypto::Blake2b256(absl::StrCat("confirmed ", i)); }

  // What an honest chain answers.
  absl::StatusOr<core::ProvenanceProof> Prove(const core::TxId& id) {
    core::ProvenanceProof p;
    p.anchor = anchor;
    auto proof = core::Trie(&nodes).Prove(root, id);
    if (!proof.ok()) return proof.status();
    p.proof = *proof;
    auto it = confirmed.find(id);
    p.included = it != confirmed.end();
    if (p.included) std::tie(p.height, p.index) = it->second;
    return p;
  }
};

TEST_CASE("wallet verify checks an inclusion proof against the anchor header", "[cli]") {
  Env env;
  ProvenanceWorld world;
  std::optional<uint64_t> asked;
  env.chain.get_proof = [&](const core::TxId& id, std::optional<uint64_t> anchor) {
    asked = anchor;
    return world.Prove(id);
  };
  const core::TxId id = world.Id(9);  // block 3, index 1
  auto expected = world.Prove(id);
  REQUIRE(expected.ok());
  const size_t k = expected->proof.ShippedHashes();
  Result r = env.Run({"wallet", "verify", B58(id)});
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out_lines.size() == 3);
  CHECK(r.out_lines[1] == absl::StrCat("Transaction ", B58(id), " is in block 3 (proof of ", k,
                                       " hashes verified against root ", B58(world.root), ")"));
  CHECK(r.out_lines[2] ==
        absl::StrCat("Anchor: block 8, hash ", B58(core::ComputeBlockHash(world.anchor))));
  CHECK(asked == std::nullopt);
  CHECK(k >= 4);

  r = env.Run({"wallet", "verify", B58(id), "--height=8"});
  REQUIRE(r.code == 0);
  CHECK(asked == std::optional<uint64_t>(8));
}

TEST_CASE("wallet verify checks a non-inclusion proof", "[cli]") {
  Env env;
  ProvenanceWorld world;
  env.chain.get_proof = [&](const core::TxId& id, std::optional<uint64_t>) {
    return world.Prove(id);
  };
  const core::TxId id = crypto::Blake2b256(std::string_view("never sent"));
  auto expected = world.Prove(id);
  REQUIRE(expected.ok());
  Result r = env.Run({"wallet", "verify", B58(id)});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out_lines[1] == absl::StrCat("Transaction ", B58(id),
                                       " is not in the chain as of block 7 (proof of ",
                                       expected->proof.ShippedHashes(),
                                       " hashes verified against root ", B58(world.root), ")"));
}

TEST_CASE("wallet verify refuses tampered proofs, wrong roots, wrong ids and false claims",
          "[cli]") {
  Env env;
  ProvenanceWorld world;
  const core::TxId id = world.Id(12);
  std::function<void(core::ProvenanceProof*)> tamper;
  core::TxId serve = id;
  env.chain.get_proof = [&](const core::TxId&, std::optional<uint64_t>)
      -> absl::StatusOr<core::ProvenanceProof> {
    auto p = world.Prove(serve);
    if (p.ok() && tamper) tamper(&*p);
    return p;
  };
  auto run_fails = [&](const std::string& part) {
    Result r = env.Run({"wallet", "verify", B58(id)});
    INFO(r.out << r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Contains("Error: verification failed"));
    CHECK_THAT(r.err, Contains(part));
    CHECK(r.out.find(" is in block") == std::string::npos);
    CHECK(r.out.find("is not in the chain") == std::string::npos);
  };
  SECTION("a tampered sibling") {
    tamper = [](core::ProvenanceProof* p) {
      for (auto& s : p->proof.siblings) {
        if (s != core::Hash32{}) {
          s[5] ^= 0x01;
          break;
        }
      }
    };
    run_fails("the proof does not match the root");
  }
  SECTION("a tampered leaf value") {
    tamper = [](core::ProvenanceProof* p) { p->proof.leaf.value_hash[0] ^= 0x80; };
    run_fails("does not match the root");
  }
  SECTION("a wrong root in a re-signed header") {
    tamper = [&](core::ProvenanceProof* p) {
      p->anchor.provenance_root[31] ^= 1;
      core::SignAsProducer(&p->anchor, world.producer);
    };
    run_fails("does not match the root");
  }
  SECTION("an altered header") {
    tamper = [](core::ProvenanceProof* p) { p->anchor.provenance_root[0] ^= 1; };
    run_fails("is not signed by its producer");
  }
  SECTION("the proof of another id") {
    serve = world.Id(13);
    run_fails("verification failed");
  }
  SECTION("a false claim of inclusion") {
    serve = crypto::Blake2b256(std::string_view("absent"));
    tamper = [](core::ProvenanceProof* p) {
      p->included = true;
      p->height = 3;
    };
    run_fails("verification failed");
  }
  SECTION("a false claim of the block") {
    tamper = [](core::ProvenanceProof* p) { p->height += 1; };
    run_fails("does not commit transaction");
  }
  SECTION("a false claim of absence") {
    tamper = [](core::ProvenanceProof* p) { p->included = false; };
    run_fails("shows the opposite");
  }
}

TEST_CASE("wallet verify checks the metronome's countersignature when given its key", "[cli]") {
  Env env;
  ProvenanceWorld world;
  env.chain.get_proof = [&](const core::TxId& id, std::optional<uint64_t>) {
    return world.Prove(id);
  };
  const core::TxId id = world.Id(3);
  const std::string hash = B58(core::ComputeBlockHash(world.anchor));
  Result r = env.Run({"wallet", "verify", B58(id),
                      "--metronome-key=" + B58(world.metronome.public_key)});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out_lines.back() == absl::StrCat("Anchor: block 8, hash ", hash,
                                           ", signed by metronome ",
                                           B58(world.metronome.public_key)));
  // A header signed by its producer but not by this metronome (e.g. a producer's own
  // fork) is refused.
  const crypto::KeyPair other = crypto::KeyPair::FromSeed(crypto::Seed{9});
  r = env.Run({"wallet", "verify", B58(id), "--metronome-key=" + B58(other.public_key)});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains(absl::StrCat("verification failed: the anchor header of block 8 (hash ",
                                          hash, ") is not signed by the metronome ",
                                          B58(other.public_key))));
  CHECK(r.out.find(" is in block") == std::string::npos);
  r = env.Run({"wallet", "verify", B58(id), "--metronome-key=notakey"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("--metronome-key"));
}

TEST_CASE("wallet verify reports the chain's refusal and bad input", "[cli]") {
  Env env;
  env.chain.get_proof = [](const core::TxId&, std::optional<uint64_t>)
      -> absl::StatusOr<core::ProvenanceProof> {
    return absl::UnavailableError("transaction X was confirmed in block 9, the tip");
  };
  Result r = env.Run({"wallet", "verify", B58(crypto::Blake2b256(std::string_view("x")))});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("confirmed in block 9, the tip"));
  r = env.Run({"wallet", "verify", "xyz0"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("malformed transaction id"));
  r = env.Run({"wallet", "verify", B58(crypto::Blake2b256(std::string_view("x"))), "--height=0"});
  CHECK(r.code != 0);
  CHECK_THAT(r.err, Contains("--height"));
}

TEST_CASE("wallet transactions lists the report's lines", "[cli]") {
  Env env;
  const crypto::KeyPair key = env.CreateWallet();
  crypto::Seed seed{};
  seed.fill(9);
  const crypto::KeyPair other = crypto::KeyPair::FromSeed(seed);
  const core::Transaction tx1 =
      core::MakeTransaction(other, key.public_key, 1'000'000, 0, 0, kStartMs);
  const core::Transaction tx2 =
      core::MakeTransaction(key, other.public_key, 250'000, 1'000, 0, kStartMs + 5000);
  env.chain.address_txs = {core::TxRecord{tx2, 6, 0}, core::TxRecord{tx1, 5, 1}};

  Result r = env.Run({"wallet", "transactions", "--limit=5"});
  REQUIRE(r.code == 0);
  CHECK(env.chain.last_limit == 5);
  REQUIRE(r.out_lines.size() == 3);
  CHECK(r.out_lines[1] ==
        absl::StrCat("Transaction #1: id=", B58(core::ComputeTxId(tx2)),
                     ", status=confirmed, timestamp=\"", util::FormatMillis(kStartMs + 5000),
                     "\", coin=0.25, fee=0.001, source=", B58(key.public_key),
                     ", destination=", B58(other.public_key), ", block=6"));
  CHECK_THAT(r.out_lines[2], StartsWith("Transaction #2: id=" + B58(core::ComputeTxId(tx1))));
  CHECK_THAT(r.out_lines[2], Contains("coin=1, "));
  CHECK_THAT(r.out_lines[2], Contains("block=5"));

  r = env.Run({"wallet", "transactions", "--limit=0"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("--limit"));
}

// ------------------------------------------------------------------ chain / validator

TEST_CASE("chain tip and chain block show the header", "[cli]") {
  Env env;
  core::Block block;
  block.header.height = 5;
  block.header.timestamp_ms = kStartMs;
  block.header.difficulty = 18;
  block.header.producer = SomeAddress(4);
  block.header.fingerprint.fill(1);
  block.header.reward = 50'000'000;
  crypto::Seed seed{};
  seed.fill(2);
  block.txs.push_back(
      core::MakeTransaction(crypto::KeyPair::FromSeed(seed), SomeAddress(6), 3'000'000, 0, 0,
                            kStartMs - 10));
  block.header.tx_count = 1;
  env.chain.blocks = {block};
  const core::Hash32 hash = core::ComputeBlockHash(block.header);
  env.chain.tip.header = block.header;
  env.chain.tip.hash = hash;
  env.chain.tip.supply = 1'000'000'000'000;
  env.chain.tip.tx_total = 77;

  Result r = env.Run({"chain", "tip"});
  REQUIRE(r.code == 0);
  CHECK(HasLine(r, "Block height: 5"));
  CHECK(HasLine(r, "Block hash: " + B58(hash)));
  CHECK(HasLine(r, "Difficulty: 18"));
  CHECK(HasLine(r, "Producer: " + B58(SomeAddress(4)) + " (validator)"));
  CHECK(HasLine(r, "Coins in circulation: 1000000 coins"));
  CHECK(HasLine(r, "Confirmed transactions: 77"));
  CHECK(HasLine(r, "Transactions in block: 1"));

  r = env.Run({"chain", "block", "5", "--txs"});
  REQUIRE(r.code == 0);
  CHECK(HasLine(r, "Block hash: " + B58(hash)));
  CHECK(HasLine(r, "Reward: 50 coins"));
  CHECK_THAT(r.out_lines.back(), StartsWith("Transaction #1: id="));
  CHECK_THAT(r.out_lines.back(), Contains("coin=3, "));

  r = env.Run({"chain", "block", B58(hash)});
  REQUIRE(r.code == 0);
  CHECK(HasLine(r, "Block height: 5"));
  CHECK_THAT(r.out_lines.back(), StartsWith("Transactions: 1"));

  r = env.Run({"chain", "block", "6"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("no block 6"));

  r = env.Run({"chain", "block", "zz0"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("neither a block height nor a block hash"));
}

TEST_CASE("validator status shows key, proof, hash rate and blocks won", "[cli]") {
  Env env;
  env.validator.key = SomeAddress(1);
  env.validator.proof.kind = "pow";
  env.validator.proof.hashes_per_second = 1'234'567;
  env.validator.blocks_won = 4;
  Result r = env.Run({"validator", "status", "--validator=v:1"});
  REQUIRE(r.code == 0);
  CHECK(env.addresses["validator"] == "v:1");
  CHECK(HasLine(r, "Validator key: " + B58(SomeAddress(1))));
  CHECK(HasLine(r, "Proof: pow"));
  CHECK(HasLine(r, "Hash rate: 1.23 MH/s"));
  CHECK(HasLine(r, "Blocks won: 4"));
}

// ------------------------------------------------------------------ monitor

TEST_CASE("monitor shows every section and marks an unreachable one", "[cli]") {
  Env env;
  env.chain.tip.header.height = 12;
  env.chain.tip.supply = 5'000'000;
  env.chain.tip.tx_total = 100;
  env.pool.fail = absl::UnavailableError("node p:1 is unreachable: connect failed");
  env.metronome.status.validators.resize(2);
  env.metronome.status.validators[0].kind = "pow";
  env.metronome.status.validators[0].stats.hashes_per_second = 1000;
  env.metronome.status.validators[0].blocks_won = 3;
  env.metronome.status.validators[1].kind = "pom";
  env.metronome.status.validators[1].stats.hashes_per_second = 2000;
  env.metronome.status.blocks_by_validators = 8;
  env.metronome.status.blocks_by_metronome = 4;

  Result r = env.Run({"monitor", "--pool=p:1"});
  REQUIRE(r.code == 0);
  CHECK(HasLine(r, "Coins in circulation: 5 coins"));
  CHECK(HasLine(r, "Confirmed transactions: 100"));
  CHECK(HasLine(r, "Pool: unavailable (node p:1 is unreachable: connect failed)"));
  CHECK(HasLine(r, "Validators: 2, total hash rate 3.00 KH/s"));
  CHECK(HasLine(r, "Blocks: 8 by validators, 4 by metronome"));
  CHECK(HasLine(r, absl::StrCat("Metronome key: ", B58(env.metronome.status.metronome_key),
                                " (for dsc wallet verify --metronome-key)")));
  bool validator_line = false;
  for (const std::string& line : r.out_lines) {
    if (line.find("Validator #1: ") != std::string::npos) {
      validator_line = true;
      CHECK_THAT(line, Contains("kind=pow"));
      CHECK_THAT(line, Contains("blocks won=3"));
    }
  }
  CHECK(validator_line);
}

TEST_CASE("monitor --watch --count measures throughput between screens", "[cli]") {
  Env env;
  env.pool.stats.submitted = 4;
  env.pool.stats.unconfirmed = 2;
  env.chain.tip.tx_total = 100;
  env.on_sleep = [&] { env.chain.tip.tx_total += 50; };
  Result r = env.Run({"monitor", "--watch", "--count=3", "--interval=5s"});
  REQUIRE(r.code == 0);
  CHECK(env.sleeps == std::vector<absl::Duration>{absl::Seconds(5), absl::Seconds(5)});
  int screens = 0;
  for (const std::string& line : r.out_lines) screens += line == "DSC Monitor";
  CHECK(screens == 3);
  CHECK(HasLine(r, "Pool: 4 submitted, 2 unconfirmed (accepted 0, rejected 0, confirmed 0)"));
  CHECK(HasLine(r, "Throughput: 10.00 tx/s (50 txs over the last 5s)"));
}

TEST_CASE("monitor fails when no role answers", "[cli]") {
  Env env;
  env.chain.fail = absl::UnavailableError("node a:1 is unreachable");
  env.pool.fail = env.chain.fail;
  env.metronome.fail = env.chain.fail;
  Result r = env.Run({"monitor"});
  CHECK(r.code == 1);
  CHECK(HasLine(r, "Blockchain: unavailable (node a:1 is unreachable)"));
}

// ------------------------------------------------------------------ dispatch, flags, config

TEST_CASE("help lists every command", "[cli]") {
  Env env;
  Result r = env.Run({"help"});
  REQUIRE(r.code == 0);
  for (const char* cmd : {"dsc wallet create", "dsc wallet key", "dsc wallet balance",
                          "dsc wallet send", "dsc wallet transaction ",
                          "dsc wallet transactions", "dsc wallet verify", "dsc chain tip",
                          "dsc chain block",
                          "dsc validator status", "dsc monitor"}) {
    CHECK_THAT(r.out, Contains(cmd));
  }
  r = env.Run({"wallet", "help"});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("dsc wallet send"));
  CHECK(r.out.find("dsc chain tip") == std::string::npos);
  CHECK(env.Run({"wallet", "send", "--help"}).code == 0);
}

TEST_CASE("usage errors exit 2 with the usage line", "[cli]") {
  Env env;
  Result r = env.Run({"wallet", "send", "1"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("Error: `dsc wallet send` needs 2 arguments"));
  CHECK_THAT(r.err, Contains("Usage: dsc wallet send <amount> <address>"));

  r = env.Run({"wallet", "balance", "--fee=1"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("flag --fee does not apply to `dsc wallet balance`"));

  r = env.Run({"wallet", "frobnicate"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("unknown command `dsc wallet frobnicate`"));

  r = env.Run({"--bogus"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("unknown flag --bogus"));

  CHECK(env.Run({}).code == 2);
  CHECK(env.Run({"chain", "tip", "extra"}).code == 2);
}

TEST_CASE("role addresses come from flags, --node, the config file, then the default",
          "[cli]") {
  Env env;
  env.CreateWallet();
  {
    std::ofstream cfg(env.dir + "/dsc-config.yaml");
    cfg << "pool:\n  server: cfg-pool:1\nblockchain:\n  server: cfg-chain:2\n"
        << "validator:\n  proof_pow:\n    enable: true\n";
  }
  const std::string to = B58(SomeAddress(5));
  env.chain.accounts[LoadWallet(env.KeyPath())->public_key] =
      core::AccountInfo{core::Account{10'000'000, 0}, 1};

  REQUIRE(env.Run({"wallet", "send", "1", to, "--no-wait"}).code == 0);
  CHECK(env.addresses["pool"] == "cfg-pool:1");
  CHECK(env.addresses["chain"] == "cfg-chain:2");

  REQUIRE(env.Run({"wallet", "send", "1", to, "--no-wait", "--node=n:3"}).code == 0);
  CHECK(env.addresses["pool"] == "n:3");
  CHECK(env.addresses["chain"] == "n:3");

  REQUIRE(env.Run({"--pool", "p:4", "wallet", "send", "1", to, "--no-wait", "--node=n:3"})
              .code == 0);
  CHECK(env.addresses["pool"] == "p:4");
  CHECK(env.addresses["chain"] == "n:3");

  // An explicit --config replaces the one in the wallet dir; a missing one is an error.
  {
    std::ofstream cfg(env.dir + "/other.yaml");
    cfg << "metronome:\n  server: m:5\n";
  }
  REQUIRE(env.Run({"monitor", "--config=" + env.dir + "/other.yaml"}).code == 0);
  CHECK(env.addresses["metronome"] == "m:5");
  CHECK(env.addresses["chain"] == std::string(kDefaultNodeAddress));
  Result r = env.Run({"chain", "tip", "--config=" + env.dir + "/missing.yaml"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Contains("missing.yaml"));
}

}  // namespace
}  // namespace dsc::cli
