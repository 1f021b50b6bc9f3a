// Ed25519 signature verification, one at a time or many at once.
//
// The rule (every dscd node applies the same one, whether it checks one signature or a
// batch): a signature (R, s) of message M by key A is valid iff
//   - s is canonical (s < L, the prime order of the base point B),
//   - A and R are canonical encodings (y < p) of curve points that are not of small order,
//   - [8]([s]B - [h]A - R) is the identity, where h = SHA-512(R || A || M) mod L.
// That is the cofactored equation (as in ZIP-215, but with canonical encodings required).
// Every signature made by an RFC 8032 signer satisfies it, and so does every signature
// libsodium's crypto_sign_verify_detached accepts; the two rules differ only on signatures
// whose key or R carries a small-order component, which only the key's owner can make.
// The cofactored rule is what lets a batch be checked with one multi-scalar multiplication:
// a batch passes iff [8](sum z_i([s_i]B - [h_i]A_i - R_i)) is the identity for random
// 128-bit z_i, so a batch holding an invalid signature passes with probability < 2^-128.
//
// Thread-safe; call crypto::Init() first.
#ifndef DSC_CRYPTO_ED25519_H_
#define DSC_CRYPTO_ED25519_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "crypto/crypto.h"

namespace dsc::crypto {

// One signature to check. The pointed-to bytes must outlive the call.
struct SignedMessage {
  const PublicKey* key;
  absl::Span<const uint8_t> message;
  const Signature* signature;
};

// True iff every signature in `items` is valid (true for an empty span). Faster per
// signature than checking them one by one, most of all when keys repeat.
bool VerifyBatch(absl::Span<const SignedMessage> items);

// Which signatures of `items` are valid: one batch when all are, halving the batch to find
// the invalid ones otherwise.
std::vector<bool> VerifyEach(absl::Span<const SignedMessage> items);

}  // namespace dsc::crypto

#endif  // DSC_CRYPTO_ED25519_H_
