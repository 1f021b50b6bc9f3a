#include "validator/pos_vault.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
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
uint64_t ChecksumOf(const ProofEntry* e, size_t n, uint64_t first_index) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += Mix(e[i].prefix ^ Mix(e[i].nonce ^ ((first_index + i) * 0x9E3779B97F4A7C15ull)));
  }
  return sum;
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

// Writer threads ("pos-writer"): write full cups at their place in the vault and hand the
// buffers back. Bounded: Acquire blocks until a writer has freed a buffer.
class CupWriters {
 public:
  CupWriters(int fd, std::string path, int threads, size_t cup_bytes)
      : fd_(fd), path_(std::move(path)), cup_bytes_(cup_bytes) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~CupWriters() { (void)Finish(); }

  void Release(ProofEntry* cup) {
    absl::MutexLock lock(&mu_);
    free_.push_back(cup);
  }
  ProofEntry* Acquire() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !free_.empty(); };
    mu_.Await(absl::Condition(&ready));
    ProofEntry* cup = free_.back();
    free_.pop_back();
    return cup;
  }
  void Submit(ProofEntry* cup, uint64_t offset) {
    absl::MutexLock lock(&mu_);
    queue_.emplace_back(cup, offset);
  }
  bool failed() {
    absl::MutexLock lock(&mu_);
    return !error_.ok();
  }
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
  void Run() {
    pthread_setname_np(pthread_self(), "pos-writer");
    while (true) {
      std::pair<ProofEntry*, uint64_t> job;
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
      absl::Status s = PWriteAll(fd_, job.first, cup_bytes_, job.second, path_);
      absl::MutexLock lock(&mu_);
      if (!s.ok() && error_.ok()) error_ = s;
      free_.push_back(job.first);
    }
  }

  const int fd_;
  const std::string path_;
  const size_t cup_bytes_;
  absl::Mutex mu_;
  std::vector<ProofEntry*> free_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<ProofEntry*, uint64_t>> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

size_t SpareCups(int threads_io) { return static_cast<size_t>(std::max(16, 4 * threads_io)); }

int SortWorkers(const PosGeometry& g, int threads_hash, int threads_io) {
  return static_cast<int>(
      std::min<uint64_t>(std::max({1, threads_hash, threads_io}), g.buckets));
}

size_t BatchFor(uint64_t records) {
  return static_cast<size_t>(std::clamp<uint64_t>(records / 64, 4096, uint64_t{1} << 18));
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
  uint64_t nonces_hashed = 0;
};

// Builds the vault into <path>.partial and renames it to <path> when complete.
absl::StatusOr<Built> BuildVault(const core::Fingerprint& fingerprint, const core::PublicKey& key,
                                 const core::RecordHasher& hasher, const PosOptions& o) {
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

  // Phase 1: hash in nonce order, deal into cups, write full cups at their place.
  const size_t spare = SpareCups(o.threads_io);
  std::unique_ptr<ProofEntry[]> cups(
      new (std::nothrow) ProofEntry[(g.buckets + spare) * cup_size]);
  if (cups == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", Size((g.buckets + spare) * cup_size * kEntryBytes),
                     " of RAM for the vault's cups (buckets x cup_size)"));
  }
  std::vector<ProofEntry*> current(g.buckets);
  absl::StatusOr<core::GenerateResult> generated;
  absl::Status written;
  core::ProgressMeter generate(o.progress, "generate", g.data_bytes());
  {
    CupWriters writers(fd.get(), partial, o.threads_io, cup_size * kEntryBytes);
    for (uint64_t b = 0; b < g.buckets; ++b) current[b] = &cups[b * cup_size];
    for (size_t i = 0; i < spare; ++i) writers.Release(&cups[(g.buckets + i) * cup_size]);
    core::BucketFill fill(layout);
    uint64_t placed = 0;
    auto sink = [&](const ProofEntry* batch, size_t n) {
      for (size_t i = 0; i < n; ++i) {
        const uint64_t b = core::BucketOf(batch[i].prefix, bits);
        const int64_t slot = fill.Take(b);
        if (slot < 0) continue;
        const uint64_t pos = static_cast<uint64_t>(slot) % cup_size;
        current[b][pos] = batch[i];
        ++placed;
        if (pos + 1 == cup_size) {
          const uint64_t record = b * bucket_records + static_cast<uint64_t>(slot) - pos;
          writers.Submit(current[b], kVaultHeaderBytes + record * kEntryBytes);
          current[b] = writers.Acquire();
        }
      }
      generate.Update(placed * kEntryBytes);
      return fill.AllFull() || writers.failed();
    };
    const core::EntrySource source = o.fake_source ? o.fake_source : core::HashingSource(hasher);
    generated = core::GenerateInOrder(source, o.threads_hash, BatchFor(g.records()), o.cancel,
                                      sink);
    written = writers.Finish();
  }
  cups.reset();
  if (!generated.ok()) return generated.status();
  if (!written.ok()) return written;
  h.nonces = generated->nonces_offered;
  h.generate_ms = static_cast<uint64_t>(generate.Seconds() * 1000);
  generate.Finish();

  // Phase 2: sort every bucket in place, checksum it.
  core::ProgressMeter sorting(o.progress, "sort", g.data_bytes());
  std::atomic<uint64_t> checksum{0};
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  absl::Mutex error_mu;
  absl::Status error;
  std::atomic<bool> stop{false};
  auto sorter = [&](bool reporter) {
    if (!reporter) pthread_setname_np(pthread_self(), "pos-sort");
    std::vector<ProofEntry> bucket(bucket_records);
    std::vector<ProofEntry> scratch(bucket_records);
    const size_t bytes = bucket_records * kEntryBytes;
    for (uint64_t b = next++; b < g.buckets && !stop; b = next++) {
      if (o.cancel != nullptr && o.cancel->load(std::memory_order_relaxed)) {
        absl::MutexLock lock(&error_mu);
        if (error.ok()) error = absl::CancelledError("vault build interrupted");
        stop = true;
        return;
      }
      const uint64_t offset = kVaultHeaderBytes + b * bytes;
      absl::Status s = PReadAll(fd.get(), bucket.data(), bytes, offset, partial);
      if (s.ok()) {
        core::SortEntries(bucket.data(), bucket_records, bits, scratch.data());
        checksum += ChecksumOf(bucket.data(), bucket_records, b * bucket_records);
        s = PWriteAll(fd.get(), bucket.data(), bytes, offset, partial);
      }
      if (!s.ok()) {
        absl::MutexLock lock(&error_mu);
        if (error.ok()) error = s;
        stop = true;
        return;
      }
      const uint64_t finished = ++done;
      if (reporter) sorting.Update(finished * bytes);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < SortWorkers(g, o.threads_hash, o.threads_io); ++i) {
    pool.emplace_back(sorter, false);
  }
  sorter(true);
  for (auto& t : pool) t.join();
  if (!error.ok()) return error;
  h.sort_ms = static_cast<uint64_t>(sorting.Seconds() * 1000);
  sorting.Finish();
  if (::fdatasync(fd.get()) != 0) return ErrnoError(errno, absl::StrCat("cannot sync ", partial));

  // Last: the header, which makes the vault valid, then the name.
  h.data_checksum = checksum.load();
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
  return Built{h, generated->nonces_hashed};
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

uint64_t PosBuildRamBytes(const PosGeometry& g, int threads_hash, int threads_io) {
  const uint64_t cups = (g.buckets + SpareCups(threads_io)) * g.cup_size * kEntryBytes;
  const uint64_t batches = 2 * BatchFor(g.records()) * kEntryBytes;
  const uint64_t sort = static_cast<uint64_t>(SortWorkers(g, threads_hash, threads_io)) * 2 *
                        g.bucket_records() * kEntryBytes;
  return std::max(cups + batches, sort);
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
