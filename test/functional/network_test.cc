// Functional tests: real dscd processes, driven over gRPC. (a) all roles in one process,
// (b) one process per role. Several wallets send hundreds of transactions; every one
// must reach `confirmed`, balances must be conserved, and after stopping and restarting
// every process the chain, balances and statuses must be identical. (c) A node killed
// with SIGKILL under load loses no acknowledged transaction.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/block.h"
#include "core/encoding.h"
#include "crypto/crypto.h"
#include "crypto/key_file.h"
#include "functional/process.h"
#include "rpc/clients.h"
#include "util/base58.h"

namespace dsc {
namespace {

using testing::FreePort;
using testing::Process;
using testing::TempDir;

constexpr uint64_t kCoin = 1'000'000;
constexpr uint64_t kFee = 10;

struct Wallet {
  crypto::KeyPair key;
  uint64_t nonce = 0;
};

std::vector<Wallet> MakeWallets(int n) {
  REQUIRE(crypto::Init().ok());
  std::vector<Wallet> w(n);
  for (auto& x : w) x.key = crypto::KeyPair::Generate();
  return w;
}

std::string Addr(const crypto::PublicKey& k) { return util::Base58Encode(k); }

// A running network: where the pool and chain answer, and the keys of its producers.
class Network {
 public:
  virtual ~Network() = default;
  virtual void Start() = 0;
  // SIGTERM to every process in reverse start order; each must exit 0.
  virtual void Stop() = 0;
  virtual void Crash() = 0;
  virtual std::vector<crypto::PublicKey> ProducerKeys() = 0;
  std::string pool_address;
  std::string chain_address;
};

std::vector<std::string> CommonArgs(const std::vector<Wallet>& wallets) {
  std::vector<std::string> args = {"--block-time=400ms", "--initial-difficulty=8",
                                   "--log-level=info"};
  for (const auto& w : wallets) {
    args.push_back(absl::StrCat("--genesis-alloc=", Addr(w.key.public_key), ":1000"));
  }
  return args;
}

crypto::PublicKey KeyIn(const std::string& path) {
  auto file = crypto::LoadKeyFile(path);
  REQUIRE(file.ok());
  return file->key.public_key;
}

class AllInOne : public Network {
 public:
  explicit AllInOne(const std::vector<Wallet>& wallets) {
    const int port = FreePort();
    pool_address = chain_address = absl::StrCat("127.0.0.1:", port);
    std::vector<std::string> args = {testing::BinDir() + "/dscd", "--role=all",
                                     "--data-dir=" + dir_.path() + "/node",
                                     "--listen=" + pool_address};
    for (auto& a : CommonArgs(wallets)) args.push_back(a);
    args_ = args;
  }
  void Start() override {
    process_ = std::make_unique<Process>("all", args_, dir_.path() + "/node.log");
    process_->Start();
  }
  void Stop() override {
    INFO(process_->Log());
    REQUIRE(process_->Stop() == 0);
  }
  void Crash() override { process_->Kill(); }
  std::vector<crypto::PublicKey> ProducerKeys() override {
    return {KeyIn(dir_.path() + "/node/validator-key.yaml"),
            KeyIn(dir_.path() + "/node/metronome-key.yaml")};
  }

 private:
  TempDir dir_;
  std::vector<std::string> args_;
  std::unique_ptr<Process> process_;
};

class FourProcesses : public Network {
 public:
  explicit FourProcesses(const std::vector<Wallet>& wallets) {
    const std::string chain = absl::StrCat("127.0.0.1:", FreePort());
    const std::string pool = absl::StrCat("127.0.0.1:", FreePort());
    const std::string metronome = absl::StrCat("127.0.0.1:", FreePort());
    const std::string validator = absl::StrCat("127.0.0.1:", FreePort());
    pool_address = pool;
    chain_address = chain;
    auto common = CommonArgs(wallets);
    auto make = [&](const std::string& role, const std::string& listen,
                    std::vector<std::string> extra) {
      std::vector<std::string> args = {testing::BinDir() + "/dscd", "--role=" + role,
                                       "--data-dir=" + dir_.path() + "/" + role,
                                       "--listen=" + listen};
      for (auto& a : extra) args.push_back(a);
      for (auto& a : common) args.push_back(a);
      specs_.push_back({role, args});
    };
    // Start order: chain, pool, metronome, validator (each waits for its peers).
    make("chain", chain, {"--metronome=" + metronome});
    make("pool", pool, {"--chain=" + chain});
    make("metronome", metronome, {"--chain=" + chain, "--pool=" + pool});
    make("validator", validator, {"--pool=" + pool, "--metronome=" + metronome});
  }
  void Start() override {
    processes_.clear();
    for (auto& [role, args] : specs_) {
      processes_.push_back(std::make_unique<Process>(role, args, dir_.path() + "/" + role + ".log"));
      processes_.back()->Start();
    }
  }
  void Stop() override {
    for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
      INFO((*it)->name() << " log:\n" << (*it)->Log());
      REQUIRE((*it)->Stop() == 0);
    }
  }
  void Crash() override {
    for (auto& p : processes_) p->Kill();
  }
  std::vector<crypto::PublicKey> ProducerKeys() override {
    return {KeyIn(dir_.path() + "/validator/validator-key.yaml"),
            KeyIn(dir_.path() + "/metronome/metronome-key.yaml")};
  }

 private:
  TempDir dir_;
  std::vector<std::pair<std::string, std::vector<std::string>>> specs_;
  std::vector<std::unique_ptr<Process>> processes_;
};

struct Clients {
  std::unique_ptr<core::PoolApi> pool;
  std::unique_ptr<core::ChainApi> chain;
};

Clients Connect(const Network& net) {
  rpc::ClientOptions pool_options{net.pool_address, absl::Seconds(10)};
  rpc::ClientOptions chain_options{net.chain_address, absl::Seconds(10)};
  return {rpc::NewRemotePool(pool_options), rpc::NewRemoteChain(chain_options)};
}

// Waits (bounded) until the chain is past `height` and the pool answers.
void WaitReady(Clients& c, uint64_t height, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto tip = c.chain->GetTip();
    auto stats = c.pool->GetStats();
    if (tip.ok() && stats.ok() && tip->header.height > height && stats->synced_height >= height) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  FAIL("network did not become ready in time");
}

// Sends `per_wallet` transactions from each wallet (first one alone, then batches of 25)
// to random other wallets. Returns the ids, all acknowledged.
std::vector<core::TxId> SendLoad(core::PoolApi& pool, std::vector<Wallet>& wallets,
                                 int per_wallet, std::mt19937_64& rng) {
  std::vector<core::TxId> ids;
  std::uniform_int_distribution<size_t> pick(0, wallets.size() - 1);
  std::uniform_int_distribution<uint64_t> amount(1, kCoin);
  int sent = 0;
  while (sent < per_wallet) {
    const int batch = sent == 0 ? 1 : std::min(25, per_wallet - sent);
    for (size_t w = 0; w < wallets.size(); ++w) {
      std::vector<core::Transaction> txs;
      for (int i = 0; i < batch; ++i) {
        size_t to = pick(rng);
        if (to == w) to = (to + 1) % wallets.size();
        txs.push_back(core::MakeTransaction(wallets[w].key, wallets[to].key.public_key,
                                            amount(rng), kFee, wallets[w].nonce++,
                                            absl::ToUnixMillis(absl::Now())));
      }
      auto verdicts = pool.Submit(txs);
      for (size_t i = 0; i < txs.size(); ++i) {
        INFO("tx " << i << " of wallet " << w << ": " << verdicts[i].ToString());
        REQUIRE(verdicts[i].ok());
        ids.push_back(core::ComputeTxId(txs[i]));
      }
    }
    sent += batch;
  }
  return ids;
}

std::map<core::TxId, uint64_t> WaitConfirmed(core::PoolApi& pool, const std::vector<core::TxId>& ids,
                                             absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + timeout;
  std::map<core::TxId, uint64_t> heights;
  while (absl::Now() < deadline) {
    std::vector<core::TxId> pending;
    for (const auto& id : ids) {
      if (!heights.count(id)) pending.push_back(id);
    }
    if (pending.empty()) return heights;
    for (size_t begin = 0; begin < pending.size(); begin += 5000) {
      std::vector<core::TxId> chunk(pending.begin() + begin,
                                    pending.begin() + std::min(pending.size(), begin + 5000));
      auto statuses = pool.GetStatus(chunk);
      REQUIRE(statuses.ok());
      for (size_t i = 0; i < chunk.size(); ++i) {
        if ((*statuses)[i].status == core::TxStatus::kConfirmed) {
          heights[chunk[i]] = (*statuses)[i].height;
        }
      }
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  FAIL("only " << heights.size() << " of " << ids.size() << " transactions confirmed in time");
  return heights;
}

// What must survive a restart.
struct Snapshot {
  uint64_t height = 0;
  std::vector<core::Hash32> hashes;  // block hashes 0..height
  std::map<std::string, uint64_t> wallet_balances;
  std::map<core::TxId, uint64_t> confirmed;
};

Snapshot Take(Clients& c, const std::vector<Wallet>& wallets, const std::vector<core::TxId>& ids) {
  Snapshot s;
  auto tip = c.chain->GetTip();
  REQUIRE(tip.ok());
  s.height = tip->header.height;
  for (uint64_t h = 0; h <= s.height; ++h) {
    auto block = c.chain->GetBlock(h, absl::ZeroDuration());
    REQUIRE(block.ok());
    s.hashes.push_back(core::ComputeBlockHash(block->header));
  }
  for (const auto& w : wallets) {
    auto info = c.chain->GetAccount(w.key.public_key);
    REQUIRE(info.ok());
    s.wallet_balances[Addr(w.key.public_key)] = info->account.balance;
  }
  auto statuses = c.pool->GetStatus(ids);
  REQUIRE(statuses.ok());
  for (size_t i = 0; i < ids.size(); ++i) {
    REQUIRE((*statuses)[i].status == core::TxStatus::kConfirmed);
    s.confirmed[ids[i]] = (*statuses)[i].height;
  }
  return s;
}

// Sum of every balance that can be non-zero == the chain's supply == genesis + rewards.
void CheckConservation(Clients& c, const std::vector<Wallet>& wallets,
                       const std::vector<crypto::PublicKey>& producers) {
  // Read twice around the balances so a block landing in between is detected.
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto before = c.chain->GetTip();
    REQUIRE(before.ok());
    uint64_t sum = 0;
    for (const auto& w : wallets) sum += c.chain->GetAccount(w.key.public_key)->account.balance;
    for (const auto& k : producers) sum += c.chain->GetAccount(k)->account.balance;
    auto after = c.chain->GetTip();
    REQUIRE(after.ok());
    if (before->header.height != after->header.height) continue;
    INFO("height " << after->header.height);
    CHECK(sum == after->supply);
    // Supply: genesis plus one reward per validator block.
    uint64_t validator_blocks = 0;
    for (uint64_t h = 1; h <= after->header.height; ++h) {
      auto block = c.chain->GetBlock(h, absl::ZeroDuration());
      REQUIRE(block.ok());
      validator_blocks += block->header.reward > 0 ? 1 : 0;
      CHECK((block->header.reward == 0 || block->header.reward == kCoin));
    }
    CHECK(after->supply == wallets.size() * 1000 * kCoin + validator_blocks * kCoin);
    return;
  }
  FAIL("the chain kept moving while balances were read");
}

void RunScenario(Network& net, std::vector<Wallet>& wallets, int per_wallet) {
  std::mt19937_64 rng(20261121);
  net.Start();
  Clients c = Connect(net);
  WaitReady(c, 0);
  const std::vector<core::TxId> ids = SendLoad(*c.pool, wallets, per_wallet, rng);
  const auto heights = WaitConfirmed(*c.pool, ids);
  REQUIRE(heights.size() == ids.size());
  const std::vector<crypto::PublicKey> producers = net.ProducerKeys();
  CheckConservation(c, wallets, producers);

  // Some blocks must have been won by the validator and carry transactions.
  uint64_t max_height = 0;
  for (const auto& [id, h] : heights) max_height = std::max(max_height, h);
  CHECK(max_height > 0);

  Snapshot before = Take(c, wallets, ids);
  net.Stop();
  c = Clients{};
  net.Start();
  c = Connect(net);
  WaitReady(c, before.height);
  Snapshot after = Take(c, wallets, ids);
  CHECK(after.height > before.height);  // the chain resumed
  for (uint64_t h = 0; h <= before.height; ++h) CHECK(after.hashes[h] == before.hashes[h]);
  CHECK(after.wallet_balances == before.wallet_balances);
  CHECK(after.confirmed == before.confirmed);
  // Nonces continue where they stopped: one more transaction per wallet confirms.
  std::vector<core::TxId> more = SendLoad(*c.pool, wallets, 1, rng);
  WaitConfirmed(*c.pool, more);
  CheckConservation(c, wallets, producers);
  net.Stop();
}

TEST_CASE("all roles in one process: hundreds of transactions confirm, survive restart",
          "[functional]") {
  auto wallets = MakeWallets(4);
  AllInOne net(wallets);
  RunScenario(net, wallets, 100);
}

TEST_CASE("one process per role: hundreds of transactions confirm, survive restart",
          "[functional]") {
  auto wallets = MakeWallets(4);
  FourProcesses net(wallets);
  RunScenario(net, wallets, 100);
}

TEST_CASE("a node killed under load loses no acknowledged transaction", "[functional]") {
  auto wallets = MakeWallets(3);
  AllInOne net(wallets);
  std::mt19937_64 rng(7);
  net.Start();
  Clients c = Connect(net);
  WaitReady(c, 0);
  std::vector<core::TxId> ids = SendLoad(*c.pool, wallets, 60, rng);
  net.Crash();  // no chance to flush anything that was not already durable
  c = Clients{};
  net.Start();
  c = Connect(net);
  WaitReady(c, 1);
  WaitConfirmed(*c.pool, ids);
  CheckConservation(c, wallets, net.ProducerKeys());
  net.Stop();
}

// One validator of each kind (separate processes, small tables) against one
// pool+chain+metronome process: each kind wins blocks, the metronome sees the PoM and PoS
// tables' sizes, and every process stops cleanly.
TEST_CASE("one pow, one pom and one pos validator each win blocks", "[functional]") {
  REQUIRE(crypto::Init().ok());
  TempDir dir;
  const std::string core_address = absl::StrCat("127.0.0.1:", FreePort());
  // Tables of about 2^16 records and a difficulty kept at 16-17 bits: the tables hold a
  // match in roughly half the rounds (PoM answers first when both do, PoS when only it
  // does) and PoW, which needs ~2^17 hashes (tens of ms), takes the rest.
  const std::string config = dir.path() + "/dsc-config.yaml";
  {
    std::ofstream out(config);
    out << "blockchain:\n  max_difficulty: 17\n";
  }
  std::vector<std::unique_ptr<Process>> processes;
  auto start = [&](const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {testing::BinDir() + "/dscd", "--data-dir=" + dir.path() + "/" + name,
                               "--listen=127.0.0.1:" + std::to_string(FreePort())});
    if (name == "core") args[2] = "--listen=" + core_address;
    processes.push_back(std::make_unique<Process>(name, args, dir.path() + "/" + name + ".log"));
    processes.back()->Start();
  };
  start("core", {"--role=pool,chain,metronome", "--block-time=500ms", "--initial-difficulty=16",
                 "--config=" + config});
  const std::vector<std::string> peers = {"--role=validator", "--pool=" + core_address,
                                          "--metronome=" + core_address};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = peers;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  start("pow", with({"--proof=pow", "--threads-hash=1"}));
  start("pom", with({"--proof=pom", "--memory=1M"}));
  start("pos", with({"--proof=pos", "--disk=1M", "--threads-io=2"}));

  std::map<std::string, crypto::PublicKey> keys;
  auto chain = rpc::NewRemoteChain({core_address, absl::Seconds(10)});
  auto metronome = rpc::NewRemoteMetronome({core_address, absl::Seconds(10)});
  std::map<std::string, int> wins;
  uint64_t scanned = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(40);
  while (absl::Now() < deadline && (wins["pow"] == 0 || wins["pom"] == 0 || wins["pos"] == 0)) {
    absl::SleepFor(absl::Milliseconds(500));
    for (const std::string kind : {"pow", "pom", "pos"}) {
      const std::string path = dir.path() + "/" + kind + "/validator-key.yaml";
      if (!keys.count(kind) && std::filesystem::exists(path)) {
        auto file = crypto::LoadKeyFile(path);
        if (file.ok()) keys[kind] = file->key.public_key;
      }
    }
    auto tip = chain->GetTip();
    if (!tip.ok() || keys.size() < 3) continue;
    for (; scanned < tip->header.height; ++scanned) {
      auto block = chain->GetBlock(scanned + 1, absl::ZeroDuration());
      REQUIRE(block.ok());
      for (const auto& [kind, key] : keys) wins[kind] += block->header.producer == key ? 1 : 0;
    }
  }
  INFO("blocks won: pow " << wins["pow"] << ", pom " << wins["pom"] << ", pos " << wins["pos"]
                          << " of " << scanned);
  for (auto it = processes.rbegin(); it != processes.rend(); ++it) {
    INFO((*it)->name() << " log:\n" << (*it)->Log());
    if (wins["pow"] == 0 || wins["pom"] == 0 || wins["pos"] == 0) CHECK((*it)->Running());
  }
  CHECK(wins["pow"] > 0);
  CHECK(wins["pom"] > 0);
  CHECK(wins["pos"] > 0);

  // The metronome knows each kind and the tables' sizes (what dsc monitor sums).
  auto status = metronome->GetStatus();
  REQUIRE(status.ok());
  std::map<std::string, uint64_t> records;
  for (const auto& v : status->validators) records[v.kind] = v.stats.records_stored;
  CHECK(records.size() == 3);
  CHECK(records["pow"] == 0);
  CHECK(records["pom"] == 65536);
  CHECK(records["pos"] == 64512);  // 1 MiB less the header: 63 cups of 1024 records

  for (auto it = processes.rbegin(); it != processes.rend(); ++it) {
    INFO((*it)->name() << " log:\n" << (*it)->Log());
    CHECK((*it)->Stop() == 0);
  }
  const std::string pos_log = processes[3]->Log();
  CHECK_THAT(pos_log, Catch::Contains("PoS vault ready: gen/org"));
  CHECK_THAT(processes[2]->Log(), Catch::Contains("PoM table ready: gen/org"));
}

}  // namespace
}  // namespace dsc
