// The dsc command-line parser, the client config file and address resolution.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "cli/args.h"
#include "cli/config.h"

namespace dsc::cli {
namespace {

ParsedArgs MustParse(const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args);
  REQUIRE(parsed.ok());
  return *parsed;
}

struct TempDir {
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dsc_cli_args_XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string file = path + "/" + name;
    std::ofstream(file) << text;
    return file;
  }
  std::string path;
};

TEST_CASE("flags may appear anywhere between positional arguments", "[cli]") {
  ParsedArgs a = MustParse({"--node=h:1", "wallet", "send", "1.5", "ADDR", "--no-wait",
                            "--fee", "0.25", "--timeout=30s"});
  CHECK(a.positional == std::vector<std::string>{"wallet", "send", "1.5", "ADDR"});
  CHECK(a.Get("node") == "h:1");
  CHECK(a.Get("fee") == "0.25");  // `--name value` form
  CHECK(a.Get("timeout") == "30s");
  CHECK(a.Bool("no-wait"));
  CHECK_FALSE(a.Bool("watch"));
  CHECK_FALSE(a.Has("pool"));
}

TEST_CASE("the flag parser rejects what it does not know", "[cli]") {
  CHECK_FALSE(ParseArgs({"wallet", "--bogus=1"}).ok());
  CHECK_FALSE(ParseArgs({"wallet", "send", "--fee"}).ok());      // value missing
  CHECK_FALSE(ParseArgs({"monitor", "--watch=yes"}).ok());       // bool with a value
  CHECK_FALSE(ParseArgs({"wallet", "-x"}).ok());                 // single-dash option
  CHECK(ParseArgs({"monitor", "--watch=false"}).ok());
  CHECK_FALSE(MustParse({"monitor", "--watch=false"}).Bool("watch"));
}

TEST_CASE("-- ends the flags and -h means help; the last repeat wins", "[cli]") {
  ParsedArgs a = MustParse({"-h", "x", "--", "--node=1", "-5"});
  CHECK(a.Bool("help"));
  CHECK(a.positional == std::vector<std::string>{"x", "--node=1", "-5"});
  CHECK(MustParse({"--node=a:1", "--node=b:2"}).Get("node") == "b:2");
}

TEST_CASE("CheckFlags accepts global flags and the command's own only", "[cli]") {
  ParsedArgs a = MustParse({"--node=h:1", "--wallet-dir=/tmp", "--fee=1"});
  CHECK(CheckFlags(a, {"fee"}, "wallet send").ok());
  absl::Status status = CheckFlags(a, {}, "wallet balance");
  REQUIRE_FALSE(status.ok());
  CHECK(status.message() == "flag --fee does not apply to `dsc wallet balance`");
}

TEST_CASE("address resolution: role flag > --node > config > default", "[cli]") {
  ClientConfig config;
  config.pool = "cfg-pool:1";
  config.chain = "cfg-chain:2";
  config.metronome = "cfg-metronome:3";

  absl::StatusOr<Endpoints> e = ResolveEndpoints(MustParse({}), ClientConfig{});
  REQUIRE(e.ok());
  CHECK(e->pool == kDefaultNodeAddress);
  CHECK(e->validator == kDefaultNodeAddress);

  e = ResolveEndpoints(MustParse({}), config);
  REQUIRE(e.ok());
  CHECK(e->pool == "cfg-pool:1");
  CHECK(e->chain == "cfg-chain:2");
  CHECK(e->metronome == "cfg-metronome:3");
  CHECK(e->validator == kDefaultNodeAddress);

  e = ResolveEndpoints(MustParse({"--node=n:9"}), config);
  REQUIRE(e.ok());
  CHECK(e->pool == "n:9");
  CHECK(e->chain == "n:9");
  CHECK(e->validator == "n:9");

  e = ResolveEndpoints(MustParse({"--node=n:9", "--chain=c:8", "--validator=v:7"}), config);
  REQUIRE(e.ok());
  CHECK(e->pool == "n:9");
  CHECK(e->chain == "c:8");
  CHECK(e->metronome == "n:9");
  CHECK(e->validator == "v:7");

  CHECK_FALSE(ResolveEndpoints(MustParse({"--pool="}), config).ok());
}

TEST_CASE("the config file gives <section>.server and ignores everything else", "[cli]") {
  TempDir dir;
  const std::string path = dir.Write("dsc-config.yaml", R"(
wallet:
  key_file: dsc-key.yaml
pool:
  server: 10.0.0.1:10001
  threads: 2
blockchain:
  server: 10.0.0.2:10000
metronome:
  server: 10.0.0.3:10002
  difficulty: 30
validator:
  proof_pow:
    enable: true
    threads_hash: 2
monitor:
  interval: 2
)");
  absl::StatusOr<ClientConfig> config = LoadClientConfig(path);
  REQUIRE(config.ok());
  CHECK(config->pool == "10.0.0.1:10001");
  CHECK(config->chain == "10.0.0.2:10000");
  CHECK(config->metronome == "10.0.0.3:10002");
  CHECK_FALSE(config->validator.has_value());

  // Found by default in the wallet dir; --config wins.
  CHECK(ResolveConfigPath(MustParse({}), dir.path) == path);
  CHECK(ResolveConfigPath(MustParse({"--config=/x.yaml"}), dir.path) == "/x.yaml");
  CHECK_FALSE(ResolveConfigPath(MustParse({}), dir.path + "/nowhere").has_value());
}

TEST_CASE("a broken config file is an error naming the file and key", "[cli]") {
  TempDir dir;
  absl::StatusOr<ClientConfig> bad = LoadClientConfig(dir.Write("a.yaml", "pool: [unclosed"));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("a.yaml"));

  bad = LoadClientConfig(dir.Write("b.yaml", "pool:\n  server: [1, 2]\n"));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("pool.server"));
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("b.yaml"));

  CHECK(absl::IsNotFound(LoadClientConfig(dir.path + "/missing.yaml").status()));
  CHECK(LoadClientConfig(dir.Write("empty.yaml", "")).ok());
}

TEST_CASE("the wallet dir: --wallet-dir > $DSC_WALLET_DIR > .", "[cli]") {
  CHECK(ResolveWalletDir(MustParse({}), std::nullopt) == ".");
  CHECK(ResolveWalletDir(MustParse({}), std::string("/env")) == "/env");
  CHECK(ResolveWalletDir(MustParse({"--wallet-dir=/flag"}), std::string("/env")) == "/flag");
  CHECK(JoinPath("/a/", "k") == "/a/k");
  CHECK(JoinPath("/a", "k") == "/a/k");
}

}  // namespace
}  // namespace dsc::cli
