#include "core/trie.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "core/encoding.h"
#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

using testing::Hex;
using testing::RandomArray;

Hash32 H(uint8_t tag, const Hash32& a, const Hash32& b) {
  crypto::Hasher h;
  h.Update(absl::MakeConstSpan(&tag, 1)).Update(absl::MakeConstSpan(a)).Update(absl::MakeConstSpan(b));
  return h.Final32();
}

Hash32 KeyWithBits(std::initializer_list<int> bits, uint8_t last = 0) {
  Hash32 k{};
  size_t i = 0;
  for (int b : bits) {
    if (b) k[i >> 3] |= static_cast<uint8_t>(0x80 >> (i & 7));
    ++i;
  }
  k[31] = last;
  return k;
}

// Golden ids: BLAKE2b-256 of the one byte i.
Hash32 GoldenId(uint8_t i) { return crypto::Blake2b256(std::string_view(reinterpret_cast<const char*>(&i), 1)); }

struct Fixture {
  MemoryTrieNodeStore store;
  Trie trie{&store};
  Hash32 root{};
  bool prune = false;  // keep only the latest version's nodes

  void Insert(std::vector<TrieEntry> entries) {
    std::vector<TrieNewNode> nodes;
    std::vector<Hash32> stale;
    auto r = trie.Insert(root, std::move(entries), &nodes, prune ? &stale : nullptr);
    REQUIRE(r.ok());
    store.PutAll(nodes);
    for (const auto& h : stale) store.Erase(h);
    root = *r;
  }
};

TEST_CASE("trie node hashes follow the documented preimages", "[core]") {
  std::mt19937_64 rng(1);
  const Hash32 k = RandomArray<32>(rng);
  const Hash32 v = TxProvenanceValue(7, 3);
  CHECK(TrieLeafHash(k, v) == H(0x10, k, v));
  CHECK(TrieInternalHash(k, v) == H(0x11, k, v));
  Writer w;
  w.U64(7);
  w.U32(3);
  CHECK(TxProvenanceValue(7, 3) == crypto::Blake2b256(w.str()));
  CHECK(TrieKeyBit(KeyWithBits({1}), 0) == 1);
  CHECK(TrieKeyBit(KeyWithBits({0, 1}), 1) == 1);
  CHECK(TrieKeyBit(KeyWithBits({0, 1}), 0) == 0);
}

TEST_CASE("trie shapes by hand: empty, one leaf, split at bit 0, shared prefix", "[core]") {
  Fixture f;
  CHECK(f.root == Hash32{});
  const Hash32 v1 = TxProvenanceValue(1, 0), v2 = TxProvenanceValue(1, 1), v3 = TxProvenanceValue(2, 0);
  const Hash32 a = KeyWithBits({0, 0, 0}, 1);
  f.Insert({{a, v1}});
  CHECK(f.root == TrieLeafHash(a, v1));  // a lone entry is the root leaf
  const Hash32 b = KeyWithBits({1}, 2);
  f.Insert({{b, v2}});
  CHECK(f.root == TrieInternalHash(TrieLeafHash(a, v1), TrieLeafHash(b, v2)));
  // c shares "00" with a and differs at bit 2: an empty sibling at depth 1.
  const Hash32 c = KeyWithBits({0, 0, 1}, 3);
  f.Insert({{c, v3}});
  const Hash32 pair = TrieInternalHash(TrieLeafHash(a, v1), TrieLeafHash(c, v3));
  const Hash32 left = TrieInternalHash(pair, Hash32{});
  CHECK(f.root == TrieInternalHash(left, TrieLeafHash(b, v2)));

  auto proof = f.trie.Prove(f.root, c);
  REQUIRE(proof.ok());
  CHECK(proof->has_leaf);
  CHECK(proof->siblings.size() == 3);
  CHECK(proof->ShippedHashes() == 2);  // the two empty siblings are not shipped
  auto verdict = VerifyTrieProof(f.root, c, *proof);
  REQUIRE(verdict.ok());
  CHECK(verdict->included);
  CHECK(verdict->value_hash == v3);

  // An absent key under the empty slot "01...".
  const Hash32 d = KeyWithBits({0, 1}, 9);
  auto absent = f.trie.Prove(f.root, d);
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->has_leaf);
  auto v = VerifyTrieProof(f.root, d, *absent);
  REQUIRE(v.ok());
  CHECK_FALSE(v->included);

  // Updating an existing key replaces its value.
  f.Insert({{c, v1}});
  auto got = f.trie.Get(f.root, c);
  REQUIRE(got.ok());
  CHECK(*got == std::optional<Hash32>(v1));
}

TEST_CASE("trie insertion refuses duplicate keys in one batch", "[core]") {
  Fixture f;
  std::vector<TrieNewNode> nodes;
  const Hash32 k = GoldenId(1);
  auto r = f.trie.Insert(Hash32{}, {{k, Hash32{}}, {k, GoldenId(2)}}, &nodes);
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("trie golden vectors: root of ids 0..9 and one proof encoding", "[core]") {
  Fixture f;
  std::vector<TrieEntry> entries;
  for (uint8_t i = 0; i < 10; ++i) entries.push_back({GoldenId(i), TxProvenanceValue(i / 4 + 1, i % 4)});
  f.Insert(entries);
  CHECK(Hex(f.root) == "9d87afc9d920041e644febea2aff86d2fe14b5a5d256edb339c45da500fc7743");
  auto proof = f.trie.Prove(f.root, GoldenId(3));
  REQUIRE(proof.ok());
  CHECK(Hex(EncodeTrieProof(*proof)) == 
        "01e88bd757ad5b9bedf372d8d3f0cf6c962a469db61a265f6418e1ffed86da29eca6fb37ed2"
        "69f8fd668680c294d523e18dd1d70b11acd6f5f13aef6f3f362e5790006d4c075678f796b8f6"
        "54b46bae47c02b0615614f8ec1ca7505c8f75f846da52ac4d0aff62be49a55a56ee841247e0d"
        "73046a16713a1470edc82da3f1ee41725f8af129c7debdb6ec5b84d7719be2bccc1a8bdbb4fe"
        "eb1c631afb761669c77405c4b100e1d294b398acdbb8dce18ca42e1dc7eb0474aec18640c2d3"
        "ec6b8ac8cddcc");
  auto absent = f.trie.Prove(f.root, GoldenId(200));
  REQUIRE(absent.ok());
  CHECK(Hex(EncodeTrieProof(*absent)) == 
        "000003e0c075678f796b8f654b46bae47c02b0615614f8ec1ca7505c8f75f846da52ac4d0af"
        "f62be49a55a56ee841247e0d73046a16713a1470edc82da3f1ee41725f8afcaf83b29337b884"
        "a5ea47495c9a5f58b3c3335078cf5d96956678887b65d131e");
  // The root is a function of the set: one entry at a time gives the same root.
  Fixture g;
  for (size_t i = entries.size(); i-- > 0;) g.Insert({entries[i]});
  CHECK(g.root == f.root);
}

TEST_CASE("trie proof decoding is strict", "[core]") {
  Fixture f;
  for (uint8_t i = 0; i < 20; ++i) f.Insert({{GoldenId(i), TxProvenanceValue(1, i)}});
  auto proof = f.trie.Prove(f.root, GoldenId(5));
  REQUIRE(proof.ok());
  const std::string bytes = EncodeTrieProof(*proof);
  auto back = DecodeTrieProof(bytes);
  REQUIRE(back.ok());
  CHECK(*back == *proof);
  CHECK_FALSE(DecodeTrieProof("").ok());
  CHECK_FALSE(DecodeTrieProof(bytes + "x").ok());
  CHECK_FALSE(DecodeTrieProof(bytes.substr(0, bytes.size() - 1)).ok());
  std::string bad_kind = bytes;
  bad_kind[0] = 2;
  CHECK_FALSE(DecodeTrieProof(bad_kind).ok());
  TrieProof deep;
  deep.siblings.assign(257, GoldenId(1));
  CHECK_FALSE(DecodeTrieProof(EncodeTrieProof(deep)).ok());
  CHECK_FALSE(VerifyTrieProof(f.root, GoldenId(5), deep).ok());
}

// The property test: random batches against a std::map model, with fixed seeds.
TEST_CASE("trie matches a map model: every proof verifies, every mutation fails", "[core]") {
  for (uint64_t seed : {1u, 2u, 3u, 42u}) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    Fixture f, pruned;
    pruned.prune = true;
    std::map<Hash32, Hash32> model;
    std::vector<Hash32> roots;
    const int batches = 12;
    for (int b = 0; b < batches; ++b) {
      std::vector<TrieEntry> batch;
      const size_t n = rng() % 40;
      for (size_t i = 0; i < n; ++i) {
        Hash32 key = RandomArray<32>(rng);
        if (rng() % 4 == 0 && !model.empty()) key = std::next(model.begin(), rng() % model.size())->first;
        bool dup = false;
        for (const auto& e : batch) dup |= e.key == key;
        if (dup) continue;
        const Hash32 value = TxProvenanceValue(b, static_cast<uint32_t>(i));
        batch.push_back({key, value});
        model[key] = value;
      }
      f.Insert(batch);
      pruned.Insert(batch);
      roots.push_back(f.root);
    }
    // The same set inserted at once gives the same root.
    Fixture once;
    std::vector<TrieEntry> all;
    for (const auto& [k, v] : model) all.push_back({k, v});
    once.Insert(all);
    CHECK(once.root == f.root);
    // Dropping the stale nodes leaves exactly the latest version's nodes.
    CHECK(pruned.root == f.root);
    CHECK(pruned.store.size() == once.store.size());
    for (const auto& [k, v] : model) {
      auto proof = pruned.trie.Prove(pruned.root, k);
      REQUIRE(proof.ok());
      REQUIRE(VerifyTrieProof(pruned.root, k, *proof).ok());
    }

    std::vector<Hash32> probes;
    for (const auto& [k, v] : model) probes.push_back(k);
    for (int i = 0; i < 50; ++i) probes.push_back(RandomArray<32>(rng));
    size_t mutated_checked = 0;
    for (const Hash32& key : probes) {
      const bool present = model.count(key) > 0;
      auto proof = f.trie.Prove(f.root, key);
      REQUIRE(proof.ok());
      auto verdict = VerifyTrieProof(f.root, key, *proof);
      REQUIRE(verdict.ok());
      REQUIRE(verdict->included == present);
      if (present) REQUIRE(verdict->value_hash == model[key]);
      REQUIRE(proof->siblings.size() <= 64);

      // Every single-bit mutation of the encoded proof fails (decode or verify).
      if (mutated_checked < 60) {
        ++mutated_checked;
        const std::string bytes = EncodeTrieProof(*proof);
        for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
          std::string m = bytes;
          m[bit / 8] ^= static_cast<char>(1 << (bit % 8));
          auto decoded = DecodeTrieProof(m);
          if (!decoded.ok()) continue;
          auto v = VerifyTrieProof(f.root, key, *decoded);
          INFO("bit " << bit << " of " << Hex(bytes));
          REQUIRE_FALSE(v.ok());
        }
        // Every single-bit mutation of the root fails.
        for (size_t bit = 0; bit < 256; ++bit) {
          Hash32 r = f.root;
          r[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
          REQUIRE_FALSE(VerifyTrieProof(r, key, *proof).ok());
        }
        // A wrong key never verifies as included: off the path it fails, on it the
        // proof only shows the wrong key absent.
        for (size_t bit = 0; bit < 256; bit += 5) {
          Hash32 other = key;
          other[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
          auto v = VerifyTrieProof(f.root, other, *proof);
          if (bit < proof->siblings.size()) {
            REQUIRE_FALSE(v.ok());
          } else if (v.ok()) {
            REQUIRE_FALSE(v->included);
          }
        }
      }
    }
    // Older roots stay provable: nodes are never overwritten.
    for (size_t r = 0; r < roots.size(); ++r) {
      for (const auto& [k, v] : model) {
        auto proof = f.trie.Prove(roots[r], k);
        REQUIRE(proof.ok());
        REQUIRE(VerifyTrieProof(roots[r], k, *proof).ok());
      }
    }
  }
}

TEST_CASE("trie proofs stay logarithmic", "[core]") {
  std::mt19937_64 rng(7);
  Fixture f;
  std::vector<TrieEntry> batch;
  for (int i = 0; i < 20000; ++i) batch.push_back({RandomArray<32>(rng), TxProvenanceValue(1, i)});
  f.Insert(batch);
  size_t max_depth = 0, total = 0;
  for (int i = 0; i < 200; ++i) {
    auto proof = f.trie.Prove(f.root, batch[i].key);
    REQUIRE(proof.ok());
    max_depth = std::max(max_depth, proof->siblings.size());
    total += proof->ShippedHashes();
  }
  CHECK(max_depth <= 40);          // log2(20000) ~ 14.3
  CHECK(total / 200.0 <= 20.0);
  // Inserting on two threads gives the same trie.
  MemoryTrieNodeStore store2;
  Trie trie2(&store2);
  trie2.set_threads(2);
  std::vector<TrieNewNode> nodes;
  auto half = trie2.Insert(Hash32{}, std::vector<TrieEntry>(batch.begin(), batch.begin() + 10000), &nodes);
  REQUIRE(half.ok());
  store2.PutAll(nodes);
  nodes.clear();
  auto full = trie2.Insert(*half, std::vector<TrieEntry>(batch.begin() + 10000, batch.end()), &nodes);
  REQUIRE(full.ok());
  CHECK(*full == f.root);
}

// The recursive depth-first insertion the level-order Trie::Insert replaced, kept as a
// reference: same root, same stale nodes; its new nodes may also repeat leaves the old
// version already holds.
struct Reference {
  TrieNodeReader* nodes;
  std::vector<TrieNewNode> out;
  std::vector<Hash32> stale;

  Hash32 Emit(uint8_t tag, const Hash32& a, const Hash32& b) {
    TrieNewNode n;
    n.bytes[0] = tag;
    std::memcpy(n.bytes.data() + 1, a.data(), 32);
    std::memcpy(n.bytes.data() + 33, b.data(), 32);
    n.hash = crypto::Blake2b256(absl::MakeConstSpan(n.bytes));
    out.push_back(n);
    return n.hash;
  }
  static size_t Split(const std::vector<TrieEntry>& e, size_t depth) {
    size_t i = 0;
    while (i < e.size() && TrieKeyBit(e[i].key, depth) == 0) ++i;
    return i;
  }
  Hash32 Build(size_t depth, const std::vector<TrieEntry>& e) {
    if (e.size() == 1) return Emit(kTrieLeafTag, e[0].key, e[0].value_hash);
    const size_t split = Split(e, depth);
    const std::vector<TrieEntry> l(e.begin(), e.begin() + split), r(e.begin() + split, e.end());
    const Hash32 left = l.empty() ? Hash32{} : Build(depth + 1, l);
    const Hash32 right = r.empty() ? Hash32{} : Build(depth + 1, r);
    return Emit(kTrieInternalTag, left, right);
  }
  Hash32 At(const Hash32& node, size_t depth, const std::vector<TrieEntry>& e) {
    if (e.empty()) return node;
    if (node == Hash32{}) return Build(depth, e);
    TrieNodeBytes bytes;
    REQUIRE(nodes->GetNode(node, &bytes).ok());
    Hash32 a, b;
    std::memcpy(a.data(), bytes.data() + 1, 32);
    std::memcpy(b.data(), bytes.data() + 33, 32);
    if (bytes[0] == kTrieLeafTag) {
      std::vector<TrieEntry> merged = e;
      bool updated = false;
      for (const auto& x : e) {
        if (x.key == a) {
          updated = true;
          if (x.value_hash != b) stale.push_back(node);
        }
      }
      if (!updated) merged.push_back({a, b});
      std::sort(merged.begin(), merged.end(),
                [](const TrieEntry& x, const TrieEntry& y) { return x.key < y.key; });
      return Build(depth, merged);
    }
    const size_t split = Split(e, depth);
    const Hash32 left = At(a, depth + 1, std::vector<TrieEntry>(e.begin(), e.begin() + split));
    const Hash32 right = At(b, depth + 1, std::vector<TrieEntry>(e.begin() + split, e.end()));
    const Hash32 h = Emit(kTrieInternalTag, left, right);
    if (h != node) stale.push_back(node);
    return h;
  }
  Hash32 Insert(const Hash32& root, std::vector<TrieEntry> e) {
    std::sort(e.begin(), e.end(), [](const TrieEntry& x, const TrieEntry& y) { return x.key < y.key; });
    return At(root, 0, e);
  }
};

std::vector<Hash32> Sorted(std::vector<Hash32> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// A reader with only GetNode (so Trie uses the default GetNodes) that counts its reads and
// can report one node with a bad tag.
class PlainReader : public TrieNodeReader {
 public:
  explicit PlainReader(MemoryTrieNodeStore* store) : store_(store) {}
  absl::Status GetNode(const Hash32& hash, TrieNodeBytes* out) override {
    ++reads;
    if (auto s = store_->GetNode(hash, out); !s.ok()) return s;
    if (hash == corrupt) (*out)[0] = 0x42;
    return absl::OkStatus();
  }
  size_t reads = 0;
  Hash32 corrupt{};

 private:
  MemoryTrieNodeStore* store_;
};

TEST_CASE("level-order Insert matches the recursive reference on random batches", "[core]") {
  for (const uint64_t seed : {5u}) {
    for (const int threads : {1, 2, 4}) {
      INFO("seed " << seed << " threads " << threads);
      std::mt19937_64 rng(seed);
      MemoryTrieNodeStore store(threads);  // the pruned latest version
      MemoryTrieNodeStore all;             // every version, for the reference
      Trie trie(&store);
      trie.set_threads(threads);
      Hash32 root{};
      std::map<Hash32, Hash32> model;
      for (int b = 0; b < 6; ++b) {
        // Small batches, then batches big enough to fork (>= 2048 entries per side).
        const size_t n = b < 4 ? rng() % 300 : 9000 + rng() % 3000;
        std::vector<TrieEntry> batch;
        std::map<Hash32, bool> used;
        for (size_t i = 0; i < n; ++i) {
          Hash32 key = RandomArray<32>(rng);
          const int kind = static_cast<int>(rng() % 10);
          if (kind < 3 && !model.empty()) {
            key = std::next(model.begin(), static_cast<long>(rng() % model.size()))->first;
          }
          if (used.count(key)) continue;
          used[key] = true;
          // Updates: sometimes the same value (nothing changes), usually a new one.
          Hash32 value = TxProvenanceValue(b + 1, static_cast<uint32_t>(i));
          if (kind == 0 && model.count(key)) value = model[key];
          batch.push_back({key, value});
          model[key] = value;
        }
        Reference ref{&all, {}, {}};
        const Hash32 want = ref.Insert(root, batch);
        std::vector<TrieNewNode> nodes;
        std::vector<Hash32> stale;
        auto got = trie.Insert(root, batch, &nodes, &stale);
        REQUIRE(got.ok());
        CHECK(*got == want);
        CHECK(Sorted(stale) == Sorted(ref.stale));
        // Every new node is one of the reference's; the reference's others are unchanged
        // leaves the old version already holds.
        std::map<Hash32, TrieNodeBytes> mine, theirs;
        size_t bad = 0;
        for (const auto& node : nodes) {
          bad += node.hash != crypto::Blake2b256(absl::MakeConstSpan(node.bytes));
          mine[node.hash] = node.bytes;
        }
        for (const auto& node : ref.out) theirs[node.hash] = node.bytes;
        for (const auto& [h, bytes] : mine) bad += theirs.count(h) == 0 || theirs[h] != bytes;
        for (const auto& [h, bytes] : theirs) {
          TrieNodeBytes old;
          if (mine.count(h) == 0) bad += !store.GetNode(h, &old).ok() || old[0] != kTrieLeafTag;
        }
        CHECK(bad == 0);
        all.PutAll(ref.out);
        store.PutAll(nodes);
        store.EraseAll(stale);
        root = *got;
      }
      // The pruned store holds exactly the latest version: as many nodes as a fresh trie.
      MemoryTrieNodeStore fresh;
      std::vector<TrieEntry> entries;
      for (const auto& [k, v] : model) entries.push_back({k, v});
      std::vector<TrieNewNode> nodes;
      auto once = Trie(&fresh).Insert(Hash32{}, entries, &nodes);
      REQUIRE(once.ok());
      CHECK(*once == root);
      fresh.PutAll(nodes);
      CHECK(store.size() == fresh.size());
      for (int i = 0; i < 200; ++i) {
        const Hash32& key = entries[rng() % entries.size()].key;
        auto value = trie.Get(root, key);
        REQUIRE(value.ok());
        REQUIRE(value->has_value());
        CHECK(**value == model[key]);
      }
    }
  }
}

TEST_CASE("trie Insert reads each node once through the default GetNodes", "[core]") {
  std::mt19937_64 rng(11);
  MemoryTrieNodeStore store;
  PlainReader reader(&store);
  Trie trie(&reader);
  std::vector<TrieEntry> batch;
  for (int i = 0; i < 2000; ++i) batch.push_back({RandomArray<32>(rng), TxProvenanceValue(1, i)});
  std::vector<TrieNewNode> nodes;
  auto root = trie.Insert(Hash32{}, batch, &nodes);
  REQUIRE(root.ok());
  CHECK(reader.reads == 0);  // an empty trie needs no reads
  store.PutAll(nodes);
  std::vector<TrieEntry> more;
  for (int i = 0; i < 500; ++i) more.push_back({RandomArray<32>(rng), TxProvenanceValue(2, i)});
  Reference ref{&store, {}, {}};
  const Hash32 want = ref.Insert(*root, more);
  nodes.clear();
  std::vector<Hash32> stale;
  auto next = trie.Insert(*root, more, &nodes, &stale);
  REQUIRE(next.ok());
  CHECK(*next == want);
  // One read per old node on the paths: the stale internal nodes plus the leaves met.
  const size_t leaves_met = ref.out.size() - nodes.size();
  CHECK(reader.reads == stale.size() + leaves_met);
}

TEST_CASE("trie Insert errors: missing and corrupt nodes deep down, duplicates", "[core]") {
  std::mt19937_64 rng(12);
  MemoryTrieNodeStore store;
  std::vector<TrieEntry> batch;
  for (int i = 0; i < 10000; ++i) batch.push_back({RandomArray<32>(rng), TxProvenanceValue(1, i)});
  std::vector<TrieNewNode> nodes;
  auto root = Trie(&store).Insert(Hash32{}, batch, &nodes);
  REQUIRE(root.ok());
  store.PutAll(nodes);
  // A node a few levels down on the path of batch[0].
  Hash32 victim = *root;
  for (int depth = 0; depth < 4; ++depth) {
    TrieNodeBytes bytes;
    REQUIRE(store.GetNode(victim, &bytes).ok());
    REQUIRE(bytes[0] == kTrieInternalTag);
    std::memcpy(victim.data(), bytes.data() + (TrieKeyBit(batch[0].key, depth) == 0 ? 1 : 33), 32);
  }
  std::vector<TrieEntry> more;
  for (int i = 0; i < 9000; ++i) more.push_back({RandomArray<32>(rng), TxProvenanceValue(2, i)});
  more.push_back({batch[0].key, TxProvenanceValue(3, 0)});  // passes through the victim
  for (const int threads : {1, 2}) {
    INFO("threads " << threads);
    PlainReader reader(&store);
    reader.corrupt = victim;
    Trie trie(&reader);
    trie.set_threads(threads);
    nodes.clear();
    CHECK(trie.Insert(*root, more, &nodes).status().code() == absl::StatusCode::kDataLoss);
    MemoryTrieNodeStore partial;  // every node but the victim
    for (const auto& node : nodes) partial.Put(node);
    Trie other(&store);
    other.set_threads(threads);
    std::vector<TrieNewNode> all_nodes;
    REQUIRE(Trie(&store).Insert(Hash32{}, batch, &all_nodes).ok());
    for (const auto& node : all_nodes) {
      if (node.hash != victim) partial.Put(node);
    }
    Trie missing(&partial);
    missing.set_threads(threads);
    nodes.clear();
    const absl::Status s = missing.Insert(*root, more, &nodes).status();
    CHECK(s.code() == absl::StatusCode::kNotFound);
    // Without the victim's path the same trie updates fine.
    std::vector<TrieEntry> elsewhere(more.begin(), more.end() - 1);
    nodes.clear();
    std::vector<Hash32> stale;
    auto ok = other.Insert(*root, elsewhere, &nodes, &stale);
    REQUIRE(ok.ok());
  }
  nodes.clear();
  more.push_back(more[17]);
  CHECK(Trie(&store).Insert(*root, more, &nodes).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("MemoryTrieNodeStore batch reads and writes match the single ones", "[core]") {
  for (const int shards : {1, 2, 3}) {
    INFO("shards " << shards);
    std::mt19937_64 rng(13);
    MemoryTrieNodeStore store(shards);
    store.Reserve(1000);
    std::vector<TrieNewNode> nodes(20000);
    for (auto& node : nodes) {
      node.bytes[0] = kTrieLeafTag;
      const Hash32 k = RandomArray<32>(rng), v = RandomArray<32>(rng);
      std::memcpy(node.bytes.data() + 1, k.data(), 32);
      std::memcpy(node.bytes.data() + 33, v.data(), 32);
      node.hash = crypto::Blake2b256(absl::MakeConstSpan(node.bytes));
    }
    store.PutAll(nodes);  // big enough to write the shards on several threads
    store.PutAll(absl::MakeConstSpan(nodes).subspan(0, 10));  // re-putting is harmless
    CHECK(store.size() == nodes.size());
    std::vector<Hash32> hashes;
    for (size_t i = 0; i < nodes.size(); i += 3) hashes.push_back(nodes[i].hash);
    std::vector<TrieNodeBytes> out(hashes.size());
    REQUIRE(store.GetNodes(hashes, absl::MakeSpan(out)).ok());
    for (size_t i = 0; i < hashes.size(); ++i) CHECK(out[i] == nodes[i * 3].bytes);
    CHECK(store.GetNodes({}, {}).ok());
    // Erase every other node; absent hashes are ignored.
    std::vector<Hash32> erase;
    for (size_t i = 0; i < nodes.size(); i += 2) erase.push_back(nodes[i].hash);
    erase.push_back(RandomArray<32>(rng));
    store.EraseAll(erase);
    CHECK(store.size() == nodes.size() / 2);
    TrieNodeBytes one;
    for (size_t i = 0; i < 100; ++i) {
      CHECK(store.GetNode(nodes[i].hash, &one).code() ==
            (i % 2 == 0 ? absl::StatusCode::kNotFound : absl::StatusCode::kOk));
    }
    // A missing hash fails the batch with kNotFound naming it.
    const std::vector<Hash32> with_missing = {nodes[1].hash, nodes[2].hash, nodes[3].hash};
    std::vector<TrieNodeBytes> three(3);
    const absl::Status s = store.GetNodes(with_missing, absl::MakeSpan(three));
    CHECK(s.code() == absl::StatusCode::kNotFound);
    CHECK(three[0] == nodes[1].bytes);
    std::vector<TrieNodeBytes> two(2);
    CHECK(store.GetNodes(with_missing, absl::MakeSpan(two)).code() ==
          absl::StatusCode::kInvalidArgument);
    // The default GetNodes (GetNode per hash) agrees.
    PlainReader plain(&store);
    CHECK(plain.GetNodes(with_missing, absl::MakeSpan(three)).code() == absl::StatusCode::kNotFound);
    const std::vector<Hash32> present = {nodes[5].hash, nodes[1].hash};
    REQUIRE(plain.GetNodes(present, absl::MakeSpan(two)).ok());
    CHECK(two[0] == nodes[5].bytes);
    CHECK(two[1] == nodes[1].bytes);
    CHECK(plain.GetNodes(present, absl::MakeSpan(three)).code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("trie reports a missing node", "[core]") {
  MemoryTrieNodeStore store;
  Trie trie(&store);
  auto proof = trie.Prove(GoldenId(1), GoldenId(2));
  CHECK(proof.status().code() == absl::StatusCode::kNotFound);
  std::vector<TrieNewNode> nodes;
  CHECK(trie.Insert(GoldenId(1), {{GoldenId(3), GoldenId(4)}}, &nodes).status().code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace dsc::core
