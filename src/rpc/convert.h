// Conversions between core types and dsc.v1 messages, and between absl::Status and
// grpc::Status (one-to-one by code). Decoders validate: a malformed field gives
// kInvalidArgument naming the field. Thread-safe: pure functions.
#ifndef DSC_RPC_CONVERT_H_
#define DSC_RPC_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/api.h"
#include "core/types.h"
#include "dsc/v1/chain.pb.h"
#include "dsc/v1/metronome.pb.h"
#include "dsc/v1/pool.pb.h"
#include "dsc/v1/types.pb.h"
#include "dsc/v1/validator.pb.h"

namespace dsc::rpc {

grpc::Status ToGrpc(const absl::Status& status);
absl::Status FromGrpc(const grpc::Status& status);

// Base58 text of a fixed-size value.
std::string B58(absl::Span<const uint8_t> bytes);
// Parses Base58 into a fixed-size value; `what` names the field in the error.
template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> ParseFixed(std::string_view text, std::string_view what);

void ToProto(const core::Transaction& tx, dsc::v1::Transaction* out);
absl::StatusOr<core::Transaction> FromProto(const dsc::v1::Transaction& tx);
void ToProto(const core::BlockHeader& header, dsc::v1::BlockHeader* out);
void ToProto(const core::Block& block, dsc::v1::Block* out);
void ToProto(const core::Round& round, dsc::v1::Round* out);
absl::StatusOr<core::Round> FromProto(const dsc::v1::Round& round);
void ToProto(const core::ProofStats& stats, dsc::v1::ProofStats* out);
core::ProofStats FromProto(const dsc::v1::ProofStats& stats);
void ToProto(const core::ChainTip& tip, dsc::v1::ChainTip* out);
absl::StatusOr<core::ChainTip> FromProto(const dsc::v1::ChainTip& tip);
absl::StatusOr<core::BlockHeader> FromProto(const dsc::v1::BlockHeader& header);
void ToProto(const core::TxRecord& record, dsc::v1::TransactionRecord* out);
absl::StatusOr<core::TxRecord> FromProto(const dsc::v1::TransactionRecord& record);
void ToProto(const core::ProvenanceProof& proof, dsc::v1::GetProofResponse* out);
// Decodes the canonical header and proof bytes (the structured header is not used).
absl::StatusOr<core::ProvenanceProof> FromProto(const dsc::v1::GetProofResponse& resp);
dsc::v1::TxStatus ToProto(core::TxStatus status);
core::TxStatus FromProto(dsc::v1::TxStatus status);

}  // namespace dsc::rpc

#endif  // DSC_RPC_CONVERT_H_
