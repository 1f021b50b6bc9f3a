// The shared nodes of the service tests, stopped by a Catch2 listener when the run ends
// (not by static destructors, which would race gRPC's own shutdown).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <mutex>

#include "service/service_fixture.h"

namespace dsc::service_test {
namespace {

std::mutex g_mu;
std::unique_ptr<TestNode> g_all_roles;
std::unique_ptr<TestNode> g_metronome;
std::atomic<uint32_t> g_next_key{1};

struct StopNodes : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunEnded(const Catch::TestRunStats&) override {
    std::lock_guard<std::mutex> lock(g_mu);
    g_all_roles.reset();
    g_metronome.reset();
  }
};
CATCH_REGISTER_LISTENER(StopNodes)

}  // namespace

TestNode& AllRolesNode() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_all_roles == nullptr) {
    g_all_roles = std::make_unique<TestNode>(
        std::set<node::Role>{node::Role::kPool, node::Role::kChain, node::Role::kMetronome,
                             node::Role::kValidator},
        absl::Milliseconds(300));
  }
  return *g_all_roles;
}

TestNode& MetronomeNode() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_metronome == nullptr) {
    g_metronome = std::make_unique<TestNode>(
        std::set<node::Role>{node::Role::kPool, node::Role::kChain, node::Role::kMetronome},
        absl::Milliseconds(700));
  }
  return *g_metronome;
}

crypto::KeyPair FreshKey() {
  const uint32_t index = g_next_key.fetch_add(1);
  REQUIRE(index <= kFundedKeys);
  return TestKey(index);
}

}  // namespace dsc::service_test
