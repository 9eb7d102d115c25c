// The development CA: persistence, renewal, the state directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/app/simulator_config.hpp"
#include "enclavectl/verifier/chain.hpp"
#include "test_paths.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using verifier::devca::DevCa;

constexpr std::int64_t kDay = 86400LL * 1000;

TEST(DevCa, SerializeRoundTripsAndMintsVerifiableDocuments) {
  verifier::devca::Options options;
  options.now = testing::kVirtualNow;
  options.region = "eu-west-1";
  auto ca = DevCa::Create(options);
  ASSERT_TRUE(ca);
  auto restored = DevCa::Deserialize(ca->Serialize());
  ASSERT_TRUE(restored) << restored.error().detail;
  EXPECT_EQ(restored->Cabundle(), ca->Cabundle());
  EXPECT_EQ(restored->GetOptions().region, "eu-west-1");
  auto enclave = restored->StartEnclave(testing::kVirtualNow, 5);
  auto doc = restored->Attest(*enclave, {});
  auto root = verifier::TrustAnchor::FromDer(ca->Root().der);
  verifier::VerificationPolicy policy;
  policy.time = core::UnixMillis{testing::kVirtualNow.value + 5000};
  EXPECT_EQ(verifier::Verify(*doc, verifier::VerifierConfig{&*root, nullptr}, policy).verdict,
            verifier::Verdict::kAccepted);
}

TEST(DevCa, DamagedStateIsRefused) {
  const std::string good = testing::VirtualNitro::Get().Ca().Serialize();
  EXPECT_EQ(DevCa::Deserialize("{}").error().code, ErrorCode::kPolicyInvalid);
  EXPECT_EQ(DevCa::Deserialize("not json").error().code, ErrorCode::kPolicyInvalid);
  nlohmann::json state = nlohmann::json::parse(good);
  // A key that belongs to another certificate.
  nlohmann::json swapped = state;
  swapped["levels"][1]["key"] = state["levels"][2]["key"];
  EXPECT_EQ(DevCa::Deserialize(swapped.dump()).error().code, ErrorCode::kPolicyInvalid);
  // Members of the wrong type are errors, never exceptions (issue 12 item 7: "format": 1 made
  // nlohmann's value() throw type_error).
  for (const char* member : {"format", "region", "instance_id", "levels"}) {
    for (const nlohmann::json& wrong : {nlohmann::json(1), nlohmann::json::array({"x"}),
                                        nlohmann::json::object(), nlohmann::json(nullptr)}) {
      nlohmann::json confused = state;
      confused[member] = wrong;
      EXPECT_EQ(DevCa::Deserialize(confused.dump()).error().code, ErrorCode::kPolicyInvalid)
          << member << " = " << wrong.dump();
    }
  }
  nlohmann::json bad_level = state;
  bad_level["levels"][0] = "not an object";
  EXPECT_EQ(DevCa::Deserialize(bad_level.dump()).error().code, ErrorCode::kPolicyInvalid);
  bad_level["levels"][0] = {{"certificate", 1}, {"key", true}};
  EXPECT_EQ(DevCa::Deserialize(bad_level.dump()).error().code, ErrorCode::kPolicyInvalid);
  // Levels out of order: the chain does not hold.
  nlohmann::json reordered = state;
  std::swap(reordered["levels"][1], reordered["levels"][2]);
  const auto error = DevCa::Deserialize(reordered.dump()).error();
  EXPECT_EQ(error.code, ErrorCode::kCertSignature);
  EXPECT_EQ(error.index, 1);
  nlohmann::json garbage = state;
  garbage["levels"][0]["certificate"] =
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(DevCa::Deserialize(garbage.dump()).error().code, ErrorCode::kCertParse);
}

TEST(DevCa, RenewReissuesExpiringIntermediatesButKeepsTheRoot) {
  verifier::devca::Options options;
  options.now = testing::kVirtualNow;
  auto ca = DevCa::Create(options);
  const std::vector<core::Bytes> before = ca->Cabundle();
  ASSERT_TRUE(ca->Renew(core::UnixMillis{testing::kVirtualNow.value + kDay / 2}));
  EXPECT_EQ(ca->Cabundle(), before);  // nothing near expiry yet
  ASSERT_TRUE(ca->Renew(core::UnixMillis{testing::kVirtualNow.value + 2 * kDay}));
  const std::vector<core::Bytes> after = ca->Cabundle();
  EXPECT_EQ(after[0], before[0]);  // root
  EXPECT_EQ(after[1], before[1]);  // regional: 20 days
  EXPECT_EQ(after[2], before[2]);  // zonal: 6 days
  EXPECT_NE(after[3], before[3]);  // instance: 1 day, reissued
  ASSERT_TRUE(ca->Renew(core::UnixMillis{testing::kVirtualNow.value + 30 * kDay}));
  EXPECT_NE(ca->Cabundle()[1], before[1]);
  EXPECT_EQ(ca->Renew(core::UnixMillis{testing::kVirtualNow.value + 31 * 365 * kDay}).error().code,
            ErrorCode::kCertExpired);
}

TEST(DevCaStore, CreatesOnceThenReloadsTheSameRoot) {
  testing::ScopedTempDir temp;
  const std::string dir = (temp.Path() / "state").string();
  core::io::FixedClock clock(testing::kVirtualNow);
  auto first = LoadOrCreateDevCa(dir, clock);
  ASSERT_TRUE(first) << first.error().detail;
  struct stat st = {};
  ASSERT_EQ(::stat((dir + "/devca.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat((dir + "/root.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644U);
  core::io::FixedClock later(core::UnixMillis{testing::kVirtualNow.value + 3 * kDay});
  auto second = LoadOrCreateDevCa(dir, later);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->Root().der, first->Root().der);
  EXPECT_NE(second->Cabundle()[3], first->Cabundle()[3]);
  EXPECT_EQ(testing::ReadText(dir + "/root.pem"), first->RootPem());
  // A damaged state file is reported, not replaced.
  ASSERT_TRUE(core::io::WriteFileAtomic(dir + "/devca.json", core::AsBytes("{}")));
  EXPECT_EQ(LoadOrCreateDevCa(dir, clock).error().code, ErrorCode::kPolicyInvalid);
  EXPECT_EQ(LoadOrCreateDevCa("/proc/enclavectl-cannot-create", clock).error().code,
            ErrorCode::kIoWrite);
}

// `enclavectl nsm attest` called directly: a document from an enclave booted with the given
// PCRs under the state directory's CA, which that CA's root.pem verifies, nonce included.
TEST(DevCaStore, AttestWithSimulatorSignsUnderTheStoredRoot) {
  testing::ScopedTempDir temp;
  const std::string dir = (temp.Path() / "state").string();
  core::io::FixedClock clock(testing::kVirtualNow);
  SimulatorOptions options;
  options.boot_pcrs[0] = core::Bytes(48, 0x7a);
  const core::Bytes nonce{0x0a, 0x0b};
  auto attested = AttestWithSimulator(dir, options,
                                      AttestationRequest{std::nullopt, nonce, std::nullopt}, clock);
  ASSERT_TRUE(attested) << attested.error().detail;
  EXPECT_FALSE(attested->module_id.empty());
  auto root = verifier::TrustAnchor::FromPem(core::AsBytes(testing::ReadText(dir + "/root.pem")));
  ASSERT_TRUE(root) << root.error().detail;
  verifier::VerificationPolicy policy;
  policy.time = testing::kVirtualNow;
  policy.nonce = nonce;
  policy.required_pcrs[0] = core::Bytes(48, 0x7a);
  const verifier::VerificationReport report =
      verifier::Verify(attested->document, verifier::VerifierConfig{&*root, nullptr}, policy);
  EXPECT_EQ(report.verdict, verifier::Verdict::kAccepted)
      << (report.error ? report.error->detail : std::string());
  EXPECT_EQ(report.document->module_id, attested->module_id);
  EXPECT_EQ(AttestWithSimulator("/proc/enclavectl-cannot-create", options, {}, clock).error().code,
            ErrorCode::kIoWrite);
}

}  // namespace
}  // namespace enclavectl::app
