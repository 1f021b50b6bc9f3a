#include "core/trie.h"

#include <algorithm>
#include <future>

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
  TrieNewNode node;
  node.bytes = EncodeNode(tag, a, b);
  node.hash = HashNode(node.bytes);
  out->push_back(node);
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
Hash32 Build(size_t depth, absl::Span<const TrieEntry> entries, std::vector<TrieNewNode>* out) {
  if (entries.size() == 1) return Emit(kTrieLeafTag, entries[0].key, entries[0].value_hash, out);
  const size_t split = SplitPoint(entries, depth);
  const Hash32 left = split == 0 ? Hash32{} : Build(depth + 1, entries.subspan(0, split), out);
  const Hash32 right =
      split == entries.size() ? Hash32{} : Build(depth + 1, entries.subspan(split), out);
  return Emit(kTrieInternalTag, left, right, out);
}

bool KeyLess(const TrieEntry& a, const TrieEntry& b) { return a.key < b.key; }

}  // namespace

absl::Status MemoryTrieNodeStore::GetNode(const Hash32& hash, TrieNodeBytes* out) {
  auto it = nodes_.find(hash);
  if (it == nodes_.end()) {
    return absl::NotFoundError(absl::StrCat("trie node ", util::Base58Encode(hash), " is missing"));
  }
  *out = it->second;
  return absl::OkStatus();
}

void MemoryTrieNodeStore::PutAll(absl::Span<const TrieNewNode> nodes) {
  for (const auto& node : nodes) Put(node);
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
  if (((*out)[0] != kTrieLeafTag && (*out)[0] != kTrieInternalTag)) {
    return absl::DataLossError(
        absl::StrCat("trie node ", util::Base58Encode(hash), " has an unknown tag"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Hash32> Trie::Insert(const Hash32& root, std::vector<TrieEntry> entries,
                                    std::vector<TrieNewNode>* new_nodes,
                                    std::vector<Hash32>* stale) {
  if (entries.empty()) return root;
  std::sort(entries.begin(), entries.end(), KeyLess);
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].key == entries[i - 1].key) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key ", util::Base58Encode(entries[i].key), " appears twice in one insertion"));
    }
  }
  return InsertAt(root, 0, entries, new_nodes, stale);
}

absl::StatusOr<Hash32> Trie::InsertAt(const Hash32& node, size_t depth,
                                      absl::Span<const TrieEntry> entries,
                                      std::vector<TrieNewNode>* out, std::vector<Hash32>* stale) {
  if (entries.empty()) return node;
  if (IsEmpty(node)) return Build(depth, entries, out);
  if (depth >= kTrieMaxDepth) return absl::DataLossError("trie path longer than 256 bits");
  TrieNodeBytes bytes;
  if (auto s = Load(node, &bytes); !s.ok()) return s;
  if (bytes[0] == kTrieLeafTag) {
    const TrieEntry existing{Part(bytes, 1), Part(bytes, 33)};
    std::vector<TrieEntry> merged;
    merged.reserve(entries.size() + 1);
    auto pos = std::lower_bound(entries.begin(), entries.end(), existing, KeyLess);
    merged.insert(merged.end(), entries.begin(), pos);
    const bool updated = pos != entries.end() && pos->key == existing.key;
    if (!updated) merged.push_back(existing);  // moves down; its hash (and node) is unchanged
    merged.insert(merged.end(), pos, entries.end());
    if (stale != nullptr && updated && pos->value_hash != existing.value_hash) {
      stale->push_back(node);
    }
    return Build(depth, merged, out);
  }
  const size_t split = SplitPoint(entries, depth);
  absl::StatusOr<Hash32> left, right;
  // Fork the left subtree onto another thread near the top of big batches.
  constexpr size_t kMinParallelEntries = 2048;
  if ((size_t{1} << depth) < static_cast<size_t>(threads_) && split >= kMinParallelEntries &&
      entries.size() - split >= kMinParallelEntries) {
    std::vector<TrieNewNode> left_out;
    std::vector<Hash32> left_stale;
    auto fork = std::async(std::launch::async, [&] {
      return InsertAt(Part(bytes, 1), depth + 1, entries.subspan(0, split), &left_out,
                      stale != nullptr ? &left_stale : nullptr);
    });
    right = InsertAt(Part(bytes, 33), depth + 1, entries.subspan(split), out, stale);
    left = fork.get();
    out->insert(out->end(), left_out.begin(), left_out.end());
    if (stale != nullptr) stale->insert(stale->end(), left_stale.begin(), left_stale.end());
  } else {
    left = InsertAt(Part(bytes, 1), depth + 1, entries.subspan(0, split), out, stale);
    if (!left.ok()) return left;
    right = InsertAt(Part(bytes, 33), depth + 1, entries.subspan(split), out, stale);
  }
  if (!left.ok()) return left;
  if (!right.ok()) return right;
  const Hash32 replaced = Emit(kTrieInternalTag, *left, *right, out);
  if (stale != nullptr && replaced != node) stale->push_back(node);
  return replaced;
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
