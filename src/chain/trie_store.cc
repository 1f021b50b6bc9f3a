#include "chain/trie_store.h"

#include <cstring>
#include <string>
#include <vector>

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

namespace {

// Checks a node read from the store under `hash` and copies it into *out.
absl::Status CheckFetched(const core::Hash32& hash, const absl::StatusOr<std::string>& raw,
                          core::TrieNodeBytes* out) {
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
  return absl::OkStatus();
}

}  // namespace

bool StoreTrieNodes::LookupLocked(const core::Hash32& hash, core::TrieNodeBytes* out) {
  if (auto it = young_.find(hash); it != young_.end()) {
    *out = it->second;
    return true;
  }
  if (auto it = old_.find(hash); it != old_.end()) {
    *out = it->second;
    CacheLocked(hash, *out);
    return true;
  }
  return false;
}

absl::Status StoreTrieNodes::GetNode(const core::Hash32& hash, core::TrieNodeBytes* out) {
  if (generation_size_ > 0) {
    absl::MutexLock lock(&mu_);
    if (LookupLocked(hash, out)) return absl::OkStatus();
  }
  if (auto s = CheckFetched(hash, store_->Get(storage::Column::kTrie, View(hash)), out); !s.ok()) {
    return s;
  }
  if (generation_size_ > 0) {
    absl::MutexLock lock(&mu_);
    CacheLocked(hash, *out);
  }
  return absl::OkStatus();
}

absl::Status StoreTrieNodes::ReadNodes(absl::Span<const core::Hash32> hashes,
                                       absl::Span<core::TrieNodeBytes> out) {
  std::vector<size_t> misses;
  if (generation_size_ > 0) {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < hashes.size(); ++i) {
      if (!LookupLocked(hashes[i], &out[i])) misses.push_back(i);
    }
  } else {
    misses.resize(hashes.size());
    for (size_t i = 0; i < hashes.size(); ++i) misses[i] = i;
  }
  if (misses.empty()) return absl::OkStatus();
  std::vector<std::string_view> keys;
  keys.reserve(misses.size());
  for (size_t i : misses) keys.push_back(View(hashes[i]));
  const std::vector<absl::StatusOr<std::string>> raw =
      store_->MultiGet(storage::Column::kTrie, keys);
  if (raw.size() != misses.size()) return absl::InternalError("MultiGet returned a wrong count");
  for (size_t j = 0; j < misses.size(); ++j) {
    if (auto s = CheckFetched(hashes[misses[j]], raw[j], &out[misses[j]]); !s.ok()) return s;
  }
  if (generation_size_ > 0) {
    absl::MutexLock lock(&mu_);
    for (size_t i : misses) CacheLocked(hashes[i], out[i]);
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
