// KMS JSON codecs offline (kms.md sections 1, 4, 5): request bodies, response shapes as KMS
// and moto send them, the Recipient rules, hostile responses, and the error table.
#include "enclavectl/aws/kms_api.hpp"

#include <gtest/gtest.h>

#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;

nlohmann::json Body(const core::SecretBytes& body) {
  return nlohmann::json::parse(core::AsChars(body.View()));
}

core::ByteView Bytes(const std::string& text) { return core::AsBytes(text); }

TEST(KmsRequests, OperationsAndTargets) {
  EXPECT_EQ(aws::KmsTarget(aws::KmsOperation::kDeriveSharedSecret),
            "TrentService.DeriveSharedSecret");
  EXPECT_EQ(aws::KmsTarget(aws::KmsOperation::kPutKeyPolicy), "TrentService.PutKeyPolicy");
  EXPECT_STREQ(aws::KmsOperationName(aws::KmsOperation::kGenerateRandom), "GenerateRandom");
}

TEST(KmsRequests, CreateKeyAndPolicies) {
  aws::CreateKeyRequest create;
  create.policy = "{}";
  create.description = "enclave key";
  create.key_spec = "ECC_NIST_P256";
  create.key_usage = "KEY_AGREEMENT";
  create.tags = {{"app", "enclavectl"}};
  const nlohmann::json body = Body(aws::EncodeCreateKeyRequest(create));
  EXPECT_EQ(body, nlohmann::json::parse(R"({"Policy": "{}", "Description": "enclave key",
      "KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT",
      "Tags": [{"TagKey": "app", "TagValue": "enclavectl"}]})"));
  // Absent members are omitted (kms.md section 1).
  EXPECT_EQ(Body(aws::EncodeCreateKeyRequest({})), nlohmann::json::object());
  const nlohmann::json put = Body(aws::EncodePutKeyPolicyRequest(
      {"arn:aws:kms:us-east-1:111122223333:key/k", "{\"a\":1}", true}));
  EXPECT_EQ(put["Policy"], "{\"a\":1}");
  EXPECT_EQ(put["PolicyName"], "default");
  EXPECT_EQ(put["BypassPolicyLockoutSafetyCheck"], true);
  EXPECT_FALSE(Body(aws::EncodePutKeyPolicyRequest({"k", "{}", false}))
                   .contains("BypassPolicyLockoutSafetyCheck"));
  EXPECT_EQ(Body(aws::EncodeGetKeyPolicyRequest("k")),
            (nlohmann::json{{"KeyId", "k"}, {"PolicyName", "default"}}));
}

TEST(KmsRequests, BlobsAreBase64AndRecipientIsAttached) {
  const core::SecretBytes plaintext(core::AsBytes(std::string("attack at dawn")));
  const nlohmann::json encrypt =
      Body(aws::EncodeEncryptRequest({"alias/x", plaintext.View(), {{"app", "a"}}}));
  EXPECT_EQ(encrypt["Plaintext"], core::Base64Encode(plaintext.View()));
  EXPECT_EQ(encrypt["EncryptionContext"]["app"], "a");
  EXPECT_EQ(encrypt["KeyId"], "alias/x");
  EXPECT_EQ(Body(aws::EncodeEncryptRequest({"k", plaintext.View(), {}})).size(), 2U);

  const core::Bytes blob = {1, 2, 3, 4};
  aws::DecryptRequest decrypt{blob, "", {}, aws::RecipientInfo{core::Bytes{0x84, 0x44}}};
  const nlohmann::json d = Body(aws::EncodeDecryptRequest(decrypt));
  EXPECT_EQ(d["CiphertextBlob"], "AQIDBA==");
  EXPECT_FALSE(d.contains("KeyId"));
  EXPECT_EQ(d["Recipient"]["KeyEncryptionAlgorithm"], "RSAES_OAEP_SHA_256");
  EXPECT_EQ(d["Recipient"]["AttestationDocument"], "hEQ=");

  const nlohmann::json g =
      Body(aws::EncodeGenerateDataKeyRequest({"k", "AES_256", std::nullopt, {}, {}}));
  EXPECT_EQ(g, (nlohmann::json{{"KeyId", "k"}, {"KeySpec", "AES_256"}}));
  EXPECT_EQ(Body(aws::EncodeGenerateDataKeyRequest({"k", "", 64U, {}, {}}))["NumberOfBytes"], 64);
  EXPECT_EQ(Body(aws::EncodeGenerateRandomRequest({32, {}})),
            (nlohmann::json{{"NumberOfBytes", 32}}));
  const nlohmann::json derive = Body(aws::EncodeDeriveSharedSecretRequest(
      {"k", core::Bytes{0x30, 0x59}, aws::RecipientInfo{{1}}}));
  EXPECT_EQ(derive["KeyAgreementAlgorithm"], "ECDH");
  EXPECT_EQ(derive["PublicKey"], "MFk=");
  EXPECT_TRUE(derive.contains("Recipient"));
}

TEST(KmsResponses, KeyMetadataAsKmsAndMotoSendIt) {
  // moto 5.2.1's CreateKey answer (trimmed), fractional epoch seconds included.
  const std::string body = R"({"KeyMetadata": {"AWSAccountId": "123456789012",
      "Arn": "arn:aws:kms:us-east-1:123456789012:key/b4c8dd2e-38bb-47d2-bcbd-54fbf3301300",
      "CreationDate": 1795281222.462154, "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
      "KeySpec": "SYMMETRIC_DEFAULT", "Description": "x", "Enabled": true,
      "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "KeyId": "b4c8dd2e-38bb-47d2-bcbd-54fbf3301300",
      "KeyManager": "CUSTOMER", "KeyState": "Enabled", "KeyUsage": "ENCRYPT_DECRYPT",
      "MultiRegion": false, "Origin": "AWS_KMS", "KeyMaterialId": "ab"}})";
  auto meta = aws::DecodeKeyMetadataResponse(Bytes(body));
  ASSERT_TRUE(meta) << meta.error().detail;
  EXPECT_EQ(meta->key_id, "b4c8dd2e-38bb-47d2-bcbd-54fbf3301300");
  EXPECT_EQ(meta->key_state, "Enabled");
  EXPECT_TRUE(meta->enabled);
  EXPECT_DOUBLE_EQ(*meta->creation_date, 1795281222.462154);
  EXPECT_EQ(meta->encryption_algorithms, std::vector<std::string>{"SYMMETRIC_DEFAULT"});
}

TEST(KmsResponses, PolicyAndEmptyAnswers) {
  auto policy =
      aws::DecodeGetKeyPolicyResponse(Bytes(R"({"Policy": "{\"Version\": \"2012-10-17\"}"})"));
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->policy, R"({"Version": "2012-10-17"})");
  EXPECT_EQ(policy->policy_name, "default");
  for (const char* empty : {"", "{}", "null", "  \n", R"({"Later": 1})"}) {
    EXPECT_TRUE(aws::DecodeEmptyResponse(Bytes(empty))) << empty;
  }
  EXPECT_EQ(aws::DecodeEmptyResponse(Bytes("<html>")).error().code,
            ErrorCode::kKmsResponseMalformed);
}

TEST(KmsResponses, SecretsInClearOrForTheRecipient) {
  const std::string clear =
      R"({"KeyId": "arn:k", "Plaintext": "aGVsbG8=", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})";
  auto d = aws::DecodeDecryptResponse(Bytes(clear), false);
  ASSERT_TRUE(d) << d.error().detail;
  EXPECT_EQ(std::string(core::AsChars(d->plaintext.View())), "hello");
  EXPECT_TRUE(d->ciphertext_for_recipient.empty());
  // A Recipient was sent, but the server answered in clear (as moto does): refused.
  auto ignored = aws::DecodeDecryptResponse(Bytes(clear), true);
  ASSERT_FALSE(ignored);
  EXPECT_EQ(ignored.error().code, ErrorCode::kKmsResponseMalformed);
  // The error never carries the secret.
  EXPECT_EQ(ignored.error().detail.find("aGVsbG8"), std::string::npos);
  const std::string sealed =
      R"({"KeyId": "arn:k", "CiphertextForRecipient": "MIAGCSqGSIb3DQEHA6CA", "Plaintext": null})";
  auto r = aws::DecodeDecryptResponse(Bytes(sealed), true);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_TRUE(r->plaintext.empty());
  EXPECT_FALSE(r->ciphertext_for_recipient.empty());
  EXPECT_EQ(aws::DecodeDecryptResponse(Bytes(sealed), false).error().code,
            ErrorCode::kKmsResponseMalformed);
  EXPECT_EQ(aws::DecodeDecryptResponse(Bytes(R"({"KeyId": "arn:k"})"), false).error().code,
            ErrorCode::kKmsResponseMalformed);
  EXPECT_EQ(aws::DecodeDecryptResponse(Bytes(R"({"KeyId": "arn:k"})"), true).error().code,
            ErrorCode::kKmsResponseMalformed);

  auto g = aws::DecodeGenerateDataKeyResponse(
      Bytes(
          R"({"CiphertextBlob": "AQID", "Plaintext": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "KeyId": "arn:k"})"),
      false);
  ASSERT_TRUE(g) << g.error().detail;
  EXPECT_EQ(g->plaintext.size(), 32U);
  EXPECT_EQ(g->ciphertext_blob, (core::Bytes{1, 2, 3}));
  auto random = aws::DecodeGenerateRandomResponse(Bytes(R"({"Plaintext": "AQIDBA=="})"), false);
  ASSERT_TRUE(random);
  EXPECT_EQ(random->plaintext.size(), 4U);
  auto derived = aws::DecodeDeriveSharedSecretResponse(
      Bytes(
          R"({"KeyId": "arn:k", "SharedSecret": "AQIDBA==", "KeyAgreementAlgorithm": "ECDH", "KeyOrigin": "AWS_KMS"})"),
      false);
  ASSERT_TRUE(derived) << derived.error().detail;
  EXPECT_EQ(derived->key_agreement_algorithm, "ECDH");
  EXPECT_EQ(aws::DecodeDeriveSharedSecretResponse(
                Bytes(R"({"KeyId": "arn:k", "SharedSecret": "AQIDBA=="})"), true)
                .error()
                .code,
            ErrorCode::kKmsResponseMalformed);
}

TEST(KmsResponses, PublicKeyWithMotoNulls) {
  auto key = aws::DecodeGetPublicKeyResponse(Bytes(
      R"({"CustomerMasterKeySpec": "ECC_NIST_P256", "KeyId": "k", "KeyUsage": null,
          "PublicKey": "MFk=", "KeyAgreementAlgorithms": ["ECDH"]})"));
  ASSERT_TRUE(key) << key.error().detail;
  EXPECT_EQ(key->key_spec, "ECC_NIST_P256");
  EXPECT_EQ(key->key_usage, "");
  EXPECT_EQ(key->key_agreement_algorithms, std::vector<std::string>{"ECDH"});
  EXPECT_EQ(aws::DecodeGetPublicKeyResponse(Bytes(R"({"KeyId": "k"})")).error().code,
            ErrorCode::kKmsResponseMalformed);
}

TEST(KmsResponses, HostileAnswersAreRefused) {
  const std::vector<std::string> bad = {
      "not json",
      "[]",
      R"({"KeyMetadata": []})",
      R"({"KeyMetadata": {"KeyId": 1, "Arn": "a"}})",
      R"({"KeyMetadata": {"KeyId": "k"}})",
      R"({"KeyMetadata": {"KeyId": "k", "Arn": "a", "Enabled": "yes"}})",
      R"({"KeyMetadata": {"KeyId": "k", "Arn": "a", "CreationDate": "today"}})",
      R"({"KeyMetadata": {"KeyId": "k", "Arn": "a", "EncryptionAlgorithms": [1]}})",
      R"({"KeyMetadata": {"KeyId": "k", "KeyId": "l", "Arn": "a"}})",
  };
  for (const std::string& body : bad) {
    auto meta = aws::DecodeKeyMetadataResponse(Bytes(body));
    ASSERT_FALSE(meta) << body;
    EXPECT_EQ(meta.error().code, ErrorCode::kKmsResponseMalformed) << body;
  }
  const std::vector<std::string> bad_blobs = {
      R"({"KeyId": "k", "Plaintext": "not base64!"})",
      R"({"KeyId": "k", "Plaintext": ""})",
      R"({"KeyId": "k", "Plaintext": 5})",
      R"({"KeyId": "k", "CiphertextForRecipient": "AAA"})",
  };
  for (const std::string& body : bad_blobs) {
    EXPECT_EQ(aws::DecodeDecryptResponse(Bytes(body), false).error().code,
              ErrorCode::kKmsResponseMalformed)
        << body;
  }
  // Size limits: a CiphertextForRecipient above KMS's 6144 bytes, a body above 1 MiB.
  const std::string huge_cfr = R"({"KeyId": "k", "CiphertextForRecipient": ")" +
                               core::Base64Encode(core::Bytes(6145, 7)) + "\"}";
  EXPECT_EQ(aws::DecodeDecryptResponse(Bytes(huge_cfr), true).error().code,
            ErrorCode::kKmsResponseMalformed);
  const std::string huge =
      "{\"Policy\": \"" + std::string(core::limits::kMaxKmsResponseBytes, 'a') + "\"}";
  EXPECT_EQ(aws::DecodeGetKeyPolicyResponse(Bytes(huge)).error().code, ErrorCode::kInputTooLarge);
  EXPECT_EQ(
      aws::DecodeGenerateRandomResponse(Bytes(std::string(40, '[') + std::string(40, ']')), false)
          .error()
          .code,
      ErrorCode::kKmsResponseMalformed);
}

struct ErrorCase {
  long status;
  std::string body;
  std::string header;
  ErrorCode code;
  bool retryable;
  std::string type;
};

TEST(KmsErrors, MapToStableCodesWithAwsMessage) {
  const std::vector<ErrorCase> cases = {
      {400,
       R"({"__type":"AccessDeniedException","Message":"User: arn:aws:sts::1:assumed-role/enclave_role/i-1 is not authorized to perform: kms:Decrypt"})",
       "", ErrorCode::kKmsAccessDenied, false, "AccessDeniedException"},
      {400, R"({"__type": "NotFoundException", "message": "Invalid keyId nope"})", "",
       ErrorCode::kKmsNotFound, false, "NotFoundException"},
      {400,
       R"({"__type": "com.amazonaws.kms#KMSInvalidStateException", "message": "pending deletion"})",
       "", ErrorCode::kKmsInvalidState, false, "KMSInvalidStateException"},
      {400, R"({"__type": "DisabledException"})", "", ErrorCode::kKmsInvalidState, false,
       "DisabledException"},
      {400,
       R"({"__type": "MalformedPolicyDocumentException", "message": "The new key policy will not allow you to update the key policy in the future."})",
       "", ErrorCode::kKmsMalformedPolicy, false, "MalformedPolicyDocumentException"},
      {400, R"({"__type": "ValidationException", "message": "1 validation error detected"})", "",
       ErrorCode::kKmsValidation, false, "ValidationException"},
      {400, R"({"__type": "SerializationException"})", "", ErrorCode::kKmsValidation, false,
       "SerializationException"},
      {400, R"({"__type": "InvalidArnException"})", "", ErrorCode::kKmsValidation, false,
       "InvalidArnException"},
      {400, R"({"__type": "InvalidCiphertextException"})", "", ErrorCode::kKmsInvalidCiphertext,
       false, "InvalidCiphertextException"},
      {400, R"({"__type": "IncorrectKeyException"})", "", ErrorCode::kKmsInvalidCiphertext, false,
       "IncorrectKeyException"},
      {400, R"({"__type": "InvalidKeyUsageException"})", "", ErrorCode::kKmsKeyUsage, false,
       "InvalidKeyUsageException"},
      {400, R"({"__type": "UnsupportedOperationException"})", "", ErrorCode::kKmsKeyUsage, false,
       "UnsupportedOperationException"},
      {400,
       R"({"__type": "UnrecognizedClientException", "message": "The security token included in the request is invalid."})",
       "", ErrorCode::kKmsAuth, false, "UnrecognizedClientException"},
      {400, R"({"__type": "InvalidSignatureException"})", "", ErrorCode::kKmsAuth, false,
       "InvalidSignatureException"},
      {400, R"({"__type": "LimitExceededException"})", "", ErrorCode::kKmsLimitExceeded, false,
       "LimitExceededException"},
      {400, R"({"__type": "ThrottlingException", "message": "Rate exceeded"})", "",
       ErrorCode::kServiceUnavailable, true, "ThrottlingException"},
      {500, R"({"__type": "KMSInternalException"})", "", ErrorCode::kServiceUnavailable, true,
       "KMSInternalException"},
      {400, R"({"__type": "CustomKeyStoreNotFoundException"})", "", ErrorCode::kKmsError, false,
       "CustomKeyStoreNotFoundException"},
      // moto's DeriveSharedSecret: an HTML 500 page.
      {500, "<!doctype html><title>500 Internal Server Error</title>", "",
       ErrorCode::kServiceUnavailable, true, "HTTP 500"},
      {429, "", "", ErrorCode::kServiceUnavailable, true, "HTTP 429"},
      {403, "Forbidden", "", ErrorCode::kKmsError, false, "HTTP 403"},
      {400, "{}", "NotFoundException:http://internal.amazon.com/coral/", ErrorCode::kKmsNotFound,
       false, "NotFoundException"},
  };
  for (const ErrorCase& c : cases) {
    const aws::KmsError error = aws::DecodeKmsError(c.status, Bytes(c.body), c.header);
    EXPECT_EQ(error.error.code, c.code) << c.body;
    EXPECT_EQ(error.retryable, c.retryable) << c.body;
    EXPECT_EQ(error.type, c.type) << c.body;
    EXPECT_EQ(error.error.detail.substr(0, c.type.size()), c.type);
  }
  const aws::KmsError denied = aws::DecodeKmsError(400, Bytes(cases[0].body), "");
  EXPECT_NE(denied.error.detail.find("is not authorized to perform: kms:Decrypt"),
            std::string::npos);
}

TEST(KmsErrors, MessagesAreCleanedAndBounded) {
  const std::string body = "{\"__type\": \"X\\u0000Y\", \"message\": \"line1\\nline2\\u001b[31m" +
                           std::string(5000, 'm') + "\"}";
  const aws::KmsError error = aws::DecodeKmsError(400, Bytes(body), "");
  EXPECT_EQ(error.error.detail.find('\n'), std::string::npos);
  EXPECT_EQ(error.error.detail.find('\x1b'), std::string::npos);
  EXPECT_EQ(error.error.detail.find('\0'), std::string::npos);
  EXPECT_LT(error.error.detail.size(), 1200U);
}

}  // namespace
}  // namespace enclavectl::aws
