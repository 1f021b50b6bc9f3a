// Proof of space: the vault file and the engine that answers rounds from it.
//
// The vault holds the proof table of core/proof_table.h on disk: 2^k buckets by record
// prefix, each of cups_per_bucket cups of cup_size 16-byte entries, laid out bucket after
// bucket behind a 4 KiB header. The build goes to "<vault>.partial", its blocks reserved
// with posix_fallocate, and is renamed when complete, so an interrupted build (crash,
// cancel, error) leaves no vault. Every bucket's records are known only when phase 1 ends,
// so no final byte can reach the disk before then.
//
// Which build: the in-RAM build when PosOptions::build_in_ram is set (the default) and the
// vault's data fits PosOptions::ram_build_bytes (by default half the RAM available,
// MemAvailable, when the build starts) and the RAM can be mapped; else the mapped build
// when PosOptions::map_file is set (the default) and the file system can preallocate and
// map the file; else the build with cups. PosBuildTimes::method says which one ran.
//
// In-RAM build: as the mapped build below, but phase 1 deals into the file's image in
// anonymous memory (in 2 MiB pages where the kernel has them: 512 page faults per GiB, not
// 262144, and the dealers' scattered stores miss the TLB less) and phase 2 sorts each
// bucket there; the writer threads write the sorted buckets from the image in pieces of
// 16 MiB or more with O_DIRECT (no copy, no page cache), or with pwrite and the same
// writeback hint where the file system takes no direct writes. RAM of its own: the vault's
// size, plus what the mapped build takes; the page cache is not used for the vault (but
// for the last bytes of a file whose end is off a block boundary). A failed write stops
// the build with its error.
//
// Mapped build (when the vault does not fit the RAM limit, or build_in_ram is false):
// phase 1: `threads_hash` threads hash nonces in order; dealing threads (one per hashing
// thread up to the cores; see PosOptions::threads_deal) store each entry straight at its
// bucket's next free slot of a shared mapping of the file, keeping each bucket's first
// records in nonce order exactly as one thread would (plain stores: the line being filled
// of each bucket stays in the cache). The page cache holds
// the file (in 2 MiB folios where the kernel has them): no copy, no write while dealing,
// unless the kernel writes dirty pages back on its own (memory pressure, age), which then
// go to the disk again later. Phase 2: every bucket is sorted in place in the mapping and
// checksummed; `threads_io` writer threads unmap the sorted bytes and start the disk on
// them at once (sync_file_range, in pieces ending on 2 MiB boundaries), so the disk writes
// sorted buckets while the next ones are sorted. RAM of its own: the hashing batches, a
// few counters per bucket per dealer, and a bucket of scratch per sorting thread;
// the vault itself is page cache, which the kernel writes back and reclaims as it needs,
// so the vault may be larger than RAM. A read error of the disk while the build touches a
// page that the kernel had evicted kills the process (SIGBUS); the .partial stays invalid.
//
// Build with cups (PosOptions::map_file false, or a file system that cannot preallocate or
// map the file): phase 1 deals the batches into in-RAM cups, one per bucket per dealing
// thread, and full cups go to the writer threads, which write them at the bucket's next
// free cup; phase 2 reads every bucket back, sorts it and hands it to the writer threads,
// which write it and start the disk on it. The cups stay in the page cache when it holds
// the vault (the disk then sees each byte once) and are written twice (cups, then sorted
// buckets) when it does not. RAM: see PosBuildRamBytes.
//
// All three builds write the same bytes. Then the data is synced and the header, with the data
// checksum, is written last.
//
// A round costs one bucket read and a binary search, and one hash to verify the candidate.
// The read is one page when the difficulty is below the bucket bits, and otherwise a window
// of the bucket around the challenge's expected position (records are uniform within a
// bucket), the whole bucket only when the window misses.
//
// Header (little-endian): "DSCVAULT", format version, entry size, fingerprint, public key,
// bucket bits, cup size, cups per bucket, records, nonces hashed, file size, creation time,
// build times, a 64-bit data checksum (over every entry and its position; fast, against
// corruption) and a BLAKE2b-256 checksum of the header itself.
//
// Thread-safety: PosEngine is thread-safe (Solve by one thread at a time, Stats from any);
// the free functions are thread-safe.
#ifndef DSC_VALIDATOR_POS_VAULT_H_
#define DSC_VALIDATOR_POS_VAULT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/proof.h"
#include "core/proof_table.h"

namespace dsc::validator {

inline constexpr uint32_t kVaultFormatVersion = 1;
inline constexpr uint64_t kVaultHeaderBytes = 4096;
inline constexpr uint64_t kDefaultCupSize = 1024;                 // records (16 KiB)
inline constexpr uint64_t kTargetBucketBytes = uint64_t{1} << 20;  // when buckets are derived
inline constexpr uint64_t kMaxCupRamBytes = uint64_t{256} << 20;   // when buckets are derived

// The shape of a vault.
struct PosGeometry {
  uint64_t buckets = 0;          // a power of two
  uint64_t cup_size = 0;         // records per cup
  uint64_t cups_per_bucket = 0;

  uint32_t bucket_bits() const;
  uint64_t bucket_records() const { return cup_size * cups_per_bucket; }
  uint64_t records() const { return buckets * bucket_records(); }
  uint64_t data_bytes() const { return records() * core::kEntryBytes; }
  uint64_t file_bytes() const { return kVaultHeaderBytes + data_bytes(); }
  core::TableLayout layout() const { return {bucket_bits(), bucket_records()}; }
  bool operator==(const PosGeometry&) const = default;
};

// Fills in the settings left at 0 so that the vault fits in `disk` bytes: cup_size
// defaults to 1024 records; buckets (a power of two) to about 1 MiB each, with at most
// 256 MiB of cups in RAM; cups_per_bucket to what the disk holds. Returns
// kInvalidArgument naming the setting (disk, buckets, cup_size, cups_per_bucket) if a
// value is zero where it must not be, buckets is not a power of two, or the vault
// cannot fit in `disk`.
absl::StatusOr<PosGeometry> DerivePosGeometry(uint64_t disk, uint64_t buckets, uint64_t cup_size,
                                              uint64_t cups_per_bucket);

// RAM a build may take (the page cache aside), that of the build with cups: the larger of
// phase 1's cups (one per bucket per dealing thread, plus spare cups), bookkeeping and
// hashing batches, and phase 2's bucket buffers (sorting, scratch, and being written). The
// mapped build takes less; the in-RAM build takes the vault's size more, and only when the
// vault fits PosOptions::ram_build_bytes (by default half the RAM available).
uint64_t PosBuildRamBytes(const PosGeometry& geometry, int threads_hash, int threads_io,
                          int threads_deal = 0);

struct VaultHeader {
  uint32_t version = kVaultFormatVersion;
  uint32_t entry_bytes = static_cast<uint32_t>(core::kEntryBytes);
  core::Fingerprint fingerprint{};
  core::PublicKey key{};
  PosGeometry geometry;
  uint64_t records = 0;
  uint64_t nonces = 0;            // every stored nonce is below this
  uint64_t file_bytes = 0;
  int64_t created_ms = 0;
  uint64_t generate_ms = 0;       // hashing and writing the cups
  uint64_t sort_ms = 0;           // sorting the buckets
  uint64_t data_checksum = 0;     // over every entry and its position
  bool fake_records = false;      // written by a benchmark: records are not BLAKE2b records
};

// Reads and checks the header of the vault at `path`: kNotFound if there is no file,
// kDataLoss (with what is wrong) if it is not a complete DSC vault of this format: bad
// magic, version, header checksum or geometry, or a file size that differs from the
// header's (truncated or grown).
absl::StatusOr<VaultHeader> ReadVaultHeader(const std::string& path);

// Where the time of a build went, in this process (not stored in the vault).
// How a vault was built (see the top of this file).
enum class PosBuildMethod { kCups, kMapped, kInRam };

struct PosBuildTimes {
  double deal_seconds = 0;   // phase 1: hashing, dealing into cups, writing the cups
  double sort_seconds = 0;   // phase 2: reading, sorting and rewriting every bucket
  double sync_seconds = 0;   // the data's last bytes to disk, the header, the rename
  // CPU time of the whole process (all threads, user + system) in each phase.
  double deal_cpu_seconds = 0;
  double sort_cpu_seconds = 0;
  double sync_cpu_seconds = 0;
  int dealers = 0;           // threads that dealt the records
  PosBuildMethod method = PosBuildMethod::kCups;
  uint64_t direct_bytes = 0; // of the vault, written with O_DIRECT (in-RAM build)
};

struct PosOptions {
  std::string path;               // the vault file
  PosGeometry geometry;           // from DerivePosGeometry
  int threads_hash = 1;
  int threads_io = 1;
  int threads_deal = 0;           // dealing threads (at most 4); 0 = automatic (see top)
  bool rebuild = false;           // replace a vault that cannot be used instead of refusing
  bool direct_io = false;         // lookups bypass the page cache (O_DIRECT)
  // Build in a shared mapping of the file; if false, or if the file system cannot
  // preallocate or map the file, with cups written by the writer threads.
  bool map_file = true;
  // Build in RAM and write the sorted buckets with direct writes when the vault's data
  // fits ram_build_bytes (0 = half the RAM available when the build starts).
  bool build_in_ram = true;
  uint64_t ram_build_bytes = 0;
  // The in-RAM build writes with O_DIRECT where the file system takes it; if false, or
  // where it does not, with pwrite through the page cache.
  bool direct_writes = true;
  core::ProgressFn progress;      // "generate", "sort" phases of a build
  const std::atomic<bool>* cancel = nullptr;  // stops a build (e.g. on SIGTERM)
  // Benchmarks only: entries come from here instead of BLAKE2b, to time the I/O path. Such
  // a vault does not verify and is never reused (its header says so).
  core::EntrySource fake_source;
  // Tests only: called before each write call of the vault's data (file offset, bytes); a
  // status other than OK fails that write as the disk would. (The mapped build writes its
  // data through the mapping, not with write calls.)
  std::function<absl::Status(uint64_t offset, uint64_t bytes)> write_fault;
};

class PosEngine : public core::ProofEngine {
 public:
  // Opens the vault at options.path if its header matches (fingerprint, key, geometry) and
  // a sample of its records verifies; builds it if there is no file. A vault that is not
  // usable (other key or geometry, truncated, corrupt) is refused with kFailedPrecondition
  // saying why and how to proceed, or rebuilt if options.rebuild. Other errors:
  // kResourceExhausted (disk full), kUnavailable/kInternal (I/O), kCancelled.
  static absl::StatusOr<std::unique_ptr<PosEngine>> Open(const core::Fingerprint& fingerprint,
                                                         const core::PublicKey& key,
                                                         const PosOptions& options);
  ~PosEngine() override;
  PosEngine(const PosEngine&) = delete;
  PosEngine& operator=(const PosEngine&) = delete;

  // One read (of a bucket, or of the part that can hold the answer) and a search. Returns
  // nullopt if the vault holds no matching record, `cancel` is set, or the read fails
  // (logged).
  std::optional<uint64_t> Solve(const core::Hash32& challenge, uint32_t difficulty,
                                const std::atomic<bool>& cancel) override;
  // kind "pos"; hashes_per_second is the generation rate of the build; records_stored the
  // vault's records.
  core::ProofStats Stats() const override;

  const VaultHeader& header() const { return header_; }
  // Zero if an existing vault was opened.
  const PosBuildTimes& build_times() const { return build_times_; }
  // True if an existing vault was opened, false if it was built now.
  bool reused() const { return reused_; }
  const std::string& path() const { return path_; }

 private:
  PosEngine(const core::Fingerprint& fingerprint, const core::PublicKey& key);
  absl::Status OpenForLookups(bool direct_io);
  // Reads records [first, first + n) of the vault into buffer_; null on error (logged).
  const core::ProofEntry* ReadRecords(uint64_t first, uint64_t n)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_);

  const core::RecordHasher hasher_;
  std::string path_;
  VaultHeader header_;
  bool reused_ = false;
  int fd_ = -1;
  bool direct_io_ = false;
  uint64_t nonces_hashed_ = 0;  // by this process (0 if reused)
  PosBuildTimes build_times_;
  absl::Mutex read_mu_;
  uint8_t* buffer_ ABSL_GUARDED_BY(read_mu_) = nullptr;  // one bucket (+ alignment)
  size_t buffer_bytes_ = 0;
  std::atomic<uint64_t> verify_hashes_{0};
  std::atomic<int64_t> last_error_log_ms_{0};
};

// pos_check: prints the vault's header and its first and last 5 records (recomputed), then
// verifies every record (recomputes it, checks its bucket, the order of each bucket, that
// no nonce repeats) and the data checksum, with `threads` threads. Each output line goes
// to `print`. Returns OK if the vault is valid, kNotFound if there is none, kDataLoss
// naming the first problem otherwise.
absl::Status CheckVault(const std::string& path, int threads,
                        const std::function<void(const std::string&)>& print);

}  // namespace dsc::validator

#endif  // DSC_VALIDATOR_POS_VAULT_H_
