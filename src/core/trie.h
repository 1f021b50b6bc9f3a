// The provenance trie: a cumulative, authenticated map from 256-bit keys (transaction
// ids) to 32-byte value hashes, with O(log N) inclusion and non-inclusion proofs that a
// light client checks with VerifyTrieProof alone.
//
// Structure: a binary sparse Merkle tree over the key bits (bit 0 = the most significant
// bit of key[0]; 0 goes left) with compressed paths, as in Diem's Jellyfish Merkle tree
// or a "compact SMT": a subtree holding exactly one entry is that entry's leaf, stored at
// the shortest prefix that sets it apart; an empty subtree is 32 zero bytes. So the depth
// of a leaf is about log2 N, not 256, and an internal node always has at least two
// entries below it.
//   leaf hash     = BLAKE2b-256(0x10 || key || value_hash)
//   internal hash = BLAKE2b-256(0x11 || left || right)
//   empty         = 32 zero bytes
// Every node is stored as its 65-byte hash preimage, keyed by its hash (content
// addressed). Nodes are never rewritten or deleted, so every root ever computed stays
// provable as long as the store keeps its nodes.
//
// Why a binary compressed SMT rather than a 16-ary Jellyfish trie: a binary proof needs
// one sibling per level (about log2 N hashes), a 16-ary one needs up to 15 per level
// (about 15/4 log2 N without extra tricks), and the binary form keeps the verifier a
// dozen lines. The cost is more node reads per lookup, which a node cache absorbs.
//
// Storage is abstracted by TrieNodeReader (reads) and the returned list of new nodes
// (writes), so the core stays free of I/O: the chain writes the new nodes into the same
// batch as the block.
//
// Insert walks the affected paths level by level (breadth first): all the nodes it needs
// at one depth are read with one TrieNodeReader::GetNodes call, so a store can overlap
// their latencies (prefetch, multi-get), and the new nodes are hashed bottom-up, level by
// level, once the paths are known. Thread-safety: the free functions are pure; Trie functions are as
// thread-safe as the TrieNodeReader passed in. MemoryTrieNodeStore is not thread-safe.
#ifndef DSC_CORE_TRIE_H_
#define DSC_CORE_TRIE_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/types.h"

namespace dsc::core {

inline constexpr uint8_t kTrieLeafTag = 0x10;
inline constexpr uint8_t kTrieInternalTag = 0x11;
inline constexpr size_t kTrieNodeBytes = 65;  // tag + 32 + 32, for both kinds
inline constexpr size_t kTrieMaxDepth = 256;

using TrieNodeBytes = std::array<uint8_t, kTrieNodeBytes>;

// One entry: a key and the hash of its value.
struct TrieEntry {
  Hash32 key{};
  Hash32 value_hash{};
  bool operator==(const TrieEntry&) const = default;
};

// A node created by an insertion: its hash and its encoding (the hash preimage).
struct TrieNewNode {
  Hash32 hash{};
  TrieNodeBytes bytes{};
};

// Where the trie reads nodes from. Implementations decide their own thread-safety.
class TrieNodeReader {
 public:
  virtual ~TrieNodeReader() = default;
  // Reads the node whose hash is `hash` into *out. Returns kNotFound if the store has no
  // such node, another code on I/O failure.
  virtual absl::Status GetNode(const Hash32& hash, TrieNodeBytes* out) = 0;

  // Reads the nodes whose hashes are `hashes` into out[i] (kInvalidArgument unless
  // out.size() equals hashes.size()). Returns OK if every node was read, else the error
  // GetNode would give for the first failing hash in order; then the contents of `out` are
  // unspecified. Calls ReadNodes.
  absl::Status GetNodes(absl::Span<const Hash32> hashes, absl::Span<TrieNodeBytes> out);

 protected:
  // GetNodes once the sizes are checked. The default calls GetNode for each hash; stores
  // override it to overlap the reads.
  virtual absl::Status ReadNodes(absl::Span<const Hash32> hashes, absl::Span<TrieNodeBytes> out);
};

// Hash functor for hash-keyed maps: the first 8 bytes of a BLAKE2b output are uniform.
struct Hash32Hasher {
  size_t operator()(const Hash32& h) const {
    uint64_t v;
    std::memcpy(&v, h.data(), sizeof(v));
    return static_cast<size_t>(v);
  }
};

namespace trie_internal {

// Allocates blocks of 64 MiB or more aligned to 2 MiB and asks Linux to back them with
// transparent huge pages (madvise), other blocks with operator new. A big node table is
// read at random; with 4 KiB pages nearly every read also misses the TLB.
void* AllocateTable(size_t bytes);
void DeallocateTable(void* p, size_t bytes);

template <class T>
struct TableAllocator {
  using value_type = T;
  TableAllocator() = default;
  template <class U>
  TableAllocator(const TableAllocator<U>&) {}  // NOLINT: rebinding must be implicit
  T* allocate(size_t n) { return static_cast<T*>(AllocateTable(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { DeallocateTable(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const TableAllocator<U>&) const { return true; }
};

}  // namespace trie_internal

// An in-memory node store (tests, the light client's fakes, benchmarks), split into
// `shards` hash tables by a key byte. Writes (Put, PutAll, Erase, EraseAll, Reserve) must
// not run concurrently with anything else; concurrent reads (GetNode, GetNodes) are safe.
// The batch operations prefetch the tables a few keys ahead; with shards > 1, PutAll and
// EraseAll of big batches write the shards on up to `shards` threads at once.
class MemoryTrieNodeStore : public TrieNodeReader {
 public:
  explicit MemoryTrieNodeStore(int shards = 1);

  absl::Status GetNode(const Hash32& hash, TrieNodeBytes* out) override;

  void Put(const TrieNewNode& node) { ShardOf(node.hash).insert_or_assign(node.hash, node.bytes); }
  void PutAll(absl::Span<const TrieNewNode> nodes);
  void Erase(const Hash32& hash) { ShardOf(hash).erase(hash); }
  // Erases every hash of `hashes` (absent ones are ignored).
  void EraseAll(absl::Span<const Hash32> hashes);
  size_t size() const;
  // Makes room for `n` nodes in all.
  void Reserve(size_t n);

 protected:
  // Prefetches the tables a few keys ahead.
  absl::Status ReadNodes(absl::Span<const Hash32> hashes, absl::Span<TrieNodeBytes> out) override;

 private:
  using Map = absl::flat_hash_map<
      Hash32, TrieNodeBytes, Hash32Hasher, std::equal_to<Hash32>,
      trie_internal::TableAllocator<std::pair<const Hash32, TrieNodeBytes>>>;
  // The shard is chosen by key byte 8, independent of the bytes Hash32Hasher uses.
  size_t ShardIndex(const Hash32& hash) const { return hash[8] % shards_.size(); }
  Map& ShardOf(const Hash32& hash) { return shards_[ShardIndex(hash)]; }

  std::vector<Map> shards_;
};

// The hash of a leaf, of an internal node (the empty subtree is Hash32{}).
Hash32 TrieLeafHash(const Hash32& key, const Hash32& value_hash);
Hash32 TrieInternalHash(const Hash32& left, const Hash32& right);

// Bit `depth` (0..255) of `key`, most significant bit of key[0] first.
inline int TrieKeyBit(const Hash32& key, size_t depth) {
  return (key[depth >> 3] >> (7 - (depth & 7))) & 1;
}

// The value committed for a confirmed transaction: BLAKE2b-256 of the 8-byte big-endian
// height of its block followed by its 4-byte big-endian index in the block.
Hash32 TxProvenanceValue(uint64_t height, uint32_t index);

// A proof for one key against one root. `siblings[i]` is the sibling of the path at
// depth i (Hash32{} for an empty sibling); the path ends at depth siblings.size() in
// either a leaf (`has_leaf`, possibly for another key: then the key is absent) or an
// empty subtree (the key is absent).
struct TrieProof {
  bool has_leaf = false;
  TrieEntry leaf;
  std::vector<Hash32> siblings;

  // The number of hashes the encoding ships (non-empty siblings).
  size_t ShippedHashes() const;
  bool operator==(const TrieProof&) const = default;
};

// Canonical proof bytes:
//   u8 kind (0 = ends in an empty subtree, 1 = ends in a leaf)
//   [kind 1: leaf key (32), leaf value hash (32)]
//   u16 depth (big-endian, 0..256)
//   bitmap of ceil(depth / 8) bytes: bit i (MSB first) set iff siblings[i] is not empty;
//     padding bits zero
//   the non-empty siblings, 32 bytes each, from depth 0 down.
std::string EncodeTrieProof(const TrieProof& proof);
// Returns kInvalidArgument unless `bytes` is exactly one canonical proof (no trailing
// bytes, zero padding, no all-zero sibling marked as present, depth <= 256).
absl::StatusOr<TrieProof> DecodeTrieProof(std::string_view bytes);

// What a valid proof establishes.
struct TrieProofVerdict {
  bool included = false;
  Hash32 value_hash{};  // the key's value hash when included
};

// The stateless verifier: recomputes the root from `proof` along the path of `key` and
// compares it with `root`. Returns the verdict, or kInvalidArgument with a reason when
// the proof does not prove anything about `key` under `root` (root mismatch, a leaf off
// the key's path, a depth above 256).
absl::StatusOr<TrieProofVerdict> VerifyTrieProof(const Hash32& root, const Hash32& key,
                                                 const TrieProof& proof);

// Operations on a trie whose nodes live in a TrieNodeReader.
// Insert keeps scratch buffers in the Trie so that a long-lived Trie does not allocate
// per call: do not call Insert on one Trie from two threads at once.
class Trie {
 public:
  explicit Trie(TrieNodeReader* nodes);
  ~Trie();
  Trie(Trie&&) noexcept;
  Trie& operator=(Trie&&) noexcept;

  // Lets Insert work on up to `threads` disjoint subtrees at once (default 1), each read
  // and hashed level by level on its own thread. Only for a TrieNodeReader that is safe
  // for concurrent reads; the result does not change.
  void set_threads(int threads) { threads_ = threads < 1 ? 1 : threads; }

  // Inserts `entries` (any order; keys must be distinct, else kInvalidArgument) into the
  // trie of `root`. An existing key gets the new value hash. Appends every node created
  // to *new_nodes (the caller persists them; nothing is written here) and returns the
  // new root; a node the old version already holds unchanged (a leaf that only moves
  // down) is not appended, other nodes may be. The order of *new_nodes and *stale is
  // unspecified. kNotFound / kDataLoss if a node on the way is missing or corrupt (then
  // *new_nodes and *stale may hold a partial result).
  // If `stale` is not null, appends the hashes of the nodes of the old version that the
  // new root no longer references (a store that keeps only the latest version may drop
  // them; the chain keeps them so that older roots stay provable).
  absl::StatusOr<Hash32> Insert(const Hash32& root, std::vector<TrieEntry> entries,
                                std::vector<TrieNewNode>* new_nodes,
                                std::vector<Hash32>* stale = nullptr);

  // The proof for `key` under `root` (inclusion if present, non-inclusion otherwise).
  absl::StatusOr<TrieProof> Prove(const Hash32& root, const Hash32& key);

  // The value hash of `key` under `root`, or nullopt if absent.
  absl::StatusOr<std::optional<Hash32>> Get(const Hash32& root, const Hash32& key);

 private:
  struct Lane;  // one thread's scratch buffers (trie.cc)

  // Forks disjoint subtrees onto threads near the top (the left one onto another lane),
  // then calls InsertLevels with `lane`'s buffers.
  absl::StatusOr<Hash32> InsertAt(const Hash32& node, size_t depth,
                                  absl::Span<const TrieEntry> entries, size_t lane,
                                  std::vector<TrieNewNode>* out, std::vector<Hash32>* stale);
  // The breadth-first insertion of `entries` (sorted, distinct, all sharing the first
  // `depth` bits) into the subtree `node` rooted at `depth`.
  absl::StatusOr<Hash32> InsertLevels(const Hash32& node, size_t depth,
                                      absl::Span<const TrieEntry> entries, Lane& lane,
                                      std::vector<TrieNewNode>* out, std::vector<Hash32>* stale);
  absl::Status Load(const Hash32& hash, TrieNodeBytes* out);

  TrieNodeReader* nodes_;
  int threads_ = 1;
  std::vector<std::unique_ptr<Lane>> lanes_;  // lanes_[i] for i < threads_, made on demand
};

}  // namespace dsc::core

#endif  // DSC_CORE_TRIE_H_
