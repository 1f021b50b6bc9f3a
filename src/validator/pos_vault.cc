#include "validator/pos_vault.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "crypto/crypto.h"
#include "util/base58.h"
#include "util/log.h"
#include "util/time.h"

namespace dsc::validator {

// Entries go to disk as they are in memory; the format is little-endian.
static_assert(std::endian::native == std::endian::little, "the vault format is little-endian");

using core::ProofEntry;
using core::kEntryBytes;

namespace {

constexpr char kMagic[8] = {'D', 'S', 'C', 'V', 'A', 'U', 'L', 'T'};
constexpr size_t kHeaderChecksumOffset = kVaultHeaderBytes - 32;
constexpr uint32_t kFlagFakeRecords = 1;
constexpr uint32_t kMaxBucketBits = 32;
// Phase 2 starts the disk on the sorted buckets in pieces of this size.
constexpr uint64_t kWritebackBytes = uint64_t{16} << 20;
// The largest page-cache folio (a PMD on x86-64 and arm64 with 4 KiB pages).
constexpr uint64_t kFolioBytes = uint64_t{2} << 20;

void PutU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void PutU64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t GetU32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

crypto::Hash32 Digest(const void* data, size_t n) {
  crypto::Hasher h(32);
  h.Update(absl::MakeConstSpan(static_cast<const uint8_t*>(data), n));
  return h.Final32();
}

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The data checksum's share of entries [first_index, first_index + n): a sum of mixed
// (entry, position) words, so buckets can be summed in any order while the position of
// every entry still counts. Fast (about 1 ns per entry); integrity against corruption,
// not against an adversary (pos_check recomputes every record anyway).
uint64_t ChecksumScalar(const ProofEntry* e, size_t n, uint64_t first_index) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += Mix(e[i].prefix ^ Mix(e[i].nonce ^ ((first_index + i) * 0x9E3779B97F4A7C15ull)));
  }
  return sum;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define DSC_POS_CHECKSUM_AVX512 1
// Mix on each 64-bit lane.
__attribute__((target("avx512f,avx512dq"))) inline __m512i Mix512(__m512i z, __m512i c1,
                                                                  __m512i c2) {
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_maskz_srli_epi64(0xFF, z, 30)), c1);
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_maskz_srli_epi64(0xFF, z, 27)), c2);
  return _mm512_xor_si512(z, _mm512_maskz_srli_epi64(0xFF, z, 31));
}

// ChecksumScalar, 8 entries at a time (AVX-512F/DQ: 64-bit lane multiplies); the same
// sum, as every operation is the same modulo 2^64.
__attribute__((target("avx512f,avx512dq"))) uint64_t ChecksumAvx512(const ProofEntry* e,
                                                                    size_t n,
                                                                    uint64_t first_index) {
  const __m512i golden = _mm512_set1_epi64(static_cast<long long>(0x9E3779B97F4A7C15ull));
  const __m512i c1 = _mm512_set1_epi64(static_cast<long long>(0xBF58476D1CE4E5B9ull));
  const __m512i c2 = _mm512_set1_epi64(static_cast<long long>(0x94D049BB133111EBull));
  // Even lanes of two vectors of 4 entries are prefixes, odd lanes nonces.
  const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
  __m512i index = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(first_index)),
                                   _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
  const __m512i eight = _mm512_set1_epi64(8);
  __m512i sum = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i lo = _mm512_loadu_si512(e + i);
    const __m512i hi = _mm512_loadu_si512(e + i + 4);
    const __m512i prefix = _mm512_permutex2var_epi64(lo, even, hi);
    const __m512i nonce = _mm512_permutex2var_epi64(lo, odd, hi);
    const __m512i inner =
        Mix512(_mm512_xor_si512(nonce, _mm512_mullo_epi64(index, golden)), c1, c2);
    sum = _mm512_add_epi64(sum, Mix512(_mm512_xor_si512(prefix, inner), c1, c2));
    index = _mm512_add_epi64(index, eight);
  }
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(lanes, sum);
  uint64_t total = ChecksumScalar(e + i, n - i, first_index + i);
  for (uint64_t lane : lanes) total += lane;
  return total;
}
#endif

uint64_t ChecksumOf(const ProofEntry* e, size_t n, uint64_t first_index) {
#if defined(DSC_POS_CHECKSUM_AVX512)
  static const bool avx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  if (avx512) return ChecksumAvx512(e, n, first_index);
#endif
  return ChecksumScalar(e, n, first_index);
}

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string Size(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30)) return absl::StrFormat("%.2f GiB", bytes / 1073741824.0);
  if (bytes >= (uint64_t{1} << 20)) return absl::StrFormat("%.2f MiB", bytes / 1048576.0);
  if (bytes >= (uint64_t{1} << 10)) return absl::StrFormat("%.2f KiB", bytes / 1024.0);
  return absl::StrCat(bytes, " bytes");
}

std::string GeometryText(const PosGeometry& g) {
  return absl::StrCat("buckets=", g.buckets, ", cups_per_bucket=", g.cups_per_bucket,
                      ", cup_size=", g.cup_size, " (", g.records(), " records, ",
                      Size(g.file_bytes()), ")");
}

std::array<uint8_t, kVaultHeaderBytes> EncodeHeader(const VaultHeader& h) {
  std::array<uint8_t, kVaultHeaderBytes> b{};
  std::memcpy(b.data(), kMagic, sizeof(kMagic));
  PutU32(&b[8], h.version);
  PutU32(&b[12], h.entry_bytes);
  std::memcpy(&b[16], h.fingerprint.data(), 16);
  std::memcpy(&b[32], h.key.data(), 32);
  PutU32(&b[64], h.geometry.bucket_bits());
  PutU32(&b[68], h.fake_records ? kFlagFakeRecords : 0);
  PutU64(&b[72], h.geometry.cup_size);
  PutU64(&b[80], h.geometry.cups_per_bucket);
  PutU64(&b[88], h.records);
  PutU64(&b[96], h.nonces);
  PutU64(&b[104], h.file_bytes);
  PutU64(&b[112], static_cast<uint64_t>(h.created_ms));
  PutU64(&b[120], h.generate_ms);
  PutU64(&b[128], h.sort_ms);
  PutU64(&b[136], h.data_checksum);
  const crypto::Hash32 sum = Digest(b.data(), kHeaderChecksumOffset);
  std::memcpy(&b[kHeaderChecksumOffset], sum.data(), 32);
  return b;
}

absl::StatusOr<VaultHeader> DecodeHeader(const uint8_t* b) {
  if (std::memcmp(b, kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("is not a DSC vault (no DSCVAULT magic at the start)");
  }
  VaultHeader h;
  h.version = GetU32(&b[8]);
  if (h.version != kVaultFormatVersion) {
    return absl::DataLossError(absl::StrCat("has format version ", h.version,
                                            ", this dscd reads version ", kVaultFormatVersion));
  }
  if (Digest(b, kHeaderChecksumOffset) !=
      *reinterpret_cast<const crypto::Hash32*>(&b[kHeaderChecksumOffset])) {
    return absl::DataLossError("has a corrupt header (header checksum mismatch)");
  }
  h.entry_bytes = GetU32(&b[12]);
  std::memcpy(h.fingerprint.data(), &b[16], 16);
  std::memcpy(h.key.data(), &b[32], 32);
  const uint32_t bits = GetU32(&b[64]);
  h.fake_records = (GetU32(&b[68]) & kFlagFakeRecords) != 0;
  h.geometry.cup_size = GetU64(&b[72]);
  h.geometry.cups_per_bucket = GetU64(&b[80]);
  h.records = GetU64(&b[88]);
  h.nonces = GetU64(&b[96]);
  h.file_bytes = GetU64(&b[104]);
  h.created_ms = static_cast<int64_t>(GetU64(&b[112]));
  h.generate_ms = GetU64(&b[120]);
  h.sort_ms = GetU64(&b[128]);
  h.data_checksum = GetU64(&b[136]);
  if (bits > kMaxBucketBits || h.entry_bytes != kEntryBytes || h.geometry.cup_size == 0 ||
      h.geometry.cups_per_bucket == 0) {
    return absl::DataLossError("has an impossible geometry in its header");
  }
  h.geometry.buckets = uint64_t{1} << bits;
  uint64_t records = 0;
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(h.geometry.buckets, h.geometry.bucket_records(), &records) ||
      __builtin_mul_overflow(records, kEntryBytes, &bytes) || records != h.records ||
      h.file_bytes != kVaultHeaderBytes + bytes) {
    return absl::DataLossError("has an inconsistent geometry in its header");
  }
  return h;
}

absl::Status ErrnoError(int err, const std::string& what) {
  return absl::ErrnoToStatus(err, what);
}

using WriteFault = std::function<absl::Status(uint64_t offset, uint64_t bytes)>;

// PosOptions::write_fault's verdict on a write of `bytes` at `offset` (OK without one).
absl::Status InjectedFault(const WriteFault* fault, uint64_t offset, uint64_t bytes) {
  return fault != nullptr && *fault ? (*fault)(offset, bytes) : absl::OkStatus();
}

absl::Status PWriteAll(int fd, const void* data, size_t n, uint64_t offset,
                       const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("cannot write ", path));
    }
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return absl::OkStatus();
}

// Reads up to n bytes; returns how many were read (fewer only at the end of the file).
absl::StatusOr<size_t> PRead(int fd, void* data, size_t n, uint64_t offset,
                             const std::string& path) {
  char* p = static_cast<char*>(data);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, p + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("cannot read ", path));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

absl::Status PReadAll(int fd, void* data, size_t n, uint64_t offset, const std::string& path) {
  auto got = PRead(fd, data, n, offset, path);
  if (!got.ok()) return got.status();
  if (*got != n) {
    return absl::DataLossError(absl::StrCat(path, " is truncated: nothing to read at byte ",
                                            offset + *got));
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& path) {
  const std::string dir = std::filesystem::absolute(path).parent_path().string();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, absl::StrCat("cannot open ", dir));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError(err, absl::StrCat("cannot sync ", dir));
  return absl::OkStatus();
}

// Where the in-RAM build's writers take the bytes they write: the file's image in RAM.
struct FileImage {
  const uint8_t* bytes = nullptr;  // byte i of the file at bytes[i]; 4 KiB aligned
  int direct_fd = -1;              // the file opened with O_DIRECT, or -1
  uint64_t direct_align = 0;       // offsets and lengths of direct writes: multiples of it
};

// Writer threads ("pos-writer"): write buffers at their place in the vault and hand them
// back to the pool. Bounded: Acquire blocks until a writer has freed a buffer. With
// `writeback`, each write is followed by sync_file_range(SYNC_FILE_RANGE_WRITE), which
// starts the disk on those pages without waiting for it, so the disk works while the
// callers prepare the next buffers. A job without a buffer (Submit(nullptr, ...)) marks
// bytes already in the page cache (written through a mapping) for the writeback alone,
// or, with an `image`, bytes of the image ready to be written.
class Writers {
 public:
  // With `writeback`, the writes are expected to cover the file from byte `first` to
  // byte `last`.
  // With `map` (a shared mapping of the whole file), the bytes are unmapped before their
  // writeback starts, which then need not write-protect them page by page.
  // With `image` (and `writeback`), the ready bytes are written from the image in pieces
  // of at least kWritebackBytes ending on 2 MiB boundaries (or at `last`): with O_DIRECT
  // (no copy, no page cache) where the image has a direct descriptor and the piece is
  // aligned to it, else with pwrite followed by the writeback hint; a direct write the
  // file system refuses (EINVAL) turns direct writes off.
  // `fault`: PosOptions::write_fault (tests), consulted before every write. `cancel`
  // (PosOptions::cancel): once set, the writers write nothing more and Finish() returns
  // kCancelled.
  Writers(int fd, std::string path, int threads, bool writeback, uint64_t first = 0,
          uint64_t last = 0, uint8_t* map = nullptr, FileImage image = {},
          const WriteFault* fault = nullptr, const std::atomic<bool>* cancel = nullptr)
      : fd_(fd),
        fault_(fault),
        cancel_(cancel),
        path_(std::move(path)),
        writeback_(writeback),
        last_(last),
        map_(map),
        image_(image),
        direct_(image.bytes != nullptr && image.direct_fd >= 0 && image.direct_align > 0),
        started_(first) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~Writers() { (void)Finish(); }

  void Release(ProofEntry* buffer) {
    absl::MutexLock lock(&mu_);
    free_.push_back(buffer);
  }
  ProofEntry* Acquire() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !free_.empty(); };
    mu_.Await(absl::Condition(&ready));
    ProofEntry* buffer = free_.back();
    free_.pop_back();
    return buffer;
  }
  // Moves up to `n` free buffers (at least one; blocks until there is one) to *out.
  void AcquireSome(size_t n, std::vector<ProofEntry*>* out) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !free_.empty(); };
    mu_.Await(absl::Condition(&ready));
    while (n-- > 0 && !free_.empty()) {
      out->push_back(free_.back());
      free_.pop_back();
    }
  }
  // Writes entries[0..n) at byte `offset`, then releases `entries`; with null `entries`,
  // only starts the writeback of those bytes (already in the page cache).
  void Submit(ProofEntry* entries, size_t n, uint64_t offset) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(Job{entries, n * kEntryBytes, offset});
  }
  // Submit(entries, n, offset) for each (entries, offset) of `jobs`, which it empties.
  void SubmitAll(std::vector<std::pair<ProofEntry*, uint64_t>>* jobs, size_t n) {
    if (jobs->empty()) return;
    absl::MutexLock lock(&mu_);
    for (const auto& [entries, offset] : *jobs) {
      queue_.push_back(Job{entries, n * kEntryBytes, offset});
    }
    jobs->clear();
  }
  bool failed() {
    absl::MutexLock lock(&mu_);
    return !error_.ok();
  }
  // Bytes of the image written with O_DIRECT so far.
  uint64_t direct_bytes() const { return direct_bytes_.load(); }
  // Writes what is queued, stops the threads and returns the first write error.
  absl::Status Finish() {
    {
      absl::MutexLock lock(&mu_);
      closing_ = true;
    }
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    absl::MutexLock lock(&mu_);
    return error_;
  }

 private:
  struct Job {
    ProofEntry* entries;
    size_t bytes;
    uint64_t offset;
  };

  void Run() {
    pthread_setname_np(pthread_self(), "pos-writer");
    while (true) {
      Job job;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return closing_ || !queue_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;
        job = queue_.front();
        queue_.pop_front();
      }
      absl::Status s;
      if (job.entries != nullptr) {
        s = CancelCheck();
        if (s.ok()) s = InjectedFault(fault_, job.offset, job.bytes);
        if (s.ok()) s = PWriteAll(fd_, job.entries, job.bytes, job.offset, path_);
      }
      uint64_t from = 0;
      uint64_t to = 0;
      {
        absl::MutexLock lock(&mu_);
        if (!s.ok() && error_.ok()) error_ = s;
        if (job.entries != nullptr) free_.push_back(job.entries);
        if (!s.ok() || !writeback_) continue;
        // Start the disk on the written bytes that follow the ones already started, once
        // they are at least kWritebackBytes (or the last).
        written_[job.offset] = job.offset + job.bytes;
        uint64_t end = started_;
        for (auto it = written_.begin(); it != written_.end() && it->first <= end;) {
          end = std::max(end, it->second);
          it = written_.erase(it);
        }
        if (end > started_) written_[started_] = end;
        // The page cache holds the file in folios of up to 2 MiB, and the disk writes a
        // folio whole: a piece ends on a 2 MiB boundary, so that no folio is written
        // before its last bytes are (and then again), except at the end of the file.
        const uint64_t cut = end == last_ ? end : end / kFolioBytes * kFolioBytes;
        if (cut > started_ &&
            (cut - started_ >= kWritebackBytes || cut == last_ || (queue_.empty() && closing_))) {
          from = started_;
          to = cut;
          written_.erase(started_);
          if (end > cut) written_[cut] = end;
          started_ = cut;
        }
      }
      if (to > from && image_.bytes != nullptr) {
        absl::Status w = WriteImage(from, to);
        if (!w.ok()) {
          absl::MutexLock lock(&mu_);
          if (error_.ok()) error_ = std::move(w);
        }
        continue;
      }
      // Only a hint: a file system without it (EINVAL, ENOSYS, ...) writes the pages back
      // later, and an I/O error on them surfaces in the build's final fdatasync.
      if (to > from) {
        if (map_ != nullptr) {
          const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
          const uint64_t lo = (from + page - 1) / page * page;
          const uint64_t hi = to == last_ ? to : to / page * page;
          if (hi > lo) ::munmap(map_ + lo, hi - lo);
        }
        (void)::sync_file_range(fd_, static_cast<off_t>(from), static_cast<off_t>(to - from),
                                SYNC_FILE_RANGE_WRITE);
      }
    }
  }

  // Writes the image's bytes [from, to) at their place in the file: the aligned part with
  // O_DIRECT while direct writes work, the rest through the page cache.
  absl::Status WriteImage(uint64_t from, uint64_t to) {
    if (absl::Status c = CancelCheck(); !c.ok()) return c;
    if (absl::Status f = InjectedFault(fault_, from, to - from); !f.ok()) return f;
    const uint64_t align = image_.direct_align;
    const uint64_t direct_to = align == 0 ? from : to / align * align;
    if (direct_.load(std::memory_order_relaxed) && from % align == 0 && direct_to > from) {
      absl::Status s = PWriteAll(image_.direct_fd, image_.bytes + from, direct_to - from, from,
                                 path_);
      if (s.ok()) {
        direct_bytes_.fetch_add(direct_to - from, std::memory_order_relaxed);
        from = direct_to;
      } else if (absl::IsInvalidArgument(s)) {
        direct_ = false;  // the file system wants other alignments: write through the cache
      } else {
        return s;
      }
    }
    if (to == from) return absl::OkStatus();
    if (absl::Status s = PWriteAll(fd_, image_.bytes + from, to - from, from, path_); !s.ok()) {
      return s;
    }
    (void)::sync_file_range(fd_, static_cast<off_t>(from), static_cast<off_t>(to - from),
                            SYNC_FILE_RANGE_WRITE);
    return absl::OkStatus();
  }

  // OK, or kCancelled once the build's cancel flag is set.
  absl::Status CancelCheck() const {
    return cancel_ != nullptr && cancel_->load() ? absl::CancelledError("vault build interrupted")
                                                 : absl::OkStatus();
  }

  const int fd_;
  const WriteFault* const fault_;
  const std::atomic<bool>* const cancel_;
  const std::string path_;
  const bool writeback_;
  const uint64_t last_;
  uint8_t* const map_;
  const FileImage image_;
  std::atomic<bool> direct_;  // direct writes still work
  std::atomic<uint64_t> direct_bytes_{0};
  absl::Mutex mu_;
  std::vector<ProofEntry*> free_ ABSL_GUARDED_BY(mu_);
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  uint64_t started_ ABSL_GUARDED_BY(mu_);  // writeback started on [first write, started_)
  std::map<uint64_t, uint64_t> written_ ABSL_GUARDED_BY(mu_);  // written, not started
  std::vector<std::thread> threads_;
};

// Runs fn(0), ..., fn(n - 1) at once, fn(0) on the calling thread and the others on n - 1
// helper threads ("pos-deal"), and returns when all have returned.
class Gang {
 public:
  explicit Gang(int n) : n_(std::max(1, n)) {
    for (int i = 1; i < n_; ++i) threads_.emplace_back([this, i] { Run(i); });
  }
  ~Gang() {
    {
      absl::MutexLock lock(&mu_);
      quit_ = true;
    }
    for (auto& t : threads_) t.join();
  }
  int size() const { return n_; }
  void RunAll(const std::function<void(int)>& fn) {
    if (n_ > 1) {
      absl::MutexLock lock(&mu_);
      fn_ = &fn;
      ++round_;
      pending_ = n_ - 1;
    }
    fn(0);
    if (n_ > 1) {
      absl::MutexLock lock(&mu_);
      auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_ == 0; };
      mu_.Await(absl::Condition(&done));
    }
  }

 private:
  void Run(int i) {
    pthread_setname_np(pthread_self(), "pos-deal");
    uint64_t seen = 0;
    while (true) {
      const std::function<void(int)>* fn;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return quit_ || round_ > seen; };
        mu_.Await(absl::Condition(&ready));
        if (quit_) return;
        seen = round_;
        fn = fn_;
      }
      (*fn)(i);
      absl::MutexLock lock(&mu_);
      --pending_;
    }
  }

  const int n_;
  absl::Mutex mu_;
  const std::function<void(int)>* fn_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t round_ ABSL_GUARDED_BY(mu_) = 0;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool quit_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// Full and free cups move between a dealer and the writers this many at a time.
constexpr size_t kCupsPerHandoff = 32;

size_t SpareCups(int dealers, int threads_io) {
  return static_cast<size_t>(dealers) * 4 * kCupsPerHandoff +
         static_cast<size_t>(std::max(16, 4 * threads_io));
}

int SortWorkers(const PosGeometry& g, int threads_hash, int threads_io) {
  return static_cast<int>(
      std::min<uint64_t>(std::max({1, threads_hash, threads_io}), g.buckets));
}

size_t BatchFor(uint64_t records) {
  return static_cast<size_t>(std::clamp<uint64_t>(records / 64, 4096, uint64_t{1} << 18));
}

// Dealer d's part [*lo, *hi) of a batch of n entries split among `dealers` threads.
void PartOf(size_t n, int d, int dealers, size_t* lo, size_t* hi) {
  *lo = n * static_cast<size_t>(d) / static_cast<size_t>(dealers);
  *hi = n * static_cast<size_t>(d + 1) / static_cast<size_t>(dealers);
}

// Adds each entry of batch[lo, hi) to its bucket's count.
void CountBuckets(const ProofEntry* batch, size_t lo, size_t hi, uint32_t bits, uint32_t* count) {
  for (size_t i = lo; i < hi; ++i) ++count[core::BucketOf(batch[i].prefix, bits)];
}

// Threads that deal each batch: `requested` if not 0, else one per hashing thread (at most
// 4) when the machine has a core for each dealing and each hashing thread, else one (on
// fewer cores the dealers only take turns with the hashing threads). Parallel dealing
// needs a batch large against the bucket count (the per-batch bookkeeping is per bucket).
int Dealers(const PosGeometry& g, int threads_hash, int requested) {
  if (g.buckets * 16 > BatchFor(g.records())) return 1;
  if (requested > 0) return std::min(requested, 4);
  if (threads_hash < 2 ||
      std::thread::hardware_concurrency() < 2 * static_cast<unsigned>(threads_hash)) {
    return 1;
  }
  return std::min(threads_hash, 4);
}

// Dealing threads of the mapped build: `requested` if not 0 (at most 4), else one per
// hashing thread up to the cores (at most 4): there the dealers also take the page faults
// that bring the vault into the page cache, work worth spreading over every core even when
// the hashing threads share them. One if the batch is not large against the bucket count.
int MappedDealers(const PosGeometry& g, int threads_hash, int requested) {
  if (g.buckets * 16 > BatchFor(g.records())) return 1;
  if (requested > 0) return std::min(requested, 4);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::clamp(std::min(threads_hash, cores), 1, 4);
}

// Sorted buckets in flight in phase 2: one being read and sorted per sorter, one being
// written per writer, and one waiting.
size_t BucketBuffers(const PosGeometry& g, int threads_hash, int threads_io) {
  return static_cast<size_t>(SortWorkers(g, threads_hash, threads_io) + std::max(1, threads_io) +
                             1);
}

// CPU time of this process so far (all threads, user + system), in seconds.
double ProcessCpuSeconds() {
  struct rusage u;
  if (::getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// RAM the kernel can give without swapping (MemAvailable), or 0 if unknown.
uint64_t AvailableRamBytes() {
  FILE* f = std::fopen("/proc/meminfo", "re");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kib = 0;
  bool found = false;
  // Bounded by the file: one line per pass.
  while (!found && std::fgets(line, sizeof(line), f) != nullptr) {
    found = std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
  }
  std::fclose(f);
  return found ? static_cast<uint64_t>(kib) * 1024 : 0;
}

// The largest vault data the in-RAM build takes (see PosOptions::ram_build_bytes).
uint64_t RamLimitBytes(const PosOptions& o) {
  return o.ram_build_bytes != 0 ? o.ram_build_bytes : AvailableRamBytes() / 2;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

struct Built {
  VaultHeader header;
  PosBuildTimes times;
  uint64_t nonces_hashed = 0;
};

// One dealing thread's state: its own cup per bucket, and per bucket the entries it has
// counted in this batch or the next slot it gives out.
struct Dealer {
  std::vector<ProofEntry*> cup;   // the bucket's cup this dealer fills
  std::vector<uint32_t> fill;     // entries in that cup
  std::vector<uint32_t> count;    // entries of the bucket in this batch (part)
  std::vector<uint64_t> slot;     // the bucket's next slot, in nonce order
  uint64_t filled = 0;            // buckets this dealer filled (single dealer only)
  // Full cups not yet handed to the writers, and free cups taken from them: one lock per
  // kCupsPerHandoff cups instead of one per cup.
  std::vector<std::pair<ProofEntry*, uint64_t>> full;
  std::vector<ProofEntry*> free;
};

// Deals entries[0..n) into `me`'s cups; a full cup goes to `place`. With kExact, each
// entry takes its bucket's next slot and entries past the bucket's capacity are dropped;
// otherwise no bucket can overflow in this part and entries are only counted.
template <bool kExact, typename Place>
void Deal(Dealer& me, const ProofEntry* entries, size_t n, uint32_t bits, uint64_t capacity,
          uint32_t cup_size, const Place& place) {
  ProofEntry* const* cup = me.cup.data();
  uint32_t* fill = me.fill.data();
  for (size_t i = 0; i < n; ++i) {
    const uint64_t b = core::BucketOf(entries[i].prefix, bits);
    if constexpr (kExact) {
      const uint64_t slot = me.slot[b]++;
      if (slot >= capacity) continue;
      if (slot + 1 == capacity) ++me.filled;
    } else {
      ++me.count[b];
    }
    const uint32_t f = fill[b];
    cup[b][f] = entries[i];
    if (f + 1 == cup_size) {
      place(b);  // replaces cup[b]
      fill[b] = 0;
    } else {
      fill[b] = f + 1;
    }
  }
}

// Deals entries[0..n) in place: each entry goes to the next free slot of its bucket
// (`next`, per bucket) in `data` (bucket b at b * capacity), and entries of full buckets
// are dropped. Returns how many buckets it filled. Plain stores: a bucket's line being
// filled stays in the cache, and the hardware fetches the next ones ahead; gathering lines
// in a buffer and writing them whole with non-temporal stores took 2.4 times as long per
// entry (an unpredictable branch per entry, whichever the number of buckets).
uint64_t DealInPlace(const ProofEntry* entries, size_t n, uint32_t bits, uint64_t capacity,
                     uint64_t* next, ProofEntry* data) {
  uint64_t filled = 0;
  for (size_t i = 0; i < n; ++i) {
    const ProofEntry e = entries[i];
    const uint64_t b = core::BucketOf(e.prefix, bits);
    const uint64_t s = next[b];
    if (s < capacity) {
      data[b * capacity + s] = e;
      next[b] = s + 1;
      filled += s + 1 == capacity;
    }
  }
  return filled;
}

// Phase 1 of the mapped and in-RAM builds: deals the entries of `source`, in nonce order,
// straight into their bucket's next free slot in `data` (the mapped file or its image in
// RAM, past the header), keeping each bucket's first bucket_records. With several dealers,
// each deals its part of a batch into the slots it was handed: the bucket's next ones in
// nonce order, after the counts of the earlier parts.
absl::StatusOr<core::GenerateResult> DealMapped(const PosOptions& o,
                                                const core::EntrySource& source, int dealers,
                                                ProofEntry* data, core::ProgressMeter* meter) {
  const PosGeometry& g = o.geometry;
  const uint32_t bits = g.bucket_bits();
  const uint64_t capacity = g.bucket_records();
  struct MapDealer {
    std::vector<uint64_t> next;   // per bucket: the next slot this dealer fills
    std::vector<uint32_t> count;  // per bucket: entries of its part of the batch
    uint64_t filled = 0;          // buckets it filled (single dealer)
  };
  std::vector<MapDealer> dealer(static_cast<size_t>(dealers));
  for (MapDealer& me : dealer) {
    me.next.assign(g.buckets, 0);
    if (dealers > 1) me.count.assign(g.buckets, 0);
  }
  std::vector<uint64_t> taken(dealers > 1 ? g.buckets : 0, 0);  // slots handed out
  uint64_t full = 0;
  uint64_t offered = 0;
  Gang gang(dealers);
  const ProofEntry* batch = nullptr;
  size_t batch_n = 0;
  auto part = [&](int d, size_t* lo, size_t* hi) { PartOf(batch_n, d, dealers, lo, hi); };
  const std::function<void(int)> count_part = [&](int d) {
    size_t lo, hi;
    part(d, &lo, &hi);
    CountBuckets(batch, lo, hi, bits, dealer[static_cast<size_t>(d)].count.data());
  };
  const std::function<void(int)> deal_part = [&](int d) {
    size_t lo, hi;
    part(d, &lo, &hi);
    MapDealer& me = dealer[static_cast<size_t>(d)];
    me.filled += DealInPlace(batch + lo, hi - lo, bits, capacity, me.next.data(), data);
  };
  auto sink = [&](const ProofEntry* entries, size_t n) {
    batch = entries;
    batch_n = n;
    if (dealers == 1) {
      deal_part(0);
      full = dealer[0].filled;
    } else {
      gang.RunAll(count_part);
      // Dealer d's slots of bucket b follow those of the parts before it, one per entry of
      // its part (those past the capacity are dropped).
      for (uint64_t b = 0; b < g.buckets; ++b) {
        uint64_t t = taken[b];
        for (MapDealer& me : dealer) {
          me.next[b] = std::min(t, capacity);
          t += std::exchange(me.count[b], 0);
        }
        if (taken[b] < capacity && t >= capacity) ++full;
        taken[b] = t;
      }
      gang.RunAll(deal_part);
    }
    offered += n;
    meter->Update(std::min(offered, g.records()) * kEntryBytes);
    return full == g.buckets;
  };
  return core::GenerateInOrder(source, o.threads_hash, BatchFor(g.records()), o.cancel, sink);
}

// Phase 2 of the mapped and in-RAM builds: every bucket of `data`, in file order, is sorted
// in place by one of the sorting threads and checksummed; the writer threads start the disk
// on the sorted buckets at once. Mapped (`image` empty), `data` is the shared mapping of
// the file past its header; in RAM, `data` is image.bytes past the header and the writers
// write the sorted buckets from it, and *direct_bytes says how many bytes went with
// O_DIRECT. Returns the data checksum, or the first write error.
absl::StatusOr<uint64_t> SortMapped(const PosOptions& o, int fd, const std::string& partial,
                                    ProofEntry* data, const FileImage& image,
                                    core::ProgressMeter* meter, uint64_t* direct_bytes) {
  const PosGeometry& g = o.geometry;
  const uint32_t bits = g.bucket_bits();
  const uint64_t capacity = g.bucket_records();
  const uint64_t bytes = capacity * kEntryBytes;
  const int sorters = SortWorkers(g, o.threads_hash, o.threads_io);
  // In 2 MiB pages if the kernel has them for us (the sort's scatter then misses the TLB
  // less).
  const size_t scratch_bytes = (static_cast<size_t>(sorters) * bytes + kFolioBytes - 1) /
                               kFolioBytes * kFolioBytes;
  std::unique_ptr<ProofEntry, decltype(&std::free)> scratch(
      static_cast<ProofEntry*>(std::aligned_alloc(kFolioBytes, scratch_bytes)), &std::free);
  if (scratch != nullptr) (void)::madvise(scratch.get(), scratch_bytes, MADV_HUGEPAGE);
  if (scratch == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot allocate ", Size(static_cast<uint64_t>(sorters) * bytes),
        " of RAM to sort the vault's buckets"));
  }
  std::atomic<uint64_t> checksum{0};
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<bool> cancelled{false};
  absl::Status error;
  {
    Writers writers(fd, partial, o.threads_io, /*writeback=*/true, kVaultHeaderBytes,
                    g.file_bytes(),
                    image.bytes != nullptr
                        ? nullptr
                        : reinterpret_cast<uint8_t*>(data) - kVaultHeaderBytes,
                    image, &o.write_fault, o.cancel);
    auto sorter = [&](int index) {
      if (index > 0) pthread_setname_np(pthread_self(), "pos-sort");
      ProofEntry* mine = scratch.get() + static_cast<size_t>(index) * capacity;
      for (uint64_t b = next++; b < g.buckets && !cancelled; b = next++) {
        if (o.cancel != nullptr && o.cancel->load(std::memory_order_relaxed)) {
          cancelled = true;
          return;
        }
        if (writers.failed()) return;  // Finish() returns the error
        ProofEntry* bucket = data + b * capacity;
        core::SortEntries(bucket, capacity, bits, mine);
        checksum.fetch_add(ChecksumOf(bucket, capacity, b * capacity),
                           std::memory_order_relaxed);
        writers.Submit(nullptr, capacity, kVaultHeaderBytes + b * bytes);
        const uint64_t finished = ++done;
        if (index == 0) meter->Update(finished * bytes);
      }
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < sorters; ++i) pool.emplace_back(sorter, i);
    sorter(0);
    for (auto& t : pool) t.join();
    error = writers.Finish();
    *direct_bytes = writers.direct_bytes();
  }
  if (cancelled) return absl::CancelledError("vault build interrupted");
  if (!error.ok()) return error;
  return checksum.load();
}

// Builds the vault into <path>.partial and renames it to <path> when complete.
absl::StatusOr<Built> BuildVault(const core::Fingerprint& fingerprint, const core::PublicKey& key,
                                 const core::RecordHasher& hasher, const PosOptions& o) {
  const double cpu_start = ProcessCpuSeconds();
  const PosGeometry& g = o.geometry;
  const core::TableLayout layout = g.layout();
  const uint32_t bits = layout.bucket_bits;
  const uint64_t cup_size = g.cup_size;
  const uint64_t bucket_records = g.bucket_records();
  const std::string partial = o.path + ".partial";
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(o.path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  Fd fd(::open(partial.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoError(errno, absl::StrCat("cannot create ", partial));
  struct RemoveOnFailure {
    const std::string& path;
    bool keep = false;
    ~RemoveOnFailure() {
      if (!keep) ::unlink(path.c_str());
    }
  } cleanup{partial};

  const int rc = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(g.file_bytes()));
  if (rc == ENOSPC) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "not enough free disk for the vault: it needs ", Size(g.file_bytes()), " at ", partial));
  }
  if (rc != 0 && ::ftruncate(fd.get(), static_cast<off_t>(g.file_bytes())) != 0) {
    return ErrnoError(errno, absl::StrCat("cannot size ", partial));
  }

  VaultHeader h;
  h.fingerprint = fingerprint;
  h.key = key;
  h.geometry = g;
  h.records = g.records();
  h.file_bytes = g.file_bytes();
  h.created_ms = util::NowMillis();
  h.fake_records = static_cast<bool>(o.fake_source);
  Built built;

  // The in-RAM build: the file's image in anonymous memory (2 MiB pages where the kernel
  // has them), for a vault within the RAM limit; the page cache does not hold the vault.
  struct Image {
    void* region = MAP_FAILED;  // as mapped: image bytes plus up to 2 MiB to align them
    size_t region_bytes = 0;
    uint8_t* bytes = nullptr;   // 2 MiB aligned
    ~Image() {
      if (region != MAP_FAILED) ::munmap(region, region_bytes);
    }
  } image;
  if (o.build_in_ram && g.data_bytes() <= RamLimitBytes(o)) {
    image.region_bytes = static_cast<size_t>(g.file_bytes() + kFolioBytes);
    image.region = ::mmap(nullptr, image.region_bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (image.region != MAP_FAILED) {
      const uintptr_t at = reinterpret_cast<uintptr_t>(image.region);
      image.bytes = reinterpret_cast<uint8_t*>((at + kFolioBytes - 1) / kFolioBytes * kFolioBytes);
      // A hint: 4 KiB pages work too, with 512 times the faults.
      (void)::madvise(image.bytes, static_cast<size_t>(g.file_bytes()), MADV_HUGEPAGE);
    }
  }
  // Direct writes of the image: where the file system takes them, in blocks of its size.
  Fd direct(image.bytes != nullptr && o.direct_writes
                ? ::open(partial.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC)
                : -1);
  FileImage file_image;
  if (image.bytes != nullptr) {
    file_image.bytes = image.bytes;
    struct stat st;
    if (direct.get() >= 0 && ::fstat(direct.get(), &st) == 0 && st.st_blksize > 0 &&
        kFolioBytes % static_cast<uint64_t>(st.st_blksize) == 0) {
      file_image.direct_fd = direct.get();
      file_image.direct_align = std::max<uint64_t>(4096, static_cast<uint64_t>(st.st_blksize));
    }
  }

  // The mapped build needs the file's blocks reserved (a store through the mapping cannot
  // report a full disk) and a shared writable mapping; otherwise the build uses cups.
  void* map = MAP_FAILED;
  if (image.bytes == nullptr && o.map_file && rc == 0) {
    map = ::mmap(nullptr, g.file_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    // Large folios: a page fault then fills a whole 2 MiB at once (a hint; 4 KiB pages
    // work too, with 512 times the faults).
    if (map != MAP_FAILED) (void)::madvise(map, g.file_bytes(), MADV_HUGEPAGE);
  }
  struct Unmap {
    void* map;
    size_t bytes;
    ~Unmap() {
      if (map != MAP_FAILED) ::munmap(map, bytes);
    }
  } unmap{map, g.file_bytes()};
  // Where phase 1 deals and phase 2 sorts in place: the image or the mapping, past the
  // header; null for the build with cups.
  ProofEntry* const mapped =
      image.bytes != nullptr ? reinterpret_cast<ProofEntry*>(image.bytes + kVaultHeaderBytes)
      : map == MAP_FAILED
          ? nullptr
          : reinterpret_cast<ProofEntry*>(static_cast<uint8_t*>(map) + kVaultHeaderBytes);
  built.times.method = image.bytes != nullptr ? PosBuildMethod::kInRam
                       : mapped != nullptr    ? PosBuildMethod::kMapped
                                              : PosBuildMethod::kCups;
  const core::EntrySource source = o.fake_source ? o.fake_source : core::HashingSource(hasher);

  // Phase 1: hash in nonce order; `dealers` threads deal each batch, each its own part of
  // it into its own cups, and full cups are written at the next free cup of their bucket
  // (the order within a bucket does not matter: phase 2 sorts it). Which entries a bucket
  // keeps is decided exactly as one thread would: its first bucket_records in nonce order.
  // While no bucket can overflow in a batch the parts are dealt at once; otherwise each
  // dealer first counts its part per bucket and the slots are handed out in nonce order.
  // Mapped or in RAM, the dealers store each entry at its slot in the mapping or the image
  // instead (DealMapped).
  const int dealers = mapped != nullptr ? MappedDealers(g, o.threads_hash, o.threads_deal)
                                        : Dealers(g, o.threads_hash, o.threads_deal);
  absl::StatusOr<core::GenerateResult> generated;
  absl::Status written;
  core::ProgressMeter generate(o.progress, "generate", g.data_bytes());
  if (mapped != nullptr) {
    generated = DealMapped(o, source, dealers, mapped, &generate);
  } else {
    const size_t spare = SpareCups(dealers, o.threads_io);
    const uint64_t cups_in_ram = static_cast<uint64_t>(dealers) * g.buckets + spare;
    std::unique_ptr<ProofEntry[]> cups(new (std::nothrow) ProofEntry[cups_in_ram * cup_size]);
    if (cups == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot allocate ", Size(cups_in_ram * cup_size * kEntryBytes),
                       " of RAM for the vault's cups (buckets x cup_size per dealing thread)"));
    }
    Writers writers(fd.get(), partial, o.threads_io, /*writeback=*/false, 0, 0, nullptr, {},
                    &o.write_fault, o.cancel);
    std::vector<Dealer> dealer(static_cast<size_t>(dealers));
    for (int d = 0; d < dealers; ++d) {
      Dealer& me = dealer[static_cast<size_t>(d)];
      me.cup.resize(g.buckets);
      for (uint64_t b = 0; b < g.buckets; ++b) {
        me.cup[b] = &cups[(static_cast<uint64_t>(d) * g.buckets + b) * cup_size];
      }
      me.fill.assign(g.buckets, 0);
      me.count.assign(dealers > 1 ? g.buckets : 0, 0);
      me.slot.assign(g.buckets, 0);
    }
    for (size_t i = 0; i < spare; ++i) {
      writers.Release(&cups[(static_cast<uint64_t>(dealers) * g.buckets + i) * cup_size]);
    }
    // Cups written per bucket; a dealer's full cup takes the bucket's next one.
    std::unique_ptr<std::atomic<uint64_t>[]> placed(new std::atomic<uint64_t>[g.buckets]);
    for (uint64_t b = 0; b < g.buckets; ++b) placed[b] = 0;
    std::vector<uint64_t> taken(dealers > 1 ? g.buckets : 0, 0);  // slots given out
    uint64_t most_taken = 0;
    uint64_t full = 0;
    uint64_t offered = 0;
    Gang gang(dealers);
    const ProofEntry* batch = nullptr;
    size_t batch_n = 0;
    bool exact = dealers == 1;
    auto part = [&](int d, size_t* lo, size_t* hi) { PartOf(batch_n, d, dealers, lo, hi); };
    const std::function<void(int)> count_part = [&](int d) {
      size_t lo, hi;
      part(d, &lo, &hi);
      CountBuckets(batch, lo, hi, bits, dealer[static_cast<size_t>(d)].count.data());
    };
    const std::function<void(int)> deal_part = [&](int d) {
      size_t lo, hi;
      part(d, &lo, &hi);
      Dealer& me = dealer[static_cast<size_t>(d)];
      auto place = [&](uint64_t b) {
        const uint64_t cup = placed[b].fetch_add(1, std::memory_order_relaxed);
        me.full.emplace_back(me.cup[b], kVaultHeaderBytes +
                                            (b * bucket_records + cup * cup_size) * kEntryBytes);
        if (me.free.empty()) {
          writers.SubmitAll(&me.full, cup_size);
          writers.AcquireSome(kCupsPerHandoff, &me.free);
        }
        me.cup[b] = me.free.back();
        me.free.pop_back();
      };
      const uint32_t cs = static_cast<uint32_t>(cup_size);
      if (exact) {
        Deal<true>(me, batch + lo, hi - lo, bits, bucket_records, cs, place);
      } else {
        Deal<false>(me, batch + lo, hi - lo, bits, bucket_records, cs, place);
      }
      writers.SubmitAll(&me.full, cup_size);
    };
    // Adds the parts' counts to `taken`; with `hand_out`, first gives each dealer its
    // slots: the bucket's slots in nonce order, dealer 0's part first.
    auto tally = [&](bool hand_out) {
      for (uint64_t b = 0; b < g.buckets; ++b) {
        uint64_t t = taken[b];
        for (Dealer& me : dealer) {
          if (hand_out) me.slot[b] = t;
          t += std::exchange(me.count[b], 0);
        }
        if (taken[b] < bucket_records && t >= bucket_records) ++full;
        taken[b] = t;
        most_taken = std::max(most_taken, t);
      }
    };
    auto sink = [&](const ProofEntry* entries, size_t n) {
      batch = entries;
      batch_n = n;
      if (dealers == 1) {
        gang.RunAll(deal_part);
        full = dealer[0].filled;
      } else {
        // A bucket can overflow in this batch only if it may receive n more entries.
        exact = most_taken + n > bucket_records;
        if (exact) {
          gang.RunAll(count_part);
          tally(/*hand_out=*/true);
          gang.RunAll(deal_part);
        } else {
          gang.RunAll(deal_part);
          tally(/*hand_out=*/false);
        }
      }
      offered += n;
      generate.Update(std::min(offered, g.records()) * kEntryBytes);
      return full == g.buckets || writers.failed();
    };
    generated = core::GenerateInOrder(source, o.threads_hash, BatchFor(g.records()), o.cancel,
                                      sink);
    written = writers.Finish();
    // The dealers' partly filled cups complete their buckets.
    for (uint64_t b = 0; b < g.buckets && generated.ok() && written.ok(); ++b) {
      uint64_t at = placed[b].load() * cup_size;
      for (Dealer& me : dealer) {
        if (me.fill[b] == 0) continue;
        if (at + me.fill[b] > bucket_records) {
          written = absl::InternalError(absl::StrCat("bucket ", b, " overflows its cups"));
          break;
        }
        const uint64_t offset = kVaultHeaderBytes + (b * bucket_records + at) * kEntryBytes;
        written = InjectedFault(&o.write_fault, offset, me.fill[b] * kEntryBytes);
        if (written.ok()) {
          written = PWriteAll(fd.get(), me.cup[b], me.fill[b] * kEntryBytes, offset, partial);
        }
        if (!written.ok()) break;
        at += me.fill[b];
      }
      if (written.ok() && at != bucket_records) {
        written = absl::InternalError(
            absl::StrCat("bucket ", b, " holds ", at, " entries, not ", bucket_records));
      }
    }
  }
  if (!generated.ok()) return generated.status();
  if (!written.ok()) return written;
  h.nonces = generated->nonces_offered;
  h.generate_ms = static_cast<uint64_t>(generate.Seconds() * 1000);
  built.times.deal_seconds = generate.Seconds();
  built.times.dealers = dealers;
  const double cpu_sort = ProcessCpuSeconds();
  built.times.deal_cpu_seconds = cpu_sort - cpu_start;
  generate.Finish();

  // Phase 2: every bucket, in file order, is read by one of `sorters` threads, sorted and
  // checksummed; the writer threads write it back and start the disk on it at once, so the
  // disk writes the sorted buckets while the next ones are sorted.
  // Mapped or in RAM, the buckets are sorted in place in the mapping or the image instead
  // (SortMapped).
  core::ProgressMeter sorting(o.progress, "sort", g.data_bytes());
  uint64_t data_checksum = 0;
  if (mapped != nullptr) {
    auto sum = SortMapped(o, fd.get(), partial, mapped, file_image, &sorting,
                          &built.times.direct_bytes);
    if (!sum.ok()) return sum.status();
    data_checksum = *sum;
  } else {
    const int sorters = SortWorkers(g, o.threads_hash, o.threads_io);
    const size_t in_flight = BucketBuffers(g, o.threads_hash, o.threads_io);
    const size_t bytes = bucket_records * kEntryBytes;
    std::unique_ptr<ProofEntry[]> buffers(
        new (std::nothrow) ProofEntry[(in_flight + static_cast<size_t>(sorters)) * bucket_records]);
    if (buffers == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot allocate ", Size((in_flight + static_cast<size_t>(sorters)) * bytes),
          " of RAM to sort the vault's buckets"));
    }
    std::atomic<uint64_t> checksum{0};
    std::atomic<uint64_t> next{0};
    std::atomic<uint64_t> done{0};
    absl::Mutex error_mu;
    absl::Status error;
    std::atomic<bool> stop{false};
    auto fail = [&](absl::Status s) {
      absl::MutexLock lock(&error_mu);
      if (error.ok()) error = std::move(s);
      stop = true;
    };
    {
      Writers writers(fd.get(), partial, o.threads_io, /*writeback=*/true, kVaultHeaderBytes,
                      g.file_bytes(), nullptr, {}, &o.write_fault, o.cancel);
      for (size_t i = 0; i < in_flight; ++i) writers.Release(&buffers[i * bucket_records]);
      auto sorter = [&](int index) {
        if (index > 0) pthread_setname_np(pthread_self(), "pos-sort");
        ProofEntry* scratch = &buffers[(in_flight + static_cast<size_t>(index)) * bucket_records];
        for (uint64_t b = next++; b < g.buckets && !stop; b = next++) {
          if (o.cancel != nullptr && o.cancel->load(std::memory_order_relaxed)) {
            fail(absl::CancelledError("vault build interrupted"));
            return;
          }
          ProofEntry* bucket = writers.Acquire();
          const uint64_t offset = kVaultHeaderBytes + b * bytes;
          absl::Status s = PReadAll(fd.get(), bucket, bytes, offset, partial);
          if (!s.ok()) {
            writers.Release(bucket);
            fail(std::move(s));
            return;
          }
          core::SortEntries(bucket, bucket_records, bits, scratch);
          checksum += ChecksumOf(bucket, bucket_records, b * bucket_records);
          writers.Submit(bucket, bucket_records, offset);
          if (writers.failed()) stop = true;
          const uint64_t finished = ++done;
          if (index == 0) sorting.Update(finished * bytes);
        }
      };
      std::vector<std::thread> pool;
      for (int i = 1; i < sorters; ++i) pool.emplace_back(sorter, i);
      sorter(0);
      for (auto& t : pool) t.join();
      if (absl::Status s = writers.Finish(); !s.ok()) fail(std::move(s));
    }
    if (!error.ok()) return error;
    data_checksum = checksum.load();
  }
  h.sort_ms = static_cast<uint64_t>(sorting.Seconds() * 1000);
  built.times.sort_seconds = sorting.Seconds();
  const double cpu_sync = ProcessCpuSeconds();
  built.times.sort_cpu_seconds = cpu_sync - cpu_sort;
  sorting.Finish();

  // Last: the rest of the data reaches the disk, then the header, which makes the vault
  // valid, then the name.
  const absl::Time sync_start = absl::Now();
  if (map != MAP_FAILED) {
    ::munmap(map, g.file_bytes());
    unmap.map = MAP_FAILED;
  }
  if (direct.get() >= 0 && ::close(direct.release()) != 0) {
    return ErrnoError(errno, absl::StrCat("cannot close ", partial));
  }
  if (::fdatasync(fd.get()) != 0) return ErrnoError(errno, absl::StrCat("cannot sync ", partial));
  // A cancel that came while the last bytes were written still leaves no vault.
  if (o.cancel != nullptr && o.cancel->load()) {
    return absl::CancelledError("vault build interrupted");
  }
  h.data_checksum = data_checksum;
  const auto header = EncodeHeader(h);
  if (absl::Status s = PWriteAll(fd.get(), header.data(), header.size(), 0, partial); !s.ok()) {
    return s;
  }
  if (::fdatasync(fd.get()) != 0) return ErrnoError(errno, absl::StrCat("cannot sync ", partial));
  if (::close(fd.release()) != 0) return ErrnoError(errno, absl::StrCat("cannot close ", partial));
  if (::rename(partial.c_str(), o.path.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("cannot rename ", partial, " to ", o.path));
  }
  cleanup.keep = true;
  if (absl::Status s = SyncDir(o.path); !s.ok()) return s;
  built.times.sync_seconds = absl::ToDoubleSeconds(absl::Now() - sync_start);
  built.times.sync_cpu_seconds = ProcessCpuSeconds() - cpu_sync;
  built.header = h;
  built.nonces_hashed = generated->nonces_hashed;
  return built;
}

// Checks that the vault at `path` can serve this validator: header, identity, geometry,
// and a sample of records. The message says what is wrong.
absl::Status CheckUsable(const std::string& path, const core::Fingerprint& fingerprint,
                         const core::PublicKey& key, const core::RecordHasher& hasher,
                         const PosGeometry& geometry, VaultHeader* out) {
  auto header = ReadVaultHeader(path);
  if (!header.ok()) return header.status();
  if (header->fake_records) {
    return absl::FailedPreconditionError("was written by a benchmark (its records are fake)");
  }
  if (header->key != key || header->fingerprint != fingerprint) {
    return absl::FailedPreconditionError(absl::StrCat(
        "was built for another validator (key ", util::Base58Encode(header->key),
        "); this validator's key is ", util::Base58Encode(key)));
  }
  if (header->geometry != geometry) {
    return absl::FailedPreconditionError(absl::StrCat("was built with ",
                                                      GeometryText(header->geometry),
                                                      "; the settings ask for ",
                                                      GeometryText(geometry)));
  }
  // A sample: the first and last entry of up to 64 buckets spread over the vault.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, absl::StrCat("cannot open ", path));
  const uint64_t step = std::max<uint64_t>(1, geometry.buckets / 64);
  for (uint64_t b = 0; b < geometry.buckets; b += step) {
    for (uint64_t i : {uint64_t{0}, geometry.bucket_records() - 1}) {
      const uint64_t record = b * geometry.bucket_records() + i;
      ProofEntry e;
      if (absl::Status s = PReadAll(fd.get(), &e, sizeof(e),
                                    kVaultHeaderBytes + record * kEntryBytes, path);
          !s.ok()) {
        return s;
      }
      if (core::BucketOf(e.prefix, geometry.bucket_bits()) != b || e.nonce >= header->nonces ||
          hasher.Prefix(e.nonce) != e.prefix) {
        return absl::DataLossError(absl::StrCat("is corrupt: record #", record, " (nonce ",
                                                e.nonce, ") does not verify"));
      }
    }
  }
  *out = *header;
  return absl::OkStatus();
}

}  // namespace

uint32_t PosGeometry::bucket_bits() const {
  return buckets == 0 ? 0 : static_cast<uint32_t>(std::countr_zero(buckets));
}

absl::StatusOr<PosGeometry> DerivePosGeometry(uint64_t disk, uint64_t buckets, uint64_t cup_size,
                                              uint64_t cups_per_bucket) {
  auto bad = [](absl::string_view why) { return absl::InvalidArgumentError(why); };
  if (disk == 0) return bad("disk must be a positive size, e.g. 1G");
  if (cup_size == 0) cup_size = kDefaultCupSize;
  if (cup_size > (uint64_t{1} << 26)) {
    return bad(absl::StrCat("cup_size ", cup_size, " is too large (at most 67108864 records)"));
  }
  if (buckets != 0 && (!std::has_single_bit(buckets) || buckets > (uint64_t{1} << 24))) {
    return bad(absl::StrCat("buckets must be a power of two from 1 to 16777216 (got ", buckets,
                            "): a record's bucket is the top bits of its hash"));
  }
  const uint64_t cup_bytes = cup_size * kEntryBytes;
  if (disk < kVaultHeaderBytes + cup_bytes) {
    return bad(absl::StrCat("disk ", Size(disk), " is too small: the vault needs at least ",
                            Size(kVaultHeaderBytes + cup_bytes),
                            " (a 4 KiB header and one cup of cup_size x 16 bytes)"));
  }
  const uint64_t data = disk - kVaultHeaderBytes;
  const uint64_t cups = data / cup_bytes;  // cups that fit, >= 1
  PosGeometry g;
  g.cup_size = cup_size;
  if (buckets != 0 && cups_per_bucket != 0) {
    g.buckets = buckets;
    g.cups_per_bucket = cups_per_bucket;
    unsigned __int128 need = static_cast<unsigned __int128>(buckets) * cups_per_bucket * cup_bytes;
    if (need > data) {
      return bad(absl::StrCat(
          "buckets x cups_per_bucket x cup_size x 16 bytes = ", buckets, " x ", cups_per_bucket,
          " x ", cup_size, " x 16 = ",
          need > (static_cast<unsigned __int128>(1) << 64) ? std::string("more than 2^64 bytes")
                                                           : Size(static_cast<uint64_t>(need)),
          " does not fit in disk ", Size(disk), " (less the 4 KiB header)"));
    }
    return g;
  }
  if (buckets != 0) {
    if (buckets > cups) {
      return bad(absl::StrCat("disk ", Size(disk), " cannot hold buckets=", buckets,
                              " with one cup each of cup_size=", cup_size, " records"));
    }
    g.buckets = buckets;
    g.cups_per_bucket = cups / buckets;
    return g;
  }
  if (cups_per_bucket != 0) {
    if (cups_per_bucket > cups) {
      return bad(absl::StrCat("disk ", Size(disk), " cannot hold one bucket of cups_per_bucket=",
                              cups_per_bucket, " cups of cup_size=", cup_size, " records"));
    }
    g.buckets = std::bit_floor(std::min<uint64_t>(cups / cups_per_bucket, uint64_t{1} << 24));
    g.cups_per_bucket = cups_per_bucket;
    return g;
  }
  // Both derived: buckets of about kTargetBucketBytes, cups in RAM within kMaxCupRamBytes.
  uint64_t b = std::bit_floor(std::max<uint64_t>(1, data / kTargetBucketBytes));
  b = std::min({b, std::bit_floor(std::max<uint64_t>(1, kMaxCupRamBytes / cup_bytes)),
                std::bit_floor(cups), uint64_t{1} << 24});
  g.buckets = b;
  g.cups_per_bucket = cups / b;
  return g;
}

uint64_t PosBuildRamBytes(const PosGeometry& g, int threads_hash, int threads_io,
                          int threads_deal) {
  const uint64_t dealers = static_cast<uint64_t>(Dealers(g, threads_hash, threads_deal));
  const uint64_t cups =
      (dealers * g.buckets + SpareCups(static_cast<int>(dealers), threads_io)) * g.cup_size *
      kEntryBytes;
  const uint64_t books = dealers * g.buckets * (sizeof(ProofEntry*) + 2 * sizeof(uint32_t) +
                                                sizeof(uint64_t)) +
                         g.buckets * 2 * sizeof(uint64_t);
  const uint64_t batches = 2 * BatchFor(g.records()) * kEntryBytes;
  const uint64_t sort = (BucketBuffers(g, threads_hash, threads_io) +
                         static_cast<uint64_t>(SortWorkers(g, threads_hash, threads_io))) *
                        g.bucket_records() * kEntryBytes;
  return std::max(cups + books + batches, sort);
}

absl::StatusOr<VaultHeader> ReadVaultHeader(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no vault at ", path));
    return ErrnoError(errno, absl::StrCat("cannot open ", path));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, absl::StrCat("cannot stat ", path));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < kVaultHeaderBytes) {
    return absl::DataLossError(absl::StrCat("is truncated: ", size,
                                            " bytes, less than the 4096-byte header"));
  }
  std::array<uint8_t, kVaultHeaderBytes> bytes;
  if (absl::Status s = PReadAll(fd.get(), bytes.data(), bytes.size(), 0, path); !s.ok()) return s;
  auto header = DecodeHeader(bytes.data());
  if (!header.ok()) return header.status();
  if (size < header->file_bytes) {
    return absl::DataLossError(absl::StrCat("is truncated: ", size, " bytes, its header says ",
                                            header->file_bytes));
  }
  if (size > header->file_bytes) {
    return absl::DataLossError(absl::StrCat("is ", size, " bytes, its header says ",
                                            header->file_bytes, " (extra data at the end)"));
  }
  return header;
}

PosEngine::PosEngine(const core::Fingerprint& fingerprint, const core::PublicKey& key)
    : hasher_(fingerprint, key) {}

PosEngine::~PosEngine() {
  if (fd_ >= 0) ::close(fd_);
  std::free(buffer_);
}

absl::StatusOr<std::unique_ptr<PosEngine>> PosEngine::Open(const core::Fingerprint& fingerprint,
                                                           const core::PublicKey& key,
                                                           const PosOptions& options) {
  const PosGeometry& g = options.geometry;
  if (g.buckets == 0 || !std::has_single_bit(g.buckets) || g.cup_size == 0 ||
      g.cups_per_bucket == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid vault geometry: ", GeometryText(g)));
  }
  std::unique_ptr<PosEngine> engine(new PosEngine(fingerprint, key));
  engine->path_ = options.path;
  std::error_code ec;
  if (std::filesystem::exists(options.path, ec)) {
    absl::Status usable =
        CheckUsable(options.path, fingerprint, key, engine->hasher_, g, &engine->header_);
    if (usable.ok()) {
      engine->reused_ = true;
      if (absl::Status s = engine->OpenForLookups(options.direct_io); !s.ok()) return s;
      return engine;
    }
    if (!absl::IsDataLoss(usable) && !absl::IsFailedPrecondition(usable)) return usable;
    if (!options.rebuild) {
      return absl::FailedPreconditionError(absl::StrCat(
          "vault ", options.path, " ", usable.message(),
          ". Move it away, or start with --rebuild-vault to replace it"));
    }
    util::Logger("validator")->warn("vault {} {}: rebuilding it (--rebuild-vault)",
                                    options.path, usable.message());
    if (::unlink(options.path.c_str()) != 0) {
      return ErrnoError(errno, absl::StrCat("cannot remove ", options.path));
    }
  }
  auto built = BuildVault(fingerprint, key, engine->hasher_, options);
  if (!built.ok()) return built.status();
  engine->header_ = built->header;
  engine->nonces_hashed_ = built->nonces_hashed;
  engine->build_times_ = built->times;
  if (absl::Status s = engine->OpenForLookups(options.direct_io); !s.ok()) return s;
  return engine;
}

absl::Status PosEngine::OpenForLookups(bool direct_io) {
  direct_io_ = direct_io;
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | (direct_io ? O_DIRECT : 0));
  if (fd_ < 0) return ErrnoError(errno, absl::StrCat("cannot open ", path_));
  buffer_bytes_ = (header_.geometry.bucket_records() * kEntryBytes + 2 * 4096 + 4095) / 4096 * 4096;
  absl::MutexLock lock(&read_mu_);
  buffer_ = static_cast<uint8_t*>(std::aligned_alloc(4096, buffer_bytes_));
  if (buffer_ == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", Size(buffer_bytes_), " for a bucket"));
  }
  return absl::OkStatus();
}

const ProofEntry* PosEngine::ReadRecords(uint64_t first, uint64_t n) {
  const uint64_t offset = kVaultHeaderBytes + first * kEntryBytes;
  const uint64_t bytes = n * kEntryBytes;
  const uint64_t start = direct_io_ ? offset / 4096 * 4096 : offset;
  const uint64_t end = direct_io_ ? (offset + bytes + 4095) / 4096 * 4096 : offset + bytes;
  auto got = PRead(fd_, buffer_, end - start, start, path_);
  if (!got.ok() || *got < offset + bytes - start) {
    const int64_t now = util::NowMillis();
    if (now - last_error_log_ms_.load() > 10'000) {
      last_error_log_ms_ = now;
      util::Logger("validator")->error(
          "vault {}: cannot read records {} to {}: {}", path_, first, first + n - 1,
          got.ok() ? std::string("short read") : std::string(got.status().message()));
    }
    return nullptr;
  }
  return reinterpret_cast<const ProofEntry*>(buffer_ + (offset - start));
}

std::optional<uint64_t> PosEngine::Solve(const core::Hash32& challenge, uint32_t difficulty,
                                         const std::atomic<bool>& cancel) {
  if (cancel.load(std::memory_order_relaxed)) return std::nullopt;
  if (difficulty > sizeof(core::Record) * 8) return std::nullopt;
  const PosGeometry& g = header_.geometry;
  const uint32_t bits = g.bucket_bits();
  const uint64_t capacity = g.bucket_records();
  const uint64_t prefix = core::ChallengePrefix(challenge);
  const uint64_t bucket = core::BucketOf(prefix, bits);
  const uint64_t first = bucket * capacity;
  uint64_t hashes = 0;
  std::optional<uint64_t> nonce;
  absl::MutexLock lock(&read_mu_);
  if (difficulty <= bits) {
    // Every record of the challenge's bucket matches below the bucket bits: one suffices.
    const ProofEntry* e = ReadRecords(first, 1);
    if (e == nullptr || cancel.load(std::memory_order_relaxed)) return std::nullopt;
    nonce = core::FindMatch(e, 1, challenge, difficulty, hasher_, &hashes);
  } else {
    // The bucket's records are uniform over its prefix range, so the candidates sit near
    // the challenge's relative position: read a window a few standard deviations wide
    // around it, and the whole bucket only if the window does not bracket them.
    const uint64_t window = std::max<uint64_t>(
        4096, 16 * static_cast<uint64_t>(std::sqrt(static_cast<double>(capacity))));
    uint64_t lo = 0;
    uint64_t n = capacity;
    if (capacity > 2 * window) {
      const uint64_t within = prefix << bits;  // the position within the bucket's range
      const auto at = static_cast<uint64_t>(std::ldexp(static_cast<double>(within), -64) *
                                            static_cast<double>(capacity));
      lo = std::min(at > window / 2 ? at - window / 2 : 0, capacity - window);
      n = window;
    }
    const ProofEntry* e = ReadRecords(first + lo, n);
    if (e == nullptr) return std::nullopt;
    const uint32_t span = std::min<uint32_t>(difficulty, 64);
    const uint64_t mask = ~uint64_t{0} << (64 - span);
    const bool brackets = (lo == 0 || e[0].prefix < (prefix & mask)) &&
                          (lo + n == capacity || e[n - 1].prefix > (prefix | ~mask));
    if (!brackets) {
      e = ReadRecords(first, capacity);
      if (e == nullptr) return std::nullopt;
      n = capacity;
    }
    if (cancel.load(std::memory_order_relaxed)) return std::nullopt;
    nonce = core::FindMatch(e, n, challenge, difficulty, hasher_, &hashes);
  }
  verify_hashes_.fetch_add(hashes, std::memory_order_relaxed);
  return nonce;
}

core::ProofStats PosEngine::Stats() const {
  core::ProofStats s;
  s.kind = "pos";
  s.records_stored = header_.records;
  s.hashes_total = nonces_hashed_ + verify_hashes_.load(std::memory_order_relaxed);
  s.hashes_per_second =
      header_.generate_ms > 0 ? header_.nonces * 1000.0 / header_.generate_ms : 0;
  return s;
}

absl::Status CheckVault(const std::string& path, int threads,
                        const std::function<void(const std::string&)>& print) {
  auto header = ReadVaultHeader(path);
  if (!header.ok()) {
    if (absl::IsNotFound(header.status())) {
      print(absl::StrCat("No vault at ", path));
      return header.status();
    }
    print(absl::StrCat("Vault ", path, " ", header.status().message()));
    print("Vault BAD");
    return absl::DataLossError(absl::StrCat("vault ", path, " ", header.status().message()));
  }
  const VaultHeader& h = *header;
  const PosGeometry& g = h.geometry;
  print(absl::StrCat("Vault ", path));
  print(absl::StrCat("  Format version: ", h.version, ", entry ", h.entry_bytes,
                     " bytes (8-byte record prefix + 8-byte nonce)",
                     h.fake_records ? ", FAKE records (benchmark)" : ""));
  print(absl::StrCat("  Fingerprint: ", util::Base58Encode(h.fingerprint)));
  print(absl::StrCat("  Public key: ", util::Base58Encode(h.key)));
  print(absl::StrCat("  Buckets: ", g.buckets, " (", g.bucket_bits(), " bits), cups per bucket: ",
                     g.cups_per_bucket, ", cup size: ", g.cup_size, " records"));
  print(absl::StrCat("  Records: ", h.records, " (", Size(g.data_bytes()), "), nonces hashed: ",
                     h.nonces, ", file: ", h.file_bytes, " bytes"));
  print(absl::StrCat("  Built: ", util::FormatMillis(h.created_ms), ", generate ",
                     absl::StrFormat("%.1f", h.generate_ms / 1000.0), " s, sort ",
                     absl::StrFormat("%.1f", h.sort_ms / 1000.0), " s"));
  print(absl::StrFormat("  Data checksum: %016x", h.data_checksum));
  print("  Header checksum: OK");

  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, absl::StrCat("cannot open ", path));
  const core::RecordHasher hasher(h.fingerprint, h.key);
  auto show = [&](uint64_t record) -> absl::Status {
    ProofEntry e;
    if (absl::Status s = PReadAll(fd.get(), &e, sizeof(e), kVaultHeaderBytes + record * kEntryBytes,
                                  path);
        !s.ok()) {
      return s;
    }
    const core::Record r = hasher.Compute(e.nonce);
    const bool ok = core::ReadPrefix64(r.data()) == e.prefix &&
                    core::BucketOf(e.prefix, g.bucket_bits()) == record / g.bucket_records();
    print(absl::StrCat("  #", record, "  bucket ", record / g.bucket_records(), "  nonce ",
                       e.nonce, "  record ", Hex(r), ok ? "  OK" : "  BAD"));
    return absl::OkStatus();
  };
  const uint64_t shown = std::min<uint64_t>(5, h.records);
  print(absl::StrCat("First ", shown, " records:"));
  for (uint64_t i = 0; i < shown; ++i) {
    if (absl::Status s = show(i); !s.ok()) return s;
  }
  print(absl::StrCat("Last ", shown, " records:"));
  for (uint64_t i = h.records - shown; i < h.records; ++i) {
    if (absl::Status s = show(i); !s.ok()) return s;
  }

  if (h.fake_records) {
    print("Vault BAD: its records are fake (written by a benchmark)");
    return absl::DataLossError(absl::StrCat("vault ", path, " holds fake records"));
  }

  // Every record, bucket by bucket.
  print(absl::StrCat("Verifying ", h.records, " records with ", std::max(1, threads),
                     " threads ..."));
  const absl::Time start = absl::Now();
  const uint64_t bucket_records = g.bucket_records();
  const size_t bytes = bucket_records * kEntryBytes;
  std::atomic<uint64_t> checksum{0};
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<bool> stop{false};
  absl::Mutex problem_mu;
  uint64_t problem_bucket = UINT64_MAX;
  std::string problem;
  auto fail = [&](uint64_t b, std::string why) {
    absl::MutexLock lock(&problem_mu);
    if (b < problem_bucket) {
      problem_bucket = b;
      problem = std::move(why);
    }
    stop = true;
  };
  auto verifier = [&](bool reporter) {
    std::vector<ProofEntry> bucket(bucket_records);
    std::vector<uint64_t> run;  // nonces sharing the current prefix
    absl::Time last = absl::Now();
    for (uint64_t b = next++; b < g.buckets && !stop; b = next++) {
      if (absl::Status s = PReadAll(fd.get(), bucket.data(), bytes,
                                    kVaultHeaderBytes + b * bytes, path);
          !s.ok()) {
        fail(b, std::string(s.message()));
        return;
      }
      for (uint64_t i = 0; i < bucket_records; ++i) {
        const ProofEntry& e = bucket[i];
        const uint64_t record = b * bucket_records + i;
        if (core::BucketOf(e.prefix, g.bucket_bits()) != b) {
          fail(b, absl::StrCat("record #", record, " is in bucket ", b, " but belongs to bucket ",
                               core::BucketOf(e.prefix, g.bucket_bits())));
          return;
        }
        if (i > 0 && e.prefix < bucket[i - 1].prefix) {
          fail(b, absl::StrCat("bucket ", b, " is not sorted at record #", record));
          return;
        }
        if (e.nonce >= h.nonces) {
          fail(b, absl::StrCat("record #", record, " has nonce ", e.nonce,
                               ", beyond the nonces hashed (", h.nonces, ")"));
          return;
        }
        if (hasher.Prefix(e.nonce) != e.prefix) {
          fail(b, absl::StrCat("record #", record, " (nonce ", e.nonce,
                               ") is not the hash of its nonce"));
          return;
        }
        if (i == 0 || e.prefix != bucket[i - 1].prefix) run.clear();
        if (std::find(run.begin(), run.end(), e.nonce) != run.end()) {
          fail(b, absl::StrCat("record #", record, " repeats nonce ", e.nonce));
          return;
        }
        run.push_back(e.nonce);
      }
      checksum += ChecksumOf(bucket.data(), bucket_records, b * bucket_records);
      const uint64_t finished = ++done;
      if (reporter && absl::Now() - last > absl::Seconds(5)) {
        last = absl::Now();
        print(absl::StrFormat("  %.0f%% verified", 100.0 * finished / g.buckets));
      }
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < std::min<int>(std::max(1, threads), static_cast<int>(g.buckets)); ++i) {
    pool.emplace_back(verifier, false);
  }
  verifier(true);
  for (auto& t : pool) t.join();
  if (problem.empty()) {
    if (checksum.load() != h.data_checksum) {
      problem = "the data checksum does not match the header";
    }
  }
  if (!problem.empty()) {
    print(absl::StrCat("Vault BAD: ", problem));
    return absl::DataLossError(absl::StrCat("vault ", path, ": ", problem));
  }
  print(absl::StrFormat("Vault OK: %d records verified, %d buckets sorted, checksum matches "
                        "(%.1f s)",
                        h.records, g.buckets, absl::ToDoubleSeconds(absl::Now() - start)));
  return absl::OkStatus();
}

}  // namespace dsc::validator
