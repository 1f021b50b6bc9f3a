#include "storage/store.h"

namespace dsc::storage {

std::string_view ColumnName(Column column) {
  switch (column) {
    case Column::kMeta:
      return "meta";
    case Column::kBlocks:
      return "blocks";
    case Column::kBlockHash:
      return "block_hash";
    case Column::kTx:
      return "tx";
    case Column::kAccounts:
      return "accounts";
    case Column::kAddrTx:
      return "addr_tx";
    case Column::kTrie:
      return "trie";
    case Column::kPool:
      return "pool";
  }
  return "unknown";
}

std::vector<absl::StatusOr<std::string>> Store::MultiGet(Column column,
                                                         absl::Span<const std::string_view> keys) {
  std::vector<absl::StatusOr<std::string>> values;
  values.reserve(keys.size());
  for (std::string_view key : keys) values.push_back(Get(column, key));
  return values;
}

void WriteBatch::Put(Column column, std::string_view key, std::string_view value) {
  ops_.push_back(Op{column, std::string(key), std::string(value), /*is_delete=*/false});
}

void WriteBatch::Delete(Column column, std::string_view key) {
  ops_.push_back(Op{column, std::string(key), std::string(), /*is_delete=*/true});
}

}  // namespace dsc::storage
