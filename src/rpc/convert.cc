#include "util/strings.h"
#include "rpc/convert.h"

#include "core/trie.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/encoding.h"
#include "util/base58.h"

namespace dsc::rpc {

using util::AV;
using util::SV;

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string B58(absl::Span<const uint8_t> bytes) { return util::Base58Encode(bytes); }

template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> ParseFixed(std::string_view text, std::string_view what) {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(AV(what), " is missing"));
  auto bytes = util::Base58Decode(text);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed ", AV(what), " '", AV(text), "': ", bytes.status().message()));
  }
  if (bytes->size() != N) {
    return absl::InvalidArgumentError(absl::StrCat("malformed ", AV(what), " '", AV(text), "': ",
                                                   bytes->size(), " bytes, expected ", N));
  }
  std::array<uint8_t, N> out;
  std::memcpy(out.data(), bytes->data(), N);
  return out;
}
template absl::StatusOr<std::array<uint8_t, 16>> ParseFixed<16>(std::string_view,
                                                                std::string_view);
template absl::StatusOr<std::array<uint8_t, 32>> ParseFixed<32>(std::string_view,
                                                                std::string_view);
template absl::StatusOr<std::array<uint8_t, 64>> ParseFixed<64>(std::string_view,
                                                                std::string_view);

#define DSC_ASSIGN(lhs, expr)            \
  do {                                   \
    auto _v = (expr);                    \
    if (!_v.ok()) return _v.status();    \
    lhs = *std::move(_v);                \
  } while (0)

void ToProto(const core::Transaction& tx, dsc::v1::Transaction* out) {
  out->set_sender(B58(tx.sender));
  out->set_recipient(B58(tx.recipient));
  out->set_amount(tx.amount);
  out->set_fee(tx.fee);
  out->set_nonce(tx.nonce);
  out->set_timestamp_ms(tx.timestamp_ms);
  out->set_signature(B58(tx.signature));
  out->set_id(B58(core::ComputeTxId(tx)));
}

absl::StatusOr<core::Transaction> FromProto(const dsc::v1::Transaction& in) {
  core::Transaction tx;
  DSC_ASSIGN(tx.sender, ParseFixed<32>(in.sender(), "sender address"));
  DSC_ASSIGN(tx.recipient, ParseFixed<32>(in.recipient(), "recipient address"));
  tx.amount = in.amount();
  tx.fee = in.fee();
  tx.nonce = in.nonce();
  tx.timestamp_ms = in.timestamp_ms();
  DSC_ASSIGN(tx.signature, ParseFixed<64>(in.signature(), "signature"));
  return tx;
}

void ToProto(const core::BlockHeader& h, dsc::v1::BlockHeader* out) {
  out->set_version(h.version);
  out->set_height(h.height);
  out->set_prev_hash(B58(h.prev_hash));
  out->set_timestamp_ms(h.timestamp_ms);
  out->set_difficulty(h.difficulty);
  out->set_producer(B58(h.producer));
  out->set_fingerprint(B58(h.fingerprint));
  out->set_proof_nonce(h.proof_nonce);
  out->set_reward(h.reward);
  out->set_tx_root(B58(h.tx_root));
  out->set_provenance_root(B58(h.provenance_root));
  out->set_tx_count(h.tx_count);
  out->set_producer_signature(B58(h.producer_signature));
  out->set_metronome_signature(B58(h.metronome_signature));
  out->set_hash(B58(core::ComputeBlockHash(h)));
}

absl::StatusOr<core::BlockHeader> FromProto(const dsc::v1::BlockHeader& in) {
  core::BlockHeader h;
  h.version = in.version();
  h.height = in.height();
  DSC_ASSIGN(h.prev_hash, ParseFixed<32>(in.prev_hash(), "prev_hash"));
  h.timestamp_ms = in.timestamp_ms();
  h.difficulty = in.difficulty();
  DSC_ASSIGN(h.producer, ParseFixed<32>(in.producer(), "producer"));
  DSC_ASSIGN(h.fingerprint, ParseFixed<16>(in.fingerprint(), "fingerprint"));
  h.proof_nonce = in.proof_nonce();
  h.reward = in.reward();
  DSC_ASSIGN(h.tx_root, ParseFixed<32>(in.tx_root(), "tx_root"));
  DSC_ASSIGN(h.provenance_root, ParseFixed<32>(in.provenance_root(), "provenance_root"));
  h.tx_count = in.tx_count();
  DSC_ASSIGN(h.producer_signature, ParseFixed<64>(in.producer_signature(), "producer_signature"));
  DSC_ASSIGN(h.metronome_signature,
             ParseFixed<64>(in.metronome_signature(), "metronome_signature"));
  return h;
}

void ToProto(const core::Block& block, dsc::v1::Block* out) {
  ToProto(block.header, out->mutable_header());
  out->mutable_txs()->Reserve(static_cast<int>(block.txs.size()));
  for (const auto& tx : block.txs) ToProto(tx, out->add_txs());
}

void ToProto(const core::Round& r, dsc::v1::Round* out) {
  out->set_seq(r.seq);
  out->set_height(r.height);
  out->set_prev_hash(B58(r.prev_hash));
  out->set_difficulty(r.difficulty);
  out->set_start_ms(r.start_ms);
  out->set_deadline_ms(r.deadline_ms);
  out->set_provenance_root(B58(r.provenance_root));
  out->set_open(r.open);
}

absl::StatusOr<core::Round> FromProto(const dsc::v1::Round& in) {
  core::Round r;
  r.seq = in.seq();
  r.height = in.height();
  DSC_ASSIGN(r.prev_hash, ParseFixed<32>(in.prev_hash(), "prev_hash"));
  r.difficulty = in.difficulty();
  r.start_ms = in.start_ms();
  r.deadline_ms = in.deadline_ms();
  DSC_ASSIGN(r.provenance_root, ParseFixed<32>(in.provenance_root(), "provenance_root"));
  r.open = in.open();
  return r;
}

void ToProto(const core::ProofStats& s, dsc::v1::ProofStats* out) {
  out->set_kind(s.kind);
  out->set_hashes_per_second(s.hashes_per_second);
  out->set_records_stored(s.records_stored);
  out->set_hashes_total(s.hashes_total);
}

core::ProofStats FromProto(const dsc::v1::ProofStats& in) {
  core::ProofStats s;
  s.kind = in.kind();
  s.hashes_per_second = in.hashes_per_second();
  s.records_stored = in.records_stored();
  s.hashes_total = in.hashes_total();
  return s;
}

void ToProto(const core::ChainTip& tip, dsc::v1::ChainTip* out) {
  ToProto(tip.header, out->mutable_header());
  out->set_provenance_root(B58(tip.provenance_root));
  out->set_supply(tip.supply);
  out->set_tx_total(tip.tx_total);
  out->set_accounts(tip.accounts);
  out->set_latency_ms(tip.latency_ms);
}

absl::StatusOr<core::ChainTip> FromProto(const dsc::v1::ChainTip& in) {
  core::ChainTip tip;
  DSC_ASSIGN(tip.header, FromProto(in.header()));
  tip.hash = core::ComputeBlockHash(tip.header);
  DSC_ASSIGN(tip.provenance_root, ParseFixed<32>(in.provenance_root(), "provenance_root"));
  tip.supply = in.supply();
  tip.tx_total = in.tx_total();
  tip.accounts = in.accounts();
  tip.latency_ms = in.latency_ms();
  return tip;
}

void ToProto(const core::TxRecord& record, dsc::v1::TransactionRecord* out) {
  ToProto(record.tx, out->mutable_tx());
  out->set_height(record.height);
  out->set_index(record.index);
}

absl::StatusOr<core::TxRecord> FromProto(const dsc::v1::TransactionRecord& in) {
  core::TxRecord r;
  DSC_ASSIGN(r.tx, FromProto(in.tx()));
  r.height = in.height();
  r.index = in.index();
  return r;
}

void ToProto(const core::ProvenanceProof& proof, dsc::v1::GetProofResponse* out) {
  ToProto(proof.anchor, out->mutable_anchor());
  out->set_anchor_raw(core::EncodeHeader(proof.anchor));
  out->set_proof(core::EncodeTrieProof(proof.proof));
  out->set_included(proof.included);
  out->set_block_height(proof.height);
  out->set_index(proof.index);
  out->set_hashes(static_cast<uint32_t>(proof.proof.ShippedHashes()));
}

absl::StatusOr<core::ProvenanceProof> FromProto(const dsc::v1::GetProofResponse& in) {
  core::ProvenanceProof p;
  auto header = core::DecodeHeader(in.anchor_raw());
  if (!header.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the anchor header is malformed: ", header.status().message()));
  }
  p.anchor = *header;
  auto proof = core::DecodeTrieProof(in.proof());
  if (!proof.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the proof is malformed: ", proof.status().message()));
  }
  p.proof = std::move(*proof);
  p.included = in.included();
  p.height = in.block_height();
  p.index = in.index();
  return p;
}

dsc::v1::TxStatus ToProto(core::TxStatus status) {
  return static_cast<dsc::v1::TxStatus>(static_cast<int>(status));
}

core::TxStatus FromProto(dsc::v1::TxStatus status) {
  switch (status) {
    case dsc::v1::TX_STATUS_SUBMITTED: return core::TxStatus::kSubmitted;
    case dsc::v1::TX_STATUS_UNCONFIRMED: return core::TxStatus::kUnconfirmed;
    case dsc::v1::TX_STATUS_CONFIRMED: return core::TxStatus::kConfirmed;
    default: return core::TxStatus::kUnknown;
  }
}

}  // namespace dsc::rpc
