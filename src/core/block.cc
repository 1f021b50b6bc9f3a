#include "core/block.h"

#include "core/encoding.h"
#include "core/merkle.h"

namespace dsc::core {
namespace {

std::string_view HashView(const Hash32& hash) {
  return std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

}  // namespace

Block MakeGenesisBlock(const ConsensusParams& params) {
  Block genesis;
  BlockHeader& h = genesis.header;
  h.height = 0;
  h.timestamp_ms = params.genesis_timestamp_ms;
  h.difficulty = params.initial_difficulty;
  std::vector<Hash32> leaves;
  leaves.reserve(params.genesis.size());
  for (const auto& alloc : params.genesis) {
    Writer w;
    w.Fixed(alloc.address);
    w.U64(alloc.amount);
    leaves.push_back(crypto::Blake2b256(w.str()));
  }
  h.tx_root = MerkleRoot(leaves);
  return genesis;
}

Block AssembleBlock(const Round& round, const crypto::KeyPair& producer,
                    const Fingerprint& fingerprint, uint64_t proof_nonce, uint64_t reward,
                    std::vector<Transaction> txs, int64_t timestamp_ms) {
  Block block;
  BlockHeader& h = block.header;
  h.height = round.height;
  h.prev_hash = round.prev_hash;
  h.timestamp_ms = timestamp_ms;
  h.difficulty = round.difficulty;
  h.producer = producer.public_key;
  h.fingerprint = fingerprint;
  h.proof_nonce = proof_nonce;
  h.reward = reward;
  h.tx_root = TxRoot(txs);
  h.provenance_root = round.provenance_root;
  h.tx_count = static_cast<uint32_t>(txs.size());
  block.txs = std::move(txs);
  SignAsProducer(&h, producer);
  return block;
}

void SignAsProducer(BlockHeader* header, const crypto::KeyPair& key) {
  header->producer_signature = crypto::Sign(key, HashView(ComputeBlockHash(*header)));
}

void SignAsMetronome(BlockHeader* header, const crypto::KeyPair& key) {
  header->metronome_signature = crypto::Sign(key, HashView(ComputeBlockHash(*header)));
}

Transaction MakeTransaction(const crypto::KeyPair& key, const Address& recipient,
                            uint64_t amount, uint64_t fee, uint64_t nonce, int64_t timestamp_ms) {
  Transaction tx;
  tx.sender = key.public_key;
  tx.recipient = recipient;
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  tx.timestamp_ms = timestamp_ms;
  tx.signature = crypto::Sign(key, EncodeTxSigningBytes(tx));
  return tx;
}

std::string EncodeRegistration(const PublicKey& key, const Fingerprint& fingerprint,
                               std::string_view kind, int64_t timestamp_ms) {
  Writer w;
  w.U8(kTagRegistration);
  w.Fixed(key);
  w.Fixed(fingerprint);
  w.U32(static_cast<uint32_t>(kind.size()));
  w.Raw(kind);
  w.I64(timestamp_ms);
  return w.Take();
}

}  // namespace dsc::core
