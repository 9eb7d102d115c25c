// The NSM simulator: PCR rules (extend, lock, read-only, out of range), DescribeNSM,
// GetRandom, attestation documents that the verifier accepts under the development root
// only, and the device's behaviour on a machine without /dev/nsm.
#include "enclavectl/app/nsm_simulator.hpp"

#include <gtest/gtest.h>

#include "enclavectl/app/nsm_device.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/verify.hpp"
#include "test_paths.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;

class Simulator : public ::testing::Test {
 protected:
  void SetUp() override {
    verifier::devca::Options options;
    options.now = testing::kVirtualNow;
    auto ca = verifier::devca::DevCa::Create(options);
    ASSERT_TRUE(ca);
    root_pem_ = ca->RootPem();
    SimulatorOptions sim_options;
    sim_options.boot_pcrs[0] = Bytes(48, 0xa0);
    sim_options.boot_pcrs[1] = Bytes(48, 0xa1);
    sim_options.boot_pcrs[2] = Bytes(48, 0xa2);
    Boot(std::move(*ca), sim_options);
  }

  void Boot(verifier::devca::DevCa ca, const SimulatorOptions& options) {
    auto sim = NsmSimulator::Boot(std::move(ca), options, clock_);
    ASSERT_TRUE(sim) << sim.error().detail;
    sim_ = std::move(*sim);
    client_.emplace(*sim_);
  }

  verifier::VerificationReport Verify(const Bytes& doc, verifier::VerificationPolicy policy = {}) {
    auto root = verifier::TrustAnchor::FromPem(core::AsBytes(root_pem_));
    policy.time = core::UnixMillis{clock_.Now().value + 1000};
    return verifier::Verify(doc, verifier::VerifierConfig{&*root, nullptr}, policy);
  }

  static int NsmError(const core::Status& status) {
    EXPECT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kNsmError);
    return status.error().index;
  }

  core::io::FixedClock clock_{core::UnixMillis{testing::kVirtualNow.value + 60000}};
  std::string root_pem_;
  std::unique_ptr<NsmSimulator> sim_;
  std::optional<NsmClient> client_;
};

TEST_F(Simulator, BootPcrsAreLocked) {
  auto pcr0 = client_->DescribePcr(0);
  ASSERT_TRUE(pcr0);
  EXPECT_TRUE(pcr0->lock);
  EXPECT_EQ(pcr0->data, Bytes(48, 0xa0));
  auto pcr16 = client_->DescribePcr(16);
  ASSERT_TRUE(pcr16);
  EXPECT_FALSE(pcr16->lock);
  EXPECT_EQ(pcr16->data, Bytes(48, 0));
  EXPECT_EQ(NsmError(client_->DescribePcr(32).map([](auto&&) {})),
            static_cast<int>(NsmErrorCode::kInvalidIndex));
}

TEST_F(Simulator, ExtendFollowsSha384AndLockedPcrsAreReadOnly) {
  auto extended = client_->ExtendPcr(16, Bytes{1, 2, 3});
  ASSERT_TRUE(extended);
  // nsm.md 4: extending a fresh PCR with 01 02 03.
  EXPECT_EQ(core::HexEncode(*extended),
            "cb178fcd3f328244c05c6248723fd068b3a1dda878e1ab8be911098f199958add55d0c27f04826d27b44d9"
            "49a650694e");
  EXPECT_EQ(client_->DescribePcr(16)->data, *extended);
  EXPECT_EQ(NsmError(client_->ExtendPcr(0, Bytes{1}).map([](auto&&) {})),
            static_cast<int>(NsmErrorCode::kReadOnlyIndex));
  EXPECT_EQ(NsmError(client_->ExtendPcr(32, Bytes{1}).map([](auto&&) {})),
            static_cast<int>(NsmErrorCode::kInvalidIndex));
  ASSERT_TRUE(client_->LockPcr(16));
  EXPECT_EQ(NsmError(client_->LockPcr(16)), static_cast<int>(NsmErrorCode::kReadOnlyIndex));
  EXPECT_EQ(NsmError(client_->LockPcr(3)), static_cast<int>(NsmErrorCode::kReadOnlyIndex));
  EXPECT_EQ(NsmError(client_->LockPcr(32)), static_cast<int>(NsmErrorCode::kInvalidIndex));
  EXPECT_EQ(NsmError(client_->ExtendPcr(16, Bytes{4}).map([](auto&&) {})),
            static_cast<int>(NsmErrorCode::kReadOnlyIndex));
  EXPECT_TRUE(client_->ExtendPcr(17, {}));  // empty data is allowed
}

TEST_F(Simulator, LockPcrsAndDescribeNsm) {
  auto before = client_->DescribeNsm();
  ASSERT_TRUE(before);
  EXPECT_EQ(before->locked_pcrs.size(), 16U);
  EXPECT_EQ(before->max_pcrs, 32);
  EXPECT_EQ(before->digest, "SHA384");
  EXPECT_EQ(before->module_id, sim_->ModuleId());
  EXPECT_EQ(before->module_id.rfind("i-", 0), 0U);
  EXPECT_NE(before->module_id.find("-enc"), std::string::npos);
  EXPECT_EQ(NsmError(client_->LockPcrs(33)), static_cast<int>(NsmErrorCode::kInvalidIndex));
  ASSERT_TRUE(client_->LockPcrs(20));
  EXPECT_EQ(client_->DescribeNsm()->locked_pcrs.size(), 20U);
  ASSERT_TRUE(client_->LockPcrs(32));
  EXPECT_EQ(client_->DescribeNsm()->locked_pcrs.size(), 32U);
}

TEST_F(Simulator, GetRandomAndMalformedRequests) {
  auto random = client_->GetRandom();
  ASSERT_TRUE(random);
  EXPECT_EQ(random->size(), 256U);
  EXPECT_NE(*random, *client_->GetRandom());
  // Garbage and unknown requests: InvalidOperation; more than 4 KiB: InputTooLarge.
  for (const Bytes& request : {Bytes{0xff}, Bytes{0x01}, *core::HexDecode("6346756e")}) {
    auto response = DecodeResponse(*sim_->Exchange(request));
    ASSERT_TRUE(response);
    EXPECT_EQ(std::get<ErrorResponse>(*response).code, NsmErrorCode::kInvalidOperation);
  }
  auto big = DecodeResponse(*sim_->Exchange(Bytes(4097, 0)));
  EXPECT_EQ(std::get<ErrorResponse>(*big).code, NsmErrorCode::kInputTooLarge);
  AttestationRequest huge;
  huge.nonce = Bytes(4090, 1);
  EXPECT_EQ(NsmError(client_->Attestation(huge).map([](auto&&) {})),
            static_cast<int>(NsmErrorCode::kInputTooLarge));
}

TEST_F(Simulator, AttestationVerifiesUnderTheDevelopmentRootOnly) {
  AttestationRequest request;
  request.nonce = Bytes(20, 0x33);
  request.user_data = Bytes{};
  request.public_key = std::nullopt;
  auto doc = client_->Attestation(request);
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)[0], 0x84);  // untagged, like hardware
  verifier::VerificationPolicy policy;
  policy.nonce = Bytes(20, 0x33);
  policy.required_pcrs[0] = Bytes(48, 0xa0);
  const verifier::VerificationReport report = Verify(*doc, policy);
  ASSERT_EQ(report.verdict, verifier::Verdict::kAccepted) << report.error->detail;
  EXPECT_EQ(report.document->module_id, sim_->ModuleId());
  EXPECT_EQ(report.document->user_data, Bytes{});  // empty stays empty
  EXPECT_FALSE(report.document->public_key);       // null stays null
  EXPECT_EQ(report.document->pcrs.size(), 16U);
  EXPECT_EQ(report.document->timestamp_ms, static_cast<std::uint64_t>(clock_.Now().value));
  auto aws = verifier::TrustAnchor::AwsNitroRoot();
  EXPECT_EQ(verifier::Verify(*doc, verifier::VerifierConfig{&*aws, nullptr}, policy).error->code,
            ErrorCode::kChainRootMismatch);
}

TEST_F(Simulator, Pcr16AppearsOnceLockedAndBindsTheKey) {
  const Bytes key =
      *core::HexDecode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  const core::Sha256Digest key_hash = core::Sha256(key);
  ASSERT_TRUE(client_->ExtendPcr(16, key_hash));
  auto unlocked = client_->Attestation({});
  EXPECT_EQ(Verify(*unlocked).document->pcrs.count(16), 0U);
  ASSERT_TRUE(client_->LockPcr(16));
  verifier::VerificationPolicy policy;
  policy.key_binding_public_key = key;
  const verifier::VerificationReport report = Verify(*client_->Attestation({}), policy);
  EXPECT_EQ(report.verdict, verifier::Verdict::kAccepted);
  EXPECT_EQ(report.Find("key_binding")->status, verifier::CheckStatus::kPass);
}

TEST_F(Simulator, FieldSizesLenientByDefaultStrictOnRequest) {
  AttestationRequest request;
  request.nonce = Bytes(2000, 1);
  auto lenient = client_->Attestation(request);
  ASSERT_TRUE(lenient);
  // Our verifier holds the documented 1024-byte limit.
  EXPECT_EQ(Verify(*lenient).error->code, ErrorCode::kDocFieldTooLarge);
  auto ca = verifier::devca::DevCa::Deserialize(sim_->Ca().Serialize());
  SimulatorOptions strict;
  strict.strict_field_sizes = true;
  strict.indefinite_payload = true;
  Boot(std::move(*ca), strict);
  EXPECT_EQ(NsmError(client_->Attestation(request).map([](auto&&) {})),
            static_cast<int>(NsmErrorCode::kInvalidArgument));
  request.nonce = Bytes(1024, 1);
  auto doc = client_->Attestation(request);
  ASSERT_TRUE(doc);
  const verifier::VerificationReport report = Verify(*doc);
  EXPECT_TRUE(report.payload_indefinite);
}

TEST_F(Simulator, BootRejectsBadPcrs) {
  auto ca = verifier::devca::DevCa::Deserialize(sim_->Ca().Serialize());
  SimulatorOptions bad;
  bad.boot_pcrs[16] = Bytes(48, 1);
  EXPECT_EQ(NsmSimulator::Boot(std::move(*ca), bad, clock_).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(NsmDevice, UnavailableOutsideAnEnclave) {
  auto missing = NsmDevice::Open("/nonexistent/nsm");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNsmUnavailable);
  // A file that is not the NSM: the ioctl fails.
  auto null_device = NsmDevice::Open("/dev/null");
  ASSERT_TRUE(null_device);
  NsmClient client(**null_device);
  auto described = client.DescribeNsm();
  ASSERT_FALSE(described);
  EXPECT_EQ(described.error().code, ErrorCode::kNsmUnavailable);
  // Oversized requests never reach the driver: InputTooLarge, as its EMSGSIZE.
  auto big = (*null_device)->Exchange(Bytes(5000, 0));
  ASSERT_TRUE(big);
  EXPECT_EQ(std::get<ErrorResponse>(*DecodeResponse(*big)).code, NsmErrorCode::kInputTooLarge);
}

// A transport that answers with fixed bytes, for the client's handling of odd answers.
class CannedTransport : public NsmTransport {
 public:
  explicit CannedTransport(Bytes answer) : answer_(std::move(answer)) {}
  core::Result<Bytes> Exchange(ByteView /*request*/) override { return answer_; }

 private:
  Bytes answer_;
};

TEST(NsmClient, WrongKindOfResponseIsInvalid) {
  CannedTransport transport(EncodeResponse(LockPcrResponse{}));
  NsmClient client(transport);
  auto random = client.GetRandom();
  ASSERT_FALSE(random);
  EXPECT_EQ(random.error().code, ErrorCode::kNsmResponseInvalid);
  CannedTransport garbage(Bytes{0xff, 0x00});
  EXPECT_EQ(NsmClient(garbage).DescribeNsm().error().code, ErrorCode::kNsmResponseInvalid);
}

}  // namespace
}  // namespace enclavectl::app
