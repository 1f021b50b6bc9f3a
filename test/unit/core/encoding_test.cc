// Golden vectors of the canonical encoder. The expected bytes were computed once and
// checked independently against the layout documented in core/encoding.h (tag byte, then
// the fields in order, integers big-endian) with a separate implementation (Python
// hashlib + cryptography's Ed25519). If one of these tests fails, the bytes that are
// signed and hashed have changed: that is a consensus break, not a test to update lightly.
#include "core/encoding.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/block.h"
#include "unit/core/core_test_util.h"
#include "util/amount.h"
#include "util/base58.h"

namespace dsc::core {
namespace {

using testing::Counting;
using testing::Hex;
using testing::KeyFromByte;
using testing::Msg;
using testing::RandomHeader;
using testing::RandomTx;
using testing::RfcKey;

constexpr int64_t kGoldenTs = 1'700'000'000'123;  // 0x0000018bcfe5687b

// --- golden vectors -------------------------------------------------------------------
constexpr char kRfcPubHex[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char kKey01PubHex[] = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";

// tag 01 | sender | recipient | amount 12.5 coins | fee 1000 | nonce 7 | timestamp
constexpr char kGoldenTxSigningHex[] =
    "01"
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
    "0000000000bebc20"
    "00000000000003e8"
    "0000000000000007"
    "0000018bcfe5687b";
constexpr char kGoldenTxSignatureHex[] =
    "bfa49599a1d7648cd2863f7517efcccf8088b57bc34d80a6987e1589e4e68850"
    "937b4e1e1a12bf9f53ba76c0a15e878549506f54563a8d68c4fb86a4a34c9d0e";
constexpr char kGoldenTxIdHex[] = "b9b25cc45345ea3fc55e6e2a3224546f8d6616e4c1c82d237cc9f234a87a688d";
constexpr char kGoldenTxIdBase58[] = "DVtAnQfmE9LfuaosV3gAdNpqZ4N6WuQvCq8BJrxGPnHS";

// tag 02 | version | height | prev_hash | timestamp | difficulty | producer | fingerprint |
// proof_nonce | reward | tx_root | provenance_root | tx_count
constexpr char kGoldenHeaderHashBytesHex[] =
    "02"
    "00000001"
    "0000000000012345"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "0000018bcfe5687b"
    "00000014"
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    "404142434445464748494a4b4c4d4e4f"
    "fedcba9876543210"
    "00000000000f4240"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "00000002";
constexpr char kGoldenBlockHashHex[] =
    "a8ec18bb52877857caef37d13dd619dc8da4fd8597bc5b5266f5f447553342a5";
constexpr char kGoldenBlockHashBase58[] = "CNQJJML43MGdtN5u6AfrDXtUjUzrdxZ7gjzAy9fgXPxx";
constexpr size_t kGoldenBlockBytes = 643;  // 317 header + 4 count + 2 x 161
constexpr char kGoldenBlockBlake2bHex[] =
    "5dc5bc61dda1241d9b129bc5def05d46bc10fd3ae9802a996272a3e6cb4ff96e";

// tag 03 | key | fingerprint | len("pow") | "pow" | timestamp
constexpr char kGoldenRegistrationHex[] =
    "03"
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    "404142434445464748494a4b4c4d4e4f"
    "00000003"
    "706f77"
    "0000018bcfe5687b";

Transaction GoldenTx() {
  return MakeTransaction(RfcKey(), KeyFromByte(0x01).public_key, 12'500'000, 1000, 7, kGoldenTs);
}

// The recipient of GoldenTx pays one unit back.
Transaction GoldenTx2() {
  return MakeTransaction(KeyFromByte(0x01), RfcKey().public_key, 1, 0, 0, kGoldenTs + 1);
}

BlockHeader GoldenHeader() {
  BlockHeader h;
  h.version = 1;
  h.height = 0x12345;
  h.prev_hash = Counting<32>(0x20);
  h.timestamp_ms = kGoldenTs;
  h.difficulty = 20;
  h.producer = RfcKey().public_key;
  h.fingerprint = Counting<16>(0x40);
  h.proof_nonce = 0xfedcba9876543210ull;
  h.reward = 1'000'000;
  h.tx_root = Counting<32>(0x60);
  h.provenance_root = Counting<32>(0x80);
  h.tx_count = 2;
  h.producer_signature = Counting<64>(0xa0);
  h.metronome_signature = Counting<64>(0x00);
  return h;
}

TEST_CASE("Golden vector: transaction encoding and id", "[core]") {
  const Transaction tx = GoldenTx();
  REQUIRE(util::ParseAmount("12.5").value() == tx.amount);
  CHECK(Hex(tx.sender) == kRfcPubHex);
  CHECK(Hex(tx.recipient) == kKey01PubHex);

  const std::string signing = EncodeTxSigningBytes(tx);
  CHECK(signing.size() == kTxSigningBytes);
  CHECK(kTxSigningBytes == 97);
  CHECK(Hex(signing) == kGoldenTxSigningHex);

  const std::string encoded = EncodeTx(tx);
  CHECK(encoded.size() == kTxBytes);
  CHECK(kTxBytes == 161);
  CHECK(Hex(encoded) == std::string(kGoldenTxSigningHex) + kGoldenTxSignatureHex);

  const TxId id = ComputeTxId(tx);
  CHECK(Hex(id) == kGoldenTxIdHex);
  CHECK(ToHex(id) == kGoldenTxIdHex);
  CHECK(util::Base58Encode(id) == kGoldenTxIdBase58);
  CHECK(id == crypto::Blake2b256(encoded));
  CHECK(crypto::Verify(tx.sender, signing, tx.signature));
}

TEST_CASE("Golden vector: block header encoding and hash", "[core]") {
  const BlockHeader h = GoldenHeader();
  const std::string hash_bytes = EncodeHeaderHashBytes(h);
  CHECK(kHeaderHashBytes == 189);
  CHECK(kHeaderBytes == 317);
  CHECK(hash_bytes.size() == kHeaderHashBytes);
  CHECK(Hex(hash_bytes) == kGoldenHeaderHashBytesHex);

  const Hash32 hash = ComputeBlockHash(h);
  CHECK(Hex(hash) == kGoldenBlockHashHex);
  CHECK(util::Base58Encode(hash) == kGoldenBlockHashBase58);

  // The full header is the hashed bytes followed by the two signatures, which the hash
  // does not cover.
  const std::string full = EncodeHeader(h);
  CHECK(full.size() == kHeaderBytes);
  CHECK(Hex(full) == std::string(kGoldenHeaderHashBytesHex) + Hex(h.producer_signature) +
                         Hex(h.metronome_signature));
  BlockHeader resigned = h;
  resigned.producer_signature.fill(0x55);
  resigned.metronome_signature.fill(0x66);
  CHECK(ComputeBlockHash(resigned) == hash);
}

TEST_CASE("Golden vector: block encoding", "[core]") {
  Block block;
  block.header = GoldenHeader();
  block.txs = {GoldenTx(), GoldenTx2()};
  const std::string encoded = EncodeBlock(block);
  CHECK(encoded.size() == kGoldenBlockBytes);
  CHECK(Hex(crypto::Blake2b256(encoded)) == kGoldenBlockBlake2bHex);
  // Layout: header, 4-byte count, then each transaction.
  CHECK(encoded.substr(0, kHeaderBytes) == EncodeHeader(block.header));
  CHECK(Hex(encoded.substr(kHeaderBytes, 4)) == "00000002");
  CHECK(encoded.substr(kHeaderBytes + 4, kTxBytes) == EncodeTx(block.txs[0]));
  CHECK(encoded.substr(kHeaderBytes + 4 + kTxBytes) == EncodeTx(block.txs[1]));
  auto decoded = DecodeBlock(encoded);
  REQUIRE(decoded.ok());
  CHECK(*decoded == block);
}

TEST_CASE("Golden vector: validator registration message", "[core]") {
  CHECK(Hex(EncodeRegistration(RfcKey().public_key, Counting<16>(0x40), "pow", kGoldenTs)) ==
        kGoldenRegistrationHex);
  // The kind is length-prefixed, so kinds cannot run into the timestamp.
  CHECK(EncodeRegistration(RfcKey().public_key, Counting<16>(0x40), "po", kGoldenTs) !=
        EncodeRegistration(RfcKey().public_key, Counting<16>(0x40), "pow", kGoldenTs));
}

TEST_CASE("Each transaction field lands at its documented offset", "[core]") {
  Transaction tx;
  tx.amount = 0x0102030405060708ull;
  tx.fee = 0x1112131415161718ull;
  tx.nonce = 0x2122232425262728ull;
  tx.timestamp_ms = -2;  // two's complement, big-endian
  const std::string b = EncodeTx(tx);
  CHECK(Hex(b.substr(65, 8)) == "0102030405060708");
  CHECK(Hex(b.substr(73, 8)) == "1112131415161718");
  CHECK(Hex(b.substr(81, 8)) == "2122232425262728");
  CHECK(Hex(b.substr(89, 8)) == "fffffffffffffffe");
  auto back = DecodeTx(b);
  REQUIRE(back.ok());
  CHECK(back->timestamp_ms == -2);
}

// --- round trips ------------------------------------------------------------------------

TEST_CASE("DecodeTx(EncodeTx(x)) == x for random transactions", "[core]") {
  const uint64_t seed = 0xE1C0'0001;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1000; ++i) {
    CAPTURE(i);
    const Transaction tx = RandomTx(rng);
    auto back = DecodeTx(EncodeTx(tx));
    REQUIRE(back.ok());
    CHECK(*back == tx);
  }
}

TEST_CASE("DecodeHeader(EncodeHeader(x)) == x for random headers", "[core]") {
  const uint64_t seed = 0xE1C0'0002;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1000; ++i) {
    CAPTURE(i);
    const BlockHeader h = RandomHeader(rng);
    auto back = DecodeHeader(EncodeHeader(h));
    REQUIRE(back.ok());
    CHECK(*back == h);
  }
}

TEST_CASE("DecodeBlock(EncodeBlock(x)) == x for random blocks", "[core]") {
  const uint64_t seed = 0xE1C0'0003;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 100; ++i) {
    CAPTURE(i);
    Block b;
    b.header = RandomHeader(rng);
    const size_t n = rng() % 20;
    for (size_t k = 0; k < n; ++k) b.txs.push_back(RandomTx(rng));
    const std::string bytes = EncodeBlock(b);
    CHECK(bytes.size() == kHeaderBytes + 4 + n * kTxBytes);
    auto back = DecodeBlock(bytes);
    REQUIRE(back.ok());
    CHECK(*back == b);
  }
}

TEST_CASE("Account and U64 key round trips", "[core]") {
  const uint64_t seed = 0xE1C0'0004;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1000; ++i) {
    const Account a{rng(), rng()};
    CAPTURE(a.balance, a.nonce);
    const std::string bytes = EncodeAccount(a);
    CHECK(bytes.size() == 16);
    auto back = DecodeAccount(bytes);
    REQUIRE(back.ok());
    CHECK(*back == a);
    const uint64_t v = rng();
    auto key = DecodeU64Key(EncodeU64Key(v));
    REQUIRE(key.ok());
    CHECK(*key == v);
  }
  CHECK(Hex(EncodeAccount(Account{1, 2})) == "00000000000000010000000000000002");
  CHECK(DecodeAccount(std::string(15, '\0')).status().code() == absl::StatusCode::kDataLoss);
  CHECK(DecodeAccount(std::string(17, '\0')).status().code() == absl::StatusCode::kDataLoss);
  CHECK(DecodeU64Key(std::string(7, '\0')).status().code() == absl::StatusCode::kDataLoss);
  CHECK(DecodeU64Key(std::string(9, '\0')).status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("EncodeU64Key orders like the integers", "[core]") {
  const uint64_t seed = 0xE1C0'0005;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> values = {0, 1, 255, 256, 65535, 65536, 1ull << 63, UINT64_MAX,
                                  UINT64_MAX - 1, 0x7fffffffffffffffull, 0x80};
  for (int i = 0; i < 2000; ++i) values.push_back(rng() >> (rng() % 64));
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    for (size_t j : {i + 1, (i * 7 + 3) % values.size()}) {
      const uint64_t a = values[i];
      const uint64_t b = values[j];
      CAPTURE(a, b);
      CHECK((a < b) == (EncodeU64Key(a) < EncodeU64Key(b)));
      CHECK((a == b) == (EncodeU64Key(a) == EncodeU64Key(b)));
    }
  }
  std::vector<std::string> keys;
  for (uint64_t v : values) keys.push_back(EncodeU64Key(v));
  std::sort(values.begin(), values.end());
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < values.size(); ++i) CHECK(*DecodeU64Key(keys[i]) == values[i]);
}

// --- rejection of malformed bytes ---------------------------------------------------------

TEST_CASE("DecodeTx rejects every truncation, every extra byte and a wrong tag", "[core]") {
  const std::string good = EncodeTx(GoldenTx());
  for (size_t len = 0; len < good.size(); ++len) {
    CAPTURE(len);
    auto r = DecodeTx(good.substr(0, len));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  }
  for (int extra = 1; extra <= 3; ++extra) {
    for (int byte : {0x00, 0x01, 0xff}) {
      CAPTURE(extra, byte);
      CHECK_FALSE(DecodeTx(good + std::string(extra, static_cast<char>(byte))).ok());
    }
  }
  for (int tag = 0; tag < 256; ++tag) {
    if (tag == kTagTx) continue;
    CAPTURE(tag);
    std::string bad = good;
    bad[0] = static_cast<char>(tag);
    CHECK(DecodeTx(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK_THAT(Msg(DecodeTx(good.substr(1))), Catch::Contains("malformed transaction"));
}

TEST_CASE("DecodeHeader rejects every truncation, every extra byte and a wrong tag", "[core]") {
  const std::string good = EncodeHeader(GoldenHeader());
  for (size_t len = 0; len < good.size(); ++len) {
    CAPTURE(len);
    auto r = DecodeHeader(good.substr(0, len));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  }
  for (int extra = 1; extra <= 3; ++extra) {
    CAPTURE(extra);
    CHECK_FALSE(DecodeHeader(good + std::string(extra, '\0')).ok());
  }
  std::string bad = good;
  bad[0] = static_cast<char>(kTagTx);
  CHECK(DecodeHeader(bad).status().code() == absl::StatusCode::kInvalidArgument);
  // The tag keeps a header from being read as a transaction, even at the right length.
  CHECK_FALSE(DecodeTx(good.substr(0, kTxBytes)).ok());
}

TEST_CASE("DecodeBlock rejects truncations, extra bytes, wrong counts and wrong tags",
          "[core]") {
  Block block;
  block.header = GoldenHeader();
  block.txs = {GoldenTx(), GoldenTx2()};
  const std::string good = EncodeBlock(block);
  REQUIRE(DecodeBlock(good).ok());

  SECTION("every truncation") {
    for (size_t len = 0; len < good.size(); ++len) {
      CAPTURE(len);
      auto r = DecodeBlock(good.substr(0, len));
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
  SECTION("every number of extra bytes up to one transaction") {
    for (size_t extra = 1; extra <= kTxBytes; ++extra) {
      CAPTURE(extra);
      CHECK_FALSE(DecodeBlock(good + std::string(extra, '\x01')).ok());
    }
  }
  SECTION("a count that does not match the bytes") {
    for (uint32_t count : {0u, 1u, 3u, 0xffffffffu, 0x80000002u}) {
      CAPTURE(count);
      std::string bad = good;
      Writer w;
      w.U32(count);
      bad.replace(kHeaderBytes, 4, w.str());
      CHECK(DecodeBlock(bad).status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
  SECTION("a count that matches more bytes than the header says is still decodable") {
    // DecodeBlock checks bytes only; CheckBlockBody compares with header.tx_count.
    Block b = block;
    b.txs.pop_back();
    auto r = DecodeBlock(EncodeBlock(b));
    REQUIRE(r.ok());
    CHECK(r->header.tx_count == 2);
    CHECK(r->txs.size() == 1);
  }
  SECTION("a wrong header tag") {
    std::string bad = good;
    bad[0] = static_cast<char>(kTagTx);
    CHECK(DecodeBlock(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("a wrong tag on the second transaction") {
    std::string bad = good;
    bad[kHeaderBytes + 4 + kTxBytes] = static_cast<char>(kTagHeader);
    auto r = DecodeBlock(bad);
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Msg(r), Catch::Contains("transaction"));
  }
  SECTION("an empty block") {
    Block empty;
    empty.header = GoldenHeader();
    const std::string bytes = EncodeBlock(empty);
    CHECK(bytes.size() == kHeaderBytes + 4);
    auto r = DecodeBlock(bytes);
    REQUIRE(r.ok());
    CHECK(r->txs.empty());
  }
}

TEST_CASE("Changing any field changes the signing bytes and the id", "[core]") {
  const Transaction base = GoldenTx();
  std::vector<Transaction> variants(7, base);
  variants[0].sender[31] ^= 1;
  variants[1].recipient[0] ^= 1;
  variants[2].amount += 1;
  variants[3].fee += 1;
  variants[4].nonce += 1;
  variants[5].timestamp_ms += 1;
  variants[6].signature[63] ^= 1;  // only the id, not the signing bytes
  for (size_t i = 0; i < variants.size(); ++i) {
    CAPTURE(i);
    CHECK(ComputeTxId(variants[i]) != ComputeTxId(base));
    if (i < 6) CHECK(EncodeTxSigningBytes(variants[i]) != EncodeTxSigningBytes(base));
  }
  CHECK(EncodeTxSigningBytes(variants[6]) == EncodeTxSigningBytes(base));
}

TEST_CASE("Changing any hashed header field changes the block hash", "[core]") {
  const BlockHeader base = GoldenHeader();
  const Hash32 hash = ComputeBlockHash(base);
  std::vector<BlockHeader> variants(12, base);
  variants[0].version += 1;
  variants[1].height += 1;
  variants[2].prev_hash[5] ^= 1;
  variants[3].timestamp_ms += 1;
  variants[4].difficulty += 1;
  variants[5].producer[0] ^= 1;
  variants[6].fingerprint[15] ^= 1;
  variants[7].proof_nonce += 1;
  variants[8].reward += 1;
  variants[9].tx_root[0] ^= 1;
  variants[10].provenance_root[31] ^= 1;
  variants[11].tx_count += 1;
  for (size_t i = 0; i < variants.size(); ++i) {
    CAPTURE(i);
    CHECK(ComputeBlockHash(variants[i]) != hash);
  }
}

TEST_CASE("ToHex and TxStatusName", "[core]") {
  CHECK(ToHex(Hash32{}) == std::string(64, '0'));
  CHECK(ToHex(Counting<32>(0xf0)).substr(0, 8) == "f0f1f2f3");
  CHECK(std::string(TxStatusName(TxStatus::kUnknown)) == "unknown");
  CHECK(std::string(TxStatusName(TxStatus::kSubmitted)) == "submitted");
  CHECK(std::string(TxStatusName(TxStatus::kUnconfirmed)) == "unconfirmed");
  CHECK(std::string(TxStatusName(TxStatus::kConfirmed)) == "confirmed");
  CHECK(std::string(TxStatusName(static_cast<TxStatus>(42))) == "unknown");
}

}  // namespace
}  // namespace dsc::core
