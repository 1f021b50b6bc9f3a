// The one canonical encoder: every signed or hashed byte string of DSC comes from
// here, with fixed field order and widths (big-endian integers), pinned by golden
// vectors in test/unit/core/encoding_test.cc. Also the storage encoding of blocks,
// transactions and accounts. Thread-safe: pure functions.
#ifndef DSC_CORE_ENCODING_H_
#define DSC_CORE_ENCODING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace dsc::core {

inline constexpr size_t kTxSigningBytes = 1 + 32 + 32 + 8 + 8 + 8 + 8;   // 97
inline constexpr size_t kTxBytes = kTxSigningBytes + 64;                  // 161
inline constexpr size_t kHeaderHashBytes = 1 + 4 + 8 + 32 + 8 + 4 + 32 + 16 + 8 + 8 + 32 + 32 + 4;
inline constexpr size_t kHeaderBytes = kHeaderHashBytes + 64 + 64;

// Append-only big-endian writer.
class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  template <size_t N>
  void Fixed(const std::array<uint8_t, N>& a) {
    out_.append(reinterpret_cast<const char*>(a.data()), N);
  }
  void Raw(std::string_view s) { out_.append(s); }
  std::string& str() { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Bounds-checked big-endian reader; every method returns false past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v);
  bool U32(uint32_t* v);
  bool U64(uint64_t* v);
  bool I64(int64_t* v);
  template <size_t N>
  bool Fixed(std::array<uint8_t, N>* a) {
    if (in_.size() < N) return false;
    std::copy(in_.begin(), in_.begin() + N, a->begin());
    in_.remove_prefix(N);
    return true;
  }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

// Domain tags (first byte) keep signed messages of different kinds apart.
inline constexpr uint8_t kTagTx = 0x01;
inline constexpr uint8_t kTagHeader = 0x02;
inline constexpr uint8_t kTagRegistration = 0x03;

// The bytes a sender signs: tag, sender, recipient, amount, fee, nonce, timestamp.
std::string EncodeTxSigningBytes(const Transaction& tx);
// The signing bytes followed by the signature (kTxBytes).
std::string EncodeTx(const Transaction& tx);
// Returns kInvalidArgument unless `bytes` is exactly one encoded transaction.
absl::StatusOr<Transaction> DecodeTx(std::string_view bytes);
// BLAKE2b-256 of EncodeTx(tx).
TxId ComputeTxId(const Transaction& tx);

// The header without its two signatures: what the block hash covers.
std::string EncodeHeaderHashBytes(const BlockHeader& header);
std::string EncodeHeader(const BlockHeader& header);
absl::StatusOr<BlockHeader> DecodeHeader(std::string_view bytes);
// BLAKE2b-256 of EncodeHeaderHashBytes(header).
Hash32 ComputeBlockHash(const BlockHeader& header);

// Header, then a 4-byte count, then each transaction (kTxBytes each).
std::string EncodeBlock(const Block& block);
// Returns kInvalidArgument if `bytes` is not exactly one encoded block.
absl::StatusOr<Block> DecodeBlock(std::string_view bytes);

// Accounts in the balance cache: balance, nonce (16 bytes).
std::string EncodeAccount(const Account& account);
absl::StatusOr<Account> DecodeAccount(std::string_view bytes);

// 8-byte big-endian integer keys (ordered like the integers).
std::string EncodeU64Key(uint64_t v);
absl::StatusOr<uint64_t> DecodeU64Key(std::string_view bytes);

// Lower-case hex, for logs.
std::string ToHex(const Hash32& hash);

}  // namespace dsc::core

#endif  // DSC_CORE_ENCODING_H_
