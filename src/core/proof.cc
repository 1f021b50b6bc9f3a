#include "core/proof.h"

#include <sodium.h>

#include <chrono>
#include <cstring>

namespace dsc::core {

Record ComputeRecord(const Fingerprint& fingerprint, const PublicKey& key, uint64_t nonce) {
  uint8_t input[16 + 32 + 8];
  std::memcpy(input, fingerprint.data(), 16);
  std::memcpy(input + 16, key.data(), 32);
  for (int i = 0; i < 8; ++i) input[48 + i] = static_cast<uint8_t>(nonce >> (56 - 8 * i));
  Record out;
  crypto_generichash(out.data(), out.size(), input, sizeof(input), nullptr, 0);
  return out;
}

static_assert(sizeof(crypto_generichash_blake2b_state) == 384,
              "RecordHasher::state_ must hold a crypto_generichash_blake2b_state");

RecordHasher::RecordHasher(const Fingerprint& fingerprint, const PublicKey& key) {
  auto* state = reinterpret_cast<crypto_generichash_blake2b_state*>(state_);
  crypto_generichash_blake2b_init(state, nullptr, 0, sizeof(Record));
  crypto_generichash_blake2b_update(state, fingerprint.data(), fingerprint.size());
  crypto_generichash_blake2b_update(state, key.data(), key.size());
}

Record RecordHasher::Compute(uint64_t nonce) const {
  crypto_generichash_blake2b_state state;
  std::memcpy(&state, state_, sizeof(state));
  uint8_t tail[8];
  for (int i = 0; i < 8; ++i) tail[i] = static_cast<uint8_t>(nonce >> (56 - 8 * i));
  crypto_generichash_blake2b_update(&state, tail, sizeof(tail));
  Record out;
  crypto_generichash_blake2b_final(&state, out.data(), out.size());
  return out;
}

uint64_t RecordHasher::Prefix(uint64_t nonce) const { return ReadPrefix64(Compute(nonce).data()); }

uint64_t ReadPrefix64(const uint8_t* bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

bool MatchesChallenge(const Record& record, const Hash32& challenge, uint32_t bits) {
  if (bits > record.size() * 8) return false;
  const uint32_t full = bits / 8;
  if (std::memcmp(record.data(), challenge.data(), full) != 0) return false;
  const uint32_t rest = bits % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (record[full] & mask) == (challenge[full] & mask);
}

bool CheckHeaderProof(const BlockHeader& header) {
  return MatchesChallenge(ComputeRecord(header.fingerprint, header.producer, header.proof_nonce),
                          header.prev_hash, header.difficulty);
}

PowEngine::PowEngine(const Fingerprint& fingerprint, const PublicKey& key, int threads)
    : fingerprint_(fingerprint),
      key_(key),
      hasher_(fingerprint, key),
      threads_(threads < 1 ? 1 : threads) {}

std::optional<uint64_t> PowEngine::Solve(const Hash32& challenge, uint32_t difficulty,
                                         const std::atomic<bool>& cancel) {
  uint64_t start;
  randombytes_buf(&start, sizeof(start));
  std::atomic<bool> found{false};
  std::atomic<uint64_t> winner{0};
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&](int index) {
    uint64_t nonce = start + static_cast<uint64_t>(index);
    uint64_t local = 0;
    while (true) {
      if ((local & 1023) == 0 && (found.load(std::memory_order_relaxed) ||
                                  cancel.load(std::memory_order_relaxed))) {
        break;
      }
      ++local;
      if (MatchesChallenge(hasher_.Compute(nonce), challenge, difficulty)) {
        bool expected = false;
        if (found.compare_exchange_strong(expected, true)) winner = nonce;
        break;
      }
      nonce += static_cast<uint64_t>(threads_);
    }
    hashes_total_.fetch_add(local, std::memory_order_relaxed);
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads_; ++i) pool.emplace_back(worker, i);
  worker(0);
  for (auto& t : pool) t.join();
  busy_micros_.fetch_add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - t0)
                             .count()),
                         std::memory_order_relaxed);
  if (found.load()) return winner.load();
  return std::nullopt;
}

ProofStats PowEngine::Stats() const {
  ProofStats s;
  s.kind = "pow";
  s.hashes_total = hashes_total_.load();
  const uint64_t busy = busy_micros_.load();
  s.hashes_per_second = busy == 0 ? 0 : static_cast<double>(s.hashes_total) * 1e6 / busy;
  return s;
}

}  // namespace dsc::core
