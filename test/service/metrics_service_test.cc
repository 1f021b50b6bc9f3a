// The Prometheus endpoint of a running node: every local role's figures, consistent with
// what the gRPC services say.
#include <httplib.h>

#include <catch2/catch.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "service/service_fixture.h"

namespace dsc::service_test {
namespace {

// The value of the sample line `name` (exact, labels included) in `text`, or -1.
double Sample(const std::string& text, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() > name.size() && line.substr(0, name.size()) == name &&
        line[name.size()] == ' ') {
      double v = -1;
      if (absl::SimpleAtod(line.substr(name.size() + 1), &v)) return v;
    }
  }
  return -1;
}

TEST_CASE("GET /metrics exposes the chain, pool, metronome and validator", "[service]") {
  TestNode& node = AllRolesNode();
  REQUIRE(node.metrics_port() > 0);
  httplib::Client client("127.0.0.1", node.metrics_port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  const std::string& text = res->body;
  INFO(text);
  dsc::v1::ChainTip tip;
  DSC_REQUIRE_GRPC_OK(node.chain().GetTip(Ctx().get(), {}, &tip));
  const double height = Sample(text, "dsc_chain_height");
  CHECK(height >= 0);
  CHECK(height <= static_cast<double>(tip.header().height()));
  CHECK(Sample(text, "dsc_chain_supply_units") > 0);
  CHECK(Sample(text, "dsc_pool_accepted_total") >= 0);
  CHECK(Sample(text, "dsc_metronome_validators") >= 1);
  CHECK(Sample(text, "dsc_metronome_blocks_total{producer=\"validator\"}") >= 0);
  CHECK(Sample(text, "dsc_validator_rounds_total") >= 0);
  CHECK(text.find("# TYPE dsc_chain_transactions_total counter") != std::string::npos);
  CHECK(client.Get("/nothing-here")->status == 404);
}

}  // namespace
}  // namespace dsc::service_test
