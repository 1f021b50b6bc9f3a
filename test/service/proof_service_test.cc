// Chain.GetProof over gRPC: proofs of provenance for confirmed and never-confirmed ids,
// anchored in the tip or an older header, checked the way a light client does (the
// anchor header's hash and its provenance_root only); malformed requests are refused.
#include <catch2/catch.hpp>

#include "core/trie.h"
#include "service/service_fixture.h"

namespace dsc::service_test {
namespace {

dsc::v1::GetProofResponse GetProof(TestNode& node, const core::TxId& id, uint64_t height,
                                   grpc::StatusCode expect = grpc::StatusCode::OK) {
  dsc::v1::GetProofRequest req;
  req.set_id(testing::B58(id));
  req.set_height(height);
  dsc::v1::GetProofResponse resp;
  const grpc::Status s = node.chain().GetProof(Ctx().get(), req, &resp);
  INFO("GetProof -> " << static_cast<int>(s.error_code()) << " " << s.error_message());
  REQUIRE(s.error_code() == expect);
  return resp;
}

// Verifies `resp` for `id` as a light client: returns the verdict.
core::TrieProofVerdict Verify(TestNode& node, const core::TxId& id,
                              const dsc::v1::GetProofResponse& resp) {
  auto proof = rpc::FromProto(resp);
  INFO(proof.status().ToString());
  REQUIRE(proof.ok());
  // The anchor is a header of this chain: same hash as the block at that height.
  dsc::v1::GetBlockRequest breq;
  breq.set_height(proof->anchor.height);
  breq.set_raw(true);
  dsc::v1::GetBlockResponse bresp;
  DSC_REQUIRE_GRPC_OK(node.chain().GetBlock(Ctx().get(), breq, &bresp));
  auto block = core::DecodeBlock(bresp.raw());
  REQUIRE(block.ok());
  CHECK(core::ComputeBlockHash(proof->anchor) == core::ComputeBlockHash(block->header));
  CHECK(resp.anchor().provenance_root() == testing::B58(proof->anchor.provenance_root));
  CHECK(resp.hashes() == proof->proof.ShippedHashes());
  auto verdict = core::VerifyTrieProof(proof->anchor.provenance_root, id, proof->proof);
  INFO(verdict.status().ToString());
  REQUIRE(verdict.ok());
  CHECK(verdict->included == resp.included());
  if (verdict->included) {
    CHECK(verdict->value_hash == core::TxProvenanceValue(resp.block_height(), resp.index()));
  }
  return *verdict;
}

TEST_CASE("Chain.GetProof proves a confirmed transaction and the absence of others",
          "[service]") {
  TestNode& node = AllRolesNode();
  const auto a = FreshKey(), b = FreshKey();
  const core::Transaction tx = Tx(a, b, kCoin, 0);
  const core::TxId id = core::ComputeTxId(tx);
  DSC_REQUIRE_GRPC_OK(node.SubmitRaw(tx));
  const uint64_t confirmed = node.WaitConfirmed(tx);
  // Its root is carried by block confirmed + 1.
  while (node.Tip().header().height() <= confirmed) node.WaitNextBlock();

  const auto at_tip = GetProof(node, id, 0);
  CHECK(at_tip.included());
  CHECK(at_tip.block_height() == confirmed);
  CHECK(at_tip.anchor().height() > confirmed);
  CHECK(Verify(node, id, at_tip).included);

  // Anchored in the confirming block itself: not in the chain yet, verifiably.
  const auto before = GetProof(node, id, confirmed);
  CHECK_FALSE(before.included());
  CHECK(before.anchor().height() == confirmed);
  CHECK_FALSE(Verify(node, id, before).included);
  // Anchored in the next block: included.
  CHECK(Verify(node, id, GetProof(node, id, confirmed + 1)).included);

  // A never-confirmed id.
  core::TxId random;
  crypto::RandomBytes(absl::MakeSpan(random));
  const auto absent = GetProof(node, random, 0);
  CHECK_FALSE(absent.included());
  CHECK_FALSE(Verify(node, random, absent).included);

  // A proof for `id` proves nothing about another id, and a tampered one fails.
  auto decoded = rpc::FromProto(at_tip);
  REQUIRE(decoded.ok());
  auto other = core::VerifyTrieProof(decoded->anchor.provenance_root, random, decoded->proof);
  CHECK((!other.ok() || !other->included));
  core::TrieProof tampered = decoded->proof;
  tampered.leaf.value_hash[0] ^= 1;
  CHECK_FALSE(core::VerifyTrieProof(decoded->anchor.provenance_root, id, tampered).ok());

  // The remote client gives the same answer.
  auto remote = rpc::NewRemoteChain(node.client_options());
  auto p = remote->GetProof(id, std::nullopt);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  CHECK(p->included);
  CHECK(p->height == confirmed);
  CHECK(core::VerifyTrieProof(p->anchor.provenance_root, id, p->proof).ok());
}

TEST_CASE("Chain.GetProof refuses malformed ids and unknown anchors", "[service]") {
  TestNode& node = AllRolesNode();
  dsc::v1::GetProofRequest req;
  dsc::v1::GetProofResponse resp;
  req.set_id("not-base58-0OIl");
  DSC_CHECK_GRPC(node.chain().GetProof(Ctx().get(), req, &resp),
                 grpc::StatusCode::INVALID_ARGUMENT, "transaction id");
  req.set_id(B58OfLength(31));
  DSC_CHECK_GRPC(node.chain().GetProof(Ctx().get(), req, &resp),
                 grpc::StatusCode::INVALID_ARGUMENT, "transaction id");
  core::TxId id{};
  req.set_id(testing::B58(id));
  req.set_height(1'000'000'000);
  DSC_CHECK_GRPC(node.chain().GetProof(Ctx().get(), req, &resp), grpc::StatusCode::NOT_FOUND,
                 "no block at height 1000000000");
}

}  // namespace
}  // namespace dsc::service_test
