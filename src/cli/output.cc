#include "cli/output.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/encoding.h"
#include "crypto/crypto.h"
#include "util/amount.h"
#include "util/time.h"

namespace dsc::cli {

Printer::Printer(std::ostream& out, std::ostream& err, std::function<int64_t()> now_ms)
    : out_(out), err_(err), now_ms_(std::move(now_ms)) {}

void Printer::Line(absl::string_view text) {
  out_ << util::FormatMillis(now_ms_()) << ' ' << text << '\n';
  out_.flush();
}

void Printer::Error(absl::string_view text) {
  err_ << util::FormatMillis(now_ms_()) << " Error: " << text << '\n';
  err_.flush();
}

void Printer::ErrLine(absl::string_view text) {
  err_ << util::FormatMillis(now_ms_()) << ' ' << text << '\n';
  err_.flush();
}

std::string B58(const std::array<uint8_t, 32>& bytes) { return crypto::ToBase58(bytes); }

std::string FormatHashRate(double hashes_per_second) {
  static constexpr const char* kUnits[] = {"H/s", "KH/s", "MH/s", "GH/s", "TH/s"};
  double value = hashes_per_second < 0 ? 0 : hashes_per_second;
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  return absl::StrFormat(unit == 0 ? "%.0f %s" : "%.2f %s", value, kUnits[unit]);
}

std::string FormatTxLine(size_t number, const core::TxRecord& record) {
  const core::Transaction& tx = record.tx;
  return absl::StrCat("Transaction #", number, ": id=", B58(core::ComputeTxId(tx)),
                      ", status=confirmed, timestamp=\"", util::FormatMillis(tx.timestamp_ms),
                      "\", coin=", util::FormatAmount(tx.amount),
                      ", fee=", util::FormatAmount(tx.fee), ", source=", B58(tx.sender),
                      ", destination=", B58(tx.recipient), ", block=", record.height);
}

}  // namespace dsc::cli
