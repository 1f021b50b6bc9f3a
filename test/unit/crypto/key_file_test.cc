#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "unit/crypto/crypto_test_util.h"
#include "util/base58.h"

namespace dsc::crypto {
namespace {

using testing::Msg;
using testing::TempDir;
using testing::UnhexArray;

constexpr char kRfcSeed1[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `text` to a new file with `mode` (exactly, whatever the umask).
void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

KeyFile RfcKeyFile(bool with_fingerprint) {
  KeyFile file;
  file.key = KeyPair::FromSeed(UnhexArray<32>(kRfcSeed1));
  if (with_fingerprint) {
    std::array<uint8_t, 16> fp;
    for (size_t i = 0; i < fp.size(); ++i) fp[i] = static_cast<uint8_t>(0xA0 + i);
    file.fingerprint = fp;
  }
  return file;
}

std::string KeyText(const KeyPair& pub, const KeyPair& priv) {
  return "public_key: " + util::Base58Encode(pub.public_key) +
         "\nprivate_key: " + util::Base58Encode(priv.seed()) + "\n";
}

void CheckInvalid(const std::string& path, const std::string& why) {
  auto loaded = LoadKeyFile(path);
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Msg(loaded), Catch::Contains(path));
  CHECK_THAT(Msg(loaded), Catch::Contains(why));
}

TEST_CASE("SaveKeyFile/LoadKeyFile round trip with mode 0600", "[crypto]") {
  TempDir dir;
  for (bool with_fingerprint : {false, true}) {
    CAPTURE(with_fingerprint);
    const std::string path = dir.File(with_fingerprint ? "fp.yaml" : "plain.yaml");
    const KeyFile file = RfcKeyFile(with_fingerprint);
    REQUIRE(SaveKeyFile(path, file).ok());
    CHECK(ModeOf(path) == 0600);
    const std::string text = ReadAll(path);
    CHECK_THAT(text, Catch::Contains("public_key: " + util::Base58Encode(file.key.public_key)));
    CHECK_THAT(text, Catch::Contains("private_key: " + util::Base58Encode(file.key.seed())));
    CHECK((text.find("fingerprint:") != std::string::npos) == with_fingerprint);

    auto loaded = LoadKeyFile(path);
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    CHECK(loaded->key.public_key == file.key.public_key);
    CHECK(loaded->key.secret_key == file.key.secret_key);
    CHECK(loaded->fingerprint == file.fingerprint);
  }
}

TEST_CASE("SaveKeyFile refuses to overwrite and leaves the old file alone", "[crypto]") {
  TempDir dir;
  const std::string path = dir.File("key.yaml");
  const KeyFile first = RfcKeyFile(false);
  REQUIRE(SaveKeyFile(path, first).ok());
  const std::string before = ReadAll(path);
  KeyFile second;
  second.key = KeyPair::Generate();
  const absl::Status s = SaveKeyFile(path, second);
  CHECK(s.code() == absl::StatusCode::kAlreadyExists);
  CHECK_THAT(Msg(s), Catch::Contains(path));
  CHECK(ReadAll(path) == before);
}

TEST_CASE("SaveKeyFile into a missing directory is kUnavailable", "[crypto]") {
  TempDir dir;
  const absl::Status s = SaveKeyFile(dir.File("no/such/dir/key.yaml"), RfcKeyFile(false));
  CHECK(s.code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("LoadKeyFile of a missing file is kNotFound", "[crypto]") {
  TempDir dir;
  auto loaded = LoadKeyFile(dir.File("missing.yaml"));
  CHECK(loaded.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("LoadKeyFile refuses files others may read", "[crypto]") {
  TempDir dir;
  const std::string path = dir.File("key.yaml");
  REQUIRE(SaveKeyFile(path, RfcKeyFile(false)).ok());
  for (mode_t mode : {mode_t{0640}, mode_t{0604}, mode_t{0660}, mode_t{0644}, mode_t{0610}}) {
    CAPTURE(mode);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto loaded = LoadKeyFile(path);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(Msg(loaded), Catch::Contains("chmod 600"));
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CHECK(LoadKeyFile(path).ok());
}

TEST_CASE("LoadKeyFile rejects malformed files, naming the path and field", "[crypto]") {
  TempDir dir;
  const KeyPair a = KeyPair::FromSeed(UnhexArray<32>(kRfcSeed1));
  Seed other_seed;
  other_seed.fill(0x01);
  const KeyPair b = KeyPair::FromSeed(other_seed);
  const std::string path = dir.File("key.yaml");

  SECTION("private key of another public key") {
    WriteFile(path, KeyText(a, b));
    CheckInvalid(path, "private_key does not derive public_key");
  }
  SECTION("missing public_key") {
    WriteFile(path, "private_key: " + util::Base58Encode(a.seed()) + "\n");
    CheckInvalid(path, "public_key is missing");
  }
  SECTION("missing private_key") {
    WriteFile(path, "public_key: " + util::Base58Encode(a.public_key) + "\n");
    CheckInvalid(path, "private_key is missing");
  }
  SECTION("empty file") {
    WriteFile(path, "");
    CheckInvalid(path, "public_key is missing");
  }
  SECTION("malformed Base58") {
    WriteFile(path, "public_key: " + util::Base58Encode(a.public_key) + "\nprivate_key: 0OIl\n");
    CheckInvalid(path, "private_key: invalid Base58 character '0'");
  }
  SECTION("wrong public key length") {
    WriteFile(path, "public_key: 2NEpo7\nprivate_key: " + util::Base58Encode(a.seed()) + "\n");
    CheckInvalid(path, "public_key must be Base58 of 32 bytes");
  }
  SECTION("wrong key length") {
    WriteFile(path, "public_key: " + util::Base58Encode(a.public_key) + "\nprivate_key: 2NEpo7\n");
    CheckInvalid(path, "private_key must be Base58 of 32 bytes");
  }
  SECTION("line without a colon") {
    WriteFile(path, KeyText(a, a) + "garbage\n");
    CheckInvalid(path, "malformed line 'garbage'");
  }
  SECTION("fingerprint of the wrong length") {
    const std::array<uint8_t, 15> fp{1};
    WriteFile(path, KeyText(a, a) + "fingerprint: " + util::Base58Encode(fp) + "\n");
    CheckInvalid(path, "fingerprint must be Base58 of 16 bytes");
  }
  SECTION("malformed fingerprint") {
    WriteFile(path, KeyText(a, a) + "fingerprint: l\n");
    CheckInvalid(path, "fingerprint: invalid Base58 character 'l'");
  }
  SECTION("comments, blank lines and spaces are fine") {
    WriteFile(path, "# a comment\n\n   public_key :   " + util::Base58Encode(a.public_key) +
                        "  \n\tprivate_key:" + util::Base58Encode(a.seed()) + "\n");
    auto loaded = LoadKeyFile(path);
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    CHECK(loaded->key.public_key == a.public_key);
    CHECK_FALSE(loaded->fingerprint.has_value());
  }
}

TEST_CASE("LoadOrCreateKeyFile creates once, then reloads the same key", "[crypto]") {
  TempDir dir;
  for (bool with_fingerprint : {false, true}) {
    CAPTURE(with_fingerprint);
    const std::string path = dir.File(with_fingerprint ? "validator.yaml" : "wallet.yaml");
    auto created = LoadOrCreateKeyFile(path, with_fingerprint);
    INFO(created.status().ToString());
    REQUIRE(created.ok());
    CHECK(ModeOf(path) == 0600);
    CHECK(created->fingerprint.has_value() == with_fingerprint);
    auto reloaded = LoadOrCreateKeyFile(path, with_fingerprint);
    REQUIRE(reloaded.ok());
    CHECK(reloaded->key.public_key == created->key.public_key);
    CHECK(reloaded->key.secret_key == created->key.secret_key);
    CHECK(reloaded->fingerprint == created->fingerprint);
  }
  // Two new files get different keys.
  auto w1 = LoadKeyFile(dir.File("wallet.yaml"));
  auto w2 = LoadKeyFile(dir.File("validator.yaml"));
  REQUIRE(w1.ok());
  REQUIRE(w2.ok());
  CHECK(w1->key.public_key != w2->key.public_key);
}

TEST_CASE("LoadOrCreateKeyFile wants a fingerprint when asked for one", "[crypto]") {
  TempDir dir;
  const std::string path = dir.File("key.yaml");
  REQUIRE(SaveKeyFile(path, RfcKeyFile(false)).ok());
  auto loaded = LoadOrCreateKeyFile(path, /*with_fingerprint=*/true);
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Msg(loaded), Catch::Contains("fingerprint is missing"));
  // A wallet may use a validator's file (the fingerprint is ignored).
  CHECK(LoadOrCreateKeyFile(path, /*with_fingerprint=*/false).ok());
}

TEST_CASE("LoadOrCreateKeyFile does not replace a broken file", "[crypto]") {
  TempDir dir;
  const std::string path = dir.File("key.yaml");
  WriteFile(path, "public_key: nonsense0\n");
  const std::string before = ReadAll(path);
  auto loaded = LoadOrCreateKeyFile(path, false);
  CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ReadAll(path) == before);
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  CHECK(LoadOrCreateKeyFile(path, false).status().code() == absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace dsc::crypto
