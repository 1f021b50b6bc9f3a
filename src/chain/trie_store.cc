#include "chain/trie_store.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/base58.h"

namespace dsc::chain {
namespace {

std::string_view View(const core::Hash32& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

StoreTrieNodes::StoreTrieNodes(storage::Store* store, size_t cache_nodes)
    : store_(store), generation_size_(cache_nodes / 2) {}

absl::Status StoreTrieNodes::GetNode(const core::Hash32& hash, core::TrieNodeBytes* out) {
  if (generation_size_ > 0) {
    absl::MutexLock lock(&mu_);
    if (auto it = young_.find(hash); it != young_.end()) {
      *out = it->second;
      return absl::OkStatus();
    }
    if (auto it = old_.find(hash); it != old_.end()) {
      *out = it->second;
      CacheLocked(hash, *out);
      return absl::OkStatus();
    }
  }
  auto raw = store_->Get(storage::Column::kTrie, View(hash));
  if (absl::IsNotFound(raw.status())) {
    return absl::NotFoundError(
        absl::StrCat("provenance trie node ", util::Base58Encode(hash), " is missing"));
  }
  if (!raw.ok()) return raw.status();
  if (raw->size() != core::kTrieNodeBytes) {
    return absl::DataLossError(
        absl::StrCat("provenance trie node ", util::Base58Encode(hash), " has the wrong size"));
  }
  std::memcpy(out->data(), raw->data(), core::kTrieNodeBytes);
  if (crypto::Blake2b256(*raw) != hash) {
    return absl::DataLossError(
        absl::StrCat("provenance trie node ", util::Base58Encode(hash), " is corrupt"));
  }
  if (generation_size_ > 0) {
    absl::MutexLock lock(&mu_);
    CacheLocked(hash, *out);
  }
  return absl::OkStatus();
}

void StoreTrieNodes::AddToBatch(absl::Span<const core::TrieNewNode> nodes,
                                storage::WriteBatch* batch) {
  for (const auto& node : nodes) {
    batch->Put(storage::Column::kTrie, View(node.hash),
               std::string_view(reinterpret_cast<const char*>(node.bytes.data()),
                                node.bytes.size()));
  }
}

void StoreTrieNodes::Remember(absl::Span<const core::TrieNewNode> nodes) {
  if (generation_size_ == 0) return;
  absl::MutexLock lock(&mu_);
  for (const auto& node : nodes) CacheLocked(node.hash, node.bytes);
}

void StoreTrieNodes::CacheLocked(const core::Hash32& hash, const core::TrieNodeBytes& bytes) {
  if (young_.size() >= generation_size_) {
    old_ = std::move(young_);
    young_ = Map();
    young_.reserve(generation_size_);
  }
  young_.insert_or_assign(hash, bytes);
}

}  // namespace dsc::chain
