// A bounded mutational driver for the fuzz targets when libFuzzer is not available (gcc):
// feeds valid encodings, then random mutations of them (bit flips, truncations,
// extensions, splices) with a fixed seed. Usage: fuzz_decoders_smoke [iterations] [seed].
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/block.h"
#include "core/encoding.h"
#include "core/trie.h"
#include "crypto/crypto.h"
#include "util/base58.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Feed(const std::string& s) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::vector<std::string> Seeds() {
  using namespace dsc;
  const crypto::KeyPair a = crypto::KeyPair::FromSeed(crypto::Seed{1});
  const crypto::KeyPair b = crypto::KeyPair::FromSeed(crypto::Seed{2});
  core::Block block;
  block.txs.push_back(core::MakeTransaction(a, b.public_key, 5, 1, 0, 1700000000000));
  block.txs.push_back(core::MakeTransaction(a, b.public_key, 7, 0, 1, 1700000000001));
  block.header.height = 3;
  block.header.tx_count = 2;
  // A real inclusion proof from a small in-memory trie.
  core::MemoryTrieNodeStore nodes;
  std::vector<core::TrieEntry> entries;
  for (uint8_t i = 0; i < 20; ++i) {
    entries.push_back({crypto::Blake2b256(std::string(1, static_cast<char>(i))),
                       core::TxProvenanceValue(1, i)});
  }
  const core::Hash32 probe = entries[3].key;
  std::vector<core::TrieNewNode> fresh;
  auto root = core::Trie(&nodes).Insert(core::Hash32{}, entries, &fresh);
  nodes.PutAll(fresh);
  std::string proof;
  if (root.ok()) {
    auto p = core::Trie(&nodes).Prove(*root, probe);
    if (p.ok()) proof = core::EncodeTrieProof(*p);
  }
  return {proof, core::EncodeTx(block.txs[0]), core::EncodeHeader(block.header), core::EncodeBlock(block),
          core::EncodeAccount({5, 6}), core::EncodeU64Key(42), util::Base58Encode(a.public_key),
          std::string()};
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  const unsigned long seed = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 20261121;
  if (!dsc::crypto::Init().ok()) return 1;
  std::printf("fuzz_decoders_smoke: %ld iterations, seed %lu\n", iterations, seed);
  std::mt19937_64 rng(seed);
  const std::vector<std::string> seeds = Seeds();
  for (const auto& s : seeds) Feed(s);
  for (long i = 0; i < iterations; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 5) {
        case 0:  // flip a bit
          if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
          break;
        case 1:  // truncate
          if (!s.empty()) s.resize(rng() % s.size());
          break;
        case 2:  // extend with random bytes
          for (int n = static_cast<int>(rng() % 8); n > 0; --n) s.push_back(static_cast<char>(rng()));
          break;
        case 3: {  // overwrite a 4-byte count or length with an extreme value
          if (s.size() >= 4) {
            const size_t at = rng() % (s.size() - 3);
            const char v = (rng() & 1) ? '\xff' : '\0';
            for (int k = 0; k < 4; ++k) s[at + k] = v;
          }
          break;
        }
        default: {  // splice in part of another seed
          const std::string& other = seeds[rng() % seeds.size()];
          if (!other.empty()) s += other.substr(rng() % other.size());
          break;
        }
      }
    }
    Feed(s);
  }
  std::printf("1 passed, 0 failed\n");
  return 0;
}
