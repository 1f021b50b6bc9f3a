// The node's key-value store: ordered keys in named columns, atomic batched writes.
// Implementations: the RocksDB store (rocks_store.h), an in-memory twin
// (memory_store.h) and a fault-injecting wrapper for tests (faulty_store.h).
// Thread-safety: every Store is safe for concurrent use; a WriteBatch is not.
#ifndef DSC_STORAGE_STORE_H_
#define DSC_STORAGE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace dsc::storage {

// One column per concern (a RocksDB column family each).
enum class Column : int {
  kMeta = 0,   // tip, genesis hash, schema version, supply, metronome key ...
  kBlocks,     // height (8-byte big-endian) -> encoded block
  kBlockHash,  // block hash -> height
  kTx,         // tx id -> height, index
  kAccounts,   // address -> balance, nonce
  kAddrTx,     // address, height, index -> tx id
  kTrie,       // provenance trie nodes
  kPool,       // pending transactions: arrival seq (8-byte big-endian) -> seq, encoded tx
};
inline constexpr int kColumnCount = 8;

// Returns the column's name ("meta", "blocks", ...), used as the RocksDB family name.
std::string_view ColumnName(Column column);

// A set of puts and deletes applied all-or-nothing by Store::Write.
class WriteBatch {
 public:
  struct Op {
    Column column;
    std::string key;
    std::string value;
    bool is_delete;
  };
  void Put(Column column, std::string_view key, std::string_view value);
  void Delete(Column column, std::string_view key);
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

// Called for each entry of a scan in key order; return false to stop.
using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

class Store {
 public:
  virtual ~Store() = default;

  // Returns the value of `key`, kNotFound if absent, another code on I/O failure.
  virtual absl::StatusOr<std::string> Get(Column column, std::string_view key) = 0;

  // Looks up every key of `keys` in `column`: element i is what Get(column, keys[i])
  // would return (kNotFound for an absent key), from one consistent view of the store
  // where the implementation can (RocksDB, memory). The default calls Get for each key;
  // stores override it to batch the lookups.
  virtual std::vector<absl::StatusOr<std::string>> MultiGet(Column column,
                                                            absl::Span<const std::string_view> keys);

  // Applies every op of `batch` atomically, in order. With `sync` the write is durable
  // (fsync'd WAL) before this returns. On error nothing of the batch is visible.
  virtual absl::Status Write(const WriteBatch& batch, bool sync) = 0;

  // Visits the entries whose key starts with `prefix` in ascending key order, starting at
  // `start` if it is not empty (start must itself begin with prefix). With `reverse`,
  // visits them in descending order, starting at the last key <= start if given.
  virtual absl::Status Scan(Column column, std::string_view prefix, std::string_view start,
                            bool reverse, const ScanFn& fn) = 0;

  // Convenience: ascending scan of the whole prefix.
  absl::Status ScanPrefix(Column column, std::string_view prefix, const ScanFn& fn) {
    return Scan(column, prefix, "", false, fn);
  }
};

struct RocksStoreOptions {
  std::string path;               // directory; created if missing
  size_t block_cache_bytes = 64 << 20;
  bool create_if_missing = true;
};

// Opens (creating if needed) the RocksDB store at options.path with every Column as a
// column family. Returns kInvalidArgument for an empty path, kUnavailable if the
// database is locked by another process, kDataLoss if it is corrupt.
absl::StatusOr<std::unique_ptr<Store>> OpenRocksStore(const RocksStoreOptions& options);

// A new empty in-memory store with the same semantics as the RocksDB store.
std::unique_ptr<Store> NewMemoryStore();

}  // namespace dsc::storage

#endif  // DSC_STORAGE_STORE_H_
