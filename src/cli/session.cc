#include "cli/session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/wallet_file.h"
#include "util/time.h"

namespace dsc::cli {
namespace {

constexpr char kUsagePayload[] = "dsc.cli/usage";

// Creates the client of one role on first use.
template <typename Api>
absl::StatusOr<Api*> Lazy(
    std::unique_ptr<Api>* slot,
    const std::function<std::unique_ptr<Api>(const std::string&)>& factory,
    absl::StatusOr<Endpoints> endpoints, std::string Endpoints::*field, const char* role) {
  if (*slot != nullptr) return slot->get();
  if (!endpoints.ok()) return endpoints.status();
  if (!factory) return absl::InternalError(absl::StrCat("no client factory for the ", role));
  *slot = factory((*endpoints).*field);
  if (*slot == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a ", role, " client for ", (*endpoints).*field));
  }
  return slot->get();
}

}  // namespace

absl::Status UsageError(const std::string& message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::StatusOr<std::optional<uint64_t>> IntFlag(const ParsedArgs& args, std::string_view name,
                                                uint64_t min, uint64_t max) {
  std::optional<std::string> text = args.Get(name);
  if (!text.has_value()) return std::optional<uint64_t>();
  uint64_t value = 0;
  const bool digits_only =
      !text->empty() && std::all_of(text->begin(), text->end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only || !absl::SimpleAtoi(*text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "flag --", std::string(name), "='", *text, "' must be an integer from ", min, " to ", max));
  }
  return std::optional<uint64_t>(value);
}

absl::StatusOr<absl::Duration> DurationFlag(const ParsedArgs& args, std::string_view name,
                                            absl::Duration fallback) {
  std::optional<std::string> text = args.Get(name);
  if (!text.has_value()) return fallback;
  absl::StatusOr<absl::Duration> d = util::ParsePositiveDuration(*text);
  if (!d.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("flag --", std::string(name), ": ", d.status().message()));
  }
  return *d;
}

Session::Session(ParsedArgs args, const CliDeps& deps, Printer* printer)
    : args_(std::move(args)),
      deps_(deps),
      printer_(printer),
      wallet_dir_(ResolveWalletDir(args_, deps.env_wallet_dir)) {}

int64_t Session::NowMillis() const {
  return deps_.now_ms ? deps_.now_ms() : util::NowMillis();
}

void Session::Sleep(absl::Duration d) const {
  if (deps_.sleep) {
    deps_.sleep(d);
  } else {
    absl::SleepFor(d);
  }
}

std::string Session::KeyPath() const { return JoinPath(wallet_dir_, kKeyFileName); }

absl::StatusOr<crypto::KeyPair> Session::LoadKey() const { return LoadWallet(KeyPath()); }

absl::StatusOr<Endpoints> Session::GetEndpoints() {
  if (endpoints_.has_value()) return *endpoints_;
  ClientConfig config;
  if (std::optional<std::string> path = ResolveConfigPath(args_, wallet_dir_); path) {
    absl::StatusOr<ClientConfig> loaded = LoadClientConfig(*path);
    if (!loaded.ok()) return loaded.status();
    config = *loaded;
  }
  absl::StatusOr<Endpoints> endpoints = ResolveEndpoints(args_, config);
  if (!endpoints.ok()) return endpoints.status();
  endpoints_ = *endpoints;
  return *endpoints_;
}

absl::StatusOr<core::PoolApi*> Session::Pool() {
  if (pool_ != nullptr) return pool_.get();
  return Lazy(&pool_, deps_.new_pool, GetEndpoints(), &Endpoints::pool, "pool");
}

absl::StatusOr<core::ChainApi*> Session::Chain() {
  if (chain_ != nullptr) return chain_.get();
  return Lazy(&chain_, deps_.new_chain, GetEndpoints(), &Endpoints::chain, "chain");
}

absl::StatusOr<core::MetronomeApi*> Session::Metronome() {
  if (metronome_ != nullptr) return metronome_.get();
  return Lazy(&metronome_, deps_.new_metronome, GetEndpoints(), &Endpoints::metronome,
              "metronome");
}

absl::StatusOr<core::ValidatorApi*> Session::Validator() {
  if (validator_ != nullptr) return validator_.get();
  return Lazy(&validator_, deps_.new_validator, GetEndpoints(), &Endpoints::validator,
              "validator");
}

}  // namespace dsc::cli
