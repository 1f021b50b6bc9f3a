// Proof tables: sorted (record prefix, nonce) entries, held in RAM by proof of memory and
// in a vault file by proof of space. This module holds what both share: generating records
// in nonce order with several threads, buckets by record prefix with a fixed capacity, the
// bucket sort, and the lookup that answers a round. Pure compute, no I/O; thread-safety is
// stated per declaration.
//
// Layout. A table has 2^bucket_bits buckets; bucket b holds the records whose top
// bucket_bits bits equal b. Every bucket holds exactly `bucket_capacity` entries: the first
// ones, in nonce order (nonces 0, 1, 2, ...), whose records fall in it; later records of a
// full bucket are dropped, and generation stops when every bucket is full (a uniform hash
// needs about 1-2% more nonces than records for 2^16-record buckets). The table is thus a
// deterministic function of (fingerprint, key, layout), and the buckets, each sorted and
// laid end to end in bucket order, form one sorted array.
#ifndef DSC_CORE_PROOF_TABLE_H_
#define DSC_CORE_PROOF_TABLE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/proof.h"

namespace dsc::core {

// One table entry: the first 8 bytes of a record, read big-endian (so integer order is the
// order of the records), and the record's nonce. 16 bytes: the lookup needs only the
// prefix to find candidates; the full 24-byte record is recomputed from the nonce to verify
// a candidate before it is returned, exactly as the metronome will.
struct ProofEntry {
  uint64_t prefix = 0;
  uint64_t nonce = 0;
};
static_assert(sizeof(ProofEntry) == 16);
inline constexpr uint64_t kEntryBytes = sizeof(ProofEntry);

// The first 8 bytes of `challenge`, read big-endian.
inline uint64_t ChallengePrefix(const Hash32& challenge) { return ReadPrefix64(challenge.data()); }

// The bucket of `prefix` among 2^bucket_bits buckets: its top bucket_bits bits.
inline uint64_t BucketOf(uint64_t prefix, uint32_t bucket_bits) {
  return bucket_bits == 0 ? 0 : prefix >> (64 - bucket_bits);
}

struct TableLayout {
  uint32_t bucket_bits = 0;      // 2^bucket_bits buckets
  uint64_t bucket_capacity = 0;  // entries per bucket

  uint64_t buckets() const { return uint64_t{1} << bucket_bits; }
  uint64_t records() const { return buckets() * bucket_capacity; }
  uint64_t bytes() const { return records() * kEntryBytes; }
};

// The layout for at most `records` records whose buckets hold at least
// `min_bucket_capacity` records (as many buckets as that allows, at most 2^24); it holds
// `records` rounded down to a multiple of the bucket count. Zero records give an empty
// layout (bucket_capacity 0).
TableLayout LayoutForRecords(uint64_t records, uint64_t min_bucket_capacity = uint64_t{1} << 16);

// Progress of a table build, for logs.
struct BuildProgress {
  std::string_view phase;   // "generate", "sort", "verify"
  uint64_t done_bytes = 0;  // table bytes finished in this phase
  uint64_t total_bytes = 0;
  double seconds = 0;       // since the phase started
  bool finished = false;    // the last report of the phase
};
// Called on the building thread; must not block for long.
using ProgressFn = std::function<void(const BuildProgress&)>;

// Reports a phase's progress through a ProgressFn at most once per `interval`, and once at
// the end. Thread-compatible.
class ProgressMeter {
 public:
  ProgressMeter(const ProgressFn& fn, std::string_view phase, uint64_t total_bytes,
                absl::Duration interval = absl::Seconds(1));
  void Update(uint64_t done_bytes);
  void Finish();
  double Seconds() const;

 private:
  const ProgressFn& fn_;
  std::string_view phase_;
  uint64_t total_bytes_;
  absl::Duration interval_;
  absl::Time start_;
  absl::Time last_;
};

// Writes the entries of nonces [first_nonce, first_nonce + n) to out[0..n). Must be safe to
// call from several threads at once on disjoint ranges.
using EntrySource = std::function<void(uint64_t first_nonce, size_t n, ProofEntry* out)>;

// The real source: BLAKE2b records of `hasher` (which must outlive the source).
EntrySource HashingSource(const RecordHasher& hasher);

// Receives each batch, in nonce order, on the calling thread. Returns true to stop.
using BatchSink = std::function<bool(const ProofEntry* entries, size_t n)>;

struct GenerateResult {
  uint64_t nonces_offered = 0;  // nonces [0, nonces_offered) went to the sink
  uint64_t nonces_hashed = 0;   // includes the batch computed ahead and never offered
};

// Generates entries for nonces 0, 1, 2, ... in batches of `batch` with `threads` worker
// threads (named "proof-gen") and hands each batch to `sink` on the calling thread while
// the workers compute the next one. Stops when the sink returns true. Returns kCancelled if
// *cancel (may be null) becomes true first.
absl::StatusOr<GenerateResult> GenerateInOrder(const EntrySource& source, int threads,
                                               size_t batch, const std::atomic<bool>* cancel,
                                               const BatchSink& sink);

// Assigns entries offered in nonce order to their bucket's next free slot, keeping the
// first bucket_capacity of each bucket. Thread-compatible.
class BucketFill {
 public:
  explicit BucketFill(const TableLayout& layout)
      : layout_(layout), fill_(layout.buckets(), 0), open_(layout.buckets()) {
    if (layout.bucket_capacity == 0) open_ = 0;
  }
  // The slot (0..capacity-1) of an entry of `bucket`, or -1 if that bucket is full.
  int64_t Take(uint64_t bucket) {
    uint64_t& fill = fill_[bucket];
    if (fill >= layout_.bucket_capacity) return -1;
    if (++fill == layout_.bucket_capacity) --open_;
    return static_cast<int64_t>(fill - 1);
  }
  bool AllFull() const { return open_ == 0; }
  uint64_t open_buckets() const { return open_; }

 private:
  TableLayout layout_;
  std::vector<uint64_t> fill_;
  uint64_t open_;
};

// Sorts entries[0..n) by prefix, ties by nonce (so the result does not depend on the input
// order). All prefixes share their top
// `known_bits` bits (the bucket) and are otherwise uniformly random, which makes a two or
// three pass LSD radix sort on the bits below them plus a final insertion pass the fastest
// sort; other inputs still end sorted (the insertion pass falls back to std::sort when it
// runs long). `scratch` must hold n entries. Thread-compatible.
void SortEntries(ProofEntry* entries, size_t n, uint32_t known_bits, ProofEntry* scratch);

// Searches entries sorted by prefix for one whose record matches `challenge` at
// `difficulty`: binary search for the challenge's top min(difficulty, 64) bits, then each
// candidate's full record is recomputed with `hasher` (at most 64 candidates) and the first
// that matches is returned. Returns nullopt if none does or difficulty > 192. Adds the
// records it recomputed to *hashes if not null. Thread-safe.
std::optional<uint64_t> FindMatch(const ProofEntry* sorted, size_t n, const Hash32& challenge,
                                  uint32_t difficulty, const RecordHasher& hasher,
                                  uint64_t* hashes = nullptr);

}  // namespace dsc::core

#endif  // DSC_CORE_PROOF_TABLE_H_
