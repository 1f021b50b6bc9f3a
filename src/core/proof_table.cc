#include "core/proof_table.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace dsc::core {

TableLayout LayoutForRecords(uint64_t records, uint64_t min_bucket_capacity) {
  TableLayout layout;
  if (min_bucket_capacity == 0) min_bucket_capacity = 1;
  while (layout.bucket_bits < 24 && (records >> (layout.bucket_bits + 1)) >= min_bucket_capacity) {
    ++layout.bucket_bits;
  }
  layout.bucket_capacity = records >> layout.bucket_bits;
  return layout;
}

ProgressMeter::ProgressMeter(const ProgressFn& fn, std::string_view phase, uint64_t total_bytes,
                             absl::Duration interval)
    : fn_(fn),
      phase_(phase),
      total_bytes_(total_bytes),
      interval_(interval),
      start_(absl::Now()),
      last_(start_) {}

void ProgressMeter::Update(uint64_t done_bytes) {
  if (!fn_) return;
  const absl::Time now = absl::Now();
  if (now - last_ < interval_) return;
  last_ = now;
  fn_(BuildProgress{phase_, done_bytes, total_bytes_, absl::ToDoubleSeconds(now - start_), false});
}

void ProgressMeter::Finish() {
  if (!fn_) return;
  fn_(BuildProgress{phase_, total_bytes_, total_bytes_, Seconds(), true});
}

double ProgressMeter::Seconds() const { return absl::ToDoubleSeconds(absl::Now() - start_); }

EntrySource HashingSource(const RecordHasher& hasher) {
  return [&hasher](uint64_t first, size_t n, ProofEntry* out) {
    for (size_t i = 0; i < n; ++i) {
      const uint64_t nonce = first + i;
      out[i].prefix = hasher.Prefix(nonce);
      out[i].nonce = nonce;
    }
  };
}

absl::StatusOr<GenerateResult> GenerateInOrder(const EntrySource& source, int threads,
                                               size_t batch, const std::atomic<bool>* cancel,
                                               const BatchSink& sink) {
  threads = std::max(1, threads);
  batch = std::max<size_t>(batch, static_cast<size_t>(threads));
  std::vector<ProofEntry> buffers[2] = {std::vector<ProofEntry>(batch),
                                        std::vector<ProofEntry>(batch)};
  absl::Mutex mu;
  uint64_t posted = 0;  // jobs posted so far; job k fills buffers[k % 2] with batch k
  int pending = 0;      // workers not done with the last job
  bool quit = false;
  auto worker = [&](int index) {
    pthread_setname_np(pthread_self(), "proof-gen");
    uint64_t seen = 0;
    while (true) {
      uint64_t job;
      {
        absl::MutexLock lock(&mu);
        auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return quit || posted > seen; };
        mu.Await(absl::Condition(&ready));
        if (quit) return;
        job = posted - 1;
        seen = posted;
      }
      const size_t lo = batch * static_cast<size_t>(index) / static_cast<size_t>(threads);
      const size_t hi = batch * static_cast<size_t>(index + 1) / static_cast<size_t>(threads);
      source(job * batch + lo, hi - lo, buffers[job % 2].data() + lo);
      absl::MutexLock lock(&mu);
      --pending;
    }
  };
  auto post = [&](uint64_t job) {
    absl::MutexLock lock(&mu);
    pending = threads;
    posted = job + 1;
  };
  auto wait = [&]() {
    absl::MutexLock lock(&mu);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return pending == 0; };
    mu.Await(absl::Condition(&done));
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker, i);

  absl::Status status;
  uint64_t job = 0;
  post(0);
  while (true) {
    wait();  // batch `job` is ready
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      status = absl::CancelledError("table generation interrupted");
      break;
    }
    post(job + 1);
    const bool stop = sink(buffers[job % 2].data(), batch);
    ++job;
    if (stop) {
      wait();
      break;
    }
  }
  {
    absl::MutexLock lock(&mu);
    quit = true;
  }
  for (auto& t : pool) t.join();
  if (!status.ok()) return status;
  return GenerateResult{job * batch, (job + 1) * batch};
}

namespace {

// The order of a sorted table: by prefix, ties (rare) by nonce.
inline bool Before(const ProofEntry& x, const ProofEntry& y) {
  return x.prefix < y.prefix || (x.prefix == y.prefix && x.nonce < y.nonce);
}

// Insertion sort that gives up after `budget` moves (returns false; the entries are then
// a permutation of the input, partly sorted).
bool InsertionSort(ProofEntry* a, size_t n, size_t budget) {
  for (size_t i = 1; i < n; ++i) {
    if (!Before(a[i], a[i - 1])) continue;
    const ProofEntry v = a[i];
    size_t j = i;
    while (j > 0 && Before(v, a[j - 1])) {
      if (budget-- == 0) {
        a[j] = v;
        return false;
      }
      a[j] = a[j - 1];
      --j;
    }
    a[j] = v;
  }
  return true;
}

// Finishes a sort whose input is nearly sorted (linear), or any input (n log n).
void FinishSort(ProofEntry* a, size_t n) {
  if (InsertionSort(a, n, 8 * n + 64)) return;
  std::sort(a, a + n, Before);
}

// LSD radix passes over the `width` bits from bit `low` of the prefixes of (*src)[0..n), in
// `passes` digits of `digit` bits (the last may be narrower), alternating between *src and
// *dst; on return *src holds the result. Every pass's digit counts come from one read of
// the input (a digit's counts do not depend on the order), then one scatter per pass.
// Count must hold n.
template <typename Count>
void RadixPasses(ProofEntry** src, ProofEntry** dst, size_t n, uint32_t low, uint32_t width,
                 uint32_t passes, uint32_t digit) {
  constexpr uint32_t kMaxPasses = 6;  // width <= 64 bits in digits of up to 11 bits
  std::array<std::array<Count, 2048>, kMaxPasses> count;
  uint32_t shift[kMaxPasses];
  uint64_t mask[kMaxPasses];
  for (uint32_t p = 0; p < passes; ++p) {
    shift[p] = low + p * digit;
    mask[p] = (uint64_t{1} << std::min(digit, low + width - shift[p])) - 1;
    std::fill(count[p].begin(), count[p].begin() + mask[p] + 1, 0);
  }
  const ProofEntry* in = *src;
  if (passes == 2) {
    for (size_t i = 0; i < n; ++i) {
      const uint64_t x = in[i].prefix;
      ++count[0][(x >> shift[0]) & mask[0]];
      ++count[1][(x >> shift[1]) & mask[1]];
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      const uint64_t x = in[i].prefix;
      for (uint32_t p = 0; p < passes; ++p) ++count[p][(x >> shift[p]) & mask[p]];
    }
  }
  for (uint32_t p = 0; p < passes; ++p) {
    Count* const at = count[p].data();
    Count sum = 0;
    for (uint64_t d = 0; d <= mask[p]; ++d) {
      const Count c = at[d];
      at[d] = sum;
      sum += c;
    }
    const ProofEntry* from = *src;
    ProofEntry* to = *dst;
    const uint32_t sh = shift[p];
    const uint64_t m = mask[p];
    for (size_t i = 0; i < n; ++i) to[at[(from[i].prefix >> sh) & m]++] = from[i];
    std::swap(*src, *dst);
  }
}

}  // namespace

void SortEntries(ProofEntry* entries, size_t n, uint32_t known_bits, ProofEntry* scratch) {
  if (n < 2) return;
  if (n <= 64 || known_bits >= 64) {
    FinishSort(entries, n);
    return;
  }
  // The window of bits just below the known ones, wide enough (log2(n) + 4 bits) that the
  // entries sharing a window value average under 1/16: the final insertion pass is linear.
  uint32_t log2n = 0;
  while ((uint64_t{1} << log2n) < n) ++log2n;
  const uint32_t width = std::min<uint32_t>(log2n + 4, 64 - known_bits);
  const uint32_t passes = (width + 10) / 11;
  const uint32_t digit = (width + passes - 1) / passes;
  const uint32_t low = 64 - known_bits - width;
  ProofEntry* src = entries;
  ProofEntry* dst = scratch;
  if (n <= UINT32_MAX) {
    RadixPasses<uint32_t>(&src, &dst, n, low, width, passes, digit);
  } else {
    RadixPasses<size_t>(&src, &dst, n, low, width, passes, digit);
  }
  if (src != entries) std::memcpy(entries, src, n * sizeof(ProofEntry));
  FinishSort(entries, n);
}

std::optional<uint64_t> FindMatch(const ProofEntry* sorted, size_t n, const Hash32& challenge,
                                  uint32_t difficulty, const RecordHasher& hasher,
                                  uint64_t* hashes) {
  constexpr int kMaxChecks = 64;
  if (difficulty > sizeof(Record) * 8 || n == 0) return std::nullopt;
  const uint32_t bits = std::min<uint32_t>(difficulty, 64);
  const uint64_t mask = bits == 0 ? 0 : ~uint64_t{0} << (64 - bits);
  const uint64_t lo = ChallengePrefix(challenge) & mask;
  const uint64_t hi = lo | ~mask;
  const ProofEntry* end = sorted + n;
  const ProofEntry* it = std::lower_bound(
      sorted, end, lo, [](const ProofEntry& e, uint64_t v) { return e.prefix < v; });
  for (int checks = 0; it != end && it->prefix <= hi && checks < kMaxChecks; ++it, ++checks) {
    if (hashes != nullptr) ++*hashes;
    if (MatchesChallenge(hasher.Compute(it->nonce), challenge, difficulty)) return it->nonce;
  }
  return std::nullopt;
}

}  // namespace dsc::core
