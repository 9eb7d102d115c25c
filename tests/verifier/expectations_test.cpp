// verify's flag values -> mode, expectations, policy (verifier/expectations.hpp).
#include "enclavectl/verifier/expectations.hpp"

#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

const std::string kPcr0 = std::string(96, 'a');
const core::UnixMillis kNow{1'700'000'000'000};

VerifyFlagValues DocFlags() {
  VerifyFlagValues flags;
  flags.doc_path = "doc.cbor";
  flags.expect_pcr0_hex = kPcr0;
  return flags;
}

// A usage error (kInvalidArgument) whose detail starts with `prefix`.
template <typename T>
void ExpectUsage(const core::Result<T>& result, const std::string& prefix) {
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().detail.rfind(prefix, 0), 0U) << result.error().detail;
}

TEST(VerifyFlags, ModeNeedsAnImageExpectationOrAnyImage) {
  VerifyFlagValues flags;
  flags.doc_path = "doc.cbor";
  ExpectUsage(SelectVerifyMode(flags), "no expectation about the image");
  EXPECT_EQ(SelectVerifyMode(flags).error().detail, NoImageExpectationError().detail);
  flags.any_image = true;
  ASSERT_TRUE(SelectVerifyMode(flags));
  EXPECT_EQ(*SelectVerifyMode(flags), VerifyMode::kDoc);
  for (auto set : {+[](VerifyFlagValues& f) { f.expect_pcr = {"0=" + kPcr0}; },
                   +[](VerifyFlagValues& f) { f.expect_pcr0_hex = kPcr0; },
                   +[](VerifyFlagValues& f) { f.expect_pcrs_path = "pcr.json"; },
                   +[](VerifyFlagValues& f) { f.verify_build_path = "a.eif"; }}) {
    VerifyFlagValues both = flags;
    set(both);
    ExpectUsage(SelectVerifyMode(both), "--any-image contradicts");
    both.any_image = false;
    EXPECT_TRUE(SelectVerifyMode(both));
  }
}

TEST(VerifyFlags, BundleAloneMayLackAnImageExpectation) {
  VerifyFlagValues flags;
  flags.bundle_path = "evidence.zip";
  ASSERT_TRUE(SelectVerifyMode(flags));
  EXPECT_EQ(*SelectVerifyMode(flags), VerifyMode::kBundle);
}

TEST(VerifyFlags, ModeCombinations) {
  VerifyFlagValues flags = DocFlags();
  flags.url = "https://x";
  ExpectUsage(SelectVerifyMode(flags), "give one of --doc, --url and --targets");
  VerifyFlagValues none;
  ExpectUsage(SelectVerifyMode(none), "nothing to verify");
  VerifyFlagValues live = DocFlags();
  live.doc_path.clear();
  live.url = "https://x";
  live.expect_nonce_hex = "00";
  ExpectUsage(SelectVerifyMode(live), "--at, --expect-key");
  live.expect_nonce_hex.clear();
  EXPECT_EQ(*SelectVerifyMode(live), VerifyMode::kLive);
  live.region = "us-east-1";
  ExpectUsage(SelectVerifyMode(live), "--region, --endpoint-url and --profile");
  VerifyFlagValues doc = DocFlags();
  doc.expect_blockhash = std::string(64, '0');
  ExpectUsage(SelectVerifyMode(doc), "--expect-kms-key and --expect-blockhash");
  doc = DocFlags();
  doc.bundle_path = "b.zip";
  ExpectUsage(SelectVerifyMode(doc), "--bundle records a live visit");
  doc = DocFlags();
  doc.insecure_tls = true;
  ExpectUsage(SelectVerifyMode(doc), "--insecure-tls goes with");
  doc = DocFlags();
  doc.check_key_policy = true;
  ExpectUsage(SelectVerifyMode(doc), "--check-key-policy goes with --url");
}

TEST(VerifyFlags, PcrFlagsParseErrors) {
  VerifyFlagValues flags = DocFlags();
  flags.expect_pcr = {"x=00"};
  ExpectUsage(BuildExpectations(flags, {}), "--expect-pcr: ");
  flags = DocFlags();
  flags.expect_pcr0_hex = "zz";
  ExpectUsage(BuildExpectations(flags, {}), "--expect-pcr0: ");
  flags = DocFlags();
  flags.expect_pcr = {"3=" + std::string(96, 'b')};
  auto ok = BuildExpectations(flags, {});
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(core::HexEncode(ok->required_pcrs.at(0)), kPcr0);
  EXPECT_EQ(ok->required_pcrs.size(), 2U);
}

TEST(VerifyFlags, SourcesAreCalledOnlyWhenGivenAndTheirErrorsPassThrough) {
  VerifyFlagSources sources;
  sources.pcr_file = []() -> core::Result<std::vector<PcrSet>> {
    return core::Fail(ErrorCode::kPolicyInvalid, "pcr.json: bad");
  };
  sources.build = []() -> core::Result<std::vector<PcrSet>> {
    return std::vector<PcrSet>{PcrSet{{1, core::Bytes(48, 1)}, {2, core::Bytes(48, 2)}}};
  };
  VerifyFlagValues flags = DocFlags();
  EXPECT_TRUE(BuildExpectations(flags, sources));
  flags.expect_pcrs_path = "pcr.json";
  auto failed = BuildExpectations(flags, sources);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kPolicyInvalid);
  EXPECT_EQ(failed.error().detail, "pcr.json: bad");
  flags = DocFlags();
  flags.verify_build_path = "a.eif";
  auto built = BuildExpectations(flags, sources);
  ASSERT_TRUE(built);
  EXPECT_EQ(built->required_pcrs.size(), 3U);
  EXPECT_TRUE(built->allowed_pcr_sets.empty());
}

TEST(VerifyFlags, MaxAgeKmsKeyAndBlockhash) {
  VerifyFlagValues flags = DocFlags();
  flags.max_age = "soon";
  ExpectUsage(BuildExpectations(flags, {}), "--max-age: ");
  flags.max_age = "90s";
  EXPECT_EQ(BuildExpectations(flags, {})->max_age_ms, 90'000);
  VerifyFlagSources sources;
  sources.is_kms_key_arn = [](const std::string& arn) { return arn == "arn:good"; };
  flags.expect_kms_key = "arn:bad";
  ExpectUsage(BuildExpectations(flags, sources), "--expect-kms-key must be a key ARN");
  ExpectUsage(BuildExpectations(flags, {}), "--expect-kms-key must be a key ARN");
  flags.expect_kms_key = "arn:good";
  EXPECT_EQ(BuildExpectations(flags, sources)->kms_key_arn, "arn:good");
  flags.expect_blockhash = "00";
  ExpectUsage(BuildExpectations(flags, sources), "--expect-blockhash must be 64 hex digits");
  flags.expect_blockhash = std::string(64, 'A');
  EXPECT_EQ(BuildExpectations(flags, sources)->blockhash_hex, std::string(64, 'a'));
}

// Issue 14 item 3: --expect-previous-pcr0 needs PCR0 pinned and a live service (or bundle).
TEST(VerifyFlags, ExpectPreviousPcr0NeedsPcr0PinnedAndALiveService) {
  VerifyFlagValues doc = DocFlags();
  doc.expect_previous_pcr0 = "genesis";
  ExpectUsage(SelectVerifyMode(doc), "--expect-previous-pcr0 checks what");
  VerifyFlagValues flags;
  flags.url = "https://enclave.example";
  flags.any_image = true;
  flags.expect_previous_pcr0 = std::string(96, 'B');
  ASSERT_TRUE(SelectVerifyMode(flags));
  ExpectUsage(BuildExpectations(flags, {}), "--expect-previous-pcr0 needs PCR0 pinned");
  flags.any_image = false;
  flags.expect_pcr = {"1=" + kPcr0};  // PCR1 is not PCR0
  ExpectUsage(BuildExpectations(flags, {}), "--expect-previous-pcr0 needs PCR0 pinned");
  VerifyFlagSources sources;
  sources.pcr_file = [] {
    return core::Result<std::vector<PcrSet>>(std::vector<PcrSet>{PcrSet{{1, core::Bytes(48)}}});
  };
  flags.expect_pcrs_path = "pcr.json";  // a set without PCR0
  ExpectUsage(BuildExpectations(flags, sources), "--expect-previous-pcr0 needs PCR0 pinned");
  flags.expect_pcrs_path.clear();
  flags.expect_pcr0_hex = kPcr0;
  auto built = BuildExpectations(flags, {});
  ASSERT_TRUE(built) << built.error().detail;
  EXPECT_EQ(built->previous_pcr0, std::string(96, 'b'));
  flags.expect_previous_pcr0 = "genesis";
  EXPECT_EQ(BuildExpectations(flags, {})->previous_pcr0, "genesis");
  flags.expect_previous_pcr0 = "00";
  ExpectUsage(BuildExpectations(flags, {}), "--expect-previous-pcr0 must be genesis or a PCR0");
  VerifyFlagValues unbound = DocFlags();
  unbound.insecure_allow_unbound_tls = true;
  ExpectUsage(SelectVerifyMode(unbound), "--insecure-allow-unbound-tls goes with");
}

TEST(VerifyFlags, LiveDefaultsMaxAgeAndRecordsTheOptions) {
  VerifyFlagValues flags = DocFlags();
  auto live = BuildLiveExpectations(flags, {}, core::Sha256Digest{});
  ASSERT_TRUE(live);
  EXPECT_EQ(live->expectations.max_age_ms, kDefaultLiveMaxAgeMs);
  EXPECT_EQ(live->recorded["root"]["custom"], false);
  EXPECT_TRUE(live->recorded["verify_build"].is_null());
}

TEST(VerifyFlags, PolicyFlagsParseErrors) {
  VerifyFlagValues flags = DocFlags();
  flags.at = "yesterday";
  ExpectUsage(BuildPolicy(flags, {}, kNow), "--at: ");
  flags.at = "doc";
  EXPECT_EQ(BuildPolicy(flags, {}, kNow)->time_source, TimeSource::kDocument);
  flags.at = "now";
  EXPECT_EQ(BuildPolicy(flags, {}, kNow)->time, kNow);
  flags.expect_key_hex = "xyz";
  ExpectUsage(BuildPolicy(flags, {}, kNow), "--expect-key is not hex");
  flags.expect_key_hex = "05" + std::string(64, '0');
  ExpectUsage(BuildPolicy(flags, {}, kNow), "--expect-key: ");
  flags.expect_key_hex.clear();
  flags.expect_app_key_hex = "0";
  ExpectUsage(BuildPolicy(flags, {}, kNow), "--expect-app-key is not hex");
  flags.expect_app_key_hex.clear();
  flags.expect_app_key_hash_hex = "00";
  ExpectUsage(BuildPolicy(flags, {}, kNow), "--expect-app-key-hash must be 64 hex digits");
  flags.expect_app_key_hash_hex = std::string(64, '1');
  EXPECT_TRUE(BuildPolicy(flags, {}, kNow)->app_key_hash);
  flags.expect_nonce_hex = "q";
  ExpectUsage(BuildPolicy(flags, {}, kNow), "--expect-nonce is not hex");
  flags.expect_nonce_hex = " 0a1b ";
  EXPECT_EQ(*BuildPolicy(flags, {}, kNow)->nonce, (core::Bytes{0x0a, 0x1b}));
}

}  // namespace
}  // namespace enclavectl::verifier
