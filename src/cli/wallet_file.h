// The wallet key file, dsc-key.yaml: a YAML mapping with the Base58 Ed25519 public key
// (the address) and the Base58 32-byte private seed, readable by its owner only.
//
//   # DataSys Coin wallet key. Keep it secret: anyone with private_key can spend.
//   public_key: 8cxisk8h2AJ5NeWKPQ7ErFmLqM4hs4esGq8REu63C3U
//   private_key: ...
//
// The format and the checks are crypto/key_file.h's; this adds the wallet's wording.
// Thread-compatible functions that touch the file system. crypto::Init() must have
// returned OK before any of them is called.
#ifndef DSC_CLI_WALLET_FILE_H_
#define DSC_CLI_WALLET_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"

namespace dsc::cli {

// Creates `path` with mode 0600 (open O_CREAT|O_EXCL: an existing file is never touched)
// and writes `key` to it durably (fsync). Creates the parent directory (mode 0700) if it
// is missing but its own parent exists. Returns kAlreadyExists "wallet already exists at
// PATH; refusing to overwrite" if the file exists, kInternal naming the path and the
// system error otherwise. On a write failure the partial file is removed.
absl::Status SaveNewWallet(const std::string& path, const crypto::KeyPair& key);

// Reads the key pair of the wallet at `path`. Returns
// - kNotFound "no wallet at PATH: run `dsc wallet create`" if the file does not exist;
// - kPermissionDenied if the file can be read or written by group or others (suggesting
//   chmod 600), or cannot be opened;
// - kInvalidArgument naming the file and key if it is not YAML, a key is missing or not
//   Base58 of 32 bytes, or private_key does not derive public_key.
absl::StatusOr<crypto::KeyPair> LoadWallet(const std::string& path);

}  // namespace dsc::cli

#endif  // DSC_CLI_WALLET_FILE_H_
