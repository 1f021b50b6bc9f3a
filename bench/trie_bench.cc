// trie-bench: the provenance trie (core/trie.h) measured the way the Comet relay paper
// measured its tries (sections 10-13), printing tables:
//  1. cumulative trie vs N: insertion rate (the paper's R_ctp), proof production time,
//     proof size and verification time (R_pr), next to the paper's fitted formulas;
//  2. the paper's "legacy" design (one trie per cycle: a proof of provenance is one proof
//     per cycle: the inclusion proof in the cycle of the transaction plus a
//     non-inclusion proof in every other cycle's trie) vs the cumulative design (one
//     proof) as the number of cycles grows.
// Nodes live in an in-memory node store (core::MemoryTrieNodeStore), not RocksDB, so this
// measures the trie itself. In part 1 the store keeps only the latest version (stale
// nodes are dropped) so that 10^7 ids fit in a few GB; the chain keeps every version.
// Ids are random 256-bit values (tx ids are BLAKE2b outputs). Proofs are single-threaded;
// insertion uses --threads (default 1).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "core/trie.h"
#include "crypto/crypto.h"
#include "util/flags.h"

ABSL_FLAG(uint64_t, max_n, 10'000'000, "largest trie size (10^4, 10^5, ... up to this)");
ABSL_FLAG(uint32_t, batch, 10'000, "ids inserted per batch (one block's worth)");
ABSL_FLAG(uint32_t, proofs, 10'000, "proofs produced and verified per measurement");
ABSL_FLAG(uint32_t, max_cycles, 1000, "legacy vs cumulative: up to this many cycles");
ABSL_FLAG(uint32_t, ids_per_cycle, 1000, "legacy vs cumulative: ids added per cycle");
ABSL_FLAG(uint32_t, legacy_samples, 200, "legacy vs cumulative: ids proven per point");
ABSL_FLAG(int, threads, 1, "insertion threads (disjoint subtrees of a batch)");
ABSL_FLAG(int, store_shards, 0,
          "node store shards, written on one thread each (0 = --threads)");

namespace dsc::bench {
namespace {

using Clock = std::chrono::steady_clock;
using core::Hash32;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

Hash32 RandomId(std::mt19937_64& rng) {
  Hash32 h;
  for (size_t i = 0; i < 32; i += 8) {
    const uint64_t v = rng();
    std::memcpy(h.data() + i, &v, 8);
  }
  return h;
}

[[noreturn]] void Die(const absl::Status& s, const char* what) {
  std::fprintf(stderr, "trie-bench: %s: %s\n", what, std::string(s.message()).c_str());
  std::exit(1);
}

// The paper's fits (milliseconds).
double PaperProofMs(double n) { return 8.96 + 0.015 * n; }                      // R_pr
double PaperLegacyMs(double cycles) { return 2328.04 + 2.34 * cycles; }          // legacy R_pr
double PaperUpdateMs(double n) { return 1318.56 + 0.0444412 * n - 3.70702e-7 * n * n; }  // R_ctp

std::string PaperUpdate(double n) {
  const double v = PaperUpdateMs(n);
  if (v <= 0) return "n/a (fit < 0)";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f ms", v);
  return buf;
}

struct ProofStats {
  double produce_us = 0;  // Prove + EncodeTrieProof
  double verify_us = 0;   // DecodeTrieProof + VerifyTrieProof
  double hashes = 0;      // shipped hashes
  double bytes = 0;
  double depth = 0;
};

// Proves and verifies `keys` under `root`; every proof must verify with `included`.
ProofStats MeasureProofs(core::Trie& trie, const Hash32& root, const std::vector<Hash32>& keys,
                         bool included) {
  ProofStats st;
  std::vector<std::string> encoded(keys.size());
  size_t hashes = 0, bytes = 0, depth = 0;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < keys.size(); ++i) {
    auto proof = trie.Prove(root, keys[i]);
    if (!proof.ok()) Die(proof.status(), "prove");
    encoded[i] = core::EncodeTrieProof(*proof);
    hashes += proof->ShippedHashes();
    depth += proof->siblings.size();
  }
  const auto t1 = Clock::now();
  for (size_t i = 0; i < keys.size(); ++i) {
    auto proof = core::DecodeTrieProof(encoded[i]);
    if (!proof.ok()) Die(proof.status(), "decode");
    auto verdict = core::VerifyTrieProof(root, keys[i], *proof);
    if (!verdict.ok()) Die(verdict.status(), "verify");
    if (verdict->included != included) Die(absl::InternalError("wrong verdict"), "verify");
  }
  const auto t2 = Clock::now();
  for (const auto& e : encoded) bytes += e.size();
  const double n = static_cast<double>(keys.size());
  st.produce_us = Seconds(t0, t1) * 1e6 / n;
  st.verify_us = Seconds(t1, t2) * 1e6 / n;
  st.hashes = hashes / n;
  st.bytes = bytes / n;
  st.depth = depth / n;
  return st;
}

void CumulativeTable() {
  const uint64_t max_n = absl::GetFlag(FLAGS_max_n);
  const uint32_t batch = absl::GetFlag(FLAGS_batch);
  const uint32_t proofs = absl::GetFlag(FLAGS_proofs);
  std::printf("\n== Cumulative trie vs N (batches of %u ids, %d insertion thread(s), in-memory "
              "node store, latest version only) ==\n", batch, absl::GetFlag(FLAGS_threads));
  std::printf("%-10s %12s %8s %8s %7s %7s %10s %11s %10s %9s %10s %10s %16s %14s\n", "N",
              "insert ids/s", "trie us", "store us", "new/id", "stale/id", "nodes", "prove us", "hashes", "bytes", "verify us", "absent us", "paper R_pr",
              "paper R_ctp");
  const int shards = absl::GetFlag(FLAGS_store_shards) > 0 ? absl::GetFlag(FLAGS_store_shards)
                                                          : absl::GetFlag(FLAGS_threads);
  core::MemoryTrieNodeStore store(shards);
  store.Reserve(static_cast<size_t>(2.1 * static_cast<double>(max_n)));
  core::Trie trie(&store);
  trie.set_threads(absl::GetFlag(FLAGS_threads));
  Hash32 root{};
  std::mt19937_64 rng(20240601);
  std::vector<Hash32> sample;  // a reservoir of inserted ids to prove
  sample.reserve(proofs);
  uint64_t n = 0;
  std::vector<core::TrieNewNode> nodes;
  std::vector<Hash32> stale;
  for (uint64_t target = 10'000; target <= max_n; target *= 10) {
    double insert_s = 0, trie_s = 0;  // Insert + store writes, Insert alone
    uint64_t new_nodes = 0, stale_nodes = 0;
    const uint64_t from = n;
    while (n < target) {
      const uint32_t count = static_cast<uint32_t>(std::min<uint64_t>(batch, target - n));
      std::vector<core::TrieEntry> entries(count);
      for (uint32_t i = 0; i < count; ++i) {
        entries[i].key = RandomId(rng);
        entries[i].value_hash = core::TxProvenanceValue(n / batch + 1, i);
        const uint64_t seen = n + i;
        if (seen < proofs) {
          sample.push_back(entries[i].key);
        } else if (rng() % (seen + 1) < proofs) {
          sample[rng() % proofs] = entries[i].key;
        }
      }
      nodes.clear();
      stale.clear();
      const auto t0 = Clock::now();
      auto r = trie.Insert(root, std::move(entries), &nodes, &stale);
      if (!r.ok()) Die(r.status(), "insert");
      const auto t1 = Clock::now();
      store.PutAll(nodes);
      store.EraseAll(stale);
      const auto t2 = Clock::now();
      insert_s += Seconds(t0, t2);
      trie_s += Seconds(t0, t1);
      new_nodes += nodes.size();
      stale_nodes += stale.size();
      root = *r;
      n += count;
    }
    const double rate = static_cast<double>(n - from) / insert_s;
    const ProofStats in = MeasureProofs(trie, root, sample, true);
    std::vector<Hash32> absent(proofs);
    for (auto& k : absent) k = RandomId(rng);
    const ProofStats out = MeasureProofs(trie, root, absent, false);
    char paper[32];
    std::snprintf(paper, sizeof(paper), "%.0f ms", PaperProofMs(static_cast<double>(n)));
    const double ids = static_cast<double>(n - from);
    std::printf("%-10llu %12.0f %8.2f %8.2f %7.1f %7.1f %10zu %11.2f %10.1f %9.0f %10.2f %10.2f %16s %14s\n",
                static_cast<unsigned long long>(n), rate, trie_s * 1e6 / ids,
                (insert_s - trie_s) * 1e6 / ids, static_cast<double>(new_nodes) / ids,
                static_cast<double>(stale_nodes) / ids, store.size(), in.produce_us,
                in.hashes, in.bytes, in.verify_us, out.produce_us + out.verify_us, paper,
                PaperUpdate(static_cast<double>(n)).c_str());
    std::fflush(stdout);
  }
  std::printf("insert ids/s: the rate while growing from the previous row to N. prove us: "
              "Prove + canonical encoding of an inclusion proof (avg of %u random ids);\n"
              "verify us: decode + stateless verify; absent us: produce + verify of a "
              "non-inclusion proof. paper R_pr = 8.96 + 0.015 N ms per proof;\n"
              "paper R_ctp = the paper's update-response fit 1318.56 + 0.0444 N - 3.71e-7 N^2 "
              "ms (Java, in memory).\n", proofs);
}

void LegacyTable() {
  const uint32_t max_cycles = absl::GetFlag(FLAGS_max_cycles);
  const uint32_t per_cycle = absl::GetFlag(FLAGS_ids_per_cycle);
  const uint32_t samples = absl::GetFlag(FLAGS_legacy_samples);
  std::printf("\n== Legacy (one trie per cycle) vs cumulative, %u ids per cycle, proof of an id "
              "from the first cycle ==\n", per_cycle);
  std::printf("%-7s %10s %6s %13s %11s %12s %8s %13s %11s %12s %16s %14s\n", "cycles", "N",
              "proofs", "legacy prove", "legacy vfy", "legacy bytes", "proofs", "cumul prove",
              "cumul vfy", "cumul bytes", "paper legacy", "paper cumul");
  core::MemoryTrieNodeStore store;  // every cycle trie and every cumulative version
  core::Trie trie(&store);
  std::mt19937_64 rng(1234);
  std::vector<Hash32> cycle_roots;
  std::vector<Hash32> first_cycle;
  Hash32 cumulative{};
  std::vector<core::TrieNewNode> nodes;
  uint32_t next_report = 1;
  for (uint32_t c = 0; c < max_cycles; ++c) {
    std::vector<core::TrieEntry> entries(per_cycle);
    for (uint32_t i = 0; i < per_cycle; ++i) {
      entries[i] = {RandomId(rng), core::TxProvenanceValue(c + 1, i)};
      if (c == 0 && first_cycle.size() < samples) first_cycle.push_back(entries[i].key);
    }
    nodes.clear();
    auto cyc = trie.Insert(Hash32{}, entries, &nodes);
    if (!cyc.ok()) Die(cyc.status(), "insert");
    cycle_roots.push_back(*cyc);
    auto cum = trie.Insert(cumulative, std::move(entries), &nodes);
    if (!cum.ok()) Die(cum.status(), "insert");
    cumulative = *cum;
    store.PutAll(nodes);
    if (c + 1 != next_report) continue;
    next_report *= 10;
    const uint32_t cycles = c + 1;
    // Legacy: for each sampled id, one proof per cycle trie (inclusion in cycle 1, absence
    // in every later one), produced, encoded, decoded and verified.
    double legacy_prove = 0, legacy_verify = 0, legacy_bytes = 0;
    for (const Hash32& id : first_cycle) {
      std::vector<std::string> encoded(cycles);
      const auto t0 = Clock::now();
      for (uint32_t k = 0; k < cycles; ++k) {
        auto p = trie.Prove(cycle_roots[k], id);
        if (!p.ok()) Die(p.status(), "prove");
        encoded[k] = core::EncodeTrieProof(*p);
      }
      const auto t1 = Clock::now();
      for (uint32_t k = 0; k < cycles; ++k) {
        auto p = core::DecodeTrieProof(encoded[k]);
        if (!p.ok()) Die(p.status(), "decode");
        auto v = core::VerifyTrieProof(cycle_roots[k], id, *p);
        if (!v.ok() || v->included != (k == 0)) Die(absl::InternalError("bad legacy proof"), "verify");
      }
      const auto t2 = Clock::now();
      legacy_prove += Seconds(t0, t1);
      legacy_verify += Seconds(t1, t2);
      for (const auto& e : encoded) legacy_bytes += e.size();
    }
    const double s = static_cast<double>(first_cycle.size());
    const ProofStats cum_stats = MeasureProofs(trie, cumulative, first_cycle, true);
    char paper_legacy[32], paper_cum[32];
    std::snprintf(paper_legacy, sizeof(paper_legacy), "%.0f ms", PaperLegacyMs(cycles));
    std::snprintf(paper_cum, sizeof(paper_cum), "%.2f ms",
                  PaperProofMs(static_cast<double>(cycles) * per_cycle));
    std::printf("%-7u %10llu %6u %10.1f us %8.1f us %12.0f %8u %10.2f us %8.2f us %12.0f %16s %14s\n",
                cycles, static_cast<unsigned long long>(cycles) * per_cycle, cycles,
                legacy_prove * 1e6 / s, legacy_verify * 1e6 / s, legacy_bytes / s, 1u,
                cum_stats.produce_us, cum_stats.verify_us, cum_stats.bytes, paper_legacy,
                paper_cum);
    std::fflush(stdout);
  }
  std::printf("legacy: one proof per cycle trie (times and bytes are totals per id, avg of %u "
              "ids); cumulative: one proof against the latest root.\n"
              "paper legacy = 2328.04 + 2.34 x cycles ms; paper cumul = 8.96 + 0.015 x N ms.\n",
              static_cast<unsigned>(first_cycle.size()));
}

}  // namespace
}  // namespace dsc::bench

int main(int argc, char** argv) {
  dsc::util::NormalizeFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);
  if (auto s = dsc::crypto::Init(); !s.ok()) {
    std::fprintf(stderr, "trie-bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("trie-bench: provenance trie (binary compressed sparse Merkle tree, BLAKE2b-256)\n");
  dsc::bench::CumulativeTable();
  dsc::bench::LegacyTable();
  return 0;
}
