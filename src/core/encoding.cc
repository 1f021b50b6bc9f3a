#include "core/encoding.h"

#include "absl/strings/str_cat.h"

namespace dsc::core {

void Writer::U32(uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out_.push_back(static_cast<char>((v >> s) & 0xff));
}

void Writer::U64(uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out_.push_back(static_cast<char>((v >> s) & 0xff));
}

bool Reader::U8(uint8_t* v) {
  if (in_.empty()) return false;
  *v = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return true;
}

bool Reader::U32(uint32_t* v) {
  if (in_.size() < 4) return false;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r = (r << 8) | static_cast<uint8_t>(in_[i]);
  in_.remove_prefix(4);
  *v = r;
  return true;
}

bool Reader::U64(uint64_t* v) {
  if (in_.size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>(in_[i]);
  in_.remove_prefix(8);
  *v = r;
  return true;
}

bool Reader::I64(int64_t* v) {
  uint64_t u;
  if (!U64(&u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

namespace {

void WriteTxSigning(Writer& w, const Transaction& tx) {
  w.U8(kTagTx);
  w.Fixed(tx.sender);
  w.Fixed(tx.recipient);
  w.U64(tx.amount);
  w.U64(tx.fee);
  w.U64(tx.nonce);
  w.I64(tx.timestamp_ms);
}

bool ReadTx(Reader& r, Transaction* tx) {
  uint8_t tag;
  return r.U8(&tag) && tag == kTagTx && r.Fixed(&tx->sender) && r.Fixed(&tx->recipient) &&
         r.U64(&tx->amount) && r.U64(&tx->fee) && r.U64(&tx->nonce) && r.I64(&tx->timestamp_ms) &&
         r.Fixed(&tx->signature);
}

void WriteHeaderHash(Writer& w, const BlockHeader& h) {
  w.U8(kTagHeader);
  w.U32(h.version);
  w.U64(h.height);
  w.Fixed(h.prev_hash);
  w.I64(h.timestamp_ms);
  w.U32(h.difficulty);
  w.Fixed(h.producer);
  w.Fixed(h.fingerprint);
  w.U64(h.proof_nonce);
  w.U64(h.reward);
  w.Fixed(h.tx_root);
  w.Fixed(h.provenance_root);
  w.U32(h.tx_count);
}

bool ReadHeader(Reader& r, BlockHeader* h) {
  uint8_t tag;
  return r.U8(&tag) && tag == kTagHeader && r.U32(&h->version) && r.U64(&h->height) &&
         r.Fixed(&h->prev_hash) && r.I64(&h->timestamp_ms) && r.U32(&h->difficulty) &&
         r.Fixed(&h->producer) && r.Fixed(&h->fingerprint) && r.U64(&h->proof_nonce) &&
         r.U64(&h->reward) && r.Fixed(&h->tx_root) && r.Fixed(&h->provenance_root) &&
         r.U32(&h->tx_count) && r.Fixed(&h->producer_signature) &&
         r.Fixed(&h->metronome_signature);
}

}  // namespace

std::string EncodeTxSigningBytes(const Transaction& tx) {
  Writer w;
  w.str().reserve(kTxSigningBytes);
  WriteTxSigning(w, tx);
  return w.Take();
}

std::string EncodeTx(const Transaction& tx) {
  Writer w;
  w.str().reserve(kTxBytes);
  WriteTxSigning(w, tx);
  w.Fixed(tx.signature);
  return w.Take();
}

absl::StatusOr<Transaction> DecodeTx(std::string_view bytes) {
  Reader r(bytes);
  Transaction tx;
  if (bytes.size() != kTxBytes || !ReadTx(r, &tx)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed transaction: expected ", kTxBytes, " canonical bytes, got ",
                     bytes.size()));
  }
  return tx;
}

TxId ComputeTxId(const Transaction& tx) { return crypto::Blake2b256(EncodeTx(tx)); }

std::string EncodeHeaderHashBytes(const BlockHeader& header) {
  Writer w;
  w.str().reserve(kHeaderHashBytes);
  WriteHeaderHash(w, header);
  return w.Take();
}

std::string EncodeHeader(const BlockHeader& header) {
  Writer w;
  w.str().reserve(kHeaderBytes);
  WriteHeaderHash(w, header);
  w.Fixed(header.producer_signature);
  w.Fixed(header.metronome_signature);
  return w.Take();
}

absl::StatusOr<BlockHeader> DecodeHeader(std::string_view bytes) {
  Reader r(bytes);
  BlockHeader h;
  if (bytes.size() != kHeaderBytes || !ReadHeader(r, &h)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed block header: expected ", kHeaderBytes, " canonical bytes, got ", bytes.size()));
  }
  return h;
}

Hash32 ComputeBlockHash(const BlockHeader& header) {
  return crypto::Blake2b256(EncodeHeaderHashBytes(header));
}

std::string EncodeBlock(const Block& block) {
  Writer w;
  w.str().reserve(kHeaderBytes + 4 + block.txs.size() * kTxBytes);
  w.Raw(EncodeHeader(block.header));
  w.U32(static_cast<uint32_t>(block.txs.size()));
  for (const auto& tx : block.txs) {
    WriteTxSigning(w, tx);
    w.Fixed(tx.signature);
  }
  return w.Take();
}

absl::StatusOr<Block> DecodeBlock(std::string_view bytes) {
  Reader r(bytes);
  Block b;
  uint32_t count = 0;
  if (!ReadHeader(r, &b.header) || !r.U32(&count) ||
      r.remaining() != static_cast<uint64_t>(count) * kTxBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed block: ", bytes.size(), " bytes do not hold a header and its "
                     "transactions"));
  }
  b.txs.resize(count);
  for (auto& tx : b.txs) {
    if (!ReadTx(r, &tx)) return absl::InvalidArgumentError("malformed transaction in block");
  }
  return b;
}

std::string EncodeAccount(const Account& account) {
  Writer w;
  w.U64(account.balance);
  w.U64(account.nonce);
  return w.Take();
}

absl::StatusOr<Account> DecodeAccount(std::string_view bytes) {
  Reader r(bytes);
  Account a;
  if (bytes.size() != 16 || !r.U64(&a.balance) || !r.U64(&a.nonce)) {
    return absl::DataLossError(absl::StrCat("malformed account record of ", bytes.size(), " bytes"));
  }
  return a;
}

std::string EncodeU64Key(uint64_t v) {
  Writer w;
  w.U64(v);
  return w.Take();
}

absl::StatusOr<uint64_t> DecodeU64Key(std::string_view bytes) {
  Reader r(bytes);
  uint64_t v;
  if (bytes.size() != 8 || !r.U64(&v)) return absl::DataLossError("malformed 8-byte key");
  return v;
}

std::string ToHex(const Hash32& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : hash) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

const char* TxStatusName(TxStatus status) {
  switch (status) {
    case TxStatus::kSubmitted: return "submitted";
    case TxStatus::kUnconfirmed: return "unconfirmed";
    case TxStatus::kConfirmed: return "confirmed";
    case TxStatus::kUnknown: break;
  }
  return "unknown";
}

}  // namespace dsc::core
