// KMS JSON responses, KMS error bodies and the instance metadata credentials answer: never
// crash; a decoded secret arrives exactly as asked (with a Recipient only as
// CiphertextForRecipient, without one only in clear); failures carry the decoder's codes; the
// error decoder never fails and never puts control characters in its message.
#include <cstddef>
#include <cstdint>

#include "enclavectl/aws/aws_config.hpp"
#include "enclavectl/aws/kms_api.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

template <typename T>
void CheckFailure(const core::Result<T>& result) {
  if (!result) {
    const core::ErrorCode code = result.error().code;
    FUZZ_CHECK(code == core::ErrorCode::kKmsResponseMalformed ||
               code == core::ErrorCode::kInputTooLarge);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const core::ByteView body(data, size);
  CheckFailure(aws::DecodeKeyMetadataResponse(body));
  CheckFailure(aws::DecodeGetKeyPolicyResponse(body));
  CheckFailure(aws::DecodeEmptyResponse(body));
  CheckFailure(aws::DecodeEncryptResponse(body));
  CheckFailure(aws::DecodeGetPublicKeyResponse(body));
  for (const bool recipient : {false, true}) {
    auto decrypt = aws::DecodeDecryptResponse(body, recipient);
    CheckFailure(decrypt);
    if (decrypt) {
      FUZZ_CHECK(decrypt->plaintext.empty() == recipient);
      FUZZ_CHECK(decrypt->ciphertext_for_recipient.empty() == !recipient);
    }
    auto data_key = aws::DecodeGenerateDataKeyResponse(body, recipient);
    CheckFailure(data_key);
    if (data_key) {
      FUZZ_CHECK(data_key->plaintext.empty() == recipient);
      FUZZ_CHECK(!data_key->ciphertext_blob.empty());
    }
    auto random = aws::DecodeGenerateRandomResponse(body, recipient);
    CheckFailure(random);
    if (random) {
      FUZZ_CHECK(random->plaintext.empty() == recipient);
      FUZZ_CHECK(random->plaintext.size() <= 1024);
    }
    auto derived = aws::DecodeDeriveSharedSecretResponse(body, recipient);
    CheckFailure(derived);
    if (derived) {
      FUZZ_CHECK(derived->shared_secret.empty() == recipient);
      FUZZ_CHECK(derived->ciphertext_for_recipient.size() <= 6144);
    }
  }
  for (const long status : {400L, 500L}) {
    const aws::KmsError error = aws::DecodeKmsError(status, body, "");
    FUZZ_CHECK(!error.type.empty() && !error.error.detail.empty());
    for (const char c : error.error.detail) {
      FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }
    FUZZ_CHECK(status < 500 || error.retryable);
  }
  auto imds = aws::DecodeImdsCredentials(body);
  if (imds) {
    FUZZ_CHECK(!imds->credentials.access_key_id.empty());
    FUZZ_CHECK(!imds->credentials.secret_access_key.empty());
  } else {
    FUZZ_CHECK(imds.error().code == core::ErrorCode::kCredentialsMalformed ||
               imds.error().code == core::ErrorCode::kInputTooLarge);
  }
  auto ini = aws::ParseAwsIni(core::AsChars(body));
  if (!ini) {
    FUZZ_CHECK(ini.error().code == core::ErrorCode::kCredentialsMalformed ||
               ini.error().code == core::ErrorCode::kInputTooLarge);
  }
  return 0;
}
