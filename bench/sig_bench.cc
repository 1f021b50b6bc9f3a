// sig-bench: Ed25519 verifications per second, libsodium one at a time against dscd's
// verifier (crypto/ed25519.h) one at a time and in batches, on one core and on all cores.
//
//   sig-bench [--seconds=1] [--batch=64] [--keys=1,8,64] [--message_bytes=120] [--batch_only]
//
// --keys lists how many distinct signers a batch holds (a batch merges the terms of
// signatures that share a key, so fewer keys is faster; keys seen lately are cached per
// thread, and with --keys equal to --batch a row with keys never seen before is added).
// Every verification is checked.
#include <sodium.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "crypto/crypto.h"
#include "crypto/ed25519.h"

ABSL_FLAG(double, seconds, 1.0, "seconds per measurement");
ABSL_FLAG(int, batch, 64, "signatures per batch");
ABSL_FLAG(std::string, keys, "1,8,64", "distinct signing keys per batch, comma-separated");
ABSL_FLAG(int, message_bytes, 120, "bytes per signed message (a transaction signs ~120)");
ABSL_FLAG(bool, batch_only, false, "measure only dscd's batches (e.g. to profile them)");

namespace dsc {
namespace {

struct Corpus {
  std::vector<crypto::PublicKey> keys;
  std::vector<std::vector<uint8_t>> messages;
  std::vector<crypto::Signature> signatures;
  std::vector<crypto::SignedMessage> items;
};

Corpus MakeCorpus(int count, int distinct_keys, int message_bytes) {
  Corpus c;
  std::vector<crypto::KeyPair> signers;
  for (int i = 0; i < distinct_keys; ++i) signers.push_back(crypto::KeyPair::Generate());
  c.keys.resize(count);
  c.messages.resize(count);
  c.signatures.resize(count);
  for (int i = 0; i < count; ++i) {
    const crypto::KeyPair& kp = signers[i % distinct_keys];
    c.keys[i] = kp.public_key;
    c.messages[i].resize(message_bytes);
    crypto::RandomBytes(absl::MakeSpan(c.messages[i]));
    c.signatures[i] = crypto::Sign(kp, absl::MakeConstSpan(c.messages[i]));
  }
  for (int i = 0; i < count; ++i) {
    c.items.push_back({&c.keys[i], absl::MakeConstSpan(c.messages[i]), &c.signatures[i]});
  }
  return c;
}

// Runs `round` (which verifies `per_round` signatures and returns false on any failure) on
// `threads` threads for `seconds`; returns verifications per second, or -1 on a failure.
double Rate(int threads, double seconds, int per_round, const std::function<bool()>& round) {
  std::atomic<int64_t> total{0};
  std::atomic<bool> ok{true};
  const absl::Time start = absl::Now();
  auto work = [&] {
    int64_t n = 0;
    while (absl::Now() - start < absl::Seconds(seconds)) {
      if (!round()) ok = false;
      n += per_round;
    }
    total += n;
  };
  std::vector<std::thread> others;
  for (int t = 1; t < threads; ++t) others.emplace_back(work);
  work();
  for (auto& t : others) t.join();
  if (!ok) return -1;
  return static_cast<double>(total.load()) / absl::ToDoubleSeconds(absl::Now() - start);
}

int Run() {
  if (!crypto::Init().ok()) return 1;
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const int batch = absl::GetFlag(FLAGS_batch);
  const int message_bytes = absl::GetFlag(FLAGS_message_bytes);
  std::vector<int> key_counts;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_keys), ',')) {
    int k = 0;
    if (!absl::SimpleAtoi(part, &k) || k < 1 || k > batch) {
      std::fprintf(stderr, "--keys: '%s' is not a count between 1 and --batch\n",
                   std::string(part).c_str());
      return 2;
    }
    key_counts.push_back(k);
  }
  if (batch < 1) {
    std::fprintf(stderr, "--batch must be at least 1\n");
    return 2;
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf("Ed25519 verifications/s (%d-byte messages, %.1f s each, batches of %d)\n",
              message_bytes, seconds, batch);
  std::printf("%-34s %14s %14s\n", "", "1 core", absl::StrCat(cores, " cores").c_str());
  bool failed = false;
  auto row = [&](const std::string& name, int per_round, const std::function<bool()>& round) {
    const double one = Rate(1, seconds, per_round, round);
    const double all = Rate(cores, seconds, per_round, round);
    failed |= one < 0 || all < 0;
    std::printf("%-34s %14.0f %14.0f\n", name.c_str(), one, all);
    return one;
  };
  for (int k : key_counts) {
    const Corpus c = MakeCorpus(batch, k, message_bytes);
    std::printf("-- %d distinct key%s per batch\n", k, k == 1 ? "" : "s");
    const bool batch_only = absl::GetFlag(FLAGS_batch_only);
    double sodium = 0, single = 0;
    if (!batch_only) {
      sodium = row("libsodium, one at a time", batch, [&] {
        bool good = true;
        for (int i = 0; i < batch; ++i) {
          good &= crypto_sign_verify_detached(c.signatures[i].data(), c.messages[i].data(),
                                              c.messages[i].size(), c.keys[i].data()) == 0;
        }
        return good;
      });
      single = row("dscd, one at a time", batch, [&] {
        bool good = true;
        for (int i = 0; i < batch; ++i) {
          good &= crypto::Verify(c.keys[i], absl::MakeConstSpan(c.messages[i]), c.signatures[i]);
        }
        return good;
      });
    }
    const double batched = row(absl::StrCat("dscd, batches of ", batch), batch,
                               [&] { return crypto::VerifyBatch(c.items); });
    if (k == batch) {
      // The rows above reuse one batch, so its keys stay in the verifier's per-thread key
      // cache; here every batch of a 64-batch rotation has keys of its own (4096 keys with
      // batches of 64, far more than the cache's 256 slots).
      std::vector<Corpus> rotation;
      for (int r = 0; r < 64; ++r) rotation.push_back(MakeCorpus(batch, k, message_bytes));
      std::atomic<int> next{0};
      row(absl::StrCat("dscd, batches of ", batch, ", new keys"), batch, [&] {
        return crypto::VerifyBatch(rotation[next.fetch_add(1) % rotation.size()].items);
      });
    }
    if (!batch_only) {
      std::printf("   one core: batch %.2fx libsodium, single %.2fx libsodium\n",
                  batched / sodium, single / sodium);
    }
  }
  if (failed) {
    std::fprintf(stderr, "a valid signature was refused\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace dsc

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return dsc::Run();
}
