// Policy checks on documents minted by the virtual Nitro: PCRs and PCR sets, PCR16 key
// binding, appKeyHash, nonce, freshness and debug mode.
#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using testing::kVirtualNow;
using testing::VirtualNitro;

const core::Bytes kKey =
    *core::HexDecode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
const core::Bytes kOtherKey =
    *core::HexDecode("02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5");

void ExpectRejected(const VerificationReport& report, ErrorCode code, const char* check,
                    int index = -1) {
  EXPECT_EQ(report.verdict, Verdict::kRejected);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, code) << report.error->detail;
  EXPECT_EQ(report.error->index, index);
  ASSERT_NE(report.Find(check), nullptr);
  EXPECT_EQ(report.Find(check)->status, CheckStatus::kFail);
}

TEST(VirtualNitroPolicy, DefaultDocumentIsAcceptedUnderItsRootOnly) {
  const core::Bytes doc = VirtualNitro::Get().Mint();
  const VerificationReport report = VirtualNitro::Get().Verify(doc);
  EXPECT_EQ(report.verdict, Verdict::kAccepted) << report.error->detail;
  EXPECT_FALSE(report.root_is_aws);
  // The AWS root rejects development documents.
  auto aws = TrustAnchor::AwsNitroRoot();
  const VerificationReport under_aws =
      Verify(doc, VerifierConfig{&*aws, nullptr}, VirtualNitro::PolicyNow());
  ExpectRejected(under_aws, ErrorCode::kChainRootMismatch, "root", 0);
}

TEST(VirtualNitroPolicy, TaggedAndIndefiniteDocumentsAreAccepted) {
  devca::DocumentSpec spec;
  spec.tagged = true;
  spec.indefinite_map = true;
  const VerificationReport report = VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(spec));
  EXPECT_EQ(report.verdict, Verdict::kAccepted);
  EXPECT_TRUE(report.cose_tagged);
  EXPECT_TRUE(report.payload_indefinite);
}

TEST(VirtualNitroPolicy, RequiredPcrs) {
  const AttestationDocument fields = VirtualNitro::Get().Fields();
  VerificationPolicy policy = VirtualNitro::PolicyNow();
  policy.required_pcrs[0] = fields.pcrs.at(0);
  policy.required_pcrs[4] = fields.pcrs.at(4);
  const core::Bytes doc = VirtualNitro::Get().Mint();
  EXPECT_EQ(VirtualNitro::Get().Verify(doc, policy).verdict, Verdict::kAccepted);
  policy.required_pcrs[2] = core::Bytes(48, 0x22);
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kPcrMismatch, "pcrs", 2);
  policy.required_pcrs.erase(2);
  policy.required_pcrs[20] = core::Bytes(48, 0);
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kPcrMissing, "pcrs", 20);
}

TEST(VirtualNitroPolicy, AllowedPcrSets) {
  const AttestationDocument fields = VirtualNitro::Get().Fields();
  const core::Bytes doc = VirtualNitro::Get().Mint();
  VerificationPolicy policy = VirtualNitro::PolicyNow();
  PcrSet old_image = {{0, core::Bytes(48, 0x01)}, {1, fields.pcrs.at(1)}};
  PcrSet new_image = {{0, fields.pcrs.at(0)}, {1, fields.pcrs.at(1)}, {2, fields.pcrs.at(2)}};
  policy.allowed_pcr_sets = {old_image, new_image};
  const VerificationReport report = VirtualNitro::Get().Verify(doc, policy);
  EXPECT_EQ(report.verdict, Verdict::kAccepted);
  EXPECT_EQ(report.matched_pcr_set, 1U);
  policy.allowed_pcr_sets = {old_image, {{0, core::Bytes(48, 0x02)}}};
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kPcrSetNoMatch, "pcrs");
  // With a single set the report names the PCR that differs.
  policy.allowed_pcr_sets = {old_image};
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kPcrMismatch, "pcrs", 0);
}

TEST(VirtualNitroPolicy, Pcr16KeyBinding) {
  devca::DocumentSpec spec;
  spec.pcrs = VirtualNitro::Get().Fields().pcrs;
  const core::Sha384Digest bound = KeyBindingPcrValue(kKey);
  (*spec.pcrs)[16] = core::Bytes(bound.begin(), bound.end());
  const core::Bytes doc = VirtualNitro::Get().Mint(spec);
  VerificationPolicy policy = VirtualNitro::PolicyNow();
  policy.key_binding_public_key = kKey;
  EXPECT_EQ(VirtualNitro::Get().Verify(doc, policy).verdict, Verdict::kAccepted);
  policy.key_binding_public_key = kOtherKey;
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kKeyBindingMismatch,
                 "key_binding", 16);
  // PCR16 extended but never locked is absent from the document.
  ExpectRejected(VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(), policy),
                 ErrorCode::kPcrMissing, "key_binding", 16);
}

TEST(VirtualNitroPolicy, AppKeyHashInNitridingUserData) {
  NitridingUserData fields;
  fields.tls_key_hash.fill(0x11);
  fields.app_key_hash = core::Sha256(kKey);
  devca::DocumentSpec spec;
  spec.user_data = EncodeNitridingUserData(fields);
  const core::Bytes doc = VirtualNitro::Get().Mint(spec);
  VerificationPolicy policy = VirtualNitro::PolicyNow();
  policy.app_key_hash = core::Sha256(kKey);
  EXPECT_EQ(VirtualNitro::Get().Verify(doc, policy).verdict, Verdict::kAccepted);
  policy.app_key_hash = core::Sha256(kOtherKey);
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kAppKeyHashMismatch,
                 "app_key_hash");

  fields.app_key_hash.fill(0);
  spec.user_data = EncodeNitridingUserData(fields);
  ExpectRejected(VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(spec), policy),
                 ErrorCode::kAppKeyHashUnset, "app_key_hash");
  spec.user_data = core::Bytes(64, 1);
  ExpectRejected(VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(spec), policy),
                 ErrorCode::kUserDataLayout, "app_key_hash");
  spec.user_data.reset();
  ExpectRejected(VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(spec), policy),
                 ErrorCode::kUserDataLayout, "app_key_hash");
}

TEST(VirtualNitroPolicy, Nonce) {
  devca::DocumentSpec spec;
  spec.nonce = core::Bytes(20, 0x5a);
  const core::Bytes doc = VirtualNitro::Get().Mint(spec);
  VerificationPolicy policy = VirtualNitro::PolicyNow();
  policy.nonce = core::Bytes(20, 0x5a);
  EXPECT_EQ(VirtualNitro::Get().Verify(doc, policy).verdict, Verdict::kAccepted);
  policy.nonce = core::Bytes(20, 0x5b);
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kNonceMismatch, "nonce");
  ExpectRejected(VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(), policy),
                 ErrorCode::kNonceMissing, "nonce");
  spec.nonce = core::Bytes{};
  ExpectRejected(VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(spec), policy),
                 ErrorCode::kNonceMismatch, "nonce");
}

TEST(VirtualNitroPolicy, Freshness) {
  devca::DocumentSpec spec;
  spec.timestamp = core::UnixMillis{kVirtualNow.value + 60 * 1000};
  const core::Bytes doc = VirtualNitro::Get().Mint(spec);
  VerificationPolicy policy;
  policy.time = core::UnixMillis{kVirtualNow.value + 90 * 1000};
  policy.max_age_ms = 60 * 1000;
  EXPECT_EQ(VirtualNitro::Get().Verify(doc, policy).verdict, Verdict::kAccepted);
  policy.max_age_ms = 29 * 1000;
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kDocumentTooOld, "freshness");
  // A document dated more than the tolerated skew after the verification time.
  policy.max_age_ms.reset();
  policy.time = core::UnixMillis{kVirtualNow.value + 1000};
  policy.max_future_skew_ms = 30 * 1000;
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kDocumentFromFuture,
                 "freshness");
  policy.max_future_skew_ms = 60 * 1000;
  const VerificationReport unbounded = VirtualNitro::Get().Verify(doc, policy);
  EXPECT_EQ(unbounded.verdict, Verdict::kAccepted);
  // No --max-age: the age was not judged, so the check is skipped, never "pass".
  ASSERT_NE(unbounded.Find("freshness"), nullptr);
  EXPECT_EQ(unbounded.Find("freshness")->status, CheckStatus::kSkipped);
  EXPECT_NE(unbounded.Find("freshness")->reason.find("no --max-age"), std::string::npos);
}

TEST(VirtualNitroPolicy, DebugModeIsRefusedUnlessAllowed) {
  devca::DocumentSpec spec;
  spec.pcrs = VirtualNitro::Get().Fields().pcrs;
  for (std::uint64_t i = 0; i < 3; ++i) {
    (*spec.pcrs)[i] = core::Bytes(48, 0);
  }
  const core::Bytes doc = VirtualNitro::Get().Mint(spec);
  VerificationPolicy policy = VirtualNitro::PolicyNow();
  ExpectRejected(VirtualNitro::Get().Verify(doc, policy), ErrorCode::kDebugMode, "debug_mode");
  policy.allow_debug = true;
  const VerificationReport report = VirtualNitro::Get().Verify(doc, policy);
  EXPECT_EQ(report.verdict, Verdict::kAccepted);
  EXPECT_EQ(report.insecure, std::vector<std::string>{"allow-debug"});
  // Two zero PCRs out of three is not debug mode.
  (*spec.pcrs)[2] = core::Bytes(48, 1);
  policy.allow_debug = false;
  EXPECT_EQ(VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(spec), policy).verdict,
            Verdict::kAccepted);
}

TEST(VirtualNitroPolicy, EveryFailingCheckIsReportedFirstOneWins) {
  devca::DocumentSpec spec;
  spec.nonce = core::Bytes{1};
  VerificationPolicy policy = VirtualNitro::PolicyNow();
  policy.nonce = core::Bytes{2};
  policy.required_pcrs[0] = core::Bytes(48, 9);
  const VerificationReport report =
      VirtualNitro::Get().Verify(VirtualNitro::Get().Mint(spec), policy);
  EXPECT_EQ(report.error->code, ErrorCode::kPcrMismatch);
  EXPECT_EQ(report.Find("nonce")->status, CheckStatus::kFail);
  EXPECT_EQ(report.Find("pcrs")->status, CheckStatus::kFail);
}

TEST(VirtualNitroPolicy, VerifyDocumentReturnsTheDocumentOrTheError) {
  devca::DocumentSpec spec;
  spec.nonce = core::Bytes{7};
  const core::Bytes doc = VirtualNitro::Get().Mint(spec);
  const VerifierConfig config{&VirtualNitro::Get().Root(), nullptr};
  auto verified = VerifyDocument(doc, config, VirtualNitro::PolicyNow());
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->Document().nonce, core::Bytes{7});
  EXPECT_EQ(verified->VerifiedAt().value, VirtualNitro::PolicyNow().time.value);
  VerificationPolicy policy = VirtualNitro::PolicyNow();
  policy.nonce = core::Bytes{8};
  auto rejected = VerifyDocument(doc, config, policy);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, ErrorCode::kNonceMismatch);
}

TEST(VirtualNitroPolicy, MalformedDocumentSkipsEveryOtherCheck) {
  const VerificationReport report = VirtualNitro::Get().Verify(core::Bytes{0x84, 0x40});
  EXPECT_EQ(report.verdict, Verdict::kMalformed);
  EXPECT_EQ(report.error->code, ErrorCode::kTruncated);
  EXPECT_EQ(report.Find("cose")->status, CheckStatus::kFail);
  for (const Check& check : report.checks) {
    if (check.name != "cose") {
      EXPECT_EQ(check.status, CheckStatus::kSkipped) << check.name;
    }
  }
  EXPECT_FALSE(report.document);
}

}  // namespace
}  // namespace enclavectl::verifier
