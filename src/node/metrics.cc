#include "node/metrics.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/node.h"
#include "util/strings.h"

namespace dsc::node {
namespace {

// Appends one metric with its HELP and TYPE lines.
// Integers are printed exactly; fractional values with fixed decimals (absl::StrCat of a
// double would keep only six significant digits).
void Metric(std::string* out, const char* name, const char* type, const char* help,
            const std::string& value) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ",
                  value, "\n");
}
void Metric(std::string* out, const char* name, const char* type, const char* help,
            uint64_t value) {
  Metric(out, name, type, help, absl::StrCat(value));
}

}  // namespace

std::string RenderMetrics(NodeContext& ctx) {
  std::string out;
  if (ctx.chain) {
    if (auto tip = ctx.chain->GetTip(); tip.ok()) {
      Metric(&out, "dsc_chain_height", "gauge", "Height of the chain's tip.",
             tip->header.height);
      Metric(&out, "dsc_chain_transactions_total", "counter", "Confirmed transactions.",
             tip->tx_total);
      Metric(&out, "dsc_chain_accounts", "gauge", "Addresses in the balance cache.",
             tip->accounts);
      Metric(&out, "dsc_chain_tip_latency_seconds", "gauge",
             "Tip block: average of block time minus transaction time.",
             absl::StrFormat("%.3f", tip->latency_ms / 1000.0));
      Metric(&out, "dsc_chain_supply_units", "gauge",
             "Coins in circulation, in base units (1 coin = 1,000,000).",
             tip->supply);
      Metric(&out, "dsc_chain_tip_difficulty", "gauge", "Difficulty of the tip block.",
             tip->header.difficulty);
      Metric(&out, "dsc_chain_tip_transactions", "gauge", "Transactions in the tip block.",
             tip->header.tx_count);
      Metric(&out, "dsc_chain_tip_timestamp_seconds", "gauge", "Timestamp of the tip block.",
             absl::StrFormat("%.3f", tip->header.timestamp_ms / 1000.0));
    }
  }
  if (ctx.pool) {
    if (auto s = ctx.pool->GetStats(); s.ok()) {
      Metric(&out, "dsc_pool_submitted", "gauge", "Pending transactions not handed out.",
             s->submitted);
      Metric(&out, "dsc_pool_unconfirmed", "gauge", "Transactions handed out to a block builder.",
             s->unconfirmed);
      Metric(&out, "dsc_pool_accepted_total", "counter", "Transactions accepted.",
             s->accepted_total);
      Metric(&out, "dsc_pool_rejected_total", "counter", "Transactions refused.",
             s->rejected_total);
      Metric(&out, "dsc_pool_confirmed_total", "counter", "Pool transactions confirmed.",
             s->confirmed_total);
      Metric(&out, "dsc_pool_synced_height", "gauge", "Chain height the pool has caught up with.",
             s->synced_height);
    }
  }
  if (ctx.metronome) {
    if (auto s = ctx.metronome->GetStatus(); s.ok()) {
      Metric(&out, "dsc_metronome_round_height", "gauge", "Height of the current round.",
             s->round.height);
      Metric(&out, "dsc_metronome_round_difficulty", "gauge", "Difficulty of the current round.",
             s->round.difficulty);
      Metric(&out, "dsc_metronome_validators", "gauge", "Live registered validators.",
             s->validators.size());
      double rate = 0;
      for (const auto& v : s->validators) rate += v.stats.hashes_per_second;
      Metric(&out, "dsc_metronome_validator_hash_rate", "gauge",
             "Sum of the hash rates the validators report.", absl::StrFormat("%.1f", rate));
      absl::StrAppend(&out,
                      "# HELP dsc_metronome_blocks_total Blocks appended, by producer.\n"
                      "# TYPE dsc_metronome_blocks_total counter\n",
                      "dsc_metronome_blocks_total{producer=\"validator\"} ",
                      s->blocks_by_validators, "\n",
                      "dsc_metronome_blocks_total{producer=\"metronome\"} ",
                      s->blocks_by_metronome, "\n");
    }
  }
  if (ctx.validator) {
    if (auto s = ctx.validator->GetStatus(); s.ok()) {
      Metric(&out, "dsc_validator_hashes_per_second", "gauge", "Proof engine rate.",
             absl::StrFormat("%.1f", s->proof.hashes_per_second));
      Metric(&out, "dsc_validator_hashes_total", "counter", "Hashes computed.",
             s->proof.hashes_total);
      Metric(&out, "dsc_validator_records", "gauge", "Records stored (PoM/PoS).",
             s->proof.records_stored);
      Metric(&out, "dsc_validator_rounds_total", "counter", "Rounds played.",
             s->rounds_seen);
      Metric(&out, "dsc_validator_blocks_won_total", "counter", "Blocks won.",
             s->blocks_won);
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                                    NodeContext* ctx) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(util::AV(std::string_view(listen).substr(colon + 1)), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen: '", listen, "' is not HOST:PORT"));
  }
  const std::string host = listen.substr(0, colon);
  std::unique_ptr<MetricsServer> m(new MetricsServer());
  m->server_ = std::make_unique<httplib::Server>();
  m->server_->Get("/metrics", [ctx](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderMetrics(*ctx), "text/plain; version=0.0.4");
  });
  m->port_ = port == 0 ? m->server_->bind_to_any_port(host)
                       : (m->server_->bind_to_port(host, port) ? port : -1);
  if (m->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("--metrics-listen: cannot listen on ", listen, " (address in use?)"));
  }
  httplib::Server* server = m->server_.get();
  m->thread_ = std::thread([server] { server->listen_after_bind(); });
  return m;
}

MetricsServer::~MetricsServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace dsc::node
