#include "core/validation.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/encoding.h"
#include "core/merkle.h"
#include "core/proof.h"
#include "crypto/ed25519.h"
#include "util/amount.h"

namespace dsc::core {

namespace {

// Everything CheckTxStateless checks but the signature.
absl::Status CheckTxFields(const Transaction& tx) {
  if (tx.amount == 0) return absl::InvalidArgumentError("amount must be greater than zero");
  if (tx.amount > UINT64_MAX - tx.fee) {
    return absl::InvalidArgumentError("amount plus fee overflows 64 bits");
  }
  if (tx.sender == tx.recipient) {
    return absl::InvalidArgumentError("sender and recipient are the same address");
  }
  if (tx.timestamp_ms < 0) return absl::InvalidArgumentError("timestamp is negative");
  return absl::OkStatus();
}

absl::Status BadSignature() {
  return absl::InvalidArgumentError("bad signature: not signed by the sender's key");
}

absl::Status CheckTxSignature(const Transaction& tx) {
  if (!crypto::Verify(tx.sender, EncodeTxSigningBytes(tx), tx.signature)) return BadSignature();
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTxStateless(const Transaction& tx) {
  if (absl::Status s = CheckTxFields(tx); !s.ok()) return s;
  return CheckTxSignature(tx);
}

std::vector<absl::Status> CheckTxsStateless(absl::Span<const Transaction> txs, int threads,
                                            SignatureCache* cache, absl::Span<const TxId> given) {
  std::vector<absl::Status> out(txs.size());
  const bool have_ids = given.size() == txs.size() && !txs.empty();
  std::vector<TxId> computed(cache != nullptr && !have_ids ? txs.size() : 0);
  auto id_of = [&](size_t i) -> const TxId& { return have_ids ? given[i] : computed[i]; };
  // Checks txs[begin, end): each one's fields, then the signatures not vouched for by the
  // cache as one batch (crypto::VerifyEach narrows a failed batch down to the bad ones).
  constexpr size_t kChunk = 64;
  auto check_range = [&](size_t begin, size_t end) {
    std::string signing[kChunk];
    crypto::SignedMessage items[kChunk];
    size_t index[kChunk];
    size_t n = 0;
    for (size_t i = begin; i < end; ++i) {
      out[i] = CheckTxFields(txs[i]);
      if (!out[i].ok()) continue;
      if (cache != nullptr) {
        if (!have_ids) computed[i] = ComputeTxId(txs[i]);
        if (cache->Contains(id_of(i))) continue;
      }
      signing[n] = EncodeTxSigningBytes(txs[i]);
      items[n] = {&txs[i].sender,
                  absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(signing[n].data()),
                                      signing[n].size()),
                  &txs[i].signature};
      index[n++] = i;
    }
    const std::vector<bool> ok = crypto::VerifyEach(absl::MakeConstSpan(items, n));
    for (size_t k = 0; k < n; ++k) {
      if (!ok[k]) out[index[k]] = BadSignature();
    }
  };
  if (threads <= 1 || txs.size() < 2 * kChunk) {
    for (size_t begin = 0; begin < txs.size(); begin += kChunk) {
      check_range(begin, std::min(begin + kChunk, txs.size()));
    }
  } else {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t begin; (begin = next.fetch_add(kChunk)) < txs.size();) {
        check_range(begin, std::min(begin + kChunk, txs.size()));
      }
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  }
  if (cache != nullptr) {
    std::vector<TxId> passed;
    passed.reserve(txs.size());
    for (size_t i = 0; i < txs.size(); ++i) {
      if (out[i].ok()) passed.push_back(id_of(i));
    }
    cache->Add(passed);
  }
  return out;
}

absl::Status CheckTxAgainstAccount(const Transaction& tx, const Account& account,
                                   uint64_t pending_count, uint64_t pending_outflow) {
  const uint64_t expected = account.nonce + pending_count;
  if (tx.nonce != expected) {
    if (tx.nonce < account.nonce) {
      return absl::FailedPreconditionError(absl::StrCat(
          "stale nonce ", tx.nonce, ": the sender's account is at nonce ", account.nonce,
          " (replay of an already used nonce)"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "nonce ", tx.nonce, " does not follow the sender's last nonce: expected ", expected));
  }
  // CheckTxStateless rules this out too, but ApplyBlock relies on this check alone: a
  // wrapped cost would let the sender pay nothing.
  if (tx.amount > UINT64_MAX - tx.fee) {
    return absl::InvalidArgumentError("amount plus fee overflows 64 bits");
  }
  const uint64_t cost = tx.amount + tx.fee;
  if (pending_outflow > account.balance || cost > account.balance - pending_outflow) {
    return absl::FailedPreconditionError(absl::StrCat(
        "insufficient balance: ", util::FormatAmount(account.balance), " coins, of which ",
        util::FormatAmount(pending_outflow), " already pending; this transaction needs ",
        util::FormatAmount(cost)));
  }
  return absl::OkStatus();
}

absl::Status CheckHeader(const BlockHeader& header, const BlockHeader& parent,
                         const PublicKey& metronome_key, const ConsensusParams& params,
                         int64_t now_ms) {
  if (header.version != kBlockVersion) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported block version ", header.version));
  }
  if (header.height != parent.height + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "block height ", header.height, " does not follow the tip at height ", parent.height));
  }
  if (header.prev_hash != ComputeBlockHash(parent)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "block ", header.height, " does not extend the tip: previous hash ",
        ToHex(header.prev_hash), " is not ", ToHex(ComputeBlockHash(parent))));
  }
  if (header.timestamp_ms < parent.timestamp_ms) {
    return absl::InvalidArgumentError("block timestamp is earlier than its parent's");
  }
  if (header.timestamp_ms > now_ms + params.max_future_ms) {
    return absl::InvalidArgumentError("block timestamp is too far in the future");
  }
  if (header.tx_count > params.max_block_txs) {
    return absl::InvalidArgumentError(absl::StrCat("block holds ", header.tx_count,
                                                   " transactions, more than the limit of ",
                                                   params.max_block_txs));
  }
  if (header.difficulty < params.min_difficulty || header.difficulty > params.max_difficulty) {
    return absl::InvalidArgumentError(absl::StrCat("difficulty ", header.difficulty,
                                                   " is outside [", params.min_difficulty, ", ",
                                                   params.max_difficulty, "]"));
  }
  const bool metronome_block = header.producer == metronome_key;
  if (metronome_block) {
    if (header.reward != 0) return absl::InvalidArgumentError("a metronome block mints no reward");
  } else {
    if (header.reward != params.block_reward) {
      return absl::InvalidArgumentError(absl::StrCat("block reward ", header.reward,
                                                     " differs from the rule ",
                                                     params.block_reward));
    }
    if (!CheckHeaderProof(header)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid proof: the record of nonce ", header.proof_nonce, " does not match the first ",
          header.difficulty, " bits of the challenge"));
    }
  }
  const std::string hash_bytes = EncodeHeaderHashBytes(header);
  const Hash32 hash = crypto::Blake2b256(hash_bytes);
  const std::string_view msg(reinterpret_cast<const char*>(hash.data()), hash.size());
  if (!crypto::Verify(header.producer, msg, header.producer_signature)) {
    return absl::InvalidArgumentError("bad block signature: not signed by the producer's key");
  }
  if (!crypto::Verify(metronome_key, msg, header.metronome_signature)) {
    return absl::InvalidArgumentError("bad metronome signature on the block");
  }
  return absl::OkStatus();
}

absl::Status CheckBlockBody(const Block& block, absl::Span<const TxId> ids) {
  if (block.header.tx_count != block.txs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("header says ", block.header.tx_count,
                                                   " transactions, the block holds ",
                                                   block.txs.size()));
  }
  const Hash32 root = ids.size() == block.txs.size() && !ids.empty()
                          ? MerkleRoot(ids)
                          : TxRoot(block.txs);
  if (root != block.header.tx_root) {
    return absl::InvalidArgumentError("transaction root does not match the block's transactions");
  }
  return absl::OkStatus();
}

}  // namespace dsc::core
