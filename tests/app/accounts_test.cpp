// Seed (b)'s account protocol codecs (wallet.md 2.2, 2.3, 2.8, 2.9): frames, requests with
// both key-id spellings, responses, the error envelope and the dispatcher over a fake.
#include "enclavectl/app/accounts.hpp"

#include <gtest/gtest.h>

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "seed_fakes.hpp"

namespace enclavectl::app::accounts {
namespace {

using core::ErrorCode;

constexpr std::string_view kCredential =
    R"("credential":{"aws_access_key_id":"AKIDEXAMPLE","aws_secret_access_key":"s3cr3t-KEY",)"
    R"("aws_session_token":"t0ken"})";

std::string Generate(std::string_view key_field = "key_id") {
  return std::string(R"({"apiRequest":"generateAccount",)") + std::string(kCredential) + ",\"" +
         std::string(key_field) + R"(":"arn:aws:kms:ap-east-1:1:key/k","name":"UID10000"})";
}

std::string Sign(std::string_view extra, std::string_view message) {
  return std::string(R"({"apiRequest":"sign",)") + std::string(kCredential) +
         R"(,"key_id":"k","name":"UID10000","encryptedDataKey":"2tra",)" +
         R"("encryptedPrivateKey":")" + core::Base64Encode(core::Bytes(60, 0xE5)) +
         R"(","message":")" + std::string(message) + "\"" + std::string(extra) + "}";
}

constexpr std::string_view kDigest =
    "47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad";

TEST(AccountFrames, LengthPrefix) {
  const std::string frame = EncodeFrame("{}");
  EXPECT_EQ(frame, std::string("\x02\0\0\0\0\0\0\0{}", 10));
  EXPECT_EQ(DecodeFrame(frame).value(), "{}");
  EXPECT_EQ(CheckFrame(frame.substr(0, 5)).state, FrameState::kNeedMore);
  EXPECT_EQ(CheckFrame(frame.substr(0, 9)).state, FrameState::kNeedMore);
  EXPECT_EQ(CheckFrame(frame).state, FrameState::kComplete);
  EXPECT_EQ(CheckFrame(frame).payload_len, 2U);
  auto short_header = DecodeFrame(frame.substr(0, 3));
  ASSERT_FALSE(short_header);
  EXPECT_EQ(short_header.error().code, ErrorCode::kAccountFrameInvalid);
  EXPECT_EQ(DecodeFrame(frame.substr(0, 9)).error().code, ErrorCode::kAccountFrameInvalid);
  EXPECT_EQ(DecodeFrame(frame + "x").error().code, ErrorCode::kAccountFrameInvalid);
  const std::string huge("\0\0\0\0\0\1\0\0", 8);  // 2^40
  EXPECT_EQ(CheckFrame(huge).state, FrameState::kTooLarge);
  EXPECT_EQ(DecodeFrame(huge).error().code, ErrorCode::kInputTooLarge);
  const std::string max = EncodeFrame(std::string(kMaxFramePayloadBytes, ' '));
  EXPECT_EQ(CheckFrame(max).state, FrameState::kComplete);
  EXPECT_EQ(CheckFrame(EncodeFrame(std::string(kMaxFramePayloadBytes + 1, ' '))).state,
            FrameState::kTooLarge);
}

TEST(AccountRequests, GenerateAccountBothKeyIdSpellings) {
  for (const char* field : {"key_id", "keyId"}) {
    auto request = DecodeRequest(Generate(field));
    ASSERT_TRUE(request) << request.error().detail;
    const auto& generate = std::get<GenerateRequest>(*request);
    EXPECT_EQ(generate.key_id, "arn:aws:kms:ap-east-1:1:key/k");
    EXPECT_EQ(generate.name, "UID10000");
    EXPECT_EQ(generate.credential.access_key_id, "AKIDEXAMPLE");
    const auto secret = generate.credential.secret_access_key.View();
    EXPECT_EQ(std::string(secret.begin(), secret.end()), "s3cr3t-KEY");
    // Round trip through the encoder.
    auto again = DecodeRequest(EncodeRequest(*request));
    ASSERT_TRUE(again);
    EXPECT_EQ(std::get<GenerateRequest>(*again).key_id, generate.key_id);
  }
}

TEST(AccountRequests, SignFields) {
  auto request = DecodeRequest(Sign("", std::string("0x") + std::string(kDigest)));
  ASSERT_TRUE(request) << request.error().detail;
  const auto& sign = std::get<SignRequest>(*request);
  EXPECT_EQ(core::HexEncode(sign.digest), kDigest);
  EXPECT_FALSE(sign.address);
  EXPECT_EQ(sign.encrypted_data_key, core::Base64Decode("2tra").value());
  std::string upper(kDigest);
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  auto with_address = DecodeRequest(
      Sign(R"(,"address":"0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")", "0X" + upper));
  ASSERT_TRUE(with_address) << with_address.error().detail;
  EXPECT_TRUE(std::get<SignRequest>(*with_address).address);
  auto again = DecodeRequest(EncodeRequest(*with_address));
  ASSERT_TRUE(again);
  EXPECT_EQ(std::get<SignRequest>(*again).digest, std::get<SignRequest>(*with_address).digest);
}

TEST(AccountRequests, Malformed) {
  const auto code = [](const std::string& text) {
    auto request = DecodeRequest(text);
    EXPECT_FALSE(request) << text;
    return request ? ErrorCode::kInternal : request.error().code;
  };
  EXPECT_EQ(code("not json"), ErrorCode::kAccountRequestInvalid);
  EXPECT_EQ(code("[]"), ErrorCode::kAccountRequestInvalid);
  EXPECT_EQ(code(R"({"apiRequest":"deleteAccount"})"), ErrorCode::kAccountRequestUnsupported);
  EXPECT_EQ(code(R"({"name":"x"})"), ErrorCode::kAccountRequestUnsupported);
  EXPECT_EQ(code(R"({"apiRequest":"generateAccount","key_id":"k"})"),
            ErrorCode::kAccountRequestInvalid);  // no credential
  EXPECT_EQ(code(R"({"apiRequest":"generateAccount",)" + std::string(kCredential) + "}"),
            ErrorCode::kAccountRequestInvalid);  // no key id
  EXPECT_EQ(code(Sign("", "abcd")), ErrorCode::kAccountRequestInvalid);
  EXPECT_EQ(code(Sign("", std::string(kDigest) + "00")), ErrorCode::kAccountRequestInvalid);
  EXPECT_EQ(code(Sign(R"(,"address":"0x7e5f")", kDigest)), ErrorCode::kAccountRequestInvalid);
  // Details never carry the secret.
  auto failed = DecodeRequest(R"({"apiRequest":"generateAccount",)" + std::string(kCredential) +
                              R"(,"key_id":5})");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().detail.find("s3cr3t"), std::string::npos);
}

TEST(AccountResponses, EnvelopesAndErrorMapping) {
  testing::FakeAccountOperations fake;
  const AccountService service(fake);
  const std::string generated = service.Handle(Generate());
  EXPECT_EQ(generated.rfind(R"({"apiResponse":"generateResponse","content":{"address":)"
                            R"("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf","encryptedDataKey":")",
                            0),
            0U)
      << generated;
  EXPECT_EQ(generated.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(fake.LastSecret(), "s3cr3t-KEY");
  auto decoded = DecodeResponse(generated).value();
  EXPECT_EQ(std::get<GenerateResponse>(decoded).encrypted_data_key.size(), 184U);

  // wallet.md 4.7: sk 1, keccak("") -> v = 1.
  const std::string signed_empty =
      service.Handle(Sign("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"));
  EXPECT_EQ(signed_empty,
            R"({"apiResponse":"signResponse","content":{"address":)"
            R"("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf","signature":"0x)"
            R"(03925438bf9bdfed9cb8d9d9467f8fc624f389846f0db71f4f5c84b483077da6)"
            R"(2ca68cb1027ace392bc6a84fe0ba29288aa07942f571f56201dd33c009ee388601"}})");
  EXPECT_EQ(std::get<SignResponse>(DecodeResponse(signed_empty).value()).signature.recovery_id, 1);

  const auto error = [&service](const std::string& request) {
    auto response = DecodeResponse(service.Handle(request));
    return response && std::holds_alternative<EnvelopeError>(*response)
               ? EnvelopeErrorName(std::get<EnvelopeError>(*response))
               : "not an error envelope";
  };
  EXPECT_STREQ(error("{"), "bad_request");
  EXPECT_STREQ(error(R"({"apiRequest":"deleteAccount"})"), "unsupported");
  EXPECT_STREQ(error(Sign(R"(,"address":"0x27b1fdb04752bbc536007a920d24acb045561c26")", kDigest)),
               "address_mismatch");
  std::string other_key = Sign("", kDigest);
  other_key.replace(other_key.find("5eXl"), 4, "AAAA");
  EXPECT_STREQ(error(other_key), "decrypt_failed");
  std::string kms_down = Generate();
  kms_down.replace(kms_down.find("arn:aws:kms:ap-east-1:1:key/k"), 29, "kms-down");
  EXPECT_STREQ(error(kms_down), "kms_failed");
  EXPECT_EQ(AccountService::Refuse(ErrorCode::kAccountFrameInvalid),
            R"({"apiResponse":"error","content":{"error":"bad_request"}})");

  // The codes AccountOperations implementations report (the fake's, seed_fakes.hpp).
  EXPECT_EQ(EnvelopeErrorFor({ErrorCode::kAccountKmsFailed, "", -1}), EnvelopeError::kKmsFailed);
  EXPECT_EQ(EnvelopeErrorFor({ErrorCode::kAccountAddressMismatch, "", -1}),
            EnvelopeError::kAddressMismatch);
  EXPECT_EQ(EnvelopeErrorFor({ErrorCode::kAccountDecryptFailed, "", -1}),
            EnvelopeError::kDecryptFailed);
  EXPECT_EQ(EnvelopeErrorFor({ErrorCode::kAccountRequestUnsupported, "", -1}),
            EnvelopeError::kUnsupported);
  EXPECT_EQ(EnvelopeErrorFor({ErrorCode::kKmsAccessDenied, "", -1}), EnvelopeError::kKmsFailed);
  EXPECT_EQ(EnvelopeErrorFor({ErrorCode::kEthTxFromMismatch, "", -1}),
            EnvelopeError::kAddressMismatch);
  EXPECT_EQ(EnvelopeErrorFor({ErrorCode::kInternal, "", -1}), EnvelopeError::kKmsFailed);
  EXPECT_EQ(EnvelopeErrorFor({ErrorCode::kInputTooLarge, "", -1}), EnvelopeError::kBadRequest);
}

}  // namespace
}  // namespace enclavectl::app::accounts
