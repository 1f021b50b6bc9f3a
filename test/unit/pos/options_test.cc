// The validator settings of NodeOptions: the proof_pom/proof_pos config keys, and the
// budgets Validate refuses (zero, more than RAM or free disk, inconsistent geometry) with a
// message naming the setting.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "node/options.h"

namespace dsc::node {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = (std::filesystem::temp_directory_path() /
             ("dsc_options_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) +
              ".yaml"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

NodeOptions ValidatorOnly(const std::string& proof) {
  NodeOptions o;
  o.roles = {Role::kValidator};
  o.pool_address = o.metronome_address = "127.0.0.1:1";
  o.data_dir = std::filesystem::temp_directory_path().string();
  o.validator.proof = proof;
  return o;
}

TEST_CASE("proof_pom and proof_pos settings are read from the config", "[pos]") {
  TempFile file(R"(validator:
  proof_pow:
    enable: false
    threads_hash: 7
  proof_pom:
    enable: false
    memory: 512M
  proof_pos:
    enable: true
    threads_hash: 3
    threads_io: 2
    disk: 10G
    buckets: 256
    cup_size: 1024
    cups_per_bucket: 1024
    vault: /var/lib/dsc/vault.dsc
    ram_build: 2G
)");
  NodeOptions o;
  REQUIRE(LoadConfigFile(file.path(), &o).ok());
  CHECK(o.validator.proof == "pos");
  CHECK(o.validator.threads_hash == 3);
  CHECK(o.validator.memory == uint64_t{512} << 20);
  CHECK(o.validator.disk == uint64_t{10} << 30);
  CHECK(o.validator.buckets == 256);
  CHECK(o.validator.cup_size == 1024);
  CHECK(o.validator.cups_per_bucket == 1024);
  CHECK(o.validator.threads_io == 2);
  CHECK(o.validator.vault == "/var/lib/dsc/vault.dsc");
  CHECK(o.VaultPath() == "/var/lib/dsc/vault.dsc");
  CHECK(o.validator.ram_build == uint64_t{2} << 30);
  auto g = VaultGeometry(o.validator);
  REQUIRE(g.ok());
  CHECK(g->data_bytes() == uint64_t{4} << 30);  // 256 x 1024 x 1024 x 16 bytes of the 10G
}

TEST_CASE("a setting in the wrong proof section, or a bad size, is refused by name", "[pos]") {
  {
    TempFile file("validator:\n  proof_pow:\n    memory: 1G\n");
    NodeOptions o;
    const absl::Status s = LoadConfigFile(file.path(), &o);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Msg(s), Catch::Contains("validator.proof_pow.memory"));
    CHECK_THAT(Msg(s), Catch::Contains("belongs in proof_pom"));
  }
  {
    TempFile file("validator:\n  proof_pom:\n    disk: 1G\n");
    NodeOptions o;
    CHECK_THAT(Msg(LoadConfigFile(file.path(), &o)), Catch::Contains("belongs in proof_pos"));
  }
  {
    TempFile file("validator:\n  proof_pom:\n    memory: 1.5G\n");
    NodeOptions o;
    const absl::Status s = LoadConfigFile(file.path(), &o);
    CHECK_THAT(Msg(s), Catch::Contains("validator.proof_pom.memory"));
    CHECK_THAT(Msg(s), Catch::Contains("malformed size"));
  }
  {
    TempFile file("validator:\n  proof_pom:\n    ram_build: 1G\n");
    NodeOptions o;
    CHECK_THAT(Msg(LoadConfigFile(file.path(), &o)), Catch::Contains("belongs in proof_pos"));
  }
  {
    TempFile file("validator:\n  proof_pos:\n    ram_build: lots\n");
    NodeOptions o;
    const absl::Status s = LoadConfigFile(file.path(), &o);
    CHECK_THAT(Msg(s), Catch::Contains("validator.proof_pos.ram_build"));
  }
  {
    // Unset means automatic (half the RAM available); 0 means never in RAM.
    NodeOptions unset;
    CHECK_FALSE(unset.validator.ram_build.has_value());
    TempFile file("validator:\n  proof_pos:\n    ram_build: 0\n");
    NodeOptions o;
    REQUIRE(LoadConfigFile(file.path(), &o).ok());
    CHECK(o.validator.ram_build == uint64_t{0});
  }
  {
    TempFile file("validator:\n  proof_pom:\n    enable: true\n  proof_pos:\n    enable: true\n");
    NodeOptions o;
    CHECK_THAT(Msg(LoadConfigFile(file.path(), &o)), Catch::Contains("enable only one"));
  }
}

TEST_CASE("Validate accepts the three proofs and refuses others", "[pos]") {
  for (const char* proof : {"pow", "pom", "pos"}) {
    NodeOptions o = ValidatorOnly(proof);
    o.validator.memory = 1 << 20;
    o.validator.disk = 1 << 20;
    CAPTURE(proof);
    CHECK(o.Validate().ok());
  }
  NodeOptions o = ValidatorOnly("pox");
  CHECK_THAT(Msg(o.Validate()), Catch::Contains("expected pow, pom or pos"));
  o = ValidatorOnly("pos");
  o.validator.threads_io = 0;
  CHECK_THAT(Msg(o.Validate()), Catch::Contains("threads_io"));
}

TEST_CASE("Validate refuses memory budgets the machine cannot meet", "[pos]") {
  NodeOptions o = ValidatorOnly("pom");
  o.validator.memory = 0;
  CHECK_THAT(Msg(o.Validate()), Catch::Contains("validator.proof_pom.memory (--memory)"));
  o.validator.memory = uint64_t{1} << 50;  // 1 PiB
  const std::string more = Msg(o.Validate());
  CHECK_THAT(more, Catch::Contains("validator.proof_pom.memory"));
  CHECK_THAT(more, Catch::Contains("is more than this machine's RAM"));
  // Not checked when no validator runs here.
  o.roles = {Role::kPool, Role::kChain, Role::kMetronome};
  CHECK(o.Validate().ok());
}

TEST_CASE("Validate refuses vault budgets the machine cannot meet", "[pos]") {
  NodeOptions o = ValidatorOnly("pos");
  o.validator.vault = (std::filesystem::temp_directory_path() / "no" / "such" / "vault.dsc").string();
  o.validator.disk = 0;
  CHECK_THAT(Msg(o.Validate()), Catch::Contains("validator.proof_pos: disk must be a positive"));
  o.validator.disk = uint64_t{1} << 30;
  o.validator.buckets = 300;
  CHECK_THAT(Msg(o.Validate()), Catch::Contains("buckets must be a power of two"));
  o.validator.buckets = 1024;
  o.validator.cup_size = 1024;
  o.validator.cups_per_bucket = 1024;
  CHECK_THAT(Msg(o.Validate()), Catch::Contains("does not fit in disk"));
  // More than the free disk: 65536 buckets x 64000 cups x 256 records = 16 TiB.
  o.validator.disk = uint64_t{17} << 40;
  o.validator.buckets = 65536;
  o.validator.cup_size = 256;
  o.validator.cups_per_bucket = 64000;
  const std::string disk = Msg(o.Validate());
  CHECK_THAT(disk, Catch::Contains("validator.proof_pos.disk (--disk): the vault needs"));
  CHECK_THAT(disk, Catch::Contains("are free in"));
  // More RAM than the machine has: 2^24 buckets of a 64 Mi-record cup each.
  o.validator.buckets = uint64_t{1} << 24;
  o.validator.cup_size = uint64_t{1} << 26;
  o.validator.cups_per_bucket = 1;
  o.validator.disk = uint64_t{16777215} << 40;
  CHECK_THAT(Msg(o.Validate()), Catch::Contains("of RAM"));
}

TEST_CASE("metronome.solve_target is read from the config and bounded by the block time",
          "[pos]") {
  TempFile file("metronome:\n  block_time: 2s\n  solve_target: 250ms\n");
  NodeOptions o;
  REQUIRE(LoadConfigFile(file.path(), &o).ok());
  CHECK(o.block_time == absl::Seconds(2));
  CHECK(o.solve_target == absl::Milliseconds(250));
  o.roles = {Role::kMetronome};
  o.chain_address = o.pool_address = "127.0.0.1:1";
  o.data_dir = std::filesystem::temp_directory_path().string();
  CHECK(o.Validate().ok());
  o.solve_target = absl::Seconds(3);
  CHECK(Msg(o.Validate()).find("metronome.solve_target") != std::string::npos);

  TempFile bad("metronome:\n  solve_target: soon\n");
  NodeOptions refused;
  const absl::Status s = LoadConfigFile(bad.path(), &refused);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Msg(s).find("solve_target") != std::string::npos);
}

}  // namespace
}  // namespace dsc::node
