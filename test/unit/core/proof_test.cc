#include "core/proof.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "core/encoding.h"
#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

using testing::Counting;
using testing::Hex;
using testing::KeyFromByte;
using testing::RandomArray;

// Returns `r` with bit `bit` (0 = most significant bit of byte 0) flipped.
Record FlipBit(Record r, uint32_t bit) {
  r[bit / 8] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
  return r;
}

Record Prefix(const Hash32& challenge) {
  Record r;
  std::copy(challenge.begin(), challenge.begin() + r.size(), r.begin());
  return r;
}

TEST_CASE("MatchesChallenge compares the leading bits", "[core]") {
  const uint64_t seed = 0x9A7C4;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 50; ++iter) {
    const Hash32 challenge = RandomArray<32>(rng);
    const Record same = Prefix(challenge);
    for (uint32_t bits : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 24u, 100u, 191u, 192u}) {
      CAPTURE(iter, bits);
      // A record equal to the challenge prefix matches at every difficulty up to 192.
      CHECK(MatchesChallenge(same, challenge, bits));
      // Flipping a bit inside the first `bits` breaks the match; flipping one after it
      // does not.
      if (bits > 0) {
        CHECK_FALSE(MatchesChallenge(FlipBit(same, bits - 1), challenge, bits));
        CHECK_FALSE(MatchesChallenge(FlipBit(same, 0), challenge, bits));
        CHECK_FALSE(MatchesChallenge(FlipBit(same, static_cast<uint32_t>(rng() % bits)), challenge, bits));
      }
      if (bits < 192) {
        CHECK(MatchesChallenge(FlipBit(same, bits), challenge, bits));
        CHECK(MatchesChallenge(FlipBit(same, 191), challenge, bits));
      }
    }
    // More bits than a record holds never match.
    for (uint32_t bits : {193u, 200u, 256u, 0xffffffffu}) {
      CAPTURE(bits);
      CHECK_FALSE(MatchesChallenge(same, challenge, bits));
    }
  }
}

TEST_CASE("MatchesChallenge at difficulty 0 accepts anything", "[core]") {
  Record r;
  r.fill(0xff);
  CHECK(MatchesChallenge(r, Hash32{}, 0));
}

TEST_CASE("MatchesChallenge by explicit bytes", "[core]") {
  Hash32 challenge{};
  challenge[0] = 0b1010'1100;
  challenge[1] = 0b0101'0000;
  Record r{};
  r[0] = 0b1010'1111;
  r[1] = 0b1111'1111;
  CHECK(MatchesChallenge(r, challenge, 4));
  CHECK(MatchesChallenge(r, challenge, 6));
  CHECK_FALSE(MatchesChallenge(r, challenge, 7));
  CHECK_FALSE(MatchesChallenge(r, challenge, 8));
  r[0] = 0b1010'1100;
  r[1] = 0b0110'0000;  // challenge[1] is 0101'0000: two more bits agree
  CHECK(MatchesChallenge(r, challenge, 8));
  CHECK(MatchesChallenge(r, challenge, 9));
  CHECK(MatchesChallenge(r, challenge, 10));
  CHECK_FALSE(MatchesChallenge(r, challenge, 11));
  CHECK_FALSE(MatchesChallenge(r, challenge, 16));
}

TEST_CASE("ComputeRecord is BLAKE2b-192 of fingerprint, key and big-endian nonce", "[core]") {
  const Fingerprint fp = Counting<16>(0x40);
  const PublicKey key = KeyFromByte(0x07).public_key;
  const uint64_t nonce = 0x0102030405060708ull;
  crypto::Hasher h(24);
  Writer w;
  w.Fixed(fp);
  w.Fixed(key);
  w.U64(nonce);
  h.Update(w.str());
  Record want;
  h.Final(want.data());
  CHECK(ComputeRecord(fp, key, nonce) == want);
  CHECK(ComputeRecord(fp, key, nonce) == ComputeRecord(fp, key, nonce));
}

TEST_CASE("ComputeRecord depends on every input bit", "[core]") {
  const Fingerprint fp = Counting<16>(0x40);
  const PublicKey key = KeyFromByte(0x07).public_key;
  const uint64_t nonce = 12345;
  const Record base = ComputeRecord(fp, key, nonce);
  for (size_t bit = 0; bit < fp.size() * 8; ++bit) {
    CAPTURE(bit);
    Fingerprint f = fp;
    f[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    CHECK(ComputeRecord(f, key, nonce) != base);
  }
  for (size_t bit = 0; bit < key.size() * 8; ++bit) {
    CAPTURE(bit);
    PublicKey k = key;
    k[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    CHECK(ComputeRecord(fp, k, nonce) != base);
  }
  for (int bit = 0; bit < 64; ++bit) {
    CAPTURE(bit);
    CHECK(ComputeRecord(fp, key, nonce ^ (1ull << bit)) != base);
  }
}

TEST_CASE("PowEngine finds a nonce that CheckHeaderProof accepts", "[core]") {
  const crypto::KeyPair key = KeyFromByte(0x21);
  const Fingerprint fp = Counting<16>(0x50);
  const uint64_t seed = 0xB0B;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    PowEngine engine(fp, key.public_key, threads);
    const std::atomic<bool> cancel{false};
    for (uint32_t difficulty : {0u, 1u, 8u, 12u}) {
      CAPTURE(difficulty);
      const Hash32 challenge = RandomArray<32>(rng);
      const std::optional<uint64_t> nonce = engine.Solve(challenge, difficulty, cancel);
      REQUIRE(nonce.has_value());
      CHECK(MatchesChallenge(ComputeRecord(fp, key.public_key, *nonce), challenge, difficulty));
      BlockHeader h;
      h.prev_hash = challenge;
      h.difficulty = difficulty;
      h.producer = key.public_key;
      h.fingerprint = fp;
      h.proof_nonce = *nonce;
      CHECK(CheckHeaderProof(h));
      // Another validator cannot reuse the nonce (unless by a 2^-difficulty chance).
      if (difficulty >= 12) {
        BlockHeader stolen = h;
        stolen.producer = KeyFromByte(0x22).public_key;
        h.fingerprint[0] ^= 1;
        CHECK_FALSE((CheckHeaderProof(stolen) && CheckHeaderProof(h)));
      }
    }
    const ProofStats stats = engine.Stats();
    CHECK(stats.kind == "pow");
    CHECK(stats.hashes_total >= 4);
    CHECK(stats.hashes_per_second > 0);
    CHECK(stats.records_stored == 0);
  }
}

TEST_CASE("PowEngine with zero or negative threads still works", "[core]") {
  const crypto::KeyPair key = KeyFromByte(0x23);
  const std::atomic<bool> cancel{false};
  for (int threads : {0, -3}) {
    PowEngine engine(Fingerprint{}, key.public_key, threads);
    const Hash32 challenge = Counting<32>(0x11);
    auto nonce = engine.Solve(challenge, 6, cancel);
    REQUIRE(nonce.has_value());
    CHECK(MatchesChallenge(ComputeRecord(Fingerprint{}, key.public_key, *nonce), challenge, 6));
  }
}

TEST_CASE("PowEngine returns nullopt promptly when cancelled", "[core]") {
  const crypto::KeyPair key = KeyFromByte(0x24);
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    PowEngine engine(Counting<16>(0x01), key.public_key, threads);
    std::atomic<bool> cancel{false};
    const Hash32 challenge = Counting<32>(0x33);
    auto search = std::async(std::launch::async,
                             [&] { return engine.Solve(challenge, 60, cancel); });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    REQUIRE(search.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    const auto t0 = std::chrono::steady_clock::now();
    cancel = true;
    REQUIRE(search.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    const auto stopped_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - t0)
                                .count();
    CAPTURE(stopped_ms);
    CHECK(stopped_ms < 1000);
    CHECK_FALSE(search.get().has_value());
    // It did hash while searching, and Stats counted it.
    const ProofStats stats = engine.Stats();
    CHECK(stats.hashes_total > 1000);
    CHECK(stats.hashes_per_second > 0);
  }
}

TEST_CASE("PowEngine returns at once when cancelled before it starts", "[core]") {
  PowEngine engine(Fingerprint{}, KeyFromByte(0x25).public_key, 2);
  const std::atomic<bool> cancel{true};
  CHECK_FALSE(engine.Solve(Hash32{}, 100, cancel).has_value());
  // Beyond 192 bits nothing matches: only cancellation ends the search.
  CHECK_FALSE(engine.Solve(Hash32{}, 193, cancel).has_value());
}

TEST_CASE("PowEngine Stats counts hashes across rounds", "[core]") {
  PowEngine engine(Counting<16>(0x02), KeyFromByte(0x26).public_key, 1);
  CHECK(engine.Stats().hashes_total == 0);
  CHECK(engine.Stats().hashes_per_second == 0);
  const std::atomic<bool> cancel{false};
  uint64_t last = 0;
  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    REQUIRE(engine.Solve(Counting<32>(static_cast<uint8_t>(round)), 10, cancel).has_value());
    const uint64_t now = engine.Stats().hashes_total;
    CHECK(now > last);
    last = now;
  }
  // Five 10-bit rounds take about 5 x 1024 hashes; far fewer or far more means miscounting.
  CHECK(last > 50);
  CHECK(last < 200'000);
}

}  // namespace
}  // namespace dsc::core
