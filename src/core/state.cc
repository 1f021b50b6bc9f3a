#include "util/strings.h"
#include "core/state.h"

#include "absl/strings/str_cat.h"
#include "core/encoding.h"
#include "core/validation.h"
#include "util/base58.h"

namespace dsc::core {

using util::AV;
using util::SV;
namespace {

// Accounts touched by a block, loaded once from the reader.
class Overlay {
 public:
  explicit Overlay(AccountReader& reader, BlockEffects& effects)
      : reader_(reader), effects_(effects) {}

  absl::StatusOr<Account*> Get(const Address& address) {
    auto it = effects_.accounts.find(address);
    if (it != effects_.accounts.end()) return &it->second;
    auto loaded = reader_.GetAccount(address);
    if (!loaded.ok()) return loaded.status();
    return &effects_.accounts.emplace(address, *loaded).first->second;
  }

 private:
  AccountReader& reader_;
  BlockEffects& effects_;
};

absl::Status Credit(Account* account, uint64_t amount, std::string_view what) {
  if (account->balance > UINT64_MAX - amount) {
    return absl::InvalidArgumentError(absl::StrCat(AV(what), " overflows the recipient's balance"));
  }
  account->balance += amount;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BlockEffects> ApplyBlock(AccountReader& reader, const Block& block) {
  BlockEffects effects;
  effects.accounts.reserve(block.txs.size() * 2 + 1);
  Overlay overlay(reader, effects);
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const Transaction& tx = block.txs[i];
    auto sender = overlay.Get(tx.sender);
    if (!sender.ok()) return sender.status();
    if (absl::Status s = CheckTxAgainstAccount(tx, **sender, 0, 0); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("transaction ", i, " (",
                                                 util::Base58Encode(ComputeTxId(tx)), "): ",
                                                 s.message()));
    }
    (*sender)->balance -= tx.amount + tx.fee;
    (*sender)->nonce += 1;
    auto recipient = overlay.Get(tx.recipient);
    if (!recipient.ok()) return recipient.status();
    if (absl::Status s = Credit(*recipient, tx.amount, absl::StrCat("transaction ", i)); !s.ok()) {
      return s;
    }
    if (effects.fees > UINT64_MAX - tx.fee) return absl::InvalidArgumentError("fees overflow");
    effects.fees += tx.fee;
  }
  const uint64_t to_producer = effects.fees + block.header.reward;
  if (to_producer < effects.fees) return absl::InvalidArgumentError("reward overflows");
  if (to_producer > 0) {
    auto producer = overlay.Get(block.header.producer);
    if (!producer.ok()) return producer.status();
    if (absl::Status s = Credit(*producer, to_producer, "reward"); !s.ok()) return s;
  }
  effects.minted = block.header.reward;
  return effects;
}

absl::StatusOr<BlockEffects> ApplyGenesis(const std::vector<GenesisAlloc>& allocs) {
  BlockEffects effects;
  for (const auto& alloc : allocs) {
    const std::string name = util::Base58Encode(alloc.address);
    if (alloc.amount == 0) {
      return absl::InvalidArgumentError(absl::StrCat("genesis allocation to ", name, " is zero"));
    }
    if (!effects.accounts.emplace(alloc.address, Account{alloc.amount, 0}).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("genesis allocates to ", name, " more than once"));
    }
    if (effects.minted > UINT64_MAX - alloc.amount) {
      return absl::InvalidArgumentError("genesis allocations overflow 64 bits");
    }
    effects.minted += alloc.amount;
  }
  return effects;
}

}  // namespace dsc::core
