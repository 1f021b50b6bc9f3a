// Proof records and the proof-engine interface shared by PoW, PoM and PoS.
// A record is BLAKE2b-192(fingerprint || public_key || nonce) (24 bytes); a round is won
// by a record whose first `difficulty` bits equal those of the challenge (the previous
// block hash). Verifying a proof costs one hash.
#ifndef DSC_CORE_PROOF_H_
#define DSC_CORE_PROOF_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/types.h"

namespace dsc::core {

using Record = std::array<uint8_t, 24>;

Record ComputeRecord(const Fingerprint& fingerprint, const PublicKey& key, uint64_t nonce);

// Computes the records of one (fingerprint, key) pair in tight loops: the 48-byte prefix is
// absorbed once, so a nonce costs a state copy and one BLAKE2b compression. Compute(n) ==
// ComputeRecord(fingerprint, key, n). Thread-safe (const after construction).
class RecordHasher {
 public:
  RecordHasher(const Fingerprint& fingerprint, const PublicKey& key);
  Record Compute(uint64_t nonce) const;
  // The first 8 bytes of the record of `nonce`, read big-endian (integer order is the
  // order of the record bytes).
  uint64_t Prefix(uint64_t nonce) const;

 private:
  alignas(64) unsigned char state_[384];  // crypto_generichash_blake2b_state after the prefix
};

// The first 8 bytes of `bytes` read big-endian.
uint64_t ReadPrefix64(const uint8_t* bytes);

// True iff the first `bits` bits of `record` equal those of `challenge` (bits <= 192).
bool MatchesChallenge(const Record& record, const Hash32& challenge, uint32_t bits);

// True iff the header's (fingerprint, producer, proof_nonce) record matches its
// prev_hash at its difficulty.
bool CheckHeaderProof(const BlockHeader& header);

// What a validator reports about its engine.
struct ProofStats {
  std::string kind;              // "pow", "pom", "pos"
  double hashes_per_second = 0;  // PoW: search rate; PoM/PoS: generation rate
  uint64_t records_stored = 0;   // PoM/PoS table size in records
  uint64_t hashes_total = 0;
};

// A proof engine answers rounds. Implementations are thread-safe: Solve is called by one
// thread at a time; Stats may be called concurrently.
class ProofEngine {
 public:
  virtual ~ProofEngine() = default;
  // Searches for a nonce whose record matches `challenge` at `difficulty`. Returns it, or
  // nullopt if `cancel` became true or the engine's search space holds no match.
  virtual std::optional<uint64_t> Solve(const Hash32& challenge, uint32_t difficulty,
                                        const std::atomic<bool>& cancel) = 0;
  virtual ProofStats Stats() const = 0;
};

// Proof of work: `threads` threads hash nonces from a random start until a match.
class PowEngine : public ProofEngine {
 public:
  PowEngine(const Fingerprint& fingerprint, const PublicKey& key, int threads);
  std::optional<uint64_t> Solve(const Hash32& challenge, uint32_t difficulty,
                                const std::atomic<bool>& cancel) override;
  ProofStats Stats() const override;

 private:
  const Fingerprint fingerprint_;
  const PublicKey key_;
  const RecordHasher hasher_;
  const int threads_;
  std::atomic<uint64_t> hashes_total_{0};
  std::atomic<uint64_t> busy_micros_{0};
};

}  // namespace dsc::core

#endif  // DSC_CORE_PROOF_H_
