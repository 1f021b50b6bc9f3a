#include "core/signature_cache.h"

#include <catch2/catch.hpp>

#include "core/block.h"
#include "core/encoding.h"
#include "core/validation.h"
#include "unit/core/core_test_util.h"

namespace dsc::core {
namespace {

using testing::KeyFromByte;

std::vector<Transaction> Batch(int n) {
  const crypto::KeyPair a = KeyFromByte(1);
  const crypto::KeyPair b = KeyFromByte(2);
  std::vector<Transaction> txs;
  for (int i = 0; i < n; ++i) {
    txs.push_back(MakeTransaction(a, b.public_key, 1 + i, 0, i, 1'700'000'000'000));
  }
  return txs;
}

TEST_CASE("CheckTxsStateless records what passed and trusts only those exact bytes", "[core]") {
  SignatureCache cache;
  std::vector<Transaction> txs = Batch(100);
  txs[7].signature[0] ^= 1;  // a bad signature
  txs[9].amount = 0;         // a bad field
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    const auto first = CheckTxsStateless(txs, threads, &cache);
    CHECK_FALSE(first[7].ok());
    CHECK_FALSE(first[9].ok());
    CHECK_FALSE(cache.Contains(ComputeTxId(txs[7])));
    CHECK_FALSE(cache.Contains(ComputeTxId(txs[9])));
    CHECK(cache.Contains(ComputeTxId(txs[0])));
    // Second pass: same verdicts, good ones now come from the cache.
    const auto second = CheckTxsStateless(txs, threads, &cache);
    for (size_t i = 0; i < txs.size(); ++i) CHECK(second[i].ok() == first[i].ok());
  }
  // A cached transaction tampered after signing is a different id: verified again, refused.
  Transaction tampered = txs[0];
  tampered.amount += 1;
  const auto verdict = CheckTxsStateless(absl::MakeConstSpan(&tampered, 1), 1, &cache);
  CHECK(verdict[0].code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(verdict[0].message()), Catch::Matchers::Contains("bad signature"));
  // Field checks are never skipped, even for a cached id.
  Transaction zero = txs[1];
  zero.amount = 0;
  cache.Add(std::vector<TxId>{ComputeTxId(zero)});
  CHECK_FALSE(CheckTxsStateless(absl::MakeConstSpan(&zero, 1), 1, &cache)[0].ok());
}

TEST_CASE("SignatureCache stays within its capacity", "[core]") {
  SignatureCache cache(/*capacity=*/10);
  const std::vector<Transaction> txs = Batch(25);
  for (const auto& tx : txs) cache.Add(std::vector<TxId>{ComputeTxId(tx)});
  int held = 0;
  for (const auto& tx : txs) held += cache.Contains(ComputeTxId(tx)) ? 1 : 0;
  CHECK(held <= 10);
  CHECK(cache.Contains(ComputeTxId(txs.back())));
}

}  // namespace
}  // namespace dsc::core
