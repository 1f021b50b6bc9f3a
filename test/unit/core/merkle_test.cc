#include "core/merkle.h"

#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "core/block.h"
#include "core/encoding.h"
#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

using testing::Counting;
using testing::KeyFromByte;
using testing::RandomArray;

// Independent restatement of the documented structure.
Hash32 Leaf(const Hash32& id) {
  crypto::Hasher h;
  const uint8_t tag = 0x00;
  h.Update(absl::MakeConstSpan(&tag, 1)).Update(absl::MakeConstSpan(id));
  return h.Final32();
}

Hash32 Node(const Hash32& l, const Hash32& r) {
  crypto::Hasher h;
  const uint8_t tag = 0x01;
  h.Update(absl::MakeConstSpan(&tag, 1)).Update(absl::MakeConstSpan(l)).Update(absl::MakeConstSpan(r));
  return h.Final32();
}

TEST_CASE("MerkleRoot of no ids is all zeros", "[core]") {
  CHECK(MerkleRoot({}) == Hash32{});
  CHECK(TxRoot({}) == Hash32{});
}

TEST_CASE("MerkleRoot by hand for 1, 2, 3, 4 and 5 ids", "[core]") {
  const Hash32 a = Counting<32>(0x00);
  const Hash32 b = Counting<32>(0x20);
  const Hash32 c = Counting<32>(0x40);
  const Hash32 d = Counting<32>(0x60);
  const Hash32 e = Counting<32>(0x80);
  // One id: the tagged leaf, not the id itself.
  std::string leaf_input(1, '\0');
  leaf_input.append(reinterpret_cast<const char*>(a.data()), a.size());
  CHECK(MerkleRoot({a}) == crypto::Blake2b256(leaf_input));
  CHECK(MerkleRoot({a}) != a);
  CHECK(MerkleRoot({a, b}) == Node(Leaf(a), Leaf(b)));
  // An odd node is carried up unchanged (not duplicated).
  CHECK(MerkleRoot({a, b, c}) == Node(Node(Leaf(a), Leaf(b)), Leaf(c)));
  CHECK(MerkleRoot({a, b, c, d}) == Node(Node(Leaf(a), Leaf(b)), Node(Leaf(c), Leaf(d))));
  CHECK(MerkleRoot({a, b, c, d, e}) ==
        Node(Node(Node(Leaf(a), Leaf(b)), Node(Leaf(c), Leaf(d))), Leaf(e)));
}

TEST_CASE("MerkleRoot depends on order and on duplication", "[core]") {
  const Hash32 a = Counting<32>(0x00);
  const Hash32 b = Counting<32>(0x20);
  const Hash32 c = Counting<32>(0x40);
  CHECK(MerkleRoot({a, b}) != MerkleRoot({b, a}));
  CHECK(MerkleRoot({a, b, c}) != MerkleRoot({a, c, b}));
  // Unlike Bitcoin's tree, repeating the last id gives a different root (CVE-2012-2459).
  CHECK(MerkleRoot({a, b, c}) != MerkleRoot({a, b, c, c}));
  CHECK(MerkleRoot({a}) != MerkleRoot({a, a}));
  // An inner node cannot pass for a leaf id.
  CHECK(MerkleRoot({a, b}) != MerkleRoot({Node(Leaf(a), Leaf(b))}));
}

TEST_CASE("MerkleRoot changes when any id changes", "[core]") {
  const uint64_t seed = 0x3E4B1E;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (size_t n = 1; n <= 17; ++n) {
    CAPTURE(n);
    std::vector<Hash32> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back(RandomArray<32>(rng));
    const Hash32 root = MerkleRoot(ids);
    for (size_t i = 0; i < n; ++i) {
      CAPTURE(i);
      std::vector<Hash32> changed = ids;
      changed[i][rng() % 32] ^= static_cast<uint8_t>(1u << (rng() % 8));
      CHECK(MerkleRoot(changed) != root);
    }
  }
}

TEST_CASE("TxRoot is the MerkleRoot of the tx ids", "[core]") {
  const crypto::KeyPair alice = KeyFromByte(0x0a);
  const crypto::KeyPair bob = KeyFromByte(0x0b);
  std::vector<Transaction> txs;
  std::vector<Hash32> ids;
  for (uint64_t i = 0; i < 7; ++i) {
    txs.push_back(MakeTransaction(alice, bob.public_key, 1 + i, i, i, 1000 + i));
    ids.push_back(ComputeTxId(txs.back()));
    CHECK(TxRoot(txs) == MerkleRoot(ids));
  }
}

}  // namespace
}  // namespace dsc::core
