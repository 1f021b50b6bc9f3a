// Building and signing blocks, and the genesis block. Thread-safe: pure functions.
#ifndef DSC_CORE_BLOCK_H_
#define DSC_CORE_BLOCK_H_

#include <vector>

#include "core/params.h"
#include "core/types.h"

namespace dsc::core {

// Block 0 of the network described by `params`: height 0, no parent, the initial
// difficulty, and a tx_root committing to the genesis allocations (so the genesis hash
// differs between networks with different allocations).
Block MakeGenesisBlock(const ConsensusParams& params);

// The block of `round` produced by `producer`: header fields from the round, the proof
// (fingerprint, nonce), `reward`, the transactions and their root; signed by `producer`.
// The metronome signature is left empty.
Block AssembleBlock(const Round& round, const crypto::KeyPair& producer,
                    const Fingerprint& fingerprint, uint64_t proof_nonce, uint64_t reward,
                    std::vector<Transaction> txs, int64_t timestamp_ms);

// Fills header->producer_signature / metronome_signature with a signature of the hash.
void SignAsProducer(BlockHeader* header, const crypto::KeyPair& key);
void SignAsMetronome(BlockHeader* header, const crypto::KeyPair& key);

// Signs and returns a transaction from `key` (the sender).
Transaction MakeTransaction(const crypto::KeyPair& key, const Address& recipient,
                            uint64_t amount, uint64_t fee, uint64_t nonce, int64_t timestamp_ms);

// The message a validator signs to register: tag, key, fingerprint, kind, timestamp.
std::string EncodeRegistration(const PublicKey& key, const Fingerprint& fingerprint,
                               std::string_view kind, int64_t timestamp_ms);

}  // namespace dsc::core

#endif  // DSC_CORE_BLOCK_H_
