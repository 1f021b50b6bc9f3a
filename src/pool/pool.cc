#include "pool/pool.h"

#include <algorithm>
#include <queue>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/encoding.h"
#include "core/validation.h"
#include "util/base58.h"
#include "util/log.h"

namespace dsc::pool {
namespace {

using storage::Column;

// Pool entries are keyed by arrival order (8-byte big-endian), so the memtable takes each
// batch's puts, and the deletes of what blocks confirm, near its end instead of at random
// places as tx-id keys would.
std::string EntryKey(uint64_t seq) { return core::EncodeU64Key(seq); }

std::string EncodeEntry(uint64_t seq, const core::Transaction& tx) {
  core::Writer w;
  w.U64(seq);
  w.Raw(core::EncodeTx(tx));
  return w.Take();
}

}  // namespace

Pool::Pool(storage::Store* store, core::ChainApi* chain, PoolOptions options)
    : store_(store), chain_(chain), options_(options) {}

Pool::~Pool() { Stop(); }

absl::StatusOr<std::unique_ptr<Pool>> Pool::Open(storage::Store* store, core::ChainApi* chain,
                                                 PoolOptions options) {
  std::unique_ptr<Pool> pool(new Pool(store, chain, options));
  if (auto s = pool->Load(); !s.ok()) return s;
  return pool;
}

absl::Status Pool::Load() {
  auto log = util::Logger("pool");
  absl::StatusOr<core::ChainTip> tip = chain_->GetTip();
  for (int attempt = 0; !tip.ok() && absl::IsUnavailable(tip.status()) && attempt < 60; ++attempt) {
    if (attempt % 10 == 0) log->warn("waiting for the chain: {}", tip.status().message());
    absl::SleepFor(absl::Milliseconds(500));
    tip = chain_->GetTip();
  }
  if (!tip.ok()) {
    return absl::UnavailableError(absl::StrCat("pool cannot reach the chain: ", tip.status().message()));
  }
  struct Loaded {
    uint64_t seq;
    core::Transaction tx;
    std::string key;
  };
  absl::flat_hash_map<core::Address, std::vector<Loaded>> by_sender;
  uint64_t max_seq = 0;
  size_t corrupt = 0;
  absl::Status scan = store_->ScanPrefix(Column::kPool, "", [&](std::string_view k, std::string_view v) {
    core::Reader r(v);
    uint64_t seq = 0;
    auto tx = v.size() > 8 ? core::DecodeTx(v.substr(8)) : absl::DataLossError("short");
    if (!r.U64(&seq) || !tx.ok()) {
      ++corrupt;
      return true;
    }
    max_seq = std::max(max_seq, seq);
    by_sender[tx->sender].push_back({seq, *tx, std::string(k)});
    return true;
  });
  if (!scan.ok()) return scan;
  if (corrupt > 0) log->error("{} corrupt pool entries ignored", corrupt);

  absl::MutexLock lock(&mu_);
  synced_height_ = tip->header.height;
  next_seq_ = max_seq + 1;
  storage::WriteBatch drop;
  size_t kept = 0;
  size_t dropped = 0;
  for (auto& [address, list] : by_sender) {
    std::sort(list.begin(), list.end(),
              [](const Loaded& a, const Loaded& b) { return a.tx.nonce < b.tx.nonce; });
    auto sender = GetSender(address);
    if (!sender.ok()) return sender.status();
    Sender& s = **sender;
    for (const Loaded& l : list) {
      const core::TxId id = core::ComputeTxId(l.tx);
      if (l.tx.nonce < s.account.nonce ||
          !core::CheckTxAgainstAccount(l.tx, s.account, s.queue.size(), s.outflow).ok()) {
        drop.Delete(Column::kPool, l.key);  // confirmed meanwhile, or no longer valid
        ++dropped;
        continue;
      }
      if (l.key != EntryKey(l.seq)) {  // kept by an older dscd under its tx id
        drop.Delete(Column::kPool, l.key);
        drop.Put(Column::kPool, EntryKey(l.seq), EncodeEntry(l.seq, l.tx));
      }
      s.queue.push_back(Entry{l.tx, id, l.seq, false, true});
      s.outflow += l.tx.amount + l.tx.fee;
      by_id_[id] = Where{address, l.tx.nonce};
      ++kept;
    }
    DropSenderIfEmpty(address);
  }
  if (!drop.empty()) {
    if (auto s = store_->Write(drop, true); !s.ok()) return s;
  }
  log->info("Pool started at chain height {} with {} pending transactions ({} dropped)",
            synced_height_, kept, dropped);
  return absl::OkStatus();
}

void Pool::Start() { follower_ = std::thread([this] { Follow(); }); }

void Pool::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (follower_.joinable()) follower_.join();
}

void Pool::Follow() {
  auto log = util::Logger("pool");
  absl::Time last_warning = absl::InfinitePast();
  bool disconnected = false;
  while (true) {
    uint64_t next;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      next = synced_height_ + 1;
    }
    auto block = chain_->GetBlock(next, absl::Milliseconds(500));
    if (block.ok() || absl::IsNotFound(block.status())) {
      if (disconnected) log->info("following the chain again at block {}", next);
      disconnected = false;
      if (block.ok()) OnBlock(*block);
      continue;
    }
    disconnected = true;
    if (absl::Now() - last_warning > absl::Seconds(10)) {
      log->warn("cannot follow the chain: {}", block.status().message());
      last_warning = absl::Now();
    }
    absl::MutexLock lock(&mu_);
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), absl::Milliseconds(500));
  }
}

absl::StatusOr<Pool::Sender*> Pool::GetSender(const core::Address& address) {
  auto it = senders_.find(address);
  if (it != senders_.end()) return &it->second;
  auto info = chain_->GetAccount(address);
  if (!info.ok()) return info.status();
  Sender& s = senders_[address];
  s.account = info->account;
  s.as_of = info->height;
  return &s;
}

void Pool::DropSenderIfEmpty(const core::Address& address) {
  auto it = senders_.find(address);
  if (it != senders_.end() && it->second.queue.empty()) senders_.erase(it);
}

Pool::Entry* Pool::Find(const core::TxId& id) {
  auto w = by_id_.find(id);
  if (w == by_id_.end()) return nullptr;
  auto s = senders_.find(w->second.sender);
  if (s == senders_.end()) return nullptr;
  const uint64_t offset = w->second.nonce - s->second.account.nonce;
  if (offset >= s->second.queue.size()) return nullptr;
  return &s->second.queue[offset];
}

std::vector<absl::Status> Pool::Submit(absl::Span<const core::Transaction> txs) {
  std::vector<core::TxId> ids(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) ids[i] = core::ComputeTxId(txs[i]);
  std::vector<absl::Status> verdicts =
      core::CheckTxsStateless(txs, options_.verify_threads, options_.signature_cache, ids);

  absl::MutexLock lock(&mu_);
  Commit commit;
  std::vector<size_t> accepted;
  for (size_t i = 0; i < txs.size(); ++i) {
    if (!verdicts[i].ok()) continue;
    const core::Transaction& tx = txs[i];
    if (by_id_.contains(ids[i])) {
      verdicts[i] = absl::AlreadyExistsError("transaction is already in the pool");
      continue;
    }
    if (by_id_.size() >= options_.max_pending) {
      verdicts[i] = absl::ResourceExhaustedError(absl::StrCat(
          "the pool is full (", options_.max_pending, " pending transactions); retry later"));
      continue;
    }
    auto sender = GetSender(tx.sender);
    if (!sender.ok()) {
      verdicts[i] = sender.status();
      continue;
    }
    Sender& s = **sender;
    absl::Status check = core::CheckTxAgainstAccount(tx, s.account, s.queue.size(), s.outflow);
    if (!check.ok()) {
      if (tx.nonce >= s.account.nonce && tx.nonce - s.account.nonce < s.queue.size()) {
        check = absl::FailedPreconditionError(absl::StrCat(
            "nonce ", tx.nonce, " is already used by pending transaction ",
            util::Base58Encode(s.queue[tx.nonce - s.account.nonce].id),
            "; the sender's next nonce is ", s.account.nonce + s.queue.size()));
      } else if (tx.nonce < s.account.nonce) {
        auto found = chain_->FindTransactions(absl::MakeConstSpan(&ids[i], 1));
        if (found.ok() && (*found)[0].has_value()) {
          check = absl::AlreadyExistsError(absl::StrCat(
              "transaction is already confirmed in block ", *(*found)[0], " (replay)"));
        }
      }
      verdicts[i] = check;
      DropSenderIfEmpty(tx.sender);
      continue;
    }
    const uint64_t seq = next_seq_++;
    s.queue.push_back(Entry{tx, ids[i], seq, false, false});
    s.outflow += tx.amount + tx.fee;
    by_id_[ids[i]] = Where{tx.sender, tx.nonce};
    commit.batch.Put(Column::kPool, EntryKey(seq), EncodeEntry(seq, tx));
    commit.ids.push_back(ids[i]);
    accepted.push_back(i);
  }
  if (!accepted.empty()) {
    GroupCommit(&commit);
    if (!commit.status.ok()) {
      for (size_t i : accepted) {
        verdicts[i] = absl::UnavailableError(
            absl::StrCat("transaction not stored: ", commit.status.message()));
      }
      accepted.clear();
    }
  }
  accepted_total_ += accepted.size();
  rejected_total_ += txs.size() - accepted.size();
  return verdicts;
}

void Pool::GroupCommit(Commit* commit) {
  commit_queue_.push_back(commit);
  while (!commit->done) {
    if (writing_) {
      auto turn = [this, commit]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return commit->done || !writing_;
      };
      mu_.Await(absl::Condition(&turn));
      continue;
    }
    // Write everything queued (this commit included) in one synced write.
    writing_ = true;
    std::vector<Commit*> group;
    group.swap(commit_queue_);
    storage::WriteBatch merged;
    for (const Commit* c : group) {
      for (const auto& op : c->batch.ops()) merged.Put(op.column, op.key, op.value);
    }
    mu_.Unlock();
    const absl::Status written = store_->Write(merged, /*sync=*/true);
    mu_.Lock();
    writing_ = false;
    if (written.ok()) {
      for (Commit* c : group) {
        for (const core::TxId& id : c->ids) {
          // Gone only if a block made it invalid meanwhile (OnBlock's misfit drop).
          if (Entry* e = Find(id)) e->durable = true;
        }
        c->done = true;
      }
    } else {
      for (Commit* c : group) {
        c->status = written;
        c->done = true;
      }
      UndoUndurable(written);
    }
  }
}

void Pool::UndoUndurable(const absl::Status& error) {
  // Entries become durable in the order they were queued, so what is not durable is a
  // suffix of each sender's queue; later commits may depend on earlier ones (nonces), so
  // everything not yet durable goes, including the commits that queued during the write.
  std::vector<core::Address> emptied;
  for (auto& [address, s] : senders_) {
    while (!s.queue.empty() && !s.queue.back().durable) {
      const Entry& e = s.queue.back();
      s.outflow -= e.tx.amount + e.tx.fee;
      by_id_.erase(e.id);
      s.queue.pop_back();
    }
    if (s.queue.empty()) emptied.push_back(address);
  }
  for (const auto& address : emptied) DropSenderIfEmpty(address);
  for (Commit* c : commit_queue_) {
    c->status = absl::UnavailableError(
        absl::StrCat("an earlier write it depended on failed: ", error.message()));
    c->done = true;
  }
  commit_queue_.clear();
}

absl::StatusOr<std::vector<core::TxStatusInfo>> Pool::GetStatus(absl::Span<const core::TxId> ids) {
  std::vector<core::TxStatusInfo> out(ids.size());
  std::vector<core::TxId> ask;
  std::vector<size_t> ask_index;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (const Entry* e = Find(ids[i])) {
        out[i].status = e->handed_out ? core::TxStatus::kUnconfirmed : core::TxStatus::kSubmitted;
      } else {
        ask.push_back(ids[i]);
        ask_index.push_back(i);
      }
    }
  }
  if (ask.empty()) return out;
  auto found = chain_->FindTransactions(ask);
  if (!found.ok()) return found.status();
  for (size_t j = 0; j < ask.size(); ++j) {
    if ((*found)[j].has_value()) {
      out[ask_index[j]] = core::TxStatusInfo{core::TxStatus::kConfirmed, *(*found)[j]};
    }
  }
  return out;
}

absl::StatusOr<std::vector<core::Transaction>> Pool::TakeForBlock(uint64_t height, uint32_t max) {
  absl::MutexLock lock(&mu_);
  auto caught_up = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || synced_height_ + 1 >= height;
  };
  mu_.AwaitWithTimeout(absl::Condition(&caught_up), options_.sync_wait);
  if (synced_height_ + 1 < height) {
    return absl::UnavailableError(absl::StrCat("the pool has caught up with block ",
                                               synced_height_, " only; block ", height,
                                               " needs ", height - 1));
  }
  if (synced_height_ + 1 > height) {
    return absl::FailedPreconditionError(absl::StrCat(
        "block ", height, " is behind the chain, which is at ", synced_height_));
  }
  // Merge the senders' queues by arrival: each queue is in nonce and arrival order.
  using Head = std::pair<uint64_t, Sender*>;  // seq of the next entry, sender
  auto later = [](const Head& a, const Head& b) { return a.first > b.first; };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heads(later);
  absl::flat_hash_map<Sender*, size_t> taken;
  // Only durable (acknowledged) entries; a sender's durable ones come first.
  for (auto& [address, s] : senders_) {
    if (!s.queue.empty() && s.queue.front().durable) heads.emplace(s.queue.front().seq, &s);
  }
  std::vector<core::Transaction> out;
  out.reserve(std::min<size_t>(max, by_id_.size()));
  while (!heads.empty() && out.size() < max) {
    Sender* s = heads.top().second;
    heads.pop();
    size_t& n = taken[s];
    Entry& e = s->queue[n++];
    out.push_back(e.tx);
    if (!e.handed_out) {
      e.handed_out = true;
      handed_.push_back(e.id);
    }
    if (n < s->queue.size() && s->queue[n].durable) heads.emplace(s->queue[n].seq, s);
  }
  return out;
}

absl::StatusOr<core::PoolStats> Pool::GetStats() {
  absl::MutexLock lock(&mu_);
  core::PoolStats stats;
  uint64_t handed = 0;
  for (const auto& id : handed_) {
    if (const Entry* e = Find(id); e != nullptr && e->handed_out) ++handed;
  }
  stats.unconfirmed = handed;
  stats.submitted = by_id_.size() - handed;
  stats.accepted_total = accepted_total_;
  stats.rejected_total = rejected_total_;
  stats.confirmed_total = confirmed_total_;
  stats.synced_height = synced_height_;
  return stats;
}

absl::StatusOr<uint64_t> Pool::NextNonce(const core::Address& address) {
  {
    absl::MutexLock lock(&mu_);
    auto it = senders_.find(address);
    if (it != senders_.end()) return it->second.account.nonce + it->second.queue.size();
  }
  auto info = chain_->GetAccount(address);
  if (!info.ok()) return info.status();
  return info->account.nonce;
}

void Pool::OnBlock(const core::Block& block) {
  const uint64_t h = block.header.height;
  // Hashed before taking the lock: submissions wait for it.
  std::vector<core::TxId> ids(block.txs.size());
  for (size_t i = 0; i < block.txs.size(); ++i) ids[i] = core::ComputeTxId(block.txs[i]);
  storage::WriteBatch drop;
  absl::ReleasableMutexLock lock(&mu_);
  if (h != synced_height_ + 1) return;  // already applied, or out of order
  uint64_t fees = 0;
  std::vector<core::Address> touched;
  absl::flat_hash_set<core::TxId> confirmed;  // ids of pending senders' txs here
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const core::Transaction& tx = block.txs[i];
    fees += tx.fee;
    if (auto it = senders_.find(tx.sender); it != senders_.end()) {
      Sender& s = it->second;
      if (s.as_of < h) {
        if (tx.nonce != s.account.nonce || s.account.balance < tx.amount + tx.fee) {
          s.as_of = UINT64_MAX;  // out of step with the chain: re-read below
        } else {
          s.account.nonce += 1;
          s.account.balance -= tx.amount + tx.fee;
        }
      }
      touched.push_back(tx.sender);
      confirmed.insert(ids[i]);
    }
    if (auto it = senders_.find(tx.recipient); it != senders_.end() && it->second.as_of < h) {
      it->second.account.balance += tx.amount;
    }
  }
  if (auto it = senders_.find(block.header.producer); it != senders_.end() && it->second.as_of < h) {
    it->second.account.balance += fees + block.header.reward;
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (const core::Address& address : touched) {
    auto it = senders_.find(address);
    if (it == senders_.end()) continue;
    Sender& s = it->second;
    if (s.as_of == UINT64_MAX) {
      auto info = chain_->GetAccount(address);
      util::Logger("pool")->error("pool state of {} diverged from the chain at block {}; re-read",
                                  util::Base58Encode(address), h);
      if (info.ok()) {
        s.account = info->account;
        s.as_of = info->height;
      }
    }
    // Drop what the block confirmed (and anything else the account has moved past).
    while (!s.queue.empty() && s.queue.front().tx.nonce < s.account.nonce) {
      const Entry& e = s.queue.front();
      s.outflow -= e.tx.amount + e.tx.fee;
      by_id_.erase(e.id);
      drop.Delete(Column::kPool, EntryKey(e.seq));
      // Not counted when another transaction of the sender took its nonce.
      if (confirmed.contains(e.id)) ++confirmed_total_;
      s.queue.pop_front();
    }
    // If another transaction of the sender took a nonce and spent more, what is left may
    // no longer fit: drop it from the first misfit on, or every block built would fail.
    uint64_t outflow = 0;
    for (size_t i = 0; i < s.queue.size(); ++i) {
      const core::Transaction& tx = s.queue[i].tx;
      if (!core::CheckTxAgainstAccount(tx, s.account, i, outflow).ok()) {
        util::Logger("pool")->warn(
            "dropped {} pending transactions of {}: no longer valid after block {}",
            s.queue.size() - i, util::Base58Encode(address), h);
        for (size_t j = i; j < s.queue.size(); ++j) {
          by_id_.erase(s.queue[j].id);
          drop.Delete(Column::kPool, EntryKey(s.queue[j].seq));
        }
        s.queue.resize(i);
        break;
      }
      outflow += tx.amount + tx.fee;
    }
    s.outflow = outflow;
    DropSenderIfEmpty(address);
  }
  // What builders took but this block did not confirm goes back to `submitted`.
  for (const core::TxId& id : handed_) {
    if (Entry* e = Find(id)) e->handed_out = false;
  }
  handed_.clear();
  synced_height_ = h;
  lock.Release();
  // Written after the lock is released, so submissions need not wait for it. No Submit can
  // store a dropped id again meanwhile: a confirmed one is behind its sender's nonce, and
  // a misfit fails the same check against the same account (which only the next OnBlock,
  // on this same thread, changes). Not synced: after a crash, Load() drops whatever the
  // chain has confirmed.
  if (!drop.empty()) {
    if (auto s = store_->Write(drop, /*sync=*/false); !s.ok()) {
      util::Logger("pool")->warn("could not delete confirmed transactions: {}", s.message());
    }
  }
}

}  // namespace dsc::pool
