// How dsc prints: every line starts with the DSC timestamp "YYYYMMDD HH:MM:SS.mmm ";
// results go to stdout, errors ("<ts> Error: ...") to stderr. Plus the text formats of
// the values dsc shows. (Debian's Abseil has its own absl::string_view, distinct from
// std::string_view: Printer takes absl::string_view so Status messages print directly.) Printer is thread-compatible; the formatters are pure.
#ifndef DSC_CLI_OUTPUT_H_
#define DSC_CLI_OUTPUT_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "core/api.h"
#include "core/types.h"

namespace dsc::cli {

class Printer {
 public:
  // `now_ms` gives the time stamped on each line (milliseconds since the epoch).
  Printer(std::ostream& out, std::ostream& err, std::function<int64_t()> now_ms);

  // "<ts> text\n" on stdout.
  void Line(absl::string_view text);
  // "<ts> Error: text\n" on stderr.
  void Error(absl::string_view text);
  // "<ts> text\n" on stderr (e.g. the usage line after a usage error).
  void ErrLine(absl::string_view text);

 private:
  std::ostream& out_;
  std::ostream& err_;
  std::function<int64_t()> now_ms_;
};

// Base58 of a 32-byte key, hash or id.
std::string B58(const std::array<uint8_t, 32>& bytes);

// "1.23 MH/s" style, in H/s, KH/s, MH/s, GH/s (factors of 1000).
std::string FormatHashRate(double hashes_per_second);

// The report's transaction line (without "<ts> "):
// Transaction #N: id=..., status=confirmed, timestamp="...", coin=1.5, fee=0,
// source=..., destination=..., block=H
std::string FormatTxLine(size_t number, const core::TxRecord& record);

}  // namespace dsc::cli

#endif  // DSC_CLI_OUTPUT_H_
