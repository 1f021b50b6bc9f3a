#include "cli/wallet_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "crypto/key_file.h"

namespace dsc::cli {
namespace {

std::string ParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Creates the wallet's directory if missing (one level only, owner-only access).
absl::Status EnsureParentDir(const std::string& path) {
  const std::string dir = ParentDir(path);
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("wallet dir ", dir, " exists but is not a directory"));
    }
    return absl::OkStatus();
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(
        absl::StrCat("cannot create wallet dir ", dir, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SaveNewWallet(const std::string& path, const crypto::KeyPair& key) {
  if (absl::Status status = EnsureParentDir(path); !status.ok()) return status;
  absl::Status saved = crypto::SaveKeyFile(path, crypto::KeyFile{key, std::nullopt});
  if (absl::IsAlreadyExists(saved)) {
    return absl::AlreadyExistsError(
        absl::StrCat("wallet already exists at ", path, "; refusing to overwrite"));
  }
  return saved;
}

absl::StatusOr<crypto::KeyPair> LoadWallet(const std::string& path) {
  auto file = crypto::LoadKeyFile(path);
  if (absl::IsNotFound(file.status())) {
    return absl::NotFoundError(
        absl::StrCat("no wallet at ", path, ": run `dsc wallet create`"));
  }
  if (!file.ok()) return file.status();
  return file->key;
}

}  // namespace dsc::cli
