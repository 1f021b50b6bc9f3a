#include "crypto/ed25519.h"

#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "crypto/crypto.h"
#include "unit/crypto/crypto_test_util.h"

namespace dsc::crypto {
namespace {

// libsodium's own verifier: the reference every honest signature must agree with.
bool SodiumVerify(const PublicKey& key, const std::vector<uint8_t>& msg, const Signature& sig) {
  return crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), key.data()) == 0;
}

struct Signed {
  PublicKey key;
  std::vector<uint8_t> message;
  Signature signature;
};

std::vector<Signed> MakeSigned(size_t count, size_t distinct_keys, std::mt19937_64& rng) {
  std::vector<KeyPair> keys;
  for (size_t i = 0; i < distinct_keys; ++i) keys.push_back(KeyPair::Generate());
  std::vector<Signed> out;
  for (size_t i = 0; i < count; ++i) {
    const KeyPair& kp = keys[i % distinct_keys];
    std::vector<uint8_t> msg(rng() % 200);
    for (auto& b : msg) b = static_cast<uint8_t>(rng());
    out.push_back({kp.public_key, msg, Sign(kp, absl::MakeConstSpan(msg))});
  }
  return out;
}

std::vector<SignedMessage> View(const std::vector<Signed>& s) {
  std::vector<SignedMessage> out;
  for (const Signed& x : s) out.push_back({&x.key, absl::MakeConstSpan(x.message), &x.signature});
  return out;
}

// s + L, a non-canonical encoding of the same scalar (s < L, so it fits in 254 bits).
void AddOrder(uint8_t s[32]) {
  static constexpr uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                     0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                     0,    0,    0,    0,    0,    0,    0,    0,
                                     0,    0,    0,    0,    0,    0,    0,    0x10};
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned t = s[i] + kL[i] + carry;
    s[i] = static_cast<uint8_t>(t);
    carry = t >> 8;
  }
}

// A signature made by hand from scalars: key = [a]B + key_torsion, R = [r]B + r_torsion,
// s = r + h a with h = SHA-512(R || key || M). Lets the tests give the key or R a
// small-order component, which no standard signer does.
Signed HandMade(const uint8_t* key_torsion, const uint8_t* r_torsion,
                const std::vector<uint8_t>& msg) {
  uint8_t a[32], r[32], big_a[32], big_r[32];
  crypto_core_ed25519_scalar_random(a);
  crypto_core_ed25519_scalar_random(r);
  REQUIRE(crypto_scalarmult_ed25519_base_noclamp(big_a, a) == 0);
  REQUIRE(crypto_scalarmult_ed25519_base_noclamp(big_r, r) == 0);
  if (key_torsion != nullptr) REQUIRE(crypto_core_ed25519_add(big_a, big_a, key_torsion) == 0);
  if (r_torsion != nullptr) REQUIRE(crypto_core_ed25519_add(big_r, big_r, r_torsion) == 0);
  uint8_t digest[64], h[32], ha[32], s[32];
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, big_r, 32);
  crypto_hash_sha512_update(&st, big_a, 32);
  crypto_hash_sha512_update(&st, msg.data(), msg.size());
  crypto_hash_sha512_final(&st, digest);
  crypto_core_ed25519_scalar_reduce(h, digest);
  crypto_core_ed25519_scalar_mul(ha, h, a);
  crypto_core_ed25519_scalar_add(s, r, ha);
  Signed out;
  std::memcpy(out.key.data(), big_a, 32);
  std::memcpy(out.signature.data(), big_r, 32);
  std::memcpy(out.signature.data() + 32, s, 32);
  out.message = msg;
  return out;
}

// The point (sqrt(-1), 0), of order 4, and the point (0, -1), of order 2.
constexpr uint8_t kOrder4[32] = {0};
constexpr uint8_t kOrder2[32] = {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};

bool VerifyOne(const Signed& s) {
  const SignedMessage m{&s.key, absl::MakeConstSpan(s.message), &s.signature};
  return VerifyBatch({&m, 1});
}

TEST_CASE("Ed25519 accepts every signature libsodium makes, alone and in batches",
          "[crypto][ed25519]") {
  REQUIRE(Init().ok());
  std::mt19937_64 rng(7);
  for (size_t distinct : {size_t{1}, size_t{8}, size_t{200}}) {
    const std::vector<Signed> sigs = MakeSigned(200, distinct, rng);
    for (const Signed& s : sigs) {
      REQUIRE(SodiumVerify(s.key, s.message, s.signature));
      REQUIRE(VerifyOne(s));
      REQUIRE(Verify(s.key, absl::MakeConstSpan(s.message), s.signature));
    }
    const std::vector<SignedMessage> view = View(sigs);
    CHECK(VerifyBatch(view));
    for (size_t n : {0, 1, 2, 3, 63, 64, 65, 129, 200}) {
      CHECK(VerifyBatch(absl::MakeConstSpan(view).subspan(0, n)));
      const std::vector<bool> ok = VerifyEach(absl::MakeConstSpan(view).subspan(0, n));
      CHECK(ok == std::vector<bool>(n, true));
    }
  }
}

TEST_CASE("Ed25519 agrees with libsodium on every one-bit change", "[crypto][ed25519]") {
  REQUIRE(Init().ok());
  std::mt19937_64 rng(11);
  std::vector<Signed> sigs = MakeSigned(40, 40, rng);
  int rejected = 0;
  for (Signed& s : sigs) {
    // Each bit of the signature and key, and 16 bits of the message.
    std::vector<std::pair<uint8_t*, size_t>> targets = {{s.signature.data(), 64},
                                                        {s.key.data(), 32}};
    for (auto [bytes, len] : targets) {
      for (size_t bit = 0; bit < len * 8; ++bit) {
        bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        const bool ours = VerifyOne(s);
        REQUIRE(ours == SodiumVerify(s.key, s.message, s.signature));
        rejected += ours ? 0 : 1;
        bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      }
    }
    for (int i = 0; i < 16 && !s.message.empty(); ++i) {
      const size_t bit = rng() % (s.message.size() * 8);
      s.message[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      CHECK_FALSE(VerifyOne(s));
      CHECK_FALSE(SodiumVerify(s.key, s.message, s.signature));
      s.message[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    REQUIRE(VerifyOne(s));
  }
  CHECK(rejected == 40 * 96 * 8);  // no one-bit change of a signature or key survives
}

TEST_CASE("Ed25519 batches find exactly the invalid signatures", "[crypto][ed25519]") {
  REQUIRE(Init().ok());
  std::mt19937_64 rng(13);
  std::vector<Signed> sigs = MakeSigned(150, 8, rng);
  const std::vector<size_t> bad = {0, 5, 63, 64, 100, 149};
  for (size_t i : bad) sigs[i].signature[40] ^= 0x01;  // s changed: the equation fails
  sigs[77].message.push_back(1);                        // message changed
  const std::vector<SignedMessage> view = View(sigs);
  CHECK_FALSE(VerifyBatch(view));
  const std::vector<bool> ok = VerifyEach(view);
  REQUIRE(ok.size() == sigs.size());
  for (size_t i = 0; i < sigs.size(); ++i) {
    const bool expect_bad = i == 77 || std::find(bad.begin(), bad.end(), i) != bad.end();
    CHECK(ok[i] == !expect_bad);
  }
  // One invalid signature fails any batch it is in, wherever it sits.
  for (size_t pos : {0, 31, 63}) {
    std::vector<Signed> batch = MakeSigned(64, 3, rng);
    batch[pos].signature[0] ^= 0x02;  // R changed
    CHECK_FALSE(VerifyBatch(View(batch)));
  }
}

TEST_CASE("Ed25519 rejects non-canonical and small-order encodings", "[crypto][ed25519]") {
  REQUIRE(Init().ok());
  std::mt19937_64 rng(17);
  const Signed good = MakeSigned(1, 1, rng)[0];

  SECTION("s + L") {
    Signed s = good;
    AddOrder(s.signature.data() + 32);
    CHECK_FALSE(VerifyOne(s));
    CHECK_FALSE(SodiumVerify(s.key, s.message, s.signature));
  }
  SECTION("R or key with y >= p") {
    for (int which = 0; which < 2; ++which) {
      Signed s = good;
      uint8_t* point = which == 0 ? s.signature.data() : s.key.data();
      // y = p + 1 and y = 2^255 - 1: non-canonical encodings.
      for (uint8_t low : {uint8_t{0xee}, uint8_t{0xff}}) {
        std::memset(point, 0xff, 32);
        point[0] = low;
        point[31] = 0x7f;
        CHECK_FALSE(VerifyOne(s));
      }
    }
  }
  SECTION("small-order key or R") {
    const uint8_t identity[32] = {1};
    for (const uint8_t* p : {identity, kOrder2, kOrder4}) {
      Signed s = good;
      std::memcpy(s.key.data(), p, 32);
      CHECK_FALSE(VerifyOne(s));
      s = good;
      std::memcpy(s.signature.data(), p, 32);
      CHECK_FALSE(VerifyOne(s));
    }
    // A small-order key with s = 0 and R = identity makes [8](sB - hA - R) vanish for every
    // message; it must still be refused.
    Signed s = good;
    std::memcpy(s.key.data(), kOrder4, 32);
    std::memset(s.signature.data(), 0, 64);
    s.signature[0] = 1;
    CHECK_FALSE(VerifyOne(s));
    CHECK_FALSE(VerifyBatch(View({s, good})));
  }
  SECTION("a point off the curve") {
    Signed s = good;
    // y = 2: u/v = 3/(4d + 1) is not a square, so no x exists.
    std::memset(s.key.data(), 0, 32);
    s.key[0] = 2;
    CHECK_FALSE(VerifyOne(s));
    CHECK_FALSE(SodiumVerify(s.key, s.message, s.signature));
  }
}

TEST_CASE("Ed25519 uses the cofactored equation, alone and in batches", "[crypto][ed25519]") {
  REQUIRE(Init().ok());
  // With a key carrying an order-4 component T, [s]B - [h]A - R = -[h]T: zero times 8, but
  // zero itself only when 4 divides h. libsodium (cofactorless) refuses most such
  // signatures; dscd accepts them all, the same way alone or in any batch.
  std::mt19937_64 rng(19);
  std::vector<Signed> torsion;
  int sodium_refused = 0;
  for (int i = 0; i < 24; ++i) {
    const std::vector<uint8_t> msg = {static_cast<uint8_t>(i), 1, 2, 3};
    torsion.push_back(HandMade(kOrder4, nullptr, msg));
    torsion.push_back(HandMade(nullptr, kOrder2, msg));  // R = [r]B + (0, -1)
    for (const Signed* s : {&torsion[torsion.size() - 2], &torsion.back()}) {
      CHECK(VerifyOne(*s));
      if (!SodiumVerify(s->key, s->message, s->signature)) ++sodium_refused;
    }
  }
  CHECK(sodium_refused >= 24);  // every torsion-R one, and most torsion-key ones
  std::vector<Signed> mixed = MakeSigned(40, 4, rng);
  mixed.insert(mixed.end(), torsion.begin(), torsion.end());
  std::shuffle(mixed.begin(), mixed.end(), rng);
  CHECK(VerifyBatch(View(mixed)));
  CHECK(VerifyEach(View(mixed)) == std::vector<bool>(mixed.size(), true));
  // Hand-made signatures without torsion are ordinary ones.
  for (int i = 0; i < 8; ++i) {
    const Signed s = HandMade(nullptr, nullptr, {static_cast<uint8_t>(i)});
    CHECK(VerifyOne(s));
    CHECK(SodiumVerify(s.key, s.message, s.signature));
  }
}

}  // namespace
}  // namespace dsc::crypto
