#include "util/strings.h"
#include "crypto/crypto.h"

#include <sodium.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/ed25519.h"
#include "util/base58.h"

namespace dsc::crypto {

using util::AV;
using util::SV;

static_assert(sizeof(crypto_generichash_state) <= 384, "Hasher state buffer too small");

absl::Status Init() {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

KeyPair KeyPair::Generate() {
  KeyPair kp;
  crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

KeyPair KeyPair::FromSeed(const Seed& seed) {
  KeyPair kp;
  crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data());
  return kp;
}

Seed KeyPair::seed() const {
  Seed s;
  std::memcpy(s.data(), secret_key.data(), s.size());
  return s;
}

Signature Sign(const KeyPair& key, absl::Span<const uint8_t> message) {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), key.secret_key.data());
  return sig;
}

Signature Sign(const KeyPair& key, std::string_view message) {
  return Sign(key, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(message.data()),
                                       message.size()));
}

bool Verify(const PublicKey& key, absl::Span<const uint8_t> message, const Signature& signature) {
  const SignedMessage item{&key, message, &signature};
  return VerifyBatch({&item, 1});
}

bool Verify(const PublicKey& key, std::string_view message, const Signature& signature) {
  return Verify(key,
                absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(message.data()),
                                    message.size()),
                signature);
}

Hash32 Blake2b256(absl::Span<const uint8_t> data) {
  Hash32 out;
  crypto_generichash(out.data(), out.size(), data.data(), data.size(), nullptr, 0);
  return out;
}

Hash32 Blake2b256(std::string_view data) {
  return Blake2b256(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Hasher::Hasher(size_t out_len) : out_len_(out_len) {
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_), nullptr, 0,
                          out_len_);
}

Hasher& Hasher::Update(absl::Span<const uint8_t> data) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), data.data(),
                            data.size());
  return *this;
}

Hasher& Hasher::Update(std::string_view data) {
  return Update(absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

void Hasher::Final(uint8_t* out) {
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_), out, out_len_);
}

Hash32 Hasher::Final32() {
  Hash32 out{};
  Final(out.data());
  return out;
}

void RandomBytes(absl::Span<uint8_t> out) { randombytes_buf(out.data(), out.size()); }

absl::StatusOr<std::array<uint8_t, 32>> Decode32(std::string_view text, std::string_view what) {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(AV(what), " is empty"));
  auto bytes = util::Base58Decode(text);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed ", AV(what), " '", AV(text), "': ", bytes.status().message()));
  }
  if (bytes->size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat("malformed ", AV(what), " '", AV(text),
                                                   "': decodes to ", bytes->size(),
                                                   " bytes, expected 32"));
  }
  std::array<uint8_t, 32> out;
  std::memcpy(out.data(), bytes->data(), 32);
  return out;
}

std::string ToBase58(absl::Span<const uint8_t> bytes) { return util::Base58Encode(bytes); }

}  // namespace dsc::crypto
