// Key files (dsc-key.yaml): a YAML mapping of Base58 fields, created with mode 0600.
//   public_key: <32-byte Ed25519 public key>
//   private_key: <32-byte seed>
//   fingerprint: <16 bytes>        (validators only)
// Thread-compatible.
#ifndef DSC_CRYPTO_KEY_FILE_H_
#define DSC_CRYPTO_KEY_FILE_H_

#include <array>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/crypto.h"

namespace dsc::crypto {

struct KeyFile {
  KeyPair key;
  std::optional<std::array<uint8_t, 16>> fingerprint;
};

// Writes `file` to `path` with mode 0600, refusing (kAlreadyExists) to replace an
// existing file. kUnavailable if it cannot be written.
absl::Status SaveKeyFile(const std::string& path, const KeyFile& file);

// Reads a key file. kNotFound if it does not exist; kInvalidArgument (naming the path
// and the field) if a field is missing or malformed or the private key does not derive
// the public key; kPermissionDenied if group or others may read it.
absl::StatusOr<KeyFile> LoadKeyFile(const std::string& path);

// Loads `path`, or creates it with a new key (and a random fingerprint when
// `with_fingerprint`) if it does not exist.
absl::StatusOr<KeyFile> LoadOrCreateKeyFile(const std::string& path, bool with_fingerprint);

}  // namespace dsc::crypto

#endif  // DSC_CRYPTO_KEY_FILE_H_
