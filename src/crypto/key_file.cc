#include "util/strings.h"
#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "util/base58.h"

namespace dsc::crypto {

using util::AV;
using util::SV;

absl::Status SaveKeyFile(const std::string& path, const KeyFile& file) {
  std::string text = absl::StrCat(
      "# DSC key file. Keep it private: whoever holds private_key controls the address.\n",
      "public_key: ", util::Base58Encode(file.key.public_key), "\n",
      "private_key: ", util::Base58Encode(file.key.seed()), "\n");
  if (file.fingerprint.has_value()) {
    absl::StrAppend(&text, "fingerprint: ", util::Base58Encode(*file.fingerprint), "\n");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("a key file already exists at ", path, "; refusing to overwrite it"));
    }
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  const ssize_t n = ::write(fd, text.data(), text.size());
  const bool ok = n == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyFile> LoadKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no key file at ", path));
    return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "key file ", path, " is readable by others; run: chmod 600 ", path));
  }
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  std::map<std::string, std::string> fields;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view v = SV(absl::StripAsciiWhitespace(line));
    if (v.empty() || v[0] == '#') continue;
    const size_t colon = v.find(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": malformed line '", AV(v), "'"));
    }
    fields[std::string(absl::StripAsciiWhitespace(AV(v.substr(0, colon))))] =
        std::string(absl::StripAsciiWhitespace(AV(v.substr(colon + 1))));
  }
  // The field `name`, Base58 of exactly `size` bytes.
  auto field = [&](const char* name, size_t size) -> absl::StatusOr<std::vector<uint8_t>> {
    auto it = fields.find(name);
    if (it == fields.end()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", name, " is missing"));
    auto bytes = util::Base58Decode(it->second);
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", name, ": ", bytes.status().message()));
    }
    if (bytes->size() != size) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", name, " must be Base58 of ", size, " bytes"));
    }
    return bytes;
  };
  auto pub = field("public_key", 32);
  if (!pub.ok()) return pub.status();
  auto priv = field("private_key", 32);
  if (!priv.ok()) return priv.status();
  Seed seed;
  std::memcpy(seed.data(), priv->data(), 32);
  KeyFile file;
  file.key = KeyPair::FromSeed(seed);
  if (std::memcmp(file.key.public_key.data(), pub->data(), 32) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": private_key does not derive public_key"));
  }
  if (fields.count("fingerprint") != 0) {
    auto fp = field("fingerprint", 16);
    if (!fp.ok()) return fp.status();
    std::array<uint8_t, 16> f;
    std::memcpy(f.data(), fp->data(), 16);
    file.fingerprint = f;
  }
  return file;
}

absl::StatusOr<KeyFile> LoadOrCreateKeyFile(const std::string& path, bool with_fingerprint) {
  auto loaded = LoadKeyFile(path);
  if (!absl::IsNotFound(loaded.status())) {
    if (loaded.ok() && with_fingerprint && !loaded->fingerprint.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": fingerprint is missing"));
    }
    return loaded;
  }
  KeyFile file;
  file.key = KeyPair::Generate();
  if (with_fingerprint) {
    std::array<uint8_t, 16> fp;
    RandomBytes(absl::MakeSpan(fp));
    file.fingerprint = fp;
  }
  if (auto s = SaveKeyFile(path, file); !s.ok()) return s;
  return file;
}

}  // namespace dsc::crypto
