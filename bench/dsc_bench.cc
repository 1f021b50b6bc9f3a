// dsc-bench: the load generator. N wallets (keys derived from --seed, funded at genesis)
// send pre-signed transactions through batched submission, as fast as the pool accepts
// them or at --rate tx/s; every transaction is tracked to `confirmed` by following the
// chain's blocks. Prints submitted, confirmed, lost, throughput, confirmation latency
// (avg/min/p50/p99/max) and, for nodes it spawned itself (--spawn), their CPU time and
// peak RSS.
//
//   dsc-bench --spawn=all --wallets=8 --txs=128000 --block_time=6s
//   dsc-bench --spawn=split ...            (one process per role)
//   dsc-bench --print-genesis --wallets=8  (flags for a node you start yourself)
//   dsc-bench --node=127.0.0.1:50051 --wallets=8 --txs=1024
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/block.h"
#include "core/encoding.h"
#include "crypto/crypto.h"
#include "crypto/ed25519.h"
#include "functional/process.h"
#include "rpc/clients.h"
#include "util/base58.h"
#include "util/flags.h"
#include "util/time.h"

ABSL_FLAG(std::string, node, "127.0.0.1:50051", "node serving pool and chain (without --spawn)");
ABSL_FLAG(std::string, spawn, "", "start the network here: 'all' (one process) or 'split' (one per role)");
ABSL_FLAG(std::string, dscd, "", "dscd binary for --spawn (default: next to dsc-bench)");
ABSL_FLAG(int, wallets, 8, "number of sending wallets");
ABSL_FLAG(int64_t, txs, 1024, "transactions in total, spread evenly over the wallets");
ABSL_FLAG(int, batch, 1000, "transactions per SubmitBatch call");
ABSL_FLAG(double, rate, 0, "offered load in tx/s over all wallets (0 = as fast as accepted)");
ABSL_FLAG(int, submitters, 2, "submitting threads");
ABSL_FLAG(uint64_t, seed, 1, "wallet keys are derived from this seed");
ABSL_FLAG(std::string, block_time, "6s", "--block-time of spawned nodes");
ABSL_FLAG(int, max_block_txs, 8192, "--max-block-txs of spawned nodes");
ABSL_FLAG(int, initial_difficulty, 12, "--initial-difficulty of spawned nodes");
ABSL_FLAG(std::string, extra, "", "more flags for spawned nodes, space separated");
ABSL_FLAG(int, timeout_s, 900, "give up waiting for confirmations after this many seconds");
ABSL_FLAG(bool, print_genesis, false, "print the --genesis-alloc flags for the wallets and exit");
ABSL_FLAG(std::string, label, "", "label of the result row");

namespace dsc::bench {
namespace {

constexpr uint64_t kGenesisCoins = 1'000'000;

// `name` in the folder of this program (dsc-bench is built next to dscd).
std::string SiblingBinary(const std::string& name) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? name : (self.parent_path() / name).string();
}

crypto::KeyPair WalletKey(uint64_t seed, int i) {
  const std::string material = absl::StrCat("dsc-bench wallet ", seed, " ", i);
  return crypto::KeyPair::FromSeed(crypto::Blake2b256(material));
}

struct Tracked {
  int64_t submitted_ms = 0;  // acknowledged by the pool
  int64_t confirmed_ms = 0;
};

// Process CPU seconds and peak RSS (MiB) from /proc.
std::pair<double, double> Usage(pid_t pid) {
  double cpu = 0;
  double rss = 0;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    cpu = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) rss = std::stod(line.substr(6)) / 1024.0;
  }
  return {cpu, rss};
}

// Ed25519 verifications per second on this machine with `threads` threads verifying at
// once, the way the pool does: batches of 64 transaction-sized messages signed by `keys`
// distinct wallets (crypto::VerifyBatch, which merges the terms of a shared key), for about
// `seconds`, summed over the threads. The pool verifies every submitted signature, so the
// rate with every core busy bounds what any node here can confirm. (On this VM two threads
// together verify well under twice what one does alone, so cores x the one-thread rate
// overstates it.)
double VerifiesPerSecond(double seconds, int threads, int keys) {
  constexpr int kBatch = 64;
  keys = std::clamp(keys, 1, kBatch);
  std::vector<crypto::PublicKey> pub(kBatch);
  std::vector<std::string> messages(kBatch);
  std::vector<crypto::Signature> sigs(kBatch);
  std::vector<crypto::SignedMessage> items;
  for (int i = 0; i < kBatch; ++i) {
    const crypto::KeyPair key = WalletKey(0xBE7C, i % keys);
    pub[i] = key.public_key;
    messages[i] = std::string(120, static_cast<char>('a' + i % 26));
    sigs[i] = crypto::Sign(key, messages[i]);
    items.push_back({&pub[i],
                     absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(messages[i].data()),
                                         messages[i].size()),
                     &sigs[i]});
  }
  std::atomic<int64_t> total{0};
  std::atomic<bool> ok{true};
  const absl::Time start = absl::Now();
  auto work = [&] {
    int64_t n = 0;
    bool good = true;
    while (absl::Now() - start < absl::Seconds(seconds)) {
      good &= crypto::VerifyBatch(items);
      n += kBatch;
    }
    total += n;
    if (!good) ok = false;
  };
  std::vector<std::thread> others;
  for (int t = 1; t < threads; ++t) others.emplace_back(work);
  work();
  for (auto& t : others) t.join();
  if (!ok) return 0;
  return static_cast<double>(total.load()) / absl::ToDoubleSeconds(absl::Now() - start);
}

int Run() {
  if (!crypto::Init().ok()) return 1;
  const int wallets = absl::GetFlag(FLAGS_wallets);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (wallets < 2) {
    std::cerr << "--wallets must be at least 2\n";
    return 2;
  }
  std::vector<crypto::KeyPair> keys;
  for (int i = 0; i < wallets; ++i) keys.push_back(WalletKey(seed, i));
  std::vector<std::string> genesis;
  for (const auto& k : keys) {
    genesis.push_back(absl::StrCat("--genesis-alloc=", util::Base58Encode(k.public_key), ":",
                                   kGenesisCoins));
  }
  if (absl::GetFlag(FLAGS_print_genesis)) {
    for (const auto& g : genesis) std::cout << g << " ";
    std::cout << "\n";
    return 0;
  }

  // Measured before any node runs, while the machine is quiet.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const double verify_rate = VerifiesPerSecond(0.5, 1, wallets);
  const double verify_all = VerifiesPerSecond(1.0, static_cast<int>(cores), wallets);

  // Optionally start the network.
  testing::TempDir dir;
  std::vector<std::unique_ptr<testing::Process>> nodes;
  std::string pool_address = absl::GetFlag(FLAGS_node);
  std::string chain_address = pool_address;
  const std::string spawn = absl::GetFlag(FLAGS_spawn);
  if (!spawn.empty()) {
    std::string dscd = absl::GetFlag(FLAGS_dscd);
    if (dscd.empty()) dscd = SiblingBinary("dscd");
    if (::access(dscd.c_str(), X_OK) != 0) {
      std::cerr << "cannot run " << dscd << " (set --dscd)\n";
      return 2;
    }
    std::vector<std::string> common = {
        absl::StrCat("--block-time=", absl::GetFlag(FLAGS_block_time)),
        absl::StrCat("--max-block-txs=", absl::GetFlag(FLAGS_max_block_txs)),
        absl::StrCat("--initial-difficulty=", absl::GetFlag(FLAGS_initial_difficulty)),
        "--log-level=warn"};
    for (auto& g : genesis) common.push_back(g);
    std::istringstream extra(absl::GetFlag(FLAGS_extra));
    for (std::string f; extra >> f;) common.push_back(f);
    auto start = [&](const std::string& role, const std::string& listen,
                     std::vector<std::string> peers) {
      std::vector<std::string> args = {dscd, "--role=" + role, "--listen=" + listen,
                                       "--data-dir=" + dir.path() + "/" + role};
      for (auto& p : peers) args.push_back(p);
      for (auto& c : common) args.push_back(c);
      nodes.push_back(std::make_unique<testing::Process>(role, args,
                                                         dir.path() + "/" + role + ".log"));
      nodes.back()->Start();
    };
    if (spawn == "all") {
      pool_address = chain_address = absl::StrCat("127.0.0.1:", testing::FreePort());
      start("all", pool_address, {});
    } else if (spawn == "split") {
      chain_address = absl::StrCat("127.0.0.1:", testing::FreePort());
      pool_address = absl::StrCat("127.0.0.1:", testing::FreePort());
      const std::string metronome = absl::StrCat("127.0.0.1:", testing::FreePort());
      const std::string validator = absl::StrCat("127.0.0.1:", testing::FreePort());
      start("chain", chain_address, {"--metronome=" + metronome});
      start("pool", pool_address, {"--chain=" + chain_address});
      start("metronome", metronome, {"--chain=" + chain_address, "--pool=" + pool_address});
      start("validator", validator, {"--pool=" + pool_address, "--metronome=" + metronome});
    } else {
      std::cerr << "--spawn must be 'all' or 'split'\n";
      return 2;
    }
  }
  auto pool = rpc::NewRemotePool({pool_address, absl::Seconds(60)});
  auto chain = rpc::NewRemoteChain({chain_address, absl::Seconds(60)});
  absl::StatusOr<core::ChainTip> tip;
  for (int i = 0; i < 300; ++i) {
    tip = chain->GetTip();
    if (tip.ok() && pool->GetStats().ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (!tip.ok()) {
    std::cerr << "node not reachable: " << tip.status() << "\n";
    for (auto& n : nodes) std::cerr << n->name() << " log:\n" << n->Log();
    return 1;
  }

  // Pre-sign everything: wallet i pays wallet i+1 one unit per transaction. Signing is
  // spread over the cores (it is not part of the measured run, only of the wait for it).
  const int64_t per_wallet = std::max<int64_t>(1, absl::GetFlag(FLAGS_txs) / wallets);
  std::vector<std::vector<core::Transaction>> txs(wallets);
  absl::flat_hash_map<core::TxId, size_t> index;  // id -> slot in `tracked`
  std::vector<Tracked> tracked(static_cast<size_t>(per_wallet * wallets));
  const int64_t now = util::NowMillis();
  std::vector<uint64_t> first_nonce(wallets);
  for (int w = 0; w < wallets; ++w) {
    auto nonce = pool->NextNonce(keys[w].public_key);
    if (!nonce.ok()) {
      std::cerr << "cannot read nonce: " << nonce.status() << "\n";
      return 1;
    }
    first_nonce[w] = *nonce;
  }
  {
    const int signers = static_cast<int>(std::min<unsigned>(cores, wallets));
    std::vector<std::thread> threads;
    for (int t = 0; t < signers; ++t) {
      threads.emplace_back([&, t] {
        for (int w = t; w < wallets; w += signers) {
          txs[w].reserve(static_cast<size_t>(per_wallet));
          for (int64_t n = 0; n < per_wallet; ++n) {
            txs[w].push_back(core::MakeTransaction(keys[w], keys[(w + 1) % wallets].public_key,
                                                   1, 0, first_nonce[w] + static_cast<uint64_t>(n),
                                                   now));
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  for (int w = 0; w < wallets; ++w) {
    for (int64_t n = 0; n < per_wallet; ++n) {
      index[core::ComputeTxId(txs[w][n])] = static_cast<size_t>(w * per_wallet + n);
    }
  }

  // Follow the chain: confirmation time of each tracked transaction.
  std::atomic<bool> done{false};
  std::atomic<int64_t> confirmed{0};
  std::mutex mu;
  std::thread follower([&] {
    uint64_t next = tip->header.height + 1;
    while (!done) {
      auto block = chain->GetBlock(next, absl::Milliseconds(500));
      if (!block.ok()) continue;
      const int64_t t = util::NowMillis();
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& tx : block->txs) {
        auto it = index.find(core::ComputeTxId(tx));
        if (it != index.end() && tracked[it->second].confirmed_ms == 0) {
          tracked[it->second].confirmed_ms = t;
          ++confirmed;
        }
      }
      ++next;
    }
  });

  // Submit: each thread owns some wallets and sends their transactions in batches.
  const int batch = std::max(1, absl::GetFlag(FLAGS_batch));
  const double rate = absl::GetFlag(FLAGS_rate);
  const int threads = std::max(1, std::min(absl::GetFlag(FLAGS_submitters), wallets));
  std::atomic<int64_t> submitted{0};
  std::atomic<int64_t> refusals{0};
  const absl::Time t0 = absl::Now();
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([&, t] {
      std::vector<size_t> sent(wallets, 0);
      bool more = true;
      while (more) {
        more = false;
        for (int w = t; w < wallets; w += threads) {
          if (sent[w] >= txs[w].size()) continue;
          more = true;
          if (rate > 0) {  // pace the offered load
            const absl::Time due = t0 + absl::Seconds(static_cast<double>(submitted.load()) / rate);
            if (due > absl::Now()) absl::SleepFor(due - absl::Now());
          }
          const size_t n = std::min<size_t>(batch, txs[w].size() - sent[w]);
          absl::Span<const core::Transaction> span(txs[w].data() + sent[w], n);
          std::vector<absl::Status> verdicts = pool->Submit(span);
          const int64_t ack = util::NowMillis();
          size_t ok = 0;
          while (ok < n && verdicts[ok].ok()) ++ok;  // accepted prefix; resend from the first refusal
          {
            std::lock_guard<std::mutex> lock(mu);
            for (size_t i = 0; i < ok; ++i) tracked[w * per_wallet + sent[w] + i].submitted_ms = ack;
          }
          sent[w] += ok;
          submitted += static_cast<int64_t>(ok);
          if (ok < n) {
            ++refusals;
            if (refusals.load() < 5) std::cerr << "refused (will retry): " << verdicts[ok] << "\n";
            absl::SleepFor(absl::Milliseconds(100));
          }
        }
      }
    });
  }
  for (auto& s : submitters) s.join();
  const absl::Time submitted_at = absl::Now();
  const int64_t total = per_wallet * wallets;
  const absl::Time deadline = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_timeout_s));
  while (confirmed.load() < total && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  done = true;
  follower.join();

  std::vector<double> latencies;
  int64_t last_confirm = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& tr : tracked) {
      if (tr.confirmed_ms == 0) continue;
      last_confirm = std::max(last_confirm, tr.confirmed_ms);
      latencies.push_back(static_cast<double>(std::max<int64_t>(0, tr.confirmed_ms - tr.submitted_ms)) / 1000.0);
    }
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  double sum = 0;
  for (double l : latencies) sum += l;
  const double run_s = last_confirm > 0 ? static_cast<double>(last_confirm - ToUnixMillis(t0)) / 1000.0 : 0;
  double cpu = 0, rss = 0;
  for (auto& n : nodes) {
    auto [c, r] = Usage(n->pid());
    cpu += c;
    rss += r;
  }
  const int64_t lost = submitted.load() - static_cast<int64_t>(latencies.size());
  std::printf("%-14s %7s %9s %9s %9s %5s %8s %11s %7s %7s %7s %7s %7s %8s %8s\n", "label", "wallets",
              "txs", "submitted", "confirmed", "lost", "time_s", "tx_per_s", "lat_avg", "lat_min",
              "lat_p50", "lat_p99", "lat_max", "cpu_s", "rss_mb");
  std::printf("%-14s %7d %9lld %9lld %9zu %5lld %8.1f %11.1f %7.2f %7.2f %7.2f %7.2f %7.2f %8.1f %8.1f\n",
              absl::GetFlag(FLAGS_label).empty() ? "-" : absl::GetFlag(FLAGS_label).c_str(), wallets,
              static_cast<long long>(total), static_cast<long long>(submitted.load()),
              latencies.size(), static_cast<long long>(lost), run_s,
              run_s > 0 ? static_cast<double>(latencies.size()) / run_s : 0.0,
              latencies.empty() ? 0 : sum / latencies.size(), pct(0), pct(0.5), pct(0.99),
              latencies.empty() ? 0 : latencies.back(), cpu, rss);
  std::fprintf(stderr, "submission took %.1f s (%.0f tx/s accepted); %lld refused batches\n",
               absl::ToDoubleSeconds(submitted_at - t0),
               static_cast<double>(submitted.load()) / std::max(1e-9, absl::ToDoubleSeconds(submitted_at - t0)),
               static_cast<long long>(refusals.load()));
  if (verify_all > 0 && run_s > 0) {
    std::fprintf(stderr,
                 "machine: one core alone verifies %.0f Ed25519 signatures/s (batches of 64 "
                 "from these wallets), all %u cores together %.0f/s: the pool's signature checks alone cap this machine at %.0f "
                 "tx/s; this run confirmed %.1f%% of that (node CPU %.1f us per confirmed tx)\n",
                 verify_rate, cores, verify_all, verify_all,
                 100.0 * static_cast<double>(latencies.size()) / run_s / verify_all,
                 latencies.empty() ? 0.0 : cpu * 1e6 / static_cast<double>(latencies.size()));
  }
  for (auto& n : nodes) n->Stop();
  return lost == 0 && static_cast<int64_t>(latencies.size()) == total ? 0 : 1;
}

}  // namespace
}  // namespace dsc::bench

int main(int argc, char** argv) {
  dsc::util::NormalizeFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);
  return dsc::bench::Run();
}
