#include "crypto/crypto.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "unit/crypto/crypto_test_util.h"
#include "util/base58.h"

namespace dsc::crypto {
namespace {

using testing::Hex;
using testing::Msg;
using testing::UnhexArray;

// RFC 8032, section 7.1, TEST 1 and TEST 2.
constexpr char kRfcSeed1[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr char kRfcPub1[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char kRfcSig1[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";
constexpr char kRfcSeed2[] = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr char kRfcPub2[] = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
constexpr char kRfcSig2[] =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d"
    "8c387b2eaeb4302aeeb00d291612bb0c00";

TEST_CASE("Init may be called more than once", "[crypto]") {
  CHECK(Init().ok());
  CHECK(Init().ok());
}

TEST_CASE("FromSeed matches RFC 8032 test vectors", "[crypto]") {
  const KeyPair kp1 = KeyPair::FromSeed(UnhexArray<32>(kRfcSeed1));
  CHECK(Hex(kp1.public_key) == kRfcPub1);
  CHECK(Hex(kp1.seed()) == kRfcSeed1);
  const Signature sig1 = Sign(kp1, std::string_view());
  CHECK(Hex(sig1) == kRfcSig1);
  CHECK(Verify(kp1.public_key, std::string_view(), sig1));

  const KeyPair kp2 = KeyPair::FromSeed(UnhexArray<32>(kRfcSeed2));
  CHECK(Hex(kp2.public_key) == kRfcPub2);
  const std::vector<uint8_t> msg2 = {0x72};
  const Signature sig2 = Sign(kp2, absl::MakeConstSpan(msg2));
  CHECK(Hex(sig2) == kRfcSig2);
  CHECK(Verify(kp2.public_key, absl::MakeConstSpan(msg2), sig2));
}

TEST_CASE("FromSeed is deterministic and Generate is random", "[crypto]") {
  const Seed seed = UnhexArray<32>(kRfcSeed1);
  const KeyPair a = KeyPair::FromSeed(seed);
  const KeyPair b = KeyPair::FromSeed(seed);
  CHECK(a.public_key == b.public_key);
  CHECK(a.secret_key == b.secret_key);
  // libsodium layout: seed || public key.
  CHECK(std::equal(seed.begin(), seed.end(), a.secret_key.begin()));
  CHECK(std::equal(a.public_key.begin(), a.public_key.end(), a.secret_key.begin() + 32));

  const KeyPair g1 = KeyPair::Generate();
  const KeyPair g2 = KeyPair::Generate();
  CHECK(g1.public_key != g2.public_key);
  // A generated key is reproducible from its seed.
  CHECK(KeyPair::FromSeed(g1.seed()).public_key == g1.public_key);
  CHECK(KeyPair::FromSeed(g1.seed()).secret_key == g1.secret_key);
}

TEST_CASE("Sign/Verify accept the signer and reject any change", "[crypto]") {
  const uint64_t rng_seed = 0xC0FFEE;
  CAPTURE(rng_seed);
  std::mt19937_64 rng(rng_seed);
  Seed seed;
  for (auto& b : seed) b = static_cast<uint8_t>(rng());
  const KeyPair key = KeyPair::FromSeed(seed);
  const KeyPair other = KeyPair::FromSeed(UnhexArray<32>(kRfcSeed1));

  std::vector<uint8_t> msg(100);
  for (auto& b : msg) b = static_cast<uint8_t>(rng());
  const Signature sig = Sign(key, absl::MakeConstSpan(msg));
  REQUIRE(Verify(key.public_key, absl::MakeConstSpan(msg), sig));

  // The string_view and span overloads agree.
  const std::string text(msg.begin(), msg.end());
  CHECK(Sign(key, text) == sig);
  CHECK(Verify(key.public_key, text, sig));

  SECTION("wrong key") { CHECK_FALSE(Verify(other.public_key, absl::MakeConstSpan(msg), sig)); }
  SECTION("every flipped message bit") {
    for (size_t bit = 0; bit < msg.size() * 8; ++bit) {
      CAPTURE(bit);
      std::vector<uint8_t> m = msg;
      m[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      CHECK_FALSE(Verify(key.public_key, absl::MakeConstSpan(m), sig));
    }
  }
  SECTION("every flipped signature bit") {
    for (size_t bit = 0; bit < sig.size() * 8; ++bit) {
      CAPTURE(bit);
      Signature s = sig;
      s[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      CHECK_FALSE(Verify(key.public_key, absl::MakeConstSpan(msg), s));
    }
  }
  SECTION("truncated and extended message") {
    CHECK_FALSE(Verify(key.public_key, absl::MakeConstSpan(msg.data(), msg.size() - 1), sig));
    std::vector<uint8_t> longer = msg;
    longer.push_back(0);
    CHECK_FALSE(Verify(key.public_key, absl::MakeConstSpan(longer), sig));
  }
  SECTION("zero key and zero signature") {
    CHECK_FALSE(Verify(PublicKey{}, absl::MakeConstSpan(msg), sig));
    CHECK_FALSE(Verify(key.public_key, absl::MakeConstSpan(msg), Signature{}));
  }
}

TEST_CASE("Blake2b256 known vectors", "[crypto]") {
  CHECK(Hex(Blake2b256(std::string_view())) ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(Hex(Blake2b256(absl::Span<const uint8_t>())) ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(Hex(Blake2b256(std::string_view("abc"))) ==
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  CHECK(Hex(Blake2b256(std::string_view("The quick brown fox jumps over the lazy dog"))) ==
        "01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9");
}

TEST_CASE("Hasher incremental equals one-shot", "[crypto]") {
  const uint64_t rng_seed = 0x4A54;
  CAPTURE(rng_seed);
  std::mt19937_64 rng(rng_seed);
  for (int iter = 0; iter < 200; ++iter) {
    CAPTURE(iter);
    std::vector<uint8_t> data(rng() % 600);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    Hasher h;
    size_t pos = 0;
    while (pos < data.size()) {
      const size_t n = std::min<size_t>(data.size() - pos, rng() % 150);
      h.Update(absl::MakeConstSpan(data.data() + pos, n));
      pos += n;
    }
    CHECK(h.Final32() == Blake2b256(absl::MakeConstSpan(data)));
  }
  // The string_view overload and chaining.
  Hasher h;
  h.Update(std::string_view("The quick brown ")).Update(std::string_view("fox jumps over the lazy dog"));
  CHECK(Hex(h.Final32()) == "01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9");
}

TEST_CASE("Hasher with a 24-byte output is BLAKE2b-192", "[crypto]") {
  Hasher h(24);
  h.Update(std::string_view("abc"));
  std::array<uint8_t, 24> out{};
  h.Final(out.data());
  CHECK(Hex(out) == "56a17e38cc371a46b12c32f18e0c61de2a84e9c2555b114e");
}

TEST_CASE("RandomBytes fills the buffer", "[crypto]") {
  std::array<uint8_t, 64> a{};
  std::array<uint8_t, 64> b{};
  RandomBytes(absl::MakeSpan(a));
  RandomBytes(absl::MakeSpan(b));
  CHECK(a != b);
  CHECK(a != std::array<uint8_t, 64>{});
}

TEST_CASE("Decode32 parses 32-byte Base58 values", "[crypto]") {
  const KeyPair kp = KeyPair::FromSeed(UnhexArray<32>(kRfcSeed1));
  const std::string text = ToBase58(kp.public_key);
  CHECK(text == util::Base58Encode(kp.public_key));
  auto decoded = Decode32(text, "address");
  REQUIRE(decoded.ok());
  CHECK(*decoded == kp.public_key);

  auto zeros = Decode32("11111111111111111111111111111111", "address");
  REQUIRE(zeros.ok());
  CHECK(*zeros == std::array<uint8_t, 32>{});
}

TEST_CASE("Decode32 errors name the value and the problem", "[crypto]") {
  struct Bad {
    std::string text;
    std::string why;
  };
  const std::array<uint8_t, 31> short_value{1};
  const std::array<uint8_t, 33> long_value{1};
  const std::vector<Bad> bads = {
      {"", "recipient is empty"},
      {"abc0def", "invalid Base58 character '0'"},
      {"O", "invalid Base58 character 'O'"},
      {ToBase58(short_value), "decodes to 31 bytes, expected 32"},
      {ToBase58(long_value), "decodes to 33 bytes, expected 32"},
      {"1111111111111111111111111111111", "decodes to 31 bytes"},   // 31 zero bytes
      {"111111111111111111111111111111111", "decodes to 33 bytes"}, // 33 zero bytes
  };
  for (const auto& b : bads) {
    CAPTURE(b.text);
    auto decoded = Decode32(b.text, "recipient");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Msg(decoded), Catch::Contains(b.why));
    if (!b.text.empty()) CHECK_THAT(Msg(decoded), Catch::Contains("malformed recipient '" + b.text + "'"));
  }
}

}  // namespace
}  // namespace dsc::crypto
