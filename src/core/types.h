// The DSC data model: transactions, block headers, blocks, accounts, rounds.
// Plain value types; thread-compatible.
#ifndef DSC_CORE_TYPES_H_
#define DSC_CORE_TYPES_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/crypto.h"

namespace dsc::core {

using crypto::Hash32;
using crypto::PublicKey;
using crypto::Signature;
using Address = crypto::PublicKey;      // an address is an Ed25519 public key
using TxId = crypto::Hash32;            // BLAKE2b-256 of the canonical signed tx
using Fingerprint = std::array<uint8_t, 16>;

inline constexpr uint32_t kBlockVersion = 1;

struct Transaction {
  Address sender{};
  Address recipient{};
  uint64_t amount = 0;     // base units, > 0
  uint64_t fee = 0;        // base units, paid to the block's producer
  uint64_t nonce = 0;      // the sender's account nonce this tx consumes
  int64_t timestamp_ms = 0;
  Signature signature{};   // Ed25519 over EncodeTxSigningBytes(*this)

  bool operator==(const Transaction&) const = default;
};

struct BlockHeader {
  uint32_t version = kBlockVersion;
  uint64_t height = 0;
  Hash32 prev_hash{};
  int64_t timestamp_ms = 0;
  uint32_t difficulty = 0;          // bits of the record that must equal the challenge
  PublicKey producer{};             // the winning validator's key, or the metronome's
  Fingerprint fingerprint{};        // the validator's proof fingerprint (zero for metronome)
  uint64_t proof_nonce = 0;         // the nonce of the winning record
  uint64_t reward = 0;              // coins minted to the producer by this block
  Hash32 tx_root{};                 // Merkle root of the tx ids of this block
  Hash32 provenance_root{};         // root of the cumulative trie of confirmed tx ids
  uint32_t tx_count = 0;
  Signature producer_signature{};   // producer's signature of the block hash
  Signature metronome_signature{};  // metronome's signature of the block hash

  bool operator==(const BlockHeader&) const = default;
};

struct Block {
  BlockHeader header;
  std::vector<Transaction> txs;

  bool operator==(const Block&) const = default;
};

// The balance cache entry of one address.
struct Account {
  uint64_t balance = 0;
  uint64_t nonce = 0;  // number of transactions this address has sent

  bool operator==(const Account&) const = default;
};

// One round of the metronome: validators race to find a record for `challenge`.
struct Round {
  uint64_t seq = 0;          // increases on every change of round state
  uint64_t height = 0;       // height of the block this round produces
  Hash32 prev_hash{};        // the challenge: hash of the tip
  uint32_t difficulty = 0;
  int64_t start_ms = 0;
  int64_t deadline_ms = 0;
  Hash32 provenance_root{};  // what the block of this round must carry
  bool open = false;         // false once a block for `height` was accepted
  bool operator==(const Round&) const = default;
};

// A genesis allocation: coins given to an address in block 0.
struct GenesisAlloc {
  Address address{};
  uint64_t amount = 0;
  bool operator==(const GenesisAlloc&) const = default;
};

enum class TxStatus { kUnknown = 0, kSubmitted = 1, kUnconfirmed = 2, kConfirmed = 3 };

// Returns "unknown", "submitted", "unconfirmed" or "confirmed".
const char* TxStatusName(TxStatus status);

struct TxStatusInfo {
  TxStatus status = TxStatus::kUnknown;
  uint64_t height = 0;  // the confirming block when status == kConfirmed
};

}  // namespace dsc::core

#endif  // DSC_CORE_TYPES_H_
