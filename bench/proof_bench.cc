// proof-bench: the validators at hardware speed, each figure next to the machine's own
// reference measured in the same run.
//   PoW: raw BLAKE2b-192 rate of 56-byte inputs on one thread (libsodium's one-shot call),
//        PowEngine hashes/s per thread, and the ratio (goal >= 90%).
//   PoM: generate + sort time and MB/s for --pom-size (default 1G), average lookup over
//        100k random challenges (goal: 1 GiB in <= 10 s on 2 cores, lookup <= 10 us).
//   PoS: a plain sequential write of --pos-size with fsync (dd-like), the vault build with
//        real records and with fake records (the I/O path alone), the ratios (goal >= 80%),
//        and lookups with a cold page cache, O_DIRECT and posix_fadvise(DONTNEED), average
//        and p99 over 1000 lookups (goal <= 5 ms).
//
//   proof-bench [--threads=2] [--pom-size=1G] [--pos-size=1G] [--dir=.] [--skip=pow,pom,pos]
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "core/proof.h"
#include "core/proof_pom.h"
#include "crypto/crypto.h"
#include "util/flags.h"
#include "util/log.h"
#include "util/time.h"
#include "validator/pos_vault.h"

ABSL_FLAG(int, threads, 2, "hashing threads for PoM and PoS (and PowEngine's second run)");
ABSL_FLAG(std::string, pom_size, "1G", "PoM table size");
ABSL_FLAG(std::string, pos_size, "1G", "PoS vault size (--disk)");
ABSL_FLAG(std::string, dir, ".", "folder for the PoS files (on the disk to measure)");
ABSL_FLAG(int, threads_io, 1, "PoS writer threads");
ABSL_FLAG(int, threads_deal, 0, "PoS dealing threads (0 = automatic)");
ABSL_FLAG(bool, pos_map, true, "PoS: build in a shared mapping of the file (false: with cups)");
ABSL_FLAG(bool, pos_ram, true,
          "PoS: build in RAM when the vault fits half the available RAM (false: --pos_map)");
ABSL_FLAG(double, seconds, 2.0, "duration of each hash-rate measurement");
ABSL_FLAG(int, lookups, 100000, "PoM lookups");
ABSL_FLAG(int, cold_lookups, 1000, "PoS cold-cache lookups");
ABSL_FLAG(std::string, skip, "",
          "comma-separated parts to skip: pow, pom, pos, pos-real (the build with real records), "
          "pos-lookup (cold lookups), pos-seq (the sequential reference, to profile the vault)");
ABSL_FLAG(int, pos_runs, 2, "PoS rounds of sequential reference + vault write");

namespace {

using namespace dsc;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

const core::Fingerprint kFp = [] {
  core::Fingerprint fp;
  for (size_t i = 0; i < fp.size(); ++i) fp[i] = static_cast<uint8_t>(0xA0 + i);
  return fp;
}();

core::PublicKey BenchKey() {
  crypto::Seed seed;
  seed.fill(0x42);
  return crypto::KeyPair::FromSeed(seed).public_key;
}

const char* Verdict(bool ok) { return ok ? "goal met" : "goal NOT met"; }

// ------------------------------------------------------------------ PoW

double RawBlake2bRate(double seconds) {
  uint8_t input[56];
  for (int i = 0; i < 56; ++i) input[i] = static_cast<uint8_t>(i);
  uint8_t out[24];
  uint64_t n = 0;
  uint64_t sink = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 4096; ++i, ++n) {
      for (int b = 0; b < 8; ++b) input[48 + b] = static_cast<uint8_t>(n >> (56 - 8 * b));
      crypto_generichash(out, sizeof(out), input, sizeof(input), nullptr, 0);
      sink += out[0];
    }
    elapsed = Since(t0);
  }
  if (sink == 42) std::printf(" ");
  return static_cast<double>(n) / elapsed;
}

double PowRate(int threads, double seconds) {
  core::PowEngine engine(kFp, BenchKey(), threads);
  std::atomic<bool> cancel{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    cancel = true;
  });
  engine.Solve(core::Hash32{}, 150, cancel);  // never found: runs until cancelled
  stopper.join();
  return engine.Stats().hashes_per_second;
}

void BenchPow(int threads, double seconds) {
  std::printf("== PoW ==\n");
  const double raw = RawBlake2bRate(seconds);
  std::printf("raw BLAKE2b-192, 56-byte input, 1 thread (crypto_generichash): %.2f M hashes/s\n",
              raw / 1e6);
  const double one = PowRate(1, seconds);
  std::printf("PowEngine, 1 thread:  %.2f M hashes/s per thread = %.1f%% of raw (goal >= 90%%: "
              "%s)\n",
              one / 1e6, 100 * one / raw, Verdict(one >= 0.9 * raw));
  if (threads > 1) {
    const double many = PowRate(threads, seconds);
    std::printf("PowEngine, %d threads: %.2f M hashes/s total, %.2f M per thread = %.1f%% of raw\n",
                threads, many / 1e6, many / threads / 1e6, 100 * many / threads / raw);
  }
}

// ------------------------------------------------------------------ PoM

void BenchPom(uint64_t bytes, int threads, int lookups) {
  std::printf("\n== PoM ==\n");
  core::PomOptions o;
  o.memory_bytes = bytes;
  o.threads = threads;
  const auto t0 = Clock::now();
  auto engine = core::PomEngine::Create(kFp, BenchKey(), o);
  const double total = Since(t0);
  if (!engine.ok()) {
    std::printf("PoM: %s\n", engine.status().ToString().c_str());
    return;
  }
  const auto& t = (*engine)->times();
  const auto& layout = (*engine)->layout();
  const double mb = layout.bytes() / 1e6;
  std::printf("table %.2f GiB = %llu records of 16 bytes in %llu buckets, %d threads\n",
              layout.bytes() / 1073741824.0, static_cast<unsigned long long>(layout.records()),
              static_cast<unsigned long long>(layout.buckets()), threads);
  std::printf("generate %.2f s (%.2f M records/s, %.1f%% extra nonces for full buckets), "
              "sort %.2f s\n",
              t.generate_seconds, t.nonces_hashed / t.generate_seconds / 1e6,
              100.0 * (static_cast<double>(t.nonces_hashed) / layout.records() - 1),
              t.sort_seconds);
  std::printf("gen/org %.2f GiB hashes (%.2f sec ~ %.0f MB/s) [with allocation: %.2f s] "
              "(goal for 1 GiB on 2 cores: <= 10 s: %s)\n",
              layout.bytes() / 1073741824.0, t.generate_seconds + t.sort_seconds,
              mb / (t.generate_seconds + t.sort_seconds), total,
              Verdict(t.generate_seconds + t.sort_seconds <= 10.0 * layout.bytes() / (1 << 30)));
  // Lookups at the difficulty the table can just reach: about half find a record.
  uint32_t difficulty = 0;
  while ((uint64_t{1} << (difficulty + 1)) <= layout.records()) ++difficulty;
  std::mt19937_64 rng(1);
  std::vector<core::Hash32> challenges(static_cast<size_t>(lookups));
  for (auto& c : challenges) {
    for (auto& b : c) b = static_cast<uint8_t>(rng());
  }
  const std::atomic<bool> cancel{false};
  int found = 0;
  const auto l0 = Clock::now();
  for (const auto& c : challenges) found += (*engine)->Solve(c, difficulty, cancel).has_value();
  const double per = Since(l0) / lookups;
  std::printf("lookup: %.2f us average over %d random challenges at difficulty %u (%.0f%% found; "
              "goal <= 10 us: %s)\n",
              per * 1e6, lookups, difficulty, 100.0 * found / lookups, Verdict(per <= 10e-6));
}

// ------------------------------------------------------------------ PoS

// Bytes written, from two sources: this process's page-cache dirtying and direct writes
// (/proc/self/io write_bytes: a page rewritten while still dirty counts once, a page
// written back and dirtied again counts twice), and the device's sectors written
// (/sys/dev/block/M:m/stat, every process on the machine).
struct IoCount {
  uint64_t process = 0;
  uint64_t device = 0;
  bool has_process = false;
  bool has_device = false;
};

std::string DeviceStatPath(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return "";
  return "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" +
         std::to_string(minor(st.st_dev)) + "/stat";
}

IoCount ReadIo(const std::string& device_stat) {
  IoCount c;
  if (FILE* f = std::fopen("/proc/self/io", "r")) {
    char key[64];
    unsigned long long v;
    while (std::fscanf(f, "%63s %llu", key, &v) == 2) {
      if (std::string(key) == "write_bytes:") {
        c.process = v;
        c.has_process = true;
      }
    }
    std::fclose(f);
  }
  if (FILE* f = std::fopen(device_stat.c_str(), "r")) {
    unsigned long long v[7];
    if (std::fscanf(f, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                    &v[5], &v[6]) == 7) {
      c.device = v[6] * 512;
      c.has_device = true;
    }
    std::fclose(f);
  }
  return c;
}

std::string IoText(const IoCount& a, const IoCount& b) {
  std::string out;
  char line[160];
  if (a.has_process && b.has_process) {
    std::snprintf(line, sizeof(line), "this process wrote %.2f GiB",
                  (b.process - a.process) / 1073741824.0);
    out += line;
  }
  if (a.has_device && b.has_device) {
    std::snprintf(line, sizeof(line), "%sthe device %.2f GiB (all processes)",
                  out.empty() ? "" : ", ", (b.device - a.device) / 1073741824.0);
    out += line;
  }
  return out.empty() ? "bytes written unknown" : out;
}

// dd-like: `bytes` of 4 MiB writes, then fsync; with `preallocate`, into a file first
// sized with posix_fallocate, as the vault is (unwritten extents); with `stream`, each
// 16 MiB written is handed to the disk at once (sync_file_range), as the vault's sorted
// buckets are, which keeps the disk busy while the rest is copied. Returns bytes/s.
double SequentialWrite(const std::string& path, uint64_t bytes, bool preallocate, bool stream,
                       const std::string& device_stat) {
  std::vector<char> block(4 << 20);
  std::mt19937_64 rng(3);
  for (auto& c : block) c = static_cast<char>(rng());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  const IoCount io0 = ReadIo(device_stat);
  const auto t0 = Clock::now();
  if (preallocate) ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  for (uint64_t done = 0; done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), bytes - done));
    if (::write(fd, block.data(), n) != static_cast<ssize_t>(n)) break;
    done += n;
    if (stream && done % (16 << 20) == 0) {
      ::sync_file_range(fd, static_cast<off_t>(done - (16 << 20)), 16 << 20,
                        SYNC_FILE_RANGE_WRITE);
    }
  }
  ::fsync(fd);
  const double s = Since(t0);
  const IoCount io1 = ReadIo(device_stat);
  std::printf("  sequential write, 4 MiB writes + fsync%s: %.2f s = %.0f MB/s (%s)\n",
              !preallocate ? " (dd conv=fsync)"
              : stream     ? ", posix_fallocate'd file, sync_file_range every 16 MiB"
                           : ", posix_fallocate'd file",
              s, bytes / s / 1e6, IoText(io0, io1).c_str());
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  ::unlink(path.c_str());
  return bytes / s;
}

void DropCache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

struct Latency {
  double avg_ms = 0;
  double p99_ms = 0;
  int found = 0;
};

Latency ColdLookups(validator::PosEngine& engine, int n, uint32_t difficulty, bool fadvise) {
  std::mt19937_64 rng(9);
  std::vector<double> ms;
  const std::atomic<bool> cancel{false};
  Latency l;
  for (int i = 0; i < n; ++i) {
    core::Hash32 c;
    for (auto& b : c) b = static_cast<uint8_t>(rng());
    if (fadvise) DropCache(engine.path());
    const auto t0 = Clock::now();
    l.found += engine.Solve(c, difficulty, cancel).has_value();
    ms.push_back(Since(t0) * 1e3);
  }
  std::sort(ms.begin(), ms.end());
  for (double x : ms) l.avg_ms += x / n;
  l.p99_ms = ms[static_cast<size_t>(n * 0.99)];
  return l;
}

void BenchPos(uint64_t disk, const std::string& dir, int threads, int threads_io, int lookups,
              int runs, bool reference, bool real_build, bool cold_lookups) {
  std::printf("\n== PoS ==\n");
  auto geometry = validator::DerivePosGeometry(disk, 0, 0, 0);
  if (!geometry.ok()) {
    std::printf("PoS: %s\n", geometry.status().ToString().c_str());
    return;
  }
  const uint64_t bytes = geometry->file_bytes();
  const std::string device_stat = DeviceStatPath(dir);
  std::printf("vault %.2f GiB: %llu buckets x %llu cups x %llu records (bucket %.2f MiB), %d "
              "hashing threads, %d writer threads, in %s (RAM for the build: %.1f MiB)\n",
              bytes / 1073741824.0, static_cast<unsigned long long>(geometry->buckets),
              static_cast<unsigned long long>(geometry->cups_per_bucket),
              static_cast<unsigned long long>(geometry->cup_size),
              geometry->bucket_records() * 16 / 1048576.0, threads, threads_io, dir.c_str(),
              validator::PosBuildRamBytes(*geometry, threads, threads_io) / 1048576.0);
  const std::string path = (std::filesystem::path(dir) / "proof-bench-vault.dsc").string();
  std::filesystem::remove(path);

  validator::PosOptions o;
  o.path = path;
  o.geometry = *geometry;
  o.threads_hash = threads;
  o.threads_io = threads_io;
  o.threads_deal = absl::GetFlag(FLAGS_threads_deal);
  o.map_file = absl::GetFlag(FLAGS_pos_map);
  o.build_in_ram = absl::GetFlag(FLAGS_pos_ram);
  // The I/O path alone: records from a cheap generator instead of BLAKE2b.
  o.fake_source = [](uint64_t first, size_t n, core::ProofEntry* out) {
    for (size_t i = 0; i < n; ++i) {
      uint64_t z = (first + i + 1) * 0x9E3779B97F4A7C15ull;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      out[i] = core::ProofEntry{z ^ (z >> 31), first + i};
    }
  };
  // Rounds of: the reference (sequential writes of the vault's size in the same folder:
  // plain, preallocated, preallocated and streamed), then the vault. This virtual disk writes fresh blocks much
  // slower than reused ones, and the machine may be shared, so single runs vary: the
  // reference is the best sequential write of all rounds, the vault its best round.
  double seq = 0;
  double best = 0;
  validator::PosBuildTimes best_times;
  for (int r = 0; r < runs; ++r) {
    std::printf("round %d:\n", r + 1);
    if (reference) {
      seq = std::max(seq, SequentialWrite(path + ".seq", bytes, false, false, device_stat));
      seq = std::max(seq, SequentialWrite(path + ".seq", bytes, true, false, device_stat));
      seq = std::max(seq, SequentialWrite(path + ".seq", bytes, true, true, device_stat));
    }
    const IoCount io0 = ReadIo(device_stat);
    const auto t0 = Clock::now();
    auto fake = validator::PosEngine::Open(kFp, BenchKey(), o);
    const double s = Since(t0);
    const IoCount io1 = ReadIo(device_stat);
    if (!fake.ok()) {
      std::printf("PoS: %s\n", fake.status().ToString().c_str());
      return;
    }
    const validator::PosBuildTimes t = (*fake)->build_times();
    std::printf("  vault write, I/O path (fake records), %s: %.2f s = %.0f MB/s: deal %.2f s "
                "(%d dealing threads; CPU %.2f s), sort+write buckets %.2f s (CPU %.2f s), "
                "final sync+header %.2f s (CPU %.2f s) (%s)\n",
                t.method == validator::PosBuildMethod::kInRam    ? "in RAM"
                : t.method == validator::PosBuildMethod::kMapped ? "mapped"
                                                                 : "cups",
                s, bytes / s / 1e6, t.deal_seconds, t.dealers,
                t.deal_cpu_seconds,
                t.sort_seconds, t.sort_cpu_seconds, t.sync_seconds, t.sync_cpu_seconds,
                IoText(io0, io1).c_str());
    if (bytes / s > best) {
      best = bytes / s;
      best_times = t;
    }
    fake->reset();
    DropCache(path);
    std::filesystem::remove(path);
  }
  if (seq > 0) {
    std::printf("vault write, I/O path: best %.0f MB/s = %.1f%% of the best sequential write "
                "(%.0f MB/s) (goal >= 80%%: %s)\n",
                best / 1e6, 100 * best / seq, seq / 1e6, Verdict(best >= 0.8 * seq));
  } else {
    std::printf("vault write, I/O path: best %.0f MB/s (no sequential reference: pos-seq "
                "skipped)\n",
                best / 1e6);
  }
  if (best > 0 && best < 0.8 * seq) {
    std::printf("  why: every bucket's records are known only when dealing ends, so the disk can "
                "write no final byte during the %.2f s of dealing; after it, the vault's bytes "
                "take at least %.2f s at the reference rate. Lower bound for this deal time: "
                "%.0f%%\n",
                best_times.deal_seconds, bytes / seq,
                100 * (bytes / seq) / (best_times.deal_seconds + bytes / seq));
  }
  if (!real_build) return;

  o.fake_source = nullptr;
  auto t0 = Clock::now();
  auto real = validator::PosEngine::Open(kFp, BenchKey(), o);
  double s = Since(t0);
  if (!real.ok()) {
    std::printf("PoS: %s\n", real.status().ToString().c_str());
    return;
  }
  const auto& h = (*real)->header();
  std::printf("vault build, real records: %.2f s = %.0f MB/s = %.1f%% of sequential; generate "
              "(hash+write) %.2f s at %.2f M records/s, sort %.2f s; gen/org %.2f GiB hashes "
              "(%.1f sec ~ %.0f MB/s)\n",
              s, bytes / s / 1e6, 100 * bytes / s / seq, h.generate_ms / 1e3,
              h.nonces / (h.generate_ms / 1e3) / 1e6, h.sort_ms / 1e3,
              geometry->data_bytes() / 1073741824.0, s, geometry->data_bytes() / s / 1e6);
  real->reset();
  if (!cold_lookups) {
    DropCache(path);
    std::filesystem::remove(path);
    return;
  }

  // Lookups at a difficulty above the bucket bits (the expensive case: a bucket read).
  const uint32_t difficulty = geometry->bucket_bits() + 8;
  o.direct_io = true;
  auto direct = validator::PosEngine::Open(kFp, BenchKey(), o);
  if (direct.ok()) {
    const Latency l = ColdLookups(**direct, lookups, difficulty, false);
    std::printf("cold lookup, O_DIRECT: avg %.3f ms, p99 %.3f ms over %d (difficulty %u: one "
                "read of the %.2f MiB bucket's window around the challenge; goal <= 5 ms: %s)\n",
                l.avg_ms, l.p99_ms, lookups, difficulty,
                geometry->bucket_records() * 16 / 1048576.0, Verdict(l.p99_ms <= 5));
    direct->reset();
  } else {
    std::printf("O_DIRECT: %s\n", direct.status().ToString().c_str());
  }
  o.direct_io = false;
  auto buffered = validator::PosEngine::Open(kFp, BenchKey(), o);
  if (buffered.ok()) {
    const Latency l = ColdLookups(**buffered, lookups, difficulty, true);
    std::printf("cold lookup, page cache dropped (posix_fadvise DONTNEED) before each: avg "
                "%.3f ms, p99 %.3f ms over %d (goal <= 5 ms: %s)\n",
                l.avg_ms, l.p99_ms, lookups, Verdict(l.p99_ms <= 5));
    ColdLookups(**buffered, lookups, difficulty, false);  // brings the windows into the cache
    const Latency warm = ColdLookups(**buffered, lookups, difficulty, false);
    std::printf("warm lookup (page cache): avg %.3f ms, p99 %.3f ms\n", warm.avg_ms,
                warm.p99_ms);
    buffered->reset();
  }
  DropCache(path);
  std::filesystem::remove(path);
}

}  // namespace

int main(int argc, char** argv) {
  dsc::util::NormalizeFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);
  if (!crypto::Init().ok()) return 1;
  util::SetLogLevel("warn");
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const std::vector<std::string> parts = absl::StrSplit(absl::GetFlag(FLAGS_skip), ',');
  auto skip = [&](const char* part) {
    return std::find(parts.begin(), parts.end(), part) != parts.end();
  };
  std::printf("proof-bench: %u cores\n", std::thread::hardware_concurrency());
  if (!skip("pow")) BenchPow(threads, absl::GetFlag(FLAGS_seconds));
  if (!skip("pom")) {
    auto size = util::ParseByteSize(absl::GetFlag(FLAGS_pom_size));
    if (!size.ok()) return 1;
    BenchPom(*size, threads, absl::GetFlag(FLAGS_lookups));
  }
  if (!skip("pos")) {
    auto size = util::ParseByteSize(absl::GetFlag(FLAGS_pos_size));
    if (!size.ok()) return 1;
    BenchPos(*size, absl::GetFlag(FLAGS_dir), threads, absl::GetFlag(FLAGS_threads_io),
             absl::GetFlag(FLAGS_cold_lookups), std::max(1, absl::GetFlag(FLAGS_pos_runs)),
             !skip("pos-seq"), !skip("pos-real"), !skip("pos-lookup"));
  }
  return 0;
}
