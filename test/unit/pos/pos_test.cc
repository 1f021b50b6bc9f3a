// Proof of space: vault geometry, build, lookups against brute force, reuse on restart,
// refusal of vaults that do not fit (other key, other geometry, truncated, corrupt),
// rebuild on request, cancellation, pos_check. Small vaults (well under 10 MB) keep it fast.
#include "validator/pos_vault.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/proof.h"
#include "crypto/crypto.h"
#include "util/log.h"

namespace Catch {
template <>
struct StringMaker<absl::Status> {
  static std::string convert(const absl::Status& s) { return s.ToString(); }
};
}  // namespace Catch

namespace dsc::validator {
namespace {

using core::Fingerprint;
using core::ProofEntry;
using core::PublicKey;

const bool kReady = [] {
  if (!crypto::Init().ok()) std::abort();
  util::SetLogLevel("error");
  return true;
}();

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dsc_pos_XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

PublicKey Key(uint8_t b) {
  crypto::Seed seed;
  seed.fill(b);
  return crypto::KeyPair::FromSeed(seed).public_key;
}

Fingerprint Fp(uint8_t b) {
  Fingerprint fp;
  fp.fill(b);
  return fp;
}

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// 16 buckets x 8 cups x 64 records = 8192 records, 128 KiB + header.
PosGeometry SmallGeometry() { return PosGeometry{16, 64, 8}; }

PosOptions Options(const std::string& path, PosGeometry g = SmallGeometry()) {
  PosOptions o;
  o.path = path;
  o.geometry = g;
  o.threads_hash = 2;
  o.threads_io = 2;
  return o;
}

std::unique_ptr<PosEngine> OpenOk(const PosOptions& o, const Fingerprint& fp = Fp(1),
                                  const PublicKey& key = Key(1)) {
  auto engine = PosEngine::Open(fp, key, o);
  INFO(engine.status().ToString());
  REQUIRE(engine.ok());
  return std::move(*engine);
}

std::vector<ProofEntry> ReadEntries(const std::string& path, uint64_t records) {
  std::vector<ProofEntry> v(records);
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(kVaultHeaderBytes));
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(records * 16));
  REQUIRE(in.good());
  return v;
}

void Overwrite(const std::string& path, uint64_t offset, const void* data, size_t n) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, data, n, static_cast<off_t>(offset)) == static_cast<ssize_t>(n));
  ::close(fd);
}

struct Check {
  absl::Status status;
  std::vector<std::string> lines;
  bool Has(const std::string& text) const {
    for (const auto& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

// The data checksum of the vault format, computed here on its own: a sum over every entry
// of Mix(prefix ^ Mix(nonce ^ index * golden)).
uint64_t FormatChecksum(const std::vector<ProofEntry>& entries) {
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  uint64_t sum = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    sum += mix(entries[i].prefix ^ mix(entries[i].nonce ^ (i * 0x9E3779B97F4A7C15ull)));
  }
  return sum;
}

// Cheap entries for vaults too large to hash in a unit test (the header says fake).
void FakeEntries(uint64_t first, size_t n, ProofEntry* out) {
  for (size_t i = 0; i < n; ++i) {
    uint64_t z = (first + i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    out[i] = ProofEntry{z ^ (z >> 31), first + i};
  }
}

Check RunCheck(const std::string& path) {
  Check c;
  c.status = CheckVault(path, 2, [&](const std::string& line) { c.lines.push_back(line); });
  return c;
}

TEST_CASE("DerivePosGeometry fills in and checks the vault geometry", "[pos]") {
  SECTION("all given and consistent") {
    auto g = DerivePosGeometry(10ull << 30, 256, 1024, 1024);  // the DSC example
    REQUIRE(g.ok());
    CHECK(g->data_bytes() == 4ull << 30);
    CHECK(g->bucket_bits() == 8);
  }
  SECTION("all given, more than the disk") {
    auto g = DerivePosGeometry(2ull << 30, 256, 1024, 1024);
    REQUIRE_FALSE(g.ok());
    CHECK(g.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Msg(g.status()), Catch::Contains("does not fit in disk"));
    CHECK_THAT(Msg(g.status()), Catch::Contains("buckets x cups_per_bucket x cup_size"));
  }
  SECTION("zero disk") {
    auto g = DerivePosGeometry(0, 0, 0, 0);
    CHECK_THAT(Msg(g.status()), Catch::Contains("disk must be a positive size"));
  }
  SECTION("buckets not a power of two") {
    auto g = DerivePosGeometry(1ull << 30, 300, 0, 0);
    CHECK_THAT(Msg(g.status()), Catch::Contains("buckets must be a power of two"));
    CHECK_THAT(Msg(g.status()), Catch::Contains("300"));
  }
  SECTION("disk smaller than a header and a cup") {
    auto g = DerivePosGeometry(8 << 10, 0, 1024, 0);
    CHECK_THAT(Msg(g.status()), Catch::Contains("too small"));
  }
  SECTION("buckets that do not fit one cup each") {
    auto g = DerivePosGeometry(1 << 20, 1024, 1024, 0);
    CHECK_THAT(Msg(g.status()), Catch::Contains("cannot hold buckets=1024"));
  }
  SECTION("cups_per_bucket too many for the disk") {
    auto g = DerivePosGeometry(1 << 20, 0, 1024, 1000);
    CHECK_THAT(Msg(g.status()), Catch::Contains("cups_per_bucket=1000"));
  }
  SECTION("derived: about 1 MiB buckets, fits the disk") {
    for (uint64_t disk : {uint64_t{1} << 20, uint64_t{5} << 20, uint64_t{1} << 30,
                          (uint64_t{10} << 30) + 12345, uint64_t{1} << 40}) {
      CAPTURE(disk);
      auto g = DerivePosGeometry(disk, 0, 0, 0);
      REQUIRE(g.ok());
      CHECK(g->cup_size == kDefaultCupSize);
      CHECK(g->file_bytes() <= disk);
      CHECK(g->file_bytes() > disk / 2);
      CHECK(g->buckets * g->cup_size * 16 <= kMaxCupRamBytes);
    }
    auto gib = DerivePosGeometry(1ull << 30, 0, 0, 0);
    CHECK(gib->buckets == 512);  // 1 GiB less the header: 512 buckets of ~2 MiB
  }
  SECTION("buckets given, cups derived; cups given, buckets derived") {
    auto a = DerivePosGeometry(64 << 20, 64, 256, 0);
    REQUIRE(a.ok());
    CHECK(a->buckets == 64);
    CHECK(a->file_bytes() <= 64 << 20);
    auto b = DerivePosGeometry(64 << 20, 0, 256, 16);
    REQUIRE(b.ok());
    CHECK(b->cups_per_bucket == 16);
    CHECK((b->buckets & (b->buckets - 1)) == 0);
    CHECK(b->file_bytes() <= 64 << 20);
  }
  CHECK(PosBuildRamBytes(PosGeometry{1024, 1024, 64}, 2, 1) >= 1024ull * 1024 * 16);
}

TEST_CASE("A vault is built, verified, and answers like brute force", "[pos]") {
  TempDir dir;
  const std::string path = dir.Sub("vault.dsc");
  std::map<std::string, int> finished;
  PosOptions o = Options(path);
  o.progress = [&](const core::BuildProgress& p) {
    if (p.finished) ++finished[std::string(p.phase)];
  };
  auto engine = OpenOk(o);
  CHECK_FALSE(engine->reused());
  CHECK(finished["generate"] == 1);
  CHECK(finished["sort"] == 1);
  CHECK(std::filesystem::file_size(path) == SmallGeometry().file_bytes());
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
  const VaultHeader& h = engine->header();
  CHECK(h.records == 8192);
  CHECK(h.nonces >= 8192);
  CHECK(h.key == Key(1));
  CHECK(h.fingerprint == Fp(1));
  const core::ProofStats stats = engine->Stats();
  CHECK(stats.kind == "pos");
  CHECK(stats.records_stored == 8192);
  CHECK(stats.hashes_total >= 8192);

  // The file: every bucket sorted, every entry the hash of its nonce, in its bucket.
  const auto entries = ReadEntries(path, h.records);
  const core::RecordHasher hasher(Fp(1), Key(1));
  std::vector<core::Record> records;
  for (uint64_t i = 0; i < h.records; ++i) {
    const ProofEntry& e = entries[i];
    REQUIRE(hasher.Prefix(e.nonce) == e.prefix);
    REQUIRE(core::BucketOf(e.prefix, 4) == i / 512);
    if (i > 0) REQUIRE(entries[i - 1].prefix <= e.prefix);
    records.push_back(hasher.Compute(e.nonce));
  }

  const Check check = RunCheck(path);
  INFO(check.status.ToString());
  CHECK(check.status.ok());
  CHECK(check.Has("Vault OK: 8192 records verified"));
  CHECK(check.Has("First 5 records:"));
  CHECK(check.Has("Last 5 records:"));
  CHECK(check.Has("#8191  bucket 15"));
  CHECK(check.Has("Buckets: 16 (4 bits), cups per bucket: 8, cup size: 64 records"));

  std::mt19937_64 rng(0x9051);
  const std::atomic<bool> cancel{false};
  int found = 0, missed = 0;
  for (int iter = 0; iter < 300; ++iter) {
    core::Hash32 challenge;
    for (auto& b : challenge) b = static_cast<uint8_t>(rng());
    for (uint32_t d : {0u, 2u, 4u, 5u, 9u, 12u, 13u, 14u, 15u, 20u, 70u, 193u}) {
      CAPTURE(iter, d);
      const auto nonce = engine->Solve(challenge, d, cancel);
      bool exists = false;
      for (const auto& r : records) exists = exists || core::MatchesChallenge(r, challenge, d);
      REQUIRE(nonce.has_value() == exists);
      if (nonce) {
        ++found;
        REQUIRE(core::MatchesChallenge(core::ComputeRecord(Fp(1), Key(1), *nonce), challenge, d));
      } else {
        ++missed;
      }
    }
  }
  CHECK(found > 1000);
  CHECK(missed > 300);
  // Cancelled: nothing, even when every record would match.
  const std::atomic<bool> cancelled{true};
  CHECK_FALSE(engine->Solve(core::Hash32{}, 0, cancelled).has_value());
  CHECK(engine->Solve(core::Hash32{}, 0, cancel).has_value());
}

TEST_CASE("A vault is reused on restart, refused when it does not fit, rebuilt on request",
          "[pos]") {
  TempDir dir;
  const std::string path = dir.Sub("vault.dsc");
  const VaultHeader first = OpenOk(Options(path))->header();

  SECTION("same key and geometry: reused, same answers") {
    auto again = OpenOk(Options(path));
    CHECK(again->reused());
    CHECK(again->header().created_ms == first.created_ms);
    CHECK(again->header().data_checksum == first.data_checksum);
    const std::atomic<bool> cancel{false};
    core::Hash32 c{};
    c[0] = 0x5a;
    CHECK(again->Solve(c, 10, cancel).has_value() ==
          OpenOk(Options(path))->Solve(c, 10, cancel).has_value());
    CHECK(again->Stats().hashes_total < 100);  // no generation
    CHECK(again->Stats().hashes_per_second > 0);  // the build's rate, from the header
  }
  SECTION("another key: refused, then rebuilt when asked") {
    auto other = PosEngine::Open(Fp(2), Key(2), Options(path));
    REQUIRE_FALSE(other.ok());
    CHECK(other.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(Msg(other.status()), Catch::Contains("was built for another validator"));
    CHECK_THAT(Msg(other.status()), Catch::Contains("--rebuild-vault"));
    CHECK(std::filesystem::exists(path));  // left alone
    PosOptions o = Options(path);
    o.rebuild = true;
    auto rebuilt = OpenOk(o, Fp(2), Key(2));
    CHECK_FALSE(rebuilt->reused());
    CHECK(rebuilt->header().key == Key(2));
    CHECK(RunCheck(path).status.ok());
  }
  SECTION("another geometry: refused naming both") {
    auto other = PosEngine::Open(Fp(1), Key(1), Options(path, PosGeometry{32, 64, 4}));
    REQUIRE_FALSE(other.ok());
    CHECK(other.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(Msg(other.status()), Catch::Contains("was built with buckets=16"));
    CHECK_THAT(Msg(other.status()), Catch::Contains("the settings ask for buckets=32"));
  }
  SECTION("truncated: refused, pos_check says so, rebuilt when asked") {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 4096);
    auto opened = PosEngine::Open(Fp(1), Key(1), Options(path));
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(Msg(opened.status()), Catch::Contains("is truncated"));
    const Check check = RunCheck(path);
    CHECK(check.status.code() == absl::StatusCode::kDataLoss);
    CHECK(check.Has("is truncated"));
    CHECK(check.Has("Vault BAD"));
    PosOptions o = Options(path);
    o.rebuild = true;
    CHECK_FALSE(OpenOk(o)->reused());
    CHECK(RunCheck(path).status.ok());
  }
  SECTION("shorter than a header, or not a vault") {
    std::filesystem::resize_file(path, 100);
    CHECK_THAT(Msg(PosEngine::Open(Fp(1), Key(1), Options(path)).status()),
               Catch::Contains("less than the 4096-byte header"));
    std::ofstream(path) << std::string(8192, 'x');
    CHECK_THAT(Msg(PosEngine::Open(Fp(1), Key(1), Options(path)).status()),
               Catch::Contains("is not a DSC vault"));
  }
  SECTION("a corrupt header byte") {
    const uint8_t junk = 0xEE;
    Overwrite(path, 90, &junk, 1);
    auto opened = PosEngine::Open(Fp(1), Key(1), Options(path));
    CHECK_THAT(Msg(opened.status()), Catch::Contains("header checksum mismatch"));
    CHECK(RunCheck(path).status.code() == absl::StatusCode::kDataLoss);
  }
  SECTION("a corrupt record: pos_check finds it") {
    // Record #700 (bucket 1): a nonce that does not hash to the stored prefix.
    const uint64_t bad_nonce = 123456789;
    Overwrite(path, kVaultHeaderBytes + 700 * 16 + 8, &bad_nonce, 8);
    const Check check = RunCheck(path);
    CHECK(check.status.code() == absl::StatusCode::kDataLoss);
    CHECK(check.Has("Vault BAD: record #700"));
  }
  SECTION("swapped records: pos_check finds the bucket out of order") {
    auto entries = ReadEntries(path, 8192);
    std::swap(entries[1030], entries[1031]);
    Overwrite(path, kVaultHeaderBytes + 1030 * 16, &entries[1030], 32);
    const Check check = RunCheck(path);
    CHECK(check.status.code() == absl::StatusCode::kDataLoss);
    CHECK(check.Has("bucket 2 is not sorted at record #1031"));
  }
  SECTION("a repeated record: pos_check finds it") {
    auto entries = ReadEntries(path, 8192);
    Overwrite(path, kVaultHeaderBytes + 2001 * 16, &entries[2000], 16);
    const Check check = RunCheck(path);
    CHECK(check.status.code() == absl::StatusCode::kDataLoss);
    CHECK(check.Has("repeats nonce"));
  }
}

TEST_CASE("pos_check on a missing vault", "[pos]") {
  TempDir dir;
  const Check check = RunCheck(dir.Sub("none.dsc"));
  CHECK(check.status.code() == absl::StatusCode::kNotFound);
  CHECK(check.Has("No vault at"));
}

TEST_CASE("An interrupted build leaves no vault", "[pos]") {
  TempDir dir;
  const std::string path = dir.Sub("vault.dsc");
  const std::atomic<bool> cancelled{true};
  PosOptions o = Options(path, PosGeometry{64, 256, 16});
  o.cancel = &cancelled;
  auto engine = PosEngine::Open(Fp(1), Key(1), o);
  CHECK(absl::IsCancelled(engine.status()));
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
  // A stale .partial from a crash does not get in the way.
  std::ofstream(path + ".partial") << "junk";
  o.cancel = nullptr;
  CHECK_FALSE(OpenOk(o)->reused());
  CHECK(RunCheck(path).status.ok());
}

TEST_CASE("A benchmark vault of fake records is never reused", "[pos]") {
  TempDir dir;
  const std::string path = dir.Sub("vault.dsc");
  PosOptions o = Options(path);
  o.fake_source = [](uint64_t first, size_t n, ProofEntry* out) {
    for (size_t i = 0; i < n; ++i) {
      out[i] = ProofEntry{(first + i) * 0x9E3779B97F4A7C15ull, first + i};
    }
  };
  OpenOk(o);
  auto header = ReadVaultHeader(path);
  REQUIRE(header.ok());
  CHECK(header->fake_records);
  auto reopened = PosEngine::Open(Fp(1), Key(1), Options(path));
  CHECK_THAT(Msg(reopened.status()), Catch::Contains("benchmark"));
  const Check check = RunCheck(path);
  CHECK(check.status.code() == absl::StatusCode::kDataLoss);
  CHECK(check.Has("fake"));
}

TEST_CASE("Lookups with O_DIRECT read the same records", "[pos]") {
  TempDir dir;
  const std::string path = dir.Sub("vault.dsc");
  // Buckets of 64 KiB: page-aligned, as O_DIRECT wants.
  const PosGeometry g{8, 256, 16};
  auto buffered = OpenOk(Options(path, g));
  PosOptions o = Options(path, g);
  o.direct_io = true;
  auto direct = PosEngine::Open(Fp(1), Key(1), o);
  if (!direct.ok()) {
    WARN("O_DIRECT not available here: " << direct.status().ToString());
    return;
  }
  std::mt19937_64 rng(5);
  const std::atomic<bool> cancel{false};
  for (int i = 0; i < 200; ++i) {
    core::Hash32 c;
    for (auto& b : c) b = static_cast<uint8_t>(rng());
    for (uint32_t d : {1u, 3u, 8u, 14u, 16u}) {
      CAPTURE(i, d);
      CHECK((*direct)->Solve(c, d, cancel) == buffered->Solve(c, d, cancel));
    }
  }
}

TEST_CASE("Lookups in large buckets read a window and still match brute force", "[pos]") {
  TempDir dir;
  const std::string path = dir.Sub("vault.dsc");
  // 2 buckets of 16384 records: lookups above 1 bit read a 4096-record window, or the whole
  // bucket when the candidates are too many for it (difficulty 2 or 3).
  for (const bool direct : {false, true}) {
    CAPTURE(direct);
    PosOptions o = Options(path, PosGeometry{2, 1024, 16});
    o.direct_io = direct;
    auto opened = PosEngine::Open(Fp(3), Key(3), o);
    if (!opened.ok() && direct) {
      WARN("O_DIRECT not available here: " << opened.status().ToString());
      continue;
    }
    REQUIRE(opened.ok());
    auto& engine = *opened;
    const auto entries = ReadEntries(path, engine->header().records);
    const core::RecordHasher hasher(Fp(3), Key(3));
    std::vector<core::Record> records;
    for (const auto& e : entries) records.push_back(hasher.Compute(e.nonce));
    std::mt19937_64 rng(0x3103);
    const std::atomic<bool> cancel{false};
    int found = 0;
    for (int iter = 0; iter < 150; ++iter) {
      core::Hash32 challenge;
      for (auto& b : challenge) b = static_cast<uint8_t>(rng());
      for (uint32_t d : {1u, 2u, 3u, 12u, 14u, 15u, 16u, 17u, 30u}) {
        CAPTURE(iter, d);
        const auto nonce = engine->Solve(challenge, d, cancel);
        bool exists = false;
        for (const auto& r : records) exists = exists || core::MatchesChallenge(r, challenge, d);
        REQUIRE(nonce.has_value() == exists);
        if (nonce) {
          ++found;
          REQUIRE(core::MatchesChallenge(hasher.Compute(*nonce), challenge, d));
        }
      }
    }
    CHECK(found > 700);
  }
}

TEST_CASE("A single-bucket, single-cup vault works", "[pos]") {
  TempDir dir;
  const std::string path = dir.Sub("vault.dsc");
  auto engine = OpenOk(Options(path, PosGeometry{1, 100, 1}));
  CHECK(engine->header().records == 100);
  CHECK(engine->header().nonces >= 100);
  const std::atomic<bool> cancel{false};
  CHECK(engine->Solve(core::Hash32{}, 0, cancel).has_value());
  CHECK(RunCheck(path).status.ok());
}

TEST_CASE("Dealing with several threads keeps the records one thread keeps", "[pos]") {
  // 16 buckets x 16384 records: batches of 4096, so the first batches are dealt without
  // counting (no bucket can overflow) and the last ones with slots handed out in order.
  for (const PosGeometry g : {SmallGeometry(), PosGeometry{16, 256, 64}}) {
    CAPTURE(g.buckets, g.cup_size, g.cups_per_bucket);
    TempDir dir;
    std::vector<std::vector<ProofEntry>> data;
    std::vector<VaultHeader> headers;
    for (int dealers : {1, 2, 3}) {
      CAPTURE(dealers);
      PosOptions o = Options(dir.Sub("vault" + std::to_string(dealers) + ".dsc"), g);
      o.threads_deal = dealers;
      o.threads_io = dealers;
      auto engine = OpenOk(o);
      CHECK(engine->build_times().dealers == dealers);
      headers.push_back(engine->header());
      data.push_back(ReadEntries(o.path, g.records()));
      const Check check = RunCheck(o.path);
      INFO(check.status.ToString());
      CHECK(check.status.ok());
    }
    for (size_t i = 1; i < data.size(); ++i) {
      CHECK(headers[i].nonces == headers[0].nonces);
      CHECK(headers[i].data_checksum == headers[0].data_checksum);
      CHECK(std::memcmp(data[i].data(), data[0].data(), data[0].size() * sizeof(ProofEntry)) == 0);
    }
  }
  // Each dealing thread has its own cups.
  CHECK(PosBuildRamBytes(PosGeometry{1024, 1024, 64}, 2, 1, 2) >=
        PosBuildRamBytes(PosGeometry{1024, 1024, 64}, 2, 1, 1) + 1024ull * 1024 * 16);
}

// The first vault given becomes the reference; every later one must hold the same
// entries, nonce count and data checksum.
class SameVault {
 public:
  void Check(const std::vector<ProofEntry>& data, const VaultHeader& header) {
    if (!have_) {
      entries_ = data;
      header_ = header;
      have_ = true;
      return;
    }
    CHECK(header.nonces == header_.nonces);
    CHECK(header.data_checksum == header_.data_checksum);
    REQUIRE(data.size() == entries_.size());
    CHECK(std::memcmp(data.data(), entries_.data(), data.size() * sizeof(ProofEntry)) == 0);
  }

 private:
  bool have_ = false;
  std::vector<ProofEntry> entries_;
  VaultHeader header_;
};

TEST_CASE("The mapped build and the build with cups write the same vault", "[pos]") {
  // Capacities with and without whole 64-byte lines per bucket (512, 16384, 75 records);
  // one and several dealing threads.
  for (const PosGeometry g : {SmallGeometry(), PosGeometry{16, 256, 64}, PosGeometry{4, 25, 3}}) {
    CAPTURE(g.buckets, g.cup_size, g.cups_per_bucket);
    TempDir dir;
    SameVault same;
    for (const bool map : {false, true}) {
      for (int dealers : {1, 2, 3}) {
        CAPTURE(map, dealers);
        PosOptions o = Options(dir.Sub("vault" + std::to_string(map) +
                                       std::to_string(dealers) + ".dsc"),
                               g);
        o.map_file = map;
        o.build_in_ram = false;
        o.threads_deal = dealers;
        auto engine = OpenOk(o);
        // /tmp can preallocate and map a file: the mapped build is taken when asked for.
        CHECK(engine->build_times().method ==
              (map ? PosBuildMethod::kMapped : PosBuildMethod::kCups));
        const auto data = ReadEntries(o.path, g.records());
        const Check check = RunCheck(o.path);
        INFO(check.status.ToString());
        CHECK(check.status.ok());
        same.Check(data, engine->header());
      }
    }
  }
}

TEST_CASE("An interrupted mapped or in-RAM build leaves no vault", "[pos]") {
  for (const bool in_ram : {false, true}) {
    CAPTURE(in_ram);
    TempDir dir;
    const std::string path = dir.Sub("vault.dsc");
    std::atomic<bool> cancel{false};
    PosOptions o = Options(path, PosGeometry{64, 256, 16});
    o.build_in_ram = in_ram;
    o.cancel = &cancel;
    int reports = 0;
    // Cancelled as dealing ends: the mapping or the image holds every entry, no bucket is
    // sorted yet.
    o.progress = [&](const core::BuildProgress& p) {
      ++reports;
      if (p.phase == "generate" && p.finished) cancel = true;
    };
    auto engine = PosEngine::Open(Fp(1), Key(1), o);
    CHECK(absl::IsCancelled(engine.status()));
    CHECK(reports > 0);
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(path + ".partial"));
  }
}

TEST_CASE("A write that fails mid-build stops the build with its error and leaves no vault",
          "[pos]") {
  // Fake entries, a 33 MB vault (in RAM: several 16 MiB+ pieces): the fault hits the first
  // write reaching past three quarters of the file, after earlier writes succeeded, while
  // sorters and writers are still busy.
  const PosGeometry g{16, 999, 130};
  struct Build {
    bool map_file, in_ram, direct;
    int threads_io;
  };
  for (const Build b : {Build{false, false, false, 1}, Build{false, false, false, 3},
                        Build{true, true, true, 1}, Build{true, true, true, 2},
                        Build{true, true, false, 2}}) {
    CAPTURE(b.map_file, b.in_ram, b.direct, b.threads_io);
    TempDir dir;
    PosOptions o = Options(dir.Sub("vault.dsc"), g);
    o.map_file = b.map_file;
    o.build_in_ram = b.in_ram;
    o.direct_writes = b.direct;
    o.threads_io = b.threads_io;
    o.fake_source = FakeEntries;
    std::atomic<int> writes{0}, failed{0};
    o.write_fault = [&](uint64_t offset, uint64_t bytes) {
      ++writes;
      if (offset + bytes <= g.file_bytes() / 4 * 3) return absl::OkStatus();
      ++failed;
      return absl::DataLossError(absl::StrCat("injected I/O error at ", offset));
    };
    const absl::Status status = PosEngine::Open(Fp(1), Key(1), o).status();
    INFO(status.ToString());
    CHECK(absl::IsDataLoss(status));
    CHECK_THAT(std::string(status.message()), Catch::Matchers::Contains("injected I/O error"));
    CHECK(writes > failed);  // earlier writes went through
    CHECK(failed >= 1);
    CHECK_FALSE(std::filesystem::exists(o.path));
    CHECK_FALSE(std::filesystem::exists(o.path + ".partial"));
    // Without the fault the same options build the vault.
    o.write_fault = nullptr;
    CHECK(OpenOk(o)->header().nonces > 0);
  }
}

TEST_CASE("A build cancelled while buckets are sorted and written leaves no vault", "[pos]") {
  // The in-RAM build writes only in phase 2, so a cancel raised from its first write lands
  // while sorters and writers are busy; the cup build's writes span both phases.
  const PosGeometry g{16, 999, 130};
  struct Build {
    bool in_ram, direct;
  };
  for (const Build b : {Build{true, true}, Build{true, false}, Build{false, false}}) {
    CAPTURE(b.in_ram, b.direct);
    TempDir dir;
    PosOptions o = Options(dir.Sub("vault.dsc"), g);
    o.map_file = b.in_ram;
    o.build_in_ram = b.in_ram;
    o.direct_writes = b.direct;
    o.fake_source = FakeEntries;
    std::atomic<bool> cancel{false};
    o.cancel = &cancel;
    o.write_fault = [&](uint64_t offset, uint64_t) {
      if (offset >= g.file_bytes() / 4) cancel = true;
      return absl::OkStatus();
    };
    const absl::Status status = PosEngine::Open(Fp(1), Key(1), o).status();
    INFO(status.ToString());
    CHECK(absl::IsCancelled(status));
    CHECK(cancel.load());
    CHECK_FALSE(std::filesystem::exists(o.path));
    CHECK_FALSE(std::filesystem::exists(o.path + ".partial"));
  }
}

TEST_CASE("The in-RAM build writes the same vault as the mapped build and the build with cups",
          "[pos]") {
  // Capacities with and without whole 4 KiB blocks per bucket; the last, of fake entries,
  // 33 MB: several direct pieces ending on 2 MiB boundaries inside buckets, and a file end
  // off any block boundary (its tail goes through the page cache).
  struct Case {
    PosGeometry g;
    bool fake;
  };
  for (const Case c : {Case{SmallGeometry(), false}, Case{PosGeometry{16, 256, 64}, false},
                       Case{PosGeometry{4, 25, 3}, false}, Case{PosGeometry{16, 999, 130}, true}}) {
    const PosGeometry& g = c.g;
    CAPTURE(g.buckets, g.cup_size, g.cups_per_bucket);
    TempDir dir;
    SameVault same;
    struct Build {
      PosBuildMethod method;
      int dealers;
      bool direct;
    };
    for (const Build b : {Build{PosBuildMethod::kCups, 1, false},
                          Build{PosBuildMethod::kMapped, 2, false},
                          Build{PosBuildMethod::kInRam, 1, true},
                          Build{PosBuildMethod::kInRam, 3, true},
                          Build{PosBuildMethod::kInRam, 2, false}}) {
      CAPTURE(static_cast<int>(b.method), b.dealers, b.direct);
      PosOptions o = Options(dir.Sub("vault" + std::to_string(static_cast<int>(b.method)) +
                                     std::to_string(b.dealers) + std::to_string(b.direct) +
                                     ".dsc"),
                             g);
      o.map_file = b.method != PosBuildMethod::kCups;
      o.build_in_ram = b.method == PosBuildMethod::kInRam;
      o.direct_writes = b.direct;
      o.threads_deal = b.dealers;
      if (c.fake) o.fake_source = FakeEntries;
      auto engine = OpenOk(o);
      CHECK(engine->build_times().method == b.method);
      // /tmp takes direct writes; without them, or in the other builds, none is direct.
      const uint64_t direct = engine->build_times().direct_bytes;
      if (b.direct) {
        CHECK(direct > 0);
        CHECK(direct <= g.data_bytes());
      } else {
        CHECK(direct == 0);
      }
      const auto data = ReadEntries(o.path, g.records());
      CHECK(std::filesystem::file_size(o.path) == g.file_bytes());
      CHECK(engine->header().data_checksum == FormatChecksum(data));
      if (!c.fake) {
        const Check check = RunCheck(o.path);
        INFO(check.status.ToString());
        CHECK(check.status.ok());
      }
      same.Check(data, engine->header());
    }
  }
}

TEST_CASE("The in-RAM build is taken when the vault's data fits the RAM limit", "[pos]") {
  TempDir dir;
  const PosGeometry g = SmallGeometry();
  std::vector<ProofEntry> data[2];
  for (const bool fits : {true, false}) {
    CAPTURE(fits);
    PosOptions o = Options(dir.Sub(fits ? "fits.dsc" : "too-large.dsc"), g);
    o.ram_build_bytes = fits ? g.data_bytes() : g.data_bytes() - 1;
    auto engine = OpenOk(o);
    CHECK(engine->build_times().method ==
          (fits ? PosBuildMethod::kInRam : PosBuildMethod::kMapped));
    data[fits] = ReadEntries(o.path, g.records());
  }
  CHECK(std::memcmp(data[0].data(), data[1].data(), g.data_bytes()) == 0);
  // Automatic (half the RAM available): a small vault is built in RAM.
  CHECK(OpenOk(Options(dir.Sub("auto.dsc"), g))->build_times().method == PosBuildMethod::kInRam);
}

}  // namespace
}  // namespace dsc::validator
