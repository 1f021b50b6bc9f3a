// RocksDB implementation of Store (OpenRocksStore in store.h).
//
// Layout: one column family per Column, named ColumnName(column) ("meta", "blocks", ...).
// The RocksDB "default" family always exists but holds no dscd data. Families found on
// disk that this version does not know are opened (RocksDB requires it) and left alone.
//
// Thread-safety: rocksdb::DB is safe for concurrent use and the handles are immutable
// after open, so RocksStore is safe for concurrent use.
#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "storage/internal.h"
#include "storage/store.h"

namespace dsc::storage {
namespace {

constexpr int kBloomBitsPerKey = 10;
constexpr int kMaxOpenFiles = 512;
constexpr size_t kKeepLogFileNum = 3;
constexpr uint64_t kMaxTotalWalBytes = 256ull << 20;
constexpr uint64_t kBytesPerSync = 1ull << 20;

// The one place where rocksdb::Status becomes absl::Status. `context` names the operation
// (and path) for the message.
absl::Status ToAbslStatus(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(internal::ToAbsl(context), ": ", s.ToString());
  const std::string lower = absl::AsciiStrToLower(s.ToString());
  const bool lock_held =
      absl::StrContains(lower, "lock hold") || absl::StrContains(lower, "while lock file") ||
      absl::StrContains(lower, "/lock:");
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(message);
    case rocksdb::Status::kIOError:
    case rocksdb::Status::kBusy:
      if (lock_held || s.code() == rocksdb::Status::kBusy) {
        return absl::UnavailableError(absl::StrCat(
            internal::ToAbsl(context), ": the data directory is in use by another process (its LOCK file is held); ",
            "stop the other dscd instance or choose another data dir (", s.ToString(), ")"));
      }
      if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
      return absl::UnavailableError(message);
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kShutdownInProgress:
      return absl::UnavailableError(message);
    case rocksdb::Status::kAborted:
      return absl::AbortedError(message);
    case rocksdb::Status::kExpired:
      return absl::DeadlineExceededError(message);
    default:
      return absl::InternalError(message);
  }
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// LZ4 for the upper levels and ZSTD for the bottommost one when the library has them.
void ChooseCompression(rocksdb::ColumnFamilyOptions& cf) {
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  auto has = [&supported](rocksdb::CompressionType type) {
    for (rocksdb::CompressionType t : supported) {
      if (t == type) return true;
    }
    return false;
  };
  if (has(rocksdb::kLZ4Compression)) {
    cf.compression = rocksdb::kLZ4Compression;
  } else if (has(rocksdb::kSnappyCompression)) {
    cf.compression = rocksdb::kSnappyCompression;
  } else {
    cf.compression = rocksdb::kNoCompression;
  }
  if (has(rocksdb::kZSTD)) cf.bottommost_compression = rocksdb::kZSTD;
}

// Families read mostly by Get get a bloom filter; kAddrTx is read by prefix scans only.
bool IsPointLookupColumn(Column column) { return column != Column::kAddrTx; }

rocksdb::ColumnFamilyOptions MakeColumnOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                               bool bloom) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  if (bloom) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
    table.optimize_filters_for_memory = true;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.level_compaction_dynamic_level_bytes = true;
  ChooseCompression(cf);
  return cf;
}

rocksdb::DBOptions MakeDbOptions(const RocksStoreOptions& options) {
  rocksdb::DBOptions db;
  db.create_if_missing = options.create_if_missing;
  db.create_missing_column_families = true;
  db.keep_log_file_num = kKeepLogFileNum;
  db.max_open_files = kMaxOpenFiles;
  db.max_total_wal_size = kMaxTotalWalBytes;
  db.bytes_per_sync = kBytesPerSync;
  db.wal_bytes_per_sync = kBytesPerSync;
  db.max_background_jobs = 2;
  db.paranoid_checks = true;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  return db;
}

class RocksStore final : public Store {
 public:
  // Takes ownership of `db` and of every handle in `handles`; `columns[i]` is the handle
  // of Column i and is also in `handles`.
  RocksStore(std::shared_ptr<rocksdb::Cache> cache,
             std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
             std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> columns)
      : cache_(std::move(cache)),
        db_(std::move(db)),
        handles_(std::move(handles)),
        columns_(columns) {}

  ~RocksStore() override {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }

  absl::StatusOr<std::string> Get(Column column, std::string_view key) override {
    if (!internal::IsValidColumn(column)) {
      return absl::InvalidArgumentError(
          absl::StrCat("get: invalid column ", static_cast<int>(column)));
    }
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Handle(column), ToSlice(key), &value);
    if (!s.ok()) return ToAbslStatus(s, absl::StrCat("get ", internal::ToAbsl(ColumnName(column))));
    return value;
  }

  std::vector<absl::StatusOr<std::string>> MultiGet(
      Column column, absl::Span<const std::string_view> keys) override {
    if (!internal::IsValidColumn(column)) {
      return internal::InvalidColumnResults(column, keys.size());
    }
    std::vector<absl::StatusOr<std::string>> values;
    values.reserve(keys.size());
    if (keys.empty()) return values;
    // The batched MultiGet reads from one implicit snapshot.
    std::vector<rocksdb::Slice> slices;
    slices.reserve(keys.size());
    for (std::string_view key : keys) slices.push_back(ToSlice(key));
    std::vector<rocksdb::PinnableSlice> pinned(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), Handle(column), slices.size(), slices.data(),
                  pinned.data(), statuses.data());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].ok()) {
        values.push_back(pinned[i].ToString());
      } else {
        values.push_back(
            ToAbslStatus(statuses[i], absl::StrCat("get ", internal::ToAbsl(ColumnName(column)))));
      }
    }
    return values;
  }

  absl::Status Write(const WriteBatch& batch, bool sync) override {
    // The memtable's skip list inserts keys that arrive in ascending order cheaply (it
    // keeps the previous insertion point), and random ones (tx ids, trie node hashes)
    // expensively, so the ops go in sorted by (column, key). Ops on the same key keep their
    // order (ties go by index), so the result is the same as applying them in order. The
    // sort compares the key's first 8 bytes as a big-endian number first (zero padded, so
    // the order stays bytewise), which settles almost every comparison of hash keys
    // without touching the strings.
    const std::vector<WriteBatch::Op>& ops = batch.ops();
    if (ops.size() > UINT32_MAX) return absl::InvalidArgumentError("write: batch too large");
    struct SortKey {
      uint32_t column;
      uint32_t index;
      uint64_t head;
    };
    std::vector<SortKey> order;
    order.reserve(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      const WriteBatch::Op& op = ops[i];
      if (!internal::IsValidColumn(op.column)) {
        return absl::InvalidArgumentError(
            absl::StrCat("write: invalid column ", static_cast<int>(op.column)));
      }
      uint64_t head = 0;
      for (size_t b = 0; b < 8; ++b) {
        head = (head << 8) | (b < op.key.size() ? static_cast<uint8_t>(op.key[b]) : 0);
      }
      order.push_back(SortKey{static_cast<uint32_t>(op.column), static_cast<uint32_t>(i), head});
    }
    std::sort(order.begin(), order.end(), [&ops](const SortKey& a, const SortKey& b) {
      if (a.column != b.column) return a.column < b.column;
      if (a.head != b.head) return a.head < b.head;
      if (const int c = ops[a.index].key.compare(ops[b.index].key); c != 0) return c < 0;
      return a.index < b.index;
    });
    rocksdb::WriteBatch rocks_batch;
    for (const SortKey& k : order) {
      const WriteBatch::Op& op = ops[k.index];
      rocksdb::Status s = op.is_delete
                              ? rocks_batch.Delete(Handle(op.column), ToSlice(op.key))
                              : rocks_batch.Put(Handle(op.column), ToSlice(op.key),
                                                ToSlice(op.value));
      if (!s.ok()) return ToAbslStatus(s, "write: building batch");
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = sync;
    return ToAbslStatus(db_->Write(write_options, &rocks_batch), "write");
  }

  absl::Status Scan(Column column, std::string_view prefix, std::string_view start,
                    bool reverse, const ScanFn& fn) override {
    if (absl::Status status = internal::CheckScanArgs(column, prefix, start); !status.ok()) {
      return status;
    }
    // Bounds keep the iterator inside the prefix, which also lets RocksDB skip
    // tombstones and files outside it. The slices must outlive the iterator.
    const std::optional<std::string> successor = internal::PrefixSuccessor(prefix);
    const rocksdb::Slice lower_bound = ToSlice(prefix);
    rocksdb::Slice upper_bound;
    rocksdb::ReadOptions read_options;
    read_options.iterate_lower_bound = &lower_bound;
    if (successor.has_value()) {
      upper_bound = ToSlice(*successor);
      read_options.iterate_upper_bound = &upper_bound;
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, Handle(column)));
    if (!reverse) {
      it->Seek(ToSlice(start.empty() ? prefix : start));
    } else if (start.empty()) {
      it->SeekToLast();  // last key < upper bound
    } else {
      it->SeekForPrev(ToSlice(start));  // last key <= start
    }
    for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
      const std::string_view key = ToView(it->key());
      if (!key.starts_with(prefix)) break;
      if (!fn(key, ToView(it->value()))) break;
    }
    return ToAbslStatus(it->status(), absl::StrCat("scan ", internal::ToAbsl(ColumnName(column))));
  }

 private:
  rocksdb::ColumnFamilyHandle* Handle(Column column) const {
    return columns_[static_cast<int>(column)];
  }

  const std::shared_ptr<rocksdb::Cache> cache_;  // shared by every family's table options
  const std::unique_ptr<rocksdb::DB> db_;
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // every open family
  const std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> columns_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenRocksStore(const RocksStoreOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("OpenRocksStore: empty data directory path");
  }
  const std::string context = absl::StrCat("open rocksdb at ", options.path);
  std::error_code ec;
  if (options.create_if_missing) {
    std::filesystem::create_directories(options.path, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat(context, ": cannot create directory: ", ec.message()));
    }
  } else if (!std::filesystem::exists(options.path, ec)) {
    // RocksDB would create the directory before noticing the database is missing.
    return absl::NotFoundError(
        absl::StrCat(context, ": data directory does not exist and create_if_missing is off"));
  }

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db_options = MakeDbOptions(options);

  // Open every family already on disk (RocksDB refuses to open otherwise) plus ours.
  std::vector<std::string> existing;
  if (!rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing).ok()) {
    existing.clear();  // new database (or unreadable: DB::Open reports the real error)
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, MakeColumnOptions(cache, false));
  for (int i = 0; i < kColumnCount; ++i) {
    const Column column = static_cast<Column>(i);
    descriptors.emplace_back(std::string(ColumnName(column)),
                             MakeColumnOptions(cache, IsPointLookupColumn(column)));
  }
  for (const std::string& name : existing) {
    bool known = false;
    for (const rocksdb::ColumnFamilyDescriptor& d : descriptors) known |= d.name == name;
    if (!known) descriptors.emplace_back(name, MakeColumnOptions(cache, false));
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw_db);
  if (!s.ok()) {
    delete raw_db;  // null on failure, but be safe
    return ToAbslStatus(s, context);
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);
  std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> columns{};
  for (int i = 0; i < kColumnCount; ++i) columns[i] = handles[i + 1];  // [0] is "default"
  return std::unique_ptr<Store>(std::make_unique<RocksStore>(
      std::move(cache), std::move(db), std::move(handles), columns));
}

}  // namespace dsc::storage
