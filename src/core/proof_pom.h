// Proof of memory: at start-up the engine fills `memory_bytes` of RAM with proof entries
// (16 bytes each: an 8-byte record prefix and the nonce, see proof_table.h), generated in
// `threads` threads and sorted; each round is then answered by one binary search within
// the challenge's bucket and one hash to verify the candidate: no hashing per round.
// 1 GiB holds 67,108,864 records. Thread-safe: Solve is called by one thread at a time,
// Stats may be called concurrently.
#ifndef DSC_CORE_PROOF_POM_H_
#define DSC_CORE_PROOF_POM_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "core/proof.h"
#include "core/proof_table.h"

namespace dsc::core {

struct PomOptions {
  uint64_t memory_bytes = 0;  // table size; memory_bytes / 16 records, in whole buckets
  int threads = 1;            // generating and sorting threads
  ProgressFn progress;        // "generate" and "sort" phases; may be empty
  const std::atomic<bool>* cancel = nullptr;  // stops the build (e.g. on SIGTERM)
  uint64_t min_bucket_capacity = uint64_t{1} << 16;  // tests use small buckets
};

struct TableBuildTimes {
  double generate_seconds = 0;
  double sort_seconds = 0;
  uint64_t nonces_hashed = 0;
};

class PomEngine : public ProofEngine {
 public:
  // Allocates, generates and sorts the table. Returns kInvalidArgument if memory_bytes holds
  // no record, kResourceExhausted if the memory cannot be allocated, kCancelled if
  // *options.cancel became true.
  static absl::StatusOr<std::unique_ptr<PomEngine>> Create(const Fingerprint& fingerprint,
                                                           const PublicKey& key,
                                                           const PomOptions& options);
  ~PomEngine() override;
  PomEngine(const PomEngine&) = delete;
  PomEngine& operator=(const PomEngine&) = delete;

  // Answers at once: a nonce from the table whose record matches, or nullopt if the table
  // holds none (e.g. the difficulty is beyond what the table can reach) or `cancel` is set.
  std::optional<uint64_t> Solve(const Hash32& challenge, uint32_t difficulty,
                                const std::atomic<bool>& cancel) override;
  // kind "pom"; hashes_per_second is the generation rate; records_stored the table size.
  ProofStats Stats() const override;

  const TableLayout& layout() const { return layout_; }
  const TableBuildTimes& times() const { return times_; }
  // The table: layout().records() entries sorted by prefix.
  const ProofEntry* entries() const { return table_; }

 private:
  PomEngine(const Fingerprint& fingerprint, const PublicKey& key, TableLayout layout);

  const RecordHasher hasher_;
  const TableLayout layout_;
  ProofEntry* table_ = nullptr;
  size_t mapped_bytes_ = 0;
  TableBuildTimes times_;
  std::atomic<uint64_t> verify_hashes_{0};
};

}  // namespace dsc::core

#endif  // DSC_CORE_PROOF_POM_H_
