// Every genuine AWS document in ../shared/testdata/attestation verifies at its
// verification_time, and every decoded field equals its .json sidecar.
#include <gtest/gtest.h>

#include <algorithm>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/report_json.hpp"
#include "enclavectl/verifier/verify.hpp"
#include "test_paths.hpp"

namespace enclavectl::verifier {
namespace {

using testing::ReadBytes;
using testing::ReadJson;
using testing::TestdataDir;

std::vector<std::string> GenuineNames() {
  std::vector<std::string> out;
  for (const auto& path : testing::FilesWithSuffix(TestdataDir() / "attestation", ".cbor")) {
    out.push_back(path.stem().string());
  }
  return out;
}

nlohmann::json OptionalHexJson(const std::optional<core::Bytes>& value) {
  return value ? nlohmann::json(core::HexEncode(*value)) : nlohmann::json(nullptr);
}

class GenuineDocument : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto dir = TestdataDir() / "attestation";
    doc_ = ReadBytes(dir / (GetParam() + ".cbor"));
    meta_ = ReadJson(dir / (GetParam() + ".json"));
    auto root = TrustAnchor::AwsNitroRoot();
    ASSERT_TRUE(root) << root.error().detail;
    root_.emplace(std::move(*root));
  }

  VerificationPolicy AtVerificationTime() const {
    VerificationPolicy policy;
    policy.time = core::UnixMillis{meta_["verification_time"].get<std::int64_t>() * 1000};
    policy.allow_debug = meta_["debug_mode_pcr0_2_zero"].get<bool>();
    return policy;
  }

  core::Bytes doc_;
  nlohmann::json meta_;
  std::optional<TrustAnchor> root_;
};

TEST_P(GenuineDocument, FileMatchesItsSidecar) {
  EXPECT_EQ(doc_.size(), meta_["size"].get<std::size_t>());
  EXPECT_EQ(core::HexEncode(core::Sha256(doc_)), meta_["sha256"]);
}

TEST_P(GenuineDocument, VerifiesAtItsVerificationTime) {
  const VerifierConfig config{&*root_, nullptr};
  const VerificationReport report = Verify(doc_, config, AtVerificationTime());
  ASSERT_EQ(report.verdict, Verdict::kAccepted)
      << core::ErrorCodeName(report.error->code) << ": " << report.error->detail;
  EXPECT_FALSE(report.error);
  EXPECT_TRUE(report.root_is_aws);
  // Cold: four chain signatures (the root is pinned, not re-verified) and the COSE one.
  EXPECT_EQ(report.signatures_verified, 5);
  for (const Check& check : report.checks) {
    EXPECT_NE(check.status, CheckStatus::kFail) << check.name;
  }
  EXPECT_EQ(report.Find("chain")->status, CheckStatus::kPass);
  EXPECT_EQ(report.Find("signature")->status, CheckStatus::kPass);
  EXPECT_EQ(report.Find("pcrs")->status, CheckStatus::kSkipped);
}

TEST_P(GenuineDocument, VerifiesAtItsOwnTimestamp) {
  VerificationPolicy policy;
  policy.time_source = TimeSource::kDocument;
  policy.allow_debug = meta_["debug_mode_pcr0_2_zero"].get<bool>();
  const VerificationReport report = Verify(doc_, VerifierConfig{&*root_, nullptr}, policy);
  EXPECT_EQ(report.verdict, Verdict::kAccepted);
  EXPECT_EQ(report.verification_time.value, meta_["timestamp_ms"].get<std::int64_t>());
  EXPECT_EQ(report.Find("freshness")->status, CheckStatus::kSkipped);
}

TEST_P(GenuineDocument, DecodedFieldsEqualTheSidecar) {
  auto parsed = DecodeAttestation(doc_);
  ASSERT_TRUE(parsed) << parsed.error().detail;
  ASSERT_TRUE(ValidateAttestation(*parsed));
  const AttestationDocument& doc = parsed->doc;
  EXPECT_EQ(doc.module_id, meta_["module_id"]);
  EXPECT_EQ(doc.digest, meta_["digest"]);
  EXPECT_EQ(doc.timestamp_ms, meta_["timestamp_ms"].get<std::uint64_t>());
  EXPECT_EQ(doc.pcrs.size(), meta_["pcr_count"].get<std::size_t>());
  ASSERT_EQ(doc.pcrs.size(), meta_["pcrs"].size());
  for (const auto& [index, value] : doc.pcrs) {
    EXPECT_EQ(core::HexEncode(value), meta_["pcrs"][std::to_string(index)]) << "PCR" << index;
  }
  EXPECT_EQ(OptionalHexJson(doc.user_data), meta_["user_data"]);
  EXPECT_EQ(OptionalHexJson(doc.nonce), meta_["nonce"]);
  EXPECT_EQ(OptionalHexJson(doc.public_key), meta_["public_key"]);
  EXPECT_EQ(doc.cabundle.size(), meta_["cabundle_len"].get<std::size_t>());
  EXPECT_EQ(IsDebugMode(doc.pcrs), meta_["debug_mode_pcr0_2_zero"].get<bool>());
  EXPECT_EQ(parsed->payload_indefinite, GetParam().find("_indef") != std::string::npos);
  EXPECT_FALSE(parsed->cose.tagged);
}

TEST_P(GenuineDocument, ChainEqualsTheSidecar) {
  const VerificationReport report =
      Verify(doc_, VerifierConfig{&*root_, nullptr}, AtVerificationTime());
  const nlohmann::json& chain = meta_["chain"];
  ASSERT_EQ(report.chain.size(), chain.size());
  for (std::size_t i = 0; i < chain.size(); ++i) {
    EXPECT_EQ(report.chain[i].subject, chain[i]["subject"]) << i;
    EXPECT_EQ(report.chain[i].not_before * 1000,
              core::ParseTime(chain[i]["not_before"].get<std::string>())->value)
        << i;
    EXPECT_EQ(report.chain[i].not_after * 1000,
              core::ParseTime(chain[i]["not_after"].get<std::string>())->value)
        << i;
  }
}

// Genuine leaves live about three hours: at the current time every document has expired.
TEST_P(GenuineDocument, FailsAtTheCurrentTimeAsExpired) {
  VerificationPolicy policy = AtVerificationTime();
  policy.time = core::io::SystemClock().Now();
  const VerificationReport report = Verify(doc_, VerifierConfig{&*root_, nullptr}, policy);
  EXPECT_EQ(report.verdict, Verdict::kRejected);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, core::ErrorCode::kCertExpired);
  EXPECT_EQ(report.Find("chain")->status, CheckStatus::kFail);
  // The signature itself is still genuine; the report says so separately.
  EXPECT_EQ(report.Find("signature")->status, CheckStatus::kPass);
  // A stored document: the hint (a `hint:` line apart from the message) says how to verify it.
  EXPECT_EQ(report.hint, "stored document? verify it at its own time with --at doc");
  EXPECT_EQ(report.error->detail.find("--at doc"), std::string::npos) << report.error->detail;
  // Without a report to carry it, VerifyDocument's error keeps the hint in its message.
  auto verified = VerifyDocument(doc_, VerifierConfig{&*root_, nullptr}, policy);
  ASSERT_FALSE(verified);
  EXPECT_NE(verified.error().detail.find("with --at doc"), std::string::npos);
  // Its chain failed: its PCRs are not verified.
  EXPECT_FALSE(report.ContentVerified());
  const nlohmann::json json = ReportToJson(report);
  EXPECT_EQ(json["document"]["verified"], false);
  EXPECT_EQ(json["document"]["pcrs_verified"]["0"], false);
  EXPECT_EQ(json["verification_time"]["source"], "given");
}

// At its own time it verifies, and the JSON marks its contents verified.
TEST_P(GenuineDocument, AcceptedDocumentsHaveVerifiedPcrs) {
  VerificationPolicy policy = AtVerificationTime();
  policy.time_source = TimeSource::kDocument;
  const VerificationReport report = Verify(doc_, VerifierConfig{&*root_, nullptr}, policy);
  ASSERT_EQ(report.verdict, Verdict::kAccepted) << report.error->detail;
  EXPECT_TRUE(report.ContentVerified());
  EXPECT_TRUE(report.verification_time_known);
  const nlohmann::json json = ReportToJson(report);
  EXPECT_EQ(json["document"]["verified"], true);
  for (const auto& [index, verified] : json["document"]["pcrs_verified"].items()) {
    EXPECT_EQ(verified, true) << index;
  }
  EXPECT_EQ(json["document"]["pcrs_verified"].size(), json["document"]["pcrs"].size());
}

// A tampered document (one byte of a PCR changed): the signature fails and every PCR it
// claims is marked unverified.
TEST_P(GenuineDocument, TamperedPcrsAreUnverified) {
  core::Bytes tampered = doc_;
  auto parsed = DecodeAttestation(doc_);
  ASSERT_TRUE(parsed);
  const core::Bytes& pcr0 = parsed->doc.pcrs.at(0);
  auto it = std::search(tampered.begin(), tampered.end(), pcr0.begin(), pcr0.end());
  ASSERT_NE(it, tampered.end());
  *(it + static_cast<std::ptrdiff_t>(pcr0.size() - 1)) ^= 0x01;
  VerificationPolicy policy = AtVerificationTime();
  policy.time_source = TimeSource::kDocument;
  const VerificationReport report = Verify(tampered, VerifierConfig{&*root_, nullptr}, policy);
  EXPECT_EQ(report.verdict, Verdict::kRejected);
  EXPECT_EQ(report.Find("signature")->status, CheckStatus::kFail);
  EXPECT_FALSE(report.ContentVerified());
  const nlohmann::json json = ReportToJson(report);
  EXPECT_EQ(json["document"]["verified"], false);
  EXPECT_EQ(json["document"]["pcrs_verified"]["0"], false);
}

// A document that cannot be decoded was not verified at any time: no 1970-01-01.
TEST_P(GenuineDocument, MalformedDocumentHasNoVerificationTime) {
  const core::Bytes truncated(doc_.begin(), doc_.begin() + static_cast<long>(doc_.size() / 2));
  VerificationPolicy policy = AtVerificationTime();
  policy.time_source = TimeSource::kDocument;
  const VerificationReport report = Verify(truncated, VerifierConfig{&*root_, nullptr}, policy);
  EXPECT_EQ(report.verdict, Verdict::kMalformed);
  EXPECT_FALSE(report.verification_time_known);
  EXPECT_FALSE(report.ContentVerified());
  const nlohmann::json json = ReportToJson(report);
  EXPECT_TRUE(json["verification_time"].is_null()) << json["verification_time"].dump();
}

TEST_P(GenuineDocument, HexAndBase64InputsDecodeToTheSameBytes) {
  const std::string hex = core::HexEncode(doc_);
  auto from_hex = DecodeDocumentInput(core::AsBytes(hex + "\n"));
  ASSERT_TRUE(from_hex);
  EXPECT_EQ(from_hex->encoding, InputEncoding::kHex);
  EXPECT_EQ(from_hex->cbor, doc_);
  std::string b64 = core::Base64Encode(doc_);
  for (std::size_t i = 76; i < b64.size(); i += 77) {
    b64.insert(i, "\n");  // PEM-style line breaks
  }
  auto from_b64 = DecodeDocumentInput(core::AsBytes(b64));
  ASSERT_TRUE(from_b64);
  EXPECT_EQ(from_b64->encoding, InputEncoding::kBase64);
  EXPECT_EQ(from_b64->cbor, doc_);
  auto binary = DecodeDocumentInput(doc_);
  ASSERT_TRUE(binary);
  EXPECT_EQ(binary->encoding, InputEncoding::kBinary);
}

// Every proper prefix of a document is truncated input; none crashes or is accepted.
TEST_P(GenuineDocument, EveryTruncationIsRejected) {
  const std::size_t step = GetParam() == "evervault_2022-10-13_valid" ? 1 : 97;
  for (std::size_t len = 0; len < doc_.size(); len += step) {
    auto parsed = DecodeAttestation(core::ByteView(doc_).first(len));
    ASSERT_FALSE(parsed) << len;
    EXPECT_EQ(parsed.error().code, core::ErrorCode::kTruncated) << len;
  }
}

INSTANTIATE_TEST_SUITE_P(Attestation, GenuineDocument, ::testing::ValuesIn(GenuineNames()),
                         [](const auto& param) { return testing::TestName(param.param); });

TEST(GenuineSet, HasAllFourteenDocuments) { EXPECT_EQ(GenuineNames().size(), 14U); }

}  // namespace
}  // namespace enclavectl::verifier
