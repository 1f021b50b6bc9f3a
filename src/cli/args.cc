#include "cli/args.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dsc::cli {
namespace {

template <size_t N>
bool Contains(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(std::string_view name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

bool ParsedArgs::Bool(std::string_view name) const {
  auto it = flags.find(name);
  return it != flags.end() && it->second != "false";
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h") {
      parsed.flags["help"] = "true";
      continue;
    }
    if (arg[1] != '-') {
      // A lone "-x": amounts are never negative, so this is a mistyped flag.
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option '", arg, "' (flags are written --name=value)"));
    }
    std::string_view body = std::string_view(arg).substr(2);
    std::string name(body.substr(0, body.find('=')));
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      value = std::string(body.substr(eq + 1));
    }
    if (Contains(kValueFlags, name)) {
      if (!value.has_value()) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
        }
        value = args[++i];
      }
      parsed.flags[name] = *value;
    } else if (Contains(kBoolFlags, name)) {
      if (value.has_value() && *value != "true" && *value != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " takes no value (got '", *value, "')"));
      }
      parsed.flags[name] = value.value_or("true");
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  return parsed;
}

absl::Status CheckFlags(const ParsedArgs& parsed, const std::vector<std::string_view>& allowed,
                        std::string_view command) {
  for (const auto& [name, value] : parsed.flags) {
    if (Contains(kGlobalFlags, name)) continue;
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", name, " does not apply to `dsc ", std::string(command), "`"));
  }
  return absl::OkStatus();
}

}  // namespace dsc::cli
