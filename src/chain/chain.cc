#include "util/strings.h"
#include "chain/chain.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/block.h"
#include "core/encoding.h"
#include "core/merkle.h"
#include "core/trie.h"
#include "core/state.h"
#include "core/validation.h"
#include "util/base58.h"
#include "util/log.h"
#include "util/time.h"

namespace dsc::chain {

using util::AV;
using util::SV;
namespace {

using storage::Column;

constexpr char kMetaTip[] = "tip";                // u64 height
constexpr char kMetaGenesis[] = "genesis";        // 32-byte hash
constexpr char kMetaSupply[] = "supply";          // u64
constexpr char kMetaTxTotal[] = "tx_total";       // u64
constexpr char kMetaAccounts[] = "accounts";      // u64: addresses in the balance cache
constexpr char kMetaProvenance[] = "provenance";  // 32-byte root after the tip
constexpr char kMetaMetronome[] = "metronome_key";
constexpr char kMetaSchema[] = "schema";
// 2: the provenance root is the cumulative trie's (Column::kTrie), not a hash chain.
constexpr uint64_t kSchemaVersion = 2;

std::string_view View(const core::Hash32& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

absl::StatusOr<core::Hash32> To32(std::string_view bytes, std::string_view what) {
  if (bytes.size() != 32) return absl::DataLossError(absl::StrCat("corrupt ", AV(what)));
  core::Hash32 out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// tx CF value: height(8) index(4) canonical tx.
std::string EncodeTxEntry(uint64_t height, uint32_t index, const core::Transaction& tx) {
  core::Writer w;
  w.U64(height);
  w.U32(index);
  w.Raw(core::EncodeTx(tx));
  return w.Take();
}

absl::StatusOr<core::TxRecord> DecodeTxEntry(std::string_view bytes) {
  core::Reader r(bytes);
  core::TxRecord rec;
  if (bytes.size() != 12 + core::kTxBytes || !r.U64(&rec.height) || !r.U32(&rec.index)) {
    return absl::DataLossError("corrupt transaction index entry");
  }
  auto tx = core::DecodeTx(bytes.substr(12));
  if (!tx.ok()) return absl::DataLossError("corrupt transaction in index");
  rec.tx = *tx;
  return rec;
}

std::string AddrTxKey(const core::Address& a, uint64_t height, uint32_t index) {
  core::Writer w;
  w.Fixed(a);
  w.U64(height);
  w.U32(index);
  return w.Take();
}

// Reads committed accounts straight from the store.
class StoreAccounts : public core::AccountReader {
 public:
  explicit StoreAccounts(storage::Store* store) : store_(store) {}
  absl::StatusOr<core::Account> GetAccount(const core::Address& address) override {
    auto v = store_->Get(Column::kAccounts, View(address));
    if (absl::IsNotFound(v.status())) {
      ++missing_;
      return core::Account{};
    }
    if (!v.ok()) return v.status();
    return core::DecodeAccount(*v);
  }
  // Addresses read so far that had no entry (ApplyBlock reads each address once).
  uint64_t missing() const { return missing_; }

 private:
  storage::Store* store_;
  uint64_t missing_ = 0;
};

// Average of (block timestamp - transaction timestamp) over the block, 0 if empty or if
// the clocks disagree (a transaction stamped after its block).
int64_t AverageLatencyMs(const core::Block& block) {
  if (block.txs.empty()) return 0;
  int64_t sum = 0;
  for (const auto& tx : block.txs) {
    sum += std::max<int64_t>(0, block.header.timestamp_ms - tx.timestamp_ms);
  }
  return sum / static_cast<int64_t>(block.txs.size());
}

}  // namespace

Chain::Chain(storage::Store* store, ChainOptions options)
    : store_(store),
      options_(std::move(options)),
      trie_nodes_(store, options_.trie_cache_nodes) {}

absl::StatusOr<std::unique_ptr<Chain>> Chain::Open(storage::Store* store, ChainOptions options) {
  if (auto s = options.params.Validate(); !s.ok()) return s;
  if (!options.metronome_key_source) {
    return absl::InvalidArgumentError("chain needs a metronome key source");
  }
  std::unique_ptr<Chain> chain(new Chain(store, std::move(options)));
  auto tip = store->Get(Column::kMeta, kMetaTip);
  if (absl::IsNotFound(tip.status())) {
    if (auto s = chain->WriteGenesis(); !s.ok()) return s;
  } else if (!tip.ok()) {
    return tip.status();
  }
  if (auto s = chain->Load(); !s.ok()) return s;
  return chain;
}

absl::Status Chain::WriteGenesis() {
  const core::Block genesis = core::MakeGenesisBlock(options_.params);
  auto effects = core::ApplyGenesis(options_.params.genesis);
  if (!effects.ok()) return effects.status();
  const core::Hash32 hash = core::ComputeBlockHash(genesis.header);
  storage::WriteBatch batch;
  batch.Put(Column::kBlocks, core::EncodeU64Key(0), core::EncodeBlock(genesis));
  batch.Put(Column::kBlockHash, View(hash), core::EncodeU64Key(0));
  for (const auto& [address, account] : effects->accounts) {
    batch.Put(Column::kAccounts, View(address), core::EncodeAccount(account));
  }
  batch.Put(Column::kMeta, kMetaGenesis, View(hash));
  batch.Put(Column::kMeta, kMetaSupply, core::EncodeU64Key(effects->minted));
  batch.Put(Column::kMeta, kMetaTxTotal, core::EncodeU64Key(0));
  batch.Put(Column::kMeta, kMetaAccounts, core::EncodeU64Key(effects->accounts.size()));
  batch.Put(Column::kMeta, kMetaProvenance, View(core::Hash32{}));
  batch.Put(Column::kMeta, kMetaSchema, core::EncodeU64Key(kSchemaVersion));
  batch.Put(Column::kMeta, kMetaTip, core::EncodeU64Key(0));
  if (auto s = store_->Write(batch, /*sync=*/true); !s.ok()) return s;
  util::Logger("chain")->info("Genesis block written, hash {}, {} coins allocated to {} addresses",
                              util::Base58Encode(hash), effects->minted / 1'000'000,
                              effects->accounts.size());
  return absl::OkStatus();
}

absl::Status Chain::Load() {
  auto get = [&](const char* key) { return store_->Get(Column::kMeta, key); };
  auto schema = get(kMetaSchema);
  if (!schema.ok()) return absl::DataLossError("chain metadata has no schema version");
  auto schema_v = core::DecodeU64Key(*schema);
  if (!schema_v.ok()) return absl::DataLossError("chain schema version is corrupt");
  if (*schema_v != kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "chain data has schema version ", *schema_v, " but this dscd needs version ",
        kSchemaVersion,
        *schema_v < kSchemaVersion
            ? " (the provenance hash chain became a cumulative Merkle trie); there is no "
              "migration: start from an empty --data-dir"
            : "; use a newer dscd"));
  }
  auto genesis = get(kMetaGenesis);
  if (!genesis.ok()) return absl::DataLossError("chain metadata has no genesis hash");
  auto stored = To32(*genesis, "genesis hash");
  if (!stored.ok()) return stored.status();
  const core::Hash32 want = core::ComputeBlockHash(core::MakeGenesisBlock(options_.params).header);
  if (*stored != want) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the data directory holds a chain with genesis ", util::Base58Encode(*stored),
        " but the configured genesis (allocations, initial difficulty) gives ",
        util::Base58Encode(want), "; use the original genesis settings or another --data-dir"));
  }
  auto tip_height = get(kMetaTip);
  if (!tip_height.ok()) return tip_height.status();
  auto height = core::DecodeU64Key(*tip_height);
  if (!height.ok()) return height.status();
  auto raw = store_->Get(Column::kBlocks, core::EncodeU64Key(*height));
  if (!raw.ok()) return absl::DataLossError(absl::StrCat("tip block ", *height, " is missing"));
  auto block = core::DecodeBlock(*raw);
  if (!block.ok()) return absl::DataLossError(absl::StrCat("tip block ", *height, " is corrupt"));
  core::ChainTip tip;
  tip.header = block->header;
  tip.hash = core::ComputeBlockHash(tip.header);
  auto supply = get(kMetaSupply);
  auto tx_total = get(kMetaTxTotal);
  auto accounts = get(kMetaAccounts);
  auto prov = get(kMetaProvenance);
  if (!supply.ok() || !tx_total.ok() || !prov.ok() || !accounts.ok()) {
    return absl::DataLossError("chain metadata is incomplete");
  }
  auto supply_v = core::DecodeU64Key(*supply);
  auto tx_total_v = core::DecodeU64Key(*tx_total);
  auto accounts_v = core::DecodeU64Key(*accounts);
  auto prov_v = To32(*prov, "provenance root");
  if (!supply_v.ok() || !tx_total_v.ok() || !prov_v.ok() || !accounts_v.ok()) {
    return absl::DataLossError("chain metadata is corrupt");
  }
  tip.supply = *supply_v;
  tip.tx_total = *tx_total_v;
  tip.accounts = *accounts_v;
  tip.latency_ms = AverageLatencyMs(*block);
  tip.provenance_root = *prov_v;
  {
    absl::MutexLock lock(&mu_);
    tip_ = tip;
  }
  auto key = get(kMetaMetronome);
  if (key.ok()) {
    auto k = To32(*key, "metronome key");
    if (!k.ok()) return k.status();
    absl::MutexLock lock(&append_mu_);
    metronome_key_ = *k;
  }
  util::Logger("chain")->info("Chain loaded at height {}, tip {}", tip.header.height,
                              util::Base58Encode(tip.hash));
  return absl::OkStatus();
}

absl::StatusOr<core::PublicKey> Chain::MetronomeKey() {
  if (metronome_key_.has_value()) return *metronome_key_;
  auto key = options_.metronome_key_source();
  if (!key.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot learn the metronome's key: ", key.status().message()));
  }
  storage::WriteBatch batch;
  batch.Put(Column::kMeta, kMetaMetronome, View(*key));
  if (auto s = store_->Write(batch, true); !s.ok()) return s;
  metronome_key_ = *key;
  util::Logger("chain")->info("Metronome key {} recorded", util::Base58Encode(*key));
  return *key;
}

absl::StatusOr<core::ChainTip> Chain::GetTip() {
  absl::ReaderMutexLock lock(&mu_);
  return tip_;
}

absl::StatusOr<core::Block> Chain::GetBlock(uint64_t height, absl::Duration wait) {
  std::shared_ptr<const core::Block> cached;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return interrupted_ || tip_.header.height >= height;
    };
    if (!ready() && wait > absl::ZeroDuration()) mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
    if (tip_.header.height < height) {
      return absl::NotFoundError(absl::StrCat("no block at height ", height, " (tip is ",
                                              tip_.header.height, ")"));
    }
    if (tip_block_ != nullptr && tip_block_->header.height == height) cached = tip_block_;
  }
  if (cached != nullptr) return *cached;
  auto raw = store_->Get(Column::kBlocks, core::EncodeU64Key(height));
  if (!raw.ok()) return raw.status();
  auto block = core::DecodeBlock(*raw);
  if (!block.ok()) return absl::DataLossError(absl::StrCat("block ", height, " is corrupt"));
  return block;
}

absl::StatusOr<core::Block> Chain::GetBlockByHash(const core::Hash32& hash) {
  auto h = store_->Get(Column::kBlockHash, View(hash));
  if (absl::IsNotFound(h.status())) {
    return absl::NotFoundError(absl::StrCat("no block with hash ", util::Base58Encode(hash)));
  }
  if (!h.ok()) return h.status();
  auto height = core::DecodeU64Key(*h);
  if (!height.ok()) return height.status();
  return GetBlock(*height, absl::ZeroDuration());
}

absl::StatusOr<core::AccountInfo> Chain::GetAccount(const core::Address& address) {
  absl::ReaderMutexLock lock(&mu_);
  StoreAccounts accounts(store_);
  auto account = accounts.GetAccount(address);
  if (!account.ok()) return account.status();
  return core::AccountInfo{*account, tip_.header.height};
}

absl::StatusOr<core::TxRecord> Chain::GetTransaction(const core::TxId& id) {
  auto v = store_->Get(Column::kTx, View(id));
  if (absl::IsNotFound(v.status())) {
    return absl::NotFoundError(
        absl::StrCat("transaction ", util::Base58Encode(id), " is not in the chain"));
  }
  if (!v.ok()) return v.status();
  return DecodeTxEntry(*v);
}

absl::StatusOr<std::vector<std::optional<uint64_t>>> Chain::FindTransactions(
    absl::Span<const core::TxId> ids) {
  std::vector<std::optional<uint64_t>> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    auto v = store_->Get(Column::kTx, View(id));
    if (absl::IsNotFound(v.status())) {
      out.push_back(std::nullopt);
      continue;
    }
    if (!v.ok()) return v.status();
    auto height = core::DecodeU64Key(std::string_view(*v).substr(0, 8));
    if (!height.ok()) return height.status();
    out.push_back(*height);
  }
  return out;
}

absl::StatusOr<std::vector<core::TxRecord>> Chain::GetAddressTransactions(
    const core::Address& address, uint32_t limit) {
  if (limit == 0) return std::vector<core::TxRecord>{};
  std::vector<core::TxId> ids;
  absl::Status status = store_->Scan(
      Column::kAddrTx, View(address), "", /*reverse=*/true,
      [&](std::string_view, std::string_view value) {
        if (value.size() == 32) {
          core::TxId id;
          std::copy(value.begin(), value.end(), id.begin());
          ids.push_back(id);
        }
        return ids.size() < limit;
      });
  if (!status.ok()) return status;
  std::vector<core::TxRecord> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    auto rec = GetTransaction(id);
    if (!rec.ok()) return absl::DataLossError("address index points at a missing transaction");
    out.push_back(*rec);
  }
  return out;
}

absl::StatusOr<core::ProvenanceProof> Chain::GetProof(const core::TxId& id,
                                                      std::optional<uint64_t> anchor_height) {
  uint64_t tip_height;
  {
    absl::ReaderMutexLock lock(&mu_);
    tip_height = tip_.header.height;
  }
  const uint64_t anchor = anchor_height.value_or(tip_height);
  if (anchor > tip_height) {
    return absl::NotFoundError(
        absl::StrCat("no block at height ", anchor, " (tip is ", tip_height, ")"));
  }
  std::optional<core::TxRecord> record;
  auto rec = GetTransaction(id);
  if (rec.ok()) {
    record = *rec;
  } else if (!absl::IsNotFound(rec.status())) {
    return rec.status();
  }
  if (!anchor_height.has_value() && record.has_value() && record->height >= anchor) {
    return absl::UnavailableError(absl::StrCat(
        "transaction ", util::Base58Encode(id), " was confirmed in block ", record->height,
        ", the tip; its proof is anchored in block ", record->height + 1,
        ", which is not appended yet: retry after the next block"));
  }
  auto block = GetBlock(anchor, absl::ZeroDuration());
  if (!block.ok()) return block.status();
  core::ProvenanceProof out;
  out.anchor = block->header;
  auto proof = core::Trie(&trie_nodes_).Prove(out.anchor.provenance_root, id);
  if (!proof.ok()) {
    return absl::DataLossError(absl::StrCat("provenance proof against block ", anchor,
                                            " failed: ", proof.status().message()));
  }
  out.proof = std::move(*proof);
  out.included = out.proof.has_leaf && out.proof.leaf.key == id;
  if (out.included) {
    if (!record.has_value() ||
        out.proof.leaf.value_hash != core::TxProvenanceValue(record->height, record->index)) {
      return absl::DataLossError(absl::StrCat("provenance trie and transaction index disagree on ",
                                              util::Base58Encode(id)));
    }
    out.height = record->height;
    out.index = record->index;
  }
  return out;
}

absl::Status Chain::AppendBlock(const core::Block& block) {
  absl::MutexLock append_lock(&append_mu_);
  core::ChainTip tip;
  {
    absl::ReaderMutexLock lock(&mu_);
    tip = tip_;
  }
  auto metronome_key = MetronomeKey();
  if (!metronome_key.ok()) return metronome_key.status();
  const core::BlockHeader& h = block.header;
  if (auto s = core::CheckHeader(h, tip.header, *metronome_key, options_.params, util::NowMillis());
      !s.ok()) {
    return s;
  }
  if (h.provenance_root != tip.provenance_root) {
    return absl::InvalidArgumentError("block carries the wrong provenance root");
  }
  std::vector<core::TxId> ids(block.txs.size());
  for (size_t i = 0; i < block.txs.size(); ++i) ids[i] = core::ComputeTxId(block.txs[i]);
  if (auto s = core::CheckBlockBody(block, ids); !s.ok()) return s;
  const std::vector<absl::Status> verdicts = core::CheckTxsStateless(
      block.txs, options_.verify_threads, options_.signature_cache, ids);
  for (size_t i = 0; i < verdicts.size(); ++i) {
    if (!verdicts[i].ok()) {
      return absl::Status(verdicts[i].code(),
                          absl::StrCat("transaction ", i, " of block ", h.height, ": ",
                                       verdicts[i].message()));
    }
  }
  StoreAccounts accounts(store_);
  auto effects = core::ApplyBlock(accounts, block);
  if (!effects.ok()) return effects.status();
  if (tip.supply > UINT64_MAX - effects->minted) {
    return absl::InvalidArgumentError("block reward overflows the coin supply");
  }

  const core::Hash32 hash = core::ComputeBlockHash(h);
  storage::WriteBatch batch;
  batch.Put(Column::kBlocks, core::EncodeU64Key(h.height), core::EncodeBlock(block));
  batch.Put(Column::kBlockHash, View(hash), core::EncodeU64Key(h.height));
  // Indexes, and the provenance trie entries: every id of the block, committing to
  // (height, index).
  std::vector<core::TrieEntry> entries;
  entries.reserve(block.txs.size());
  for (uint32_t i = 0; i < block.txs.size(); ++i) {
    const core::Transaction& tx = block.txs[i];
    const core::TxId& id = ids[i];
    batch.Put(Column::kTx, View(id), EncodeTxEntry(h.height, i, tx));
    batch.Put(Column::kAddrTx, AddrTxKey(tx.sender, h.height, i), View(id));
    batch.Put(Column::kAddrTx, AddrTxKey(tx.recipient, h.height, i), View(id));
    entries.push_back({id, core::TxProvenanceValue(h.height, i)});
  }
  for (const auto& [address, account] : effects->accounts) {
    batch.Put(Column::kAccounts, View(address), core::EncodeAccount(account));
  }
  std::vector<core::TrieNewNode> trie_nodes;
  trie_nodes.reserve(entries.size() * 8);
  core::Trie trie(&trie_nodes_);
  trie.set_threads(options_.trie_threads);
  auto new_root = trie.Insert(tip.provenance_root, std::move(entries), &trie_nodes);
  if (!new_root.ok()) {
    if (absl::IsInvalidArgument(new_root.status())) return new_root.status();
    return absl::DataLossError(absl::StrCat("provenance trie update for block ", h.height,
                                            " failed: ", new_root.status().message()));
  }
  StoreTrieNodes::AddToBatch(trie_nodes, &batch);
  core::ChainTip next;
  next.header = h;
  next.hash = hash;
  next.provenance_root = *new_root;
  next.supply = tip.supply + effects->minted;
  next.tx_total = tip.tx_total + block.txs.size();
  next.accounts = tip.accounts + accounts.missing();
  next.latency_ms = AverageLatencyMs(block);
  batch.Put(Column::kMeta, kMetaSupply, core::EncodeU64Key(next.supply));
  batch.Put(Column::kMeta, kMetaTxTotal, core::EncodeU64Key(next.tx_total));
  batch.Put(Column::kMeta, kMetaAccounts, core::EncodeU64Key(next.accounts));
  batch.Put(Column::kMeta, kMetaProvenance, View(next.provenance_root));
  batch.Put(Column::kMeta, kMetaTip, core::EncodeU64Key(h.height));
  auto tip_block = std::make_shared<const core::Block>(block);
  {
    absl::MutexLock lock(&mu_);  // readers see the new state and the new tip together
    if (auto s = store_->Write(batch, /*sync=*/true); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("block ", h.height, " not stored: ", s.message()));
    }
    tip_ = next;
    tip_block_ = std::move(tip_block);
  }
  trie_nodes_.Remember(trie_nodes);
  util::Logger("chain")->info(
      "New block received from metronome, height {}, hash {}, {} transactions, producer {}",
      h.height, util::Base58Encode(hash), block.txs.size(), util::Base58Encode(h.producer));
  return absl::OkStatus();
}

void Chain::Interrupt() {
  absl::MutexLock lock(&mu_);
  interrupted_ = true;
}

}  // namespace dsc::chain
