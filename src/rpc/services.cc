#include "util/strings.h"
#include "rpc/services.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "core/encoding.h"
#include "dsc/v1/chain.grpc.pb.h"
#include "dsc/v1/metronome.grpc.pb.h"
#include "dsc/v1/pool.grpc.pb.h"
#include "dsc/v1/validator.grpc.pb.h"
#include "rpc/convert.h"

namespace dsc::rpc {

using util::AV;
using util::SV;
namespace {

grpc::Status Invalid(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

grpc::Status TooMany(int n, std::string_view what) {
  return Invalid(absl::StrCat("request holds ", n, " ", AV(what), ", more than the limit of ",
                              kMaxBatch));
}

// Decodes a transaction given in either form.
absl::StatusOr<core::Transaction> DecodeEither(const dsc::v1::Transaction* structured,
                                               const std::string* raw) {
  if (raw != nullptr) return core::DecodeTx(*raw);
  return FromProto(*structured);
}

class PoolService final : public dsc::v1::Pool::Service {
 public:
  PoolService(core::PoolApi* pool, ServiceContext* ctx) : pool_(pool), ctx_(ctx) {}

  grpc::Status Submit(grpc::ServerContext*, const dsc::v1::SubmitRequest* req,
                      dsc::v1::SubmitResponse* resp) override {
    absl::StatusOr<core::Transaction> tx;
    switch (req->tx_form_case()) {
      case dsc::v1::SubmitRequest::kTx: tx = DecodeEither(&req->tx(), nullptr); break;
      case dsc::v1::SubmitRequest::kRaw: tx = DecodeEither(nullptr, &req->raw()); break;
      default: return Invalid("request holds no transaction (set tx or raw)");
    }
    if (!tx.ok()) return ToGrpc(tx.status());
    std::vector<absl::Status> verdicts = pool_->Submit(absl::MakeConstSpan(&*tx, 1));
    if (!verdicts[0].ok()) return ToGrpc(verdicts[0]);
    resp->set_id(B58(core::ComputeTxId(*tx)));
    return grpc::Status::OK;
  }

  grpc::Status SubmitBatch(grpc::ServerContext*, const dsc::v1::SubmitBatchRequest* req,
                           dsc::v1::SubmitBatchResponse* resp) override {
    const int n = req->txs_size() + req->raw_size();
    if (n > kMaxBatch) return TooMany(n, "transactions");
    std::vector<core::Transaction> txs;
    txs.reserve(n);
    std::vector<int> slot(n, -1);  // index into txs, or -1 if undecodable
    std::vector<absl::Status> decode_errors(n);
    for (int i = 0; i < n; ++i) {
      auto tx = i < req->txs_size() ? DecodeEither(&req->txs(i), nullptr)
                                    : DecodeEither(nullptr, &req->raw(i - req->txs_size()));
      if (tx.ok()) {
        slot[i] = static_cast<int>(txs.size());
        txs.push_back(*tx);
      } else {
        decode_errors[i] = tx.status();
      }
    }
    std::vector<absl::Status> verdicts = pool_->Submit(txs);
    uint32_t accepted = 0;
    for (int i = 0; i < n; ++i) {
      auto* v = resp->add_verdicts();
      const absl::Status& s = slot[i] < 0 ? decode_errors[i] : verdicts[slot[i]];
      if (slot[i] >= 0) v->set_id(B58(core::ComputeTxId(txs[slot[i]])));
      v->set_accepted(s.ok());
      v->set_code(static_cast<int>(s.code()));
      v->set_message(std::string(s.message()));
      accepted += s.ok() ? 1 : 0;
    }
    resp->set_accepted(accepted);
    resp->set_rejected(static_cast<uint32_t>(n) - accepted);
    return grpc::Status::OK;
  }

  grpc::Status GetStatus(grpc::ServerContext*, const dsc::v1::GetStatusRequest* req,
                         dsc::v1::GetStatusResponse* resp) override {
    if (req->ids_size() > kMaxBatch) return TooMany(req->ids_size(), "ids");
    std::vector<core::TxId> ids;
    for (const auto& text : req->ids()) {
      auto id = ParseFixed<32>(text, "transaction id");
      if (!id.ok()) return ToGrpc(id.status());
      ids.push_back(*id);
    }
    auto statuses = pool_->GetStatus(ids);
    if (!statuses.ok()) return ToGrpc(statuses.status());
    for (size_t i = 0; i < ids.size(); ++i) {
      auto* e = resp->add_statuses();
      e->set_id(req->ids(static_cast<int>(i)));
      e->set_status(ToProto((*statuses)[i].status));
      e->set_height((*statuses)[i].height);
    }
    return grpc::Status::OK;
  }

  grpc::Status TakeForBlock(grpc::ServerContext*, const dsc::v1::TakeForBlockRequest* req,
                            dsc::v1::TakeForBlockResponse* resp) override {
    if (req->height() == 0) return Invalid("height must be at least 1");
    auto txs = pool_->TakeForBlock(req->height(), req->max_txs());
    if (!txs.ok()) return ToGrpc(txs.status());
    for (const auto& tx : *txs) resp->add_raw(core::EncodeTx(tx));
    return grpc::Status::OK;
  }

  grpc::Status GetStats(grpc::ServerContext*, const dsc::v1::GetPoolStatsRequest*,
                        dsc::v1::PoolStats* resp) override {
    auto stats = pool_->GetStats();
    if (!stats.ok()) return ToGrpc(stats.status());
    resp->set_submitted(stats->submitted);
    resp->set_unconfirmed(stats->unconfirmed);
    resp->set_accepted_total(stats->accepted_total);
    resp->set_rejected_total(stats->rejected_total);
    resp->set_confirmed_total(stats->confirmed_total);
    resp->set_synced_height(stats->synced_height);
    return grpc::Status::OK;
  }

  grpc::Status GetNextNonce(grpc::ServerContext*, const dsc::v1::GetNextNonceRequest* req,
                            dsc::v1::GetNextNonceResponse* resp) override {
    auto address = ParseFixed<32>(req->address(), "address");
    if (!address.ok()) return ToGrpc(address.status());
    auto nonce = pool_->NextNonce(*address);
    if (!nonce.ok()) return ToGrpc(nonce.status());
    resp->set_nonce(*nonce);
    return grpc::Status::OK;
  }

 private:
  core::PoolApi* pool_;
  [[maybe_unused]] ServiceContext* ctx_;
};

class ChainService final : public dsc::v1::Chain::Service {
 public:
  ChainService(core::ChainApi* chain, ServiceContext* ctx) : chain_(chain), ctx_(ctx) {}

  grpc::Status GetTip(grpc::ServerContext*, const dsc::v1::GetTipRequest*,
                      dsc::v1::ChainTip* resp) override {
    auto tip = chain_->GetTip();
    if (!tip.ok()) return ToGrpc(tip.status());
    ToProto(*tip, resp);
    return grpc::Status::OK;
  }

  grpc::Status GetBlock(grpc::ServerContext* sctx, const dsc::v1::GetBlockRequest* req,
                        dsc::v1::GetBlockResponse* resp) override {
    absl::StatusOr<core::Block> block;
    if (req->key_case() == dsc::v1::GetBlockRequest::kHash) {
      auto hash = ParseFixed<32>(req->hash(), "block hash");
      if (!hash.ok()) return ToGrpc(hash.status());
      block = chain_->GetBlockByHash(*hash);
    } else {
      const uint32_t wait_ms = std::min<uint32_t>(req->wait_ms(), 60'000);
      block = chain_->GetBlock(req->height(), absl::Milliseconds(wait_ms));
    }
    if (!block.ok()) return ToGrpc(block.status());
    if (req->raw()) {
      resp->set_raw(core::EncodeBlock(*block));
    } else {
      ToProto(*block, resp->mutable_block());
    }
    return grpc::Status::OK;
  }

  grpc::Status GetBalance(grpc::ServerContext*, const dsc::v1::GetBalanceRequest* req,
                          dsc::v1::GetBalanceResponse* resp) override {
    auto address = ParseFixed<32>(req->address(), "address");
    if (!address.ok()) return ToGrpc(address.status());
    auto info = chain_->GetAccount(*address);
    if (!info.ok()) return ToGrpc(info.status());
    resp->set_address(req->address());
    resp->set_balance(info->account.balance);
    resp->set_nonce(info->account.nonce);
    resp->set_height(info->height);
    return grpc::Status::OK;
  }

  grpc::Status GetTransaction(grpc::ServerContext*, const dsc::v1::GetTransactionRequest* req,
                              dsc::v1::TransactionRecord* resp) override {
    auto id = ParseFixed<32>(req->id(), "transaction id");
    if (!id.ok()) return ToGrpc(id.status());
    auto record = chain_->GetTransaction(*id);
    if (!record.ok()) return ToGrpc(record.status());
    ToProto(*record, resp);
    return grpc::Status::OK;
  }

  grpc::Status FindTransactions(grpc::ServerContext*,
                                const dsc::v1::FindTransactionsRequest* req,
                                dsc::v1::FindTransactionsResponse* resp) override {
    if (req->ids_size() > kMaxBatch) return TooMany(req->ids_size(), "ids");
    std::vector<core::TxId> ids;
    ids.reserve(req->ids_size());
    for (const auto& raw : req->ids()) {
      if (raw.size() != 32) return Invalid("transaction ids must be 32 raw bytes");
      core::TxId id;
      std::copy(raw.begin(), raw.end(), id.begin());
      ids.push_back(id);
    }
    auto found = chain_->FindTransactions(ids);
    if (!found.ok()) return ToGrpc(found.status());
    for (const auto& h : *found) resp->add_heights_plus_one(h.has_value() ? *h + 1 : 0);
    return grpc::Status::OK;
  }

  grpc::Status GetAddressTransactions(grpc::ServerContext*,
                                      const dsc::v1::GetAddressTransactionsRequest* req,
                                      dsc::v1::GetAddressTransactionsResponse* resp) override {
    auto address = ParseFixed<32>(req->address(), "address");
    if (!address.ok()) return ToGrpc(address.status());
    uint32_t limit = req->limit() == 0 ? 100 : req->limit();
    if (limit > static_cast<uint32_t>(kMaxBatch)) return TooMany(static_cast<int>(limit), "rows");
    auto records = chain_->GetAddressTransactions(*address, limit);
    if (!records.ok()) return ToGrpc(records.status());
    for (const auto& r : *records) ToProto(r, resp->add_txs());
    return grpc::Status::OK;
  }

  grpc::Status GetProof(grpc::ServerContext*, const dsc::v1::GetProofRequest* req,
                        dsc::v1::GetProofResponse* resp) override {
    auto id = ParseFixed<32>(req->id(), "transaction id");
    if (!id.ok()) return ToGrpc(id.status());
    std::optional<uint64_t> anchor;
    if (req->height() != 0) anchor = req->height();
    auto proof = chain_->GetProof(*id, anchor);
    if (!proof.ok()) return ToGrpc(proof.status());
    ToProto(*proof, resp);
    return grpc::Status::OK;
  }

  grpc::Status AppendBlock(grpc::ServerContext*, const dsc::v1::AppendBlockRequest* req,
                           dsc::v1::AppendBlockResponse* resp) override {
    auto block = core::DecodeBlock(req->raw());
    if (!block.ok()) return ToGrpc(block.status());
    if (auto s = chain_->AppendBlock(*block); !s.ok()) return ToGrpc(s);
    resp->set_hash(B58(core::ComputeBlockHash(block->header)));
    return grpc::Status::OK;
  }

  grpc::Status StreamBlocks(grpc::ServerContext* sctx, const dsc::v1::StreamBlocksRequest* req,
                            grpc::ServerWriter<dsc::v1::GetBlockResponse>* writer) override {
    uint64_t next = req->from_height();
    while (!sctx->IsCancelled() && !ctx_->shutting_down.load()) {
      auto block = chain_->GetBlock(next, absl::Milliseconds(500));
      if (absl::IsNotFound(block.status())) continue;
      if (!block.ok()) return ToGrpc(block.status());
      dsc::v1::GetBlockResponse msg;
      if (req->raw()) {
        msg.set_raw(core::EncodeBlock(*block));
      } else {
        ToProto(*block, msg.mutable_block());
      }
      if (!writer->Write(msg)) break;
      ++next;
    }
    return grpc::Status::OK;
  }

 private:
  core::ChainApi* chain_;
  ServiceContext* ctx_;
};

class MetronomeService final : public dsc::v1::Metronome::Service {
 public:
  MetronomeService(core::MetronomeApi* metronome, ServiceContext* ctx)
      : metronome_(metronome), ctx_(ctx) {}

  grpc::Status RegisterValidator(grpc::ServerContext*,
                                 const dsc::v1::RegisterValidatorRequest* req,
                                 dsc::v1::RegisterValidatorResponse* resp) override {
    core::Registration r;
    auto key = ParseFixed<32>(req->key(), "validator key");
    if (!key.ok()) return ToGrpc(key.status());
    auto fp = ParseFixed<16>(req->fingerprint(), "fingerprint");
    if (!fp.ok()) return ToGrpc(fp.status());
    auto sig = ParseFixed<64>(req->signature(), "signature");
    if (!sig.ok()) return ToGrpc(sig.status());
    r.key = *key;
    r.fingerprint = *fp;
    r.kind = req->kind();
    r.timestamp_ms = req->timestamp_ms();
    r.signature = *sig;
    r.stats = FromProto(req->stats());
    if (auto s = metronome_->RegisterValidator(r); !s.ok()) return ToGrpc(s);
    auto status = metronome_->GetStatus();
    if (status.ok()) {
      resp->set_metronome_key(B58(status->metronome_key));
      resp->set_block_time_ms(status->block_time_ms);
    }
    return grpc::Status::OK;
  }

  grpc::Status SubmitBlock(grpc::ServerContext*, const dsc::v1::SubmitBlockRequest* req,
                           dsc::v1::SubmitBlockResponse* resp) override {
    auto block = core::DecodeBlock(req->raw());
    if (!block.ok()) return ToGrpc(block.status());
    if (auto s = metronome_->SubmitBlock(*block); !s.ok()) return ToGrpc(s);
    resp->set_hash(B58(core::ComputeBlockHash(block->header)));
    return grpc::Status::OK;
  }

  grpc::Status StreamRounds(grpc::ServerContext* sctx, const dsc::v1::StreamRoundsRequest*,
                            grpc::ServerWriter<dsc::v1::Round>* writer) override {
    uint64_t seen = 0;
    bool first = true;
    while (!sctx->IsCancelled() && !ctx_->shutting_down.load()) {
      auto round = metronome_->WaitForRound(seen, absl::Milliseconds(500));
      if (!round.ok()) return ToGrpc(round.status());
      if (!first && round->seq <= seen) continue;
      first = false;
      seen = round->seq;
      dsc::v1::Round msg;
      ToProto(*round, &msg);
      if (!writer->Write(msg)) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status GetStatus(grpc::ServerContext*, const dsc::v1::GetMetronomeStatusRequest*,
                         dsc::v1::MetronomeStatus* resp) override {
    auto status = metronome_->GetStatus();
    if (!status.ok()) return ToGrpc(status.status());
    ToProto(status->round, resp->mutable_round());
    resp->set_metronome_key(B58(status->metronome_key));
    resp->set_block_time_ms(status->block_time_ms);
    resp->set_blocks_by_validators(status->blocks_by_validators);
    resp->set_blocks_by_metronome(status->blocks_by_metronome);
    for (const auto& v : status->validators) {
      auto* out = resp->add_validators();
      out->set_key(B58(v.key));
      out->set_fingerprint(B58(v.fingerprint));
      out->set_kind(v.kind);
      ToProto(v.stats, out->mutable_stats());
      out->set_last_seen_ms(v.last_seen_ms);
      out->set_blocks_won(v.blocks_won);
    }
    return grpc::Status::OK;
  }

 private:
  core::MetronomeApi* metronome_;
  ServiceContext* ctx_;
};

class ValidatorService final : public dsc::v1::Validator::Service {
 public:
  ValidatorService(core::ValidatorApi* validator, ServiceContext*) : validator_(validator) {}

  grpc::Status GetStatus(grpc::ServerContext*, const dsc::v1::GetValidatorStatusRequest*,
                         dsc::v1::ValidatorStatus* resp) override {
    auto status = validator_->GetStatus();
    if (!status.ok()) return ToGrpc(status.status());
    resp->set_key(B58(status->key));
    resp->set_fingerprint(B58(status->fingerprint));
    ToProto(status->proof, resp->mutable_proof());
    resp->set_rounds_seen(status->rounds_seen);
    resp->set_blocks_submitted(status->blocks_submitted);
    resp->set_blocks_won(status->blocks_won);
    resp->set_last_error(status->last_error);
    return grpc::Status::OK;
  }

 private:
  core::ValidatorApi* validator_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewPoolService(core::PoolApi* pool, ServiceContext* ctx) {
  return std::make_unique<PoolService>(pool, ctx);
}
std::unique_ptr<grpc::Service> NewChainService(core::ChainApi* chain, ServiceContext* ctx) {
  return std::make_unique<ChainService>(chain, ctx);
}
std::unique_ptr<grpc::Service> NewMetronomeService(core::MetronomeApi* metronome,
                                                   ServiceContext* ctx) {
  return std::make_unique<MetronomeService>(metronome, ctx);
}
std::unique_ptr<grpc::Service> NewValidatorService(core::ValidatorApi* validator,
                                                   ServiceContext* ctx) {
  return std::make_unique<ValidatorService>(validator, ctx);
}

}  // namespace dsc::rpc
