#include "core/block.h"

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/encoding.h"
#include "core/merkle.h"
#include "core/validation.h"
#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

using testing::Counting;
using testing::Hex;
using testing::KeyFromByte;
using testing::RfcKey;

constexpr int64_t kT0 = 1'700'000'000'000;

// Golden: genesis of {RFC 8032 key: 1000 coins, key of seed 0x01..: 5 coins} at kT0 with
// initial difficulty 12. tx_root = MerkleRoot(BLAKE2b-256(address || amount BE64) ...).
constexpr char kGoldenGenesisTxRootHex[] =
    "787b3b72ec81fd59a1987ab004f3f21f422c25a6cc847470c6db3538c0e44f9b";
constexpr char kGoldenGenesisHashHex[] =
    "495ae18097871a021dcc5ade3f0c3323d6c604964a19b8ddf95c8a45af1629f0";

std::string_view HashView(const Hash32& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

ConsensusParams GoldenParams() {
  ConsensusParams p;
  p.initial_difficulty = 12;
  p.genesis_timestamp_ms = kT0;
  p.genesis = {GenesisAlloc{RfcKey().public_key, 1'000'000'000},
               GenesisAlloc{KeyFromByte(0x01).public_key, 5'000'000}};
  return p;
}

TEST_CASE("Golden vector: genesis block", "[core]") {
  const Block g = MakeGenesisBlock(GoldenParams());
  CHECK(g.header.version == kBlockVersion);
  CHECK(g.header.height == 0);
  CHECK(g.header.prev_hash == Hash32{});
  CHECK(g.header.timestamp_ms == kT0);
  CHECK(g.header.difficulty == 12);
  CHECK(g.header.producer == PublicKey{});
  CHECK(g.header.reward == 0);
  CHECK(g.header.tx_count == 0);
  CHECK(g.txs.empty());
  CHECK(Hex(g.header.tx_root) == kGoldenGenesisTxRootHex);
  CHECK(Hex(ComputeBlockHash(g.header)) == kGoldenGenesisHashHex);
  CHECK(MakeGenesisBlock(GoldenParams()) == g);
}

TEST_CASE("MakeGenesisBlock differs when the allocations differ", "[core]") {
  const Hash32 base = ComputeBlockHash(MakeGenesisBlock(GoldenParams()).header);
  std::vector<ConsensusParams> variants(7, GoldenParams());
  variants[0].genesis[0].amount += 1;
  variants[1].genesis[1].address = KeyFromByte(0x02).public_key;
  std::swap(variants[2].genesis[0], variants[2].genesis[1]);
  variants[3].genesis.pop_back();
  variants[4].genesis.push_back(GenesisAlloc{KeyFromByte(0x03).public_key, 1});
  variants[5].genesis_timestamp_ms += 1;
  variants[6].initial_difficulty += 1;
  for (size_t i = 0; i < variants.size(); ++i) {
    CAPTURE(i);
    CHECK(ComputeBlockHash(MakeGenesisBlock(variants[i]).header) != base);
  }
  ConsensusParams none = GoldenParams();
  none.genesis.clear();
  CHECK(MakeGenesisBlock(none).header.tx_root == Hash32{});
}

TEST_CASE("AssembleBlock fills the header from the round and signs it", "[core]") {
  const crypto::KeyPair validator = KeyFromByte(0x56);
  const crypto::KeyPair metronome = KeyFromByte(0x4d);
  const crypto::KeyPair alice = KeyFromByte(0xa1);
  Round round;
  round.seq = 77;
  round.height = 9;
  round.prev_hash = Counting<32>(0x10);
  round.difficulty = 14;
  round.provenance_root = Counting<32>(0x30);
  std::vector<Transaction> txs;
  for (uint64_t i = 0; i < 3; ++i) {
    txs.push_back(MakeTransaction(alice, validator.public_key, 10 + i, 1, i, kT0 + i));
  }
  const Fingerprint fp = Counting<16>(0x70);
  const Block b = AssembleBlock(round, validator, fp, 0xabcdef, 1'000'000, txs, kT0 + 500);
  const BlockHeader& h = b.header;
  CHECK(h.version == kBlockVersion);
  CHECK(h.height == 9);
  CHECK(h.prev_hash == round.prev_hash);
  CHECK(h.timestamp_ms == kT0 + 500);
  CHECK(h.difficulty == 14);
  CHECK(h.producer == validator.public_key);
  CHECK(h.fingerprint == fp);
  CHECK(h.proof_nonce == 0xabcdef);
  CHECK(h.reward == 1'000'000);
  CHECK(h.tx_root == TxRoot(txs));
  CHECK(h.provenance_root == round.provenance_root);
  CHECK(h.tx_count == 3);
  CHECK(b.txs == txs);
  CHECK(CheckBlockBody(b).ok());

  const Hash32 hash = ComputeBlockHash(h);
  CHECK(crypto::Verify(validator.public_key, HashView(hash), h.producer_signature));
  CHECK_FALSE(crypto::Verify(alice.public_key, HashView(hash), h.producer_signature));
  CHECK(h.metronome_signature == Signature{});

  BlockHeader signed_header = h;
  SignAsMetronome(&signed_header, metronome);
  CHECK(crypto::Verify(metronome.public_key, HashView(hash), signed_header.metronome_signature));
  // Signing does not change the hash, and the producer signature stays.
  CHECK(ComputeBlockHash(signed_header) == hash);
  CHECK(signed_header.producer_signature == h.producer_signature);
}

TEST_CASE("MakeTransaction signs the canonical bytes", "[core]") {
  const crypto::KeyPair alice = KeyFromByte(0xa1);
  const PublicKey bob = KeyFromByte(0xb0).public_key;
  const Transaction tx = MakeTransaction(alice, bob, 5, 2, 9, kT0);
  CHECK(tx.sender == alice.public_key);
  CHECK(tx.recipient == bob);
  CHECK(tx.amount == 5);
  CHECK(tx.fee == 2);
  CHECK(tx.nonce == 9);
  CHECK(tx.timestamp_ms == kT0);
  CHECK(crypto::Verify(alice.public_key, EncodeTxSigningBytes(tx), tx.signature));
  CHECK(CheckTxStateless(tx).ok());
  // Ed25519 is deterministic: the same transaction twice has the same id.
  CHECK(ComputeTxId(MakeTransaction(alice, bob, 5, 2, 9, kT0)) == ComputeTxId(tx));
}

}  // namespace
}  // namespace dsc::core
