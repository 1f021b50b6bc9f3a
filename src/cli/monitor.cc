// `dsc monitor`: one screen per sample of the chain, the pool and the metronome. A role
// that cannot be reached shows as unavailable; the other sections are still shown.
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/output.h"
#include "cli/session.h"
#include "util/amount.h"
#include "util/time.h"

namespace dsc::cli {
namespace {

constexpr absl::Duration kDefaultInterval = absl::Seconds(2);

// What throughput is measured against: the previous screen's total and time.
struct Sample {
  uint64_t tx_total = 0;
  int64_t time_ms = 0;
};

std::string Unavailable(const char* section, const absl::Status& status) {
  return absl::StrCat(section, ": unavailable (", status.message(), ")");
}

// Prints one screen. Returns how many of the three sections could be shown; updates
// `*previous` with this screen's sample when the chain answered.
int ShowScreen(Session& session, bool watching, std::optional<Sample>* previous) {
  Printer& p = session.printer();
  int shown = 0;
  p.Line("DSC Monitor");

  // Blockchain.
  std::optional<Sample> sample;
  absl::StatusOr<core::ChainApi*> chain = session.Chain();
  absl::StatusOr<core::ChainTip> tip =
      chain.ok() ? (*chain)->GetTip() : absl::StatusOr<core::ChainTip>(chain.status());
  if (tip.ok()) {
    ++shown;
    const core::BlockHeader& h = tip->header;
    p.Line(absl::StrCat("Last block: height ", h.height, ", hash ", B58(tip->hash), ", time ",
                        util::FormatMillis(h.timestamp_ms), ", ", h.tx_count, " txs"));
    p.Line(absl::StrCat("Difficulty: ", h.difficulty));
    p.Line(absl::StrCat("Coins in circulation: ", util::FormatAmount(tip->supply), " coins"));
    p.Line(absl::StrCat("Confirmed transactions: ", tip->tx_total));
    p.Line(absl::StrCat("Addresses: ", tip->accounts));
    p.Line(absl::StrFormat("Confirmation latency (last block): %.2f s", tip->latency_ms / 1000.0));
    sample = Sample{tip->tx_total, session.NowMillis()};
  } else {
    p.Line(Unavailable("Blockchain", tip.status()));
  }

  // Pool.
  absl::StatusOr<core::PoolApi*> pool = session.Pool();
  absl::StatusOr<core::PoolStats> stats =
      pool.ok() ? (*pool)->GetStats() : absl::StatusOr<core::PoolStats>(pool.status());
  if (stats.ok()) {
    ++shown;
    p.Line(absl::StrCat("Pool: ", stats->submitted, " submitted, ", stats->unconfirmed,
                        " unconfirmed (accepted ", stats->accepted_total, ", rejected ",
                        stats->rejected_total, ", confirmed ", stats->confirmed_total, ")"));
  } else {
    p.Line(Unavailable("Pool", stats.status()));
  }

  // Metronome and validators.
  absl::StatusOr<core::MetronomeApi*> metronome = session.Metronome();
  absl::StatusOr<core::MetronomeStatus> status =
      metronome.ok() ? (*metronome)->GetStatus()
                     : absl::StatusOr<core::MetronomeStatus>(metronome.status());
  if (status.ok()) {
    ++shown;
    double total_rate = 0;
    uint64_t total_records = 0;
    for (const core::ValidatorInfo& v : status->validators) {
      total_rate += v.stats.hashes_per_second;
      total_records += v.stats.records_stored;
    }
    p.Line(absl::StrCat("Round: height ", status->round.height, ", difficulty ",
                        status->round.difficulty, ", block time ",
                        absl::FormatDuration(absl::Milliseconds(status->block_time_ms)),
                        status->round.open ? ", open" : ", closed"));
    p.Line(absl::StrCat("Validators: ", status->validators.size(), ", total hash rate ",
                        FormatHashRate(total_rate),
                        total_records > 0 ? absl::StrCat(", records stored ", total_records)
                                          : std::string()));
    for (size_t i = 0; i < status->validators.size(); ++i) {
      const core::ValidatorInfo& v = status->validators[i];
      p.Line(absl::StrCat("  Validator #", i + 1, ": key=", B58(v.key),
                          ", kind=", v.kind.empty() ? v.stats.kind : v.kind,
                          ", hash rate=", FormatHashRate(v.stats.hashes_per_second),
                          v.stats.records_stored > 0
                              ? absl::StrCat(", records=", v.stats.records_stored)
                              : std::string(),
                          ", blocks won=", v.blocks_won,
                          ", last seen=", util::FormatMillis(v.last_seen_ms)));
    }
    p.Line(absl::StrCat("Blocks: ", status->blocks_by_validators, " by validators, ",
                        status->blocks_by_metronome, " by metronome"));
    p.Line(absl::StrCat("Metronome key: ", B58(status->metronome_key),
                        " (for dsc wallet verify --metronome-key)"));
  } else {
    p.Line(Unavailable("Metronome", status.status()));
  }

  // Throughput between two screens.
  if (!watching) {
    p.Line("Throughput: n/a (measured between screens: use --watch)");
  } else if (sample.has_value() && previous->has_value() &&
             sample->time_ms > (*previous)->time_ms) {
    const uint64_t txs = sample->tx_total >= (*previous)->tx_total
                             ? sample->tx_total - (*previous)->tx_total
                             : 0;
    const int64_t elapsed_ms = sample->time_ms - (*previous)->time_ms;
    p.Line(absl::StrFormat("Throughput: %.2f tx/s (%d txs over the last %s)",
                           static_cast<double>(txs) * 1000.0 / static_cast<double>(elapsed_ms),
                           txs, absl::FormatDuration(absl::Milliseconds(elapsed_ms))));
  } else if (sample.has_value()) {
    p.Line("Throughput: measuring (shown from the next screen)");
  } else {
    p.Line("Throughput: unavailable (no chain)");
  }
  if (sample.has_value()) *previous = sample;
  return shown;
}

}  // namespace

absl::Status RunMonitor(Session& session) {
  const ParsedArgs& args = session.args();
  absl::StatusOr<absl::Duration> interval = DurationFlag(args, "interval", kDefaultInterval);
  if (!interval.ok()) return interval.status();
  absl::StatusOr<std::optional<uint64_t>> count =
      IntFlag(args, "count", 1, std::numeric_limits<uint32_t>::max());
  if (!count.ok()) return count.status();
  // --count bounds a watch; given alone it asks for that many screens.
  const bool watching = args.Bool("watch") || count->has_value();
  const uint64_t screens =
      watching ? count->value_or(std::numeric_limits<uint64_t>::max()) : 1;

  std::optional<Sample> previous;
  int shown = 0;
  for (uint64_t i = 0; i < screens; ++i) {
    if (i > 0) session.Sleep(*interval);
    shown = ShowScreen(session, watching, &previous);
  }
  if (shown == 0) {
    return absl::UnavailableError("no node answered: chain, pool and metronome are unavailable");
  }
  return absl::OkStatus();
}

}  // namespace dsc::cli
