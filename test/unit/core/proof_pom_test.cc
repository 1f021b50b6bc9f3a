// Proof of memory and the proof-table building blocks: the table is the deterministic set
// of records described in proof_table.h, sorted; every lookup finds a matching record
// whenever the table holds one (checked against brute force), never returns one that does
// not match, and respects cancellation. Also: the difficulty rule keeps a mixed network
// of a PoM table and a PoW searcher on the beat.
#include "core/proof_pom.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "core/difficulty.h"
#include "core/proof.h"
#include "core/proof_table.h"
#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

using testing::Counting;
using testing::KeyFromByte;
using testing::RandomArray;

const Fingerprint kFp = Counting<16>(0x30);

PublicKey Key(uint8_t b) { return KeyFromByte(b).public_key; }

// The table the layout promises: nonces in order, the first bucket_capacity of each bucket.
std::vector<std::set<uint64_t>> ExpectedBuckets(const RecordHasher& hasher,
                                                const TableLayout& layout) {
  std::vector<std::set<uint64_t>> buckets(layout.buckets());
  uint64_t open = layout.buckets();
  for (uint64_t nonce = 0; open > 0; ++nonce) {
    auto& b = buckets[BucketOf(hasher.Prefix(nonce), layout.bucket_bits)];
    if (b.size() < layout.bucket_capacity) {
      b.insert(nonce);
      if (b.size() == layout.bucket_capacity) --open;
    }
  }
  return buckets;
}

// Brute force: does any nonce of `nonces` have a record matching at `difficulty`?
bool AnyMatch(const std::vector<Record>& records, const Hash32& challenge, uint32_t difficulty) {
  for (const Record& r : records) {
    if (MatchesChallenge(r, challenge, difficulty)) return true;
  }
  return false;
}

std::unique_ptr<PomEngine> MakeEngine(uint64_t memory, int threads, uint64_t min_bucket,
                                      const PublicKey& key = Key(1)) {
  PomOptions o;
  o.memory_bytes = memory;
  o.threads = threads;
  o.min_bucket_capacity = min_bucket;
  auto engine = PomEngine::Create(kFp, key, o);
  INFO(engine.status().ToString());
  REQUIRE(engine.ok());
  return std::move(*engine);
}

TEST_CASE("RecordHasher computes ComputeRecord", "[core]") {
  const PublicKey key = Key(3);
  const RecordHasher hasher(kFp, key);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200; ++i) {
    const uint64_t nonce = i < 100 ? static_cast<uint64_t>(i) : rng();
    CAPTURE(nonce);
    const Record want = ComputeRecord(kFp, key, nonce);
    CHECK(hasher.Compute(nonce) == want);
    CHECK(hasher.Prefix(nonce) == ReadPrefix64(want.data()));
  }
  // Two hashers of different keys differ.
  CHECK(RecordHasher(kFp, Key(4)).Compute(7) != hasher.Compute(7));
}

TEST_CASE("LayoutForRecords makes buckets of at least the minimum capacity", "[core]") {
  CHECK(LayoutForRecords(0).records() == 0);
  CHECK(LayoutForRecords(1000).bucket_bits == 0);
  CHECK(LayoutForRecords(1000).records() == 1000);
  // 1 GiB of 16-byte entries: 1024 buckets of 65536.
  const TableLayout gib = LayoutForRecords((uint64_t{1} << 30) / kEntryBytes);
  CHECK(gib.bucket_bits == 10);
  CHECK(gib.bucket_capacity == 65536);
  CHECK(gib.bytes() == uint64_t{1} << 30);
  // Not a power of two: rounded down to whole buckets, losing less than one per bucket.
  const TableLayout odd = LayoutForRecords(1'000'003, 100);
  CHECK(odd.bucket_capacity >= 100);
  CHECK(odd.records() <= 1'000'003);
  CHECK(odd.records() > 1'000'003 - odd.buckets());
  CHECK(LayoutForRecords(uint64_t{1} << 50, 1).bucket_bits == 24);
}

TEST_CASE("SortEntries sorts by prefix whatever the input", "[core]") {
  const uint64_t seed = 0x50F7;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  // One, two and three radix passes (300,007 entries: a 23-bit window).
  for (size_t n : {0u, 1u, 2u, 63u, 64u, 65u, 1000u, 4096u, 65536u, 100'003u, 300'007u}) {
    for (uint32_t known : {0u, 3u, 10u, 40u, 64u}) {
      for (int shape = 0; shape < 3; ++shape) {
        CAPTURE(n, known, shape);
        std::vector<ProofEntry> v(n);
        const uint64_t top = known == 0 ? 0 : (rng() >> (64 - known)) << (64 - known);
        for (size_t i = 0; i < n; ++i) {
          uint64_t low = rng();
          if (shape == 1) low %= 7;                   // many equal prefixes
          if (shape == 2) low = (n - i) * 0x10001;    // descending
          v[i].prefix = known >= 64 ? top : top | (low >> known);
          v[i].nonce = i;
        }
        auto pairs = [](const std::vector<ProofEntry>& x) {
          std::vector<std::pair<uint64_t, uint64_t>> p;
          for (const auto& e : x) p.emplace_back(e.prefix, e.nonce);
          std::sort(p.begin(), p.end());
          return p;
        };
        const auto want = pairs(v);
        std::vector<ProofEntry> scratch(n);
        SortEntries(v.data(), n, known, scratch.data());
        bool sorted = true;
        for (size_t i = 1; i < n; ++i) sorted = sorted && v[i - 1].prefix <= v[i].prefix;
        CHECK(sorted);
        CHECK(pairs(v) == want);  // the same entries
      }
    }
  }
}

TEST_CASE("GenerateInOrder hands every nonce in order and stops when asked", "[core]") {
  const EntrySource source = [](uint64_t first, size_t n, ProofEntry* out) {
    for (size_t i = 0; i < n; ++i) out[i] = ProofEntry{(first + i) * 3, first + i};
  };
  for (int threads : {1, 2, 5}) {
    CAPTURE(threads);
    uint64_t expect = 0;
    bool in_order = true;
    auto result = GenerateInOrder(source, threads, 1000, nullptr,
                                  [&](const ProofEntry* e, size_t n) {
                                    for (size_t i = 0; i < n; ++i) {
                                      in_order = in_order && e[i].nonce == expect &&
                                                 e[i].prefix == expect * 3;
                                      ++expect;
                                    }
                                    return expect >= 10'500;
                                  });
    REQUIRE(result.ok());
    CHECK(in_order);
    CHECK(result->nonces_offered == 11'000);
    CHECK(result->nonces_hashed == 12'000);
  }
  std::atomic<bool> cancel{false};
  int batches = 0;
  auto cancelled = GenerateInOrder(source, 2, 100, &cancel, [&](const ProofEntry*, size_t) {
    if (++batches == 3) cancel = true;
    return false;
  });
  CHECK(absl::IsCancelled(cancelled.status()));
  CHECK(batches == 3);
}

TEST_CASE("PomEngine builds the deterministic sorted table", "[core]") {
  // 64 KiB = 4096 records in 64 buckets of 64 (small buckets stress the bucket logic).
  for (int threads : {1, 3}) {
    CAPTURE(threads);
    auto engine = MakeEngine(64 << 10, threads, 64);
    const TableLayout& layout = engine->layout();
    CHECK(layout.records() == 4096);
    CHECK(layout.buckets() == 64);
    const RecordHasher hasher(kFp, Key(1));
    const auto expected = ExpectedBuckets(hasher, layout);
    const ProofEntry* e = engine->entries();
    for (uint64_t b = 0; b < layout.buckets(); ++b) {
      CAPTURE(b);
      std::set<uint64_t> got;
      for (uint64_t i = 0; i < layout.bucket_capacity; ++i) {
        const ProofEntry& x = e[b * layout.bucket_capacity + i];
        got.insert(x.nonce);
        REQUIRE(hasher.Prefix(x.nonce) == x.prefix);
        REQUIRE(BucketOf(x.prefix, layout.bucket_bits) == b);
      }
      CHECK(got == expected[b]);
    }
    for (uint64_t i = 1; i < layout.records(); ++i) REQUIRE(e[i - 1].prefix <= e[i].prefix);
    // Uniform hashing: the buckets filled after a few more nonces than records.
    CHECK(engine->times().nonces_hashed >= layout.records());
    const ProofStats stats = engine->Stats();
    CHECK(stats.kind == "pom");
    CHECK(stats.records_stored == 4096);
    CHECK(stats.hashes_total >= 4096);
  }
  // One bucket: the table is exactly nonces 0..N-1.
  auto single = MakeEngine(16 * 1000, 2, uint64_t{1} << 16);
  REQUIRE(single->layout().records() == 1000);
  std::set<uint64_t> nonces;
  for (uint64_t i = 0; i < 1000; ++i) nonces.insert(single->entries()[i].nonce);
  CHECK(nonces.size() == 1000);
  CHECK(*nonces.rbegin() == 999);
}

TEST_CASE("PomEngine lookups match brute force and always verify", "[core]") {
  const uint64_t seed = 0xB00F;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (uint64_t min_bucket : {uint64_t{16}, uint64_t{1} << 16}) {
    CAPTURE(min_bucket);
    auto engine = MakeEngine(256 << 10, 2, min_bucket, Key(2));  // 16384 records
    const uint64_t n = engine->layout().records();
    std::vector<Record> records;
    for (uint64_t i = 0; i < n; ++i) {
      records.push_back(ComputeRecord(kFp, Key(2), engine->entries()[i].nonce));
    }
    const std::atomic<bool> cancel{false};
    int found = 0, missed = 0;
    for (int iter = 0; iter < 300; ++iter) {
      const Hash32 challenge = RandomArray<32>(rng);
      for (uint32_t difficulty : {0u, 1u, 5u, 8u, 11u, 13u, 14u, 15u, 16u, 18u, 64u, 65u, 193u}) {
        CAPTURE(iter, difficulty);
        const std::optional<uint64_t> nonce = engine->Solve(challenge, difficulty, cancel);
        const bool exists = AnyMatch(records, challenge, difficulty);
        REQUIRE(nonce.has_value() == exists);
        if (nonce.has_value()) {
          ++found;
          BlockHeader h;
          h.prev_hash = challenge;
          h.difficulty = difficulty;
          h.producer = Key(2);
          h.fingerprint = kFp;
          h.proof_nonce = *nonce;
          REQUIRE(CheckHeaderProof(h));
        } else {
          ++missed;
        }
      }
    }
    // Both outcomes occurred: the difficulties straddle the table's reach (~14 bits).
    CHECK(found > 1000);
    CHECK(missed > 300);
  }
}

TEST_CASE("PomEngine answers prefix-colliding challenges above 64 bits correctly", "[core]") {
  auto engine = MakeEngine(64 << 10, 1, 64, Key(5));
  const std::atomic<bool> cancel{false};
  const RecordHasher hasher(kFp, Key(5));
  for (uint64_t i = 0; i < 50; ++i) {
    const uint64_t nonce = engine->entries()[i * 37].nonce;
    const Record r = hasher.Compute(nonce);
    Hash32 challenge{};
    std::copy(r.begin(), r.end(), challenge.begin());
    // The record itself: matches up to all 192 bits.
    for (uint32_t d : {64u, 65u, 100u, 192u}) {
      auto got = engine->Solve(challenge, d, cancel);
      REQUIRE(got.has_value());
      CHECK(*got == nonce);
    }
    // Same first 64 bits, a later bit flipped: only up to the flipped bit.
    challenge[20] ^= 0x01;  // bit 167
    CHECK(engine->Solve(challenge, 167, cancel) == std::optional<uint64_t>(nonce));
    CHECK_FALSE(engine->Solve(challenge, 168, cancel).has_value());
    CHECK_FALSE(engine->Solve(challenge, 192, cancel).has_value());
  }
}

TEST_CASE("FindMatch never returns an entry whose record does not match", "[core]") {
  const RecordHasher hasher(kFp, Key(6));
  std::mt19937_64 rng(77);
  for (int iter = 0; iter < 100; ++iter) {
    const Hash32 challenge = RandomArray<32>(rng);
    // Entries that claim the challenge's prefix but whose nonces hash elsewhere.
    std::vector<ProofEntry> lies(10);
    for (auto& e : lies) e = ProofEntry{ChallengePrefix(challenge), rng()};
    for (uint32_t d : {8u, 32u, 64u, 100u}) {
      CAPTURE(iter, d);
      uint64_t hashes = 0;
      const auto got = FindMatch(lies.data(), lies.size(), challenge, d, hasher, &hashes);
      if (got.has_value()) {
        // Only by chance (a random record matching 8 bits), and then it truly matches.
        CHECK(d == 8);
        CHECK(MatchesChallenge(hasher.Compute(*got), challenge, d));
      } else {
        CHECK(hashes == 10);
      }
    }
    // A real one among the lies is found.
    const uint64_t good = rng();
    const Record r = hasher.Compute(good);
    Hash32 c2{};
    std::copy(r.begin(), r.end(), c2.begin());
    std::vector<ProofEntry> mixed(5, ProofEntry{ReadPrefix64(r.data()), good + 1});
    mixed.push_back(ProofEntry{ReadPrefix64(r.data()), good});
    CHECK(FindMatch(mixed.data(), mixed.size(), c2, 150, hasher) == std::optional<uint64_t>(good));
  }
}

TEST_CASE("PomEngine respects cancellation", "[core]") {
  auto engine = MakeEngine(64 << 10, 1, 64);
  const std::atomic<bool> cancelled{true};
  const std::atomic<bool> go{false};
  CHECK(engine->Solve(Hash32{}, 0, go).has_value());
  CHECK_FALSE(engine->Solve(Hash32{}, 0, cancelled).has_value());
  // A build is cancelled too.
  PomOptions o;
  o.memory_bytes = 64 << 20;
  o.threads = 2;
  o.cancel = &cancelled;
  auto built = PomEngine::Create(kFp, Key(1), o);
  CHECK(absl::IsCancelled(built.status()));
}

TEST_CASE("PomEngine refuses a memory that holds no record", "[core]") {
  for (uint64_t memory : {0u, 1u, 15u}) {
    PomOptions o;
    o.memory_bytes = memory;
    auto built = PomEngine::Create(kFp, Key(1), o);
    CHECK(built.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(built.status().message()), Catch::Contains("holds no record"));
  }
}

TEST_CASE("PomEngine reports generate and sort progress", "[core]") {
  std::map<std::string, int> finished;
  uint64_t total = 0;
  PomOptions o;
  o.memory_bytes = 1 << 20;
  o.threads = 2;
  o.progress = [&](const BuildProgress& p) {
    total = p.total_bytes;
    CHECK(p.done_bytes <= p.total_bytes);
    if (p.finished) ++finished[std::string(p.phase)];
  };
  auto built = PomEngine::Create(kFp, Key(1), o);
  REQUIRE(built.ok());
  CHECK(finished["generate"] == 1);
  CHECK(finished["sort"] == 1);
  CHECK(total == 1 << 20);
  CHECK((*built)->times().generate_seconds > 0);
  CHECK((*built)->Stats().hashes_per_second > 0);
}

// The metronome's rule (NextDifficulty with its default solve target, block_time / 32) with a
// PoM validator that answers at once when its table holds a match and a PoW validator that
// needs 2^difficulty hashes on average, winning if it finds one before the deadline: the
// difficulty settles near what the table reaches, no long run of rounds goes unwon, and
// both validators win rounds.
TEST_CASE("NextDifficulty keeps a PoM and PoW mix on the beat", "[core]") {
  const uint64_t seed = 0xBEA7;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  auto pom = MakeEngine(256 << 10, 2, 64);  // 2^14 records: reaches about 14-15 bits
  ConsensusParams params;
  params.min_difficulty = 1;
  params.max_difficulty = 64;
  const int64_t block_ms = 6000;
  const int64_t target_ms = block_ms / 32;
  const double pow_hashes_per_ms = 4.0;  // a PoW validator that reaches ~14-15 bits in 6 s
  const std::atomic<bool> cancel{false};
  uint32_t difficulty = 30;  // far too hard at first
  int pom_wins = 0, pow_wins = 0, unwon_run = 0, longest_unwon = 0, late_unwon = 0;
  std::exponential_distribution<double> pow_time(1.0);
  for (int round = 0; round < 400; ++round) {
    const Hash32 challenge = RandomArray<32>(rng);
    std::optional<int64_t> solve_ms;
    if (pom->Solve(challenge, difficulty, cancel).has_value()) {
      solve_ms = 1;
      ++pom_wins;
    } else {
      const double ms = pow_time(rng) * std::ldexp(1.0, static_cast<int>(difficulty)) /
                        pow_hashes_per_ms;
      if (ms <= block_ms) {
        solve_ms = static_cast<int64_t>(ms);
        ++pow_wins;
      }
    }
    unwon_run = solve_ms.has_value() ? 0 : unwon_run + 1;
    longest_unwon = std::max(longest_unwon, unwon_run);
    if (round >= 20 && !solve_ms.has_value()) ++late_unwon;
    difficulty = NextDifficulty(difficulty, solve_ms, target_ms, params);
    if (round >= 20) {
      CAPTURE(round);
      CHECK(difficulty >= 10);
      CHECK(difficulty <= 18);
    }
  }
  CAPTURE(pom_wins, pow_wins, longest_unwon, late_unwon);
  CHECK(pom_wins > 100);
  CHECK(pow_wins > 10);
  CHECK(longest_unwon <= 8);     // from 30 bits down takes 8 unwon rounds; later runs are short
  CHECK(late_unwon < 380 / 2);   // most rounds are won by a validator
}

}  // namespace
}  // namespace dsc::core
