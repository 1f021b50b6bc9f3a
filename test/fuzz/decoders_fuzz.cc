// Fuzz target for every decoder that reads bytes from the network or the disk: the
// canonical transaction, header and block decoders, accounts, 8-byte keys, provenance
// proofs and Base58.
// A decoder must either refuse the input or return a value that encodes back to exactly
// the same bytes; it must never crash. Built as a libFuzzer target with clang
// (-DDSC_FUZZ=ON) and, with any compiler, as a bounded smoke run (fuzz_driver.cc).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/encoding.h"
#include "core/trie.h"
#include "util/base58.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dsc;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto tx = core::DecodeTx(in); tx.ok()) Check(core::EncodeTx(*tx) == in);
  if (auto h = core::DecodeHeader(in); h.ok()) Check(core::EncodeHeader(*h) == in);
  if (auto b = core::DecodeBlock(in); b.ok()) Check(core::EncodeBlock(*b) == in);
  if (auto a = core::DecodeAccount(in); a.ok()) Check(core::EncodeAccount(*a) == in);
  if (auto k = core::DecodeU64Key(in); k.ok()) Check(core::EncodeU64Key(*k) == in);
  if (auto p = core::DecodeTrieProof(in); p.ok()) Check(core::EncodeTrieProof(*p) == in);
  if (auto bytes = util::Base58Decode(in); bytes.ok()) {
    // Base58 has one canonical text per byte string.
    Check(util::Base58Encode(*bytes) == in);
  }
  return 0;
}
