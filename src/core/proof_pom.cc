#include "core/proof_pom.h"

#include <pthread.h>
#include <sys/mman.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace dsc::core {

PomEngine::PomEngine(const Fingerprint& fingerprint, const PublicKey& key, TableLayout layout)
    : hasher_(fingerprint, key), layout_(layout) {}

PomEngine::~PomEngine() {
  if (table_ != nullptr) ::munmap(table_, mapped_bytes_);
}

absl::StatusOr<std::unique_ptr<PomEngine>> PomEngine::Create(const Fingerprint& fingerprint,
                                                             const PublicKey& key,
                                                             const PomOptions& options) {
  const TableLayout layout =
      LayoutForRecords(options.memory_bytes / kEntryBytes, options.min_bucket_capacity);
  if (layout.records() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("PoM memory of ", options.memory_bytes,
                                                   " bytes holds no record (16 bytes each)"));
  }
  std::unique_ptr<PomEngine> engine(new PomEngine(fingerprint, key, layout));
  const int threads = std::max(1, options.threads);

  // Plain anonymous memory. Not MADV_HUGEPAGE: the first batch touches every bucket, and
  // a huge-page fault that has to compact memory first can stall for seconds; with small
  // pages the faults are spread over the generation.
  const size_t bytes = layout.bytes();
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", bytes, " bytes for the PoM table"));
  }
  engine->table_ = static_cast<ProofEntry*>(mem);
  engine->mapped_bytes_ = bytes;
  ProofEntry* const table = engine->table_;

  // Generate: records in nonce order into their bucket's next slot.
  ProgressMeter generate(options.progress, "generate", bytes);
  BucketFill fill(layout);
  const uint32_t bits = layout.bucket_bits;
  const uint64_t capacity = layout.bucket_capacity;
  uint64_t placed = 0;
  auto sink = [&](const ProofEntry* batch, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const uint64_t bucket = BucketOf(batch[i].prefix, bits);
      const int64_t slot = fill.Take(bucket);
      if (slot < 0) continue;
      table[bucket * capacity + static_cast<uint64_t>(slot)] = batch[i];
      ++placed;
    }
    generate.Update(placed * kEntryBytes);
    return fill.AllFull();
  };
  const size_t batch = static_cast<size_t>(
      std::clamp<uint64_t>(layout.records() / 64, 4096, uint64_t{1} << 18));
  auto generated = GenerateInOrder(HashingSource(engine->hasher_), threads, batch,
                                   options.cancel, sink);
  if (!generated.ok()) return generated.status();
  engine->times_.nonces_hashed = generated->nonces_hashed;
  engine->times_.generate_seconds = generate.Seconds();
  generate.Finish();

  // Sort: each bucket on its own, in parallel.
  ProgressMeter sorting(options.progress, "sort", bytes);
  std::atomic<uint64_t> next{0};
  std::atomic<bool> cancelled{false};
  auto sorter = [&]() {
    pthread_setname_np(pthread_self(), "pom-sort");
    std::vector<ProofEntry> scratch(capacity);
    for (uint64_t b = next++; b < layout.buckets(); b = next++) {
      if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
        cancelled = true;
        return;
      }
      SortEntries(table + b * capacity, capacity, bits, scratch.data());
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(sorter);
  sorter();
  for (auto& t : pool) t.join();
  if (cancelled) return absl::CancelledError("table generation interrupted");
  engine->times_.sort_seconds = sorting.Seconds();
  sorting.Finish();
  return engine;
}

std::optional<uint64_t> PomEngine::Solve(const Hash32& challenge, uint32_t difficulty,
                                         const std::atomic<bool>& cancel) {
  if (cancel.load(std::memory_order_relaxed)) return std::nullopt;
  // Bucket b holds every record whose top bucket_bits bits are the challenge's, so it holds
  // the matching records at any difficulty: below bucket_bits every entry of b matches.
  const uint64_t bucket = BucketOf(ChallengePrefix(challenge), layout_.bucket_bits);
  uint64_t hashes = 0;
  auto nonce = FindMatch(table_ + bucket * layout_.bucket_capacity, layout_.bucket_capacity,
                         challenge, difficulty, hasher_, &hashes);
  verify_hashes_.fetch_add(hashes, std::memory_order_relaxed);
  return nonce;
}

ProofStats PomEngine::Stats() const {
  ProofStats s;
  s.kind = "pom";
  s.records_stored = layout_.records();
  s.hashes_total = times_.nonces_hashed + verify_hashes_.load(std::memory_order_relaxed);
  s.hashes_per_second = times_.generate_seconds > 0
                            ? static_cast<double>(times_.nonces_hashed) / times_.generate_seconds
                            : 0;
  return s;
}

}  // namespace dsc::core
