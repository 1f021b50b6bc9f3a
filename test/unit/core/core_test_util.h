// Shared helpers for the core tests: libsodium initialisation before any test runs, hex,
// Catch2 printing of absl::Status, fixed keys and random values from a seeded generator.
#ifndef DSC_TEST_UNIT_CORE_CORE_TEST_UTIL_H_
#define DSC_TEST_UNIT_CORE_CORE_TEST_UTIL_H_

#include <array>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "testing/common.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/types/span.h"
#include "core/types.h"
#include "crypto/crypto.h"
#include "util/strings.h"


namespace dsc::core::testing {

// RFC 8032 section 7.1 TEST 1.
inline constexpr char kRfcSeed1[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

using ::dsc::testing::Msg;

using ::dsc::testing::Hex;
using ::dsc::testing::Unhex;
using ::dsc::testing::UnhexArray;

// The key pair whose seed is 32 copies of `b`.
inline crypto::KeyPair KeyFromByte(uint8_t b) {
  crypto::Seed seed;
  seed.fill(b);
  return crypto::KeyPair::FromSeed(seed);
}

inline crypto::KeyPair RfcKey() { return crypto::KeyPair::FromSeed(UnhexArray<32>(kRfcSeed1)); }

// An array of N bytes counting up from `first` (distinct, recognisable in hex dumps).
template <size_t N>
std::array<uint8_t, N> Counting(uint8_t first) {
  std::array<uint8_t, N> a;
  for (size_t i = 0; i < N; ++i) a[i] = static_cast<uint8_t>(first + i);
  return a;
}

template <size_t N>
std::array<uint8_t, N> RandomArray(std::mt19937_64& rng) {
  std::array<uint8_t, N> a;
  for (auto& b : a) b = static_cast<uint8_t>(rng());
  return a;
}

// A transaction with random fields (its signature is random bytes, not a signature).
inline Transaction RandomTx(std::mt19937_64& rng) {
  Transaction tx;
  tx.sender = RandomArray<32>(rng);
  tx.recipient = RandomArray<32>(rng);
  tx.amount = rng();
  tx.fee = rng() >> (rng() % 64);
  tx.nonce = rng() >> (rng() % 64);
  tx.timestamp_ms = static_cast<int64_t>(rng());
  tx.signature = RandomArray<64>(rng);
  return tx;
}

inline BlockHeader RandomHeader(std::mt19937_64& rng) {
  BlockHeader h;
  h.version = static_cast<uint32_t>(rng());
  h.height = rng();
  h.prev_hash = RandomArray<32>(rng);
  h.timestamp_ms = static_cast<int64_t>(rng());
  h.difficulty = static_cast<uint32_t>(rng());
  h.producer = RandomArray<32>(rng);
  h.fingerprint = RandomArray<16>(rng);
  h.proof_nonce = rng();
  h.reward = rng();
  h.tx_root = RandomArray<32>(rng);
  h.provenance_root = RandomArray<32>(rng);
  h.tx_count = static_cast<uint32_t>(rng());
  h.producer_signature = RandomArray<64>(rng);
  h.metronome_signature = RandomArray<64>(rng);
  return h;
}

}  // namespace dsc::core::testing

#endif  // DSC_TEST_UNIT_CORE_CORE_TEST_UTIL_H_
