#include "rpc/clients.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/encoding.h"
#include "dsc/v1/chain.grpc.pb.h"
#include "dsc/v1/metronome.grpc.pb.h"
#include "dsc/v1/pool.grpc.pb.h"
#include "dsc/v1/validator.grpc.pb.h"
#include "rpc/convert.h"
#include "rpc/services.h"
#include "util/log.h"

namespace dsc::rpc {
namespace {

// Sets the call deadline and turns a failed status into one naming the peer.
class Call {
 public:
  Call(const ClientOptions& options, absl::Duration extra = absl::ZeroDuration())
      : address_(options.address) {
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout + extra));
  }
  absl::Status Finish(const grpc::Status& status) const {
    if (status.ok()) return absl::OkStatus();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return absl::UnavailableError(
          absl::StrCat("node ", address_, " is unreachable: ", status.error_message()));
    }
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return absl::DeadlineExceededError(
          absl::StrCat("node ", address_, " did not answer in time"));
    }
    return FromGrpc(status);
  }
  grpc::ClientContext ctx;

 private:
  std::string address_;
};

std::string_view AsView(const core::Hash32& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

class RemotePool : public core::PoolApi {
 public:
  explicit RemotePool(const ClientOptions& options)
      : options_(options), stub_(dsc::v1::Pool::NewStub(MakeChannel(options.address))) {}

  std::vector<absl::Status> Submit(absl::Span<const core::Transaction> txs) override {
    std::vector<absl::Status> out;
    out.reserve(txs.size());
    if (txs.size() == 1) {
      dsc::v1::SubmitRequest req;
      req.set_raw(core::EncodeTx(txs[0]));
      dsc::v1::SubmitResponse resp;
      Call call(options_);
      out.push_back(call.Finish(stub_->Submit(&call.ctx, req, &resp)));
      return out;
    }
    dsc::v1::SubmitBatchRequest req;
    for (const auto& tx : txs) req.add_raw(core::EncodeTx(tx));
    dsc::v1::SubmitBatchResponse resp;
    Call call(options_);
    absl::Status status = call.Finish(stub_->SubmitBatch(&call.ctx, req, &resp));
    if (status.ok() && resp.verdicts_size() != static_cast<int>(txs.size())) {
      status = absl::InternalError("pool answered with a wrong number of verdicts");
    }
    if (!status.ok()) {
      out.assign(txs.size(), status);
      return out;
    }
    for (const auto& v : resp.verdicts()) {
      out.push_back(v.accepted() ? absl::OkStatus()
                                 : absl::Status(static_cast<absl::StatusCode>(v.code()),
                                                v.message()));
    }
    return out;
  }

  absl::StatusOr<std::vector<core::TxStatusInfo>> GetStatus(
      absl::Span<const core::TxId> ids) override {
    dsc::v1::GetStatusRequest req;
    for (const auto& id : ids) req.add_ids(B58(id));
    dsc::v1::GetStatusResponse resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetStatus(&call.ctx, req, &resp)); !s.ok()) return s;
    if (resp.statuses_size() != static_cast<int>(ids.size())) {
      return absl::InternalError("pool answered with a wrong number of statuses");
    }
    std::vector<core::TxStatusInfo> out;
    for (const auto& e : resp.statuses()) out.push_back({FromProto(e.status()), e.height()});
    return out;
  }

  absl::StatusOr<std::vector<core::Transaction>> TakeForBlock(uint64_t height,
                                                              uint32_t max) override {
    dsc::v1::TakeForBlockRequest req;
    req.set_height(height);
    req.set_max_txs(max);
    dsc::v1::TakeForBlockResponse resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->TakeForBlock(&call.ctx, req, &resp)); !s.ok()) return s;
    std::vector<core::Transaction> out;
    out.reserve(resp.raw_size());
    for (const auto& raw : resp.raw()) {
      auto tx = core::DecodeTx(raw);
      if (!tx.ok()) return tx.status();
      out.push_back(*tx);
    }
    return out;
  }

  absl::StatusOr<core::PoolStats> GetStats() override {
    dsc::v1::GetPoolStatsRequest req;
    dsc::v1::PoolStats resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetStats(&call.ctx, req, &resp)); !s.ok()) return s;
    core::PoolStats out;
    out.submitted = resp.submitted();
    out.unconfirmed = resp.unconfirmed();
    out.accepted_total = resp.accepted_total();
    out.rejected_total = resp.rejected_total();
    out.confirmed_total = resp.confirmed_total();
    out.synced_height = resp.synced_height();
    return out;
  }

  absl::StatusOr<uint64_t> NextNonce(const core::Address& address) override {
    dsc::v1::GetNextNonceRequest req;
    req.set_address(B58(address));
    dsc::v1::GetNextNonceResponse resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetNextNonce(&call.ctx, req, &resp)); !s.ok()) return s;
    return resp.nonce();
  }

 private:
  ClientOptions options_;
  std::unique_ptr<dsc::v1::Pool::Stub> stub_;
};

class RemoteChain : public core::ChainApi {
 public:
  explicit RemoteChain(const ClientOptions& options)
      : options_(options), stub_(dsc::v1::Chain::NewStub(MakeChannel(options.address))) {}

  absl::StatusOr<core::ChainTip> GetTip() override {
    dsc::v1::GetTipRequest req;
    dsc::v1::ChainTip resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetTip(&call.ctx, req, &resp)); !s.ok()) return s;
    return FromProto(resp);
  }

  absl::StatusOr<core::Block> GetBlock(uint64_t height, absl::Duration wait) override {
    dsc::v1::GetBlockRequest req;
    req.set_height(height);
    req.set_raw(true);
    req.set_wait_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(wait)));
    return Fetch(req, wait);
  }

  absl::StatusOr<core::Block> GetBlockByHash(const core::Hash32& hash) override {
    dsc::v1::GetBlockRequest req;
    req.set_hash(B58(hash));
    req.set_raw(true);
    return Fetch(req, absl::ZeroDuration());
  }

  absl::StatusOr<core::AccountInfo> GetAccount(const core::Address& address) override {
    dsc::v1::GetBalanceRequest req;
    req.set_address(B58(address));
    dsc::v1::GetBalanceResponse resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetBalance(&call.ctx, req, &resp)); !s.ok()) return s;
    return core::AccountInfo{core::Account{resp.balance(), resp.nonce()}, resp.height()};
  }

  absl::StatusOr<core::TxRecord> GetTransaction(const core::TxId& id) override {
    dsc::v1::GetTransactionRequest req;
    req.set_id(B58(id));
    dsc::v1::TransactionRecord resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetTransaction(&call.ctx, req, &resp)); !s.ok()) return s;
    return FromProto(resp);
  }

  absl::StatusOr<std::vector<std::optional<uint64_t>>> FindTransactions(
      absl::Span<const core::TxId> ids) override {
    dsc::v1::FindTransactionsRequest req;
    for (const auto& id : ids) req.add_ids(std::string(AsView(id)));
    dsc::v1::FindTransactionsResponse resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->FindTransactions(&call.ctx, req, &resp)); !s.ok()) return s;
    if (resp.heights_plus_one_size() != static_cast<int>(ids.size())) {
      return absl::InternalError("chain answered with a wrong number of heights");
    }
    std::vector<std::optional<uint64_t>> out;
    for (uint64_t h : resp.heights_plus_one()) {
      out.push_back(h == 0 ? std::nullopt : std::optional<uint64_t>(h - 1));
    }
    return out;
  }

  absl::StatusOr<std::vector<core::TxRecord>> GetAddressTransactions(
      const core::Address& address, uint32_t limit) override {
    dsc::v1::GetAddressTransactionsRequest req;
    req.set_address(B58(address));
    req.set_limit(limit);
    dsc::v1::GetAddressTransactionsResponse resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetAddressTransactions(&call.ctx, req, &resp)); !s.ok()) {
      return s;
    }
    std::vector<core::TxRecord> out;
    for (const auto& r : resp.txs()) {
      auto rec = FromProto(r);
      if (!rec.ok()) return rec.status();
      out.push_back(*rec);
    }
    return out;
  }

  absl::StatusOr<core::ProvenanceProof> GetProof(const core::TxId& id,
                                                 std::optional<uint64_t> anchor_height) override {
    dsc::v1::GetProofRequest req;
    req.set_id(B58(id));
    if (anchor_height.has_value()) {
      if (*anchor_height == 0) {
        return absl::InvalidArgumentError("proofs cannot be anchored in the genesis block");
      }
      req.set_height(*anchor_height);
    }
    dsc::v1::GetProofResponse resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetProof(&call.ctx, req, &resp)); !s.ok()) return s;
    return FromProto(resp);
  }

  absl::Status AppendBlock(const core::Block& block) override {
    dsc::v1::AppendBlockRequest req;
    req.set_raw(core::EncodeBlock(block));
    dsc::v1::AppendBlockResponse resp;
    Call call(options_);
    return call.Finish(stub_->AppendBlock(&call.ctx, req, &resp));
  }

 private:
  absl::StatusOr<core::Block> Fetch(const dsc::v1::GetBlockRequest& req, absl::Duration wait) {
    dsc::v1::GetBlockResponse resp;
    Call call(options_, wait);
    if (auto s = call.Finish(stub_->GetBlock(&call.ctx, req, &resp)); !s.ok()) return s;
    return core::DecodeBlock(resp.raw());
  }

  ClientOptions options_;
  std::unique_ptr<dsc::v1::Chain::Stub> stub_;
};

class RemoteMetronome : public core::MetronomeApi {
 public:
  explicit RemoteMetronome(const ClientOptions& options)
      : options_(options),
        stub_(dsc::v1::Metronome::NewStub(MakeChannel(options.address))) {}

  ~RemoteMetronome() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      if (stream_ctx_ != nullptr) stream_ctx_->TryCancel();
    }
    if (reader_.joinable()) reader_.join();
  }

  absl::Status RegisterValidator(const core::Registration& r) override {
    dsc::v1::RegisterValidatorRequest req;
    req.set_key(B58(r.key));
    req.set_fingerprint(B58(r.fingerprint));
    req.set_kind(r.kind);
    req.set_timestamp_ms(r.timestamp_ms);
    req.set_signature(B58(r.signature));
    ToProto(r.stats, req.mutable_stats());
    dsc::v1::RegisterValidatorResponse resp;
    Call call(options_);
    return call.Finish(stub_->RegisterValidator(&call.ctx, req, &resp));
  }

  absl::Status SubmitBlock(const core::Block& block) override {
    dsc::v1::SubmitBlockRequest req;
    req.set_raw(core::EncodeBlock(block));
    dsc::v1::SubmitBlockResponse resp;
    Call call(options_);
    return call.Finish(stub_->SubmitBlock(&call.ctx, req, &resp));
  }

  absl::StatusOr<core::Round> WaitForRound(uint64_t after_seq, absl::Duration wait) override {
    absl::MutexLock lock(&mu_);
    if (!reader_.joinable()) reader_ = std::thread([this] { ReadRounds(); });
    auto changed = [&] { return stopping_ || (have_round_ && round_.seq > after_seq); };
    mu_.AwaitWithTimeout(absl::Condition(&changed), wait);
    if (!have_round_) {
      return absl::UnavailableError(
          absl::StrCat("metronome ", options_.address, " is unreachable: ", last_error_));
    }
    return round_;
  }

  absl::StatusOr<core::MetronomeStatus> GetStatus() override {
    dsc::v1::GetMetronomeStatusRequest req;
    dsc::v1::MetronomeStatus resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetStatus(&call.ctx, req, &resp)); !s.ok()) return s;
    core::MetronomeStatus out;
    auto round = FromProto(resp.round());
    if (!round.ok()) return round.status();
    out.round = *round;
    auto key = ParseFixed<32>(resp.metronome_key(), "metronome_key");
    if (!key.ok()) return key.status();
    out.metronome_key = *key;
    out.block_time_ms = resp.block_time_ms();
    out.blocks_by_validators = resp.blocks_by_validators();
    out.blocks_by_metronome = resp.blocks_by_metronome();
    for (const auto& v : resp.validators()) {
      core::ValidatorInfo info;
      auto vk = ParseFixed<32>(v.key(), "validator key");
      auto fp = ParseFixed<16>(v.fingerprint(), "fingerprint");
      if (!vk.ok()) return vk.status();
      if (!fp.ok()) return fp.status();
      info.key = *vk;
      info.fingerprint = *fp;
      info.kind = v.kind();
      info.stats = FromProto(v.stats());
      info.last_seen_ms = v.last_seen_ms();
      info.blocks_won = v.blocks_won();
      out.validators.push_back(std::move(info));
    }
    return out;
  }

 private:
  // Keeps one StreamRounds call open, reconnecting with backoff, until destruction.
  void ReadRounds() {
    absl::Duration backoff = absl::Milliseconds(100);
    while (true) {
      grpc::ClientContext ctx;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        stream_ctx_ = &ctx;
      }
      dsc::v1::StreamRoundsRequest req;
      auto reader = stub_->StreamRounds(&ctx, req);
      dsc::v1::Round msg;
      while (reader->Read(&msg)) {
        auto round = FromProto(msg);
        if (!round.ok()) continue;
        backoff = absl::Milliseconds(100);
        absl::MutexLock lock(&mu_);
        // A restarted metronome starts its seq again: accept any change.
        if (!have_round_ || !(*round == round_)) {
          round_ = *round;
          if (round_.seq <= last_seq_) round_.seq = last_seq_ + 1;
          last_seq_ = round_.seq;
          have_round_ = true;
        }
      }
      grpc::Status status = reader->Finish();
      absl::MutexLock lock(&mu_);
      stream_ctx_ = nullptr;
      if (stopping_) return;
      last_error_ = status.error_message();
      have_round_ = false;
      auto stop = [this] { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), backoff);
      backoff = std::min(backoff * 2, absl::Seconds(2));
    }
  }

  ClientOptions options_;
  std::unique_ptr<dsc::v1::Metronome::Stub> stub_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* stream_ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool have_round_ ABSL_GUARDED_BY(mu_) = false;
  core::Round round_ ABSL_GUARDED_BY(mu_);
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_) = "not connected yet";
  std::thread reader_ ABSL_GUARDED_BY(mu_);  // started by the first WaitForRound
};

class RemoteValidator : public core::ValidatorApi {
 public:
  explicit RemoteValidator(const ClientOptions& options)
      : options_(options), stub_(dsc::v1::Validator::NewStub(MakeChannel(options.address))) {}

  absl::StatusOr<core::ValidatorStatus> GetStatus() override {
    dsc::v1::GetValidatorStatusRequest req;
    dsc::v1::ValidatorStatus resp;
    Call call(options_);
    if (auto s = call.Finish(stub_->GetStatus(&call.ctx, req, &resp)); !s.ok()) return s;
    core::ValidatorStatus out;
    auto key = ParseFixed<32>(resp.key(), "validator key");
    auto fp = ParseFixed<16>(resp.fingerprint(), "fingerprint");
    if (!key.ok()) return key.status();
    if (!fp.ok()) return fp.status();
    out.key = *key;
    out.fingerprint = *fp;
    out.proof = FromProto(resp.proof());
    out.rounds_seen = resp.rounds_seen();
    out.blocks_submitted = resp.blocks_submitted();
    out.blocks_won = resp.blocks_won();
    out.last_error = resp.last_error();
    return out;
  }

 private:
  ClientOptions options_;
  std::unique_ptr<dsc::v1::Validator::Stub> stub_;
};

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<core::PoolApi> NewRemotePool(const ClientOptions& options) {
  return std::make_unique<RemotePool>(options);
}
std::unique_ptr<core::ChainApi> NewRemoteChain(const ClientOptions& options) {
  return std::make_unique<RemoteChain>(options);
}
std::unique_ptr<core::MetronomeApi> NewRemoteMetronome(const ClientOptions& options) {
  return std::make_unique<RemoteMetronome>(options);
}
std::unique_ptr<core::ValidatorApi> NewRemoteValidator(const ClientOptions& options) {
  return std::make_unique<RemoteValidator>(options);
}

}  // namespace dsc::rpc
