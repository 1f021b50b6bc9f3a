// libsodium wrappers: Ed25519 keys and signatures, BLAKE2b hashes.
// Thread-safe after Init() has returned OK (libsodium is).
#ifndef DSC_CRYPTO_CRYPTO_H_
#define DSC_CRYPTO_CRYPTO_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace dsc::crypto {

using Hash32 = std::array<uint8_t, 32>;
using PublicKey = std::array<uint8_t, 32>;
using Seed = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

// Initialises libsodium. Call once before anything else here; returns kInternal if
// libsodium cannot start. Safe to call more than once.
absl::Status Init();

// An Ed25519 key pair. The secret part is the 32-byte seed plus the public key.
struct KeyPair {
  PublicKey public_key{};
  std::array<uint8_t, 64> secret_key{};  // libsodium layout: seed || public key.

  // A new random key pair.
  static KeyPair Generate();
  // The key pair derived from `seed` (deterministic).
  static KeyPair FromSeed(const Seed& seed);
  Seed seed() const;
};

// Signs `message` with `key`.
Signature Sign(const KeyPair& key, absl::Span<const uint8_t> message);
Signature Sign(const KeyPair& key, std::string_view message);

// Returns true iff `signature` is a valid Ed25519 signature of `message` by `key`, by the
// rule crypto/ed25519.h states (the one batches are checked by, too).
bool Verify(const PublicKey& key, absl::Span<const uint8_t> message, const Signature& signature);
bool Verify(const PublicKey& key, std::string_view message, const Signature& signature);

// BLAKE2b with a 32-byte output.
Hash32 Blake2b256(absl::Span<const uint8_t> data);
Hash32 Blake2b256(std::string_view data);

// Incremental BLAKE2b of `out_len` bytes (1..64). Not thread-safe per instance.
class Hasher {
 public:
  explicit Hasher(size_t out_len = 32);
  Hasher& Update(absl::Span<const uint8_t> data);
  Hasher& Update(std::string_view data);
  // Writes the digest to `out` (which must hold out_len bytes). Call once.
  void Final(uint8_t* out);
  Hash32 Final32();

 private:
  alignas(64) unsigned char state_[384];
  size_t out_len_;
};

// Fills `out` with random bytes.
void RandomBytes(absl::Span<uint8_t> out);

// Parses a 32-byte value from Base58 (`what` names it in the error, e.g. "address").
// Returns kInvalidArgument if the text is not Base58 or does not decode to 32 bytes.
absl::StatusOr<std::array<uint8_t, 32>> Decode32(std::string_view text, std::string_view what);
// Base58 of any fixed-size value.
std::string ToBase58(absl::Span<const uint8_t> bytes);

}  // namespace dsc::crypto

#endif  // DSC_CRYPTO_CRYPTO_H_
