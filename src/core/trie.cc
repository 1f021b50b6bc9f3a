#include "core/trie.h"

#include <algorithm>
#include <cstdlib>
#include <future>
#include <new>

#include <sys/mman.h>

#include "absl/strings/str_cat.h"
#include "core/encoding.h"
#include "util/base58.h"

namespace dsc::core {
namespace {

TrieNodeBytes EncodeNode(uint8_t tag, const Hash32& a, const Hash32& b) {
  TrieNodeBytes bytes;
  bytes[0] = tag;
  std::memcpy(bytes.data() + 1, a.data(), 32);
  std::memcpy(bytes.data() + 33, b.data(), 32);
  return bytes;
}

Hash32 HashNode(const TrieNodeBytes& bytes) { return crypto::Blake2b256(absl::MakeConstSpan(bytes)); }

Hash32 Part(const TrieNodeBytes& bytes, size_t offset) {
  Hash32 h;
  std::memcpy(h.data(), bytes.data() + offset, 32);
  return h;
}

bool IsEmpty(const Hash32& h) { return h == Hash32{}; }

Hash32 Emit(uint8_t tag, const Hash32& a, const Hash32& b, std::vector<TrieNewNode>* out) {
  TrieNewNode& node = out->emplace_back();
  node.bytes[0] = tag;
  std::memcpy(node.bytes.data() + 1, a.data(), 32);
  std::memcpy(node.bytes.data() + 33, b.data(), 32);
  node.hash = HashNode(node.bytes);
  return node.hash;
}

// First entry of `entries` (sorted, sharing `depth` leading bits) whose bit `depth` is 1.
size_t SplitPoint(absl::Span<const TrieEntry> entries, size_t depth) {
  auto it = std::partition_point(entries.begin(), entries.end(), [depth](const TrieEntry& e) {
    return TrieKeyBit(e.key, depth) == 0;
  });
  return static_cast<size_t>(it - entries.begin());
}

// The subtree holding exactly `entries` (sorted, distinct, non-empty), rooted at `depth`.
// If `kept` is not null, the entry whose key is kept->key is an unchanged leaf the old
// version holds as `kept_hash`: it is neither re-hashed nor appended to *out.
Hash32 Build(size_t depth, absl::Span<const TrieEntry> entries, std::vector<TrieNewNode>* out,
             const TrieEntry* kept = nullptr, const Hash32* kept_hash = nullptr) {
  if (entries.size() == 1) {
    if (kept != nullptr && entries[0].key == kept->key) return *kept_hash;
    return Emit(kTrieLeafTag, entries[0].key, entries[0].value_hash, out);
  }
  const size_t split = SplitPoint(entries, depth);
  const Hash32 left =
      split == 0 ? Hash32{} : Build(depth + 1, entries.subspan(0, split), out, kept, kept_hash);
  const Hash32 right = split == entries.size()
                           ? Hash32{}
                           : Build(depth + 1, entries.subspan(split), out, kept, kept_hash);
  return Emit(kTrieInternalTag, left, right, out);
}

bool KeyLess(const TrieEntry& a, const TrieEntry& b) { return a.key < b.key; }

// The new subtree at `depth` replacing the leaf `node` (encoded as `bytes`) after
// inserting `entries` (sorted, distinct, non-empty, on the leaf's path). `scratch` is
// reused storage.
Hash32 MergeIntoLeaf(const Hash32& node, const TrieNodeBytes& bytes, size_t depth,
                     absl::Span<const TrieEntry> entries, std::vector<TrieNewNode>* out,
                     std::vector<Hash32>* stale, std::vector<TrieEntry>* scratch) {
  const TrieEntry existing{Part(bytes, 1), Part(bytes, 33)};
  auto pos = std::lower_bound(entries.begin(), entries.end(), existing, KeyLess);
  const bool updated = pos != entries.end() && pos->key == existing.key;
  if (updated) {
    if (stale != nullptr && pos->value_hash != existing.value_hash) stale->push_back(node);
    return Build(depth, entries, out);
  }
  // The existing leaf moves down; its hash (and node) is unchanged.
  scratch->clear();
  scratch->insert(scratch->end(), entries.begin(), pos);
  scratch->push_back(existing);
  scratch->insert(scratch->end(), pos, entries.end());
  return Build(depth, *scratch, out, &existing, &node);
}

bool HasValidTag(const TrieNodeBytes& bytes) {
  return bytes[0] == kTrieLeafTag || bytes[0] == kTrieInternalTag;
}

absl::Status UnknownTag(const Hash32& hash) {
  return absl::DataLossError(
      absl::StrCat("trie node ", util::Base58Encode(hash), " has an unknown tag"));
}

// Prefetch distance of the batch operations of MemoryTrieNodeStore, in keys.
constexpr size_t kPrefetchAhead = 16;

}  // namespace

namespace trie_internal {
namespace {
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kHugeTableBytes = size_t{64} << 20;
}  // namespace

void* AllocateTable(size_t bytes) {
  if (bytes < kHugeTableBytes) return ::operator new(bytes);
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure only costs speed
#endif
  std::memset(p, 0, rounded);  // fault the pages in now rather than at random later
  return p;
}

void DeallocateTable(void* p, size_t bytes) {
  if (bytes < kHugeTableBytes) {
    ::operator delete(p);
  } else {
    std::free(p);
  }
}

}  // namespace trie_internal

absl::Status TrieNodeReader::GetNodes(absl::Span<const Hash32> hashes,
                                      absl::Span<TrieNodeBytes> out) {
  if (out.size() != hashes.size()) {
    return absl::InvalidArgumentError("GetNodes: output and hash counts differ");
  }
  return ReadNodes(hashes, out);
}

absl::Status TrieNodeReader::ReadNodes(absl::Span<const Hash32> hashes,
                                       absl::Span<TrieNodeBytes> out) {
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (auto s = GetNode(hashes[i], &out[i]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

MemoryTrieNodeStore::MemoryTrieNodeStore(int shards)
    : shards_(static_cast<size_t>(std::clamp(shards, 1, 64))) {}

absl::Status MemoryTrieNodeStore::GetNode(const Hash32& hash, TrieNodeBytes* out) {
  const Map& map = shards_[ShardIndex(hash)];
  auto it = map.find(hash);
  if (it == map.end()) {
    return absl::NotFoundError(absl::StrCat("trie node ", util::Base58Encode(hash), " is missing"));
  }
  *out = it->second;
  return absl::OkStatus();
}

absl::Status MemoryTrieNodeStore::ReadNodes(absl::Span<const Hash32> hashes,
                                            absl::Span<TrieNodeBytes> out) {
  const size_t n = hashes.size();
  auto prefetch = [&](size_t i) { shards_[ShardIndex(hashes[i])].prefetch(hashes[i]); };
  for (size_t i = 0; i < std::min(n, kPrefetchAhead); ++i) prefetch(i);
  for (size_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) prefetch(i + kPrefetchAhead);
    const Map& map = shards_[ShardIndex(hashes[i])];
    auto it = map.find(hashes[i]);
    if (it == map.end()) {
      return absl::NotFoundError(
          absl::StrCat("trie node ", util::Base58Encode(hashes[i]), " is missing"));
    }
    out[i] = it->second;
  }
  return absl::OkStatus();
}

namespace {

// Applies op(map, i) for every i < n, each in shard shard_of(key(i)), prefetching ahead.
// The ops are grouped by shard once (a counting sort of their indices, index order kept
// within a shard). Shards are independent tables, so with threads > 1 thread t does the
// shards t, t + threads, ...
template <class Map, class Key, class ShardOf, class Op>
void ForEachInShards(std::vector<Map>& shards, size_t n, Key key, ShardOf shard_of, Op op) {
  std::vector<uint32_t> start(shards.size() + 1, 0);
  for (size_t i = 0; i < n; ++i) ++start[shard_of(key(i)) + 1];
  for (size_t s = 0; s < shards.size(); ++s) start[s + 1] += start[s];
  std::vector<uint32_t> order(n);
  std::vector<uint32_t> next(start.begin(), start.end() - 1);
  for (size_t i = 0; i < n; ++i) order[next[shard_of(key(i))]++] = static_cast<uint32_t>(i);

  constexpr size_t kMinOpsPerThread = 4096;
  const size_t threads = std::min(shards.size(), std::max<size_t>(1, n / kMinOpsPerThread));
  auto run = [&](size_t first) {
    for (size_t s = first; s < shards.size(); s += threads) {
      Map& map = shards[s];
      const uint32_t* mine = order.data() + start[s];
      const size_t m = start[s + 1] - start[s];
      for (size_t j = 0; j < std::min(m, kPrefetchAhead); ++j) map.prefetch(key(mine[j]));
      for (size_t j = 0; j < m; ++j) {
        if (j + kPrefetchAhead < m) map.prefetch(key(mine[j + kPrefetchAhead]));
        op(map, mine[j]);
      }
    }
  };
  if (threads == 1) {
    run(0);
    return;
  }
  std::vector<std::future<void>> others;
  for (size_t t = 1; t < threads; ++t) others.push_back(std::async(std::launch::async, run, t));
  run(0);
  for (auto& f : others) f.get();
}

}  // namespace

void MemoryTrieNodeStore::PutAll(absl::Span<const TrieNewNode> nodes) {
  ForEachInShards(
      shards_, nodes.size(), [&](size_t i) -> const Hash32& { return nodes[i].hash; },
      [this](const Hash32& h) { return ShardIndex(h); },
      [&](Map& map, size_t i) { map.insert_or_assign(nodes[i].hash, nodes[i].bytes); });
}

void MemoryTrieNodeStore::EraseAll(absl::Span<const Hash32> hashes) {
  ForEachInShards(
      shards_, hashes.size(), [&](size_t i) -> const Hash32& { return hashes[i]; },
      [this](const Hash32& h) { return ShardIndex(h); },
      [&](Map& map, size_t i) { map.erase(hashes[i]); });
}

size_t MemoryTrieNodeStore::size() const {
  size_t n = 0;
  for (const auto& map : shards_) n += map.size();
  return n;
}

void MemoryTrieNodeStore::Reserve(size_t n) {
  // Keys are uniform, so a shard gets n / shards nodes give or take a few sqrt(n).
  const size_t per_shard = n / shards_.size() + n / shards_.size() / 64 + 1024;
  for (auto& map : shards_) map.reserve(per_shard);
}

Hash32 TrieLeafHash(const Hash32& key, const Hash32& value_hash) {
  return HashNode(EncodeNode(kTrieLeafTag, key, value_hash));
}

Hash32 TrieInternalHash(const Hash32& left, const Hash32& right) {
  return HashNode(EncodeNode(kTrieInternalTag, left, right));
}

Hash32 TxProvenanceValue(uint64_t height, uint32_t index) {
  Writer w;
  w.U64(height);
  w.U32(index);
  return crypto::Blake2b256(w.str());
}

size_t TrieProof::ShippedHashes() const {
  return static_cast<size_t>(
      std::count_if(siblings.begin(), siblings.end(), [](const Hash32& h) { return !IsEmpty(h); }));
}

std::string EncodeTrieProof(const TrieProof& proof) {
  Writer w;
  w.U8(proof.has_leaf ? 1 : 0);
  if (proof.has_leaf) {
    w.Fixed(proof.leaf.key);
    w.Fixed(proof.leaf.value_hash);
  }
  const size_t depth = proof.siblings.size();
  w.U8(static_cast<uint8_t>(depth >> 8));
  w.U8(static_cast<uint8_t>(depth & 0xff));
  std::string bitmap((depth + 7) / 8, '\0');
  for (size_t i = 0; i < depth; ++i) {
    if (!IsEmpty(proof.siblings[i])) bitmap[i >> 3] |= static_cast<char>(0x80 >> (i & 7));
  }
  w.Raw(bitmap);
  for (const auto& s : proof.siblings) {
    if (!IsEmpty(s)) w.Fixed(s);
  }
  return w.Take();
}

absl::StatusOr<TrieProof> DecodeTrieProof(std::string_view bytes) {
  Reader r(bytes);
  TrieProof proof;
  uint8_t kind = 0, d_hi = 0, d_lo = 0;
  if (!r.U8(&kind)) return absl::InvalidArgumentError("proof is empty");
  if (kind > 1) return absl::InvalidArgumentError(absl::StrCat("proof has unknown kind ", kind));
  proof.has_leaf = kind == 1;
  if (proof.has_leaf && !(r.Fixed(&proof.leaf.key) && r.Fixed(&proof.leaf.value_hash))) {
    return absl::InvalidArgumentError("proof is truncated in its leaf");
  }
  if (!r.U8(&d_hi) || !r.U8(&d_lo)) return absl::InvalidArgumentError("proof is truncated");
  const size_t depth = (size_t{d_hi} << 8) | d_lo;
  if (depth > kTrieMaxDepth) {
    return absl::InvalidArgumentError(absl::StrCat("proof depth ", depth, " exceeds 256"));
  }
  std::vector<uint8_t> bitmap((depth + 7) / 8);
  for (auto& b : bitmap) {
    if (!r.U8(&b)) return absl::InvalidArgumentError("proof is truncated in its bitmap");
  }
  if (depth % 8 != 0 && (bitmap.back() & (0xff >> (depth % 8))) != 0) {
    return absl::InvalidArgumentError("proof bitmap has non-zero padding bits");
  }
  proof.siblings.assign(depth, Hash32{});
  for (size_t i = 0; i < depth; ++i) {
    if ((bitmap[i >> 3] & (0x80 >> (i & 7))) == 0) continue;
    if (!r.Fixed(&proof.siblings[i])) {
      return absl::InvalidArgumentError("proof is truncated in its siblings");
    }
    if (IsEmpty(proof.siblings[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("proof marks sibling ", i, " present but it is all zeros"));
    }
  }
  if (r.remaining() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("proof has ", r.remaining(), " trailing bytes"));
  }
  return proof;
}

absl::StatusOr<TrieProofVerdict> VerifyTrieProof(const Hash32& root, const Hash32& key,
                                                 const TrieProof& proof) {
  const size_t depth = proof.siblings.size();
  if (depth > kTrieMaxDepth) {
    return absl::InvalidArgumentError(absl::StrCat("proof depth ", depth, " exceeds 256"));
  }
  TrieProofVerdict verdict;
  Hash32 node{};
  if (proof.has_leaf) {
    // The leaf must sit on the key's path: its key shares the first `depth` bits.
    for (size_t i = 0; i < depth; ++i) {
      if (TrieKeyBit(proof.leaf.key, i) != TrieKeyBit(key, i)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the proof's leaf (key ", util::Base58Encode(proof.leaf.key),
            ") is not on the path of ", util::Base58Encode(key)));
      }
    }
    verdict.included = proof.leaf.key == key;
    if (verdict.included) verdict.value_hash = proof.leaf.value_hash;
    node = TrieLeafHash(proof.leaf.key, proof.leaf.value_hash);
  }
  for (size_t i = depth; i-- > 0;) {
    node = TrieKeyBit(key, i) == 0 ? TrieInternalHash(node, proof.siblings[i])
                                   : TrieInternalHash(proof.siblings[i], node);
  }
  if (node != root) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the proof does not match the root: it recomputes ", util::Base58Encode(node),
        " but the root is ", util::Base58Encode(root)));
  }
  return verdict;
}

absl::Status Trie::Load(const Hash32& hash, TrieNodeBytes* out) {
  if (auto s = nodes_->GetNode(hash, out); !s.ok()) return s;
  if (!HasValidTag(*out)) return UnknownTag(hash);
  return absl::OkStatus();
}

namespace {

// An old node on the paths of an insertion, to read at its depth.
struct TrieVisit {
  Hash32 node;
  uint32_t begin, end;  // its entries
  uint32_t parent;      // index of its parent in the previous level, or kNoParent
  uint32_t side;        // 0: the parent's left child, 1: its right child
};

// An old internal node on the paths; `child` starts as its old children and becomes its
// new ones as the levels below are done.
struct TriePending {
  Hash32 node;
  Hash32 child[2];
  uint32_t parent;
  uint32_t side;
};

constexpr uint32_t kNoParent = UINT32_MAX;

}  // namespace

struct Trie::Lane {
  std::vector<std::vector<TriePending>> levels;  // capacity kept across calls
  std::vector<TrieVisit> frontier, next;
  std::vector<Hash32> hashes;
  std::vector<TrieNodeBytes> nodes;
  std::vector<TrieEntry> scratch;
  std::vector<TrieNewNode> out;  // a forked subtree's new nodes
  std::vector<Hash32> stale;     // a forked subtree's stale nodes
};

Trie::Trie(TrieNodeReader* nodes) : nodes_(nodes) {}
Trie::~Trie() = default;
Trie::Trie(Trie&&) noexcept = default;
Trie& Trie::operator=(Trie&&) noexcept = default;

absl::StatusOr<Hash32> Trie::Insert(const Hash32& root, std::vector<TrieEntry> entries,
                                    std::vector<TrieNewNode>* new_nodes,
                                    std::vector<Hash32>* stale) {
  if (entries.empty()) return root;
  if (entries.size() >= kNoParent) return absl::InvalidArgumentError("too many entries");
  std::sort(entries.begin(), entries.end(), KeyLess);
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].key == entries[i - 1].key) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key ", util::Base58Encode(entries[i].key), " appears twice in one insertion"));
    }
  }
  while (lanes_.size() < static_cast<size_t>(threads_)) lanes_.push_back(std::make_unique<Lane>());
  return InsertAt(root, 0, entries, 0, new_nodes, stale);
}

absl::StatusOr<Hash32> Trie::InsertAt(const Hash32& node, size_t depth,
                                      absl::Span<const TrieEntry> entries, size_t lane,
                                      std::vector<TrieNewNode>* out, std::vector<Hash32>* stale) {
  // Fork the left subtree onto lane + 2^depth near the top of big batches.
  constexpr size_t kMinParallelEntries = 2048;
  const size_t fork_lane = lane + (size_t{1} << std::min<size_t>(depth, 62));
  if (entries.empty() || IsEmpty(node) || depth >= 62 || fork_lane >= lanes_.size() ||
      entries.size() < 2 * kMinParallelEntries) {
    return InsertLevels(node, depth, entries, *lanes_[lane], out, stale);
  }
  TrieNodeBytes bytes;
  if (auto s = Load(node, &bytes); !s.ok()) return s;
  const size_t split = SplitPoint(entries, depth);
  if (bytes[0] == kTrieLeafTag || split < kMinParallelEntries ||
      entries.size() - split < kMinParallelEntries) {
    return InsertLevels(node, depth, entries, *lanes_[lane], out, stale);
  }
  Lane& other = *lanes_[fork_lane];
  other.out.clear();
  other.stale.clear();
  auto fork = std::async(std::launch::async, [&] {
    return InsertAt(Part(bytes, 1), depth + 1, entries.subspan(0, split), fork_lane, &other.out,
                    stale != nullptr ? &other.stale : nullptr);
  });
  absl::StatusOr<Hash32> right =
      InsertAt(Part(bytes, 33), depth + 1, entries.subspan(split), lane, out, stale);
  absl::StatusOr<Hash32> left = fork.get();
  if (!left.ok()) return left;
  if (!right.ok()) return right;
  out->insert(out->end(), other.out.begin(), other.out.end());
  if (stale != nullptr) stale->insert(stale->end(), other.stale.begin(), other.stale.end());
  const Hash32 replaced = Emit(kTrieInternalTag, *left, *right, out);
  if (stale != nullptr && replaced != node) stale->push_back(node);
  return replaced;
}

absl::StatusOr<Hash32> Trie::InsertLevels(const Hash32& root, size_t root_depth,
                                          absl::Span<const TrieEntry> entries, Lane& lane,
                                          std::vector<TrieNewNode>* out,
                                          std::vector<Hash32>* stale) {
  if (entries.empty()) return root;
  if (IsEmpty(root)) return Build(root_depth, entries, out);
  // Top-down: one level per pass. Level l holds the old internal nodes at depth
  // root_depth + l that the insertion rewrites; leaves and empty subtrees met on the way
  // are rebuilt at once (Build), their new hash stored in their parent's child slot.
  auto& levels = lane.levels;
  auto& frontier = lane.frontier;
  auto& next = lane.next;
  size_t used = 0;  // levels[0, used) are this call's
  frontier.clear();
  frontier.push_back({root, 0, static_cast<uint32_t>(entries.size()), kNoParent, 0});
  Hash32 result{};
  for (size_t depth = root_depth; !frontier.empty(); ++depth) {
    if (depth >= kTrieMaxDepth) return absl::DataLossError("trie path longer than 256 bits");
    lane.hashes.resize(frontier.size());
    for (size_t i = 0; i < frontier.size(); ++i) lane.hashes[i] = frontier[i].node;
    lane.nodes.resize(frontier.size());
    if (auto s = nodes_->GetNodes(lane.hashes, absl::MakeSpan(lane.nodes)); !s.ok()) return s;
    if (used == levels.size()) levels.emplace_back();
    std::vector<TriePending>* above = used == 0 ? nullptr : &levels[used - 1];
    std::vector<TriePending>& level = levels[used++];
    level.clear();
    next.clear();
    for (size_t i = 0; i < frontier.size(); ++i) {
      const TrieVisit& v = frontier[i];
      const TrieNodeBytes& bytes = lane.nodes[i];
      if (!HasValidTag(bytes)) return UnknownTag(v.node);
      const auto sub = entries.subspan(v.begin, v.end - v.begin);
      if (bytes[0] == kTrieLeafTag) {
        const Hash32 h = MergeIntoLeaf(v.node, bytes, depth, sub, out, stale, &lane.scratch);
        if (above == nullptr) {
          result = h;
        } else {
          (*above)[v.parent].child[v.side] = h;
        }
        continue;
      }
      const uint32_t index = static_cast<uint32_t>(level.size());
      TriePending& p = level.emplace_back();
      p.node = v.node;
      p.child[0] = Part(bytes, 1);
      p.child[1] = Part(bytes, 33);
      p.parent = v.parent;
      p.side = v.side;
      const uint32_t split = v.begin + static_cast<uint32_t>(SplitPoint(sub, depth));
      const uint32_t bounds[3] = {v.begin, split, v.end};
      for (uint32_t side = 0; side < 2; ++side) {
        if (bounds[side] == bounds[side + 1]) continue;  // untouched child
        if (IsEmpty(p.child[side])) {
          p.child[side] =
              Build(depth + 1, entries.subspan(bounds[side], bounds[side + 1] - bounds[side]), out);
        } else {
          next.push_back({p.child[side], bounds[side], bounds[side + 1], index, side});
        }
      }
    }
    frontier.swap(next);
  }
  // Bottom-up: rehash the rewritten internal nodes, deepest level first.
  for (size_t l = used; l-- > 0;) {
    std::vector<TriePending>* above = l == 0 ? nullptr : &levels[l - 1];
    for (const TriePending& p : levels[l]) {
      const Hash32 h = Emit(kTrieInternalTag, p.child[0], p.child[1], out);
      if (stale != nullptr && h != p.node) stale->push_back(p.node);
      if (above == nullptr) {
        result = h;
      } else {
        (*above)[p.parent].child[p.side] = h;
      }
    }
  }
  return result;
}

absl::StatusOr<TrieProof> Trie::Prove(const Hash32& root, const Hash32& key) {
  TrieProof proof;
  Hash32 node = root;
  TrieNodeBytes bytes;
  for (size_t depth = 0; !IsEmpty(node); ++depth) {
    if (auto s = Load(node, &bytes); !s.ok()) return s;
    if (bytes[0] == kTrieLeafTag) {
      proof.has_leaf = true;
      proof.leaf = TrieEntry{Part(bytes, 1), Part(bytes, 33)};
      break;
    }
    if (depth >= kTrieMaxDepth) return absl::DataLossError("trie path longer than 256 bits");
    const int bit = TrieKeyBit(key, depth);
    proof.siblings.push_back(Part(bytes, bit == 0 ? 33 : 1));
    node = Part(bytes, bit == 0 ? 1 : 33);
  }
  return proof;
}

absl::StatusOr<std::optional<Hash32>> Trie::Get(const Hash32& root, const Hash32& key) {
  auto proof = Prove(root, key);
  if (!proof.ok()) return proof.status();
  if (proof->has_leaf && proof->leaf.key == key) return std::optional<Hash32>(proof->leaf.value_hash);
  return std::optional<Hash32>();
}

}  // namespace dsc::core
