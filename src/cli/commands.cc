#include "cli/commands.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/config.h"
#include "cli/output.h"
#include "cli/session.h"
#include "cli/wallet_file.h"
#include "core/block.h"
#include "core/encoding.h"
#include "core/trie.h"
#include "crypto/crypto.h"
#include "util/amount.h"
#include "util/time.h"

#ifndef DSC_VERSION_STRING
#define DSC_VERSION_STRING "0.1.0"
#endif

namespace dsc::cli {

const char kVersion[] = DSC_VERSION_STRING;

namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(200);
constexpr absl::Duration kDefaultSendTimeout = absl::Seconds(120);
constexpr uint32_t kDefaultTxLimit = 100;
constexpr uint32_t kMaxTxLimit = 10'000;

using Operands = std::vector<std::string>;
using Handler = absl::Status (*)(Session&, const Operands&);

struct Command {
  std::string group;     // "wallet", "chain", "validator", or "" for a top-level command
  std::string name;      // "send"
  std::string operands;  // "<amount> <address> [--fee=AMOUNT] ..." (usage text)
  std::string summary;
  size_t min_operands = 0;
  size_t max_operands = 0;
  std::vector<std::string_view> flags;  // command flags beyond the global ones
  Handler run = nullptr;

  std::string Path() const { return group.empty() ? name : absl::StrCat(group, " ", name); }
  std::string Usage() const {
    return absl::StrCat("dsc ", Path(), operands.empty() ? "" : " ", operands);
  }
};

const std::vector<Command>& Commands();

// ------------------------------------------------------------------ helpers

std::string ProducerKind(const core::BlockHeader& header) {
  if (header.height == 0) return "genesis";
  return header.fingerprint == core::Fingerprint{} ? "metronome" : "validator";
}

// The address in `operands[index]` if given, else the wallet's own address.
absl::StatusOr<core::Address> AddressOperand(Session& session, const Operands& operands,
                                             size_t index) {
  if (index < operands.size()) return crypto::Decode32(operands[index], "address");
  absl::StatusOr<crypto::KeyPair> key = session.LoadKey();
  if (!key.ok()) return key.status();
  return key->public_key;
}

std::string StatusLine(const std::string& id, const core::TxStatusInfo& info) {
  std::string line = absl::StrCat("Transaction ", id, " status ", core::TxStatusName(info.status));
  if (info.status == core::TxStatus::kConfirmed) absl::StrAppend(&line, ", block ", info.height);
  return line;
}

// Asks the chain whether `id` is confirmed (for ids the pool does not know). Returns
// nullopt if it is not, or if the chain cannot tell.
std::optional<core::TxStatusInfo> ConfirmedOnChain(Session& session, const core::TxId& id) {
  absl::StatusOr<core::ChainApi*> chain = session.Chain();
  if (!chain.ok()) return std::nullopt;
  absl::StatusOr<core::TxRecord> record = (*chain)->GetTransaction(id);
  if (!record.ok()) return std::nullopt;
  return core::TxStatusInfo{core::TxStatus::kConfirmed, record->height};
}

bool IsTransient(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

// ------------------------------------------------------------------ help

absl::Status PrintHelp(Session& session, const std::string& group) {
  Printer& p = session.printer();
  if (group.empty()) {
    p.Line("Usage: dsc [flags] <command> [arguments]   (flags may appear anywhere)");
  } else {
    p.Line(absl::StrCat("Usage: dsc [flags] ", group, " <command> [arguments]"));
  }
  p.Line("Commands:");
  // Summaries line up in one column; a longer usage puts its summary on the next line.
  constexpr size_t kColumn = 34;
  for (const Command& c : Commands()) {
    if (!group.empty() && c.group != group) continue;
    std::string usage = c.Usage();
    if (usage.size() > kColumn) {
      p.Line(absl::StrCat("  ", usage));
      usage.clear();
    }
    usage.resize(kColumn, ' ');
    p.Line(absl::StrCat("  ", usage, "  ", c.summary));
  }
  p.Line("Flags (every command):");
  p.Line("  --node=HOST:PORT        the node serving every role (default 127.0.0.1:50051)");
  p.Line("  --pool=, --chain=, --metronome=, --validator=HOST:PORT   one role's node");
  p.Line("  --wallet-dir=DIR        where dsc-key.yaml lives (default $DSC_WALLET_DIR or .)");
  p.Line("  --config=FILE           dsc-config.yaml with <role>.server addresses");
  p.Line("                          (default: dsc-config.yaml in the wallet dir, if present)");
  p.Line("Addresses: role flag > --node > config file > 127.0.0.1:50051");
  return absl::OkStatus();
}

absl::Status CmdHelp(Session& session, const Operands& operands) {
  if (operands.empty()) return PrintHelp(session, "");
  const std::string& group = operands[0];
  if (group == "wallet" || group == "chain" || group == "validator") {
    return PrintHelp(session, group);
  }
  return UsageError(absl::StrCat("no help on '", group, "': try wallet, chain or validator"));
}

absl::Status CmdVersion(Session& session, const Operands&) {
  return absl::OkStatus();  // the version line is printed for every command
}

// ------------------------------------------------------------------ wallet

absl::Status CmdWalletCreate(Session& session, const Operands&) {
  const crypto::KeyPair key = crypto::KeyPair::Generate();
  const std::string path = session.KeyPath();
  if (absl::Status status = SaveNewWallet(path, key); !status.ok()) return status;
  Printer& p = session.printer();
  p.Line(absl::StrCat("DSC Public Address: ", B58(key.public_key)));
  p.Line(absl::StrCat("DSC Private Address: ", B58(key.seed())));
  p.Line(absl::StrCat("DSC Saved public key and private key to ", path, " (mode 0600)"));
  return absl::OkStatus();
}

absl::Status CmdWalletKey(Session& session, const Operands&) {
  absl::StatusOr<crypto::KeyPair> key = session.LoadKey();
  if (!key.ok()) return key.status();
  session.printer().Line(absl::StrCat("DSC Public Address: ", B58(key->public_key)));
  session.printer().Line(absl::StrCat("DSC Private Address: ", B58(key->seed())));
  return absl::OkStatus();
}

absl::Status CmdWalletBalance(Session& session, const Operands& operands) {
  absl::StatusOr<core::Address> address = AddressOperand(session, operands, 0);
  if (!address.ok()) return address.status();
  absl::StatusOr<core::ChainApi*> chain = session.Chain();
  if (!chain.ok()) return chain.status();
  absl::StatusOr<core::AccountInfo> info = (*chain)->GetAccount(*address);
  if (!info.ok()) return info.status();
  session.printer().Line(absl::StrCat("DSC Wallet balance: ",
                                      util::FormatAmount(info->account.balance),
                                      " coins at block ", info->height));
  return absl::OkStatus();
}

// Polls the pool until `id` is confirmed or `timeout` passes, printing each change.
absl::Status WaitForConfirmation(Session& session, core::PoolApi* pool, const core::TxId& id,
                                 absl::Duration timeout) {
  const std::string id_text = B58(id);
  const int64_t deadline_ms = session.NowMillis() + absl::ToInt64Milliseconds(timeout);
  core::TxStatus last = core::TxStatus::kSubmitted;
  absl::Status last_error;
  while (session.NowMillis() < deadline_ms) {
    session.Sleep(kPollInterval);
    absl::StatusOr<std::vector<core::TxStatusInfo>> statuses =
        pool->GetStatus(absl::MakeConstSpan(&id, 1));
    if (!statuses.ok()) {
      if (!IsTransient(statuses.status())) return statuses.status();
      last_error = statuses.status();  // the node may come back before the deadline
      continue;
    }
    if (statuses->size() != 1) {
      return absl::InternalError(absl::StrCat("the pool answered ", statuses->size(),
                                              " statuses for one transaction"));
    }
    last_error = absl::OkStatus();
    core::TxStatusInfo info = (*statuses)[0];
    if (info.status == core::TxStatus::kUnknown) {
      std::optional<core::TxStatusInfo> confirmed = ConfirmedOnChain(session, id);
      if (!confirmed.has_value()) {
        session.printer().Line(StatusLine(id_text, info));
        return absl::NotFoundError(absl::StrCat(
            "transaction ", id_text, " is no longer known to the pool (it was dropped)"));
      }
      info = *confirmed;
    }
    if (info.status == last) continue;
    session.printer().Line(StatusLine(id_text, info));
    last = info.status;
    if (info.status == core::TxStatus::kConfirmed) return absl::OkStatus();
  }
  std::string message =
      absl::StrCat("transaction ", id_text, " not confirmed within ", absl::FormatDuration(timeout),
                   " (last status: ", core::TxStatusName(last), ")");
  if (!last_error.ok()) absl::StrAppend(&message, "; last error: ", last_error.message());
  return absl::DeadlineExceededError(message);
}

absl::Status CmdWalletSend(Session& session, const Operands& operands) {
  // Check every input before touching the wallet or the network.
  absl::StatusOr<uint64_t> amount = util::ParseAmount(operands[0]);
  if (!amount.ok()) return amount.status();
  if (*amount == 0) return absl::InvalidArgumentError("amount must be greater than 0");
  absl::StatusOr<core::Address> recipient = crypto::Decode32(operands[1], "recipient address");
  if (!recipient.ok()) return recipient.status();
  uint64_t fee = 0;
  if (std::optional<std::string> fee_text = session.args().Get("fee"); fee_text) {
    absl::StatusOr<uint64_t> parsed = util::ParseAmount(*fee_text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("flag --fee: ", parsed.status().message()));
    }
    fee = *parsed;
  }
  if (fee > std::numeric_limits<uint64_t>::max() - *amount) {
    return absl::InvalidArgumentError("amount plus fee is too large");
  }
  const bool wait = !session.args().Bool("no-wait");
  absl::StatusOr<absl::Duration> timeout = DurationFlag(session.args(), "timeout", kDefaultSendTimeout);
  if (!timeout.ok()) return timeout.status();

  absl::StatusOr<crypto::KeyPair> key = session.LoadKey();
  if (!key.ok()) return key.status();

  absl::StatusOr<core::ChainApi*> chain = session.Chain();
  if (!chain.ok()) return chain.status();
  absl::StatusOr<core::AccountInfo> account = (*chain)->GetAccount(key->public_key);
  if (!account.ok()) return account.status();
  const uint64_t need = *amount + fee;
  if (account->account.balance < need) {
    return absl::FailedPreconditionError(absl::StrCat(
        "insufficient balance: have ", util::FormatAmount(account->account.balance),
        " coins, need ", util::FormatAmount(need), " coins (amount ",
        util::FormatAmount(*amount), " + fee ", util::FormatAmount(fee), ") at block ",
        account->height));
  }

  absl::StatusOr<core::PoolApi*> pool = session.Pool();
  if (!pool.ok()) return pool.status();
  absl::StatusOr<uint64_t> nonce = (*pool)->NextNonce(key->public_key);
  if (!nonce.ok()) return nonce.status();

  const core::Transaction tx =
      core::MakeTransaction(*key, *recipient, *amount, fee, *nonce, session.NowMillis());
  const core::TxId id = core::ComputeTxId(tx);
  std::vector<absl::Status> verdicts = (*pool)->Submit(absl::MakeConstSpan(&tx, 1));
  if (verdicts.size() != 1) {
    return absl::InternalError(
        absl::StrCat("the pool answered ", verdicts.size(), " verdicts for one transaction"));
  }
  if (!verdicts[0].ok()) {
    if (IsTransient(verdicts[0])) return verdicts[0];
    return absl::Status(verdicts[0].code(), absl::StrCat("the pool refused transaction ",
                                                         B58(id), ": ", verdicts[0].message()));
  }
  session.printer().Line(absl::StrCat("Transaction ", B58(id), " status submitted"));
  if (!wait) return absl::OkStatus();
  return WaitForConfirmation(session, *pool, id, *timeout);
}

absl::Status CmdWalletTransaction(Session& session, const Operands& operands) {
  absl::StatusOr<core::TxId> id = crypto::Decode32(operands[0], "transaction id");
  if (!id.ok()) return id.status();
  const std::string id_text = B58(*id);
  absl::StatusOr<core::PoolApi*> pool = session.Pool();
  if (!pool.ok()) return pool.status();
  absl::StatusOr<std::vector<core::TxStatusInfo>> statuses =
      (*pool)->GetStatus(absl::MakeConstSpan(&*id, 1));
  if (statuses.ok() && statuses->size() != 1) {
    return absl::InternalError(absl::StrCat("the pool answered ", statuses->size(),
                                            " statuses for one transaction"));
  }
  if (statuses.ok() && (*statuses)[0].status != core::TxStatus::kUnknown) {
    session.printer().Line(StatusLine(id_text, (*statuses)[0]));
    return absl::OkStatus();
  }
  // The pool does not know it (or cannot be reached): the chain knows confirmed ones.
  if (std::optional<core::TxStatusInfo> confirmed = ConfirmedOnChain(session, *id); confirmed) {
    session.printer().Line(StatusLine(id_text, *confirmed));
    return absl::OkStatus();
  }
  if (!statuses.ok()) return statuses.status();
  session.printer().Line(StatusLine(id_text, core::TxStatusInfo{}));
  return absl::NotFoundError(absl::StrCat("unknown transaction ", id_text));
}

absl::Status CmdWalletTransactions(Session& session, const Operands& operands) {
  absl::StatusOr<std::optional<uint64_t>> limit = IntFlag(session.args(), "limit", 1, kMaxTxLimit);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<core::Address> address = AddressOperand(session, operands, 0);
  if (!address.ok()) return address.status();
  absl::StatusOr<core::ChainApi*> chain = session.Chain();
  if (!chain.ok()) return chain.status();
  absl::StatusOr<std::vector<core::TxRecord>> records = (*chain)->GetAddressTransactions(
      *address, static_cast<uint32_t>(limit->value_or(kDefaultTxLimit)));
  if (!records.ok()) return records.status();
  if (records->empty()) {
    session.printer().Line(absl::StrCat("DSC No confirmed transactions for ", B58(*address)));
    return absl::OkStatus();
  }
  for (size_t i = 0; i < records->size(); ++i) {
    session.printer().Line(FormatTxLine(i + 1, (*records)[i]));
  }
  return absl::OkStatus();
}

// Checks a proof of provenance as a light client: the anchor header must be signed by
// its producer (so it is the header the network hashed), the proof must recompute the
// header's provenance_root, and what the chain claims (included, block, index) must be
// what the proof shows; with --metronome-key the header must also carry that metronome's
// countersignature. Prints the verdict, or returns why the proof fails.
absl::Status CmdWalletVerify(Session& session, const Operands& operands) {
  absl::StatusOr<core::TxId> id = crypto::Decode32(operands[0], "transaction id");
  if (!id.ok()) return id.status();
  absl::StatusOr<std::optional<uint64_t>> height =
      IntFlag(session.args(), "height", 1, std::numeric_limits<int64_t>::max());
  if (!height.ok()) return height.status();
  // The metronome countersigns every block: with its key, the anchor is known to be a
  // block the network's metronome accepted, not just one some producer signed.
  std::optional<core::PublicKey> metronome_key;
  if (std::optional<std::string> text = session.args().Get("metronome-key"); text) {
    absl::StatusOr<core::PublicKey> key = crypto::Decode32(*text, "--metronome-key");
    if (!key.ok()) return key.status();
    metronome_key = *key;
  }
  absl::StatusOr<core::ChainApi*> chain = session.Chain();
  if (!chain.ok()) return chain.status();
  absl::StatusOr<core::ProvenanceProof> got = (*chain)->GetProof(*id, *height);
  if (!got.ok()) return got.status();
  const std::string id_text = B58(*id);
  const core::BlockHeader& anchor = got->anchor;
  const core::Hash32 anchor_hash = core::ComputeBlockHash(anchor);
  if (height->has_value() && anchor.height != **height) {
    return absl::DataLossError(absl::StrCat("verification failed: asked for a proof anchored in block ",
                                            **height, " but got one anchored in block ",
                                            anchor.height));
  }
  const std::string_view hash_view(reinterpret_cast<const char*>(anchor_hash.data()),
                                   anchor_hash.size());
  if (anchor.height > 0 && !crypto::Verify(anchor.producer, hash_view, anchor.producer_signature)) {
    return absl::DataLossError(absl::StrCat(
        "verification failed: the anchor header of block ", anchor.height, " (hash ",
        B58(anchor_hash), ") is not signed by its producer ", B58(anchor.producer),
        "; the header was altered"));
  }
  if (metronome_key.has_value() &&
      !crypto::Verify(*metronome_key, hash_view, anchor.metronome_signature)) {
    return absl::DataLossError(absl::StrCat(
        "verification failed: the anchor header of block ", anchor.height, " (hash ",
        B58(anchor_hash), ") is not signed by the metronome ", B58(*metronome_key)));
  }
  absl::StatusOr<core::TrieProofVerdict> verdict =
      core::VerifyTrieProof(anchor.provenance_root, *id, got->proof);
  if (!verdict.ok()) {
    return absl::DataLossError(absl::StrCat("verification failed for transaction ", id_text,
                                            " against block ", anchor.height, ": ",
                                            verdict.status().message()));
  }
  if (verdict->included != got->included) {
    return absl::DataLossError(absl::StrCat(
        "verification failed: the chain says transaction ", id_text,
        got->included ? " is" : " is not", " in the chain but its proof shows the opposite"));
  }
  if (verdict->included) {
    if (verdict->value_hash != core::TxProvenanceValue(got->height, got->index) ||
        got->height >= anchor.height) {
      return absl::DataLossError(absl::StrCat(
          "verification failed: the proof does not commit transaction ", id_text,
          " to block ", got->height, " position ", got->index, " as the chain claims"));
    }
  }
  const std::string tail =
      absl::StrCat(" (proof of ", got->proof.ShippedHashes(), " hashes verified against root ",
                   B58(anchor.provenance_root), ")");
  Printer& p = session.printer();
  if (verdict->included) {
    p.Line(absl::StrCat("Transaction ", id_text, " is in block ", got->height, tail));
  } else {
    // Header H commits to the trie after block H - 1.
    p.Line(absl::StrCat("Transaction ", id_text, " is not in the chain as of block ",
                        anchor.height == 0 ? 0 : anchor.height - 1, tail));
  }
  p.Line(absl::StrCat("Anchor: block ", anchor.height, ", hash ", B58(anchor_hash),
                      metronome_key.has_value()
                          ? absl::StrCat(", signed by metronome ", B58(*metronome_key))
                          : std::string()));
  return absl::OkStatus();
}

// ------------------------------------------------------------------ chain

void PrintHeader(Printer& p, const core::BlockHeader& h, const core::Hash32& hash) {
  p.Line(absl::StrCat("Block height: ", h.height));
  p.Line(absl::StrCat("Block hash: ", B58(hash)));
  p.Line(absl::StrCat("Previous hash: ", B58(h.prev_hash)));
  p.Line(absl::StrCat("Block time: ", util::FormatMillis(h.timestamp_ms)));
  p.Line(absl::StrCat("Difficulty: ", h.difficulty));
  p.Line(absl::StrCat("Producer: ", B58(h.producer), " (", ProducerKind(h), ")"));
}

absl::Status CmdChainTip(Session& session, const Operands&) {
  absl::StatusOr<core::ChainApi*> chain = session.Chain();
  if (!chain.ok()) return chain.status();
  absl::StatusOr<core::ChainTip> tip = (*chain)->GetTip();
  if (!tip.ok()) return tip.status();
  Printer& p = session.printer();
  PrintHeader(p, tip->header, tip->hash);
  p.Line(absl::StrCat("Transactions in block: ", tip->header.tx_count));
  p.Line(absl::StrCat("Coins in circulation: ", util::FormatAmount(tip->supply), " coins"));
  p.Line(absl::StrCat("Confirmed transactions: ", tip->tx_total));
  return absl::OkStatus();
}

absl::Status CmdChainBlock(Session& session, const Operands& operands) {
  const std::string& key = operands[0];
  absl::StatusOr<core::ChainApi*> chain = session.Chain();
  absl::StatusOr<core::Block> block;
  uint64_t height = 0;
  const bool is_height = !key.empty() && key.size() <= 20 &&
                         std::all_of(key.begin(), key.end(),
                                     [](char c) { return c >= '0' && c <= '9'; }) &&
                         absl::SimpleAtoi(key, &height);
  if (is_height) {
    if (!chain.ok()) return chain.status();
    block = (*chain)->GetBlock(height);
  } else {
    absl::StatusOr<core::Hash32> hash = crypto::Decode32(key, "block hash");
    if (!hash.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", key, "' is neither a block height nor a block hash: ", hash.status().message()));
    }
    if (!chain.ok()) return chain.status();
    block = (*chain)->GetBlockByHash(*hash);
  }
  if (!block.ok()) {
    if (absl::IsNotFound(block.status())) {
      return absl::NotFoundError(absl::StrCat("no block ", key, ": ", block.status().message()));
    }
    return block.status();
  }
  Printer& p = session.printer();
  const core::BlockHeader& h = block->header;
  PrintHeader(p, h, core::ComputeBlockHash(h));
  if (ProducerKind(h) == "validator") {
    p.Line(absl::StrCat("Fingerprint: ", crypto::ToBase58(h.fingerprint)));
    p.Line(absl::StrCat("Proof nonce: ", h.proof_nonce));
  }
  p.Line(absl::StrCat("Reward: ", util::FormatAmount(h.reward), " coins"));
  p.Line(absl::StrCat("Transaction root: ", B58(h.tx_root)));
  p.Line(absl::StrCat("Provenance root: ", B58(h.provenance_root)));
  p.Line(absl::StrCat("Transactions: ", h.tx_count));
  if (session.args().Bool("txs")) {
    for (size_t i = 0; i < block->txs.size(); ++i) {
      core::TxRecord record{block->txs[i], h.height, static_cast<uint32_t>(i)};
      p.Line(FormatTxLine(i + 1, record));
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------ validator

absl::Status CmdValidatorStatus(Session& session, const Operands&) {
  absl::StatusOr<core::ValidatorApi*> validator = session.Validator();
  if (!validator.ok()) return validator.status();
  absl::StatusOr<core::ValidatorStatus> status = (*validator)->GetStatus();
  if (!status.ok()) return status.status();
  Printer& p = session.printer();
  p.Line(absl::StrCat("Validator key: ", B58(status->key)));
  p.Line(absl::StrCat("Fingerprint: ", crypto::ToBase58(status->fingerprint)));
  p.Line(absl::StrCat("Proof: ", status->proof.kind.empty() ? "?" : status->proof.kind));
  p.Line(absl::StrCat("Hash rate: ", FormatHashRate(status->proof.hashes_per_second)));
  if (status->proof.records_stored > 0) {
    p.Line(absl::StrCat("Records stored: ", status->proof.records_stored));
  }
  p.Line(absl::StrCat("Hashes total: ", status->proof.hashes_total));
  p.Line(absl::StrCat("Rounds seen: ", status->rounds_seen));
  p.Line(absl::StrCat("Blocks submitted: ", status->blocks_submitted));
  p.Line(absl::StrCat("Blocks won: ", status->blocks_won));
  if (!status->last_error.empty()) p.Line(absl::StrCat("Last error: ", status->last_error));
  return absl::OkStatus();
}

// ------------------------------------------------------------------ monitor

absl::Status CmdMonitor(Session& session, const Operands&) { return RunMonitor(session); }

// ------------------------------------------------------------------ table

const std::vector<Command>& Commands() {
  static const std::vector<Command>* const kCommands = new std::vector<Command>{
      {"wallet", "create", "", "generate a key pair and save it to dsc-key.yaml (mode 0600)",
       0, 0, {}, CmdWalletCreate},
      {"wallet", "key", "", "show the wallet's public and private address", 0, 0, {},
       CmdWalletKey},
      {"wallet", "balance", "[ADDRESS]", "balance of the wallet (or of ADDRESS)", 0, 1, {},
       CmdWalletBalance},
      {"wallet", "send", "<amount> <address> [--fee=AMOUNT] [--no-wait] [--timeout=120s]",
       "send coins and wait until the transaction is confirmed", 2, 2,
       {"fee", "no-wait", "timeout"}, CmdWalletSend},
      {"wallet", "transaction", "<id>", "status of a transaction", 1, 1, {},
       CmdWalletTransaction},
      {"wallet", "transactions", "[ADDRESS] [--limit=N]",
       "confirmed transactions of the wallet (or of ADDRESS), newest first", 0, 1, {"limit"},
       CmdWalletTransactions},
      {"wallet", "verify", "<id> [--height=N] [--metronome-key=K]",
       "check a proof of provenance of a transaction against a block header (default: the tip)",
       1, 1, {"height", "metronome-key"}, CmdWalletVerify},
      {"wallet", "help", "", "this help for wallet commands", 0, 0, {}, nullptr},
      {"chain", "tip", "", "the last block and chain totals", 0, 0, {}, CmdChainTip},
      {"chain", "block", "<height|hash> [--txs]", "a block's header (and transactions)", 1, 1,
       {"txs"}, CmdChainBlock},
      {"validator", "status", "", "the validator's key, proof, hash rate and blocks won", 0, 0,
       {}, CmdValidatorStatus},
      {"", "monitor", "[--watch] [--interval=2s] [--count=N]",
       "network overview: blocks, coins, pool, validators, throughput", 0, 0,
       {"watch", "interval", "count"}, CmdMonitor},
      {"", "version", "", "print the client version", 0, 0, {}, CmdVersion},
      {"", "help", "[wallet|chain|validator]", "this help", 0, 1, {}, CmdHelp},
  };
  return *kCommands;
}

bool IsGroup(std::string_view word) {
  return word == "wallet" || word == "chain" || word == "validator";
}

const Command* FindCommand(std::string_view group, std::string_view name) {
  for (const Command& c : Commands()) {
    if (c.group == group && c.name == name) return &c;
  }
  return nullptr;
}

// Runs the parsed line; a usage error comes back with IsUsageError and `*usage` set to
// the usage line to print.
absl::Status Dispatch(Session& session, std::string* usage) {
  const ParsedArgs& args = session.args();
  const std::vector<std::string>& words = args.positional;
  *usage = "Usage: dsc [flags] <command> [arguments]; run `dsc help` for the commands";
  if (words.empty()) {
    if (args.Bool("help")) return PrintHelp(session, "");
    return UsageError("no command given");
  }
  std::string group;
  size_t first_operand = 1;
  if (IsGroup(words[0])) {
    group = words[0];
    *usage = absl::StrCat("Usage: dsc ", group, " <command>; run `dsc ", group, " help`");
    if (words.size() < 2) {
      if (args.Bool("help")) return PrintHelp(session, group);
      return UsageError(absl::StrCat("missing ", group, " command"));
    }
    first_operand = 2;
  }
  const std::string& name = words[first_operand - 1];
  const Command* command = FindCommand(group, name);
  if (command == nullptr) {
    return UsageError(absl::StrCat("unknown command `dsc ", group, group.empty() ? "" : " ",
                                   name, "`"));
  }
  if (command->run == nullptr || args.Bool("help")) return PrintHelp(session, group);
  *usage = absl::StrCat("Usage: ", command->Usage());
  if (absl::Status status = CheckFlags(args, command->flags, command->Path()); !status.ok()) {
    return UsageError(std::string(status.message()));
  }
  Operands operands(words.begin() + static_cast<ptrdiff_t>(first_operand), words.end());
  if (operands.size() < command->min_operands) {
    return UsageError(absl::StrCat("`dsc ", command->Path(), "` needs ",
                                   command->min_operands, " argument",
                                   command->min_operands == 1 ? "" : "s"));
  }
  if (operands.size() > command->max_operands) {
    return UsageError(absl::StrCat("unexpected argument '", operands[command->max_operands],
                                   "' for `dsc ", command->Path(), "`"));
  }
  return command->run(session, operands);
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const CliDeps& deps) {
  std::function<int64_t()> now = deps.now_ms;
  if (!now) now = [] { return util::NowMillis(); };
  Printer printer(out, err, now);
  printer.Line(absl::StrCat("DSC v", kVersion));
  if (absl::Status status = crypto::Init(); !status.ok()) {
    printer.Error(status.message());
    return kExitFailure;
  }
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args);
  if (!parsed.ok()) {
    printer.Error(parsed.status().message());
    printer.ErrLine("Usage: dsc [flags] <command> [arguments]; run `dsc help` for the commands");
    return kExitUsage;
  }
  Session session(*std::move(parsed), deps, &printer);
  std::string usage;
  const absl::Status status = Dispatch(session, &usage);
  if (status.ok()) return kExitOk;
  printer.Error(status.message());
  if (IsUsageError(status)) {
    printer.ErrLine(usage);
    return kExitUsage;
  }
  return kExitFailure;
}

}  // namespace dsc::cli
