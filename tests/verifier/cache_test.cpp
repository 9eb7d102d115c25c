// The cache of verified chain prefixes: warm verifications skip chain signatures and only
// inside the validity windows; a cached prefix never vouches for different bytes.
#include <gtest/gtest.h>

#include "enclavectl/verifier/chain.hpp"
#include "test_paths.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::verifier {
namespace {

using testing::kVirtualNow;
using testing::VirtualNitro;

core::Sha256Digest Key(std::uint8_t fill) {
  core::Sha256Digest key{};
  key.fill(fill);
  return key;
}

TEST(ChainCache, WindowIsHalfOpen) {
  ChainCache cache;
  cache.Insert(Key(1), 100, 200);
  EXPECT_FALSE(cache.Contains(Key(1), 99));
  EXPECT_TRUE(cache.Contains(Key(1), 100));
  EXPECT_TRUE(cache.Contains(Key(1), 199));
  EXPECT_FALSE(cache.Contains(Key(1), 200));
  EXPECT_FALSE(cache.Contains(Key(2), 150));
  const ChainCache::Stats stats = cache.GetStats();
  EXPECT_EQ(stats.hits, 2U);
  EXPECT_EQ(stats.misses, 3U);
  EXPECT_EQ(stats.entries, 1U);
  cache.Clear();
  EXPECT_FALSE(cache.Contains(Key(1), 150));
}

TEST(ChainCache, EvictsTheEntryThatExpiresFirst) {
  ChainCache cache(2);
  cache.Insert(Key(1), 0, 300);
  cache.Insert(Key(2), 0, 100);
  cache.Insert(Key(3), 0, 200);
  EXPECT_TRUE(cache.Contains(Key(1), 50));
  EXPECT_FALSE(cache.Contains(Key(2), 50));
  EXPECT_TRUE(cache.Contains(Key(3), 50));
  EXPECT_EQ(cache.GetStats().entries, 2U);
}

TEST(ChainCache, GenuineDocumentWarmCostsOneSignature) {
  const core::Bytes doc = testing::ReadBytes(testing::TestdataDir() / "attestation" /
                                             "evervault_2022-10-13_valid.cbor");
  auto root = TrustAnchor::AwsNitroRoot();
  ChainCache cache;
  VerificationPolicy policy;
  policy.time_source = TimeSource::kDocument;
  const VerifierConfig config{&*root, &cache};
  const VerificationReport cold = Verify(doc, config, policy);
  ASSERT_EQ(cold.verdict, Verdict::kAccepted);
  EXPECT_EQ(cold.signatures_verified, 5);
  EXPECT_EQ(cold.signatures_cached, 0);
  const VerificationReport warm = Verify(doc, config, policy);
  ASSERT_EQ(warm.verdict, Verdict::kAccepted);
  EXPECT_EQ(warm.signatures_verified, 1);  // only the COSE signature
  EXPECT_EQ(warm.signatures_cached, 4);
  // Outside the leaf's window the leaf entry is not used (and the chain fails anyway).
  policy.time_source = TimeSource::kGiven;
  policy.time = core::UnixMillis{(1665662282LL + 10) * 1000};
  EXPECT_EQ(Verify(doc, config, policy).error->code, core::ErrorCode::kCertExpired);
}

TEST(ChainCache, SecondEnclaveOnTheSameInstanceCostsTwoSignatures) {
  const VirtualNitro& nitro = VirtualNitro::Get();
  auto other = nitro.Ca().StartEnclave(kVirtualNow, 0x42);
  ASSERT_TRUE(other);
  ChainCache cache;
  ASSERT_EQ(nitro.Verify(nitro.Mint(), VirtualNitro::PolicyNow(), &cache).signatures_verified, 5);
  auto doc = nitro.Ca().Attest(*other, {});
  const VerificationReport report = nitro.Verify(*doc, VirtualNitro::PolicyNow(), &cache);
  EXPECT_EQ(report.verdict, Verdict::kAccepted);
  EXPECT_EQ(report.signatures_verified, 2);  // its leaf and the COSE signature
  EXPECT_EQ(report.signatures_cached, 3);
}

TEST(ChainCache, PrimedCacheDoesNotHideATamperedCertificate) {
  const VirtualNitro& nitro = VirtualNitro::Get();
  ChainCache cache;
  ASSERT_EQ(nitro.Verify(nitro.Mint(), VirtualNitro::PolicyNow(), &cache).verdict,
            Verdict::kAccepted);
  AttestationDocument doc = nitro.Fields();
  doc.cabundle[3].back() ^= 1;  // the instance certificate's signature
  const VerificationReport report =
      nitro.Verify(nitro.SignPayload(EncodePayload(doc)), VirtualNitro::PolicyNow(), &cache);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, core::ErrorCode::kCertSignature);
  EXPECT_EQ(report.error->index, 3);
}

}  // namespace
}  // namespace enclavectl::verifier
