// The local KMS's request parsing: "TARGET\nBODY" inputs go through every request decoder
// and through the service itself (already authenticated, in memory, at a fixed time), plus
// the SigV4 Authorization parser. Invariants: a decoder fails only with its two codes
// (SerializationException / ValidationException); what it accepts survives the client
// encoder and decodes to the same request; the service always answers with a status and,
// for errors, a JSON body with a __type; the Authorization parser accepts only 64-hex
// signatures and non-empty header lists.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/localkms/service.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

template <typename T>
void CheckFailure(const core::Result<T>& result) {
  if (!result) {
    const core::ErrorCode code = result.error().code;
    FUZZ_CHECK(code == core::ErrorCode::kKmsRequestMalformed ||
               code == core::ErrorCode::kKmsValidation || code == core::ErrorCode::kInputTooLarge);
  }
}

void Decoders(core::ByteView body) {
  auto create = aws::DecodeCreateKeyRequest(body);
  CheckFailure(create);
  if (create) {
    const core::SecretBytes again = aws::EncodeCreateKeyRequest(*create);
    auto round = aws::DecodeCreateKeyRequest(again.View());
    FUZZ_CHECK(round);
    FUZZ_CHECK(round->policy == create->policy && round->description == create->description &&
               round->key_spec == create->key_spec && round->key_usage == create->key_usage &&
               round->tags == create->tags && round->origin == create->origin &&
               round->bypass_policy_lockout_safety_check ==
                   create->bypass_policy_lockout_safety_check);
  }
  core::SecretBytes plaintext;
  auto encrypt = aws::DecodeEncryptRequest(body, plaintext);
  CheckFailure(encrypt);
  if (encrypt) {
    FUZZ_CHECK(!plaintext.empty() && plaintext.size() <= 4096);
    const core::SecretBytes again = aws::EncodeEncryptRequest(*encrypt);
    core::SecretBytes plaintext2;
    auto round = aws::DecodeEncryptRequest(again.View(), plaintext2);
    FUZZ_CHECK(round && core::Equal(plaintext.View(), plaintext2.View()) &&
               round->encryption_context == encrypt->encryption_context &&
               round->key_id == encrypt->key_id);
  }
  core::Bytes blob;
  auto decrypt = aws::DecodeDecryptRequest(body, blob);
  CheckFailure(decrypt);
  if (decrypt) {
    FUZZ_CHECK(!blob.empty() && blob.size() <= 6144);
    const core::SecretBytes again = aws::EncodeDecryptRequest(*decrypt);
    core::Bytes blob2;
    auto round = aws::DecodeDecryptRequest(again.View(), blob2);
    FUZZ_CHECK(round && blob2 == blob && round->key_id == decrypt->key_id &&
               round->recipient.has_value() == decrypt->recipient.has_value());
  }
  auto data_key = aws::DecodeGenerateDataKeyRequest(body);
  CheckFailure(data_key);
  if (data_key) {
    FUZZ_CHECK(data_key->key_spec.empty() != !data_key->number_of_bytes.has_value());
  }
  auto random = aws::DecodeGenerateRandomRequest(body);
  CheckFailure(random);
  if (random) {
    FUZZ_CHECK(random->number_of_bytes >= 1 && random->number_of_bytes <= 1024);
  }
  auto derive = aws::DecodeDeriveSharedSecretRequest(body);
  CheckFailure(derive);
  if (derive) {
    const core::SecretBytes again = aws::EncodeDeriveSharedSecretRequest(*derive);
    auto round = aws::DecodeDeriveSharedSecretRequest(again.View());
    FUZZ_CHECK(round && round->public_key == derive->public_key);
  }
  CheckFailure(aws::DecodeKeyIdRequest(body));
  CheckFailure(aws::DecodeGetKeyPolicyRequest(body));
  CheckFailure(aws::DecodePutKeyPolicyRequest(body));
  auto schedule = aws::DecodeScheduleKeyDeletionRequest(body);
  CheckFailure(schedule);
  if (schedule && schedule->pending_window_in_days) {
    FUZZ_CHECK(*schedule->pending_window_in_days >= 7 && *schedule->pending_window_in_days <= 30);
  }
  CheckFailure(aws::DecodeCreateAliasRequest(body));
  CheckFailure(aws::DecodeDeleteAliasRequest(body));
  CheckFailure(aws::DecodeListRequest(body, true));
}

// One service for the whole run, recreated when fuzzed CreateKeys have filled it.
localkms::LocalKms& Service() {
  static const core::io::FixedClock clock(core::UnixMillis{1735689600000});
  static localkms::MemoryPersister persister;
  static std::unique_ptr<localkms::LocalKms> service;
  if (!service || service->KeyCount() > 256) {
    localkms::ServiceOptions options;
    service = std::make_unique<localkms::LocalKms>(std::move(options), localkms::KeyStore{},
                                                   persister, clock);
    for (const char* body :
         {R"({})", R"({"KeySpec":"ECC_NIST_P256","KeyUsage":"KEY_AGREEMENT"})"}) {
      service->Dispatch("TrentService.CreateKey", body, "arn:aws:iam::111122223333:root");
    }
  }
  return *service;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);  // NOLINT
  const std::size_t newline = input.find('\n');
  const std::string target = input.substr(0, newline);
  const std::string body = newline == std::string::npos ? "" : input.substr(newline + 1);
  Decoders(core::AsBytes(body));

  const localkms::OutgoingResponse response =
      Service().Dispatch("TrentService." + target, body, "arn:aws:iam::111122223333:root");
  FUZZ_CHECK(response.status == 200 || (response.status >= 400 && response.status < 600));
  if (response.status != 200) {
    const nlohmann::json json = nlohmann::json::parse(response.body, nullptr, false);
    FUZZ_CHECK(json.is_object() && json.contains("__type"));
    FUZZ_CHECK(json["__type"] == response.error_type);
  } else if (!response.body.empty()) {
    FUZZ_CHECK(!nlohmann::json::parse(response.body, nullptr, false).is_discarded());
  }

  auto auth = aws::ParseAuthorization(input);
  if (auth) {
    FUZZ_CHECK(auth->signature.size() == 64 && !auth->signed_headers.empty() &&
               auth->date.size() == 8);
  }
  return 0;
}
