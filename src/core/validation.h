// Verdicts on transactions and blocks. A rejection is an absl::Status whose code follows
// the project rule (kInvalidArgument: malformed or badly signed; kFailedPrecondition: the
// state does not allow it; kAlreadyExists: duplicate) and whose message says what was
// wrong. Thread-safe: pure functions.
#ifndef DSC_CORE_VALIDATION_H_
#define DSC_CORE_VALIDATION_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/params.h"
#include "core/signature_cache.h"
#include "core/types.h"

namespace dsc::core {

// Checks what needs no state: amount > 0, amount + fee fits in 64 bits, sender differs
// from recipient, timestamp not negative, and the Ed25519 signature.
absl::Status CheckTxStateless(const Transaction& tx);

// As CheckTxStateless but for many transactions, verifying signatures on up to
// `threads` threads. Returns one status per transaction, in order. With a `cache`, a
// transaction whose id it holds skips the signature check (the other checks still run),
// and the ids of transactions that pass are added to it. `ids`, if not empty, must hold
// ComputeTxId of each transaction (callers that need the ids anyway save the hashing).
std::vector<absl::Status> CheckTxsStateless(absl::Span<const Transaction> txs, int threads,
                                            SignatureCache* cache = nullptr,
                                            absl::Span<const TxId> ids = {});

// Checks `tx` against its sender's account once `pending_count` earlier transactions of
// the same sender spending `pending_outflow` are applied: the nonce must equal
// account.nonce + pending_count and the balance must cover pending_outflow + amount + fee.
// kFailedPrecondition if not; kInvalidArgument if amount + fee overflows 64 bits.
absl::Status CheckTxAgainstAccount(const Transaction& tx, const Account& account,
                                   uint64_t pending_count, uint64_t pending_outflow);

// Checks a header against its parent and the rules: version, height, prev_hash, timestamp
// (not before the parent, at most params.max_future_ms after now_ms), tx_count limit,
// difficulty range, the proof (for validator blocks) and both signatures. A block produced
// by `metronome_key` is a metronome block: no proof, no reward. Does not look at the
// transactions (see CheckBlockBody).
absl::Status CheckHeader(const BlockHeader& header, const BlockHeader& parent,
                         const PublicKey& metronome_key, const ConsensusParams& params,
                         int64_t now_ms);

// Checks that the body matches the header: tx_count and tx_root. `ids`, if not empty,
// must hold ComputeTxId of each transaction of the block, in order.
absl::Status CheckBlockBody(const Block& block, absl::Span<const TxId> ids = {});

}  // namespace dsc::core

#endif  // DSC_CORE_VALIDATION_H_
